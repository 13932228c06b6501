/*
 * validate.c - input rules of SPEC §2 and §4, shared by the domain and the
 * GraphQL layer. Every check names the field it rejects.
 */
#include <string.h>

#include "core/utf8.h"
#include "domain/domain.h"
#include "domain/domain_int.h"

hk_status hk_validate_text(const char *field, const char *s, size_t max_chars, hk_error *err)
{
    if (!s)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_REQUIRED, "%s is required",
                              field);
    size_t n = strlen(s);
    if (!hk_utf8_valid(s, n))
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s must be valid UTF-8 text", field);
    size_t chars = hk_utf8_count(s, n);
    if (chars == 0)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s must not be empty", field);
    if (chars > max_chars)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s must be at most %zu characters", field, max_chars);
    return HK_OK;
}

/* Decodes one code point of valid UTF-8; returns its length. */
static size_t next_cp(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        *cp = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
        return 2;
    }
    if ((s[0] & 0xf0) == 0xe0) {
        *cp = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
        return 3;
    }
    *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu);
    return 4;
}

/* JavaScript's \s (the schema's patterns are ECMAScript regular expressions). */
static bool js_space(unsigned cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

static bool js_line_terminator(unsigned cp)
{
    return cp == 0x0a || cp == 0x0d || cp == 0x2028 || cp == 0x2029;
}

/* [^<>()[\]\\.,;:\s@"]+(\.[^<>()[\]\\.,;:\s@"]+)* */
static bool local_dot_atoms(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    size_t atom = 0;
    while (p < end) {
        unsigned cp;
        p += next_cp(p, &cp);
        if (cp == '.') {
            if (atom == 0)
                return false;
            atom = 0;
            continue;
        }
        if (cp < 0x80 && strchr("<>()[]\\,;:@\"", (int)cp))
            return false;
        if (js_space(cp))
            return false;
        atom++;
    }
    return atom > 0;
}

/* ".+" : quoted, at least one character that is not a line terminator. */
static bool local_quoted(const char *s, size_t n)
{
    if (n < 3 || s[0] != '"' || s[n - 1] != '"')
        return false;
    const unsigned char *p = (const unsigned char *)s + 1, *end = (const unsigned char *)s + n - 1;
    while (p < end) {
        unsigned cp;
        p += next_cp(p, &cp);
        if (js_line_terminator(cp))
            return false;
    }
    return true;
}

static bool digits_1_3(const char **p, const char *end)
{
    int k = 0;
    while (*p < end && **p >= '0' && **p <= '9' && k < 3) {
        (*p)++;
        k++;
    }
    return k > 0;
}

/* \[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\] */
static bool domain_ip_literal(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    if (n < 9 || *p++ != '[' || s[n - 1] != ']')
        return false;
    end--;
    for (int i = 0; i < 4; i++) {
        if (!digits_1_3(&p, end))
            return false;
        if (i < 3 && (p >= end || *p++ != '.'))
            return false;
    }
    return p == end;
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* [^-]([a-zA-Z0-9-]*\.)+[a-zA-Z]{2,} */
static bool domain_name(const char *s, size_t n)
{
    if (n == 0 || s[0] == '-')
        return false;
    unsigned cp;
    size_t first = next_cp((const unsigned char *)s, &cp);
    const char *rest = s + first;
    size_t rn = n - first;
    const char *dot = NULL;
    for (size_t i = 0; i < rn; i++)
        if (rest[i] == '.')
            dot = rest + i;
    if (!dot)
        return false;
    for (const char *q = rest; q < dot; q++)
        if (!(is_alpha(*q) || (*q >= '0' && *q <= '9') || *q == '-' || *q == '.'))
            return false;
    size_t tld = (size_t)(rest + rn - (dot + 1));
    if (tld < 2)
        return false;
    for (const char *q = dot + 1; q < rest + rn; q++)
        if (!is_alpha(*q))
            return false;
    return true;
}

bool domain_email_matches(const char *s, size_t n)
{
    /* The pattern backtracks over which '@' separates the parts; so do we. */
    for (size_t at = 1; at + 1 < n; at++) {
        if (s[at] != '@')
            continue;
        bool local = local_dot_atoms(s, at) || local_quoted(s, at);
        const char *d = s + at + 1;
        size_t dn = n - at - 1;
        if (local && (domain_ip_literal(d, dn) || domain_name(d, dn)))
            return true;
    }
    return false;
}

hk_status hk_validate_email(const char *field, const char *s, hk_error *err)
{
    if (!s)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_REQUIRED, "%s is required",
                              field);
    size_t n = strlen(s);
    if (n > HK_EMAIL_MAX_BYTES)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s must be at most %d characters", field, HK_EMAIL_MAX_BYTES);
    if (!hk_utf8_valid(s, n) || !domain_email_matches(s, n))
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s is not a valid email address", field);
    return HK_OK;
}

static bool is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

hk_status hk_validate_color(const char *field, const char *s, hk_error *err)
{
    if (!s)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_REQUIRED, "%s is required",
                              field);
    size_t n = strlen(s);
    bool ok = n > 0 && s[0] == '#' && (n == 4 || n == 5 || n == 7 || n == 9);
    for (size_t i = 1; ok && i < n; i++)
        ok = is_hex(s[i]);
    if (!ok)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s must be a hex colour like #D66258", field);
    return HK_OK;
}

hk_status hk_validate_group_key(const char *field, const char *s, hk_error *err)
{
    return hk_validate_text(field, s, HK_GROUP_KEY_MAX_CHARS, err);
}

hk_status hk_validate_list_size(const char *field, size_t n, hk_error *err)
{
    if (n > HK_MAX_LIST_ITEMS)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s holds at most %d items (%zu given)", field, HK_MAX_LIST_ITEMS, n);
    return HK_OK;
}
