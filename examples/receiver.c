/*
 * receiver.c - a tiny webhook receiver built on libhookd-verify.
 *
 *   HOOKD_WEBHOOK_SECRET=... example_receiver [PORT]     (default 8787; 0: any)
 *
 * Listens on 127.0.0.1:PORT, one connection at a time (an example, not a
 * server: no keep-alive, no TLS, no chunked bodies). For every POST it
 * verifies the Plain-Request-Signature header and the body with
 * hk_verify_webhook, prints one line per request to stdout, and answers:
 *
 *   200  a customer event, verified and parsed
 *   200  a valid event of another type (acknowledged so that it is not retried)
 *   401  a bad signature or a stale timestamp
 *   400  anything else wrong with the body; 413 when it is too large
 *
 * Build it with the library installed:
 *   cc receiver.c $(pkg-config --cflags --libs hookd-verify) -o receiver
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hookd/verify.h>

#define HEAD_MAX 16384
#define SIGNATURE_MAX 128

typedef struct request {
    char head[HEAD_MAX + 1];
    size_t head_len;
    char *body;
    size_t body_len;
    char signature[SIGNATURE_MAX];
    bool has_signature;
    bool is_post;
} request;

/* Writes all of buf, retrying short writes. */
static void send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, int status, const char *reason, const char *text)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s\n",
                     status, reason, strlen(text) + 1, text);
    if (n > 0)
        send_all(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* The value of header `name` (case-insensitive) in the head, or NULL. */
static const char *header(const request *r, const char *name, size_t *len)
{
    size_t name_len = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, name_len) != 0 || line[name_len] != ':')
            continue;
        const char *v = line + name_len + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        const char *end = strstr(v, "\r\n");
        size_t n = end ? (size_t)(end - v) : strlen(v);
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        *len = n;
        return v;
    }
    return NULL;
}

/* Reads up to the blank line; what was read past it is the body's start. */
static int read_head(int fd, request *r, size_t *extra)
{
    char *end = NULL;
    while (!end) {
        if (r->head_len == HEAD_MAX)
            return -1;
        ssize_t n = read(fd, r->head + r->head_len, HEAD_MAX - r->head_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        r->head_len += (size_t)n;
        r->head[r->head_len] = '\0';
        end = strstr(r->head, "\r\n\r\n");
    }
    *extra = r->head_len - (size_t)(end + 4 - r->head);
    end[2] = '\0'; /* keep the last header's CRLF for header() */
    return 0;
}

/* 0: read; otherwise the HTTP status to answer with. */
static int read_request(int fd, request *r)
{
    size_t extra, len;
    if (read_head(fd, r, &extra) != 0)
        return 400;
    r->is_post = strncmp(r->head, "POST ", 5) == 0;
    const char *cl = header(r, "Content-Length", &len);
    if (!cl)
        return 411;
    char *endp;
    unsigned long long body_len = strtoull(cl, &endp, 10);
    if (endp == cl)
        return 400;
    if (body_len > HK_VERIFY_DEFAULT_MAX_BODY)
        return 413;
    const char *sig = header(r, "Plain-Request-Signature", &len);
    if (sig && len < SIGNATURE_MAX) {
        memcpy(r->signature, sig, len);
        r->signature[len] = '\0';
        r->has_signature = true;
    }
    r->body_len = (size_t)body_len;
    r->body = malloc(r->body_len + 1);
    if (!r->body)
        return 500;
    size_t have = extra < r->body_len ? extra : r->body_len;
    memcpy(r->body, r->head + r->head_len - extra, have);
    while (have < r->body_len) {
        ssize_t n = read(fd, r->body + have, r->body_len - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 400;
        have += (size_t)n;
    }
    return 0;
}

static void print_event(const hk_webhook *wh)
{
    const hk_webhook_customer *c = wh->customer ? wh->customer : wh->previous_customer;
    printf("%s %s %s%s%s\n", wh->event_type, wh->id, c ? c->email.email : "-",
           wh->change_type ? " " : "", wh->change_type ? wh->change_type : "");
}

static void answer(int fd, const request *r, const void *secret, size_t secret_len)
{
    char detail[256];
    hk_verify_options o;
    hk_webhook *wh = NULL;
    hk_verify_options_init(&o);
    o.detail = detail;
    o.detail_size = sizeof detail;
    hk_verify_result res = hk_verify_webhook(
        r->body, r->body_len, r->has_signature ? r->signature : NULL, secret, secret_len, &o, &wh);
    if (res == HK_VERIFY_OK) {
        print_event(wh);
        respond(fd, 200, "OK", "ok");
    } else if (res == HK_VERIFY_UNKNOWN_EVENT) {
        printf("ignored: %s\n", detail);
        respond(fd, 200, "OK", "ignored");
    } else {
        printf("error: %s (%s)\n", hk_verify_strerror(res), detail);
        bool auth = res == HK_VERIFY_BAD_SIGNATURE || res == HK_VERIFY_STALE;
        respond(fd, auth ? 401 : 400, auth ? "Unauthorized" : "Bad Request",
                hk_verify_strerror(res));
    }
    fflush(stdout);
    hk_webhook_free(wh);
}

static void serve(int fd, const void *secret, size_t secret_len)
{
    request *r = calloc(1, sizeof *r);
    if (!r) {
        respond(fd, 500, "Internal Server Error", "out of memory");
        return;
    }
    int status = read_request(fd, r);
    if (status != 0)
        respond(fd, status, "Error", "bad request");
    else if (!r->is_post)
        respond(fd, 405, "Method Not Allowed", "POST only");
    else
        answer(fd, r, secret, secret_len);
    free(r->body);
    free(r);
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0) {
        perror("example_receiver: listen");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    const char *secret = getenv("HOOKD_WEBHOOK_SECRET");
    int port = argc > 1 ? atoi(argv[1]) : 8787; /* 0: any free port, printed */
    if (!secret || !*secret || port < 0 || port > 65535) {
        fprintf(stderr, "usage: HOOKD_WEBHOOK_SECRET=secret %s [PORT]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up must not kill us */
    int lfd = listen_on(port);
    if (lfd < 0)
        return 1;
    struct sockaddr_in bound;
    socklen_t bound_len = sizeof bound;
    if (getsockname(lfd, (struct sockaddr *)&bound, &bound_len) == 0)
        port = ntohs(bound.sin_port); /* the one the kernel chose for port 0 */
    printf("listening on http://127.0.0.1:%d/\n", port);
    fflush(stdout);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("example_receiver: accept");
            return 1;
        }
        serve(fd, secret, strlen(secret));
        close(fd);
    }
}
