/*
 * cmd_workspace.c - the workspace the API key belongs to: hookctl workspace
 * show, hmac show / regenerate (the secret that signs deliveries), versions
 * (the webhook versions a target may pin).
 */
#include <stdio.h>

#include "cli/exit_codes.h"
#include "cli/jpath.h"
#include "cli/op.h"
#include "cli/table.h"

#define HMAC_FIELDS "hmacSecret createdAt { iso8601 } updatedAt { iso8601 }"

static const char workspace_doc[] = "query hookctlWorkspace { myWorkspace { id name publicName "
                                    "createdAt { iso8601 } updatedAt { iso8601 } } }";
static const char hmac_doc[] = "query hookctlHmac { workspaceHmac { " HMAC_FIELDS " } }";
static const char regenerate_doc[] =
    "mutation hookctlRegenerateHmac { regenerateWorkspaceHmac { workspaceHmac { " HMAC_FIELDS
    " } " OP_ERROR_FIELDS " } }";
static const char versions_doc[] =
    "query hookctlVersions($after: String) { webhookVersions(first: 100, after: $after) { "
    "pageInfo { hasNextPage endCursor } edges { node { version isLatest isDeprecated } } } }";

static void print_workspace(const cli_out *o, json_t *w)
{
    out_kv(o, "id", jpath_str(w, "id", NULL));
    out_kv(o, "name", jpath_str(w, "name", NULL));
    out_kv(o, "public name", jpath_str(w, "publicName", NULL));
    out_kv(o, "created", jpath_str(w, "createdAt.iso8601", NULL));
    out_kv(o, "updated", jpath_str(w, "updatedAt.iso8601", NULL));
}

static void print_hmac(const cli_out *o, json_t *h)
{
    out_kv(o, "secret", jpath_str(h, "hmacSecret", NULL));
    out_kv(o, "created", jpath_str(h, "createdAt.iso8601", NULL));
    out_kv(o, "updated", jpath_str(h, "updatedAt.iso8601", NULL));
}

static void print_regenerated(const cli_out *o, json_t *payload)
{
    print_hmac(o, json_object_get(payload, "workspaceHmac"));
}

static void print_versions(const cli_out *o, json_t *conn)
{
    static const char *const headers[] = {"VERSION", "LATEST", "DEPRECATED"};
    cli_table *t = table_new(3, headers);
    size_t i;
    json_t *edge;
    json_array_foreach(json_object_get(conn, "edges"), i, edge)
    {
        bool latest = jpath_bool(edge, "node.isLatest");
        bool deprecated = jpath_bool(edge, "node.isDeprecated");
        table_row(t);
        table_cell(t, jpath_str(edge, "node.version", NULL), STYLE_PLAIN);
        table_cell(t, latest ? "yes" : "no", latest ? STYLE_OK : STYLE_PLAIN);
        table_cell(t, deprecated ? "yes" : "no", deprecated ? STYLE_WARN : STYLE_PLAIN);
    }
    if (t)
        table_print(o, t);
    table_free(t);
}

static int run_workspace(cli_ctx *c)
{
    return op_show(c, workspace_doc, NULL, "myWorkspace", "no workspace for this API key",
                   print_workspace);
}

static int run_hmac_show(cli_ctx *c)
{
    return op_show(c, hmac_doc, NULL, "workspaceHmac",
                   "the workspace has no HMAC secret yet: run 'hookctl hmac regenerate'",
                   print_hmac);
}

static int run_hmac_regenerate(cli_ctx *c)
{
    return op_mutate(c, regenerate_doc, NULL, "regenerateWorkspaceHmac", print_regenerated);
}

static int run_versions(cli_ctx *c)
{
    return op_list_all(c, versions_doc, NULL, "webhookVersions", print_versions);
}

static const cli_spec workspace_spec = {
    "workspace show", "Shows the workspace the API key belongs to.", NULL, NULL, 0, 0, false};
static const cli_spec hmac_show_spec = {
    "hmac show",
    "Shows the workspace's HMAC secret.",
    "The secret signs every delivery (Plain-Request-Signature). Exit status 4 when there\n"
    "is none yet.",
    NULL,
    0,
    0,
    false};
static const cli_spec hmac_regenerate_spec = {
    "hmac regenerate",
    "Replaces the HMAC secret with a new one.",
    "Prints the new secret. Deliveries signed from now on use it: give it to receivers.",
    NULL,
    0,
    0,
    false};
static const cli_spec versions_spec = {
    "versions", "Lists the webhook versions a target can be pinned to.", NULL, NULL, 0, 0, false};

static const cli_command workspace_commands[] = {
    {"show", &workspace_spec, run_workspace},
    {NULL, NULL, NULL},
};
static const cli_command hmac_commands[] = {
    {"show", &hmac_show_spec, run_hmac_show},
    {"regenerate", &hmac_regenerate_spec, run_hmac_regenerate},
    {NULL, NULL, NULL},
};
static const cli_command versions_commands[] = {
    {NULL, &versions_spec, run_versions},
    {NULL, NULL, NULL},
};

const cli_group cmd_workspace = {"workspace", "The workspace the API key belongs to.",
                                 workspace_commands};
const cli_group cmd_hmac = {"hmac", "The workspace's HMAC secret, which signs deliveries.",
                            hmac_commands};
const cli_group cmd_versions = {"versions", "Webhook versions.", versions_commands};
