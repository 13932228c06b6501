/*
 * output.c - hookctl's text, JSON and error output (see output.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/jpath.h"
#include "cli/output.h"
#include "core/utf8.h"

static const char *const style_escape[] = {
    [STYLE_PLAIN] = "",      [STYLE_HEADER] = "\033[1m", [STYLE_LABEL] = "\033[2m",
    [STYLE_OK] = "\033[32m", [STYLE_BAD] = "\033[31m",   [STYLE_WARN] = "\033[33m",
    [STYLE_DIM] = "\033[2m",
};

bool out_color_wanted(bool no_color_flag)
{
    const char *term = getenv("TERM");
    return !no_color_flag && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL &&
           !(term && strcmp(term, "dumb") == 0);
}

/* Length of the UTF-8 sequence starting with byte c (1 for a byte no sequence starts with). */
static size_t seq_len(unsigned char c)
{
    if (c >= 0xf0 && c < 0xf8)
        return 4;
    if (c >= 0xe0 && c < 0xf0)
        return 3;
    return c >= 0xc0 && c < 0xe0 ? 2 : 1;
}

/* The length of the well-formed character at p, or 0 for a malformed byte. */
static size_t char_len(const unsigned char *p)
{
    size_t n = seq_len(*p);
    if (strnlen((const char *)p, n) < n || !hk_utf8_valid((const char *)p, n))
        return 0;
    return n;
}

/* True for C0 controls, DEL, and the C1 controls U+0080..U+009F (0xC2 0x80..0x9F). */
static bool is_control(const unsigned char *p, size_t n)
{
    if (n == 1)
        return p[0] < 0x20 || p[0] == 0x7f;
    return n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/* A control character or a byte that is not UTF-8, written visibly: \n \r \t, \x1b,
 * \u0085. Returns the bytes written (at most 6). */
static size_t escape(const unsigned char *p, size_t n, char *out)
{
    if (n == 1 && (p[0] == '\n' || p[0] == '\r' || p[0] == '\t')) {
        out[0] = '\\';
        out[1] = p[0] == '\n' ? 'n' : p[0] == '\r' ? 'r' : 't';
        return 2;
    }
    if (n == 2) /* a C1 control, U+0080..U+009F */
        return (size_t)snprintf(out, 7, "\\u%04x", ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu));
    return (size_t)snprintf(out, 5, "\\x%02x", p[0]);
}

char *out_clean(const char *s, size_t max_points)
{
    if (!s)
        s = "-";
    size_t len = strlen(s);
    /* Each byte gives at most four bytes ("\x1b"; a C1 control's two give six), plus "..."
     * after a cut and the NUL. */
    char *out = malloc(4 * len + 4);
    if (!out)
        return NULL;
    bool cut = max_points > 3 && hk_utf8_count(s, len) > max_points;
    size_t keep = cut ? max_points - 3 : (size_t)-1;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t points = 0; *p && points < keep; points++) {
        size_t n = char_len(p);
        if (n == 0 || is_control(p, n)) {
            o += escape(p, n ? n : 1, out + o);
            p += n ? n : 1;
            continue;
        }
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

size_t out_width(const char *clean)
{
    return hk_utf8_count(clean, strlen(clean));
}

void out_text(const cli_out *o, cli_style style, const char *text)
{
    char *clean = out_clean(text, 0);
    const char *shown = clean ? clean : "?";
    if (o->color && style != STYLE_PLAIN)
        fprintf(o->f, "%s%s\033[0m", style_escape[style], shown);
    else
        fputs(shown, o->f);
    free(clean);
}

void out_kv_styled(const cli_out *o, const char *label, const char *value, cli_style style)
{
    bool absent = !value || !*value;
    fputs("  ", o->f);
    out_text(o, STYLE_LABEL, label);
    size_t w = strlen(label);
    fprintf(o->f, "%*s", (int)(w < OUT_LABEL_WIDTH ? OUT_LABEL_WIDTH - w : 1), "");
    out_text(o, absent ? STYLE_DIM : style, absent ? "-" : value);
    fputc('\n', o->f);
}

void out_kv(const cli_out *o, const char *label, const char *value)
{
    out_kv_styled(o, label, value, STYLE_PLAIN);
}

void out_section(const cli_out *o, const char *title)
{
    fputc('\n', o->f);
    out_text(o, STYLE_HEADER, title);
    fputc('\n', o->f);
}

void out_json(const cli_out *o, json_t *data)
{
    json_dumpf(data, o->f, JSON_COMPACT);
    fputc('\n', o->f);
}

/* Prints text (which may hold several lines) after the "hookctl: " prefix, cleaned line by line. */
static void error_lines(const char *text)
{
    const char *line = text;
    do {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *one = strndup(line, len);
        char *clean = one ? out_clean(one, 0) : NULL;
        fprintf(stderr, "hookctl: %s\n", clean ? clean : "(out of memory)");
        free(clean);
        free(one);
        line = nl ? nl + 1 : NULL;
    } while (line);
}

void out_error(const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    error_lines(text);
}

void out_mutation_error(json_t *error)
{
    out_error("%s: %s", jpath_str(error, "code", "error"),
              jpath_str(error, "message", "(no message)"));
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(error, "fields"), i, f)
    {
        out_error("  %s: %s (%s)", jpath_str(f, "field", "?"), jpath_str(f, "message", ""),
                  jpath_str(f, "type", "?"));
    }
}
