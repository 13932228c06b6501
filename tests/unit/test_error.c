#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"

static void test_status_str(void **state)
{
    assert_string_equal(hk_status_str(HK_OK), "ok");
    assert_string_equal(hk_status_str(HK_ENOMEM), "out of memory");
    assert_string_equal(hk_status_str(HK_EPARSE), "malformed");
    for (int i = 0; i < HK_STATUS_COUNT; i++)
        assert_non_null(hk_status_str((hk_status)i));
    assert_string_equal(hk_status_str(HK_STATUS_COUNT), "unknown status");
    assert_string_equal(hk_status_str((hk_status)-1), "unknown status");
}

static void test_default_codes(void **state)
{
    assert_null(hk_error_default_code(HK_OK));
    assert_string_equal(hk_error_default_code(HK_EINVAL), "input_validation");
    assert_string_equal(hk_error_default_code(HK_ETOOBIG), "input_validation");
    assert_string_equal(hk_error_default_code(HK_EPARSE), "input_validation");
    assert_string_equal(hk_error_default_code(HK_ENOTFOUND), "not_found");
    assert_string_equal(hk_error_default_code(HK_EFORBIDDEN), "forbidden");
    assert_string_equal(hk_error_default_code(HK_EIO), "internal");
    assert_string_equal(hk_error_default_code(HK_ENOMEM), "internal");
}

static void test_set(void **state)
{
    hk_error err;
    memset(&err, 0x5a, sizeof err);
    hk_error_clear(&err);
    assert_int_equal(err.status, HK_OK);
    assert_null(err.code);
    assert_string_equal(err.message, "");
    assert_int_equal(err.nfields, 0);

    assert_int_equal(hk_error_set(&err, HK_ENOTFOUND, NULL, "customer %s not found", "c_1"),
                     HK_ENOTFOUND);
    assert_int_equal(err.status, HK_ENOTFOUND);
    assert_int_equal(err.type, HK_ERROR_VALIDATION);
    assert_string_equal(err.code, "not_found");
    assert_string_equal(err.message, "customer c_1 not found");

    assert_int_equal(
        hk_error_set(&err, HK_ECONFLICT, "customer_already_exists_with_email", "taken"),
        HK_ECONFLICT);
    assert_string_equal(err.code, "customer_already_exists_with_email");
    assert_int_equal(err.type, HK_ERROR_VALIDATION);
    assert_string_equal(err.message, "taken");

    hk_error_set(&err, HK_EFORBIDDEN, NULL, "no");
    assert_int_equal(err.type, HK_ERROR_FORBIDDEN);
    assert_string_equal(err.code, "forbidden");
    hk_error_set(&err, HK_EIO, NULL, "disk");
    assert_int_equal(err.type, HK_ERROR_INTERNAL);
    assert_string_equal(err.code, "internal");

    /* Without an error to fill in, only the status comes back. */
    assert_int_equal(hk_error_set(NULL, HK_EINVAL, NULL, "x"), HK_EINVAL);
    hk_error_clear(NULL);
}

static void test_message_truncated(void **state)
{
    hk_error err;
    hk_error_clear(&err);
    char long_msg[1000];
    memset(long_msg, 'q', sizeof long_msg - 1);
    long_msg[sizeof long_msg - 1] = '\0';
    hk_error_set(&err, HK_EINVAL, NULL, "%s", long_msg);
    assert_int_equal(strlen(err.message), HK_ERROR_MESSAGE_MAX - 1);
}

static void test_fields(void **state)
{
    hk_error err;
    hk_error_clear(&err);
    assert_int_equal(hk_error_field(&err, HK_EINVAL, NULL, "fullName", HK_FIELD_VALIDATION,
                                    "must be 1-%d characters", 500),
                     HK_EINVAL);
    assert_string_equal(err.code, "input_validation");
    /* The first field's message doubles as the error message. */
    assert_string_equal(err.message, "must be 1-500 characters");
    assert_int_equal(err.nfields, 1);
    assert_string_equal(err.fields[0].field, "fullName");
    assert_string_equal(err.fields[0].message, "must be 1-500 characters");
    assert_int_equal(err.fields[0].type, HK_FIELD_VALIDATION);

    hk_error_field(&err, HK_EINVAL, NULL, "identifier.emailAddress", HK_FIELD_REQUIRED, "required");
    assert_int_equal(err.nfields, 2);
    assert_string_equal(err.message, "must be 1-500 characters");
    assert_string_equal(err.fields[1].field, "identifier.emailAddress");
    assert_int_equal(err.fields[1].type, HK_FIELD_REQUIRED);

    /* hk_error_set overwrites the head and keeps the fields. */
    hk_error_set(&err, HK_EINVAL, NULL, "Input validation failed");
    assert_string_equal(err.message, "Input validation failed");
    assert_int_equal(err.nfields, 2);

    for (int i = 0; i < 10; i++)
        hk_error_field(&err, HK_EINVAL, NULL, "f", HK_FIELD_VALIDATION, "m%d", i);
    assert_int_equal(err.nfields, HK_ERROR_MAX_FIELDS);
    assert_string_equal(err.fields[HK_ERROR_MAX_FIELDS - 1].message, "m1");

    char long_field[200];
    memset(long_field, 'f', sizeof long_field - 1);
    long_field[sizeof long_field - 1] = '\0';
    hk_error_clear(&err);
    hk_error_field(&err, HK_ENOTFOUND, NULL, long_field, HK_FIELD_NOT_FOUND, "gone");
    assert_int_equal(strlen(err.fields[0].field), HK_ERROR_FIELD_MAX - 1);
    assert_string_equal(err.code, "not_found");

    assert_int_equal(hk_error_field(NULL, HK_EINVAL, NULL, "x", HK_FIELD_VALIDATION, "y"),
                     HK_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_str), cmocka_unit_test(test_default_codes),
        cmocka_unit_test(test_set),        cmocka_unit_test(test_message_truncated),
        cmocka_unit_test(test_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
