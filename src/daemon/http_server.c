#include "daemon/http_server.h"

#include <errno.h>
#include <microhttpd.h>
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
#include "daemon/metrics.h"
#include "json/jsonw.h"

/* Headers only: request bodies are gathered outside MHD's pool. MHD zeroes
 * this much per connection, so it is kept small. */
#define DEFAULT_CONNECTION_MEMORY (16 * 1024)
#define THREADS_PER_CPU 32
#define MAX_DEFAULT_THREADS 256
#define DEFAULT_MAX_BODY_BYTES ((size_t)1 << 20)
#define DEFAULT_IDLE_TIMEOUT_S 30
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
/* GraphQL answers say their charset: Plain's do, and clients decoding bytes should not guess. */
#define GRAPHQL_JSON_TYPE "application/json; charset=utf-8"

struct hk_http_server {
    struct MHD_Daemon *daemon;
    hk_work_pool *workers; /* run GraphQL requests, which may wait for a commit */
    hk_store *store;
    api *api;
    hk_dispatcher *dispatcher; /* borrowed, may be NULL: for /metrics */
    hk_retention *retention;   /* borrowed, may be NULL: for /metrics */
    int64_t started_ms;
    size_t max_body_bytes;
    unsigned threads;    /* workers */
    unsigned io_threads; /* libmicrohttpd's polling threads */
    unsigned max_connections;
    unsigned drain_timeout_ms;
    /* Requests whose headers arrived and whose answer is not yet sent. */
    atomic_uint in_flight;
    /* Set by stop: answers then ask keep-alive clients to go away. */
    atomic_bool draining;
    /* Responses queued, by status class (hk_metrics_http.responses). */
    _Atomic uint64_t responses[6];
    /* GraphQL answers that report the server's failure (hk_metrics_http.internal_errors). */
    _Atomic uint64_t internal_errors;
};

/* ---- responses ---- */

/* Queues `response` (NULL: it could not be made) with the common headers, then drops our
 * reference to it. */
static enum MHD_Result queue_response(hk_http_server *server, struct MHD_Connection *conn,
                                      unsigned status, struct MHD_Response *response,
                                      const char *content_type, const char *allow)
{
    if (!response)
        return MHD_NO;
    enum MHD_Result ok =
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (ok == MHD_YES)
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (ok == MHD_YES && allow)
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
    if (ok == MHD_YES && atomic_load(&server->draining))
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    if (ok == MHD_YES)
        ok = MHD_queue_response(conn, status, response);
    if (ok == MHD_YES)
        atomic_fetch_add_explicit(&server->responses[status / 100 < 6 ? status / 100 : 0], 1,
                                  memory_order_relaxed);
    MHD_destroy_response(response);
    return ok;
}

/* A static body: MHD may send it without copying. */
static enum MHD_Result send_static(hk_http_server *server, struct MHD_Connection *conn,
                                   unsigned status, const char *body, const char *content_type,
                                   const char *allow)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    return queue_response(server, conn, status, response, content_type, allow);
}

static enum MHD_Result send_json(hk_http_server *server, struct MHD_Connection *conn,
                                 unsigned status, const char *body, const char *allow)
{
    return send_static(server, conn, status, body, JSON_TYPE, allow);
}

/* ---- requests ---- */

typedef struct route route;

/* What hookd keeps about one request, from its headers to its completion. */
typedef struct request {
    const route *route; /* NULL: answered with an error straight from the headers */
    hk_buf body;        /* the body so far, for routes that read one (capped) */
    bool too_large;     /* the body went over the cap: dropped, answered 413 at its end */
    size_t seen;        /* once too_large: the body bytes received, dropped ones included */
    /* A GraphQL request runs on a worker while its connection is suspended
     * (handle_graphql); these are set before it is handed over. */
    hk_work work;
    hk_http_server *server;
    struct MHD_Connection *conn;
    const char *authorization; /* in MHD's memory for the connection, kept while suspended */
    bool answered;             /* the worker is done: st and resp hold its answer */
    hk_status st;
    api_response resp;
} request;

typedef enum MHD_Result (*route_handler)(hk_http_server *server, struct MHD_Connection *conn,
                                         request *req);

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
    bool reads_body;   /* false: a body sent anyway is dropped unread */
    route_handler handle;
};

/* A body built for this answer: MHD frees it once sent. NULL data (out of memory): 500. */
static enum MHD_Result send_built(hk_http_server *server, struct MHD_Connection *conn,
                                  unsigned status, hk_buf *body, const char *content_type)
{
    size_t len;
    char *data = body->err ? NULL : hk_buf_steal(body, &len);
    hk_buf_free(body);
    if (!data)
        return send_json(server, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                         "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}", NULL);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(data);
        return MHD_NO;
    }
    return queue_response(server, conn, status, response, content_type, NULL);
}

/*
 * 503 once the store has failed (a commit's fsync failed): only a restart makes it safe to
 * write again, and an orchestrator restarts on an unhealthy check. 503 too while writes
 * fail (a full disk, EIO), with the reason, until a write commits again: a restart does
 * not fix those, but a load balancer should send writers elsewhere and an operator look.
 */
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
    return send_built(server, conn, MHD_HTTP_SERVICE_UNAVAILABLE, &body, JSON_TYPE);
}

static void http_counts(hk_http_server *server, hk_metrics_http *out)
{
    for (size_t i = 0; i < 6; i++)
        out->responses[i] = atomic_load_explicit(&server->responses[i], memory_order_relaxed);
    /* This request is in flight too; the scraper wants the others. */
    unsigned n = atomic_load(&server->in_flight);
    out->in_flight = n > 0 ? n - 1 : 0;
    out->internal_errors = atomic_load_explicit(&server->internal_errors, memory_order_relaxed);
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

/* Hands api_graphql's JSON to MHD without a copy: MHD frees it once sent. */
static enum MHD_Result send_api_response(hk_http_server *server, struct MHD_Connection *conn,
                                         api_response *resp)
{
    size_t len;
    char *data = hk_buf_steal(&resp->body, &len);
    if (!data)
        return send_graphql_internal_error(server, conn);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(data);
        return MHD_NO;
    }
    return queue_response(server, conn, (unsigned)resp->http_status, response, GRAPHQL_JSON_TYPE,
                          NULL);
}

/* On a worker: runs the request, then lets libmicrohttpd call on_request
 * again for the connection, which sends the answer. `req` belongs to the
 * connection's thread again from the resume on. */
static void run_graphql(hk_work *w)
{
    request *req = (request *)((char *)w - offsetof(request, work));
    const char *body = req->body.data ? req->body.data : "";
    memset(&req->resp, 0, sizeof req->resp);
    req->st = api_graphql(req->server->api, req->authorization, body, req->body.len, &req->resp);
    /* The body is not needed any more; the response may take a while to send. */
    hk_buf_free(&req->body);
    req->answered = true;
    MHD_resume_connection(req->conn);
}

static enum MHD_Result send_graphql_answer(hk_http_server *server, struct MHD_Connection *conn,
                                           request *req)
{
    enum MHD_Result ok;
    if (req->st != HK_OK || req->resp.internal_error)
        atomic_fetch_add_explicit(&server->internal_errors, 1, memory_order_relaxed);
    if (req->st == HK_OK) {
        hk_log_debug("http: POST /graphql/v1: %d", req->resp.http_status);
        ok = send_api_response(server, conn, &req->resp);
    } else {
        hk_log_error("http: POST /graphql/v1: %s", hk_status_str(req->st));
        ok = send_graphql_internal_error(server, conn);
    }
    hk_buf_free(&req->resp.body);
    return ok;
}

/* Suspends the connection and has a worker run `run`, which resumes it; libmicrohttpd
 * then calls the route's handler again, with req->answered set. */
static enum MHD_Result hand_to_worker(hk_http_server *server, struct MHD_Connection *conn,
                                      request *req, void (*run)(hk_work *))
{
    req->server = server;
    req->conn = conn;
    req->work.run = run;
    /* Suspended first: the worker may resume it before submit returns. */
    MHD_suspend_connection(conn);
    if (!hk_work_pool_submit(server->workers, &req->work))
        run(&req->work); /* stopping: no worker left, so this thread does it */
    return MHD_YES;
}

/*
 * The whole body is in. The answer is api_graphql's, whatever its status.
 * A mutation waits for its commit, so it does not run here: the connection
 * is suspended and the request goes to a worker, and this thread serves its
 * other connections meanwhile. (When it ran here, a thread that held several
 * keep-alive clients served them one commit at a time; libmicrohttpd hands
 * new connections to whichever thread accepts first, and 64 clients were
 * seen on 2 of 64 threads.) libmicrohttpd calls this again after the resume.
 */
static enum MHD_Result handle_graphql(hk_http_server *server, struct MHD_Connection *conn,
                                      request *req)
{
    if (req->answered)
        return send_graphql_answer(server, conn, req);
    req->authorization =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return hand_to_worker(server, conn, req, run_graphql);
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
    req->answered = true;
    MHD_resume_connection(req->conn);
}

static enum MHD_Result handle_metrics(hk_http_server *server, struct MHD_Connection *conn,
                                      request *req)
{
    if (!req->answered)
        return hand_to_worker(server, conn, req, run_metrics);
    size_t len = 0;
    char *data = req->st == HK_OK ? hk_buf_steal(&req->resp.body, &len) : NULL;
    hk_buf_free(&req->resp.body);
    if (!data) {
        hk_log_error("http: GET /metrics: the page could not be built: %s",
                     hk_status_str(req->st ? req->st : HK_ENOMEM));
        return send_json(server, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                         "{\"error\":{\"code\":\"internal\","
                         "\"message\":\"The metrics could not be built.\"}}",
                         NULL);
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(data);
        return MHD_NO;
    }
    return queue_response(server, conn, MHD_HTTP_OK, response, HK_METRICS_CONTENT_TYPE, NULL);
}

static const route routes[] = {
    {"/healthz", METHOD_GET | METHOD_HEAD, "GET, HEAD", false, handle_healthz},
    {"/metrics", METHOD_GET | METHOD_HEAD, "GET, HEAD", false, handle_metrics},
    {"/graphql/v1", METHOD_POST, "POST", true, handle_graphql},
};

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
    return NULL;
}

static enum MHD_Result send_not_found(hk_http_server *server, struct MHD_Connection *conn)
{
    return send_json(server, conn, MHD_HTTP_NOT_FOUND,
                     "{\"error\":{\"code\":\"not_found\",\"message\":\"No such endpoint.\"}}",
                     NULL);
}

static enum MHD_Result send_method_not_allowed(hk_http_server *server, struct MHD_Connection *conn,
                                               const route *r)
{
    return send_json(server, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                     "{\"error\":{\"code\":\"method_not_allowed\","
                     "\"message\":\"Method not allowed.\"}}",
                     r->allow);
}

static enum MHD_Result send_too_large(hk_http_server *server, struct MHD_Connection *conn,
                                      const char *path)
{
    hk_log_debug("http: POST %s: 413, body over %zu bytes", path, server->max_body_bytes);
    return send_static(server, conn, MHD_HTTP_CONTENT_TOO_LARGE,
                       "{\"errors\":[{\"message\":\"request body too large\","
                       "\"extensions\":{\"code\":\"PAYLOAD_TOO_LARGE\"}}]}",
                       GRAPHQL_JSON_TYPE, NULL);
}

/* A declared length over the cap is refused before any of the body is read. MHD has already
 * rejected a malformed Content-Length; a missing one (chunked) is checked as the body comes. */
static bool declared_too_large(hk_http_server *server, struct MHD_Connection *conn)
{
    const char *length =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!length)
        return false;
    errno = 0;
    unsigned long long n = strtoull(length, NULL, 10);
    return errno == ERANGE || n > server->max_body_bytes;
}

/*
 * One more chunk of body: kept while the total stays within the cap. Past it
 * (a chunked body, whose length was not declared), libmicrohttpd cannot
 * answer before the body ends, so the rest is read and dropped, and answered
 * 413 then; past twice the cap hookd stops reading and cuts the connection.
 */
static enum MHD_Result take_body(hk_http_server *server, request *req, const char *data, size_t n)
{
    size_t cap = server->max_body_bytes;
    if (!req->route || !req->route->reads_body)
        return MHD_YES;
    if (!req->too_large && n <= cap - req->body.len) {
        /* Within the cap, only a failed allocation can stop the append: drop the connection. */
        return hk_buf_append(&req->body, data, n) == HK_OK ? MHD_YES : MHD_NO;
    }
    if (!req->too_large) {
        req->too_large = true;
        req->seen = req->body.len;
        hk_buf_free(&req->body);
    }
    req->seen += n;
    return req->seen - cap <= cap ? MHD_YES : MHD_NO;
}

/*
 * The headers are in. A request no route takes is answered at once: its body,
 * if any, is never read, and MHD closes the connection after the answer.
 * Others wait for the whole request, so that the connection can be kept alive.
 */
static enum MHD_Result begin_request(hk_http_server *server, struct MHD_Connection *conn,
                                     const char *url, const char *method, void **req_cls)
{
    request *req = calloc(1, sizeof *req);
    if (!req)
        return MHD_NO;
    hk_buf_init(&req->body, server->max_body_bytes);
    *req_cls = req;
    atomic_fetch_add(&server->in_flight, 1);

    const route *r = find_route(url);
    if (!r) {
        /* The path is not logged: it is the client's text, newlines included. */
        hk_log_debug("http: %s: 404, no such path", method);
        return send_not_found(server, conn);
    }
    if (!(r->methods & method_bit(method))) {
        hk_log_debug("http: %s %s: 405", method, r->path);
        return send_method_not_allowed(server, conn, r);
    }
    if (r->reads_body && declared_too_large(server, conn)) {
        /* Answered now, MHD reads none of the body and closes the connection after. */
        return send_too_large(server, conn, r->path);
    }
    req->route = r;
    return MHD_YES;
}

/*
 * MHD calls this once when the headers are in, then once per chunk of body,
 * then once more when the request is complete (*upload_data_size == 0).
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    hk_http_server *server = cls;
    if (!*req_cls)
        return begin_request(server, conn, url, method, req_cls);
    request *req = *req_cls;
    if (*upload_data_size != 0) {
        size_t n = *upload_data_size;
        /* Every byte counts as processed: kept, or dropped on purpose. */
        *upload_data_size = 0;
        return take_body(server, req, upload_data, n);
    }
    if (!req->route)
        return MHD_YES;
    if (req->too_large)
        return send_too_large(server, conn, req->route->path);
    return req->route->handle(server, conn, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    hk_http_server *server = cls;
    request *req = *req_cls;
    if (!req)
        return;
    hk_buf_free(&req->body);
    hk_buf_free(&req->resp.body); /* answered, but the connection closed before it was sent */
    free(req);
    *req_cls = NULL;
    atomic_fetch_sub(&server->in_flight, 1);
}

/* MHD's diagnostics (a failed accept, a thread it could not start) go to our log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
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
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, server, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, server,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)o->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
        server->io_threads, MHD_OPTION_CONNECTION_LIMIT, server->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_CONNECTION_TIMEOUT, idle,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, server, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
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
    atomic_init(&server->in_flight, 0);
    atomic_init(&server->draining, false);
    for (size_t i = 0; i < 6; i++)
        atomic_init(&server->responses[i], 0);
    atomic_init(&server->internal_errors, 0);

    hk_status st = hk_work_pool_start(server->threads, "hk-http", &server->workers, err);
    if (st) {
        close(o->listen_fd);
        free(server);
        return st;
    }
    server->daemon = start_daemon(server, o);
    if (!server->daemon) {
        /* MHD has closed the listening socket it was given, as it would on stop. */
        hk_work_pool_stop(server->workers);
        free(server);
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
     * (from here a new request on a kept-alive connection runs on its polling thread). */
    hk_work_pool_stop(s->workers);
    MHD_stop_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    free(s);
}
