#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/clock.h"

/* A whole record fits in PIPE_BUF (4096 on Linux), so one write(2) to a pipe
 * is atomic and records from different threads or processes never mix. */
#define LINE_MAX_BYTES 4096
#define PREFIX_LEN (HK_TIME_ISO_LEN + 7) /* time, ' ', 5-char level, ' ' */
#define ELLIPSIS "..."

static _Atomic int current_level = HK_LOG_INFO;

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

void hk_log(hk_log_level level, const char *fmt, ...)
{
    if ((unsigned)level >= HK_LOG_OFF || (int)level < (int)hk_log_get_level())
        return;
    char line[LINE_MAX_BYTES + 1]; /* + the NUL vsnprintf always writes */
    hk_time_format(hk_now_ms(), line);
    line[HK_TIME_ISO_LEN] = ' ';
    memcpy(line + HK_TIME_ISO_LEN + 1, labels[level], 5);
    line[PREFIX_LEN - 1] = ' ';

    /* Room for the message and its '\n'. */
    size_t room = LINE_MAX_BYTES - PREFIX_LEN - 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + PREFIX_LEN, room + 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    size_t len = (size_t)n;
    if (len > room)
        len = truncate_message(line + PREFIX_LEN, room);
    sanitize(line + PREFIX_LEN, len);
    line[PREFIX_LEN + len] = '\n';
    write_all(line, PREFIX_LEN + len + 1);
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
