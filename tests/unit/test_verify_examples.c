/*
 * test_verify_examples.c - Plain's own example bodies: every one, re-signed
 * and with each supported version, is accepted and parsed into the values
 * it holds; removing any required field is a schema violation; and every
 * mutation in tests/data/verify/schema_cases.jsonl gets the verdict the
 * SDK's own validator gave it (tests/compat/gen_verify_cases.mjs).
 */
#include "test_verify_util.h"

#define LATEST "2026-04-21"

/* ---- accepted, and parsed into the right values ------------------------ */

static void test_examples_accepted_for_every_version(void **state)
{
    char *examples[TV_MAX_EXAMPLES];
    size_t n = tv_list_examples(examples);
    assert_true(n >= 4); /* the four customer events */
    for (size_t e = 0; e < n; e++) {
        for (size_t v = 0; v < TV_N_VERSIONS; v++) {
            tv_body b = tv_example(examples[e], tv_versions[v]);
            hk_verify_options o = tv_options_at(tv_attempt_ms(&b));
            hk_webhook *wh = NULL;
            hk_verify_result r = tv_verify(&b, &o, &wh);
            if (r != HK_VERIFY_OK)
                fail_msg("%s as %s: %s", examples[e], tv_versions[v], hk_verify_strerror(r));
            tv_check_webhook(&b, wh);
            assert_string_equal(wh->metadata.webhook_target_version, tv_versions[v]);
            hk_webhook_free(wh);
            tv_body_free(&b);
        }
        free(examples[e]);
    }
}

/* Concrete values, written out: the field-by-field comparer could be wrong too. */
static void test_group_changed_values(void **state)
{
    tv_body b = tv_example("customer-group-changed.json", LATEST);
    hk_verify_options o = tv_options_at(tv_ms("2023-10-19T16:58:32.739Z"));
    hk_webhook *wh = NULL;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    assert_int_equal(wh->event, HK_WEBHOOK_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED);
    assert_string_equal(wh->event_type, "customer.customer_group_memberships_changed");
    assert_string_equal(wh->change_type, "ADDED");
    assert_string_equal(wh->id, "pEv_01HD4DZQ153AE8FK17TFJ7PC01");
    assert_string_equal(wh->workspace_id, "w_01GST0W989ZNAW53X6XYHAY87P");
    assert_true(wh->timestamp == INT64_C(1697734712357));

    const hk_webhook_customer *c = wh->customer;
    assert_string_equal(c->id, "c_01HD44FHDPG82VQ4QNHDR4N2T0");
    assert_string_equal(c->email.email, "peter@example.com");
    assert_false(c->email.is_verified);
    assert_true(c->email.verified_at == HK_WEBHOOK_TIME_NONE);
    assert_null(c->external_id);
    assert_string_equal(c->full_name, "Peter Santos");
    assert_string_equal(c->short_name, "Peter");
    assert_true(c->marked_as_spam_at == HK_WEBHOOK_TIME_NONE);
    assert_false(c->has_marked_as_spam_by);
    assert_int_equal(c->created_by.kind, HK_ACTOR_KIND_SYSTEM);
    assert_string_equal(c->created_by.id, "email_inbound_handler");
    assert_int_equal(c->updated_by.kind, HK_ACTOR_KIND_USER);
    assert_string_equal(c->updated_by.id, "u_01H1V4NA10RMHWFBXB6A1ZBYRA");
    assert_int_equal(c->n_memberships, 1);
    const hk_webhook_membership *m = &c->memberships[0];
    assert_string_equal(m->customer_group_id, "cg_01GWVPYG1B8JBPGZC2VQDQEQAM");
    assert_true(m->created_at == INT64_C(1697734712340));
    const hk_webhook_customer_group *g = &m->customer_group;
    assert_string_equal(g->name, "Free Tier");
    assert_string_equal(g->key, "free-tier");
    assert_string_equal(g->color, "#D66258");
    assert_string_equal(g->updated_by.id, "u_01FN4BEVKY3EQQ5BFC24M8JTJH");
    assert_true(g->created_at == INT64_C(1680262250539));

    assert_int_equal(wh->previous_customer->n_memberships, 0);
    assert_null(wh->previous_customer->memberships);
    const hk_webhook_metadata *md = &wh->metadata;
    assert_string_equal(md->webhook_target_id, "whTarget_01HD4400VTDJQ646V6RY37SR7K");
    assert_string_equal(md->webhook_delivery_attempt_id, "whAttempt_01HD4DZQD334K6KX0ER03JWDAR");
    assert_int_equal(md->webhook_delivery_attempt_number, 1);
    assert_true(md->webhook_delivery_attempt_timestamp == INT64_C(1697734712739));
    hk_webhook_free(wh);
    tv_body_free(&b);
}

static void test_updated_spam_values(void **state)
{
    tv_body b = tv_example("customer-updated.json", LATEST);
    hk_verify_options o = tv_options_at(tv_attempt_ms(&b));
    hk_webhook *wh = NULL;
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    assert_int_equal(wh->event, HK_WEBHOOK_CUSTOMER_UPDATED);
    assert_null(wh->change_type);
    assert_true(wh->customer->marked_as_spam_at == INT64_C(1697725303616));
    assert_true(wh->customer->has_marked_as_spam_by);
    assert_int_equal(wh->customer->marked_as_spam_by.kind, HK_ACTOR_KIND_USER);
    assert_string_equal(wh->customer->marked_as_spam_by.id, "u_01H1V4NA10RMHWFBXB6A1ZBYRA");
    assert_true(wh->previous_customer->marked_as_spam_at == HK_WEBHOOK_TIME_NONE);
    assert_false(wh->previous_customer->has_marked_as_spam_by);
    hk_webhook_free(wh);
    tv_body_free(&b);

    b = tv_example("customer-deleted.json", LATEST);
    o = tv_options_at(tv_attempt_ms(&b));
    assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
    assert_int_equal(wh->event, HK_WEBHOOK_CUSTOMER_DELETED);
    assert_null(wh->customer);
    assert_string_equal(wh->previous_customer->id, "c_01HBXGTDV76AW7F14QV7EGWDJB");
    hk_webhook_free(wh);
    tv_body_free(&b);
}

/* ---- mutations --------------------------------------------------------- */

/* The node at `path` (keys and indices), with its parent and its key or index. */
static json_t *locate(json_t *root, json_t *path, json_t **parent, const char **key, size_t *index)
{
    json_t *node = root;
    size_t i;
    json_t *step;
    json_array_foreach(path, i, step)
    {
        *parent = node;
        if (json_is_string(step)) {
            *key = json_string_value(step);
            node = json_object_get(node, *key);
        } else {
            *key = NULL;
            *index = (size_t)json_integer_value(step);
            node = json_array_get(node, *index);
        }
        if (!node)
            fail_msg("no such path in the example");
    }
    return node;
}

/* The example (with version LATEST) with one mutation applied, signed. */
static tv_body mutate(const char *file, json_t *path, const char *op, json_t *value)
{
    tv_body b = tv_example(file, LATEST);
    json_t *root = tv_load(b.data, b.len);
    tv_body_free(&b);
    json_t *parent = NULL;
    const char *key = NULL;
    size_t index = 0;
    json_t *node = locate(root, path, &parent, &key, &index);
    if (strcmp(op, "del") == 0) {
        if (key)
            json_object_del(parent, key);
        else
            json_array_remove(parent, index);
    } else if (strcmp(op, "add") == 0) {
        json_object_set_new(node, "hkExtra", json_integer(1));
    } else if (key) {
        json_object_set(parent, key, value);
    } else {
        json_array_set(parent, index, value);
    }
    b = tv_body_json(root);
    json_decref(root);
    return b;
}

typedef struct tally {
    size_t cases, accepted, rejected;
} tally;

static void describe(char *out, size_t size, json_t *line, json_t *m)
{
    char *p = json_dumps(json_object_get(line, "p"), JSON_COMPACT);
    char *v = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(out, size, "%s %s %s", json_string_value(json_object_get(line, "f")), p, v);
    free(p);
    free(v);
}

/* The attempt timestamp also goes through Date.parse in the SDK's verify. */
static void check_time_value(const tv_body *b, json_t *path, json_t *ms_json, const char *what)
{
    const char *last = json_string_value(json_array_get(path, json_array_size(path) - 1));
    bool attempt = last && strcmp(last, "webhookDeliveryAttemptTimestamp") == 0;
    bool top = json_array_size(path) == 1 && last && strcmp(last, "timestamp") == 0;
    if (!attempt && !top)
        return;
    bool js_ok = !json_is_null(ms_json);
    int64_t ms = json_is_integer(ms_json) ? json_integer_value(ms_json) : 0;
    if (json_is_real(ms_json))
        ms = (int64_t)json_real_value(ms_json);
    /* fresh exactly at Date.parse's value; with no value, fresh at any time */
    hk_verify_options o = tv_options_at(js_ok ? ms : 1);
    o.tolerance_ms = js_ok ? 0 : INT64_MAX;
    hk_webhook *wh = NULL;
    hk_verify_result r = tv_verify(b, &o, &wh);
    if (attempt && (r == HK_VERIFY_OK) != js_ok)
        fail_msg("%s: Date.parse %s it, verify says %s", what, js_ok ? "accepts" : "refuses",
                 hk_verify_strerror(r));
    if (r != HK_VERIFY_OK || !js_ok)
        goto out;
    int64_t got = attempt ? wh->metadata.webhook_delivery_attempt_timestamp : wh->timestamp;
    if (got != ms)
        fail_msg("%s: parsed %lld, Date.parse %lld", what, (long long)got, (long long)ms);
out:
    hk_webhook_free(wh);
}

static void run_case(json_t *line, json_t *m, tally *t)
{
    const char *file = json_string_value(json_object_get(line, "f"));
    json_t *path = json_object_get(line, "p");
    const char *op = json_string_value(json_array_get(m, 0));
    bool is_set = strcmp(op, "set") == 0;
    json_t *value = is_set ? json_array_get(m, 1) : NULL;
    bool ok = json_integer_value(json_array_get(m, is_set ? 2 : 1)) != 0;
    tv_body b = mutate(file, path, op, value);
    hk_verify_options o = tv_options_at(0);
    o.tolerance_ms = -1; /* the verdict is the schema's; time is checked below */
    hk_webhook *wh = NULL;
    hk_verify_result r = tv_verify(&b, &o, &wh);
    char what[600];
    describe(what, sizeof what, line, m);
    if (ok && r != HK_VERIFY_OK)
        fail_msg("the SDK accepts, we say %s: %s", hk_verify_strerror(r), what);
    if (!ok && r != HK_VERIFY_SCHEMA_VIOLATION)
        fail_msg("the SDK rejects, we say %s: %s", hk_verify_strerror(r), what);
    if (ok)
        tv_check_webhook(&b, wh);
    hk_webhook_free(wh);
    if (ok && is_set && json_array_size(m) == 4)
        check_time_value(&b, path, json_array_get(m, 3), what);
    t->cases++;
    ok ? t->accepted++ : t->rejected++;
    tv_body_free(&b);
}

static void test_every_mutation_gets_the_sdk_verdict(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s/verify/schema_cases.jsonl", tv_data_dir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    tally t = {0};
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *l = tv_load(line, strlen(line));
        json_t *m;
        size_t i;
        json_array_foreach(json_object_get(l, "m"), i, m) run_case(l, m, &t);
        json_decref(l);
    }
    free(line);
    fclose(f);
    printf("schema cases: %zu (%zu accepted, %zu rejected, as the SDK)\n", t.cases, t.accepted,
           t.rejected);
    assert_true(t.cases > 3000);
    assert_true(t.accepted > 300 && t.rejected > 2000);
}

/* ---- each required field removed --------------------------------------- */

#define M0 "payload.customer.customerGroupMemberships.0."

/* Every field the schema requires in customer-group-changed.json (the
 * richest example), as dotted paths; removal must be a violation naming it. */
static const char *const required[] = {
    "timestamp",
    "workspaceId",
    "payload",
    "id",
    "type",
    "webhookMetadata",
    "webhookMetadata.webhookTargetId",
    "webhookMetadata.webhookDeliveryAttemptId",
    "webhookMetadata.webhookDeliveryAttemptNumber",
    "webhookMetadata.webhookDeliveryAttemptTimestamp",
    "payload.eventType",
    "payload.changeType",
    "payload.customer",
    "payload.previousCustomer",
    "payload.customer.id",
    "payload.customer.email",
    "payload.customer.email.email",
    "payload.customer.email.isVerified",
    "payload.customer.email.verifiedAt",
    "payload.customer.externalId",
    "payload.customer.fullName",
    "payload.customer.shortName",
    "payload.customer.customerGroupMemberships",
    "payload.customer.createdAt",
    "payload.customer.createdBy",
    "payload.customer.createdBy.actorType",
    "payload.customer.createdBy.system",
    "payload.customer.updatedAt",
    "payload.customer.updatedBy",
    "payload.customer.updatedBy.userId",
    "payload.previousCustomer.fullName",
    "payload.previousCustomer.updatedBy.actorType",
    M0 "customerId",
    M0 "customerGroupId",
    M0 "workspaceId",
    M0 "createdAt",
    M0 "createdBy",
    M0 "createdBy.userId",
    M0 "updatedAt",
    M0 "updatedBy",
    M0 "customerGroup",
    M0 "customerGroup.id",
    M0 "customerGroup.workspaceId",
    M0 "customerGroup.name",
    M0 "customerGroup.key",
    M0 "customerGroup.color",
    M0 "customerGroup.createdAt",
    M0 "customerGroup.createdBy",
    M0 "customerGroup.updatedAt",
    M0 "customerGroup.updatedBy",
    M0 "customerGroup.updatedBy.actorType",
};

/* Removes a dotted path; returns the detail path the library should name. */
static void remove_path(json_t *root, const char *dotted, char *named, size_t named_size)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", dotted);
    json_t *node = root;
    size_t used = 0;
    named[0] = '\0';
    char *save = NULL;
    char *tok = strtok_r(buf, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        bool index = tok[0] >= '0' && tok[0] <= '9';
        if (index)
            used += (size_t)snprintf(named + used, named_size - used, "[%s]", tok);
        else
            used += (size_t)snprintf(named + used, named_size - used, "%s%s", used ? "." : "", tok);
        if (index && next)
            node = json_array_get(node, (size_t)atoi(tok));
        else if (next)
            node = json_object_get(node, tok);
        else
            assert_int_equal(json_object_del(node, tok), 0);
        assert_non_null(node);
        tok = next;
    }
}

static void test_each_required_field_removed(void **state)
{
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        tv_body b = tv_example("customer-group-changed.json", LATEST);
        json_t *root = tv_load(b.data, b.len);
        tv_body_free(&b);
        char named[256], detail[512];
        remove_path(root, required[i], named, sizeof named);
        b = tv_body_json(root);
        json_decref(root);
        hk_verify_options o = tv_options_at(0);
        o.tolerance_ms = -1;
        o.detail = detail;
        o.detail_size = sizeof detail;
        hk_webhook *wh = NULL;
        hk_verify_result r = tv_verify(&b, &o, &wh);
        if (r != HK_VERIFY_SCHEMA_VIOLATION)
            fail_msg("%s removed: %s", required[i], hk_verify_strerror(r));
        /* a removed key is named; a removed actorType makes its actor unreadable */
        strcat(named, ": missing (required)");
        if (strcmp(detail, named) != 0)
            fail_msg("%s removed: detail \"%s\", expected \"%s\"", required[i], detail, named);
        tv_body_free(&b);
    }
}

/* markedAsSpamAt/By are optional in the schema (they default to null). */
static void test_optional_fields_removed(void **state)
{
    static const char *const optional[] = {
        "payload.customer.markedAsSpamAt",
        "payload.customer.markedAsSpamBy",
        "payload.previousCustomer.markedAsSpamAt",
    };
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        tv_body b = tv_example("customer-updated.json", LATEST);
        json_t *root = tv_load(b.data, b.len);
        tv_body_free(&b);
        char named[256];
        remove_path(root, optional[i], named, sizeof named);
        b = tv_body_json(root);
        json_decref(root);
        hk_verify_options o = tv_options_at(tv_attempt_ms(&b));
        hk_webhook *wh = NULL;
        assert_int_equal(tv_verify(&b, &o, &wh), HK_VERIFY_OK);
        tv_check_webhook(&b, wh);
        hk_webhook_free(wh);
        tv_body_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_accepted_for_every_version),
        cmocka_unit_test(test_group_changed_values),
        cmocka_unit_test(test_updated_spam_values),
        cmocka_unit_test(test_each_required_field_removed),
        cmocka_unit_test(test_optional_fields_removed),
        cmocka_unit_test(test_every_mutation_gets_the_sdk_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
