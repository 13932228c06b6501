#include "core/utf8.h"

#include <stdint.h>

static bool is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/*
 * Length of the well-formed sequence at s[0..n), 0 if there is none. The
 * narrower ranges for the second byte (Unicode Table 3-7) are what exclude
 * overlong forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
 */
static size_t sequence_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0x01 && c <= 0x7F)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0; /* NUL, a stray continuation byte, C0, C1, F5..FF */
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (!is_cont(s[i]))
            return 0;
    }
    return len;
}

bool hk_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (!s)
        return n == 0;
    while (i < n) {
        /* Fast path: ASCII is by far the common case. */
        if (p[i] >= 0x01 && p[i] <= 0x7F) {
            i++;
            continue;
        }
        size_t len = sequence_len(p + i, n - i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

size_t hk_utf8_count(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += !is_cont(p[i]);
    return count;
}
