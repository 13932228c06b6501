/*
 * lexer.c - GraphQL source text to tokens (spec §2.1).
 *
 * Skips ignored tokens (BOM, white space, line terminators, commas,
 * comments), tracks line and column (columns count code points, both
 * 1-based) and decodes string values, escapes and block-string indentation
 * included, into the arena. The source must be valid UTF-8 (NUL allowed:
 * like any control character it may appear in strings and comments, spec
 * October 2021); the lexer never reads past `end` and never recurses.
 */
#include <stdio.h>
#include <string.h>

#include "graphql/graphql_int.h"

void gql_lex_init(gql_lexer *lx, const char *src, size_t len, size_t max_tokens, hk_arena *a,
                  gql_syntax_err *err)
{
    lx->p = src;
    lx->end = src + len;
    lx->pos.line = 1;
    lx->pos.col = 1;
    lx->ntokens = 0;
    lx->max_tokens = max_tokens;
    lx->arena = a;
    lx->err = err;
}

hk_status gql_syntax_fail(gql_syntax_err *err, gql_loc loc, const char *fmt, ...)
{
    if (!err || err->set)
        return HK_EPARSE;
    int n = snprintf(err->message, sizeof err->message, "Syntax Error: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
    err->loc = loc;
    err->set = true;
    return HK_EPARSE;
}

const char *gql_tok_kind_str(gql_tok_kind k)
{
    static const char *const names[] = {
        [GQL_TOK_EOF] = "<EOF>",      [GQL_TOK_BANG] = "\"!\"",
        [GQL_TOK_DOLLAR] = "\"$\"",   [GQL_TOK_AMP] = "\"&\"",
        [GQL_TOK_LPAREN] = "\"(\"",   [GQL_TOK_RPAREN] = "\")\"",
        [GQL_TOK_SPREAD] = "\"...\"", [GQL_TOK_COLON] = "\":\"",
        [GQL_TOK_EQUALS] = "\"=\"",   [GQL_TOK_AT] = "\"@\"",
        [GQL_TOK_LBRACKET] = "\"[\"", [GQL_TOK_RBRACKET] = "\"]\"",
        [GQL_TOK_LBRACE] = "\"{\"",   [GQL_TOK_PIPE] = "\"|\"",
        [GQL_TOK_RBRACE] = "\"}\"",   [GQL_TOK_NAME] = "Name",
        [GQL_TOK_INT] = "Int",        [GQL_TOK_FLOAT] = "Float",
        [GQL_TOK_STRING] = "String",  [GQL_TOK_BLOCK_STRING] = "BlockString",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* ------------------------------------------------------------- movement */

static int peek_at(const gql_lexer *lx, size_t off)
{
    return lx->p + off < lx->end ? (unsigned char)lx->p[off] : -1;
}

static int cur(const gql_lexer *lx)
{
    return peek_at(lx, 0);
}

/* Moves one byte, keeping the position right: \r\n is one line break, and
 * UTF-8 continuation bytes do not start a new column. */
static void adv(gql_lexer *lx)
{
    unsigned char c = (unsigned char)*lx->p++;
    if (c == '\n' || (c == '\r' && cur(lx) != '\n')) {
        lx->pos.line++;
        lx->pos.col = 1;
    } else if (c == '\r') {
        lx->pos.col++; /* the \n that follows ends the line */
    } else if ((c & 0xC0) != 0x80) {
        lx->pos.col++;
    }
}

static void adv_n(gql_lexer *lx, size_t n)
{
    while (n--)
        adv(lx);
}

static bool is_name_start(int c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_name_continue(int c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Describes the character at the current position for messages, as
 * graphql-js does: printable ASCII quoted, anything else as U+XXXX. */
static const char *char_desc(const gql_lexer *lx, char *buf, size_t n)
{
    int c = cur(lx);
    if (c < 0)
        return "<EOF>";
    if (c >= 0x20 && c < 0x7F) {
        snprintf(buf, n, c == '"' ? "'\"'" : "\"%c\"", c);
        return buf;
    }
    uint32_t cp = (uint32_t)c;
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len > 1)
        cp &= 0x3Fu >> (len - 1);
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | ((unsigned)peek_at(lx, i) & 0x3Fu);
    snprintf(buf, n, "U+%04X", (unsigned)cp);
    return buf;
}

static void skip_ignored(gql_lexer *lx)
{
    for (;;) {
        int c = cur(lx);
        if (c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r') {
            adv(lx);
        } else if (c == 0xEF && peek_at(lx, 1) == 0xBB && peek_at(lx, 2) == 0xBF) {
            adv_n(lx, 3); /* U+FEFF byte order mark */
        } else if (c == '#') {
            while (cur(lx) >= 0 && cur(lx) != '\n' && cur(lx) != '\r')
                adv(lx);
        } else {
            return;
        }
    }
}

/* -------------------------------------------------------------- numbers */

static hk_status digits(gql_lexer *lx)
{
    char d[16];
    if (!is_digit(cur(lx)))
        return gql_syntax_fail(lx->err, lx->pos, "Invalid number, expected digit but got: %s.",
                               char_desc(lx, d, sizeof d));
    while (is_digit(cur(lx)))
        adv(lx);
    return HK_OK;
}

static hk_status lex_number(gql_lexer *lx, gql_token *tok)
{
    char d[16];
    hk_status st;
    bool is_float = false;
    if (cur(lx) == '-')
        adv(lx);
    if (cur(lx) == '0') {
        adv(lx);
        if (is_digit(cur(lx)))
            return gql_syntax_fail(lx->err, lx->pos,
                                   "Invalid number, unexpected digit after 0: %s.",
                                   char_desc(lx, d, sizeof d));
    } else if ((st = digits(lx))) {
        return st;
    }
    if (cur(lx) == '.') {
        is_float = true;
        adv(lx);
        if ((st = digits(lx)))
            return st;
    }
    if (cur(lx) == 'e' || cur(lx) == 'E') {
        is_float = true;
        adv(lx);
        if (cur(lx) == '+' || cur(lx) == '-')
            adv(lx);
        if ((st = digits(lx)))
            return st;
    }
    if (cur(lx) == '.' || is_name_start(cur(lx)))
        return gql_syntax_fail(lx->err, lx->pos, "Invalid number, expected digit but got: %s.",
                               char_desc(lx, d, sizeof d));
    tok->kind = is_float ? GQL_TOK_FLOAT : GQL_TOK_INT;
    return HK_OK;
}

/* -------------------------------------------------------------- strings */

static void put_utf8(char *out, size_t *n, uint32_t cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the hex digits of \uXXXX or \u{X...} at lx->p (just after "\u"):
 * sets *cp and the byte length consumed; false when malformed. */
static bool read_hex_escape(const gql_lexer *lx, uint32_t *cp, size_t *used)
{
    uint32_t v = 0;
    if (peek_at(lx, 0) == '{') {
        size_t i = 1;
        /* At most 8 digits (\u{00000041}), as graphql-js reads them. */
        while (hex_val(peek_at(lx, i)) >= 0 && i <= 8) {
            v = v * 16 + (uint32_t)hex_val(peek_at(lx, i));
            if (v > 0x10FFFF)
                return false;
            i++;
        }
        if (i == 1 || peek_at(lx, i) != '}')
            return false;
        *cp = v;
        *used = i + 1;
        return !(v >= 0xD800 && v <= 0xDFFF);
    }
    for (size_t i = 0; i < 4; i++) {
        int h = hex_val(peek_at(lx, i));
        if (h < 0)
            return false;
        v = v * 16 + (uint32_t)h;
    }
    *cp = v;
    *used = 4;
    return true;
}

/* Decodes \u escapes starting at "\u" (lx->p at the backslash), joining a
 * surrogate pair written as two escapes. */
static hk_status unicode_escape(gql_lexer *lx, char *out, size_t *n)
{
    gql_loc at = lx->pos;
    const char *start = lx->p;
    uint32_t cp;
    size_t used;
    lx->p += 2; /* peek past "\u" without moving the position yet */
    bool ok = read_hex_escape(lx, &cp, &used);
    lx->p = start;
    if (ok && cp >= 0xD800 && cp <= 0xDBFF && used == 4 && peek_at(lx, 6) == '\\' &&
        peek_at(lx, 7) == 'u') {
        uint32_t lo;
        size_t used2;
        lx->p += 8;
        bool ok2 = read_hex_escape(lx, &lo, &used2);
        lx->p = start;
        if (ok2 && used2 == 4 && lo >= 0xDC00 && lo <= 0xDFFF) {
            put_utf8(out, n, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
            adv_n(lx, 12);
            return HK_OK;
        }
    }
    if (!ok || (cp >= 0xD800 && cp <= 0xDFFF)) {
        size_t len = 2;
        while (len < 12 && start + len < lx->end && start[len] != '"' && start[len] != '\\' &&
               start[len] != '\n')
            len++;
        return gql_syntax_fail(lx->err, at, "Invalid Unicode escape sequence: \"%.*s\".", (int)len,
                               start);
    }
    put_utf8(out, n, cp);
    adv_n(lx, 2 + used);
    return HK_OK;
}

static hk_status simple_escape(gql_lexer *lx, char *out, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    int c = peek_at(lx, 1);
    const char *hit = c > 0 ? strchr(from, c) : NULL;
    if (!hit) {
        size_t len = c < 0 ? 0 : 1;
        while (lx->p + 1 + len < lx->end && ((unsigned char)lx->p[1 + len] & 0xC0) == 0x80)
            len++;
        return gql_syntax_fail(lx->err, lx->pos, "Invalid character escape sequence: \"\\%.*s\".",
                               (int)len, lx->p + 1);
    }
    out[(*n)++] = to[hit - from];
    adv_n(lx, 2);
    return HK_OK;
}

/* Bytes up to the end of the "..." string starting at p (or of the line,
 * or the source): decoding never makes the text longer, so this bounds the
 * value's size without allocating the rest of the document per string. */
static size_t string_extent(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && *q != '"' && *q != '\n' && *q != '\r')
        q += *q == '\\' && q + 1 < end ? 2 : 1;
    return (size_t)(q - p);
}

/* The same for a block string: up to the closing triple quote. */
static size_t block_extent(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && !(end - q >= 3 && memcmp(q, "\"\"\"", 3) == 0))
        q += end - q >= 4 && memcmp(q, "\\\"\"\"", 4) == 0 ? 4 : 1;
    return (size_t)(q - p);
}

/* A "..." string: lx->p just after the opening quote. */
static hk_status lex_string(gql_lexer *lx, gql_token *tok)
{
    char *out = hk_arena_alloc(lx->arena, string_extent(lx->p, lx->end) + 1);
    size_t n = 0;
    hk_status st;
    if (!out)
        return HK_ENOMEM;
    for (;;) {
        int c = cur(lx);
        if (c < 0 || c == '\n' || c == '\r')
            return gql_syntax_fail(lx->err, lx->pos, "Unterminated string.");
        if (c == '"') {
            adv(lx);
            break;
        }
        /* Any other character, control characters included (spec October 2021). */
        if (c == '\\') {
            st = peek_at(lx, 1) == 'u' ? unicode_escape(lx, out, &n) : simple_escape(lx, out, &n);
            if (st)
                return st;
            continue;
        }
        out[n++] = (char)c;
        adv(lx);
    }
    out[n] = '\0';
    tok->kind = GQL_TOK_STRING;
    tok->value = out;
    tok->value_len = n;
    return HK_OK;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Block string value (spec: BlockStringValue): strips the common indentation
 * of all lines but the first, then leading and trailing blank lines, and
 * joins the lines with \n. `raw` has its \""" escapes already undone.
 */
static char *dedent(hk_arena *a, const char *raw, size_t len, size_t *out_len)
{
    size_t common = SIZE_MAX;
    bool first = true;
    for (size_t i = 0; i <= len;) {
        size_t e = i, ind = 0;
        while (e < len && raw[e] != '\n' && raw[e] != '\r')
            e++;
        while (i + ind < e && is_blank(raw[i + ind]))
            ind++;
        if (!first && ind < e - i && ind < common)
            common = ind;
        first = false;
        i = e + (e + 1 < len && raw[e] == '\r' && raw[e + 1] == '\n' ? 2 : 1);
    }
    char *out = hk_arena_alloc(a, len + 1);
    if (!out)
        return NULL;
    size_t n = 0, keep = 0; /* keep: length up to the last non-blank line */
    bool started = false;
    first = true;
    for (size_t i = 0; i <= len;) {
        size_t e = i;
        while (e < len && raw[e] != '\n' && raw[e] != '\r')
            e++;
        size_t s = i;
        if (!first)
            s = i + (common == SIZE_MAX ? 0 : (common < e - i ? common : e - i));
        bool blank = true;
        for (size_t k = i; k < e; k++)
            blank = blank && is_blank(raw[k]);
        if (started || !blank) {
            if (started)
                out[n++] = '\n';
            memcpy(out + n, raw + s, e - s);
            n += e - s;
            started = true;
            if (!blank)
                keep = n;
        }
        first = false;
        i = e + (e + 1 < len && raw[e] == '\r' && raw[e + 1] == '\n' ? 2 : 1);
    }
    out[keep] = '\0';
    *out_len = keep;
    return out;
}

/* A """...""" string: lx->p just after the opening quotes. */
static hk_status lex_block_string(gql_lexer *lx, gql_token *tok)
{
    char *raw = hk_arena_alloc(lx->arena, block_extent(lx->p, lx->end) + 1);
    size_t n = 0;
    if (!raw)
        return HK_ENOMEM;
    for (;;) {
        int c = cur(lx);
        if (c < 0)
            return gql_syntax_fail(lx->err, lx->pos, "Unterminated string.");
        if (c == '"' && peek_at(lx, 1) == '"' && peek_at(lx, 2) == '"') {
            adv_n(lx, 3);
            break;
        }
        if (c == '\\' && peek_at(lx, 1) == '"' && peek_at(lx, 2) == '"' && peek_at(lx, 3) == '"') {
            memcpy(raw + n, "\"\"\"", 3);
            n += 3;
            adv_n(lx, 4);
            continue;
        }
        raw[n++] = (char)c;
        adv(lx);
    }
    size_t vlen;
    char *v = dedent(lx->arena, raw, n, &vlen);
    if (!v)
        return HK_ENOMEM;
    tok->kind = GQL_TOK_BLOCK_STRING;
    tok->value = v;
    tok->value_len = vlen;
    return HK_OK;
}

/* ---------------------------------------------------------------- tokens */

static gql_tok_kind punctuator(int c)
{
    switch (c) {
    case '!':
        return GQL_TOK_BANG;
    case '$':
        return GQL_TOK_DOLLAR;
    case '&':
        return GQL_TOK_AMP;
    case '(':
        return GQL_TOK_LPAREN;
    case ')':
        return GQL_TOK_RPAREN;
    case ':':
        return GQL_TOK_COLON;
    case '=':
        return GQL_TOK_EQUALS;
    case '@':
        return GQL_TOK_AT;
    case '[':
        return GQL_TOK_LBRACKET;
    case ']':
        return GQL_TOK_RBRACKET;
    case '{':
        return GQL_TOK_LBRACE;
    case '|':
        return GQL_TOK_PIPE;
    case '}':
        return GQL_TOK_RBRACE;
    default:
        return GQL_TOK_EOF; /* not a punctuator */
    }
}

static hk_status lex_token(gql_lexer *lx, gql_token *tok)
{
    int c = cur(lx);
    gql_tok_kind k = punctuator(c);
    if (k != GQL_TOK_EOF) {
        tok->kind = k;
        adv(lx);
        return HK_OK;
    }
    if (c == '.' && peek_at(lx, 1) == '.' && peek_at(lx, 2) == '.') {
        tok->kind = GQL_TOK_SPREAD;
        adv_n(lx, 3);
        return HK_OK;
    }
    if (is_name_start(c)) {
        while (is_name_continue(cur(lx)))
            adv(lx);
        tok->kind = GQL_TOK_NAME;
        return HK_OK;
    }
    if (c == '-' || is_digit(c))
        return lex_number(lx, tok);
    if (c == '"') {
        if (peek_at(lx, 1) == '"' && peek_at(lx, 2) == '"') {
            adv_n(lx, 3);
            return lex_block_string(lx, tok);
        }
        adv(lx);
        return lex_string(lx, tok);
    }
    char d[16];
    if (c == '\'')
        return gql_syntax_fail(
            lx->err, lx->pos,
            "Unexpected single quote character ('), did you mean to use a double "
            "quote (\")?");
    return gql_syntax_fail(lx->err, lx->pos, "Unexpected character: %s.",
                           char_desc(lx, d, sizeof d));
}

hk_status gql_lex_next(gql_lexer *lx, gql_token *tok)
{
    memset(tok, 0, sizeof *tok);
    skip_ignored(lx);
    tok->loc = lx->pos;
    tok->start = lx->p;
    if (lx->p >= lx->end) {
        tok->kind = GQL_TOK_EOF;
        return HK_OK;
    }
    if (lx->max_tokens && ++lx->ntokens > lx->max_tokens)
        return gql_syntax_fail(lx->err, lx->pos,
                               "Document contains more than %zu tokens; parsing aborted.",
                               lx->max_tokens);
    hk_status st = lex_token(lx, tok);
    tok->len = (size_t)(lx->p - tok->start);
    return st;
}
