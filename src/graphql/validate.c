/*
 * validate.c - document validation against the schema (spec §5, every rule
 * of graphql-js 16's specifiedRules) and the abuse limits (aliases,
 * selection depth).
 *
 * Each operation and fragment definition is walked once; fragment spreads
 * are not followed during that walk but recorded, so the work is linear in
 * the document whatever the spreads. Rules needing the whole spread graph
 * (cycles, unused fragments, variables used through fragments, depth) then
 * run over that graph iteratively, never recursing through fragments.
 * Field merging (OverlappingFieldsCanBeMerged) is validate_merge.c, with its
 * own memoisation and work bound.
 *
 * As in graphql-js, a part whose type is unknown (an unknown field, an
 * unknown argument, a field of a leaf type) is still walked, without a type:
 * its fragment spreads and variables count as used, so one mistake gives
 * one error rather than a cascade of "never used" ones.
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

typedef struct vctx {
    const gql_schema *s;
    const gql_document *doc;
    const gql_limits *lim;
    hk_arena *a;
    gql_errlist *errs;
    frag_info *fi;
    def_info *cur;    /* the definition being walked */
    hk_status st;     /* HK_ENOMEM once allocation failed */
    unsigned gen;     /* reachability generation counter */
    gql_merge *merge; /* validate_merge.c */
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

static const char *lit_str(vctx *c, const ast_value *v)
{
    return gql_format_literal(c->a, v);
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
    for (size_t k = 0; k < t->ninputs; k++) {
        const gql_input_def *d = &t->inputs[k];
        bool given = false;
        for (size_t i = 0; i < v->n && !given; i++)
            given = strcmp(v->fields[i].name, d->name) == 0;
        if (!given && !d->defval && d->type->kind == GQL_TR_NONNULL)
            err(c, &v->loc, "Field \"%s.%s\" of required type \"%s\" was not provided.", t->name,
                d->name, tstr(c, d->type));
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
            err(c, &f->loc, "Field \"%s\" is not defined by type \"%s\".%s", f->name, t->name,
                gql_suggest_named(c->a, NULL, f->name, t->inputs, t->ninputs, sizeof *t->inputs));
        check_value(c, d ? d->type : NULL, f->value, d && d->defval != NULL);
    }
    if (t->one_of && v->n != 1)
        err(c, &v->loc, "OneOf Input Object \"%s\" must specify exactly one key.", t->name);
    else if (t->one_of && v->fields[0].value->kind == AV_NULL)
        err(c, &v->loc, "Field \"%s.%s\" must be non-null.", t->name, v->fields[0].name);
}

/* Values of correct type (§5.6.1); records the variables it meets. */
static void check_value(vctx *c, const gql_typeref *tr, const ast_value *v, bool has_default)
{
    if (!tr) { /* no known type here: only the variables count */
        record_any(c, v, 0);
        return;
    }
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
        err(c, &v->loc, "Enum \"%s\" cannot represent non-enum value: %s.%s", t->name,
            lit_str(c, v), /* graphql-js suggests from the printed literal, quotes and all */
            gql_suggest_named(c->a, "the enum value", lit_str(c, v), t->enum_values, t->nenum,
                              sizeof *t->enum_values));
    else if (!gql_enum_has(t, v->s))
        err(c, &v->loc, "Value \"%s\" does not exist in \"%s\" enum.%s", v->s, t->name,
            gql_suggest_named(c->a, "the enum value", v->s, t->enum_values, t->nenum,
                              sizeof *t->enum_values));
}

/* ------------------------------------------------------------- arguments */

/* Whose arguments check_args checks, for its messages (built only when an
 * error needs them: this runs for every field of every document). */
typedef struct arg_owner {
    const char *parent; /* the field's parent type; NULL for a directive */
    const char *name;   /* the field's or directive's name */
} arg_owner;

/* `known` false: the field or directive is unknown (reported already): its
 * arguments are only walked for variables. */
static void check_args(vctx *c, const ast_arg *args, size_t n, const gql_input_def *defs,
                       size_t ndefs, bool known, const arg_owner *o, const gql_loc *loc)
{
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = strcmp(args[k].name, args[i].name) == 0;
        const gql_input_def *d = gql_input_find(defs, ndefs, args[i].name);
        if (dup)
            err(c, &args[i].loc, "There can be only one argument named \"%s\".", args[i].name);
        else if (!d && known)
            err(c, &args[i].loc, "Unknown argument \"%s\" on %s \"%s%s%s\".%s", args[i].name,
                o->parent ? "field" : "directive", o->parent ? o->parent : "@",
                o->parent ? "." : "", o->name,
                gql_suggest_named(c->a, NULL, args[i].name, defs, ndefs, sizeof *defs));
        check_value(c, d ? d->type : NULL, args[i].value, d && d->defval != NULL);
    }
    for (size_t k = 0; known && k < ndefs; k++) {
        bool given = false;
        for (size_t i = 0; i < n && !given; i++)
            given = strcmp(args[i].name, defs[k].name) == 0;
        if (!given && !defs[k].defval && defs[k].type->kind == GQL_TR_NONNULL)
            err(c, loc,
                "%s \"%s%s\" argument \"%s\" of type \"%s\" is required, but it was not "
                "provided.",
                o->parent ? "Field" : "Directive", o->parent ? "" : "@", o->name, defs[k].name,
                tstr(c, defs[k].type));
    }
}

/* KnownDirectives, UniqueDirectivesPerLocation and the directives' arguments. */
static void check_directives(vctx *c, const ast_directive *dirs, size_t n, gql_dir_loc where)
{
    for (size_t i = 0; i < n; i++) {
        const ast_directive *d = &dirs[i];
        const gql_directive_def *def = gql_schema_directive(c->s, d->name);
        arg_owner o = {NULL, d->name};
        if (!def) {
            err(c, &d->loc, "Unknown directive \"@%s\".", d->name);
        } else {
            bool dup = false;
            for (size_t k = 0; k < i && !dup; k++)
                dup = strcmp(dirs[k].name, d->name) == 0;
            if (!(def->locations & (1u << where)))
                err(c, &d->loc, "Directive \"@%s\" may not be used on %s.", d->name,
                    gql_dir_loc_names[where]);
            if (dup && !def->repeatable)
                err(c, &d->loc, "The directive \"@%s\" can only be used once at this location.",
                    d->name);
        }
        check_args(c, d->args, d->nargs, def ? def->args : NULL, def ? def->nargs : 0, def != NULL,
                   &o, &d->loc);
    }
}

/* ------------------------------------------------------------ selections */

static void check_selset(vctx *c, const gql_type *parent, const ast_selset *set);

/* KnownTypeNames' hint: nearby names of the type map. */
static const char *type_suggestions(vctx *c, const char *name)
{
    const char **names = hk_arena_calloc(c->a, c->s->ntypes + 1, sizeof *names);
    if (!names)
        return "";
    for (size_t i = 0; i < c->s->ntypes; i++)
        names[i] = c->s->types[i]->name;
    return gql_suggest(c->a, NULL, name, names, c->s->ntypes);
}

/* Whether some object could be of both types (§5.5.2.3). */
static bool types_overlap(const gql_type *a, const gql_type *b)
{
    for (size_t i = 0; i < a->npossible; i++)
        if (gql_type_possible(b, a->possible[i]))
            return true;
    return false;
}

/* Whether `sub` is a subtype of interface `iface` (graphql-js's isSubType). */
static bool implements(const gql_type *sub, const gql_type *iface)
{
    for (size_t i = 0; i < sub->nifaces; i++)
        if (sub->ifaces[i] == iface)
            return true;
    return false;
}

typedef struct type_use {
    const gql_type *t;
    unsigned uses;
} type_use;

static int type_use_cmp(const void *x, const void *y)
{
    const type_use *a = x, *b = y;
    if (a->uses != b->uses)
        return a->uses > b->uses ? -1 : 1;
    if (a->t->kind == GQL_T_INTERFACE && implements(b->t, a->t))
        return -1;
    if (b->t->kind == GQL_T_INTERFACE && implements(a->t, b->t))
        return 1;
    return gql_natural_compare(a->t->name, b->t->name);
}

/* FieldsOnCorrectType's hint, as graphql-js: on an abstract type, the types
 * that have the field (most used first); else the nearby field names. */
static const char *field_suggestions(vctx *c, const gql_type *parent, const char *name)
{
    if (gql_type_is_abstract(parent)) {
        gql_vec uses = {0};
        for (size_t i = 0; i < parent->npossible; i++) {
            const gql_type *p = parent->possible[i];
            if (!gql_type_field(p, name))
                continue;
            const gql_type *cands[65];
            size_t nc = 0;
            cands[nc++] = p;
            for (size_t k = 0; k < p->nifaces && nc < 65; k++)
                if (gql_type_field(p->ifaces[k], name))
                    cands[nc++] = p->ifaces[k];
            for (size_t k = 0; k < nc; k++) {
                type_use *u = NULL;
                for (size_t j = 0; j < uses.n && !u; j++)
                    if (((type_use *)uses.items)[j].t == cands[k])
                        u = (type_use *)uses.items + j;
                if (!u && !(u = gql_vec_push(&uses, sizeof *u, c->a))) {
                    c->st = HK_ENOMEM;
                    return "";
                }
                u->t = cands[k];
                u->uses = k == 0 ? 1 : u->uses + 1;
            }
        }
        if (uses.n)
            qsort(uses.items, uses.n, sizeof(type_use), type_use_cmp);
        const char **names = hk_arena_calloc(c->a, uses.n + 1, sizeof *names);
        for (size_t i = 0; names && i < uses.n; i++)
            names[i] = ((type_use *)uses.items)[i].t->name;
        if (uses.n && names)
            return gql_did_you_mean(c->a, "to use an inline fragment on", names, uses.n);
    }
    if (parent->kind == GQL_T_OBJECT || parent->kind == GQL_T_INTERFACE)
        return gql_suggest_named(c->a, NULL, name, parent->fields, parent->nfields,
                                 sizeof *parent->fields);
    return "";
}

/* `parent` NULL: unknown (see the file comment). */
static void check_field(vctx *c, const gql_type *parent, const ast_sel *f)
{
    const gql_field_def *def = parent ? gql_field_lookup(c->s, parent, f->name) : NULL;
    arg_owner o = {parent ? parent->name : "?", f->name};
    if (parent && !def)
        err(c, &f->loc, "Cannot query field \"%s\" on type \"%s\".%s", f->name, parent->name,
            field_suggestions(c, parent, f->name));
    check_args(c, f->args, f->nargs, def ? def->args : NULL, def ? def->nargs : 0, def != NULL, &o,
               &f->loc);
    const gql_type *t = def ? gql_typeref_named(def->type) : NULL;
    if (def && gql_type_is_leaf(t) && f->sel) {
        err(c, &f->loc,
            "Field \"%s\" must not have a selection since type \"%s\" has no subfields.", f->name,
            tstr(c, def->type));
    } else if (def && !gql_type_is_leaf(t) && !f->sel) {
        err(c, &f->loc,
            "Field \"%s\" of type \"%s\" must have a selection of subfields. Did you mean \"%s "
            "{ ... }\"?",
            f->name, tstr(c, def->type), f->name);
    }
    check_directives(c, f->dirs, f->ndirs, GQL_DL_FIELD);
    if (f->sel)
        check_selset(c, gql_type_is_composite(t) ? t : NULL, f->sel);
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
    if (ft && parent && !types_overlap(parent, ft))
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
            err(c, &s->type_loc, "Unknown type \"%s\".%s", s->type_cond,
                type_suggestions(c, s->type_cond));
        } else if (!gql_type_is_composite(t)) {
            err(c, &s->type_loc, "Fragment cannot condition on non composite type \"%s\".",
                s->type_cond);
            t = NULL;
        }
        if (t && parent && !types_overlap(parent, t))
            err(c, &s->loc,
                "Fragment cannot be spread here as objects of type \"%s\" can never be of type "
                "\"%s\".",
                parent->name, t->name);
    }
    check_directives(c, s->dirs, s->ndirs, GQL_DL_INLINE_FRAGMENT);
    check_selset(c, t, s->sel);
}

/* Recursion follows the selection nesting, bounded by the parser. */
static void check_selset(vctx *c, const gql_type *parent, const ast_selset *set)
{
    /* As graphql-js: inline fragments' sets are merged with their parent's. */
    if (set->n > 1 || (set->n == 1 && set->items[0].kind == SEL_INLINE))
        gql_merge_check(c->merge, parent, set);
    for (size_t i = 0; i < set->n; i++) {
        const ast_sel *s = &set->items[i];
        switch (s->kind) {
        /* In graphql-js's visiting order, so errors come out in its order: the
         * selection, its arguments, its directives, its selection set. */
        case SEL_FIELD:
            check_field(c, parent, s);
            break;
        case SEL_SPREAD:
            check_spread(c, parent, s);
            check_directives(c, s->dirs, s->ndirs, GQL_DL_FRAGMENT_SPREAD);
            break;
        case SEL_INLINE:
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
            err(c, &f->type_loc, "Unknown type \"%s\".%s", f->type_cond,
                type_suggestions(c, f->type_cond));
        else if (!gql_type_is_composite(t))
            err(c, &f->type_loc, "Fragment \"%s\" cannot condition on non composite type \"%s\".",
                f->name, f->type_cond);
        else
            c->fi[i].type = t;
    }
    for (size_t i = 0; i < doc->nfrags; i++) {
        const ast_fragment *f = &doc->frags[i];
        c->cur = &c->fi[i].d;
        check_directives(c, f->dirs, f->ndirs, GQL_DL_FRAGMENT_DEFINITION);
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
        check_directives(c, v->dirs, v->ndirs, GQL_DL_VARIABLE_DEFINITION);
        gql_typeref *named = (gql_typeref *)v->type;
        while (named->kind != GQL_TR_NAMED)
            named = (gql_typeref *)named->of;
        /* The document belongs to this request: resolving in place is fine. */
        named->type = gql_schema_type(c->s, named->name);
        if (!named->type) {
            err(c, &named->loc, "Unknown type \"%s\".%s", named->name,
                type_suggestions(c, named->name));
        } else if (!gql_type_is_input(named->type)) {
            err(c, &v->loc, "Variable \"$%s\" cannot be non-input type \"%s\".", v->name,
                tstr(c, v->type));
            named->type = NULL;
        } else if (v->defval) {
            check_value(c, v->type, v->defval, false);
        }
    }
}

/* The operation's root type; NULL when the schema has none (graphql-js
 * validates such an operation without types; executing it fails). */
static const gql_type *root_type(vctx *c, const ast_operation *op)
{
    return op->kind == OP_MUTATION       ? c->s->mutation
           : op->kind == OP_SUBSCRIPTION ? c->s->subscription
                                         : c->s->query;
}

/* The response keys of a subscription's root selection (fragments
 * followed once each), for SingleFieldSubscriptions. */
static void root_keys(vctx *c, const ast_selset *set, gql_vec *keys, bool *seen, int depth)
{
    for (size_t i = 0; set && i < set->n && depth < GQL_MAX_NESTING; i++) {
        const ast_sel *s = &set->items[i];
        if (s->kind == SEL_FIELD) {
            const char *key = s->alias ? s->alias : s->name;
            bool dup = false;
            for (size_t k = 0; k < keys->n && !dup; k++)
                dup = strcmp(((const ast_sel **)keys->items)[k]->alias
                                 ? ((const ast_sel **)keys->items)[k]->alias
                                 : ((const ast_sel **)keys->items)[k]->name,
                             key) == 0;
            const ast_sel **slot = dup ? NULL : gql_vec_push(keys, sizeof *slot, c->a);
            if (slot)
                *slot = s;
            else if (!dup)
                c->st = HK_ENOMEM;
        } else if (s->kind == SEL_INLINE) {
            root_keys(c, s->sel, keys, seen, depth + 1);
        } else {
            size_t f = gql_doc_fragment_index(c->doc, s->name);
            if (f < c->doc->nfrags && !seen[f]) {
                seen[f] = true;
                root_keys(c, c->doc->frags[f].sel, keys, seen, depth + 1);
            }
        }
    }
}

static void check_subscription(vctx *c, const ast_operation *op)
{
    gql_vec keys = {0};
    bool *seen = hk_arena_calloc(c->a, c->doc->nfrags + 1, sizeof *seen);
    if (!seen) {
        c->st = HK_ENOMEM;
        return;
    }
    root_keys(c, op->sel, &keys, seen, 0);
    const ast_sel **k = keys.items;
    char who[300];
    if (op->name)
        snprintf(who, sizeof who, "Subscription \"%s\"", op->name);
    else
        snprintf(who, sizeof who, "Anonymous Subscription");
    if (keys.n > 1)
        err(c, &k[1]->loc, "%s must select only one top level field.", who);
    for (size_t i = 0; i < keys.n; i++)
        if (k[i]->name[0] == '_' && k[i]->name[1] == '_')
            err(c, &k[i]->loc, "%s must not select an introspection top level field.", who);
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
        gql_dir_loc where = op->kind == OP_QUERY      ? GQL_DL_QUERY
                            : op->kind == OP_MUTATION ? GQL_DL_MUTATION
                                                      : GQL_DL_SUBSCRIPTION;
        check_directives(c, op->dirs, op->ndirs, where);
        check_vardefs(c, op);
        if (op->kind == OP_SUBSCRIPTION && c->s->subscription)
            check_subscription(c, op);
        check_selset(c, root_type(c, op), op->sel);
    }
}

/* ------------------------------------------------------- spread graph */

/* "Cannot spread fragment "A" within itself via "B", "C"." : the fragments
 * on the stack after A (graphql-js's spread path). */
static void cycle_error(vctx *c, const spread_ref *r, const size_t *stack, size_t top)
{
    hk_buf b;
    size_t from = top;
    while (from > 0 && stack[from - 1] != r->frag)
        from--;
    hk_buf_init(&b, 4096);
    for (size_t i = from; i < top; i++)
        (void)hk_buf_printf(&b, "%s\"%s\"", i > from ? ", " : " via ",
                            c->doc->frags[stack[i]].name);
    err(c, &r->loc, "Cannot spread fragment \"%s\" within itself%s.", c->doc->frags[r->frag].name,
        b.err || !b.data ? "" : b.data);
    hk_buf_free(&b);
}

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
                cycle_error(c, r, stack, top);
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

/* -------------------------------------------------- introspection depth */

/*
 * MaxIntrospectionDepth (graphql-js 16.10+): from every __schema / __type
 * field, at most 3 nested list fields among fields, interfaces,
 * possibleTypes and inputFields, through fragments. Each fragment is walked
 * once per entry depth (0-2) per root, and a fragment known to reach the
 * limit from some depth is not walked again from that depth or deeper.
 */
#define INTRO_MAX_LISTS 3

typedef struct intro_walk {
    vctx *c;
    signed char *visited;  /* per fragment: greatest entry depth this root, -1 none */
    signed char *checked;  /* greatest entry depth found fine, -1 none (all roots) */
    signed char *exceeded; /* least entry depth found to exceed, -1 none (all roots) */
} intro_walk;

static bool intro_exceeds(intro_walk *w, const ast_selset *set, int depth, int nest);

static bool intro_sel_exceeds(intro_walk *w, const ast_sel *s, int depth, int nest)
{
    const gql_document *doc = w->c->doc;
    if (nest > GQL_MAX_NESTING * 2)
        return false;
    if (s->kind == SEL_SPREAD) {
        size_t f = gql_doc_fragment_index(doc, s->name);
        if (f == doc->nfrags)
            return false;
        if (w->exceeded[f] >= 0 && w->exceeded[f] <= depth)
            return true;
        if (w->visited[f] >= depth || w->checked[f] >= depth)
            return false;
        w->visited[f] = (signed char)depth;
        if (intro_exceeds(w, doc->frags[f].sel, depth, nest + 1)) {
            w->exceeded[f] = (signed char)depth;
            return true;
        }
        w->checked[f] = (signed char)depth;
        return false;
    }
    if (s->kind == SEL_FIELD &&
        (strcmp(s->name, "fields") == 0 || strcmp(s->name, "interfaces") == 0 ||
         strcmp(s->name, "possibleTypes") == 0 || strcmp(s->name, "inputFields") == 0) &&
        ++depth >= INTRO_MAX_LISTS)
        return true;
    return intro_exceeds(w, s->sel, depth, nest + 1);
}

static bool intro_exceeds(intro_walk *w, const ast_selset *set, int depth, int nest)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (intro_sel_exceeds(w, &set->items[i], depth, nest))
            return true;
    return false;
}

static void intro_roots(intro_walk *w, const ast_selset *set, int nest)
{
    size_t nf = w->c->doc->nfrags;
    for (size_t i = 0; set && i < set->n && nest <= GQL_MAX_NESTING * 2; i++) {
        const ast_sel *s = &set->items[i];
        if (s->kind == SEL_FIELD &&
            (strcmp(s->name, "__schema") == 0 || strcmp(s->name, "__type") == 0)) {
            memset(w->visited, -1, nf + 1);
            if (intro_sel_exceeds(w, s, 0, nest)) {
                err(w->c, &s->loc, "Maximum introspection depth exceeded");
                continue; /* not walked further, as graphql-js */
            }
        }
        if (s->kind != SEL_SPREAD)
            intro_roots(w, s->sel, nest + 1);
    }
}

static void check_introspection_depth(vctx *c)
{
    size_t nf = c->doc->nfrags;
    intro_walk w = {c, hk_arena_alloc(c->a, nf + 1), hk_arena_alloc(c->a, nf + 1),
                    hk_arena_alloc(c->a, nf + 1)};
    if (!w.visited || !w.checked || !w.exceeded) {
        c->st = HK_ENOMEM;
        return;
    }
    memset(w.checked, -1, nf + 1);
    memset(w.exceeded, -1, nf + 1);
    for (size_t i = 0; i < c->doc->nops; i++)
        intro_roots(&w, c->doc->ops[i].sel, 0);
    for (size_t i = 0; i < nf; i++)
        intro_roots(&w, c->doc->frags[i].sel, 0);
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
    if (!out->max_introspection_fields)
        out->max_introspection_fields = GQL_DEFAULT_MAX_INTROSPECTION_FIELDS;
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
}

/* ExecutableDefinitions: type-system definitions have no place here. */
static void check_executable(vctx *c)
{
    for (size_t i = 0; i < c->doc->nforeign; i++) {
        const ast_foreign *f = &c->doc->foreign[i];
        if (f->name)
            err(c, &f->loc, "The \"%s\" definition is not executable.", f->name);
        else
            err(c, &f->loc, "The schema definition is not executable.");
    }
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
    c.merge = gql_merge_new(s, doc, a, errs);
    if (!c.merge)
        return HK_ENOMEM;
    check_executable(&c);
    check_fragment_defs(&c);
    check_operations(&c, ops);
    unsigned before_cycles = errs->n + errs->dropped;
    check_cycles(&c, order, &norder);
    bool acyclic = errs->n + errs->dropped == before_cycles;
    check_unused_fragments(&c, ops);
    check_variables(&c, ops);
    check_introspection_depth(&c);
    if (acyclic && c.st == HK_OK)
        check_depth(&c, order, norder);
    if (!c.st)
        c.st = gql_merge_status(c.merge);
    if (c.st)
        return c.st;
    if (errs->st)
        return errs->st;
    return errs->n + errs->dropped > before ? HK_EINVAL : HK_OK;
}
