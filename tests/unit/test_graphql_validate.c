/*
 * test_graphql_validate.c - validation rules (src/graphql/validate.c) and
 * SDL loading errors: for each rule a document that passes and one that
 * fails with the expected message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "graphql/graphql_int.h"
#include "graphql_testschema.h"

static gql_schema *schema;
static hk_arena *arena;
static gql_loc last_loc;
static unsigned last_count;

static int setup(void **state)
{
    hk_error err;
    hk_error_clear(&err);
    assert_int_equal(gql_schema_new(test_sdl, strlen(test_sdl), &schema, &err), HK_OK);
    arena = hk_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    gql_schema_free(schema);
    hk_arena_free(arena);
    return 0;
}

/* NULL when src is valid, else the first error's message. */
static const char *check_lim(const char *src, const gql_limits *limits)
{
    gql_document *doc;
    gql_syntax_err serr = {0};
    gql_errlist errs;
    gql_limits lim;
    gql_limits_resolve(limits, &lim);
    hk_status st = gql_parse_document(src, strlen(src), 0, arena, &doc, &serr);
    if (st)
        fprintf(stderr, "parse: %s\n", serr.message);
    assert_int_equal(st, HK_OK);
    gql_errs_init(&errs, arena, 50);
    st = gql_validate(schema, doc, &lim, arena, &errs);
    last_count = errs.n;
    if (!st) {
        assert_int_equal(errs.n, 0);
        return NULL;
    }
    assert_int_equal(st, HK_EINVAL);
    assert_non_null(errs.head);
    assert_string_equal(errs.head->code, GQL_CODE_VALIDATION_FAILED);
    last_loc = errs.head->loc;
    return errs.head->message;
}

static const char *check(const char *src)
{
    return check_lim(src, NULL);
}

#define VALID(src) assert_null(check(src))
#define INVALID(src, msg) assert_string_equal(check(src), msg)

static void test_operations(void **state)
{
    VALID("query A { hello } query B { hello } mutation C { inc }");
    INVALID("query A { hello } query A { count }", "There can be only one operation named \"A\".");
    INVALID("{ hello } query B { hello }",
            "This anonymous operation must be the only defined operation.");
    /* No subscription root: valid, as graphql-js 16 has it (executing it fails). */
    VALID("subscription S { hello }");
}

static void test_fields(void **state)
{
    VALID("{ __typename hello person(id: 1) { __typename id name } pets { __typename } }");
    INVALID("{ nope }",
            "Cannot query field \"nope\" on type \"Query\". Did you mean \"node\" or \"now\"?");
    assert_int_equal(last_loc.line, 1);
    assert_int_equal(last_loc.col, 3);
    INVALID("{ person(id: 1) { lives } }", "Cannot query field \"lives\" on type \"Person\".");
    INVALID("{ pets { name } }", "Cannot query field \"name\" on type \"Pet\". Did you mean to use "
                                 "an inline fragment on \"Named\", \"Cat\", or \"Dog\"?");
    VALID("{ __schema { types { name } } __type(name: \"Dog\") { name fields { name } } }");
    INVALID("{ person(id: 1) { __schema { types { name } } } }",
            "Cannot query field \"__schema\" on type \"Person\".");
    INVALID("{ __type { name } }",
            "Field \"__type\" argument \"name\" of type \"String!\" is required, but it was not "
            "provided.");
    INVALID("mutation { hello }", "Cannot query field \"hello\" on type \"Mutation\".");
}

static void test_leaf_selections(void **state)
{
    VALID("{ now { iso8601 } color }");
    INVALID("{ hello { x } }",
            "Field \"hello\" must not have a selection since type \"String!\" has no subfields.");
    INVALID("{ __typename { x } }",
            "Field \"__typename\" must not have a selection since type \"String!\" has no "
            "subfields.");
    INVALID("{ now }", "Field \"now\" of type \"DateTime!\" must have a selection of subfields. "
                       "Did you mean \"now { ... }\"?");
    INVALID("{ pets }", "Field \"pets\" of type \"[Pet!]!\" must have a selection of subfields. "
                        "Did you mean \"pets { ... }\"?");
}

static void test_arguments(void **state)
{
    VALID("{ echo(s: \"x\", i: -5, f: 1, b: true, id: 7, c: GREEN, list: [1, 2], "
          "filter: {name: \"n\", kinds: \"one\", nested: {name: \"m\"}}, json: {any: [1, \"x\"]}) "
          "}");
    VALID("{ echo(list: 3, f: 1.5e3, id: \"abc\", s: null, c: null) }");
    INVALID("{ echo(zzz: 1) }", "Unknown argument \"zzz\" on field \"Query.echo\".");
    INVALID("{ echo(s: \"a\", s: \"b\") }", "There can be only one argument named \"s\".");
    INVALID("{ need(y: []) }",
            "Field \"need\" argument \"x\" of type \"Int!\" is required, but it was not provided.");
    INVALID("{ need(x: null, y: []) }", "Expected value of type \"Int!\", found null.");
    INVALID("{ echo(i: \"1\") }", "Int cannot represent non-integer value: \"1\"");
    INVALID("{ echo(i: 1.5) }", "Int cannot represent non-integer value: 1.5");
    INVALID("{ echo(i: 3000000000) }",
            "Int cannot represent non 32-bit signed integer value: 3000000000");
    INVALID("{ echo(f: true) }", "Float cannot represent non numeric value: true");
    INVALID("{ echo(s: 1) }", "String cannot represent a non string value: 1");
    INVALID("{ echo(b: \"true\") }", "Boolean cannot represent a non boolean value: \"true\"");
    INVALID("{ echo(id: 1.5) }", "ID cannot represent a non-string and non-integer value: 1.5");
    INVALID("{ echo(c: PURPLE) }", "Value \"PURPLE\" does not exist in \"Color\" enum.");
    INVALID("{ echo(c: \"RED\") }",
            "Enum \"Color\" cannot represent non-enum value: \"RED\". Did you mean the enum "
            "value \"RED\" or \"GREEN\"?");
    INVALID("{ echo(list: [1, \"two\"]) }", "Int cannot represent non-integer value: \"two\"");
    INVALID("{ echo(list: [1, null]) }", "Expected value of type \"Int!\", found null.");
    INVALID("{ echo(filter: 3) }", "Expected value of type \"PetFilter\", found 3.");
    INVALID("{ echo(filter: {}) }",
            "Field \"PetFilter.name\" of required type \"String!\" was not provided.");
    INVALID("{ echo(filter: {name: \"a\", bogus: 1}) }",
            "Field \"bogus\" is not defined by type \"PetFilter\".");
    INVALID("{ echo(filter: {name: \"a\", name: \"b\"}) }",
            "There can be only one input field named \"name\".");
    INVALID("{ echo(filter: {name: \"a\", nested: {name: 1}}) }",
            "String cannot represent a non string value: 1");
    INVALID("{ __typename(x: 1) }", "Unknown argument \"x\" on field \"Query.__typename\".");
}

static void test_directives(void **state)
{
    VALID("query($v: Boolean!) { hello @include(if: $v) @skip(if: false) ...F @skip(if: true) "
          "... @include(if: true) { count } } fragment F on Query { count }");
    INVALID("{ hello @nope }", "Unknown directive \"@nope\".");
    INVALID("{ hello @deprecated }", "Directive \"@deprecated\" may not be used on FIELD.");
    INVALID("query @skip(if: true) { hello }", "Directive \"@skip\" may not be used on QUERY.");
    INVALID("{ ...F } fragment F on Query @include(if: true) { hello }",
            "Directive \"@include\" may not be used on FRAGMENT_DEFINITION.");
    INVALID("{ hello @skip(if: true) @skip(if: false) }",
            "The directive \"@skip\" can only be used once at this location.");
    INVALID("{ hello @include }",
            "Directive \"@include\" argument \"if\" of type \"Boolean!\" is required, but it was "
            "not provided.");
    INVALID("{ hello @include(if: 1) }", "Boolean cannot represent a non boolean value: 1");
    INVALID("{ hello @include(if: true, other: 1) }",
            "Unknown argument \"other\" on directive \"@include\".");
}

static void test_fragments(void **state)
{
    VALID("{ pets { ...D ... on Cat { lives } ... { __typename } } } "
          "fragment D on Dog { barks }");
    VALID("{ named { ...N } } fragment N on Node { id }");
    VALID("{ pets { ... on Named { name } } thing { ... on Pet { __typename } } }");
    INVALID("{ ...Missing }", "Unknown fragment \"Missing\".");
    INVALID("{ hello } fragment F on Query { hello }", "Fragment \"F\" is never used.");
    INVALID("{ ...F } fragment F on Query { hello } fragment F on Query { count }",
            "There can be only one fragment named \"F\".");
    INVALID("{ ...F } fragment F on Nope { hello }",
            "Unknown type \"Nope\". Did you mean \"Node\"?");
    INVALID("{ ...F } fragment F on String { hello }",
            "Fragment \"F\" cannot condition on non composite type \"String\".");
    INVALID("{ ... on Nope { hello } }", "Unknown type \"Nope\". Did you mean \"Node\"?");
    INVALID("{ ... on Color { hello } }",
            "Fragment cannot condition on non composite type \"Color\".");
    INVALID("{ pets { ... on Person { id } } }",
            "Fragment cannot be spread here as objects of type \"Pet\" can never be of type "
            "\"Person\".");
    INVALID("{ person(id: 1) { ...D } } fragment D on Dog { barks }",
            "Fragment \"D\" cannot be spread here as objects of type \"Person\" can never be of "
            "type \"Dog\".");
    INVALID("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            "Cannot spread fragment \"A\" within itself via \"B\".");
    INVALID("{ ...A } fragment A on Query { hello ...A }",
            "Cannot spread fragment \"A\" within itself.");
}

static void test_variables(void **state)
{
    VALID("query($a: Int, $b: [Int!], $c: PetFilter, $d: Color = RED, $e: JSON) {"
          " echo(i: $a, list: $b, filter: $c, c: $d, json: $e) }");
    VALID("query($x: Int!, $s: String!) { need(x: $x, y: [$s]) }");
    VALID("query($x: String) { echo(req: $x) }");       /* the argument has a default */
    VALID("query($x: Int = 3) { need(x: $x, y: []) }"); /* the variable has a default */
    VALID("query($v: Int) { ...F } fragment F on Query { echo(i: $v) }");
    VALID("query($n: String!) { echo(filter: {name: $n}, json: {a: $n}) }");
    INVALID("query($a: Int, $a: Int) { echo(i: $a) }",
            "There can be only one variable named \"$a\".");
    INVALID("query($a: Nope) { hello }", "Unknown type \"Nope\". Did you mean \"Node\"?");
    INVALID("query($a: Person) { hello }", "Variable \"$a\" cannot be non-input type \"Person\".");
    INVALID("query Q { echo(i: $a) }", "Variable \"$a\" is not defined by operation \"Q\".");
    INVALID("{ echo(i: $a) }", "Variable \"$a\" is not defined.");
    INVALID("query Q { ...F } fragment F on Query { echo(i: $v) }",
            "Variable \"$v\" is not defined by operation \"Q\".");
    INVALID("query Q($a: Int) { hello }", "Variable \"$a\" is never used in operation \"Q\".");
    INVALID("query($a: String) { echo(i: $a) }",
            "Variable \"$a\" of type \"String\" used in position expecting type \"Int\".");
    INVALID("query($a: Int) { need(x: $a, y: []) }",
            "Variable \"$a\" of type \"Int\" used in position expecting type \"Int!\".");
    INVALID("query($a: [Int]) { echo(list: $a) }",
            "Variable \"$a\" of type \"[Int]\" used in position expecting type \"[Int!]\".");
    INVALID("query($a: Int) { echo(list: $a) }",
            "Variable \"$a\" of type \"Int\" used in position expecting type \"[Int!]\".");
    INVALID("query($b: Boolean) { hello @include(if: $b) }",
            "Variable \"$b\" of type \"Boolean\" used in position expecting type \"Boolean!\".");
    INVALID("query($a: Int = \"x\") { echo(i: $a) }",
            "Int cannot represent non-integer value: \"x\"");
    INVALID("query($a: Int = null) { need(x: $a, y: []) }",
            "Variable \"$a\" of type \"Int\" used in position expecting type \"Int!\".");
}

static void test_overlapping_fields(void **state)
{
    VALID("{ hello hello x: hello(name: \"a\") x: hello(name: \"a\")"
          " person(id: 1) { id } person(id: 1) { name } echo(filter: {name: \"a\", kinds: [\"b\"]})"
          " echo(filter: {name: \"a\", kinds: [\"b\"]}) }");
    INVALID("{ a: hello a: count }",
            "Fields \"a\" conflict because \"hello\" and \"count\" are different fields. Use "
            "different aliases on the fields to fetch both if this was intentional.");
    INVALID("{ hello(name: \"x\") hello(name: \"y\") }",
            "Fields \"hello\" conflict because they have differing arguments. Use different "
            "aliases on the fields to fetch both if this was intentional.");
    INVALID("query($v: String) { hello(name: $v) hello }",
            "Fields \"hello\" conflict because they have differing arguments. Use different "
            "aliases on the fields to fetch both if this was intentional.");
    INVALID("{ person(id: 1) { id: name id } }",
            "Fields \"id\" conflict because \"name\" and \"id\" are different fields. Use "
            "different aliases on the fields to fetch both if this was intentional.");
}

/* Issue 16: field merging through fragments, inline fragments and nesting, as graphql-js. */
static void test_overlapping_fields_through_fragments(void **state)
{
    INVALID("{ person(id: 1) { x: id ...F } } fragment F on Person { x: name }",
            "Fields \"x\" conflict because \"id\" and \"name\" are different fields. Use "
            "different aliases on the fields to fetch both if this was intentional.");
    assert_int_equal(last_count, 1);
    VALID("{ person(id: 1) { x: id ...F } } fragment F on Person { x: id }");
    INVALID("{ ...A ...B } fragment A on Query { hello(name: \"a\") } "
            "fragment B on Query { hello(name: \"b\") }",
            "Fields \"hello\" conflict because they have differing arguments. Use different "
            "aliases on the fields to fetch both if this was intentional.");
    INVALID("{ ...A } fragment A on Query { x: hello ...B } fragment B on Query { ...C } "
            "fragment C on Query { x: count }",
            "Fields \"x\" conflict because \"hello\" and \"count\" are different fields. Use "
            "different aliases on the fields to fetch both if this was intentional.");
    /* Nested: the conflict is reported on the enclosing fields, every location named. */
    INVALID("{ person(id: 1) { friends { x: id } } person(id: 1) { friends { x: name } } }",
            "Fields \"person\" conflict because subfields \"friends\" conflict because subfields "
            "\"x\" conflict because \"id\" and \"name\" are different fields. Use different "
            "aliases on the fields to fetch both if this was intentional.");
    assert_int_equal(last_loc.col, 3);
    /* Different object types may answer differently, but not with conflicting types. */
    VALID("{ pets { ... on Dog { x: name } ... on Cat { x: __typename } } }");
    INVALID("{ pets { ... on Dog { x: barks } ... on Cat { x: lives } } }",
            "Fields \"x\" conflict because they return conflicting types \"Boolean!\" and "
            "\"Int!\". Use different aliases on the fields to fetch both if this was "
            "intentional.");
    INVALID("{ thing { ... on Dog { owner { x: id } } ... on Person { owner: nick } } }",
            "Fields \"owner\" conflict because they return conflicting types \"Person\" and "
            "\"String\". Use different aliases on the fields to fetch both if this was "
            "intentional.");
    /* Fragments spreading each other: linear, and the cycle reported once. */
    char src[8000];
    size_t n = (size_t)snprintf(src, sizeof src, "{ person(id: 1) { ...F0 } }");
    for (int i = 0; i < 30; i++)
        n += (size_t)snprintf(src + n, sizeof src - n,
                              " fragment F%d on Person { id name ...F%d ...F%d }", i, i + 1, i + 1);
    snprintf(src + n, sizeof src - n, " fragment F30 on Person { x: id }");
    VALID(src);
}

/* Issue 16: one unknown field is one error, not also "never used" ones. */
static void test_no_cascades(void **state)
{
    INVALID("query($v: Int) { nope(a: $v) { ...F } } fragment F on Person { id }",
            "Cannot query field \"nope\" on type \"Query\". Did you mean \"node\" or \"now\"?");
    assert_int_equal(last_count, 1);
    INVALID("query($v: Int) { hello { x(a: $v) ...F } } fragment F on Person { id }",
            "Field \"hello\" must not have a selection since type \"String!\" has no subfields.");
    assert_int_equal(last_count, 1);
    INVALID("query($v: Int) { hello(zzz: $v) }",
            "Unknown argument \"zzz\" on field \"Query.hello\".");
    assert_int_equal(last_count, 1);
    INVALID("query($v: Int) { hello @nope(x: $v) }", "Unknown directive \"@nope\".");
    assert_int_equal(last_count, 1);
    INVALID("{ ... on Nope { ...F } } fragment F on Query { hello }",
            "Unknown type \"Nope\". Did you mean \"Node\"?");
    assert_int_equal(last_count, 1);
}

/* The rules graphql-js 16.15 has beyond the old ones. */
static void test_more_rules(void **state)
{
    INVALID("type T { a: Int } { hello }", "The \"T\" definition is not executable.");
    INVALID("schema { query: Query } { hello }", "The schema definition is not executable.");
    INVALID("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            "Maximum introspection depth exceeded");
    INVALID("{ __type(name: \"Dog\") { ...A } } fragment A on __Type { fields { type { ...B } } } "
            "fragment B on __Type { interfaces { possibleTypes { name } } }",
            "Maximum introspection depth exceeded");
    VALID("{ __type(name: \"Dog\") { fields { type { interfaces { name } } } } }");
    INVALID("{ hello @internal }", "Directive \"@internal\" may not be used on FIELD.");
    INVALID("{ echo(c: GRENE) }", "Value \"GRENE\" does not exist in \"Color\" enum. Did you mean "
                                  "the enum value \"GREEN\" or \"RED\"?");
}

static void test_fragment_chain_limit(void **state)
{
    char src[8000];
    size_t n = (size_t)snprintf(src, sizeof src, "{ ...F0 }");
    for (int i = 0; i < GQL_MAX_NESTING - 1; i++)
        n += (size_t)snprintf(src + n, sizeof src - n, " fragment F%d on Query { ...F%d }", i,
                              i + 1);
    snprintf(src + n, sizeof src - n, " fragment F%d on Query { hello }", GQL_MAX_NESTING - 1);
    VALID(src);
    n = (size_t)snprintf(src, sizeof src, "{ ...F0 }");
    for (int i = 0; i < GQL_MAX_NESTING; i++)
        n += (size_t)snprintf(src + n, sizeof src - n, " fragment F%d on Query { ...F%d }", i,
                              i + 1);
    snprintf(src + n, sizeof src - n, " fragment F%d on Query { hello }", GQL_MAX_NESTING);
    INVALID(src, "Fragment \"F0\" starts a chain of more than 64 nested fragment spreads.");
}

static void test_mutations(void **state)
{
    VALID("mutation M($m: String!) { a: log(msg: $m) b: inc(by: 2) inc }");
    INVALID("mutation { inc(by: \"x\") }", "Int cannot represent non-integer value: \"x\"");
}

static void test_limits(void **state)
{
    gql_limits lim = {.max_depth = 3, .max_aliases = 2};
    assert_null(check_lim("{ person(id: 1) { pets { __typename } } }", &lim));
    assert_string_equal(
        check_lim("query Deep { person(id: 1) { friends { friends { id } } } }", &lim),
        "Operation \"Deep\" has a selection depth of 4, which exceeds the limit "
        "of 3.");
    /* Depth counts through fragments and inline fragments. */
    assert_string_equal(check_lim("{ person(id: 1) { ...F } } fragment F on Person "
                                  "{ ... on Person { friends { friends { id } } } }",
                                  &lim),
                        "Operation has a selection depth of 4, which exceeds the limit of 3.");
    assert_null(check_lim("{ a: hello b: hello }", &lim));
    assert_string_equal(check_lim("{ a: hello b: hello c: hello }", &lim),
                        "Document uses 3 aliases, which exceeds the limit of 2.");
}

static void test_many_errors_are_capped(void **state)
{
    char src[8000];
    size_t n = (size_t)snprintf(src, sizeof src, "{");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(src + n, sizeof src - n, " nope%d", i);
    snprintf(src + n, sizeof src - n, " }");
    assert_non_null(check(src));
    assert_int_equal(last_count, 50);
}

static void test_fragment_bomb_is_linear(void **state)
{
    /* Each fragment spreads the previous one twice: 2^40 expansions if
     * spreads were followed naively; validation stays linear. */
    char src[8000];
    size_t n = (size_t)snprintf(src, sizeof src, "{ ...F40 } fragment F0 on Query { hello }");
    for (int i = 1; i <= 40; i++)
        n += (size_t)snprintf(src + n, sizeof src - n, " fragment F%d on Query { ...F%d ...F%d }",
                              i, i - 1, i - 1);
    VALID(src);
}

/* ----------------------------------------------------------------- SDL */

static const char *sdl_error(const char *sdl)
{
    static hk_error err;
    gql_schema *s = NULL;
    hk_error_clear(&err);
    hk_status st = gql_schema_new(sdl, strlen(sdl), &s, &err);
    assert_true(st == HK_EPARSE || st == HK_EINVAL);
    assert_null(s);
    return err.message;
}

static void test_sdl_errors(void **state)
{
    assert_string_equal(sdl_error(""), "The query root type must be an object type.");
    assert_string_equal(sdl_error("type Query { a: Nope }"),
                        "1:17: Unknown type \"Nope\" (in Query).");
    assert_string_equal(sdl_error("type Query { a: Int }\ntype Query { b: Int }"),
                        "There can be only one type named \"Query\".");
    assert_string_equal(sdl_error("type Query { a: Int }\ninput I { x: Query }"),
                        "2:14: Type \"Query\" cannot be used here (in I).");
    assert_string_equal(sdl_error("input I { x: Int } type Query { a: I }"),
                        "1:36: Type \"I\" cannot be used here (in Query).");
    assert_string_equal(sdl_error("type Query implements Query { a: Int }"),
                        "Type \"Query\" cannot implement \"Query\".");
    assert_string_equal(sdl_error("type Query { a: U } union U = Query | Int"),
                        "Union \"U\" cannot include \"Int\".");
    assert_string_equal(sdl_error("type Query { a: Int"),
                        "1:20: Syntax Error: Expected Name, found <EOF>.");
    assert_string_equal(sdl_error("extend type Query { a: Int }"),
                        "1:1: Syntax Error: Unexpected Name \"extend\".");
    assert_string_equal(sdl_error("enum E { true } type Query { a: E }"),
                        "1:10: Syntax Error: Unexpected Name \"true\".");
    assert_string_equal(sdl_error("type Query { a: Int }\n\"unterminated"),
                        "2:14: Syntax Error: Unterminated string.");
}

static void test_sdl_model(void **state)
{
    const gql_type *named = gql_schema_type(schema, "Named");
    assert_int_equal(named->kind, GQL_T_INTERFACE);
    assert_int_equal(named->npossible, 2);
    assert_int_equal(named->nifaces, 1);
    const gql_type *color = gql_schema_type(schema, "Color");
    assert_int_equal(color->nenum, 3);
    assert_true(gql_enum_has(color, "BLUE"));
    const gql_type *pet = gql_schema_type(schema, "Pet");
    assert_int_equal(pet->npossible, 2);
    const gql_field_def *echo = gql_type_field(gql_schema_type(schema, "Query"), "echo");
    assert_int_equal(echo->nargs, 10);
    assert_string_equal(gql_typeref_str(echo->args[6].type, arena), "[Int!]");
    assert_string_equal(echo->args[9].defval->s, "dflt");
    assert_int_equal(gql_schema_type(schema, "JSON")->scalar, GQL_S_CUSTOM);
    assert_int_equal(gql_schema_type(schema, "ID")->scalar, GQL_S_ID);
    assert_null(gql_schema_type(schema, "internal"));
    gql_schema_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operations),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_leaf_selections),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_overlapping_fields),
        cmocka_unit_test(test_overlapping_fields_through_fragments),
        cmocka_unit_test(test_no_cascades),
        cmocka_unit_test(test_more_rules),
        cmocka_unit_test(test_fragment_chain_limit),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_many_errors_are_capped),
        cmocka_unit_test(test_fragment_bomb_is_linear),
        cmocka_unit_test(test_sdl_errors),
        cmocka_unit_test(test_sdl_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
