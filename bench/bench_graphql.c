/*
 * bench_graphql.c - what the GraphQL engine's front half costs on real
 * documents, in process (no HTTP, no store): parse + validate of each
 * document in a directory (by default the SDK's documents, the fuzz seed
 * corpus tests/fuzz/corpus/graphql, which gen_corpus.mjs writes from what
 * Plain's SDK sends), against the schema hookd serves; and one execution
 * of a full introspection query, uncached and cached.
 *
 *   bench_graphql [--dir DIR] [--rounds N] [--introspection FILE]
 *
 * Prints, per document, the median over 5 rounds of the mean time of N
 * parse+validate runs, then the total over all documents.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "graphql/graphql_int.h"

extern const char hk_api_schema_sdl[];
extern const size_t hk_api_schema_sdl_len;

#define ROUNDS_MEDIAN 5

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Mean µs of `rounds` parse+validate runs, median of ROUNDS_MEDIAN; -1 if invalid. */
static double front_half_us(const gql_schema *s, const char *src, size_t len, int rounds)
{
    gql_limits lim;
    double t[ROUNDS_MEDIAN];
    gql_limits_resolve(NULL, &lim);
    for (int r = 0; r < ROUNDS_MEDIAN; r++) {
        int64_t start = (hk_mono_ns() / 1000);
        for (int i = 0; i < rounds; i++) {
            hk_arena *a = hk_arena_new((size_t)32 << 20);
            gql_document *doc = NULL;
            gql_syntax_err serr = {0};
            gql_errlist errs;
            gql_errs_init(&errs, a, lim.max_errors);
            hk_status st = gql_parse_document(src, len, lim.max_tokens, a, &doc, &serr);
            if (!st)
                st = gql_validate(s, doc, &lim, a, &errs);
            hk_arena_free(a);
            if (st)
                return -1;
        }
        t[r] = (double)((hk_mono_ns() / 1000) - start) / rounds;
    }
    qsort(t, ROUNDS_MEDIAN, sizeof t[0], cmp_double);
    return t[ROUNDS_MEDIAN / 2];
}

static double execute_us(const gql_schema *s, const char *src, size_t len, size_t *bytes)
{
    hk_arena *a = hk_arena_new((size_t)32 << 20);
    hk_buf out;
    gql_outcome o;
    hk_buf_init(&out, 0);
    gql_request req = {.query = src, .query_len = len, .arena = a};
    int64_t start = (hk_mono_ns() / 1000);
    hk_status st = gql_execute(s, &req, &out, &o);
    double us = (double)((hk_mono_ns() / 1000) - start);
    *bytes = out.len;
    if (st || o.http_status != 200)
        us = -1;
    hk_buf_free(&out);
    hk_arena_free(a);
    return us;
}

int main(int argc, char **argv)
{
    const char *dir = "tests/fuzz/corpus/graphql", *intro = NULL;
    int rounds = 2000, opt;
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {"rounds", required_argument, NULL, 'r'},
                                         {"introspection", required_argument, NULL, 'i'},
                                         {NULL, 0, NULL, 0}};
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'd')
            dir = optarg;
        else if (opt == 'r')
            rounds = atoi(optarg) > 0 ? atoi(optarg) : 1;
        else if (opt == 'i')
            intro = optarg;
        else
            return 2;
    }
    gql_schema *s;
    hk_error err;
    hk_error_clear(&err);
    int64_t t0 = (hk_mono_ns() / 1000);
    if (gql_schema_new(hk_api_schema_sdl, hk_api_schema_sdl_len, &s, &err)) {
        fprintf(stderr, "bench_graphql: schema: %s\n", err.message);
        return 1;
    }
    printf("schema load: %.2f ms (%zu types)\n", (double)((hk_mono_ns() / 1000) - t0) / 1000,
           s->ntypes);

    DIR *d = opendir(dir);
    struct dirent *e;
    double total = 0;
    int ndocs = 0, skipped = 0;
    if (!d) {
        fprintf(stderr, "bench_graphql: cannot open %s\n", dir);
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        size_t len;
        if (!strstr(e->d_name, ".graphql") || strncmp(e->d_name, "sdl_", 4) == 0 ||
            strncmp(e->d_name, "limit_", 6) == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *src = slurp(path, &len);
        double us = src ? front_half_us(s, src, len, rounds) : -1;
        if (us < 0) {
            skipped++;
        } else {
            printf("  %-32s %6zu bytes  %7.2f us parse+validate\n", e->d_name, len, us);
            total += us;
            ndocs++;
        }
        free(src);
    }
    closedir(d);
    printf("%d documents: %.1f us parse+validate in all, %.2f us each on average (%d invalid "
           "or unreadable, skipped)\n",
           ndocs, total, ndocs ? total / ndocs : 0, skipped);

    if (intro) {
        size_t len, bytes = 0;
        char *src = slurp(intro, &len);
        if (!src) {
            fprintf(stderr, "bench_graphql: cannot read %s\n", intro);
            return 1;
        }
        double first = execute_us(s, src, len, &bytes);
        double cached = execute_us(s, src, len, &bytes);
        double fresh[ROUNDS_MEDIAN];
        for (int r = 0; r < ROUNDS_MEDIAN; r++) { /* a new comment each time: not cached */
            char *v = malloc(len + 32);
            int n = snprintf(v, len + 32, "%s\n# %d", src, r);
            fresh[r] = execute_us(s, v, (size_t)n, &bytes);
            free(v);
        }
        qsort(fresh, ROUNDS_MEDIAN, sizeof fresh[0], cmp_double);
        printf("introspection (%zu bytes answer): first %.2f ms, uncached median %.2f ms, cached "
               "%.3f ms\n",
               bytes, first / 1000, fresh[ROUNDS_MEDIAN / 2] / 1000, cached / 1000);
        free(src);
    }
    gql_schema_free(s);
    return 0;
}
