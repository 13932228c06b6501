/*
 * fields.c - reading one typed field of a JSON object, failing with the
 * field's path and what was wrong with it. Every check here mirrors a
 * "type", "format", "pattern" or length keyword of Plain's schema.
 */
#include "verify_int.h"

#define FAIL(c, at, key, ...) hkv_fail((c), HK_VERIFY_SCHEMA_VIOLATION, (at), (key), __VA_ARGS__)

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* The field, or NULL after recording "missing". */
static json_t *field(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        FAIL(c, at, key, "missing (required)");
    return v;
}

static bool wrong_type(hkv_ctx *c, const hkv_path *at, const char *key, const json_t *v,
                       const char *want)
{
    return FAIL(c, at, key, "must be %s, not %s", want, type_name(v));
}

bool hkv_get_object(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, json_t **out)
{
    json_t *v = field(c, at, o, key);
    if (!v)
        return false;
    if (!json_is_object(v))
        return wrong_type(c, at, key, v, "an object");
    *out = v;
    return true;
}

bool hkv_get_string(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, const char **out)
{
    json_t *v = field(c, at, o, key);
    if (!v)
        return false;
    if (!json_is_string(v))
        return wrong_type(c, at, key, v, "a string");
    *out = json_string_value(v);
    return true;
}

bool hkv_get_nullable_string(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key,
                             const char **out)
{
    json_t *v = field(c, at, o, key);
    if (!v)
        return false;
    if (json_is_null(v)) {
        *out = NULL;
        return true;
    }
    if (!json_is_string(v))
        return wrong_type(c, at, key, v, "a string or null");
    *out = json_string_value(v);
    return true;
}

bool hkv_get_bool(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, bool *out)
{
    json_t *v = field(c, at, o, key);
    if (!v)
        return false;
    if (!json_is_boolean(v))
        return wrong_type(c, at, key, v, "a boolean");
    *out = json_is_true(v);
    return true;
}

bool hkv_get_id(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, const char **out)
{
    if (!hkv_get_string(c, at, o, key, out))
        return false;
    json_t *v = json_object_get(o, key);
    if (!hkv_is_id(*out, json_string_length(v)))
        return FAIL(c, at, key, "not an id (prefix_ULID, at most 50 characters)");
    return true;
}

static bool time_value(hkv_ctx *c, const hkv_path *at, const char *key, const json_t *v,
                       int64_t *out)
{
    bool js_ok;
    if (!hkv_datetime_parse(json_string_value(v), json_string_length(v), out, &js_ok))
        return FAIL(c, at, key, "not a date-time (2023-10-19T14:21:43.616Z)");
    return true;
}

bool hkv_get_time(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, int64_t *out)
{
    json_t *v = field(c, at, o, key);
    if (!v)
        return false;
    if (!json_is_string(v))
        return wrong_type(c, at, key, v, "a date-time string");
    return time_value(c, at, key, v, out);
}

bool hkv_get_nullable_time(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key,
                           bool required, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!v && required)
        return FAIL(c, at, key, "missing (required)");
    if (!v || json_is_null(v)) {
        *out = HK_WEBHOOK_TIME_NONE;
        return true;
    }
    if (!json_is_string(v))
        return wrong_type(c, at, key, v, "a date-time string or null");
    return time_value(c, at, key, v, out);
}

bool hkv_get_sized_string(hkv_ctx *c, const hkv_path *at, json_t *o, const char *key, size_t min,
                          size_t max, const char **out)
{
    if (!hkv_get_string(c, at, o, key, out))
        return false;
    json_t *v = json_object_get(o, key);
    size_t n = hkv_utf8_length(*out, json_string_length(v));
    if (n < min || n > max)
        return FAIL(c, at, key, "must be %zu to %zu characters long, not %zu", min, max, n);
    return true;
}
