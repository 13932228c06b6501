/*
 * customer.c - the customer objects of the four customer events: the
 * customer, its group memberships, their groups, and the actors on each, as
 * Plain's schema defines them ("customer", "customerGroupMembership",
 * "customerGroup", "actor", "internalActor").
 */
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define FAIL(c, at, key, ...) hkv_fail((c), HK_VERIFY_SCHEMA_VIOLATION, (at), (key), __VA_ARGS__)

#define NAME_MAX_CHARS 500
#define KEY_MAX_CHARS 50

/*
 * An actor is told apart by actorType. "internal" actors (who changes
 * groups and memberships, who marks as spam) cannot be customers.
 */
static bool actor(hkv_ctx *c, const hkv_path *up, json_t *o, const char *key, bool internal,
                  hk_webhook_actor *out)
{
    json_t *v;
    const char *type;
    if (!hkv_get_object(c, up, o, key, &v))
        return false;
    hkv_path at = {.up = up, .key = key};
    if (!hkv_get_string(c, &at, v, "actorType", &type))
        return false;
    out->id = NULL;
    if (strcmp(type, "UNKNOWN") == 0) {
        out->kind = HK_ACTOR_KIND_UNKNOWN;
        return true;
    }
    if (strcmp(type, "user") == 0) {
        out->kind = HK_ACTOR_KIND_USER;
        return hkv_get_id(c, &at, v, "userId", &out->id);
    }
    if (strcmp(type, "machineUser") == 0) {
        out->kind = HK_ACTOR_KIND_MACHINE_USER;
        return hkv_get_id(c, &at, v, "machineUserId", &out->id);
    }
    if (strcmp(type, "system") == 0) {
        out->kind = HK_ACTOR_KIND_SYSTEM;
        return hkv_get_string(c, &at, v, "system", &out->id);
    }
    if (!internal && strcmp(type, "customer") == 0) {
        out->kind = HK_ACTOR_KIND_CUSTOMER;
        return hkv_get_id(c, &at, v, "customerId", &out->id);
    }
    return FAIL(c, &at, "actorType", "\"%s\" is not an actor type allowed here", type);
}

/* createdAt, createdBy, updatedAt, updatedBy */
static bool stamps(hkv_ctx *c, const hkv_path *at, json_t *o, bool internal, int64_t *created_at,
                   hk_webhook_actor *created_by, int64_t *updated_at, hk_webhook_actor *updated_by)
{
    return hkv_get_time(c, at, o, "createdAt", created_at) &&
           actor(c, at, o, "createdBy", internal, created_by) &&
           hkv_get_time(c, at, o, "updatedAt", updated_at) &&
           actor(c, at, o, "updatedBy", internal, updated_by);
}

static bool group(hkv_ctx *c, const hkv_path *up, json_t *o, hk_webhook_customer_group *g)
{
    json_t *v;
    if (!hkv_get_object(c, up, o, "customerGroup", &v))
        return false;
    hkv_path at = {.up = up, .key = "customerGroup"};
    if (!hkv_get_id(c, &at, v, "id", &g->id) ||
        !hkv_get_id(c, &at, v, "workspaceId", &g->workspace_id) ||
        !hkv_get_sized_string(c, &at, v, "name", 1, NAME_MAX_CHARS, &g->name) ||
        !hkv_get_sized_string(c, &at, v, "key", 1, KEY_MAX_CHARS, &g->key) ||
        !hkv_get_string(c, &at, v, "color", &g->color))
        return false;
    if (!hkv_is_color(g->color, strlen(g->color)))
        return FAIL(c, &at, "color", "not a colour (#rgb, #rgba, #rrggbb or #rrggbbaa)");
    return stamps(c, &at, v, true, &g->created_at, &g->created_by, &g->updated_at, &g->updated_by);
}

static bool membership(hkv_ctx *c, const hkv_path *at, json_t *v, hk_webhook_membership *m)
{
    if (!json_is_object(v))
        return FAIL(c, at, NULL, "must be an object");
    return hkv_get_id(c, at, v, "customerId", &m->customer_id) &&
           hkv_get_id(c, at, v, "customerGroupId", &m->customer_group_id) &&
           hkv_get_id(c, at, v, "workspaceId", &m->workspace_id) &&
           stamps(c, at, v, true, &m->created_at, &m->created_by, &m->updated_at, &m->updated_by) &&
           group(c, at, v, &m->customer_group);
}

/*
 * The array is allocated only after every element was found valid, so a
 * body of many bogus elements cannot make us allocate much more than a body
 * of real memberships of the same size would.
 */
static bool memberships(hkv_ctx *c, const hkv_path *up, json_t *o, hk_webhook_customer *cu)
{
    json_t *arr = json_object_get(o, "customerGroupMemberships");
    if (!arr)
        return FAIL(c, up, "customerGroupMemberships", "missing (required)");
    if (!json_is_array(arr))
        return FAIL(c, up, "customerGroupMemberships", "must be an array");
    hkv_path list = {.up = up, .key = "customerGroupMemberships"};
    size_t n = json_array_size(arr);
    hk_webhook_membership scratch;
    for (size_t i = 0; i < n; i++) {
        hkv_path at = {.up = &list, .index = i};
        if (!membership(c, &at, json_array_get(arr, i), &scratch))
            return false;
    }
    if (n == 0)
        return true;
    cu->memberships = calloc(n, sizeof *cu->memberships);
    if (!cu->memberships)
        return hkv_fail(c, HK_VERIFY_NO_MEMORY, up, NULL, "out of memory");
    cu->n_memberships = n;
    for (size_t i = 0; i < n; i++) {
        hkv_path at = {.up = &list, .index = i};
        membership(c, &at, json_array_get(arr, i), &cu->memberships[i]);
    }
    return true;
}

static bool email(hkv_ctx *c, const hkv_path *up, json_t *o, hk_webhook_customer *cu)
{
    json_t *v;
    if (!hkv_get_object(c, up, o, "email", &v))
        return false;
    hkv_path at = {.up = up, .key = "email"};
    if (!hkv_get_string(c, &at, v, "email", &cu->email.email))
        return false;
    if (!hkv_is_email(cu->email.email, json_string_length(json_object_get(v, "email"))))
        return FAIL(c, &at, "email", "does not match the email address pattern");
    return hkv_get_bool(c, &at, v, "isVerified", &cu->email.is_verified) &&
           hkv_get_nullable_time(c, &at, v, "verifiedAt", true, &cu->email.verified_at);
}

/* markedAsSpamAt and markedAsSpamBy: optional, nullable */
static bool spam(hkv_ctx *c, const hkv_path *at, json_t *o, hk_webhook_customer *cu)
{
    if (!hkv_get_nullable_time(c, at, o, "markedAsSpamAt", false, &cu->marked_as_spam_at))
        return false;
    json_t *by = json_object_get(o, "markedAsSpamBy");
    cu->has_marked_as_spam_by = by && !json_is_null(by);
    if (!cu->has_marked_as_spam_by)
        return true;
    return actor(c, at, o, "markedAsSpamBy", true, &cu->marked_as_spam_by);
}

bool hkv_customer(hkv_ctx *c, const hkv_path *up, const char *key, json_t *v,
                  hk_webhook_customer *cu)
{
    hkv_path at = {.up = up, .key = key};
    memset(cu, 0, sizeof *cu);
    if (!v)
        return FAIL(c, up, key, "missing (required)");
    if (!json_is_object(v))
        return FAIL(c, up, key, "must be an object");
    return hkv_get_id(c, &at, v, "id", &cu->id) && email(c, &at, v, cu) &&
           hkv_get_nullable_string(c, &at, v, "externalId", &cu->external_id) &&
           hkv_get_string(c, &at, v, "fullName", &cu->full_name) &&
           hkv_get_nullable_string(c, &at, v, "shortName", &cu->short_name) &&
           spam(c, &at, v, cu) && memberships(c, &at, v, cu) &&
           stamps(c, &at, v, false, &cu->created_at, &cu->created_by, &cu->updated_at,
                  &cu->updated_by);
}

void hkv_customer_clear(hk_webhook_customer *cu)
{
    free(cu->memberships);
    cu->memberships = NULL;
    cu->n_memberships = 0;
}
