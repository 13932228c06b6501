/*
 * command_table.c - every command group, in the order `hookctl --help` lists them, and
 * which of them need no server.
 */
#include "cli/commands.h"

const cli_group *const cli_groups[] = {
    &cmd_customers, &cmd_groups, &cmd_targets, &cmd_deliveries, &cmd_hmac, &cmd_workspace,
    &cmd_versions,  &cmd_listen, NULL,
};

/* The groups whose commands need no server. */
static const cli_group *const local_groups[] = {&cmd_listen, NULL};

bool cli_command_is_local(const cli_command *c)
{
    for (const cli_group *const *g = local_groups; *g; g++)
        for (const cli_command *l = (*g)->commands; l->spec; l++)
            if (l == c)
                return true;
    return false;
}
