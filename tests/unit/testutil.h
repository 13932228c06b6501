/*
 * testutil.h - shared helpers for tests that need a real store: a fresh
 * store in a temporary directory, a bootstrapped workspace and removal.
 */
#ifndef HOOKD_TESTS_TESTUTIL_H
#define HOOKD_TESTS_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/domain.h"
#include "store/store_int.h"

typedef struct test_env {
    char dir[256];
    hk_store *store;
    hk_ctx ctx;   /* all permissions in workspace A */
    hk_ctx other; /* all permissions in workspace B */
    hk_arena *arena;
} test_env;

static inline void test_env_remove_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static inline hk_status test_env_open_store(test_env *e, bool durable)
{
    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = e->dir;
    o.durable = durable;
    hk_error err;
    hk_error_clear(&err);
    hk_status st = hk_store_open(&o, &e->store, &err);
    if (st)
        fprintf(stderr, "store open: %s\n", err.message);
    return st;
}

static inline hk_status test_env_workspace(test_env *e, hk_ctx *ctx)
{
    hk_bootstrap_result r;
    hk_error err;
    hk_status st = hk_workspace_bootstrap(e->store, "test", &r, &err);
    if (!st)
        st = hk_auth_api_key(e->store, r.api_key, strlen(r.api_key), ctx, &err);
    return st;
}

static inline test_env *test_env_new(void)
{
    test_env *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    snprintf(e->dir, sizeof e->dir, "/tmp/hookd-test-XXXXXX");
    if (!mkdtemp(e->dir) || test_env_open_store(e, false) || test_env_workspace(e, &e->ctx) ||
        test_env_workspace(e, &e->other)) {
        free(e);
        return NULL;
    }
    e->arena = hk_arena_new(0);
    return e;
}

static inline void test_env_free(test_env *e)
{
    if (!e)
        return;
    hk_arena_free(e->arena);
    hk_store_close(e->store);
    test_env_remove_dir(e->dir);
    free(e);
}

/* cmocka setup and teardown: a fresh test_env in *state. */
static inline int test_env_setup(void **state)
{
    test_env *e = test_env_new();
    if (!e)
        return -1;
    *state = e;
    return 0;
}

static inline int test_env_teardown(void **state)
{
    test_env_free(*state);
    return 0;
}

/* An upsert by email that creates the customer `name` with that email. */
static inline hk_upsert_customer_input test_by_email(const char *email, const char *name)
{
    hk_upsert_customer_input in = {
        .identifier_kind = HK_CUSTOMER_BY_EMAIL,
        .identifier = email,
        .on_create = {.full_name = name, .email = email},
    };
    return in;
}

static inline store_counts test_counts(test_env *e, const hk_ctx *ctx)
{
    store_counts c;
    hk_error err;
    if (store_counts_get(e->store, ctx->workspace_id, &c, &err))
        memset(&c, 0xff, sizeof c);
    return c;
}

#endif
