#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "core/clock.h"
#include "core/ids.h"

#define LOOP_IDS 100000
#define THREAD_IDS 50000

static const char *ulid_of(const char *id)
{
    return strchr(id, '_') + 1;
}

/* Runs first: the generator is process-wide monotonic, so fixed times must
 * come before any id made at the current time. */
static void test_known_time_prefix(void **state)
{
    char id[HK_ID_MAX];
    assert_int_equal(hk_id_new_at(HK_ID_CUSTOMER, 1469918176385, id), HK_OK);
    assert_int_equal(strlen(id), 2 + HK_ULID_LEN);
    assert_memory_equal(id, "c_01ARYZ6S41", 12);
    assert_int_equal(hk_id_time_ms(id, strlen(id)), 1469918176385);

    assert_int_equal(hk_id_new_at(HK_ID_EVENT, 1697725303616, id), HK_OK);
    assert_memory_equal(id, "pEv_01HD450JT0", 14);
    assert_int_equal(hk_id_time_ms(id, strlen(id)), 1697725303616);
}

/* The last 16 characters are exactly the 80 random bits: split them into a
 * high 20-bit and a low 60-bit number. */
static void random_part(const char *ulid, uint64_t *hi, uint64_t *lo)
{
    static const char alpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    *hi = *lo = 0;
    for (int i = 10; i < 14; i++)
        *hi = *hi << 5 | (uint64_t)(strchr(alpha, ulid[i]) - alpha);
    for (int i = 14; i < 26; i++)
        *lo = *lo << 5 | (uint64_t)(strchr(alpha, ulid[i]) - alpha);
}

static void test_same_ms_increments_by_one(void **state)
{
    char a[HK_ID_MAX], b[HK_ID_MAX];
    assert_int_equal(hk_id_new_at(HK_ID_USER, 1697725303617, a), HK_OK);
    assert_int_equal(hk_id_new_at(HK_ID_USER, 1697725303617, b), HK_OK);
    const char *ua = ulid_of(a), *ub = ulid_of(b);
    assert_memory_equal(ua, ub, 10);
    uint64_t ahi, alo, bhi, blo;
    random_part(ua, &ahi, &alo);
    random_part(ub, &bhi, &blo);
    const uint64_t lo_max = (UINT64_C(1) << 60) - 1;
    assert_int_equal(bhi, alo == lo_max ? ahi + 1 : ahi);
    assert_int_equal(blo, alo == lo_max ? 0 : alo + 1);

    /* An earlier time must not go backwards. */
    char c[HK_ID_MAX];
    assert_int_equal(hk_id_new_at(HK_ID_USER, 1000, c), HK_OK);
    assert_true(strcmp(ulid_of(c), ub) > 0);
    assert_int_equal(hk_id_time_ms(c, strlen(c)), 1697725303617);
}

static void test_prefixes(void **state)
{
    static const char *const want[HK_ID_KIND_COUNT] = {
        "w", "c", "cg", "u", "mu", "pEv", "whTarget", "whAttempt", "apiKey", "whDelivery",
    };
    for (int k = 0; k < HK_ID_KIND_COUNT; k++) {
        char id[HK_ID_MAX];
        assert_string_equal(hk_id_prefix((hk_id_kind)k), want[k]);
        assert_int_equal(hk_id_new((hk_id_kind)k, id), HK_OK);
        size_t n = strlen(id);
        assert_int_equal(n, strlen(want[k]) + 1 + HK_ULID_LEN);
        assert_true(n < HK_ID_MAX);
        assert_memory_equal(id, want[k], strlen(want[k]));
        assert_int_equal(id[strlen(want[k])], '_');
        assert_true(hk_id_is_valid(id, n));
        for (int j = 0; j < HK_ID_KIND_COUNT; j++)
            assert_int_equal(hk_id_is_kind(id, n, (hk_id_kind)j), j == k);
    }
    char id[HK_ID_MAX];
    assert_int_equal(hk_id_new_at(HK_ID_KIND_COUNT, 1, id), HK_EINVAL);
    assert_int_equal(hk_id_new_at(HK_ID_WORKSPACE, UINT64_C(1) << 48, id), HK_EINVAL);
}

static void test_time_of_new_id(void **state)
{
    char id[HK_ID_MAX];
    int64_t before = hk_now_ms();
    assert_int_equal(hk_id_new(HK_ID_WORKSPACE, id), HK_OK);
    int64_t after = hk_now_ms();
    uint64_t t = hk_id_time_ms(id, strlen(id));
    assert_true(t >= (uint64_t)before - 1000); /* allowed: earlier ids may push it ahead */
    assert_true(t <= (uint64_t)after + 1000);
}

static void valid(const char *s, bool want)
{
    if (hk_id_is_valid(s, strlen(s)) != want)
        fail_msg("hk_id_is_valid(\"%s\") != %d", s, want);
}

static void test_validation(void **state)
{
    valid("c_01ARYZ6S41TSV4RRFFQ69G5FAV", true);
    valid("whDelivery_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", true);
    valid("Abc_00000000000000000000000000", true);
    valid("c_01ARYZ6S41TSV4RRFFQ69G5FA", false);   /* 25 chars */
    valid("c_01ARYZ6S41TSV4RRFFQ69G5FAVV", false); /* 27 chars */
    valid("c_01arYZ6S41TSV4RRFFQ69G5FAV", false);  /* lower case */
    valid("c_01ARYZ6S41TSV4RRFFQ69G5FAI", false);  /* I */
    valid("c_01ARYZ6S41TSV4RRFFQ69G5FAL", false);  /* L */
    valid("c_01ARYZ6S41TSV4RRFFQ69G5FAO", false);  /* O */
    valid("c_01ARYZ6S41TSV4RRFFQ69G5FAU", false);  /* U */
    valid("c_81ARYZ6S41TSV4RRFFQ69G5FAV", false);  /* time beyond 48 bits */
    valid("_01ARYZ6S41TSV4RRFFQ69G5FAV", false);   /* empty prefix */
    valid("01ARYZ6S41TSV4RRFFQ69G5FAV", false);
    valid("c1_01ARYZ6S41TSV4RRFFQ69G5FAV", false); /* digit in prefix */
    valid("c-01ARYZ6S41TSV4RRFFQ69G5FAV", false);
    valid("c__01ARYZ6S41TSV4RRFFQ69G5FA", false);
    valid("", false);
    assert_false(hk_id_is_valid(NULL, 0));
    /* Embedded NUL inside the given length. */
    assert_false(hk_id_is_valid("c_01ARYZ6S41TSV4RRFFQ69G5FA\0", 29));
    /* Length bounds the check: a valid id followed by junk. */
    const char *s = "c_01ARYZ6S41TSV4RRFFQ69G5FAVxyz";
    assert_true(hk_id_is_valid(s, 28));
    assert_false(hk_id_is_valid(s, 29));

    assert_true(hk_id_is_kind("cg_01ARYZ6S41TSV4RRFFQ69G5FAV", 29, HK_ID_CUSTOMER_GROUP));
    assert_false(hk_id_is_kind("cg_01ARYZ6S41TSV4RRFFQ69G5FAV", 29, HK_ID_CUSTOMER));
    assert_false(hk_id_is_kind("CG_01ARYZ6S41TSV4RRFFQ69G5FAV", 29, HK_ID_CUSTOMER_GROUP));
    assert_false(hk_id_is_kind("c_01ARYZ6S41TSV4RRFFQ69G5FAV", 28, HK_ID_KIND_COUNT));

    assert_int_equal(hk_id_time_ms("c_01ARYZ6S41TSV4RRFFQ69G5FAV", 28), 1469918176385);
    assert_int_equal(hk_id_time_ms("c_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 28), (UINT64_C(1) << 48) - 1);
    assert_int_equal(hk_id_time_ms("c_81ARYZ6S41TSV4RRFFQ69G5FAV", 28), 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_monotonic_loop(void **state)
{
    char prev[HK_ID_MAX], cur[HK_ID_MAX];
    assert_int_equal(hk_id_new(HK_ID_EVENT, prev), HK_OK);
    for (int i = 0; i < LOOP_IDS; i++) {
        assert_int_equal(hk_id_new(HK_ID_EVENT, cur), HK_OK);
        if (strcmp(cur, prev) <= 0)
            fail_msg("not increasing at %d: %s then %s", i, prev, cur);
        memcpy(prev, cur, sizeof cur);
    }
}

typedef struct {
    char (*ids)[HK_ID_MAX];
    int n;
    int ok;
} thread_job;

static void *make_ids(void *arg)
{
    thread_job *job = arg;
    job->ok = 1;
    for (int i = 0; i < job->n; i++) {
        if (hk_id_new(HK_ID_ATTEMPT, job->ids[i]) != HK_OK ||
            (i > 0 && strcmp(job->ids[i], job->ids[i - 1]) <= 0))
            job->ok = 0;
    }
    return NULL;
}

static void test_monotonic_threads(void **state)
{
    char(*ids)[HK_ID_MAX] = calloc(2 * THREAD_IDS, HK_ID_MAX);
    char **sorted = calloc(2 * THREAD_IDS, sizeof *sorted);
    assert_non_null(ids);
    assert_non_null(sorted);
    thread_job jobs[2] = {{ids, THREAD_IDS, 0}, {ids + THREAD_IDS, THREAD_IDS, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, make_ids, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_true(jobs[0].ok);
    assert_true(jobs[1].ok);
    for (int i = 0; i < 2 * THREAD_IDS; i++)
        sorted[i] = ids[i];
    qsort(sorted, 2 * THREAD_IDS, sizeof *sorted, cmp_str);
    for (int i = 1; i < 2 * THREAD_IDS; i++) {
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            fail_msg("duplicate id %s", sorted[i]);
    }
    free(sorted);
    free(ids);
}

static void test_random_bytes(void **state)
{
    unsigned char a[32] = {0}, b[32] = {0}, zero[32] = {0};
    assert_int_equal(hk_random_bytes(a, sizeof a), HK_OK);
    assert_int_equal(hk_random_bytes(b, sizeof b), HK_OK);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(hk_random_bytes(a, 0), HK_OK);
}

/* Last: it leaves the generator at the largest time. */
static void test_max_time(void **state)
{
    char id[HK_ID_MAX];
    assert_int_equal(hk_id_new_at(HK_ID_WORKSPACE, (UINT64_C(1) << 48) - 1, id), HK_OK);
    assert_memory_equal(id, "w_7ZZZZZZZZZ", 12);
    assert_true(hk_id_is_valid(id, strlen(id)));
}

/* The floor at a time sorts after every id made before it and not after any made then. */
static void test_floor_at(void **state)
{
    (void)state;
    char floor[HK_ID_MAX], before[HK_ID_MAX], at[HK_ID_MAX], after[HK_ID_MAX];
    uint64_t t = UINT64_C(1700000000000);
    assert_int_equal(hk_id_floor_at(HK_ID_EVENT, t, floor), HK_OK);
    assert_true(hk_id_is_kind(floor, strlen(floor), HK_ID_EVENT));
    assert_true(hk_id_time_ms(floor, strlen(floor)) == t);
    assert_string_equal(floor + strlen(floor) - 16, "0000000000000000");
    assert_int_equal(hk_id_floor_at(HK_ID_EVENT, t - 1, before), HK_OK);
    assert_true(strcmp(before, floor) < 0);
    /* the largest random part at t - 1 still sorts before; at t it sorts after */
    size_t n = strlen(before);
    memset(before + n - 16, 'Z', 16);
    assert_true(hk_id_is_valid(before, n));
    assert_true(strcmp(before, floor) < 0);
    memcpy(at, floor, n + 1);
    at[n - 1] = '1';
    assert_true(strcmp(at, floor) > 0);
    assert_int_equal(hk_id_floor_at(HK_ID_EVENT, t + 1, after), HK_OK);
    memset(at + n - 16, 'Z', 16);
    assert_true(strcmp(at, after) < 0);
    assert_int_equal(hk_id_floor_at(HK_ID_EVENT, UINT64_C(1) << 48, floor), HK_EINVAL);
    assert_string_equal(floor, "");
    assert_int_equal(hk_id_floor_at(HK_ID_KIND_COUNT, t, floor), HK_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_time_prefix), cmocka_unit_test(test_same_ms_increments_by_one),
        cmocka_unit_test(test_prefixes),          cmocka_unit_test(test_time_of_new_id),
        cmocka_unit_test(test_validation),        cmocka_unit_test(test_monotonic_loop),
        cmocka_unit_test(test_monotonic_threads), cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_max_time),          cmocka_unit_test(test_floor_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
