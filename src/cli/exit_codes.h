/*
 * exit_codes.h - hookctl's exit statuses, a contract with the scripts that
 * call it (documented in `hookctl --help` and docs/hookctl.1; never renumber).
 */
#ifndef HOOKD_CLI_EXIT_CODES_H
#define HOOKD_CLI_EXIT_CODES_H

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,      /* the server refused the operation (MutationError, bad input);
                                 listen: the address cannot be listened on */
    CLI_EXIT_USAGE = 2,       /* the command line is wrong; nothing was sent */
    CLI_EXIT_AUTH = 3,        /* the API key was refused (401) or lacks a permission (403) */
    CLI_EXIT_NOT_FOUND = 4,   /* the id names nothing: a query answered null, or not_found */
    CLI_EXIT_UNREACHABLE = 5, /* no answer, a 5xx, or an answer that is not GraphQL */
};

#ifndef HOOKD_VERSION
#define HOOKD_VERSION "0.1.0"
#endif

#endif
