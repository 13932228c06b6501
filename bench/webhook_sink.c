/*
 * webhook_sink.c - a fast loopback webhook receiver for the delivery benchmark
 * (issue 4, bench/delivery_bench.sh).
 *
 * One thread, one epoll loop, HTTP/1.1 keep-alive (pipelining tolerated),
 * Content-Length bodies only. Every POST to any path other than /reset is
 * answered "200 OK" with an empty body, and is taken for a webhook: its
 * body's top-level "id" (the event) and "timestamp" (when the event was
 * created, committed with it a few ms later at most) are found with a small
 * scan, the id goes into a hash set (distinct events, duplicates), and
 * arrival - timestamp goes into a log-linear latency histogram.
 *
 *   GET  /stats        the counters as one JSON object
 *   POST /reset        zero them (the sample is kept)
 *   GET  /sample       the body of the first webhook received (for a wrk run
 *                      with the same body), 404 until there is one
 *   GET  /sample-head  its header lines, without the request line, Host and
 *                      Content-Length
 *
 *   webhook_sink [--listen 127.0.0.1:PORT] [--max-events N] [--lifetime S]
 *
 * Loopback addresses only; port 0 (the default) lets the kernel pick, and
 * the chosen one is printed: "webhook_sink: listening on http://127.0.0.1:P".
 * Memory is bounded: --max-events ids are tracked at most (events past that
 * are counted as "untracked"), connections and request sizes are capped,
 * and the process exits by itself after --lifetime seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

#include "histogram.h"

#define MAX_CONNECTIONS 1000
#define MAX_HEAD_BYTES ((size_t)64 << 10)
#define MAX_BODY_BYTES ((size_t)1 << 20)
#define MAX_OUT_BYTES ((size_t)1 << 20) /* a client that never reads is cut off */
#define MAX_SAMPLE_BYTES ((size_t)64 << 10)
#define DEFAULT_MAX_EVENTS ((size_t)4 << 20)
#define MAX_MAX_EVENTS ((size_t)64 << 20)
#define DEFAULT_LIFETIME_S 3600
#define IN_CHUNK 16384

/* ---- the set of event ids seen ---- */

/* Open addressing on 64-bit hashes of the ids, at most half full. Two ids with the same
 * hash would pass for a duplicate: at 4M ids the odds are under one in a million, and
 * keeping hashes instead of the ids keeps 4M events in 64 MiB. 0 marks an empty slot. */
typedef struct idset {
    uint64_t *slots;
    size_t mask, n, cap;
} idset;

static int idset_init(idset *s, size_t cap)
{
    size_t size = 2;
    while (size < 2 * cap)
        size *= 2;
    s->slots = calloc(size, sizeof *s->slots); /* untouched pages cost nothing until used */
    s->mask = size - 1;
    s->n = 0;
    s->cap = cap;
    return s->slots ? 0 : -1;
}

static void idset_clear(idset *s)
{
    if (s->n)
        memset(s->slots, 0, (s->mask + 1) * sizeof *s->slots);
    s->n = 0;
}

/* FNV-1a, then a 64-bit finalizer (murmur3's) so that the low bits are well mixed. */
static uint64_t id_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h ? h : 1;
}

typedef enum seen { SEEN_NEW, SEEN_AGAIN, SEEN_FULL } seen;

static seen idset_add(idset *s, const char *id, size_t n)
{
    uint64_t h = id_hash(id, n);
    for (size_t i = (size_t)h & s->mask;; i = (i + 1) & s->mask) {
        if (s->slots[i] == h)
            return SEEN_AGAIN;
        if (s->slots[i] == 0) {
            if (s->n == s->cap)
                return SEEN_FULL;
            s->slots[i] = h;
            s->n++;
            return SEEN_NEW;
        }
    }
}

/* ---- what was received ---- */

typedef struct counters {
    uint64_t received;         /* webhook POSTs answered */
    uint64_t distinct;         /* event ids seen for the first time */
    uint64_t duplicates;       /* event ids seen before */
    uint64_t untracked;        /* new ids past --max-events: neither distinct nor duplicate */
    uint64_t unparsed;         /* webhook bodies without a top-level "id" and "timestamp" */
    uint64_t early;            /* arrivals stamped before their event's timestamp (clock trouble) */
    uint64_t bad;              /* requests answered 4xx/5xx: malformed, too large, chunked */
    int64_t first_us, last_us; /* wall clock of the first and last webhook arrival */
    hist lat;                  /* arrival - event timestamp, us */
} counters;

typedef struct sink {
    int ep, listener;
    idset ids;
    counters c;
    char *sample_body, *sample_head;
    size_t sample_body_len, sample_head_len;
    size_t connections;
} sink;

typedef struct conn {
    int fd;
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_off, out_cap;
    bool want_out, closing, continued;
} conn;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the body scan ---- */

typedef struct span {
    const char *p;
    size_t n;
} span;

/* The end of the string whose opening quote is at b[i]: the index of its closing quote. */
static size_t string_end(const char *b, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (b[i] == '\\')
            i++;
        else if (b[i] == '"')
            return i;
    }
    return n;
}

static size_t skip_space(const char *b, size_t n, size_t i)
{
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i;
}

static bool span_is(span s, const char *text)
{
    size_t len = strlen(text);
    return s.n == len && memcmp(s.p, text, len) == 0;
}

/* The string values of the top-level "timestamp" and "id". Not a JSON parser: it tracks
 * nesting and strings, which is enough to tell the event's "id" from the customer's one
 * inside "payload" in the bodies hookd writes. True when both were found. */
static bool scan_event(const char *b, size_t n, span *ts, span *id)
{
    int depth = 0;
    span key = {NULL, 0};
    bool value_next = false; /* at depth 1, just after "key": */
    ts->p = id->p = NULL;
    for (size_t i = 0; i < n && !(ts->p && id->p); i++) {
        char ch = b[i];
        if (ch == '"') {
            size_t end = string_end(b, n, i);
            if (end == n)
                return false;
            span s = {b + i + 1, end - i - 1};
            if (depth == 1 && value_next) {
                if (span_is(key, "timestamp"))
                    *ts = s;
                else if (span_is(key, "id"))
                    *id = s;
                value_next = false;
            } else if (depth == 1) {
                size_t after = skip_space(b, n, end + 1);
                if (after < n && b[after] == ':') {
                    key = s;
                    value_next = true;
                    end = after;
                }
            }
            i = end;
        } else if (ch == '{' || ch == '[') {
            depth++;
            value_next = false;
        } else if (ch == '}' || ch == ']') {
            depth--;
        } else if (ch == ',' && depth == 1) {
            value_next = false;
        }
    }
    return ts->p && id->p;
}

/* ---- counting a webhook ---- */

static void keep_sample(sink *s, const char *head, size_t head_len, const char *body,
                        size_t body_len)
{
    if (s->sample_body || body_len > MAX_SAMPLE_BYTES || head_len > MAX_SAMPLE_BYTES)
        return;
    s->sample_body = malloc(body_len + 1);
    s->sample_head = malloc(head_len + 1);
    if (!s->sample_body || !s->sample_head) {
        free(s->sample_body);
        free(s->sample_head);
        s->sample_body = s->sample_head = NULL;
        return;
    }
    memcpy(s->sample_body, body, body_len);
    memcpy(s->sample_head, head, head_len);
    s->sample_body_len = body_len;
    s->sample_head_len = head_len;
}

static void record_latency(sink *s, const span *ts, int64_t arrival_us)
{
    int64_t created_ms;
    if (hk_time_parse(ts->p, ts->n, &created_ms) != HK_OK) {
        s->c.unparsed++;
        return;
    }
    int64_t lat = arrival_us - created_ms * 1000;
    if (lat < 0) {
        s->c.early++;
        lat = 0;
    }
    hist_record(&s->c.lat, (uint64_t)lat);
}

static void take_webhook(sink *s, const char *head, size_t head_len, const char *body,
                         size_t body_len)
{
    int64_t arrival = now_us();
    counters *c = &s->c;
    c->received++;
    if (c->first_us == 0)
        c->first_us = arrival;
    c->last_us = arrival;
    span ts, id;
    if (!scan_event(body, body_len, &ts, &id)) {
        c->unparsed++;
        return;
    }
    keep_sample(s, head, head_len, body, body_len);
    switch (idset_add(&s->ids, id.p, id.n)) {
    case SEEN_AGAIN:
        c->duplicates++;
        return; /* a redelivery's latency is not the event's */
    case SEEN_FULL:
        c->untracked++;
        break;
    case SEEN_NEW:
        c->distinct++;
        break;
    }
    record_latency(s, &ts, arrival);
}

static void reset(sink *s)
{
    idset_clear(&s->ids);
    memset(&s->c, 0, sizeof s->c);
}

/* ---- output ---- */

static bool out_append(conn *c, const char *p, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        if (cap > MAX_OUT_BYTES)
            return false;
        char *q = realloc(c->out, cap);
        if (!q)
            return false;
        c->out = q;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return true;
}

static bool respond(conn *c, const char *status, const char *type, const char *body, size_t n)
{
    char head[256];
    int len = snprintf(head, sizeof head, "HTTP/1.1 %s\r\n%s%s%sContent-Length: %zu\r\n%s\r\n",
                       status, type ? "Content-Type: " : "", type ? type : "", type ? "\r\n" : "",
                       n, c->closing ? "Connection: close\r\n" : "");
    return out_append(c, head, (size_t)len) && out_append(c, body, n);
}

static bool respond_stats(const sink *s, conn *c)
{
    const counters *k = &s->c;
    const hist *h = &k->lat;
    double span_s = (double)(k->last_us - k->first_us) / 1e6;
    double rate = span_s > 0 ? (double)k->distinct / span_s : 0;
    char body[1024];
    int n = snprintf(
        body, sizeof body,
        "{\"received\":%llu,\"distinct\":%llu,\"duplicates\":%llu,\"untracked\":%llu,"
        "\"unparsed\":%llu,\"early\":%llu,\"bad_requests\":%llu,\"p50_us\":%llu,"
        "\"p90_us\":%llu,\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu,\"mean_us\":%.0f,"
        "\"first_arrival_us\":%lld,\"last_arrival_us\":%lld,\"rate_per_s\":%.1f,"
        "\"connections\":%zu}\n",
        (unsigned long long)k->received, (unsigned long long)k->distinct,
        (unsigned long long)k->duplicates, (unsigned long long)k->untracked,
        (unsigned long long)k->unparsed, (unsigned long long)k->early, (unsigned long long)k->bad,
        (unsigned long long)hist_percentile(h, 50), (unsigned long long)hist_percentile(h, 90),
        (unsigned long long)hist_percentile(h, 99), (unsigned long long)hist_percentile(h, 99.9),
        (unsigned long long)h->max, h->n ? (double)h->sum / (double)h->n : 0.0,
        (long long)k->first_us, (long long)k->last_us, rate, s->connections);
    return respond(c, "200 OK", "application/json", body, (size_t)n);
}

/* ---- requests ---- */

typedef struct request {
    span method, path;
    const char *head; /* the header lines, after the request line */
    size_t head_len;  /* up to and including the last header's CRLF */
    size_t total;     /* request line, headers, blank line and body */
    size_t body_len;
    bool close, expect_continue;
} request;

static bool header_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

static bool value_has(const char *line, size_t len, const char *token)
{
    size_t n = strlen(token);
    for (size_t i = 0; i + n <= len; i++) {
        if (strncasecmp(line + i, token, n) == 0)
            return true;
    }
    return false;
}

/* One header line; false when the request cannot be served (chunked, bad length). */
static bool take_header(request *r, const char *line, size_t len, long long *content_length)
{
    if (header_is(line, len, "Content-Length")) {
        const char *v = line + 15, *eol = line + len;
        char *end;
        long long n = strtoll(v, &end, 10); /* stops at the CR at the latest */
        while (end < eol && (*end == ' ' || *end == '\t'))
            end++;
        if (end == v || end != eol || n < 0 || (*content_length >= 0 && n != *content_length))
            return false;
        *content_length = n;
    } else if (header_is(line, len, "Transfer-Encoding")) {
        return false; /* hookd and wrk send Content-Length: chunked is not needed here */
    } else if (header_is(line, len, "Connection")) {
        r->close = value_has(line, len, "close");
    } else if (header_is(line, len, "Expect")) {
        r->expect_continue = value_has(line, len, "100-continue");
    }
    return true;
}

static bool parse_request_line(request *r, const char *p, const char *eol)
{
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || eol - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return false;
    r->method = (span){p, (size_t)(sp1 - p)};
    r->path = (span){sp1 + 1, (size_t)(sp2 - sp1 - 1)};
    r->close = sp2[8] == '0'; /* HTTP/1.0 closes unless it says keep-alive: close it */
    return true;
}

/* 1: a whole head is parsed into r, 0: more bytes needed, -1: not a request we serve. */
static int parse_head(const char *p, size_t len, request *r)
{
    const char *end = memmem(p, len, "\r\n\r\n", 4);
    if (!end)
        return len > MAX_HEAD_BYTES ? -1 : 0;
    memset(r, 0, sizeof *r);
    const char *eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
    if (!parse_request_line(r, p, eol))
        return -1;
    long long content_length = -1;
    r->head = eol + 2;
    r->head_len = (size_t)(end + 2 - r->head);
    for (const char *line = r->head; line < end + 2;) {
        const char *next = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
        if (!take_header(r, line, (size_t)(next - line), &content_length))
            return -1;
        line = next + 2;
    }
    if (content_length > (long long)MAX_BODY_BYTES)
        return -1;
    r->body_len = content_length < 0 ? 0 : (size_t)content_length;
    r->total = (size_t)(end + 4 - p) + r->body_len;
    return 1;
}

/* The header lines of the sample minus those a client sets itself (wrk adds Host and
 * Content-Length): what a wrk script needs to send the same request. */
static bool respond_sample_head(const sink *s, conn *c)
{
    char *out = malloc(s->sample_head_len + 1);
    if (!out)
        return false;
    size_t n = 0;
    const char *p = s->sample_head, *end = p + s->sample_head_len;
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        size_t len = eol ? (size_t)(eol - p) + 2 : (size_t)(end - p);
        if (!header_is(p, len, "Host") && !header_is(p, len, "Content-Length")) {
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    bool ok = respond(c, "200 OK", "text/plain", out, n);
    free(out);
    return ok;
}

/* Answers one request; false when the connection must go (out of memory). */
static bool serve(sink *s, conn *c, const request *r, const char *body)
{
    bool post = span_is(r->method, "POST"), get = span_is(r->method, "GET");
    if (get && span_is(r->path, "/stats"))
        return respond_stats(s, c);
    if (post && span_is(r->path, "/reset")) {
        reset(s);
        return respond(c, "200 OK", NULL, "", 0);
    }
    if (get && span_is(r->path, "/sample") && s->sample_body)
        return respond(c, "200 OK", "application/json", s->sample_body, s->sample_body_len);
    if (get && span_is(r->path, "/sample-head") && s->sample_head)
        return respond_sample_head(s, c);
    if (post) {
        take_webhook(s, r->head, r->head_len, body, r->body_len);
        return respond(c, "200 OK", NULL, "", 0);
    }
    return respond(c, "404 Not Found", NULL, "", 0);
}

/* Serves every whole request in the input; false when the connection must go. */
static bool serve_input(sink *s, conn *c)
{
    size_t off = 0;
    bool ok = true;
    while (ok && !c->closing) {
        request r;
        int head = parse_head(c->in + off, c->in_len - off, &r);
        if (head < 0) {
            s->c.bad++;
            c->closing = true;
            ok = respond(c, "400 Bad Request", NULL, "", 0);
        } else if (head == 0) {
            break;
        } else if (c->in_len - off < r.total) {
            /* A client that waits for "100 Continue" before its body gets it, once. */
            if (r.expect_continue && !c->continued)
                ok = out_append(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
            c->continued = true;
            break;
        } else {
            c->continued = false;
            c->closing = r.close;
            ok = serve(s, c, &r, c->in + off + r.total - r.body_len);
            off += r.total;
        }
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return ok;
}

/* ---- connections ---- */

static void close_conn(sink *s, conn *c)
{
    close(c->fd); /* also leaves the epoll set */
    free(c->in);
    free(c->out);
    free(c);
    s->connections--;
}

static int watch(sink *s, conn *c, bool want_out)
{
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0u), .data.ptr = c};
    c->want_out = want_out;
    return epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what the socket takes. -1: the connection is done (error, or closing and sent). */
static int flush_out(sink *s, conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return c->want_out || watch(s, c, true) == 0 ? 0 : -1;
        } else {
            return -1;
        }
    }
    c->out_off = c->out_len = 0;
    if (c->closing)
        return -1;
    return !c->want_out || watch(s, c, false) == 0 ? 0 : -1;
}

static bool grow_in(conn *c)
{
    if (c->in_cap - c->in_len >= IN_CHUNK / 2)
        return true;
    size_t cap = c->in_cap ? c->in_cap * 2 : IN_CHUNK;
    if (cap > 2 * (MAX_HEAD_BYTES + MAX_BODY_BYTES))
        return false;
    char *p = realloc(c->in, cap);
    if (!p)
        return false;
    c->in = p;
    c->in_cap = cap;
    return true;
}

/* Reads what is there, serves it; -1 when the connection is done. */
static int on_readable(sink *s, conn *c)
{
    for (;;) {
        if (!grow_in(c))
            return -1;
        size_t room = c->in_cap - c->in_len;
        ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return -1; /* end of stream or an error */
        c->in_len += (size_t)n;
        if ((size_t)n < room)
            break; /* a short read: the socket is drained, no need for a recv to say so */
    }
    if (!serve_input(s, c))
        return -1;
    return flush_out(s, c);
}

static void accept_all(sink *s)
{
    for (;;) {
        int fd = accept4(s->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or out of descriptors: the rest wait in the backlog */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *c = s->connections < MAX_CONNECTIONS ? calloc(1, sizeof *c) : NULL;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (!c || epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        s->connections++;
    }
}

static void run(sink *s, int64_t deadline_ms)
{
    struct epoll_event evs[256];
    while (!stop_requested && hk_mono_ms() < deadline_ms) {
        int n = epoll_wait(s->ep, evs, 256, 1000);
        if (n < 0 && errno != EINTR) {
            perror("webhook_sink: epoll_wait");
            return;
        }
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                accept_all(s);
                continue;
            }
            int rc = 0;
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                rc = on_readable(s, c);
            else if (evs[i].events & EPOLLOUT)
                rc = flush_out(s, c);
            if (rc < 0)
                close_conn(s, c);
        }
    }
}

/* ---- setup ---- */

typedef struct config {
    const char *listen;
    size_t max_events;
    long lifetime_s;
} config;

/* "127.x.y.z:PORT" or "[::1]:PORT" into addr: numeric loopback addresses only. */
static bool parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len)
{
    const char *colon = strrchr(text, ':');
    char host[64];
    if (!colon || (size_t)(colon - text) >= sizeof host)
        return false;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || port < 0 || port > 65535)
        return false;
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *in = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = sizeof *in;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (strcmp(host, "[::1]") != 0)
        return false;
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    in6->sin6_port = htons((uint16_t)port);
    *len = sizeof *in6;
    return true;
}

static void print_address(const struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN];
    unsigned port;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        printf("webhook_sink: listening on http://%s:%u\n", host, port);
    } else {
        port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
        printf("webhook_sink: listening on http://[::1]:%u\n", port);
    }
    fflush(stdout); /* the benchmark script reads the port from it */
}

static int open_listener(sink *s, const char *listen_at)
{
    struct sockaddr_storage addr;
    socklen_t len;
    if (!parse_listen(listen_at, &addr, &len)) {
        fprintf(stderr, "webhook_sink: --listen must be 127.x.y.z:PORT or [::1]:PORT\n");
        return -1;
    }
    int one = 1;
    s->listener = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (s->listener < 0 ||
        setsockopt(s->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s->listener, (struct sockaddr *)&addr, len) != 0 || listen(s->listener, 1024) != 0 ||
        getsockname(s->listener, (struct sockaddr *)&addr, &len) != 0 ||
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->listener, &ev) != 0) {
        fprintf(stderr, "webhook_sink: cannot listen on %s: %s\n", listen_at, strerror(errno));
        return -1;
    }
    print_address(&addr);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: webhook_sink [--listen 127.0.0.1:PORT] [--max-events N] [--lifetime S]\n"
            "  Receives webhooks on loopback and counts them: GET /stats, POST /reset,\n"
            "  GET /sample, GET /sample-head. Port 0 (default) lets the kernel pick.\n"
            "  --max-events N  event ids tracked at most (default %zu)\n"
            "  --lifetime S    exit after S seconds (default %d)\n",
            DEFAULT_MAX_EVENTS, DEFAULT_LIFETIME_S);
}

static int parse_args(int argc, char **argv, config *cfg)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"max-events", required_argument, NULL, 'm'},
                                         {"lifetime", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        if (c == 'h') {
            usage(stdout);
            exit(0);
        } else if (c == 'l') {
            cfg->listen = optarg;
        } else if (c == 'm') {
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || v < 1 || v > MAX_MAX_EVENTS)
                return -1;
            cfg->max_events = (size_t)v;
        } else if (c == 't') {
            cfg->lifetime_s = strtol(optarg, &end, 10);
            if (*end || cfg->lifetime_s < 1 || cfg->lifetime_s > 86400)
                return -1;
        } else {
            return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

static void on_signals(void)
{
    /* No SA_RESTART: epoll_wait returns EINTR and the loop sees the flag. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    config cfg = {.listen = "127.0.0.1:0",
                  .max_events = DEFAULT_MAX_EVENTS,
                  .lifetime_s = DEFAULT_LIFETIME_S};
    if (parse_args(argc, argv, &cfg) != 0) {
        usage(stderr);
        return 2;
    }
    static sink s; /* the histogram is 36 KiB: not on the stack */
    s.ep = epoll_create1(EPOLL_CLOEXEC);
    if (s.ep < 0 || idset_init(&s.ids, cfg.max_events) != 0) {
        perror("webhook_sink: setup");
        return 1;
    }
    if (open_listener(&s, cfg.listen) != 0)
        return 1;
    on_signals();
    run(&s, hk_mono_ms() + cfg.lifetime_s * 1000);
    printf("webhook_sink: stopping: %llu webhooks, %llu distinct events, %llu duplicates\n",
           (unsigned long long)s.c.received, (unsigned long long)s.c.distinct,
           (unsigned long long)s.c.duplicates);
    return 0;
}
