/*
 * test_delivery_attempt.c - the pure parts of an attempt: URL credentials
 * and Basic auth, the headers of SPEC §5, outcome texts, response excerpts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>

#include "core/arena.h"
#include "delivery/attempt.h"

/* ---- credentials ---- */

typedef struct split {
    char *bare;
    char *cred;
    size_t len;
} split;

static split split_ok(hk_arena *a, const char *url)
{
    split s;
    assert_int_equal(delivery_split_credentials(a, url, &s.bare, &s.cred, &s.len), HK_OK);
    return s;
}

static void test_split_no_credentials(void **state)
{
    hk_arena *a = hk_arena_new(0);
    split s = split_ok(a, "https://example.com/hooks?x=1#f");
    assert_string_equal(s.bare, "https://example.com/hooks?x=1#f");
    assert_null(s.cred);
    assert_int_equal(s.len, 0);
    /* An '@' after the authority is not userinfo. */
    s = split_ok(a, "https://example.com/a@b?c=d@e");
    assert_string_equal(s.bare, "https://example.com/a@b?c=d@e");
    assert_null(s.cred);
    /* An empty userinfo is dropped, with nothing to send. */
    s = split_ok(a, "https://@example.com/");
    assert_string_equal(s.bare, "https://example.com/");
    assert_null(s.cred);
    hk_arena_free(a);
}

static void test_split_user_and_password(void **state)
{
    hk_arena *a = hk_arena_new(0);
    split s = split_ok(a, "https://user:secret@example.com:8443/hooks");
    assert_string_equal(s.bare, "https://example.com:8443/hooks");
    assert_int_equal(s.len, strlen("user:secret"));
    assert_memory_equal(s.cred, "user:secret", s.len);

    s = split_ok(a, "https://us%40er:p%3Ass%2Fw%25rd@example.com");
    assert_string_equal(s.bare, "https://example.com");
    assert_string_equal(s.cred, "us@er:p:ss/w%rd");

    /* The last '@' of the authority ends the userinfo. */
    s = split_ok(a, "https://a@b:c@d@example.com/p");
    assert_string_equal(s.bare, "https://example.com/p");
    assert_string_equal(s.cred, "a@b:c@d");

    /* Only the first ':' separates; the password keeps the others. */
    s = split_ok(a, "http://u:p:q@[::1]:3000/x");
    assert_string_equal(s.bare, "http://[::1]:3000/x");
    assert_string_equal(s.cred, "u:p:q");

    /* No password: the user name is the credential, sent as "user:". */
    s = split_ok(a, "https://token123@example.com/");
    assert_string_equal(s.cred, "token123:");
    s = split_ok(a, "https://user:@example.com/");
    assert_string_equal(s.cred, "user:");
    s = split_ok(a, "https://:pw@example.com/");
    assert_string_equal(s.cred, ":pw");
    hk_arena_free(a);
}

static void test_split_odd_escapes(void **state)
{
    hk_arena *a = hk_arena_new(0);
    split s = split_ok(a, "https://u%zz:p%4@example.com/");
    assert_string_equal(s.cred, "u%zz:p%4");
    s = split_ok(a, "https://u:%00x@example.com/");
    assert_int_equal(s.len, 4);
    assert_memory_equal(s.cred, "u:\0x", 4);
    s = split_ok(a, "https://u:%e2%82%AC@example.com/");
    assert_string_equal(s.cred, "u:\xe2\x82\xac");

    char *bare, *cred;
    size_t len;
    assert_int_equal(delivery_split_credentials(a, "example.com/x", &bare, &cred, &len), HK_EINVAL);
    assert_null(bare);
    assert_int_equal(delivery_split_credentials(a, NULL, &bare, &cred, &len), HK_EINVAL);
    hk_arena_free(a);
}

static void test_basic_auth(void **state)
{
    hk_arena *a = hk_arena_new(0);
    assert_string_equal(delivery_basic_auth(a, "user:secret", 11), "Basic dXNlcjpzZWNyZXQ=");
    assert_string_equal(delivery_basic_auth(a, "Aladdin:open sesame", 19),
                        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    assert_string_equal(delivery_basic_auth(a, "a:", 2), "Basic YTo=");
    assert_string_equal(delivery_basic_auth(a, "ab:", 3), "Basic YWI6");
    assert_string_equal(delivery_basic_auth(a, "u:\0x", 4), "Basic dToAeA==");
    assert_string_equal(delivery_basic_auth(a, "", 0), "Basic ");
    /* End to end: URL to header. */
    split s = split_ok(a, "https://us%40er:p%3Ass@example.com/");
    assert_string_equal(delivery_basic_auth(a, s.cred, s.len), "Basic dXNAZXI6cDpzcw==");
    hk_arena_free(a);
}

/* ---- headers ---- */

static delivery_header_values sample_values(void)
{
    delivery_header_values v = {
        .user_agent = "Plain-Webhooks/1.0 (plain.com; help@plain.com)",
        .workspace_id = "w_01GST0W989ZNAW53X6XYHAY87P",
        .target_id = "whTarget_01HD4400VTDJQ646V6RY37SR7K",
        .target_version = "2024-09-18",
        .attempt_id = "whAttempt_01HD450N6X782MDTDBMS6Z14DJ",
        .attempt_number = 3,
        .attempt_timestamp = 1697725306077,
        .event_type = "customer.customer_updated",
        .event_id = "pEv_01HD450JT0RPBT7RRKS1ZQJYBA",
        .signature = NULL,
        .authorization = NULL,
    };
    return v;
}

static void check_list(struct curl_slist *list, const char *const *want, size_t n)
{
    size_t i = 0;
    for (struct curl_slist *h = list; h; h = h->next, i++) {
        if (i >= n)
            fail_msg("extra header '%s'", h->data);
        assert_string_equal(h->data, want[i]);
    }
    assert_int_equal(i, n);
}

static void test_headers_exact(void **state)
{
    delivery_header_values v = sample_values();
    delivery_headers h;
    delivery_headers_init(&h);
    struct curl_slist *list = NULL;
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_OK);
    static const char *const want[] = {
        "Accept: application/json",
        "Content-Type: application/json",
        "User-Agent: Plain-Webhooks/1.0 (plain.com; help@plain.com)",
        "Plain-Workspace-Id: w_01GST0W989ZNAW53X6XYHAY87P",
        "Plain-Webhook-Target-Id: whTarget_01HD4400VTDJQ646V6RY37SR7K",
        "Plain-Webhook-Target-Version: 2024-09-18",
        "Plain-Webhook-Delivery-Attempt-Id: whAttempt_01HD450N6X782MDTDBMS6Z14DJ",
        "Plain-Webhook-Delivery-Attempt-Number: 3",
        "Plain-Webhook-Delivery-Attempt-Timestamp: 2023-10-19T14:21:46.077Z",
        "Plain-Event-Type: customer.customer_updated",
        "Plain-Event-Id: pEv_01HD450JT0RPBT7RRKS1ZQJYBA",
        "Expect:",
    };
    check_list(list, want, sizeof want / sizeof want[0]);
    delivery_headers_free(&h);
}

static void test_headers_signature_and_auth(void **state)
{
    delivery_header_values v = sample_values();
    v.attempt_number = 1;
    v.user_agent = "hookd-test/2";
    v.signature = "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4";
    v.authorization = "Basic dXNlcjpzZWNyZXQ=";
    delivery_headers h;
    delivery_headers_init(&h);
    struct curl_slist *list = NULL;
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_OK);
    static const char *const want[] = {
        "Accept: application/json",
        "Content-Type: application/json",
        "User-Agent: hookd-test/2",
        "Plain-Workspace-Id: w_01GST0W989ZNAW53X6XYHAY87P",
        "Plain-Webhook-Target-Id: whTarget_01HD4400VTDJQ646V6RY37SR7K",
        "Plain-Webhook-Target-Version: 2024-09-18",
        "Plain-Webhook-Delivery-Attempt-Id: whAttempt_01HD450N6X782MDTDBMS6Z14DJ",
        "Plain-Webhook-Delivery-Attempt-Number: 1",
        "Plain-Webhook-Delivery-Attempt-Timestamp: 2023-10-19T14:21:46.077Z",
        "Plain-Event-Type: customer.customer_updated",
        "Plain-Event-Id: pEv_01HD450JT0RPBT7RRKS1ZQJYBA",
        "Plain-Request-Signature: 8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4",
        "Authorization: Basic dXNlcjpzZWNyZXQ=",
        "Expect:",
    };
    check_list(list, want, sizeof want / sizeof want[0]);
    delivery_headers_free(&h);
}

static void test_headers_refuse_bad_values(void **state)
{
    delivery_headers h;
    delivery_headers_init(&h);
    struct curl_slist *list = (struct curl_slist *)1;
    delivery_header_values v = sample_values();
    v.user_agent = "evil\r\nX-Injected: 1";
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_EINVAL);
    assert_null(list);
    v = sample_values();
    v.event_id = NULL;
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_EINVAL);
    v = sample_values();
    v.authorization = "Basic x\n";
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_EINVAL);
    assert_null(list);
    v = sample_values();
    v.signature = "ab\rcd";
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_EINVAL);
    assert_null(list);
    delivery_headers_free(&h);
}

/* One block serves attempt after attempt: each build replaces the last, and
 * the list stays valid when the text has to grow (a long Authorization). */
static void test_headers_block_reused(void **state)
{
    delivery_headers h;
    delivery_headers_init(&h);
    struct curl_slist *list = NULL;
    delivery_header_values v = sample_values();
    char *auth = malloc(40000);
    assert_non_null(auth);
    memcpy(auth, "Basic ", 6);
    memset(auth + 6, 'A', 40000 - 7);
    auth[40000 - 1] = '\0';
    v.authorization = auth;
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_OK);
    size_t n = 0;
    struct curl_slist *last = NULL;
    for (struct curl_slist *i = list; i; i = i->next, n++)
        last = i;
    assert_int_equal(n, 13);
    assert_string_equal(last->data, "Expect:");
    assert_string_equal(list->data, "Accept: application/json");
    assert_int_equal(strlen(h.nodes[11].data), strlen("Authorization: ") + 40000 - 1);

    v = sample_values();
    v.attempt_number = 4;
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_OK);
    n = 0;
    for (struct curl_slist *i = list; i; i = i->next, n++) {
        assert_null(strstr(i->data, "Authorization"));
        if (n == 7)
            assert_string_equal(i->data, "Plain-Webhook-Delivery-Attempt-Number: 4");
    }
    assert_int_equal(n, 12);

    /* Past the limit: refused, the list left empty. */
    char *huge = malloc(70000);
    assert_non_null(huge);
    memset(huge, 'B', 69999);
    huge[69999] = '\0';
    v.authorization = huge;
    assert_int_equal(delivery_build_headers(&v, &h, &list), HK_ETOOBIG);
    assert_null(list);
    free(huge);
    free(auth);
    delivery_headers_free(&h);
    delivery_headers_free(NULL);
}

/* ---- outcomes ---- */

static bool outcome(delivery_outcome_in in, const char *want_error, int want_status)
{
    char error[256];
    int status = -1;
    if (in.timeout_ms == 0)
        in.timeout_ms = 30000;
    in.headers_complete = true; /* test_outcome_cut_head covers the other case */
    bool ok = delivery_outcome(&in, error, sizeof error, &status);
    assert_string_equal(error, want_error);
    assert_int_equal(status, want_status);
    return ok;
}

static void test_outcome_http(void **state)
{
    assert_true(outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 200}, "", 200));
    assert_true(outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 204}, "", 204));
    assert_true(outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 299}, "", 299));
    assert_false(
        outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 500}, "HTTP 500", 500));
    assert_false(
        outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 404}, "HTTP 404", 404));
    assert_false(
        outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 199}, "HTTP 199", 199));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 302},
                         "redirect (HTTP 302) not followed", 302));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 301},
                         "redirect (HTTP 301) not followed", 301));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 308},
                         "redirect (HTTP 308) not followed", 308));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_OK, .http_status = 0}, "HTTP 0", 0));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_PARTIAL_FILE, .http_status = 200},
                         "incomplete response (connection closed in the body)", 200));
    /* A response we stopped reading still counts by its status. */
    assert_true(outcome(
        (delivery_outcome_in){.code = CURLE_WRITE_ERROR, .http_status = 200, .body_cut = true}, "",
        200));
}

static void test_outcome_transport(void **state)
{
    assert_false(outcome((delivery_outcome_in){.code = CURLE_OPERATION_TIMEDOUT, .timeout_ms = 250},
                         "timeout after 250 ms", 0));
    assert_false(
        outcome((delivery_outcome_in){.code = CURLE_COULDNT_CONNECT, .os_errno = ECONNREFUSED},
                "connection refused", 0));
    assert_false(
        outcome((delivery_outcome_in){.code = CURLE_COULDNT_CONNECT, .os_errno = ENETUNREACH},
                "network unreachable", 0));
    assert_false(
        outcome((delivery_outcome_in){.code = CURLE_COULDNT_CONNECT, .address_refused = true},
                "destination address not allowed", 0));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_COULDNT_CONNECT,
                                               .curl_error = "Failed to connect to x port 1"},
                         "cannot connect: Failed to connect to x port 1", 0));
    assert_false(
        outcome((delivery_outcome_in){.code = CURLE_COULDNT_RESOLVE_HOST,
                                      .curl_error = "Could not resolve host: nowhere.invalid"},
                "DNS: Could not resolve host: nowhere.invalid", 0));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_PEER_FAILED_VERIFICATION,
                                               .curl_error = "SSL certificate problem"},
                         "TLS: SSL certificate problem", 0));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_SSL_CONNECT_ERROR, .curl_error = ""},
                         "TLS: SSL connect error", 0));
    assert_false(
        outcome((delivery_outcome_in){.code = CURLE_GOT_NOTHING}, "empty reply from server", 0));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_RECV_ERROR, .os_errno = ECONNRESET},
                         "connection reset", 0));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_UNSUPPORTED_PROTOCOL},
                         "URL scheme not allowed", 0));
    assert_false(outcome((delivery_outcome_in){.code = CURLE_WRITE_ERROR, .body_cut = false},
                         "Failed writing received data to disk/application", 0));
}

/* A head cut short is no answer, whatever its status line said. */
static void test_outcome_cut_head(void **state)
{
    char error[128];
    int status = -1;
    delivery_outcome_in in = {.code = CURLE_OK, .http_status = 200, .headers_complete = false};
    assert_false(delivery_outcome(&in, error, sizeof error, &status));
    assert_string_equal(error, "incomplete response (connection closed in the headers)");
    assert_int_equal(status, 0);
}

static void test_outcome_small_buffer(void **state)
{
    char error[8];
    int status;
    delivery_outcome_in in = {.code = CURLE_OK, .http_status = 302, .headers_complete = true};
    assert_false(delivery_outcome(&in, error, sizeof error, &status));
    assert_string_equal(error, "redirec");
}

/* ---- excerpts ---- */

static void check_clean(const char *in, size_t n, size_t max, const char *want)
{
    char buf[64];
    memcpy(buf, in, n);
    size_t len = delivery_excerpt_clean(buf, n, max);
    assert_int_equal(len, strlen(want));
    assert_string_equal(buf, want);
}

static void test_excerpt_clean(void **state)
{
    check_clean("hello", 5, 1024, "hello");
    check_clean("hello", 5, 3, "hel");
    check_clean("", 0, 10, "");
    check_clean("a\0b", 3, 10, "a?b");
    check_clean("caf\xc3\xa9!", 6, 10, "caf\xc3\xa9!");
    /* A character cut by the limit is left out, not half-kept. */
    check_clean("caf\xc3\xa9", 5, 4, "caf");
    check_clean("\xe2\x82\xac\xe2\x82\xac", 6, 5, "\xe2\x82\xac");
    /* ... and so is one cut at the end of what was captured. */
    check_clean("ab\xe2\x82", 4, 10, "ab");
    /* Invalid bytes become '?'. */
    check_clean("a\xff"
                "b",
                3, 10, "a?b");
    check_clean("\xc0\xaf"
                "x",
                3, 10, "??x");
    check_clean("\xed\xa0\x80"
                "z",
                4, 10, "???z");
    check_clean("{\"ok\":true}\n", 12, 1024, "{\"ok\":true}\n");
}

#define KA(line) delivery_keep_alive_timeout(line, strlen(line))

static void test_keep_alive_timeout(void **state)
{
    (void)state;
    assert_int_equal(KA("Keep-Alive: timeout=5\r\n"), 5);
    assert_int_equal(KA("keep-alive: timeout=5, max=1000\r\n"), 5);
    assert_int_equal(KA("KEEP-ALIVE:max=100,timeout=72"), 72);
    assert_int_equal(KA("Keep-Alive: max=100 , TIMEOUT=10 \r\n"), 10);
    assert_int_equal(KA("Keep-Alive: timeout=0\r\n"), 0);
    assert_int_equal(KA("Keep-Alive: timeout=3600\r\n"), DELIVERY_KEEP_ALIVE_MAX);
    /* Malformed or out of range: no promise at all. */
    assert_int_equal(KA("Keep-Alive: timeout=3601\r\n"), -1);
    assert_int_equal(KA("Keep-Alive: timeout=99999999999999999999\r\n"), -1);
    assert_int_equal(KA("Keep-Alive: timeout=\r\n"), -1);
    assert_int_equal(KA("Keep-Alive: timeout=5s\r\n"), -1);
    assert_int_equal(KA("Keep-Alive: timeout=-5\r\n"), -1);
    assert_int_equal(KA("Keep-Alive: max=100\r\n"), -1);
    assert_int_equal(KA("Keep-Alive:\r\n"), -1);
    assert_int_equal(KA("Keep-Alive-Timeout: timeout=5\r\n"), -1);
    assert_int_equal(KA("X-Keep-Alive: timeout=5\r\n"), -1);
    assert_int_equal(KA("Connection: keep-alive\r\n"), -1);
    assert_int_equal(delivery_keep_alive_timeout("Keep", 4), -1);
    /* The line is bounded by n, not by a NUL. */
    assert_int_equal(delivery_keep_alive_timeout("Keep-Alive: timeout=59", 21), 5);
}

static void test_connection_max_age(void **state)
{
    (void)state;
    assert_int_equal(delivery_connection_max_age(-1), 118);
    assert_int_equal(delivery_connection_max_age(5), 3); /* Node's default: reused under 4 s */
    assert_int_equal(delivery_connection_max_age(2), 0);
    assert_int_equal(delivery_connection_max_age(0), 0);
    assert_int_equal(delivery_connection_max_age(75), 73); /* nginx's default */
    assert_int_equal(delivery_connection_max_age(3600), 118);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_no_credentials),
        cmocka_unit_test(test_split_user_and_password),
        cmocka_unit_test(test_split_odd_escapes),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_headers_exact),
        cmocka_unit_test(test_headers_signature_and_auth),
        cmocka_unit_test(test_headers_refuse_bad_values),
        cmocka_unit_test(test_headers_block_reused),
        cmocka_unit_test(test_outcome_http),
        cmocka_unit_test(test_outcome_transport),
        cmocka_unit_test(test_outcome_cut_head),
        cmocka_unit_test(test_outcome_small_buffer),
        cmocka_unit_test(test_excerpt_clean),
        cmocka_unit_test(test_keep_alive_timeout),
        cmocka_unit_test(test_connection_max_age),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
