/*
 * http_framing.h - is a request's head unambiguous? The checks hookd makes
 * on every request once its headers are in, before any of its body is read.
 *
 * libmicrohttpd 0.9.75 is tolerant: with two Content-Length headers the first
 * wins, Content-Length beside Transfer-Encoding: chunked is ignored, a space
 * before the colon ("Content-Length : 2") hides the header, a NUL ends a value
 * early ("Bearer KEY\0junk" is "Bearer KEY"), and any Transfer-Encoding but
 * "chunked" leaves it waiting for a body that has no end. Each of these lets
 * a client and a proxy in front of hookd disagree on where a request ends:
 * bytes after the body ran as a second request. RFC 9112 wants 400 and a
 * closed connection. So every request is held to:
 *
 *   - field names made of token characters, values without control
 *     characters (HTAB aside), no NUL anywhere in the head, no folded lines;
 *   - at most one Host (and one for HTTP/1.1), Content-Length,
 *     Authorization and Content-Type;
 *   - Content-Length: digits only;
 *   - no Transfer-Encoding: with Content-Length it is ambiguous (400); a
 *     coding list not ending in chunked has no length at all (400); another
 *     coding before chunked is not understood (501); chunked alone is
 *     refused with 411, hookd wants the length first. (libmicrohttpd parses
 *     chunk lines itself and answers 500 to one longer than its buffer;
 *     every client hookd serves, Plain's SDK included, sends a length.)
 *   - a request that wants a body (POST /graphql/v1) declares its length
 *     (411 otherwise).
 *
 * NUL and folded lines cannot be seen through libmicrohttpd's API: it keeps
 * the head in one buffer, parsed in place (each line end and each name's colon
 * overwritten with NUL, values NUL-terminated where they end), and gives each
 * value up to the first NUL. So the raw head is checked too: between the end
 * of one value and the next name there must be nothing but the one or two
 * NULs of a line end. A layout that is not that (a folded line is copied
 * elsewhere in its pool) is refused as malformed. `raw` may be NULL (no
 * such check, for other callers); test_daemon_http_framing builds heads the way
 * libmicrohttpd leaves them, and test_security_front_door sends the attacks
 * to a real hookd, so that a libmicrohttpd laying its buffer out otherwise
 * fails there first.
 */
#ifndef HOOKD_DAEMON_HTTP_FRAMING_H
#define HOOKD_DAEMON_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One request header, as parsed: name and value point into the parser's buffer. */
typedef struct hk_http_field {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} hk_http_field;

typedef struct hk_http_head {
    /* The whole head as libmicrohttpd left it, from the method to the end of the blank
     * line; NULL: not checked for NUL and folding. */
    const char *raw;
    size_t raw_len;
    const char *version;         /* "HTTP/1.1", in raw when raw is given */
    const char *target;          /* the request target as sent (before decoding), in raw */
    size_t target_len;           /* up to its first NUL */
    const hk_http_field *fields; /* in the order received */
    size_t nfields;
} hk_http_head;

typedef enum hk_http_verdict {
    HK_HTTP_FRAMING_OK,
    HK_HTTP_FRAMING_BAD,             /* 400: malformed or ambiguous */
    HK_HTTP_FRAMING_LENGTH_REQUIRED, /* 411 */
    HK_HTTP_FRAMING_NOT_IMPLEMENTED, /* 501: a transfer coding hookd does not implement */
} hk_http_verdict;

typedef struct hk_http_framing {
    hk_http_verdict verdict;
    const char *reason;        /* static, for the answer: why not OK */
    bool has_length;           /* a Content-Length was given */
    uint64_t content_length;   /* its value */
    const char *authorization; /* the Authorization value, NULL when none */
} hk_http_framing;

/* Checks `h`; `wants_body`: the route reads a body, which must then have a length. */
void hk_http_framing_check(const hk_http_head *h, bool wants_body, hk_http_framing *out);

/* The status of a verdict: 200, 400, 411, 501. */
unsigned hk_http_framing_status(hk_http_verdict v);

#endif
