/*
 * signature.c - Plain-Request-Signature: the lower-case hex of
 * HMAC-SHA256(secret, exact body bytes).
 *
 * The expected value is rendered as hex and compared with the header as
 * text, in constant time (CRYPTO_memcmp), so that the time taken says
 * nothing about how many leading characters of a forgery were right. Only
 * the length is compared first, and it is public (always 64).
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "verify_int.h"

#define SHA256_LEN 32
#define HEX_LEN (2 * SHA256_LEN)

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0F];
    }
}

hk_verify_result hkv_signature(const char *body, size_t body_len, const char *signature,
                               const void *secret, size_t secret_len, const char **why)
{
    unsigned char mac[SHA256_LEN];
    unsigned int mac_len = 0;
    char expected[HEX_LEN];

    if (!body || !secret || secret_len == 0 || secret_len > INT_MAX) {
        *why = "no secret (or no body buffer) was given";
        return HK_VERIFY_INVALID_ARGUMENT;
    }
    if (body_len == 0) {
        *why = "the body is empty";
        return HK_VERIFY_BAD_SIGNATURE;
    }
    if (!signature || signature[0] == '\0') {
        *why = "no Plain-Request-Signature header";
        return HK_VERIFY_BAD_SIGNATURE;
    }
    if (strnlen(signature, HEX_LEN + 1) != HEX_LEN) {
        *why = "the signature is not 64 hex digits";
        return HK_VERIFY_BAD_SIGNATURE;
    }
    if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, body_len, mac,
              &mac_len) ||
        mac_len != SHA256_LEN) {
        *why = "HMAC-SHA256 failed";
        return HK_VERIFY_NO_MEMORY;
    }
    to_hex(mac, SHA256_LEN, expected);
    if (CRYPTO_memcmp(expected, signature, HEX_LEN) != 0) {
        *why = "the signature does not match the body and secret";
        return HK_VERIFY_BAD_SIGNATURE;
    }
    *why = "";
    return HK_VERIFY_OK;
}

hk_verify_result hk_verify_signature(const char *body, size_t body_len, const char *signature,
                                     const void *secret, size_t secret_len)
{
    const char *why;
    return hkv_signature(body, body_len, signature, secret, secret_len, &why);
}
