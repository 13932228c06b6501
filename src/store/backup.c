#include "store/backup.h"

#include "store/sqlite_schema.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define BACKUP_BUSY_TIMEOUT_MS 10000

static hk_status sync_path(const char *path, int flags, hk_error *err)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return hk_error_set(err, HK_EIO, NULL, "cannot open %s: %s", path, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0)
        return hk_error_set(err, HK_EIO, NULL, "cannot sync %s: %s", path, strerror(saved));
    return HK_OK;
}

/* The directory holding `path`, synced so that a rename into it is durable. */
static hk_status sync_parent(const char *path, hk_error *err)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    return sync_path(dirname(copy), O_RDONLY | O_DIRECTORY, err);
}

static hk_status vacuum_into(const char *src, const char *partial, hk_error *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    hk_status st = HK_OK;
    /* Read-write so that it can take part in WAL (the -shm index); it writes nothing. */
    if (sqlite3_open_v2(src, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        st = hk_error_set(err, HK_EIO, NULL, "cannot open %s: %s", src,
                          db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db, BACKUP_BUSY_TIMEOUT_MS);
    if (sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &s, NULL) != SQLITE_OK) {
        st = hk_error_set(err, HK_EIO, NULL, "cannot back up %s: %s", src, sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_text(s, 1, partial, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        st = hk_error_set(err, HK_EIO, NULL, "cannot back up %s: %s", src, sqlite3_errmsg(db));
out:
    sqlite3_finalize(s);
    sqlite3_close(db);
    return st;
}

/* Opens the copy and checks it: quick_check says ok; reads its schema version. */
static hk_status check_copy(const char *path, hk_backup_info *info, hk_error *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    hk_status st = HK_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
        st = hk_error_set(err, HK_EIO, NULL, "the copy %s does not check out: %s", path,
                          s && sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0)
                          : db                           ? sqlite3_errmsg(db)
                                                         : "out of memory");
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        info->schema_version = sqlite3_column_int(s, 0);
out:
    sqlite3_finalize(s);
    sqlite3_close(db);
    return st;
}

hk_status hk_store_backup(const char *data_dir, const char *dest, hk_backup_info *info,
                          hk_error *err)
{
    memset(info, 0, sizeof *info);
    hk_error_clear(err);
    char src[4096], partial[4096];
    struct stat sb;
    if (snprintf(src, sizeof src, "%s/hookd.db", data_dir) >= (int)sizeof src ||
        snprintf(partial, sizeof partial, "%s.partial", dest) >= (int)sizeof partial)
        return hk_error_set(err, HK_EINVAL, NULL, "path too long");
    if (stat(src, &sb) != 0)
        return hk_error_set(err, HK_ENOTFOUND, NULL, "no store in %s", data_dir);
    const char *taken = lstat(dest, &sb) == 0 ? dest : lstat(partial, &sb) == 0 ? partial : NULL;
    if (taken)
        return hk_error_set(err, HK_EINVAL, NULL, "%s already exists: back up to a new file",
                            taken);
    hk_status st = vacuum_into(src, partial, err);
    if (!st)
        st = sync_path(partial, O_RDONLY, err);
    if (!st && rename(partial, dest) != 0)
        st = hk_error_set(err, HK_EIO, NULL, "cannot rename %s to %s: %s", partial, dest,
                          strerror(errno));
    if (st) {
        unlink(partial);
        return st;
    }
    st = sync_parent(dest, err);
    if (!st) {
        st = check_copy(dest, info, err);
        if (st)
            unlink(dest); /* a copy that does not check out is no backup */
    }
    if (!st && stat(dest, &sb) == 0)
        info->bytes = (int64_t)sb.st_size;
    return st;
}

/* Copies src to a new file dest (O_EXCL), synced. */
static hk_status copy_file(const char *src, const char *dest, hk_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return hk_error_set(err, HK_EIO, NULL, "cannot read %s: %s", src, strerror(errno));
    int out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        int saved = errno;
        close(in);
        return hk_error_set(err, HK_EIO, NULL, "cannot create %s: %s", dest, strerror(saved));
    }
    hk_status st = HK_OK;
    char buf[1 << 16];
    ssize_t n;
    while (!st && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = hk_error_set(err, HK_EIO, NULL, "cannot read %s: %s", src, strerror(errno));
            break;
        }
        for (ssize_t done = 0; !st && done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                st = hk_error_set(err, HK_EIO, NULL, "cannot write %s: %s", dest, strerror(errno));
            else
                done += w;
        }
    }
    if (!st && fsync(out) != 0)
        st = hk_error_set(err, HK_EIO, NULL, "cannot sync %s: %s", dest, strerror(errno));
    close(in);
    if (close(out) != 0 && !st)
        st = hk_error_set(err, HK_EIO, NULL, "cannot write %s: %s", dest, strerror(errno));
    if (st)
        unlink(dest);
    return st;
}

/* Folds the old database's WAL into it (no server runs), so that the file alone is whole. */
static hk_status checkpoint_old(const char *db_path, hk_error *err)
{
    sqlite3 *db = NULL;
    hk_status st = HK_OK;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
        st = hk_error_set(err, HK_EIO, NULL, "cannot checkpoint %s: %s", db_path,
                          db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return st;
}

/* The current database, if any, becomes hookd.db.before-restore; its -wal and -shm go. */
static hk_status set_aside(const char *dir, bool *kept, hk_error *err)
{
    char db[4096], aside[4200], side[4200];
    snprintf(db, sizeof db, "%s/hookd.db", dir);
    snprintf(aside, sizeof aside, "%s/hookd.db.before-restore", dir);
    struct stat sb;
    *kept = stat(db, &sb) == 0;
    if (*kept) {
        hk_status st = checkpoint_old(db, err);
        if (st)
            return st;
        if (rename(db, aside) != 0)
            return hk_error_set(err, HK_EIO, NULL, "cannot move %s aside: %s", db, strerror(errno));
    }
    static const char *const sides[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
        snprintf(side, sizeof side, "%s%s", db, sides[i]);
        if (unlink(side) != 0 && errno != ENOENT)
            return hk_error_set(err, HK_EIO, NULL, "cannot remove %s: %s", side, strerror(errno));
    }
    return HK_OK;
}

hk_status hk_store_restore(const char *data_dir, const char *src, hk_backup_info *info,
                           bool *previous_kept, hk_error *err)
{
    memset(info, 0, sizeof *info);
    *previous_kept = false;
    hk_error_clear(err);
    struct stat sb;
    if (stat(src, &sb) != 0 || !S_ISREG(sb.st_mode))
        return hk_error_set(err, HK_EINVAL, NULL, "%s is not a file", src);
    hk_error check;
    if (check_copy(src, info, &check) != HK_OK)
        return hk_error_set(err, HK_EINVAL, NULL, "%s is not a hookd backup: %s", src,
                            check.message);
    int known;
    (void)sqlite_schema_migrations(&known);
    if (info->schema_version < 1 || info->schema_version > known)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "%s has schema version %d; this hookd knows 1 to %d", src,
                            info->schema_version, known);
    info->bytes = (int64_t)sb.st_size;
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
        return hk_error_set(err, HK_EIO, NULL, "cannot create %s: %s", data_dir, strerror(errno));
    char db[4096], tmp[4200];
    snprintf(db, sizeof db, "%s/hookd.db", data_dir);
    snprintf(tmp, sizeof tmp, "%s.restoring", db);
    unlink(tmp); /* left by a restore that died: ours to replace, the lock is held */
    hk_status st = copy_file(src, tmp, err);
    if (!st)
        st = set_aside(data_dir, previous_kept, err);
    if (!st && rename(tmp, db) != 0) {
        st = hk_error_set(err, HK_EIO, NULL, "cannot move %s into place: %s", tmp, strerror(errno));
        char aside[4200];
        snprintf(aside, sizeof aside, "%s/hookd.db.before-restore", data_dir);
        if (*previous_kept && rename(aside, db) == 0) /* back as it was */
            *previous_kept = false;
    }
    if (st) {
        unlink(tmp);
        return st;
    }
    return sync_parent(db, err);
}

/* ---- PostgreSQL: pg_dump ---- */

/* The environment of pg_dump and pg_restore: ours, with the URL's settings as libpq's
 * variables (PGHOST, PGUSER, PGPASSWORD, PGOPTIONS...), so that no password appears on a
 * command line (which every local user can read in /proc). NULL when out of memory or the
 * URL does not parse (*bad set). Free with free_env. */
static char **env_for(const char *url, bool *bad)
{
    *bad = false;
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    if (!opts) {
        *bad = true;
        PQfreemem(msg);
        return NULL;
    }
    size_t n_env = 0, n_opts = 0;
    while (environ[n_env])
        n_env++;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        n_opts++;
    char **env = calloc(n_env + n_opts + 1, sizeof *env);
    size_t k = 0;
    bool ok = env != NULL;
    for (PQconninfoOption *o = opts; ok && o->keyword; o++) {
        if (!o->val || !o->envvar)
            continue;
        size_t len = strlen(o->envvar) + strlen(o->val) + 2;
        env[k] = malloc(len);
        ok = env[k] != NULL;
        if (ok)
            snprintf(env[k++], len, "%s=%s", o->envvar, o->val);
    }
    /* Ours after the URL's, without the libpq variables the URL sets. */
    for (size_t i = 0; ok && i < n_env; i++) {
        bool overridden = false;
        for (size_t j = 0; j < k && !overridden; j++) {
            size_t name = strcspn(env[j], "=") + 1;
            overridden = strncmp(environ[i], env[j], name) == 0;
        }
        if (!overridden) {
            env[k] = strdup(environ[i]);
            ok = env[k++] != NULL;
        }
    }
    PQconninfoFree(opts);
    if (!ok) {
        for (size_t i = 0; env && env[i]; i++)
            free(env[i]);
        free(env);
        return NULL;
    }
    return env;
}

static void free_env(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* Runs argv[0] (searched in PATH) with `env`; its standard output goes to `out` (fd, or
 * /dev/null when -1), its standard error to ours. HK_OK when it exited 0. */
static hk_status run_tool(char *const argv[], char **env, int out, hk_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
    else
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return hk_error_set(err, HK_EIO, NULL, "cannot run %s: %s (install postgresql-client)",
                            argv[0], strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return hk_error_set(err, HK_EIO, NULL, "%s: %s", argv[0], strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return hk_error_set(err, HK_EIO, NULL, "%s failed (%s %d)", argv[0],
                            WIFEXITED(status) ? "exit status" : "signal",
                            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return HK_OK;
}

/* hookd's schema in the database and its version; HK_ENOTFOUND when it has none. */
static hk_status pg_store_schema(const char *url, char *schema, size_t size, int *version,
                                 hk_error *err)
{
    PGconn *pg = PQconnectdb(url);
    hk_status st = HK_OK;
    if (PQstatus(pg) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(pg);
        st = hk_error_set(err, HK_EIO, NULL, "postgresql: cannot connect: %.*s",
                          (int)strcspn(msg, "\n"), msg);
        goto out;
    }
    PGresult *r = PQexec(pg, "SELECT current_schema(), to_regclass('hookd_schema') IS NOT NULL");
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0);
    bool there = ok && strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    if (ok)
        snprintf(schema, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!there) {
        st = hk_error_set(err, HK_ENOTFOUND, NULL, "no hookd store in this database");
        goto out;
    }
    r = PQexec(pg, "SELECT version FROM hookd_schema");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        *version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
out:
    PQfinish(pg);
    return st;
}

/* pg_restore --list reads the whole archive's table of contents: it must name hookd's
 * tables' data. */
static hk_status check_dump(const char *path, const char *schema, char **env, hk_error *err)
{
    char list[4200];
    snprintf(list, sizeof list, "%s.list", path);
    int fd = open(list, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return hk_error_set(err, HK_EIO, NULL, "cannot create %s: %s", list, strerror(errno));
    char *const argv[] = {"pg_restore", "--list", (char *)path, NULL};
    hk_status st = run_tool(argv, env, fd, err);
    char toc[1 << 16];
    ssize_t n = st ? 0 : pread(fd, toc, sizeof toc - 1, 0);
    toc[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(list);
    char want[256];
    snprintf(want, sizeof want, "TABLE DATA %s deliveries", schema);
    if (!st && (!strstr(toc, want) || !strstr(toc, "hookd_schema")))
        st = hk_error_set(err, HK_EIO, NULL, "the dump %s does not hold hookd's tables", path);
    return st;
}

hk_status hk_store_backup_pg(const char *url, const char *dest, hk_backup_info *info, hk_error *err)
{
    memset(info, 0, sizeof *info);
    hk_error_clear(err);
    char partial[4096], schema[256] = "", schema_arg[300], file_arg[4200];
    struct stat sb;
    if (snprintf(partial, sizeof partial, "%s.partial", dest) >= (int)sizeof partial)
        return hk_error_set(err, HK_EINVAL, NULL, "path too long");
    const char *taken = lstat(dest, &sb) == 0 ? dest : lstat(partial, &sb) == 0 ? partial : NULL;
    if (taken)
        return hk_error_set(err, HK_EINVAL, NULL, "%s already exists: back up to a new file",
                            taken);
    bool bad;
    char **env = env_for(url, &bad);
    if (!env)
        return bad ? hk_error_set(err, HK_EINVAL, NULL, "the database URL does not parse")
                   : hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    hk_status st = pg_store_schema(url, schema, sizeof schema, &info->schema_version, err);
    if (st)
        goto out;
    /* One snapshot of hookd's schema (pg_dump reads in one repeatable-read transaction,
     * beside the running nodes); the custom format is compressed and pg_restore's. */
    snprintf(schema_arg, sizeof schema_arg, "--schema=%s", schema);
    snprintf(file_arg, sizeof file_arg, "--file=%s", partial);
    char *const argv[] = {"pg_dump",  "--format=custom", "--no-password",
                          schema_arg, file_arg,          NULL};
    st = run_tool(argv, env, -1, err);
    if (!st)
        st = sync_path(partial, O_RDONLY, err);
    if (!st && rename(partial, dest) != 0)
        st = hk_error_set(err, HK_EIO, NULL, "cannot rename %s to %s: %s", partial, dest,
                          strerror(errno));
    if (st) {
        unlink(partial);
        goto out;
    }
    st = sync_parent(dest, err);
    if (!st) {
        st = check_dump(dest, schema, env, err);
        if (st)
            unlink(dest);
    }
    if (!st && stat(dest, &sb) == 0)
        info->bytes = (int64_t)sb.st_size;
out:
    free_env(env);
    return st;
}
