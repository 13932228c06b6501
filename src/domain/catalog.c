#include "domain/catalog.h"

#include <string.h>

/* Oldest first; the last entry is the latest and the default for new targets. */
const hk_webhook_version hk_webhook_versions[] = {
    {"2024-09-18", false, false}, {"2025-08-06", false, false}, {"2026-02-27", false, false},
    {"2026-03-13", false, false}, {"2026-04-21", true, false},
};
const size_t hk_webhook_version_count = sizeof hk_webhook_versions / sizeof hk_webhook_versions[0];

const char *hk_webhook_version_latest(void)
{
    return hk_webhook_versions[hk_webhook_version_count - 1].version;
}

static const char *default_version; /* NULL: the latest */

const char *hk_webhook_version_default(void)
{
    return default_version ? default_version : hk_webhook_version_latest();
}

bool hk_webhook_version_set_default(const char *v)
{
    const hk_webhook_version *found = v ? hk_webhook_version_find(v, strlen(v)) : NULL;
    if (found)
        default_version = found->version;
    return found != NULL;
}

static bool equals(const char *a, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(a, lit, n) == 0;
}

const hk_webhook_version *hk_webhook_version_find(const char *v, size_t n)
{
    for (size_t i = 0; i < hk_webhook_version_count; i++)
        if (equals(v, n, hk_webhook_versions[i].version))
            return &hk_webhook_versions[i];
    return NULL;
}

static const char *const fired[HK_EVENT_TYPE_COUNT] = {
    [HK_EVENT_CUSTOMER_CREATED] = "customer.customer_created",
    [HK_EVENT_CUSTOMER_UPDATED] = "customer.customer_updated",
    [HK_EVENT_CUSTOMER_DELETED] = "customer.customer_deleted",
    [HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED] = "customer.customer_group_memberships_changed",
};

/* Every event type in the `type` enum of Plain's webhook schemas (union over
 * the supported versions): a target may subscribe to any of them. */
static const char *const subscribable[] = {
    "thread.thread_created",
    "thread.thread_status_transitioned",
    "thread.thread_assignment_transitioned",
    "thread.email_received",
    "thread.email_sent",
    "thread.slack_message_received",
    "thread.slack_message_sent",
    "thread.slack_message_updated",
    "thread.discord_message_received",
    "thread.discord_message_sent",
    "thread.discord_message_updated",
    "thread.ms_teams_message_sent",
    "thread.ms_teams_message_received",
    "thread.chat_sent",
    "thread.chat_received",
    "thread.note_created",
    "thread.thread_labels_changed",
    "thread.thread_priority_changed",
    "thread.thread_field_created",
    "thread.thread_field_updated",
    "thread.thread_field_deleted",
    "thread.service_level_agreement_status_transitioned",
    "thread.thread_tenant_updated",
    "customer.customer_created",
    "customer.customer_updated",
    "customer.customer_deleted",
    "customer.customer_changed",
    "customer.customer_group_changed",
    "customer.customer_group_memberships_changed",
    "timeline.timeline_entry_changed",
};

const char *hk_event_type_name(hk_event_type t)
{
    if ((unsigned)t >= HK_EVENT_TYPE_COUNT)
        return "unknown";
    return fired[t];
}

bool hk_event_type_from_name(const char *name, size_t n, hk_event_type *out)
{
    for (int t = 0; t < HK_EVENT_TYPE_COUNT; t++) {
        if (equals(name, n, fired[t])) {
            *out = (hk_event_type)t;
            return true;
        }
    }
    return false;
}

bool hk_event_type_is_subscribable(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof subscribable / sizeof subscribable[0]; i++)
        if (equals(name, n, subscribable[i]))
            return true;
    return false;
}

static const char *const permission_names[] = {
    "customer:read",
    "customer:create",
    "customer:edit",
    "customer:delete",
    "customerGroup:read",
    "customerGroup:create",
    "customerGroup:edit",
    "customerGroup:delete",
    "customerGroupMembership:read",
    "customerGroupMembership:create",
    "customerGroupMembership:delete",
    "webhookTarget:read",
    "webhookTarget:create",
    "webhookTarget:edit",
    "webhookTarget:delete",
    "workspace:read",
    "workspaceHmac:read",
    "workspaceHmac:edit",
};

const char *hk_permission_name(hk_permission p)
{
    for (unsigned i = 0; i < sizeof permission_names / sizeof permission_names[0]; i++)
        if ((uint32_t)p == (1u << i))
            return permission_names[i];
    return NULL;
}

bool hk_permission_from_name(const char *name, size_t n, hk_permission *out)
{
    for (unsigned i = 0; i < sizeof permission_names / sizeof permission_names[0]; i++) {
        if (equals(name, n, permission_names[i])) {
            *out = (hk_permission)(1u << i);
            return true;
        }
    }
    return false;
}
