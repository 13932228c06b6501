/*
 * cmd_groups.c - hookctl groups: create, list, show, update, delete,
 * add-customer, remove-customer (Plain's customer group operations).
 */
#include <stdio.h>

#include "cli/exit_codes.h"
#include "cli/jpath.h"
#include "cli/op.h"
#include "cli/table.h"

#define GROUP_FIELDS "id name key color externalId createdAt { iso8601 } updatedAt { iso8601 }"

static const char create_doc[] =
    "mutation hookctlCreateGroup($input: CreateCustomerGroupInput!) { "
    "createCustomerGroup(input: $input) { customerGroup { " GROUP_FIELDS " } " OP_ERROR_FIELDS
    " } }";
static const char list_doc[] =
    "query hookctlGroups($after: String) { customerGroups(first: 100, after: $after) { pageInfo "
    "{ hasNextPage endCursor } edges { cursor node { " GROUP_FIELDS " } } } }";
static const char show_doc[] = "query hookctlGroup($id: ID!) { customerGroup(customerGroupId: "
                               "$id) { " GROUP_FIELDS " } }";
static const char update_doc[] =
    "mutation hookctlUpdateGroup($input: UpdateCustomerGroupInput!) { "
    "updateCustomerGroup(input: $input) { customerGroup { " GROUP_FIELDS " } " OP_ERROR_FIELDS
    " } }";
static const char delete_doc[] = "mutation hookctlDeleteGroup($input: DeleteCustomerGroupInput!) { "
                                 "deleteCustomerGroup(input: $input) { " OP_ERROR_FIELDS " } }";
static const char add_doc[] =
    "mutation hookctlAddToGroups($input: AddCustomerToCustomerGroupsInput!) { "
    "addCustomerToCustomerGroups(input: $input) { customerGroupMemberships { customerId "
    "customerGroup { " GROUP_FIELDS " } createdAt { iso8601 } } " OP_ERROR_FIELDS " } }";
static const char remove_doc[] =
    "mutation hookctlRemoveFromGroups($input: RemoveCustomerFromCustomerGroupsInput!) { "
    "removeCustomerFromCustomerGroups(input: $input) { " OP_ERROR_FIELDS " } }";

/* ---- printers ---- */

static void print_group(const cli_out *o, json_t *g)
{
    out_kv(o, "id", jpath_str(g, "id", NULL));
    out_kv(o, "key", jpath_str(g, "key", NULL));
    out_kv(o, "name", jpath_str(g, "name", NULL));
    out_kv(o, "color", jpath_str(g, "color", NULL));
    out_kv(o, "external id", jpath_str(g, "externalId", NULL));
    out_kv(o, "created", jpath_str(g, "createdAt.iso8601", NULL));
    out_kv(o, "updated", jpath_str(g, "updatedAt.iso8601", NULL));
}

static void print_payload_group(const cli_out *o, json_t *payload)
{
    print_group(o, json_object_get(payload, "customerGroup"));
}

/* One row per group; `path` leads from an element of `items` to the group. */
static void print_groups(const cli_out *o, json_t *items, const char *path)
{
    static const char *const headers[] = {"ID", "KEY", "NAME", "COLOR", "EXTERNAL ID"};
    cli_table *t = table_new(5, headers);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        json_t *g = jpath(item, path);
        table_row(t);
        table_cell(t, jpath_str(g, "id", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(g, "key", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(g, "name", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(g, "color", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(g, "externalId", NULL), STYLE_PLAIN);
    }
    if (t)
        table_print(o, t);
    table_free(t);
}

static void print_list(const cli_out *o, json_t *conn)
{
    print_groups(o, json_object_get(conn, "edges"), "node");
}

static void print_added(const cli_out *o, json_t *payload)
{
    fprintf(o->f, "member of:\n");
    print_groups(o, json_object_get(payload, "customerGroupMemberships"), "customerGroup");
}

static void print_done(const cli_out *o, json_t *payload)
{
    fprintf(o->f, "done\n");
}

/* ---- commands ---- */

static json_t *input_vars(json_t *input)
{
    return json_pack("{s:o}", "input", input);
}

static int run_create(cli_ctx *c)
{
    const cli_args *a = c->args;
    json_t *input = json_pack("{s:s, s:s, s:s}", "name", args_get(a, "name"), "key",
                              args_get(a, "key"), "color", args_get(a, "color"));
    op_set(input, "externalId",
           args_has(a, "external-id") ? json_string(args_get(a, "external-id")) : NULL);
    return op_mutate(c, create_doc, input_vars(input), "createCustomerGroup", print_payload_group);
}

static int run_list(cli_ctx *c)
{
    return op_list_all(c, list_doc, NULL, "customerGroups", print_list);
}

static int run_show(cli_ctx *c)
{
    const char *id = c->args->positional[0];
    char missing[256];
    snprintf(missing, sizeof missing, "no customer group with id %.200s", id);
    return op_show(c, show_doc, json_pack("{s:s}", "id", id), "customerGroup", missing,
                   print_group);
}

static int run_update(cli_ctx *c)
{
    const cli_args *a = c->args;
    if (!args_has(a, "name") && !args_has(a, "key") && !args_has(a, "color") &&
        !args_has(a, "external-id"))
        return op_usage(c, "nothing to change: give --name, --key, --color or --external-id");
    json_t *input = json_pack("{s:s}", "customerGroupId", a->positional[0]);
    op_set(input, "name", op_string_input(args_get(a, "name")));
    op_set(input, "key", op_string_input(args_get(a, "key")));
    op_set(input, "color", op_string_input(args_get(a, "color")));
    const char *external_id = args_get(a, "external-id");
    /* An empty --external-id removes it (OptionalStringInput with a null value). */
    if (external_id)
        op_set(input, "externalId",
               json_pack("{s:o}", "value", *external_id ? json_string(external_id) : json_null()));
    return op_mutate(c, update_doc, input_vars(input), "updateCustomerGroup", print_payload_group);
}

static int run_delete(cli_ctx *c)
{
    json_t *input = json_pack("{s:s}", "customerGroupId", c->args->positional[0]);
    return op_mutate(c, delete_doc, input_vars(input), "deleteCustomerGroup", print_done);
}

/* The CustomerGroupIdentifier list of --group-key and --group-id; NULL when neither was given. */
static json_t *group_identifiers(const cli_args *a)
{
    static const struct {
        const char *option, *field;
    } kinds[] = {{"group-key", "customerGroupKey"}, {"group-id", "customerGroupId"}};
    json_t *list = json_array();
    for (size_t k = 0; k < 2; k++) {
        const char *values[CLI_ARGS_MAX_VALUES];
        size_t n = args_all(a, kinds[k].option, values, CLI_ARGS_MAX_VALUES);
        for (size_t i = 0; i < n && i < CLI_ARGS_MAX_VALUES; i++)
            json_array_append_new(list, json_pack("{s:s}", kinds[k].field, values[i]));
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

static int run_membership(cli_ctx *c, const char *doc, const char *field, op_printer print)
{
    json_t *ids = group_identifiers(c->args);
    if (!ids)
        return op_usage(c, "give at least one --group-key or --group-id");
    json_t *input = json_pack("{s:s, s:o}", "customerId", c->args->positional[0],
                              "customerGroupIdentifiers", ids);
    return op_mutate(c, doc, input_vars(input), field, print);
}

static int run_add(cli_ctx *c)
{
    return run_membership(c, add_doc, "addCustomerToCustomerGroups", print_added);
}

static int run_remove(cli_ctx *c)
{
    return run_membership(c, remove_doc, "removeCustomerFromCustomerGroups", print_done);
}

/* ---- table ---- */

static const cli_opt create_opts[] = {
    {"name", "N", OPT_REQUIRED, "the group's name"},
    {"key", "K", OPT_REQUIRED, "its key, unique in the workspace"},
    {"color", "C", OPT_REQUIRED, "its colour, e.g. #ff8800"},
    {"external-id", "X", 0, "your system's id for the group"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec create_spec = {
    "groups create --name N --key K --color C [--external-id X]",
    "Creates a customer group.",
    "A key that is taken fails with customer_group_key_already_exists (exit status 1).",
    create_opts,
    0,
    0,
    false};

static const cli_spec list_spec = {"groups list", "Lists every customer group.", NULL, NULL, 0, 0,
                                   false};
static const cli_spec show_spec = {
    "groups show ID", "Shows one customer group.", NULL, NULL, 1, 1, false};

static const cli_opt update_opts[] = {
    {"name", "N", 0, "new name"},    {"key", "K", 0, "new key"},
    {"color", "C", 0, "new colour"}, {"external-id", "X", 0, "new external id (\"\" removes it)"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec update_spec = {
    "groups update ID [--name N] [--key K] [--color C] [--external-id X]",
    "Changes a customer group.",
    "Only what the options give changes.",
    update_opts,
    1,
    1,
    false};

static const cli_spec delete_spec = {
    "groups delete ID",
    "Deletes a customer group.",
    "One that still has members fails with customer_group_has_memberships.",
    NULL,
    1,
    1,
    false};

static const cli_opt membership_opts[] = {
    {"group-key", "K", OPT_REPEAT, "a group, by key (repeatable)"},
    {"group-id", "G", OPT_REPEAT, "a group, by id (repeatable)"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec add_spec = {
    "groups add-customer CUSTOMER_ID (--group-key K | --group-id G)...",
    "Adds a customer to groups.",
    "Lists the groups the customer was added to.",
    membership_opts,
    1,
    1,
    false};
static const cli_spec remove_spec = {
    "groups remove-customer CUSTOMER_ID (--group-key K | --group-id G)...",
    "Removes a customer from groups.",
    NULL,
    membership_opts,
    1,
    1,
    false};

static const cli_command commands[] = {
    {"create", &create_spec, run_create},
    {"list", &list_spec, run_list},
    {"show", &show_spec, run_show},
    {"update", &update_spec, run_update},
    {"delete", &delete_spec, run_delete},
    {"add-customer", &add_spec, run_add},
    {"remove-customer", &remove_spec, run_remove},
    {NULL, NULL, NULL},
};

const cli_group cmd_groups = {
    "groups", "Customer groups: create, list, show, update, delete, and their members.", commands};
