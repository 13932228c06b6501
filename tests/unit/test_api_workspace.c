/*
 * test_api_workspace.c - the workspace, HMAC, webhook version and webhook
 * target parts of the GraphQL API (SPEC §4, §6), end to end through
 * api_graphql with JSON bodies against a temporary store, using the
 * documents Plain's SDK sends; and the URL masking rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>

#include "api/api.h"
#include "api/url_mask.h"
#include "domain/deliveries.h"
#include "json_path.h"
#include "api_fixture.h"
#include "testutil.h"

/* ---- URL masking ------------------------------------------------------- */

static void test_url_mask(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"https://example.com/hook", "https://example.com/hook"},
        {"https://example.com:8443/a@b?x=y@z#f@g", "https://example.com:8443/a@b?x=y@z#f@g"},
        {"https://user:secret@example.com/hook", "https://user:***@example.com/hook"},
        {"HTTPS://user:secret@example.com", "HTTPS://user:***@example.com"},
        {"https://:secret@example.com/", "https://:***@example.com/"},
        /* the user name alone is the credential */
        {"https://token@example.com/x", "https://***@example.com/x"},
        {"https://token:@example.com/x", "https://***@example.com/x"},
        /* unescaped '@' in the password: userinfo ends at the last '@' */
        {"https://user:p@ss@example.com/x", "https://user:***@example.com/x"},
        {"https://u%40x:p%3Aw@example.com/", "https://u%40x:***@example.com/"},
        {"https://u:p@[2001:db8::1]:8443/x", "https://u:***@[2001:db8::1]:8443/x"},
        {"https://[2001:db8::1]:8443/a@b", "https://[2001:db8::1]:8443/a@b"},
        /* unescaped '/', '?' or '#' in the password cut the authority short */
        {"https://user:pa/ss@example.com/x", "https://user:***@example.com/x"},
        {"https://user:pa?ss@example.com/x", "https://user:***@example.com/x"},
        {"https://user:pa#ss@example.com/x", "https://user:***@example.com/x"},
        {"https://user:p/a@s@example.com/x", "https://user:***@example.com/x"},
        {"http://u:p@localhost:8080/", "http://u:***@localhost:8080/"},
        {"https://@example.com/", "https://@example.com/"},
        {"", ""},
    };
    hk_arena *a = hk_arena_new(0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = api_url_mask(a, cases[i].in);
        assert_non_null(got);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("mask(%s) = %s, want %s", cases[i].in, got, cases[i].want);
    }
    assert_null(api_url_mask(a, NULL));
    hk_arena_free(a);
}

/* ---- harness ------------------------------------------------------------ */

typedef api_fixture fixture;

static json_t *post_as(fixture *f, const char *auth, int want_status, const char *query,
                       json_t *variables)
{
    int status;
    json_t *res = api_send(f, auth, query, variables, &status);
    if (status != want_status) {
        char *text = json_dumps(res, JSON_COMPACT);
        fail_msg("HTTP %d (want %d): %s", status, want_status, text);
    }
    return res;
}

/*
 * A field error of a bad argument (BAD_USER_INPUT): the engine answers 200
 * with the error beside null data, as Apollo does for resolver errors; the
 * status is the engine's policy, not this file's, so both are accepted.
 */
static json_t *post_bad_input(fixture *f, const char *query, json_t *variables)
{
    int status;
    json_t *res = api_send(f, f->auth, query, variables, &status);
    assert_true(status == 200 || status == 400);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(res, "errors"), 0), "extensions"),
            "code")),
        "BAD_USER_INPUT");
    return res;
}

static json_t *post(fixture *f, const char *query, json_t *variables)
{
    return post_as(f, f->auth, 200, query, variables);
}

#define assert_str_at(root, path, want) assert_string_equal(json_str_at(root, path), want)
#define assert_true_at(root, path) assert_true(json_is_true(json_at(root, path)))
#define assert_false_at(root, path) assert_true(json_is_false(json_at(root, path)))
#define assert_null_at(root, path) assert_true(json_is_null(json_at(root, path)))
#define assert_size_at(root, path, n) assert_int_equal(json_array_size(json_at(root, path)), n)

/* ---- documents, as Plain's SDK (5.12) writes them ----------------------- */

#define ACTOR_PARTS                                                                                \
    "fragment ActorParts on Actor { ... on UserActor { __typename userId }"                        \
    " ... on SystemActor { __typename systemId }"                                                  \
    " ... on MachineUserActor { __typename machineUserId }"                                        \
    " ... on CustomerActor { __typename customerId } }\n"                                          \
    "fragment DateTimeParts on DateTime { __typename iso8601 unixTimestamp }\n"

#define TARGET_PARTS                                                                               \
    ACTOR_PARTS                                                                                    \
    "fragment WebhookTargetParts on WebhookTarget { __typename id url isEnabled description"       \
    " version createdAt { ...DateTimeParts } createdBy { ...ActorParts }"                          \
    " updatedAt { ...DateTimeParts } updatedBy { ...ActorParts }"                                  \
    " eventSubscriptions { __typename eventType } }\n"

#define ERROR_PARTS                                                                                \
    "fragment MutationErrorParts on MutationError { __typename message type code"                  \
    " fields { field message type } }\n"

static const char create_doc[] =
    "mutation createWebhookTarget($input: CreateWebhookTargetInput!) {"
    " createWebhookTarget(input: $input) { webhookTarget { ...WebhookTargetParts }"
    " error { ...MutationErrorParts } } }\n" TARGET_PARTS ERROR_PARTS;

static const char update_doc[] =
    "mutation updateWebhookTarget($input: UpdateWebhookTargetInput!) {"
    " updateWebhookTarget(input: $input) { webhookTarget { ...WebhookTargetParts }"
    " error { ...MutationErrorParts } } }\n" TARGET_PARTS ERROR_PARTS;

static const char delete_doc[] =
    "mutation deleteWebhookTarget($input: DeleteWebhookTargetInput!) {"
    " deleteWebhookTarget(input: $input) { error { ...MutationErrorParts } } }\n" ERROR_PARTS;

static const char get_doc[] = "query webhookTarget($webhookTargetId: ID!) {"
                              " webhookTarget(webhookTargetId: $webhookTargetId) {"
                              " ...WebhookTargetParts } }\n" TARGET_PARTS;

static const char list_doc[] =
    "query webhookTargets($first: Int, $after: String, $last: Int, $before: String) {"
    " webhookTargets(first: $first, after: $after, last: $last, before: $before) {"
    " edges { cursor node { ...WebhookTargetParts } }"
    " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }\n" TARGET_PARTS;

static const char hmac_doc[] =
    "query { workspaceHmac { __typename hmacSecret createdAt { ...DateTimeParts }"
    " createdBy { ...ActorParts } updatedAt { ...DateTimeParts } updatedBy { ...ActorParts } } "
    "}\n" ACTOR_PARTS;

static const char regenerate_doc[] =
    "mutation { regenerateWorkspaceHmac { workspaceHmac { hmacSecret"
    " updatedAt { ...DateTimeParts } updatedBy { ...ActorParts } }"
    " error { __typename message type code fields { field message type } } } }\n" ACTOR_PARTS;

/* Creates a target through the API; returns the response. */
static json_t *create(fixture *f, const char *url, const char *version)
{
    json_t *input =
        json_pack("{s:s, s:[{s:s}, {s:s}], s:b, s:s}", "url", url, "eventSubscriptions",
                  "eventType", "customer.customer_created", "eventType",
                  "customer.customer_updated", "isEnabled", 1, "description", "CRM sync");
    if (version)
        json_object_set_new(input, "version", json_string(version));
    return post(f, create_doc, json_pack("{s:o}", "input", input));
}

/* Creates a target and returns its id (static buffer: one at a time). */
static const char *create_id(fixture *f, const char *url)
{
    static char id[HK_ID_MAX];
    json_t *r = create(f, url, NULL);
    assert_null_at(r, "data.createWebhookTarget.error");
    snprintf(id, sizeof id, "%s", json_str_at(r, "data.createWebhookTarget.webhookTarget.id"));
    json_decref(r);
    return id;
}

static bool is_lower_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return true;
}

/* ---- workspace ------------------------------------------------------------ */

static void test_my_workspace(void **state)
{
    fixture *f = *state;
    json_t *r = post(f,
                     "query myWorkspace { myWorkspace { ...WorkspaceParts domainNames"
                     " workspaceEmailSettings { isEnabled bccEmailAddresses"
                     " workspaceEmailDomainSettings { domainName } }"
                     " workspaceChatSettings { isEnabled } logo { id } } }\n"
                     "fragment WorkspaceParts on Workspace { __typename id name publicName"
                     " isDemoWorkspace createdBy { ...ActorParts } createdAt { ...DateTimeParts }"
                     " updatedBy { ...ActorParts } updatedAt { ...DateTimeParts } }\n" ACTOR_PARTS,
                     NULL);
    assert_null(json_at(r, "errors"));
    assert_str_at(r, "data.myWorkspace.__typename", "Workspace");
    assert_str_at(r, "data.myWorkspace.id", f->boot.workspace_id);
    assert_str_at(r, "data.myWorkspace.name", "Acme");
    assert_str_at(r, "data.myWorkspace.publicName", "Acme");
    assert_false_at(r, "data.myWorkspace.isDemoWorkspace");
    assert_size_at(r, "data.myWorkspace.domainNames", 0);
    assert_str_at(r, "data.myWorkspace.createdBy.__typename", "SystemActor");
    assert_str_at(r, "data.myWorkspace.createdBy.systemId", "hookd");
    assert_str_at(r, "data.myWorkspace.updatedBy.__typename", "SystemActor");
    assert_str_at(r, "data.myWorkspace.createdAt.__typename", "DateTime");
    const char *iso = json_str_at(r, "data.myWorkspace.createdAt.iso8601");
    assert_int_equal(strlen(iso), 24);
    assert_int_equal(iso[23], 'Z');
    assert_true(atoll(json_str_at(r, "data.myWorkspace.updatedAt.unixTimestamp")) >
                1700000000000LL);
    assert_false_at(r, "data.myWorkspace.workspaceEmailSettings.isEnabled");
    assert_size_at(r, "data.myWorkspace.workspaceEmailSettings.bccEmailAddresses", 0);
    assert_null_at(r, "data.myWorkspace.workspaceEmailSettings.workspaceEmailDomainSettings");
    assert_false_at(r, "data.myWorkspace.workspaceChatSettings.isEnabled");
    assert_null_at(r, "data.myWorkspace.logo");
    json_decref(r);
}

/* ---- webhook versions ------------------------------------------------------ */

static const char versions_doc[] =
    "query webhookVersions($first: Int, $after: String, $last: Int, $before: String) {"
    " webhookVersions(first: $first, after: $after, last: $last, before: $before) {"
    " edges { cursor node { __typename version isDeprecated isLatest } }"
    " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

static void test_webhook_versions(void **state)
{
    fixture *f = *state;
    static const char *const want[] = {"2024-09-18", "2025-08-06", "2026-02-27", "2026-03-13",
                                       "2026-04-21"};
    json_t *r = post(f, versions_doc, NULL);
    assert_size_at(r, "data.webhookVersions.edges", 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *edge = json_array_get(json_at(r, "data.webhookVersions.edges"), i);
        assert_str_at(edge, "cursor", want[i]);
        assert_str_at(edge, "node.__typename", "WebhookVersion");
        assert_str_at(edge, "node.version", want[i]);
        assert_false_at(edge, "node.isDeprecated");
        assert_int_equal(json_is_true(json_at(edge, "node.isLatest")), i == 4);
    }
    assert_false_at(r, "data.webhookVersions.pageInfo.hasNextPage");
    assert_false_at(r, "data.webhookVersions.pageInfo.hasPreviousPage");
    assert_str_at(r, "data.webhookVersions.pageInfo.startCursor", "2024-09-18");
    assert_str_at(r, "data.webhookVersions.pageInfo.endCursor", "2026-04-21");
    json_decref(r);

    r = post(f, versions_doc, json_pack("{s:i, s:s}", "first", 2, "after", "2024-09-18"));
    assert_size_at(r, "data.webhookVersions.edges", 2);
    assert_str_at(r, "data.webhookVersions.edges.0.node.version", "2025-08-06");
    assert_str_at(r, "data.webhookVersions.pageInfo.endCursor", "2026-02-27");
    assert_true_at(r, "data.webhookVersions.pageInfo.hasNextPage");
    assert_true_at(r, "data.webhookVersions.pageInfo.hasPreviousPage");
    json_decref(r);

    r = post(f, versions_doc, json_pack("{s:i}", "last", 1));
    assert_size_at(r, "data.webhookVersions.edges", 1);
    assert_str_at(r, "data.webhookVersions.edges.0.node.version", "2026-04-21");
    assert_true_at(r, "data.webhookVersions.edges.0.node.isLatest");
    assert_true_at(r, "data.webhookVersions.pageInfo.hasPreviousPage");
    assert_false_at(r, "data.webhookVersions.pageInfo.hasNextPage");
    json_decref(r);

    /* mixing directions is the caller's mistake; the non-null field nulls data */
    r = post_bad_input(f, versions_doc, json_pack("{s:i, s:i}", "first", 1, "last", 1));
    assert_str_at(r, "errors.0.path.0", "webhookVersions");
    assert_null_at(r, "data");
    json_decref(r);
}

/* ---- webhook targets ------------------------------------------------------- */

static void test_target_create_get_list(void **state)
{
    fixture *f = *state;
    json_t *r = create(f, "https://hooks:s3cret@example.com/plain?x=1", NULL);
    assert_null_at(r, "data.createWebhookTarget.error");
    json_t *t = json_at(r, "data.createWebhookTarget.webhookTarget");
    assert_str_at(t, "__typename", "WebhookTarget");
    const char *id = json_str_at(t, "id");
    assert_int_equal(strncmp(id, "whTarget_", 9), 0);
    assert_str_at(t, "url", "https://hooks:***@example.com/plain?x=1");
    assert_true_at(t, "isEnabled");
    assert_str_at(t, "description", "CRM sync");
    assert_str_at(t, "version", "2026-04-21");
    assert_size_at(t, "eventSubscriptions", 2);
    assert_str_at(t, "eventSubscriptions.0.__typename", "WebhookTargetEventSubscription");
    assert_str_at(t, "eventSubscriptions.0.eventType", "customer.customer_created");
    assert_str_at(t, "eventSubscriptions.1.eventType", "customer.customer_updated");
    assert_str_at(t, "createdBy.__typename", "MachineUserActor");
    assert_str_at(t, "createdBy.machineUserId", f->boot.machine_user_id);
    assert_str_at(t, "updatedBy.machineUserId", f->boot.machine_user_id);
    assert_string_equal(json_str_at(t, "createdAt.iso8601"), json_str_at(t, "updatedAt.iso8601"));
    char *body = json_dumps(r, JSON_COMPACT);
    assert_null(strstr(body, "s3cret")); /* nowhere in the response */
    free(body);

    json_t *g = post(f, get_doc, json_pack("{s:s}", "webhookTargetId", id));
    assert_true(json_equal(json_at(g, "data.webhookTarget"), t));
    json_decref(g);

    json_t *l = post(f, list_doc, NULL);
    assert_size_at(l, "data.webhookTargets.edges", 1);
    assert_str_at(l, "data.webhookTargets.edges.0.cursor", id);
    assert_true(json_equal(json_at(l, "data.webhookTargets.edges.0.node"), t));
    assert_str_at(l, "data.webhookTargets.pageInfo.startCursor", id);
    assert_false_at(l, "data.webhookTargets.pageInfo.hasNextPage");
    json_decref(l);

    /* an unknown id, or one of another workspace, is null without errors */
    hk_webhook_target other;
    hk_error err;
    const char *types[] = {"customer.customer_created"};
    hk_target_input in = {.url = "https://example.org/x",
                          .description = "other",
                          .is_enabled = true,
                          .n_event_types = 1,
                          .event_types = types};
    assert_int_equal(hk_target_create(&f->env->other, &in, f->env->arena, &other, &err), HK_OK);
    g = post(f, get_doc, json_pack("{s:s}", "webhookTargetId", other.id));
    assert_null(json_at(g, "errors"));
    assert_null_at(g, "data.webhookTarget");
    json_decref(g);
    g = post(f, get_doc, json_pack("{s:s}", "webhookTargetId", "whTarget_nope"));
    assert_null_at(g, "data.webhookTarget");
    json_decref(g);
    l = post(f, list_doc, NULL);
    assert_size_at(l, "data.webhookTargets.edges", 1);
    json_decref(l);
    json_decref(r);
}

static void test_target_update_delete(void **state)
{
    fixture *f = *state;
    char id[HK_ID_MAX];
    snprintf(id, sizeof id, "%s", create_id(f, "https://example.com/a"));

    json_t *r = post(f, update_doc,
                     json_pack("{s:{s:s, s:{s:s}, s:{s:b}, s:{s:s}, s:{s:s}, s:[{s:s}]}}", "input",
                               "webhookTargetId", id, "url", "value",
                               "https://ops:hunter2@example.com/b", "isEnabled", "value", 0,
                               "description", "value", "renamed", "version", "value", "2025-08-06",
                               "eventSubscriptions", "eventType", "customer.customer_deleted"));
    assert_null_at(r, "data.updateWebhookTarget.error");
    json_t *t = json_at(r, "data.updateWebhookTarget.webhookTarget");
    assert_str_at(t, "id", id);
    assert_str_at(t, "url", "https://ops:***@example.com/b");
    assert_false_at(t, "isEnabled");
    assert_str_at(t, "description", "renamed");
    assert_str_at(t, "version", "2025-08-06");
    assert_size_at(t, "eventSubscriptions", 1);
    assert_str_at(t, "eventSubscriptions.0.eventType", "customer.customer_deleted");
    json_decref(r);

    /* absent fields (and a null list) stay as they are */
    r = post(f, update_doc,
             json_pack("{s:{s:s, s:{s:s}, s:n}}", "input", "webhookTargetId", id, "description",
                       "value", "again", "eventSubscriptions"));
    t = json_at(r, "data.updateWebhookTarget.webhookTarget");
    assert_str_at(t, "description", "again");
    assert_str_at(t, "url", "https://ops:***@example.com/b");
    assert_str_at(t, "version", "2025-08-06");
    assert_false_at(t, "isEnabled");
    assert_size_at(t, "eventSubscriptions", 1);
    json_decref(r);

    /* an unknown version is a validation error naming the field */
    r = post(f, update_doc,
             json_pack("{s:{s:s, s:{s:s}}}", "input", "webhookTargetId", id, "version", "value",
                       "1999-01-01"));
    assert_null_at(r, "data.updateWebhookTarget.webhookTarget");
    assert_str_at(r, "data.updateWebhookTarget.error.code", "input_validation");
    assert_str_at(r, "data.updateWebhookTarget.error.fields.0.field", "version");
    json_decref(r);

    r = post(f, delete_doc, json_pack("{s:{s:s}}", "input", "webhookTargetId", id));
    assert_null(json_at(r, "errors"));
    assert_null_at(r, "data.deleteWebhookTarget.error");
    json_decref(r);
    r = post(f, get_doc, json_pack("{s:s}", "webhookTargetId", id));
    assert_null_at(r, "data.webhookTarget");
    json_decref(r);

    /* deleting or updating it again: not_found on webhookTargetId */
    r = post(f, delete_doc, json_pack("{s:{s:s}}", "input", "webhookTargetId", id));
    assert_str_at(r, "data.deleteWebhookTarget.error.__typename", "MutationError");
    assert_str_at(r, "data.deleteWebhookTarget.error.code", "not_found");
    assert_str_at(r, "data.deleteWebhookTarget.error.fields.0.field", "webhookTargetId");
    assert_str_at(r, "data.deleteWebhookTarget.error.fields.0.type", "NOT_FOUND");
    json_decref(r);
    r = post(
        f, update_doc,
        json_pack("{s:{s:s, s:{s:b}}}", "input", "webhookTargetId", id, "isEnabled", "value", 1));
    assert_str_at(r, "data.updateWebhookTarget.error.code", "not_found");
    assert_null_at(r, "data.updateWebhookTarget.webhookTarget");
    json_decref(r);
}

static const char delivery_doc[] =
    "mutation d($input: HookdUpdateWebhookTargetDeliveryInput!) {"
    " hookdUpdateWebhookTargetDelivery(input: $input) { webhookTarget { id hookdDelivery {"
    " orderedByCustomer maxRequestsPerSecond failingSince { iso8601 } autoDisabledAt { iso8601 }"
    " } } error { code fields { field } } } }";

/* hookdUpdateWebhookTargetDelivery: set, kept when absent, cap removed by null, validated. */
static void test_target_delivery_settings(void **state)
{
    fixture *f = *state;
    char id[HK_ID_MAX];
    snprintf(id, sizeof id, "%s", create_id(f, "https://example.com/ordered"));
    json_t *r = post(f, delivery_doc,
                     json_pack("{s:{s:s, s:b, s:i}}", "input", "webhookTargetId", id,
                               "orderedByCustomer", 1, "maxRequestsPerSecond", 20));
    assert_null_at(r, "data.hookdUpdateWebhookTargetDelivery.error");
    json_t *d = json_at(r, "data.hookdUpdateWebhookTargetDelivery.webhookTarget.hookdDelivery");
    assert_true_at(d, "orderedByCustomer");
    assert_int_equal(json_integer_value(json_at(d, "maxRequestsPerSecond")), 20);
    assert_null_at(d, "failingSince");
    assert_null_at(d, "autoDisabledAt");
    json_decref(r);

    /* Absent: kept; null: the cap goes. */
    r = post(f, delivery_doc,
             json_pack("{s:{s:s, s:n}}", "input", "webhookTargetId", id, "maxRequestsPerSecond"));
    d = json_at(r, "data.hookdUpdateWebhookTargetDelivery.webhookTarget.hookdDelivery");
    assert_true_at(d, "orderedByCustomer");
    assert_null_at(d, "maxRequestsPerSecond");
    json_decref(r);

    /* Read back through Plain's own query. */
    r = post(f,
             "query q($id: ID!) { webhookTarget(webhookTargetId: $id) { hookdDelivery {"
             " orderedByCustomer maxRequestsPerSecond } } }",
             json_pack("{s:s}", "id", id));
    assert_true_at(r, "data.webhookTarget.hookdDelivery.orderedByCustomer");
    json_decref(r);

    /* Out of range: a validation error naming the field, nothing changed. */
    r = post(f, delivery_doc,
             json_pack("{s:{s:s, s:b, s:i}}", "input", "webhookTargetId", id, "orderedByCustomer",
                       0, "maxRequestsPerSecond", 0));
    assert_str_at(r, "data.hookdUpdateWebhookTargetDelivery.error.code", "input_validation");
    assert_str_at(r, "data.hookdUpdateWebhookTargetDelivery.error.fields.0.field",
                  "maxRequestsPerSecond");
    assert_null_at(r, "data.hookdUpdateWebhookTargetDelivery.webhookTarget");
    json_decref(r);
    r = post(f,
             "query q($id: ID!) { webhookTarget(webhookTargetId: $id) { hookdDelivery {"
             " orderedByCustomer } } }",
             json_pack("{s:s}", "id", id));
    assert_true_at(r, "data.webhookTarget.hookdDelivery.orderedByCustomer");
    json_decref(r);

    /* An unknown target: not_found on webhookTargetId. */
    r = post(f, delivery_doc,
             json_pack("{s:{s:s, s:b}}", "input", "webhookTargetId",
                       "whTarget_00000000000000000000000000", "orderedByCustomer", 1));
    assert_str_at(r, "data.hookdUpdateWebhookTargetDelivery.error.code", "not_found");
    json_decref(r);
}

static void expect_create_field_error(fixture *f, json_t *input, const char *field)
{
    json_t *r = post(f, create_doc, json_pack("{s:o}", "input", input));
    assert_null(json_at(r, "errors"));
    assert_null_at(r, "data.createWebhookTarget.webhookTarget");
    assert_str_at(r, "data.createWebhookTarget.error.__typename", "MutationError");
    assert_str_at(r, "data.createWebhookTarget.error.type", "VALIDATION");
    assert_str_at(r, "data.createWebhookTarget.error.code", "input_validation");
    assert_str_at(r, "data.createWebhookTarget.error.fields.0.field", field);
    assert_str_at(r, "data.createWebhookTarget.error.fields.0.type", "VALIDATION");
    json_decref(r);
}

static void test_target_validation(void **state)
{
    fixture *f = *state;
    expect_create_field_error(f,
                              json_pack("{s:s, s:[], s:b, s:s, s:s}", "url", "https://e.com/",
                                        "eventSubscriptions", "isEnabled", 1, "description", "",
                                        "version", "2020-01-01"),
                              "version");
    expect_create_field_error(
        f,
        json_pack("{s:s, s:[{s:s}, {s:s}], s:b, s:s}", "url", "https://e.com/",
                  "eventSubscriptions", "eventType", "customer.customer_created", "eventType",
                  "customer.no_such_event", "isEnabled", 1, "description", ""),
        "eventSubscriptions[1].eventType");
    expect_create_field_error(f,
                              json_pack("{s:s, s:[], s:b, s:s}", "url", "http://e.com/",
                                        "eventSubscriptions", "isEnabled", 1, "description", ""),
                              "url");
    expect_create_field_error(f,
                              json_pack("{s:s, s:[], s:b, s:s}", "url", "https://127.0.0.1/",
                                        "eventSubscriptions", "isEnabled", 1, "description", ""),
                              "url");
    /* a NUL inside a string literal cannot slip past validation cut short */
    json_t *r = post(f,
                     "mutation { createWebhookTarget(input: {url: \"https://e.com/\","
                     " eventSubscriptions: [], isEnabled: true, description: \"a\\u0000b\"})"
                     " { webhookTarget { id } error { code fields { field } } } }",
                     NULL);
    assert_str_at(r, "data.createWebhookTarget.error.code", "input_validation");
    assert_str_at(r, "data.createWebhookTarget.error.fields.0.field", "description");
    json_decref(r);

    json_t *l = post(f, list_doc, NULL);
    assert_size_at(l, "data.webhookTargets.edges", 0);
    assert_false_at(l, "data.webhookTargets.pageInfo.hasNextPage");
    assert_null_at(l, "data.webhookTargets.pageInfo.startCursor");
    json_decref(l);
}

static void test_too_many_targets_and_pages(void **state)
{
    fixture *f = *state;
    char ids[HK_MAX_TARGETS_PER_WORKSPACE][HK_ID_MAX];
    for (int i = 0; i < HK_MAX_TARGETS_PER_WORKSPACE; i++)
        snprintf(ids[i], sizeof ids[i], "%s", create_id(f, "https://example.com/hook"));
    json_t *r = create(f, "https://example.com/one-too-many", NULL);
    assert_null_at(r, "data.createWebhookTarget.webhookTarget");
    assert_str_at(r, "data.createWebhookTarget.error.code", "too_many_webhook_targets");
    assert_str_at(r, "data.createWebhookTarget.error.type", "VALIDATION");
    assert_size_at(r, "data.createWebhookTarget.error.fields", 0);
    json_decref(r);

    /* default page: all 25, oldest first */
    r = post(f, list_doc, NULL);
    assert_size_at(r, "data.webhookTargets.edges", 25);
    assert_str_at(r, "data.webhookTargets.edges.24.cursor", ids[24]);
    json_decref(r);

    r = post(f, list_doc, json_pack("{s:i, s:s}", "first", 10, "after", ids[9]));
    assert_size_at(r, "data.webhookTargets.edges", 10);
    assert_str_at(r, "data.webhookTargets.edges.0.node.id", ids[10]);
    assert_str_at(r, "data.webhookTargets.pageInfo.endCursor", ids[19]);
    assert_true_at(r, "data.webhookTargets.pageInfo.hasNextPage");
    assert_true_at(r, "data.webhookTargets.pageInfo.hasPreviousPage");
    json_decref(r);

    r = post(f, list_doc, json_pack("{s:i, s:s}", "last", 3, "before", ids[3]));
    assert_size_at(r, "data.webhookTargets.edges", 3);
    assert_str_at(r, "data.webhookTargets.pageInfo.startCursor", ids[0]);
    assert_str_at(r, "data.webhookTargets.pageInfo.endCursor", ids[2]);
    assert_false_at(r, "data.webhookTargets.pageInfo.hasPreviousPage");
    json_decref(r);

    r = post_bad_input(f, list_doc, json_pack("{s:i}", "first", 101));
    assert_null_at(r, "data");
    json_decref(r);
}

/* ---- HMAC secret ------------------------------------------------------------ */

static void test_workspace_hmac(void **state)
{
    fixture *f = *state;
    json_t *r = post(f, hmac_doc, NULL);
    assert_null(json_at(r, "errors"));
    assert_null_at(r, "data.workspaceHmac");
    json_decref(r);

    r = post(f, regenerate_doc, NULL);
    assert_null_at(r, "data.regenerateWorkspaceHmac.error");
    char secret[65];
    snprintf(secret, sizeof secret, "%s",
             json_str_at(r, "data.regenerateWorkspaceHmac.workspaceHmac.hmacSecret"));
    assert_true(is_lower_hex(secret, 64));
    /* SPEC §2: changes made with a key are the key's machine user's */
    assert_str_at(r, "data.regenerateWorkspaceHmac.workspaceHmac.updatedBy.__typename",
                  "MachineUserActor");
    assert_str_at(r, "data.regenerateWorkspaceHmac.workspaceHmac.updatedBy.machineUserId",
                  f->boot.machine_user_id);
    json_decref(r);

    r = post(f, hmac_doc, NULL);
    assert_str_at(r, "data.workspaceHmac.__typename", "WorkspaceHmac");
    assert_str_at(r, "data.workspaceHmac.hmacSecret", secret);
    assert_str_at(r, "data.workspaceHmac.createdBy.machineUserId", f->boot.machine_user_id);
    assert_str_at(r, "data.workspaceHmac.updatedBy.machineUserId", f->boot.machine_user_id);
    assert_string_equal(json_str_at(r, "data.workspaceHmac.createdAt.unixTimestamp"),
                        json_str_at(r, "data.workspaceHmac.updatedAt.unixTimestamp"));
    json_decref(r);

    r = post(f, regenerate_doc, NULL);
    const char *again = json_str_at(r, "data.regenerateWorkspaceHmac.workspaceHmac.hmacSecret");
    assert_true(is_lower_hex(again, 64));
    assert_string_not_equal(again, secret);
    json_decref(r);
}

/* ---- permissions ---------------------------------------------------------------- */

static void test_permissions(void **state)
{
    fixture *f = *state;
    char id[HK_ID_MAX];
    snprintf(id, sizeof id, "%s", create_id(f, "https://example.com/a"));
    char key[HK_API_KEY_BUF], auth[HK_API_KEY_BUF + 16];
    hk_error err;
    assert_int_equal(hk_api_key_create(&f->ctx, f->boot.machine_user_id,
                                       HK_PERM_WORKSPACE_READ | HK_PERM_WEBHOOK_TARGET_READ, key,
                                       &err),
                     HK_OK);
    api_bearer(auth, sizeof auth, key);

    /* reading is allowed */
    json_t *r = post_as(f, auth, 200, list_doc, NULL);
    assert_size_at(r, "data.webhookTargets.edges", 1);
    json_decref(r);

    /* mutations answer with a FORBIDDEN MutationError and change nothing */
    json_t *input = json_pack("{s:s, s:[], s:b, s:s}", "url", "https://e.com/",
                              "eventSubscriptions", "isEnabled", 1, "description", "");
    r = post_as(f, auth, 200, create_doc, json_pack("{s:o}", "input", input));
    assert_null_at(r, "data.createWebhookTarget.webhookTarget");
    assert_str_at(r, "data.createWebhookTarget.error.type", "FORBIDDEN");
    assert_str_at(r, "data.createWebhookTarget.error.code", "forbidden");
    json_decref(r);
    r = post_as(
        f, auth, 200, update_doc,
        json_pack("{s:{s:s, s:{s:b}}}", "input", "webhookTargetId", id, "isEnabled", "value", 0));
    assert_str_at(r, "data.updateWebhookTarget.error.type", "FORBIDDEN");
    json_decref(r);
    r = post_as(f, auth, 200, delete_doc, json_pack("{s:{s:s}}", "input", "webhookTargetId", id));
    assert_str_at(r, "data.deleteWebhookTarget.error.type", "FORBIDDEN");
    json_decref(r);
    r = post_as(f, auth, 200, regenerate_doc, NULL);
    assert_str_at(r, "data.regenerateWorkspaceHmac.error.type", "FORBIDDEN");
    assert_null_at(r, "data.regenerateWorkspaceHmac.workspaceHmac");
    json_decref(r);

    r = post(f, list_doc, NULL);
    assert_size_at(r, "data.webhookTargets.edges", 1);
    assert_true_at(r, "data.webhookTargets.edges.0.node.isEnabled");
    json_decref(r);

    /* queries without the permission fail the request with 403 */
    r = post_as(f, auth, 403, hmac_doc, NULL);
    assert_str_at(r, "errors.0.extensions.code", "FORBIDDEN");
    json_decref(r);
    assert_int_equal(
        hk_api_key_create(&f->ctx, f->boot.machine_user_id, HK_PERM_WORKSPACE_READ, key, &err),
        HK_OK);
    api_bearer(auth, sizeof auth, key);
    r = post_as(f, auth, 403, list_doc, NULL);
    assert_str_at(r, "errors.0.extensions.code", "FORBIDDEN");
    json_decref(r);
    r = post_as(f, auth, 403, get_doc, json_pack("{s:s}", "webhookTargetId", id));
    assert_str_at(r, "errors.0.extensions.code", "FORBIDDEN");
    json_decref(r);
}

/* ---- operator operations (hookd.graphql) ---------------------------------- */

static const char *const deliveries_doc =
    "query d($t: ID!, $s: HookdWebhookDeliveryStatus) { hookdWebhookDeliveries("
    "webhookTargetId: $t, status: $s) { edges { cursor node { eventId eventType webhookTargetId"
    " status attemptCount nextAttemptAt { iso8601 } attempts { id number statusCode error"
    " responseExcerpt durationMs } } } pageInfo { hasNextPage } } }";

static json_t *deliveries(fixture *f, const char *target, const char *status)
{
    json_t *vars = json_pack("{s:s}", "t", target);
    if (status)
        json_object_set_new(vars, "s", json_string(status));
    return post(f, deliveries_doc, vars);
}

static void test_operator_deliveries(void **state)
{
    fixture *f = *state;
    char target[HK_ID_MAX];
    snprintf(target, sizeof target, "%s", create_id(f, "https://example.com/hook"));
    hk_upsert_customer_input in = {.identifier_kind = HK_CUSTOMER_BY_EMAIL,
                                   .identifier = "op@example.com",
                                   .on_create = {.full_name = "Op", .email = "op@example.com"}};
    hk_upsert_result ur;
    hk_customer c;
    hk_error err;
    assert_int_equal(hk_customer_upsert(&f->ctx, &in, f->env->arena, &ur, &c, &err), HK_OK);

    json_t *r = deliveries(f, target, NULL);
    assert_size_at(r, "data.hookdWebhookDeliveries.edges", 1);
    assert_str_at(r, "data.hookdWebhookDeliveries.edges.0.node.status", "PENDING");
    assert_str_at(r, "data.hookdWebhookDeliveries.edges.0.node.eventType",
                  "customer.customer_created");
    char event_id[HK_ID_MAX];
    snprintf(event_id, sizeof event_id, "%s",
             json_str_at(r, "data.hookdWebhookDeliveries.edges.0.node.eventId"));
    json_decref(r);

    /* a dispatcher's failed attempt, recorded through the domain */
    hk_delivery *ds;
    size_t n;
    int64_t next_due;
    assert_int_equal(hk_delivery_claim(f->env->store, hk_now_ms(), 60000, 10, f->env->arena, &ds,
                                       &n, &next_due, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    hk_delivery_result res = {.delivery = &ds[0], .retry_at = HK_TIME_NONE};
    res.attempt = (hk_attempt){.number = 1,
                               .started_at = hk_now_ms(),
                               .duration_ms = 12,
                               .status_code = 503,
                               .error = "HTTP 503",
                               .response_excerpt = "busy"};
    assert_int_equal(hk_id_new(HK_ID_ATTEMPT, res.attempt.attempt_id), HK_OK);
    assert_int_equal(hk_delivery_record(f->env->store, &res, 1, NULL, NULL, &err), HK_OK);

    r = deliveries(f, target, "FAILED");
    assert_size_at(r, "data.hookdWebhookDeliveries.edges", 1);
    assert_str_at(r, "data.hookdWebhookDeliveries.edges.0.node.attempts.0.error", "HTTP 503");
    assert_int_equal(json_integer_value(json_at(
                         r, "data.hookdWebhookDeliveries.edges.0.node.attempts.0.statusCode")),
                     503);
    assert_str_at(r, "data.hookdWebhookDeliveries.edges.0.node.attempts.0.responseExcerpt", "busy");
    assert_null_at(r, "data.hookdWebhookDeliveries.edges.0.node.nextAttemptAt");
    json_decref(r);
    r = deliveries(f, target, "PENDING");
    assert_size_at(r, "data.hookdWebhookDeliveries.edges", 0);
    json_decref(r);

    /* re-send failed since a time: a bad time is a field error, a good one re-arms */
    const char *resend_failed = "mutation r($i: HookdResendFailedWebhookDeliveriesInput!) {"
                                " hookdResendFailedWebhookDeliveries(input: $i) { count error { "
                                "code fields { field } } } }";
    r = post(f, resend_failed,
             json_pack("{s:{s:s,s:s}}", "i", "webhookTargetId", target, "since", "yesterday"));
    assert_str_at(r, "data.hookdResendFailedWebhookDeliveries.error.fields.0.field", "since");
    json_decref(r);
    r = post(f, resend_failed,
             json_pack("{s:{s:s,s:s}}", "i", "webhookTargetId", target, "since",
                       "2020-01-01T00:00:00.000Z"));
    assert_int_equal(
        json_integer_value(json_at(r, "data.hookdResendFailedWebhookDeliveries.count")), 1);
    json_decref(r);
    r = deliveries(f, target, "PENDING");
    assert_size_at(r, "data.hookdWebhookDeliveries.edges", 1);
    assert_int_equal(
        json_integer_value(json_at(r, "data.hookdWebhookDeliveries.edges.0.node.attemptCount")), 1);
    json_decref(r);

    /* re-send one event; unknown events are not_found */
    const char *resend = "mutation r($i: HookdResendWebhookEventInput!) {"
                         " hookdResendWebhookEvent(input: $i) { error { code } } }";
    r = post(f, resend,
             json_pack("{s:{s:s,s:s}}", "i", "webhookTargetId", target, "eventId", event_id));
    assert_null_at(r, "data.hookdResendWebhookEvent.error");
    json_decref(r);
    r = post(f, resend,
             json_pack("{s:{s:s,s:s}}", "i", "webhookTargetId", target, "eventId",
                       "pEv_01HD450JT0RPBT7RRKS1ZQJYBA"));
    assert_str_at(r, "data.hookdResendWebhookEvent.error.code", "not_found");
    json_decref(r);

    /* a test event goes to this target only */
    const char *send_test = "mutation t($i: HookdSendTestWebhookEventInput!) {"
                            " hookdSendTestWebhookEvent(input: $i) { eventId error { code } } }";
    r = post(f, send_test, json_pack("{s:{s:s}}", "i", "webhookTargetId", target));
    assert_null_at(r, "data.hookdSendTestWebhookEvent.error");
    assert_int_equal(strncmp(json_str_at(r, "data.hookdSendTestWebhookEvent.eventId"), "pEv_", 4),
                     0);
    json_decref(r);
    r = deliveries(f, target, NULL);
    assert_size_at(r, "data.hookdWebhookDeliveries.edges", 2);
    assert_str_at(r, "data.hookdWebhookDeliveries.edges.1.node.eventType",
                  "customer.customer_updated");
    json_decref(r);

    /* another workspace's target is not there */
    r = post_bad_input(f, deliveries_doc,
                       json_pack("{s:s}", "t", "whTarget_01HD4400VTDJQ646V6RY37SR7K"));
    json_decref(r);
}

/* ---- MachineUserActor.machineUser -------------------------------------- */

static const char machine_user_doc[] =
    "query t($id: ID!) { webhookTarget(webhookTargetId: $id) { createdBy { __typename"
    " ... on MachineUserActor { machineUserId machineUser { __typename id fullName publicName"
    " description type isDeleted deletedAt { iso8601 } createdAt { iso8601 }"
    " updatedAt { iso8601 } createdBy { ... on SystemActor { __typename systemId } }"
    " updatedBy { ... on SystemActor { __typename systemId } } } } } } }";

static void assert_machine_user(json_t *r, const char *id)
{
    json_t *mu = json_at(r, "data.webhookTarget.createdBy.machineUser");
    assert_str_at(mu, "__typename", "MachineUser");
    assert_str_at(mu, "id", id);
    assert_str_at(mu, "fullName", "hookd admin");
    assert_str_at(mu, "publicName", "hookd admin");
    assert_null_at(mu, "description");
    assert_str_at(mu, "type", "API_USER");
    assert_false_at(mu, "isDeleted");
    assert_null_at(mu, "deletedAt");
    assert_string_equal(json_str_at(mu, "createdAt.iso8601"), json_str_at(mu, "updatedAt.iso8601"));
    assert_str_at(mu, "createdBy.__typename", "SystemActor");
    assert_str_at(mu, "createdBy.systemId", "hookd");
    assert_str_at(mu, "updatedBy.systemId", "hookd");
}

/* An actor's machine user resolves (it was null, failing its non-null field
 * and with it the object that held the actor), for any key that may read
 * the object; and only within the workspace. */
static void test_machine_user_actor(void **state)
{
    fixture *f = *state;
    char id[HK_ID_MAX];
    snprintf(id, sizeof id, "%s", create_id(f, "https://example.com/mu"));
    json_t *r = post(f, machine_user_doc, json_pack("{s:s}", "id", id));
    assert_machine_user(r, f->boot.machine_user_id);
    json_decref(r);

    /* a key that may only read targets sees it too */
    char key[HK_API_KEY_BUF], auth[HK_API_KEY_BUF + 16];
    hk_error err;
    assert_int_equal(
        hk_api_key_create(&f->ctx, f->boot.machine_user_id, HK_PERM_WEBHOOK_TARGET_READ, key, &err),
        HK_OK);
    api_bearer(auth, sizeof auth, key);
    r = post_as(f, auth, 200, machine_user_doc, json_pack("{s:s}", "id", id));
    assert_machine_user(r, f->boot.machine_user_id);
    json_decref(r);

    /* another workspace has no such machine user; a non-id finds none */
    hk_machine_user mu;
    bool found = true;
    assert_int_equal(hk_machine_user_get(&f->env->other, f->boot.machine_user_id, f->env->arena,
                                         &mu, &found, &err),
                     HK_OK);
    assert_false(found);
    const char *not_ids[] = {"c_01H1V4NA10RMHWFBXB6A1ZBYRA", "mu_", "", NULL};
    for (size_t i = 0; i < sizeof not_ids / sizeof not_ids[0]; i++) {
        found = true;
        assert_int_equal(hk_machine_user_get(&f->ctx, not_ids[i], f->env->arena, &mu, &found, &err),
                         HK_OK);
        assert_false(found);
    }
    found = false;
    assert_int_equal(
        hk_machine_user_get(&f->ctx, f->boot.machine_user_id, f->env->arena, &mu, &found, &err),
        HK_OK);
    assert_true(found);
    assert_string_equal(mu.name, "hookd admin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_mask),
        cmocka_unit_test_setup_teardown(test_my_workspace, api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_machine_user_actor, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_webhook_versions, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_target_create_get_list, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_target_delivery_settings, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_target_update_delete, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_target_validation, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_too_many_targets_and_pages, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_workspace_hmac, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_permissions, api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_operator_deliveries, api_fixture_setup,
                                        api_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
