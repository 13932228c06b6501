/*
 * json_path.h - reading GraphQL answers in the API tests: the value at a
 * dotted path ("data.customers.edges.0.node.id"; numbers index arrays).
 */
#ifndef HOOKD_TESTS_JSON_PATH_H
#define HOOKD_TESTS_JSON_PATH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* The value at `path` under `root` (borrowed); NULL when absent. */
static inline json_t *json_at(json_t *root, const char *path)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = root;
    for (char *t = strtok_r(buf, ".", &save); t && v; t = strtok_r(NULL, ".", &save))
        v = json_is_array(v) ? json_array_get(v, strtoul(t, NULL, 10)) : json_object_get(v, t);
    return v;
}

/* The string at `path`, or "<not a string>" (so string assertions fail readably). */
static inline const char *json_str_at(json_t *root, const char *path)
{
    json_t *v = json_at(root, path);
    return json_is_string(v) ? json_string_value(v) : "<not a string>";
}

#endif
