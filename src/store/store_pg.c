/*
 * store_pg.c - the PostgreSQL backend of store_backend.h, on libpq.
 *
 * One store_conn wraps one PGconn and the statements it prepared (on first
 * use, kept for the connection's life). Several hookd processes (nodes) may
 * use one database at once, which is what this backend is for; what that
 * asks of each part:
 *
 *  - Writes run at READ COMMITTED, each mutation reading the rows it will
 *    change with a lock (writer lookups of customers and targets are FOR
 *    UPDATE, of groups FOR SHARE): a node's read-modify-write never loses
 *    another node's change, it waits for its commit and reads the result.
 *    Uniqueness is the indexes': a row another node committed since a
 *    mutation looked is a unique violation, which retryable() reports, and
 *    the store runs that mutation again (it then sees the row). Deadlocks
 *    between two nodes' batches are retried the same way.
 *  - Claims take rows FOR UPDATE SKIP LOCKED: two nodes claiming for one
 *    target at once get different rows, never wait for each other. A claim
 *    moves the due time to the lease's end, so a node that dies leaves rows
 *    that become due by themselves when their leases run out: leases are
 *    never released at start (store_ops.shared).
 *  - Ordered targets: event ids come from each node's clock, so a customer's
 *    deliveries are chained by deliveries.seq, taken under a transaction
 *    advisory lock per (workspace, customer) that deliveries_create and
 *    delivery_unblock_next both hold: the chain follows commit order, and a
 *    delivery created while the one before it is being recorded elsewhere
 *    is either seen by that record or sees it done (never neither).
 *  - Other nodes hear of a commit's new deliveries through NOTIFY, sent in
 *    the committing transaction (announce_due), and a listener connection
 *    per process (listen_start).
 *
 * Reads run in REPEATABLE READ READ ONLY transactions: one snapshot each,
 * as SQLite's WAL readers have. Durability is the server's: the writer sets
 * synchronous_commit = on (off for throwaway test stores).
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "domain/catalog.h"
#include "store/pg_schema.h"
#include "store/store_backend.h"

enum stmt_id {
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
    S_CU_BY_ID_W,
    S_CU_BY_EMAIL_W,
    S_CU_BY_EXTERNAL_ID_W,
    S_CU_MEMBERSHIPS,
    S_CU_INSERT,
    S_CU_UPDATE,
    S_CU_DELETE,
    S_CU_DELETE_MEMBERSHIPS,
    S_GR_BY_ID,
    S_GR_BY_KEY,
    S_GR_BY_ID_W,
    S_GR_BY_KEY_W,
    S_GR_BY_EXTERNAL_ID,
    S_GR_BY_EXTERNAL_ID_W,
    S_GR_INSERT,
    S_GR_UPDATE,
    S_GR_DELETE,
    S_GR_MEMBER_COUNT,
    S_GR_COUNT,
    S_MEM_INSERT,
    S_MEM_DELETE,
    S_TG_COUNT,
    S_WS_LOCK,
    S_TG_INSERT,
    S_TG_UPDATE,
    S_TG_DELETE,
    S_TG_GET,
    S_TG_GET_W,
    S_TG_LIST,
    S_SUB_INSERT,
    S_SUB_DELETE,
    S_SUB_LIST,
    S_EV_INSERT,
    S_CUSTOMER_LOCK_IF_ORDERED,
    S_CUSTOMER_LOCK,
    S_DLV_CREATE,
    S_DLV_CANCEL,
    S_DLV_FAIL_ALL,
    S_DLV_CLAIM,
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
    S_NOTIFY,
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
#define DELIVERY_COLS                                                                              \
    "workspace_id, target_id, event_id, status, attempts, next_attempt_at, created_at,"            \
    " updated_at, customer_id"
/* The lock key of a customer's chain of ordered deliveries (see the top). */
#define CUSTOMER_KEY "hashtextextended($1 || ' ' || $2, 0)"

static const char *const sql[STMT_COUNT] = {
    [S_WS_INSERT] = "INSERT INTO workspaces (id, name, created_at, created_by, updated_at,"
                    " updated_by) VALUES ($1, $2, $3, $4, $5, $6)",
    [S_WS_GET] = "SELECT id, name, created_at, created_by, updated_at, updated_by"
                 " FROM workspaces WHERE id = $1",
    [S_MU_INSERT] = "INSERT INTO machine_users (workspace_id, id, name, created_at)"
                    " VALUES ($1, $2, $3, $4)",
    [S_MU_GET] = "SELECT name, created_at FROM machine_users WHERE workspace_id = $1 AND id = $2",
    [S_KEY_INSERT] = "INSERT INTO api_keys (key_hash, id, workspace_id, machine_user_id,"
                     " permissions, created_at, description) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [S_KEY_FIND] = "SELECT id, workspace_id, machine_user_id, permissions FROM api_keys"
                   " WHERE key_hash = $1",
    [S_HMAC_GET] = "SELECT hmac_secret, hmac_created_at, hmac_created_by, hmac_updated_at,"
                   " hmac_updated_by FROM workspaces WHERE id = $1",
    [S_HMAC_SET] = "UPDATE workspaces SET hmac_secret = $2, hmac_updated_at = $3,"
                   " hmac_updated_by = $4, hmac_created_at = coalesce(hmac_created_at, $3),"
                   " hmac_created_by = coalesce(hmac_created_by, $4) WHERE id = $1",
    [S_CU_BY_ID] = "SELECT " CUSTOMER_COLS " FROM customers WHERE workspace_id = $1 AND id = $2",
    [S_CU_BY_EMAIL] =
        "SELECT " CUSTOMER_COLS " FROM customers WHERE workspace_id = $1 AND email_key = $2",
    [S_CU_BY_EXTERNAL_ID] =
        "SELECT " CUSTOMER_COLS " FROM customers WHERE workspace_id = $1 AND external_id = $2",
    /* The writer's lookups lock what they find: see the top of the file. */
    [S_CU_BY_ID_W] = "SELECT " CUSTOMER_COLS " FROM customers WHERE workspace_id = $1 AND id = $2"
                     " FOR UPDATE",
    [S_CU_BY_EMAIL_W] = "SELECT " CUSTOMER_COLS
                        " FROM customers WHERE workspace_id = $1 AND email_key = $2 FOR UPDATE",
    [S_CU_BY_EXTERNAL_ID_W] =
        "SELECT " CUSTOMER_COLS
        " FROM customers WHERE workspace_id = $1 AND external_id = $2 FOR UPDATE",
    [S_CU_MEMBERSHIPS] =
        "SELECT m.group_id, m.created_at, m.created_by, m.updated_at, m.updated_by,"
        " g.id, g.name, g.key, g.color, g.external_id, g.created_at, g.created_by,"
        " g.updated_at, g.updated_by"
        " FROM memberships m JOIN customer_groups g"
        "  ON g.workspace_id = m.workspace_id AND g.id = m.group_id"
        " WHERE m.workspace_id = $1 AND m.customer_id = $2 ORDER BY m.created_at, m.group_id",
    [S_CU_INSERT] = "INSERT INTO customers (workspace_id, " CUSTOMER_COLS ", email_key)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    [S_CU_UPDATE] = "UPDATE customers SET email = $3, email_verified = $4, email_verified_at = $5,"
                    " external_id = $6, full_name = $7, short_name = $8, spam_at = $9,"
                    " spam_by = $10, created_at = $11, created_by = $12, updated_at = $13,"
                    " updated_by = $14, email_key = $15 WHERE workspace_id = $1 AND id = $2",
    [S_CU_DELETE] = "DELETE FROM customers WHERE workspace_id = $1 AND id = $2",
    [S_CU_DELETE_MEMBERSHIPS] = "DELETE FROM memberships WHERE workspace_id = $1"
                                " AND customer_id = $2",
    [S_GR_BY_ID] = "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = $1 AND id = $2",
    [S_GR_BY_KEY] =
        "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = $1 AND key = $2",
    /* Shared: nodes adding members to one group do not wait for each other,
     * and the group cannot be deleted or changed under them. */
    [S_GR_BY_ID_W] =
        "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = $1 AND id = $2 FOR SHARE",
    [S_GR_BY_KEY_W] =
        "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = $1 AND key = $2 FOR SHARE",
    /* Two rows at most: a second one makes the lookup ambiguous (store_backend.h). */
    [S_GR_BY_EXTERNAL_ID] = "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = $1"
                            " AND external_id = $2 ORDER BY id LIMIT 2",
    [S_GR_BY_EXTERNAL_ID_W] = "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = $1"
                              " AND external_id = $2 ORDER BY id LIMIT 2 FOR SHARE",
    [S_GR_INSERT] = "INSERT INTO customer_groups (workspace_id, " GROUP_COLS ")"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    [S_GR_UPDATE] = "UPDATE customer_groups SET name = $3, key = $4, color = $5, external_id = $6,"
                    " created_at = $7, created_by = $8, updated_at = $9, updated_by = $10"
                    " WHERE workspace_id = $1 AND id = $2",
    [S_GR_DELETE] = "DELETE FROM customer_groups WHERE workspace_id = $1 AND id = $2",
    [S_GR_MEMBER_COUNT] = "SELECT count(*) FROM memberships WHERE workspace_id = $1"
                          " AND group_id = $2",
    [S_GR_COUNT] = "SELECT count(*) FROM customer_groups WHERE workspace_id = $1",
    [S_MEM_INSERT] = "INSERT INTO memberships (workspace_id, customer_id, group_id, created_at,"
                     " created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [S_MEM_DELETE] = "DELETE FROM memberships WHERE workspace_id = $1 AND customer_id = $2"
                     " AND group_id = $3",
    [S_TG_COUNT] = "SELECT count(*) FROM webhook_targets WHERE workspace_id = $1",
    /* The writer counts targets (the limit per workspace) under the
     * workspace's row lock, so two nodes cannot both add the last one. */
    [S_WS_LOCK] = "SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE",
    [S_TG_INSERT] = "INSERT INTO webhook_targets (workspace_id, " TARGET_COLS ")"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    [S_TG_UPDATE] = "UPDATE webhook_targets SET url = $3, description = $4, version = $5,"
                    " is_enabled = $6, created_at = $7, created_by = $8, updated_at = $9,"
                    " updated_by = $10, ordered_by_customer = $11, max_rps = $12,"
                    " failing_since = $13, auto_disabled_at = $14"
                    " WHERE workspace_id = $1 AND id = $2",
    /* Only a change of state writes the row: every node records attempts for
     * the same busy targets, and an UPDATE of the same row in each record
     * would make their record transactions wait for one another. */
    [S_TG_HEALTH_OK] = "WITH u AS (UPDATE webhook_targets SET failing_since = NULL"
                       "  WHERE workspace_id = $1 AND id = $2 AND failing_since IS NOT NULL"
                       "  RETURNING failing_since, is_enabled)"
                       " SELECT failing_since, is_enabled, 1 FROM u UNION ALL"
                       " SELECT failing_since, is_enabled, 0 FROM webhook_targets"
                       "  WHERE workspace_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM u)",
    [S_TG_HEALTH_FAIL] = "WITH u AS (UPDATE webhook_targets SET failing_since = $3"
                         "  WHERE workspace_id = $1 AND id = $2 AND failing_since IS NULL"
                         "  RETURNING failing_since, is_enabled)"
                         " SELECT failing_since, is_enabled, 1 FROM u UNION ALL"
                         " SELECT failing_since, is_enabled, 0 FROM webhook_targets"
                         "  WHERE workspace_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM u)",
    [S_TG_AUTO_DISABLE] = "UPDATE webhook_targets SET is_enabled = 0, auto_disabled_at = $3,"
                          " updated_at = $3, updated_by = $4 WHERE workspace_id = $1 AND id = $2",
    [S_TG_DELETE] = "DELETE FROM webhook_targets WHERE workspace_id = $1 AND id = $2",
    [S_TG_GET] = "SELECT " TARGET_COLS " FROM webhook_targets WHERE workspace_id = $1 AND id = $2",
    [S_TG_GET_W] = "SELECT " TARGET_COLS
                   " FROM webhook_targets WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
    [S_TG_LIST] = "SELECT " TARGET_COLS " FROM webhook_targets WHERE workspace_id = $1 ORDER BY id",
    [S_SUB_INSERT] = "INSERT INTO target_subscriptions (workspace_id, event_type, target_id,"
                     " position) VALUES ($1, $2, $3, $4)",
    [S_SUB_DELETE] = "DELETE FROM target_subscriptions WHERE workspace_id = $1 AND target_id = $2",
    [S_SUB_LIST] = "SELECT event_type FROM target_subscriptions WHERE workspace_id = $1"
                   " AND target_id = $2 ORDER BY position",
    [S_EV_INSERT] = "INSERT INTO events (id, workspace_id, type, timestamp, payload, customer_id)"
                    " VALUES ($1, $2, $3, $4, $5, $6)",
    /* Before an event's deliveries: the customer's chain lock, taken only
     * when a target ordered by customer gets one ($1 workspace, $2 customer,
     * $3 event type). A statement of its own, so that the INSERT after it
     * reads, at READ COMMITTED, what the lock's last holder committed. */
    [S_CUSTOMER_LOCK_IF_ORDERED] =
        "SELECT pg_advisory_xact_lock(" CUSTOMER_KEY ") WHERE EXISTS (SELECT 1"
        " FROM target_subscriptions s JOIN webhook_targets t"
        "  ON t.workspace_id = s.workspace_id AND t.id = s.target_id"
        " WHERE s.workspace_id = $1 AND s.event_type = $3 AND t.is_enabled = 1"
        "  AND t.ordered_by_customer = 1)",
    [S_CUSTOMER_LOCK] = "SELECT pg_advisory_xact_lock(" CUSTOMER_KEY ")",
    /* As SQLite's: an ordered target's delivery waits, with no due time,
     * while an earlier one of the same customer is pending there. */
    [S_DLV_CREATE] = "INSERT INTO deliveries (workspace_id, event_id, target_id, status, attempts,"
                     " next_attempt_at, created_at, updated_at, customer_id)"
                     " SELECT $1, $2, s.target_id, 0, 0,"
                     "  CASE WHEN t.ordered_by_customer = 1 AND EXISTS (SELECT 1 FROM deliveries p"
                     "   WHERE p.workspace_id = $1 AND p.target_id = s.target_id"
                     "   AND p.customer_id = $5 AND p.status = 0)"
                     "  THEN NULL ELSE $4::bigint END, $4, $4,"
                     "  CASE WHEN t.ordered_by_customer = 1 THEN $5 END"
                     " FROM target_subscriptions s JOIN webhook_targets t"
                     "  ON t.workspace_id = s.workspace_id AND t.id = s.target_id"
                     " WHERE s.workspace_id = $1 AND s.event_type = $3 AND t.is_enabled = 1"
                     " ORDER BY s.target_id"
                     " RETURNING target_id, next_attempt_at",
    [S_DLV_CANCEL] = "UPDATE deliveries SET status = 3, updated_at = $3, lease_until = NULL"
                     " WHERE workspace_id = $1 AND target_id = $2 AND status = 0",
    [S_DLV_FAIL_ALL] = "UPDATE deliveries SET status = 2, updated_at = $3, lease_until = NULL,"
                       " next_attempt_at = NULL"
                       " WHERE workspace_id = $1 AND target_id = $2 AND status = 0",
    /* Rows another node is claiming (or recording) are skipped, never waited
     * for. The returned due time is the one before the lease. */
    [S_DLV_CLAIM] = "WITH c AS (SELECT " DELIVERY_COLS " FROM deliveries"
                    "  WHERE workspace_id = $1 AND target_id = $2 AND status = 0"
                    "  AND next_attempt_at <= $3 ORDER BY next_attempt_at LIMIT $4"
                    "  FOR UPDATE SKIP LOCKED),"
                    " u AS (UPDATE deliveries d SET lease_until = $5, next_attempt_at = $5 FROM c"
                    "  WHERE d.workspace_id = c.workspace_id AND d.target_id = c.target_id"
                    "  AND d.event_id = c.event_id RETURNING c.*)"
                    " SELECT " DELIVERY_COLS " FROM u ORDER BY next_attempt_at, event_id",
    [S_DLV_NEXT_DUE] = "SELECT next_attempt_at FROM deliveries WHERE workspace_id = $1"
                       " AND target_id = $2 AND status = 0 AND next_attempt_at IS NOT NULL"
                       " ORDER BY next_attempt_at LIMIT 1",
    /* A loose index scan in one statement: each step seeks the next target
     * after the last one found in deliveries_due_by_target. */
    [S_DLV_DUE_TARGETS] =
        "WITH RECURSIVE t (workspace_id, target_id, next_at) AS ("
        " (SELECT workspace_id, target_id, next_attempt_at FROM deliveries"
        "  WHERE status = 0 AND next_attempt_at IS NOT NULL"
        "  AND (workspace_id, target_id) > ($1, $2)"
        "  ORDER BY workspace_id, target_id, next_attempt_at LIMIT 1)"
        " UNION ALL"
        " SELECT n.workspace_id, n.target_id, n.next_attempt_at FROM t CROSS JOIN LATERAL"
        " (SELECT d.workspace_id, d.target_id, d.next_attempt_at FROM deliveries d"
        "  WHERE d.status = 0 AND d.next_attempt_at IS NOT NULL"
        "  AND (d.workspace_id, d.target_id) > (t.workspace_id, t.target_id)"
        "  ORDER BY d.workspace_id, d.target_id, d.next_attempt_at LIMIT 1) n)"
        " SELECT workspace_id, target_id, next_at FROM t LIMIT $3",
    [S_DLV_UNBLOCK_NEXT] =
        "UPDATE deliveries SET next_attempt_at = $4, updated_at = $4"
        " WHERE workspace_id = $1 AND target_id = $2 AND status = 0 AND next_attempt_at IS NULL"
        " AND event_id = (SELECT event_id FROM deliveries"
        "  WHERE workspace_id = $1 AND target_id = $2 AND customer_id = $3 AND status = 0"
        "  ORDER BY seq LIMIT 1)",
    [S_DLV_UNBLOCK_ALL] = "UPDATE deliveries SET next_attempt_at = $3, updated_at = $3"
                          " WHERE workspace_id = $1 AND target_id = $2 AND status = 0"
                          " AND customer_id IS NOT NULL AND next_attempt_at IS NULL",
    [S_EV_GET] = "SELECT type, timestamp, payload, customer_id FROM events"
                 " WHERE workspace_id = $1 AND id = $2",
    /* Two nodes may both attempt a delivery whose lease ran out under the
     * first: the attempt of that number is recorded once. */
    [S_ATT_INSERT] = "INSERT INTO attempts (workspace_id, target_id, event_id, number, id,"
                     " started_at, duration_ms, status_code, error, response_excerpt,"
                     " sent_version, sent_signature, sent_basic_auth, sent_user_agent)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                     " ON CONFLICT DO NOTHING",
    [S_DLV_DONE] = "UPDATE deliveries SET status = $4, attempts = greatest(attempts, $5),"
                   " next_attempt_at = $6, lease_until = NULL, updated_at = $7"
                   " WHERE workspace_id = $1 AND target_id = $2 AND event_id = $3 AND status = 0",
    [S_DLV_DROP] = "UPDATE deliveries SET status = 3, lease_until = NULL, updated_at = $4"
                   " WHERE workspace_id = $1 AND target_id = $2 AND event_id = $3 AND status = 0",
    [S_DLV_RELEASE] = "UPDATE deliveries SET lease_until = NULL, next_attempt_at = $1,"
                      " updated_at = $1 WHERE status = 0 AND lease_until IS NOT NULL",
    [S_ATT_LIST] = "SELECT id, number, started_at, duration_ms, status_code, error,"
                   " response_excerpt, sent_version, sent_signature, sent_basic_auth,"
                   " sent_user_agent FROM attempts WHERE workspace_id = $1 AND target_id = $2"
                   " AND event_id = $3 ORDER BY number",
    [S_DLV_REARM] = "INSERT INTO deliveries (workspace_id, target_id, event_id, status, attempts,"
                    " next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, 0, 0, $4, $4,"
                    " $4) ON CONFLICT (workspace_id, target_id, event_id) DO UPDATE SET"
                    " status = 0, next_attempt_at = $4, lease_until = NULL, updated_at = $4",
    [S_DLV_REARM_FAILED] =
        "UPDATE deliveries SET status = 0, next_attempt_at = $4, lease_until = NULL,"
        " updated_at = $4 WHERE workspace_id = $1 AND target_id = $2 AND status = 2"
        " AND EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = $1"
        " AND e.id = deliveries.event_id AND e.timestamp >= $3)",
    [S_COUNTS] = "SELECT (SELECT count(*) FROM customers WHERE workspace_id = $1),"
                 " (SELECT count(*) FROM customer_groups WHERE workspace_id = $1),"
                 " (SELECT count(*) FROM memberships WHERE workspace_id = $1),"
                 " (SELECT count(*) FROM webhook_targets WHERE workspace_id = $1),"
                 " (SELECT count(*) FROM events WHERE workspace_id = $1),"
                 " (SELECT count(*) FROM deliveries WHERE workspace_id = $1 AND status = 0),"
                 " (SELECT count(*) FROM deliveries WHERE workspace_id = $1 AND status = 3)",
    [S_DLV_DUE_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE workspace_id = $1"
                        " AND target_id = $2 AND status = 0 AND next_attempt_at <= $3 LIMIT $4) d",
    /* Retention, as SQLite's (store_sqlite.c). */
    [S_PRUNE_WORKSPACES] = "SELECT id FROM workspaces ORDER BY id",
    [S_PRUNE_PENDING] = "SELECT workspace_id, min(event_id) FROM deliveries"
                        " WHERE status = 0 AND next_attempt_at IS NOT NULL GROUP BY workspace_id",
    [S_PRUNE_NEXT_TARGET] = "SELECT target_id FROM deliveries WHERE workspace_id = $1"
                            " AND target_id > $2 ORDER BY target_id LIMIT 1",
    [S_PRUNE_DLV_BOUND] = "SELECT event_id FROM deliveries WHERE workspace_id = $1"
                          " AND target_id = $2 AND event_id < $3 ORDER BY event_id"
                          " LIMIT 1 OFFSET $4",
    [S_PRUNE_ATTEMPTS] = "DELETE FROM attempts WHERE workspace_id = $1 AND target_id = $2"
                         " AND event_id < $3",
    [S_PRUNE_DLV] = "DELETE FROM deliveries WHERE workspace_id = $1 AND target_id = $2"
                    " AND event_id < $3",
    [S_PRUNE_EV_BOUND] = "SELECT id FROM events WHERE workspace_id = $1 AND id < $2"
                         " ORDER BY id LIMIT 1 OFFSET $3",
    [S_PRUNE_EV] = "DELETE FROM events WHERE workspace_id = $1 AND id < $2",
    [S_KEY_LIST] = "SELECT " KEY_COLS " FROM api_keys WHERE workspace_id = $1 ORDER BY id",
    [S_KEY_LIST_ALL] = "SELECT " KEY_COLS " FROM api_keys ORDER BY workspace_id, id",
    [S_KEY_DELETE] = "DELETE FROM api_keys WHERE id = $1",
    /* Never back: another node may have written a later use already. */
    [S_KEY_TOUCH] = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1"
                    " AND (last_used_at IS NULL OR last_used_at < $2)",
    [S_MU_FIRST] = "SELECT id FROM machine_users WHERE workspace_id = $1"
                   " ORDER BY created_at, id LIMIT 1",
    [S_NOTIFY] = "SELECT pg_notify($1, $2)",
    /* An event's deliveries to the targets that still exist (see SQLite's). */
    [S_EV_DELIVERIES] =
        "SELECT d.workspace_id, d.target_id, d.event_id, d.status, d.attempts,"
        " d.next_attempt_at, d.created_at, d.updated_at, d.customer_id, e.type"
        " FROM webhook_targets t"
        " JOIN deliveries d ON d.workspace_id = t.workspace_id AND d.target_id = t.id"
        "  AND d.event_id = $2"
        " JOIN events e ON e.workspace_id = d.workspace_id AND e.id = d.event_id"
        " WHERE t.workspace_id = $1 ORDER BY t.id",
};

/* After a claim that left due rows behind (other nodes hold them, locked in
 * their transactions), when to look at the target again: their claim will
 * have committed by then, moving those rows' due times to its lease's end. */
#define LOCKED_RECHECK_MS 100
/* The largest NOTIFY payload is 8000 bytes; past this, "any". */
#define NOTIFY_PAYLOAD_MAX 7900
/* A repeated error of one connection is logged once per window (see log_error). */
#define ERROR_LOG_WINDOW_MS 5000
#define ACTOR_TEXT_MAX (HK_ACTOR_ID_MAX + 8)
#define MAX_PARAMS 16
#define MAX_ACTOR_PARAMS 4

struct store_conn {
    PGconn *pg;
    char *conninfo;
    store_role role;
    bool durable;
    bool prepared[STMT_COUNT];
    char channel[96]; /* NOTIFY channel (writer) */
    uint64_t rows_written;
    bool retry_hint;         /* the last failure was another transaction's doing */
    const char *last_error;  /* static: what the last failure of this transaction was */
    int fail_countdown;      /* > 0: the write that brings it to 0 fails */
    int fail_sync_countdown; /* > 0: the commit that brings it to 0 reports an unknown outcome */
    char logged_state[6];    /* log_error: the SQLSTATE last logged, when, and */
    int64_t logged_at;       /* how many repeats of it were not logged since */
    unsigned log_suppressed;
};

/* ---- parameters ---- */

/* Text parameters of one statement; numbers and actors are formatted into
 * the struct itself. */
typedef struct params {
    const char *v[MAX_PARAMS];
    char num[MAX_PARAMS][24];
    char actor[MAX_ACTOR_PARAMS][ACTOR_TEXT_MAX];
    int n, n_actor;
} params;

static void p_text(params *p, const char *s)
{
    p->v[p->n++] = s;
}

static void p_int(params *p, int64_t v)
{
    snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

static void p_time(params *p, int64_t t)
{
    if (t == HK_TIME_NONE)
        p->v[p->n++] = NULL;
    else
        p_int(p, t);
}

static void actor_encode(const hk_actor *a, char out[ACTOR_TEXT_MAX])
{
    if (a->type == HK_ACTOR_SYSTEM)
        snprintf(out, ACTOR_TEXT_MAX, "system:%s", a->id);
    else
        snprintf(out, ACTOR_TEXT_MAX, "%s", a->id);
}

static void p_actor(params *p, const hk_actor *a)
{
    actor_encode(a, p->actor[p->n_actor]);
    p->v[p->n++] = p->actor[p->n_actor++];
}

/* created_at, created_by, updated_at, updated_by */
static void p_stamps(params *p, int64_t created_at, const hk_actor *created_by, int64_t updated_at,
                     const hk_actor *updated_by)
{
    p_int(p, created_at);
    p_actor(p, created_by);
    p_int(p, updated_at);
    p_actor(p, updated_by);
}

/* ---- errors ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Logs a database error, but the same SQLSTATE again on this connection
 * within ERROR_LOG_WINDOW_MS only counts (a database that is down fails
 * every statement of every batch). */
static void log_error(store_conn *c, const char *what, const char *state, const char *msg)
{
    int64_t now = mono_ms();
    if (strcmp(state, c->logged_state) == 0 && now - c->logged_at < ERROR_LOG_WINDOW_MS) {
        c->log_suppressed++;
        return;
    }
    size_t n = strcspn(msg, "\n");
    if (c->log_suppressed)
        hk_log_error("postgresql: %s: %.*s (%s) [%u more errors of this connection not logged]",
                     what, (int)n, msg, state, c->log_suppressed);
    else
        hk_log_error("postgresql: %s: %.*s (%s)", what, (int)n, msg, state);
    snprintf(c->logged_state, sizeof c->logged_state, "%s", state);
    c->logged_at = now;
    c->log_suppressed = 0;
}

/* Classifies a failed result (NULL: no result at all, the connection's
 * error). A unique violation is HK_ECONFLICT; it, a serialization failure
 * and a deadlock may not happen again (retry_hint). */
/* A failure's SQLSTATE in a few words for an operator (see store_ops.last_error). */
static const char *describe_state(const char *state)
{
    if (!*state || strncmp(state, "08", 2) == 0)
        return "connection to the database lost";
    if (strcmp(state, "53100") == 0)
        return "disk full";
    if (strcmp(state, "25006") == 0)
        return "read-only database";
    if (strncmp(state, "57P", 3) == 0)
        return "database shutting down";
    if (strncmp(state, "58", 2) == 0)
        return "I/O error";
    if (strncmp(state, "53", 2) == 0)
        return "database out of resources";
    return "database error";
}

static hk_status pg_error(store_conn *c, const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        state = "";
    c->last_error = describe_state(state);
    if (strcmp(state, "23505") == 0) {
        c->retry_hint = true;
        return HK_ECONFLICT;
    }
    if (strcmp(state, "53200") == 0)
        return HK_ENOMEM;
    const char *msg = r ? PQresultErrorMessage(r) : "";
    if (!*msg)
        msg = PQerrorMessage(c->pg);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        c->retry_hint = true;
        hk_log_warn("postgresql: %s: %.*s (%s): the mutation runs again", what,
                    (int)strcspn(msg, "\n"), msg, state);
        return HK_EIO;
    }
    log_error(c, what, *state ? state : "conn", msg);
    return HK_EIO;
}

/* ---- statements ---- */

/* Runs statement `id` (prepared on first use); NULL on failure, *st says why. */
static PGresult *run(store_conn *c, enum stmt_id id, const params *p, hk_status *st)
{
    *st = HK_OK;
    char name[16];
    snprintf(name, sizeof name, "s%d", (int)id);
    if (!c->prepared[id]) {
        PGresult *r = PQprepare(c->pg, name, sql[id], 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            *st = pg_error(c, r, "prepare");
            PQclear(r);
            return NULL;
        }
        PQclear(r);
        c->prepared[id] = true;
    }
    PGresult *r = PQexecPrepared(c->pg, name, p ? p->n : 0, p ? p->v : NULL, NULL, NULL, 0);
    ExecStatusType es = PQresultStatus(r);
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
        *st = pg_error(c, r, sql[id]);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* A statement that writes: the test hook may fail it, and the rows it
 * changed count in rows_written. The result is the caller's to clear. */
static PGresult *run_write(store_conn *c, enum stmt_id id, const params *p, hk_status *st)
{
    if (c->fail_countdown > 0 && --c->fail_countdown == 0) {
        c->last_error = "I/O error";
        *st = HK_EIO;
        return NULL;
    }
    PGresult *r = run(c, id, p, st);
    if (r)
        c->rows_written += strtoull(PQcmdTuples(r), NULL, 10);
    return r;
}

/* Runs a write that returns nothing of interest; *changed (unless NULL): rows it changed. */
static hk_status exec_write(store_conn *c, enum stmt_id id, const params *p, int64_t *changed)
{
    if (changed)
        *changed = 0;
    hk_status st;
    PGresult *r = run_write(c, id, p, &st);
    if (!r)
        return st;
    if (changed)
        *changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return HK_OK;
}

/* Runs a plain command outside the prepared set (transaction control). */
static hk_status exec_simple(store_conn *c, const char *command)
{
    PGresult *r = PQexec(c->pg, command);
    hk_status st = PQresultStatus(r) == PGRES_COMMAND_OK ? HK_OK : pg_error(c, r, command);
    PQclear(r);
    return st;
}

/* ---- columns ---- */

static bool col_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col);
}

static int64_t col_int(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int64_t col_time(const PGresult *r, int row, int col)
{
    return col_null(r, row, col) ? HK_TIME_NONE : col_int(r, row, col);
}

/* Copies a text column into the arena: *out NULL for SQL NULL. */
static hk_status col_str(const PGresult *r, int row, int col, hk_arena *a, const char **out)
{
    *out = NULL;
    if (col_null(r, row, col))
        return HK_OK;
    *out = hk_arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
    return *out ? HK_OK : HK_ENOMEM;
}

static void col_id(const PGresult *r, int row, int col, char out[HK_ID_MAX])
{
    snprintf(out, HK_ID_MAX, "%s", PQgetvalue(r, row, col));
}

static void col_actor(const PGresult *r, int row, int col, hk_actor *a)
{
    const char *v = PQgetvalue(r, row, col);
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

/* ---- connections ---- */

/* Session settings, after every (re)connection. */
static hk_status configure(store_conn *c, hk_error *err)
{
    char setup[256];
    snprintf(setup, sizeof setup,
             "SET synchronous_commit = %s; SET client_min_messages = warning;"
             " SET statement_timeout = 0",
             c->durable ? "on" : "off");
    PGresult *r = PQexec(c->pg, setup);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
        return hk_error_set(err, HK_EIO, NULL, "postgresql: cannot configure the session: %s",
                            PQerrorMessage(c->pg));
    if (c->role != STORE_ROLE_WRITER)
        return HK_OK;
    /* The channel is per schema: stores of several schemas (tests, several
     * hookd clusters in one database) do not wake one another. */
    r = PQexec(c->pg, "SELECT 'hookd_due:' || coalesce(current_schema(), '')");
    ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok)
        snprintf(c->channel, sizeof c->channel, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!ok)
        return hk_error_set(err, HK_EIO, NULL, "postgresql: %s", PQerrorMessage(c->pg));
    return HK_OK;
}

static PGconn *connect_to(const char *conninfo)
{
    const char *keys[] = {"dbname", "fallback_application_name", NULL};
    const char *values[] = {conninfo, "hookd", NULL};
    return PQconnectdbParams(keys, values, 1);
}

/* The password, if any, is not shown: libpq's messages never contain it. */
static hk_status connect_error(PGconn *pg, hk_error *err)
{
    const char *msg = pg ? PQerrorMessage(pg) : "out of memory";
    return hk_error_set(err, HK_EIO, NULL, "postgresql: cannot connect: %.*s",
                        (int)strcspn(msg, "\n"), msg);
}

static void conn_close(store_conn *c)
{
    if (!c)
        return;
    PQfinish(c->pg);
    free(c->conninfo);
    free(c);
}

static hk_status conn_open(const char *location, bool durable, store_role role, store_conn **out,
                           hk_error *err)
{
    *out = NULL;
    store_conn *c = calloc(1, sizeof *c);
    if (!c)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    c->role = role;
    c->durable = durable;
    c->conninfo = strdup(location);
    hk_status st = HK_OK;
    if (!c->conninfo) {
        st = hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
        goto out;
    }
    c->pg = connect_to(location);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        st = connect_error(c->pg, err);
        goto out;
    }
    st = configure(c, err);
out:
    if (st)
        conn_close(c);
    else
        *out = c;
    return st;
}

/* A connection that broke (server restart, network) is made again between
 * transactions; its prepared statements went with it. */
static hk_status reconnect(store_conn *c)
{
    if (PQstatus(c->pg) == CONNECTION_OK)
        return HK_OK;
    PQreset(c->pg);
    memset(c->prepared, 0, sizeof c->prepared);
    hk_error err;
    hk_error_clear(&err);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        log_error(c, "reconnect", "conn", PQerrorMessage(c->pg));
        return HK_EIO;
    }
    if (configure(c, &err)) {
        log_error(c, "reconnect", "conf", err.message);
        return HK_EIO;
    }
    hk_log_info("postgresql: reconnected");
    return HK_OK;
}

/* Migrations run under a session advisory lock of the schema, so that nodes
 * starting together migrate once: the others wait, then find nothing to do. */
static hk_status migrate(store_conn *c, int *version, hk_error *err)
{
    *version = 0;
    int count;
    const char *const *m = pg_schema_migrations(&count);
    static const char lock[] =
        "SELECT pg_advisory_lock(hashtextextended('hookd:migrate:' || current_schema(), 0))";
    static const char unlock[] =
        "SELECT pg_advisory_unlock(hashtextextended('hookd:migrate:' || current_schema(), 0))";
    PGresult *r = PQexec(c->pg, lock);
    bool locked = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!locked)
        return hk_error_set(err, HK_EIO, NULL, "postgresql: cannot lock for migrations: %s",
                            PQerrorMessage(c->pg));
    hk_status st = HK_OK;
    r = PQexec(c->pg, "CREATE TABLE IF NOT EXISTS hookd_schema (version integer NOT NULL);"
                      "INSERT INTO hookd_schema SELECT 0 WHERE NOT EXISTS"
                      " (SELECT 1 FROM hookd_schema)");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    r = ok ? PQexec(c->pg, "SELECT version FROM hookd_schema") : NULL;
    ok = ok && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    int have = ok ? (int)col_int(r, 0, 0) : -1;
    PQclear(r);
    if (!ok) {
        st = hk_error_set(err, HK_EIO, NULL, "postgresql: cannot read the schema version: %s",
                          PQerrorMessage(c->pg));
        goto out;
    }
    if (have > count) {
        st = hk_error_set(err, HK_EIO, NULL,
                          "database schema version %d is newer than this hookd (%d)", have, count);
        goto out;
    }
    for (int v = have; v < count; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "UPDATE hookd_schema SET version = %d", v + 1);
        const char *steps[] = {"BEGIN", m[v], bump, "COMMIT"};
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            r = PQexec(c->pg, steps[i]);
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
            if (!ok)
                break;
        }
        if (!ok) {
            st = hk_error_set(err, HK_EIO, NULL, "postgresql: migration %d failed: %s", v + 1,
                              PQerrorMessage(c->pg));
            PQclear(PQexec(c->pg, "ROLLBACK"));
            goto out;
        }
        hk_log_info("store: applied schema migration %d", v + 1);
    }
    *version = count;
out:
    PQclear(PQexec(c->pg, unlock));
    return st;
}

/* ---- transactions ---- */

static hk_status tx_begin(store_conn *c)
{
    c->retry_hint = false;
    c->last_error = NULL; /* last_error tells about this transaction */
    hk_status st = reconnect(c);
    return st ? st : exec_simple(c, "BEGIN");
}

static hk_status tx_commit(store_conn *c, bool *unknown)
{
    *unknown = false;
    if (c->fail_sync_countdown > 0 && --c->fail_sync_countdown == 0) {
        (void)exec_simple(c, "ROLLBACK");
        hk_log_error("postgresql: COMMIT: connection lost (test hook)");
        *unknown = true;
        return HK_EIO;
    }
    PGresult *r = PQexec(c->pg, "COMMIT");
    /* COMMIT of an aborted transaction "succeeds" as a ROLLBACK. */
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
    hk_status st = HK_OK;
    if (!ok) {
        st = pg_error(c, r, "COMMIT");
        /* No answer: the server may have committed before the connection
         * broke. */
        *unknown = PQstatus(c->pg) != CONNECTION_OK;
    }
    PQclear(r);
    return st;
}

static void tx_rollback(store_conn *c)
{
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        (void)exec_simple(c, "ROLLBACK");
}

static hk_status tx_savepoint(store_conn *c)
{
    c->retry_hint = false;
    return exec_simple(c, "SAVEPOINT m");
}

static hk_status tx_release(store_conn *c)
{
    return exec_simple(c, "RELEASE m");
}

static void tx_rollback_to(store_conn *c)
{
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
        return;
    if (exec_simple(c, "ROLLBACK TO m") == HK_OK)
        (void)exec_simple(c, "RELEASE m");
}

/* False once a statement failed: PostgreSQL then refuses everything but a
 * rollback (to a savepoint) until then. */
static bool tx_active(store_conn *c)
{
    return PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
}

static uint64_t rows_written(store_conn *c)
{
    return c->rows_written;
}

static const char *last_error(store_conn *c)
{
    return c->last_error;
}

static bool retryable(store_conn *c)
{
    return c->retry_hint;
}

static hk_status read_begin(store_conn *c)
{
    hk_status st = reconnect(c);
    return st ? st : exec_simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

static void read_end(store_conn *c)
{
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_INTRANS)
        (void)exec_simple(c, "COMMIT");
    else if (ts == PQTRANS_INERROR)
        (void)exec_simple(c, "ROLLBACK");
}

static void fail_nth_write(store_conn *c, int n)
{
    c->fail_countdown = n;
}

static void fail_next_commit_sync(store_conn *c)
{
    c->fail_sync_countdown = 2; /* this transaction's commit, then the next one */
}

static bool durability_lost(store_conn *c)
{
    return false; /* the server's business: it stops itself when it cannot sync */
}

/* ---- one-row reads ---- */

/* Runs a lookup of at most one row: *r is the result (to clear) when the
 * row is there, NULL when not. */
static hk_status lookup(store_conn *c, enum stmt_id id, const params *p, PGresult **out)
{
    *out = NULL;
    hk_status st;
    PGresult *r = run(c, id, p, &st);
    if (!r)
        return st;
    if (PQntuples(r) == 0)
        PQclear(r);
    else
        *out = r;
    return HK_OK;
}

static hk_status count_of(store_conn *c, enum stmt_id id, const char *ws, const char *key,
                          int64_t *n)
{
    *n = 0;
    params p = {0};
    p_text(&p, ws);
    if (key)
        p_text(&p, key);
    PGresult *r;
    hk_status st = lookup(c, id, &p, &r);
    if (r) {
        *n = col_int(r, 0, 0);
        PQclear(r);
    }
    return st;
}

/* ---- workspaces, machine users, keys ---- */

static hk_status workspace_insert(store_conn *c, const hk_workspace *w)
{
    params p = {0};
    p_text(&p, w->id);
    p_text(&p, w->name);
    p_stamps(&p, w->created_at, &w->created_by, w->updated_at, &w->updated_by);
    return exec_write(c, S_WS_INSERT, &p, NULL);
}

static hk_status workspace_get(store_conn *c, const char *id, hk_arena *a, hk_workspace *out,
                               bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    params p = {0};
    p_text(&p, id);
    PGresult *r;
    hk_status st = lookup(c, S_WS_GET, &p, &r);
    if (r) {
        col_id(r, 0, 0, out->id);
        st = col_str(r, 0, 1, a, &out->name);
        out->created_at = col_int(r, 0, 2);
        col_actor(r, 0, 3, &out->created_by);
        out->updated_at = col_int(r, 0, 4);
        col_actor(r, 0, 5, &out->updated_by);
        *found = st == HK_OK;
        PQclear(r);
    }
    return st;
}

static hk_status machine_user_insert(store_conn *c, const char *ws, const char *id,
                                     const char *name, int64_t at)
{
    params p = {0};
    p_text(&p, ws);
    p_text(&p, id);
    p_text(&p, name);
    p_int(&p, at);
    return exec_write(c, S_MU_INSERT, &p, NULL);
}

static hk_status machine_user_get(store_conn *c, const char *ws, const char *id, hk_arena *a,
                                  hk_machine_user *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    params p = {0};
    p_text(&p, ws);
    p_text(&p, id);
    PGresult *r;
    hk_status st = lookup(c, S_MU_GET, &p, &r);
    if (r) {
        snprintf(out->id, sizeof out->id, "%s", id);
        st = col_str(r, 0, 0, a, &out->name);
        out->created_at = col_int(r, 0, 1);
        *found = st == HK_OK;
        PQclear(r);
    }
    return st;
}

static hk_status api_key_insert(store_conn *c, const store_api_key *k, const char *key_hash,
                                int64_t at)
{
    params p = {0};
    p_text(&p, key_hash);
    p_text(&p, k->id);
    p_text(&p, k->workspace_id);
    p_text(&p, k->machine_user_id);
    p_int(&p, k->permissions);
    p_int(&p, at);
    p_text(&p, k->description);
    return exec_write(c, S_KEY_INSERT, &p, NULL);
}

static hk_status api_key_find(store_conn *c, const char *key_hash, store_api_key *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    params p = {0};
    p_text(&p, key_hash);
    PGresult *r;
    hk_status st = lookup(c, S_KEY_FIND, &p, &r);
    if (r) {
        col_id(r, 0, 0, out->id);
        col_id(r, 0, 1, out->workspace_id);
        col_id(r, 0, 2, out->machine_user_id);
        out->permissions = (uint32_t)col_int(r, 0, 3);
        *found = true;
        PQclear(r);
    }
    return st;
}

static hk_status api_key_list(store_conn *c, const char *ws, hk_arena *a, store_api_key **out,
                              size_t *n)
{
    *out = NULL;
    *n = 0;
    params p = {0};
    if (ws)
        p_text(&p, ws);
    hk_status st;
    PGresult *r = run(c, ws ? S_KEY_LIST : S_KEY_LIST_ALL, &p, &st);
    if (!r)
        return st;
    int rows = PQntuples(r);
    store_api_key *list = hk_arena_calloc(a, (size_t)rows + 1, sizeof *list);
    if (!list)
        st = HK_ENOMEM;
    for (int i = 0; !st && i < rows; i++) {
        store_api_key *k = &list[i];
        col_id(r, i, 0, k->id);
        col_id(r, i, 1, k->workspace_id);
        col_id(r, i, 2, k->machine_user_id);
        k->permissions = (uint32_t)col_int(r, i, 3);
        k->created_at = col_int(r, i, 5);
        k->last_used_at = col_time(r, i, 6);
        st = col_str(r, i, 4, a, &k->description);
    }
    PQclear(r);
    if (!st) {
        *out = list;
        *n = (size_t)rows;
    }
    return st;
}

static hk_status api_key_delete(store_conn *c, const char *id, bool *found)
{
    *found = false;
    params p = {0};
    p_text(&p, id);
    int64_t changed;
    hk_status st = exec_write(c, S_KEY_DELETE, &p, &changed);
    *found = !st && changed > 0;
    return st;
}

static hk_status api_key_touch(store_conn *c, const char *id, int64_t at)
{
    params p = {0};
    p_text(&p, id);
    p_int(&p, at);
    return exec_write(c, S_KEY_TOUCH, &p, NULL);
}

static hk_status machine_user_first(store_conn *c, const char *ws, char id[HK_ID_MAX], bool *found)
{
    *found = false;
    id[0] = '\0';
    params p = {0};
    p_text(&p, ws);
    PGresult *r;
    hk_status st = lookup(c, S_MU_FIRST, &p, &r);
    if (r) {
        col_id(r, 0, 0, id);
        *found = true;
        PQclear(r);
    }
    return st;
}

static hk_status hmac_get(store_conn *c, const char *ws, hk_arena *a, hk_hmac_secret *out)
{
    memset(out, 0, sizeof *out);
    out->created_at = out->updated_at = HK_TIME_NONE;
    params p = {0};
    p_text(&p, ws);
    PGresult *r;
    hk_status st = lookup(c, S_HMAC_GET, &p, &r);
    if (r) {
        st = col_str(r, 0, 0, a, &out->secret);
        if (out->secret) {
            out->created_at = col_time(r, 0, 1);
            col_actor(r, 0, 2, &out->created_by);
            out->updated_at = col_time(r, 0, 3);
            col_actor(r, 0, 4, &out->updated_by);
        }
        PQclear(r);
    }
    return st;
}

static hk_status hmac_set(store_conn *c, const char *ws, const char *secret, int64_t at,
                          const hk_actor *by)
{
    params p = {0};
    p_text(&p, ws);
    p_text(&p, secret);
    p_int(&p, at);
    p_actor(&p, by);
    return exec_write(c, S_HMAC_SET, &p, NULL);
}

/* ---- customers ---- */

/* Case-insensitive key of an email: ASCII letters folded (as SQLite's). */
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

static hk_status read_group_cols(const PGresult *r, int row, int base, const char *ws, hk_arena *a,
                                 hk_customer_group *g)
{
    memset(g, 0, sizeof *g);
    col_id(r, row, base + 0, g->id);
    snprintf(g->workspace_id, sizeof g->workspace_id, "%s", ws);
    hk_status st = col_str(r, row, base + 1, a, &g->name);
    if (!st)
        st = col_str(r, row, base + 2, a, &g->key);
    if (!st)
        st = col_str(r, row, base + 3, a, &g->color);
    if (!st)
        st = col_str(r, row, base + 4, a, &g->external_id);
    g->created_at = col_int(r, row, base + 5);
    col_actor(r, row, base + 6, &g->created_by);
    g->updated_at = col_int(r, row, base + 7);
    col_actor(r, row, base + 8, &g->updated_by);
    return st;
}

static hk_status load_memberships(store_conn *c, hk_arena *a, hk_customer *cu)
{
    params p = {0};
    p_text(&p, cu->workspace_id);
    p_text(&p, cu->id);
    hk_status st;
    PGresult *r = run(c, S_CU_MEMBERSHIPS, &p, &st);
    if (!r)
        return st;
    int rows = PQntuples(r);
    if (rows > 0) {
        cu->memberships = hk_arena_calloc(a, (size_t)rows, sizeof *cu->memberships);
        if (!cu->memberships)
            st = HK_ENOMEM;
    }
    for (int i = 0; !st && i < rows; i++) {
        hk_membership *m = &cu->memberships[cu->n_memberships++];
        snprintf(m->customer_id, sizeof m->customer_id, "%s", cu->id);
        col_id(r, i, 0, m->customer_group_id);
        snprintf(m->workspace_id, sizeof m->workspace_id, "%s", cu->workspace_id);
        m->created_at = col_int(r, i, 1);
        col_actor(r, i, 2, &m->created_by);
        m->updated_at = col_int(r, i, 3);
        col_actor(r, i, 4, &m->updated_by);
        st = read_group_cols(r, i, 5, cu->workspace_id, a, &m->group);
    }
    PQclear(r);
    return st;
}

static hk_status read_customer_row(const PGresult *r, int row, const char *ws, hk_arena *a,
                                   hk_customer *cu)
{
    memset(cu, 0, sizeof *cu);
    col_id(r, row, 0, cu->id);
    snprintf(cu->workspace_id, sizeof cu->workspace_id, "%s", ws);
    hk_status st = col_str(r, row, 1, a, &cu->email);
    cu->email_verified = col_int(r, row, 2) != 0;
    cu->email_verified_at = col_time(r, row, 3);
    if (!st)
        st = col_str(r, row, 4, a, &cu->external_id);
    if (!st)
        st = col_str(r, row, 5, a, &cu->full_name);
    if (!st)
        st = col_str(r, row, 6, a, &cu->short_name);
    cu->marked_as_spam_at = col_time(r, row, 7);
    if (cu->marked_as_spam_at != HK_TIME_NONE)
        col_actor(r, row, 8, &cu->marked_as_spam_by);
    cu->created_at = col_int(r, row, 9);
    col_actor(r, row, 10, &cu->created_by);
    cu->updated_at = col_int(r, row, 11);
    col_actor(r, row, 12, &cu->updated_by);
    return st;
}

static hk_status customer_get(store_conn *c, const char *ws, store_lookup by, const char *value,
                              hk_arena *a, hk_customer *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    bool w = c->role == STORE_ROLE_WRITER;
    enum stmt_id id = by == STORE_BY_EMAIL ? (w ? S_CU_BY_EMAIL_W : S_CU_BY_EMAIL)
                      : by == STORE_BY_EXTERNAL_ID
                          ? (w ? S_CU_BY_EXTERNAL_ID_W : S_CU_BY_EXTERNAL_ID)
                          : (w ? S_CU_BY_ID_W : S_CU_BY_ID);
    char *key = NULL;
    if (by == STORE_BY_EMAIL) {
        key = email_key(value);
        if (!key)
            return HK_ENOMEM;
        value = key;
    }
    params p = {0};
    p_text(&p, ws);
    p_text(&p, value);
    PGresult *r;
    hk_status st = lookup(c, id, &p, &r);
    free(key);
    if (r) {
        st = read_customer_row(r, 0, ws, a, out);
        *found = true;
        PQclear(r);
    }
    if (!st && *found)
        st = load_memberships(c, a, out);
    if (st)
        *found = false;
    return st;
}

/* $1..$15 of S_CU_INSERT / S_CU_UPDATE (same numbering). */
static void bind_customer(params *p, const hk_customer *cu, const char *key)
{
    p_text(p, cu->workspace_id);
    p_text(p, cu->id);
    p_text(p, cu->email);
    p_int(p, cu->email_verified);
    p_time(p, cu->email_verified_at);
    p_text(p, cu->external_id);
    p_text(p, cu->full_name);
    p_text(p, cu->short_name);
    p_time(p, cu->marked_as_spam_at);
    if (cu->marked_as_spam_at != HK_TIME_NONE)
        p_actor(p, &cu->marked_as_spam_by);
    else
        p_text(p, NULL);
    p_stamps(p, cu->created_at, &cu->created_by, cu->updated_at, &cu->updated_by);
    p_text(p, key);
}

static hk_status customer_write(store_conn *c, enum stmt_id id, const hk_customer *cu)
{
    char *key = email_key(cu->email);
    if (!key)
        return HK_ENOMEM;
    params p = {0};
    bind_customer(&p, cu, key);
    int64_t changed;
    hk_status st = exec_write(c, id, &p, &changed);
    free(key);
    if (!st && id == S_CU_UPDATE && changed == 0)
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

/* Runs a write of (ws, key): HK_ENOTFOUND when it had to touch a row and did not. */
static hk_status write_ws_id(store_conn *c, enum stmt_id id, const char *ws, const char *key,
                             bool must_touch)
{
    params p = {0};
    p_text(&p, ws);
    p_text(&p, key);
    int64_t changed;
    hk_status st = exec_write(c, id, &p, &changed);
    if (!st && must_touch && changed == 0)
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

/* Appends "AND col > $N ORDER BY col ASC LIMIT $M" (or the backward form). */
static void page_sql(hk_buf *q, const char *col, const store_page *p, int *param)
{
    if (p->cursor)
        hk_buf_printf(q, " AND %s %s $%d", col,
                      p->forward ? (p->inclusive ? ">=" : ">") : (p->inclusive ? "<=" : "<"),
                      ++*param);
    hk_buf_printf(q, " ORDER BY %s %s LIMIT $%d", col, p->forward ? "ASC" : "DESC", ++*param);
}

/* The filter's conditions; bind_filter adds their parameters in the same order. */
static void filter_sql(hk_buf *q, const store_customer_filter *f, int *param)
{
    if (f->match_none)
        hk_buf_puts(q, " AND false");
    if (f->marked_as_spam >= 0)
        hk_buf_puts(q, f->marked_as_spam ? " AND c.spam_at IS NOT NULL" : " AND c.spam_at IS NULL");
    if (f->has_updated_from)
        hk_buf_printf(q, " AND c.updated_at >= $%d", ++*param);
    if (f->has_updated_until)
        hk_buf_printf(q, " AND c.updated_at < $%d", ++*param);
    if (f->n_group_ids + f->n_group_keys == 0)
        return;
    hk_buf_puts(q, " AND EXISTS (SELECT 1 FROM memberships m JOIN customer_groups g"
                   " ON g.workspace_id = m.workspace_id AND g.id = m.group_id"
                   " WHERE m.workspace_id = c.workspace_id AND m.customer_id = c.id AND (false");
    if (f->n_group_ids) {
        hk_buf_puts(q, " OR m.group_id IN (");
        for (size_t i = 0; i < f->n_group_ids; i++)
            hk_buf_printf(q, "%s$%d", i ? "," : "", ++*param);
        hk_buf_putc(q, ')');
    }
    if (f->n_group_keys) {
        hk_buf_puts(q, " OR g.key IN (");
        for (size_t i = 0; i < f->n_group_keys; i++)
            hk_buf_printf(q, "%s$%d", i ? "," : "", ++*param);
        hk_buf_putc(q, ')');
    }
    hk_buf_puts(q, "))");
}

/* Parameters of a dynamic query: as many as a filter names, so on the heap. */
typedef struct dyn_params {
    const char **v;
    char (*num)[24];
    int n, cap;
} dyn_params;

static hk_status dyn_init(dyn_params *d, size_t cap)
{
    d->n = 0;
    d->cap = (int)cap;
    d->v = calloc(cap, sizeof *d->v);
    d->num = calloc(cap, sizeof *d->num);
    return d->v && d->num ? HK_OK : HK_ENOMEM;
}

static void dyn_free(dyn_params *d)
{
    free(d->v);
    free(d->num);
}

static void dyn_text(dyn_params *d, const char *s)
{
    d->v[d->n++] = s;
}

static void dyn_int(dyn_params *d, int64_t v)
{
    snprintf(d->num[d->n], sizeof d->num[d->n], "%" PRId64, v);
    d->v[d->n] = d->num[d->n];
    d->n++;
}

static void bind_filter(dyn_params *d, const store_customer_filter *f)
{
    if (f->has_updated_from)
        dyn_int(d, f->updated_from);
    if (f->has_updated_until)
        dyn_int(d, f->updated_until);
    for (size_t i = 0; i < f->n_group_ids; i++)
        dyn_text(d, f->group_ids[i]);
    for (size_t i = 0; i < f->n_group_keys; i++)
        dyn_text(d, f->group_keys[i]);
}

/* Parameters of a customer query: the workspace, and the filter's. */
static size_t filter_params(const store_customer_filter *f)
{
    return 1 + 2 + f->n_group_ids + f->n_group_keys;
}

/* A one-off query (lists vary with their filters). */
static PGresult *run_dynamic(store_conn *c, const hk_buf *q, const dyn_params *d, const char *what,
                             hk_status *st)
{
    *st = HK_OK;
    if (q->err) {
        *st = HK_ENOMEM;
        return NULL;
    }
    PGresult *r = PQexecParams(c->pg, q->data, d->n, NULL, d->v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        *st = pg_error(c, r, what);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Runs a customer list query whose parameters are $1 the workspace, then
 * the filter's, then the cursor keys, then the limit; reads its customers,
 * each with its memberships. */
static hk_status customer_rows(store_conn *c, const char *ws, const hk_buf *q,
                               const store_customer_filter *f, const char *const *keys,
                               size_t nkeys, size_t limit, const char *what, hk_arena *a,
                               hk_customer **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    dyn_params d;
    hk_status st = dyn_init(&d, filter_params(f) + nkeys + 1);
    hk_customer *list = hk_arena_calloc(a, limit + 1, sizeof *list);
    if (!st && !list)
        st = HK_ENOMEM;
    if (st) {
        dyn_free(&d);
        return st;
    }
    dyn_text(&d, ws);
    bind_filter(&d, f);
    for (size_t i = 0; i < nkeys; i++)
        dyn_text(&d, keys[i]);
    dyn_int(&d, (int64_t)limit);
    PGresult *r = run_dynamic(c, q, &d, what, &st);
    dyn_free(&d);
    if (!r)
        return st;
    size_t got = (size_t)PQntuples(r);
    if (got > limit)
        got = limit;
    for (size_t i = 0; !st && i < got; i++)
        st = read_customer_row(r, (int)i, ws, a, &list[i]);
    PQclear(r);
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
    hk_buf_puts(&q, "SELECT " CUSTOMER_COLS " FROM customers c WHERE c.workspace_id = $1");
    filter_sql(&q, f, &param);
    page_sql(&q, "c.id", p, &param);
    const char *const keys[] = {p->cursor};
    hk_status st =
        customer_rows(c, ws, &q, f, keys, p->cursor ? 1 : 0, p->limit, "customer_page", a, out, n);
    hk_buf_free(&q);
    return st;
}

/* Keyset pagination over customers_full_name: one range of the index. */
static hk_status customer_page_by_name(store_conn *c, const char *ws,
                                       const store_customer_filter *f, bool descending,
                                       const char *cursor_name, const store_page *p, hk_arena *a,
                                       hk_customer **out, size_t *n)
{
    bool ascending = p->forward != descending;
    hk_buf q;
    hk_buf_init(&q, 0);
    int param = 1;
    hk_buf_puts(&q, "SELECT " CUSTOMER_COLS " FROM customers c WHERE c.workspace_id = $1");
    filter_sql(&q, f, &param);
    if (p->cursor) {
        hk_buf_printf(&q, " AND (c.full_name, c.id) %s ($%d, $%d)",
                      ascending ? (p->inclusive ? ">=" : ">") : (p->inclusive ? "<=" : "<"),
                      param + 1, param + 2);
        param += 2;
    }
    const char *dir = ascending ? "ASC" : "DESC";
    hk_buf_printf(&q, " ORDER BY c.full_name %s, c.id %s LIMIT $%d", dir, dir, ++param);
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
    hk_buf_puts(&q, "SELECT count(*) FROM customers c WHERE c.workspace_id = $1");
    filter_sql(&q, f, &param);
    dyn_params d;
    hk_status st = dyn_init(&d, filter_params(f));
    if (!st) {
        dyn_text(&d, ws);
        bind_filter(&d, f);
        PGresult *r = run_dynamic(c, &q, &d, "customer_count", &st);
        if (r) {
            *n = col_int(r, 0, 0);
            PQclear(r);
        }
    }
    dyn_free(&d);
    hk_buf_free(&q);
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
    hk_buf_puts(&q, "SELECT " GROUP_COLS " FROM customer_groups WHERE workspace_id = $1");
    page_sql(&q, "id", p, &param);
    dyn_params d;
    hk_status st = dyn_init(&d, 3);
    hk_customer_group *list = hk_arena_calloc(a, p->limit + 1, sizeof *list);
    if (!st && !list)
        st = HK_ENOMEM;
    PGresult *r = NULL;
    if (!st) {
        dyn_text(&d, ws);
        if (p->cursor)
            dyn_text(&d, p->cursor);
        dyn_int(&d, (int64_t)p->limit);
        r = run_dynamic(c, &q, &d, "group_page", &st);
    }
    dyn_free(&d);
    hk_buf_free(&q);
    if (!r)
        return st;
    size_t got = (size_t)PQntuples(r);
    if (got > p->limit)
        got = p->limit;
    for (size_t i = 0; !st && i < got; i++)
        st = read_group_cols(r, (int)i, 0, ws, a, &list[i]);
    PQclear(r);
    if (!st) {
        *out = list;
        *n = got;
    }
    return st;
}

static hk_status group_count(store_conn *c, const char *ws, int64_t *n)
{
    return count_of(c, S_GR_COUNT, ws, NULL, n);
}

/* ---- groups, memberships ---- */

static hk_status group_get(store_conn *c, const char *ws, store_lookup by, const char *value,
                           hk_arena *a, hk_customer_group *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    bool w = c->role == STORE_ROLE_WRITER;
    enum stmt_id id = by == STORE_BY_KEY ? (w ? S_GR_BY_KEY_W : S_GR_BY_KEY)
                      : by == STORE_BY_EXTERNAL_ID
                          ? (w ? S_GR_BY_EXTERNAL_ID_W : S_GR_BY_EXTERNAL_ID)
                          : (w ? S_GR_BY_ID_W : S_GR_BY_ID);
    params p = {0};
    p_text(&p, ws);
    p_text(&p, value);
    PGresult *r;
    hk_status st = lookup(c, id, &p, &r);
    if (r && PQntuples(r) > 1) {
        st = HK_ECONFLICT;
    } else if (r) {
        st = read_group_cols(r, 0, 0, ws, a, out);
        *found = st == HK_OK;
    }
    PQclear(r);
    return st;
}

static hk_status group_write(store_conn *c, enum stmt_id id, const hk_customer_group *g)
{
    params p = {0};
    p_text(&p, g->workspace_id);
    p_text(&p, g->id);
    p_text(&p, g->name);
    p_text(&p, g->key);
    p_text(&p, g->color);
    p_text(&p, g->external_id);
    p_stamps(&p, g->created_at, &g->created_by, g->updated_at, &g->updated_by);
    int64_t changed;
    hk_status st = exec_write(c, id, &p, &changed);
    if (!st && id == S_GR_UPDATE && changed == 0)
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

static hk_status group_member_count(store_conn *c, const char *ws, const char *id, int64_t *n)
{
    return count_of(c, S_GR_MEMBER_COUNT, ws, id, n);
}

static hk_status membership_insert(store_conn *c, const hk_membership *m)
{
    params p = {0};
    p_text(&p, m->workspace_id);
    p_text(&p, m->customer_id);
    p_text(&p, m->customer_group_id);
    p_stamps(&p, m->created_at, &m->created_by, m->updated_at, &m->updated_by);
    return exec_write(c, S_MEM_INSERT, &p, NULL);
}

static hk_status membership_delete(store_conn *c, const char *ws, const char *customer_id,
                                   const char *group_id)
{
    params p = {0};
    p_text(&p, ws);
    p_text(&p, customer_id);
    p_text(&p, group_id);
    int64_t changed;
    hk_status st = exec_write(c, S_MEM_DELETE, &p, &changed);
    if (!st && changed == 0)
        st = HK_ENOTFOUND;
    return st;
}

/* ---- webhook targets ---- */

static hk_status target_count(store_conn *c, const char *ws, int64_t *n)
{
    *n = 0;
    if (c->role == STORE_ROLE_WRITER) {
        params p = {0};
        p_text(&p, ws);
        PGresult *r;
        hk_status st = lookup(c, S_WS_LOCK, &p, &r);
        PQclear(r);
        if (st)
            return st;
    }
    return count_of(c, S_TG_COUNT, ws, NULL, n);
}

static hk_status write_subscriptions(store_conn *c, const hk_webhook_target *t)
{
    hk_status st = write_ws_id(c, S_SUB_DELETE, t->workspace_id, t->id, false);
    for (size_t i = 0; !st && i < t->n_event_types; i++) {
        params p = {0};
        p_text(&p, t->workspace_id);
        p_text(&p, t->event_types[i]);
        p_text(&p, t->id);
        p_int(&p, (int64_t)i);
        st = exec_write(c, S_SUB_INSERT, &p, NULL);
    }
    return st;
}

static hk_status target_write(store_conn *c, enum stmt_id id, const hk_webhook_target *t)
{
    params p = {0};
    p_text(&p, t->workspace_id);
    p_text(&p, t->id);
    p_text(&p, t->url);
    p_text(&p, t->description);
    p_text(&p, t->version);
    p_int(&p, t->is_enabled);
    p_stamps(&p, t->created_at, &t->created_by, t->updated_at, &t->updated_by);
    p_int(&p, t->ordered_by_customer);
    p_int(&p, t->max_requests_per_second);
    p_time(&p, t->failing_since);
    p_time(&p, t->auto_disabled_at);
    int64_t changed;
    hk_status st = exec_write(c, id, &p, &changed);
    if (!st && id == S_TG_UPDATE && changed == 0)
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
    params p = {0};
    p_text(&p, t->workspace_id);
    p_text(&p, t->id);
    hk_status st;
    PGresult *r = run(c, S_SUB_LIST, &p, &st);
    if (!r)
        return st;
    int rows = PQntuples(r);
    const char **types = rows ? hk_arena_calloc(a, (size_t)rows, sizeof *types) : NULL;
    if (rows && !types)
        st = HK_ENOMEM;
    for (int i = 0; !st && i < rows; i++) {
        st = col_str(r, i, 0, a, &types[i]);
        if (!st)
            t->n_event_types++;
    }
    t->event_types = types;
    PQclear(r);
    return st;
}

static hk_status read_target_row(const PGresult *r, int row, const char *ws, hk_arena *a,
                                 hk_webhook_target *t)
{
    memset(t, 0, sizeof *t);
    col_id(r, row, 0, t->id);
    snprintf(t->workspace_id, sizeof t->workspace_id, "%s", ws);
    hk_status st = col_str(r, row, 1, a, &t->url);
    if (!st)
        st = col_str(r, row, 2, a, &t->description);
    snprintf(t->version, sizeof t->version, "%s", PQgetvalue(r, row, 3));
    t->is_enabled = col_int(r, row, 4) != 0;
    t->created_at = col_int(r, row, 5);
    col_actor(r, row, 6, &t->created_by);
    t->updated_at = col_int(r, row, 7);
    col_actor(r, row, 8, &t->updated_by);
    t->ordered_by_customer = col_int(r, row, 9) != 0;
    t->max_requests_per_second = (uint32_t)col_int(r, row, 10);
    t->failing_since = col_time(r, row, 11);
    t->auto_disabled_at = col_time(r, row, 12);
    return st;
}

static hk_status target_note_health(store_conn *c, const char *ws, const char *target_id, bool ok,
                                    int64_t failed_at, int64_t *failing_since, bool *enabled,
                                    bool *found)
{
    *failing_since = HK_TIME_NONE;
    *enabled = false;
    *found = false;
    if (c->fail_countdown > 0 && --c->fail_countdown == 0) {
        c->last_error = "I/O error";
        return HK_EIO;
    }
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    if (!ok)
        p_int(&p, failed_at);
    PGresult *r;
    hk_status st = lookup(c, ok ? S_TG_HEALTH_OK : S_TG_HEALTH_FAIL, &p, &r);
    if (r) {
        *found = true;
        *failing_since = col_time(r, 0, 0);
        *enabled = col_int(r, 0, 1) != 0;
        c->rows_written += (uint64_t)col_int(r, 0, 2);
        PQclear(r);
    }
    return st;
}

static hk_status target_auto_disable(store_conn *c, const char *ws, const char *target_id,
                                     int64_t at)
{
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_int(&p, at);
    hk_actor system = {.type = HK_ACTOR_SYSTEM, .id = "hookd"};
    p_actor(&p, &system);
    return exec_write(c, S_TG_AUTO_DISABLE, &p, NULL);
}

static hk_status target_get(store_conn *c, const char *ws, const char *id, hk_arena *a,
                            hk_webhook_target *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    params p = {0};
    p_text(&p, ws);
    p_text(&p, id);
    PGresult *r;
    hk_status st = lookup(c, c->role == STORE_ROLE_WRITER ? S_TG_GET_W : S_TG_GET, &p, &r);
    if (r) {
        st = read_target_row(r, 0, ws, a, out);
        *found = true;
        PQclear(r);
    }
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
    params p = {0};
    p_text(&p, ws);
    hk_status st;
    PGresult *r = run(c, S_TG_LIST, &p, &st);
    if (!r)
        return st;
    int rows = PQntuples(r);
    hk_webhook_target *list = hk_arena_calloc(a, (size_t)rows + 1, sizeof *list);
    if (!list)
        st = HK_ENOMEM;
    for (int i = 0; !st && i < rows; i++)
        st = read_target_row(r, i, ws, a, &list[i]);
    PQclear(r);
    for (int i = 0; !st && i < rows; i++)
        st = load_subscriptions(c, a, &list[i]);
    if (!st) {
        *out = list;
        *n = (size_t)rows;
    }
    return st;
}

/* ---- outbox ---- */

static hk_status event_insert(store_conn *c, const hk_event *ev)
{
    params p = {0};
    p_text(&p, ev->id);
    p_text(&p, ev->workspace_id);
    p_text(&p, hk_event_type_name(ev->type));
    p_int(&p, ev->timestamp);
    /* The payload is NUL-free JSON: its length is strlen's. */
    p_text(&p, ev->payload_json);
    p_text(&p, ev->customer_id[0] ? ev->customer_id : NULL);
    return exec_write(c, S_EV_INSERT, &p, NULL);
}

static hk_status deliveries_create(store_conn *c, const hk_event *ev, int64_t due_at,
                                   void (*created)(void *arg, const char *target_id), void *arg,
                                   size_t *n_created)
{
    *n_created = 0;
    hk_status st;
    const char *customer = ev->customer_id[0] ? ev->customer_id : NULL;
    const char *type = hk_event_type_name(ev->type);
    if (customer) {
        params lp = {0};
        p_text(&lp, ev->workspace_id);
        p_text(&lp, customer);
        p_text(&lp, type);
        PGresult *lr = run(c, S_CUSTOMER_LOCK_IF_ORDERED, &lp, &st);
        if (!lr)
            return st;
        PQclear(lr);
    }
    params p = {0};
    p_text(&p, ev->workspace_id);
    p_text(&p, ev->id);
    p_text(&p, type);
    p_int(&p, due_at);
    p_text(&p, customer);
    PGresult *r = run_write(c, S_DLV_CREATE, &p, &st);
    if (!r)
        return st;
    int rows = PQntuples(r);
    for (int i = 0; created && i < rows; i++)
        if (!col_null(r, i, 1))
            created(arg, PQgetvalue(r, i, 0));
    PQclear(r);
    *n_created = (size_t)rows;
    return HK_OK;
}

static hk_status target_rows_write(store_conn *c, enum stmt_id id, const char *ws,
                                   const char *target_id, int64_t at)
{
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_int(&p, at);
    return exec_write(c, id, &p, NULL);
}

static hk_status deliveries_fail_for_target(store_conn *c, const char *ws, const char *target_id,
                                            int64_t at)
{
    return target_rows_write(c, S_DLV_FAIL_ALL, ws, target_id, at);
}

static hk_status deliveries_cancel_for_target(store_conn *c, const char *ws, const char *target_id,
                                              int64_t at)
{
    return target_rows_write(c, S_DLV_CANCEL, ws, target_id, at);
}

/* ---- delivery ---- */

static void read_delivery_row(const PGresult *r, int row, hk_delivery *d)
{
    memset(d, 0, sizeof *d);
    col_id(r, row, 0, d->workspace_id);
    col_id(r, row, 1, d->target_id);
    col_id(r, row, 2, d->event_id);
    d->status = (hk_delivery_status)col_int(r, row, 3);
    d->attempts = (uint32_t)col_int(r, row, 4);
    d->next_attempt_at = col_time(r, row, 5);
    d->created_at = col_int(r, row, 6);
    d->updated_at = col_int(r, row, 7);
    col_id(r, row, 8, d->customer_id);
}

static hk_status target_next_due(store_conn *c, const char *ws, const char *target_id,
                                 int64_t *next_due)
{
    *next_due = HK_TIME_NONE;
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    PGresult *r;
    hk_status st = lookup(c, S_DLV_NEXT_DUE, &p, &r);
    if (r) {
        *next_due = col_time(r, 0, 0);
        PQclear(r);
    }
    return st;
}

static hk_status deliveries_due_targets(store_conn *c, const char *after_ws,
                                        const char *after_target, size_t max, hk_arena *a,
                                        hk_due_target **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hk_due_target *list = hk_arena_calloc(a, max + 1, sizeof *list);
    if (!list)
        return HK_ENOMEM;
    params p = {0};
    p_text(&p, after_ws);
    p_text(&p, after_target);
    p_int(&p, (int64_t)max);
    hk_status st;
    PGresult *r = run(c, S_DLV_DUE_TARGETS, &p, &st);
    if (!r)
        return st;
    size_t got = (size_t)PQntuples(r);
    if (got > max)
        got = max;
    for (size_t i = 0; i < got; i++) {
        col_id(r, (int)i, 0, list[i].workspace_id);
        col_id(r, (int)i, 1, list[i].target_id);
        list[i].next_due = col_time(r, (int)i, 2);
    }
    PQclear(r);
    *out = list;
    *n = got;
    return HK_OK;
}

static hk_status deliveries_claim_target(store_conn *c, const char *ws, const char *target_id,
                                         int64_t now, int64_t lease_until, size_t max, hk_arena *a,
                                         hk_delivery **out, size_t *n, int64_t *next_due)
{
    *out = NULL;
    *n = 0;
    *next_due = HK_TIME_NONE;
    hk_delivery *list = hk_arena_calloc(a, max + 1, sizeof *list);
    if (!list)
        return HK_ENOMEM;
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_int(&p, now);
    p_int(&p, (int64_t)max);
    p_int(&p, lease_until);
    hk_status st;
    PGresult *r = run_write(c, S_DLV_CLAIM, &p, &st);
    if (!r)
        return st;
    size_t got = (size_t)PQntuples(r);
    if (got > max)
        got = max;
    for (size_t i = 0; i < got; i++)
        read_delivery_row(r, (int)i, &list[i]);
    PQclear(r);
    st = target_next_due(c, ws, target_id, next_due);
    if (st)
        return st;
    /* Rows still due after a claim that got fewer than it asked for are
     * locked by other nodes (claiming them, or recording): look again soon,
     * not at once, or the dispatcher would claim in a loop meanwhile. */
    if (got < max && *next_due != HK_TIME_NONE && *next_due <= now)
        *next_due = now + LOCKED_RECHECK_MS;
    *out = list;
    *n = got;
    return HK_OK;
}

static hk_status deliveries_count_due(store_conn *c, const char *ws, const char *target_id,
                                      int64_t now, size_t cap, size_t *n)
{
    *n = 0;
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_int(&p, now);
    p_int(&p, (int64_t)cap);
    PGresult *r;
    hk_status st = lookup(c, S_DLV_DUE_COUNT, &p, &r);
    if (r) {
        *n = (size_t)col_int(r, 0, 0);
        PQclear(r);
    }
    return st;
}

/* The customer's chain lock (see the top of the file). */
static hk_status lock_customer(store_conn *c, const char *ws, const char *customer_id)
{
    params p = {0};
    p_text(&p, ws);
    p_text(&p, customer_id);
    hk_status st;
    PGresult *r = run(c, S_CUSTOMER_LOCK, &p, &st);
    PQclear(r);
    return r ? HK_OK : st;
}

static hk_status delivery_unblock_next(store_conn *c, const char *ws, const char *target_id,
                                       const char *customer_id, int64_t now, bool *unblocked)
{
    *unblocked = false;
    hk_status st = lock_customer(c, ws, customer_id);
    if (st)
        return st;
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_text(&p, customer_id);
    p_int(&p, now);
    int64_t changed;
    st = exec_write(c, S_DLV_UNBLOCK_NEXT, &p, &changed);
    *unblocked = !st && changed > 0;
    return st;
}

static hk_status deliveries_unblock_all(store_conn *c, const char *ws, const char *target_id,
                                        int64_t now, size_t *n)
{
    *n = 0;
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_int(&p, now);
    int64_t changed;
    hk_status st = exec_write(c, S_DLV_UNBLOCK_ALL, &p, &changed);
    if (!st)
        *n = (size_t)changed;
    return st;
}

static hk_status event_get(store_conn *c, const char *ws, const char *id, hk_arena *a,
                           hk_event *out, bool *found)
{
    *found = false;
    memset(out, 0, sizeof *out);
    params p = {0};
    p_text(&p, ws);
    p_text(&p, id);
    PGresult *r;
    hk_status st = lookup(c, S_EV_GET, &p, &r);
    if (r) {
        snprintf(out->id, sizeof out->id, "%s", id);
        snprintf(out->workspace_id, sizeof out->workspace_id, "%s", ws);
        const char *type = PQgetvalue(r, 0, 0);
        bool known = hk_event_type_from_name(type, strlen(type), &out->type);
        out->timestamp = col_int(r, 0, 1);
        const char *payload;
        st = col_str(r, 0, 2, a, &payload);
        out->payload_json = payload;
        out->payload_len = payload ? strlen(payload) : 0;
        col_id(r, 0, 3, out->customer_id);
        *found = !st && known && payload;
        PQclear(r);
    }
    return st;
}

static hk_status insert_attempt(store_conn *c, const hk_delivery *d, const hk_attempt *at)
{
    params p = {0};
    p_text(&p, d->workspace_id);
    p_text(&p, d->target_id);
    p_text(&p, d->event_id);
    p_int(&p, at->number);
    p_text(&p, at->attempt_id);
    p_int(&p, at->started_at);
    p_int(&p, at->duration_ms);
    p_int(&p, at->status_code);
    p_text(&p, at->error);
    p_text(&p, at->response_excerpt);
    /* What the headers said; all NULL when unknown (no version recorded). */
    bool known = at->sent_version[0] != '\0';
    p_text(&p, known ? at->sent_version : NULL);
    p_text(&p, known && at->sent_signature[0] ? at->sent_signature : NULL);
    p_time(&p, known ? (int64_t)at->sent_basic_auth : HK_TIME_NONE);
    p_text(&p, known ? at->sent_user_agent : NULL);
    return exec_write(c, S_ATT_INSERT, &p, NULL);
}

static hk_status delivery_record(store_conn *c, const hk_delivery_result *r, int64_t now)
{
    const hk_delivery *d = r->delivery;
    params p = {0};
    p_text(&p, d->workspace_id);
    p_text(&p, d->target_id);
    p_text(&p, d->event_id);
    if (r->drop) {
        p_int(&p, now);
        return exec_write(c, S_DLV_DROP, &p, NULL);
    }
    hk_delivery_status next = r->succeeded                  ? HK_DELIVERY_SUCCEEDED
                              : r->retry_at == HK_TIME_NONE ? HK_DELIVERY_FAILED
                                                            : HK_DELIVERY_PENDING;
    p_int(&p, next);
    p_int(&p, r->attempt.number);
    p_time(&p, next == HK_DELIVERY_PENDING ? r->retry_at : HK_TIME_NONE);
    p_int(&p, now);
    hk_status st = exec_write(c, S_DLV_DONE, &p, NULL);
    if (!st)
        st = insert_attempt(c, d, &r->attempt);
    return st;
}

static hk_status deliveries_release_leases(store_conn *c, int64_t now, size_t *n)
{
    *n = 0;
    params p = {0};
    p_int(&p, now);
    int64_t changed;
    hk_status st = exec_write(c, S_DLV_RELEASE, &p, &changed);
    if (!st)
        *n = (size_t)changed;
    return st;
}

/* ---- retention (as store_sqlite.c's) ---- */

typedef struct prune_pass {
    store_conn *c;
    size_t left;
    hk_prune_result *out;
} prune_pass;

typedef struct pending_floor {
    const char *ws, *event_id;
} pending_floor;

static hk_status pending_floors(store_conn *c, hk_arena *a, pending_floor **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hk_status st;
    PGresult *r = run(c, S_PRUNE_PENDING, NULL, &st);
    if (!r)
        return st;
    int rows = PQntuples(r);
    pending_floor *list = hk_arena_calloc(a, (size_t)rows + 1, sizeof *list);
    if (!list)
        st = HK_ENOMEM;
    for (int i = 0; !st && i < rows; i++) {
        st = col_str(r, i, 0, a, &list[i].ws);
        if (!st)
            st = col_str(r, i, 1, a, &list[i].event_id);
    }
    PQclear(r);
    if (!st) {
        *out = list;
        *n = (size_t)rows;
    }
    return st;
}

static hk_status delete_range(store_conn *c, enum stmt_id id, const char *ws, const char *target,
                              const char *below, size_t *deleted)
{
    *deleted = 0;
    params p = {0};
    p_text(&p, ws);
    if (target)
        p_text(&p, target);
    p_text(&p, below);
    int64_t changed;
    hk_status st = exec_write(c, id, &p, &changed);
    if (!st)
        *deleted = (size_t)changed;
    return st;
}

/* The bound below which at most p->left rows of a range lie (see store_sqlite.c). */
static hk_status budget_bound(prune_pass *pp, enum stmt_id bound_stmt, const char *ws,
                              const char *target, const char *below, char bound[HK_ID_MAX],
                              bool *cut)
{
    *cut = false;
    params p = {0};
    p_text(&p, ws);
    if (target)
        p_text(&p, target);
    p_text(&p, below);
    p_int(&p, (int64_t)pp->left);
    PGresult *r;
    hk_status st = lookup(pp->c, bound_stmt, &p, &r);
    if (r) {
        col_id(r, 0, 0, bound);
        *cut = true;
        PQclear(r);
    } else {
        snprintf(bound, HK_ID_MAX, "%s", below);
    }
    return st;
}

static hk_status prune_target(prune_pass *pp, const char *ws, const char *target, const char *floor,
                              bool *all)
{
    char bound[HK_ID_MAX];
    bool cut;
    hk_status st = budget_bound(pp, S_PRUNE_DLV_BOUND, ws, target, floor, bound, &cut);
    size_t attempts = 0, deliveries = 0;
    if (!st)
        st = delete_range(pp->c, S_PRUNE_ATTEMPTS, ws, target, bound, &attempts);
    if (!st)
        st = delete_range(pp->c, S_PRUNE_DLV, ws, target, bound, &deliveries);
    if (st)
        return st;
    pp->out->attempts += attempts;
    pp->out->deliveries += deliveries;
    pp->left -= deliveries < pp->left ? deliveries : pp->left;
    *all = !cut;
    return HK_OK;
}

static hk_status prune_workspace(prune_pass *pp, const char *ws, const char *floor, bool *all)
{
    *all = false;
    char target[HK_ID_MAX] = "";
    for (;;) {
        if (pp->left == 0)
            return HK_OK;
        params p = {0};
        p_text(&p, ws);
        p_text(&p, target);
        PGresult *r;
        hk_status st = lookup(pp->c, S_PRUNE_NEXT_TARGET, &p, &r);
        if (st)
            return st;
        if (!r)
            break;
        col_id(r, 0, 0, target);
        PQclear(r);
        bool target_all;
        st = prune_target(pp, ws, target, floor, &target_all);
        if (st || !target_all)
            return st;
    }
    if (pp->left == 0)
        return HK_OK;
    char bound[HK_ID_MAX];
    bool cut;
    size_t events = 0;
    hk_status st = budget_bound(pp, S_PRUNE_EV_BOUND, ws, NULL, floor, bound, &cut);
    if (!st)
        st = delete_range(pp->c, S_PRUNE_EV, ws, NULL, bound, &events);
    if (st)
        return st;
    pp->out->events += events;
    pp->left -= events < pp->left ? events : pp->left;
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
    prune_pass pp = {c, budget, out};
    pending_floor *floors;
    size_t n_floors;
    hk_status st = pending_floors(c, a, &floors, &n_floors);
    if (st)
        return st;
    PGresult *r = run(c, S_PRUNE_WORKSPACES, NULL, &st);
    if (!r)
        return st;
    int n_ws = PQntuples(r);
    const char **ws = hk_arena_calloc(a, (size_t)n_ws + 1, sizeof *ws);
    if (!ws)
        st = HK_ENOMEM;
    for (int i = 0; !st && i < n_ws; i++)
        st = col_str(r, i, 0, a, &ws[i]);
    PQclear(r);
    bool all = true;
    for (int i = 0; !st && all && i < n_ws; i++)
        st = prune_workspace(&pp, ws[i], floor_of(floors, n_floors, ws[i], cutoff), &all);
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
                    " WHERE d.workspace_id = $1 AND d.target_id = $2");
    if (status >= 0)
        hk_buf_printf(&q, " AND d.status = %d", status);
    page_sql(&q, "d.event_id", p, &param);
    dyn_params d;
    hk_status st = dyn_init(&d, 4);
    hk_delivery *list = hk_arena_calloc(a, p->limit + 1, sizeof *list);
    if (!st && !list)
        st = HK_ENOMEM;
    PGresult *r = NULL;
    if (!st) {
        dyn_text(&d, ws);
        dyn_text(&d, target_id);
        if (p->cursor)
            dyn_text(&d, p->cursor);
        dyn_int(&d, (int64_t)p->limit);
        r = run_dynamic(c, &q, &d, "delivery_page", &st);
    }
    dyn_free(&d);
    hk_buf_free(&q);
    if (!r)
        return st;
    size_t got = (size_t)PQntuples(r);
    if (got > p->limit)
        got = p->limit;
    for (size_t i = 0; i < got; i++) {
        read_delivery_row(r, (int)i, &list[i]);
        snprintf(list[i].event_type, sizeof list[i].event_type, "%s", PQgetvalue(r, (int)i, 9));
    }
    PQclear(r);
    *out = list;
    *n = got;
    return HK_OK;
}

static hk_status attempt_list(store_conn *c, const char *ws, const char *target_id,
                              const char *event_id, hk_arena *a, hk_attempt **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_text(&p, event_id);
    hk_status st;
    PGresult *r = run(c, S_ATT_LIST, &p, &st);
    if (!r)
        return st;
    int rows = PQntuples(r);
    hk_attempt *list = rows ? hk_arena_calloc(a, (size_t)rows, sizeof *list) : NULL;
    if (rows && !list)
        st = HK_ENOMEM;
    for (int i = 0; !st && i < rows; i++) {
        hk_attempt *at = &list[i];
        col_id(r, i, 0, at->attempt_id);
        at->number = (uint32_t)col_int(r, i, 1);
        at->started_at = col_int(r, i, 2);
        at->duration_ms = col_int(r, i, 3);
        at->status_code = (int)col_int(r, i, 4);
        st = col_str(r, i, 5, a, &at->error);
        if (!st)
            st = col_str(r, i, 6, a, &at->response_excerpt);
        snprintf(at->sent_version, sizeof at->sent_version, "%s", PQgetvalue(r, i, 7));
        snprintf(at->sent_signature, sizeof at->sent_signature, "%s", PQgetvalue(r, i, 8));
        at->sent_basic_auth = !col_null(r, i, 9) && col_int(r, i, 9) != 0;
        if (!st)
            st = col_str(r, i, 10, a, &at->sent_user_agent);
        if (!st)
            (*n)++;
    }
    PQclear(r);
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
                    " WHERE workspace_id = $1 AND customer_id = $2");
    page_sql(&q, "id", p, &param);
    dyn_params d;
    hk_status st = dyn_init(&d, 4);
    hk_event *list = hk_arena_calloc(a, p->limit + 1, sizeof *list);
    if (!st && !list)
        st = HK_ENOMEM;
    PGresult *r = NULL;
    if (!st) {
        dyn_text(&d, ws);
        dyn_text(&d, customer_id);
        if (p->cursor)
            dyn_text(&d, p->cursor);
        dyn_int(&d, (int64_t)p->limit);
        r = run_dynamic(c, &q, &d, "event_page", &st);
    }
    dyn_free(&d);
    hk_buf_free(&q);
    if (!r)
        return st;
    size_t got = (size_t)PQntuples(r);
    if (got > p->limit)
        got = p->limit;
    for (size_t i = 0; !st && i < got; i++) {
        hk_event *ev = &list[i];
        col_id(r, (int)i, 0, ev->id);
        snprintf(ev->workspace_id, sizeof ev->workspace_id, "%s", ws);
        const char *type = PQgetvalue(r, (int)i, 1);
        if (!hk_event_type_from_name(type, strlen(type), &ev->type))
            ev->type = HK_EVENT_TYPE_COUNT; /* written by a newer hookd */
        ev->timestamp = col_int(r, (int)i, 2);
        const char *payload;
        st = col_str(r, (int)i, 3, a, &payload);
        ev->payload_json = payload ? payload : "{}";
        ev->payload_len = strlen(ev->payload_json);
        col_id(r, (int)i, 4, ev->customer_id);
    }
    PQclear(r);
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
    params p = {0};
    p_text(&p, ws);
    p_text(&p, event_id);
    hk_status st;
    PGresult *r = run(c, S_EV_DELIVERIES, &p, &st);
    if (!r)
        return st;
    int rows = PQntuples(r);
    hk_delivery *list = rows ? hk_arena_calloc(a, (size_t)rows, sizeof *list) : NULL;
    if (rows && !list)
        st = HK_ENOMEM;
    for (int i = 0; !st && i < rows; i++) {
        read_delivery_row(r, i, &list[i]);
        snprintf(list[i].event_type, sizeof list[i].event_type, "%s", PQgetvalue(r, i, 9));
    }
    PQclear(r);
    if (!st) {
        *out = list;
        *n = (size_t)rows;
    }
    return st;
}

static hk_status delivery_rearm(store_conn *c, const char *ws, const char *target_id,
                                const char *event_id, int64_t now)
{
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_text(&p, event_id);
    p_int(&p, now);
    return exec_write(c, S_DLV_REARM, &p, NULL);
}

static hk_status deliveries_rearm_failed(store_conn *c, const char *ws, const char *target_id,
                                         int64_t since, int64_t now, size_t *n)
{
    *n = 0;
    params p = {0};
    p_text(&p, ws);
    p_text(&p, target_id);
    p_int(&p, since);
    p_int(&p, now);
    int64_t changed;
    hk_status st = exec_write(c, S_DLV_REARM_FAILED, &p, &changed);
    if (!st)
        *n = (size_t)changed;
    return st;
}

static hk_status counts(store_conn *c, const char *ws, store_counts *out)
{
    memset(out, 0, sizeof *out);
    params p = {0};
    p_text(&p, ws);
    PGresult *r;
    hk_status st = lookup(c, S_COUNTS, &p, &r);
    if (r) {
        out->customers = col_int(r, 0, 0);
        out->groups = col_int(r, 0, 1);
        out->memberships = col_int(r, 0, 2);
        out->targets = col_int(r, 0, 3);
        out->events = col_int(r, 0, 4);
        out->deliveries_pending = col_int(r, 0, 5);
        out->deliveries_cancelled = col_int(r, 0, 6);
        PQclear(r);
    }
    return st;
}

/* ---- other nodes: NOTIFY and LISTEN ---- */

/*
 * Payload: the announcing node's tag on the first line, then one
 * "workspace target" line per target, or "*" when they do not all fit (or
 * cannot be named). Ids are made of letters, digits and '_' only.
 */
static hk_status announce_due(store_conn *c, const char *node, const hk_due_target *due, size_t n,
                              bool any)
{
    hk_buf b;
    hk_buf_init(&b, NOTIFY_PAYLOAD_MAX);
    (void)hk_buf_printf(&b, "%s\n", node);
    size_t head = b.len;
    for (size_t i = 0; !any && !b.err && i < n; i++)
        (void)hk_buf_printf(&b, "%s %s\n", due[i].workspace_id, due[i].target_id);
    if ((any || b.err) && b.data && head > 0 && b.err != HK_ENOMEM) {
        b.err = HK_OK; /* too many to name: "*" */
        b.len = head;
        b.data[head] = '\0';
        (void)hk_buf_puts(&b, "*");
    }
    hk_status st = b.err ? HK_ENOMEM : HK_OK;
    if (!st) {
        params p = {0};
        p_text(&p, c->channel);
        p_text(&p, b.data);
        PGresult *r = run(c, S_NOTIFY, &p, &st);
        PQclear(r);
    }
    hk_buf_free(&b);
    return st;
}

#define HEARD_MAX 64

struct store_listener {
    PGconn *pg;
    char *conninfo;
    char node[32];
    store_due_fn fn;
    void *arg;
    pthread_t thread;
    bool started;
    int wake[2]; /* a byte on wake[1] stops the thread */
    hk_due_target heard[HEARD_MAX];
};

/* Connects and listens on this schema's channel; NULL pg on failure. */
static hk_status listener_connect(store_listener *l, hk_error *err)
{
    PQfinish(l->pg);
    l->pg = connect_to(l->conninfo);
    if (!l->pg || PQstatus(l->pg) != CONNECTION_OK) {
        hk_status st = connect_error(l->pg, err);
        PQfinish(l->pg);
        l->pg = NULL;
        return st;
    }
    PGresult *r = PQexec(l->pg, "SELECT 'hookd_due:' || coalesce(current_schema(), '')");
    hk_status st = HK_EIO;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        char *ident = PQescapeIdentifier(l->pg, PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));
        char command[256];
        if (ident && snprintf(command, sizeof command, "LISTEN %s", ident) < (int)sizeof command) {
            PGresult *lr = PQexec(l->pg, command);
            if (PQresultStatus(lr) == PGRES_COMMAND_OK)
                st = HK_OK;
            PQclear(lr);
        }
        PQfreemem(ident);
    }
    PQclear(r);
    if (st) {
        hk_error_set(err, HK_EIO, NULL, "postgresql: cannot listen: %s", PQerrorMessage(l->pg));
        PQfinish(l->pg);
        l->pg = NULL;
    }
    return st;
}

/* One notification: calls fn unless it is this node's own. */
static void heard(store_listener *l, const char *payload)
{
    size_t tag = strcspn(payload, "\n");
    if (strlen(l->node) == tag && strncmp(payload, l->node, tag) == 0)
        return;
    const char *p = payload[tag] ? payload + tag + 1 : payload + tag;
    if (*p == '*' || *p == '\0') {
        l->fn(l->arg, NULL, 0, true);
        return;
    }
    size_t n = 0;
    while (*p) {
        size_t len = strcspn(p, "\n");
        size_t sp = strcspn(p, " ");
        if (sp < len && n < HEARD_MAX) {
            hk_due_target *t = &l->heard[n++];
            memset(t, 0, sizeof *t);
            snprintf(t->workspace_id, sizeof t->workspace_id, "%.*s", (int)sp, p);
            snprintf(t->target_id, sizeof t->target_id, "%.*s", (int)(len - sp - 1), p + sp + 1);
        }
        if (n == HEARD_MAX) {
            l->fn(l->arg, l->heard, n, false);
            n = 0;
        }
        p += len;
        if (*p)
            p++;
    }
    if (n)
        l->fn(l->arg, l->heard, n, false);
}

static bool wait_readable(store_listener *l, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = l->wake[0], .events = POLLIN},
                            {.fd = l->pg ? PQsocket(l->pg) : -1, .events = POLLIN}};
    int rc = poll(fds, l->pg ? 2 : 1, timeout_ms);
    if (rc > 0 && (fds[0].revents & POLLIN))
        return false; /* stop */
    return true;
}

static void *listener_main(void *arg)
{
    store_listener *l = arg;
    pthread_setname_np(pthread_self(), "hk-listen");
    for (;;) {
        if (!l->pg) {
            if (!wait_readable(l, 1000))
                break;
            hk_error err;
            hk_error_clear(&err);
            if (listener_connect(l, &err) == HK_OK) {
                hk_log_info("postgresql: listening for other nodes' commits again");
                l->fn(l->arg, NULL, 0, true); /* what was missed meanwhile */
            }
            continue;
        }
        if (!wait_readable(l, 1000))
            break;
        if (!PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK) {
            hk_log_warn("postgresql: the listener's connection broke: %.*s; reconnecting",
                        (int)strcspn(PQerrorMessage(l->pg), "\n"), PQerrorMessage(l->pg));
            PQfinish(l->pg);
            l->pg = NULL;
            continue;
        }
        PGnotify *nf;
        while ((nf = PQnotifies(l->pg))) {
            heard(l, nf->extra);
            PQfreemem(nf);
        }
    }
    return NULL;
}

static void listen_stop(store_listener *l)
{
    if (!l)
        return;
    if (l->started) {
        char byte = 1;
        while (write(l->wake[1], &byte, 1) < 0 && errno == EINTR)
            ;
        pthread_join(l->thread, NULL);
    }
    if (l->wake[0] >= 0)
        close(l->wake[0]);
    if (l->wake[1] >= 0)
        close(l->wake[1]);
    PQfinish(l->pg);
    free(l->conninfo);
    free(l);
}

static hk_status listen_start(const char *location, const char *node, store_due_fn fn, void *arg,
                              store_listener **out, hk_error *err)
{
    *out = NULL;
    store_listener *l = calloc(1, sizeof *l);
    if (!l)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    l->wake[0] = l->wake[1] = -1;
    l->fn = fn;
    l->arg = arg;
    snprintf(l->node, sizeof l->node, "%s", node);
    l->conninfo = strdup(location);
    hk_status st = HK_OK;
    if (!l->conninfo || pipe(l->wake) != 0) {
        st = hk_error_set(err, HK_ENOMEM, NULL, "cannot set up the listener");
        goto out;
    }
    st = listener_connect(l, err);
    if (st)
        goto out;
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        st = hk_error_set(err, HK_EINTERNAL, NULL, "cannot start the listener thread");
        goto out;
    }
    l->started = true;
    *out = l;
out:
    if (st)
        listen_stop(l);
    return st;
}

const store_ops store_pg_ops = {
    .name = "postgresql",
    .shared = true,
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
    .last_error = last_error,
    .retryable = retryable,
    .announce_due = announce_due,
    .listen_start = listen_start,
    .listen_stop = listen_stop,
    .durability_lost = durability_lost,
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
