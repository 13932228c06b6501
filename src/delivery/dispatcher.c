/*
 * dispatcher.c - the delivery loop (see dispatcher.h).
 *
 * Everything below runs on the dispatcher thread except hk_dispatcher_start,
 * hk_dispatcher_notify*, hk_dispatcher_stop and hk_dispatcher_get_stats.
 * A claimed delivery is a delivery_job; it is in exactly one place at a
 * time: queued behind its target, in flight (a libcurl handle in the multi
 * handle), or finished and waiting to be recorded. "Held" deliveries (all
 * three) never exceed 2 x max_in_flight, which bounds memory.
 *
 * Isolation (issue 14). The store is asked for deliveries target by target,
 * never "the oldest due, whoever they are for": each claim names the targets
 * that can start more attempts now and how many each can take (its `limit`
 * plus as many again waiting, fewer under a rate cap), workspaces in turn.
 * A target that is slow or hanging therefore never holds more than its own
 * slots, whatever its backlog, and the others' deliveries are claimed as
 * soon as they are due. The dispatcher learns which targets have work from
 * the store's commit hook (the targets a commit made deliveries due for),
 * from each claim (the target's next due time), from the attempts it
 * records (retry times), and from a scan of the targets with pending
 * deliveries, once a second and whenever the hook cannot name them.
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
#include "delivery/target_stats.h"
#include "delivery/targets.h"
#include "delivery/template_cache.h"
#include "delivery/transfer.h"
#include "domain/deliveries.h"

/* An attempt starts only if its lease outlives it by this much: room to
 * record the outcome before another claim could take the delivery. */
#define LEASE_MARGIN_MS 5000
/* The longest sleep: expired leases are not announced, so look again. */
#define IDLE_RECHECK_MS 1000
/* How often every target with pending deliveries is looked at in the store
 * (expired leases, work another process made due). */
#define SCAN_INTERVAL_MS 1000
/* Targets per scan read: a scan of thousands goes over several passes. */
#define SCAN_PAGE 256
/* After a failed record, wait before trying again. */
#define RECORD_RETRY_MS 1000
/* How often queues are cut down to what their targets can start in time. */
#define SWEEP_INTERVAL_MS 100
/* Results per hk_delivery_record call. */
#define RECORD_CHUNK 256
/* Notifications kept between two passes; past it, scan instead. */
#define INCOMING_MAX 4096
/* A store failure that repeats (claims retried every second while the
 * store refuses writes) is logged once per this window, with a count. */
#define FAILURE_LOG_WINDOW_MS 60000
/* A target under a requests-per-second cap has at most this many seconds
 * of attempts claimed ahead. */
#define PACED_LOOKAHEAD_S 2
/* A target that answers fast has this much of its work claimed ahead:
 * longer than a claim takes to commit under load. */
#define LOOKAHEAD_MS 50

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
    atomic_bool stopping;

    /* Owned by the dispatcher thread. */
    delivery_targets *targets;
    delivery_template_cache *templates;
    hk_arena *claim_arena;   /* rows of the last claim, and their events while routed */
    hk_delivery *claim_rows; /* max_held of them: the last claim's rows, contiguous */
    hk_event *claim_events;  /* for claim_rows */
    bool *claim_found;
    hk_arena *scratch;    /* one delivery's load and request temporaries */
    delivery_job *flight; /* in-flight list */
    size_t in_flight, queued;
    delivery_job *results, *results_tail; /* finished, to record, oldest first */
    size_t unrecorded;
    int64_t oldest_result_ms;  /* monotonic */
    int64_t record_retry_ms;   /* monotonic; no record before this after a failure */
    hk_delivery_result *batch; /* RECORD_CHUNK results for hk_delivery_record */
    hk_record_policy policy;
    size_t record_disabled; /* targets the record committing disabled */
    int64_t next_sweep_ms;  /* monotonic: next look at the queues */
    hk_dispatcher_stats stats;

    /* Claim planning. `plan_dirty`: something changed that may allow a claim
     * (an attempt ended, a notification, a claim or scan came back), so the
     * slots are looked at again; otherwise only once next_claim_at comes. */
    bool plan_dirty;
    int64_t next_claim_at;        /* wall clock */
    char rr_workspace[HK_ID_MAX]; /* the workspace the last claim served last */
    hk_claim_want *wants;         /* claim_batch of them */
    delivery_target **want_slots; /* their slots, claiming meanwhile */
    delivery_target **candidates; /* planning scratch, grown with the slots */
    size_t candidates_cap;

    /* Scanning the store for targets with pending deliveries. */
    int64_t next_scan_ms; /* monotonic */
    bool scanning;        /* a scan is under way, continuing from the cursor */
    char scan_ws[HK_ID_MAX], scan_target[HK_ID_MAX];

    /* Targets waiting for their requests-per-second cap to let an attempt go. */
    delivery_target **paced;
    size_t n_paced, paced_cap;

    /* Notifications from the commit hook (writer thread), under notify_lock. */
    pthread_mutex_t notify_lock;
    hk_due_target *incoming, *draining; /* INCOMING_MAX each, swapped by drain */
    size_t n_incoming;
    bool incoming_any;
    atomic_bool notified;

    /* The store works for the loop asynchronously: at most one claim and one
     * record are committing at a time while attempts go on. Their callbacks
     * run on the store's writer thread: they fill in the status and error,
     * then set the flag (release); the loop takes the flag (acquire). */
    bool claim_busy, record_busy;
    atomic_bool claim_done, record_done;
    hk_status claim_status, record_status;
    char claim_error[HK_ERROR_MESSAGE_MAX], record_error[HK_ERROR_MESSAGE_MAX];
    size_t claim_n;          /* wants in the claim committing */
    int64_t claim_now;       /* wall clock it claimed at */
    int64_t claim_lease_end; /* monotonic */
    size_t recording;        /* the first `recording` results are in the record committing */
    /* Held by a callback while it signals, so that stop cannot free the
     * multi handle under its curl_multi_wakeup. */
    pthread_mutex_t signal_lock;

    pthread_mutex_t stats_lock;
    hk_dispatcher_stats published;
    hk_target_stats *per_target; /* NULL: metrics_target_labels 0 */

    /* Repeated store failures, logged through a gate each (hk_log_gate). */
    hk_log_gate claim_log, record_log, load_log, scan_log;
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

static int64_t min_time(int64_t a, int64_t b)
{
    if (a == HK_TIME_NONE)
        return b;
    if (b == HK_TIME_NONE)
        return a;
    return a < b ? a : b;
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

/* Gives a claimed delivery back to its lease, and has its target claimed
 * for again once the lease has run out at the latest. */
static void defer(hk_dispatcher *d, delivery_job *job)
{
    d->stats.deferred++;
    delivery_target *slot = job->target;
    if (slot && slot->due_at == HK_TIME_NONE)
        slot->due_at = hk_now_ms() + d->o.lease_ms;
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
    if (d->per_target)
        hk_target_stats_record(d->per_target, job->delivery.workspace_id, job->delivery.target_id,
                               r->succeeded, r->attempt.status_code, r->attempt.duration_ms);
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
    hk_log_ids ids = {dl->workspace_id, dl->target_id, dl->event_id,
                      r->drop ? NULL : r->attempt.attempt_id};
    if (r->drop) {
        hk_log_with(HK_LOG_INFO, &ids,
                    "delivery of %s to %s dropped: the event or target is gone or disabled",
                    dl->event_id, dl->target_id);
    } else if (r->succeeded) {
        hk_log_with(HK_LOG_DEBUG, &ids, "delivered %s to %s (%s): attempt %u, HTTP %d, %lld ms",
                    dl->event_id, dl->target_id, job->log_url, r->attempt.number,
                    r->attempt.status_code, (long long)r->attempt.duration_ms);
    } else if (r->retry_at == HK_TIME_NONE) {
        hk_log_with(HK_LOG_WARN, &ids,
                    "delivery of %s to %s (%s) failed for good after attempt %u: %s", dl->event_id,
                    dl->target_id, job->log_url, r->attempt.number, r->attempt.error);
    } else {
        char at[HK_TIME_ISO_BUF];
        hk_time_format(r->retry_at, at);
        hk_log_with(HK_LOG_INFO, &ids,
                    "delivery of %s to %s (%s): attempt %u failed: %s; retry at %s", dl->event_id,
                    dl->target_id, job->log_url, r->attempt.number, r->attempt.error, at);
    }
    if (job->address_refused)
        hk_log_with(HK_LOG_WARN, &ids, "delivery to %s (%s): refused to connect to a %s address",
                    dl->target_id, job->log_url, hk_addr_class_name(job->refused_class));
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
    if (++job->target->in_flight == job->target->limit)
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
    if (found && !reuse) {
        slot->conf_loaded_ms = now;
        slot->rps = slot->conf.max_requests_per_second;
    }
    if (!found || !slot->conf.is_enabled) {
        delivery_transfer_drop(job);
        push_result(d, job);
        return false;
    }
    dj->target = slot->conf;
    dj->secret = slot->conf_secret;
    return true;
}

/* ---- pacing: a target's requests-per-second cap ---- */

static int64_t mono_us(void)
{
    return hk_mono_ms() * 1000; /* hk_mono_ms is what the loop sleeps by */
}

/* Whether the target's cap lets an attempt start now. */
static bool pace_allows(const delivery_target *slot, int64_t now_us)
{
    return slot->rps == 0 || now_us >= slot->next_start_us;
}

/* An attempt starts: the next may start 1/rps later (a steady pace, no
 * bursts: at most rps + 1 requests in any second). */
static void pace_note_start(delivery_target *slot, int64_t now_us)
{
    if (slot->rps == 0)
        return;
    int64_t from = slot->next_start_us > now_us ? slot->next_start_us : now_us;
    slot->next_start_us = from + 1000000 / (int64_t)slot->rps;
}

/* The slot waits for its pace: it goes on the paced list (once). */
static void pace_wait(hk_dispatcher *d, delivery_target *slot)
{
    if (slot->paced)
        return;
    if (d->n_paced == d->paced_cap) {
        size_t ncap = d->paced_cap ? 2 * d->paced_cap : 16;
        delivery_target **grown = realloc(d->paced, ncap * sizeof *grown);
        if (!grown)
            return; /* its queue waits for the next attempt to end or the sweep */
        d->paced = grown;
        d->paced_cap = ncap;
    }
    d->paced[d->n_paced++] = slot;
    slot->paced = true;
}

/* ---- starting attempts ---- */

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
    pace_note_start(job->target, mono_us());
    enter_flight(d, job);
}

/*
 * How many claimed deliveries may wait behind a target: as many as it can
 * start within their lease, judging by how long its attempts take — the
 * average of the finished ones, or how long it has been full without one
 * finishing, whichever is longer (a target that hangs is noticed before its
 * first timeout). The others go back to their lease. Claims ask for little
 * more than a target can start (see want), so this only trims the queue of
 * a target that slowed down after it was claimed for.
 */
static size_t queue_cap(const hk_dispatcher *d, const delivery_target *slot, int64_t now)
{
    int64_t pace = slot->duration_ms;
    if (slot->in_flight >= slot->limit && now - slot->progress_ms > pace)
        pace = now - slot->progress_ms;
    size_t cap = max_held(d);
    int64_t window = d->o.lease_ms - d->o.timeout_ms - LEASE_MARGIN_MS;
    if (pace > 0 && (uint64_t)(window / pace) < cap / slot->limit)
        cap = slot->limit * (size_t)(window / pace);
    if (d->o.per_target_queue > 0 && d->o.per_target_queue < cap)
        cap = d->o.per_target_queue;
    return cap;
}

static bool slot_free(const delivery_target *slot)
{
    return slot->in_flight < slot->limit;
}

/* Starts what waits for `slot` while it, its pace and the dispatcher have
 * room; a slot held back by the dispatcher's limit only waits on the ready
 * list, one held back by its pace on the paced list. */
static void start_queued(hk_dispatcher *d, delivery_target *slot)
{
    delivery_job *job;
    int64_t now_us = mono_us();
    while (slot_free(slot) && d->in_flight < d->o.max_in_flight && pace_allows(slot, now_us) &&
           (job = delivery_target_pop(slot))) {
        d->queued--;
        start(d, job);
    }
    if (slot->queued > 0 && slot_free(slot)) {
        if (!pace_allows(slot, now_us))
            pace_wait(d, slot);
        else
            delivery_targets_mark_ready(d->targets, slot);
    }
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

/* Serves the slots whose pace now lets an attempt go. */
static void start_paced(hk_dispatcher *d)
{
    int64_t now_us = mono_us();
    size_t kept = 0, n = d->n_paced;
    for (size_t i = 0; i < n; i++) {
        delivery_target *slot = d->paced[i];
        if (pace_allows(slot, now_us)) {
            slot->paced = false;
            start_queued(d, slot); /* may put it back: appended past n */
        } else {
            d->paced[kept++] = slot;
        }
    }
    /* Keep the ones that were put back while serving. */
    for (size_t i = n; i < d->n_paced; i++)
        d->paced[kept++] = d->paced[i];
    d->n_paced = kept;
}

/* When the first paced slot may go (monotonic ms), or -1 when none waits. */
static int64_t next_paced_ms(const hk_dispatcher *d)
{
    int64_t first = -1;
    for (size_t i = 0; i < d->n_paced; i++) {
        int64_t at = (d->paced[i]->next_start_us + 999) / 1000;
        if (first < 0 || at < first)
            first = at;
    }
    return first;
}

/* A claimed job goes out now, waits behind its target, or back to its lease. */
static void route(hk_dispatcher *d, delivery_job *job, delivery_target *slot)
{
    job->target = slot;
    if (slot_free(slot) && d->in_flight < d->o.max_in_flight && slot->queued == 0 &&
        pace_allows(slot, mono_us())) {
        start(d, job);
    } else if (slot->queued < queue_cap(d, slot, hk_mono_ms())) {
        delivery_target_push(slot, job);
        d->queued++;
        if (slot_free(slot)) {
            if (!pace_allows(slot, mono_us()))
                pace_wait(d, slot);
            else
                delivery_targets_mark_ready(d->targets, slot);
        }
    } else {
        defer(d, job);
    }
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

/* A target's attempt ended: a success earns it one more attempt at once (up
 * to the per-target limit); a sign that it is overloaded or down (no
 * response, 429, 5xx) halves what it gets and stops claiming ahead for it,
 * so a target that hangs holds one slot, not eight. Other failures (a 4xx,
 * a redirect) say nothing about its capacity. */
static void adapt(hk_dispatcher *d, delivery_target *slot, const hk_delivery_result *r)
{
    if (r->drop)
        return;
    int code = r->attempt.status_code;
    if (r->succeeded) {
        slot->failing = false;
        if (slot->limit < d->o.per_target_in_flight)
            slot->limit++;
    } else if (code == 0 || code == 429 || code >= 500) {
        slot->failing = true;
        slot->limit = slot->limit > 1 ? slot->limit / 2 : 1;
    }
}

/* ---- learning what is due ---- */

/* The store may have something of `slot` to claim from `at` on. */
static void due_by(hk_dispatcher *d, delivery_target *slot, int64_t at)
{
    slot->due_at = min_time(slot->due_at, at);
    if (slot->claiming)
        slot->notified = true; /* the claim's answer may predate this */
    d->plan_dirty = true;
}

/* Takes the commit hook's notifications (see hk_dispatcher_notify_due). */
static void drain_notifications(hk_dispatcher *d)
{
    if (!atomic_exchange(&d->notified, false))
        return;
    pthread_mutex_lock(&d->notify_lock);
    hk_due_target *list = d->incoming;
    size_t n = d->n_incoming;
    bool any = d->incoming_any;
    d->incoming = d->draining;
    d->draining = list;
    d->n_incoming = 0;
    d->incoming_any = false;
    pthread_mutex_unlock(&d->notify_lock);
    int64_t now = hk_now_ms();
    for (size_t i = 0; i < n; i++) {
        delivery_target *slot =
            delivery_targets_track(d->targets, list[i].workspace_id, list[i].target_id);
        if (slot)
            due_by(d, slot, now);
        else
            any = true; /* out of memory: the scan will find it */
    }
    if (any && !d->scanning) {
        d->next_scan_ms = 0; /* at once */
        d->plan_dirty = true;
    }
}

/*
 * One read of the targets with pending deliveries, continuing a scan: every
 * target found gets a slot and learns its earliest due time. A scan only
 * ever makes due times earlier: its snapshot may predate a claim or a
 * notification, and a due time too early costs one empty claim, while one
 * too late would leave deliveries waiting.
 */
static void scan(hk_dispatcher *d)
{
    int64_t mono = hk_mono_ms();
    if (atomic_load(&d->stopping) || (!d->scanning && mono < d->next_scan_ms))
        return;
    if (!d->scanning) {
        d->scanning = true;
        d->scan_ws[0] = d->scan_target[0] = '\0';
    }
    hk_due_target *rows;
    size_t n;
    hk_error err;
    hk_arena_reset(d->scratch);
    if (hk_delivery_due_targets(d->store, d->scan_ws, d->scan_target, SCAN_PAGE, d->scratch, &rows,
                                &n, &err) != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->scan_log, "cannot look for targets with deliveries", err.message);
        d->scanning = false;
        d->next_scan_ms = mono + SCAN_INTERVAL_MS;
        return;
    }
    log_recovery(&d->scan_log, "looking for targets with deliveries");
    d->stats.scans += n < SCAN_PAGE;
    for (size_t i = 0; i < n; i++) {
        delivery_target *slot =
            delivery_targets_track(d->targets, rows[i].workspace_id, rows[i].target_id);
        if (slot && (slot->due_at == HK_TIME_NONE || rows[i].next_due < slot->due_at))
            due_by(d, slot, rows[i].next_due);
    }
    if (n == SCAN_PAGE) { /* more: the next pass goes on from here */
        snprintf(d->scan_ws, sizeof d->scan_ws, "%s", rows[n - 1].workspace_id);
        snprintf(d->scan_target, sizeof d->scan_target, "%s", rows[n - 1].target_id);
        return;
    }
    d->scanning = false;
    d->next_scan_ms = mono + SCAN_INTERVAL_MS;
}

/* ---- claiming ---- */

/* How many more deliveries the target should be claimed for: what it may
 * have in flight, and waiting behind that what it gets through in
 * LOOKAHEAD_MS at its pace (at least as many again as it may have in flight,
 * at most half of what the dispatcher holds), so that a fast target never
 * idles while its next claim commits; none waiting while it is failing (a
 * target that is down need not hold deliveries it cannot take), at most
 * PACED_LOOKAHEAD_S seconds under a rate cap; less what it holds. */
static size_t want(const hk_dispatcher *d, const delivery_target *slot)
{
    size_t waiting = slot->limit;
    if (slot->failing) {
        waiting = 0;
    } else if (slot->duration_ms > 0 && slot->duration_ms < LOOKAHEAD_MS) {
        waiting = slot->limit * (size_t)(LOOKAHEAD_MS / slot->duration_ms);
        if (waiting > max_held(d) / 2)
            waiting = max_held(d) / 2;
    }
    size_t cap = slot->limit + waiting;
    if (slot->rps > 0 && (size_t)slot->rps * PACED_LOOKAHEAD_S < cap)
        cap = (size_t)slot->rps * PACED_LOOKAHEAD_S;
    size_t has = slot->in_flight + slot->queued;
    return cap > has ? cap - has : 0;
}

typedef struct plan_state {
    hk_dispatcher *d;
    int64_t now;      /* wall clock */
    int64_t next_due; /* the earliest due time after now among the slots */
    size_t n;
} plan_state;

static void consider(delivery_target *slot, void *arg)
{
    plan_state *p = arg;
    if (slot->claiming || slot->due_at == HK_TIME_NONE)
        return;
    if (slot->due_at > p->now) {
        p->next_due = min_time(p->next_due, slot->due_at);
        return;
    }
    if (want(p->d, slot) == 0)
        return; /* it asks again when one of its attempts ends */
    if (p->n < p->d->candidates_cap)
        p->d->candidates[p->n++] = slot;
}

/* Workspaces in order, and in each the target claimed for longest ago first. */
static int by_workspace(const void *a, const void *b)
{
    const delivery_target *x = *(delivery_target *const *)a, *y = *(delivery_target *const *)b;
    int c = strcmp(x->workspace_id, y->workspace_id);
    if (c)
        return c;
    return (x->last_claim_ms > y->last_claim_ms) - (x->last_claim_ms < y->last_claim_ms);
}

static bool grow_candidates(hk_dispatcher *d)
{
    size_t need = delivery_targets_count(d->targets);
    if (need <= d->candidates_cap)
        return true;
    delivery_target **grown = realloc(d->candidates, need * sizeof *grown);
    if (!grown)
        return false;
    d->candidates = grown;
    d->candidates_cap = need;
    return true;
}

/* Adds `slot` to the claim with as many as it wants, within the budget. */
static void ask(hk_dispatcher *d, delivery_target *slot, size_t *budget, int64_t mono)
{
    size_t k = want(d, slot);
    if (k > *budget)
        k = *budget;
    hk_claim_want *w = &d->wants[d->claim_n];
    memset(w, 0, sizeof *w);
    snprintf(w->workspace_id, sizeof w->workspace_id, "%s", slot->workspace_id);
    snprintf(w->target_id, sizeof w->target_id, "%s", slot->id);
    w->max = k;
    d->want_slots[d->claim_n++] = slot;
    slot->claiming = true;
    slot->notified = false;
    slot->last_claim_ms = mono;
    *budget -= k;
}

/*
 * Picks the targets to claim for: due now, with room. Workspaces take turns
 * (one target each per round, starting after the workspace the last claim
 * served last), so that under a shortage of slots a workspace with many
 * targets does not crowd out one with few. Returns the number of wants.
 */
static size_t plan(hk_dispatcher *d, int64_t now)
{
    d->claim_n = 0;
    if (!grow_candidates(d))
        return 0;
    plan_state p = {d, now, HK_TIME_NONE, 0};
    delivery_targets_each(d->targets, consider, &p);
    d->next_claim_at = p.next_due == HK_TIME_NONE ? now + IDLE_RECHECK_MS : p.next_due;
    if (p.n == 0)
        return 0;
    qsort(d->candidates, p.n, sizeof *d->candidates, by_workspace);
    /* Runs of one workspace each, taken in turn, from the first workspace
     * after the one served last. */
    size_t first = 0;
    while (first < p.n && strcmp(d->candidates[first]->workspace_id, d->rr_workspace) <= 0)
        first++;
    if (first == p.n)
        first = 0;
    size_t budget = max_held(d) - held(d);
    int64_t mono = hk_mono_ms();
    bool progress = true;
    while (progress && budget > 0 && d->claim_n < d->o.claim_batch) {
        progress = false; /* a round: the next target of every workspace */
        size_t i = first, visited = 0;
        while (visited < p.n && budget > 0 && d->claim_n < d->o.claim_batch) {
            size_t end = i + 1;
            while (end < p.n &&
                   strcmp(d->candidates[end]->workspace_id, d->candidates[i]->workspace_id) == 0)
                end++;
            for (size_t k = i; k < end; k++) {
                if (d->candidates[k]->claiming)
                    continue;
                ask(d, d->candidates[k], &budget, mono);
                snprintf(d->rr_workspace, sizeof d->rr_workspace, "%s",
                         d->candidates[k]->workspace_id);
                progress = true;
                break;
            }
            visited += end - i;
            i = end == p.n ? 0 : end;
        }
    }
    return d->claim_n;
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

/* Gives the wants' slots back, as if nothing had been claimed. */
static void unplan(hk_dispatcher *d)
{
    for (size_t i = 0; i < d->claim_n; i++)
        d->want_slots[i]->claiming = false;
    d->claim_n = 0;
}

/* Submits a claim for the targets that can take more now; its rows are
 * routed by `claimed` while the attempts in flight go on. */
static void claim(hk_dispatcher *d)
{
    int64_t now = hk_now_ms();
    if (d->claim_busy || atomic_load(&d->stopping) || held(d) >= max_held(d))
        return;
    if (!d->plan_dirty && now < d->next_claim_at)
        return;
    d->plan_dirty = false;
    if (plan(d, now) == 0)
        return;
    hk_arena_reset(d->claim_arena);
    d->claim_now = now;
    d->claim_lease_end = hk_mono_ms() + d->o.lease_ms;
    hk_error err;
    if (hk_delivery_claim_targets_submit(d->store, now, d->o.lease_ms, d->wants, d->claim_n,
                                         d->claim_arena, claim_committed, d, &err) != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->claim_log, "cannot claim deliveries", err.message);
        unplan(d);
        d->next_claim_at = now + IDLE_RECHECK_MS;
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

/* After a claim: each target learns when its next delivery is due; its rows
 * are gathered into claim_rows (their events are read together). */
static size_t settle_wants(hk_dispatcher *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->claim_n; i++) {
        hk_claim_want *w = &d->wants[i];
        delivery_target *slot = d->want_slots[i];
        slot->claiming = false;
        slot->due_at = w->next_due;
        if (slot->notified) /* made due while the claim was committing */
            slot->due_at = min_time(slot->due_at, d->claim_now);
        slot->notified = false;
        memcpy(d->claim_rows + n, w->rows, w->n * sizeof *w->rows);
        n += w->n;
    }
    return n;
}

/* Routes what the last claim got, once it has committed. While stopping,
 * the rows are left to their leases instead (due again at the next start). */
static void claimed(hk_dispatcher *d)
{
    if (!d->claim_busy || !atomic_exchange_explicit(&d->claim_done, false, memory_order_acquire))
        return;
    d->claim_busy = false;
    d->plan_dirty = true;
    if (d->claim_status != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->claim_log, "cannot claim deliveries", d->claim_error);
        unplan(d);
        d->plan_dirty = false;
        d->next_claim_at = d->claim_now + IDLE_RECHECK_MS;
        return;
    }
    log_recovery(&d->claim_log, "claiming deliveries");
    size_t n = settle_wants(d);
    d->stats.claimed += n;
    if (atomic_load(&d->stopping)) {
        d->stats.deferred += n;
        d->claim_n = 0;
        return;
    }
    bool events = load_claim_events(d, n);
    size_t row = 0;
    for (size_t i = 0; i < d->claim_n; i++) {
        delivery_target *slot = d->want_slots[i];
        for (size_t k = 0; k < d->wants[i].n; k++, row++) {
            delivery_job *job = calloc(1, sizeof *job);
            if (!job) {
                d->stats.deferred++; /* its lease brings it back */
                slot->due_at = min_time(slot->due_at, d->claim_now + d->o.lease_ms);
                continue;
            }
            job->delivery = d->claim_rows[row];
            job->lease_end_ms = d->claim_lease_end;
            if (events)
                take_event(job, &d->claim_events[row], d->claim_found[row]);
            route(d, job, slot);
        }
        delivery_targets_release_idle(d->targets, slot);
    }
    d->claim_n = 0;
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
        adapt(d, slot, &job->result);
        push_result(d, job);
        start_queued(d, slot);
        /* A target with nothing in hand reads its settings (URL, secret)
         * afresh at its next attempt: a change made meanwhile applies at once. */
        if (slot->in_flight == 0 && slot->queued == 0)
            slot->conf_loaded_ms = 0;
        delivery_targets_release_idle(d->targets, slot);
        d->plan_dirty = true; /* room for more */
    }
    start_ready(d);
    if (d->n_paced > 0)
        start_paced(d);
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
    if (hk_delivery_record_submit(d->store, d->batch, n, &d->policy, &d->record_disabled,
                                  record_committed, d, &err) != HK_OK) {
        d->stats.store_errors++;
        log_failure(&d->record_log, "cannot record delivery attempts", err.message);
        d->record_retry_ms = hk_mono_ms() + RECORD_RETRY_MS;
        return;
    }
    d->recording = n;
    d->record_busy = true;
}

/* A recorded retry makes its target due again at the retry's time: the
 * store's due time is now that, where before it was the lease's end. */
static void note_retry(hk_dispatcher *d, const delivery_job *j)
{
    const hk_delivery_result *r = &j->result;
    if (r->drop || r->succeeded || r->retry_at == HK_TIME_NONE)
        return;
    delivery_target *slot =
        delivery_targets_track(d->targets, j->delivery.workspace_id, j->delivery.target_id);
    if (slot)
        due_by(d, slot, r->retry_at);
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
    d->stats.targets_disabled += d->record_disabled;
    for (size_t i = 0; i < n; i++) {
        delivery_job *j = d->results;
        d->results = j->next;
        note_retry(d, j);
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
    d->stats.targets_tracked = delivery_targets_count(d->targets);
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
    int64_t mono = hk_mono_ms();
    /* A claim or record committing wakes the loop when it is done; so do
     * notifications and finished attempts (plan_dirty). */
    if (!atomic_load(&d->stopping) && held(d) < max_held(d) && !d->claim_busy)
        t = d->plan_dirty ? 0 : min64(t, d->next_claim_at - hk_now_ms());
    if (!atomic_load(&d->stopping))
        t = min64(t, d->scanning ? 0 : d->next_scan_ms - mono);
    int64_t paced = next_paced_ms(d);
    if (paced >= 0)
        t = min64(t, paced - mono);
    if (d->unrecorded > 0 && !d->record_busy) {
        int64_t at =
            d->record_retry_ms ? d->record_retry_ms : d->oldest_result_ms + d->o.record_delay_ms;
        t = min64(t, at - mono);
    }
    return t < 0 ? 0 : (int)t;
}

static void pass(hk_dispatcher *d, int timeout_ms)
{
    int running = 0;
    curl_multi_perform(d->multi, &running);
    harvest(d);
    recorded(d);
    drain_notifications(d);
    if (d->n_paced > 0)
        start_paced(d);
    /* What was just started goes out before the reads below (a claim's events,
     * a scan), which block this thread: on PostgreSQL each is a round trip to
     * another process, and a paced attempt sent late makes the gap to the
     * next one shorter than its target's cap allows. */
    curl_multi_perform(d->multi, &running);
    claimed(d);
    curl_multi_perform(d->multi, &running);
    sweep(d);
    record(d);
    scan(d);
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

void hk_dispatcher_notify_due(hk_dispatcher *d, const hk_due_target *due, size_t n, bool any)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->notify_lock);
    if (d->n_incoming + n > INCOMING_MAX) {
        any = true;
        n = 0;
    }
    memcpy(d->incoming + d->n_incoming, due, n * sizeof *due);
    d->n_incoming += n;
    d->incoming_any |= any;
    pthread_mutex_unlock(&d->notify_lock);
    atomic_store(&d->notified, true);
    curl_multi_wakeup(d->multi);
}

void hk_dispatcher_notify(hk_dispatcher *d)
{
    hk_dispatcher_notify_due(d, NULL, 0, true);
}

static void commit_hook(void *arg, const hk_due_target *due, size_t n, bool any)
{
    hk_dispatcher_notify_due(arg, due, n, any);
}

hk_target_stats *hk_dispatcher_target_stats(hk_dispatcher *d)
{
    return d->per_target;
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
    hk_target_stats_free(d->per_target);
    delivery_template_cache_free(d->templates);
    hk_arena_free(d->claim_arena);
    free(d->claim_rows);
    free(d->claim_events);
    free(d->claim_found);
    free(d->wants);
    free(d->want_slots);
    free(d->candidates);
    free(d->paced);
    free(d->incoming);
    free(d->draining);
    hk_arena_free(d->scratch);
    free(d->batch);
    free(d->user_agent);
    free(d->tls_client_cert);
    free(d->tls_client_key);
    free(d->tls_ca_file);
    pthread_mutex_destroy(&d->stats_lock);
    pthread_mutex_destroy(&d->signal_lock);
    pthread_mutex_destroy(&d->notify_lock);
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
    /* A claim takes at most what may be held. */
    size_t rows = max_held(d);
    d->claim_rows = calloc(rows, sizeof *d->claim_rows);
    d->claim_events = calloc(rows, sizeof *d->claim_events);
    d->claim_found = calloc(rows, sizeof *d->claim_found);
    d->wants = calloc(d->o.claim_batch, sizeof *d->wants);
    d->want_slots = calloc(d->o.claim_batch, sizeof *d->want_slots);
    d->incoming = calloc(INCOMING_MAX, sizeof *d->incoming);
    d->draining = calloc(INCOMING_MAX, sizeof *d->draining);
    d->scratch = hk_arena_new(0);
    d->batch = calloc(RECORD_CHUNK, sizeof *d->batch);
    if (d->o.metrics_target_labels > 0 &&
        !(d->per_target = hk_target_stats_new(d->o.metrics_target_labels)))
        return hk_error_set(err, HK_ENOMEM, NULL, "dispatcher: out of memory");
    if (!d->targets || !d->templates || !d->claim_arena || !d->claim_rows || !d->claim_events ||
        !d->claim_found || !d->wants || !d->want_slots || !d->incoming || !d->draining ||
        !d->scratch || !d->batch)
        return hk_error_set(err, HK_ENOMEM, NULL, "dispatcher: out of memory");
    return HK_OK;
}

/* Single node (SQLite): what the last process had in flight is due again
 * now. A shared store (PostgreSQL) never does this: the leases there may be
 * another node's, live; a dead node's run out by themselves, and whoever
 * claims next takes those deliveries over. */
static hk_status release_leases(hk_dispatcher *d, hk_error *err)
{
    if (hk_store_shared(d->store))
        return HK_OK;
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
    char disable[64] = "never";
    if (d->o.disable_failing_after_ms > 0)
        snprintf(disable, sizeof disable, "after %lld ms of failures",
                 (long long)d->o.disable_failing_after_ms);
    hk_log_info("dispatcher started: timeout %lld ms, %zu in flight (%zu per target), retries %s, "
                "targets disabled %s%s",
                (long long)d->o.timeout_ms, d->o.max_in_flight, d->o.per_target_in_flight, schedule,
                disable, d->o.tls_client_cert ? ", TLS client certificate" : "");
}

static hk_status start_thread(hk_dispatcher *d, hk_error *err)
{
    d->next_scan_ms = 0; /* look at once: deliveries may be due already */
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
    pthread_mutex_init(&d->notify_lock, NULL);
    d->claim_log.window_ms = d->record_log.window_ms = d->load_log.window_ms =
        d->scan_log.window_ms = FAILURE_LOG_WINDOW_MS;
    d->policy.disable_after_ms = o->disable_failing_after_ms;
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
