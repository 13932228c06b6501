/*
 * detail.c - turning the first failure of a parse into a message a person
 * can act on: "payload.customer.customerGroupMemberships[0].color: ...".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "verify_int.h"

/* Appends to buf[*used..size), keeping it NUL-terminated; stops when full. */
static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

/* Outermost frame first, so the path reads left to right. */
static void append_path(char *buf, size_t size, size_t *used, const hkv_path *p)
{
    if (!p)
        return;
    append_path(buf, size, used, p->up);
    if (!p->key)
        append(buf, size, used, "[%zu]", p->index);
    else if (*used > 0)
        append(buf, size, used, ".%s", p->key);
    else
        append(buf, size, used, "%s", p->key);
}

bool hkv_fail(hkv_ctx *c, hk_verify_result r, const hkv_path *at, const char *key, const char *fmt,
              ...)
{
    if (c->result != HK_VERIFY_OK)
        return false;
    c->result = r;
    if (!c->detail || c->detail_size == 0)
        return false;
    size_t used = 0;
    c->detail[0] = '\0';
    hkv_path leaf = {.up = at, .key = key};
    append_path(c->detail, c->detail_size, &used, key ? &leaf : at);
    if (used > 0)
        append(c->detail, c->detail_size, &used, ": ");
    va_list ap;
    va_start(ap, fmt);
    if (used + 1 < c->detail_size)
        vsnprintf(c->detail + used, c->detail_size - used, fmt, ap);
    va_end(ap);
    return false;
}

void hkv_detail(char *detail, size_t detail_size, const char *text)
{
    if (detail && detail_size > 0)
        snprintf(detail, detail_size, "%s", text);
}
