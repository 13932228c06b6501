/*
 * resolve_events.c - the events hookd stored (src/api/hookd.graphql):
 * hookdEvent, hookdEvents and HookdEvent's fields, for operators and the
 * dashboard (an event's payload, a customer's events, an event's deliveries).
 */
#include <string.h>

#include "api/resolve.h"
#include "domain/events.h"

static hk_status oom(gql_field_ctx *fc)
{
    return gql_request_fail(fc, GQL_CODE_INTERNAL, 500, "out of memory");
}

static hk_status q_event(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    hk_event *ev = hk_arena_alloc(a, sizeof *ev);
    if (!ev)
        return oom(fc);
    bool found;
    hk_error err;
    if (hk_event_get(resolve_ctx(fc), resolve_arg_string(fc, "eventId"), a, ev, &found, &err))
        return resolve_query_error(fc, &err);
    gql_result_object(out, "HookdEvent", found ? ev : NULL);
    return HK_OK;
}

static const char *event_cursor(const void *row)
{
    return ((const hk_event *)row)->id;
}

static hk_status q_events(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_page_request page;
    hk_status st = resolve_page_args(fc, &page);
    if (st)
        return st;
    hk_event *list;
    size_t n;
    hk_page_info info;
    hk_error err;
    if (hk_event_list_for_customer(resolve_ctx(fc), resolve_arg_string(fc, "customerId"), &page,
                                   gql_arena(fc), &list, &n, &info, &err))
        return resolve_query_error(fc, &err);
    return resolve_connection(fc, "HookdEventConnection", "HookdEventEdge", "HookdEvent", list, n,
                              sizeof *list, event_cursor, &info, out);
}

/* ---- HookdEvent ---- */

static const hk_event *ev_of(const void *p)
{
    return p;
}

static hk_status e_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, ev_of(p)->id);
    return HK_OK;
}

static hk_status e_type(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const char *name = hk_event_type_name(ev_of(p)->type);
    gql_result_string(out, name ? name : "unknown");
    return HK_OK;
}

static hk_status e_timestamp(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, ev_of(p)->timestamp, out);
}

static hk_status e_customer_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_event *ev = ev_of(p);
    if (ev->customer_id[0])
        gql_result_string(out, ev->customer_id);
    else
        gql_result_null(out);
    return HK_OK;
}

/* The event came with customer:read; the payload also holds the customer's
 * memberships and their groups. Refused at this field's path, like
 * Customer.customerGroupMemberships: non-null, so the event above it goes
 * null, and the rest of the answer stays. */
static hk_status e_payload(gql_field_ctx *fc, const void *p, gql_result *out)
{
    hk_error err;
    hk_error_clear(&err);
    if (hk_event_payload_read_check(resolve_ctx(fc), &err))
        return resolve_field_error(fc, &err);
    const hk_event *ev = ev_of(p);
    gql_result_string_n(out, ev->payload_json, ev->payload_len);
    return HK_OK;
}

static hk_status e_deliveries(gql_field_ctx *fc, const void *p, gql_result *out)
{
    hk_delivery *list;
    size_t n;
    hk_error err;
    if (hk_event_deliveries(resolve_ctx(fc), ev_of(p)->id, gql_arena(fc), &list, &n, &err))
        return resolve_field_error(fc, &err);
    if (gql_result_list(out, n, gql_arena(fc)))
        return oom(fc);
    for (size_t i = 0; i < n; i++)
        gql_result_object(&out->u.list.items[i], "HookdWebhookDelivery", &list[i]);
    return HK_OK;
}

static const resolve_binding bindings[] = {
    {"Query", "hookdEvent", q_event},
    {"Query", "hookdEvents", q_events},
    {"HookdEvent", "id", e_id},
    {"HookdEvent", "eventType", e_type},
    {"HookdEvent", "timestamp", e_timestamp},
    {"HookdEvent", "customerId", e_customer_id},
    {"HookdEvent", "payload", e_payload},
    {"HookdEvent", "deliveries", e_deliveries},
};

hk_status resolve_bind_events(gql_schema *s)
{
    return resolve_bind_table(s, bindings, sizeof bindings / sizeof bindings[0]);
}
