/*
 * bench_store.c - durable upserts per second through the domain/store API
 * alone (no HTTP): each upsert creates a customer, its customer_created
 * event and one pending delivery per subscribed target, committed with
 * synchronous=FULL.
 *
 * Runs group commit (the default writer) and, side by side in the same
 * process and on the same disk, a baseline with one commit per mutation
 * (max_batch=1), alternating rounds so machine noise hits both alike.
 *
 *   bench_store [--threads N] [--count N] [--rounds N] [--targets N] [--dir DIR]
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "domain/domain.h"

typedef struct config {
    int threads;
    int count; /* upserts per round */
    int rounds;
    int targets;
    const char *dir;
    bool no_sync; /* diagnostics: synchronous=OFF shows the CPU ceiling */
} config;

typedef struct worker {
    const hk_ctx *ctx;
    int first, n;
    int round;
    int failures;
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    hk_arena *a = hk_arena_new(0);
    for (int i = w->first; i < w->first + w->n; i++) {
        char email[64];
        snprintf(email, sizeof email, "r%d-c%d@example.com", w->round, i);
        hk_upsert_customer_input in = {
            .identifier_kind = HK_CUSTOMER_BY_EMAIL,
            .identifier = email,
            .on_create = {.full_name = "Bench Customer", .short_name = "Bench", .email = email},
        };
        hk_upsert_result r;
        hk_customer c;
        hk_error err;
        if (hk_customer_upsert(w->ctx, &in, a, &r, &c, &err) != HK_OK || r != HK_UPSERT_CREATED)
            w->failures++;
        hk_arena_reset(a);
    }
    hk_arena_free(a);
    return NULL;
}

/* One round: cfg->count upserts over cfg->threads threads. Returns per second. */
static double run_round(const config *cfg, const hk_ctx *ctx, int round, int *failures)
{
    pthread_t *th = calloc((size_t)cfg->threads, sizeof *th);
    worker *w = calloc((size_t)cfg->threads, sizeof *w);
    int per = cfg->count / cfg->threads;
    int64_t t0 = hk_mono_ns();
    for (int i = 0; i < cfg->threads; i++) {
        w[i] = (worker){ctx, i * per, per, round, 0};
        pthread_create(&th[i], NULL, run_worker, &w[i]);
    }
    for (int i = 0; i < cfg->threads; i++) {
        pthread_join(th[i], NULL);
        *failures += w[i].failures;
    }
    double secs = (double)(hk_mono_ns() - t0) / 1e9;
    free(th);
    free(w);
    return (double)(per * cfg->threads) / secs;
}

typedef struct side {
    const char *name;
    size_t max_batch;
    char dir[512];
    hk_store *store;
    hk_ctx ctx;
    double rates[64];
} side;

static int open_side(const config *cfg, side *s)
{
    snprintf(s->dir, sizeof s->dir, "%s/%s", cfg->dir, s->name);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        return -1;
    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = s->dir;
    o.durable = !cfg->no_sync;
    o.max_batch = s->max_batch;
    hk_error err;
    hk_bootstrap_result b;
    if (hk_store_open(&o, &s->store, &err) ||
        hk_workspace_bootstrap(s->store, "bench", &b, &err) ||
        hk_auth_api_key(s->store, b.api_key, strlen(b.api_key), &s->ctx, &err)) {
        fprintf(stderr, "bench: %s\n", err.message);
        return -1;
    }
    const char *types[] = {"customer.customer_created"};
    for (int i = 0; i < cfg->targets; i++) {
        hk_target_input in = {.url = "https://example.com/hook", .description = "bench",
                              .is_enabled = true, .n_event_types = 1, .event_types = types};
        hk_webhook_target t;
        hk_arena *a = hk_arena_new(0);
        hk_status st = hk_target_create(&s->ctx, &in, a, &t, &err);
        hk_arena_free(a);
        if (st) {
            fprintf(stderr, "bench: %s\n", err.message);
            return -1;
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    double tmp[64];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static void usage(void)
{
    printf("usage: bench_store [--threads N] [--count N] [--rounds N] [--targets N] [--dir DIR] [--no-sync]\n"
           "  Durable upserts/s (each with its event and deliveries), group commit vs one\n"
           "  commit per mutation, alternating rounds. Defaults: 32 threads, 40000 upserts\n"
           "  per round (baseline: a tenth), 5 rounds, 1 target, DIR /tmp/hookd-bench.\n");
}

static int parse_args(int argc, char **argv, config *cfg)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'}, {"count", required_argument, NULL, 'n'},
        {"rounds", required_argument, NULL, 'r'},  {"targets", required_argument, NULL, 'k'},
        {"dir", required_argument, NULL, 'd'},     {"help", no_argument, NULL, 'h'},
        {"no-sync", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't': cfg->threads = atoi(optarg); break;
        case 'n': cfg->count = atoi(optarg); break;
        case 'r': cfg->rounds = atoi(optarg); break;
        case 'k': cfg->targets = atoi(optarg); break;
        case 'd': cfg->dir = optarg; break;
        case 's': cfg->no_sync = true; break;
        case 'h': usage(); exit(0);
        default: usage(); return -1;
        }
    }
    if (cfg->threads < 1 || cfg->count < cfg->threads || cfg->rounds < 1 || cfg->rounds > 64 ||
        cfg->targets < 0 || cfg->targets > HK_MAX_TARGETS_PER_WORKSPACE) {
        fprintf(stderr, "bench_store: bad arguments\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    config cfg = {32, 40000, 5, 1, "/tmp/hookd-bench", false};
    if (parse_args(argc, argv, &cfg))
        return 2;
    hk_log_set_level(HK_LOG_WARN);
    if (mkdir(cfg.dir, 0700) != 0 && access(cfg.dir, W_OK) != 0) {
        perror(cfg.dir);
        return 1;
    }
    side group = {.name = "group-commit", .max_batch = 0};
    side single = {.name = "commit-per-mutation", .max_batch = 1};
    if (open_side(&cfg, &group) || open_side(&cfg, &single))
        return 1;
    config base = cfg;
    base.count = cfg.count / 10 < cfg.threads ? cfg.threads : cfg.count / 10;
    int failures = 0;
    for (int r = 0; r < cfg.rounds; r++) {
        group.rates[r] = run_round(&cfg, &group.ctx, r, &failures);
        single.rates[r] = run_round(&base, &single.ctx, r, &failures);
        printf("round %d: group-commit %.0f/s, commit-per-mutation %.0f/s\n", r + 1,
               group.rates[r], single.rates[r]);
    }
    double g = median(group.rates, cfg.rounds), s = median(single.rates, cfg.rounds);
    hk_store_stats st;
    hk_store_get_stats(group.store, &st);
    printf("{\"bench\":\"store_upsert\",\"threads\":%d,\"targets\":%d,\"rounds\":%d,"
           "\"durable\":%s,\"group_commit_per_s\":%.0f,\"commit_per_mutation_per_s\":%.0f,"
           "\"ratio\":%.1f,\"mean_batch\":%.1f,\"failures\":%d}\n",
           cfg.threads, cfg.targets, cfg.rounds, cfg.no_sync ? "false" : "true", g, s, g / s,
           st.commits ? (double)st.mutations / (double)st.commits : 0.0, failures);
    hk_store_close(group.store);
    hk_store_close(single.store);
    return failures ? 1 : 0;
}
