#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/utf8.h"

/* A whole record fits in PIPE_BUF (4096 on Linux), so one write(2) to a pipe
 * is atomic and records from different threads or processes never mix. */
#define LINE_MAX_BYTES 4096
#define PREFIX_LEN (HK_TIME_ISO_LEN + 7) /* time, ' ', 5-char level, ' ' */
#define ELLIPSIS "..."

static _Atomic int current_level = HK_LOG_INFO;
static _Atomic int current_format = HK_LOG_FORMAT_TEXT;

static const char *const names[HK_LOG_OFF + 1] = {
    [HK_LOG_DEBUG] = "debug", [HK_LOG_INFO] = "info", [HK_LOG_WARN] = "warn",
    [HK_LOG_ERROR] = "error", [HK_LOG_OFF] = "off",
};

static const char *const labels[HK_LOG_OFF] = {
    [HK_LOG_DEBUG] = "DEBUG",
    [HK_LOG_INFO] = "INFO ",
    [HK_LOG_WARN] = "WARN ",
    [HK_LOG_ERROR] = "ERROR",
};

void hk_log_set_level(hk_log_level level)
{
    if ((unsigned)level > HK_LOG_OFF)
        level = HK_LOG_OFF;
    atomic_store_explicit(&current_level, (int)level, memory_order_relaxed);
}

hk_log_level hk_log_get_level(void)
{
    return (hk_log_level)atomic_load_explicit(&current_level, memory_order_relaxed);
}

hk_status hk_log_level_parse(const char *s, hk_log_level *out)
{
    *out = 0;
    if (!s)
        return HK_EINVAL;
    for (int i = 0; i <= HK_LOG_OFF; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (hk_log_level)i;
            return HK_OK;
        }
    }
    return HK_EINVAL;
}

void hk_log_set_format(hk_log_format format)
{
    atomic_store_explicit(&current_format, format == HK_LOG_FORMAT_JSON, memory_order_relaxed);
}

hk_status hk_log_format_parse(const char *s, hk_log_format *out)
{
    *out = HK_LOG_FORMAT_TEXT;
    if (s && strcasecmp(s, "text") == 0)
        return HK_OK;
    if (s && strcasecmp(s, "json") == 0) {
        *out = HK_LOG_FORMAT_JSON;
        return HK_OK;
    }
    return HK_EINVAL;
}

/* Line breaks in a message (often from user input) would let it forge
 * records of its own; other control bytes could mess up a terminal. */
static void sanitize(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t')
            s[i] = ' ';
        else if (c == 0x7f)
            s[i] = ' ';
    }
}

/* Cuts msg to fit `room` bytes with a visible "...", at a UTF-8 character
 * boundary so the line stays valid text. Returns the new length. */
static size_t truncate_message(char *msg, size_t room)
{
    size_t cut = room - strlen(ELLIPSIS);
    while (cut > 0 && ((unsigned char)msg[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(msg + cut, ELLIPSIS, strlen(ELLIPSIS));
    return cut + strlen(ELLIPSIS);
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere left to report a logging failure */
        p += w;
        n -= (size_t)w;
    }
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none starts there. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80                    ? 1
                 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                 : (s[0] & 0xF0) == 0xE0        ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                                : 0;
    if (len == 0 || len > n || !hk_utf8_valid((const char *)s, len))
        return 0;
    return len;
}

/* Writes msg as the contents of a JSON string: quotes, backslashes and control characters
 * escaped, bytes that are not UTF-8 replaced by U+FFFD, stopping (at a character boundary)
 * before `room` bytes. Returns the bytes written; *used: the bytes of msg they stand for. */
static size_t json_escape(char *out, size_t room, const char *msg, size_t n, size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    size_t w = 0, i = 0;
    while (i < n) {
        const unsigned char c = (unsigned char)msg[i];
        char esc[8];
        size_t len, adv;
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c, len = 2, adv = 1;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4], esc[5] = hex[c & 15], len = 6, adv = 1;
        } else if ((adv = utf8_seq((const unsigned char *)msg + i, n - i)) > 0) {
            memcpy(esc, msg + i, adv), len = adv;
        } else {
            memcpy(esc, "\xEF\xBF\xBD", 3), len = 3, adv = 1;
        }
        if (w + len > room)
            break;
        memcpy(out + w, esc, len);
        w += len;
        i += adv;
    }
    *used = i;
    return w;
}

/* Formats a message into msg: its length, and *cut when it did not fit whole. */
static size_t format_message(char msg[LINE_MAX_BYTES], bool *cut, const char *fmt, va_list ap)
{
    int n = vsnprintf(msg, LINE_MAX_BYTES, fmt, ap);
    *cut = n >= LINE_MAX_BYTES;
    return n < 0 ? 0 : *cut ? LINE_MAX_BYTES - 1 : (size_t)n;
}

/* The ids' fields (',"eventId":"..."' ...) into out (room bytes at most): their length. Ids
 * are short (HK_ID_MAX), so every one fits in the room kept for them. */
static size_t id_fields(char *out, size_t room, const hk_log_ids *ids)
{
    if (!ids)
        return 0;
    const struct {
        const char *name, *value;
    } f[] = {{"workspaceId", ids->workspace_id},
             {"webhookTargetId", ids->target_id},
             {"eventId", ids->event_id},
             {"attemptId", ids->attempt_id}};
    size_t w = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (!f[i].value || !f[i].value[0])
            continue;
        int head = snprintf(out + w, room - w, ",\"%s\":\"", f[i].name);
        if (head < 0 || (size_t)head + 2 > room - w)
            break;
        w += (size_t)head;
        size_t used;
        w += json_escape(out + w, room - w - 1, f[i].value, strlen(f[i].value), &used);
        out[w++] = '"';
    }
    return w;
}

/* Room kept in a JSON line for the ids' fields: four names and ids, escaped. */
#define ID_FIELDS_MAX 512

/* msg (n bytes) is the message, or its start when `cut`. */
static void log_json(hk_log_level level, const hk_log_ids *ids, const char *msg, size_t n, bool cut)
{
    char line[LINE_MAX_BYTES];
    char time[HK_TIME_ISO_BUF];
    hk_time_format(hk_now_ms(), time);
    int head = snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", time,
                        names[level]);
    const char tail[] = "}\n";
    /* Room for the message, then "..." if it is cut, its closing quote, the ids, the tail. */
    size_t room =
        sizeof line - (size_t)head - (sizeof tail - 1) - strlen(ELLIPSIS) - 1 - ID_FIELDS_MAX;
    size_t used;
    size_t len = (size_t)head + json_escape(line + head, room, msg, n, &used);
    if (used < n || cut) {
        memcpy(line + len, ELLIPSIS, strlen(ELLIPSIS));
        len += strlen(ELLIPSIS);
    }
    line[len++] = '"';
    len += id_fields(line + len, ID_FIELDS_MAX, ids);
    memcpy(line + len, tail, sizeof tail - 1);
    write_all(line, len + sizeof tail - 1);
}

static void vlog(hk_log_level level, const hk_log_ids *ids, const char *fmt, va_list ap)
{
    if ((unsigned)level >= HK_LOG_OFF || (int)level < (int)hk_log_get_level())
        return;
    if (atomic_load_explicit(&current_format, memory_order_relaxed) == HK_LOG_FORMAT_JSON) {
        char msg[LINE_MAX_BYTES];
        bool cut;
        size_t len = format_message(msg, &cut, fmt, ap);
        log_json(level, ids, msg, len, cut);
        return;
    }
    char line[LINE_MAX_BYTES + 1]; /* + the NUL vsnprintf always writes */
    hk_time_format(hk_now_ms(), line);
    line[HK_TIME_ISO_LEN] = ' ';
    memcpy(line + HK_TIME_ISO_LEN + 1, labels[level], 5);
    line[PREFIX_LEN - 1] = ' ';

    /* Room for the message and its '\n'. */
    size_t room = LINE_MAX_BYTES - PREFIX_LEN - 1;
    int n = vsnprintf(line + PREFIX_LEN, room + 1, fmt, ap);
    if (n < 0)
        n = 0;
    size_t len = (size_t)n;
    if (len > room)
        len = truncate_message(line + PREFIX_LEN, room);
    sanitize(line + PREFIX_LEN, len);
    line[PREFIX_LEN + len] = '\n';
    write_all(line, PREFIX_LEN + len + 1);
}

void hk_log(hk_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void hk_log_with(hk_log_level level, const hk_log_ids *ids, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, ids, fmt, ap);
    va_end(ap);
}

bool hk_log_gate_fail(hk_log_gate *g, int64_t now_ms, unsigned *suppressed)
{
    *suppressed = 0;
    g->failures++;
    if (g->failures > 1 && now_ms - g->logged_at < g->window_ms) {
        g->suppressed++;
        return false;
    }
    *suppressed = g->suppressed;
    g->suppressed = 0;
    g->logged_at = now_ms;
    return true;
}

bool hk_log_gate_ok(hk_log_gate *g, unsigned *failures)
{
    *failures = g->failures;
    bool ended = g->failures > 0;
    g->failures = g->suppressed = 0;
    g->logged_at = 0;
    return ended;
}

void hk_log_report(const char *program, const char *fmt, ...)
{
    char msg[LINE_MAX_BYTES];
    bool cut;
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_message(msg, &cut, fmt, ap);
    va_end(ap);
    if (atomic_load_explicit(&current_format, memory_order_relaxed) == HK_LOG_FORMAT_JSON) {
        log_json(HK_LOG_ERROR, NULL, msg, len, cut);
        return;
    }
    sanitize(msg, len);
    char line[LINE_MAX_BYTES + 64];
    int w = snprintf(line, sizeof line, "%s: %.*s\n", program, (int)len, msg);
    write_all(line, w < 0 ? 0 : (size_t)w < sizeof line ? (size_t)w : sizeof line - 1);
}
