/*
 * introspection.c - the introspection system (spec §4): resolvers of the
 * meta-fields __schema and __type and of the __Schema, __Type, __Field,
 * __InputValue, __EnumValue and __Directive types over the schema model,
 * and the cache of rendered introspection answers.
 *
 * The types themselves come from builtins.graphql like any SDL; here they
 * get their resolvers. What a resolver gets as parent: __Schema the schema;
 * __Type a gql_typeref (a named type's own `self`, or a list / non-null
 * wrapper of a field's or argument's type); __Field a gql_field_def;
 * __InputValue a gql_input_def; __EnumValue a gql_enum_value; __Directive a
 * gql_directive_def. Everything is read from the schema, which outlives the
 * request: results borrow it and allocate nothing but lists.
 *
 * Answers follow graphql-js 16 (the reference tests/compat pins): lists in
 * its order, defaultValue printed as its astFromValue + print would.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql_int.h"

/* ------------------------------------------------------------ helpers */

static const gql_schema *schema_of(gql_field_ctx *fc)
{
    return gql_field_schema(fc);
}

static bool include_deprecated(gql_field_ctx *fc)
{
    const gql_value *v = gql_arg(fc, "includeDeprecated");
    return v && v->kind == GQL_V_BOOL && v->u.b;
}

/* A list of n objects at items[i * size] (NULL items skipped by keep). */
static hk_status object_list(gql_field_ctx *fc, const void *items, size_t n, size_t size,
                             bool (*keep)(const void *, bool), gql_result *out)
{
    bool all = include_deprecated(fc);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !keep || keep((const char *)items + i * size, all);
    hk_status st = gql_result_list(out, k, gql_arena(fc));
    for (size_t i = 0, j = 0; !st && i < n; i++) {
        const void *it = (const char *)items + i * size;
        if (!keep || keep(it, all))
            gql_result_object(&out->u.list.items[j++], NULL, it);
    }
    return st;
}

/* A list of the types' own named refs. */
static hk_status type_list(gql_field_ctx *fc, const gql_type *const *types, size_t n,
                           gql_result *out)
{
    hk_status st = gql_result_list(out, n, gql_arena(fc));
    for (size_t i = 0; !st && i < n; i++)
        gql_result_object(&out->u.list.items[i], NULL, &types[i]->self);
    return st;
}

/* ------------------------------------------------------------ roots */

static hk_status meta_schema(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_object(out, NULL, schema_of(fc));
    return HK_OK;
}

static hk_status meta_type(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *name = gql_arg(fc, "name");
    const gql_type *t =
        name && name->kind == GQL_V_STRING ? gql_schema_type(schema_of(fc), name->u.str.s) : NULL;
    /* A name with a NUL inside names no type. */
    if (t && strlen(name->u.str.s) == name->u.str.len)
        gql_result_object(out, NULL, &t->self);
    return HK_OK;
}

/* ------------------------------------------------------------ __Schema */

static hk_status schema_description(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_schema *)parent)->description);
    return HK_OK;
}

static hk_status schema_types(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_schema *s = parent;
    return type_list(fc, (const gql_type *const *)s->types, s->ntypes, out);
}

static hk_status root_ref(const gql_type *t, gql_result *out)
{
    if (t)
        gql_result_object(out, NULL, &t->self);
    return HK_OK;
}

static hk_status schema_query(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return root_ref(((const gql_schema *)parent)->query, out);
}

static hk_status schema_mutation(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return root_ref(((const gql_schema *)parent)->mutation, out);
}

static hk_status schema_subscription(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return root_ref(((const gql_schema *)parent)->subscription, out);
}

static bool keep_directive(const void *d, bool all)
{
    return all || !((const gql_directive_def *)d)->deprecation;
}

static hk_status schema_directives(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_schema *s = parent;
    return object_list(fc, s->directives, s->ndirectives, sizeof *s->directives, keep_directive,
                       out);
}

/* ---------------------------------------------------------------- __Type */

/* The named type of a ref that is itself named, else NULL (a wrapper). */
static const gql_type *named(const void *parent)
{
    const gql_typeref *tr = parent;
    return tr->kind == GQL_TR_NAMED ? tr->type : NULL;
}

static hk_status type_kind(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    static const char *const kinds[] = {
        [GQL_T_SCALAR] = "SCALAR", [GQL_T_OBJECT] = "OBJECT", [GQL_T_INTERFACE] = "INTERFACE",
        [GQL_T_UNION] = "UNION",   [GQL_T_ENUM] = "ENUM",     [GQL_T_INPUT] = "INPUT_OBJECT",
    };
    const gql_typeref *tr = parent;
    const gql_type *t = named(parent);
    gql_result_enum(out, t ? kinds[t->kind] : tr->kind == GQL_TR_LIST ? "LIST" : "NON_NULL");
    return HK_OK;
}

static hk_status type_name(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    gql_result_string(out, t ? t->name : NULL);
    return HK_OK;
}

static hk_status type_description(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    gql_result_string(out, t ? t->description : NULL);
    return HK_OK;
}

static hk_status type_specified_by(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    gql_result_string(out, t && t->kind == GQL_T_SCALAR ? t->specified_by : NULL);
    return HK_OK;
}

static bool keep_field(const void *f, bool all)
{
    return all || !((const gql_field_def *)f)->deprecation;
}

static hk_status type_fields(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    if (!t || (t->kind != GQL_T_OBJECT && t->kind != GQL_T_INTERFACE))
        return HK_OK;
    return object_list(fc, t->fields, t->nfields, sizeof *t->fields, keep_field, out);
}

static hk_status type_interfaces(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    if (!t || (t->kind != GQL_T_OBJECT && t->kind != GQL_T_INTERFACE))
        return HK_OK;
    return type_list(fc, t->ifaces, t->nifaces, out);
}

static hk_status type_possible(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    if (!gql_type_is_abstract(t))
        return HK_OK;
    return type_list(fc, t->possible, t->npossible, out);
}

static bool keep_enum(const void *v, bool all)
{
    return all || !((const gql_enum_value *)v)->deprecation;
}

static hk_status type_enum_values(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    if (!t || t->kind != GQL_T_ENUM)
        return HK_OK;
    return object_list(fc, t->enum_values, t->nenum, sizeof *t->enum_values, keep_enum, out);
}

static bool keep_input(const void *d, bool all)
{
    return all || !((const gql_input_def *)d)->deprecation;
}

static hk_status type_input_fields(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    if (!t || t->kind != GQL_T_INPUT)
        return HK_OK;
    return object_list(fc, t->inputs, t->ninputs, sizeof *t->inputs, keep_input, out);
}

static hk_status type_of_type(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_typeref *tr = parent;
    if (tr->kind != GQL_TR_NAMED)
        gql_result_object(out, NULL, tr->of);
    return HK_OK;
}

static hk_status type_is_one_of(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_type *t = named(parent);
    if (t && t->kind == GQL_T_INPUT)
        gql_result_bool(out, t->one_of);
    return HK_OK;
}

/* ----------------------------------------- __Field, __InputValue, __EnumValue */

static hk_status field_name(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_field_def *)parent)->name);
    return HK_OK;
}

static hk_status field_description(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_field_def *)parent)->description);
    return HK_OK;
}

static hk_status field_args(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_field_def *f = parent;
    return object_list(fc, f->args, f->nargs, sizeof *f->args, keep_input, out);
}

static hk_status field_type(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_object(out, NULL, ((const gql_field_def *)parent)->type);
    return HK_OK;
}

static hk_status field_is_deprecated(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_bool(out, ((const gql_field_def *)parent)->deprecation != NULL);
    return HK_OK;
}

static hk_status field_deprecation(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_field_def *)parent)->deprecation);
    return HK_OK;
}

static hk_status input_name(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_input_def *)parent)->name);
    return HK_OK;
}

static hk_status input_description(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_input_def *)parent)->description);
    return HK_OK;
}

static hk_status input_type(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_object(out, NULL, ((const gql_input_def *)parent)->type);
    return HK_OK;
}

static hk_status input_is_deprecated(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_bool(out, ((const gql_input_def *)parent)->deprecation != NULL);
    return HK_OK;
}

static hk_status input_deprecation(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_input_def *)parent)->deprecation);
    return HK_OK;
}

/* Whether text is an integer as JavaScript prints one ("-0" is not). */
static bool integer_text(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        return s[1] == '\0';
    if (*s < '1' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9')
        s++;
    return *s == '\0';
}

/* astFromValue(value, type) then print (graphql-js): false when there is
 * nothing to print (the value is absent). Depth follows the value. */
static bool print_value(hk_buf *b, const gql_typeref *tr, const gql_value *v, int depth)
{
    if (depth > GQL_MAX_NESTING)
        return false;
    if (tr->kind == GQL_TR_NONNULL)
        return v->kind != GQL_V_NULL && print_value(b, tr->of, v, depth);
    if (v->kind == GQL_V_NULL) {
        (void)hk_buf_puts(b, "null");
        return true;
    }
    if (tr->kind == GQL_TR_LIST) {
        if (v->kind != GQL_V_LIST)
            return print_value(b, tr->of, v, depth + 1);
        (void)hk_buf_putc(b, '[');
        for (size_t i = 0, k = 0; i < v->u.list.n; i++) {
            size_t mark = b->len;
            if (k)
                (void)hk_buf_puts(b, ", ");
            if (print_value(b, tr->of, &v->u.list.items[i], depth + 1))
                k++;
            else
                b->len = mark;
        }
        (void)hk_buf_putc(b, ']');
        return true;
    }
    const gql_type *t = tr->type;
    if (t->kind == GQL_T_INPUT) {
        if (v->kind != GQL_V_OBJECT)
            return false;
        (void)hk_buf_putc(b, '{');
        for (size_t i = 0, k = 0; i < t->ninputs; i++) {
            const gql_value *fv = gql_value_field(v, t->inputs[i].name);
            size_t mark = b->len;
            if (!fv)
                continue;
            (void)hk_buf_printf(b, "%s%s: ", k ? ", " : "", t->inputs[i].name);
            if (print_value(b, t->inputs[i].type, fv, depth + 1))
                k++;
            else
                b->len = mark;
        }
        (void)hk_buf_putc(b, '}');
        return true;
    }
    switch (v->kind) {
    case GQL_V_BOOL:
        (void)hk_buf_puts(b, v->u.b ? "true" : "false");
        return true;
    case GQL_V_INT:
        (void)hk_buf_printf(b, "%lld", (long long)v->u.i);
        return true;
    case GQL_V_FLOAT:
        if (v->u.f != v->u.f || v->u.f - v->u.f != 0)
            return false;
        gql_format_double(b, v->u.f);
        return true;
    case GQL_V_ENUM:
        (void)hk_buf_puts(b, v->u.str.s);
        return true;
    case GQL_V_STRING:
        /* IDs that read as integers print as Int literals, as graphql-js does. */
        if (t->kind == GQL_T_SCALAR && t->scalar == GQL_S_ID &&
            strlen(v->u.str.s) == v->u.str.len && integer_text(v->u.str.s))
            (void)hk_buf_puts(b, v->u.str.s);
        else if (t->kind == GQL_T_ENUM)
            (void)hk_buf_puts(b, v->u.str.s);
        else
            gql_format_string(b, v->u.str.s, v->u.str.len);
        return true;
    case GQL_V_LIST:
    case GQL_V_OBJECT:
    case GQL_V_NULL:
        break;
    }
    return false; /* a custom scalar's list or object: graphql-js cannot print it either */
}

static hk_status input_default(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_input_def *d = parent;
    hk_arena *a = gql_arena(fc);
    gql_value v;
    bool absent;
    char msg[64];
    hk_status st = HK_OK;
    if (!d->defval)
        return HK_OK;
    /* An invalid default is no default (graphql-js's valueFromAST gives undefined). */
    if (gql_coerce_literal(d->type, d->defval, NULL, a, &v, &absent, msg, sizeof msg) || absent)
        return HK_OK;
    hk_buf b;
    hk_buf_init(&b, (size_t)1 << 20);
    if (print_value(&b, d->type, &v, 0) && !b.err)
        st = gql_result_string_copy(out, b.data ? b.data : "", b.len, a);
    hk_buf_free(&b);
    return st;
}

static hk_status enum_name(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_enum_value *)parent)->name);
    return HK_OK;
}

static hk_status enum_description(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_enum_value *)parent)->description);
    return HK_OK;
}

static hk_status enum_is_deprecated(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_bool(out, ((const gql_enum_value *)parent)->deprecation != NULL);
    return HK_OK;
}

static hk_status enum_deprecation(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_enum_value *)parent)->deprecation);
    return HK_OK;
}

/* ----------------------------------------------------------- __Directive */

static hk_status dir_name(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_directive_def *)parent)->name);
    return HK_OK;
}

static hk_status dir_description(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_directive_def *)parent)->description);
    return HK_OK;
}

static hk_status dir_repeatable(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_bool(out, ((const gql_directive_def *)parent)->repeatable);
    return HK_OK;
}

static hk_status dir_locations(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_directive_def *d = parent;
    hk_status st = gql_result_list(out, d->nlocs, gql_arena(fc));
    for (size_t i = 0; !st && i < d->nlocs; i++)
        gql_result_enum(&out->u.list.items[i], gql_dir_loc_names[d->loc_order[i]]);
    return st;
}

static hk_status dir_args(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_directive_def *d = parent;
    return object_list(fc, d->args, d->nargs, sizeof *d->args, keep_input, out);
}

static hk_status dir_is_deprecated(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_bool(out, ((const gql_directive_def *)parent)->deprecation != NULL);
    return HK_OK;
}

static hk_status dir_deprecation(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, ((const gql_directive_def *)parent)->deprecation);
    return HK_OK;
}

/* ---------------------------------------------------------------- binding */

static const struct {
    const char *type, *field;
    gql_resolve_fn fn;
} bindings[] = {
    {"__Meta", "__schema", meta_schema},
    {"__Meta", "__type", meta_type},
    {"__Schema", "description", schema_description},
    {"__Schema", "types", schema_types},
    {"__Schema", "queryType", schema_query},
    {"__Schema", "mutationType", schema_mutation},
    {"__Schema", "subscriptionType", schema_subscription},
    {"__Schema", "directives", schema_directives},
    {"__Type", "kind", type_kind},
    {"__Type", "name", type_name},
    {"__Type", "description", type_description},
    {"__Type", "specifiedByURL", type_specified_by},
    {"__Type", "fields", type_fields},
    {"__Type", "interfaces", type_interfaces},
    {"__Type", "possibleTypes", type_possible},
    {"__Type", "enumValues", type_enum_values},
    {"__Type", "inputFields", type_input_fields},
    {"__Type", "ofType", type_of_type},
    {"__Type", "isOneOf", type_is_one_of},
    {"__Field", "name", field_name},
    {"__Field", "description", field_description},
    {"__Field", "args", field_args},
    {"__Field", "type", field_type},
    {"__Field", "isDeprecated", field_is_deprecated},
    {"__Field", "deprecationReason", field_deprecation},
    {"__InputValue", "name", input_name},
    {"__InputValue", "description", input_description},
    {"__InputValue", "type", input_type},
    {"__InputValue", "defaultValue", input_default},
    {"__InputValue", "isDeprecated", input_is_deprecated},
    {"__InputValue", "deprecationReason", input_deprecation},
    {"__EnumValue", "name", enum_name},
    {"__EnumValue", "description", enum_description},
    {"__EnumValue", "isDeprecated", enum_is_deprecated},
    {"__EnumValue", "deprecationReason", enum_deprecation},
    {"__Directive", "name", dir_name},
    {"__Directive", "description", dir_description},
    {"__Directive", "isRepeatable", dir_repeatable},
    {"__Directive", "locations", dir_locations},
    {"__Directive", "args", dir_args},
    {"__Directive", "isDeprecated", dir_is_deprecated},
    {"__Directive", "deprecationReason", dir_deprecation},
};

/* __Meta is not in the type map: its fields are bound through s->meta. */
static hk_status bind_one(gql_schema *s, const char *type, const char *field, gql_resolve_fn fn)
{
    gql_type *t = (gql_type *)(strcmp(type, "__Meta") == 0 ? s->meta : gql_schema_type(s, type));
    for (size_t i = 0; t && i < t->nfields; i++) {
        if (strcmp(t->fields[i].name, field) == 0) {
            t->fields[i].fn = fn;
            return HK_OK;
        }
    }
    return HK_ENOTFOUND;
}

/* ------------------------------------------------------------------ cache */

/*
 * Rendered answers of introspection-only operations, by request: the same
 * document, operation name, variables and limits always give the same
 * answer from an immutable schema, and tools (GraphiQL, codegen, IDEs) send
 * the same introspection query again and again. A few entries, replaced in
 * turn; an answer larger than INTRO_CACHE_MAX_BODY is not kept.
 */
#define INTRO_CACHE_SLOTS 8
#define INTRO_CACHE_MAX_BODY ((size_t)8 << 20)

typedef struct intro_entry {
    char *key;
    size_t keylen;
    char *body;
    size_t len;
} intro_entry;

struct gql_intro_cache {
    pthread_mutex_t lock;
    intro_entry e[INTRO_CACHE_SLOTS];
    unsigned next;
};

hk_status gql_introspection_init(gql_schema *s)
{
    hk_status st = HK_OK;
    for (size_t i = 0; !st && i < sizeof bindings / sizeof bindings[0]; i++)
        st = bind_one(s, bindings[i].type, bindings[i].field, bindings[i].fn);
    if (st)
        return st;
    s->intro_cache = calloc(1, sizeof *s->intro_cache);
    if (!s->intro_cache)
        return HK_ENOMEM;
    pthread_mutex_init(&s->intro_cache->lock, NULL);
    return HK_OK;
}

void gql_introspection_free(gql_schema *s)
{
    gql_intro_cache *c = s ? s->intro_cache : NULL;
    if (!c)
        return;
    for (size_t i = 0; i < INTRO_CACHE_SLOTS; i++) {
        free(c->e[i].key);
        free(c->e[i].body);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
    s->intro_cache = NULL;
}

bool gql_intro_cache_get(const gql_schema *s, const char *key, size_t keylen, hk_buf *out)
{
    gql_intro_cache *c = s->intro_cache;
    bool hit = false;
    if (!c)
        return false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < INTRO_CACHE_SLOTS && !hit; i++) {
        const intro_entry *e = &c->e[i];
        if (e->key && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
            hit = hk_buf_append(out, e->body, e->len) == HK_OK;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void gql_intro_cache_put(const gql_schema *s, const char *key, size_t keylen, const char *body,
                         size_t len)
{
    gql_intro_cache *c = s->intro_cache;
    if (!c || len > INTRO_CACHE_MAX_BODY)
        return;
    char *k = malloc(keylen ? keylen : 1), *b = malloc(len ? len : 1);
    if (!k || !b) { /* the cache is an optimisation: without memory, no entry */
        free(k);
        free(b);
        return;
    }
    memcpy(k, key, keylen);
    memcpy(b, body, len);
    pthread_mutex_lock(&c->lock);
    intro_entry *e = &c->e[c->next++ % INTRO_CACHE_SLOTS];
    free(e->key);
    free(e->body);
    e->key = k;
    e->keylen = keylen;
    e->body = b;
    e->len = len;
    pthread_mutex_unlock(&c->lock);
}
