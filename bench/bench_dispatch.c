/*
 * bench_dispatch.c - how fast the dispatcher drains a backlog: committed,
 * signed deliveries -> 2xx at a receiver, with nothing else running.
 *
 * Each round: a fresh durable store, a workspace with an HMAC secret, one
 * target (the receiver's URL) subscribed to customer.customer_created, and
 * --count customers upserted through the domain API (so --count pending
 * deliveries). Then the dispatcher starts, and the round's time runs from
 * its start until it has recorded --count successful attempts. This is the
 * delivery engine alone (claim, load, sign, send, record), without the
 * HTTP API competing for the CPUs: bench/delivery_bench.sh measures both
 * together.
 *
 *   bench_dispatch --url URL [--count N] [--rounds N] [--dir DIR]
 *                  [--per-target N] [--max-in-flight N] [--claim-batch N]
 *                  [--targets N] [--database-url URL [--nodes N]]
 *
 * --targets N: N targets subscribed (URL + "-t1" ... "-tN"), so each event
 * fans out to N deliveries; --count is then the deliveries, count / N events.
 *
 * --database-url URL: the store is PostgreSQL (a fresh schema of that
 * database per round) instead of SQLite in DIR; --nodes N (PostgreSQL): N
 * dispatchers, each on a store (connections) of its own on that schema, as
 * N hookd nodes would be, draining the one backlog together.
 *
 * Prints a line per round and a JSON summary (median). Exits 1 if a round
 * does not finish within 120 s or an attempt fails.
 */
#include <getopt.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "delivery/dispatcher.h"
#include "domain/domain.h"

#define UPSERT_THREADS 16
#define ROUND_LIMIT_MS 120000
#define MAX_NODES 8

typedef struct config {
    const char *url;
    int count;
    int rounds;
    const char *dir;
    size_t per_target;
    size_t max_in_flight;
    size_t claim_batch;
    int targets;
    const char *database_url; /* PostgreSQL, NULL: SQLite in dir */
    int nodes;
} config;

/* The URL of a fresh schema "bench_<pid>_<round>" of cfg->database_url, in out. */
static int pg_schema(const config *cfg, int round, char *out, size_t size)
{
    char schema[64], sql[256];
    snprintf(schema, sizeof schema, "bench_%ld_%d", (long)getpid(), round);
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
    PGconn *pg = PQconnectdb(cfg->database_url);
    PGresult *r = PQexec(pg, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "bench_dispatch: %s", PQerrorMessage(pg));
    PQclear(r);
    PQfinish(pg);
    snprintf(out, size, "%s%soptions=-csearch_path%%3D%s", cfg->database_url,
             strchr(cfg->database_url, '?') ? "&" : "?", schema);
    return ok ? 0 : -1;
}

static hk_status open_store(const config *cfg, const char *dir, const char *url, hk_store **out,
                            hk_error *err)
{
    hk_store_options o;
    hk_store_options_init(&o);
    if (url)
        o.database_url = url;
    else
        o.data_dir = dir;
    o.durable = !getenv("BENCH_NO_SYNC"); /* diagnostics: what fsync costs */
    return hk_store_open(&o, out, err);
}

typedef struct filler {
    const hk_ctx *ctx;
    int first, n, round, failures;
} filler;

static void *fill(void *arg)
{
    filler *f = arg;
    hk_arena *a = hk_arena_new(0);
    for (int i = f->first; i < f->first + f->n; i++) {
        char email[64];
        snprintf(email, sizeof email, "r%d-c%d@example.com", f->round, i);
        hk_upsert_customer_input in = {
            .identifier_kind = HK_CUSTOMER_BY_EMAIL,
            .identifier = email,
            .on_create = {.full_name = "Bench Customer", .short_name = "Bench", .email = email},
        };
        hk_upsert_result r;
        hk_customer c;
        hk_error err;
        if (hk_customer_upsert(f->ctx, &in, a, &r, &c, &err) != HK_OK)
            f->failures++;
        hk_arena_reset(a);
    }
    hk_arena_free(a);
    return NULL;
}

/* A store with `count` pending deliveries to cfg->url; with PostgreSQL,
 * `db_url` (1024 bytes) gets its schema's URL, for the other nodes. */
static int prepare(const config *cfg, int round, hk_store **out, char *db_url)
{
    char dir[512], cmd[600];
    snprintf(dir, sizeof dir, "%s/round-%d", cfg->dir, round);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return -1;
    if (cfg->database_url && pg_schema(cfg, round, db_url, 1024))
        return -1;
    hk_error err;
    hk_bootstrap_result b;
    hk_ctx ctx;
    hk_store *store = NULL;
    hk_arena *a = hk_arena_new(0);
    const char *types[] = {"customer.customer_created"};
    hk_target_input tin = {.url = cfg->url,
                           .description = "bench",
                           .is_enabled = true,
                           .n_event_types = 1,
                           .event_types = types};
    hk_webhook_target t;
    hk_hmac_secret secret;
    bool ok = !open_store(cfg, dir, cfg->database_url ? db_url : NULL, &store, &err) &&
              !hk_workspace_bootstrap(store, "bench", &b, &err) &&
              !hk_auth_api_key(store, b.api_key, strlen(b.api_key), &ctx, &err) &&
              !hk_workspace_hmac_regenerate(&ctx, a, &secret, &err);
    for (int i = 0; ok && i < cfg->targets; i++) {
        char url[600];
        if (cfg->targets > 1)
            snprintf(url, sizeof url, "%s-t%d", cfg->url, i + 1);
        else
            snprintf(url, sizeof url, "%s", cfg->url);
        tin.url = url;
        ok = !hk_target_create(&ctx, &tin, a, &t, &err);
    }
    hk_arena_free(a);
    if (!ok) {
        fprintf(stderr, "bench_dispatch: %s\n", err.message);
        hk_store_close(store);
        return -1;
    }
    pthread_t th[UPSERT_THREADS];
    filler f[UPSERT_THREADS];
    int events = cfg->count / cfg->targets;
    int per = events / UPSERT_THREADS, failures = 0;
    for (int i = 0; i < UPSERT_THREADS; i++) {
        int n = i == UPSERT_THREADS - 1 ? events - per * i : per;
        f[i] = (filler){&ctx, per * i, n, round, 0};
        pthread_create(&th[i], NULL, fill, &f[i]);
    }
    for (int i = 0; i < UPSERT_THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += f[i].failures;
    }
    if (failures) {
        fprintf(stderr, "bench_dispatch: %d upserts failed\n", failures);
        hk_store_close(store);
        return -1;
    }
    *out = store;
    return 0;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Deliveries per second for one round, or a negative number on failure;
 * *cpu_us: the process's CPU time per delivery meanwhile. One dispatcher
 * per store (node); *st: their stats added up. */
static double drain(const config *cfg, hk_store **stores, int n_stores, hk_dispatcher_stats *st,
                    double *cpu_us)
{
    double cpu0 = cpu_seconds();
    hk_dispatcher_options o;
    hk_dispatcher_options_init(&o);
    o.allow_private_targets = true;
    if (cfg->per_target)
        o.per_target_in_flight = cfg->per_target;
    if (cfg->max_in_flight)
        o.max_in_flight = cfg->max_in_flight;
    if (cfg->claim_batch)
        o.claim_batch = cfg->claim_batch;
    hk_dispatcher *d[MAX_NODES] = {NULL};
    hk_error err;
    int64_t t0 = hk_mono_ns();
    for (int i = 0; i < n_stores; i++) {
        if (hk_dispatcher_start(stores[i], &o, &d[i], &err)) {
            fprintf(stderr, "bench_dispatch: %s\n", err.message);
            for (int k = 0; k < i; k++)
                hk_dispatcher_stop(d[k]);
            return -1;
        }
    }
    double rate = -1;
    for (;;) {
        memset(st, 0, sizeof *st);
        for (int i = 0; i < n_stores; i++) {
            hk_dispatcher_stats one;
            hk_dispatcher_get_stats(d[i], &one);
            st->recorded += one.recorded;
            st->attempts += one.attempts;
            st->succeeded += one.succeeded;
            st->record_batches += one.record_batches;
        }
        if (st->recorded >= (uint64_t)cfg->count) {
            rate = (double)cfg->count / ((double)(hk_mono_ns() - t0) / 1e9);
            break;
        }
        if ((hk_mono_ns() - t0) / 1000000 > ROUND_LIMIT_MS) {
            fprintf(stderr, "bench_dispatch: only %llu of %d recorded in %d s\n",
                    (unsigned long long)st->recorded, cfg->count, ROUND_LIMIT_MS / 1000);
            break;
        }
        usleep(200);
    }
    for (int i = 0; i < n_stores; i++)
        hk_dispatcher_stop(d[i]);
    *cpu_us = (cpu_seconds() - cpu0) * 1e6 / (double)cfg->count;
    if (st->succeeded != st->attempts) {
        fprintf(stderr, "bench_dispatch: %llu of %llu attempts failed\n",
                (unsigned long long)(st->attempts - st->succeeded),
                (unsigned long long)st->attempts);
        return -1;
    }
    return rate;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void)
{
    printf("usage: bench_dispatch --url URL [--count N] [--rounds N] [--dir DIR]\n"
           "                      [--per-target N] [--max-in-flight N] [--claim-batch N]\n"
           "                      [--targets N] [--database-url URL [--nodes N]]\n"
           "  Backlog drain rate of the dispatcher (deliveries/s). Defaults: 50000\n"
           "  deliveries, 3 rounds, DIR /tmp/hookd-bench-dispatch, dispatcher defaults.\n");
}

static int parse_args(int argc, char **argv, config *cfg)
{
    static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"rounds", required_argument, NULL, 'r'},
                                         {"dir", required_argument, NULL, 'd'},
                                         {"per-target", required_argument, NULL, 'p'},
                                         {"max-in-flight", required_argument, NULL, 'm'},
                                         {"claim-batch", required_argument, NULL, 'c'},
                                         {"targets", required_argument, NULL, 't'},
                                         {"database-url", required_argument, NULL, 'D'},
                                         {"nodes", required_argument, NULL, 'N'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            cfg->url = optarg;
            break;
        case 'n':
            cfg->count = atoi(optarg);
            break;
        case 'c':
            cfg->claim_batch = (size_t)atoi(optarg);
            break;
        case 't':
            cfg->targets = atoi(optarg);
            break;
        case 'r':
            cfg->rounds = atoi(optarg);
            break;
        case 'd':
            cfg->dir = optarg;
            break;
        case 'p':
            cfg->per_target = (size_t)atoi(optarg);
            break;
        case 'm':
            cfg->max_in_flight = (size_t)atoi(optarg);
            break;
        case 'D':
            cfg->database_url = optarg;
            break;
        case 'N':
            cfg->nodes = atoi(optarg);
            break;
        case 'h':
            usage();
            exit(0);
        default:
            usage();
            return -1;
        }
    }
    if (!cfg->url || cfg->rounds < 1 || cfg->rounds > 32 || cfg->targets < 1 || cfg->targets > 25 ||
        cfg->count / cfg->targets < UPSERT_THREADS || cfg->nodes < 1 || cfg->nodes > MAX_NODES ||
        (cfg->nodes > 1 && !cfg->database_url)) {
        usage();
        return -1;
    }
    cfg->count -= cfg->count % cfg->targets; /* whole events */
    return 0;
}

int main(int argc, char **argv)
{
    config cfg = {NULL, 50000, 3, "/tmp/hookd-bench-dispatch", 0, 0, 0, 1, NULL, 1};
    if (parse_args(argc, argv, &cfg))
        return 2;
    hk_log_set_level(HK_LOG_WARN);
    hk_domain_set_allow_private_targets(true); /* the receiver is on loopback */
    if (mkdir(cfg.dir, 0700) != 0 && access(cfg.dir, W_OK) != 0) {
        perror(cfg.dir);
        return 1;
    }
    double rates[32];
    hk_dispatcher_stats st = {0};
    for (int r = 0; r < cfg.rounds; r++) {
        hk_store *stores[MAX_NODES] = {NULL};
        char url[1024] = "";
        int64_t t0 = hk_mono_ns();
        if (prepare(&cfg, r, &stores[0], url))
            return 1;
        for (int i = 1; i < cfg.nodes; i++) {
            hk_error err;
            if (open_store(&cfg, NULL, url, &stores[i], &err)) {
                fprintf(stderr, "bench_dispatch: %s\n", err.message);
                return 1;
            }
        }
        fprintf(stderr, "round %d: %d deliveries pending after %.1f s\n", r + 1, cfg.count,
                (double)(hk_mono_ns() - t0) / 1e9);
        double cpu_us = 0;
        rates[r] = drain(&cfg, stores, cfg.nodes, &st, &cpu_us);
        for (int i = 0; i < cfg.nodes; i++)
            hk_store_close(stores[i]);
        if (rates[r] < 0)
            return 1;
        printf("round %d: %.0f deliveries/s, %.1f us CPU each (%llu record batches)\n", r + 1,
               rates[r], cpu_us, (unsigned long long)st.record_batches);
        fflush(stdout);
    }
    qsort(rates, (size_t)cfg.rounds, sizeof *rates, cmp_double);
    printf("{\"bench\":\"dispatch_backlog\",\"store\":\"%s\",\"nodes\":%d,\"count\":%d,"
           "\"rounds\":%d,\"median_per_s\":%.0f}\n",
           cfg.database_url ? "postgresql" : "sqlite", cfg.nodes, cfg.count, cfg.rounds,
           rates[cfg.rounds / 2]);
    return 0;
}
