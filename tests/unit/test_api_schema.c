/*
 * test_api_schema.c - the served schema loads, every resolver binds, and no
 * field reachable from a served root would always fail (non-null, not a
 * list, no resolver, not produced as a map).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "api/resolve.h"

extern const char hk_api_schema_sdl[];
extern const size_t hk_api_schema_sdl_len;

static const char *const roots[] = {
    "Query.myWorkspace",
    "Query.customer",
    "Query.customers",
    "Query.customerByEmail",
    "Query.customerByExternalId",
    "Query.customerGroup",
    "Query.customerGroups",
    "Query.webhookVersions",
    "Query.webhookTarget",
    "Query.webhookTargets",
    "Query.workspaceHmac",
    "Mutation.upsertCustomer",
    "Mutation.deleteCustomer",
    "Mutation.markCustomerAsSpam",
    "Mutation.unmarkCustomerAsSpam",
    "Mutation.createCustomerGroup",
    "Mutation.updateCustomerGroup",
    "Mutation.deleteCustomerGroup",
    "Mutation.addCustomerToCustomerGroups",
    "Mutation.removeCustomerFromCustomerGroups",
    "Mutation.createWebhookTarget",
    "Mutation.updateWebhookTarget",
    "Mutation.deleteWebhookTarget",
    "Mutation.regenerateWorkspaceHmac",
    "Query.hookdWebhookDeliveries",
    "Query.hookdEvent",
    "Query.hookdEvents",
    "Mutation.hookdResendWebhookEvent",
    "Mutation.hookdResendFailedWebhookDeliveries",
    "Mutation.hookdSendTestWebhookEvent",
};

/* Types the resolvers produce as maps (their fields need no resolvers). */
static const char *const map_types[] = {
    "DateTime",
    "EmailAddress",
    "PageInfo",
    "MutationError",
    "MutationFieldError",
    "UserActor",
    "SystemActor",
    "MachineUserActor",
    "CustomerActor",
    "DeletedCustomerActor",
    "CustomerConnection",
    "CustomerEdge",
    "CustomerGroupConnection",
    "CustomerGroupEdge",
    "CustomerGroupMembershipConnection",
    "CustomerGroupMembershipEdge",
    "CustomerTenantMembershipConnection",
    "WebhookVersionConnection",
    "WebhookVersionEdge",
    "WebhookVersion",
    "WebhookTargetConnection",
    "WebhookTargetEdge",
    "WebhookTargetEventSubscription",
    "WorkspaceHmac",
    "WorkspaceEmailSettings",
    "WorkspaceChatSettings",
    "UpsertCustomerOutput",
    "DeleteCustomerOutput",
    "MarkCustomerAsSpamOutput",
    "UnmarkCustomerAsSpamOutput",
    "CreateCustomerGroupOutput",
    "UpdateCustomerGroupOutput",
    "DeleteCustomerGroupOutput",
    "AddCustomerToCustomerGroupsOutput",
    "RemoveCustomerFromCustomerGroupsOutput",
    "CreateWebhookTargetOutput",
    "UpdateWebhookTargetOutput",
    "DeleteWebhookTargetOutput",
    "RegenerateWorkspaceHmacOutput",
    "HookdWebhookDeliveryConnection",
    "HookdWebhookDeliveryEdge",
    "HookdWebhookDeliveryAttempt",
    "HookdResendWebhookEventOutput",
    "HookdResendFailedWebhookDeliveriesOutput",
    "HookdSendTestWebhookEventOutput",
    "HookdWebhookTargetDelivery",
    "HookdUpdateWebhookTargetDeliveryOutput",
    "HookdEventConnection",
    "HookdEventEdge",
    "HookdHttpHeader",
};

static void test_served_schema_is_complete(void **state)
{
    gql_schema *s = NULL;
    hk_error err;
    hk_error_clear(&err);
    assert_int_equal(gql_schema_new(hk_api_schema_sdl, hk_api_schema_sdl_len, &s, &err), HK_OK);
    assert_int_equal(resolve_bind_all(s, &err), HK_OK);
    hk_buf report;
    hk_buf_init(&report, 0);
    size_t missing = gql_schema_check(s, roots, sizeof roots / sizeof roots[0], map_types,
                                      sizeof map_types / sizeof map_types[0], &report);
    if (missing)
        fprintf(stderr, "fields that would always fail:\n%s", report.data);
    hk_buf_free(&report);
    gql_schema_free(s);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_served_schema_is_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
