#include "daemon/retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "domain/deliveries.h"

#define MIN_ROUND_MS 100
#define MAX_ROUND_MS 60000
#define FAILURE_LOG_WINDOW_MS 60000

struct hk_retention {
    hk_store *store;
    int64_t keep_ms;
    int64_t round_ms;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stopping and stats */
    pthread_cond_t wake;  /* signalled by stop; on CLOCK_MONOTONIC */
    bool stopping;
    hk_retention_stats stats;
    hk_log_gate gate; /* the thread's own */
};

/* Waits up to ms, or until stop. True when stopping. */
static bool wait_ms(hk_retention *r, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&r->lock);
    int rc = 0;
    while (!r->stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->wake, &r->lock, &until);
    bool s = r->stopping;
    pthread_mutex_unlock(&r->lock);
    return s;
}

static void count(hk_retention *r, const hk_prune_result *p, bool failed)
{
    pthread_mutex_lock(&r->lock);
    r->stats.events += p->events;
    r->stats.deliveries += p->deliveries;
    r->stats.attempts += p->attempts;
    r->stats.errors += failed;
    pthread_mutex_unlock(&r->lock);
}

/* One round: transactions until nothing old is left (or stop, or a failure). */
static void round_once(hk_retention *r)
{
    hk_prune_result total = {0}, p;
    hk_error err;
    int64_t before = hk_now_ms() - r->keep_ms;
    do {
        int64_t started = hk_mono_ms();
        hk_status st = hk_events_prune(r->store, before, HK_RETENTION_BATCH, &p, &err);
        count(r, &p, st != HK_OK);
        unsigned n;
        if (st != HK_OK) {
            if (hk_log_gate_fail(&r->gate, hk_mono_ms(), &n))
                hk_log_error("retention: pruning old events failed (%u more not logged): %s", n,
                             err.message);
            break;
        }
        if (hk_log_gate_ok(&r->gate, &n))
            hk_log_info("retention: pruning works again after %u failures", n);
        total.events += p.events;
        total.deliveries += p.deliveries;
        total.attempts += p.attempts;
        /* A quarter of the writer's time at most: a pause three times as long as the
         * transaction. Deleting dirties many pages, and the checkpoints that follow stall
         * commits (bench/retention_bench.sh: upserts' p99 behind a backlog was 36-46 ms
         * with pauses as long as the transaction, 26 ms with these, 6-8 ms without). */
        if (p.more && wait_ms(r, 3 * (hk_mono_ms() - started) + 1))
            break;
    } while (p.more);
    if (total.events + total.deliveries > 0)
        hk_log_info("retention: deleted %zu events, %zu deliveries and %zu attempts older than "
                    "%lld s",
                    total.events, total.deliveries, total.attempts, (long long)(r->keep_ms / 1000));
}

static void *run(void *arg)
{
    hk_retention *r = arg;
    do
        round_once(r);
    while (!wait_ms(r, r->round_ms));
    return NULL;
}

static int64_t round_ms(int64_t keep_ms)
{
    int64_t ms = keep_ms / 10;
    return ms < MIN_ROUND_MS ? MIN_ROUND_MS : ms > MAX_ROUND_MS ? MAX_ROUND_MS : ms;
}

hk_status hk_retention_start(hk_store *store, int64_t keep_ms, hk_retention **out, hk_error *err)
{
    *out = NULL;
    if (keep_ms < HK_RETENTION_MIN_MS || keep_ms > HK_RETENTION_MAX_MS)
        return hk_error_set(err, HK_EINVAL, NULL, "the retention period must be from 1s to 3650d");
    hk_retention *r = calloc(1, sizeof *r);
    if (!r)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory starting retention");
    r->store = store;
    r->keep_ms = keep_ms;
    r->round_ms = round_ms(keep_ms);
    r->stats.keep_ms = keep_ms;
    r->gate.window_ms = FAILURE_LOG_WINDOW_MS;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->lock, NULL);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return hk_error_set(err, HK_EINTERNAL, NULL, "cannot start the retention thread");
    }
    *out = r;
    return HK_OK;
}

void hk_retention_get_stats(hk_retention *r, hk_retention_stats *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->stats;
    pthread_mutex_unlock(&r->lock);
}

void hk_retention_stop(hk_retention *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
