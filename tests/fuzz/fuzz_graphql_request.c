/*
 * fuzz_graphql_request.c - libFuzzer target for a whole GraphQL request in
 * process: api_graphql() (src/api/api.h) with a valid Authorization and the
 * input as the HTTP body, on a real SQLite store. This fuzzes the JSON
 * envelope ({query, variables, operationName}), variable coercion, and the
 * resolvers down to the domain and the store.
 *
 * Set-up: a store in a temporary directory (not durable: no fsync), a
 * bootstrapped workspace, and one customer, customer group and webhook
 * target made through the API itself. Inputs may name those by the
 * placeholders @CUSTOMER_ID@, @GROUP_ID@ and @TARGET_ID@, replaced by their
 * ids before the call, so that the seeds (tests/fuzz/gen_corpus.mjs: what
 * Plain's SDK sends) reach the resolvers of existing entities, not only
 * "not found". A second workspace has a customer, a group and a target of
 * its own, every text of them holding MARKER; @OTHER_CUSTOMER_ID@,
 * @OTHER_GROUP_ID@ and @OTHER_TARGET_ID@ name them. The store is recreated
 * every STORE_RUNS inputs so that it stays small however many upserts the
 * fuzzer finds.
 *
 * Invariants: api_graphql answers HK_OK with a JSON object body and status
 * 200, 400 or 403 (never 401 with the valid key, never 500), with errors
 * when not 200 and no INTERNAL_SERVER_ERROR in any error; a body that is not
 * a JSON object with a string query is a 400. Workspace isolation: no id of
 * the other workspace (its entities, itself, its machine user) is the value
 * of an id field in a response's data, and every OTHER_CHECK_RUNS inputs
 * the other workspace's entities are read back unchanged with its own key.
 * Run with `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_env.h"
#include "graphql/graphql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define STORE_RUNS 20000
#define MARKER "zq9isolated"
#define OTHER_CHECK_RUNS 1000

static fuzz_env env;
static unsigned long runs;
static char customer_id[HK_ID_MAX], group_id[HK_ID_MAX], target_id[HK_ID_MAX];
/* Another workspace, whose entities carry MARKER in every text field. */
static char other_auth[HK_API_KEY_BUF + 16];
static char other_customer_id[HK_ID_MAX], other_group_id[HK_ID_MAX], other_target_id[HK_ID_MAX];
static char other_workspace_id[HK_ID_MAX], other_machine_user_id[HK_ID_MAX];
static const char *const other_ids[] = {other_customer_id, other_group_id, other_target_id,
                                        other_workspace_id, other_machine_user_id};

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_graphql_request: invariant broken: %s\n", what);
        __builtin_trap();
    }
}

/* Runs a set-up request and copies the id at `path` (a.b.c) of its data into `out`. */
static void setup_entity(const char *auth, const char *body, const char *path, char out[HK_ID_MAX])
{
    api_response r;
    if (api_graphql(env.api, auth, body, strlen(body), &r) || r.http_status != 200)
        fuzz_env_die("set-up request failed", NULL);
    json_t *root = json_loadb(r.body.data, r.body.len, 0, NULL);
    json_t *v = json_object_get(root, "data");
    char key[64];
    for (const char *p = path; v && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        v = json_object_get(v, key);
        p += n + (p[n] == '.');
    }
    if (!json_is_string(v)) {
        fprintf(stderr, "%.*s\n", (int)r.body.len, r.body.data);
        fuzz_env_die("set-up response has no id", NULL);
    }
    snprintf(out, HK_ID_MAX, "%s", json_string_value(v));
    json_decref(root);
    hk_buf_free(&r.body);
}

#define UPSERT_CUSTOMER(email, name)                                                               \
    "{\"query\":\"mutation($i:UpsertCustomerInput!){upsertCustomer(input:$i)"                      \
    "{customer{id}}}\",\"variables\":{\"i\":{\"identifier\":{\"emailAddress\":\"" email "\"},"     \
    "\"onCreate\":{\"fullName\":\"" name "\",\"externalId\":\"ext-fuzz\",\"email\":{\"email\":"    \
    "\"" email "\",\"isVerified\":true}},\"onUpdate\":{}}}}"
#define CREATE_GROUP(key)                                                                          \
    "{\"query\":\"mutation{createCustomerGroup(input:{name:\\\"" key "\\\",key:\\\"" key           \
    "\\\",color:\\\"#112233\\\"}){customerGroup{id}}}\"}"
#define CREATE_TARGET(host)                                                                        \
    "{\"query\":\"mutation{createWebhookTarget(input:{url:\\\"https://" host "/x\\\","             \
    "eventSubscriptions:[{eventType:\\\"customer.customer_created\\\"}],isEnabled:true,"           \
    "description:\\\"" host "\\\"}){webhookTarget{id}}}\"}"

static void open_env(void)
{
    fuzz_env_open(&env);
    setup_entity(env.auth, UPSERT_CUSTOMER("fuzz@example.com", "Fuzz"),
                 "upsertCustomer.customer.id", customer_id);
    setup_entity(env.auth, CREATE_GROUP("vip"), "createCustomerGroup.customerGroup.id", group_id);
    setup_entity(env.auth, CREATE_TARGET("hooks.example.com"),
                 "createWebhookTarget.webhookTarget.id", target_id);

    hk_bootstrap_result other;
    hk_error err;
    if (hk_workspace_bootstrap(env.store, MARKER, &other, &err))
        fuzz_env_die("bootstrap the other workspace", &err);
    snprintf(other_auth, sizeof other_auth, "Bearer %s", other.api_key);
    snprintf(other_workspace_id, sizeof other_workspace_id, "%s", other.workspace_id);
    snprintf(other_machine_user_id, sizeof other_machine_user_id, "%s", other.machine_user_id);
    setup_entity(other_auth, UPSERT_CUSTOMER(MARKER "@example.org", MARKER),
                 "upsertCustomer.customer.id", other_customer_id);
    setup_entity(other_auth, CREATE_GROUP(MARKER), "createCustomerGroup.customerGroup.id",
                 other_group_id);
    setup_entity(other_auth, CREATE_TARGET(MARKER ".example.org"),
                 "createWebhookTarget.webhookTarget.id", other_target_id);
}

/* The other workspace's entities are all still there, unchanged, whatever
 * the fuzzer's key did with their ids. */
static void check_other_workspace(void)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"query\":\"query($c:ID!,$g:ID!,$t:ID!){customer(customerId:$c){fullName "
             "email{email}} customerGroup(customerGroupId:$g){key} webhookTarget(webhookTargetId:"
             "$t){url description}}\",\"variables\":{\"c\":\"%s\",\"g\":\"%s\",\"t\":\"%s\"}}",
             other_customer_id, other_group_id, other_target_id);
    api_response r;
    check(api_graphql(env.api, other_auth, body, strlen(body), &r) == HK_OK && r.http_status == 200,
          "the other workspace still answers");
    json_t *res = json_loadb(r.body.data, r.body.len, 0, NULL);
    json_t *d = json_object_get(res, "data");
    const char *name =
        json_string_value(json_object_get(json_object_get(d, "customer"), "fullName"));
    const char *key =
        json_string_value(json_object_get(json_object_get(d, "customerGroup"), "key"));
    const char *desc =
        json_string_value(json_object_get(json_object_get(d, "webhookTarget"), "description"));
    check(name && strcmp(name, MARKER) == 0, "the other workspace's customer is untouched");
    check(key && strcmp(key, MARKER) == 0, "the other workspace's group is untouched");
    check(desc && strcmp(desc, MARKER ".example.org") == 0,
          "the other workspace's webhook target is untouched");
    json_decref(res);
    hk_buf_free(&r.body);
}

static void close_env(void)
{
    fuzz_env_close(&env);
}

/* At exit (the end of a fuzzing run or of a replay): the last isolation check. */
static void finish(void)
{
    check_other_workspace();
    close_env();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_env_quiet();
    open_env();
    check_other_workspace(); /* the check itself works */
    atexit(finish);
    return 0;
}

/* Whether `key` holds an id: "id", "...Id" (not "externalId": the client's
 * text), or a cursor (hookd's cursors are entity ids). */
static bool id_key(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    return n && strcmp(key, "externalId") != 0 &&
           (strcmp(key, "id") == 0 || (n > 2 && strcmp(key + n - 2, "Id") == 0) ||
            strstr(key, "ursor") != NULL);
}

/*
 * Workspace isolation: no id-valued field of the response's data holds an id
 * of the other workspace, whatever the request named. Only ids: text fields
 * hold what clients wrote, and the fuzzer may write the other ids there (the
 * placeholders are replaced anywhere), and errors may quote the request.
 */
static void check_ids(json_t *v, const char *key)
{
    if (json_is_string(v) && id_key(key)) {
        for (size_t i = 0; i < sizeof other_ids / sizeof other_ids[0]; i++)
            check(strcmp(json_string_value(v), other_ids[i]) != 0,
                  "no id of another workspace in the response");
    }
    for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it))
        check_ids(json_object_iter_value(it), json_object_iter_key(it));
    for (size_t i = 0; i < json_array_size(v); i++)
        check_ids(json_array_get(v, i), key);
}

/* The input with the placeholders of the seeds replaced by this run's ids (malloc'd). */
static char *substitute(const uint8_t *data, size_t size, size_t *len)
{
    const fuzz_sub subs[] = {
        {"@CUSTOMER_ID@", customer_id},       {"@GROUP_ID@", group_id},
        {"@TARGET_ID@", target_id},           {"@OTHER_CUSTOMER_ID@", other_customer_id},
        {"@OTHER_GROUP_ID@", other_group_id}, {"@OTHER_TARGET_ID@", other_target_id},
    };
    char *out = fuzz_substitute(data, size, subs, sizeof subs / sizeof subs[0], len);
    check(out != NULL, "memory");
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (++runs % STORE_RUNS == 0) {
        close_env();
        open_env();
    } else if (runs % OTHER_CHECK_RUNS == 0) {
        check_other_workspace();
    }
    size_t len = 0;
    char *body = substitute(data, size, &len);
    api_response r;
    check(api_graphql(env.api, env.auth, body ? body : "", len, &r) == HK_OK,
          "api_graphql answers");
    int s = r.http_status;
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_graphql_request: %d %.*s\n", s,
                (int)(r.body.len < 400 ? r.body.len : 400), r.body.data);
    /* 401: the key is valid; 500: no input may make hookd fail internally. */
    check(s == 200 || s == 400 || s == 403, "200, 400 or 403");
    json_t *res = json_loadb(r.body.data, r.body.len, 0, NULL);
    check(json_is_object(res), "the response is a JSON object");
    check(json_object_get(res, "data") || json_object_get(res, "errors"),
          "the response has data or errors");
    check_ids(json_object_get(res, "data"), NULL);
    json_t *errors = json_object_get(res, "errors");
    if (s != 200)
        check(json_array_size(errors) > 0, "a failure says why");
    for (size_t i = 0; i < json_array_size(errors); i++) {
        json_t *code =
            json_object_get(json_object_get(json_array_get(errors, i), "extensions"), "code");
        check(!json_is_string(code) || strcmp(json_string_value(code), GQL_CODE_INTERNAL) != 0,
              "no internal error, not even in one field");
    }
    /* What is not a JSON object with a string query never reaches the engine. */
    json_t *req = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (!json_is_object(req) || !json_is_string(json_object_get(req, "query")))
        check(s == 400, "a malformed envelope is a 400");
    json_decref(req);
    json_decref(res);
    hk_buf_free(&r.body);
    free(body);
    return 0;
}
