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

/* A type-system definition met in an executable document (validation refuses it). */
typedef struct ast_foreign {
    const char *name; /* NULL: a schema definition or extension */
    gql_loc loc;
} ast_foreign;

typedef struct gql_document {
    const ast_foreign *foreign;
    size_t nforeign;
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

/* Whether s[0..n) is valid UTF-8, NUL characters allowed. */
bool gql_utf8_valid_nul(const char *s, size_t n);

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
    const char *description; /* NULL when none */
    const gql_typeref *type;
    const ast_value *defval; /* constant literal, NULL when none */
    const char *deprecation; /* @deprecated's reason; NULL when not deprecated */
} gql_input_def;

typedef struct gql_field_def {
    const char *name;
    const char *description;
    const gql_typeref *type;
    const gql_input_def *args;
    size_t nargs;
    const char *deprecation;
    gql_resolve_fn fn; /* NULL: unbound */
} gql_field_def;

typedef struct gql_enum_value {
    const char *name;
    const char *description;
    const char *deprecation;
} gql_enum_value;

struct gql_type {
    gql_type_kind kind;
    gql_scalar_kind scalar;
    const char *name;
    const char *description;
    const char *specified_by; /* scalars: @specifiedBy's url */
    bool one_of;              /* input objects: @oneOf */
    gql_typeref self;         /* a named type ref to this type (introspection's __Type) */
    gql_field_def *fields;    /* object, interface */
    size_t nfields;
    const gql_input_def *inputs; /* input object */
    size_t ninputs;
    const gql_enum_value *enum_values;
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

/* Where a directive may appear (spec §3.13), in __DirectiveLocation's order. */
typedef enum gql_dir_loc {
    GQL_DL_QUERY,
    GQL_DL_MUTATION,
    GQL_DL_SUBSCRIPTION,
    GQL_DL_FIELD,
    GQL_DL_FRAGMENT_DEFINITION,
    GQL_DL_FRAGMENT_SPREAD,
    GQL_DL_INLINE_FRAGMENT,
    GQL_DL_VARIABLE_DEFINITION,
    GQL_DL_SCHEMA,
    GQL_DL_SCALAR,
    GQL_DL_OBJECT,
    GQL_DL_FIELD_DEFINITION,
    GQL_DL_ARGUMENT_DEFINITION,
    GQL_DL_INTERFACE,
    GQL_DL_UNION,
    GQL_DL_ENUM,
    GQL_DL_ENUM_VALUE,
    GQL_DL_INPUT_OBJECT,
    GQL_DL_INPUT_FIELD_DEFINITION,
    GQL_DL_DIRECTIVE_DEFINITION,
    GQL_DL_COUNT
} gql_dir_loc;

/* "QUERY", "FIELD_DEFINITION", ... */
extern const char *const gql_dir_loc_names[GQL_DL_COUNT];

typedef struct gql_directive_def {
    const char *name; /* without "@" */
    const char *description;
    const gql_input_def *args;
    size_t nargs;
    uint32_t locations;             /* bit (1u << gql_dir_loc) per allowed location */
    const unsigned char *loc_order; /* the locations as declared (introspection's order) */
    size_t nlocs;
    bool repeatable;
    const char *deprecation;
} gql_directive_def;

typedef struct gql_intro_cache gql_intro_cache;

struct gql_schema {
    hk_arena *arena;
    const char *description;
    /* The type map in the reference implementation's order (see sdl.c: order_types):
     * what __schema.types lists. Built-in scalars nothing uses are not in it. */
    gql_type **types;
    size_t ntypes;
    gql_type **slots; /* open-addressing hash over `types` on name, nslots a power of two */
    size_t nslots;
    const gql_type *query, *mutation, *subscription;
    const gql_type *boolean;             /* for @include/@skip */
    const gql_type *meta;                /* __Meta: __schema, __type, __typename (not in the map) */
    const gql_directive_def *directives; /* declared in the SDL, then the specified ones */
    size_t ndirectives;
    gql_intro_cache *intro_cache; /* introspection.c */
};

/* The type named `name` or NULL. */
const gql_type *gql_schema_type(const gql_schema *s, const char *name);
/* The field `name` of an object or interface type, or NULL. */
const gql_field_def *gql_type_field(const gql_type *t, const char *name);
/* As gql_type_field, with the meta-fields: __typename on any composite type,
 * __schema and __type on the query root type (spec §4.1-4.2). */
const gql_field_def *gql_field_lookup(const gql_schema *s, const gql_type *t, const char *name);
/* The directive named `name` (without "@"), or NULL. */
const gql_directive_def *gql_schema_directive(const gql_schema *s, const char *name);
const gql_input_def *gql_input_find(const gql_input_def *defs, size_t n, const char *name);
bool gql_type_is_composite(const gql_type *t);
bool gql_type_is_abstract(const gql_type *t);
bool gql_type_is_input(const gql_type *t);
bool gql_type_is_leaf(const gql_type *t);
/* Whether object type `obj` is one of the possible types of `t`. */
bool gql_type_possible(const gql_type *t, const gql_type *obj);
bool gql_enum_has(const gql_type *t, const char *name);
/* Whether the type is one of the introspection system's (__Schema, __Type...). */
bool gql_type_is_introspection(const gql_type *t);

/* Parses the built-ins and then `sdl` into s (sdl.c). HK_EPARSE / HK_EINVAL
 * with err set, HK_ENOMEM. */
HK_MUST_CHECK hk_status gql_sdl_load(gql_schema *s, const char *sdl, size_t len,
                                     gql_syntax_err *err);
/*
 * Reads one type-system definition or extension (description included) at
 * the parser's position, for an executable document that has one: syntax
 * errors as graphql-js reports them, nothing kept. *name is the defined
 * type's or directive's name, NULL for schema definitions and extensions
 * (*is_schema then). HK_EPARSE, HK_ENOMEM.
 */
HK_MUST_CHECK hk_status gql_sdl_skip_definition(gql_parser *p, const char **name, bool *is_schema);

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
    const gql_loc *more_locs; /* further locations after `loc` (field merging names several) */
    size_t nmore_locs;
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
/* As gql_errs_add with n locations (the first is `loc`; n may be 0). */
void gql_errs_add_locs(gql_errlist *e, const char *code, const gql_loc *locs, size_t n,
                       const char *fmt, ...) HK_PRINTF(5, 6);
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

/* The coerced value of variable `name`: NULL when it was not provided (and has
 * no default). */
const gql_value *gql_var_value(const gql_varvals *vars, const char *name);

/* Parses an Int literal's text into *out; false when it does not fit int64. */
bool gql_parse_int(const char *s, int64_t *out);

/* ---------------------------------------------------------------- format */

/* Appends s[0..len) quoted as graphql-js's printString writes it. */
void gql_format_string(hk_buf *b, const char *s, size_t len);
/* A literal as graphql-js's print() writes it (long ones cut), in the arena;
 * never NULL. */
const char *gql_format_literal(hk_arena *a, const ast_value *v);
/* Appends d as JavaScript prints a number (0.5, 1e-7, 1e+21, 3). */
void gql_format_double(hk_buf *b, double d);
/* j as graphql-js's inspect() shows it in messages ({ a: [1, "x"] }); in
 * the arena, never NULL. */
const char *gql_format_inspect(hk_arena *a, json_t *j);

/* ------------------------------------------------------------ suggestions */

/* graphql-js's didYouMean(suggestionList(input, options)): " Did you mean
 * \"a\", \"b\", or \"c\"?" (with `sub`, e.g. "the enum value", after "mean"),
 * or "" when nothing is near. In the arena (suggest.c). */
const char *gql_suggest(hk_arena *a, const char *sub, const char *input, const char *const *options,
                        size_t n);
/* The same wording for names already chosen and ordered. */
const char *gql_did_you_mean(hk_arena *a, const char *sub, const char *const *names, size_t n);
/* graphql-js's naturalCompare: digit runs compare as numbers. */
int gql_natural_compare(const char *a, const char *b);
/* Suggestions among the names of n structs of `size` bytes whose first member
 * is their name (gql_field_def, gql_input_def, gql_enum_value). */
const char *gql_suggest_named(hk_arena *a, const char *sub, const char *input, const void *items,
                              size_t n, size_t size);

/* ------------------------------------------------------------ validation */

/*
 * Validates `doc` against `s` (spec §5 plus the limits). Errors go to errs
 * (GRAPHQL_VALIDATION_FAILED); returns HK_EINVAL when there were any,
 * HK_ENOMEM.
 */
HK_MUST_CHECK hk_status gql_validate(const gql_schema *s, const gql_document *doc,
                                     const gql_limits *lim, hk_arena *a, gql_errlist *errs);

/* ---------------------------------------------------------- introspection */

/* Binds the introspection resolvers and makes the answer cache (introspection.c). */
HK_MUST_CHECK hk_status gql_introspection_init(gql_schema *s);
/* Frees the cache; accepts NULL. */
void gql_introspection_free(gql_schema *s);
/* Appends the cached answer for `key` to out; false when there is none. */
bool gql_intro_cache_get(const gql_schema *s, const char *key, size_t keylen, hk_buf *out);
/* Keeps a copy of an answer (best effort: nothing happens without memory). */
void gql_intro_cache_put(const gql_schema *s, const char *key, size_t keylen, const char *body,
                         size_t len);
/* The schema a resolver runs against. */
const gql_schema *gql_field_schema(gql_field_ctx *fc);

/* OverlappingFieldsCanBeMerged (validate_merge.c): one per validation, its
 * caches shared by every selection set checked. NULL when out of memory. */
typedef struct gql_merge gql_merge;
gql_merge *gql_merge_new(const gql_schema *s, const gql_document *doc, hk_arena *a,
                         gql_errlist *errs);
/* Reports the conflicts within `set` (parent: its type, NULL when unknown). */
void gql_merge_check(gql_merge *m, const gql_type *parent, const ast_selset *set);
/* HK_ENOMEM once memory ran out, else HK_OK. */
hk_status gql_merge_status(const gql_merge *m);

/* Limits with zeros replaced by defaults. */
void gql_limits_resolve(const gql_limits *in, gql_limits *out);

#endif
