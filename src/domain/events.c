/*
 * events.c - the events hookd stored, read by operators (see events.h).
 */
#include <string.h>

#include "domain/domain_int.h"
#include "domain/events.h"

/* An id given by the caller, copied; one too long to exist reads as not
 * found (*found false, HK_OK), as any unknown id. */
static hk_status copy_lookup_id(const char *field, const char *id, char out[HK_ID_MAX], bool *found,
                                hk_error *err)
{
    *found = false;
    hk_status st = domain_copy_id(field, id, out, err);
    if (st == HK_ENOTFOUND) {
        hk_error_clear(err);
        return HK_OK;
    }
    *found = st == HK_OK;
    return st;
}

typedef struct event_job {
    const hk_ctx *ctx;
    const char *id; /* event or customer */
    hk_arena *arena;
    hk_event *event;
    bool *found;
    const hk_page_request *page;
    hk_event **events;
    hk_delivery **deliveries;
    size_t *n;
    hk_page_info *info;
} event_job;

static hk_status get_tx(const store_tx *tx, void *arg, hk_error *err)
{
    event_job *j = arg;
    hk_status st =
        tx->ops->event_get(tx->conn, j->ctx->workspace_id, j->id, j->arena, j->event, j->found);
    return st ? domain_store_error(err, st, "reading the event") : HK_OK;
}

hk_status hk_event_get(const hk_ctx *ctx, const char *event_id, hk_arena *arena, hk_event *out,
                       bool *found, hk_error *err)
{
    memset(out, 0, sizeof *out);
    *found = false;
    hk_error_clear(err);
    char id[HK_ID_MAX];
    bool valid;
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_READ, err);
    if (!st)
        st = copy_lookup_id("eventId", event_id, id, &valid, err);
    if (st || !valid)
        return st;
    event_job j = {.ctx = ctx, .id = id, .arena = arena, .event = out, .found = found};
    return store_read(ctx->store, get_tx, &j, err);
}

hk_status hk_event_payload_read_check(const hk_ctx *ctx, hk_error *err)
{
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_READ, err);
    if (!st)
        st = hk_membership_read_check(ctx, err);
    if (!st)
        st = hk_group_read_check(ctx, err);
    return st;
}

static hk_status fetch_events(const store_tx *tx, void *arg, const store_page *p, void **rows,
                              size_t *n)
{
    event_job *j = arg;
    hk_event *list;
    hk_status st =
        tx->ops->event_page(tx->conn, j->ctx->workspace_id, j->id, p, j->arena, &list, n);
    *rows = list;
    return st;
}

static const char *event_row_id(const void *rows, size_t i)
{
    return ((const hk_event *)rows)[i].id;
}

static hk_status list_tx(const store_tx *tx, void *arg, hk_error *err)
{
    event_job *j = arg;
    domain_list_job lj = {.ctx = j->ctx,
                          .page = j->page,
                          .arena = j->arena,
                          .fetch = fetch_events,
                          .row_id = event_row_id,
                          .arg = j,
                          .rows = (void **)j->events,
                          .n = j->n,
                          .info = j->info};
    hk_status st = domain_list_run(tx, &lj, sizeof(hk_event));
    return st ? domain_store_error(err, st, "listing events") : HK_OK;
}

hk_status hk_event_list_for_customer(const hk_ctx *ctx, const char *customer_id,
                                     const hk_page_request *page, hk_arena *arena, hk_event **out,
                                     size_t *n, hk_page_info *info, hk_error *err)
{
    *out = NULL;
    *n = 0;
    memset(info, 0, sizeof *info);
    hk_error_clear(err);
    char id[HK_ID_MAX];
    bool valid;
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_READ, err);
    if (!st)
        st = hk_page_check(page, err);
    if (!st)
        st = copy_lookup_id("customerId", customer_id, id, &valid, err);
    if (st || !valid)
        return st;
    event_job j = {
        .ctx = ctx, .id = id, .arena = arena, .page = page, .events = out, .n = n, .info = info};
    return store_read(ctx->store, list_tx, &j, err);
}

static hk_status deliveries_tx(const store_tx *tx, void *arg, hk_error *err)
{
    event_job *j = arg;
    hk_status st = tx->ops->event_deliveries(tx->conn, j->ctx->workspace_id, j->id, j->arena,
                                             j->deliveries, j->n);
    return st ? domain_store_error(err, st, "listing the event's deliveries") : HK_OK;
}

hk_status hk_event_deliveries(const hk_ctx *ctx, const char *event_id, hk_arena *arena,
                              hk_delivery **out, size_t *n, hk_error *err)
{
    *out = NULL;
    *n = 0;
    hk_error_clear(err);
    char id[HK_ID_MAX];
    bool valid;
    hk_status st = domain_require(ctx, HK_PERM_WEBHOOK_TARGET_READ, err);
    if (!st)
        st = copy_lookup_id("eventId", event_id, id, &valid, err);
    if (st || !valid)
        return st;
    event_job j = {.ctx = ctx, .id = id, .arena = arena, .deliveries = out, .n = n};
    return store_read(ctx->store, deliveries_tx, &j, err);
}
