/*
 * schema.c - the schema object: creation from SDL, resolver binding, the
 * startup check, and the lookups validation and execution use.
 *
 * The schema owns an arena holding the whole model; after binding it is
 * only read, so one schema serves all request threads without locking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql_int.h"

hk_status gql_schema_new(const char *sdl, size_t len, gql_schema **out, hk_error *err)
{
    gql_syntax_err serr = {0};
    hk_status st;
    *out = NULL;
    gql_schema *s = calloc(1, sizeof *s);
    if (!s || !(s->arena = hk_arena_new((size_t)256 << 20))) {
        free(s);
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory loading the schema");
    }
    st = gql_sdl_load(s, sdl, len, &serr);
    if (!st && (st = gql_introspection_init(s)) == HK_ENOTFOUND) {
        st = HK_EINVAL; /* builtins.graphql and introspection.c disagree: a bug */
        snprintf(serr.message, sizeof serr.message, "introspection resolvers do not bind");
    }
    if (st == HK_ENOMEM)
        hk_error_set(err, st, NULL, "out of memory loading the schema");
    else if (st && serr.loc.line)
        hk_error_set(err, st, NULL, "%u:%u: %s", serr.loc.line, serr.loc.col, serr.message);
    else if (st)
        hk_error_set(err, st, NULL, "%s", serr.message);
    if (st) {
        gql_schema_free(s);
        return st;
    }
    *out = s;
    return HK_OK;
}

void gql_schema_free(gql_schema *s)
{
    if (!s)
        return;
    gql_introspection_free(s);
    hk_arena_free(s->arena);
    free(s);
}

hk_status gql_schema_bind(gql_schema *s, const char *type, const char *field, gql_resolve_fn fn)
{
    const gql_type *t = gql_schema_type(s, type);
    if (!t || t->kind != GQL_T_OBJECT)
        return HK_ENOTFOUND;
    for (size_t i = 0; i < t->nfields; i++) {
        if (strcmp(t->fields[i].name, field) == 0) {
            /* The model is const for readers; setup is the one writer. */
            ((gql_type *)t)->fields[i].fn = fn;
            return HK_OK;
        }
    }
    return HK_ENOTFOUND;
}

/* ---------------------------------------------------------------- lookups */

const gql_field_def *gql_type_field(const gql_type *t, const char *name)
{
    for (size_t i = 0; t && i < t->nfields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    return NULL;
}

const gql_input_def *gql_input_find(const gql_input_def *defs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

bool gql_type_is_composite(const gql_type *t)
{
    return t && (t->kind == GQL_T_OBJECT || t->kind == GQL_T_INTERFACE || t->kind == GQL_T_UNION);
}

bool gql_type_is_abstract(const gql_type *t)
{
    return t && (t->kind == GQL_T_INTERFACE || t->kind == GQL_T_UNION);
}

bool gql_type_is_input(const gql_type *t)
{
    return t && (t->kind == GQL_T_SCALAR || t->kind == GQL_T_ENUM || t->kind == GQL_T_INPUT);
}

bool gql_type_is_leaf(const gql_type *t)
{
    return t && (t->kind == GQL_T_SCALAR || t->kind == GQL_T_ENUM);
}

bool gql_type_possible(const gql_type *t, const gql_type *obj)
{
    for (size_t i = 0; t && i < t->npossible; i++)
        if (t->possible[i] == obj)
            return true;
    return false;
}

bool gql_enum_has(const gql_type *t, const char *name)
{
    for (size_t i = 0; t && i < t->nenum; i++)
        if (strcmp(t->enum_values[i].name, name) == 0)
            return true;
    return false;
}

bool gql_type_is_introspection(const gql_type *t)
{
    return t && t->name[0] == '_' && t->name[1] == '_';
}

const gql_field_def *gql_field_lookup(const gql_schema *s, const gql_type *t, const char *name)
{
    if (name[0] == '_' && name[1] == '_' && gql_type_is_composite(t)) {
        if (strcmp(name, "__typename") == 0 ||
            (t == s->query && (strcmp(name, "__schema") == 0 || strcmp(name, "__type") == 0)))
            return gql_type_field(s->meta, name);
    }
    return gql_type_field(t, name);
}

const gql_directive_def *gql_schema_directive(const gql_schema *s, const char *name)
{
    for (size_t i = 0; i < s->ndirectives; i++)
        if (strcmp(s->directives[i].name, name) == 0)
            return &s->directives[i];
    return NULL;
}

const gql_type *gql_typeref_named(const gql_typeref *tr)
{
    while (tr && tr->kind != GQL_TR_NAMED)
        tr = tr->of;
    return tr ? tr->type : NULL;
}

static void typeref_write(const gql_typeref *tr, hk_buf *b)
{
    if (tr->kind == GQL_TR_NAMED) {
        (void)hk_buf_puts(b, tr->name);
    } else if (tr->kind == GQL_TR_LIST) {
        (void)hk_buf_putc(b, '[');
        typeref_write(tr->of, b);
        (void)hk_buf_putc(b, ']');
    } else {
        typeref_write(tr->of, b);
        (void)hk_buf_putc(b, '!');
    }
}

const char *gql_typeref_str(const gql_typeref *tr, hk_arena *a)
{
    hk_buf b;
    hk_buf_init(&b, 4096);
    typeref_write(tr, &b);
    const char *s = b.err ? NULL : hk_arena_strndup(a, b.data ? b.data : "", b.len);
    hk_buf_free(&b);
    return s;
}

/* ------------------------------------------------------------------ check */

typedef struct check {
    const gql_schema *s;
    const char *const *map_types;
    size_t nmap;
    bool *seen; /* per type index */
    hk_buf *report;
    size_t count;
} check;

static size_t type_index(const gql_schema *s, const gql_type *t)
{
    for (size_t i = 0; i < s->ntypes; i++)
        if (s->types[i] == t)
            return i;
    return s->ntypes;
}

static bool is_map_type(const check *c, const gql_type *t)
{
    for (size_t i = 0; i < c->nmap; i++)
        if (strcmp(c->map_types[i], t->name) == 0)
            return true;
    return false;
}

static void check_type(check *c, const gql_type *t);

static void check_field_type(check *c, const gql_field_def *f)
{
    const gql_type *t = gql_typeref_named(f->type);
    if (!gql_type_is_composite(t))
        return;
    for (size_t i = 0; i < t->npossible; i++)
        check_type(c, t->possible[i]);
}

/* Recursion depth is bounded by the number of types: each is visited once. */
static void check_type(check *c, const gql_type *t)
{
    size_t idx = type_index(c->s, t);
    if (idx >= c->s->ntypes || c->seen[idx] || is_map_type(c, t))
        return;
    c->seen[idx] = true;
    for (size_t i = 0; i < t->nfields; i++) {
        const gql_field_def *f = &t->fields[i];
        if (f->fn) {
            check_field_type(c, f);
        } else if (f->type->kind == GQL_TR_NONNULL && f->type->of->kind != GQL_TR_LIST) {
            c->count++;
            if (c->report)
                (void)hk_buf_printf(c->report, "%s.%s\n", t->name, f->name);
        }
    }
}

size_t gql_schema_check(const gql_schema *s, const char *const *roots, size_t nroots,
                        const char *const *map_types, size_t nmap, hk_buf *report)
{
    check c = {s, map_types, nmap, calloc(s->ntypes ? s->ntypes : 1, sizeof(bool)), report, 0};
    if (!c.seen)
        return nroots ? nroots : 1;
    for (size_t i = 0; i < nroots; i++) {
        char type[128];
        const char *dot = strchr(roots[i], '.');
        const gql_type *t = NULL;
        const gql_field_def *f = NULL;
        if (dot && (size_t)(dot - roots[i]) < sizeof type) {
            snprintf(type, sizeof type, "%.*s", (int)(dot - roots[i]), roots[i]);
            t = gql_schema_type(s, type);
            f = gql_type_field(t, dot + 1);
        }
        if (!f || !f->fn) {
            c.count++;
            if (report)
                (void)hk_buf_printf(report, "%s (unknown or unbound root)\n", roots[i]);
            continue;
        }
        check_field_type(&c, f);
    }
    free(c.seen);
    return c.count;
}
