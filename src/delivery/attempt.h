/*
 * attempt.h - the pure parts of one delivery attempt's HTTP exchange (SPEC
 * §4, §5): the URL handed to libcurl and the credentials taken out of it, the
 * request headers, and how the outcome reads in the attempt record. No I/O
 * here: the dispatcher does the sending, these functions are unit-tested.
 */
#ifndef HOOKD_DELIVERY_ATTEMPT_H
#define HOOKD_DELIVERY_ATTEMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/status.h"

/*
 * Splits the credentials off a target URL "scheme://[userinfo@]host...".
 * The userinfo is what precedes the authority's last '@' (the authority ends
 * at the first '/', '?' or '#' after "://"), the way the domain split the URL
 * when it validated it. *bare gets the URL without "userinfo@" (an arena
 * copy). When the userinfo is not empty, *credentials gets its percent-decoded
 * "user:password" (":" appended when there is no password), length in
 * *credentials_len (it may hold any byte, NUL included); otherwise NULL and 0.
 * A '%' not followed by two hex digits is kept as it is. HK_EINVAL when url
 * has no "://", HK_ENOMEM when the arena is full.
 */
HK_MUST_CHECK hk_status delivery_split_credentials(hk_arena *a, const char *url, char **bare,
                                                   char **credentials, size_t *credentials_len);

/* "Basic " + base64 (RFC 4648, padded) of the n bytes of credentials, in the
 * arena; NULL when out of memory. */
char *delivery_basic_auth(hk_arena *a, const char *credentials, size_t n);

/* What the headers of one attempt say. Every string is borrowed, must not
 * contain CR or LF (ids, versions, names and hex: they cannot), and only
 * signature and authorization may be NULL (then the header is left out). */
typedef struct delivery_header_values {
    const char *user_agent;
    const char *workspace_id;
    const char *target_id;
    const char *target_version;
    const char *attempt_id;
    uint32_t attempt_number;
    int64_t attempt_timestamp; /* written as in the body: 2023-10-19T14:21:46.077Z */
    const char *event_type;
    const char *event_id;
    const char *signature;     /* lower-case hex HMAC-SHA256 of the body, NULL: unsigned */
    const char *authorization; /* "Basic ...", NULL: none */
} delivery_header_values;

/* The most headers an attempt sends, and the most lines delivery_build_headers
 * writes (those and "Expect:"). */
#define DELIVERY_HEADERS_SENT 13
#define DELIVERY_HEADER_LINES (DELIVERY_HEADERS_SENT + 1)

typedef struct delivery_header {
    const char *name;
    const char *value;
} delivery_header;

/* Room for the values delivery_header_list formats. */
typedef struct delivery_header_text {
    char number[16];
    char timestamp[HK_TIME_ISO_BUF];
} delivery_header_text;

/*
 * The headers an attempt sends, in the order delivery_build_headers sends
 * them (below; without its "Expect:"), as borrowed name/value pairs: the
 * values are v's strings and `text`'s. The one list the dispatcher sends and
 * the API shows operators (with the secrets masked in `v`), so the two cannot
 * drift apart. Returns how many; no checks (see delivery_build_headers).
 */
size_t delivery_header_list(const delivery_header_values *v, delivery_header_text *text,
                            delivery_header out[DELIVERY_HEADERS_SENT]);

/*
 * Room for one attempt's header list, reused from attempt to attempt: the
 * lines live in `text` and `nodes` chains them for CURLOPT_HTTPHEADER, so
 * once `text` has grown, building a list allocates nothing. The list is
 * read-only for libcurl and must not be passed to curl_slist_free_all.
 * Zero-initialised, or after delivery_headers_init, it is empty;
 * delivery_headers_free releases the text (it accepts NULL).
 */
typedef struct delivery_headers {
    hk_buf text;
    struct curl_slist nodes[DELIVERY_HEADER_LINES];
} delivery_headers;

void delivery_headers_init(delivery_headers *h);
void delivery_headers_free(delivery_headers *h);

/*
 * Builds the request headers of SPEC §5 in this order: Accept,
 * Content-Type, User-Agent, Plain-Workspace-Id, Plain-Webhook-Target-Id,
 * Plain-Webhook-Target-Version, Plain-Webhook-Delivery-Attempt-Id,
 * Plain-Webhook-Delivery-Attempt-Number, Plain-Webhook-Delivery-Attempt-
 * Timestamp, Plain-Event-Type, Plain-Event-Id, [Plain-Request-Signature],
 * [Authorization], and "Expect:" (which tells libcurl not to send its
 * "Expect: 100-continue": a round trip for nothing on small bodies), into
 * `h` (replacing what it held). *out gets the head of the list, which lives
 * in `h` until its next build or free. HK_EINVAL for a missing value or one
 * with CR/LF, HK_ETOOBIG past 64 KiB of headers, HK_ENOMEM; *out is then
 * NULL.
 */
HK_MUST_CHECK hk_status delivery_build_headers(const delivery_header_values *v, delivery_headers *h,
                                               struct curl_slist **out);

/* How a transfer ended, as libcurl reports it. */
typedef struct delivery_outcome_in {
    CURLcode code;
    long http_status;       /* CURLINFO_RESPONSE_CODE, 0: none */
    long os_errno;          /* CURLINFO_OS_ERRNO */
    bool address_refused;   /* the target guard refused an address of this attempt */
    bool resend_refused;    /* the connection closed with no answer after the request went */
    bool body_cut;          /* the write callback stopped a too-long response on purpose */
    bool headers_complete;  /* the last response's header section ended (its blank line) */
    int64_t timeout_ms;     /* the per-attempt timeout in force */
    const char *curl_error; /* CURLOPT_ERRORBUFFER ("" when curl left none) */
} delivery_outcome_in;

/*
 * Success (2xx) or the error text of a failure, written into error[size]
 * ("" on success): "HTTP 500", "redirect (HTTP 302) not followed",
 * "timeout after 30000 ms", "connection refused", "destination address not
 * allowed", "DNS: ...", "TLS: ...", "incomplete response ...", ...
 * *status_code is the HTTP status to record (0 when no complete response
 * head was received). A response whose header section never ended is a
 * failure even when libcurl calls the transfer done (it does, for a
 * connection closed in the middle of the headers).
 */
bool delivery_outcome(const delivery_outcome_in *in, char *error, size_t size, int *status_code);

/*
 * The idle time a response's header line promises to keep its connection for:
 * N from "Keep-Alive: ... timeout=N ..." (the name in any case, parameters in
 * any order, N at most DELIVERY_KEEP_ALIVE_MAX), -1 for any other line or a
 * malformed value. `line` is the raw line (n bytes, CRLF included or not).
 */
#define DELIVERY_KEEP_ALIVE_MAX 3600
int delivery_keep_alive_timeout(const char *line, size_t n);

/*
 * CURLOPT_MAXAGE_CONN for a target whose last response promised `timeout_s`
 * of idle time (-1: none): a kept-alive connection idle for about that long is
 * about to be closed by the receiver, and a request sent as it closes fails
 * with no answer (the attempt is lost, retried later, perhaps delivered
 * twice). libcurl reuses a connection while its idle whole seconds do not
 * exceed the age, so the age leaves two seconds of margin. With no promise,
 * libcurl's own default (118 s).
 */
long delivery_connection_max_age(int timeout_s);

/* Makes a response excerpt storable as text: cuts s[0..n) to at most `max`
 * bytes without splitting a character, and replaces NUL bytes and invalid
 * UTF-8 with '?'. Works in place; returns the new length (s[len] = NUL, so
 * s must have room for max + 1 bytes). */
size_t delivery_excerpt_clean(char *s, size_t n, size_t max);

#endif
