#include "core/crypto.h"

#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

hk_status hk_hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                             char out[HK_SHA256_HEX_BUF])
{
    unsigned char md[HK_SHA256_LEN];
    unsigned int md_len = 0;
    out[0] = '\0';
    if (key_len > INT_MAX)
        return HK_EINTERNAL;
    /* A NULL pointer with length 0 means empty; hand OpenSSL a real pointer
     * so that no version reads it as "keep the previous key". */
    static const unsigned char empty[1];
    if (!key)
        key = empty;
    if (!msg)
        msg = empty;
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, md, &md_len) ||
        md_len != HK_SHA256_LEN)
        return HK_EINTERNAL;
    hk_hex_encode(md, sizeof md, out);
    return HK_OK;
}

hk_status hk_sha256_hex(const void *data, size_t len, char out[HK_SHA256_HEX_BUF])
{
    unsigned char md[HK_SHA256_LEN];
    unsigned int md_len = 0;
    out[0] = '\0';
    static const unsigned char empty[1];
    if (!EVP_Digest(data ? data : empty, len, md, &md_len, EVP_sha256(), NULL) ||
        md_len != HK_SHA256_LEN)
        return HK_EINTERNAL;
    hk_hex_encode(md, sizeof md, out);
    return HK_OK;
}

bool hk_consttime_equal(const void *a, const void *b, size_t n)
{
    return n == 0 || CRYPTO_memcmp(a, b, n) == 0;
}

void hk_hex_encode(const void *data, size_t n, char *out)
{
    static const char digits[16] = "0123456789abcdef";
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

size_t hk_base64url_encode(const void *data, size_t n, char *out)
{
    static const char alphabet[64] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    /* One or two bytes left give two or three characters; no '=' padding. */
    if (i < n) {
        unsigned long v = (unsigned long)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)p[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}
