/*
 * test_graphql_sdk.c - the compatibility check: Plain's full public schema
 * loads, and every document Plain's TypeScript SDK sends (each query and
 * mutation file plus the fragments it references, transitively) parses and
 * validates against it within the default limits.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "graphql/graphql_int.h"

#define SDK_REL "/../compat/node_modules/@team-plain/typescript-sdk/src/graphql"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static void data_dir(char *out, size_t n)
{
    const char *env = getenv("HOOKD_TEST_DATA");
    if (env) {
        snprintf(out, n, "%s", env);
        return;
    }
    snprintf(out, n, "%s", __FILE__);
    char *slash = strrchr(out, '/');
    if (slash)
        snprintf(slash, n - (size_t)(slash - out), "/../data");
}

static gql_schema *load_plain(void)
{
    char dir[512], path[600];
    size_t len;
    data_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/plain/schema.graphql", dir);
    char *sdl = read_file(path, &len);
    assert_non_null(sdl);
    gql_schema *s = NULL;
    hk_error err;
    hk_error_clear(&err);
    hk_status st = gql_schema_new(sdl, len, &s, &err);
    if (st)
        fprintf(stderr, "schema: %s\n", err.message);
    assert_int_equal(st, HK_OK);
    free(sdl);
    return s;
}

static void test_plain_schema_loads(void **state)
{
    gql_schema *s = load_plain();
    const gql_type *q = gql_schema_type(s, "Query");
    assert_non_null(q);
    assert_non_null(gql_type_field(q, "customer"));
    const gql_type *actor = gql_schema_type(s, "Actor");
    assert_int_equal(actor->kind, GQL_T_UNION);
    assert_true(actor->npossible >= 4);
    const gql_type *card = gql_schema_type(s, "CustomerCardInstance");
    assert_int_equal(card->kind, GQL_T_INTERFACE);
    assert_int_equal(card->npossible, 3);
    assert_int_equal(gql_schema_bind(s, "Query", "customer", NULL), HK_OK);
    assert_int_equal(gql_schema_bind(s, "Query", "nope", NULL), HK_ENOTFOUND);
    assert_int_equal(gql_schema_bind(s, "Nope", "customer", NULL), HK_ENOTFOUND);
    gql_schema_free(s);
}

/* ------------------------------------------------------- SDK documents */

typedef struct frag_file {
    char name[128];
    char *text;
} frag_file;

typedef struct sdk {
    char root[600];
    frag_file frags[256];
    size_t nfrags;
} sdk;

static void load_fragments(sdk *k)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/fragments", k->root);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".gql"))
            continue;
        char path[1000];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = read_file(path, &len);
        assert_non_null(text);
        /* Each file defines one fragment: "fragment Name on ..." */
        const char *p = strstr(text, "fragment ");
        assert_non_null(p);
        assert_true(k->nfrags < 256);
        frag_file *f = &k->frags[k->nfrags++];
        sscanf(p + 9, "%127[_A-Za-z0-9]", f->name);
        f->text = text;
    }
    closedir(d);
}

/* Appends the fragments spread in `text` (transitively) to `doc`. */
static void add_spread_fragments(sdk *k, const char *text, bool *added, hk_buf *doc)
{
    for (const char *p = strstr(text, "..."); p; p = strstr(p + 3, "...")) {
        char name[128] = "";
        sscanf(p + 3, "%127[_A-Za-z0-9]", name);
        if (!name[0] || strcmp(name, "on") == 0)
            continue;
        for (size_t i = 0; i < k->nfrags; i++) {
            if (strcmp(k->frags[i].name, name) != 0 || added[i])
                continue;
            added[i] = true;
            (void)hk_buf_printf(doc, "\n%s", k->frags[i].text);
            add_spread_fragments(k, k->frags[i].text, added, doc);
        }
    }
}

/* Selection depth of the document's operation, as validation computes it. */
static unsigned doc_depth(const gql_schema *s, const char *text, size_t len, unsigned limit)
{
    hk_arena *a = hk_arena_new(0);
    gql_document *doc;
    gql_syntax_err serr = {0};
    gql_errlist errs;
    gql_limits lim;
    gql_limits l = {.max_depth = limit};
    gql_limits_resolve(&l, &lim);
    assert_int_equal(gql_parse_document(text, len, lim.max_tokens, a, &doc, &serr), HK_OK);
    gql_errs_init(&errs, a, 10);
    hk_status st = gql_validate(s, doc, &lim, a, &errs);
    hk_arena_free(a);
    return st == HK_OK;
}

static size_t check_dir(const gql_schema *s, sdk *k, const char *sub, unsigned *max_depth)
{
    char dir[700];
    size_t count = 0;
    snprintf(dir, sizeof dir, "%s/%s", k->root, sub);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".gql"))
            continue;
        char path[1000];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = read_file(path, &len);
        assert_non_null(text);
        bool added[256] = {false};
        hk_buf doc;
        hk_buf_init(&doc, 0);
        (void)hk_buf_append(&doc, text, len);
        add_spread_fragments(k, text, added, &doc);
        assert_int_equal(doc.err, HK_OK);

        hk_arena *a = hk_arena_new(0);
        gql_document *parsed = NULL;
        gql_syntax_err serr = {0};
        gql_errlist errs;
        gql_limits lim;
        gql_limits_resolve(NULL, &lim);
        hk_status st = gql_parse_document(doc.data, doc.len, lim.max_tokens, a, &parsed, &serr);
        if (st)
            fprintf(stderr, "%s: parse %u:%u %s\n", e->d_name, serr.loc.line, serr.loc.col,
                    serr.message);
        assert_int_equal(st, HK_OK);
        gql_errs_init(&errs, a, 20);
        st = gql_validate(s, parsed, &lim, a, &errs);
        for (const gql_err *x = errs.head; x; x = x->next)
            fprintf(stderr, "%s: %u:%u %s\n", e->d_name, x->loc.line, x->loc.col, x->message);
        assert_int_equal(st, HK_OK);
        assert_true(parsed->naliases <= lim.max_aliases);
        /* The smallest depth limit that still accepts the document. */
        unsigned dl = 1;
        while (!doc_depth(s, doc.data, doc.len, dl))
            dl++;
        if (dl > *max_depth)
            *max_depth = dl;
        hk_arena_free(a);
        hk_buf_free(&doc);
        free(text);
        count++;
    }
    closedir(d);
    return count;
}

static void test_sdk_documents_validate(void **state)
{
    gql_schema *s = load_plain();
    sdk *k = calloc(1, sizeof *k);
    char dir[512];
    unsigned max_depth = 0;
    data_dir(dir, sizeof dir);
    snprintf(k->root, sizeof k->root, "%s" SDK_REL, dir);
    load_fragments(k);
    assert_true(k->nfrags > 10);
    size_t n = check_dir(s, k, "queries", &max_depth);
    n += check_dir(s, k, "mutations", &max_depth);
    fprintf(stderr, "validated %zu SDK documents; deepest selection: %u (limit %d)\n", n, max_depth,
            GQL_DEFAULT_MAX_DEPTH);
    assert_true(n >= 60);
    assert_true(max_depth <= GQL_DEFAULT_MAX_DEPTH);
    for (size_t i = 0; i < k->nfrags; i++)
        free(k->frags[i].text);
    free(k);
    gql_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_schema_loads),
        cmocka_unit_test(test_sdk_documents_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
