/*
 * test_webhook_body.c - webhook bodies byte for byte against Plain's
 * documented examples, and the JSON writer's escaping rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "json/jsonw.h"
#include "json/webhook_body.h"

#define WS "w_01GST0W989ZNAW53X6XYHAY87P"
#define PETER_ID "c_01HD44FHDPG82VQ4QNHDR4N2T0"
#define USER_ID "u_01H1V4NA10RMHWFBXB6A1ZBYRA"
#define TARGET_ID "whTarget_01HD4400VTDJQ646V6RY37SR7K"
#define EXAMPLE_VERSION "2026-02-11"

/* ---- helpers ---------------------------------------------------------- */

static int64_t ms(const char *iso)
{
    int64_t v = 0;
    assert_int_equal(hk_time_parse(iso, strlen(iso), &v), HK_OK);
    return v;
}

static void copy_id(char dst[HK_ID_MAX], const char *src)
{
    assert_true(strlen(src) < HK_ID_MAX);
    strcpy(dst, src);
}

static hk_actor actor(hk_actor_type t, const char *id)
{
    hk_actor a = {.type = t};
    assert_true(strlen(id) < sizeof a.id);
    strcpy(a.id, id);
    return a;
}

static hk_actor inbound(void)
{
    return actor(HK_ACTOR_SYSTEM, "email_inbound_handler");
}

/* The customer every example is about, in its plainest state. */
static hk_customer peter(const char *id, const char *created_at, hk_actor created_by,
                         const char *updated_at, hk_actor updated_by)
{
    hk_customer c = {0};
    copy_id(c.id, id);
    copy_id(c.workspace_id, WS);
    c.email = "peter@example.com";
    c.email_verified = false;
    c.email_verified_at = HK_TIME_NONE;
    c.external_id = NULL;
    c.full_name = "Peter Santos";
    c.short_name = "Peter";
    c.marked_as_spam_at = HK_TIME_NONE;
    c.created_at = ms(created_at);
    c.created_by = created_by;
    c.updated_at = ms(updated_at);
    c.updated_by = updated_by;
    return c;
}

/* ctest sets HOOKD_TEST_DATA; run by hand, the data sits beside this source
 * file (__FILE__ is absolute in CMake builds, relative to the repo root in a
 * direct gcc call from there). */
static char *data_path(const char *rel)
{
    static char path[4096];
    const char *dir = getenv("HOOKD_TEST_DATA");
    const char *src = __FILE__, *unit = strstr(src, "unit/test_webhook_body.c");
    if (dir)
        snprintf(path, sizeof path, "%s/%s", dir, rel);
    else if (unit)
        snprintf(path, sizeof path, "%.*sdata/%s", (int)(unit - src), src, rel);
    else
        snprintf(path, sizeof path, "tests/data/%s", rel);
    return path;
}

/* The example file re-serialised compactly, keys in file order. */
static char *example_compact(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "plain/webhook-examples/%s", name);
    json_error_t err;
    json_t *root = json_load_file(data_path(rel), JSON_PRESERVE_ORDER, &err);
    if (!root)
        fail_msg("%s: %s (line %d)", rel, err.text, err.line);
    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    assert_non_null(s);
    return s;
}

typedef struct example_event {
    hk_event_type type;
    hk_change_type change;
    const hk_customer *customer;
    const hk_customer *previous;
    const char *event_id;
    const char *timestamp;
    const char *attempt_id;
    const char *attempt_timestamp;
} example_event;

/* Renders the way the server does: payload at event creation, template per
 * event, assembly per attempt. Returns the body (caller frees). */
static char *render_body(const example_event *x)
{
    hk_buf payload;
    hk_buf_init(&payload, 0);
    assert_int_equal(webhook_render_payload(&payload, x->type, x->change, x->customer, x->previous),
                     HK_OK);

    hk_event ev = {.type = x->type, .timestamp = ms(x->timestamp)};
    copy_id(ev.id, x->event_id);
    copy_id(ev.workspace_id, WS);
    ev.payload_json = payload.data;
    ev.payload_len = payload.len;
    webhook_body_template tpl;
    assert_int_equal(webhook_body_template_init(&tpl, &ev), HK_OK);
    hk_buf_free(&payload);

    webhook_attempt_meta meta = {
        .target_id = TARGET_ID,
        .target_version = EXAMPLE_VERSION,
        .attempt_id = x->attempt_id,
        .attempt_number = 1,
        .attempt_timestamp = ms(x->attempt_timestamp),
    };
    hk_buf body;
    hk_buf_init(&body, 0);
    assert_int_equal(webhook_body_assemble(&body, &tpl, &meta), HK_OK);
    webhook_body_template_free(&tpl);
    return hk_buf_steal(&body, NULL);
}

static void assert_matches_example(const example_event *x, const char *file)
{
    char *want = example_compact(file);
    char *got = render_body(x);
    assert_string_equal(got, want);
    free(got);
    free(want);
}

static char *str_of(hk_status (*fn)(hk_buf *, const char *), const char *s)
{
    hk_buf b;
    hk_buf_init(&b, 0);
    assert_int_equal(fn(&b, s), HK_OK);
    return hk_buf_steal(&b, NULL);
}

static void assert_json_string(const char *in, size_t n, const char *want)
{
    hk_buf b;
    hk_buf_init(&b, 0);
    assert_int_equal(jsonw_string_n(&b, in, n), HK_OK);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    hk_buf_free(&b);
}

/* ---- Plain's examples ------------------------------------------------- */

static void test_example_created(void **state)
{
    hk_customer c = peter(PETER_ID, "2023-10-04T14:17:41.991Z", inbound(),
                          "2023-10-04T14:17:41.991Z", inbound());
    example_event x = {HK_EVENT_CUSTOMER_CREATED,
                       HK_CHANGE_NONE,
                       &c,
                       NULL,
                       "pEv_01HD44FHDPMZ3YJB5GEB1EZKQV",
                       "2023-10-19T14:12:25.142Z",
                       "whAttempt_01HD44FJ45FJKVFHM3MDVYPGRS",
                       "2023-10-19T14:12:25.861Z"};
    assert_matches_example(&x, "customer-created.json");
}

static void test_example_deleted(void **state)
{
    hk_customer p = peter("c_01HBXGTDV76AW7F14QV7EGWDJB", "2023-10-04T14:17:41.991Z", inbound(),
                          "2023-10-04T14:17:41.991Z", inbound());
    example_event x = {HK_EVENT_CUSTOMER_DELETED,
                       HK_CHANGE_NONE,
                       NULL,
                       &p,
                       "pEv_01HD442MG86ATWJ2MDEYCV6VPV",
                       "2023-10-19T14:05:22.312Z",
                       "whAttempt_01HD444M37N1HYFVJ92DA05BQK",
                       "2023-10-19T14:06:27.431Z"};
    assert_matches_example(&x, "customer-deleted.json");
}

static void test_example_updated(void **state)
{
    hk_actor user = actor(HK_ACTOR_USER, USER_ID);
    hk_customer c =
        peter(PETER_ID, "2023-10-19T14:12:25.142Z", inbound(), "2023-10-19T14:21:43.616Z", user);
    c.marked_as_spam_at = ms("2023-10-19T14:21:43.616Z");
    c.marked_as_spam_by = user;
    hk_customer p = peter(PETER_ID, "2023-10-04T14:17:41.991Z", inbound(),
                          "2023-10-04T14:17:41.991Z", inbound());
    example_event x = {HK_EVENT_CUSTOMER_UPDATED,
                       HK_CHANGE_NONE,
                       &c,
                       &p,
                       "pEv_01HD450JT0RPBT7RRKS1ZQJYBA",
                       "2023-10-19T14:21:43.616Z",
                       "whAttempt_01HD450N6X782MDTDBMS6Z14DJ",
                       "2023-10-19T14:21:46.077Z"};
    assert_matches_example(&x, "customer-updated.json");
}

static hk_membership free_tier(void)
{
    hk_membership m = {0};
    copy_id(m.customer_id, PETER_ID);
    copy_id(m.customer_group_id, "cg_01GWVPYG1B8JBPGZC2VQDQEQAM");
    copy_id(m.workspace_id, WS);
    m.created_at = ms("2023-10-19T16:58:32.340Z");
    m.created_by = actor(HK_ACTOR_USER, USER_ID);
    m.updated_at = m.created_at;
    m.updated_by = m.created_by;
    hk_customer_group *g = &m.group;
    copy_id(g->id, "cg_01GWVPYG1B8JBPGZC2VQDQEQAM");
    copy_id(g->workspace_id, WS);
    g->name = "Free Tier";
    g->key = "free-tier";
    g->color = "#D66258";
    g->external_id = "not-in-webhook-bodies"; /* Plain leaves it out */
    g->created_at = ms("2023-03-31T11:30:50.539Z");
    g->created_by = actor(HK_ACTOR_USER, "u_01GTVBT93M80K917N2FGAK3FD5");
    g->updated_at = ms("2023-05-31T07:27:21.519Z");
    g->updated_by = actor(HK_ACTOR_USER, "u_01FN4BEVKY3EQQ5BFC24M8JTJH");
    return m;
}

static void test_example_group_changed(void **state)
{
    hk_actor user = actor(HK_ACTOR_USER, USER_ID);
    hk_membership m = free_tier();
    hk_customer c =
        peter(PETER_ID, "2023-10-19T14:12:25.142Z", inbound(), "2023-10-19T16:57:13.845Z", user);
    c.n_memberships = 1;
    c.memberships = &m;
    hk_customer p =
        peter(PETER_ID, "2023-10-19T14:12:25.142Z", inbound(), "2023-10-19T16:57:13.845Z", user);
    example_event x = {HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED,
                       HK_CHANGE_ADDED,
                       &c,
                       &p,
                       "pEv_01HD4DZQ153AE8FK17TFJ7PC01",
                       "2023-10-19T16:58:32.357Z",
                       "whAttempt_01HD4DZQD334K6KX0ER03JWDAR",
                       "2023-10-19T16:58:32.739Z"};
    assert_matches_example(&x, "customer-group-changed.json");
}

/* ---- JSON writer ------------------------------------------------------ */

static void test_escape_quotes_backslashes(void **state)
{
    char *s = str_of(jsonw_string, "say \"hi\" C:\\dir\\ a/b");
    assert_string_equal(s, "\"say \\\"hi\\\" C:\\\\dir\\\\ a/b\"");
    free(s);
}

static void test_escape_control_chars(void **state)
{
    assert_json_string("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    assert_json_string("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    assert_json_string("a\0b", 3, "\"a\\u0000b\"");
    /* DEL and U+2028 need no escaping in JSON; JSON.stringify keeps them. */
    assert_json_string("\x7f\xE2\x80\xA8", 4, "\"\x7f\xE2\x80\xA8\"");
    assert_json_string("", 0, "\"\"");
}

static void test_utf8_passes_through(void **state)
{
    const char *s = "Zoë 😀 日本語 Ω";
    char *want = malloc(strlen(s) + 3);
    sprintf(want, "\"%s\"", s);
    char *got = str_of(jsonw_string, s);
    assert_string_equal(got, want);
    free(got);
    free(want);
}

static void test_invalid_utf8_replaced(void **state)
{
#define FFFD "\xEF\xBF\xBD"
    assert_json_string("a\xff"
                       "b",
                       3, "\"a" FFFD "b\"");
    assert_json_string("a\xC3", 2, "\"a" FFFD "\"");                 /* truncated at end */
    assert_json_string("\xC0\xAF", 2, "\"" FFFD FFFD "\"");          /* overlong */
    assert_json_string("\xED\xA0\x80", 3, "\"" FFFD FFFD FFFD "\""); /* surrogate */
    assert_json_string("\xF0\x9F\x98x", 4, "\"" FFFD "x\"");         /* one maximal subpart */
    assert_json_string("\xF4\x90\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\""); /* > U+10FFFF */
    assert_json_string("\x80\"", 2, "\"" FFFD "\\\"\""); /* lone continuation */
#undef FFFD
}

static void test_scalars(void **state)
{
    hk_buf b;
    hk_buf_init(&b, 0);
    (void)jsonw_null(&b);
    (void)JSONW_LIT(&b, ",");
    (void)jsonw_bool(&b, true);
    (void)JSONW_LIT(&b, ",");
    (void)jsonw_bool(&b, false);
    (void)JSONW_LIT(&b, ",");
    (void)jsonw_int(&b, INT64_MIN);
    (void)JSONW_LIT(&b, ",");
    (void)jsonw_uint(&b, UINT64_MAX);
    (void)JSONW_LIT(&b, ",");
    (void)jsonw_time(&b, HK_TIME_NONE);
    (void)JSONW_LIT(&b, ",");
    (void)jsonw_time(&b, 1697725303616);
    (void)JSONW_LIT(&b, ",");
    (void)jsonw_string_or_null(&b, NULL);
    assert_int_equal(b.err, HK_OK);
    assert_string_equal(b.data, "null,true,false,-9223372036854775808,18446744073709551615,null,"
                                "\"2023-10-19T14:21:43.616Z\",null");
    hk_buf_free(&b);
}

/* Whatever goes in comes back out of a real JSON parser unchanged. */
static void test_customer_round_trips(void **state)
{
    const char *name = "Zoë \"Z\" O'Brien \\ 日本 😀\n\ttab\x01";
    hk_customer c = peter(PETER_ID, "2023-10-04T14:17:41.991Z", inbound(),
                          "2023-10-04T14:17:41.991Z", actor(HK_ACTOR_CUSTOMER, PETER_ID));
    c.full_name = name;
    c.short_name = NULL;
    c.external_id = "ext-\"1\"";
    hk_buf b;
    hk_buf_init(&b, 0);
    assert_int_equal(webhook_render_customer(&b, &c), HK_OK);
    json_error_t err;
    json_t *o = json_loadb(b.data, b.len, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "fullName")), name);
    assert_string_equal(json_string_value(json_object_get(o, "externalId")), "ext-\"1\"");
    assert_true(json_is_null(json_object_get(o, "shortName")));
    json_t *by = json_object_get(o, "updatedBy");
    assert_string_equal(json_string_value(json_object_get(by, "actorType")), "customer");
    assert_string_equal(json_string_value(json_object_get(by, "customerId")), PETER_ID);
    json_decref(o);
    hk_buf_free(&b);
}

static void test_actor_shapes(void **state)
{
    static const struct {
        hk_actor_type type;
        const char *id, *want;
    } cases[] = {
        {HK_ACTOR_MACHINE_USER, "mu_01HD44FHDPG82VQ4QNHDR4N2T0",
         "{\"actorType\":\"machineUser\",\"machineUserId\":\"mu_01HD44FHDPG82VQ4QNHDR4N2T0\"}"},
        {HK_ACTOR_USER, USER_ID, "{\"actorType\":\"user\",\"userId\":\"" USER_ID "\"}"},
        {HK_ACTOR_SYSTEM, "email_inbound_handler",
         "{\"actorType\":\"system\",\"system\":\"email_inbound_handler\"}"},
        {HK_ACTOR_CUSTOMER, PETER_ID,
         "{\"actorType\":\"customer\",\"customerId\":\"" PETER_ID "\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hk_buf b;
        hk_buf_init(&b, 0);
        hk_actor a = actor(cases[i].type, cases[i].id);
        assert_int_equal(webhook_render_actor(&b, &a), HK_OK);
        assert_string_equal(b.data, cases[i].want);
        hk_buf_free(&b);
    }
    hk_buf b;
    hk_buf_init(&b, 0);
    hk_actor bad = {.type = (hk_actor_type)42};
    assert_int_equal(webhook_render_actor(&b, &bad), HK_EINVAL);
    assert_int_equal(b.len, 0);
}

static void test_spam_by_null_when_not_spam(void **state)
{
    hk_customer c = peter(PETER_ID, "2023-10-04T14:17:41.991Z", inbound(),
                          "2023-10-04T14:17:41.991Z", inbound());
    c.marked_as_spam_by = actor(HK_ACTOR_USER, USER_ID); /* stale: ignored */
    hk_buf b;
    hk_buf_init(&b, 0);
    assert_int_equal(webhook_render_customer(&b, &c), HK_OK);
    assert_non_null(strstr(b.data, "\"markedAsSpamAt\":null,\"markedAsSpamBy\":null,"));
    hk_buf_free(&b);
}

/* ---- argument checks and limits --------------------------------------- */

static void test_missing_customers_einval(void **state)
{
    hk_customer c = peter(PETER_ID, "2023-10-04T14:17:41.991Z", inbound(),
                          "2023-10-04T14:17:41.991Z", inbound());
    hk_buf b;
    hk_buf_init(&b, 0);
    assert_int_equal(
        webhook_render_payload(&b, HK_EVENT_CUSTOMER_CREATED, HK_CHANGE_NONE, NULL, &c), HK_EINVAL);
    assert_int_equal(
        webhook_render_payload(&b, HK_EVENT_CUSTOMER_UPDATED, HK_CHANGE_NONE, &c, NULL), HK_EINVAL);
    assert_int_equal(
        webhook_render_payload(&b, HK_EVENT_CUSTOMER_UPDATED, HK_CHANGE_NONE, NULL, &c), HK_EINVAL);
    assert_int_equal(
        webhook_render_payload(&b, HK_EVENT_CUSTOMER_DELETED, HK_CHANGE_NONE, &c, NULL), HK_EINVAL);
    assert_int_equal(webhook_render_payload(&b, HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED,
                                            HK_CHANGE_ADDED, &c, NULL),
                     HK_EINVAL);
    assert_int_equal(webhook_render_payload(&b, HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED,
                                            HK_CHANGE_NONE, &c, &c),
                     HK_EINVAL);
    assert_int_equal(
        webhook_render_payload(&b, HK_EVENT_CUSTOMER_CREATED, HK_CHANGE_ADDED, &c, NULL),
        HK_EINVAL);
    assert_int_equal(webhook_render_payload(&b, HK_EVENT_TYPE_COUNT, HK_CHANGE_NONE, &c, &c),
                     HK_EINVAL);
    hk_customer nameless = c;
    nameless.full_name = NULL;
    assert_int_equal(webhook_render_customer(&b, &nameless), HK_EINVAL);
    assert_int_equal(webhook_render_customer(&b, NULL), HK_EINVAL);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.err, HK_OK);

    /* The ones an event does not carry may be NULL. */
    assert_int_equal(
        webhook_render_payload(&b, HK_EVENT_CUSTOMER_DELETED, HK_CHANGE_NONE, NULL, &c), HK_OK);
    const char *want = "{\"eventType\":\"customer.customer_deleted\",\"previousCustomer\":{";
    assert_int_equal(strncmp(b.data, want, strlen(want)), 0);
    hk_buf_free(&b);
}

static void test_membership_change_types(void **state)
{
    hk_customer c = peter(PETER_ID, "2023-10-04T14:17:41.991Z", inbound(),
                          "2023-10-04T14:17:41.991Z", inbound());
    hk_buf b;
    hk_buf_init(&b, 0);
    assert_int_equal(webhook_render_payload(&b, HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED,
                                            HK_CHANGE_REMOVED, &c, &c),
                     HK_OK);
    const char *want = "{\"eventType\":\"customer.customer_group_memberships_changed\","
                       "\"changeType\":\"REMOVED\",\"customer\":{";
    assert_int_equal(strncmp(b.data, want, strlen(want)), 0);
    hk_buf_free(&b);
}

static void make_template(webhook_body_template *tpl)
{
    hk_event ev = {.type = HK_EVENT_CUSTOMER_CREATED, .timestamp = ms("2023-10-19T14:12:25.142Z")};
    copy_id(ev.id, "pEv_01HD44FHDPMZ3YJB5GEB1EZKQV");
    copy_id(ev.workspace_id, WS);
    ev.payload_json = "{\"eventType\":\"customer.customer_created\"}";
    ev.payload_len = strlen(ev.payload_json);
    assert_int_equal(webhook_body_template_init(tpl, &ev), HK_OK);
}

static const webhook_attempt_meta sample_meta = {
    .target_id = TARGET_ID,
    .target_version = "2026-04-21",
    .attempt_id = "whAttempt_01HD44FJ45FJKVFHM3MDVYPGRS",
    .attempt_number = 13,
    .attempt_timestamp = 1697725303616,
};

static void test_assemble_is_prefix_meta_suffix(void **state)
{
    webhook_body_template tpl;
    make_template(&tpl);
    const char *prefix = "{\"timestamp\":\"2023-10-19T14:12:25.142Z\",\"workspaceId\":\"" WS
                         "\",\"payload\":{\"eventType\":\"customer.customer_created\"},"
                         "\"id\":\"pEv_01HD44FHDPMZ3YJB5GEB1EZKQV\",\"webhookMetadata\":";
    const char *suffix = ",\"type\":\"customer.customer_created\"}";
    assert_int_equal(tpl.prefix_len, strlen(prefix));
    assert_memory_equal(tpl.text.data, prefix, tpl.prefix_len);
    assert_string_equal(tpl.text.data + tpl.prefix_len, suffix);

    hk_buf meta, body;
    hk_buf_init(&meta, 0);
    hk_buf_init(&body, 0);
    assert_int_equal(webhook_render_metadata(&meta, &sample_meta), HK_OK);
    assert_string_equal(meta.data, "{\"webhookTargetId\":\"" TARGET_ID "\","
                                   "\"webhookTargetVersion\":\"2026-04-21\","
                                   "\"webhookDeliveryAttemptId\":"
                                   "\"whAttempt_01HD44FJ45FJKVFHM3MDVYPGRS\","
                                   "\"webhookDeliveryAttemptNumber\":13,"
                                   "\"webhookDeliveryAttemptTimestamp\":"
                                   "\"2023-10-19T14:21:43.616Z\"}");
    assert_int_equal(webhook_body_assemble(&body, &tpl, &sample_meta), HK_OK);
    assert_int_equal(body.len, strlen(prefix) + meta.len + strlen(suffix));
    assert_memory_equal(body.data, prefix, strlen(prefix));
    assert_memory_equal(body.data + strlen(prefix), meta.data, meta.len);
    assert_string_equal(body.data + strlen(prefix) + meta.len, suffix);

    webhook_attempt_meta bad = sample_meta;
    bad.attempt_number = 0;
    assert_int_equal(webhook_body_assemble(&body, &tpl, &bad), HK_EINVAL);
    hk_buf_free(&meta);
    hk_buf_free(&body);
    webhook_body_template_free(&tpl);
    webhook_body_template_free(&tpl); /* idempotent */
    webhook_body_template_free(NULL);
}

static void test_template_rejects_bad_event(void **state)
{
    webhook_body_template tpl;
    hk_event ev = {.type = HK_EVENT_CUSTOMER_CREATED, .timestamp = 1};
    assert_int_equal(webhook_body_template_init(&tpl, &ev), HK_EINVAL); /* no payload */
    assert_null(tpl.text.data);
    assert_int_equal(tpl.prefix_len, 0);
    webhook_body_template_free(&tpl);
}

static void test_small_limit_too_big(void **state)
{
    hk_customer c = peter(PETER_ID, "2023-10-04T14:17:41.991Z", inbound(),
                          "2023-10-04T14:17:41.991Z", inbound());
    hk_buf b;
    hk_buf_init(&b, 64);
    assert_int_equal(webhook_render_customer(&b, &c), HK_ETOOBIG);
    assert_int_equal(b.len, 0); /* nothing half-written */
    assert_int_equal(b.err, HK_ETOOBIG);
    hk_buf_free(&b);

    webhook_body_template tpl;
    make_template(&tpl);
    hk_buf full;
    hk_buf_init(&full, 0);
    assert_int_equal(webhook_body_assemble(&full, &tpl, &sample_meta), HK_OK);

    hk_buf exact, short_by_one;
    hk_buf_init(&exact, full.len);
    hk_buf_init(&short_by_one, full.len - 1);
    assert_int_equal(webhook_body_assemble(&exact, &tpl, &sample_meta), HK_OK);
    assert_string_equal(exact.data, full.data);
    assert_int_equal(webhook_body_assemble(&short_by_one, &tpl, &sample_meta), HK_ETOOBIG);
    assert_int_equal(short_by_one.len, 0);
    hk_buf_free(&exact);
    hk_buf_free(&short_by_one);
    hk_buf_free(&full);
    webhook_body_template_free(&tpl);
}

/* A failure from before stays sticky, and does not make a later group fail. */
static void test_earlier_error_kept(void **state)
{
    hk_buf b;
    hk_buf_init(&b, 16);
    assert_int_equal(hk_buf_append(&b, "0123456789abcdefXX", 18), HK_ETOOBIG);
    assert_int_equal(jsonw_string(&b, "ok"), HK_OK);
    assert_string_equal(b.data, "\"ok\"");
    assert_int_equal(b.err, HK_ETOOBIG);
    hk_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_created),
        cmocka_unit_test(test_example_deleted),
        cmocka_unit_test(test_example_updated),
        cmocka_unit_test(test_example_group_changed),
        cmocka_unit_test(test_escape_quotes_backslashes),
        cmocka_unit_test(test_escape_control_chars),
        cmocka_unit_test(test_utf8_passes_through),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_customer_round_trips),
        cmocka_unit_test(test_actor_shapes),
        cmocka_unit_test(test_spam_by_null_when_not_spam),
        cmocka_unit_test(test_missing_customers_einval),
        cmocka_unit_test(test_membership_change_types),
        cmocka_unit_test(test_assemble_is_prefix_meta_suffix),
        cmocka_unit_test(test_template_rejects_bad_event),
        cmocka_unit_test(test_small_limit_too_big),
        cmocka_unit_test(test_earlier_error_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
