/*
 * paging.h - Relay pagination on the command line: --first N / --after C
 * and --last N / --before C become the operation's variables, and a page's
 * footer tells how to get the next one.
 */
#ifndef HOOKD_CLI_PAGING_H
#define HOOKD_CLI_PAGING_H

#include <jansson.h>

#include "cli/commands.h"

/* The page size bounds of SPEC §6. */
#define PAGING_MAX 100

/*
 * Copies the paging options the command was given into `vars`. Mixing
 * --first/--after with --last/--before, or a size outside 1..PAGING_MAX, is
 * a usage error: returns CLI_EXIT_USAGE after printing it, else 0.
 */
int paging_vars(cli_ctx *c, json_t *vars);

/* After a table: "2 of 7 customers" (when the connection has a totalCount),
 * and the option that fetches the next (or previous) page. */
void paging_footer(const cli_out *o, json_t *connection, const char *one, const char *many);

#endif
