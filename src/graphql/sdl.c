/*
 * sdl.c - type-system documents (SDL) to the schema model.
 *
 * Reads schema, scalar, type, interface, union, enum, input and directive
 * definitions with their descriptions; directives applied to definitions
 * (@deprecated ...) and directive definitions are parsed and dropped.
 * Types are collected first and resolved by name afterwards, so definitions
 * may come in any order. `extend` is not supported.
 */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "graphql/graphql_int.h"

typedef struct sdl {
    gql_parser p;
    gql_schema *s;
    gql_vec types; /* gql_type * */
    const char *query_name, *mutation_name;
    gql_syntax_err *err;
} sdl;

static hk_status schema_fail(sdl *x, gql_loc loc, const char *fmt, ...) HK_PRINTF(3, 4);

static hk_status schema_fail(sdl *x, gql_loc loc, const char *fmt, ...)
{
    gql_syntax_err *e = x->err;
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

/* Skips a description (a string before a definition). */
static hk_status skip_description(sdl *x)
{
    if (gql_parser_at(&x->p, GQL_TOK_STRING) || gql_parser_at(&x->p, GQL_TOK_BLOCK_STRING))
        return gql_parser_advance(&x->p);
    return HK_OK;
}

static hk_status skip_directives(sdl *x)
{
    const ast_directive *d;
    size_t n;
    return gql_parse_directives(&x->p, true, &d, &n);
}

/* ---------------------------------------------------------------- fields */

/* "(" desc? name ":" Type ("=" const)? directives ... ")" or "{" ... "}". */
static hk_status parse_input_defs(sdl *x, gql_tok_kind open, gql_tok_kind close,
                                  const gql_input_def **out, size_t *n)
{
    gql_vec defs = {0};
    bool found;
    hk_status st = gql_parser_skip(&x->p, open, &found);
    while (!st && found && !gql_parser_at(&x->p, close)) {
        gql_input_def d = {0};
        bool eq;
        st = skip_description(x);
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
            st = skip_directives(x);
        gql_input_def *slot = st ? NULL : gql_vec_push(&defs, sizeof d, x->s->arena);
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
    while (!st && found && !gql_parser_at(&x->p, GQL_TOK_RBRACE)) {
        gql_field_def f = {0};
        st = skip_description(x);
        if (!st)
            st = gql_parser_name(&x->p, &f.name, NULL);
        if (!st)
            st = parse_input_defs(x, GQL_TOK_LPAREN, GQL_TOK_RPAREN, &f.args, &f.nargs);
        if (!st)
            st = gql_parser_expect(&x->p, GQL_TOK_COLON);
        if (!st)
            st = gql_parse_typeref(&x->p, &f.type);
        if (!st)
            st = skip_directives(x);
        gql_field_def *slot = st ? NULL : gql_vec_push(&fields, sizeof f, x->s->arena);
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
        const char **slot = st ? NULL : gql_vec_push(&names, sizeof *slot, x->s->arena);
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
        const char **slot = gql_vec_push(&names, sizeof *slot, x->s->arena);
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
    while (!st && found && !gql_parser_at(&x->p, GQL_TOK_RBRACE)) {
        const char **slot = gql_vec_push(&vals, sizeof *slot, x->s->arena);
        if (!slot)
            return HK_ENOMEM;
        st = skip_description(x);
        if (!st && (gql_parser_at_keyword(&x->p, "true") || gql_parser_at_keyword(&x->p, "false") ||
                    gql_parser_at_keyword(&x->p, "null")))
            st = gql_parser_unexpected(&x->p);
        if (!st)
            st = gql_parser_name(&x->p, slot, NULL);
        if (!st)
            st = skip_directives(x);
    }
    if (!st && found)
        st = gql_parser_advance(&x->p);
    t->enum_values = vals.items;
    t->nenum = vals.n;
    return st;
}

/* ----------------------------------------------------------- definitions */

static hk_status add_type(sdl *x, gql_type_kind kind, gql_type **out)
{
    gql_type *t = hk_arena_calloc(x->s->arena, 1, sizeof *t);
    gql_type **slot = gql_vec_push(&x->types, sizeof *slot, x->s->arena);
    if (!t || !slot)
        return HK_ENOMEM;
    t->kind = kind;
    *slot = t;
    *out = t;
    return gql_parser_name(&x->p, &t->name, NULL);
}

static hk_status parse_type_def(sdl *x, gql_type_kind kind)
{
    gql_type *t;
    hk_status st = add_type(x, kind, &t);
    if (!st && (kind == GQL_T_OBJECT || kind == GQL_T_INTERFACE))
        st = parse_implements(x, t);
    if (!st)
        st = skip_directives(x);
    if (st)
        return st;
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
static hk_status parse_schema_def(sdl *x)
{
    hk_status st = gql_parser_advance(&x->p);
    if (!st)
        st = skip_directives(x);
    if (!st)
        st = gql_parser_expect(&x->p, GQL_TOK_LBRACE);
    while (!st && !gql_parser_at(&x->p, GQL_TOK_RBRACE)) {
        const char *op, *name;
        st = gql_parser_name(&x->p, &op, NULL);
        if (!st)
            st = gql_parser_expect(&x->p, GQL_TOK_COLON);
        if (!st)
            st = gql_parser_name(&x->p, &name, NULL);
        if (!st && strcmp(op, "query") == 0)
            x->query_name = name;
        else if (!st && strcmp(op, "mutation") == 0)
            x->mutation_name = name;
    }
    return st ? st : gql_parser_advance(&x->p);
}

/* "directive" "@" Name ArgumentsDefinition? "repeatable"? "on" "|"? Loc ("|" Loc)* */
static hk_status parse_directive_def(sdl *x)
{
    const gql_input_def *args;
    size_t nargs;
    const char *name;
    bool pipe;
    hk_status st = gql_parser_advance(&x->p);
    if (!st)
        st = gql_parser_expect(&x->p, GQL_TOK_AT);
    if (!st)
        st = gql_parser_name(&x->p, &name, NULL);
    if (!st)
        st = parse_input_defs(x, GQL_TOK_LPAREN, GQL_TOK_RPAREN, &args, &nargs);
    if (!st && gql_parser_at_keyword(&x->p, "repeatable"))
        st = gql_parser_advance(&x->p);
    if (!st)
        st = gql_parser_expect_keyword(&x->p, "on");
    if (!st)
        st = gql_parser_skip(&x->p, GQL_TOK_PIPE, &pipe);
    do {
        if (!st)
            st = gql_parser_name(&x->p, &name, NULL);
        if (!st)
            st = gql_parser_skip(&x->p, GQL_TOK_PIPE, &pipe);
    } while (!st && pipe);
    return st;
}

static const struct {
    const char *kw;
    gql_type_kind kind;
} type_keywords[] = {
    {"scalar", GQL_T_SCALAR}, {"type", GQL_T_OBJECT}, {"interface", GQL_T_INTERFACE},
    {"union", GQL_T_UNION},   {"enum", GQL_T_ENUM},   {"input", GQL_T_INPUT},
};

static hk_status parse_definition(sdl *x)
{
    hk_status st = skip_description(x);
    if (st)
        return st;
    for (size_t i = 0; i < sizeof type_keywords / sizeof type_keywords[0]; i++) {
        if (gql_parser_at_keyword(&x->p, type_keywords[i].kw)) {
            st = gql_parser_advance(&x->p);
            return st ? st : parse_type_def(x, type_keywords[i].kind);
        }
    }
    if (gql_parser_at_keyword(&x->p, "schema"))
        return parse_schema_def(x);
    if (gql_parser_at_keyword(&x->p, "directive"))
        return parse_directive_def(x);
    return gql_parser_unexpected(&x->p);
}

/* ------------------------------------------------------------- resolving */

static hk_status resolve_ref(sdl *x, const gql_typeref *tr, bool input, const char *where)
{
    while (tr->kind != GQL_TR_NAMED)
        tr = tr->of;
    const gql_type *t = gql_schema_type(x->s, tr->name);
    if (!t)
        return schema_fail(x, tr->loc, "Unknown type \"%s\" (in %s).", tr->name, where);
    if (input ? !gql_type_is_input(t) : (t->kind == GQL_T_INPUT))
        return schema_fail(x, tr->loc, "Type \"%s\" cannot be used here (in %s).", tr->name, where);
    ((gql_typeref *)tr)->type = t;
    return HK_OK;
}

static hk_status resolve_inputs(sdl *x, const gql_input_def *defs, size_t n, const char *where)
{
    hk_status st = HK_OK;
    for (size_t i = 0; !st && i < n; i++)
        st = resolve_ref(x, defs[i].type, true, where);
    return st;
}

/* Looks up `names` as types of `kind` into an array of type pointers. */
static hk_status resolve_names(sdl *x, const gql_type *t, const char *const *names, size_t n,
                               gql_type_kind kind, const gql_type ***out)
{
    const gql_type **arr = hk_arena_calloc(x->s->arena, n ? n : 1, sizeof *arr);
    gql_loc none = {0, 0};
    if (!arr)
        return HK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        arr[i] = gql_schema_type(x->s, names[i]);
        if (!arr[i] || arr[i]->kind != kind)
            return schema_fail(x, none,
                               kind == GQL_T_INTERFACE ? "Type \"%s\" cannot implement \"%s\"."
                                                       : "Union \"%s\" cannot include \"%s\".",
                               t->name, names[i]);
    }
    *out = arr;
    return HK_OK;
}

static hk_status resolve_type(sdl *x, gql_type *t)
{
    hk_status st = HK_OK;
    for (size_t i = 0; !st && i < t->nfields; i++) {
        st = resolve_ref(x, t->fields[i].type, false, t->name);
        if (!st)
            st = resolve_inputs(x, t->fields[i].args, t->fields[i].nargs, t->name);
    }
    if (!st)
        st = resolve_inputs(x, t->inputs, t->ninputs, t->name);
    if (!st && t->nifaces)
        st = resolve_names(x, t, t->iface_names, t->nifaces, GQL_T_INTERFACE, &t->ifaces);
    if (!st && t->kind == GQL_T_UNION) {
        st = resolve_names(x, t, t->member_names, t->nmember_names, GQL_T_OBJECT, &t->possible);
        t->npossible = t->nmember_names;
    }
    if (!st && t->kind == GQL_T_OBJECT) {
        const gql_type **self = hk_arena_alloc(x->s->arena, sizeof *self);
        if (!self)
            return HK_ENOMEM;
        self[0] = t;
        t->possible = self;
        t->npossible = 1;
    }
    return st;
}

/* The possible types of an interface: the object types declaring it. */
static hk_status interface_possible(sdl *x, gql_type *iface)
{
    gql_vec objs = {0};
    for (size_t i = 0; i < x->s->ntypes; i++) {
        const gql_type *t = x->s->types[i];
        for (size_t j = 0; t->kind == GQL_T_OBJECT && j < t->nifaces; j++) {
            if (t->ifaces[j] != iface)
                continue;
            const gql_type **slot = gql_vec_push(&objs, sizeof *slot, x->s->arena);
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

static hk_status build_table(sdl *x)
{
    gql_schema *s = x->s;
    gql_loc none = {0, 0};
    s->nslots = 16;
    while (s->nslots < s->ntypes * 2)
        s->nslots *= 2;
    s->slots = hk_arena_calloc(s->arena, s->nslots, sizeof *s->slots);
    if (!s->slots)
        return HK_ENOMEM;
    for (size_t k = 0; k < s->ntypes; k++) {
        gql_type *t = s->types[k];
        size_t i = name_hash(t->name) & (s->nslots - 1);
        for (; s->slots[i]; i = (i + 1) & (s->nslots - 1)) {
            if (strcmp(s->slots[i]->name, t->name) == 0 && t->kind != GQL_T_SCALAR)
                return schema_fail(x, none, "There can be only one type named \"%s\".", t->name);
            if (strcmp(s->slots[i]->name, t->name) == 0)
                break; /* a built-in scalar declared again */
        }
        s->slots[i] = s->slots[i] ? s->slots[i] : t;
    }
    return HK_OK;
}

/* ----------------------------------------------------------------- entry */

static hk_status add_builtins(sdl *x)
{
    static const struct {
        const char *name;
        gql_scalar_kind kind;
    } builtins[] = {{"Int", GQL_S_INT},
                    {"Float", GQL_S_FLOAT},
                    {"String", GQL_S_STRING},
                    {"Boolean", GQL_S_BOOLEAN},
                    {"ID", GQL_S_ID}};
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        gql_type *t = hk_arena_calloc(x->s->arena, 1, sizeof *t);
        gql_type **slot = gql_vec_push(&x->types, sizeof *slot, x->s->arena);
        if (!t || !slot)
            return HK_ENOMEM;
        t->kind = GQL_T_SCALAR;
        t->scalar = builtins[i].kind;
        t->name = builtins[i].name;
        *slot = t;
    }
    return HK_OK;
}

static hk_status resolve_all(sdl *x)
{
    gql_schema *s = x->s;
    gql_loc none = {0, 0};
    hk_status st = build_table(x);
    for (size_t i = 0; !st && i < s->ntypes; i++)
        st = resolve_type(x, s->types[i]);
    for (size_t i = 0; !st && i < s->ntypes; i++)
        if (s->types[i]->kind == GQL_T_INTERFACE)
            st = interface_possible(x, s->types[i]);
    if (st)
        return st;
    s->query = gql_schema_type(s, x->query_name ? x->query_name : "Query");
    s->mutation = gql_schema_type(s, x->mutation_name ? x->mutation_name : "Mutation");
    s->boolean = gql_schema_type(s, "Boolean");
    if (!s->query || s->query->kind != GQL_T_OBJECT)
        return schema_fail(x, none, "The query root type must be an object type.");
    if (s->mutation && s->mutation->kind != GQL_T_OBJECT)
        return schema_fail(x, none, "The mutation root type must be an object type.");
    return HK_OK;
}

hk_status gql_sdl_load(gql_schema *s, const char *src, size_t len, gql_syntax_err *err)
{
    sdl x;
    gql_loc start = {1, 1};
    memset(&x, 0, sizeof x);
    x.s = s;
    x.err = err;
    if (!hk_utf8_valid(src, len))
        return gql_syntax_fail(err, start, "Document is not valid UTF-8 or contains NUL.");
    hk_status st = add_builtins(&x);
    if (!st)
        st = gql_parser_init(&x.p, src, len, 0, s->arena, err);
    while (!st && !gql_parser_at(&x.p, GQL_TOK_EOF))
        st = parse_definition(&x);
    if (st)
        return st;
    s->types = x.types.items;
    s->ntypes = x.types.n;
    return resolve_all(&x);
}
