/*
 * model.h - the entities of SPEC §2 as C values.
 *
 * These structs are plain data filled by the store. Strings are owned by
 * whoever filled the struct, normally an hk_arena passed to the read or
 * mutation call: they live as long as that arena. Optional strings are NULL
 * when absent; optional times are HK_TIME_NONE.
 */
#ifndef HOOKD_DOMAIN_MODEL_H
#define HOOKD_DOMAIN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/ids.h"

/* Longest system actor name we keep ("email_inbound_handler" and the like). */
#define HK_ACTOR_ID_MAX 64

typedef enum hk_actor_type {
    HK_ACTOR_MACHINE_USER, /* {"actorType":"machineUser","machineUserId":...} */
    HK_ACTOR_USER,         /* {"actorType":"user","userId":...} */
    HK_ACTOR_SYSTEM,       /* {"actorType":"system","system":...} */
    HK_ACTOR_CUSTOMER,     /* {"actorType":"customer","customerId":...} */
} hk_actor_type;

/* Who made a change. `id` is the machine user, user or customer id, or the
 * system's name. */
typedef struct hk_actor {
    hk_actor_type type;
    char id[HK_ACTOR_ID_MAX];
} hk_actor;

typedef struct hk_customer_group {
    char id[HK_ID_MAX];
    char workspace_id[HK_ID_MAX];
    const char *name;
    const char *key;
    const char *color;       /* "#RGB", "#RRGGBB", ... */
    const char *external_id; /* NULL when none */
    int64_t created_at;
    hk_actor created_by;
    int64_t updated_at;
    hk_actor updated_by;
} hk_customer_group;

typedef struct hk_membership {
    char customer_id[HK_ID_MAX];
    char customer_group_id[HK_ID_MAX];
    char workspace_id[HK_ID_MAX];
    int64_t created_at;
    hk_actor created_by;
    int64_t updated_at;
    hk_actor updated_by;
    hk_customer_group group;
} hk_membership;

typedef struct hk_customer {
    char id[HK_ID_MAX];
    char workspace_id[HK_ID_MAX];
    const char *email;
    bool email_verified;
    int64_t email_verified_at; /* HK_TIME_NONE unless verified */
    const char *external_id;   /* NULL when none */
    const char *full_name;
    const char *short_name;     /* NULL when none */
    int64_t marked_as_spam_at;  /* HK_TIME_NONE when not spam */
    hk_actor marked_as_spam_by; /* meaningful only when marked_as_spam_at is set */
    int64_t created_at;
    hk_actor created_by;
    int64_t updated_at;
    hk_actor updated_by;
    size_t n_memberships; /* ordered by membership creation */
    hk_membership *memberships;
} hk_customer;

#define HK_VERSION_MAX 16 /* "2026-04-21" + NUL, with room */

typedef struct hk_webhook_target {
    char id[HK_ID_MAX];
    char workspace_id[HK_ID_MAX];
    const char *url; /* as registered, credentials included: mask before showing */
    const char *description;
    char version[HK_VERSION_MAX];
    bool is_enabled;
    size_t n_event_types;
    const char **event_types; /* subscriptions, in the order given */
    int64_t created_at;
    hk_actor created_by;
    int64_t updated_at;
    hk_actor updated_by;
    /* How hookd delivers to it (hookd's own, not Plain's; see deliveries.h). */
    bool ordered_by_customer;         /* a customer's events one at a time, in commit order */
    uint32_t max_requests_per_second; /* 0: no cap */
    int64_t failing_since;    /* start of the current run of failed attempts, HK_TIME_NONE: none */
    int64_t auto_disabled_at; /* when hookd disabled it for failing too long, else HK_TIME_NONE */
} hk_webhook_target;

typedef struct hk_workspace {
    char id[HK_ID_MAX];
    const char *name;
    int64_t created_at;
    hk_actor created_by;
    int64_t updated_at;
    hk_actor updated_by;
} hk_workspace;

/* An API client of one workspace (Plain's MachineUser): keys belong to one.
 * hookd's are made by bootstrap, by the system actor "hookd". */
typedef struct hk_machine_user {
    char id[HK_ID_MAX];
    const char *name;
    int64_t created_at;
    hk_actor created_by;
} hk_machine_user;

/* The workspace's HMAC secret (SPEC §2); secret NULL when none was made. */
#define HK_HMAC_SECRET_BUF 65 /* 64 hex characters (32 random bytes) and a NUL */

typedef struct hk_hmac_secret {
    const char *secret;
    int64_t created_at; /* first generated */
    hk_actor created_by;
    int64_t updated_at; /* last regenerated */
    hk_actor updated_by;
} hk_hmac_secret;

/* The customer events hookd fires (SPEC §3). */
typedef enum hk_event_type {
    HK_EVENT_CUSTOMER_CREATED,
    HK_EVENT_CUSTOMER_UPDATED,
    HK_EVENT_CUSTOMER_DELETED,
    HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED,
    HK_EVENT_TYPE_COUNT
} hk_event_type;

typedef enum hk_change_type {
    HK_CHANGE_NONE, /* events other than memberships_changed */
    HK_CHANGE_ADDED,
    HK_CHANGE_REMOVED,
} hk_change_type;

/* An event as stored: its payload object is rendered once, at creation. */
/* A target with pending deliveries, and the earliest time one of them can
 * be claimed (its due time, or when its lease runs out). */
typedef struct hk_due_target {
    char workspace_id[HK_ID_MAX];
    char target_id[HK_ID_MAX];
    int64_t next_due;
} hk_due_target;

typedef struct hk_event {
    char id[HK_ID_MAX];
    char workspace_id[HK_ID_MAX];
    hk_event_type type;
    int64_t timestamp;
    const char *payload_json; /* the "payload" object, compact JSON */
    size_t payload_len;
    char customer_id[HK_ID_MAX]; /* the customer it is about (ordered delivery); "" unknown */
} hk_event;

#endif
