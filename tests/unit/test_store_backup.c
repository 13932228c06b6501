/*
 * test_store_backup.c - hk_store_backup: a copy made while writes go on is
 * one consistent snapshot that opens as a store with everything committed
 * before it; an existing destination, or a missing store, is refused and
 * nothing is written. hk_store_restore: checked, put in place, the old
 * database kept aside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/stat.h>

#include "store/backup.h"
#include "testutil.h"

typedef struct writer {
    test_env *e;
    int n, failures;
} writer;

static void *write_customers(void *arg)
{
    writer *w = arg;
    hk_arena *a = hk_arena_new(0);
    for (int i = 0; i < w->n; i++) {
        char email[64];
        snprintf(email, sizeof email, "during%d@example.com", i);
        hk_upsert_customer_input in = test_by_email(email, "During");
        hk_upsert_result r;
        hk_customer c;
        hk_error err;
        if (hk_customer_upsert(&w->e->ctx, &in, a, &r, &c, &err) != HK_OK)
            w->failures++;
        hk_arena_reset(a);
    }
    hk_arena_free(a);
    return NULL;
}

static size_t customers_in(const char *dir, const char *key)
{
    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = dir;
    hk_store *s;
    hk_error err;
    assert_int_equal(hk_store_open(&o, &s, &err), HK_OK);
    hk_ctx ctx;
    assert_int_equal(hk_auth_api_key(s, key, strlen(key), &ctx, &err), HK_OK);
    hk_arena *a = hk_arena_new(0);
    hk_customer_filter f = {.marked_as_spam = -1};
    hk_page_request pg = {.first = 100, .last = -1};
    hk_customer *list;
    size_t n;
    hk_page_info info;
    assert_int_equal(hk_customer_list(&ctx, &f, &pg, true, a, &list, &n, &info, &err), HK_OK);
    size_t total = (size_t)info.total_count;
    hk_arena_free(a);
    hk_store_close(s);
    return total;
}

static void test_backup_while_writing(void **state)
{
    test_env *e = *state;
    hk_bootstrap_result boot;
    hk_error err;
    assert_int_equal(hk_workspace_bootstrap(e->store, "backup", &boot, &err), HK_OK);
    assert_int_equal(hk_auth_api_key(e->store, boot.api_key, strlen(boot.api_key), &e->ctx, &err),
                     HK_OK);
    writer w = {e, 5, 0};
    write_customers(&w); /* 5 before the backup */
    w.n = 300;
    pthread_t th;
    pthread_create(&th, NULL, write_customers, &w);
    char dest[300], restored[300];
    snprintf(dest, sizeof dest, "%s/copy.db", e->dir);
    hk_backup_info info;
    assert_int_equal(hk_store_backup(e->dir, dest, &info, &err), HK_OK);
    pthread_join(th, NULL);
    assert_int_equal(w.failures, 0);
    assert_true(info.bytes > 0);
    assert_int_equal(info.schema_version, hk_store_schema_version(e->store));
    char partial[340];
    snprintf(partial, sizeof partial, "%s.partial", dest);
    assert_int_equal(access(partial, F_OK), -1);

    /* restored: a store of its own, with every customer committed before the copy */
    snprintf(restored, sizeof restored, "%s/restored", e->dir);
    assert_int_equal(mkdir(restored, 0700), 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/hookd.db'", dest, restored);
    assert_int_equal(system(cmd), 0);
    size_t n = customers_in(restored, boot.api_key);
    assert_true(n >= 5 && n <= 305);

    /* an existing destination is refused and left as it is */
    struct stat before, after;
    assert_int_equal(stat(dest, &before), 0);
    assert_int_equal(hk_store_backup(e->dir, dest, &info, &err), HK_EINVAL);
    assert_non_null(strstr(err.message, "already exists"));
    assert_int_equal(stat(dest, &after), 0);
    assert_true(before.st_size == after.st_size && before.st_mtime == after.st_mtime);
    /* no store there */
    char other[320];
    snprintf(other, sizeof other, "%s/other.db", e->dir);
    assert_int_equal(hk_store_backup(restored, other, &info, &err), HK_OK);
    assert_int_equal(hk_store_backup("/nonexistent-hookd", other, &info, &err), HK_ENOTFOUND);
    /* a destination that cannot be written: nothing left behind */
    char bad[320];
    snprintf(bad, sizeof bad, "%s/no-such-dir/copy.db", e->dir);
    assert_int_equal(hk_store_backup(e->dir, bad, &info, &err), HK_EIO);
    snprintf(partial, sizeof partial, "%s.partial", bad);
    assert_int_equal(access(partial, F_OK), -1);
}

/* Restore: the backup replaces the database (kept aside), after it was checked; a file that
 * is not a backup changes nothing. */
static void test_restore(void **state)
{
    test_env *e = *state;
    hk_bootstrap_result boot;
    hk_error err;
    assert_int_equal(hk_workspace_bootstrap(e->store, "restore", &boot, &err), HK_OK);
    assert_int_equal(hk_auth_api_key(e->store, boot.api_key, strlen(boot.api_key), &e->ctx, &err),
                     HK_OK);
    writer w = {e, 3, 0};
    write_customers(&w);
    char dest[300], target[300], path[400];
    snprintf(dest, sizeof dest, "%s/copy.db", e->dir);
    hk_backup_info info;
    assert_int_equal(hk_store_backup(e->dir, dest, &info, &err), HK_OK);

    /* a second store, with other content, restored over */
    snprintf(target, sizeof target, "%s/target", e->dir);
    hk_store_options o;
    hk_store_options_init(&o);
    o.data_dir = target;
    hk_store *other;
    assert_int_equal(hk_store_open(&o, &other, &err), HK_OK);
    hk_bootstrap_result other_boot;
    assert_int_equal(hk_workspace_bootstrap(other, "other", &other_boot, &err), HK_OK);
    hk_store_close(other);

    /* not a backup: refused, nothing changed */
    char junk[320];
    snprintf(junk, sizeof junk, "%s/junk.db", e->dir);
    FILE *f = fopen(junk, "w");
    assert_non_null(f);
    fputs("not a database, not even close to one, but long enough to look like a file\n", f);
    fclose(f);
    bool kept = true;
    assert_int_equal(hk_store_restore(target, junk, &info, &kept, &err), HK_EINVAL);
    assert_non_null(strstr(err.message, "not a hookd backup"));
    assert_false(kept);
    snprintf(path, sizeof path, "%s/hookd.db.before-restore", target);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(hk_store_restore(target, "/nonexistent-hookd.db", &info, &kept, &err),
                     HK_EINVAL);

    /* restored: the backup's workspace and customers; the old database aside, whole */
    assert_int_equal(hk_store_restore(target, dest, &info, &kept, &err), HK_OK);
    assert_true(kept);
    assert_int_equal(info.schema_version, hk_store_schema_version(e->store));
    assert_int_equal(customers_in(target, boot.api_key), 3);
    assert_int_equal(access(path, F_OK), 0);
    char aside_dir[320];
    snprintf(aside_dir, sizeof aside_dir, "%s/aside", e->dir);
    assert_int_equal(mkdir(aside_dir, 0700), 0);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/hookd.db'", path, aside_dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(customers_in(aside_dir, other_boot.api_key), 0); /* opens: its key works */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backup_while_writing, test_env_setup,
                                        test_env_teardown),
        cmocka_unit_test_setup_teardown(test_restore, test_env_setup, test_env_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
