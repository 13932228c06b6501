/*
 * listen_http.c - the HTTP/1.1 server of `hookctl listen` (see listen_http.h).
 *
 * Each connection reads one request at a time into its buffer: the head is
 * parsed once it is complete (values are NUL-terminated in place and kept as
 * offsets, since the buffer may move when it grows), then the body is read
 * up to Content-Length, the request is handled and its reply written before
 * anything else is read. Bytes after the body are the next request
 * (pipelining) and stay in the buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/listen_http.h"
#include "core/clock.h"

#define NONE ((size_t)-1) /* the offset of a header the request did not carry */
#define READ_CHUNK ((size_t)64 << 10)
#define OUT_MAX (LH_REPLY_TEXT + 256)

/* A parsed request head. */
typedef struct head {
    size_t len; /* through the blank line */
    size_t content_length;
    bool keep_alive, expect_continue, is_post, is_head;
    size_t method, target, signature, event_id, event_type, attempt; /* offsets, or NONE */
    size_t n_headers, names[LH_MAX_HEADERS], values[LH_MAX_HEADERS]; /* every header */
    int error;                                                       /* 0, or the status */
    const char *why;
} head;

typedef struct conn {
    int fd;
    char *in;
    size_t in_len, in_cap;
    head h;
    bool have_head;
    char out[OUT_MAX];
    size_t out_len, out_off;
    bool closing; /* close once `out` is written */
    int64_t last_ms;
} conn;

struct lh_server {
    int fd;
    bool loopback;
    char url[96];
    conn *conns[LH_MAX_CONNS];
    size_t n;
};

/* ---- parsing the head ---- */

static void refuse(head *h, int status, const char *why)
{
    if (!h->error) {
        h->error = status;
        h->why = why;
    }
}

/* Content-Length: digits only, and the same value when repeated (else the framing is ambiguous,
 * the classic request-smuggling hole). */
static void set_length(head *h, const char *v, bool *seen)
{
    size_t n = 0;
    if (!*v || strspn(v, "0123456789") != strlen(v)) {
        refuse(h, 400, "malformed Content-Length");
        return;
    }
    if (strlen(v) > 12) { /* far over the limit, and the sum below must not overflow */
        refuse(h, 413, "the body is larger than 1 MiB");
        return;
    }
    for (; *v; v++)
        n = n * 10 + (size_t)(*v - '0');
    if (*seen && n != h->content_length) {
        refuse(h, 400, "conflicting Content-Length headers");
        return;
    }
    *seen = true;
    h->content_length = n;
    if (n > LH_BODY_MAX)
        refuse(h, 413, "the body is larger than 1 MiB");
}

/* Connection: a comma-separated token list. */
static void set_connection(head *h, char *v)
{
    for (char *save = NULL, *t = strtok_r(v, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        if (strcasecmp(t, "close") == 0)
            h->keep_alive = false;
        else if (strcasecmp(t, "keep-alive") == 0)
            h->keep_alive = true;
    }
}

static void header(head *h, char *base, char *name, char *value, bool *length_seen)
{
    size_t off = (size_t)(value - base);
    if (h->n_headers == LH_MAX_HEADERS) {
        refuse(h, 431, "more than 64 header lines");
        return;
    }
    h->names[h->n_headers] = (size_t)(name - base);
    h->values[h->n_headers++] = off;
    if (strcasecmp(name, "content-length") == 0)
        set_length(h, value, length_seen);
    else if (strcasecmp(name, "transfer-encoding") == 0)
        refuse(h, 501, "Transfer-Encoding is not supported: send Content-Length");
    else if (strcasecmp(name, "expect") == 0 && strcasecmp(value, "100-continue") != 0)
        refuse(h, 417, "unknown expectation");
    else if (strcasecmp(name, "expect") == 0)
        h->expect_continue = true;
    else if (strcasecmp(name, "connection") == 0)
        set_connection(h, value);
    else if (strcasecmp(name, "plain-request-signature") == 0 && h->signature != NONE)
        refuse(h, 400, "more than one Plain-Request-Signature header");
    else if (strcasecmp(name, "plain-request-signature") == 0)
        h->signature = off;
    else if (strcasecmp(name, "plain-event-id") == 0)
        h->event_id = off;
    else if (strcasecmp(name, "plain-event-type") == 0)
        h->event_type = off;
    else if (strcasecmp(name, "plain-webhook-delivery-attempt-number") == 0)
        h->attempt = off;
}

/* "NAME: VALUE" with optional whitespace around the value; none allowed before the colon. */
static void header_line(head *h, char *base, char *line, bool *length_seen)
{
    char *colon = strchr(line, ':');
    if (!colon || colon == line || strcspn(line, " \t") < (size_t)(colon - line)) {
        refuse(h, 400, "malformed header line");
        return;
    }
    *colon = '\0';
    char *value = colon + 1 + strspn(colon + 1, " \t");
    size_t n = strlen(value);
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        value[--n] = '\0';
    header(h, base, line, value, length_seen);
}

/* "METHOD TARGET HTTP/1.x". */
static void request_line(head *h, char *line)
{
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1) {
        refuse(h, 400, "malformed request line");
        return;
    }
    *sp1 = *sp2 = '\0';
    h->method = 0;
    h->target = (size_t)(sp1 + 1 - line);
    if (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0) {
        refuse(h, 400, "not an HTTP/1.x request");
        return;
    }
    h->keep_alive = strcmp(sp2 + 1, "HTTP/1.1") == 0;
    h->is_post = strcmp(line, "POST") == 0;
    h->is_head = strcmp(line, "HEAD") == 0;
}

/* Splits the head buf[0..h->len) into NUL-terminated lines and reads them. */
static void read_lines(head *h, char *buf)
{
    if (memchr(buf, '\0', h->len)) {
        refuse(h, 400, "NUL byte in the request head");
        return;
    }
    bool length_seen = false;
    char *end = buf + h->len;
    for (char *line = buf;;) {
        /* Always found: the head ends in CRLF CRLF. */
        char *crlf = memmem(line, (size_t)(end - line), "\r\n", 2);
        *crlf = '\0';
        if (crlf == line)
            break; /* the blank line */
        if (strpbrk(line, "\r\n"))
            refuse(h, 400, "a bare CR or LF in the request head");
        else if (line == buf)
            request_line(h, line);
        else if (line[0] == ' ' || line[0] == '\t')
            refuse(h, 400, "folded header lines are not supported");
        else
            header_line(h, buf, line, &length_seen);
        line = crlf + 2;
    }
}

/* Returns false while the head is incomplete (and may still fit); true once *h is filled in,
 * possibly with an error. */
static bool parse_head(char *buf, size_t len, head *h)
{
    memset(h, 0, sizeof *h);
    h->method = h->target = h->signature = h->event_id = h->event_type = h->attempt = NONE;
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end && len < LH_HEAD_MAX)
        return false;
    if (!end || (size_t)(end - buf) + 4 > LH_HEAD_MAX) {
        h->len = len;
        refuse(h, 431, "the request head is larger than 16 KiB");
        return true;
    }
    h->len = (size_t)(end - buf) + 4;
    read_lines(h, buf);
    if (!h->error && !h->is_post)
        refuse(h, 405, "only POST is accepted");
    return true;
}

/* ---- replies ---- */

static const char *reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 417:
        return "Expectation Failed";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    default:
        return "Error";
    }
}

/* Queues a complete response; the text must fit (LH_REPLY_TEXT). HEAD gets no body. */
static void queue_reply(conn *c, int status, const char *text)
{
    size_t body = strlen(text) + 1;
    int n = snprintf(c->out, sizeof c->out,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n%s%s\r\n%s%s",
                     status, reason(status), body, status == 405 ? "Allow: POST\r\n" : "",
                     c->closing ? "Connection: close\r\n" : "", c->h.is_head ? "" : text,
                     c->h.is_head ? "" : "\n");
    c->out_len = n > 0 && (size_t)n < sizeof c->out ? (size_t)n : 0;
    c->out_off = 0;
    if (c->out_len == 0)
        c->closing = true; /* cannot happen with bounded texts; never send half a reply */
}

static void queue_continue(conn *c)
{
    c->out_len = (size_t)snprintf(c->out, sizeof c->out, "HTTP/1.1 100 Continue\r\n\r\n");
    c->out_off = 0;
}

/* ---- one connection ---- */

static void conn_free(conn *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c->in);
    free(c);
}

/* Writes what is queued. Returns -1 when the connection is dead. */
static int conn_flush(conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        c->out_off += (size_t)n;
        c->last_ms = hk_mono_ms();
    }
    c->out_len = c->out_off = 0;
    return 0;
}

static const char *value_at(const conn *c, size_t off)
{
    return off == NONE ? NULL : c->in + off;
}

/* Hands the complete request to the handler, queues its reply and drops the request's bytes. */
static void dispatch(conn *c, const lh_handlers *hs)
{
    size_t total = c->h.len + c->h.content_length;
    lh_request req = {
        .method = value_at(c, c->h.method),
        .target = value_at(c, c->h.target),
        .signature = value_at(c, c->h.signature),
        .event_id = value_at(c, c->h.event_id),
        .event_type = value_at(c, c->h.event_type),
        .attempt = value_at(c, c->h.attempt),
        .body = c->in + c->h.len,
        .body_len = c->h.content_length,
        .n_headers = c->h.n_headers,
    };
    for (size_t i = 0; i < c->h.n_headers; i++) {
        req.header_names[i] = c->in + c->h.names[i];
        req.header_values[i] = c->in + c->h.values[i];
    }
    lh_reply reply = {.status = 500, .text = "no reply"};
    hs->request(hs->ctx, &req, &reply);
    c->closing = !c->h.keep_alive;
    queue_reply(c, reply.status, reply.text);
    memmove(c->in, c->in + total, c->in_len - total);
    c->in_len -= total;
    c->have_head = false;
}

/* Moves the connection on as far as the bytes read allow: parse, refuse, ask for the body,
 * dispatch. Stops whenever a reply is queued (it is written before the next request). */
static void conn_process(conn *c, const lh_handlers *hs)
{
    if (c->out_len > 0 || c->closing)
        return;
    if (!c->have_head) {
        if (!parse_head(c->in, c->in_len, &c->h))
            return;
        c->have_head = true;
        if (c->h.error) {
            /* The rest of the stream cannot be framed: answer, then hang up. */
            c->closing = true;
            if (hs->refused)
                hs->refused(hs->ctx, c->h.error, c->h.why);
            queue_reply(c, c->h.error, c->h.why);
            return;
        }
        if (c->h.expect_continue && c->in_len < c->h.len + c->h.content_length) {
            queue_continue(c);
            return;
        }
    }
    if (c->in_len >= c->h.len + c->h.content_length)
        dispatch(c, hs);
}

/* Reads what the current request still lacks. Returns -1 at end of stream or on error. */
static int conn_read(conn *c)
{
    size_t want =
        c->have_head ? c->h.len + c->h.content_length - c->in_len : LH_HEAD_MAX + 1 - c->in_len;
    if (want > READ_CHUNK)
        want = READ_CHUNK;
    if (c->in_cap < c->in_len + want) {
        size_t cap = c->in_cap ? c->in_cap : 4096;
        while (cap < c->in_len + want)
            cap *= 2;
        char *p = realloc(c->in, cap);
        if (!p)
            return -1;
        c->in = p;
        c->in_cap = cap;
    }
    ssize_t n = recv(c->fd, c->in + c->in_len, want, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;
    c->in_len += (size_t)n;
    c->last_ms = hk_mono_ms();
    return 0;
}

/* Handles poll's news for one connection. Returns -1 when it is to be closed. */
static int conn_service(conn *c, short revents, const lh_handlers *hs)
{
    if (revents & (POLLERR | POLLNVAL))
        return -1;
    if (c->out_len == 0 && (revents & (POLLIN | POLLHUP)) && conn_read(c) < 0)
        return -1;
    /* Reading, processing and writing until nothing moves, so that a pipelined request
     * already buffered is answered without another trip through poll. */
    for (;;) {
        conn_process(c, hs);
        if (c->out_len == 0)
            return c->closing ? -1 : 0;
        if (conn_flush(c) < 0)
            return -1;
        if (c->out_len > 0)
            return 0; /* the socket is full: POLLOUT will bring us back */
        if (c->closing)
            return -1;
    }
}

/* ---- the listening socket ---- */

static bool addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family != AF_INET6)
        return false;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* Binds and listens on one resolved address. Returns the socket or -1 (errno set). */
static int bind_one(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int one = 1;
    /* A restarted listener must not wait for the last one's TIME_WAIT connections. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
        return fd;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* The URL of the bound address, for the operator (the port may have been chosen by the OS). */
static void describe(lh_server *s)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0)
        ss.ss_family = AF_UNSPEC;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
    } else if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
    }
    snprintf(s->url, sizeof s->url, ss.ss_family == AF_INET6 ? "http://[%s]:%u/" : "http://%s:%u/",
             host, port);
}

static int bind_any(lh_server *s, const struct addrinfo *list, const char *host, bool allow_public,
                    char *err, size_t errlen)
{
    int last_errno = 0;
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        bool loopback = addr_is_loopback(ai->ai_addr);
        if (!loopback && !allow_public) {
            snprintf(err, errlen, "%.64s is not a loopback address: pass --host to listen on it",
                     host);
            return -1;
        }
        s->fd = bind_one(ai);
        if (s->fd >= 0) {
            s->loopback = loopback;
            return 0;
        }
        last_errno = errno;
    }
    snprintf(err, errlen, "cannot listen on %.64s: %s", host, strerror(last_errno));
    return -1;
}

lh_server *lh_server_new(const char *host, const char *port, bool allow_public, char *err,
                         size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %.64s: %s", host, gai_strerror(rc));
        return NULL;
    }
    lh_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
    } else if (bind_any(s, list, host, allow_public, err, errlen) < 0) {
        free(s);
        s = NULL;
    } else {
        describe(s);
    }
    freeaddrinfo(list);
    return s;
}

const char *lh_server_url(const lh_server *s)
{
    return s->url;
}

bool lh_server_is_loopback(const lh_server *s)
{
    return s->loopback;
}

/* ---- the loop ---- */

static void accept_all(lh_server *s)
{
    while (s->n < LH_MAX_CONNS) {
        int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a connection that died in the backlog */
        conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->last_ms = hk_mono_ms();
        s->conns[s->n++] = c;
    }
}

/* How long poll may sleep: until the first connection goes idle, at most a second. */
static int64_t wait_ms(const lh_server *s, int64_t now)
{
    int64_t wait = 1000;
    for (size_t i = 0; i < s->n; i++) {
        int64_t left = s->conns[i]->last_ms + LH_IDLE_MS - now;
        if (left < wait)
            wait = left < 0 ? 0 : left;
    }
    return wait;
}

/* Services the connections poll reported on (pfd[1..]), closes dead and idle ones. */
static void service_all(lh_server *s, const struct pollfd *pfd, size_t polled,
                        const lh_handlers *hs)
{
    int64_t now = hk_mono_ms();
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++) {
        conn *c = s->conns[i];
        short revents = i < polled ? pfd[i].revents : 0;
        bool dead = revents && conn_service(c, revents, hs) < 0;
        if (dead || now - c->last_ms > LH_IDLE_MS)
            conn_free(c);
        else
            s->conns[kept++] = c;
    }
    s->n = kept;
}

int lh_server_run(lh_server *s, const lh_handlers *h, volatile sig_atomic_t *stop,
                  const sigset_t *wait_mask, char *err, size_t errlen)
{
    struct pollfd pfd[LH_MAX_CONNS + 1];
    while (!*stop) {
        size_t polled = s->n;
        /* The listening socket is left out while full: the kernel's backlog holds the rest. */
        pfd[0] = (struct pollfd){.fd = s->n < LH_MAX_CONNS ? s->fd : -1, .events = POLLIN};
        for (size_t i = 0; i < polled; i++)
            pfd[i + 1] = (struct pollfd){.fd = s->conns[i]->fd,
                                         .events = s->conns[i]->out_len ? POLLOUT : POLLIN};
        int64_t ms = wait_ms(s, hk_mono_ms());
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
        int n = ppoll(pfd, polled + 1, &ts, wait_mask);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return -1;
        }
        service_all(s, pfd + 1, polled, h);
        if (pfd[0].revents & POLLIN)
            accept_all(s);
    }
    return 0;
}

void lh_server_free(lh_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        conn_free(s->conns[i]);
    close(s->fd);
    free(s);
}
