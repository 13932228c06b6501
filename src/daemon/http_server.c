#include "daemon/http_server.h"

#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/work_pool.h"
#include "daemon/http_framing.h"
#include "daemon/http_guard.h"
#include "daemon/metrics.h"
#include "daemon/ui.h"
#include "json/jsonw.h"

/* Headers only: request bodies are gathered outside MHD's pool. MHD zeroes
 * this much per connection, so it is kept small. */
#define DEFAULT_CONNECTION_MEMORY (16 * 1024)
#define THREADS_PER_CPU 32
#define MAX_DEFAULT_THREADS 256
#define DEFAULT_MAX_BODY_BYTES ((size_t)1 << 20)
#define DEFAULT_IDLE_TIMEOUT_S 30
#define DEFAULT_HEADER_TIMEOUT_MS 10000
#define DEFAULT_BODY_TIMEOUT_MS 30000
/* Request bodies held at once, at most: 64 bodies of the largest size by default. */
#define DEFAULT_BODY_BUDGET ((size_t)64 << 20)
/* How long a connection closed with input unread may drain it (http_guard.h). */
#define LINGER_MS 5000
/* Connections kept for lingering: 1 in 16 of the limit, at least 1. */
#define LINGER_DIVISOR 16
/* A request with more header fields is refused (libmicrohttpd's 16 KiB pool fits ~800). */
#define MAX_HEAD_FIELDS 256
/* Memory is trimmed once requests in flight drop to none after this many bytes of bodies
 * and answers came and went. */
#define TRIM_AFTER_BYTES ((size_t)32 << 20)
#define TRIM_BUSY_INTERVAL_MS 10000
/* libmicrohttpd's messages about clients: one line per window at most. */
#define LOG_WINDOW_MS 10000
#define DEFAULT_DRAIN_TIMEOUT_MS 10000
#define DRAIN_POLL_MS 10
/* Descriptors left to everything but clients: the store's connections and files, the
 * dispatcher's connections (256 in flight by default), logs. */
#define RESERVED_FDS 512
#define MAX_DEFAULT_CONNECTIONS 10000
/* The /metrics page is a few KiB; this bounds it whatever is added later. */
#define METRICS_PAGE_LIMIT ((size_t)256 << 10)

/* RFC 9110's name for 413; libmicrohttpd before 0.9.74 has only the deprecated one. */
#ifndef MHD_HTTP_CONTENT_TOO_LARGE
#define MHD_HTTP_CONTENT_TOO_LARGE 413
#endif

#define JSON_TYPE "application/json"
#define NOT_FOUND_BODY "{\"error\":{\"code\":\"not_found\",\"message\":\"No such endpoint.\"}}"
#define NOT_ALLOWED_BODY                                                                           \
    "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"Method not allowed.\"}}"
/* GraphQL answers say their charset: Plain's do, and clients decoding bytes should not guess. */
#define GRAPHQL_JSON_TYPE "application/json; charset=utf-8"

struct hk_http_server {
    struct MHD_Daemon *daemon;
    hk_work_pool *workers; /* run GraphQL requests, which may wait for a commit */
    hk_http_guard *guard;  /* deadlines, shedding, lingering closes */
    hk_store *store;
    api *api;
    hk_dispatcher *dispatcher; /* borrowed, may be NULL: for /metrics */
    hk_retention *retention;   /* borrowed, may be NULL: for /metrics */
    int64_t started_ms;
    size_t max_body_bytes;
    size_t body_budget;  /* bytes of request bodies held at once, at most */
    unsigned threads;    /* workers */
    unsigned io_threads; /* libmicrohttpd's polling threads */
    unsigned max_connections;
    unsigned max_lingering;
    unsigned drain_timeout_ms;
    /* Requests whose headers arrived and whose answer is not yet sent. */
    atomic_uint in_flight;
    /* Set by stop: answers then ask keep-alive clients to go away. */
    atomic_bool draining;
    /* Responses queued, by status class (hk_metrics_http.responses). */
    _Atomic uint64_t responses[6];
    /* GraphQL answers that report the server's failure (hk_metrics_http.internal_errors). */
    _Atomic uint64_t internal_errors;
    /* Bytes of bodies held now (at most body_budget), and requests refused for it. */
    atomic_size_t body_bytes;
    _Atomic uint64_t refused[HK_REFUSED_KINDS];
    /* Memory handed back: bytes of bodies and answers since the last trim, and a trim job
     * (at most one queued). */
    atomic_size_t churn;
    atomic_bool trimming;
    _Atomic int64_t trimmed_at; /* monotonic ms of the last trim */
    hk_work trim;
    /* libmicrohttpd's messages, most of them about one client each: gated. */
    pthread_mutex_t log_lock;
    hk_log_gate client_log, other_log;
};

/* ---- responses ---- */

/* Queues `response` (NULL: it could not be made), whose content headers are set, then drops
 * our reference to it. `close`: the connection ends after it (its body was not read, or its
 * framing cannot be trusted). */
static enum MHD_Result queue_ready(hk_http_server *server, struct MHD_Connection *conn,
                                   unsigned status, struct MHD_Response *response, bool close)
{
    if (!response)
        return MHD_NO;
    enum MHD_Result ok = MHD_YES;
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (ok == MHD_YES && (close || atomic_load(&server->draining)))
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    if (ok == MHD_YES)
        ok = MHD_queue_response(conn, status, response);
    if (ok == MHD_YES) {
        atomic_fetch_add_explicit(&server->responses[status / 100 < 6 ? status / 100 : 0], 1,
                                  memory_order_relaxed);
        hk_http_guard_enter(server->guard, hk_http_guard_conn(conn), HK_HTTP_SENDING);
    }
    MHD_destroy_response(response);
    return ok;
}

/* Queues `response` (NULL: it could not be made) with the common headers: see queue_ready. */
static enum MHD_Result queue_response(hk_http_server *server, struct MHD_Connection *conn,
                                      unsigned status, struct MHD_Response *response,
                                      const char *content_type, const char *allow, bool close)
{
    if (!response)
        return MHD_NO;
    enum MHD_Result ok =
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (ok == MHD_YES)
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (ok == MHD_YES && allow)
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
    if (ok != MHD_YES) {
        MHD_destroy_response(response);
        return MHD_NO;
    }
    return queue_ready(server, conn, status, response, close);
}

/* A static body: MHD may send it without copying. */
static enum MHD_Result send_static(hk_http_server *server, struct MHD_Connection *conn,
                                   unsigned status, const char *body, const char *content_type,
                                   const char *allow)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    return queue_response(server, conn, status, response, content_type, allow, false);
}

static enum MHD_Result send_json(hk_http_server *server, struct MHD_Connection *conn,
                                 unsigned status, const char *body, const char *allow)
{
    return send_static(server, conn, status, body, JSON_TYPE, allow);
}

/* A body built for this answer: MHD frees it once sent. */
static enum MHD_Result send_built(hk_http_server *server, struct MHD_Connection *conn,
                                  unsigned status, hk_buf *body, const char *content_type,
                                  bool close)
{
    size_t len;
    char *data = body->err ? NULL : hk_buf_steal(body, &len);
    hk_buf_free(body);
    if (!data)
        return send_json(server, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                         "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}", NULL);
    atomic_fetch_add_explicit(&server->churn, len, memory_order_relaxed);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(data);
        return MHD_NO;
    }
    return queue_response(server, conn, status, response, content_type, NULL, close);
}

/* ---- requests ---- */

typedef struct route route;

typedef enum req_state {
    REQ_NEW,            /* its headers are being looked at */
    REQ_AUTHENTICATING, /* suspended: a worker looks its key up */
    REQ_AUTHENTICATED,  /* the key's verdict is in (auth) */
    REQ_READING,        /* its body is being read */
    REQ_RUNNING,        /* suspended: a worker runs it */
    REQ_ANSWERED,       /* the worker is done: st and resp hold its answer */
} req_state;

/* What hookd keeps about one request, from its headers to its completion. */
typedef struct request {
    const route *route; /* NULL: answered straight from the headers */
    const char *url;    /* the path, in libmicrohttpd's memory for the request */
    req_state state;
    /* The body, for routes that read one: exactly its declared length, held against the
     * server's body budget (`held` bytes) from its headers until it has been run. */
    char *body;
    size_t len, cap, held;
    /* A request that runs on a worker while its connection is suspended; these are set
     * before it is handed over. */
    hk_work work;
    hk_http_server *server;
    struct MHD_Connection *conn;
    const char *authorization; /* in MHD's memory for the connection, kept while suspended */
    api_auth auth;
    api_caller who;
    hk_status st;
    api_response resp;
} request;

typedef enum MHD_Result (*route_handler)(hk_http_server *server, struct MHD_Connection *conn,
                                         request *req);

/* ---- the body budget ---- */

/* Holds `n` bytes of the budget for a body; false when that would pass it. */
static bool hold_body(hk_http_server *server, request *req, size_t n)
{
    size_t used = atomic_load(&server->body_bytes);
    do {
        if (n > server->body_budget - used)
            return false;
    } while (!atomic_compare_exchange_weak(&server->body_bytes, &used, used + n));
    req->held = n;
    return true;
}

/* Frees the body and gives its bytes back to the budget. */
static void drop_body(hk_http_server *server, request *req)
{
    if (req->held) {
        atomic_fetch_sub(&server->body_bytes, req->held);
        atomic_fetch_add_explicit(&server->churn, req->held, memory_order_relaxed);
    }
    free(req->body);
    req->body = NULL;
    req->len = req->cap = req->held = 0;
}

/* ---- refusals from the head ---- */

static void count_refusal(hk_http_server *server, hk_refused_kind k)
{
    atomic_fetch_add_explicit(&server->refused[k], 1, memory_order_relaxed);
}

/*
 * Answers from the head, never reading the body. libmicrohttpd closes a connection whose
 * body it did not read; this one is closed too (its framing, or its client, is not to be
 * trusted with another request), and its unread input drained for a while so that the
 * client reads the answer rather than a reset.
 */
static enum MHD_Result refuse(hk_http_server *server, struct MHD_Connection *conn, unsigned status,
                              struct MHD_Response *response, const char *content_type)
{
    hk_http_guard_linger(server->guard, hk_http_guard_conn(conn));
    return queue_response(server, conn, status, response, content_type, NULL, true);
}

static enum MHD_Result refuse_static(hk_http_server *server, struct MHD_Connection *conn,
                                     unsigned status, const char *body, const char *content_type)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    return refuse(server, conn, status, response, content_type);
}

/* 400, 411, 501: the framing check's verdict, with its reason. */
static enum MHD_Result refuse_framing(hk_http_server *server, struct MHD_Connection *conn,
                                      const hk_http_framing *f)
{
    static const char *const codes[] = {"ok", "bad_request", "length_required", "not_implemented"};
    unsigned status = hk_http_framing_status(f->verdict);
    hk_log_debug("http: %u: %s", status, f->reason);
    count_refusal(server, HK_REFUSED_FRAMING);
    hk_buf body;
    hk_buf_init(&body, 1024);
    JSONW_LIT(&body, "{\"error\":{\"code\":");
    (void)jsonw_string(&body, codes[f->verdict]);
    JSONW_LIT(&body, ",\"message\":");
    (void)jsonw_string(&body, f->reason);
    JSONW_LIT(&body, "}}");
    hk_http_guard_linger(server->guard, hk_http_guard_conn(conn));
    return send_built(server, conn, status, &body, JSON_TYPE, true);
}

/* 401 (or 500 when the key could not be checked), GraphQL-style as api_graphql answers. */
static enum MHD_Result refuse_auth(hk_http_server *server, struct MHD_Connection *conn,
                                   request *req)
{
    api_response r;
    api_auth_answer(req->auth, req->authorization, &r);
    hk_log_debug("http: POST /graphql/v1: %d before the body", r.http_status);
    count_refusal(server, HK_REFUSED_UNAUTHENTICATED);
    if (r.internal_error)
        atomic_fetch_add_explicit(&server->internal_errors, 1, memory_order_relaxed);
    hk_http_guard_linger(server->guard, hk_http_guard_conn(conn));
    return send_built(server, conn, (unsigned)r.http_status, &r.body, GRAPHQL_JSON_TYPE, true);
}

static enum MHD_Result refuse_too_large(hk_http_server *server, struct MHD_Connection *conn,
                                        const char *path)
{
    hk_log_debug("http: POST %s: 413, body over %zu bytes", path, server->max_body_bytes);
    count_refusal(server, HK_REFUSED_TOO_LARGE);
    return refuse_static(server, conn, MHD_HTTP_CONTENT_TOO_LARGE,
                         "{\"errors\":[{\"message\":\"request body too large\","
                         "\"extensions\":{\"code\":\"PAYLOAD_TOO_LARGE\"}}]}",
                         GRAPHQL_JSON_TYPE);
}

/* The bodies held at once would pass the budget: the client may come back in a second. */
static enum MHD_Result refuse_busy(hk_http_server *server, struct MHD_Connection *conn)
{
    hk_log_debug("http: POST /graphql/v1: 503, the body budget (%zu bytes) is in use",
                 server->body_budget);
    count_refusal(server, HK_REFUSED_BUDGET);
    return refuse_static(server, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                         "{\"errors\":[{\"message\":\"too many request bodies in memory; retry "
                         "shortly\",\"extensions\":{\"code\":\"SERVICE_UNAVAILABLE\"}}]}",
                         GRAPHQL_JSON_TYPE);
}

/* ---- memory ---- */

/* On a worker: hands freed memory back to the system. glibc keeps what threads freed in
 * their arenas: after 8 requests with 100,000-item lists hookd held 220 MB for good. */
static void run_trim(hk_work *w)
{
    hk_http_server *server = (hk_http_server *)((char *)w - offsetof(hk_http_server, trim));
    atomic_store(&server->churn, 0);
    malloc_trim(0);
    atomic_store(&server->trimmed_at, hk_mono_ms());
    atomic_store(&server->trimming, false);
}

/* After a burst (TRIM_AFTER_BYTES of bodies and answers since the last trim), when the last
 * request in flight ends: what requests still running hold is theirs anyway. Under steady
 * load, where that never comes, once per TRIM_BUSY_INTERVAL_MS (a trim takes the heap's
 * locks). */
static void maybe_trim(hk_http_server *server, unsigned in_flight)
{
    if (atomic_load(&server->churn) < TRIM_AFTER_BYTES)
        return;
    if (in_flight != 0 && hk_mono_ms() - atomic_load(&server->trimmed_at) < TRIM_BUSY_INTERVAL_MS)
        return;
    if (atomic_exchange(&server->trimming, true))
        return;
    server->trim.run = run_trim;
    if (!hk_work_pool_submit(server->workers, &server->trim))
        atomic_store(&server->trimming, false); /* stopping */
}

/* ---- routes ---- */

enum {
    METHOD_GET = 1u << 0,
    METHOD_HEAD = 1u << 1,
    METHOD_POST = 1u << 2,
    METHOD_OTHER = 1u << 3,
};

struct route {
    const char *path;
    unsigned methods;  /* METHOD_* bits */
    const char *allow; /* the Allow header of a 405: the same methods, spelled out */
    bool reads_body;   /* false: answered from the head, a body sent anyway is never read */
    route_handler handle;
};

/* Suspends the connection and has a worker run `run`, which resumes it; libmicrohttpd
 * then calls on_request again for it. */
static enum MHD_Result hand_to_worker(hk_http_server *server, struct MHD_Connection *conn,
                                      request *req, void (*run)(hk_work *))
{
    req->server = server;
    req->conn = conn;
    req->work.run = run;
    hk_http_guard_enter(server->guard, hk_http_guard_conn(conn), HK_HTTP_BUSY);
    /* Suspended first: the worker may resume it before submit returns. */
    MHD_suspend_connection(conn);
    if (!hk_work_pool_submit(server->workers, &req->work))
        run(&req->work); /* stopping: no worker left, so this thread does it */
    return MHD_YES;
}

/* 503 once the store has failed (a commit's fsync failed): only a restart makes it safe to
 * write again, and an orchestrator restarts on an unhealthy check. 503 too while writes
 * fail (a full disk, EIO), with the reason, until a write commits again: a restart does
 * not fix those, but a load balancer should send writers elsewhere and an operator look. */
static enum MHD_Result handle_healthz(hk_http_server *server, struct MHD_Connection *conn,
                                      request *req)
{
    if (server->store && !hk_store_healthy(server->store, NULL))
        return send_json(server, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                         "{\"status\":\"unavailable\",\"reason\":\"store unavailable after a "
                         "failed fsync; restart hookd\"}",
                         NULL);
    hk_store_write_health h = {0};
    if (server->store)
        hk_store_get_write_health(server->store, &h);
    if (!h.failing)
        return send_json(server, conn, MHD_HTTP_OK, "{\"status\":\"ok\"}", NULL);
    char reason[128];
    snprintf(reason, sizeof reason, "store writes are failing: %s", h.reason);
    hk_buf body;
    hk_buf_init(&body, 1024);
    JSONW_LIT(&body, "{\"status\":\"degraded\",\"reason\":");
    (void)jsonw_string(&body, reason);
    hk_buf_printf(&body, ",\"failingSeconds\":%lld}", (long long)(h.failing_ms / 1000));
    return send_built(server, conn, MHD_HTTP_SERVICE_UNAVAILABLE, &body, JSON_TYPE, false);
}

static void http_counts(hk_http_server *server, hk_metrics_http *out)
{
    for (size_t i = 0; i < 6; i++)
        out->responses[i] = atomic_load_explicit(&server->responses[i], memory_order_relaxed);
    /* This request is in flight too; the scraper wants the others. */
    unsigned n = atomic_load(&server->in_flight);
    out->in_flight = n > 0 ? n - 1 : 0;
    out->internal_errors = atomic_load_explicit(&server->internal_errors, memory_order_relaxed);
    for (size_t i = 0; i < HK_REFUSED_KINDS; i++)
        out->refused[i] = atomic_load_explicit(&server->refused[i], memory_order_relaxed);
    out->body_bytes = atomic_load(&server->body_bytes);
    out->body_budget = server->body_budget;
    hk_http_guard_stats g;
    hk_http_guard_get_stats(server->guard, &g);
    out->connections = g.open;
    out->lingering = g.lingering;
    out->cut_deadline = g.cut_deadline;
    out->shed_at_limit = g.shed_at_limit;
}

/* When not even api_graphql's error body could be made (out of memory). */
static enum MHD_Result send_graphql_internal_error(hk_http_server *server,
                                                   struct MHD_Connection *conn)
{
    return send_static(server, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                       "{\"errors\":[{\"message\":\"internal server error\","
                       "\"extensions\":{\"code\":\"INTERNAL_SERVER_ERROR\"}}]}",
                       GRAPHQL_JSON_TYPE, NULL);
}

/* On a worker: the key's verdict from the store, then libmicrohttpd calls on_request again
 * for the connection (still before its body). */
static void run_auth(hk_work *w)
{
    request *req = (request *)((char *)w - offsetof(request, work));
    req->auth = api_auth_lookup(req->server->api, req->authorization, &req->who);
    req->state = REQ_AUTHENTICATED;
    MHD_resume_connection(req->conn);
}

/* On a worker: runs the request, then lets libmicrohttpd call on_request again for the
 * connection, which sends the answer. `req` belongs to the connection's thread again from
 * the resume on. */
static void run_graphql(hk_work *w)
{
    request *req = (request *)((char *)w - offsetof(request, work));
    const char *body = req->body ? req->body : "";
    memset(&req->resp, 0, sizeof req->resp);
    req->st = api_graphql_as(req->server->api, &req->who, body, req->len, &req->resp);
    /* The body is not needed any more; the response may take a while to send. */
    drop_body(req->server, req);
    req->state = REQ_ANSWERED;
    MHD_resume_connection(req->conn);
}

static enum MHD_Result send_graphql_answer(hk_http_server *server, struct MHD_Connection *conn,
                                           request *req)
{
    if (req->st != HK_OK || req->resp.internal_error)
        atomic_fetch_add_explicit(&server->internal_errors, 1, memory_order_relaxed);
    if (req->st != HK_OK) {
        hk_log_error("http: POST /graphql/v1: %s", hk_status_str(req->st));
        hk_buf_free(&req->resp.body);
        return send_graphql_internal_error(server, conn);
    }
    hk_log_debug("http: POST /graphql/v1: %d", req->resp.http_status);
    return send_built(server, conn, (unsigned)req->resp.http_status, &req->resp.body,
                      GRAPHQL_JSON_TYPE, false);
}

/*
 * POST /graphql/v1, in turns (libmicrohttpd calls it again after each resume):
 *  1. the head: the key is checked before any of the body is read. Remembered keys are
 *     checked here; others go to a worker (a store read never runs on a polling thread).
 *     Refused: 401 at once, the body never buffered. Then the declared length against the
 *     cap (413) and against the body budget (503).
 *  2. the body is read (on_request, take_body), exactly its declared length.
 *  3. the whole body is in: a worker runs it (a mutation waits for its commit) while the
 *     connection is suspended and this thread serves its others. (When it ran here, a
 *     thread that held several keep-alive clients served them one commit at a time.)
 *  4. the worker is done: the answer is api_graphql's, whatever its status.
 */
static enum MHD_Result handle_graphql(hk_http_server *server, struct MHD_Connection *conn,
                                      request *req, const hk_http_framing *f)
{
    switch (req->state) {
    case REQ_NEW:
        req->authorization = f->authorization;
        req->auth = api_auth_cached(server->api, req->authorization, &req->who);
        if (req->auth == API_AUTH_REFUSED || req->auth == API_AUTH_FAILED)
            return refuse_auth(server, conn, req);
        if (f->content_length > server->max_body_bytes)
            return refuse_too_large(server, conn, req->route->path);
        if (req->auth == API_AUTH_LOOKUP) {
            req->state = REQ_AUTHENTICATING;
            req->cap = (size_t)f->content_length; /* for the next turn */
            return hand_to_worker(server, conn, req, run_auth);
        }
        req->cap = (size_t)f->content_length;
        /* fall through */
    case REQ_AUTHENTICATED:
        if (req->auth != API_AUTH_OK)
            return refuse_auth(server, conn, req);
        if (!hold_body(server, req, req->cap + 1))
            return refuse_busy(server, conn);
        req->body = malloc(req->cap + 1);
        if (!req->body)
            return MHD_NO;
        req->state = REQ_READING;
        hk_http_guard_enter(server->guard, hk_http_guard_conn(conn), HK_HTTP_BODY);
        return MHD_YES;
    case REQ_READING:
        req->body[req->len] = '\0';
        req->state = REQ_RUNNING;
        return hand_to_worker(server, conn, req, run_graphql);
    case REQ_ANSWERED:
        return send_graphql_answer(server, conn, req);
    default:
        return MHD_YES; /* suspended: not called */
    }
}

/* On a worker: the page's store read counts up to HK_METRICS_DUE_CAP index entries (tens of
 * milliseconds behind a large backlog), which a polling thread's other clients should not
 * wait for. */
static void run_metrics(hk_work *w)
{
    request *req = (request *)((char *)w - offsetof(request, work));
    hk_http_server *server = req->server;
    hk_metrics_http http;
    http_counts(server, &http);
    hk_metrics_sources src = {server->store, server->dispatcher, server->retention, &http,
                              server->started_ms};
    hk_buf_init(&req->resp.body, METRICS_PAGE_LIMIT);
    req->st = hk_metrics_render(&src, hk_now_ms(), &req->resp.body);
    req->state = REQ_ANSWERED;
    MHD_resume_connection(req->conn);
}

static enum MHD_Result handle_metrics(hk_http_server *server, struct MHD_Connection *conn,
                                      request *req)
{
    if (req->state != REQ_ANSWERED)
        return hand_to_worker(server, conn, req, run_metrics);
    if (req->st != HK_OK) {
        hk_log_error("http: GET /metrics: the page could not be built: %s", hk_status_str(req->st));
        hk_buf_free(&req->resp.body);
        return send_json(server, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                         "{\"error\":{\"code\":\"internal\","
                         "\"message\":\"The metrics could not be built.\"}}",
                         NULL);
    }
    return send_built(server, conn, MHD_HTTP_OK, &req->resp.body, HK_METRICS_CONTENT_TYPE, false);
}

/* The dashboard's files (daemon/ui.h): static, answered on this thread. */
static enum MHD_Result handle_ui(hk_http_server *server, struct MHD_Connection *conn, request *req)
{
    hk_ui_answer a;
    hk_ui_answer_get(
        req->url, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
        &a);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(a.len, (void *)a.body, MHD_RESPMEM_PERSISTENT);
    for (size_t i = 0; response && i < a.n_headers; i++) {
        if (MHD_add_response_header(response, a.headers[i].name, a.headers[i].value) != MHD_YES) {
            MHD_destroy_response(response);
            return MHD_NO;
        }
    }
    return queue_ready(server, conn, a.status, response, false);
}

static const route routes[] = {
    {"/healthz", METHOD_GET | METHOD_HEAD, "GET, HEAD", false, handle_healthz},
    {"/metrics", METHOD_GET | METHOD_HEAD, "GET, HEAD", false, handle_metrics},
    {"/graphql/v1", METHOD_POST, "POST", true, NULL},
};

/* Every path hk_ui_owns: /ui and /ui/... */
static const route ui_route = {"/ui/", METHOD_GET | METHOD_HEAD, "GET, HEAD", false, handle_ui};

static unsigned method_bit(const char *method)
{
    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0)
        return METHOD_GET;
    if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
        return METHOD_HEAD;
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
        return METHOD_POST;
    return METHOD_OTHER;
}

static const route *find_route(const char *path)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].path, path) == 0)
            return &routes[i];
    }
    return hk_ui_owns(path) ? &ui_route : NULL;
}

/* ---- the head ---- */

typedef struct head_fields {
    hk_http_field items[MAX_HEAD_FIELDS];
    size_t n;
    bool overflow;
} head_fields;

static enum MHD_Result collect_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    head_fields *h = cls;
    if (h->n == MAX_HEAD_FIELDS) {
        h->overflow = true;
        return MHD_NO;
    }
    h->items[h->n++] = (hk_http_field){key, key_size, value ? value : "", value ? value_size : 0};
    return MHD_YES;
}

/* The framing check of the head libmicrohttpd has just parsed (http_framing.h). */
static void check_head(struct MHD_Connection *conn, const char *method, const char *version,
                       bool wants_body, hk_http_framing *out)
{
    head_fields fields;
    fields.n = 0;
    fields.overflow = false;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, collect_field, &fields);
    if (fields.overflow) {
        memset(out, 0, sizeof *out);
        out->verdict = HK_HTTP_FRAMING_BAD;
        out->reason = "too many header fields";
        return;
    }
    const union MHD_ConnectionInfo *size =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    hk_http_head h = {
        .raw = size ? method : NULL,
        .raw_len = size ? size->header_size : 0,
        .version = version,
        .fields = fields.items,
        .nfields = fields.n,
    };
    h.target = hk_http_guard_target(hk_http_guard_conn(conn), &h.target_len);
    hk_http_framing_check(&h, wants_body, out);
}

/*
 * The headers are in: everything that can be decided from them is, before any of the body
 * is read. A request that cannot be served is answered at once, its body never read, and
 * its connection closed (libmicrohttpd closes a connection answered from its head, whatever
 * the answer). /healthz and /metrics are answered in the last call, so that their
 * connection stays open, unless a body was sent with them: that is never read.
 */
static enum MHD_Result begin_request(hk_http_server *server, struct MHD_Connection *conn,
                                     const char *url, const char *method, const char *version,
                                     void **req_cls)
{
    request *req = calloc(1, sizeof *req);
    if (!req)
        return MHD_NO;
    *req_cls = req;
    atomic_fetch_add(&server->in_flight, 1);
    hk_http_guard_enter(server->guard, hk_http_guard_conn(conn), HK_HTTP_BUSY);

    const route *r = find_route(url);
    hk_http_framing f;
    check_head(conn, method, version, r && r->reads_body && method_bit(method) == METHOD_POST, &f);
    if (f.verdict != HK_HTTP_FRAMING_OK)
        return refuse_framing(server, conn, &f);
    /* A declared body that the answer below will not read: the connection closes after it. */
    bool unread_body = f.has_length && f.content_length > 0;
    if (!r) {
        /* The path is not logged: it is the client's text, newlines included. */
        hk_log_debug("http: %s: 404, no such path", method);
        struct MHD_Response *response = MHD_create_response_from_buffer(
            strlen(NOT_FOUND_BODY), (void *)NOT_FOUND_BODY, MHD_RESPMEM_PERSISTENT);
        return unread_body ? refuse(server, conn, MHD_HTTP_NOT_FOUND, response, JSON_TYPE)
                           : queue_response(server, conn, MHD_HTTP_NOT_FOUND, response, JSON_TYPE,
                                            NULL, false);
    }
    if (!(r->methods & method_bit(method))) {
        hk_log_debug("http: %s %s: 405", method, r->path);
        if (unread_body)
            hk_http_guard_linger(server->guard, hk_http_guard_conn(conn));
        struct MHD_Response *response = MHD_create_response_from_buffer(
            strlen(NOT_ALLOWED_BODY), (void *)NOT_ALLOWED_BODY, MHD_RESPMEM_PERSISTENT);
        return queue_response(server, conn, MHD_HTTP_METHOD_NOT_ALLOWED, response, JSON_TYPE,
                              r->allow, unread_body);
    }
    req->route = r;
    req->url = url;
    if (r->reads_body)
        return handle_graphql(server, conn, req, &f);
    if (!unread_body)
        return MHD_YES; /* answered in the last call: an answer queued now closes the connection */
    hk_http_guard_linger(server->guard, hk_http_guard_conn(conn));
    return r->handle(server, conn, req);
}

/* One more chunk of body. libmicrohttpd gives no more than the declared length. */
static enum MHD_Result take_body(request *req, const char *data, size_t n)
{
    if (req->state != REQ_READING)
        return MHD_YES; /* not a body this route reads: dropped */
    if (n > req->cap - req->len)
        return MHD_NO;
    memcpy(req->body + req->len, data, n);
    req->len += n;
    return MHD_YES;
}

/*
 * MHD calls this once when the headers are in (and again after each resume of a connection
 * suspended then), once per chunk of body, then once more when the request is complete
 * (*upload_data_size == 0), and again after each resume of a connection suspended then.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    hk_http_server *server = cls;
    if (!*req_cls)
        return begin_request(server, conn, url, method, version, req_cls);
    request *req = *req_cls;
    if (*upload_data_size != 0) {
        size_t n = *upload_data_size;
        /* Every byte counts as processed: kept, or dropped on purpose. */
        *upload_data_size = 0;
        return take_body(req, upload_data, n);
    }
    if (!req->route)
        return MHD_YES;
    if (req->route->reads_body)
        return handle_graphql(server, conn, req, NULL);
    return req->route->handle(server, conn, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    hk_http_server *server = cls;
    request *req = *req_cls;
    if (!req)
        return;
    drop_body(server, req);
    hk_buf_free(&req->resp.body); /* answered, but the connection closed before it was sent */
    free(req);
    *req_cls = NULL;
    unsigned left = atomic_fetch_sub(&server->in_flight, 1) - 1;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        hk_http_guard_kept(server->guard, hk_http_guard_conn(conn));
    maybe_trim(server, left);
}

/* The request line is in: the connection is in its headers now, and the target as sent is
 * kept for the framing check (libmicrohttpd decodes it in place after this). */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    hk_http_server *server = cls;
    hk_http_conn *c = hk_http_guard_conn(conn);
    hk_http_guard_set_target(c, uri, uri ? strlen(uri) : 0); /* NULL: a line with no target */
    hk_http_guard_enter(server->guard, c, HK_HTTP_HEADERS);
    return NULL;
}

/*
 * libmicrohttpd's diagnostics go to our log, gated: most are about one client each
 * (a connection reset or closed mid-request, a malformed request, a timeout), and 200
 * aborted connections logged 200 WARN lines; a client can write as many as it likes.
 * Those are logged at most once per LOG_WINDOW_MS with the count held back; the rest
 * (a failed accept, a thread that could not start) through a gate of their own.
 */
static bool about_a_client(const char *fmt)
{
    static const char *const prefixes[] = {
        "Socket has been disconnected",
        "Connection was closed by remote side",
        "Connection socket is closed",
        "Error processing request",
        "Failed to parse",
        "Too large value",
        "Received HTTP/1.1 request without",
        "Closing connection",
        "Failed to receive data",
        "Failed to send data",
        "Error: received handshake message out of context",
        "Error: Failed to perform TLS handshake",
        "Failed to perform TLS handshake",
        "Not enough memory in pool",
        "WARNING: incomplete upload",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(fmt, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/*
 * A client's failed TLS handshake, in libmicrohttpd's words (GnuTLS's, such as "received
 * handshake message out of context"), says nothing to an operator about what happened:
 * rewritten into `out` with the likely causes, the library's words kept in parentheses.
 * False for any other message.
 */
static bool describe_tls_failure(const char *line, char *out, size_t size)
{
    static const char *const prefixes[] = {
        "Error: received handshake message out of context",
        "Error: Failed to perform TLS handshake",
        "Failed to perform TLS handshake",
    };
    size_t i = 0;
    while (i < sizeof prefixes / sizeof prefixes[0] &&
           strncmp(line, prefixes[i], strlen(prefixes[i])) != 0)
        i++;
    if (i == sizeof prefixes / sizeof prefixes[0])
        return false;
    const char *detail = strncmp(line, "Error: ", 7) == 0 ? line + 7 : line;
    size_t n = strlen(detail);
    while (n > 0 && (detail[n - 1] == '.' || detail[n - 1] == ' '))
        n--;
    snprintf(out, size,
             "a client's TLS handshake failed (%.*s): usually plain HTTP sent to this HTTPS "
             "port, or a client that rejects the certificate or shares no TLS version with it",
             (int)n, detail);
    return true;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    hk_http_server *server = cls;
    char raw[512], line[768];
    vsnprintf(raw, sizeof raw, fmt, ap);
    size_t len = strlen(raw);
    while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
        raw[--len] = '\0';
    if (!describe_tls_failure(raw, line, sizeof line))
        snprintf(line, sizeof line, "%s", raw);
    bool client = about_a_client(fmt);
    unsigned held = 0;
    pthread_mutex_lock(&server->log_lock);
    bool now =
        hk_log_gate_fail(client ? &server->client_log : &server->other_log, hk_mono_ms(), &held);
    pthread_mutex_unlock(&server->log_lock);
    if (!now)
        return;
    if (held)
        hk_log_warn("http: %s [%u similar messages in the last %d s not logged]", line, held,
                    LOG_WINDOW_MS / 1000);
    else
        hk_log_warn("http: %s", line);
}

/* ---- start and stop ---- */

/* CPUs this process may run on (its affinity mask, as a container limits it), at least 1. */
static unsigned usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/*
 * Workers: a request that writes waits until its batch is on disk, and group
 * commit can only batch the requests that wait at the same time: with one
 * thread per CPU, two mutations shared each fsync (measured: 2.4k upserts/s;
 * 64 threads: 10k/s). So the pool is sized for waiting, not for computing.
 * libmicrohttpd's own threads never wait on the store: one per CPU.
 */
static unsigned default_threads(void)
{
    unsigned n = THREADS_PER_CPU * usable_cpus();
    return n > MAX_DEFAULT_THREADS ? MAX_DEFAULT_THREADS : n;
}

/*
 * Clients at once, at most: what the process's descriptor limit leaves after
 * RESERVED_FDS, and at least two per thread. libmicrohttpd keeps an idle or
 * half-closed client until its idle timeout, so without a limit a flood of
 * them takes every descriptor, and the dispatcher can no longer connect to
 * targets; past the limit new clients are turned away at accept instead.
 */
static unsigned default_max_connections(unsigned threads)
{
    struct rlimit rl;
    rlim_t fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    unsigned n = MAX_DEFAULT_CONNECTIONS;
    if (fds != RLIM_INFINITY && fds < (rlim_t)MAX_DEFAULT_CONNECTIONS + RESERVED_FDS)
        n = fds > RESERVED_FDS ? (unsigned)(fds - RESERVED_FDS) : 0;
    return n < 2 * threads ? 2 * threads : n;
}

void hk_http_server_options_init(hk_http_server_options *o)
{
    memset(o, 0, sizeof *o);
    o->listen_fd = -1;
}

static struct MHD_Daemon *start_daemon(hk_http_server *server, const hk_http_server_options *o)
{
    size_t memory = o->connection_memory ? o->connection_memory : DEFAULT_CONNECTION_MEMORY;
    unsigned idle = o->idle_timeout_s ? o->idle_timeout_s : DEFAULT_IDLE_TIMEOUT_S;
    /* ITC (an internal wake-up channel) is what MHD_quiesce_daemon needs with a thread pool,
     * and what wakes a polling thread when a worker resumes one of its connections. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    /* HTTPS: libmicrohttpd's TLS (GnuTLS) with the operator's certificate, copied at start. */
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)o->https_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->https_key},
        {MHD_OPTION_END, 0, NULL},
    };
    if (o->https_cert)
        flags |= MHD_USE_TLS;
    else
        tls[0].option = MHD_OPTION_END;
    /* The logger goes first so that start-up diagnostics reach it too. */
    /* Lingering sockets are descriptors too: libmicrohttpd gets the rest of the limit. */
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, server, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, server,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)o->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
        server->io_threads, MHD_OPTION_CONNECTION_LIMIT,
        server->max_connections - server->max_lingering, MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory,
        MHD_OPTION_CONNECTION_TIMEOUT, idle, MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
        MHD_OPTION_NOTIFY_CONNECTION, hk_http_guard_notify, server->guard,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, server, MHD_OPTION_ARRAY, tls,
        MHD_OPTION_END);
}

/* The guard's deadlines and lingering (http_guard.h); libmicrohttpd's own idle timeout stays
 * (it also ends a connection silent that long). */
static hk_status start_guard(hk_http_server *server, const hk_http_server_options *o, hk_error *err)
{
    unsigned idle = o->idle_timeout_s ? o->idle_timeout_s : DEFAULT_IDLE_TIMEOUT_S;
    hk_http_guard_options g = {
        .workers = server->io_threads,
        .max_connections = server->max_connections - server->max_lingering,
        .idle_timeout_ms = (int64_t)idle * 1000,
        .header_timeout_ms =
            o->header_timeout_ms ? o->header_timeout_ms : DEFAULT_HEADER_TIMEOUT_MS,
        .body_timeout_ms = o->body_timeout_ms ? o->body_timeout_ms : DEFAULT_BODY_TIMEOUT_MS,
        .send_timeout_ms = (int64_t)idle * 1000,
        .linger_ms = LINGER_MS,
        .max_lingering = server->max_lingering,
    };
    return hk_http_guard_start(&g, &server->guard, err);
}

static void free_server(hk_http_server *server)
{
    hk_work_pool_stop(server->workers);
    hk_http_guard_stop(server->guard);
    pthread_mutex_destroy(&server->log_lock);
    free(server);
}

hk_status hk_http_server_start(const hk_http_server_options *o, hk_http_server **out, hk_error *err)
{
    *out = NULL;
    if (!o->api || !o->https_cert != !o->https_key) {
        close(o->listen_fd); /* ours from this call, as when MHD refuses to start */
        return hk_error_set(err, HK_EINVAL, NULL,
                            o->api ? "HTTPS needs both a certificate and its key"
                                   : "the HTTP server needs the API to serve");
    }
    hk_http_server *server = calloc(1, sizeof *server);
    if (!server)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory starting the HTTP server");
    server->store = o->store;
    server->api = o->api;
    server->dispatcher = o->dispatcher;
    server->retention = o->retention;
    server->started_ms = o->started_ms ? o->started_ms : hk_now_ms();
    server->max_body_bytes = o->max_body_bytes ? o->max_body_bytes : DEFAULT_MAX_BODY_BYTES;
    server->threads = o->threads ? o->threads : default_threads();
    server->max_connections =
        o->max_connections ? o->max_connections : default_max_connections(server->threads);
    server->drain_timeout_ms = o->drain_timeout_ms ? o->drain_timeout_ms : DEFAULT_DRAIN_TIMEOUT_MS;
    server->io_threads = usable_cpus();
    server->max_lingering = server->max_connections / LINGER_DIVISOR;
    if (server->max_lingering == 0 || server->max_lingering >= server->max_connections)
        server->max_lingering = server->max_connections > 1 ? 1 : 0;
    /* At least one body of the largest size fits. */
    server->body_budget = o->body_budget ? o->body_budget : DEFAULT_BODY_BUDGET;
    if (server->body_budget < server->max_body_bytes + 1)
        server->body_budget = server->max_body_bytes + 1;
    atomic_init(&server->in_flight, 0);
    atomic_init(&server->draining, false);
    for (size_t i = 0; i < 6; i++)
        atomic_init(&server->responses[i], 0);
    atomic_init(&server->internal_errors, 0);
    atomic_init(&server->body_bytes, 0);
    for (size_t i = 0; i < HK_REFUSED_KINDS; i++)
        atomic_init(&server->refused[i], 0);
    atomic_init(&server->churn, 0);
    atomic_init(&server->trimming, false);
    atomic_init(&server->trimmed_at, hk_mono_ms());
    pthread_mutex_init(&server->log_lock, NULL);
    server->client_log.window_ms = LOG_WINDOW_MS;
    server->other_log.window_ms = LOG_WINDOW_MS;

    hk_status st = hk_work_pool_start(server->threads, "hk-http", &server->workers, err);
    if (!st)
        st = start_guard(server, o, err);
    if (st) {
        close(o->listen_fd);
        free_server(server);
        return st;
    }
    server->daemon = start_daemon(server, o);
    if (!server->daemon) {
        /* MHD has closed the listening socket it was given, as it would on stop. */
        free_server(server);
        return hk_error_set(err, HK_EIO, NULL,
                            o->https_cert ? "cannot start the HTTPS server with that certificate "
                                            "and key (see the log)"
                                          : "cannot start the HTTP server (see the log)");
    }
    *out = server;
    return HK_OK;
}

unsigned hk_http_server_threads(const hk_http_server *s)
{
    return s->threads;
}

unsigned hk_http_server_max_connections(const hk_http_server *s)
{
    return s->max_connections;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Bounded: gives up after the drain timeout, so one stuck request cannot hold the exit. */
static void wait_for_drain(hk_http_server *server)
{
    unsigned waited = 0;
    while (atomic_load(&server->in_flight) > 0 && waited < server->drain_timeout_ms) {
        sleep_ms(DRAIN_POLL_MS);
        waited += DRAIN_POLL_MS;
    }
    unsigned left = atomic_load(&server->in_flight);
    if (left > 0)
        hk_log_warn("http: %u requests still in flight after %u ms; closing them", left,
                    server->drain_timeout_ms);
}

void hk_http_server_stop(hk_http_server *s)
{
    if (!s)
        return;
    atomic_store(&s->draining, true);
    /* From here no new connection is accepted; the socket is ours again, to close only after
     * MHD_stop_daemon since a pool thread may still be looking at it. */
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    if (listen_fd == MHD_INVALID_SOCKET) {
        hk_log_warn("http: could not stop accepting before draining");
    } else {
        /* Unaccepted, the socket would still complete handshakes into its backlog and leave
         * those clients hanging; shut down, it refuses them at once (Linux) and its number
         * stays taken until the close below. */
        shutdown(listen_fd, SHUT_RDWR);
    }
    wait_for_drain(s);
    /* Runs what is queued: every suspended connection is resumed before libmicrohttpd stops
     * (from here a new request on a kept-alive connection runs on its polling thread). The
     * pool is freed only after libmicrohttpd has stopped: its callbacks may still submit,
     * and are refused. */
    hk_work_pool_drain(s->workers);
    MHD_stop_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    free_server(s);
}
