/*
 * email.c - Plain's emailAddress pattern, matched without a regex engine:
 *
 *   ^(([^<>()[\]\\.,;:\s@"]+(\.[^<>()[\]\\.,;:\s@"]+)*)|(".+"))
 *   @((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])|([^-]([a-zA-Z0-9-]*\.)+[a-zA-Z]{2,}))$
 *
 * as JavaScript runs it without the `u` flag (on UTF-16 code units). A
 * quoted local part may contain '@' and the domain's first character may be
 * '@' too, so the '@' that splits the address is not always the first one:
 * every '@' is a candidate. Each candidate is checked in constant time from
 * facts gathered in one pass, so the whole match is linear in the length
 * (a backtracking regex is quadratic here).
 */
#include <string.h>

#include "verify_int.h"

typedef struct scan {
    const char *s;
    size_t len;
    size_t first_at;        /* the first '@' */
    size_t first_lt;        /* the first line terminator, or len */
    size_t domain_suffix;   /* start of the longest suffix of [A-Za-z0-9.-] */
    bool dot_atom_at_first; /* s[0..first_at) is the unquoted local part */
} scan;

static bool is_atom_char(uint32_t cp)
{
    if (cp == 0 || (cp < 0x80 && strchr("<>()[]\\.,;:@\"", (int)cp)))
        return false;
    return !hkv_js_space(cp);
}

/* [^<>()[\]\\.,;:\s@"]+ joined by single dots; any non-space code point counts. */
static bool dot_atom(const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = hkv_utf8_next(s + i, len - i, &cp);
        if (cp == '.') {
            if (run == 0)
                return false;
            run = 0;
        } else if (!is_atom_char(cp)) {
            return false;
        } else {
            run++;
        }
        i += n;
    }
    return run > 0;
}

static bool is_domain_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.';
}

static bool is_letter(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static void scan_init(scan *sc, const char *s, size_t len)
{
    sc->s = s;
    sc->len = len;
    const char *at = memchr(s, '@', len);
    sc->first_at = at ? (size_t)(at - s) : len;
    sc->first_lt = len;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = hkv_utf8_next(s + i, len - i, &cp);
        if (hkv_js_line_terminator(cp)) {
            sc->first_lt = i;
            break;
        }
        i += n;
    }
    sc->domain_suffix = len;
    while (sc->domain_suffix > 0 && is_domain_char(s[sc->domain_suffix - 1]))
        sc->domain_suffix--;
    sc->dot_atom_at_first = at && dot_atom(s, sc->first_at);
}

/* ".+" : a quote, at least one code unit that is not a line terminator, a quote. */
static bool quoted_local(const scan *sc, size_t at)
{
    return at >= 3 && sc->s[0] == '"' && sc->s[at - 1] == '"' && sc->first_lt >= at - 1;
}

/* \[d{1,3}\.d{1,3}\.d{1,3}\.d{1,3}\] to the end */
static bool ip_literal(const char *d, size_t len)
{
    size_t i = 1;
    if (len < 9 || d[0] != '[' || d[len - 1] != ']')
        return false;
    for (int part = 0; part < 4; part++) {
        size_t start = i;
        while (i < len - 1 && i - start < 4 && d[i] >= '0' && d[i] <= '9')
            i++;
        if (i == start || i - start > 3)
            return false;
        if (part < 3 && d[i++] != '.')
            return false;
    }
    return i == len - 1;
}

/* ([a-zA-Z0-9-]*\.)+[a-zA-Z]{2,} : a dot, and two or more letters after the last one. */
static bool host_rest(const char *r, size_t len)
{
    size_t dot = len;
    while (dot > 0 && r[dot - 1] != '.')
        dot--;
    if (dot == 0 || len - dot < 2)
        return false;
    for (size_t i = dot; i < len; i++)
        if (!is_letter(r[i]))
            return false;
    return true;
}

/* [^-] then host_rest; the rest must lie in the all-domain-characters suffix. */
static bool host(const scan *sc, size_t start)
{
    if (start >= sc->len)
        return false;
    uint32_t cp;
    size_t n = hkv_utf8_next(sc->s + start, sc->len - start, &cp);
    /* one UTF-16 unit only: an astral character is two, and its second half
     * is no domain character */
    if (cp == '-' || cp > 0xFFFF)
        return false;
    size_t rest = start + n;
    if (rest < sc->domain_suffix)
        return false;
    return host_rest(sc->s + rest, sc->len - rest);
}

static bool candidate(const scan *sc, size_t at)
{
    bool local = (at == sc->first_at && sc->dot_atom_at_first) || quoted_local(sc, at);
    if (!local)
        return false;
    size_t d = at + 1;
    return ip_literal(sc->s + d, sc->len - d) || host(sc, d);
}

bool hkv_is_email(const char *s, size_t len)
{
    scan sc;
    scan_init(&sc, s, len);
    for (size_t at = sc.first_at; at < len; at++)
        if (s[at] == '@' && candidate(&sc, at))
            return true;
    return false;
}
