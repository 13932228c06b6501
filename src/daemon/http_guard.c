#include "daemon/http_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

/* How often deadlines are checked: a connection outlives its deadline by at most this. */
#define TICK_MS 100
/* A lingering socket silent this long is closed (its client has stopped sending). */
#define LINGER_QUIET_MS 2000
/* Connections a polling thread keeps free for newcomers: 1 in 32, at least 1. */
#define HEADROOM_DIVISOR 32
#define DRAIN_CHUNK (64 * 1024)

/* An intrusive list. */
typedef struct conn_link {
    hk_http_conn *prev, *next;
} conn_link;

typedef struct list {
    hk_http_conn *head, *tail;
} list;

/* One of libmicrohttpd's polling threads (a worker daemon of its pool). */
typedef struct worker {
    const struct MHD_Daemon *daemon; /* NULL: slot not yet claimed */
    unsigned count;                  /* connections it holds */
    unsigned soft_limit;             /* past this, a new connection sheds a waiting one */
    list fresh;                      /* waiting on a client that never finished a request */
    list kept;                       /* waiting on a kept-alive client */
} worker;

struct hk_http_conn {
    conn_link all;  /* every connection, for the deadline check */
    conn_link wait; /* its worker's fresh or kept list, while idle or in its headers */
    worker *w;
    list *waiting_in; /* NULL: not waiting on its client */
    int fd;
    hk_http_phase phase;
    int64_t deadline; /* monotonic ms; 0: none */
    bool kept;        /* finished a request */
    bool cut;         /* shut down by the guard: closing, nothing to drain */
    bool linger;
    const char *target;
    size_t target_len;
};

/* A closed connection's socket, drained until its client closes or time runs out. */
typedef struct lingerer {
    struct lingerer *prev, *next;
    int fd;
    int64_t until; /* the latest it is closed */
    int64_t quiet; /* closed if nothing comes by then */
} lingerer;

struct hk_http_guard {
    hk_http_guard_options o;
    pthread_mutex_t lock;
    list all;
    worker *workers;
    unsigned nworkers;
    struct {
        lingerer *head;
    } lingering;
    unsigned nlingering;
    hk_http_guard_stats stats;
    int epfd;
    int wake; /* eventfd: stop */
    pthread_t thread;
    bool stop;
};

/* ---- lists ---- */

#define LIST_PUSH(l, c, f)                                                                         \
    do {                                                                                           \
        (c)->f.prev = (l)->tail;                                                                   \
        (c)->f.next = NULL;                                                                        \
        if ((l)->tail)                                                                             \
            (l)->tail->f.next = (c);                                                               \
        else                                                                                       \
            (l)->head = (c);                                                                       \
        (l)->tail = (c);                                                                           \
    } while (0)

#define LIST_REMOVE(l, c, f)                                                                       \
    do {                                                                                           \
        if ((c)->f.prev)                                                                           \
            (c)->f.prev->f.next = (c)->f.next;                                                     \
        else                                                                                       \
            (l)->head = (c)->f.next;                                                               \
        if ((c)->f.next)                                                                           \
            (c)->f.next->f.prev = (c)->f.prev;                                                     \
        else                                                                                       \
            (l)->tail = (c)->f.prev;                                                               \
        (c)->f.prev = (c)->f.next = NULL;                                                          \
    } while (0)

/* ---- phases ---- */

static int64_t phase_timeout(const hk_http_guard *g, hk_http_phase p)
{
    switch (p) {
    case HK_HTTP_IDLE:
        return g->o.idle_timeout_ms;
    case HK_HTTP_HEADERS:
        return g->o.header_timeout_ms;
    case HK_HTTP_BODY:
        return g->o.body_timeout_ms;
    case HK_HTTP_SENDING:
        return g->o.send_timeout_ms;
    default:
        return 0;
    }
}

/* Under lock. Waiting connections are listed in the order they began to wait, so a
 * list's head is the one that has waited longest. */
static void set_phase(hk_http_guard *g, hk_http_conn *c, hk_http_phase p)
{
    int64_t t = phase_timeout(g, p);
    c->phase = p;
    c->deadline = t > 0 ? hk_mono_ms() + t : 0;
    bool waits = p == HK_HTTP_IDLE || p == HK_HTTP_HEADERS;
    list *want = !waits || c->cut ? NULL : c->kept ? &c->w->kept : &c->w->fresh;
    /* A connection that goes from idle to its headers keeps its place. */
    if (want == c->waiting_in)
        return;
    if (c->waiting_in)
        LIST_REMOVE(c->waiting_in, c, wait);
    if (want)
        LIST_PUSH(want, c, wait);
    c->waiting_in = want;
}

/* Under lock: shuts the connection down; its polling thread sees it and closes it. */
static void cut(hk_http_conn *c)
{
    if (c->cut)
        return;
    c->cut = true;
    if (c->waiting_in) {
        LIST_REMOVE(c->waiting_in, c, wait);
        c->waiting_in = NULL;
    }
    c->deadline = 0;
    shutdown(c->fd, SHUT_RDWR);
}

void hk_http_guard_enter(hk_http_guard *g, hk_http_conn *c, hk_http_phase p)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    if (!c->cut)
        set_phase(g, c, p);
    pthread_mutex_unlock(&g->lock);
}

void hk_http_guard_kept(hk_http_guard *g, hk_http_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    if (!c->cut) {
        c->kept = true;
        c->target = NULL;
        c->target_len = 0;
        set_phase(g, c, HK_HTTP_IDLE);
    }
    pthread_mutex_unlock(&g->lock);
}

void hk_http_guard_linger(hk_http_guard *g, hk_http_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    c->linger = true;
    pthread_mutex_unlock(&g->lock);
}

void hk_http_guard_set_target(hk_http_conn *c, const char *target, size_t len)
{
    if (!c)
        return;
    c->target = target;
    c->target_len = len;
}

const char *hk_http_guard_target(const hk_http_conn *c, size_t *len)
{
    *len = c && c->target ? c->target_len : 0;
    return c ? c->target : NULL;
}

hk_http_conn *hk_http_guard_conn(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* ---- connections start and end ---- */

/* Under lock: the worker of `daemon`, claiming a slot the first time it is seen. */
static worker *worker_of(hk_http_guard *g, const struct MHD_Daemon *daemon)
{
    for (unsigned i = 0; i < g->nworkers; i++) {
        if (g->workers[i].daemon == daemon)
            return &g->workers[i];
        if (!g->workers[i].daemon) {
            g->workers[i].daemon = daemon;
            return &g->workers[i];
        }
    }
    return &g->workers[g->nworkers - 1]; /* more than announced: they share the last */
}

/* Under lock: makes room on `w` for the connection just accepted, if it is nearly full. */
static void shed(hk_http_guard *g, worker *w)
{
    if (w->count <= w->soft_limit)
        return;
    hk_http_conn *victim = w->fresh.head ? w->fresh.head : w->kept.head;
    if (!victim)
        return; /* every connection is busy with a request: libmicrohttpd's limit decides */
    cut(victim);
    g->stats.shed_at_limit++;
}

static void started(hk_http_guard *g, struct MHD_Connection *conn, void **socket_context)
{
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *d = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
    hk_http_conn *c = calloc(1, sizeof *c);
    if (!c || !fd || !d) {
        free(c); /* unguarded: libmicrohttpd's idle timeout still applies */
        return;
    }
    c->fd = fd->connect_fd;
    pthread_mutex_lock(&g->lock);
    c->w = worker_of(g, d->daemon);
    c->w->count++;
    g->stats.open++;
    LIST_PUSH(&g->all, c, all);
    shed(g, c->w);
    set_phase(g, c, HK_HTTP_IDLE);
    pthread_mutex_unlock(&g->lock);
    *socket_context = c;
}

/* Under lock: keeps the closing connection's socket to drain its unread input, when it
 * has some (or was answered early) and a slot is free. */
static void start_lingering(hk_http_guard *g, hk_http_conn *c)
{
    int unread = 0;
    if (c->cut || (!c->linger && (ioctl(c->fd, FIONREAD, &unread) != 0 || unread <= 0)))
        return;
    if (g->nlingering >= g->o.max_lingering)
        return;
    lingerer *l = calloc(1, sizeof *l);
    int fd = l ? fcntl(c->fd, F_DUPFD_CLOEXEC, 0) : -1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = l};
    if (fd < 0 || epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        if (fd >= 0)
            close(fd);
        free(l);
        return;
    }
    int64_t now = hk_mono_ms();
    l->fd = fd;
    l->until = now + g->o.linger_ms;
    l->quiet = now + (LINGER_QUIET_MS < g->o.linger_ms ? LINGER_QUIET_MS : g->o.linger_ms);
    l->next = g->lingering.head;
    if (l->next)
        l->next->prev = l;
    g->lingering.head = l;
    g->nlingering++;
    g->stats.lingered++;
}

/* Runs before libmicrohttpd closes the descriptor: the guard never touches it after. */
static void closed(hk_http_guard *g, hk_http_conn *c)
{
    pthread_mutex_lock(&g->lock);
    if (c->waiting_in)
        LIST_REMOVE(c->waiting_in, c, wait);
    LIST_REMOVE(&g->all, c, all);
    c->w->count--;
    g->stats.open--;
    start_lingering(g, c);
    pthread_mutex_unlock(&g->lock);
    free(c);
}

void hk_http_guard_notify(void *guard, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    hk_http_guard *g = guard;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        started(g, conn, socket_context);
    } else if (*socket_context) {
        closed(g, *socket_context);
        *socket_context = NULL;
    }
}

/* ---- the thread ---- */

/* Under lock. */
static void stop_lingering(hk_http_guard *g, lingerer *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        g->lingering.head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    /* Removed by hand: closing it would not remove it while libmicrohttpd still holds the
     * descriptor it was duplicated from, and the set would report a freed lingerer. */
    epoll_ctl(g->epfd, EPOLL_CTL_DEL, l->fd, NULL);
    close(l->fd);
    free(l);
    g->nlingering--;
}

/* Reads and drops what the client sent; true when it is done (closed, or an error). */
static bool drain(int fd)
{
    static char sink[DRAIN_CHUNK]; /* the guard thread's alone */
    for (;;) {
        ssize_t n = recv(fd, sink, sizeof sink, 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
}

static void check_deadlines(hk_http_guard *g, int64_t now)
{
    for (hk_http_conn *c = g->all.head; c; c = c->all.next) {
        if (c->deadline && now >= c->deadline && !c->cut) {
            cut(c);
            g->stats.cut_deadline++;
        }
    }
    for (lingerer *l = g->lingering.head, *next; l; l = next) {
        next = l->next;
        if (now >= l->until || now >= l->quiet)
            stop_lingering(g, l);
    }
}

static void *guard_main(void *arg)
{
    hk_http_guard *g = arg;
    pthread_setname_np(pthread_self(), "hk-http-guard");
    struct epoll_event ev[64];
    int64_t next_check = hk_mono_ms() + TICK_MS;
    for (;;) {
        int64_t wait = next_check - hk_mono_ms();
        int n = epoll_wait(g->epfd, ev, 64, wait > 0 ? (int)wait : 0);
        pthread_mutex_lock(&g->lock);
        if (g->stop) {
            pthread_mutex_unlock(&g->lock);
            break;
        }
        int64_t now = hk_mono_ms();
        for (int i = 0; i < n; i++) {
            lingerer *l = ev[i].data.ptr;
            if (!l)
                continue; /* the wake-up eventfd */
            l->quiet = now + LINGER_QUIET_MS;
            if (drain(l->fd))
                stop_lingering(g, l);
        }
        if (now >= next_check) {
            check_deadlines(g, now);
            next_check = now + TICK_MS;
        }
        pthread_mutex_unlock(&g->lock);
    }
    return NULL;
}

/* ---- start and stop ---- */

hk_status hk_http_guard_start(const hk_http_guard_options *o, hk_http_guard **out, hk_error *err)
{
    *out = NULL;
    hk_http_guard *g = calloc(1, sizeof *g);
    unsigned nworkers = o->workers ? o->workers : 1;
    if (!g || !(g->workers = calloc(nworkers, sizeof *g->workers))) {
        free(g);
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory starting the HTTP guard");
    }
    g->o = *o;
    g->nworkers = nworkers;
    /* libmicrohttpd gives each polling thread limit / threads connections (the first
     * limit % threads one more); each keeps 1 in HEADROOM_DIVISOR free for newcomers. */
    unsigned share = o->max_connections / nworkers;
    unsigned headroom = share / HEADROOM_DIVISOR ? share / HEADROOM_DIVISOR : 1;
    for (unsigned i = 0; i < nworkers; i++)
        g->workers[i].soft_limit = share > headroom ? share - headroom : share;
    pthread_mutex_init(&g->lock, NULL);
    g->epfd = epoll_create1(EPOLL_CLOEXEC);
    g->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (g->epfd < 0 || g->wake < 0 || epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->wake, &ev) != 0 ||
        pthread_create(&g->thread, NULL, guard_main, g) != 0) {
        hk_error_set(err, HK_EIO, NULL, "cannot start the HTTP guard: %s", strerror(errno));
        if (g->epfd >= 0)
            close(g->epfd);
        if (g->wake >= 0)
            close(g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g->workers);
        free(g);
        return HK_EIO;
    }
    *out = g;
    return HK_OK;
}

void hk_http_guard_stop(hk_http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    pthread_mutex_unlock(&g->lock);
    uint64_t one = 1;
    if (write(g->wake, &one, sizeof one) < 0)
        hk_log_warn("http: cannot wake the guard thread: %s", strerror(errno));
    pthread_join(g->thread, NULL);
    while (g->lingering.head)
        stop_lingering(g, g->lingering.head);
    /* Connections libmicrohttpd did not report closed (it always does on stop). */
    while (g->all.head) {
        hk_http_conn *c = g->all.head;
        LIST_REMOVE(&g->all, c, all);
        free(c);
    }
    close(g->wake);
    close(g->epfd);
    pthread_mutex_destroy(&g->lock);
    free(g->workers);
    free(g);
}

void hk_http_guard_get_stats(hk_http_guard *g, hk_http_guard_stats *out)
{
    pthread_mutex_lock(&g->lock);
    *out = g->stats;
    out->lingering = g->nlingering;
    pthread_mutex_unlock(&g->lock);
}
