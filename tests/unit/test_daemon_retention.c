/*
 * test_daemon_retention.c - the retention thread: it deletes what is older
 * than its period in rounds, counts what it deleted, keeps what is younger
 * and what is pending, refuses periods out of range, and stops promptly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "daemon/retention.h"
#include "domain/deliveries.h"
#include "testutil.h"

static void make_event(test_env *e, const char *email)
{
    hk_upsert_customer_input in = test_by_email(email, "R");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(hk_customer_upsert(&e->ctx, &in, e->arena, &r, &c, &err), HK_OK);
}

/* Claims every due delivery and records it succeeded. */
static void deliver_all(test_env *e)
{
    hk_delivery *ds;
    size_t n;
    int64_t next_due;
    hk_error err;
    assert_int_equal(
        hk_delivery_claim(e->store, hk_now_ms(), 60000, 100, e->arena, &ds, &n, &next_due, &err),
        HK_OK);
    for (size_t i = 0; i < n; i++) {
        hk_delivery_result res = {.delivery = &ds[i], .succeeded = true};
        res.attempt.number = 1;
        res.attempt.started_at = hk_now_ms();
        res.attempt.status_code = 200;
        assert_int_equal(hk_id_new(HK_ID_ATTEMPT, res.attempt.attempt_id), HK_OK);
        assert_int_equal(hk_delivery_record(e->store, &res, 1, NULL, NULL, &err), HK_OK);
    }
}

static void test_rounds_delete_old_events(void **state)
{
    test_env *e = *state;
    const char *all[] = {"customer.customer_created"};
    hk_target_input tin = {.url = "https://example.com/hook",
                           .description = "r",
                           .is_enabled = true,
                           .n_event_types = 1,
                           .event_types = all};
    hk_webhook_target t;
    hk_error err;
    assert_int_equal(hk_target_create(&e->ctx, &tin, e->arena, &t, &err), HK_OK);
    make_event(e, "old1@example.com");
    make_event(e, "old2@example.com");
    deliver_all(e);

    /* younger than an hour: rounds keep them */
    hk_retention *r;
    assert_int_equal(hk_retention_start(e->store, 3600 * 1000, &r, &err), HK_OK);
    usleep(300 * 1000);
    hk_retention_stats st;
    hk_retention_get_stats(r, &st);
    assert_int_equal(st.keep_ms, 3600 * 1000);
    assert_int_equal(st.events + st.deliveries + st.attempts + st.errors, 0);
    hk_retention_stop(r);

    assert_int_equal(hk_retention_start(e->store, 1000, &r, &err), HK_OK);
    /* a delivery still pending keeps its event, and the later ones, past the period */
    make_event(e, "pending@example.com");
    int64_t deadline = hk_mono_ms() + 10000;
    do {
        usleep(50 * 1000);
        hk_retention_get_stats(r, &st);
    } while (st.events < 2 && hk_mono_ms() < deadline);
    assert_int_equal(st.events, 2);
    assert_int_equal(st.deliveries, 2);
    assert_int_equal(st.attempts, 2);
    assert_int_equal(st.errors, 0);
    usleep(1500 * 1000); /* the pending one is old now, and stays */
    hk_retention_get_stats(r, &st);
    assert_int_equal(st.events, 2);
    int64_t before = hk_mono_ms();
    hk_retention_stop(r);
    assert_true(hk_mono_ms() - before < 1000); /* rounds are 100 ms apart: stop wakes it */
    hk_retention_stop(NULL);
}

static void test_period_out_of_range(void **state)
{
    test_env *e = *state;
    hk_retention *r = (hk_retention *)1;
    hk_error err;
    assert_int_equal(hk_retention_start(e->store, 999, &r, &err), HK_EINVAL);
    assert_null(r);
    assert_int_equal(hk_retention_start(e->store, HK_RETENTION_MAX_MS + 1, &r, &err), HK_EINVAL);
    assert_non_null(strstr(err.message, "1s to 3650d"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rounds_delete_old_events, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_period_out_of_range, test_env_setup,
                                        test_env_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
