/*
 * targets.c - webhook targets (SPEC §4): at most 25 per workspace, a pinned
 * version, subscriptions to event types. Disabling or deleting a target
 * cancels its pending deliveries; its events stay.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "domain/domain_int.h"

#define MAX_SUBSCRIPTIONS 64

static hk_status validate_version(const char *v, hk_error *err)
{
    if (v && !hk_webhook_version_find(v, strlen(v)))
        return hk_error_field(err, HK_EINVAL, NULL, "version", HK_FIELD_VALIDATION,
                              "unsupported webhook version '%.16s'", v);
    return HK_OK;
}

static hk_status validate_event_types(const char *const *types, size_t n, hk_error *err)
{
    if (n > MAX_SUBSCRIPTIONS)
        return hk_error_field(err, HK_EINVAL, NULL, "eventSubscriptions", HK_FIELD_VALIDATION,
                              "at most %d event subscriptions", MAX_SUBSCRIPTIONS);
    for (size_t i = 0; i < n; i++) {
        if (!types[i] || !hk_event_type_is_subscribable(types[i], strlen(types[i]))) {
            char field[HK_ERROR_FIELD_MAX];
            snprintf(field, sizeof field, "eventSubscriptions[%zu].eventType", i);
            return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                                  "unknown event type '%.64s'", types[i] ? types[i] : "");
        }
    }
    return HK_OK;
}

static hk_status validate_description(const char *d, hk_error *err)
{
    if (!d)
        return hk_error_field(err, HK_EINVAL, NULL, "description", HK_FIELD_REQUIRED,
                              "description is required");
    if (*d == '\0')
        return HK_OK; /* Plain allows an empty description */
    return hk_validate_text("description", d, HK_DESCRIPTION_MAX_CHARS, err);
}

/* Copies the event types into the arena, dropping repeats, keeping order. */
static hk_status own_event_types(hk_arena *a, const char *const *types, size_t n,
                                 hk_webhook_target *t)
{
    const char **out = hk_arena_calloc(a, n + 1, sizeof *out);
    if (!out)
        return HK_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t m = 0; m < k && !seen; m++)
            seen = strcmp(out[m], types[i]) == 0;
        if (seen)
            continue;
        out[k] = hk_arena_strdup(a, types[i]);
        if (!out[k])
            return HK_ENOMEM;
        k++;
    }
    t->event_types = out;
    t->n_event_types = k;
    return HK_OK;
}

typedef struct target_job {
    const hk_ctx *ctx;
    const hk_target_input *create;
    const hk_target_update_input *update;
    hk_arena *arena;
    hk_webhook_target *out;
} target_job;

static hk_status create_tx(const store_tx *tx, void *arg, hk_error *err)
{
    target_job *j = arg;
    const hk_target_input *in = j->create;
    int64_t now = hk_now_ms();
    int64_t count;
    hk_status st = tx->ops->target_count(tx->conn, j->ctx->workspace_id, &count);
    if (st)
        return domain_store_error(err, st, "counting targets");
    if (count >= HK_MAX_TARGETS_PER_WORKSPACE)
        return hk_error_set(err, HK_ELIMIT, "too_many_webhook_targets",
                            "a workspace can have at most %d webhook targets",
                            HK_MAX_TARGETS_PER_WORKSPACE);
    hk_webhook_target *t = j->out;
    memset(t, 0, sizeof *t);
    st = hk_id_new(HK_ID_WEBHOOK_TARGET, t->id);
    if (st)
        return hk_error_set(err, st, NULL, "cannot make a target id");
    snprintf(t->workspace_id, sizeof t->workspace_id, "%s", j->ctx->workspace_id);
    snprintf(t->version, sizeof t->version, "%s",
             in->version ? in->version : hk_webhook_version_default());
    t->url = domain_dup(j->arena, in->url, &st);
    t->description = domain_dup(j->arena, in->description, &st);
    t->is_enabled = in->is_enabled;
    t->failing_since = t->auto_disabled_at = HK_TIME_NONE;
    t->created_at = t->updated_at = now;
    t->created_by = t->updated_by = j->ctx->actor;
    if (!st)
        st = own_event_types(j->arena, in->event_types, in->n_event_types, t);
    if (st)
        return hk_error_set(err, st, NULL, "out of memory");
    st = tx->ops->target_insert(tx->conn, t);
    return st ? domain_store_error(err, st, "creating the target") : HK_OK;
}

hk_status hk_target_create(const hk_ctx *ctx, const hk_target_input *in, hk_arena *arena,
                           hk_webhook_target *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_CREATE, err);
    if (!st)
        st = domain_validate_url("url", in->url, err);
    if (!st)
        st = validate_description(in->description, err);
    if (!st)
        st = validate_version(in->version, err);
    if (!st)
        st = validate_event_types(in->event_types, in->n_event_types, err);
    if (st)
        return st;
    target_job j = {ctx, in, NULL, arena, out};
    return store_write(ctx->store, create_tx, &j, err);
}

static hk_status load_target(const store_tx *tx, const hk_ctx *ctx, const char *id, hk_arena *a,
                             hk_webhook_target *t, hk_error *err)
{
    bool found;
    hk_status st = tx->ops->target_get(tx->conn, ctx->workspace_id, id, a, t, &found);
    if (st)
        return domain_store_error(err, st, "looking up the target");
    if (!found)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", "webhookTargetId", HK_FIELD_NOT_FOUND,
                              "no webhook target with this id");
    return HK_OK;
}

static hk_status update_tx(const store_tx *tx, void *arg, hk_error *err)
{
    target_job *j = arg;
    const hk_target_update_input *in = j->update;
    int64_t now = hk_now_ms();
    hk_webhook_target t;
    hk_status st = load_target(tx, j->ctx, in->webhook_target_id, j->arena, &t, err);
    if (st)
        return st;
    bool was_enabled = t.is_enabled;
    if (in->url.set)
        t.url = domain_dup(j->arena, in->url.value, &st);
    if (in->description.set)
        t.description = domain_dup(j->arena, in->description.value, &st);
    if (in->version.set)
        snprintf(t.version, sizeof t.version, "%s", in->version.value);
    if (in->is_enabled_set)
        t.is_enabled = in->is_enabled;
    if (!was_enabled && t.is_enabled) /* a fresh start, whoever disabled it */
        t.failing_since = t.auto_disabled_at = HK_TIME_NONE;
    if (!st && in->event_types_set)
        st = own_event_types(j->arena, in->event_types, in->n_event_types, &t);
    if (st)
        return hk_error_set(err, st, NULL, "out of memory");
    t.updated_at = now;
    t.updated_by = j->ctx->actor;
    st = tx->ops->target_update(tx->conn, &t);
    if (!st && was_enabled && !t.is_enabled)
        st = tx->ops->deliveries_cancel_for_target(tx->conn, t.workspace_id, t.id, now);
    if (st)
        return domain_store_error(err, st, "updating the target");
    *j->out = t;
    return HK_OK;
}

hk_status hk_target_update(const hk_ctx *ctx, const hk_target_update_input *in, hk_arena *arena,
                           hk_webhook_target *out, hk_error *err)
{
    hk_error_clear(err);
    hk_target_update_input copy = *in;
    char id[HK_ID_MAX];
    hk_status st = domain_copy_id("webhookTargetId", in->webhook_target_id, id, err);
    memset(out, 0, sizeof *out);
    copy.webhook_target_id = id;
    if (!st)
        st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_EDIT, err);
    if (!st && in->url.set)
        st = domain_validate_url("url", in->url.value, err);
    if (!st && in->description.set)
        st = validate_description(in->description.value, err);
    if (!st && in->version.set) {
        st = in->version.value ? validate_version(in->version.value, err)
                               : hk_error_field(err, HK_EINVAL, NULL, "version", HK_FIELD_REQUIRED,
                                                "version may not be null");
    }
    if (!st && in->event_types_set)
        st = validate_event_types(in->event_types, in->n_event_types, err);
    if (st)
        return st;
    target_job j = {ctx, NULL, &copy, arena, out};
    return store_write(ctx->store, update_tx, &j, err);
}

typedef struct delivery_job {
    const hk_ctx *ctx;
    const hk_target_delivery_input *in;
    hk_arena *arena;
    hk_webhook_target *out;
} delivery_job;

static hk_status update_delivery_tx(const store_tx *tx, void *arg, hk_error *err)
{
    delivery_job *j = arg;
    const hk_target_delivery_input *in = j->in;
    int64_t now = hk_now_ms();
    hk_webhook_target t;
    hk_status st = load_target(tx, j->ctx, in->webhook_target_id, j->arena, &t, err);
    if (st)
        return st;
    bool was_ordered = t.ordered_by_customer;
    if (in->ordered_by_customer_set)
        t.ordered_by_customer = in->ordered_by_customer;
    if (in->max_requests_per_second_set)
        t.max_requests_per_second =
            in->max_requests_per_second_null ? 0 : (uint32_t)in->max_requests_per_second;
    t.updated_at = now;
    t.updated_by = j->ctx->actor;
    st = tx->ops->target_update(tx->conn, &t);
    size_t released = 0;
    if (!st && was_ordered && !t.ordered_by_customer)
        st = tx->ops->deliveries_unblock_all(tx->conn, t.workspace_id, t.id, now, &released);
    if (st)
        return domain_store_error(err, st, "updating the target");
    if (released > 0)
        store_note_due(tx, t.workspace_id, t.id);
    *j->out = t;
    return HK_OK;
}

hk_status hk_target_update_delivery(const hk_ctx *ctx, const hk_target_delivery_input *in,
                                    hk_arena *arena, hk_webhook_target *out, hk_error *err)
{
    hk_error_clear(err);
    memset(out, 0, sizeof *out);
    hk_target_delivery_input copy = *in;
    char id[HK_ID_MAX];
    hk_status st = domain_copy_id("webhookTargetId", in->webhook_target_id, id, err);
    copy.webhook_target_id = id;
    if (!st)
        st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_EDIT, err);
    if (!st && in->max_requests_per_second_set && !in->max_requests_per_second_null &&
        (in->max_requests_per_second < 1 || in->max_requests_per_second > HK_TARGET_MAX_RPS))
        st = hk_error_field(err, HK_EINVAL, NULL, "maxRequestsPerSecond", HK_FIELD_VALIDATION,
                            "maxRequestsPerSecond must be from 1 to %d, or null for no cap",
                            HK_TARGET_MAX_RPS);
    if (st)
        return st;
    delivery_job j = {ctx, &copy, arena, out};
    return store_write(ctx->store, update_delivery_tx, &j, err);
}

typedef struct id_job {
    const hk_ctx *ctx;
    const char *id;
    hk_arena *arena;
    hk_webhook_target *out;
    bool *found;
    size_t *n;
    hk_webhook_target **list;
} id_job;

static hk_status delete_tx(const store_tx *tx, void *arg, hk_error *err)
{
    id_job *j = arg;
    hk_webhook_target t;
    hk_status st = load_target(tx, j->ctx, j->id, j->arena, &t, err);
    if (st)
        return st;
    st = tx->ops->deliveries_cancel_for_target(tx->conn, t.workspace_id, t.id, hk_now_ms());
    if (!st)
        st = tx->ops->target_delete(tx->conn, t.workspace_id, t.id);
    return st ? domain_store_error(err, st, "deleting the target") : HK_OK;
}

hk_status hk_target_delete(const hk_ctx *ctx, const char *webhook_target_id, hk_error *err)
{
    char id[HK_ID_MAX];
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_DELETE, err);
    if (!st)
        st = domain_copy_id("webhookTargetId", webhook_target_id, id, err);
    if (st)
        return st;
    hk_arena *arena = hk_arena_new(0);
    if (!arena)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    id_job j = {.ctx = ctx, .id = id, .arena = arena};
    st = store_write(ctx->store, delete_tx, &j, err);
    hk_arena_free(arena);
    return st;
}

static hk_status get_tx(const store_tx *tx, void *arg, hk_error *err)
{
    id_job *j = arg;
    hk_status st =
        tx->ops->target_get(tx->conn, j->ctx->workspace_id, j->id, j->arena, j->out, j->found);
    return st ? domain_store_error(err, st, "reading the target") : HK_OK;
}

hk_status hk_target_get(const hk_ctx *ctx, const char *webhook_target_id, hk_arena *arena,
                        hk_webhook_target *out, bool *found, hk_error *err)
{
    char id[HK_ID_MAX];
    hk_error_clear(err);
    hk_status st = domain_copy_id("webhookTargetId", webhook_target_id, id, err);
    memset(out, 0, sizeof *out);
    *found = false;
    if (st == HK_ENOTFOUND) { /* too long to exist: simply not found */
        hk_error_clear(err);
        return HK_OK;
    }
    if (!st)
        st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_READ, err);
    if (st)
        return st;
    id_job j = {.ctx = ctx, .id = id, .arena = arena, .out = out, .found = found};
    return store_read(ctx->store, get_tx, &j, err);
}

static hk_status list_tx(const store_tx *tx, void *arg, hk_error *err)
{
    id_job *j = arg;
    hk_status st = tx->ops->target_list(tx->conn, j->ctx->workspace_id, j->arena, j->list, j->n);
    return st ? domain_store_error(err, st, "listing targets") : HK_OK;
}

hk_status hk_target_list(const hk_ctx *ctx, hk_arena *arena, hk_webhook_target **out, size_t *n,
                         hk_error *err)
{
    *out = NULL;
    *n = 0;
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_READ, err);
    if (st)
        return st;
    id_job j = {.ctx = ctx, .arena = arena, .list = out, .n = n};
    return store_read(ctx->store, list_tx, &j, err);
}
