/*
 * http_server.h - the daemon's HTTP front: libmicrohttpd with a polling
 * thread per CPU, a pool of workers for GraphQL requests (which may wait for
 * a commit), a route table, and a graceful stop.
 *
 * Routes: GET|HEAD /healthz, GET|HEAD /metrics (daemon/metrics.h), POST /graphql/v1 (Plain's
 * GraphQL API), and GET|HEAD /ui and /ui/... (the operator dashboard's files, daemon/ui.h).
 * Unknown paths answer 404, known paths with another method 405 (with an Allow header); all
 * with a JSON body.
 *
 * The front door (issue 15): everything that can be decided from a request's head is, before
 * any of its body is read. The head's framing must be unambiguous (http_framing.h: 400, 411,
 * 501). POST /graphql/v1 needs a Content-Length and a key: a request without a valid key is
 * answered 401 and its body never buffered; one over max_body_bytes 413; one whose body
 * would take the bodies held at once past body_budget 503 (Retry-After: 1). Each of these
 * closes the connection and drains its unread input for a while (a lingering close), so that
 * the client reads the answer. Deadlines per phase, shedding at the connection limit and the
 * lingering are http_guard.h's. libmicrohttpd's messages are logged through gates.
 */
#ifndef HOOKD_DAEMON_HTTP_SERVER_H
#define HOOKD_DAEMON_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/error.h"
#include "daemon/retention.h"
#include "delivery/dispatcher.h"
#include "store/store.h"

typedef struct hk_http_server hk_http_server;

typedef struct hk_http_server_options {
    int listen_fd;              /* bound and listening; the server owns it from the start call */
    unsigned threads;           /* GraphQL workers; 0: 32 per CPU this process may use (max 256) */
    size_t connection_memory;   /* bytes per connection (headers and buffers); 0: 16 KiB */
    unsigned max_connections;   /* clients at once; 0: the descriptor limit less 512 kept for
                                   the store and the dispatcher (at most 10,000) */
    unsigned idle_timeout_s;    /* a connection silent this long is closed, one waiting this
                                   long for a request too, and an answer must be sent within
                                   it; 0: 30 s */
    unsigned drain_timeout_ms;  /* how long stop waits for requests in flight; 0: 10 s */
    size_t max_body_bytes;      /* the largest request body read; 0: 1 MiB */
    size_t body_budget;         /* bytes of request bodies held at once; 0: 64 MiB (at least
                                   max_body_bytes + 1) */
    unsigned header_timeout_ms; /* a request line to its blank line; 0: 10 s */
    unsigned body_timeout_ms;   /* a request's headers to its last body byte; 0: 30 s */
    hk_store *store;            /* borrowed; must outlive the server */
    api *api;                   /* borrowed, required; must outlive the server */
    hk_dispatcher *dispatcher;  /* borrowed, may be NULL; must outlive the server (/metrics) */
    hk_retention *retention;    /* borrowed, may be NULL (off); must outlive the server */
    int64_t started_ms;         /* when the process started, for /metrics; 0: now */
    const char *https_cert;     /* PEM text (not a path): serve HTTPS with it; NULL: HTTP */
    const char *https_key;      /* its private key, PEM text; required with https_cert */
} hk_http_server_options;

/* Zeroes *o (every default) and sets listen_fd to -1. */
void hk_http_server_options_init(hk_http_server_options *o);

/* Starts serving on o->listen_fd. HK_EINVAL for a certificate without a key
 * (or the reverse), HK_EIO with a message when libmicrohttpd refuses to
 * start, a certificate or key it cannot use included (its own diagnostics go
 * to the log). The PEM texts are only read during the call. */
HK_MUST_CHECK hk_status hk_http_server_start(const hk_http_server_options *o, hk_http_server **out,
                                             hk_error *err);

/* The number of GraphQL workers started. */
unsigned hk_http_server_threads(const hk_http_server *s);
/* Clients served at once at most; more are turned away at accept. */
unsigned hk_http_server_max_connections(const hk_http_server *s);

/*
 * Stops gracefully: stops accepting connections, waits (up to the drain
 * timeout) for the requests already received to be answered, then closes
 * every connection and the listening socket. Accepts NULL.
 */
void hk_http_server_stop(hk_http_server *s);

#endif
