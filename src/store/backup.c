#include "store/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    if (lstat(dest, &sb) == 0 || lstat(partial, &sb) == 0)
        return hk_error_set(err, HK_EINVAL, NULL, "%s already exists: back up to a new file",
                            lstat(dest, &sb) == 0 ? dest : partial);
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
