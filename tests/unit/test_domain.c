/*
 * test_domain.c - the domain API against the SQLite store: every rule and
 * error code of SPEC §2-§4, the transactional outbox (events and deliveries
 * in the same transaction as the change), and that failures change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "domain/deliveries.h"
#include "store/pg_schema.h"
#include "store/sqlite_schema.h"
#include "testutil.h"

static hk_status upsert(test_env *e, const hk_ctx *ctx, const hk_upsert_customer_input *in,
                        hk_upsert_result *r, hk_customer *c, hk_error *err)
{
    return hk_customer_upsert(ctx, in, e->arena, r, c, err);
}

static const char *all_customer_events[] = {
    "customer.customer_created",
    "customer.customer_updated",
    "customer.customer_deleted",
    "customer.customer_group_memberships_changed",
};

static void make_target(test_env *e, const hk_ctx *ctx, bool enabled, const char *event_type,
                        hk_webhook_target *t)
{
    const char *one[] = {event_type};
    hk_target_input in = {
        .url = "https://example.com/hook",
        .description = "test",
        .is_enabled = enabled,
        .n_event_types = event_type ? 1 : 4,
        .event_types = event_type ? one : all_customer_events,
    };
    hk_error err;
    assert_int_equal(hk_target_create(ctx, &in, e->arena, t, &err), HK_OK);
}

/* ---- auth and workspaces ---- */

static void test_bootstrap_and_auth(void **state)
{
    test_env *e = *state;
    hk_bootstrap_result r;
    hk_error err;
    assert_int_equal(hk_workspace_bootstrap(e->store, "acme", &r, &err), HK_OK);
    assert_true(hk_id_is_kind(r.workspace_id, strlen(r.workspace_id), HK_ID_WORKSPACE));
    assert_true(hk_id_is_kind(r.machine_user_id, strlen(r.machine_user_id), HK_ID_MACHINE_USER));
    assert_int_equal(strncmp(r.api_key, "hkey_", 5), 0);
    assert_int_equal(strlen(r.api_key), 5 + 43);

    hk_ctx ctx;
    assert_int_equal(hk_auth_api_key(e->store, r.api_key, strlen(r.api_key), &ctx, &err), HK_OK);
    assert_string_equal(ctx.workspace_id, r.workspace_id);
    assert_int_equal(ctx.actor.type, HK_ACTOR_MACHINE_USER);
    assert_string_equal(ctx.actor.id, r.machine_user_id);
    assert_int_equal(ctx.permissions, HK_PERM_ALL);

    char wrong[HK_API_KEY_BUF];
    snprintf(wrong, sizeof wrong, "%s", r.api_key);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    assert_int_equal(hk_auth_api_key(e->store, wrong, strlen(wrong), &ctx, &err), HK_ENOTFOUND);
    assert_int_equal(hk_auth_api_key(e->store, "", 0, &ctx, &err), HK_ENOTFOUND);

    hk_workspace w;
    hk_ctx owner;
    assert_int_equal(hk_auth_api_key(e->store, r.api_key, strlen(r.api_key), &owner, &err), 0);
    assert_int_equal(hk_workspace_get(&owner, e->arena, &w, &err), HK_OK);
    assert_string_equal(w.name, "acme");
    assert_string_equal(w.id, r.workspace_id);
}

static void test_api_key_is_stored_hashed(void **state)
{
    test_env *e = *state;
    hk_bootstrap_result r;
    hk_error err;
    assert_int_equal(hk_workspace_bootstrap(e->store, "hashed", &r, &err), HK_OK);
    assert_int_equal(test_sql_int64(e,
                                    "SELECT count(*) FROM api_keys WHERE key_hash = ?1 OR id = ?1"
                                    " OR machine_user_id = ?1",
                                    r.api_key),
                     0);
}

static void test_permissions_enforced(void **state)
{
    test_env *e = *state;
    hk_ctx ro = e->ctx;
    ro.permissions = HK_PERM_CUSTOMER_READ;
    hk_upsert_customer_input in = test_by_email("p@example.com", "P");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &ro, &in, &r, &c, &err), HK_EFORBIDDEN);
    assert_string_equal(err.code, "forbidden");
    assert_int_equal(err.type, HK_ERROR_FORBIDDEN);
    assert_int_equal(test_counts(e, &ro).customers, 0);

    /* create-only key: may create, may not update */
    hk_ctx create_only = e->ctx;
    create_only.permissions = HK_PERM_CUSTOMER_CREATE;
    assert_int_equal(upsert(e, &create_only, &in, &r, &c, &err), HK_OK);
    in.on_update.full_name = (hk_opt_str){true, "Q"};
    assert_int_equal(upsert(e, &create_only, &in, &r, &c, &err), HK_EFORBIDDEN);

    hk_webhook_target t;
    hk_target_input ti = {.url = "https://example.com", .description = ""};
    assert_int_equal(hk_target_create(&ro, &ti, e->arena, &t, &err), HK_EFORBIDDEN);
    hk_hmac_secret h;
    assert_int_equal(hk_workspace_hmac_get(&ro, e->arena, &h, &err), HK_EFORBIDDEN);
    assert_int_equal(hk_customer_delete(&ro, c.id, &err), HK_EFORBIDDEN);

    char key[HK_API_KEY_BUF];
    assert_int_equal(hk_api_key_create(&ro, ro.actor.id, HK_PERM_ALL, key, &err), HK_EFORBIDDEN);
    assert_int_equal(hk_api_key_create(&e->ctx, e->ctx.actor.id, HK_PERM_CUSTOMER_READ, key, &err),
                     HK_OK);
    hk_ctx limited;
    assert_int_equal(hk_auth_api_key(e->store, key, strlen(key), &limited, &err), HK_OK);
    assert_int_equal(limited.permissions, HK_PERM_CUSTOMER_READ);
    assert_string_equal(limited.workspace_id, e->ctx.workspace_id);
}

/* ---- customers ---- */

static void test_upsert_create_update_noop(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, true, NULL, &t);

    hk_upsert_customer_input in = test_by_email("peter@example.com", "Peter Santos");
    in.on_create.short_name = "Peter";
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_CREATED);
    assert_true(hk_id_is_kind(c.id, strlen(c.id), HK_ID_CUSTOMER));
    assert_string_equal(c.full_name, "Peter Santos");
    assert_string_equal(c.short_name, "Peter");
    assert_null(c.external_id);
    assert_false(c.email_verified);
    assert_true(c.email_verified_at == HK_TIME_NONE);
    assert_int_equal(c.created_by.type, HK_ACTOR_MACHINE_USER);
    assert_true(c.created_at == c.updated_at);

    store_counts k = test_counts(e, &e->ctx);
    assert_int_equal(k.customers, 1);
    assert_int_equal(k.events, 1);
    assert_int_equal(k.deliveries_pending, 1);

    /* same values: NOOP, no event */
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_NOOP);
    in.on_update.full_name = (hk_opt_str){true, "Peter Santos"};
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_NOOP);
    assert_int_equal(test_counts(e, &e->ctx).events, 1);

    /* a change: UPDATED, one more event */
    in.on_update.full_name = (hk_opt_str){true, "Peter S."};
    in.on_update.short_name = (hk_opt_str){true, NULL};
    in.on_update.external_id = (hk_opt_str){true, "ext-1"};
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_UPDATED);
    assert_string_equal(c.full_name, "Peter S.");
    assert_null(c.short_name);
    assert_string_equal(c.external_id, "ext-1");
    k = test_counts(e, &e->ctx);
    assert_int_equal(k.events, 2);
    assert_int_equal(k.deliveries_pending, 2);

    /* find by each key; email is case-insensitive */
    hk_customer got;
    bool found;
    assert_int_equal(hk_customer_get(&e->ctx, HK_CUSTOMER_BY_EMAIL, "PETER@Example.com", e->arena,
                                     &got, &found, &err),
                     HK_OK);
    assert_true(found);
    assert_string_equal(got.id, c.id);
    assert_int_equal(
        hk_customer_get(&e->ctx, HK_CUSTOMER_BY_EXTERNAL_ID, "ext-1", e->arena, &got, &found, &err),
        HK_OK);
    assert_true(found);
    assert_int_equal(
        hk_customer_get(&e->ctx, HK_CUSTOMER_BY_ID, c.id, e->arena, &got, &found, &err), HK_OK);
    assert_true(found);
    assert_string_equal(got.full_name, "Peter S.");
    assert_int_equal(hk_customer_get(&e->ctx, HK_CUSTOMER_BY_ID, "c_01HD44FHDPG82VQ4QNHDR4N2T0",
                                     e->arena, &got, &found, &err),
                     HK_OK);
    assert_false(found);

    /* by externalId and by customerId */
    hk_upsert_customer_input by_ext = test_by_email("other@example.com", "Other");
    by_ext.identifier_kind = HK_CUSTOMER_BY_EXTERNAL_ID;
    by_ext.identifier = "ext-1";
    by_ext.on_update.full_name = (hk_opt_str){true, "Via external"};
    assert_int_equal(upsert(e, &e->ctx, &by_ext, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_UPDATED);
    assert_string_equal(c.email, "peter@example.com");
    hk_upsert_customer_input by_id = test_by_email("x@example.com", "X");
    by_id.identifier_kind = HK_CUSTOMER_BY_ID;
    by_id.identifier = "c_01HD44FHDPG82VQ4QNHDR4N2T0";
    assert_int_equal(upsert(e, &e->ctx, &by_id, &r, &c, &err), HK_ENOTFOUND);
    assert_string_equal(err.code, "not_found");
    assert_string_equal(err.fields[0].field, "identifier.customerId");
    assert_int_equal(err.fields[0].type, HK_FIELD_NOT_FOUND);
}

static void test_upsert_by_external_id_creates_with_it(void **state)
{
    test_env *e = *state;
    hk_upsert_customer_input in = test_by_email("ext@example.com", "Ext");
    in.identifier_kind = HK_CUSTOMER_BY_EXTERNAL_ID;
    in.identifier = "crm-42";
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_CREATED);
    assert_string_equal(c.external_id, "crm-42");
}

static void test_email_verification(void **state)
{
    test_env *e = *state;
    hk_upsert_customer_input in = test_by_email("v@example.com", "V");
    in.on_create.email_verified = true;
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_true(c.email_verified);
    assert_true(c.email_verified_at == c.created_at);

    /* unverify, then verify again: verifiedAt follows */
    in.on_update.email_set = true;
    in.on_update.email = "v@example.com";
    in.on_update.email_verified = false;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_UPDATED);
    assert_false(c.email_verified);
    assert_true(c.email_verified_at == HK_TIME_NONE);
    in.on_update.email_verified = true;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_true(c.email_verified);
    assert_true(c.email_verified_at == c.updated_at);

    /* a new email takes isVerified as given */
    in.on_update.email = "new@example.com";
    in.on_update.email_verified = false;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_string_equal(c.email, "new@example.com");
    assert_false(c.email_verified);
}

static void test_uniqueness_errors(void **state)
{
    test_env *e = *state;
    hk_upsert_customer_input a = test_by_email("a@example.com", "A");
    a.on_create.external_id = "ext-a";
    hk_upsert_customer_input b = test_by_email("b@example.com", "B");
    b.on_create.external_id = "ext-b";
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &a, &r, &c, &err), HK_OK);
    assert_int_equal(upsert(e, &e->ctx, &b, &r, &c, &err), HK_OK);
    store_counts before = test_counts(e, &e->ctx);

    /* creating through externalId with a taken email */
    hk_upsert_customer_input dup = test_by_email("A@EXAMPLE.COM", "Dup");
    dup.identifier_kind = HK_CUSTOMER_BY_EXTERNAL_ID;
    dup.identifier = "ext-new";
    assert_int_equal(upsert(e, &e->ctx, &dup, &r, &c, &err), HK_ECONFLICT);
    assert_string_equal(err.code, "customer_already_exists_with_email");
    assert_string_equal(err.fields[0].field, "email");

    /* creating with a taken externalId */
    hk_upsert_customer_input dup2 = test_by_email("c@example.com", "C");
    dup2.on_create.external_id = "ext-a";
    assert_int_equal(upsert(e, &e->ctx, &dup2, &r, &c, &err), HK_ECONFLICT);
    assert_string_equal(err.code, "customer_already_exists_with_external_id");

    /* updating into a taken email / externalId */
    b.on_update.email_set = true;
    b.on_update.email = "a@example.com";
    assert_int_equal(upsert(e, &e->ctx, &b, &r, &c, &err), HK_ECONFLICT);
    assert_string_equal(err.code, "customer_already_exists_with_email");
    b.on_update.email_set = false;
    b.on_update.external_id = (hk_opt_str){true, "ext-a"};
    assert_int_equal(upsert(e, &e->ctx, &b, &r, &c, &err), HK_ECONFLICT);
    assert_string_equal(err.code, "customer_already_exists_with_external_id");
    assert_int_equal(err.type, HK_ERROR_VALIDATION);

    store_counts after = test_counts(e, &e->ctx);
    assert_memory_equal(&before, &after, sizeof before);

    /* the same email in another workspace is fine */
    assert_int_equal(upsert(e, &e->other, &a, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_CREATED);
}

static void expect_field_error(hk_status st, const hk_error *err, const char *field)
{
    assert_int_equal(st, HK_EINVAL);
    assert_string_equal(err->code, "input_validation");
    assert_int_equal(err->type, HK_ERROR_VALIDATION);
    assert_true(err->nfields >= 1);
    assert_string_equal(err->fields[0].field, field);
}

static char *repeat(const char *unit, int times)
{
    size_t n = strlen(unit);
    char *s = malloc(n * (size_t)times + 1);
    for (int i = 0; i < times; i++)
        memcpy(s + n * (size_t)i, unit, n);
    s[n * (size_t)times] = '\0';
    return s;
}

static void test_customer_validation_changes_nothing(void **state)
{
    test_env *e = *state;
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    char *long500 = repeat("\xc3\xa9", 500); /* 500 characters, 1000 bytes: allowed */
    char *long501 = repeat("a", 501);
    char *ext501 = repeat("x", 501);
    char *email255 = repeat("a", 243);
    memcpy(email255 + 231, "@example.com", 13); /* 243 bytes: fine */
    char *email_long = malloc(300);
    memset(email_long, 'a', 250);
    memcpy(email_long + 250, "@example.com", 13); /* 262 bytes: too long */

    hk_upsert_customer_input in = test_by_email("ok@example.com", "");
    expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "onCreate.fullName");
    in = test_by_email("ok@example.com", NULL);
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_EINVAL);
    assert_int_equal(err.fields[0].type, HK_FIELD_REQUIRED);
    in = test_by_email("ok@example.com", long501);
    expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "onCreate.fullName");
    in = test_by_email("ok@example.com", "bad \xff utf8");
    expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "onCreate.fullName");
    in = test_by_email("ok@example.com", "ok");
    in.on_create.short_name = "";
    expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "onCreate.shortName");
    in = test_by_email("ok@example.com", "ok");
    in.on_create.external_id = ext501;
    expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "onCreate.externalId");
    in = test_by_email(email_long, "ok");
    expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "identifier.emailAddress");
    const char *bad_emails[] = {"plain",
                                "a@b",
                                "a@b.c",
                                "@example.com",
                                "a b@example.com",
                                "a@-example.com",
                                "a..b@example.com",
                                "a@example.c0m",
                                ""};
    for (size_t i = 0; i < sizeof bad_emails / sizeof bad_emails[0]; i++) {
        in = test_by_email(bad_emails[i], "ok");
        expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "identifier.emailAddress");
    }
    in = test_by_email("ok@example.com", "ok");
    in.on_update.full_name = (hk_opt_str){true, NULL};
    expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "onUpdate.fullName.value");
    in.on_update.full_name.set = false;
    in.on_update.email_set = true;
    in.on_update.email = "nope";
    expect_field_error(upsert(e, &e->ctx, &in, &r, &c, &err), &err, "onUpdate.email.email");

    store_counts k = test_counts(e, &e->ctx);
    assert_int_equal(k.customers, 0);
    assert_int_equal(k.events, 0);

    /* the limits themselves are allowed */
    const char *good_emails[] = {"peter@example.com", "\"quoted @ local\"@example.com",
                                 "x@[127.0.0.1]", "a.b+tag@sub.example.co.uk",
                                 "\xc3\xa9l\xc3\xa8ve@example.fr"};
    for (size_t i = 0; i < sizeof good_emails / sizeof good_emails[0]; i++) {
        in = test_by_email(good_emails[i], long500);
        assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    }
    in = test_by_email(email255, "ok");
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    free(long500);
    free(long501);
    free(ext501);
    free(email255);
    free(email_long);
}

static void test_spam_marking(void **state)
{
    test_env *e = *state;
    hk_upsert_customer_input in = test_by_email("s@example.com", "S");
    hk_upsert_result r;
    hk_customer c, m;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(hk_customer_unmark_spam(&e->ctx, c.id, e->arena, &m, &err), HK_ESTATE);
    assert_string_equal(err.code, "customer_is_not_marked_as_spam");
    assert_int_equal(hk_customer_mark_spam(&e->ctx, c.id, e->arena, &m, &err), HK_OK);
    assert_true(m.marked_as_spam_at != HK_TIME_NONE);
    assert_true(m.marked_as_spam_at == m.updated_at);
    assert_string_equal(m.marked_as_spam_by.id, e->ctx.actor.id);
    assert_int_equal(hk_customer_mark_spam(&e->ctx, c.id, e->arena, &m, &err), HK_ESTATE);
    assert_string_equal(err.code, "customer_already_marked_as_spam");
    assert_int_equal(hk_customer_unmark_spam(&e->ctx, c.id, e->arena, &m, &err), HK_OK);
    assert_true(m.marked_as_spam_at == HK_TIME_NONE);
    assert_int_equal(test_counts(e, &e->ctx).events, 3);

    assert_int_equal(
        hk_customer_mark_spam(&e->ctx, "c_01HD44FHDPG82VQ4QNHDR4N2T0", e->arena, &m, &err),
        HK_ENOTFOUND);
    assert_string_equal(err.code, "not_found");
    /* another workspace cannot see it */
    assert_int_equal(hk_customer_mark_spam(&e->other, c.id, e->arena, &m, &err), HK_ENOTFOUND);
    assert_int_equal(hk_customer_delete(&e->other, c.id, &err), HK_ENOTFOUND);
    bool found;
    assert_int_equal(
        hk_customer_get(&e->other, HK_CUSTOMER_BY_ID, c.id, e->arena, &m, &found, &err), HK_OK);
    assert_false(found);
}

static void test_delete_customer(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, true, "customer.customer_deleted", &t);
    hk_upsert_customer_input in = test_by_email("d@example.com", "D");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    hk_customer_group g;
    hk_group_input gi = {.name = "Free", .key = "free", .color = "#D66258"};
    assert_int_equal(hk_group_create(&e->ctx, &gi, e->arena, &g, &err), HK_OK);
    hk_group_ref ref = {.id = g.id};
    assert_int_equal(hk_membership_add(&e->ctx, c.id, &ref, 1, e->arena, &c, &err), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).deliveries_pending, 0);

    assert_int_equal(hk_customer_delete(&e->ctx, c.id, &err), HK_OK);
    store_counts k = test_counts(e, &e->ctx);
    assert_int_equal(k.customers, 0);
    assert_int_equal(k.memberships, 0);
    assert_int_equal(k.events, 3); /* created, memberships_changed, deleted */
    assert_int_equal(k.deliveries_pending, 1);
    assert_int_equal(hk_customer_delete(&e->ctx, c.id, &err), HK_ENOTFOUND);
    /* the group can go now */
    assert_int_equal(hk_group_delete(&e->ctx, g.id, &err), HK_OK);
}

/* ---- groups and memberships ---- */

static void test_groups(void **state)
{
    test_env *e = *state;
    hk_customer_group g, g2;
    hk_error err;
    hk_group_input gi = {.name = "Free Tier", .key = "free-tier", .color = "#D66258"};
    assert_int_equal(hk_group_create(&e->ctx, &gi, e->arena, &g, &err), HK_OK);
    assert_true(hk_id_is_kind(g.id, strlen(g.id), HK_ID_CUSTOMER_GROUP));
    assert_int_equal(hk_group_create(&e->ctx, &gi, e->arena, &g2, &err), HK_ECONFLICT);
    assert_string_equal(err.code, "customer_group_key_already_exists");
    assert_string_equal(err.fields[0].field, "key");
    /* other workspace may reuse the key */
    assert_int_equal(hk_group_create(&e->other, &gi, e->arena, &g2, &err), HK_OK);

    const char *bad_colors[] = {"D66258", "#D6625", "#GGGGGG", "#12", "", "#1234567890"};
    for (size_t i = 0; i < sizeof bad_colors / sizeof bad_colors[0]; i++) {
        hk_group_input b = {.name = "x", .key = "k2", .color = bad_colors[i]};
        expect_field_error(hk_group_create(&e->ctx, &b, e->arena, &g2, &err), &err, "color");
    }
    char *key51 = repeat("k", 51);
    hk_group_input b = {.name = "x", .key = key51, .color = "#fff"};
    expect_field_error(hk_group_create(&e->ctx, &b, e->arena, &g2, &err), &err, "key");
    free(key51);
    b.key = "k2";
    b.name = "";
    expect_field_error(hk_group_create(&e->ctx, &b, e->arena, &g2, &err), &err, "name");
    assert_int_equal(test_counts(e, &e->ctx).groups, 1);

    hk_group_input second = {.name = "Paid", .key = "paid", .color = "#fff", .external_id = "p"};
    assert_int_equal(hk_group_create(&e->ctx, &second, e->arena, &g2, &err), HK_OK);
    assert_string_equal(g2.external_id, "p");
    char g2_id[HK_ID_MAX];
    snprintf(g2_id, sizeof g2_id, "%s", g2.id);
    hk_group_update_input u = {.customer_group_id = g2_id, .key = {true, "free-tier"}};
    assert_int_equal(hk_group_update(&e->ctx, &u, e->arena, &g2, &err), HK_ECONFLICT);
    assert_string_equal(err.code, "customer_group_key_already_exists");
    u.key = (hk_opt_str){true, "paid-2"};
    u.name = (hk_opt_str){true, "Paid plan"};
    u.external_id = (hk_opt_str){true, NULL};
    assert_int_equal(hk_group_update(&e->ctx, &u, e->arena, &g2, &err), HK_OK);
    assert_string_equal(g2.key, "paid-2");
    assert_string_equal(g2.name, "Paid plan");
    assert_null(g2.external_id);
    assert_string_equal(g2.color, "#fff");
    u.customer_group_id = "cg_01GWVPYG1B8JBPGZC2VQDQEQAM";
    assert_int_equal(hk_group_update(&e->ctx, &u, e->arena, &g2, &err), HK_ENOTFOUND);

    bool found;
    assert_int_equal(hk_group_get(&e->ctx, "paid-2", true, e->arena, &g2, &found, &err), HK_OK);
    assert_true(found);
    assert_int_equal(hk_group_get(&e->other, g.id, false, e->arena, &g2, &found, &err), HK_OK);
    assert_false(found);
}

static void test_memberships(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, true, "customer.customer_group_memberships_changed", &t);
    hk_upsert_customer_input in = test_by_email("m@example.com", "M");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    hk_customer_group g1, g2;
    hk_group_input a = {.name = "A", .key = "a", .color = "#aaa"};
    hk_group_input b = {.name = "B", .key = "b", .color = "#bbb"};
    assert_int_equal(hk_group_create(&e->ctx, &a, e->arena, &g1, &err), HK_OK);
    assert_int_equal(hk_group_create(&e->ctx, &b, e->arena, &g2, &err), HK_OK);

    hk_group_ref refs[] = {{.id = g1.id}, {.key = "b"}};
    assert_int_equal(hk_membership_add(&e->ctx, c.id, refs, 2, e->arena, &c, &err), HK_OK);
    assert_int_equal(c.n_memberships, 2);
    assert_string_equal(c.memberships[0].group.key, "a");
    store_counts k = test_counts(e, &e->ctx);
    assert_int_equal(k.memberships, 2);
    assert_int_equal(k.events, 3);
    assert_int_equal(k.deliveries_pending, 2);

    /* adding again: nothing changes, nothing fires */
    assert_int_equal(hk_membership_add(&e->ctx, c.id, refs, 2, e->arena, &c, &err), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).events, 3);

    /* a group with members cannot be deleted */
    assert_int_equal(hk_group_delete(&e->ctx, g1.id, &err), HK_ESTATE);
    assert_string_equal(err.code, "customer_group_has_memberships");

    /* all-or-nothing: an unknown group in the list adds none */
    hk_upsert_customer_input in2 = test_by_email("m2@example.com", "M2");
    hk_customer c2;
    assert_int_equal(upsert(e, &e->ctx, &in2, &r, &c2, &err), HK_OK);
    store_counts before = test_counts(e, &e->ctx);
    hk_group_ref bad[] = {{.id = g1.id}, {.key = "missing"}};
    assert_int_equal(hk_membership_add(&e->ctx, c2.id, bad, 2, e->arena, &c2, &err), HK_ENOTFOUND);
    assert_string_equal(err.fields[0].field, "customerGroupIdentifiers[1].customerGroupKey");
    store_counts after = test_counts(e, &e->ctx);
    assert_memory_equal(&before, &after, sizeof before);
    hk_group_ref both = {.id = g1.id, .key = "a"};
    assert_int_equal(hk_membership_add(&e->ctx, c2.id, &both, 1, e->arena, &c2, &err), HK_EINVAL);

    /* remove */
    hk_group_ref one = {.id = g1.id};
    assert_int_equal(hk_membership_remove(&e->ctx, c.id, &one, 1, e->arena, &c, &err), HK_OK);
    assert_int_equal(c.n_memberships, 1);
    assert_int_equal(hk_membership_remove(&e->ctx, c.id, &one, 1, e->arena, &c, &err),
                     HK_ENOTFOUND);
    assert_int_equal(test_counts(e, &e->ctx).events, 5);
    assert_int_equal(hk_group_delete(&e->ctx, g1.id, &err), HK_OK);
    /* A group by its externalId (as groups are created with one); two groups sharing one
     * make it ambiguous, naming none is refused, and nothing changes on a failure. */
    hk_customer_group g3, g4, g5;
    char cid[HK_ID_MAX]; /* c and c2 were cleared by the refused calls above */
    bool found;
    assert_int_equal(hk_customer_get(&e->ctx, HK_CUSTOMER_BY_EMAIL, "m2@example.com", e->arena, &c2,
                                     &found, &err),
                     HK_OK);
    assert_true(found);
    snprintf(cid, sizeof cid, "%s", c2.id);
    hk_group_input x3 = {.name = "X", .key = "x3", .color = "#111", .external_id = "ext-x"};
    hk_group_input d4 = {.name = "D", .key = "d4", .color = "#222", .external_id = "ext-dup"};
    hk_group_input d5 = {.name = "D", .key = "d5", .color = "#333", .external_id = "ext-dup"};
    assert_int_equal(hk_group_create(&e->ctx, &x3, e->arena, &g3, &err), HK_OK);
    assert_int_equal(hk_group_create(&e->ctx, &d4, e->arena, &g4, &err), HK_OK);
    assert_int_equal(hk_group_create(&e->ctx, &d5, e->arena, &g5, &err), HK_OK);
    hk_group_ref by_ext[] = {{.external_id = "ext-x"}};
    assert_int_equal(hk_membership_add(&e->ctx, cid, by_ext, 1, e->arena, &c2, &err), HK_OK);
    assert_int_equal(c2.n_memberships, 1);
    assert_string_equal(c2.memberships[0].group.key, "x3");
    hk_group_ref dup[] = {{.external_id = "ext-dup"}};
    assert_int_equal(hk_membership_add(&e->ctx, cid, dup, 1, e->arena, &c2, &err), HK_EINVAL);
    assert_string_equal(err.fields[0].field, "customerGroupIdentifiers[0].externalId");
    hk_group_ref none[] = {{.external_id = "no-such"}};
    assert_int_equal(hk_membership_add(&e->ctx, cid, none, 1, e->arena, &c2, &err), HK_ENOTFOUND);
    assert_string_equal(err.fields[0].field, "customerGroupIdentifiers[0].externalId");
    hk_group_ref two[] = {{.key = "a", .external_id = "ext-x"}};
    assert_int_equal(hk_membership_add(&e->ctx, cid, two, 1, e->arena, &c2, &err), HK_EINVAL);
    assert_int_equal(test_counts(e, &e->ctx).memberships, 2);
    hk_group_ref back[] = {{.external_id = "ext-x"}};
    assert_int_equal(hk_membership_remove(&e->ctx, cid, back, 1, e->arena, &c2, &err), HK_OK);
    assert_int_equal(c2.n_memberships, 0);
}

static json_t *stored_payloads(test_env *e, const char *ws);

/* The number of memberships of payload[which] ("customer" / "previousCustomer"). */
static size_t payload_memberships(json_t *payload, const char *which)
{
    return json_array_size(
        json_object_get(json_object_get(payload, which), "customerGroupMemberships"));
}

/* upsertCustomer's onCreate.customerGroupIdentifiers: joined in the creating
 * transaction, all or nothing, ignored when the customer exists. */
static void test_upsert_on_create_groups(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, true, NULL, &t); /* every customer event */
    hk_customer_group g1, g2, g3;
    hk_error err;
    hk_group_input a = {.name = "A", .key = "a", .color = "#aaa"};
    hk_group_input b = {.name = "B", .key = "b", .color = "#bbb"};
    hk_group_input gc = {.name = "C", .key = "c", .color = "#ccc"};
    assert_int_equal(hk_group_create(&e->ctx, &a, e->arena, &g1, &err), HK_OK);
    assert_int_equal(hk_group_create(&e->ctx, &b, e->arena, &g2, &err), HK_OK);
    assert_int_equal(hk_group_create(&e->ctx, &gc, e->arena, &g3, &err), HK_OK);
    hk_upsert_result r;
    hk_customer c;

    /* an unknown key (or id) fails the whole upsert: no customer, no
     * membership, no event */
    store_counts before = test_counts(e, &e->ctx);
    hk_group_ref bad[] = {{.key = "a"}, {.key = "missing"}};
    hk_upsert_customer_input in = test_by_email("g@example.com", "G");
    in.on_create.groups = bad;
    in.on_create.n_groups = 2;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_ENOTFOUND);
    assert_string_equal(err.code, "not_found");
    assert_int_equal(err.nfields, 1);
    assert_string_equal(err.fields[0].field,
                        "onCreate.customerGroupIdentifiers[1].customerGroupKey");
    assert_int_equal(err.fields[0].type, HK_FIELD_NOT_FOUND);
    hk_group_ref bad_id = {.id = "cg_01ARZ3NDEKTSV4RRFFQ69G5FAV"};
    in.on_create.groups = &bad_id;
    in.on_create.n_groups = 1;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_ENOTFOUND);
    assert_string_equal(err.fields[0].field,
                        "onCreate.customerGroupIdentifiers[0].customerGroupId");
    store_counts after = test_counts(e, &e->ctx);
    assert_memory_equal(&before, &after, sizeof before);
    bool found = true;
    assert_int_equal(
        hk_customer_get(&e->ctx, HK_CUSTOMER_BY_EMAIL, "g@example.com", e->arena, &c, &found, &err),
        HK_OK);
    assert_false(found);

    /* joining groups needs customerGroupMembership:create, as
     * addCustomerToCustomerGroups does; without groups customer:create is
     * enough */
    hk_group_ref refs[] = {{.id = g1.id}, {.key = "b"}, {.key = "b"}};
    in.on_create.groups = refs;
    in.on_create.n_groups = 3;
    hk_ctx create_only = e->ctx;
    create_only.permissions = HK_PERM_CUSTOMER_CREATE;
    assert_int_equal(upsert(e, &create_only, &in, &r, &c, &err), HK_EFORBIDDEN);
    assert_string_equal(err.code, "forbidden");
    assert_non_null(strstr(err.message, "customerGroupMembership:create"));
    after = test_counts(e, &e->ctx);
    assert_memory_equal(&before, &after, sizeof before);

    /* created with two groups (b named twice joins once) */
    hk_ctx creator = e->ctx;
    creator.permissions = HK_PERM_CUSTOMER_CREATE | HK_PERM_MEMBERSHIP_CREATE;
    assert_int_equal(upsert(e, &creator, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_CREATED);
    assert_int_equal(c.n_memberships, 2);
    assert_string_equal(c.memberships[0].group.key, "a");
    assert_string_equal(c.memberships[1].group.key, "b");
    assert_string_equal(c.memberships[0].customer_id, c.id);
    store_counts k = test_counts(e, &e->ctx);
    assert_int_equal(k.customers, 1);
    assert_int_equal(k.memberships, 2);
    assert_int_equal(k.events, 3); /* customer_created + 2 x memberships_changed */
    assert_int_equal(k.deliveries_pending, 3);

    /* customer_created carries the memberships; then one ADDED per group,
     * as addCustomerToCustomerGroups fires them */
    json_t *all = stored_payloads(e, e->ctx.workspace_id);
    assert_int_equal(json_array_size(all), 3);
    json_t *created = json_array_get(all, 0);
    assert_string_equal(json_string_value(json_object_get(created, "eventType")),
                        "customer.customer_created");
    assert_int_equal(payload_memberships(created, "customer"), 2);
    for (size_t i = 1; i <= 2; i++) {
        json_t *ch = json_array_get(all, i);
        assert_string_equal(json_string_value(json_object_get(ch, "eventType")),
                            "customer.customer_group_memberships_changed");
        assert_string_equal(json_string_value(json_object_get(ch, "changeType")), "ADDED");
        assert_int_equal(payload_memberships(ch, "previousCustomer"), i - 1);
        assert_int_equal(payload_memberships(ch, "customer"), i);
    }
    json_t *last = json_object_get(json_object_get(json_array_get(all, 2), "customer"),
                                   "customerGroupMemberships");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(last, 1), "customerGroup"), "key")),
                        "b");
    assert_true(json_equal(json_object_get(created, "customer"),
                           json_object_get(json_array_get(all, 2), "customer")));
    json_decref(all);

    /* the customer exists: onCreate's groups are ignored, even unknown ones
     * and without customerGroupMembership:create */
    hk_group_ref others[] = {{.id = g3.id}, {.key = "missing"}};
    in.on_create.groups = others;
    in.on_create.n_groups = 2;
    hk_ctx editor = e->ctx;
    editor.permissions = HK_PERM_CUSTOMER_CREATE | HK_PERM_CUSTOMER_EDIT;
    assert_int_equal(upsert(e, &editor, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_NOOP);
    in.on_update.full_name = (hk_opt_str){true, "G renamed"};
    assert_int_equal(upsert(e, &editor, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_UPDATED);
    assert_int_equal(c.n_memberships, 2);
    k = test_counts(e, &e->ctx);
    assert_int_equal(k.memberships, 2);
    assert_int_equal(k.events, 4); /* + customer_updated only */

    /* more than HK_MAX_LIST_ITEMS identifiers: refused before the store */
    hk_group_ref many[HK_MAX_LIST_ITEMS + 1];
    for (size_t i = 0; i < HK_MAX_LIST_ITEMS + 1; i++)
        many[i] = (hk_group_ref){.key = "a"};
    hk_upsert_customer_input in2 = test_by_email("h@example.com", "H");
    in2.on_create.groups = many;
    in2.on_create.n_groups = HK_MAX_LIST_ITEMS + 1;
    before = test_counts(e, &e->ctx);
    assert_int_equal(upsert(e, &e->ctx, &in2, &r, &c, &err), HK_EINVAL);
    assert_string_equal(err.code, "input_validation");
    assert_string_equal(err.fields[0].field, "onCreate.customerGroupIdentifiers");
    assert_non_null(strstr(err.message, "at most 100 items"));
    after = test_counts(e, &e->ctx);
    assert_memory_equal(&before, &after, sizeof before);
    in2.on_create.n_groups = HK_MAX_LIST_ITEMS; /* 100 of the same key: one membership */
    assert_int_equal(upsert(e, &e->ctx, &in2, &r, &c, &err), HK_OK);
    assert_int_equal(c.n_memberships, 1);

    /* a failure at any write of the creation leaves nothing: customer,
     * 2 memberships, then created + 2 ADDED events with one delivery each */
    hk_upsert_customer_input in3 = test_by_email("atomic@example.com", "Atomic");
    in3.on_create.groups = refs;
    in3.on_create.n_groups = 2;
    before = test_counts(e, &e->ctx);
    int failures = 0;
    for (int n = 1; n < 20; n++) {
        assert_int_equal(store_debug_fail_nth_write(e->store, n), HK_OK);
        hk_status st = upsert(e, &e->ctx, &in3, &r, &c, &err);
        if (st == HK_OK)
            break;
        failures++;
        assert_int_equal(st, HK_EIO);
        after = test_counts(e, &e->ctx);
        assert_memory_equal(&before, &after, sizeof before);
    }
    assert_int_equal(store_debug_fail_nth_write(e->store, 0), HK_OK);
    assert_int_equal(failures, 9);
    assert_int_equal(r, HK_UPSERT_CREATED);
    assert_int_equal(c.n_memberships, 2);
}

/* List inputs that reach the store hold at most HK_MAX_LIST_ITEMS items;
 * filtering customers by group needs customerGroupMembership:read. */
static void test_list_limits_and_membership_read(void **state)
{
    test_env *e = *state;
    hk_error err;
    hk_customer_group g;
    hk_group_input gi = {.name = "G", .key = "g", .color = "#123"};
    assert_int_equal(hk_group_create(&e->ctx, &gi, e->arena, &g, &err), HK_OK);
    hk_upsert_customer_input in = test_by_email("l@example.com", "L");
    hk_group_ref ref = {.key = "g"};
    in.on_create.groups = &ref;
    in.on_create.n_groups = 1;
    hk_upsert_result r;
    hk_customer c;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);

    const char *keys[HK_MAX_LIST_ITEMS + 1];
    for (size_t i = 0; i < HK_MAX_LIST_ITEMS + 1; i++)
        keys[i] = "g";
    hk_customer_filter f = {
        .marked_as_spam = -1, .n_group_keys = HK_MAX_LIST_ITEMS + 1, .group_keys = keys};
    hk_page_request page = {-1, -1, NULL, NULL};
    hk_customer *list;
    size_t n;
    hk_page_info info;
    assert_int_equal(hk_customer_list(&e->ctx, &f, &page, false, e->arena, &list, &n, &info, &err),
                     HK_EINVAL);
    assert_string_equal(err.fields[0].field, "filters.customerGroupKeys");
    assert_non_null(strstr(err.message, "at most 100 items (101 given)"));
    f.n_group_keys = HK_MAX_LIST_ITEMS;
    assert_int_equal(hk_customer_list(&e->ctx, &f, &page, false, e->arena, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    f.n_group_keys = 0;
    f.group_ids = keys;
    f.n_group_ids = HK_MAX_LIST_ITEMS + 1;
    assert_int_equal(hk_customer_list(&e->ctx, &f, &page, false, e->arena, &list, &n, &info, &err),
                     HK_EINVAL);
    assert_string_equal(err.fields[0].field, "filters.customerGroupIds");

    /* customer:read alone lists customers, but not who is in a group */
    hk_ctx reader = e->ctx;
    reader.permissions = HK_PERM_CUSTOMER_READ;
    f.n_group_ids = 1;
    assert_int_equal(hk_customer_list(&reader, &f, &page, false, e->arena, &list, &n, &info, &err),
                     HK_EFORBIDDEN);
    assert_non_null(strstr(err.message, "customerGroupMembership:read"));
    assert_int_equal(hk_membership_read_check(&reader, &err), HK_EFORBIDDEN);
    f.n_group_ids = 0;
    assert_int_equal(hk_customer_list(&reader, &f, &page, false, e->arena, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    reader.permissions |= HK_PERM_MEMBERSHIP_READ;
    assert_int_equal(hk_membership_read_check(&reader, &err), HK_OK);
    /* a membership's group (key, name) is a group read besides */
    assert_int_equal(hk_group_read_check(&reader, &err), HK_EFORBIDDEN);
    assert_non_null(strstr(err.message, "customerGroup:read"));
    reader.permissions |= HK_PERM_CUSTOMER_GROUP_READ;
    assert_int_equal(hk_group_read_check(&reader, &err), HK_OK);

    /* membership changes: the same limit, same message */
    hk_group_ref many[HK_MAX_LIST_ITEMS + 1];
    for (size_t i = 0; i < HK_MAX_LIST_ITEMS + 1; i++)
        many[i] = (hk_group_ref){.key = "g"};
    store_counts before = test_counts(e, &e->ctx);
    assert_int_equal(
        hk_membership_add(&e->ctx, c.id, many, HK_MAX_LIST_ITEMS + 1, e->arena, &c, &err),
        HK_EINVAL);
    assert_string_equal(err.fields[0].field, "customerGroupIdentifiers");
    assert_non_null(strstr(err.message, "at most 100 items"));
    assert_int_equal(
        hk_membership_remove(&e->ctx, c.id, many, HK_MAX_LIST_ITEMS + 1, e->arena, &c, &err),
        HK_EINVAL);
    store_counts after = test_counts(e, &e->ctx);
    assert_memory_equal(&before, &after, sizeof before);
}

/* ---- targets and the outbox ---- */

/* hookd serve --default-webhook-version: the version of targets created without one; the
 * latest stays the latest (webhookVersions). */
static void test_default_webhook_version(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    hk_error err;
    hk_target_input in = {.url = "https://example.com/h", .description = "d", .is_enabled = true};
    assert_false(hk_webhook_version_set_default("1999-01-01"));
    assert_string_equal(hk_webhook_version_default(), "2026-04-21");
    assert_true(hk_webhook_version_set_default("2026-02-27"));
    assert_int_equal(hk_target_create(&e->ctx, &in, e->arena, &t, &err), HK_OK);
    assert_string_equal(t.version, "2026-02-27");
    in.version = "2025-08-06"; /* one given wins */
    assert_int_equal(hk_target_create(&e->ctx, &in, e->arena, &t, &err), HK_OK);
    assert_string_equal(t.version, "2025-08-06");
    assert_string_equal(hk_webhook_version_latest(), "2026-04-21");
    assert_true(hk_webhook_version_set_default(hk_webhook_version_latest()));
}

static void test_targets(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    hk_error err;
    const char *types[] = {"customer.customer_created", "thread.thread_created",
                           "customer.customer_created"};
    hk_target_input in = {.url = "https://user:pass@example.com/h",
                          .description = "d",
                          .is_enabled = true,
                          .n_event_types = 3,
                          .event_types = types};
    assert_int_equal(hk_target_create(&e->ctx, &in, e->arena, &t, &err), HK_OK);
    assert_string_equal(t.version, "2026-04-21");
    assert_int_equal(t.n_event_types, 2); /* repeats dropped */
    hk_webhook_target got;
    bool found;
    assert_int_equal(hk_target_get(&e->ctx, t.id, e->arena, &got, &found, &err), HK_OK);
    assert_true(found);
    assert_int_equal(got.n_event_types, 2);
    assert_string_equal(got.event_types[1], "thread.thread_created");
    assert_int_equal(hk_target_get(&e->other, t.id, e->arena, &got, &found, &err), HK_OK);
    assert_false(found);

    const char *bad_type[] = {"customer.customer_exploded"};
    hk_target_input bad = in;
    bad.event_types = bad_type;
    bad.n_event_types = 1;
    expect_field_error(hk_target_create(&e->ctx, &bad, e->arena, &got, &err), &err,
                       "eventSubscriptions[0].eventType");
    bad = in;
    bad.version = "2023-01-01";
    expect_field_error(hk_target_create(&e->ctx, &bad, e->arena, &got, &err), &err, "version");
    const char *bad_urls[] = {"http://example.com/",
                              "ftp://example.com",
                              "https://",
                              "https://127.0.0.1/x",
                              "https://[::1]:8443/",
                              "https://10.1.2.3",
                              "https://169.254.169.254/latest",
                              "https://localhost/",
                              "https://exa mple.com",
                              "example.com"};
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        bad = in;
        bad.url = bad_urls[i];
        expect_field_error(hk_target_create(&e->ctx, &bad, e->arena, &got, &err), &err, "url");
    }
    hk_domain_set_allow_private_targets(true);
    bad = in;
    bad.url = "http://127.0.0.1:9999/hook";
    assert_int_equal(hk_target_create(&e->ctx, &bad, e->arena, &got, &err), HK_OK);
    hk_domain_set_allow_private_targets(false);
    assert_int_equal(test_counts(e, &e->ctx).targets, 2);

    /* update */
    hk_target_update_input u = {
        .webhook_target_id = t.id, .version = {true, "2024-09-18"}, .description = {true, ""}};
    assert_int_equal(hk_target_update(&e->ctx, &u, e->arena, &got, &err), HK_OK);
    assert_string_equal(got.version, "2024-09-18");
    assert_string_equal(got.description, "");
    u.version = (hk_opt_str){true, "1999-01-01"};
    expect_field_error(hk_target_update(&e->ctx, &u, e->arena, &got, &err), &err, "version");
    u = (hk_target_update_input){.webhook_target_id = "whTarget_01HD4400VTDJQ646V6RY37SR7K"};
    assert_int_equal(hk_target_update(&e->ctx, &u, e->arena, &got, &err), HK_ENOTFOUND);

    hk_webhook_target *list;
    size_t n;
    assert_int_equal(hk_target_list(&e->ctx, e->arena, &list, &n, &err), HK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(hk_target_list(&e->other, e->arena, &list, &n, &err), HK_OK);
    assert_int_equal(n, 0);
}

static void test_target_limit(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    hk_error err;
    for (int i = 0; i < HK_MAX_TARGETS_PER_WORKSPACE; i++)
        make_target(e, &e->ctx, true, NULL, &t);
    hk_target_input in = {.url = "https://example.com", .description = ""};
    assert_int_equal(hk_target_create(&e->ctx, &in, e->arena, &t, &err), HK_ELIMIT);
    assert_string_equal(err.code, "too_many_webhook_targets");
    assert_int_equal(test_counts(e, &e->ctx).targets, HK_MAX_TARGETS_PER_WORKSPACE);
    /* the limit is per workspace */
    assert_int_equal(hk_target_create(&e->other, &in, e->arena, &t, &err), HK_OK);
}

static void test_fanout_and_cancellation(void **state)
{
    test_env *e = *state;
    hk_webhook_target all, created_only, disabled, other_ws;
    make_target(e, &e->ctx, true, NULL, &all);
    make_target(e, &e->ctx, true, "customer.customer_created", &created_only);
    make_target(e, &e->ctx, false, NULL, &disabled);
    make_target(e, &e->other, true, NULL, &other_ws);

    hk_upsert_customer_input in = test_by_email("f@example.com", "F");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).deliveries_pending, 2);
    assert_int_equal(test_counts(e, &e->other).deliveries_pending, 0);
    assert_int_equal(hk_customer_mark_spam(&e->ctx, c.id, e->arena, &c, &err), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).deliveries_pending, 3);

    /* disabling cancels the target's pending deliveries */
    hk_target_update_input u = {.webhook_target_id = all.id, .is_enabled_set = true};
    hk_webhook_target got;
    assert_int_equal(hk_target_update(&e->ctx, &u, e->arena, &got, &err), HK_OK);
    store_counts k = test_counts(e, &e->ctx);
    assert_int_equal(k.deliveries_pending, 1);
    assert_int_equal(k.deliveries_cancelled, 2);
    /* deleting cancels too; the events stay */
    assert_int_equal(hk_target_delete(&e->ctx, created_only.id, &err), HK_OK);
    k = test_counts(e, &e->ctx);
    assert_int_equal(k.deliveries_pending, 0);
    assert_int_equal(k.deliveries_cancelled, 3);
    assert_int_equal(k.events, 2);
    assert_int_equal(k.targets, 2);
    assert_int_equal(hk_target_delete(&e->ctx, created_only.id, &err), HK_ENOTFOUND);

    /* enabling again: new events reach it, subscription changes apply */
    u.is_enabled = true;
    const char *del[] = {"customer.customer_deleted"};
    u.event_types_set = true;
    u.event_types = del;
    u.n_event_types = 1;
    assert_int_equal(hk_target_update(&e->ctx, &u, e->arena, &got, &err), HK_OK);
    assert_int_equal(hk_customer_unmark_spam(&e->ctx, c.id, e->arena, &c, &err), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).deliveries_pending, 0);
    assert_int_equal(hk_customer_delete(&e->ctx, c.id, &err), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).deliveries_pending, 1);
}

static void append_payload(void *ctx, int ncols, const char *const *values)
{
    json_t *p = json_loads(values[1], 0, NULL);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "eventType")), values[0]);
    json_array_append_new(ctx, p);
}

/* Reads every stored event payload of the workspace, oldest first. */
static json_t *stored_payloads(test_env *e, const char *ws)
{
    json_t *all = json_array();
    const char *args[] = {ws, NULL};
    assert_true(
        test_sql_rows(e, "SELECT type, payload FROM events WHERE workspace_id = ?1 ORDER BY id",
                      args, append_payload, all) >= 0);
    return all;
}

static void test_event_payloads_capture_states(void **state)
{
    test_env *e = *state;
    hk_upsert_customer_input in = test_by_email("p@example.com", "Before \"quoted\"");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    in.on_update.full_name = (hk_opt_str){true, "After \xf0\x9f\x98\x80"};
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    hk_customer_group g;
    hk_group_input gi = {.name = "G", .key = "g", .color = "#123456"};
    assert_int_equal(hk_group_create(&e->ctx, &gi, e->arena, &g, &err), HK_OK);
    hk_group_ref ref = {.key = "g"};
    assert_int_equal(hk_membership_add(&e->ctx, c.id, &ref, 1, e->arena, &c, &err), HK_OK);
    assert_int_equal(hk_customer_delete(&e->ctx, c.id, &err), HK_OK);

    json_t *all = stored_payloads(e, e->ctx.workspace_id);
    assert_int_equal(json_array_size(all), 4);
    json_t *created = json_array_get(all, 0), *updated = json_array_get(all, 1);
    json_t *changed = json_array_get(all, 2), *deleted = json_array_get(all, 3);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(created, "customer"), "fullName")),
        "Before \"quoted\"");
    assert_null(json_object_get(created, "previousCustomer"));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(updated, "previousCustomer"), "fullName")),
                        "Before \"quoted\"");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(updated, "customer"), "fullName")),
        "After \xf0\x9f\x98\x80");
    assert_string_equal(json_string_value(json_object_get(changed, "changeType")), "ADDED");
    json_t *mems =
        json_object_get(json_object_get(changed, "customer"), "customerGroupMemberships");
    assert_int_equal(json_array_size(mems), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(mems, 0), "customerGroup"), "key")),
                        "g");
    assert_int_equal(json_array_size(json_object_get(json_object_get(changed, "previousCustomer"),
                                                     "customerGroupMemberships")),
                     0);
    assert_null(json_object_get(deleted, "customer"));
    assert_int_equal(json_array_size(json_object_get(json_object_get(deleted, "previousCustomer"),
                                                     "customerGroupMemberships")),
                     1);
    json_decref(all);
}

/* A failure at any write of a mutation leaves no row, no event, no delivery. */
static void test_failure_at_every_write_leaves_nothing(void **state)
{
    test_env *e = *state;
    hk_webhook_target t1, t2;
    make_target(e, &e->ctx, true, NULL, &t1);
    make_target(e, &e->ctx, true, NULL, &t2);
    hk_customer_group g;
    hk_error err;
    hk_group_input gi = {.name = "G", .key = "g", .color = "#123"};
    assert_int_equal(hk_group_create(&e->ctx, &gi, e->arena, &g, &err), HK_OK);

    hk_upsert_customer_input in = test_by_email("atomic@example.com", "Atomic");
    hk_upsert_result r;
    hk_customer c;
    store_counts before = test_counts(e, &e->ctx);
    int failures = 0;
    for (int n = 1; n < 10; n++) {
        assert_int_equal(store_debug_fail_nth_write(e->store, n), HK_OK);
        hk_status st = upsert(e, &e->ctx, &in, &r, &c, &err);
        if (st == HK_OK) {
            assert_int_equal(r, HK_UPSERT_CREATED);
            break;
        }
        failures++;
        assert_int_equal(st, HK_EIO);
        assert_int_equal(err.type, HK_ERROR_INTERNAL);
        store_counts after = test_counts(e, &e->ctx);
        assert_memory_equal(&before, &after, sizeof before);
    }
    assert_int_equal(failures, 3); /* customer row, event row, delivery rows */
    assert_int_equal(store_debug_fail_nth_write(e->store, 0), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).deliveries_pending, 2);

    /* memberships with two groups: a failure at any point adds none */
    hk_customer_group g2;
    hk_group_input gi2 = {.name = "G2", .key = "g2", .color = "#456"};
    assert_int_equal(hk_group_create(&e->ctx, &gi2, e->arena, &g2, &err), HK_OK);
    hk_group_ref refs[] = {{.id = g.id}, {.id = g2.id}};
    char customer_id[HK_ID_MAX];
    snprintf(customer_id, sizeof customer_id, "%s", c.id);
    before = test_counts(e, &e->ctx);
    failures = 0;
    for (int n = 1; n < 20; n++) {
        assert_int_equal(store_debug_fail_nth_write(e->store, n), HK_OK);
        hk_status st = hk_membership_add(&e->ctx, customer_id, refs, 2, e->arena, &c, &err);
        if (st == HK_OK)
            break;
        failures++;
        store_counts after = test_counts(e, &e->ctx);
        assert_memory_equal(&before, &after, sizeof before);
    }
    assert_int_equal(failures, 6);
    assert_int_equal(store_debug_fail_nth_write(e->store, 0), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).memberships, 2);
}

/* ---- deliveries ---- */

static size_t hook_calls, hook_deliveries, hook_any;
static char hook_target[HK_ID_MAX];

static void count_hook(void *arg, const hk_due_target *due, size_t n, bool any)
{
    (void)arg;
    hook_calls++;
    hook_deliveries += n;
    if (n > 0)
        snprintf(hook_target, sizeof hook_target, "%s", due[n - 1].target_id);
    hook_any += any;
}

static hk_delivery_result attempt_result(const hk_delivery *d, bool ok, int code, int64_t retry)
{
    hk_delivery_result r = {.delivery = d, .succeeded = ok, .retry_at = retry};
    r.attempt.number = d->attempts + 1;
    r.attempt.started_at = hk_now_ms();
    r.attempt.duration_ms = 3;
    r.attempt.status_code = code;
    r.attempt.error = ok ? NULL : "HTTP 500";
    r.attempt.response_excerpt = "body";
    if (hk_id_new(HK_ID_ATTEMPT, r.attempt.attempt_id))
        fail();
    return r;
}

static void test_delivery_lifecycle(void **state)
{
    test_env *e = *state;
    hook_calls = hook_deliveries = 0;
    hk_store_set_commit_hook(e->store, count_hook, NULL);
    hk_webhook_target t;
    make_target(e, &e->ctx, true, NULL, &t);
    hk_customer_group g;
    hk_upsert_customer_input in = test_by_email("d@example.com", "D");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_deliveries, 1);
    assert_string_equal(hook_target, t.id); /* the hook names the target */
    assert_int_equal(hook_any, 0);
    (void)g;

    /* claim leases it: a second claim gets nothing */
    int64_t now = hk_now_ms();
    hk_delivery *ds;
    size_t n;
    int64_t next_due;
    assert_int_equal(
        hk_delivery_claim(e->store, now, 60000, 10, e->arena, &ds, &n, &next_due, &err), HK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ds[0].target_id, t.id);
    assert_int_equal(ds[0].attempts, 0);
    assert_true(next_due == now + 60000); /* when the lease runs out, it is due again */
    hk_delivery *again;
    size_t n2;
    assert_int_equal(
        hk_delivery_claim(e->store, now, 60000, 10, e->arena, &again, &n2, &next_due, &err), HK_OK);
    assert_int_equal(n2, 0);

    /* what a dispatcher loads */
    hk_delivery_job job;
    bool found;
    assert_int_equal(hk_delivery_load(e->store, &ds[0], e->arena, &job, &found, &err), HK_OK);
    assert_true(found);
    assert_string_equal(job.event.id, ds[0].event_id);
    assert_int_equal(job.event.type, HK_EVENT_CUSTOMER_CREATED);
    assert_non_null(strstr(job.event.payload_json, "d@example.com"));
    assert_string_equal(job.target.url, "https://example.com/hook");
    assert_null(job.secret.secret);

    /* the events of a claim, in one read: one found, one gone */
    hk_delivery two[2] = {ds[0], ds[0]};
    snprintf(two[1].event_id, sizeof two[1].event_id, "pEv_01M8E9W3R0XFNF1HYTTXMJ99BG");
    hk_event evs[2];
    bool evs_found[2];
    assert_int_equal(hk_delivery_load_events(e->store, two, 2, e->arena, evs, evs_found, &err),
                     HK_OK);
    assert_true(evs_found[0]);
    assert_false(evs_found[1]);
    assert_string_equal(evs[0].id, ds[0].event_id);
    assert_int_equal(evs[0].type, HK_EVENT_CUSTOMER_CREATED);
    assert_int_equal(evs[0].timestamp, job.event.timestamp);
    assert_int_equal(evs[0].payload_len, job.event.payload_len);
    assert_memory_equal(evs[0].payload_json, job.event.payload_json, job.event.payload_len);
    assert_null(evs[1].payload_json);

    /* the target part alone, for a caller that has the event */
    hk_webhook_target tg;
    hk_hmac_secret sec;
    assert_int_equal(
        hk_delivery_load_parts(e->store, &ds[0], e->arena, NULL, e->arena, &tg, &sec, &found, &err),
        HK_OK);
    assert_true(found);
    assert_string_equal(tg.url, "https://example.com/hook");

    /* a failure with a retry: pending again, due later, attempt recorded */
    int64_t retry = now + 5000;
    hk_delivery_result res = attempt_result(&ds[0], false, 500, retry);
    assert_int_equal(hk_delivery_record(e->store, &res, 1, NULL, NULL, &err), HK_OK);
    assert_int_equal(
        hk_delivery_claim(e->store, now, 60000, 10, e->arena, &again, &n2, &next_due, &err), HK_OK);
    assert_int_equal(n2, 0);
    assert_true(next_due == retry);
    assert_int_equal(
        hk_delivery_claim(e->store, retry, 60000, 10, e->arena, &again, &n2, &next_due, &err),
        HK_OK);
    assert_int_equal(n2, 1);
    assert_int_equal(again[0].attempts, 1);

    /* the last failure: failed for good */
    res = attempt_result(&again[0], false, 500, HK_TIME_NONE);
    assert_int_equal(hk_delivery_record(e->store, &res, 1, NULL, NULL, &err), HK_OK);
    hk_attempt *atts;
    assert_int_equal(hk_attempt_list(&e->ctx, t.id, ds[0].event_id, e->arena, &atts, &n, &err),
                     HK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(atts[0].number, 1);
    assert_int_equal(atts[1].number, 2);
    assert_int_equal(atts[1].status_code, 500);
    assert_string_equal(atts[1].error, "HTTP 500");
    assert_string_equal(atts[1].response_excerpt, "body");

    hk_delivery_filter failed = {HK_DELIVERY_FAILED};
    hk_page_request pg = {.first = -1, .last = -1};
    hk_page_info info;
    hk_delivery *list;
    assert_int_equal(
        hk_delivery_list(&e->ctx, t.id, &failed, &pg, e->arena, &list, &n, &info, &err), HK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].status, HK_DELIVERY_FAILED);
    assert_int_equal(
        hk_delivery_list(&e->other, t.id, &failed, &pg, e->arena, &list, &n, &info, &err),
        HK_ENOTFOUND);

    /* re-send everything failed since before the event: pending, due now, numbering goes on */
    size_t count;
    hook_calls = 0;
    assert_int_equal(hk_delivery_resend_failed(&e->ctx, t.id, now - 60000, &count, &err), HK_OK);
    assert_int_equal(count, 1);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(
        hk_delivery_claim(e->store, hk_now_ms(), 60000, 10, e->arena, &again, &n2, &next_due, &err),
        HK_OK);
    assert_int_equal(n2, 1);
    assert_int_equal(again[0].attempts, 2);
    res = attempt_result(&again[0], true, 200, HK_TIME_NONE);
    assert_int_equal(hk_delivery_record(e->store, &res, 1, NULL, NULL, &err), HK_OK);
    hk_delivery_filter ok = {HK_DELIVERY_SUCCEEDED};
    assert_int_equal(hk_delivery_list(&e->ctx, t.id, &ok, &pg, e->arena, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].attempts, 3);

    /* re-send one event; and a lease left by a crash is released */
    assert_int_equal(hk_delivery_resend(&e->ctx, t.id, ds[0].event_id, &err), HK_OK);
    assert_int_equal(hk_delivery_resend(&e->ctx, t.id, "pEv_01HD450JT0RPBT7RRKS1ZQJYBA", &err),
                     HK_ENOTFOUND);
    assert_int_equal(
        hk_delivery_claim(e->store, hk_now_ms(), 60000, 10, e->arena, &again, &n2, &next_due, &err),
        HK_OK);
    assert_int_equal(n2, 1);
    size_t released;
    assert_int_equal(hk_delivery_release_leases(e->store, hk_now_ms(), &released, &err), HK_OK);
    assert_int_equal(released, 1);
    assert_int_equal(
        hk_delivery_claim(e->store, hk_now_ms(), 60000, 10, e->arena, &again, &n2, &next_due, &err),
        HK_OK);
    assert_int_equal(n2, 1);

    /* a dropped delivery (target gone) becomes cancelled */
    res = (hk_delivery_result){.delivery = &again[0], .drop = true};
    assert_int_equal(hk_delivery_record(e->store, &res, 1, NULL, NULL, &err), HK_OK);
    assert_int_equal(test_counts(e, &e->ctx).deliveries_cancelled, 1);
    hk_store_set_commit_hook(e->store, NULL, NULL);
}

/* ---- lists ---- */

static void test_customer_pagination_and_filters(void **state)
{
    test_env *e = *state;
    char ids[7][HK_ID_MAX];
    for (int i = 0; i < 7; i++) {
        char email[32];
        snprintf(email, sizeof email, "p%d@example.com", i);
        hk_upsert_customer_input in = test_by_email(email, "P");
        hk_upsert_result r;
        hk_customer c;
        hk_error err;
        assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
        snprintf(ids[i], sizeof ids[i], "%s", c.id);
    }
    hk_customer_filter any = {.marked_as_spam = -1};
    hk_customer *list;
    size_t n;
    hk_page_info info;
    hk_error err;
    /* forward: 3, 3, 1 */
    hk_page_request pg = {.first = 3, .last = -1};
    const char *expect_first[] = {ids[0], ids[3], ids[6]};
    size_t expect_n[] = {3, 3, 1};
    for (int page = 0; page < 3; page++) {
        assert_int_equal(
            hk_customer_list(&e->ctx, &any, &pg, true, e->arena, &list, &n, &info, &err), HK_OK);
        assert_int_equal(n, expect_n[page]);
        assert_string_equal(list[0].id, expect_first[page]);
        assert_int_equal(info.total_count, 7);
        assert_int_equal(info.has_next_page, page < 2);
        assert_int_equal(info.has_previous_page, page > 0);
        assert_string_equal(info.start_cursor, list[0].id);
        pg.after = info.end_cursor;
    }
    /* backward from the end: 5..6, then 2..4 */
    pg = (hk_page_request){.first = -1, .last = 2};
    assert_int_equal(hk_customer_list(&e->ctx, &any, &pg, false, e->arena, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, ids[5]);
    assert_string_equal(list[1].id, ids[6]);
    assert_true(info.has_previous_page);
    assert_false(info.has_next_page);
    assert_int_equal(info.total_count, -1);
    pg.before = info.start_cursor;
    pg.last = 3;
    assert_int_equal(hk_customer_list(&e->ctx, &any, &pg, false, e->arena, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].id, ids[2]);
    assert_true(info.has_next_page);
    assert_true(info.has_previous_page);
    /* mixing directions, too large pages */
    pg = (hk_page_request){.first = 2, .last = 2};
    assert_int_equal(hk_customer_list(&e->ctx, &any, &pg, false, e->arena, &list, &n, &info, &err),
                     HK_EINVAL);
    pg = (hk_page_request){.first = 101, .last = -1};
    assert_int_equal(hk_customer_list(&e->ctx, &any, &pg, false, e->arena, &list, &n, &info, &err),
                     HK_EINVAL);
    /* default page size 25; the other workspace sees none */
    pg = (hk_page_request){.first = -1, .last = -1};
    assert_int_equal(hk_customer_list(&e->other, &any, &pg, true, e->arena, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(info.total_count, 0);
    assert_null(info.start_cursor);

    /* filters: spam, group ids and keys */
    hk_customer m;
    assert_int_equal(hk_customer_mark_spam(&e->ctx, ids[1], e->arena, &m, &err), HK_OK);
    hk_customer_filter spam = {.marked_as_spam = 1};
    assert_int_equal(hk_customer_list(&e->ctx, &spam, &pg, true, e->arena, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, ids[1]);
    hk_customer_filter not_spam = {.marked_as_spam = 0};
    assert_int_equal(
        hk_customer_list(&e->ctx, &not_spam, &pg, true, e->arena, &list, &n, &info, &err), HK_OK);
    assert_int_equal(info.total_count, 6);
    hk_customer_group g1, g2;
    hk_group_input a = {.name = "A", .key = "a", .color = "#aaa"};
    hk_group_input b = {.name = "B", .key = "b", .color = "#bbb"};
    assert_int_equal(hk_group_create(&e->ctx, &a, e->arena, &g1, &err), HK_OK);
    assert_int_equal(hk_group_create(&e->ctx, &b, e->arena, &g2, &err), HK_OK);
    hk_group_ref ra = {.key = "a"}, rb = {.key = "b"};
    assert_int_equal(hk_membership_add(&e->ctx, ids[2], &ra, 1, e->arena, &m, &err), HK_OK);
    assert_int_equal(hk_membership_add(&e->ctx, ids[4], &rb, 1, e->arena, &m, &err), HK_OK);
    const char *gids[] = {g1.id};
    const char *keys[] = {"b"};
    hk_customer_filter by_group = {.marked_as_spam = -1,
                                   .n_group_ids = 1,
                                   .group_ids = gids,
                                   .n_group_keys = 1,
                                   .group_keys = keys};
    assert_int_equal(
        hk_customer_list(&e->ctx, &by_group, &pg, true, e->arena, &list, &n, &info, &err), HK_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, ids[2]);
    assert_string_equal(list[1].id, ids[4]);
    assert_int_equal(list[1].n_memberships, 1);

    hk_customer_group *groups;
    assert_int_equal(hk_group_list(&e->ctx, &pg, true, e->arena, &groups, &n, &info, &err), HK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(info.total_count, 2);
}

/* ---- customers sorted by full name ---- */

/* A page of customers must be exactly ids[want[0..k)]. */
static void expect_customers(const hk_customer *list, size_t n, char ids[][HK_ID_MAX],
                             const int *want, size_t k)
{
    if (n != k)
        fail_msg("%zu customers, want %zu", n, k);
    for (size_t i = 0; i < k; i++)
        if (strcmp(list[i].id, ids[want[i]]) != 0)
            fail_msg("row %zu is %s (%s), want #%d %s", i, list[i].id, list[i].full_name, want[i],
                     ids[want[i]]);
}

static void rename_customer(test_env *e, const char *id, const char *name)
{
    hk_upsert_customer_input in = {
        .identifier_kind = HK_CUSTOMER_BY_ID,
        .identifier = id,
        .on_create = {.full_name = "x", .email = "unused@example.com"},
        .on_update = {.full_name = {true, name}},
    };
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    assert_int_equal(r, HK_UPSERT_UPDATED);
}

/* Each page of a sorted list: its rows, its flags, its cursors. */
static void sorted_page(test_env *e, const hk_customer_filter *f, hk_customer_sort sort,
                        const hk_page_request *pg, char ids[][HK_ID_MAX], const int *want, size_t k,
                        bool has_prev, bool has_next, hk_page_info *info)
{
    hk_customer *list;
    size_t n;
    hk_error err;
    hk_status st =
        hk_customer_list_sorted(&e->ctx, f, sort, pg, true, e->arena, &list, &n, info, &err);
    if (st)
        fail_msg("list: %s", err.message);
    expect_customers(list, n, ids, want, k);
    assert_int_equal(info->has_previous_page, has_prev);
    assert_int_equal(info->has_next_page, has_next);
    if (k == 0) {
        assert_null(info->start_cursor);
        return;
    }
    /* the cursors are positions (name and id), not ids */
    assert_non_null(info->cursors);
    for (size_t i = 0; i < k; i++)
        assert_string_not_equal(info->cursors[i], list[i].id);
    assert_string_equal(info->start_cursor, info->cursors[0]);
    assert_string_equal(info->end_cursor, info->cursors[k - 1]);
}

static void test_customers_sorted_by_name(void **state)
{
    test_env *e = *state;
    /* byte-wise: upper case before lower case, "É" (0xC3 0x89) after "z";
     * three "bob"s, ordered by id among themselves */
    static const char *const names[] = {"bob",   "Alice",        "bob", "Zoe",
                                        "alice", "\xc3\x89mile", "bob", "Carl"};
    enum { N = sizeof names / sizeof names[0] };
    char ids[N][HK_ID_MAX];
    for (int i = 0; i < N; i++) {
        char email[32];
        snprintf(email, sizeof email, "s%d@example.com", i);
        hk_upsert_customer_input in = test_by_email(email, names[i]);
        hk_upsert_result r;
        hk_customer c;
        hk_error err;
        assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
        snprintf(ids[i], sizeof ids[i], "%s", c.id);
    }
    static const int asc[N] = {1, 7, 3, 4, 0, 2, 6, 5};
    static const int desc[N] = {5, 6, 2, 0, 4, 3, 7, 1};
    const hk_customer_sort ASC = HK_CUSTOMER_SORT_FULL_NAME_ASC;
    const hk_customer_sort DESC = HK_CUSTOMER_SORT_FULL_NAME_DESC;
    hk_customer_filter any = {.marked_as_spam = -1};
    hk_page_info info;

    /* the whole list, both directions, with the total */
    hk_page_request pg = {.first = -1, .last = -1};
    sorted_page(e, &any, ASC, &pg, ids, asc, N, false, false, &info);
    assert_int_equal(info.total_count, N);
    sorted_page(e, &any, DESC, &pg, ids, desc, N, false, false, &info);

    /* forward by 3 (a page boundary between two "bob"s), then backward by 3 */
    pg = (hk_page_request){.first = 3, .last = -1};
    sorted_page(e, &any, ASC, &pg, ids, asc, 3, false, true, &info);
    pg.after = info.end_cursor;
    sorted_page(e, &any, ASC, &pg, ids, asc + 3, 3, true, true, &info);
    pg.after = info.end_cursor;
    sorted_page(e, &any, ASC, &pg, ids, asc + 6, 2, true, false, &info);
    pg.after = info.end_cursor;
    sorted_page(e, &any, ASC, &pg, ids, NULL, 0, true, false, &info);
    pg = (hk_page_request){.first = -1, .last = 3};
    sorted_page(e, &any, ASC, &pg, ids, asc + 5, 3, true, false, &info);
    pg.before = info.start_cursor;
    sorted_page(e, &any, ASC, &pg, ids, asc + 2, 3, true, true, &info);
    pg.before = info.start_cursor;
    sorted_page(e, &any, ASC, &pg, ids, asc, 2, false, true, &info);
    /* descending, both ways */
    pg = (hk_page_request){.first = 3, .last = -1};
    sorted_page(e, &any, DESC, &pg, ids, desc, 3, false, true, &info);
    pg.after = info.end_cursor;
    sorted_page(e, &any, DESC, &pg, ids, desc + 3, 3, true, true, &info);
    const char *desc_mid = info.start_cursor;
    pg = (hk_page_request){.first = -1, .last = 2, .before = desc_mid};
    sorted_page(e, &any, DESC, &pg, ids, desc + 1, 2, true, true, &info);
    /* an ascending cursor is a position in the descending list too */
    pg = (hk_page_request){.first = 2, .last = -1, .after = desc_mid};
    sorted_page(e, &any, DESC, &pg, ids, desc + 4, 2, true, true, &info);

    /* filters combined: not spam, in group g (#2, #5, #6; #0 is spam) */
    hk_customer m;
    hk_error err;
    assert_int_equal(hk_customer_mark_spam(&e->ctx, ids[0], e->arena, &m, &err), HK_OK);
    hk_customer_group g;
    hk_group_input gi = {.name = "G", .key = "g", .color = "#123"};
    assert_int_equal(hk_group_create(&e->ctx, &gi, e->arena, &g, &err), HK_OK);
    hk_group_ref ref = {.key = "g"};
    for (int i = 0; i < N; i++)
        if (i == 0 || i == 2 || i == 5 || i == 6)
            assert_int_equal(hk_membership_add(&e->ctx, ids[i], &ref, 1, e->arena, &m, &err),
                             HK_OK);
    const char *keys[] = {"g"};
    hk_customer_filter grouped = {.marked_as_spam = 0, .n_group_keys = 1, .group_keys = keys};
    static const int in_g_asc[] = {2, 6, 5}, in_g_desc[] = {5, 6, 2};
    pg = (hk_page_request){.first = 2, .last = -1};
    sorted_page(e, &grouped, ASC, &pg, ids, in_g_asc, 2, false, true, &info);
    assert_int_equal(info.total_count, 3);
    pg.after = info.end_cursor;
    sorted_page(e, &grouped, ASC, &pg, ids, in_g_asc + 2, 1, true, false, &info);
    assert_int_equal(info.total_count, 3);
    pg = (hk_page_request){.first = -1, .last = 2};
    sorted_page(e, &grouped, DESC, &pg, ids, in_g_desc + 1, 2, true, false, &info);
    pg.before = info.start_cursor;
    sorted_page(e, &grouped, DESC, &pg, ids, in_g_desc, 1, false, true, &info);

    /* the customer at the cursor renamed, then deleted: paging goes on from
     * where the cursor was, not from where the customer went */
    pg = (hk_page_request){.first = 3, .last = -1};
    sorted_page(e, &any, ASC, &pg, ids, asc, 3, false, true, &info); /* Alice Carl Zoe */
    const char *after_zoe = info.end_cursor;
    rename_customer(e, ids[3], "Aaron"); /* now first */
    pg.after = after_zoe;
    sorted_page(e, &any, ASC, &pg, ids, asc + 3, 3, true, true, &info); /* alice bob bob */
    const char *after_bob = info.end_cursor;
    assert_int_equal(hk_customer_delete(&e->ctx, ids[2], &err), HK_OK);
    pg.after = after_bob;
    sorted_page(e, &any, ASC, &pg, ids, asc + 6, 2, true, false, &info); /* bob Émile */
    pg = (hk_page_request){.first = -1, .last = 2, .before = after_bob};
    static const int before_bob[] = {4, 0};
    sorted_page(e, &any, ASC, &pg, ids, before_bob, 2, true, true, &info);

    /* bad cursors: refused naming the argument, before the store */
    hk_customer *list;
    size_t n;
    char long_cursor[4000];
    memset(long_cursor, 'A', sizeof long_cursor - 1);
    long_cursor[sizeof long_cursor - 1] = '\0';
    memcpy(long_cursor, "fn1.", 4);
    char foreign[HK_ID_MAX + 16];
    snprintf(foreign, sizeof foreign, "fn1.%s.Ym9i", g.id);
    char wrong_b64[HK_ID_MAX + 16], nul_name[HK_ID_MAX + 16], no_name[HK_ID_MAX + 16];
    snprintf(wrong_b64, sizeof wrong_b64, "fn1.%s.Ym9i=", ids[1]);
    snprintf(nul_name, sizeof nul_name, "fn1.%s.AA", ids[1]);
    snprintf(no_name, sizeof no_name, "fn1.%s.", ids[1]);
    const char *bad[] = {ids[1],    "",       "fn1.",  "fn2.x.Ym9i", foreign,
                         wrong_b64, nul_name, no_name, long_cursor};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int before = 0; before < 2; before++) {
            pg = (hk_page_request){.first = before ? -1 : 2, .last = before ? 2 : -1};
            if (before)
                pg.before = bad[i];
            else
                pg.after = bad[i];
            if (hk_customer_list_sorted(&e->ctx, &any, ASC, &pg, true, e->arena, &list, &n, &info,
                                        &err) != HK_EINVAL)
                fail_msg("cursor \"%.40s\" accepted", bad[i]);
            assert_int_equal(err.type, HK_ERROR_VALIDATION);
            assert_string_equal(err.fields[0].field, before ? "before" : "after");
            assert_non_null(strstr(err.message, "FULL_NAME"));
            assert_int_equal(n, 0);
        }
    }
    /* the page rules stay: sizes, directions */
    pg = (hk_page_request){.first = 101, .last = -1};
    assert_int_equal(
        hk_customer_list_sorted(&e->ctx, &any, DESC, &pg, false, e->arena, &list, &n, &info, &err),
        HK_EINVAL);
    pg = (hk_page_request){.first = 1, .last = -1, .before = after_bob};
    assert_int_equal(
        hk_customer_list_sorted(&e->ctx, &any, DESC, &pg, false, e->arena, &list, &n, &info, &err),
        HK_EINVAL);
    /* and the permissions */
    hk_ctx nobody = e->ctx;
    nobody.permissions = HK_PERM_CUSTOMER_GROUP_READ;
    pg = (hk_page_request){.first = -1, .last = -1};
    assert_int_equal(
        hk_customer_list_sorted(&nobody, &any, ASC, &pg, false, e->arena, &list, &n, &info, &err),
        HK_EFORBIDDEN);

    /* unsorted (HK_CUSTOMER_SORT_CREATED): the creation order, cursors are ids */
    assert_int_equal(hk_customer_list_sorted(&e->ctx, &any, HK_CUSTOMER_SORT_CREATED, &pg, false,
                                             e->arena, &list, &n, &info, &err),
                     HK_OK);
    assert_int_equal(n, N - 1);
    assert_string_equal(list[0].id, ids[0]);
    assert_null(info.cursors);
    assert_string_equal(info.start_cursor, ids[0]);

    /* a 500-character name makes a cursor far longer than an id */
    char name[HK_NAME_MAX_CHARS * 2 + 1];
    for (int i = 0; i < HK_NAME_MAX_CHARS; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    name[sizeof name - 1] = '\0';
    hk_upsert_customer_input in = test_by_email("long@example.com", name);
    hk_upsert_result r;
    hk_customer c;
    assert_int_equal(upsert(e, &e->other, &in, &r, &c, &err), HK_OK);
    in = test_by_email("longer@example.com", "\xf4\x8f\xbf\xbf");
    assert_int_equal(upsert(e, &e->other, &in, &r, &c, &err), HK_OK);
    pg = (hk_page_request){.first = 1, .last = -1};
    assert_int_equal(
        hk_customer_list_sorted(&e->other, &any, ASC, &pg, false, e->arena, &list, &n, &info, &err),
        HK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].full_name, name);
    assert_true(strlen(info.end_cursor) > 1300);
    pg.after = info.end_cursor;
    assert_int_equal(
        hk_customer_list_sorted(&e->other, &any, ASC, &pg, false, e->arena, &list, &n, &info, &err),
        HK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, c.id);
    assert_false(info.has_next_page);
    assert_true(info.has_previous_page);
}

static void test_page_slice(void **state)
{
    const char *ids[] = {"a", "b", "c", "d", "e"};
    size_t from, count;
    hk_page_info info;
    hk_error err;
    hk_page_request pg = {.first = 2, .last = -1};
    assert_int_equal(hk_page_slice(&pg, ids, 5, &from, &count, &info, &err), HK_OK);
    assert_int_equal(from, 0);
    assert_int_equal(count, 2);
    assert_true(info.has_next_page);
    assert_false(info.has_previous_page);
    pg.after = "b";
    assert_int_equal(hk_page_slice(&pg, ids, 5, &from, &count, &info, &err), HK_OK);
    assert_int_equal(from, 2);
    assert_true(info.has_previous_page);
    pg = (hk_page_request){.first = -1, .last = 2, .before = "e"};
    assert_int_equal(hk_page_slice(&pg, ids, 5, &from, &count, &info, &err), HK_OK);
    assert_int_equal(from, 2);
    assert_int_equal(count, 2);
    assert_true(info.has_next_page);
    assert_true(info.has_previous_page);
    assert_string_equal(info.end_cursor, "d");
}

/* ---- concurrency, group commit, durability ---- */

typedef struct worker {
    test_env *e;
    int index;
    int ok;
} worker;

static void *upsert_worker(void *arg)
{
    worker *w = arg;
    hk_arena *a = hk_arena_new(0);
    for (int i = 0; i < 300; i++) {
        char email[64];
        snprintf(email, sizeof email, "w%d-%d@example.com", w->index, i);
        hk_upsert_customer_input in = test_by_email(email, "Worker");
        hk_upsert_result r;
        hk_customer c;
        hk_error err;
        if (hk_customer_upsert(&w->e->ctx, &in, a, &r, &c, &err) == HK_OK && r == HK_UPSERT_CREATED)
            w->ok++;
        hk_arena_reset(a);
    }
    hk_arena_free(a);
    return NULL;
}

static void test_concurrent_writers_group_commit(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, true, NULL, &t);
    enum { N = 8 };
    pthread_t th[N];
    worker w[N];
    hk_store_stats s0, s1;
    hk_store_get_stats(e->store, &s0);
    for (int i = 0; i < N; i++) {
        w[i] = (worker){e, i, 0};
        pthread_create(&th[i], NULL, upsert_worker, &w[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    hk_store_get_stats(e->store, &s1);
    for (int i = 0; i < N; i++)
        assert_int_equal(w[i].ok, 300);
    store_counts k = test_counts(e, &e->ctx);
    assert_int_equal(k.customers, N * 300);
    assert_int_equal(k.events, N * 300);
    assert_int_equal(k.deliveries_pending, N * 300);
    assert_int_equal(s1.mutations - s0.mutations, N * 300);
    assert_true(s1.commits - s0.commits < s1.mutations - s0.mutations); /* batches formed */
}

/* A mutation failing half-way inside a busy batch loses only itself: the
 * others of its batch commit, and no row of the failed one survives. */
static void test_failure_inside_a_batch_spares_the_others(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, true, NULL, &t);
    enum { N = 8 };
    pthread_t th[N];
    worker w[N];
    for (int i = 0; i < N; i++)
        w[i] = (worker){e, i, 0};
    for (int i = 0; i < N; i++)
        pthread_create(&th[i], NULL, upsert_worker, &w[i]);
    /* the 1000th write from now: the event or delivery row of some upsert */
    usleep(20 * 1000);
    assert_int_equal(store_debug_fail_nth_write(e->store, 1000), HK_OK);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    int ok = 0;
    for (int i = 0; i < N; i++)
        ok += w[i].ok;
    store_counts k = test_counts(e, &e->ctx);
    assert_int_equal(ok, N * 300 - 1);
    assert_int_equal(k.customers, ok);
    assert_int_equal(k.events, ok);
    assert_int_equal(k.deliveries_pending, ok);
}

/* The checkpointer must copy the WAL into the database while writes go on:
 * without it the WAL grows without bound and the database file stays empty. */
static void test_checkpoints_run_during_writes(void **state)
{
    test_env *e = *state;
    if (test_env_is_pg(e))
        skip(); /* SQLite's WAL */
    enum { N = 4 };
    pthread_t th[N];
    worker w[N];
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            w[i] = (worker){e, round * N + i, 0};
            pthread_create(&th[i], NULL, upsert_worker, &w[i]);
        }
        for (int i = 0; i < N; i++)
            pthread_join(th[i], NULL);
    }
    char path[300];
    snprintf(path, sizeof path, "%s/hookd.db", e->dir);
    struct stat sb;
    long long size = 0;
    for (int tries = 0; tries < 50 && size < (1 << 20); tries++) {
        if (stat(path, &sb) == 0)
            size = (long long)sb.st_size;
        usleep(100 * 1000);
    }
    assert_true(size >= (1 << 20));
}

/* A database made by an older hookd (schema 1) is migrated at open. */
static void test_migrates_an_old_database(void **state)
{
    if (test_database_url())
        skip(); /* SQLite's migrations; PostgreSQL's: test_store_pg */
    char dir[] = "/tmp/hookd-migrate-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[300];
    snprintf(path, sizeof path, "%s/hookd.db", dir);
    int count;
    const char *const *m = sqlite_schema_migrations(&count);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, m[0], NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = dir;
    hk_store *store;
    hk_error err;
    assert_int_equal(hk_store_open(&o, &store, &err), HK_OK);
    assert_int_equal(hk_store_schema_version(store), count);
    hk_store_close(store);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM attempts", NULL, NULL, NULL),
                     SQLITE_OK);
    /* migration 3: a page of customers by name is one range of an index, in
     * either direction, with no sort of its own */
    static const char *const plans[] = {
        "EXPLAIN QUERY PLAN SELECT id FROM customers c WHERE c.workspace_id = ?1 AND"
        " c.spam_at IS NULL AND (c.full_name, c.id) > (?2, ?3) ORDER BY c.full_name ASC, c.id ASC"
        " LIMIT ?4",
        "EXPLAIN QUERY PLAN SELECT id FROM customers c WHERE c.workspace_id = ?1 AND"
        " (c.full_name, c.id) < (?2, ?3) ORDER BY c.full_name DESC, c.id DESC LIMIT ?4",
    };
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(db, plans[i], -1, &s, NULL), SQLITE_OK);
        char plan[512] = "";
        while (sqlite3_step(s) == SQLITE_ROW)
            snprintf(plan + strlen(plan), sizeof plan - strlen(plan), "%s;",
                     (const char *)sqlite3_column_text(s, 3));
        sqlite3_finalize(s);
        if (!strstr(plan, "INDEX customers_full_name (workspace_id=? AND (full_name,id)") ||
            strstr(plan, "TEMP B-TREE"))
            fail_msg("plan: %s", plan);
    }
    sqlite3_close(db);
    test_env_remove_dir(dir);
}

static void test_reopen_keeps_everything(void **state)
{
    test_env *e = *state;
    hk_upsert_customer_input in = test_by_email("keep@example.com", "Keep");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    hk_hmac_secret h;
    assert_int_equal(hk_workspace_hmac_get(&e->ctx, e->arena, &h, &err), HK_OK);
    assert_null(h.secret);
    assert_int_equal(hk_workspace_hmac_regenerate(&e->ctx, e->arena, &h, &err), HK_OK);
    assert_int_equal(strlen(h.secret), 64);
    assert_int_equal(h.updated_by.type, HK_ACTOR_MACHINE_USER);
    assert_string_equal(h.updated_by.id, e->ctx.actor.id);
    assert_true(h.created_at == h.updated_at);
    int64_t first_created = h.created_at;
    char first[80];
    snprintf(first, sizeof first, "%s", h.secret);

    hk_store_close(e->store);
    assert_int_equal(test_env_open_store(e, true), HK_OK);
    int migrations;
    if (test_env_is_pg(e))
        (void)pg_schema_migrations(&migrations);
    else
        (void)sqlite_schema_migrations(&migrations);
    assert_true(migrations >= 1);
    assert_int_equal(hk_store_schema_version(e->store), migrations);
    e->ctx.store = e->store;
    e->other.store = e->store;
    bool found;
    assert_int_equal(hk_customer_get(&e->ctx, HK_CUSTOMER_BY_EMAIL, "keep@example.com", e->arena,
                                     &c, &found, &err),
                     HK_OK);
    assert_true(found);
    assert_int_equal(hk_workspace_hmac_get(&e->ctx, e->arena, &h, &err), HK_OK);
    assert_string_equal(h.secret, first);
    usleep(2000);
    assert_int_equal(hk_workspace_hmac_regenerate(&e->ctx, e->arena, &h, &err), HK_OK);
    assert_string_not_equal(h.secret, first);
    assert_true(h.created_at == first_created);
    assert_true(h.updated_at > first_created);
    assert_int_equal(hk_workspace_hmac_get(&e->other, e->arena, &h, &err), HK_OK);
    assert_null(h.secret);
}

/* The backlog metrics read: due and unleased rows only, counted up to a cap,
 * the oldest due time, and nothing across time that is not due yet. */
static void test_delivery_backlog(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, true, "customer.customer_created", &t);
    hk_error err;
    hk_delivery_backlog b;
    int64_t before = hk_now_ms();
    assert_int_equal(hk_delivery_backlog_read(e->store, before, 100, &b, &err), HK_OK);
    assert_int_equal(b.due, 0);
    assert_false(b.due_capped);
    assert_true(b.oldest_due == HK_TIME_NONE);

    const char *emails[] = {"b1@example.com", "b2@example.com", "b3@example.com"};
    for (size_t i = 0; i < 3; i++) {
        hk_upsert_customer_input in = test_by_email(emails[i], "B");
        hk_upsert_result r;
        hk_customer c;
        assert_int_equal(upsert(e, &e->ctx, &in, &r, &c, &err), HK_OK);
    }
    int64_t now = hk_now_ms();
    assert_int_equal(hk_delivery_backlog_read(e->store, now, 100, &b, &err), HK_OK);
    assert_int_equal(b.due, 3);
    assert_false(b.due_capped);
    assert_true(b.oldest_due >= before && b.oldest_due <= now);
    int64_t oldest = b.oldest_due;

    /* the cap stops the count */
    assert_int_equal(hk_delivery_backlog_read(e->store, now, 2, &b, &err), HK_OK);
    assert_int_equal(b.due, 2);
    assert_true(b.due_capped);
    assert_true(b.oldest_due == oldest);

    /* not due yet at an earlier time */
    assert_int_equal(hk_delivery_backlog_read(e->store, oldest - 1, 100, &b, &err), HK_OK);
    assert_int_equal(b.due, 0);
    assert_true(b.oldest_due == HK_TIME_NONE);

    /* a claimed (leased) delivery is not waiting any more */
    hk_delivery *ds;
    size_t n;
    int64_t next_due;
    assert_int_equal(hk_delivery_claim(e->store, now, 60000, 1, e->arena, &ds, &n, &next_due, &err),
                     HK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(hk_delivery_backlog_read(e->store, now, 100, &b, &err), HK_OK);
    assert_int_equal(b.due, 2);
    assert_true(b.oldest_due >= oldest && b.oldest_due <= now);

    /* a cap of 0 is refused, and the output is still set */
    assert_int_equal(hk_delivery_backlog_read(e->store, now, 0, &b, &err), HK_EINVAL);
    assert_int_equal(b.due, 0);
    assert_true(b.oldest_due == HK_TIME_NONE);
}

/* ---- retention ---- */

static int64_t count_rows(test_env *e, const char *sql)
{
    int64_t n = test_sql_int64(e, sql, NULL);
    assert_true(n >= 0);
    return n;
}

/* Claims every due delivery and records each: succeeded, except `keep_pending` (an event id,
 * NULL: none), which fails with a retry and stays pending. */
static void deliver_all(test_env *e, const char *keep_pending)
{
    hk_delivery *ds;
    size_t n;
    int64_t next_due;
    hk_error err;
    assert_int_equal(
        hk_delivery_claim(e->store, hk_now_ms(), 60000, 100, e->arena, &ds, &n, &next_due, &err),
        HK_OK);
    for (size_t i = 0; i < n; i++) {
        bool pend = keep_pending && strcmp(ds[i].event_id, keep_pending) == 0;
        hk_delivery_result res =
            attempt_result(&ds[i], !pend, pend ? 500 : 200, pend ? hk_now_ms() + 3600000 : 0);
        assert_int_equal(hk_delivery_record(e->store, &res, 1, NULL, NULL, &err), HK_OK);
    }
}

static char *new_customer_event(test_env *e, const hk_ctx *ctx, const char *email)
{
    hk_upsert_customer_input in = test_by_email(email, "R");
    hk_upsert_result r;
    hk_customer c;
    hk_error err;
    assert_int_equal(upsert(e, ctx, &in, &r, &c, &err), HK_OK);
    /* the upsert's event: the last one stored */
    char *id = test_sql_text(e, "SELECT id FROM events WHERE seq = (SELECT max(seq) FROM events)",
                             NULL, e->arena);
    assert_non_null(id);
    return id;
}

static void test_retention_prunes_old_events(void **state)
{
    test_env *e = *state;
    hk_webhook_target t1, t2, tb;
    make_target(e, &e->ctx, true, NULL, &t1);
    make_target(e, &e->ctx, true, "customer.customer_created", &t2);
    make_target(e, &e->other, true, NULL, &tb);
    char *ev1 = new_customer_event(e, &e->ctx, "r1@example.com");
    char *ev2 = new_customer_event(e, &e->ctx, "r2@example.com");
    char *ev3 = new_customer_event(e, &e->ctx, "r3@example.com");
    (void)ev1;
    (void)ev3;
    new_customer_event(e, &e->other, "rb@example.com");
    deliver_all(e, ev2); /* ev2 stays pending, to both of A's targets... */
    hk_error err;
    /* ...until t1 is deleted, which cancels its; a deleted target's rows are pruned too */
    assert_int_equal(hk_target_delete(&e->ctx, t1.id, &err), HK_OK);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM deliveries"), 7);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM attempts"), 7);

    /* nothing is old yet */
    hk_prune_result pr;
    int64_t start = hk_id_time_ms(ev1, strlen(ev1));
    assert_int_equal(hk_events_prune(e->store, (int64_t)start, 100, &pr, &err), HK_OK);
    assert_int_equal(pr.events + pr.deliveries + pr.attempts, 0);
    assert_false(pr.more);

    /* everything is old: A keeps what is at or after its pending event, B keeps nothing */
    int64_t later = hk_now_ms() + 1000;
    assert_int_equal(hk_events_prune(e->store, later, 100, &pr, &err), HK_OK);
    assert_false(pr.more);
    assert_int_equal(pr.events, 2);     /* ev1, B's */
    assert_int_equal(pr.deliveries, 3); /* ev1 to t1 and t2, B's */
    assert_int_equal(pr.attempts, 3);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM events"), 2);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM deliveries WHERE status = 0"), 1);
    /* what remains can still be listed and re-sent; ev1 cannot */
    assert_int_equal(hk_delivery_resend(&e->ctx, t2.id, ev3, &err), HK_OK);
    assert_int_equal(hk_delivery_resend(&e->ctx, t2.id, ev1, &err), HK_ENOTFOUND);
    hk_attempt *atts;
    size_t n;
    assert_int_equal(hk_attempt_list(&e->ctx, t2.id, ev2, e->arena, &atts, &n, &err), HK_OK);
    assert_int_equal(n, 1);

    /* once nothing is pending, the rest goes */
    hk_delivery *ds;
    int64_t next_due;
    assert_int_equal(hk_delivery_claim(e->store, hk_now_ms() + 7200000, 60000, 100, e->arena, &ds,
                                       &n, &next_due, &err),
                     HK_OK);
    assert_int_equal(n, 2); /* ev2 to t2, ev3 re-sent to t2 */
    for (size_t i = 0; i < n; i++) {
        hk_delivery_result res = attempt_result(&ds[i], true, 200, 0);
        assert_int_equal(hk_delivery_record(e->store, &res, 1, NULL, NULL, &err), HK_OK);
    }
    assert_int_equal(hk_events_prune(e->store, later, 100, &pr, &err), HK_OK);
    assert_int_equal(pr.events, 2);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM events"), 0);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM deliveries"), 0);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM attempts"), 0);
    /* customers and targets are not events: they stay */
    assert_int_equal(count_rows(e, "SELECT count(*) FROM customers"), 4);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM webhook_targets"), 2);

    assert_int_equal(hk_events_prune(e->store, later, 0, &pr, &err), HK_EINVAL);
    assert_int_equal(hk_events_prune(e->store, -1, 10, &pr, &err), HK_EINVAL);
}

/* A small budget: each pass deletes at most that many rows, deliveries before their events,
 * and the passes end with everything gone. */
static void test_retention_budget(void **state)
{
    test_env *e = *state;
    hk_webhook_target t;
    make_target(e, &e->ctx, true, "customer.customer_created", &t);
    for (int i = 0; i < 5; i++) {
        char email[32];
        snprintf(email, sizeof email, "b%d@example.com", i);
        new_customer_event(e, &e->ctx, email);
    }
    deliver_all(e, NULL);
    hk_error err;
    hk_prune_result pr;
    size_t passes = 0, events = 0, deliveries = 0;
    int64_t later = hk_now_ms() + 1000;
    do {
        assert_int_equal(hk_events_prune(e->store, later, 2, &pr, &err), HK_OK);
        assert_true(pr.events + pr.deliveries <= 2);
        /* an event goes only once none of its deliveries is left */
        assert_true(count_rows(e, "SELECT count(*) FROM deliveries d WHERE NOT EXISTS (SELECT 1 "
                                  "FROM events v WHERE v.workspace_id = d.workspace_id AND "
                                  "v.id = d.event_id)") == 0);
        events += pr.events;
        deliveries += pr.deliveries;
        assert_true(++passes <= 10);
    } while (pr.more);
    assert_int_equal(events, 5);
    assert_int_equal(deliveries, 5);
    assert_int_equal(count_rows(e, "SELECT count(*) FROM events"), 0);
}

/* Each retention statement is an index range or the pending index, never a table scan. */
static void test_retention_query_plans(void **state)
{
    test_env *e = *state;
    if (test_env_is_pg(e))
        skip(); /* SQLite's plans; PostgreSQL's: test_store_pg */
    char path[300];
    snprintf(path, sizeof path, "%s/hookd.db", e->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    static const struct {
        const char *sql, *want;
    } plans[] = {
        {"SELECT workspace_id, min(event_id) FROM deliveries INDEXED BY deliveries_due_by_target"
         " WHERE status = 0 AND next_attempt_at IS NOT NULL GROUP BY workspace_id",
         "deliveries_due_by_target"},
        {"SELECT target_id FROM deliveries WHERE workspace_id = ?1 AND target_id > ?2 ORDER BY "
         "target_id LIMIT 1",
         "PRIMARY KEY (workspace_id=? AND target_id>?)"},
        {"SELECT event_id FROM deliveries WHERE workspace_id = ?1 AND target_id = ?2 AND "
         "event_id < ?3 ORDER BY event_id LIMIT 1 OFFSET ?4",
         "PRIMARY KEY (workspace_id=? AND target_id=? AND event_id<?)"},
        {"DELETE FROM attempts WHERE workspace_id = ?1 AND target_id = ?2 AND event_id < ?3",
         "PRIMARY KEY (workspace_id=? AND target_id=? AND event_id<?)"},
        {"SELECT id FROM events WHERE workspace_id = ?1 AND id < ?2 ORDER BY id LIMIT 1 OFFSET ?3",
         "(workspace_id=? AND id<?)"},
        {"DELETE FROM events WHERE workspace_id = ?1 AND id < ?2", "(workspace_id=? AND id<?)"},
    };
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        char q[512];
        snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", plans[i].sql);
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
        char plan[512] = "";
        while (sqlite3_step(s) == SQLITE_ROW)
            snprintf(plan + strlen(plan), sizeof plan - strlen(plan), "%s;",
                     (const char *)sqlite3_column_text(s, 3));
        sqlite3_finalize(s);
        if (!strstr(plan, plans[i].want) || strstr(plan, "SCAN deliveries;") ||
            strstr(plan, "SCAN events;") || strstr(plan, "SCAN attempts;"))
            fail_msg("plan of %s: %s", plans[i].sql, plan);
    }
    sqlite3_close(db);
}

/* ---- operators: API keys ---- */

static void test_admin_keys(void **state)
{
    test_env *e = *state;
    hk_error err;
    hk_api_key_info k;
    char key[HK_API_KEY_BUF];
    uint32_t perms = HK_PERM_CUSTOMER_READ | HK_PERM_WORKSPACE_READ;
    assert_int_equal(
        hk_admin_key_create(e->store, e->ctx.workspace_id, perms, "reports", &k, key, &err), HK_OK);
    assert_true(hk_id_is_kind(k.id, strlen(k.id), HK_ID_API_KEY));
    assert_string_equal(k.workspace_id, e->ctx.workspace_id);
    assert_string_equal(k.machine_user_id, e->ctx.actor.id); /* bootstrap's machine user */
    assert_int_equal(k.permissions, perms);
    hk_ctx ctx;
    assert_int_equal(hk_auth_api_key(e->store, key, strlen(key), &ctx, &err), HK_OK);
    assert_string_equal(ctx.workspace_id, e->ctx.workspace_id);
    assert_int_equal(ctx.permissions, perms);
    /* only the key's hash is stored */
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM api_keys WHERE key_hash = '%s'", key);
    assert_int_equal(count_rows(e, sql), 0);

    /* listed with its workspace's keys, not with the other workspace's */
    hk_api_key_info *keys;
    size_t n;
    assert_int_equal(hk_admin_key_list(e->store, e->ctx.workspace_id, e->arena, &keys, &n, &err),
                     HK_OK);
    assert_int_equal(n, 2);
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(keys[i].workspace_id, e->ctx.workspace_id);
        if (strcmp(keys[i].id, k.id) == 0) {
            seen = true;
            assert_string_equal(keys[i].description, "reports");
            assert_int_equal(keys[i].permissions, perms);
            assert_true(keys[i].created_at == k.created_at);
        }
    }
    assert_true(seen);
    assert_int_equal(hk_admin_key_list(e->store, NULL, e->arena, &keys, &n, &err), HK_OK);
    assert_int_equal(n, 3);

    /* revoked: refused from then on, and gone from the list */
    assert_int_equal(hk_admin_key_revoke(e->store, k.id, &err), HK_OK);
    assert_int_equal(hk_auth_api_key(e->store, key, strlen(key), &ctx, &err), HK_ENOTFOUND);
    assert_int_equal(hk_admin_key_revoke(e->store, k.id, &err), HK_ENOTFOUND);
    assert_int_equal(hk_admin_key_list(e->store, e->ctx.workspace_id, e->arena, &keys, &n, &err),
                     HK_OK);
    assert_int_equal(n, 1);

    /* bad input changes nothing */
    assert_int_equal(hk_admin_key_create(e->store, "w_nope", perms, NULL, &k, key, &err),
                     HK_EINVAL);
    assert_string_equal(err.fields[0].field, "workspace");
    assert_int_equal(
        hk_admin_key_create(e->store, "w_01M8E9W3R0XFNF1HYTTXMJ99BG", perms, NULL, &k, key, &err),
        HK_ENOTFOUND);
    assert_int_equal(hk_admin_key_create(e->store, e->ctx.workspace_id, 0, NULL, &k, key, &err),
                     HK_EINVAL);
    assert_int_equal(
        hk_admin_key_create(e->store, e->ctx.workspace_id, 1u << 30, NULL, &k, key, &err),
        HK_EINVAL);
    char long_text[600];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    assert_int_equal(
        hk_admin_key_create(e->store, e->ctx.workspace_id, perms, long_text, &k, key, &err),
        HK_EINVAL);
    assert_string_equal(key, "");
    assert_int_equal(hk_admin_key_revoke(e->store, "c_01M8E9W3R0XFNF1HYTTXMJ99BG", &err),
                     HK_EINVAL);
    assert_int_equal(hk_admin_key_list(e->store, "nope", e->arena, &keys, &n, &err), HK_EINVAL);
    assert_int_equal(hk_admin_key_list(e->store, NULL, e->arena, &keys, &n, &err), HK_OK);
    assert_int_equal(n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bootstrap_and_auth, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_api_key_is_stored_hashed, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_permissions_enforced, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_upsert_create_update_noop, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_upsert_by_external_id_creates_with_it, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_email_verification, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_uniqueness_errors, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_customer_validation_changes_nothing, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_spam_marking, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_delete_customer, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_groups, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_memberships, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_upsert_on_create_groups, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_list_limits_and_membership_read, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_targets, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_default_webhook_version, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_target_limit, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_fanout_and_cancellation, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_event_payloads_capture_states, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_failure_at_every_write_leaves_nothing, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_delivery_lifecycle, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_delivery_backlog, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_retention_prunes_old_events, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_retention_budget, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_admin_keys, test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_retention_query_plans, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_customer_pagination_and_filters, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_customers_sorted_by_name, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test(test_page_slice),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_group_commit, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_failure_inside_a_batch_spares_the_others,
                                        test_env_setup, test_env_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_run_during_writes, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_everything, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test(test_migrates_an_old_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
