/*
 * op.h - running one GraphQL operation for a command and turning its outcome
 * into output and an exit status: errors to stderr, the data document with
 * --json, a printer's human text otherwise.
 *
 * Exit statuses (exit_codes.h): a query field answered null is "not found"
 * (4); a mutation's MutationError is "failed" (1), or 4 for not_found, 3 for
 * forbidden, 5 for an internal error; transport and GraphQL errors are
 * classified by the client.
 *
 * Every op_ function takes ownership of `vars` (which may be NULL).
 */
#ifndef HOOKD_CLI_OP_H
#define HOOKD_CLI_OP_H

#include <jansson.h>

#include "cli/commands.h"

/* The selection of a mutation payload's MutationError, for every mutation document. */
#define OP_ERROR_FIELDS "error { message type code fields { field message type } }"

/* Prints a value for humans: an object, a connection, a mutation's payload. */
typedef void (*op_printer)(const cli_out *o, json_t *value);

/* Runs the operation; on CLI_EXIT_OK *data is the data document (the
 * caller's), otherwise the error was printed and *data is NULL. */
int op_run(cli_ctx *c, const char *document, json_t *vars, json_t **data);

/* A query whose root field `field` may be null; null prints `missing` and gives 4. */
int op_show(cli_ctx *c, const char *document, json_t *vars, const char *field, const char *missing,
            op_printer print);

/* A mutation: checks `field`.error, then prints the payload. */
int op_mutate(cli_ctx *c, const char *document, json_t *vars, const char *field, op_printer print);

/*
 * op_show and op_mutate for a document `full` that selects what some keys may
 * not read (a customer's groups): when the server refuses with a missing
 * permission named in `needs` (a NULL-terminated list) — a FORBIDDEN error, or
 * a `forbidden` MutationError, which the server gives before changing
 * anything — the operation runs again with `lean`, which selects less, and
 * *fell_back says so. Any other outcome of `full` is reported as op_show or
 * op_mutate would.
 */
int op_show_or(cli_ctx *c, const char *full, const char *lean, const char *const *needs,
               json_t *vars, const char *field, const char *missing, op_printer print,
               bool *fell_back);
int op_mutate_or(cli_ctx *c, const char *full, const char *lean, const char *const *needs,
                 json_t *vars, const char *field, op_printer print, bool *fell_back);

/* One page of a connection at root field `field`; `print` gets the connection. */
int op_list(cli_ctx *c, const char *document, json_t *vars, const char *field, op_printer print);

/*
 * Every page of a connection: the document must take `$after: String`, and
 * the edges of later pages are appended to the first page's (its pageInfo
 * becomes the last page's), so that --json still prints one document. At most
 * OP_MAX_PAGES pages are read.
 */
#define OP_MAX_PAGES 100
int op_list_all(cli_ctx *c, const char *document, json_t *vars, const char *field,
                op_printer print);

/* The exit status a MutationError stands for. */
int op_mutation_error_exit(json_t *error);

/* A usage error found by a command itself: prints it and a hint, returns CLI_EXIT_USAGE. */
int op_usage(cli_ctx *c, const char *fmt, ...) HK_PRINTF(2, 3);

/* Sets `key` in `obj` to a new value, skipping NULL values (an option not given). */
void op_set(json_t *obj, const char *key, json_t *value);
/* {"value": s} (StringInput), or NULL when s is NULL. */
json_t *op_string_input(const char *s);

#endif
