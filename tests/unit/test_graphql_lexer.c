/*
 * test_graphql_lexer.c - tokens, positions, string decoding and lexical
 * errors of src/graphql/lexer.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "graphql/graphql_int.h"

typedef struct lx_fixture {
    hk_arena *a;
    gql_lexer lx;
    gql_syntax_err err;
} lx_fixture;

static int setup(void **state)
{
    lx_fixture *f = calloc(1, sizeof *f);
    f->a = hk_arena_new(0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    lx_fixture *f = *state;
    hk_arena_free(f->a);
    free(f);
    return 0;
}

static void start(lx_fixture *f, const char *src)
{
    memset(&f->err, 0, sizeof f->err);
    gql_lex_init(&f->lx, src, strlen(src), 0, f->a, &f->err);
}

static gql_token next(lx_fixture *f)
{
    gql_token t;
    assert_int_equal(gql_lex_next(&f->lx, &t), HK_OK);
    return t;
}

/* The decoded value of the single string token in src. */
static const char *string_value(lx_fixture *f, const char *src)
{
    start(f, src);
    gql_token t = next(f);
    assert_true(t.kind == GQL_TOK_STRING || t.kind == GQL_TOK_BLOCK_STRING);
    assert_int_equal(strlen(t.value), t.value_len);
    return t.value;
}

/* The message of the error lexing src produces (all tokens). */
static const char *lex_error(lx_fixture *f, const char *src, gql_loc *loc)
{
    gql_token t;
    hk_status st;
    start(f, src);
    do {
        st = gql_lex_next(&f->lx, &t);
    } while (!st && t.kind != GQL_TOK_EOF);
    assert_int_equal(st, HK_EPARSE);
    assert_true(f->err.set);
    if (loc)
        *loc = f->err.loc;
    return f->err.message;
}

static void test_punctuators_and_names(void **state)
{
    lx_fixture *f = *state;
    static const gql_tok_kind want[] = {
        GQL_TOK_BANG,     GQL_TOK_DOLLAR, GQL_TOK_AMP,    GQL_TOK_LPAREN, GQL_TOK_RPAREN,
        GQL_TOK_SPREAD,   GQL_TOK_COLON,  GQL_TOK_EQUALS, GQL_TOK_AT,     GQL_TOK_LBRACKET,
        GQL_TOK_RBRACKET, GQL_TOK_LBRACE, GQL_TOK_PIPE,   GQL_TOK_RBRACE, GQL_TOK_NAME,
        GQL_TOK_NAME,     GQL_TOK_EOF,    GQL_TOK_EOF,
    };
    start(f, "! $ & ( ) ... : = @ [ ] { | } _name9 Other");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(next(f).kind, want[i]);
}

static void test_ignored_and_positions(void **state)
{
    lx_fixture *f = *state;
    /* BOM, commas, comments, \r\n and \r line breaks, tabs. */
    start(f, "\xEF\xBB\xBF{ # comment\r\n  a,,b\r\tc\n\"\xC3\xA9\" d");
    gql_token t = next(f);
    assert_int_equal(t.kind, GQL_TOK_LBRACE);
    assert_int_equal(t.loc.line, 1);
    assert_int_equal(t.loc.col, 2); /* the BOM is one code point */
    t = next(f);
    assert_int_equal(t.loc.line, 2);
    assert_int_equal(t.loc.col, 3);
    assert_int_equal(t.len, 1);
    assert_memory_equal(t.start, "a", 1);
    t = next(f);
    assert_int_equal(t.loc.line, 2);
    assert_int_equal(t.loc.col, 6);
    t = next(f);
    assert_int_equal(t.loc.line, 3);
    assert_int_equal(t.loc.col, 2);
    t = next(f);
    assert_int_equal(t.kind, GQL_TOK_STRING);
    assert_int_equal(t.loc.line, 4);
    t = next(f);
    assert_int_equal(t.loc.line, 4);
    assert_int_equal(t.loc.col, 5); /* é counts as one column */
    assert_int_equal(next(f).kind, GQL_TOK_EOF);
}

static void test_numbers(void **state)
{
    lx_fixture *f = *state;
    start(f, "0 -0 12 -34 1.5 -0.25 1e10 2E-3 6.02e+23");
    static const gql_tok_kind want[] = {GQL_TOK_INT,   GQL_TOK_INT,   GQL_TOK_INT,
                                        GQL_TOK_INT,   GQL_TOK_FLOAT, GQL_TOK_FLOAT,
                                        GQL_TOK_FLOAT, GQL_TOK_FLOAT, GQL_TOK_FLOAT};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(next(f).kind, want[i]);
    gql_loc loc;
    assert_string_equal(lex_error(f, "012", &loc),
                        "Syntax Error: Invalid number, unexpected digit after 0: \"1\".");
    assert_int_equal(loc.col, 2);
    assert_string_equal(lex_error(f, "1.", NULL),
                        "Syntax Error: Invalid number, expected digit but got: <EOF>.");
    assert_string_equal(lex_error(f, "1.e3", NULL),
                        "Syntax Error: Invalid number, expected digit but got: \"e\".");
    assert_string_equal(lex_error(f, "12abc", NULL),
                        "Syntax Error: Invalid number, expected digit but got: \"a\".");
    assert_string_equal(lex_error(f, "1.5.2", NULL),
                        "Syntax Error: Invalid number, expected digit but got: \".\".");
    assert_string_equal(lex_error(f, "-x", NULL),
                        "Syntax Error: Invalid number, expected digit but got: \"x\".");
}

static void test_strings(void **state)
{
    lx_fixture *f = *state;
    assert_string_equal(string_value(f, "\"\""), "");
    assert_string_equal(string_value(f, "\"simple\""), "simple");
    assert_string_equal(string_value(f, "\" white space \""), " white space ");
    assert_string_equal(string_value(f, "\"quote \\\"\""), "quote \"");
    assert_string_equal(string_value(f, "\"esc \\\\ \\/ \\b \\f \\n \\r \\t\""),
                        "esc \\ / \b \f \n \r \t");
    assert_string_equal(string_value(f, "\"\\u0041\\u00e9\\u20AC\""), "A\xC3\xA9\xE2\x82\xAC");
    /* Surrogate pair and the braced form give the same code point. */
    assert_string_equal(string_value(f, "\"\\uD83D\\uDE00\""), "\xF0\x9F\x98\x80");
    assert_string_equal(string_value(f, "\"\\u{1F600}\""), "\xF0\x9F\x98\x80");
    assert_string_equal(string_value(f, "\"unicode \xE2\x98\x83 raw\""),
                        "unicode \xE2\x98\x83 raw");

    /* Raw control characters, NUL included, are string characters (spec October 2021),
     * in block strings too. */
    assert_string_equal(string_value(f, "\"bell \a esc \x1B\""), "bell \a esc \x1B");
    assert_string_equal(string_value(f, "\"\"\"del \x7F bs \b\"\"\""), "del \x7F bs \b");
    static const char nuls[] = "\"a\0b\" # comment \x01 \0 too\n x";
    memset(&f->err, 0, sizeof f->err);
    gql_lex_init(&f->lx, nuls, sizeof nuls - 1, 0, f->a, &f->err);
    gql_token s = next(f);
    assert_int_equal(s.value_len, 3);
    assert_memory_equal(s.value, "a\0b", 3);
    assert_int_equal(next(f).kind, GQL_TOK_NAME);

    /* \u0000 decodes to a NUL inside the value. */
    start(f, "\"a\\u0000b\"");
    gql_token t = next(f);
    assert_int_equal(t.value_len, 3);
    assert_memory_equal(t.value, "a\0b", 3);
}

static void test_string_errors(void **state)
{
    lx_fixture *f = *state;
    gql_loc loc;
    assert_string_equal(lex_error(f, "\"abc", &loc), "Syntax Error: Unterminated string.");
    assert_int_equal(loc.col, 5);
    assert_string_equal(lex_error(f, "\"ab\ncd\"", &loc), "Syntax Error: Unterminated string.");
    assert_string_equal(lex_error(f, "\"bad \\x esc\"", &loc),
                        "Syntax Error: Invalid character escape sequence: \"\\x\".");
    assert_int_equal(loc.col, 6);
    assert_string_equal(lex_error(f, "\"bad \\u12 esc\"", NULL),
                        "Syntax Error: Invalid Unicode escape sequence: \"\\u12 esc\".");
    assert_string_equal(lex_error(f, "\"\\uD83D\"", NULL),
                        "Syntax Error: Invalid Unicode escape sequence: \"\\uD83D\".");
    assert_string_equal(lex_error(f, "\"\\uDE00x\"", NULL),
                        "Syntax Error: Invalid Unicode escape sequence: \"\\uDE00x\".");
    assert_string_equal(lex_error(f, "\"\\u{000000041}\"", NULL), /* 8 digits at most */
                        "Syntax Error: Invalid Unicode escape sequence: \"\\u{000000041\".");
    assert_string_equal(lex_error(f, "\"\\u{110000}\"", NULL),
                        "Syntax Error: Invalid Unicode escape sequence: \"\\u{110000}\".");
    assert_string_equal(lex_error(f, "\"\"\"never closed", NULL),
                        "Syntax Error: Unterminated string.");
}

static void test_block_strings(void **state)
{
    lx_fixture *f = *state;
    assert_string_equal(string_value(f, "\"\"\"\"\"\""), "");
    assert_string_equal(string_value(f, "\"\"\"simple\"\"\""), "simple");
    assert_string_equal(string_value(f, "\"\"\"contains \" quote\"\"\""), "contains \" quote");
    assert_string_equal(string_value(f, "\"\"\"escaped \\\"\"\" triple\"\"\""),
                        "escaped \"\"\" triple");
    assert_string_equal(string_value(f, "\"\"\"no \\n escapes\"\"\""), "no \\n escapes");
    /* Common indentation and blank first/last lines are removed. */
    assert_string_equal(string_value(f, "\"\"\"\n    Hello,\n      World!\n\n    Yours,\n"
                                        "      GraphQL.\n  \"\"\""),
                        "Hello,\n  World!\n\nYours,\n  GraphQL.");
    /* The first line keeps its indentation; \r\n and \r break lines. */
    assert_string_equal(string_value(f, "\"\"\"  first\r\n    second\r    third\"\"\""),
                        "  first\nsecond\nthird");
    /* Whitespace-only lines do not count towards the common indent. */
    assert_string_equal(string_value(f, "\"\"\"\n  a\n \n    b\n\"\"\""), "a\n\n  b");

    /* Lines are counted inside block strings. */
    start(f, "\"\"\"a\nb\nc\"\"\" x");
    next(f);
    gql_token t = next(f);
    assert_int_equal(t.loc.line, 3);
    assert_int_equal(t.loc.col, 6);
}

static void test_unexpected_characters(void **state)
{
    lx_fixture *f = *state;
    gql_loc loc;
    assert_string_equal(lex_error(f, "{\n  a ?", &loc),
                        "Syntax Error: Unexpected character: \"?\".");
    assert_int_equal(loc.line, 2);
    assert_int_equal(loc.col, 5);
    assert_string_equal(lex_error(f, "..", NULL), "Syntax Error: Unexpected character: \".\".");
    assert_string_equal(lex_error(f, "'x'", NULL),
                        "Syntax Error: Unexpected single quote character ('), did you mean to use "
                        "a double quote (\")?");
    /* Outside printable ASCII, characters are named by code point, as graphql-js does. */
    assert_string_equal(lex_error(f, "\xE2\x98\x83", NULL),
                        "Syntax Error: Unexpected character: U+2603.");
    assert_string_equal(lex_error(f, "a \x01", NULL),
                        "Syntax Error: Unexpected character: U+0001.");
}

static void test_token_limit(void **state)
{
    lx_fixture *f = *state;
    gql_token t;
    gql_lex_init(&f->lx, "a b c d", 7, 3, f->a, &f->err);
    memset(&f->err, 0, sizeof f->err);
    for (int i = 0; i < 3; i++)
        assert_int_equal(gql_lex_next(&f->lx, &t), HK_OK);
    assert_int_equal(gql_lex_next(&f->lx, &t), HK_EPARSE);
    assert_non_null(strstr(f->err.message, "more than 3 tokens"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_punctuators_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored_and_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unexpected_characters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
