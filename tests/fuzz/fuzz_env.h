/*
 * fuzz_env.h - what the store-backed fuzzers (fuzz_graphql_request, fuzz_http)
 * share: a real SQLite store in a fresh temporary directory, not durable (no
 * fsync: a fuzzer runs thousands of mutations a second and needs none on
 * disk), a bootstrapped workspace with a key holding every permission, and
 * hookd's API over it. The directory is removed when the environment is.
 */
#ifndef HOOKD_TESTS_FUZZ_ENV_H
#define HOOKD_TESTS_FUZZ_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/log.h"
#include "domain/domain.h"
#include "store/store.h"

typedef struct fuzz_env {
    char dir[64];
    hk_store *store;
    api *api;
    hk_bootstrap_result boot;
    char auth[HK_API_KEY_BUF + 16]; /* "Bearer <key>" */
} fuzz_env;

static inline void fuzz_env_die(const char *what, const hk_error *err)
{
    fprintf(stderr, "fuzz set-up: %s: %s\n", what, err ? err->message : "");
    abort();
}

static inline void fuzz_env_open(fuzz_env *e)
{
    hk_error err;
    hk_error_clear(&err);
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/hookd-fuzz-XXXXXX");
    if (!mkdtemp(e->dir))
        fuzz_env_die("mkdtemp", NULL);
    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = e->dir;
    o.durable = false;
    o.readers = 2; /* a fuzzer is one thread; the default pool is sized for a server */
    if (hk_store_open(&o, &e->store, &err))
        fuzz_env_die("store", &err);
    if (hk_workspace_bootstrap(e->store, "Fuzz", &e->boot, &err))
        fuzz_env_die("bootstrap", &err);
    if (api_new(e->store, &e->api, &err))
        fuzz_env_die("api", &err);
    snprintf(e->auth, sizeof e->auth, "Bearer %s", e->boot.api_key);
}

static inline void fuzz_env_close(fuzz_env *e)
{
    char cmd[128];
    api_free(e->api);
    hk_store_close(e->store);
    e->api = NULL;
    e->store = NULL;
    if (e->dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", e->dir);
        e->dir[0] = '\0';
    }
}

/* Libraries log at INFO by default; a fuzzer's inputs would flood stderr. */
static inline void fuzz_env_quiet(void)
{
    hk_log_set_level(HK_LOG_OFF);
}

/* A placeholder in a seed ("@KEY@", "@CUSTOMER_ID@") and what replaces it. */
typedef struct fuzz_sub {
    const char *name;
    const char *value;
} fuzz_sub;

/* The input with every placeholder of subs[0..n) replaced (malloc'd, NUL-terminated, length
 * in *len); other bytes, a lone '@' included, are copied as they are. NULL when out of memory. */
static inline char *fuzz_substitute(const uint8_t *data, size_t size, const fuzz_sub *subs,
                                    size_t n, size_t *len)
{
    hk_buf b;
    hk_buf_init(&b, 0);
    size_t i = 0;
    while (i < size) {
        const uint8_t *at = memchr(data + i, '@', size - i);
        size_t upto = at ? (size_t)(at - data) : size;
        (void)hk_buf_append(&b, (const char *)data + i, upto - i);
        i = upto;
        if (!at)
            break;
        size_t k = 0;
        while (k < n && !(size - i >= strlen(subs[k].name) &&
                          memcmp(data + i, subs[k].name, strlen(subs[k].name)) == 0))
            k++;
        if (k < n) {
            (void)hk_buf_append(&b, subs[k].value, strlen(subs[k].value));
            i += strlen(subs[k].name);
        } else {
            (void)hk_buf_append(&b, "@", 1);
            i++;
        }
    }
    if (b.err != HK_OK) {
        hk_buf_free(&b);
        return NULL;
    }
    return hk_buf_steal(&b, len);
}

#endif
