/*
 * catalog.h - the fixed vocabularies: webhook versions, event types,
 * permissions.
 */
#ifndef HOOKD_DOMAIN_CATALOG_H
#define HOOKD_DOMAIN_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/model.h"

typedef struct hk_webhook_version {
    const char *version; /* "2026-04-21" */
    bool is_latest;
    bool is_deprecated;
} hk_webhook_version;

/* Supported versions, oldest first; the last one is the latest. */
extern const hk_webhook_version hk_webhook_versions[];
extern const size_t hk_webhook_version_count;
const char *hk_webhook_version_latest(void);
/* The version a target gets when created without one: the latest unless
 * hk_webhook_version_set_default chose another (hookd serve
 * --default-webhook-version). Static. */
const char *hk_webhook_version_default(void);
/* False (and nothing changed) when `v` is not a supported version. Call it
 * before serving: it is read without a lock. */
bool hk_webhook_version_set_default(const char *v);
/* The catalog entry for `v` (exact match), NULL when unsupported. */
const hk_webhook_version *hk_webhook_version_find(const char *v, size_t n);

/* "customer.customer_created", ... Static. */
const char *hk_event_type_name(hk_event_type t);
/* The hookd event with that name; false when hookd does not fire it. */
bool hk_event_type_from_name(const char *name, size_t n, hk_event_type *out);
/* True for every event type Plain defines (threads, customers, ...), which a
 * webhook target may subscribe to even when hookd never fires it. */
bool hk_event_type_is_subscribable(const char *name, size_t n);

/* Permissions of an API key, as a bit set. */
typedef enum hk_permission {
    HK_PERM_CUSTOMER_READ = 1u << 0,
    HK_PERM_CUSTOMER_CREATE = 1u << 1,
    HK_PERM_CUSTOMER_EDIT = 1u << 2,
    HK_PERM_CUSTOMER_DELETE = 1u << 3,
    HK_PERM_CUSTOMER_GROUP_READ = 1u << 4,
    HK_PERM_CUSTOMER_GROUP_CREATE = 1u << 5,
    HK_PERM_CUSTOMER_GROUP_EDIT = 1u << 6,
    HK_PERM_CUSTOMER_GROUP_DELETE = 1u << 7,
    HK_PERM_MEMBERSHIP_READ = 1u << 8,
    HK_PERM_MEMBERSHIP_CREATE = 1u << 9,
    HK_PERM_MEMBERSHIP_DELETE = 1u << 10,
    HK_PERM_WEBHOOK_TARGET_READ = 1u << 11,
    HK_PERM_WEBHOOK_TARGET_CREATE = 1u << 12,
    HK_PERM_WEBHOOK_TARGET_EDIT = 1u << 13,
    HK_PERM_WEBHOOK_TARGET_DELETE = 1u << 14,
    HK_PERM_WORKSPACE_READ = 1u << 15,
    HK_PERM_WORKSPACE_HMAC_READ = 1u << 16,
    HK_PERM_WORKSPACE_HMAC_EDIT = 1u << 17,
} hk_permission;

#define HK_PERM_ALL ((uint32_t)((1u << 18) - 1))

/* "customer:read", ... Static; NULL for a value that is not one bit. */
const char *hk_permission_name(hk_permission p);
/* Parses one name; false when unknown. */
bool hk_permission_from_name(const char *name, size_t n, hk_permission *out);

#endif
