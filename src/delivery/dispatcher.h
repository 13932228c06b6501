/*
 * dispatcher.h - the delivery engine (SPEC §5): one thread that claims due
 * deliveries from the store, sends each attempt over HTTP with libcurl's
 * multi interface, and records the outcomes.
 *
 * The loop: claim due deliveries (leased, so a crash makes them due again),
 * load each, build its body and headers, POST it; on completion record the
 * attempt in batches (at most ~record_delay_ms after it ended) with the next
 * retry time from the schedule, or failed after the last retry. It sleeps
 * until the next delivery is due (at most 1 s, so expired leases are seen),
 * or until hk_dispatcher_notify_due says new deliveries were committed.
 *
 * Isolation: deliveries are claimed per target, each target for no more
 * than it can start (its current limit, and as many again waiting), with
 * workspaces taking turns; so a slow or hanging target never holds more than
 * its own slots, and never delays another target's deliveries, whatever its
 * backlog. A target's limit starts at 1 and grows by one per success up to
 * per_target_in_flight; a timeout, a refused connection, a 429 or a 5xx
 * halves it and stops claiming ahead for it. A target may cap its requests
 * per second (paced evenly) and ask for its deliveries in order per
 * customer (the store holds back a customer's next delivery until the one
 * before is done). A target whose attempts have all failed for
 * disable_failing_after_ms is disabled. An attempt is only started while
 * its lease still covers the whole attempt, so one process never sends a
 * delivery twice.
 *
 * Memory is bounded: at most 2 x max_in_flight claimed deliveries are held
 * (in flight, queued, or waiting to be recorded), plus the template cache.
 */
#ifndef HOOKD_DELIVERY_DISPATCHER_H
#define HOOKD_DELIVERY_DISPATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "delivery/retry.h"
#include "domain/model.h"
#include "store/store.h"

#define HK_DISPATCHER_DEFAULT_USER_AGENT "Plain-Webhooks/1.0 (plain.com; help@plain.com)"

typedef struct hk_dispatcher_options {
    hk_retry_schedule retry;     /* default: SPEC §5 */
    int64_t timeout_ms;          /* per attempt, default 30000 */
    size_t max_in_flight;        /* attempts at once (and claimed deliveries held), default 256 */
    size_t per_target_in_flight; /* attempts at once per target, default 8 */
    size_t per_target_queue;     /* claimed deliveries waiting per target at most, 0: as many
                                    as the target can start within their lease (see below) */
    const char *user_agent;      /* NULL: HK_DISPATCHER_DEFAULT_USER_AGENT */
    const char *tls_client_cert; /* PEM file presented to every target (mTLS), NULL: none */
    const char *tls_client_key;  /* its PEM key; NULL: in the cert file */
    const char *tls_ca_file;     /* PEM bundle to verify targets, NULL: the system's */
    bool allow_private_targets;  /* development mode: http:// and private addresses */
    int64_t lease_ms;            /* 0: timeout + 60 s; at least timeout + 5 s. On a shared
                                    store, how long a dead node's deliveries wait */
    size_t claim_batch;          /* deliveries per claim, default 64 */
    int64_t record_delay_ms;     /* longest an outcome waits to be recorded, default 10 */
    int64_t stop_grace_ms;       /* how long stop lets attempts finish, default 2000 */
    size_t template_cache;       /* body templates kept, default 128 */
    int64_t disable_failing_after_ms; /* disable a target failing this long, default 5 days;
                                         0: never */
    size_t metrics_target_labels;     /* targets with figures of their own (target_stats.h),
                                         default 100; 0: none */
    bool set_commit_hook;             /* default true: start installs hk_dispatcher_notify as the
                                         store's commit hook, stop removes it */
} hk_dispatcher_options;

/* Fills in the defaults. */
void hk_dispatcher_options_init(hk_dispatcher_options *o);

/* HK_EINVAL with a message naming the option when `o` cannot work: sizes or
 * times out of range, a lease too short for an attempt, a User-Agent with
 * control characters, TLS files that cannot be read or parsed as PEM, a
 * client key that does not match its certificate or comes without one. */
HK_MUST_CHECK hk_status hk_dispatcher_options_check(const hk_dispatcher_options *o, hk_error *err);

/* The lease a claim takes with these options (lease_ms, or timeout + 60 s). */
int64_t hk_dispatcher_lease_ms(const hk_dispatcher_options *o);

typedef struct hk_dispatcher hk_dispatcher;

/*
 * On a single-node store (SQLite; see hk_store_shared) releases every lease
 * left by a previous process: what was in flight at a crash is due again
 * now. On a shared store (PostgreSQL) leases are left alone: other nodes'
 * are live, and a dead node's expire, lease_ms after their claim, when any
 * node's next claim or scan takes them over. Then checks the options and the TLS files,
 * and starts the dispatcher thread. Strings in `o` are copied. HK_EINVAL
 * with a message for bad options or unreadable TLS files, HK_EIO when the
 * leases cannot be released, HK_ENOMEM/HK_EINTERNAL otherwise.
 */
HK_MUST_CHECK hk_status hk_dispatcher_start(hk_store *store, const hk_dispatcher_options *o,
                                            hk_dispatcher **out, hk_error *err);

/* Says that deliveries became due for these n targets (next_due ignored),
 * or, with `any`, for targets that cannot be named (the loop then looks at
 * every target with pending deliveries). The loop claims at once instead of
 * at its next timer. Thread-safe, cheap, only a short lock: meant for the
 * store's commit hook. Accepts NULL. */
void hk_dispatcher_notify_due(hk_dispatcher *d, const hk_due_target *due, size_t n, bool any);
/* The same for "any". */
void hk_dispatcher_notify(hk_dispatcher *d);

/*
 * Stops claiming, drops the deliveries waiting in queues (they stay leased),
 * gives attempts in flight up to stop_grace_ms to finish, aborts the rest
 * (their leases make them due again at the next start), records every
 * finished attempt, removes the commit hook it installed, joins the thread
 * and frees everything. Call it before closing the store, and after
 * stopping whatever else commits deliveries (the HTTP server): the store
 * calls the commit hook outside its lock. Accepts NULL.
 */
void hk_dispatcher_stop(hk_dispatcher *d);

/* Latency histograms: bucket i counts values <= hk_dispatcher_latency_bounds_ms[i] (and
 * above the bucket before); the last bucket counts the values above every bound. */
#define HK_LATENCY_BOUNDS 13
extern const int64_t hk_dispatcher_latency_bounds_ms[HK_LATENCY_BOUNDS];

typedef struct hk_latency_histogram {
    uint64_t buckets[HK_LATENCY_BOUNDS + 1];
    uint64_t count;
    int64_t sum_ms;
} hk_latency_histogram;

typedef struct hk_dispatcher_stats {
    uint64_t claimed;        /* deliveries claimed */
    uint64_t attempts;       /* attempts made (recorded or to be) */
    uint64_t succeeded;      /* attempts with a 2xx */
    uint64_t retries;        /* failed attempts with a retry scheduled */
    uint64_t failed;         /* deliveries failed for good (after the last retry) */
    uint64_t dropped;        /* deliveries whose event or target is gone or disabled */
    uint64_t deferred;       /* claimed but left to their lease (target saturated, late) */
    uint64_t aborted;        /* attempts cut short by stop */
    uint64_t recorded;       /* results written */
    uint64_t record_batches; /* hk_delivery_record calls that succeeded */
    uint64_t store_errors;   /* claim/load/record failures */
    uint64_t template_hits;
    uint64_t template_misses;
    uint64_t scans;                    /* looks at every target with pending deliveries */
    uint64_t targets_disabled;         /* targets disabled for failing too long */
    size_t targets_tracked;            /* targets with work in hand or known pending */
    hk_latency_histogram attempt_ms;   /* every attempt made: its duration */
    hk_latency_histogram delivered_ms; /* every success: event committed -> its attempt ended */
    size_t in_flight;                  /* attempts running now */
    size_t queued;                     /* claimed deliveries waiting for their target */
    size_t unrecorded;                 /* finished, not yet recorded */
} hk_dispatcher_stats;

/* A snapshot, as of the loop's last pass. Thread-safe. */
void hk_dispatcher_get_stats(hk_dispatcher *d, hk_dispatcher_stats *out);

/* The per-target figures (borrowed, thread-safe; see target_stats.h), NULL when
 * metrics_target_labels is 0. */
typedef struct hk_target_stats hk_target_stats;
hk_target_stats *hk_dispatcher_target_stats(hk_dispatcher *d);

#endif
