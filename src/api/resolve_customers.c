/*
 * resolve_customers.c - customers: queries, fields, and the upsert / spam /
 * delete mutations (SPEC §6).
 */
#include <string.h>

#include "api/resolve.h"
#include "core/clock.h"

static hk_status oom(gql_field_ctx *fc)
{
    return gql_request_fail(fc, GQL_CODE_INTERNAL, 500, "out of memory");
}

/* ---- queries ---- */

static hk_status customer_by(gql_field_ctx *fc, hk_customer_key by, const char *arg,
                             gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    hk_customer *c = hk_arena_alloc(a, sizeof *c);
    if (!c)
        return oom(fc);
    bool found;
    hk_error err;
    if (hk_customer_get(resolve_ctx(fc), by, resolve_arg_string(fc, arg), a, c, &found, &err))
        return resolve_query_error(fc, &err);
    gql_result_object(out, "Customer", found ? c : NULL);
    return HK_OK;
}

static hk_status q_customer(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return customer_by(fc, HK_CUSTOMER_BY_ID, "customerId", out);
}

static hk_status q_customer_by_email(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return customer_by(fc, HK_CUSTOMER_BY_EMAIL, "email", out);
}

static hk_status q_customer_by_external_id(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return customer_by(fc, HK_CUSTOMER_BY_EXTERNAL_ID, "externalId", out);
}

/* A [String!] / [ID!] list argument as a C array (arena). Longer than
 * HK_MAX_LIST_ITEMS: the field fails with BAD_USER_INPUT (400) naming
 * `field`, before anything is allocated or stored. */
static hk_status string_list(gql_field_ctx *fc, const char *field, const gql_value *v,
                             const char *const **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!v || v->kind != GQL_V_LIST || v->u.list.n == 0)
        return HK_OK;
    hk_error err;
    hk_error_clear(&err);
    if (hk_validate_list_size(field, v->u.list.n, &err))
        return resolve_field_error(fc, &err);
    const char **items = hk_arena_calloc(gql_arena(fc), v->u.list.n, sizeof *items);
    if (!items)
        return oom(fc);
    for (size_t i = 0; i < v->u.list.n; i++) {
        const gql_value *it = &v->u.list.items[i];
        items[i] = it->kind == GQL_V_STRING ? it->u.str.s : "";
    }
    *out = items;
    *n = v->u.list.n;
    return HK_OK;
}

/* One end of filters.updatedAt: an ISO 8601 date-time, or absent. */
static hk_status read_time(gql_field_ctx *fc, const gql_value *range, const char *key, bool *has,
                           int64_t *ms)
{
    const char *text = resolve_input_string(range, key);
    if (!text)
        return HK_OK;
    if (hk_time_parse(text, strlen(text), ms) != HK_OK)
        return gql_field_error_status(fc, GQL_CODE_BAD_USER_INPUT, 400,
                                      "filters.updatedAt.%s: expected an ISO 8601 date-time, "
                                      "e.g. 2024-10-28T18:30:00Z",
                                      key);
    *has = true;
    return HK_OK;
}

/* A non-empty list of tenants or companies: hookd models neither, so no
 * customer belongs to any of them (as Customer.tenantMemberships is always
 * empty and Customer.company null), and the answer is empty. An empty list
 * filters nothing. */
static bool names_unmodeled(const gql_value *filters, const char *key)
{
    const gql_value *v = gql_value_field(filters, key);
    return v && v->kind == GQL_V_LIST && v->u.list.n > 0;
}

static hk_status read_filter(gql_field_ctx *fc, hk_customer_filter *f)
{
    memset(f, 0, sizeof *f);
    f->marked_as_spam = -1;
    const gql_value *filters = gql_arg(fc, "filters");
    const gql_value *spam = gql_value_field(filters, "isMarkedAsSpam");
    if (spam && spam->kind == GQL_V_BOOL)
        f->marked_as_spam = spam->u.b;
    f->match_none = names_unmodeled(filters, "tenantIdentifiers") ||
                    names_unmodeled(filters, "companyIdentifiers");
    const gql_value *updated = gql_value_field(filters, "updatedAt");
    hk_status st = read_time(fc, updated, "after", &f->has_updated_from, &f->updated_from);
    if (!st)
        st = read_time(fc, updated, "before", &f->has_updated_until, &f->updated_until);
    if (!st)
        st = string_list(fc, "filters.customerGroupIds",
                         gql_value_field(filters, "customerGroupIds"), &f->group_ids,
                         &f->n_group_ids);
    if (!st)
        st = string_list(fc, "filters.customerGroupKeys",
                         gql_value_field(filters, "customerGroupKeys"), &f->group_keys,
                         &f->n_group_keys);
    return st;
}

static const char *customer_cursor(const void *row)
{
    return ((const hk_customer *)row)->id;
}

/* sortBy: {field: FULL_NAME, direction: ASC | DESC}, or none (creation
 * order). The schema's enums allow nothing else; anything else is refused. */
static hk_status read_sort(gql_field_ctx *fc, hk_customer_sort *sort)
{
    *sort = HK_CUSTOMER_SORT_CREATED;
    const gql_value *by = gql_arg(fc, "sortBy");
    if (gql_value_is_null(by))
        return HK_OK;
    const char *field = resolve_input_string(by, "field");
    const char *direction = resolve_input_string(by, "direction");
    if (!field || strcmp(field, "FULL_NAME") != 0 || !direction ||
        (strcmp(direction, "ASC") != 0 && strcmp(direction, "DESC") != 0))
        return gql_field_error_status(fc, GQL_CODE_BAD_USER_INPUT, 400,
                                      "sortBy: customers sort by FULL_NAME, ASC or DESC");
    *sort = strcmp(direction, "DESC") == 0 ? HK_CUSTOMER_SORT_FULL_NAME_DESC
                                           : HK_CUSTOMER_SORT_FULL_NAME_ASC;
    return HK_OK;
}

static hk_status q_customers(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    hk_customer_filter filter;
    hk_customer_sort sort;
    hk_page_request page;
    hk_status st = read_filter(fc, &filter);
    if (!st)
        st = read_sort(fc, &sort);
    if (st)
        return st;
    /* unsorted, the cursors are ids, checked here as every list's are; a
     * sorted list's cursors are positions, which the domain decodes */
    if (sort == HK_CUSTOMER_SORT_CREATED)
        st = resolve_page_args(fc, &page);
    else
        resolve_page_read(fc, &page);
    if (st)
        return st;
    hk_customer *list;
    size_t n;
    hk_page_info info;
    hk_error err;
    if (hk_customer_list_sorted(resolve_ctx(fc), &filter, sort, &page,
                                gql_field_selected(fc, "totalCount"), gql_arena(fc), &list, &n,
                                &info, &err))
        return resolve_query_error(fc, &err);
    return resolve_connection(fc, "CustomerConnection", "CustomerEdge", "Customer", list, n,
                              sizeof *list, customer_cursor, &info, out);
}

/* ---- Customer fields ---- */

static const hk_customer *cust(const void *parent)
{
    return parent;
}

static hk_status f_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, cust(p)->id);
    return HK_OK;
}

static hk_status f_external_id(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, cust(p)->external_id);
    return HK_OK;
}

static hk_status f_full_name(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, cust(p)->full_name);
    return HK_OK;
}

static hk_status f_short_name(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_string(out, cust(p)->short_name);
    return HK_OK;
}

static hk_status f_email(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_customer *c = cust(p);
    if (gql_result_map(out, "EmailAddress", 3, gql_arena(fc)))
        return oom(fc);
    gql_result_string(gql_result_map_put(out, "email"), c->email);
    gql_result_bool(gql_result_map_put(out, "isVerified"), c->email_verified);
    return resolve_datetime(fc, c->email_verified_at, gql_result_map_put(out, "verifiedAt"));
}

static hk_status f_is_anonymous(gql_field_ctx *fc, const void *p, gql_result *out)
{
    gql_result_bool(out, false);
    return HK_OK;
}

static hk_status f_created_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, cust(p)->created_at, out);
}

static hk_status f_created_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &cust(p)->created_by, out);
}

static hk_status f_updated_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, cust(p)->updated_at, out);
}

static hk_status f_updated_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_actor(fc, &cust(p)->updated_by, out);
}

static hk_status f_spam_at(gql_field_ctx *fc, const void *p, gql_result *out)
{
    return resolve_datetime(fc, cust(p)->marked_as_spam_at, out);
}

static hk_status f_spam_by(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_customer *c = cust(p);
    if (c->marked_as_spam_at == HK_TIME_NONE) {
        gql_result_null(out);
        return HK_OK;
    }
    return resolve_actor(fc, &c->marked_as_spam_by, out);
}

static const char *membership_cursor(const void *row)
{
    return ((const hk_membership *)row)->customer_group_id;
}

/* Customer.customerGroupMemberships(filters, first, after, last, before). */
static hk_status f_memberships(gql_field_ctx *fc, const void *p, gql_result *out)
{
    const hk_customer *c = cust(p);
    const gql_value *filters = gql_arg(fc, "filters");
    const gql_value *ext = gql_value_field(filters, "customerGroupExternalIds");
    hk_error err;
    hk_error_clear(&err);
    /* The customer came with customer:read; its memberships (group keys and
     * names) need customerGroupMembership:read. Refused at this field's path:
     * the field is non-null, so the customer above it becomes null. */
    if (hk_membership_read_check(resolve_ctx(fc), &err))
        return resolve_field_error(fc, &err);
    /* each external id is compared with every membership of every customer
     * on the page */
    if (ext && ext->kind == GQL_V_LIST &&
        hk_validate_list_size("filters.customerGroupExternalIds", ext->u.list.n, &err))
        return resolve_field_error(fc, &err);
    hk_page_request page;
    hk_status st = resolve_page_args(fc, &page);
    if (st)
        return st;
    hk_arena *a = gql_arena(fc);
    hk_membership *rows = hk_arena_calloc(a, c->n_memberships + 1, sizeof *rows);
    const char **ids = hk_arena_calloc(a, c->n_memberships + 1, sizeof *ids);
    if (!rows || !ids)
        return oom(fc);
    size_t n = 0;
    for (size_t i = 0; i < c->n_memberships; i++) {
        const hk_membership *m = &c->memberships[i];
        bool keep = !ext || ext->kind != GQL_V_LIST;
        for (size_t k = 0; !keep && k < ext->u.list.n; k++) {
            const gql_value *v = &ext->u.list.items[k];
            keep = m->group.external_id && v->kind == GQL_V_STRING &&
                   strcmp(v->u.str.s, m->group.external_id) == 0;
        }
        if (keep) {
            rows[n] = *m;
            ids[n] = m->customer_group_id;
            n++;
        }
    }
    size_t from, count;
    hk_page_info info;
    st = resolve_page_slice(fc, &page, ids, n, &from, &count, &info);
    if (st)
        return st;
    return resolve_connection(fc, "CustomerGroupMembershipConnection",
                              "CustomerGroupMembershipEdge", "CustomerGroupMembership", rows + from,
                              count, sizeof *rows, membership_cursor, &info, out);
}

/* Customer.tenantMemberships: hookd has no tenants, so always an empty page. */
static hk_status f_tenant_memberships(gql_field_ctx *fc, const void *p, gql_result *out)
{
    hk_page_request page;
    hk_status st = resolve_page_args(fc, &page);
    if (st)
        return st;
    hk_page_info info = {.total_count = -1};
    return resolve_connection(fc, "CustomerTenantMembershipConnection",
                              "CustomerTenantMembershipEdge", "CustomerTenantMembership", NULL, 0,
                              1, NULL, &info, out);
}

/* ---- mutations ---- */

static hk_status read_identifier(const gql_value *id, hk_upsert_customer_input *in)
{
    const char *email = resolve_input_string(id, "emailAddress");
    const char *ext = resolve_input_string(id, "externalId");
    const char *cid = resolve_input_string(id, "customerId");
    int given = (email != NULL) + (ext != NULL) + (cid != NULL);
    if (given != 1)
        return HK_EINVAL;
    in->identifier_kind = email ? HK_CUSTOMER_BY_EMAIL
                          : ext ? HK_CUSTOMER_BY_EXTERNAL_ID
                                : HK_CUSTOMER_BY_ID;
    in->identifier = email ? email : ext ? ext : cid;
    return HK_OK;
}

static hk_status read_on_create(gql_field_ctx *fc, const gql_value *oc,
                                hk_upsert_customer_input *in, hk_error *err)
{
    /* hookd does not model tenants: a customer created here could not join
     * them, and dropping them silently would lose what the caller asked for.
     * null or [] asks for nothing and is accepted. */
    const gql_value *tenants = gql_value_field(oc, "tenantIdentifiers");
    if (tenants && tenants->kind == GQL_V_LIST && tenants->u.list.n > 0)
        return hk_error_field(err, HK_EINVAL, NULL, "onCreate.tenantIdentifiers",
                              HK_FIELD_VALIDATION, "tenants are not supported by hookd");
    const gql_value *email = gql_value_field(oc, "email");
    const gql_value *verified = gql_value_field(email, "isVerified");
    in->on_create.full_name = resolve_input_string(oc, "fullName");
    in->on_create.short_name = resolve_input_string(oc, "shortName");
    in->on_create.email = resolve_input_string(email, "email");
    in->on_create.email_verified = verified && verified->kind == GQL_V_BOOL && verified->u.b;
    in->on_create.external_id = resolve_input_string(oc, "externalId");
    hk_group_ref *refs;
    hk_status st = resolve_group_refs(fc, gql_value_field(oc, "customerGroupIdentifiers"),
                                      "onCreate.customerGroupIdentifiers", &refs,
                                      &in->on_create.n_groups, err);
    in->on_create.groups = refs;
    return st;
}

static void read_on_update(const gql_value *ou, hk_upsert_customer_input *in)
{
    in->on_update.full_name = resolve_input_opt_string(ou, "fullName");
    in->on_update.short_name = resolve_input_opt_string(ou, "shortName");
    in->on_update.external_id = resolve_input_opt_string(ou, "externalId");
    const gql_value *email = gql_value_field(ou, "email");
    if (email && email->kind == GQL_V_OBJECT) {
        const gql_value *verified = gql_value_field(email, "isVerified");
        in->on_update.email_set = true;
        in->on_update.email = resolve_input_string(email, "email");
        in->on_update.email_verified = verified && verified->kind == GQL_V_BOOL && verified->u.b;
    }
}

/* What a customer-returning mutation's output reads when it asks for the
 * customer's memberships, and from there for a membership's group. */
static const char *const customer_memberships[] = {"customer", "customerGroupMemberships"};
static const char *const membership_group[] = {"edges", "node", "customerGroup"};

static const char *upsert_result_name(hk_upsert_result r)
{
    return r == HK_UPSERT_CREATED ? "CREATED" : r == HK_UPSERT_UPDATED ? "UPDATED" : "NOOP";
}

static hk_status m_upsert_customer(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const gql_value *input = gql_arg(fc, "input");
    hk_upsert_customer_input in;
    memset(&in, 0, sizeof in);
    hk_error err;
    hk_error_clear(&err);
    hk_status st = resolve_output(fc, "UpsertCustomerOutput", 3, out);
    if (st)
        return st;
    if (resolve_mutation_reads_memberships(fc, customer_memberships, 2, membership_group, 3, &err))
        return resolve_mutation_error(fc, &err, out);
    if (read_identifier(gql_value_field(input, "identifier"), &in)) {
        hk_error_field(&err, HK_EINVAL, NULL, "identifier", HK_FIELD_VALIDATION,
                       "give exactly one of emailAddress, externalId and customerId");
        return resolve_mutation_error(fc, &err, out);
    }
    st = read_on_create(fc, gql_value_field(input, "onCreate"), &in, &err);
    if (st == HK_ENOMEM)
        return oom(fc);
    if (st)
        return resolve_mutation_error(fc, &err, out);
    read_on_update(gql_value_field(input, "onUpdate"), &in);
    hk_arena *a = gql_arena(fc);
    hk_customer *c = hk_arena_alloc(a, sizeof *c);
    if (!c)
        return oom(fc);
    hk_upsert_result r;
    if (hk_customer_upsert(resolve_ctx(fc), &in, a, &r, c, &err))
        return resolve_mutation_error(fc, &err, out);
    gql_result_enum(gql_result_map_put(out, "result"), upsert_result_name(r));
    gql_result_object(gql_result_map_put(out, "customer"), "Customer", c);
    return HK_OK;
}

typedef hk_status (*spam_fn)(const hk_ctx *, const char *, hk_arena *, hk_customer *, hk_error *);

static hk_status spam_change(gql_field_ctx *fc, const char *output_type, spam_fn fn,
                             gql_result *out)
{
    const char *id = resolve_input_string(gql_arg(fc, "input"), "customerId");
    hk_status st = resolve_output(fc, output_type, 2, out);
    if (st)
        return st;
    hk_error err;
    hk_error_clear(&err);
    if (resolve_mutation_reads_memberships(fc, customer_memberships, 2, membership_group, 3, &err))
        return resolve_mutation_error(fc, &err, out);
    hk_arena *a = gql_arena(fc);
    hk_customer *c = hk_arena_alloc(a, sizeof *c);
    if (!c)
        return oom(fc);
    if (fn(resolve_ctx(fc), id, a, c, &err))
        return resolve_mutation_error(fc, &err, out);
    gql_result_object(gql_result_map_put(out, "customer"), "Customer", c);
    return HK_OK;
}

static hk_status m_mark_spam(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return spam_change(fc, "MarkCustomerAsSpamOutput", hk_customer_mark_spam, out);
}

static hk_status m_unmark_spam(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    return spam_change(fc, "UnmarkCustomerAsSpamOutput", hk_customer_unmark_spam, out);
}

static hk_status m_delete_customer(gql_field_ctx *fc, const void *parent, gql_result *out)
{
    const char *id = resolve_input_string(gql_arg(fc, "input"), "customerId");
    hk_status st = resolve_output(fc, "DeleteCustomerOutput", 1, out);
    if (st)
        return st;
    hk_error err;
    if (hk_customer_delete(resolve_ctx(fc), id, &err))
        return resolve_mutation_error(fc, &err, out);
    return HK_OK;
}

static const resolve_binding bindings[] = {
    {"Query", "customer", q_customer},
    {"Query", "customerByEmail", q_customer_by_email},
    {"Query", "customerByExternalId", q_customer_by_external_id},
    {"Query", "customers", q_customers},
    {"Customer", "id", f_id},
    {"Customer", "externalId", f_external_id},
    {"Customer", "fullName", f_full_name},
    {"Customer", "shortName", f_short_name},
    {"Customer", "email", f_email},
    {"Customer", "isAnonymous", f_is_anonymous},
    {"Customer", "createdAt", f_created_at},
    {"Customer", "createdBy", f_created_by},
    {"Customer", "updatedAt", f_updated_at},
    {"Customer", "updatedBy", f_updated_by},
    {"Customer", "markedAsSpamAt", f_spam_at},
    {"Customer", "markedAsSpamBy", f_spam_by},
    {"Customer", "customerGroupMemberships", f_memberships},
    {"Customer", "tenantMemberships", f_tenant_memberships},
    {"Mutation", "upsertCustomer", m_upsert_customer},
    {"Mutation", "markCustomerAsSpam", m_mark_spam},
    {"Mutation", "unmarkCustomerAsSpam", m_unmark_spam},
    {"Mutation", "deleteCustomer", m_delete_customer},
};

hk_status resolve_bind_customers(gql_schema *s)
{
    return resolve_bind_table(s, bindings, sizeof bindings / sizeof bindings[0]);
}
