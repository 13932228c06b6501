/*
 * resolve.h - what the resolver files share: the request context, and
 * builders for the values Plain's schema repeats everywhere (DateTime,
 * actors, MutationError, Relay connections, page arguments).
 *
 * Resolver parents by GraphQL type:
 *   Customer -> const hk_customer *          CustomerGroup -> const hk_customer_group *
 *   CustomerGroupMembership -> const hk_membership *
 *   WebhookTarget -> const hk_webhook_target *   Workspace -> const hk_workspace *
 *   HookdWebhookDelivery -> const hk_delivery *  HookdEvent -> const hk_event *
 *   MachineUserActor -> map {machineUserId}, resolved further by id
 *   everything small (DateTime, EmailAddress, PageInfo, edges, outputs,
 *   MutationError) -> maps, which need no resolvers.
 */
#ifndef HOOKD_API_RESOLVE_H
#define HOOKD_API_RESOLVE_H

#include "domain/domain.h"
#include "graphql/graphql.h"

/* Per request (zeroed at its start): who is calling, and what its resolvers
 * keep for the rest of it. */
typedef struct api_request {
    hk_ctx ctx;
    /* The machine user last resolved (MachineUserActor.machineUser), in the
     * request's arena: a page of customers names the same one in every
     * createdBy and updatedBy, and it is read from the store once. */
    const hk_machine_user *machine_user;
    /* Set when an answer carries an internal error (a MutationError or field error of
     * type INTERNAL): Plain's format answers them 200, and operators count them. */
    bool internal_error;
} api_request;

static inline const hk_ctx *resolve_ctx(gql_field_ctx *fc)
{
    return &((api_request *)gql_user(fc))->ctx;
}

/* Binds every resolver of every file (resolve_*.c). */
HK_MUST_CHECK hk_status resolve_bind_all(gql_schema *s, hk_error *err);
HK_MUST_CHECK hk_status resolve_bind_customers(gql_schema *s);
HK_MUST_CHECK hk_status resolve_bind_groups(gql_schema *s);
HK_MUST_CHECK hk_status resolve_bind_workspace(gql_schema *s);
HK_MUST_CHECK hk_status resolve_bind_deliveries(gql_schema *s);
HK_MUST_CHECK hk_status resolve_bind_target_delivery(gql_schema *s);
HK_MUST_CHECK hk_status resolve_bind_events(gql_schema *s);

/* Binds a table of resolvers; stops at the first failure. */
typedef struct resolve_binding {
    const char *type;
    const char *field;
    gql_resolve_fn fn;
} resolve_binding;
HK_MUST_CHECK hk_status resolve_bind_table(gql_schema *s, const resolve_binding *b, size_t n);

/* ---- values ---- */

/* DateTime {unixTimestamp, iso8601}; null for HK_TIME_NONE. */
HK_MUST_CHECK hk_status resolve_datetime(gql_field_ctx *fc, int64_t t, gql_result *out);
/* Actor / InternalActor: a map of the concrete actor type. */
HK_MUST_CHECK hk_status resolve_actor(gql_field_ctx *fc, const hk_actor *a, gql_result *out);
/* A string copied into the request arena. */
HK_MUST_CHECK hk_status resolve_string(gql_field_ctx *fc, const char *s, gql_result *out);

/*
 * Puts a MutationError map for `err` under "error" of a mutation's output
 * map (SPEC §6): every domain failure, internal ones included (type
 * INTERNAL, code "internal"), is reported this way, as Plain does. Only
 * running out of memory here fails the request. Returns HK_OK when the
 * output is complete.
 */
HK_MUST_CHECK hk_status resolve_mutation_error(gql_field_ctx *fc, const hk_error *err,
                                               gql_result *output);

/* Starts the output map of a mutation with room for `cap` entries. */
HK_MUST_CHECK hk_status resolve_output(gql_field_ctx *fc, const char *type, size_t cap,
                                       gql_result *out);

/* Reads first/after/last/before. Bad values fail the field with
 * BAD_USER_INPUT (returned status non-OK). */
HK_MUST_CHECK hk_status resolve_page_args(gql_field_ctx *fc, hk_page_request *page);
/* Reads them without checking, for a list whose cursors are not ids and
 * which checks the page itself (hk_customer_list_sorted). */
void resolve_page_read(gql_field_ctx *fc, hk_page_request *page);

/* Slices an in-memory, id-ordered list (hk_page_slice) for a connection type
 * without totalCount; bad page arguments fail the field with 400
 * BAD_USER_INPUT. */
HK_MUST_CHECK hk_status resolve_page_slice(gql_field_ctx *fc, const hk_page_request *page,
                                           const char *const *ids, size_t n, size_t *from,
                                           size_t *count, hk_page_info *info);

/*
 * Builds a Relay connection map {edges: [{cursor, node}], pageInfo,
 * totalCount (when total >= 0)} whose nodes are objects of `node_type`:
 * node i is `(const char *)rows + i * row_size`, its cursor `cursor(row)`,
 * or info->cursors[i] when the page has cursors of its own.
 */
HK_MUST_CHECK hk_status resolve_connection(gql_field_ctx *fc, const char *conn_type,
                                           const char *edge_type, const char *node_type,
                                           const void *rows, size_t n, size_t row_size,
                                           const char *(*cursor)(const void *row),
                                           const hk_page_info *info, gql_result *out);

/* Maps a domain error of a query (not a mutation) to a field error or a
 * request failure: validation -> BAD_USER_INPUT (HTTP 400), forbidden ->
 * FORBIDDEN (request fails with 403), internal -> INTERNAL_SERVER_ERROR. */
hk_status resolve_query_error(gql_field_ctx *fc, const hk_error *err);

/* Maps a domain error about one nested field (not a root field) to an error
 * at that field's path, with GraphQL's null propagation: forbidden ->
 * FORBIDDEN (HTTP 403), validation -> BAD_USER_INPUT (400), internal ->
 * INTERNAL_SERVER_ERROR. Unlike resolve_query_error, the rest of the
 * response is kept. */
hk_status resolve_field_error(gql_field_ctx *fc, const hk_error *err);

/*
 * For a mutation, before it writes: HK_EFORBIDDEN (err filled, for
 * resolve_mutation_error) when its output selects the nested field `path`
 * (n names, e.g. customer.customerGroupMemberships) and the key may not read
 * memberships (customerGroupMembership:read), or selects the memberships'
 * groups, `path` followed by `to_group` (m names: edges.node.customerGroup
 * under a connection, customerGroup under a list), and the key may not read
 * customer groups (customerGroup:read). Refusing up front keeps "a FORBIDDEN
 * never comes with a change made"; the fields themselves refuse too,
 * whoever reaches them. n + m is at most 8.
 */
HK_MUST_CHECK hk_status resolve_mutation_reads_memberships(gql_field_ctx *fc,
                                                           const char *const *path, size_t n,
                                                           const char *const *to_group, size_t m,
                                                           hk_error *err);

/*
 * A [CustomerGroupIdentifier!] input as hk_group_refs (request arena).
 * `field` names the list in errors. At most HK_MAX_LIST_ITEMS items (checked
 * before anything is allocated); lookups by externalId are refused. Errors
 * are returned with *err filled (HK_ENOMEM without).
 */
HK_MUST_CHECK hk_status resolve_group_refs(gql_field_ctx *fc, const gql_value *list,
                                           const char *field, hk_group_ref **out, size_t *n,
                                           hk_error *err);

/* A string argument (NULL when absent or null). */
const char *resolve_arg_string(gql_field_ctx *fc, const char *name);
/* A string field of an input object value (NULL when absent or null). */
const char *resolve_input_string(const gql_value *obj, const char *key);
/* An optional wrapper {value: String} (StringInput / OptionalStringInput). */
hk_opt_str resolve_input_opt_string(const gql_value *obj, const char *key);

#endif
