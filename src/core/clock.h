/*
 * clock.h - UTC millisecond time, its ISO-8601 form and durations.
 *
 * Times are int64 milliseconds since the Unix epoch, UTC. HK_TIME_NONE marks
 * "no time" (a null DateTime). The text form is exactly what Plain sends:
 * "2023-10-19T14:21:43.616Z" (24 characters).
 */
#ifndef HOOKD_CORE_CLOCK_H
#define HOOKD_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define HK_TIME_NONE INT64_MIN
#define HK_TIME_ISO_LEN 24
#define HK_TIME_ISO_BUF 25

/* Wall clock (CLOCK_REALTIME), ms. */
int64_t hk_now_ms(void);
/* Monotonic clock (CLOCK_MONOTONIC), ms and ns: for timeouts and durations. */
int64_t hk_mono_ms(void);
int64_t hk_mono_ns(void);

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL. Times outside years 0000..9999
 * are clamped to that range. */
void hk_time_format(int64_t unix_ms, char out[HK_TIME_ISO_BUF]);

/* Parses an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)",
 * 't'/'z' accepted too; fractions beyond ms are truncated. Validates ranges
 * (month, day of month incl. leap years, hour, minute, second <= 60).
 * HK_EPARSE on anything else. *out is set to 0 first. */
HK_MUST_CHECK hk_status hk_time_parse(const char *s, size_t n, int64_t *out);

/* Parses a duration: an unsigned integer followed by a unit, "ms", "s", "m",
 * "h" or "d" ("100ms", "30s", "5m", "1d"). HK_EPARSE on anything else or on
 * overflow. *out_ms is set to 0 first. */
HK_MUST_CHECK hk_status hk_duration_parse(const char *s, size_t n, int64_t *out_ms);

#endif
