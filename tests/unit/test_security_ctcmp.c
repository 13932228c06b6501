/*
 * test_security_ctcmp.c - signatures and key hashes are compared in constant
 * time (issue 6, security), proven structurally rather than by timing
 * (which would be flaky): the test is linked with -Wl,--wrap=CRYPTO_memcmp
 * (see the block at the end of CMakeLists.txt), so every call that the
 * receiver library (lib/) and hookd's core (src/core/crypto.c, the API's
 * key cache) make to OpenSSL's constant-time compare comes here first. For
 * a matching signature, one wrong in its first digit and one wrong in its
 * last digit, the verify paths must call CRYPTO_memcmp exactly once over
 * the full 64 hex digits, whatever the mismatch position: a memcmp/strcmp
 * that stops at the first difference would not call it at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/crypto.h>

#include "api/api.h"
#include "core/crypto.h"
#include "hookd/verify.h"
#include "testutil.h"

int __real_CRYPTO_memcmp(const volatile void *a, const volatile void *b, size_t len);
int __wrap_CRYPTO_memcmp(const volatile void *a, const volatile void *b, size_t len);

static int calls;
static size_t last_len;
static size_t min_len = (size_t)-1;

int __wrap_CRYPTO_memcmp(const volatile void *a, const volatile void *b, size_t len)
{
    calls++;
    last_len = len;
    if (len < min_len)
        min_len = len;
    return __real_CRYPTO_memcmp(a, b, len);
}

static void reset(void)
{
    calls = 0;
    last_len = 0;
    min_len = (size_t)-1;
}

static const char secret[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char body[] = "{\"timestamp\":\"2023-10-19T14:21:43.616Z\",\"id\":\"pEv_x\"}";

/* The right signature and two forgeries: first digit wrong, last digit wrong. */
static void signatures(char good[65], char early[65], char late[65])
{
    assert_int_equal(hk_hmac_sha256_hex(secret, strlen(secret), body, strlen(body), good), HK_OK);
    memcpy(early, good, 65);
    memcpy(late, good, 65);
    early[0] = early[0] == '0' ? '1' : '0';
    late[63] = late[63] == '0' ? '1' : '0';
}

static void test_receiver_library(void **state)
{
    char good[65], early[65], late[65];
    signatures(good, early, late);
    static const struct {
        const char *label;
        int which;
        hk_verify_result want;
    } cases[] = {
        {"match", 0, HK_VERIFY_OK},
        {"early mismatch", 1, HK_VERIFY_BAD_SIGNATURE},
        {"late mismatch", 2, HK_VERIFY_BAD_SIGNATURE},
    };
    int checks = 0;
    for (size_t i = 0; i < 3; i++) {
        const char *sig = cases[i].which == 0 ? good : cases[i].which == 1 ? early : late;
        reset();
        assert_int_equal(hk_verify_signature(body, strlen(body), sig, secret, strlen(secret)),
                         cases[i].want);
        if (calls != 1 || last_len != 64) {
            printf("RELIABILITY|security|constant-time compare: libhookd-verify "
                   "hk_verify_signature|checks=%d|FAIL\n",
                   checks);
            fail_msg("%s: %d CRYPTO_memcmp calls, length %zu", cases[i].label, calls, last_len);
        }
        checks += 3;
        /* the full verify path compares the same way (it stops at the signature
         * for forgeries; for the match it goes on to parse the toy body) */
        hk_webhook *out = NULL;
        hk_verify_options o;
        hk_verify_options_init(&o);
        reset();
        hk_verify_result r =
            hk_verify_webhook(body, strlen(body), sig, secret, strlen(secret), &o, &out);
        hk_webhook_free(out);
        if (cases[i].which != 0)
            assert_int_equal(r, HK_VERIFY_BAD_SIGNATURE);
        else
            assert_int_not_equal(r, HK_VERIFY_BAD_SIGNATURE);
        assert_int_equal(calls, 1);
        assert_int_equal(last_len, 64);
        checks += 3;
    }
    /* a wrong length is refused without comparing (the length is public) */
    reset();
    assert_int_equal(hk_verify_signature(body, strlen(body), "abc", secret, strlen(secret)),
                     HK_VERIFY_BAD_SIGNATURE);
    assert_int_equal(calls, 0);
    checks += 2;
    printf("RELIABILITY|security|constant-time compare: libhookd-verify (match, early and late "
           "mismatch)|checks=%d|ok\n",
           checks);
}

static void test_core(void **state)
{
    char good[65], early[65], late[65];
    signatures(good, early, late);
    char expected[65];
    assert_int_equal(hk_hmac_sha256_hex(secret, strlen(secret), body, strlen(body), expected),
                     HK_OK);
    reset();
    assert_true(hk_consttime_equal(expected, good, 64));
    assert_int_equal(calls, 1);
    assert_int_equal(last_len, 64);
    reset();
    assert_false(hk_consttime_equal(expected, early, 64));
    assert_int_equal(calls, 1);
    assert_int_equal(last_len, 64);
    reset();
    assert_false(hk_consttime_equal(expected, late, 64));
    assert_int_equal(calls, 1);
    assert_int_equal(last_len, 64);
    printf("RELIABILITY|security|constant-time compare: src/core hk_consttime_equal (match, "
           "early and late mismatch)|checks=9|ok\n");
}

/* The API's key cache compares key hashes with it too. */
static void test_api_key_cache(void **state)
{
    test_env *env = test_env_new();
    assert_non_null(env);
    hk_bootstrap_result boot;
    hk_error err;
    api *a;
    assert_int_equal(hk_workspace_bootstrap(env->store, "ct", &boot, &err), HK_OK);
    assert_int_equal(api_new(env->store, &a, &err), HK_OK);
    char auth[HK_API_KEY_BUF + 16];
    snprintf(auth, sizeof auth, "Bearer %s", boot.api_key);
    static const char q[] = "{\"query\":\"{ myWorkspace { id } }\"}";
    int checks = 0;
    for (int round = 0; round < 2; round++) {
        api_response r;
        reset();
        assert_int_equal(api_graphql(a, auth, q, strlen(q), &r), HK_OK);
        assert_int_equal(r.http_status, 200);
        hk_buf_free(&r.body);
        /* round 0 fills the cache, round 1 is answered from it */
        if (round == 1) {
            assert_int_equal(calls, 1);
            assert_int_equal(min_len, 64);
        } else {
            assert_true(calls == 0 || min_len == 64);
        }
        checks += 2;
    }
    api_free(a);
    test_env_free(env);
    printf("RELIABILITY|security|constant-time compare: API key hash in the auth cache|"
           "checks=%d|ok\n",
           checks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receiver_library),
        cmocka_unit_test(test_core),
        cmocka_unit_test(test_api_key_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
