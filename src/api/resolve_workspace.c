/*
 * resolve_workspace.c - the workspace, its HMAC secret, webhook versions and
 * webhook targets: queries, fields and mutations (SPEC §2, §4, §6).
 */
#include <string.h>

#include "api/resolve.h"
#include "api/url_mask.h"

static hk_status oom(gql_field_ctx *fc)
{
    return gql_request_fail(fc, GQL_CODE_INTERNAL, 500, "out of memory");
}

/*
 * The store keeps when the HMAC secret last changed but not who changed it,
 * so the secret is attributed to the system (the name the domain gives the
 * actor that creates workspaces), both when it is read and right after it is
 * regenerated: the two answers agree.
 */

/* ---- workspace ---- */

static hk_status q_my_workspace(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    hk_workspace *w = hk_arena_alloc(a, sizeof *w);
    if (!w)
        return oom(fc);
    hk_error err;
    hk_status st = hk_workspace_get(resolve_ctx(fc), a, w, &err);
    if (st == HK_ENOTFOUND)
        return HK_OK; /* deleted under a live key: a missing entity is null */
    if (st)
        return resolve_query_error(fc, &err);
    gql_result_object(out, "Workspace", w);
    return HK_OK;
}

static const hk_workspace *ws(const void *parent)
{
    return parent;
}

static hk_status ws_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, ws(p)->id);
    return HK_OK;
}

/* name and publicName: hookd has one name per workspace. */
static hk_status ws_name(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, ws(p)->name);
    return HK_OK;
}

static hk_status ws_is_demo(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_bool(out, false);
    return HK_OK;
}

static hk_status ws_domain_names(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return gql_result_list(out, 0, gql_arena(fc)) ? oom(fc) : HK_OK;
}

static hk_status ws_created_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, ws(p)->created_at, out);
}

static hk_status ws_created_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &ws(p)->created_by, out);
}

/* ---- MachineUserActor.machineUser ---- */

/* The string entry `name` of a map result (resolve_actor's), or NULL. */
static const char *map_string(const gql_result *map, const char *name)
{
    for (size_t i = 0; map->kind == GQL_R_MAP && i < map->u.map.n; i++) {
        const gql_map_entry *e = &map->u.map.entries[i];
        if (strcmp(e->name, name) == 0 && e->value.kind == GQL_R_STRING)
            return e->value.u.str.s;
    }
    return NULL;
}

/* Plain's MachineUser, as far as hookd keeps one: its name is both names,
 * it was made by bootstrap and never changed, and no machine user is ever
 * deleted. description, avatar and apiKey are null; apiKeys is not served. */
static hk_status machine_user_result(gql_field_ctx *fc, const hk_machine_user *mu, gql_result *out)
{
    if (gql_result_map(out, "MachineUser", 9, gql_arena(fc)))
        return oom(fc);
    gql_result_string(gql_result_map_put(out, "id"), mu->id);
    gql_result_string(gql_result_map_put(out, "fullName"), mu->name);
    gql_result_string(gql_result_map_put(out, "publicName"), mu->name);
    gql_result_enum(gql_result_map_put(out, "type"), "API_USER");
    gql_result_bool(gql_result_map_put(out, "isDeleted"), false);
    hk_status st = resolve_datetime(fc, mu->created_at, gql_result_map_put(out, "createdAt"));
    if (!st)
        st = resolve_datetime(fc, mu->created_at, gql_result_map_put(out, "updatedAt"));
    if (!st)
        st = resolve_actor(fc, &mu->created_by, gql_result_map_put(out, "createdBy"));
    if (!st)
        st = resolve_actor(fc, &mu->created_by, gql_result_map_put(out, "updatedBy"));
    return st;
}

/* The parent is the actor's map (resolve_actor), holding machineUserId. */
static hk_status actor_machine_user(gql_field_ctx *fc, const void *p, gql_result *out)
{
    api_request *req = gql_user(fc);
    const char *id = map_string(p, "machineUserId");
    if (req->machine_user && id && strcmp(req->machine_user->id, id) == 0)
        return machine_user_result(fc, req->machine_user, out);
    hk_arena *a = gql_arena(fc);
    hk_machine_user *mu = hk_arena_alloc(a, sizeof *mu);
    if (!mu)
        return oom(fc);
    bool found;
    hk_error err;
    if (hk_machine_user_get(resolve_ctx(fc), id, a, mu, &found, &err))
        return resolve_field_error(fc, &err);
    if (found)
        req->machine_user = mu;
    /* Non-null: an actor whose machine user is not there fails the field
     * (and, null propagating, its parent) as an internal error. */
    return found ? machine_user_result(fc, mu, out) : HK_ENOTFOUND;
}

static hk_status ws_updated_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, ws(p)->updated_at, out);
}

static hk_status ws_updated_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &ws(p)->updated_by, out);
}

/* hookd has no email channel: disabled, no domain, no BCC addresses. */
static hk_status ws_email_settings(gql_field_ctx *fc, const void *p, gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    if (gql_result_map(out, "WorkspaceEmailSettings", 3, a))
        return oom(fc);
    gql_result_bool(gql_result_map_put(out, "isEnabled"), false);
    gql_result_null(gql_result_map_put(out, "workspaceEmailDomainSettings"));
    return gql_result_list(gql_result_map_put(out, "bccEmailAddresses"), 0, a) ? oom(fc) : HK_OK;
}

/* Nor a chat channel. */
static hk_status ws_chat_settings(gql_field_ctx *fc, const void *p, gql_result *out)
{
    if (gql_result_map(out, "WorkspaceChatSettings", 1, gql_arena(fc)))
        return oom(fc);
    gql_result_bool(gql_result_map_put(out, "isEnabled"), false);
    return HK_OK;
}

/* ---- HMAC secret ---- */

/* WorkspaceHmac {hmacSecret, createdAt/By, updatedAt/By}; null without a
 * secret. The strings live in the request arena (the domain put them there). */
static hk_status hmac_value(gql_field_ctx *fc, const hk_hmac_secret *h, gql_result *out)
{
    if (!h->secret)
        return HK_OK;
    if (gql_result_map(out, "WorkspaceHmac", 5, gql_arena(fc)))
        return oom(fc);
    gql_result_string(gql_result_map_put(out, "hmacSecret"), h->secret);
    hk_status st = resolve_datetime(fc, h->created_at, gql_result_map_put(out, "createdAt"));
    if (!st)
        st = resolve_actor(fc, &h->created_by, gql_result_map_put(out, "createdBy"));
    if (!st)
        st = resolve_datetime(fc, h->updated_at, gql_result_map_put(out, "updatedAt"));
    if (!st)
        st = resolve_actor(fc, &h->updated_by, gql_result_map_put(out, "updatedBy"));
    return st;
}

static hk_status q_workspace_hmac(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_hmac_secret h;
    hk_error err;
    if (hk_workspace_hmac_get(resolve_ctx(fc), gql_arena(fc), &h, &err))
        return resolve_query_error(fc, &err);
    return hmac_value(fc, &h, out);
}

static hk_status m_regenerate_hmac(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_status st = resolve_output(fc, "RegenerateWorkspaceHmacOutput", 2, out);
    if (st)
        return st;
    hk_hmac_secret h;
    hk_error err;
    if (hk_workspace_hmac_regenerate(resolve_ctx(fc), gql_arena(fc), &h, &err))
        return resolve_mutation_error(fc, &err, out);
    return hmac_value(fc, &h, gql_result_map_put(out, "workspaceHmac"));
}

/* ---- webhook versions ---- */

static const char *version_cursor(const void *row)
{
    return ((const hk_webhook_version *)row)->version;
}

static hk_status q_webhook_versions(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_page_request page;
    hk_status st = resolve_page_args(fc, &page);
    if (st)
        return st;
    size_t n = hk_webhook_version_count;
    const char **ids = hk_arena_calloc(gql_arena(fc), n + 1, sizeof *ids);
    if (!ids)
        return oom(fc);
    for (size_t i = 0; i < n; i++)
        ids[i] = hk_webhook_versions[i].version;
    size_t from, count;
    hk_page_info info;
    st = resolve_page_slice(fc, &page, ids, n, &from, &count, &info);
    if (st)
        return st;
    return resolve_connection(fc, "WebhookVersionConnection", "WebhookVersionEdge",
                              "WebhookVersion", hk_webhook_versions + from, count,
                              sizeof hk_webhook_versions[0], version_cursor, &info, out);
}

static const hk_webhook_version *wv(const void *parent)
{
    return parent;
}

static hk_status wv_version(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, wv(p)->version);
    return HK_OK;
}

static hk_status wv_is_deprecated(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_bool(out, wv(p)->is_deprecated);
    return HK_OK;
}

static hk_status wv_is_latest(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_bool(out, wv(p)->is_latest);
    return HK_OK;
}

/* ---- webhook target queries ---- */

static const char *target_cursor(const void *row)
{
    return ((const hk_webhook_target *)row)->id;
}

static hk_status q_webhook_targets(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_page_request page;
    hk_status st = resolve_page_args(fc, &page);
    if (st)
        return st;
    hk_arena *a = gql_arena(fc);
    hk_webhook_target *list;
    size_t n;
    hk_error err;
    if (hk_target_list(resolve_ctx(fc), a, &list, &n, &err))
        return resolve_query_error(fc, &err);
    const char **ids = hk_arena_calloc(a, n + 1, sizeof *ids);
    if (!ids)
        return oom(fc);
    for (size_t i = 0; i < n; i++)
        ids[i] = list[i].id;
    size_t from, count;
    hk_page_info info;
    st = resolve_page_slice(fc, &page, ids, n, &from, &count, &info);
    if (st)
        return st;
    /* An empty workspace may give a NULL list: no arithmetic on it. */
    const hk_webhook_target *rows = count ? list + from : list;
    return resolve_connection(fc, "WebhookTargetConnection", "WebhookTargetEdge", "WebhookTarget",
                              rows, count, sizeof *list, target_cursor, &info, out);
}

static hk_status q_webhook_target(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    hk_webhook_target *t = hk_arena_alloc(a, sizeof *t);
    if (!t)
        return oom(fc);
    bool found;
    hk_error err;
    if (hk_target_get(resolve_ctx(fc), resolve_arg_string(fc, "webhookTargetId"), a, t, &found,
                      &err))
        return resolve_query_error(fc, &err);
    gql_result_object(out, "WebhookTarget", found ? t : NULL);
    return HK_OK;
}

/* ---- WebhookTarget fields ---- */

static const hk_webhook_target *tgt(const void *parent)
{
    return parent;
}

static hk_status t_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, tgt(p)->id);
    return HK_OK;
}

/* Never the URL as stored: its credentials stay on the server (SPEC §4). */
static hk_status t_url(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const char *url = tgt(p)->url;
    char *masked = api_url_mask(gql_arena(fc), url ? url : "");
    if (!masked)
        return oom(fc);
    gql_result_string(out, masked);
    return HK_OK;
}

static hk_status t_description(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const char *d = tgt(p)->description;
    gql_result_string(out, d ? d : "");
    return HK_OK;
}

static hk_status t_version(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, tgt(p)->version);
    return HK_OK;
}

static hk_status t_is_enabled(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_bool(out, tgt(p)->is_enabled);
    return HK_OK;
}

static hk_status t_event_subscriptions(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_webhook_target *t = tgt(p);
    hk_arena *a = gql_arena(fc);
    if (gql_result_list(out, t->n_event_types, a))
        return oom(fc);
    for (size_t i = 0; i < t->n_event_types; i++) {
        gql_result *sub = &out->u.list.items[i];
        if (gql_result_map(sub, "WebhookTargetEventSubscription", 1, a))
            return oom(fc);
        gql_result_string(gql_result_map_put(sub, "eventType"), t->event_types[i]);
    }
    return HK_OK;
}

static hk_status t_created_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, tgt(p)->created_at, out);
}

static hk_status t_created_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &tgt(p)->created_by, out);
}

static hk_status t_updated_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, tgt(p)->updated_at, out);
}

static hk_status t_updated_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &tgt(p)->updated_by, out);
}

/* ---- webhook target mutations ---- */

/* [WebhookTargetEventSubscriptionInput!] as the event type names. */
static hk_status read_event_types(gql_field_ctx *fc, const gql_value *subs, const char *const **out,
                                  size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!subs || subs->kind != GQL_V_LIST)
        return HK_OK;
    const char **types = hk_arena_calloc(gql_arena(fc), subs->u.list.n + 1, sizeof *types);
    if (!types)
        return oom(fc);
    for (size_t i = 0; i < subs->u.list.n; i++)
        types[i] = resolve_input_string(&subs->u.list.items[i], "eventType");
    *out = types;
    *n = subs->u.list.n;
    return HK_OK;
}

/* A Boolean! input field or the `value` of a BooleanInput: GQL_V_BOOL or not. */
static bool read_bool(const gql_value *v, bool *out)
{
    if (!v || v->kind != GQL_V_BOOL)
        return false;
    *out = v->u.b;
    return true;
}

/* Completes a create/update output: the target, or the domain's error. */
static hk_status target_output(gql_field_ctx *fc, const hk_webhook_target *t, hk_status st,
                               const hk_error *err, gql_result *out)
{
    if (st)
        return resolve_mutation_error(fc, err, out);
    gql_result_object(gql_result_map_put(out, "webhookTarget"), "WebhookTarget", t);
    return HK_OK;
}

static hk_status m_create_target(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *input = gql_arg(fc, "input");
    hk_target_input in = {
        .url = resolve_input_string(input, "url"),
        .description = resolve_input_string(input, "description"),
        .version = resolve_input_string(input, "version"),
    };
    read_bool(gql_value_field(input, "isEnabled"), &in.is_enabled);
    hk_status st = resolve_output(fc, "CreateWebhookTargetOutput", 2, out);
    if (!st)
        st = read_event_types(fc, gql_value_field(input, "eventSubscriptions"), &in.event_types,
                              &in.n_event_types);
    if (st)
        return st;
    hk_arena *a = gql_arena(fc);
    hk_webhook_target *t = hk_arena_alloc(a, sizeof *t);
    if (!t)
        return oom(fc);
    hk_error err;
    st = hk_target_create(resolve_ctx(fc), &in, a, t, &err);
    return target_output(fc, t, st, &err, out);
}

static hk_status read_update(gql_field_ctx *fc, const gql_value *input, hk_target_update_input *in)
{
    memset(in, 0, sizeof *in);
    in->webhook_target_id = resolve_input_string(input, "webhookTargetId");
    in->url = resolve_input_opt_string(input, "url");
    in->description = resolve_input_opt_string(input, "description");
    in->version = resolve_input_opt_string(input, "version");
    const gql_value *enabled = gql_value_field(input, "isEnabled");
    if (enabled && enabled->kind == GQL_V_OBJECT)
        in->is_enabled_set = read_bool(gql_value_field(enabled, "value"), &in->is_enabled);
    /* A null or absent list leaves the subscriptions as they are; [] clears them. */
    const gql_value *subs = gql_value_field(input, "eventSubscriptions");
    in->event_types_set = subs && subs->kind == GQL_V_LIST;
    return read_event_types(fc, subs, &in->event_types, &in->n_event_types);
}

static hk_status m_update_target(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_target_update_input in;
    hk_status st = resolve_output(fc, "UpdateWebhookTargetOutput", 2, out);
    if (!st)
        st = read_update(fc, gql_arg(fc, "input"), &in);
    if (st)
        return st;
    hk_arena *a = gql_arena(fc);
    hk_webhook_target *t = hk_arena_alloc(a, sizeof *t);
    if (!t)
        return oom(fc);
    hk_error err;
    st = hk_target_update(resolve_ctx(fc), &in, a, t, &err);
    return target_output(fc, t, st, &err, out);
}

static hk_status m_delete_target(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const char *id = resolve_input_string(gql_arg(fc, "input"), "webhookTargetId");
    hk_status st = resolve_output(fc, "DeleteWebhookTargetOutput", 1, out);
    if (st)
        return st;
    hk_error err;
    if (hk_target_delete(resolve_ctx(fc), id, &err))
        return resolve_mutation_error(fc, &err, out);
    return HK_OK;
}

static const resolve_binding bindings[] = {
    {"Query", "myWorkspace", q_my_workspace},
    {"Query", "workspaceHmac", q_workspace_hmac},
    {"Query", "webhookVersions", q_webhook_versions},
    {"Query", "webhookTargets", q_webhook_targets},
    {"Query", "webhookTarget", q_webhook_target},
    {"Workspace", "id", ws_id},
    {"Workspace", "name", ws_name},
    {"Workspace", "publicName", ws_name},
    {"Workspace", "isDemoWorkspace", ws_is_demo},
    {"Workspace", "domainNames", ws_domain_names},
    {"Workspace", "createdAt", ws_created_at},
    {"Workspace", "createdBy", ws_created_by},
    {"Workspace", "updatedAt", ws_updated_at},
    {"Workspace", "updatedBy", ws_updated_by},
    {"MachineUserActor", "machineUser", actor_machine_user},
    {"Workspace", "workspaceEmailSettings", ws_email_settings},
    {"Workspace", "workspaceChatSettings", ws_chat_settings},
    {"WebhookVersion", "version", wv_version},
    {"WebhookVersion", "isDeprecated", wv_is_deprecated},
    {"WebhookVersion", "isLatest", wv_is_latest},
    {"WebhookTarget", "id", t_id},
    {"WebhookTarget", "url", t_url},
    {"WebhookTarget", "description", t_description},
    {"WebhookTarget", "version", t_version},
    {"WebhookTarget", "isEnabled", t_is_enabled},
    {"WebhookTarget", "eventSubscriptions", t_event_subscriptions},
    {"WebhookTarget", "createdAt", t_created_at},
    {"WebhookTarget", "createdBy", t_created_by},
    {"WebhookTarget", "updatedAt", t_updated_at},
    {"WebhookTarget", "updatedBy", t_updated_by},
    {"Mutation", "regenerateWorkspaceHmac", m_regenerate_hmac},
    {"Mutation", "createWebhookTarget", m_create_target},
    {"Mutation", "updateWebhookTarget", m_update_target},
    {"Mutation", "deleteWebhookTarget", m_delete_target},
};

hk_status resolve_bind_workspace(gql_schema *s)
{
    return resolve_bind_table(s, bindings, sizeof bindings / sizeof bindings[0]);
}
