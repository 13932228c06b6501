/*
 * args.h - hookctl's option parser: "--name VALUE", "--name=VALUE", flags,
 * repeatable options, positional arguments, "--" and -h/--help.
 *
 * A command describes its options in a cli_spec; the global options
 * (--url, --api-key, ...) are a second table accepted by every command, so
 * they may come before or after the command words. Values are pointers into
 * argv; nothing is allocated. Every failure is a usage error with a message.
 */
#ifndef HOOKD_CLI_ARGS_H
#define HOOKD_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds on one command line: more is refused as a usage error. */
#define CLI_ARGS_MAX_VALUES 64
#define CLI_ARGS_MAX_POSITIONAL 8

enum {
    OPT_REPEAT = 1,   /* may be given more than once (all values are kept) */
    OPT_REQUIRED = 2, /* missing is a usage error (unless --help is given) */
};

typedef struct cli_opt {
    const char *name;    /* without the leading "--" */
    const char *metavar; /* "N", "URL", ...; NULL for a flag, which takes no value */
    unsigned flags;      /* OPT_* */
    const char *help;    /* one line for --help */
} cli_opt;

typedef struct cli_spec {
    const char *usage;   /* the synopsis after "hookctl ", e.g. "groups show ID" */
    const char *brief;   /* what the command does, one line */
    const char *details; /* more for its --help (lines of at most 88 columns), or NULL */
    const cli_opt *opts; /* terminated by an entry whose name is NULL; NULL for none */
    int min_positional, max_positional;
    bool stop_at_positional; /* stop at the first positional (for the words before a command) */
} cli_spec;

typedef struct cli_args {
    const cli_opt *opt[CLI_ARGS_MAX_VALUES]; /* every option given, in order */
    const char *val[CLI_ARGS_MAX_VALUES];    /* its value ("" for a flag) */
    size_t n;
    const char *positional[CLI_ARGS_MAX_POSITIONAL];
    size_t npositional;
    bool help; /* -h or --help was given */
    int next;  /* stop_at_positional: the index of the first word not consumed */
} cli_args;

/*
 * Parses argv[0..argc) against `spec` and `globals` (either may list no
 * options). Returns 0, or -1 with a message in err[0..errlen) for a usage
 * error: unknown option, missing value, a value given to a flag, a
 * non-repeatable option given twice, a required option missing, too many or
 * too few positionals. With --help neither counts nor required options are
 * checked.
 */
int args_parse(const cli_spec *spec, const cli_opt *globals, int argc, char **argv, cli_args *out,
               char *err, size_t errlen);

/* True when the option was given. */
bool args_has(const cli_args *a, const char *name);
/* The last value given for the option, or NULL. */
const char *args_get(const cli_args *a, const char *name);
/* The same for one entry of an option table: a command's --url (a target's URL) is not the
 * global --url (the server's) although they share the name; the command's wins by name. */
const char *args_get_opt(const cli_args *a, const cli_opt *o);
/* Stores up to `max` values of a repeatable option, in order; returns how many were given. */
size_t args_all(const cli_args *a, const char *name, const char **out, size_t max);
/*
 * The option's value as an integer in [min, max]. Returns 0 and sets *out
 * (left alone when the option is absent), or -1 with a message.
 */
int args_int(const cli_args *a, const char *name, long min, long max, long *out, char *err,
             size_t errlen);

#endif
