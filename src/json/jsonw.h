/*
 * jsonw.h - minimal JSON writer primitives on hk_buf.
 *
 * Each function appends one JSON value (or a raw fragment) to the buffer.
 * Like hk_buf's own appends they return HK_OK or the buffer's now sticky
 * error, so a long series can be checked once at the end through `b->err`.
 * Nothing here allocates except the buffer growing.
 *
 * Strings are written the way JavaScript's JSON.stringify writes them (what
 * Plain's servers send): `"` and `\` escaped, control characters below 0x20
 * as \b \f \n \r \t or \u00xx (lower-case hex), everything else verbatim.
 * Valid UTF-8 passes through unchanged; each maximal ill-formed subsequence
 * (Unicode's "substitution of maximal subparts") becomes U+FFFD, so the
 * output is always valid UTF-8 whatever the input.
 */
#ifndef HOOKD_JSON_JSONW_H
#define HOOKD_JSON_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/*
 * A group of appends that either all land or leave the buffer as it was:
 *     jsonw_mark m = jsonw_begin(b);
 *     ... appends, results ignored ...
 *     return jsonw_end(b, m);
 * jsonw_begin clears a sticky error left by earlier appends so that
 * jsonw_end reports only this group's failure; jsonw_end puts the earlier
 * error back (the first failure stays sticky) and, when the group failed,
 * cuts the buffer back to where the group started.
 */
typedef struct jsonw_mark {
    size_t len;
    hk_status err;
} jsonw_mark;

jsonw_mark jsonw_begin(hk_buf *b);
HK_MUST_CHECK hk_status jsonw_end(hk_buf *b, jsonw_mark m);

/* Appends a string literal as raw JSON text, without strlen:
 * JSONW_LIT(b, "\"id\":"). */
#define JSONW_LIT(b, lit) hk_buf_append((b), (lit), sizeof(lit) - 1)

/* Appends n bytes of already-valid JSON text verbatim. */
hk_status jsonw_raw(hk_buf *b, const char *s, size_t n);

/* Appends s[0..n) as a quoted, escaped JSON string. */
hk_status jsonw_string_n(hk_buf *b, const char *s, size_t n);
/* Appends a NUL-terminated s as a JSON string. s must not be NULL. */
hk_status jsonw_string(hk_buf *b, const char *s);
/* As jsonw_string, but NULL is written as null. */
hk_status jsonw_string_or_null(hk_buf *b, const char *s);

hk_status jsonw_null(hk_buf *b);
hk_status jsonw_bool(hk_buf *b, bool v);
hk_status jsonw_int(hk_buf *b, int64_t v);
hk_status jsonw_uint(hk_buf *b, uint64_t v);

/* Appends "YYYY-MM-DDTHH:MM:SS.mmmZ" (hk_time_format), or null for
 * HK_TIME_NONE. */
hk_status jsonw_time(hk_buf *b, int64_t unix_ms);

#endif
