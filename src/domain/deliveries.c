/*
 * deliveries.c - claiming, recording and re-sending deliveries (see
 * deliveries.h). The rules are here; the rows are the backend's.
 */
#include "domain/deliveries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
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

typedef struct claim_job {
    int64_t now, lease_until;
    size_t max;
    hk_arena *arena;
    hk_delivery **out;
    size_t *n;
    int64_t *next_due;
} claim_job;

static hk_status claim_tx(const store_tx *tx, void *arg, hk_error *err)
{
    claim_job *j = arg;
    hk_status st = tx->ops->deliveries_claim(tx->conn, j->now, j->lease_until, j->max, j->arena,
                                             j->out, j->n, j->next_due);
    return st ? domain_store_error(err, st, "claiming deliveries") : HK_OK;
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
    claim_job j = {now, now + lease_ms, max, arena, out, n, next_due};
    return store_write(store, claim_tx, &j, err);
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

static hk_status backlog_tx(const store_tx *tx, void *arg, hk_error *err)
{
    backlog_job *j = arg;
    int64_t next_due;
    hk_status st = tx->ops->deliveries_due(tx->conn, j->now, j->cap, &j->out->due, &next_due);
    if (st)
        return domain_store_error(err, st, "reading the delivery backlog");
    j->out->due_capped = j->out->due >= j->cap;
    if (next_due != HK_TIME_NONE && next_due <= j->now)
        j->out->oldest_due = next_due;
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
} record_job;

static hk_status record_tx(const store_tx *tx, void *arg, hk_error *err)
{
    record_job *j = arg;
    int64_t now = hk_now_ms();
    for (size_t i = 0; i < j->n; i++) {
        const hk_delivery_result *r = &j->results[i];
        hk_status st = tx->ops->delivery_record(tx->conn, r, now);
        if (st)
            return domain_store_error(err, st, "recording an attempt");
        /* A retry due at once (a zero delay) must wake the dispatcher too. */
        if (!r->drop && !r->succeeded && r->retry_at != HK_TIME_NONE && tx->deliveries_due)
            (*tx->deliveries_due)++;
    }
    return HK_OK;
}

hk_status hk_delivery_record(hk_store *store, const hk_delivery_result *results, size_t n,
                             hk_error *err)
{
    hk_error_clear(err);
    if (n == 0)
        return HK_OK;
    record_job j = {results, n};
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

hk_status hk_delivery_claim_submit(hk_store *store, int64_t now, int64_t lease_ms, size_t max,
                                   hk_arena *arena, hk_delivery **out, size_t *n, int64_t *next_due,
                                   hk_delivery_done_fn done, void *arg, hk_error *err)
{
    *out = NULL;
    *n = 0;
    *next_due = HK_TIME_NONE;
    hk_error_clear(err);
    if (max == 0 || lease_ms <= 0 || !done)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "claim: max and lease must be positive, and a callback given");
    async_job *a = calloc(1, sizeof *a);
    if (!a)
        return hk_error_set(err, HK_ENOMEM, NULL, "claim: out of memory");
    a->u.claim = (claim_job){now, now + lease_ms, max, arena, out, n, next_due};
    a->done = done;
    a->arg = arg;
    return async_submit(store, claim_tx, a, err);
}

hk_status hk_delivery_record_submit(hk_store *store, const hk_delivery_result *results, size_t n,
                                    hk_delivery_done_fn done, void *arg, hk_error *err)
{
    hk_error_clear(err);
    if (n == 0 || !done)
        return hk_error_set(err, HK_EINVAL, NULL, "record: no results, or no callback");
    async_job *a = calloc(1, sizeof *a);
    if (!a)
        return hk_error_set(err, HK_ENOMEM, NULL, "record: out of memory");
    a->u.record = (record_job){results, n};
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
    if (!st && tx->deliveries_due)
        *tx->deliveries_due += *j->n;
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
    if (tx->deliveries_due)
        (*tx->deliveries_due)++;
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
    if (tx->deliveries_due)
        *tx->deliveries_due += *j->count;
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
    if (tx->deliveries_due)
        (*tx->deliveries_due)++;
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
