/* sqlite_schema.h - the SQLite backend's migrations (see sqlite_schema.c). */
#ifndef HOOKD_STORE_SQLITE_SCHEMA_H
#define HOOKD_STORE_SQLITE_SCHEMA_H

/* The migrations in order; *count receives how many. Static strings. */
const char *const *sqlite_schema_migrations(int *count);

#endif
