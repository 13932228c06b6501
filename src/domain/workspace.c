/*
 * workspace.c - workspaces, machine users, API keys and the workspace HMAC
 * secret. API keys are 256 random bits shown once; only their SHA-256 is
 * stored, so a copy of the database does not hand out access.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "domain/domain_int.h"

#define KEY_PREFIX "hkey_"
#define KEY_RANDOM_BYTES 32
#define HMAC_SECRET_BYTES 32

static const hk_actor system_actor = {HK_ACTOR_SYSTEM, "hookd"};

static hk_status make_key(char key[HK_API_KEY_BUF], char hash[HK_SHA256_HEX_BUF])
{
    unsigned char raw[KEY_RANDOM_BYTES];
    hk_status st = hk_random_bytes(raw, sizeof raw);
    if (st)
        return st;
    memcpy(key, KEY_PREFIX, sizeof KEY_PREFIX - 1);
    hk_base64url_encode(raw, sizeof raw, key + sizeof KEY_PREFIX - 1);
    return hk_sha256_hex(key, strlen(key), hash);
}

typedef struct bootstrap_job {
    const char *name;
    hk_bootstrap_result *out;
} bootstrap_job;

static hk_status bootstrap_tx(const store_tx *tx, void *arg, hk_error *err)
{
    bootstrap_job *j = arg;
    int64_t now = hk_now_ms();
    hk_workspace w = {.name = j->name, .created_at = now, .updated_at = now};
    w.created_by = w.updated_by = system_actor;
    store_api_key k = {.permissions = HK_PERM_ALL};
    char hash[HK_SHA256_HEX_BUF];
    hk_status st = hk_id_new(HK_ID_WORKSPACE, w.id);
    if (!st)
        st = hk_id_new(HK_ID_MACHINE_USER, k.machine_user_id);
    if (!st)
        st = hk_id_new(HK_ID_API_KEY, k.id);
    if (!st)
        st = make_key(j->out->api_key, hash);
    if (st)
        return hk_error_set(err, st, NULL, "cannot make ids or keys");
    snprintf(k.workspace_id, sizeof k.workspace_id, "%s", w.id);
    st = tx->ops->workspace_insert(tx->conn, &w);
    if (!st)
        st = tx->ops->machine_user_insert(tx->conn, w.id, k.machine_user_id, "hookd admin", now);
    if (!st)
        st = tx->ops->api_key_insert(tx->conn, &k, hash, now);
    if (st)
        return domain_store_error(err, st, "creating the workspace");
    snprintf(j->out->workspace_id, sizeof j->out->workspace_id, "%s", w.id);
    snprintf(j->out->machine_user_id, sizeof j->out->machine_user_id, "%s", k.machine_user_id);
    return HK_OK;
}

hk_status hk_workspace_bootstrap(hk_store *store, const char *workspace_name,
                                 hk_bootstrap_result *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    hk_error_clear(err);
    if (!workspace_name)
        workspace_name = "hookd";
    hk_status st = hk_validate_text("name", workspace_name, HK_NAME_MAX_CHARS, err);
    if (st)
        return st;
    bootstrap_job j = {workspace_name, out};
    st = store_write(store, bootstrap_tx, &j, err);
    if (st)
        memset(out, 0, sizeof *out);
    return st;
}

typedef struct key_job {
    const hk_ctx *ctx;
    const char *machine_user_id;
    uint32_t permissions;
    char *key_out;
} key_job;

/* Gives k (workspace, machine user, permissions set) a new id and key, and stores it; the key
 * goes to key_out, shown once. */
static hk_status insert_new_key(const store_tx *tx, store_api_key *k, int64_t at, char *key_out,
                                hk_error *err)
{
    char hash[HK_SHA256_HEX_BUF];
    hk_status st = hk_id_new(HK_ID_API_KEY, k->id);
    if (!st)
        st = make_key(key_out, hash);
    if (st)
        return hk_error_set(err, st, NULL, "cannot make a key");
    st = tx->ops->api_key_insert(tx->conn, k, hash, at);
    return st ? domain_store_error(err, st, "storing the key") : HK_OK;
}

static hk_status key_tx(const store_tx *tx, void *arg, hk_error *err)
{
    key_job *j = arg;
    store_api_key k = {.permissions = j->permissions};
    snprintf(k.workspace_id, sizeof k.workspace_id, "%s", j->ctx->workspace_id);
    snprintf(k.machine_user_id, sizeof k.machine_user_id, "%s", j->machine_user_id);
    return insert_new_key(tx, &k, hk_now_ms(), j->key_out, err);
}

hk_status hk_api_key_create(const hk_ctx *ctx, const char *machine_user_id, uint32_t permissions,
                            char key_out[HK_API_KEY_BUF], hk_error *err)
{
    memset(key_out, 0, HK_API_KEY_BUF);
    hk_error_clear(err);
    if ((permissions & ~ctx->permissions) != 0 || (permissions & ~HK_PERM_ALL) != 0)
        return hk_error_set(err, HK_EFORBIDDEN, "forbidden",
                            "a key cannot grant permissions its creator lacks");
    if (!machine_user_id ||
        !hk_id_is_kind(machine_user_id, strlen(machine_user_id), HK_ID_MACHINE_USER))
        return hk_error_field(err, HK_EINVAL, NULL, "machineUserId", HK_FIELD_VALIDATION,
                              "machineUserId must be a machine user id");
    key_job j = {ctx, machine_user_id, permissions, key_out};
    hk_status st = store_write(ctx->store, key_tx, &j, err);
    if (st)
        memset(key_out, 0, HK_API_KEY_BUF);
    return st;
}

/* ---- operators ---- */

typedef struct admin_key_job {
    hk_api_key_info *info;
    char *key_out;
} admin_key_job;

static hk_status admin_key_tx(const store_tx *tx, void *arg, hk_error *err)
{
    admin_key_job *j = arg;
    hk_api_key_info *info = j->info;
    bool found;
    hk_status st =
        tx->ops->machine_user_first(tx->conn, info->workspace_id, info->machine_user_id, &found);
    if (st)
        return domain_store_error(err, st, "looking up the workspace");
    if (!found)
        return hk_error_field(err, HK_ENOTFOUND, NULL, "workspace", HK_FIELD_NOT_FOUND,
                              "no workspace %s (or it has no machine user)", info->workspace_id);
    store_api_key k = {.permissions = info->permissions, .description = info->description};
    snprintf(k.workspace_id, sizeof k.workspace_id, "%s", info->workspace_id);
    snprintf(k.machine_user_id, sizeof k.machine_user_id, "%s", info->machine_user_id);
    info->created_at = hk_now_ms();
    info->last_used_at = HK_TIME_NONE;
    st = insert_new_key(tx, &k, info->created_at, j->key_out, err);
    snprintf(info->id, sizeof info->id, "%s", k.id);
    return st;
}

hk_status hk_admin_key_create(hk_store *store, const char *workspace_id, uint32_t permissions,
                              const char *description, hk_api_key_info *out,
                              char key_out[HK_API_KEY_BUF], hk_error *err)
{
    memset(out, 0, sizeof *out);
    memset(key_out, 0, HK_API_KEY_BUF);
    hk_error_clear(err);
    if (!workspace_id || !hk_id_is_kind(workspace_id, strlen(workspace_id), HK_ID_WORKSPACE))
        return hk_error_field(err, HK_EINVAL, NULL, "workspace", HK_FIELD_VALIDATION,
                              "workspace must be a workspace id (w_...)");
    if (permissions == 0 || (permissions & ~HK_PERM_ALL) != 0)
        return hk_error_field(err, HK_EINVAL, NULL, "permissions", HK_FIELD_VALIDATION,
                              "permissions must name at least one known permission");
    if (description && hk_validate_text("description", description, 500, err))
        return err->status;
    snprintf(out->workspace_id, sizeof out->workspace_id, "%s", workspace_id);
    out->permissions = permissions;
    out->description = description;
    admin_key_job j = {out, key_out};
    hk_status st = store_write(store, admin_key_tx, &j, err);
    if (st) {
        memset(out, 0, sizeof *out);
        memset(key_out, 0, HK_API_KEY_BUF);
    }
    return st;
}

typedef struct admin_list_job {
    const char *ws;
    hk_arena *arena;
    hk_api_key_info **out;
    size_t *n;
} admin_list_job;

static hk_status admin_list_tx(const store_tx *tx, void *arg, hk_error *err)
{
    admin_list_job *j = arg;
    store_api_key *keys;
    size_t n;
    hk_status st = tx->ops->api_key_list(tx->conn, j->ws, j->arena, &keys, &n);
    if (st)
        return domain_store_error(err, st, "listing keys");
    hk_api_key_info *out = n ? hk_arena_alloc(j->arena, n * sizeof *out) : NULL;
    if (n && !out)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        memcpy(out[i].id, keys[i].id, sizeof out[i].id);
        memcpy(out[i].workspace_id, keys[i].workspace_id, sizeof out[i].workspace_id);
        memcpy(out[i].machine_user_id, keys[i].machine_user_id, sizeof out[i].machine_user_id);
        out[i].permissions = keys[i].permissions;
        out[i].description = keys[i].description;
        out[i].created_at = keys[i].created_at;
        out[i].last_used_at = keys[i].last_used_at;
    }
    *j->out = out;
    *j->n = n;
    return HK_OK;
}

hk_status hk_admin_key_list(hk_store *store, const char *workspace_id, hk_arena *arena,
                            hk_api_key_info **out, size_t *n, hk_error *err)
{
    *out = NULL;
    *n = 0;
    hk_error_clear(err);
    if (workspace_id && !hk_id_is_kind(workspace_id, strlen(workspace_id), HK_ID_WORKSPACE))
        return hk_error_field(err, HK_EINVAL, NULL, "workspace", HK_FIELD_VALIDATION,
                              "workspace must be a workspace id (w_...)");
    admin_list_job j = {workspace_id, arena, out, n};
    hk_status st = store_read(store, admin_list_tx, &j, err);
    if (st) {
        *out = NULL;
        *n = 0;
    }
    return st;
}

static hk_status admin_revoke_tx(const store_tx *tx, void *arg, hk_error *err)
{
    const char *id = arg;
    bool found;
    hk_status st = tx->ops->api_key_delete(tx->conn, id, &found);
    if (st)
        return domain_store_error(err, st, "revoking the key");
    return found ? HK_OK : hk_error_set(err, HK_ENOTFOUND, NULL, "no API key %s", id);
}

hk_status hk_admin_key_revoke(hk_store *store, const char *key_id, hk_error *err)
{
    hk_error_clear(err);
    if (!key_id || !hk_id_is_kind(key_id, strlen(key_id), HK_ID_API_KEY))
        return hk_error_field(err, HK_EINVAL, NULL, "id", HK_FIELD_VALIDATION,
                              "id must be an API key id (apiKey_...)");
    return store_write(store, admin_revoke_tx, (void *)key_id, err);
}

typedef struct machine_user_job {
    const hk_ctx *ctx;
    const char *id;
    hk_arena *arena;
    hk_machine_user *out;
    bool *found;
} machine_user_job;

static hk_status machine_user_tx(const store_tx *tx, void *arg, hk_error *err)
{
    machine_user_job *j = arg;
    hk_status st = tx->ops->machine_user_get(tx->conn, j->ctx->workspace_id, j->id, j->arena,
                                             j->out, j->found);
    if (st)
        return domain_store_error(err, st, "reading the machine user");
    j->out->created_by = system_actor; /* bootstrap made it */
    return HK_OK;
}

hk_status hk_machine_user_get(const hk_ctx *ctx, const char *id, hk_arena *arena,
                              hk_machine_user *out, bool *found, hk_error *err)
{
    memset(out, 0, sizeof *out);
    *found = false;
    hk_error_clear(err);
    if (!id || !hk_id_is_kind(id, strlen(id), HK_ID_MACHINE_USER))
        return HK_OK; /* not a machine user's id: there is none */
    machine_user_job j = {ctx, id, arena, out, found};
    return store_read(ctx->store, machine_user_tx, &j, err);
}

typedef struct auth_job {
    const char *hash;
    store_api_key *key;
    bool *found;
} auth_job;

static hk_status auth_tx(const store_tx *tx, void *arg, hk_error *err)
{
    auth_job *j = arg;
    hk_status st = tx->ops->api_key_find(tx->conn, j->hash, j->key, j->found);
    return st ? domain_store_error(err, st, "checking the key") : HK_OK;
}

hk_status hk_auth_api_key(hk_store *store, const char *key, size_t key_len, hk_ctx *out,
                          hk_error *err)
{
    memset(out, 0, sizeof *out);
    hk_error_clear(err);
    if (!key || key_len == 0 || key_len >= HK_API_KEY_BUF)
        return hk_error_set(err, HK_ENOTFOUND, "forbidden", "unknown API key");
    char hash[HK_SHA256_HEX_BUF];
    hk_status st = hk_sha256_hex(key, key_len, hash);
    if (st)
        return hk_error_set(err, st, NULL, "cannot hash the key");
    store_api_key k;
    bool found = false;
    auth_job j = {hash, &k, &found};
    st = store_read(store, auth_tx, &j, err);
    if (st)
        return st;
    if (!found)
        return hk_error_set(err, HK_ENOTFOUND, "forbidden", "unknown API key");
    out->store = store;
    snprintf(out->workspace_id, sizeof out->workspace_id, "%s", k.workspace_id);
    out->actor.type = HK_ACTOR_MACHINE_USER;
    snprintf(out->actor.id, sizeof out->actor.id, "%s", k.machine_user_id);
    out->permissions = k.permissions;
    snprintf(out->api_key_id, sizeof out->api_key_id, "%s", k.id);
    return HK_OK;
}

typedef struct ws_job {
    const hk_ctx *ctx;
    hk_arena *arena;
    hk_workspace *ws;
    hk_hmac_secret *hmac;
    const char *new_secret;
} ws_job;

static hk_status workspace_tx(const store_tx *tx, void *arg, hk_error *err)
{
    ws_job *j = arg;
    bool found;
    hk_status st = tx->ops->workspace_get(tx->conn, j->ctx->workspace_id, j->arena, j->ws, &found);
    if (st)
        return domain_store_error(err, st, "reading the workspace");
    if (!found)
        return hk_error_set(err, HK_ENOTFOUND, "not_found", "workspace not found");
    return HK_OK;
}

hk_status hk_workspace_get(const hk_ctx *ctx, hk_arena *arena, hk_workspace *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_WORKSPACE_READ, err);
    if (st)
        return st;
    ws_job j = {.ctx = ctx, .arena = arena, .ws = out};
    return store_read(ctx->store, workspace_tx, &j, err);
}

static hk_status hmac_get_tx(const store_tx *tx, void *arg, hk_error *err)
{
    ws_job *j = arg;
    hk_status st = tx->ops->hmac_get(tx->conn, j->ctx->workspace_id, j->arena, j->hmac);
    return st ? domain_store_error(err, st, "reading the HMAC secret") : HK_OK;
}

static void clear_hmac(hk_hmac_secret *h)
{
    memset(h, 0, sizeof *h);
    h->created_at = h->updated_at = HK_TIME_NONE;
}

hk_status hk_workspace_hmac_get(const hk_ctx *ctx, hk_arena *arena, hk_hmac_secret *out,
                                hk_error *err)
{
    clear_hmac(out);
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_WORKSPACE_HMAC_READ, err);
    if (st)
        return st;
    ws_job j = {.ctx = ctx, .arena = arena, .hmac = out};
    return store_read(ctx->store, hmac_get_tx, &j, err);
}

static hk_status hmac_set_tx(const store_tx *tx, void *arg, hk_error *err)
{
    ws_job *j = arg;
    hk_status st = tx->ops->hmac_set(tx->conn, j->ctx->workspace_id, j->new_secret, hk_now_ms(),
                                     &j->ctx->actor);
    if (!st) /* read back: the first secret's creation is kept */
        st = tx->ops->hmac_get(tx->conn, j->ctx->workspace_id, j->arena, j->hmac);
    return st ? domain_store_error(err, st, "storing the HMAC secret") : HK_OK;
}

hk_status hk_workspace_hmac_regenerate(const hk_ctx *ctx, hk_arena *arena, hk_hmac_secret *out,
                                       hk_error *err)
{
    clear_hmac(out);
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_WORKSPACE_HMAC_EDIT, err);
    if (st)
        return st;
    unsigned char raw[HMAC_SECRET_BYTES];
    char *hex = hk_arena_alloc(arena, HMAC_SECRET_BYTES * 2 + 1);
    if (!hex)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    st = hk_random_bytes(raw, sizeof raw);
    if (st)
        return hk_error_set(err, st, NULL, "cannot make a secret");
    hk_hex_encode(raw, sizeof raw, hex);
    ws_job j = {.ctx = ctx, .arena = arena, .hmac = out, .new_secret = hex};
    st = store_write(ctx->store, hmac_set_tx, &j, err);
    if (st)
        clear_hmac(out);
    return st;
}
