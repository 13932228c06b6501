/*
 * validate.c - document validation against the schema (spec §5) and the
 * abuse limits (aliases, selection depth).
 *
 * Each operation and fragment definition is walked once; fragment spreads
 * are not followed during that walk but recorded, so the work is linear in
 * the document whatever the spreads. Rules needing the whole spread graph
 * (cycles, unused fragments, variables used through fragments, depth) then
 * run over that graph iteratively, never recursing through fragments.
 *
 * Implemented: executable definitions (parser), operation name uniqueness,
 * lone anonymous operation, supported operation types, fields on correct
 * type, fragments on composite types, known types, variables are input
 * types, leaf field selections, unique fragment names, known fragments, no
 * unused fragments, possible spreads, no cycles, unique variables, no
 * undefined / unused variables, variables in allowed position, known and
 * unique arguments, required arguments, values of correct type, unique
 * input fields, known directives in valid locations, unique directives,
 * and overlapping fields can be merged, reduced to fields written in the
 * same selection set (see check_overlap).
 */
#include <stdio.h>
#include <string.h>

#include "graphql/graphql_int.h"

#define V GQL_CODE_VALIDATION_FAILED

typedef struct spread_ref {
    size_t frag; /* index in doc->frags */
    gql_loc loc;
} spread_ref;

typedef struct var_usage {
    const char *name;
    gql_loc loc;
    const gql_typeref *type; /* NULL: in a custom scalar, any type goes */
    bool loc_has_default;
} var_usage;

/* What the walk of one definition (operation or fragment) found. */
typedef struct def_info {
    gql_vec spreads; /* spread_ref */
    gql_vec usages;  /* var_usage */
} def_info;

typedef struct frag_info {
    def_info d;
    const gql_type *type; /* resolved type condition, NULL when invalid */
    int state;            /* DFS: 0 new, 1 on the stack, 2 done */
    unsigned depth;       /* selection depth of its selection set */
    unsigned chain;       /* longest spread chain starting here */
    unsigned mark;        /* reachability generation */
} frag_info;

typedef enum dir_loc {
    LOC_QUERY,
    LOC_MUTATION,
    LOC_SUBSCRIPTION,
    LOC_FIELD,
    LOC_FRAGMENT_DEFINITION,
    LOC_FRAGMENT_SPREAD,
    LOC_INLINE_FRAGMENT,
    LOC_VARIABLE_DEFINITION,
} dir_loc;

static const char *const dir_loc_names[] = {
    "QUERY",           "MUTATION",        "SUBSCRIPTION",        "FIELD", "FRAGMENT_DEFINITION",
    "FRAGMENT_SPREAD", "INLINE_FRAGMENT", "VARIABLE_DEFINITION",
};

typedef struct vctx {
    const gql_schema *s;
    const gql_document *doc;
    const gql_limits *lim;
    hk_arena *a;
    gql_errlist *errs;
    frag_info *fi;
    def_info *cur; /* the definition being walked */
    hk_status st;  /* HK_ENOMEM once allocation failed */
    unsigned gen;  /* reachability generation counter */
    gql_typeref bool_named, bool_nn;
    gql_input_def if_arg;
} vctx;

static void err(vctx *c, const gql_loc *loc, const char *fmt, ...) HK_PRINTF(3, 4);

static void err(vctx *c, const gql_loc *loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gql_errs_addv(c->errs, V, loc, NULL, fmt, ap);
    va_end(ap);
}

static const char *tstr(vctx *c, const gql_typeref *tr)
{
    const char *s = gql_typeref_str(tr, c->a);
    if (!s)
        c->st = HK_ENOMEM;
    return s ? s : "?";
}

/* -------------------------------------------------------- literal printing */

static void lit_write(const ast_value *v, hk_buf *b, int depth)
{
    if (depth > GQL_MAX_NESTING || b->len > 200) {
        (void)hk_buf_puts(b, "...");
        return;
    }
    switch (v->kind) {
    case AV_VAR:
        (void)hk_buf_printf(b, "$%s", v->s);
        break;
    case AV_STRING:
        (void)hk_buf_printf(b, "\"%.*s\"", v->len > 60 ? 60 : (int)v->len, v->s);
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
            lit_write(v->items[i], b, depth + 1);
        }
        (void)hk_buf_putc(b, ']');
        break;
    case AV_OBJECT:
        (void)hk_buf_putc(b, '{');
        for (size_t i = 0; i < v->n; i++) {
            (void)hk_buf_printf(b, "%s%s: ", i ? ", " : "", v->fields[i].name);
            lit_write(v->fields[i].value, b, depth + 1);
        }
        (void)hk_buf_putc(b, '}');
        break;
    }
}

static const char *lit_str(vctx *c, const ast_value *v)
{
    hk_buf b;
    hk_buf_init(&b, 4096);
    lit_write(v, &b, 0);
    const char *s = b.err ? "?" : hk_arena_strndup(c->a, b.data ? b.data : "", b.len);
    hk_buf_free(&b);
    if (!s)
        c->st = HK_ENOMEM;
    return s ? s : "?";
}

/* ---------------------------------------------------------------- values */

static void record_usage(vctx *c, const ast_value *v, const gql_typeref *tr, bool has_default)
{
    var_usage *u = gql_vec_push(&c->cur->usages, sizeof *u, c->a);
    if (!u) {
        c->st = HK_ENOMEM;
        return;
    }
    u->name = v->s;
    u->loc = v->loc;
    u->type = tr;
    u->loc_has_default = has_default;
}

/* Variables inside a custom scalar literal: used, with any type. */
static void record_any(vctx *c, const ast_value *v, int depth)
{
    if (depth > GQL_MAX_NESTING)
        return;
    if (v->kind == AV_VAR)
        record_usage(c, v, NULL, false);
    for (size_t i = 0; v->kind == AV_LIST && i < v->n; i++)
        record_any(c, v->items[i], depth + 1);
    for (size_t i = 0; v->kind == AV_OBJECT && i < v->n; i++)
        record_any(c, v->fields[i].value, depth + 1);
}

static void check_value(vctx *c, const gql_typeref *tr, const ast_value *v, bool has_default);

static void check_scalar(vctx *c, const gql_type *t, const ast_value *v)
{
    int64_t i;
    switch (t->scalar) {
    case GQL_S_INT:
        if (v->kind != AV_INT)
            err(c, &v->loc, "Int cannot represent non-integer value: %s", lit_str(c, v));
        else if (!gql_parse_int(v->s, &i) || i < INT32_MIN || i > INT32_MAX)
            err(c, &v->loc, "Int cannot represent non 32-bit signed integer value: %s", v->s);
        break;
    case GQL_S_FLOAT:
        if (v->kind != AV_INT && v->kind != AV_FLOAT)
            err(c, &v->loc, "Float cannot represent non numeric value: %s", lit_str(c, v));
        break;
    case GQL_S_STRING:
        if (v->kind != AV_STRING)
            err(c, &v->loc, "String cannot represent a non string value: %s", lit_str(c, v));
        break;
    case GQL_S_BOOLEAN:
        if (v->kind != AV_BOOL)
            err(c, &v->loc, "Boolean cannot represent a non boolean value: %s", lit_str(c, v));
        break;
    case GQL_S_ID:
        if (v->kind != AV_STRING && v->kind != AV_INT)
            err(c, &v->loc, "ID cannot represent a non-string and non-integer value: %s",
                lit_str(c, v));
        break;
    case GQL_S_CUSTOM:
        record_any(c, v, 0);
        break;
    }
}

static void check_input_object(vctx *c, const gql_type *t, const ast_value *v)
{
    if (v->kind != AV_OBJECT) {
        err(c, &v->loc, "Expected value of type \"%s\", found %s.", t->name, lit_str(c, v));
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const ast_objfield *f = &v->fields[i];
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = strcmp(v->fields[k].name, f->name) == 0;
        const gql_input_def *d = gql_input_find(t->inputs, t->ninputs, f->name);
        if (dup)
            err(c, &f->loc, "There can be only one input field named \"%s\".", f->name);
        else if (!d)
            err(c, &f->loc, "Field \"%s\" is not defined by type \"%s\".", f->name, t->name);
        else
            check_value(c, d->type, f->value, d->defval != NULL);
    }
    for (size_t k = 0; k < t->ninputs; k++) {
        const gql_input_def *d = &t->inputs[k];
        bool given = false;
        for (size_t i = 0; i < v->n && !given; i++)
            given = strcmp(v->fields[i].name, d->name) == 0;
        if (!given && !d->defval && d->type->kind == GQL_TR_NONNULL)
            err(c, &v->loc, "Field \"%s.%s\" of required type \"%s\" was not provided.", t->name,
                d->name, tstr(c, d->type));
    }
}

/* Values of correct type (§5.6.1); records the variables it meets. */
static void check_value(vctx *c, const gql_typeref *tr, const ast_value *v, bool has_default)
{
    if (v->kind == AV_VAR) {
        record_usage(c, v, tr, has_default);
        return;
    }
    if (tr->kind == GQL_TR_NONNULL) {
        if (v->kind == AV_NULL)
            err(c, &v->loc, "Expected value of type \"%s\", found null.", tstr(c, tr));
        else
            check_value(c, tr->of, v, false);
        return;
    }
    if (v->kind == AV_NULL)
        return;
    if (tr->kind == GQL_TR_LIST) {
        if (v->kind != AV_LIST)
            check_value(c, tr->of, v, false);
        for (size_t i = 0; v->kind == AV_LIST && i < v->n; i++)
            check_value(c, tr->of, v->items[i], false);
        return;
    }
    const gql_type *t = tr->type;
    if (!t)
        return; /* unknown variable type, reported already */
    if (t->kind == GQL_T_INPUT)
        check_input_object(c, t, v);
    else if (t->kind == GQL_T_SCALAR)
        check_scalar(c, t, v);
    else if (v->kind != AV_ENUM)
        err(c, &v->loc, "Enum \"%s\" cannot represent non-enum value: %s.", t->name, lit_str(c, v));
    else if (!gql_enum_has(t, v->s))
        err(c, &v->loc, "Value \"%s\" does not exist in \"%s\" enum.", v->s, t->name);
}

/* ------------------------------------------------------------- arguments */

/* `owner` is "field \"T.f\"" or "directive \"@d\"", `who` "Field \"f\"" or
 * "Directive \"@d\"", for messages. */
static void check_args(vctx *c, const ast_arg *args, size_t n, const gql_input_def *defs,
                       size_t ndefs, const char *owner, const char *who, const gql_loc *loc)
{
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = strcmp(args[k].name, args[i].name) == 0;
        const gql_input_def *d = gql_input_find(defs, ndefs, args[i].name);
        if (dup)
            err(c, &args[i].loc, "There can be only one argument named \"%s\".", args[i].name);
        else if (!d)
            err(c, &args[i].loc, "Unknown argument \"%s\" on %s.", args[i].name, owner);
        else
            check_value(c, d->type, args[i].value, d->defval != NULL);
    }
    for (size_t k = 0; k < ndefs; k++) {
        bool given = false;
        for (size_t i = 0; i < n && !given; i++)
            given = strcmp(args[i].name, defs[k].name) == 0;
        if (!given && !defs[k].defval && defs[k].type->kind == GQL_TR_NONNULL)
            err(c, loc, "%s argument \"%s\" of type \"%s\" is required, but it was not provided.",
                who, defs[k].name, tstr(c, defs[k].type));
    }
}

static void check_directives(vctx *c, const ast_directive *dirs, size_t n, dir_loc where)
{
    for (size_t i = 0; i < n; i++) {
        const ast_directive *d = &dirs[i];
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = strcmp(dirs[k].name, d->name) == 0;
        if (strcmp(d->name, "include") != 0 && strcmp(d->name, "skip") != 0) {
            err(c, &d->loc, "Unknown directive \"@%s\".", d->name);
            continue;
        }
        if (where != LOC_FIELD && where != LOC_FRAGMENT_SPREAD && where != LOC_INLINE_FRAGMENT)
            err(c, &d->loc, "Directive \"@%s\" may not be used on %s.", d->name,
                dir_loc_names[where]);
        if (dup)
            err(c, &d->loc, "The directive \"@%s\" can only be used once at this location.",
                d->name);
        char owner[64], who[64];
        snprintf(owner, sizeof owner, "directive \"@%s\"", d->name);
        snprintf(who, sizeof who, "Directive \"@%s\"", d->name);
        check_args(c, d->args, d->nargs, &c->if_arg, 1, owner, who, &d->loc);
    }
}

/* ------------------------------------------------------------ selections */

static void check_selset(vctx *c, const gql_type *parent, const ast_selset *set);

/* Whether some object could be of both types (§5.5.2.3). */
static bool types_overlap(const gql_type *a, const gql_type *b)
{
    for (size_t i = 0; i < a->npossible; i++)
        if (gql_type_possible(b, a->possible[i]))
            return true;
    return false;
}

static void check_field(vctx *c, const gql_type *parent, const ast_sel *f)
{
    if (strcmp(f->name, "__typename") == 0) {
        check_args(c, f->args, f->nargs, NULL, 0, "field \"__typename\"", "Field \"__typename\"",
                   &f->loc);
        if (f->sel)
            err(c, &f->loc,
                "Field \"__typename\" must not have a selection since type \"String!\" has no "
                "subfields.");
        return;
    }
    const gql_field_def *def = gql_type_field(parent, f->name);
    if (!def) {
        err(c, &f->loc, "Cannot query field \"%s\" on type \"%s\".", f->name, parent->name);
        return;
    }
    char owner[300], who[300];
    snprintf(owner, sizeof owner, "field \"%s.%s\"", parent->name, f->name);
    snprintf(who, sizeof who, "Field \"%s\"", f->name);
    check_args(c, f->args, f->nargs, def->args, def->nargs, owner, who, &f->loc);
    const gql_type *t = gql_typeref_named(def->type);
    if (gql_type_is_leaf(t) && f->sel) {
        err(c, &f->loc,
            "Field \"%s\" must not have a selection since type \"%s\" has no subfields.", f->name,
            tstr(c, def->type));
    } else if (!gql_type_is_leaf(t) && !f->sel) {
        err(c, &f->loc,
            "Field \"%s\" of type \"%s\" must have a selection of subfields. Did you mean \"%s "
            "{ ... }\"?",
            f->name, tstr(c, def->type), f->name);
    } else if (f->sel) {
        check_selset(c, t, f->sel);
    }
}

static void check_spread(vctx *c, const gql_type *parent, const ast_sel *s)
{
    size_t idx = gql_doc_fragment_index(c->doc, s->name);
    if (idx == c->doc->nfrags) {
        err(c, &s->loc, "Unknown fragment \"%s\".", s->name);
        return;
    }
    spread_ref *r = gql_vec_push(&c->cur->spreads, sizeof *r, c->a);
    if (!r) {
        c->st = HK_ENOMEM;
        return;
    }
    r->frag = idx;
    r->loc = s->loc;
    const gql_type *ft = c->fi[idx].type;
    if (ft && !types_overlap(parent, ft))
        err(c, &s->loc,
            "Fragment \"%s\" cannot be spread here as objects of type \"%s\" can never be of "
            "type \"%s\".",
            s->name, parent->name, ft->name);
}

static void check_inline(vctx *c, const gql_type *parent, const ast_sel *s)
{
    const gql_type *t = parent;
    if (s->type_cond) {
        t = gql_schema_type(c->s, s->type_cond);
        if (!t) {
            err(c, &s->type_loc, "Unknown type \"%s\".", s->type_cond);
            return;
        }
        if (!gql_type_is_composite(t)) {
            err(c, &s->type_loc, "Fragment cannot condition on non composite type \"%s\".",
                s->type_cond);
            return;
        }
        if (!types_overlap(parent, t))
            err(c, &s->loc,
                "Fragment cannot be spread here as objects of type \"%s\" can never be of type "
                "\"%s\".",
                parent->name, t->name);
    }
    check_selset(c, t, s->sel);
}

/* Structural equality of two literals (variables by name). */
static bool lit_equal(const ast_value *a, const ast_value *b, int depth)
{
    if (a->kind != b->kind || a->n != b->n || depth > GQL_MAX_NESTING)
        return false;
    switch (a->kind) {
    case AV_BOOL:
        return a->b == b->b;
    case AV_NULL:
        return true;
    case AV_LIST:
        for (size_t i = 0; i < a->n; i++)
            if (!lit_equal(a->items[i], b->items[i], depth + 1))
                return false;
        return true;
    case AV_OBJECT:
        for (size_t i = 0; i < a->n; i++)
            if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
                !lit_equal(a->fields[i].value, b->fields[i].value, depth + 1))
                return false;
        return true;
    default:
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    }
}

static bool same_args(const ast_sel *a, const ast_sel *b)
{
    if (a->nargs != b->nargs)
        return false;
    for (size_t i = 0; i < a->nargs; i++) {
        size_t k = 0;
        while (k < b->nargs && strcmp(a->args[i].name, b->args[k].name) != 0)
            k++;
        if (k == b->nargs || !lit_equal(a->args[i].value, b->args[k].value, 0))
            return false;
    }
    return true;
}

/*
 * A reduced "overlapping fields can be merged" (§5.3.2): fields of one
 * selection set answering to the same response key must be the same field
 * with the same arguments. Fields merged in through fragments are not
 * compared. `firsts` keeps the first field of each key: keys are few (a
 * schema type's fields plus the aliases), so the scan stays cheap.
 */
static void check_overlap(vctx *c, const ast_selset *set)
{
    gql_vec firsts = {0};
    for (size_t i = 0; i < set->n; i++) {
        const ast_sel *s = &set->items[i];
        if (s->kind != SEL_FIELD)
            continue;
        const char *key = s->alias ? s->alias : s->name;
        const ast_sel *prev = NULL;
        for (size_t k = 0; k < firsts.n && !prev; k++) {
            const ast_sel *f = ((const ast_sel **)firsts.items)[k];
            if (strcmp(f->alias ? f->alias : f->name, key) == 0)
                prev = f;
        }
        if (prev && strcmp(prev->name, s->name) != 0)
            err(c, &s->loc,
                "Fields \"%s\" conflict because \"%s\" and \"%s\" are different fields. Use "
                "different aliases on the fields to fetch both if this was intentional.",
                key, prev->name, s->name);
        else if (prev && !same_args(prev, s))
            err(c, &s->loc,
                "Fields \"%s\" conflict because they have differing arguments. Use different "
                "aliases on the fields to fetch both if this was intentional.",
                key);
        const ast_sel **slot = prev ? NULL : gql_vec_push(&firsts, sizeof *slot, c->a);
        if (slot)
            *slot = s;
        else if (!prev)
            c->st = HK_ENOMEM;
    }
}

/* Recursion follows the selection nesting, bounded by the parser. */
static void check_selset(vctx *c, const gql_type *parent, const ast_selset *set)
{
    check_overlap(c, set);
    for (size_t i = 0; i < set->n; i++) {
        const ast_sel *s = &set->items[i];
        switch (s->kind) {
        case SEL_FIELD:
            check_directives(c, s->dirs, s->ndirs, LOC_FIELD);
            check_field(c, parent, s);
            break;
        case SEL_SPREAD:
            check_directives(c, s->dirs, s->ndirs, LOC_FRAGMENT_SPREAD);
            check_spread(c, parent, s);
            break;
        case SEL_INLINE:
            check_directives(c, s->dirs, s->ndirs, LOC_INLINE_FRAGMENT);
            check_inline(c, parent, s);
            break;
        }
    }
}

/* ----------------------------------------------------------- definitions */

static void check_fragment_defs(vctx *c)
{
    const gql_document *doc = c->doc;
    for (size_t i = 0; i < doc->nfrags; i++) {
        const ast_fragment *f = &doc->frags[i];
        if (gql_doc_fragment_index(doc, f->name) != i)
            err(c, &f->loc, "There can be only one fragment named \"%s\".", f->name);
        const gql_type *t = gql_schema_type(c->s, f->type_cond);
        if (!t)
            err(c, &f->type_loc, "Unknown type \"%s\".", f->type_cond);
        else if (!gql_type_is_composite(t))
            err(c, &f->type_loc, "Fragment \"%s\" cannot condition on non composite type \"%s\".",
                f->name, f->type_cond);
        else
            c->fi[i].type = t;
    }
    for (size_t i = 0; i < doc->nfrags; i++) {
        const ast_fragment *f = &doc->frags[i];
        c->cur = &c->fi[i].d;
        check_directives(c, f->dirs, f->ndirs, LOC_FRAGMENT_DEFINITION);
        if (c->fi[i].type)
            check_selset(c, c->fi[i].type, f->sel);
    }
}

static void check_vardefs(vctx *c, const ast_operation *op)
{
    for (size_t i = 0; i < op->nvars; i++) {
        const ast_vardef *v = &op->vars[i];
        for (size_t k = 0; k < i; k++)
            if (strcmp(op->vars[k].name, v->name) == 0) {
                err(c, &v->loc, "There can be only one variable named \"$%s\".", v->name);
                break;
            }
        check_directives(c, v->dirs, v->ndirs, LOC_VARIABLE_DEFINITION);
        gql_typeref *named = (gql_typeref *)v->type;
        while (named->kind != GQL_TR_NAMED)
            named = (gql_typeref *)named->of;
        /* The document belongs to this request: resolving in place is fine. */
        named->type = gql_schema_type(c->s, named->name);
        if (!named->type) {
            err(c, &named->loc, "Unknown type \"%s\".", named->name);
        } else if (!gql_type_is_input(named->type)) {
            err(c, &v->loc, "Variable \"$%s\" cannot be non-input type \"%s\".", v->name,
                tstr(c, v->type));
            named->type = NULL;
        } else if (v->defval) {
            check_value(c, v->type, v->defval, false);
        }
    }
}

static const gql_type *root_type(vctx *c, const ast_operation *op)
{
    if (op->kind == OP_SUBSCRIPTION) {
        err(c, &op->loc, "Subscription operations are not supported.");
        return NULL;
    }
    if (op->kind == OP_MUTATION && !c->s->mutation) {
        err(c, &op->loc, "Schema is not configured to execute mutation operation.");
        return NULL;
    }
    return op->kind == OP_MUTATION ? c->s->mutation : c->s->query;
}

static void check_operations(vctx *c, def_info *ops)
{
    const gql_document *doc = c->doc;
    for (size_t i = 0; i < doc->nops; i++) {
        const ast_operation *op = &doc->ops[i];
        if (!op->name && doc->nops > 1)
            err(c, &op->loc, "This anonymous operation must be the only defined operation.");
        for (size_t k = 0; op->name && k < i; k++)
            if (doc->ops[k].name && strcmp(doc->ops[k].name, op->name) == 0) {
                err(c, &op->loc, "There can be only one operation named \"%s\".", op->name);
                break;
            }
        c->cur = &ops[i];
        dir_loc where = op->kind == OP_QUERY      ? LOC_QUERY
                        : op->kind == OP_MUTATION ? LOC_MUTATION
                                                  : LOC_SUBSCRIPTION;
        check_directives(c, op->dirs, op->ndirs, where);
        check_vardefs(c, op);
        const gql_type *root = root_type(c, op);
        if (root)
            check_selset(c, root, op->sel);
    }
}

/* ------------------------------------------------------- spread graph */

/*
 * Depth-first over the fragment graph with an explicit stack: reports
 * cycles and fills `order` with the fragments in post-order (each after the
 * fragments it spreads), so depths can be computed without recursion.
 */
static void check_cycles(vctx *c, size_t *order, size_t *norder)
{
    size_t nf = c->doc->nfrags;
    size_t *stack = hk_arena_calloc(c->a, nf ? nf : 1, sizeof *stack);
    size_t *next = hk_arena_calloc(c->a, nf ? nf : 1, sizeof *next);
    *norder = 0;
    if (!stack || !next) {
        c->st = HK_ENOMEM;
        return;
    }
    for (size_t root = 0; root < nf; root++) {
        size_t top = 0;
        if (c->fi[root].state)
            continue;
        stack[top++] = root;
        c->fi[root].state = 1;
        while (top) {
            size_t f = stack[top - 1];
            const def_info *d = &c->fi[f].d;
            if (next[f] == d->spreads.n) {
                c->fi[f].state = 2;
                order[(*norder)++] = f;
                top--;
                continue;
            }
            const spread_ref *r = (const spread_ref *)d->spreads.items + next[f]++;
            if (c->fi[r->frag].state == 1) {
                err(c, &r->loc, "Cannot spread fragment \"%s\" within itself.",
                    c->doc->frags[r->frag].name);
            } else if (c->fi[r->frag].state == 0) {
                c->fi[r->frag].state = 1;
                stack[top++] = r->frag;
            }
        }
    }
}

/* Pushes the not yet visited fragments `d` spreads; false on OOM. */
static bool push_unvisited(vctx *c, gql_vec *stack, const def_info *d)
{
    for (size_t k = 0; k < d->spreads.n; k++) {
        size_t g = ((const spread_ref *)d->spreads.items)[k].frag;
        if (c->fi[g].mark == c->gen)
            continue;
        c->fi[g].mark = c->gen;
        size_t *slot = gql_vec_push(stack, sizeof *slot, c->a);
        if (!slot) {
            c->st = HK_ENOMEM;
            return false;
        }
        *slot = g;
    }
    return true;
}

/* Calls `fn` once on each fragment reachable from `d`; iterative. */
static void each_reachable(vctx *c, const def_info *d, void (*fn)(vctx *, size_t, void *),
                           void *arg)
{
    gql_vec stack = {0};
    c->gen++;
    if (!push_unvisited(c, &stack, d))
        return;
    while (stack.n) {
        size_t f = ((size_t *)stack.items)[--stack.n];
        fn(c, f, arg);
        if (!push_unvisited(c, &stack, &c->fi[f].d))
            return;
    }
}

static void mark_used(vctx *c, size_t f, void *arg)
{
    bool *used = arg;
    used[f] = true;
}

static void check_unused_fragments(vctx *c, const def_info *ops)
{
    size_t nf = c->doc->nfrags;
    bool *used = hk_arena_calloc(c->a, nf ? nf : 1, sizeof *used);
    if (!used) {
        c->st = HK_ENOMEM;
        return;
    }
    for (size_t i = 0; i < c->doc->nops; i++)
        each_reachable(c, &ops[i], mark_used, used);
    for (size_t f = 0; f < nf; f++)
        if (!used[f] && gql_doc_fragment_index(c->doc, c->doc->frags[f].name) == f)
            err(c, &c->doc->frags[f].loc, "Fragment \"%s\" is never used.", c->doc->frags[f].name);
}

/* ------------------------------------------------------------- variables */

/* Whether a value of type `sub` can be used where `super` is expected. */
static bool is_subtype(const gql_typeref *sub, const gql_typeref *super)
{
    if (super->kind == GQL_TR_NONNULL)
        return sub->kind == GQL_TR_NONNULL && is_subtype(sub->of, super->of);
    if (sub->kind == GQL_TR_NONNULL)
        return is_subtype(sub->of, super);
    if (super->kind == GQL_TR_LIST)
        return sub->kind == GQL_TR_LIST && is_subtype(sub->of, super->of);
    if (sub->kind == GQL_TR_LIST)
        return false;
    return strcmp(sub->name, super->name) == 0;
}

static bool allowed_position(const ast_vardef *v, const var_usage *u)
{
    const gql_typeref *want = u->type;
    if (want->kind == GQL_TR_NONNULL && v->type->kind != GQL_TR_NONNULL) {
        bool var_default = v->defval && v->defval->kind != AV_NULL;
        if (!var_default && !u->loc_has_default)
            return false;
        want = want->of;
    }
    return is_subtype(v->type, want);
}

typedef struct op_vars {
    const ast_operation *op;
    bool *used; /* per variable definition */
} op_vars;

static void check_usage(vctx *c, op_vars *ov, const var_usage *u)
{
    const ast_operation *op = ov->op;
    for (size_t i = 0; i < op->nvars; i++) {
        const ast_vardef *v = &op->vars[i];
        if (strcmp(v->name, u->name) != 0)
            continue;
        ov->used[i] = true;
        if (u->type && gql_typeref_named(v->type) && !allowed_position(v, u))
            err(c, &u->loc,
                "Variable \"$%s\" of type \"%s\" used in position expecting type \"%s\".", u->name,
                tstr(c, v->type), tstr(c, u->type));
        return;
    }
    if (op->name)
        err(c, &u->loc, "Variable \"$%s\" is not defined by operation \"%s\".", u->name, op->name);
    else
        err(c, &u->loc, "Variable \"$%s\" is not defined.", u->name);
}

static void check_usages(vctx *c, op_vars *ov, const def_info *d)
{
    for (size_t i = 0; i < d->usages.n; i++)
        check_usage(c, ov, (const var_usage *)d->usages.items + i);
}

static void frag_usages(vctx *c, size_t f, void *arg)
{
    check_usages(c, arg, &c->fi[f].d);
}

static void check_variables(vctx *c, const def_info *ops)
{
    for (size_t i = 0; i < c->doc->nops; i++) {
        const ast_operation *op = &c->doc->ops[i];
        op_vars ov = {op, hk_arena_calloc(c->a, op->nvars ? op->nvars : 1, sizeof(bool))};
        if (!ov.used) {
            c->st = HK_ENOMEM;
            return;
        }
        check_usages(c, &ov, &ops[i]);
        each_reachable(c, &ops[i], frag_usages, &ov);
        for (size_t k = 0; k < op->nvars; k++) {
            if (ov.used[k])
                continue;
            if (op->name)
                err(c, &op->vars[k].loc, "Variable \"$%s\" is never used in operation \"%s\".",
                    op->vars[k].name, op->name);
            else
                err(c, &op->vars[k].loc, "Variable \"$%s\" is never used.", op->vars[k].name);
        }
    }
}

/* ----------------------------------------------------------------- depth */

/* Selection depth; spreads use the fragments' memoised depths, so the
 * recursion follows only the nesting of one definition. */
static unsigned selset_depth(const vctx *c, const ast_selset *set)
{
    unsigned max = 0;
    for (size_t i = 0; set && i < set->n; i++) {
        const ast_sel *s = &set->items[i];
        unsigned d = 0;
        if (s->kind == SEL_FIELD) {
            d = 1 + selset_depth(c, s->sel);
        } else if (s->kind == SEL_INLINE) {
            d = selset_depth(c, s->sel);
        } else {
            size_t f = gql_doc_fragment_index(c->doc, s->name);
            d = f < c->doc->nfrags ? c->fi[f].depth : 0;
        }
        max = d > max ? d : max;
    }
    return max;
}

/* The longest chain of spreads from fragment f, its own included: the
 * depth of execution's recursion through fragments. */
static unsigned spread_chain(const vctx *c, size_t f)
{
    const def_info *d = &c->fi[f].d;
    unsigned max = 0;
    for (size_t k = 0; k < d->spreads.n; k++) {
        unsigned g = c->fi[((const spread_ref *)d->spreads.items)[k].frag].chain;
        max = g > max ? g : max;
    }
    return max + 1;
}

static void check_depth(vctx *c, const size_t *order, size_t norder)
{
    for (size_t i = 0; i < norder; i++) {
        c->fi[order[i]].depth = selset_depth(c, c->doc->frags[order[i]].sel);
        c->fi[order[i]].chain = spread_chain(c, order[i]);
        if (c->fi[order[i]].chain == GQL_MAX_NESTING + 1)
            err(c, &c->doc->frags[order[i]].loc,
                "Fragment \"%s\" starts a chain of more than %d nested fragment spreads.",
                c->doc->frags[order[i]].name, GQL_MAX_NESTING);
    }
    for (size_t i = 0; i < c->doc->nops; i++) {
        const ast_operation *op = &c->doc->ops[i];
        unsigned d = selset_depth(c, op->sel);
        if (d > c->lim->max_depth)
            err(c, &op->loc,
                "Operation%s%s%s has a selection depth of %u, which exceeds the limit of %u.",
                op->name ? " \"" : "", op->name ? op->name : "", op->name ? "\"" : "", d,
                c->lim->max_depth);
    }
}

/* ----------------------------------------------------------------- entry */

void gql_limits_resolve(const gql_limits *in, gql_limits *out)
{
    gql_limits z = {0};
    *out = in ? *in : z;
    if (!out->max_document_bytes)
        out->max_document_bytes = GQL_DEFAULT_MAX_DOCUMENT_BYTES;
    if (!out->max_tokens)
        out->max_tokens = GQL_DEFAULT_MAX_TOKENS;
    if (!out->max_depth)
        out->max_depth = GQL_DEFAULT_MAX_DEPTH;
    if (!out->max_aliases)
        out->max_aliases = GQL_DEFAULT_MAX_ALIASES;
    if (!out->max_fields)
        out->max_fields = GQL_DEFAULT_MAX_FIELDS;
    if (!out->max_list_items)
        out->max_list_items = GQL_DEFAULT_MAX_LIST_ITEMS;
    if (!out->max_errors)
        out->max_errors = GQL_DEFAULT_MAX_ERRORS;
    if (!out->max_variable_values)
        out->max_variable_values = GQL_DEFAULT_MAX_VARIABLE_VALUES;
    if (!out->max_variable_list_items)
        out->max_variable_list_items = GQL_DEFAULT_MAX_VARIABLE_LIST_ITEMS;
}

static void init_ctx(vctx *c, const gql_schema *s, const gql_document *doc, const gql_limits *lim,
                     hk_arena *a, gql_errlist *errs)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->doc = doc;
    c->lim = lim;
    c->a = a;
    c->errs = errs;
    c->bool_named.kind = GQL_TR_NAMED;
    c->bool_named.name = "Boolean";
    c->bool_named.type = s->boolean;
    c->bool_nn.kind = GQL_TR_NONNULL;
    c->bool_nn.of = &c->bool_named;
    c->if_arg.name = "if";
    c->if_arg.type = &c->bool_nn;
}

hk_status gql_validate(const gql_schema *s, const gql_document *doc, const gql_limits *lim,
                       hk_arena *a, gql_errlist *errs)
{
    vctx c;
    unsigned before = errs->n + errs->dropped;
    init_ctx(&c, s, doc, lim, a, errs);
    if (doc->naliases > lim->max_aliases) {
        err(&c, NULL, "Document uses %zu aliases, which exceeds the limit of %u.", doc->naliases,
            lim->max_aliases);
        return HK_EINVAL;
    }
    c.fi = hk_arena_calloc(a, doc->nfrags ? doc->nfrags : 1, sizeof *c.fi);
    def_info *ops = hk_arena_calloc(a, doc->nops ? doc->nops : 1, sizeof *ops);
    size_t *order = hk_arena_calloc(a, doc->nfrags ? doc->nfrags : 1, sizeof *order);
    size_t norder = 0;
    if (!c.fi || !ops || !order)
        return HK_ENOMEM;
    check_fragment_defs(&c);
    check_operations(&c, ops);
    unsigned before_cycles = errs->n + errs->dropped;
    check_cycles(&c, order, &norder);
    bool acyclic = errs->n + errs->dropped == before_cycles;
    check_unused_fragments(&c, ops);
    check_variables(&c, ops);
    if (acyclic && c.st == HK_OK)
        check_depth(&c, order, norder);
    if (c.st)
        return c.st;
    if (errs->st)
        return errs->st;
    return errs->n + errs->dropped > before ? HK_EINVAL : HK_OK;
}
