/*
 * log.h - leveled logging to stderr, one line per record.
 *
 * Each record is written with a single write(2) so lines from different
 * threads never interleave. Text format: "2026-11-27T00:00:00.000Z INFO  message";
 * JSON format (for log pipelines), one object per line:
 * {"time":"2026-11-27T00:00:00.000Z","level":"info","msg":"message"}.
 * Secrets (API keys, HMAC secrets, URL credentials) must never be passed in.
 */
#ifndef HOOKD_CORE_LOG_H
#define HOOKD_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"

typedef enum hk_log_level {
    HK_LOG_DEBUG,
    HK_LOG_INFO,
    HK_LOG_WARN,
    HK_LOG_ERROR,
    HK_LOG_OFF,
} hk_log_level;

/* Records below `level` are dropped. Default HK_LOG_INFO. Thread-safe. */
void hk_log_set_level(hk_log_level level);
hk_log_level hk_log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off"; HK_EINVAL otherwise. */
HK_MUST_CHECK hk_status hk_log_level_parse(const char *s, hk_log_level *out);

typedef enum hk_log_format {
    HK_LOG_FORMAT_TEXT,
    HK_LOG_FORMAT_JSON,
} hk_log_format;

/* Default HK_LOG_FORMAT_TEXT. Thread-safe. */
void hk_log_set_format(hk_log_format format);
/* Parses "text" or "json"; HK_EINVAL otherwise. */
HK_MUST_CHECK hk_status hk_log_format_parse(const char *s, hk_log_format *out);

void hk_log(hk_log_level level, const char *fmt, ...) HK_PRINTF(2, 3);

/* The ids a record is about. In the JSON format each becomes a field of its own
 * ("workspaceId", "webhookTargetId", "eventId", "attemptId"), so a log pipeline can
 * filter on them; the text format shows the message alone (which names them too).
 * NULL or "" fields are left out. */
typedef struct hk_log_ids {
    const char *workspace_id;
    const char *target_id;
    const char *event_id;
    const char *attempt_id;
} hk_log_ids;

/* hk_log with ids (NULL: none). */
void hk_log_with(hk_log_level level, const hk_log_ids *ids, const char *fmt, ...) HK_PRINTF(3, 4);

/* A failure a command reports before it exits, whatever the level: "PROGRAM: message" on
 * its own line in the text format, an error record in the JSON one (so that every line a
 * JSON-logging process writes parses). */
void hk_log_report(const char *program, const char *fmt, ...) HK_PRINTF(2, 3);

#define hk_log_debug(...) hk_log(HK_LOG_DEBUG, __VA_ARGS__)
#define hk_log_info(...) hk_log(HK_LOG_INFO, __VA_ARGS__)
#define hk_log_warn(...) hk_log(HK_LOG_WARN, __VA_ARGS__)
#define hk_log_error(...) hk_log(HK_LOG_ERROR, __VA_ARGS__)

/*
 * A gate for a failure that repeats while it lasts (a failed store retried
 * every second): its first occurrence is logged, then at most one line per
 * `window_ms` saying how many repeats were not, and one line when it ends.
 * Zero-initialise and set window_ms. Owned by one thread: not thread-safe.
 */
typedef struct hk_log_gate {
    int64_t window_ms;
    int64_t logged_at;   /* monotonic ms of the last line logged while failing */
    unsigned failures;   /* in a row, so far; 0: not failing */
    unsigned suppressed; /* repeats not logged since the last line */
} hk_log_gate;

/* A failure at monotonic `now_ms`: true when the caller logs it now, with
 * *suppressed repeats not logged before it (0 for the first). */
bool hk_log_gate_fail(hk_log_gate *g, int64_t now_ms, unsigned *suppressed);
/* A success: true when it ends a failure, which the caller logs as such;
 * *failures says how many there were in a row. */
bool hk_log_gate_ok(hk_log_gate *g, unsigned *failures);

#endif
