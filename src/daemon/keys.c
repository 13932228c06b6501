#include "daemon/keys.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/catalog.h"
#include "domain/domain.h"
#include "json/jsonw.h"

/* The shared fields of one key, without the closing brace. */
static void key_fields(hk_buf *b, const hk_api_key_info *k, const char *id_name)
{
    hk_buf_printf(b, "{\"%s\":", id_name);
    (void)jsonw_string(b, k->id);
    JSONW_LIT(b, ",\"workspaceId\":");
    (void)jsonw_string(b, k->workspace_id);
    JSONW_LIT(b, ",\"machineUserId\":");
    (void)jsonw_string(b, k->machine_user_id);
    JSONW_LIT(b, ",\"permissions\":[");
    const char *sep = "";
    for (unsigned bit = 0; bit < 32; bit++) {
        const char *name =
            (k->permissions >> bit) & 1u ? hk_permission_name((hk_permission)(1u << bit)) : NULL;
        if (!name)
            continue;
        hk_buf_puts(b, sep);
        (void)jsonw_string(b, name);
        sep = ",";
    }
    JSONW_LIT(b, "],\"description\":");
    (void)jsonw_string_or_null(b, k->description);
    JSONW_LIT(b, ",\"createdAt\":");
    (void)jsonw_time(b, k->created_at);
}

/* Writes the line; false when it could not be built or written. */
static bool put_line(hk_buf *b)
{
    if (b->err)
        return false;
    return fwrite(b->data, 1, b->len, stdout) == b->len && fputc('\n', stdout) != EOF;
}

static int exit_for(hk_status st)
{
    return st == HK_EINVAL ? HK_EXIT_USAGE : HK_EXIT_FAILURE;
}

static int create(const hk_cli_options *o, hk_store *store, hk_buf *b)
{
    hk_api_key_info k;
    char key[HK_API_KEY_BUF];
    hk_error err;
    hk_status st =
        hk_admin_key_create(store, o->workspace, o->permissions, o->description, &k, key, &err);
    if (st) {
        hk_log_report("hookd", "cannot create a key: %s", err.message);
        return exit_for(st);
    }
    key_fields(b, &k, "apiKeyId");
    JSONW_LIT(b, ",\"apiKey\":");
    (void)jsonw_string(b, key);
    hk_buf_putc(b, '}');
    explicit_bzero(key, sizeof key);
    return put_line(b) ? HK_EXIT_OK : HK_EXIT_FAILURE;
}

/* A time for people, to the minute ("2026-12-04T17:46Z"): last uses are no more precise. */
static void minute_of(int64_t t, char out[HK_TIME_ISO_BUF])
{
    if (t == HK_TIME_NONE) {
        snprintf(out, HK_TIME_ISO_BUF, "never");
        return;
    }
    hk_time_format(t, out);
    memcpy(out + 16, "Z", 2); /* "YYYY-MM-DDTHH:MM" + "Z" */
}

/* The permissions for people: "all", or their names separated by commas. */
static void permissions_text(hk_buf *b, uint32_t permissions)
{
    if (permissions == HK_PERM_ALL) {
        hk_buf_puts(b, "all");
        return;
    }
    const char *sep = "";
    for (unsigned bit = 0; bit < 32; bit++) {
        const char *name =
            (permissions >> bit) & 1u ? hk_permission_name((hk_permission)(1u << bit)) : NULL;
        if (!name)
            continue;
        hk_buf_printf(b, "%s%s", sep, name);
        sep = ",";
    }
}

/* One row of the table. The description is an operator's text: control
 * characters become '?', so that it cannot drive the terminal. */
static void key_row(hk_buf *b, const hk_api_key_info *k)
{
    char created[HK_TIME_ISO_BUF], used[HK_TIME_ISO_BUF];
    minute_of(k->created_at, created);
    minute_of(k->last_used_at, used);
    hk_buf_printf(b, "%-33s  %-28s  %-17s  %-17s  ", k->id, k->workspace_id, created, used);
    size_t start = b->len;
    permissions_text(b, k->permissions);
    for (size_t w = b->len - start; w < sizeof "PERMISSIONS" - 1; w++)
        hk_buf_putc(b, ' ');
    hk_buf_puts(b, "  ");
    for (const char *p = k->description ? k->description : "-"; *p; p++)
        hk_buf_putc(b, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
}

static int list(const hk_cli_options *o, hk_store *store, hk_buf *b)
{
    hk_arena *a = hk_arena_new(0);
    if (!a)
        return HK_EXIT_FAILURE;
    hk_api_key_info *keys;
    size_t n;
    hk_error err;
    hk_status st = hk_admin_key_list(store, o->workspace, a, &keys, &n, &err);
    int rc = HK_EXIT_OK;
    if (st) {
        hk_log_report("hookd", "cannot list keys: %s", err.message);
        rc = exit_for(st);
    } else if (o->key_list_text) {
        hk_buf_printf(b, "%-33s  %-28s  %-17s  %-17s  %s  %s", "ID", "WORKSPACE", "CREATED",
                      "LAST USED", "PERMISSIONS", "DESCRIPTION");
        if (!put_line(b))
            rc = HK_EXIT_FAILURE;
    }
    for (size_t i = 0; !st && i < n && rc == HK_EXIT_OK; i++) {
        hk_buf_reset(b);
        if (o->key_list_text) {
            key_row(b, &keys[i]);
        } else {
            key_fields(b, &keys[i], "id");
            JSONW_LIT(b, ",\"lastUsedAt\":");
            (void)jsonw_time(b, keys[i].last_used_at);
            hk_buf_putc(b, '}');
        }
        if (!put_line(b))
            rc = HK_EXIT_FAILURE;
    }
    hk_arena_free(a);
    return rc;
}

static int revoke(const hk_cli_options *o, hk_store *store, hk_buf *b)
{
    hk_error err;
    hk_status st = hk_admin_key_revoke(store, o->key_id, &err);
    if (st) {
        hk_log_report("hookd", "cannot revoke the key: %s", err.message);
        return exit_for(st);
    }
    JSONW_LIT(b, "{\"revoked\":");
    (void)jsonw_string(b, o->key_id);
    hk_buf_putc(b, '}');
    return put_line(b) ? HK_EXIT_OK : HK_EXIT_FAILURE;
}

int hk_keys_run(const hk_cli_options *o, hk_store *store)
{
    hk_buf b;
    hk_buf_init(&b, 1 << 20);
    int rc;
    switch (o->command) {
    case HK_CMD_KEY_CREATE:
        rc = create(o, store, &b);
        break;
    case HK_CMD_KEY_LIST:
        rc = list(o, store, &b);
        break;
    case HK_CMD_KEY_REVOKE:
        rc = revoke(o, store, &b);
        break;
    default:
        rc = HK_EXIT_USAGE;
        break;
    }
    hk_buf_free(&b);
    if (rc == HK_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        hk_log_report("hookd", "cannot write to standard output");
        rc = HK_EXIT_FAILURE;
    }
    return rc;
}
