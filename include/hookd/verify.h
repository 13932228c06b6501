/*
 * hookd/verify.h - verify and parse Plain webhook requests (libhookd-verify).
 *
 * A small standalone library for webhook receivers: it depends on OpenSSL
 * (libcrypto) and jansson only, not on the hookd server. It checks what
 * Plain's TypeScript SDK checks in verifyPlainWebhook / parsePlainWebhook,
 * with distinct error values instead of exceptions:
 *
 *   hk_verify_result r;
 *   hk_webhook *wh = NULL;
 *   r = hk_verify_webhook(body, body_len, signature_header, secret, secret_len,
 *                         NULL, &wh);           // NULL: default options
 *   if (r != HK_VERIFY_OK) { puts(hk_verify_strerror(r)); ... }
 *   ... use wh->event_type, wh->customer->email.email ...
 *   hk_webhook_free(wh);
 *
 * Thread-safe: no global state. Every string in an hk_webhook is owned by it
 * (freed by hk_webhook_free) and NUL-terminated valid UTF-8.
 *
 * Order of the checks, so that a body wrong in several ways gets one
 * predictable answer: arguments, size (TOO_LARGE), signature (BAD_SIGNATURE),
 * JSON (MALFORMED_JSON), webhookTargetVersion (VERSION_MISMATCH: checked
 * before the rest of the schema, as the SDK reports a mismatch whatever else
 * is wrong, since a body of another version may well have another shape),
 * the schema (SCHEMA_VIOLATION), the attempt time (STALE), the event type
 * (UNKNOWN_EVENT: a body valid for its version but of an event type other
 * than the four customer events). docs/libhookd-verify.md lists where the
 * library is stricter than the SDK and why.
 */
#ifndef HOOKD_VERIFY_H
#define HOOKD_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hk_verify_result {
    HK_VERIFY_OK = 0,
    HK_VERIFY_BAD_SIGNATURE,    /* missing, malformed or not HMAC-SHA256(secret, body) */
    HK_VERIFY_STALE,            /* webhookDeliveryAttemptTimestamp outside the tolerance */
    HK_VERIFY_MALFORMED_JSON,   /* the body is not JSON (or not an object) */
    HK_VERIFY_SCHEMA_VIOLATION, /* a required field is missing or of the wrong type */
    HK_VERIFY_UNKNOWN_EVENT,    /* a valid body of an event type this library does not parse */
    HK_VERIFY_VERSION_MISMATCH, /* webhookTargetVersion is not one the caller accepts */
    HK_VERIFY_NO_MEMORY,
    HK_VERIFY_INVALID_ARGUMENT, /* NULL body, secret, ... */
    HK_VERIFY_TOO_LARGE,        /* the body is longer than options->max_body_bytes */
} hk_verify_result;

/* A human-readable message for a result. Static. */
const char *hk_verify_strerror(hk_verify_result r);

#define HK_VERIFY_DEFAULT_TOLERANCE_MS INT64_C(300000)
#define HK_VERIFY_DEFAULT_MAX_BODY ((size_t)1 << 20) /* 1 MiB */

typedef struct hk_verify_options {
    int64_t tolerance_ms;        /* default 300000 (300 s); < 0: do not check the time */
    int64_t now_ms;              /* 0: the current time (tests pass a fixed one) */
    const char *const *versions; /* accepted webhookTargetVersion values; NULL: all known */
    size_t n_versions;           /* with versions != NULL, 0 accepts no version at all */
    size_t max_body_bytes;       /* default HK_VERIFY_DEFAULT_MAX_BODY; 0: the default */
    /*
     * When detail is not NULL, a failing call writes a NUL-terminated
     * description of the first problem found there (e.g. "payload.customer.
     * email.email: does not match the email address pattern"), truncated to
     * detail_size bytes; a successful call writes "". Give each thread its
     * own options when you use it.
     */
    char *detail;
    size_t detail_size;
} hk_verify_options;

/* Sets the defaults above: tolerance 300 s, the current time, every known version. */
void hk_verify_options_init(hk_verify_options *o);

/*
 * The webhook versions this library knows (the default accepted list),
 * oldest first: 2024-09-18, 2025-08-06, 2026-02-27, 2026-03-13, 2026-04-21.
 * Returns how many; *versions (when not NULL) points to static storage.
 */
size_t hk_verify_known_versions(const char *const **versions);

typedef enum hk_actor_kind {
    HK_ACTOR_KIND_USER,
    HK_ACTOR_KIND_MACHINE_USER,
    HK_ACTOR_KIND_SYSTEM,
    HK_ACTOR_KIND_CUSTOMER,
    HK_ACTOR_KIND_UNKNOWN, /* {"actorType":"UNKNOWN"} */
} hk_actor_kind;

typedef struct hk_webhook_actor {
    hk_actor_kind kind;
    const char *id; /* userId / machineUserId / customerId / system; NULL for unknown */
} hk_webhook_actor;

typedef struct hk_webhook_customer_group {
    const char *id, *workspace_id, *name, *key, *color;
    int64_t created_at, updated_at; /* ms since the epoch */
    hk_webhook_actor created_by, updated_by;
} hk_webhook_customer_group;

typedef struct hk_webhook_membership {
    const char *customer_id, *customer_group_id, *workspace_id;
    int64_t created_at, updated_at;
    hk_webhook_actor created_by, updated_by;
    hk_webhook_customer_group customer_group;
} hk_webhook_membership;

#define HK_WEBHOOK_TIME_NONE INT64_MIN

typedef struct hk_webhook_customer {
    const char *id;
    struct {
        const char *email;
        bool is_verified;
        int64_t verified_at; /* HK_WEBHOOK_TIME_NONE when null */
    } email;
    const char *external_id; /* NULL when null */
    const char *full_name;
    const char *short_name;     /* NULL when null */
    int64_t marked_as_spam_at;  /* HK_WEBHOOK_TIME_NONE when null or absent */
    bool has_marked_as_spam_by; /* false when null or absent */
    hk_webhook_actor marked_as_spam_by;
    size_t n_memberships;
    hk_webhook_membership *memberships;
    int64_t created_at, updated_at;
    hk_webhook_actor created_by, updated_by;
} hk_webhook_customer;

typedef enum hk_webhook_event {
    HK_WEBHOOK_CUSTOMER_CREATED,
    HK_WEBHOOK_CUSTOMER_UPDATED,
    HK_WEBHOOK_CUSTOMER_DELETED,
    HK_WEBHOOK_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED,
} hk_webhook_event;

typedef struct hk_webhook_metadata {
    const char *webhook_target_id;
    const char *webhook_target_version;
    const char *webhook_delivery_attempt_id;
    uint32_t webhook_delivery_attempt_number;
    int64_t webhook_delivery_attempt_timestamp;
} hk_webhook_metadata;

typedef struct hk_webhook {
    const char *id; /* the event id: de-duplicate on it */
    const char *workspace_id;
    int64_t timestamp;
    hk_webhook_event event;
    const char *event_type;        /* "customer.customer_created", ... */
    const char *change_type;       /* "ADDED" / "REMOVED" for memberships changes, else NULL */
    hk_webhook_customer *customer; /* NULL for customer_deleted */
    hk_webhook_customer *previous_customer; /* NULL for customer_created */
    hk_webhook_metadata metadata;
} hk_webhook;

/*
 * Checks the signature (lower-case hex HMAC-SHA256 of the exact body, in
 * constant time), then parses the body, then checks the version and the
 * attempt timestamp. On HK_VERIFY_OK *out is set (free with
 * hk_webhook_free); on any error *out is NULL. `signature` is the
 * Plain-Request-Signature header's value (NULL when absent).
 *
 * body, secret and out must not be NULL (HK_VERIFY_INVALID_ARGUMENT), nor
 * may secret_len be 0: an empty key would make every forger's HMAC valid.
 * An empty body or a NULL signature is HK_VERIFY_BAD_SIGNATURE, as in the
 * SDK. Times are compared as |now - attempt timestamp| > tolerance: a body
 * exactly tolerance_ms away is accepted, as in the SDK.
 */
hk_verify_result hk_verify_webhook(const char *body, size_t body_len, const char *signature,
                                   const void *secret, size_t secret_len,
                                   const hk_verify_options *options, hk_webhook **out);

/*
 * Only the signature check: `signature` must be exactly the 64 lower-case
 * hex digits of HMAC-SHA256(secret, body) (the SDK compares strings, so
 * upper-case hex is refused too). Compares in constant time.
 */
hk_verify_result hk_verify_signature(const char *body, size_t body_len, const char *signature,
                                     const void *secret, size_t secret_len);

/* Only parsing (and the version/time checks of `options`; NULL: defaults). */
hk_verify_result hk_parse_webhook(const char *body, size_t body_len,
                                  const hk_verify_options *options, hk_webhook **out);

/* Accepts NULL. */
void hk_webhook_free(hk_webhook *wh);

#ifdef __cplusplus
}
#endif

#endif
