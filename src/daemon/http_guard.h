/*
 * http_guard.h - how long a client may hold one of the server's connections,
 * and what becomes of a connection when it must go.
 *
 * libmicrohttpd times a connection out only when it has been silent for its
 * idle timeout, and any byte restarts that clock: 10,100 sockets sending one
 * header byte every 10 s held every connection slot for as long as they
 * liked, and new clients (a /healthz probe) waited in the accept queue. And it
 * closes a connection with unread input at once, so a client still sending a
 * body that was answered early (413) got a reset, often before it read the
 * answer. The guard adds, on libmicrohttpd's connection notifications:
 *
 *   - deadlines per phase of a request, from when the phase began, whatever
 *     trickles in meanwhile: waiting for a request (idle), its request line
 *     to its blank line (headers), its headers to its last body byte (body),
 *     an answer queued to its last byte sent (send). None while hookd itself
 *     works (busy). A connection past its deadline is shut down, which its
 *     polling thread then sees and closes.
 *   - shedding: libmicrohttpd shares the connection limit out among its
 *     polling threads and stops accepting on one at its share. Before that,
 *     each new connection on a thread that is nearly full sheds one that is
 *     waiting on its client (idle or in its headers): first one that has
 *     never finished a request, oldest first, then a kept-alive one. Clients
 *     that send their request at once (a health check) keep getting in while
 *     slow ones hold the rest.
 *   - a lingering close: a connection closed with input unread (answered
 *     before its body was read, or failed by libmicrohttpd) keeps its socket,
 *     through a duplicate of its descriptor, for up to `linger_ms` while its
 *     input is read and dropped, until the client closes its side: the client
 *     reads the answer instead of a reset. At most `max_lingering` at once;
 *     past that a connection closes at once.
 *
 * One thread (hk-http-guard) checks deadlines every 100 ms and drains
 * lingering sockets. Everything else runs in libmicrohttpd's callbacks and
 * the server's access handler, under one mutex.
 */
#ifndef HOOKD_DAEMON_HTTP_GUARD_H
#define HOOKD_DAEMON_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct hk_http_guard hk_http_guard;
/* What the guard keeps about one connection: libmicrohttpd's socket context. */
typedef struct hk_http_conn hk_http_conn;

typedef struct hk_http_guard_options {
    unsigned workers;          /* libmicrohttpd's polling threads */
    unsigned max_connections;  /* libmicrohttpd's connection limit (shared out among them) */
    int64_t idle_timeout_ms;   /* waiting for a request */
    int64_t header_timeout_ms; /* request line to blank line */
    int64_t body_timeout_ms;   /* headers to last body byte */
    int64_t send_timeout_ms;   /* answer queued to answer sent */
    int64_t linger_ms;         /* the longest a closed connection's input is drained */
    unsigned max_lingering;    /* closed connections drained at once */
} hk_http_guard_options;

typedef enum hk_http_phase {
    HK_HTTP_IDLE,    /* waiting for a request: a new or kept-alive connection */
    HK_HTTP_HEADERS, /* its request line is in */
    HK_HTTP_BODY,    /* its headers are in, its body is being read */
    HK_HTTP_BUSY,    /* hookd works on it: no deadline */
    HK_HTTP_SENDING, /* its answer is queued */
} hk_http_phase;

/* Starts the guard's thread. HK_EIO when it cannot (epoll, the thread). */
HK_MUST_CHECK hk_status hk_http_guard_start(const hk_http_guard_options *o, hk_http_guard **out,
                                            hk_error *err);

/* Closes the sockets still lingering and stops the thread. Call after
 * MHD_stop_daemon (which closes every connection). Accepts NULL. */
void hk_http_guard_stop(hk_http_guard *g);

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback, with the guard as its closure. */
void hk_http_guard_notify(void *guard, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);

/* The connection's record; NULL if libmicrohttpd started it without notifying. Only on
 * the connection's polling thread (libmicrohttpd's callbacks, the access handler). */
hk_http_conn *hk_http_guard_conn(struct MHD_Connection *conn);

/* The connection enters phase `p` now (accepts NULL). */
void hk_http_guard_enter(hk_http_guard *g, hk_http_conn *c, hk_http_phase p);
/* A request was answered whole and the connection is kept: it is a client that finished
 * a request (shed after those that never did), now idle. */
void hk_http_guard_kept(hk_http_guard *g, hk_http_conn *c);
/* Drain the connection's input when it closes, even if none is waiting then (its answer
 * went out before its body was read). Accepts NULL. */
void hk_http_guard_linger(hk_http_guard *g, hk_http_conn *c);

/* The request target as sent, recorded when the request line arrived
 * (MHD_OPTION_URI_LOG_CALLBACK) for the framing check; NULL when none was. */
void hk_http_guard_set_target(hk_http_conn *c, const char *target, size_t len);
const char *hk_http_guard_target(const hk_http_conn *c, size_t *len);

typedef struct hk_http_guard_stats {
    unsigned open;          /* connections now */
    unsigned lingering;     /* closed connections whose input is being drained */
    uint64_t cut_deadline;  /* connections shut down past a deadline */
    uint64_t shed_at_limit; /* connections shut down to make room for a new one */
    uint64_t lingered;      /* closed connections that were drained */
} hk_http_guard_stats;

void hk_http_guard_get_stats(hk_http_guard *g, hk_http_guard_stats *out);

#endif
