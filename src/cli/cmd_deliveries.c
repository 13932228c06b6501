/*
 * cmd_deliveries.c - hookctl deliveries: list a target's deliveries, show
 * one delivery's attempts, re-send one event, recover the failed ones
 * (hookd's operator operations, src/api/hookd.graphql).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/exit_codes.h"
#include "cli/jpath.h"
#include "cli/op.h"
#include "cli/paging.h"
#include "cli/table.h"

#define DELIVERY_FIELDS                                                                            \
    "eventId eventType webhookTargetId status attemptCount nextAttemptAt { iso8601 } "             \
    "waitingForEarlierDelivery createdAt { iso8601 } updatedAt { iso8601 }"
#define ATTEMPT_FIELDS                                                                             \
    "attempts { id number startedAt { iso8601 } durationMs statusCode error responseExcerpt }"

static const char list_doc[] =
    "query hookctlDeliveries($target: ID!, $status: HookdWebhookDeliveryStatus, $first: Int, "
    "$after: String) { hookdWebhookDeliveries(webhookTargetId: $target, status: $status, first: "
    "$first, after: $after) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
    "edges { cursor node { " DELIVERY_FIELDS " } } } webhookTarget(webhookTargetId: $target) { "
    "hookdDelivery { orderedByCustomer maxRequestsPerSecond failingSince { iso8601 } } } }";
/* The API lists deliveries but has no lookup by event: find the edge before the event, then
 * read the one delivery after that cursor with its attempts. */
static const char scan_doc[] =
    "query hookctlDeliveryScan($target: ID!, $after: String) { "
    "hookdWebhookDeliveries(webhookTargetId: $target, first: 100, after: $after) { pageInfo { "
    "hasNextPage endCursor } edges { cursor node { eventId } } } }";
static const char one_doc[] =
    "query hookctlDelivery($target: ID!, $after: String) { "
    "hookdWebhookDeliveries(webhookTargetId: $target, first: 1, after: $after) { edges { node { "
    "" DELIVERY_FIELDS " " ATTEMPT_FIELDS " } } } }";
static const char target_doc[] =
    "query hookctlTargetExists($id: ID!) { webhookTarget(webhookTargetId: $id) { id } }";
static const char resend_doc[] = "mutation hookctlResend($input: HookdResendWebhookEventInput!) { "
                                 "hookdResendWebhookEvent(input: $input) { " OP_ERROR_FIELDS " } }";
static const char recover_doc[] =
    "mutation hookctlRecover($input: HookdResendFailedWebhookDeliveriesInput!) { "
    "hookdResendFailedWebhookDeliveries(input: $input) { count " OP_ERROR_FIELDS " } }";

/* How many pages (of 100 deliveries) are scanned for one event before giving up. */
#define SCAN_MAX_PAGES 1000

/* PENDING, or WAITING when it waits for an earlier delivery of its customer. */
static const char *status_of(json_t *n)
{
    const char *status = jpath_str(n, "status", "?");
    return jpath_bool(n, "waitingForEarlierDelivery") ? "WAITING" : status;
}

static cli_style status_style(const char *status)
{
    if (strcmp(status, "SUCCEEDED") == 0)
        return STYLE_OK;
    if (strcmp(status, "FAILED") == 0)
        return STYLE_BAD;
    return strcmp(status, "PENDING") == 0 || strcmp(status, "WAITING") == 0 ? STYLE_WARN
                                                                            : STYLE_DIM;
}

/* The target's delivery settings, above its deliveries. */
static void print_settings(const cli_out *o, json_t *target)
{
    json_t *d = json_object_get(target, "hookdDelivery");
    if (!d)
        return;
    long long rps = jpath_int(d, "maxRequestsPerSecond", 0);
    char line[160];
    int n = snprintf(line, sizeof line, "%s",
                     jpath_bool(d, "orderedByCustomer") ? "ordered by customer" : "any order");
    if (rps > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, ", at most %lld requests/s", rps);
    else
        n += snprintf(line + n, sizeof line - (size_t)n, ", no rate cap");
    const char *failing = jpath_str(d, "failingSince.iso8601", NULL);
    if (failing)
        snprintf(line + n, sizeof line - (size_t)n, "; failing since %s", failing);
    fprintf(o->f, "delivery: %s\n\n", line);
}

/* ---- printers ---- */

static void print_list(const cli_out *o, json_t *conn)
{
    static const char *const headers[] = {"EVENT ID", "TYPE",         "STATUS",
                                          "ATTEMPTS", "NEXT ATTEMPT", "CREATED"};
    cli_table *t = table_new(6, headers);
    size_t i;
    json_t *edge;
    json_array_foreach(json_object_get(conn, "edges"), i, edge)
    {
        json_t *n = json_object_get(edge, "node");
        const char *status = status_of(n);
        char count[24];
        snprintf(count, sizeof count, "%lld", jpath_int(n, "attemptCount", 0));
        table_row(t);
        table_cell(t, jpath_str(n, "eventId", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "eventType", NULL), STYLE_PLAIN);
        table_cell(t, status, status_style(status));
        table_cell(t, count, STYLE_PLAIN);
        table_cell(t, jpath_str(n, "nextAttemptAt.iso8601", NULL), STYLE_PLAIN);
        table_cell(t, jpath_str(n, "createdAt.iso8601", NULL), STYLE_PLAIN);
    }
    if (t && table_print(o, t) == 0)
        paging_footer(o, conn, "delivery", "deliveries");
    table_free(t);
}

static void print_attempts(const cli_out *o, json_t *attempts)
{
    static const char *const headers[] = {"#",      "STARTED", "DURATION",
                                          "STATUS", "ERROR",   "RESPONSE"};
    cli_table *t = table_new(6, headers);
    size_t i;
    json_t *a;
    json_array_foreach(attempts, i, a)
    {
        char number[24], duration[32], code[24] = "";
        long long status = jpath_int(a, "statusCode", -1);
        snprintf(number, sizeof number, "%lld", jpath_int(a, "number", 0));
        snprintf(duration, sizeof duration, "%lld ms", jpath_int(a, "durationMs", 0));
        if (status >= 0)
            snprintf(code, sizeof code, "%lld", status);
        table_row(t);
        table_cell(t, number, STYLE_PLAIN);
        table_cell(t, jpath_str(a, "startedAt.iso8601", NULL), STYLE_PLAIN);
        table_cell(t, duration, STYLE_PLAIN);
        table_cell(t, code, status >= 200 && status <= 299 ? STYLE_OK : STYLE_BAD);
        table_cell(t, jpath_str(a, "error", NULL), STYLE_BAD);
        table_cell(t, jpath_str(a, "responseExcerpt", NULL), STYLE_PLAIN);
    }
    if (t)
        table_print(o, t);
    table_free(t);
}

static void print_delivery(const cli_out *o, json_t *d)
{
    const char *status = status_of(d);
    char count[24];
    snprintf(count, sizeof count, "%lld", jpath_int(d, "attemptCount", 0));
    out_kv(o, "event id", jpath_str(d, "eventId", NULL));
    out_kv(o, "event type", jpath_str(d, "eventType", NULL));
    out_kv(o, "target", jpath_str(d, "webhookTargetId", NULL));
    out_kv_styled(o, "status", status, status_style(status));
    out_kv(o, "attempts", count);
    out_kv(o, "next attempt", jpath_str(d, "nextAttemptAt.iso8601", NULL));
    out_kv(o, "created", jpath_str(d, "createdAt.iso8601", NULL));
    out_kv(o, "updated", jpath_str(d, "updatedAt.iso8601", NULL));
    json_t *attempts = json_object_get(d, "attempts");
    if (json_array_size(attempts) == 0) {
        out_section(o, "no attempts yet");
        return;
    }
    fputc('\n', o->f);
    print_attempts(o, attempts);
}

static void print_resent(const cli_out *o, json_t *payload)
{
    fprintf(o->f, "queued: the event will be sent again now\n");
}

static void print_recovered(const cli_out *o, json_t *payload)
{
    fprintf(o->f, "queued again: %lld failed deliveries\n", jpath_int(payload, "count", 0));
}

/* ---- not found ---- */

/* True when the server says there is no target with this id (false when it cannot say). */
static bool target_missing(cli_ctx *c, const char *id)
{
    cli_result r;
    json_t *vars = json_pack("{s:s}", "id", id);
    client_run(c->client, target_doc, vars, &r);
    json_decref(vars);
    bool missing = r.exit == CLI_EXIT_OK && json_is_null(json_object_get(r.data, "webhookTarget"));
    client_result_clear(&r);
    return missing;
}

static int no_target(const char *id)
{
    out_error("no webhook target with id %.200s", id);
    return CLI_EXIT_NOT_FOUND;
}

/* ---- commands ---- */

/* "pending" -> "PENDING"; NULL for anything that is not a status. */
static const char *status_enum(const char *s, char *buf, size_t cap)
{
    static const char *const names[] = {"pending", "succeeded", "failed", "cancelled"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(s, names[i]) != 0)
            continue;
        size_t n = 0;
        for (; names[i][n] && n + 1 < cap; n++)
            buf[n] = (char)toupper((unsigned char)names[i][n]);
        buf[n] = '\0';
        return buf;
    }
    return NULL;
}

static int run_list(cli_ctx *c)
{
    const char *target = c->args->positional[0];
    const char *status_arg = args_get(c->args, "status");
    char status[16];
    if (status_arg && !status_enum(status_arg, status, sizeof status))
        return op_usage(c, "--status must be pending, succeeded, failed or cancelled");
    json_t *vars = json_pack("{s:s}", "target", target);
    if (status_arg)
        json_object_set_new(vars, "status", json_string(status));
    int rc = paging_vars(c, vars);
    if (rc) {
        json_decref(vars);
        return rc;
    }
    cli_result r;
    client_run(c->client, list_doc, vars, &r);
    json_decref(vars);
    rc = r.exit;
    if (rc == CLI_EXIT_FAILED && target_missing(c, target))
        rc = no_target(target);
    else if (rc)
        out_error("%s", r.message);
    else if (c->out->json)
        out_json(c->out, r.data);
    else {
        print_settings(c->out, json_object_get(r.data, "webhookTarget"));
        print_list(c->out, json_object_get(r.data, "hookdWebhookDeliveries"));
    }
    client_result_clear(&r);
    return rc;
}

/*
 * Pages through the target's deliveries for `event`. Returns CLI_EXIT_OK with
 * the cursor of the delivery before it in after[] ("" when it is the first),
 * CLI_EXIT_NOT_FOUND when it is not there, or the error's exit status.
 */
static int find_before(cli_ctx *c, const char *target, const char *event, char *after, size_t cap)
{
    json_t *vars = json_pack("{s:s}", "target", target);
    int rc = CLI_EXIT_NOT_FOUND;
    after[0] = '\0';
    for (int page = 0; page < SCAN_MAX_PAGES && rc == CLI_EXIT_NOT_FOUND; page++) {
        json_t *data;
        int run = op_run(c, scan_doc, json_incref(vars), &data);
        if (run) {
            rc = run;
            break;
        }
        json_t *conn = json_object_get(data, "hookdWebhookDeliveries");
        size_t i;
        json_t *edge;
        json_array_foreach(json_object_get(conn, "edges"), i, edge)
        {
            if (strcmp(jpath_str(edge, "node.eventId", ""), event) == 0) {
                rc = CLI_EXIT_OK;
                break;
            }
            snprintf(after, cap, "%s", jpath_str(edge, "cursor", ""));
        }
        const char *next = jpath_str(conn, "pageInfo.endCursor", NULL);
        bool more = jpath_bool(conn, "pageInfo.hasNextPage") && next;
        if (more)
            json_object_set_new(vars, "after", json_string(next));
        json_decref(data);
        if (!more)
            break;
    }
    json_decref(vars);
    return rc;
}

static int run_attempts(cli_ctx *c)
{
    const char *target = c->args->positional[0], *event = c->args->positional[1];
    char after[512];
    int rc = find_before(c, target, event, after, sizeof after);
    if (rc == CLI_EXIT_FAILED && target_missing(c, target))
        return no_target(target);
    if (rc == CLI_EXIT_NOT_FOUND)
        out_error("no delivery of event %.200s to webhook target %.200s", event, target);
    if (rc)
        return rc;
    json_t *vars = json_pack("{s:s}", "target", target);
    if (after[0])
        json_object_set_new(vars, "after", json_string(after));
    json_t *data;
    rc = op_run(c, one_doc, vars, &data);
    if (rc)
        return rc;
    json_t *node = jpath(json_array_get(jpath(data, "hookdWebhookDeliveries.edges"), 0), "node");
    if (c->out->json)
        out_json(c->out, data);
    if (strcmp(jpath_str(node, "eventId", ""), event) != 0) {
        out_error("no delivery of event %.200s to webhook target %.200s", event, target);
        rc = CLI_EXIT_NOT_FOUND;
    } else if (!c->out->json) {
        print_delivery(c->out, node);
    }
    json_decref(data);
    return rc;
}

static int run_resend(cli_ctx *c)
{
    json_t *vars = json_pack("{s:{s:s, s:s}}", "input", "webhookTargetId", c->args->positional[0],
                             "eventId", c->args->positional[1]);
    return op_mutate(c, resend_doc, vars, "hookdResendWebhookEvent", print_resent);
}

static int run_recover(cli_ctx *c)
{
    json_t *vars = json_pack("{s:{s:s, s:s}}", "input", "webhookTargetId", c->args->positional[0],
                             "since", args_get(c->args, "since"));
    return op_mutate(c, recover_doc, vars, "hookdResendFailedWebhookDeliveries", print_recovered);
}

/* ---- table ---- */

static const cli_opt list_opts[] = {
    {"status", "S", 0, "only deliveries in this status: pending, succeeded, failed, cancelled"},
    {"first", "N", 0, "the first N deliveries (1-100; default 25)"},
    {"after", "C", 0, "those after the cursor C (see the footer)"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec list_spec = {
    "deliveries list TARGET_ID [--status pending|succeeded|failed|cancelled] [--first N] "
    "[--after C]",
    "Lists a webhook target's deliveries, one per event.",
    "In event order, one page at a time; the footer gives the option for the next page.",
    list_opts,
    1,
    1,
    false};

static const cli_spec attempts_spec = {
    "deliveries attempts TARGET_ID EVENT_ID",
    "Shows one delivery and its attempts.",
    "For each attempt: number, start time, duration, HTTP status, error and the first\n"
    "bytes of the receiver's response.",
    NULL,
    2,
    2,
    false};

static const cli_spec resend_spec = {"deliveries resend TARGET_ID EVENT_ID",
                                     "Sends one event to a target again, now.",
                                     "A new attempt of the same event (same event id).",
                                     NULL,
                                     2,
                                     2,
                                     false};

static const cli_opt recover_opts[] = {
    {"since", "ISO8601", OPT_REQUIRED, "events at or after this time, e.g. 2026-01-31T12:00:00Z"},
    {NULL, NULL, 0, NULL},
};
static const cli_spec recover_spec = {
    "deliveries recover TARGET_ID --since ISO8601",
    "Sends a target's failed deliveries again.",
    "Every failed delivery whose event happened at or after --since is queued again; prints\n"
    "how many.",
    recover_opts,
    1,
    1,
    false};

static const cli_command commands[] = {
    {"list", &list_spec, run_list},
    {"attempts", &attempts_spec, run_attempts},
    {"resend", &resend_spec, run_resend},
    {"recover", &recover_spec, run_recover},
    {NULL, NULL, NULL},
};

const cli_group cmd_deliveries = {
    "deliveries", "Deliveries of events to webhook targets: list, attempts, re-send, recover.",
    commands};
