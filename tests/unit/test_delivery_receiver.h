/*
 * test_delivery_receiver.h - a tiny HTTP/1.1 webhook receiver for the dispatcher tests:
 * it listens on 127.0.0.1 (a free port), keeps connections alive, records
 * every request (head and body) and answers with scripted statuses, after an
 * optional delay. A path with "slow" in it waits delay_ms first; one with
 * "cuthead" gets half a response head and a closed connection; the scripted
 * status RECEIVER_CLOSE closes the connection after reading the request,
 * without a byte of answer. One thread per connection, all joined by
 * receiver_stop.
 */
#ifndef HOOKD_TESTS_DELIVERY_RECEIVER_H
#define HOOKD_TESTS_DELIVERY_RECEIVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECEIVER_MAX_REQUESTS 256
#define RECEIVER_MAX_CONNS 64
#define RECEIVER_HEAD_MAX 8192
#define RECEIVER_CLOSE (-1) /* a scripted "status": close without answering */

typedef struct received {
    char head[RECEIVER_HEAD_MAX]; /* request line and headers, NUL-terminated */
    char *body;                   /* malloc'd, NUL-terminated */
    size_t body_len;
    int64_t at_ms; /* CLOCK_MONOTONIC, when its body was read */
} received;

typedef struct receiver {
    int listen_fd;
    int port;
    pthread_t acceptor;
    atomic_bool stop;
    pthread_mutex_t lock;
    received requests[RECEIVER_MAX_REQUESTS];
    size_t n_requests;
    int script[64]; /* statuses to answer in turn; then default_status */
    size_t n_script, next_script;
    int default_status;
    int delay_ms; /* before answering a path containing "slow" (or any, if all_slow) */
    bool all_slow;
    int active, max_active; /* requests being answered at once */
    int active_slow, max_active_slow;
    size_t n_conns;
    int conn_fds[RECEIVER_MAX_CONNS];
    pthread_t conn_threads[RECEIVER_MAX_CONNS];
} receiver;

typedef struct receiver_conn {
    receiver *r;
    int fd;
} receiver_conn;

static inline int64_t receiver_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void receiver_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads into buf until the head ends; returns bytes read, 0 at EOF/stop. */
static inline size_t receiver_read_head(receiver *r, int fd, char *buf, size_t cap, size_t have)
{
    while (!strstr(buf, "\r\n\r\n")) {
        if (have + 1 >= cap || atomic_load(&r->stop))
            return 0;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = read(fd, buf + have, cap - 1 - have);
        if (n <= 0)
            return 0;
        have += (size_t)n;
        buf[have] = '\0';
    }
    return have;
}

static inline const char *receiver_find_header(const char *head, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            const char *end = strstr(v, "\r\n");
            *len = end ? (size_t)(end - v) : strlen(v);
            return v;
        }
    }
    return NULL;
}

/* Copies header `name` of `head` into out ("" when absent). */
static inline char *receiver_header(const char *head, const char *name, char *out, size_t size)
{
    size_t len = 0;
    const char *v = receiver_find_header(head, name, &len);
    snprintf(out, size, "%.*s", v ? (int)len : 0, v ? v : "");
    return out;
}

static inline bool receiver_read_body(receiver *r, int fd, char *buf, size_t have, size_t head_len,
                                      received *req)
{
    size_t clen_len = 0;
    const char *clen = receiver_find_header(req->head, "Content-Length", &clen_len);
    size_t want = clen ? (size_t)strtoul(clen, NULL, 10) : 0;
    req->body = malloc(want + 1);
    if (!req->body)
        return false;
    size_t got = have - head_len < want ? have - head_len : want;
    memcpy(req->body, buf + head_len, got);
    while (got < want) {
        if (atomic_load(&r->stop))
            return false;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = read(fd, req->body + got, want - got);
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    req->body[want] = '\0';
    req->body_len = want;
    /* Pipelined bytes past this request are not expected from libcurl. */
    return true;
}

static inline int receiver_next_status(receiver *r)
{
    if (r->next_script < r->n_script)
        return r->script[r->next_script++];
    return r->default_status;
}

static inline void receiver_answer(receiver *r, int fd, int status, bool slow)
{
    pthread_mutex_lock(&r->lock);
    r->active++;
    if (r->active > r->max_active)
        r->max_active = r->active;
    if (slow && ++r->active_slow > r->max_active_slow)
        r->max_active_slow = r->active_slow;
    int delay = slow ? r->delay_ms : 0;
    pthread_mutex_unlock(&r->lock);
    for (int waited = 0; waited < delay && !atomic_load(&r->stop); waited += 10)
        receiver_sleep_ms(10);
    char resp[512];
    int n = snprintf(
        resp, sizeof resp,
        "HTTP/1.1 %d Scripted\r\nContent-Type: text/plain\r\n%s"
        "Content-Length: 2\r\n\r\nok",
        status, status >= 300 && status < 400 ? "Location: http://127.0.0.1:1/elsewhere\r\n" : "");
    /* No longer active once the answer is on its way: counted after the
     * write, a client that got the answer could send its next request (on
     * another connection) before this thread counted the end, and the count
     * would see one request too many at once. */
    pthread_mutex_lock(&r->lock);
    r->active--;
    if (slow)
        r->active_slow--;
    pthread_mutex_unlock(&r->lock);
    if (!atomic_load(&r->stop) && write(fd, resp, (size_t)n) < 0)
        perror("receiver write");
}

static inline void *receiver_conn_main(void *arg)
{
    receiver_conn *c = arg;
    receiver *r = c->r;
    int fd = c->fd;
    free(c);
    static _Thread_local char buf[RECEIVER_HEAD_MAX + 65536];
    for (;;) {
        buf[0] = '\0';
        size_t have = receiver_read_head(r, fd, buf, sizeof buf, 0);
        if (have == 0)
            break;
        size_t head_len = (size_t)(strstr(buf, "\r\n\r\n") - buf) + 4;
        received req = {0};
        snprintf(req.head, sizeof req.head, "%.*s", (int)head_len, buf);
        if (!receiver_read_body(r, fd, buf, have, head_len, &req)) {
            free(req.body);
            break;
        }
        req.at_ms = receiver_now_ms();
        bool slow = r->all_slow || strstr(req.head, "slow") != NULL;
        bool cut_head = strstr(req.head, "cuthead") != NULL;
        pthread_mutex_lock(&r->lock);
        int status = receiver_next_status(r);
        if (r->n_requests < RECEIVER_MAX_REQUESTS)
            r->requests[r->n_requests++] = req;
        else
            free(req.body);
        pthread_mutex_unlock(&r->lock);
        if (status == RECEIVER_CLOSE) { /* read, and not a byte back */
            shutdown(fd, SHUT_RDWR);
            break;
        }
        if (cut_head) { /* a status line, half a header, and the connection goes */
            static const char half[] = "HTTP/1.1 200 OK\r\nContent-Type: text/pl";
            if (write(fd, half, sizeof half - 1) < 0)
                perror("receiver write");
            shutdown(fd, SHUT_RDWR);
            break;
        }
        receiver_answer(r, fd, status, slow);
    }
    return NULL;
}

static inline void *receiver_accept_main(void *arg)
{
    receiver *r = arg;
    while (!atomic_load(&r->stop)) {
        struct pollfd p = {r->listen_fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(r->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        receiver_conn *c = malloc(sizeof *c);
        pthread_mutex_lock(&r->lock);
        bool room = c && r->n_conns < RECEIVER_MAX_CONNS;
        if (room) {
            c->r = r;
            c->fd = fd;
            r->conn_fds[r->n_conns] = fd;
            if (pthread_create(&r->conn_threads[r->n_conns], NULL, receiver_conn_main, c) == 0)
                r->n_conns++;
            else
                room = false;
        }
        pthread_mutex_unlock(&r->lock);
        if (!room) {
            free(c);
            close(fd);
        }
    }
    return NULL;
}

static inline int receiver_start(receiver *r)
{
    memset(r, 0, sizeof *r);
    r->default_status = 200;
    pthread_mutex_init(&r->lock, NULL);
    r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(r->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(r->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(r->listen_fd, 64) != 0 ||
        getsockname(r->listen_fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    r->port = ntohs(a.sin_port);
    return pthread_create(&r->acceptor, NULL, receiver_accept_main, r);
}

static inline void receiver_stop(receiver *r)
{
    atomic_store(&r->stop, true);
    pthread_join(r->acceptor, NULL);
    for (size_t i = 0; i < r->n_conns; i++) {
        pthread_join(r->conn_threads[i], NULL);
        close(r->conn_fds[i]);
    }
    close(r->listen_fd);
    for (size_t i = 0; i < r->n_requests; i++)
        free(r->requests[i].body);
    pthread_mutex_destroy(&r->lock);
}

static inline size_t receiver_count(receiver *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->n_requests;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* A port nothing listens on (bound, then closed). */
static inline int receiver_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

#endif
