/*
 * crypto.h - HMAC-SHA256 signing, SHA-256 hashing, constant-time comparison.
 *
 * Thin, allocation-free wrappers over OpenSSL. Hex output is lower case.
 */
#ifndef HOOKD_CORE_CRYPTO_H
#define HOOKD_CORE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

#define HK_SHA256_LEN 32
#define HK_SHA256_HEX_LEN 64
#define HK_SHA256_HEX_BUF 65

/* out = lower-case hex of HMAC-SHA256(key, msg) + NUL. HK_EINTERNAL if
 * OpenSSL fails. */
HK_MUST_CHECK hk_status hk_hmac_sha256_hex(const void *key, size_t key_len, const void *msg,
                                           size_t msg_len, char out[HK_SHA256_HEX_BUF]);

/* out = lower-case hex of SHA-256(data) + NUL. */
HK_MUST_CHECK hk_status hk_sha256_hex(const void *data, size_t len, char out[HK_SHA256_HEX_BUF]);

/* Compares n bytes in time independent of their contents. */
bool hk_consttime_equal(const void *a, const void *b, size_t n);

/* Writes the lower-case hex of n bytes into out (2n chars + NUL). */
void hk_hex_encode(const void *data, size_t n, char *out);

/* Writes the unpadded base64url form of n bytes into out (+ NUL); out must
 * hold 4*ceil(n/3)+1 bytes. Returns the length written. */
size_t hk_base64url_encode(const void *data, size_t n, char *out);

/* Decodes the unpadded base64url text in[0..n) into out, which must hold
 * n*3/4 bytes; *out_len receives the length. False (nothing promised about
 * out) for a character outside the alphabet, '=' padding, a length that no
 * encoding has (n % 4 == 1), or unused trailing bits that are not zero: only
 * what hk_base64url_encode writes is accepted, so each input has one text. */
HK_MUST_CHECK bool hk_base64url_decode(const char *in, size_t n, void *out, size_t *out_len);

#endif
