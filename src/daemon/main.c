/*
 * main.c - the hookd executable: "bootstrap" creates a workspace, "serve"
 * runs the HTTP server (the GraphQL API and /healthz) and the webhook
 * dispatcher until SIGTERM or SIGINT, then writes the API keys' last uses
 * it holds in memory (key_usage.h) and exits.
 *
 * Signals: serve blocks SIGTERM and SIGINT before any thread exists (so every
 * thread inherits the mask) and the main thread waits for them with sigwait.
 * No signal handler runs, so nothing async-signal-unsafe can happen in one.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "daemon/cli.h"
#include "daemon/http_server.h"
#include "daemon/instance_lock.h"
#include "daemon/keys.h"
#include "daemon/listen.h"
#include "delivery/dispatcher.h"
#include "domain/key_usage.h"
#include "json/jsonw.h"
#include "store/backup.h"
#include "domain/domain.h"
#include "store/store.h"

static void print_usage_hint(hk_cli_command topic)
{
    if (topic == HK_CMD_NONE)
        fprintf(stderr, "Run 'hookd --help' for usage.\n");
    else
        fprintf(stderr, "Run 'hookd %s --help' for usage.\n", hk_cli_command_name(topic));
}

static hk_status open_store(const hk_cli_options *o, hk_store **out, hk_error *err)
{
    hk_store_options options;
    hk_store_options_init(&options);
    options.data_dir = o->data_dir;
    options.database_url = o->database_url;
    options.durable = true;
    return hk_store_open(&options, out, err);
}

/* bootstrap --hmac-secret: the new workspace's secret, generated as its own key would
 * (regenerateWorkspaceHmac), copied into `out`. */
static hk_status bootstrap_hmac(hk_store *store, const hk_bootstrap_result *r,
                                char out[HK_HMAC_SECRET_BUF], hk_error *err)
{
    hk_ctx ctx;
    hk_hmac_secret h;
    hk_arena *a = hk_arena_new(0);
    if (!a)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    hk_status st = hk_auth_api_key(store, r->api_key, strlen(r->api_key), &ctx, err);
    if (!st)
        st = hk_workspace_hmac_regenerate(&ctx, a, &h, err);
    if (!st)
        snprintf(out, HK_HMAC_SECRET_BUF, "%s", h.secret);
    hk_arena_free(a);
    return st;
}

/* Where the store is, for messages: the directory, or "PostgreSQL" (a URL may
 * hold a password). */
static const char *store_desc(const hk_cli_options *o)
{
    return o->data_dir ? o->data_dir : "PostgreSQL";
}

/* The output is one JSON line a script can parse. Ids and keys are written without escaping:
 * they are made of letters, digits, '_' and '-' only (SPEC §1; base64url keys). */
static int run_bootstrap(const hk_cli_options *o)
{
    int rc = HK_EXIT_FAILURE;
    hk_store *store = NULL;
    hk_bootstrap_result result = {0};
    char secret[HK_HMAC_SECRET_BUF] = "";
    hk_error err;
    hk_error_clear(&err);

    if (open_store(o, &store, &err) != HK_OK) {
        hk_log_report("hookd", "cannot open the store: %s", err.message);
        goto out;
    }
    hk_status st = hk_workspace_bootstrap(store, o->workspace_name, &result, &err);
    if (st != HK_OK) {
        hk_log_report("hookd", "cannot create a workspace: %s", err.message);
        /* A rejected --name is the caller's mistake, like any other bad argument. */
        rc = st == HK_EINVAL ? HK_EXIT_USAGE : HK_EXIT_FAILURE;
        goto out;
    }
    if (o->bootstrap_hmac_secret && bootstrap_hmac(store, &result, secret, &err) != HK_OK) {
        hk_log_report("hookd", "cannot generate the workspace's HMAC secret: %s", err.message);
        goto out;
    }
    printf("{\"workspaceId\":\"%s\",\"apiKey\":\"%s\"", result.workspace_id, result.api_key);
    if (o->bootstrap_hmac_secret)
        printf(",\"hmacSecret\":\"%s\"", secret);
    printf("}\n");
    if (fflush(stdout) != 0 || ferror(stdout)) {
        hk_log_report("hookd", "cannot write the result to standard output");
        goto out;
    }
    rc = HK_EXIT_OK;
out:
    explicit_bzero(result.api_key, sizeof result.api_key);
    explicit_bzero(secret, sizeof secret);
    hk_store_close(store);
    return rc;
}

/* key-create, key-list, key-revoke: on an existing store only (a mistyped --data-dir must not
 * make an empty one). */
static int run_key_command(const hk_cli_options *o)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/hookd.db", o->data_dir ? o->data_dir : "");
    if (o->data_dir && access(path, F_OK) != 0) {
        hk_log_report("hookd", "no store in %s (run hookd bootstrap first)", o->data_dir);
        return HK_EXIT_USAGE;
    }
    hk_store *store = NULL;
    hk_error err;
    hk_error_clear(&err);
    if (open_store(o, &store, &err) != HK_OK) {
        hk_log_report("hookd", "cannot open the store: %s", err.message);
        return HK_EXIT_FAILURE;
    }
    int rc = hk_keys_run(o, store);
    hk_store_close(store);
    return rc;
}

/* Writes the result line built in b to standard output and frees b: an exit code. */
static int emit(hk_buf *b)
{
    bool ok = !b->err && fwrite(b->data, 1, b->len, stdout) == b->len && fflush(stdout) == 0;
    hk_buf_free(b);
    if (!ok)
        hk_log_report("hookd", "cannot write the result to standard output");
    return ok ? HK_EXIT_OK : HK_EXIT_FAILURE;
}

static int run_backup(const hk_cli_options *o)
{
    hk_backup_info info;
    hk_error err;
    hk_status st = o->database_url ? hk_store_backup_pg(o->database_url, o->backup_to, &info, &err)
                                   : hk_store_backup(o->data_dir, o->backup_to, &info, &err);
    if (st) {
        hk_log_report("hookd", "backup failed: %s", err.message);
        return st == HK_EIO ? HK_EXIT_FAILURE : HK_EXIT_USAGE;
    }
    hk_buf b;
    hk_buf_init(&b, 0);
    JSONW_LIT(&b, "{\"backup\":");
    (void)jsonw_string(&b, o->backup_to);
    hk_buf_printf(&b, ",\"bytes\":%lld,\"schemaVersion\":%d}\n", (long long)info.bytes,
                  info.schema_version);
    return emit(&b);
}

/* Under the directory's instance lock, so that no server can be running on it. A failed
 * restore leaves the directory as it found it: no lock file, and no directory when it made
 * one. */
static int run_restore(const hk_cli_options *o)
{
    if (o->database_url) {
        hk_log_report("hookd", "restore works on a data directory; restore a PostgreSQL backup "
                               "with pg_restore (see docs/OPERATIONS.md, \"Back up and restore\")");
        return HK_EXIT_USAGE;
    }
    int lock_fd = -1;
    hk_error err;
    struct stat before;
    bool existed = stat(o->data_dir, &before) == 0;
    hk_status st = hk_instance_lock(o->data_dir, &lock_fd, &err);
    if (st) {
        hk_log_report("hookd", "cannot restore: %s", err.message);
        return HK_EXIT_FAILURE;
    }
    hk_backup_info info;
    bool kept;
    st = hk_store_restore(o->data_dir, o->restore_from, &info, &kept, &err);
    hk_instance_unlock(o->data_dir, lock_fd);
    if (st && !existed)
        (void)rmdir(o->data_dir); /* only when empty */
    if (st) {
        hk_log_report("hookd", "restore failed: %s", err.message);
        return st == HK_EIO ? HK_EXIT_FAILURE : HK_EXIT_USAGE;
    }
    hk_buf b;
    hk_buf_init(&b, 0);
    JSONW_LIT(&b, "{\"restored\":");
    (void)jsonw_string(&b, o->restore_from);
    hk_buf_printf(&b, ",\"bytes\":%lld,\"schemaVersion\":%d,\"previous\":", (long long)info.bytes,
                  info.schema_version);
    if (kept) {
        char aside[4200];
        snprintf(aside, sizeof aside, "%s/hookd.db.before-restore", o->data_dir);
        (void)jsonw_string(&b, aside);
    } else {
        JSONW_LIT(&b, "null");
    }
    JSONW_LIT(&b, "}\n");
    return emit(&b);
}

/* Must run before the first thread is created: threads inherit the signal mask. */
static void block_stop_signals(sigset_t *stop_signals)
{
    sigemptyset(stop_signals);
    sigaddset(stop_signals, SIGTERM);
    sigaddset(stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, stop_signals, NULL);
    /* A peer closing its socket must be an error on that write, not the end of the process. */
    signal(SIGPIPE, SIG_IGN);
}

static int wait_for_stop_signal(const sigset_t *stop_signals)
{
    int sig = SIGTERM;
    /* sigwait fails only for an invalid set; stopping then beats serving unstoppably. */
    if (sigwait(stop_signals, &sig) != 0)
        hk_log_error("cannot wait for signals; stopping");
    return sig;
}

/* A PEM file read whole (at most 1 MiB) into *out (freed by the caller). */
static hk_status read_pem(const char *path, char **out, hk_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return hk_error_set(err, HK_EIO, NULL, "cannot read %s: %s", path, strerror(errno));
    hk_buf b;
    hk_buf_init(&b, (size_t)1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        (void)hk_buf_append(&b, chunk, n);
    bool failed = ferror(f);
    fclose(f);
    if (failed || b.err || b.len == 0) {
        hk_buf_free(&b);
        return hk_error_set(err, HK_EIO, NULL, "cannot read %s: %s", path,
                            failed  ? "read error"
                            : b.err ? "larger than 1 MiB"
                                    : "empty");
    }
    *out = hk_buf_steal(&b, &n);
    return *out ? HK_OK : hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
}

static hk_status start_server(const hk_cli_options *o, const hk_listen_addr *addr, hk_store *store,
                              api *graphql, hk_dispatcher *dispatcher, hk_retention *retention,
                              int64_t started_ms, hk_http_server **out, hk_error *err)
{
    char desc[HK_LISTEN_DESC_MAX];
    int listen_fd = -1;
    char *cert = NULL, *key = NULL;
    hk_status st = HK_OK;
    if (o->https_cert) {
        st = read_pem(o->https_cert, &cert, err);
        if (!st)
            st = read_pem(o->https_key, &key, err);
    }
    if (!st)
        st = hk_listen_open(addr, &listen_fd, desc, err);
    if (st)
        goto out;

    hk_http_server_options options;
    hk_http_server_options_init(&options);
    options.listen_fd = listen_fd;
    options.store = store;
    options.api = graphql;
    options.dispatcher = dispatcher;
    options.retention = retention;
    options.started_ms = started_ms;
    options.max_body_bytes = o->max_body_bytes;
    options.body_budget = o->max_buffered_body_bytes;
    options.header_timeout_ms = (unsigned)o->header_timeout_ms;
    options.body_timeout_ms = (unsigned)o->body_timeout_ms;
    options.threads = (unsigned)o->http_threads;
    options.https_cert = cert;
    options.https_key = key;
    st = hk_http_server_start(&options, out, err);
    if (st != HK_OK)
        goto out;
    hk_log_info("hookd %s listening on %s://%s (store %s, %u threads, %u connections at "
                "most, schema version %d)",
                HOOKD_VERSION, cert ? "https" : "http", desc, store_desc(o),
                hk_http_server_threads(*out), hk_http_server_max_connections(*out),
                hk_store_schema_version(store));
out:
    free(cert);
    if (key) {
        explicit_bzero(key, strlen(key));
        free(key);
    }
    return st;
}

/* A server holds a descriptor per client and per target connection: the soft
 * limit (often 1024) goes up to the hard one, which the operator sets. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        hk_log_warn("cannot raise the open-file limit: %s", strerror(errno));
}

/* Development mode (SPEC §4): http:// and private destinations allowed. */
static void apply_target_policy(void)
{
    const char *v = getenv("HOOKD_ALLOW_PRIVATE_TARGETS");
    bool allow = v && strcmp(v, "1") == 0;
    hk_domain_set_allow_private_targets(allow);
    if (allow)
        hk_log_warn("HOOKD_ALLOW_PRIVATE_TARGETS=1: http:// and private webhook targets are "
                    "allowed (development only)");
}

/* Started before the HTTP server: it installs the store's commit hook, which
 * must be in place before anything commits, so new deliveries go out at once. */
static hk_status start_dispatcher(const hk_cli_options *o, hk_store *store, hk_dispatcher **out,
                                  hk_error *err)
{
    hk_dispatcher_options options;
    hk_dispatcher_options_init(&options);
    options.retry = o->retry_schedule;
    options.timeout_ms = o->delivery_timeout_ms;
    options.max_in_flight = o->max_in_flight;
    options.per_target_in_flight = o->per_target_in_flight;
    options.disable_failing_after_ms = o->disable_failing_after_ms;
    options.metrics_target_labels = o->metrics_target_labels;
    options.lease_ms = o->delivery_lease_ms;
    options.user_agent = o->user_agent;
    options.tls_client_cert = o->tls_client_cert;
    options.tls_client_key = o->tls_client_key;
    options.tls_ca_file = o->tls_ca_file;
    options.allow_private_targets = hk_domain_private_targets_allowed();
    return hk_dispatcher_start(store, &options, out, err);
}

static int run_serve(const hk_cli_options *o)
{
    int rc = HK_EXIT_FAILURE;
    hk_store *store = NULL;
    api *graphql = NULL;
    hk_dispatcher *dispatcher = NULL;
    hk_retention *retention = NULL;
    hk_http_server *server = NULL;
    hk_key_usage *usage = NULL;
    int lock_fd = -1;
    hk_error err;
    hk_error_clear(&err);
    int64_t started_ms = hk_now_ms();

    /* A malformed address is a usage error; check it before opening anything. */
    hk_listen_addr addr;
    if (hk_listen_parse(o->listen, &addr, &err) != HK_OK) {
        hk_log_report("hookd", "%s", err.message);
        print_usage_hint(HK_CMD_SERVE);
        rc = HK_EXIT_USAGE;
        goto out;
    }
    sigset_t stop_signals;
    block_stop_signals(&stop_signals);
    apply_target_policy();
    if (o->default_webhook_version) /* checked supported when the options were read */
        (void)hk_webhook_version_set_default(o->default_webhook_version);
    raise_fd_limit();

    /* One serve per data directory; on PostgreSQL any number share the database. */
    if (o->data_dir && hk_instance_lock(o->data_dir, &lock_fd, &err) != HK_OK) {
        hk_log_report("hookd", "%s", err.message);
        goto out;
    }
    if (open_store(o, &store, &err) != HK_OK) {
        hk_log_report("hookd", "cannot open the store: %s", err.message);
        goto out;
    }
    if (api_new(store, &graphql, &err) != HK_OK) {
        hk_log_report("hookd", "cannot set up the GraphQL API: %s", err.message);
        goto out;
    }
    if (hk_key_usage_new(store, NULL, &usage, &err) != HK_OK ||
        hk_key_usage_start(usage, &err) != HK_OK) {
        hk_log_report("hookd", "cannot start recording API keys' use: %s", err.message);
        goto out;
    }
    api_track_key_usage(graphql, usage);
    if (start_dispatcher(o, store, &dispatcher, &err) != HK_OK) {
        hk_log_report("hookd", "cannot start the webhook dispatcher: %s", err.message);
        goto out;
    }
    if (o->retention_ms > 0 && hk_retention_start(store, o->retention_ms, &retention, &err)) {
        hk_log_report("hookd", "cannot start retention: %s", err.message);
        goto out;
    }
    if (start_server(o, &addr, store, graphql, dispatcher, retention, started_ms, &server, &err) !=
        HK_OK) {
        hk_log_report("hookd", "%s", err.message);
        goto out;
    }

    int sig = wait_for_stop_signal(&stop_signals);
    hk_log_info("received %s: finishing requests in flight, then stopping",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    rc = HK_EXIT_OK;
out:
    /* In this order: the server's threads use the API, which uses the store;
     * the server's mutations wake the dispatcher, which records into the store.
     * Once no request can authenticate, the keys' last uses still in memory are
     * written, while the store is open. */
    hk_http_server_stop(server);
    hk_key_usage_stop(usage);
    hk_retention_stop(retention);
    hk_dispatcher_stop(dispatcher);
    api_free(graphql);
    hk_key_usage_free(usage);
    hk_store_close(store);
    hk_instance_unlock(o->data_dir, lock_fd); /* after the store is closed: the next server */
    if (rc == HK_EXIT_OK)
        hk_log_info("stopped");
    return rc;
}

int main(int argc, char **argv)
{
    hk_cli_options opts;
    hk_cli_command usage_topic;
    hk_error err;
    hk_error_clear(&err);

    if (hk_cli_parse(argc, argv, &opts, &usage_topic, &err) != HK_OK) {
        fprintf(stderr, "hookd: %s\n", err.message);
        print_usage_hint(usage_topic);
        return HK_EXIT_USAGE;
    }
    hk_log_set_level(opts.log_level);
    hk_log_set_format(opts.log_format);

    switch (opts.command) {
    case HK_CMD_HELP:
        hk_cli_print_usage(stdout, opts.help_topic);
        return HK_EXIT_OK;
    case HK_CMD_VERSION:
        printf("hookd %s\n", HOOKD_VERSION);
        return HK_EXIT_OK;
    case HK_CMD_BOOTSTRAP:
        return run_bootstrap(&opts);
    case HK_CMD_SERVE:
        return run_serve(&opts);
    case HK_CMD_KEY_CREATE:
    case HK_CMD_KEY_LIST:
    case HK_CMD_KEY_REVOKE:
        return run_key_command(&opts);
    case HK_CMD_BACKUP:
        return run_backup(&opts);
    case HK_CMD_RESTORE:
        return run_restore(&opts);
    default:
        hk_cli_print_usage(stderr, HK_CMD_NONE);
        return HK_EXIT_USAGE;
    }
}
