/*
 * test_verify_util.h - helpers of the libhookd-verify tests: reading Plain's
 * examples, signing bodies, and checking a parsed hk_webhook against the
 * JSON it came from, field by field.
 *
 * These tests link the library alone (plus cmocka, jansson and libcrypto for
 * the test's own signing and JSON reading), as a receiver would.
 */
#ifndef HOOKD_TESTS_TEST_VERIFY_UTIL_H
#define HOOKD_TESTS_TEST_VERIFY_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>

#include "hookd/verify.h"

#define TV_SECRET "whsec_test_0123456789"
#define TV_EXAMPLE_VERSION "2026-02-11" /* what Plain's examples carry */

static inline const char *tv_data_dir(void)
{
    const char *d = getenv("HOOKD_TEST_DATA");
    return d ? d : "tests/data";
}

#define TV_MAX_EXAMPLES 64

static inline int tv_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json in Plain's example directory, sorted; returns how many (free each name). */
static inline size_t tv_list_examples(char *names[TV_MAX_EXAMPLES])
{
    char path[512];
    snprintf(path, sizeof path, "%s/plain/webhook-examples", tv_data_dir());
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            assert_true(n < TV_MAX_EXAMPLES);
            names[n] = strdup(e->d_name);
            assert_non_null(names[n++]);
        }
    }
    closedir(d);
    qsort(names, n, sizeof names[0], tv_cmp_names);
    return n;
}

static const char *const tv_versions[] = {
    "2024-09-18", "2025-08-06", "2026-02-27", "2026-03-13", "2026-04-21",
};
#define TV_N_VERSIONS (sizeof tv_versions / sizeof tv_versions[0])

/* A body and its signature. */
typedef struct tv_body {
    char *data;
    size_t len;
    char sig[65];
} tv_body;

static inline char *tv_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static inline void tv_sign(const char *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[32];
    unsigned int mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), TV_SECRET, (int)strlen(TV_SECRET),
                         (const unsigned char *)data, len, mac, &mac_len));
    assert_int_equal(mac_len, 32);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
}

/* Takes ownership of data and signs it. */
static inline tv_body tv_body_of(char *data, size_t len)
{
    tv_body b = {.data = data, .len = len};
    tv_sign(data, len, b.sig);
    return b;
}

static inline void tv_body_free(tv_body *b)
{
    free(b->data);
    b->data = NULL;
}

/*
 * Plain's example `name`, byte for byte, with its webhookTargetVersion
 * replaced by `version` (same length, so nothing else moves), signed.
 */
static inline tv_body tv_example(const char *name, const char *version)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/plain/webhook-examples/%s", tv_data_dir(), name);
    char *data = tv_read_file(path, &len);
    char *v = strstr(data, "\"" TV_EXAMPLE_VERSION "\"");
    assert_non_null(v);
    assert_null(strstr(v + 1, "\"" TV_EXAMPLE_VERSION "\""));
    assert_int_equal(strlen(version), strlen(TV_EXAMPLE_VERSION));
    memcpy(v + 1, version, strlen(version));
    return tv_body_of(data, len);
}

/* A JSON value, compact, as a signed body. */
static inline tv_body tv_body_json(const json_t *root)
{
    char *s = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    return tv_body_of(s, strlen(s));
}

static inline json_t *tv_load(const char *data, size_t len)
{
    json_error_t err;
    json_t *root = json_loadb(data, len, 0, &err);
    if (!root)
        fail_msg("test JSON does not load: %s", err.text);
    return root;
}

/* "2023-10-19T14:21:43.616Z" (the form Plain and hookd send) in ms; false for other forms. */
static inline bool tv_try_ms(const char *iso, int64_t *out)
{
    struct tm tm = {0};
    int ms = 0, end = 0;
    int n = sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &end);
    if (n != 7 || end != 24 || iso[end] != '\0')
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm) * 1000 + ms;
    return true;
}

static inline int64_t tv_ms(const char *iso)
{
    int64_t ms = 0;
    if (!tv_try_ms(iso, &ms))
        fail_msg("not a time the tests know: %s", iso);
    return ms;
}

static inline int64_t tv_attempt_ms(const tv_body *b)
{
    json_t *root = tv_load(b->data, b->len);
    json_t *ts = json_object_get(json_object_get(root, "webhookMetadata"),
                                 "webhookDeliveryAttemptTimestamp");
    int64_t ms = tv_ms(json_string_value(ts));
    json_decref(root);
    return ms;
}

/* Options that accept `b` as fresh: now = its attempt timestamp. */
static inline hk_verify_options tv_options_at(int64_t now_ms)
{
    hk_verify_options o;
    hk_verify_options_init(&o);
    o.now_ms = now_ms;
    return o;
}

static inline hk_verify_result tv_verify(const tv_body *b, const hk_verify_options *o,
                                         hk_webhook **out)
{
    return hk_verify_webhook(b->data, b->len, b->sig, TV_SECRET, strlen(TV_SECRET), o, out);
}

/* ---- the parsed structs against the JSON, field by field --------------- */

static inline void tv_check_str(json_t *o, const char *key, const char *got)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (got)
            fail_msg("%s: expected NULL, got \"%s\"", key, got);
        return;
    }
    if (!got)
        fail_msg("%s: expected \"%s\", got NULL", key, json_string_value(v));
    assert_string_equal(got, json_string_value(v));
}

static inline void tv_check_time(json_t *o, const char *key, int64_t got)
{
    json_t *v = json_object_get(o, key);
    int64_t ms;
    if (!v || json_is_null(v))
        assert_true(got == HK_WEBHOOK_TIME_NONE);
    else if (tv_try_ms(json_string_value(v), &ms)) /* other forms: see schema_cases */
        assert_true(got == ms);
}

static inline void tv_check_actor(json_t *a, const hk_webhook_actor *got)
{
    const char *type = json_string_value(json_object_get(a, "actorType"));
    assert_non_null(type);
    if (strcmp(type, "user") == 0) {
        assert_int_equal(got->kind, HK_ACTOR_KIND_USER);
        tv_check_str(a, "userId", got->id);
    } else if (strcmp(type, "machineUser") == 0) {
        assert_int_equal(got->kind, HK_ACTOR_KIND_MACHINE_USER);
        tv_check_str(a, "machineUserId", got->id);
    } else if (strcmp(type, "system") == 0) {
        assert_int_equal(got->kind, HK_ACTOR_KIND_SYSTEM);
        tv_check_str(a, "system", got->id);
    } else if (strcmp(type, "customer") == 0) {
        assert_int_equal(got->kind, HK_ACTOR_KIND_CUSTOMER);
        tv_check_str(a, "customerId", got->id);
    } else {
        assert_string_equal(type, "UNKNOWN");
        assert_int_equal(got->kind, HK_ACTOR_KIND_UNKNOWN);
        assert_null(got->id);
    }
}

static inline void tv_check_stamps(json_t *o, int64_t created_at, const hk_webhook_actor *cb,
                                   int64_t updated_at, const hk_webhook_actor *ub)
{
    tv_check_time(o, "createdAt", created_at);
    tv_check_actor(json_object_get(o, "createdBy"), cb);
    tv_check_time(o, "updatedAt", updated_at);
    tv_check_actor(json_object_get(o, "updatedBy"), ub);
}

static inline void tv_check_membership(json_t *m, const hk_webhook_membership *got)
{
    tv_check_str(m, "customerId", got->customer_id);
    tv_check_str(m, "customerGroupId", got->customer_group_id);
    tv_check_str(m, "workspaceId", got->workspace_id);
    tv_check_stamps(m, got->created_at, &got->created_by, got->updated_at, &got->updated_by);
    json_t *g = json_object_get(m, "customerGroup");
    const hk_webhook_customer_group *cg = &got->customer_group;
    tv_check_str(g, "id", cg->id);
    tv_check_str(g, "workspaceId", cg->workspace_id);
    tv_check_str(g, "name", cg->name);
    tv_check_str(g, "key", cg->key);
    tv_check_str(g, "color", cg->color);
    tv_check_stamps(g, cg->created_at, &cg->created_by, cg->updated_at, &cg->updated_by);
}

static inline void tv_check_customer(json_t *c, const hk_webhook_customer *got)
{
    if (!c) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    tv_check_str(c, "id", got->id);
    json_t *e = json_object_get(c, "email");
    tv_check_str(e, "email", got->email.email);
    assert_int_equal(got->email.is_verified, json_is_true(json_object_get(e, "isVerified")));
    tv_check_time(e, "verifiedAt", got->email.verified_at);
    tv_check_str(c, "externalId", got->external_id);
    tv_check_str(c, "fullName", got->full_name);
    tv_check_str(c, "shortName", got->short_name);
    tv_check_time(c, "markedAsSpamAt", got->marked_as_spam_at);
    json_t *by = json_object_get(c, "markedAsSpamBy");
    assert_int_equal(got->has_marked_as_spam_by, by && !json_is_null(by));
    if (got->has_marked_as_spam_by)
        tv_check_actor(by, &got->marked_as_spam_by);
    json_t *ms = json_object_get(c, "customerGroupMemberships");
    assert_int_equal(got->n_memberships, json_array_size(ms));
    for (size_t i = 0; i < got->n_memberships; i++)
        tv_check_membership(json_array_get(ms, i), &got->memberships[i]);
    tv_check_stamps(c, got->created_at, &got->created_by, got->updated_at, &got->updated_by);
}

static inline void tv_check_webhook(const tv_body *b, const hk_webhook *wh)
{
    json_t *root = tv_load(b->data, b->len);
    json_t *payload = json_object_get(root, "payload");
    json_t *meta = json_object_get(root, "webhookMetadata");
    tv_check_str(root, "id", wh->id);
    tv_check_str(root, "workspaceId", wh->workspace_id);
    tv_check_time(root, "timestamp", wh->timestamp);
    tv_check_str(root, "type", wh->event_type);
    tv_check_str(payload, "changeType", wh->change_type);
    static const char *const types[] = {
        [HK_WEBHOOK_CUSTOMER_CREATED] = "customer.customer_created",
        [HK_WEBHOOK_CUSTOMER_UPDATED] = "customer.customer_updated",
        [HK_WEBHOOK_CUSTOMER_DELETED] = "customer.customer_deleted",
        [HK_WEBHOOK_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED] =
            "customer.customer_group_memberships_changed",
    };
    assert_string_equal(types[wh->event], wh->event_type);
    tv_check_customer(json_object_get(payload, "customer"), wh->customer);
    tv_check_customer(json_object_get(payload, "previousCustomer"), wh->previous_customer);
    const hk_webhook_metadata *m = &wh->metadata;
    tv_check_str(meta, "webhookTargetId", m->webhook_target_id);
    tv_check_str(meta, "webhookTargetVersion", m->webhook_target_version);
    tv_check_str(meta, "webhookDeliveryAttemptId", m->webhook_delivery_attempt_id);
    assert_int_equal(m->webhook_delivery_attempt_number,
                     json_integer_value(json_object_get(meta, "webhookDeliveryAttemptNumber")));
    tv_check_time(meta, "webhookDeliveryAttemptTimestamp", m->webhook_delivery_attempt_timestamp);
    json_decref(root);
}

#endif
