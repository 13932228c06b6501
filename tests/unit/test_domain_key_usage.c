/*
 * test_domain_key_usage.c - the coalescing of API keys' last use
 * (domain/key_usage.c) over a real store, on both backends (ctest's
 * unit.test_domain_key_usage and .pg). The clock is the test's: every note
 * and flush is given its time, so "a minute later" takes no minute.
 *
 * What must hold: a key's first use is written at the next flush; further
 * uses within an interval are one write, never one per use; the stored time
 * lags the last use by at most an interval; nothing is written without a
 * use; stop writes what is pending; a failed write is retried an interval
 * later; a full table drops new keys (counted) and frees keys not used for an
 * interval; a clock stepping back stalls nothing; a flush is cut into intents
 * of at most 512 keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "domain/key_usage.h"
#include "testutil.h"

#define MIN 60000
#define T0 ((int64_t)1800000000000) /* 2027-01-15, any fixed time */

static hk_key_usage *tracker(test_env *e, size_t capacity)
{
    hk_key_usage_options o = {.interval_ms = MIN, .capacity = capacity};
    hk_key_usage *u;
    hk_error err;
    assert_int_equal(hk_key_usage_new(e->store, &o, &u, &err), HK_OK);
    return u;
}

/* The stored last use of key `id` (HK_TIME_NONE: never; -1: no such key). */
static int64_t stored(test_env *e, const char *id)
{
    hk_api_key_info *keys;
    size_t n;
    hk_error err;
    hk_arena_reset(e->arena);
    assert_int_equal(hk_admin_key_list(e->store, NULL, e->arena, &keys, &n, &err), HK_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].id, id) == 0)
            return keys[i].last_used_at;
    return -1;
}

/* Flushes what is due at `now`; returns how many keys were written. */
static size_t flush_at(hk_key_usage *u, int64_t now)
{
    size_t n = 99;
    hk_error err;
    if (hk_key_usage_flush(u, now, false, &n, &err) != HK_OK)
        fail_msg("flush: %s", err.message);
    return n;
}

static uint64_t commits(test_env *e)
{
    hk_store_stats s;
    hk_store_get_stats(e->store, &s);
    return s.commits;
}

static hk_key_usage_stats stats(hk_key_usage *u)
{
    hk_key_usage_stats s;
    hk_key_usage_get_stats(u, &s);
    return s;
}

static void test_the_context_names_its_key(void **state)
{
    test_env *e = *state;
    assert_true(hk_id_is_kind(e->ctx.api_key_id, strlen(e->ctx.api_key_id), HK_ID_API_KEY));
    assert_string_not_equal(e->ctx.api_key_id, e->other.api_key_id);
    assert_true(stored(e, e->ctx.api_key_id) == HK_TIME_NONE);
}

static void test_a_first_use_is_written_at_the_next_flush(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 0);
    assert_int_equal(flush_at(u, T0), 0); /* nothing used: nothing written */
    hk_key_usage_note(u, e->ctx.api_key_id, T0 + 5);
    assert_int_equal(stats(u).pending, 1);
    assert_true(stored(e, e->ctx.api_key_id) == HK_TIME_NONE); /* noting writes nothing */
    assert_int_equal(flush_at(u, T0 + 900), 1);
    assert_true(stored(e, e->ctx.api_key_id) == T0 + 5);
    assert_true(stored(e, e->other.api_key_id) == HK_TIME_NONE);
    assert_int_equal(stats(u).pending, 0);
    hk_key_usage_free(u);
}

/* A key used every 100 ms for five minutes, flushed every second: five
 * writes, one a minute, and after each flush the stored time is less than a
 * minute (+ the tick) behind the last use. */
static void test_uses_within_a_minute_are_one_write(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 0);
    uint64_t commits_before = commits(e);
    size_t writes = 0;
    for (int64_t t = 0; t < 5 * MIN; t += 100) {
        hk_key_usage_note(u, e->ctx.api_key_id, T0 + t);
        if (t % 1000 != 900)
            continue;
        size_t n = flush_at(u, T0 + t + 50);
        writes += n;
        if (n)
            assert_true(stored(e, e->ctx.api_key_id) == T0 + t);
        assert_true(T0 + t - stored(e, e->ctx.api_key_id) < MIN + 1000);
    }
    assert_int_equal(writes, 5);
    assert_int_equal(commits(e) - commits_before, 5); /* flushes with nothing due commit nothing */
    hk_key_usage_stats s = stats(u);
    assert_int_equal(s.noted, 3000);
    assert_int_equal(s.written, 5);
    assert_int_equal(s.pending, 1); /* the uses since the last write */
    hk_key_usage_free(u);
}

static void test_each_key_has_its_own_minute(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 0);
    hk_key_usage_note(u, e->ctx.api_key_id, T0);
    assert_int_equal(flush_at(u, T0), 1);
    hk_key_usage_note(u, e->other.api_key_id, T0 + 30000);
    hk_key_usage_note(u, e->ctx.api_key_id, T0 + 30000);
    assert_int_equal(flush_at(u, T0 + 30000), 1); /* the other key's first use only */
    assert_true(stored(e, e->other.api_key_id) == T0 + 30000);
    assert_true(stored(e, e->ctx.api_key_id) == T0);
    assert_int_equal(flush_at(u, T0 + MIN), 1); /* now the first key's */
    assert_true(stored(e, e->ctx.api_key_id) == T0 + 30000);
    assert_int_equal(flush_at(u, T0 + 3 * MIN), 0); /* no use since: no write */
    hk_key_usage_free(u);
}

static void test_stop_writes_what_is_pending(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 0);
    hk_key_usage_note(u, e->ctx.api_key_id, T0);
    assert_int_equal(flush_at(u, T0), 1);
    hk_key_usage_note(u, e->ctx.api_key_id, T0 + 5000);
    hk_key_usage_note(u, e->other.api_key_id, T0 + 6000);
    assert_int_equal(flush_at(u, T0 + 6000), 1); /* the other's first use; ctx's must wait */
    hk_key_usage_note(u, e->other.api_key_id, T0 + 7000);
    hk_key_usage_stop(u);
    assert_true(stored(e, e->ctx.api_key_id) == T0 + 5000);
    assert_true(stored(e, e->other.api_key_id) == T0 + 7000);
    assert_int_equal(stats(u).pending, 0);
    hk_key_usage_free(u);
}

/* The thread's flush every second, on the real clock: a first use is stored
 * within about a second. */
static void test_the_thread_writes_a_first_use_within_a_second(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 0);
    hk_error err;
    assert_int_equal(hk_key_usage_start(u, &err), HK_OK);
    int64_t used = hk_now_ms();
    hk_key_usage_note(u, e->ctx.api_key_id, used);
    int64_t seen = HK_TIME_NONE;
    for (int i = 0; i < 100 && seen == HK_TIME_NONE; i++) {
        usleep(50 * 1000);
        seen = stored(e, e->ctx.api_key_id);
    }
    assert_true(seen == used);
    assert_true(hk_now_ms() - used < 4000); /* a tick, and room for a loaded machine */
    hk_key_usage_note(u, e->ctx.api_key_id, used + 1);
    hk_key_usage_stop(u); /* joins the thread, then writes the pending use */
    assert_true(stored(e, e->ctx.api_key_id) == used + 1);
    hk_key_usage_free(u);
}

/* A failed write is not lost, and not retried every second either. */
static void test_a_failed_write_is_retried_a_minute_later(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 0);
    hk_key_usage_note(u, e->ctx.api_key_id, T0);
    assert_int_equal(store_debug_fail_nth_write(e->store, 1), HK_OK);
    size_t n = 99;
    hk_error err;
    assert_int_equal(hk_key_usage_flush(u, T0 + 100, false, &n, &err), HK_EIO);
    assert_int_equal(n, 0);
    assert_int_equal(stats(u).failed_writes, 1);
    assert_int_equal(stats(u).pending, 1);
    assert_true(stored(e, e->ctx.api_key_id) == HK_TIME_NONE);
    assert_int_equal(flush_at(u, T0 + 1100), 0);
    assert_int_equal(flush_at(u, T0 + 100 + MIN), 1);
    assert_true(stored(e, e->ctx.api_key_id) == T0);
    hk_key_usage_free(u);
}

static void test_a_full_table_drops_new_keys_then_frees_idle_ones(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 1);
    hk_key_usage_note(u, e->ctx.api_key_id, T0);
    hk_key_usage_note(u, e->other.api_key_id, T0); /* no room */
    hk_key_usage_stats s = stats(u);
    assert_int_equal(s.dropped, 1);
    assert_int_equal(s.keys, 1);
    assert_int_equal(flush_at(u, T0), 1);
    assert_true(stored(e, e->other.api_key_id) == HK_TIME_NONE);
    hk_key_usage_note(u, e->other.api_key_id, T0 + 1000); /* ctx's entry holds its minute */
    assert_int_equal(stats(u).dropped, 2);
    assert_int_equal(flush_at(u, T0 + MIN), 0); /* unused for a minute: freed */
    assert_int_equal(stats(u).keys, 0);
    hk_key_usage_note(u, e->other.api_key_id, T0 + MIN + 1);
    assert_int_equal(flush_at(u, T0 + MIN + 2), 1);
    assert_true(stored(e, e->other.api_key_id) == T0 + MIN + 1);
    hk_key_usage_free(u);
}

/* The wall clock stepping back an hour: the key is written at once, and the
 * stored time does not go back with it. */
static void test_a_clock_stepping_back_stalls_nothing(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 0);
    hk_key_usage_note(u, e->ctx.api_key_id, T0);
    assert_int_equal(flush_at(u, T0), 1);
    int64_t back = T0 - 3600 * 1000;
    hk_key_usage_note(u, e->ctx.api_key_id, back);
    assert_int_equal(flush_at(u, back + 1000), 1);
    assert_true(stored(e, e->ctx.api_key_id) == T0);
    hk_key_usage_free(u);
}

/* Revoked since its use, unknown, empty or too long: no error, nothing recorded. */
static void test_keys_that_are_not_there(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 0);
    hk_key_usage_note(u, "", T0);
    hk_key_usage_note(u, NULL, T0);
    char too_long[HK_ID_MAX + 8];
    memset(too_long, 'k', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    hk_key_usage_note(u, too_long, T0); /* no key's id: ids fit HK_ID_MAX */
    assert_int_equal(stats(u).noted, 0);
    hk_key_usage_note(u, "apiKey_00000000000000000000000000", T0);
    hk_key_usage_note(u, e->other.api_key_id, T0);
    hk_error err;
    assert_int_equal(hk_admin_key_revoke(e->store, e->other.api_key_id, &err), HK_OK);
    assert_int_equal(flush_at(u, T0), 2);
    assert_true(stored(e, e->other.api_key_id) == -1);
    hk_key_usage_free(u);
}

/* 1,200 keys due at once go as three intents (512, 512, 176), so the writer
 * is never held for all of them in one transaction. */
static void test_a_flush_is_cut_into_intents_of_512_keys(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = tracker(e, 2000);
    char id[HK_ID_MAX];
    for (int i = 0; i < 1200; i++) {
        snprintf(id, sizeof id, "apiKey_%026d", i);
        hk_key_usage_note(u, id, T0 + i);
    }
    uint64_t before = commits(e);
    assert_int_equal(flush_at(u, T0 + 1200), 1200);
    assert_int_equal(commits(e) - before, 3);
    assert_int_equal(stats(u).pending, 0);
    hk_key_usage_free(u);
}

static void test_options_out_of_range(void **state)
{
    test_env *e = *state;
    hk_key_usage *u = (hk_key_usage *)1;
    hk_error err;
    hk_key_usage_options o = {.interval_ms = -1};
    assert_int_equal(hk_key_usage_new(e->store, &o, &u, &err), HK_EINVAL);
    assert_null(u);
    o = (hk_key_usage_options){.capacity = ((size_t)1 << 20) + 1};
    assert_int_equal(hk_key_usage_new(e->store, &o, &u, &err), HK_EINVAL);
    assert_int_equal(hk_key_usage_new(e->store, NULL, &u, &err), HK_OK);
    hk_key_usage_free(u);
    hk_key_usage_free(NULL);
    hk_key_usage_stop(NULL);
}

int main(void)
{
#define ENV_TEST(f) cmocka_unit_test_setup_teardown(f, test_env_setup, test_env_teardown)
    const struct CMUnitTest tests[] = {
        ENV_TEST(test_the_context_names_its_key),
        ENV_TEST(test_a_first_use_is_written_at_the_next_flush),
        ENV_TEST(test_uses_within_a_minute_are_one_write),
        ENV_TEST(test_each_key_has_its_own_minute),
        ENV_TEST(test_stop_writes_what_is_pending),
        ENV_TEST(test_the_thread_writes_a_first_use_within_a_second),
        ENV_TEST(test_a_failed_write_is_retried_a_minute_later),
        ENV_TEST(test_a_full_table_drops_new_keys_then_frees_idle_ones),
        ENV_TEST(test_a_clock_stepping_back_stalls_nothing),
        ENV_TEST(test_keys_that_are_not_there),
        ENV_TEST(test_a_flush_is_cut_into_intents_of_512_keys),
        ENV_TEST(test_options_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
