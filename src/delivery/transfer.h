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
 * Gets job->easy ready to send attempt number delivery.attempts + 1 of the
 * loaded delivery `dj` with body template `tpl`: a new attempt id, the start
 * time, body, signature, headers and options. `scratch` holds temporaries
 * (cleared by the caller afterwards; libcurl copies the URL).
 * On failure the attempt cannot be sent: job->error says why and the caller
 * finishes it with delivery_transfer_fail (the attempt is recorded as
 * failed, and retried as any failure). Returns HK_OK or that failure.
 */
HK_MUST_CHECK hk_status delivery_transfer_prepare(delivery_job *job,
                                                  const delivery_transfer_config *cfg,
                                                  const hk_delivery_job *dj,
                                                  const webhook_body_template *tpl,
                                                  hk_arena *scratch);

/* After libcurl finished the job's handle with `code`: fills job->result
 * (success, status, error, excerpt, duration, retry time from `retry`). The
 * handle stays; free it with delivery_transfer_release. */
void delivery_transfer_finish(delivery_job *job, CURLcode code, const delivery_transfer_config *cfg,
                              const hk_retry_schedule *retry);

/* Fills job->result for an attempt that failed before it was sent (see
 * delivery_transfer_prepare); job->error holds the reason. */
void delivery_transfer_fail(delivery_job *job, const hk_retry_schedule *retry);

/* Fills job->result to drop the delivery (event or target gone, target
 * disabled): no attempt is recorded. */
void delivery_transfer_drop(delivery_job *job);

/* Frees the handle, headers and body (the result stays usable). */
void delivery_transfer_release(delivery_job *job);

#endif
