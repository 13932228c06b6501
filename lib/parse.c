/*
 * parse.c - one webhook body into an hk_webhook: the JSON, the version, the
 * envelope (ids, times, metadata, type), the customer payload, the attempt
 * time, in the order verify.h promises.
 *
 * Strings are not copied: they point into the jansson tree, which the
 * result keeps alive until hk_webhook_free. jansson guarantees them
 * NUL-terminated valid UTF-8 without NUL inside (we do not pass
 * JSON_ALLOW_NUL).
 */
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define FAIL(c, at, key, ...) hkv_fail((c), HK_VERIFY_SCHEMA_VIOLATION, (at), (key), __VA_ARGS__)

typedef struct box {
    hk_webhook wh; /* first, so that hk_webhook_free can get the box back */
    json_t *root;
    hk_webhook_customer customers[2]; /* payload.customer, payload.previousCustomer */
} box;

static const hkv_path meta_path = {.key = "webhookMetadata"};
static const hkv_path payload_path = {.key = "payload"};

static void box_free(box *b)
{
    if (!b)
        return;
    hkv_customer_clear(&b->customers[0]);
    hkv_customer_clear(&b->customers[1]);
    json_decref(b->root);
    free(b);
}

void hk_webhook_free(hk_webhook *wh)
{
    box_free((box *)wh);
}

static bool load(hkv_ctx *c, const char *body, size_t len, json_t **root)
{
    json_error_t err;
    /* Default flags: duplicate keys keep the last value (as JSON.parse),
     * depth is bounded by JSON_PARSER_MAX_DEPTH, NUL in strings refused. */
    *root = json_loadb(body, len, 0, &err);
    if (!*root) {
        if (json_error_code(&err) == json_error_out_of_memory)
            return hkv_fail(c, HK_VERIFY_NO_MEMORY, NULL, NULL, "out of memory");
        return hkv_fail(c, HK_VERIFY_MALFORMED_JSON, NULL, NULL, "line %d, column %d: %s", err.line,
                        err.column, err.text);
    }
    if (!json_is_object(*root))
        return hkv_fail(c, HK_VERIFY_MALFORMED_JSON, NULL, NULL, "JSON, but not an object");
    return true;
}

/* Before the rest of the schema: a body of another version may differ anywhere. */
static bool version(hkv_ctx *c, json_t *root, const hk_verify_options *o)
{
    json_t *meta = json_object_get(root, "webhookMetadata");
    json_t *v = json_is_object(meta) ? json_object_get(meta, "webhookTargetVersion") : NULL;
    if (!json_is_string(v) || hkv_version_accepted(o, json_string_value(v)))
        return true; /* a missing or non-string version is a schema violation, found later */
    return hkv_fail(c, HK_VERIFY_VERSION_MISMATCH, &meta_path, "webhookTargetVersion",
                    "\"%s\" is not an accepted version", json_string_value(v));
}

/* "integer" with "exclusiveMinimum": 0; 1.0 is an integer to JSON Schema. */
static bool attempt_number(hkv_ctx *c, json_t *o, uint32_t *out)
{
    const char *key = "webhookDeliveryAttemptNumber";
    json_t *v = json_object_get(o, key);
    double d;
    if (!v)
        return FAIL(c, &meta_path, key, "missing (required)");
    if (json_is_integer(v))
        d = (double)json_integer_value(v);
    else if (json_is_real(v))
        d = json_real_value(v);
    else
        return FAIL(c, &meta_path, key, "must be an integer");
    if (!(d >= 1))
        return FAIL(c, &meta_path, key, "must be greater than 0");
    if (d > UINT32_MAX)
        return FAIL(c, &meta_path, key, "larger than this library supports (2^32 - 1)");
    if ((double)(uint32_t)d != d)
        return FAIL(c, &meta_path, key, "must be an integer");
    *out = (uint32_t)d;
    return true;
}

static bool attempt_time(hkv_ctx *c, json_t *o, int64_t *out, bool *js_ok)
{
    const char *key = "webhookDeliveryAttemptTimestamp";
    const char *s;
    if (!hkv_get_string(c, &meta_path, o, key, &s))
        return false;
    if (!hkv_datetime_parse(s, strlen(s), out, js_ok))
        return FAIL(c, &meta_path, key, "not a date-time (2023-10-19T14:21:43.616Z)");
    return true;
}

static bool metadata(hkv_ctx *c, json_t *root, hk_webhook_metadata *m, bool *js_ok)
{
    json_t *o;
    return hkv_get_object(c, NULL, root, "webhookMetadata", &o) &&
           hkv_get_id(c, &meta_path, o, "webhookTargetId", &m->webhook_target_id) &&
           hkv_get_string(c, &meta_path, o, "webhookTargetVersion", &m->webhook_target_version) &&
           hkv_get_id(c, &meta_path, o, "webhookDeliveryAttemptId",
                      &m->webhook_delivery_attempt_id) &&
           attempt_number(c, o, &m->webhook_delivery_attempt_number) &&
           attempt_time(c, o, &m->webhook_delivery_attempt_timestamp, js_ok);
}

/*
 * The schema does not tie `type` to payload.eventType; SPEC §3 and every
 * body Plain sends do. We require it, so that a receiver that dispatches on
 * either one sees the same event.
 */
static bool event_type(hkv_ctx *c, json_t *payload, hk_webhook *wh, hkv_event_kind *kind)
{
    const char *payload_type;
    if (!hkv_get_string(c, &payload_path, payload, "eventType", &payload_type))
        return false;
    *kind = hkv_event_lookup(wh->event_type, wh->metadata.webhook_target_version, &wh->event);
    if (*kind == HKV_EVENT_INVALID)
        return FAIL(c, NULL, "type", "\"%s\" is not an event type of version %s", wh->event_type,
                    wh->metadata.webhook_target_version);
    if (strcmp(payload_type, wh->event_type) != 0)
        return FAIL(c, &payload_path, "eventType", "must equal type (\"%s\")", wh->event_type);
    return true;
}

static bool envelope(hkv_ctx *c, box *b, json_t **payload, hkv_event_kind *kind, bool *js_ok)
{
    hk_webhook *wh = &b->wh;
    return hkv_get_time(c, NULL, b->root, "timestamp", &wh->timestamp) &&
           hkv_get_id(c, NULL, b->root, "workspaceId", &wh->workspace_id) &&
           hkv_get_id(c, NULL, b->root, "id", &wh->id) &&
           metadata(c, b->root, &wh->metadata, js_ok) &&
           hkv_get_string(c, NULL, b->root, "type", &wh->event_type) &&
           hkv_get_object(c, NULL, b->root, "payload", payload) &&
           event_type(c, *payload, wh, kind);
}

static bool customer(hkv_ctx *c, json_t *payload, const char *key, hk_webhook_customer *slot,
                     hk_webhook_customer **out)
{
    if (!hkv_customer(c, &payload_path, key, json_object_get(payload, key), slot))
        return false;
    *out = slot;
    return true;
}

static bool change_type(hkv_ctx *c, json_t *payload, hk_webhook *wh)
{
    if (!hkv_get_string(c, &payload_path, payload, "changeType", &wh->change_type))
        return false;
    if (strcmp(wh->change_type, "ADDED") != 0 && strcmp(wh->change_type, "REMOVED") != 0)
        return FAIL(c, &payload_path, "changeType", "must be ADDED or REMOVED");
    return true;
}

static bool payload_fields(hkv_ctx *c, json_t *p, box *b)
{
    hk_webhook *wh = &b->wh;
    hk_webhook_customer *now = &b->customers[0], *before = &b->customers[1];
    switch (wh->event) {
    case HK_WEBHOOK_CUSTOMER_CREATED:
        return customer(c, p, "customer", now, &wh->customer);
    case HK_WEBHOOK_CUSTOMER_UPDATED:
        return customer(c, p, "customer", now, &wh->customer) &&
               customer(c, p, "previousCustomer", before, &wh->previous_customer);
    case HK_WEBHOOK_CUSTOMER_DELETED:
        return customer(c, p, "previousCustomer", before, &wh->previous_customer);
    case HK_WEBHOOK_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED:
        return change_type(c, p, wh) && customer(c, p, "customer", now, &wh->customer) &&
               customer(c, p, "previousCustomer", before, &wh->previous_customer);
    }
    return FAIL(c, &payload_path, "eventType", "unexpected");
}

/* |now - ts| > tolerance, as the SDK; computed without overflow. */
static bool fresh(hkv_ctx *c, const hk_verify_options *o, int64_t ts, bool js_ok)
{
    const char *key = "webhookDeliveryAttemptTimestamp";
    if (o->tolerance_ms < 0)
        return true;
    /* the SDK's Date.parse gives NaN for these, and it refuses the body */
    if (!js_ok)
        return FAIL(c, &meta_path, key, "not a time JavaScript's Date.parse accepts");
    int64_t now = o->now_ms ? o->now_ms : hkv_now_ms();
    uint64_t diff = ts > now ? (uint64_t)ts - (uint64_t)now : (uint64_t)now - (uint64_t)ts;
    if (diff <= (uint64_t)o->tolerance_ms)
        return true;
    return hkv_fail(c, HK_VERIFY_STALE, &meta_path, key, "%llu ms %s now; the tolerance is %lld ms",
                    (unsigned long long)diff, ts > now ? "after" : "before",
                    (long long)o->tolerance_ms);
}

hk_verify_result hkv_parse(const char *body, size_t body_len, const hk_verify_options *o,
                           hk_webhook **out)
{
    hkv_ctx c = {.result = HK_VERIFY_OK, .detail = o->detail, .detail_size = o->detail_size};
    json_t *root = NULL, *payload = NULL;
    hkv_event_kind kind = HKV_EVENT_INVALID;
    bool js_ok = false;
    box *b = NULL;

    if (!load(&c, body, body_len, &root) || !version(&c, root, o))
        goto out;
    b = calloc(1, sizeof *b);
    if (!b) {
        hkv_fail(&c, HK_VERIFY_NO_MEMORY, NULL, NULL, "out of memory");
        goto out;
    }
    b->root = root;
    root = NULL;
    if (!envelope(&c, b, &payload, &kind, &js_ok))
        goto out;
    if (kind == HKV_EVENT_CUSTOMER && !payload_fields(&c, payload, b))
        goto out;
    if (!fresh(&c, o, b->wh.metadata.webhook_delivery_attempt_timestamp, js_ok))
        goto out;
    /* after the time check: a replayed body is STALE whatever its type */
    if (kind != HKV_EVENT_CUSTOMER) {
        hkv_fail(&c, HK_VERIFY_UNKNOWN_EVENT, NULL, "type", "\"%s\" is not parsed by this library",
                 b->wh.event_type);
        goto out;
    }
    *out = &b->wh;
    b = NULL;
    hkv_detail(o->detail, o->detail_size, "");
out:
    json_decref(root);
    box_free(b);
    return c.result;
}
