/*
 * fuzz_graphql.c - libFuzzer target for the GraphQL engine's front half: the
 * lexer, the parser and the validator, against the schema hookd SERVES
 * (hk_api_schema_sdl, loaded once as api.c loads it).
 *
 * Each input is
 *   1. lexed on its own to the end (every token inside the input, locations
 *      1-based), which also counts its tokens;
 *   2. parsed as an executable document with the default token limit: a
 *      document that parses has at most that many tokens; a failure has a
 *      located, terminated message;
 *   3. validated with the default limits: a valid document has at most
 *      max_aliases aliases (recounted here from the tree, and the parser's
 *      count must match) and no operation deeper than max_depth (recomputed
 *      here by expanding fragments); an invalid one has at least one error;
 *   4. executed by gql_execute against the served schema with no resolvers
 *      bound (every field null), whose outcome must agree with steps 2-3 and
 *      whose response must be a JSON object with "data" or "errors";
 *   5. loaded as SDL (gql_schema_new), the schema-parsing path.
 * Broken invariants are __builtin_trap; memory errors are ASan's. Run with
 * `make fuzz` (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "graphql/graphql_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

extern const char hk_api_schema_sdl[];
extern const size_t hk_api_schema_sdl_len;

/* The engine's arenas are capped per request in production (api.c: 32 MiB). */
#define ARENA_LIMIT ((size_t)64 << 20)

static gql_schema *served;
static gql_limits lim;

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_graphql: invariant broken: %s\n", what);
        __builtin_trap();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    hk_error err;
    hk_error_clear(&err);
    if (gql_schema_new(hk_api_schema_sdl, hk_api_schema_sdl_len, &served, &err)) {
        fprintf(stderr, "fuzz_graphql: the served schema does not load: %s\n", err.message);
        abort();
    }
    gql_limits_resolve(NULL, &lim);
    return 0;
}

static void check_syntax_err(const gql_syntax_err *e)
{
    check(e->set, "a failed parse records its error");
    check(memchr(e->message, '\0', sizeof e->message) != NULL, "error message terminated");
    check(e->message[0] != '\0', "error message not empty");
    check(e->loc.line >= 1 && e->loc.col >= 1, "error location is 1-based");
}

/* Lexes the whole input without a token limit; the number of tokens, or
 * SIZE_MAX when the lexer stops on an error. */
static size_t count_tokens(const char *src, size_t len, hk_arena *a)
{
    gql_lexer lx;
    gql_syntax_err err = {0};
    gql_token tok;
    size_t n = 0;
    gql_lex_init(&lx, src, len, 0, a, &err);
    for (;;) {
        hk_status st = gql_lex_next(&lx, &tok);
        if (st) {
            check(st == HK_EPARSE || st == HK_ENOMEM, "lexer status");
            if (st == HK_EPARSE)
                check_syntax_err(&err);
            return SIZE_MAX;
        }
        check(tok.loc.line >= 1 && tok.loc.col >= 1, "token location is 1-based");
        check(tok.start >= src && tok.start + tok.len <= src + len, "token within the input");
        if (tok.kind == GQL_TOK_EOF)
            return n;
        check(tok.len > 0, "tokens are not empty");
        if (tok.kind == GQL_TOK_STRING || tok.kind == GQL_TOK_BLOCK_STRING)
            check(tok.value && tok.value[tok.value_len] == '\0', "string value terminated");
        n++;
    }
}

/* ---- limits recomputed from the tree ---- */

static size_t count_aliases(const ast_selset *set)
{
    size_t n = 0;
    for (size_t i = 0; set && i < set->n; i++) {
        const ast_sel *s = &set->items[i];
        if (s->kind == SEL_FIELD && s->alias)
            n++;
        if (s->kind != SEL_SPREAD)
            n += count_aliases(s->sel);
    }
    return n;
}

typedef struct depth_memo {
    const gql_document *doc;
    unsigned *depth; /* per fragment, +1; 0: not yet computed */
} depth_memo;

/* Fields nest one level each; fragments (inline or spread) add none. The
 * document is valid, so every spread names a fragment and there is no cycle. */
static unsigned selset_depth(depth_memo *m, const ast_selset *set)
{
    unsigned max = 0;
    for (size_t i = 0; set && i < set->n; i++) {
        const ast_sel *s = &set->items[i];
        unsigned d;
        if (s->kind == SEL_FIELD) {
            d = 1 + selset_depth(m, s->sel);
        } else if (s->kind == SEL_INLINE) {
            d = selset_depth(m, s->sel);
        } else {
            size_t f = gql_doc_fragment_index(m->doc, s->name);
            check(f < m->doc->nfrags, "a valid document's spreads name fragments");
            if (!m->depth[f])
                m->depth[f] = 1 + selset_depth(m, m->doc->frags[f].sel);
            d = m->depth[f] - 1;
        }
        max = d > max ? d : max;
    }
    return max;
}

static void check_limits(const gql_document *doc)
{
    size_t aliases = 0;
    for (size_t i = 0; i < doc->nops; i++)
        aliases += count_aliases(doc->ops[i].sel);
    for (size_t i = 0; i < doc->nfrags; i++)
        aliases += count_aliases(doc->frags[i].sel);
    check(aliases == doc->naliases, "the parser counts every alias");
    check(aliases <= lim.max_aliases, "a valid document is within the alias limit");

    unsigned *memo = calloc(doc->nfrags ? doc->nfrags : 1, sizeof *memo);
    check(memo != NULL, "memory");
    depth_memo m = {doc, memo};
    for (size_t i = 0; i < doc->nops; i++)
        check(selset_depth(&m, doc->ops[i].sel) <= lim.max_depth,
              "a valid document is within the depth limit");
    free(memo);
}

/* ---- the pipeline ---- */

typedef enum verdict { PARSE_FAILED, INVALID, VALID } verdict;

static verdict parse_and_validate(const char *src, size_t len)
{
    hk_arena *a = hk_arena_new(ARENA_LIMIT);
    check(a != NULL, "memory");
    size_t ntokens = count_tokens(src, len, a);

    gql_document *doc = NULL;
    gql_syntax_err serr = {0};
    hk_status st = gql_parse_document(src, len, lim.max_tokens, a, &doc, &serr);
    verdict v = PARSE_FAILED;
    if (st == HK_EPARSE) {
        check(doc == NULL, "no document from a failed parse");
        check_syntax_err(&serr);
    } else {
        check(st == HK_OK, "parse status is OK or EPARSE");
        check(doc != NULL && !serr.set, "a parsed document, no error");
        check(ntokens != SIZE_MAX, "what parses also lexes");
        check(ntokens <= lim.max_tokens, "a parsed document is within the token limit");
        check(doc->nops + doc->nfrags + doc->nforeign > 0, "a document defines something");

        gql_errlist errs;
        gql_errs_init(&errs, a, lim.max_errors);
        st = gql_validate(served, doc, &lim, a, &errs);
        check(st == HK_OK || st == HK_EINVAL, "validation status is OK or EINVAL");
        if (st == HK_OK) {
            check(errs.n == 0 && errs.dropped == 0, "a valid document has no errors");
            check_limits(doc);
            v = VALID;
        } else {
            check(errs.n > 0 && errs.n <= lim.max_errors, "an invalid document has errors");
            v = INVALID;
        }
    }
    hk_arena_free(a);
    return v;
}

static void execute(const char *src, size_t len, verdict v)
{
    hk_arena *a = hk_arena_new(ARENA_LIMIT);
    hk_buf out;
    hk_buf_init(&out, 0);
    gql_request req = {.query = src, .query_len = len, .arena = a};
    gql_outcome o;
    check(a != NULL, "memory");
    check(gql_execute(served, &req, &out, &o) == HK_OK, "an answer is always written");
    if (v == PARSE_FAILED)
        check(o.http_status == 400 && o.code && strcmp(o.code, GQL_CODE_PARSE_FAILED) == 0,
              "execute agrees: parse failed");
    else if (v == INVALID)
        check(o.http_status == 400 && o.code && strcmp(o.code, GQL_CODE_VALIDATION_FAILED) == 0,
              "execute agrees: validation failed");
    else
        check(!o.code || (strcmp(o.code, GQL_CODE_PARSE_FAILED) != 0 &&
                          strcmp(o.code, GQL_CODE_VALIDATION_FAILED) != 0),
              "execute agrees: valid");
    json_error_t jerr;
    json_t *res = json_loadb(out.data, out.len, 0, &jerr);
    check(json_is_object(res), "the response is a JSON object");
    check(json_object_get(res, "data") || json_object_get(res, "errors"),
          "the response has data or errors");
    check((o.nerrors > 0) == (json_object_get(res, "errors") != NULL), "nerrors agrees");
    json_decref(res);
    hk_buf_free(&out);
    hk_arena_free(a);
}

static void load_sdl(const char *src, size_t len)
{
    gql_schema *s = NULL;
    hk_error err;
    hk_error_clear(&err);
    hk_status st = gql_schema_new(src, len, &s, &err);
    check(st == HK_OK || st == HK_EPARSE || st == HK_EINVAL, "SDL status");
    check((st == HK_OK) == (s != NULL), "a schema exactly when OK");
    if (s) {
        /* The loaded schema must be usable: bind-lookups and the reachability check. */
        const char *roots[] = {"Query.__typename"};
        (void)gql_schema_check(s, roots, 1, NULL, 0, NULL);
        gql_schema_free(s);
    } else {
        check(err.message[0] != '\0', "a failed load says why");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    verdict v = parse_and_validate(src, size);
    execute(src, size, v);
    load_sdl(src, size);
    return 0;
}
