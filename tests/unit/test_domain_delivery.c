/*
 * test_domain_delivery.c - delivery isolation in the domain and the store
 * (issue 14): claims per target, the scan of targets with pending deliveries,
 * the commit hook naming targets, ordered delivery per customer, delivery
 * settings, and targets disabled for failing too long. The store conformance
 * for these rules: a second backend must pass it too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/log.h"
#include "domain/deliveries.h"
#include "testutil.h"

static int setup(void **state)
{
    test_env *e = test_env_new();
    *state = e;
    return e ? 0 : -1;
}

static int teardown(void **state)
{
    test_env_free(*state);
    return 0;
}

static void make_target(test_env *e, const hk_ctx *ctx, hk_webhook_target *t)
{
    const char *events[] = {"customer.customer_created", "customer.customer_updated"};
    hk_target_input in = {
        .url = "https://example.com/hook",
        .description = "test",
        .is_enabled = true,
        .n_event_types = 2,
        .event_types = events,
    };
    hk_error err;
    assert_int_equal(hk_target_create(ctx, &in, e->arena, t, &err), HK_OK);
}

static void customer(test_env *e, const hk_ctx *ctx, const char *email, const char *name,
                     hk_customer *c)
{
    hk_upsert_customer_input in = {
        .identifier_kind = HK_CUSTOMER_BY_EMAIL,
        .identifier = email,
        .on_create = {.full_name = name, .email = email},
        .on_update = {.full_name = {.set = true, .value = name}},
    };
    hk_upsert_result r;
    hk_error err;
    assert_int_equal(hk_customer_upsert(ctx, &in, e->arena, &r, c, &err), HK_OK);
}

static hk_claim_want want(const hk_webhook_target *t, size_t max)
{
    hk_claim_want w = {.max = max};
    snprintf(w.workspace_id, sizeof w.workspace_id, "%s", t->workspace_id);
    snprintf(w.target_id, sizeof w.target_id, "%s", t->id);
    return w;
}

static hk_delivery_result result(const hk_delivery *d, bool ok, int64_t retry_at)
{
    hk_delivery_result r = {.delivery = d, .succeeded = ok, .retry_at = retry_at};
    r.attempt.number = d->attempts + 1;
    r.attempt.started_at = hk_now_ms();
    r.attempt.duration_ms = 2;
    r.attempt.status_code = ok ? 200 : 503;
    r.attempt.error = ok ? NULL : "HTTP 503";
    if (hk_id_new(HK_ID_ATTEMPT, r.attempt.attempt_id))
        fail();
    return r;
}

static void record(test_env *e, const hk_delivery_result *r, const hk_record_policy *p,
                   size_t *disabled)
{
    hk_error err;
    assert_int_equal(hk_delivery_record(e->store, r, 1, p, disabled, &err), HK_OK);
}

/* ---- per-target claims ---- */

/* A claim takes only from the targets it names, at most what each asks; the
 * others' deliveries stay due for their own claims, whatever the backlogs. */
static void test_claims_are_per_target(void **state)
{
    test_env *e = *state;
    hk_webhook_target slow, fast;
    make_target(e, &e->ctx, &slow);
    make_target(e, &e->ctx, &fast);
    hk_customer c;
    for (int i = 0; i < 30; i++) {
        char email[64];
        snprintf(email, sizeof email, "c%d@example.com", i);
        customer(e, &e->ctx, email, "C", &c);
    }
    int64_t now = hk_now_ms();
    hk_claim_want w[1] = {want(&slow, 4)};
    hk_error err;
    assert_int_equal(hk_delivery_claim_targets(e->store, now, 60000, w, 1, e->arena, &err), HK_OK);
    assert_int_equal(w[0].n, 4);
    for (size_t i = 0; i < w[0].n; i++)
        assert_string_equal(w[0].rows[i].target_id, slow.id);
    assert_true(w[0].next_due <= now); /* 26 more are due */

    /* The scan sees both targets, each with its own earliest due time. */
    hk_due_target *due;
    size_t n;
    assert_int_equal(hk_delivery_due_targets(e->store, "", "", 10, e->arena, &due, &n, &err),
                     HK_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(due[i].workspace_id, e->ctx.workspace_id);
        assert_true(due[i].next_due <= now);
    }
    /* ... and pages: one after the other. */
    hk_due_target *rest;
    assert_int_equal(hk_delivery_due_targets(e->store, due[0].workspace_id, due[0].target_id, 10,
                                             e->arena, &rest, &n, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rest[0].target_id, due[1].target_id);

    /* Both at once: each as asked; the fast one's 30, then nothing left. */
    hk_claim_want two[2] = {want(&slow, 100), want(&fast, 100)};
    assert_int_equal(hk_delivery_claim_targets(e->store, now, 60000, two, 2, e->arena, &err),
                     HK_OK);
    assert_int_equal(two[0].n, 26);
    assert_int_equal(two[1].n, 30);
    assert_int_equal(two[0].next_due, now + 60000); /* only leases are left: their end */
    assert_int_equal(two[1].next_due, now + 60000);

    /* A target that is asked for nothing it has: none, and no due time. */
    hk_webhook_target empty;
    make_target(e, &e->other, &empty);
    hk_claim_want none[1] = {want(&empty, 5)};
    assert_int_equal(hk_delivery_claim_targets(e->store, now, 60000, none, 1, e->arena, &err),
                     HK_OK);
    assert_int_equal(none[0].n, 0);
    assert_true(none[0].next_due == HK_TIME_NONE);

    hk_claim_want bad[1] = {want(&empty, 0)};
    assert_int_equal(hk_delivery_claim_targets(e->store, now, 60000, bad, 1, e->arena, &err),
                     HK_EINVAL);
}

/* ---- the commit hook names the targets ---- */

static size_t hooked_n, hooked_any;
static char hooked[8][HK_ID_MAX];

static void hook(void *arg, const hk_due_target *due, size_t n, bool any)
{
    (void)arg;
    for (size_t i = 0; i < n && hooked_n < 8; i++)
        snprintf(hooked[hooked_n++], HK_ID_MAX, "%s", due[i].target_id);
    hooked_any += any;
}

static bool hooked_has(const char *id)
{
    for (size_t i = 0; i < hooked_n; i++)
        if (strcmp(hooked[i], id) == 0)
            return true;
    return false;
}

static void test_commit_hook_names_targets(void **state)
{
    test_env *e = *state;
    hk_webhook_target a, b;
    make_target(e, &e->ctx, &a);
    make_target(e, &e->ctx, &b);
    hooked_n = hooked_any = 0;
    hk_store_set_commit_hook(e->store, hook, NULL);
    hk_customer c;
    customer(e, &e->ctx, "hook@example.com", "H", &c);
    hk_store_set_commit_hook(e->store, NULL, NULL);
    assert_int_equal(hooked_n, 2); /* one entry per target, however many events */
    assert_true(hooked_has(a.id));
    assert_true(hooked_has(b.id));
    assert_int_equal(hooked_any, 0);
}

/* ---- ordered by customer ---- */

static void set_ordered(test_env *e, const hk_webhook_target *t, bool on)
{
    hk_target_delivery_input in = {
        .webhook_target_id = t->id, .ordered_by_customer_set = true, .ordered_by_customer = on};
    hk_webhook_target out;
    hk_error err;
    assert_int_equal(hk_target_update_delivery(&e->ctx, &in, e->arena, &out, &err), HK_OK);
    assert_true(out.ordered_by_customer == on);
}

static size_t claim_all(test_env *e, const hk_webhook_target *t, int64_t now, hk_delivery **rows)
{
    hk_claim_want w[1] = {want(t, 100)};
    hk_error err;
    assert_int_equal(hk_delivery_claim_targets(e->store, now, 60000, w, 1, e->arena, &err), HK_OK);
    *rows = w[0].rows;
    return w[0].n;
}

/* Per customer, one delivery at a time, in commit order: the next waits
 * until the one before succeeded or failed for good (a retry holds it);
 * other customers are not held; turning ordering off lets the rest go. */
static void test_ordered_by_customer(void **state)
{
    test_env *e = *state;
    hk_webhook_target t, plain;
    make_target(e, &e->ctx, &t);
    make_target(e, &e->ctx, &plain);
    set_ordered(e, &t, true);
    hk_customer x, y;
    customer(e, &e->ctx, "x@example.com", "X1", &x); /* created */
    customer(e, &e->ctx, "x@example.com", "X2", &x); /* updated */
    customer(e, &e->ctx, "x@example.com", "X3", &x); /* updated */
    customer(e, &e->ctx, "y@example.com", "Y1", &y);

    int64_t now = hk_now_ms();
    hk_delivery *rows;
    /* The unordered target gets all four at once. */
    assert_int_equal(claim_all(e, &plain, now, &rows), 4);
    /* The ordered one: X's first and Y's only. */
    size_t n = claim_all(e, &t, now, &rows);
    assert_int_equal(n, 2);
    hk_delivery x1 = strcmp(rows[0].customer_id, x.id) == 0 ? rows[0] : rows[1];
    hk_delivery y1 = strcmp(rows[0].customer_id, y.id) == 0 ? rows[0] : rows[1];
    assert_string_equal(x1.customer_id, x.id);
    assert_string_equal(y1.customer_id, y.id);

    /* The list shows X's next two waiting, with no due time. */
    hk_delivery_filter pending = {HK_DELIVERY_PENDING};
    hk_page_request pg = {.first = -1, .last = -1};
    hk_page_info info;
    hk_delivery *list;
    size_t ln;
    hk_error err;
    assert_int_equal(
        hk_delivery_list(&e->ctx, t.id, &pending, &pg, e->arena, &list, &ln, &info, &err), HK_OK);
    assert_int_equal(ln, 4);
    size_t waiting = 0;
    for (size_t i = 0; i < ln; i++)
        waiting += list[i].next_attempt_at == HK_TIME_NONE;
    assert_int_equal(waiting, 2);

    /* X's first fails with a retry: X's second still waits. */
    hk_delivery_result r = result(&x1, false, now + 10);
    record(e, &r, NULL, NULL);
    assert_int_equal(claim_all(e, &t, now + 20, &rows), 1);
    assert_string_equal(rows[0].event_id, x1.event_id);
    hk_delivery x1b = rows[0];
    /* ... then succeeds: X's second goes, the third still waits. */
    hooked_n = 0;
    hk_store_set_commit_hook(e->store, hook, NULL);
    r = result(&x1b, true, HK_TIME_NONE);
    record(e, &r, NULL, NULL);
    hk_store_set_commit_hook(e->store, NULL, NULL);
    assert_true(hooked_has(t.id)); /* the dispatcher is told */
    n = claim_all(e, &t, hk_now_ms(), &rows);
    assert_int_equal(n, 1);
    assert_true(strcmp(rows[0].event_id, x1.event_id) > 0);
    hk_delivery x2 = rows[0];
    /* Failing for good lets the next go too. */
    r = result(&x2, false, HK_TIME_NONE);
    record(e, &r, NULL, NULL);
    n = claim_all(e, &t, hk_now_ms(), &rows);
    assert_int_equal(n, 1);
    assert_true(strcmp(rows[0].event_id, x2.event_id) > 0);

    /* New events while one is in flight wait; turning ordering off lets them go. */
    customer(e, &e->ctx, "x@example.com", "X4", &x);
    customer(e, &e->ctx, "x@example.com", "X5", &x);
    assert_int_equal(claim_all(e, &t, hk_now_ms(), &rows), 0);
    set_ordered(e, &t, false);
    assert_int_equal(claim_all(e, &t, hk_now_ms(), &rows), 2);
}

/* Settings: validated, kept when absent, cap removed by null. */
static void test_delivery_settings(void **state)
{
    test_env *e = *state;
    hk_webhook_target t, out;
    make_target(e, &e->ctx, &t);
    assert_false(t.ordered_by_customer);
    assert_int_equal(t.max_requests_per_second, 0);
    assert_true(t.failing_since == HK_TIME_NONE && t.auto_disabled_at == HK_TIME_NONE);
    hk_error err;
    hk_target_delivery_input in = {.webhook_target_id = t.id,
                                   .max_requests_per_second_set = true,
                                   .max_requests_per_second = 25};
    assert_int_equal(hk_target_update_delivery(&e->ctx, &in, e->arena, &out, &err), HK_OK);
    assert_int_equal(out.max_requests_per_second, 25);
    in = (hk_target_delivery_input){
        .webhook_target_id = t.id, .ordered_by_customer_set = true, .ordered_by_customer = true};
    assert_int_equal(hk_target_update_delivery(&e->ctx, &in, e->arena, &out, &err), HK_OK);
    assert_int_equal(out.max_requests_per_second, 25); /* kept */
    bool found;
    assert_int_equal(hk_target_get(&e->ctx, t.id, e->arena, &out, &found, &err), HK_OK);
    assert_true(out.ordered_by_customer);
    assert_int_equal(out.max_requests_per_second, 25);

    for (int64_t bad = 0; bad <= 1; bad++) {
        in = (hk_target_delivery_input){.webhook_target_id = t.id,
                                        .max_requests_per_second_set = true,
                                        .max_requests_per_second = bad ? HK_TARGET_MAX_RPS + 1 : 0};
        assert_int_equal(hk_target_update_delivery(&e->ctx, &in, e->arena, &out, &err), HK_EINVAL);
        assert_string_equal(err.fields[0].field, "maxRequestsPerSecond");
    }
    in = (hk_target_delivery_input){.webhook_target_id = t.id,
                                    .max_requests_per_second_set = true,
                                    .max_requests_per_second_null = true};
    assert_int_equal(hk_target_update_delivery(&e->ctx, &in, e->arena, &out, &err), HK_OK);
    assert_int_equal(out.max_requests_per_second, 0);
    assert_true(out.ordered_by_customer);

    /* Another workspace's target: not found; without webhookTarget:edit: forbidden. */
    assert_int_equal(hk_target_update_delivery(&e->other, &in, e->arena, &out, &err), HK_ENOTFOUND);
    hk_ctx ro = e->ctx;
    ro.permissions = HK_PERM_WEBHOOK_TARGET_READ;
    assert_int_equal(hk_target_update_delivery(&ro, &in, e->arena, &out, &err), HK_EFORBIDDEN);
}

/* ---- disabled for failing too long ---- */

static void test_target_disabled_after_failing_too_long(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, &t);
    hk_customer c;
    customer(e, &e->ctx, "f1@example.com", "F", &c);
    customer(e, &e->ctx, "f2@example.com", "F", &c);
    hk_record_policy policy = {.disable_after_ms = 200};
    hk_delivery *rows;
    assert_int_equal(claim_all(e, &t, hk_now_ms(), &rows), 2);
    hk_delivery d1 = rows[0], d2 = rows[1];

    /* A failure starts the clock; a success stops it. */
    size_t disabled = 9;
    hk_delivery_result r = result(&d1, false, hk_now_ms() + 60000);
    int64_t first_failure = r.attempt.started_at;
    record(e, &r, &policy, &disabled);
    assert_int_equal(disabled, 0);
    hk_webhook_target got;
    bool found;
    hk_error err;
    assert_int_equal(hk_target_get(&e->ctx, t.id, e->arena, &got, &found, &err), HK_OK);
    assert_int_equal(got.failing_since, first_failure);
    assert_true(got.is_enabled);
    r = result(&d2, true, HK_TIME_NONE);
    record(e, &r, &policy, &disabled);
    assert_int_equal(hk_target_get(&e->ctx, t.id, e->arena, &got, &found, &err), HK_OK);
    assert_true(got.failing_since == HK_TIME_NONE);

    /* Failing again, for longer than allowed: disabled, its pending delivery failed. */
    r = result(&d1, false, hk_now_ms() + 60000);
    record(e, &r, &policy, &disabled);
    usleep(250 * 1000);
    r = result(&d1, false, hk_now_ms() + 60000);
    record(e, &r, &policy, &disabled);
    assert_int_equal(disabled, 1);
    assert_int_equal(hk_target_get(&e->ctx, t.id, e->arena, &got, &found, &err), HK_OK);
    assert_false(got.is_enabled);
    assert_true(got.auto_disabled_at != HK_TIME_NONE);
    assert_int_equal(got.updated_by.type, HK_ACTOR_SYSTEM);
    hk_delivery_filter failed = {HK_DELIVERY_FAILED};
    hk_page_request pg = {.first = -1, .last = -1};
    hk_page_info info;
    size_t n;
    assert_int_equal(
        hk_delivery_list(&e->ctx, t.id, &failed, &pg, e->arena, &rows, &n, &info, &err), HK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(test_counts(e, &e->ctx).deliveries_pending, 0);

    /* Enabled again by updateWebhookTarget: a clean record, and the failed delivery can be sent
     * again. */
    hk_target_update_input up = {
        .webhook_target_id = t.id, .is_enabled_set = true, .is_enabled = true};
    assert_int_equal(hk_target_update(&e->ctx, &up, e->arena, &got, &err), HK_OK);
    assert_true(got.is_enabled);
    assert_true(got.failing_since == HK_TIME_NONE && got.auto_disabled_at == HK_TIME_NONE);
    size_t count;
    assert_int_equal(hk_delivery_resend_failed(&e->ctx, t.id, 0, &count, &err), HK_OK);
    assert_int_equal(count, 1);

    /* No policy: never disabled. */
    assert_int_equal(claim_all(e, &t, hk_now_ms(), &rows), 1);
    r = result(&rows[0], false, hk_now_ms() + 60000);
    record(e, &r, NULL, &disabled);
    usleep(250 * 1000);
    record(e, &r, NULL, &disabled);
    assert_int_equal(disabled, 0);
    assert_int_equal(hk_target_get(&e->ctx, t.id, e->arena, &got, &found, &err), HK_OK);
    assert_true(got.is_enabled);
}

int main(void)
{
    hk_log_set_level(HK_LOG_ERROR);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_claims_are_per_target),
        T(test_commit_hook_names_targets),
        T(test_ordered_by_customer),
        T(test_delivery_settings),
        T(test_target_disabled_after_failing_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
