/*
 * test_daemon_ui.c - the dashboard's files as hookd serves them (src/daemon/ui.c): which
 * paths it owns, the redirect, the headers every file goes with (the policy that keeps the
 * page to its own origin, nosniff, no Referer, ETag), 304 on a matching ETag, 404 for
 * anything else; and the files themselves: every one the page loads is embedded, and none
 * holds inline script or style, which the policy would refuse (a console error the browser
 * test would catch, but only on the views it visits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/ui.h"

static const char *header(const hk_ui_answer *a, const char *name)
{
    for (size_t i = 0; i < a->n_headers; i++)
        if (strcmp(a->headers[i].name, name) == 0)
            return a->headers[i].value;
    return NULL;
}

static const hk_ui_file *file(const char *name)
{
    for (size_t i = 0; i < hk_ui_file_count; i++)
        if (strcmp(hk_ui_files[i].name, name) == 0)
            return &hk_ui_files[i];
    return NULL;
}

static void test_paths_owned(void **state)
{
    assert_true(hk_ui_owns("/ui"));
    assert_true(hk_ui_owns("/ui/"));
    assert_true(hk_ui_owns("/ui/app.js"));
    assert_true(hk_ui_owns("/ui/no/such/thing"));
    assert_false(hk_ui_owns("/uix"));
    assert_false(hk_ui_owns("/ui.js"));
    assert_false(hk_ui_owns("/"));
    assert_false(hk_ui_owns("/graphql/v1"));
    assert_false(hk_ui_owns("/UI/"));
}

static void test_redirect(void **state)
{
    hk_ui_answer a;
    hk_ui_answer_get("/ui", NULL, &a);
    assert_int_equal(a.status, 301);
    /* relative: behind a proxy's path prefix it still lands on .../ui/ */
    assert_string_equal(header(&a, "Location"), "ui/");
    assert_int_equal(a.len, 0);
}

static void test_index_and_its_headers(void **state)
{
    hk_ui_answer a;
    hk_ui_answer_get("/ui/", NULL, &a);
    assert_int_equal(a.status, 200);
    const hk_ui_file *index = file("index.html");
    assert_non_null(index);
    assert_ptr_equal(a.body, index->data);
    assert_int_equal(a.len, index->len);
    assert_string_equal(header(&a, "Content-Type"), "text/html; charset=utf-8");
    assert_string_equal(header(&a, "X-Content-Type-Options"), "nosniff");
    assert_string_equal(header(&a, "Referrer-Policy"), "no-referrer");
    assert_string_equal(header(&a, "Cache-Control"), "no-cache");
    assert_string_equal(header(&a, "X-Frame-Options"), "DENY");
    assert_string_equal(header(&a, "ETag"), index->etag);
    const char *csp = header(&a, "Content-Security-Policy");
    assert_non_null(csp);
    assert_true(strncmp(csp, "default-src 'self';", 19) == 0);
    assert_non_null(strstr(csp, "script-src 'self';"));
    assert_non_null(strstr(csp, "style-src 'self';"));
    assert_non_null(strstr(csp, "connect-src 'self';"));
    assert_non_null(strstr(csp, "frame-ancestors 'none'"));
    assert_null(strstr(csp, "unsafe"));
    assert_null(strstr(csp, "*"));
    assert_null(strstr(csp, "data:"));
    /* /ui/index.html is the same file */
    hk_ui_answer b;
    hk_ui_answer_get("/ui/index.html", NULL, &b);
    assert_int_equal(b.status, 200);
    assert_ptr_equal(b.body, a.body);
}

static void test_content_types(void **state)
{
    static const struct {
        const char *path, *type;
    } cases[] = {
        {"/ui/app.js", "text/javascript; charset=utf-8"},
        {"/ui/app.css", "text/css; charset=utf-8"},
        {"/ui/favicon.svg", "image/svg+xml"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hk_ui_answer a;
        hk_ui_answer_get(cases[i].path, NULL, &a);
        assert_int_equal(a.status, 200);
        assert_string_equal(header(&a, "Content-Type"), cases[i].type);
        assert_non_null(header(&a, "Content-Security-Policy"));
        assert_true(a.len > 0);
    }
}

/* The ETag is the file's (16 hex digits of its SHA-256, quoted): a browser that has it
 * gets 304 with no body; a list holding it, or "*", matches too; another tag does not. */
static void test_etag(void **state)
{
    const hk_ui_file *js = file("app.js");
    assert_non_null(js);
    assert_int_equal(strlen(js->etag), 18);
    assert_int_equal(js->etag[0], '"');
    assert_int_equal(js->etag[17], '"');
    assert_string_not_equal(js->etag, file("app.css")->etag);
    hk_ui_answer a;
    hk_ui_answer_get("/ui/app.js", js->etag, &a);
    assert_int_equal(a.status, 304);
    assert_int_equal(a.len, 0);
    assert_string_equal(header(&a, "ETag"), js->etag);
    char list[64];
    snprintf(list, sizeof list, "\"0000000000000000\", W/%s", js->etag);
    hk_ui_answer_get("/ui/app.js", list, &a);
    assert_int_equal(a.status, 304);
    hk_ui_answer_get("/ui/app.js", "*", &a);
    assert_int_equal(a.status, 304);
    hk_ui_answer_get("/ui/app.js", "\"0000000000000000\"", &a);
    assert_int_equal(a.status, 200);
    hk_ui_answer_get("/ui/app.js", file("app.css")->etag, &a);
    assert_int_equal(a.status, 200);
}

static void test_not_found(void **state)
{
    static const char *const paths[] = {
        "/ui/nope.js", "/ui/../hookd.db", "/ui/a/app.js", "/ui//app.js",
        "/ui/app.js/", "/ui/APP.JS",      "/ui/.",        "/ui/%2e%2e",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        hk_ui_answer a;
        hk_ui_answer_get(paths[i], NULL, &a);
        if (a.status != 404)
            fail_msg("%s: %u", paths[i], a.status);
        assert_string_equal(header(&a, "Content-Type"), "application/json");
        assert_string_equal(header(&a, "X-Content-Type-Options"), "nosniff");
        assert_non_null(strstr(a.body, "not_found"));
    }
}

/* An attribute like onclick= (an inline handler, which the policy refuses). */
static bool has_event_attribute(const char *html)
{
    for (const char *p = strstr(html, " on"); p; p = strstr(p + 1, " on")) {
        const char *q = p + 3;
        while (*q >= 'a' && *q <= 'z')
            q++;
        if (q > p + 3 && *q == '=')
            return true;
    }
    return false;
}

/* What the page loads is there, and nothing in it needs 'unsafe-inline'. */
static void test_files_fit_the_policy(void **state)
{
    const hk_ui_file *index = file("index.html");
    assert_non_null(index);
    static const char *const loaded[] = {"app.js", "app.css", "favicon.svg"};
    for (size_t i = 0; i < sizeof loaded / sizeof loaded[0]; i++) {
        char ref[64];
        snprintf(ref, sizeof ref, "\"%s\"", loaded[i]);
        assert_non_null(strstr(index->data, ref));
        assert_non_null(file(loaded[i]));
    }
    assert_null(strstr(index->data, "<script>"));
    assert_null(strstr(index->data, "<style"));
    assert_null(strstr(index->data, " style="));
    assert_false(has_event_attribute(index->data));
    assert_null(strstr(index->data, "http://"));
    assert_null(strstr(index->data, "https://"));
    const hk_ui_file *js = file("app.js");
    /* no markup from strings, no eval, no address elsewhere */
    assert_null(strstr(js->data, "innerHTML"));
    assert_null(strstr(js->data, "outerHTML"));
    assert_null(strstr(js->data, "insertAdjacentHTML"));
    assert_null(strstr(js->data, "eval("));
    assert_null(strstr(js->data, "new Function"));
    /* one request site, to the API relative to the page */
    const char *f = strstr(js->data, "fetch(");
    assert_non_null(f);
    assert_null(strstr(f + 1, "fetch("));
    assert_non_null(strstr(js->data, "new URL(\"../graphql/v1\", document.baseURI)"));
    assert_null(strstr(js->data, "XMLHttpRequest"));
    assert_null(strstr(js->data, "EventSource"));
    assert_null(strstr(js->data, "WebSocket"));
    assert_null(strstr(js->data, "localStorage"));
    assert_non_null(strstr(js->data, "sessionStorage"));
    assert_null(strstr(file("app.css")->data, "url("));
    assert_null(strstr(file("app.css")->data, "@import"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_owned),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_index_and_its_headers),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_etag),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_files_fit_the_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
