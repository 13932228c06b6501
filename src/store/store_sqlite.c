/*
 * store_sqlite.c - the SQLite backend of store_backend.h.
 *
 * One store_conn wraps one sqlite3 handle and its prepared statements
 * (prepared on first use, kept for the life of the connection). WAL mode:
 * readers never block the writer and see a consistent snapshot.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "domain/catalog.h"
#include "store/sqlite_schema.h"
#include "store/store_backend.h"

enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_SAVEPOINT,
    S_RELEASE,
    S_ROLLBACK_TO,
    S_READ_BEGIN,
    S_READ_END,
    S_WS_INSERT,
    S_WS_GET,
    S_MU_INSERT,
    S_MU_GET,
    S_KEY_INSERT,
    S_KEY_FIND,
    S_HMAC_GET,
    S_HMAC_SET,
    S_CU_BY_ID,
    S_CU_BY_EMAIL,
    S_CU_BY_EXTERNAL_ID,
    S_CU_MEMBERSHIPS,
    S_CU_INSERT,
    S_CU_UPDATE,
    S_CU_DELETE,
    S_CU_DELETE_MEMBERSHIPS,
    S_GR_BY_ID,
    S_GR_BY_KEY,
    S_GR_BY_EXTERNAL_ID,
    S_GR_INSERT,
    S_GR_UPDATE,
    S_GR_DELETE,
    S_GR_MEMBER_COUNT,
    S_GR_COUNT,
    S_MEM_INSERT,
    S_MEM_DELETE,
    S_TG_COUNT,
    S_TG_INSERT,
    S_TG_UPDATE,
    S_TG_DELETE,
    S_TG_GET,
    S_TG_LIST,
    S_SUB_INSERT,
    S_SUB_DELETE,
    S_SUB_LIST,
    S_EV_INSERT,
    S_DLV_CREATE,
    S_DLV_CANCEL,
    S_DLV_FAIL_ALL,
    S_DLV_CLAIM,
    S_DLV_LEASE,
    S_DLV_NEXT_DUE,
    S_DLV_DUE_TARGETS,
    S_DLV_UNBLOCK_NEXT,
    S_DLV_UNBLOCK_ALL,
    S_TG_HEALTH_OK,
    S_TG_HEALTH_FAIL,
    S_TG_AUTO_DISABLE,
    S_EV_GET,
    S_ATT_INSERT,
    S_DLV_DONE,
    S_DLV_DROP,
    S_DLV_RELEASE,
    S_ATT_LIST,
    S_DLV_REARM,
    S_DLV_REARM_FAILED,
    S_COUNTS,
    S_DLV_DUE_COUNT,
    S_PRUNE_WORKSPACES,
    S_PRUNE_PENDING,
    S_PRUNE_NEXT_TARGET,
    S_PRUNE_DLV_BOUND,
    S_PRUNE_ATTEMPTS,
    S_PRUNE_DLV,
    S_PRUNE_EV_BOUND,
    S_PRUNE_EV,
    S_KEY_LIST,
    S_KEY_LIST_ALL,
    S_KEY_DELETE,
    S_KEY_TOUCH,
    S_MU_FIRST,
    S_EV_DELIVERIES,
    STMT_COUNT
};

#define CUSTOMER_COLS                                                                              \
    "id, email, email_verified, email_verified_at, external_id, full_name, short_name, spam_at,"   \
    " spam_by, created_at, created_by, updated_at, updated_by"
#define GROUP_COLS                                                                                 \
    "id, name, key, color, external_id, created_at, created_by, updated_at, updated_by"
#define KEY_COLS                                                                                   \
    "id, workspace_id, machine_user_id, permissions, description, created_at, last_used_at"
#define TARGET_COLS                                                                                \
    "id, url, description, version, is_enabled, created_at, created_by, updated_at, updated_by,"   \
    " ordered_by_customer, max_rps, failing_since, auto_disabled_at"

static const char *const sql[STMT_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT m",
    [S_RELEASE] = "RELEASE m",
    [S_ROLLBACK_TO] = "ROLLBACK TO m",
    [S_READ_BEGIN] = "BEGIN",
    [S_READ_END] = "COMMIT",
    [S_WS_INSERT] = "INSERT INTO workspaces (id, name, created_at, created_by, updated_at,"
                    " updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_WS_GET] = "SELECT id, name, created_at, created_by, updated_at, updated_by"
                 " FROM workspaces WHERE id = ?1",
    [S_MU_INSERT] = "INSERT INTO machine_users (workspace_id, id, name, created_at)"
                    " VALUES (?1, ?2, ?3, ?4)",
    [S_MU_GET] = "SELECT name, created_at FROM machine_users WHERE workspace_id = ?1 AND id = ?2",
    [S_KEY_INSERT] = "INSERT INTO api_keys (key_hash, id, workspace_id, machine_user_id,"
                     " permissions, created_at, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_KEY_FIND] = "SELECT id, workspace_id, machine_user_id, permissions FROM api_keys"
                   " WHERE key_hash = ?1",
    [S_HMAC_GET] = "SELECT hmac_secret, hmac_created_at, hmac_created_by, hmac_updated_at,"
                   " hmac_updated_by FROM workspaces WHERE id = ?1",
    [S_HMAC_SET] = "UPDATE workspaces SET hmac_secret = ?2, hmac_updated_at = ?3,"
                   " hmac_updated_by = ?4, hmac_created_at = coalesce(hmac_created_at, ?3),"
                   " hmac_created_by = coalesce(hmac_created_by, ?4) WHERE id = ?1",
    [S_CU_BY_ID] = "SELECT " CUSTOMER_COLS " FROM customers WHERE workspace_id = ?1 AND id = ?2",
    [S_CU_BY_EMAIL] =
        "SELECT " CUSTOMER_COLS " FROM customers WHERE workspace_id = ?1 AND email_key = ?2",
    [S_CU_BY_EXTERNAL_ID] =
        "SELECT " CUSTOMER_COLS " FROM customers WHERE workspace_id = ?1 AND external_id = ?2",
    [S_CU_MEMBERSHIPS] =
        "SELECT m.group_id, m.created_at, m.created_by, m.updated_at, m.updated_by,"
        " g.id, g.name, g.key, g.color, g.external_id, g.created_at, g.created_by,"
        " g.updated_at, g.updated_by"
        " FROM memberships m JOIN customer_groups g"
        "  ON g.workspace_id = m.workspace_id AND g.id = m.group_id"
        " WHERE m.workspace_id = ?1 AND m.customer_id = ?2 ORDER BY m.created_at, m.group_id",
    [S_CU_INSERT] = "INSERT INTO customers (workspace_id, " CUSTOMER_COLS ", email_key)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [S_CU_UPDATE] = "UPDATE customers SET email = ?3, email_verified = ?4, email_verified_at = ?5,"
                    " external_id = ?6, full_name = ?7, short_name = ?8, spam_at = ?9,"
                    " spam_by = ?10, created_at = ?11, created_by = ?12, updated_at = ?13,"
                    " updated_by = ?14, email_key = ?15 WHERE workspace_id = ?1 AND id = ?2",
    [S_CU_DELETE] = "DELETE FROM customers WHERE workspace_id = ?1 AND id = ?2",
    [S_CU_DELETE_MEMBERSHIPS] = "DELETE FROM memberships WHERE workspace_id = ?1"
                                " AND customer_id = ?2",
    [S_GR_BY_ID] = "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = ?1 AND id = ?2",
    [S_GR_BY_KEY] =
        "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = ?1 AND key = ?2",
    /* Two rows at most: a second one makes the lookup ambiguous. */
    [S_GR_BY_EXTERNAL_ID] = "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = ?1"
                            " AND external_id = ?2 ORDER BY id LIMIT 2",
    [S_GR_INSERT] = "INSERT INTO customer_groups (workspace_id, " GROUP_COLS ")"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [S_GR_UPDATE] = "UPDATE customer_groups SET name = ?3, key = ?4, color = ?5, external_id = ?6,"
                    " created_at = ?7, created_by = ?8, updated_at = ?9, updated_by = ?10"
                    " WHERE workspace_id = ?1 AND id = ?2",
    [S_GR_DELETE] = "DELETE FROM customer_groups WHERE workspace_id = ?1 AND id = ?2",
    [S_GR_MEMBER_COUNT] = "SELECT count(*) FROM memberships WHERE workspace_id = ?1"
                          " AND group_id = ?2",
    [S_GR_COUNT] = "SELECT count(*) FROM customer_groups WHERE workspace_id = ?1",
    [S_MEM_INSERT] = "INSERT INTO memberships (workspace_id, customer_id, group_id, created_at,"
                     " created_by, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_MEM_DELETE] = "DELETE FROM memberships WHERE workspace_id = ?1 AND customer_id = ?2"
                     " AND group_id = ?3",
    [S_TG_COUNT] = "SELECT count(*) FROM webhook_targets WHERE workspace_id = ?1",
    [S_TG_INSERT] = "INSERT INTO webhook_targets (workspace_id, " TARGET_COLS ")"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [S_TG_UPDATE] = "UPDATE webhook_targets SET url = ?3, description = ?4, version = ?5,"
                    " is_enabled = ?6, created_at = ?7, created_by = ?8, updated_at = ?9,"
                    " updated_by = ?10, ordered_by_customer = ?11, max_rps = ?12,"
                    " failing_since = ?13, auto_disabled_at = ?14"
                    " WHERE workspace_id = ?1 AND id = ?2",
    [S_TG_HEALTH_OK] = "UPDATE webhook_targets SET failing_since = NULL"
                       " WHERE workspace_id = ?1 AND id = ?2 RETURNING failing_since, is_enabled",
    [S_TG_HEALTH_FAIL] = "UPDATE webhook_targets SET failing_since = coalesce(failing_since, ?3)"
                         " WHERE workspace_id = ?1 AND id = ?2 RETURNING failing_since, is_enabled",
    [S_TG_AUTO_DISABLE] = "UPDATE webhook_targets SET is_enabled = 0, auto_disabled_at = ?3,"
                          " updated_at = ?3, updated_by = ?4 WHERE workspace_id = ?1 AND id = ?2",
    [S_TG_DELETE] = "DELETE FROM webhook_targets WHERE workspace_id = ?1 AND id = ?2",
    [S_TG_GET] = "SELECT " TARGET_COLS " FROM webhook_targets WHERE workspace_id = ?1 AND id = ?2",
    [S_TG_LIST] = "SELECT " TARGET_COLS " FROM webhook_targets WHERE workspace_id = ?1 ORDER BY id",
    [S_SUB_INSERT] = "INSERT INTO target_subscriptions (workspace_id, event_type, target_id,"
                     " position) VALUES (?1, ?2, ?3, ?4)",
    [S_SUB_DELETE] = "DELETE FROM target_subscriptions WHERE workspace_id = ?1 AND target_id = ?2",
    [S_SUB_LIST] = "SELECT event_type FROM target_subscriptions WHERE workspace_id = ?1"
                   " AND target_id = ?2 ORDER BY position",
    [S_EV_INSERT] = "INSERT INTO events (id, workspace_id, type, timestamp, payload, customer_id)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* An ordered target's delivery waits, with no due time, while an earlier
     * one of the same customer is pending there. RETURNING names the targets
     * given a delivery due now, for the dispatcher. */
    [S_DLV_CREATE] = "INSERT INTO deliveries (workspace_id, event_id, target_id, status, attempts,"
                     " next_attempt_at, created_at, updated_at, customer_id)"
                     " SELECT ?1, ?2, s.target_id, 0, 0,"
                     "  CASE WHEN t.ordered_by_customer = 1 AND EXISTS (SELECT 1 FROM deliveries p"
                     "   INDEXED BY deliveries_customer WHERE p.workspace_id = ?1"
                     "   AND p.target_id = s.target_id AND p.customer_id = ?5 AND p.status = 0)"
                     "  THEN NULL ELSE ?4 END, ?4, ?4,"
                     "  CASE WHEN t.ordered_by_customer = 1 THEN ?5 END"
                     " FROM target_subscriptions s JOIN webhook_targets t"
                     "  ON t.workspace_id = s.workspace_id AND t.id = s.target_id"
                     " WHERE s.workspace_id = ?1 AND s.event_type = ?3 AND t.is_enabled = 1"
                     " RETURNING target_id, next_attempt_at",
    [S_DLV_CANCEL] = "UPDATE deliveries SET status = 3, updated_at = ?3, lease_until = NULL"
                     " WHERE workspace_id = ?1 AND target_id = ?2 AND status = 0",
    [S_DLV_FAIL_ALL] = "UPDATE deliveries SET status = 2, updated_at = ?3, lease_until = NULL,"
                       " next_attempt_at = NULL"
                       " WHERE workspace_id = ?1 AND target_id = ?2 AND status = 0",
    /* A lease moves the delivery's due time to the lease's end: a claim then
     * reads only due rows off the deliveries_due_by_target index, instead of
     * stepping over every leased one (held by the dispatcher, up to hundreds)
     * and looking up its lease in the table, which made a claim cost O(held). */
    [S_DLV_CLAIM] = "SELECT workspace_id, target_id, event_id, status, attempts, next_attempt_at,"
                    " created_at, updated_at, customer_id FROM deliveries"
                    " WHERE workspace_id = ?1 AND target_id = ?2 AND status = 0"
                    " AND next_attempt_at <= ?3 ORDER BY next_attempt_at LIMIT ?4",
    [S_DLV_LEASE] = "UPDATE deliveries SET lease_until = ?4, next_attempt_at = ?4"
                    " WHERE workspace_id = ?1 AND target_id = ?2 AND event_id = ?3",
    [S_DLV_NEXT_DUE] = "SELECT next_attempt_at FROM deliveries WHERE workspace_id = ?1"
                       " AND target_id = ?2 AND status = 0 AND next_attempt_at IS NOT NULL"
                       " ORDER BY next_attempt_at LIMIT 1",
    /* One step of a loose index scan: the next target after (?1, ?2) with a
     * pending, timed delivery, and its earliest time (one seek). */
    [S_DLV_DUE_TARGETS] = "SELECT workspace_id, target_id, next_attempt_at FROM deliveries"
                          " WHERE status = 0 AND next_attempt_at IS NOT NULL"
                          " AND (workspace_id, target_id) > (?1, ?2)"
                          " ORDER BY workspace_id, target_id, next_attempt_at LIMIT 1",
    [S_DLV_UNBLOCK_NEXT] =
        "UPDATE deliveries SET next_attempt_at = ?4, updated_at = ?4"
        " WHERE workspace_id = ?1 AND target_id = ?2 AND status = 0 AND next_attempt_at IS NULL"
        " AND event_id = (SELECT event_id FROM deliveries INDEXED BY deliveries_customer"
        "  WHERE workspace_id = ?1 AND target_id = ?2 AND customer_id = ?3 AND status = 0"
        "  ORDER BY event_id LIMIT 1)",
    [S_DLV_UNBLOCK_ALL] = "UPDATE deliveries INDEXED BY deliveries_customer"
                          " SET next_attempt_at = ?3, updated_at = ?3"
                          " WHERE workspace_id = ?1 AND target_id = ?2 AND status = 0"
                          " AND customer_id IS NOT NULL AND next_attempt_at IS NULL",
    [S_EV_GET] = "SELECT type, timestamp, payload, customer_id FROM events"
                 " WHERE workspace_id = ?1 AND id = ?2",
    [S_ATT_INSERT] =
        "INSERT OR IGNORE INTO attempts (workspace_id, target_id, event_id, number, id,"
        " started_at, duration_ms, status_code, error, response_excerpt, sent_version,"
        " sent_signature, sent_basic_auth, sent_user_agent)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [S_DLV_DONE] = "UPDATE deliveries SET status = ?4, attempts = max(attempts, ?5),"
                   " next_attempt_at = ?6, lease_until = NULL, updated_at = ?7"
                   " WHERE workspace_id = ?1 AND target_id = ?2 AND event_id = ?3 AND status = 0",
    [S_DLV_DROP] = "UPDATE deliveries SET status = 3, lease_until = NULL, updated_at = ?4"
                   " WHERE workspace_id = ?1 AND target_id = ?2 AND event_id = ?3 AND status = 0",
    /* Only pending deliveries hold leases (every other transition clears them). */
    [S_DLV_RELEASE] = "UPDATE deliveries SET lease_until = NULL, next_attempt_at = ?1,"
                      " updated_at = ?1 WHERE status = 0 AND lease_until IS NOT NULL",
    [S_ATT_LIST] = "SELECT id, number, started_at, duration_ms, status_code, error,"
                   " response_excerpt, sent_version, sent_signature, sent_basic_auth,"
                   " sent_user_agent FROM attempts WHERE workspace_id = ?1 AND target_id = ?2"
                   " AND event_id = ?3 ORDER BY number",
    [S_DLV_REARM] = "INSERT INTO deliveries (workspace_id, target_id, event_id, status, attempts,"
                    " next_attempt_at, created_at, updated_at) VALUES (?1, ?2, ?3, 0, 0, ?4, ?4,"
                    " ?4) ON CONFLICT (workspace_id, target_id, event_id) DO UPDATE SET"
                    " status = 0, next_attempt_at = ?4, lease_until = NULL, updated_at = ?4",
    [S_DLV_REARM_FAILED] =
        "UPDATE deliveries SET status = 0, next_attempt_at = ?4, lease_until = NULL,"
        " updated_at = ?4 WHERE workspace_id = ?1 AND target_id = ?2 AND status = 2"
        " AND EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = ?1"
        " AND e.id = deliveries.event_id AND e.timestamp >= ?3)",
    [S_COUNTS] = "SELECT (SELECT count(*) FROM customers WHERE workspace_id = ?1),"
                 " (SELECT count(*) FROM customer_groups WHERE workspace_id = ?1),"
                 " (SELECT count(*) FROM memberships WHERE workspace_id = ?1),"
                 " (SELECT count(*) FROM webhook_targets WHERE workspace_id = ?1),"
                 " (SELECT count(*) FROM events WHERE workspace_id = ?1),"
                 " (SELECT count(*) FROM deliveries WHERE workspace_id = ?1 AND status = 0),"
                 " (SELECT count(*) FROM deliveries WHERE workspace_id = ?1 AND status = 3)",
    /* Capped: a count walks the index, and a backlog can be millions long. */
    [S_DLV_DUE_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE workspace_id = ?1"
                        " AND target_id = ?2 AND status = 0 AND next_attempt_at <= ?3 LIMIT ?4)",
    /* Retention (events_prune): every statement is a range of a primary key or
     * index. The pending minimum reads the deliveries_due_by_target index
     * alone (the planner would scan the table: it has no statistics to prefer
     * it). Rows left out of that index (waiting for an earlier delivery of
     * their customer) never hold the minimum: that earlier one is in it. */
    [S_PRUNE_WORKSPACES] = "SELECT id FROM workspaces ORDER BY id",
    [S_PRUNE_PENDING] = "SELECT workspace_id, min(event_id) FROM deliveries"
                        " INDEXED BY deliveries_due_by_target"
                        " WHERE status = 0 AND next_attempt_at IS NOT NULL GROUP BY workspace_id",
    [S_PRUNE_NEXT_TARGET] = "SELECT target_id FROM deliveries WHERE workspace_id = ?1"
                            " AND target_id > ?2 ORDER BY target_id LIMIT 1",
    [S_PRUNE_DLV_BOUND] = "SELECT event_id FROM deliveries WHERE workspace_id = ?1"
                          " AND target_id = ?2 AND event_id < ?3 ORDER BY event_id"
                          " LIMIT 1 OFFSET ?4",
    [S_PRUNE_ATTEMPTS] = "DELETE FROM attempts WHERE workspace_id = ?1 AND target_id = ?2"
                         " AND event_id < ?3",
    [S_PRUNE_DLV] = "DELETE FROM deliveries WHERE workspace_id = ?1 AND target_id = ?2"
                    " AND event_id < ?3",
    [S_PRUNE_EV_BOUND] = "SELECT id FROM events WHERE workspace_id = ?1 AND id < ?2"
                         " ORDER BY id LIMIT 1 OFFSET ?3",
    [S_PRUNE_EV] = "DELETE FROM events WHERE workspace_id = ?1 AND id < ?2",
    [S_KEY_LIST] = "SELECT " KEY_COLS " FROM api_keys WHERE workspace_id = ?1 ORDER BY id",
    [S_KEY_LIST_ALL] = "SELECT " KEY_COLS " FROM api_keys ORDER BY workspace_id, id",
    [S_KEY_DELETE] = "DELETE FROM api_keys WHERE id = ?1",
    /* Never back: another node may have written a later use already. */
    [S_KEY_TOUCH] = "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1"
                    " AND (last_used_at IS NULL OR last_used_at < ?2)",
    [S_MU_FIRST] = "SELECT id FROM machine_users WHERE workspace_id = ?1"
                   " ORDER BY created_at, id LIMIT 1",
    /* An event's deliveries, to the targets that still exist: a point lookup
     * in the deliveries key per target (a workspace has at most 25), where
     * "every delivery of this event" would scan the workspace's deliveries. */
    [S_EV_DELIVERIES] =
        "SELECT d.workspace_id, d.target_id, d.event_id, d.status, d.attempts,"
        " d.next_attempt_at, d.created_at, d.updated_at, d.customer_id, e.type"
        " FROM webhook_targets t"
        " JOIN deliveries d ON d.workspace_id = t.workspace_id AND d.target_id = t.id"
        "  AND d.event_id = ?2"
        " JOIN events e ON e.workspace_id = d.workspace_id AND e.id = d.event_id"
        " WHERE t.workspace_id = ?1 ORDER BY t.id",
};

/*
 * Checkpoints run on a thread of their own (writer connections only): with
 * SQLite's automatic checkpoints the writer would copy WAL pages into the
 * database and fsync it inside a commit, stalling every caller of that
 * batch. A PASSIVE checkpoint on another connection never blocks the writer.
 *
 * It runs when wal.checkpoint frames are waiting to be copied. (It used to
 * run whenever the WAL held that many frames: under sustained writes the WAL
 * never shrank, so that was after nearly every commit, 27,320 checkpoints
 * for 30,245 commits in one 20 s run, each copying the same few hot pages
 * again and syncing the database.) Many commits' frames in one checkpoint
 * cost one sync, and a page changed by all of them is copied once.
 *
 * The WAL starts over from its beginning only when a write transaction
 * begins while every frame is copied. A background checkpointer racing a
 * busy writer almost never leaves it so, and the WAL grew without end (to
 * 560 MiB in 6 s): every commit then appended past the end of the file,
 * and its fdatasync also wrote the inode. So once the WAL holds wal.restart
 * frames, the writer itself, before its next transaction, copies what is
 * left with a RESTART checkpoint: it holds the write lock, so it catches
 * up, and it waits briefly for readers to leave the WAL. The next
 * transaction then overwrites the WAL from its start, in blocks already
 * allocated. The writer's copy is kept small: past wal.restart the
 * checkpointer is woken at wal.backlog frames behind, and the writer
 * restarts when it is idle and at most that far behind (or, whatever the
 * backlog, once the WAL holds wal.force frames).
 */
typedef struct wal_limits {
    int checkpoint, restart, backlog, force; /* in WAL frames (pages) */
} wal_limits;
static wal_limits wal = {
    .checkpoint = 4000, /* ~16 MiB of WAL */
    .restart = 16000,   /* ~64 MiB */
    .backlog = 1000,
    .force = 32000,
};
#define BUSY_TIMEOUT_MS 10000
/* How long the writer's RESTART checkpoint waits for readers still in the
 * WAL, in 100 us polls for each lock it needs: readers are short, and
 * meanwhile nobody can write. Past it the checkpoint ends as a PASSIVE one,
 * and the restart is tried again after a later commit. */
#define RESTART_READER_POLLS 50
/* How long the writer waits, at most, for the checkpointer's run to end before a
 * restart past wal.force (a passive checkpoint never waits for locks: it ends). */
#define RESTART_WAIT_S 1

typedef struct checkpointer {
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards what follows, up to db */
    pthread_cond_t wake;
    pthread_cond_t idle; /* signalled when a checkpoint ends (running turns false) */
    bool stop;
    bool wanted;      /* the checkpointer should run */
    bool running;     /* a checkpoint is in progress, on either connection */
    bool restart_due; /* the writer should restart the WAL before its next transaction */
    int wal_pages;    /* frames in the WAL, after the last commit */
    int backfilled;   /* of those, copied into the database */
    uint64_t runs[2]; /* checkpoints: the checkpointer's, the writer's restarts */
    sqlite3 *db;      /* the checkpointer's own connection */
    /* A checkpoint's fsync failed: no checkpoint runs again. SQLite would
     * copy the same frames and fsync again, and a retried fsync may succeed
     * for pages the OS dropped, after which the WAL could be reset over the
     * only good copy. The store stops writing (store_backend.h). */
    atomic_bool sync_failed;
} checkpointer;

struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT];
    int fail_countdown;      /* > 0: the write that brings it to 0 fails */
    int fail_sync_countdown; /* > 0: the commit that brings it to 0 reports a failed fsync */
    int last_rc;             /* extended code of the last error db_error saw */
    int logged_rc;           /* log_db_error: the error last logged, when, and */
    int64_t logged_at;       /* how many repeats of it were not logged since */
    unsigned log_suppressed;
    checkpointer *ckpt; /* writer only */
};

/* ---- statement plumbing ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Logs a database error, but the same error of the same connection again
 * within ERROR_LOG_WINDOW_MS only counts: a full or failing disk fails every
 * statement of every batch, and a fault test saw ~1,700 identical lines in
 * 4 s, which bury the first one and can fill the disk the log is on. The
 * count is reported with the next line logged for this connection.
 */
#define ERROR_LOG_WINDOW_MS 5000

static void log_db_error(store_conn *c, const char *what, int rc)
{
    int64_t now = mono_ms();
    if (rc == c->logged_rc && now - c->logged_at < ERROR_LOG_WINDOW_MS) {
        c->log_suppressed++;
        return;
    }
    if (c->log_suppressed)
        hk_log_error("sqlite: %s: %s (%d) [%u more errors (%d) of this connection not logged]",
                     what, sqlite3_errmsg(c->db), rc, c->log_suppressed, c->logged_rc);
    else
        hk_log_error("sqlite: %s: %s (%d)", what, sqlite3_errmsg(c->db), rc);
    c->logged_rc = rc;
    c->logged_at = now;
    c->log_suppressed = 0;
}

static hk_status db_error(store_conn *c, const char *what)
{
    int rc = sqlite3_extended_errcode(c->db);
    c->last_rc = rc;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return HK_ECONFLICT;
    if (rc == SQLITE_NOMEM)
        return HK_ENOMEM;
    log_db_error(c, what, rc);
    return HK_EIO;
}

/* The statement, reset and with bindings cleared; NULL on failure. */
static sqlite3_stmt *stmt(store_conn *c, enum stmt_id id)
{
    sqlite3_stmt *s = c->stmts[id];
    if (!s) {
        if (sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
            SQLITE_OK) {
            hk_log_error("sqlite: prepare: %s: %s", sqlite3_errmsg(c->db), sql[id]);
            return NULL;
        }
        c->stmts[id] = s;
    }
    return s;
}

static void done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Runs a statement that returns no rows. */
static hk_status exec_write(store_conn *c, sqlite3_stmt *s)
{
    if (c->fail_countdown > 0 && --c->fail_countdown == 0) {
        done(s);
        return HK_EIO;
    }
    int rc = sqlite3_step(s);
    hk_status st = rc == SQLITE_DONE ? HK_OK : db_error(c, "write");
    done(s);
    return st;
}

static hk_status exec_simple(store_conn *c, enum stmt_id id)
{
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    int rc = sqlite3_step(s);
    hk_status st = rc == SQLITE_DONE ? HK_OK : db_error(c, sql[id]);
    done(s);
    return st;
}

/* Steps a lookup of at most one row: *row is true when it is there (read
 * it before done()), false when there is none. */
static hk_status step_one(store_conn *c, sqlite3_stmt *s, const char *what, bool *row)
{
    int rc = sqlite3_step(s);
    *row = rc == SQLITE_ROW;
    return *row || rc == SQLITE_DONE ? HK_OK : db_error(c, what);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bind_time(sqlite3_stmt *s, int i, int64_t t)
{
    if (t == HK_TIME_NONE)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int64(s, i, t);
}

/* Runs a write statement whose parameters are (?1 workspace, ?2 target, ?3
 * time), the shape of most changes to a target's deliveries; *changes
 * (unless NULL) gets the rows it changed. */
static hk_status exec_target_write(store_conn *c, enum stmt_id id, const char *ws,
                                   const char *target_id, int64_t at, size_t *changes)
{
    if (changes)
        *changes = 0;
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    sqlite3_bind_int64(s, 3, at);
    hk_status st = exec_write(c, s);
    if (!st && changes)
        *changes = (size_t)sqlite3_changes(c->db);
    return st;
}

static int64_t col_time(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? HK_TIME_NONE : sqlite3_column_int64(s, i);
}

/* Room for one more item in an arena array of n items of `size` bytes: the array itself while
 * it has room, else a copy twice as large (8 items at first). NULL when out of memory. */
static void *arena_reserve(hk_arena *a, void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t ncap = *cap ? 2 * *cap : 8;
    void *grown = hk_arena_alloc(a, ncap * size);
    if (!grown)
        return NULL;
    if (n)
        memcpy(grown, items, n * size);
    *cap = ncap;
    return grown;
}

/* Copies a text column into the arena: *out NULL for SQL NULL. */
static hk_status col_str(sqlite3_stmt *s, int i, hk_arena *a, const char **out)
{
    *out = NULL;
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return HK_OK;
    const char *v = (const char *)sqlite3_column_text(s, i);
    int n = sqlite3_column_bytes(s, i);
    *out = hk_arena_strndup(a, v ? v : "", (size_t)n);
    return *out ? HK_OK : HK_ENOMEM;
}

static void col_id(sqlite3_stmt *s, int i, char out[HK_ID_MAX])
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    snprintf(out, HK_ID_MAX, "%s", v ? v : "");
}

/* ---- actors as text ---- */

#define ACTOR_TEXT_MAX (HK_ACTOR_ID_MAX + 8)

static void actor_encode(const hk_actor *a, char out[ACTOR_TEXT_MAX])
{
    if (a->type == HK_ACTOR_SYSTEM)
        snprintf(out, ACTOR_TEXT_MAX, "system:%s", a->id);
    else
        snprintf(out, ACTOR_TEXT_MAX, "%s", a->id);
}

static void col_actor(sqlite3_stmt *s, int i, hk_actor *a)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    if (!v)
        v = "";
    memset(a, 0, sizeof *a);
    if (strncmp(v, "system:", 7) == 0) {
        a->type = HK_ACTOR_SYSTEM;
        v += 7;
    } else if (strncmp(v, "mu_", 3) == 0) {
        a->type = HK_ACTOR_MACHINE_USER;
    } else if (strncmp(v, "c_", 2) == 0) {
        a->type = HK_ACTOR_CUSTOMER;
    } else {
        a->type = HK_ACTOR_USER;
    }
    snprintf(a->id, sizeof a->id, "%s", v);
}

static void bind_actor(sqlite3_stmt *s, int i, const hk_actor *a)
{
    char text[ACTOR_TEXT_MAX];
    actor_encode(a, text);
    sqlite3_bind_text(s, i, text, -1, SQLITE_TRANSIENT);
}

/* Binds created_at, created_by, updated_at, updated_by to ?first..?first+3. */
static void bind_stamps(sqlite3_stmt *s, int first, int64_t created_at, const hk_actor *created_by,
                        int64_t updated_at, const hk_actor *updated_by)
{
    sqlite3_bind_int64(s, first, created_at);
    bind_actor(s, first + 1, created_by);
    sqlite3_bind_int64(s, first + 2, updated_at);
    bind_actor(s, first + 3, updated_by);
}

/* ---- connections ---- */

/*
 * The WAL file is cut back to this size when it restarts past it. It
 * restarts at about 64 MiB (wal.restart), so only a WAL that grew while
 * nothing could be checkpointed (a reader held an old snapshot) is cut.
 * When it restarted wherever a checkpoint happened to catch up, under load
 * it hovered around 64-130 MiB; cut at 64 MiB it was
 * truncated at most restarts and grew again right after, and each time the
 * truncate (up to 8 ms, inside a commit) and the new blocks (whose metadata
 * the next fdatasync must write too) stalled commits. At 5,000 upserts/s
 * after 20 s of closed loop, six runs each: p99 4.3-481 ms (median 9.2)
 * with the 64 MiB cut, 5.4-34.8 ms (median 8.4) without it.
 */
#define WAL_SIZE_LIMIT "268435456" /* 256 MiB */

static hk_status apply_pragmas(store_conn *c, bool durable, store_role role, hk_error *err)
{
    char pragmas[512];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA busy_timeout = %d;"
             "PRAGMA journal_mode = WAL;"
             "PRAGMA synchronous = %s;"
             "PRAGMA cache_size = -65536;"
             "PRAGMA journal_size_limit = " WAL_SIZE_LIMIT ";"
             "PRAGMA temp_store = MEMORY;"
             "PRAGMA query_only = %d;",
             BUSY_TIMEOUT_MS, durable ? "FULL" : "OFF", role == STORE_ROLE_READER);
    char *msg = NULL;
    if (sqlite3_exec(c->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        hk_status st =
            hk_error_set(err, HK_EIO, NULL, "sqlite: cannot configure: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return st;
    }
    return HK_OK;
}

/*
 * The database file grows in large chunks. Checkpoints write into the
 * database file; when those writes allocate new blocks, ext4 (ordered mode)
 * makes the next fsync of the WAL wait for them too, and commits stalled
 * for up to 0.2 s behind each checkpoint. Blocks allocated ahead of time are
 * overwritten in place and carry no such dependency.
 */
#define DB_CHUNK_BYTES (64 << 20)

static void grow_in_chunks(sqlite3 *db)
{
    int chunk = DB_CHUNK_BYTES;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_CHUNK_SIZE, &chunk);
}

/* After every commit on the writer connection: decides whether the
 * checkpointer runs, or the writer restarts the WAL. Under k->lock. */
static void plan_checkpoint(checkpointer *k, int pages)
{
    if (pages < k->wal_pages || k->backfilled > pages)
        k->backfilled = 0; /* the WAL started over */
    k->wal_pages = pages;
    if (atomic_load(&k->sync_failed))
        return;
    /* Even while a checkpoint runs: the writer waits it out (restart_wal_if_due). */
    if (pages >= wal.force) {
        k->restart_due = true;
        return;
    }
    if (k->running)
        return;
    int backlog = pages - k->backfilled;
    if (pages >= wal.restart && backlog <= wal.backlog) {
        k->restart_due = true;
    } else if (backlog >= (pages >= wal.restart ? wal.backlog : wal.checkpoint)) {
        k->wanted = true;
        pthread_cond_signal(&k->wake);
    }
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    checkpointer *k = arg;
    pthread_mutex_lock(&k->lock);
    plan_checkpoint(k, pages);
    pthread_mutex_unlock(&k->lock);
    return SQLITE_OK;
}

/* One checkpoint on `db` (the checkpointer's or the writer's connection),
 * `running` already claimed. Records how far it copied, and a failed sync
 * (after which none runs again). */
static void checkpoint(checkpointer *k, sqlite3 *db, int mode)
{
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, mode, &log, &copied);
    int ext = sqlite3_extended_errcode(db);
    if (rc != SQLITE_OK && (ext == SQLITE_IOERR_FSYNC || ext == SQLITE_IOERR_DIR_FSYNC)) {
        atomic_store(&k->sync_failed, true);
        hk_log_error("sqlite: a checkpoint could not make the database durable (%s): no "
                     "checkpoint runs again and the store stops writing; restart hookd",
                     sqlite3_errmsg(db));
    } else if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        hk_log_warn("sqlite: checkpoint: %s", sqlite3_errmsg(db));
    }
    pthread_mutex_lock(&k->lock);
    k->running = false;
    pthread_cond_broadcast(&k->idle);
    /* On SQLITE_BUSY the counts still tell how far it got. */
    if ((rc == SQLITE_OK || rc == SQLITE_BUSY) && copied >= 0)
        k->backfilled = copied;
    k->runs[mode == SQLITE_CHECKPOINT_PASSIVE ? 0 : 1]++;
    pthread_mutex_unlock(&k->lock);
}

static void *checkpoint_main(void *arg)
{
    checkpointer *k = arg;
    pthread_setname_np(pthread_self(), "hk-checkpoint"); /* for top -H, perf */
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        if (!k->wanted || k->running || atomic_load(&k->sync_failed)) {
            pthread_cond_wait(&k->wake, &k->lock);
            continue;
        }
        k->wanted = false;
        k->running = true;
        pthread_mutex_unlock(&k->lock);
        checkpoint(k, k->db, SQLITE_CHECKPOINT_PASSIVE);
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

static int brief_wait(void *arg, int tries)
{
    (void)arg;
    if (tries >= RESTART_READER_POLLS)
        return 0;
    usleep(100);
    return 1;
}

/* The writer, between transactions: the RESTART checkpoint that lets the
 * next transaction start the WAL over (see wal_limits). */
static void restart_wal_if_due(store_conn *c)
{
    checkpointer *k = c->ckpt;
    pthread_mutex_lock(&k->lock);
    bool due = k->restart_due && !atomic_load(&k->sync_failed);
    k->restart_due = false;
    /* Past wal.force the writer waits out the checkpointer's run, which catches up
     * meanwhile (nothing is written). Skipping the restart whenever one ran let a busy
     * writer find one running every time, and the WAL grew on: to 40 times wal.restart
     * in test_store_wal on a loaded machine, as far as with no restarts at all. */
    if (due && k->running) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += RESTART_WAIT_S;
        while (k->running && pthread_cond_timedwait(&k->idle, &k->lock, &until) == 0)
            ;
        due = !k->running;
    }
    if (due)
        k->running = true;
    pthread_mutex_unlock(&k->lock);
    if (!due)
        return;
    sqlite3_busy_handler(c->db, brief_wait, NULL);
    checkpoint(k, c->db, SQLITE_CHECKPOINT_RESTART);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
}

static void checkpointer_stop(checkpointer *k)
{
    if (!k)
        return;
    if (k->started) {
        pthread_mutex_lock(&k->lock);
        k->stop = true;
        pthread_cond_signal(&k->wake);
        pthread_mutex_unlock(&k->lock);
        pthread_join(k->thread, NULL);
        hk_log_debug("sqlite: %" PRIu64 " checkpoints, %" PRIu64 " WAL restarts by the writer",
                     k->runs[0], k->runs[1]);
    }
    sqlite3_close(k->db);
    pthread_mutex_destroy(&k->lock);
    pthread_cond_destroy(&k->wake);
    pthread_cond_destroy(&k->idle);
    free(k);
}

void store_sqlite_debug_wal_limits(int checkpoint, int restart)
{
    wal = (wal_limits){checkpoint, restart, checkpoint / 4 + 1, 2 * restart};
}

static hk_status checkpointer_start(store_conn *c, const char *path, bool durable, hk_error *err)
{
    checkpointer *k = calloc(1, sizeof *k);
    if (!k)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->wake, NULL);
    pthread_cond_init(&k->idle, NULL);
    c->ckpt = k;
    if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return hk_error_set(err, HK_EIO, NULL, "sqlite: cannot open the checkpointer");
    sqlite3_busy_timeout(k->db, BUSY_TIMEOUT_MS);
    grow_in_chunks(k->db);
    /* Until a connection has looked at the database it does not know it is
     * in WAL mode, and checkpoints on it silently do nothing. */
    const char *setup = durable ? "PRAGMA journal_mode = WAL"
                                : "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF";
    if (sqlite3_exec(k->db, setup, NULL, NULL, NULL) != SQLITE_OK)
        return hk_error_set(err, HK_EIO, NULL, "sqlite: checkpointer: %s", sqlite3_errmsg(k->db));
    /* What an earlier run left in the WAL is copied now, before any write.
     * Otherwise the planner, knowing nothing of it, took the whole WAL for
     * backlog, and the first commit after every restart started a checkpoint
     * of it at whatever moment that commit came. */
    k->running = true;
    checkpoint(k, k->db, SQLITE_CHECKPOINT_PASSIVE);
    if (pthread_create(&k->thread, NULL, checkpoint_main, k) != 0)
        return hk_error_set(err, HK_EINTERNAL, NULL, "cannot start the checkpointer");
    k->started = true;
    sqlite3_wal_autocheckpoint(c->db, 0);
    sqlite3_wal_hook(c->db, wal_hook, k);
    return HK_OK;
}

static void conn_close(store_conn *c)
{
    if (!c)
        return;
    checkpointer_stop(c->ckpt);
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->db);
    free(c);
}

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

/* Memory statistics take a global mutex on every allocation; hookd never
 * reads them. Must run before SQLite initialises. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static hk_status conn_open(const char *data_dir, bool durable, store_role role, store_conn **out,
                           hk_error *err)
{
    *out = NULL;
    pthread_once(&sqlite_once, configure_sqlite);
    store_conn *c = calloc(1, sizeof *c);
    if (!c)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    char path[4096];
    hk_status st = HK_OK;
    if (snprintf(path, sizeof path, "%s/hookd.db", data_dir) >= (int)sizeof path) {
        st = hk_error_set(err, HK_EINVAL, NULL, "data directory path too long");
        goto out;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (role == STORE_ROLE_WRITER)
        flags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        st = hk_error_set(err, HK_EIO, NULL, "sqlite: cannot open %s: %s", path,
                          c->db ? sqlite3_errmsg(c->db) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 1);
    /* A larger lookaside takes most of SQLite's small allocations off malloc. */
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 1200, 1000);
    st = apply_pragmas(c, durable, role, err);
    if (!st && role == STORE_ROLE_WRITER)
        st = checkpointer_start(c, path, durable, err);
out:
    if (st)
        conn_close(c);
    else
        *out = c;
    return st;
}

static hk_status migrate(store_conn *c, int *version, hk_error *err)
{
    int count;
    const char *const *m = sqlite_schema_migrations(&count);
    sqlite3_stmt *s;
    *version = 0;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return hk_error_set(err, HK_EIO, NULL, "sqlite: %s", sqlite3_errmsg(c->db));
    int have = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    if (have < 0)
        return hk_error_set(err, HK_EIO, NULL, "sqlite: cannot read the schema version");
    if (have > count)
        return hk_error_set(err, HK_EIO, NULL,
                            "database schema version %d is newer than this hookd (%d)", have,
                            count);
    for (int v = have; v < count; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d;", v + 1);
        char *msg = NULL;
        int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(c->db, m[v], NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(c->db, bump, NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            hk_status st = hk_error_set(err, HK_EIO, NULL, "sqlite: migration %d failed: %s", v + 1,
                                        msg ? msg : sqlite3_errmsg(c->db));
            sqlite3_free(msg);
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
            return st;
        }
        hk_log_info("store: applied schema migration %d", v + 1);
    }
    *version = count;
    return HK_OK;
}

/* ---- transactions ---- */

static hk_status tx_begin(store_conn *c)
{
    if (c->ckpt)
        restart_wal_if_due(c);
    c->last_rc = SQLITE_OK; /* last_error tells about this transaction */
    return exec_simple(c, S_BEGIN);
}
/* The errors that leave a commit's outcome unknown: the bytes were handed to
 * the OS but syncing them (or the directory entry of a new log) failed. Every
 * other I/O error of a commit happens before its commit frame is complete,
 * and SQLite rolls that back for good. */
static bool sync_failed(int rc)
{
    return rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC;
}

static hk_status tx_commit(store_conn *c, bool *unknown)
{
    *unknown = false;
    if (c->fail_sync_countdown > 0 && --c->fail_sync_countdown == 0) {
        /* What SQLite does when the fsync of a written commit fails: the
         * transaction is undone in memory, the error is IOERR_FSYNC. */
        (void)exec_simple(c, S_ROLLBACK);
        hk_log_error("sqlite: COMMIT: disk I/O error (%d) (test hook)", SQLITE_IOERR_FSYNC);
        *unknown = true;
        return HK_EIO;
    }
    c->last_rc = SQLITE_OK;
    hk_status st = exec_simple(c, S_COMMIT);
    if (st)
        *unknown = sync_failed(c->last_rc);
    return st;
}
static void tx_rollback(store_conn *c)
{
    if (!sqlite3_get_autocommit(c->db))
        (void)exec_simple(c, S_ROLLBACK);
}
static hk_status tx_savepoint(store_conn *c)
{
    return exec_simple(c, S_SAVEPOINT);
}
static hk_status tx_release(store_conn *c)
{
    return exec_simple(c, S_RELEASE);
}
static void tx_rollback_to(store_conn *c)
{
    if (sqlite3_get_autocommit(c->db))
        return; /* the database already rolled everything back */
    if (exec_simple(c, S_ROLLBACK_TO) == HK_OK)
        (void)exec_simple(c, S_RELEASE);
}
static bool tx_active(store_conn *c)
{
    return !sqlite3_get_autocommit(c->db);
}
static uint64_t rows_written(store_conn *c)
{
    return (uint64_t)sqlite3_total_changes64(c->db);
}
static hk_status read_begin(store_conn *c)
{
    return exec_simple(c, S_READ_BEGIN);
}
static void read_end(store_conn *c)
{
    if (!sqlite3_get_autocommit(c->db))
        (void)exec_simple(c, S_READ_END);
}
static void fail_nth_write(store_conn *c, int n)
{
    c->fail_countdown = n;
}
static void fail_next_commit_sync(store_conn *c)
{
    c->fail_sync_countdown = 2; /* this transaction's commit, then the next one */
}

/* ---- workspaces, machine users, keys ---- */

static hk_status workspace_insert(store_conn *c, const hk_workspace *w)
{
    sqlite3_stmt *s = stmt(c, S_WS_INSERT);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, w->id);
    bind_text(s, 2, w->name);
    bind_stamps(s, 3, w->created_at, &w->created_by, w->updated_at, &w->updated_by);
    return exec_write(c, s);
}

static hk_status workspace_get(store_conn *c, const char *id, hk_arena *a, hk_workspace *out,
                               bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = stmt(c, S_WS_GET);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, id);
    bool row;
    hk_status st = step_one(c, s, "workspace_get", &row);
    if (row) {
        col_id(s, 0, out->id);
        st = col_str(s, 1, a, &out->name);
        out->created_at = sqlite3_column_int64(s, 2);
        col_actor(s, 3, &out->created_by);
        out->updated_at = sqlite3_column_int64(s, 4);
        col_actor(s, 5, &out->updated_by);
        *found = st == HK_OK;
    }
    done(s);
    return st;
}

static hk_status machine_user_insert(store_conn *c, const char *ws, const char *id,
                                     const char *name, int64_t at)
{
    sqlite3_stmt *s = stmt(c, S_MU_INSERT);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, id);
    bind_text(s, 3, name);
    sqlite3_bind_int64(s, 4, at);
    return exec_write(c, s);
}

static hk_status machine_user_get(store_conn *c, const char *ws, const char *id, hk_arena *a,
                                  hk_machine_user *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = stmt(c, S_MU_GET);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, id);
    bool row;
    hk_status st = step_one(c, s, "machine_user_get", &row);
    if (row) {
        snprintf(out->id, sizeof out->id, "%s", id);
        st = col_str(s, 0, a, &out->name);
        out->created_at = sqlite3_column_int64(s, 1);
        *found = st == HK_OK;
    }
    done(s);
    return st;
}

static hk_status api_key_insert(store_conn *c, const store_api_key *k, const char *key_hash,
                                int64_t at)
{
    sqlite3_stmt *s = stmt(c, S_KEY_INSERT);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, key_hash);
    bind_text(s, 2, k->id);
    bind_text(s, 3, k->workspace_id);
    bind_text(s, 4, k->machine_user_id);
    sqlite3_bind_int64(s, 5, k->permissions);
    sqlite3_bind_int64(s, 6, at);
    bind_text(s, 7, k->description);
    return exec_write(c, s);
}

static hk_status api_key_find(store_conn *c, const char *key_hash, store_api_key *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = stmt(c, S_KEY_FIND);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, key_hash);
    bool row;
    hk_status st = step_one(c, s, "api_key_find", &row);
    if (row) {
        col_id(s, 0, out->id);
        col_id(s, 1, out->workspace_id);
        col_id(s, 2, out->machine_user_id);
        out->permissions = (uint32_t)sqlite3_column_int64(s, 3);
        *found = true;
    }
    done(s);
    return st;
}

static hk_status api_key_list(store_conn *c, const char *ws, hk_arena *a, store_api_key **out,
                              size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = stmt(c, ws ? S_KEY_LIST : S_KEY_LIST_ALL);
    if (!s)
        return HK_EIO;
    if (ws)
        bind_text(s, 1, ws);
    hk_status st = HK_OK;
    size_t cap = 0;
    int rc;
    while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        store_api_key *grown = arena_reserve(a, *out, *n, &cap, sizeof *grown);
        if (!grown) {
            st = HK_ENOMEM;
            break;
        }
        *out = grown;
        store_api_key *k = &(*out)[*n];
        memset(k, 0, sizeof *k);
        col_id(s, 0, k->id);
        col_id(s, 1, k->workspace_id);
        col_id(s, 2, k->machine_user_id);
        k->permissions = (uint32_t)sqlite3_column_int64(s, 3);
        k->created_at = sqlite3_column_int64(s, 5);
        k->last_used_at = col_time(s, 6);
        st = col_str(s, 4, a, &k->description);
        if (!st)
            (*n)++;
    }
    if (!st && rc != SQLITE_DONE)
        st = db_error(c, "api_key_list");
    done(s);
    return st;
}

static hk_status api_key_delete(store_conn *c, const char *id, bool *found)
{
    *found = false;
    sqlite3_stmt *s = stmt(c, S_KEY_DELETE);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, id);
    hk_status st = exec_write(c, s);
    if (!st)
        *found = sqlite3_changes(c->db) > 0;
    return st;
}

static hk_status api_key_touch(store_conn *c, const char *id, int64_t at)
{
    sqlite3_stmt *s = stmt(c, S_KEY_TOUCH);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, at);
    return exec_write(c, s);
}

static hk_status machine_user_first(store_conn *c, const char *ws, char id[HK_ID_MAX], bool *found)
{
    *found = false;
    id[0] = '\0';
    sqlite3_stmt *s = stmt(c, S_MU_FIRST);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    hk_status st = step_one(c, s, "machine_user_first", found);
    if (*found)
        col_id(s, 0, id);
    done(s);
    return st;
}

static hk_status hmac_get(store_conn *c, const char *ws, hk_arena *a, hk_hmac_secret *out)
{
    memset(out, 0, sizeof *out);
    out->created_at = out->updated_at = HK_TIME_NONE;
    sqlite3_stmt *s = stmt(c, S_HMAC_GET);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bool row;
    hk_status st = step_one(c, s, "hmac_get", &row);
    if (row) {
        st = col_str(s, 0, a, &out->secret);
        if (out->secret) {
            out->created_at = col_time(s, 1);
            col_actor(s, 2, &out->created_by);
            out->updated_at = col_time(s, 3);
            col_actor(s, 4, &out->updated_by);
        }
    }
    done(s);
    return st;
}

static hk_status hmac_set(store_conn *c, const char *ws, const char *secret, int64_t at,
                          const hk_actor *by)
{
    sqlite3_stmt *s = stmt(c, S_HMAC_SET);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, secret);
    sqlite3_bind_int64(s, 3, at);
    bind_actor(s, 4, by);
    return exec_write(c, s);
}

/* ---- customers ---- */

/* Case-insensitive key of an email: ASCII letters folded to lower case. */
static char *email_key(const char *email)
{
    size_t n = strlen(email);
    char *k = malloc(n + 1);
    if (!k)
        return NULL;
    for (size_t i = 0; i <= n; i++) {
        char ch = email[i];
        k[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    return k;
}

static hk_status read_group_cols(sqlite3_stmt *s, int base, const char *ws, hk_arena *a,
                                 hk_customer_group *g)
{
    memset(g, 0, sizeof *g);
    col_id(s, base + 0, g->id);
    snprintf(g->workspace_id, sizeof g->workspace_id, "%s", ws);
    hk_status st = col_str(s, base + 1, a, &g->name);
    if (!st)
        st = col_str(s, base + 2, a, &g->key);
    if (!st)
        st = col_str(s, base + 3, a, &g->color);
    if (!st)
        st = col_str(s, base + 4, a, &g->external_id);
    g->created_at = sqlite3_column_int64(s, base + 5);
    col_actor(s, base + 6, &g->created_by);
    g->updated_at = sqlite3_column_int64(s, base + 7);
    col_actor(s, base + 8, &g->updated_by);
    return st;
}

static hk_status load_memberships(store_conn *c, hk_arena *a, hk_customer *cu)
{
    sqlite3_stmt *s = stmt(c, S_CU_MEMBERSHIPS);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, cu->workspace_id);
    bind_text(s, 2, cu->id);
    hk_status st = HK_OK;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hk_membership *grown =
            arena_reserve(a, cu->memberships, cu->n_memberships, &cap, sizeof *grown);
        if (!grown) {
            st = HK_ENOMEM;
            break;
        }
        cu->memberships = grown;
        hk_membership *m = &cu->memberships[cu->n_memberships++];
        memset(m, 0, sizeof *m);
        snprintf(m->customer_id, sizeof m->customer_id, "%s", cu->id);
        col_id(s, 0, m->customer_group_id);
        snprintf(m->workspace_id, sizeof m->workspace_id, "%s", cu->workspace_id);
        m->created_at = sqlite3_column_int64(s, 1);
        col_actor(s, 2, &m->created_by);
        m->updated_at = sqlite3_column_int64(s, 3);
        col_actor(s, 4, &m->updated_by);
        st = read_group_cols(s, 5, cu->workspace_id, a, &m->group);
        if (st)
            break;
    }
    if (!st && rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = db_error(c, "load_memberships");
    done(s);
    return st;
}

static hk_status read_customer_row(sqlite3_stmt *s, const char *ws, hk_arena *a, hk_customer *cu)
{
    col_id(s, 0, cu->id);
    snprintf(cu->workspace_id, sizeof cu->workspace_id, "%s", ws);
    hk_status st = col_str(s, 1, a, &cu->email);
    cu->email_verified = sqlite3_column_int(s, 2) != 0;
    cu->email_verified_at = col_time(s, 3);
    if (!st)
        st = col_str(s, 4, a, &cu->external_id);
    if (!st)
        st = col_str(s, 5, a, &cu->full_name);
    if (!st)
        st = col_str(s, 6, a, &cu->short_name);
    cu->marked_as_spam_at = col_time(s, 7);
    if (cu->marked_as_spam_at != HK_TIME_NONE)
        col_actor(s, 8, &cu->marked_as_spam_by);
    cu->created_at = sqlite3_column_int64(s, 9);
    col_actor(s, 10, &cu->created_by);
    cu->updated_at = sqlite3_column_int64(s, 11);
    col_actor(s, 12, &cu->updated_by);
    return st;
}

static hk_status customer_get(store_conn *c, const char *ws, store_lookup by, const char *value,
                              hk_arena *a, hk_customer *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    enum stmt_id id = by == STORE_BY_EMAIL         ? S_CU_BY_EMAIL
                      : by == STORE_BY_EXTERNAL_ID ? S_CU_BY_EXTERNAL_ID
                                                   : S_CU_BY_ID;
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    char *key = NULL;
    if (by == STORE_BY_EMAIL) {
        key = email_key(value);
        if (!key)
            return HK_ENOMEM;
        value = key;
    }
    bind_text(s, 1, ws);
    bind_text(s, 2, value);
    bool row;
    hk_status st = step_one(c, s, "customer_get", &row);
    if (row) {
        st = read_customer_row(s, ws, a, out);
        *found = true;
    }
    done(s);
    free(key);
    if (!st && *found)
        st = load_memberships(c, a, out);
    if (st)
        *found = false;
    return st;
}

/* Binds ?2..?15 of S_CU_INSERT / S_CU_UPDATE (same numbering). */
static hk_status bind_customer(sqlite3_stmt *s, const hk_customer *cu, char **key)
{
    *key = email_key(cu->email);
    if (!*key)
        return HK_ENOMEM;
    bind_text(s, 1, cu->workspace_id);
    bind_text(s, 2, cu->id);
    bind_text(s, 3, cu->email);
    sqlite3_bind_int(s, 4, cu->email_verified);
    bind_time(s, 5, cu->email_verified_at);
    bind_text(s, 6, cu->external_id);
    bind_text(s, 7, cu->full_name);
    bind_text(s, 8, cu->short_name);
    bind_time(s, 9, cu->marked_as_spam_at);
    if (cu->marked_as_spam_at != HK_TIME_NONE)
        bind_actor(s, 10, &cu->marked_as_spam_by);
    else
        sqlite3_bind_null(s, 10);
    bind_stamps(s, 11, cu->created_at, &cu->created_by, cu->updated_at, &cu->updated_by);
    bind_text(s, 15, *key);
    return HK_OK;
}

static hk_status customer_write(store_conn *c, enum stmt_id id, const hk_customer *cu)
{
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    char *key = NULL;
    hk_status st = bind_customer(s, cu, &key);
    if (!st)
        st = exec_write(c, s);
    else
        done(s);
    free(key);
    if (!st && id == S_CU_UPDATE && sqlite3_changes(c->db) == 0)
        st = HK_ENOTFOUND;
    return st;
}

static hk_status customer_insert(store_conn *c, const hk_customer *cu)
{
    return customer_write(c, S_CU_INSERT, cu);
}

static hk_status customer_update(store_conn *c, const hk_customer *cu)
{
    return customer_write(c, S_CU_UPDATE, cu);
}

/* Runs a write statement of (ws, id) and reports HK_ENOTFOUND when it
 * touched no row. */
static hk_status write_ws_id(store_conn *c, enum stmt_id id, const char *ws, const char *key,
                             bool must_touch)
{
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, key);
    hk_status st = exec_write(c, s);
    if (!st && must_touch && sqlite3_changes(c->db) == 0)
        st = HK_ENOTFOUND;
    return st;
}

static hk_status customer_delete(store_conn *c, const char *ws, const char *id)
{
    hk_status st = write_ws_id(c, S_CU_DELETE_MEMBERSHIPS, ws, id, false);
    if (!st)
        st = write_ws_id(c, S_CU_DELETE, ws, id, true);
    return st;
}

/* ---- lists ---- */

static hk_status count_ws_id(store_conn *c, enum stmt_id id, const char *ws, const char *key,
                             int64_t *n);

/* Appends "AND id > ?N ORDER BY id ASC LIMIT ?M" (or the backward form). */
static void page_sql(hk_buf *q, const char *col, const store_page *p, int *param)
{
    if (p->cursor)
        hk_buf_printf(q, " AND %s %s ?%d", col,
                      p->forward ? (p->inclusive ? ">=" : ">") : (p->inclusive ? "<=" : "<"),
                      ++*param);
    hk_buf_printf(q, " ORDER BY %s %s LIMIT ?%d", col, p->forward ? "ASC" : "DESC", ++*param);
}

/* The filter's conditions; bind_filter binds their parameters in the same
 * order. */
static void filter_sql(hk_buf *q, const store_customer_filter *f, int *param)
{
    if (f->match_none)
        hk_buf_puts(q, " AND 0");
    if (f->marked_as_spam >= 0)
        hk_buf_puts(q, f->marked_as_spam ? " AND c.spam_at IS NOT NULL" : " AND c.spam_at IS NULL");
    if (f->has_updated_from)
        hk_buf_printf(q, " AND c.updated_at >= ?%d", ++*param);
    if (f->has_updated_until)
        hk_buf_printf(q, " AND c.updated_at < ?%d", ++*param);
    if (f->n_group_ids + f->n_group_keys == 0)
        return;
    hk_buf_puts(q, " AND EXISTS (SELECT 1 FROM memberships m JOIN customer_groups g"
                   " ON g.workspace_id = m.workspace_id AND g.id = m.group_id"
                   " WHERE m.workspace_id = c.workspace_id AND m.customer_id = c.id AND (0");
    if (f->n_group_ids) {
        hk_buf_puts(q, " OR m.group_id IN (");
        for (size_t i = 0; i < f->n_group_ids; i++)
            hk_buf_printf(q, "%s?%d", i ? "," : "", ++*param);
        hk_buf_putc(q, ')');
    }
    if (f->n_group_keys) {
        hk_buf_puts(q, " OR g.key IN (");
        for (size_t i = 0; i < f->n_group_keys; i++)
            hk_buf_printf(q, "%s?%d", i ? "," : "", ++*param);
        hk_buf_putc(q, ')');
    }
    hk_buf_puts(q, "))");
}

static int bind_filter(sqlite3_stmt *s, const store_customer_filter *f, int param)
{
    if (f->has_updated_from)
        sqlite3_bind_int64(s, ++param, f->updated_from);
    if (f->has_updated_until)
        sqlite3_bind_int64(s, ++param, f->updated_until);
    for (size_t i = 0; i < f->n_group_ids; i++)
        bind_text(s, ++param, f->group_ids[i]);
    for (size_t i = 0; i < f->n_group_keys; i++)
        bind_text(s, ++param, f->group_keys[i]);
    return param;
}

/* Prepares a one-off statement (list queries vary with their filters). */
static sqlite3_stmt *prepare_dynamic(store_conn *c, hk_buf *q)
{
    sqlite3_stmt *s = NULL;
    if (q->err || sqlite3_prepare_v2(c->db, q->data, (int)q->len, &s, NULL) != SQLITE_OK) {
        hk_log_error("sqlite: prepare: %s", q->err ? "out of memory" : sqlite3_errmsg(c->db));
        return NULL;
    }
    return s;
}

/* Runs the customer list query `q`, whose parameters are ?1 the workspace,
 * then the filter's, then the `nkeys` cursor keys, then the limit; reads up
 * to `limit` customers, each with its memberships. */
static hk_status customer_rows(store_conn *c, const char *ws, hk_buf *q,
                               const store_customer_filter *f, const char *const *keys,
                               size_t nkeys, size_t limit, const char *what, hk_arena *a,
                               hk_customer **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = prepare_dynamic(c, q);
    hk_customer *list = hk_arena_calloc(a, limit + 1, sizeof *list);
    if (!s || !list) {
        sqlite3_finalize(s);
        return s ? HK_ENOMEM : HK_EIO;
    }
    bind_text(s, 1, ws);
    int k = bind_filter(s, f, 1);
    for (size_t i = 0; i < nkeys; i++)
        bind_text(s, ++k, keys[i]);
    sqlite3_bind_int64(s, ++k, (sqlite3_int64)limit);
    hk_status st = HK_OK;
    size_t got = 0;
    int rc = SQLITE_DONE;
    while (!st && got < limit && (rc = sqlite3_step(s)) == SQLITE_ROW)
        st = read_customer_row(s, ws, a, &list[got++]);
    if (!st && got < limit && rc != SQLITE_DONE)
        st = db_error(c, what);
    sqlite3_finalize(s);
    for (size_t i = 0; !st && i < got; i++)
        st = load_memberships(c, a, &list[i]);
    if (!st) {
        *out = list;
        *n = got;
    }
    return st;
}

static hk_status customer_page(store_conn *c, const char *ws, const store_customer_filter *f,
                               const store_page *p, hk_arena *a, hk_customer **out, size_t *n)
{
    hk_buf q;
    hk_buf_init(&q, 0);
    int param = 1;
    hk_buf_puts(&q, "SELECT " CUSTOMER_COLS " FROM customers c WHERE c.workspace_id = ?1");
    filter_sql(&q, f, &param);
    page_sql(&q, "c.id", p, &param);
    const char *const keys[] = {p->cursor};
    hk_status st =
        customer_rows(c, ws, &q, f, keys, p->cursor ? 1 : 0, p->limit, "customer_page", a, out, n);
    hk_buf_free(&q);
    return st;
}

/* Keyset pagination over customers_full_name (migration 3): the row value
 * (full_name, id) against the cursor's is one range of that index, walked in
 * the index's order or backwards. */
static hk_status customer_page_by_name(store_conn *c, const char *ws,
                                       const store_customer_filter *f, bool descending,
                                       const char *cursor_name, const store_page *p, hk_arena *a,
                                       hk_customer **out, size_t *n)
{
    bool ascending = p->forward != descending;
    hk_buf q;
    hk_buf_init(&q, 0);
    int param = 1;
    hk_buf_puts(&q, "SELECT " CUSTOMER_COLS " FROM customers c WHERE c.workspace_id = ?1");
    filter_sql(&q, f, &param);
    if (p->cursor) {
        hk_buf_printf(&q, " AND (c.full_name, c.id) %s (?%d, ?%d)",
                      ascending ? (p->inclusive ? ">=" : ">") : (p->inclusive ? "<=" : "<"),
                      param + 1, param + 2);
        param += 2;
    }
    const char *dir = ascending ? "ASC" : "DESC";
    hk_buf_printf(&q, " ORDER BY c.full_name %s, c.id %s LIMIT ?%d", dir, dir, ++param);
    const char *const keys[] = {cursor_name ? cursor_name : "", p->cursor};
    hk_status st = customer_rows(c, ws, &q, f, keys, p->cursor ? 2 : 0, p->limit,
                                 "customer_page_by_name", a, out, n);
    hk_buf_free(&q);
    return st;
}

static hk_status customer_count(store_conn *c, const char *ws, const store_customer_filter *f,
                                int64_t *n)
{
    *n = 0;
    hk_buf q;
    hk_buf_init(&q, 0);
    int param = 1;
    hk_buf_puts(&q, "SELECT count(*) FROM customers c WHERE c.workspace_id = ?1");
    filter_sql(&q, f, &param);
    sqlite3_stmt *s = prepare_dynamic(c, &q);
    hk_buf_free(&q);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_filter(s, f, 1);
    hk_status st = HK_OK;
    if (sqlite3_step(s) == SQLITE_ROW)
        *n = sqlite3_column_int64(s, 0);
    else
        st = db_error(c, "customer_count");
    sqlite3_finalize(s);
    return st;
}

static hk_status group_page(store_conn *c, const char *ws, const store_page *p, hk_arena *a,
                            hk_customer_group **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hk_buf q;
    hk_buf_init(&q, 0);
    int param = 1;
    hk_buf_puts(&q, "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = ?1");
    page_sql(&q, "id", p, &param);
    sqlite3_stmt *s = prepare_dynamic(c, &q);
    hk_buf_free(&q);
    hk_customer_group *list = hk_arena_calloc(a, p->limit + 1, sizeof *list);
    if (!s || !list) {
        sqlite3_finalize(s);
        return s ? HK_ENOMEM : HK_EIO;
    }
    int k = 1;
    bind_text(s, 1, ws);
    if (p->cursor)
        bind_text(s, ++k, p->cursor);
    sqlite3_bind_int64(s, ++k, (sqlite3_int64)p->limit);
    hk_status st = HK_OK;
    size_t got = 0;
    int rc = SQLITE_DONE;
    while (!st && got < p->limit && (rc = sqlite3_step(s)) == SQLITE_ROW)
        st = read_group_cols(s, 0, ws, a, &list[got++]);
    if (!st && got < p->limit && rc != SQLITE_DONE)
        st = db_error(c, "group_page");
    sqlite3_finalize(s);
    if (!st) {
        *out = list;
        *n = got;
    }
    return st;
}

static hk_status group_count(store_conn *c, const char *ws, int64_t *n)
{
    return count_ws_id(c, S_GR_COUNT, ws, NULL, n);
}

/* ---- groups, memberships ---- */

static hk_status group_get(store_conn *c, const char *ws, store_lookup by, const char *value,
                           hk_arena *a, hk_customer_group *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = stmt(c, by == STORE_BY_KEY           ? S_GR_BY_KEY
                              : by == STORE_BY_EXTERNAL_ID ? S_GR_BY_EXTERNAL_ID
                                                           : S_GR_BY_ID);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, value);
    bool row;
    hk_status st = step_one(c, s, "group_get", &row);
    if (row) {
        st = read_group_cols(s, 0, ws, a, out);
        *found = st == HK_OK;
    }
    if (!st && row && by == STORE_BY_EXTERNAL_ID) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *found = false;
            st = HK_ECONFLICT;
        } else if (rc != SQLITE_DONE) {
            st = db_error(c, "group_get");
        }
    }
    done(s);
    return st;
}

static hk_status group_write(store_conn *c, enum stmt_id id, const hk_customer_group *g)
{
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, g->workspace_id);
    bind_text(s, 2, g->id);
    bind_text(s, 3, g->name);
    bind_text(s, 4, g->key);
    bind_text(s, 5, g->color);
    bind_text(s, 6, g->external_id);
    bind_stamps(s, 7, g->created_at, &g->created_by, g->updated_at, &g->updated_by);
    hk_status st = exec_write(c, s);
    if (!st && id == S_GR_UPDATE && sqlite3_changes(c->db) == 0)
        st = HK_ENOTFOUND;
    return st;
}

static hk_status group_insert(store_conn *c, const hk_customer_group *g)
{
    return group_write(c, S_GR_INSERT, g);
}

static hk_status group_update(store_conn *c, const hk_customer_group *g)
{
    return group_write(c, S_GR_UPDATE, g);
}

static hk_status group_delete(store_conn *c, const char *ws, const char *id)
{
    return write_ws_id(c, S_GR_DELETE, ws, id, true);
}

static hk_status count_ws_id(store_conn *c, enum stmt_id id, const char *ws, const char *key,
                             int64_t *n)
{
    *n = 0;
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    if (key)
        bind_text(s, 2, key);
    hk_status st = HK_OK;
    if (sqlite3_step(s) == SQLITE_ROW)
        *n = sqlite3_column_int64(s, 0);
    else
        st = db_error(c, "count");
    done(s);
    return st;
}

static hk_status group_member_count(store_conn *c, const char *ws, const char *id, int64_t *n)
{
    return count_ws_id(c, S_GR_MEMBER_COUNT, ws, id, n);
}

static hk_status membership_insert(store_conn *c, const hk_membership *m)
{
    sqlite3_stmt *s = stmt(c, S_MEM_INSERT);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, m->workspace_id);
    bind_text(s, 2, m->customer_id);
    bind_text(s, 3, m->customer_group_id);
    bind_stamps(s, 4, m->created_at, &m->created_by, m->updated_at, &m->updated_by);
    return exec_write(c, s);
}

static hk_status membership_delete(store_conn *c, const char *ws, const char *customer_id,
                                   const char *group_id)
{
    sqlite3_stmt *s = stmt(c, S_MEM_DELETE);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, customer_id);
    bind_text(s, 3, group_id);
    hk_status st = exec_write(c, s);
    if (!st && sqlite3_changes(c->db) == 0)
        st = HK_ENOTFOUND;
    return st;
}

/* ---- webhook targets ---- */

static hk_status target_count(store_conn *c, const char *ws, int64_t *n)
{
    return count_ws_id(c, S_TG_COUNT, ws, NULL, n);
}

static hk_status write_subscriptions(store_conn *c, const hk_webhook_target *t)
{
    hk_status st = write_ws_id(c, S_SUB_DELETE, t->workspace_id, t->id, false);
    for (size_t i = 0; !st && i < t->n_event_types; i++) {
        sqlite3_stmt *s = stmt(c, S_SUB_INSERT);
        if (!s)
            return HK_EIO;
        bind_text(s, 1, t->workspace_id);
        bind_text(s, 2, t->event_types[i]);
        bind_text(s, 3, t->id);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)i);
        st = exec_write(c, s);
    }
    return st;
}

static hk_status target_write(store_conn *c, enum stmt_id id, const hk_webhook_target *t)
{
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, t->workspace_id);
    bind_text(s, 2, t->id);
    bind_text(s, 3, t->url);
    bind_text(s, 4, t->description);
    bind_text(s, 5, t->version);
    sqlite3_bind_int(s, 6, t->is_enabled);
    bind_stamps(s, 7, t->created_at, &t->created_by, t->updated_at, &t->updated_by);
    sqlite3_bind_int(s, 11, t->ordered_by_customer);
    sqlite3_bind_int64(s, 12, t->max_requests_per_second);
    bind_time(s, 13, t->failing_since);
    bind_time(s, 14, t->auto_disabled_at);
    hk_status st = exec_write(c, s);
    if (!st && id == S_TG_UPDATE && sqlite3_changes(c->db) == 0)
        st = HK_ENOTFOUND;
    if (!st)
        st = write_subscriptions(c, t);
    return st;
}

static hk_status target_insert(store_conn *c, const hk_webhook_target *t)
{
    return target_write(c, S_TG_INSERT, t);
}

static hk_status target_update(store_conn *c, const hk_webhook_target *t)
{
    return target_write(c, S_TG_UPDATE, t);
}

static hk_status target_delete(store_conn *c, const char *ws, const char *id)
{
    hk_status st = write_ws_id(c, S_SUB_DELETE, ws, id, false);
    if (!st)
        st = write_ws_id(c, S_TG_DELETE, ws, id, true);
    return st;
}

static hk_status load_subscriptions(store_conn *c, hk_arena *a, hk_webhook_target *t)
{
    sqlite3_stmt *s = stmt(c, S_SUB_LIST);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, t->workspace_id);
    bind_text(s, 2, t->id);
    hk_status st = HK_OK;
    size_t cap = 0;
    const char **types = NULL;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char **grown = arena_reserve(a, types, t->n_event_types, &cap, sizeof *grown);
        if (!grown) {
            st = HK_ENOMEM;
            break;
        }
        types = grown;
        st = col_str(s, 0, a, &types[t->n_event_types]);
        if (st)
            break;
        t->n_event_types++;
    }
    if (!st && rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = db_error(c, "load_subscriptions");
    t->event_types = types;
    done(s);
    return st;
}

static hk_status read_target_row(sqlite3_stmt *s, const char *ws, hk_arena *a, hk_webhook_target *t)
{
    memset(t, 0, sizeof *t);
    col_id(s, 0, t->id);
    snprintf(t->workspace_id, sizeof t->workspace_id, "%s", ws);
    hk_status st = col_str(s, 1, a, &t->url);
    if (!st)
        st = col_str(s, 2, a, &t->description);
    const char *v = (const char *)sqlite3_column_text(s, 3);
    snprintf(t->version, sizeof t->version, "%s", v ? v : "");
    t->is_enabled = sqlite3_column_int(s, 4) != 0;
    t->created_at = sqlite3_column_int64(s, 5);
    col_actor(s, 6, &t->created_by);
    t->updated_at = sqlite3_column_int64(s, 7);
    col_actor(s, 8, &t->updated_by);
    t->ordered_by_customer = sqlite3_column_int(s, 9) != 0;
    t->max_requests_per_second = (uint32_t)sqlite3_column_int64(s, 10);
    t->failing_since = col_time(s, 11);
    t->auto_disabled_at = col_time(s, 12);
    return st;
}

/* Runs an UPDATE ... RETURNING of at most one row: *row tells whether it
 * matched; its columns are read by `read` before the statement is reset. */
static hk_status exec_returning_one(store_conn *c, sqlite3_stmt *s, const char *what,
                                    void (*read)(sqlite3_stmt *, void *), void *arg, bool *row)
{
    *row = false;
    if (c->fail_countdown > 0 && --c->fail_countdown == 0) {
        done(s);
        return HK_EIO;
    }
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *row = true;
        read(s, arg);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            ;
    }
    hk_status st = rc == SQLITE_DONE ? HK_OK : db_error(c, what);
    done(s);
    return st;
}

typedef struct health_row {
    int64_t failing_since;
    bool enabled;
} health_row;

static void read_health(sqlite3_stmt *s, void *arg)
{
    health_row *h = arg;
    h->failing_since = col_time(s, 0);
    h->enabled = sqlite3_column_int(s, 1) != 0;
}

static hk_status target_note_health(store_conn *c, const char *ws, const char *target_id, bool ok,
                                    int64_t failed_at, int64_t *failing_since, bool *enabled,
                                    bool *found)
{
    *failing_since = HK_TIME_NONE;
    *enabled = false;
    sqlite3_stmt *s = stmt(c, ok ? S_TG_HEALTH_OK : S_TG_HEALTH_FAIL);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    if (!ok)
        sqlite3_bind_int64(s, 3, failed_at);
    health_row h = {HK_TIME_NONE, false};
    hk_status st = exec_returning_one(c, s, "target_note_health", read_health, &h, found);
    *failing_since = h.failing_since;
    *enabled = h.enabled;
    return st;
}

static hk_status target_auto_disable(store_conn *c, const char *ws, const char *target_id,
                                     int64_t at)
{
    sqlite3_stmt *s = stmt(c, S_TG_AUTO_DISABLE);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    sqlite3_bind_int64(s, 3, at);
    hk_actor system = {.type = HK_ACTOR_SYSTEM, .id = "hookd"};
    bind_actor(s, 4, &system);
    return exec_write(c, s);
}

static hk_status target_get(store_conn *c, const char *ws, const char *id, hk_arena *a,
                            hk_webhook_target *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = stmt(c, S_TG_GET);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, id);
    bool row;
    hk_status st = step_one(c, s, "target_get", &row);
    if (row) {
        st = read_target_row(s, ws, a, out);
        *found = true;
    }
    done(s);
    if (!st && *found)
        st = load_subscriptions(c, a, out);
    if (st)
        *found = false;
    return st;
}

static hk_status target_list(store_conn *c, const char *ws, hk_arena *a, hk_webhook_target **out,
                             size_t *n)
{
    *out = NULL;
    *n = 0;
    int64_t count;
    hk_status st = target_count(c, ws, &count);
    if (st)
        return st;
    hk_webhook_target *list = hk_arena_calloc(a, (size_t)count + 1, sizeof *list);
    if (!list)
        return HK_ENOMEM;
    sqlite3_stmt *s = stmt(c, S_TG_LIST);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    size_t got = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && got < (size_t)count) {
        st = read_target_row(s, ws, a, &list[got]);
        if (st)
            break;
        got++;
    }
    if (!st && rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = db_error(c, "target_list");
    done(s);
    for (size_t i = 0; !st && i < got; i++)
        st = load_subscriptions(c, a, &list[i]);
    if (!st) {
        *out = list;
        *n = got;
    }
    return st;
}

/* ---- outbox ---- */

static hk_status event_insert(store_conn *c, const hk_event *ev)
{
    sqlite3_stmt *s = stmt(c, S_EV_INSERT);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ev->id);
    bind_text(s, 2, ev->workspace_id);
    bind_text(s, 3, hk_event_type_name(ev->type));
    sqlite3_bind_int64(s, 4, ev->timestamp);
    sqlite3_bind_text(s, 5, ev->payload_json, (int)ev->payload_len, SQLITE_STATIC);
    bind_text(s, 6, ev->customer_id[0] ? ev->customer_id : NULL);
    return exec_write(c, s);
}

static hk_status deliveries_create(store_conn *c, const hk_event *ev, int64_t due_at,
                                   void (*created)(void *arg, const char *target_id), void *arg,
                                   size_t *n_created)
{
    *n_created = 0;
    sqlite3_stmt *s = stmt(c, S_DLV_CREATE);
    if (!s)
        return HK_EIO;
    if (c->fail_countdown > 0 && --c->fail_countdown == 0) {
        done(s);
        return HK_EIO;
    }
    bind_text(s, 1, ev->workspace_id);
    bind_text(s, 2, ev->id);
    bind_text(s, 3, hk_event_type_name(ev->type));
    sqlite3_bind_int64(s, 4, due_at);
    bind_text(s, 5, ev->customer_id[0] ? ev->customer_id : NULL);
    /* Every change happens at the first step; the rest only reads the
     * RETURNING rows. */
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        n++;
        if (created && sqlite3_column_type(s, 1) != SQLITE_NULL)
            created(arg, (const char *)sqlite3_column_text(s, 0));
    }
    hk_status st = rc == SQLITE_DONE ? HK_OK : db_error(c, "deliveries_create");
    done(s);
    if (!st)
        *n_created = n;
    return st;
}

static hk_status deliveries_fail_for_target(store_conn *c, const char *ws, const char *target_id,
                                            int64_t at)
{
    return exec_target_write(c, S_DLV_FAIL_ALL, ws, target_id, at, NULL);
}

static hk_status deliveries_cancel_for_target(store_conn *c, const char *ws, const char *target_id,
                                              int64_t at)
{
    return exec_target_write(c, S_DLV_CANCEL, ws, target_id, at, NULL);
}

/* ---- delivery ---- */

static void read_delivery_row(sqlite3_stmt *s, hk_delivery *d)
{
    memset(d, 0, sizeof *d);
    col_id(s, 0, d->workspace_id);
    col_id(s, 1, d->target_id);
    col_id(s, 2, d->event_id);
    d->status = (hk_delivery_status)sqlite3_column_int(s, 3);
    d->attempts = (uint32_t)sqlite3_column_int(s, 4);
    d->next_attempt_at = col_time(s, 5);
    d->created_at = sqlite3_column_int64(s, 6);
    d->updated_at = sqlite3_column_int64(s, 7);
    col_id(s, 8, d->customer_id);
}

static hk_status lease(store_conn *c, const hk_delivery *d, int64_t lease_until)
{
    sqlite3_stmt *s = stmt(c, S_DLV_LEASE);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, d->workspace_id);
    bind_text(s, 2, d->target_id);
    bind_text(s, 3, d->event_id);
    sqlite3_bind_int64(s, 4, lease_until);
    return exec_write(c, s);
}

/* When the target's next pending delivery can be claimed: its due time, or
 * the end of its lease (see S_DLV_LEASE). */
static hk_status target_next_due(store_conn *c, const char *ws, const char *target_id,
                                 int64_t *next_due)
{
    *next_due = HK_TIME_NONE;
    sqlite3_stmt *s = stmt(c, S_DLV_NEXT_DUE);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    bool row;
    hk_status st = step_one(c, s, "next_due", &row);
    if (row)
        *next_due = col_time(s, 0);
    done(s);
    return st;
}

static hk_status deliveries_due_targets(store_conn *c, const char *after_ws,
                                        const char *after_target, size_t max, hk_arena *a,
                                        hk_due_target **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hk_due_target *list = hk_arena_calloc(a, max + 1, sizeof *list);
    sqlite3_stmt *s = stmt(c, S_DLV_DUE_TARGETS);
    if (!list || !s)
        return list ? HK_EIO : HK_ENOMEM;
    const char *ws = after_ws, *target = after_target;
    hk_status st = HK_OK;
    size_t got = 0;
    while (got < max) {
        bind_text(s, 1, ws);
        bind_text(s, 2, target);
        bool row;
        st = step_one(c, s, "deliveries_due_targets", &row);
        if (row) {
            hk_due_target *t = &list[got++];
            col_id(s, 0, t->workspace_id);
            col_id(s, 1, t->target_id);
            t->next_due = col_time(s, 2);
            ws = t->workspace_id;
            target = t->target_id;
        }
        done(s);
        if (st || !row)
            break;
    }
    if (!st) {
        *out = list;
        *n = got;
    }
    return st;
}

static hk_status deliveries_claim_target(store_conn *c, const char *ws, const char *target_id,
                                         int64_t now, int64_t lease_until, size_t max, hk_arena *a,
                                         hk_delivery **out, size_t *n, int64_t *next_due)
{
    *out = NULL;
    *n = 0;
    *next_due = HK_TIME_NONE;
    hk_delivery *list = hk_arena_calloc(a, max + 1, sizeof *list);
    sqlite3_stmt *s = stmt(c, S_DLV_CLAIM);
    if (!list || !s)
        return list ? HK_EIO : HK_ENOMEM;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)max);
    hk_status st = HK_OK;
    size_t got = 0;
    int rc = SQLITE_DONE;
    while (got < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
        read_delivery_row(s, &list[got++]);
    if (got < max && rc != SQLITE_DONE)
        st = db_error(c, "deliveries_claim_target");
    done(s);
    for (size_t i = 0; !st && i < got; i++)
        st = lease(c, &list[i], lease_until);
    if (!st)
        st = target_next_due(c, ws, target_id, next_due);
    if (!st) {
        *out = list;
        *n = got;
    }
    return st;
}

static hk_status deliveries_count_due(store_conn *c, const char *ws, const char *target_id,
                                      int64_t now, size_t cap, size_t *n)
{
    *n = 0;
    sqlite3_stmt *s = stmt(c, S_DLV_DUE_COUNT);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)cap);
    bool row;
    hk_status st = step_one(c, s, "deliveries_count_due", &row);
    if (row)
        *n = (size_t)sqlite3_column_int64(s, 0);
    done(s);
    return st;
}

static hk_status delivery_unblock_next(store_conn *c, const char *ws, const char *target_id,
                                       const char *customer_id, int64_t now, bool *unblocked)
{
    *unblocked = false;
    sqlite3_stmt *s = stmt(c, S_DLV_UNBLOCK_NEXT);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    bind_text(s, 3, customer_id);
    sqlite3_bind_int64(s, 4, now);
    hk_status st = exec_write(c, s);
    if (!st)
        *unblocked = sqlite3_changes(c->db) > 0;
    return st;
}

static hk_status deliveries_unblock_all(store_conn *c, const char *ws, const char *target_id,
                                        int64_t now, size_t *n)
{
    return exec_target_write(c, S_DLV_UNBLOCK_ALL, ws, target_id, now, n);
}

static hk_status event_get(store_conn *c, const char *ws, const char *id, hk_arena *a,
                           hk_event *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = stmt(c, S_EV_GET);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, id);
    bool row;
    hk_status st = step_one(c, s, "event_get", &row);
    if (row) {
        snprintf(out->id, sizeof out->id, "%s", id);
        snprintf(out->workspace_id, sizeof out->workspace_id, "%s", ws);
        const char *type = (const char *)sqlite3_column_text(s, 0);
        bool known = type && hk_event_type_from_name(type, strlen(type), &out->type);
        out->timestamp = sqlite3_column_int64(s, 1);
        const char *payload;
        st = col_str(s, 2, a, &payload);
        out->payload_json = payload;
        out->payload_len = payload ? strlen(payload) : 0;
        col_id(s, 3, out->customer_id);
        *found = !st && known && payload;
    }
    done(s);
    return st;
}

static hk_status insert_attempt(store_conn *c, const hk_delivery *d, const hk_attempt *at)
{
    sqlite3_stmt *s = stmt(c, S_ATT_INSERT);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, d->workspace_id);
    bind_text(s, 2, d->target_id);
    bind_text(s, 3, d->event_id);
    sqlite3_bind_int64(s, 4, at->number);
    bind_text(s, 5, at->attempt_id);
    sqlite3_bind_int64(s, 6, at->started_at);
    sqlite3_bind_int64(s, 7, at->duration_ms);
    sqlite3_bind_int(s, 8, at->status_code);
    bind_text(s, 9, at->error);
    bind_text(s, 10, at->response_excerpt);
    bind_text(s, 11, at->sent_version[0] ? at->sent_version : NULL);
    bind_text(s, 12, at->sent_version[0] && at->sent_signature[0] ? at->sent_signature : NULL);
    if (at->sent_version[0])
        sqlite3_bind_int(s, 13, at->sent_basic_auth);
    else
        sqlite3_bind_null(s, 13);
    bind_text(s, 14, at->sent_version[0] ? at->sent_user_agent : NULL);
    return exec_write(c, s);
}

static hk_status delivery_record(store_conn *c, const hk_delivery_result *r, int64_t now)
{
    const hk_delivery *d = r->delivery;
    sqlite3_stmt *s = stmt(c, r->drop ? S_DLV_DROP : S_DLV_DONE);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, d->workspace_id);
    bind_text(s, 2, d->target_id);
    bind_text(s, 3, d->event_id);
    if (r->drop) {
        sqlite3_bind_int64(s, 4, now);
        return exec_write(c, s);
    }
    hk_delivery_status next = r->succeeded                  ? HK_DELIVERY_SUCCEEDED
                              : r->retry_at == HK_TIME_NONE ? HK_DELIVERY_FAILED
                                                            : HK_DELIVERY_PENDING;
    sqlite3_bind_int(s, 4, next);
    sqlite3_bind_int64(s, 5, r->attempt.number);
    bind_time(s, 6, next == HK_DELIVERY_PENDING ? r->retry_at : HK_TIME_NONE);
    sqlite3_bind_int64(s, 7, now);
    hk_status st = exec_write(c, s);
    if (!st)
        st = insert_attempt(c, d, &r->attempt);
    return st;
}

static hk_status deliveries_release_leases(store_conn *c, int64_t now, size_t *n)
{
    *n = 0;
    sqlite3_stmt *s = stmt(c, S_DLV_RELEASE);
    if (!s)
        return HK_EIO;
    sqlite3_bind_int64(s, 1, now);
    hk_status st = exec_write(c, s);
    if (!st)
        *n = (size_t)sqlite3_changes(c->db);
    return st;
}

/* ---- retention ---- */

/* One pass of events_prune: the budget left, and what was deleted. */
typedef struct prune_pass {
    store_conn *c;
    size_t left; /* rows (deliveries, events) this transaction may still delete */
    hk_prune_result *out;
} prune_pass;

/* The workspaces' oldest event ids with a pending delivery, from one scan of
 * the pending rows: ws -> id, in an arena list (few workspaces). */
typedef struct pending_floor {
    const char *ws, *event_id;
} pending_floor;

static hk_status pending_floors(store_conn *c, hk_arena *a, pending_floor **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = stmt(c, S_PRUNE_PENDING);
    if (!s)
        return HK_EIO;
    hk_status st = HK_OK;
    size_t cap = 0;
    int rc;
    while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        pending_floor *grown = arena_reserve(a, *out, *n, &cap, sizeof *grown);
        if (!grown) {
            st = HK_ENOMEM;
            break;
        }
        *out = grown;
        pending_floor *f = &(*out)[*n];
        st = col_str(s, 0, a, &f->ws);
        if (!st)
            st = col_str(s, 1, a, &f->event_id);
        if (!st)
            (*n)++;
    }
    if (!st && rc != SQLITE_DONE)
        st = db_error(c, "prune: pending");
    done(s);
    return st;
}

/* Reads one text column of a one-row query into out (HK_ID_MAX); *row false when none. */
static hk_status step_id(store_conn *c, sqlite3_stmt *s, const char *what, char *out, bool *row)
{
    hk_status st = step_one(c, s, what, row);
    if (*row) {
        const unsigned char *v = sqlite3_column_text(s, 0);
        snprintf(out, HK_ID_MAX, "%s", v ? (const char *)v : "");
    }
    done(s);
    return st;
}

static hk_status delete_range(store_conn *c, enum stmt_id id, const char *ws, const char *target,
                              const char *below, size_t *deleted)
{
    sqlite3_stmt *s = stmt(c, id);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    int n = 2;
    if (target)
        bind_text(s, n++, target);
    bind_text(s, n, below);
    hk_status st = exec_write(c, s);
    *deleted = st ? 0 : (size_t)sqlite3_changes(c->db);
    return st;
}

/* The bound below which at most p->left rows of a range lie: the (left+1)-th row's key when
 * there is one (*cut true), else `below`. `bound_stmt` takes (ws, [target,] below, offset). */
static hk_status budget_bound(prune_pass *p, enum stmt_id bound_stmt, const char *ws,
                              const char *target, const char *below, char bound[HK_ID_MAX],
                              bool *cut)
{
    sqlite3_stmt *s = stmt(p->c, bound_stmt);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    int n = 2;
    if (target)
        bind_text(s, n++, target);
    bind_text(s, n++, below);
    sqlite3_bind_int64(s, n, (sqlite3_int64)p->left);
    hk_status st = step_id(p->c, s, "prune: bound", bound, cut);
    if (!st && !*cut)
        snprintf(bound, HK_ID_MAX, "%s", below);
    return st;
}

/* The deliveries and attempts of one target whose event is below `floor`. *all: every one. */
static hk_status prune_target(prune_pass *p, const char *ws, const char *target, const char *floor,
                              bool *all)
{
    char bound[HK_ID_MAX];
    bool cut;
    hk_status st = budget_bound(p, S_PRUNE_DLV_BOUND, ws, target, floor, bound, &cut);
    size_t attempts = 0, deliveries = 0;
    if (!st)
        st = delete_range(p->c, S_PRUNE_ATTEMPTS, ws, target, bound, &attempts);
    if (!st)
        st = delete_range(p->c, S_PRUNE_DLV, ws, target, bound, &deliveries);
    if (st)
        return st;
    p->out->attempts += attempts;
    p->out->deliveries += deliveries;
    p->left -= deliveries < p->left ? deliveries : p->left;
    *all = !cut;
    return HK_OK;
}

/* Every target with deliveries in `ws` (deleted targets too), then the events below `floor`
 * once no delivery row of theirs is left. *all: the workspace is done. */
static hk_status prune_workspace(prune_pass *p, const char *ws, const char *floor, bool *all)
{
    *all = false;
    char target[HK_ID_MAX] = "";
    for (;;) {
        if (p->left == 0)
            return HK_OK;
        sqlite3_stmt *s = stmt(p->c, S_PRUNE_NEXT_TARGET);
        if (!s)
            return HK_EIO;
        bind_text(s, 1, ws);
        bind_text(s, 2, target);
        bool row;
        hk_status st = step_id(p->c, s, "prune: targets", target, &row);
        if (st)
            return st;
        if (!row)
            break;
        bool target_all;
        st = prune_target(p, ws, target, floor, &target_all);
        if (st || !target_all)
            return st;
    }
    if (p->left == 0)
        return HK_OK;
    char bound[HK_ID_MAX];
    bool cut;
    size_t events = 0;
    hk_status st = budget_bound(p, S_PRUNE_EV_BOUND, ws, NULL, floor, bound, &cut);
    if (!st)
        st = delete_range(p->c, S_PRUNE_EV, ws, NULL, bound, &events);
    if (st)
        return st;
    p->out->events += events;
    p->left -= events < p->left ? events : p->left;
    *all = !cut;
    return HK_OK;
}

static const char *floor_of(const pending_floor *floors, size_t n, const char *ws,
                            const char *cutoff)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(floors[i].ws, ws) == 0)
            return strcmp(floors[i].event_id, cutoff) < 0 ? floors[i].event_id : cutoff;
    }
    return cutoff;
}

static hk_status events_prune(store_conn *c, const char *cutoff, size_t budget, hk_arena *a,
                              hk_prune_result *out)
{
    memset(out, 0, sizeof *out);
    prune_pass p = {c, budget, out};
    pending_floor *floors;
    size_t n_floors;
    hk_status st = pending_floors(c, a, &floors, &n_floors);
    if (st)
        return st;
    /* The workspaces are read first: the loop below writes to other tables only. */
    sqlite3_stmt *s = stmt(c, S_PRUNE_WORKSPACES);
    if (!s)
        return HK_EIO;
    size_t n_ws = 0, cap = 0;
    const char **ws = NULL;
    int rc;
    while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char **grown = arena_reserve(a, ws, n_ws, &cap, sizeof *grown);
        if (!grown) {
            st = HK_ENOMEM;
            break;
        }
        ws = grown;
        st = col_str(s, 0, a, &ws[n_ws]);
        if (!st)
            n_ws++;
    }
    if (!st && rc != SQLITE_DONE)
        st = db_error(c, "prune: workspaces");
    done(s);
    bool all = true;
    for (size_t i = 0; !st && all && i < n_ws; i++)
        st = prune_workspace(&p, ws[i], floor_of(floors, n_floors, ws[i], cutoff), &all);
    out->more = !st && !all;
    return st;
}

static hk_status delivery_page(store_conn *c, const char *ws, const char *target_id, int status,
                               const store_page *p, hk_arena *a, hk_delivery **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hk_buf q;
    hk_buf_init(&q, 0);
    int param = 2;
    hk_buf_puts(&q, "SELECT d.workspace_id, d.target_id, d.event_id, d.status, d.attempts,"
                    " d.next_attempt_at, d.created_at, d.updated_at, d.customer_id, e.type"
                    " FROM deliveries d"
                    " JOIN events e ON e.workspace_id = d.workspace_id AND e.id = d.event_id"
                    " WHERE d.workspace_id = ?1 AND d.target_id = ?2");
    if (status >= 0)
        hk_buf_printf(&q, " AND d.status = %d", status);
    page_sql(&q, "d.event_id", p, &param);
    sqlite3_stmt *s = prepare_dynamic(c, &q);
    hk_buf_free(&q);
    hk_delivery *list = hk_arena_calloc(a, p->limit + 1, sizeof *list);
    if (!s || !list) {
        sqlite3_finalize(s);
        return s ? HK_ENOMEM : HK_EIO;
    }
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    int k = 2;
    if (p->cursor)
        bind_text(s, ++k, p->cursor);
    sqlite3_bind_int64(s, ++k, (sqlite3_int64)p->limit);
    hk_status st = HK_OK;
    size_t got = 0;
    int rc = SQLITE_DONE;
    while (got < p->limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_delivery_row(s, &list[got]);
        const char *type = (const char *)sqlite3_column_text(s, 9);
        snprintf(list[got].event_type, sizeof list[got].event_type, "%s", type ? type : "");
        got++;
    }
    if (got < p->limit && rc != SQLITE_DONE)
        st = db_error(c, "delivery_page");
    sqlite3_finalize(s);
    if (!st) {
        *out = list;
        *n = got;
    }
    return st;
}

/* What the attempt's request headers said (see hk_attempt), from column i on:
 * sent_version, sent_signature, sent_basic_auth, sent_user_agent. */
static hk_status read_attempt_sent(sqlite3_stmt *s, int i, hk_arena *a, hk_attempt *at)
{
    const char *version = (const char *)sqlite3_column_text(s, i);
    const char *signature = (const char *)sqlite3_column_text(s, i + 1);
    snprintf(at->sent_version, sizeof at->sent_version, "%s", version ? version : "");
    snprintf(at->sent_signature, sizeof at->sent_signature, "%s", signature ? signature : "");
    at->sent_basic_auth = sqlite3_column_int(s, i + 2) != 0;
    return col_str(s, i + 3, a, &at->sent_user_agent);
}

static hk_status attempt_list(store_conn *c, const char *ws, const char *target_id,
                              const char *event_id, hk_arena *a, hk_attempt **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = stmt(c, S_ATT_LIST);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    bind_text(s, 3, event_id);
    hk_status st = HK_OK;
    size_t cap = 0;
    hk_attempt *list = NULL;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hk_attempt *grown = arena_reserve(a, list, *n, &cap, sizeof *grown);
        if (!grown) {
            st = HK_ENOMEM;
            break;
        }
        list = grown;
        hk_attempt *at = &list[*n];
        memset(at, 0, sizeof *at);
        col_id(s, 0, at->attempt_id);
        at->number = (uint32_t)sqlite3_column_int(s, 1);
        at->started_at = sqlite3_column_int64(s, 2);
        at->duration_ms = sqlite3_column_int64(s, 3);
        at->status_code = sqlite3_column_int(s, 4);
        st = col_str(s, 5, a, &at->error);
        if (!st)
            st = col_str(s, 6, a, &at->response_excerpt);
        if (!st)
            st = read_attempt_sent(s, 7, a, at);
        if (st)
            break;
        (*n)++;
    }
    if (!st && rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = db_error(c, "attempt_list");
    done(s);
    *out = list;
    return st;
}

static hk_status event_page(store_conn *c, const char *ws, const char *customer_id,
                            const store_page *p, hk_arena *a, hk_event **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hk_buf q;
    hk_buf_init(&q, 0);
    int param = 2;
    hk_buf_puts(&q, "SELECT id, type, timestamp, payload, customer_id FROM events"
                    " INDEXED BY events_customer WHERE workspace_id = ?1 AND customer_id = ?2");
    page_sql(&q, "id", p, &param);
    sqlite3_stmt *s = prepare_dynamic(c, &q);
    hk_buf_free(&q);
    hk_event *list = hk_arena_calloc(a, p->limit + 1, sizeof *list);
    if (!s || !list) {
        sqlite3_finalize(s);
        return s ? HK_ENOMEM : HK_EIO;
    }
    bind_text(s, 1, ws);
    bind_text(s, 2, customer_id);
    int k = 2;
    if (p->cursor)
        bind_text(s, ++k, p->cursor);
    sqlite3_bind_int64(s, ++k, (sqlite3_int64)p->limit);
    hk_status st = HK_OK;
    size_t got = 0;
    int rc = SQLITE_DONE;
    while (got < p->limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        hk_event *ev = &list[got];
        col_id(s, 0, ev->id);
        snprintf(ev->workspace_id, sizeof ev->workspace_id, "%s", ws);
        const char *type = (const char *)sqlite3_column_text(s, 1);
        if (!type || !hk_event_type_from_name(type, strlen(type), &ev->type))
            ev->type = HK_EVENT_TYPE_COUNT; /* written by a newer hookd */
        ev->timestamp = sqlite3_column_int64(s, 2);
        const char *payload;
        st = col_str(s, 3, a, &payload);
        if (st)
            break;
        ev->payload_json = payload ? payload : "{}";
        ev->payload_len = strlen(ev->payload_json);
        col_id(s, 4, ev->customer_id);
        got++;
    }
    if (!st && got < p->limit && rc != SQLITE_DONE)
        st = db_error(c, "event_page");
    sqlite3_finalize(s);
    if (!st) {
        *out = list;
        *n = got;
    }
    return st;
}

static hk_status event_deliveries(store_conn *c, const char *ws, const char *event_id, hk_arena *a,
                                  hk_delivery **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = stmt(c, S_EV_DELIVERIES);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, event_id);
    hk_status st = HK_OK;
    size_t cap = 0;
    hk_delivery *list = NULL;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hk_delivery *grown = arena_reserve(a, list, *n, &cap, sizeof *grown);
        if (!grown) {
            st = HK_ENOMEM;
            break;
        }
        list = grown;
        read_delivery_row(s, &list[*n]);
        const char *type = (const char *)sqlite3_column_text(s, 9);
        snprintf(list[*n].event_type, sizeof list[*n].event_type, "%s", type ? type : "");
        (*n)++;
    }
    if (!st && rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = db_error(c, "event_deliveries");
    done(s);
    *out = list;
    return st;
}

static hk_status delivery_rearm(store_conn *c, const char *ws, const char *target_id,
                                const char *event_id, int64_t now)
{
    sqlite3_stmt *s = stmt(c, S_DLV_REARM);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    bind_text(s, 3, event_id);
    sqlite3_bind_int64(s, 4, now);
    return exec_write(c, s);
}

static hk_status deliveries_rearm_failed(store_conn *c, const char *ws, const char *target_id,
                                         int64_t since, int64_t now, size_t *n)
{
    *n = 0;
    sqlite3_stmt *s = stmt(c, S_DLV_REARM_FAILED);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    bind_text(s, 2, target_id);
    sqlite3_bind_int64(s, 3, since);
    sqlite3_bind_int64(s, 4, now);
    hk_status st = exec_write(c, s);
    if (!st)
        *n = (size_t)sqlite3_changes(c->db);
    return st;
}

static hk_status counts(store_conn *c, const char *ws, store_counts *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = stmt(c, S_COUNTS);
    if (!s)
        return HK_EIO;
    bind_text(s, 1, ws);
    hk_status st = HK_OK;
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->customers = sqlite3_column_int64(s, 0);
        out->groups = sqlite3_column_int64(s, 1);
        out->memberships = sqlite3_column_int64(s, 2);
        out->targets = sqlite3_column_int64(s, 3);
        out->events = sqlite3_column_int64(s, 4);
        out->deliveries_pending = sqlite3_column_int64(s, 5);
        out->deliveries_cancelled = sqlite3_column_int64(s, 6);
    } else {
        st = db_error(c, "counts");
    }
    done(s);
    return st;
}

static bool durability_lost(store_conn *c)
{
    return c->ckpt && atomic_load(&c->ckpt->sync_failed);
}

static const char *last_error(store_conn *c)
{
    switch (c->last_rc & 0xff) {
    case SQLITE_OK:
        return NULL;
    case SQLITE_FULL:
        return "disk full";
    case SQLITE_READONLY:
        return "read-only database";
    case SQLITE_IOERR:
        return "I/O error";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "database corrupt";
    case SQLITE_CANTOPEN:
        return "cannot open a database file";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "database locked";
    default:
        return "database error";
    }
}

const store_ops store_sqlite_ops = {
    .name = "sqlite",
    .conn_open = conn_open,
    .conn_close = conn_close,
    .migrate = migrate,
    .begin = tx_begin,
    .commit = tx_commit,
    .rollback = tx_rollback,
    .savepoint = tx_savepoint,
    .release = tx_release,
    .rollback_to = tx_rollback_to,
    .in_transaction = tx_active,
    .rows_written = rows_written,
    .durability_lost = durability_lost,
    .last_error = last_error,
    .read_begin = read_begin,
    .read_end = read_end,
    .fail_nth_write = fail_nth_write,
    .fail_next_commit_sync = fail_next_commit_sync,
    .workspace_insert = workspace_insert,
    .workspace_get = workspace_get,
    .machine_user_insert = machine_user_insert,
    .machine_user_get = machine_user_get,
    .api_key_insert = api_key_insert,
    .api_key_find = api_key_find,
    .api_key_list = api_key_list,
    .api_key_delete = api_key_delete,
    .api_key_touch = api_key_touch,
    .machine_user_first = machine_user_first,
    .hmac_get = hmac_get,
    .hmac_set = hmac_set,
    .customer_get = customer_get,
    .customer_insert = customer_insert,
    .customer_update = customer_update,
    .customer_delete = customer_delete,
    .customer_page = customer_page,
    .customer_count = customer_count,
    .customer_page_by_name = customer_page_by_name,
    .group_page = group_page,
    .group_count = group_count,
    .group_get = group_get,
    .group_insert = group_insert,
    .group_update = group_update,
    .group_delete = group_delete,
    .group_member_count = group_member_count,
    .membership_insert = membership_insert,
    .membership_delete = membership_delete,
    .target_count = target_count,
    .target_insert = target_insert,
    .target_update = target_update,
    .target_delete = target_delete,
    .target_get = target_get,
    .target_list = target_list,
    .event_insert = event_insert,
    .deliveries_create = deliveries_create,
    .deliveries_cancel_for_target = deliveries_cancel_for_target,
    .deliveries_due_targets = deliveries_due_targets,
    .deliveries_claim_target = deliveries_claim_target,
    .deliveries_count_due = deliveries_count_due,
    .delivery_unblock_next = delivery_unblock_next,
    .deliveries_unblock_all = deliveries_unblock_all,
    .deliveries_fail_for_target = deliveries_fail_for_target,
    .target_note_health = target_note_health,
    .target_auto_disable = target_auto_disable,
    .event_get = event_get,
    .delivery_record = delivery_record,
    .deliveries_release_leases = deliveries_release_leases,
    .events_prune = events_prune,
    .delivery_page = delivery_page,
    .attempt_list = attempt_list,
    .event_page = event_page,
    .event_deliveries = event_deliveries,
    .delivery_rearm = delivery_rearm,
    .deliveries_rearm_failed = deliveries_rearm_failed,
    .counts = counts,
};
