/*
 * table.h - aligned columns for hookctl's lists:
 *
 *     ID                            KEY      NAME
 *     cg_01M8...                    vip      Very important
 *
 * Cells are cleaned (see out_clean) and cut at TABLE_MAX_CELL code points
 * when added, so that one long description cannot push every row off the
 * screen. Allocation failures are sticky: table_print reports them once.
 */
#ifndef HOOKD_CLI_TABLE_H
#define HOOKD_CLI_TABLE_H

#include <stddef.h>

#include "cli/output.h"

#define TABLE_MAX_COLUMNS 8
#define TABLE_MAX_CELL 60

typedef struct cli_table cli_table;

/* A table with `ncols` (1..TABLE_MAX_COLUMNS) columns; NULL when out of memory. */
cli_table *table_new(size_t ncols, const char *const *headers);
void table_free(cli_table *t);

/* Starts a new row; the cells are then given left to right with table_cell. */
void table_row(cli_table *t);
/* The next cell of the current row; NULL or "" shows "-" (dimmed). */
void table_cell(cli_table *t, const char *text, cli_style style);

/* Writes the header and the rows; -1 (after a message on stderr) when a cell could not be stored.
 */
int table_print(const cli_out *o, const cli_table *t);

#endif
