/*
 * graphql_int.h - internals shared by the files of src/graphql: the lexer,
 * the syntax tree, the schema model, the error list, value coercion,
 * validation and execution. Nothing here is part of the public contract.
 *
 * Memory: the syntax tree of a request lives in the request's arena; the
 * schema model lives in the schema's own arena. Strings are NUL-terminated.
 */
#ifndef HOOKD_GRAPHQL_GRAPHQL_INT_H
#define HOOKD_GRAPHQL_GRAPHQL_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graphql/graphql.h"

/* ---------------------------------------------------------------- vector */

/* A growable array in an arena: growth copies, the old storage stays in the
 * arena until it is freed (at most doubling the memory used). */
typedef struct gql_vec {
    void *items;
    size_t n, cap;
} gql_vec;

/* A zeroed new last element of size `elsize`; NULL when the arena is full.
 * Pointers to earlier elements are invalid after a push. */
void *gql_vec_push(gql_vec *v, size_t elsize, hk_arena *a);

/* ----------------------------------------------------------------- lexer */

typedef struct gql_loc {
    uint32_t line, col; /* 1-based; col counts code points */
} gql_loc;

/* The first syntax (or schema) error: message without location prefix. */
typedef struct gql_syntax_err {
    char message[256];
    gql_loc loc;
    bool set;
} gql_syntax_err;

typedef enum gql_tok_kind {
    GQL_TOK_EOF,
    GQL_TOK_BANG,
    GQL_TOK_DOLLAR,
    GQL_TOK_AMP,
    GQL_TOK_LPAREN,
    GQL_TOK_RPAREN,
    GQL_TOK_SPREAD,
    GQL_TOK_COLON,
    GQL_TOK_EQUALS,
    GQL_TOK_AT,
    GQL_TOK_LBRACKET,
    GQL_TOK_RBRACKET,
    GQL_TOK_LBRACE,
    GQL_TOK_PIPE,
    GQL_TOK_RBRACE,
    GQL_TOK_NAME,
    GQL_TOK_INT,
    GQL_TOK_FLOAT,
    GQL_TOK_STRING,
    GQL_TOK_BLOCK_STRING,
} gql_tok_kind;

typedef struct gql_token {
    gql_tok_kind kind;
    gql_loc loc;
    const char *start; /* the raw token text in the source */
    size_t len;
    const char *value; /* strings: the decoded value (arena), NUL-terminated */
    size_t value_len;
} gql_token;

typedef struct gql_lexer {
    const char *p, *end;
    gql_loc pos;       /* location of *p */
    size_t ntokens;    /* tokens produced so far */
    size_t max_tokens; /* 0: unlimited */
    hk_arena *arena;
    gql_syntax_err *err;
} gql_lexer;

/* `src` must be valid UTF-8 (checked by the caller). */
void gql_lex_init(gql_lexer *lx, const char *src, size_t len, size_t max_tokens, hk_arena *a,
                  gql_syntax_err *err);
/* The next token (GQL_TOK_EOF at the end, repeatedly). HK_EPARSE with
 * lx->err set, HK_ENOMEM. */
HK_MUST_CHECK hk_status gql_lex_next(gql_lexer *lx, gql_token *tok);
/* Static name of a token kind for messages: "Name", "<EOF>", "{" ... */
const char *gql_tok_kind_str(gql_tok_kind k);
/* Records the first syntax error ("Syntax Error: " is prepended); returns HK_EPARSE. */
hk_status gql_syntax_fail(gql_syntax_err *err, gql_loc loc, const char *fmt, ...) HK_PRINTF(3, 4);

/* ------------------------------------------------------------ type refs */

typedef struct gql_type gql_type;

typedef enum gql_tr_kind { GQL_TR_NAMED, GQL_TR_LIST, GQL_TR_NONNULL } gql_tr_kind;

typedef struct gql_typeref {
    gql_tr_kind kind;
    const char *name;             /* named */
    const struct gql_typeref *of; /* list, non-null */
    const gql_type *type;         /* named: resolved (schema: always; documents: by
                                   * validation, NULL when unknown) */
    gql_loc loc;
} gql_typeref;

/* The named type at the core of a type ref (NULL when unresolved). */
const gql_type *gql_typeref_named(const gql_typeref *tr);
/* "[String!]!" in the arena (NULL on OOM). */
const char *gql_typeref_str(const gql_typeref *tr, hk_arena *a);

/* ------------------------------------------------------------ syntax tree */

typedef enum ast_value_kind {
    AV_VAR,
    AV_INT,
    AV_FLOAT,
    AV_STRING,
    AV_BOOL,
    AV_NULL,
    AV_ENUM,
    AV_LIST,
    AV_OBJECT,
} ast_value_kind;

typedef struct ast_value ast_value;

typedef struct ast_objfield {
    const char *name;
    gql_loc loc;
    const ast_value *value;
} ast_objfield;

struct ast_value {
    ast_value_kind kind;
    gql_loc loc;
    bool b;
    const char *s; /* var name, enum name, decoded string, number text */
    size_t len;
    size_t n; /* list items / object fields */
    const ast_value *const *items;
    const ast_objfield *fields;
};

typedef struct ast_arg {
    const char *name;
    gql_loc loc;
    const ast_value *value;
} ast_arg;

typedef struct ast_directive {
    const char *name;
    gql_loc loc;
    const ast_arg *args;
    size_t nargs;
} ast_directive;

typedef enum ast_sel_kind { SEL_FIELD, SEL_SPREAD, SEL_INLINE } ast_sel_kind;

typedef struct ast_sel ast_sel;
typedef struct ast_fragment ast_fragment;

typedef struct ast_selset {
    const ast_sel *items;
    size_t n;
    gql_loc loc;
} ast_selset;

struct ast_sel {
    ast_sel_kind kind;
    gql_loc loc;
    const char *alias; /* field: NULL when none */
    const char *name;  /* field name; fragment name of a spread */
    const ast_arg *args;
    size_t nargs;
    const ast_directive *dirs;
    size_t ndirs;
    const char *type_cond; /* inline fragment: NULL when none */
    gql_loc type_loc;
    const ast_selset *sel; /* field, inline fragment: NULL when absent */
};

typedef struct ast_vardef {
    const char *name;
    gql_loc loc;
    const gql_typeref *type;
    const ast_value *defval; /* NULL when none */
    const ast_directive *dirs;
    size_t ndirs;
} ast_vardef;

typedef enum ast_op_kind { OP_QUERY, OP_MUTATION, OP_SUBSCRIPTION } ast_op_kind;

typedef struct ast_operation {
    ast_op_kind kind;
    const char *name; /* NULL: anonymous */
    gql_loc loc;
    const ast_vardef *vars;
    size_t nvars;
    const ast_directive *dirs;
    size_t ndirs;
    const ast_selset *sel;
} ast_operation;

struct ast_fragment {
    const char *name;
    gql_loc loc;
    const char *type_cond;
    gql_loc type_loc;
    const ast_directive *dirs;
    size_t ndirs;
    const ast_selset *sel;
};

typedef struct gql_document {
    const ast_operation *ops;
    size_t nops;
    const ast_fragment *frags;
    size_t nfrags;
    size_t naliases; /* fields with an alias, in the whole document */
} gql_document;

/* The fragment named `name`, or NULL. */
const ast_fragment *gql_doc_fragment(const gql_document *doc, const char *name);
/* Its index in doc->frags, or doc->nfrags. */
size_t gql_doc_fragment_index(const gql_document *doc, const char *name);

/* ---------------------------------------------------------------- parser */

typedef struct gql_parser {
    gql_lexer lx;
    gql_token tok; /* the current, not yet consumed token */
    hk_arena *arena;
    unsigned depth; /* current nesting of selections/values/types */
    size_t naliases;
} gql_parser;

/* Reads the first token. */
HK_MUST_CHECK hk_status gql_parser_init(gql_parser *p, const char *src, size_t len,
                                        size_t max_tokens, hk_arena *a, gql_syntax_err *err);
HK_MUST_CHECK hk_status gql_parser_advance(gql_parser *p);
bool gql_parser_at(const gql_parser *p, gql_tok_kind k);
bool gql_parser_at_keyword(const gql_parser *p, const char *kw);
/* Consumes a token of kind k or fails "Expected k, found X". */
HK_MUST_CHECK hk_status gql_parser_expect(gql_parser *p, gql_tok_kind k);
/* Consumes the token if it is of kind k; *found tells. */
HK_MUST_CHECK hk_status gql_parser_skip(gql_parser *p, gql_tok_kind k, bool *found);
HK_MUST_CHECK hk_status gql_parser_expect_keyword(gql_parser *p, const char *kw);
HK_MUST_CHECK hk_status gql_parser_name(gql_parser *p, const char **out, gql_loc *loc);
/* Fails with "Unexpected <current token>". */
hk_status gql_parser_unexpected(gql_parser *p);
HK_MUST_CHECK hk_status gql_parse_value(gql_parser *p, bool is_const, const ast_value **out);
HK_MUST_CHECK hk_status gql_parse_typeref(gql_parser *p, const gql_typeref **out);
HK_MUST_CHECK hk_status gql_parse_arguments(gql_parser *p, bool is_const, const ast_arg **out,
                                            size_t *n);
HK_MUST_CHECK hk_status gql_parse_directives(gql_parser *p, bool is_const,
                                             const ast_directive **out, size_t *n);

/*
 * Parses an executable document (src must be valid UTF-8; checked here).
 * HK_EPARSE with err set, HK_ENOMEM.
 */
HK_MUST_CHECK hk_status gql_parse_document(const char *src, size_t len, size_t max_tokens,
                                           hk_arena *a, gql_document **out, gql_syntax_err *err);

/* ---------------------------------------------------------------- schema */

typedef enum gql_type_kind {
    GQL_T_SCALAR,
    GQL_T_OBJECT,
    GQL_T_INTERFACE,
    GQL_T_UNION,
    GQL_T_ENUM,
    GQL_T_INPUT,
} gql_type_kind;

typedef enum gql_scalar_kind {
    GQL_S_CUSTOM,
    GQL_S_INT,
    GQL_S_FLOAT,
    GQL_S_STRING,
    GQL_S_BOOLEAN,
    GQL_S_ID,
} gql_scalar_kind;

/* An argument or an input object field. */
typedef struct gql_input_def {
    const char *name;
    const gql_typeref *type;
    const ast_value *defval; /* constant literal, NULL when none */
} gql_input_def;

typedef struct gql_field_def {
    const char *name;
    const gql_typeref *type;
    const gql_input_def *args;
    size_t nargs;
    gql_resolve_fn fn; /* NULL: unbound */
} gql_field_def;

struct gql_type {
    gql_type_kind kind;
    gql_scalar_kind scalar;
    const char *name;
    gql_field_def *fields; /* object, interface */
    size_t nfields;
    const gql_input_def *inputs; /* input object */
    size_t ninputs;
    const char *const *enum_values;
    size_t nenum;
    const gql_type **ifaces; /* object, interface: implemented interfaces */
    size_t nifaces;
    const gql_type **possible; /* interface, union: object types; object: itself */
    size_t npossible;
    /* names as written, resolved after parsing */
    const char *const *iface_names;
    const char *const *member_names;
    size_t nmember_names;
};

struct gql_schema {
    hk_arena *arena;
    gql_type **types;
    size_t ntypes;
    gql_type **slots; /* open-addressing hash on name, nslots a power of two */
    size_t nslots;
    const gql_type *query, *mutation;
    const gql_type *boolean; /* for @include/@skip */
};

/* The type named `name` or NULL. */
const gql_type *gql_schema_type(const gql_schema *s, const char *name);
/* The field `name` of an object or interface type, or NULL. */
const gql_field_def *gql_type_field(const gql_type *t, const char *name);
const gql_input_def *gql_input_find(const gql_input_def *defs, size_t n, const char *name);
bool gql_type_is_composite(const gql_type *t);
bool gql_type_is_abstract(const gql_type *t);
bool gql_type_is_input(const gql_type *t);
bool gql_type_is_leaf(const gql_type *t);
/* Whether object type `obj` is one of the possible types of `t`. */
bool gql_type_possible(const gql_type *t, const gql_type *obj);
bool gql_enum_has(const gql_type *t, const char *name);

/* Parses SDL into s (sdl.c). HK_EPARSE / HK_EINVAL with err set, HK_ENOMEM. */
HK_MUST_CHECK hk_status gql_sdl_load(gql_schema *s, const char *sdl, size_t len,
                                     gql_syntax_err *err);

/* ---------------------------------------------------------------- errors */

/* A response path: a chain from the leaf to the root. */
typedef struct gql_path {
    const struct gql_path *prev;
    const char *key; /* NULL: index */
    size_t index;
} gql_path;

typedef struct gql_err {
    struct gql_err *next;
    const char *message;
    const char *code;
    gql_loc loc;
    bool has_loc;
    const char *path; /* JSON array text, or NULL */
} gql_err;

typedef struct gql_errlist {
    hk_arena *arena;
    gql_err *head, *tail;
    unsigned n, max, dropped;
    hk_status st; /* HK_ENOMEM when an error could not be recorded */
} gql_errlist;

void gql_errs_init(gql_errlist *e, hk_arena *a, unsigned max);
/* Records an error; `loc` and `path` may be NULL. */
void gql_errs_add(gql_errlist *e, const char *code, const gql_loc *loc, const gql_path *path,
                  const char *fmt, ...) HK_PRINTF(5, 6);
void gql_errs_addv(gql_errlist *e, const char *code, const gql_loc *loc, const gql_path *path,
                   const char *fmt, va_list ap);
/* Writes the JSON array of the errors. */
void gql_errs_write(const gql_errlist *e, hk_buf *b);

/* ---------------------------------------------------------------- values */

/* Coerced variable values of the executing operation. */
typedef struct gql_varvals {
    const ast_vardef *defs;
    size_t n;
    const gql_value **values; /* NULL: not provided and no default */
} gql_varvals;

/*
 * Coerces the request's JSON variables for `op`: required ones present,
 * types checked, defaults applied. First the whole `vars` object is held to
 * lim->max_variable_values values and lim->max_variable_list_items items a
 * list (lim resolved). Errors (BAD_USER_INPUT) go to errs; returns HK_EINVAL
 * when there were any, HK_ENOMEM.
 */
HK_MUST_CHECK hk_status gql_coerce_variables(const gql_schema *s, const ast_operation *op,
                                             json_t *vars, const gql_limits *lim, hk_arena *a,
                                             gql_varvals *out, gql_errlist *errs);

/*
 * Coerces a literal (already validated against `tr`) to a value, with
 * variables from `vars` (may be NULL for constant literals). *absent is set
 * when the literal is a variable that was not provided (out untouched).
 * HK_EINVAL with `msg` when a null ends up in a non-null position or a value
 * does not fit, HK_ENOMEM.
 */
HK_MUST_CHECK hk_status gql_coerce_literal(const gql_typeref *tr, const ast_value *lit,
                                           const gql_varvals *vars, hk_arena *a, gql_value *out,
                                           bool *absent, char *msg, size_t msgsz);

/* Parses an Int literal's text into *out; false when it does not fit int64. */
bool gql_parse_int(const char *s, int64_t *out);

/* ---------------------------------------------------------------- format */

/* Appends d as JavaScript prints a number (0.5, 1e-7, 1e+21, 3). */
void gql_format_double(hk_buf *b, double d);
/* j as graphql-js's inspect() shows it in messages ({ a: [1, "x"] }); in
 * the arena, never NULL. */
const char *gql_format_inspect(hk_arena *a, json_t *j);

/* ------------------------------------------------------------ validation */

/*
 * Validates `doc` against `s` (spec §5 plus the limits). Errors go to errs
 * (GRAPHQL_VALIDATION_FAILED); returns HK_EINVAL when there were any,
 * HK_ENOMEM.
 */
HK_MUST_CHECK hk_status gql_validate(const gql_schema *s, const gql_document *doc,
                                     const gql_limits *lim, hk_arena *a, gql_errlist *errs);

/* Limits with zeros replaced by defaults. */
void gql_limits_resolve(const gql_limits *in, gql_limits *out);

#endif
