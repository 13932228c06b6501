/*
 * dispatcher.c - the delivery loop (see dispatcher.h).
 *
 * Everything below runs on the dispatcher thread except hk_dispatcher_start,
 * hk_dispatcher_notify, hk_dispatcher_stop and hk_dispatcher_get_stats.
 * A claimed delivery is a delivery_job; it is in exactly one place at a
 * time: queued behind its target, in flight (a libcurl handle in the multi
 * handle), or finished and waiting to be recorded. "Held" deliveries (all
 * three) never exceed max_in_flight, which bounds memory.
 */
#include "delivery/dispatcher.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "delivery/job.h"
#include "delivery/targets.h"
#include "delivery/template_cache.h"
#include "delivery/transfer.h"
#include "domain/deliveries.h"

/* An attempt starts only if its lease outlives it by this much: room to
 * record the outcome before another claim could take the delivery. */
#define LEASE_MARGIN_MS 5000
/* The longest sleep: expired leases are not announced, so look again. */
#define IDLE_RECHECK_MS 1000
/* After a claim whose deliveries all had to wait for their lease (their
 * targets saturated), claiming again at once would only lease more of them. */
#define SATURATED_BACKOFF_MS 250
/* After a failed record, wait before trying again. */
#define RECORD_RETRY_MS 1000
/* How often queues are cut down to what their targets can start in time. */
#define SWEEP_INTERVAL_MS 100
/* Results per hk_delivery_record call. */
#define RECORD_CHUNK 256
/* A store failure that repeats (claims retried every second while the
 * store refuses writes) is logged once per this window, with a count. */
#define FAILURE_LOG_WINDOW_MS 60000

struct hk_dispatcher {
    hk_store *store;
    hk_dispatcher_options o; /* strings point to the copies below */
    char *user_agent, *tls_client_cert, *tls_client_key, *tls_ca_file;
    delivery_transfer_config cfg;
    delivery_handle_pool *handles; /* libcurl handles between attempts */
    CURLM *multi;
    CURLSH *share;
    pthread_t thread;
    bool thread_started, hook_installed, curl_ready;
    atomic_bool notified;
    atomic_bool stopping;

    /* Owned by the dispatcher thread. */
    delivery_targets *targets;
    delivery_template_cache *templates;
    hk_arena *claim_arena;  /* rows of the last claim, and their events while routed */
    hk_event *claim_events; /* claim_batch of them, for the rows of the last claim */
    bool *claim_found;
    hk_arena *scratch;    /* one delivery's load and request temporaries */
    delivery_job *flight; /* in-flight list */
    size_t in_flight, queued;
    delivery_job *results, *results_tail; /* finished, to record, oldest first */
    size_t unrecorded;
    int64_t oldest_result_ms;  /* monotonic */
    int64_t record_retry_ms;   /* monotonic; no record before this after a failure */
    hk_delivery_result *batch; /* RECORD_CHUNK results for hk_delivery_record */
    int64_t next_claim_at;     /* wall clock */
    bool more_due;             /* the last claim was full: claim again when there is room */
    int64_t next_sweep_ms;     /* monotonic: next look at the queues */
    hk_dispatcher_stats stats;

    /* The store works for the loop asynchronously: at most one claim and one
     * record are committing at a time while attempts go on. Their callbacks
     * run on the store's writer thread: they fill in the status and error,
     * then set the flag (release); the loop takes the flag (acquire). */
    bool claim_busy, record_busy;
    atomic_bool claim_done, record_done;
    hk_status claim_status, record_status;
    char claim_error[HK_ERROR_MESSAGE_MAX], record_error[HK_ERROR_MESSAGE_MAX];
    hk_delivery *claim_rows; /* in claim_arena */
    size_t claim_n, claim_want;
    int64_t claim_next_due, claim_now, claim_lease_end;
    size_t recording; /* the first `recording` results are in the record committing */
    /* Held by a callback while it signals, so that stop cannot free the
     * multi handle under its curl_multi_wakeup. */
    pthread_mutex_t signal_lock;

    pthread_mutex_t stats_lock;
    hk_dispatcher_stats published;

    /* Repeated store failures, logged through a gate each (hk_log_gate). */
    hk_log_gate claim_log, record_log, load_log;
};

/* ---- bookkeeping ---- */

/* Logs a failure of `what` unless its gate holds it back. */
static void log_failure(hk_log_gate *gate, const char *what, const char *why)
{
    unsigned suppressed;
    if (!hk_log_gate_fail(gate, hk_mono_ms(), &suppressed))
        return;
    if (suppressed)
        hk_log_error("%s: %s (%u more failures since the last report)", what, why, suppressed);
    else
        hk_log_error("%s: %s", what, why);
}

/* After a success: says so if it ends a run of failures of `what`. */
static void log_recovery(hk_log_gate *gate, const char *what)
{
    unsigned failures;
    if (hk_log_gate_ok(gate, &failures))
        hk_log_info("%s: working again after %u failures in a row", what, failures);
}

static size_t held(const hk_dispatcher *d)
{
    return d->in_flight + d->queued + d->unrecorded;
}

/* Claimed deliveries kept in memory at most: every slot busy, and as many
 * waiting, so a target that answers fast never waits for a claim. */
static size_t max_held(const hk_dispatcher *d)
{
    return 2 * d->o.max_in_flight;
}

/* The job leaves its target's slot. The slot itself is freed when idle, but
 * only by whoever holds it (route, harvest): a slot must not vanish under a
 * caller still walking its queue. */
static void release_slot(delivery_job *job)
{
    job->target = NULL;
}

/* Gives a claimed delivery back to its lease: it is due again when the
 * lease runs out (or at the next start). */
static void forget(hk_dispatcher *d, delivery_job *job)
{
    release_slot(job);
    delivery_transfer_release(job, d->handles);
    free(job->event_payload);
    free(job);
}

static void defer(hk_dispatcher *d, delivery_job *job)
{
    d->stats.deferred++;
    forget(d, job);
}

const int64_t hk_dispatcher_latency_bounds_ms[HK_LATENCY_BOUNDS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
};

static void observe(hk_latency_histogram *h, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    size_t i = 0;
    while (i < HK_LATENCY_BOUNDS && ms > hk_dispatcher_latency_bounds_ms[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum_ms += ms;
}

static void count_result(hk_dispatcher *d, const delivery_job *job)
{
    const hk_delivery_result *r = &job->result;
    if (r->drop) {
        d->stats.dropped++;
        return;
    }
    d->stats.attempts++;
    observe(&d->stats.attempt_ms, r->attempt.duration_ms);
    /* From the commit of the event (its timestamp is taken in that transaction) to the end
     * of the attempt that got the 2xx: what a receiver waited, retries included. */
    if (r->succeeded && job->event_found && job->event.timestamp > 0)
        observe(&d->stats.delivered_ms,
                r->attempt.started_at + r->attempt.duration_ms - job->event.timestamp);
    if (r->succeeded)
        d->stats.succeeded++;
    else if (r->retry_at == HK_TIME_NONE)
        d->stats.failed++;
    else
        d->stats.retries++;
}

static void log_result(const delivery_job *job)
{
    const hk_delivery_result *r = &job->result;
    const hk_delivery *dl = &job->delivery;
    if (r->drop) {
        hk_log_info("delivery of %s to %s dropped: the event or target is gone or disabled",
                    dl->event_id, dl->target_id);
    } else if (r->succeeded) {
        hk_log_debug("delivered %s to %s (%s): attempt %u, HTTP %d, %lld ms", dl->event_id,
                     dl->target_id, job->log_url, r->attempt.number, r->attempt.status_code,
                     (long long)r->attempt.duration_ms);
    } else if (r->retry_at == HK_TIME_NONE) {
        hk_log_warn("delivery of %s to %s (%s) failed for good after attempt %u: %s", dl->event_id,
                    dl->target_id, job->log_url, r->attempt.number, r->attempt.error);
    } else {
        char at[HK_TIME_ISO_BUF];
        hk_time_format(r->retry_at, at);
        hk_log_info("delivery of %s to %s (%s): attempt %u failed: %s; retry at %s", dl->event_id,
                    dl->target_id, job->log_url, r->attempt.number, r->attempt.error, at);
    }
    if (job->address_refused)
        hk_log_warn("delivery to %s (%s): refused to connect to a %s address", dl->target_id,
                    job->log_url, hk_addr_class_name(job->refused_class));
}

/* A finished job joins the results to record. */
static void push_result(hk_dispatcher *d, delivery_job *job)
{
    release_slot(job);
    count_result(d, job);
    log_result(job);
    job->next = NULL;
    if (d->results_tail)
        d->results_tail->next = job;
    else
        d->results = job;
    d->results_tail = job;
    if (d->unrecorded++ == 0)
        d->oldest_result_ms = hk_mono_ms();
}

/* ---- starting attempts ---- */

static void enter_flight(hk_dispatcher *d, delivery_job *job)
{
    job->flight_prev = NULL;
    job->flight_next = d->flight;
    if (d->flight)
        d->flight->flight_prev = job;
    d->flight = job;
    d->in_flight++;
    if (++job->target->in_flight == d->o.per_target_in_flight)
        job->target->progress_ms = hk_mono_ms(); /* full from now: see queue_cap */
}

static void leave_flight(hk_dispatcher *d, delivery_job *job)
{
    if (job->flight_prev)
        job->flight_prev->flight_next = job->flight_next;
    else
        d->flight = job->flight_next;
    if (job->flight_next)
        job->flight_next->flight_prev = job->flight_prev;
    job->flight_prev = job->flight_next = NULL;
    d->in_flight--;
    job->target->in_flight--;
}

/* An attempt that ends before it is sent is recorded as a failed attempt. */
static void fail_unsent(hk_dispatcher *d, delivery_job *job)
{
    delivery_transfer_fail(job, &d->o.retry);
    delivery_transfer_release(job, d->handles);
    push_result(d, job);
}

/* Reads the target's settings again after this long: a change to a target
 * or to the workspace's secret reaches attempts within it. */
#define TARGET_CONF_TTL_MS 1000

static bool conf_fresh(const delivery_target *slot, int64_t now)
{
    return slot->conf_loaded_ms != 0 && now - slot->conf_loaded_ms < TARGET_CONF_TTL_MS;
}

/* Loads the delivery, reusing its target's settings while they are fresh;
 * false when the job was dropped or deferred instead. */
static bool load(hk_dispatcher *d, delivery_job *job, hk_delivery_job *dj)
{
    hk_error err;
    bool found = job->event_loaded && job->event_found;
    delivery_target *slot = job->target;
    int64_t now = hk_mono_ms();
    bool reuse = conf_fresh(slot, now);
    hk_arena_reset(d->scratch);
    if (!reuse) {
        slot->conf_loaded_ms = 0;
        if (!slot->conf_arena && !(slot->conf_arena = hk_arena_new(0))) {
            defer(d, job);
            return false;
        }
        hk_arena_reset(slot->conf_arena);
    }
    if (job->event_loaded)
        dj->event = job->event;
    /* The store is read only for what is missing: the event when its claim's
     * read failed, the target's settings once they are stale. */
    bool read = !job->event_loaded || (job->event_found && !reuse);
    if (read && hk_delivery_load_parts(d->store, &job->delivery, d->scratch,
                                       job->event_loaded ? NULL : &dj->event, slot->conf_arena,
                                       reuse ? NULL : &slot->conf, &slot->conf_secret, &found,
                                       &err) != HK_OK) {
        d->stats.store_errors++;
        char what[2 * HK_ID_MAX + 40];
        snprintf(what, sizeof what, "cannot load delivery of %s to %s", job->delivery.event_id,
                 job->delivery.target_id);
        log_failure(&d->load_log, what, err.message);
        defer(d, job);
        return false;
    }
    log_recovery(&d->load_log, "loading deliveries");
    if (found && !reuse)
        slot->conf_loaded_ms = now;
    if (!found || !slot->conf.is_enabled) {
        delivery_transfer_drop(job);
        push_result(d, job);
        return false;
    }
    dj->target = slot->conf;
    dj->secret = slot->conf_secret;
    return true;
}

static void start(hk_dispatcher *d, delivery_job *job)
{
    if (hk_mono_ms() + d->o.timeout_ms + LEASE_MARGIN_MS > job->lease_end_ms) {
        defer(d, job); /* it could outlive its lease: let the lease bring it back */
        return;
    }
    hk_delivery_job dj;
    if (!load(d, job, &dj))
        return;
    const webhook_body_template *tpl = NULL;
    if (delivery_template_cache_get(d->templates, &dj.event, &tpl) != HK_OK)
        tpl = NULL; /* prepare reports it as the attempt's error */
    if (delivery_transfer_prepare(job, d->handles, &dj, tpl, d->scratch) != HK_OK) {
        fail_unsent(d, job);
        return;
    }
    CURLMcode mc = curl_multi_add_handle(d->multi, job->easy);
    if (mc != CURLM_OK) {
        snprintf(job->error, sizeof job->error, "internal error: %s", curl_multi_strerror(mc));
        fail_unsent(d, job);
        return;
    }
    enter_flight(d, job);
}

/*
 * How many claimed deliveries may wait behind a target: as many as it can
 * start within their lease, judging by how long its attempts take — the
 * average of the finished ones, or how long it has been full without one
 * finishing, whichever is longer (a target that hangs is noticed before its
 * first timeout). The others go back to their lease, so that a slow target
 * cannot hold every claimed delivery while those of other targets wait unclaimed.
 */
static size_t queue_cap(const hk_dispatcher *d, const delivery_target *slot, int64_t now)
{
    int64_t pace = slot->duration_ms;
    if (slot->in_flight >= d->o.per_target_in_flight && now - slot->progress_ms > pace)
        pace = now - slot->progress_ms;
    size_t cap = max_held(d);
    int64_t window = d->o.lease_ms - d->o.timeout_ms - LEASE_MARGIN_MS;
    if (pace > 0 && (uint64_t)(window / pace) < cap / d->o.per_target_in_flight)
        cap = d->o.per_target_in_flight * (size_t)(window / pace);
    if (d->o.per_target_queue > 0 && d->o.per_target_queue < cap)
        cap = d->o.per_target_queue;
    return cap;
}

static bool slot_free(const hk_dispatcher *d, const delivery_target *slot)
{
    return slot->in_flight < d->o.per_target_in_flight;
}

/* Starts what waits for `slot` while it and the dispatcher have room; when
 * only the dispatcher's limit holds it back, the slot waits on the ready list. */
static void start_queued(hk_dispatcher *d, delivery_target *slot)
{
    delivery_job *job;
    while (slot_free(d, slot) && d->in_flight < d->o.max_in_flight &&
           (job = delivery_target_pop(slot))) {
        d->queued--;
        start(d, job);
    }
    if (slot->queued > 0 && slot_free(d, slot))
        delivery_targets_mark_ready(d->targets, slot);
}

/* Serves the slots that waited for the dispatcher's limit, in turn. */
static void start_ready(hk_dispatcher *d)
{
    delivery_target *slot;
    while (d->in_flight < d->o.max_in_flight && (slot = delivery_targets_pop_ready(d->targets))) {
        start_queued(d, slot);
        delivery_targets_release_idle(d->targets, slot);
    }
}

/* A claimed job goes out now, waits behind its target, or back to its lease. */
static void route(hk_dispatcher *d, delivery_job *job)
{
    delivery_target *slot = delivery_targets_get(d->targets, job->delivery.target_id);
    if (!slot) {
        defer(d, job);
        return;
    }
    job->target = slot;
    if (slot_free(d, slot) && d->in_flight < d->o.max_in_flight && slot->queued == 0) {
        start(d, job);
    } else if (slot->queued < queue_cap(d, slot, hk_mono_ms())) {
        delivery_target_push(slot, job);
        d->queued++;
        if (slot_free(d, slot))
            delivery_targets_mark_ready(d->targets, slot);
    } else {
        defer(d, job);
    }
    delivery_targets_release_idle(d->targets, slot);
}

/* Cuts a queue down to what its target can start within the leases. */
static void trim_queue(delivery_target *slot, void *arg)
{
    hk_dispatcher *d = arg;
    delivery_job *cut = delivery_target_trim(slot, queue_cap(d, slot, hk_mono_ms()));
    while (cut) {
        delivery_job *next = cut->next;
        d->queued--;
        defer(d, cut);
        cut = next;
    }
    delivery_targets_release_idle(d->targets, slot);
}

/* Now and then: targets found slow give back what they cannot start in time. */
static void sweep(hk_dispatcher *d)
{
    int64_t now = hk_mono_ms();
    if (d->queued == 0 || now < d->next_sweep_ms)
        return;
    d->next_sweep_ms = now + SWEEP_INTERVAL_MS;
    delivery_targets_each_queued(d->targets, trim_queue, d);
}

/* ---- claiming ---- */

static bool claim_wanted(hk_dispatcher *d, int64_t now)
{
    if (atomic_load(&d->stopping) || held(d) >= max_held(d))
        return false;
    /* Read the flag only when a claim can follow, so a notification that
     * arrives while we are full is kept for later. */
    bool notified = atomic_exchange(&d->notified, false);
    return notified || d->more_due || now >= d->next_claim_at;
}

static void after_claim(hk_dispatcher *d, int64_t now, size_t n, size_t want, int64_t next_due)
{
    d->more_due = n == want;
    d->next_claim_at = now + IDLE_RECHECK_MS;
    if (next_due != HK_TIME_NONE && next_due < d->next_claim_at)
        d->next_claim_at = next_due;
}

/* Writer thread: a claim or record is done; wake the loop. */
static void signal_done(hk_dispatcher *d, atomic_bool *flag)
{
    pthread_mutex_lock(&d->signal_lock);
    atomic_store_explicit(flag, true, memory_order_release);
    curl_multi_wakeup(d->multi);
    pthread_mutex_unlock(&d->signal_lock);
}

/* Writer thread: the claim committed or failed. */
static void claim_committed(void *arg, hk_status st, const hk_error *err)
{
    hk_dispatcher *d = arg;
    d->claim_status = st;
    if (st)
        snprintf(d->claim_error, sizeof d->claim_error, "%s", err->message);
    signal_done(d, &d->claim_done);
}

/* Submits a claim when one is wanted; its rows are routed by `claimed`
 * while the attempts in flight go on. */
static void claim(hk_dispatcher *d)
{
    int64_t now = hk_now_ms();
    if (d->claim_busy || !claim_wanted(d, now))
        return;
    size_t want = max_held(d) - held(d);
    if (want > d->o.claim_batch)
        want = d->o.claim_batch;
    hk_arena_reset(d->claim_arena);
    d->claim_now = now;
    d->claim_want = want;
    d->claim_lease_end = hk_mono_ms() + d->o.lease_ms;
    hk_error err;
    if (hk_delivery_claim_submit(d->store, now, d->o.lease_ms, want, d->claim_arena, &d->claim_rows,
                                 &d->claim_n, &d->claim_next_due, claim_committed, d,
                                 &err) != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->claim_log, "cannot claim deliveries", err.message);
        after_claim(d, now, 0, want, HK_TIME_NONE);
        return;
    }
    d->claim_busy = true;
}

/* Reads the events of the claim's rows in one snapshot, into claim_arena.
 * False when that failed: each attempt then reads its own. */
static bool load_claim_events(hk_dispatcher *d, size_t n)
{
    hk_error err;
    if (n == 0)
        return false;
    if (hk_delivery_load_events(d->store, d->claim_rows, n, d->claim_arena, d->claim_events,
                                d->claim_found, &err) != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->load_log, "cannot load the events of a claim", err.message);
        return false;
    }
    return true;
}

/* The job keeps a copy of its event: claim_arena is reset at the next claim. */
static void take_event(delivery_job *job, const hk_event *ev, bool found)
{
    if (found) {
        job->event_payload = malloc(ev->payload_len + 1);
        if (!job->event_payload)
            return; /* the attempt reads it */
        memcpy(job->event_payload, ev->payload_json, ev->payload_len);
        job->event_payload[ev->payload_len] = '\0';
        job->event = *ev;
        job->event.payload_json = job->event_payload;
    }
    job->event_found = found;
    job->event_loaded = true;
}

/* Routes what the last claim got, once it has committed. While stopping,
 * the rows are left to their leases instead (due again at the next start). */
static void claimed(hk_dispatcher *d)
{
    if (!d->claim_busy || !atomic_exchange_explicit(&d->claim_done, false, memory_order_acquire))
        return;
    d->claim_busy = false;
    int64_t now = d->claim_now;
    size_t want = d->claim_want, n = d->claim_n;
    if (d->claim_status != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->claim_log, "cannot claim deliveries", d->claim_error);
        after_claim(d, now, 0, want, HK_TIME_NONE);
        return;
    }
    log_recovery(&d->claim_log, "claiming deliveries");
    after_claim(d, now, n, want, d->claim_next_due);
    d->stats.claimed += n;
    if (atomic_load(&d->stopping)) {
        d->stats.deferred += n;
        return;
    }
    uint64_t deferred_before = d->stats.deferred;
    bool events = load_claim_events(d, n);
    for (size_t i = 0; i < n; i++) {
        delivery_job *job = calloc(1, sizeof *job);
        if (!job) {
            d->stats.deferred += n - i; /* their leases bring them back */
            break;
        }
        job->delivery = d->claim_rows[i];
        job->lease_end_ms = d->claim_lease_end;
        if (events)
            take_event(job, &d->claim_events[i], d->claim_found[i]);
        route(d, job);
    }
    if (n > 0 && d->stats.deferred - deferred_before == n) {
        d->more_due = false;
        d->next_claim_at = now + SATURATED_BACKOFF_MS;
    }
}

/* ---- finishing and recording ---- */

static void harvest(hk_dispatcher *d)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(d->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode code = m->data.result; /* m is invalid once the handle is removed */
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        delivery_job *job = (delivery_job *)(void *)priv;
        curl_multi_remove_handle(d->multi, easy);
        delivery_transfer_finish(job, code, &d->cfg, &d->o.retry);
        delivery_transfer_release(job, d->handles);
        delivery_target *slot = job->target;
        leave_flight(d, job);
        delivery_target_observe(slot, job->result.attempt.duration_ms);
        slot->progress_ms = hk_mono_ms();
        push_result(d, job);
        start_queued(d, slot);
        delivery_targets_release_idle(d->targets, slot);
    }
    start_ready(d);
}

/* Writer thread: the record committed or failed. */
static void record_committed(void *arg, hk_status st, const hk_error *err)
{
    hk_dispatcher *d = arg;
    d->record_status = st;
    if (st)
        snprintf(d->record_error, sizeof d->record_error, "%s", err->message);
    signal_done(d, &d->record_done);
}

/* Submits up to RECORD_CHUNK of the oldest results. They stay at the head
 * of the results until the record has committed (`recorded`). */
static void record_now(hk_dispatcher *d)
{
    size_t n = 0;
    for (delivery_job *j = d->results; j && n < RECORD_CHUNK; j = j->next)
        d->batch[n++] = j->result;
    hk_error err;
    if (hk_delivery_record_submit(d->store, d->batch, n, record_committed, d, &err) != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->record_log, "cannot record delivery attempts", err.message);
        d->record_retry_ms = hk_mono_ms() + RECORD_RETRY_MS;
        return;
    }
    d->recording = n;
    d->record_busy = true;
}

/* Frees what the last record wrote, once committed; after a failure the
 * results stay to be recorded again after RECORD_RETRY_MS. */
static void recorded(hk_dispatcher *d)
{
    if (!d->record_busy || !atomic_exchange_explicit(&d->record_done, false, memory_order_acquire))
        return;
    d->record_busy = false;
    size_t n = d->recording;
    d->recording = 0;
    if (d->record_status != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->record_log, "cannot record delivery attempts", d->record_error);
        d->record_retry_ms = hk_mono_ms() + RECORD_RETRY_MS;
        return;
    }
    log_recovery(&d->record_log, "recording delivery attempts");
    d->record_retry_ms = 0;
    d->stats.record_batches++;
    d->stats.recorded += n;
    for (size_t i = 0; i < n; i++) {
        delivery_job *j = d->results;
        d->results = j->next;
        forget(d, j);
    }
    if (!d->results)
        d->results_tail = NULL;
    d->unrecorded -= n;
    d->oldest_result_ms = hk_mono_ms();
}

static bool record_due(const hk_dispatcher *d, int64_t now)
{
    if (now < d->record_retry_ms)
        return false;
    /* Nothing else to wait for: record at once, for the lowest latency. */
    return d->unrecorded >= RECORD_CHUNK || now - d->oldest_result_ms >= d->o.record_delay_ms ||
           d->in_flight == 0;
}

static void record(hk_dispatcher *d)
{
    if (!d->record_busy && d->unrecorded > 0 && record_due(d, hk_mono_ms()))
        record_now(d);
}

/* Waits for the claim and the record committing, if any (stop). */
static void settle(hk_dispatcher *d)
{
    while (d->claim_busy || d->record_busy) {
        curl_multi_poll(d->multi, NULL, 0, 50, NULL);
        claimed(d);
        recorded(d);
    }
}

/* Stop: records every result left, chunk after chunk, until one fails. */
static void flush_records(hk_dispatcher *d)
{
    settle(d);
    while (d->unrecorded > 0 && d->record_retry_ms == 0) {
        record_now(d);
        settle(d);
    }
}

/* ---- the loop ---- */

static void publish_stats(hk_dispatcher *d)
{
    d->stats.in_flight = d->in_flight;
    d->stats.queued = d->queued;
    d->stats.unrecorded = d->unrecorded;
    delivery_template_cache_counts(d->templates, &d->stats.template_hits,
                                   &d->stats.template_misses);
    pthread_mutex_lock(&d->stats_lock);
    d->published = d->stats;
    pthread_mutex_unlock(&d->stats_lock);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* How long the loop may sleep (libcurl's own timers shorten it further). */
static int sleep_ms(hk_dispatcher *d)
{
    int64_t t = IDLE_RECHECK_MS;
    /* A claim or record committing wakes the loop when it is done. */
    if (!atomic_load(&d->stopping) && held(d) < max_held(d) && !d->claim_busy)
        t = d->more_due ? 0 : min64(t, d->next_claim_at - hk_now_ms());
    if (d->unrecorded > 0 && !d->record_busy) {
        int64_t at =
            d->record_retry_ms ? d->record_retry_ms : d->oldest_result_ms + d->o.record_delay_ms;
        t = min64(t, at - hk_mono_ms());
    }
    return t < 0 ? 0 : (int)t;
}

static void pass(hk_dispatcher *d, int timeout_ms)
{
    int running = 0;
    curl_multi_perform(d->multi, &running);
    harvest(d);
    recorded(d);
    claimed(d);
    sweep(d);
    record(d);
    claim(d);
    publish_stats(d);
    if (timeout_ms < 0)
        timeout_ms = sleep_ms(d);
    curl_multi_poll(d->multi, NULL, 0, timeout_ms, NULL);
}

static void abort_in_flight(hk_dispatcher *d)
{
    while (d->flight) {
        delivery_job *job = d->flight;
        curl_multi_remove_handle(d->multi, job->easy);
        leave_flight(d, job);
        d->stats.aborted++;
        hk_log_warn("delivery of %s to %s aborted at stop; it is due again at the next start",
                    job->delivery.event_id, job->delivery.target_id);
        forget(d, job);
    }
}

static void shut_down(hk_dispatcher *d)
{
    delivery_job *queued = delivery_targets_take_queued(d->targets);
    while (queued) {
        delivery_job *next = queued->next;
        d->queued--;
        forget(d, queued); /* still leased: due again at the next start */
        queued = next;
    }
    int64_t deadline = hk_mono_ms() + d->o.stop_grace_ms;
    for (int64_t now = hk_mono_ms(); d->in_flight > 0 && now < deadline; now = hk_mono_ms())
        pass(d, (int)min64(deadline - now, 50));
    harvest(d);
    abort_in_flight(d);
    d->record_retry_ms = 0;
    flush_records(d);
    if (d->unrecorded > 0) {
        hk_log_error("%zu delivery attempts could not be recorded; they will be repeated",
                     d->unrecorded);
        while (d->results) {
            delivery_job *j = d->results;
            d->results = j->next;
            forget(d, j);
        }
        d->results_tail = NULL;
        d->unrecorded = 0;
    }
    publish_stats(d);
}

static void *run(void *arg)
{
    hk_dispatcher *d = arg;
    pthread_setname_np(pthread_self(), "hk-dispatch"); /* for top -H, perf */
    while (!atomic_load(&d->stopping))
        pass(d, -1);
    shut_down(d);
    return NULL;
}

/* ---- public API ---- */

void hk_dispatcher_notify(hk_dispatcher *d)
{
    if (!d)
        return;
    atomic_store(&d->notified, true);
    curl_multi_wakeup(d->multi);
}

static void commit_hook(void *arg, size_t deliveries)
{
    (void)deliveries;
    hk_dispatcher_notify(arg);
}

void hk_dispatcher_get_stats(hk_dispatcher *d, hk_dispatcher_stats *out)
{
    pthread_mutex_lock(&d->stats_lock);
    *out = d->published;
    pthread_mutex_unlock(&d->stats_lock);
}

static void destroy(hk_dispatcher *d)
{
    if (d->hook_installed)
        hk_store_set_commit_hook(d->store, NULL, NULL);
    /* A callback that has just signalled the loop may still be inside
     * curl_multi_wakeup: wait until it is out. */
    pthread_mutex_lock(&d->signal_lock);
    pthread_mutex_unlock(&d->signal_lock);
    delivery_handle_pool_free(d->handles); /* before the share they use */
    if (d->multi)
        curl_multi_cleanup(d->multi);
    if (d->share)
        curl_share_cleanup(d->share);
    if (d->curl_ready)
        curl_global_cleanup();
    delivery_targets_free(d->targets);
    delivery_template_cache_free(d->templates);
    hk_arena_free(d->claim_arena);
    free(d->claim_events);
    free(d->claim_found);
    hk_arena_free(d->scratch);
    free(d->batch);
    free(d->user_agent);
    free(d->tls_client_cert);
    free(d->tls_client_key);
    free(d->tls_ca_file);
    pthread_mutex_destroy(&d->stats_lock);
    pthread_mutex_destroy(&d->signal_lock);
    free(d);
}

void hk_dispatcher_stop(hk_dispatcher *d)
{
    if (!d)
        return;
    if (d->thread_started) {
        atomic_store(&d->stopping, true);
        curl_multi_wakeup(d->multi);
        pthread_join(d->thread, NULL);
        hk_dispatcher_stats s = d->published;
        hk_log_info("dispatcher stopped: %llu attempts (%llu succeeded), %llu aborted",
                    (unsigned long long)s.attempts, (unsigned long long)s.succeeded,
                    (unsigned long long)s.aborted);
    }
    destroy(d);
}

static hk_status copy_string(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return HK_OK;
    *out = strdup(s);
    return *out ? HK_OK : HK_ENOMEM;
}

/* Owned copies of the option strings, and the derived defaults. */
static hk_status take_options(hk_dispatcher *d, const hk_dispatcher_options *o)
{
    d->o = *o;
    d->o.lease_ms = hk_dispatcher_lease_ms(o);
    const char *ua = o->user_agent ? o->user_agent : HK_DISPATCHER_DEFAULT_USER_AGENT;
    if (copy_string(ua, &d->user_agent) || copy_string(o->tls_client_cert, &d->tls_client_cert) ||
        copy_string(o->tls_client_key, &d->tls_client_key) ||
        copy_string(o->tls_ca_file, &d->tls_ca_file))
        return HK_ENOMEM;
    d->o.user_agent = d->user_agent;
    d->o.tls_client_cert = d->tls_client_cert;
    d->o.tls_client_key = d->tls_client_key;
    d->o.tls_ca_file = d->tls_ca_file;
    return HK_OK;
}

static hk_status setup_curl(hk_dispatcher *d, hk_error *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return hk_error_set(err, HK_EINTERNAL, NULL, "cannot initialise libcurl");
    d->curl_ready = true;
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (!(v->features & CURL_VERSION_SSL))
        return hk_error_set(err, HK_EINTERNAL, NULL, "libcurl was built without TLS");
    d->multi = curl_multi_init();
    d->share = curl_share_init();
    if (!d->multi || !d->share)
        return hk_error_set(err, HK_ENOMEM, NULL, "cannot create libcurl handles");
    /* Keep a connection open per busy target (keep-alive, HTTP/2 reuse). */
    curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)d->o.max_in_flight);
    /* One thread uses the share: no lock callbacks needed. TLS sessions are
     * per handle otherwise, and attempts to a target go through many. */
    curl_share_setopt(d->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    d->cfg = (delivery_transfer_config){
        .user_agent = d->o.user_agent,
        .tls_client_cert = d->o.tls_client_cert,
        .tls_client_key = d->o.tls_client_key,
        .tls_ca_file = d->o.tls_ca_file,
        .timeout_ms = d->o.timeout_ms,
        .allow_private = d->o.allow_private_targets,
        .share = d->share,
    };
    /* Every attempt in flight holds a handle. */
    d->handles = delivery_handle_pool_new(&d->cfg, d->o.max_in_flight);
    if (!d->handles)
        return hk_error_set(err, HK_ENOMEM, NULL, "dispatcher: out of memory");
    return HK_OK;
}

static hk_status setup_memory(hk_dispatcher *d, hk_error *err)
{
    d->targets = delivery_targets_new();
    d->templates = delivery_template_cache_new(d->o.template_cache);
    d->claim_arena = hk_arena_new(0);
    d->claim_events = calloc(d->o.claim_batch, sizeof *d->claim_events);
    d->claim_found = calloc(d->o.claim_batch, sizeof *d->claim_found);
    d->scratch = hk_arena_new(0);
    d->batch = calloc(RECORD_CHUNK, sizeof *d->batch);
    if (!d->targets || !d->templates || !d->claim_arena || !d->claim_events || !d->claim_found ||
        !d->scratch || !d->batch)
        return hk_error_set(err, HK_ENOMEM, NULL, "dispatcher: out of memory");
    return HK_OK;
}

static hk_status release_leases(hk_dispatcher *d, hk_error *err)
{
    size_t n = 0;
    hk_status st = hk_delivery_release_leases(d->store, hk_now_ms(), &n, err);
    if (st)
        return st;
    if (n > 0)
        hk_log_info("%zu deliveries were in flight when hookd last stopped: due again now", n);
    return HK_OK;
}

static void log_start(const hk_dispatcher *d)
{
    char schedule[256];
    hk_retry_schedule_format(&d->o.retry, schedule, sizeof schedule);
    hk_log_info("dispatcher started: timeout %lld ms, %zu in flight (%zu per target), retries %s%s",
                (long long)d->o.timeout_ms, d->o.max_in_flight, d->o.per_target_in_flight, schedule,
                d->o.tls_client_cert ? ", TLS client certificate" : "");
}

static hk_status start_thread(hk_dispatcher *d, hk_error *err)
{
    atomic_store(&d->notified, true); /* claim at once: deliveries may be due already */
    int rc = pthread_create(&d->thread, NULL, run, d);
    if (rc != 0)
        return hk_error_set(err, HK_EINTERNAL, NULL, "cannot start the dispatcher thread: %s",
                            strerror(rc));
    d->thread_started = true;
    return HK_OK;
}

hk_status hk_dispatcher_start(hk_store *store, const hk_dispatcher_options *o, hk_dispatcher **out,
                              hk_error *err)
{
    *out = NULL;
    hk_error_clear(err);
    hk_status st = hk_dispatcher_options_check(o, err);
    if (st)
        return st;
    hk_dispatcher *d = calloc(1, sizeof *d);
    if (!d)
        return hk_error_set(err, HK_ENOMEM, NULL, "dispatcher: out of memory");
    d->store = store;
    pthread_mutex_init(&d->stats_lock, NULL);
    pthread_mutex_init(&d->signal_lock, NULL);
    d->claim_log.window_ms = d->record_log.window_ms = d->load_log.window_ms =
        FAILURE_LOG_WINDOW_MS;
    atomic_init(&d->claim_done, false);
    atomic_init(&d->record_done, false);
    atomic_init(&d->notified, false);
    atomic_init(&d->stopping, false);
    st = take_options(d, o);
    if (st)
        hk_error_set(err, st, NULL, "dispatcher: out of memory");
    if (!st)
        st = setup_curl(d, err);
    if (!st)
        st = setup_memory(d, err);
    if (!st)
        st = release_leases(d, err);
    if (!st && d->o.set_commit_hook) {
        hk_store_set_commit_hook(store, commit_hook, d);
        d->hook_installed = true;
    }
    if (!st)
        st = start_thread(d, err);
    if (st) {
        destroy(d);
        return st;
    }
    log_start(d);
    *out = d;
    return HK_OK;
}
