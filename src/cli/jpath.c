/*
 * jpath.c - dotted-path lookups in jansson values (see jpath.h).
 */
#include <string.h>

#include "cli/jpath.h"
#include "core/buf.h"

json_t *jpath(json_t *root, const char *path)
{
    json_t *v = root;
    while (v && *path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        v = json_object_getn(v, path, len);
        path += len + (dot ? 1 : 0);
    }
    return v;
}

const char *jpath_str(json_t *root, const char *path, const char *fallback)
{
    const char *s = json_string_value(jpath(root, path));
    return s ? s : fallback;
}

bool jpath_bool(json_t *root, const char *path)
{
    return json_is_true(jpath(root, path));
}

long long jpath_int(json_t *root, const char *path, long long fallback)
{
    json_t *v = jpath(root, path);
    return json_is_integer(v) ? (long long)json_integer_value(v) : fallback;
}

char *jpath_join(json_t *array, const char *path, const char *sep)
{
    hk_buf b;
    hk_buf_init(&b, JPATH_JOIN_MAX);
    (void)hk_buf_puts(&b, "");
    size_t i, n = 0;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        const char *s = jpath_str(item, path, NULL);
        if (!s)
            continue;
        if (n++)
            (void)hk_buf_puts(&b, sep);
        (void)hk_buf_puts(&b, s);
    }
    if (b.err) {
        hk_buf_free(&b);
        return NULL;
    }
    return hk_buf_steal(&b, NULL);
}
