/*
 * help.h - hookctl's --help texts, generated from the command table so that
 * they cannot drift from what the parser accepts.
 */
#ifndef HOOKD_CLI_HELP_H
#define HOOKD_CLI_HELP_H

#include <stdio.h>

#include "cli/args.h"
#include "cli/commands.h"

/* `hookctl --help`: every command, the global options, environment, exit statuses. */
void help_overview(FILE *f, const cli_opt *globals);
/* `hookctl GROUP --help`: the group's commands. */
void help_group(FILE *f, const cli_group *g);
/* `hookctl GROUP COMMAND --help`: synopsis, description, options. */
void help_command(FILE *f, const cli_command *cmd);

#endif
