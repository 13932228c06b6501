/*
 * transfer.h - one delivery attempt as a libcurl easy handle (internal to
 * src/delivery/): building the request from a loaded delivery, and reading
 * the outcome into the job's result.
 *
 * The SSRF guard sits in the open-socket callback installed here, so every
 * address libcurl connects to (after DNS, for each address it tries) is
 * checked; proxies from the environment are disabled, since through a proxy
 * the guard would see the proxy's address instead of the target's.
 */
#ifndef HOOKD_DELIVERY_TRANSFER_H
#define HOOKD_DELIVERY_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "core/arena.h"
#include "delivery/job.h"
#include "delivery/retry.h"
#include "json/webhook_body.h"

/* What every attempt shares. Strings borrowed for the dispatcher's life. */
typedef struct delivery_transfer_config {
    const char *user_agent;
    const char *tls_client_cert; /* PEM paths, NULL: none */
    const char *tls_client_key;
    const char *tls_ca_file; /* NULL: the system's CA store */
    int64_t timeout_ms;
    bool allow_private;
    CURLSH *share; /* TLS session cache shared by every handle */
} delivery_transfer_config;

/*
 * libcurl handles with the memory of their requests (body, header list),
 * kept between attempts: the options every attempt shares are set once, and
 * the buffers keep their capacity, so an attempt on a kept handle allocates
 * nothing. libcurl's connections live in the multi handle, not in these.
 * The pool keeps at most `keep` idle handles and borrows `cfg` for its life.
 * Owned by one thread (the dispatcher's).
 */
typedef struct delivery_handle_pool delivery_handle_pool;

/* NULL when out of memory. */
delivery_handle_pool *delivery_handle_pool_new(const delivery_transfer_config *cfg, size_t keep);
/* Frees the idle handles; every handle must have been given back (see
 * delivery_transfer_release). Accepts NULL. */
void delivery_handle_pool_free(delivery_handle_pool *pool);

/*
 * Gets the job ready to send attempt number delivery.attempts + 1 of the
 * loaded delivery `dj` with body template `tpl`: a new attempt id, the start
 * time, then a handle from `pool` (job->handle, job->easy) with the body,
 * signature, headers and options. `scratch` holds temporaries (cleared by
 * the caller afterwards; libcurl copies the URL).
 * On failure the attempt cannot be sent: job->error says why and the caller
 * finishes it with delivery_transfer_fail (the attempt is recorded as
 * failed, and retried as any failure). Returns HK_OK or that failure.
 */
HK_MUST_CHECK hk_status delivery_transfer_prepare(delivery_job *job, delivery_handle_pool *pool,
                                                  const hk_delivery_job *dj,
                                                  const webhook_body_template *tpl,
                                                  hk_arena *scratch);

/* After libcurl finished the job's handle with `code`: fills job->result
 * (success, status, error, excerpt, duration, retry time from `retry`). The
 * handle stays; give it back with delivery_transfer_release. */
void delivery_transfer_finish(delivery_job *job, CURLcode code, const delivery_transfer_config *cfg,
                              const hk_retry_schedule *retry);

/* Fills job->result for an attempt that failed before it was sent (see
 * delivery_transfer_prepare); job->error holds the reason. */
void delivery_transfer_fail(delivery_job *job, const hk_retry_schedule *retry);

/* Fills job->result to drop the delivery (event or target gone, target
 * disabled): no attempt is recorded. */
void delivery_transfer_drop(delivery_job *job);

/* Gives the job's handle, if it holds one, back to `pool` (the result stays
 * usable). The handle must not be in a multi handle. */
void delivery_transfer_release(delivery_job *job, delivery_handle_pool *pool);

#endif
