#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"

static void assert_aligned(const void *p)
{
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
}

static void test_alignment_and_distinct(void **state)
{
    hk_arena *a = hk_arena_new(0);
    assert_non_null(a);
    assert_int_equal(hk_arena_used(a), 0);
    char *prev = NULL;
    for (size_t n = 0; n < 200; n++) {
        char *p = hk_arena_alloc(a, n);
        assert_aligned(p);
        assert_true(p != prev);
        memset(p, 0xab, n); /* ASan catches an allocation that is too small */
        prev = p;
    }
    /* Zero-byte allocations are unique too. */
    void *z1 = hk_arena_alloc(a, 0), *z2 = hk_arena_alloc(a, 0);
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
    hk_arena_free(a);
}

static void test_used_counts_rounded(void **state)
{
    hk_arena *a = hk_arena_new(0);
    assert_non_null(hk_arena_alloc(a, 1));
    assert_int_equal(hk_arena_used(a), 16);
    assert_non_null(hk_arena_alloc(a, 16));
    assert_int_equal(hk_arena_used(a), 32);
    assert_non_null(hk_arena_alloc(a, 17));
    assert_int_equal(hk_arena_used(a), 64);
    hk_arena_free(a);
}

static void test_many_blocks_keep_data(void **state)
{
    /* Enough small allocations to chain many blocks; earlier data survives. */
    hk_arena *a = hk_arena_new(0);
    enum { N = 20000 };
    static int *ptrs[N];
    for (int i = 0; i < N; i++) {
        ptrs[i] = hk_arena_alloc(a, 100);
        assert_aligned(ptrs[i]);
        *ptrs[i] = i;
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(*ptrs[i], i);
    hk_arena_free(a);
}

static void test_big_allocation(void **state)
{
    hk_arena *a = hk_arena_new(0);
    char *small1 = hk_arena_alloc(a, 32);
    char *big = hk_arena_alloc(a, 3 << 20);
    char *small2 = hk_arena_alloc(a, 32);
    assert_aligned(small1);
    assert_aligned(big);
    assert_aligned(small2);
    memset(big, 1, 3 << 20);
    /* The big block did not displace the current block. */
    assert_ptr_equal(small2, small1 + 32);
    hk_arena_free(a);
}

static void test_limit(void **state)
{
    hk_arena *a = hk_arena_new(1024);
    assert_non_null(hk_arena_alloc(a, 1000));
    assert_int_equal(hk_arena_used(a), 1008);
    assert_non_null(hk_arena_alloc(a, 16)); /* exactly at the limit */
    assert_int_equal(hk_arena_used(a), 1024);
    assert_null(hk_arena_alloc(a, 1));
    assert_null(hk_arena_alloc(a, 0));
    assert_null(hk_arena_strdup(a, "x"));
    assert_int_equal(hk_arena_used(a), 1024);
    hk_arena_free(a);

    a = hk_arena_new(1024);
    assert_null(hk_arena_alloc(a, 1025));
    assert_null(hk_arena_alloc(a, SIZE_MAX));
    assert_null(hk_arena_alloc(a, SIZE_MAX - 7));
    assert_null(hk_arena_calloc(a, SIZE_MAX / 2, 3)); /* count * size overflows */
    assert_int_equal(hk_arena_used(a), 0);
    hk_arena_free(a);

    /* An "unlimited" arena must not round a huge size down to nothing. */
    a = hk_arena_new(SIZE_MAX);
    assert_null(hk_arena_alloc(a, SIZE_MAX - 3));
    assert_int_equal(hk_arena_used(a), 0);
    hk_arena_free(a);
}

static void test_reset(void **state)
{
    hk_arena *a = hk_arena_new(64 << 10);
    char *first = hk_arena_alloc(a, 16);
    for (int i = 0; i < 50; i++) /* 25 KiB: several blocks */
        assert_non_null(hk_arena_alloc(a, 500));
    assert_non_null(hk_arena_alloc(a, 20000)); /* a big block */
    assert_null(hk_arena_alloc(a, 64 << 10));
    hk_arena_reset(a);
    assert_int_equal(hk_arena_used(a), 0);
    /* The first block is reused from its start; the limit applies afresh. */
    assert_ptr_equal(hk_arena_alloc(a, 16), first);
    assert_non_null(hk_arena_alloc(a, 60 << 10));
    hk_arena_reset(a);
    hk_arena_reset(a);
    hk_arena_free(a);
    hk_arena_reset(NULL);
    hk_arena_free(NULL);
}

static void test_strings(void **state)
{
    hk_arena *a = hk_arena_new(0);
    assert_string_equal(hk_arena_strdup(a, "hello"), "hello");
    assert_string_equal(hk_arena_strndup(a, "hello world", 5), "hello");
    assert_string_equal(hk_arena_strndup(a, "", 0), "");
    assert_null(hk_arena_strdup(a, NULL));
    assert_null(hk_arena_strndup(a, NULL, 3));
    char *s = hk_arena_sprintf(a, "%s-%d-%05.1f", "x", 42, 3.14159);
    assert_string_equal(s, "x-42-003.1");
    char long_arg[3000];
    memset(long_arg, 'y', sizeof long_arg - 1);
    long_arg[sizeof long_arg - 1] = '\0';
    s = hk_arena_sprintf(a, "[%s]", long_arg);
    assert_int_equal(strlen(s), 3001);
    assert_int_equal(s[0], '[');
    assert_int_equal(s[3000], ']');
    unsigned char *z = hk_arena_calloc(a, 10, 10);
    assert_aligned(z);
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    hk_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_distinct),
        cmocka_unit_test(test_used_counts_rounded),
        cmocka_unit_test(test_many_blocks_keep_data),
        cmocka_unit_test(test_big_allocation),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
