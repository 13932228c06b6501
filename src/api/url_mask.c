/*
 * url_mask.c - hides the credentials of a webhook target's URL (see
 * url_mask.h for the rules).
 */
#include <stdbool.h>
#include <string.h>

#include "api/url_mask.h"

#define MASK "***"

static bool is_scheme_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
}

/* Where the authority starts: after "scheme://", else at the very start. The
 * domain only stores URLs with a scheme, but a mask must not depend on it. */
static const char *authority(const char *url)
{
    const char *p = url;
    while (is_scheme_char(*p))
        p++;
    return p > url && strncmp(p, "://", 3) == 0 ? p + 3 : url;
}

/* True when the authority (len bytes, no '@' in it) ends in ":port" with a
 * port that is not all digits: the trace of a password with an unescaped
 * '/', '?' or '#', which the URL grammar reads as the end of the host. */
static bool has_bogus_port(const char *auth, size_t len)
{
    const char *end = auth + len;
    const char *host_end = auth;
    if (len > 0 && auth[0] == '[') { /* an IPv6 literal has colons of its own */
        host_end = memchr(auth, ']', len);
        if (!host_end)
            return false;
    }
    const char *colon = memchr(host_end, ':', (size_t)(end - host_end));
    if (!colon)
        return false;
    for (const char *p = colon + 1; p < end; p++)
        if (*p < '0' || *p > '9')
            return true;
    return false;
}

/* The '@' that ends the userinfo, NULL when the URL carries none. */
static const char *userinfo_end(const char *auth)
{
    size_t len = strcspn(auth, "/?#");
    const char *at = memrchr(auth, '@', len);
    if (!at && has_bogus_port(auth, len))
        at = strrchr(auth + len, '@');
    return at;
}

char *api_url_mask(hk_arena *a, const char *url)
{
    if (!url)
        return NULL;
    const char *auth = authority(url);
    const char *at = userinfo_end(auth);
    if (!at || at == auth) /* no userinfo, or an empty one: nothing to hide */
        return hk_arena_strdup(a, url);
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    /* Keep "scheme://user:" when there is a password; otherwise the user
     * name is the whole credential and only "scheme://" is kept. */
    const char *keep_end = colon && colon + 1 < at ? colon + 1 : auth;
    size_t head = (size_t)(keep_end - url), tail = strlen(at);
    char *out = hk_arena_alloc(a, head + sizeof MASK - 1 + tail + 1);
    if (!out)
        return NULL;
    memcpy(out, url, head);
    memcpy(out + head, MASK, sizeof MASK - 1);
    memcpy(out + head + sizeof MASK - 1, at, tail + 1);
    return out;
}
