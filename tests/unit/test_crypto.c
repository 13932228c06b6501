#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/crypto.h"

static void check_hmac(const void *key, size_t key_len, const void *msg, size_t msg_len,
                       const char *want)
{
    char out[HK_SHA256_HEX_BUF];
    memset(out, 'x', sizeof out);
    assert_int_equal(hk_hmac_sha256_hex(key, key_len, msg, msg_len, out), HK_OK);
    assert_string_equal(out, want);
}

/* RFC 4231, test cases 1-4, 6 and 7 (5 is a truncated output). */
static void test_hmac_rfc4231(void **state)
{
    unsigned char key[131], data[50];

    memset(key, 0x0b, 20);
    check_hmac(key, 20, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    check_hmac("Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    check_hmac(key, 20, data, 50,
               "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

    for (int i = 0; i < 25; i++)
        key[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, 50);
    check_hmac(key, 25, data, 50,
               "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

    memset(key, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_hmac(key, 131, m6, strlen(m6),
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the "
                     "HMAC algorithm.";
    check_hmac(key, 131, m7, strlen(m7),
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_hmac_empty(void **state)
{
    const char *want = "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
    check_hmac(NULL, 0, NULL, 0, want);
    check_hmac("", 0, "", 0, want);
}

/* The RFC 2104 construction against OpenSSL's own HMAC() for every key
 * length around the block size (64) and message lengths across blocks. */
static void test_hmac_matches_openssl(void **state)
{
    unsigned char key[200], msg[300];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 7 + 3);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 13 + 1);
    for (size_t kl = 0; kl <= sizeof key; kl += (kl < 70 ? 1 : 29)) {
        for (size_t ml = 0; ml <= sizeof msg; ml += 37) {
            unsigned char md[32];
            unsigned int md_len = 0;
            assert_non_null(HMAC(EVP_sha256(), kl ? key : (const unsigned char *)"", (int)kl, msg,
                                 ml, md, &md_len));
            char want[HK_SHA256_HEX_BUF];
            hk_hex_encode(md, md_len, want);
            check_hmac(key, kl, msg, ml, want);
        }
    }
}

static void test_hmac_binary_body(void **state)
{
    /* The signature covers the exact bytes, NULs included. */
    char a[HK_SHA256_HEX_BUF], b[HK_SHA256_HEX_BUF];
    assert_int_equal(hk_hmac_sha256_hex("k", 1, "a\0b", 3, a), HK_OK);
    assert_int_equal(hk_hmac_sha256_hex("k", 1, "a\0c", 3, b), HK_OK);
    assert_string_not_equal(a, b);
}

static void check_sha(const char *msg, const char *want)
{
    char out[HK_SHA256_HEX_BUF];
    assert_int_equal(hk_sha256_hex(msg, strlen(msg), out), HK_OK);
    assert_string_equal(out, want);
}

static void test_sha256(void **state)
{
    check_sha("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char out[HK_SHA256_HEX_BUF];
    assert_int_equal(hk_sha256_hex(NULL, 0, out), HK_OK);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_consttime_equal(void **state)
{
    assert_true(hk_consttime_equal("abcdef", "abcdef", 6));
    assert_false(hk_consttime_equal("abcdef", "abcdeg", 6));
    assert_false(hk_consttime_equal("xbcdef", "abcdef", 6));
    assert_true(hk_consttime_equal("abcdef", "abcxyz", 3));
    assert_true(hk_consttime_equal("a", "b", 0));
    assert_false(hk_consttime_equal("a\0b", "a\0c", 3));
}

static void test_hex_encode(void **state)
{
    const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof in + 1];
    memset(out, 'x', sizeof out);
    hk_hex_encode(in, sizeof in, out);
    assert_string_equal(out, "00017f80abff");
    hk_hex_encode(in, 0, out);
    assert_string_equal(out, "");
}

static void check_b64(const void *in, size_t n, const char *want)
{
    char out[32];
    memset(out, 'x', sizeof out);
    assert_int_equal(hk_base64url_encode(in, n, out), strlen(want));
    assert_string_equal(out, want);
}

static void test_base64url(void **state)
{
    /* RFC 4648 §10 vectors, without padding. */
    check_b64("", 0, "");
    check_b64("f", 1, "Zg");
    check_b64("fo", 2, "Zm8");
    check_b64("foo", 3, "Zm9v");
    check_b64("foob", 4, "Zm9vYg");
    check_b64("fooba", 5, "Zm9vYmE");
    check_b64("foobar", 6, "Zm9vYmFy");
    /* The URL-safe alphabet: '-' and '_' instead of '+' and '/'. */
    check_b64("\xfb\xff\xfe", 3, "-__-");
    check_b64("\x00\x00", 2, "AAA");
}

static void check_unb64(const char *in, const char *want, size_t want_len)
{
    unsigned char out[32];
    size_t n = 99;
    if (!hk_base64url_decode(in, strlen(in), out, &n))
        fail_msg("decode(%s) refused", in);
    assert_int_equal(n, want_len);
    assert_memory_equal(out, want, want_len);
}

static void test_base64url_decode(void **state)
{
    check_unb64("", "", 0);
    check_unb64("Zg", "f", 1);
    check_unb64("Zm8", "fo", 2);
    check_unb64("Zm9v", "foo", 3);
    check_unb64("Zm9vYg", "foob", 4);
    check_unb64("Zm9vYmE", "fooba", 5);
    check_unb64("Zm9vYmFy", "foobar", 6);
    check_unb64("-__-", "\xfb\xff\xfe", 3);
    check_unb64("AAA", "\x00\x00", 2);
    /* round trip over every byte value */
    unsigned char all[256], back[256];
    char text[400];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    size_t tn = hk_base64url_encode(all, sizeof all, text), bn;
    assert_true(hk_base64url_decode(text, tn, back, &bn));
    assert_int_equal(bn, sizeof all);
    assert_memory_equal(back, all, sizeof all);
    /* refused: padding, characters of the other alphabet, impossible
     * lengths, non-zero unused bits (so each input has one text) */
    static const char *const bad[] = {"Zg==", "Zm9v+", "ab/c", "Z",   "Zm9vY",
                                      "Zh",   "Zm9",   " Zg",  "Zg\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char out[8];
        size_t n;
        if (hk_base64url_decode(bad[i], strlen(bad[i]), out, &n))
            fail_msg("decode(%s) accepted", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_empty),
        cmocka_unit_test(test_hmac_binary_body),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_consttime_equal),
        cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_base64url_decode),
        cmocka_unit_test(test_hmac_matches_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
