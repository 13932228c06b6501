/*
 * fuzz_verify.c - libFuzzer target for libhookd-verify's parser.
 *
 * Each input is a candidate body. It goes through hk_parse_webhook, then
 * through hk_verify_webhook twice: signed correctly (so that the fuzzer
 * reaches the parser through the verifier too, and the two must agree) and
 * with its first 64 bytes as the signature (the header path). Every string
 * of an accepted result is read to its end, so that ASan sees a pointer into
 * freed or foreign memory; the invariants of verify.h are checked with
 * __builtin_trap. Run with `make fuzz` (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hookd/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "fuzz-secret"

static void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

static size_t touch(const char *s)
{
    return s ? strlen(s) : 0;
}

static size_t touch_actor(const hk_webhook_actor *a)
{
    check(a->kind <= HK_ACTOR_KIND_UNKNOWN);
    check((a->kind == HK_ACTOR_KIND_UNKNOWN) == (a->id == NULL));
    return touch(a->id);
}

static size_t touch_customer(const hk_webhook_customer *c)
{
    size_t n = touch(c->id) + touch(c->email.email) + touch(c->external_id) + touch(c->full_name) +
               touch(c->short_name);
    check(c->id && c->email.email && c->full_name);
    check(c->has_marked_as_spam_by || c->marked_as_spam_by.id == NULL);
    if (c->has_marked_as_spam_by)
        n += touch_actor(&c->marked_as_spam_by);
    check((c->n_memberships == 0) == (c->memberships == NULL));
    for (size_t i = 0; i < c->n_memberships; i++) {
        const hk_webhook_membership *m = &c->memberships[i];
        const hk_webhook_customer_group *g = &m->customer_group;
        n += touch(m->customer_id) + touch(m->customer_group_id) + touch(m->workspace_id);
        n += touch_actor(&m->created_by) + touch_actor(&m->updated_by);
        n += touch(g->id) + touch(g->workspace_id) + touch(g->name) + touch(g->key) +
             touch(g->color) + touch_actor(&g->created_by) + touch_actor(&g->updated_by);
    }
    return n + touch_actor(&c->created_by) + touch_actor(&c->updated_by);
}

/* What verify.h promises about an accepted webhook. */
static void touch_webhook(const hk_webhook *wh)
{
    hk_webhook_event e = wh->event;
    check(wh->id && wh->workspace_id && wh->event_type);
    check((wh->customer != NULL) == (e != HK_WEBHOOK_CUSTOMER_DELETED));
    check((wh->previous_customer != NULL) == (e != HK_WEBHOOK_CUSTOMER_CREATED));
    check((wh->change_type != NULL) == (e == HK_WEBHOOK_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED));
    check(wh->metadata.webhook_delivery_attempt_number >= 1);
    size_t n = touch(wh->id) + touch(wh->event_type) + touch(wh->change_type) +
               touch(wh->metadata.webhook_target_id) + touch(wh->metadata.webhook_target_version) +
               touch(wh->metadata.webhook_delivery_attempt_id);
    if (wh->customer)
        n += touch_customer(wh->customer);
    if (wh->previous_customer)
        n += touch_customer(wh->previous_customer);
    check(n > 0);
}

static void sign(const uint8_t *data, size_t size, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), data, size, mac, &len);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char detail[64], sig[65];
    hk_verify_options o;
    hk_webhook *wh = NULL;

    hk_verify_options_init(&o);
    o.tolerance_ms = -1; /* the inputs' times are whatever they are */
    o.detail = detail;
    o.detail_size = sizeof detail;
    hk_verify_result parsed = hk_parse_webhook(body, size, &o, &wh);
    check((parsed == HK_VERIFY_OK) == (wh != NULL));
    check(memchr(detail, '\0', sizeof detail) != NULL);
    if (wh)
        touch_webhook(wh);
    hk_webhook_free(wh);

    /* signed: the verifier must come to the parser's verdict */
    sign(data, size, sig);
    hk_verify_result verified = hk_verify_webhook(body, size, sig, SECRET, strlen(SECRET), &o, &wh);
    check(size == 0 ? verified == HK_VERIFY_BAD_SIGNATURE : verified == parsed);
    hk_webhook_free(wh);

    /* with the default options (the real clock) and the input's head as signature */
    if (size >= 64) {
        memcpy(sig, data, 64);
        sig[64] = '\0';
        verified = hk_verify_webhook(body, size, sig, SECRET, strlen(SECRET), NULL, &wh);
        check(verified == HK_VERIFY_BAD_SIGNATURE || verified == HK_VERIFY_TOO_LARGE ||
              (wh != NULL) == (verified == HK_VERIFY_OK));
        hk_webhook_free(wh);
    }
    return 0;
}
