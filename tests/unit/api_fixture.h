/*
 * api_fixture.h - the harness of the API tests: a temporary store with
 * workspace "Acme" and a key with every permission, the API over it, and
 * GraphQL requests posted as JSON bodies through api_graphql.
 */
#ifndef HOOKD_TESTS_API_FIXTURE_H
#define HOOKD_TESTS_API_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/api.h"
#include "testutil.h"

typedef struct api_fixture {
    test_env *env;
    api *api;
    hk_bootstrap_result boot; /* workspace "Acme", a key with every permission */
    hk_ctx ctx;               /* that key's context, for domain-side setup */
    char auth[HK_API_KEY_BUF + 16];
} api_fixture;

/* "Bearer KEY" into out. */
static inline void api_bearer(char *out, size_t n, const char *key)
{
    snprintf(out, n, "Bearer %s", key);
}

/* cmocka setup: *state gets an api_fixture. */
static inline int api_fixture_setup(void **state)
{
    api_fixture *f = calloc(1, sizeof *f);
    hk_error err;
    if (!f || !(f->env = test_env_new()))
        return -1;
    if (hk_workspace_bootstrap(f->env->store, "Acme", &f->boot, &err) ||
        hk_auth_api_key(f->env->store, f->boot.api_key, strlen(f->boot.api_key), &f->ctx, &err) ||
        api_new(f->env->store, &f->api, &err)) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    api_bearer(f->auth, sizeof f->auth, f->boot.api_key);
    *state = f;
    return 0;
}

static inline int api_fixture_teardown(void **state)
{
    api_fixture *f = *state;
    api_free(f->api);
    test_env_free(f->env);
    free(f);
    return 0;
}

/* Posts {query, variables} (variables stolen, may be NULL) with `auth`;
 * returns the parsed response and the HTTP status. */
static inline json_t *api_send(api_fixture *f, const char *auth, const char *query,
                               json_t *variables, int *status)
{
    json_t *req = json_pack("{s:s}", "query", query);
    if (variables)
        json_object_set_new(req, "variables", variables);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    api_response r;
    assert_int_equal(api_graphql(f->api, auth, body, strlen(body), &r), HK_OK);
    free(body);
    json_t *res = json_loadb(r.body.data, r.body.len, 0, NULL);
    if (!res)
        fail_msg("not JSON: %.*s", (int)r.body.len, r.body.data);
    *status = r.http_status;
    hk_buf_free(&r.body);
    return res;
}

#endif
