/*
 * events.c - the event types of Plain's webhook schemas, and from which
 * version on each has a payload definition. A body is valid only when its
 * type is one of its version's; "since" compares as text because versions
 * are dates. A version newer than all of these knows every type here.
 */
#include <string.h>

#include "verify_int.h"

#define OTHER (-1)

static const struct event_type {
    const char *name;
    const char *since; /* NULL: every version */
    int event;         /* hk_webhook_event, or OTHER */
} types[] = {
    {"customer.customer_created", NULL, HK_WEBHOOK_CUSTOMER_CREATED},
    {"customer.customer_updated", NULL, HK_WEBHOOK_CUSTOMER_UPDATED},
    {"customer.customer_deleted", NULL, HK_WEBHOOK_CUSTOMER_DELETED},
    {"customer.customer_group_memberships_changed", NULL,
     HK_WEBHOOK_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED},
    {"customer.customer_changed", NULL, OTHER},
    {"customer.customer_group_changed", NULL, OTHER},
    {"timeline.timeline_entry_changed", NULL, OTHER},
    {"thread.thread_created", NULL, OTHER},
    {"thread.thread_status_transitioned", NULL, OTHER},
    {"thread.thread_assignment_transitioned", NULL, OTHER},
    {"thread.email_received", NULL, OTHER},
    {"thread.email_sent", NULL, OTHER},
    {"thread.slack_message_received", NULL, OTHER},
    {"thread.slack_message_sent", NULL, OTHER},
    {"thread.ms_teams_message_sent", NULL, OTHER},
    {"thread.ms_teams_message_received", NULL, OTHER},
    {"thread.chat_sent", NULL, OTHER},
    {"thread.note_created", NULL, OTHER},
    {"thread.thread_labels_changed", NULL, OTHER},
    {"thread.thread_priority_changed", NULL, OTHER},
    {"thread.thread_field_created", NULL, OTHER},
    {"thread.thread_field_updated", NULL, OTHER},
    {"thread.thread_field_deleted", NULL, OTHER},
    {"thread.service_level_agreement_status_transitioned", NULL, OTHER},
    {"thread.slack_message_updated", "2025-08-06", OTHER},
    {"thread.discord_message_received", "2025-08-06", OTHER},
    {"thread.discord_message_sent", "2025-08-06", OTHER},
    {"thread.discord_message_updated", "2025-08-06", OTHER},
    {"thread.chat_received", "2025-08-06", OTHER},
    /* listed in the type enum of 2026-02-27 and 2026-03-13, but without a
     * payload definition there, so no body of it validates before 2026-04-21 */
    {"thread.thread_tenant_updated", "2026-04-21", OTHER},
};

hkv_event_kind hkv_event_lookup(const char *type, const char *version, hk_webhook_event *ev)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const struct event_type *t = &types[i];
        if (strcmp(t->name, type) != 0)
            continue;
        if (t->since && strcmp(version, t->since) < 0)
            return HKV_EVENT_INVALID;
        if (t->event == OTHER)
            return HKV_EVENT_OTHER;
        *ev = (hk_webhook_event)t->event;
        return HKV_EVENT_CUSTOMER;
    }
    return HKV_EVENT_INVALID;
}
