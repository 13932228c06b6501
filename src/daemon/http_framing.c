#include "daemon/http_framing.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A field value's octets (RFC 9110 §5.5): visible ASCII, SP, HTAB and obs-text. */
static bool value_ok(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bool name_is(const hk_http_field *f, const char *name)
{
    return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

/* [from, to) holds `min` to `max` bytes, all NUL: what a line end (or two) leaves. */
static bool only_nuls(const char *from, const char *to, size_t min, size_t max)
{
    if (to < from || (size_t)(to - from) < min || (size_t)(to - from) > max)
        return false;
    for (const char *p = from; p < to; p++)
        if (*p)
            return false;
    return true;
}

/*
 * The raw head as libmicrohttpd 0.9.75 leaves it (see http_framing.h):
 *   METHOD \0 TARGET \0 VERSION \0[\0] NAME \0 [OWS] VALUE \0[\0] ... \0[\0]
 * with every pointer inside it and in order. Anything else had a NUL where the parser
 * ended a string early, or a line it moved (obs-fold).
 */
static bool raw_layout_ok(const hk_http_head *h)
{
    const char *raw = h->raw, *end = h->raw + h->raw_len;
    if (!h->target || !h->version)
        return false;
    size_t method_len = strnlen(raw, h->raw_len);
    /* One space, then the target, then one space and the version. */
    if (h->target != raw + method_len + 1 || h->target + h->target_len + 1 != h->version ||
        h->version + 8 > end || strnlen(h->version, 9) != 8)
        return false;
    const char *at = h->version + 8;
    for (size_t i = 0; i < h->nfields; i++) {
        const hk_http_field *f = &h->fields[i];
        if (f->name < at || f->value < f->name || f->value + f->value_len >= end)
            return false;
        if (!only_nuls(at, f->name, 1, 2))
            return false;
        /* NAME \0 OWS VALUE: the colon is the NUL, then spaces or tabs only. */
        const char *colon = f->name + f->name_len;
        if (colon >= f->value || *colon)
            return false;
        for (const char *p = colon + 1; p < f->value; p++)
            if (*p != ' ' && *p != '\t')
                return false;
        at = f->value + f->value_len;
    }
    /* The last line's end, then the blank line's. */
    return only_nuls(at, end, 2, 4);
}

static void verdict(hk_http_framing *out, hk_http_verdict v, const char *reason)
{
    out->verdict = v;
    out->reason = reason;
}

/* Digits only, no sign or spaces, and no more than a uint64_t holds. */
static bool parse_length(const char *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    if (n == 0 || n > 19)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return true;
}

/* The transfer codings, last one first: 400 unless chunked is last, 501 if another
 * coding comes before it, 411 for chunked alone (hookd wants the length). */
static void transfer_coding(const hk_http_field *te, hk_http_framing *out)
{
    const char *v = te->value;
    size_t n = te->value_len;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    size_t start = n;
    while (start && v[start - 1] != ',')
        start--;
    const char *last = v + start;
    while (last < v + n && (*last == ' ' || *last == '\t'))
        last++;
    size_t last_len = (size_t)(v + n - last);
    if (last_len != 7 || strncasecmp(last, "chunked", 7) != 0) {
        verdict(out, HK_HTTP_FRAMING_BAD,
                "Transfer-Encoding does not end in chunked: the body has no length");
        return;
    }
    if (start > 0) {
        verdict(out, HK_HTTP_FRAMING_NOT_IMPLEMENTED,
                "transfer codings other than chunked are not implemented");
        return;
    }
    verdict(out, HK_HTTP_FRAMING_LENGTH_REQUIRED,
            "chunked bodies are not accepted: send Content-Length");
}

void hk_http_framing_check(const hk_http_head *h, bool wants_body, hk_http_framing *out)
{
    memset(out, 0, sizeof *out);
    verdict(out, HK_HTTP_FRAMING_OK, NULL);
    if (h->raw && !raw_layout_ok(h)) {
        verdict(out, HK_HTTP_FRAMING_BAD,
                "malformed request head (NUL byte, folded header line, or stray spaces)");
        return;
    }
    const hk_http_field *te = NULL, *length = NULL, *host = NULL;
    const hk_http_field *auth = NULL, *type = NULL;
    for (size_t i = 0; i < h->nfields; i++) {
        const hk_http_field *f = &h->fields[i];
        for (size_t k = 0; k < f->name_len; k++) {
            if (!is_tchar((unsigned char)f->name[k])) {
                verdict(out, HK_HTTP_FRAMING_BAD,
                        "malformed header name (a space before the colon?)");
                return;
            }
        }
        if (f->name_len == 0 || !value_ok(f->value, f->value_len)) {
            verdict(out, HK_HTTP_FRAMING_BAD, "malformed header field");
            return;
        }
        /* Fields that must come once: a second may be read otherwise by another server. */
        const hk_http_field **once = name_is(f, "Content-Length")      ? &length
                                     : name_is(f, "Transfer-Encoding") ? &te
                                     : name_is(f, "Host")              ? &host
                                     : name_is(f, "Authorization")     ? &auth
                                     : name_is(f, "Content-Type")      ? &type
                                                                       : NULL;
        if (once && *once) {
            verdict(out, HK_HTTP_FRAMING_BAD, "a header that may appear once appears twice");
            return;
        }
        if (once)
            *once = f;
    }
    if (h->version && strcmp(h->version, "HTTP/1.1") == 0 && !host) {
        verdict(out, HK_HTTP_FRAMING_BAD, "an HTTP/1.1 request needs a Host header");
        return;
    }
    if (auth)
        out->authorization = auth->value;
    if (length) {
        if (te) {
            verdict(out, HK_HTTP_FRAMING_BAD,
                    "Content-Length and Transfer-Encoding together are ambiguous");
            return;
        }
        if (!parse_length(length->value, length->value_len, &out->content_length)) {
            verdict(out, HK_HTTP_FRAMING_BAD, "malformed Content-Length");
            return;
        }
        out->has_length = true;
    }
    if (te) {
        transfer_coding(te, out);
        return;
    }
    if (wants_body && !length)
        verdict(out, HK_HTTP_FRAMING_LENGTH_REQUIRED, "send the body with a Content-Length");
}

unsigned hk_http_framing_status(hk_http_verdict v)
{
    switch (v) {
    case HK_HTTP_FRAMING_OK:
        return 200;
    case HK_HTTP_FRAMING_LENGTH_REQUIRED:
        return 411;
    case HK_HTTP_FRAMING_NOT_IMPLEMENTED:
        return 501;
    default:
        return 400;
    }
}
