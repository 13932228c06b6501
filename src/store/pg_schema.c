/*
 * pg_schema.c - the PostgreSQL schema, as an ordered list of migrations.
 *
 * Migration i (1-based) moves hookd_schema.version from i-1 to i; store_pg.c
 * runs each in a transaction of its own under an advisory lock, so that
 * nodes starting together migrate once. Never edit a released migration:
 * add a new one.
 *
 * The tables are SQLite's (sqlite_schema.c: migration 1 here is SQLite's 1
 * to 5, migration 2 its 6, migration 3 its 7), with these differences:
 *  - every text column compares byte-wise (COLLATE "C"): ids, keys and names
 *    sort as in SQLite (BINARY), whatever the database's locale, which the
 *    keyset pages (customers by name, lists by id) rely on;
 *  - deliveries.seq follows the commit order of a customer's deliveries to
 *    an ordered target (see store_pg.c, deliveries_create): event ids come
 *    from each node's clock, so across nodes they need not sort in commit
 *    order, and the customer index chains deliveries by seq instead.
 * Times are integer milliseconds (bigint), flags integers, as in SQLite.
 */
#include "store/pg_schema.h"

#define T "text COLLATE \"C\""
#define TNN T " NOT NULL"

static const char *const migrations[] = {
    /* 1: the domain, the outbox, attempts, delivery isolation */
    "CREATE TABLE workspaces ("
    "  id " TNN " PRIMARY KEY, name " TNN ","
    "  hmac_secret " T ", hmac_created_at bigint, hmac_created_by " T ","
    "  hmac_updated_at bigint, hmac_updated_by " T ","
    "  created_at bigint NOT NULL, created_by " TNN ","
    "  updated_at bigint NOT NULL, updated_by " TNN ");"
    "CREATE TABLE machine_users ("
    "  workspace_id " TNN ", id " TNN ", name " TNN ","
    "  created_at bigint NOT NULL, PRIMARY KEY (workspace_id, id));"
    "CREATE TABLE api_keys ("
    "  key_hash " TNN " PRIMARY KEY, id " TNN " UNIQUE, workspace_id " TNN ","
    "  machine_user_id " TNN ", permissions bigint NOT NULL,"
    "  created_at bigint NOT NULL, description " T ");"
    "CREATE INDEX api_keys_workspace ON api_keys (workspace_id, id);"
    "CREATE TABLE customers ("
    "  workspace_id " TNN ", id " TNN ","
    "  email " TNN ", email_key " TNN ","
    "  email_verified integer NOT NULL, email_verified_at bigint,"
    "  external_id " T ", full_name " TNN ", short_name " T ","
    "  spam_at bigint, spam_by " T ","
    "  created_at bigint NOT NULL, created_by " TNN ","
    "  updated_at bigint NOT NULL, updated_by " TNN ","
    "  PRIMARY KEY (workspace_id, id));"
    "CREATE UNIQUE INDEX customers_email ON customers (workspace_id, email_key);"
    "CREATE UNIQUE INDEX customers_external_id ON customers (workspace_id, external_id)"
    "  WHERE external_id IS NOT NULL;"
    "CREATE INDEX customers_full_name ON customers (workspace_id, full_name, id);"
    "CREATE TABLE customer_groups ("
    "  workspace_id " TNN ", id " TNN ","
    "  name " TNN ", key " TNN ", color " TNN ", external_id " T ","
    "  created_at bigint NOT NULL, created_by " TNN ","
    "  updated_at bigint NOT NULL, updated_by " TNN ","
    "  PRIMARY KEY (workspace_id, id));"
    "CREATE UNIQUE INDEX customer_groups_key ON customer_groups (workspace_id, key);"
    "CREATE TABLE memberships ("
    "  workspace_id " TNN ", customer_id " TNN ", group_id " TNN ","
    "  created_at bigint NOT NULL, created_by " TNN ","
    "  updated_at bigint NOT NULL, updated_by " TNN ","
    "  PRIMARY KEY (workspace_id, customer_id, group_id));"
    "CREATE INDEX memberships_group ON memberships (workspace_id, group_id);"
    "CREATE TABLE webhook_targets ("
    "  workspace_id " TNN ", id " TNN ","
    "  url " TNN ", description " TNN ", version " TNN ","
    "  is_enabled integer NOT NULL,"
    "  created_at bigint NOT NULL, created_by " TNN ","
    "  updated_at bigint NOT NULL, updated_by " TNN ","
    "  ordered_by_customer integer NOT NULL DEFAULT 0, max_rps bigint NOT NULL DEFAULT 0,"
    "  failing_since bigint, auto_disabled_at bigint,"
    "  PRIMARY KEY (workspace_id, id));"
    "CREATE TABLE target_subscriptions ("
    "  workspace_id " TNN ", event_type " TNN ", target_id " TNN ","
    "  position integer NOT NULL,"
    "  PRIMARY KEY (workspace_id, event_type, target_id));"
    "CREATE INDEX target_subscriptions_target ON target_subscriptions"
    "  (workspace_id, target_id, position);"
    "CREATE TABLE events ("
    "  seq bigint GENERATED ALWAYS AS IDENTITY, workspace_id " TNN ", id " TNN ","
    "  type " TNN ", timestamp bigint NOT NULL, payload text NOT NULL,"
    "  PRIMARY KEY (workspace_id, id));"
    "CREATE SEQUENCE deliveries_seq;"
    "CREATE TABLE deliveries ("
    "  workspace_id " TNN ", target_id " TNN ", event_id " TNN ","
    "  status integer NOT NULL, attempts integer NOT NULL DEFAULT 0,"
    "  next_attempt_at bigint, lease_until bigint,"
    "  created_at bigint NOT NULL, updated_at bigint NOT NULL,"
    "  customer_id " T ", seq bigint NOT NULL DEFAULT nextval('deliveries_seq'),"
    "  PRIMARY KEY (workspace_id, target_id, event_id));"
    "ALTER SEQUENCE deliveries_seq OWNED BY deliveries.seq;"
    /* event_id included: retention's oldest pending event per workspace is
     * then read from the index alone (SQLite's indexes carry the key). */
    "CREATE INDEX deliveries_due_by_target ON deliveries"
    "  (workspace_id, target_id, next_attempt_at) INCLUDE (event_id)"
    "  WHERE status = 0 AND next_attempt_at IS NOT NULL;"
    "CREATE INDEX deliveries_customer ON deliveries"
    "  (workspace_id, target_id, customer_id, seq)"
    "  WHERE status = 0 AND customer_id IS NOT NULL;"
    "CREATE TABLE attempts ("
    "  workspace_id " TNN ", target_id " TNN ", event_id " TNN ","
    "  number integer NOT NULL, id " TNN ","
    "  started_at bigint NOT NULL, duration_ms bigint NOT NULL,"
    "  status_code integer NOT NULL, error text, response_excerpt text,"
    "  PRIMARY KEY (workspace_id, target_id, event_id, number));",

    /* 2: what operators look at (SQLite's 6, the dashboard): the customer an
     * event is about, read once from existing payloads, and what each
     * attempt's request headers said that nothing else records. */
    "ALTER TABLE events ADD COLUMN customer_id " T ";"
    "UPDATE events SET customer_id = coalesce(payload::json->'customer'->>'id',"
    "  payload::json->'previousCustomer'->>'id');"
    "CREATE INDEX events_customer ON events (workspace_id, customer_id, id);"
    "ALTER TABLE attempts ADD COLUMN sent_version " T ";"
    "ALTER TABLE attempts ADD COLUMN sent_signature " T ";"
    "ALTER TABLE attempts ADD COLUMN sent_basic_auth integer;"
    "ALTER TABLE attempts ADD COLUMN sent_user_agent text;",

    /* 3: when each API key last authenticated a request (SQLite's 7), NULL
     * until it has; accurate to a minute (domain/key_usage.c). A nullable
     * column without a default: adding it rewrites no row. */
    "ALTER TABLE api_keys ADD COLUMN last_used_at bigint;",
};

const char *const *pg_schema_migrations(int *count)
{
    *count = (int)(sizeof migrations / sizeof migrations[0]);
    return migrations;
}
