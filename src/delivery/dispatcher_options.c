/*
 * dispatcher_options.c - the dispatcher's defaults and their checks,
 * TLS files included, so a misconfiguration stops `hookd serve` at start
 * instead of failing every delivery later.
 */
#include "delivery/dispatcher.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* Kept in step with LEASE_MARGIN_MS in dispatcher.c: an attempt needs its
 * whole timeout plus this margin left on its lease. */
#define MIN_LEASE_OVER_TIMEOUT_MS 5000
#define DEFAULT_LEASE_OVER_TIMEOUT_MS 60000
#define MAX_TIMEOUT_MS ((int64_t)24 * 3600 * 1000)
#define MAX_IN_FLIGHT 65536
#define MAX_USER_AGENT 512

void hk_dispatcher_options_init(hk_dispatcher_options *o)
{
    memset(o, 0, sizeof *o);
    hk_retry_schedule_default(&o->retry);
    o->timeout_ms = 30000;
    o->max_in_flight = 256;
    o->per_target_in_flight = 8;
    o->claim_batch = 64;
    o->record_delay_ms = 10;
    o->stop_grace_ms = 2000;
    o->template_cache = 128;
    o->set_commit_hook = true;
    o->disable_failing_after_ms = (int64_t)5 * 24 * 3600 * 1000; /* 5 days, like Svix */
    o->metrics_target_labels = 100;
}

int64_t hk_dispatcher_lease_ms(const hk_dispatcher_options *o)
{
    return o->lease_ms > 0 ? o->lease_ms : o->timeout_ms + DEFAULT_LEASE_OVER_TIMEOUT_MS;
}

static hk_status check_numbers(const hk_dispatcher_options *o, hk_error *err)
{
    if (o->timeout_ms < 1 || o->timeout_ms > MAX_TIMEOUT_MS)
        return hk_error_set(err, HK_EINVAL, NULL, "delivery timeout must be from 1 ms to 1 day");
    if (o->max_in_flight < 1 || o->max_in_flight > MAX_IN_FLIGHT)
        return hk_error_set(err, HK_EINVAL, NULL, "max in flight must be from 1 to %d",
                            MAX_IN_FLIGHT);
    if (o->per_target_in_flight < 1)
        return hk_error_set(err, HK_EINVAL, NULL, "per-target in flight must be at least 1");
    if (o->claim_batch < 1 || o->template_cache < 1)
        return hk_error_set(err, HK_EINVAL, NULL, "claim batch and template cache must be >= 1");
    if (o->record_delay_ms < 0 || o->stop_grace_ms < 0 || o->lease_ms < 0 ||
        o->disable_failing_after_ms < 0)
        return hk_error_set(err, HK_EINVAL, NULL, "delays must not be negative");
    if (hk_dispatcher_lease_ms(o) < o->timeout_ms + MIN_LEASE_OVER_TIMEOUT_MS)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "the lease (%lld ms) must exceed the delivery timeout by 5 s or more",
                            (long long)o->lease_ms);
    return HK_OK;
}

static hk_status check_user_agent(const char *ua, hk_error *err)
{
    if (!ua)
        return HK_OK;
    size_t n = strlen(ua);
    if (n == 0 || n > MAX_USER_AGENT)
        return hk_error_set(err, HK_EINVAL, NULL, "User-Agent must be 1 to %d characters",
                            MAX_USER_AGENT);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)ua[i] < 0x20 || ua[i] == 0x7f)
            return hk_error_set(err, HK_EINVAL, NULL,
                                "User-Agent must not contain control characters");
    return HK_OK;
}

static FILE *open_pem(const char *what, const char *path, hk_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        hk_error_set(err, HK_EINVAL, NULL, "cannot read the %s '%s': %s", what, path,
                     strerror(errno));
    return f;
}

static hk_status load_cert(const char *path, X509 **out, hk_error *err)
{
    FILE *f = open_pem("TLS client certificate", path, err);
    if (!f)
        return HK_EINVAL;
    *out = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    if (!*out)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "the TLS client certificate '%s' is not a PEM certificate", path);
    return HK_OK;
}

static hk_status load_key(const char *path, EVP_PKEY **out, hk_error *err)
{
    FILE *f = open_pem("TLS client key", path, err);
    if (!f)
        return HK_EINVAL;
    *out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    if (!*out)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "the TLS client key '%s' is not an unencrypted PEM private key", path);
    return HK_OK;
}

/* The certificate and its key (in the key file, else in the cert file, as
 * libcurl looks for it) parse and belong together. */
static hk_status check_client_tls(const hk_dispatcher_options *o, hk_error *err)
{
    if (!o->tls_client_cert) {
        if (o->tls_client_key)
            return hk_error_set(err, HK_EINVAL, NULL,
                                "a TLS client key was given without a client certificate");
        return HK_OK;
    }
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    hk_status st = load_cert(o->tls_client_cert, &cert, err);
    if (!st)
        st = load_key(o->tls_client_key ? o->tls_client_key : o->tls_client_cert, &key, err);
    if (!st && X509_check_private_key(cert, key) != 1)
        st = hk_error_set(err, HK_EINVAL, NULL,
                          "the TLS client key does not match the client certificate");
    ERR_clear_error();
    EVP_PKEY_free(key);
    X509_free(cert);
    return st;
}

static hk_status check_ca_file(const char *path, hk_error *err)
{
    if (!path)
        return HK_OK;
    FILE *f = open_pem("TLS CA file", path, err);
    if (!f)
        return HK_EINVAL;
    X509 *first = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    if (!first)
        return hk_error_set(err, HK_EINVAL, NULL, "the TLS CA file '%s' holds no PEM certificate",
                            path);
    X509_free(first);
    return HK_OK;
}

hk_status hk_dispatcher_options_check(const hk_dispatcher_options *o, hk_error *err)
{
    hk_status st = check_numbers(o, err);
    if (!st)
        st = check_user_agent(o->user_agent, err);
    if (!st)
        st = check_client_tls(o, err);
    if (!st)
        st = check_ca_file(o->tls_ca_file, err);
    return st;
}
