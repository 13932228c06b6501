/*
 * test_store_pg.c - what only a shared PostgreSQL store does: several
 * processes (here, several hk_store on one schema) at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

static void test_placeholder(void **state)
{
    (void)state;
}

int main(void)
{
    if (!test_database_url()) {
        printf("test_store_pg: HOOKD_TEST_DATABASE_URL is not set: nothing to test\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
