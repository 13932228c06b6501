/*
 * test_api_request.c - one request's way through the API apart from its
 * GraphQL: the key checked before the body is read (api_auth_cached never
 * touches the store, api_auth_lookup does), the body sized before it is
 * parsed, answers that report the server's own failures
 * (api_response.internal_error) although Plain's format answers them 200,
 * and each authenticated request noting its key's use (key_usage.h).
 */
#include "api_fixture.h"

#include "core/clock.h"
#include "core/crypto.h"
#include "store/store_int.h"

static void test_auth_before_the_body(void **state)
{
    api_fixture *f = *state;
    api_caller who;
    /* No key, another scheme, an empty Bearer: refused without the store. */
    assert_int_equal(api_auth_cached(f->api, NULL, &who), API_AUTH_REFUSED);
    assert_int_equal(api_auth_cached(f->api, "Basic abc", &who), API_AUTH_REFUSED);
    assert_int_equal(api_auth_cached(f->api, "Bearer   ", &who), API_AUTH_REFUSED);
    /* A key not seen yet must be looked up; then it is remembered. */
    assert_int_equal(api_auth_cached(f->api, f->auth, &who), API_AUTH_LOOKUP);
    assert_int_equal(api_auth_lookup(f->api, f->auth, &who), API_AUTH_OK);
    assert_string_equal(who.ctx.workspace_id, f->boot.workspace_id);
    memset(&who, 0xff, sizeof who);
    assert_int_equal(api_auth_cached(f->api, f->auth, &who), API_AUTH_OK);
    assert_string_equal(who.ctx.workspace_id, f->boot.workspace_id);
    assert_int_equal(who.ctx.permissions, f->ctx.permissions);
    /* A wrong key: looked up, refused, and never remembered as good. */
    const char *wrong = "Bearer hkey_wrongwrongwrongwrongwrongwrongwrongwrong";
    assert_int_equal(api_auth_cached(f->api, wrong, &who), API_AUTH_LOOKUP);
    assert_int_equal(api_auth_lookup(f->api, wrong, &who), API_AUTH_REFUSED);
    assert_int_equal(api_auth_cached(f->api, wrong, &who), API_AUTH_LOOKUP);

    /* The answers say which. */
    api_response r;
    api_auth_answer(API_AUTH_REFUSED, NULL, &r);
    assert_int_equal(r.http_status, 401);
    assert_false(r.internal_error);
    assert_non_null(strstr(r.body.data, "missing API key"));
    assert_non_null(strstr(r.body.data, "\"UNAUTHENTICATED\""));
    hk_buf_free(&r.body);
    api_auth_answer(API_AUTH_REFUSED, wrong, &r);
    assert_int_equal(r.http_status, 401);
    assert_non_null(strstr(r.body.data, "invalid API key"));
    hk_buf_free(&r.body);
    api_auth_answer(API_AUTH_FAILED, f->auth, &r);
    assert_int_equal(r.http_status, 500);
    assert_true(r.internal_error);
    hk_buf_free(&r.body);

    /* A request run as the caller found. */
    assert_int_equal(api_auth_lookup(f->api, f->auth, &who), API_AUTH_OK);
    const char *q = "{\"query\":\"{ myWorkspace { id } }\"}";
    assert_int_equal(api_graphql_as(f->api, &who, q, strlen(q), &r), HK_OK);
    assert_int_equal(r.http_status, 200);
    assert_non_null(strstr(r.body.data, f->boot.workspace_id));
    hk_buf_free(&r.body);
}

static uint64_t noted(hk_key_usage *u)
{
    hk_key_usage_stats s;
    hk_key_usage_get_stats(u, &s);
    return s.noted;
}

/* A request authenticated notes its key, whether the key was remembered or
 * looked up, a remembered key at most once a second (the lag is far inside the
 * tracker's minute, and the tracker's lock stays off the hot path); refused
 * requests note nothing. The use reaches the store only when flushed. */
static void test_authenticated_requests_note_their_key(void **state)
{
    api_fixture *f = *state;
    hk_key_usage *u;
    hk_error err;
    assert_int_equal(hk_key_usage_new(f->env->store, NULL, &u, &err), HK_OK);
    api_track_key_usage(f->api, u);
    api_caller who;
    int64_t before = hk_now_ms();
    assert_int_equal(api_auth_cached(f->api, f->auth, &who), API_AUTH_LOOKUP);
    assert_int_equal(noted(u), 0);
    assert_int_equal(api_auth_lookup(f->api, f->auth, &who), API_AUTH_OK);
    assert_string_equal(who.ctx.api_key_id, f->ctx.api_key_id);
    assert_int_equal(noted(u), 1);
    assert_int_equal(api_auth_cached(f->api, f->auth, &who), API_AUTH_OK); /* remembered */
    assert_string_equal(who.ctx.api_key_id, f->ctx.api_key_id);
    assert_int_equal(noted(u), 1); /* within the second */
    usleep(1100 * 1000);
    assert_int_equal(api_auth_cached(f->api, f->auth, &who), API_AUTH_OK);
    assert_int_equal(noted(u), 2);
    const char *wrong = "Bearer hkey_wrongwrongwrongwrongwrongwrongwrongwrong";
    assert_int_equal(api_auth_lookup(f->api, wrong, &who), API_AUTH_REFUSED);
    assert_int_equal(api_auth_cached(f->api, NULL, &who), API_AUTH_REFUSED);
    assert_int_equal(noted(u), 2);
    const char *q = "{\"query\":\"{ myWorkspace { id } }\"}";
    api_response r;
    usleep(1100 * 1000);
    assert_int_equal(api_graphql(f->api, f->auth, q, strlen(q), &r), HK_OK);
    assert_int_equal(r.http_status, 200);
    hk_buf_free(&r.body);
    assert_int_equal(noted(u), 3);

    hk_api_key_info *keys;
    size_t n;
    hk_arena *a = hk_arena_new(0);
    assert_int_equal(hk_admin_key_list(f->env->store, f->boot.workspace_id, a, &keys, &n, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    assert_true(keys[0].last_used_at == HK_TIME_NONE); /* nothing written per request */
    size_t written;
    assert_int_equal(hk_key_usage_flush(u, hk_now_ms(), false, &written, &err), HK_OK);
    assert_int_equal(written, 1);
    hk_arena_reset(a);
    assert_int_equal(hk_admin_key_list(f->env->store, f->boot.workspace_id, a, &keys, &n, &err),
                     HK_OK);
    assert_true(keys[0].last_used_at >= before && keys[0].last_used_at <= hk_now_ms());
    hk_arena_free(a);
    api_track_key_usage(f->api, NULL);
    hk_key_usage_free(u);
}

/* A body of `n` values: {"query":..., "variables":{"l":[1,1,...]}} (n - 4 ones). */
static char *body_of(size_t n)
{
    const char *head = "{\"query\":\"{ myWorkspace { id } }\",\"variables\":{\"l\":[";
    size_t ones = n - 4, hl = strlen(head);
    char *b = malloc(hl + ones * 2 + 8);
    assert_non_null(b);
    memcpy(b, head, hl);
    size_t at = hl;
    for (size_t i = 0; i < ones; i++) {
        memcpy(b + at, "1,", 2);
        at += 2;
    }
    at -= ones ? 1 : 0;
    memcpy(b + at, "]}}", 4);
    return b;
}

static void post(api_fixture *f, const char *body, api_response *r)
{
    assert_int_equal(api_graphql(f->api, f->auth, body, strlen(body), r), HK_OK);
}

/* The set api.c's key cache keeps a key in: its SHA-256's first 8 hex digits, mod 64. */
static unsigned cache_set(const char *key)
{
    char hash[HK_SHA256_HEX_BUF];
    assert_int_equal(hk_sha256_hex(key, strlen(key), hash), HK_OK);
    char head[9];
    memcpy(head, hash, 8);
    head[8] = '\0';
    return (unsigned)(strtoul(head, NULL, 16) % 64);
}

/* Four keys whose hashes fall in one set of the cache all stay remembered: with one
 * entry a set, each evicted the last and every request read the store. */
static void test_keys_of_one_cache_set_stay_remembered(void **state)
{
    api_fixture *f = *state;
    enum { WANT = 4 };
    static char keys[64][WANT][HK_API_KEY_BUF + 16];
    int count[64] = {0};
    int set = -1;
    hk_error err;
    for (int tries = 0; set < 0 && tries < 2000; tries++) {
        hk_bootstrap_result r;
        assert_int_equal(hk_workspace_bootstrap(f->env->store, "Set", &r, &err), HK_OK);
        unsigned s = cache_set(r.api_key);
        api_bearer(keys[s][count[s]++], sizeof keys[s][0], r.api_key);
        if (count[s] == WANT)
            set = (int)s;
    }
    assert_true(set >= 0);
    api_caller who;
    for (int i = 0; i < WANT; i++)
        assert_int_equal(api_auth_lookup(f->api, keys[set][i], &who), API_AUTH_OK);
    for (int i = 0; i < WANT; i++)
        assert_int_equal(api_auth_cached(f->api, keys[set][i], &who), API_AUTH_OK);
}

static void test_body_is_sized_before_it_is_parsed(void **state)
{
    api_fixture *f = *state;
    api_response r;
    /* 10,100 values parse; the list is then refused by the variables' own limit. */
    char *b = body_of(10100);
    post(f, b, &r);
    assert_int_equal(r.http_status, 400);
    assert_non_null(strstr(r.body.data, "a list may hold at most 1000"));
    hk_buf_free(&r.body);
    free(b);
    /* One more is refused before jansson sees it. */
    b = body_of(10101);
    post(f, b, &r);
    assert_int_equal(r.http_status, 400);
    assert_non_null(strstr(r.body.data, "holds more than 10100 JSON values"));
    assert_non_null(strstr(r.body.data, "\"BAD_USER_INPUT\""));
    hk_buf_free(&r.body);
    free(b);

    /* Commas, colons and brackets inside strings (escaped quotes too) are not values. */
    static char text[300000];
    size_t at = (size_t)snprintf(text, sizeof text,
                                 "{\"query\":\"{ myWorkspace { id } }\",\"extensions\":{\"x\":\"");
    for (int i = 0; i < 20000; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, "[,:{\\\"");
    snprintf(text + at, sizeof text - at, "\"}}");
    post(f, text, &r);
    assert_int_equal(r.http_status, 200);
    hk_buf_free(&r.body);

    /* Nesting deeper than 256 is refused by the scan; jansson would go to 2048. */
    at = (size_t)snprintf(text, sizeof text, "{\"query\":\"{ myWorkspace { id } }\",\"x\":");
    for (int i = 0; i < 300; i++)
        text[at++] = '[';
    for (int i = 0; i < 300; i++)
        text[at++] = ']';
    snprintf(text + at, sizeof text - at, "}");
    post(f, text, &r);
    assert_int_equal(r.http_status, 400);
    assert_non_null(strstr(r.body.data, "nests JSON too deeply"));
    hk_buf_free(&r.body);
}

/* A mutation the store fails is answered 200 with a MutationError of type INTERNAL, as Plain
 * does; the response says it is the server's failure all the same. */
static void test_internal_errors_are_flagged(void **state)
{
    api_fixture *f = *state;
    const char *upsert =
        "{\"query\":\"mutation { upsertCustomer(input: { identifier: { emailAddress: "
        "\\\"i@example.com\\\" }, onCreate: { fullName: \\\"I\\\", email: { email: "
        "\\\"i@example.com\\\", isVerified: false } }, onUpdate: {} }) { result error { type } "
        "} }\"}";
    api_response r;
    assert_int_equal(store_debug_fail_nth_write(f->env->store, 1), HK_OK);
    post(f, upsert, &r);
    assert_int_equal(r.http_status, 200);
    assert_non_null(strstr(r.body.data, "\"type\":\"INTERNAL\""));
    assert_true(r.internal_error);
    hk_buf_free(&r.body);
    assert_int_equal(store_debug_fail_nth_write(f->env->store, 0), HK_OK);
    post(f, upsert, &r);
    assert_int_equal(r.http_status, 200);
    assert_non_null(strstr(r.body.data, "\"result\":\"CREATED\""));
    assert_false(r.internal_error);
    hk_buf_free(&r.body);
    /* A client's mistake is not the server's. */
    post(f, "{\"query\":\"{ nope }\"}", &r);
    assert_int_equal(r.http_status, 400);
    assert_false(r.internal_error);
    hk_buf_free(&r.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_authenticated_requests_note_their_key,
                                        api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_auth_before_the_body, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_keys_of_one_cache_set_stay_remembered,
                                        api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_body_is_sized_before_it_is_parsed, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_internal_errors_are_flagged, api_fixture_setup,
                                        api_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
