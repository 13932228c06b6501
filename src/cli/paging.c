/*
 * paging.c - Relay pagination options and footers (see paging.h).
 */
#include <stdio.h>

#include "cli/jpath.h"
#include "cli/op.h"
#include "cli/paging.h"

static int size_var(cli_ctx *c, json_t *vars, const char *name)
{
    long n = 0;
    char err[128];
    if (args_int(c->args, name, 1, PAGING_MAX, &n, err, sizeof err))
        return op_usage(c, "%s", err);
    if (n)
        json_object_set_new(vars, name, json_integer(n));
    return 0;
}

int paging_vars(cli_ctx *c, json_t *vars)
{
    const cli_args *a = c->args;
    bool forward = args_has(a, "first") || args_has(a, "after");
    bool backward = args_has(a, "last") || args_has(a, "before");
    if (forward && backward)
        return op_usage(c, "--first/--after and --last/--before cannot be mixed");
    int rc = size_var(c, vars, "first");
    if (!rc)
        rc = size_var(c, vars, "last");
    if (rc)
        return rc;
    op_set(vars, "after", args_has(a, "after") ? json_string(args_get(a, "after")) : NULL);
    op_set(vars, "before", args_has(a, "before") ? json_string(args_get(a, "before")) : NULL);
    return 0;
}

void paging_footer(const cli_out *o, json_t *connection, const char *one, const char *many)
{
    size_t shown = json_array_size(json_object_get(connection, "edges"));
    long long total = jpath_int(connection, "totalCount", -1);
    const char *noun = (total >= 0 ? total : (long long)shown) == 1 ? one : many;
    char line[256];
    if (total >= 0)
        snprintf(line, sizeof line, "%zu of %lld %s", shown, total, noun);
    else
        snprintf(line, sizeof line, "%zu %s", shown, noun);
    out_text(o, STYLE_DIM, line);
    fputc('\n', o->f);
    const char *end = jpath_str(connection, "pageInfo.endCursor", NULL);
    const char *start = jpath_str(connection, "pageInfo.startCursor", NULL);
    if (jpath_bool(connection, "pageInfo.hasNextPage") && end) {
        snprintf(line, sizeof line, "next page: --after %s", end);
        out_text(o, STYLE_DIM, line);
        fputc('\n', o->f);
    }
    if (jpath_bool(connection, "pageInfo.hasPreviousPage") && start) {
        snprintf(line, sizeof line, "previous page: --before %s", start);
        out_text(o, STYLE_DIM, line);
        fputc('\n', o->f);
    }
}
