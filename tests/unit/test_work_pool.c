/*
 * test_work_pool.c - the pool that runs GraphQL requests off libmicrohttpd's
 * threads: every submitted job runs exactly once, jobs run in parallel (one
 * that blocks does not hold the others back), stop runs what is queued, and
 * once stop has begun nothing more is accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <time.h>

#include "core/work_pool.h"

typedef struct job {
    hk_work work;
    atomic_int *ran_total;
    int runs; /* how often this job ran */
} job;

static job *job_of(hk_work *w)
{
    return (job *)((char *)w - offsetof(job, work));
}

static void count(hk_work *w)
{
    job *j = job_of(w);
    j->runs++;
    atomic_fetch_add(j->ran_total, 1);
}

#define SUBMITTERS 4
#define PER_SUBMITTER 5000

typedef struct submitter {
    hk_work_pool *pool;
    job *jobs; /* PER_SUBMITTER of them */
} submitter;

static void *submit_all(void *arg)
{
    submitter *s = arg;
    for (int i = 0; i < PER_SUBMITTER; i++)
        assert_true(hk_work_pool_submit(s->pool, &s->jobs[i].work));
    return NULL;
}

static void test_every_job_runs_once(void **state)
{
    (void)state;
    hk_work_pool *pool;
    hk_error err;
    assert_int_equal(hk_work_pool_start(8, "test-pool", &pool, &err), HK_OK);
    atomic_int total = 0;
    static job jobs[SUBMITTERS][PER_SUBMITTER];
    submitter subs[SUBMITTERS];
    pthread_t threads[SUBMITTERS];
    for (int t = 0; t < SUBMITTERS; t++) {
        for (int i = 0; i < PER_SUBMITTER; i++)
            jobs[t][i] = (job){.work.run = count, .ran_total = &total};
        subs[t] = (submitter){pool, jobs[t]};
        assert_int_equal(pthread_create(&threads[t], NULL, submit_all, &subs[t]), 0);
    }
    for (int t = 0; t < SUBMITTERS; t++)
        pthread_join(threads[t], NULL);
    hk_work_pool_stop(pool); /* runs whatever is still queued */
    assert_int_equal(atomic_load(&total), SUBMITTERS * PER_SUBMITTER);
    for (int t = 0; t < SUBMITTERS; t++)
        for (int i = 0; i < PER_SUBMITTER; i++)
            assert_int_equal(jobs[t][i].runs, 1);
}

/* A job that waits until released: the next job must still run meanwhile. */
typedef struct blocker {
    hk_work work;
    sem_t started, release;
} blocker;

static void block(hk_work *w)
{
    blocker *b = (blocker *)((char *)w - offsetof(blocker, work));
    sem_post(&b->started);
    sem_wait(&b->release);
}

typedef struct signaller {
    hk_work work;
    sem_t done;
} signaller;

static void signal_done(hk_work *w)
{
    signaller *s = (signaller *)((char *)w - offsetof(signaller, work));
    sem_post(&s->done);
}

static int wait_up_to_s(sem_t *s, int seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    return sem_timedwait(s, &until);
}

static void test_a_blocked_job_does_not_hold_the_others(void **state)
{
    (void)state;
    hk_work_pool *pool;
    hk_error err;
    assert_int_equal(hk_work_pool_start(2, "test-pool", &pool, &err), HK_OK);
    blocker b = {.work.run = block};
    signaller s = {.work.run = signal_done};
    sem_init(&b.started, 0, 0);
    sem_init(&b.release, 0, 0);
    sem_init(&s.done, 0, 0);
    assert_true(hk_work_pool_submit(pool, &b.work));
    assert_int_equal(wait_up_to_s(&b.started, 10), 0);
    assert_true(hk_work_pool_submit(pool, &s.work));
    assert_int_equal(wait_up_to_s(&s.done, 10), 0); /* ran while the first still waits */
    sem_post(&b.release);
    hk_work_pool_stop(pool);
}

static void *stop_pool(void *arg)
{
    hk_work_pool_stop(arg);
    return NULL;
}

/* Stop runs what is queued before it returns, and refuses what comes once
 * it has begun. */
static void test_stop_runs_the_queue_and_refuses_more(void **state)
{
    (void)state;
    hk_work_pool *pool;
    hk_error err;
    assert_int_equal(hk_work_pool_start(1, "test-pool", &pool, &err), HK_OK);
    blocker b = {.work.run = block};
    sem_init(&b.started, 0, 0);
    sem_init(&b.release, 0, 0);
    atomic_int total = 0;
    assert_true(hk_work_pool_submit(pool, &b.work));
    assert_int_equal(wait_up_to_s(&b.started, 10), 0);
    pthread_t stopper;
    assert_int_equal(pthread_create(&stopper, NULL, stop_pool, pool), 0);
    /* The only thread is blocked, so nothing submitted here runs before the
     * release; submits succeed until stop has begun, however long that takes. */
    job **queued = NULL;
    int accepted = 0;
    for (;;) {
        job *j = calloc(1, sizeof *j);
        assert_non_null(j);
        *j = (job){.work.run = count, .ran_total = &total};
        if (!hk_work_pool_submit(pool, &j->work)) {
            free(j);
            break;
        }
        queued = realloc(queued, (size_t)(accepted + 1) * sizeof *queued);
        assert_non_null(queued);
        queued[accepted++] = j;
        sched_yield();
    }
    assert_int_equal(atomic_load(&total), 0);
    sem_post(&b.release);
    pthread_join(stopper, NULL);
    assert_int_equal(atomic_load(&total), accepted);
    for (int i = 0; i < accepted; i++) {
        assert_int_equal(queued[i]->runs, 1);
        free(queued[i]);
    }
    free(queued);
    hk_work_pool_stop(NULL);
}

/* A drained pool runs what was queued, then refuses jobs (without touching freed memory:
 * the HTTP server's callbacks may still submit while libmicrohttpd stops) until stopped. */
static void test_drain_then_stop(void **state)
{
    (void)state;
    hk_work_pool *pool;
    hk_error err;
    atomic_int total = 0;
    job jobs[8];
    assert_int_equal(hk_work_pool_start(2, "test-pool", &pool, &err), HK_OK);
    for (int i = 0; i < 8; i++) {
        jobs[i] = (job){.work.run = count, .ran_total = &total};
        assert_true(hk_work_pool_submit(pool, &jobs[i].work));
    }
    hk_work_pool_drain(pool);
    assert_int_equal(atomic_load(&total), 8);
    job late = {.work.run = count, .ran_total = &total};
    assert_false(hk_work_pool_submit(pool, &late.work));
    hk_work_pool_drain(pool); /* again: nothing */
    assert_false(hk_work_pool_submit(pool, &late.work));
    assert_int_equal(late.runs, 0);
    hk_work_pool_stop(pool);
    assert_int_equal(atomic_load(&total), 8);
    hk_work_pool_drain(NULL);
}

static void test_bad_thread_counts(void **state)
{
    (void)state;
    hk_work_pool *pool = (hk_work_pool *)&pool;
    hk_error err;
    assert_int_equal(hk_work_pool_start(0, "test-pool", &pool, &err), HK_EINVAL);
    assert_null(pool);
    assert_int_equal(hk_work_pool_start(5000, "test-pool", &pool, &err), HK_EINVAL);
    assert_null(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_job_runs_once),
        cmocka_unit_test(test_a_blocked_job_does_not_hold_the_others),
        cmocka_unit_test(test_stop_runs_the_queue_and_refuses_more),
        cmocka_unit_test(test_drain_then_stop),
        cmocka_unit_test(test_bad_thread_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
