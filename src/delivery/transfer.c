/*
 * transfer.c - a delivery attempt on a libcurl easy handle (see transfer.h).
 */
#include "delivery/transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "delivery/attempt.h"
#include "delivery/dispatcher.h"
#include "delivery/targets.h"
#include "domain/catalog.h"

/* A receiver's answer is read (so the connection can be reused) up to this
 * much; past it the transfer is stopped, its status still counting. */
#define RESPONSE_READ_MAX ((size_t)1 << 20)
/* A body buffer grown past this is not kept with its idle handle. */
#define KEPT_BODY_MAX ((size_t)256 << 10)

struct delivery_handle {
    delivery_handle *next; /* in the pool's idle list */
    CURL *easy;
    hk_buf body;
    delivery_headers headers;
};

struct delivery_handle_pool {
    const delivery_transfer_config *cfg;
    delivery_handle *idle;
    size_t idle_count, keep;
};

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
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        job->headers_complete = false;
        job->keep_alive_s = -1;
    } else if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n')) {
        job->headers_complete = true;
    } else if (n > 0 && (data[0] == 'k' || data[0] == 'K')) {
        int t = delivery_keep_alive_timeout(data, n);
        if (t >= 0)
            job->keep_alive_s = t;
    }
    return n;
}

/*
 * Runs before each request libcurl sends for the job. More than one means
 * libcurl is about to send the attempt again: it does so, silently, when a
 * kept-alive connection closes after taking the request without a byte of
 * answer (it takes that for a stale connection). The receiver may well have
 * got and acted on the first one, so a second copy, same attempt id and
 * number, would be a request nobody recorded. The attempt fails instead and
 * is retried on the schedule, as its own attempt.
 */
static int on_before_request(void *arg, char *primary_ip, char *local_ip, int primary_port,
                             int local_port)
{
    (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
    delivery_job *job = arg;
    if (job->requests_sent++ == 0)
        return CURL_PREREQFUNC_OK;
    job->resend_refused = true;
    return CURL_PREREQFUNC_ABORT;
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
                               const char *authorization, struct curl_slist **headers)
{
    delivery_handle *h = job->handle;
    hk_attempt *at = &job->result.attempt;
    webhook_attempt_meta meta = {
        .target_id = dj->target.id,
        .target_version = dj->target.version,
        .attempt_id = at->attempt_id,
        .attempt_number = at->number,
        .attempt_timestamp = at->started_at,
    };
    hk_buf_reset(&h->body);
    if (!tpl || webhook_body_assemble(&h->body, tpl, &meta) != HK_OK)
        return fail_prepare(job, HK_EINTERNAL, "internal error: cannot build the body");
    char signature[HK_SHA256_HEX_BUF];
    const char *secret = dj->secret.secret;
    if (secret &&
        hk_hmac_sha256_hex(secret, strlen(secret), h->body.data, h->body.len, signature) != HK_OK)
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
    if (delivery_build_headers(&hv, &h->headers, headers) != HK_OK)
        return fail_prepare(job, HK_EINTERNAL, "internal error: cannot build the headers");
    /* Recorded with the attempt, for operators: what its headers said that
     * the rest of the record cannot tell (a part of the signature only). */
    snprintf(at->sent_version, sizeof at->sent_version, "%s", dj->target.version);
    if (secret)
        snprintf(at->sent_signature, sizeof at->sent_signature, "%.*s", HK_ATTEMPT_SIGNATURE_KEPT,
                 signature);
    at->sent_basic_auth = authorization != NULL;
    at->sent_user_agent =
        strcmp(cfg->user_agent, HK_DISPATCHER_DEFAULT_USER_AGENT) == 0 ? NULL : cfg->user_agent;
    return HK_OK;
}

/* Options that only fail when libcurl lacks a feature or memory: their
 * results are folded into one. */
#define SET(e, rc, opt, val)                                                                       \
    do {                                                                                           \
        CURLcode r_ = curl_easy_setopt(e, opt, val);                                               \
        if (r_ != CURLE_OK && rc == CURLE_OK)                                                      \
            rc = r_;                                                                               \
    } while (0)

/* What every attempt on a handle shares: set once, when it is made. */
static CURLcode set_shared_options(CURL *e, const delivery_transfer_config *cfg)
{
    CURLcode rc = CURLE_OK;
    SET(e, rc, CURLOPT_PROTOCOLS_STR, cfg->allow_private ? "http,https" : "https");
    SET(e, rc, CURLOPT_PROXY, ""); /* never a proxy from the environment: see transfer.h */
    SET(e, rc, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SET(e, rc, CURLOPT_FOLLOWLOCATION, 0L);
    SET(e, rc, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    SET(e, rc, CURLOPT_NOSIGNAL, 1L);
    SET(e, rc, CURLOPT_TCP_KEEPALIVE, 1L);
    SET(e, rc, CURLOPT_WRITEFUNCTION, on_response_body);
    SET(e, rc, CURLOPT_HEADERFUNCTION, on_response_header);
    SET(e, rc, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(e, rc, CURLOPT_PREREQFUNCTION, on_before_request);
    if (cfg->share)
        SET(e, rc, CURLOPT_SHARE, cfg->share);
    if (cfg->tls_client_cert)
        SET(e, rc, CURLOPT_SSLCERT, cfg->tls_client_cert);
    if (cfg->tls_client_key)
        SET(e, rc, CURLOPT_SSLKEY, cfg->tls_client_key);
    if (cfg->tls_ca_file)
        SET(e, rc, CURLOPT_CAINFO, cfg->tls_ca_file);
    return rc;
}

/* What changes from attempt to attempt. */
static CURLcode set_attempt_options(delivery_job *job, const char *url, struct curl_slist *headers)
{
    CURL *e = job->easy;
    const hk_buf *body = &job->handle->body;
    CURLcode rc = CURLE_OK;
    SET(e, rc, CURLOPT_URL, url);
    SET(e, rc, CURLOPT_POSTFIELDS, body->data);
    SET(e, rc, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    SET(e, rc, CURLOPT_HTTPHEADER, headers);
    /* Handles serve every target: set for each attempt (see delivery_connection_max_age). */
    SET(e, rc, CURLOPT_MAXAGE_CONN,
        delivery_connection_max_age(job->target ? job->target->keep_alive_s : -1));
    SET(e, rc, CURLOPT_WRITEDATA, job);
    SET(e, rc, CURLOPT_HEADERDATA, job);
    SET(e, rc, CURLOPT_OPENSOCKETDATA, job);
    SET(e, rc, CURLOPT_PREREQDATA, job);
    SET(e, rc, CURLOPT_ERRORBUFFER, job->curl_error);
    SET(e, rc, CURLOPT_PRIVATE, job);
    return rc;
}

/* An idle handle points at no job: nothing can reach a freed one. */
static void clear_attempt_options(CURL *e)
{
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)NULL);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)NULL);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, (void *)NULL);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, (void *)NULL);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, (char *)NULL);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)NULL);
}
#undef SET

/* ---- the pool ---- */

static void handle_free(delivery_handle *h)
{
    if (!h)
        return;
    if (h->easy)
        curl_easy_cleanup(h->easy);
    hk_buf_free(&h->body);
    delivery_headers_free(&h->headers);
    free(h);
}

static hk_status handle_new(const delivery_transfer_config *cfg, delivery_handle **out)
{
    *out = NULL;
    delivery_handle *h = calloc(1, sizeof *h);
    if (!h)
        return HK_ENOMEM;
    hk_buf_init(&h->body, 0);
    delivery_headers_init(&h->headers);
    h->easy = curl_easy_init();
    if (!h->easy || set_shared_options(h->easy, cfg) != CURLE_OK) {
        handle_free(h);
        return HK_ENOMEM;
    }
    *out = h;
    return HK_OK;
}

delivery_handle_pool *delivery_handle_pool_new(const delivery_transfer_config *cfg, size_t keep)
{
    delivery_handle_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = cfg;
    p->keep = keep;
    return p;
}

void delivery_handle_pool_free(delivery_handle_pool *pool)
{
    if (!pool)
        return;
    while (pool->idle) {
        delivery_handle *h = pool->idle;
        pool->idle = h->next;
        handle_free(h);
    }
    free(pool);
}

static hk_status pool_take(delivery_handle_pool *p, delivery_handle **out)
{
    if (!p->idle)
        return handle_new(p->cfg, out);
    *out = p->idle;
    p->idle = (*out)->next;
    p->idle_count--;
    (*out)->next = NULL;
    return HK_OK;
}

static void pool_give(delivery_handle_pool *p, delivery_handle *h)
{
    if (p->idle_count >= p->keep) {
        handle_free(h);
        return;
    }
    clear_attempt_options(h->easy);
    /* The headers may carry the URL's credentials. */
    if (h->headers.text.data)
        explicit_bzero(h->headers.text.data, h->headers.text.len);
    if (h->body.cap > KEPT_BODY_MAX)
        hk_buf_free(&h->body);
    h->next = p->idle;
    p->idle = h;
    p->idle_count++;
}

/* ---- one attempt ---- */

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
    job->keep_alive_s = -1;
    job->requests_sent = 0;
    job->resend_refused = false;
    if (hk_id_new(HK_ID_ATTEMPT, at->attempt_id) != HK_OK)
        return fail_prepare(job, HK_EINTERNAL, "internal error: cannot make an attempt id");
    return HK_OK;
}

hk_status delivery_transfer_prepare(delivery_job *job, delivery_handle_pool *pool,
                                    const hk_delivery_job *dj, const webhook_body_template *tpl,
                                    hk_arena *scratch)
{
    const delivery_transfer_config *cfg = pool->cfg;
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
    if (pool_take(pool, &job->handle) != HK_OK)
        return fail_prepare(job, HK_ENOMEM, "internal error: cannot make an HTTP handle");
    job->easy = job->handle->easy;
    struct curl_slist *headers = NULL;
    st = build_request(job, cfg, dj, tpl, authorization, &headers);
    if (st)
        return st;
    CURLcode rc = set_attempt_options(job, url, headers);
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
        .resend_refused = job->resend_refused,
        .body_cut = job->body_cut,
        .headers_complete = job->headers_complete,
        .timeout_ms = cfg->timeout_ms,
        .curl_error = job->curl_error,
    };
    curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &in.http_status);
    curl_easy_getinfo(job->easy, CURLINFO_OS_ERRNO, &in.os_errno);
    hk_delivery_result *r = &job->result;
    r->succeeded = delivery_outcome(&in, job->error, sizeof job->error, &r->attempt.status_code);
    /* A whole response head tells how its connection is kept; no answer tells nothing. */
    if (job->target && job->headers_complete)
        job->target->keep_alive_s = job->keep_alive_s;
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

void delivery_transfer_release(delivery_job *job, delivery_handle_pool *pool)
{
    if (job->handle)
        pool_give(pool, job->handle);
    job->handle = NULL;
    job->easy = NULL;
}
