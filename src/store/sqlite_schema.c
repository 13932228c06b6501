/*
 * sqlite_schema.c - the SQLite schema, as an ordered list of migrations.
 *
 * Migration i (1-based) moves PRAGMA user_version from i-1 to i. Never edit a
 * released migration: add a new one.
 *
 * Every table is keyed by workspace first, so every lookup is scoped to one
 * workspace by construction. Times are integer milliseconds (UTC). Actors are
 * stored as text: the actor's id ("mu_...", "u_...", "c_...") or
 * "system:<name>".
 */
#include "store/sqlite_schema.h"

static const char *const migrations[] = {
    /* 1: the domain, the outbox */
    "CREATE TABLE workspaces ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  hmac_secret TEXT, hmac_created_at INTEGER, hmac_created_by TEXT,"
    "  hmac_updated_at INTEGER, hmac_updated_by TEXT,"
    "  created_at INTEGER NOT NULL, created_by TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE machine_users ("
    "  workspace_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, PRIMARY KEY (workspace_id, id)) WITHOUT ROWID;"
    "CREATE TABLE api_keys ("
    "  key_hash TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL,"
    "  machine_user_id TEXT NOT NULL, permissions INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE customers ("
    "  workspace_id TEXT NOT NULL, id TEXT NOT NULL,"
    "  email TEXT NOT NULL, email_key TEXT NOT NULL,"
    "  email_verified INTEGER NOT NULL, email_verified_at INTEGER,"
    "  external_id TEXT, full_name TEXT NOT NULL, short_name TEXT,"
    "  spam_at INTEGER, spam_by TEXT,"
    "  created_at INTEGER NOT NULL, created_by TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL,"
    "  PRIMARY KEY (workspace_id, id)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX customers_email ON customers (workspace_id, email_key);"
    "CREATE UNIQUE INDEX customers_external_id ON customers (workspace_id, external_id)"
    "  WHERE external_id IS NOT NULL;"
    "CREATE TABLE customer_groups ("
    "  workspace_id TEXT NOT NULL, id TEXT NOT NULL,"
    "  name TEXT NOT NULL, key TEXT NOT NULL, color TEXT NOT NULL, external_id TEXT,"
    "  created_at INTEGER NOT NULL, created_by TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL,"
    "  PRIMARY KEY (workspace_id, id)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX customer_groups_key ON customer_groups (workspace_id, key);"
    "CREATE TABLE memberships ("
    "  workspace_id TEXT NOT NULL, customer_id TEXT NOT NULL, group_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, created_by TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL,"
    "  PRIMARY KEY (workspace_id, customer_id, group_id)) WITHOUT ROWID;"
    "CREATE INDEX memberships_group ON memberships (workspace_id, group_id);"
    "CREATE TABLE webhook_targets ("
    "  workspace_id TEXT NOT NULL, id TEXT NOT NULL,"
    "  url TEXT NOT NULL, description TEXT NOT NULL, version TEXT NOT NULL,"
    "  is_enabled INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL, created_by TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL,"
    "  PRIMARY KEY (workspace_id, id)) WITHOUT ROWID;"
    /* Keyed by event type first: the fan-out of an event is one index range. */
    "CREATE TABLE target_subscriptions ("
    "  workspace_id TEXT NOT NULL, event_type TEXT NOT NULL, target_id TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (workspace_id, event_type, target_id)) WITHOUT ROWID;"
    "CREATE INDEX target_subscriptions_target ON target_subscriptions"
    "  (workspace_id, target_id, position);"
    /* Events keep the rendered payload: re-sends must show the customer as it
     * was when the event happened. */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, id TEXT NOT NULL,"
    "  type TEXT NOT NULL, timestamp INTEGER NOT NULL, payload TEXT NOT NULL,"
    "  UNIQUE (workspace_id, id));"
    /* One row per (event, target). status: 0 pending, 1 succeeded, 2 failed,
     * 3 cancelled. Keyed by target: cancelling and listing a target's
     * deliveries is one range, and there is no separate index to maintain;
     * event ids are time-ordered, so the range is in event order. */
    "CREATE TABLE deliveries ("
    "  workspace_id TEXT NOT NULL, target_id TEXT NOT NULL, event_id TEXT NOT NULL,"
    "  status INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER, lease_until INTEGER,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (workspace_id, target_id, event_id)) WITHOUT ROWID;"
    "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 0;",

    /* 2: every delivery attempt, for operators (SPEC §5) */
    "CREATE TABLE attempts ("
    "  workspace_id TEXT NOT NULL, target_id TEXT NOT NULL, event_id TEXT NOT NULL,"
    "  number INTEGER NOT NULL, id TEXT NOT NULL,"
    "  started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL,"
    "  status_code INTEGER NOT NULL, error TEXT, response_excerpt TEXT,"
    "  PRIMARY KEY (workspace_id, target_id, event_id, number)) WITHOUT ROWID;",

    /* 3: customers(sortBy: FULL_NAME): a keyset page is one range of this
     * index, in either direction, without scanning the workspace. Names are
     * compared byte-wise (BINARY, the column's collation: UTF-8 byte order,
     * i.e. code point order; "Zoe" before "adam", no locale); ties by id. */
    "CREATE INDEX customers_full_name ON customers (workspace_id, full_name COLLATE BINARY, id);",

    /* 4: API keys an operator creates, lists and revokes (hookd key-*): what
     * each is for, and a workspace's keys as one range (parenthesised: one
     * migration of two statements, not two array elements missing a comma) */
    ("ALTER TABLE api_keys ADD COLUMN description TEXT;"
     "CREATE INDEX api_keys_workspace ON api_keys (workspace_id, id);"),

    /* 5: delivery isolation (issue 14). Claims are made per target, so a
     * saturated target's backlog is never read while others wait: the due
     * index is keyed by target. Rows with no due time (a delivery waiting for
     * an earlier one of the same customer, ordered targets only) are left out
     * of it, so a long chain of waiting rows costs nothing to skip.
     * deliveries.customer_id is set only for ordered targets, which keeps the
     * customer index empty for every other target. Targets carry their
     * delivery settings and how long they have been failing. */
    ("ALTER TABLE webhook_targets ADD COLUMN ordered_by_customer INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE webhook_targets ADD COLUMN max_rps INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE webhook_targets ADD COLUMN failing_since INTEGER;"
     "ALTER TABLE webhook_targets ADD COLUMN auto_disabled_at INTEGER;"
     "ALTER TABLE deliveries ADD COLUMN customer_id TEXT;"
     "DROP INDEX deliveries_due;"
     "CREATE INDEX deliveries_due_by_target ON deliveries"
     "  (workspace_id, target_id, next_attempt_at)"
     "  WHERE status = 0 AND next_attempt_at IS NOT NULL;"
     "CREATE INDEX deliveries_customer ON deliveries"
     "  (workspace_id, target_id, customer_id, event_id)"
     "  WHERE status = 0 AND customer_id IS NOT NULL;"),

    /* 6: what operators look at (issue 18, the dashboard). Events keep the
     * customer they are about, so a customer's events are one range of an
     * index; existing events get theirs from their payload (the customer, or
     * the previous one for a deletion), read once here. Attempts keep what
     * their request headers said that nothing else records: the target
     * version sent, the first hex digits of the signature (NULL: unsigned;
     * never the whole of it, see api/resolve_events.c), whether the URL's
     * credentials went as Basic auth, and the User-Agent when it was not the
     * default. Attempts recorded before this have sent_version NULL: their
     * headers are unknown. */
    ("ALTER TABLE events ADD COLUMN customer_id TEXT;"
     "UPDATE events SET customer_id = coalesce(json_extract(payload, '$.customer.id'),"
     "  json_extract(payload, '$.previousCustomer.id'));"
     "CREATE INDEX events_customer ON events (workspace_id, customer_id, id);"
     "ALTER TABLE attempts ADD COLUMN sent_version TEXT;"
     "ALTER TABLE attempts ADD COLUMN sent_signature TEXT;"
     "ALTER TABLE attempts ADD COLUMN sent_basic_auth INTEGER;"
     "ALTER TABLE attempts ADD COLUMN sent_user_agent TEXT;"),

    /* 7: when each API key last authenticated a request (hookd key-list), NULL
     * until it has. A running server writes it at most once a minute per key
     * (domain/key_usage.c), so it is accurate to a minute, not to a request. */
    "ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;",
};

const char *const *sqlite_schema_migrations(int *count)
{
    *count = (int)(sizeof migrations / sizeof migrations[0]);
    return migrations;
}
