/*
 * execute.c - request execution (spec §6) and the response document.
 *
 * The pipeline is: size check, parse, validate, pick the operation, coerce
 * variables, execute. Execution writes the "data" JSON straight into a
 * buffer as fields complete; when a non-null field turns out null, the
 * buffer is cut back to the start of the nearest nullable ancestor, which
 * then becomes null (§6.4.4). Fields run one at a time in document order,
 * which is also what mutations require.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql_int.h"
#include "json/jsonw.h"

/* Fields collected under one response key (§6.3.2). */
typedef struct fgroup {
    const char *key;
    const gql_field_def *def; /* on the object type; NULL for __typename */
    gql_vec nodes;            /* const ast_sel * */
} fgroup;

/* CollectFields depends only on the selections, the object type and the
 * variables, so its result is kept for the request: the items of a list
 * share one collection instead of redoing it each. */
typedef struct collected {
    struct collected *next;
    const ast_sel *const *nodes; /* the merged fields; NULL for the operation */
    const gql_type *obj;
    const fgroup *groups;
    size_t ngroups;
} collected;

#define COLLECT_SLOTS 64

typedef struct exec {
    const gql_schema *s;
    const gql_request *req;
    hk_arena *a;
    gql_limits lim;
    const gql_document *doc;
    const ast_operation *op;
    gql_varvals vars;
    gql_errlist *errs;
    hk_buf *out;
    size_t nfields, nitems;
    size_t nintro;       /* introspection fields and list items */
    unsigned gen;        /* visited-fragment generation */
    unsigned *frag_mark; /* per fragment of doc */
    collected *cache[COLLECT_SLOTS];
    bool failed; /* gql_request_fail or a limit: abort */
    const char *fail_code;
    int fail_status;
    const char *fail_msg;
    int field_status;       /* highest status asked for by gql_field_error_status */
    const char *field_code; /* its code */
    hk_status st;           /* HK_ENOMEM etc.: abort with 500 */
} exec;

struct gql_field_ctx {
    exec *ex;
    const gql_type *parent;
    const gql_field_def *def;
    const ast_sel *const *nodes;
    size_t nnodes;
    const gql_path *path;
    const gql_value_entry *args;
    size_t nargs;
    bool errored;
};

static void fail_request(exec *ex, const char *code, int status, const char *fmt, ...)
    HK_PRINTF(4, 5);

static void fail_request(exec *ex, const char *code, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (ex->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ex->failed = true;
    ex->fail_code = code ? code : GQL_CODE_INTERNAL;
    ex->fail_status = status ? status : 500;
    ex->fail_msg = hk_arena_strdup(ex->a, msg);
    if (!ex->fail_msg)
        ex->st = HK_ENOMEM;
}

/* Cuts the output back to `len` (dropping a value that became null). */
static void cut(hk_buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

static bool aborted(const exec *ex)
{
    return ex->failed || ex->st || ex->errs->st || ex->out->err;
}

/* ---------------------------------------------------------- collecting */

static bool directive_if(exec *ex, const ast_directive *d)
{
    for (size_t i = 0; i < d->nargs; i++) {
        const ast_value *v = d->args[i].value;
        if (strcmp(d->args[i].name, "if") != 0)
            continue;
        if (v->kind == AV_BOOL)
            return v->b;
        for (size_t k = 0; v->kind == AV_VAR && k < ex->vars.n; k++) {
            const gql_value *vv = ex->vars.values[k];
            if (strcmp(ex->vars.defs[k].name, v->s) == 0)
                return vv && vv->kind == GQL_V_BOOL && vv->u.b;
        }
    }
    return false;
}

/* @skip / @include (§6.3.2 step 2.b-c). */
static bool should_include(exec *ex, const ast_directive *dirs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(dirs[i].name, "skip") == 0 && directive_if(ex, &dirs[i]))
            return false;
        if (strcmp(dirs[i].name, "include") == 0 && !directive_if(ex, &dirs[i]))
            return false;
    }
    return true;
}

static bool applies(const gql_type *obj, const gql_type *cond)
{
    return cond == obj || gql_type_possible(cond, obj);
}

static hk_status add_to_group(exec *ex, gql_vec *groups, const ast_sel *s)
{
    const char *key = s->alias ? s->alias : s->name;
    fgroup *g = NULL;
    for (size_t i = 0; i < groups->n && !g; i++)
        if (strcmp(((fgroup *)groups->items)[i].key, key) == 0)
            g = (fgroup *)groups->items + i;
    if (!g) {
        if (!(g = gql_vec_push(groups, sizeof *g, ex->a)))
            return HK_ENOMEM;
        g->key = key;
    }
    const ast_sel **slot = gql_vec_push(&g->nodes, sizeof *slot, ex->a);
    if (!slot)
        return HK_ENOMEM;
    *slot = s;
    return HK_OK;
}

/* CollectFields for one selection set; the recursion follows inline
 * fragments and spreads, each fragment at most once per generation. */
static hk_status collect(exec *ex, const gql_type *obj, const ast_selset *set, gql_vec *groups)
{
    hk_status st = HK_OK;
    for (size_t i = 0; !st && set && i < set->n; i++) {
        const ast_sel *s = &set->items[i];
        if (!should_include(ex, s->dirs, s->ndirs))
            continue;
        if (s->kind == SEL_FIELD) {
            st = add_to_group(ex, groups, s);
        } else if (s->kind == SEL_INLINE) {
            if (!s->type_cond || applies(obj, gql_schema_type(ex->s, s->type_cond)))
                st = collect(ex, obj, s->sel, groups);
        } else {
            size_t f = gql_doc_fragment_index(ex->doc, s->name);
            if (f >= ex->doc->nfrags || ex->frag_mark[f] == ex->gen)
                continue;
            ex->frag_mark[f] = ex->gen;
            const ast_fragment *fr = &ex->doc->frags[f];
            if (applies(obj, gql_schema_type(ex->s, fr->type_cond)))
                st = collect(ex, obj, fr->sel, groups);
        }
    }
    return st;
}

/* -------------------------------------------------------------- output */

static bool write_generic(exec *ex, const gql_result *r, int depth)
{
    hk_buf *b = ex->out;
    if (depth > GQL_MAX_NESTING)
        return false;
    switch (r->kind) {
    case GQL_R_NULL:
        (void)jsonw_null(b);
        return true;
    case GQL_R_BOOL:
        (void)jsonw_bool(b, r->u.b);
        return true;
    case GQL_R_INT:
        (void)jsonw_int(b, r->u.i);
        return true;
    case GQL_R_FLOAT:
        if (r->u.f != r->u.f || r->u.f - r->u.f != 0)
            return false; /* NaN or infinite */
        gql_format_double(b, r->u.f);
        return true;
    case GQL_R_STRING:
    case GQL_R_ENUM:
        (void)jsonw_string_n(b, r->u.str.s, r->u.str.len);
        return true;
    case GQL_R_RAW:
        (void)jsonw_raw(b, r->u.str.s, r->u.str.len);
        return true;
    case GQL_R_LIST:
        (void)hk_buf_putc(b, '[');
        for (size_t i = 0; i < r->u.list.n; i++) {
            if (i)
                (void)hk_buf_putc(b, ',');
            if (!write_generic(ex, &r->u.list.items[i], depth + 1))
                return false;
        }
        (void)hk_buf_putc(b, ']');
        return true;
    case GQL_R_MAP:
        (void)hk_buf_putc(b, '{');
        for (size_t i = 0; i < r->u.map.n; i++) {
            if (i)
                (void)hk_buf_putc(b, ',');
            (void)jsonw_string(b, r->u.map.entries[i].name);
            (void)hk_buf_putc(b, ':');
            if (!write_generic(ex, &r->u.map.entries[i].value, depth + 1))
                return false;
        }
        (void)hk_buf_putc(b, '}');
        return true;
    case GQL_R_OBJECT:
        break;
    }
    return false;
}

/* ----------------------------------------------------------- completing */

static bool exec_object(exec *ex, const gql_type *obj, const gql_result *parent,
                        const ast_sel *const *nodes, size_t nnodes, const gql_path *path);

static void field_err(gql_field_ctx *fc, const gql_path *path, const char *fmt, ...)
    HK_PRINTF(3, 4);

static void field_err(gql_field_ctx *fc, const gql_path *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_errs_addv(fc->ex->errs, GQL_CODE_INTERNAL, &fc->nodes[0]->loc, path, fmt, ap);
    va_end(ap);
    fc->errored = true;
}

static bool write_int(gql_field_ctx *fc, const gql_result *r, const gql_path *path)
{
    double d = r->kind == GQL_R_FLOAT ? r->u.f : (double)r->u.i;
    if ((r->kind != GQL_R_INT && r->kind != GQL_R_FLOAT) || d != d || d < -2147483648.0 ||
        d > 2147483647.0 || d != (double)(int64_t)d) {
        field_err(fc, path, "Int cannot represent non 32-bit signed integer value.");
        return false;
    }
    (void)jsonw_int(fc->ex->out, (int64_t)d);
    return true;
}

static bool write_scalar(gql_field_ctx *fc, const gql_type *t, const gql_result *r,
                         const gql_path *path)
{
    hk_buf *b = fc->ex->out;
    switch (t->scalar) {
    case GQL_S_INT:
        return write_int(fc, r, path);
    case GQL_S_FLOAT:
        if ((r->kind == GQL_R_INT || r->kind == GQL_R_FLOAT) && write_generic(fc->ex, r, 0))
            return true;
        field_err(fc, path, "Float cannot represent non numeric value.");
        return false;
    case GQL_S_BOOLEAN:
        if (r->kind == GQL_R_BOOL) {
            (void)jsonw_bool(b, r->u.b);
            return true;
        }
        field_err(fc, path, "Boolean cannot represent a non boolean value.");
        return false;
    case GQL_S_STRING:
    case GQL_S_ID:
        if (r->kind == GQL_R_STRING || r->kind == GQL_R_ENUM) {
            (void)jsonw_string_n(b, r->u.str.s, r->u.str.len);
            return true;
        }
        if (r->kind == GQL_R_INT) {
            (void)hk_buf_printf(b, "\"%lld\"", (long long)r->u.i);
            return true;
        }
        field_err(fc, path, "%s cannot represent value.", t->name);
        return false;
    case GQL_S_CUSTOM:
        break;
    }
    if (r->kind != GQL_R_OBJECT && write_generic(fc->ex, r, 0))
        return true;
    field_err(fc, path, "%s cannot represent value.", t->name);
    return false;
}

static bool write_enum(gql_field_ctx *fc, const gql_type *t, const gql_result *r,
                       const gql_path *path)
{
    if ((r->kind == GQL_R_ENUM || r->kind == GQL_R_STRING) && gql_enum_has(t, r->u.str.s)) {
        (void)jsonw_string_n(fc->ex->out, r->u.str.s, r->u.str.len);
        return true;
    }
    field_err(fc, path, "Enum \"%s\" cannot represent value: \"%s\"", t->name,
              r->kind == GQL_R_ENUM || r->kind == GQL_R_STRING ? r->u.str.s : "?");
    return false;
}

/* The concrete object type of a composite result, or NULL after an error. */
static const gql_type *concrete_type(gql_field_ctx *fc, const gql_type *t, const gql_result *r,
                                     const gql_path *path)
{
    const char *name = r->kind == GQL_R_OBJECT ? r->u.obj.type
                       : r->kind == GQL_R_MAP  ? r->u.map.type
                                               : NULL;
    if (r->kind != GQL_R_OBJECT && r->kind != GQL_R_MAP) {
        field_err(fc, path, "Expected an object for field \"%s.%s\".", fc->parent->name,
                  fc->def->name);
        return NULL;
    }
    if (!name && t->kind == GQL_T_OBJECT)
        return t;
    if (!name) {
        field_err(fc, path,
                  "Abstract type \"%s\" must resolve to an Object type at runtime for field "
                  "\"%s.%s\".",
                  t->name, fc->parent->name, fc->def->name);
        return NULL;
    }
    const gql_type *obj = gql_schema_type(fc->ex->s, name);
    if (!obj || obj->kind != GQL_T_OBJECT || !applies(obj, t)) {
        field_err(fc, path, "Runtime Object type \"%s\" is not a possible type for \"%s\".", name,
                  t->name);
        return NULL;
    }
    return obj;
}

static bool complete(gql_field_ctx *fc, const gql_typeref *tr, const gql_result *r,
                     const gql_path *path);

static bool complete_list(gql_field_ctx *fc, const gql_typeref *tr, const gql_result *r,
                          const gql_path *path)
{
    exec *ex = fc->ex;
    if (r->kind != GQL_R_LIST) {
        field_err(fc, path, "Expected Iterable, but did not find one for field \"%s.%s\".",
                  fc->parent->name, fc->def->name);
        return false;
    }
    if (gql_type_is_introspection(fc->parent)) {
        ex->nintro += r->u.list.n;
        if (ex->nintro > ex->lim.max_introspection_fields) {
            fail_request(ex, GQL_CODE_VALIDATION_FAILED, 400,
                         "The query resolves more than %zu introspection fields; narrow it.",
                         ex->lim.max_introspection_fields);
            return false;
        }
    } else if ((ex->nitems += r->u.list.n) > ex->lim.max_list_items) {
        fail_request(ex, GQL_CODE_VALIDATION_FAILED, 400,
                     "The result has more than %zu list items; narrow the query.",
                     ex->lim.max_list_items);
        return false;
    }
    (void)hk_buf_putc(ex->out, '[');
    for (size_t i = 0; i < r->u.list.n; i++) {
        gql_path item = {path, NULL, i};
        if (i)
            (void)hk_buf_putc(ex->out, ',');
        size_t mark = ex->out->len;
        if (complete(fc, tr->of, &r->u.list.items[i], &item))
            continue;
        if (tr->of->kind == GQL_TR_NONNULL || aborted(ex))
            return false;
        cut(ex->out, mark); /* a nullable item absorbs the error */
        (void)jsonw_null(ex->out);
    }
    (void)hk_buf_putc(ex->out, ']');
    return true;
}

/* CompleteValue (§6.4.3). False: the value is an error that makes the
 * nearest nullable ancestor null (the caller cuts the output back). */
static bool complete(gql_field_ctx *fc, const gql_typeref *tr, const gql_result *r,
                     const gql_path *path)
{
    if (tr->kind == GQL_TR_NONNULL) {
        if (r->kind != GQL_R_NULL)
            return complete(fc, tr->of, r, path);
        if (!fc->errored)
            field_err(fc, path, "Cannot return null for non-nullable field %s.%s.",
                      fc->parent->name, fc->def->name);
        return false;
    }
    if (r->kind == GQL_R_NULL) {
        (void)jsonw_null(fc->ex->out);
        return true;
    }
    if (tr->kind == GQL_TR_LIST)
        return complete_list(fc, tr, r, path);
    const gql_type *t = tr->type;
    if (t->kind == GQL_T_SCALAR)
        return write_scalar(fc, t, r, path);
    if (t->kind == GQL_T_ENUM)
        return write_enum(fc, t, r, path);
    const gql_type *obj = concrete_type(fc, t, r, path);
    return obj && exec_object(fc->ex, obj, r, fc->nodes, fc->nnodes, path);
}

/* ------------------------------------------------------------- resolving */

/* An argument's field error, worded as graphql-js's getArgumentValues words it. */
static void arg_error(gql_field_ctx *fc, const gql_loc *loc, const char *fmt, ...) HK_PRINTF(3, 4);

static void arg_error(gql_field_ctx *fc, const gql_loc *loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_errs_addv(fc->ex->errs, GQL_CODE_BAD_USER_INPUT, loc, fc->path, fmt, ap);
    va_end(ap);
    fc->errored = true;
}

/* CoerceArgumentValues (spec §6.4.1): a field error, and the field null,
 * for a value that validation could not see wrong (a variable null or not
 * provided where a value must be, one that does not fit inside a literal). */
static hk_status coerce_args(gql_field_ctx *fc)
{
    exec *ex = fc->ex;
    const ast_sel *node = fc->nodes[0];
    const gql_field_def *def = fc->def;
    gql_value_entry *args = hk_arena_calloc(ex->a, def->nargs ? def->nargs : 1, sizeof *args);
    char msg[256] = "";
    size_t n = 0;
    if (!args)
        return HK_ENOMEM;
    for (size_t i = 0; i < def->nargs; i++) {
        const gql_input_def *d = &def->args[i];
        const ast_value *v = NULL;
        const char *ts = NULL;
        bool absent = true, nonnull = d->type->kind == GQL_TR_NONNULL;
        hk_status st = HK_OK;
        for (size_t k = 0; k < node->nargs; k++)
            if (strcmp(node->args[k].name, d->name) == 0)
                v = node->args[k].value;
        const gql_value *vv = v && v->kind == AV_VAR ? gql_var_value(&ex->vars, v->s) : NULL;
        if (nonnull && !(ts = gql_typeref_str(d->type, ex->a)))
            return HK_ENOMEM;
        if (v && v->kind == AV_VAR && !vv) {
            const char *var = v->s;
            v = NULL; /* not provided: as if the argument were not given */
            if (nonnull && !d->defval) {
                arg_error(fc, &node->loc,
                          "Argument \"%s\" of required type \"%s\" was provided the variable "
                          "\"$%s\" which was not provided a runtime value.",
                          d->name, ts, var);
                return HK_EINVAL;
            }
        } else if (vv && vv->kind == GQL_V_NULL && nonnull) {
            arg_error(fc, &v->loc, "Argument \"%s\" of non-null type \"%s\" must not be null.",
                      d->name, ts);
            return HK_EINVAL;
        }
        if (v)
            st = gql_coerce_literal(d->type, v, &ex->vars, ex->a, &args[n].value, &absent, msg,
                                    sizeof msg);
        else if (d->defval)
            st = gql_coerce_literal(d->type, d->defval, NULL, ex->a, &args[n].value, &absent, msg,
                                    sizeof msg);
        else if (nonnull) {
            arg_error(fc, &node->loc, "Argument \"%s\" of required type \"%s\" was not provided.",
                      d->name, ts);
            return HK_EINVAL;
        }
        if (st == HK_EINVAL)
            arg_error(fc, v ? &v->loc : &node->loc, "Argument \"%s\" has invalid value %s.",
                      d->name, v ? gql_format_literal(ex->a, v) : "(default)");
        if (st)
            return st;
        if (!absent)
            args[n++].name = d->name;
    }
    fc->args = args;
    fc->nargs = n;
    return HK_OK;
}

/* What an unbound field resolves to: a map parent's entry, else the empty
 * value of its type (null, or [] for a non-null list). */
static hk_status default_resolve(gql_field_ctx *fc, const gql_result *parent, gql_result *out)
{
    if (parent && parent->kind == GQL_R_MAP) {
        for (size_t i = 0; i < parent->u.map.n; i++) {
            if (strcmp(parent->u.map.entries[i].name, fc->def->name) == 0) {
                *out = parent->u.map.entries[i].value;
                return HK_OK;
            }
        }
    }
    if (fc->def->type->kind == GQL_TR_NONNULL && fc->def->type->of->kind == GQL_TR_LIST)
        return gql_result_list(out, 0, fc->ex->a);
    return HK_OK;
}

static bool resolve_field(gql_field_ctx *fc, const gql_result *parent, gql_result *r)
{
    exec *ex = fc->ex;
    hk_status st = coerce_args(fc);
    if (st == HK_ENOMEM) {
        ex->st = st;
        return false;
    }
    if (st) /* the argument error is recorded; the field is null */
        return true;
    if (!fc->def->fn) {
        st = default_resolve(fc, parent, r);
    } else {
        const void *ptr = !parent                        ? NULL
                          : parent->kind == GQL_R_OBJECT ? parent->u.obj.ptr
                                                         : (const void *)parent;
        st = fc->def->fn(fc, ptr, r);
    }
    if (ex->failed)
        return false;
    if (st && !fc->errored) {
        gql_errs_add(ex->errs, GQL_CODE_INTERNAL, &fc->nodes[0]->loc, fc->path,
                     "Internal server error");
        fc->errored = true;
    }
    if (fc->errored)
        gql_result_null(r);
    return true;
}

/* ExecuteField (§6.4.2) for one response key; false propagates null. */
static bool exec_field(exec *ex, const gql_type *obj, const gql_result *parent, const fgroup *g,
                       const gql_path *path)
{
    const ast_sel *first = ((const ast_sel *const *)g->nodes.items)[0];
    if (strcmp(first->name, "__typename") == 0) {
        (void)jsonw_string(ex->out, obj->name);
        return true;
    }
    gql_field_ctx fc = {.ex = ex, .parent = obj, .path = path};
    fc.def = g->def;
    fc.nodes = g->nodes.items;
    fc.nnodes = g->nodes.n;
    if (!fc.def) { /* an interface field the object lacks: a schema bug */
        field_err(&fc, path, "Field \"%s\" is not defined on type \"%s\".", first->name, obj->name);
        (void)jsonw_null(ex->out);
        return true;
    }
    if (gql_type_is_introspection(obj) || first->name[0] == '_') { /* __schema, __type */
        if (++ex->nintro > ex->lim.max_introspection_fields) {
            fail_request(ex, GQL_CODE_VALIDATION_FAILED, 400,
                         "The query resolves more than %zu introspection fields; narrow it.",
                         ex->lim.max_introspection_fields);
            return false;
        }
    } else if (++ex->nfields > ex->lim.max_fields) {
        fail_request(ex, GQL_CODE_VALIDATION_FAILED, 400,
                     "The query resolves more than %zu fields; narrow it.", ex->lim.max_fields);
        return false;
    }
    gql_result r;
    gql_result_null(&r);
    if (!resolve_field(&fc, parent, &r))
        return false;
    size_t mark = ex->out->len;
    if (complete(&fc, fc.def->type, &r, path))
        return true;
    if (fc.def->type->kind == GQL_TR_NONNULL || aborted(ex))
        return false;
    cut(ex->out, mark);
    (void)jsonw_null(ex->out);
    return true;
}

/* The collected fields of `nodes` (the operation's when NULL) on `obj`,
 * from the cache or collected now; NULL when out of memory. */
static const collected *collect_fields(exec *ex, const gql_type *obj, const ast_sel *const *nodes,
                                       size_t nnodes)
{
    size_t slot = (((uintptr_t)nodes >> 4) ^ ((uintptr_t)obj >> 4)) % COLLECT_SLOTS;
    for (const collected *c = ex->cache[slot]; c; c = c->next)
        if (c->nodes == nodes && c->obj == obj)
            return c;
    collected *c = hk_arena_calloc(ex->a, 1, sizeof *c);
    gql_vec groups = {0};
    hk_status st = c ? HK_OK : HK_ENOMEM;
    ex->gen++;
    if (!st && !nodes)
        st = collect(ex, obj, ex->op->sel, &groups);
    for (size_t i = 0; !st && i < nnodes; i++)
        st = collect(ex, obj, nodes[i]->sel, &groups);
    if (st)
        return NULL;
    for (size_t i = 0; i < groups.n; i++) {
        fgroup *g = (fgroup *)groups.items + i;
        g->def = gql_field_lookup(ex->s, obj, ((const ast_sel **)g->nodes.items)[0]->name);
    }
    c->nodes = nodes;
    c->obj = obj;
    c->groups = groups.items;
    c->ngroups = groups.n;
    c->next = ex->cache[slot];
    ex->cache[slot] = c;
    return c;
}

/* ExecuteSelectionSet over the merged selections of `nodes` (or the
 * operation's when nodes is NULL). */
static bool exec_object(exec *ex, const gql_type *obj, const gql_result *parent,
                        const ast_sel *const *nodes, size_t nnodes, const gql_path *path)
{
    const collected *c = collect_fields(ex, obj, nodes, nnodes);
    if (!c) {
        ex->st = HK_ENOMEM;
        return false;
    }
    (void)hk_buf_putc(ex->out, '{');
    for (size_t i = 0; i < c->ngroups; i++) {
        const fgroup *g = &c->groups[i];
        gql_path p = {path, g->key, 0};
        if (i)
            (void)hk_buf_putc(ex->out, ',');
        (void)jsonw_string(ex->out, g->key);
        (void)hk_buf_putc(ex->out, ':');
        if (!exec_field(ex, obj, parent, g, &p) || aborted(ex))
            return false;
    }
    (void)hk_buf_putc(ex->out, '}');
    return true;
}

/* ---------------------------------------------------- resolver accessors */

const gql_value *gql_arg(gql_field_ctx *fc, const char *name)
{
    for (size_t i = 0; i < fc->nargs; i++)
        if (strcmp(fc->args[i].name, name) == 0)
            return &fc->args[i].value;
    return NULL;
}

void *gql_user(gql_field_ctx *fc)
{
    return fc->ex->req->user;
}

hk_arena *gql_arena(gql_field_ctx *fc)
{
    return fc->ex->a;
}

const char *gql_field_name(gql_field_ctx *fc)
{
    return fc->def->name;
}

const char *gql_field_parent_type(gql_field_ctx *fc)
{
    return fc->parent->name;
}

const gql_schema *gql_field_schema(gql_field_ctx *fc)
{
    return fc->ex->s;
}

static bool selects(exec *ex, const ast_selset *set, const char *name, int depth)
{
    for (size_t i = 0; set && i < set->n && depth < GQL_MAX_NESTING * 2; i++) {
        const ast_sel *s = &set->items[i];
        if (!should_include(ex, s->dirs, s->ndirs))
            continue;
        if (s->kind == SEL_FIELD && strcmp(s->name, name) == 0)
            return true;
        if (s->kind == SEL_INLINE && selects(ex, s->sel, name, depth + 1))
            return true;
        if (s->kind == SEL_SPREAD) {
            size_t f = gql_doc_fragment_index(ex->doc, s->name);
            if (f >= ex->doc->nfrags || ex->frag_mark[f] == ex->gen)
                continue;
            ex->frag_mark[f] = ex->gen;
            if (selects(ex, ex->doc->frags[f].sel, name, depth + 1))
                return true;
        }
    }
    return false;
}

bool gql_field_selected(gql_field_ctx *fc, const char *name)
{
    fc->ex->gen++;
    for (size_t i = 0; i < fc->nnodes; i++)
        if (selects(fc->ex, fc->nodes[i]->sel, name, 0))
            return true;
    return false;
}

typedef struct path_walk {
    exec *ex;
    const char *const *path;
    size_t n;
    unsigned char *seen; /* [level * nfrags + fragment]: walked at that level */
} path_walk;

/* Whether `set` reaches path[level..n): a fragment walked before at the same
 * level gave false then and would again, so each is walked once per level
 * (no blow-up on fragments spread many times). */
static bool selects_path(path_walk *w, const ast_selset *set, size_t level, int depth)
{
    exec *ex = w->ex;
    for (size_t i = 0; set && i < set->n && depth < GQL_MAX_NESTING * 2; i++) {
        const ast_sel *s = &set->items[i];
        if (!should_include(ex, s->dirs, s->ndirs))
            continue;
        if (s->kind == SEL_FIELD && strcmp(s->name, w->path[level]) == 0 &&
            (level + 1 == w->n || selects_path(w, s->sel, level + 1, depth + 1)))
            return true;
        if (s->kind == SEL_INLINE && selects_path(w, s->sel, level, depth + 1))
            return true;
        if (s->kind == SEL_SPREAD) {
            size_t f = gql_doc_fragment_index(ex->doc, s->name);
            if (f >= ex->doc->nfrags || w->seen[level * ex->doc->nfrags + f])
                continue;
            w->seen[level * ex->doc->nfrags + f] = 1;
            if (selects_path(w, ex->doc->frags[f].sel, level, depth + 1))
                return true;
        }
    }
    return false;
}

bool gql_field_selected_path(gql_field_ctx *fc, const char *const *path, size_t n)
{
    if (n == 0)
        return true;
    exec *ex = fc->ex;
    size_t nfrags = ex->doc->nfrags ? ex->doc->nfrags : 1;
    path_walk w = {ex, path, n, hk_arena_calloc(ex->a, n, nfrags)};
    if (!w.seen)
        return true;
    for (size_t i = 0; i < fc->nnodes; i++)
        if (selects_path(&w, fc->nodes[i]->sel, 0, 0))
            return true;
    return false;
}

hk_status gql_field_error(gql_field_ctx *fc, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_errs_addv(fc->ex->errs, code ? code : GQL_CODE_INTERNAL, &fc->nodes[0]->loc, fc->path, fmt,
                  ap);
    va_end(ap);
    fc->errored = true;
    return HK_EINVAL;
}

hk_status gql_field_error_status(gql_field_ctx *fc, const char *code, int http_status,
                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_errs_addv(fc->ex->errs, code ? code : GQL_CODE_INTERNAL, &fc->nodes[0]->loc, fc->path, fmt,
                  ap);
    va_end(ap);
    fc->errored = true;
    if (http_status > fc->ex->field_status) {
        fc->ex->field_status = http_status;
        fc->ex->field_code = code ? code : GQL_CODE_INTERNAL;
    }
    return HK_EINVAL;
}

hk_status gql_request_fail(gql_field_ctx *fc, const char *code, int http_status, const char *fmt,
                           ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_request(fc->ex, code, http_status, "%s", msg);
    return HK_EINVAL;
}

/* ------------------------------------------------------------- pipeline */

typedef enum phase_result {
    R_OK,
    R_PARSE,
    R_VALIDATION,
    R_INPUT,
    R_FAILED,
    R_INTERNAL,
} phase_result;

static phase_result parse_phase(exec *ex, gql_document **doc)
{
    const gql_request *req = ex->req;
    gql_syntax_err serr = {0};
    if (req->query_len > ex->lim.max_document_bytes) {
        gql_errs_add(ex->errs, GQL_CODE_PARSE_FAILED, NULL, NULL,
                     "The document is %zu bytes, more than the limit of %zu.", req->query_len,
                     ex->lim.max_document_bytes);
        return R_PARSE;
    }
    hk_status st = gql_parse_document(req->query ? req->query : "", req->query ? req->query_len : 0,
                                      ex->lim.max_tokens, ex->a, doc, &serr);
    if (st == HK_EPARSE) {
        gql_errs_add(ex->errs, GQL_CODE_PARSE_FAILED, &serr.loc, NULL, "%s", serr.message);
        return R_PARSE;
    }
    return st ? R_INTERNAL : R_OK;
}

static phase_result select_operation(exec *ex)
{
    const gql_document *doc = ex->doc;
    const char *name = ex->req->operation_name;
    for (size_t i = 0; name && i < doc->nops; i++)
        if (doc->ops[i].name && strcmp(doc->ops[i].name, name) == 0)
            ex->op = &doc->ops[i];
    if (!name && doc->nops == 1)
        ex->op = &doc->ops[0];
    if (ex->op)
        return R_OK;
    if (name)
        gql_errs_add(ex->errs, GQL_CODE_BAD_USER_INPUT, NULL, NULL,
                     "Unknown operation named \"%s\".", name);
    else
        gql_errs_add(ex->errs, GQL_CODE_BAD_USER_INPUT, NULL, NULL,
                     "Must provide operation name if query contains multiple operations.");
    return R_INPUT;
}

static phase_result run(exec *ex)
{
    gql_document *doc = NULL;
    phase_result pr = parse_phase(ex, &doc);
    if (pr)
        return pr;
    ex->doc = doc;
    hk_status st = gql_validate(ex->s, doc, &ex->lim, ex->a, ex->errs);
    if (st)
        return st == HK_EINVAL ? R_VALIDATION : R_INTERNAL;
    if ((pr = select_operation(ex)))
        return pr;
    st = gql_coerce_variables(ex->s, ex->op, ex->req->variables, &ex->lim, ex->a, &ex->vars,
                              ex->errs);
    if (st)
        return st == HK_EINVAL ? R_INPUT : R_INTERNAL;
    ex->frag_mark = hk_arena_calloc(ex->a, doc->nfrags ? doc->nfrags : 1, sizeof(unsigned));
    if (!ex->frag_mark)
        return R_INTERNAL;
    const gql_type *root = ex->op->kind == OP_MUTATION       ? ex->s->mutation
                           : ex->op->kind == OP_SUBSCRIPTION ? ex->s->subscription
                                                             : ex->s->query;
    static const char *const op_names[] = {"query", "mutation", "subscription"};
    /* Validation lets these through (graphql-js 16 does); executing them cannot start. */
    if (!root || ex->op->kind == OP_SUBSCRIPTION) {
        gql_errs_add(ex->errs, GQL_CODE_BAD_USER_INPUT, &ex->op->loc, NULL,
                     root ? "Subscriptions are not served over HTTP."
                          : "Schema is not configured to execute %s operation.",
                     op_names[ex->op->kind]);
        return R_INPUT;
    }
    if (!exec_object(ex, root, NULL, NULL, 0, NULL) && !aborted(ex)) {
        cut(ex->out, 0); /* a non-null root field failed: data is null */
        (void)jsonw_null(ex->out);
    }
    if (ex->failed)
        return R_FAILED;
    if (ex->st || ex->errs->st || ex->out->err)
        return R_INTERNAL;
    return R_OK;
}

static void write_error_only(hk_buf *b, const char *code, const char *msg)
{
    (void)JSONW_LIT(b, "{\"errors\":[{\"message\":");
    (void)jsonw_string(b, msg);
    (void)JSONW_LIT(b, ",\"extensions\":{\"code\":");
    (void)jsonw_string(b, code);
    (void)JSONW_LIT(b, "}}]}");
}

static void write_response(exec *ex, phase_result pr, hk_buf *data, hk_buf *out, gql_outcome *o)
{
    static const char *const codes[] = {
        [R_PARSE] = GQL_CODE_PARSE_FAILED,
        [R_VALIDATION] = GQL_CODE_VALIDATION_FAILED,
        [R_INPUT] = GQL_CODE_BAD_USER_INPUT,
    };
    switch (pr) {
    case R_PARSE:
    case R_VALIDATION:
    case R_INPUT:
        o->http_status = 400;
        o->code = codes[pr];
        o->nerrors = ex->errs->n;
        (void)JSONW_LIT(out, "{\"errors\":");
        gql_errs_write(ex->errs, out);
        (void)hk_buf_putc(out, '}');
        return;
    case R_FAILED:
        o->http_status = ex->fail_status;
        o->code = ex->fail_code;
        o->nerrors = 1;
        write_error_only(out, ex->fail_code, ex->fail_msg);
        return;
    case R_INTERNAL:
        o->http_status = 500;
        o->code = GQL_CODE_INTERNAL;
        o->nerrors = 1;
        write_error_only(out, GQL_CODE_INTERNAL, "Internal server error");
        return;
    case R_OK:
        break;
    }
    if (ex->field_status) {
        o->http_status = ex->field_status;
        o->code = ex->field_code;
    }
    o->nerrors = ex->errs->n;
    (void)hk_buf_putc(out, '{');
    if (ex->errs->n) {
        (void)JSONW_LIT(out, "\"errors\":");
        gql_errs_write(ex->errs, out);
        (void)hk_buf_putc(out, ',');
    }
    (void)JSONW_LIT(out, "\"data\":");
    (void)hk_buf_append(out, data->data, data->len);
    (void)hk_buf_putc(out, '}');
}

/* ------------------------------------------------- introspection cache */

/* The cache key of a request that may be introspection-only (its text names
 * __schema or __type): the document, the operation name, the variables
 * (sorted) and the limits, NUL-separated. NULL when it cannot be one. */
static const char *intro_key(const gql_request *req, const gql_limits *lim, size_t *len)
{
    const char *q = req->query;
    if (!q ||
        (!memmem(q, req->query_len, "__schema", 8) && !memmem(q, req->query_len, "__type", 6)))
        return NULL;
    char *vars = req->variables ? json_dumps(req->variables, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    hk_buf b;
    hk_buf_init(&b, 0);
    (void)hk_buf_append(&b, q, req->query_len);
    (void)hk_buf_printf(
        &b, "%c%c%s%c%s%c%zu,%zu,%u,%u,%zu,%zu,%u,%zu", 0, req->operation_name ? 'n' : '-',
        req->operation_name ? req->operation_name : "", 0, vars ? vars : "", 0,
        lim->max_document_bytes, lim->max_tokens, lim->max_depth, lim->max_aliases, lim->max_fields,
        lim->max_list_items, lim->max_errors, lim->max_introspection_fields);
    free(vars);
    char *key = b.err ? NULL : hk_arena_alloc(req->arena, b.len);
    if (key)
        memcpy(key, b.data, b.len);
    *len = b.len;
    hk_buf_free(&b);
    return key;
}

/* Whether the executed operation is a query of meta-fields only. */
static bool introspection_only(exec *ex)
{
    if (!ex->op || ex->op->kind != OP_QUERY || ex->errs->n)
        return false;
    const collected *c = collect_fields(ex, ex->s->query, NULL, 0);
    for (size_t i = 0; c && i < c->ngroups; i++)
        if (strncmp(((const ast_sel *const *)c->groups[i].nodes.items)[0]->name, "__", 2) != 0)
            return false;
    return c != NULL;
}

hk_status gql_execute(const gql_schema *s, const gql_request *req, hk_buf *out,
                      gql_outcome *outcome)
{
    exec ex;
    gql_errlist errs;
    hk_buf data;
    memset(&ex, 0, sizeof ex);
    memset(outcome, 0, sizeof *outcome);
    outcome->http_status = 200;
    gql_limits_resolve(req->limits, &ex.lim);
    gql_errs_init(&errs, req->arena, ex.lim.max_errors);
    size_t keylen = 0, start = out->len;
    const char *key = intro_key(req, &ex.lim, &keylen);
    if (key && gql_intro_cache_get(s, key, keylen, out))
        return HK_OK; /* 200, no errors: only such answers are kept */
    hk_buf_init(&data, out->limit);
    ex.s = s;
    ex.req = req;
    ex.a = req->arena;
    ex.errs = &errs;
    ex.out = &data;
    phase_result pr = run(&ex);
    outcome->is_mutation = ex.op && ex.op->kind == OP_MUTATION;

    jsonw_mark m = jsonw_begin(out);
    write_response(&ex, pr, &data, out, outcome);
    hk_status st = jsonw_end(out, m);
    if (!st && key && pr == R_OK && introspection_only(&ex))
        gql_intro_cache_put(s, key, keylen, out->data + start, out->len - start);
    if (st) { /* the response did not fit: say so briefly */
        m = jsonw_begin(out);
        outcome->http_status = 500;
        outcome->code = GQL_CODE_INTERNAL;
        outcome->nerrors = 1;
        write_error_only(out, GQL_CODE_INTERNAL, "Internal server error");
        st = jsonw_end(out, m);
    }
    hk_buf_free(&data);
    return st;
}
