/*
 * result.c - constructors for the gql_result values resolvers return.
 *
 * Nothing here copies strings except gql_result_string_copy: results
 * borrow, and the caller keeps the data alive for the request (arena).
 */
#include <string.h>

#include "graphql/graphql_int.h"

void gql_result_null(gql_result *out)
{
    memset(out, 0, sizeof *out);
}

void gql_result_bool(gql_result *out, bool v)
{
    gql_result_null(out);
    out->kind = GQL_R_BOOL;
    out->u.b = v;
}

void gql_result_int(gql_result *out, int64_t v)
{
    gql_result_null(out);
    out->kind = GQL_R_INT;
    out->u.i = v;
}

void gql_result_float(gql_result *out, double v)
{
    gql_result_null(out);
    out->kind = GQL_R_FLOAT;
    out->u.f = v;
}

void gql_result_string_n(gql_result *out, const char *s, size_t len)
{
    gql_result_null(out);
    if (!s)
        return;
    out->kind = GQL_R_STRING;
    out->u.str.s = s;
    out->u.str.len = len;
}

void gql_result_string(gql_result *out, const char *s)
{
    gql_result_string_n(out, s, s ? strlen(s) : 0);
}

hk_status gql_result_string_copy(gql_result *out, const char *s, size_t len, hk_arena *a)
{
    gql_result_null(out);
    if (!s)
        return HK_OK;
    char *copy = hk_arena_strndup(a, s, len);
    if (!copy)
        return HK_ENOMEM;
    gql_result_string_n(out, copy, len);
    return HK_OK;
}

void gql_result_enum(gql_result *out, const char *name)
{
    gql_result_string(out, name);
    if (name)
        out->kind = GQL_R_ENUM;
}

void gql_result_raw(gql_result *out, const char *json, size_t len)
{
    gql_result_string_n(out, json, len);
    if (json)
        out->kind = GQL_R_RAW;
}

void gql_result_object(gql_result *out, const char *type, const void *ptr)
{
    gql_result_null(out);
    if (!ptr)
        return;
    out->kind = GQL_R_OBJECT;
    out->u.obj.type = type;
    out->u.obj.ptr = ptr;
}

hk_status gql_result_list(gql_result *out, size_t n, hk_arena *a)
{
    gql_result_null(out);
    gql_result *items = hk_arena_calloc(a, n ? n : 1, sizeof *items);
    if (!items)
        return HK_ENOMEM;
    out->kind = GQL_R_LIST;
    out->u.list.items = items;
    out->u.list.n = n;
    return HK_OK;
}

hk_status gql_result_map(gql_result *out, const char *type, size_t cap, hk_arena *a)
{
    gql_result_null(out);
    gql_map_entry *e = hk_arena_calloc(a, cap ? cap : 1, sizeof *e);
    if (!e)
        return HK_ENOMEM;
    out->kind = GQL_R_MAP;
    out->u.map.type = type;
    out->u.map.entries = e;
    out->u.map.cap = cap;
    return HK_OK;
}

gql_result *gql_result_map_put(gql_result *map, const char *name)
{
    if (map->kind != GQL_R_MAP || map->u.map.n >= map->u.map.cap)
        return NULL;
    gql_map_entry *e = &map->u.map.entries[map->u.map.n++];
    e->name = name;
    gql_result_null(&e->value);
    return &e->value;
}
