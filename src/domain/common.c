/*
 * common.c - permissions, URLs, the outbox: the pieces every domain
 * operation uses.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/ids.h"
#include "core/utf8.h"
#include "domain/domain_int.h"
#include "json/webhook_body.h"

static atomic_bool allow_private_targets;

void hk_domain_set_allow_private_targets(bool allow)
{
    atomic_store(&allow_private_targets, allow);
}

bool hk_domain_private_targets_allowed(void)
{
    return atomic_load(&allow_private_targets);
}

hk_status domain_require(const hk_ctx *ctx, hk_permission perm, hk_error *err)
{
    if (ctx->permissions & (uint32_t)perm)
        return HK_OK;
    return hk_error_set(err, HK_EFORBIDDEN, "forbidden", "missing permission %s",
                        hk_permission_name(perm));
}

hk_status domain_store_error(hk_error *err, hk_status st, const char *what)
{
    if (st == HK_ENOMEM)
        return hk_error_set(err, st, NULL, "out of memory while %s", what);
    if (st == HK_ECONFLICT)
        return hk_error_set(err, st, "internal", "conflicting write while %s", what);
    if (st == HK_ENOTFOUND)
        return hk_error_set(err, st, NULL, "not found while %s", what);
    return hk_error_set(err, HK_EIO, "internal", "storage failure while %s", what);
}

hk_status domain_copy_id(const char *field, const char *id, char out[HK_ID_MAX], hk_error *err)
{
    out[0] = '\0';
    if (!id || !*id)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_REQUIRED, "%s is required",
                              field);
    size_t n = strlen(id);
    if (n >= HK_ID_MAX)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", field, HK_FIELD_NOT_FOUND,
                              "no entity with this %s", field);
    memcpy(out, id, n + 1);
    return HK_OK;
}

const char *domain_dup(hk_arena *a, const char *s, hk_status *st)
{
    if (!s)
        return NULL;
    const char *d = hk_arena_strdup(a, s);
    if (!d)
        *st = HK_ENOMEM;
    return d;
}

/* True for hosts that must not receive webhooks unless allowed: loopback,
 * private, link-local, unspecified (IPv4 and IPv6 literals), "localhost".
 * Names are resolved and checked again at delivery time. */
static bool host_is_private(const char *host)
{
    size_t n = strlen(host);
    if (strcasecmp(host, "localhost") == 0 ||
        (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
        return true;
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1) {
        return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
               (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
               (a[0] == 100 && (a[1] & 0xc0) == 64);
    }
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char zero[16];
        bool v4mapped = memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff;
        if (v4mapped)
            return true; /* refuse mapped forms outright: no second parser to get wrong */
        return memcmp(a, zero, 15) == 0 /* :: and ::1 */ || (a[0] & 0xfe) == 0xfc /* ULA */ ||
               (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* link-local */;
    }
    return false;
}

/* Splits scheme://[userinfo@]host[:port][/...] and checks the host. */
hk_status domain_validate_url(const char *field, const char *url, hk_error *err)
{
    if (!url)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_REQUIRED, "%s is required",
                              field);
    size_t n = strlen(url);
    if (n == 0 || n > HK_URL_MAX_BYTES || !hk_utf8_valid(url, n))
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s must be a URL of at most %d characters", field, HK_URL_MAX_BYTES);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
            return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                                  "%s must not contain spaces or control characters", field);
    bool https = strncasecmp(url, "https://", 8) == 0;
    bool http = strncasecmp(url, "http://", 7) == 0;
    bool allowed = hk_domain_private_targets_allowed();
    if (!https && !(http && allowed))
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s must be an https:// URL%s", field,
                              http ? " (for development, hookd serve with "
                                     "HOOKD_ALLOW_PRIVATE_TARGETS=1 allows http://)"
                                   : "");
    const char *auth = url + (https ? 8 : 7);
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = memrchr(auth, '@', auth_len);
    const char *host = at ? at + 1 : auth;
    size_t host_len = auth_len - (size_t)(host - auth);
    char h[256];
    if (host_len == 0 || host_len >= sizeof h)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s has no valid host", field);
    memcpy(h, host, host_len);
    h[host_len] = '\0';
    if (h[0] == '[') {
        char *close = strchr(h, ']');
        if (!close || (close[1] != '\0' && close[1] != ':'))
            return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                                  "%s has a malformed IPv6 host", field);
        *close = '\0';
        memmove(h, h + 1, strlen(h));
    } else {
        char *colon = strchr(h, ':');
        if (colon)
            *colon = '\0';
    }
    if (h[0] == '\0')
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s has no valid host", field);
    if (!allowed && host_is_private(h))
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s points to a private, loopback or link-local address (for "
                              "development, hookd serve with HOOKD_ALLOW_PRIVATE_TARGETS=1 "
                              "allows it)",
                              field);
    return HK_OK;
}

/* The customer an event is about: as it is now, or as it was (deleted). Ordered targets keep
 * each customer's events in order by it, and operators list a customer's events by it. */
static void event_about(hk_event *ev, const hk_customer *customer, const hk_customer *previous)
{
    const hk_customer *about = customer ? customer : previous;
    if (about)
        snprintf(ev->customer_id, sizeof ev->customer_id, "%s", about->id);
}

hk_status outbox_insert_event(const store_tx *tx, const char *ws, hk_event_type type,
                              hk_change_type change, const hk_customer *customer,
                              const hk_customer *previous, int64_t now, char event_id[HK_ID_MAX],
                              hk_error *err)
{
    hk_buf payload;
    hk_buf_init(&payload, 0);
    hk_event ev = {.type = type, .timestamp = now};
    snprintf(ev.workspace_id, sizeof ev.workspace_id, "%s", ws);
    event_about(&ev, customer, previous);
    hk_status st = hk_id_new(HK_ID_EVENT, ev.id);
    if (st) {
        hk_error_set(err, st, NULL, "cannot make an event id");
        goto out;
    }
    st = webhook_render_payload(&payload, type, change, customer, previous);
    if (st) {
        hk_error_set(err, st, "internal", "cannot render the event payload");
        goto out;
    }
    ev.payload_json = payload.data;
    ev.payload_len = payload.len;
    st = tx->ops->event_insert(tx->conn, &ev);
    if (st) {
        domain_store_error(err, st, "recording the event");
        goto out;
    }
    memcpy(event_id, ev.id, HK_ID_MAX);
out:
    hk_buf_free(&payload);
    return st;
}

typedef struct note_job {
    const store_tx *tx;
    const char *ws;
} note_job;

/* A delivery due now was made for target_id: tell the dispatcher. */
static void note_created(void *arg, const char *target_id)
{
    note_job *j = arg;
    store_note_due(j->tx, j->ws, target_id);
}

hk_status outbox_emit(const store_tx *tx, const char *ws, hk_event_type type, hk_change_type change,
                      const hk_customer *customer, const hk_customer *previous, int64_t now,
                      hk_error *err)
{
    char id[HK_ID_MAX];
    hk_status st = outbox_insert_event(tx, ws, type, change, customer, previous, now, id, err);
    if (st)
        return st;
    hk_event ev = {.type = type, .timestamp = now};
    memcpy(ev.id, id, HK_ID_MAX);
    snprintf(ev.workspace_id, sizeof ev.workspace_id, "%s", ws);
    event_about(&ev, customer, previous);
    size_t n = 0;
    note_job note = {tx, ws};
    st = tx->ops->deliveries_create(tx->conn, &ev, now, note_created, &note, &n);
    if (st)
        return domain_store_error(err, st, "recording the deliveries");
    return HK_OK;
}
