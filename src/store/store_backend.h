/*
 * store_backend.h - the interface a storage backend implements (SQLite,
 * store_sqlite.c; PostgreSQL, store_pg.c), in the manner of SQLite's VFS: a
 * table of functions over an opaque connection. The generic layer (store.c)
 * owns threads, batching and the reader pool; the domain (src/domain) owns
 * the rules; a backend only stores and loads rows. One conformance suite
 * (tests/unit/test_domain*.c and the other tests on test_env) runs against
 * every backend: see tests/unit/testutil.h.
 *
 * Conventions for every function:
 *  - returns HK_OK, HK_ECONFLICT when a unique constraint fails, HK_ENOMEM,
 *    or HK_EIO (anything the database reports; logged by the backend);
 *  - lookups set *found and return HK_OK when the row is missing;
 *  - every row is scoped by workspace id: a lookup never crosses workspaces;
 *  - strings written into result structs are allocated from the arena given;
 *  - write functions are only called on the writer connection, between
 *    begin and commit/rollback.
 */
#ifndef HOOKD_STORE_BACKEND_H
#define HOOKD_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/deliveries.h"
#include "domain/model.h"

typedef struct store_conn store_conn;

typedef enum store_lookup {
    STORE_BY_ID,
    STORE_BY_EMAIL,       /* customers: case-insensitive */
    STORE_BY_EXTERNAL_ID, /* customers */
    STORE_BY_KEY,         /* customer groups */
} store_lookup;

typedef struct store_api_key {
    char id[HK_ID_MAX];
    char workspace_id[HK_ID_MAX];
    char machine_user_id[HK_ID_MAX];
    uint32_t permissions;
    const char *description; /* NULL: none; api_key_list: in its arena; find leaves it NULL */
    int64_t created_at;      /* api_key_list only */
    int64_t last_used_at;    /* api_key_list only; HK_TIME_NONE: never used */
} store_api_key;

/* Row counts of one workspace, for tests and operators. */
typedef struct store_counts {
    int64_t customers, groups, memberships, targets, events;
    int64_t deliveries_pending, deliveries_cancelled;
} store_counts;

/* Which customers a list returns. Group ids and keys: in any of them. */
typedef struct store_customer_filter {
    int marked_as_spam; /* -1: either, 0: not spam, 1: spam */
    size_t n_group_ids;
    const char *const *group_ids;
    size_t n_group_keys;
    const char *const *group_keys;
    bool has_updated_from, has_updated_until;
    int64_t updated_from;  /* updated_at >= this, when has_updated_from */
    int64_t updated_until; /* updated_at < this, when has_updated_until */
    bool match_none;       /* no customer at all */
} store_customer_filter;

/* One page of a list ordered by id (ids are time-ordered ULIDs, so this is
 * creation order). Rows strictly after `cursor` (forward) or strictly
 * before it (backward), or from the start/end when cursor is NULL;
 * `inclusive` also admits the cursor's own row. Backward pages come
 * nearest-first (descending). */
typedef struct store_page {
    const char *cursor;
    bool inclusive;
    bool forward;
    size_t limit;
} store_page;

typedef enum store_role {
    STORE_ROLE_WRITER,
    STORE_ROLE_READER,
} store_role;

/* A shared backend's listener of other processes' commits (see listen_start). */
typedef struct store_listener store_listener;
typedef void (*store_due_fn)(void *arg, const hk_due_target *due, size_t n, bool any);

typedef struct store_ops {
    const char *name;
    /*
     * Several processes may use the database at once (PostgreSQL: every node
     * serves the API and delivers). Then no process may release leases at
     * start (the others' are live: leases expire by themselves), a commit
     * whose outcome is unknown (the connection broke during COMMIT) leaves
     * the database trustworthy (the server, not this process, made it
     * durable), and other processes' commits are announced through
     * announce_due/listen_start. False for SQLite: one serve per data dir.
     */
    bool shared;

    /* Connections. `location` is the SQLite data directory or the PostgreSQL
     * URL. The writer connection also runs migrations. */
    HK_MUST_CHECK hk_status (*conn_open)(const char *location, bool durable, store_role role,
                                         store_conn **out, hk_error *err);
    void (*conn_close)(store_conn *c); /* accepts NULL */
    HK_MUST_CHECK hk_status (*migrate)(store_conn *c, int *version, hk_error *err);

    /* Write transactions (writer) and snapshots (readers). */
    HK_MUST_CHECK hk_status (*begin)(store_conn *c);
    /*
     * Commits; on failure *unknown tells two kinds of failure apart (it is
     * false on success):
     *  - false: the commit failed cleanly. Nothing of the transaction reached
     *    the database (a write failed: disk full, read-only, EIO on write)
     *    and nothing of it can reappear; rollback finishes it.
     *  - true: the outcome is unknown. The transaction was written but could
     *    not be made durable (fsync of the log or its directory failed). It
     *    is not visible now, yet may be there after a restart (SQLite's WAL
     *    recovery replays a written commit frame). And after a failed fsync
     *    the OS may have marked the unwritten pages clean, so a retry can
     *    report a durability it does not have: the caller must stop writing
     *    to this database until the process restarts.
     */
    HK_MUST_CHECK hk_status (*commit)(store_conn *c, bool *unknown);
    void (*rollback)(store_conn *c);
    HK_MUST_CHECK hk_status (*savepoint)(store_conn *c);
    HK_MUST_CHECK hk_status (*release)(store_conn *c);
    void (*rollback_to)(store_conn *c); /* undoes and releases the savepoint */
    /* False when the database aborted the whole transaction on its own (as
     * SQLite does on some I/O and disk-full errors). */
    bool (*in_transaction)(store_conn *c);
    /* A counter of rows written by this connection so far: tells whether a
     * failed mutation wrote anything that needs undoing. */
    uint64_t (*rows_written)(store_conn *c);
    /* NULL, or whether the last failure of this connection may not happen
     * again if the mutation runs again: another process's concurrent
     * transaction made it (a deadlock, a serialization failure, a unique row
     * committed since the mutation looked). Read before rollback_to. */
    bool (*retryable)(store_conn *c);
    /* NULL, or (shared backends) tells the other processes, inside the
     * transaction about to commit, that it made deliveries due for these
     * targets (`any`: for targets it cannot name). `node` tags the
     * announcement so that this process's own listener can skip it. */
    HK_MUST_CHECK hk_status (*announce_due)(store_conn *c, const char *node,
                                            const hk_due_target *due, size_t n, bool any);
    /* NULL, or (shared backends) starts a thread that calls `fn` with what
     * other processes announced (never what `node` did), and with `any`
     * whenever announcements may have been missed (after a reconnection).
     * listen_stop stops it and waits: `fn` is not called after it returns. */
    HK_MUST_CHECK hk_status (*listen_start)(const char *location, const char *node, store_due_fn fn,
                                            void *arg, store_listener **out, hk_error *err);
    void (*listen_stop)(store_listener *l); /* accepts NULL */
    /* True once the writer connection's background work could not make the
     * database durable (a checkpoint's fsync failed): as after a failed
     * commit fsync, the caller must stop writing until a restart. Thread-safe. */
    bool (*durability_lost)(store_conn *c);
    /* The last error this connection's statements failed with, in a few words for an
     * operator ("disk full", "read-only database", "I/O error"); static, NULL when the
     * last statement that ran did not fail. */
    const char *(*last_error)(store_conn *c);
    HK_MUST_CHECK hk_status (*read_begin)(store_conn *c);
    void (*read_end)(store_conn *c);

    /* Test hook: make the n-th write statement from now fail with HK_EIO
     * (0 turns it off). Lets tests prove that a failure at any point of a
     * mutation leaves nothing behind. */
    void (*fail_nth_write)(store_conn *c, int n);
    /* Test hook, called inside a transaction: the commit after this
     * transaction's fails as if its fsync had failed (the transaction is
     * rolled back and commit reports *unknown = true), since a real fsync
     * failure cannot be caused from inside the process. */
    void (*fail_next_commit_sync)(store_conn *c);

    /* Workspaces, machine users, API keys, HMAC secret. */
    HK_MUST_CHECK hk_status (*workspace_insert)(store_conn *c, const hk_workspace *w);
    HK_MUST_CHECK hk_status (*workspace_get)(store_conn *c, const char *id, hk_arena *a,
                                             hk_workspace *out, bool *found);
    HK_MUST_CHECK hk_status (*machine_user_insert)(store_conn *c, const char *ws, const char *id,
                                                   const char *name, int64_t at);
    /* The machine user `id` of workspace `ws` (name in `a`); *found false if
     * there is none there. created_by is left zeroed (not stored). */
    HK_MUST_CHECK hk_status (*machine_user_get)(store_conn *c, const char *ws, const char *id,
                                                hk_arena *a, hk_machine_user *out, bool *found);
    HK_MUST_CHECK hk_status (*api_key_insert)(store_conn *c, const store_api_key *k,
                                              const char *key_hash, int64_t at);
    HK_MUST_CHECK hk_status (*api_key_find)(store_conn *c, const char *key_hash, store_api_key *out,
                                            bool *found);
    /* Every key of `ws` (NULL: of every workspace), by workspace then id.
     * Operators only: keys are not scoped by a caller's workspace here. */
    HK_MUST_CHECK hk_status (*api_key_list)(store_conn *c, const char *ws, hk_arena *a,
                                            store_api_key **out, size_t *n);
    /* Deletes the key with id `id` in any workspace; *found false if none. */
    HK_MUST_CHECK hk_status (*api_key_delete)(store_conn *c, const char *id, bool *found);
    /* The key with id `id` was last used at `at`: its last_used_at becomes `at`
     * unless it already holds a later time (another node's, on a shared store),
     * so the time never moves back. A key that is gone (revoked) is skipped. */
    HK_MUST_CHECK hk_status (*api_key_touch)(store_conn *c, const char *id, int64_t at);
    /* The first machine user made in `ws` (bootstrap's); *found false when the
     * workspace has none (or does not exist). */
    HK_MUST_CHECK hk_status (*machine_user_first)(store_conn *c, const char *ws, char id[HK_ID_MAX],
                                                  bool *found);
    HK_MUST_CHECK hk_status (*hmac_get)(store_conn *c, const char *ws, hk_arena *a,
                                        hk_hmac_secret *out);
    /* Replaces the secret; the first one also sets created_at/by. */
    HK_MUST_CHECK hk_status (*hmac_set)(store_conn *c, const char *ws, const char *secret,
                                        int64_t at, const hk_actor *by);

    /* Customers; customer_get fills memberships (with their groups) too. */
    HK_MUST_CHECK hk_status (*customer_get)(store_conn *c, const char *ws, store_lookup by,
                                            const char *value, hk_arena *a, hk_customer *out,
                                            bool *found);
    HK_MUST_CHECK hk_status (*customer_insert)(store_conn *c, const hk_customer *cu);
    HK_MUST_CHECK hk_status (*customer_update)(store_conn *c, const hk_customer *cu);
    /* Deletes the customer and its memberships. */
    HK_MUST_CHECK hk_status (*customer_delete)(store_conn *c, const char *ws, const char *id);

    HK_MUST_CHECK hk_status (*customer_page)(store_conn *c, const char *ws,
                                             const store_customer_filter *f, const store_page *p,
                                             hk_arena *a, hk_customer **out, size_t *n);
    HK_MUST_CHECK hk_status (*customer_count)(store_conn *c, const char *ws,
                                              const store_customer_filter *f, int64_t *n);
    /*
     * One page of customers ordered by full name, then id, both compared
     * byte-wise (BINARY: UTF-8 byte order, i.e. code point order; no case
     * folding, no locale), ascending, or descending when `descending`. The
     * cursor is a position, (`cursor_name`, p->cursor = an id), that no row
     * need still hold (its customer may have been renamed or deleted): rows
     * strictly after it in the list's order (p->forward) or strictly before
     * it (backward, nearest-first), p->inclusive also admitting a row at the
     * position itself. Keyset pagination: one index range, no offset.
     */
    HK_MUST_CHECK hk_status (*customer_page_by_name)(store_conn *c, const char *ws,
                                                     const store_customer_filter *f,
                                                     bool descending, const char *cursor_name,
                                                     const store_page *p, hk_arena *a,
                                                     hk_customer **out, size_t *n);

    /* Customer groups and memberships. group_get looks a group up by id, key or
     * external id (STORE_BY_EXTERNAL_ID: HK_ECONFLICT when more than one group
     * of the workspace has it, since external ids of groups are not unique). */
    HK_MUST_CHECK hk_status (*group_get)(store_conn *c, const char *ws, store_lookup by,
                                         const char *value, hk_arena *a, hk_customer_group *out,
                                         bool *found);
    HK_MUST_CHECK hk_status (*group_insert)(store_conn *c, const hk_customer_group *g);
    HK_MUST_CHECK hk_status (*group_update)(store_conn *c, const hk_customer_group *g);
    HK_MUST_CHECK hk_status (*group_delete)(store_conn *c, const char *ws, const char *id);
    HK_MUST_CHECK hk_status (*group_member_count)(store_conn *c, const char *ws, const char *id,
                                                  int64_t *n);
    HK_MUST_CHECK hk_status (*group_page)(store_conn *c, const char *ws, const store_page *p,
                                          hk_arena *a, hk_customer_group **out, size_t *n);
    HK_MUST_CHECK hk_status (*group_count)(store_conn *c, const char *ws, int64_t *n);
    HK_MUST_CHECK hk_status (*membership_insert)(store_conn *c, const hk_membership *m);
    HK_MUST_CHECK hk_status (*membership_delete)(store_conn *c, const char *ws,
                                                 const char *customer_id, const char *group_id);

    /* Webhook targets, with their subscriptions. */
    HK_MUST_CHECK hk_status (*target_count)(store_conn *c, const char *ws, int64_t *n);
    HK_MUST_CHECK hk_status (*target_insert)(store_conn *c, const hk_webhook_target *t);
    HK_MUST_CHECK hk_status (*target_update)(store_conn *c, const hk_webhook_target *t);
    HK_MUST_CHECK hk_status (*target_delete)(store_conn *c, const char *ws, const char *id);
    HK_MUST_CHECK hk_status (*target_get)(store_conn *c, const char *ws, const char *id,
                                          hk_arena *a, hk_webhook_target *out, bool *found);
    HK_MUST_CHECK hk_status (*target_list)(store_conn *c, const char *ws, hk_arena *a,
                                           hk_webhook_target **out, size_t *n);

    /*
     * The outbox: an event, and one pending delivery (due at `due_at`) per
     * target of the event's workspace that is enabled and subscribed to its
     * type now. For a target ordered by customer the delivery carries
     * ev->customer_id, and has no due time while an earlier delivery of that
     * customer to that target is pending (it waits its turn: see
     * delivery_unblock_next). `created`, unless NULL, is called with the id
     * of every target given a delivery due now. *n_created tells how many.
     */
    HK_MUST_CHECK hk_status (*event_insert)(store_conn *c, const hk_event *ev);
    HK_MUST_CHECK hk_status (*deliveries_create)(store_conn *c, const hk_event *ev, int64_t due_at,
                                                 void (*created)(void *arg, const char *target_id),
                                                 void *arg, size_t *n_created);
    /* Marks the pending deliveries of a target cancelled. */
    HK_MUST_CHECK hk_status (*deliveries_cancel_for_target)(store_conn *c, const char *ws,
                                                            const char *target_id, int64_t at);
    /* Marks the pending deliveries of a target failed (for good). */
    HK_MUST_CHECK hk_status (*deliveries_fail_for_target)(store_conn *c, const char *ws,
                                                          const char *target_id, int64_t at);

    /* ---- delivery (see src/domain/deliveries.h for the semantics) ---- */

    /*
     * The targets that have pending deliveries with a due time (a lease's end
     * counts: see deliveries_claim_target), in (workspace, target) order
     * strictly after (after_ws, after_target) ("", "": from the first), at
     * most `max`, each with the earliest such time. Costs one index seek per
     * target, whatever their backlogs.
     */
    HK_MUST_CHECK hk_status (*deliveries_due_targets)(store_conn *c, const char *after_ws,
                                                      const char *after_target, size_t max,
                                                      hk_arena *a, hk_due_target **out, size_t *n);
    /* One target's pending deliveries due at `now`, in due order, at most
     * `max`, leased until lease_until (a lease moves the due time to the
     * lease's end); *next_due: the earliest time that target's next pending
     * delivery can be claimed after this claim, HK_TIME_NONE when none has a
     * due time. */
    HK_MUST_CHECK hk_status (*deliveries_claim_target)(store_conn *c, const char *ws,
                                                       const char *target_id, int64_t now,
                                                       int64_t lease_until, size_t max, hk_arena *a,
                                                       hk_delivery **out, size_t *n,
                                                       int64_t *next_due);
    /* One target's pending deliveries due at `now`, counted up to `cap`. */
    HK_MUST_CHECK hk_status (*deliveries_count_due)(store_conn *c, const char *ws,
                                                    const char *target_id, int64_t now, size_t cap,
                                                    size_t *n);
    /* Ordered targets: the oldest pending delivery of `customer_id` to the
     * target, if it waits without a due time, becomes due at `now`.
     * *unblocked tells whether one did. */
    HK_MUST_CHECK hk_status (*delivery_unblock_next)(store_conn *c, const char *ws,
                                                     const char *target_id, const char *customer_id,
                                                     int64_t now, bool *unblocked);
    /* Every pending delivery of the target waiting without a due time becomes
     * due at `now` (ordering turned off); *n: how many. */
    HK_MUST_CHECK hk_status (*deliveries_unblock_all)(store_conn *c, const char *ws,
                                                      const char *target_id, int64_t now,
                                                      size_t *n);
    /* A target's health after attempts: `ok` clears failing_since; otherwise
     * it becomes `failed_at` unless already set. *failing_since: its value
     * now; *enabled: whether the target is enabled. *found false when the
     * target is gone. */
    HK_MUST_CHECK hk_status (*target_note_health)(store_conn *c, const char *ws,
                                                  const char *target_id, bool ok, int64_t failed_at,
                                                  int64_t *failing_since, bool *enabled,
                                                  bool *found);
    /* Disables the target as hookd's own decision: is_enabled off,
     * auto_disabled_at and updated_at = at, updated_by the system actor. */
    HK_MUST_CHECK hk_status (*target_auto_disable)(store_conn *c, const char *ws,
                                                   const char *target_id, int64_t at);
    /* The event, its customer_id "" when it has none. */
    HK_MUST_CHECK hk_status (*event_get)(store_conn *c, const char *ws, const char *id, hk_arena *a,
                                         hk_event *out, bool *found);
    /* Inserts the attempt (unless result->drop) and moves a still-pending
     * delivery on, releasing its lease. */
    HK_MUST_CHECK hk_status (*delivery_record)(store_conn *c, const hk_delivery_result *r,
                                               int64_t now);
    HK_MUST_CHECK hk_status (*deliveries_release_leases)(store_conn *c, int64_t now, size_t *n);
    /* Retention, over every workspace: deletes the events whose id sorts below
     * `cutoff` (an event id floor, hk_id_floor_at), with their deliveries and
     * attempts (deleted targets' too), except that in a workspace nothing at or
     * after its oldest event with a pending delivery goes: a pending delivery
     * is never lost. Deliveries go before their events; at most `budget`
     * deliveries and events in all (attempts follow their deliveries). */
    HK_MUST_CHECK hk_status (*events_prune)(store_conn *c, const char *cutoff, size_t budget,
                                            hk_arena *a, hk_prune_result *out);
    /* A target's deliveries by event id (cursor), filtered by status (-1: any). */
    HK_MUST_CHECK hk_status (*delivery_page)(store_conn *c, const char *ws, const char *target_id,
                                             int status, const store_page *p, hk_arena *a,
                                             hk_delivery **out, size_t *n);
    HK_MUST_CHECK hk_status (*attempt_list)(store_conn *c, const char *ws, const char *target_id,
                                            const char *event_id, hk_arena *a, hk_attempt **out,
                                            size_t *n);
    /* A customer's events by id (cursor), i.e. in commit order; an event of
     * a type this hookd does not know has type HK_EVENT_TYPE_COUNT. */
    HK_MUST_CHECK hk_status (*event_page)(store_conn *c, const char *ws, const char *customer_id,
                                          const store_page *p, hk_arena *a, hk_event **out,
                                          size_t *n);
    /* An event's deliveries to the workspace's targets (not to deleted
     * ones), by target id, with their event type. */
    HK_MUST_CHECK hk_status (*event_deliveries)(store_conn *c, const char *ws, const char *event_id,
                                                hk_arena *a, hk_delivery **out, size_t *n);
    /* Makes (target, event) pending and due at `now`, creating the row if
     * needed. */
    HK_MUST_CHECK hk_status (*delivery_rearm)(store_conn *c, const char *ws, const char *target_id,
                                              const char *event_id, int64_t now);
    /* Failed deliveries of a target whose event is at or after `since`
     * become pending, due now. */
    HK_MUST_CHECK hk_status (*deliveries_rearm_failed)(store_conn *c, const char *ws,
                                                       const char *target_id, int64_t since,
                                                       int64_t now, size_t *n);

    HK_MUST_CHECK hk_status (*counts)(store_conn *c, const char *ws, store_counts *out);
} store_ops;

/* The SQLite backend (store_sqlite.c). */
extern const store_ops store_sqlite_ops;
/* The PostgreSQL backend (store_pg.c). */
extern const store_ops store_pg_ops;

/* Test hook: checkpoint when `checkpoint` WAL frames wait to be copied, and
 * start the WAL over once it holds `restart` (defaults: 4000 and 16000, see
 * store_sqlite.c). Only for stores opened after the call; not thread-safe. */
void store_sqlite_debug_wal_limits(int checkpoint, int restart);

#endif
