/*
 * test_store_fsync.c - a commit whose fsync failed: its outcome is unknown
 * (SQLite wrote the commit frame to the WAL, and recovery may replay it after
 * a restart), and after a failed fsync no later commit can be trusted. The
 * mutations of that batch must be told "outcome unknown", the store must
 * refuse every write from then on while reads go on, report itself unhealthy
 * (GET /healthz answers 503 from that), and a restart must clear it.
 *
 * The fsync failure comes from the backend's test hook
 * (store_debug_fail_next_commit_sync); tests/integration/faults/store.mjs
 * makes real fsync calls fail under a running hookd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <semaphore.h>

#include "domain/deliveries.h"
#include "testutil.h"

#define OUTCOME_UNKNOWN "outcome is unknown until hookd restarts"
#define REFUSED "store unavailable after a failed fsync; restart hookd"

static hk_status create_customer(test_env *e, const char *email, hk_error *err)
{
    hk_upsert_customer_input in = test_by_email(email, "Fsync");
    hk_upsert_result r;
    hk_customer c;
    hk_error_clear(err);
    return hk_customer_upsert(&e->ctx, &in, e->arena, &r, &c, err);
}

static bool customer_exists(test_env *e, const char *email)
{
    hk_customer c;
    bool found = false;
    hk_error err;
    assert_int_equal(
        hk_customer_get(&e->ctx, HK_CUSTOMER_BY_EMAIL, email, e->arena, &c, &found, &err), HK_OK);
    return found;
}

static void assert_refused(hk_status st, const hk_error *err)
{
    assert_int_equal(st, HK_EIO);
    assert_int_equal(err->type, HK_ERROR_INTERNAL); /* Plain's INTERNAL / "internal" */
    assert_string_equal(err->message, REFUSED);
}

/* One mutation in the batch whose fsync fails; everything after it. */
static void test_failed_fsync_fails_the_store(void **state)
{
    test_env *e = *state;
    const char *why = "unset";
    hk_error err;
    assert_int_equal(create_customer(e, "before@example.com", &err), HK_OK);
    assert_true(hk_store_healthy(e->store, &why));
    assert_null(why);

    assert_int_equal(store_debug_fail_next_commit_sync(e->store), HK_OK);
    assert_true(hk_store_healthy(e->store, NULL)); /* the hook's own batch committed */
    hk_status st = create_customer(e, "unknown@example.com", &err);
    assert_int_equal(st, HK_EIO);
    assert_int_equal(err.type, HK_ERROR_INTERNAL);
    assert_string_equal(err.code, "internal");
    assert_non_null(strstr(err.message, "could not be made durable (fsync failed)"));
    assert_non_null(strstr(err.message, OUTCOME_UNKNOWN));

    /* Failed, sticky, with the reason /healthz gives. */
    assert_false(hk_store_healthy(e->store, &why));
    assert_non_null(why);
    assert_string_equal(why, REFUSED);

    /* Every kind of write is refused at once, and writes nothing. */
    store_counts before = test_counts(e, &e->ctx);
    assert_refused(create_customer(e, "after@example.com", &err), &err);
    hk_customer_group g;
    hk_group_input gi = {.name = "G", .key = "g", .color = "#123"};
    hk_error_clear(&err);
    assert_refused(hk_group_create(&e->ctx, &gi, e->arena, &g, &err), &err);
    hk_hmac_secret h;
    hk_error_clear(&err);
    assert_refused(hk_workspace_hmac_regenerate(&e->ctx, e->arena, &h, &err), &err);
    /* the dispatcher's claims are writes too (leases): they fail, and it retries later */
    hk_delivery *rows;
    size_t n = 99;
    int64_t next_due;
    hk_error_clear(&err);
    assert_refused(
        hk_delivery_claim(e->store, hk_now_ms(), 60000, 10, e->arena, &rows, &n, &next_due, &err),
        &err);
    assert_int_equal(n, 0);
    assert_false(hk_store_healthy(e->store, NULL));

    /* Reads keep working, and see nothing of the refused writes. */
    assert_true(customer_exists(e, "before@example.com"));
    assert_false(customer_exists(e, "after@example.com"));
    store_counts after = test_counts(e, &e->ctx);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(after.customers, 1);

    /* A restart recovers the database from disk and clears the state. */
    hk_store_close(e->store);
    assert_int_equal(test_env_open_store(e, false), HK_OK);
    e->ctx.store = e->store;
    e->other.store = e->store;
    assert_true(hk_store_healthy(e->store, NULL));
    assert_int_equal(create_customer(e, "after@example.com", &err), HK_OK);
    assert_true(customer_exists(e, "before@example.com"));
    assert_true(customer_exists(e, "after@example.com"));
}

/* ---- a batch of several mutations ---- */

typedef struct gate {
    sem_t entered, release;
} gate;

/* Holds the writer inside a mutation, so that what is submitted meanwhile
 * queues up and forms the next batches; arms the hook for the next commit. */
static hk_status hold_writer(const store_tx *tx, void *arg, hk_error *err)
{
    gate *g = arg;
    tx->ops->fail_next_commit_sync(tx->conn);
    sem_post(&g->entered);
    while (sem_wait(&g->release) != 0)
        ;
    return HK_OK;
}

typedef struct job {
    store_request req;
    hk_error err;
    hk_status status;
    int runs; /* how often the writer ran fn */
    char ws_id[HK_ID_MAX];
    sem_t *done;
} job;

/* A write of a row: a workspace of its own. */
static hk_status insert_workspace(const store_tx *tx, void *arg, hk_error *err)
{
    job *j = arg;
    j->runs++;
    hk_workspace w = {.name = "fsync", .created_at = 1, .updated_at = 1};
    snprintf(w.id, sizeof w.id, "%s", j->ws_id);
    hk_status st = tx->ops->workspace_insert(tx->conn, &w);
    return st ? hk_error_set(err, st, NULL, "insert failed") : HK_OK;
}

static void job_done(void *arg, hk_status st)
{
    job *j = arg;
    j->status = st;
    sem_post(j->done);
}

static hk_status find_workspace(const store_tx *tx, void *arg, hk_error *err)
{
    job *j = arg;
    hk_workspace w;
    bool found = false;
    hk_arena *a = hk_arena_new(0);
    if (!a)
        return HK_ENOMEM;
    hk_status st = tx->ops->workspace_get(tx->conn, j->ws_id, a, &w, &found);
    hk_arena_free(a);
    j->runs = found; /* reused: 1 when the row exists */
    return st ? hk_error_set(err, st, NULL, "read failed") : HK_OK;
}

/* Every mutation of the batch whose fsync fails hears "outcome unknown";
 * mutations queued behind it (before the failure was known) are refused
 * without being run, and so are those submitted afterwards. */
static void test_failed_fsync_answers_the_whole_batch(void **state)
{
    (void)state;
    test_env e = {0};
    snprintf(e.dir, sizeof e.dir, "/tmp/hookd-test-XXXXXX");
    assert_non_null(mkdtemp(e.dir));
    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = e.dir;
    o.durable = false;
    o.max_batch = 3; /* so that a second batch queues behind the failing one */
    hk_error err;
    assert_int_equal(hk_store_open(&o, &e.store, &err), HK_OK);

    enum { FAILING = 3, QUEUED = 3, N = FAILING + QUEUED };
    sem_t done;
    sem_init(&done, 0, 0);
    gate g;
    sem_init(&g.entered, 0, 0);
    sem_init(&g.release, 0, 0);
    store_request hold_req;
    hk_error hold_err;
    job hold = {.status = HK_EINTERNAL, .done = &done};
    /* the holder runs alone in its batch, which commits */
    assert_int_equal(store_submit(e.store, &hold_req, hold_writer, &g, &hold_err, job_done, &hold),
                     HK_OK);
    while (sem_wait(&g.entered) != 0)
        ;
    job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (job){.status = HK_EINTERNAL, .done = &done};
        snprintf(jobs[i].ws_id, sizeof jobs[i].ws_id, "w_fsync_%d", i);
        hk_error_clear(&jobs[i].err);
        assert_int_equal(store_submit(e.store, &jobs[i].req, insert_workspace, &jobs[i],
                                      &jobs[i].err, job_done, &jobs[i]),
                         HK_OK);
    }
    sem_post(&g.release);
    for (int i = 0; i < N + 1; i++)
        while (sem_wait(&done) != 0)
            ;
    assert_int_equal(hold.status, HK_OK);
    for (int i = 0; i < FAILING; i++) {
        assert_int_equal(jobs[i].status, HK_EIO);
        assert_int_equal(jobs[i].runs, 1);
        assert_non_null(strstr(jobs[i].err.message, OUTCOME_UNKNOWN));
    }
    for (int i = FAILING; i < N; i++) {
        assert_int_equal(jobs[i].status, HK_EIO);
        assert_int_equal(jobs[i].runs, 0); /* never run */
        assert_string_equal(jobs[i].err.message, REFUSED);
    }
    assert_false(hk_store_healthy(e.store, NULL));

    /* Submitted after the failure: refused at once, `done` never called. */
    job late = {.done = &done};
    snprintf(late.ws_id, sizeof late.ws_id, "w_fsync_late");
    hk_error_clear(&late.err);
    assert_int_equal(
        store_submit(e.store, &late.req, insert_workspace, &late, &late.err, job_done, &late),
        HK_EIO);
    assert_string_equal(late.err.message, REFUSED);
    assert_int_equal(sem_trywait(&done), -1);
    assert_int_equal(late.runs, 0);

    /* Reads still work: the refused rows are not there. */
    for (int i = FAILING; i < N; i++) {
        assert_int_equal(store_read(e.store, find_workspace, &jobs[i], &err), HK_OK);
        assert_int_equal(jobs[i].runs, 0);
    }

    hk_store_close(e.store);
    sem_destroy(&done);
    sem_destroy(&g.entered);
    sem_destroy(&g.release);
    test_env_remove_dir(e.dir);
}

/* A clean commit failure (a write failed: nothing of the batch can reappear)
 * is not an fsync failure: the store stays healthy and takes writes. */
static void test_clean_failure_keeps_the_store_healthy(void **state)
{
    test_env *e = *state;
    hk_error err;
    assert_int_equal(store_debug_fail_nth_write(e->store, 1), HK_OK);
    hk_status st = create_customer(e, "fails@example.com", &err);
    assert_int_equal(st, HK_EIO);
    assert_null(strstr(err.message, OUTCOME_UNKNOWN));
    assert_true(hk_store_healthy(e->store, NULL));
    assert_int_equal(store_debug_fail_nth_write(e->store, 0), HK_OK);
    assert_int_equal(create_customer(e, "works@example.com", &err), HK_OK);
    assert_false(customer_exists(e, "fails@example.com"));
}

/* Writes that fail (a full disk, EIO) are reported while they last, not for ever: the
 * write health says so from the first failed transaction to the next that commits, and
 * counts them; the sticky state is not touched. */
static void test_failing_writes_are_reported_until_one_commits(void **state)
{
    test_env *e = *state;
    hk_error err;
    hk_store_write_health h;
    assert_int_equal(create_customer(e, "first@example.com", &err), HK_OK);
    hk_store_get_write_health(e->store, &h);
    assert_false(h.failing);
    assert_null(h.reason);
    assert_int_equal(h.failures, 0);

    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_debug_fail_nth_write(e->store, 1), HK_OK);
        char email[64];
        snprintf(email, sizeof email, "fails%d@example.com", i);
        assert_int_equal(create_customer(e, email, &err), HK_EIO);
        hk_store_get_write_health(e->store, &h);
        assert_true(h.failing);
        assert_string_equal(h.reason, "I/O error"); /* the hook fails without SQLite */
        assert_int_equal(h.failures, (uint64_t)i + 1);
        assert_true(h.failing_ms >= 0);
        assert_true(hk_store_healthy(e->store, NULL));
    }
    /* A refusal by the domain (no I/O) changes nothing. */
    hk_upsert_customer_input bad = test_by_email("not an email", "Bad");
    hk_upsert_result r;
    hk_customer c;
    assert_int_equal(hk_customer_upsert(&e->ctx, &bad, e->arena, &r, &c, &err), HK_EINVAL);
    hk_store_get_write_health(e->store, &h);
    assert_true(h.failing);

    assert_int_equal(store_debug_fail_nth_write(e->store, 0), HK_OK);
    assert_int_equal(create_customer(e, "works@example.com", &err), HK_OK);
    hk_store_get_write_health(e->store, &h);
    assert_false(h.failing);
    assert_null(h.reason);
    assert_int_equal(h.failing_ms, 0);
    assert_int_equal(h.failures, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failed_fsync_fails_the_store, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test(test_failed_fsync_answers_the_whole_batch),
        cmocka_unit_test_setup_teardown(test_clean_failure_keeps_the_store_healthy, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_failing_writes_are_reported_until_one_commits,
                                        test_env_setup, test_env_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
