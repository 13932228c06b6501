/*
 * resolve_groups.c - customer groups and memberships: queries, fields and
 * mutations (SPEC §6).
 */
#include <stdio.h>
#include <string.h>

#include "api/resolve.h"

static hk_status oom(gql_field_ctx *fc)
{
    return gql_request_fail(fc, GQL_CODE_INTERNAL, 500, "out of memory");
}

/* ---- queries ---- */

static hk_status q_group(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    hk_customer_group *g = hk_arena_alloc(a, sizeof *g);
    if (!g)
        return oom(fc);
    bool found;
    hk_error err;
    if (hk_group_get(resolve_ctx(fc), resolve_arg_string(fc, "customerGroupId"), false, a, g,
                     &found, &err))
        return resolve_query_error(fc, &err);
    gql_result_object(out, "CustomerGroup", found ? g : NULL);
    return HK_OK;
}

static const char *group_cursor(const void *row)
{
    return ((const hk_customer_group *)row)->id;
}

static hk_status q_groups(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *ext = gql_value_field(gql_arg(fc, "filters"), "externalIds");
    if (!gql_value_is_null(ext))
        return gql_field_error_status(fc, GQL_CODE_BAD_USER_INPUT, 400,
                                      "filters.externalIds is not supported by hookd");
    hk_page_request page;
    hk_status st = resolve_page_args(fc, &page);
    if (st)
        return st;
    hk_customer_group *list;
    size_t n;
    hk_page_info info;
    hk_error err;
    if (hk_group_list(resolve_ctx(fc), &page, false, gql_arena(fc), &list, &n, &info, &err))
        return resolve_query_error(fc, &err);
    info.total_count = -1; /* the connection type has no totalCount */
    return resolve_connection(fc, "CustomerGroupConnection", "CustomerGroupEdge", "CustomerGroup",
                              list, n, sizeof *list, group_cursor, &info, out);
}

/* ---- CustomerGroup fields ---- */

static const hk_customer_group *grp(const void *p)
{
    return p;
}

static hk_status g_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, grp(p)->id);
    return HK_OK;
}

static hk_status g_name(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, grp(p)->name);
    return HK_OK;
}

static hk_status g_key(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, grp(p)->key);
    return HK_OK;
}

static hk_status g_color(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, grp(p)->color);
    return HK_OK;
}

static hk_status g_external_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, grp(p)->external_id);
    return HK_OK;
}

static hk_status g_created_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, grp(p)->created_at, out);
}

static hk_status g_created_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &grp(p)->created_by, out);
}

static hk_status g_updated_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, grp(p)->updated_at, out);
}

static hk_status g_updated_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &grp(p)->updated_by, out);
}

/* ---- CustomerGroupMembership fields ---- */

static const hk_membership *mem(const void *p)
{
    return p;
}

static hk_status m_customer_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, mem(p)->customer_id);
    return HK_OK;
}

static hk_status m_group(gql_field_ctx *fc, const void *p, gql_result *out)
{
    hk_error err;
    hk_error_clear(&err);
    /* The membership came with customerGroupMembership:read; its group (name,
     * key, colour) needs customerGroup:read, as Query.customerGroup does.
     * Refused at this field's path: the field is non-null, so null
     * propagates to the nearest nullable field above it. */
    if (hk_group_read_check(resolve_ctx(fc), &err))
        return resolve_field_error(fc, &err);
    gql_result_object(out, "CustomerGroup", &mem(p)->group);
    return HK_OK;
}

static hk_status m_created_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, mem(p)->created_at, out);
}

static hk_status m_created_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &mem(p)->created_by, out);
}

static hk_status m_updated_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, mem(p)->updated_at, out);
}

static hk_status m_updated_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &mem(p)->updated_by, out);
}

/* ---- group mutations ---- */

static hk_status group_output(gql_field_ctx *fc, const char *type, hk_status st,
                              const hk_error *err, hk_customer_group *g, gql_result *out)
{
    hk_status ost = resolve_output(fc, type, 2, out);
    if (ost)
        return ost;
    if (st)
        return resolve_mutation_error(fc, err, out);
    gql_result_object(gql_result_map_put(out, "customerGroup"), "CustomerGroup", g);
    return HK_OK;
}

static hk_status m_create_group(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *input = gql_arg(fc, "input");
    hk_group_input in = {
        .name = resolve_input_string(input, "name"),
        .key = resolve_input_string(input, "key"),
        .color = resolve_input_string(input, "color"),
        .external_id = resolve_input_string(input, "externalId"),
    };
    hk_arena *a = gql_arena(fc);
    hk_customer_group *g = hk_arena_alloc(a, sizeof *g);
    if (!g)
        return oom(fc);
    hk_error err;
    hk_status st = hk_group_create(resolve_ctx(fc), &in, a, g, &err);
    return group_output(fc, "CreateCustomerGroupOutput", st, &err, g, out);
}

static hk_status m_update_group(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *input = gql_arg(fc, "input");
    hk_group_update_input in = {
        .customer_group_id = resolve_input_string(input, "customerGroupId"),
        .name = resolve_input_opt_string(input, "name"),
        .key = resolve_input_opt_string(input, "key"),
        .color = resolve_input_opt_string(input, "color"),
        .external_id = resolve_input_opt_string(input, "externalId"),
    };
    hk_arena *a = gql_arena(fc);
    hk_customer_group *g = hk_arena_alloc(a, sizeof *g);
    if (!g)
        return oom(fc);
    hk_error err;
    hk_status st = hk_group_update(resolve_ctx(fc), &in, a, g, &err);
    return group_output(fc, "UpdateCustomerGroupOutput", st, &err, g, out);
}

static hk_status m_delete_group(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const char *id = resolve_input_string(gql_arg(fc, "input"), "customerGroupId");
    hk_status st = resolve_output(fc, "DeleteCustomerGroupOutput", 1, out);
    if (st)
        return st;
    hk_error err;
    if (hk_group_delete(resolve_ctx(fc), id, &err))
        return resolve_mutation_error(fc, &err, out);
    return HK_OK;
}

/* ---- membership mutations ---- */

static bool ref_matches(const hk_group_ref *r, const hk_membership *m)
{
    return (r->id && strcmp(r->id, m->customer_group_id) == 0) ||
           (r->key && strcmp(r->key, m->group.key) == 0);
}

/* The memberships of the groups named, in the order named. */
static hk_status added_memberships(gql_field_ctx *fc, const hk_customer *c,
                                   const hk_group_ref *refs, size_t n, gql_result *out)
{
    if (gql_result_list(out, n, gql_arena(fc)))
        return oom(fc);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < c->n_memberships; j++) {
            if (ref_matches(&refs[i], &c->memberships[j])) {
                gql_result_object(&out->u.list.items[k++], "CustomerGroupMembership",
                                  &c->memberships[j]);
                break;
            }
        }
    }
    out->u.list.n = k;
    return HK_OK;
}

static hk_status change_memberships(gql_field_ctx *fc, bool add, gql_result *out)
{
    const gql_value *input = gql_arg(fc, "input");
    const char *customer_id = resolve_input_string(input, "customerId");
    hk_status st = resolve_output(
        fc, add ? "AddCustomerToCustomerGroupsOutput" : "RemoveCustomerFromCustomerGroupsOutput", 2,
        out);
    if (st)
        return st;
    hk_error err;
    hk_error_clear(&err);
    /* the output's memberships are a membership read, their groups a group
     * read (removing has no output to read) */
    static const char *const reads[] = {"customerGroupMemberships"};
    static const char *const to_group[] = {"customerGroup"};
    if (add && resolve_mutation_reads_memberships(fc, reads, 1, to_group, 1, &err))
        return resolve_mutation_error(fc, &err, out);
    hk_group_ref *refs;
    size_t n;
    st = resolve_group_refs(fc, gql_value_field(input, "customerGroupIdentifiers"),
                            "customerGroupIdentifiers", &refs, &n, &err);
    if (st == HK_ENOMEM)
        return oom(fc);
    if (st)
        return resolve_mutation_error(fc, &err, out);
    hk_arena *a = gql_arena(fc);
    hk_customer *c = hk_arena_alloc(a, sizeof *c);
    if (!c)
        return oom(fc);
    st = add ? hk_membership_add(resolve_ctx(fc), customer_id, refs, n, a, c, &err)
             : hk_membership_remove(resolve_ctx(fc), customer_id, refs, n, a, c, &err);
    if (st)
        return resolve_mutation_error(fc, &err, out);
    if (add)
        return added_memberships(fc, c, refs, n,
                                 gql_result_map_put(out, "customerGroupMemberships"));
    return HK_OK;
}

static hk_status m_add_to_groups(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return change_memberships(fc, true, out);
}

static hk_status m_remove_from_groups(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return change_memberships(fc, false, out);
}

static const resolve_binding bindings[] = {
    {"Query", "customerGroup", q_group},
    {"Query", "customerGroups", q_groups},
    {"CustomerGroup", "id", g_id},
    {"CustomerGroup", "name", g_name},
    {"CustomerGroup", "key", g_key},
    {"CustomerGroup", "color", g_color},
    {"CustomerGroup", "externalId", g_external_id},
    {"CustomerGroup", "createdAt", g_created_at},
    {"CustomerGroup", "createdBy", g_created_by},
    {"CustomerGroup", "updatedAt", g_updated_at},
    {"CustomerGroup", "updatedBy", g_updated_by},
    {"CustomerGroupMembership", "customerId", m_customer_id},
    {"CustomerGroupMembership", "customerGroup", m_group},
    {"CustomerGroupMembership", "createdAt", m_created_at},
    {"CustomerGroupMembership", "createdBy", m_created_by},
    {"CustomerGroupMembership", "updatedAt", m_updated_at},
    {"CustomerGroupMembership", "updatedBy", m_updated_by},
    {"Mutation", "createCustomerGroup", m_create_group},
    {"Mutation", "updateCustomerGroup", m_update_group},
    {"Mutation", "deleteCustomerGroup", m_delete_group},
    {"Mutation", "addCustomerToCustomerGroups", m_add_to_groups},
    {"Mutation", "removeCustomerFromCustomerGroups", m_remove_from_groups},
};

hk_status resolve_bind_groups(gql_schema *s)
{
    return resolve_bind_table(s, bindings, sizeof bindings / sizeof bindings[0]);
}
