/*
 * resolve_target_delivery.c - how hookd delivers to a webhook target
 * (src/api/hookd.graphql): WebhookTarget.hookdDelivery and the mutation
 * hookdUpdateWebhookTargetDelivery (ordered by customer, a requests-per-
 * second cap), and what the dispatcher records of the target's failures.
 */
#include <string.h>

#include "api/resolve.h"

static hk_status oom(gql_field_ctx *fc)
{
    return gql_request_fail(fc, GQL_CODE_INTERNAL, 500, "out of memory");
}

static hk_status t_hookd_delivery(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_webhook_target *t = p;
    if (gql_result_map(out, "HookdWebhookTargetDelivery", 4, gql_arena(fc)))
        return oom(fc);
    gql_result_bool(gql_result_map_put(out, "orderedByCustomer"), t->ordered_by_customer);
    gql_result *rps = gql_result_map_put(out, "maxRequestsPerSecond");
    if (t->max_requests_per_second > 0)
        gql_result_int(rps, t->max_requests_per_second);
    hk_status st = resolve_datetime(fc, t->failing_since, gql_result_map_put(out, "failingSince"));
    if (!st)
        st = resolve_datetime(fc, t->auto_disabled_at, gql_result_map_put(out, "autoDisabledAt"));
    return st;
}

/* Reads the input: a field absent leaves the setting as it is; an explicit
 * null does too for orderedByCustomer, and removes the cap for
 * maxRequestsPerSecond. */
static void read_input(const gql_value *input, hk_target_delivery_input *in)
{
    memset(in, 0, sizeof *in);
    in->webhook_target_id = resolve_input_string(input, "webhookTargetId");
    const gql_value *ordered = gql_value_field(input, "orderedByCustomer");
    if (ordered && ordered->kind == GQL_V_BOOL) {
        in->ordered_by_customer_set = true;
        in->ordered_by_customer = ordered->u.b;
    }
    const gql_value *rps = gql_value_field(input, "maxRequestsPerSecond");
    if (rps) {
        in->max_requests_per_second_set = true;
        in->max_requests_per_second_null = rps->kind != GQL_V_INT;
        if (rps->kind == GQL_V_INT)
            in->max_requests_per_second = rps->u.i;
    }
}

static hk_status m_update_delivery(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    (void)parent;
    hk_status st = resolve_output(fc, "HookdUpdateWebhookTargetDeliveryOutput", 2, out);
    if (st)
        return st;
    hk_target_delivery_input in;
    read_input(gql_arg(fc, "input"), &in);
    hk_arena *a = gql_arena(fc);
    hk_webhook_target *t = hk_arena_alloc(a, sizeof *t);
    if (!t)
        return oom(fc);
    hk_error err;
    if (hk_target_update_delivery(resolve_ctx(fc), &in, a, t, &err))
        return resolve_mutation_error(fc, &err, out);
    gql_result_object(gql_result_map_put(out, "webhookTarget"), "WebhookTarget", t);
    return HK_OK;
}

static const resolve_binding bindings[] = {
    {"WebhookTarget", "hookdDelivery", t_hookd_delivery},
    {"Mutation", "hookdUpdateWebhookTargetDelivery", m_update_delivery},
};

hk_status resolve_bind_target_delivery(gql_schema *s)
{
    return resolve_bind_table(s, bindings, sizeof bindings / sizeof bindings[0]);
}
