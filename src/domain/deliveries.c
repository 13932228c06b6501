/*
 * deliveries.c - claiming, recording and re-sending deliveries (see
 * deliveries.h). The rules are here; the rows are the backend's.
 */
#include "domain/deliveries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "domain/domain_int.h"

const char *hk_delivery_status_name(hk_delivery_status s)
{
    switch (s) {
    case HK_DELIVERY_PENDING:
        return "pending";
    case HK_DELIVERY_SUCCEEDED:
        return "succeeded";
    case HK_DELIVERY_FAILED:
        return "failed";
    case HK_DELIVERY_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

/* ---- dispatcher ---- */

/* Targets asked for per discovery read: bounds one read's length. */
#define DUE_TARGETS_PAGE 256

typedef struct due_targets_job {
    const char *after_ws, *after_target;
    size_t max;
    hk_arena *arena;
    hk_due_target **out;
    size_t *n;
} due_targets_job;

static hk_status due_targets_tx(const store_tx *tx, void *arg, hk_error *err)
{
    due_targets_job *j = arg;
    hk_status st = tx->ops->deliveries_due_targets(tx->conn, j->after_ws, j->after_target, j->max,
                                                   j->arena, j->out, j->n);
    return st ? domain_store_error(err, st, "finding targets with deliveries") : HK_OK;
}

hk_status hk_delivery_due_targets(hk_store *store, const char *after_ws, const char *after_target,
                                  size_t max, hk_arena *arena, hk_due_target **out, size_t *n,
                                  hk_error *err)
{
    *out = NULL;
    *n = 0;
    hk_error_clear(err);
    if (max == 0 || !after_ws || !after_target)
        return hk_error_set(err, HK_EINVAL, NULL, "due targets: a cursor and a positive max");
    due_targets_job j = {after_ws, after_target, max, arena, out, n};
    return store_read(store, due_targets_tx, &j, err);
}

typedef struct claim_job {
    int64_t now, lease_until;
    hk_claim_want *wants;
    size_t n;
    hk_arena *arena;
} claim_job;

static hk_status claim_tx(const store_tx *tx, void *arg, hk_error *err)
{
    claim_job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        hk_claim_want *w = &j->wants[i];
        hk_status st = tx->ops->deliveries_claim_target(tx->conn, w->workspace_id, w->target_id,
                                                        j->now, j->lease_until, w->max, j->arena,
                                                        &w->rows, &w->n, &w->next_due);
        if (st)
            return domain_store_error(err, st, "claiming deliveries");
    }
    return HK_OK;
}

static hk_status check_wants(int64_t lease_ms, hk_claim_want *wants, size_t n, hk_error *err)
{
    if (lease_ms <= 0)
        return hk_error_set(err, HK_EINVAL, NULL, "claim: the lease must be positive");
    for (size_t i = 0; i < n; i++) {
        if (wants[i].max == 0)
            return hk_error_set(err, HK_EINVAL, NULL, "claim: every target needs a positive max");
        wants[i].rows = NULL;
        wants[i].n = 0;
        wants[i].next_due = HK_TIME_NONE;
    }
    return HK_OK;
}

hk_status hk_delivery_claim_targets(hk_store *store, int64_t now, int64_t lease_ms,
                                    hk_claim_want *wants, size_t n, hk_arena *arena, hk_error *err)
{
    hk_error_clear(err);
    hk_status st = check_wants(lease_ms, wants, n, err);
    if (st)
        return st;
    claim_job j = {now, now + lease_ms, wants, n, arena};
    return store_write(store, claim_tx, &j, err);
}

/* Every target with a pending, timed delivery, in one transaction's view. */
static hk_status all_due_targets(const store_tx *tx, hk_arena *a, hk_due_target **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    hk_due_target *all = NULL;
    const char *ws = "", *target = "";
    for (;;) {
        hk_due_target *page;
        size_t got;
        hk_status st =
            tx->ops->deliveries_due_targets(tx->conn, ws, target, DUE_TARGETS_PAGE, a, &page, &got);
        if (st)
            return st;
        if (*n + got > cap) {
            size_t ncap = cap ? 2 * cap : DUE_TARGETS_PAGE;
            while (ncap < *n + got)
                ncap *= 2;
            hk_due_target *grown = hk_arena_calloc(a, ncap, sizeof *grown);
            if (!grown)
                return HK_ENOMEM;
            if (*n)
                memcpy(grown, all, *n * sizeof *all);
            all = grown;
            cap = ncap;
        }
        if (got)
            memcpy(all + *n, page, got * sizeof *page);
        *n += got;
        if (got < DUE_TARGETS_PAGE)
            break;
        ws = all[*n - 1].workspace_id;
        target = all[*n - 1].target_id;
    }
    *out = all;
    return HK_OK;
}

static int by_next_due(const void *a, const void *b)
{
    int64_t x = ((const hk_due_target *)a)->next_due, y = ((const hk_due_target *)b)->next_due;
    return (x > y) - (x < y);
}

typedef struct global_claim_job {
    int64_t now, lease_until;
    size_t max;
    hk_arena *arena;
    hk_delivery **out;
    size_t *n;
    int64_t *next_due;
} global_claim_job;

static hk_status global_claim_tx(const store_tx *tx, void *arg, hk_error *err)
{
    global_claim_job *j = arg;
    hk_due_target *targets;
    size_t nt;
    hk_status st = all_due_targets(tx, j->arena, &targets, &nt);
    hk_delivery *rows = hk_arena_calloc(j->arena, j->max + 1, sizeof *rows);
    if (!st && !rows)
        st = HK_ENOMEM;
    if (st)
        return domain_store_error(err, st, "claiming deliveries");
    qsort(targets, nt, sizeof *targets, by_next_due);
    size_t got = 0;
    int64_t next = HK_TIME_NONE;
    for (size_t i = 0; i < nt; i++) {
        hk_due_target *t = &targets[i];
        int64_t after = t->next_due;
        if (got < j->max && t->next_due <= j->now) {
            hk_delivery *some;
            size_t k;
            st = tx->ops->deliveries_claim_target(tx->conn, t->workspace_id, t->target_id, j->now,
                                                  j->lease_until, j->max - got, j->arena, &some, &k,
                                                  &after);
            if (st)
                return domain_store_error(err, st, "claiming deliveries");
            memcpy(rows + got, some, k * sizeof *some);
            got += k;
        }
        if (after != HK_TIME_NONE && (next == HK_TIME_NONE || after < next))
            next = after;
    }
    *j->out = rows;
    *j->n = got;
    *j->next_due = next;
    return HK_OK;
}

hk_status hk_delivery_claim(hk_store *store, int64_t now, int64_t lease_ms, size_t max,
                            hk_arena *arena, hk_delivery **out, size_t *n, int64_t *next_due,
                            hk_error *err)
{
    *out = NULL;
    *n = 0;
    *next_due = HK_TIME_NONE;
    hk_error_clear(err);
    if (max == 0 || lease_ms <= 0)
        return hk_error_set(err, HK_EINVAL, NULL, "claim: max and lease must be positive");
    global_claim_job j = {now, now + lease_ms, max, arena, out, n, next_due};
    return store_write(store, global_claim_tx, &j, err);
}

typedef struct load_job {
    const hk_delivery *d;
    hk_arena *arena, *target_arena;
    hk_event *event;
    hk_webhook_target *target; /* NULL: the event only */
    hk_hmac_secret *secret;
    bool *found;
} load_job;

static hk_status load_tx(const store_tx *tx, void *arg, hk_error *err)
{
    load_job *j = arg;
    const hk_delivery *d = j->d;
    bool ev_found = true, tg_found = true;
    hk_status st = HK_OK;
    if (j->event)
        st = tx->ops->event_get(tx->conn, d->workspace_id, d->event_id, j->arena, j->event,
                                &ev_found);
    if (!st && ev_found && j->target)
        st = tx->ops->target_get(tx->conn, d->workspace_id, d->target_id, j->target_arena,
                                 j->target, &tg_found);
    if (!st && ev_found && tg_found && j->target)
        st = tx->ops->hmac_get(tx->conn, d->workspace_id, j->target_arena, j->secret);
    if (st)
        return domain_store_error(err, st, "loading a delivery");
    *j->found = ev_found && tg_found;
    return HK_OK;
}

hk_status hk_delivery_load(hk_store *store, const hk_delivery *d, hk_arena *arena,
                           hk_delivery_job *job, bool *found, hk_error *err)
{
    return hk_delivery_load_parts(store, d, arena, &job->event, arena, &job->target, &job->secret,
                                  found, err);
}

hk_status hk_delivery_load_parts(hk_store *store, const hk_delivery *d, hk_arena *arena,
                                 hk_event *event, hk_arena *target_arena, hk_webhook_target *target,
                                 hk_hmac_secret *secret, bool *found, hk_error *err)
{
    if (event)
        memset(event, 0, sizeof *event);
    if (target) {
        memset(target, 0, sizeof *target);
        memset(secret, 0, sizeof *secret);
    }
    *found = false;
    hk_error_clear(err);
    load_job j = {d, arena, target_arena, event, target, secret, found};
    return store_read(store, load_tx, &j, err);
}

typedef struct events_job {
    const hk_delivery *d;
    size_t n;
    hk_arena *arena;
    hk_event *events;
    bool *found;
} events_job;

static hk_status events_tx(const store_tx *tx, void *arg, hk_error *err)
{
    events_job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        const hk_delivery *d = &j->d[i];
        hk_status st = tx->ops->event_get(tx->conn, d->workspace_id, d->event_id, j->arena,
                                          &j->events[i], &j->found[i]);
        if (st)
            return domain_store_error(err, st, "loading events");
    }
    return HK_OK;
}

hk_status hk_delivery_load_events(hk_store *store, const hk_delivery *d, size_t n, hk_arena *arena,
                                  hk_event *events, bool *found, hk_error *err)
{
    memset(events, 0, n * sizeof *events);
    memset(found, 0, n * sizeof *found);
    hk_error_clear(err);
    events_job j = {d, n, arena, events, found};
    return store_read(store, events_tx, &j, err);
}

typedef struct backlog_job {
    int64_t now;
    size_t cap;
    hk_delivery_backlog *out;
} backlog_job;

/* Per target: one seek for its oldest due time, and a count of its due rows
 * up to what the cap leaves, so a scrape costs O(targets + counted). */
static hk_status backlog_tx(const store_tx *tx, void *arg, hk_error *err)
{
    backlog_job *j = arg;
    hk_arena *a = hk_arena_new(0);
    if (!a)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory reading the backlog");
    hk_due_target *targets;
    size_t nt;
    hk_status st = all_due_targets(tx, a, &targets, &nt);
    for (size_t i = 0; !st && i < nt; i++) {
        const hk_due_target *t = &targets[i];
        if (t->next_due > j->now)
            continue;
        if (j->out->oldest_due == HK_TIME_NONE || t->next_due < j->out->oldest_due)
            j->out->oldest_due = t->next_due;
        if (j->out->due >= j->cap)
            continue;
        size_t k;
        st = tx->ops->deliveries_count_due(tx->conn, t->workspace_id, t->target_id, j->now,
                                           j->cap - j->out->due, &k);
        j->out->due += k;
    }
    hk_arena_free(a);
    if (st)
        return domain_store_error(err, st, "reading the delivery backlog");
    j->out->due_capped = j->out->due >= j->cap;
    return HK_OK;
}

hk_status hk_delivery_backlog_read(hk_store *store, int64_t now, size_t cap,
                                   hk_delivery_backlog *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    out->oldest_due = HK_TIME_NONE;
    hk_error_clear(err);
    if (cap == 0)
        return hk_error_set(err, HK_EINVAL, NULL, "the backlog count needs a cap of at least 1");
    backlog_job j = {now, cap, out};
    return store_read(store, backlog_tx, &j, err);
}

typedef struct prune_job {
    const char *cutoff;
    size_t budget;
    hk_prune_result *out;
} prune_job;

static hk_status prune_tx(const store_tx *tx, void *arg, hk_error *err)
{
    prune_job *j = arg;
    hk_arena *a = hk_arena_new(0);
    if (!a)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory pruning events");
    hk_status st = tx->ops->events_prune(tx->conn, j->cutoff, j->budget, a, j->out);
    hk_arena_free(a);
    if (st)
        return domain_store_error(err, st, "pruning old events");
    return HK_OK;
}

hk_status hk_events_prune(hk_store *store, int64_t before_ms, size_t budget, hk_prune_result *out,
                          hk_error *err)
{
    memset(out, 0, sizeof *out);
    hk_error_clear(err);
    char cutoff[HK_ID_MAX];
    if (budget == 0 || before_ms < 0 ||
        hk_id_floor_at(HK_ID_EVENT, (uint64_t)before_ms, cutoff) != HK_OK)
        return hk_error_set(err, HK_EINVAL, NULL, "pruning needs a budget and a time after 1970");
    prune_job j = {cutoff, budget, out};
    hk_status st = store_write(store, prune_tx, &j, err);
    if (st)
        memset(out, 0, sizeof *out); /* rolled back: nothing was deleted */
    return st;
}

typedef struct record_job {
    const hk_delivery_result *results;
    size_t n;
    hk_record_policy policy;
    size_t *disabled;
} record_job;

/* What one record saw of a target: its attempts' outcomes, in order. */
typedef struct target_outcome {
    const hk_delivery *d; /* the first of its results, for the ids */
    bool any_ok;          /* some attempt succeeded */
    bool last_ok;         /* the last attempt succeeded */
    int64_t failing_from; /* start of the first failure after the last success */
} target_outcome;

static void fold_outcome(target_outcome *o, size_t *n, const hk_delivery_result *r)
{
    const hk_delivery *d = r->delivery;
    target_outcome *t = NULL;
    for (size_t i = 0; i < *n && !t; i++)
        if (strcmp(o[i].d->target_id, d->target_id) == 0 &&
            strcmp(o[i].d->workspace_id, d->workspace_id) == 0)
            t = &o[i];
    if (!t) {
        t = &o[(*n)++];
        *t = (target_outcome){.d = d, .failing_from = HK_TIME_NONE};
    }
    if (r->succeeded) {
        t->any_ok = t->last_ok = true;
        t->failing_from = HK_TIME_NONE;
    } else {
        t->last_ok = false;
        if (t->failing_from == HK_TIME_NONE)
            t->failing_from = r->attempt.started_at;
    }
}

/* A target's failing_since after one record's attempts; disables it when it
 * has failed for longer than the policy allows. */
static hk_status note_health(const store_tx *tx, const record_job *j, const target_outcome *t,
                             int64_t now)
{
    const hk_delivery *d = t->d;
    int64_t since;
    bool enabled, found;
    hk_status st = HK_OK;
    if (t->any_ok || t->last_ok)
        st = tx->ops->target_note_health(tx->conn, d->workspace_id, d->target_id, true, 0, &since,
                                         &enabled, &found);
    if (!st && !t->last_ok)
        st = tx->ops->target_note_health(tx->conn, d->workspace_id, d->target_id, false,
                                         t->failing_from, &since, &enabled, &found);
    if (st || t->last_ok || !found || !enabled || j->policy.disable_after_ms <= 0 ||
        since == HK_TIME_NONE || now - since < j->policy.disable_after_ms)
        return st;
    st = tx->ops->target_auto_disable(tx->conn, d->workspace_id, d->target_id, now);
    if (!st)
        st = tx->ops->deliveries_fail_for_target(tx->conn, d->workspace_id, d->target_id, now);
    if (st)
        return st;
    if (j->disabled)
        (*j->disabled)++;
    char at[HK_TIME_ISO_BUF];
    hk_time_format(since, at);
    hk_log_ids ids = {.workspace_id = d->workspace_id, .target_id = d->target_id};
    hk_log_with(HK_LOG_WARN, &ids,
                "webhook target %s of workspace %s disabled: every attempt has failed since %s; "
                "its pending deliveries failed (updateWebhookTarget with isEnabled: true enables "
                "it again, hookdResendFailedWebhookDeliveries sends them again)",
                d->target_id, d->workspace_id, at);
    return HK_OK;
}

/* A delivery to an ordered target that leaves pending lets its customer's
 * next one go. */
static hk_status release_successor(const store_tx *tx, const hk_delivery_result *r, int64_t now)
{
    const hk_delivery *d = r->delivery;
    if (!d->customer_id[0] || (!r->drop && !r->succeeded && r->retry_at != HK_TIME_NONE))
        return HK_OK;
    bool unblocked;
    hk_status st = tx->ops->delivery_unblock_next(tx->conn, d->workspace_id, d->target_id,
                                                  d->customer_id, now, &unblocked);
    if (!st && unblocked)
        store_note_due(tx, d->workspace_id, d->target_id);
    return st;
}

static hk_status record_tx(const store_tx *tx, void *arg, hk_error *err)
{
    record_job *j = arg;
    int64_t now = hk_now_ms();
    target_outcome *outcomes = calloc(j->n, sizeof *outcomes);
    if (!outcomes)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory recording attempts");
    size_t n_targets = 0;
    hk_status st = HK_OK;
    if (j->disabled)
        *j->disabled = 0;
    for (size_t i = 0; !st && i < j->n; i++) {
        const hk_delivery_result *r = &j->results[i];
        st = tx->ops->delivery_record(tx->conn, r, now);
        if (!st)
            st = release_successor(tx, r, now);
        if (!r->drop)
            fold_outcome(outcomes, &n_targets, r);
    }
    for (size_t i = 0; !st && i < n_targets; i++)
        st = note_health(tx, j, &outcomes[i], now);
    free(outcomes);
    return st ? domain_store_error(err, st, "recording an attempt") : HK_OK;
}

static hk_record_policy policy_or_default(const hk_record_policy *p)
{
    hk_record_policy none = {0};
    return p ? *p : none;
}

hk_status hk_delivery_record(hk_store *store, const hk_delivery_result *results, size_t n,
                             const hk_record_policy *policy, size_t *disabled, hk_error *err)
{
    hk_error_clear(err);
    if (disabled)
        *disabled = 0;
    if (n == 0)
        return HK_OK;
    record_job j = {results, n, policy_or_default(policy), disabled};
    return store_write(store, record_tx, &j, err);
}

/* ---- asynchronous forms ---- */

/* One asynchronous claim or record: heap-allocated, freed after its callback. */
typedef struct async_job {
    store_request req;
    union {
        claim_job claim;
        record_job record;
    } u;
    hk_error err;
    hk_delivery_done_fn done;
    void *arg;
} async_job;

static void async_done(void *arg, hk_status st)
{
    async_job *a = arg;
    a->done(a->arg, st, &a->err);
    free(a);
}

static hk_status async_submit(hk_store *store, store_fn fn, async_job *a, hk_error *err)
{
    hk_error_clear(&a->err);
    hk_status st = store_submit(store, &a->req, fn, &a->u, &a->err, async_done, a);
    if (st) {
        *err = a->err;
        free(a);
    }
    return st;
}

hk_status hk_delivery_claim_targets_submit(hk_store *store, int64_t now, int64_t lease_ms,
                                           hk_claim_want *wants, size_t n, hk_arena *arena,
                                           hk_delivery_done_fn done, void *arg, hk_error *err)
{
    hk_error_clear(err);
    hk_status st = check_wants(lease_ms, wants, n, err);
    if (st)
        return st;
    if (n == 0 || !done)
        return hk_error_set(err, HK_EINVAL, NULL, "claim: no targets, or no callback");
    async_job *a = calloc(1, sizeof *a);
    if (!a)
        return hk_error_set(err, HK_ENOMEM, NULL, "claim: out of memory");
    a->u.claim = (claim_job){now, now + lease_ms, wants, n, arena};
    a->done = done;
    a->arg = arg;
    return async_submit(store, claim_tx, a, err);
}

hk_status hk_delivery_record_submit(hk_store *store, const hk_delivery_result *results, size_t n,
                                    const hk_record_policy *policy, size_t *disabled,
                                    hk_delivery_done_fn done, void *arg, hk_error *err)
{
    hk_error_clear(err);
    if (n == 0 || !done)
        return hk_error_set(err, HK_EINVAL, NULL, "record: no results, or no callback");
    async_job *a = calloc(1, sizeof *a);
    if (!a)
        return hk_error_set(err, HK_ENOMEM, NULL, "record: out of memory");
    a->u.record = (record_job){results, n, policy_or_default(policy), disabled};
    a->done = done;
    a->arg = arg;
    return async_submit(store, record_tx, a, err);
}

typedef struct release_job {
    int64_t now;
    size_t *n;
} release_job;

static hk_status release_tx(const store_tx *tx, void *arg, hk_error *err)
{
    release_job *j = arg;
    hk_status st = tx->ops->deliveries_release_leases(tx->conn, j->now, j->n);
    if (!st && *j->n > 0)
        store_note_due_any(tx);
    return st ? domain_store_error(err, st, "releasing leases") : HK_OK;
}

hk_status hk_delivery_release_leases(hk_store *store, int64_t now, size_t *n, hk_error *err)
{
    *n = 0;
    hk_error_clear(err);
    release_job j = {now, n};
    return store_write(store, release_tx, &j, err);
}

/* ---- operators ---- */

static hk_status require_target(const store_tx *tx, const hk_ctx *ctx, const char *target_id,
                                hk_arena *a, hk_webhook_target *t, hk_error *err)
{
    bool found;
    hk_status st = tx->ops->target_get(tx->conn, ctx->workspace_id, target_id, a, t, &found);
    if (st)
        return domain_store_error(err, st, "looking up the target");
    if (!found)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", "webhookTargetId", HK_FIELD_NOT_FOUND,
                              "no webhook target with this id");
    return HK_OK;
}

typedef struct list_job {
    const hk_ctx *ctx;
    const char *target_id;
    int status;
    const hk_page_request *page;
    hk_arena *arena;
    hk_delivery **out;
    size_t *n;
    hk_page_info *info;
    const char *event_id;
    hk_attempt **attempts;
} list_job;

static hk_status fetch_deliveries(const store_tx *tx, void *arg, const store_page *p, void **rows,
                                  size_t *n)
{
    list_job *j = arg;
    hk_delivery *list;
    hk_status st = tx->ops->delivery_page(tx->conn, j->ctx->workspace_id, j->target_id, j->status,
                                          p, j->arena, &list, n);
    *rows = list;
    return st;
}

static const char *delivery_row_id(const void *rows, size_t i)
{
    return ((const hk_delivery *)rows)[i].event_id;
}

static hk_status list_tx(const store_tx *tx, void *arg, hk_error *err)
{
    list_job *j = arg;
    hk_webhook_target t;
    hk_status st = require_target(tx, j->ctx, j->target_id, j->arena, &t, err);
    if (st)
        return st;
    domain_list_job lj = {.ctx = j->ctx,
                          .page = j->page,
                          .arena = j->arena,
                          .fetch = fetch_deliveries,
                          .row_id = delivery_row_id,
                          .arg = j,
                          .rows = (void **)j->out,
                          .n = j->n,
                          .info = j->info};
    st = domain_list_run(tx, &lj, sizeof(hk_delivery));
    return st ? domain_store_error(err, st, "listing deliveries") : HK_OK;
}

hk_status hk_delivery_list(const hk_ctx *ctx, const char *target_id,
                           const hk_delivery_filter *filter, const hk_page_request *page,
                           hk_arena *arena, hk_delivery **out, size_t *n, hk_page_info *info,
                           hk_error *err)
{
    *out = NULL;
    *n = 0;
    memset(info, 0, sizeof *info);
    hk_error_clear(err);
    char id[HK_ID_MAX];
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_READ, err);
    if (!st)
        st = domain_copy_id("webhookTargetId", target_id, id, err);
    if (!st)
        st = hk_page_check(page, err);
    if (!st && (filter->status < -1 || filter->status > HK_DELIVERY_CANCELLED))
        st = hk_error_field(err, HK_EINVAL, NULL, "status", HK_FIELD_VALIDATION,
                            "unknown delivery status");
    if (st)
        return st;
    list_job j = {.ctx = ctx,
                  .target_id = id,
                  .status = filter->status,
                  .page = page,
                  .arena = arena,
                  .out = out,
                  .n = n,
                  .info = info};
    return store_read(ctx->store, list_tx, &j, err);
}

static hk_status attempts_tx(const store_tx *tx, void *arg, hk_error *err)
{
    list_job *j = arg;
    hk_webhook_target t;
    hk_status st = require_target(tx, j->ctx, j->target_id, j->arena, &t, err);
    if (st)
        return st;
    st = tx->ops->attempt_list(tx->conn, j->ctx->workspace_id, j->target_id, j->event_id, j->arena,
                               j->attempts, j->n);
    return st ? domain_store_error(err, st, "listing attempts") : HK_OK;
}

hk_status hk_attempt_list(const hk_ctx *ctx, const char *target_id, const char *event_id,
                          hk_arena *arena, hk_attempt **out, size_t *n, hk_error *err)
{
    *out = NULL;
    *n = 0;
    hk_error_clear(err);
    char tid[HK_ID_MAX], eid[HK_ID_MAX];
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_READ, err);
    if (!st)
        st = domain_copy_id("webhookTargetId", target_id, tid, err);
    if (!st)
        st = domain_copy_id("eventId", event_id, eid, err);
    if (st)
        return st;
    list_job j = {
        .ctx = ctx, .target_id = tid, .arena = arena, .n = n, .event_id = eid, .attempts = out};
    return store_read(ctx->store, attempts_tx, &j, err);
}

typedef struct resend_job {
    const hk_ctx *ctx;
    const char *target_id;
    const char *event_id;
    int64_t since;
    size_t *count;
    hk_arena *arena;
} resend_job;

static hk_status require_enabled_target(const store_tx *tx, resend_job *j, hk_error *err)
{
    hk_webhook_target t;
    hk_status st = require_target(tx, j->ctx, j->target_id, j->arena, &t, err);
    if (!st && !t.is_enabled)
        st = hk_error_field(err, HK_EINVAL, NULL, "webhookTargetId", HK_FIELD_VALIDATION,
                            "the webhook target is disabled: enable it first");
    return st;
}

static hk_status resend_tx(const store_tx *tx, void *arg, hk_error *err)
{
    resend_job *j = arg;
    hk_status st = require_enabled_target(tx, j, err);
    if (st)
        return st;
    hk_event ev;
    bool found;
    st = tx->ops->event_get(tx->conn, j->ctx->workspace_id, j->event_id, j->arena, &ev, &found);
    if (st)
        return domain_store_error(err, st, "looking up the event");
    if (!found)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", "eventId", HK_FIELD_NOT_FOUND,
                              "no event with this id");
    st = tx->ops->delivery_rearm(tx->conn, j->ctx->workspace_id, j->target_id, j->event_id,
                                 hk_now_ms());
    if (st)
        return domain_store_error(err, st, "re-sending the event");
    store_note_due(tx, j->ctx->workspace_id, j->target_id);
    return HK_OK;
}

static hk_status run_resend(const hk_ctx *ctx, store_fn fn, resend_job *j, hk_error *err)
{
    j->arena = hk_arena_new(0);
    if (!j->arena)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    hk_status st = store_write(ctx->store, fn, j, err);
    hk_arena_free(j->arena);
    return st;
}

hk_status hk_delivery_resend(const hk_ctx *ctx, const char *target_id, const char *event_id,
                             hk_error *err)
{
    hk_error_clear(err);
    char tid[HK_ID_MAX], eid[HK_ID_MAX];
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_EDIT, err);
    if (!st)
        st = domain_copy_id("webhookTargetId", target_id, tid, err);
    if (!st)
        st = domain_copy_id("eventId", event_id, eid, err);
    if (st)
        return st;
    resend_job j = {.ctx = ctx, .target_id = tid, .event_id = eid};
    return run_resend(ctx, resend_tx, &j, err);
}

static hk_status resend_failed_tx(const store_tx *tx, void *arg, hk_error *err)
{
    resend_job *j = arg;
    hk_status st = require_enabled_target(tx, j, err);
    if (st)
        return st;
    st = tx->ops->deliveries_rearm_failed(tx->conn, j->ctx->workspace_id, j->target_id, j->since,
                                          hk_now_ms(), j->count);
    if (st)
        return domain_store_error(err, st, "re-sending failed deliveries");
    if (*j->count > 0)
        store_note_due(tx, j->ctx->workspace_id, j->target_id);
    return HK_OK;
}

hk_status hk_delivery_resend_failed(const hk_ctx *ctx, const char *target_id, int64_t since,
                                    size_t *count, hk_error *err)
{
    *count = 0;
    hk_error_clear(err);
    char tid[HK_ID_MAX];
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_EDIT, err);
    if (!st)
        st = domain_copy_id("webhookTargetId", target_id, tid, err);
    if (st)
        return st;
    resend_job j = {.ctx = ctx, .target_id = tid, .since = since, .count = count};
    return run_resend(ctx, resend_failed_tx, &j, err);
}

typedef struct test_job {
    const hk_ctx *ctx;
    const char *target_id;
    char *event_id;
    hk_arena *arena;
} test_job;

static void sample_customer(const hk_ctx *ctx, int64_t now, hk_customer *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->workspace_id, sizeof c->workspace_id, "%s", ctx->workspace_id);
    c->email = "test@example.com";
    c->full_name = "Test Customer";
    c->short_name = "Test";
    c->email_verified_at = HK_TIME_NONE;
    c->marked_as_spam_at = HK_TIME_NONE;
    c->created_at = c->updated_at = now;
    c->created_by = c->updated_by = ctx->actor;
}

static hk_status send_test_tx(const store_tx *tx, void *arg, hk_error *err)
{
    test_job *j = arg;
    resend_job rj = {.ctx = j->ctx, .target_id = j->target_id, .arena = j->arena};
    hk_status st = require_enabled_target(tx, &rj, err);
    if (st)
        return st;
    int64_t now = hk_now_ms();
    hk_customer before, after;
    sample_customer(j->ctx, now, &before);
    if (hk_id_new(HK_ID_CUSTOMER, before.id))
        return hk_error_set(err, HK_EINTERNAL, NULL, "cannot make an id");
    after = before;
    after.full_name = "Test Customer (updated)";
    st = outbox_insert_event(tx, j->ctx->workspace_id, HK_EVENT_CUSTOMER_UPDATED, HK_CHANGE_NONE,
                             &after, &before, now, j->event_id, err);
    if (st)
        return st;
    st = tx->ops->delivery_rearm(tx->conn, j->ctx->workspace_id, j->target_id, j->event_id, now);
    if (st)
        return domain_store_error(err, st, "queueing the test event");
    store_note_due(tx, j->ctx->workspace_id, j->target_id);
    return HK_OK;
}

hk_status hk_delivery_send_test(const hk_ctx *ctx, const char *target_id, char event_id[HK_ID_MAX],
                                hk_error *err)
{
    event_id[0] = '\0';
    hk_error_clear(err);
    char tid[HK_ID_MAX];
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_EDIT, err);
    if (!st)
        st = domain_copy_id("webhookTargetId", target_id, tid, err);
    if (st)
        return st;
    test_job j = {ctx, tid, event_id, hk_arena_new(0)};
    if (!j.arena)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    st = store_write(ctx->store, send_test_tx, &j, err);
    hk_arena_free(j.arena);
    if (st)
        event_id[0] = '\0';
    return st;
}
