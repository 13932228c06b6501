/*
 * cli.h - hookd's command line: commands, options and their environment
 * fallbacks.
 *
 * STORE is --data-dir DIR (SQLite) or --database-url URL (PostgreSQL), exactly one.
 *   hookd bootstrap STORE [--name NAME] [--log-level LEVEL]
 *   hookd serve STORE [--listen HOST:PORT] [--max-body-bytes N] [--http-threads N]
 *               [--max-buffered-body-bytes N] [--header-timeout D] [--body-timeout D]
 *               [--log-level LEVEL] [--retry-schedule LIST] [--delivery-timeout DURATION]
 *               [--max-in-flight N] [--per-target-in-flight N] [--user-agent TEXT]
 *               [--tls-client-cert PEM] [--tls-client-key PEM] [--tls-ca-file PEM]
 *               [--retention DURATION] [--https-cert PEM --https-key PEM]
 *               [--delivery-lease DURATION]
 *   hookd key-create STORE --workspace ID [--permissions LIST] [--description TEXT]
 *   hookd key-list STORE [--workspace ID] [--format json|text]
 *   hookd key-revoke STORE --id KEY_ID
 *   hookd backup STORE --to FILE
 *   hookd restore --data-dir DIR --from FILE
 *   hookd help [COMMAND] | hookd --help | hookd --version
 *
 * Options take "--opt VALUE" or "--opt=VALUE". A flag wins over its
 * environment variable (HOOKD_DATA_DIR, HOOKD_DATABASE_URL, HOOKD_LISTEN, HOOKD_MAX_BODY_BYTES,
 * HOOKD_MAX_BUFFERED_BODY_BYTES, HOOKD_HEADER_TIMEOUT, HOOKD_BODY_TIMEOUT,
 * HOOKD_HTTP_THREADS, HOOKD_LOG_LEVEL, HOOKD_LOG_FORMAT, HOOKD_RETRY_SCHEDULE,
 * HOOKD_DELIVERY_TIMEOUT, HOOKD_MAX_IN_FLIGHT, HOOKD_PER_TARGET_IN_FLIGHT, HOOKD_USER_AGENT,
 * HOOKD_TLS_CLIENT_CERT, HOOKD_TLS_CLIENT_KEY, HOOKD_TLS_CA_FILE, HOOKD_RETENTION,
 * HOOKD_HTTPS_CERT, HOOKD_HTTPS_KEY, HOOKD_DELIVERY_LEASE).
 */
#ifndef HOOKD_DAEMON_CLI_H
#define HOOKD_DAEMON_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "core/log.h"
#include "daemon/retention.h"
#include "delivery/retry.h"

#ifndef HOOKD_VERSION
#define HOOKD_VERSION "0.1.0"
#endif

/* Process exit codes. */
enum {
    HK_EXIT_OK = 0,
    HK_EXIT_FAILURE = 1, /* a runtime failure: the store cannot open, the port is taken */
    HK_EXIT_USAGE = 2,   /* the command line is wrong */
};

#define HK_DEFAULT_LISTEN "127.0.0.1:8080"
#define HK_DEFAULT_WORKSPACE_NAME "hookd"
/* The largest request body serve reads (bigger ones are answered 413). */
#define HK_DEFAULT_MAX_BODY_BYTES ((size_t)1 << 20)
/* A ceiling on --max-body-bytes: each request in flight may hold this much memory. */
#define HK_MAX_MAX_BODY_BYTES ((size_t)1 << 30)
/* Request bodies held at once (--max-buffered-body-bytes): 64 bodies of the default size. */
#define HK_DEFAULT_MAX_BUFFERED_BODY_BYTES ((size_t)64 << 20)
#define HK_MAX_MAX_BUFFERED_BODY_BYTES ((size_t)1 << 40)
/* --header-timeout, --body-timeout (http_server.h) and their ceiling. */
#define HK_DEFAULT_HEADER_TIMEOUT_MS 10000
#define HK_DEFAULT_BODY_TIMEOUT_MS 30000
#define HK_MAX_HTTP_TIMEOUT_MS ((int64_t)3600 * 1000)
/* A ceiling on --http-threads. */
#define HK_MAX_HTTP_THREADS 1024
/* Delivery defaults (SPEC §5) and ceilings. */
#define HK_DEFAULT_DELIVERY_TIMEOUT_MS 30000
#define HK_MAX_DELIVERY_TIMEOUT_MS ((int64_t)3600 * 1000)
#define HK_DEFAULT_MAX_IN_FLIGHT 256
#define HK_DEFAULT_PER_TARGET_IN_FLIGHT 8
#define HK_DEFAULT_METRICS_TARGET_LABELS 100
#define HK_MAX_METRICS_TARGET_LABELS 10000
/* A target whose attempts have all failed for this long is disabled. */
#define HK_DEFAULT_DISABLE_FAILING_MS ((int64_t)5 * 24 * 3600 * 1000)
#define HK_MAX_IN_FLIGHT_LIMIT 65536

typedef enum hk_cli_command {
    HK_CMD_NONE, /* no command: the general usage */
    HK_CMD_HELP,
    HK_CMD_VERSION,
    HK_CMD_BOOTSTRAP,
    HK_CMD_SERVE,
    HK_CMD_KEY_CREATE,
    HK_CMD_KEY_LIST,
    HK_CMD_KEY_REVOKE,
    HK_CMD_BACKUP,
    HK_CMD_RESTORE,
} hk_cli_command;

typedef struct hk_cli_options {
    hk_cli_command command;
    hk_cli_command help_topic; /* HK_CMD_HELP: whose usage to print (HK_CMD_NONE: all) */
    const char *data_dir;     /* SQLite: NULL when neither the flag nor the environment gives one */
    const char *database_url; /* PostgreSQL: exactly one of the two is set after parsing */
    const char *listen;       /* serve: never NULL after parsing */
    const char *workspace_name;     /* bootstrap: never NULL after parsing */
    size_t max_body_bytes;          /* serve: 1..HK_MAX_MAX_BODY_BYTES after parsing */
    size_t max_buffered_body_bytes; /* serve: max_body_bytes..HK_MAX_MAX_BUFFERED_BODY_BYTES */
    int64_t header_timeout_ms;      /* serve: 100..HK_MAX_HTTP_TIMEOUT_MS */
    int64_t body_timeout_ms;        /* serve: 100..HK_MAX_HTTP_TIMEOUT_MS */
    size_t http_threads;            /* serve: 1..HK_MAX_HTTP_THREADS, 0: the server's default */
    hk_log_level log_level;
    hk_log_format log_format;
    /* serve: the delivery engine */
    hk_retry_schedule retry_schedule;    /* SPEC §5's unless given */
    int64_t delivery_timeout_ms;         /* 1..HK_MAX_DELIVERY_TIMEOUT_MS */
    size_t max_in_flight;                /* 1..HK_MAX_IN_FLIGHT_LIMIT */
    size_t per_target_in_flight;         /* 1..HK_MAX_IN_FLIGHT_LIMIT */
    int64_t disable_failing_after_ms;    /* 0: never; default HK_DEFAULT_DISABLE_FAILING_MS */
    const char *default_webhook_version; /* serve: NULL: the latest (checked supported) */
    size_t metrics_target_labels;        /* serve: 0..HK_MAX_METRICS_TARGET_LABELS */
    bool bootstrap_hmac_secret;          /* bootstrap: generate the HMAC secret too */
    const char *user_agent;              /* NULL: Plain's */
    const char *tls_client_cert;         /* PEM paths, NULL when not given */
    int64_t delivery_lease_ms;           /* 0: the dispatcher's default (timeout + 60 s) */
    const char *tls_client_key;
    const char *tls_ca_file;
    int64_t retention_ms;   /* serve: 0 keeps everything, else HK_RETENTION_MIN_MS..MAX_MS */
    const char *https_cert; /* serve: PEM paths, both or neither (NULL: plain HTTP) */
    const char *https_key;
    /* key-create, key-list, key-revoke */
    const char *workspace;    /* key-create (required), key-list (NULL: every workspace) */
    uint32_t permissions;     /* key-create: HK_PERM_* bits, every one unless --permissions */
    const char *description;  /* key-create: NULL when not given */
    const char *key_id;       /* key-revoke (required) */
    bool key_list_text;       /* key-list --format text: a table, not JSON lines */
    const char *backup_to;    /* backup (required): the new file */
    const char *restore_from; /* restore (required): the backup file */
} hk_cli_options;

/*
 * Parses argv (and the environment for what the flags leave unset).
 * HK_EINVAL with a message for a usage error: unknown command or option,
 * missing or empty value, bad log level, body size, retry schedule, timeout or
 * count, lease, neither or both of a data directory and a database URL.
 * `*usage_topic` receives the command whose usage the message refers to.
 * The strings in *out point into argv or the environment.
 */
HK_MUST_CHECK hk_status hk_cli_parse(int argc, char **argv, hk_cli_options *out,
                                     hk_cli_command *usage_topic, hk_error *err);

/* Prints the usage of `topic` (HK_CMD_NONE: the overview). */
void hk_cli_print_usage(FILE *f, hk_cli_command topic);

/* "serve", "bootstrap", ... or "hookd" for HK_CMD_NONE. Static. */
const char *hk_cli_command_name(hk_cli_command command);

#endif
