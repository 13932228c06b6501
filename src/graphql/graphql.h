/*
 * graphql.h - a small GraphQL engine: schema from SDL, resolvers bound by
 * type and field name, and execution of one request into a JSON response.
 *
 * Lifecycle:
 *     gql_schema *s;
 *     gql_schema_new(sdl, len, &s, &err);          // once, at startup
 *     gql_schema_bind(s, "Query", "customer", fn); // once per resolver
 *     ... share `s` between threads (read-only from here on) ...
 *     gql_execute(s, &req, &body, &outcome);      // per request, any thread
 *     gql_schema_free(s);
 *
 * Memory: the schema owns its memory. Everything a request needs (document,
 * coerced values, results, errors) comes from the request's arena, which the
 * caller owns and frees; gql_execute itself allocates nothing else except
 * growing the output buffer. Results handed to the engine by resolvers are
 * borrowed: they (and the strings and objects they point to) must live as
 * long as the arena, i.e. be static, be in the arena or outlive the call.
 *
 * Errors: the response follows the GraphQL spec (§7): {"data":...} and/or
 * {"errors":[{"message","locations":[{"line","column"}],"path","extensions":
 * {"code"}}]}. gql_outcome tells the caller which HTTP status to send.
 */
#ifndef HOOKD_GRAPHQL_GRAPHQL_H
#define HOOKD_GRAPHQL_GRAPHQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/status.h"

/* extensions.code values used by the engine (Apollo Server's codes). */
#define GQL_CODE_PARSE_FAILED "GRAPHQL_PARSE_FAILED"
#define GQL_CODE_VALIDATION_FAILED "GRAPHQL_VALIDATION_FAILED"
#define GQL_CODE_BAD_USER_INPUT "BAD_USER_INPUT"
#define GQL_CODE_UNAUTHENTICATED "UNAUTHENTICATED"
#define GQL_CODE_FORBIDDEN "FORBIDDEN"
#define GQL_CODE_INTERNAL "INTERNAL_SERVER_ERROR"

typedef struct gql_schema gql_schema;
typedef struct gql_field_ctx gql_field_ctx;

/* ---------------------------------------------------------------- values */

/*
 * An input value (argument or input-object field) after coercion to its
 * declared type: variables substituted, defaults applied, Int range checked,
 * enum names checked. Values of custom scalars are passed as given (a string
 * literal stays GQL_V_STRING, a JSON object variable becomes GQL_V_OBJECT).
 */
typedef enum gql_value_kind {
    GQL_V_NULL,
    GQL_V_BOOL,
    GQL_V_INT,    /* i: any Int is within int32; custom scalars may carry int64 */
    GQL_V_FLOAT,  /* f */
    GQL_V_STRING, /* str: UTF-8, NUL-terminated, may contain NUL (use len) */
    GQL_V_ENUM,   /* str: the enum value's name */
    GQL_V_LIST,   /* list */
    GQL_V_OBJECT, /* obj: input object fields in the order given */
} gql_value_kind;

typedef struct gql_value gql_value;
typedef struct gql_value_entry gql_value_entry;

struct gql_value {
    gql_value_kind kind;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *s;
            size_t len;
        } str;
        struct {
            size_t n;
            const gql_value *items;
        } list;
        struct {
            size_t n;
            const gql_value_entry *entries;
        } obj;
    } u;
};

struct gql_value_entry {
    const char *name;
    gql_value value;
};

/* The entry `key` of an input object, NULL when `obj` is NULL, not an object
 * or has no such entry (absent, not explicitly null: that is GQL_V_NULL). */
const gql_value *gql_value_field(const gql_value *obj, const char *key);
/* True when v is NULL (absent) or an explicit null. */
bool gql_value_is_null(const gql_value *v);

/* --------------------------------------------------------------- results */

typedef enum gql_result_kind {
    GQL_R_NULL = 0, /* a zeroed gql_result is null */
    GQL_R_BOOL,
    GQL_R_INT,    /* i; must fit in int32 for Int fields (else a field error) */
    GQL_R_FLOAT,  /* f; must be finite */
    GQL_R_STRING, /* str: for String, ID and custom scalars */
    GQL_R_ENUM,   /* str: must name a value of the field's enum type */
    GQL_R_OBJECT, /* obj: a composite value resolved by child resolvers */
    GQL_R_LIST,   /* list */
    GQL_R_MAP,    /* map: a composite value given as name -> value pairs */
    GQL_R_RAW,    /* str: JSON text written verbatim (custom scalars only) */
} gql_result_kind;

typedef struct gql_result gql_result;
typedef struct gql_map_entry gql_map_entry;

struct gql_result {
    gql_result_kind kind;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *s;
            size_t len;
        } str;
        /* type: the concrete object type's name. May be NULL only when the
         * field's type is itself an object type. ptr is handed as `parent`
         * to the resolvers of the selected child fields. */
        struct {
            const char *type;
            const void *ptr;
        } obj;
        struct {
            size_t n;
            gql_result *items;
        } list;
        /* Children selected on a map are looked up here by field name when
         * their field has no resolver (absent: null); a bound resolver gets
         * the map's own `const gql_result *` as parent. `type` as for obj. */
        struct {
            const char *type;
            size_t n, cap;
            gql_map_entry *entries;
        } map;
    } u;
};

struct gql_map_entry {
    const char *name;
    gql_result value;
};

/* Constructors. None copies its strings (see "Memory" above); a NULL string
 * or type-less NULL object gives null. */
void gql_result_null(gql_result *out);
void gql_result_bool(gql_result *out, bool v);
void gql_result_int(gql_result *out, int64_t v);
void gql_result_float(gql_result *out, double v);
void gql_result_string(gql_result *out, const char *s);
void gql_result_string_n(gql_result *out, const char *s, size_t len);
void gql_result_enum(gql_result *out, const char *name);
void gql_result_raw(gql_result *out, const char *json, size_t len);
/* `ptr` NULL gives null (a missing entity). */
void gql_result_object(gql_result *out, const char *type, const void *ptr);
/* n items, all null, in out->u.list.items[0..n). HK_ENOMEM past the arena. */
HK_MUST_CHECK hk_status gql_result_list(gql_result *out, size_t n, hk_arena *a);
/* An empty map with room for `cap` entries; fill it with gql_result_map_put. */
HK_MUST_CHECK hk_status gql_result_map(gql_result *out, const char *type, size_t cap, hk_arena *a);
/* Appends an entry (null) named `name` (not copied) and returns its value to
 * fill; NULL when the map is full (a bug: size cap right). */
gql_result *gql_result_map_put(gql_result *map, const char *name);
/* Copies s[0..len) into the arena; HK_ENOMEM. */
HK_MUST_CHECK hk_status gql_result_string_copy(gql_result *out, const char *s, size_t len,
                                               hk_arena *a);

/* ------------------------------------------------------------- resolvers */

/*
 * A field resolver. `parent` is the parent object's ptr (NULL for root
 * fields; the map itself for GQL_R_MAP parents). `out` starts out null.
 * Return HK_OK with `out` set, or:
 *   - after gql_field_error: the field becomes null (with normal null
 *     propagation for non-null fields), whatever is returned;
 *   - after gql_request_fail: the whole request fails;
 *   - any other non-OK status without either: an INTERNAL_SERVER_ERROR field
 *     error "Internal server error" is added and the field becomes null.
 */
typedef hk_status (*gql_resolve_fn)(gql_field_ctx *fc, const void *parent, gql_result *out);

/* The argument `name`, coerced to its declared type with defaults applied.
 * NULL when absent (not given and no default); GQL_V_NULL when explicitly
 * null. */
const gql_value *gql_arg(gql_field_ctx *fc, const char *name);
/* gql_request.user. */
void *gql_user(gql_field_ctx *fc);
/* The request's arena: allocate results here. */
hk_arena *gql_arena(gql_field_ctx *fc);
/* The field's name (not the alias), and its parent type's name. */
const char *gql_field_name(gql_field_ctx *fc);
const char *gql_field_parent_type(gql_field_ctx *fc);
/*
 * Whether this field's sub-selection asks for the child field `name`
 * (directly, through fragments or inline fragments of any type condition,
 * honouring @include/@skip), so resolvers can skip work (e.g. totalCount).
 */
bool gql_field_selected(gql_field_ctx *fc, const char *name);
/*
 * As gql_field_selected, through n nested fields: whether the sub-selection
 * asks for path[0], and inside it for path[1], ... (fragments and inline
 * fragments expanded at every level, each fragment walked once per level).
 * Lets a mutation refuse before it writes when its output would read what
 * the caller may not see. True (the cautious answer) when out of memory.
 */
bool gql_field_selected_path(gql_field_ctx *fc, const char *const *path, size_t n);

/*
 * Adds an error for this field: message, its location, its path and
 * extensions.code (`code` static; NULL means INTERNAL_SERVER_ERROR). The
 * field becomes null. Returns HK_EINVAL so `return gql_field_error(...)`
 * reads naturally.
 */
hk_status gql_field_error(gql_field_ctx *fc, const char *code, const char *fmt, ...)
    HK_PRINTF(3, 4);
/*
 * As gql_field_error, and the response (data and errors, as usual) is sent
 * with `http_status` instead of 200; the highest status asked for wins and
 * gql_outcome.code reports its code. For errors in a field's own arguments
 * that SPEC §6 answers with 400 BAD_USER_INPUT.
 */
hk_status gql_field_error_status(gql_field_ctx *fc, const char *code, int http_status,
                                 const char *fmt, ...) HK_PRINTF(4, 5);

/*
 * Aborts the whole request: the response is {"errors":[{message,
 * extensions:{code}}]} with no data, and gql_outcome carries http_status and
 * code (static). Remaining fields are not executed. Returns HK_EINVAL.
 */
hk_status gql_request_fail(gql_field_ctx *fc, const char *code, int http_status, const char *fmt,
                           ...) HK_PRINTF(4, 5);

/* ---------------------------------------------------------------- schema */

/*
 * Parses a type-system document (schema, scalar, type, interface, union,
 * enum, input definitions; descriptions; directives parsed and ignored) and
 * checks that every referenced type exists. Built-in scalars Int, Float,
 * String, Boolean, ID are predefined; custom scalars are opaque. Root types
 * come from the `schema {}` definition, else types named Query / Mutation.
 * HK_EPARSE (syntax; err->message has line:column), HK_EINVAL (unknown or
 * duplicate type, no Query type), HK_ENOMEM.
 */
HK_MUST_CHECK hk_status gql_schema_new(const char *sdl, size_t len, gql_schema **out,
                                       hk_error *err);
/* Accepts NULL. */
void gql_schema_free(gql_schema *s);

/*
 * Binds a resolver to Type.field. Setup only: not thread-safe, and the
 * schema must not be shared until binding is done. Rebinding replaces; a
 * NULL fn unbinds. HK_ENOTFOUND when the object type or its field does not
 * exist (interfaces take no resolvers: bind the object types' fields).
 *
 * A field without a resolver resolves to the entry of the same name when
 * its parent is a GQL_R_MAP, else (or when the map has no such entry) to
 * null, or [] when its type is a non-null list; a non-null non-list field
 * then fails with "Cannot return null for non-nullable field T.f."
 */
HK_MUST_CHECK hk_status gql_schema_bind(gql_schema *s, const char *type, const char *field,
                                        gql_resolve_fn fn);

/*
 * A startup/test check: walks from the root fields `roots` ("Query.customer",
 * "Mutation.upsertCustomer") through fields that have a resolver (abstract
 * types expand to all their object types) and appends one line
 * "Type.field\n" to `report` (may be NULL) for every unbound field of a
 * reached type that is non-null and not a list (it would always fail).
 * Types named in `map_types` are produced as maps and are not checked.
 * Returns the number of such fields; an unknown root counts as one.
 */
size_t gql_schema_check(const gql_schema *s, const char *const *roots, size_t nroots,
                        const char *const *map_types, size_t nmap, hk_buf *report);

/* ------------------------------------------------------------- execution */

/* Bounds against abusive documents. Zero fields mean "the default". */
typedef struct gql_limits {
    size_t max_document_bytes; /* GQL_DEFAULT_MAX_DOCUMENT_BYTES; PARSE_FAILED */
    size_t max_tokens;         /* GQL_DEFAULT_MAX_TOKENS; PARSE_FAILED */
    unsigned max_depth;        /* GQL_DEFAULT_MAX_DEPTH: selection set nesting */
    unsigned max_aliases;      /* GQL_DEFAULT_MAX_ALIASES per document */
    size_t max_fields;         /* GQL_DEFAULT_MAX_FIELDS resolved per request */
    size_t max_list_items;     /* GQL_DEFAULT_MAX_LIST_ITEMS output per request */
    unsigned max_errors;       /* GQL_DEFAULT_MAX_ERRORS reported; more are dropped */
    /* Fields and list items of the introspection system (__schema, __type and
     * everything under them) resolved per request, counted apart from
     * max_fields and max_list_items: the whole schema is one answer. */
    size_t max_introspection_fields; /* GQL_DEFAULT_MAX_INTROSPECTION_FIELDS */
    /* The request's variables, before any is coerced (each value they hold is copied into
     * the arena, and a list argument is refused past 100 items anyway): BAD_USER_INPUT. */
    size_t max_variable_values;     /* GQL_DEFAULT_MAX_VARIABLE_VALUES in all of them */
    size_t max_variable_list_items; /* GQL_DEFAULT_MAX_VARIABLE_LIST_ITEMS in any one list */
} gql_limits;

#define GQL_DEFAULT_MAX_DOCUMENT_BYTES ((size_t)64 << 10)
#define GQL_DEFAULT_MAX_TOKENS 10000
#define GQL_DEFAULT_MAX_DEPTH 15
#define GQL_DEFAULT_MAX_ALIASES 30
#define GQL_DEFAULT_MAX_FIELDS 20000
#define GQL_DEFAULT_MAX_LIST_ITEMS 10000
#define GQL_DEFAULT_MAX_ERRORS 50
#define GQL_DEFAULT_MAX_INTROSPECTION_FIELDS 200000
#define GQL_DEFAULT_MAX_VARIABLE_VALUES 10000
#define GQL_DEFAULT_MAX_VARIABLE_LIST_ITEMS 1000
/* Nesting of list/object literals and of selection sets the parser accepts,
 * whatever max_depth says: the parser's recursion bound. */
#define GQL_MAX_NESTING 64

typedef struct gql_request {
    const char *query; /* the document text; need not be NUL-terminated */
    size_t query_len;
    json_t *variables;          /* a JSON object, or NULL; borrowed */
    const char *operation_name; /* NULL: the document's only operation */
    void *user;                 /* returned by gql_user() */
    hk_arena *arena;            /* required; everything is allocated here */
    const gql_limits *limits;   /* NULL: defaults */
} gql_request;

typedef struct gql_outcome {
    int http_status;  /* 200, or 400 / the status given to gql_request_fail / 500 */
    const char *code; /* static extensions.code of the top-level error; NULL if none */
    unsigned nerrors; /* errors in the response (field errors included) */
    bool is_mutation; /* the selected operation was a mutation */
} gql_outcome;

/*
 * Parses, validates and executes req->query against `s` and appends the
 * whole response JSON to `out`. Outcomes:
 *   - syntax error, document too big, too many tokens: 400 GRAPHQL_PARSE_FAILED
 *   - validation errors, depth/alias/field-count limits, subscriptions:
 *     400 GRAPHQL_VALIDATION_FAILED
 *   - variable coercion errors, variables over their limits, unknown operationName:
 *     400 BAD_USER_INPUT
 *   - gql_request_fail: its code and status
 *   - arena exhausted: 500 INTERNAL_SERVER_ERROR
 *   - otherwise 200, with field errors (if any) beside "data".
 * Returns HK_OK once a response is in `out`; HK_ENOMEM/HK_ETOOBIG only when
 * not even an error response could be written (out is then reset to its
 * length on entry). Thread-safe for a shared schema.
 */
HK_MUST_CHECK hk_status gql_execute(const gql_schema *s, const gql_request *req, hk_buf *out,
                                    gql_outcome *outcome);

#endif
