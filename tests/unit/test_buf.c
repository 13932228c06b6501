#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"

static void test_init_and_append(void **state)
{
    hk_buf b;
    hk_buf_init(&b, 0);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.limit, HK_BUF_DEFAULT_LIMIT);
    assert_int_equal(b.err, HK_OK);

    assert_int_equal(hk_buf_puts(&b, "hello"), HK_OK);
    assert_int_equal(hk_buf_putc(&b, ','), HK_OK);
    assert_int_equal(hk_buf_append(&b, " world!!", 6), HK_OK);
    assert_int_equal(hk_buf_append(&b, NULL, 0), HK_OK);
    assert_int_equal(b.len, 12);
    assert_string_equal(b.data, "hello, world");
    hk_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    hk_buf_free(&b); /* twice is fine */
    hk_buf_free(NULL);
}

static void test_growth(void **state)
{
    /* Many small appends across several reallocations keep every byte. */
    hk_buf b;
    hk_buf_init(&b, 0);
    for (int i = 0; i < 100000; i++)
        (void)hk_buf_putc(&b, (char)('a' + i % 26));
    assert_int_equal(b.err, HK_OK);
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.data[b.len], '\0');
    assert_true(b.cap > b.len);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(b.data[i], 'a' + i % 26);
    hk_buf_free(&b);
}

static void test_printf(void **state)
{
    hk_buf b;
    hk_buf_init(&b, 0);
    assert_int_equal(hk_buf_printf(&b, "%s=%d;", "x", -7), HK_OK);
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    /* Longer than the 256-byte stack attempt: takes the second path. */
    assert_int_equal(hk_buf_printf(&b, "[%s]", big), HK_OK);
    assert_int_equal(b.len, 5 + 1001);
    assert_memory_equal(b.data, "x=-7;[zzz", 9);
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    hk_buf_free(&b);
}

static void test_put_i64(void **state)
{
    hk_buf b;
    hk_buf_init(&b, 0);
    (void)hk_buf_put_i64(&b, 0);
    (void)hk_buf_putc(&b, ' ');
    (void)hk_buf_put_i64(&b, -42);
    (void)hk_buf_putc(&b, ' ');
    (void)hk_buf_put_i64(&b, 1697725303616);
    (void)hk_buf_putc(&b, ' ');
    (void)hk_buf_put_i64(&b, INT64_MAX);
    (void)hk_buf_putc(&b, ' ');
    (void)hk_buf_put_i64(&b, INT64_MIN);
    assert_int_equal(b.err, HK_OK);
    assert_string_equal(b.data, "0 -42 1697725303616 9223372036854775807 -9223372036854775808");
    hk_buf_free(&b);
}

static void test_limit_is_hard_and_sticky(void **state)
{
    hk_buf b;
    hk_buf_init(&b, 10);
    assert_int_equal(hk_buf_puts(&b, "12345678"), HK_OK);

    /* Over the limit: refused, content untouched, error remembered. */
    assert_int_equal(hk_buf_puts(&b, "abc"), HK_ETOOBIG);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(b.err, HK_ETOOBIG);

    assert_int_equal(hk_buf_printf(&b, "%d", 123), HK_ETOOBIG);
    assert_int_equal(hk_buf_put_i64(&b, -10), HK_ETOOBIG);
    assert_string_equal(b.data, "12345678");

    /* Exactly up to the limit still fits; one more byte does not. */
    assert_int_equal(hk_buf_putc(&b, '9'), HK_OK);
    assert_int_equal(hk_buf_putc(&b, '0'), HK_OK);
    assert_int_equal(b.len, 10);
    assert_int_equal(hk_buf_putc(&b, 'x'), HK_ETOOBIG);
    assert_string_equal(b.data, "1234567890");
    /* The first error stays, whatever came after it. */
    assert_int_equal(b.err, HK_ETOOBIG);

    assert_int_equal(hk_buf_reserve(&b, SIZE_MAX), HK_ETOOBIG);
    assert_string_equal(b.data, "1234567890");

    hk_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.err, HK_OK);
    assert_string_equal(b.data, "");
    assert_int_equal(hk_buf_puts(&b, "again"), HK_OK);
    assert_string_equal(b.data, "again");
    hk_buf_free(&b);
}

static void test_unlimited_does_not_wrap(void **state)
{
    /* With limit SIZE_MAX, len + extra + 1 must not overflow into a "fits". */
    hk_buf b;
    hk_buf_init(&b, SIZE_MAX);
    assert_int_equal(hk_buf_puts(&b, "ab"), HK_OK);
    assert_int_equal(hk_buf_reserve(&b, SIZE_MAX - 2), HK_ETOOBIG);
    assert_string_equal(b.data, "ab");
    hk_buf_free(&b);
}

static void test_steal(void **state)
{
    hk_buf b;
    size_t len = 99;
    hk_buf_init(&b, 0);
    char *s = hk_buf_steal(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);

    (void)hk_buf_puts(&b, "payload");
    s = hk_buf_steal(&b, &len);
    assert_string_equal(s, "payload");
    assert_int_equal(len, 7);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* Still usable afterwards, and independent of the stolen memory. */
    (void)hk_buf_puts(&b, "next");
    assert_string_equal(b.data, "next");
    assert_string_equal(s, "payload");
    free(s);
    hk_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_append),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_put_i64),
        cmocka_unit_test(test_limit_is_hard_and_sticky),
        cmocka_unit_test(test_unlimited_does_not_wrap),
        cmocka_unit_test(test_steal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
