#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"

static void ok(const char *s)
{
    if (!hk_utf8_valid(s, strlen(s)))
        fail_msg("rejected valid \"%s\"", s);
}

static void bad(const char *s, size_t n)
{
    if (hk_utf8_valid(s, n))
        fail_msg("accepted invalid sequence of %zu bytes", n);
}

#define BAD(lit) bad(lit, sizeof(lit) - 1)

static void test_valid(void **state)
{
    ok("");
    ok("hello, world");
    ok("caf\xc3\xa9");                          /* é U+00E9 */
    ok("\xc2\x80");                             /* U+0080, smallest 2-byte */
    ok("\xdf\xbf");                             /* U+07FF */
    ok("\xe0\xa0\x80");                         /* U+0800, smallest 3-byte */
    ok("\xe2\x82\xac");                         /* € U+20AC */
    ok("\xed\x9f\xbf");                         /* U+D7FF, just below the surrogates */
    ok("\xee\x80\x80");                         /* U+E000, just above */
    ok("\xef\xbf\xbf");                         /* U+FFFF */
    ok("\xf0\x90\x80\x80");                     /* U+10000, smallest 4-byte */
    ok("\xf0\x9f\x98\x80");                     /* 😀 */
    ok("\xf4\x8f\xbf\xbf");                     /* U+10FFFF, the largest */
    ok("\x7f\x01\x1f");                         /* controls other than NUL are allowed */
    ok("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"); /* 日本語 */
}

static void test_invalid(void **state)
{
    bad("a\0b", 3); /* NUL */
    BAD("\0");
    BAD("\x80"); /* lone continuation */
    BAD("\xbf");
    BAD("\xc3"); /* truncated */
    BAD("\xe2\x82");
    BAD("\xf0\x9f\x98");
    BAD("\xc3\x28"); /* bad continuation */
    BAD("\xe2\x28\xa1");
    BAD("\xe2\x82\x28");
    BAD("\xf0\x9f\x28\x80");
    BAD("\xf0\x9f\x98\x28");
    BAD("\xc0\xaf");     /* overlong '/' */
    BAD("\xc1\xbf");     /* overlong U+007F */
    BAD("\xc0\x80");     /* overlong NUL (modified UTF-8) */
    BAD("\xe0\x80\xaf"); /* overlong 3-byte */
    BAD("\xe0\x9f\xbf"); /* overlong U+07FF */
    BAD("\xf0\x80\x80\xaf");
    BAD("\xf0\x8f\xbf\xbf");         /* overlong U+FFFF */
    BAD("\xed\xa0\x80");             /* U+D800 surrogate */
    BAD("\xed\xbf\xbf");             /* U+DFFF */
    BAD("\xed\xa0\xbd\xed\xb8\x80"); /* CESU-8 surrogate pair */
    BAD("\xf4\x90\x80\x80");         /* U+110000 */
    BAD("\xf5\x80\x80\x80");
    BAD("\xf8\x88\x80\x80\x80"); /* 5-byte form */
    BAD("\xfe");
    BAD("\xff");
    BAD("abc\xe2\x82"); /* truncated at the end */
    /* The length bounds the check: a sequence cut by n is invalid. */
    bad("\xc3\xa9", 1);
}

static void test_count(void **state)
{
    assert_int_equal(hk_utf8_count("", 0), 0);
    assert_int_equal(hk_utf8_count("abc", 3), 3);
    assert_int_equal(hk_utf8_count("caf\xc3\xa9", 5), 4);
    assert_int_equal(hk_utf8_count("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9), 3);
    assert_int_equal(hk_utf8_count("\xf0\x9f\x98\x80x", 5), 2);
    /* 500 characters of 4 bytes each: 2000 bytes but within a 500 limit. */
    char s[2000];
    for (int i = 0; i < 500; i++)
        memcpy(s + 4 * i, "\xf0\x9f\x98\x80", 4);
    assert_true(hk_utf8_valid(s, sizeof s));
    assert_int_equal(hk_utf8_count(s, sizeof s), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
