/*
 * bench_auth.c - the cost of recording keys' last use (domain/key_usage.c) on
 * the authentication hot path: api_auth_cached, what a polling thread runs for
 * every POST /graphql/v1 whose key is remembered, with no tracker ("off") and
 * with serve's tracker, its thread running ("on"), in alternating rounds in one
 * process so that the machine's noise hits both alike (which of the two goes
 * first alternates too). Each of --threads
 * threads authenticates with --keys keys in turn for --duration ms a round.
 *
 *   bench_auth [--threads N] [--keys N] [--rounds N] [--duration MS] [--dir DIR]
 *
 * Prints each round, the medians (per authentication: wall time x threads, and
 * the threads' CPU time, which the machine's other load does not inflate) and
 * one JSON line.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "domain/key_usage.h"

#define MAX_KEYS 64

typedef struct config {
    int threads, keys, rounds;
    int64_t duration_ms;
    const char *dir;
} config;

typedef struct bench {
    api *api;
    char auth[MAX_KEYS][HK_API_KEY_BUF + 16];
    int keys;
    int64_t until_ns;
    atomic_int failures;
} bench;

typedef struct worker {
    bench *b;
    int first;
    uint64_t calls;
    int64_t cpu_ns; /* the thread's CPU time: what other processes' load does not inflate */
} worker;

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    bench *b = w->b;
    api_caller who;
    int k = w->first;
    int64_t cpu0 = thread_cpu_ns();
    while (hk_mono_ns() < b->until_ns) {
        for (int i = 0; i < 256; i++) {
            const char *auth = b->auth[k];
            k = (k + 1) % b->keys;
            api_auth r = api_auth_cached(b->api, auth, &who);
            if (r == API_AUTH_LOOKUP) /* the 5 s cache ran out: as the server would */
                r = api_auth_lookup(b->api, auth, &who);
            if (r != API_AUTH_OK)
                atomic_fetch_add(&b->failures, 1);
        }
        w->calls += 256;
    }
    w->cpu_ns = thread_cpu_ns() - cpu0;
    return NULL;
}

typedef struct result {
    double wall_ns; /* per authentication: wall time x threads / calls */
    double cpu_ns;  /* per authentication: the threads' CPU time / calls */
} result;

static result run_round(const config *cfg, bench *b)
{
    pthread_t th[64];
    worker w[64];
    int64_t t0 = hk_mono_ns();
    b->until_ns = t0 + cfg->duration_ms * 1000000;
    for (int i = 0; i < cfg->threads; i++) {
        w[i] = (worker){b, i % b->keys, 0, 0};
        pthread_create(&th[i], NULL, run_worker, &w[i]);
    }
    uint64_t calls = 0;
    int64_t cpu = 0;
    for (int i = 0; i < cfg->threads; i++) {
        pthread_join(th[i], NULL);
        calls += w[i].calls;
        cpu += w[i].cpu_ns;
    }
    double ns = (double)(hk_mono_ns() - t0);
    if (!calls)
        return (result){0, 0};
    return (result){ns * cfg->threads / (double)calls, (double)cpu / (double)calls};
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool parse_args(int argc, char **argv, config *cfg)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'}, {"keys", required_argument, NULL, 'k'},
        {"rounds", required_argument, NULL, 'r'},  {"duration", required_argument, NULL, 'd'},
        {"dir", required_argument, NULL, 'D'},     {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            cfg->threads = atoi(optarg);
            break;
        case 'k':
            cfg->keys = atoi(optarg);
            break;
        case 'r':
            cfg->rounds = atoi(optarg);
            break;
        case 'd':
            cfg->duration_ms = atoll(optarg);
            break;
        case 'D':
            cfg->dir = optarg;
            break;
        default:
            return false;
        }
    }
    return cfg->threads >= 1 && cfg->threads <= 64 && cfg->keys >= 1 && cfg->keys <= 32 &&
           cfg->rounds >= 1 && cfg->rounds <= 100 && cfg->duration_ms >= 10;
}

/* A store with cfg->keys keys, each remembered by the API (looked up once). */
static bool set_up(const config *cfg, hk_store *store, bench *b, hk_error *err)
{
    b->keys = 0;
    while (b->keys < cfg->keys) {
        hk_bootstrap_result r;
        if (hk_workspace_bootstrap(store, "bench", &r, err))
            return false;
        snprintf(b->auth[b->keys], sizeof b->auth[b->keys], "Bearer %s", r.api_key);
        api_caller who;
        if (api_auth_lookup(b->api, b->auth[b->keys++], &who) != API_AUTH_OK)
            return false;
    }
    return b->keys == cfg->keys;
}

int main(int argc, char **argv)
{
    config cfg = {.threads = 2, .keys = 8, .rounds = 5, .duration_ms = 2000, .dir = NULL};
    if (!parse_args(argc, argv, &cfg)) {
        fprintf(stderr, "usage: bench_auth [--threads 1-64] [--keys 1-32] [--rounds 1-100] "
                        "[--duration MS] [--dir DIR]\n");
        return 2;
    }
    hk_log_set_level(HK_LOG_WARN);
    char dir[] = "/tmp/hookd-bench-auth-XXXXXX";
    const char *data = cfg.dir ? cfg.dir : mkdtemp(dir);
    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = data;
    o.durable = false;
    hk_store *store = NULL;
    hk_key_usage *usage = NULL;
    bench *b = calloc(1, sizeof *b);
    hk_error err;
    hk_error_clear(&err);
    int rc = 1;
    if (!b || !data || hk_store_open(&o, &store, &err) || api_new(store, &b->api, &err) ||
        !set_up(&cfg, store, b, &err) || hk_key_usage_new(store, NULL, &usage, &err) ||
        hk_key_usage_start(usage, &err)) {
        fprintf(stderr, "bench_auth: cannot set up: %s\n", err.message);
        goto out;
    }
    double off[100], on[100], off_cpu[100], on_cpu[100];
    printf("bench_auth: %d threads, %d keys, %d rounds of %lld ms, %ld CPUs\n", cfg.threads,
           cfg.keys, cfg.rounds, (long long)cfg.duration_ms, sysconf(_SC_NPROCESSORS_ONLN));
    for (int r = 0; r < cfg.rounds; r++) {
        /* Which goes first alternates, so that a drift of the machine favours neither. */
        for (int half = 0; half < 2; half++) {
            bool tracked = (half == 0) == (r % 2 == 1);
            api_track_key_usage(b->api, tracked ? usage : NULL);
            result res = run_round(&cfg, b);
            *(tracked ? &on[r] : &off[r]) = res.wall_ns;
            *(tracked ? &on_cpu[r] : &off_cpu[r]) = res.cpu_ns;
        }
        printf("round %d: off %.1f ns (CPU %.1f), on %.1f ns (CPU %.1f) per authentication\n",
               r + 1, off[r], off_cpu[r], on[r], on_cpu[r]);
    }
    hk_key_usage_stats s;
    hk_key_usage_get_stats(usage, &s);
    double m_off = median(off, cfg.rounds), m_on = median(on, cfg.rounds);
    double c_off = median(off_cpu, cfg.rounds), c_on = median(on_cpu, cfg.rounds);
    printf("median wall: off %.1f ns, on %.1f ns: %+.1f ns (%+.1f%%) per authentication\n", m_off,
           m_on, m_on - m_off, 100 * (m_on - m_off) / m_off);
    printf("median CPU:  off %.1f ns, on %.1f ns: %+.1f ns (%+.1f%%) per authentication\n", c_off,
           c_on, c_on - c_off, 100 * (c_on - c_off) / c_off);
    printf("%llu uses passed to the tracker, %llu written\n", (unsigned long long)s.noted,
           (unsigned long long)s.written);
    printf("{\"bench\":\"auth\",\"threads\":%d,\"keys\":%d,\"rounds\":%d,\"off_ns\":%.1f,"
           "\"on_ns\":%.1f,\"off_cpu_ns\":%.1f,\"on_cpu_ns\":%.1f,\"noted\":%llu,"
           "\"written\":%llu,\"failures\":%d}\n",
           cfg.threads, cfg.keys, cfg.rounds, m_off, m_on, c_off, c_on, (unsigned long long)s.noted,
           (unsigned long long)s.written, atomic_load(&b->failures));
    rc = atomic_load(&b->failures) ? 1 : 0;
out:
    hk_key_usage_stop(usage);
    if (b)
        api_free(b->api);
    hk_key_usage_free(usage);
    hk_store_close(store);
    free(b);
    if (!cfg.dir && data) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", data);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_auth: cannot remove %s\n", data);
    }
    return rc;
}
