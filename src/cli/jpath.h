/*
 * jpath.h - reading the fields of a GraphQL answer by dotted path
 * ("email.email", "createdAt.iso8601"). A missing member, a null on the way
 * or a value of another type gives the fallback, never a crash: the server
 * decides what is null, the printers only show it.
 */
#ifndef HOOKD_CLI_JPATH_H
#define HOOKD_CLI_JPATH_H

#include <stdbool.h>

#include <jansson.h>

/* The value at `path` under `root` (borrowed), or NULL. */
json_t *jpath(json_t *root, const char *path);
/* The string at `path`, or `fallback`. */
const char *jpath_str(json_t *root, const char *path, const char *fallback);
/* The boolean at `path`, or false. */
bool jpath_bool(json_t *root, const char *path);
/* The integer at `path`, or `fallback`. */
long long jpath_int(json_t *root, const char *path, long long fallback);

/*
 * The strings at `path` in each element of `array`, joined by `sep`
 * ("vip, beta"); elements without one are skipped. A malloc'd string the
 * caller frees ("" for none), NULL when out of memory or past JPATH_JOIN_MAX.
 */
#define JPATH_JOIN_MAX ((size_t)64 << 10)
char *jpath_join(json_t *array, const char *path, const char *sep);

#endif
