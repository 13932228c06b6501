/*
 * args.c - hookctl's option parser (see args.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"

static const cli_opt *find_in(const cli_opt *table, const char *name, size_t len)
{
    for (; table && table->name; table++)
        if (strlen(table->name) == len && strncmp(table->name, name, len) == 0)
            return table;
    return NULL;
}

static bool given(const cli_args *a, const cli_opt *o)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->opt[i] == o)
            return true;
    return false;
}

static int add_value(cli_args *a, const cli_opt *o, const char *value, char *err, size_t errlen)
{
    if (!(o->flags & OPT_REPEAT) && given(a, o)) {
        snprintf(err, errlen, "--%s was given more than once", o->name);
        return -1;
    }
    if (a->n == CLI_ARGS_MAX_VALUES) {
        snprintf(err, errlen, "too many options (at most %d)", CLI_ARGS_MAX_VALUES);
        return -1;
    }
    a->opt[a->n] = o;
    a->val[a->n++] = value;
    return 0;
}

/* One "--name[=value]" word at argv[*i]; consumes the next word when the option takes a value. */
static int parse_option(const cli_spec *spec, const cli_opt *globals, int argc, char **argv, int *i,
                        cli_args *a, char *err, size_t errlen)
{
    const char *word = argv[*i] + 2;
    const char *eq = strchr(word, '=');
    size_t len = eq ? (size_t)(eq - word) : strlen(word);
    const cli_opt *o = find_in(spec->opts, word, len);
    if (!o)
        o = find_in(globals, word, len);
    if (!o) {
        snprintf(err, errlen, "unknown option --%.*s", (int)(len > 64 ? 64 : len), word);
        return -1;
    }
    if (!o->metavar) {
        if (eq) {
            snprintf(err, errlen, "--%s takes no value", o->name);
            return -1;
        }
        return add_value(a, o, "", err, errlen);
    }
    if (eq)
        return add_value(a, o, eq + 1, err, errlen);
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "--%s needs a value (%s)", o->name, o->metavar);
        return -1;
    }
    return add_value(a, o, argv[++*i], err, errlen);
}

static int add_positional(cli_args *a, const char *word, char *err, size_t errlen)
{
    if (a->npositional == CLI_ARGS_MAX_POSITIONAL) {
        snprintf(err, errlen, "too many arguments");
        return -1;
    }
    a->positional[a->npositional++] = word;
    return 0;
}

static int check_required(const cli_spec *spec, const cli_args *a, char *err, size_t errlen)
{
    for (const cli_opt *o = spec->opts; o && o->name; o++) {
        if ((o->flags & OPT_REQUIRED) && !given(a, o)) {
            snprintf(err, errlen, "--%s is required", o->name);
            return -1;
        }
    }
    return 0;
}

static int check_positional(const cli_spec *spec, const cli_args *a, char *err, size_t errlen)
{
    if ((int)a->npositional < spec->min_positional) {
        snprintf(err, errlen, "missing argument: %s", spec->usage);
        return -1;
    }
    if ((int)a->npositional > spec->max_positional) {
        snprintf(err, errlen, "unexpected argument '%.64s'", a->positional[spec->max_positional]);
        return -1;
    }
    return 0;
}

int args_parse(const cli_spec *spec, const cli_opt *globals, int argc, char **argv, cli_args *out,
               char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    bool options_done = false;
    int i;
    for (i = 0; i < argc; i++) {
        const char *w = argv[i];
        bool is_option = !options_done && w[0] == '-' && w[1] != '\0';
        if (is_option && strcmp(w, "--") == 0) {
            options_done = true;
        } else if (is_option && (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0)) {
            out->help = true;
        } else if (is_option && w[1] == '-') {
            if (parse_option(spec, globals, argc, argv, &i, out, err, errlen))
                return -1;
        } else if (is_option) {
            snprintf(err, errlen, "unknown option %.64s", w);
            return -1;
        } else if (spec->stop_at_positional) {
            break;
        } else if (add_positional(out, w, err, errlen)) {
            return -1;
        }
    }
    out->next = i;
    if (spec->stop_at_positional || out->help)
        return 0;
    if (check_positional(spec, out, err, errlen))
        return -1;
    return check_required(spec, out, err, errlen);
}

bool args_has(const cli_args *a, const char *name)
{
    return args_get(a, name) != NULL;
}

const char *args_get(const cli_args *a, const char *name)
{
    for (size_t i = a->n; i-- > 0;)
        if (strcmp(a->opt[i]->name, name) == 0)
            return a->val[i];
    return NULL;
}

const char *args_get_opt(const cli_args *a, const cli_opt *o)
{
    for (size_t i = a->n; i-- > 0;)
        if (a->opt[i] == o)
            return a->val[i];
    return NULL;
}

size_t args_all(const cli_args *a, const char *name, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->opt[i]->name, name) != 0)
            continue;
        if (n < max)
            out[n] = a->val[i];
        n++;
    }
    return n;
}

int args_int(const cli_args *a, const char *name, long min, long max, long *out, char *err,
             size_t errlen)
{
    const char *s = args_get(a, name);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno || v < min || v > max) {
        snprintf(err, errlen, "--%s must be a whole number from %ld to %ld", name, min, max);
        return -1;
    }
    *out = v;
    return 0;
}
