/*
 * key_usage.h - when each API key last authenticated a request
 * (api_keys.last_used_at, shown by hookd key-list), remembered in memory and
 * written at most once per key per interval (a minute by default): never a
 * write per request. Authentication is on every request's path; a write there
 * would put every request, reads included, behind the store's writer.
 *
 * hk_key_usage_note, on the hot path, takes a mutex and looks the key up in a
 * fixed-size hash table: no allocation, no I/O. hk_key_usage_flush hands the
 * store, as one write intent through its single writer (one transaction,
 * group-committed with the mutations of the moment), the latest use of every
 * key that is due: used since its time was last written, and last written at
 * least `interval_ms` before, or not yet by this process (a key's first use is
 * written at the next flush, so a new key shows as used within a second).
 * The thread hk_key_usage_start starts flushes every second, and
 * hk_key_usage_stop writes everything still pending: the stored time lags the
 * last use by at most interval + 1 s ("accurate to a minute"), and a process
 * that is killed rather than stopped loses at most that much.
 *
 * Times (wall clock, ms) are the caller's: tests drive them. A clock that
 * steps back makes the keys written "later" due at once (never stuck).
 * Keys are remembered by id; a key revoked since its use is skipped by the
 * store. When more keys than `capacity` are in use within one interval, uses
 * of the others are not recorded (counted as dropped and logged).
 *
 * Thread-safe.
 */
#ifndef HOOKD_DOMAIN_KEY_USAGE_H
#define HOOKD_DOMAIN_KEY_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

#define HK_KEY_USAGE_DEFAULT_INTERVAL_MS 60000
#define HK_KEY_USAGE_DEFAULT_CAPACITY 4096
/* How often the thread flushes. */
#define HK_KEY_USAGE_TICK_MS 1000

typedef struct hk_key_usage hk_key_usage;

typedef struct hk_key_usage_options {
    int64_t interval_ms; /* a key's time is written at most this often; 0: the default */
    size_t capacity;     /* keys remembered at once; 0: the default; at most 1 << 20 */
} hk_key_usage_options;

typedef struct hk_key_usage_stats {
    uint64_t noted;         /* uses noted */
    uint64_t written;       /* key times handed to the store and committed */
    uint64_t dropped;       /* uses not recorded: the table was full */
    uint64_t failed_writes; /* flushes the store refused (their keys are retried) */
    size_t pending;         /* keys used since their time was last written */
    size_t keys;            /* keys remembered */
} hk_key_usage_stats;

/* A tracker writing to `store` (which must outlive it). o may be NULL (the
 * defaults). HK_EINVAL for a negative interval or a capacity out of range. */
HK_MUST_CHECK hk_status hk_key_usage_new(hk_store *store, const hk_key_usage_options *o,
                                         hk_key_usage **out, hk_error *err);

/* Key `key_id` authenticated a request at `now_ms`. An empty id is ignored. */
void hk_key_usage_note(hk_key_usage *u, const char *key_id, int64_t now_ms);

/*
 * Writes the times that are due at `now_ms` (every pending one when `all`),
 * in write intents of at most 512 keys, and waits for their commit. *written
 * (may be NULL) gets how many keys' times were committed. On a failed write
 * its keys stay pending, to be tried again an interval later, and the error
 * is returned.
 */
HK_MUST_CHECK hk_status hk_key_usage_flush(hk_key_usage *u, int64_t now_ms, bool all,
                                           size_t *written, hk_error *err);

/* Starts the thread that flushes every HK_KEY_USAGE_TICK_MS (failures are
 * logged, not fatal). At most once. */
HK_MUST_CHECK hk_status hk_key_usage_start(hk_key_usage *u, hk_error *err);

/* Stops the thread, if started, and writes every pending time (graceful
 * shutdown: call it while the store is open and once no request is
 * authenticated any more). A failure is logged. Accepts NULL. */
void hk_key_usage_stop(hk_key_usage *u);

void hk_key_usage_get_stats(hk_key_usage *u, hk_key_usage_stats *out);

/* Frees the tracker; a thread still running is stopped first, but what is
 * pending is not written (hk_key_usage_stop does that). Accepts NULL. */
void hk_key_usage_free(hk_key_usage *u);

#endif
