#include "daemon/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum option_id {
    OPT_DATA_DIR,
    OPT_LISTEN,
    OPT_NAME,
    OPT_LOG_LEVEL,
    OPT_MAX_BODY_BYTES,
    OPT_COUNT,
} option_id;

#define FOR_COMMAND(cmd) (1u << (cmd))

typedef struct option_def {
    const char *flag;
    const char *env; /* NULL: no environment fallback */
    unsigned commands;
} option_def;

static const option_def option_defs[OPT_COUNT] = {
    [OPT_DATA_DIR] = {"--data-dir", "HOOKD_DATA_DIR",
                      FOR_COMMAND(HK_CMD_BOOTSTRAP) | FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_LISTEN] = {"--listen", "HOOKD_LISTEN", FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_NAME] = {"--name", NULL, FOR_COMMAND(HK_CMD_BOOTSTRAP)},
    [OPT_LOG_LEVEL] = {"--log-level", "HOOKD_LOG_LEVEL",
                       FOR_COMMAND(HK_CMD_BOOTSTRAP) | FOR_COMMAND(HK_CMD_SERVE)},
    [OPT_MAX_BODY_BYTES] = {"--max-body-bytes", "HOOKD_MAX_BODY_BYTES", FOR_COMMAND(HK_CMD_SERVE)},
};

/* Where each value came from, for error messages. */
typedef struct option_values {
    const char *value[OPT_COUNT];
    const char *source[OPT_COUNT]; /* the flag or the environment variable */
} option_values;

static const char *const command_names[] = {
    [HK_CMD_NONE] = "hookd",          [HK_CMD_HELP] = "help",   [HK_CMD_VERSION] = "version",
    [HK_CMD_BOOTSTRAP] = "bootstrap", [HK_CMD_SERVE] = "serve",
};

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
    static const hk_cli_command named[] = {HK_CMD_BOOTSTRAP, HK_CMD_SERVE, HK_CMD_HELP,
                                           HK_CMD_VERSION};
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

static hk_status resolve(hk_cli_command command, const option_values *values, hk_cli_options *out,
                         hk_error *err)
{
    out->command = command;
    out->data_dir = values->value[OPT_DATA_DIR];
    out->workspace_name =
        values->value[OPT_NAME] ? values->value[OPT_NAME] : HK_DEFAULT_WORKSPACE_NAME;
    out->listen = values->value[OPT_LISTEN] ? values->value[OPT_LISTEN] : HK_DEFAULT_LISTEN;

    const char *level = values->value[OPT_LOG_LEVEL];
    if (level && hk_log_level_parse(level, &out->log_level) != HK_OK)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid log level '%s' (from %s): use debug, info, warn, error or off",
                            level, values->source[OPT_LOG_LEVEL]);
    hk_status st = parse_body_size(values->value[OPT_MAX_BODY_BYTES],
                                   values->source[OPT_MAX_BODY_BYTES], &out->max_body_bytes, err);
    if (st)
        return st;
    if (!out->data_dir)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "no data directory: pass --data-dir DIR or set HOOKD_DATA_DIR");
    return HK_OK;
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
    "  help [CMD]  show this help, or the help of CMD\n"
    "\n"
    "  hookd --version   print the version\n"
    "\n"
    "Run 'hookd COMMAND --help' for the options of a command.\n";

static const char bootstrap_usage[] =
    "Usage: hookd bootstrap --data-dir DIR [--name NAME] [--log-level LEVEL]\n"
    "\n"
    "Creates a workspace with a machine user and an API key holding every permission, and\n"
    "prints {\"workspaceId\":...,\"apiKey\":...} as one JSON line. Each call creates a new\n"
    "workspace. The key is shown only once: hookd stores its hash.\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR     where the database lives (env HOOKD_DATA_DIR); created if missing\n"
    "  --name NAME        the workspace name (default \"" HK_DEFAULT_WORKSPACE_NAME "\")\n"
    "  --log-level LEVEL  debug, info, warn, error or off (env HOOKD_LOG_LEVEL; default info)\n"
    "  -h, --help         show this help\n";

static const char serve_usage[] =
    "Usage: hookd serve --data-dir DIR [--listen HOST:PORT] [--max-body-bytes N]\n"
    "                   [--log-level LEVEL]\n"
    "\n"
    "Opens the store (applying schema migrations) and serves HTTP until SIGTERM or SIGINT,\n"
    "then finishes the requests in flight and exits. Endpoints: POST /graphql/v1 (Plain's\n"
    "GraphQL API, Authorization: Bearer KEY) and GET /healthz.\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR        where the database lives (env HOOKD_DATA_DIR); created if missing\n"
    "  --listen HOST:PORT    the address to bind (env HOOKD_LISTEN; default " HK_DEFAULT_LISTEN
    ")\n"
    "                        e.g. 127.0.0.1:8080, [::1]:8080, localhost:8080;\n"
    "                        0.0.0.0:PORT for every IPv4 interface\n"
    "  --max-body-bytes N    the largest request body accepted, in bytes; larger ones are\n"
    "                        answered 413 (env HOOKD_MAX_BODY_BYTES; default 1048576)\n"
    "  --log-level LEVEL     debug, info, warn, error or off (env HOOKD_LOG_LEVEL; default info)\n"
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
    case HK_CMD_VERSION:
        fputs("Usage: hookd --version\n", f);
        break;
    default:
        fputs(overview_usage, f);
        break;
    }
}
