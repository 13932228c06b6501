/*
 * test_security_api.c - workspace isolation and permissions for every root
 * operation of the served GraphQL schema (issue 6, security), end to end
 * through api_graphql against a temporary store.
 *
 * The operations are read from the compiled-in schema (hk_api_schema_sdl)
 * at run time: an operation added to Query or Mutation without an isolation
 * case and a permission case here fails the test.
 *
 * Isolation: workspace A holds customers (one spam-marked), a group with a
 * membership, a target with pending deliveries and an HMAC secret. Each case
 * runs twice in fresh stores, as B's all-permission key: once with A's ids /
 * emails / external ids / keys, once with unused ("ghost") values of the same
 * shapes. After A's values are rewritten into the ghost values and ids,
 * timestamps, cursors and secrets are masked, both answers (status and body)
 * must be identical: B cannot tell A's entities from entities that do not
 * exist. A's whole state, read with A's key, must be byte-identical before
 * and after, and B's answer must not contain any A value B did not send.
 *
 * Permissions: each operation is sent with a key holding every permission
 * but the one it needs (FORBIDDEN: HTTP 403 + extensions.code for queries,
 * MutationError type FORBIDDEN / code forbidden for mutations; A's state
 * unchanged), then with a key holding only that permission (success).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/catalog.h"
#include "domain/deliveries.h"
#include "json_path.h"
#include "testutil.h"

extern const char hk_api_schema_sdl[];
extern const size_t hk_api_schema_sdl_len;

/* The case being checked, for the FAIL line printed before a failure. */
static char case_label[160] = "setup";

#define SEC_FAIL(...)                                                                              \
    do {                                                                                           \
        printf("RELIABILITY|security|%s|checks=0|FAIL\n", case_label);                             \
        fflush(stdout);                                                                            \
        fail_msg(__VA_ARGS__);                                                                     \
    } while (0)

/* ---- the served operations ------------------------------------------------ */

#define MAX_OPS 64

typedef struct op_list {
    char names[MAX_OPS][64];
    bool is_mutation[MAX_OPS];
    size_t n;
} op_list;

/* Field names of `type <root> {` in the SDL: the first identifier of each
 * line of the block, outside """descriptions""". */
static void root_fields(const char *root, bool mutation, op_list *out)
{
    char head[64];
    snprintf(head, sizeof head, "\ntype %s {", root);
    const char *p = strstr(hk_api_schema_sdl, head);
    assert_non_null(p);
    p = strchr(p + 1, '\n') + 1;
    bool in_doc = false;
    while (*p && *p != '}') {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *s = p;
        while (s < p + len && isspace((unsigned char)*s))
            s++;
        size_t rest = len - (size_t)(s - p);
        int quotes = 0;
        for (const char *q = s; q + 2 < p + len + 1 && (q = strstr(q, "\"\"\"")) && q < p + len;
             q += 3)
            quotes++;
        if (quotes % 2 == 1)
            in_doc = !in_doc;
        else if (!in_doc && quotes == 0 && rest > 0 && s[0] != '#' && s[0] != '"' &&
                 (isalpha((unsigned char)s[0]) || s[0] == '_')) {
            size_t k = 0;
            while (k < rest && (isalnum((unsigned char)s[k]) || s[k] == '_'))
                k++;
            assert_true(out->n < MAX_OPS && k < 64);
            memcpy(out->names[out->n], s, k);
            out->names[out->n][k] = '\0';
            out->is_mutation[out->n] = mutation;
            out->n++;
        }
        if (!eol)
            break;
        p = eol + 1;
    }
}

static void served_ops(op_list *ops)
{
    memset(ops, 0, sizeof *ops);
    root_fields("Query", false, ops);
    root_fields("Mutation", true, ops);
}

/* ---- fixture: workspaces A and B with content ----------------------------- */

typedef struct wsp {
    hk_bootstrap_result boot;
    hk_ctx ctx;
    char auth[HK_API_KEY_BUF + 16];
    /* entities; the spam-marked customer, the group (key, external id) */
    char cust[HK_ID_MAX], spam[HK_ID_MAX], group[HK_ID_MAX], target[HK_ID_MAX], event[HK_ID_MAX];
} wsp;

typedef struct fx {
    test_env *env;
    api *api;
    wsp a, b;
} fx;

/* A's identifying values (the same in every fixture) and their ghosts. */
#define A_EMAIL "alice@a-corp.example"
#define A_EXT "ext-alice-a"
#define A_SPAM_EMAIL "spam@a-corp.example"
#define A_GKEY "a-vip"
#define A_GEXT "ext-group-a"
#define A_URL "https://hook-user:hook-pass@a-corp.example/hook"
#define GHOST_EMAIL "nobody@ghost.example"
#define GHOST_EXT "ext-nobody-x"
#define GHOST_GKEY "z-none"
#define GHOST_GEXT "ext-group-z"

static json_t *send_raw(fx *f, const char *auth, const char *query, json_t *vars, int *status,
                        char **text)
{
    json_t *req = json_pack("{s:s}", "query", query);
    if (vars)
        json_object_set(req, "variables", vars);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    api_response r;
    assert_int_equal(api_graphql(f->api, auth, body, strlen(body), &r), HK_OK);
    free(body);
    json_t *res = json_loadb(r.body.data, r.body.len, 0, NULL);
    if (!res)
        SEC_FAIL("not JSON: %.*s", (int)r.body.len, r.body.data);
    *status = r.http_status;
    if (text)
        *text = strndup(r.body.data, r.body.len);
    hk_buf_free(&r.body);
    return res;
}

/* Sends as `auth`; the answer must be HTTP 200 without errors. */
static json_t *ok(fx *f, const char *auth, const char *query, json_t *vars)
{
    int status;
    char *text;
    json_t *r = send_raw(f, auth, query, vars, &status, &text);
    if (status != 200 || json_object_get(r, "errors"))
        SEC_FAIL("HTTP %d: %s", status, text);
    free(text);
    json_decref(vars);
    return r;
}

static void copy_id(char out[HK_ID_MAX], json_t *r, const char *path)
{
    const char *s = json_str_at(r, path);
    if (strchr(s, '_') == NULL || strlen(s) >= HK_ID_MAX)
        SEC_FAIL("no id at %s", path);
    snprintf(out, HK_ID_MAX, "%s", s);
}

/*
 * Records one attempt of every due delivery, as the dispatcher would after
 * sending it signed and, for A (whose URL holds credentials), with Basic
 * auth: the attempts' headers (hookdEvent, hookdWebhookDeliveries) are read
 * across workspaces too, and must never show the URL's credentials.
 */
static void record_attempts(fx *f, bool is_a)
{
    hk_arena *a = hk_arena_new(0);
    assert_non_null(a);
    hk_delivery *rows;
    size_t n;
    int64_t next_due;
    hk_error err;
    assert_int_equal(
        hk_delivery_claim(f->env->store, hk_now_ms(), 60000, 100, a, &rows, &n, &next_due, &err),
        HK_OK);
    assert_true(n > 0);
    hk_delivery_result *results = hk_arena_calloc(a, n, sizeof *results);
    assert_non_null(results);
    for (size_t i = 0; i < n; i++) {
        hk_delivery_result *r = &results[i];
        r->delivery = &rows[i];
        r->succeeded = true;
        r->retry_at = HK_TIME_NONE;
        r->attempt.number = 1;
        assert_int_equal(hk_id_new(HK_ID_ATTEMPT, r->attempt.attempt_id), HK_OK);
        r->attempt.started_at = hk_now_ms();
        r->attempt.status_code = 200;
        r->attempt.response_excerpt = "ok";
        snprintf(r->attempt.sent_version, sizeof r->attempt.sent_version, "2025-08-06");
        snprintf(r->attempt.sent_signature, sizeof r->attempt.sent_signature, "0badc0de");
        r->attempt.sent_basic_auth = is_a;
    }
    assert_int_equal(hk_delivery_record(f->env->store, results, n, NULL, NULL, &err), HK_OK);
    hk_arena_free(a);
}

static const char *const upsert_doc =
    "mutation u($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { result"
    " customer { id } error { type code message } } }";

static void populate(fx *f, wsp *w, bool is_a)
{
    const char *email = is_a ? A_EMAIL : "bob@b-corp.example";
    const char *spam = is_a ? A_SPAM_EMAIL : "spam@b-corp.example";
    json_t *r = ok(f, w->auth, upsert_doc,
                   json_pack("{s:{s:{s:s}, s:{s:s, s:s, s:{s:s, s:b}}, s:{}}}", "input",
                             "identifier", "emailAddress", email, "onCreate", "fullName",
                             is_a ? "Alice A" : "Bob B", "externalId", is_a ? A_EXT : "ext-bob-b",
                             "email", "email", email, "isVerified", 1, "onUpdate"));
    copy_id(w->cust, r, "data.upsertCustomer.customer.id");
    json_decref(r);
    r = ok(f, w->auth, upsert_doc,
           json_pack("{s:{s:{s:s}, s:{s:s, s:{s:s, s:b}}, s:{}}}", "input", "identifier",
                     "emailAddress", spam, "onCreate", "fullName", "Spam", "email", "email", spam,
                     "isVerified", 0, "onUpdate"));
    copy_id(w->spam, r, "data.upsertCustomer.customer.id");
    json_decref(r);
    json_decref(ok(f, w->auth,
                   "mutation m($i: MarkCustomerAsSpamInput!) { markCustomerAsSpam(input: $i) {"
                   " error { code } } }",
                   json_pack("{s:{s:s}}", "i", "customerId", w->spam)));
    r = ok(f, w->auth,
           "mutation g($i: CreateCustomerGroupInput!) { createCustomerGroup(input: $i) {"
           " customerGroup { id } error { code } } }",
           json_pack("{s:{s:s, s:s, s:s, s:s}}", "i", "name", is_a ? "A VIPs" : "B VIPs", "key",
                     is_a ? A_GKEY : "b-vip", "color", "#ff0000", "externalId",
                     is_a ? A_GEXT : "ext-group-b"));
    copy_id(w->group, r, "data.createCustomerGroup.customerGroup.id");
    json_decref(r);
    r = ok(f, w->auth,
           "mutation t($i: CreateWebhookTargetInput!) { createWebhookTarget(input: $i) {"
           " webhookTarget { id } error { code } } }",
           json_pack("{s:{s:s, s:[{s:s},{s:s},{s:s},{s:s}], s:b, s:s}}", "i", "url",
                     is_a ? A_URL : "https://b-corp.example/hook", "eventSubscriptions",
                     "eventType", "customer.customer_created", "eventType",
                     "customer.customer_updated", "eventType", "customer.customer_deleted",
                     "eventType", "customer.customer_group_memberships_changed", "isEnabled", 1,
                     "description", is_a ? "A's hook" : "B's hook"));
    copy_id(w->target, r, "data.createWebhookTarget.webhookTarget.id");
    json_decref(r);
    /* events for the target: a membership change and an update */
    json_decref(ok(f, w->auth,
                   "mutation a($i: AddCustomerToCustomerGroupsInput!) {"
                   " addCustomerToCustomerGroups(input: $i) { error { code } } }",
                   json_pack("{s:{s:s, s:[{s:s}]}}", "i", "customerId", w->cust,
                             "customerGroupIdentifiers", "customerGroupId", w->group)));
    json_decref(ok(f, w->auth,
                   "mutation { regenerateWorkspaceHmac { workspaceHmac { hmacSecret } } }", NULL));
    r = ok(f, w->auth,
           "query d($t: ID!) { hookdWebhookDeliveries(webhookTargetId: $t) { edges { node {"
           " eventId } } } }",
           json_pack("{s:s}", "t", w->target));
    copy_id(w->event, r, "data.hookdWebhookDeliveries.edges.0.node.eventId");
    json_decref(r);
    record_attempts(f, is_a);
}

static void boot(fx *f, wsp *w, const char *name)
{
    hk_error err;
    assert_int_equal(hk_workspace_bootstrap(f->env->store, name, &w->boot, &err), HK_OK);
    assert_int_equal(
        hk_auth_api_key(f->env->store, w->boot.api_key, strlen(w->boot.api_key), &w->ctx, &err),
        HK_OK);
    snprintf(w->auth, sizeof w->auth, "Bearer %s", w->boot.api_key);
}

static fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);
    hk_error err;
    assert_non_null(f);
    f->env = test_env_new();
    assert_non_null(f->env);
    assert_int_equal(api_new(f->env->store, &f->api, &err), HK_OK);
    boot(f, &f->a, "Workspace A");
    boot(f, &f->b, "Workspace B");
    populate(f, &f->a, true);
    populate(f, &f->b, false);
    return f;
}

static void fx_free(fx *f)
{
    api_free(f->api);
    test_env_free(f->env);
    free(f);
}

/* Everything of A, read with A's key: a change anywhere changes the text. */
static char *snapshot_a(fx *f)
{
    static const char *const doc =
        "query s($t: ID!) { myWorkspace { id name } customers(first: 100) { edges { node {"
        " id externalId fullName shortName email { email isVerified verifiedAt { iso8601 } }"
        " markedAsSpamAt { iso8601 } updatedAt { unixTimestamp } customerGroupMemberships {"
        " edges { node { customerGroup { id key } updatedAt { unixTimestamp } } } } } } }"
        " customerGroups(first: 100) { edges { node { id name key color externalId"
        " updatedAt { unixTimestamp } } } } webhookTargets(first: 100) { edges { node { id url"
        " isEnabled description version updatedAt { unixTimestamp } eventSubscriptions {"
        " eventType } } } } workspaceHmac { hmacSecret updatedAt { unixTimestamp } }"
        " hookdWebhookDeliveries(webhookTargetId: $t, first: 100) { edges { node { eventId"
        " eventType status attemptCount nextAttemptAt { unixTimestamp } updatedAt {"
        " unixTimestamp } attempts { id } } } } }";
    json_t *r = ok(f, f->a.auth, doc, json_pack("{s:s}", "t", f->a.target));
    char *text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(r);
    return text;
}

/* ---- isolation -------------------------------------------------------------- */

/*
 * Variables templates: @C@ A's customer, @S@ A's spam-marked customer, @G@
 * A's group, @T@ A's target, @EV@ an event of A, @E@ / @X@ A's customer's
 * email / external id, @K@ / @GX@ A's group key / external id; @BC@, @BG@,
 * @BT@, @BEV@ B's own customer, group, target and event.
 */
typedef struct iso_case {
    const char *op;
    const char *doc;
    const char *vars;
} iso_case;

#define ERR " error { __typename type code message fields { field message type } }"

static const iso_case iso_cases[] = {
    {"myWorkspace", "{ myWorkspace { id name publicName } }", NULL},
    {"customer", "query q($id: ID!) { customer(customerId: $id) { id fullName } }",
     "{\"id\":\"@C@\"}"},
    {"customer", "query q($id: ID!) { customer(customerId: $id) { id fullName } }",
     "{\"id\":\"@S@\"}"},
    {"customers",
     "{ customers(first: 100) { edges { node { id email { email } externalId } } pageInfo {"
     " hasNextPage } totalCount } }",
     NULL},
    {"customers",
     "query q($g: [ID!]) { customers(filters: { customerGroupIds: $g }) { edges { node { id } }"
     " totalCount } }",
     "{\"g\":[\"@G@\"]}"},
    {"customers",
     "query q($k: [String!]) { customers(filters: { customerGroupKeys: $k }) { edges { node {"
     " id } } totalCount } }",
     "{\"k\":[\"@K@\"]}"},
    {"customers",
     "query q($a: String) { customers(first: 5, after: $a) { edges { node { id } } } }",
     "{\"a\":\"@C@\"}"},
    {"customers",
     "{ customers(filters: { isMarkedAsSpam: true }) { edges { node { id } } totalCount } }", NULL},
    {"customers",
     "{ customers(sortBy: { field: FULL_NAME, direction: ASC }, first: 100) { edges { cursor node {"
     " id fullName } } pageInfo { hasNextPage } totalCount } }",
     NULL},
    /* a sorted list's cursor holds a position: A's customer's name and id */
    {"customers",
     "query q($a: String) { customers(sortBy: { field: FULL_NAME, direction: ASC }, first: 5,"
     " after: $a) { edges { node { id fullName } } pageInfo { hasPreviousPage } } }",
     "{\"a\":\"fn1.@C@.QWxpY2UgQQ\"}"},
    {"customerByEmail", "query q($e: String!) { customerByEmail(email: $e) { id } }",
     "{\"e\":\"@E@\"}"},
    {"customerByEmail", "query q($e: String!) { customerByEmail(email: $e) { id } }",
     "{\"e\":\"@EU@\"}"},
    {"customerByExternalId", "query q($x: ID!) { customerByExternalId(externalId: $x) { id } }",
     "{\"x\":\"@X@\"}"},
    {"customerGroup", "query q($id: ID!) { customerGroup(customerGroupId: $id) { id key name } }",
     "{\"id\":\"@G@\"}"},
    {"customerGroups", "{ customerGroups(first: 100) { edges { node { id key externalId } } } }",
     NULL},
    {"webhookVersions", "{ webhookVersions { edges { node { version isLatest } } } }", NULL},
    {"webhookTarget",
     "query q($id: ID!) { webhookTarget(webhookTargetId: $id) { id url description } }",
     "{\"id\":\"@T@\"}"},
    {"webhookTargets", "{ webhookTargets { edges { node { id url description } } } }", NULL},
    {"workspaceHmac", "{ workspaceHmac { hmacSecret } }", NULL},
    {"hookdWebhookDeliveries",
     "query q($t: ID!) { hookdWebhookDeliveries(webhookTargetId: $t) { edges { node { eventId"
     " status attempts { id } } } } }",
     "{\"t\":\"@T@\"}"},
    {"hookdWebhookDeliveries",
     "query q($t: ID!) { hookdWebhookDeliveries(webhookTargetId: $t) { edges { node { eventId"
     " attempts { id requestHeaders { name value masked } } } } } }",
     "{\"t\":\"@T@\"}"},
    {"hookdEvent",
     "query q($e: ID!) { hookdEvent(eventId: $e) { id eventType customerId payload timestamp {"
     " iso8601 } deliveries { webhookTargetId status attempts { id requestHeaders { name value"
     " } } } } }",
     "{\"e\":\"@EV@\"}"},
    {"hookdEvents",
     "query q($c: ID!) { hookdEvents(customerId: $c) { edges { cursor node { id payload } }"
     " pageInfo { hasNextPage } } }",
     "{\"c\":\"@C@\"}"},
    /* B's own customer, paged from A's event: B's events, as from a ghost */
    {"hookdEvents",
     "query q($c: ID!, $a: String) { hookdEvents(customerId: $c, first: 1, after: $a) { edges {"
     " node { id eventType } } } }",
     "{\"c\":\"@BC@\",\"a\":\"@EV@\"}"},
    {"upsertCustomer",
     "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result customer { id"
     " fullName email { email } } " ERR " } }",
     "{\"i\":{\"identifier\":{\"customerId\":\"@C@\"},\"onCreate\":{\"fullName\":\"X\","
     "\"email\":{\"email\":\"x@b.example\",\"isVerified\":false}},\"onUpdate\":{\"fullName\":"
     "{\"value\":\"Hijacked\"}}}}"},
    {"upsertCustomer",
     "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result customer { id"
     " fullName email { email } externalId } " ERR " } }",
     "{\"i\":{\"identifier\":{\"emailAddress\":\"@E@\"},\"onCreate\":{\"fullName\":\"Mine\","
     "\"email\":{\"email\":\"@E@\",\"isVerified\":false}},\"onUpdate\":{\"fullName\":"
     "{\"value\":\"Hijacked\"}}}}"},
    {"upsertCustomer",
     "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result customer { id"
     " fullName externalId } " ERR " } }",
     "{\"i\":{\"identifier\":{\"externalId\":\"@X@\"},\"onCreate\":{\"fullName\":\"Mine\","
     "\"externalId\":\"@X@\",\"email\":{\"email\":\"new@b.example\",\"isVerified\":false}},"
     "\"onUpdate\":{\"fullName\":{\"value\":\"Hijacked\"}}}}"},
    {"upsertCustomer",
     "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result customer { id"
     " email { email } } " ERR " } }",
     "{\"i\":{\"identifier\":{\"customerId\":\"@BC@\"},\"onCreate\":{\"fullName\":\"X\","
     "\"email\":{\"email\":\"x@b.example\",\"isVerified\":false}},\"onUpdate\":{\"email\":"
     "{\"email\":\"@E@\",\"isVerified\":false},\"externalId\":{\"value\":\"@X@\"}}}}"},
    {"deleteCustomer",
     "mutation m($i: DeleteCustomerInput!) { deleteCustomer(input: $i) { " ERR " } }",
     "{\"i\":{\"customerId\":\"@C@\"}}"},
    {"markCustomerAsSpam",
     "mutation m($i: MarkCustomerAsSpamInput!) { markCustomerAsSpam(input: $i) { customer { id"
     " } " ERR " } }",
     "{\"i\":{\"customerId\":\"@C@\"}}"},
    {"markCustomerAsSpam",
     "mutation m($i: MarkCustomerAsSpamInput!) { markCustomerAsSpam(input: $i) { customer { id"
     " } " ERR " } }",
     "{\"i\":{\"customerId\":\"@S@\"}}"},
    {"unmarkCustomerAsSpam",
     "mutation m($i: UnmarkCustomerAsSpamInput!) { unmarkCustomerAsSpam(input: $i) { customer {"
     " id } " ERR " } }",
     "{\"i\":{\"customerId\":\"@S@\"}}"},
    {"unmarkCustomerAsSpam",
     "mutation m($i: UnmarkCustomerAsSpamInput!) { unmarkCustomerAsSpam(input: $i) { customer {"
     " id } " ERR " } }",
     "{\"i\":{\"customerId\":\"@C@\"}}"},
    {"createCustomerGroup",
     "mutation m($i: CreateCustomerGroupInput!) { createCustomerGroup(input: $i) {"
     " customerGroup { id key externalId } " ERR " } }",
     "{\"i\":{\"name\":\"Mine\",\"key\":\"@K@\",\"color\":\"#00ff00\",\"externalId\":\"@GX@\"}}"},
    {"updateCustomerGroup",
     "mutation m($i: UpdateCustomerGroupInput!) { updateCustomerGroup(input: $i) {"
     " customerGroup { id name } " ERR " } }",
     "{\"i\":{\"customerGroupId\":\"@G@\",\"name\":{\"value\":\"Hijacked\"}}}"},
    {"updateCustomerGroup",
     "mutation m($i: UpdateCustomerGroupInput!) { updateCustomerGroup(input: $i) {"
     " customerGroup { id key } " ERR " } }",
     "{\"i\":{\"customerGroupId\":\"@BG@\",\"key\":{\"value\":\"@K@\"}}}"},
    {"deleteCustomerGroup",
     "mutation m($i: DeleteCustomerGroupInput!) { deleteCustomerGroup(input: $i) { " ERR " } }",
     "{\"i\":{\"customerGroupId\":\"@G@\"}}"},
    {"addCustomerToCustomerGroups",
     "mutation m($i: AddCustomerToCustomerGroupsInput!) { addCustomerToCustomerGroups(input: $i)"
     " { customerGroupMemberships { customerId customerGroup { id } } " ERR " } }",
     "{\"i\":{\"customerId\":\"@C@\",\"customerGroupIdentifiers\":[{\"customerGroupId\":"
     "\"@BG@\"}]}}"},
    {"addCustomerToCustomerGroups",
     "mutation m($i: AddCustomerToCustomerGroupsInput!) { addCustomerToCustomerGroups(input: $i)"
     " { customerGroupMemberships { customerId customerGroup { id } } " ERR " } }",
     "{\"i\":{\"customerId\":\"@BC@\",\"customerGroupIdentifiers\":[{\"customerGroupId\":"
     "\"@G@\"}]}}"},
    {"addCustomerToCustomerGroups",
     "mutation m($i: AddCustomerToCustomerGroupsInput!) { addCustomerToCustomerGroups(input: $i)"
     " { customerGroupMemberships { customerId customerGroup { id } } " ERR " } }",
     "{\"i\":{\"customerId\":\"@BC@\",\"customerGroupIdentifiers\":[{\"customerGroupKey\":"
     "\"@K@\"}]}}"},
    {"removeCustomerFromCustomerGroups",
     "mutation m($i: RemoveCustomerFromCustomerGroupsInput!) {"
     " removeCustomerFromCustomerGroups(input: $i) { " ERR " } }",
     "{\"i\":{\"customerId\":\"@C@\",\"customerGroupIdentifiers\":[{\"customerGroupId\":"
     "\"@G@\"}]}}"},
    {"removeCustomerFromCustomerGroups",
     "mutation m($i: RemoveCustomerFromCustomerGroupsInput!) {"
     " removeCustomerFromCustomerGroups(input: $i) { " ERR " } }",
     "{\"i\":{\"customerId\":\"@BC@\",\"customerGroupIdentifiers\":[{\"customerGroupId\":"
     "\"@G@\"}]}}"},
    {"createWebhookTarget",
     "mutation m($i: CreateWebhookTargetInput!) { createWebhookTarget(input: $i) {"
     " webhookTarget { id url } " ERR " } }",
     "{\"i\":{\"url\":\"https://b-corp.example/new\",\"eventSubscriptions\":[],\"isEnabled\":"
     "true,\"description\":\"\"}}"},
    {"updateWebhookTarget",
     "mutation m($i: UpdateWebhookTargetInput!) { updateWebhookTarget(input: $i) {"
     " webhookTarget { id url } " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"url\":{\"value\":\"https://evil.example/\"}}}"},
    {"deleteWebhookTarget",
     "mutation m($i: DeleteWebhookTargetInput!) { deleteWebhookTarget(input: $i) { " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\"}}"},
    {"regenerateWorkspaceHmac",
     "mutation { regenerateWorkspaceHmac { workspaceHmac { hmacSecret } " ERR " } }", NULL},
    {"hookdResendWebhookEvent",
     "mutation m($i: HookdResendWebhookEventInput!) { hookdResendWebhookEvent(input: $i) { " ERR
     " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"eventId\":\"@EV@\"}}"},
    {"hookdResendWebhookEvent",
     "mutation m($i: HookdResendWebhookEventInput!) { hookdResendWebhookEvent(input: $i) { " ERR
     " } }",
     "{\"i\":{\"webhookTargetId\":\"@BT@\",\"eventId\":\"@EV@\"}}"},
    {"hookdResendWebhookEvent",
     "mutation m($i: HookdResendWebhookEventInput!) { hookdResendWebhookEvent(input: $i) { " ERR
     " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"eventId\":\"@BEV@\"}}"},
    {"hookdResendFailedWebhookDeliveries",
     "mutation m($i: HookdResendFailedWebhookDeliveriesInput!) {"
     " hookdResendFailedWebhookDeliveries(input: $i) { count " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"since\":\"2000-01-01T00:00:00.000Z\"}}"},
    {"hookdSendTestWebhookEvent",
     "mutation m($i: HookdSendTestWebhookEventInput!) { hookdSendTestWebhookEvent(input: $i) {"
     " eventId " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\"}}"},
    {"hookdUpdateWebhookTargetDelivery",
     "mutation m($i: HookdUpdateWebhookTargetDeliveryInput!) {"
     " hookdUpdateWebhookTargetDelivery(input: $i) { webhookTarget { id } " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"orderedByCustomer\":true,"
     "\"maxRequestsPerSecond\":5}}"},
};

/* A value of A and what it becomes in the ghost run. */
typedef struct subst {
    const char *token;
    char a[128];
    char ghost[128];
} subst;

#define NSUBST 13

static void make_substs(fx *f, subst s[NSUBST], const char ghost_ids[6][HK_ID_MAX])
{
    subst t[NSUBST] = {
        {"@C@", "", ""},
        {"@S@", "", ""},
        {"@G@", "", ""},
        {"@T@", "", ""},
        {"@EV@", "", ""},
        {"@E@", A_EMAIL, GHOST_EMAIL},
        {"@X@", A_EXT, GHOST_EXT},
        {"@K@", A_GKEY, GHOST_GKEY},
        {"@GX@", A_GEXT, GHOST_GEXT},
        {"@EU@", "ALICE@A-CORP.EXAMPLE", "NOBODY@GHOST.EXAMPLE"},
        {"@W@", "", ""},
        {"@MU@", "", ""},
        {"a-corp.example", "a-corp.example", "ghost.example"},
    };
    const char *ids[] = {f->a.cust, f->a.spam, f->a.group, f->a.target, f->a.event};
    for (int i = 0; i < 5; i++) {
        snprintf(t[i].a, sizeof t[i].a, "%s", ids[i]);
        snprintf(t[i].ghost, sizeof t[i].ghost, "%s", ghost_ids[i]);
    }
    snprintf(t[10].a, sizeof t[10].a, "%s", f->a.boot.workspace_id);
    snprintf(t[10].ghost, sizeof t[10].ghost, "%s", ghost_ids[5]);
    snprintf(t[11].a, sizeof t[11].a, "%s", f->a.boot.machine_user_id);
    snprintf(t[11].ghost, sizeof t[11].ghost, "%s", ghost_ids[5]);
    memcpy(s, t, sizeof t);
}

/* Replaces every occurrence of `from` with `to` in a malloc'd string. */
static char *replace_all(char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    if (fl == 0)
        return s;
    for (char *p = strstr(s, from); p; p = strstr(p + tl, from)) {
        size_t off = (size_t)(p - s), len = strlen(s);
        char *n = malloc(len - fl + tl + 1);
        assert_non_null(n);
        memcpy(n, s, off);
        memcpy(n + off, to, tl);
        memcpy(n + off + tl, s + off + fl, len - off - fl + 1);
        free(s);
        s = n;
        p = s + off;
    }
    return s;
}

static char *fill(const char *tmpl, fx *f, const subst *s, bool use_a)
{
    char *v = strdup(tmpl);
    v = replace_all(v, "@BC@", f->b.cust);
    v = replace_all(v, "@BG@", f->b.group);
    v = replace_all(v, "@BT@", f->b.target);
    v = replace_all(v, "@BEV@", f->b.event);
    for (int i = 0; i < NSUBST; i++)
        if (s[i].token[0] == '@')
            v = replace_all(v, s[i].token, use_a ? s[i].a : s[i].ghost);
    return v;
}

static bool crockford(char c)
{
    return (c >= '0' && c <= '9') ||
           (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
}

/* Masks what differs between two fresh stores by construction: ids (their
 * ULIDs), timestamps, cursors and random secrets. */
static void mask_string(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + 27 <= n; i++) {
        if (s[i] != '_' || i == 0 || !isalpha((unsigned char)s[i - 1]))
            continue;
        size_t k = 0;
        while (k < 26 && i + 1 + k < n && crockford(s[i + 1 + k]))
            k++;
        if (k == 26)
            memset(s + i + 1, '#', 26);
    }
}

static void mask(json_t *v)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val)
        {
            if (json_is_string(val) && (!strcmp(key, "iso8601") || !strcmp(key, "unixTimestamp") ||
                                        !strcmp(key, "cursor") || !strcmp(key, "startCursor") ||
                                        !strcmp(key, "endCursor") || !strcmp(key, "hmacSecret")))
                json_object_set_new(v, key, json_string("<masked>"));
            else
                mask(val);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *val;
        json_array_foreach(v, i, val) mask(val);
    } else if (json_is_string(v)) {
        char *s = strdup(json_string_value(v));
        mask_string(s);
        json_string_set(v, s);
        free(s);
    }
}

typedef struct run_out {
    int status;
    char *masked;
    char *raw;
} run_out;

/* One run in a fresh fixture: B sends the case; A's state must not move. */
static run_out run_case(const iso_case *c, bool use_a, bool as_owner,
                        const char ghost_ids[6][HK_ID_MAX], int *checks)
{
    fx *f = fx_new();
    subst s[NSUBST];
    make_substs(f, s, ghost_ids);
    char *before = snapshot_a(f);
    json_t *vars = NULL;
    char *vtext = c->vars ? fill(c->vars, f, s, use_a) : NULL;
    if (vtext) {
        vars = json_loads(vtext, 0, NULL);
        assert_non_null(vars);
    }
    run_out o;
    json_t *r = send_raw(f, as_owner ? f->a.auth : f->b.auth, c->doc, vars, &o.status, &o.raw);
    json_decref(vars);
    if (as_owner) {
        /* the control run: A's own key gets a valid answer (so the document
         * is valid and the case tests something) */
        if (o.status != 200 || json_object_get(r, "errors"))
            SEC_FAIL("control %s as A: HTTP %d %s", c->op, o.status, o.raw);
    }
    char *after = as_owner ? strdup(before) : snapshot_a(f);
    if (strcmp(before, after) != 0)
        SEC_FAIL("%s (%s values) changed workspace A:\nbefore %s\nafter  %s", c->op,
                 use_a ? "A's" : "ghost", before, after);
    (*checks)++;
    if (use_a && !as_owner) {
        /* no value of A that B did not send itself */
        for (int i = 0; i < NSUBST; i++) {
            if (!s[i].a[0] || (vtext && strstr(vtext, s[i].a)))
                continue;
            if (strstr(o.raw, s[i].a))
                SEC_FAIL("%s leaks %s (%s) to B: %s", c->op, s[i].token, s[i].a, o.raw);
        }
        if (strstr(o.raw, "hook-pass"))
            SEC_FAIL("%s leaks A's URL credentials: %s", c->op, o.raw);
        (*checks)++;
    }
    /* A's values read as the ghost values, then the fixture-specific parts masked */
    char *text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(r);
    if (use_a)
        for (int i = 0; i < NSUBST; i++)
            if (s[i].a[0])
                text = replace_all(text, s[i].a, s[i].ghost);
    json_t *again = json_loads(text, 0, NULL);
    free(text);
    mask(again);
    o.masked = json_dumps(again, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(again);
    free(before);
    free(after);
    free(vtext);
    fx_free(f);
    return o;
}

static void test_isolation(void **state)
{
    op_list ops;
    served_ops(&ops);
    assert_true(ops.n >= 25);
    char ghost_ids[6][HK_ID_MAX];
    static const hk_id_kind kinds[6] = {HK_ID_CUSTOMER,       HK_ID_CUSTOMER, HK_ID_CUSTOMER_GROUP,
                                        HK_ID_WEBHOOK_TARGET, HK_ID_EVENT,    HK_ID_WORKSPACE};
    for (int i = 0; i < 6; i++)
        assert_int_equal(hk_id_new(kinds[i], ghost_ids[i]), HK_OK);
    size_t ncases = sizeof iso_cases / sizeof iso_cases[0];
    for (size_t o = 0; o < ops.n; o++) {
        int checks = 0, cases = 0;
        for (size_t i = 0; i < ncases; i++) {
            const iso_case *c = &iso_cases[i];
            if (strcmp(c->op, ops.names[o]) != 0)
                continue;
            snprintf(case_label, sizeof case_label, "isolation: %s %s",
                     ops.is_mutation[o] ? "mutation" : "query", ops.names[o]);
            cases++;
            run_out real = run_case(c, true, false, ghost_ids, &checks);
            run_out ghost = run_case(c, false, false, ghost_ids, &checks);
            run_out owner = run_case(c, true, true, ghost_ids, &checks);
            if (real.status != ghost.status || strcmp(real.masked, ghost.masked) != 0)
                SEC_FAIL("%s: B can tell A's entity from a missing one:\n A's: %d %s\n"
                         " ghost: %d %s",
                         c->op, real.status, real.masked, ghost.status, ghost.masked);
            checks++;
            /* a case naming A's entities must matter to A itself: its owner
             * sees something other than what a stranger sees */
            if (c->vars && strchr(c->vars, '@')) {
                if (strcmp(owner.masked, ghost.masked) == 0)
                    SEC_FAIL("%s: case proves nothing, A's own answer is the ghost's: %s", c->op,
                             owner.masked);
                checks++;
            }
            free(owner.masked);
            free(owner.raw);
            free(real.masked);
            free(real.raw);
            free(ghost.masked);
            free(ghost.raw);
        }
        if (cases == 0)
            SEC_FAIL("served operation %s has no isolation case", ops.names[o]);
        printf("RELIABILITY|security|isolation: %s %s|cases=%d checks=%d|ok\n",
               ops.is_mutation[o] ? "mutation" : "query", ops.names[o], cases, checks);
    }
    /* every case names a served operation */
    for (size_t i = 0; i < ncases; i++) {
        bool found = false;
        for (size_t o = 0; o < ops.n; o++)
            found = found || strcmp(iso_cases[i].op, ops.names[o]) == 0;
        if (!found)
            SEC_FAIL("isolation case for %s, which is not served", iso_cases[i].op);
    }
}

/* ---- permissions ------------------------------------------------------------ */

typedef struct perm_case {
    const char *op;
    uint32_t perm; /* 0: no permission needed (a static catalog) */
    const char *doc;
    const char *vars; /* tokens of A's entities: the key is A's */
} perm_case;

/* A case whose document needs `also` besides c.perm: the key without c.perm
 * keeps it, the key with c.perm gets it too. */
typedef struct perm_case_also {
    perm_case c;
    uint32_t also;
} perm_case_also;

/* Memberships: with group keys and names, they need customerGroupMembership:read wherever they
 * are read, whatever permission brought the customer. */
#define MEMBERSHIPS " customerGroupMemberships { edges { node { customerGroup { id key name } } } }"

static const perm_case perm_cases[] = {
    {"myWorkspace", HK_PERM_WORKSPACE_READ, "{ myWorkspace { id } }", NULL},
    {"customer", HK_PERM_CUSTOMER_READ, "query q($id: ID!) { customer(customerId: $id) { id } }",
     "{\"id\":\"@C@\"}"},
    {"customers", HK_PERM_CUSTOMER_READ, "{ customers { edges { node { id } } } }", NULL},
    {"customerByEmail", HK_PERM_CUSTOMER_READ,
     "query q($e: String!) { customerByEmail(email: $e) { id } }", "{\"e\":\"@E@\"}"},
    {"customerByExternalId", HK_PERM_CUSTOMER_READ,
     "query q($x: ID!) { customerByExternalId(externalId: $x) { id } }", "{\"x\":\"@X@\"}"},
    {"customerGroup", HK_PERM_CUSTOMER_GROUP_READ,
     "query q($id: ID!) { customerGroup(customerGroupId: $id) { id } }", "{\"id\":\"@G@\"}"},
    {"customerGroups", HK_PERM_CUSTOMER_GROUP_READ, "{ customerGroups { edges { node { id } } } }",
     NULL},
    {"webhookVersions", 0, "{ webhookVersions { edges { node { version } } } }", NULL},
    {"webhookTarget", HK_PERM_WEBHOOK_TARGET_READ,
     "query q($id: ID!) { webhookTarget(webhookTargetId: $id) { id } }", "{\"id\":\"@T@\"}"},
    {"webhookTargets", HK_PERM_WEBHOOK_TARGET_READ, "{ webhookTargets { edges { node { id } } } }",
     NULL},
    {"workspaceHmac", HK_PERM_WORKSPACE_HMAC_READ, "{ workspaceHmac { hmacSecret } }", NULL},
    {"hookdWebhookDeliveries", HK_PERM_WEBHOOK_TARGET_READ,
     "query q($t: ID!) { hookdWebhookDeliveries(webhookTargetId: $t) { edges { node { eventId } }"
     " } }",
     "{\"t\":\"@T@\"}"},
    {"hookdWebhookDeliveries", HK_PERM_WEBHOOK_TARGET_READ,
     "query q($t: ID!) { hookdWebhookDeliveries(webhookTargetId: $t) { edges { node { attempts {"
     " requestHeaders { name value masked } } } } } }",
     "{\"t\":\"@T@\"}"},
    {"hookdEvent", HK_PERM_CUSTOMER_READ,
     "query q($e: ID!) { hookdEvent(eventId: $e) { id eventType customerId } }",
     "{\"e\":\"@EV@\"}"},
    {"hookdEvents", HK_PERM_CUSTOMER_READ,
     "query q($c: ID!) { hookdEvents(customerId: $c) { edges { node { id } } } }",
     "{\"c\":\"@C@\"}"},
    {"upsertCustomer", HK_PERM_CUSTOMER_CREATE,
     "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result " ERR " } }",
     "{\"i\":{\"identifier\":{\"emailAddress\":\"new@a.example\"},\"onCreate\":{\"fullName\":"
     "\"N\",\"email\":{\"email\":\"new@a.example\",\"isVerified\":false}},\"onUpdate\":{}}}"},
    {"upsertCustomer", HK_PERM_CUSTOMER_EDIT,
     "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result " ERR " } }",
     "{\"i\":{\"identifier\":{\"customerId\":\"@C@\"},\"onCreate\":{\"fullName\":\"N\","
     "\"email\":{\"email\":\"n@a.example\",\"isVerified\":false}},\"onUpdate\":{\"fullName\":"
     "{\"value\":\"Renamed\"}}}}"},
    {"deleteCustomer", HK_PERM_CUSTOMER_DELETE,
     "mutation m($i: DeleteCustomerInput!) { deleteCustomer(input: $i) { " ERR " } }",
     "{\"i\":{\"customerId\":\"@C@\"}}"},
    {"markCustomerAsSpam", HK_PERM_CUSTOMER_EDIT,
     "mutation m($i: MarkCustomerAsSpamInput!) { markCustomerAsSpam(input: $i) { " ERR " } }",
     "{\"i\":{\"customerId\":\"@C@\"}}"},
    {"unmarkCustomerAsSpam", HK_PERM_CUSTOMER_EDIT,
     "mutation m($i: UnmarkCustomerAsSpamInput!) { unmarkCustomerAsSpam(input: $i) { " ERR " } }",
     "{\"i\":{\"customerId\":\"@S@\"}}"},
    {"createCustomerGroup", HK_PERM_CUSTOMER_GROUP_CREATE,
     "mutation m($i: CreateCustomerGroupInput!) { createCustomerGroup(input: $i) { " ERR " } }",
     "{\"i\":{\"name\":\"New\",\"key\":\"new\",\"color\":\"#000000\"}}"},
    {"updateCustomerGroup", HK_PERM_CUSTOMER_GROUP_EDIT,
     "mutation m($i: UpdateCustomerGroupInput!) { updateCustomerGroup(input: $i) { " ERR " } }",
     "{\"i\":{\"customerGroupId\":\"@G@\",\"name\":{\"value\":\"Renamed\"}}}"},
    {"deleteCustomerGroup", HK_PERM_CUSTOMER_GROUP_DELETE,
     "mutation m($i: DeleteCustomerGroupInput!) { deleteCustomerGroup(input: $i) { " ERR " } }",
     "{\"i\":{\"customerGroupId\":\"@G2@\"}}"},
    {"addCustomerToCustomerGroups", HK_PERM_MEMBERSHIP_CREATE,
     "mutation m($i: AddCustomerToCustomerGroupsInput!) { addCustomerToCustomerGroups(input: $i)"
     " { " ERR " } }",
     "{\"i\":{\"customerId\":\"@S@\",\"customerGroupIdentifiers\":[{\"customerGroupId\":"
     "\"@G@\"}]}}"},
    {"removeCustomerFromCustomerGroups", HK_PERM_MEMBERSHIP_DELETE,
     "mutation m($i: RemoveCustomerFromCustomerGroupsInput!) {"
     " removeCustomerFromCustomerGroups(input: $i) { " ERR " } }",
     "{\"i\":{\"customerId\":\"@C@\",\"customerGroupIdentifiers\":[{\"customerGroupId\":"
     "\"@G@\"}]}}"},
    {"createWebhookTarget", HK_PERM_WEBHOOK_TARGET_CREATE,
     "mutation m($i: CreateWebhookTargetInput!) { createWebhookTarget(input: $i) { " ERR " } }",
     "{\"i\":{\"url\":\"https://a-corp.example/new\",\"eventSubscriptions\":[],\"isEnabled\":"
     "true,\"description\":\"\"}}"},
    {"updateWebhookTarget", HK_PERM_WEBHOOK_TARGET_EDIT,
     "mutation m($i: UpdateWebhookTargetInput!) { updateWebhookTarget(input: $i) { " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"description\":{\"value\":\"changed\"}}}"},
    {"deleteWebhookTarget", HK_PERM_WEBHOOK_TARGET_DELETE,
     "mutation m($i: DeleteWebhookTargetInput!) { deleteWebhookTarget(input: $i) { " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\"}}"},
    {"regenerateWorkspaceHmac", HK_PERM_WORKSPACE_HMAC_EDIT,
     "mutation { regenerateWorkspaceHmac { " ERR " } }", NULL},
    {"hookdResendWebhookEvent", HK_PERM_WEBHOOK_TARGET_EDIT,
     "mutation m($i: HookdResendWebhookEventInput!) { hookdResendWebhookEvent(input: $i) { " ERR
     " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"eventId\":\"@EV@\"}}"},
    {"hookdResendFailedWebhookDeliveries", HK_PERM_WEBHOOK_TARGET_EDIT,
     "mutation m($i: HookdResendFailedWebhookDeliveriesInput!) {"
     " hookdResendFailedWebhookDeliveries(input: $i) { count " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"since\":\"2000-01-01T00:00:00.000Z\"}}"},
    {"hookdSendTestWebhookEvent", HK_PERM_WEBHOOK_TARGET_EDIT,
     "mutation m($i: HookdSendTestWebhookEventInput!) { hookdSendTestWebhookEvent(input: $i) {"
     " eventId " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\"}}"},
    {"hookdUpdateWebhookTargetDelivery", HK_PERM_WEBHOOK_TARGET_EDIT,
     "mutation m($i: HookdUpdateWebhookTargetDeliveryInput!) {"
     " hookdUpdateWebhookTargetDelivery(input: $i) { " ERR " } }",
     "{\"i\":{\"webhookTargetId\":\"@T@\",\"maxRequestsPerSecond\":5}}"},
};

/* An event's payload is the customer with its memberships and their groups;
 * its deliveries are its targets'. */
static const perm_case_also event_cases[] = {
    {{"hookdEvent", HK_PERM_MEMBERSHIP_READ,
      "query q($e: ID!) { hookdEvent(eventId: $e) { id payload } }", "{\"e\":\"@EV@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_CUSTOMER_GROUP_READ},
    {{"hookdEvent", HK_PERM_CUSTOMER_GROUP_READ,
      "query q($e: ID!) { hookdEvent(eventId: $e) { id payload } }", "{\"e\":\"@EV@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_MEMBERSHIP_READ},
    {{"hookdEvents", HK_PERM_MEMBERSHIP_READ,
      "query q($c: ID!) { hookdEvents(customerId: $c) { edges { node { id payload } } } }",
      "{\"c\":\"@C@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_CUSTOMER_GROUP_READ},
    {{"hookdEvents", HK_PERM_CUSTOMER_GROUP_READ,
      "query q($c: ID!) { hookdEvents(customerId: $c) { edges { node { id payload } } } }",
      "{\"c\":\"@C@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_MEMBERSHIP_READ},
    {{"hookdEvent", HK_PERM_WEBHOOK_TARGET_READ,
      "query q($e: ID!) { hookdEvent(eventId: $e) { id deliveries { webhookTargetId attempts {"
      " requestHeaders { name value } } } } }",
      "{\"e\":\"@EV@\"}"},
     HK_PERM_CUSTOMER_READ},
};

static const perm_case_also membership_read_cases[] = {
    {{"customer", HK_PERM_MEMBERSHIP_READ,
      "query q($id: ID!) { customer(customerId: $id) { id" MEMBERSHIPS " } }", "{\"id\":\"@C@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_CUSTOMER_GROUP_READ},
    {{"customerByEmail", HK_PERM_MEMBERSHIP_READ,
      "query q($e: String!) { customerByEmail(email: $e) { id" MEMBERSHIPS " } }",
      "{\"e\":\"@E@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_CUSTOMER_GROUP_READ},
    {{"customerByExternalId", HK_PERM_MEMBERSHIP_READ,
      "query q($x: ID!) { customerByExternalId(externalId: $x) { id" MEMBERSHIPS " } }",
      "{\"x\":\"@X@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_CUSTOMER_GROUP_READ},
    {{"customers", HK_PERM_MEMBERSHIP_READ,
      "{ customers(first: 100) { edges { node { id" MEMBERSHIPS " } } } }", NULL},
     HK_PERM_CUSTOMER_READ | HK_PERM_CUSTOMER_GROUP_READ},
    /* a group filter answers "who is in this group" */
    {{"customers", HK_PERM_MEMBERSHIP_READ,
      "query q($g: [ID!]) { customers(filters: { customerGroupIds: $g }) { edges { node { id } } }"
      " }",
      "{\"g\":[\"@G@\"]}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_CUSTOMER_GROUP_READ},
    {{"customers", HK_PERM_MEMBERSHIP_READ,
      "query q($k: [String!]) { customers(filters: { customerGroupKeys: $k }) { edges { node { id"
      " } } } }",
      "{\"k\":[\"@K@\"]}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_CUSTOMER_GROUP_READ},
    /* mutations whose output reads memberships: refused before they write */
    {{"upsertCustomer", HK_PERM_MEMBERSHIP_READ,
      "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result customer { id"
      " ... on Customer {" MEMBERSHIPS " } } " ERR " } }",
      "{\"i\":{\"identifier\":{\"emailAddress\":\"new@a.example\"},\"onCreate\":{\"fullName\":"
      "\"N\",\"email\":{\"email\":\"new@a.example\",\"isVerified\":false}},\"onUpdate\":{}}}"},
     HK_PERM_CUSTOMER_CREATE | HK_PERM_CUSTOMER_GROUP_READ},
    {{"markCustomerAsSpam", HK_PERM_MEMBERSHIP_READ,
      "mutation m($i: MarkCustomerAsSpamInput!) { markCustomerAsSpam(input: $i) { ...O " ERR
      " } } fragment O on MarkCustomerAsSpamOutput { customer {" MEMBERSHIPS " } }",
      "{\"i\":{\"customerId\":\"@C@\"}}"},
     HK_PERM_CUSTOMER_EDIT | HK_PERM_CUSTOMER_GROUP_READ},
    {{"unmarkCustomerAsSpam", HK_PERM_MEMBERSHIP_READ,
      "mutation m($i: UnmarkCustomerAsSpamInput!) { unmarkCustomerAsSpam(input: $i) { customer "
      "{" MEMBERSHIPS " } " ERR " } }",
      "{\"i\":{\"customerId\":\"@S@\"}}"},
     HK_PERM_CUSTOMER_EDIT | HK_PERM_CUSTOMER_GROUP_READ},
    /* the output lists memberships: refused before anything is added */
    {{"addCustomerToCustomerGroups", HK_PERM_MEMBERSHIP_READ,
      "mutation m($i: AddCustomerToCustomerGroupsInput!) { addCustomerToCustomerGroups(input: $i)"
      " { customerGroupMemberships { customerId customerGroup { id key name } } " ERR " } }",
      "{\"i\":{\"customerId\":\"@S@\",\"customerGroupIdentifiers\":[{\"customerGroupId\":"
      "\"@G@\"}]}}"},
     HK_PERM_MEMBERSHIP_CREATE | HK_PERM_CUSTOMER_GROUP_READ},
};

/* A membership's group (key, name, colour) is a group read: customerGroup:read
 * besides customerGroupMembership:read, wherever the membership is read. */
static const perm_case_also group_read_cases[] = {
    {{"customer", HK_PERM_CUSTOMER_GROUP_READ,
      "query q($id: ID!) { customer(customerId: $id) { id" MEMBERSHIPS " } }", "{\"id\":\"@C@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_MEMBERSHIP_READ},
    {{"customerByEmail", HK_PERM_CUSTOMER_GROUP_READ,
      "query q($e: String!) { customerByEmail(email: $e) { id" MEMBERSHIPS " } }",
      "{\"e\":\"@E@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_MEMBERSHIP_READ},
    {{"customerByExternalId", HK_PERM_CUSTOMER_GROUP_READ,
      "query q($x: ID!) { customerByExternalId(externalId: $x) { id" MEMBERSHIPS " } }",
      "{\"x\":\"@X@\"}"},
     HK_PERM_CUSTOMER_READ | HK_PERM_MEMBERSHIP_READ},
    {{"customers", HK_PERM_CUSTOMER_GROUP_READ,
      "{ customers(first: 100) { edges { node { id" MEMBERSHIPS " } } } }", NULL},
     HK_PERM_CUSTOMER_READ | HK_PERM_MEMBERSHIP_READ},
    /* mutations whose output reads the memberships' groups: refused before they write */
    {{"upsertCustomer", HK_PERM_CUSTOMER_GROUP_READ,
      "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result customer { id"
      " ... on Customer {" MEMBERSHIPS " } } " ERR " } }",
      "{\"i\":{\"identifier\":{\"emailAddress\":\"new@a.example\"},\"onCreate\":{\"fullName\":"
      "\"N\",\"email\":{\"email\":\"new@a.example\",\"isVerified\":false}},\"onUpdate\":{}}}"},
     HK_PERM_CUSTOMER_CREATE | HK_PERM_MEMBERSHIP_READ},
    {{"markCustomerAsSpam", HK_PERM_CUSTOMER_GROUP_READ,
      "mutation m($i: MarkCustomerAsSpamInput!) { markCustomerAsSpam(input: $i) { ...O " ERR
      " } } fragment O on MarkCustomerAsSpamOutput { customer {" MEMBERSHIPS " } }",
      "{\"i\":{\"customerId\":\"@C@\"}}"},
     HK_PERM_CUSTOMER_EDIT | HK_PERM_MEMBERSHIP_READ},
    {{"unmarkCustomerAsSpam", HK_PERM_CUSTOMER_GROUP_READ,
      "mutation m($i: UnmarkCustomerAsSpamInput!) { unmarkCustomerAsSpam(input: $i) { customer "
      "{" MEMBERSHIPS " } " ERR " } }",
      "{\"i\":{\"customerId\":\"@S@\"}}"},
     HK_PERM_CUSTOMER_EDIT | HK_PERM_MEMBERSHIP_READ},
    /* the SDK's document: CustomerGroupMembershipParts reads customerGroup */
    {{"addCustomerToCustomerGroups", HK_PERM_CUSTOMER_GROUP_READ,
      "mutation m($i: AddCustomerToCustomerGroupsInput!) { addCustomerToCustomerGroups(input: $i)"
      " { customerGroupMemberships { ...P } " ERR " } } fragment P on CustomerGroupMembership {"
      " customerId customerGroup { id key name color } }",
      "{\"i\":{\"customerId\":\"@S@\",\"customerGroupIdentifiers\":[{\"customerGroupId\":"
      "\"@G@\"}]}}"},
     HK_PERM_MEMBERSHIP_CREATE | HK_PERM_MEMBERSHIP_READ},
};

static void key_with(fx *f, uint32_t perms, char auth[HK_API_KEY_BUF + 16])
{
    char key[HK_API_KEY_BUF];
    hk_error err;
    assert_int_equal(hk_api_key_create(&f->a.ctx, f->a.boot.machine_user_id, perms, key, &err),
                     HK_OK);
    snprintf(auth, HK_API_KEY_BUF + 16, "Bearer %s", key);
}

static json_t *perm_send(fx *f, const perm_case *c, const char *auth, const char *group2,
                         int *status, char **raw)
{
    json_t *vars = NULL;
    if (c->vars) {
        char *v = strdup(c->vars);
        v = replace_all(v, "@C@", f->a.cust);
        v = replace_all(v, "@S@", f->a.spam);
        v = replace_all(v, "@G@", f->a.group);
        v = replace_all(v, "@G2@", group2);
        v = replace_all(v, "@T@", f->a.target);
        v = replace_all(v, "@EV@", f->a.event);
        v = replace_all(v, "@E@", A_EMAIL);
        v = replace_all(v, "@X@", A_EXT);
        v = replace_all(v, "@K@", A_GKEY);
        vars = json_loads(v, 0, NULL);
        assert_non_null(vars);
        free(v);
    }
    json_t *r = send_raw(f, auth, c->doc, vars, status, raw);
    json_decref(vars);
    return r;
}

static void test_permissions(void **state)
{
    op_list ops;
    served_ops(&ops);
    /* every case, with what its document needs besides the permission checked */
    enum { NPLAIN = sizeof perm_cases / sizeof perm_cases[0] };
    enum { NALSO = sizeof membership_read_cases / sizeof membership_read_cases[0] };
    enum { NGROUP = sizeof group_read_cases / sizeof group_read_cases[0] };
    enum { NEVENT = sizeof event_cases / sizeof event_cases[0] };
    perm_case_also all[NPLAIN + NALSO + NGROUP + NEVENT];
    for (size_t i = 0; i < NPLAIN; i++)
        all[i] = (perm_case_also){perm_cases[i], 0};
    for (size_t i = 0; i < NALSO; i++)
        all[NPLAIN + i] = membership_read_cases[i];
    for (size_t i = 0; i < NGROUP; i++)
        all[NPLAIN + NALSO + i] = group_read_cases[i];
    for (size_t i = 0; i < NEVENT; i++)
        all[NPLAIN + NALSO + NGROUP + i] = event_cases[i];
    size_t ncases = NPLAIN + NALSO + NGROUP + NEVENT;
    for (size_t o = 0; o < ops.n; o++) {
        int checks = 0, cases = 0;
        const char *op = ops.names[o];
        char perms[256] = "";
        for (size_t i = 0; i < ncases; i++) {
            const perm_case *c = &all[i].c;
            if (strcmp(c->op, op) != 0)
                continue;
            snprintf(case_label, sizeof case_label, "permission enforced: %s", op);
            cases++;
            const char *pname = c->perm ? hk_permission_name((hk_permission)c->perm) : "none";
            assert_non_null(pname);
            if (!strstr(perms, pname))
                snprintf(perms + strlen(perms), sizeof perms - strlen(perms), "%s%s",
                         perms[0] ? "," : "", pname);
            fx *f = fx_new();
            /* a group without members, for deleteCustomerGroup */
            json_t *g = ok(f, f->a.auth,
                           "mutation { createCustomerGroup(input: { name: \"Empty\", key:"
                           " \"empty\", color: \"#111111\" }) { customerGroup { id } } }",
                           NULL);
            char group2[HK_ID_MAX];
            copy_id(group2, g, "data.createCustomerGroup.customerGroup.id");
            json_decref(g);
            char without[HK_API_KEY_BUF + 16], only[HK_API_KEY_BUF + 16];
            key_with(f, HK_PERM_ALL & ~c->perm, without);
            key_with(f, c->perm | all[i].also, only);
            int status;
            char *raw;
            json_t *r;
            if (c->perm) {
                char *before = snapshot_a(f);
                r = perm_send(f, c, without, group2, &status, &raw);
                if (ops.is_mutation[o]) {
                    char path[160];
                    snprintf(path, sizeof path, "data.%s.error.type", op);
                    if (status != 200 || strcmp(json_str_at(r, path), "FORBIDDEN") != 0)
                        SEC_FAIL("%s without %s: HTTP %d %s", op, pname, status, raw);
                    snprintf(path, sizeof path, "data.%s.error.code", op);
                    assert_string_equal(json_str_at(r, path), "forbidden");
                } else {
                    char path[160];
                    snprintf(path, sizeof path, "data.%s", op);
                    /* no data, data null (a non-null field refused), or the
                     * operation's field null */
                    json_t *data = json_at(r, "data");
                    if (status != 403 ||
                        strcmp(json_str_at(r, "errors.0.extensions.code"), "FORBIDDEN") != 0 ||
                        (data && !json_is_null(data) && !json_is_null(json_at(r, path))))
                        SEC_FAIL("%s without %s: HTTP %d %s", op, pname, status, raw);
                    /* nothing of the entity comes back with the refusal */
                    if (strstr(raw, f->a.cust) || strstr(raw, f->a.target) ||
                        strstr(raw, f->a.group) || strstr(raw, A_EMAIL))
                        SEC_FAIL("%s refusal carries data: %s", op, raw);
                }
                checks += 2;
                char *after = snapshot_a(f);
                if (strcmp(before, after) != 0)
                    SEC_FAIL("%s without %s changed the workspace", op, pname);
                checks++;
                free(before);
                free(after);
                free(raw);
                json_decref(r);
            } else {
                /* a key with no permission at all */
                key_with(f, 0, without);
                r = perm_send(f, c, without, group2, &status, &raw);
                if (status != 200 || json_at(r, "errors"))
                    SEC_FAIL("%s with no permission: HTTP %d %s", op, status, raw);
                checks++;
                free(raw);
                json_decref(r);
            }
            r = perm_send(f, c, only, group2, &status, &raw);
            char path[160];
            snprintf(path, sizeof path, "data.%s.error", op);
            if (status != 200 || json_at(r, "errors") || !json_is_object(json_at(r, "data")) ||
                json_is_null(json_at(r, "data")) ||
                (ops.is_mutation[o] && !json_is_null(json_at(r, path))))
                SEC_FAIL("%s with only %s: HTTP %d %s", op, pname, status, raw);
            checks++;
            free(raw);
            json_decref(r);
            fx_free(f);
        }
        if (cases == 0)
            SEC_FAIL("served operation %s has no permission case", op);
        printf("RELIABILITY|security|permission %s enforced: %s|checks=%d|ok\n", perms, op, checks);
    }
    for (size_t i = 0; i < ncases; i++) {
        bool found = false;
        for (size_t o = 0; o < ops.n; o++)
            found = found || strcmp(all[i].c.op, ops.names[o]) == 0;
        if (!found)
            SEC_FAIL("permission case for %s, which is not served", all[i].c.op);
    }
}

/* Without customerGroupMembership:read, Customer.customerGroupMemberships is
 * refused at its own path (FORBIDDEN, HTTP 403); being non-null, it nulls the
 * customer above it, and nothing else of the answer. */
static void test_membership_read_refusal_shape(void **state)
{
    fx *f = fx_new();
    snprintf(case_label, sizeof case_label, "memberships refused at their path");
    char auth[HK_API_KEY_BUF + 16];
    key_with(f, HK_PERM_ALL & ~(uint32_t)HK_PERM_MEMBERSHIP_READ, auth);
    char vars[128];
    snprintf(vars, sizeof vars, "{\"id\":\"%s\"}", f->a.cust);
    json_t *v = json_loads(vars, 0, NULL);
    int status;
    char *raw;
    json_t *r = send_raw(f, auth,
                         "query q($id: ID!) { plain: customer(customerId: $id) { id fullName }"
                         " grouped: customer(customerId: $id) { id customerGroupMemberships {"
                         " edges { node { customerGroup { key name } } } } } }",
                         v, &status, &raw);
    json_decref(v);
    if (status != 403 || json_array_size(json_at(r, "errors")) != 1 ||
        strcmp(json_str_at(r, "errors.0.extensions.code"), "FORBIDDEN") != 0 ||
        strcmp(json_str_at(r, "errors.0.path.0"), "grouped") != 0 ||
        strcmp(json_str_at(r, "errors.0.path.1"), "customerGroupMemberships") != 0 ||
        !json_is_null(json_at(r, "data.grouped")) ||
        strcmp(json_str_at(r, "data.plain.fullName"), "Alice A") != 0 || strstr(raw, A_GKEY) ||
        strstr(raw, "A VIPs"))
        SEC_FAIL("HTTP %d %s", status, raw);
    assert_non_null(strstr(json_str_at(r, "errors.0.message"), "customerGroupMembership:read"));
    free(raw);
    json_decref(r);
    printf("RELIABILITY|security|memberships without customerGroupMembership:read: FORBIDDEN at"
           " their path, the rest answered|checks=9|ok\n");
    fx_free(f);
}

/* Without customerGroup:read, CustomerGroupMembership.customerGroup is refused
 * at its own path (FORBIDDEN, HTTP 403), as Customer.customerGroupMemberships
 * is without customerGroupMembership:read: no group key or name comes back,
 * the memberships themselves (customer ids, times) still do. */
static void test_group_read_refusal_shape(void **state)
{
    fx *f = fx_new();
    snprintf(case_label, sizeof case_label, "membership groups refused at their path");
    char auth[HK_API_KEY_BUF + 16];
    key_with(f, HK_PERM_ALL & ~(uint32_t)HK_PERM_CUSTOMER_GROUP_READ, auth);
    char vars[256];
    snprintf(vars, sizeof vars, "{\"id\":\"%s\"}", f->a.cust);
    json_t *v = json_loads(vars, 0, NULL);
    int status;
    char *raw;
    json_t *r = send_raw(f, auth,
                         "query q($id: ID!) { plain: customer(customerId: $id) { id fullName"
                         " customerGroupMemberships { edges { node { customerId } } } }"
                         " grouped: customer(customerId: $id) { id customerGroupMemberships {"
                         " edges { node { customerId customerGroup { key name } } } } } }",
                         v, &status, &raw);
    json_decref(v);
    if (status != 403 || json_array_size(json_at(r, "errors")) != 1 ||
        strcmp(json_str_at(r, "errors.0.extensions.code"), "FORBIDDEN") != 0 ||
        strcmp(json_str_at(r, "errors.0.path.0"), "grouped") != 0 ||
        strcmp(json_str_at(r, "errors.0.path.1"), "customerGroupMemberships") != 0 ||
        strcmp(json_str_at(r, "errors.0.path.5"), "customerGroup") != 0 ||
        !json_is_null(json_at(r, "data.grouped")) ||
        strcmp(json_str_at(r, "data.plain.fullName"), "Alice A") != 0 ||
        strcmp(json_str_at(r, "data.plain.customerGroupMemberships.edges.0.node.customerId"),
               f->a.cust) != 0 ||
        strstr(raw, A_GKEY) || strstr(raw, "A VIPs"))
        SEC_FAIL("HTTP %d %s", status, raw);
    assert_non_null(strstr(json_str_at(r, "errors.0.message"), "customerGroup:read"));
    free(raw);
    json_decref(r);

    /* the SDK's addCustomerToCustomerGroups reads the groups it returns:
     * refused before anything is added */
    char *before = snapshot_a(f);
    snprintf(vars, sizeof vars,
             "{\"i\":{\"customerId\":\"%s\",\"customerGroupIdentifiers\":"
             "[{\"customerGroupId\":\"%s\"}]}}",
             f->a.spam, f->a.group);
    v = json_loads(vars, 0, NULL);
    assert_non_null(v);
    r = send_raw(f, auth,
                 "mutation m($i: AddCustomerToCustomerGroupsInput!) {"
                 " addCustomerToCustomerGroups(input: $i) { customerGroupMemberships {"
                 " customerId customerGroup { key name } } " ERR " } }",
                 v, &status, &raw);
    json_decref(v);
    if (status != 200 ||
        strcmp(json_str_at(r, "data.addCustomerToCustomerGroups.error.code"), "forbidden") != 0 ||
        !json_is_null(json_at(r, "data.addCustomerToCustomerGroups.customerGroupMemberships")) ||
        !strstr(json_str_at(r, "data.addCustomerToCustomerGroups.error.message"),
                "customerGroup:read") ||
        strstr(raw, A_GKEY))
        SEC_FAIL("HTTP %d %s", status, raw);
    char *after = snapshot_a(f);
    if (strcmp(before, after) != 0)
        SEC_FAIL("a refused addCustomerToCustomerGroups changed the workspace");
    free(before);
    free(after);
    free(raw);
    json_decref(r);
    printf("RELIABILITY|security|membership groups without customerGroup:read: FORBIDDEN at their"
           " path, the rest answered; mutations refused before writing|checks=14|ok\n");
    fx_free(f);
}

/* A key can never grant more than its creator holds, nor be read back. */
static void test_key_escalation(void **state)
{
    fx *f = fx_new();
    char auth[HK_API_KEY_BUF + 16], key[HK_API_KEY_BUF];
    key_with(f, HK_PERM_CUSTOMER_READ, auth);
    hk_ctx ro;
    hk_error err;
    const char *k = auth + 7;
    assert_int_equal(hk_auth_api_key(f->env->store, k, strlen(k), &ro, &err), HK_OK);
    assert_int_equal(hk_api_key_create(&ro, ro.actor.id, HK_PERM_ALL, key, &err), HK_EFORBIDDEN);
    assert_string_equal(key, "");
    assert_int_equal(hk_api_key_create(&ro, ro.actor.id,
                                       HK_PERM_CUSTOMER_READ | HK_PERM_WORKSPACE_READ, key, &err),
                     HK_EFORBIDDEN);
    /* unknown and foreign-shaped keys are UNAUTHENTICATED, not FORBIDDEN */
    int status;
    char *raw;
    json_t *r = send_raw(f, "Bearer hkey_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                         "{ myWorkspace { id } }", NULL, &status, &raw);
    assert_int_equal(status, 401);
    assert_string_equal(json_str_at(r, "errors.0.extensions.code"), "UNAUTHENTICATED");
    json_decref(r);
    free(raw);
    r = send_raw(f, NULL, "{ myWorkspace { id } }", NULL, &status, &raw);
    assert_int_equal(status, 401);
    json_decref(r);
    free(raw);
    printf("RELIABILITY|security|key cannot grant more than its creator; bad keys 401|checks=6|"
           "ok\n");
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isolation),
        cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_membership_read_refusal_shape),
        cmocka_unit_test(test_group_read_refusal_shape),
        cmocka_unit_test(test_key_escalation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
