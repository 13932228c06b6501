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

#endif
