/*
 * test_api_events.c - hookd's event fields for operators (src/api/hookd.graphql):
 * hookdEvent (an event with its payload and deliveries), hookdEvents (a
 * customer's events, paged), HookdWebhookDeliveryAttempt.requestHeaders (the
 * headers an attempt sent, secrets masked), and events stored before
 * migration 6 found by their customer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/deliveries.h"
#include "domain/events.h"
#include "json_path.h"
#include "api_fixture.h"
#include "store/sqlite_schema.h"
#include "testutil.h"

typedef api_fixture fixture;

static json_t *post(fixture *f, const char *query, json_t *variables)
{
    int status;
    json_t *res = api_send(f, f->auth, query, variables, &status);
    if (status != 200 || json_object_get(res, "errors")) {
        char *text = json_dumps(res, JSON_COMPACT);
        fail_msg("HTTP %d: %s", status, text);
    }
    return res;
}

#define assert_str_at(root, path, want) assert_string_equal(json_str_at(root, path), want)
#define assert_size_at(root, path, n) assert_int_equal(json_array_size(json_at(root, path)), n)

static const char upsert_doc[] =
    "mutation u($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { result"
    " customer { id } error { code message } } }";

static void customer(fixture *f, const char *email, const char *name, char id[HK_ID_MAX])
{
    json_t *r =
        post(f, upsert_doc,
             json_pack("{s:{s:{s:s}, s:{s:s, s:{s:s, s:b}}, s:{s:{s:s}}}}", "input", "identifier",
                       "emailAddress", email, "onCreate", "fullName", name, "email", "email", email,
                       "isVerified", 0, "onUpdate", "fullName", "value", name));
    snprintf(id, HK_ID_MAX, "%s", json_str_at(r, "data.upsertCustomer.customer.id"));
    assert_true(strncmp(id, "c_", 2) == 0);
    json_decref(r);
}

static void target(fixture *f, const char *url, char id[HK_ID_MAX])
{
    json_t *r =
        post(f,
             "mutation t($i: CreateWebhookTargetInput!) { createWebhookTarget(input: $i) {"
             " webhookTarget { id } error { code message } } }",
             json_pack("{s:{s:s, s:[{s:s},{s:s},{s:s},{s:s}], s:b, s:s, s:s}}", "i", "url", url,
                       "eventSubscriptions", "eventType", "customer.customer_created", "eventType",
                       "customer.customer_updated", "eventType", "customer.customer_deleted",
                       "eventType", "customer.customer_group_memberships_changed", "isEnabled", 1,
                       "description", "events", "version", "2025-08-06"));
    snprintf(id, HK_ID_MAX, "%s", json_str_at(r, "data.createWebhookTarget.webhookTarget.id"));
    assert_true(strncmp(id, "whTarget_", 9) == 0);
    json_decref(r);
}

static const char events_doc[] =
    "query e($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {"
    " hookdEvents(customerId: $c, first: $first, after: $after, last: $last, before: $before) {"
    " edges { cursor node { id eventType customerId timestamp { iso8601 } payload } }"
    " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

/* ---- hookdEvents --------------------------------------------------------- */

/* A customer's events in commit order, its own only, paged both ways; a
 * deleted customer's events are still listed. */
static void test_customer_events_in_order(void **state)
{
    fixture *f = *state;
    char ada[HK_ID_MAX], bob[HK_ID_MAX];
    customer(f, "ada@example.com", "Ada", ada);
    customer(f, "bob@example.com", "Bob", bob);
    customer(f, "ada@example.com", "Ada Lovelace", ada); /* updated */
    json_decref(post(f,
                     "mutation d($i: DeleteCustomerInput!) { deleteCustomer(input: $i) {"
                     " error { code } } }",
                     json_pack("{s:{s:s}}", "i", "customerId", ada)));

    json_t *r = post(f, events_doc, json_pack("{s:s}", "c", ada));
    assert_size_at(r, "data.hookdEvents.edges", 3);
    static const char *const types[] = {"customer.customer_created", "customer.customer_updated",
                                        "customer.customer_deleted"};
    char prev[HK_ID_MAX] = "";
    for (int i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, "data.hookdEvents.edges.%d.node.eventType", i);
        assert_str_at(r, path, types[i]);
        snprintf(path, sizeof path, "data.hookdEvents.edges.%d.node.customerId", i);
        assert_str_at(r, path, ada);
        snprintf(path, sizeof path, "data.hookdEvents.edges.%d.node.id", i);
        const char *id = json_str_at(r, path);
        assert_true(strncmp(id, "pEv_", 4) == 0);
        assert_true(strcmp(prev, id) < 0); /* commit order */
        snprintf(prev, sizeof prev, "%s", id);
        snprintf(path, sizeof path, "data.hookdEvents.edges.%d.cursor", i);
        assert_str_at(r, path, prev);
    }
    /* the payload is the one sent: the deletion's previousCustomer is Ada as she was */
    json_t *payload = json_loads(json_str_at(r, "data.hookdEvents.edges.2.node.payload"), 0, NULL);
    assert_non_null(payload);
    assert_str_at(payload, "eventType", "customer.customer_deleted");
    assert_str_at(payload, "previousCustomer.fullName", "Ada Lovelace");
    assert_str_at(payload, "previousCustomer.id", ada);
    json_decref(payload);
    char second[HK_ID_MAX];
    snprintf(second, sizeof second, "%s", json_str_at(r, "data.hookdEvents.edges.1.node.id"));
    json_decref(r);

    /* pages: first/after, last/before */
    r = post(f, events_doc, json_pack("{s:s, s:i}", "c", ada, "first", 2));
    assert_size_at(r, "data.hookdEvents.edges", 2);
    assert_true(json_is_true(json_at(r, "data.hookdEvents.pageInfo.hasNextPage")));
    assert_str_at(r, "data.hookdEvents.pageInfo.endCursor", second);
    json_decref(r);
    r = post(f, events_doc, json_pack("{s:s, s:i, s:s}", "c", ada, "first", 2, "after", second));
    assert_size_at(r, "data.hookdEvents.edges", 1);
    assert_str_at(r, "data.hookdEvents.edges.0.node.eventType", "customer.customer_deleted");
    assert_true(json_is_false(json_at(r, "data.hookdEvents.pageInfo.hasNextPage")));
    assert_true(json_is_true(json_at(r, "data.hookdEvents.pageInfo.hasPreviousPage")));
    json_decref(r);
    r = post(f, events_doc, json_pack("{s:s, s:i}", "c", ada, "last", 1));
    assert_size_at(r, "data.hookdEvents.edges", 1);
    assert_str_at(r, "data.hookdEvents.edges.0.node.eventType", "customer.customer_deleted");
    json_decref(r);
    r = post(f, events_doc, json_pack("{s:s, s:i, s:s}", "c", ada, "last", 5, "before", second));
    assert_size_at(r, "data.hookdEvents.edges", 1);
    assert_str_at(r, "data.hookdEvents.edges.0.node.eventType", "customer.customer_created");
    json_decref(r);

    /* Bob has his own one; nobody has none */
    r = post(f, events_doc, json_pack("{s:s}", "c", bob));
    assert_size_at(r, "data.hookdEvents.edges", 1);
    assert_str_at(r, "data.hookdEvents.edges.0.node.customerId", bob);
    json_decref(r);
    char ghost[HK_ID_MAX];
    assert_int_equal(hk_id_new(HK_ID_CUSTOMER, ghost), HK_OK);
    r = post(f, events_doc, json_pack("{s:s}", "c", ghost));
    assert_size_at(r, "data.hookdEvents.edges", 0);
    json_decref(r);
    r = post(f, events_doc,
             json_pack("{s:s}", "c", "c_much_too_long_to_be_any_id_at_all_0123456789"));
    assert_size_at(r, "data.hookdEvents.edges", 0);
    json_decref(r);
}

/* Bad page arguments are the caller's mistake, as in every list. */
static void test_customer_events_bad_page(void **state)
{
    fixture *f = *state;
    int status;
    json_t *r = api_send(f, f->auth, events_doc,
                         json_pack("{s:s, s:i, s:i}", "c", "c_x", "first", 1, "last", 1), &status);
    assert_int_equal(status, 400);
    assert_str_at(r, "errors.0.extensions.code", "BAD_USER_INPUT");
    json_decref(r);
    r = api_send(f, f->auth, events_doc, json_pack("{s:s, s:i}", "c", "c_x", "first", 101),
                 &status);
    assert_int_equal(status, 400);
    json_decref(r);
}

/* ---- hookdEvent -------------------------------------------------------- */

static const char event_doc[] =
    "query e($e: ID!) { hookdEvent(eventId: $e) { id eventType customerId timestamp {"
    " unixTimestamp } payload deliveries { webhookTargetId eventId eventType status"
    " attemptCount } } }";

/* The event as stored, its payload byte for byte as sent, and one delivery
 * per target it was for (a deleted target's left out). */
static void test_event_by_id(void **state)
{
    fixture *f = *state;
    char t1[HK_ID_MAX], t2[HK_ID_MAX], t3[HK_ID_MAX], c[HK_ID_MAX];
    target(f, "https://one.example/hook", t1);
    target(f, "https://two.example/hook", t2);
    target(f, "https://three.example/hook", t3);
    customer(f, "grace@example.com", "Grace", c);
    json_decref(post(f,
                     "mutation d($i: DeleteWebhookTargetInput!) { deleteWebhookTarget(input:"
                     " $i) { error { code } } }",
                     json_pack("{s:{s:s}}", "i", "webhookTargetId", t3)));
    json_t *r = post(f, events_doc, json_pack("{s:s}", "c", c));
    char ev[HK_ID_MAX];
    snprintf(ev, sizeof ev, "%s", json_str_at(r, "data.hookdEvents.edges.0.node.id"));
    json_decref(r);

    r = post(f, event_doc, json_pack("{s:s}", "e", ev));
    assert_str_at(r, "data.hookdEvent.id", ev);
    assert_str_at(r, "data.hookdEvent.eventType", "customer.customer_created");
    assert_str_at(r, "data.hookdEvent.customerId", c);
    hk_event stored;
    bool found;
    hk_error err;
    assert_int_equal(hk_event_get(&f->ctx, ev, f->env->arena, &stored, &found, &err), HK_OK);
    assert_true(found);
    assert_str_at(r, "data.hookdEvent.payload", stored.payload_json);
    char stamp[32];
    snprintf(stamp, sizeof stamp, "%lld", (long long)stored.timestamp);
    assert_str_at(r, "data.hookdEvent.timestamp.unixTimestamp", stamp);
    assert_size_at(r, "data.hookdEvent.deliveries", 2);
    /* by target id: t1 and t2 were made in that order, so their ids sort so */
    assert_str_at(r, "data.hookdEvent.deliveries.0.webhookTargetId", t1);
    assert_str_at(r, "data.hookdEvent.deliveries.1.webhookTargetId", t2);
    assert_str_at(r, "data.hookdEvent.deliveries.0.eventId", ev);
    assert_str_at(r, "data.hookdEvent.deliveries.0.eventType", "customer.customer_created");
    assert_str_at(r, "data.hookdEvent.deliveries.0.status", "PENDING");
    json_decref(r);

    /* unknown and impossible ids are null, not errors */
    char ghost[HK_ID_MAX];
    assert_int_equal(hk_id_new(HK_ID_EVENT, ghost), HK_OK);
    r = post(f, event_doc, json_pack("{s:s}", "e", ghost));
    assert_true(json_is_null(json_at(r, "data.hookdEvent")));
    json_decref(r);
    r = post(f, event_doc,
             json_pack("{s:s}", "e", "pEv_much_too_long_to_be_any_id_at_all_0123456"));
    assert_true(json_is_null(json_at(r, "data.hookdEvent")));
    json_decref(r);
}

/* A test event is about a sample customer that does not exist: listed by
 * that id, like any event. */
static void test_test_event_has_its_sample_customer(void **state)
{
    fixture *f = *state;
    char t[HK_ID_MAX];
    target(f, "https://one.example/hook", t);
    json_t *r = post(f,
                     "mutation s($i: HookdSendTestWebhookEventInput!) {"
                     " hookdSendTestWebhookEvent(input: $i) { eventId error { code } } }",
                     json_pack("{s:{s:s}}", "i", "webhookTargetId", t));
    char ev[HK_ID_MAX];
    snprintf(ev, sizeof ev, "%s", json_str_at(r, "data.hookdSendTestWebhookEvent.eventId"));
    json_decref(r);
    r = post(f, event_doc, json_pack("{s:s}", "e", ev));
    assert_str_at(r, "data.hookdEvent.eventType", "customer.customer_updated");
    const char *c = json_str_at(r, "data.hookdEvent.customerId");
    assert_true(strncmp(c, "c_", 2) == 0);
    json_t *payload = json_loads(json_str_at(r, "data.hookdEvent.payload"), 0, NULL);
    assert_str_at(payload, "customer.id", c);
    assert_str_at(payload, "customer.email.email", "test@example.com");
    json_decref(payload);
    json_t *list = post(f, events_doc, json_pack("{s:s}", "c", c));
    assert_size_at(list, "data.hookdEvents.edges", 1);
    assert_str_at(list, "data.hookdEvents.edges.0.node.id", ev);
    json_decref(list);
    json_decref(r);
}

/* ---- requestHeaders ----------------------------------------------------- */

/* Records one attempt of every due delivery, its headers as given. */
static void record(fixture *f, const hk_attempt *proto, bool succeeded)
{
    hk_delivery *rows;
    size_t n;
    int64_t next_due;
    hk_error err;
    assert_int_equal(hk_delivery_claim(f->env->store, hk_now_ms(), 60000, 100, f->env->arena, &rows,
                                       &n, &next_due, &err),
                     HK_OK);
    assert_true(n > 0);
    hk_delivery_result *results = hk_arena_calloc(f->env->arena, n, sizeof *results);
    for (size_t i = 0; i < n; i++) {
        results[i].delivery = &rows[i];
        results[i].attempt = *proto;
        results[i].attempt.number = rows[i].attempts + 1;
        assert_int_equal(hk_id_new(HK_ID_ATTEMPT, results[i].attempt.attempt_id), HK_OK);
        results[i].succeeded = succeeded;
        results[i].retry_at = succeeded ? HK_TIME_NONE : hk_now_ms();
    }
    assert_int_equal(hk_delivery_record(f->env->store, results, n, NULL, NULL, &err), HK_OK);
}

static const char headers_doc[] =
    "query d($t: ID!) { hookdWebhookDeliveries(webhookTargetId: $t) { edges { node { eventId"
    " attempts { id number startedAt { iso8601 } requestHeaders { name value masked } } } } } }";

/* The headers rebuilt from the record, in the order sent; the signature shows
 * its first 8 hex digits, Basic auth nothing of the credentials. */
static void test_request_headers(void **state)
{
    fixture *f = *state;
    char t[HK_ID_MAX], c[HK_ID_MAX];
    target(f, "https://user:hunter2@one.example/hook", t);
    customer(f, "ada@example.com", "Ada", c);
    hk_attempt proto = {.started_at = hk_now_ms(),
                        .duration_ms = 12,
                        .status_code = 500,
                        .error = "HTTP 500",
                        .sent_basic_auth = true,
                        .sent_user_agent = "acme-hooks/2"};
    snprintf(proto.sent_version, sizeof proto.sent_version, "2025-08-06");
    snprintf(proto.sent_signature, sizeof proto.sent_signature, "9f86d081");
    record(f, &proto, false);
    /* the second attempt: unsigned, no credentials, the default User-Agent */
    hk_attempt plain = {.started_at = hk_now_ms(), .status_code = 200};
    snprintf(plain.sent_version, sizeof plain.sent_version, "2024-09-18");
    record(f, &plain, true);

    json_t *r = post(f, headers_doc, json_pack("{s:s}", "t", t));
    char *text = json_dumps(r, JSON_COMPACT);
    assert_null(strstr(text, "hunter2"));
    free(text);
    assert_size_at(r, "data.hookdWebhookDeliveries.edges.0.node.attempts", 2);
    json_t *a1 = json_at(r, "data.hookdWebhookDeliveries.edges.0.node.attempts.0");
    json_t *h = json_object_get(a1, "requestHeaders");
    const char *want[][3] = {
        {"Accept", "application/json", "f"},
        {"Content-Type", "application/json", "f"},
        {"User-Agent", "acme-hooks/2", "f"},
        {"Plain-Workspace-Id", f->boot.workspace_id, "f"},
        {"Plain-Webhook-Target-Id", t, "f"},
        {"Plain-Webhook-Target-Version", "2025-08-06", "f"},
        {"Plain-Webhook-Delivery-Attempt-Id", json_str_at(a1, "id"), "f"},
        {"Plain-Webhook-Delivery-Attempt-Number", "1", "f"},
        {"Plain-Webhook-Delivery-Attempt-Timestamp", json_str_at(a1, "startedAt.iso8601"), "f"},
        {"Plain-Event-Type", "customer.customer_created", "f"},
        {"Plain-Event-Id", json_str_at(r, "data.hookdWebhookDeliveries.edges.0.node.eventId"), "f"},
        {"Plain-Request-Signature", "9f86d081\xe2\x80\xa6", "t"},
        {"Authorization", "Basic \xe2\x80\xa6", "t"},
    };
    size_t n = sizeof want / sizeof want[0];
    assert_int_equal(json_array_size(h), n);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(h, i);
        assert_str_at(e, "name", want[i][0]);
        assert_str_at(e, "value", want[i][1]);
        assert_int_equal(json_is_true(json_object_get(e, "masked")), want[i][2][0] == 't');
    }
    json_t *a2 = json_at(r, "data.hookdWebhookDeliveries.edges.0.node.attempts.1");
    h = json_object_get(a2, "requestHeaders");
    assert_int_equal(json_array_size(h), n - 2); /* neither signed nor with credentials */
    assert_str_at(h, "2.value", "Plain-Webhooks/1.0 (plain.com; help@plain.com)");
    assert_str_at(h, "5.value", "2024-09-18");
    assert_str_at(h, "7.value", "2");
    assert_str_at(h, "10.name", "Plain-Event-Id");
    json_decref(r);
}

/* No request was made (the attempt failed before one could be), or an older
 * hookd recorded it: nothing to show. */
static void test_request_headers_unknown(void **state)
{
    fixture *f = *state;
    char t[HK_ID_MAX], c[HK_ID_MAX];
    target(f, "https://one.example/hook", t);
    customer(f, "ada@example.com", "Ada", c);
    hk_attempt proto = {.started_at = hk_now_ms(), .error = "malformed URL"};
    record(f, &proto, false);
    json_t *r = post(f, headers_doc, json_pack("{s:s}", "t", t));
    assert_size_at(r, "data.hookdWebhookDeliveries.edges.0.node.attempts", 1);
    assert_true(json_is_null(
        json_at(r, "data.hookdWebhookDeliveries.edges.0.node.attempts.0.requestHeaders")));
    json_decref(r);
}

/* ---- migration 6 --------------------------------------------------------- */

/* Events stored before hookd kept their customer are found by it: the
 * migration reads it from the payload (the customer, or the one deleted). */
static void test_old_events_found_by_customer(void **state)
{
    char dir[] = "/tmp/hookd-events-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[300];
    snprintf(path, sizeof path, "%s/hookd.db", dir);
    int count;
    const char *const *m = sqlite_schema_migrations(&count);
    assert_true(count >= 6);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sqlite3_exec(db, m[i], NULL, NULL, NULL), SQLITE_OK);
    static const char rows[] =
        "PRAGMA user_version = 5;"
        "INSERT INTO events (workspace_id, id, type, timestamp, payload) VALUES"
        " ('w_old', 'pEv_01', 'customer.customer_created', 1,"
        "  '{\"eventType\":\"customer.customer_created\",\"customer\":{\"id\":\"c_ada\"}}'),"
        " ('w_old', 'pEv_02', 'customer.customer_updated', 2,"
        "  '{\"eventType\":\"customer.customer_updated\",\"customer\":{\"id\":\"c_bob\"},"
        "\"previousCustomer\":{\"id\":\"c_bob\"}}'),"
        " ('w_old', 'pEv_03', 'customer.customer_deleted', 3,"
        "  "
        "'{\"eventType\":\"customer.customer_deleted\",\"previousCustomer\":{\"id\":\"c_ada\"}}'),"
        " ('w_other', 'pEv_04', 'customer.customer_created', 4,"
        "  '{\"eventType\":\"customer.customer_created\",\"customer\":{\"id\":\"c_ada\"}}');";
    char *msg = NULL;
    if (sqlite3_exec(db, rows, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s", msg);
    sqlite3_close(db);

    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = dir;
    hk_store *store;
    hk_error err;
    assert_int_equal(hk_store_open(&o, &store, &err), HK_OK);
    assert_int_equal(hk_store_schema_version(store), count);
    hk_ctx ctx = {.store = store, .permissions = HK_PERM_ALL};
    snprintf(ctx.workspace_id, sizeof ctx.workspace_id, "w_old");
    hk_arena *a = hk_arena_new(0);
    hk_page_request page = {.first = -1, .last = -1};
    hk_event *list;
    size_t n;
    hk_page_info info;
    assert_int_equal(hk_event_list_for_customer(&ctx, "c_ada", &page, a, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "pEv_01");
    assert_string_equal(list[1].id, "pEv_03");
    assert_int_equal(list[1].type, HK_EVENT_CUSTOMER_DELETED);
    assert_string_equal(list[1].customer_id, "c_ada");
    assert_int_equal(hk_event_list_for_customer(&ctx, "c_bob", &page, a, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "pEv_02");
    hk_arena_free(a);
    hk_store_close(store);

    /* a customer's events are one range of the new index */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "EXPLAIN QUERY PLAN SELECT id FROM events INDEXED BY"
                                        " events_customer WHERE workspace_id = ?1 AND"
                                        " customer_id = ?2 AND id > ?3 ORDER BY id LIMIT 26",
                                        -1, &s, NULL),
                     SQLITE_OK);
    char plan[512] = "";
    while (sqlite3_step(s) == SQLITE_ROW)
        snprintf(plan + strlen(plan), sizeof plan - strlen(plan), "%s;",
                 (const char *)sqlite3_column_text(s, 3));
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (!strstr(plan, "events_customer (workspace_id=? AND customer_id=? AND id>?)") ||
        strstr(plan, "TEMP B-TREE"))
        fail_msg("plan: %s", plan);
    test_env_remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, api_fixture_setup, api_fixture_teardown)
        T(test_customer_events_in_order),
        T(test_customer_events_bad_page),
        T(test_event_by_id),
        T(test_test_event_has_its_sample_customer),
        T(test_request_headers),
        T(test_request_headers_unknown),
        cmocka_unit_test(test_old_events_found_by_customer),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
