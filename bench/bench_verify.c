/*
 * bench_verify.c - verify+parse throughput of libhookd-verify on Plain's
 * example bodies (bench/verify_bench.sh runs it beside the SDK).
 *
 *   bench_verify [--data DIR] [--count N] [--rounds R] [--write FILE]
 *
 * The four bodies of DIR/plain/webhook-examples (default tests/data, or
 * $HOOKD_TEST_DATA) are taken byte for byte, with the webhook version set
 * to 2026-02-27 (the one built into the SDK, so that both sides do the full
 * work) and the attempt timestamp set to now, and signed. Each round calls
 * hk_verify_webhook (signature, JSON, schema, time; default options: the
 * real clock) N times, cycling through the bodies, and frees each result;
 * every call must succeed. Prints each round and the median in ops/s.
 * --write FILE writes the signed bodies as JSON lines {"body","signature"}
 * for bench/verify_sdk.mjs, so that both time the same bytes.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hookd/verify.h"

#define SECRET "whsec_bench_0123456789abcdef"
#define N_BODIES 4
#define MAX_ROUNDS 101

static const char *const examples[N_BODIES] = {
    "customer-created.json",
    "customer-updated.json",
    "customer-deleted.json",
    "customer-group-changed.json",
};

typedef struct body {
    char *data;
    size_t len;
    char sig[65];
} body;

static void die(const char *what)
{
    fprintf(stderr, "bench_verify: %s\n", what);
    exit(1);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        die("read");
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Overwrites the string value after `key` (same length, so nothing moves). */
static void replace_value(char *data, const char *key, const char *value)
{
    char *at = strstr(data, key);
    if (!at || !(at = strchr(at + strlen(key), '"')))
        die(key);
    at++;
    char *end = strchr(at, '"');
    if (!end || (size_t)(end - at) != strlen(value))
        die("the example's value has another length");
    memcpy(at, value, strlen(value));
}

static void sign(body *b)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)b->data, b->len, mac,
         &n);
    for (int i = 0; i < 32; i++) {
        b->sig[2 * i] = hex[mac[i] >> 4];
        b->sig[2 * i + 1] = hex[mac[i] & 15];
    }
    b->sig[64] = '\0';
}

static void load_bodies(const char *dir, body bodies[N_BODIES])
{
    char path[1024], now[32];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(now + n, sizeof now - n, ".%03ldZ", ts.tv_nsec / 1000000);
    for (int i = 0; i < N_BODIES; i++) {
        snprintf(path, sizeof path, "%s/plain/webhook-examples/%s", dir, examples[i]);
        bodies[i].data = read_file(path, &bodies[i].len);
        replace_value(bodies[i].data, "\"webhookTargetVersion\":", "2026-02-27");
        replace_value(bodies[i].data, "\"webhookDeliveryAttemptTimestamp\":", now);
        sign(&bodies[i]);
    }
}

static void write_bodies(const char *path, const body bodies[N_BODIES])
{
    FILE *f = fopen(path, "w");
    if (!f)
        die(path);
    for (int i = 0; i < N_BODIES; i++) {
        json_t *line = json_pack("{s:s%, s:s}", "body", bodies[i].data, bodies[i].len, "signature",
                                 bodies[i].sig);
        if (!line || json_dumpf(line, f, JSON_COMPACT) != 0)
            die("write");
        fputc('\n', f);
        json_decref(line);
    }
    if (fclose(f) != 0)
        die(path);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One round: count verifications; returns ops/s. */
static double round_ops(const body bodies[N_BODIES], long count)
{
    double t0 = now_s();
    for (long i = 0; i < count; i++) {
        const body *b = &bodies[i % N_BODIES];
        hk_webhook *wh = NULL;
        hk_verify_result r =
            hk_verify_webhook(b->data, b->len, b->sig, SECRET, strlen(SECRET), NULL, &wh);
        if (r != HK_VERIFY_OK)
            die(hk_verify_strerror(r));
        hk_webhook_free(wh);
    }
    return (double)count / (now_s() - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("HOOKD_TEST_DATA") ? getenv("HOOKD_TEST_DATA") : "tests/data";
    const char *write_to = NULL;
    long count = 100000;
    int rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--data") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--count") == 0)
            count = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--write") == 0)
            write_to = argv[i + 1];
        else
            die("usage: bench_verify [--data DIR] [--count N] [--rounds R] [--write FILE]");
    }
    if (count <= 0 || rounds <= 0 || rounds > MAX_ROUNDS)
        die("--count must be > 0, --rounds 1..101");
    body bodies[N_BODIES];
    load_bodies(dir, bodies);
    if (write_to)
        write_bodies(write_to, bodies);
    double ops[MAX_ROUNDS];
    round_ops(bodies, count < 1000 ? count : 1000); /* warm caches and the allocator */
    for (int r = 0; r < rounds; r++) {
        ops[r] = round_ops(bodies, count);
        printf("round %d: %.0f verifications/s\n", r + 1, ops[r]);
    }
    qsort(ops, (size_t)rounds, sizeof ops[0], cmp_double);
    size_t bytes = 0;
    for (int i = 0; i < N_BODIES; i++)
        bytes += bodies[i].len;
    printf("libhookd-verify: median %.0f verifications/s (%.2f us each, %zu bytes/body avg)\n",
           ops[rounds / 2], 1e6 / ops[rounds / 2], bytes / N_BODIES);
    for (int i = 0; i < N_BODIES; i++)
        free(bodies[i].data);
    return 0;
}
