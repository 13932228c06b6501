/*
 * verify_int.h - what the files of libhookd-verify share with each other.
 *
 * Nothing here is exported from the shared library (lib/hookd-verify.map
 * exports the hk_ names of include/hookd/verify.h only). Internal names
 * carry the hkv_ prefix. Strings handed to these functions come from
 * jansson, so they are valid UTF-8 without NUL bytes; the format checks rely
 * on that and never read past `len`.
 */
#ifndef HOOKD_LIB_VERIFY_INT_H
#define HOOKD_LIB_VERIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hookd/verify.h"

/* ---- where a check is, and its first failure (detail.c) ---------------- */

/*
 * A position in the body as a chain of frames on the C stack: building one
 * costs nothing, and it is turned into text ("payload.customer.email") only
 * when a check fails.
 */
typedef struct hkv_path {
    const struct hkv_path *up;
    const char *key; /* NULL: the element `index` of an array */
    size_t index;
} hkv_path;

/* One parse: the first failure (later ones keep it) and where to describe it. */
typedef struct hkv_ctx {
    hk_verify_result result; /* HK_VERIFY_OK while nothing failed */
    char *detail;
    size_t detail_size;
} hkv_ctx;

/*
 * Records failure `r` at `at`.`key` (key may be NULL) with a printf-style
 * reason, unless an earlier failure was recorded. Returns false, so that
 * checks can end with `return hkv_fail(...)`.
 */
bool hkv_fail(hkv_ctx *c, hk_verify_result r, const hkv_path *at, const char *key, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

/* Writes `text` as the detail (truncated), for failures outside any path. */
void hkv_detail(char *detail, size_t detail_size, const char *text);

/* ---- string formats of Plain's schema (formats.c, email.c, datetime.c) - */

/* Decodes the UTF-8 sequence at s (len > 0); returns its length in bytes. */
size_t hkv_utf8_next(const char *s, size_t len, uint32_t *cp);

/* Code points of s: what JSON Schema's minLength/maxLength count. */
size_t hkv_utf8_length(const char *s, size_t len);

/* JavaScript's \s: WhiteSpace and LineTerminator of ECMA-262. */
bool hkv_js_space(uint32_t cp);

/* JavaScript's line terminators (what `.` does not match). */
bool hkv_js_line_terminator(uint32_t cp);

/* Plain's id: ^[a-zA-Z]+_[0-9A-HJKMNP-TV-Z]{26}$, at most 50 characters. */
bool hkv_is_id(const char *s, size_t len);

/* Plain's colour: ^#([a-fA-F0-9]{3,4}|[a-fA-F0-9]{4}(?:[a-fA-F0-9]{2}){1,2})$ */
bool hkv_is_color(const char *s, size_t len);

/* Plain's emailAddress pattern, matched as JavaScript matches it (no u flag). */
bool hkv_is_email(const char *s, size_t len);

/*
 * A JSON Schema "date-time" as ajv-formats 2.1.1 (the SDK's) accepts it:
 * YYYY-MM-DD, one of t/T/any JavaScript whitespace, hh:mm:ss, optional
 * fraction, optional zone (z, +hh, +hhmm, +hh:mm). On true, *ms is the time
 * in ms since the epoch (zone-less times are taken as UTC; fraction digits
 * past the third are dropped, as Date.parse does) and *js_ok tells whether
 * JavaScript's Date.parse gives a number for it too (it does not for leap
 * seconds, +hh zones, zones out of range, or U+2028/U+2029 separators).
 */
bool hkv_datetime_parse(const char *s, size_t len, int64_t *ms, bool *js_ok);

/* ---- typed fields (fields.c) ------------------------------------------ */

/* Each fails with SCHEMA_VIOLATION at at.key when the field is absent or wrong. */
bool hkv_get_object(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, json_t **out);
bool hkv_get_string(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, const char **out);
/* string or null; required (present) */
bool hkv_get_nullable_string(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key,
                             const char **out);
bool hkv_get_bool(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, bool *out);
bool hkv_get_id(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, const char **out);
bool hkv_get_time(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, int64_t *out);
/* datetime or null (HK_WEBHOOK_TIME_NONE); when !required, absent is null too */
bool hkv_get_nullable_time(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key,
                           bool required, int64_t *out);
/* a string of min..max code points */
bool hkv_get_sized_string(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, size_t min,
                          size_t max, const char **out);

/* ---- the customer parts (customer.c) ---------------------------------- */

/*
 * Parses `v` (a customer object of the payload, at at.key) into *out.
 * Memberships go to an array allocated here (out->memberships, freed by
 * hkv_customer_clear even after a failure). NO_MEMORY or SCHEMA_VIOLATION
 * is recorded in c.
 */
bool hkv_customer(hkv_ctx *c, const hkv_path *at, const char *key, json_t *v,
                  hk_webhook_customer *out);
void hkv_customer_clear(hk_webhook_customer *cu);

/* ---- event types (events.c) ------------------------------------------- */

typedef enum hkv_event_kind {
    HKV_EVENT_INVALID,  /* not an event type of the schema of that version */
    HKV_EVENT_OTHER,    /* a type of that version that this library does not parse */
    HKV_EVENT_CUSTOMER, /* one of the four; *ev says which */
} hkv_event_kind;

hkv_event_kind hkv_event_lookup(const char *type, const char *version, hk_webhook_event *ev);

/* ---- options (options.c) ---------------------------------------------- */

/* `in` with its defaults filled in (in may be NULL). */
void hkv_options_resolve(const hk_verify_options *in, hk_verify_options *out);
bool hkv_version_accepted(const hk_verify_options *o, const char *version);
int64_t hkv_now_ms(void);

/* ---- signature and parse (signature.c, parse.c) ----------------------- */

/* hk_verify_signature, with *why set to a reason on failure. */
hk_verify_result hkv_signature(const char *body, size_t body_len, const char *signature,
                               const void *secret, size_t secret_len, const char **why);

/* hk_parse_webhook after its arguments and size were checked; `o` resolved. */
hk_verify_result hkv_parse(const char *body, size_t body_len, const hk_verify_options *o,
                           hk_webhook **out);

#endif
