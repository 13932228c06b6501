/*
 * log.h - leveled logging to stderr, one line per record.
 *
 * Each record is written with a single write(2) so lines from different
 * threads never interleave. Format: "2026-11-27T00:00:00.000Z INFO  message".
 * Secrets (API keys, HMAC secrets, URL credentials) must never be passed in.
 */
#ifndef HOOKD_CORE_LOG_H
#define HOOKD_CORE_LOG_H

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

void hk_log(hk_log_level level, const char *fmt, ...) HK_PRINTF(2, 3);

#define hk_log_debug(...) hk_log(HK_LOG_DEBUG, __VA_ARGS__)
#define hk_log_info(...) hk_log(HK_LOG_INFO, __VA_ARGS__)
#define hk_log_warn(...) hk_log(HK_LOG_WARN, __VA_ARGS__)
#define hk_log_error(...) hk_log(HK_LOG_ERROR, __VA_ARGS__)

#endif
