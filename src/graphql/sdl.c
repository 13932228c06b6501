/*
 * sdl.c - type-system documents (SDL) to the schema model.
 *
 * A schema is loaded from two sources: the built-ins (builtins.graphql,
 * embedded: the specified scalars and directives and the introspection
 * types, with their descriptions) and the caller's SDL. It reads schema,
 * scalar, type, interface, union, enum, input and directive definitions with
 * their descriptions, and of the directives applied to definitions keeps
 * what introspection shows: @deprecated(reason), @specifiedBy(url), @oneOf.
 * Types are collected first and resolved by name afterwards, so definitions
 * may come in any order. `extend` is not supported in a schema; the parser
 * of executable documents uses gql_sdl_skip_definition to read (and then
 * refuse, in validation) type-system definitions and extensions.
 *
 * The type map is ordered as the reference implementation orders it (see
 * order_types), so that introspection lists types as graphql-js does and a
 * client rebuilding the schema from it prints the SDL's order.
 */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "graphql/graphql_int.h"

/* src/graphql/builtins.graphql, embedded by the build. */
extern const char gql_builtins_sdl[];
extern const size_t gql_builtins_sdl_len;

const char *const gql_dir_loc_names[GQL_DL_COUNT] = {
    "QUERY",
    "MUTATION",
    "SUBSCRIPTION",
    "FIELD",
    "FRAGMENT_DEFINITION",
    "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT",
    "VARIABLE_DEFINITION",
    "SCHEMA",
    "SCALAR",
    "OBJECT",
    "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION",
    "INTERFACE",
    "UNION",
    "ENUM",
    "ENUM_VALUE",
    "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION",
    "DIRECTIVE_DEFINITION",
};

/* What both sources add to. */
typedef struct model {
    gql_schema *s;
    hk_arena *a;
    gql_vec types; /* gql_type *: every definition, built-ins first */
    gql_vec dirs;  /* gql_directive_def */
    size_t nbuiltin_types, nbuiltin_dirs;
    const char *query_name, *mutation_name, *subscription_name;
    const char *description;
    gql_syntax_err *err;
} model;

typedef struct sdl {
    gql_parser p;
    model *m;
    bool builtin;
} sdl;

static hk_status schema_fail(model *m, gql_loc loc, const char *fmt, ...) HK_PRINTF(3, 4);

static hk_status schema_fail(model *m, gql_loc loc, const char *fmt, ...)
{
    gql_syntax_err *e = m->err;
    if (!e->set) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        e->loc = loc;
        e->set = true;
    }
    return HK_EINVAL;
}

/* A description (a string before a definition): its value, or NULL. */
static hk_status parse_description(sdl *x, const char **out)
{
    *out = NULL;
    if (gql_parser_at(&x->p, GQL_TOK_STRING) || gql_parser_at(&x->p, GQL_TOK_BLOCK_STRING)) {
        *out = x->p.tok.value;
        return gql_parser_advance(&x->p);
    }
    return HK_OK;
}

/* What introspection shows of the directives applied to a definition. */
typedef struct applied {
    size_t n; /* directives applied */
    const char *deprecation;
    const char *specified_by;
    bool one_of;
} applied;

static const ast_value *dir_arg(const ast_directive *d, const char *name)
{
    for (size_t i = 0; i < d->nargs; i++)
        if (strcmp(d->args[i].name, name) == 0)
            return d->args[i].value;
    return NULL;
}

static hk_status parse_applied(sdl *x, applied *out)
{
    const ast_directive *d;
    size_t n;
    memset(out, 0, sizeof *out);
    hk_status st = gql_parse_directives(&x->p, true, &d, &n);
    out->n = n;
    for (size_t i = 0; !st && i < n; i++) {
        const ast_value *v;
        if (strcmp(d[i].name, "deprecated") == 0) {
            /* As graphql-js: no reason is the default one, an explicit null none. */
            v = dir_arg(&d[i], "reason");
            out->deprecation = !v ? "No longer supported" : v->kind == AV_STRING ? v->s : NULL;
        } else if (strcmp(d[i].name, "specifiedBy") == 0) {
            v = dir_arg(&d[i], "url");
            out->specified_by = v && v->kind == AV_STRING ? v->s : NULL;
        } else if (strcmp(d[i].name, "oneOf") == 0) {
            out->one_of = true;
        }
    }
    return st;
}

/* ---------------------------------------------------------------- fields */

/* "(" desc? name ":" Type ("=" const)? directives ... ")" or "{" ... "}". */
static hk_status parse_input_defs(sdl *x, gql_tok_kind open, gql_tok_kind close,
                                  const gql_input_def **out, size_t *n)
{
    gql_vec defs = {0};
    bool found;
    hk_status st = gql_parser_skip(&x->p, open, &found);
    if (!st && found && gql_parser_at(&x->p, close))
        st = gql_parser_expect(&x->p, GQL_TOK_NAME); /* "()" and "{}" are not allowed */
    while (!st && found && !gql_parser_at(&x->p, close)) {
        gql_input_def d = {0};
        applied ap = {0};
        bool eq;
        st = parse_description(x, &d.description);
        if (!st)
            st = gql_parser_name(&x->p, &d.name, NULL);
        if (!st)
            st = gql_parser_expect(&x->p, GQL_TOK_COLON);
        if (!st)
            st = gql_parse_typeref(&x->p, &d.type);
        if (!st)
            st = gql_parser_skip(&x->p, GQL_TOK_EQUALS, &eq);
        if (!st && eq)
            st = gql_parse_value(&x->p, true, &d.defval);
        if (!st)
            st = parse_applied(x, &ap);
        d.deprecation = ap.deprecation;
        gql_input_def *slot = st ? NULL : gql_vec_push(&defs, sizeof d, x->m->a);
        if (!st && !slot)
            st = HK_ENOMEM;
        if (slot)
            *slot = d;
    }
    if (!st && found)
        st = gql_parser_advance(&x->p);
    *out = defs.items;
    *n = defs.n;
    return st;
}

static hk_status parse_field_defs(sdl *x, gql_type *t)
{
    gql_vec fields = {0};
    bool found;
    hk_status st = gql_parser_skip(&x->p, GQL_TOK_LBRACE, &found);
    if (!st && found && gql_parser_at(&x->p, GQL_TOK_RBRACE))
        st = gql_parser_expect(&x->p, GQL_TOK_NAME);
    while (!st && found && !gql_parser_at(&x->p, GQL_TOK_RBRACE)) {
        gql_field_def f = {0};
        applied ap = {0};
        st = parse_description(x, &f.description);
        if (!st)
            st = gql_parser_name(&x->p, &f.name, NULL);
        if (!st)
            st = parse_input_defs(x, GQL_TOK_LPAREN, GQL_TOK_RPAREN, &f.args, &f.nargs);
        if (!st)
            st = gql_parser_expect(&x->p, GQL_TOK_COLON);
        if (!st)
            st = gql_parse_typeref(&x->p, &f.type);
        if (!st)
            st = parse_applied(x, &ap);
        f.deprecation = ap.deprecation;
        gql_field_def *slot = st ? NULL : gql_vec_push(&fields, sizeof f, x->m->a);
        if (!st && !slot)
            st = HK_ENOMEM;
        if (slot)
            *slot = f;
    }
    if (!st && found)
        st = gql_parser_advance(&x->p);
    t->fields = fields.items;
    t->nfields = fields.n;
    return st;
}

/* "implements" "&"? A ("&" B)* */
static hk_status parse_implements(sdl *x, gql_type *t)
{
    gql_vec names = {0};
    bool amp;
    hk_status st = HK_OK;
    if (!gql_parser_at_keyword(&x->p, "implements"))
        return HK_OK;
    st = gql_parser_advance(&x->p);
    if (!st)
        st = gql_parser_skip(&x->p, GQL_TOK_AMP, &amp);
    do {
        const char **slot = st ? NULL : gql_vec_push(&names, sizeof *slot, x->m->a);
        if (!st && !slot)
            st = HK_ENOMEM;
        if (!st)
            st = gql_parser_name(&x->p, slot, NULL);
        if (!st)
            st = gql_parser_skip(&x->p, GQL_TOK_AMP, &amp);
    } while (!st && amp);
    t->iface_names = names.items;
    t->nifaces = names.n;
    return st;
}

/* "=" "|"? A ("|" B)* */
static hk_status parse_union_members(sdl *x, gql_type *t)
{
    gql_vec names = {0};
    bool eq, pipe;
    hk_status st = gql_parser_skip(&x->p, GQL_TOK_EQUALS, &eq);
    if (!st && eq)
        st = gql_parser_skip(&x->p, GQL_TOK_PIPE, &pipe);
    while (!st && eq) {
        const char **slot = gql_vec_push(&names, sizeof *slot, x->m->a);
        if (!slot)
            return HK_ENOMEM;
        st = gql_parser_name(&x->p, slot, NULL);
        if (!st)
            st = gql_parser_skip(&x->p, GQL_TOK_PIPE, &pipe);
        if (!pipe)
            break;
    }
    t->member_names = names.items;
    t->nmember_names = names.n;
    return st;
}

static hk_status parse_enum_values(sdl *x, gql_type *t)
{
    gql_vec vals = {0};
    bool found;
    hk_status st = gql_parser_skip(&x->p, GQL_TOK_LBRACE, &found);
    if (!st && found && gql_parser_at(&x->p, GQL_TOK_RBRACE))
        st = gql_parser_expect(&x->p, GQL_TOK_NAME);
    while (!st && found && !gql_parser_at(&x->p, GQL_TOK_RBRACE)) {
        gql_enum_value *slot = gql_vec_push(&vals, sizeof *slot, x->m->a);
        applied ap = {0};
        if (!slot)
            return HK_ENOMEM;
        st = parse_description(x, &slot->description);
        if (!st && (gql_parser_at_keyword(&x->p, "true") || gql_parser_at_keyword(&x->p, "false") ||
                    gql_parser_at_keyword(&x->p, "null")))
            st = gql_parser_unexpected(&x->p);
        if (!st)
            st = gql_parser_name(&x->p, &slot->name, NULL);
        if (!st)
            st = parse_applied(x, &ap);
        slot->deprecation = ap.deprecation;
    }
    if (!st && found)
        st = gql_parser_advance(&x->p);
    t->enum_values = vals.items;
    t->nenum = vals.n;
    return st;
}

/* ----------------------------------------------------------- definitions */

static const struct {
    const char *name;
    gql_scalar_kind kind;
} builtin_scalars[] = {{"Int", GQL_S_INT},
                       {"Float", GQL_S_FLOAT},
                       {"String", GQL_S_STRING},
                       {"Boolean", GQL_S_BOOLEAN},
                       {"ID", GQL_S_ID}};

static hk_status add_type(sdl *x, gql_type_kind kind, const char *desc, gql_type **out)
{
    gql_type *t = hk_arena_calloc(x->m->a, 1, sizeof *t);
    gql_type **slot = gql_vec_push(&x->m->types, sizeof *slot, x->m->a);
    if (!t || !slot)
        return HK_ENOMEM;
    t->kind = kind;
    t->description = desc;
    *slot = t;
    *out = t;
    hk_status st = gql_parser_name(&x->p, &t->name, NULL);
    for (size_t i = 0; !st && x->builtin && i < sizeof builtin_scalars / sizeof builtin_scalars[0];
         i++)
        if (kind == GQL_T_SCALAR && strcmp(t->name, builtin_scalars[i].name) == 0)
            t->scalar = builtin_scalars[i].kind;
    return st;
}

/* `ap` (may be NULL) receives the directives applied to the type. */
static hk_status parse_type_def(sdl *x, gql_type_kind kind, const char *desc, applied *ap_out)
{
    gql_type *t;
    applied ap = {0};
    hk_status st = add_type(x, kind, desc, &t);
    if (!st && (kind == GQL_T_OBJECT || kind == GQL_T_INTERFACE))
        st = parse_implements(x, t);
    if (!st)
        st = parse_applied(x, &ap);
    if (ap_out)
        *ap_out = ap;
    if (st)
        return st;
    t->specified_by = kind == GQL_T_SCALAR ? ap.specified_by : NULL;
    t->one_of = kind == GQL_T_INPUT && ap.one_of;
    switch (kind) {
    case GQL_T_OBJECT:
    case GQL_T_INTERFACE:
        return parse_field_defs(x, t);
    case GQL_T_UNION:
        return parse_union_members(x, t);
    case GQL_T_ENUM:
        return parse_enum_values(x, t);
    case GQL_T_INPUT:
        return parse_input_defs(x, GQL_TOK_LBRACE, GQL_TOK_RBRACE, &t->inputs, &t->ninputs);
    case GQL_T_SCALAR:
        return HK_OK;
    }
    return HK_OK;
}

/* "schema" directives { query: Q mutation: M subscription: S } */
static hk_status parse_schema_def(sdl *x, const char *desc)
{
    applied ap = {0};
    hk_status st = gql_parser_advance(&x->p);
    x->m->description = desc;
    if (!st)
        st = parse_applied(x, &ap);
    if (!st)
        st = gql_parser_expect(&x->p, GQL_TOK_LBRACE);
    while (!st && !gql_parser_at(&x->p, GQL_TOK_RBRACE)) {
        const char *op, *name;
        gql_loc at = x->p.tok.loc;
        st = gql_parser_name(&x->p, &op, NULL);
        if (!st && strcmp(op, "query") != 0 && strcmp(op, "mutation") != 0 &&
            strcmp(op, "subscription") != 0)
            st = gql_syntax_fail(x->p.lx.err, at, "Unexpected Name \"%s\".", op);
        if (!st)
            st = gql_parser_expect(&x->p, GQL_TOK_COLON);
        if (!st)
            st = gql_parser_name(&x->p, &name, NULL);
        if (!st && strcmp(op, "query") == 0)
            x->m->query_name = name;
        else if (!st && strcmp(op, "mutation") == 0)
            x->m->mutation_name = name;
        else if (!st)
            x->m->subscription_name = name;
    }
    return st ? st : gql_parser_advance(&x->p);
}

static hk_status parse_dir_location(sdl *x, uint32_t *locs, gql_vec *order)
{
    gql_loc at = x->p.tok.loc;
    const char *name;
    hk_status st = gql_parser_name(&x->p, &name, NULL);
    for (int i = 0; !st && i < GQL_DL_COUNT; i++) {
        if (strcmp(name, gql_dir_loc_names[i]) == 0) {
            unsigned char *slot = gql_vec_push(order, 1, x->m->a);
            if (!slot)
                return HK_ENOMEM;
            *slot = (unsigned char)i;
            *locs |= 1u << i;
            return HK_OK;
        }
    }
    return st ? st : gql_syntax_fail(x->p.lx.err, at, "Unexpected Name \"%s\".", name);
}

/* "directive" "@" Name ArgumentsDefinition? "repeatable"? "on" "|"? Loc ("|" Loc)* */
static hk_status parse_directive_def(sdl *x, const char *desc)
{
    gql_directive_def d = {0};
    gql_vec order = {0};
    bool pipe;
    d.description = desc;
    hk_status st = gql_parser_advance(&x->p);
    if (!st)
        st = gql_parser_expect(&x->p, GQL_TOK_AT);
    if (!st)
        st = gql_parser_name(&x->p, &d.name, NULL);
    if (!st)
        st = parse_input_defs(x, GQL_TOK_LPAREN, GQL_TOK_RPAREN, &d.args, &d.nargs);
    if (!st && gql_parser_at_keyword(&x->p, "repeatable")) {
        d.repeatable = true;
        st = gql_parser_advance(&x->p);
    }
    if (!st)
        st = gql_parser_expect_keyword(&x->p, "on");
    if (!st)
        st = gql_parser_skip(&x->p, GQL_TOK_PIPE, &pipe);
    do {
        if (!st)
            st = parse_dir_location(x, &d.locations, &order);
        if (!st)
            st = gql_parser_skip(&x->p, GQL_TOK_PIPE, &pipe);
    } while (!st && pipe);
    d.loc_order = order.items;
    d.nlocs = order.n;
    gql_directive_def *slot = st ? NULL : gql_vec_push(&x->m->dirs, sizeof d, x->m->a);
    if (!st && !slot)
        st = HK_ENOMEM;
    if (slot)
        *slot = d;
    return st;
}

static const struct {
    const char *kw;
    gql_type_kind kind;
} type_keywords[] = {
    {"scalar", GQL_T_SCALAR}, {"type", GQL_T_OBJECT}, {"interface", GQL_T_INTERFACE},
    {"union", GQL_T_UNION},   {"enum", GQL_T_ENUM},   {"input", GQL_T_INPUT},
};

/* A definition after its description; *known false when the keyword is none of ours. */
static hk_status parse_definition_body(sdl *x, const char *desc, bool *known)
{
    *known = true;
    for (size_t i = 0; i < sizeof type_keywords / sizeof type_keywords[0]; i++) {
        if (gql_parser_at_keyword(&x->p, type_keywords[i].kw)) {
            hk_status st = gql_parser_advance(&x->p);
            return st ? st : parse_type_def(x, type_keywords[i].kind, desc, NULL);
        }
    }
    if (gql_parser_at_keyword(&x->p, "schema"))
        return parse_schema_def(x, desc);
    if (gql_parser_at_keyword(&x->p, "directive"))
        return parse_directive_def(x, desc);
    *known = false;
    return HK_OK;
}

static hk_status parse_definition(sdl *x)
{
    const char *desc;
    bool known;
    hk_status st = parse_description(x, &desc);
    if (!st)
        st = parse_definition_body(x, desc, &known);
    if (!st && !known)
        st = gql_parser_unexpected(&x->p);
    return st;
}

/* ------------------------------------------- definitions inside documents */

/* "extend" Kind ...: read, kept nowhere. As graphql-js, an extension must
 * add something: directives, or the body its kind has. */
static hk_status parse_extension(sdl *x, const char **name, bool *is_schema)
{
    hk_status st = gql_parser_advance(&x->p);
    if (!st && gql_parser_at_keyword(&x->p, "schema")) {
        applied ap = {0};
        *is_schema = true;
        st = gql_parser_advance(&x->p);
        if (!st)
            st = parse_applied(x, &ap);
        if (!st && gql_parser_at(&x->p, GQL_TOK_LBRACE)) {
            st = gql_parser_advance(&x->p);
            do {
                const char *op;
                gql_loc at = x->p.tok.loc;
                if (!st)
                    st = gql_parser_name(&x->p, &op, NULL);
                if (!st && strcmp(op, "query") != 0 && strcmp(op, "mutation") != 0 &&
                    strcmp(op, "subscription") != 0)
                    st = gql_syntax_fail(x->p.lx.err, at, "Unexpected Name \"%s\".", op);
                if (!st)
                    st = gql_parser_expect(&x->p, GQL_TOK_COLON);
                if (!st)
                    st = gql_parser_name(&x->p, &op, NULL);
            } while (!st && !gql_parser_at(&x->p, GQL_TOK_RBRACE));
            return st ? st : gql_parser_advance(&x->p);
        }
        return st || ap.n ? st : gql_parser_unexpected(&x->p);
    }
    for (size_t i = 0; !st && i < sizeof type_keywords / sizeof type_keywords[0]; i++) {
        if (!gql_parser_at_keyword(&x->p, type_keywords[i].kw))
            continue;
        size_t before = x->m->types.n;
        applied ap = {0};
        if ((st = gql_parser_advance(&x->p)) ||
            (st = parse_type_def(x, type_keywords[i].kind, NULL, &ap)))
            return st;
        const gql_type *t = ((gql_type **)x->m->types.items)[before];
        *name = t->name;
        if (!ap.n && !t->nfields && !t->ninputs && !t->nenum && !t->nmember_names && !t->nifaces)
            return gql_parser_unexpected(&x->p);
        return HK_OK;
    }
    return st ? st : gql_parser_unexpected(&x->p);
}

hk_status gql_sdl_skip_definition(gql_parser *p, const char **name, bool *is_schema)
{
    gql_schema scratch;
    model m;
    sdl x;
    const char *desc;
    bool known;
    memset(&scratch, 0, sizeof scratch);
    memset(&m, 0, sizeof m);
    scratch.arena = p->arena;
    m.s = &scratch;
    m.a = p->arena;
    m.err = p->lx.err;
    x.p = *p;
    x.m = &m;
    x.builtin = false;
    *name = NULL;
    *is_schema = false;
    gql_loc at = p->tok.loc;
    hk_status st = parse_description(&x, &desc);
    if (!st && desc &&
        (gql_parser_at_keyword(&x.p, "query") || gql_parser_at_keyword(&x.p, "mutation") ||
         gql_parser_at_keyword(&x.p, "subscription") || gql_parser_at_keyword(&x.p, "fragment") ||
         gql_parser_at_keyword(&x.p, "extend")))
        st = gql_syntax_fail(p->lx.err, at,
                             "Unexpected description, descriptions are supported only on type "
                             "definitions.");
    else if (!st && gql_parser_at_keyword(&x.p, "extend")) {
        st = parse_extension(&x, name, is_schema);
    } else if (!st) {
        size_t before = m.types.n, dbefore = m.dirs.n;
        *is_schema = gql_parser_at_keyword(&x.p, "schema");
        st = parse_definition_body(&x, desc, &known);
        if (!st && !known)
            st = gql_parser_unexpected(&x.p);
        if (!st && m.types.n > before)
            *name = ((gql_type **)m.types.items)[before]->name;
        else if (!st && m.dirs.n > dbefore)
            *name = ((gql_directive_def *)m.dirs.items)[dbefore].name;
    }
    *p = x.p;
    return st;
}

/* ------------------------------------------------------------- resolving */

static hk_status resolve_ref(model *m, const gql_typeref *tr, bool input, const char *where)
{
    while (tr->kind != GQL_TR_NAMED)
        tr = tr->of;
    const gql_type *t = gql_schema_type(m->s, tr->name);
    if (!t)
        return schema_fail(m, tr->loc, "Unknown type \"%s\" (in %s).", tr->name, where);
    if (input ? !gql_type_is_input(t) : (t->kind == GQL_T_INPUT))
        return schema_fail(m, tr->loc, "Type \"%s\" cannot be used here (in %s).", tr->name, where);
    ((gql_typeref *)tr)->type = t;
    return HK_OK;
}

static hk_status resolve_inputs(model *m, const gql_input_def *defs, size_t n, const char *where)
{
    hk_status st = HK_OK;
    for (size_t i = 0; !st && i < n; i++)
        st = resolve_ref(m, defs[i].type, true, where);
    return st;
}

/* Looks up `names` as types of `kind` into an array of type pointers. */
static hk_status resolve_names(model *m, const gql_type *t, const char *const *names, size_t n,
                               gql_type_kind kind, const gql_type ***out)
{
    const gql_type **arr = hk_arena_calloc(m->a, n ? n : 1, sizeof *arr);
    gql_loc none = {0, 0};
    if (!arr)
        return HK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        arr[i] = gql_schema_type(m->s, names[i]);
        if (!arr[i] || arr[i]->kind != kind)
            return schema_fail(m, none,
                               kind == GQL_T_INTERFACE ? "Type \"%s\" cannot implement \"%s\"."
                                                       : "Union \"%s\" cannot include \"%s\".",
                               t->name, names[i]);
    }
    *out = arr;
    return HK_OK;
}

static hk_status resolve_type(model *m, gql_type *t)
{
    hk_status st = HK_OK;
    t->self.kind = GQL_TR_NAMED;
    t->self.name = t->name;
    t->self.type = t;
    for (size_t i = 0; !st && i < t->nfields; i++) {
        st = resolve_ref(m, t->fields[i].type, false, t->name);
        if (!st)
            st = resolve_inputs(m, t->fields[i].args, t->fields[i].nargs, t->name);
    }
    if (!st)
        st = resolve_inputs(m, t->inputs, t->ninputs, t->name);
    if (!st && t->nifaces)
        st = resolve_names(m, t, t->iface_names, t->nifaces, GQL_T_INTERFACE, &t->ifaces);
    if (!st && t->kind == GQL_T_UNION) {
        st = resolve_names(m, t, t->member_names, t->nmember_names, GQL_T_OBJECT, &t->possible);
        t->npossible = t->nmember_names;
    }
    if (!st && t->kind == GQL_T_OBJECT) {
        const gql_type **self = hk_arena_alloc(m->a, sizeof *self);
        if (!self)
            return HK_ENOMEM;
        self[0] = t;
        t->possible = self;
        t->npossible = 1;
    }
    return st;
}

/* The possible types of an interface: the object types declaring it, in
 * the type map's order (as graphql-js's getPossibleTypes). */
static hk_status interface_possible(model *m, gql_type *iface)
{
    gql_vec objs = {0};
    for (size_t i = 0; i < m->s->ntypes; i++) {
        const gql_type *t = m->s->types[i];
        for (size_t j = 0; t->kind == GQL_T_OBJECT && j < t->nifaces; j++) {
            if (t->ifaces[j] != iface)
                continue;
            const gql_type **slot = gql_vec_push(&objs, sizeof *slot, m->a);
            if (!slot)
                return HK_ENOMEM;
            *slot = t;
        }
    }
    iface->possible = objs.items;
    iface->npossible = objs.n;
    return HK_OK;
}

/* ------------------------------------------------------------ hash table */

static size_t name_hash(const char *s)
{
    size_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

const gql_type *gql_schema_type(const gql_schema *s, const char *name)
{
    if (!s->nslots)
        return NULL;
    for (size_t i = name_hash(name) & (s->nslots - 1);; i = (i + 1) & (s->nslots - 1)) {
        if (!s->slots[i])
            return NULL;
        if (strcmp(s->slots[i]->name, name) == 0)
            return s->slots[i];
    }
}

/* Hashes types[0..n); a second definition of a name fails, except a
 * built-in scalar declared again (the first stays). */
static hk_status build_table(model *m, gql_type **types, size_t n)
{
    gql_schema *s = m->s;
    gql_loc none = {0, 0};
    s->nslots = 16;
    while (s->nslots < n * 2)
        s->nslots *= 2;
    s->slots = hk_arena_calloc(m->a, s->nslots, sizeof *s->slots);
    if (!s->slots)
        return HK_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        gql_type *t = types[k];
        size_t i = name_hash(t->name) & (s->nslots - 1);
        for (; s->slots[i]; i = (i + 1) & (s->nslots - 1)) {
            if (strcmp(s->slots[i]->name, t->name) == 0 && t->kind != GQL_T_SCALAR)
                return schema_fail(m, none, "There can be only one type named \"%s\".", t->name);
            if (strcmp(s->slots[i]->name, t->name) == 0)
                break; /* a built-in scalar declared again */
        }
        s->slots[i] = s->slots[i] ? s->slots[i] : t;
    }
    return HK_OK;
}

/* ----------------------------------------------------------- type order */

/*
 * graphql-js's GraphQLSchema collects its type map from the SDL's types in
 * order, each moved to the end as it is visited, adding the types each one
 * references (depth first: interfaces, then per field its type and its
 * arguments' types) when first met; then the root types, the directives'
 * argument types and __Schema. Reproduced with an ordered set (a linked list
 * over type indices), so that __schema.types comes out in the same order.
 */
typedef struct order {
    model *m;
    gql_type **all;
    size_t n;
    size_t *prev, *next; /* list links; n is the sentinel */
    bool *in;
} order;

static size_t type_idx(const order *o, const gql_type *t)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->all[i] == t)
            return i;
    return o->n;
}

static void order_append(order *o, size_t i)
{
    size_t last = o->prev[o->n];
    o->next[last] = i;
    o->prev[i] = last;
    o->next[i] = o->n;
    o->prev[o->n] = i;
    o->in[i] = true;
}

static void order_remove(order *o, size_t i)
{
    o->next[o->prev[i]] = o->next[i];
    o->prev[o->next[i]] = o->prev[i];
    o->in[i] = false;
}

static void collect_ref(order *o, const gql_typeref *tr);

/* Recursion depth is bounded by the number of types: each is added once. */
static void collect(order *o, const gql_type *t)
{
    size_t i = t ? type_idx(o, t) : o->n;
    if (i == o->n || o->in[i])
        return;
    order_append(o, i);
    if (t->kind == GQL_T_UNION) {
        for (size_t k = 0; k < t->npossible; k++)
            collect(o, t->possible[k]);
    } else if (t->kind == GQL_T_OBJECT || t->kind == GQL_T_INTERFACE) {
        for (size_t k = 0; k < t->nifaces; k++)
            collect(o, t->ifaces[k]);
        for (size_t k = 0; k < t->nfields; k++) {
            collect_ref(o, t->fields[k].type);
            for (size_t a = 0; a < t->fields[k].nargs; a++)
                collect_ref(o, t->fields[k].args[a].type);
        }
    } else if (t->kind == GQL_T_INPUT) {
        for (size_t k = 0; k < t->ninputs; k++)
            collect_ref(o, t->inputs[k].type);
    }
}

static void collect_ref(order *o, const gql_typeref *tr)
{
    collect(o, gql_typeref_named(tr));
}

static hk_status order_types(model *m)
{
    gql_schema *s = m->s;
    order o = {m, m->types.items, m->types.n, NULL, NULL, NULL};
    o.prev = hk_arena_calloc(m->a, o.n + 1, sizeof *o.prev);
    o.next = hk_arena_calloc(m->a, o.n + 1, sizeof *o.next);
    o.in = hk_arena_calloc(m->a, o.n + 1, sizeof *o.in);
    gql_type **out = hk_arena_calloc(m->a, o.n + 1, sizeof *out);
    if (!o.prev || !o.next || !o.in || !out)
        return HK_ENOMEM;
    o.prev[o.n] = o.next[o.n] = o.n;
    /* The SDL's own types: those the table resolved to (not a redeclared scalar). */
    for (size_t i = m->nbuiltin_types; i < o.n; i++)
        if (gql_schema_type(s, o.all[i]->name) == o.all[i])
            order_append(&o, i);
    for (size_t i = m->nbuiltin_types; i < o.n; i++) {
        if (!o.in[i])
            continue;
        order_remove(&o, i);
        collect(&o, o.all[i]);
    }
    collect(&o, s->query);
    collect(&o, s->mutation);
    collect(&o, s->subscription);
    for (size_t d = 0; d < s->ndirectives; d++)
        for (size_t a = 0; a < s->directives[d].nargs; a++)
            collect_ref(&o, s->directives[d].args[a].type);
    collect(&o, gql_schema_type(s, "__Schema"));
    size_t n = 0;
    for (size_t i = o.next[o.n]; i != o.n; i = o.next[i])
        out[n++] = o.all[i];
    s->types = out;
    s->ntypes = n;
    return build_table(m, out, n);
}

/* ----------------------------------------------------------------- entry */

/* The SDL's directives, then each specified one it did not declare itself. */
static hk_status collect_directives(model *m)
{
    gql_directive_def *all = m->dirs.items;
    size_t n = m->dirs.n, k = 0;
    gql_directive_def *out = hk_arena_calloc(m->a, n ? n : 1, sizeof *out);
    if (!out)
        return HK_ENOMEM;
    for (size_t i = m->nbuiltin_dirs; i < n; i++)
        out[k++] = all[i];
    for (size_t i = 0; i < m->nbuiltin_dirs; i++) {
        bool declared = false;
        for (size_t j = m->nbuiltin_dirs; j < n && !declared; j++)
            declared = strcmp(all[j].name, all[i].name) == 0;
        if (!declared)
            out[k++] = all[i];
    }
    m->s->directives = out;
    m->s->ndirectives = k;
    return HK_OK;
}

static hk_status resolve_all(model *m)
{
    gql_schema *s = m->s;
    gql_loc none = {0, 0};
    hk_status st = build_table(m, m->types.items, m->types.n);
    for (size_t i = 0; !st && i < m->types.n; i++)
        st = resolve_type(m, ((gql_type **)m->types.items)[i]);
    if (!st)
        st = collect_directives(m);
    for (size_t i = 0; !st && i < s->ndirectives; i++)
        st = resolve_inputs(m, s->directives[i].args, s->directives[i].nargs, "a directive");
    if (st)
        return st;
    s->description = m->description;
    s->query = gql_schema_type(s, m->query_name ? m->query_name : "Query");
    s->mutation = gql_schema_type(s, m->mutation_name ? m->mutation_name : "Mutation");
    s->subscription = m->subscription_name ? gql_schema_type(s, m->subscription_name) : NULL;
    s->meta = gql_schema_type(s, "__Meta");
    if (!s->query || s->query->kind != GQL_T_OBJECT)
        return schema_fail(m, none, "The query root type must be an object type.");
    if (s->mutation && s->mutation->kind != GQL_T_OBJECT)
        return schema_fail(m, none, "The mutation root type must be an object type.");
    if (m->subscription_name && (!s->subscription || s->subscription->kind != GQL_T_OBJECT))
        return schema_fail(m, none, "The subscription root type must be an object type.");
    if ((st = order_types(m)))
        return st;
    s->boolean = gql_schema_type(s, "Boolean");
    for (size_t i = 0; !st && i < s->ntypes; i++)
        if (s->types[i]->kind == GQL_T_INTERFACE)
            st = interface_possible(m, s->types[i]);
    return st;
}

static hk_status load_source(model *m, const char *src, size_t len, bool builtin)
{
    sdl x;
    gql_loc start = {1, 1};
    memset(&x, 0, sizeof x);
    x.m = m;
    x.builtin = builtin;
    if (!gql_utf8_valid_nul(src, len))
        return gql_syntax_fail(m->err, start, "Document is not valid UTF-8.");
    hk_status st = gql_parser_init(&x.p, src, len, 0, m->a, m->err);
    while (!st && !gql_parser_at(&x.p, GQL_TOK_EOF))
        st = parse_definition(&x);
    return st;
}

hk_status gql_sdl_load(gql_schema *s, const char *src, size_t len, gql_syntax_err *err)
{
    model m;
    memset(&m, 0, sizeof m);
    m.s = s;
    m.a = s->arena;
    m.err = err;
    hk_status st = load_source(&m, gql_builtins_sdl, gql_builtins_sdl_len, true);
    if (st) { /* the embedded file is broken: say so plainly */
        snprintf(err->message, sizeof err->message, "builtins.graphql does not load");
        return st == HK_ENOMEM ? st : HK_EINVAL;
    }
    m.nbuiltin_types = m.types.n;
    m.nbuiltin_dirs = m.dirs.n;
    st = load_source(&m, src, len, false);
    return st ? st : resolve_all(&m);
}
