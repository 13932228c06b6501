/*
 * resolve_deliveries.c - hookd's operator operations (src/api/hookd.graphql):
 * list a target's deliveries and their attempts (with the headers each sent),
 * re-send, send a test event.
 */
#include <stdio.h>
#include <string.h>

#include "api/resolve.h"
#include "delivery/attempt.h"
#include "delivery/dispatcher.h"
#include "domain/deliveries.h"

static hk_status oom(gql_field_ctx *fc)
{
    return gql_request_fail(fc, GQL_CODE_INTERNAL, 500, "out of memory");
}

static const char *const status_names[] = {
    [HK_DELIVERY_PENDING] = "PENDING",
    [HK_DELIVERY_SUCCEEDED] = "SUCCEEDED",
    [HK_DELIVERY_FAILED] = "FAILED",
    [HK_DELIVERY_CANCELLED] = "CANCELLED",
};

static int status_arg(gql_field_ctx *fc)
{
    const char *s = resolve_arg_string(fc, "status");
    for (int i = 0; s && i < (int)(sizeof status_names / sizeof status_names[0]); i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

static const char *delivery_cursor(const void *row)
{
    return ((const hk_delivery *)row)->event_id;
}

static hk_status q_deliveries(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_page_request page;
    hk_status st = resolve_page_args(fc, &page);
    if (st)
        return st;
    hk_delivery_filter filter = {status_arg(fc)};
    hk_delivery *list;
    size_t n;
    hk_page_info info;
    hk_error err;
    if (hk_delivery_list(resolve_ctx(fc), resolve_arg_string(fc, "webhookTargetId"), &filter, &page,
                         gql_arena(fc), &list, &n, &info, &err)) {
        if (err.status == HK_ENOTFOUND)
            return gql_field_error_status(fc, GQL_CODE_BAD_USER_INPUT, 400, "%s", err.message);
        return resolve_query_error(fc, &err);
    }
    return resolve_connection(fc, "HookdWebhookDeliveryConnection", "HookdWebhookDeliveryEdge",
                              "HookdWebhookDelivery", list, n, sizeof *list, delivery_cursor, &info,
                              out);
}

/* ---- HookdWebhookDelivery ---- */

static const hk_delivery *dl(const void *p)
{
    return p;
}

static hk_status d_event_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, dl(p)->event_id);
    return HK_OK;
}

static hk_status d_event_type(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, dl(p)->event_type);
    return HK_OK;
}

static hk_status d_target_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, dl(p)->target_id);
    return HK_OK;
}

static hk_status d_status(gql_field_ctx *fc, const void *p, gql_result *out)
{
    unsigned s = dl(p)->status;
    gql_result_enum(out,
                    s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "PENDING");
    return HK_OK;
}

static hk_status d_attempt_count(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_int(out, dl(p)->attempts);
    return HK_OK;
}

static hk_status d_next_attempt_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_delivery *d = dl(p);
    return resolve_datetime(
        fc, d->status == HK_DELIVERY_PENDING ? d->next_attempt_at : HK_TIME_NONE, out);
}

static hk_status d_waiting(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_delivery *d = dl(p);
    gql_result_bool(out, d->status == HK_DELIVERY_PENDING && d->next_attempt_at == HK_TIME_NONE);
    return HK_OK;
}

static hk_status d_created_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, dl(p)->created_at, out);
}

static hk_status d_updated_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, dl(p)->updated_at, out);
}

/*
 * The attempt's request headers, rebuilt from its record by the list the
 * dispatcher sends (delivery_header_list), so the two cannot drift apart.
 * Two values are secrets, or as good as, and are masked: the signature (the
 * record keeps only its first hex digits: whoever holds a whole one can
 * replay the request to the receiver, signed) and the Authorization the
 * URL's credentials became (never kept). Null when the record does not say
 * (no request was made, or an older hookd recorded it).
 */
static hk_status request_headers(gql_field_ctx *fc, const hk_delivery *d, const hk_attempt *a,
                                 gql_result *out)
{
    if (!a->sent_version[0]) {
        gql_result_null(out);
        return HK_OK;
    }
    static const char basic_masked[] = "Basic \xe2\x80\xa6" /* "Basic …" */;
    char signature[HK_ATTEMPT_SIGNATURE_KEPT + 8];
    snprintf(signature, sizeof signature, "%s\xe2\x80\xa6", a->sent_signature);
    delivery_header_values v = {
        .user_agent = a->sent_user_agent ? a->sent_user_agent : HK_DISPATCHER_DEFAULT_USER_AGENT,
        .workspace_id = d->workspace_id,
        .target_id = d->target_id,
        .target_version = a->sent_version,
        .attempt_id = a->attempt_id,
        .attempt_number = a->number,
        .attempt_timestamp = a->started_at,
        .event_type = d->event_type,
        .event_id = d->event_id,
        .signature = a->sent_signature[0] ? signature : NULL,
        .authorization = a->sent_basic_auth ? basic_masked : NULL,
    };
    delivery_header_text text;
    delivery_header h[DELIVERY_HEADERS_SENT];
    size_t n = delivery_header_list(&v, &text, h);
    hk_arena *ar = gql_arena(fc);
    if (gql_result_list(out, n, ar))
        return oom(fc);
    for (size_t i = 0; i < n; i++) {
        gql_result *m = &out->u.list.items[i];
        if (gql_result_map(m, "HookdHttpHeader", 3, ar))
            return oom(fc);
        gql_result_string(gql_result_map_put(m, "name"), h[i].name);
        hk_status st = resolve_string(fc, h[i].value, gql_result_map_put(m, "value"));
        if (st)
            return st;
        gql_result_bool(gql_result_map_put(m, "masked"),
                        h[i].value == signature || h[i].value == basic_masked);
    }
    return HK_OK;
}

static hk_status attempt_map(gql_field_ctx *fc, const hk_delivery *d, const hk_attempt *a,
                             gql_result *out)
{
    hk_arena *ar = gql_arena(fc);
    if (gql_result_map(out, "HookdWebhookDeliveryAttempt", 8, ar))
        return oom(fc);
    gql_result_string(gql_result_map_put(out, "id"), a->attempt_id);
    gql_result_int(gql_result_map_put(out, "number"), a->number);
    hk_status st = resolve_datetime(fc, a->started_at, gql_result_map_put(out, "startedAt"));
    if (st)
        return st;
    gql_result_int(gql_result_map_put(out, "durationMs"), a->duration_ms);
    gql_result *code = gql_result_map_put(out, "statusCode");
    if (a->status_code)
        gql_result_int(code, a->status_code);
    gql_result_string(gql_result_map_put(out, "error"), a->error);
    gql_result_string(gql_result_map_put(out, "responseExcerpt"), a->response_excerpt);
    return request_headers(fc, d, a, gql_result_map_put(out, "requestHeaders"));
}

static hk_status d_attempts(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_delivery *d = dl(p);
    hk_attempt *list;
    size_t n;
    hk_error err;
    if (hk_attempt_list(resolve_ctx(fc), d->target_id, d->event_id, gql_arena(fc), &list, &n, &err))
        return resolve_query_error(fc, &err);
    if (gql_result_list(out, n, gql_arena(fc)))
        return oom(fc);
    for (size_t i = 0; i < n; i++) {
        hk_status st = attempt_map(fc, d, &list[i], &out->u.list.items[i]);
        if (st)
            return st;
    }
    return HK_OK;
}

/* ---- mutations ---- */

static hk_status m_resend(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *in = gql_arg(fc, "input");
    hk_status st = resolve_output(fc, "HookdResendWebhookEventOutput", 1, out);
    if (st)
        return st;
    hk_error err;
    if (hk_delivery_resend(resolve_ctx(fc), resolve_input_string(in, "webhookTargetId"),
                           resolve_input_string(in, "eventId"), &err))
        return resolve_mutation_error(fc, &err, out);
    return HK_OK;
}

static hk_status m_resend_failed(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *in = gql_arg(fc, "input");
    hk_status st = resolve_output(fc, "HookdResendFailedWebhookDeliveriesOutput", 2, out);
    if (st)
        return st;
    hk_error err;
    hk_error_clear(&err);
    const char *since_text = resolve_input_string(in, "since");
    int64_t since;
    if (!since_text || hk_time_parse(since_text, strlen(since_text), &since)) {
        hk_error_field(&err, HK_EINVAL, NULL, "since", HK_FIELD_VALIDATION,
                       "since must be an ISO-8601 date-time like 2026-01-31T12:00:00.000Z");
        return resolve_mutation_error(fc, &err, out);
    }
    size_t count;
    if (hk_delivery_resend_failed(resolve_ctx(fc), resolve_input_string(in, "webhookTargetId"),
                                  since, &count, &err))
        return resolve_mutation_error(fc, &err, out);
    gql_result_int(gql_result_map_put(out, "count"), (int64_t)count);
    return HK_OK;
}

static hk_status m_send_test(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *in = gql_arg(fc, "input");
    hk_status st = resolve_output(fc, "HookdSendTestWebhookEventOutput", 2, out);
    if (st)
        return st;
    char *event_id = hk_arena_alloc(gql_arena(fc), HK_ID_MAX);
    if (!event_id)
        return oom(fc);
    hk_error err;
    if (hk_delivery_send_test(resolve_ctx(fc), resolve_input_string(in, "webhookTargetId"),
                              event_id, &err))
        return resolve_mutation_error(fc, &err, out);
    gql_result_string(gql_result_map_put(out, "eventId"), event_id);
    return HK_OK;
}

static const resolve_binding bindings[] = {
    {"Query", "hookdWebhookDeliveries", q_deliveries},
    {"HookdWebhookDelivery", "eventId", d_event_id},
    {"HookdWebhookDelivery", "eventType", d_event_type},
    {"HookdWebhookDelivery", "webhookTargetId", d_target_id},
    {"HookdWebhookDelivery", "status", d_status},
    {"HookdWebhookDelivery", "attemptCount", d_attempt_count},
    {"HookdWebhookDelivery", "nextAttemptAt", d_next_attempt_at},
    {"HookdWebhookDelivery", "waitingForEarlierDelivery", d_waiting},
    {"HookdWebhookDelivery", "createdAt", d_created_at},
    {"HookdWebhookDelivery", "updatedAt", d_updated_at},
    {"HookdWebhookDelivery", "attempts", d_attempts},
    {"Mutation", "hookdResendWebhookEvent", m_resend},
    {"Mutation", "hookdResendFailedWebhookDeliveries", m_resend_failed},
    {"Mutation", "hookdSendTestWebhookEvent", m_send_test},
};

hk_status resolve_bind_deliveries(gql_schema *s)
{
    return resolve_bind_table(s, bindings, sizeof bindings / sizeof bindings[0]);
}
