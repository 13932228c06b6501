/*
 * test_verify.c - libhookd-verify's contract: signatures (tampered at every
 * byte, truncated, wrong in every way), the time tolerance at its exact
 * boundary in both directions, versions, event types, malformed JSON,
 * limits, arguments and messages. Plain's examples and their mutations are
 * in test_verify_examples.c, hookd's own bodies in test_verify_samples.c.
 */
#include <pthread.h>

#include "test_verify_util.h"

#define CREATED "customer-created.json"
#define LATEST "2026-04-21"

static hk_verify_result verify_at(const tv_body *b, int64_t now_ms)
{
    hk_verify_options o = tv_options_at(now_ms);
    hk_webhook *wh = NULL;
    hk_verify_result r = tv_verify(b, &o, &wh);
    assert_true((r == HK_VERIFY_OK) == (wh != NULL));
    hk_webhook_free(wh);
    return r;
}

/* verify with the time check off, so only the body matters */
static hk_verify_result verify_any_time(const tv_body *b)
{
    hk_verify_options o = tv_options_at(0);
    o.tolerance_ms = -1;
    hk_webhook *wh = NULL;
    hk_verify_result r = tv_verify(b, &o, &wh);
    hk_webhook_free(wh);
    return r;
}

/* A body edited as JSON: the example, with `edit` applied to its root. */
static tv_body edited(const char *example, const char *version, void (*edit)(json_t *root))
{
    tv_body b = tv_example(example, version);
    json_t *root = tv_load(b.data, b.len);
    tv_body_free(&b);
    edit(root);
    b = tv_body_json(root);
    json_decref(root);
    return b;
}

/* ---- signatures -------------------------------------------------------- */

static void test_valid_body(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    hk_verify_options o = tv_options_at(tv_attempt_ms(&b));
    hk_webhook *wh = NULL;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    assert_non_null(wh);
    assert_int_equal(wh->event, HK_WEBHOOK_CUSTOMER_CREATED);
    assert_string_equal(wh->id, "pEv_01HD44FHDPMZ3YJB5GEB1EZKQV");
    assert_string_equal(wh->customer->email.email, "peter@example.com");
    assert_null(wh->previous_customer);
    hk_webhook_free(wh);
    assert_int_equal(hk_verify_signature(b.data, b.len, b.sig, TV_SECRET, strlen(TV_SECRET)),
                     HK_VERIFY_OK);
    tv_body_free(&b);
}

static void test_every_flipped_byte_fails(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    int64_t now = tv_attempt_ms(&b);
    for (size_t i = 0; i < b.len; i++) {
        for (unsigned bit = 0; bit < 8; bit += 7) { /* the lowest and the highest bit */
            b.data[i] ^= (char)(1u << bit);
            if (verify_at(&b, now) != HK_VERIFY_BAD_SIGNATURE)
                fail_msg("byte %zu bit %u flipped: not a bad signature", i, bit);
            b.data[i] ^= (char)(1u << bit);
        }
    }
    assert_int_equal(verify_at(&b, now), HK_VERIFY_OK);
    tv_body_free(&b);
}

static void test_every_flipped_signature_digit_fails(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    int64_t now = tv_attempt_ms(&b);
    for (size_t i = 0; i < 64; i++) {
        char keep = b.sig[i];
        b.sig[i] = keep == '0' ? '1' : '0';
        assert_int_equal(verify_at(&b, now), HK_VERIFY_BAD_SIGNATURE);
        b.sig[i] = keep;
    }
    tv_body_free(&b);
}

static void test_signature_forms(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    const char *s = TV_SECRET;
    char sig[80];
    /* upper-case hex: the SDK compares strings with its lower-case digest */
    for (size_t i = 0; i < 64; i++)
        sig[i] = (char)(b.sig[i] >= 'a' ? b.sig[i] - 32 : b.sig[i]);
    sig[64] = '\0';
    assert_int_equal(hk_verify_signature(b.data, b.len, sig, s, strlen(s)),
                     HK_VERIFY_BAD_SIGNATURE);
    snprintf(sig, sizeof sig, "%s ", b.sig); /* 65 characters */
    assert_int_equal(hk_verify_signature(b.data, b.len, sig, s, strlen(s)),
                     HK_VERIFY_BAD_SIGNATURE);
    snprintf(sig, sizeof sig, "sha256=%s", b.sig);
    assert_int_equal(hk_verify_signature(b.data, b.len, sig, s, strlen(s)),
                     HK_VERIFY_BAD_SIGNATURE);
    snprintf(sig, sizeof sig, "%.63s", b.sig);
    assert_int_equal(hk_verify_signature(b.data, b.len, sig, s, strlen(s)),
                     HK_VERIFY_BAD_SIGNATURE);
    assert_int_equal(hk_verify_signature(b.data, b.len, "", s, strlen(s)), HK_VERIFY_BAD_SIGNATURE);
    assert_int_equal(hk_verify_signature(b.data, b.len, NULL, s, strlen(s)),
                     HK_VERIFY_BAD_SIGNATURE);
    /* another secret, or the secret one byte shorter */
    assert_int_equal(hk_verify_signature(b.data, b.len, b.sig, "other", 5),
                     HK_VERIFY_BAD_SIGNATURE);
    assert_int_equal(hk_verify_signature(b.data, b.len, b.sig, s, strlen(s) - 1),
                     HK_VERIFY_BAD_SIGNATURE);
    /* an empty body is refused before any HMAC, as in the SDK */
    char empty_sig[65];
    tv_sign("", 0, empty_sig);
    assert_int_equal(hk_verify_signature("", 0, empty_sig, s, strlen(s)), HK_VERIFY_BAD_SIGNATURE);
    tv_body_free(&b);
}

static void test_truncated_bodies(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    int64_t now = tv_attempt_ms(&b);
    size_t end = (size_t)(strrchr(b.data, '}') - b.data) + 1; /* the object ends here */
    for (size_t n = 0; n < b.len; n++) {
        /* with the full body's signature */
        tv_body cut = {.data = b.data, .len = n};
        memcpy(cut.sig, b.sig, sizeof cut.sig);
        assert_int_equal(verify_at(&cut, now), HK_VERIFY_BAD_SIGNATURE);
        if (n == 0)
            continue;
        /* re-signed: then it is the JSON that is cut */
        tv_sign(b.data, n, cut.sig);
        hk_verify_result want = n >= end ? HK_VERIFY_OK : HK_VERIFY_MALFORMED_JSON;
        if (verify_at(&cut, now) != want)
            fail_msg("body cut at %zu of %zu: not %s", n, b.len, hk_verify_strerror(want));
    }
    tv_body_free(&b);
}

/* ---- time -------------------------------------------------------------- */

static void test_stale_both_directions_exact_boundary(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    int64_t ts = tv_attempt_ms(&b);
    int64_t tol = HK_VERIFY_DEFAULT_TOLERANCE_MS;
    assert_int_equal(tol, 300000);
    assert_int_equal(verify_at(&b, ts), HK_VERIFY_OK);
    assert_int_equal(verify_at(&b, ts + tol), HK_VERIFY_OK); /* received 300 s later */
    assert_int_equal(verify_at(&b, ts - tol), HK_VERIFY_OK); /* a clock 300 s behind */
    assert_int_equal(verify_at(&b, ts + tol + 1), HK_VERIFY_STALE);
    assert_int_equal(verify_at(&b, ts - tol - 1), HK_VERIFY_STALE);
    assert_int_equal(verify_at(&b, ts + 86400000), HK_VERIFY_STALE);
    assert_int_equal(verify_at(&b, INT64_MAX), HK_VERIFY_STALE); /* no overflow */
    assert_int_equal(verify_at(&b, INT64_MIN), HK_VERIFY_STALE);

    hk_verify_options o = tv_options_at(ts + 1);
    hk_webhook *wh = NULL;
    o.tolerance_ms = 0;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_STALE);
    o.now_ms = ts;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    hk_webhook_free(wh);
    o.tolerance_ms = -1; /* no time check at all */
    o.now_ms = INT64_MAX;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    hk_webhook_free(wh);
    o.tolerance_ms = INT64_MAX; /* the widest tolerance: any difference that fits */
    o.now_ms = 1;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    hk_webhook_free(wh);
    o.now_ms = INT64_MIN; /* 2^63 + ts away: more than INT64_MAX */
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_STALE);
    hk_webhook_free(wh);
    /* defaults: the real clock, and Plain's example is from 2023 */
    assert_int_equal(tv_verify(&b, NULL, &wh), HK_VERIFY_STALE);
    assert_null(wh);
    tv_body_free(&b);
}

static void set_leap_second(json_t *root)
{
    json_object_set_new(json_object_get(root, "webhookMetadata"), "webhookDeliveryAttemptTimestamp",
                        json_string("2023-10-19T23:59:60Z"));
}

/* The schema lets a leap second through; Date.parse does not, so the SDK's verify refuses. */
static void test_attempt_time_date_parse_rejects(void **state)
{
    tv_body b = edited(CREATED, LATEST, set_leap_second);
    int64_t ms = tv_ms("2023-10-20T00:00:00.000Z");
    assert_int_equal(verify_at(&b, ms), HK_VERIFY_SCHEMA_VIOLATION);
    assert_int_equal(verify_any_time(&b), HK_VERIFY_OK);
    tv_body_free(&b);
}

/* ---- versions ---------------------------------------------------------- */

static void remove_full_name(json_t *root)
{
    json_object_del(json_object_get(json_object_get(root, "payload"), "customer"), "fullName");
}

static void remove_version(json_t *root)
{
    json_object_del(json_object_get(root, "webhookMetadata"), "webhookTargetVersion");
}

static void number_version(json_t *root)
{
    json_object_set_new(json_object_get(root, "webhookMetadata"), "webhookTargetVersion",
                        json_integer(20260421));
}

static void test_versions(void **state)
{
    const char *const *known;
    assert_int_equal(hk_verify_known_versions(&known), TV_N_VERSIONS);
    assert_int_equal(hk_verify_known_versions(NULL), TV_N_VERSIONS);
    for (size_t i = 0; i < TV_N_VERSIONS; i++)
        assert_string_equal(known[i], tv_versions[i]);

    /* Plain's examples carry a version this library does not know */
    tv_body b = tv_example(CREATED, TV_EXAMPLE_VERSION);
    int64_t now = tv_attempt_ms(&b);
    assert_int_equal(verify_at(&b, now), HK_VERIFY_VERSION_MISMATCH);
    hk_verify_options o = tv_options_at(now);
    const char *mine[] = {"2024-09-18", TV_EXAMPLE_VERSION};
    o.versions = mine;
    o.n_versions = 2;
    hk_webhook *wh = NULL;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK); /* the caller knows it */
    assert_string_equal(wh->metadata.webhook_target_version, TV_EXAMPLE_VERSION);
    hk_webhook_free(wh);
    o.n_versions = 1;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_VERSION_MISMATCH);
    o.n_versions = 0;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_VERSION_MISMATCH);
    tv_body_free(&b);

    /* a known version the caller does not accept */
    b = tv_example(CREATED, LATEST);
    o.n_versions = 1;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_VERSION_MISMATCH);
    tv_body_free(&b);

    /* the mismatch wins over schema problems: another version may have another shape */
    b = edited(CREATED, TV_EXAMPLE_VERSION, remove_full_name);
    assert_int_equal(verify_any_time(&b), HK_VERIFY_VERSION_MISMATCH);
    tv_body_free(&b);
    b = edited(CREATED, LATEST, remove_full_name);
    assert_int_equal(verify_any_time(&b), HK_VERIFY_SCHEMA_VIOLATION);
    tv_body_free(&b);
    /* no version, or not a string: the schema is violated; there is no version to mismatch */
    b = edited(CREATED, LATEST, remove_version);
    assert_int_equal(verify_any_time(&b), HK_VERIFY_SCHEMA_VIOLATION);
    tv_body_free(&b);
    b = edited(CREATED, LATEST, number_version);
    assert_int_equal(verify_any_time(&b), HK_VERIFY_SCHEMA_VIOLATION);
    tv_body_free(&b);
}

/* ---- event types ------------------------------------------------------- */

/* A body of `type` (payload.eventType `payload_type`) and version. */
static tv_body event_body(const char *type, const char *payload_type, const char *version)
{
    json_t *root =
        json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:s, s:{s:s, s:s, s:s, s:i, s:s}, s:s}",
                  "timestamp", "2024-01-01T00:00:00.000Z", "workspaceId",
                  "w_01GST0W989ZNAW53X6XYHAY87P", "payload", "eventType", payload_type, "thread",
                  "id", "th_01GST0W989ZNAW53X6XYHAY87P", "id", "pEv_01HD44FHDPMZ3YJB5GEB1EZKQV",
                  "webhookMetadata", "webhookTargetId", "whTarget_01HD4400VTDJQ646V6RY37SR7K",
                  "webhookTargetVersion", version, "webhookDeliveryAttemptId",
                  "whAttempt_01HD44FJ45FJKVFHM3MDVYPGRS", "webhookDeliveryAttemptNumber", 1,
                  "webhookDeliveryAttemptTimestamp", "2024-01-01T00:00:01.000Z", "type", type);
    assert_non_null(root);
    tv_body b = tv_body_json(root);
    json_decref(root);
    return b;
}

static hk_verify_result event_result(const char *type, const char *payload_type,
                                     const char *version, int64_t now_ms)
{
    tv_body b = event_body(type, payload_type, version);
    hk_verify_result r = verify_at(&b, now_ms);
    tv_body_free(&b);
    return r;
}

static void test_unknown_events(void **state)
{
    int64_t now = tv_ms("2024-01-01T00:00:01.000Z");
    const char *t = "thread.thread_created";
    for (size_t i = 0; i < TV_N_VERSIONS; i++)
        assert_int_equal(event_result(t, t, tv_versions[i], now), HK_VERIFY_UNKNOWN_EVENT);
    assert_int_equal(
        event_result("customer.customer_changed", "customer.customer_changed", LATEST, now),
        HK_VERIFY_UNKNOWN_EVENT);
    assert_int_equal(event_result("timeline.timeline_entry_changed",
                                  "timeline.timeline_entry_changed", LATEST, now),
                     HK_VERIFY_UNKNOWN_EVENT);
    /* stale is reported before unknown: a replay is a replay */
    assert_int_equal(event_result(t, t, LATEST, now + 3600000), HK_VERIFY_STALE);
    /* types that exist only from some version on */
    t = "thread.chat_received";
    assert_int_equal(event_result(t, t, "2024-09-18", now), HK_VERIFY_SCHEMA_VIOLATION);
    assert_int_equal(event_result(t, t, "2025-08-06", now), HK_VERIFY_UNKNOWN_EVENT);
    t = "thread.thread_tenant_updated";
    assert_int_equal(event_result(t, t, "2026-03-13", now), HK_VERIFY_SCHEMA_VIOLATION);
    assert_int_equal(event_result(t, t, "2026-04-21", now), HK_VERIFY_UNKNOWN_EVENT);
    /* not a type at all, or type and payload.eventType disagreeing */
    assert_int_equal(
        event_result("customer.customer_exploded", "customer.customer_exploded", LATEST, now),
        HK_VERIFY_SCHEMA_VIOLATION);
    assert_int_equal(event_result("thread.thread_created", "thread.email_sent", LATEST, now),
                     HK_VERIFY_SCHEMA_VIOLATION);
}

static void swap_type(json_t *root)
{
    json_object_set_new(root, "type", json_string("customer.customer_deleted"));
}

/* type must equal payload.eventType (stricter than the schema, see verify.h) */
static void test_type_must_match_payload(void **state)
{
    tv_body b = edited("customer-updated.json", LATEST, swap_type);
    assert_int_equal(verify_any_time(&b), HK_VERIFY_SCHEMA_VIOLATION);
    tv_body_free(&b);
}

/* ---- malformed JSON ---------------------------------------------------- */

static hk_verify_result raw_result(const char *data, size_t len)
{
    tv_body b = {.data = (char *)data, .len = len};
    tv_sign(data, len, b.sig);
    return verify_any_time(&b);
}

static void test_malformed_json(void **state)
{
    static const char *const bad[] = {
        "{",
        "}",
        "[]",
        "1",
        "\"x\"",
        "null",
        "true",
        "{}x",
        "{} {}",
        "{\"a\":}",
        "{\"a\" 1}",
        "{'a':1}",
        "{\"a\":1,}",
        "\xef\xbb\xbf{}",
        "{\"a\":\"\xff\"}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":1e999}",
        "{\"a\":99999999999999999999}",
        "{\"a\":NaN}",
        "{\"a\":\"\x01\"}",
        "\x00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = bad[i][0] ? strlen(bad[i]) : 1;
        if (raw_result(bad[i], len) != HK_VERIFY_MALFORMED_JSON)
            fail_msg("not malformed: %s", bad[i]);
    }
    /* an object, but not a webhook */
    assert_int_equal(raw_result("{}", 2), HK_VERIFY_SCHEMA_VIOLATION);
    assert_int_equal(raw_result(" {\"type\":1} \n", 13), HK_VERIFY_SCHEMA_VIOLATION);
}

/* Deep nesting: jansson's depth limit (2048) refuses it before we look. */
static void test_deep_nesting(void **state)
{
    size_t depth = 100000;
    char *s = malloc(2 * depth + 16);
    assert_non_null(s);
    size_t n = 0;
    s[n++] = '{';
    memcpy(s + n, "\"a\":", 4);
    n += 4;
    for (size_t i = 0; i < depth; i++)
        s[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        s[n++] = ']';
    s[n++] = '}';
    assert_int_equal(raw_result(s, n), HK_VERIFY_MALFORMED_JSON);
    free(s);
}

static void add_deep_extra(json_t *root)
{
    json_t *v = json_integer(1);
    for (int i = 0; i < 500; i++)
        v = json_pack("[o]", v);
    json_object_set_new(json_object_get(root, "payload"), "extra", v);
}

/* Nesting within the limit in fields the schema leaves open is fine. */
static void test_moderate_nesting_in_extra_field(void **state)
{
    tv_body b = edited(CREATED, LATEST, add_deep_extra);
    assert_int_equal(verify_any_time(&b), HK_VERIFY_OK);
    tv_body_free(&b);
}

/* ---- limits and arguments ---------------------------------------------- */

static void test_size_limit(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    hk_verify_options o = tv_options_at(tv_attempt_ms(&b));
    hk_webhook *wh = NULL;
    o.max_body_bytes = b.len - 1;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_TOO_LARGE);
    assert_int_equal(hk_parse_webhook(b.data, b.len, &o, &wh), HK_VERIFY_TOO_LARGE);
    o.max_body_bytes = b.len;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    hk_webhook_free(wh);
    tv_body_free(&b);

    /* the default: 1 MiB, checked before the signature */
    size_t big = HK_VERIFY_DEFAULT_MAX_BODY + 1;
    char *data = malloc(big);
    assert_non_null(data);
    memset(data, ' ', big);
    data[0] = '{';
    data[big - 1] = '}';
    tv_body huge = {.data = data, .len = big};
    strcpy(huge.sig, "0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(tv_verify(&huge, NULL, &wh), HK_VERIFY_TOO_LARGE);
    assert_int_equal(hk_parse_webhook(data, big, NULL, &wh), HK_VERIFY_TOO_LARGE);
    o.max_body_bytes = 0; /* 0: the default */
    assert_int_equal(hk_parse_webhook(data, big, &o, &wh), HK_VERIFY_TOO_LARGE);
    assert_int_equal(hk_parse_webhook(data, big - 1, &o, &wh), HK_VERIFY_MALFORMED_JSON);
    free(data);
}

static void test_invalid_arguments(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    hk_webhook *wh = (hk_webhook *)&b; /* must be reset to NULL */
    const char *s = TV_SECRET;
    assert_int_equal(hk_verify_webhook(NULL, 0, b.sig, s, strlen(s), NULL, &wh),
                     HK_VERIFY_INVALID_ARGUMENT);
    assert_null(wh);
    assert_int_equal(hk_verify_webhook(b.data, b.len, b.sig, NULL, 0, NULL, &wh),
                     HK_VERIFY_INVALID_ARGUMENT);
    /* an empty secret is refused: an HMAC with an empty key is no secret */
    assert_int_equal(hk_verify_webhook(b.data, b.len, b.sig, "", 0, NULL, &wh),
                     HK_VERIFY_INVALID_ARGUMENT);
    assert_int_equal(hk_verify_webhook(b.data, b.len, b.sig, s, strlen(s), NULL, NULL),
                     HK_VERIFY_INVALID_ARGUMENT);
    assert_int_equal(hk_verify_signature(NULL, 0, b.sig, s, strlen(s)), HK_VERIFY_INVALID_ARGUMENT);
    assert_int_equal(hk_verify_signature(b.data, b.len, b.sig, s, 0), HK_VERIFY_INVALID_ARGUMENT);
    assert_int_equal(hk_parse_webhook(NULL, 0, NULL, &wh), HK_VERIFY_INVALID_ARGUMENT);
    assert_int_equal(hk_parse_webhook(b.data, b.len, NULL, NULL), HK_VERIFY_INVALID_ARGUMENT);
    hk_webhook_free(NULL);
    hk_verify_options_init(NULL);
    tv_body_free(&b);
}

static void test_parse_without_signature(void **state)
{
    tv_body b = tv_example("customer-group-changed.json", LATEST);
    hk_verify_options o = tv_options_at(tv_attempt_ms(&b));
    hk_webhook *wh = NULL;
    assert_int_equal(hk_parse_webhook(b.data, b.len, &o, &wh), HK_VERIFY_OK);
    assert_string_equal(wh->change_type, "ADDED");
    hk_webhook_free(wh);
    /* NULL options: the defaults, so the real clock, so stale */
    assert_int_equal(hk_parse_webhook(b.data, b.len, NULL, &wh), HK_VERIFY_STALE);
    tv_body_free(&b);
}

/* ---- messages ---------------------------------------------------------- */

static void test_strerror(void **state)
{
    for (int i = HK_VERIFY_OK; i <= HK_VERIFY_TOO_LARGE; i++) {
        const char *m = hk_verify_strerror((hk_verify_result)i);
        assert_true(strlen(m) > 1);
        assert_string_not_equal(m, "unknown result");
        for (int j = HK_VERIFY_OK; j < i; j++)
            assert_string_not_equal(m, hk_verify_strerror((hk_verify_result)j));
    }
    assert_string_equal(hk_verify_strerror((hk_verify_result)999), "unknown result");
}

static void set_bad_color(json_t *root)
{
    json_t *m = json_array_get(
        json_object_get(json_object_get(json_object_get(root, "payload"), "customer"),
                        "customerGroupMemberships"),
        0);
    json_object_set_new(json_object_get(m, "customerGroup"), "color", json_string("#12345"));
}

static void test_detail_names_the_field(void **state)
{
    tv_body b = edited("customer-group-changed.json", LATEST, set_bad_color);
    char detail[256];
    hk_verify_options o = tv_options_at(0);
    hk_webhook *wh = NULL;
    o.tolerance_ms = -1;
    o.detail = detail;
    o.detail_size = sizeof detail;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_SCHEMA_VIOLATION);
    assert_string_equal(detail, "payload.customer.customerGroupMemberships[0].customerGroup.color:"
                                " not a colour (#rgb, #rgba, #rrggbb or #rrggbbaa)");
    /* truncated, never overrun */
    char tiny[8] = "XXXXXXX";
    o.detail = tiny;
    o.detail_size = 5;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_SCHEMA_VIOLATION);
    assert_string_equal(tiny, "payl");
    assert_int_equal(tiny[5], 'X');
    o.detail_size = 1;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_SCHEMA_VIOLATION);
    assert_string_equal(tiny, "");
    tv_body_free(&b);

    /* the signature and the time say what is wrong too; success clears */
    b = tv_example(CREATED, LATEST);
    o.detail = detail;
    o.detail_size = sizeof detail;
    o.tolerance_ms = 1000;
    o.now_ms = tv_attempt_ms(&b) + 1500;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_STALE);
    assert_string_equal(detail, "webhookMetadata.webhookDeliveryAttemptTimestamp: 1500 ms before"
                                " now; the tolerance is 1000 ms");
    b.sig[0] ^= 1;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_BAD_SIGNATURE);
    assert_string_equal(detail, "the signature does not match the body and secret");
    b.sig[0] ^= 1;
    o.tolerance_ms = -1;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    assert_string_equal(detail, "");
    hk_webhook_free(wh);
    tv_body_free(&b);
}

/* ---- values ------------------------------------------------------------ */

static void set_number(json_t *root, json_t *v)
{
    json_object_set_new(json_object_get(root, "webhookMetadata"), "webhookDeliveryAttemptNumber",
                        v);
}

static void attempt_real_one(json_t *root)
{
    set_number(root, json_real(1.0));
}

static void attempt_max(json_t *root)
{
    set_number(root, json_integer(4294967295LL));
}

static void attempt_too_big(json_t *root)
{
    set_number(root, json_integer(4294967296LL));
}

static void test_attempt_numbers(void **state)
{
    hk_webhook *wh = NULL;
    hk_verify_options o = tv_options_at(0);
    o.tolerance_ms = -1;
    /* 1.0 is an integer to JSON Schema */
    tv_body b = edited(CREATED, LATEST, attempt_real_one);
    assert_non_null(strstr(b.data, "\"webhookDeliveryAttemptNumber\":1.0"));
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    assert_int_equal(wh->metadata.webhook_delivery_attempt_number, 1);
    hk_webhook_free(wh);
    tv_body_free(&b);
    b = edited(CREATED, LATEST, attempt_max);
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    assert_int_equal(wh->metadata.webhook_delivery_attempt_number, UINT32_MAX);
    hk_webhook_free(wh);
    tv_body_free(&b);
    /* the schema has no maximum, the struct has 32 bits (documented) */
    b = edited(CREATED, LATEST, attempt_too_big);
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_SCHEMA_VIOLATION);
    tv_body_free(&b);
}

/* JSON.parse keeps the last of duplicate keys; so do we. */
static void test_duplicate_keys_last_wins(void **state)
{
    tv_body b = tv_example(CREATED, LATEST);
    const char *key = "\"fullName\": \"Peter Santos\",";
    char *at = strstr(b.data, key);
    assert_non_null(at);
    size_t add = strlen("\"fullName\": \"First\", ");
    char *data = malloc(b.len + add + 1);
    assert_non_null(data);
    size_t pre = (size_t)(at - b.data);
    memcpy(data, b.data, pre);
    memcpy(data + pre, "\"fullName\": \"First\", ", add);
    memcpy(data + pre + add, at, b.len - pre + 1);
    tv_body dup = tv_body_of(data, b.len + add);
    hk_verify_options o = tv_options_at(tv_attempt_ms(&b));
    hk_webhook *wh = NULL;
    assert_int_equal(tv_verify(&dup, &o, &wh), HK_VERIFY_OK);
    assert_string_equal(wh->customer->full_name, "Peter Santos");
    hk_webhook_free(wh);
    tv_body_free(&dup);
    tv_body_free(&b);
}

/* ---- threads ----------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 300

typedef struct worker {
    const tv_body *bodies;
    size_t n;
    int64_t now;
    size_t ok;
} worker;

/* No global state: concurrent calls, each with its own detail buffer, all succeed. */
static void *work(void *arg)
{
    worker *w = arg;
    char detail[128];
    hk_verify_options o = tv_options_at(w->now);
    o.tolerance_ms = -1;
    o.detail = detail;
    o.detail_size = sizeof detail;
    for (int r = 0; r < ROUNDS; r++) {
        const tv_body *b = &w->bodies[(size_t)r % w->n];
        hk_webhook *wh = NULL;
        if (tv_verify(b, &o, &wh) == HK_VERIFY_OK && strcmp(wh->id, "") != 0 && detail[0] == 0)
            w->ok++;
        hk_webhook_free(wh);
    }
    return NULL;
}

static void test_concurrent_calls(void **state)
{
    char *names[TV_MAX_EXAMPLES];
    size_t n = tv_list_examples(names);
    tv_body bodies[TV_MAX_EXAMPLES];
    for (size_t i = 0; i < n; i++) {
        bodies[i] = tv_example(names[i], LATEST);
        free(names[i]);
    }
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){.bodies = bodies, .n = n};
        assert_int_equal(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        assert_int_equal(workers[t].ok, ROUNDS);
    }
    for (size_t i = 0; i < n; i++)
        tv_body_free(&bodies[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_body),
        cmocka_unit_test(test_every_flipped_byte_fails),
        cmocka_unit_test(test_every_flipped_signature_digit_fails),
        cmocka_unit_test(test_signature_forms),
        cmocka_unit_test(test_truncated_bodies),
        cmocka_unit_test(test_stale_both_directions_exact_boundary),
        cmocka_unit_test(test_attempt_time_date_parse_rejects),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_unknown_events),
        cmocka_unit_test(test_type_must_match_payload),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_moderate_nesting_in_extra_field),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_parse_without_signature),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_detail_names_the_field),
        cmocka_unit_test(test_attempt_numbers),
        cmocka_unit_test(test_duplicate_keys_last_wins),
        cmocka_unit_test(test_concurrent_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
