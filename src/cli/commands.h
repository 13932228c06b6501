/*
 * commands.h - hookctl's command table: groups of commands ("customers",
 * "targets", ...), each command with its option spec and what it runs.
 *
 * A command's run function gets the parsed arguments, a client for the
 * server (none for a local command such as listen) and the output
 * settings; it prints its result (or, with --json, the data document) and
 * returns an exit status (exit_codes.h).
 */
#ifndef HOOKD_CLI_COMMANDS_H
#define HOOKD_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/output.h"

typedef struct cli_ctx {
    cli_client *client;
    const cli_out *out;
    const cli_args *args;
    const char *command; /* "customers list": for messages */
} cli_ctx;

typedef struct cli_command {
    const char *name; /* the word after the group's; NULL: the group itself is the command */
    const cli_spec *spec;
    int (*run)(cli_ctx *c);
} cli_command;

typedef struct cli_group {
    const char *name;
    const char *summary;
    const cli_command *commands; /* terminated by an entry whose spec is NULL */
} cli_group;

extern const cli_group cmd_customers;
extern const cli_group cmd_groups;
extern const cli_group cmd_targets;
extern const cli_group cmd_deliveries;
extern const cli_group cmd_hmac;
extern const cli_group cmd_workspace;
extern const cli_group cmd_versions;
extern const cli_group cmd_listen;

/* Every group, in the order --help lists them; terminated by NULL. */
extern const cli_group *const cli_groups[];

/* True for a command that talks to no server (listen): it runs without a client (c->client is
 * NULL) and needs no API key. */
bool cli_command_is_local(const cli_command *c);

#endif
