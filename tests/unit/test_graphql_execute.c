/*
 * test_graphql_execute.c - gql_execute end to end on the test schema with
 * resolvers defined here: response shape, aliases, fragments on unions and
 * interfaces, directives, variables and their coercion errors, null
 * propagation, field and request errors, mutations, limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "graphql/graphql.h"
#include "graphql/graphql_int.h"
#include "graphql_testschema.h"

/* ------------------------------------------------------------------ data */

typedef struct person person;
typedef struct pet {
    const char *type, *id, *name;
    bool barks;
    int lives;
    const person *owner;
} pet;

struct person {
    const char *id, *name, *nick;
    const pet *pets[2];
    int npets;
};

static const person ada = {"p1", "Ada \"the\"\ncountess", NULL, {NULL, NULL}, 0};
static const person bob = {"p2", "Bob", "bobby", {NULL, NULL}, 0};
static const pet rex = {"Dog", "d1", "Rex", true, 0, &ada};
static const pet tom = {"Cat", "c1", "Tom", false, 9, NULL};
static person ada_with_pets; /* ada plus her pets, filled at setup */

typedef struct tuser {
    int counter;
    const char *log[16];
    int nlog;
    int saw_pets;      /* -1 unknown, else gql_field_selected(person, "pets") */
    int saw_pet_names; /* gql_field_selected_path(person, {"pets", "name"}) */
} tuser;

/* ------------------------------------------------------------- resolvers */

static const char *str_arg(gql_field_ctx *fc, const char *name, const char *dflt)
{
    const gql_value *v = gql_arg(fc, name);
    if (!v)
        return dflt;
    return v->kind == GQL_V_NULL ? "nobody" : v->u.str.s;
}

static hk_status r_hello(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    assert_null(parent);
    gql_result_string(out,
                      hk_arena_sprintf(gql_arena(fc), "Hello, %s!", str_arg(fc, "name", "absent")));
    return HK_OK;
}

static void print_value(const gql_value *v, hk_buf *b)
{
    switch (v->kind) {
    case GQL_V_NULL:
        (void)hk_buf_puts(b, "null");
        break;
    case GQL_V_BOOL:
        (void)hk_buf_puts(b, v->u.b ? "true" : "false");
        break;
    case GQL_V_INT:
        (void)hk_buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case GQL_V_FLOAT:
        (void)hk_buf_printf(b, "%g", v->u.f);
        break;
    case GQL_V_STRING:
        (void)hk_buf_printf(b, "\"%s\"", v->u.str.s);
        break;
    case GQL_V_ENUM:
        (void)hk_buf_puts(b, v->u.str.s);
        break;
    case GQL_V_LIST:
        (void)hk_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            (void)hk_buf_puts(b, i ? "," : "");
            print_value(&v->u.list.items[i], b);
        }
        (void)hk_buf_putc(b, ']');
        break;
    case GQL_V_OBJECT:
        (void)hk_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.obj.n; i++) {
            (void)hk_buf_printf(b, "%s%s:", i ? "," : "", v->u.obj.entries[i].name);
            print_value(&v->u.obj.entries[i].value, b);
        }
        (void)hk_buf_putc(b, '}');
        break;
    }
}

/* Describes the arguments it got: "name=value;..." in definition order. */
static hk_status r_echo(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    static const char *const names[] = {"s",    "i",      "f",    "b",   "id", "c",
                                        "list", "filter", "json", "req", "x",  "y"};
    hk_buf b;
    hk_buf_init(&b, 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const gql_value *v = gql_arg(fc, names[i]);
        if (!v)
            continue;
        (void)hk_buf_printf(&b, "%s%s=", b.len ? ";" : "", names[i]);
        print_value(v, &b);
    }
    if (gql_arg(fc, "filter"))
        assert_non_null(gql_value_field(gql_arg(fc, "filter"), "color"));
    hk_status st = gql_result_string_copy(out, b.data ? b.data : "", b.len, gql_arena(fc));
    hk_buf_free(&b);
    return st;
}

static const person *find_person(const char *id)
{
    if (strcmp(id, "p1") == 0)
        return &ada_with_pets;
    return strcmp(id, "p2") == 0 ? &bob : NULL;
}

static hk_status r_person(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    tuser *u = gql_user(fc);
    u->saw_pets = gql_field_selected(fc, "pets");
    static const char *const pet_names[] = {"pets", "name"};
    u->saw_pet_names = gql_field_selected_path(fc, pet_names, 2);
    gql_result_object(out, NULL, find_person(gql_arg(fc, "id")->u.str.s));
    return HK_OK;
}

static hk_status r_people(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_status st = gql_result_list(out, 2, gql_arena(fc));
    if (st)
        return st;
    gql_result_object(&out->u.list.items[0], "Person", &ada_with_pets);
    gql_result_object(&out->u.list.items[1], "Person", &bob);
    return HK_OK;
}

static hk_status r_pets(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_status st = gql_result_list(out, 2, gql_arena(fc));
    if (st)
        return st;
    gql_result_object(&out->u.list.items[0], rex.type, &rex);
    gql_result_object(&out->u.list.items[1], tom.type, &tom);
    return HK_OK;
}

static hk_status r_node(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const char *id = gql_arg(fc, "id")->u.str.s;
    if (find_person(id))
        gql_result_object(out, "Person", find_person(id));
    else if (strcmp(id, rex.id) == 0)
        gql_result_object(out, rex.type, &rex);
    else if (strcmp(id, tom.id) == 0)
        gql_result_object(out, tom.type, &tom);
    else if (strcmp(id, "untyped") == 0)
        gql_result_object(out, NULL, &tom); /* a resolver bug: no concrete type */
    return HK_OK;
}

static hk_status r_named(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_status st = gql_result_list(out, 3, gql_arena(fc));
    if (!st) {
        gql_result_object(&out->u.list.items[0], "Dog", &rex);
        gql_result_object(&out->u.list.items[2], "Cat", &tom);
    }
    return st;
}

static hk_status r_thing(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_object(out, "Person", &bob);
    return HK_OK;
}

static hk_status make_datetime(gql_field_ctx *fc, gql_result *out, const char *iso, const char *ts)
{
    hk_status st = gql_result_map(out, "DateTime", 2, gql_arena(fc));
    if (st)
        return st;
    gql_result_string(gql_result_map_put(out, "iso8601"), iso);
    gql_result_string(gql_result_map_put(out, "unixTimestamp"), ts);
    assert_null(gql_result_map_put(out, "full"));
    return HK_OK;
}

static hk_status r_now(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return make_datetime(fc, out, "2024-01-02T03:04:05.000Z", "1704164645000");
}

static hk_status r_boom(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_string(out, "ignored after an error");
    return gql_field_error(fc, "BOOM", "kaboom %d", 42);
}

static hk_status r_boom_nonnull(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return HK_EIO; /* no field error: the engine reports an internal error */
}

static hk_status r_fail_auth(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return gql_request_fail(fc, GQL_CODE_UNAUTHENTICATED, 401, "Not authenticated");
}

static hk_status r_count(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_int(out, 42);
    return HK_OK;
}

static hk_status r_big_count(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_int(out, (int64_t)1 << 40);
    return HK_OK;
}

static hk_status r_color(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_enum(out, strcmp(gql_field_name(fc), "color") == 0 ? "GREEN" : "PURPLE");
    return HK_OK;
}

static hk_status r_json(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    static const char raw[] = "{\"a\":[1,\"x\"]}";
    hk_status st = gql_result_map(out, NULL, 3, gql_arena(fc));
    if (st)
        return st;
    gql_result_raw(gql_result_map_put(out, "raw"), raw, sizeof raw - 1);
    gql_result_float(gql_result_map_put(out, "f"), 1e-7);
    gql_result *l = gql_result_map_put(out, "l");
    if ((st = gql_result_list(l, 2, gql_arena(fc))))
        return st;
    gql_result_bool(&l->u.list.items[0], true);
    return HK_OK;
}

static hk_status r_ratio(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    gql_result_float(out, 0.5);
    return HK_OK;
}

static hk_status r_numbers(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    int64_t n = gql_arg(fc, "n")->u.i;
    hk_status st = gql_result_list(out, (size_t)n, gql_arena(fc));
    for (int64_t i = 0; !st && i < n; i++)
        gql_result_int(&out->u.list.items[i], i * i);
    return st;
}

static hk_status r_items(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_status st = gql_result_list(out, 3, gql_arena(fc));
    if (st)
        return st;
    gql_result_string(&out->u.list.items[0], "a");
    gql_result_string(&out->u.list.items[2], "c");
    return HK_OK;
}

static hk_status r_person_field(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const person *p = parent;
    const char *f = gql_field_name(fc);
    assert_string_equal(gql_field_parent_type(fc), "Person");
    if (strcmp(f, "id") == 0)
        gql_result_string(out, p->id);
    else if (strcmp(f, "name") == 0)
        gql_result_string(out, p->name);
    else if (strcmp(f, "nick") == 0)
        gql_result_string(out, p->nick);
    else if (strcmp(f, "createdAt") == 0)
        return make_datetime(fc, out, "2020-01-01T00:00:00.000Z", "1577836800000");
    return HK_OK;
}

static hk_status r_person_pets(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const person *p = parent;
    hk_status st = gql_result_list(out, (size_t)p->npets, gql_arena(fc));
    for (int i = 0; !st && i < p->npets; i++)
        gql_result_object(&out->u.list.items[i], p->pets[i]->type, p->pets[i]);
    return st;
}

static hk_status r_person_friends(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    int64_t n = gql_arg(fc, "first")->u.i;
    hk_status st = gql_result_list(out, (size_t)n, gql_arena(fc));
    for (int64_t i = 0; !st && i < n; i++)
        gql_result_object(&out->u.list.items[i], NULL, i % 2 ? &bob : &ada_with_pets);
    return st;
}

static hk_status r_pet_field(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const pet *p = parent;
    const char *f = gql_field_name(fc);
    if (strcmp(f, "id") == 0)
        gql_result_string(out, p->id);
    else if (strcmp(f, "name") == 0)
        gql_result_string(out, p->name);
    else if (strcmp(f, "barks") == 0)
        gql_result_bool(out, p->barks);
    else if (strcmp(f, "lives") == 0)
        gql_result_int(out, p->lives);
    else if (strcmp(f, "owner") == 0)
        gql_result_object(out, "Person", p->owner);
    return HK_OK;
}

static hk_status r_inc(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    tuser *u = gql_user(fc);
    u->counter += (int)gql_arg(fc, "by")->u.i;
    gql_result_int(out, u->counter);
    return HK_OK;
}

static hk_status r_log(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    tuser *u = gql_user(fc);
    u->log[u->nlog++] = gql_arg(fc, "msg")->u.str.s;
    hk_status st = gql_result_list(out, (size_t)u->nlog, gql_arena(fc));
    for (int i = 0; !st && i < u->nlog; i++)
        gql_result_string(&out->u.list.items[i], u->log[i]);
    return st;
}

/* ------------------------------------------------------------- fixture */

static gql_schema *schema;

static void bind(const char *type, const char *field, gql_resolve_fn fn)
{
    assert_int_equal(gql_schema_bind(schema, type, field, fn), HK_OK);
}

static int setup(void **state)
{
    hk_error err;
    hk_error_clear(&err);
    assert_int_equal(gql_schema_new(test_sdl, strlen(test_sdl), &schema, &err), HK_OK);
    ada_with_pets = ada;
    ada_with_pets.pets[0] = &rex;
    ada_with_pets.pets[1] = &tom;
    ada_with_pets.npets = 2;
    static const struct {
        const char *type, *field;
        gql_resolve_fn fn;
    } b[] = {
        {"Query", "hello", r_hello},         {"Query", "echo", r_echo},
        {"Query", "need", r_echo},           {"Query", "person", r_person},
        {"Query", "people", r_people},       {"Query", "pets", r_pets},
        {"Query", "node", r_node},           {"Query", "named", r_named},
        {"Query", "thing", r_thing},         {"Query", "now", r_now},
        {"Query", "boom", r_boom},           {"Query", "boomNonNull", r_boom_nonnull},
        {"Query", "failAuth", r_fail_auth},  {"Query", "count", r_count},
        {"Query", "bigCount", r_big_count},  {"Query", "color", r_color},
        {"Query", "badColor", r_color},      {"Query", "json", r_json},
        {"Query", "ratio", r_ratio},         {"Query", "numbers", r_numbers},
        {"Query", "nullableItems", r_items}, {"Query", "strictItems", r_items},
        {"Person", "id", r_person_field},    {"Person", "name", r_person_field},
        {"Person", "nick", r_person_field},  {"Person", "createdAt", r_person_field},
        {"Person", "pets", r_person_pets},   {"Person", "friends", r_person_friends},
        {"Dog", "id", r_pet_field},          {"Dog", "name", r_pet_field},
        {"Dog", "barks", r_pet_field},       {"Dog", "owner", r_pet_field},
        {"Cat", "id", r_pet_field},          {"Cat", "name", r_pet_field},
        {"Cat", "lives", r_pet_field},       {"Mutation", "inc", r_inc},
        {"Mutation", "log", r_log},
    };
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        bind(b[i].type, b[i].field, b[i].fn);
    assert_int_equal(gql_schema_bind(schema, "Query", "missing", r_hello), HK_ENOTFOUND);
    assert_int_equal(gql_schema_bind(schema, "Node", "id", r_hello), HK_ENOTFOUND);
    return 0;
}

static int teardown(void **state)
{
    gql_schema_free(schema);
    return 0;
}

typedef struct run_opts {
    const char *vars; /* JSON text or NULL */
    const char *op;
    const gql_limits *limits;
    size_t out_limit;
    size_t arena_limit;
} run_opts;

static char response[65536];
static gql_outcome outcome;
static tuser user;

static const char *run_with(const char *query, const run_opts *o)
{
    hk_arena *a = hk_arena_new(o->arena_limit);
    json_t *vars = NULL;
    if (o->vars) {
        json_error_t jerr;
        vars = json_loads(o->vars, 0, &jerr);
        assert_non_null(vars);
    }
    gql_request req = {query, strlen(query), vars, o->op, &user, a, o->limits};
    hk_buf out;
    hk_buf_init(&out, o->out_limit);
    (void)hk_buf_puts(&out, "prefix:"); /* the response is appended */
    hk_status st = gql_execute(schema, &req, &out, &outcome);
    assert_int_equal(st, HK_OK);
    assert_memory_equal(out.data, "prefix:", 7);
    snprintf(response, sizeof response, "%s", out.data + 7);
    /* Every response is well-formed JSON. */
    json_error_t jerr;
    json_t *parsed = json_loads(response, 0, &jerr);
    if (!parsed)
        fprintf(stderr, "bad JSON: %s\n%s\n", jerr.text, response);
    assert_non_null(parsed);
    json_decref(parsed);
    json_decref(vars);
    hk_buf_free(&out);
    hk_arena_free(a);
    return response;
}

static const char *run_vars(const char *query, const char *vars)
{
    run_opts o = {.vars = vars};
    return run_with(query, &o);
}

static const char *run(const char *query)
{
    return run_vars(query, NULL);
}

#define EXPECT(query, json)                                                                        \
    do {                                                                                           \
        assert_string_equal(run(query), json);                                                     \
        assert_int_equal(outcome.http_status, 200);                                                \
    } while (0)

#define EXPECT_VARS(query, vars, json) assert_string_equal(run_vars(query, vars), json)

/* ----------------------------------------------------------------- tests */

static void test_basic_and_aliases(void **state)
{
    EXPECT("{ hello }", "{\"data\":{\"hello\":\"Hello, world!\"}}");
    assert_null(outcome.code);
    assert_int_equal(outcome.nerrors, 0);
    assert_false(outcome.is_mutation);
    EXPECT("query Q { b: hello(name: \"b\") a: hello __typename t2: __typename count }",
           "{\"data\":{\"b\":\"Hello, b!\",\"a\":\"Hello, world!\",\"__typename\":\"Query\","
           "\"t2\":\"Query\",\"count\":42}}");
    /* Strings are JSON-escaped; the same key twice merges sub-selections. */
    EXPECT("{ person(id: \"p1\") { name } person(id: \"p1\") { id nick } }",
           "{\"data\":{\"person\":{\"name\":\"Ada \\\"the\\\"\\ncountess\",\"id\":\"p1\","
           "\"nick\":null}}}");
    EXPECT("{ person(id: \"nobody\") { id } }", "{\"data\":{\"person\":null}}");
}

static void test_fragments_union_interface(void **state)
{
    EXPECT("{ pets { __typename ... on Dog { name barks owner { name: id } } ...CatF } }"
           " fragment CatF on Cat { name lives }",
           "{\"data\":{\"pets\":[{\"__typename\":\"Dog\",\"name\":\"Rex\",\"barks\":true,"
           "\"owner\":{\"name\":\"p1\"}},{\"__typename\":\"Cat\",\"name\":\"Tom\",\"lives\":9}]}}");
    EXPECT("{ node(id: \"c1\") { __typename id ... on Named { name } ... on Dog { barks } } }",
           "{\"data\":{\"node\":{\"__typename\":\"Cat\",\"id\":\"c1\",\"name\":\"Tom\"}}}");
    EXPECT("{ named { ...N } } fragment N on Node { id ... on Dog { barks } }",
           "{\"data\":{\"named\":[{\"id\":\"d1\",\"barks\":true},null,{\"id\":\"c1\"}]}}");
    EXPECT("{ thing { __typename ... on Person { id } ... { ... on Dog { id barks } } } }",
           "{\"data\":{\"thing\":{\"__typename\":\"Person\",\"id\":\"p2\"}}}");
    /* An abstract result without a concrete type is a field error. */
    assert_string_equal(run("{ node(id: \"untyped\") { id } }"),
                        "{\"errors\":[{\"message\":\"Abstract type \\\"Node\\\" must resolve to an "
                        "Object type at runtime for field \\\"Query.node\\\".\",\"locations\":"
                        "[{\"line\":1,\"column\":3}],\"path\":[\"node\"],\"extensions\":{\"code\":"
                        "\"INTERNAL_SERVER_ERROR\"}}],\"data\":{\"node\":null}}");
}

static void test_directives(void **state)
{
    const char *q = "query($yes: Boolean!, $no: Boolean = false) {"
                    " a: hello @include(if: $yes) b: hello @skip(if: $yes)"
                    " c: hello @include(if: $no) ...F @skip(if: $no)"
                    " ... @include(if: $yes) { e: count } ... @skip(if: true) { f: count } }"
                    " fragment F on Query { d: count @include(if: true) @skip(if: false) }";
    EXPECT_VARS(q, "{\"yes\": true}", "{\"data\":{\"a\":\"Hello, world!\",\"d\":42,\"e\":42}}");
    EXPECT_VARS(q, "{\"yes\": false, \"no\": true}",
                "{\"data\":{\"b\":\"Hello, world!\",\"c\":\"Hello, world!\"}}");
}

static void test_variables_and_defaults(void **state)
{
    const char *q = "query($n: String = \"def\") { hello(name: $n) }";
    EXPECT_VARS(q, NULL, "{\"data\":{\"hello\":\"Hello, def!\"}}");
    EXPECT_VARS(q, "{\"n\": \"x\"}", "{\"data\":{\"hello\":\"Hello, x!\"}}");
    EXPECT_VARS(q, "{\"n\": null}", "{\"data\":{\"hello\":\"Hello, nobody!\"}}");
    /* No variable and no variable default: the argument default applies. */
    EXPECT_VARS("query($n: String) { hello(name: $n) }", "{}",
                "{\"data\":{\"hello\":\"Hello, world!\"}}");
    /* Literal coercion: list from a single value, input object fields in
     * definition order with defaults, ID from Int, absent args omitted. */
    EXPECT("{ echo(list: 3, id: 12, f: 2, filter: {name: \"n\", kinds: \"k\"}) }",
           "{\"data\":{\"echo\":\"f=2;id=\\\"12\\\";list=[3];filter={kinds:[\\\"k\\\"],"
           "color:RED,name:\\\"n\\\"};req=\\\"dflt\\\"\"}}");
    /* Variable coercion, including a custom scalar taking any JSON. */
    EXPECT_VARS(
        "query($f: PetFilter, $j: JSON, $id: ID, $l: [Int!], $c: Color, $x: Float) {"
        " echo(filter: $f, json: $j, id: $id, list: $l, c: $c, f: $x) }",
        "{\"f\": {\"name\": \"x\", \"kinds\": \"k\", \"nested\": {\"name\": \"y\","
        " \"color\": \"BLUE\"}}, \"j\": {\"a\": [1, 2.5, true, null, \"s\"]},"
        " \"id\": 12, \"l\": 7, \"c\": \"GREEN\", \"x\": 3}",
        "{\"data\":{\"echo\":\"f=3;id=\\\"12\\\";c=GREEN;list=[7];filter={kinds:[\\\"k\\\"],"
        "color:RED,name:\\\"x\\\",nested:{color:BLUE,name:\\\"y\\\"}};"
        "json={a:[1,2.5,true,null,\\\"s\\\"]};req=\\\"dflt\\\"\"}}");
    /* Variables inside literals. */
    EXPECT_VARS("query($n: String!, $k: [String!], $j: JSON) {"
                " echo(filter: {name: $n, kinds: $k}, json: [$j, \"z\"]) }",
                "{\"n\": \"a\"}",
                "{\"data\":{\"echo\":\"filter={color:RED,name:\\\"a\\\"};json=[null,\\\"z\\\"];"
                "req=\\\"dflt\\\"\"}}");
}

static void expect_input_error(const char *q, const char *vars, const char *message)
{
    char want[2048];
    run_vars(q, vars);
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(outcome.code, GQL_CODE_BAD_USER_INPUT);
    json_t *r = json_loads(response, 0, NULL);
    json_t *e = json_array_get(json_object_get(r, "errors"), 0);
    snprintf(want, sizeof want, "%s", message);
    assert_string_equal(json_string_value(json_object_get(e, "message")), want);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e, "extensions"), "code")),
        "BAD_USER_INPUT");
    assert_null(json_object_get(r, "data"));
    json_decref(r);
}

static void test_variable_errors(void **state)
{
    const char *need = "query($x: Int!) { need(x: $x, y: []) }";
    assert_string_equal(run(need),
                        "{\"errors\":[{\"message\":\"Variable \\\"$x\\\" of required type "
                        "\\\"Int!\\\" was not provided.\",\"locations\":[{\"line\":1,"
                        "\"column\":7}],\"extensions\":{\"code\":\"BAD_USER_INPUT\"}}]}");
    assert_int_equal(outcome.http_status, 400);
    expect_input_error(need, "{\"x\": \"a\"}",
                       "Variable \"$x\" got invalid value \"a\"; Int cannot represent non-integer "
                       "value: \"a\"");
    expect_input_error(need, "{\"x\": 1.5}",
                       "Variable \"$x\" got invalid value 1.5; Int cannot represent non-integer "
                       "value: 1.5");
    expect_input_error(need, "{\"x\": 4294967296}",
                       "Variable \"$x\" got invalid value 4294967296; Int cannot represent non "
                       "32-bit signed integer value: 4294967296");
    expect_input_error(need, "{\"x\": null}",
                       "Variable \"$x\" of non-null type \"Int!\" must not be null.");
    const char *color = "query($c: Color) { echo(c: $c) }";
    expect_input_error(color, "{\"c\": \"PURPLE\"}",
                       "Variable \"$c\" got invalid value \"PURPLE\"; Value \"PURPLE\" does not "
                       "exist in \"Color\" enum.");
    expect_input_error(color, "{\"c\": 1}",
                       "Variable \"$c\" got invalid value 1; Enum \"Color\" cannot represent "
                       "non-string value: 1.");
    const char *filter = "query($f: PetFilter!) { echo(filter: $f) }";
    expect_input_error(filter, "{\"f\": {\"name\": \"a\", \"bogus\": 1}}",
                       "Variable \"$f\" got invalid value { name: \"a\", bogus: 1 }; Field "
                       "\"bogus\" is not defined by type \"PetFilter\".");
    expect_input_error(filter, "{\"f\": {\"name\": 5}}",
                       "Variable \"$f\" got invalid value 5 at \"f.name\"; String cannot "
                       "represent a non string value: 5");
    expect_input_error(filter, "{\"f\": {\"name\": \"a\", \"kinds\": [\"x\", null]}}",
                       "Variable \"$f\" got invalid value null at \"f.kinds[1]\"; Expected "
                       "non-nullable type \"String!\" not to be null.");
    expect_input_error(filter, "{\"f\": {}}",
                       "Variable \"$f\" got invalid value {}; Field \"name\" of required type "
                       "\"String!\" was not provided.");
    expect_input_error(filter, "{\"f\": [1]}",
                       "Variable \"$f\" got invalid value [1]; Expected type \"PetFilter\" to be "
                       "an object.");
    expect_input_error("query($b: Boolean) { hello @skip(if: false) echo(b: $b) }",
                       "{\"b\": \"yes\"}",
                       "Variable \"$b\" got invalid value \"yes\"; Boolean cannot represent a non "
                       "boolean value: \"yes\"");
    expect_input_error(need, "[1]",
                       "Variables must be provided as an Object where each property is a "
                       "variable value.");
    /* All variable errors are reported. */
    run_vars("query($a: Int!, $b: Int!) { need(x: $a, y: []) count: need(x: $b, y: []) }", "{}");
    assert_int_equal(outcome.nerrors, 2);
}

static void test_null_propagation(void **state)
{
    EXPECT("{ person(id: \"p1\") { name mustHave } count }",
           "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
           "Person.mustHave.\",\"locations\":[{\"line\":1,\"column\":27}],\"path\":[\"person\","
           "\"mustHave\"],\"extensions\":{\"code\":\"INTERNAL_SERVER_ERROR\"}}],\"data\":"
           "{\"person\":null,\"count\":42}}");
    EXPECT("{ hello boomNonNull }",
           "{\"errors\":[{\"message\":\"Internal server error\",\"locations\":[{\"line\":1,"
           "\"column\":9}],\"path\":[\"boomNonNull\"],\"extensions\":{\"code\":"
           "\"INTERNAL_SERVER_ERROR\"}}],\"data\":null}");
    EXPECT("{ strictItems nullableItems }",
           "{\"errors\":[{\"message\":\"Cannot return null for non-nullable field "
           "Query.strictItems.\",\"locations\":[{\"line\":1,\"column\":3}],\"path\":"
           "[\"strictItems\",1],\"extensions\":{\"code\":\"INTERNAL_SERVER_ERROR\"}}],\"data\":"
           "{\"strictItems\":null,\"nullableItems\":[\"a\",null,\"c\"]}}");
    /* A non-null item in a non-null list: the error climbs to data, and
     * the rest of the list is not completed (as graphql-js does). */
    run("{ count people { name mustHave } }");
    assert_int_equal(outcome.http_status, 200);
    assert_int_equal(outcome.nerrors, 1);
    assert_non_null(strstr(response, "\"path\":[\"people\",0,\"mustHave\"]"));
    assert_non_null(strstr(response, "\"data\":null}"));
    /* Nested lists: the nullable friends list absorbs it. */
    run("{ person(id: \"p2\") { id friends(first: 1) { mustHave } } }");
    assert_non_null(strstr(response, "\"data\":{\"person\":{\"id\":\"p2\",\"friends\":[null]}}"));
}

static void test_field_errors(void **state)
{
    EXPECT("{ a: boom count }",
           "{\"errors\":[{\"message\":\"kaboom 42\",\"locations\":[{\"line\":1,\"column\":3}],"
           "\"path\":[\"a\"],\"extensions\":{\"code\":\"BOOM\"}}],\"data\":{\"a\":null,"
           "\"count\":42}}");
    assert_int_equal(outcome.nerrors, 1);
    EXPECT("{ bigCount badColor color ratio }",
           "{\"errors\":[{\"message\":\"Int cannot represent non 32-bit signed integer value.\","
           "\"locations\":[{\"line\":1,\"column\":3}],\"path\":[\"bigCount\"],\"extensions\":"
           "{\"code\":\"INTERNAL_SERVER_ERROR\"}},{\"message\":\"Enum \\\"Color\\\" cannot "
           "represent value: \\\"PURPLE\\\"\",\"locations\":[{\"line\":1,\"column\":12}],"
           "\"path\":[\"badColor\"],\"extensions\":{\"code\":\"INTERNAL_SERVER_ERROR\"}}],"
           "\"data\":{\"bigCount\":null,\"badColor\":null,\"color\":\"GREEN\",\"ratio\":0.5}}");
    /* An argument that ends up null in a non-null position. */
    /* Worded and located as graphql-js's getArgumentValues: at the value. */
    EXPECT_VARS("query($v: Int = 5) { need(x: $v, y: []) }", "{\"v\": null}",
                "{\"errors\":[{\"message\":\"Argument \\\"x\\\" of non-null type \\\"Int!\\\" "
                "must not be null.\",\"locations\":[{\"line\":1,\"column\":30}],"
                "\"path\":[\"need\"],\"extensions\":{\"code\":\"BAD_USER_INPUT\"}}],\"data\":"
                "{\"need\":null}}");
    /* A variable null inside a literal where a value must be: the whole value is invalid. */
    EXPECT_VARS("query($s: String = \"d\") { echo(filter: {name: $s}) }", "{\"s\": null}",
                "{\"errors\":[{\"message\":\"Argument \\\"filter\\\" has invalid value {name: "
                "$s}.\",\"locations\":[{\"line\":1,\"column\":40}],\"path\":[\"echo\"],"
                "\"extensions\":{\"code\":\"BAD_USER_INPUT\"}}],\"data\":{\"echo\":null}}");
    /* Variables inside lists and input objects; a variable not provided is null in a
     * list and absent in an object (where the field's default then applies). */
    EXPECT_VARS("query($s: String, $c: Color) { echo(list: [1], json: [$s], filter: {name: \"n\", "
                "color: $c}) }",
                "{\"s\": \"k\"}",
                "{\"data\":{\"echo\":\"list=[1];filter={color:RED,name:\\\"n\\\"};json=[\\\"k\\\"];"
                "req=\\\"dflt\\\"\"}}");
}

static void test_unbound_and_maps(void **state)
{
    EXPECT("{ unbound unboundList }", "{\"data\":{\"unbound\":null,\"unboundList\":[]}}");
    run("{ unboundRequired }");
    assert_non_null(strstr(response, "Cannot return null for non-nullable field "
                                     "Query.unboundRequired."));
    assert_non_null(strstr(response, "\"data\":null}"));
    EXPECT("{ now { unixTimestamp __typename iso: iso8601 } person(id: \"p2\") { createdAt {"
           " iso8601 } } }",
           "{\"data\":{\"now\":{\"unixTimestamp\":\"1704164645000\",\"__typename\":\"DateTime\","
           "\"iso\":\"2024-01-02T03:04:05.000Z\"},\"person\":{\"createdAt\":{\"iso8601\":"
           "\"2020-01-01T00:00:00.000Z\"}}}}");
    EXPECT("{ json }",
           "{\"data\":{\"json\":{\"raw\":{\"a\":[1,\"x\"]},\"f\":1e-7,\"l\":[true,null]}}}");
}

static void test_mutations_serial(void **state)
{
    user.counter = 0;
    user.nlog = 0;
    run("mutation M { a: inc(by: 2) b: inc(by: 3) c: inc l1: log(msg: \"one\")"
        " l2: log(msg: \"two\") }");
    assert_string_equal(response, "{\"data\":{\"a\":2,\"b\":5,\"c\":6,\"l1\":[\"one\"],"
                                  "\"l2\":[\"one\",\"two\"]}}");
    assert_true(outcome.is_mutation);
}

static void test_request_fail(void **state)
{
    assert_string_equal(run("{ count failAuth hello }"),
                        "{\"errors\":[{\"message\":\"Not authenticated\",\"extensions\":"
                        "{\"code\":\"UNAUTHENTICATED\"}}]}");
    assert_int_equal(outcome.http_status, 401);
    assert_string_equal(outcome.code, GQL_CODE_UNAUTHENTICATED);
}

static void test_operation_selection(void **state)
{
    const char *doc = "query A { a: hello } query B { b: count }";
    run_opts o = {.op = "B"};
    assert_string_equal(run_with(doc, &o), "{\"data\":{\"b\":42}}");
    o.op = "C";
    assert_string_equal(run_with(doc, &o),
                        "{\"errors\":[{\"message\":\"Unknown operation named \\\"C\\\".\","
                        "\"extensions\":{\"code\":\"BAD_USER_INPUT\"}}]}");
    assert_int_equal(outcome.http_status, 400);
    run(doc);
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(outcome.code, GQL_CODE_BAD_USER_INPUT);
    assert_non_null(strstr(response, "Must provide operation name"));
}

static void test_parse_and_validation_errors(void **state)
{
    assert_string_equal(run("{\n  hello(\n}"),
                        "{\"errors\":[{\"message\":\"Syntax Error: Expected Name, found "
                        "\\\"}\\\".\",\"locations\":[{\"line\":3,\"column\":1}],\"extensions\":"
                        "{\"code\":\"GRAPHQL_PARSE_FAILED\"}}]}");
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(outcome.code, GQL_CODE_PARSE_FAILED);
    assert_string_equal(
        run("{ nope hello { x } }"),
        "{\"errors\":[{\"message\":\"Cannot query field \\\"nope\\\" on type "
        "\\\"Query\\\". Did you mean \\\"node\\\" or "
        "\\\"now\\\"?\",\"locations\":[{\"line\":1,\"column\":3}],"
        "\"extensions\":{\"code\":\"GRAPHQL_VALIDATION_FAILED\"}},{\"message\":"
        "\"Field \\\"hello\\\" must not have a selection since type "
        "\\\"String!\\\" has no subfields.\",\"locations\":[{\"line\":1,"
        "\"column\":8}],\"extensions\":{\"code\":\"GRAPHQL_VALIDATION_FAILED\"}}]}");
    assert_int_equal(outcome.http_status, 400);
    assert_int_equal(outcome.nerrors, 2);
    assert_string_equal(outcome.code, GQL_CODE_VALIDATION_FAILED);
    /* Valid (graphql-js 16 agrees), but the schema has no subscription root. */
    assert_string_equal(run("subscription { hello }"),
                        "{\"errors\":[{\"message\":\"Schema is not configured to execute "
                        "subscription operation.\",\"locations\":[{\"line\":1,\"column\":1}],"
                        "\"extensions\":{\"code\":\"BAD_USER_INPUT\"}}]}");
    assert_int_equal(outcome.http_status, 400);
    gql_request req = {NULL, 0, NULL, NULL, NULL, hk_arena_new(0), NULL};
    hk_buf out;
    hk_buf_init(&out, 0);
    assert_int_equal(gql_execute(schema, &req, &out, &outcome), HK_OK);
    assert_string_equal(outcome.code, GQL_CODE_PARSE_FAILED);
    hk_buf_free(&out);
    hk_arena_free(req.arena);
}

static void test_field_selected(void **state)
{
    user.saw_pets = -1;
    run("{ person(id: \"p1\") { id } }");
    assert_int_equal(user.saw_pets, 0);
    run("{ person(id: \"p1\") { ...P } } fragment P on Person { ... on Person { pets {"
        " __typename } } }");
    assert_int_equal(user.saw_pets, 1);
    run("query($s: Boolean!) { person(id: \"p1\") { pets @skip(if: $s) { __typename } } }");
    assert_int_equal(outcome.http_status, 400); /* $s missing */
    run_vars("query($s: Boolean!) { person(id: \"p1\") { pets @skip(if: $s) { __typename } } }",
             "{\"s\": true}");
    assert_int_equal(user.saw_pets, 0);
}

static void test_field_selected_path(void **state)
{
    run("{ person(id: \"p1\") { pets { __typename } name } }");
    assert_int_equal(user.saw_pets, 1);
    assert_int_equal(user.saw_pet_names, 0); /* name of the person, not of a pet */
    run("{ person(id: \"p1\") { pets { ... on Dog { name } } } }");
    assert_int_equal(user.saw_pet_names, 1);
    /* the same fragment at both levels: walked at each */
    run("{ person(id: \"p1\") { ...P } } fragment P on Person { pets { ...N } }"
        " fragment N on Pet { ... on Cat { name } }");
    assert_int_equal(user.saw_pet_names, 1);
    run("{ person(id: \"p1\") { ...Q pets { __typename } } } fragment Q on Person { name }");
    assert_int_equal(user.saw_pet_names, 0);
    run_vars("query($s: Boolean!) { person(id: \"p1\") { pets { ... on Dog { name @skip(if: $s) }"
             " } } }",
             "{\"s\": true}");
    assert_int_equal(user.saw_pet_names, 0);
    /* fragments spread repeatedly, nested: each walked once per level */
    run("{ person(id: \"p1\") { pets { ...A ...A ...A } } } fragment A on Pet { ...B ...B ...B }"
        " fragment B on Pet { ...C ...C ...C } fragment C on Pet { ... on Dog { barks } } ");
    assert_int_equal(user.saw_pet_names, 0);
}

static void test_limits(void **state)
{
    gql_limits lim = {.max_document_bytes = 20};
    run_opts o = {.limits = &lim};
    run_with("{ hello hello hello hello }", &o);
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(outcome.code, GQL_CODE_PARSE_FAILED);
    assert_non_null(strstr(response, "more than the limit of 20"));

    lim = (gql_limits){.max_tokens = 5};
    run_with("{ hello count ratio color }", &o);
    assert_string_equal(outcome.code, GQL_CODE_PARSE_FAILED);
    assert_non_null(strstr(response, "more than 5 tokens"));

    lim = (gql_limits){.max_depth = 2};
    run_with("{ person(id: \"p1\") { pets { __typename } } }", &o);
    assert_string_equal(outcome.code, GQL_CODE_VALIDATION_FAILED);
    assert_non_null(strstr(response, "selection depth of 3"));

    lim = (gql_limits){.max_aliases = 1};
    run_with("{ a: hello b: hello }", &o);
    assert_string_equal(outcome.code, GQL_CODE_VALIDATION_FAILED);
    assert_non_null(strstr(response, "2 aliases"));

    lim = (gql_limits){.max_list_items = 10};
    run_with("{ numbers(n: 10) }", &o);
    assert_int_equal(outcome.http_status, 200);
    run_with("{ numbers(n: 11) }", &o);
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(outcome.code, GQL_CODE_VALIDATION_FAILED);
    assert_non_null(strstr(response, "more than 10 list items"));

    lim = (gql_limits){.max_fields = 3};
    run_with("{ person(id: \"p1\") { id name } }", &o);
    assert_int_equal(outcome.http_status, 200);
    run_with("{ person(id: \"p1\") { id name nick } }", &o);
    assert_int_equal(outcome.http_status, 400);
    assert_non_null(strstr(response, "more than 3 fields"));

    lim = (gql_limits){.max_errors = 2};
    run_with("{ a: boom b: boom c: boom }", &o);
    assert_int_equal(outcome.nerrors, 2);
    assert_non_null(strstr(response, "\"data\":{\"a\":null,\"b\":null,\"c\":null}"));

    /* A response that does not fit the output buffer becomes a 500. */
    run_opts small = {.out_limit = 200};
    run_with("{ numbers(n: 100) }", &small);
    assert_int_equal(outcome.http_status, 500);
    assert_string_equal(response, "{\"errors\":[{\"message\":\"Internal server error\","
                                  "\"extensions\":{\"code\":\"INTERNAL_SERVER_ERROR\"}}]}");

    /* Many strings in a big document cost memory in proportion to it. Comparing
     * every pair of its 2,700 fields for merging would take millions of steps:
     * validation stops at its budget, as graphql-js does, within the arena. */
    static char many[GQL_DEFAULT_MAX_DOCUMENT_BYTES];
    size_t m = (size_t)snprintf(many, sizeof many, "{");
    while (m < sizeof many - 40)
        m += (size_t)snprintf(many + m, sizeof many - m, " hello(name: \"x\\u0041\")");
    snprintf(many + m, sizeof many - m, " }");
    lim = (gql_limits){.max_tokens = 100000};
    run_opts big_arena = {.limits = &lim, .arena_limit = (size_t)4 << 20};
    run_with(many, &big_arena);
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(response, "{\"errors\":[{\"message\":\"Validation aborted.\","
                                  "\"extensions\":{\"code\":\"GRAPHQL_VALIDATION_FAILED\"}}]}");

    /* So does an exhausted arena. */
    run_opts tiny = {.arena_limit = 2048};
    char big[4096];
    size_t n = (size_t)snprintf(big, sizeof big, "{");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, " hello");
    snprintf(big + n, sizeof big - n, " }");
    run_with(big, &tiny);
    assert_int_equal(outcome.http_status, 500);
}

/* "{ person { friends { ... { id } } } }" with `depth` field levels. */
static const char *deep_query(char *q, size_t size, int depth)
{
    size_t n = (size_t)snprintf(q, size, "{ person(id: \"p1\") {");
    for (int i = 0; i < depth - 2; i++)
        n += (size_t)snprintf(q + n, size - n, " friends(first: 1) {");
    n += (size_t)snprintf(q + n, size - n, " id");
    for (int i = 0; i < depth; i++)
        n += (size_t)snprintf(q + n, size - n, " }");
    return q;
}

/* A JSON array of n ones, or of n objects {"a":[1,1]} (4 values each) with `nested`. */
static char *ones(size_t n, bool nested)
{
    const char *item = nested ? "{\"a\":[1,1]}," : "1,";
    size_t w = strlen(item);
    char *s = malloc(n * w + 3);
    assert_non_null(s);
    s[0] = '[';
    for (size_t i = 0; i < n; i++)
        memcpy(s + 1 + i * w, item, w);
    size_t end = n ? n * w : 1; /* over the last comma */
    s[end] = ']';
    s[end + 1] = '\0';
    return s;
}

static void test_variable_size_limits(void **state)
{
    const char *q = "query($l: [Int!]) { echo(list: $l) }";
    gql_limits lim = {.max_variable_values = 50, .max_variable_list_items = 20};
    run_opts o = {.limits = &lim};
    char vars[4096];

    /* Within both: answered. */
    char *list = ones(20, false);
    snprintf(vars, sizeof vars, "{\"l\": %s}", list);
    o.vars = vars;
    run_with(q, &o);
    assert_int_equal(outcome.http_status, 200);
    free(list);

    /* One item more than a list may hold: refused before coercion, naming the variable. */
    list = ones(21, false);
    snprintf(vars, sizeof vars, "{\"l\": %s}", list);
    run_with(q, &o);
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(outcome.code, GQL_CODE_BAD_USER_INPUT);
    assert_non_null(strstr(response, "Variable \\\"$l\\\" holds a list of 21 items; a list may "
                                     "hold at most 20."));
    free(list);

    /* Short lists, but more values than all the variables may hold (2 + 1 + 12 * 4 > 50),
     * even in a variable the operation does not declare. */
    list = ones(12, true);
    snprintf(vars, sizeof vars, "{\"l\": [1], \"unused\": %s}", list);
    run_with(q, &o);
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(outcome.code, GQL_CODE_BAD_USER_INPUT);
    assert_non_null(strstr(response, "The variables hold more than 50 values"));
    free(list);
    list = ones(11, true); /* 2 + 1 + 11 * 4 = 47 */
    snprintf(vars, sizeof vars, "{\"l\": [1], \"unused\": %s}", list);
    run_with(q, &o);
    assert_int_equal(outcome.http_status, 200);
    free(list);

    /* The defaults: 1000 items a list, 10000 values. */
    static char big[1 << 20];
    list = ones(GQL_DEFAULT_MAX_VARIABLE_LIST_ITEMS, false);
    snprintf(big, sizeof big, "{\"l\": %s}", list);
    free(list);
    run_vars(q, big);
    assert_int_equal(outcome.http_status, 200);
    list = ones(GQL_DEFAULT_MAX_VARIABLE_LIST_ITEMS + 1, false);
    snprintf(big, sizeof big, "{\"l\": %s}", list);
    free(list);
    run_vars(q, big);
    assert_int_equal(outcome.http_status, 400);
    assert_non_null(strstr(response, "a list may hold at most 1000"));
    list = ones(GQL_DEFAULT_MAX_VARIABLE_LIST_ITEMS, true); /* 4001 values */
    snprintf(big, sizeof big, "{\"x\": %s, \"y\": %s, \"z\": %s}", list, list, list);
    free(list);
    run_vars(q, big);
    assert_int_equal(outcome.http_status, 400);
    assert_non_null(strstr(response, "more than 10000 values"));
}

static void test_depth_default_limit(void **state)
{
    char q[2048];
    run(deep_query(q, sizeof q, GQL_DEFAULT_MAX_DEPTH));
    assert_int_equal(outcome.http_status, 200);
    assert_non_null(strstr(response, "\"id\":\"p1\""));
    run(deep_query(q, sizeof q, GQL_DEFAULT_MAX_DEPTH + 1));
    assert_int_equal(outcome.http_status, 400);
    assert_string_equal(outcome.code, GQL_CODE_VALIDATION_FAILED);
}

static void expect_double(double d, const char *want)
{
    hk_buf b;
    hk_buf_init(&b, 0);
    gql_format_double(&b, d);
    assert_string_equal(b.data, want);
    hk_buf_free(&b);
}

static void expect_inspect(const char *json, const char *want)
{
    hk_arena *a = hk_arena_new(0);
    json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    assert_string_equal(gql_format_inspect(a, j), want);
    json_decref(j);
    hk_arena_free(a);
}

static void test_format(void **state)
{
    expect_double(0.5, "0.5");
    expect_double(3, "3");
    expect_double(-2, "-2");
    expect_double(1e-7, "1e-7");
    expect_double(0.1, "0.1");
    expect_double(1.0 / 3, "0.3333333333333333");
    expect_double(1e21, "1e+21");
    expect_double(123456789012.25, "123456789012.25");
    expect_inspect("\"s\\n\"", "\"s\\n\"");
    expect_inspect("[]", "[]");
    expect_inspect("{}", "{}");
    expect_inspect("{\"a\": [1, 2.5, true, null], \"b\": {\"c\": {\"d\": 1}, \"e\": [[1]]}}",
                   "{ a: [1, 2.5, true, null], b: { c: [Object], e: [Array] } }");
    expect_inspect("[1,2,3,4,5,6,7,8,9,10,11]", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... 1 more item]");
    expect_inspect("[1,2,3,4,5,6,7,8,9,10,11,12]",
                   "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... 2 more items]");
    hk_arena *a = hk_arena_new(0);
    assert_string_equal(gql_format_inspect(a, NULL), "undefined");
    hk_arena_free(a);
}

static void test_schema_check(void **state)
{
    static const char *const roots[] = {"Query.person", "Query.now", "Query.unbound"};
    static const char *const maps[] = {"DateTime"};
    hk_buf report;
    hk_buf_init(&report, 0);
    size_t n = gql_schema_check(schema, roots, 3, maps, 1, &report);
    /* Person.mustHave is unbound and non-null; Dog/Cat are reached through
     * Person.pets; Query.unbound is not bound. */
    assert_int_equal(n, 2);
    assert_string_equal(report.data, "Person.mustHave\nQuery.unbound (unknown or unbound root)\n");
    hk_buf_free(&report);
    assert_int_equal(gql_schema_check(schema, roots, 2, NULL, 0, NULL), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_aliases),
        cmocka_unit_test(test_fragments_union_interface),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_variables_and_defaults),
        cmocka_unit_test(test_variable_errors),
        cmocka_unit_test(test_null_propagation),
        cmocka_unit_test(test_field_errors),
        cmocka_unit_test(test_unbound_and_maps),
        cmocka_unit_test(test_mutations_serial),
        cmocka_unit_test(test_request_fail),
        cmocka_unit_test(test_operation_selection),
        cmocka_unit_test(test_parse_and_validation_errors),
        cmocka_unit_test(test_field_selected),
        cmocka_unit_test(test_field_selected_path),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_variable_size_limits),
        cmocka_unit_test(test_depth_default_limit),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_schema_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
