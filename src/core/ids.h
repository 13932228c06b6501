/*
 * ids.h - prefixed ULID identifiers (SPEC §1).
 *
 * An id is "<prefix>_<ULID>": a letters-only prefix and 26 Crockford base32
 * characters, upper case. The ULID's first 48 bits are the creation time in
 * milliseconds, the other 80 come from OpenSSL's CSPRNG. Ids made by one
 * process are strictly increasing (monotonic within a millisecond: the random
 * part is incremented), so they sort by creation and serve as cursors.
 *
 * Thread-safe.
 */
#ifndef HOOKD_CORE_IDS_H
#define HOOKD_CORE_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Longest prefix is "whDelivery" (10) + "_" + 26 + NUL. */
#define HK_ID_MAX 40
#define HK_ULID_LEN 26

typedef enum hk_id_kind {
    HK_ID_WORKSPACE,      /* w */
    HK_ID_CUSTOMER,       /* c */
    HK_ID_CUSTOMER_GROUP, /* cg */
    HK_ID_USER,           /* u */
    HK_ID_MACHINE_USER,   /* mu */
    HK_ID_EVENT,          /* pEv */
    HK_ID_WEBHOOK_TARGET, /* whTarget */
    HK_ID_ATTEMPT,        /* whAttempt */
    HK_ID_API_KEY,        /* apiKey: the key's public id, not the secret */
    HK_ID_DELIVERY,       /* whDelivery: one event to one target */
    HK_ID_KIND_COUNT
} hk_id_kind;

/* "w", "c", ... Static. */
const char *hk_id_prefix(hk_id_kind kind);

/* Writes a new id of `kind` into out (NUL-terminated). HK_EINTERNAL only if
 * the CSPRNG fails. */
HK_MUST_CHECK hk_status hk_id_new(hk_id_kind kind, char out[HK_ID_MAX]);

/* As hk_id_new but with an explicit time (tests, imports). Still monotonic
 * with respect to ids made before at a later or equal time. HK_EINVAL when
 * unix_ms does not fit in 48 bits or kind is out of range (out is then ""). */
HK_MUST_CHECK hk_status hk_id_new_at(hk_id_kind kind, uint64_t unix_ms, char out[HK_ID_MAX]);

/* The smallest id of `kind` made at unix_ms (its random part all zero): every
 * id of that kind made earlier sorts before it as a string, every one made
 * then or later does not. For range scans by time. HK_EINVAL as hk_id_new_at. */
HK_MUST_CHECK hk_status hk_id_floor_at(hk_id_kind kind, uint64_t unix_ms, char out[HK_ID_MAX]);

/* True when s (length n) matches ^[a-zA-Z]+_[0-9A-HJKMNP-TV-Z]{26}$ and the
 * ULID's time fits in 48 bits. */
bool hk_id_is_valid(const char *s, size_t n);

/* True when s is a valid id whose prefix is that of `kind`. */
bool hk_id_is_kind(const char *s, size_t n, hk_id_kind kind);

/* The creation time encoded in a valid id, 0 for an invalid one. */
uint64_t hk_id_time_ms(const char *s, size_t n);

/* Fills buf with n bytes from OpenSSL's CSPRNG. */
HK_MUST_CHECK hk_status hk_random_bytes(void *buf, size_t n);

#endif
