#include "json/webhook_body.h"

#include <string.h>

#include "domain/catalog.h"
#include "json/jsonw.h"

/*
 * Every public function here appends inside a jsonw_begin/jsonw_end group:
 * the static writers ignore individual results and the group's end reports
 * the first failure and leaves `out` as it was, so no half-written object is
 * ever left behind. Field order is that of Plain's documented examples;
 * receivers may compare bodies byte for byte.
 */

static bool actor_type_known(hk_actor_type t)
{
    return t == HK_ACTOR_MACHINE_USER || t == HK_ACTOR_USER || t == HK_ACTOR_SYSTEM ||
           t == HK_ACTOR_CUSTOMER;
}

static void put_actor(hk_buf *b, const hk_actor *a)
{
    switch (a->type) {
    case HK_ACTOR_MACHINE_USER:
        JSONW_LIT(b, "{\"actorType\":\"machineUser\",\"machineUserId\":");
        break;
    case HK_ACTOR_USER:
        JSONW_LIT(b, "{\"actorType\":\"user\",\"userId\":");
        break;
    case HK_ACTOR_SYSTEM:
        JSONW_LIT(b, "{\"actorType\":\"system\",\"system\":");
        break;
    case HK_ACTOR_CUSTOMER:
        JSONW_LIT(b, "{\"actorType\":\"customer\",\"customerId\":");
        break;
    }
    /* id[] is a fixed array: never read past it even if unterminated. */
    jsonw_string_n(b, a->id, strnlen(a->id, sizeof a->id));
    hk_buf_putc(b, '}');
}

static void put_id(hk_buf *b, const char id[HK_ID_MAX])
{
    jsonw_string_n(b, id, strnlen(id, HK_ID_MAX));
}

static void put_stamps(hk_buf *b, int64_t created_at, const hk_actor *created_by,
                       int64_t updated_at, const hk_actor *updated_by)
{
    JSONW_LIT(b, "\"createdAt\":");
    jsonw_time(b, created_at);
    JSONW_LIT(b, ",\"createdBy\":");
    put_actor(b, created_by);
    JSONW_LIT(b, ",\"updatedAt\":");
    jsonw_time(b, updated_at);
    JSONW_LIT(b, ",\"updatedBy\":");
    put_actor(b, updated_by);
}

/* Plain's examples leave the group's externalId out of webhook bodies. */
static void put_group(hk_buf *b, const hk_customer_group *g)
{
    JSONW_LIT(b, "{\"id\":");
    put_id(b, g->id);
    JSONW_LIT(b, ",\"workspaceId\":");
    put_id(b, g->workspace_id);
    JSONW_LIT(b, ",\"name\":");
    jsonw_string(b, g->name);
    JSONW_LIT(b, ",\"key\":");
    jsonw_string(b, g->key);
    JSONW_LIT(b, ",\"color\":");
    jsonw_string(b, g->color);
    hk_buf_putc(b, ',');
    put_stamps(b, g->created_at, &g->created_by, g->updated_at, &g->updated_by);
    hk_buf_putc(b, '}');
}

static void put_membership(hk_buf *b, const hk_membership *m)
{
    JSONW_LIT(b, "{\"customerId\":");
    put_id(b, m->customer_id);
    JSONW_LIT(b, ",\"customerGroupId\":");
    put_id(b, m->customer_group_id);
    JSONW_LIT(b, ",\"workspaceId\":");
    put_id(b, m->workspace_id);
    hk_buf_putc(b, ',');
    put_stamps(b, m->created_at, &m->created_by, m->updated_at, &m->updated_by);
    JSONW_LIT(b, ",\"customerGroup\":");
    put_group(b, &m->group);
    hk_buf_putc(b, '}');
}

static void put_customer(hk_buf *b, const hk_customer *c)
{
    JSONW_LIT(b, "{\"id\":");
    put_id(b, c->id);
    JSONW_LIT(b, ",\"email\":{\"email\":");
    jsonw_string(b, c->email);
    JSONW_LIT(b, ",\"isVerified\":");
    jsonw_bool(b, c->email_verified);
    JSONW_LIT(b, ",\"verifiedAt\":");
    jsonw_time(b, c->email_verified_at);
    JSONW_LIT(b, "},\"externalId\":");
    jsonw_string_or_null(b, c->external_id);
    JSONW_LIT(b, ",\"fullName\":");
    jsonw_string(b, c->full_name);
    JSONW_LIT(b, ",\"shortName\":");
    jsonw_string_or_null(b, c->short_name);
    JSONW_LIT(b, ",\"markedAsSpamAt\":");
    jsonw_time(b, c->marked_as_spam_at);
    JSONW_LIT(b, ",\"markedAsSpamBy\":");
    if (c->marked_as_spam_at == HK_TIME_NONE)
        jsonw_null(b);
    else
        put_actor(b, &c->marked_as_spam_by);
    JSONW_LIT(b, ",\"customerGroupMemberships\":[");
    for (size_t i = 0; i < c->n_memberships; i++) {
        if (i)
            hk_buf_putc(b, ',');
        put_membership(b, &c->memberships[i]);
    }
    JSONW_LIT(b, "],");
    put_stamps(b, c->created_at, &c->created_by, c->updated_at, &c->updated_by);
    hk_buf_putc(b, '}');
}

/* The writers above trust these; a NULL string or an unknown enum would
 * otherwise crash or emit an actor without a type. */
static bool group_ok(const hk_customer_group *g)
{
    return g->name && g->key && g->color && actor_type_known(g->created_by.type) &&
           actor_type_known(g->updated_by.type);
}

static bool customer_ok(const hk_customer *c)
{
    if (!c->email || !c->full_name || !actor_type_known(c->created_by.type) ||
        !actor_type_known(c->updated_by.type))
        return false;
    if (c->marked_as_spam_at != HK_TIME_NONE && !actor_type_known(c->marked_as_spam_by.type))
        return false;
    if (c->n_memberships && !c->memberships)
        return false;
    for (size_t i = 0; i < c->n_memberships; i++) {
        const hk_membership *m = &c->memberships[i];
        if (!actor_type_known(m->created_by.type) || !actor_type_known(m->updated_by.type) ||
            !group_ok(&m->group))
            return false;
    }
    return true;
}

hk_status webhook_render_actor(hk_buf *out, const hk_actor *a)
{
    if (!a || !actor_type_known(a->type))
        return HK_EINVAL;
    jsonw_mark m = jsonw_begin(out);
    put_actor(out, a);
    return jsonw_end(out, m);
}

hk_status webhook_render_customer(hk_buf *out, const hk_customer *c)
{
    if (!c || !customer_ok(c))
        return HK_EINVAL;
    jsonw_mark m = jsonw_begin(out);
    put_customer(out, c);
    return jsonw_end(out, m);
}

/* Which of customer / previousCustomer each event carries (SPEC §3). */
static bool needs_customer(hk_event_type t)
{
    return t != HK_EVENT_CUSTOMER_DELETED;
}

static bool needs_previous(hk_event_type t)
{
    return t != HK_EVENT_CUSTOMER_CREATED;
}

static bool payload_args_ok(hk_event_type type, hk_change_type change, const hk_customer *customer,
                            const hk_customer *previous)
{
    if ((unsigned)type >= HK_EVENT_TYPE_COUNT)
        return false;
    bool membership = type == HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED;
    bool change_ok = membership ? change == HK_CHANGE_ADDED || change == HK_CHANGE_REMOVED
                                : change == HK_CHANGE_NONE;
    if (!change_ok)
        return false;
    if (needs_customer(type) && (!customer || !customer_ok(customer)))
        return false;
    return !needs_previous(type) || (previous && customer_ok(previous));
}

hk_status webhook_render_payload(hk_buf *out, hk_event_type type, hk_change_type change,
                                 const hk_customer *customer, const hk_customer *previous)
{
    if (!payload_args_ok(type, change, customer, previous))
        return HK_EINVAL;
    jsonw_mark m = jsonw_begin(out);
    JSONW_LIT(out, "{\"eventType\":");
    jsonw_string(out, hk_event_type_name(type));
    if (change == HK_CHANGE_ADDED)
        JSONW_LIT(out, ",\"changeType\":\"ADDED\"");
    else if (change == HK_CHANGE_REMOVED)
        JSONW_LIT(out, ",\"changeType\":\"REMOVED\"");
    if (needs_customer(type)) {
        JSONW_LIT(out, ",\"customer\":");
        put_customer(out, customer);
    }
    if (needs_previous(type)) {
        JSONW_LIT(out, ",\"previousCustomer\":");
        put_customer(out, previous);
    }
    hk_buf_putc(out, '}');
    return jsonw_end(out, m);
}

static void put_template(hk_buf *b, const hk_event *ev, size_t *prefix_len)
{
    JSONW_LIT(b, "{\"timestamp\":");
    jsonw_time(b, ev->timestamp);
    JSONW_LIT(b, ",\"workspaceId\":");
    put_id(b, ev->workspace_id);
    JSONW_LIT(b, ",\"payload\":");
    jsonw_raw(b, ev->payload_json, ev->payload_len);
    JSONW_LIT(b, ",\"id\":");
    put_id(b, ev->id);
    JSONW_LIT(b, ",\"webhookMetadata\":");
    *prefix_len = b->len;
    JSONW_LIT(b, ",\"type\":");
    jsonw_string(b, hk_event_type_name(ev->type));
    hk_buf_putc(b, '}');
}

hk_status webhook_body_template_init(webhook_body_template *tpl, const hk_event *ev)
{
    hk_buf_init(&tpl->text, 0);
    tpl->prefix_len = 0;
    if (!ev || (unsigned)ev->type >= HK_EVENT_TYPE_COUNT || !ev->payload_json ||
        ev->timestamp == HK_TIME_NONE)
        return HK_EINVAL;
    put_template(&tpl->text, ev, &tpl->prefix_len);
    hk_status st = tpl->text.err;
    if (st)
        webhook_body_template_free(tpl);
    return st;
}

void webhook_body_template_free(webhook_body_template *tpl)
{
    if (!tpl)
        return;
    hk_buf_free(&tpl->text);
    tpl->prefix_len = 0;
}

static bool meta_ok(const webhook_attempt_meta *m)
{
    return m && m->target_id && m->target_version && m->attempt_id && m->attempt_number >= 1 &&
           m->attempt_timestamp != HK_TIME_NONE;
}

static void put_metadata(hk_buf *b, const webhook_attempt_meta *m)
{
    JSONW_LIT(b, "{\"webhookTargetId\":");
    jsonw_string(b, m->target_id);
    JSONW_LIT(b, ",\"webhookTargetVersion\":");
    jsonw_string(b, m->target_version);
    JSONW_LIT(b, ",\"webhookDeliveryAttemptId\":");
    jsonw_string(b, m->attempt_id);
    JSONW_LIT(b, ",\"webhookDeliveryAttemptNumber\":");
    jsonw_uint(b, m->attempt_number);
    JSONW_LIT(b, ",\"webhookDeliveryAttemptTimestamp\":");
    jsonw_time(b, m->attempt_timestamp);
    hk_buf_putc(b, '}');
}

hk_status webhook_render_metadata(hk_buf *out, const webhook_attempt_meta *m)
{
    if (!meta_ok(m))
        return HK_EINVAL;
    jsonw_mark mark = jsonw_begin(out);
    put_metadata(out, m);
    return jsonw_end(out, mark);
}

hk_status webhook_body_assemble(hk_buf *out, const webhook_body_template *tpl,
                                const webhook_attempt_meta *m)
{
    if (!tpl || !tpl->text.data || !meta_ok(m))
        return HK_EINVAL;
    jsonw_mark mark = jsonw_begin(out);
    /* The template's size is a lower bound: if it does not fit, nothing will. */
    if (hk_buf_reserve(out, tpl->text.len) == HK_OK) {
        jsonw_raw(out, tpl->text.data, tpl->prefix_len);
        put_metadata(out, m);
        jsonw_raw(out, tpl->text.data + tpl->prefix_len, tpl->text.len - tpl->prefix_len);
    }
    return jsonw_end(out, mark);
}
