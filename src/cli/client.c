/*
 * client.c - GraphQL over HTTP with libcurl's easy interface (see client.h).
 *
 * One easy handle per client, so that the requests of a command that pages
 * through a list reuse one connection.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api/url_mask.h"
#include "cli/client.h"
#include "cli/exit_codes.h"
#include "core/arena.h"
#include "core/buf.h"

struct cli_client {
    CURL *curl;
    struct curl_slist *headers;
    char *shown_url; /* the URL with its credentials masked, for messages */
};

static void fail(cli_result *r, int exit_code, const char *fmt, ...) HK_PRINTF(3, 4);

static void fail(cli_result *r, int exit_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->exit = exit_code;
}

static char *masked_url(const char *url)
{
    hk_arena *a = hk_arena_new(0);
    char *masked = a ? api_url_mask(a, url) : NULL;
    char *copy = masked ? strdup(masked) : NULL;
    hk_arena_free(a);
    return copy;
}

/* A key that could end the header line early would let an argument inject headers. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (grown)
        *list = grown;
    return grown != NULL;
}

static bool add_auth_header(struct curl_slist **list, const char *api_key)
{
    size_t len = strlen(api_key) + sizeof "Authorization: Bearer ";
    char *line = malloc(len);
    if (!line)
        return false;
    snprintf(line, len, "Authorization: Bearer %s", api_key);
    bool ok = add_header(list, line);
    explicit_bzero(line, len);
    free(line);
    return ok;
}

static bool configure(cli_client *c, const char *url, const char *api_key, const char *ca_file)
{
    CURL *h = c->curl;
    if (!add_header(&c->headers, "Content-Type: application/json") ||
        !add_header(&c->headers, "Accept: application/json") ||
        !add_auth_header(&c->headers, api_key))
        return false;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "hookctl/" HOOKD_VERSION);
    if (ca_file) /* a server whose certificate a private CA signed (hookd serve --https-cert) */
        curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CLIENT_CONNECT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, CLIENT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* A redirect would carry the key to wherever it points. */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    return true;
}

cli_client *client_new(const char *url, const char *api_key, const char *ca_file, char *err,
                       size_t errlen)
{
    if (!header_safe(api_key)) {
        snprintf(err, errlen, "the API key contains control characters");
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "libcurl failed to initialise");
        return NULL;
    }
    cli_client *c = calloc(1, sizeof *c);
    if (!c) {
        curl_global_cleanup();
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->curl = curl_easy_init();
    c->shown_url = masked_url(url);
    if (!c->curl || !c->shown_url || !configure(c, url, api_key, ca_file)) {
        snprintf(err, errlen, "out of memory");
        client_free(c);
        return NULL;
    }
    return c;
}

void client_free(cli_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    free(c->shown_url);
    free(c);
    curl_global_cleanup();
}

void client_result_clear(cli_result *r)
{
    json_decref(r->data);
    json_decref(r->errors);
    r->data = NULL;
    r->errors = NULL;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    hk_buf *b = userdata;
    size_t n = size * nmemb;
    /* Returning less than n makes curl stop with CURLE_WRITE_ERROR: that is the cap. */
    return hk_buf_append(b, ptr, n) == HK_OK ? n : 0;
}

static char *request_body(const char *document, json_t *variables)
{
    json_t *req = json_object();
    char *text = NULL;
    if (req && json_object_set_new(req, "query", json_string(document)) == 0 &&
        (!variables || json_object_set(req, "variables", variables) == 0))
        text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return text;
}

/* The worst class among the errors: authentication beats a server failure beats the rest. */
static int errors_class(json_t *errors, long http)
{
    int worst = CLI_EXIT_FAILED;
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        const char *code =
            json_string_value(json_object_get(json_object_get(e, "extensions"), "code"));
        if (code && (strcmp(code, "UNAUTHENTICATED") == 0 || strcmp(code, "FORBIDDEN") == 0))
            return CLI_EXIT_AUTH;
        if (code && strcmp(code, "INTERNAL_SERVER_ERROR") == 0)
            worst = CLI_EXIT_UNREACHABLE;
    }
    if (http == 401 || http == 403)
        return CLI_EXIT_AUTH;
    return http >= 500 ? CLI_EXIT_UNREACHABLE : worst;
}

static void append_path(char *out, size_t cap, json_t *path)
{
    size_t i;
    json_t *p;
    json_array_foreach(path, i, p)
    {
        size_t used = strlen(out);
        if (json_is_string(p))
            snprintf(out + used, cap - used, "%s%s", i ? "." : " (at ", json_string_value(p));
        else if (json_is_integer(p))
            snprintf(out + used, cap - used, "[%lld]", (long long)json_integer_value(p));
    }
    if (json_array_size(path)) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, ")");
    }
}

static void errors_message(json_t *errors, cli_result *r)
{
    size_t i;
    json_t *e;
    r->message[0] = '\0';
    json_array_foreach(errors, i, e)
    {
        const char *code =
            json_string_value(json_object_get(json_object_get(e, "extensions"), "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        size_t used = strlen(r->message);
        snprintf(r->message + used, sizeof r->message - used, "%s%s: %s", i ? "\n" : "",
                 code ? code : "ERROR", msg ? msg : "(no message)");
        append_path(r->message, sizeof r->message, json_object_get(e, "path"));
    }
}

static void classify(cli_client *c, long http, const hk_buf *body, cli_result *r)
{
    json_t *doc = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
    json_t *errors = json_object_get(doc, "errors");
    json_t *data = json_object_get(doc, "data");
    if (json_array_size(errors) > 0) {
        r->errors = json_incref(errors);
        errors_message(errors, r);
        r->exit = errors_class(errors, http);
    } else if (http == 401 || http == 403) {
        fail(r, CLI_EXIT_AUTH, "%s answered HTTP %ld: the API key was refused", c->shown_url, http);
    } else if (http < 200 || http > 299 || !json_is_object(data)) {
        fail(r, CLI_EXIT_UNREACHABLE, "%s answered HTTP %ld without a GraphQL response%s",
             c->shown_url, http, http == 404 ? " (is the URL's path /graphql/v1?)" : "");
    } else {
        r->exit = CLI_EXIT_OK;
        r->data = json_incref(data);
    }
    json_decref(doc);
}

void client_run(cli_client *c, const char *document, json_t *variables, cli_result *r)
{
    memset(r, 0, sizeof *r);
    char *req = request_body(document, variables);
    if (!req) {
        fail(r, CLI_EXIT_FAILED, "out of memory");
        return;
    }
    hk_buf body;
    hk_buf_init(&body, CLIENT_MAX_RESPONSE);
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(req));
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode rc = curl_easy_perform(c->curl);
    long http = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &http);
    if (rc == CURLE_WRITE_ERROR && body.err)
        fail(r, CLI_EXIT_UNREACHABLE, "%s answered with more than %zu MiB", c->shown_url,
             CLIENT_MAX_RESPONSE >> 20);
    else if (rc != CURLE_OK)
        fail(r, CLI_EXIT_UNREACHABLE, "cannot reach %s: %s", c->shown_url,
             curl_err[0] ? curl_err : curl_easy_strerror(rc));
    else
        classify(c, http, &body, r);
    /* The buffer is the caller's stack frame: never leave curl pointing at it. */
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, NULL);
    hk_buf_free(&body);
    free(req);
}
