/*
 * backup.h - a consistent copy of a store's database while hookd runs
 * (hookd backup).
 *
 * SQLite's VACUUM INTO writes a snapshot of the database, as of one read
 * transaction, into a new file: in WAL mode that never blocks the writer,
 * so deliveries and API writes go on meanwhile. The copy is also compacted
 * (free pages dropped). It is written next to its destination as
 * "<dest>.partial", synced, then renamed into place and its directory
 * synced: a crash never leaves a half-written file under the destination's
 * name. Then it is opened and checked (PRAGMA quick_check).
 *
 * Restoring (hk_store_restore, hookd restore) puts such a copy in place of
 * DATA_DIR/hookd.db while no server runs on the directory.
 *
 * A PostgreSQL store is backed up with pg_dump (hk_store_backup_pg), and
 * restored with pg_restore by the operator (docs/OPERATIONS.md).
 */
#ifndef HOOKD_STORE_BACKUP_H
#define HOOKD_STORE_BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef struct hk_backup_info {
    int64_t bytes;      /* the copy's size */
    int schema_version; /* as recorded in the copy */
} hk_backup_info;

/*
 * Copies DATA_DIR/hookd.db to `dest`, which must not exist (nor
 * "<dest>.partial"). HK_ENOTFOUND when there is no store in data_dir,
 * HK_EINVAL when dest (or its .partial) exists, HK_EIO with SQLite's or the
 * system's reason otherwise (dest is then not created).
 */
HK_MUST_CHECK hk_status hk_store_backup(const char *data_dir, const char *dest,
                                        hk_backup_info *info, hk_error *err);

/*
 * Dumps the hookd schema of the PostgreSQL database at `url` (the schema its
 * search_path names) to `dest` with pg_dump's custom format: one snapshot,
 * taken while nodes run. Written as "<dest>.partial", synced, renamed into
 * place, then checked with pg_restore --list (it must hold hookd's tables).
 * The URL's settings reach pg_dump through libpq's environment variables,
 * never its command line. HK_ENOTFOUND when the database has no hookd store,
 * HK_EINVAL when dest (or its .partial) exists or the URL does not parse,
 * HK_EIO otherwise (pg_dump missing or failing; dest is then not created).
 */
HK_MUST_CHECK hk_status hk_store_backup_pg(const char *url, const char *dest, hk_backup_info *info,
                                           hk_error *err);

/*
 * Makes the backup `src` the database of data_dir (created when missing).
 * The caller must hold the directory's instance lock (daemon/instance_lock.h):
 * no server may run on it. `src` is checked first (PRAGMA quick_check, and
 * a schema version this hookd knows: HK_EINVAL otherwise, nothing changed).
 * The database it replaces, if any, is checkpointed and kept as
 * hookd.db.before-restore (replacing an older one); the copy is written as
 * hookd.db.restoring, synced, and renamed into place. *previous_kept says
 * whether there was one. HK_EIO with the system's reason otherwise.
 */
HK_MUST_CHECK hk_status hk_store_restore(const char *data_dir, const char *src,
                                         hk_backup_info *info, bool *previous_kept, hk_error *err);

#endif
