/*
 * domain.h - hookd's operations as a C API: what the GraphQL resolvers, the
 * CLI and the tests call. No HTTP here.
 *
 * Every mutation validates its input first (bad input changes nothing), then
 * runs in one store transaction together with the events it causes and one
 * pending delivery per enabled, subscribed webhook target (the transactional
 * outbox, SPEC §3). It returns HK_OK, or a status with `err` filled: Plain's
 * MutationError code and the offending fields.
 *
 * Calling context: an hk_ctx says who calls (workspace, actor, permissions).
 * A missing permission is HK_EFORBIDDEN; entities of other workspaces are
 * invisible (HK_ENOTFOUND / not found).
 *
 * Memory: results are written into caller-owned structs whose strings are
 * allocated from the caller's arena; they live as long as that arena.
 * Input strings are borrowed for the duration of the call only.
 *
 * Thread-safety: every function may be called from any thread at once; writes
 * are serialised (and group-committed) by the store's writer.
 */
#ifndef HOOKD_DOMAIN_DOMAIN_H
#define HOOKD_DOMAIN_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/catalog.h"
#include "domain/model.h"
#include "store/store.h"

/* Text limits of SPEC §2, in characters (code points) except the email. */
#define HK_NAME_MAX_CHARS 500
#define HK_EXTERNAL_ID_MAX_CHARS 500
#define HK_EMAIL_MAX_BYTES 254
#define HK_GROUP_KEY_MAX_CHARS 50
#define HK_DESCRIPTION_MAX_CHARS 500
#define HK_URL_MAX_BYTES 2048
#define HK_MAX_TARGETS_PER_WORKSPACE 25
/* Items in any list-valued input that reaches the store (group ids / keys of
 * filters and of membership changes, customerGroupExternalIds): each item
 * costs a lookup or an SQL parameter, so a 1 MiB body could otherwise ask
 * for ~200k of them. Checked with hk_validate_list_size. */
#define HK_MAX_LIST_ITEMS 100

/* API keys: "hkey_" + 43 base64url characters (256 random bits). */
#define HK_API_KEY_BUF 64

typedef struct hk_ctx {
    hk_store *store;
    char workspace_id[HK_ID_MAX];
    hk_actor actor;       /* recorded as createdBy/updatedBy */
    uint32_t permissions; /* hk_permission bits */
    /* The API key that made this context (hk_auth_api_key), "" otherwise: whose
     * use is recorded (key_usage.h). */
    char api_key_id[HK_ID_MAX];
} hk_ctx;

/* ---- workspaces, machine users, API keys ---- */

typedef struct hk_bootstrap_result {
    char workspace_id[HK_ID_MAX];
    char machine_user_id[HK_ID_MAX];
    char api_key[HK_API_KEY_BUF]; /* shown once: only its hash is stored */
} hk_bootstrap_result;

/* Creates a workspace, a machine user and an API key with every permission. */
HK_MUST_CHECK hk_status hk_workspace_bootstrap(hk_store *store, const char *workspace_name,
                                               hk_bootstrap_result *out, hk_error *err);

/* Creates another API key for a machine user of ctx's workspace with the
 * given permissions (a subset of the caller's). */
HK_MUST_CHECK hk_status hk_api_key_create(const hk_ctx *ctx, const char *machine_user_id,
                                          uint32_t permissions, char key_out[HK_API_KEY_BUF],
                                          hk_error *err);

/* ---- operators: API keys (hookd key-create, key-list, key-revoke) ----
 * These act on the store directly, outside any workspace's permissions: they
 * are for whoever runs hookd and holds its data directory. */

typedef struct hk_api_key_info {
    char id[HK_ID_MAX]; /* apiKey_...: the key's public id, never the key */
    char workspace_id[HK_ID_MAX];
    char machine_user_id[HK_ID_MAX];
    uint32_t permissions;
    const char *description; /* NULL when none was given */
    int64_t created_at;
    /* When the key last authenticated a request, accurate to a minute (see
     * key_usage.h); HK_TIME_NONE: never (always, for a key just created). */
    int64_t last_used_at;
} hk_api_key_info;

/* Creates a key for the first machine user of `workspace_id` (bootstrap's)
 * with `permissions` (non-empty, HK_PERM_* bits) and an optional
 * description (1-500 characters). The key is written to key_out, shown
 * once; *out describes it (description borrowed from the argument).
 * Validation errors name the field (workspace, permissions, description);
 * HK_ENOTFOUND for a workspace with no machine user. */
HK_MUST_CHECK hk_status hk_admin_key_create(hk_store *store, const char *workspace_id,
                                            uint32_t permissions, const char *description,
                                            hk_api_key_info *out, char key_out[HK_API_KEY_BUF],
                                            hk_error *err);

/* The keys of `workspace_id` (NULL: of every workspace), by workspace then
 * id, in `arena`. */
HK_MUST_CHECK hk_status hk_admin_key_list(hk_store *store, const char *workspace_id,
                                          hk_arena *arena, hk_api_key_info **out, size_t *n,
                                          hk_error *err);

/* Deletes a key: requests bearing it are refused from then on (a running
 * server may accept it for up to HK_AUTH_CACHE_TTL_MS more, see api.c).
 * HK_ENOTFOUND when there is no such key. */
HK_MUST_CHECK hk_status hk_admin_key_revoke(hk_store *store, const char *key_id, hk_error *err);

/* How long a running server may keep accepting a key after it was revoked
 * by another process (it remembers keys it has checked that long). */
#define HK_AUTH_CACHE_TTL_MS 5000

/* The machine user `id` of ctx's workspace (an actor's, as in createdBy);
 * *found false when there is none there. Any key of the workspace may read
 * it: its id is already in every createdBy it made. */
HK_MUST_CHECK hk_status hk_machine_user_get(const hk_ctx *ctx, const char *id, hk_arena *arena,
                                            hk_machine_user *out, bool *found, hk_error *err);

/* Resolves a bearer key to a calling context. HK_ENOTFOUND for an unknown
 * key (the comparison is on the SHA-256 of the key). */
HK_MUST_CHECK hk_status hk_auth_api_key(hk_store *store, const char *key, size_t key_len,
                                        hk_ctx *out, hk_error *err);

HK_MUST_CHECK hk_status hk_workspace_get(const hk_ctx *ctx, hk_arena *arena, hk_workspace *out,
                                         hk_error *err);

/* Workspace HMAC secret (SPEC §2): out->secret is NULL when none was generated. */
HK_MUST_CHECK hk_status hk_workspace_hmac_get(const hk_ctx *ctx, hk_arena *arena,
                                              hk_hmac_secret *out, hk_error *err);
/* Replaces the secret with 32 new random bytes (64 hex characters). */
HK_MUST_CHECK hk_status hk_workspace_hmac_regenerate(const hk_ctx *ctx, hk_arena *arena,
                                                     hk_hmac_secret *out, hk_error *err);

/* ---- customers ---- */

typedef enum hk_upsert_result {
    HK_UPSERT_CREATED,
    HK_UPSERT_UPDATED,
    HK_UPSERT_NOOP,
} hk_upsert_result;

typedef enum hk_customer_key {
    HK_CUSTOMER_BY_EMAIL,
    HK_CUSTOMER_BY_EXTERNAL_ID,
    HK_CUSTOMER_BY_ID,
} hk_customer_key;

/* A group named by id, by key or by its external id (exactly one). */
typedef struct hk_group_ref {
    const char *id;
    const char *key;
    const char *external_id; /* a group's own externalId: refused when two groups share it */
} hk_group_ref;

/* An optional input: `set` false means "leave as is"; `value` NULL with
 * `set` true means "set to null" (where null is allowed). */
typedef struct hk_opt_str {
    bool set;
    const char *value;
} hk_opt_str;

typedef struct hk_upsert_customer_input {
    hk_customer_key identifier_kind;
    const char *identifier; /* the email, external id or customer id */
    struct {
        const char *full_name;  /* required */
        const char *short_name; /* NULL: none */
        const char *email;      /* required */
        bool email_verified;
        const char *external_id; /* NULL: none (or the identifier, when by external id) */
        /* customerGroupIdentifiers: the groups a customer CREATED by this
         * upsert joins in the same transaction (needs
         * customerGroupMembership:create; an unknown group fails the whole
         * upsert). Ignored when the customer exists. At most
         * HK_MAX_LIST_ITEMS. */
        const hk_group_ref *groups;
        size_t n_groups;
    } on_create;
    struct {
        hk_opt_str full_name; /* value may not be NULL */
        hk_opt_str short_name;
        hk_opt_str external_id;
        bool email_set;
        const char *email;
        bool email_verified;
    } on_update;
} hk_upsert_customer_input;

HK_MUST_CHECK hk_status hk_customer_upsert(const hk_ctx *ctx, const hk_upsert_customer_input *in,
                                           hk_arena *arena, hk_upsert_result *result,
                                           hk_customer *out, hk_error *err);

/* *found is false (and HK_OK returned) when there is no such customer. */
HK_MUST_CHECK hk_status hk_customer_get(const hk_ctx *ctx, hk_customer_key by, const char *value,
                                        hk_arena *arena, hk_customer *out, bool *found,
                                        hk_error *err);

HK_MUST_CHECK hk_status hk_customer_mark_spam(const hk_ctx *ctx, const char *customer_id,
                                              hk_arena *arena, hk_customer *out, hk_error *err);
HK_MUST_CHECK hk_status hk_customer_unmark_spam(const hk_ctx *ctx, const char *customer_id,
                                                hk_arena *arena, hk_customer *out, hk_error *err);
/* Deletes the customer and its memberships; fires customer_deleted. */
HK_MUST_CHECK hk_status hk_customer_delete(const hk_ctx *ctx, const char *customer_id,
                                           hk_error *err);

/* ---- customer groups and memberships ---- */

typedef struct hk_group_input {
    const char *name;
    const char *key;
    const char *color;
    const char *external_id; /* NULL: none */
} hk_group_input;

typedef struct hk_group_update_input {
    const char *customer_group_id;
    hk_opt_str name;
    hk_opt_str key;
    hk_opt_str color;
    hk_opt_str external_id;
} hk_group_update_input;

HK_MUST_CHECK hk_status hk_group_create(const hk_ctx *ctx, const hk_group_input *in,
                                        hk_arena *arena, hk_customer_group *out, hk_error *err);
HK_MUST_CHECK hk_status hk_group_update(const hk_ctx *ctx, const hk_group_update_input *in,
                                        hk_arena *arena, hk_customer_group *out, hk_error *err);
/* customer_group_has_memberships while any customer is in the group. */
HK_MUST_CHECK hk_status hk_group_delete(const hk_ctx *ctx, const char *customer_group_id,
                                        hk_error *err);
/* By id (cg_...) or by key, whichever `by_key` says. */
HK_MUST_CHECK hk_status hk_group_get(const hk_ctx *ctx, const char *id_or_key, bool by_key,
                                     hk_arena *arena, hk_customer_group *out, bool *found,
                                     hk_error *err);

/*
 * HK_OK when ctx may see customer group memberships
 * (customerGroupMembership:read), else HK_EFORBIDDEN with err filled.
 * Customer reads return memberships with the customer (events need them);
 * whoever shows them to a caller asks this first.
 */
HK_MUST_CHECK hk_status hk_membership_read_check(const hk_ctx *ctx, hk_error *err);

/*
 * HK_OK when ctx may see customer groups (customerGroup:read), else
 * HK_EFORBIDDEN with err filled. A membership is returned with its group
 * (name, key, colour): whoever shows a membership's group asks this too,
 * besides hk_membership_read_check.
 */
HK_MUST_CHECK hk_status hk_group_read_check(const hk_ctx *ctx, hk_error *err);

/*
 * Adds the customer to each group (one memberships_changed event, ADDED, per
 * group it was not yet in; already-member groups are returned unchanged).
 * On any error nothing is added. *out receives the customer after the change.
 */
HK_MUST_CHECK hk_status hk_membership_add(const hk_ctx *ctx, const char *customer_id,
                                          const hk_group_ref *groups, size_t n_groups,
                                          hk_arena *arena, hk_customer *out, hk_error *err);
/* Removes; one event (REMOVED) per membership that existed. A group the
 * customer is not in is a not_found error naming it. */
HK_MUST_CHECK hk_status hk_membership_remove(const hk_ctx *ctx, const char *customer_id,
                                             const hk_group_ref *groups, size_t n_groups,
                                             hk_arena *arena, hk_customer *out, hk_error *err);

/* ---- webhook targets ---- */

typedef struct hk_target_input {
    const char *url;
    const char *description;
    const char *version; /* NULL: the latest */
    bool is_enabled;
    size_t n_event_types;
    const char *const *event_types;
} hk_target_input;

typedef struct hk_target_update_input {
    const char *webhook_target_id;
    hk_opt_str url;
    hk_opt_str description;
    hk_opt_str version;
    bool is_enabled_set;
    bool is_enabled;
    bool event_types_set;
    size_t n_event_types;
    const char *const *event_types;
} hk_target_update_input;

HK_MUST_CHECK hk_status hk_target_create(const hk_ctx *ctx, const hk_target_input *in,
                                         hk_arena *arena, hk_webhook_target *out, hk_error *err);
/* Disabling a target cancels its pending deliveries; enabling one clears
 * its failure record (failing_since, auto_disabled_at). */
HK_MUST_CHECK hk_status hk_target_update(const hk_ctx *ctx, const hk_target_update_input *in,
                                         hk_arena *arena, hk_webhook_target *out, hk_error *err);

/* The most maxRequestsPerSecond can be. */
#define HK_TARGET_MAX_RPS 100000

/* How hookd delivers to a target (hookd's own settings; fields not set are
 * kept). */
typedef struct hk_target_delivery_input {
    const char *webhook_target_id;
    bool ordered_by_customer_set;
    bool ordered_by_customer;
    bool max_requests_per_second_set;
    bool max_requests_per_second_null; /* null: no cap */
    int64_t max_requests_per_second;   /* 1..HK_TARGET_MAX_RPS */
} hk_target_delivery_input;

/*
 * Sets a target's delivery settings (webhookTarget:edit). Ordered by
 * customer: each customer's events reach the target one at a time, in
 * commit order, the next waiting until the one before succeeded or failed
 * for good; other customers are not held. It applies to events made from
 * then on; turning it off lets every waiting delivery go at once. A cap on
 * requests per second paces attempts to the target. Validation errors name
 * the field (maxRequestsPerSecond out of range).
 */
HK_MUST_CHECK hk_status hk_target_update_delivery(const hk_ctx *ctx,
                                                  const hk_target_delivery_input *in,
                                                  hk_arena *arena, hk_webhook_target *out,
                                                  hk_error *err);
/* Cancels its pending deliveries; events are kept. */
HK_MUST_CHECK hk_status hk_target_delete(const hk_ctx *ctx, const char *webhook_target_id,
                                         hk_error *err);
HK_MUST_CHECK hk_status hk_target_get(const hk_ctx *ctx, const char *webhook_target_id,
                                      hk_arena *arena, hk_webhook_target *out, bool *found,
                                      hk_error *err);
/* All targets of the workspace, oldest first (at most 25). */
HK_MUST_CHECK hk_status hk_target_list(const hk_ctx *ctx, hk_arena *arena, hk_webhook_target **out,
                                       size_t *n, hk_error *err);

/* ---- lists (Relay pagination, SPEC §6) ---- */

#define HK_PAGE_DEFAULT 25
#define HK_PAGE_MAX 100

/* first/last: -1 when not given. Cursors are the ids of the rows, except in
 * customer lists sorted by name (hk_customer_list_sorted). */
typedef struct hk_page_request {
    int first;
    int last;
    const char *after;
    const char *before;
} hk_page_request;

typedef struct hk_page_info {
    bool has_next_page;
    bool has_previous_page;
    const char *start_cursor; /* NULL on an empty page */
    const char *end_cursor;
    int64_t total_count; /* -1 unless asked for */
    /* The cursor of each row of the page when it is not the row's id (customer
     * lists sorted by name); NULL when the cursors are the ids. */
    const char *const *cursors;
} hk_page_info;

/* HK_EINVAL (naming first/last/after/before) for mixed directions,
 * negative or over-large sizes. */
HK_MUST_CHECK hk_status hk_page_check(const hk_page_request *p, hk_error *err);

typedef struct hk_customer_filter {
    int marked_as_spam; /* -1: either */
    size_t n_group_ids;
    const char *const *group_ids;
    size_t n_group_keys;
    const char *const *group_keys;
    bool has_updated_from, has_updated_until;
    int64_t updated_from;  /* updatedAt >= this (unix ms), when has_updated_from */
    int64_t updated_until; /* updatedAt < this (unix ms), when has_updated_until */
    /* A condition no customer meets: in given tenants or companies, which
     * hookd does not model (no customer belongs to any). */
    bool match_none;
} hk_customer_filter;

/* A page of customers (with memberships), in creation order. Filtering by
 * group answers "who is in this group", so it needs
 * customerGroupMembership:read besides customer:read; each group list holds
 * at most HK_MAX_LIST_ITEMS (HK_EINVAL naming filters.customerGroupIds /
 * filters.customerGroupKeys). */
HK_MUST_CHECK hk_status hk_customer_list(const hk_ctx *ctx, const hk_customer_filter *filter,
                                         const hk_page_request *page, bool want_total,
                                         hk_arena *arena, hk_customer **out, size_t *n,
                                         hk_page_info *info, hk_error *err);

/* The order of a customer list. */
typedef enum hk_customer_sort {
    HK_CUSTOMER_SORT_CREATED,        /* creation order (by id): hk_customer_list */
    HK_CUSTOMER_SORT_FULL_NAME_ASC,  /* by fullName, then by id */
    HK_CUSTOMER_SORT_FULL_NAME_DESC, /* the same, reversed */
} hk_customer_sort;

/*
 * As hk_customer_list (same permissions, filters, limits and page rules), in
 * the order `sort` asks; HK_CUSTOMER_SORT_CREATED is hk_customer_list itself.
 * By full name: ordered by fullName, customers of equal names by id, both in
 * the direction asked; names are compared byte by byte (BINARY: the order of
 * their UTF-8 bytes, which is code point order; no case folding, no locale).
 * Each row's cursor (info->cursors, and the start and end cursors) is an
 * opaque string holding the row's position, its full name and id, so that
 * paging from it stays right when that customer is renamed or deleted since;
 * a cursor that is not one of these (an id, a cursor of another list, a
 * damaged one) is HK_EINVAL naming after/before, before anything is read.
 * Keyset pagination: a page reads its rows from an index, never an offset.
 */
HK_MUST_CHECK hk_status hk_customer_list_sorted(const hk_ctx *ctx, const hk_customer_filter *filter,
                                                hk_customer_sort sort, const hk_page_request *page,
                                                bool want_total, hk_arena *arena, hk_customer **out,
                                                size_t *n, hk_page_info *info, hk_error *err);

HK_MUST_CHECK hk_status hk_group_list(const hk_ctx *ctx, const hk_page_request *page,
                                      bool want_total, hk_arena *arena, hk_customer_group **out,
                                      size_t *n, hk_page_info *info, hk_error *err);

/* Slices an in-memory, id-ordered list the same way (memberships of one
 * customer): `ids[i]` is the cursor of item i. Sets *from and *count. */
HK_MUST_CHECK hk_status hk_page_slice(const hk_page_request *page, const char *const *ids, size_t n,
                                      size_t *from, size_t *count, hk_page_info *info,
                                      hk_error *err);

/* ---- policy ---- */

/* Development mode (HOOKD_ALLOW_PRIVATE_TARGETS=1): allow http:// targets and
 * loopback/private destinations. Off by default. Process-wide, thread-safe. */
void hk_domain_set_allow_private_targets(bool allow);
bool hk_domain_private_targets_allowed(void);

/* ---- input validation, shared with the GraphQL layer ---- */

/* Each returns HK_OK or HK_EINVAL with a field error naming `field`. */
HK_MUST_CHECK hk_status hk_validate_text(const char *field, const char *s, size_t max_chars,
                                         hk_error *err);
HK_MUST_CHECK hk_status hk_validate_email(const char *field, const char *s, hk_error *err);
HK_MUST_CHECK hk_status hk_validate_color(const char *field, const char *s, hk_error *err);
HK_MUST_CHECK hk_status hk_validate_group_key(const char *field, const char *s, hk_error *err);
/* A list input of n items: at most HK_MAX_LIST_ITEMS (the message names the
 * field and the limit). */
HK_MUST_CHECK hk_status hk_validate_list_size(const char *field, size_t n, hk_error *err);

#endif
