/*
 * op.c - one GraphQL operation for a command (see op.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/exit_codes.h"
#include "cli/jpath.h"
#include "cli/op.h"

int op_run(cli_ctx *c, const char *document, json_t *vars, json_t **data)
{
    cli_result r;
    client_run(c->client, document, vars, &r);
    json_decref(vars);
    *data = NULL;
    if (r.exit != CLI_EXIT_OK) {
        out_error("%s", r.message);
        client_result_clear(&r);
        return r.exit;
    }
    *data = r.data;
    r.data = NULL;
    client_result_clear(&r);
    return CLI_EXIT_OK;
}

/* op_show's handling of a data document (consumed). */
static int show_data(cli_ctx *c, json_t *data, const char *field, const char *missing,
                     op_printer print)
{
    int rc = CLI_EXIT_OK;
    json_t *value = json_object_get(data, field);
    if (c->out->json)
        out_json(c->out, data);
    if (!json_is_object(value)) {
        out_error("%s", missing);
        rc = CLI_EXIT_NOT_FOUND;
    } else if (!c->out->json) {
        print(c->out, value);
    }
    json_decref(data);
    return rc;
}

int op_show(cli_ctx *c, const char *document, json_t *vars, const char *field, const char *missing,
            op_printer print)
{
    json_t *data;
    int rc = op_run(c, document, vars, &data);
    return rc ? rc : show_data(c, data, field, missing, print);
}

int op_mutation_error_exit(json_t *error)
{
    const char *code = jpath_str(error, "code", "");
    const char *type = jpath_str(error, "type", "");
    if (strcmp(code, "not_found") == 0)
        return CLI_EXIT_NOT_FOUND;
    if (strcmp(code, "forbidden") == 0 || strcmp(type, "FORBIDDEN") == 0)
        return CLI_EXIT_AUTH;
    if (strcmp(type, "INTERNAL") == 0)
        return CLI_EXIT_UNREACHABLE;
    return CLI_EXIT_FAILED;
}

/* op_mutate's handling of a data document (consumed). */
static int mutate_data(cli_ctx *c, json_t *data, const char *field, op_printer print)
{
    int rc = CLI_EXIT_OK;
    json_t *payload = json_object_get(data, field);
    json_t *error = json_object_get(payload, "error");
    if (c->out->json)
        out_json(c->out, data);
    if (json_is_object(error)) {
        out_mutation_error(error);
        rc = op_mutation_error_exit(error);
    } else if (!c->out->json) {
        print(c->out, payload);
    }
    json_decref(data);
    return rc;
}

int op_mutate(cli_ctx *c, const char *document, json_t *vars, const char *field, op_printer print)
{
    json_t *data;
    int rc = op_run(c, document, vars, &data);
    return rc ? rc : mutate_data(c, data, field, print);
}

static bool names_any(const char *text, const char *const *needs)
{
    for (; text && *needs; needs++)
        if (strstr(text, *needs))
            return true;
    return false;
}

int op_show_or(cli_ctx *c, const char *full, const char *lean, const char *const *needs,
               json_t *vars, const char *field, const char *missing, op_printer print,
               bool *fell_back)
{
    cli_result r;
    client_run(c->client, full, vars, &r);
    *fell_back = r.exit == CLI_EXIT_AUTH && names_any(r.message, needs);
    if (*fell_back) {
        client_result_clear(&r);
        return op_show(c, lean, vars, field, missing, print);
    }
    json_decref(vars);
    if (r.exit != CLI_EXIT_OK) {
        out_error("%s", r.message);
        client_result_clear(&r);
        return r.exit;
    }
    json_t *data = r.data;
    r.data = NULL;
    client_result_clear(&r);
    return show_data(c, data, field, missing, print);
}

int op_mutate_or(cli_ctx *c, const char *full, const char *lean, const char *const *needs,
                 json_t *vars, const char *field, op_printer print, bool *fell_back)
{
    cli_result r;
    client_run(c->client, full, vars, &r);
    json_t *error = json_object_get(json_object_get(r.data, field), "error");
    *fell_back = r.exit == CLI_EXIT_OK && json_is_object(error) &&
                 strcmp(jpath_str(error, "code", ""), "forbidden") == 0 &&
                 names_any(jpath_str(error, "message", NULL), needs);
    if (*fell_back) {
        client_result_clear(&r);
        return op_mutate(c, lean, vars, field, print);
    }
    json_decref(vars);
    if (r.exit != CLI_EXIT_OK) {
        out_error("%s", r.message);
        client_result_clear(&r);
        return r.exit;
    }
    json_t *data = r.data;
    r.data = NULL;
    client_result_clear(&r);
    return mutate_data(c, data, field, print);
}

int op_list(cli_ctx *c, const char *document, json_t *vars, const char *field, op_printer print)
{
    json_t *data;
    int rc = op_run(c, document, vars, &data);
    if (rc)
        return rc;
    if (c->out->json)
        out_json(c->out, data);
    else
        print(c->out, json_object_get(data, field));
    json_decref(data);
    return CLI_EXIT_OK;
}

/* Appends the edges of `page` to `into` and takes its pageInfo; returns the next cursor or NULL. */
static const char *merge_page(json_t *into, json_t *page)
{
    json_array_extend(json_object_get(into, "edges"), json_object_get(page, "edges"));
    json_object_set(into, "pageInfo", json_object_get(page, "pageInfo"));
    if (!jpath_bool(page, "pageInfo.hasNextPage"))
        return NULL;
    return jpath_str(page, "pageInfo.endCursor", NULL);
}

int op_list_all(cli_ctx *c, const char *document, json_t *vars, const char *field, op_printer print)
{
    if (!vars)
        vars = json_object();
    json_t *first;
    int rc = op_run(c, document, json_incref(vars), &first);
    json_t *all = first ? json_object_get(first, field) : NULL;
    const char *next = all && jpath_bool(all, "pageInfo.hasNextPage")
                           ? jpath_str(all, "pageInfo.endCursor", NULL)
                           : NULL;
    for (int pages = 1; !rc && next && pages < OP_MAX_PAGES; pages++) {
        json_object_set_new(vars, "after", json_string(next));
        json_t *more;
        rc = op_run(c, document, json_incref(vars), &more);
        if (!rc)
            next = merge_page(all, json_object_get(more, field));
        /* `next` points into `more`'s cursor string, now also held by `all`'s pageInfo. */
        json_decref(more);
    }
    json_decref(vars);
    if (!rc && next)
        out_error("showing the first %d pages only", OP_MAX_PAGES);
    if (!rc && c->out->json)
        out_json(c->out, first);
    else if (!rc)
        print(c->out, all);
    json_decref(first);
    return rc;
}

int op_usage(cli_ctx *c, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    out_error("%s", text);
    fprintf(stderr, "Run 'hookctl %s --help' for usage.\n", c->command);
    return CLI_EXIT_USAGE;
}

void op_set(json_t *obj, const char *key, json_t *value)
{
    if (value)
        json_object_set_new(obj, key, value);
}

json_t *op_string_input(const char *s)
{
    return s ? json_pack("{s:s}", "value", s) : NULL;
}
