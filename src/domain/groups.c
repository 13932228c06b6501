/*
 * groups.c - customer groups and memberships (SPEC §2), with the
 * customer_group_memberships_changed events (SPEC §3).
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "domain/domain_int.h"

static hk_status validate_group_fields(const hk_opt_str *name, const hk_opt_str *key,
                                       const hk_opt_str *color, const hk_opt_str *external_id,
                                       hk_error *err)
{
    hk_status st = HK_OK;
    if (name->set)
        st = hk_validate_text("name", name->value, HK_NAME_MAX_CHARS, err);
    if (!st && key->set)
        st = hk_validate_group_key("key", key->value, err);
    if (!st && color->set)
        st = hk_validate_color("color", color->value, err);
    if (!st && external_id->set && external_id->value)
        st = hk_validate_text("externalId", external_id->value, HK_EXTERNAL_ID_MAX_CHARS, err);
    return st;
}

static hk_status key_taken(hk_error *err)
{
    return hk_error_field(err, HK_ECONFLICT, "customer_group_key_already_exists", "key",
                          HK_FIELD_VALIDATION, "a customer group with this key already exists");
}

/* ---- create / update / delete ---- */

typedef struct group_job {
    const hk_ctx *ctx;
    const hk_group_update_input *in; /* create uses the same shape, every field set */
    hk_arena *arena;
    hk_customer_group *out;
} group_job;

static hk_status check_key_free(const store_tx *tx, group_job *j, const char *key,
                                const char *self_id, hk_error *err)
{
    hk_customer_group other;
    bool found;
    hk_status st = tx->ops->group_get(tx->conn, j->ctx->workspace_id, STORE_BY_KEY, key, j->arena,
                                      &other, &found);
    if (st)
        return domain_store_error(err, st, "checking the group key");
    if (found && (!self_id || strcmp(other.id, self_id) != 0))
        return key_taken(err);
    return HK_OK;
}

static hk_status create_tx(const store_tx *tx, void *arg, hk_error *err)
{
    group_job *j = arg;
    int64_t now = hk_now_ms();
    hk_status st = check_key_free(tx, j, j->in->key.value, NULL, err);
    if (st)
        return st;
    hk_customer_group *g = j->out;
    memset(g, 0, sizeof *g);
    st = hk_id_new(HK_ID_CUSTOMER_GROUP, g->id);
    if (st)
        return hk_error_set(err, st, NULL, "cannot make a group id");
    snprintf(g->workspace_id, sizeof g->workspace_id, "%s", j->ctx->workspace_id);
    g->name = domain_dup(j->arena, j->in->name.value, &st);
    g->key = domain_dup(j->arena, j->in->key.value, &st);
    g->color = domain_dup(j->arena, j->in->color.value, &st);
    g->external_id = domain_dup(j->arena, j->in->external_id.value, &st);
    g->created_at = g->updated_at = now;
    g->created_by = g->updated_by = j->ctx->actor;
    if (st)
        return hk_error_set(err, st, NULL, "out of memory");
    st = tx->ops->group_insert(tx->conn, g);
    if (st == HK_ECONFLICT)
        return key_taken(err);
    return st ? domain_store_error(err, st, "creating the group") : HK_OK;
}

hk_status hk_group_create(const hk_ctx *ctx, const hk_group_input *in, hk_arena *arena,
                          hk_customer_group *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    hk_error_clear(err);
    hk_group_update_input u = {
        .name = {true, in->name},
        .key = {true, in->key},
        .color = {true, in->color},
        .external_id = {true, in->external_id},
    };
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_GROUP_CREATE, err);
    if (!st)
        st = validate_group_fields(&u.name, &u.key, &u.color, &u.external_id, err);
    if (st)
        return st;
    group_job j = {ctx, &u, arena, out};
    return store_write(ctx->store, create_tx, &j, err);
}

static hk_status load_group(const store_tx *tx, const hk_ctx *ctx, const char *id, hk_arena *a,
                            hk_customer_group *g, hk_error *err)
{
    bool found;
    hk_status st = tx->ops->group_get(tx->conn, ctx->workspace_id, STORE_BY_ID, id, a, g, &found);
    if (st)
        return domain_store_error(err, st, "looking up the group");
    if (!found)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", "customerGroupId", HK_FIELD_NOT_FOUND,
                              "no customer group with this id");
    return HK_OK;
}

static hk_status update_tx(const store_tx *tx, void *arg, hk_error *err)
{
    group_job *j = arg;
    const hk_group_update_input *in = j->in;
    hk_customer_group g;
    hk_status st = load_group(tx, j->ctx, in->customer_group_id, j->arena, &g, err);
    if (st)
        return st;
    if (in->key.set && strcmp(in->key.value, g.key) != 0)
        st = check_key_free(tx, j, in->key.value, g.id, err);
    if (st)
        return st;
    if (in->name.set)
        g.name = domain_dup(j->arena, in->name.value, &st);
    if (in->key.set)
        g.key = domain_dup(j->arena, in->key.value, &st);
    if (in->color.set)
        g.color = domain_dup(j->arena, in->color.value, &st);
    if (in->external_id.set)
        g.external_id = domain_dup(j->arena, in->external_id.value, &st);
    if (st)
        return hk_error_set(err, st, NULL, "out of memory");
    g.updated_at = hk_now_ms();
    g.updated_by = j->ctx->actor;
    st = tx->ops->group_update(tx->conn, &g);
    if (st == HK_ECONFLICT)
        return key_taken(err);
    if (st)
        return domain_store_error(err, st, "updating the group");
    *j->out = g;
    return HK_OK;
}

hk_status hk_group_update(const hk_ctx *ctx, const hk_group_update_input *in, hk_arena *arena,
                          hk_customer_group *out, hk_error *err)
{
    hk_error_clear(err);
    hk_group_update_input copy = *in;
    char id[HK_ID_MAX];
    hk_status st = domain_copy_id("customerGroupId", in->customer_group_id, id, err);
    memset(out, 0, sizeof *out);
    copy.customer_group_id = id;
    if (!st)
        st = domain_require(ctx, HK_PERM_CUSTOMER_GROUP_EDIT, err);
    if (!st)
        st = validate_group_fields(&in->name, &in->key, &in->color, &in->external_id, err);
    if (st)
        return st;
    group_job j = {ctx, &copy, arena, out};
    return store_write(ctx->store, update_tx, &j, err);
}

typedef struct delete_job {
    const hk_ctx *ctx;
    const char *id;
    hk_arena *arena;
} delete_job;

static hk_status delete_tx(const store_tx *tx, void *arg, hk_error *err)
{
    delete_job *j = arg;
    hk_customer_group g;
    hk_status st = load_group(tx, j->ctx, j->id, j->arena, &g, err);
    if (st)
        return st;
    int64_t members;
    st = tx->ops->group_member_count(tx->conn, j->ctx->workspace_id, g.id, &members);
    if (st)
        return domain_store_error(err, st, "counting group members");
    if (members > 0)
        return hk_error_set(err, HK_ESTATE, "customer_group_has_memberships",
                            "the customer group still has %lld members: remove them first",
                            (long long)members);
    st = tx->ops->group_delete(tx->conn, j->ctx->workspace_id, g.id);
    return st ? domain_store_error(err, st, "deleting the group") : HK_OK;
}

hk_status hk_group_delete(const hk_ctx *ctx, const char *customer_group_id, hk_error *err)
{
    char id[HK_ID_MAX];
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_GROUP_DELETE, err);
    if (!st)
        st = domain_copy_id("customerGroupId", customer_group_id, id, err);
    if (st)
        return st;
    hk_arena *arena = hk_arena_new(0);
    if (!arena)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    delete_job j = {ctx, id, arena};
    st = store_write(ctx->store, delete_tx, &j, err);
    hk_arena_free(arena);
    return st;
}

typedef struct get_job {
    const hk_ctx *ctx;
    const char *value;
    bool by_key;
    hk_arena *arena;
    hk_customer_group *out;
    bool *found;
} get_job;

static hk_status get_tx(const store_tx *tx, void *arg, hk_error *err)
{
    get_job *j = arg;
    hk_status st =
        tx->ops->group_get(tx->conn, j->ctx->workspace_id, j->by_key ? STORE_BY_KEY : STORE_BY_ID,
                           j->value, j->arena, j->out, j->found);
    return st ? domain_store_error(err, st, "reading the group") : HK_OK;
}

hk_status hk_group_get(const hk_ctx *ctx, const char *id_or_key, bool by_key, hk_arena *arena,
                       hk_customer_group *out, bool *found, hk_error *err)
{
    /* id_or_key may point into *out: copy it before out is cleared */
    const char *key = id_or_key ? hk_arena_strdup(arena, id_or_key) : NULL;
    memset(out, 0, sizeof *out);
    *found = false;
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_GROUP_READ, err);
    if (st || !id_or_key)
        return st;
    if (!key)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    get_job j = {ctx, key, by_key, arena, out, found};
    return store_read(ctx->store, get_tx, &j, err);
}

/* ---- memberships ---- */

hk_status hk_membership_read_check(const hk_ctx *ctx, hk_error *err)
{
    return domain_require(ctx, HK_PERM_MEMBERSHIP_READ, err);
}

hk_status hk_group_read_check(const hk_ctx *ctx, hk_error *err)
{
    return domain_require(ctx, HK_PERM_CUSTOMER_GROUP_READ, err);
}

/* The group `r` names (list item i of `field`), or not_found naming it. */
static hk_status resolve_group(const store_tx *tx, const hk_ctx *ctx, const char *field,
                               const hk_group_ref *r, size_t i, hk_arena *a, hk_customer_group *g,
                               hk_error *err)
{
    store_lookup by = r->id ? STORE_BY_ID : r->key ? STORE_BY_KEY : STORE_BY_EXTERNAL_ID;
    const char *value = r->id ? r->id : r->key ? r->key : r->external_id;
    const char *input = r->id ? "customerGroupId" : r->key ? "customerGroupKey" : "externalId";
    const char *what = r->id ? "id" : r->key ? "key" : "externalId";
    char name[HK_ERROR_FIELD_MAX];
    snprintf(name, sizeof name, "%s[%zu].%s", field, i, input);
    bool found;
    hk_status st = tx->ops->group_get(tx->conn, ctx->workspace_id, by, value, a, g, &found);
    if (st == HK_ECONFLICT)
        return hk_error_field(err, HK_EINVAL, NULL, name, HK_FIELD_VALIDATION,
                              "more than one customer group has this externalId: name the group "
                              "by customerGroupId or customerGroupKey");
    if (st)
        return domain_store_error(err, st, "looking up the group");
    if (!found)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", name, HK_FIELD_NOT_FOUND,
                              "no customer group with this %s", what);
    return HK_OK;
}

static bool is_member(const hk_customer *c, const char *group_id)
{
    for (size_t i = 0; i < c->n_memberships; i++)
        if (strcmp(c->memberships[i].customer_group_id, group_id) == 0)
            return true;
    return false;
}

static hk_status load_customer_by_id(const store_tx *tx, const hk_ctx *ctx, const char *id,
                                     hk_arena *a, hk_customer *c, hk_error *err)
{
    bool found;
    hk_status st =
        tx->ops->customer_get(tx->conn, ctx->workspace_id, STORE_BY_ID, id, a, c, &found);
    if (st)
        return domain_store_error(err, st, "looking up the customer");
    if (!found)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", "customerId", HK_FIELD_NOT_FOUND,
                              "no customer with this id");
    return HK_OK;
}

hk_status domain_check_group_refs(const char *field, const hk_group_ref *groups, size_t n,
                                  hk_error *err)
{
    hk_status st = hk_validate_list_size(field, n, err);
    for (size_t i = 0; !st && i < n; i++) {
        int given =
            (groups[i].id != NULL) + (groups[i].key != NULL) + (groups[i].external_id != NULL);
        if (given != 1) {
            char name[HK_ERROR_FIELD_MAX];
            snprintf(name, sizeof name, "%s[%zu]", field, i);
            st = hk_error_field(err, HK_EINVAL, NULL, name, HK_FIELD_VALIDATION,
                                "give exactly one of customerGroupId, customerGroupKey and "
                                "externalId");
        }
    }
    return st;
}

hk_status domain_memberships_add(const store_tx *tx, const hk_ctx *ctx, const hk_customer *cur,
                                 const hk_group_ref *groups, size_t n, const char *field,
                                 hk_arena *arena, int64_t now, hk_customer **states,
                                 size_t *n_states, hk_error *err)
{
    *states = NULL;
    *n_states = 0;
    hk_customer *s = hk_arena_calloc(arena, n + 1, sizeof *s);
    if (!s)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    s[0] = *cur;
    size_t k = 0;
    hk_status st = HK_OK;
    for (size_t i = 0; !st && i < n; i++) {
        hk_customer_group g;
        st = resolve_group(tx, ctx, field, &groups[i], i, arena, &g, err);
        if (st || is_member(&s[k], g.id))
            continue; /* already in: nothing changes, nothing fires */
        hk_membership m = {.created_at = now, .updated_at = now};
        snprintf(m.customer_id, sizeof m.customer_id, "%s", cur->id);
        snprintf(m.customer_group_id, sizeof m.customer_group_id, "%s", g.id);
        snprintf(m.workspace_id, sizeof m.workspace_id, "%s", cur->workspace_id);
        m.created_by = m.updated_by = ctx->actor;
        st = tx->ops->membership_insert(tx->conn, &m);
        if (st) {
            st = domain_store_error(err, st, "adding the membership");
            break;
        }
        /* the stored state, memberships with their groups as events show them */
        st = load_customer_by_id(tx, ctx, cur->id, arena, &s[k + 1], err);
        if (!st)
            k++;
    }
    if (st)
        return st;
    *states = s;
    *n_states = k + 1;
    return HK_OK;
}

hk_status domain_memberships_emit_added(const store_tx *tx, const char *ws,
                                        const hk_customer *states, size_t n_states, int64_t now,
                                        hk_error *err)
{
    hk_status st = HK_OK;
    for (size_t k = 1; !st && k < n_states; k++)
        st = outbox_emit(tx, ws, HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED, HK_CHANGE_ADDED,
                         &states[k], &states[k - 1], now, err);
    return st;
}

typedef struct membership_job {
    const hk_ctx *ctx;
    const char *customer_id;
    const hk_group_ref *groups;
    size_t n_groups;
    bool add;
    hk_arena *arena;
    hk_customer *out;
} membership_job;

static hk_status add_tx(const store_tx *tx, membership_job *j, const hk_customer *cur, int64_t now,
                        hk_error *err)
{
    hk_customer *states;
    size_t n;
    hk_status st =
        domain_memberships_add(tx, j->ctx, cur, j->groups, j->n_groups, "customerGroupIdentifiers",
                               j->arena, now, &states, &n, err);
    if (!st)
        st = domain_memberships_emit_added(tx, j->ctx->workspace_id, states, n, now, err);
    if (!st)
        *j->out = states[n - 1];
    return st;
}

/* Removes each membership named, one REMOVED event each; *cur moves to the
 * customer's state after the change. */
static hk_status remove_tx(const store_tx *tx, membership_job *j, hk_customer *cur, int64_t now,
                           hk_error *err)
{
    hk_status st = HK_OK;
    for (size_t i = 0; !st && i < j->n_groups; i++) {
        hk_customer_group g;
        st = resolve_group(tx, j->ctx, "customerGroupIdentifiers", &j->groups[i], i, j->arena, &g,
                           err);
        if (st)
            break;
        if (!is_member(cur, g.id)) {
            char field[HK_ERROR_FIELD_MAX];
            snprintf(field, sizeof field, "customerGroupIdentifiers[%zu]", i);
            st = hk_error_field(err, HK_ENOTFOUND, "not_found", field, HK_FIELD_NOT_FOUND,
                                "the customer is not in this customer group");
            break;
        }
        st = tx->ops->membership_delete(tx->conn, cur->workspace_id, cur->id, g.id);
        if (st) {
            st = domain_store_error(err, st, "removing the membership");
            break;
        }
        hk_customer next;
        st = load_customer_by_id(tx, j->ctx, cur->id, j->arena, &next, err);
        if (st)
            break;
        st = outbox_emit(tx, cur->workspace_id, HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED,
                         HK_CHANGE_REMOVED, &next, cur, now, err);
        *cur = next;
    }
    if (!st)
        *j->out = *cur;
    return st;
}

static hk_status membership_tx(const store_tx *tx, void *arg, hk_error *err)
{
    membership_job *j = arg;
    int64_t now = hk_now_ms();
    hk_customer cur;
    hk_status st = load_customer_by_id(tx, j->ctx, j->customer_id, j->arena, &cur, err);
    if (st)
        return st;
    return j->add ? add_tx(tx, j, &cur, now, err) : remove_tx(tx, j, &cur, now, err);
}

static hk_status change_memberships(const hk_ctx *ctx, const char *customer_id,
                                    const hk_group_ref *groups, size_t n_groups, bool add,
                                    hk_arena *arena, hk_customer *out, hk_error *err)
{
    char id[HK_ID_MAX];
    hk_error_clear(err);
    hk_status st = domain_copy_id("customerId", customer_id, id, err);
    memset(out, 0, sizeof *out);
    if (!st)
        st = domain_require(ctx, add ? HK_PERM_MEMBERSHIP_CREATE : HK_PERM_MEMBERSHIP_DELETE, err);
    if (st)
        return st;
    if (n_groups == 0)
        return hk_error_field(err, HK_EINVAL, NULL, "customerGroupIdentifiers", HK_FIELD_VALIDATION,
                              "give between 1 and %d customer groups", HK_MAX_LIST_ITEMS);
    st = domain_check_group_refs("customerGroupIdentifiers", groups, n_groups, err);
    if (st)
        return st;
    membership_job j = {ctx, id, groups, n_groups, add, arena, out};
    return store_write(ctx->store, membership_tx, &j, err);
}

hk_status hk_membership_add(const hk_ctx *ctx, const char *customer_id, const hk_group_ref *groups,
                            size_t n_groups, hk_arena *arena, hk_customer *out, hk_error *err)
{
    return change_memberships(ctx, customer_id, groups, n_groups, true, arena, out, err);
}

hk_status hk_membership_remove(const hk_ctx *ctx, const char *customer_id,
                               const hk_group_ref *groups, size_t n_groups, hk_arena *arena,
                               hk_customer *out, hk_error *err)
{
    return change_memberships(ctx, customer_id, groups, n_groups, false, arena, out, err);
}
