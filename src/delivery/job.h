/*
 * job.h - one claimed delivery inside the dispatcher, from its claim to the
 * recording of its attempt (internal to src/delivery/).
 *
 * Ownership: the dispatcher allocates a job per claimed delivery and frees
 * it once its result is recorded, or when it gives the delivery back to its
 * lease (deferred, or aborted at stop). While the attempt runs the job holds
 * a handle from the dispatcher's pool (libcurl handle, header list, body),
 * given back when the attempt ends; `result` points into the job itself
 * (delivery, error, excerpt), so a job lives until it is recorded.
 */
#ifndef HOOKD_DELIVERY_JOB_H
#define HOOKD_DELIVERY_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "delivery/target_guard.h"
#include "domain/deliveries.h"

typedef struct delivery_target delivery_target;
typedef struct delivery_handle delivery_handle;

typedef struct delivery_job {
    struct delivery_job *next; /* in its target's queue, or in the results to record */
    hk_delivery delivery;      /* as claimed */
    int64_t lease_end_ms;      /* monotonic time at which the claim's lease runs out */
    delivery_target *target;   /* its per-target slot while queued or in flight */
    struct delivery_job *flight_prev, *flight_next; /* the dispatcher's in-flight list */

    /* Its event, read with the other events of its claim in one snapshot.
     * When event_loaded is false (that read failed), the attempt reads it. */
    bool event_loaded, event_found;
    hk_event event;      /* payload_json is event_payload */
    char *event_payload; /* owned, freed with the job */

    /* The attempt. */
    delivery_handle *handle;     /* from the pool, while prepared or in flight */
    CURL *easy;                  /* the handle's libcurl handle */
    bool allow_private;          /* read by the open-socket callback */
    bool address_refused;        /* the target guard refused an address */
    hk_addr_class refused_class; /* ... of this class (for the log) */
    bool body_cut;               /* the response was longer than we read */
    bool headers_complete;       /* the last response head ended with its blank line */
    int keep_alive_s;            /* the last response head's Keep-Alive timeout, -1: none */
    unsigned requests_sent;      /* requests libcurl started for this attempt */
    bool resend_refused;         /* it was about to send the attempt a second time */
    size_t response_bytes;
    int64_t started_mono_ms;
    size_t excerpt_len;
    char excerpt[HK_ATTEMPT_EXCERPT_MAX + 1];
    char error[HK_ATTEMPT_ERROR_MAX];
    char curl_error[CURL_ERROR_SIZE];
    char log_url[160]; /* the URL without credentials, cut, for logs only */

    hk_delivery_result result; /* filled when the attempt ends or the delivery is dropped */
} delivery_job;

#endif
