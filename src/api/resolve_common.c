/*
 * resolve_common.c - builders shared by the resolvers (see resolve.h).
 */
#include <stdio.h>
#include <string.h>

#include "api/resolve.h"

hk_status resolve_bind_table(gql_schema *s, const resolve_binding *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hk_status st = gql_schema_bind(s, b[i].type, b[i].field, b[i].fn);
        if (st)
            return st;
    }
    return HK_OK;
}

hk_status resolve_bind_all(gql_schema *s, hk_error *err)
{
    hk_status st = resolve_bind_customers(s);
    if (!st)
        st = resolve_bind_groups(s);
    if (!st)
        st = resolve_bind_workspace(s);
    if (!st)
        st = resolve_bind_deliveries(s);
    if (!st)
        st = resolve_bind_target_delivery(s);
    if (!st)
        st = resolve_bind_events(s);
    if (st)
        return hk_error_set(err, st, NULL, "api: a resolver names a field the schema lacks");
    return HK_OK;
}

static hk_status oom(gql_field_ctx *fc)
{
    return gql_request_fail(fc, GQL_CODE_INTERNAL, 500, "out of memory");
}

hk_status resolve_string(gql_field_ctx *fc, const char *s, gql_result *out)
{
    if (!s) {
        gql_result_null(out);
        return HK_OK;
    }
    return gql_result_string_copy(out, s, strlen(s), gql_arena(fc)) ? oom(fc) : HK_OK;
}

hk_status resolve_datetime(gql_field_ctx *fc, int64_t t, gql_result *out)
{
    if (t == HK_TIME_NONE) {
        gql_result_null(out);
        return HK_OK;
    }
    hk_arena *a = gql_arena(fc);
    char *iso = hk_arena_alloc(a, HK_TIME_ISO_BUF);
    char *unix_ms = hk_arena_sprintf(a, "%lld", (long long)t);
    if (!iso || !unix_ms || gql_result_map(out, "DateTime", 2, a))
        return oom(fc);
    hk_time_format(t, iso);
    gql_result_string(gql_result_map_put(out, "iso8601"), iso);
    gql_result_string(gql_result_map_put(out, "unixTimestamp"), unix_ms);
    return HK_OK;
}

hk_status resolve_actor(gql_field_ctx *fc, const hk_actor *a, gql_result *out)
{
    static const struct {
        const char *type, *id_field;
    } shapes[] = {
        [HK_ACTOR_MACHINE_USER] = {"MachineUserActor", "machineUserId"},
        [HK_ACTOR_USER] = {"UserActor", "userId"},
        [HK_ACTOR_SYSTEM] = {"SystemActor", "systemId"},
        [HK_ACTOR_CUSTOMER] = {"CustomerActor", "customerId"},
    };
    if ((unsigned)a->type >= sizeof shapes / sizeof shapes[0]) {
        gql_result_null(out);
        return HK_OK;
    }
    hk_arena *a_ = gql_arena(fc);
    char *id = hk_arena_strdup(a_, a->id);
    if (!id || gql_result_map(out, shapes[a->type].type, 1, a_))
        return oom(fc);
    gql_result_string(gql_result_map_put(out, shapes[a->type].id_field), id);
    return HK_OK;
}

hk_status resolve_output(gql_field_ctx *fc, const char *type, size_t cap, gql_result *out)
{
    return gql_result_map(out, type, cap, gql_arena(fc)) ? oom(fc) : HK_OK;
}

static const char *error_type_name(hk_error_type t)
{
    switch (t) {
    case HK_ERROR_FORBIDDEN:
        return "FORBIDDEN";
    case HK_ERROR_INTERNAL:
        return "INTERNAL";
    default:
        return "VALIDATION";
    }
}

static const char *field_type_name(hk_field_error_type t)
{
    switch (t) {
    case HK_FIELD_REQUIRED:
        return "REQUIRED";
    case HK_FIELD_NOT_FOUND:
        return "NOT_FOUND";
    default:
        return "VALIDATION";
    }
}

static hk_status field_errors(gql_field_ctx *fc, const hk_error *err, gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    if (gql_result_list(out, (size_t)err->nfields, a))
        return HK_ENOMEM;
    for (int i = 0; i < err->nfields; i++) {
        const hk_field_error *f = &err->fields[i];
        gql_result *item = &out->u.list.items[i];
        char *field = hk_arena_strdup(a, f->field);
        char *message = hk_arena_strdup(a, f->message);
        if (!field || !message || gql_result_map(item, "MutationFieldError", 3, a))
            return HK_ENOMEM;
        gql_result_string(gql_result_map_put(item, "field"), field);
        gql_result_string(gql_result_map_put(item, "message"), message);
        gql_result_enum(gql_result_map_put(item, "type"), field_type_name(f->type));
    }
    return HK_OK;
}

/* The store or the server failed this field: counted (api_response.internal_error). */
static void note_internal(gql_field_ctx *fc, const hk_error *err)
{
    if (err->type == HK_ERROR_INTERNAL)
        ((api_request *)gql_user(fc))->internal_error = true;
}

hk_status resolve_mutation_error(gql_field_ctx *fc, const hk_error *err, gql_result *output)
{
    hk_arena *a = gql_arena(fc);
    note_internal(fc, err);
    gql_result *e = gql_result_map_put(output, "error");
    char *message = hk_arena_strdup(a, err->message[0] ? err->message : "request failed");
    if (!e || !message || gql_result_map(e, "MutationError", 4, a))
        return oom(fc);
    gql_result_string(gql_result_map_put(e, "message"), message);
    gql_result_enum(gql_result_map_put(e, "type"), error_type_name(err->type));
    gql_result_string(gql_result_map_put(e, "code"),
                      err->code ? err->code : hk_error_default_code(err->status));
    if (field_errors(fc, err, gql_result_map_put(e, "fields")))
        return oom(fc);
    return HK_OK;
}

hk_status resolve_query_error(gql_field_ctx *fc, const hk_error *err)
{
    note_internal(fc, err);
    switch (err->type) {
    case HK_ERROR_FORBIDDEN:
        return gql_request_fail(fc, GQL_CODE_FORBIDDEN, 403, "%s", err->message);
    case HK_ERROR_INTERNAL:
        return gql_field_error(fc, GQL_CODE_INTERNAL, "internal error");
    default:
        return gql_field_error_status(fc, GQL_CODE_BAD_USER_INPUT, 400, "%s", err->message);
    }
}

hk_status resolve_field_error(gql_field_ctx *fc, const hk_error *err)
{
    note_internal(fc, err);
    switch (err->type) {
    case HK_ERROR_FORBIDDEN:
        return gql_field_error_status(fc, GQL_CODE_FORBIDDEN, 403, "%s", err->message);
    case HK_ERROR_INTERNAL:
        return gql_field_error(fc, GQL_CODE_INTERNAL, "internal error");
    default:
        return gql_field_error_status(fc, GQL_CODE_BAD_USER_INPUT, 400, "%s", err->message);
    }
}

static int int_arg(gql_field_ctx *fc, const char *name)
{
    const gql_value *v = gql_arg(fc, name);
    if (!v || v->kind != GQL_V_INT)
        return -1;
    if (v->u.i < 0)
        return -2; /* negative: rejected by hk_page_check */
    return v->u.i > 1000000 ? 1000000 : (int)v->u.i;
}

void resolve_page_read(gql_field_ctx *fc, hk_page_request *page)
{
    page->first = int_arg(fc, "first");
    page->last = int_arg(fc, "last");
    page->after = resolve_arg_string(fc, "after");
    page->before = resolve_arg_string(fc, "before");
}

hk_status resolve_page_args(gql_field_ctx *fc, hk_page_request *page)
{
    resolve_page_read(fc, page);
    hk_error err;
    hk_error_clear(&err);
    if (hk_page_check(page, &err))
        return gql_field_error_status(fc, GQL_CODE_BAD_USER_INPUT, 400, "%s", err.message);
    return HK_OK;
}

hk_status resolve_page_slice(gql_field_ctx *fc, const hk_page_request *page, const char *const *ids,
                             size_t n, size_t *from, size_t *count, hk_page_info *info)
{
    hk_error err;
    hk_error_clear(&err);
    if (hk_page_slice(page, ids, n, from, count, info, &err))
        return gql_field_error_status(fc, GQL_CODE_BAD_USER_INPUT, 400, "%s", err.message);
    info->total_count = -1;
    return HK_OK;
}

static hk_status page_info(gql_field_ctx *fc, const hk_page_info *info, gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    if (gql_result_map(out, "PageInfo", 4, a))
        return HK_ENOMEM;
    gql_result_bool(gql_result_map_put(out, "hasNextPage"), info->has_next_page);
    gql_result_bool(gql_result_map_put(out, "hasPreviousPage"), info->has_previous_page);
    gql_result_string(gql_result_map_put(out, "startCursor"), info->start_cursor);
    gql_result_string(gql_result_map_put(out, "endCursor"), info->end_cursor);
    return HK_OK;
}

hk_status resolve_connection(gql_field_ctx *fc, const char *conn_type, const char *edge_type,
                             const char *node_type, const void *rows, size_t n, size_t row_size,
                             const char *(*cursor)(const void *row), const hk_page_info *info,
                             gql_result *out)
{
    hk_arena *a = gql_arena(fc);
    if (gql_result_map(out, conn_type, 3, a))
        return oom(fc);
    gql_result *edges = gql_result_map_put(out, "edges");
    if (gql_result_list(edges, n, a))
        return oom(fc);
    for (size_t i = 0; i < n; i++) {
        const void *row = (const char *)rows + i * row_size;
        gql_result *edge = &edges->u.list.items[i];
        if (gql_result_map(edge, edge_type, 2, a))
            return oom(fc);
        gql_result_string(gql_result_map_put(edge, "cursor"),
                          info->cursors ? info->cursors[i] : cursor(row));
        gql_result_object(gql_result_map_put(edge, "node"), node_type, row);
    }
    if (page_info(fc, info, gql_result_map_put(out, "pageInfo")))
        return oom(fc);
    if (info->total_count >= 0)
        gql_result_int(gql_result_map_put(out, "totalCount"), info->total_count);
    return HK_OK;
}

/* Text containing NUL cannot reach the domain as a C string without being
 * cut short; it is replaced by a string the domain's UTF-8 check rejects,
 * so the caller gets a validation error naming the field. */
static const char *const has_nul = "\xff";

static const char *value_string(const gql_value *v)
{
    if (!v || (v->kind != GQL_V_STRING && v->kind != GQL_V_ENUM))
        return NULL;
    return strlen(v->u.str.s) == v->u.str.len ? v->u.str.s : has_nul;
}

const char *resolve_arg_string(gql_field_ctx *fc, const char *name)
{
    return value_string(gql_arg(fc, name));
}

const char *resolve_input_string(const gql_value *obj, const char *key)
{
    return value_string(gql_value_field(obj, key));
}

hk_opt_str resolve_input_opt_string(const gql_value *obj, const char *key)
{
    hk_opt_str o = {false, NULL};
    const gql_value *w = gql_value_field(obj, key);
    if (!w || w->kind != GQL_V_OBJECT)
        return o; /* absent or null wrapper: leave as is */
    o.set = true;
    o.value = resolve_input_string(w, "value");
    return o;
}

hk_status resolve_group_refs(gql_field_ctx *fc, const gql_value *list, const char *field,
                             hk_group_ref **out, size_t *n, hk_error *err)
{
    *out = NULL;
    *n = 0;
    if (!list || list->kind != GQL_V_LIST)
        return HK_OK;
    hk_status st = hk_validate_list_size(field, list->u.list.n, err);
    if (st)
        return st;
    hk_group_ref *refs = hk_arena_calloc(gql_arena(fc), list->u.list.n + 1, sizeof *refs);
    if (!refs)
        return HK_ENOMEM;
    for (size_t i = 0; i < list->u.list.n; i++) {
        const gql_value *it = &list->u.list.items[i];
        refs[i].id = resolve_input_string(it, "customerGroupId");
        refs[i].key = resolve_input_string(it, "customerGroupKey");
        refs[i].external_id = resolve_input_string(it, "externalId");
    }
    *out = refs;
    *n = list->u.list.n;
    return HK_OK;
}

hk_status resolve_mutation_reads_memberships(gql_field_ctx *fc, const char *const *path, size_t n,
                                             const char *const *to_group, size_t m, hk_error *err)
{
    if (!gql_field_selected_path(fc, path, n))
        return HK_OK;
    hk_status st = hk_membership_read_check(resolve_ctx(fc), err);
    if (st)
        return st;
    const char *group_path[8];
    if (n + m > sizeof group_path / sizeof group_path[0])
        return hk_error_set(err, HK_EINTERNAL, "internal", "api: membership path too long");
    memcpy(group_path, path, n * sizeof *path);
    memcpy(group_path + n, to_group, m * sizeof *to_group);
    if (!gql_field_selected_path(fc, group_path, n + m))
        return HK_OK;
    return hk_group_read_check(resolve_ctx(fc), err);
}
