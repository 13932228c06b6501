/*
 * test_api_customers.c - the customer parts of the GraphQL API (SPEC §6) that
 * the domain tests cannot see, end to end through api_graphql with JSON
 * bodies against a temporary store, using the documents Plain's SDK sends:
 * what upsertCustomer refuses in its input (tenants).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include "api/api.h"
#include "json_path.h"
#include "testutil.h"

/* ---- harness ------------------------------------------------------------ */

typedef struct fixture {
    test_env *env;
    api *api;
    hk_bootstrap_result boot; /* workspace "Acme", a key with every permission */
    hk_ctx ctx;               /* that key's context, for domain-side setup */
    char auth[HK_API_KEY_BUF + 16];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    hk_error err;
    if (!f || !(f->env = test_env_new()))
        return -1;
    if (hk_workspace_bootstrap(f->env->store, "Acme", &f->boot, &err) ||
        hk_auth_api_key(f->env->store, f->boot.api_key, strlen(f->boot.api_key), &f->ctx, &err) ||
        api_new(f->env->store, &f->api, &err)) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    snprintf(f->auth, sizeof f->auth, "Bearer %s", f->boot.api_key);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    api_free(f->api);
    test_env_free(f->env);
    free(f);
    return 0;
}

/* Posts {query, variables} (variables stolen, may be NULL); returns the
 * parsed response and the HTTP status. */
static json_t *send(fixture *f, const char *query, json_t *variables, int *status)
{
    json_t *req = json_pack("{s:s}", "query", query);
    if (variables)
        json_object_set_new(req, "variables", variables);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    api_response r;
    assert_int_equal(api_graphql(f->api, f->auth, body, strlen(body), &r), HK_OK);
    free(body);
    json_t *res = json_loadb(r.body.data, r.body.len, 0, NULL);
    if (!res)
        fail_msg("not JSON: %.*s", (int)r.body.len, r.body.data);
    *status = r.http_status;
    hk_buf_free(&r.body);
    return res;
}

/* The answer must be HTTP 200 without errors. */
static json_t *post(fixture *f, const char *query, json_t *variables)
{
    int status;
    json_t *res = send(f, query, variables, &status);
    if (status != 200 || json_object_get(res, "errors")) {
        char *text = json_dumps(res, JSON_COMPACT);
        fail_msg("HTTP %d: %s", status, text);
    }
    return res;
}

#define assert_str_at(root, path, want) assert_string_equal(json_str_at(root, path), want)
#define assert_null_at(root, path) assert_true(json_is_null(json_at(root, path)))
#define assert_size_at(root, path, n) assert_int_equal(json_array_size(json_at(root, path)), n)

/* ---- documents, as Plain's SDK (5.12) writes them ----------------------- */

#define ERROR_PARTS                                                                                \
    "fragment MutationErrorParts on MutationError { __typename message type code"                  \
    " fields { field message type } }\n"

static const char upsert_doc[] =
    "mutation upsertCustomer($input: UpsertCustomerInput!) { upsertCustomer(input: $input) {"
    " result customer { __typename id fullName email { email } } error { ...MutationErrorParts"
    " } } }\n" ERROR_PARTS;

static const char by_email_doc[] =
    "query customerByEmail($email: String!) { customerByEmail(email: $email) { id fullName } }";

/* An upsert by email creating `name`; `tenants` (stolen, may be NULL) is
 * put under onCreate.tenantIdentifiers, and onUpdate renames to `rename`
 * when given. */
static json_t *upsert_input(const char *email, const char *name, json_t *tenants,
                            const char *rename)
{
    json_t *in = json_pack("{s:{s:s}, s:{s:s, s:{s:s, s:b}}, s:{}}", "identifier", "emailAddress",
                           email, "onCreate", "fullName", name, "email", "email", email,
                           "isVerified", 0, "onUpdate");
    if (tenants)
        json_object_set_new(json_object_get(in, "onCreate"), "tenantIdentifiers", tenants);
    if (rename)
        json_object_set_new(json_object_get(in, "onUpdate"), "fullName",
                            json_pack("{s:s}", "value", rename));
    return json_pack("{s:o}", "input", in);
}

/* ---- upsertCustomer: tenants ------------------------------------------- */

/* The refusal of onCreate.tenantIdentifiers, as a MutationError. */
static void assert_tenants_refused(json_t *r)
{
    assert_null_at(r, "data.upsertCustomer.result");
    assert_null_at(r, "data.upsertCustomer.customer");
    assert_str_at(r, "data.upsertCustomer.error.__typename", "MutationError");
    assert_str_at(r, "data.upsertCustomer.error.code", "input_validation");
    assert_str_at(r, "data.upsertCustomer.error.type", "VALIDATION");
    assert_size_at(r, "data.upsertCustomer.error.fields", 1);
    assert_str_at(r, "data.upsertCustomer.error.fields.0.field", "onCreate.tenantIdentifiers");
    assert_str_at(r, "data.upsertCustomer.error.fields.0.type", "VALIDATION");
    assert_non_null(
        strstr(json_str_at(r, "data.upsertCustomer.error.fields.0.message"), "tenants"));
    assert_non_null(strstr(json_str_at(r, "data.upsertCustomer.error.message"), "tenants"));
}

static void test_upsert_refuses_tenants(void **state)
{
    fixture *f = *state;
    store_counts before = test_counts(f->env, &f->ctx);

    /* creating, with tenants by id and by external id: nothing is created */
    json_t *r = post(
        f, upsert_doc,
        upsert_input("t1@example.com", "Tenant One",
                     json_pack("[{s:s}, {s:s}]", "tenantId", "te_1", "externalId", "acme"), NULL));
    assert_tenants_refused(r);
    json_decref(r);
    r = post(f, by_email_doc, json_pack("{s:s}", "email", "t1@example.com"));
    assert_null_at(r, "data.customerByEmail");
    json_decref(r);
    store_counts after = test_counts(f->env, &f->ctx);
    assert_memory_equal(&before, &after, sizeof before);

    /* the same, written in the document rather than in variables */
    r = post(f,
             "mutation { upsertCustomer(input: { identifier: { emailAddress: \"t2@example.com\" }"
             " onCreate: { fullName: \"T\", email: { email: \"t2@example.com\", isVerified: false"
             " } tenantIdentifiers: [{ externalId: \"acme\" }] } onUpdate: {} }) { result"
             " customer { id } error { ...MutationErrorParts } } }\n" ERROR_PARTS,
             NULL);
    assert_tenants_refused(r);
    json_decref(r);
    after = test_counts(f->env, &f->ctx);
    assert_memory_equal(&before, &after, sizeof before);

    /* null and [] ask for no tenant: accepted */
    r = post(f, upsert_doc, upsert_input("t3@example.com", "Three", json_null(), NULL));
    assert_str_at(r, "data.upsertCustomer.result", "CREATED");
    assert_null_at(r, "data.upsertCustomer.error");
    json_decref(r);
    r = post(f, upsert_doc, upsert_input("t4@example.com", "Four", json_array(), NULL));
    assert_str_at(r, "data.upsertCustomer.result", "CREATED");
    assert_null_at(r, "data.upsertCustomer.error");
    json_decref(r);

    /* an existing customer: refused too (onCreate is checked whatever the
     * outcome), and onUpdate is not applied */
    before = test_counts(f->env, &f->ctx);
    r = post(f, upsert_doc,
             upsert_input("t3@example.com", "Three", json_pack("[{s:s}]", "tenantId", "te_1"),
                          "Renamed"));
    assert_tenants_refused(r);
    json_decref(r);
    r = post(f, by_email_doc, json_pack("{s:s}", "email", "t3@example.com"));
    assert_str_at(r, "data.customerByEmail.fullName", "Three");
    json_decref(r);
    after = test_counts(f->env, &f->ctx);
    assert_memory_equal(&before, &after, sizeof before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upsert_refuses_tenants, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
