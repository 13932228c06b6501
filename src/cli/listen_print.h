/*
 * listen_print.h - how `hookctl listen` shows each delivery it received:
 * a few lines for people (the event, its customer, what changed), or one
 * JSON object per line with --json.
 *
 * Everything shown from a request goes through out_text/out_clean, so a
 * sender cannot drive the terminal; values taken from the headers of a
 * rejected request are labelled as unverified.
 */
#ifndef HOOKD_CLI_LISTEN_PRINT_H
#define HOOKD_CLI_LISTEN_PRINT_H

#include <stdint.h>

#include <hookd/verify.h>

#include "cli/output.h"

typedef struct listen_delivery {
    int64_t received_ms;    /* wall clock */
    int status;             /* what was answered: 200, 400, 413, ... */
    const hk_webhook *wh;   /* verified: the event; else NULL */
    const char *error;      /* not verified: a stable code ("bad_signature", "http") */
    const char *message;    /* not verified: why, for people */
    const char *event_id;   /* the Plain-Event-Id header, or NULL (never verified) */
    const char *event_type; /* Plain-Event-Type, or NULL */
    const char *attempt;    /* Plain-Webhook-Delivery-Attempt-Number, or NULL */
    /* --forward-to: what the application answered a verified delivery (forwarded false when
     * it was not forwarded). */
    bool forwarded;
    int forward_status; /* 0: no answer */
    int64_t forward_ms;
    const char *forward_error; /* why there was no answer, or NULL */
} listen_delivery;

/* The stable code of a library result for --json: "bad_signature", "stale_timestamp", ... */
const char *listen_error_code(hk_verify_result r);

/* Prints one delivery (and flushes: a script reading a pipe must see it now). */
void listen_print(const cli_out *o, const listen_delivery *d);

#endif
