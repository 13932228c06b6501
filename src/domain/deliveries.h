/*
 * deliveries.h - the delivery side of the outbox (SPEC §4, §5): what the
 * dispatcher claims and records, and what operators list and re-send.
 *
 * A delivery is one event for one target: status pending, succeeded, failed
 * (after its last retry) or cancelled (target disabled or deleted). Every
 * attempt is recorded. A pending delivery is *claimed* by a dispatcher with a
 * lease: while the lease runs no other claim takes it. Leases are the crash
 * story: a process that dies leaves leases behind; hk_delivery_release_leases
 * (at start, single node) or their expiry makes those deliveries due again,
 * so an attempt in flight at a crash is repeated — the only duplicates.
 *
 * Dispatcher functions take no hk_ctx: they act for the system, across
 * workspaces. Operator functions take one and need webhookTarget:read
 * (lists) or webhookTarget:edit (re-sends).
 */
#ifndef HOOKD_DOMAIN_DELIVERIES_H
#define HOOKD_DOMAIN_DELIVERIES_H

#include "domain/domain.h"

typedef enum hk_delivery_status {
    HK_DELIVERY_PENDING = 0,
    HK_DELIVERY_SUCCEEDED = 1,
    HK_DELIVERY_FAILED = 2,
    HK_DELIVERY_CANCELLED = 3,
} hk_delivery_status;

/* "pending", "succeeded", "failed", "cancelled". Static. */
const char *hk_delivery_status_name(hk_delivery_status s);

typedef struct hk_delivery {
    char workspace_id[HK_ID_MAX];
    char target_id[HK_ID_MAX];
    char event_id[HK_ID_MAX];
    hk_delivery_status status;
    uint32_t attempts;       /* attempts made so far; the next one is attempts + 1 */
    int64_t next_attempt_at; /* when pending: due time */
    int64_t created_at;
    int64_t updated_at;
    char event_type[64]; /* filled by lists only ("" elsewhere) */
    /* Set only for a target delivering in order per customer: the customer
     * whose next delivery waits for this one ("" otherwise). */
    char customer_id[HK_ID_MAX];
} hk_delivery;

#define HK_ATTEMPT_EXCERPT_MAX 1024 /* bytes of the response body kept */
#define HK_ATTEMPT_ERROR_MAX 256
/* Hex digits of an attempt's Plain-Request-Signature kept: enough to match
 * it against a receiver's log, not enough to replay the request signed. */
#define HK_ATTEMPT_SIGNATURE_KEPT 8

typedef struct hk_attempt {
    char attempt_id[HK_ID_MAX]; /* whAttempt_... */
    uint32_t number;            /* from 1 */
    int64_t started_at;
    int64_t duration_ms;
    int status_code;              /* HTTP status, 0 when none was received */
    const char *error;            /* NULL on success; "HTTP 500", "timeout after 30000 ms", ... */
    const char *response_excerpt; /* at most HK_ATTEMPT_EXCERPT_MAX bytes, may be NULL */
    /* What the request's headers said that nothing else records (the
     * operators' "headers as sent"): the target version sent, "" when no
     * request was made (it failed before) or the attempt was recorded by an
     * older hookd (then none of these is known);
     * the first HK_ATTEMPT_SIGNATURE_KEPT hex digits of the signature, ""
     * when unsigned; whether the URL's credentials went as Basic auth; the
     * User-Agent, NULL when it was HK_DISPATCHER_DEFAULT_USER_AGENT. */
    char sent_version[HK_VERSION_MAX];
    char sent_signature[HK_ATTEMPT_SIGNATURE_KEPT + 1];
    bool sent_basic_auth;
    const char *sent_user_agent;
} hk_attempt;

/* ---- dispatcher ---- */

/*
 * Targets with pending deliveries (see hk_due_target), in (workspace, target)
 * order strictly after (after_ws, after_target) ("" and "": from the first),
 * at most `max`, read in one snapshot: one index seek per target, whatever
 * their backlogs. The dispatcher's way to find work it was not told about
 * (expired leases, other processes). Rows in `arena`.
 */
HK_MUST_CHECK hk_status hk_delivery_due_targets(hk_store *store, const char *after_ws,
                                                const char *after_target, size_t max,
                                                hk_arena *arena, hk_due_target **out, size_t *n,
                                                hk_error *err);

/* What a claim asks of one target, and, once it committed, what it got. */
typedef struct hk_claim_want {
    char workspace_id[HK_ID_MAX];
    char target_id[HK_ID_MAX];
    size_t max; /* deliveries to claim at most, >= 1 */
    /* Filled when the claim has committed: */
    hk_delivery *rows; /* n of them, due order, in the claim's arena */
    size_t n;
    int64_t next_due; /* when the target's next pending delivery can be claimed
                         (HK_TIME_NONE: none has a due time) */
} hk_claim_want;

/*
 * Claims, for each of n targets, up to wants[i].max of its pending
 * deliveries due at `now`, oldest due first, leasing them until now +
 * lease_ms: a claim never takes more for a target than the caller can start,
 * so one target's backlog never crowds out another's (issue 14). Rows are
 * allocated in `arena`.
 */
HK_MUST_CHECK hk_status hk_delivery_claim_targets(hk_store *store, int64_t now, int64_t lease_ms,
                                                  hk_claim_want *wants, size_t n, hk_arena *arena,
                                                  hk_error *err);

/*
 * Claims up to `max` pending deliveries due at `now` over every target,
 * targets whose next delivery is the oldest first (for tools and tests; the
 * dispatcher claims per target). *next_due is the earliest time a pending
 * delivery can be claimed afterwards (HK_TIME_NONE when nothing is pending).
 */
HK_MUST_CHECK hk_status hk_delivery_claim(hk_store *store, int64_t now, int64_t lease_ms,
                                          size_t max, hk_arena *arena, hk_delivery **out, size_t *n,
                                          int64_t *next_due, hk_error *err);

/* Everything one attempt needs, read in one snapshot. *found is false when
 * the event or the target is gone (then the delivery is to be dropped). */
typedef struct hk_delivery_job {
    hk_event event;
    hk_webhook_target target;
    hk_hmac_secret secret; /* secret.secret NULL: the workspace has none */
} hk_delivery_job;

HK_MUST_CHECK hk_status hk_delivery_load(hk_store *store, const hk_delivery *d, hk_arena *arena,
                                         hk_delivery_job *job, bool *found, hk_error *err);

/* The same in parts, for a caller that keeps targets and secrets for a
 * while: unless `event` is NULL, the event into `arena`, and, unless
 * `target` is NULL, the target and the workspace's secret into
 * `target_arena`. *found is false when the event, or the target asked for,
 * is gone. */
HK_MUST_CHECK hk_status hk_delivery_load_parts(hk_store *store, const hk_delivery *d,
                                               hk_arena *arena, hk_event *event,
                                               hk_arena *target_arena, hk_webhook_target *target,
                                               hk_hmac_secret *secret, bool *found, hk_error *err);

/* The events of n deliveries, read in one snapshot (a claim's worth at once,
 * instead of a read transaction per delivery): events[i] and found[i] for
 * d[i], found[i] false when that event is gone. Strings go into `arena`.
 * On an error the arrays are to be ignored. */
HK_MUST_CHECK hk_status hk_delivery_load_events(hk_store *store, const hk_delivery *d, size_t n,
                                                hk_arena *arena, hk_event *events, bool *found,
                                                hk_error *err);

/* The outcome of one attempt. */
typedef struct hk_delivery_result {
    const hk_delivery *delivery;
    hk_attempt attempt;
    bool succeeded;
    int64_t retry_at; /* after a failure: when to retry, HK_TIME_NONE: failed for good */
    bool drop;        /* the target or event is gone: mark cancelled, record no attempt */
} hk_delivery_result;

/* How recording treats targets that keep failing. */
typedef struct hk_record_policy {
    /* A target whose attempts have all failed for this long (from the first
     * failure after its last success) is disabled, its pending deliveries
     * failed so that they can be re-sent once it is enabled again; 0: never. */
    int64_t disable_after_ms;
} hk_record_policy;

/*
 * Records attempts and moves the deliveries on (succeeded / pending again /
 * failed / cancelled), releasing their leases, in one transaction. Only a
 * delivery still pending is changed: one cancelled meanwhile stays so. A
 * delivery to a target ordered by customer that leaves pending lets that
 * customer's next one go. Each target's failing_since follows its attempts,
 * and targets failing for longer than the policy allows are disabled:
 * *disabled (unless NULL) counts them, each is logged. `policy` NULL: never.
 */
HK_MUST_CHECK hk_status hk_delivery_record(hk_store *store, const hk_delivery_result *results,
                                           size_t n, const hk_record_policy *policy,
                                           size_t *disabled, hk_error *err);

/*
 * Asynchronous claim and record, for the dispatcher: they return at once and
 * `done` is called on the store's writer thread once the transaction is
 * committed (HK_OK; for a claim, the wants' rows, n and next_due are then set) or
 * rolled back (the status, and `err` with the message). Every pointer passed
 * must stay valid until then. `done` must not block or call into the store.
 * On failure to submit (the store is closing), `done` is never called.
 */
typedef void (*hk_delivery_done_fn)(void *arg, hk_status st, const hk_error *err);

HK_MUST_CHECK hk_status hk_delivery_claim_targets_submit(hk_store *store, int64_t now,
                                                         int64_t lease_ms, hk_claim_want *wants,
                                                         size_t n, hk_arena *arena,
                                                         hk_delivery_done_fn done, void *arg,
                                                         hk_error *err);
HK_MUST_CHECK hk_status hk_delivery_record_submit(hk_store *store,
                                                  const hk_delivery_result *results, size_t n,
                                                  const hk_record_policy *policy, size_t *disabled,
                                                  hk_delivery_done_fn done, void *arg,
                                                  hk_error *err);

/* At start of a single-node store: every lease left by a previous process
 * is void, so what was in flight is due again now. *n: how many. Never on a
 * shared store (PostgreSQL): other nodes hold live leases there. */
HK_MUST_CHECK hk_status hk_delivery_release_leases(hk_store *store, int64_t now, size_t *n,
                                                   hk_error *err);

/* ---- operators ---- */

/* What one retention pass deleted; more: it stopped at its budget. */
typedef struct hk_prune_result {
    size_t events, deliveries, attempts;
    bool more;
} hk_prune_result;

/*
 * Retention, one write transaction over every workspace: deletes the events
 * made before `before_ms` (by their ids' time) with their deliveries and
 * attempts, at most `budget` deliveries and events (attempts come with their
 * deliveries). A pending delivery is never deleted, and in a workspace
 * nothing from its oldest event with a pending delivery on goes either (so
 * each pass stays a few index ranges); that waits until the delivery ends.
 * Deleted events can no longer be listed or re-sent. HK_EINVAL for a budget
 * of 0 or a time before 1970.
 */
HK_MUST_CHECK hk_status hk_events_prune(hk_store *store, int64_t before_ms, size_t budget,
                                        hk_prune_result *out, hk_error *err);

/* How far behind the deliveries are, from one snapshot. */
typedef struct hk_delivery_backlog {
    size_t due;         /* pending, due and not leased (waiting for the dispatcher), <= cap */
    bool due_capped;    /* there may be more than `due` */
    int64_t oldest_due; /* the due time of the oldest of them, HK_TIME_NONE when none is due */
} hk_delivery_backlog;

/* Reads the backlog at `now` over every workspace (for metrics), counting at
 * most `cap` due deliveries (a count walks the due index). */
HK_MUST_CHECK hk_status hk_delivery_backlog_read(hk_store *store, int64_t now, size_t cap,
                                                 hk_delivery_backlog *out, hk_error *err);

typedef struct hk_delivery_filter {
    int status; /* -1: any, else an hk_delivery_status */
} hk_delivery_filter;

/* A target's deliveries, newest event first... in event order (cursor: event id). */
HK_MUST_CHECK hk_status hk_delivery_list(const hk_ctx *ctx, const char *target_id,
                                         const hk_delivery_filter *filter,
                                         const hk_page_request *page, hk_arena *arena,
                                         hk_delivery **out, size_t *n, hk_page_info *info,
                                         hk_error *err);

/* The attempts of one delivery, first attempt first. */
HK_MUST_CHECK hk_status hk_attempt_list(const hk_ctx *ctx, const char *target_id,
                                        const char *event_id, hk_arena *arena, hk_attempt **out,
                                        size_t *n, hk_error *err);

/* Re-sends one event to one target: its delivery (created if the target was
 * not subscribed then) becomes pending and due now, attempt numbers going on
 * from the attempts already made. not_found for an unknown event or target;
 * a disabled target is a validation error. */
HK_MUST_CHECK hk_status hk_delivery_resend(const hk_ctx *ctx, const char *target_id,
                                           const char *event_id, hk_error *err);

/* Re-sends every failed delivery of a target whose event happened at or
 * after `since`. *count: how many. */
HK_MUST_CHECK hk_status hk_delivery_resend_failed(const hk_ctx *ctx, const char *target_id,
                                                  int64_t since, size_t *count, hk_error *err);

/* Sends a test event to one target only: a customer.customer_updated
 * event about a sample customer (ids made up, email test@example.com),
 * stored like any event so it can be listed and re-sent. */
HK_MUST_CHECK hk_status hk_delivery_send_test(const hk_ctx *ctx, const char *target_id,
                                              char event_id[HK_ID_MAX], hk_error *err);

#endif
