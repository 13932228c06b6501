/*
 * help.c - --help texts (see help.h).
 */
#include <string.h>

#include "cli/help.h"

#define OPTION_COLUMN 28

static const char exit_statuses[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  the server refused the operation (its code, message and fields are printed);\n"
    "     listen: the address cannot be listened on\n"
    "  2  usage error: unknown command or option, missing or bad argument, no API key\n"
    "     (listen: no secret)\n"
    "  3  authentication or permission error (HTTP 401/403: bad API key, missing permission)\n"
    "  4  not found: the id, email or external id names nothing\n"
    "  5  cannot reach the server, or it failed (connection refused, timeout, HTTP 5xx)\n";

/* The length of the synopsis item at s: a word, or a bracketed group with its spaces
 * ("[--after C]"), so that a line never breaks inside one. */
static size_t item_len(const char *s)
{
    int depth = 0;
    size_t n = 0;
    for (; s[n] && (depth > 0 || s[n] != ' '); n++) {
        if (s[n] == '[' || s[n] == '(')
            depth++;
        else if ((s[n] == ']' || s[n] == ')') && depth > 0)
            depth--;
    }
    return n;
}

/* Prints a synopsis from column `indent`, breaking before WRAP_COLUMN; continuation lines
 * start at `indent` + 4. */
#define WRAP_COLUMN 88
static void print_wrapped(FILE *f, int indent, const char *text)
{
    int col = indent;
    fprintf(f, "%*s", indent, "");
    while (*text) {
        size_t word = item_len(text);
        if (col > indent && col + 1 + (int)word > WRAP_COLUMN) {
            fprintf(f, "\n%*s", indent + 4, "");
            col = indent + 4;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)word, text);
        col += (int)word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', f);
}

static void print_options(FILE *f, const cli_opt *o)
{
    for (; o && o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "", (o->flags & OPT_REPEAT) ? "..." : "");
        int pad = OPTION_COLUMN - 2 - (int)strlen(left);
        fprintf(f, "  %s%*s%s\n", left, pad > 1 ? pad : 1, "", o->help);
    }
}

static void list_commands(FILE *f, const cli_group *g)
{
    char line[512];
    for (const cli_command *c = g->commands; c->spec; c++) {
        snprintf(line, sizeof line, "hookctl %s", c->spec->usage);
        print_wrapped(f, 2, line);
    }
}

void help_overview(FILE *f, const cli_opt *globals)
{
    fprintf(f, "Usage: hookctl [OPTIONS] COMMAND [ARGS...]\n\n"
               "The command-line client of hookd: customers, customer groups, webhook targets,\n"
               "deliveries and the workspace, through hookd's GraphQL API; and listen, a local\n"
               "receiver that verifies deliveries and prints them.\n\nCommands:\n");
    /* One block per group, so the eye finds a group's commands together. */
    for (const cli_group *const *g = cli_groups; *g; g++) {
        list_commands(f, *g);
        if (g[1])
            fputc('\n', f);
    }
    fprintf(f, "\nOptions (accepted before or after the command):\n");
    print_options(f, globals);
    fprintf(f,
            "  --version                 print hookctl's version (before the command only)\n"
            "  -h, --help                show help (also: hookctl COMMAND --help)\n\n"
            "Environment:\n"
            "  HOOKD_URL       the GraphQL endpoint when --url is not given (default\n"
            "                  http://127.0.0.1:8080/graphql/v1)\n"
            "  HOOKD_API_KEY   the API key when --api-key is not given (preferred: argv is\n"
            "                  visible to other users of the machine)\n"
            "  HOOKD_CA_FILE   the CA bundle when --cacert is not given (for a server on\n"
            "                  https:// with a privately signed certificate)\n"
            "  HOOKD_WEBHOOK_SECRET\n"
            "                  listen: the HMAC secret when --secret is not given\n"
            "  NO_COLOR        when set, no colours\n\n%s",
            exit_statuses);
}

void help_group(FILE *f, const cli_group *g)
{
    fprintf(f, "Usage: hookctl %s COMMAND [ARGS...]\n\n%s\n\nCommands:\n", g->name, g->summary);
    for (const cli_command *c = g->commands; c->spec; c++) {
        fprintf(f, "  %-18s%s\n", c->name ? c->name : g->name, c->spec->brief);
    }
    fprintf(f, "\nRun 'hookctl %s COMMAND --help' for a command's options.\n", g->name);
}

void help_command(FILE *f, const cli_command *cmd)
{
    char line[512];
    snprintf(line, sizeof line, "Usage: hookctl %s", cmd->spec->usage);
    print_wrapped(f, 0, line);
    fprintf(f, "\n%s\n", cmd->spec->brief);
    if (cmd->spec->details)
        fprintf(f, "\n%s\n", cmd->spec->details);
    if (cmd->spec->opts && cmd->spec->opts->name) {
        fprintf(f, "\nOptions:\n");
        print_options(f, cmd->spec->opts);
    }
    /* A local command's exit statuses are in its details: the server's do not apply. */
    if (cli_command_is_local(cmd)) {
        fprintf(f, "\nGlobal options: --json, --no-color (see hookctl --help).\n");
        return;
    }
    fprintf(f,
            "\nGlobal options: --url URL, --api-key KEY, --json, --no-color "
            "(see hookctl --help).\n\n%s",
            exit_statuses);
}
