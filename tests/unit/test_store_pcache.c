/*
 * test_store_pcache.c - the page cache layer (store/sqlite_pcache.c) drops
 * exactly what SQLite's default cache would, and skips the truncations that
 * could drop nothing.
 *
 * First its methods are driven directly, on top of SQLite's real default
 * cache: pages are made, moved through the temporary page number a b-tree
 * split uses, and truncated; after every truncation the pages below the
 * limit must still be there and none at or past it. Then a WAL database
 * with a small cache takes transactions that split pages of a random index,
 * some rolled back, some deleting, against the layer: it must stay intact
 * and hold what was committed, and most commits must have skipped the pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/sqlite_pcache.h"

#define PAGE_SIZE 4096
#define EXTRA_SIZE 64
#define SPLIT_TEMP 262145u /* the 1 GiB lock page + 1, with 4 KiB pages */

static const sqlite3_pcache_methods2 *m;

static int set_up_once(void **state)
{
    (void)state;
    /* Before SQLite initialises, as the store does. */
    if (!sqlite_pcache_install())
        return -1;
    if (sqlite3_initialize() != SQLITE_OK)
        return -1;
    m = sqlite_pcache_methods();
    return m ? 0 : -1;
}

static sqlite3_pcache_page *make(sqlite3_pcache *c, unsigned key)
{
    sqlite3_pcache_page *p = m->xFetch(c, key, 2);
    assert_non_null(p);
    return p;
}

static void make_unpinned(sqlite3_pcache *c, unsigned first, unsigned last)
{
    for (unsigned k = first; k <= last; k++)
        m->xUnpin(c, make(c, k), 0);
}

static bool has(sqlite3_pcache *c, unsigned key)
{
    sqlite3_pcache_page *p = m->xFetch(c, key, 0);
    if (p)
        m->xUnpin(c, p, 0);
    return p != NULL;
}

/* Moves page `key` to `to`, the way SQLite's pager does. */
static void move(sqlite3_pcache *c, unsigned key, unsigned to)
{
    sqlite3_pcache_page *p = m->xFetch(c, key, 0);
    assert_non_null(p);
    m->xRekey(c, p, key, to);
    m->xUnpin(c, p, 0);
}

static void truncate_expect(sqlite3_pcache *c, unsigned limit, bool passes)
{
    unsigned long p0, s0, p1, s1;
    sqlite_pcache_counts(&p0, &s0);
    m->xTruncate(c, limit);
    sqlite_pcache_counts(&p1, &s1);
    assert_int_equal(p1 - p0, passes ? 1 : 0);
    assert_int_equal(s1 - s0, passes ? 0 : 1);
}

static void test_methods_drop_what_the_default_drops(void **state)
{
    (void)state;
    sqlite3_pcache *c = m->xCreate(PAGE_SIZE, EXTRA_SIZE, 1);
    assert_non_null(c);
    m->xCachesize(c, 1000);

    make_unpinned(c, 1, 50);
    truncate_expect(c, 51, true); /* the first one sets the mark */
    assert_int_equal(m->xPagecount(c), 50);

    /* The database grows: new pages past the old end, then a commit. */
    make_unpinned(c, 51, 55);
    truncate_expect(c, 56, false);
    for (unsigned k = 1; k <= 55; k++)
        assert_true(has(c, k));

    /* A b-tree split swaps two pages through the temporary number. */
    move(c, 20, SPLIT_TEMP);
    move(c, 30, 20);
    move(c, SPLIT_TEMP, 30);
    truncate_expect(c, 56, false);
    assert_int_equal(m->xPagecount(c), 55);
    assert_false(has(c, SPLIT_TEMP));

    /* A page left past the end must go, and the pass must happen. */
    make_unpinned(c, 60, 60);
    truncate_expect(c, 58, true);
    assert_false(has(c, 60));
    assert_true(has(c, 55));

    /* Moved past the end and left there (a rolled-back split). */
    move(c, 5, 70);
    truncate_expect(c, 58, true);
    assert_false(has(c, 70));
    assert_false(has(c, 5));

    /* The end moves down: everything at or past it goes. */
    truncate_expect(c, 40, true);
    assert_false(has(c, 45));
    assert_true(has(c, 39));

    /* More new pages than the layer remembers: it stops counting. */
    make_unpinned(c, 40, 80);
    truncate_expect(c, 100, true);
    truncate_expect(c, 100, false);
    assert_true(has(c, 80));
    truncate_expect(c, 60, true);
    assert_false(has(c, 60));
    assert_true(has(c, 59));

    /* A discarded page is remembered still: passing through is harmless. */
    m->xUnpin(c, make(c, 61), 1);
    truncate_expect(c, 60, true);

    /* Truncating to nothing, as a pager reset does. */
    truncate_expect(c, 1, true);
    assert_int_equal(m->xPagecount(c), 0);
    m->xDestroy(c);
}

/* ---- through SQLite ---- */

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void check_intact(sqlite3 *db, int64_t rows, int64_t sum)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    assert_int_equal(one_int(db, "SELECT count(*) FROM t"), rows);
    assert_int_equal(one_int(db, "SELECT coalesce(sum(n), 0) FROM t"), sum);
}

static void test_sqlite_stays_intact(void **state)
{
    (void)state;
    char dir[] = "/tmp/hookd-pcache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/t.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = 200;"
                "CREATE TABLE t (id INTEGER PRIMARY KEY, k BLOB, n INTEGER);"
                "CREATE INDEX t_k ON t (k);");
    unsigned long p0, s0;
    sqlite_pcache_counts(&p0, &s0);
    sqlite3_stmt *ins = NULL, *del = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "INSERT INTO t (k, n) VALUES (randomblob(40), ?1)", -1, &ins, NULL),
        SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY k LIMIT 3)",
                           -1, &del, NULL),
        SQLITE_OK);
    int64_t rows = 0, sum = 0;
    srand(7);
    for (int tx = 0; tx < 600; tx++) {
        exec_ok(db, "BEGIN");
        int64_t r = 0, s = 0;
        for (int i = 0; i < 40; i++) {
            int n = rand() % 1000;
            sqlite3_bind_int(ins, 1, n);
            assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
            sqlite3_reset(ins);
            r++;
            s += n;
        }
        if (tx % 7 == 3) { /* rolled back: its splits are undone */
            exec_ok(db, "ROLLBACK");
            continue;
        }
        if (tx % 5 == 1) { /* deletes free pages */
            int64_t before_rows = one_int(db, "SELECT count(*) FROM t");
            int64_t before_sum = one_int(db, "SELECT coalesce(sum(n), 0) FROM t");
            assert_int_equal(sqlite3_step(del), SQLITE_DONE);
            sqlite3_reset(del);
            r -= before_rows - one_int(db, "SELECT count(*) FROM t");
            s -= before_sum - one_int(db, "SELECT coalesce(sum(n), 0) FROM t");
        }
        exec_ok(db, "COMMIT");
        rows += r;
        sum += s;
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    check_intact(db, rows, sum);
    unsigned long p1, s1;
    sqlite_pcache_counts(&p1, &s1);
    /* Most commits had nothing past the end to drop. */
    assert_true(s1 - s0 > (p1 - p0));
    assert_int_equal(sqlite3_close(db), SQLITE_OK);

    /* And from the file, with a cache of its own. */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    check_intact(db, rows, sum);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_drop_what_the_default_drops),
        cmocka_unit_test(test_sqlite_stays_intact),
    };
    return cmocka_run_group_tests(tests, set_up_once, NULL);
}
