/*
 * cmd_targets.c - hookctl targets: create, list, show, update, delete
 * (Plain's webhook target operations), test (hookd's test event) and
 * delivery (hookd's delivery settings: ordered by customer, a rate cap).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/exit_codes.h"
#include "cli/jpath.h"
#include "cli/op.h"
#include "cli/table.h"

#define TARGET_FIELDS                                                                              \
    "id url description version isEnabled eventSubscriptions { eventType } createdAt { iso8601 "   \
    "} updatedAt { iso8601 } hookdDelivery { orderedByCustomer maxRequestsPerSecond "              \
    "failingSince { iso8601 } autoDisabledAt { iso8601 } }"

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
static const char delivery_doc[] =
    "mutation hookctlTargetDelivery($input: HookdUpdateWebhookTargetDeliveryInput!) { "
    "hookdUpdateWebhookTargetDelivery(input: $input) { webhookTarget { " TARGET_FIELDS
    " } " OP_ERROR_FIELDS " } }";

/* ---- printers ---- */

/* "ordered by customer, 10/s" / "ordered by customer" / "10/s" / "-": how hookd delivers. */
static void delivery_summary(json_t *t, char *out, size_t cap)
{
    json_t *d = json_object_get(t, "hookdDelivery");
    bool ordered = jpath_bool(d, "orderedByCustomer");
    long long rps = jpath_int(d, "maxRequestsPerSecond", 0);
    if (ordered && rps > 0)
        snprintf(out, cap, "ordered by customer, %lld/s", rps);
    else if (ordered)
        snprintf(out, cap, "ordered by customer");
    else if (rps > 0)
        snprintf(out, cap, "%lld/s", rps);
    else
        snprintf(out, cap, "-");
}

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
    char summary[64];
    delivery_summary(t, summary, sizeof summary);
    out_kv(o, "delivery", strcmp(summary, "-") == 0 ? "any order, no rate cap" : summary);
    const char *failing = jpath_str(t, "hookdDelivery.failingSince.iso8601", NULL);
    if (failing)
        out_kv_styled(o, "failing since", failing, STYLE_BAD);
    const char *auto_off = jpath_str(t, "hookdDelivery.autoDisabledAt.iso8601", NULL);
    if (auto_off)
        out_kv_styled(o, "disabled by hookd", auto_off, STYLE_BAD);
}

static void print_payload_target(const cli_out *o, json_t *payload)
{
    print_target(o, json_object_get(payload, "webhookTarget"));
}

static void print_list(const cli_out *o, json_t *conn)
{
    static const char *const headers[] = {"ID",     "URL",      "VERSION",    "ENABLED",
                                          "EVENTS", "DELIVERY", "DESCRIPTION"};
    cli_table *t = table_new(7, headers);
    size_t i;
    json_t *edge;
    json_array_foreach(json_object_get(conn, "edges"), i, edge)
    {
        json_t *n = json_object_get(edge, "node");
        bool enabled = jpath_bool(n, "isEnabled");
        bool failing = jpath_str(n, "hookdDelivery.failingSince.iso8601", NULL) != NULL;
        bool auto_off = jpath_str(n, "hookdDelivery.autoDisabledAt.iso8601", NULL) != NULL;
        char *events = jpath_join(json_object_get(n, "eventSubscriptions"), "eventType", ",");
        char summary[64];
        delivery_summary(n, summary, sizeof summary);
        table_row(t);
        table_cell(t, jpath_str(n, "id", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "url", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "version", NULL), STYLE_PLAIN);
        table_cell(t,
                   enabled    ? (failing ? "yes, failing" : "yes")
                   : auto_off ? "no (by hookd)"
                              : "no",
                   enabled && !failing ? STYLE_OK : STYLE_BAD);
        table_cell(t, events, STYLE_PLAIN);
        table_cell(t, summary, STYLE_PLAIN);
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

/* --max-rps N (1..100000) or none; NULL after a usage error. */
static json_t *rps_input(const char *v, bool *bad)
{
    *bad = false;
    if (strcmp(v, "none") == 0)
        return json_null();
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < 1 || n > 100000) {
        *bad = true;
        return NULL;
    }
    return json_integer(n);
}

static int run_delivery(cli_ctx *c)
{
    const cli_args *a = c->args;
    if (args_has(a, "ordered-by-customer") && args_has(a, "any-order"))
        return op_usage(c, "--ordered-by-customer and --any-order exclude each other");
    json_t *input = json_pack("{s:s}", "webhookTargetId", a->positional[0]);
    if (args_has(a, "ordered-by-customer") || args_has(a, "any-order"))
        json_object_set_new(input, "orderedByCustomer",
                            json_boolean(args_has(a, "ordered-by-customer")));
    if (args_has(a, "max-rps")) {
        bool bad;
        json_t *rps = rps_input(args_get(a, "max-rps"), &bad);
        if (bad) {
            json_decref(input);
            return op_usage(c, "--max-rps must be a number from 1 to 100000, or none");
        }
        json_object_set_new(input, "maxRequestsPerSecond", rps);
    }
    if (json_object_size(input) == 1) {
        json_decref(input);
        return op_usage(c, "nothing to change: give --ordered-by-customer, --any-order or "
                           "--max-rps");
    }
    return op_mutate(c, delivery_doc, input_vars(input), "hookdUpdateWebhookTargetDelivery",
                     print_payload_target);
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

static const cli_opt delivery_opts[] = {
    {"ordered-by-customer", NULL, 0,
     "deliver each customer's events one at a time, in the order they happened"},
    {"any-order", NULL, 0, "deliver events as they come (the default)"},
    {"max-rps", "N", 0, "at most N requests per second to this target; none: no cap"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec delivery_spec = {
    "targets delivery ID [--ordered-by-customer | --any-order] [--max-rps N|none]",
    "Sets how hookd delivers to a webhook target.",
    "Ordered by customer: a customer's next event waits until the one before succeeded or\n"
    "failed for good; other customers are not held. It applies to events made from now on;\n"
    "--any-order lets every waiting delivery go at once. --max-rps paces the attempts evenly.",
    delivery_opts,
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
    {"delivery", &delivery_spec, run_delivery},
    {NULL, NULL, NULL},
};

const cli_group cmd_targets = {
    "targets",
    "Webhook targets: create, list, show, update, delete, send a test event, delivery settings.",
    commands};
