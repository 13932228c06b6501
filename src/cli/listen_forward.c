/*
 * listen_forward.c - see listen_forward.h.
 */
#include "cli/listen_forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/clock.h"

struct lf_forwarder {
    CURL *curl; /* kept: the application's connection is reused */
    char *url;
    int64_t timeout_ms;
};

lf_forwarder *lf_forwarder_new(const char *url, int64_t timeout_ms, char *err, size_t err_size)
{
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
        snprintf(err, err_size, "--forward-to must be an http:// or https:// URL");
        return NULL;
    }
    lf_forwarder *f = calloc(1, sizeof *f);
    if (f) {
        f->curl = curl_easy_init();
        f->url = strdup(url);
    }
    if (!f || !f->curl || !f->url) {
        snprintf(err, err_size, "out of memory");
        lf_forwarder_free(f);
        return NULL;
    }
    f->timeout_ms = timeout_ms;
    return f;
}

void lf_forwarder_free(lf_forwarder *f)
{
    if (!f)
        return;
    if (f->curl)
        curl_easy_cleanup(f->curl);
    free(f->url);
    free(f);
}

const char *lf_forwarder_url(const lf_forwarder *f)
{
    return f->url;
}

/* Headers that describe the hop from hookd to listen, not the delivery. */
static bool hop_header(const char *name)
{
    static const char *const hop[] = {"host",       "content-length",    "connection",
                                      "keep-alive", "transfer-encoding", "expect"};
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
        if (strcasecmp(name, hop[i]) == 0)
            return true;
    return false;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    lf_result *r = arg;
    size_t n = size * nmemb, have = strlen(r->excerpt);
    size_t take = n < LF_EXCERPT_MAX - have ? n : LF_EXCERPT_MAX - have;
    memcpy(r->excerpt + have, data, take);
    r->excerpt[have + take] = '\0';
    return n; /* read it all: the connection stays usable */
}

void lf_forward(lf_forwarder *f, const lh_request *req, lf_result *out)
{
    memset(out, 0, sizeof *out);
    struct curl_slist *headers = NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < req->n_headers; i++) {
        if (hop_header(req->header_names[i]))
            continue;
        char line[LH_HEAD_MAX];
        snprintf(line, sizeof line, "%s: %s", req->header_names[i], req->header_values[i]);
        struct curl_slist *more = curl_slist_append(headers, line);
        ok = more != NULL;
        headers = more ? more : headers;
    }
    /* No "Expect: 100-continue" round trip for a body we already hold. */
    struct curl_slist *more = ok ? curl_slist_append(headers, "Expect:") : NULL;
    headers = more ? more : headers;
    if (!ok || !more) {
        snprintf(out->error, sizeof out->error, "out of memory");
        curl_slist_free_all(headers);
        return;
    }
    char curl_error[CURL_ERROR_SIZE] = "";
    CURL *c = f->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, f->url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* a local application, never a proxy */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
    int64_t t0 = hk_mono_ms();
    CURLcode rc = curl_easy_perform(c);
    out->took_ms = hk_mono_ms() - t0;
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK) {
        out->status = (int)status;
    } else {
        const char *why = rc == CURLE_OPERATION_TIMEDOUT ? "timeout"
                          : curl_error[0]                ? curl_error
                                                         : curl_easy_strerror(rc);
        /* Cut to fit: curl's messages may be longer than the line shows. */
        snprintf(out->error, sizeof out->error, "%.*s", (int)sizeof out->error - 1, why);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, (char *)NULL);
    curl_slist_free_all(headers);
}
