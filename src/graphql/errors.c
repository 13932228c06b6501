/*
 * errors.c - the list of GraphQL errors a request collects, and its JSON
 * form: {"message","locations":[{"line","column"}],"path":[...],
 * "extensions":{"code"}}.
 *
 * Errors live in the request's arena. Past `max` errors, further ones are
 * counted in `dropped` and not kept, so an abusive document cannot make the
 * response grow without bound.
 */
#include <stdio.h>
#include <string.h>

#include "graphql/graphql_int.h"
#include "json/jsonw.h"

void gql_errs_init(gql_errlist *e, hk_arena *a, unsigned max)
{
    memset(e, 0, sizeof *e);
    e->arena = a;
    e->max = max;
}

/* The path as a JSON array, root first. Depth is bounded by the document's
 * depth limit and list nesting, so a fixed-size walk suffices. */
static const char *path_json(hk_arena *a, const gql_path *path)
{
    const gql_path *chain[256];
    size_t n = 0;
    for (const gql_path *p = path; p && n < sizeof chain / sizeof chain[0]; p = p->prev)
        chain[n++] = p;
    hk_buf b;
    hk_buf_init(&b, (size_t)64 << 10);
    (void)hk_buf_putc(&b, '[');
    while (n--) {
        if (b.len > 1)
            (void)hk_buf_putc(&b, ',');
        if (chain[n]->key)
            (void)jsonw_string(&b, chain[n]->key);
        else
            (void)jsonw_uint(&b, chain[n]->index);
    }
    (void)hk_buf_putc(&b, ']');
    const char *s = b.err ? NULL : hk_arena_strndup(a, b.data, b.len);
    hk_buf_free(&b);
    return s;
}

void gql_errs_addv(gql_errlist *e, const char *code, const gql_loc *loc, const gql_path *path,
                   const char *fmt, va_list ap)
{
    char msg[2048]; /* field-merging messages run to about 1,100 characters */
    if (e->n >= e->max) {
        e->dropped++;
        return;
    }
    vsnprintf(msg, sizeof msg, fmt, ap);
    gql_err *err = hk_arena_calloc(e->arena, 1, sizeof *err);
    if (!err || !(err->message = hk_arena_strdup(e->arena, msg)) ||
        (path && !(err->path = path_json(e->arena, path)))) {
        e->st = HK_ENOMEM;
        return;
    }
    err->code = code;
    if (loc && loc->line) {
        err->loc = *loc;
        err->has_loc = true;
    }
    if (e->tail)
        e->tail->next = err;
    else
        e->head = err;
    e->tail = err;
    e->n++;
}

void gql_errs_add_locs(gql_errlist *e, const char *code, const gql_loc *locs, size_t n,
                       const char *fmt, ...)
{
    va_list ap;
    unsigned before = e->n;
    va_start(ap, fmt);
    gql_errs_addv(e, code, n ? &locs[0] : NULL, NULL, fmt, ap);
    va_end(ap);
    if (e->n == before || n < 2)
        return;
    gql_loc *more = hk_arena_alloc(e->arena, (n - 1) * sizeof *more);
    if (!more) {
        e->st = HK_ENOMEM;
        return;
    }
    memcpy(more, locs + 1, (n - 1) * sizeof *more);
    e->tail->more_locs = more;
    e->tail->nmore_locs = n - 1;
}

void gql_errs_add(gql_errlist *e, const char *code, const gql_loc *loc, const gql_path *path,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_errs_addv(e, code, loc, path, fmt, ap);
    va_end(ap);
}

static void write_one(const gql_err *err, hk_buf *b)
{
    (void)JSONW_LIT(b, "{\"message\":");
    (void)jsonw_string(b, err->message);
    if (err->has_loc) {
        (void)JSONW_LIT(b, ",\"locations\":[{\"line\":");
        (void)jsonw_uint(b, err->loc.line);
        (void)JSONW_LIT(b, ",\"column\":");
        (void)jsonw_uint(b, err->loc.col);
        for (size_t i = 0; i < err->nmore_locs; i++) {
            (void)JSONW_LIT(b, "},{\"line\":");
            (void)jsonw_uint(b, err->more_locs[i].line);
            (void)JSONW_LIT(b, ",\"column\":");
            (void)jsonw_uint(b, err->more_locs[i].col);
        }
        (void)JSONW_LIT(b, "}]");
    }
    if (err->path) {
        (void)JSONW_LIT(b, ",\"path\":");
        (void)hk_buf_puts(b, err->path);
    }
    (void)JSONW_LIT(b, ",\"extensions\":{\"code\":");
    (void)jsonw_string(b, err->code ? err->code : GQL_CODE_INTERNAL);
    (void)JSONW_LIT(b, "}}");
}

void gql_errs_write(const gql_errlist *e, hk_buf *b)
{
    (void)hk_buf_putc(b, '[');
    for (const gql_err *err = e->head; err; err = err->next) {
        if (err != e->head)
            (void)hk_buf_putc(b, ',');
        write_one(err, b);
    }
    (void)hk_buf_putc(b, ']');
}
