/*
 * client.h - a small GraphQL-over-HTTP client for hookd's API: one POST of
 * {"query","variables"} with "Authorization: Bearer KEY", answered with
 * {"data"} or {"errors"}.
 *
 * Every outcome is classified into one of hookctl's exit statuses
 * (exit_codes.h), so that commands need not look at HTTP:
 *   - no answer (refused, timeout, DNS), a 5xx, INTERNAL_SERVER_ERROR, an
 *     answer larger than CLIENT_MAX_RESPONSE or that is not a GraphQL
 *     response                                        -> CLI_EXIT_UNREACHABLE
 *   - 401/403, UNAUTHENTICATED/FORBIDDEN              -> CLI_EXIT_AUTH
 *   - any other error in "errors"                     -> CLI_EXIT_FAILED
 *   - "data" and no "errors"                          -> CLI_EXIT_OK
 * The API key is only ever put in the request header; messages never
 * contain it, and the URL they show has its credentials masked.
 */
#ifndef HOOKD_CLI_CLIENT_H
#define HOOKD_CLI_CLIENT_H

#include <jansson.h>

/* The largest response body read; a bigger one is an error, not a crash. */
#define CLIENT_MAX_RESPONSE ((size_t)16 << 20)
#define CLIENT_CONNECT_TIMEOUT_S 10L
#define CLIENT_TIMEOUT_S 60L

typedef struct cli_client cli_client;

typedef struct cli_result {
    int exit;           /* CLI_EXIT_* */
    json_t *data;       /* CLI_EXIT_OK: the response's "data" object (the caller's); else NULL */
    json_t *errors;     /* the response's "errors" when it had some (the caller's); else NULL */
    char message[2048]; /* not CLI_EXIT_OK: what went wrong, one line per error */
} cli_result;

/*
 * A client for the endpoint `url` (http:// or https://) with `api_key`,
 * verifying an https:// server with the CA bundle `ca_file` (NULL: the
 * system's). Returns NULL with a message in err when libcurl cannot start or
 * the key contains characters a header cannot carry. The strings are copied.
 */
cli_client *client_new(const char *url, const char *api_key, const char *ca_file, char *err,
                       size_t errlen);
/* Releases the client. Accepts NULL. */
void client_free(cli_client *c);

/* Runs one operation; `variables` may be NULL (not consumed). Fills *r; the
 * caller releases r->data and r->errors with client_result_clear. */
void client_run(cli_client *c, const char *document, json_t *variables, cli_result *r);
void client_result_clear(cli_result *r);

#endif
