/*
 * listen_http.h - the small HTTP/1.1 server behind `hookctl listen`: one
 * thread, poll(2) over the listening socket and up to LH_MAX_CONNS
 * connections, keep-alive and pipelining, bodies framed by Content-Length
 * only (chunked bodies get 501: webhook senders give a length).
 *
 * It is a development receiver, not a web server: the limits below are
 * hard, and what exceeds them is answered with a 4xx and the connection
 * closed. Every complete request is passed to the request handler, which
 * fills the reply; requests that cannot be read are reported to the refused
 * handler (for the operator's log) and answered by the server itself.
 */
#ifndef HOOKD_CLI_LISTEN_HTTP_H
#define HOOKD_CLI_LISTEN_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#define LH_MAX_CONNS 64
#define LH_HEAD_MAX ((size_t)16 << 10) /* request line + headers */
#define LH_BODY_MAX ((size_t)1 << 20)  /* Content-Length */
#define LH_IDLE_MS 60000               /* a connection silent this long is closed */
#define LH_REPLY_TEXT 256
#define LH_MAX_HEADERS 64 /* header lines per request; more get 431 */

/* A complete POST. Strings are NUL-terminated and valid until the handler returns; header
 * values the request did not carry are NULL. The Plain-* headers other than the signature are
 * not covered by it: for messages only. */
typedef struct lh_request {
    const char *method, *target;
    const char *signature;  /* Plain-Request-Signature */
    const char *event_id;   /* Plain-Event-Id */
    const char *event_type; /* Plain-Event-Type */
    const char *attempt;    /* Plain-Webhook-Delivery-Attempt-Number */
    const char *body;       /* body_len bytes; not NUL-terminated */
    size_t body_len;
    /* Every header line as received (names as sent, values trimmed), for forwarding. */
    size_t n_headers;
    const char *header_names[LH_MAX_HEADERS];
    const char *header_values[LH_MAX_HEADERS];
} lh_request;

typedef struct lh_reply {
    int status;               /* 200, 400, ... */
    char text[LH_REPLY_TEXT]; /* the text/plain body; a newline is added */
} lh_reply;

typedef struct lh_handlers {
    void (*request)(void *ctx, const lh_request *req, lh_reply *reply);
    /* A request answered with `status` before it could be handled: malformed, too big, ... */
    void (*refused)(void *ctx, int status, const char *why);
    void *ctx;
} lh_handlers;

typedef struct lh_server lh_server;

/*
 * Binds host:port (port "0": any free port) and listens. A host that is not a loopback
 * address is refused unless allow_public is set. Returns NULL with a message in err.
 */
lh_server *lh_server_new(const char *host, const char *port, bool allow_public, char *err,
                         size_t errlen);
/* "http://127.0.0.1:40123/" (IPv6 hosts in brackets): where the server listens. */
const char *lh_server_url(const lh_server *s);
/* True when the bound address is a loopback one. */
bool lh_server_is_loopback(const lh_server *s);

/*
 * Serves until *stop becomes non-zero. The caller blocks the signals that set *stop; they are
 * only let through while waiting, with `wait_mask` (ppoll), so that none is missed between a
 * check and the wait. Returns 0, or -1 with a message when polling itself fails.
 */
int lh_server_run(lh_server *s, const lh_handlers *h, volatile sig_atomic_t *stop,
                  const sigset_t *wait_mask, char *err, size_t errlen);

/* Closes every connection and the socket. Accepts NULL. */
void lh_server_free(lh_server *s);

#endif
