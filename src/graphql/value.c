/*
 * value.c - input coercion (spec §3.5, §6.1.2, §6.4.1): request variables
 * from JSON and literals from the document to gql_value, plus the value
 * accessors resolvers use.
 *
 * Input objects come out with their fields in the order of the type's
 * definition, defaults included. Recursion follows the value's nesting and
 * is cut at GQL_MAX_NESTING, whatever the JSON parser allowed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql_int.h"

const gql_value *gql_value_field(const gql_value *obj, const char *key)
{
    if (!obj || obj->kind != GQL_V_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->u.obj.n; i++)
        if (strcmp(obj->u.obj.entries[i].name, key) == 0)
            return &obj->u.obj.entries[i].value;
    return NULL;
}

bool gql_value_is_null(const gql_value *v)
{
    return !v || v->kind == GQL_V_NULL;
}

bool gql_parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

static bool fits_int32(double d)
{
    return d >= -2147483648.0 && d <= 2147483647.0 && (double)(int32_t)d == d;
}

/* Whether d is a whole number (doubles past 2^53 all are, if finite). */
static bool is_whole(double d)
{
    if (d != d)
        return false;
    if (d >= 9007199254740992.0 || d <= -9007199254740992.0)
        return d - d == 0;
    return d == (double)(int64_t)d;
}

/* ------------------------------------------------------------ from JSON */

typedef struct jctx {
    hk_arena *a;
    const char *var;
    char path[256]; /* "input.identifier.email" */
    char reason[256];
    json_t *bad; /* the offending (sub)value */
    int depth;
} jctx;

static hk_status jfail(jctx *c, json_t *bad, const char *fmt, ...) HK_PRINTF(3, 4);

static hk_status jfail(jctx *c, json_t *bad, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
    c->bad = bad;
    return HK_EINVAL;
}

static hk_status jcoerce(jctx *c, const gql_typeref *tr, json_t *j, gql_value *out);

/* Custom scalars take any JSON as it is. */
static hk_status jgeneric(jctx *c, json_t *j, gql_value *out)
{
    if (++c->depth > GQL_MAX_NESTING)
        return jfail(c, j, "Value is nested too deeply.");
    hk_status st = HK_OK;
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(j), i = 0;
        gql_value_entry *e = hk_arena_calloc(c->a, n ? n : 1, sizeof *e);
        const char *key;
        json_t *val;
        if (!e)
            return HK_ENOMEM;
        json_object_foreach(j, key, val)
        {
            if (!(e[i].name = hk_arena_strdup(c->a, key)))
                return HK_ENOMEM;
            if ((st = jgeneric(c, val, &e[i++].value)))
                return st;
        }
        out->kind = GQL_V_OBJECT;
        out->u.obj.entries = e;
        out->u.obj.n = n;
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        gql_value *items = hk_arena_calloc(c->a, n ? n : 1, sizeof *items);
        if (!items)
            return HK_ENOMEM;
        for (size_t i = 0; !st && i < n; i++)
            st = jgeneric(c, json_array_get(j, i), &items[i]);
        out->kind = GQL_V_LIST;
        out->u.list.items = items;
        out->u.list.n = n;
        break;
    }
    case JSON_STRING:
        out->kind = GQL_V_STRING;
        out->u.str.len = json_string_length(j);
        out->u.str.s = hk_arena_strndup(c->a, json_string_value(j), out->u.str.len);
        st = out->u.str.s ? HK_OK : HK_ENOMEM;
        break;
    case JSON_INTEGER:
        out->kind = GQL_V_INT;
        out->u.i = json_integer_value(j);
        break;
    case JSON_REAL:
        out->kind = GQL_V_FLOAT;
        out->u.f = json_real_value(j);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        out->kind = GQL_V_BOOL;
        out->u.b = json_is_true(j);
        break;
    case JSON_NULL:
        out->kind = GQL_V_NULL;
        break;
    }
    c->depth--;
    return st;
}

static hk_status jscalar(jctx *c, const gql_type *t, json_t *j, gql_value *out)
{
    switch (t->scalar) {
    case GQL_S_INT:
        if (json_is_integer(j) && fits_int32((double)json_integer_value(j))) {
            out->kind = GQL_V_INT;
            out->u.i = json_integer_value(j);
            return HK_OK;
        }
        if (json_is_real(j) && fits_int32(json_real_value(j))) {
            out->kind = GQL_V_INT;
            out->u.i = (int64_t)json_real_value(j);
            return HK_OK;
        }
        /* Whole numbers out of range and everything else fail differently. */
        return jfail(c, j,
                     json_is_integer(j) || (json_is_real(j) && is_whole(json_real_value(j)))
                         ? "Int cannot represent non 32-bit signed integer value: %s"
                         : "Int cannot represent non-integer value: %s",
                     gql_format_inspect(c->a, j));
    case GQL_S_FLOAT:
        if (!json_is_number(j))
            return jfail(c, j, "Float cannot represent non numeric value: %s",
                         gql_format_inspect(c->a, j));
        out->kind = GQL_V_FLOAT;
        out->u.f = json_number_value(j);
        return HK_OK;
    case GQL_S_BOOLEAN:
        if (!json_is_boolean(j))
            return jfail(c, j, "Boolean cannot represent a non boolean value: %s",
                         gql_format_inspect(c->a, j));
        out->kind = GQL_V_BOOL;
        out->u.b = json_is_true(j);
        return HK_OK;
    case GQL_S_STRING:
    case GQL_S_ID:
        /* An ID takes any whole number, written as JavaScript writes it: JSON
         * does not tell 1.0 from 1, and graphql-js's Number.isInteger accepts both. */
        if (t->scalar == GQL_S_ID &&
            (json_is_integer(j) || (json_is_real(j) && is_whole(json_real_value(j))))) {
            hk_buf b;
            hk_buf_init(&b, 64);
            if (json_is_integer(j))
                (void)hk_buf_printf(&b, "%lld", (long long)json_integer_value(j));
            else
                gql_format_double(&b, json_real_value(j));
            out->kind = GQL_V_STRING;
            out->u.str.s = b.err ? NULL : hk_arena_strndup(c->a, b.data, b.len);
            out->u.str.len = b.len;
            hk_buf_free(&b);
            return out->u.str.s ? HK_OK : HK_ENOMEM;
        }
        if (!json_is_string(j))
            return jfail(c, j,
                         t->scalar == GQL_S_ID ? "ID cannot represent value: %s"
                                               : "String cannot represent a non string value: %s",
                         gql_format_inspect(c->a, j));
        return jgeneric(c, j, out);
    case GQL_S_CUSTOM:
        break;
    }
    return jgeneric(c, j, out);
}

static hk_status jenum(jctx *c, const gql_type *t, json_t *j, gql_value *out)
{
    const char *s = json_string_value(j);
    if (!s)
        return jfail(c, j, "Enum \"%s\" cannot represent non-string value: %s.", t->name,
                     gql_format_inspect(c->a, j));
    if (!gql_enum_has(t, s))
        return jfail(c, j, "Value %s does not exist in \"%s\" enum.%s", gql_format_inspect(c->a, j),
                     t->name,
                     gql_suggest_named(c->a, "the enum value", s, t->enum_values, t->nenum,
                                       sizeof *t->enum_values));
    out->kind = GQL_V_ENUM;
    out->u.str.s = hk_arena_strdup(c->a, s);
    out->u.str.len = strlen(s);
    return out->u.str.s ? HK_OK : HK_ENOMEM;
}

static hk_status jcoerce_lit_default(jctx *c, const gql_input_def *d, gql_value *out)
{
    char msg[256];
    bool absent = false;
    hk_status st =
        gql_coerce_literal(d->type, d->defval, NULL, c->a, out, &absent, msg, sizeof msg);
    return st == HK_EINVAL ? jfail(c, NULL, "%s", msg) : st;
}

/* Appends ".name" or "[i]" to the path; returns the old length to restore. */
static size_t path_push(jctx *c, const char *key, size_t index)
{
    size_t len = strlen(c->path);
    if (key)
        snprintf(c->path + len, sizeof c->path - len, ".%s", key);
    else
        snprintf(c->path + len, sizeof c->path - len, "[%zu]", index);
    return len;
}

static hk_status jinput(jctx *c, const gql_type *t, json_t *j, gql_value *out)
{
    const char *key;
    json_t *val;
    hk_status st = HK_OK;
    if (!json_is_object(j))
        return jfail(c, j, "Expected type \"%s\" to be an object.", t->name);
    gql_value_entry *e = hk_arena_calloc(c->a, t->ninputs ? t->ninputs : 1, sizeof *e);
    size_t n = 0;
    if (!e)
        return HK_ENOMEM;
    for (size_t i = 0; !st && i < t->ninputs; i++) {
        const gql_input_def *d = &t->inputs[i];
        json_t *fv = json_object_get(j, d->name);
        e[n].name = d->name;
        if (fv) {
            size_t mark = path_push(c, d->name, 0);
            st = jcoerce(c, d->type, fv, &e[n++].value);
            if (!st)
                c->path[mark] = '\0';
        } else if (d->defval) {
            st = jcoerce_lit_default(c, d, &e[n++].value);
        } else if (d->type->kind == GQL_TR_NONNULL) {
            const char *ts = gql_typeref_str(d->type, c->a);
            st = jfail(c, j, "Field \"%s\" of required type \"%s\" was not provided.", d->name,
                       ts ? ts : "?");
        }
    }
    /* As graphql-js: the type's fields first, then names it does not have. */
    json_object_foreach(j, key, val)
    {
        if (!st && !gql_input_find(t->inputs, t->ninputs, key))
            st =
                jfail(c, j, "Field \"%s\" is not defined by type \"%s\".%s", key, t->name,
                      gql_suggest_named(c->a, NULL, key, t->inputs, t->ninputs, sizeof *t->inputs));
    }
    out->kind = GQL_V_OBJECT;
    out->u.obj.entries = e;
    out->u.obj.n = n;
    return st;
}

static hk_status jlist(jctx *c, const gql_typeref *tr, json_t *j, gql_value *out)
{
    hk_status st = HK_OK;
    if (!json_is_array(j)) {
        /* A single value is coerced to a list of one (spec §3.11). */
        gql_value *one = hk_arena_calloc(c->a, 1, sizeof *one);
        if (!one)
            return HK_ENOMEM;
        out->kind = GQL_V_LIST;
        out->u.list.items = one;
        out->u.list.n = 1;
        return jcoerce(c, tr->of, j, one);
    }
    size_t n = json_array_size(j);
    gql_value *items = hk_arena_calloc(c->a, n ? n : 1, sizeof *items);
    if (!items)
        return HK_ENOMEM;
    for (size_t i = 0; !st && i < n; i++) {
        size_t mark = path_push(c, NULL, i);
        st = jcoerce(c, tr->of, json_array_get(j, i), &items[i]);
        if (!st)
            c->path[mark] = '\0';
    }
    out->kind = GQL_V_LIST;
    out->u.list.items = items;
    out->u.list.n = n;
    return st;
}

static hk_status jcoerce(jctx *c, const gql_typeref *tr, json_t *j, gql_value *out)
{
    hk_status st;
    if (tr->kind == GQL_TR_NONNULL) {
        if (json_is_null(j)) {
            const char *ts = gql_typeref_str(tr, c->a);
            return jfail(c, j, "Expected non-nullable type \"%s\" not to be null.", ts ? ts : "?");
        }
        return jcoerce(c, tr->of, j, out);
    }
    if (json_is_null(j)) {
        out->kind = GQL_V_NULL;
        return HK_OK;
    }
    if (++c->depth > GQL_MAX_NESTING)
        return jfail(c, j, "Value is nested too deeply.");
    if (tr->kind == GQL_TR_LIST) {
        st = jlist(c, tr, j, out);
    } else {
        const gql_type *t = tr->type;
        if (t->kind == GQL_T_SCALAR)
            st = jscalar(c, t, j, out);
        else if (t->kind == GQL_T_ENUM)
            st = jenum(c, t, j, out);
        else
            st = jinput(c, t, j, out);
    }
    c->depth--;
    return st;
}

static hk_status coerce_one_var(const ast_vardef *d, json_t *vars, hk_arena *a,
                                const gql_value **out, gql_errlist *errs)
{
    json_t *j = vars ? json_object_get(vars, d->name) : NULL;
    const char *ts = gql_typeref_str(d->type, a);
    hk_status st;
    *out = NULL;
    if (!ts)
        return HK_ENOMEM;
    gql_value *v = hk_arena_calloc(a, 1, sizeof *v);
    if (!v)
        return HK_ENOMEM;
    if (!j) {
        if (d->defval) {
            char msg[256];
            bool absent = false;
            st = gql_coerce_literal(d->type, d->defval, NULL, a, v, &absent, msg, sizeof msg);
            if (st == HK_EINVAL)
                gql_errs_add(errs, GQL_CODE_BAD_USER_INPUT, &d->loc, NULL,
                             "Variable \"$%s\" has invalid default value: %s", d->name, msg);
            *out = st ? NULL : v;
            return st;
        }
        if (d->type->kind == GQL_TR_NONNULL) {
            gql_errs_add(errs, GQL_CODE_BAD_USER_INPUT, &d->loc, NULL,
                         "Variable \"$%s\" of required type \"%s\" was not provided.", d->name, ts);
            return HK_EINVAL;
        }
        return HK_OK;
    }
    if (json_is_null(j) && d->type->kind == GQL_TR_NONNULL) {
        gql_errs_add(errs, GQL_CODE_BAD_USER_INPUT, &d->loc, NULL,
                     "Variable \"$%s\" of non-null type \"%s\" must not be null.", d->name, ts);
        return HK_EINVAL;
    }
    jctx c = {.a = a, .var = d->name};
    snprintf(c.path, sizeof c.path, "%s", d->name);
    st = jcoerce(&c, d->type, j, v);
    if (st == HK_EINVAL) {
        bool nested = strcmp(c.path, d->name) != 0;
        gql_errs_add(errs, GQL_CODE_BAD_USER_INPUT, &d->loc, NULL,
                     "Variable \"$%s\" got invalid value %s%s%s%s; %s", d->name,
                     gql_format_inspect(a, c.bad ? c.bad : j), nested ? " at \"" : "",
                     nested ? c.path : "", nested ? "\"" : "", c.reason);
    }
    *out = st ? NULL : v;
    return st;
}

/* What a walk of the variables found: values counted (it stops past the limit), and the
 * longest list with the variable it is in. */
typedef struct var_size {
    size_t values;
    size_t longest;
    const char *longest_in;
} var_size;

/* Counts `j` and what it holds, no deeper than coercion goes (it refuses what is deeper).
 * Stops once past `max` values: a walk of a huge value costs no more than the limit. */
static void count_values(json_t *j, const char *var, int depth, size_t max, var_size *sz)
{
    if (++sz->values > max || depth > GQL_MAX_NESTING + 1)
        return;
    if (json_is_array(j)) {
        size_t n = json_array_size(j);
        if (n > sz->longest) {
            sz->longest = n;
            sz->longest_in = var;
        }
        for (size_t i = 0; i < n && sz->values <= max; i++)
            count_values(json_array_get(j, i), var, depth + 1, max, sz);
    } else if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
        {
            if (sz->values > max)
                break;
            count_values(v, var, depth + 1, max, sz);
        }
    }
}

/*
 * The variables' size, checked before anything is coerced: every value is copied into the
 * request's arena (and was parsed by jansson before that), so 8 requests with 100,000-item
 * lists held 220 MB. The limits are far above what any served operation takes (list
 * arguments stop at 100 items).
 */
static bool variables_fit(json_t *vars, const gql_limits *lim, gql_errlist *errs)
{
    var_size sz = {0};
    const char *name;
    json_t *v;
    json_object_foreach(vars, name, v)
    {
        if (sz.values > lim->max_variable_values)
            break;
        count_values(v, name, 1, lim->max_variable_values, &sz);
    }
    if (sz.longest > lim->max_variable_list_items) {
        gql_errs_add(errs, GQL_CODE_BAD_USER_INPUT, NULL, NULL,
                     "Variable \"$%s\" holds a list of %zu items; a list may hold at most %zu.",
                     sz.longest_in, sz.longest, lim->max_variable_list_items);
        return false;
    }
    if (sz.values > lim->max_variable_values) {
        gql_errs_add(errs, GQL_CODE_BAD_USER_INPUT, NULL, NULL,
                     "The variables hold more than %zu values; send fewer.",
                     lim->max_variable_values);
        return false;
    }
    return true;
}

hk_status gql_coerce_variables(const gql_schema *s, const ast_operation *op, json_t *vars,
                               const gql_limits *lim, hk_arena *a, gql_varvals *out,
                               gql_errlist *errs)
{
    hk_status st = HK_OK, first = HK_OK;
    (void)s;
    out->defs = op->vars;
    out->n = op->nvars;
    out->values = hk_arena_calloc(a, op->nvars ? op->nvars : 1, sizeof *out->values);
    if (!out->values)
        return HK_ENOMEM;
    if (vars && !json_is_object(vars)) {
        gql_errs_add(errs, GQL_CODE_BAD_USER_INPUT, NULL, NULL,
                     "Variables must be provided as an Object where each property is a "
                     "variable value.");
        return HK_EINVAL;
    }
    if (vars && !variables_fit(vars, lim, errs))
        return HK_EINVAL;
    for (size_t i = 0; i < op->nvars && first != HK_ENOMEM; i++) {
        st = coerce_one_var(&op->vars[i], vars, a, &out->values[i], errs);
        if (st && (!first || st == HK_ENOMEM))
            first = st;
    }
    return first;
}

/* ------------------------------------------------------------ literals */

typedef struct lctx {
    const gql_varvals *vars;
    hk_arena *a;
    char *msg;
    size_t msgsz;
    int depth;
} lctx;

static hk_status lfail(lctx *c, const char *fmt, ...) HK_PRINTF(2, 3);

static hk_status lfail(lctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->msgsz)
        vsnprintf(c->msg, c->msgsz, fmt, ap);
    va_end(ap);
    return HK_EINVAL;
}

const gql_value *gql_var_value(const gql_varvals *vars, const char *name)
{
    for (size_t i = 0; vars && i < vars->n; i++)
        if (strcmp(vars->defs[i].name, name) == 0)
            return vars->values[i];
    return NULL;
}

static hk_status lcoerce(lctx *c, const gql_typeref *tr, const ast_value *v, gql_value *out,
                         bool *absent);

static hk_status lgeneric(lctx *c, const ast_value *v, gql_value *out)
{
    hk_status st = HK_OK;
    if (++c->depth > GQL_MAX_NESTING)
        return lfail(c, "Value is nested too deeply.");
    switch (v->kind) {
    case AV_VAR: {
        const gql_value *vv = gql_var_value(c->vars, v->s);
        out->kind = GQL_V_NULL;
        if (vv)
            *out = *vv;
        break;
    }
    case AV_INT:
        out->kind = GQL_V_INT;
        if (!gql_parse_int(v->s, &out->u.i)) {
            out->kind = GQL_V_FLOAT;
            out->u.f = strtod(v->s, NULL);
        }
        break;
    case AV_FLOAT:
        out->kind = GQL_V_FLOAT;
        out->u.f = strtod(v->s, NULL);
        break;
    case AV_STRING:
    case AV_ENUM:
        out->kind = v->kind == AV_STRING ? GQL_V_STRING : GQL_V_ENUM;
        out->u.str.s = v->s;
        out->u.str.len = v->len;
        break;
    case AV_BOOL:
        out->kind = GQL_V_BOOL;
        out->u.b = v->b;
        break;
    case AV_NULL:
        out->kind = GQL_V_NULL;
        break;
    case AV_LIST: {
        gql_value *items = hk_arena_calloc(c->a, v->n ? v->n : 1, sizeof *items);
        if (!items)
            return HK_ENOMEM;
        for (size_t i = 0; !st && i < v->n; i++)
            st = lgeneric(c, v->items[i], &items[i]);
        out->kind = GQL_V_LIST;
        out->u.list.items = items;
        out->u.list.n = v->n;
        break;
    }
    case AV_OBJECT: {
        gql_value_entry *e = hk_arena_calloc(c->a, v->n ? v->n : 1, sizeof *e);
        if (!e)
            return HK_ENOMEM;
        for (size_t i = 0; !st && i < v->n; i++) {
            e[i].name = v->fields[i].name;
            st = lgeneric(c, v->fields[i].value, &e[i].value);
        }
        out->kind = GQL_V_OBJECT;
        out->u.obj.entries = e;
        out->u.obj.n = v->n;
        break;
    }
    }
    c->depth--;
    return st;
}

static hk_status lscalar(lctx *c, const gql_type *t, const ast_value *v, gql_value *out)
{
    int64_t i;
    switch (t->scalar) {
    case GQL_S_INT:
        if (v->kind != AV_INT || !gql_parse_int(v->s, &i) || !fits_int32((double)i))
            return lfail(c, "Int cannot represent value: %s", v->s ? v->s : "?");
        out->kind = GQL_V_INT;
        out->u.i = i;
        return HK_OK;
    case GQL_S_FLOAT:
        if (v->kind != AV_INT && v->kind != AV_FLOAT)
            return lfail(c, "Float cannot represent non numeric value.");
        out->kind = GQL_V_FLOAT;
        out->u.f = strtod(v->s, NULL);
        return HK_OK;
    case GQL_S_BOOLEAN:
        if (v->kind != AV_BOOL)
            return lfail(c, "Boolean cannot represent a non boolean value.");
        return lgeneric(c, v, out);
    case GQL_S_ID:
    case GQL_S_STRING:
        if (v->kind != AV_STRING && !(t->scalar == GQL_S_ID && v->kind == AV_INT))
            return lfail(c, "%s cannot represent a non string value.", t->name);
        out->kind = GQL_V_STRING;
        out->u.str.s = v->s;
        out->u.str.len = v->len;
        return HK_OK;
    case GQL_S_CUSTOM:
        break;
    }
    return lgeneric(c, v, out);
}

static hk_status linput(lctx *c, const gql_type *t, const ast_value *v, gql_value *out)
{
    hk_status st = HK_OK;
    if (v->kind != AV_OBJECT)
        return lfail(c, "Expected value of type \"%s\", found a non-object.", t->name);
    gql_value_entry *e = hk_arena_calloc(c->a, t->ninputs ? t->ninputs : 1, sizeof *e);
    size_t n = 0;
    if (!e)
        return HK_ENOMEM;
    for (size_t i = 0; !st && i < t->ninputs; i++) {
        const gql_input_def *d = &t->inputs[i];
        const ast_value *fv = NULL;
        bool absent = false;
        for (size_t k = 0; k < v->n && !fv; k++)
            if (strcmp(v->fields[k].name, d->name) == 0)
                fv = v->fields[k].value;
        e[n].name = d->name;
        if (fv)
            st = lcoerce(c, d->type, fv, &e[n].value, &absent);
        if (!st && (!fv || absent) && d->defval) {
            absent = false;
            lctx dc = {NULL, c->a, c->msg, c->msgsz, c->depth};
            st = lcoerce(&dc, d->type, d->defval, &e[n].value, &absent);
        } else if (!st && (!fv || absent) && d->type->kind == GQL_TR_NONNULL) {
            st = lfail(c, "Field \"%s.%s\" of required type was not provided.", t->name, d->name);
        } else if (!fv) {
            absent = true;
        }
        if (!st && !absent)
            n++;
    }
    out->kind = GQL_V_OBJECT;
    out->u.obj.entries = e;
    out->u.obj.n = n;
    return st;
}

static hk_status llist(lctx *c, const gql_typeref *tr, const ast_value *v, gql_value *out)
{
    hk_status st = HK_OK;
    size_t n = v->kind == AV_LIST ? v->n : 1;
    gql_value *items = hk_arena_calloc(c->a, n ? n : 1, sizeof *items);
    if (!items)
        return HK_ENOMEM;
    for (size_t i = 0; !st && i < n; i++) {
        bool absent = false;
        st = lcoerce(c, tr->of, v->kind == AV_LIST ? v->items[i] : v, &items[i], &absent);
        if (!st && absent) /* a missing variable in a list is null */
            st = tr->of->kind == GQL_TR_NONNULL ? lfail(c, "List item must not be null.") : HK_OK;
    }
    out->kind = GQL_V_LIST;
    out->u.list.items = items;
    out->u.list.n = n;
    return st;
}

static hk_status lcoerce(lctx *c, const gql_typeref *tr, const ast_value *v, gql_value *out,
                         bool *absent)
{
    hk_status st;
    if (v->kind == AV_VAR) {
        const gql_value *vv = gql_var_value(c->vars, v->s);
        if (!vv) {
            *absent = true;
            return HK_OK;
        }
        if (vv->kind == GQL_V_NULL && tr->kind == GQL_TR_NONNULL)
            return lfail(c, "Variable \"$%s\" must not be null here.", v->s);
        *out = *vv;
        return HK_OK;
    }
    if (tr->kind == GQL_TR_NONNULL) {
        if (v->kind == AV_NULL)
            return lfail(c, "Expected a non-null value, found null.");
        st = lcoerce(c, tr->of, v, out, absent);
        return st;
    }
    if (v->kind == AV_NULL) {
        out->kind = GQL_V_NULL;
        return HK_OK;
    }
    if (++c->depth > GQL_MAX_NESTING)
        return lfail(c, "Value is nested too deeply.");
    if (tr->kind == GQL_TR_LIST) {
        st = llist(c, tr, v, out);
    } else if (tr->type->kind == GQL_T_SCALAR) {
        st = lscalar(c, tr->type, v, out);
    } else if (tr->type->kind == GQL_T_ENUM) {
        st = v->kind == AV_ENUM && gql_enum_has(tr->type, v->s)
                 ? lgeneric(c, v, out)
                 : lfail(c, "Value does not exist in \"%s\" enum.", tr->type->name);
    } else {
        st = linput(c, tr->type, v, out);
    }
    c->depth--;
    return st;
}

hk_status gql_coerce_literal(const gql_typeref *tr, const ast_value *lit, const gql_varvals *vars,
                             hk_arena *a, gql_value *out, bool *absent, char *msg, size_t msgsz)
{
    lctx c = {vars, a, msg, msgsz, 0};
    *absent = false;
    memset(out, 0, sizeof *out);
    return lcoerce(&c, tr, lit, out, absent);
}
