/*
 * work_pool.h - a fixed pool of threads running submitted jobs, first in,
 * first out.
 *
 * For work that blocks (a GraphQL request waiting for its commit): the
 * threads that submit it (libmicrohttpd's, which serve many connections
 * each) go on with other work meanwhile.
 *
 * A job is an hk_work the caller embeds in its own struct and owns; the
 * pool only links it into its queue between submit and the call of `run`,
 * and never touches it after `run` has started. `run` is called on one of
 * the pool's threads, exactly once per successful submit.
 */
#ifndef HOOKD_CORE_WORK_POOL_H
#define HOOKD_CORE_WORK_POOL_H

#include <stdbool.h>

#include "core/error.h"

typedef struct hk_work hk_work;
typedef void (*hk_work_fn)(hk_work *w);

struct hk_work {
    hk_work_fn run; /* set by the caller */
    hk_work *next;  /* the pool's */
};

typedef struct hk_work_pool hk_work_pool;

/* Starts `threads` threads (1..4096), named `name` (up to 15 bytes, for
 * top -H and perf). HK_EINVAL on a bad count, HK_ENOMEM or HK_EINTERNAL if
 * memory or a thread could not be had (then no thread is left running). */
HK_MUST_CHECK hk_status hk_work_pool_start(unsigned threads, const char *name, hk_work_pool **out,
                                           hk_error *err);

/* Queues `w` (w->run set). False once the pool is stopping: `w` is not
 * queued and run will not be called; the caller does the work itself. */
HK_MUST_CHECK bool hk_work_pool_submit(hk_work_pool *p, hk_work *w);

/* Refuses further submits, runs every job already queued and joins the
 * threads; submits then return false until the pool is stopped. For a caller
 * whose callbacks may still submit for a while (an HTTP server stopping its
 * library after its workers). Accepts NULL; idempotent. */
void hk_work_pool_drain(hk_work_pool *p);

/* Drains the pool (if it was not) and frees it. Accepts NULL. */
void hk_work_pool_stop(hk_work_pool *p);

#endif
