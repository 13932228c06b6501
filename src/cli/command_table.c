/*
 * groups_table.c - every command group, in the order `hookctl --help` lists them.
 */
#include "cli/commands.h"

const cli_group *const cli_groups[] = {
    &cmd_customers, &cmd_groups,    &cmd_targets,  &cmd_deliveries,
    &cmd_hmac,      &cmd_workspace, &cmd_versions, NULL,
};
