/*
 * cmd_targets.c - hookctl targets: create, list, show, update, delete
 * (Plain's webhook target operations) and test (hookd's test event).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/exit_codes.h"
#include "cli/jpath.h"
#include "cli/op.h"
#include "cli/table.h"

#define TARGET_FIELDS                                                                              \
    "id url description version isEnabled eventSubscriptions { eventType } createdAt { iso8601 "   \
    "} updatedAt { iso8601 }"

static const char create_doc[] =
    "mutation hookctlCreateTarget($input: CreateWebhookTargetInput!) { "
    "createWebhookTarget(input: $input) { webhookTarget { " TARGET_FIELDS " } " OP_ERROR_FIELDS
    " } }";
static const char list_doc[] =
    "query hookctlTargets($after: String) { webhookTargets(first: 100, after: $after) { pageInfo "
    "{ hasNextPage endCursor } edges { cursor node { " TARGET_FIELDS " } } } }";
static const char show_doc[] = "query hookctlTarget($id: ID!) { webhookTarget(webhookTargetId: "
                               "$id) { " TARGET_FIELDS " } }";
static const char update_doc[] =
    "mutation hookctlUpdateTarget($input: UpdateWebhookTargetInput!) { "
    "updateWebhookTarget(input: $input) { webhookTarget { " TARGET_FIELDS " } " OP_ERROR_FIELDS
    " } }";
static const char delete_doc[] =
    "mutation hookctlDeleteTarget($input: DeleteWebhookTargetInput!) { "
    "deleteWebhookTarget(input: $input) { " OP_ERROR_FIELDS " } }";
static const char test_doc[] =
    "mutation hookctlTestTarget($input: HookdSendTestWebhookEventInput!) { "
    "hookdSendTestWebhookEvent(input: $input) { eventId " OP_ERROR_FIELDS " } }";

/* ---- printers ---- */

static void print_target(const cli_out *o, json_t *t)
{
    bool enabled = jpath_bool(t, "isEnabled");
    out_kv(o, "id", jpath_str(t, "id", NULL));
    out_kv(o, "url", jpath_str(t, "url", NULL));
    out_kv(o, "description", jpath_str(t, "description", NULL));
    out_kv(o, "version", jpath_str(t, "version", NULL));
    out_kv_styled(o, "enabled", enabled ? "yes" : "no", enabled ? STYLE_OK : STYLE_BAD);
    char *events = jpath_join(json_object_get(t, "eventSubscriptions"), "eventType", ", ");
    out_kv(o, "events", events);
    free(events);
    out_kv(o, "created", jpath_str(t, "createdAt.iso8601", NULL));
    out_kv(o, "updated", jpath_str(t, "updatedAt.iso8601", NULL));
}

static void print_payload_target(const cli_out *o, json_t *payload)
{
    print_target(o, json_object_get(payload, "webhookTarget"));
}

static void print_list(const cli_out *o, json_t *conn)
{
    static const char *const headers[] = {"ID",      "URL",    "VERSION",
                                          "ENABLED", "EVENTS", "DESCRIPTION"};
    cli_table *t = table_new(6, headers);
    size_t i;
    json_t *edge;
    json_array_foreach(json_object_get(conn, "edges"), i, edge)
    {
        json_t *n = json_object_get(edge, "node");
        bool enabled = jpath_bool(n, "isEnabled");
        char *events = jpath_join(json_object_get(n, "eventSubscriptions"), "eventType", ",");
        table_row(t);
        table_cell(t, jpath_str(n, "id", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "url", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "version", NULL), STYLE_PLAIN);
        table_cell(t, enabled ? "yes" : "no", enabled ? STYLE_OK : STYLE_BAD);
        table_cell(t, events, STYLE_PLAIN);
        table_cell(t, jpath_str(n, "description", NULL), STYLE_PLAIN);
        free(events);
    }
    if (t)
        table_print(o, t);
    table_free(t);
}

static void print_deleted(const cli_out *o, json_t *payload)
{
    fprintf(o->f, "deleted\n");
}

static void print_test(const cli_out *o, json_t *payload)
{
    out_kv(o, "test event", jpath_str(payload, "eventId", NULL));
}

/* ---- commands ---- */

static json_t *input_vars(json_t *input)
{
    return json_pack("{s:o}", "input", input);
}

/* [{"eventType": E}, ...] for every --event; NULL when none was given. */
static json_t *subscriptions(const cli_args *a)
{
    const char *events[CLI_ARGS_MAX_VALUES];
    size_t n = args_all(a, "event", events, CLI_ARGS_MAX_VALUES);
    if (n == 0)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < CLI_ARGS_MAX_VALUES; i++)
        json_array_append_new(list, json_pack("{s:s}", "eventType", events[i]));
    return list;
}

static int run_create(cli_ctx *c)
{
    const cli_args *a = c->args;
    const char *description = args_get(a, "description");
    json_t *input = json_pack(
        "{s:s, s:o, s:b, s:s}", "url", args_get(a, "url"), "eventSubscriptions", subscriptions(a),
        "isEnabled", !args_has(a, "disabled"), "description", description ? description : "");
    op_set(input, "version", args_has(a, "version") ? json_string(args_get(a, "version")) : NULL);
    return op_mutate(c, create_doc, input_vars(input), "createWebhookTarget", print_payload_target);
}

static int run_list(cli_ctx *c)
{
    return op_list_all(c, list_doc, NULL, "webhookTargets", print_list);
}

static int run_show(cli_ctx *c)
{
    const char *id = c->args->positional[0];
    char missing[256];
    snprintf(missing, sizeof missing, "no webhook target with id %.200s", id);
    return op_show(c, show_doc, json_pack("{s:s}", "id", id), "webhookTarget", missing,
                   print_target);
}

static int run_update(cli_ctx *c)
{
    const cli_args *a = c->args;
    if (args_has(a, "enable") && args_has(a, "disable"))
        return op_usage(c, "--enable and --disable exclude each other");
    json_t *input = json_pack("{s:s}", "webhookTargetId", a->positional[0]);
    op_set(input, "url", op_string_input(args_get(a, "url")));
    op_set(input, "eventSubscriptions", subscriptions(a));
    op_set(input, "version", op_string_input(args_get(a, "version")));
    op_set(input, "description", op_string_input(args_get(a, "description")));
    if (args_has(a, "enable") || args_has(a, "disable"))
        op_set(input, "isEnabled", json_pack("{s:b}", "value", args_has(a, "enable")));
    if (json_object_size(input) == 1) {
        json_decref(input);
        return op_usage(c, "nothing to change: give --url, --event, --version, --enable, "
                           "--disable or --description");
    }
    return op_mutate(c, update_doc, input_vars(input), "updateWebhookTarget", print_payload_target);
}

static int run_delete(cli_ctx *c)
{
    json_t *input = json_pack("{s:s}", "webhookTargetId", c->args->positional[0]);
    return op_mutate(c, delete_doc, input_vars(input), "deleteWebhookTarget", print_deleted);
}

static int run_test(cli_ctx *c)
{
    json_t *input = json_pack("{s:s}", "webhookTargetId", c->args->positional[0]);
    return op_mutate(c, test_doc, input_vars(input), "hookdSendTestWebhookEvent", print_test);
}

/* ---- table ---- */

static const cli_opt create_opts[] = {
    {"url", "U", OPT_REQUIRED, "where to deliver (https://; credentials in it become Basic auth)"},
    {"event", "TYPE", OPT_REQUIRED | OPT_REPEAT, "an event type to subscribe to (repeatable)"},
    {"version", "V", 0, "the webhook version of the bodies (default: the latest)"},
    {"disabled", NULL, 0, "create it disabled"},
    {"description", "D", 0, "a description"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec create_spec = {
    "targets create --url U --event TYPE... [--version V] [--disabled] [--description D]",
    "Registers a webhook target.",
    "Event types are Plain's, e.g. customer.customer_created; `hookctl versions` lists the\n"
    "versions. This --url is the target's: give the server's before the command words\n"
    "(hookctl --url SERVER targets create ...) or in HOOKD_URL.",
    create_opts,
    0,
    0,
    false};

static const cli_spec list_spec = {"targets list", "Lists every webhook target.", NULL, NULL, 0, 0,
                                   false};
static const cli_spec show_spec = {
    "targets show ID", "Shows one webhook target.", NULL, NULL, 1, 1, false};

static const cli_opt update_opts[] = {
    {"url", "U", 0, "new URL"},
    {"event", "TYPE", OPT_REPEAT, "replace the subscriptions with these event types"},
    {"version", "V", 0, "new webhook version"},
    {"enable", NULL, 0, "enable the target"},
    {"disable", NULL, 0, "disable it (its pending deliveries are cancelled)"},
    {"description", "D", 0, "new description"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec update_spec = {
    "targets update ID [--url U] [--event TYPE...] [--version V] [--enable | --disable] "
    "[--description D]",
    "Changes a webhook target.",
    "Only what the options give changes; --event replaces the subscriptions. This --url is\n"
    "the target's: give the server's before the command words or in HOOKD_URL.",
    update_opts,
    1,
    1,
    false};

static const cli_spec delete_spec = {"targets delete ID",
                                     "Deletes a webhook target.",
                                     "Its pending deliveries are cancelled.",
                                     NULL,
                                     1,
                                     1,
                                     false};
static const cli_spec test_spec = {
    "targets test ID",
    "Sends a test event to a webhook target.",
    "The event is customer.customer_updated with a sample customer; prints its id, to\n"
    "follow with `hookctl deliveries attempts TARGET_ID EVENT_ID`.",
    NULL,
    1,
    1,
    false};

static const cli_command commands[] = {
    {"create", &create_spec, run_create},
    {"list", &list_spec, run_list},
    {"show", &show_spec, run_show},
    {"update", &update_spec, run_update},
    {"delete", &delete_spec, run_delete},
    {"test", &test_spec, run_test},
    {NULL, NULL, NULL},
};

const cli_group cmd_targets = {
    "targets", "Webhook targets: create, list, show, update, delete, send a test event.", commands};
