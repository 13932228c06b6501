/*
 * retry.c - the retry schedule: parsing, formatting and the next retry time.
 */
#include "delivery/retry.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

#define SECOND_MS ((int64_t)1000)
#define MINUTE_MS (60 * SECOND_MS)
#define HOUR_MS (60 * MINUTE_MS)
#define DAY_MS (24 * HOUR_MS)

static const int64_t default_delays[] = {
    10 * SECOND_MS, 30 * SECOND_MS, 5 * MINUTE_MS, 30 * MINUTE_MS, 1 * HOUR_MS, 3 * HOUR_MS,
    6 * HOUR_MS,    12 * HOUR_MS,   DAY_MS,        DAY_MS,         DAY_MS,      DAY_MS,
};

void hk_retry_schedule_default(hk_retry_schedule *out)
{
    memset(out, 0, sizeof *out);
    out->n = sizeof default_delays / sizeof default_delays[0];
    memcpy(out->delay_ms, default_delays, sizeof default_delays);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims spaces off [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

static hk_status parse_item(const char *item, size_t len, size_t index, hk_retry_schedule *out,
                            hk_error *err)
{
    trim(&item, &len);
    if (len == 0)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid retry schedule: item %zu is empty (use e.g. 10s,5m,1h)",
                            index + 1);
    int64_t ms = 0;
    if (hk_duration_parse(item, len, &ms) != HK_OK)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid retry schedule: item %zu '%.*s' is not a duration "
                            "(a number followed by ms, s, m, h or d)",
                            index + 1, (int)(len > 40 ? 40 : len), item);
    if (ms > HK_RETRY_DELAY_MAX_MS)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid retry schedule: item %zu '%.*s' is longer than 365d",
                            index + 1, (int)len, item);
    if (out->n == HK_RETRY_MAX)
        return hk_error_set(err, HK_EINVAL, NULL, "invalid retry schedule: more than %d retries",
                            HK_RETRY_MAX);
    out->delay_ms[out->n++] = ms;
    return HK_OK;
}

hk_status hk_retry_schedule_parse(const char *text, hk_retry_schedule *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return hk_error_set(err, HK_EINVAL, NULL, "invalid retry schedule: none given");
    const char *all = text;
    size_t all_len = strlen(text);
    trim(&all, &all_len);
    if (all_len == 0 || (all_len == 4 && strncmp(all, "none", 4) == 0))
        return HK_OK;

    const char *p = all, *end = all + all_len;
    for (size_t index = 0;; index++) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        hk_status st = parse_item(p, (size_t)(item_end - p), index, out, err);
        if (st) {
            memset(out, 0, sizeof *out);
            return st;
        }
        if (!comma)
            return HK_OK;
        p = comma + 1;
    }
}

/* The largest unit that writes `ms` exactly. */
static int format_delay(int64_t ms, char *out, size_t size)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{DAY_MS, "d"}, {HOUR_MS, "h"}, {MINUTE_MS, "m"}, {SECOND_MS, "s"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms > 0 && ms % units[i].ms == 0)
            return snprintf(out, size, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
    return snprintf(out, size, "%lldms", (long long)ms);
}

char *hk_retry_schedule_format(const hk_retry_schedule *s, char *out, size_t size)
{
    if (size == 0)
        return out;
    out[0] = '\0';
    if (s->n == 0) {
        snprintf(out, size, "none");
        return out;
    }
    size_t used = 0;
    for (size_t i = 0; i < s->n && used + 1 < size; i++) {
        if (i > 0)
            out[used++] = ',';
        out[used] = '\0';
        int w = format_delay(s->delay_ms[i], out + used, size - used);
        if (w < 0 || (size_t)w >= size - used)
            break; /* truncated: snprintf left a terminated prefix */
        used += (size_t)w;
    }
    out[size - 1] = '\0';
    return out;
}

int64_t hk_retry_next(const hk_retry_schedule *s, uint32_t attempt_number,
                      int64_t end_of_attempt_ms)
{
    if (attempt_number == 0)
        attempt_number = 1;
    /* Attempt k failed: retry #k comes next, with delay_ms[k - 1]. */
    if (attempt_number > s->n)
        return HK_TIME_NONE;
    return end_of_attempt_ms + s->delay_ms[attempt_number - 1];
}

uint32_t hk_retry_max_attempts(const hk_retry_schedule *s)
{
    return (uint32_t)s->n + 1;
}
