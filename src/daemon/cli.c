#include "daemon/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "domain/catalog.h"

typedef enum option_id {
    OPT_DATA_DIR,
    OPT_DATABASE_URL,
    OPT_LISTEN,
    OPT_NAME,
    OPT_LOG_LEVEL,
    OPT_LOG_FORMAT,
    OPT_MAX_BODY_BYTES,
    OPT_MAX_BUFFERED_BODY_BYTES,
    OPT_HEADER_TIMEOUT,
    OPT_BODY_TIMEOUT,
    OPT_HTTP_THREADS,
    OPT_RETRY_SCHEDULE,
    OPT_DELIVERY_TIMEOUT,
    OPT_MAX_IN_FLIGHT,
    OPT_PER_TARGET_IN_FLIGHT,
    OPT_USER_AGENT,
    OPT_TLS_CLIENT_CERT,
    OPT_TLS_CLIENT_KEY,
    OPT_TLS_CA_FILE,
    OPT_RETENTION,
    OPT_DISABLE_FAILING,
    OPT_DEFAULT_VERSION,
    OPT_METRICS_TARGET_LABELS,
    OPT_HMAC_SECRET,
    OPT_DELIVERY_LEASE,
    OPT_HTTPS_CERT,
    OPT_HTTPS_KEY,
    OPT_WORKSPACE,
    OPT_PERMISSIONS,
    OPT_DESCRIPTION,
    OPT_ID,
    OPT_TO,
    OPT_FROM,
    OPT_CONFIG,
    OPT_FORMAT,
    OPT_COUNT,
} option_id;

#define FOR_COMMAND(cmd) (1u << (cmd))
#define FOR_KEYS                                                                                   \
    (FOR_COMMAND(HK_CMD_KEY_CREATE) | FOR_COMMAND(HK_CMD_KEY_LIST) | FOR_COMMAND(HK_CMD_KEY_REVOKE))
/* The commands that work on an existing store (not serve, not bootstrap). */
#define FOR_TOOLS (FOR_KEYS | FOR_COMMAND(HK_CMD_BACKUP) | FOR_COMMAND(HK_CMD_RESTORE))

typedef struct option_def {
    const char *flag;
    const char *env; /* NULL: no environment fallback */
    unsigned commands;
    bool switch_only; /* takes no value on the command line ("yes"; a config file says yes/no) */
} option_def;

static const option_def option_defs[OPT_COUNT] = {
    [OPT_DATA_DIR] = {"--data-dir", "HOOKD_DATA_DIR",
                      FOR_COMMAND(HK_CMD_BOOTSTRAP) | FOR_COMMAND(HK_CMD_SERVE) | FOR_TOOLS},
    [OPT_DATABASE_URL] = {"--database-url", "HOOKD_DATABASE_URL",
                          FOR_COMMAND(HK_CMD_BOOTSTRAP) | FOR_COMMAND(HK_CMD_SERVE) | FOR_TOOLS},
    [OPT_LISTEN] = {"--listen", "HOOKD_LISTEN", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_NAME] = {"--name", NULL, FOR_COMMAND(HK_CMD_BOOTSTRAP)},
    [OPT_LOG_LEVEL] = {"--log-level", "HOOKD_LOG_LEVEL",
                       FOR_COMMAND(HK_CMD_BOOTSTRAP) | FOR_COMMAND(HK_CMD_SERVE) | FOR_TOOLS},
    [OPT_LOG_FORMAT] = {"--log-format", "HOOKD_LOG_FORMAT",
                        FOR_COMMAND(HK_CMD_BOOTSTRAP) | FOR_COMMAND(HK_CMD_SERVE) | FOR_TOOLS},
    [OPT_MAX_BODY_BYTES] = {"--max-body-bytes", "HOOKD_MAX_BODY_BYTES", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_MAX_BUFFERED_BODY_BYTES] = {"--max-buffered-body-bytes", "HOOKD_MAX_BUFFERED_BODY_BYTES",
                                     FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_HEADER_TIMEOUT] = {"--header-timeout", "HOOKD_HEADER_TIMEOUT", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_BODY_TIMEOUT] = {"--body-timeout", "HOOKD_BODY_TIMEOUT", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_HTTP_THREADS] = {"--http-threads", "HOOKD_HTTP_THREADS", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_RETRY_SCHEDULE] = {"--retry-schedule", "HOOKD_RETRY_SCHEDULE", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_DELIVERY_TIMEOUT] = {"--delivery-timeout", "HOOKD_DELIVERY_TIMEOUT",
                              FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_MAX_IN_FLIGHT] = {"--max-in-flight", "HOOKD_MAX_IN_FLIGHT", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_PER_TARGET_IN_FLIGHT] = {"--per-target-in-flight", "HOOKD_PER_TARGET_IN_FLIGHT",
                                  FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_USER_AGENT] = {"--user-agent", "HOOKD_USER_AGENT", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_TLS_CLIENT_CERT] = {"--tls-client-cert", "HOOKD_TLS_CLIENT_CERT",
                             FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_TLS_CLIENT_KEY] = {"--tls-client-key", "HOOKD_TLS_CLIENT_KEY", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_TLS_CA_FILE] = {"--tls-ca-file", "HOOKD_TLS_CA_FILE", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_RETENTION] = {"--retention", "HOOKD_RETENTION", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_DISABLE_FAILING] = {"--disable-failing-targets-after",
                             "HOOKD_DISABLE_FAILING_TARGETS_AFTER", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_DEFAULT_VERSION] = {"--default-webhook-version", "HOOKD_DEFAULT_WEBHOOK_VERSION",
                             FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_HMAC_SECRET] = {"--hmac-secret", NULL, FOR_COMMAND(HK_CMD_BOOTSTRAP), true},
    [OPT_METRICS_TARGET_LABELS] = {"--metrics-target-labels", "HOOKD_METRICS_TARGET_LABELS",
                                   FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_DELIVERY_LEASE] = {"--delivery-lease", "HOOKD_DELIVERY_LEASE", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_HTTPS_CERT] = {"--https-cert", "HOOKD_HTTPS_CERT", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_HTTPS_KEY] = {"--https-key", "HOOKD_HTTPS_KEY", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_WORKSPACE] = {"--workspace", NULL,
                       FOR_COMMAND(HK_CMD_KEY_CREATE) | FOR_COMMAND(HK_CMD_KEY_LIST)},
    [OPT_PERMISSIONS] = {"--permissions", NULL, FOR_COMMAND(HK_CMD_KEY_CREATE)},
    [OPT_DESCRIPTION] = {"--description", NULL, FOR_COMMAND(HK_CMD_KEY_CREATE)},
    [OPT_ID] = {"--id", NULL, FOR_COMMAND(HK_CMD_KEY_REVOKE)},
    [OPT_TO] = {"--to", NULL, FOR_COMMAND(HK_CMD_BACKUP)},
    [OPT_FROM] = {"--from", NULL, FOR_COMMAND(HK_CMD_RESTORE)},
    [OPT_CONFIG] = {"--config", "HOOKD_CONFIG",
                    FOR_COMMAND(HK_CMD_BOOTSTRAP) | FOR_COMMAND(HK_CMD_SERVE) | FOR_TOOLS},
    [OPT_FORMAT] = {"--format", NULL, FOR_COMMAND(HK_CMD_KEY_LIST)},
};

/* Where each value came from, for error messages. */
typedef struct option_values {
    const char *value[OPT_COUNT];
    const char *source[OPT_COUNT]; /* the flag or the environment variable */
} option_values;

static const char *const command_names[] = {
    [HK_CMD_NONE] = "hookd",        [HK_CMD_HELP] = "help",
    [HK_CMD_VERSION] = "version",   [HK_CMD_BOOTSTRAP] = "bootstrap",
    [HK_CMD_SERVE] = "serve",       [HK_CMD_KEY_CREATE] = "key-create",
    [HK_CMD_KEY_LIST] = "key-list", [HK_CMD_KEY_REVOKE] = "key-revoke",
    [HK_CMD_BACKUP] = "backup",     [HK_CMD_RESTORE] = "restore",
};
/* Every command has its name: a command added without one fails the build here. */
_Static_assert(sizeof command_names / sizeof command_names[0] == HK_CMD_RESTORE + 1,
               "command_names must name every hk_cli_command");

const char *hk_cli_command_name(hk_cli_command command)
{
    return command_names[command];
}

static bool is_help_flag(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* The commands a user can name after "hookd" or "hookd help". */
static bool lookup_command(const char *name, hk_cli_command *out)
{
    static const hk_cli_command named[] = {
        HK_CMD_BOOTSTRAP, HK_CMD_SERVE,   HK_CMD_KEY_CREATE, HK_CMD_KEY_LIST, HK_CMD_KEY_REVOKE,
        HK_CMD_BACKUP,    HK_CMD_RESTORE, HK_CMD_HELP,       HK_CMD_VERSION,
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (strcmp(name, command_names[named[i]]) == 0) {
            *out = named[i];
            return true;
        }
    }
    return false;
}

/* "hookd help [COMMAND]" */
static hk_status parse_help(int argc, char **argv, hk_cli_options *out, hk_error *err)
{
    out->command = HK_CMD_HELP;
    out->help_topic = HK_CMD_NONE;
    if (argc == 0)
        return HK_OK;
    if (argc > 1 || !lookup_command(argv[0], &out->help_topic))
        return hk_error_set(err, HK_EINVAL, NULL, "unknown help topic '%s'", argv[0]);
    return HK_OK;
}

/* Matches "--flag" or "--flag=value" against the options of `command`. */
static bool match_option(hk_cli_command command, const char *arg, option_id *id,
                         const char **inline_value)
{
    for (int i = 0; i < OPT_COUNT; i++) {
        const option_def *def = &option_defs[i];
        size_t len = strlen(def->flag);
        if (!(def->commands & FOR_COMMAND(command)) || strncmp(arg, def->flag, len) != 0)
            continue;
        if (arg[len] != '\0' && arg[len] != '=')
            continue;
        *id = (option_id)i;
        *inline_value = arg[len] == '=' ? arg + len + 1 : NULL;
        return true;
    }
    return false;
}

/* Reads one option at argv[*i], advancing *i past its value. */
static hk_status take_option(hk_cli_command command, int argc, char **argv, int *i,
                             option_values *values, hk_error *err)
{
    const char *arg = argv[*i];
    option_id id;
    const char *value;
    if (!match_option(command, arg, &id, &value)) {
        if (arg[0] == '-')
            return hk_error_set(err, HK_EINVAL, NULL, "unknown option '%s' for '%s'", arg,
                                command_names[command]);
        return hk_error_set(err, HK_EINVAL, NULL, "unexpected argument '%s' for '%s'", arg,
                            command_names[command]);
    }
    const char *flag = option_defs[id].flag;
    if (option_defs[id].switch_only) {
        if (value)
            return hk_error_set(err, HK_EINVAL, NULL, "option %s takes no value", flag);
        value = "yes";
    }
    if (!value) {
        /* A following option is a forgotten value, not a value starting with dashes. */
        if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
            return hk_error_set(err, HK_EINVAL, NULL, "option %s needs a value", flag);
        value = argv[++*i];
    }
    if (value[0] == '\0')
        return hk_error_set(err, HK_EINVAL, NULL, "option %s needs a non-empty value", flag);
    values->value[id] = value;
    values->source[id] = flag;
    return HK_OK;
}

static hk_status parse_options(hk_cli_command command, int argc, char **argv, option_values *values,
                               bool *wants_help, hk_error *err)
{
    for (int i = 0; i < argc; i++) {
        if (is_help_flag(argv[i])) {
            *wants_help = true;
            return HK_OK;
        }
        hk_status st = take_option(command, argc, argv, &i, values, err);
        if (st)
            return st;
    }
    return HK_OK;
}

/* An empty variable counts as unset, as "HOOKD_LISTEN= hookd serve" means. */
static void apply_environment(hk_cli_command command, option_values *values)
{
    for (int i = 0; i < OPT_COUNT; i++) {
        const option_def *def = &option_defs[i];
        if (values->value[i] || !def->env || !(def->commands & FOR_COMMAND(command)))
            continue;
        const char *env = getenv(def->env);
        if (env && env[0] != '\0') {
            values->value[i] = env;
            values->source[i] = def->env;
        }
    }
}

/*
 * The config file: one `name = value` per line, names as the flags without
 * "--" (listen, retry-schedule, tls-ca-file, ...), '#' starts a comment
 * line, a value may be in double quotes. It fills only what neither a flag
 * nor the environment set. The text is kept in a static buffer (a config
 * file is small; the limit makes a huge one an error, not an allocation).
 */
#define CONFIG_MAX_BYTES (64 * 1024)
static char config_text[CONFIG_MAX_BYTES + 1];

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

static hk_status read_config_file(const char *path, hk_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return hk_error_set(err, HK_EIO, NULL, "cannot read config file %s: %s", path,
                            strerror(errno));
    size_t n = fread(config_text, 1, CONFIG_MAX_BYTES + 1, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed)
        return hk_error_set(err, HK_EIO, NULL, "cannot read config file %s", path);
    if (n > CONFIG_MAX_BYTES)
        return hk_error_set(err, HK_EINVAL, NULL, "config file %s is larger than %d bytes", path,
                            CONFIG_MAX_BYTES);
    config_text[n] = '\0';
    if (memchr(config_text, '\0', n))
        return hk_error_set(err, HK_EINVAL, NULL, "config file %s is not text", path);
    return HK_OK;
}

static bool config_option(hk_cli_command command, const char *name, option_id *id)
{
    for (int i = 0; i < OPT_COUNT; i++) {
        if (i == OPT_CONFIG || !(option_defs[i].commands & FOR_COMMAND(command)))
            continue;
        if (strcmp(option_defs[i].flag + 2, name) == 0) {
            *id = (option_id)i;
            return true;
        }
    }
    return false;
}

/* Parses one line in place; an empty line or a comment sets nothing. */
static hk_status config_line(hk_cli_command command, char *line, const char *path, int lineno,
                             option_values *values, hk_error *err)
{
    line = trim(line);
    if (line[0] == '\0' || line[0] == '#')
        return HK_OK;
    char *eq = strchr(line, '=');
    if (!eq)
        return hk_error_set(err, HK_EINVAL, NULL, "%s:%d: expected 'name = value'", path, lineno);
    *eq = '\0';
    char *name = trim(line), *value = trim(eq + 1);
    size_t vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    option_id id;
    if (!config_option(command, name, &id))
        return hk_error_set(err, HK_EINVAL, NULL, "%s:%d: unknown setting '%s'", path, lineno,
                            name);
    if (value[0] == '\0')
        return hk_error_set(err, HK_EINVAL, NULL, "%s:%d: '%s' needs a value", path, lineno, name);
    if (!values->value[id]) {
        values->value[id] = value;
        values->source[id] = path;
    }
    return HK_OK;
}

static hk_status apply_config_file(hk_cli_command command, option_values *values, hk_error *err)
{
    const char *path = values->value[OPT_CONFIG];
    if (!path)
        return HK_OK;
    hk_status st = read_config_file(path, err);
    int lineno = 0;
    for (char *line = config_text, *next; !st && line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        st = config_line(command, line, path, ++lineno, values, err);
    }
    return st;
}

/* A byte count: decimal digits only (no sign, suffix or spaces), 1..HK_MAX_MAX_BODY_BYTES. */
static hk_status parse_body_size(const char *value, const char *source, size_t *out, hk_error *err)
{
    if (!value) {
        *out = HK_DEFAULT_MAX_BODY_BYTES;
        return HK_OK;
    }
    size_t len = strlen(value);
    errno = 0;
    unsigned long long n = strtoull(value, NULL, 10);
    if (len == 0 || strspn(value, "0123456789") != len || errno != 0 || n == 0 ||
        n > HK_MAX_MAX_BODY_BYTES)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid body size '%s' (from %s): use a number of bytes from 1 to %zu",
                            value, source, HK_MAX_MAX_BODY_BYTES);
    *out = (size_t)n;
    return HK_OK;
}

/* A count: decimal digits only, 1..HK_MAX_IN_FLIGHT_LIMIT; `fallback` when not given. */
/* A whole number from 1 to `max`, or `fallback` when not given. */
static hk_status parse_count_max(const option_values *values, option_id id, size_t fallback,
                                 size_t max, size_t *out, hk_error *err)
{
    const char *value = values->value[id];
    if (!value) {
        *out = fallback;
        return HK_OK;
    }
    size_t len = strlen(value);
    errno = 0;
    unsigned long long n = strtoull(value, NULL, 10);
    if (strspn(value, "0123456789") != len || errno != 0 || n == 0 || n > max)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid count '%s' (from %s): use a number from 1 to %zu", value,
                            values->source[id], max);
    *out = (size_t)n;
    return HK_OK;
}

static hk_status parse_count(const option_values *values, option_id id, size_t fallback,
                             size_t *out, hk_error *err)
{
    return parse_count_max(values, id, fallback, HK_MAX_IN_FLIGHT_LIMIT, out, err);
}

/* The bodies held at once: a byte count like --max-body-bytes, and at least that. */
static hk_status parse_body_budget(const option_values *values, size_t max_body, size_t *out,
                                   hk_error *err)
{
    const char *value = values->value[OPT_MAX_BUFFERED_BODY_BYTES];
    *out = HK_DEFAULT_MAX_BUFFERED_BODY_BYTES;
    if (!value) {
        if (*out < max_body)
            *out = max_body;
        return HK_OK;
    }
    size_t len = strlen(value);
    errno = 0;
    unsigned long long n = strtoull(value, NULL, 10);
    if (len == 0 || strspn(value, "0123456789") != len || errno != 0 || n < max_body ||
        n > HK_MAX_MAX_BUFFERED_BODY_BYTES)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid buffered body size '%s' (from %s): use a number of bytes "
                            "from the largest body (%zu) to %zu",
                            value, values->source[OPT_MAX_BUFFERED_BODY_BYTES], max_body,
                            HK_MAX_MAX_BUFFERED_BODY_BYTES);
    *out = (size_t)n;
    return HK_OK;
}

/* --header-timeout, --body-timeout: a duration from 100ms to 1h, or `fallback`. */
static hk_status parse_http_timeout(const option_values *values, option_id id, int64_t fallback,
                                    int64_t *out, hk_error *err)
{
    const char *value = values->value[id];
    *out = fallback;
    if (!value)
        return HK_OK;
    int64_t ms = 0;
    if (hk_duration_parse(value, strlen(value), &ms) != HK_OK || ms < 100 ||
        ms > HK_MAX_HTTP_TIMEOUT_MS)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid timeout '%s' (from %s): use a duration from 100ms to 1h, "
                            "e.g. 10s",
                            value, values->source[id]);
    *out = ms;
    return HK_OK;
}

static hk_status parse_timeout(const option_values *values, int64_t *out, hk_error *err)
{
    const char *value = values->value[OPT_DELIVERY_TIMEOUT];
    *out = HK_DEFAULT_DELIVERY_TIMEOUT_MS;
    if (!value)
        return HK_OK;
    int64_t ms = 0;
    if (hk_duration_parse(value, strlen(value), &ms) != HK_OK || ms < 1 ||
        ms > HK_MAX_DELIVERY_TIMEOUT_MS)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid delivery timeout '%s' (from %s): use a duration from 1ms to "
                            "1h, e.g. 30s or 500ms",
                            value, values->source[OPT_DELIVERY_TIMEOUT]);
    *out = ms;
    return HK_OK;
}

/* "none" (the default: keep everything) or a duration from 1s to 3650d. */
static hk_status parse_retention(const option_values *values, int64_t *out, hk_error *err)
{
    const char *value = values->value[OPT_RETENTION];
    *out = 0;
    if (!value || strcmp(value, "none") == 0)
        return HK_OK;
    int64_t ms = 0;
    if (hk_duration_parse(value, strlen(value), &ms) != HK_OK || ms < HK_RETENTION_MIN_MS ||
        ms > HK_RETENTION_MAX_MS)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid retention '%s' (from %s): use none or a duration from 1s "
                            "to 3650d, e.g. 30d",
                            value, values->source[OPT_RETENTION]);
    *out = ms;
    return HK_OK;
}

/* --metrics-target-labels: 0 (none) to HK_MAX_METRICS_TARGET_LABELS. */
static hk_status parse_target_labels(const option_values *values, size_t *out, hk_error *err)
{
    const char *v = values->value[OPT_METRICS_TARGET_LABELS];
    *out = HK_DEFAULT_METRICS_TARGET_LABELS;
    if (!v)
        return HK_OK;
    if (strcmp(v, "0") == 0) {
        *out = 0;
        return HK_OK;
    }
    return parse_count_max(values, OPT_METRICS_TARGET_LABELS, HK_DEFAULT_METRICS_TARGET_LABELS,
                           HK_MAX_METRICS_TARGET_LABELS, out, err);
}

/* A switch: on when given on the command line; a config file says yes or no. */
static hk_status parse_switch(const option_values *values, option_id id, bool *out, hk_error *err)
{
    const char *v = values->value[id];
    *out = false;
    if (!v || strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
        return HK_OK;
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0) {
        *out = true;
        return HK_OK;
    }
    return hk_error_set(err, HK_EINVAL, NULL, "%s is yes or no, not '%s' (from %s)",
                        option_defs[id].flag, v, values->source[id]);
}

/* "never", or a duration from 1 ms to 3650d (default 5d, as Svix does). */
static hk_status parse_disable_failing(const option_values *values, int64_t *out, hk_error *err)
{
    const char *value = values->value[OPT_DISABLE_FAILING];
    *out = HK_DEFAULT_DISABLE_FAILING_MS;
    if (!value)
        return HK_OK;
    if (strcmp(value, "never") == 0) {
        *out = 0;
        return HK_OK;
    }
    int64_t ms = 0;
    if (hk_duration_parse(value, strlen(value), &ms) != HK_OK || ms < 1 || ms > HK_RETENTION_MAX_MS)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid --disable-failing-targets-after '%s' (from %s): use never or "
                            "a duration up to 3650d, e.g. 5d",
                            value, values->source[OPT_DISABLE_FAILING]);
    *out = ms;
    return HK_OK;
}

/* A duration of at least the delivery timeout + 10 s (checked here, where the
 * timeout is known), default 0: the timeout + 60 s (the dispatcher's). An
 * attempt starts only while its lease outlives it by 5 s, and a claimed
 * delivery may wait in its target's queue meanwhile: 10 s leaves room. */
static hk_status parse_lease(const option_values *values, int64_t timeout_ms, int64_t *out,
                             hk_error *err)
{
    const char *value = values->value[OPT_DELIVERY_LEASE];
    *out = 0;
    if (!value)
        return HK_OK;
    int64_t ms = 0;
    if (hk_duration_parse(value, strlen(value), &ms) != HK_OK || ms < timeout_ms + 10000 ||
        ms > HK_RETENTION_MAX_MS)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid delivery lease '%s' (from %s): use a duration at least 10s "
                            "longer than the delivery timeout (%lld ms), e.g. 90s",
                            value, values->source[OPT_DELIVERY_LEASE], (long long)timeout_ms);
    *out = ms;
    return HK_OK;
}

static hk_status parse_schedule(const option_values *values, hk_retry_schedule *out, hk_error *err)
{
    const char *value = values->value[OPT_RETRY_SCHEDULE];
    if (!value) {
        hk_retry_schedule_default(out);
        return HK_OK;
    }
    hk_error perr;
    hk_error_clear(&perr);
    if (hk_retry_schedule_parse(value, out, &perr) != HK_OK)
        return hk_error_set(err, HK_EINVAL, NULL, "%s (from %s)", perr.message,
                            values->source[OPT_RETRY_SCHEDULE]);
    return HK_OK;
}

/* The delivery engine's options (serve). */
static hk_status resolve_delivery(const option_values *values, hk_cli_options *out, hk_error *err)
{
    out->user_agent = values->value[OPT_USER_AGENT];
    out->tls_client_cert = values->value[OPT_TLS_CLIENT_CERT];
    out->tls_client_key = values->value[OPT_TLS_CLIENT_KEY];
    out->tls_ca_file = values->value[OPT_TLS_CA_FILE];
    hk_status st = parse_schedule(values, &out->retry_schedule, err);
    if (!st)
        st = parse_timeout(values, &out->delivery_timeout_ms, err);
    if (!st)
        st = parse_count(values, OPT_MAX_IN_FLIGHT, HK_DEFAULT_MAX_IN_FLIGHT, &out->max_in_flight,
                         err);
    if (!st)
        st = parse_count(values, OPT_PER_TARGET_IN_FLIGHT, HK_DEFAULT_PER_TARGET_IN_FLIGHT,
                         &out->per_target_in_flight, err);
    if (!st)
        st = parse_disable_failing(values, &out->disable_failing_after_ms, err);
    if (!st)
        st = parse_target_labels(values, &out->metrics_target_labels, err);
    if (!st)
        st = parse_lease(values, out->delivery_timeout_ms, &out->delivery_lease_ms, err);
    return st;
}

/* --data-dir (SQLite) or --database-url (PostgreSQL), exactly one. */
static hk_status resolve_store(const option_values *values, hk_cli_options *out, hk_error *err)
{
    out->data_dir = values->value[OPT_DATA_DIR];
    out->database_url = values->value[OPT_DATABASE_URL];
    if (out->data_dir && out->database_url)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "both a data directory (from %s) and a database URL (from %s): "
                            "give one, --data-dir for SQLite or --database-url for PostgreSQL",
                            values->source[OPT_DATA_DIR], values->source[OPT_DATABASE_URL]);
    if (!out->data_dir && !out->database_url)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "no store: pass --data-dir DIR (SQLite; or set HOOKD_DATA_DIR) or "
                            "--database-url URL (PostgreSQL; or set HOOKD_DATABASE_URL)");
    if (out->database_url && strncmp(out->database_url, "postgresql://", 13) != 0 &&
        strncmp(out->database_url, "postgres://", 11) != 0)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "the database URL (from %s) must start with postgresql://",
                            values->source[OPT_DATABASE_URL]);
    return HK_OK;
}

/* "all", or permission names separated by commas ("customer:read,customer:edit"). */
static hk_status parse_permissions(const option_values *values, uint32_t *out, hk_error *err)
{
    const char *value = values->value[OPT_PERMISSIONS];
    *out = HK_PERM_ALL;
    if (!value || strcmp(value, "all") == 0)
        return HK_OK;
    *out = 0;
    for (const char *p = value;;) {
        size_t n = strcspn(p, ",");
        hk_permission perm;
        if (!hk_permission_from_name(p, n, &perm))
            return hk_error_set(err, HK_EINVAL, NULL,
                                "unknown permission '%.*s' (from %s): use all, or names such as "
                                "customer:read,customer:edit separated by commas",
                                (int)n, p, values->source[OPT_PERMISSIONS]);
        *out |= (uint32_t)perm;
        if (p[n] == '\0')
            return HK_OK;
        p += n + 1;
    }
}

/* The key commands' own options, and the ones each requires. */
static hk_status resolve_keys(hk_cli_command command, const option_values *values,
                              hk_cli_options *out, hk_error *err)
{
    out->workspace = values->value[OPT_WORKSPACE];
    out->description = values->value[OPT_DESCRIPTION];
    out->key_id = values->value[OPT_ID];
    if (command == HK_CMD_KEY_CREATE && !out->workspace)
        return hk_error_set(err, HK_EINVAL, NULL, "key-create needs --workspace ID");
    if (command == HK_CMD_KEY_REVOKE && !out->key_id)
        return hk_error_set(err, HK_EINVAL, NULL, "key-revoke needs --id KEY_ID");
    const char *format = values->value[OPT_FORMAT];
    if (format && strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return hk_error_set(err, HK_EINVAL, NULL, "invalid format '%s' (from %s): use json or text",
                            format, values->source[OPT_FORMAT]);
    out->key_list_text = format && strcmp(format, "text") == 0;
    return command == HK_CMD_KEY_CREATE ? parse_permissions(values, &out->permissions, err) : HK_OK;
}

static hk_status resolve(hk_cli_command command, const option_values *values, hk_cli_options *out,
                         hk_error *err)
{
    out->command = command;
    out->workspace_name =
        values->value[OPT_NAME] ? values->value[OPT_NAME] : HK_DEFAULT_WORKSPACE_NAME;
    out->listen = values->value[OPT_LISTEN] ? values->value[OPT_LISTEN] : HK_DEFAULT_LISTEN;
    hk_status sw = parse_switch(values, OPT_HMAC_SECRET, &out->bootstrap_hmac_secret, err);
    if (sw)
        return sw;
    out->default_webhook_version = values->value[OPT_DEFAULT_VERSION];
    if (out->default_webhook_version &&
        !hk_webhook_version_find(out->default_webhook_version,
                                 strlen(out->default_webhook_version)))
        return hk_error_set(err, HK_EINVAL, NULL,
                            "unsupported webhook version '%s' (from %s): use one of 2024-09-18, "
                            "2025-08-06, 2026-02-27, 2026-03-13, 2026-04-21",
                            out->default_webhook_version, values->source[OPT_DEFAULT_VERSION]);

    const char *level = values->value[OPT_LOG_LEVEL];
    if (level && hk_log_level_parse(level, &out->log_level) != HK_OK)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid log level '%s' (from %s): use debug, info, warn, error or off",
                            level, values->source[OPT_LOG_LEVEL]);
    const char *format = values->value[OPT_LOG_FORMAT];
    if (format && hk_log_format_parse(format, &out->log_format) != HK_OK)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid log format '%s' (from %s): use text or json", format,
                            values->source[OPT_LOG_FORMAT]);
    hk_status st = parse_body_size(values->value[OPT_MAX_BODY_BYTES],
                                   values->source[OPT_MAX_BODY_BYTES], &out->max_body_bytes, err);
    if (!st)
        st = parse_body_budget(values, out->max_body_bytes, &out->max_buffered_body_bytes, err);
    if (!st)
        st = parse_http_timeout(values, OPT_HEADER_TIMEOUT, HK_DEFAULT_HEADER_TIMEOUT_MS,
                                &out->header_timeout_ms, err);
    if (!st)
        st = parse_http_timeout(values, OPT_BODY_TIMEOUT, HK_DEFAULT_BODY_TIMEOUT_MS,
                                &out->body_timeout_ms, err);
    if (!st)
        st = parse_count_max(values, OPT_HTTP_THREADS, 0, HK_MAX_HTTP_THREADS, &out->http_threads,
                             err);
    if (!st)
        st = resolve_delivery(values, out, err);
    if (!st)
        st = parse_retention(values, &out->retention_ms, err);
    if (!st && (FOR_COMMAND(command) & FOR_KEYS))
        st = resolve_keys(command, values, out, err);
    out->backup_to = values->value[OPT_TO];
    if (!st && command == HK_CMD_BACKUP && !out->backup_to)
        st = hk_error_set(err, HK_EINVAL, NULL, "backup needs --to FILE");
    out->restore_from = values->value[OPT_FROM];
    if (!st && command == HK_CMD_RESTORE && !out->restore_from)
        st = hk_error_set(err, HK_EINVAL, NULL, "restore needs --from FILE");
    out->https_cert = values->value[OPT_HTTPS_CERT];
    out->https_key = values->value[OPT_HTTPS_KEY];
    if (!st && !out->https_cert != !out->https_key)
        st = hk_error_set(err, HK_EINVAL, NULL,
                          "HTTPS needs both --https-cert and --https-key (or HOOKD_HTTPS_CERT "
                          "and HOOKD_HTTPS_KEY)");
    if (st)
        return st;
    return resolve_store(values, out, err);
}

hk_status hk_cli_parse(int argc, char **argv, hk_cli_options *out, hk_cli_command *usage_topic,
                       hk_error *err)
{
    memset(out, 0, sizeof *out);
    out->log_level = HK_LOG_INFO;
    *usage_topic = HK_CMD_NONE;

    if (argc < 2)
        return hk_error_set(err, HK_EINVAL, NULL, "no command given");
    const char *first = argv[1];
    if (is_help_flag(first) || strcmp(first, "help") == 0)
        return parse_help(argc - 2, argv + 2, out, err);
    if (strcmp(first, "--version") == 0 || strcmp(first, "version") == 0) {
        out->command = HK_CMD_VERSION;
        if (argc > 2)
            return hk_error_set(err, HK_EINVAL, NULL, "unexpected argument '%s'", argv[2]);
        return HK_OK;
    }

    hk_cli_command command;
    if (!lookup_command(first, &command)) {
        if (first[0] == '-')
            return hk_error_set(err, HK_EINVAL, NULL, "unknown option '%s'", first);
        return hk_error_set(err, HK_EINVAL, NULL, "unknown command '%s'", first);
    }
    *usage_topic = command;

    option_values values = {0};
    bool wants_help = false;
    hk_status st = parse_options(command, argc - 2, argv + 2, &values, &wants_help, err);
    if (st)
        return st;
    if (wants_help) {
        out->command = HK_CMD_HELP;
        out->help_topic = command;
        return HK_OK;
    }
    apply_environment(command, &values);
    st = apply_config_file(command, &values, err);
    if (st)
        return st;
    return resolve(command, &values, out, err);
}

static const char overview_usage[] =
    "Usage: hookd COMMAND [OPTIONS]\n"
    "\n"
    "A self-hostable customer-event and webhook server, wire-compatible with Plain.\n"
    "\n"
    "Commands:\n"
    "  bootstrap   create a workspace and print its id and API key\n"
    "  serve       run the HTTP server\n"
    "  key-create  create another API key for a workspace\n"
    "  key-list    list API keys (ids, permissions, last use; never the keys)\n"
    "  key-revoke  revoke an API key\n"
    "  backup      copy the database, consistently, while serve runs\n"
    "  restore     put a backup in place (no serve may run on the directory; SQLite)\n"
    "  help [CMD]  show this help, or the help of CMD\n"
    "\n"
    "  hookd --version   print the version\n"
    "\n"
    "The store is SQLite in a data directory (--data-dir, one serve per directory) or\n"
    "PostgreSQL (--database-url: any number of serve processes share one database).\n"
    "\n"
    "Run 'hookd COMMAND --help' for the options of a command.\n";

static const char bootstrap_usage[] =
    "Usage: hookd bootstrap (--data-dir DIR | --database-url URL) [--name NAME] [--hmac-secret]\n"
    "\n"
    "Creates a workspace with a machine user and an API key holding every permission, and\n"
    "prints {\"workspaceId\":...,\"apiKey\":...} as one JSON line. Each call creates a new\n"
    "workspace. The key is shown only once: hookd stores its hash.\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR     where the database lives (env HOOKD_DATA_DIR); created if missing\n"
    "  --database-url URL a PostgreSQL database instead, postgresql://... (env\n"
    "                     HOOKD_DATABASE_URL); its schema is created if missing\n"
    "  --name NAME        the workspace name (default \"" HK_DEFAULT_WORKSPACE_NAME "\")\n"
    "  --hmac-secret      also generate the workspace's HMAC secret, so deliveries are\n"
    "                     signed from the start; printed as \"hmacSecret\" (as Plain, a\n"
    "                     workspace has none until one is generated)\n"
    "  --log-level LEVEL  debug, info, warn, error or off (env HOOKD_LOG_LEVEL; default info)\n"
    "  --log-format F     text or json, one object per line (env HOOKD_LOG_FORMAT;\n"
    "                     default text)\n"
    "  --config FILE      settings as 'name = value' lines, names as the flags without --\n"
    "                     (env HOOKD_CONFIG); flags and environment win over it\n"
    "  -h, --help         show this help\n";

static const char serve_usage[] =
    "Usage: hookd serve (--data-dir DIR | --database-url URL) [--listen HOST:PORT]\n"
    "                   [--max-body-bytes N] [--max-buffered-body-bytes N]\n"
    "                   [--header-timeout D] [--body-timeout D] [--log-level LEVEL]\n"
    "                   [delivery options]\n"
    "\n"
    "Opens the store (applying schema migrations) and serves HTTP until SIGTERM or SIGINT,\n"
    "then finishes the requests in flight and exits. Endpoints: POST /graphql/v1 (Plain's\n"
    "GraphQL API, Authorization: Bearer KEY), GET /healthz and GET /metrics (Prometheus).\n"
    "Webhooks are delivered meanwhile; HOOKD_ALLOW_PRIVATE_TARGETS=1 allows http:// and\n"
    "private addresses (development only).\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR        where the database lives (env HOOKD_DATA_DIR); created if missing\n"
    "  --database-url URL    a PostgreSQL database instead, postgresql://user@host/db\n"
    "                        (env HOOKD_DATABASE_URL): any number of serve processes may\n"
    "                        share it, each serving the API and delivering\n"
    "  --listen HOST:PORT    the address to bind (env HOOKD_LISTEN; default " HK_DEFAULT_LISTEN
    ")\n"
    "                        e.g. 127.0.0.1:8080, [::1]:8080, localhost:8080;\n"
    "                        0.0.0.0:PORT for every IPv4 interface\n"
    "  --max-body-bytes N    the largest request body accepted, in bytes; larger ones are\n"
    "                        answered 413 (env HOOKD_MAX_BODY_BYTES; default 1048576)\n"
    "  --max-buffered-body-bytes N\n"
    "                        request bodies held in memory at once, in bytes; a request\n"
    "                        that would pass it is answered 503 before its body is read\n"
    "                        (env HOOKD_MAX_BUFFERED_BODY_BYTES; default 67108864)\n"
    "  --header-timeout D    time from a request line to the end of its headers\n"
    "                        (env HOOKD_HEADER_TIMEOUT; default 10s)\n"
    "  --body-timeout D      time from a request's headers to the end of its body\n"
    "                        (env HOOKD_BODY_TIMEOUT; default 30s)\n"
    "  --http-threads N      GraphQL worker threads, 1 to 1024 (env HOOKD_HTTP_THREADS;\n"
    "                        default 32 per CPU, at most 256: a request waits on its commit)\n"
    "  --log-level LEVEL     debug, info, warn, error or off (env HOOKD_LOG_LEVEL; default info)\n"
    "  --log-format F        text or json, one object per line (env HOOKD_LOG_FORMAT;\n"
    "                        default text)\n"
    "  --config FILE         settings as 'name = value' lines, names as the flags without\n"
    "                        -- (env HOOKD_CONFIG); flags and environment win over it\n"
    "  --https-cert PEM      serve HTTPS with this certificate (chain) file\n"
    "                        (env HOOKD_HTTPS_CERT; default: plain HTTP)\n"
    "  --https-key PEM       its private key (env HOOKD_HTTPS_KEY)\n"
    "  --metrics-target-labels N  webhook targets with /metrics lines of their own, 0 to\n"
    "                        10000 (the first N to make an attempt; later ones as\n"
    "                        target=\"_other\"; env HOOKD_METRICS_TARGET_LABELS; default 100)\n"
    "  --retention D         delete events older than D (e.g. 30d) with their deliveries and\n"
    "                        attempts; never a pending delivery (env HOOKD_RETENTION;\n"
    "                        default none: keep everything)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Delivery options:\n"
    "  --retry-schedule LIST     delays before each retry, e.g. 10s,5m,1h; none for no retries\n"
    "                            (env HOOKD_RETRY_SCHEDULE; default\n"
    "                            10s,30s,5m,30m,1h,3h,6h,12h,1d,1d,1d,1d)\n"
    "  --delivery-timeout D      time allowed per attempt, e.g. 30s or 500ms\n"
    "                            (env HOOKD_DELIVERY_TIMEOUT; default 30s)\n"
    "  --max-in-flight N         attempts at once (env HOOKD_MAX_IN_FLIGHT; default 256)\n"
    "  --per-target-in-flight N  attempts at once per target, at most: a target starts at one\n"
    "                            and earns more by answering (env HOOKD_PER_TARGET_IN_FLIGHT;\n"
    "                            default 8)\n"
    "  --default-webhook-version V  the version of targets created without one\n"
    "                            (env HOOKD_DEFAULT_WEBHOOK_VERSION; default the latest,\n"
    "                            2026-04-21; Plain's SDK 5.12 verifies 2026-02-27 only)\n"
    "  --disable-failing-targets-after D  disable a target whose attempts have all failed\n"
    "                            for D; its pending deliveries fail, to be re-sent once it is\n"
    "                            enabled again; never to keep trying\n"
    "                            (env HOOKD_DISABLE_FAILING_TARGETS_AFTER; default 5d)\n"
    "  --delivery-lease D        how long a claimed delivery is reserved for this process,\n"
    "                            at least the delivery timeout + 10s; on PostgreSQL, how long\n"
    "                            a dead node's deliveries in flight wait before another\n"
    "                            node sends them (env HOOKD_DELIVERY_LEASE; default the\n"
    "                            delivery timeout + 60s)\n"
    "  --user-agent TEXT         the User-Agent sent (env HOOKD_USER_AGENT; default\n"
    "                            Plain-Webhooks/1.0 (plain.com; help@plain.com))\n"
    "  --tls-client-cert PEM     client certificate presented to targets (mTLS)\n"
    "                            (env HOOKD_TLS_CLIENT_CERT)\n"
    "  --tls-client-key PEM      its private key (env HOOKD_TLS_CLIENT_KEY)\n"
    "  --tls-ca-file PEM         CA bundle to verify targets (env HOOKD_TLS_CA_FILE;\n"
    "                            default the system's)\n";

static const char key_create_usage[] =
    "Usage: hookd key-create (--data-dir DIR | --database-url URL) --workspace ID [--permissions "
    "LIST]\n"
    "                        [--description TEXT]\n"
    "\n"
    "Creates an API key for the workspace's machine user and prints\n"
    "{\"apiKeyId\":...,\"apiKey\":...,...} as one JSON line. The key is shown only once.\n"
    "Works while serve runs on the same data directory. Exits 1 for an unknown workspace.\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR        where the database lives (env HOOKD_DATA_DIR)\n"
    "  --database-url URL    or a PostgreSQL database (env HOOKD_DATABASE_URL)\n"
    "  --workspace ID        the workspace (w_...), as bootstrap printed it\n"
    "  --permissions LIST    all (the default), or names separated by commas, e.g.\n"
    "                        customer:read,customer:create,customer:edit\n"
    "  --description TEXT    what the key is for (1 to 500 characters)\n"
    "  --log-level LEVEL     debug, info, warn, error or off (env HOOKD_LOG_LEVEL)\n"
    "  --log-format F        text or json (env HOOKD_LOG_FORMAT)\n"
    "  --config FILE         settings as 'name = value' lines (env HOOKD_CONFIG)\n"
    "  -h, --help            show this help\n";

static const char key_list_usage[] =
    "Usage: hookd key-list (--data-dir DIR | --database-url URL) [--workspace ID]\n"
    "                      [--format json|text]\n"
    "\n"
    "Prints one JSON line per API key: its id, workspace, machine user, permissions,\n"
    "description, creation time, and lastUsedAt: when it last authenticated a request\n"
    "(null: never). Keys themselves are never stored, so never shown.\n"
    "\n"
    "The last use is accurate to a minute: serve notes uses in memory and writes each\n"
    "key's at most once a minute, a key's first use within a second, and all of them\n"
    "when it stops (SIGTERM); a serve that is killed loses up to a minute of them.\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR        where the database lives (env HOOKD_DATA_DIR)\n"
    "  --database-url URL    or a PostgreSQL database (env HOOKD_DATABASE_URL)\n"
    "  --workspace ID        only this workspace's keys\n"
    "  --format F            json (the default: one object per line) or text (a table\n"
    "                        for people, whose LAST USED reads never for an unused key)\n"
    "  --log-level LEVEL     debug, info, warn, error or off (env HOOKD_LOG_LEVEL)\n"
    "  --log-format F        text or json (env HOOKD_LOG_FORMAT)\n"
    "  --config FILE         settings as 'name = value' lines (env HOOKD_CONFIG)\n"
    "  -h, --help            show this help\n";

static const char key_revoke_usage[] =
    "Usage: hookd key-revoke (--data-dir DIR | --database-url URL) --id KEY_ID\n"
    "\n"
    "Revokes an API key (apiKey_..., from key-list): requests bearing it are refused,\n"
    "by a running serve within 5 s. Exits 1 when there is no such key.\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR        where the database lives (env HOOKD_DATA_DIR)\n"
    "  --database-url URL    or a PostgreSQL database (env HOOKD_DATABASE_URL)\n"
    "  --id KEY_ID           the key's id\n"
    "  --log-level LEVEL     debug, info, warn, error or off (env HOOKD_LOG_LEVEL)\n"
    "  --log-format F        text or json (env HOOKD_LOG_FORMAT)\n"
    "  --config FILE         settings as 'name = value' lines (env HOOKD_CONFIG)\n"
    "  -h, --help            show this help\n";

static const char backup_usage[] =
    "Usage: hookd backup (--data-dir DIR | --database-url URL) --to FILE\n"
    "\n"
    "Writes a consistent copy of the database in DIR to FILE (which must not exist), also\n"
    "while serve runs: the copy is one snapshot, compacted, synced, then checked, and\n"
    "prints {\"backup\":FILE,\"bytes\":...,\"schemaVersion\":...}. To restore, stop hookd\n"
    "and run hookd restore --data-dir DIR --from FILE.\n"
    "With --database-url, FILE is pg_dump's custom format of hookd's schema (one\n"
    "snapshot, also while nodes run), checked with pg_restore --list; restore it with\n"
    "pg_restore (docs/OPERATIONS.md).\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR        where the database lives (env HOOKD_DATA_DIR)\n"
    "  --database-url URL    or a PostgreSQL database (env HOOKD_DATABASE_URL)\n"
    "  --to FILE             the new backup file\n"
    "  --log-level LEVEL     debug, info, warn, error or off (env HOOKD_LOG_LEVEL)\n"
    "  --log-format F        text or json (env HOOKD_LOG_FORMAT)\n"
    "  --config FILE         settings as 'name = value' lines (env HOOKD_CONFIG)\n"
    "  -h, --help            show this help\n";

static const char restore_usage[] =
    "Usage: hookd restore --data-dir DIR --from FILE\n"
    "\n"
    "Makes the backup FILE (from hookd backup) the database of DIR, which no hookd serve\n"
    "may be using (exits 1 if one is). FILE is checked first; the database it replaces is\n"
    "kept as DIR/hookd.db.before-restore. Prints {\"restored\":FILE,...}. Deliveries that\n"
    "were pending in the backup are sent when serve starts (receivers de-duplicate).\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR        the data directory (env HOOKD_DATA_DIR); created if missing\n"
    "  --from FILE           the backup file\n"
    "  --log-level LEVEL     debug, info, warn, error or off (env HOOKD_LOG_LEVEL)\n"
    "  --log-format F        text or json (env HOOKD_LOG_FORMAT)\n"
    "  --config FILE         settings as 'name = value' lines (env HOOKD_CONFIG)\n"
    "  -h, --help            show this help\n";

void hk_cli_print_usage(FILE *f, hk_cli_command topic)
{
    switch (topic) {
    case HK_CMD_BOOTSTRAP:
        fputs(bootstrap_usage, f);
        break;
    case HK_CMD_SERVE:
        fputs(serve_usage, f);
        break;
    case HK_CMD_KEY_CREATE:
        fputs(key_create_usage, f);
        break;
    case HK_CMD_KEY_LIST:
        fputs(key_list_usage, f);
        break;
    case HK_CMD_KEY_REVOKE:
        fputs(key_revoke_usage, f);
        break;
    case HK_CMD_BACKUP:
        fputs(backup_usage, f);
        break;
    case HK_CMD_RESTORE:
        fputs(restore_usage, f);
        break;
    case HK_CMD_VERSION:
        fputs("Usage: hookd --version\n", f);
        break;
    default:
        fputs(overview_usage, f);
        break;
    }
}
