/*
 * listen_forward.h - `hookctl listen --forward-to URL`: each verified delivery
 * is POSTed on to a local application (what `stripe listen --forward-to`
 * does), with its exact body and the headers hookd sent, and the application's
 * answer becomes listen's answer to hookd, so that hookd retries what the
 * application failed.
 *
 * Synchronous, one request at a time (listen serves one request at a time):
 * a development tool. Redirects are not followed; the answer's body is read up
 * to LF_EXCERPT_MAX bytes.
 */
#ifndef HOOKD_CLI_LISTEN_FORWARD_H
#define HOOKD_CLI_LISTEN_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "cli/listen_http.h"

#define LF_EXCERPT_MAX 200

typedef struct lf_forwarder lf_forwarder;

/* What forwarding one delivery gave. */
typedef struct lf_result {
    int status;      /* the application's HTTP status, 0 when none came */
    int64_t took_ms; /* the round trip */
    char error[128]; /* "" or why no status came ("connection refused", "timeout") */
    char excerpt[LF_EXCERPT_MAX + 1]; /* the start of its body */
} lf_result;

/* For http:// or https:// `url`, each request cut after timeout_ms. NULL with a message in
 * err for a URL libcurl cannot use or when out of memory. */
lf_forwarder *lf_forwarder_new(const char *url, int64_t timeout_ms, char *err, size_t err_size);
void lf_forwarder_free(lf_forwarder *f); /* accepts NULL */
const char *lf_forwarder_url(const lf_forwarder *f);

/* POSTs `req`'s body with its headers (every one but those that describe the hop: Host,
 * Content-Length, Connection, Keep-Alive, Transfer-Encoding, Expect). */
void lf_forward(lf_forwarder *f, const lh_request *req, lf_result *out);

#endif
