/*
 * parser.c - recursive-descent parser for executable documents (spec §2),
 * and the pieces the SDL loader shares (values, types, directives).
 *
 * Recursion is bounded: every nested selection set, list/object literal and
 * list type counts against GQL_MAX_NESTING, past which parsing fails. The
 * tree is allocated from the parser's arena; names are copied there.
 */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "graphql/graphql_int.h"

void *gql_vec_push(gql_vec *v, size_t elsize, hk_arena *a)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        void *items = hk_arena_alloc(a, cap * elsize);
        if (!items)
            return NULL;
        if (v->n)
            memcpy(items, v->items, v->n * elsize);
        v->items = items;
        v->cap = cap;
    }
    void *slot = (char *)v->items + v->n++ * elsize;
    memset(slot, 0, elsize);
    return slot;
}

/* ------------------------------------------------------------- plumbing */

hk_status gql_parser_init(gql_parser *p, const char *src, size_t len, size_t max_tokens,
                          hk_arena *a, gql_syntax_err *err)
{
    memset(p, 0, sizeof *p);
    p->arena = a;
    gql_lex_init(&p->lx, src, len, max_tokens, a, err);
    return gql_lex_next(&p->lx, &p->tok);
}

hk_status gql_parser_advance(gql_parser *p)
{
    return gql_lex_next(&p->lx, &p->tok);
}

bool gql_parser_at(const gql_parser *p, gql_tok_kind k)
{
    return p->tok.kind == k;
}

bool gql_parser_at_keyword(const gql_parser *p, const char *kw)
{
    size_t n = strlen(kw);
    return p->tok.kind == GQL_TOK_NAME && p->tok.len == n && memcmp(p->tok.start, kw, n) == 0;
}

/* "Name \"foo\"", "\"{\"", "<EOF>" for messages. */
static const char *tok_desc(const gql_token *t, char *buf, size_t n)
{
    switch (t->kind) {
    case GQL_TOK_NAME:
    case GQL_TOK_INT:
    case GQL_TOK_FLOAT:
        snprintf(buf, n, "%s \"%.*s\"", gql_tok_kind_str(t->kind), t->len > 64 ? 64 : (int)t->len,
                 t->start);
        return buf;
    case GQL_TOK_STRING:
    case GQL_TOK_BLOCK_STRING:
        snprintf(buf, n, "%s \"%.*s\"", gql_tok_kind_str(t->kind),
                 t->value_len > 64 ? 64 : (int)t->value_len, t->value);
        return buf;
    default:
        return gql_tok_kind_str(t->kind);
    }
}

hk_status gql_parser_unexpected(gql_parser *p)
{
    char d[128];
    return gql_syntax_fail(p->lx.err, p->tok.loc, "Unexpected %s.", tok_desc(&p->tok, d, sizeof d));
}

hk_status gql_parser_expect(gql_parser *p, gql_tok_kind k)
{
    char d[128];
    if (p->tok.kind != k)
        return gql_syntax_fail(p->lx.err, p->tok.loc, "Expected %s, found %s.", gql_tok_kind_str(k),
                               tok_desc(&p->tok, d, sizeof d));
    return gql_parser_advance(p);
}

hk_status gql_parser_skip(gql_parser *p, gql_tok_kind k, bool *found)
{
    *found = p->tok.kind == k;
    return *found ? gql_parser_advance(p) : HK_OK;
}

hk_status gql_parser_expect_keyword(gql_parser *p, const char *kw)
{
    char d[128];
    if (!gql_parser_at_keyword(p, kw))
        return gql_syntax_fail(p->lx.err, p->tok.loc, "Expected \"%s\", found %s.", kw,
                               tok_desc(&p->tok, d, sizeof d));
    return gql_parser_advance(p);
}

hk_status gql_parser_name(gql_parser *p, const char **out, gql_loc *loc)
{
    if (p->tok.kind != GQL_TOK_NAME)
        return gql_parser_expect(p, GQL_TOK_NAME);
    if (loc)
        *loc = p->tok.loc;
    *out = hk_arena_strndup(p->arena, p->tok.start, p->tok.len);
    if (!*out)
        return HK_ENOMEM;
    return gql_parser_advance(p);
}

static hk_status enter(gql_parser *p)
{
    if (++p->depth > GQL_MAX_NESTING)
        return gql_syntax_fail(p->lx.err, p->tok.loc,
                               "Document is nested more than %d levels deep.", GQL_MAX_NESTING);
    return HK_OK;
}

static void leave(gql_parser *p)
{
    p->depth--;
}

/* --------------------------------------------------------------- values */

static hk_status parse_list_value(gql_parser *p, bool is_const, ast_value *v)
{
    gql_vec items = {0};
    hk_status st = gql_parser_expect(p, GQL_TOK_LBRACKET);
    while (!st && !gql_parser_at(p, GQL_TOK_RBRACKET)) {
        const ast_value **slot = gql_vec_push(&items, sizeof *slot, p->arena);
        const ast_value *item;
        if (!slot)
            return HK_ENOMEM;
        st = gql_parse_value(p, is_const, &item);
        *slot = item;
    }
    if (!st)
        st = gql_parser_advance(p);
    v->kind = AV_LIST;
    v->items = items.items;
    v->n = items.n;
    return st;
}

static hk_status parse_object_value(gql_parser *p, bool is_const, ast_value *v)
{
    gql_vec fields = {0};
    hk_status st = gql_parser_expect(p, GQL_TOK_LBRACE);
    while (!st && !gql_parser_at(p, GQL_TOK_RBRACE)) {
        ast_objfield f = {0};
        st = gql_parser_name(p, &f.name, &f.loc);
        if (!st)
            st = gql_parser_expect(p, GQL_TOK_COLON);
        if (!st)
            st = gql_parse_value(p, is_const, &f.value);
        ast_objfield *slot = st ? NULL : gql_vec_push(&fields, sizeof f, p->arena);
        if (!st && !slot)
            st = HK_ENOMEM;
        if (slot)
            *slot = f;
    }
    if (!st)
        st = gql_parser_advance(p);
    v->kind = AV_OBJECT;
    v->fields = fields.items;
    v->n = fields.n;
    return st;
}

static hk_status parse_name_value(gql_parser *p, ast_value *v)
{
    if (gql_parser_at_keyword(p, "true") || gql_parser_at_keyword(p, "false")) {
        v->kind = AV_BOOL;
        v->b = p->tok.start[0] == 't';
        return gql_parser_advance(p);
    }
    if (gql_parser_at_keyword(p, "null")) {
        v->kind = AV_NULL;
        return gql_parser_advance(p);
    }
    v->kind = AV_ENUM;
    hk_status st = gql_parser_name(p, &v->s, NULL);
    if (!st)
        v->len = strlen(v->s);
    return st;
}

static hk_status parse_scalar_value(gql_parser *p, ast_value *v)
{
    const gql_token *t = &p->tok;
    if (t->kind == GQL_TOK_INT || t->kind == GQL_TOK_FLOAT) {
        v->kind = t->kind == GQL_TOK_INT ? AV_INT : AV_FLOAT;
        v->s = hk_arena_strndup(p->arena, t->start, t->len);
        v->len = t->len;
    } else {
        v->kind = AV_STRING;
        v->s = t->value;
        v->len = t->value_len;
    }
    if (!v->s)
        return HK_ENOMEM;
    return gql_parser_advance(p);
}

hk_status gql_parse_value(gql_parser *p, bool is_const, const ast_value **out)
{
    ast_value *v = hk_arena_calloc(p->arena, 1, sizeof *v);
    hk_status st;
    if (!v)
        return HK_ENOMEM;
    v->loc = p->tok.loc;
    *out = v;
    switch (p->tok.kind) {
    case GQL_TOK_LBRACKET:
    case GQL_TOK_LBRACE:
        if ((st = enter(p)))
            return st;
        st = p->tok.kind == GQL_TOK_LBRACKET ? parse_list_value(p, is_const, v)
                                             : parse_object_value(p, is_const, v);
        leave(p);
        return st;
    case GQL_TOK_INT:
    case GQL_TOK_FLOAT:
    case GQL_TOK_STRING:
    case GQL_TOK_BLOCK_STRING:
        return parse_scalar_value(p, v);
    case GQL_TOK_NAME:
        return parse_name_value(p, v);
    case GQL_TOK_DOLLAR:
        if (is_const) {
            gql_loc at = p->tok.loc;
            if ((st = gql_parser_advance(p)))
                return st;
            if (gql_parser_at(p, GQL_TOK_NAME))
                return gql_syntax_fail(p->lx.err, at,
                                       "Unexpected variable \"$%.*s\" in constant value.",
                                       p->tok.len > 64 ? 64 : (int)p->tok.len, p->tok.start);
            return gql_parser_unexpected(p);
        }
        v->kind = AV_VAR;
        if ((st = gql_parser_advance(p)) || (st = gql_parser_name(p, &v->s, NULL)))
            return st;
        v->len = strlen(v->s);
        return HK_OK;
    default:
        break;
    }
    return gql_parser_unexpected(p);
}

/* ------------------------------------------------------- types, directives */

hk_status gql_parse_typeref(gql_parser *p, const gql_typeref **out)
{
    gql_typeref *t = hk_arena_calloc(p->arena, 1, sizeof *t);
    hk_status st;
    bool bang;
    if (!t)
        return HK_ENOMEM;
    t->loc = p->tok.loc;
    if (gql_parser_at(p, GQL_TOK_LBRACKET)) {
        if ((st = enter(p)))
            return st;
        t->kind = GQL_TR_LIST;
        st = gql_parser_advance(p);
        if (!st)
            st = gql_parse_typeref(p, &t->of);
        if (!st)
            st = gql_parser_expect(p, GQL_TOK_RBRACKET);
        leave(p);
    } else {
        t->kind = GQL_TR_NAMED;
        st = gql_parser_name(p, &t->name, NULL);
    }
    if (!st)
        st = gql_parser_skip(p, GQL_TOK_BANG, &bang);
    if (st)
        return st;
    if (bang) {
        gql_typeref *nn = hk_arena_calloc(p->arena, 1, sizeof *nn);
        if (!nn)
            return HK_ENOMEM;
        nn->kind = GQL_TR_NONNULL;
        nn->of = t;
        nn->loc = t->loc;
        t = nn;
    }
    *out = t;
    return HK_OK;
}

hk_status gql_parse_arguments(gql_parser *p, bool is_const, const ast_arg **out, size_t *n)
{
    gql_vec args = {0};
    bool open;
    hk_status st = gql_parser_skip(p, GQL_TOK_LPAREN, &open);
    if (!st && open && gql_parser_at(p, GQL_TOK_RPAREN))
        st = gql_parser_expect(p, GQL_TOK_NAME); /* "()" is not allowed */
    while (!st && open && !gql_parser_at(p, GQL_TOK_RPAREN)) {
        ast_arg a = {0};
        st = gql_parser_name(p, &a.name, &a.loc);
        if (!st)
            st = gql_parser_expect(p, GQL_TOK_COLON);
        if (!st)
            st = gql_parse_value(p, is_const, &a.value);
        ast_arg *slot = st ? NULL : gql_vec_push(&args, sizeof a, p->arena);
        if (!st && !slot)
            st = HK_ENOMEM;
        if (slot)
            *slot = a;
    }
    if (!st && open)
        st = gql_parser_advance(p);
    *out = args.items;
    *n = args.n;
    return st;
}

hk_status gql_parse_directives(gql_parser *p, bool is_const, const ast_directive **out, size_t *n)
{
    gql_vec dirs = {0};
    hk_status st = HK_OK;
    while (!st && gql_parser_at(p, GQL_TOK_AT)) {
        ast_directive d = {0};
        d.loc = p->tok.loc;
        st = gql_parser_advance(p);
        if (!st)
            st = gql_parser_name(p, &d.name, NULL);
        if (!st)
            st = gql_parse_arguments(p, is_const, &d.args, &d.nargs);
        ast_directive *slot = st ? NULL : gql_vec_push(&dirs, sizeof d, p->arena);
        if (!st && !slot)
            st = HK_ENOMEM;
        if (slot)
            *slot = d;
    }
    *out = dirs.items;
    *n = dirs.n;
    return st;
}

/* ------------------------------------------------------------ selections */

static hk_status parse_selset(gql_parser *p, const ast_selset **out);

static hk_status parse_field(gql_parser *p, ast_sel *s)
{
    bool colon;
    s->kind = SEL_FIELD;
    hk_status st = gql_parser_name(p, &s->name, &s->loc);
    if (!st)
        st = gql_parser_skip(p, GQL_TOK_COLON, &colon);
    if (!st && colon) {
        s->alias = s->name;
        p->naliases++;
        st = gql_parser_name(p, &s->name, NULL);
    }
    if (!st)
        st = gql_parse_arguments(p, false, &s->args, &s->nargs);
    if (!st)
        st = gql_parse_directives(p, false, &s->dirs, &s->ndirs);
    if (!st && gql_parser_at(p, GQL_TOK_LBRACE))
        st = parse_selset(p, &s->sel);
    return st;
}

/* After "...": a spread "...Name" or an inline fragment "... on T {}" / "... {}". */
static hk_status parse_fragment_sel(gql_parser *p, ast_sel *s)
{
    hk_status st;
    if (gql_parser_at(p, GQL_TOK_NAME) && !gql_parser_at_keyword(p, "on")) {
        s->kind = SEL_SPREAD;
        st = gql_parser_name(p, &s->name, NULL);
        if (!st)
            st = gql_parse_directives(p, false, &s->dirs, &s->ndirs);
        return st;
    }
    s->kind = SEL_INLINE;
    st = HK_OK;
    if (gql_parser_at_keyword(p, "on")) {
        st = gql_parser_advance(p);
        if (!st)
            st = gql_parser_name(p, &s->type_cond, &s->type_loc);
    }
    if (!st)
        st = gql_parse_directives(p, false, &s->dirs, &s->ndirs);
    if (!st)
        st = parse_selset(p, &s->sel);
    return st;
}

static hk_status parse_selection(gql_parser *p, ast_sel *s)
{
    if (!gql_parser_at(p, GQL_TOK_SPREAD))
        return parse_field(p, s);
    s->loc = p->tok.loc;
    hk_status st = gql_parser_advance(p);
    return st ? st : parse_fragment_sel(p, s);
}

static hk_status parse_selset(gql_parser *p, const ast_selset **out)
{
    ast_selset *set = hk_arena_calloc(p->arena, 1, sizeof *set);
    gql_vec items = {0};
    hk_status st;
    if (!set)
        return HK_ENOMEM;
    set->loc = p->tok.loc;
    if ((st = gql_parser_expect(p, GQL_TOK_LBRACE)))
        return st;
    if ((st = enter(p)))
        return st;
    do {
        ast_sel s = {0};
        st = parse_selection(p, &s);
        ast_sel *slot = st ? NULL : gql_vec_push(&items, sizeof s, p->arena);
        if (!st && !slot)
            st = HK_ENOMEM;
        if (slot)
            *slot = s;
    } while (!st && !gql_parser_at(p, GQL_TOK_RBRACE));
    leave(p);
    if (!st)
        st = gql_parser_advance(p);
    set->items = items.items;
    set->n = items.n;
    *out = set;
    return st;
}

/* ----------------------------------------------------------- definitions */

static bool at_description(const gql_parser *p)
{
    return gql_parser_at(p, GQL_TOK_STRING) || gql_parser_at(p, GQL_TOK_BLOCK_STRING);
}

static hk_status parse_vardefs(gql_parser *p, ast_operation *op)
{
    gql_vec vars = {0};
    bool open;
    hk_status st = gql_parser_skip(p, GQL_TOK_LPAREN, &open);
    if (!st && open && gql_parser_at(p, GQL_TOK_RPAREN))
        st = gql_parser_expect(p, GQL_TOK_DOLLAR);
    while (!st && open && !gql_parser_at(p, GQL_TOK_RPAREN)) {
        ast_vardef v = {0};
        bool eq;
        v.loc = p->tok.loc;
        if (at_description(p)) /* graphql-js 16.15 reads (and we drop) one */
            st = gql_parser_advance(p);
        if (!st)
            st = gql_parser_expect(p, GQL_TOK_DOLLAR);
        if (!st)
            st = gql_parser_name(p, &v.name, NULL);
        if (!st)
            st = gql_parser_expect(p, GQL_TOK_COLON);
        if (!st)
            st = gql_parse_typeref(p, &v.type);
        if (!st)
            st = gql_parser_skip(p, GQL_TOK_EQUALS, &eq);
        if (!st && eq)
            st = gql_parse_value(p, true, &v.defval);
        if (!st)
            st = gql_parse_directives(p, true, &v.dirs, &v.ndirs);
        ast_vardef *slot = st ? NULL : gql_vec_push(&vars, sizeof v, p->arena);
        if (!st && !slot)
            st = HK_ENOMEM;
        if (slot)
            *slot = v;
    }
    if (!st && open)
        st = gql_parser_advance(p);
    op->vars = vars.items;
    op->nvars = vars.n;
    return st;
}

static hk_status parse_operation(gql_parser *p, ast_operation *op)
{
    hk_status st = HK_OK;
    op->loc = p->tok.loc;
    op->kind = OP_QUERY;
    if (gql_parser_at(p, GQL_TOK_LBRACE))
        return parse_selset(p, &op->sel);
    if (gql_parser_at_keyword(p, "mutation"))
        op->kind = OP_MUTATION;
    else if (gql_parser_at_keyword(p, "subscription"))
        op->kind = OP_SUBSCRIPTION;
    st = gql_parser_advance(p);
    if (!st && gql_parser_at(p, GQL_TOK_NAME))
        st = gql_parser_name(p, &op->name, NULL);
    if (!st)
        st = parse_vardefs(p, op);
    if (!st)
        st = gql_parse_directives(p, false, &op->dirs, &op->ndirs);
    if (!st)
        st = parse_selset(p, &op->sel);
    return st;
}

static hk_status parse_fragment_def(gql_parser *p, ast_fragment *f)
{
    f->loc = p->tok.loc;
    hk_status st = gql_parser_advance(p);
    if (!st && gql_parser_at_keyword(p, "on"))
        st = gql_parser_unexpected(p);
    if (!st)
        st = gql_parser_name(p, &f->name, NULL);
    if (!st)
        st = gql_parser_expect_keyword(p, "on");
    if (!st)
        st = gql_parser_name(p, &f->type_cond, &f->type_loc);
    if (!st)
        st = gql_parse_directives(p, false, &f->dirs, &f->ndirs);
    if (!st)
        st = parse_selset(p, &f->sel);
    return st;
}

static bool at_operation(const gql_parser *p)
{
    return gql_parser_at(p, GQL_TOK_LBRACE) || gql_parser_at_keyword(p, "query") ||
           gql_parser_at_keyword(p, "mutation") || gql_parser_at_keyword(p, "subscription");
}

/* A type-system definition or extension (graphql-js parses them in any
 * document; validation then refuses them as not executable). */
static bool at_type_system(const gql_parser *p)
{
    static const char *const kws[] = {"schema", "scalar", "type",      "interface", "union",
                                      "enum",   "input",  "directive", "extend"};
    if (gql_parser_at(p, GQL_TOK_STRING) || gql_parser_at(p, GQL_TOK_BLOCK_STRING))
        return true;
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (gql_parser_at_keyword(p, kws[i]))
            return true;
    return false;
}

static hk_status parse_definitions(gql_parser *p, gql_document *doc)
{
    gql_vec ops = {0}, frags = {0}, foreign = {0};
    hk_status st = HK_OK;
    do {
        /* A description may precede an operation (not a shorthand one), a
         * fragment or a type-system definition (graphql-js 16.15, spec
         * September 2025); it is read and dropped. */
        gql_loc desc_at = p->tok.loc;
        bool described = at_description(p);
        if (described && (st = gql_parser_advance(p)))
            break;
        if (described && gql_parser_at(p, GQL_TOK_LBRACE)) {
            st = gql_syntax_fail(p->lx.err, desc_at,
                                 "Unexpected description, descriptions are not supported on "
                                 "shorthand queries.");
        } else if (described && gql_parser_at_keyword(p, "extend")) {
            st = gql_syntax_fail(p->lx.err, desc_at,
                                 "Unexpected description, only GraphQL definitions support "
                                 "descriptions.");
        } else if (at_type_system(p) && !(described && at_description(p))) {
            ast_foreign f = {0};
            bool is_schema;
            f.loc = described ? desc_at : p->tok.loc;
            st = gql_sdl_skip_definition(p, &f.name, &is_schema);
            ast_foreign *slot = st ? NULL : gql_vec_push(&foreign, sizeof f, p->arena);
            if (!st && !slot)
                st = HK_ENOMEM;
            if (slot)
                *slot = f;
        } else if (at_operation(p)) {
            ast_operation op = {0};
            st = parse_operation(p, &op);
            if (described)
                op.loc = desc_at;
            ast_operation *slot = st ? NULL : gql_vec_push(&ops, sizeof op, p->arena);
            if (!st && !slot)
                st = HK_ENOMEM;
            if (slot)
                *slot = op;
        } else if (gql_parser_at_keyword(p, "fragment")) {
            ast_fragment f = {0};
            st = parse_fragment_def(p, &f);
            if (described)
                f.loc = desc_at;
            ast_fragment *slot = st ? NULL : gql_vec_push(&frags, sizeof f, p->arena);
            if (!st && !slot)
                st = HK_ENOMEM;
            if (slot)
                *slot = f;
        } else {
            st = gql_parser_unexpected(p);
        }
    } while (!st && !gql_parser_at(p, GQL_TOK_EOF));
    doc->foreign = foreign.items;
    doc->nforeign = foreign.n;
    doc->ops = ops.items;
    doc->nops = ops.n;
    doc->frags = frags.items;
    doc->nfrags = frags.n;
    return st;
}

hk_status gql_parse_document(const char *src, size_t len, size_t max_tokens, hk_arena *a,
                             gql_document **out, gql_syntax_err *err)
{
    gql_parser p;
    gql_loc start = {1, 1};
    hk_status st;
    *out = NULL;
    if (!gql_utf8_valid_nul(src, len))
        return gql_syntax_fail(err, start, "Document is not valid UTF-8.");
    gql_document *doc = hk_arena_calloc(a, 1, sizeof *doc);
    if (!doc)
        return HK_ENOMEM;
    st = gql_parser_init(&p, src, len, max_tokens, a, err);
    if (!st)
        st = parse_definitions(&p, doc);
    if (st)
        return st;
    doc->naliases = p.naliases;
    *out = doc;
    return HK_OK;
}

bool gql_utf8_valid_nul(const char *s, size_t n)
{
    const char *end = s + n, *nul;
    /* NUL is one byte and never inside a multi-byte sequence: check between them. */
    while ((nul = memchr(s, '\0', (size_t)(end - s))) != NULL) {
        if (!hk_utf8_valid(s, (size_t)(nul - s)))
            return false;
        s = nul + 1;
    }
    return hk_utf8_valid(s, (size_t)(end - s));
}

/* ---------------------------------------------------------------- lookup */

size_t gql_doc_fragment_index(const gql_document *doc, const char *name)
{
    size_t i = 0;
    while (i < doc->nfrags && strcmp(doc->frags[i].name, name) != 0)
        i++;
    return i;
}

const ast_fragment *gql_doc_fragment(const gql_document *doc, const char *name)
{
    size_t i = gql_doc_fragment_index(doc, name);
    return i < doc->nfrags ? &doc->frags[i] : NULL;
}
