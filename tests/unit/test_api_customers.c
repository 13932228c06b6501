/*
 * test_api_customers.c - the customer parts of the GraphQL API (SPEC §6) that
 * the domain tests cannot see, end to end through api_graphql with JSON
 * bodies against a temporary store, using the documents Plain's SDK sends:
 * what upsertCustomer refuses in its input (tenants), and customers sorted
 * by full name (sortBy) with their cursors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include <jansson.h>

#include "api/api.h"
#include "json_path.h"
#include "api_fixture.h"
#include "testutil.h"

/* ---- harness ------------------------------------------------------------ */

typedef api_fixture fixture;

static json_t *send(fixture *f, const char *query, json_t *variables, int *status)
{
    return api_send(f, f->auth, query, variables, status);
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

/* ---- customers(sortBy: FULL_NAME) ------------------------------------- */

static const char customers_doc[] =
    "query customers($filters: CustomersFilter, $sortBy: CustomersSort, $first: Int,"
    " $after: String, $last: Int, $before: String) { customers(filters: $filters,"
    " sortBy: $sortBy, first: $first, after: $after, last: $last, before: $before) {"
    " edges { cursor node { id fullName } } pageInfo { hasNextPage hasPreviousPage"
    " startCursor endCursor } totalCount } }";

/* Variables of customers_doc: sortBy in `direction` (NULL: none), a page
 * (first/after or last/before; size < 0: not given), and filters (stolen,
 * may be NULL). */
static json_t *list_vars(const char *direction, int first, const char *after, int last,
                         const char *before, json_t *filters)
{
    json_t *v = json_object();
    if (direction)
        json_object_set_new(v, "sortBy",
                            json_pack("{s:s, s:s}", "field", "FULL_NAME", "direction", direction));
    if (first >= 0)
        json_object_set_new(v, "first", json_integer(first));
    if (last >= 0)
        json_object_set_new(v, "last", json_integer(last));
    if (after)
        json_object_set_new(v, "after", json_string(after));
    if (before)
        json_object_set_new(v, "before", json_string(before));
    if (filters)
        json_object_set_new(v, "filters", filters);
    return v;
}

/* The page's names must be want[0..n), its cursors the edges', its flags
 * and total as given. Returns the response (for its cursors). */
static json_t *expect_names(fixture *f, json_t *vars, const char *const *want, size_t n,
                            bool has_prev, bool has_next, int total)
{
    json_t *r = post(f, customers_doc, vars);
    json_t *edges = json_at(r, "data.customers.edges");
    if (json_array_size(edges) != n)
        fail_msg("%zu edges, want %zu: %s", json_array_size(edges), n, json_dumps(r, JSON_COMPACT));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(edges, i);
        assert_string_equal(json_str_at(e, "node.fullName"), want[i]);
        /* a position, not the id */
        assert_string_not_equal(json_str_at(e, "cursor"), json_str_at(e, "node.id"));
    }
    assert_int_equal(json_is_true(json_at(r, "data.customers.pageInfo.hasPreviousPage")), has_prev);
    assert_int_equal(json_is_true(json_at(r, "data.customers.pageInfo.hasNextPage")), has_next);
    assert_int_equal(json_integer_value(json_at(r, "data.customers.totalCount")), total);
    if (n > 0) {
        assert_str_at(r, "data.customers.pageInfo.startCursor",
                      json_str_at(r, "data.customers.edges.0.cursor"));
        char last[64];
        snprintf(last, sizeof last, "data.customers.edges.%zu.cursor", n - 1);
        assert_str_at(r, "data.customers.pageInfo.endCursor", json_str_at(r, last));
    } else {
        assert_null_at(r, "data.customers.pageInfo.startCursor");
    }
    return r;
}

static char *dup_at(json_t *r, const char *path)
{
    char *s = strdup(json_str_at(r, path));
    assert_non_null(s);
    return s;
}

static void test_customers_sorted(void **state)
{
    fixture *f = *state;
    /* byte-wise: "A" < "C" < "a" < "b"; the two "b"s by id (creation) */
    static const char *const names[] = {"b", "A", "b", "a", "C"};
    char ids[5][HK_ID_MAX];
    for (int i = 0; i < 5; i++) {
        char email[32];
        snprintf(email, sizeof email, "n%d@example.com", i);
        json_t *r = post(f, upsert_doc, upsert_input(email, names[i], NULL, NULL));
        assert_str_at(r, "data.upsertCustomer.result", "CREATED");
        snprintf(ids[i], sizeof ids[i], "%s", json_str_at(r, "data.upsertCustomer.customer.id"));
        json_decref(r);
    }
    static const char *const asc[] = {"A", "C", "a", "b", "b"};
    static const char *const desc[] = {"b", "b", "a", "C", "A"};

    json_decref(
        expect_names(f, list_vars("ASC", -1, NULL, -1, NULL, NULL), asc, 5, false, false, 5));
    json_t *r =
        expect_names(f, list_vars("DESC", -1, NULL, -1, NULL, NULL), desc, 5, false, false, 5);
    /* ties in the direction asked: the later "b" first */
    assert_str_at(r, "data.customers.edges.0.node.id", ids[2]);
    assert_str_at(r, "data.customers.edges.1.node.id", ids[0]);
    json_decref(r);

    /* forward by 2, ascending: the second page ends between the two "b"s */
    r = expect_names(f, list_vars("ASC", 2, NULL, -1, NULL, NULL), asc, 2, false, true, 5);
    char *c1 = dup_at(r, "data.customers.pageInfo.endCursor");
    json_decref(r);
    r = expect_names(f, list_vars("ASC", 2, c1, -1, NULL, NULL), asc + 2, 2, true, true, 5);
    char *c2 = dup_at(r, "data.customers.pageInfo.endCursor");
    assert_str_at(r, "data.customers.edges.1.node.id", ids[0]);
    json_decref(r);
    r = expect_names(f, list_vars("ASC", 2, c2, -1, NULL, NULL), asc + 4, 1, true, false, 5);
    assert_str_at(r, "data.customers.edges.0.node.id", ids[2]);
    json_decref(r);
    /* backward by 2, descending */
    r = expect_names(f, list_vars("DESC", -1, NULL, 2, NULL, NULL), desc + 3, 2, true, false, 5);
    char *c3 = dup_at(r, "data.customers.pageInfo.startCursor");
    json_decref(r);
    r = expect_names(f, list_vars("DESC", -1, NULL, 2, c3, NULL), desc + 1, 2, true, true, 5);
    char *c4 = dup_at(r, "data.customers.pageInfo.startCursor");
    json_decref(r);
    json_decref(expect_names(f, list_vars("DESC", -1, NULL, 2, c4, NULL), desc, 1, false, true, 5));

    /* with a filter: not spam ("C" is) */
    json_t *m = post(f,
                     "mutation m($i: MarkCustomerAsSpamInput!) { markCustomerAsSpam(input: $i) {"
                     " error { code } } }",
                     json_pack("{s:{s:s}}", "i", "customerId", ids[4]));
    assert_null_at(m, "data.markCustomerAsSpam.error");
    json_decref(m);
    static const char *const not_spam[] = {"A", "a", "b", "b"};
    r = expect_names(f,
                     list_vars("ASC", 2, NULL, -1, NULL, json_pack("{s:b}", "isMarkedAsSpam", 0)),
                     not_spam, 2, false, true, 4);
    char *c5 = dup_at(r, "data.customers.pageInfo.endCursor");
    json_decref(r);
    /* the customer at the cursor renamed: the next page is still the one after it */
    m = post(f, upsert_doc, upsert_input("n3@example.com", "a", NULL, "zzz"));
    assert_str_at(m, "data.upsertCustomer.result", "UPDATED");
    json_decref(m);
    static const char *const after_rename[] = {"b", "b", "zzz"};
    json_decref(
        expect_names(f, list_vars("ASC", 5, c5, -1, NULL, json_pack("{s:b}", "isMarkedAsSpam", 0)),
                     after_rename, 3, true, false, 4));

    /* bad cursors: 400 BAD_USER_INPUT naming the argument */
    const char *bad[] = {ids[1], "fn1.nonsense", "not a cursor"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int before = 0; before < 2; before++) {
            int status;
            json_t *b = send(f, customers_doc,
                             before ? list_vars("DESC", -1, NULL, 2, bad[i], NULL)
                                    : list_vars("ASC", 2, bad[i], -1, NULL, NULL),
                             &status);
            assert_int_equal(status, 400);
            assert_str_at(b, "errors.0.extensions.code", "BAD_USER_INPUT");
            const char *msg = json_str_at(b, "errors.0.message");
            assert_non_null(strstr(msg, before ? "before" : "after"));
            assert_non_null(strstr(msg, "FULL_NAME"));
            assert_null(json_at(b, "data.customers.edges"));
            json_decref(b);
        }
    }

    /* unsorted listings are unchanged: creation order, cursors are ids */
    r = post(f, customers_doc, list_vars(NULL, 2, NULL, -1, NULL, NULL));
    assert_str_at(r, "data.customers.edges.0.node.id", ids[0]);
    assert_str_at(r, "data.customers.edges.0.cursor", ids[0]);
    assert_str_at(r, "data.customers.pageInfo.endCursor", ids[1]);
    json_decref(r);
    free(c1);
    free(c2);
    free(c3);
    free(c4);
    free(c5);
}

/* ---- customers(filters: updatedAt, tenants, companies) ---------------- */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The customer's updatedAt.iso8601, for a filter bound. */
static char *updated_at(fixture *f, const char *email)
{
    json_t *r = post(f,
                     "query c($email: String!) { customerByEmail(email: $email) {"
                     " updatedAt { iso8601 } } }",
                     json_pack("{s:s}", "email", email));
    char *at = dup_at(r, "data.customerByEmail.updatedAt.iso8601");
    json_decref(r);
    return at;
}

/* filters.updatedAt between `after` and `before` (either NULL). */
static json_t *updated_between(const char *after, const char *before)
{
    json_t *range = json_object();
    if (after)
        json_object_set_new(range, "after", json_string(after));
    if (before)
        json_object_set_new(range, "before", json_string(before));
    return json_pack("{s:o}", "updatedAt", range);
}

static void test_customers_filtered_by_update_time(void **state)
{
    fixture *f = *state;
    const char *emails[] = {"ann@example.com", "bob@example.com", "cat@example.com"};
    const char *names[] = {"Ann", "Bob", "Cat"};
    char *at[3];
    for (int i = 0; i < 3; i++) {
        json_decref(post(f, upsert_doc, upsert_input(emails[i], names[i], NULL, NULL)));
        at[i] = updated_at(f, emails[i]);
        sleep_ms(3); /* a distinct millisecond each */
    }
    /* after: at or later; before: strictly earlier */
    const char *from_bob[] = {"Bob", "Cat"};
    json_decref(expect_names(f, list_vars("ASC", 10, NULL, -1, NULL, updated_between(at[1], NULL)),
                             from_bob, 2, false, false, 2));
    const char *before_bob[] = {"Ann"};
    json_decref(expect_names(f, list_vars("ASC", 10, NULL, -1, NULL, updated_between(NULL, at[1])),
                             before_bob, 1, false, false, 1));
    const char *bob_ann[] = {"Bob", "Ann"}; /* both bounds, names descending */
    json_decref(expect_names(f,
                             list_vars("DESC", 10, NULL, -1, NULL, updated_between(at[0], at[2])),
                             bob_ann, 2, false, false, 2));

    /* a change moves the customer's updatedAt: Ann is now among the recent */
    json_decref(post(f, upsert_doc, upsert_input(emails[0], "Ann", NULL, "Anna")));
    const char *recent[] = {"Anna", "Cat"};
    json_decref(expect_names(f, list_vars("ASC", 10, NULL, -1, NULL, updated_between(at[2], NULL)),
                             recent, 2, false, false, 2));

    /* unsorted (creation order) too, with pages */
    json_t *r =
        post(f, customers_doc, list_vars(NULL, 1, NULL, -1, NULL, updated_between(at[2], NULL)));
    assert_size_at(r, "data.customers.edges", 1);
    assert_str_at(r, "data.customers.edges.0.node.fullName", "Anna");
    assert_true(json_is_true(json_at(r, "data.customers.pageInfo.hasNextPage")));
    assert_int_equal(json_integer_value(json_at(r, "data.customers.totalCount")), 2);
    char *next = dup_at(r, "data.customers.pageInfo.endCursor");
    json_decref(r);
    r = post(f, customers_doc, list_vars(NULL, 1, next, -1, NULL, updated_between(at[2], NULL)));
    assert_size_at(r, "data.customers.edges", 1);
    assert_str_at(r, "data.customers.edges.0.node.fullName", "Cat");
    assert_false(json_is_true(json_at(r, "data.customers.pageInfo.hasNextPage")));
    json_decref(r);
    free(next);

    /* not a date-time: 400 BAD_USER_INPUT naming the bound, no data */
    const char *bad[] = {"yesterday", "2024-13-01T00:00:00Z", "2024-10-28", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int end = 0; end < 2; end++) {
            int status;
            r = send(f, customers_doc,
                     list_vars(NULL, 10, NULL, -1, NULL,
                               end ? updated_between(NULL, bad[i]) : updated_between(bad[i], NULL)),
                     &status);
            assert_int_equal(status, 400);
            assert_str_at(r, "errors.0.extensions.code", "BAD_USER_INPUT");
            assert_non_null(strstr(json_str_at(r, "errors.0.message"),
                                   end ? "filters.updatedAt.before" : "filters.updatedAt.after"));
            assert_true(json_is_null(json_at(r, "data.customers")) ||
                        !json_at(r, "data.customers"));
            json_decref(r);
        }
    }
    for (int i = 0; i < 3; i++)
        free(at[i]);
}

/* hookd models no tenants and no companies: no customer is in any, so a
 * filter naming some matches nobody; an empty list filters nothing. */
static void test_customers_filtered_by_tenant_or_company(void **state)
{
    fixture *f = *state;
    json_decref(post(f, upsert_doc, upsert_input("one@example.com", "One", NULL, NULL)));
    json_decref(post(f, upsert_doc, upsert_input("two@example.com", "Two", NULL, NULL)));
    const char *all[] = {"One", "Two"};
    json_t *filters[] = {
        json_pack("{s:[{s:s}]}", "tenantIdentifiers", "externalId", "acme"),
        json_pack("{s:[{s:s}]}", "tenantIdentifiers", "tenantId", "te_1"),
        json_pack("{s:[{s:s}]}", "companyIdentifiers", "companyDomainName", "plain.com"),
        json_pack("{s:[{s:s}], s:b}", "companyIdentifiers", "companyId", "co_1", "isMarkedAsSpam",
                  0),
    };
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        json_t *r = post(f, customers_doc, list_vars(NULL, 10, NULL, -1, NULL, filters[i]));
        assert_size_at(r, "data.customers.edges", 0);
        assert_int_equal(json_integer_value(json_at(r, "data.customers.totalCount")), 0);
        assert_false(json_is_true(json_at(r, "data.customers.pageInfo.hasNextPage")));
        json_decref(r);
    }
    json_decref(expect_names(
        f,
        list_vars("ASC", 10, NULL, -1, NULL,
                  json_pack("{s:[], s:[]}", "tenantIdentifiers", "companyIdentifiers")),
        all, 2, false, false, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upsert_refuses_tenants, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_customers_sorted, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_customers_filtered_by_update_time, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_customers_filtered_by_tenant_or_company,
                                        api_fixture_setup, api_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
