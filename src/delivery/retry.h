/*
 * retry.h - when a failed delivery is tried again (SPEC §5).
 *
 * A schedule is the list of delays before retry #1, #2, ...: the default is
 * 10s, 30s, 5m, 30m, 1h, 3h, 6h, 12h, 1d, 1d, 1d, 1d (12 retries, 13 attempts
 * in all). A retry's delay counts from the END of the failed attempt, so a
 * slow receiver is not hammered by retries that pile up behind its timeouts.
 * After the last retry has failed the delivery is failed for good.
 *
 * A schedule is a plain value (no allocation): copy it freely.
 */
#ifndef HOOKD_DELIVERY_RETRY_H
#define HOOKD_DELIVERY_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* More retries than anyone needs; a longer list is refused, not truncated. */
#define HK_RETRY_MAX 64
/* The longest single delay accepted (365 days): keeps time sums far from overflow. */
#define HK_RETRY_DELAY_MAX_MS ((int64_t)365 * 24 * 3600 * 1000)

typedef struct hk_retry_schedule {
    size_t n;                       /* retries; 0: a failed attempt is final */
    int64_t delay_ms[HK_RETRY_MAX]; /* delay_ms[i]: before retry #i+1 */
} hk_retry_schedule;

/* SPEC §5's schedule. */
void hk_retry_schedule_default(hk_retry_schedule *out);

/*
 * Parses a comma-separated list of durations ("100ms,200ms,1s"; units ms, s,
 * m, h, d as hk_duration_parse; spaces around items are ignored). "" and
 * "none" mean no retries. HK_EINVAL with a message naming the bad item for
 * anything else: an empty item, a malformed duration, a delay over
 * HK_RETRY_DELAY_MAX_MS, more than HK_RETRY_MAX items. *out is emptied first.
 */
HK_MUST_CHECK hk_status hk_retry_schedule_parse(const char *text, hk_retry_schedule *out,
                                                hk_error *err);

/* Writes the schedule as the parser reads it ("10s,30s,5m"; "none" when
 * empty), truncated to fit `size` bytes. Returns `out`. */
char *hk_retry_schedule_format(const hk_retry_schedule *s, char *out, size_t size);

/*
 * When to try again after attempt `attempt_number` (from 1; 0 counts as 1)
 * failed at `end_of_attempt_ms`: end + the delay before the next retry, or
 * HK_TIME_NONE when that attempt was the last one the schedule allows.
 */
int64_t hk_retry_next(const hk_retry_schedule *s, uint32_t attempt_number,
                      int64_t end_of_attempt_ms);

/* Attempts the schedule allows in all: retries + 1. */
uint32_t hk_retry_max_attempts(const hk_retry_schedule *s);

#endif
