/*
 * customers.c - upsert, read, spam marking and deletion of customers, each
 * with the event it fires (SPEC §2, §3).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "domain/domain_int.h"

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* ---- input validation (before any store work) ---- */

static hk_status validate_optional_text(const char *field, const char *s, size_t max, hk_error *err)
{
    return s ? hk_validate_text(field, s, max, err) : HK_OK;
}

static hk_status validate_identifier(const hk_upsert_customer_input *in, hk_error *err)
{
    switch (in->identifier_kind) {
    case HK_CUSTOMER_BY_EMAIL:
        return hk_validate_email("identifier.emailAddress", in->identifier, err);
    case HK_CUSTOMER_BY_EXTERNAL_ID:
        return hk_validate_text("identifier.externalId", in->identifier, HK_EXTERNAL_ID_MAX_CHARS,
                                err);
    case HK_CUSTOMER_BY_ID:
        return hk_validate_text("identifier.customerId", in->identifier, HK_ID_MAX, err);
    }
    return hk_error_field(err, HK_EINVAL, NULL, "identifier", HK_FIELD_REQUIRED,
                          "identifier must name an email, an externalId or a customerId");
}

static hk_status validate_upsert(const hk_upsert_customer_input *in, hk_error *err)
{
    hk_status st = validate_identifier(in, err);
    if (!st)
        st = hk_validate_text("onCreate.fullName", in->on_create.full_name, HK_NAME_MAX_CHARS, err);
    if (!st)
        st = validate_optional_text("onCreate.shortName", in->on_create.short_name,
                                    HK_NAME_MAX_CHARS, err);
    if (!st)
        st = hk_validate_email("onCreate.email.email", in->on_create.email, err);
    if (!st)
        st = validate_optional_text("onCreate.externalId", in->on_create.external_id,
                                    HK_EXTERNAL_ID_MAX_CHARS, err);
    if (st)
        return st;
    if (in->on_update.full_name.set)
        st = hk_validate_text("onUpdate.fullName.value", in->on_update.full_name.value,
                              HK_NAME_MAX_CHARS, err);
    if (!st && in->on_update.short_name.set)
        st = validate_optional_text("onUpdate.shortName.value", in->on_update.short_name.value,
                                    HK_NAME_MAX_CHARS, err);
    if (!st && in->on_update.external_id.set)
        st = validate_optional_text("onUpdate.externalId.value", in->on_update.external_id.value,
                                    HK_EXTERNAL_ID_MAX_CHARS, err);
    if (!st && in->on_update.email_set)
        st = hk_validate_email("onUpdate.email.email", in->on_update.email, err);
    if (!st)
        st = domain_check_group_refs("onCreate.customerGroupIdentifiers", in->on_create.groups,
                                     in->on_create.n_groups, err);
    return st;
}

/* ---- uniqueness ---- */

/* customer_already_exists_with_* unless no other customer has this value. */
static hk_status check_unique(const store_tx *tx, const char *ws, store_lookup by,
                              const char *value, const char *self_id, hk_arena *a, hk_error *err)
{
    if (!value)
        return HK_OK;
    hk_customer other;
    bool found;
    hk_status st = tx->ops->customer_get(tx->conn, ws, by, value, a, &other, &found);
    if (st)
        return domain_store_error(err, st, "checking uniqueness");
    if (!found || (self_id && strcmp(other.id, self_id) == 0))
        return HK_OK;
    if (by == STORE_BY_EMAIL)
        return hk_error_field(err, HK_ECONFLICT, "customer_already_exists_with_email", "email",
                              HK_FIELD_VALIDATION, "a customer with this email already exists");
    return hk_error_field(err, HK_ECONFLICT, "customer_already_exists_with_external_id",
                          "externalId", HK_FIELD_VALIDATION,
                          "a customer with this externalId already exists");
}

/* ---- upsert ---- */

typedef struct upsert_job {
    const hk_ctx *ctx;
    const hk_upsert_customer_input *in;
    hk_arena *arena;
    hk_upsert_result *result;
    hk_customer *out;
} upsert_job;

static hk_status create_customer(const store_tx *tx, upsert_job *j, int64_t now, hk_error *err)
{
    const hk_upsert_customer_input *in = j->in;
    hk_status st = domain_require(j->ctx, HK_PERM_CUSTOMER_CREATE, err);
    /* joining groups is what addCustomerToCustomerGroups does: same permission */
    if (!st && in->on_create.n_groups > 0)
        st = domain_require(j->ctx, HK_PERM_MEMBERSHIP_CREATE, err);
    if (st)
        return st;
    if (in->identifier_kind == HK_CUSTOMER_BY_ID)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", "identifier.customerId",
                              HK_FIELD_NOT_FOUND, "no customer with this id");
    const char *external_id = in->on_create.external_id;
    if (!external_id && in->identifier_kind == HK_CUSTOMER_BY_EXTERNAL_ID)
        external_id = in->identifier;

    const char *ws = j->ctx->workspace_id;
    /* The lookup by identifier already showed that this email is free. */
    bool email_checked = in->identifier_kind == HK_CUSTOMER_BY_EMAIL &&
                         strcasecmp(in->identifier, in->on_create.email) == 0;
    if (!email_checked)
        st = check_unique(tx, ws, STORE_BY_EMAIL, in->on_create.email, NULL, j->arena, err);
    if (!st)
        st = check_unique(tx, ws, STORE_BY_EXTERNAL_ID, external_id, NULL, j->arena, err);
    if (st)
        return st;

    hk_customer *c = j->out;
    memset(c, 0, sizeof *c);
    st = hk_id_new(HK_ID_CUSTOMER, c->id);
    if (st)
        return hk_error_set(err, st, NULL, "cannot make a customer id");
    snprintf(c->workspace_id, sizeof c->workspace_id, "%s", ws);
    c->email = domain_dup(j->arena, in->on_create.email, &st);
    c->email_verified = in->on_create.email_verified;
    c->email_verified_at = c->email_verified ? now : HK_TIME_NONE;
    c->external_id = domain_dup(j->arena, external_id, &st);
    c->full_name = domain_dup(j->arena, in->on_create.full_name, &st);
    c->short_name = domain_dup(j->arena, in->on_create.short_name, &st);
    c->marked_as_spam_at = HK_TIME_NONE;
    c->created_at = c->updated_at = now;
    c->created_by = c->updated_by = j->ctx->actor;
    if (st)
        return hk_error_set(err, st, NULL, "out of memory");
    st = tx->ops->customer_insert(tx->conn, c);
    if (st == HK_ECONFLICT)
        return hk_error_set(err, st, "customer_already_exists_with_email",
                            "a customer with this email or externalId already exists");
    if (st)
        return domain_store_error(err, st, "creating the customer");
    /*
     * onCreate.customerGroupIdentifiers: the memberships are written in this
     * transaction, so an unknown group rolls the customer back too. Events:
     * customer_created first, its customer being the state at the end of the
     * transaction (memberships included, SPEC §3: the state right after the
     * change); then one memberships_changed ADDED per group joined, exactly
     * as addCustomerToCustomerGroups fires them (previousCustomer without,
     * customer with that group), so receivers that track memberships
     * through those events alone miss none. The last ADDED event's customer
     * equals the created event's customer.
     */
    hk_customer *states = c;
    size_t n_states = 1;
    if (in->on_create.n_groups > 0)
        st = domain_memberships_add(tx, j->ctx, c, in->on_create.groups, in->on_create.n_groups,
                                    "onCreate.customerGroupIdentifiers", j->arena, now, &states,
                                    &n_states, err);
    if (st)
        return st;
    *c = states[n_states - 1];
    st = outbox_emit(tx, ws, HK_EVENT_CUSTOMER_CREATED, HK_CHANGE_NONE, c, NULL, now, err);
    if (!st)
        st = domain_memberships_emit_added(tx, ws, states, n_states, now, err);
    if (!st)
        *j->result = HK_UPSERT_CREATED;
    return st;
}

/* Applies onUpdate to a copy of cur; tells whether anything changed. */
static bool apply_update(const hk_upsert_customer_input *in, const hk_customer *cur,
                         hk_customer *next, int64_t now)
{
    *next = *cur;
    if (in->on_update.full_name.set)
        next->full_name = in->on_update.full_name.value;
    if (in->on_update.short_name.set)
        next->short_name = in->on_update.short_name.value;
    if (in->on_update.external_id.set)
        next->external_id = in->on_update.external_id.value;
    if (in->on_update.email_set) {
        bool same_email = strcmp(cur->email, in->on_update.email) == 0;
        next->email = in->on_update.email;
        next->email_verified = in->on_update.email_verified;
        if (!next->email_verified)
            next->email_verified_at = HK_TIME_NONE;
        else if (!same_email || !cur->email_verified)
            next->email_verified_at = now; /* verified by this change */
    }
    return !str_eq(cur->full_name, next->full_name) || !str_eq(cur->short_name, next->short_name) ||
           !str_eq(cur->external_id, next->external_id) || !str_eq(cur->email, next->email) ||
           cur->email_verified != next->email_verified;
}

/* Makes the strings of c that point into the (borrowed) input arena-owned. */
static hk_status own_strings(hk_arena *a, hk_customer *c)
{
    hk_status st = HK_OK;
    c->email = domain_dup(a, c->email, &st);
    c->full_name = domain_dup(a, c->full_name, &st);
    c->short_name = domain_dup(a, c->short_name, &st);
    c->external_id = domain_dup(a, c->external_id, &st);
    return st;
}

static hk_status update_customer(const store_tx *tx, upsert_job *j, const hk_customer *cur,
                                 int64_t now, hk_error *err)
{
    hk_status st = domain_require(j->ctx, HK_PERM_CUSTOMER_EDIT, err);
    if (st)
        return st;
    hk_customer next;
    if (!apply_update(j->in, cur, &next, now)) {
        *j->result = HK_UPSERT_NOOP;
        *j->out = *cur;
        return HK_OK;
    }
    const char *ws = j->ctx->workspace_id;
    /* Same key (case-insensitive): still this customer's, no lookup needed. */
    if (strcasecmp(next.email, cur->email) != 0)
        st = check_unique(tx, ws, STORE_BY_EMAIL, next.email, cur->id, j->arena, err);
    if (!st && !str_eq(next.external_id, cur->external_id))
        st = check_unique(tx, ws, STORE_BY_EXTERNAL_ID, next.external_id, cur->id, j->arena, err);
    if (st)
        return st;
    next.updated_at = now;
    next.updated_by = j->ctx->actor;
    st = own_strings(j->arena, &next);
    if (st)
        return hk_error_set(err, st, NULL, "out of memory");
    st = tx->ops->customer_update(tx->conn, &next);
    if (st)
        return domain_store_error(err, st, "updating the customer");
    *j->result = HK_UPSERT_UPDATED;
    *j->out = next;
    return outbox_emit(tx, ws, HK_EVENT_CUSTOMER_UPDATED, HK_CHANGE_NONE, &next, cur, now, err);
}

static store_lookup lookup_of(hk_customer_key k)
{
    return k == HK_CUSTOMER_BY_EMAIL         ? STORE_BY_EMAIL
           : k == HK_CUSTOMER_BY_EXTERNAL_ID ? STORE_BY_EXTERNAL_ID
                                             : STORE_BY_ID;
}

static hk_status upsert_tx(const store_tx *tx, void *arg, hk_error *err)
{
    upsert_job *j = arg;
    int64_t now = hk_now_ms();
    hk_customer cur;
    bool found;
    hk_status st =
        tx->ops->customer_get(tx->conn, j->ctx->workspace_id, lookup_of(j->in->identifier_kind),
                              j->in->identifier, j->arena, &cur, &found);
    if (st)
        return domain_store_error(err, st, "looking up the customer");
    return found ? update_customer(tx, j, &cur, now, err) : create_customer(tx, j, now, err);
}

hk_status hk_customer_upsert(const hk_ctx *ctx, const hk_upsert_customer_input *in, hk_arena *arena,
                             hk_upsert_result *result, hk_customer *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    *result = HK_UPSERT_NOOP;
    hk_error_clear(err);
    hk_status st = validate_upsert(in, err);
    if (st)
        return st;
    upsert_job j = {ctx, in, arena, result, out};
    return store_write(ctx->store, upsert_tx, &j, err);
}

/* ---- reads ---- */

typedef struct get_job {
    const hk_ctx *ctx;
    store_lookup by;
    const char *value;
    hk_arena *arena;
    hk_customer *out;
    bool *found;
} get_job;

static hk_status get_tx(const store_tx *tx, void *arg, hk_error *err)
{
    get_job *j = arg;
    hk_status st = tx->ops->customer_get(tx->conn, j->ctx->workspace_id, j->by, j->value, j->arena,
                                         j->out, j->found);
    return st ? domain_store_error(err, st, "reading the customer") : HK_OK;
}

hk_status hk_customer_get(const hk_ctx *ctx, hk_customer_key by, const char *value, hk_arena *arena,
                          hk_customer *out, bool *found, hk_error *err)
{
    /* value may point into *out: copy it before out is cleared */
    const char *key = value ? hk_arena_strdup(arena, value) : NULL;
    memset(out, 0, sizeof *out);
    *found = false;
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_READ, err);
    if (st || !value)
        return st;
    if (!key)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    get_job j = {ctx, lookup_of(by), key, arena, out, found};
    return store_read(ctx->store, get_tx, &j, err);
}

/* ---- spam, delete ---- */

typedef struct change_job {
    const hk_ctx *ctx;
    const char *customer_id;
    hk_arena *arena;
    hk_customer *out;
    bool spam; /* mark (true) or unmark */
} change_job;

static hk_status load_for_change(const store_tx *tx, change_job *j, hk_customer *cur, hk_error *err)
{
    bool found;
    hk_status st = tx->ops->customer_get(tx->conn, j->ctx->workspace_id, STORE_BY_ID,
                                         j->customer_id, j->arena, cur, &found);
    if (st)
        return domain_store_error(err, st, "looking up the customer");
    if (!found)
        return hk_error_field(err, HK_ENOTFOUND, "not_found", "customerId", HK_FIELD_NOT_FOUND,
                              "no customer with this id");
    return HK_OK;
}

static hk_status spam_tx(const store_tx *tx, void *arg, hk_error *err)
{
    change_job *j = arg;
    int64_t now = hk_now_ms();
    hk_customer cur;
    hk_status st = load_for_change(tx, j, &cur, err);
    if (st)
        return st;
    bool is_spam = cur.marked_as_spam_at != HK_TIME_NONE;
    if (j->spam && is_spam)
        return hk_error_set(err, HK_ESTATE, "customer_already_marked_as_spam",
                            "the customer is already marked as spam");
    if (!j->spam && !is_spam)
        return hk_error_set(err, HK_ESTATE, "customer_is_not_marked_as_spam",
                            "the customer is not marked as spam");
    hk_customer next = cur;
    next.marked_as_spam_at = j->spam ? now : HK_TIME_NONE;
    memset(&next.marked_as_spam_by, 0, sizeof next.marked_as_spam_by);
    if (j->spam)
        next.marked_as_spam_by = j->ctx->actor;
    next.updated_at = now;
    next.updated_by = j->ctx->actor;
    st = tx->ops->customer_update(tx->conn, &next);
    if (st)
        return domain_store_error(err, st, "updating the customer");
    *j->out = next;
    return outbox_emit(tx, j->ctx->workspace_id, HK_EVENT_CUSTOMER_UPDATED, HK_CHANGE_NONE, &next,
                       &cur, now, err);
}

static hk_status set_spam(const hk_ctx *ctx, const char *customer_id, bool spam, hk_arena *arena,
                          hk_customer *out, hk_error *err)
{
    char id[HK_ID_MAX];
    hk_error_clear(err);
    hk_status st = domain_copy_id("customerId", customer_id, id, err);
    memset(out, 0, sizeof *out);
    if (!st)
        st = domain_require(ctx, HK_PERM_CUSTOMER_EDIT, err);
    if (st)
        return st;
    change_job j = {ctx, id, arena, out, spam};
    return store_write(ctx->store, spam_tx, &j, err);
}

hk_status hk_customer_mark_spam(const hk_ctx *ctx, const char *customer_id, hk_arena *arena,
                                hk_customer *out, hk_error *err)
{
    return set_spam(ctx, customer_id, true, arena, out, err);
}

hk_status hk_customer_unmark_spam(const hk_ctx *ctx, const char *customer_id, hk_arena *arena,
                                  hk_customer *out, hk_error *err)
{
    return set_spam(ctx, customer_id, false, arena, out, err);
}

static hk_status delete_tx(const store_tx *tx, void *arg, hk_error *err)
{
    change_job *j = arg;
    int64_t now = hk_now_ms();
    hk_customer cur;
    hk_status st = load_for_change(tx, j, &cur, err);
    if (st)
        return st;
    st = tx->ops->customer_delete(tx->conn, j->ctx->workspace_id, cur.id);
    if (st)
        return domain_store_error(err, st, "deleting the customer");
    return outbox_emit(tx, j->ctx->workspace_id, HK_EVENT_CUSTOMER_DELETED, HK_CHANGE_NONE, NULL,
                       &cur, now, err);
}

hk_status hk_customer_delete(const hk_ctx *ctx, const char *customer_id, hk_error *err)
{
    char id[HK_ID_MAX];
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_DELETE, err);
    if (!st)
        st = domain_copy_id("customerId", customer_id, id, err);
    if (st)
        return st;
    hk_arena *arena = hk_arena_new(0);
    if (!arena)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    change_job j = {ctx, id, arena, NULL, false};
    st = store_write(ctx->store, delete_tx, &j, err);
    hk_arena_free(arena);
    return st;
}
