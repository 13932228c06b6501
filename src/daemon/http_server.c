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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define DEFAULT_CONNECTION_MEMORY (64 * 1024)
#define DEFAULT_IDLE_TIMEOUT_S 30
#define DEFAULT_DRAIN_TIMEOUT_MS 10000
#define DRAIN_POLL_MS 10

struct hk_http_server {
    struct MHD_Daemon *daemon;
    hk_store *store;
    unsigned threads;
    unsigned drain_timeout_ms;
    /* Requests whose headers arrived and whose answer is not yet sent. */
    atomic_uint in_flight;
    /* Set by stop: answers then ask keep-alive clients to go away. */
    atomic_bool draining;
};

/* ---- routes ---- */

enum {
    METHOD_GET = 1u << 0,
    METHOD_HEAD = 1u << 1,
    METHOD_POST = 1u << 2,
    METHOD_OTHER = 1u << 3,
};

typedef enum MHD_Result (*route_handler)(hk_http_server *server, struct MHD_Connection *conn);

typedef struct route {
    const char *path;
    unsigned methods;  /* METHOD_* bits */
    const char *allow; /* the Allow header of a 405: the same methods, spelled out */
    route_handler handle;
} route;

static enum MHD_Result send_json(hk_http_server *server, struct MHD_Connection *conn,
                                 unsigned status, const char *body, const char *allow)
{
    /* The bodies are static strings: MHD may send them without copying. */
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    enum MHD_Result ok =
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (ok == MHD_YES)
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (ok == MHD_YES && allow)
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
    if (ok == MHD_YES && atomic_load(&server->draining))
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    if (ok == MHD_YES)
        ok = MHD_queue_response(conn, status, response);
    MHD_destroy_response(response);
    return ok;
}

static enum MHD_Result handle_healthz(hk_http_server *server, struct MHD_Connection *conn)
{
    return send_json(server, conn, MHD_HTTP_OK, "{\"status\":\"ok\"}", NULL);
}

static const route routes[] = {
    {"/healthz", METHOD_GET | METHOD_HEAD, "GET, HEAD", handle_healthz},
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

/* ---- libmicrohttpd callbacks ---- */

/* What hookd keeps about one request, from its headers to its completion. */
typedef struct request {
    const route *route; /* NULL: answered with an error straight from the headers */
} request;

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
    const request *req = *req_cls;
    if (*upload_data_size != 0 || !req->route) {
        /* No route reads a body yet: drop it. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return req->route->handle(server, conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    hk_http_server *server = cls;
    if (!*req_cls)
        return;
    free(*req_cls);
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

void hk_http_server_options_init(hk_http_server_options *o)
{
    memset(o, 0, sizeof *o);
    o->listen_fd = -1;
}

static struct MHD_Daemon *start_daemon(hk_http_server *server, const hk_http_server_options *o)
{
    size_t memory = o->connection_memory ? o->connection_memory : DEFAULT_CONNECTION_MEMORY;
    unsigned idle = o->idle_timeout_s ? o->idle_timeout_s : DEFAULT_IDLE_TIMEOUT_S;
    /* ITC (an internal wake-up channel) is what MHD_quiesce_daemon needs with a thread pool. */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    /* The logger goes first so that start-up diagnostics reach it too. */
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, server, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, server,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)o->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
        server->threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_CONNECTION_TIMEOUT,
        idle, MHD_OPTION_NOTIFY_COMPLETED, on_completed, server, MHD_OPTION_END);
}

hk_status hk_http_server_start(const hk_http_server_options *o, hk_http_server **out, hk_error *err)
{
    *out = NULL;
    hk_http_server *server = calloc(1, sizeof *server);
    if (!server)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory starting the HTTP server");
    server->store = o->store;
    server->threads = o->threads ? o->threads : usable_cpus();
    server->drain_timeout_ms = o->drain_timeout_ms ? o->drain_timeout_ms : DEFAULT_DRAIN_TIMEOUT_MS;
    atomic_init(&server->in_flight, 0);
    atomic_init(&server->draining, false);

    server->daemon = start_daemon(server, o);
    if (!server->daemon) {
        /* MHD has closed the listening socket it was given, as it would on stop. */
        free(server);
        return hk_error_set(err, HK_EIO, NULL, "cannot start the HTTP server (see the log)");
    }
    *out = server;
    return HK_OK;
}

unsigned hk_http_server_threads(const hk_http_server *s)
{
    return s->threads;
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
    MHD_stop_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    free(s);
}
