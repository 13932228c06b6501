/*
 * ui.h - the operator dashboard (issue 18): its files, compiled into the
 * binary from src/ui/ by cmake/embed_ui.cmake, and what GET /ui/... answers.
 *
 * The page is static: everything it shows comes from POST /graphql/v1 with
 * the operator's API key, so serving its files needs neither a key nor the
 * store, and says nothing about any workspace. Paths: /ui redirects to /ui/
 * (relative Location, so a proxy's path prefix survives); /ui/ is
 * index.html; /ui/<name> is one of the files; anything else under /ui/ is
 * 404. Every file goes with a Content-Security-Policy that lets the page
 * load and talk to its own origin only (no inline script or style, no
 * framing), nosniff, no Referer, and its ETag: browsers revalidate each time
 * (Cache-Control: no-cache) and get 304 until the binary changes.
 */
#ifndef HOOKD_DAEMON_UI_H
#define HOOKD_DAEMON_UI_H

#include <stdbool.h>
#include <stddef.h>

/* One embedded file: name relative to src/ui/, bytes (NUL-terminated),
 * length, and ETag (quoted). */
typedef struct hk_ui_file {
    const char *name;
    const char *data;
    size_t len;
    const char *etag;
} hk_ui_file;

/* The embedded files (generated). */
extern const hk_ui_file hk_ui_files[];
extern const size_t hk_ui_file_count;

#define HK_UI_MAX_HEADERS 10

typedef struct hk_ui_header {
    const char *name;
    const char *value;
} hk_ui_header;

/* An answer: status, a static body (empty for 304 and redirects) and the
 * headers to send with it, Content-Type included. */
typedef struct hk_ui_answer {
    unsigned status; /* 200, 301, 304 or 404 */
    const char *body;
    size_t len;
    size_t n_headers;
    hk_ui_header headers[HK_UI_MAX_HEADERS];
} hk_ui_answer;

/* True for the paths the dashboard owns: "/ui" and every path under "/ui/". */
bool hk_ui_owns(const char *path);

/* The answer to GET or HEAD of `path` (one hk_ui_owns takes), given the
 * request's If-None-Match header (NULL: none). Static data only. */
void hk_ui_answer_get(const char *path, const char *if_none_match, hk_ui_answer *out);

#endif
