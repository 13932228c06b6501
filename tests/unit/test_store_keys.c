/*
 * test_store_keys.c - when each API key was last used, as the store keeps it
 * (api_key_touch, api_key_list's last_used_at) on both backends: ctest runs
 * it as unit.test_store_keys and, on PostgreSQL, unit.test_store_keys.pg.
 * Never used is "no time"; a touch records its time and never moves it back
 * (several nodes write their own uses); a revoked key's touch is a no-op;
 * databases made before the column existed are migrated with every key
 * "never used". The coalescing above it is test_domain_key_usage.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "store/pg_schema.h"
#include "store/sqlite_schema.h"
#include "testutil.h"

typedef struct touch {
    const char *id;
    int64_t at;
} touch;

static hk_status touch_tx(const store_tx *tx, void *arg, hk_error *err)
{
    const touch *t = arg;
    hk_status st = tx->ops->api_key_touch(tx->conn, t->id, t->at);
    return st ? hk_error_set(err, st, NULL, "cannot touch the key") : HK_OK;
}

static void touch_key(test_env *e, const char *id, int64_t at)
{
    touch t = {id, at};
    hk_error err;
    hk_error_clear(&err);
    if (store_write(e->store, touch_tx, &t, &err) != HK_OK)
        fail_msg("touch: %s", err.message);
}

/* The last-used time of key `id` as hk_admin_key_list reports it; fails when
 * the key is not listed. */
static int64_t last_used(test_env *e, const char *id)
{
    hk_api_key_info *keys;
    size_t n;
    hk_error err;
    assert_int_equal(hk_admin_key_list(e->store, NULL, e->arena, &keys, &n, &err), HK_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].id, id) == 0)
            return keys[i].last_used_at;
    fail_msg("key %s is not listed", id);
    return 0;
}

static void new_key(test_env *e, const hk_ctx *ctx, hk_api_key_info *k)
{
    char key[HK_API_KEY_BUF];
    hk_error err;
    assert_int_equal(
        hk_admin_key_create(e->store, ctx->workspace_id, HK_PERM_ALL, "used", k, key, &err), HK_OK);
    assert_true(k->last_used_at == HK_TIME_NONE);
}

static void test_keys_start_never_used(void **state)
{
    test_env *e = *state;
    hk_api_key_info k;
    new_key(e, &e->ctx, &k);
    hk_api_key_info *keys;
    size_t n;
    hk_error err;
    assert_int_equal(hk_admin_key_list(e->store, NULL, e->arena, &keys, &n, &err), HK_OK);
    assert_int_equal(n, 3); /* the two workspaces' bootstrap keys and k */
    for (size_t i = 0; i < n; i++)
        assert_true(keys[i].last_used_at == HK_TIME_NONE);
}

static void test_a_touch_records_its_time_for_that_key_only(void **state)
{
    test_env *e = *state;
    hk_api_key_info k, other;
    new_key(e, &e->ctx, &k);
    new_key(e, &e->other, &other);
    touch_key(e, k.id, 1700000000123);
    assert_true(last_used(e, k.id) == 1700000000123);
    assert_true(last_used(e, other.id) == HK_TIME_NONE);
    /* the workspace's own listing carries it too */
    hk_api_key_info *keys;
    size_t n;
    hk_error err;
    assert_int_equal(hk_admin_key_list(e->store, e->ctx.workspace_id, e->arena, &keys, &n, &err),
                     HK_OK);
    assert_int_equal(n, 2);
    int64_t seen = HK_TIME_NONE;
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].id, k.id) == 0)
            seen = keys[i].last_used_at;
    assert_true(seen == 1700000000123);
}

/* Two nodes flush their own uses in any order: the later time stays. */
static void test_a_touch_never_moves_the_time_back(void **state)
{
    test_env *e = *state;
    hk_api_key_info k;
    new_key(e, &e->ctx, &k);
    touch_key(e, k.id, 2000);
    touch_key(e, k.id, 1000);
    assert_true(last_used(e, k.id) == 2000);
    touch_key(e, k.id, 2000);
    assert_true(last_used(e, k.id) == 2000);
    touch_key(e, k.id, 3000);
    assert_true(last_used(e, k.id) == 3000);
}

/* A key revoked while its use waited to be written: nothing to write, no error. */
static void test_a_touch_of_a_revoked_key_is_nothing(void **state)
{
    test_env *e = *state;
    hk_api_key_info k;
    new_key(e, &e->ctx, &k);
    hk_error err;
    assert_int_equal(hk_admin_key_revoke(e->store, k.id, &err), HK_OK);
    touch_key(e, k.id, 5000);
    assert_int_equal(test_sql_int64(e, "SELECT count(*) FROM api_keys WHERE id = ?1", k.id), 0);
    touch_key(e, "apiKey_00000000000000000000000000", 5000);
}

/* ---- migration ---- */

static const char old_key_row[] =
    "INSERT INTO api_keys (key_hash, id, workspace_id, machine_user_id, permissions,"
    " created_at, description) VALUES ('00ff', 'apiKey_OLD', 'w_OLD', 'mu_OLD', 1, 42, 'old')";

/* SQLite: a database at schema 6 (before last_used_at) holding a key. */
static void make_old_sqlite(const char *dir)
{
    char path[300];
    snprintf(path, sizeof path, "%s/hookd.db", dir);
    int count;
    const char *const *m = sqlite_schema_migrations(&count);
    assert_true(count >= 7);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    for (int i = 0; i < 6; i++)
        if (sqlite3_exec(db, m[i], NULL, NULL, &msg) != SQLITE_OK)
            fail_msg("migration %d: %s", i + 1, msg);
    if (sqlite3_exec(db, old_key_row, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA user_version = 6", NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s", msg);
    sqlite3_close(db);
}

/* PostgreSQL: a schema at version 2 (before last_used_at) holding a key. */
static void make_old_pg(const char *url)
{
    int count;
    const char *const *m = pg_schema_migrations(&count);
    assert_true(count >= 3);
    PGconn *pg = PQconnectdb(url);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    const char *steps[] = {m[0], m[1],
                           "CREATE TABLE hookd_schema (version integer NOT NULL);"
                           "INSERT INTO hookd_schema VALUES (2)",
                           old_key_row};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        PGresult *r = PQexec(pg, steps[i]);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("step %zu: %s", i, PQerrorMessage(pg));
        PQclear(r);
    }
    PQfinish(pg);
}

/* A database from before the column: keys survive, all "never used", and a
 * touch then records. */
static void test_keys_of_an_older_database_were_never_used(void **state)
{
    test_env e = {0};
    int count;
    if (test_database_url()) {
        assert_true(test_pg_schema_new(e.url, e.schema));
        make_old_pg(e.url);
        (void)pg_schema_migrations(&count);
    } else {
        snprintf(e.dir, sizeof e.dir, "/tmp/hookd-keys-XXXXXX");
        assert_non_null(mkdtemp(e.dir));
        make_old_sqlite(e.dir);
        (void)sqlite_schema_migrations(&count);
    }
    assert_int_equal(test_env_open_store(&e, false), HK_OK);
    assert_int_equal(hk_store_schema_version(e.store), count);
    e.arena = hk_arena_new(0);
    hk_api_key_info *keys;
    size_t n;
    hk_error err;
    assert_int_equal(hk_admin_key_list(e.store, NULL, e.arena, &keys, &n, &err), HK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0].id, "apiKey_OLD");
    assert_string_equal(keys[0].description, "old");
    assert_true(keys[0].created_at == 42);
    assert_true(keys[0].last_used_at == HK_TIME_NONE);
    touch_key(&e, "apiKey_OLD", 7777);
    assert_true(last_used(&e, "apiKey_OLD") == 7777);
    hk_arena_free(e.arena);
    e.arena = NULL;
    hk_store_close(e.store);
    e.store = NULL;
    if (test_env_is_pg(&e))
        test_pg_schema_drop(e.schema);
    else
        test_env_remove_dir(e.dir);
}

int main(void)
{
#define ENV_TEST(f) cmocka_unit_test_setup_teardown(f, test_env_setup, test_env_teardown)
    const struct CMUnitTest tests[] = {
        ENV_TEST(test_keys_start_never_used),
        ENV_TEST(test_a_touch_records_its_time_for_that_key_only),
        ENV_TEST(test_a_touch_never_moves_the_time_back),
        ENV_TEST(test_a_touch_of_a_revoked_key_is_nothing),
        cmocka_unit_test(test_keys_of_an_older_database_were_never_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
