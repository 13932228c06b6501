/*
 * cmd_customers.c - hookctl customers: upsert, show, list, mark-spam,
 * unmark-spam, delete (Plain's customer operations).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/exit_codes.h"
#include "cli/jpath.h"
#include "cli/op.h"
#include "cli/paging.h"
#include "cli/table.h"

#define CUSTOMER_FIELDS                                                                            \
    "id externalId fullName shortName email { email isVerified verifiedAt { iso8601 } } "          \
    "markedAsSpamAt { iso8601 } createdAt { iso8601 } updatedAt { iso8601 }"
/* The groups too, for the one-customer views (a list would pay one query per row). */
#define CUSTOMER_FULL                                                                              \
    CUSTOMER_FIELDS " customerGroupMemberships(first: 100) { edges { node { customerGroup { key "  \
                    "} } } }"

/* Each one-customer document twice: with the groups, and without them for a key that may
 * not read them (op_show_or, op_mutate_or). */
#define UPSERT_DOC(fields)                                                                         \
    "mutation hookctlUpsertCustomer($input: UpsertCustomerInput!) { upsertCustomer(input: "        \
    "$input) { result customer { " fields " } " OP_ERROR_FIELDS " } }"
#define BY_ID_DOC(fields)                                                                          \
    "query hookctlCustomer($v: ID!) { customer(customerId: $v) { " fields " } }"
#define BY_EMAIL_DOC(fields)                                                                       \
    "query hookctlCustomerByEmail($v: String!) { customerByEmail(email: $v) { " fields " } }"
#define BY_EXTERNAL_ID_DOC(fields)                                                                 \
    "query hookctlCustomerByExternalId($v: ID!) { customerByExternalId(externalId: $v) { " fields  \
    " } }"
#define MARK_DOC(fields)                                                                           \
    "mutation hookctlMarkSpam($input: MarkCustomerAsSpamInput!) { markCustomerAsSpam(input: "      \
    "$input) { customer { " fields " } " OP_ERROR_FIELDS " } }"
#define UNMARK_DOC(fields)                                                                         \
    "mutation hookctlUnmarkSpam($input: UnmarkCustomerAsSpamInput!) { "                            \
    "unmarkCustomerAsSpam(input: $input) { customer { " fields " } " OP_ERROR_FIELDS " } }"

/* What reading the groups needs; a key without it gets the customer without them. */
static const char *const groups_need[] = {"customerGroupMembership:read", "customerGroup:read",
                                          NULL};
/* The last command fell back to the lean document: print_customer says so. */
static bool groups_hidden;
static const char list_doc[] =
    "query hookctlCustomers($filters: CustomersFilter, $sortBy: CustomersSort, $first: Int, "
    "$after: String, $last: Int, $before: String) { customers(filters: $filters, sortBy: $sortBy, "
    "first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { "
    "hasNextPage hasPreviousPage startCursor endCursor "
    "} edges { cursor node { " CUSTOMER_FIELDS " } } } }";
static const char delete_doc[] =
    "mutation hookctlDeleteCustomer($input: DeleteCustomerInput!) { deleteCustomer(input: "
    "$input) { " OP_ERROR_FIELDS " } }";

/* ---- printers ---- */

static void print_customer(const cli_out *o, json_t *c)
{
    out_kv(o, "id", jpath_str(c, "id", NULL));
    out_kv(o, "full name", jpath_str(c, "fullName", NULL));
    out_kv(o, "short name", jpath_str(c, "shortName", NULL));
    out_kv(o, "email", jpath_str(c, "email.email", NULL));
    out_kv_styled(o, "email verified", jpath_bool(c, "email.isVerified") ? "yes" : "no",
                  jpath_bool(c, "email.isVerified") ? STYLE_OK : STYLE_PLAIN);
    out_kv(o, "external id", jpath_str(c, "externalId", NULL));
    const char *spam = jpath_str(c, "markedAsSpamAt.iso8601", NULL);
    out_kv_styled(o, "spam since", spam, STYLE_BAD);
    json_t *memberships = jpath(c, "customerGroupMemberships.edges");
    if (memberships) {
        char *keys = jpath_join(memberships, "node.customerGroup.key", ", ");
        out_kv(o, "groups", keys);
        free(keys);
    } else if (groups_hidden) {
        out_kv_styled(o, "groups", "not shown: the API key may not read them", STYLE_DIM);
    }
    out_kv(o, "created", jpath_str(c, "createdAt.iso8601", NULL));
    out_kv(o, "updated", jpath_str(c, "updatedAt.iso8601", NULL));
}

static void print_upsert(const cli_out *o, json_t *payload)
{
    const char *result = jpath_str(payload, "result", "?");
    out_text(o, strcmp(result, "NOOP") == 0 ? STYLE_DIM : STYLE_OK, result);
    fputc('\n', o->f);
    print_customer(o, json_object_get(payload, "customer"));
}

static void print_list(const cli_out *o, json_t *conn)
{
    static const char *const headers[] = {"ID",          "EMAIL", "FULL NAME",
                                          "EXTERNAL ID", "SPAM",  "CREATED"};
    cli_table *t = table_new(6, headers);
    size_t i;
    json_t *edge;
    json_array_foreach(json_object_get(conn, "edges"), i, edge)
    {
        json_t *n = json_object_get(edge, "node");
        bool spam = jpath(n, "markedAsSpamAt.iso8601") != NULL;
        table_row(t);
        table_cell(t, jpath_str(n, "id", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "email.email", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "fullName", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "externalId", NULL), STYLE_PLAIN);
        table_cell(t, spam ? "yes" : "no", spam ? STYLE_BAD : STYLE_PLAIN);
        table_cell(t, jpath_str(n, "createdAt.iso8601", NULL), STYLE_PLAIN);
    }
    if (t && table_print(o, t) == 0)
        paging_footer(o, conn, "customer", "customers");
    table_free(t);
}

static void print_spam(const cli_out *o, json_t *payload)
{
    print_customer(o, json_object_get(payload, "customer"));
}

static void print_deleted(const cli_out *o, json_t *payload)
{
    fprintf(o->f, "deleted\n");
}

/* ---- commands ---- */

static json_t *input_vars(json_t *input)
{
    return json_pack("{s:o}", "input", input);
}

static json_t *customer_id_input(cli_ctx *c)
{
    return input_vars(json_pack("{s:s}", "customerId", c->args->positional[0]));
}

static int run_upsert(cli_ctx *c)
{
    const cli_args *a = c->args;
    const char *email = args_get(a, "email");
    bool verified = args_has(a, "verified");
    json_t *on_create = json_pack("{s:s, s:{s:s, s:b}}", "fullName", args_get(a, "full-name"),
                                  "email", "email", email, "isVerified", verified);
    json_t *on_update = json_pack("{s:{s:s}}", "fullName", "value", args_get(a, "full-name"));
    op_set(on_create, "shortName",
           args_has(a, "short-name") ? json_string(args_get(a, "short-name")) : NULL);
    op_set(on_create, "externalId",
           args_has(a, "external-id") ? json_string(args_get(a, "external-id")) : NULL);
    op_set(on_update, "shortName", op_string_input(args_get(a, "short-name")));
    op_set(on_update, "externalId", op_string_input(args_get(a, "external-id")));
    /* Without --verified an existing customer keeps its verification: never un-verify. */
    op_set(on_update, "email",
           verified ? json_pack("{s:s, s:b}", "email", email, "isVerified", 1) : NULL);
    json_t *input = json_pack("{s:{s:s}, s:o, s:o}", "identifier", "emailAddress", email,
                              "onCreate", on_create, "onUpdate", on_update);
    return op_mutate_or(c, UPSERT_DOC(CUSTOMER_FULL), UPSERT_DOC(CUSTOMER_FIELDS), groups_need,
                        input_vars(input), "upsertCustomer", print_upsert, &groups_hidden);
}

static int run_show(cli_ctx *c)
{
    static const struct {
        const char *option, *doc, *lean, *field, *what;
    } by[] = {
        {"id", BY_ID_DOC(CUSTOMER_FULL), BY_ID_DOC(CUSTOMER_FIELDS), "customer", "id"},
        {"email", BY_EMAIL_DOC(CUSTOMER_FULL), BY_EMAIL_DOC(CUSTOMER_FIELDS), "customerByEmail",
         "email"},
        {"external-id", BY_EXTERNAL_ID_DOC(CUSTOMER_FULL), BY_EXTERNAL_ID_DOC(CUSTOMER_FIELDS),
         "customerByExternalId", "external id"},
    };
    int chosen = -1;
    for (int i = 0; i < 3; i++) {
        if (!args_has(c->args, by[i].option))
            continue;
        if (chosen >= 0)
            return op_usage(c, "give one of --id, --email, --external-id");
        chosen = i;
    }
    if (chosen < 0)
        return op_usage(c, "give one of --id, --email, --external-id");
    const char *value = args_get(c->args, by[chosen].option);
    char missing[256];
    snprintf(missing, sizeof missing, "no customer with %s %.200s", by[chosen].what, value);
    return op_show_or(c, by[chosen].doc, by[chosen].lean, groups_need,
                      json_pack("{s:s}", "v", value), by[chosen].field, missing, print_customer,
                      &groups_hidden);
}

static int run_list(cli_ctx *c)
{
    const cli_args *a = c->args;
    if (args_has(a, "spam") && args_has(a, "not-spam"))
        return op_usage(c, "--spam and --not-spam exclude each other");
    json_t *vars = json_object();
    int rc = paging_vars(c, vars);
    if (rc) {
        json_decref(vars);
        return rc;
    }
    const char *sort = args_get(a, "sort");
    if (sort) {
        bool desc = strcmp(sort, "-name") == 0;
        if (!desc && strcmp(sort, "name") != 0) {
            json_decref(vars);
            return op_usage(c, "--sort must be name (A to Z) or -name (Z to A)");
        }
        json_object_set_new(
            vars, "sortBy",
            json_pack("{s:s, s:s}", "field", "FULL_NAME", "direction", desc ? "DESC" : "ASC"));
    }
    json_t *filters = json_object();
    /* The server checks the times (BAD_USER_INPUT names the bound). */
    const char *after = args_get(a, "updated-after"), *before = args_get(a, "updated-before");
    if (after || before) {
        json_t *range = json_object();
        if (after)
            json_object_set_new(range, "after", json_string(after));
        if (before)
            json_object_set_new(range, "before", json_string(before));
        json_object_set_new(filters, "updatedAt", range);
    }
    if (args_has(a, "spam") || args_has(a, "not-spam"))
        json_object_set_new(filters, "isMarkedAsSpam", json_boolean(args_has(a, "spam")));
    const char *keys[CLI_ARGS_MAX_VALUES];
    size_t n = args_all(a, "group-key", keys, CLI_ARGS_MAX_VALUES);
    if (n) {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, json_string(keys[i]));
        json_object_set_new(filters, "customerGroupKeys", list);
    }
    json_object_set_new(vars, "filters", filters);
    return op_list(c, list_doc, vars, "customers", print_list);
}

static int run_mark(cli_ctx *c)
{
    return op_mutate_or(c, MARK_DOC(CUSTOMER_FULL), MARK_DOC(CUSTOMER_FIELDS), groups_need,
                        customer_id_input(c), "markCustomerAsSpam", print_spam, &groups_hidden);
}

static int run_unmark(cli_ctx *c)
{
    return op_mutate_or(c, UNMARK_DOC(CUSTOMER_FULL), UNMARK_DOC(CUSTOMER_FIELDS), groups_need,
                        customer_id_input(c), "unmarkCustomerAsSpam", print_spam, &groups_hidden);
}

static int run_delete(cli_ctx *c)
{
    return op_mutate(c, delete_doc, customer_id_input(c), "deleteCustomer", print_deleted);
}

/* ---- table ---- */

static const cli_opt upsert_opts[] = {
    {"email", "E", OPT_REQUIRED, "the customer's email address: identifies the customer"},
    {"full-name", "N", OPT_REQUIRED, "full name"},
    {"short-name", "S", 0, "short name (what to call them)"},
    {"external-id", "X", 0, "your system's id for the customer"},
    {"verified", NULL, 0, "mark the email address verified"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec upsert_spec = {
    "customers upsert --email E --full-name N [--short-name S] [--external-id X] [--verified]",
    "Creates or updates the customer with an email address.",
    "Prints CREATED, UPDATED or NOOP (nothing changed), then the customer. Without\n"
    "--verified an existing customer's email keeps its verification; a new one's starts\n"
    "unverified.",
    upsert_opts,
    0,
    0,
    false};

static const cli_opt show_opts[] = {
    {"id", "ID", 0, "look the customer up by id"},
    {"email", "E", 0, "by email address"},
    {"external-id", "X", 0, "by external id"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec show_spec = {"customers show (--id ID | --email E | --external-id X)",
                                   "Shows one customer, with the keys of its groups.",
                                   "Exit status 4 when there is none.",
                                   show_opts,
                                   0,
                                   0,
                                   false};

static const cli_opt list_opts[] = {
    {"spam", NULL, 0, "only customers marked as spam"},
    {"not-spam", NULL, 0, "only customers not marked as spam"},
    {"group-key", "K", OPT_REPEAT,
     "only members of the group with this key (repeatable: any of them)"},
    {"updated-after", "TIME", 0, "only customers updated at or after TIME (ISO 8601)"},
    {"updated-before", "TIME", 0, "only customers updated before TIME (ISO 8601)"},
    {"sort", "ORDER", 0, "name (A to Z) or -name (Z to A); default: oldest first"},
    {"first", "N", 0, "the first N customers (1-100; default 25)"},
    {"after", "C", 0, "those after the cursor C (see the footer)"},
    {"last", "N", 0, "the last N customers (1-100)"},
    {"before", "C", 0, "those before the cursor C"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec list_spec = {
    "customers list [--spam | --not-spam] [--group-key K]... [--updated-after TIME] "
    "[--updated-before TIME] [--sort name|-name] [--first N] [--after C] [--last N] "
    "[--before C]",
    "Lists customers, one page at a time.",
    "Oldest first unless --sort; the footer gives the option for the next page (its cursor\n"
    "belongs to that order). --first/--after and --last/--before cannot be mixed.",
    list_opts,
    0,
    0,
    false};

static const cli_spec mark_spec = {
    "customers mark-spam ID", "Marks a customer as spam.", NULL, NULL, 1, 1, false};
static const cli_spec unmark_spec = {
    "customers unmark-spam ID", "Removes a customer's spam mark.", NULL, NULL, 1, 1, false};
static const cli_spec delete_spec = {"customers delete ID",
                                     "Deletes a customer and its group memberships.",
                                     NULL,
                                     NULL,
                                     1,
                                     1,
                                     false};

static const cli_command commands[] = {
    {"upsert", &upsert_spec, run_upsert},
    {"show", &show_spec, run_show},
    {"list", &list_spec, run_list},
    {"mark-spam", &mark_spec, run_mark},
    {"unmark-spam", &unmark_spec, run_unmark},
    {"delete", &delete_spec, run_delete},
    {NULL, NULL, NULL},
};

const cli_group cmd_customers = {"customers",
                                 "Customers: create or update by email, look up, list, mark as "
                                 "spam, delete.",
                                 commands};
