/*
 * formats.c - the small string formats of Plain's webhook schema (ids,
 * colours, lengths) and the JavaScript character classes its patterns use.
 *
 * Plain validates with Ajv without the `u` flag, so patterns see UTF-16 code
 * units; where that differs from code points it is said below.
 */
#include <string.h>

#include "verify_int.h"

size_t hkv_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    if (n > len) /* cannot happen with jansson's strings; never read past len */
        n = len;
    uint32_t v = n == 1 ? u[0] : n == 2 ? u[0] & 0x1F : n == 3 ? u[0] & 0x0F : u[0] & 0x07;
    for (size_t i = 1; i < n; i++)
        v = (v << 6) | (u[i] & 0x3F);
    *cp = v;
    return n;
}

/* Ajv counts code points (a surrogate pair is one), not bytes or code units. */
size_t hkv_utf8_length(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

bool hkv_js_line_terminator(uint32_t cp)
{
    return cp == 0x0A || cp == 0x0D || cp == 0x2028 || cp == 0x2029;
}

bool hkv_js_space(uint32_t cp)
{
    if (cp == 0x09 || cp == 0x0B || cp == 0x0C || cp == 0x20 || cp == 0xA0 || cp == 0xFEFF)
        return true;
    if (hkv_js_line_terminator(cp))
        return true;
    /* Unicode's Zs beyond Latin-1 */
    return cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* Crockford base32 in upper case: digits and letters but I, L, O, U. */
static bool is_crockford(char ch)
{
    if (ch >= '0' && ch <= '9')
        return true;
    return ch >= 'A' && ch <= 'Z' && ch != 'I' && ch != 'L' && ch != 'O' && ch != 'U';
}

#define ULID_LEN 26
#define ID_MAX 50

bool hkv_is_id(const char *s, size_t len)
{
    size_t i = 0;
    if (len > ID_MAX)
        return false;
    while (i < len && is_alpha(s[i]))
        i++;
    if (i == 0 || i + 1 + ULID_LEN != len || s[i] != '_')
        return false;
    for (i++; i < len; i++)
        if (!is_crockford(s[i]))
            return false;
    return true;
}

bool hkv_is_color(const char *s, size_t len)
{
    if (len < 1 || s[0] != '#')
        return false;
    size_t digits = len - 1;
    if (digits != 3 && digits != 4 && digits != 6 && digits != 8)
        return false;
    for (size_t i = 1; i < len; i++)
        if (!is_hex(s[i]))
            return false;
    return true;
}
