/*
 * ui.c - serving the operator dashboard's embedded files (see ui.h).
 */
#include "daemon/ui.h"

#include <string.h>

#define PREFIX "/ui/"
#define PREFIX_LEN (sizeof PREFIX - 1)

/*
 * The page's own origin only: scripts and styles from its files (no inline
 * code, so an injected string cannot run), requests to hookd's API alone,
 * no plugins, no <base> rewrites, no form posts anywhere, and no framing
 * (clickjacking of the destructive buttons).
 */
static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self';"
                          " img-src 'self'; connect-src 'self'; object-src 'none';"
                          " base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static const char not_found[] =
    "{\"error\":{\"code\":\"not_found\",\"message\":\"No such endpoint.\"}}";

bool hk_ui_owns(const char *path)
{
    return strcmp(path, "/ui") == 0 || strncmp(path, PREFIX, PREFIX_LEN) == 0;
}

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static const hk_ui_file *find_file(const char *name)
{
    /* Names are plain file names: no "..", no directories to escape into. */
    if (strchr(name, '/'))
        return NULL;
    for (size_t i = 0; i < hk_ui_file_count; i++)
        if (strcmp(hk_ui_files[i].name, name) == 0)
            return &hk_ui_files[i];
    return NULL;
}

static void header(hk_ui_answer *a, const char *name, const char *value)
{
    if (a->n_headers < HK_UI_MAX_HEADERS)
        a->headers[a->n_headers++] = (hk_ui_header){name, value};
}

/* If-None-Match holds our tag (a list may hold several, weak ones "W/"-prefixed), or "*". */
static bool matches(const char *if_none_match, const char *etag)
{
    if (!if_none_match)
        return false;
    const char *p = if_none_match;
    while (*p == ' ')
        p++;
    return strcmp(p, "*") == 0 || strstr(if_none_match, etag) != NULL;
}

void hk_ui_answer_get(const char *path, const char *if_none_match, hk_ui_answer *out)
{
    memset(out, 0, sizeof *out);
    out->body = "";
    header(out, "X-Content-Type-Options", "nosniff");
    header(out, "Referrer-Policy", "no-referrer");
    if (strcmp(path, "/ui") == 0) {
        /* Relative: "ui/" against ".../ui" is ".../ui/", behind any path prefix. */
        out->status = 301;
        header(out, "Location", "ui/");
        header(out, "Content-Type", "text/plain; charset=utf-8");
        header(out, "Cache-Control", "no-cache");
        return;
    }
    const char *name = path + PREFIX_LEN;
    const hk_ui_file *f = find_file(*name ? name : "index.html");
    if (!f) {
        out->status = 404;
        out->body = not_found;
        out->len = sizeof not_found - 1;
        header(out, "Content-Type", "application/json");
        header(out, "Cache-Control", "no-store");
        return;
    }
    header(out, "Content-Type", content_type(f->name));
    header(out, "Content-Security-Policy", csp);
    header(out, "X-Frame-Options", "DENY");
    header(out, "Cross-Origin-Opener-Policy", "same-origin");
    header(out, "Cross-Origin-Resource-Policy", "same-origin");
    /* Names are not hashed: revalidate every time, so an upgrade is seen at once. */
    header(out, "Cache-Control", "no-cache");
    header(out, "ETag", f->etag);
    if (matches(if_none_match, f->etag)) {
        out->status = 304;
        return;
    }
    out->status = 200;
    out->body = f->data;
    out->len = f->len;
}
