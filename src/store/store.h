/*
 * store.h - the durable store: opening, closing, and what its users see.
 *
 * An hk_store is a backend (SQLite in a data directory, or PostgreSQL at a
 * URL; see store_backend.h for the interface both implement) plus:
 *  - one writer thread that owns the write connection and commits the
 *    mutations submitted to it in batches (group commit): one transaction
 *    per batch, one savepoint per mutation, so a failing mutation rolls back
 *    alone and a batch costs one fsync;
 *  - a pool of read connections (WAL readers never block the writer).
 *
 * On PostgreSQL several processes (nodes) may open the same database: each
 * has its own writer and readers, and hears of the others' commits through
 * the database (LISTEN/NOTIFY), see hk_store_set_commit_hook.
 *
 * Thread-safe: any thread may submit writes and reads at once.
 */
#ifndef HOOKD_STORE_STORE_H
#define HOOKD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "domain/model.h"

typedef struct hk_store hk_store;

typedef struct hk_store_options {
    const char *data_dir;     /* SQLite: created when missing; the file lives here */
    const char *database_url; /* PostgreSQL instead (a libpq URI or conninfo): exactly one of
                                 the two is set */
    bool durable;             /* synchronous=FULL (default true); false for throwaway stores */
    size_t max_batch;         /* mutations per commit, 0: default (512) */
    size_t readers;           /* read connections, 0: default (2 x cores, at least 4) */
} hk_store_options;

/* Sets the defaults: durable, default batch and readers, data_dir NULL. */
void hk_store_options_init(hk_store_options *o);

/* Opens (creating when needed) the store in o->data_dir or at
 * o->database_url, applies pending schema migrations (on PostgreSQL under an
 * advisory lock, so nodes starting together migrate once) and starts the
 * writer. HK_EINVAL when neither or both are given; HK_EIO with a message
 * when the directory or database cannot be opened or migrated. */
HK_MUST_CHECK hk_status hk_store_open(const hk_store_options *o, hk_store **out, hk_error *err);

/* Waits for submitted writes to finish, stops the writer, closes every
 * connection. Accepts NULL. */
void hk_store_close(hk_store *s);

/* Schema version after migrations. */
int hk_store_schema_version(const hk_store *s);

/* "sqlite" or "postgresql". */
const char *hk_store_backend_name(const hk_store *s);

/* Whether other processes may share the database (PostgreSQL): leases are
 * then never released at start, they expire (see store_backend.h). */
bool hk_store_shared(const hk_store *s);

/*
 * Called on the writer thread after each commit that made deliveries due
 * (new events, re-sends), with the n targets that got them (next_due 0), or
 * `any` when they cannot all be named (then n is 0: look at every target).
 * On a shared store it is also called, from a listener thread, for the
 * commits of other processes, which announce theirs in the same way (within
 * milliseconds; `any` after the listener reconnected). The list is valid
 * during the call only. It must not block: it is meant to wake the
 * dispatcher. Calls never overlap, and none is under way or made once the
 * hook is removed (NULL), so its argument may then be freed.
 */
typedef void (*hk_store_commit_hook)(void *arg, const hk_due_target *due, size_t n, bool any);
void hk_store_set_commit_hook(hk_store *s, hk_store_commit_hook fn, void *arg);

/*
 * False once the store has failed: a commit's fsync failed, so that commit's
 * outcome is unknown until restart (it may reappear through WAL recovery)
 * and the OS's view of the files can no longer be trusted. The store then
 * refuses every write at once with HK_EIO ("store unavailable after a failed
 * fsync; restart hookd"); reads keep working. Sticky: only a restart (which
 * recovers the database from what is on disk) clears it. *why (may be NULL)
 * gets a static reason when unhealthy, NULL otherwise. Thread-safe.
 */
bool hk_store_healthy(hk_store *s, const char **why);

/*
 * Whether writes work now, as opposed to hk_store_healthy's sticky state: a
 * write transaction that fails on an I/O error (disk full, read-only, EIO:
 * any mutation answered HK_EIO, or the transaction itself failing) makes
 * writes "failing", and the next transaction that commits rows without one
 * makes them work again (one that changed nothing wrote nothing to the disk).
 * Nothing changes while nothing writes (mutations, the dispatcher's claims and
 * records, retention): the last write decides.
 */
typedef struct hk_store_write_health {
    bool failing;       /* the last write transaction failed on an I/O error */
    const char *reason; /* static, when failing: "disk full", "I/O error", ... */
    int64_t failing_ms; /* when failing: for how long (monotonic ms since the first) */
    uint64_t failures;  /* write transactions failed on an I/O error, ever */
} hk_store_write_health;

/* Thread-safe. */
void hk_store_get_write_health(hk_store *s, hk_store_write_health *out);

typedef struct hk_store_stats {
    uint64_t commits;   /* transactions committed by the writer */
    uint64_t mutations; /* mutations run (committed or rolled back to their savepoint) */
} hk_store_stats;

void hk_store_get_stats(hk_store *s, hk_store_stats *out);

#endif
