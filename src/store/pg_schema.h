/*
 * pg_schema.h - the PostgreSQL schema's migrations (pg_schema.c), in order.
 */
#ifndef HOOKD_STORE_PG_SCHEMA_H
#define HOOKD_STORE_PG_SCHEMA_H

/* The migrations: element i moves the schema from version i to i + 1. */
const char *const *pg_schema_migrations(int *count);

#endif
