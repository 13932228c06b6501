/*
 * store_int.h - how the domain runs its work on the store (not for other
 * users of hk_store).
 *
 * Writes: store_write hands `fn` to the writer thread and blocks until the
 * batch it ran in has been committed (HK_OK) or rolled back (an error). One
 * error is not a rollback: when the commit's fsync failed, the outcome is
 * unknown (HK_EIO, "...outcome is unknown until hookd restarts") and the
 * store refuses writes from then on (hk_store_healthy). `fn` runs inside a
 * savepoint of the batch's transaction: if it returns an error,
 * everything it wrote is undone and the other mutations of the batch are
 * unaffected. `fn` must not block on anything but the store, and must be
 * deterministic in what it writes given what it reads.
 *
 * Reads: store_read runs `fn` on a pooled read connection inside one
 * snapshot (read transaction).
 *
 * Libuv's rule holds: when store_write/store_read fail before running `fn`
 * (store closing or failed, out of memory), `fn` is never called.
 */
#ifndef HOOKD_STORE_INT_H
#define HOOKD_STORE_INT_H

#include <semaphore.h>

#include "store/due_set.h"
#include "store/store.h"
#include "store/store_backend.h"

typedef struct store_tx {
    const store_ops *ops;
    store_conn *conn;
    /* Writes only (NULL on reads): the targets a mutation made deliveries due
     * for, so that the commit hook can wake the dispatcher for them. */
    store_due_set *due;
} store_tx;

/* A mutation made a delivery to (ws, target_id) due now, or soon. */
static inline void store_note_due(const store_tx *tx, const char *ws, const char *target_id)
{
    if (tx->due)
        store_due_set_add(tx->due, ws, target_id);
}

/* A mutation made deliveries due for targets it cannot name. */
static inline void store_note_due_any(const store_tx *tx)
{
    if (tx->due)
        store_due_set_any(tx->due);
}

typedef hk_status (*store_fn)(const store_tx *tx, void *arg, hk_error *err);

HK_MUST_CHECK hk_status store_write(hk_store *s, store_fn fn, void *arg, hk_error *err);

/*
 * Asynchronous writes, for a caller that must not wait for the commit (the
 * dispatcher keeps sending while its claims and records commit). The
 * request runs like store_write's, but store_submit returns at once and
 * `done` is called on the writer thread after the batch was committed
 * (HK_OK) or rolled back (the error, `err` filled). `req`, `arg` and `err`
 * belong to the caller, untouched by it, until `done` is called; `done` may
 * free them, must not block and must not call into the store. When
 * store_submit fails (store closing or failed), `done` is never called.
 */
typedef void (*store_done_fn)(void *done_arg, hk_status st);

/* Embedded by the caller; its fields are the store's. */
typedef struct store_request {
    store_fn fn;
    void *arg;
    hk_error *err;
    hk_status status;
    store_done_fn done; /* NULL: a store_write waiting on `sem` */
    void *done_arg;
    sem_t sem;
    struct store_request *next;
} store_request;

HK_MUST_CHECK hk_status store_submit(hk_store *s, store_request *req, store_fn fn, void *arg,
                                     hk_error *err, store_done_fn done, void *done_arg);
HK_MUST_CHECK hk_status store_read(hk_store *s, store_fn fn, void *arg, hk_error *err);

/* Test hook: the n-th write statement of the writer from now on fails. */
HK_MUST_CHECK hk_status store_debug_fail_nth_write(hk_store *s, int n);
/* Test hook: the commit of the next batch after this call's fails as if its
 * fsync had failed (outcome unknown), which puts the store in its failed
 * state (see hk_store_healthy). */
HK_MUST_CHECK hk_status store_debug_fail_next_commit_sync(hk_store *s);

/* Row counts of one workspace (tests, operators). */
HK_MUST_CHECK hk_status store_counts_get(hk_store *s, const char *ws, store_counts *out,
                                         hk_error *err);

#endif
