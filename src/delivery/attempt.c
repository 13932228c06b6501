/*
 * attempt.c - URL credentials, request headers, outcome text and response
 * excerpts of a delivery attempt (see attempt.h).
 */
#include "delivery/attempt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/utf8.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) to out (room for n bytes); returns the length. */
static size_t percent_decode(const char *s, size_t n, char *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
        int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
        if (s[i] == '%' && hi >= 0 && lo >= 0) {
            out[len++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[len++] = s[i];
        }
    }
    return len;
}

/* The decoded "user:password" of a userinfo of n > 0 bytes. */
static char *decode_userinfo(hk_arena *a, const char *info, size_t n, size_t *len)
{
    bool has_password = memchr(info, ':', n) != NULL;
    char *out = hk_arena_alloc(a, n + 2);
    if (!out)
        return NULL;
    *len = percent_decode(info, n, out);
    if (!has_password) /* "token@host": the user name is the whole credential */
        out[(*len)++] = ':';
    out[*len] = '\0';
    return out;
}

hk_status delivery_split_credentials(hk_arena *a, const char *url, char **bare, char **credentials,
                                     size_t *credentials_len)
{
    *bare = NULL;
    *credentials = NULL;
    *credentials_len = 0;
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!sep)
        return HK_EINVAL;
    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = memrchr(auth, '@', auth_len);
    if (!at) {
        *bare = hk_arena_strdup(a, url);
        return *bare ? HK_OK : HK_ENOMEM;
    }
    size_t head = (size_t)(auth - url);
    *bare = hk_arena_sprintf(a, "%.*s%s", (int)head, url, at + 1);
    if (!*bare)
        return HK_ENOMEM;
    size_t info_len = (size_t)(at - auth);
    if (info_len == 0)
        return HK_OK;
    *credentials = decode_userinfo(a, auth, info_len, credentials_len);
    return *credentials ? HK_OK : HK_ENOMEM;
}

char *delivery_basic_auth(hk_arena *a, const char *credentials, size_t n)
{
    static const char prefix[] = "Basic ";
    if (n > (size_t)1 << 20) /* EVP_EncodeBlock takes an int; URLs are far shorter */
        return NULL;
    size_t b64 = 4 * ((n + 2) / 3);
    char *out = hk_arena_alloc(a, sizeof prefix - 1 + b64 + 1);
    if (!out)
        return NULL;
    memcpy(out, prefix, sizeof prefix - 1);
    EVP_EncodeBlock((unsigned char *)out + sizeof prefix - 1, (const unsigned char *)credentials,
                    (int)n);
    out[sizeof prefix - 1 + b64] = '\0';
    return out;
}

static bool header_value_ok(const char *v)
{
    return v && strpbrk(v, "\r\n") == NULL;
}

/* The headers' text is bounded: an Authorization header carries the URL's
 * credentials, and URLs are far shorter than this. */
#define HEADERS_TEXT_MAX ((size_t)64 << 10)

void delivery_headers_init(delivery_headers *h)
{
    memset(h, 0, sizeof *h);
    hk_buf_init(&h->text, HEADERS_TEXT_MAX);
}

void delivery_headers_free(delivery_headers *h)
{
    if (h)
        hk_buf_free(&h->text);
}

/* Appends "name: value" and its NUL to the text; its offset goes to *at. */
static void add_line(hk_buf *text, size_t *at, const char *name, const char *value)
{
    *at = text->len;
    (void)hk_buf_puts(text, name);
    if (value) {
        (void)hk_buf_append(text, ": ", 2);
        (void)hk_buf_puts(text, value);
    }
    (void)hk_buf_append(text, "", 1); /* lines are separated by their NULs */
}

static hk_status check_values(const delivery_header_values *v)
{
    const char *required[] = {v->user_agent, v->workspace_id, v->target_id, v->target_version,
                              v->attempt_id, v->event_type,   v->event_id};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!header_value_ok(required[i]))
            return HK_EINVAL;
    if ((v->signature && !header_value_ok(v->signature)) ||
        (v->authorization && !header_value_ok(v->authorization)))
        return HK_EINVAL;
    return HK_OK;
}

size_t delivery_header_list(const delivery_header_values *v, delivery_header_text *text,
                            delivery_header out[DELIVERY_HEADERS_SENT])
{
    snprintf(text->number, sizeof text->number, "%u", (unsigned)v->attempt_number);
    hk_time_format(v->attempt_timestamp, text->timestamp);
    const delivery_header all[DELIVERY_HEADERS_SENT] = {
        {"Accept", "application/json"},
        {"Content-Type", "application/json"},
        {"User-Agent", v->user_agent},
        {"Plain-Workspace-Id", v->workspace_id},
        {"Plain-Webhook-Target-Id", v->target_id},
        {"Plain-Webhook-Target-Version", v->target_version},
        {"Plain-Webhook-Delivery-Attempt-Id", v->attempt_id},
        {"Plain-Webhook-Delivery-Attempt-Number", text->number},
        {"Plain-Webhook-Delivery-Attempt-Timestamp", text->timestamp},
        {"Plain-Event-Type", v->event_type},
        {"Plain-Event-Id", v->event_id},
        {v->signature ? "Plain-Request-Signature" : NULL, v->signature},
        {v->authorization ? "Authorization" : NULL, v->authorization},
    };
    size_t n = 0;
    for (size_t i = 0; i < DELIVERY_HEADERS_SENT; i++)
        if (all[i].name)
            out[n++] = all[i];
    return n;
}

hk_status delivery_build_headers(const delivery_header_values *v, delivery_headers *h,
                                 struct curl_slist **out)
{
    *out = NULL;
    hk_status st = check_values(v);
    if (st)
        return st;
    delivery_header_text text;
    delivery_header lines[DELIVERY_HEADER_LINES];
    size_t n_lines = delivery_header_list(v, &text, lines);
    /* "Name:" with nothing after it makes libcurl drop a header it would add. */
    lines[n_lines++] = (delivery_header){"Expect:", NULL};
    size_t at[DELIVERY_HEADER_LINES];
    hk_buf_reset(&h->text);
    for (size_t i = 0; i < n_lines; i++)
        add_line(&h->text, &at[i], lines[i].name, lines[i].value);
    if (h->text.err)
        return h->text.err;
    /* Linked only now: the text may have moved while it grew. */
    for (size_t i = 0; i < n_lines; i++) {
        h->nodes[i].data = h->text.data + at[i];
        h->nodes[i].next = i + 1 < n_lines ? &h->nodes[i + 1] : NULL;
    }
    *out = &h->nodes[0];
    return HK_OK;
}

static bool is_tls_error(CURLcode code)
{
    switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return true;
    default:
        return false;
    }
}

/* libcurl's own words: its error buffer, else its text for the code. */
static const char *curl_words(const delivery_outcome_in *in)
{
    return in->curl_error && in->curl_error[0] ? in->curl_error : curl_easy_strerror(in->code);
}

static void connect_error(const delivery_outcome_in *in, char *error, size_t size)
{
    switch (in->os_errno) {
    case ECONNREFUSED:
        snprintf(error, size, "connection refused");
        break;
    case ENETUNREACH:
        snprintf(error, size, "network unreachable");
        break;
    case EHOSTUNREACH:
        snprintf(error, size, "host unreachable");
        break;
    default:
        snprintf(error, size, "cannot connect: %s", curl_words(in));
        break;
    }
}

static void transfer_error(const delivery_outcome_in *in, char *error, size_t size)
{
    if (in->resend_refused) {
        snprintf(error, size, "connection closed after the request was sent, with no answer");
        return;
    }
    if (in->address_refused && in->http_status == 0) {
        snprintf(error, size, "destination address not allowed");
        return;
    }
    if (is_tls_error(in->code)) {
        snprintf(error, size, "TLS: %s", curl_words(in));
        return;
    }
    switch (in->code) {
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(error, size, "timeout after %lld ms", (long long)in->timeout_ms);
        break;
    case CURLE_COULDNT_CONNECT:
        connect_error(in, error, size);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(error, size, "DNS: %s", curl_words(in));
        break;
    case CURLE_GOT_NOTHING:
        snprintf(error, size, "empty reply from server");
        break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        if (in->os_errno == ECONNRESET)
            snprintf(error, size, "connection reset");
        else
            snprintf(error, size, "connection error: %s", curl_words(in));
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
        snprintf(error, size, "URL scheme not allowed");
        break;
    case CURLE_URL_MALFORMAT:
        snprintf(error, size, "malformed URL");
        break;
    case CURLE_PARTIAL_FILE:
        snprintf(error, size, "incomplete response (connection closed in the body)");
        break;
    default:
        snprintf(error, size, "%s", curl_words(in));
        break;
    }
}

bool delivery_outcome(const delivery_outcome_in *in, char *error, size_t size, int *status_code)
{
    *status_code = in->http_status > 0 && in->http_status < 1000 ? (int)in->http_status : 0;
    if (size > 0)
        error[0] = '\0';
    /* A response we stopped reading on purpose still has its status. */
    bool completed =
        in->code == CURLE_OK || (in->code == CURLE_WRITE_ERROR && in->body_cut && *status_code);
    if (!completed) {
        transfer_error(in, error, size);
        return false;
    }
    if (!in->headers_complete) {
        *status_code = 0; /* a status line without its headers proves nothing */
        snprintf(error, size, "incomplete response (connection closed in the headers)");
        return false;
    }
    if (*status_code >= 200 && *status_code <= 299)
        return true;
    if (*status_code >= 300 && *status_code <= 399)
        snprintf(error, size, "redirect (HTTP %d) not followed", *status_code);
    else
        snprintf(error, size, "HTTP %d", *status_code);
    return false;
}

/* The length of the UTF-8 sequence a lead byte announces, 0 for no lead byte. */
static size_t sequence_length(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        return 2;
    if ((c & 0xf0) == 0xe0)
        return 3;
    if ((c & 0xf8) == 0xf0)
        return 4;
    return 0;
}

/* ---- Keep-Alive ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* A whole number of seconds, digits only, at most DELIVERY_KEEP_ALIVE_MAX; -1 otherwise. */
static int parse_seconds(const char *s, size_t n)
{
    if (n == 0)
        return -1;
    int v = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return -1;
        v = v * 10 + (s[k] - '0');
        if (v > DELIVERY_KEEP_ALIVE_MAX)
            return -1;
    }
    return v;
}

int delivery_keep_alive_timeout(const char *line, size_t n)
{
    static const char name[] = "keep-alive:";
    const size_t len = sizeof name - 1;
    if (n < len || strncasecmp(line, name, len) != 0)
        return -1;
    while (n > len && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        n--;
    /* Parameters separated by commas: "timeout=5, max=100". */
    for (size_t i = len; i < n;) {
        while (i < n && (is_space(line[i]) || line[i] == ','))
            i++;
        size_t end = i;
        while (end < n && line[end] != ',')
            end++;
        size_t plen = end - i;
        while (plen > 0 && is_space(line[i + plen - 1]))
            plen--;
        if (plen > 8 && strncasecmp(line + i, "timeout=", 8) == 0)
            return parse_seconds(line + i + 8, plen - 8);
        i = end;
    }
    return -1;
}

/* libcurl's default CURLOPT_MAXAGE_CONN. */
#define CURL_DEFAULT_MAX_AGE 118L
#define KEEP_ALIVE_MARGIN_S 2

long delivery_connection_max_age(int timeout_s)
{
    if (timeout_s < 0)
        return CURL_DEFAULT_MAX_AGE;
    long age = (long)timeout_s - KEEP_ALIVE_MARGIN_S;
    if (age < 0)
        age = 0;
    return age < CURL_DEFAULT_MAX_AGE ? age : CURL_DEFAULT_MAX_AGE;
}

size_t delivery_excerpt_clean(char *s, size_t n, size_t max)
{
    size_t limit = n < max ? n : max;
    size_t in = 0, out = 0;
    while (in < limit) {
        size_t len = sequence_length((unsigned char)s[in]);
        if (len > 0 && in + len > limit)
            break; /* a character cut by the limit: leave it out */
        if (len > 0 && hk_utf8_valid(s + in, len)) {
            memmove(s + out, s + in, len);
            in += len;
            out += len;
        } else {
            s[out++] = '?';
            in++;
        }
    }
    s[out] = '\0';
    return out;
}
