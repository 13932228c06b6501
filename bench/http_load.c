/*
 * http_load.c - a small HTTP/1.1 load generator for loopback benchmarks of
 * hookd: N keep-alive connections driven by one epoll loop, one request in
 * flight per connection (no pipelining), latencies in a log-linear histogram.
 *
 * Closed loop (--rate 0): each connection sends its next request as soon as
 * the answer to the previous one is in; latency is measured from the send.
 * Fixed rate (--rate R): connection i sends at t0 + i/R + k*N/R, whatever
 * happened before, and latency is measured from that *scheduled* time, so a
 * stalled server is charged for the requests it kept waiting too (no
 * coordinated omission, as in wrk2).
 *
 * The body template may contain {{n}}: each request gets the next integer of
 * a counter (by default starting at the wall clock in microseconds, so runs
 * one after another against the same server never reuse a value).
 *
 * A request fails on a non-2xx status, on a body with "errors" or a non-null
 * "error" (GraphQL and mutation errors), on a body without the --expect text,
 * and on any I/O or protocol error. Only loopback addresses are accepted.
 *
 *   http_load --url http://127.0.0.1:PORT/PATH [--connections N] [--duration S]
 *             [--warmup S] [--rate R] [--header "Name: value"]... [--body-template FILE]
 *             [--expect TEXT] [--first-n N] [--timeline]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/clock.h"

#include "histogram.h"

#define MAX_CONNECTIONS 1000 /* below the usual 1024 open files, with room for the rest */
#define MAX_DURATION_S 300.0
#define MAX_WARMUP_S 60.0
#define MAX_RATE 10000000.0
#define MAX_HEADERS 16
#define MAX_TEMPLATE_BYTES ((size_t)1 << 20)
#define MAX_HEAD_BYTES ((size_t)64 << 10)
#define MAX_RESPONSE_BYTES ((size_t)16 << 20)
#define CONNECT_TIMEOUT_S 5
#define SAFETY_TICK_MS 100 /* epoll_wait never sleeps longer, whatever the timer says */
#define TIMELINE_SLOTS ((int)MAX_DURATION_S + 1)
#define TIMELINE_SLOW_US 10000 /* the "slow" column: issue 3's p99 bound */

/* ---- configuration ---- */

typedef struct config {
    const char *url;
    int connections;
    double duration_s, warmup_s, rate;
    const char *headers[MAX_HEADERS];
    int n_headers;
    const char *body_file;
    const char *expect;
    uint64_t first_n;
    bool timeline;
} config;

typedef struct target {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char authority[128]; /* the Host header: host[:port] as the URL spells it */
    char path[1024];
} target;

/* The body, cut at each {{n}}: literal pieces with the counter between them. */
typedef struct template
{
    char *text;
    size_t len;
    size_t holes[256]; /* offsets of "{{n}}" in text */
    size_t n_holes;
}
template;

#define HOLE "{{n}}"
#define HOLE_LEN 5

/* ---- connections and the loop ---- */

typedef enum conn_state { CONN_IDLE, CONN_SENDING, CONN_WAITING } conn_state;

typedef struct conn {
    int fd;
    conn_state state;
    bool want_out;    /* EPOLLOUT registered: a send is stuck on a full socket buffer */
    int64_t next_due; /* fixed rate: when the next request is scheduled */
    int64_t origin;   /* the latency origin of the request in flight */
    char *out;
    size_t out_len, out_off, out_cap;
    char *in;
    size_t in_len, in_cap;
    size_t head_len; /* 0 until the response head is parsed */
    size_t body_len;
    int status;
    bool close_after;
} conn;

typedef struct counts {
    uint64_t non_2xx, error_bodies, unexpected, io_errors;
} counts;

typedef struct loop {
    const config *cfg;
    const target *tgt;
    const template *tpl;
    char *prefix; /* request line and headers, up to "Content-Length: " (or the blank line) */
    size_t prefix_len;
    int ep, timer;
    conn *conns;
    int64_t t0, measure_start, end, interval;
    uint64_t next_n;
    hist lat;        /* responses completed inside the measured window */
    counts measured; /* failures inside it */
    counts warmup;   /* failures before it: reported too, they fail the run as well */
    uint64_t reconnects;
    const char *fatal; /* set when the run cannot go on (the server went away) */
    /* --timeline: per measured second (by completion time), responses, the
     * slowest, and how many took longer than TIMELINE_SLOW_US. */
    struct {
        uint64_t n, max_us, slow;
    } slots[TIMELINE_SLOTS];
} loop;

static uint64_t failures_of(const counts *c)
{
    return c->non_2xx + c->error_bodies + c->unexpected + c->io_errors;
}

/* ---- argument parsing ---- */

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: http_load --url http://127.0.0.1:PORT/PATH [--connections N] [--duration S]\n"
        "                 [--warmup S] [--rate R] [--header \"Name: value\"]...\n"
        "                 [--body-template FILE] [--expect TEXT] [--first-n N]\n"
        "  HTTP/1.1 keep-alive load on a loopback address (127.0.0.0/8 or [::1]).\n"
        "  --connections N      concurrent connections, 1..%d (default 16)\n"
        "  --duration S         measured seconds, up to %.0f (default 10)\n"
        "  --warmup S           seconds of load before measuring, up to %.0f (default 1)\n"
        "  --rate R             total requests/s on a fixed schedule, latency from the\n"
        "                       scheduled time; 0 = closed loop, as fast as possible (default)\n"
        "  --header H           an extra request header (repeatable, up to %d)\n"
        "  --body-template FILE POST this body (else GET); each {{n}} becomes the request's\n"
        "                       number, unique and increasing\n"
        "  --expect TEXT        a 2xx body must contain TEXT, or the request failed\n"
        "  --first-n N          the first {{n}} (default: the wall clock in microseconds)\n"
        "  --timeline           also print, per measured second, the responses, the\n"
        "                       slowest and how many took over 10 ms (stalls, by when)\n"
        "Prints a summary, then one JSON line. Exit status 1 if any request failed.\n",
        MAX_CONNECTIONS, MAX_DURATION_S, MAX_WARMUP_S, MAX_HEADERS);
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

/* Text that goes into the request verbatim: no control characters, so no header injection. */
static bool printable(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    }
    return true;
}

static bool add_header(config *cfg, const char *h)
{
    const char *colon = strchr(h, ':');
    if (cfg->n_headers == MAX_HEADERS || !colon || colon == h || !printable(h))
        return false;
    cfg->headers[cfg->n_headers++] = h;
    return true;
}

static int parse_option(config *cfg, int c, const char *arg)
{
    double v;
    switch (c) {
    case 'u':
        cfg->url = arg;
        return 0;
    case 'c':
        if (!parse_double(arg, 1, MAX_CONNECTIONS, &v) || v != (int)v)
            return -1;
        cfg->connections = (int)v;
        return 0;
    case 'd':
        return parse_double(arg, 0.001, MAX_DURATION_S, &cfg->duration_s) ? 0 : -1;
    case 'w':
        return parse_double(arg, 0, MAX_WARMUP_S, &cfg->warmup_s) ? 0 : -1;
    case 'r':
        return parse_double(arg, 0, MAX_RATE, &cfg->rate) ? 0 : -1;
    case 'H':
        return add_header(cfg, arg) ? 0 : -1;
    case 'b':
        cfg->body_file = arg;
        return 0;
    case 'e':
        cfg->expect = arg;
        return 0;
    case 'n':
        if (!parse_double(arg, 0, 1e18, &v))
            return -1;
        cfg->first_n = (uint64_t)v;
        return 0;
    case 't':
        cfg->timeline = true;
        return 0;
    default:
        return -1;
    }
}

static int parse_args(int argc, char **argv, config *cfg)
{
    static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
                                         {"connections", required_argument, NULL, 'c'},
                                         {"duration", required_argument, NULL, 'd'},
                                         {"warmup", required_argument, NULL, 'w'},
                                         {"rate", required_argument, NULL, 'r'},
                                         {"header", required_argument, NULL, 'H'},
                                         {"body-template", required_argument, NULL, 'b'},
                                         {"expect", required_argument, NULL, 'e'},
                                         {"first-n", required_argument, NULL, 'n'},
                                         {"timeline", no_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c, idx = 0;
    while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (parse_option(cfg, c, optarg) != 0) {
            if (c != '?')
                fprintf(stderr, "http_load: bad value for --%s: '%s'\n", opts[idx].name, optarg);
            usage(stderr);
            return -1;
        }
    }
    if (!cfg->url || optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* ---- the URL: loopback only ---- */

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/* A numeric host only: a name would need a resolver, and could resolve anywhere. */
static bool set_address(target *t, const char *host, unsigned port)
{
    struct sockaddr_in *in = (struct sockaddr_in *)&t->addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&t->addr;
    memset(&t->addr, 0, sizeof t->addr);
    if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        t->addr_len = sizeof *in;
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        t->addr_len = sizeof *in6;
    } else {
        return false;
    }
    return is_loopback(&t->addr);
}

/* Splits "host:port", "[v6]:port", "host" or "[v6]" into host and port (default 80). */
static bool split_authority(const char *auth, char *host, size_t host_size, unsigned *port)
{
    const char *host_start = auth, *host_end, *colon;
    if (*auth == '[') {
        host_start = auth + 1;
        host_end = strchr(host_start, ']');
        if (!host_end)
            return false;
        colon = host_end[1] == ':' ? host_end + 1 : NULL;
        if (!colon && host_end[1])
            return false;
    } else {
        colon = strchr(auth, ':');
        host_end = colon ? colon : auth + strlen(auth);
    }
    size_t n = (size_t)(host_end - host_start);
    if (n == 0 || n >= host_size)
        return false;
    memcpy(host, host_start, n);
    host[n] = '\0';
    *port = 80;
    if (colon) {
        double v;
        if (!parse_double(colon + 1, 1, 65535, &v) || v != (unsigned)v)
            return false;
        *port = (unsigned)v;
    }
    return true;
}

static int parse_url(const char *url, target *t)
{
    static const char scheme[] = "http://";
    if (strncmp(url, scheme, sizeof scheme - 1) != 0 || !printable(url) || strchr(url, ' ') ||
        strpbrk(url, "\"\\")) {
        fprintf(stderr, "http_load: the URL must be http://HOST:PORT/PATH (no https)\n");
        return -1;
    }
    const char *auth = url + sizeof scheme - 1;
    const char *slash = strchr(auth, '/');
    size_t auth_len = slash ? (size_t)(slash - auth) : strlen(auth);
    const char *path = slash ? slash : "/";
    if (auth_len == 0 || auth_len >= sizeof t->authority || strlen(path) >= sizeof t->path) {
        fprintf(stderr, "http_load: bad URL '%s'\n", url);
        return -1;
    }
    memcpy(t->authority, auth, auth_len);
    t->authority[auth_len] = '\0';
    strcpy(t->path, path);
    char host[64];
    unsigned port;
    if (!split_authority(t->authority, host, sizeof host, &port)) {
        fprintf(stderr, "http_load: bad host or port in '%s'\n", url);
        return -1;
    }
    if (!set_address(t, host, port)) {
        fprintf(stderr,
                "http_load: refusing '%s': only numeric loopback addresses (127.0.0.0/8, [::1])\n",
                t->authority);
        return -1;
    }
    return 0;
}

/* ---- the body template ---- */

static int load_template(const char *file, template *tpl)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        perror(file);
        return -1;
    }
    tpl->text = malloc(MAX_TEMPLATE_BYTES + 1);
    tpl->len = tpl->text ? fread(tpl->text, 1, MAX_TEMPLATE_BYTES + 1, f) : 0;
    bool bad = !tpl->text || ferror(f) || tpl->len > MAX_TEMPLATE_BYTES;
    fclose(f);
    if (bad) {
        fprintf(stderr, "http_load: cannot read %s (or over %zu bytes)\n", file,
                MAX_TEMPLATE_BYTES);
        return -1;
    }
    for (size_t i = 0; i + HOLE_LEN <= tpl->len; i++) {
        if (memcmp(tpl->text + i, HOLE, HOLE_LEN) != 0)
            continue;
        if (tpl->n_holes == sizeof tpl->holes / sizeof tpl->holes[0]) {
            fprintf(stderr, "http_load: too many {{n}} in %s\n", file);
            return -1;
        }
        tpl->holes[tpl->n_holes++] = i;
    }
    return 0;
}

static size_t template_size(const template *tpl)
{
    /* Each hole's 5 bytes become at most 20 digits. */
    return tpl->len + tpl->n_holes * 15;
}

/* Writes the body for number n into out (template_size bytes); returns its length. */
static size_t template_render(const template *tpl, uint64_t n, char *out)
{
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t from = 0, len = 0;
    for (size_t i = 0; i < tpl->n_holes; i++) {
        memcpy(out + len, tpl->text + from, tpl->holes[i] - from);
        len += tpl->holes[i] - from;
        memcpy(out + len, digits, (size_t)nd);
        len += (size_t)nd;
        from = tpl->holes[i] + HOLE_LEN;
    }
    memcpy(out + len, tpl->text + from, tpl->len - from);
    return len + tpl->len - from;
}

/* ---- requests ---- */

static bool has_header(const config *cfg, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < cfg->n_headers; i++) {
        if (strncasecmp(cfg->headers[i], name, n) == 0 && cfg->headers[i][n] == ':')
            return true;
    }
    return false;
}

/* Everything of a request that does not change: built once. */
static int build_prefix(loop *l)
{
    const config *cfg = l->cfg;
    size_t cap = 256 + strlen(l->tgt->path) + strlen(l->tgt->authority);
    for (int i = 0; i < cfg->n_headers; i++)
        cap += strlen(cfg->headers[i]) + 2;
    l->prefix = malloc(cap);
    if (!l->prefix)
        return -1;
    int n = snprintf(l->prefix, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n", l->tpl ? "POST" : "GET",
                     l->tgt->path, l->tgt->authority);
    for (int i = 0; i < cfg->n_headers; i++)
        n += snprintf(l->prefix + n, cap - (size_t)n, "%s\r\n", cfg->headers[i]);
    if (l->tpl && !has_header(cfg, "Content-Type"))
        n += snprintf(l->prefix + n, cap - (size_t)n, "Content-Type: application/json\r\n");
    n += snprintf(l->prefix + n, cap - (size_t)n, l->tpl ? "Content-Length: " : "\r\n");
    l->prefix_len = (size_t)n;
    return 0;
}

/* Fills c->out with the next request. */
static int build_request(loop *l, conn *c)
{
    size_t need = l->prefix_len + 32 + (l->tpl ? template_size(l->tpl) : 0);
    if (need > c->out_cap) {
        char *p = realloc(c->out, need);
        if (!p)
            return -1;
        c->out = p;
        c->out_cap = need;
    }
    memcpy(c->out, l->prefix, l->prefix_len);
    c->out_len = l->prefix_len;
    if (l->tpl) {
        /* The body goes after room for its length, then the length and the blank line are
         * written in front of it: one render, no copy. */
        char *body = c->out + l->prefix_len + 32;
        size_t body_len = template_render(l->tpl, l->next_n++, body);
        int n = snprintf(c->out + c->out_len, 32, "%zu\r\n\r\n", body_len);
        memmove(c->out + c->out_len + n, body, body_len);
        c->out_len += (size_t)n + body_len;
    }
    c->out_off = 0;
    return 0;
}

/* ---- connections ---- */

static int set_events(loop *l, conn *c, bool want_out)
{
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0u), .data.ptr = c};
    c->want_out = want_out;
    return epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* A blocking connect, bounded by SO_SNDTIMEO (Linux applies it to connect), then non-blocking:
 * on loopback the handshake is the kernel's alone and takes microseconds. */
static int open_conn(loop *l, conn *c)
{
    int fd = socket(l->tgt->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = CONNECT_TIMEOUT_S};
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (const struct sockaddr *)&l->tgt->addr, l->tgt->addr_len) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->state = CONN_IDLE;
    c->want_out = false;
    c->in_len = 0;
    c->head_len = 0;
    return 0;
}

/* The server closed, or the exchange went wrong: a fresh connection takes over. A request in
 * flight is lost and counted; the schedule of the connection is kept. */
static void reconnect(loop *l, conn *c, counts *fail)
{
    if (c->state != CONN_IDLE)
        fail->io_errors++;
    close(c->fd); /* also takes it out of the epoll set */
    c->fd = -1;
    l->reconnects++;
    if (open_conn(l, c) != 0)
        l->fatal = "cannot reconnect (did the server stop?)";
}

/* Writes what the socket takes; the rest waits for EPOLLOUT. */
static void flush_out(loop *l, conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out && set_events(l, c, true) != 0)
                l->fatal = "epoll_ctl failed";
            return;
        } else {
            reconnect(l, c, l->measure_start <= hk_mono_ns() ? &l->measured : &l->warmup);
            return;
        }
    }
    c->state = CONN_WAITING;
    if (c->want_out && set_events(l, c, false) != 0)
        l->fatal = "epoll_ctl failed";
}

static void send_request(loop *l, conn *c, int64_t origin)
{
    if (build_request(l, c) != 0) {
        l->fatal = "out of memory";
        return;
    }
    c->origin = origin;
    c->state = CONN_SENDING;
    c->in_len = 0;
    c->head_len = 0;
    flush_out(l, c);
}

/* ---- responses ---- */

static bool header_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

static bool has_token(const char *v, size_t len, const char *token)
{
    size_t n = strlen(token);
    for (size_t i = 0; i + n <= len; i++) {
        if (strncasecmp(v + i, token, n) == 0)
            return true;
    }
    return false;
}

/* One header line of the response head; false if it makes the response unreadable. */
static bool parse_header(conn *c, const char *line, size_t len, long long *content_length)
{
    const char *colon = memchr(line, ':', len);
    const char *v = colon ? colon + 1 : line + len;
    size_t vlen = (size_t)(line + len - v);
    if (header_is(line, len, "Content-Length")) {
        char num[24];
        while (vlen && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (vlen == 0 || vlen >= sizeof num || strspn(v, "0123456789") < vlen)
            return false;
        memcpy(num, v, vlen);
        num[vlen] = '\0';
        long long n = strtoll(num, NULL, 10);
        if (*content_length >= 0 && n != *content_length)
            return false; /* two lengths that disagree: a smuggling shape, not a response */
        *content_length = n;
    } else if (header_is(line, len, "Transfer-Encoding")) {
        return false; /* hookd answers with Content-Length; chunked is not implemented here */
    } else if (header_is(line, len, "Connection")) {
        if (has_token(v, vlen, "close"))
            c->close_after = true;
        else if (has_token(v, vlen, "keep-alive"))
            c->close_after = false;
    }
    return true;
}

/* Status line and headers. 1: parsed, 0: incomplete, -1: not a response we can read. */
static int parse_head(conn *c)
{
    const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end)
        return c->in_len > MAX_HEAD_BYTES ? -1 : 0;
    const char *p = c->in;
    if (end - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
        p[8] != ' ' || strspn(p + 9, "0123456789") < 3)
        return -1;
    c->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    c->close_after = p[7] == '0'; /* HTTP/1.0 closes unless it says keep-alive */
    long long content_length = -1;
    /* The status line's own CRLF may be the first half of the blank line's. */
    const char *line = (const char *)memchr(p, '\n', (size_t)(end - p) + 2) + 1;
    while (line < end + 2) {
        const char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
        if (!parse_header(c, line, (size_t)(eol - line), &content_length))
            return -1;
        line = eol + 2;
    }
    /* 1xx would be an interim answer: hookd sends none, as no Expect is sent. */
    bool no_body = c->status == 204 || c->status == 304;
    if (c->status < 200 || (content_length < 0 && !no_body) ||
        content_length > (long long)MAX_RESPONSE_BYTES)
        return -1;
    c->head_len = (size_t)(end - p) + 4;
    c->body_len = no_body ? 0 : (size_t)content_length;
    return 1;
}

/* A GraphQL failure: a top-level "errors", or a mutation's "error" that is not null. Plain
 * substring checks: hookd writes compact JSON, and the benchmark bodies never hold this text. */
static bool body_has_error(const char *b, size_t n)
{
    if (memmem(b, n, "\"errors\"", 8))
        return true;
    const char *end = b + n, *p = b;
    while ((p = memmem(p, (size_t)(end - p), "\"error\"", 7)) != NULL) {
        p += 7;
        while (p < end && (*p == ' ' || *p == ':'))
            p++;
        if (end - p < 4 || memcmp(p, "null", 4) != 0)
            return true;
    }
    return false;
}

static void classify(loop *l, const conn *c, counts *fail)
{
    const char *body = c->in + c->head_len;
    if (c->status < 200 || c->status > 299)
        fail->non_2xx++;
    else if (body_has_error(body, c->body_len))
        fail->error_bodies++;
    else if (l->cfg->expect && !memmem(body, c->body_len, l->cfg->expect, strlen(l->cfg->expect)))
        fail->unexpected++;
}

/* A whole response is in: count it, then free the connection for the next request. */
static void complete(loop *l, conn *c, int64_t now)
{
    bool measured = now >= l->measure_start && now < l->end;
    counts *fail = measured ? &l->measured : &l->warmup;
    classify(l, c, fail);
    if (measured) {
        uint64_t us = (uint64_t)(now - c->origin) / 1000;
        hist_record(&l->lat, us);
        int slot = (int)((now - l->measure_start) / 1000000000);
        if (slot >= 0 && slot < TIMELINE_SLOTS) {
            l->slots[slot].n++;
            l->slots[slot].slow += us > TIMELINE_SLOW_US;
            if (us > l->slots[slot].max_us)
                l->slots[slot].max_us = us;
        }
    }
    if (c->in_len > c->head_len + c->body_len) {
        /* Bytes nobody asked for (no pipelining here): the stream cannot be trusted. */
        fail->io_errors++;
        c->state = CONN_IDLE;
        reconnect(l, c, fail);
        return;
    }
    c->state = CONN_IDLE;
    c->in_len = 0;
    c->head_len = 0;
    if (c->close_after)
        reconnect(l, c, fail);
}

static int grow_in(conn *c)
{
    if (c->in_cap - c->in_len >= 4096)
        return 0;
    size_t cap = c->in_cap ? c->in_cap * 2 : 16384;
    if (cap > MAX_RESPONSE_BYTES + MAX_HEAD_BYTES)
        return -1;
    char *p = realloc(c->in, cap);
    if (!p)
        return -1;
    c->in = p;
    c->in_cap = cap;
    return 0;
}

static void on_readable(loop *l, conn *c, int64_t now)
{
    counts *fail = now >= l->measure_start ? &l->measured : &l->warmup;
    if (grow_in(c) != 0) {
        reconnect(l, c, fail);
        return;
    }
    ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0 || c->state == CONN_IDLE) {
        /* End of stream or an error; on an idle connection, the server timed it out. */
        reconnect(l, c, fail);
        return;
    }
    c->in_len += (size_t)n;
    int head = c->head_len ? 1 : parse_head(c);
    if (head < 0)
        reconnect(l, c, fail);
    else if (head > 0 && c->in_len >= c->head_len + c->body_len)
        complete(l, c, now);
}

/* ---- the loop ---- */

static void arm_timer(loop *l, int64_t at)
{
    struct itimerspec its = {.it_value = {.tv_sec = at / 1000000000, .tv_nsec = at % 1000000000}};
    timerfd_settime(l->timer, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Sends on every idle connection whose turn has come; arms the timer for the next turn. */
static void start_due(loop *l, int64_t now)
{
    int64_t next = l->end;
    for (int i = 0; i < l->cfg->connections && !l->fatal; i++) {
        conn *c = &l->conns[i];
        if (c->state != CONN_IDLE)
            continue;
        if (l->cfg->rate <= 0) {
            send_request(l, c, now);
        } else if (c->next_due <= now) {
            /* Late or not, the latency counts from when the request was due. */
            send_request(l, c, c->next_due);
            c->next_due += l->interval;
        } else if (c->next_due < next) {
            next = c->next_due;
        }
    }
    arm_timer(l, next);
}

static void dispatch(loop *l, struct epoll_event *ev, int64_t now)
{
    if (ev->data.ptr == NULL) {
        uint64_t expirations;
        if (read(l->timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
            l->fatal = "timerfd read failed";
        return;
    }
    conn *c = ev->data.ptr;
    if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        on_readable(l, c, now);
    else if ((ev->events & EPOLLOUT) && c->state == CONN_SENDING)
        flush_out(l, c);
    else if ((ev->events & EPOLLOUT) && set_events(l, c, false) != 0)
        l->fatal = "epoll_ctl failed"; /* answered before fully sent: stop watching EPOLLOUT */
}

static void run(loop *l)
{
    struct epoll_event evs[256];
    for (;;) {
        int64_t now = hk_mono_ns();
        if (now >= l->end || l->fatal)
            break;
        start_due(l, now);
        int n = epoll_wait(l->ep, evs, 256, SAFETY_TICK_MS);
        if (n < 0 && errno != EINTR) {
            l->fatal = "epoll_wait failed";
            break;
        }
        now = hk_mono_ns();
        for (int i = 0; i < n && !l->fatal; i++)
            dispatch(l, &evs[i], now);
    }
}

static int setup_loop(loop *l)
{
    const config *cfg = l->cfg;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    l->conns = calloc((size_t)cfg->connections, sizeof *l->conns);
    for (int i = 0; l->conns && i < cfg->connections; i++)
        l->conns[i].fd = -1; /* none open yet: teardown closes only what opened */
    if (l->ep < 0 || l->timer < 0 || !l->conns ||
        epoll_ctl(l->ep, EPOLL_CTL_ADD, l->timer, &ev) != 0 || build_prefix(l) != 0) {
        perror("http_load: setup");
        return -1;
    }
    for (int i = 0; i < cfg->connections; i++) {
        if (open_conn(l, &l->conns[i]) != 0) {
            fprintf(stderr, "http_load: cannot connect to %s: %s\n", l->tgt->authority,
                    strerror(errno));
            return -1;
        }
    }
    /* The clock starts once every connection is up. */
    l->t0 = hk_mono_ns();
    l->measure_start = l->t0 + (int64_t)(cfg->warmup_s * 1e9);
    l->end = l->measure_start + (int64_t)(cfg->duration_s * 1e9);
    if (cfg->rate > 0) {
        /* Connection i starts i/R after the first: together they send every 1/R. */
        double gap_ns = 1e9 / cfg->rate;
        l->interval = (int64_t)(gap_ns * cfg->connections);
        for (int i = 0; i < cfg->connections; i++)
            l->conns[i].next_due = l->t0 + (int64_t)(gap_ns * i);
    }
    return 0;
}

/* ---- the report ---- */

/* Fixed rate only: requests that were due before the end but never sent, because their
 * connection was still waiting. Not in the histogram: a sign the server fell behind. */
static uint64_t unsent_at_end(const loop *l)
{
    uint64_t unsent = 0;
    for (int i = 0; l->cfg->rate > 0 && i < l->cfg->connections; i++) {
        int64_t due = l->conns[i].next_due;
        if (due < l->end)
            unsent += (uint64_t)((l->end - due) / l->interval) + 1;
    }
    return unsent;
}

static void report_timeline(const loop *l, double secs)
{
    printf("  timeline (second: responses, slowest us, over %d us):", TIMELINE_SLOW_US);
    for (int i = 0; i < TIMELINE_SLOTS && i < (int)secs + 1; i++)
        printf("%s %d: %llu %llu %llu", i % 5 ? ";" : "\n   ", i, (unsigned long long)l->slots[i].n,
               (unsigned long long)l->slots[i].max_us, (unsigned long long)l->slots[i].slow);
    printf("\n");
}

static void report(const loop *l, int64_t stopped)
{
    const config *cfg = l->cfg;
    const hist *h = &l->lat;
    double secs = stopped > l->measure_start ? (double)(stopped - l->measure_start) / 1e9 : 0;
    double rate = secs > 0 ? (double)h->n / secs : 0;
    uint64_t failures = failures_of(&l->measured), warm = failures_of(&l->warmup);
    uint64_t in_flight = 0;
    for (int i = 0; i < cfg->connections; i++)
        in_flight += l->conns[i].state != CONN_IDLE;
    uint64_t p50 = hist_percentile(h, 50), p90 = hist_percentile(h, 90);
    uint64_t p99 = hist_percentile(h, 99), p999 = hist_percentile(h, 99.9);
    double mean = h->n ? (double)h->sum / (double)h->n : 0;

    printf("http_load: %s %s, %d connections, %.1f s (+%.1f s warmup), %s\n",
           l->tpl ? "POST" : "GET", cfg->url, cfg->connections, secs, cfg->warmup_s,
           cfg->rate > 0 ? "fixed rate" : "closed loop");
    if (cfg->rate > 0)
        printf("  target %.0f/s, unsent at end %llu\n", cfg->rate,
               (unsigned long long)unsent_at_end(l));
    printf("  requests %llu (%.1f/s), failures %llu (non-2xx %llu, error bodies %llu, "
           "unexpected %llu, i/o %llu), warmup failures %llu, reconnects %llu\n",
           (unsigned long long)h->n, rate, (unsigned long long)failures,
           (unsigned long long)l->measured.non_2xx, (unsigned long long)l->measured.error_bodies,
           (unsigned long long)l->measured.unexpected, (unsigned long long)l->measured.io_errors,
           (unsigned long long)warm, (unsigned long long)l->reconnects);
    printf("  latency us: p50 %llu, p90 %llu, p99 %llu, p99.9 %llu, max %llu, mean %.0f\n",
           (unsigned long long)p50, (unsigned long long)p90, (unsigned long long)p99,
           (unsigned long long)p999, (unsigned long long)h->max, mean);
    if (cfg->timeline)
        report_timeline(l, secs);
    if (l->fatal)
        printf("  stopped early: %s\n", l->fatal);
    printf("{\"bench\":\"http_load\",\"url\":\"%s\",\"method\":\"%s\",\"connections\":%d,"
           "\"duration_s\":%.2f,\"target_rate\":%.0f,\"requests\":%llu,\"failures\":%llu,"
           "\"warmup_failures\":%llu,\"rate\":%.1f,\"p50_us\":%llu,\"p90_us\":%llu,"
           "\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu,\"mean_us\":%.0f,"
           "\"unsent_at_end\":%llu,\"in_flight_at_end\":%llu,\"aborted\":%s}\n",
           cfg->url, l->tpl ? "POST" : "GET", cfg->connections, secs, cfg->rate,
           (unsigned long long)h->n, (unsigned long long)failures, (unsigned long long)warm, rate,
           (unsigned long long)p50, (unsigned long long)p90, (unsigned long long)p99,
           (unsigned long long)p999, (unsigned long long)h->max, mean,
           (unsigned long long)unsent_at_end(l), (unsigned long long)in_flight,
           l->fatal ? "true" : "false");
}

static void teardown(loop *l)
{
    for (int i = 0; l->conns && i < l->cfg->connections; i++) {
        if (l->conns[i].fd >= 0)
            close(l->conns[i].fd);
        free(l->conns[i].out);
        free(l->conns[i].in);
    }
    free(l->conns);
    free(l->prefix);
    if (l->timer >= 0)
        close(l->timer);
    if (l->ep >= 0)
        close(l->ep);
}

int main(int argc, char **argv)
{
    config cfg = {.connections = 16,
                  .duration_s = 10,
                  .warmup_s = 1,
                  .first_n = (uint64_t)hk_now_ms() * 1000};
    target tgt;
    static template tpl;
    if (parse_args(argc, argv, &cfg) != 0 || parse_url(cfg.url, &tgt) != 0)
        return 2;
    if (cfg.body_file && load_template(cfg.body_file, &tpl) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    loop l = {.cfg = &cfg,
              .tgt = &tgt,
              .tpl = cfg.body_file ? &tpl : NULL,
              .next_n = cfg.first_n,
              .ep = -1,
              .timer = -1};
    int rc = 1;
    if (setup_loop(&l) == 0) {
        run(&l);
        int64_t stopped = hk_mono_ns();
        report(&l, stopped < l.end ? stopped : l.end);
        rc = l.fatal || failures_of(&l.measured) || failures_of(&l.warmup) ? 1 : 0;
    }
    teardown(&l);
    free(tpl.text);
    return rc;
}
