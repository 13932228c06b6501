/*
 * retention.h - the daemon's janitor: a thread that deletes events older
 * than the retention period, with their deliveries and attempts
 * (hk_events_prune), so the database stops growing.
 *
 * It runs a round every period / 10 (at least every 100 ms, at most every
 * minute). A round prunes in transactions of at most HK_RETENTION_BATCH rows
 * until nothing old is left, pausing after each three times as long as it
 * took: the writer serves other transactions between them, no commit waits
 * behind a long delete, and pruning takes at most a quarter of the writer's
 * time even behind a large backlog (bench/retention_bench.sh: ~80k rows/s). A failed
 * round is logged (repeats gated) and retried at the next one. Pending
 * deliveries are never deleted (see hk_events_prune).
 */
#ifndef HOOKD_DAEMON_RETENTION_H
#define HOOKD_DAEMON_RETENTION_H

#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

/* Rows (deliveries and events) one prune transaction deletes at most. */
#define HK_RETENTION_BATCH 500
/* The shortest and longest retention periods accepted. */
#define HK_RETENTION_MIN_MS ((int64_t)1000)
#define HK_RETENTION_MAX_MS ((int64_t)3650 * 86400 * 1000)

typedef struct hk_retention hk_retention;

typedef struct hk_retention_stats {
    int64_t keep_ms;                       /* the retention period */
    uint64_t events, deliveries, attempts; /* deleted since start */
    uint64_t errors;                       /* failed prune transactions */
} hk_retention_stats;

/* Starts the thread for a period of keep_ms (HK_RETENTION_MIN_MS ..
 * HK_RETENTION_MAX_MS, else HK_EINVAL); `store` must outlive it. The first
 * round runs at once. HK_EINTERNAL when the thread cannot start. */
HK_MUST_CHECK hk_status hk_retention_start(hk_store *store, int64_t keep_ms, hk_retention **out,
                                           hk_error *err);

/* A snapshot. Thread-safe. */
void hk_retention_get_stats(hk_retention *r, hk_retention_stats *out);

/* Stops the thread (a transaction under way finishes first) and frees it.
 * Accepts NULL. */
void hk_retention_stop(hk_retention *r);

#endif
