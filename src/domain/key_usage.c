/*
 * key_usage.c - last use of API keys, coalesced in memory (see key_usage.h).
 *
 * The table is a fixed pool of entries chained from a power-of-two array of
 * buckets: nothing is allocated after hk_key_usage_new, so the hot path
 * cannot fail or grow. An entry stays while its key is pending or was written
 * less than an interval ago (it holds the "not again before" time); older
 * clean entries are freed by the next flush, so the table holds the keys used
 * within about an interval, not every key ever used.
 */
#include "domain/key_usage.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "domain/domain_int.h"

/* Keys per write intent: a flush after a restart of a busy server may have
 * thousands due at once, and one intent holds the writer for all of its rows. */
#define FLUSH_BATCH_MAX 512
#define MAX_CAPACITY ((size_t)1 << 20)
#define NONE UINT32_MAX
/* Failed flushes and dropped uses are logged at most this often. */
#define LOG_WINDOW_MS 60000

typedef struct entry {
    char id[HK_ID_MAX];
    int64_t used_at;    /* the latest use noted */
    int64_t written_at; /* when its time was last handed to the store; HK_TIME_NONE: never */
    bool dirty;         /* used_at is newer than what was handed to the store */
    uint32_t next;      /* the bucket's chain, or the free list */
} entry;

typedef struct key_use {
    char id[HK_ID_MAX];
    int64_t at;
} key_use;

struct hk_key_usage {
    hk_store *store;
    int64_t interval_ms;
    size_t capacity;

    pthread_mutex_t lock; /* the table and the stats */
    entry *entries;
    uint32_t *buckets;
    size_t mask; /* buckets - 1 */
    uint32_t free_head;
    hk_key_usage_stats stats;

    pthread_mutex_t flush_lock; /* one flush at a time: they share `batch` */
    key_use *batch;             /* FLUSH_BATCH_MAX */
    /* flush_logged's: the thread's, then hk_key_usage_stop's once it has joined it. */
    hk_log_gate write_log;
    uint64_t dropped_logged;

    pthread_cond_t wake; /* the thread's tick; under `lock` */
    pthread_t thread;
    bool started, stopping;
};

/* FNV-1a: ids are short and their last characters random. */
static size_t hash_id(const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return (size_t)h;
}

static size_t buckets_for(size_t capacity)
{
    size_t n = 1;
    while (n < capacity * 2)
        n <<= 1;
    return n;
}

static void free_table(hk_key_usage *u)
{
    free(u->entries);
    free(u->buckets);
    free(u->batch);
}

/* The entries, all on the free list, and empty buckets; false when out of memory. */
static bool make_table(hk_key_usage *u, size_t capacity)
{
    size_t n_buckets = buckets_for(capacity);
    u->capacity = capacity;
    u->entries = calloc(capacity, sizeof *u->entries);
    u->buckets = malloc(n_buckets * sizeof *u->buckets);
    u->batch = calloc(FLUSH_BATCH_MAX, sizeof *u->batch);
    if (!u->entries || !u->buckets || !u->batch)
        return false;
    u->mask = n_buckets - 1;
    memset(u->buckets, 0xff, n_buckets * sizeof *u->buckets); /* NONE */
    for (size_t i = 0; i < capacity; i++)
        u->entries[i].next = i + 1 < capacity ? (uint32_t)(i + 1) : NONE;
    u->free_head = 0;
    return true;
}

hk_status hk_key_usage_new(hk_store *store, const hk_key_usage_options *o, hk_key_usage **out,
                           hk_error *err)
{
    *out = NULL;
    int64_t interval = o && o->interval_ms ? o->interval_ms : HK_KEY_USAGE_DEFAULT_INTERVAL_MS;
    size_t capacity = o && o->capacity ? o->capacity : HK_KEY_USAGE_DEFAULT_CAPACITY;
    if (interval < 0 || capacity > MAX_CAPACITY)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "key usage: the interval must be positive and at most %zu keys",
                            MAX_CAPACITY);
    hk_key_usage *u = calloc(1, sizeof *u);
    if (!u || !make_table(u, capacity)) {
        if (u)
            free_table(u);
        free(u);
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    }
    u->store = store;
    u->interval_ms = interval;
    u->write_log.window_ms = LOG_WINDOW_MS;
    pthread_mutex_init(&u->lock, NULL);
    pthread_mutex_init(&u->flush_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* a tick is not a wall-clock time */
    pthread_cond_init(&u->wake, &ca);
    pthread_condattr_destroy(&ca);
    *out = u;
    return HK_OK;
}

/* Under `lock`: the entry of `id`, or NULL. */
static entry *find(hk_key_usage *u, const char *id, size_t bucket)
{
    for (uint32_t i = u->buckets[bucket]; i != NONE; i = u->entries[i].next)
        if (strcmp(u->entries[i].id, id) == 0)
            return &u->entries[i];
    return NULL;
}

/* Under `lock`: a new entry for `id`, or NULL when the table is full. */
static entry *insert(hk_key_usage *u, const char *id, size_t bucket)
{
    uint32_t i = u->free_head;
    if (i == NONE)
        return NULL;
    entry *e = &u->entries[i];
    u->free_head = e->next;
    snprintf(e->id, sizeof e->id, "%s", id);
    e->written_at = HK_TIME_NONE;
    e->used_at = HK_TIME_NONE;
    e->dirty = false;
    e->next = u->buckets[bucket];
    u->buckets[bucket] = i;
    u->stats.keys++;
    return e;
}

void hk_key_usage_note(hk_key_usage *u, const char *key_id, int64_t now_ms)
{
    if (!key_id || !key_id[0] || strnlen(key_id, HK_ID_MAX) == HK_ID_MAX)
        return;
    size_t bucket = hash_id(key_id) & u->mask; /* hashed before the lock: less time in it */
    pthread_mutex_lock(&u->lock);
    u->stats.noted++;
    entry *e = find(u, key_id, bucket);
    if (!e)
        e = insert(u, key_id, bucket);
    if (!e) {
        u->stats.dropped++;
    } else {
        if (e->used_at == HK_TIME_NONE || now_ms > e->used_at)
            e->used_at = now_ms;
        if (!e->dirty) {
            e->dirty = true;
            u->stats.pending++;
        }
    }
    pthread_mutex_unlock(&u->lock);
}

/* Whether an interval has passed since `written_at` (or the clock went back). */
static bool interval_over(const hk_key_usage *u, int64_t written_at, int64_t now)
{
    return written_at == HK_TIME_NONE || now - written_at >= u->interval_ms || now < written_at;
}

/*
 * Under `lock`: moves up to `max` due keys into `out` (marking them written
 * at `now`) and frees the clean entries whose interval is over. Returns how
 * many it moved.
 */
static size_t take_due(hk_key_usage *u, int64_t now, bool all, key_use *out, size_t max)
{
    size_t n = 0;
    for (size_t b = 0; b <= u->mask && n < max; b++) {
        for (uint32_t *link = &u->buckets[b]; *link != NONE;) {
            entry *e = &u->entries[*link];
            bool over = interval_over(u, e->written_at, now);
            if (e->dirty && (all || over) && n < max) {
                snprintf(out[n].id, sizeof out[n].id, "%s", e->id);
                out[n++].at = e->used_at;
                e->dirty = false;
                e->written_at = now;
                u->stats.pending--;
            } else if (!e->dirty && over) {
                uint32_t i = *link;
                *link = e->next;
                e->next = u->free_head;
                u->free_head = i;
                u->stats.keys--;
                continue;
            }
            link = &e->next;
        }
    }
    return n;
}

/* Under `lock`: a write that failed leaves its keys pending again, unless a
 * use since made them so; their written_at (the attempt) defers the retry by
 * an interval, so a failing store is not written to every second. */
static void give_back(hk_key_usage *u, const key_use *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        entry *e = find(u, items[i].id, hash_id(items[i].id) & u->mask);
        if (e && !e->dirty) {
            e->dirty = true;
            u->stats.pending++;
        }
    }
}

typedef struct write_job {
    const key_use *items;
    size_t n;
} write_job;

static hk_status write_tx(const store_tx *tx, void *arg, hk_error *err)
{
    const write_job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        hk_status st = tx->ops->api_key_touch(tx->conn, j->items[i].id, j->items[i].at);
        if (st)
            return domain_store_error(err, st, "recording when API keys were last used");
    }
    return HK_OK;
}

/* Under flush_lock: writes one batch of due keys; *n how many it took (0: none due). */
static hk_status flush_batch(hk_key_usage *u, int64_t now, bool all, size_t *n, hk_error *err)
{
    pthread_mutex_lock(&u->lock);
    *n = take_due(u, now, all, u->batch, FLUSH_BATCH_MAX);
    pthread_mutex_unlock(&u->lock);
    if (*n == 0)
        return HK_OK;
    write_job j = {u->batch, *n};
    hk_status st = store_write(u->store, write_tx, &j, err);
    pthread_mutex_lock(&u->lock);
    if (st) {
        give_back(u, u->batch, *n);
        u->stats.failed_writes++;
    } else {
        u->stats.written += *n;
    }
    pthread_mutex_unlock(&u->lock);
    return st;
}

hk_status hk_key_usage_flush(hk_key_usage *u, int64_t now_ms, bool all, size_t *written,
                             hk_error *err)
{
    if (written)
        *written = 0;
    hk_error_clear(err);
    hk_status st = HK_OK;
    pthread_mutex_lock(&u->flush_lock);
    for (;;) {
        size_t n;
        st = flush_batch(u, now_ms, all, &n, err);
        if (!st && written)
            *written += n;
        if (st || n < FLUSH_BATCH_MAX)
            break;
    }
    pthread_mutex_unlock(&u->flush_lock);
    return st;
}

/* A flush whose failure is logged (through a gate: a failing store fails it
 * every interval) rather than returned; the thread's and stop's. */
static void flush_logged(hk_key_usage *u, bool all)
{
    hk_error err;
    unsigned n = 0;
    hk_status st = hk_key_usage_flush(u, hk_now_ms(), all, NULL, &err);
    if (st && hk_log_gate_fail(&u->write_log, hk_mono_ms(), &n))
        hk_log_warn("cannot record when API keys were last used (%s); tried again in %lld s%s",
                    err.message, (long long)(u->interval_ms / 1000),
                    n ? " (and failed before)" : "");
    else if (!st && hk_log_gate_ok(&u->write_log, &n))
        hk_log_info("recording when API keys were last used works again");
    hk_key_usage_stats s;
    hk_key_usage_get_stats(u, &s);
    if (s.dropped > u->dropped_logged) {
        hk_log_warn("%llu uses of API keys were not recorded: more than %zu keys were in use "
                    "within %lld s",
                    (unsigned long long)(s.dropped - u->dropped_logged), u->capacity,
                    (long long)(u->interval_ms / 1000));
        u->dropped_logged = s.dropped;
    }
}

static void *flusher_main(void *arg)
{
    hk_key_usage *u = arg;
    pthread_setname_np(pthread_self(), "hk-key-usage"); /* for top -H */
    pthread_mutex_lock(&u->lock);
    while (!u->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += HK_KEY_USAGE_TICK_MS / 1000;
        until.tv_nsec += (long)(HK_KEY_USAGE_TICK_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!u->stopping && pthread_cond_timedwait(&u->wake, &u->lock, &until) == 0)
            ;
        if (u->stopping)
            break;
        pthread_mutex_unlock(&u->lock);
        flush_logged(u, false);
        pthread_mutex_lock(&u->lock);
    }
    pthread_mutex_unlock(&u->lock);
    return NULL;
}

hk_status hk_key_usage_start(hk_key_usage *u, hk_error *err)
{
    if (u->started)
        return hk_error_set(err, HK_EINVAL, NULL, "key usage: already started");
    if (pthread_create(&u->thread, NULL, flusher_main, u) != 0)
        return hk_error_set(err, HK_EINTERNAL, NULL, "key usage: cannot start its thread");
    u->started = true;
    return HK_OK;
}

static void stop_thread(hk_key_usage *u)
{
    if (!u->started)
        return;
    pthread_mutex_lock(&u->lock);
    u->stopping = true;
    pthread_cond_signal(&u->wake);
    pthread_mutex_unlock(&u->lock);
    pthread_join(u->thread, NULL);
    u->started = false;
}

void hk_key_usage_stop(hk_key_usage *u)
{
    if (!u)
        return;
    stop_thread(u);
    flush_logged(u, true);
}

void hk_key_usage_get_stats(hk_key_usage *u, hk_key_usage_stats *out)
{
    pthread_mutex_lock(&u->lock);
    *out = u->stats;
    pthread_mutex_unlock(&u->lock);
}

void hk_key_usage_free(hk_key_usage *u)
{
    if (!u)
        return;
    stop_thread(u);
    pthread_cond_destroy(&u->wake);
    pthread_mutex_destroy(&u->flush_lock);
    pthread_mutex_destroy(&u->lock);
    free_table(u);
    free(u);
}
