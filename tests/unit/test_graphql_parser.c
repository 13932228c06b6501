/*
 * test_graphql_parser.c - executable documents to syntax trees
 * (src/graphql/parser.c): every construct, and syntax errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "graphql/graphql_int.h"

static hk_arena *arena;

static int setup(void **state)
{
    arena = hk_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    hk_arena_free(arena);
    return 0;
}

static gql_document *parse(const char *src)
{
    gql_document *doc = NULL;
    gql_syntax_err err = {0};
    hk_status st = gql_parse_document(src, strlen(src), 0, arena, &doc, &err);
    if (st)
        fprintf(stderr, "parse: %u:%u %s\n", err.loc.line, err.loc.col, err.message);
    assert_int_equal(st, HK_OK);
    return doc;
}

static const char *parse_error(const char *src, gql_loc *loc)
{
    static gql_syntax_err err;
    gql_document *doc = NULL;
    memset(&err, 0, sizeof err);
    assert_int_equal(gql_parse_document(src, strlen(src), 0, arena, &doc, &err), HK_EPARSE);
    assert_null(doc);
    if (loc)
        *loc = err.loc;
    return err.message;
}

static void test_shorthand_query(void **state)
{
    gql_document *doc = parse("{ a b { c } }");
    assert_int_equal(doc->nops, 1);
    assert_int_equal(doc->nfrags, 0);
    const ast_operation *op = &doc->ops[0];
    assert_int_equal(op->kind, OP_QUERY);
    assert_null(op->name);
    assert_int_equal(op->sel->n, 2);
    assert_string_equal(op->sel->items[0].name, "a");
    assert_null(op->sel->items[0].sel);
    assert_string_equal(op->sel->items[1].name, "b");
    assert_int_equal(op->sel->items[1].sel->n, 1);
    assert_int_equal(op->sel->items[1].loc.col, 5);
}

static void test_operations_and_variables(void **state)
{
    gql_document *doc = parse("query Q($a: Int = 3, $b: [String!]!, $c: In @x) @dir { f }\n"
                              "mutation M { g }\nsubscription S { h }\nquery { i }");
    assert_int_equal(doc->nops, 4);
    const ast_operation *q = &doc->ops[0];
    assert_string_equal(q->name, "Q");
    assert_int_equal(q->nvars, 3);
    assert_string_equal(q->vars[0].name, "a");
    assert_int_equal(q->vars[0].type->kind, GQL_TR_NAMED);
    assert_string_equal(q->vars[0].type->name, "Int");
    assert_int_equal(q->vars[0].defval->kind, AV_INT);
    assert_string_equal(q->vars[0].defval->s, "3");
    const gql_typeref *b = q->vars[1].type;
    assert_int_equal(b->kind, GQL_TR_NONNULL);
    assert_int_equal(b->of->kind, GQL_TR_LIST);
    assert_int_equal(b->of->of->kind, GQL_TR_NONNULL);
    assert_string_equal(b->of->of->of->name, "String");
    assert_int_equal(q->vars[2].ndirs, 1);
    assert_int_equal(q->ndirs, 1);
    assert_string_equal(q->dirs[0].name, "dir");
    assert_int_equal(doc->ops[1].kind, OP_MUTATION);
    assert_int_equal(doc->ops[2].kind, OP_SUBSCRIPTION);
    assert_null(doc->ops[3].name);
}

static void test_fields_aliases_arguments(void **state)
{
    gql_document *doc = parse("{ x: f(a: 1, b: -2.5e3, c: \"s\", d: \"\"\"block\"\"\", e: true,"
                              " g: false, h: null, i: ENUM_V, j: $v, k: [1, [2]], l: {m: {n: 1}},"
                              " o: []) @include(if: $v) @skip(if: false) { y } }");
    const ast_sel *s = &doc->ops[0].sel->items[0];
    assert_int_equal(doc->naliases, 1);
    assert_string_equal(s->alias, "x");
    assert_string_equal(s->name, "f");
    assert_int_equal(s->nargs, 12);
    static const ast_value_kind kinds[] = {AV_INT,  AV_FLOAT, AV_STRING, AV_STRING,
                                           AV_BOOL, AV_BOOL,  AV_NULL,   AV_ENUM,
                                           AV_VAR,  AV_LIST,  AV_OBJECT, AV_LIST};
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(s->args[i].value->kind, kinds[i]);
    assert_string_equal(s->args[1].value->s, "-2.5e3");
    assert_string_equal(s->args[3].value->s, "block");
    assert_true(s->args[4].value->b);
    assert_false(s->args[5].value->b);
    assert_string_equal(s->args[7].value->s, "ENUM_V");
    assert_string_equal(s->args[8].value->s, "v");
    const ast_value *k = s->args[9].value;
    assert_int_equal(k->n, 2);
    assert_int_equal(k->items[1]->kind, AV_LIST);
    const ast_value *l = s->args[10].value;
    assert_string_equal(l->fields[0].name, "m");
    assert_string_equal(l->fields[0].value->fields[0].name, "n");
    assert_int_equal(s->args[11].value->n, 0);
    assert_int_equal(s->ndirs, 2);
    assert_string_equal(s->dirs[1].name, "skip");
    assert_string_equal(s->dirs[1].args[0].name, "if");
}

static void test_fragments(void **state)
{
    gql_document *doc = parse("query { ...F @skip(if: true) ... on T { a } ... @include(if: true)"
                              " { b } ... { c } }\n"
                              "fragment F on Query @d { d }");
    const ast_selset *set = doc->ops[0].sel;
    assert_int_equal(set->n, 4);
    assert_int_equal(set->items[0].kind, SEL_SPREAD);
    assert_string_equal(set->items[0].name, "F");
    assert_int_equal(set->items[0].ndirs, 1);
    assert_int_equal(set->items[1].kind, SEL_INLINE);
    assert_string_equal(set->items[1].type_cond, "T");
    assert_int_equal(set->items[2].kind, SEL_INLINE);
    assert_null(set->items[2].type_cond);
    assert_int_equal(set->items[2].ndirs, 1);
    assert_null(set->items[3].type_cond);
    assert_int_equal(doc->nfrags, 1);
    assert_string_equal(doc->frags[0].name, "F");
    assert_string_equal(doc->frags[0].type_cond, "Query");
    assert_int_equal(doc->frags[0].ndirs, 1);
    assert_ptr_equal(gql_doc_fragment(doc, "F"), &doc->frags[0]);
    assert_null(gql_doc_fragment(doc, "G"));
}

static void test_keywords_as_names(void **state)
{
    /* Keywords are ordinary names where a name is expected. */
    gql_document *doc =
        parse("query query { fragment: query(on: on, null: true) subscription on: type }");
    const ast_selset *set = doc->ops[0].sel;
    assert_string_equal(doc->ops[0].name, "query");
    assert_string_equal(set->items[0].alias, "fragment");
    assert_string_equal(set->items[0].args[0].value->s, "on");
    assert_string_equal(set->items[1].name, "subscription");
    assert_string_equal(set->items[2].alias, "on");
}

static void test_comments_commas(void **state)
{
    gql_document *doc = parse("# leading\n{,a,,# c\n b(x: 1,,, y: 2),}\n# trailing");
    assert_int_equal(doc->ops[0].sel->n, 2);
    assert_int_equal(doc->ops[0].sel->items[1].nargs, 2);
    assert_int_equal(doc->ops[0].sel->items[1].loc.line, 3);
}

static void test_syntax_errors(void **state)
{
    gql_loc loc;
    assert_string_equal(parse_error("", &loc), "Syntax Error: Unexpected <EOF>.");
    assert_string_equal(parse_error("   # only a comment", NULL),
                        "Syntax Error: Unexpected <EOF>.");
    assert_string_equal(parse_error("{", &loc), "Syntax Error: Expected Name, found <EOF>.");
    assert_string_equal(parse_error("{}", &loc), "Syntax Error: Expected Name, found \"}\".");
    assert_int_equal(loc.col, 2);
    assert_string_equal(parse_error("{ a(): b }", NULL),
                        "Syntax Error: Expected Name, found \")\".");
    assert_string_equal(parse_error("{ a(x) }", NULL),
                        "Syntax Error: Expected \":\", found \")\".");
    assert_string_equal(parse_error("{ a(x: $) }", NULL),
                        "Syntax Error: Expected Name, found \")\".");
    assert_string_equal(parse_error("query Q($a Int) { a }", NULL),
                        "Syntax Error: Expected \":\", found Name \"Int\".");
    assert_string_equal(parse_error("query Q($a: Int = $b) { a }", NULL),
                        "Syntax Error: Unexpected variable \"$b\" in constant value.");
    assert_string_equal(parse_error("query Q($a: Int = $) { a }", NULL),
                        "Syntax Error: Unexpected \")\".");
    assert_string_equal(parse_error("query Q() { a }", NULL),
                        "Syntax Error: Expected \"$\", found \")\".");
    assert_string_equal(parse_error("fragment on on T { a }", NULL),
                        "Syntax Error: Unexpected Name \"on\".");
    assert_string_equal(parse_error("fragment F T { a }", NULL),
                        "Syntax Error: Expected \"on\", found Name \"T\".");
    /* Type-system definitions parse (validation refuses them); descriptions go on them only. */
    assert_string_equal(parse_error("\"d\" { a }", NULL),
                        "Syntax Error: Unexpected description, descriptions are not supported on "
                        "shorthand queries.");
    assert_string_equal(parse_error("\"d\" extend type T @x", NULL),
                        "Syntax Error: Unexpected description, only GraphQL definitions support "
                        "descriptions.");
    assert_string_equal(parse_error("extend type T", NULL), "Syntax Error: Unexpected <EOF>.");
    assert_string_equal(parse_error("type T {}", NULL),
                        "Syntax Error: Expected Name, found \"}\".");
    assert_string_equal(parse_error("{ a } }", &loc), "Syntax Error: Unexpected \"}\".");
    assert_int_equal(loc.col, 7);
    assert_string_equal(parse_error("{ a(x: [1, 2) }", NULL), "Syntax Error: Unexpected \")\".");
    assert_string_equal(parse_error("{ a(x: {b}) }", NULL),
                        "Syntax Error: Expected \":\", found \"}\".");
    assert_string_equal(parse_error("{ a(x: \"s\"\"\") }", NULL),
                        "Syntax Error: Expected Name, found String \"\".");
    assert_string_equal(parse_error("query Q($a: [Int) { a }", NULL),
                        "Syntax Error: Expected \"]\", found \")\".");
    assert_string_equal(parse_error("{ a @ }", NULL), "Syntax Error: Expected Name, found \"}\".");
    assert_string_equal(parse_error("{ ... }", NULL), "Syntax Error: Expected \"{\", found \"}\".");
    assert_string_equal(parse_error("{ a }\xff", NULL),
                        "Syntax Error: Document is not valid UTF-8.");
    /* Lexical errors surface with their position. */
    assert_string_equal(parse_error("{\n  a(x: \"unterminated) }", &loc),
                        "Syntax Error: Unterminated string.");
    assert_int_equal(loc.line, 2);
}

static void test_nesting_limit(void **state)
{
    char src[1200];
    size_t n = 0;
    /* Deeply nested selections, lists, objects and list types all stop at
     * GQL_MAX_NESTING instead of recursing on. */
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(src + n, sizeof src - n, "{a");
    src[n] = '\0';
    assert_non_null(strstr(parse_error(src, NULL), "nested more than"));
    n = (size_t)snprintf(src, sizeof src, "{ a(x: ");
    for (int i = 0; i < 200; i++)
        src[n++] = '[';
    src[n] = '\0';
    assert_non_null(strstr(parse_error(src, NULL), "nested more than"));
    n = (size_t)snprintf(src, sizeof src, "{ a(x: ");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(src + n, sizeof src - n, "{b:");
    assert_non_null(strstr(parse_error(src, NULL), "nested more than"));
    n = (size_t)snprintf(src, sizeof src, "query($v: ");
    for (int i = 0; i < 200; i++)
        src[n++] = '[';
    src[n] = '\0';
    assert_non_null(strstr(parse_error(src, NULL), "nested more than"));

    /* Up to the limit it parses: "{a{a...}}" with GQL_MAX_NESTING sets. */
    n = 0;
    for (int i = 0; i < GQL_MAX_NESTING; i++)
        n += (size_t)snprintf(src + n, sizeof src - n, "{a");
    for (int i = 0; i < GQL_MAX_NESTING; i++)
        src[n++] = '}';
    src[n] = '\0';
    parse(src);
    src[n++] = '}'; /* one more level is refused */
    src[n] = '\0';
    memmove(src + 2, src, n - 1);
    memcpy(src, "{a", 2);
    src[n + 1] = '\0';
    assert_non_null(strstr(parse_error(src, NULL), "nested more than"));
}

static void test_garbage_never_crashes(void **state)
{
    /* Every prefix of a rich document fails cleanly or parses. */
    const char *doc = "query Q($a: [In!]! = [1], $b: X = {k: \"v\\u00e9\"}) @d(x: 1) {\n"
                      "  al: f(a: $a, b: {c: [1.5, -2, ENUM, null, true]}) @skip(if: $b) {\n"
                      "    ...F ... on T { g } ... @include(if: true) { h }\n"
                      "  }\n}\nfragment F on T { i(s: \"\"\"bl\\\"\"\"ock\"\"\") }\n";
    size_t len = strlen(doc);
    for (size_t n = 0; n <= len; n++) {
        gql_document *out;
        gql_syntax_err err = {0};
        hk_status st = gql_parse_document(doc, n, 0, arena, &out, &err);
        assert_true(st == HK_OK || (st == HK_EPARSE && err.set && err.loc.line >= 1));
    }
    gql_document *full = parse(doc);
    assert_int_equal(full->nfrags, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shorthand_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_operations_and_variables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fields_aliases_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keywords_as_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comments_commas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nesting_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
