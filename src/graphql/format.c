/*
 * format.c - text the way the JavaScript reference implementation writes
 * it, so that responses and messages read like Plain's: numbers as
 * JavaScript prints them, and JSON values as graphql-js's inspect() shows
 * them inside error messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql_int.h"
#include "json/jsonw.h"

/* inspect() abbreviates past this nesting and list length. */
#define INSPECT_MAX_DEPTH 2
#define INSPECT_MAX_ITEMS 10

void gql_format_double(hk_buf *b, double d)
{
    char buf[40];
    /* Integral values below 1e21 print without exponent or fraction. */
    if (d > -1e18 && d < 1e18 && d == (double)(int64_t)d) {
        (void)jsonw_int(b, (int64_t)d);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* JavaScript writes exponents without leading zeros: 1e-7, not 1e-07. */
    char *e = strchr(buf, 'e');
    if (e && (e[1] == '-' || e[1] == '+')) {
        char *digits = e + 2;
        while (digits[0] == '0' && digits[1])
            memmove(digits, digits + 1, strlen(digits));
    }
    (void)hk_buf_puts(b, buf);
}

static void inspect(hk_buf *b, json_t *j, int depth)
{
    const char *key;
    json_t *v;
    size_t i = 0, n;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        if (!json_object_size(j)) {
            (void)hk_buf_puts(b, "{}");
        } else if (depth > INSPECT_MAX_DEPTH) {
            (void)hk_buf_puts(b, "[Object]");
        } else {
            (void)hk_buf_puts(b, "{ ");
            json_object_foreach(j, key, v)
            {
                (void)hk_buf_printf(b, "%s%s: ", i++ ? ", " : "", key);
                inspect(b, v, depth + 1);
            }
            (void)hk_buf_puts(b, " }");
        }
        break;
    case JSON_ARRAY:
        n = json_array_size(j);
        if (!n) {
            (void)hk_buf_puts(b, "[]");
            break;
        }
        if (depth > INSPECT_MAX_DEPTH) {
            (void)hk_buf_puts(b, "[Array]");
            break;
        }
        (void)hk_buf_putc(b, '[');
        for (i = 0; i < n && i < INSPECT_MAX_ITEMS; i++) {
            (void)hk_buf_puts(b, i ? ", " : "");
            inspect(b, json_array_get(j, i), depth + 1);
        }
        if (n - i == 1)
            (void)hk_buf_puts(b, ", ... 1 more item");
        else if (n > i)
            (void)hk_buf_printf(b, ", ... %zu more items", n - i);
        (void)hk_buf_putc(b, ']');
        break;
    case JSON_STRING:
        (void)jsonw_string_n(b, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        (void)jsonw_int(b, json_integer_value(j));
        break;
    case JSON_REAL:
        gql_format_double(b, json_real_value(j));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        (void)hk_buf_puts(b, json_is_true(j) ? "true" : "false");
        break;
    case JSON_NULL:
        (void)hk_buf_puts(b, "null");
        break;
    }
}

const char *gql_format_inspect(hk_arena *a, json_t *j)
{
    hk_buf b;
    hk_buf_init(&b, 4096); /* long values are cut: this is for messages */
    if (j)
        inspect(&b, j, 1);
    else
        (void)hk_buf_puts(&b, "undefined");
    const char *s = hk_arena_strndup(a, b.data ? b.data : "...", b.data ? b.len : 3);
    hk_buf_free(&b);
    return s ? s : "?";
}

void gql_format_string(hk_buf *b, const char *s, size_t len)
{
    (void)hk_buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\t' ? "\\t"
                          : c == '\n' ? "\\n"
                          : c == '\f' ? "\\f"
                          : c == '\r' ? "\\r"
                                      : NULL;
        if (esc)
            (void)hk_buf_puts(b, esc);
        else if (c < 0x20 || c == 0x7F)
            (void)hk_buf_printf(b, "\\u%04X", c);
        else if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                 (unsigned char)s[i + 1] <= 0x9F) /* U+0080..U+009F */
            (void)hk_buf_printf(b, "\\u%04X", (unsigned char)s[++i]);
        else
            (void)hk_buf_putc(b, (char)c);
    }
    (void)hk_buf_putc(b, '"');
}

/* Messages quote literals, not documents: long ones are cut. */
#define LITERAL_MAX 600

static void literal(hk_buf *b, const ast_value *v, int depth)
{
    if (depth > GQL_MAX_NESTING || b->len > LITERAL_MAX) {
        (void)hk_buf_puts(b, "...");
        return;
    }
    switch (v->kind) {
    case AV_VAR:
        (void)hk_buf_printf(b, "$%s", v->s);
        break;
    case AV_STRING:
        gql_format_string(b, v->s, v->len);
        break;
    case AV_BOOL:
        (void)hk_buf_puts(b, v->b ? "true" : "false");
        break;
    case AV_NULL:
        (void)hk_buf_puts(b, "null");
        break;
    case AV_INT:
    case AV_FLOAT:
    case AV_ENUM:
        (void)hk_buf_puts(b, v->s);
        break;
    case AV_LIST:
        (void)hk_buf_putc(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            (void)hk_buf_puts(b, i ? ", " : "");
            literal(b, v->items[i], depth + 1);
        }
        (void)hk_buf_putc(b, ']');
        break;
    case AV_OBJECT:
        (void)hk_buf_putc(b, '{');
        for (size_t i = 0; i < v->n; i++) {
            (void)hk_buf_printf(b, "%s%s: ", i ? ", " : "", v->fields[i].name);
            literal(b, v->fields[i].value, depth + 1);
        }
        (void)hk_buf_putc(b, '}');
        break;
    }
}

const char *gql_format_literal(hk_arena *a, const ast_value *v)
{
    hk_buf b;
    hk_buf_init(&b, 4096);
    literal(&b, v, 0);
    const char *s = b.err ? NULL : hk_arena_strndup(a, b.data ? b.data : "", b.len);
    hk_buf_free(&b);
    return s ? s : "?";
}
