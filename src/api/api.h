/*
 * api.h - Plain's GraphQL API (SPEC §6) over the domain: one call per HTTP
 * request, independent of the HTTP library.
 *
 * api_graphql authenticates the bearer key, parses the JSON request body
 * ({"query", "variables", "operationName"}), executes it against hookd's
 * schema and writes the JSON response and the HTTP status to return:
 * 200 for results (mutation errors included, as MutationError values), 400
 * for GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED / BAD_USER_INPUT and
 * malformed JSON, 401 UNAUTHENTICATED, 403 FORBIDDEN, 500 INTERNAL_SERVER_ERROR.
 *
 * Thread-safe; the api object is immutable after api_new.
 */
#ifndef HOOKD_API_API_H
#define HOOKD_API_API_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "store/store.h"

typedef struct api api;

HK_MUST_CHECK hk_status api_new(hk_store *store, api **out, hk_error *err);
void api_free(api *a); /* accepts NULL */

typedef struct api_response {
    int http_status;
    hk_buf body; /* JSON; initialised by api_graphql, freed by the caller with hk_buf_free */
} api_response;

/*
 * `authorization` is the Authorization header's value or NULL. `body` is the
 * request body (the caller enforces the size limit and answers 413 itself).
 * Always fills *out (even on failure, with a JSON error body); returns
 * HK_ENOMEM only when not even that was possible.
 */
HK_MUST_CHECK hk_status api_graphql(api *a, const char *authorization, const char *body,
                                    size_t len, api_response *out);

#endif
