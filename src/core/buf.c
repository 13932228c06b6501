#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hk_buf_init(hk_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit ? limit : HK_BUF_DEFAULT_LIMIT;
    b->err = HK_OK;
}

void hk_buf_free(hk_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = HK_OK;
}

void hk_buf_reset(hk_buf *b)
{
    b->len = 0;
    b->err = HK_OK;
    if (b->data)
        b->data[0] = '\0';
}

static hk_status fail(hk_buf *b, hk_status st)
{
    if (b->err == HK_OK)
        b->err = st;
    return st;
}

hk_status hk_buf_reserve(hk_buf *b, size_t extra)
{
    /* The second test matters when limit is SIZE_MAX: len + extra + 1 below
     * must not wrap. */
    if (extra > b->limit - b->len || extra >= SIZE_MAX - b->len)
        return fail(b, HK_ETOOBIG);
    size_t need = b->len + extra + 1; /* + NUL */
    if (need <= b->cap)
        return HK_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return fail(b, HK_ENOMEM);
    b->data = p;
    b->cap = cap;
    return HK_OK;
}

hk_status hk_buf_append(hk_buf *b, const void *data, size_t n)
{
    hk_status st = hk_buf_reserve(b, n);
    if (st)
        return st;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return HK_OK;
}

hk_status hk_buf_puts(hk_buf *b, const char *s)
{
    return hk_buf_append(b, s, strlen(s));
}

hk_status hk_buf_putc(hk_buf *b, char c)
{
    if (b->len + 1 < b->cap && b->len < b->limit) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return HK_OK;
    }
    return hk_buf_append(b, &c, 1);
}

hk_status hk_buf_vprintf(hk_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return fail(b, HK_EINTERNAL);
    if ((size_t)n < sizeof small)
        return hk_buf_append(b, small, (size_t)n);
    hk_status st = hk_buf_reserve(b, (size_t)n);
    if (st)
        return st;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return HK_OK;
}

hk_status hk_buf_printf(hk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hk_status st = hk_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return st;
}

hk_status hk_buf_put_i64(hk_buf *b, long long v)
{
    char tmp[24];
    char *end = tmp + sizeof tmp, *p = end;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return hk_buf_append(b, p, (size_t)(end - p));
}

char *hk_buf_steal(hk_buf *b, size_t *len_out)
{
    char *p = b->data;
    size_t len = b->len;
    if (!p) {
        p = calloc(1, 1);
        if (!p)
            return NULL;
        len = 0;
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = HK_OK;
    if (len_out)
        *len_out = len;
    return p;
}
