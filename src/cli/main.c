/*
 * main.c - the hookctl executable: finds the command named by the first
 * words of the command line, parses its options (and the global ones, which
 * may come before or after the command words), connects a client (not for a
 * local command such as listen) and runs it.
 *
 *   hookctl [OPTIONS] GROUP [COMMAND] [ARGS...] [OPTIONS]
 *   hookctl help [GROUP [COMMAND]] | hookctl --help | hookctl --version
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/help.h"
#include "cli/output.h"

#define DEFAULT_URL "http://127.0.0.1:8080/graphql/v1"

static const cli_opt globals[] = {
    {"url", "URL", 0, "the server's GraphQL endpoint (env HOOKD_URL)"},
    {"api-key", "KEY", 0, "the API key (env HOOKD_API_KEY)"},
    {"cacert", "FILE", 0, "CA bundle to verify an https:// server with (env HOOKD_CA_FILE)"},
    {"json", NULL, 0, "print the operation's data as one JSON document"},
    {"no-color", NULL, 0, "never colour the output"},
    {NULL, NULL, 0, NULL},
};

/* Only before the command words. */
static const cli_opt leading_only[] = {
    {"version", NULL, 0, "print hookctl's version and exit"},
    {NULL, NULL, 0, NULL},
};

static const cli_spec leading_spec = {
    .usage = "[OPTIONS] COMMAND", .opts = leading_only, .stop_at_positional = true};

static int usage_error(const char *message, const char *topic)
{
    out_error("%s", message);
    if (topic)
        fprintf(stderr, "Run 'hookctl %s --help' for usage.\n", topic);
    else
        fprintf(stderr, "Run 'hookctl --help' for usage.\n");
    return CLI_EXIT_USAGE;
}

static const cli_group *find_group(const char *name)
{
    for (const cli_group *const *g = cli_groups; *g; g++)
        if (strcmp((*g)->name, name) == 0)
            return *g;
    return NULL;
}

static const cli_command *find_command(const cli_group *g, const char *name)
{
    for (const cli_command *c = g->commands; c->spec; c++)
        if (c->name && name && strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static const cli_opt *global(const char *name)
{
    for (const cli_opt *o = globals; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/*
 * The value of a global option: after the command words, then before them, then the
 * environment. Looked up by table entry, so that a command's own option of the same name
 * (targets create --url) is not taken for it.
 */
static const char *setting(const cli_args *cmd, const cli_args *lead, const char *name,
                           const char *env)
{
    const cli_opt *o = global(name);
    const char *v = args_get_opt(cmd, o);
    if (!v)
        v = args_get_opt(lead, o);
    if (!v && env)
        v = getenv(env);
    return v;
}

static bool flag(const cli_args *cmd, const cli_args *lead, const char *name)
{
    return setting(cmd, lead, name, NULL) != NULL;
}

/* A script reading a full disk's worth of output must not take silence for success. */
static int check_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        out_error("cannot write the output");
        rc = rc ? rc : CLI_EXIT_FAILED;
    }
    return rc;
}

static int execute(const cli_command *cmd, const char *topic, const cli_args *lead,
                   const cli_args *a)
{
    cli_out out = {.f = stdout, .json = flag(a, lead, "json")};
    out.color = !out.json && out_color_wanted(flag(a, lead, "no-color"));
    cli_ctx ctx = {.out = &out, .args = a, .command = topic};
    if (cli_command_is_local(cmd))
        return check_stdout(cmd->run(&ctx));
    const char *url = setting(a, lead, "url", "HOOKD_URL");
    const char *key = setting(a, lead, "api-key", "HOOKD_API_KEY");
    if (!url || !*url)
        url = DEFAULT_URL;
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return usage_error("the server URL must start with http:// or https://", topic);
    if (!key || !*key)
        return usage_error("no API key: pass --api-key KEY or set HOOKD_API_KEY", topic);
    char err[256];
    const char *ca_file = setting(a, lead, "cacert", "HOOKD_CA_FILE");
    if (ca_file && (!*ca_file || access(ca_file, R_OK) != 0))
        return usage_error("the --cacert file cannot be read", topic);
    ctx.client = client_new(url, key, ca_file, err, sizeof err);
    if (!ctx.client) {
        out_error("%s", err);
        return CLI_EXIT_USAGE;
    }
    int rc = cmd->run(&ctx);
    client_free(ctx.client);
    return check_stdout(rc);
}

/* Parses the words after the command's name and runs it (or prints its help). */
static int run_command(const cli_command *cmd, const char *topic, const cli_args *lead, int argc,
                       char **argv)
{
    cli_args a;
    char err[256];
    if (args_parse(cmd->spec, globals, argc, argv, &a, err, sizeof err))
        return usage_error(err, topic);
    if (a.help || lead->help) {
        help_command(stdout, cmd);
        return CLI_EXIT_OK;
    }
    return execute(cmd, topic, lead, &a);
}

/* `hookctl help [GROUP [COMMAND]]`. */
static int run_help(int argc, char **argv)
{
    const cli_group *g = argc > 0 ? find_group(argv[0]) : NULL;
    if (argc == 0) {
        help_overview(stdout, globals);
        return CLI_EXIT_OK;
    }
    if (!g) {
        char message[128];
        snprintf(message, sizeof message, "unknown command '%.40s'", argv[0]);
        return usage_error(message, NULL);
    }
    const cli_command *c = argc > 1 ? find_command(g, argv[1]) : NULL;
    if (g->commands[0].name == NULL)
        c = &g->commands[0];
    if (c)
        help_command(stdout, c);
    else
        help_group(stdout, g);
    return CLI_EXIT_OK;
}

static int run_group(const cli_group *g, const cli_args *lead, int argc, char **argv)
{
    char topic[64];
    if (g->commands[0].name == NULL)
        return run_command(&g->commands[0], g->name, lead, argc, argv);
    if (argc == 0 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 || lead->help) {
        help_group(argc == 0 && !lead->help ? stderr : stdout, g);
        return argc == 0 && !lead->help ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const cli_command *c = find_command(g, argv[0]);
    if (!c) {
        char message[128];
        snprintf(message, sizeof message, "unknown command '%s %.40s'", g->name, argv[0]);
        return usage_error(message, g->name);
    }
    snprintf(topic, sizeof topic, "%s %s", g->name, c->name);
    return run_command(c, topic, lead, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    cli_args lead;
    char err[256];
    if (args_parse(&leading_spec, globals, argc - 1, argv + 1, &lead, err, sizeof err))
        return usage_error(err, NULL);
    int first = 1 + lead.next;
    if (args_has(&lead, "version")) {
        printf("hookctl %s\n", HOOKD_VERSION);
        return CLI_EXIT_OK;
    }
    if (first >= argc) {
        help_overview(lead.help ? stdout : stderr, globals);
        return lead.help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (strcmp(argv[first], "help") == 0)
        return run_help(argc - first - 1, argv + first + 1);
    const cli_group *g = find_group(argv[first]);
    if (!g) {
        char message[128];
        snprintf(message, sizeof message, "unknown command '%.40s'", argv[first]);
        return usage_error(message, NULL);
    }
    return run_group(g, &lead, argc - first - 1, argv + first + 1);
}
