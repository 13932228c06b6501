/*
 * testutil.h - shared helpers for tests that need a real store: a fresh
 * store, a bootstrapped workspace and removal.
 *
 * The store is SQLite in a temporary directory, or, when
 * HOOKD_TEST_DATABASE_URL names a PostgreSQL database, a fresh schema of it
 * (dropped at the end): ctest runs the conformance tests both ways (the
 * unit.*.pg tests, label pg, with the server of tests/pg/pg_ctl.sh). Tests
 * that look at rows directly use test_sql_* (either backend; SQL written
 * with ?1 parameters, which become $1 on PostgreSQL); tests of one backend
 * only check test_env_is_pg.
 */
#ifndef HOOKD_TESTS_TESTUTIL_H
#define HOOKD_TESTS_TESTUTIL_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/domain.h"
#include "store/store_int.h"

typedef struct test_env {
    char dir[256];   /* SQLite: the data directory ("" on PostgreSQL) */
    char url[1024];  /* PostgreSQL: the URL with the test's schema ("" on SQLite) */
    char schema[64]; /* PostgreSQL: that schema */
    hk_store *store;
    hk_ctx ctx;   /* all permissions in workspace A */
    hk_ctx other; /* all permissions in workspace B */
    hk_arena *arena;
} test_env;

static inline void test_env_remove_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* The PostgreSQL database the tests use, NULL: SQLite. */
static inline const char *test_database_url(void)
{
    const char *u = getenv("HOOKD_TEST_DATABASE_URL");
    return u && *u ? u : NULL;
}

static inline bool test_env_is_pg(const test_env *e)
{
    return e->url[0] != '\0';
}

static inline void test_pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Runs one command on the tests' database (not in the test's schema). */
static inline bool test_pg_command(const char *command)
{
    PGconn *pg = PQconnectdb(test_database_url());
    PQsetNoticeProcessor(pg, test_pg_quiet, NULL); /* DROP ... CASCADE's list */
    bool ok = PQstatus(pg) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(pg, command);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "%s: %s", command, PQerrorMessage(pg));
        PQclear(r);
    } else {
        fprintf(stderr, "cannot connect to HOOKD_TEST_DATABASE_URL: %s", PQerrorMessage(pg));
    }
    PQfinish(pg);
    return ok;
}

/* A new schema of the tests' database, and the URL that uses it: in `url`
 * (1024 bytes) and `schema` (64). False on failure. */
static inline bool test_pg_schema_new(char *url, char *schema)
{
    static atomic_int serial;
    const char *base = test_database_url();
    snprintf(schema, 64, "t_%ld_%d_%d", (long)getpid(), atomic_fetch_add(&serial, 1),
             rand() % 100000);
    char create[128];
    snprintf(create, sizeof create, "CREATE SCHEMA %s", schema);
    if (!test_pg_command(create))
        return false;
    snprintf(url, 1024, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?",
             schema);
    return true;
}

static inline void test_pg_schema_drop(const char *schema)
{
    char drop[128];
    snprintf(drop, sizeof drop, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    (void)test_pg_command(drop);
}

static inline hk_status test_env_open_store(test_env *e, bool durable)
{
    hk_store_options o;
    hk_store_options_init(&o);
    if (test_env_is_pg(e))
        o.database_url = e->url;
    else
        o.data_dir = e->dir;
    o.durable = durable;
    hk_error err;
    hk_error_clear(&err);
    hk_status st = hk_store_open(&o, &e->store, &err);
    if (st)
        fprintf(stderr, "store open: %s\n", err.message);
    return st;
}

static inline hk_status test_env_workspace(test_env *e, hk_ctx *ctx)
{
    hk_bootstrap_result r;
    hk_error err;
    hk_status st = hk_workspace_bootstrap(e->store, "test", &r, &err);
    if (!st)
        st = hk_auth_api_key(e->store, r.api_key, strlen(r.api_key), ctx, &err);
    return st;
}

static inline test_env *test_env_new(void)
{
    test_env *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    bool made;
    if (test_database_url()) {
        made = test_pg_schema_new(e->url, e->schema);
    } else {
        snprintf(e->dir, sizeof e->dir, "/tmp/hookd-test-XXXXXX");
        made = mkdtemp(e->dir) != NULL;
    }
    if (!made || test_env_open_store(e, false) || test_env_workspace(e, &e->ctx) ||
        test_env_workspace(e, &e->other)) {
        free(e);
        return NULL;
    }
    e->arena = hk_arena_new(0);
    return e;
}

static inline void test_env_free(test_env *e)
{
    if (!e)
        return;
    hk_arena_free(e->arena);
    hk_store_close(e->store);
    if (test_env_is_pg(e))
        test_pg_schema_drop(e->schema);
    else
        test_env_remove_dir(e->dir);
    free(e);
}

/* ---- rows, directly (either backend) ---- */

typedef void (*test_sql_row_fn)(void *ctx, int ncols, const char *const *values);

/* Runs `sql` (parameters ?1.., `args` NULL-terminated, may be NULL) on the
 * test's database from a connection of its own, calling `row` for each row
 * (values NULL for SQL NULL). The number of rows, or -1 on failure. */
static inline long test_sql_rows(const test_env *e, const char *sql, const char *const *args,
                                 test_sql_row_fn row, void *ctx)
{
    int nargs = 0;
    while (args && args[nargs])
        nargs++;
    long rows = 0;
    const char *values[16];
    if (test_env_is_pg(e)) {
        char q[2048];
        snprintf(q, sizeof q, "%s", sql);
        for (char *p = q; (p = strchr(p, '?')); p++)
            *p = '$';
        PGconn *pg = PQconnectdb(e->url);
        PGresult *r = PQexecParams(pg, q, nargs, NULL, args, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "%s: %s", q, PQerrorMessage(pg));
            rows = -1;
        }
        for (int i = 0; rows >= 0 && i < PQntuples(r); i++, rows++) {
            int n = PQnfields(r) < 16 ? PQnfields(r) : 16;
            for (int k = 0; k < n; k++)
                values[k] = PQgetisnull(r, i, k) ? NULL : PQgetvalue(r, i, k);
            if (row)
                row(ctx, n, values);
        }
        PQclear(r);
        PQfinish(pg);
        return rows;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/hookd.db", e->dir);
    sqlite3 *db;
    sqlite3_stmt *s = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    for (int i = 0; i < nargs; i++)
        sqlite3_bind_text(s, i + 1, args[i], -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int n = sqlite3_column_count(s) < 16 ? sqlite3_column_count(s) : 16;
        for (int k = 0; k < n; k++)
            values[k] = (const char *)sqlite3_column_text(s, k);
        if (row)
            row(ctx, n, values);
        rows++;
    }
    if (rc != SQLITE_DONE)
        rows = -1;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rows;
}

static inline void test_sql_first_int(void *ctx, int ncols, const char *const *values)
{
    *(int64_t *)ctx = ncols > 0 && values[0] ? strtoll(values[0], NULL, 10) : 0;
}

/* The integer in the first column of the first row (-1 when there is no row). */
static inline int64_t test_sql_int64(const test_env *e, const char *sql, const char *arg)
{
    const char *args[] = {arg, NULL};
    int64_t v = -1;
    if (test_sql_rows(e, sql, arg ? args : NULL, test_sql_first_int, &v) < 0)
        return -1;
    return v;
}

typedef struct test_sql_text_ctx {
    hk_arena *arena;
    char *out;
} test_sql_text_ctx;

static inline void test_sql_first_text(void *ctx, int ncols, const char *const *values)
{
    test_sql_text_ctx *t = ctx;
    if (!t->out && ncols > 0 && values[0])
        t->out = hk_arena_strdup(t->arena, values[0]);
}

/* The text in the first column of the first row, in `a` (NULL when none). */
static inline char *test_sql_text(const test_env *e, const char *sql, const char *arg, hk_arena *a)
{
    const char *args[] = {arg, NULL};
    test_sql_text_ctx t = {a, NULL};
    (void)test_sql_rows(e, sql, arg ? args : NULL, test_sql_first_text, &t);
    return t.out;
}

/* cmocka setup and teardown: a fresh test_env in *state. */
static inline int test_env_setup(void **state)
{
    test_env *e = test_env_new();
    if (!e)
        return -1;
    *state = e;
    return 0;
}

static inline int test_env_teardown(void **state)
{
    test_env_free(*state);
    return 0;
}

/* An upsert by email that creates the customer `name` with that email. */
static inline hk_upsert_customer_input test_by_email(const char *email, const char *name)
{
    hk_upsert_customer_input in = {
        .identifier_kind = HK_CUSTOMER_BY_EMAIL,
        .identifier = email,
        .on_create = {.full_name = name, .email = email},
    };
    return in;
}

static inline store_counts test_counts(test_env *e, const hk_ctx *ctx)
{
    store_counts c;
    hk_error err;
    if (store_counts_get(e->store, ctx->workspace_id, &c, &err))
        memset(&c, 0xff, sizeof c);
    return c;
}

#endif
