/*
 * test_store_wal.c - the SQLite WAL stays short under sustained writes
 * (store_sqlite.c, wal_limits): once it holds `restart` frames, the writer
 * starts it over with a RESTART checkpoint, even while readers keep reading
 * and writers leave no pause for a background checkpoint to catch up. Before,
 * the WAL grew for as long as the writes went on.
 *
 * The limits are lowered through the backend's test hook so that a few
 * thousand commits cross them many times. Everything written must survive
 * the restarts, and a reopening.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "store/store_backend.h"
#include "testutil.h"

#define CHECKPOINT_FRAMES 64
#define RESTART_FRAMES 256
#define WRITERS 4
#define PER_WRITER 1000
#define FRAME_BYTES (4096 + 24) /* a page and its frame header */

typedef struct shared {
    test_env *e;
    char wal_path[300];
    atomic_bool stop;
    atomic_long max_wal_bytes; /* the largest the WAL file was seen */
    atomic_long reads;
} shared;

typedef struct writer_arg {
    shared *sh;
    int id;
    hk_status failed; /* the first failure, HK_OK if none */
} writer_arg;

static void note_wal_size(shared *sh)
{
    struct stat st;
    if (stat(sh->wal_path, &st) != 0)
        return; /* not there yet */
    long seen = atomic_load(&sh->max_wal_bytes);
    while ((long)st.st_size > seen &&
           !atomic_compare_exchange_weak(&sh->max_wal_bytes, &seen, (long)st.st_size))
        ;
}

static void *writer_main(void *p)
{
    writer_arg *w = p;
    hk_arena *arena = hk_arena_new(0);
    hk_ctx ctx = w->sh->e->ctx;
    for (int i = 0; i < PER_WRITER && !w->failed; i++) {
        char email[64], name[64];
        snprintf(email, sizeof email, "w%d-%d@example.com", w->id, i);
        snprintf(name, sizeof name, "Writer %d number %d", w->id, i);
        hk_upsert_customer_input in = test_by_email(email, name);
        hk_upsert_result r;
        hk_customer c;
        hk_error err;
        hk_error_clear(&err);
        w->failed = hk_customer_upsert(&ctx, &in, arena, &r, &c, &err);
        hk_arena_reset(arena);
        note_wal_size(w->sh);
    }
    hk_arena_free(arena);
    return NULL;
}

/* Reads all along: a reader in the WAL is what a restart must wait out. */
static void *reader_main(void *p)
{
    shared *sh = p;
    hk_arena *arena = hk_arena_new(0);
    hk_ctx ctx = sh->e->ctx;
    while (!atomic_load(&sh->stop)) {
        hk_customer c;
        bool found;
        hk_error err;
        if (hk_customer_get(&ctx, HK_CUSTOMER_BY_EMAIL, "w0-0@example.com", arena, &c, &found,
                            &err) == HK_OK)
            atomic_fetch_add(&sh->reads, 1);
        hk_arena_reset(arena);
    }
    hk_arena_free(arena);
    return NULL;
}

/* A durable store: the checkpoints sync, and take as long as they do in
 * production relative to commits. */
static int setup(void **state)
{
    store_sqlite_debug_wal_limits(CHECKPOINT_FRAMES, RESTART_FRAMES);
    test_env *e = test_env_new();
    if (!e)
        return -1;
    *state = e;
    hk_store_close(e->store);
    if (test_env_open_store(e, true))
        return -1;
    e->ctx.store = e->other.store = e->store;
    return 0;
}

static void assert_all_there(test_env *e)
{
    store_counts n = test_counts(e, &e->ctx);
    assert_int_equal(n.customers, WRITERS * PER_WRITER);
    assert_int_equal(n.events, WRITERS * PER_WRITER); /* one customer.created each */
    for (int w = 0; w < WRITERS; w++) {
        char email[64];
        snprintf(email, sizeof email, "w%d-%d@example.com", w, PER_WRITER - 1);
        hk_customer c;
        bool found = false;
        hk_error err;
        assert_int_equal(
            hk_customer_get(&e->ctx, HK_CUSTOMER_BY_EMAIL, email, e->arena, &c, &found, &err),
            HK_OK);
        assert_true(found);
    }
}

static void test_wal_starts_over_under_sustained_writes(void **state)
{
    test_env *e = *state;
    shared sh = {.e = e};
    snprintf(sh.wal_path, sizeof sh.wal_path, "%s/hookd.db-wal", e->dir);
    pthread_t readers[2], writers[WRITERS];
    writer_arg args[WRITERS];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, reader_main, &sh), 0);
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (writer_arg){.sh = &sh, .id = i};
        assert_int_equal(pthread_create(&writers[i], NULL, writer_main, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(writers[i], NULL);
        assert_int_equal(args[i].failed, HK_OK);
    }
    atomic_store(&sh.stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(readers[i], NULL);
    assert_true(atomic_load(&sh.reads) > 0);

    /* Thousands of commits of several frames each: without restarts the WAL
     * ends up holding about 12,000 frames. With them it holds at most
     * 2 x `restart` (wal.force, where the writer waits out a checkpoint in
     * progress and restarts), plus one commit: 540 frames measured, 1,060 with
     * six copies of this test at once on two cores (load 16). Before the
     * writer waited, a busy machine saw 10,400 here. */
    long max_frames = atomic_load(&sh.max_wal_bytes) / FRAME_BYTES;
    print_message("WAL at most %ld frames (restart at %d)\n", max_frames, RESTART_FRAMES);
    assert_true(max_frames > 0);
    assert_true(max_frames <= 16 * RESTART_FRAMES);

    assert_all_there(e);
    hk_store_close(e->store);
    e->store = NULL;
    assert_int_equal(test_env_open_store(e, false), HK_OK);
    e->ctx.store = e->other.store = e->store;
    assert_all_there(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wal_starts_over_under_sustained_writes, setup,
                                        test_env_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
