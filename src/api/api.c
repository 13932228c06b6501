/*
 * api.c - one GraphQL request: authenticate, decode the JSON envelope,
 * execute against hookd's schema (Plain's, with the root types cut down to
 * what hookd serves), answer with the status the outcome calls for.
 */
#include "api/api.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/resolve.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "graphql/graphql.h"
#include "json/jsonw.h"

/* The SDL of src/api/schema.graphql, embedded by the build. */
extern const char hk_api_schema_sdl[];
extern const size_t hk_api_schema_sdl_len;

/* Per request; the limit bounds what one request can make the server hold. */
#define REQUEST_ARENA_LIMIT ((size_t)32 << 20)
/* JSON values in a request body: the variables' limit (checked again, by variable, when
 * they are coerced) and room for the envelope ("query", "operationName", "extensions"). */
#define API_MAX_JSON_VALUES (GQL_DEFAULT_MAX_VARIABLE_VALUES + 100)

/*
 * Authenticated keys are remembered for a short while: a key lookup was a
 * store read on every request (15% of an upsert's CPU). Keys are revoked by
 * another process (hookd key-revoke), which cannot clear this cache, so a
 * revoked key works for at most HK_AUTH_CACHE_TTL_MS more; one lookup per
 * key every few seconds costs nothing measurable. Entries hold the key's
 * SHA-256, never the key.
 *
 * An entry also passes its key's use on to the key-usage tracker at most once
 * a second: the tracker has a lock of its own, which two polling threads
 * authenticating at full speed made a measurable share of an authentication
 * (bench/bench_auth.c). The time recorded lags by under a second, well inside
 * the tracker's minute.
 */
/* Sets of AUTH_CACHE_WAYS entries: with one entry a slot, two active keys of one slot
 * evicted each other and every request with either read the store (8 random keys
 * collided a third of the time: 7.6 us an authentication instead of 0.6). */
#define AUTH_CACHE_SETS 64
#define AUTH_CACHE_WAYS 4
#define AUTH_CACHE_TTL_MS HK_AUTH_CACHE_TTL_MS
#define AUTH_NOTE_EVERY_MS 1000

typedef struct auth_entry {
    char hash[HK_SHA256_HEX_BUF];
    hk_ctx ctx;
    int64_t expires;
    int64_t noted; /* monotonic ms when its use was last passed on */
} auth_entry;

struct api {
    hk_store *store;
    gql_schema *schema;
    hk_key_usage *usage; /* NULL: uses not recorded; set before serving */
    pthread_mutex_t auth_lock;
    auth_entry auth[AUTH_CACHE_SETS][AUTH_CACHE_WAYS];
};

hk_status api_new(hk_store *store, api **out, hk_error *err)
{
    *out = NULL;
    api *a = calloc(1, sizeof *a);
    if (!a)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    a->store = store;
    pthread_mutex_init(&a->auth_lock, NULL);
    hk_status st = gql_schema_new(hk_api_schema_sdl, hk_api_schema_sdl_len, &a->schema, err);
    if (!st)
        st = resolve_bind_all(a->schema, err);
    if (st) {
        api_free(a);
        return st;
    }
    *out = a;
    return HK_OK;
}

void api_free(api *a)
{
    if (!a)
        return;
    gql_schema_free(a->schema);
    pthread_mutex_destroy(&a->auth_lock);
    free(a);
}

/* A response that is only a top-level error. */
static void fail(api_response *out, int status, const char *code, const char *message)
{
    out->http_status = status;
    hk_buf_reset(&out->body);
    JSONW_LIT(&out->body, "{\"errors\":[{\"message\":");
    jsonw_string(&out->body, message);
    JSONW_LIT(&out->body, ",\"extensions\":{\"code\":");
    jsonw_string(&out->body, code);
    JSONW_LIT(&out->body, "}}]}");
}

/* "Bearer <key>" (scheme case-insensitive) -> the key. */
static const char *bearer_key(const char *authorization, size_t *len)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *key = authorization + 7;
    while (*key == ' ')
        key++;
    size_t n = strlen(key);
    while (n && key[n - 1] == ' ')
        n--;
    *len = n;
    return n ? key : NULL;
}

/* The hash is uniformly distributed: its first hex digits pick the set. */
static unsigned set_of(const char *hash)
{
    unsigned v = 0;
    for (int i = 0; i < 8; i++) {
        char c = hash[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return v % AUTH_CACHE_SETS;
}

/* The live entry of `hash` in its set, or NULL. Under auth_lock. */
static auth_entry *find_entry(api *a, const char *hash, int64_t now)
{
    auth_entry *set = a->auth[set_of(hash)];
    for (int i = 0; i < AUTH_CACHE_WAYS; i++) {
        if (set[i].expires > now && hk_consttime_equal(set[i].hash, hash, HK_SHA256_HEX_LEN))
            return &set[i];
    }
    return NULL;
}

/* Where `hash` goes in its set: its own entry, else the one that expires first (an
 * empty or expired one first of all). Under auth_lock. */
static auth_entry *entry_for(api *a, const char *hash, int64_t now)
{
    auth_entry *e = find_entry(a, hash, now);
    if (e)
        return e;
    auth_entry *set = a->auth[set_of(hash)];
    e = &set[0];
    for (int i = 1; i < AUTH_CACHE_WAYS; i++) {
        if (set[i].expires < e->expires)
            e = &set[i];
    }
    return e;
}

/* *note: whether this use is to be passed on to the tracker (see above). */
static bool auth_cached(api *a, const char *hash, hk_ctx *ctx, bool *note)
{
    bool hit = false;
    int64_t now = hk_mono_ms();
    *note = false;
    pthread_mutex_lock(&a->auth_lock);
    auth_entry *e = find_entry(a, hash, now);
    if (e) {
        *ctx = e->ctx;
        hit = true;
        *note = now - e->noted >= AUTH_NOTE_EVERY_MS;
        if (*note)
            e->noted = now;
    }
    pthread_mutex_unlock(&a->auth_lock);
    return hit;
}

/* The key was just looked up, and its use is passed on now. */
static void auth_remember(api *a, const char *hash, const hk_ctx *ctx)
{
    int64_t now = hk_mono_ms();
    pthread_mutex_lock(&a->auth_lock);
    auth_entry *e = entry_for(a, hash, now);
    memcpy(e->hash, hash, HK_SHA256_HEX_BUF);
    e->ctx = *ctx;
    e->expires = now + AUTH_CACHE_TTL_MS;
    e->noted = now;
    pthread_mutex_unlock(&a->auth_lock);
}

void api_track_key_usage(api *a, hk_key_usage *usage)
{
    a->usage = usage;
}

/* A request authenticated: its key's use is noted, in memory (key_usage.h coalesces
 * the writes), when `note` (at most once a second per remembered key). */
static api_auth authenticated(api *a, const api_caller *who, bool note)
{
    if (note && a->usage)
        hk_key_usage_note(a->usage, who->ctx.api_key_id, hk_now_ms());
    return API_AUTH_OK;
}

/* The key's hash, the cache's index; false when the header holds no Bearer key. */
static bool key_hash(const char *authorization, const char **key, size_t *len,
                     char hash[HK_SHA256_HEX_BUF])
{
    *key = bearer_key(authorization, len);
    return *key && hk_sha256_hex(*key, *len, hash) == HK_OK;
}

api_auth api_auth_cached(api *a, const char *authorization, api_caller *who)
{
    const char *key;
    size_t len = 0;
    char hash[HK_SHA256_HEX_BUF];
    bool note;
    memset(who, 0, sizeof *who);
    if (!key_hash(authorization, &key, &len, hash))
        return key ? API_AUTH_FAILED : API_AUTH_REFUSED;
    return auth_cached(a, hash, &who->ctx, &note) ? authenticated(a, who, note) : API_AUTH_LOOKUP;
}

api_auth api_auth_lookup(api *a, const char *authorization, api_caller *who)
{
    const char *key;
    size_t len = 0;
    char hash[HK_SHA256_HEX_BUF];
    bool note;
    memset(who, 0, sizeof *who);
    if (!key_hash(authorization, &key, &len, hash))
        return key ? API_AUTH_FAILED : API_AUTH_REFUSED;
    if (auth_cached(a, hash, &who->ctx, &note))
        return authenticated(a, who, note);
    hk_error err;
    hk_status st = hk_auth_api_key(a->store, key, len, &who->ctx, &err);
    if (st == HK_ENOTFOUND)
        return API_AUTH_REFUSED;
    if (st)
        return API_AUTH_FAILED;
    auth_remember(a, hash, &who->ctx);
    return authenticated(a, who, true);
}

void api_auth_answer(api_auth result, const char *authorization, api_response *out)
{
    size_t len;
    hk_buf_init(&out->body, 0);
    out->internal_error = result == API_AUTH_FAILED;
    if (result == API_AUTH_FAILED)
        fail(out, 500, GQL_CODE_INTERNAL, "internal error while checking the API key");
    else if (!bearer_key(authorization, &len))
        fail(out, 401, GQL_CODE_UNAUTHENTICATED,
             "missing API key: send Authorization: Bearer <key>");
    else
        fail(out, 401, GQL_CODE_UNAUTHENTICATED, "invalid API key");
}

typedef struct envelope {
    json_t *root;
    const char *query;
    size_t query_len;
    json_t *variables;
    const char *operation_name;
} envelope;

/*
 * Whether the JSON text in body[0..len) holds at most `max` values and nests at most
 * JSON_SCAN_DEPTH deep, without parsing it: jansson makes 50 to 100 bytes of each value
 * (a 1 MiB body of short strings became 25 MB once parsed and coerced), so a body is
 * sized before it is parsed. Malformed text is jansson's to report: the scan only counts
 * where values start (the document, after '[', ':', and ',' in an array).
 */
#define JSON_SCAN_DEPTH 256
static bool json_fits(const char *body, size_t len, size_t max, bool *too_deep)
{
    bool in_array[JSON_SCAN_DEPTH];
    size_t depth = 0, values = 0;
    bool expect_value = true;
    *too_deep = false;
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (expect_value && c != ']' && ++values > max)
            return false;
        expect_value = false;
        switch (c) {
        case '"':
            for (i++; i < len && body[i] != '"'; i++)
                if (body[i] == '\\')
                    i++;
            break;
        case '[':
        case '{':
            if (depth == JSON_SCAN_DEPTH) {
                *too_deep = true;
                return false;
            }
            in_array[depth++] = c == '[';
            expect_value = c == '[';
            break;
        case ']':
        case '}':
            if (depth > 0)
                depth--;
            break;
        case ':':
            expect_value = true;
            break;
        case ',':
            expect_value = depth > 0 && in_array[depth - 1];
            break;
        default:
            break;
        }
    }
    return true;
}

static bool decode(const char *body, size_t len, envelope *env, api_response *out)
{
    json_error_t jerr;
    memset(env, 0, sizeof *env);
    bool too_deep;
    if (!json_fits(body, len, API_MAX_JSON_VALUES, &too_deep)) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the request body holds more than %d JSON values (its variables may hold at "
                 "most %d)",
                 API_MAX_JSON_VALUES, GQL_DEFAULT_MAX_VARIABLE_VALUES);
        if (too_deep)
            fail(out, 400, "BAD_REQUEST", "the request body nests JSON too deeply");
        else
            fail(out, 400, GQL_CODE_BAD_USER_INPUT, msg);
        return false;
    }
    /* NUL is allowed through so that the domain can reject it naming the field. */
    env->root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!env->root || !json_is_object(env->root)) {
        fail(out, 400, "BAD_REQUEST",
             env->root ? "the request body must be a JSON object" : "malformed JSON body");
        return false;
    }
    json_t *q = json_object_get(env->root, "query");
    json_t *v = json_object_get(env->root, "variables");
    json_t *op = json_object_get(env->root, "operationName");
    if (!json_is_string(q)) {
        fail(out, 400, "BAD_REQUEST", "the request must have a string \"query\"");
        return false;
    }
    if (v && !json_is_null(v) && !json_is_object(v)) {
        fail(out, 400, "BAD_REQUEST", "\"variables\" must be an object");
        return false;
    }
    if (op && !json_is_null(op) && !json_is_string(op)) {
        fail(out, 400, "BAD_REQUEST", "\"operationName\" must be a string");
        return false;
    }
    env->query = json_string_value(q);
    env->query_len = json_string_length(q);
    env->variables = json_is_object(v) ? v : NULL;
    env->operation_name = json_is_string(op) ? json_string_value(op) : NULL;
    return true;
}

hk_status api_graphql_as(api *a, const api_caller *who, const char *body, size_t len,
                         api_response *out)
{
    hk_buf_init(&out->body, 0);
    out->http_status = 500;
    out->internal_error = false;
    api_request req;
    memset(&req, 0, sizeof req);
    req.ctx = who->ctx;
    envelope env = {0};
    hk_arena *arena = NULL;
    if (!decode(body, len, &env, out))
        goto out;
    arena = hk_arena_new(REQUEST_ARENA_LIMIT);
    if (!arena) {
        fail(out, 500, GQL_CODE_INTERNAL, "out of memory");
        goto out;
    }
    gql_request greq = {
        .query = env.query,
        .query_len = env.query_len,
        .variables = env.variables,
        .operation_name = env.operation_name,
        .user = &req,
        .arena = arena,
    };
    gql_outcome outcome;
    if (gql_execute(a->schema, &greq, &out->body, &outcome)) {
        fail(out, 500, GQL_CODE_INTERNAL, "the response could not be built");
        goto out;
    }
    out->http_status = outcome.http_status;
out:
    out->internal_error = req.internal_error || out->http_status >= 500;
    hk_arena_free(arena);
    json_decref(env.root);
    return out->body.err ? HK_ENOMEM : HK_OK;
}

hk_status api_graphql(api *a, const char *authorization, const char *body, size_t len,
                      api_response *out)
{
    api_caller who;
    api_auth result = api_auth_lookup(a, authorization, &who);
    if (result != API_AUTH_OK) {
        api_auth_answer(result, authorization, out);
        return out->body.err ? HK_ENOMEM : HK_OK;
    }
    return api_graphql_as(a, &who, body, len, out);
}
