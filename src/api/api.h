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
 * Thread-safe; the api object is immutable once set up (api_new, then
 * api_track_key_usage) and serving.
 */
#ifndef HOOKD_API_API_H
#define HOOKD_API_API_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "domain/domain.h"
#include "domain/key_usage.h"
#include "store/store.h"

typedef struct api api;

HK_MUST_CHECK hk_status api_new(hk_store *store, api **out, hk_error *err);
void api_free(api *a); /* accepts NULL */

/* Every request authenticated from now on notes its key's use in `usage`
 * (which must outlive the requests; NULL: none). Call before serving. */
void api_track_key_usage(api *a, hk_key_usage *usage);

typedef struct api_response {
    int http_status;
    hk_buf body; /* JSON; initialised by api_graphql, freed by the caller with hk_buf_free */
    /* The answer reports the server's own failure: a 5xx, or an INTERNAL error that
     * Plain's format answers 200 (a MutationError of type INTERNAL when the disk is full). */
    bool internal_error;
} api_response;

/*
 * `authorization` is the Authorization header's value or NULL. `body` is the
 * request body (the caller enforces the size limit and answers 413 itself).
 * Always fills *out (even on failure, with a JSON error body); returns
 * HK_ENOMEM only when not even that was possible. The same as
 * api_auth_lookup, then api_auth_answer or api_graphql_as.
 */
HK_MUST_CHECK hk_status api_graphql(api *a, const char *authorization, const char *body, size_t len,
                                    api_response *out);

/*
 * Authentication apart from the request, so that an HTTP server can refuse a
 * request before reading its body. Keys are remembered for a few seconds
 * (HK_AUTH_CACHE_TTL_MS); api_auth_cached never reads the store and may be
 * called where waiting is not allowed (an HTTP polling thread).
 */
typedef struct api_caller {
    hk_ctx ctx; /* the key's workspace, machine user and permissions */
} api_caller;

typedef enum api_auth {
    API_AUTH_OK,      /* *who is the key's caller */
    API_AUTH_REFUSED, /* no Bearer key, or a key that is unknown or revoked: 401 */
    API_AUTH_LOOKUP,  /* api_auth_cached only: not remembered, api_auth_lookup must read it */
    API_AUTH_FAILED,  /* the key could not be checked (the store failed): 500 */
} api_auth;

api_auth api_auth_cached(api *a, const char *authorization, api_caller *who);
/* Reads the store when the key is not remembered. */
api_auth api_auth_lookup(api *a, const char *authorization, api_caller *who);
/* Fills *out (initialising its body) with the answer to API_AUTH_REFUSED (401, saying
 * whether the key was missing or wrong) or API_AUTH_FAILED (500). */
void api_auth_answer(api_auth result, const char *authorization, api_response *out);
/* The request of an authenticated caller: as api_graphql, without the key. */
HK_MUST_CHECK hk_status api_graphql_as(api *a, const api_caller *who, const char *body, size_t len,
                                       api_response *out);

#endif
