/*
 * transfer.c - a delivery attempt on a libcurl easy handle (see transfer.h).
 */
#include "delivery/transfer.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "delivery/attempt.h"
#include "domain/catalog.h"

/* A receiver's answer is read (so the connection can be reused) up to this
 * much; past it the transfer is stopped, its status still counting. */
#define RESPONSE_READ_MAX ((size_t)1 << 20)

static size_t on_response_body(char *data, size_t size, size_t nmemb, void *arg)
{
    delivery_job *job = arg;
    size_t n = size * nmemb;
    size_t room = HK_ATTEMPT_EXCERPT_MAX - job->excerpt_len;
    size_t take = n < room ? n : room;
    memcpy(job->excerpt + job->excerpt_len, data, take);
    job->excerpt_len += take;
    job->response_bytes += n;
    if (job->response_bytes > RESPONSE_READ_MAX) {
        job->body_cut = true;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Watches for the blank line that ends a response head: libcurl 7.88 calls a
 * transfer done when the connection closes in the middle of the headers. A
 * new status line (after a 1xx, say) starts a new head. */
static size_t on_response_header(char *data, size_t size, size_t nmemb, void *arg)
{
    delivery_job *job = arg;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
        job->headers_complete = false;
    else if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n'))
        job->headers_complete = true;
    return n;
}

/* Runs for every address libcurl is about to connect to: the SSRF guard. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    delivery_job *job = arg;
    const struct sockaddr *sa = &addr->addr;
    if (purpose != CURLSOCKTYPE_IPCXN || !hk_addr_allowed(sa, addr->addrlen, job->allow_private)) {
        job->address_refused = true;
        job->refused_class = hk_addr_classify(sa, addr->addrlen);
        return CURL_SOCKET_BAD;
    }
    int fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static hk_status fail_prepare(delivery_job *job, hk_status st, const char *why)
{
    snprintf(job->error, sizeof job->error, "%s", why);
    return st;
}

/* Body, signature and headers of the attempt. */
static hk_status build_request(delivery_job *job, const delivery_transfer_config *cfg,
                               const hk_delivery_job *dj, const webhook_body_template *tpl,
                               const char *authorization)
{
    const hk_attempt *at = &job->result.attempt;
    webhook_attempt_meta meta = {
        .target_id = dj->target.id,
        .target_version = dj->target.version,
        .attempt_id = at->attempt_id,
        .attempt_number = at->number,
        .attempt_timestamp = at->started_at,
    };
    hk_buf_init(&job->body, 0);
    if (!tpl || webhook_body_assemble(&job->body, tpl, &meta) != HK_OK)
        return fail_prepare(job, HK_EINTERNAL, "internal error: cannot build the body");
    char signature[HK_SHA256_HEX_BUF];
    const char *secret = dj->secret.secret;
    if (secret && hk_hmac_sha256_hex(secret, strlen(secret), job->body.data, job->body.len,
                                     signature) != HK_OK)
        return fail_prepare(job, HK_EINTERNAL, "internal error: cannot sign the body");
    delivery_header_values hv = {
        .user_agent = cfg->user_agent,
        .workspace_id = job->delivery.workspace_id,
        .target_id = dj->target.id,
        .target_version = dj->target.version,
        .attempt_id = at->attempt_id,
        .attempt_number = at->number,
        .attempt_timestamp = at->started_at,
        .event_type = hk_event_type_name(dj->event.type),
        .event_id = dj->event.id,
        .signature = secret ? signature : NULL,
        .authorization = authorization,
    };
    if (delivery_build_headers(&hv, &job->headers) != HK_OK)
        return fail_prepare(job, HK_EINTERNAL, "internal error: cannot build the headers");
    return HK_OK;
}

/* Options that only fail when libcurl lacks a feature or memory: their
 * results are folded into one. */
static CURLcode set_options(delivery_job *job, const delivery_transfer_config *cfg, const char *url)
{
    CURL *e = job->easy;
    CURLcode rc = CURLE_OK, r;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        r = curl_easy_setopt(e, opt, val);                                                         \
        if (r != CURLE_OK && rc == CURLE_OK)                                                       \
            rc = r;                                                                                \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, cfg->allow_private ? "http,https" : "https");
    SET(CURLOPT_PROXY, ""); /* never a proxy from the environment: see transfer.h */
    SET(CURLOPT_POSTFIELDS, job->body.data);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->body.len);
    SET(CURLOPT_HTTPHEADER, job->headers);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_WRITEFUNCTION, on_response_body);
    SET(CURLOPT_WRITEDATA, job);
    SET(CURLOPT_HEADERFUNCTION, on_response_header);
    SET(CURLOPT_HEADERDATA, job);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, job);
    SET(CURLOPT_ERRORBUFFER, job->curl_error);
    SET(CURLOPT_PRIVATE, job);
    if (cfg->share)
        SET(CURLOPT_SHARE, cfg->share);
    if (cfg->tls_client_cert)
        SET(CURLOPT_SSLCERT, cfg->tls_client_cert);
    if (cfg->tls_client_key)
        SET(CURLOPT_SSLKEY, cfg->tls_client_key);
    if (cfg->tls_ca_file)
        SET(CURLOPT_CAINFO, cfg->tls_ca_file);
#undef SET
    return rc;
}

static hk_status start_attempt(delivery_job *job)
{
    hk_attempt *at = &job->result.attempt;
    memset(&job->result, 0, sizeof job->result);
    job->result.delivery = &job->delivery;
    job->result.retry_at = HK_TIME_NONE;
    at->number = job->delivery.attempts + 1;
    at->started_at = hk_now_ms();
    job->started_mono_ms = hk_mono_ms();
    job->error[0] = job->curl_error[0] = job->excerpt[0] = '\0';
    job->excerpt_len = job->response_bytes = 0;
    job->address_refused = job->body_cut = job->headers_complete = false;
    if (hk_id_new(HK_ID_ATTEMPT, at->attempt_id) != HK_OK)
        return fail_prepare(job, HK_EINTERNAL, "internal error: cannot make an attempt id");
    return HK_OK;
}

hk_status delivery_transfer_prepare(delivery_job *job, const delivery_transfer_config *cfg,
                                    const hk_delivery_job *dj, const webhook_body_template *tpl,
                                    hk_arena *scratch)
{
    hk_status st = start_attempt(job);
    if (st)
        return st;
    job->allow_private = cfg->allow_private;
    char *url = NULL, *credentials = NULL;
    size_t credentials_len = 0;
    st = delivery_split_credentials(scratch, dj->target.url, &url, &credentials, &credentials_len);
    if (st)
        return fail_prepare(job, st,
                            st == HK_ENOMEM ? "internal error: out of memory" : "malformed URL");
    snprintf(job->log_url, sizeof job->log_url, "%s", url);
    if (!hk_url_scheme_allowed(url, cfg->allow_private))
        return fail_prepare(job, HK_EINVAL, "URL scheme not allowed");
    const char *authorization = NULL;
    if (credentials) {
        authorization = delivery_basic_auth(scratch, credentials, credentials_len);
        explicit_bzero(credentials, credentials_len);
        if (!authorization)
            return fail_prepare(job, HK_ENOMEM, "internal error: out of memory");
    }
    st = build_request(job, cfg, dj, tpl, authorization);
    if (st)
        return st;
    job->easy = curl_easy_init();
    if (!job->easy)
        return fail_prepare(job, HK_ENOMEM, "internal error: cannot make an HTTP handle");
    CURLcode rc = set_options(job, cfg, url);
    if (rc != CURLE_OK) {
        snprintf(job->error, sizeof job->error, "internal error: %s", curl_easy_strerror(rc));
        return HK_EINTERNAL;
    }
    return HK_OK;
}

/* Duration and retry time once the attempt is over. */
static void conclude(delivery_job *job, const hk_retry_schedule *retry)
{
    hk_delivery_result *r = &job->result;
    int64_t end = hk_now_ms();
    r->attempt.duration_ms = hk_mono_ms() - job->started_mono_ms;
    if (r->attempt.duration_ms < 0)
        r->attempt.duration_ms = 0;
    r->attempt.error = r->succeeded ? NULL : job->error;
    r->retry_at = r->succeeded ? HK_TIME_NONE : hk_retry_next(retry, r->attempt.number, end);
}

void delivery_transfer_finish(delivery_job *job, CURLcode code, const delivery_transfer_config *cfg,
                              const hk_retry_schedule *retry)
{
    delivery_outcome_in in = {
        .code = code,
        .address_refused = job->address_refused,
        .body_cut = job->body_cut,
        .headers_complete = job->headers_complete,
        .timeout_ms = cfg->timeout_ms,
        .curl_error = job->curl_error,
    };
    curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &in.http_status);
    curl_easy_getinfo(job->easy, CURLINFO_OS_ERRNO, &in.os_errno);
    hk_delivery_result *r = &job->result;
    r->succeeded = delivery_outcome(&in, job->error, sizeof job->error, &r->attempt.status_code);
    job->excerpt_len =
        delivery_excerpt_clean(job->excerpt, job->excerpt_len, HK_ATTEMPT_EXCERPT_MAX);
    r->attempt.response_excerpt = job->excerpt_len ? job->excerpt : NULL;
    conclude(job, retry);
}

void delivery_transfer_fail(delivery_job *job, const hk_retry_schedule *retry)
{
    job->result.succeeded = false;
    job->result.attempt.status_code = 0;
    job->result.attempt.response_excerpt = NULL;
    conclude(job, retry);
}

void delivery_transfer_drop(delivery_job *job)
{
    memset(&job->result, 0, sizeof job->result);
    job->result.delivery = &job->delivery;
    job->result.retry_at = HK_TIME_NONE;
    job->result.drop = true;
}

void delivery_transfer_release(delivery_job *job)
{
    if (job->easy)
        curl_easy_cleanup(job->easy);
    job->easy = NULL;
    curl_slist_free_all(job->headers);
    job->headers = NULL;
    hk_buf_free(&job->body);
}
