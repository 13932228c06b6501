/*
 * store.c - the generic half of the store: the writer thread with group
 * commit, and the pool of read connections. Backend-neutral.
 */
#include "store/store_int.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"

#define DEFAULT_MAX_BATCH 512
/* A mutation that failed because of another process's concurrent transaction
 * (shared backends: a deadlock, a row committed since it looked) runs again,
 * at most this many times: it then reads what the other committed. */
#define MAX_RETRIES 3
/* Failing writes are logged at most once this often (with the count not logged). */
#define WRITE_FAILURE_LOG_WINDOW_MS 10000

/* What the mutations of a batch whose commit could not be made durable are
 * told, and every write after it: see hk_store_healthy. */
#define MSG_OUTCOME_UNKNOWN                                                                        \
    "store: the commit could not be made durable (fsync failed); its outcome is unknown until "    \
    "hookd restarts"
#define MSG_FAILED "store unavailable after a failed fsync; restart hookd"
/* The same for a shared backend (PostgreSQL): the connection broke during
 * COMMIT. The server's durability is not in doubt, so the store goes on. */
#define MSG_OUTCOME_UNKNOWN_SHARED                                                                 \
    "store: the connection to the database was lost during the commit; its outcome is unknown"

/* One submitted mutation: on the submitting thread's stack (store_write), or
 * the caller's until its callback (store_submit). */
typedef store_request intent;

struct hk_store {
    const store_ops *ops;
    hk_store_options opts;
    int schema_version;

    /* Writer */
    store_conn *writer;
    pthread_t writer_thread;
    bool writer_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    intent *head, *tail;
    bool stopping;
    /* Sticky, under `lock`: a commit's fsync failed. Writes are refused from
     * then on (see hk_store_healthy); only a restart clears it. */
    bool failed;
    /* Under `lock`: whether the last write transaction failed on an I/O error
     * (hk_store_get_write_health), since when, and its log gate (writer thread). */
    bool writes_failing;
    const char *write_error;
    int64_t writes_failing_since;
    uint64_t write_failures;
    hk_log_gate write_log;
    hk_store_stats stats;
    intent **batch;           /* scratch, max_batch entries, writer thread only */
    store_due_set *batch_due; /* targets made due by the batch running, writer only */
    hk_status *results;       /* scratch, max_batch entries, writer thread only */
    bool *retry;              /* scratch: results[i] may succeed if run again */

    /* The commit hook, under hook_lock, which every call of it holds: calls
     * from the writer and the listener never overlap, and removing the hook
     * waits for a call under way. */
    pthread_mutex_t hook_lock;
    hk_store_commit_hook commit_hook;
    void *commit_hook_arg;
    store_listener *listener; /* shared backends, started with the first hook */
    bool listen_tried;
    char node[24]; /* this process's tag in announcements (hex) */

    /* Readers */
    store_conn **readers;
    size_t n_readers;
    store_conn **idle;
    size_t n_idle;
    pthread_mutex_t read_lock;
    pthread_cond_t read_free;
};

void hk_store_options_init(hk_store_options *o)
{
    memset(o, 0, sizeof *o);
    o->durable = true;
}

int hk_store_schema_version(const hk_store *s)
{
    return s->schema_version;
}

const char *hk_store_backend_name(const hk_store *s)
{
    return s->ops->name;
}

bool hk_store_shared(const hk_store *s)
{
    return s->ops->shared;
}

void hk_store_get_stats(hk_store *s, hk_store_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
}

/* Under `lock`: a checkpoint that could not fsync fails the store as a
 * commit does (see run_batch). */
static void note_lost_durability(hk_store *s)
{
    if (s->failed || !s->writer || !s->ops->durability_lost(s->writer))
        return;
    s->failed = true;
    hk_log_error("store: a checkpoint's fsync failed: every write is refused from now on and "
                 "/healthz answers 503: restart hookd");
}

bool hk_store_healthy(hk_store *s, const char **why)
{
    pthread_mutex_lock(&s->lock);
    note_lost_durability(s);
    bool failed = s->failed;
    pthread_mutex_unlock(&s->lock);
    if (why)
        *why = failed ? MSG_FAILED : NULL;
    return !failed;
}

void hk_store_get_write_health(hk_store *s, hk_store_write_health *out)
{
    pthread_mutex_lock(&s->lock);
    out->failing = s->writes_failing;
    out->reason = s->writes_failing ? s->write_error : NULL;
    out->failing_ms = s->writes_failing ? hk_mono_ms() - s->writes_failing_since : 0;
    out->failures = s->write_failures;
    pthread_mutex_unlock(&s->lock);
}

/* ---- writer ---- */

static void finish(intent *it, hk_status st)
{
    if (it->done) {
        it->done(it->done_arg, st); /* may free `it` */
        return;
    }
    it->status = st;
    sem_post(&it->sem);
}

static void fail_batch(intent **batch, size_t n, size_t from, hk_status *results, const char *why)
{
    for (size_t i = from; i < n; i++) {
        if (results[i] == HK_OK)
            results[i] = hk_error_set(batch[i]->err, HK_EIO, NULL, "%s", why);
    }
}

static bool failure_retryable(hk_store *s)
{
    return s->ops->retryable && s->ops->retryable(s->writer);
}

/* Runs one intent inside its own savepoint; again (MAX_RETRIES times at
 * most) while it fails for a reason another run may not meet. */
static hk_status run_guarded(hk_store *s, intent *it)
{
    store_tx tx = {s->ops, s->writer, s->batch_due};
    hk_status st = HK_OK;
    for (int run = 0; run <= MAX_RETRIES; run++) {
        if (run > 0)
            hk_error_clear(it->err);
        st = s->ops->savepoint(s->writer);
        if (st)
            return hk_error_set(it->err, st, NULL, "store: cannot open a savepoint");
        st = it->fn(&tx, it->arg, it->err);
        if (!st)
            break;
        bool again = failure_retryable(s);
        s->ops->rollback_to(s->writer);
        if (!again || !s->ops->in_transaction(s->writer))
            return st;
    }
    if (st)
        return st;
    st = s->ops->release(s->writer);
    if (st) {
        s->ops->rollback_to(s->writer);
        return hk_error_set(it->err, st, NULL, "store: cannot release a savepoint");
    }
    return HK_OK;
}

/*
 * First pass: intents run without savepoints (two statements each, ~10% of
 * a mutation's cost). Mutations check before they write, so a failure
 * almost always leaves nothing to undo. When one fails after writing, its
 * rows are mixed with the others' in the transaction: the whole transaction
 * is rolled back and run_batch goes to the guarded pass. Returns the index
 * of that intent, or n when the pass completed.
 */
static size_t run_optimistic(hk_store *s, intent **batch, size_t n, hk_status *res)
{
    store_tx tx = {s->ops, s->writer, s->batch_due};
    for (size_t i = 0; i < n; i++) {
        uint64_t mark = s->ops->rows_written(s->writer);
        res[i] = batch[i]->fn(&tx, batch[i]->arg, batch[i]->err);
        s->retry[i] = res[i] && failure_retryable(s);
        /* PostgreSQL aborts the whole transaction on any failed statement. */
        if (res[i] && (s->ops->rows_written(s->writer) != mark || s->retry[i] ||
                       !s->ops->in_transaction(s->writer)))
            return i;
    }
    return n;
}

/* Second pass after a dirty failure at `bad`: every intent that has not
 * failed yet runs again in a savepoint of its own; the failed one keeps its
 * error and none of its rows, unless its failure may not happen again (see
 * run_guarded): then it runs again too. */
static bool run_guarded_pass(hk_store *s, intent **batch, size_t n, size_t bad, hk_status *res)
{
    s->ops->rollback(s->writer);
    store_due_set_clear(s->batch_due);
    if (s->ops->begin(s->writer))
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((i == bad && !s->retry[i]) || (i < bad && res[i]))
            continue; /* failed without writing, or the dirty failure itself */
        hk_error_clear(batch[i]->err);
        res[i] = run_guarded(s, batch[i]);
        if (res[i] && !s->ops->in_transaction(s->writer))
            return false;
    }
    return true;
}

/* Calls the commit hook, if any (see hk_store_set_commit_hook). */
static void call_hook(hk_store *s, const hk_due_target *due, size_t n, bool any)
{
    pthread_mutex_lock(&s->hook_lock);
    if (s->commit_hook)
        s->commit_hook(s->commit_hook_arg, due, n, any);
    pthread_mutex_unlock(&s->hook_lock);
}

/* Shared backends: the other processes learn, with the commit itself, which
 * targets it made deliveries due for. A failed announcement fails the batch
 * (the transaction is aborted): a commit nobody hears of would still be
 * found by the dispatchers' scan, but the database failing here is failing. */
static bool announce(hk_store *s)
{
    size_t n_due;
    bool any_due;
    const hk_due_target *due = store_due_set_items(s->batch_due, &n_due, &any_due);
    if (!s->ops->announce_due || (n_due == 0 && !any_due))
        return true;
    return s->ops->announce_due(s->writer, s->node, due, n_due, any_due) == HK_OK;
}

/* Under `lock`, on the writer thread: a batch's outcome moves the write health (see
 * hk_store_get_write_health). Failures are logged through a gate: a full disk fails every
 * batch while it lasts. */
static void note_write_outcome(hk_store *s, bool io_failed, bool wrote, const char *why)
{
    unsigned n = 0;
    if (io_failed) {
        s->write_failures++;
        if (!s->writes_failing) {
            s->writes_failing = true;
            s->writes_failing_since = hk_mono_ms();
        }
        s->write_error = why ? why : "I/O error";
        if (!hk_log_gate_fail(&s->write_log, hk_mono_ms(), &n))
            return;
        if (n == 0)
            hk_log_error("store: writes are failing (%s): /healthz answers 503 until one "
                         "commits",
                         s->write_error);
        else
            hk_log_error("store: writes are still failing (%s): %u more failed transactions",
                         s->write_error, n);
    } else if (wrote && s->writes_failing) {
        s->writes_failing = false;
        if (hk_log_gate_ok(&s->write_log, &n))
            hk_log_info("store: writes work again after %u failed transactions", n);
    }
}

static void run_batch(hk_store *s, intent **batch, size_t n)
{
    hk_status *res = s->results;
    bool committed = false;
    bool unknown = false; /* the commit's fsync failed: see hk_store_healthy */
    for (size_t i = 0; i < n; i++) {
        res[i] = HK_OK;
        s->retry[i] = false;
    }
    store_due_set_clear(s->batch_due);
    uint64_t rows_before = s->ops->rows_written(s->writer);

    if (s->ops->begin(s->writer)) {
        fail_batch(batch, n, 0, res, "store: cannot begin a transaction");
        goto out;
    }
    size_t bad = run_optimistic(s, batch, n, res);
    if (bad < n && !run_guarded_pass(s, batch, n, bad, res)) {
        /* The database dropped the whole transaction: nothing of this
         * batch is kept, so nobody may be told otherwise. */
        s->ops->rollback(s->writer);
        fail_batch(batch, n, 0, res, "store: transaction aborted by the database");
        goto out;
    }
    if (!announce(s)) {
        s->ops->rollback(s->writer);
        fail_batch(batch, n, 0, res, "store: cannot announce the commit to other nodes");
        goto out;
    }
    if (s->ops->commit(s->writer, &unknown)) {
        s->ops->rollback(s->writer);
        fail_batch(batch, n, 0, res,
                   !unknown         ? "store: commit failed"
                   : s->ops->shared ? MSG_OUTCOME_UNKNOWN_SHARED
                                    : MSG_OUTCOME_UNKNOWN);
    } else {
        committed = true;
    }
out:;
    /* A mutation answered HK_EIO met the disk's failure, whether or not the others
     * committed; the reason is read now, before another statement runs. */
    bool io_failed = false;
    for (size_t i = 0; i < n && !io_failed; i++)
        io_failed = res[i] == HK_EIO;
    const char *why = io_failed ? s->ops->last_error(s->writer) : NULL;
    /* Only a commit that wrote rows shows that the disk takes writes: one that changed
     * nothing (a claim that found no due delivery) writes nothing to it. */
    bool wrote = committed && s->ops->rows_written(s->writer) != rows_before;
    pthread_mutex_lock(&s->lock);
    note_write_outcome(s, io_failed, wrote, why);
    if (unknown && !s->failed && !s->ops->shared) {
        /* Not retried, not carried on with: the batch may reappear after a
         * restart (WAL recovery), and after a failed fsync the OS may call
         * unwritten pages clean, so no later commit could be trusted either
         * (PostgreSQL stops for the same reason). Refusing every write keeps
         * what clients were told true: what was answered OK is durable,
         * what is refused from now on never happens. */
        s->failed = true;
        hk_log_error("store: a commit of %zu mutations could not be made durable (fsync failed): "
                     "they were told the outcome is unknown; every write is refused from now on "
                     "and /healthz answers 503: restart hookd",
                     n);
    }
    s->stats.commits++;
    s->stats.mutations += n;
    pthread_mutex_unlock(&s->lock);
    size_t n_due;
    bool any_due;
    const hk_due_target *due = store_due_set_items(s->batch_due, &n_due, &any_due);
    if (committed && (n_due > 0 || any_due))
        call_hook(s, due, n_due, any_due);
    for (size_t i = 0; i < n; i++)
        finish(batch[i], res[i]);
}

/* The batch is not run: the store failed (see hk_store_healthy). */
static void refuse_batch(intent **batch, size_t n)
{
    for (size_t i = 0; i < n; i++)
        finish(batch[i], hk_error_set(batch[i]->err, HK_EIO, NULL, MSG_FAILED));
}

static void *writer_main(void *arg)
{
    hk_store *s = arg;
    pthread_setname_np(pthread_self(), "hk-writer"); /* for top -H, perf */
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->wake, &s->lock);
        if (!s->head)
            break; /* stopping, and nothing left to do */
        size_t n = 0;
        while (s->head && n < s->opts.max_batch) {
            s->batch[n++] = s->head;
            s->head = s->head->next;
        }
        if (!s->head)
            s->tail = NULL;
        note_lost_durability(s);
        bool failed = s->failed;
        pthread_mutex_unlock(&s->lock);
        if (failed)
            refuse_batch(s->batch, n); /* queued before the failure was known */
        else
            run_batch(s, s->batch, n);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Queues `it` for the writer; HK_EIO when the store is closing or failed
 * (refused at once: a client need not wait for the writer to learn it). */
static hk_status enqueue(hk_store *s, intent *it)
{
    pthread_mutex_lock(&s->lock);
    if (s->stopping || s->failed) {
        bool failed = s->failed;
        pthread_mutex_unlock(&s->lock);
        return hk_error_set(it->err, HK_EIO, NULL, "%s",
                            failed ? MSG_FAILED : "store: shutting down");
    }
    if (s->tail)
        s->tail->next = it;
    else
        s->head = it;
    s->tail = it;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    return HK_OK;
}

hk_status store_write(hk_store *s, store_fn fn, void *arg, hk_error *err)
{
    intent it = {.fn = fn, .arg = arg, .err = err, .status = HK_OK, .next = NULL};
    if (sem_init(&it.sem, 0, 0) != 0)
        return hk_error_set(err, HK_EINTERNAL, NULL, "store: sem_init failed");
    hk_status st = enqueue(s, &it);
    if (!st) {
        while (sem_wait(&it.sem) != 0 && errno == EINTR)
            ;
        st = it.status;
    }
    sem_destroy(&it.sem);
    return st;
}

hk_status store_submit(hk_store *s, store_request *req, store_fn fn, void *arg, hk_error *err,
                       store_done_fn done, void *done_arg)
{
    if (!done)
        return hk_error_set(err, HK_EINVAL, NULL, "store: an asynchronous write needs a callback");
    *req = (store_request){.fn = fn, .arg = arg, .err = err, .done = done, .done_arg = done_arg};
    return enqueue(s, req);
}

/* The listener thread: another process committed deliveries due. */
static void heard(void *arg, const hk_due_target *due, size_t n, bool any)
{
    call_hook(arg, due, n, any);
}

void hk_store_set_commit_hook(hk_store *s, hk_store_commit_hook fn, void *arg)
{
    pthread_mutex_lock(&s->hook_lock);
    s->commit_hook = fn;
    s->commit_hook_arg = arg;
    bool listen = fn && s->ops->listen_start && !s->listen_tried;
    s->listen_tried |= listen;
    pthread_mutex_unlock(&s->hook_lock);
    /* Only a process with a hook (a dispatcher) listens: bootstrap and the
     * key commands open no listener connection. Without one, the other
     * nodes' work is still found by the dispatcher's scan (every second). */
    if (listen) {
        hk_error err;
        hk_error_clear(&err);
        if (s->ops->listen_start(s->opts.database_url, s->node, heard, s, &s->listener, &err))
            hk_log_warn("store: cannot listen for other nodes' commits (%s): they are seen "
                        "within a second instead",
                        err.message);
    }
}

/* ---- readers ---- */

static store_conn *reader_take(hk_store *s)
{
    pthread_mutex_lock(&s->read_lock);
    while (s->n_idle == 0)
        pthread_cond_wait(&s->read_free, &s->read_lock);
    store_conn *c = s->idle[--s->n_idle];
    pthread_mutex_unlock(&s->read_lock);
    return c;
}

static void reader_give(hk_store *s, store_conn *c)
{
    pthread_mutex_lock(&s->read_lock);
    s->idle[s->n_idle++] = c;
    pthread_cond_signal(&s->read_free);
    pthread_mutex_unlock(&s->read_lock);
}

hk_status store_read(hk_store *s, store_fn fn, void *arg, hk_error *err)
{
    store_conn *c = reader_take(s);
    store_tx tx = {s->ops, c, NULL};
    hk_status st = s->ops->read_begin(c);
    if (st) {
        hk_error_set(err, st, NULL, "store: cannot begin a read");
        goto out;
    }
    st = fn(&tx, arg, err);
    s->ops->read_end(c);
out:
    reader_give(s, c);
    return st;
}

/* ---- helpers on top ---- */

static hk_status set_fail_nth(const store_tx *tx, void *arg, hk_error *err)
{
    tx->ops->fail_nth_write(tx->conn, *(int *)arg);
    return HK_OK;
}

hk_status store_debug_fail_nth_write(hk_store *s, int n)
{
    return store_write(s, set_fail_nth, &n, NULL);
}

static hk_status set_fail_commit_sync(const store_tx *tx, void *arg, hk_error *err)
{
    tx->ops->fail_next_commit_sync(tx->conn);
    return HK_OK;
}

hk_status store_debug_fail_next_commit_sync(hk_store *s)
{
    /* Run as a mutation, so that the writer thread arms it; the hook's own
     * batch commits normally and the next batch is the one that fails. */
    return store_write(s, set_fail_commit_sync, NULL, NULL);
}

typedef struct counts_args {
    const char *ws;
    store_counts *out;
} counts_args;

static hk_status read_counts(const store_tx *tx, void *arg, hk_error *err)
{
    counts_args *a = arg;
    hk_status st = tx->ops->counts(tx->conn, a->ws, a->out);
    if (st)
        return hk_error_set(err, st, NULL, "store: cannot count rows");
    return HK_OK;
}

hk_status store_counts_get(hk_store *s, const char *ws, store_counts *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    counts_args a = {ws, out};
    return store_read(s, read_counts, &a, err);
}

/* ---- open / close ---- */

static hk_status make_dir(const char *dir, hk_error *err)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return HK_OK;
    }
    return hk_error_set(err, HK_EIO, NULL, "cannot create data directory %s: %s", dir,
                        strerror(errno ? errno : ENOTDIR));
}

static size_t default_readers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    size_t r = n > 0 ? (size_t)n * 2 : 4;
    return r < 4 ? 4 : r;
}

static const char *location(const hk_store *s)
{
    return s->opts.database_url ? s->opts.database_url : s->opts.data_dir;
}

/* A tag no other process has (with overwhelming odds), for announcements. */
static void make_node_tag(hk_store *s)
{
    uint8_t raw[8];
    if (hk_random_bytes(raw, sizeof raw) != HK_OK) {
        snprintf(s->node, sizeof s->node, "%lx.%lx", (long)getpid(), (long)hk_mono_ms());
        return;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(s->node + 2 * i, 3, "%02x", raw[i]);
}

static hk_status open_readers(hk_store *s, hk_error *err)
{
    s->n_readers = s->opts.readers ? s->opts.readers : default_readers();
    s->readers = calloc(s->n_readers, sizeof *s->readers);
    s->idle = calloc(s->n_readers, sizeof *s->idle);
    if (!s->readers || !s->idle)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < s->n_readers; i++) {
        hk_status st =
            s->ops->conn_open(location(s), s->opts.durable, STORE_ROLE_READER, &s->readers[i], err);
        if (st)
            return st;
        s->idle[s->n_idle++] = s->readers[i];
    }
    return HK_OK;
}

hk_status hk_store_open(const hk_store_options *o, hk_store **out, hk_error *err)
{
    *out = NULL;
    bool dir = o->data_dir && *o->data_dir, url = o->database_url && *o->database_url;
    if (dir == url)
        return hk_error_set(err, HK_EINVAL, NULL,
                            dir ? "store: both a data directory and a database URL given"
                                : "store: no data directory or database URL given");
    hk_status st = dir ? make_dir(o->data_dir, err) : HK_OK;
    if (st)
        return st;
    hk_store *s = calloc(1, sizeof *s);
    if (!s)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    s->ops = url ? &store_pg_ops : &store_sqlite_ops;
    s->opts = *o;
    s->opts.data_dir = dir ? strdup(o->data_dir) : NULL;
    s->opts.database_url = url ? strdup(o->database_url) : NULL;
    if (!s->opts.max_batch)
        s->opts.max_batch = DEFAULT_MAX_BATCH;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->write_log.window_ms = WRITE_FAILURE_LOG_WINDOW_MS;
    pthread_mutex_init(&s->read_lock, NULL);
    pthread_cond_init(&s->read_free, NULL);
    pthread_mutex_init(&s->hook_lock, NULL);
    make_node_tag(s);
    s->batch = calloc(s->opts.max_batch, sizeof *s->batch);
    s->results = calloc(s->opts.max_batch, sizeof *s->results);
    s->retry = calloc(s->opts.max_batch, sizeof *s->retry);
    s->batch_due = store_due_set_new();
    if (!location(s) || !s->batch || !s->results || !s->retry || !s->batch_due) {
        st = hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
        goto out;
    }
    st = s->ops->conn_open(location(s), s->opts.durable, STORE_ROLE_WRITER, &s->writer, err);
    if (st)
        goto out;
    st = s->ops->migrate(s->writer, &s->schema_version, err);
    if (st)
        goto out;
    st = open_readers(s, err);
    if (st)
        goto out;
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        st = hk_error_set(err, HK_EINTERNAL, NULL, "store: cannot start the writer thread");
        goto out;
    }
    s->writer_started = true;
    *out = s;
out:
    if (st)
        hk_store_close(s);
    return st;
}

void hk_store_close(hk_store *s)
{
    if (!s)
        return;
    if (s->listener)
        s->ops->listen_stop(s->listener);
    if (s->writer_started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->writer_thread, NULL);
    }
    for (size_t i = 0; i < s->n_readers; i++)
        s->ops->conn_close(s->readers[i]);
    s->ops->conn_close(s->writer);
    free(s->readers);
    free(s->idle);
    free(s->batch);
    free(s->results);
    free(s->retry);
    store_due_set_free(s->batch_due);
    free((char *)s->opts.data_dir);
    free((char *)s->opts.database_url);
    pthread_mutex_destroy(&s->hook_lock);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->read_lock);
    pthread_cond_destroy(&s->read_free);
    free(s);
}
