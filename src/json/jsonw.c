#include "json/jsonw.h"

#include <string.h>

#include "core/clock.h"

static const char hex_digits[] = "0123456789abcdef";

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char replacement[] = "\xEF\xBF\xBD";

jsonw_mark jsonw_begin(hk_buf *b)
{
    jsonw_mark m = {b->len, b->err};
    b->err = HK_OK;
    return m;
}

hk_status jsonw_end(hk_buf *b, jsonw_mark m)
{
    hk_status st = b->err;
    if (st) {
        b->len = m.len;
        if (b->data)
            b->data[b->len] = '\0';
    }
    if (m.err)
        b->err = m.err;
    return st;
}

hk_status jsonw_raw(hk_buf *b, const char *s, size_t n)
{
    return hk_buf_append(b, s, n);
}

/*
 * Length (2..4) of the well-formed multi-byte UTF-8 sequence at s[0..n), or
 * 0 when it is ill-formed; then *bad is the length of its maximal subpart,
 * the bytes that one U+FFFD replaces (Unicode 15, §3.9, table 3-7 gives the
 * allowed second-byte ranges that exclude overlongs, surrogates and
 * code points above U+10FFFF).
 */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3;
    else {
        *bad = 1;
        return 0;
    }
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    size_t i = 1;
    while (i <= need && i < n && s[i] >= lo && s[i] <= hi) {
        lo = 0x80;
        hi = 0xBF;
        i++;
    }
    if (i == need + 1)
        return i;
    *bad = i;
    return 0;
}

static void put_escape(hk_buf *b, unsigned char c)
{
    switch (c) {
    case '"':
        JSONW_LIT(b, "\\\"");
        return;
    case '\\':
        JSONW_LIT(b, "\\\\");
        return;
    case '\b':
        JSONW_LIT(b, "\\b");
        return;
    case '\f':
        JSONW_LIT(b, "\\f");
        return;
    case '\n':
        JSONW_LIT(b, "\\n");
        return;
    case '\r':
        JSONW_LIT(b, "\\r");
        return;
    case '\t':
        JSONW_LIT(b, "\\t");
        return;
    default: {
        char u[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 15]};
        hk_buf_append(b, u, sizeof u);
    }
    }
}

/* Copies runs of bytes that need no escaping in one append each: names and
 * ids are usually a single run. */
static void put_escaped(hk_buf *b, const unsigned char *p, size_t n)
{
    size_t run = 0, i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        size_t bad = 0, len = c >= 0x80 ? utf8_seq(p + i, n - i, &bad) : 0;
        if (len) {
            i += len;
            continue;
        }
        hk_buf_append(b, p + run, i - run);
        if (c >= 0x80) {
            JSONW_LIT(b, replacement);
            i += bad;
        } else {
            put_escape(b, c);
            i++;
        }
        run = i;
    }
    hk_buf_append(b, p + run, n - run);
}

hk_status jsonw_string_n(hk_buf *b, const char *s, size_t n)
{
    jsonw_mark m = jsonw_begin(b);
    /* The common case (nothing to escape) then needs a single allocation. */
    if (hk_buf_reserve(b, n + 2) == HK_OK) {
        hk_buf_putc(b, '"');
        put_escaped(b, (const unsigned char *)s, n);
        hk_buf_putc(b, '"');
    }
    return jsonw_end(b, m);
}

hk_status jsonw_string(hk_buf *b, const char *s)
{
    return jsonw_string_n(b, s, strlen(s));
}

hk_status jsonw_string_or_null(hk_buf *b, const char *s)
{
    return s ? jsonw_string(b, s) : jsonw_null(b);
}

hk_status jsonw_null(hk_buf *b)
{
    return JSONW_LIT(b, "null");
}

hk_status jsonw_bool(hk_buf *b, bool v)
{
    return v ? JSONW_LIT(b, "true") : JSONW_LIT(b, "false");
}

hk_status jsonw_int(hk_buf *b, int64_t v)
{
    return hk_buf_put_i64(b, (long long)v);
}

hk_status jsonw_uint(hk_buf *b, uint64_t v)
{
    char tmp[24];
    char *end = tmp + sizeof tmp, *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return hk_buf_append(b, p, (size_t)(end - p));
}

hk_status jsonw_time(hk_buf *b, int64_t unix_ms)
{
    if (unix_ms == HK_TIME_NONE)
        return jsonw_null(b);
    char q[HK_TIME_ISO_BUF + 1];
    q[0] = '"';
    hk_time_format(unix_ms, q + 1);
    q[HK_TIME_ISO_LEN + 1] = '"';
    return hk_buf_append(b, q, HK_TIME_ISO_LEN + 2);
}
