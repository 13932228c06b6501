/*
 * domain_int.h - what the domain's own files share.
 */
#ifndef HOOKD_DOMAIN_INT_H
#define HOOKD_DOMAIN_INT_H

#include "domain/domain.h"
#include "store/store_int.h"

/* HK_EFORBIDDEN (naming the permission) unless ctx holds `perm`. */
HK_MUST_CHECK hk_status domain_require(const hk_ctx *ctx, hk_permission perm, hk_error *err);

/* The schema's emailAddress pattern. */
bool domain_email_matches(const char *s, size_t n);

/* Absolute http(s) URL with a host; https only unless private targets are
 * allowed; literal loopback/private/link-local hosts refused likewise. */
HK_MUST_CHECK hk_status domain_validate_url(const char *field, const char *url, hk_error *err);

/* Maps a store status to an error (store statuses carry no message). */
hk_status domain_store_error(hk_error *err, hk_status st, const char *what);

/*
 * The outbox: renders the event's payload, inserts the event and one pending
 * delivery per enabled target subscribed to its type. Runs inside the
 * mutation's savepoint, so the event exists iff the change is committed.
 */
HK_MUST_CHECK hk_status outbox_emit(const store_tx *tx, const char *ws, hk_event_type type,
                                    hk_change_type change, const hk_customer *customer,
                                    const hk_customer *previous, int64_t now, hk_error *err);

/* Copies an entity id given by the caller into `out` before any output is
 * touched (callers may pass an id that lives in the struct they receive the
 * result in). HK_EINVAL (REQUIRED) for NULL or empty; an id too long to
 * exist is HK_ENOTFOUND naming the field. */
HK_MUST_CHECK hk_status domain_copy_id(const char *field, const char *id, char out[HK_ID_MAX],
                                       hk_error *err);

/* The event alone, without fan-out (test events go to one target). */
HK_MUST_CHECK hk_status outbox_insert_event(const store_tx *tx, const char *ws, hk_event_type type,
                                            hk_change_type change, const hk_customer *customer,
                                            const hk_customer *previous, int64_t now,
                                            char event_id[HK_ID_MAX], hk_error *err);

/* Checks a list of group references before any store work: at most
 * HK_MAX_LIST_ITEMS, each naming exactly one of id and key. `field` is the
 * list's name in errors ("customerGroupIdentifiers"). */
HK_MUST_CHECK hk_status domain_check_group_refs(const char *field, const hk_group_ref *groups,
                                                size_t n, hk_error *err);

/*
 * Inside a write transaction: adds the stored customer `cur` to each group
 * named, skipping groups it is already in (or named twice). A group that does
 * not exist fails the call with not_found naming `<field>[i].customerGroupId`
 * (or .customerGroupKey); the caller's transaction then writes nothing.
 * Fires no event: (*states)[0] is `cur`, (*states)[k] the customer after the
 * k-th membership added, *n_states = added + 1, for
 * domain_memberships_emit_added. States live in `arena`.
 */
HK_MUST_CHECK hk_status domain_memberships_add(const store_tx *tx, const hk_ctx *ctx,
                                               const hk_customer *cur, const hk_group_ref *groups,
                                               size_t n, const char *field, hk_arena *arena,
                                               int64_t now, hk_customer **states, size_t *n_states,
                                               hk_error *err);
/* One customer_group_memberships_changed ADDED per membership added: event k
 * has previousCustomer states[k-1] and customer states[k]. */
HK_MUST_CHECK hk_status domain_memberships_emit_added(const store_tx *tx, const char *ws,
                                                      const hk_customer *states, size_t n_states,
                                                      int64_t now, hk_error *err);

/* Copies s into the arena (NULL stays NULL). Sets *st to HK_ENOMEM on failure. */
const char *domain_dup(hk_arena *a, const char *s, hk_status *st);

/* ---- pagination over a backend (lists.c) ---- */

/* What a list operation needs from its backend: a page and a count. */
typedef hk_status (*domain_page_fn)(const store_tx *tx, void *arg, const store_page *p, void **rows,
                                    size_t *n);
typedef const char *(*domain_row_id_fn)(const void *rows, size_t i);

typedef struct domain_list_job {
    const hk_ctx *ctx;
    const hk_page_request *page;
    hk_arena *arena;
    domain_page_fn fetch;
    domain_row_id_fn row_id;
    hk_status (*count)(const store_tx *tx, void *arg, int64_t *n);
    void *arg;
    bool want_total;
    void **rows;
    size_t *n;
    hk_page_info *info;
} domain_list_job;

/* One Relay page: fetches want+1 rows from the cursor, looks once past the
 * cursor the other way for the far-side flag, puts a backward page in list
 * order, fills *j->rows, *j->n and *j->info (and the total if asked).
 * Returns a store status. */
HK_MUST_CHECK hk_status domain_list_run(const store_tx *tx, domain_list_job *j, size_t row_size);

#endif
