#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"

static void check_format(int64_t ms, const char *want)
{
    char out[HK_TIME_ISO_BUF];
    memset(out, 'x', sizeof out);
    hk_time_format(ms, out);
    assert_string_equal(out, want);
    assert_int_equal(strlen(out), HK_TIME_ISO_LEN);
}

static int64_t parse_ok(const char *s)
{
    int64_t v = -1;
    assert_int_equal(hk_time_parse(s, strlen(s), &v), HK_OK);
    return v;
}

static void parse_bad(const char *s)
{
    int64_t v = -1;
    assert_int_equal(hk_time_parse(s, strlen(s), &v), HK_EPARSE);
    assert_int_equal(v, 0);
}

static void test_format_known(void **state)
{
    check_format(1697725303616, "2023-10-19T14:21:43.616Z");
    check_format(0, "1970-01-01T00:00:00.000Z");
    check_format(-1, "1969-12-31T23:59:59.999Z");
    check_format(951782400000, "2000-02-29T00:00:00.000Z");
    check_format(951868800000, "2000-03-01T00:00:00.000Z");
    check_format(4107542400000, "2100-03-01T00:00:00.000Z"); /* 2100 is not leap */
    check_format(1709164800000, "2024-02-29T00:00:00.000Z");
    check_format(1798761599999, "2026-12-31T23:59:59.999Z");
    check_format(INT64_C(-62167219200000), "0000-01-01T00:00:00.000Z");
    check_format(INT64_C(253402300799999), "9999-12-31T23:59:59.999Z");
}

static void test_format_clamps(void **state)
{
    check_format(INT64_MIN, "0000-01-01T00:00:00.000Z");
    check_format(INT64_C(-62167219200001), "0000-01-01T00:00:00.000Z");
    check_format(INT64_MAX, "9999-12-31T23:59:59.999Z");
    check_format(INT64_C(253402300800000), "9999-12-31T23:59:59.999Z");
}

static void test_parse_known(void **state)
{
    assert_int_equal(parse_ok("2023-10-19T14:21:43.616Z"), 1697725303616);
    assert_int_equal(parse_ok("2023-10-19t14:21:43.616z"), 1697725303616);
    assert_int_equal(parse_ok("2023-10-19T14:21:43Z"), 1697725303000);
    assert_int_equal(parse_ok("2023-10-19T14:21:43.6Z"), 1697725303600);
    assert_int_equal(parse_ok("2023-10-19T14:21:43.61699999Z"), 1697725303616);
    assert_int_equal(parse_ok("2023-10-19T16:21:43.616+02:00"), 1697725303616);
    assert_int_equal(parse_ok("2023-10-19T09:51:43.616-04:30"), 1697725303616);
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("1969-12-31T23:59:59.999Z"), -1);
    assert_int_equal(parse_ok("2024-02-29T00:00:00Z"), 1709164800000);
    assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), 951782400000);
    /* A leap second lands on the next minute. */
    assert_int_equal(parse_ok("2016-12-31T23:59:60Z"), 1483228800000);
}

static void test_parse_rejects(void **state)
{
    parse_bad("");
    parse_bad("2023-02-29T00:00:00Z"); /* not a leap year */
    parse_bad("1900-02-29T00:00:00Z"); /* divisible by 100, not 400 */
    parse_bad("2023-04-31T00:00:00Z");
    parse_bad("2023-13-01T00:00:00Z");
    parse_bad("2023-00-01T00:00:00Z");
    parse_bad("2023-01-00T00:00:00Z");
    parse_bad("2023-01-01T24:00:00Z");
    parse_bad("2023-01-01T00:60:00Z");
    parse_bad("2023-01-01T00:00:61Z");
    parse_bad("2023-01-01T00:00:00");      /* no offset */
    parse_bad("2023-01-01T00:00:00.Z");    /* empty fraction */
    parse_bad("2023-01-01 00:00:00Z");     /* space separator */
    parse_bad("2023-01-01T00:00:00+0100"); /* offset without colon */
    parse_bad("2023-01-01T00:00:00+24:00");
    parse_bad("2023-01-01T00:00:00+01:60");
    parse_bad("2023-01-01T00:00:00ZZ");
    parse_bad("2023-1-01T00:00:00Z");
    parse_bad("+2023-01-01T00:00:00Z");
    parse_bad("2023-01-01");
    /* Length bounds the parse: the NUL-free prefix alone is incomplete. */
    int64_t v = -1;
    const char *s = "2023-10-19T14:21:43.616Z";
    assert_int_equal(hk_time_parse(s, 23, &v), HK_EPARSE);
    assert_int_equal(hk_time_parse(NULL, 0, &v), HK_EPARSE);
}

static void test_roundtrip(void **state)
{
    /* Spans negative times, leap days and centuries. */
    char buf[HK_TIME_ISO_BUF];
    for (int64_t ms = INT64_C(-62167219200000); ms < INT64_C(253402300799999);
         ms += INT64_C(7777777777) + 123) {
        hk_time_format(ms, buf);
        assert_int_equal(parse_ok(buf), ms);
    }
    int64_t now = hk_now_ms();
    hk_time_format(now, buf);
    assert_int_equal(parse_ok(buf), now);
}

static void test_clocks(void **state)
{
    /* After 2023-01-01 and before 2100: catches unit mistakes (s vs ms). */
    int64_t now = hk_now_ms();
    assert_true(now > INT64_C(1672531200000));
    assert_true(now < INT64_C(4102444800000));
    int64_t a = hk_mono_ns();
    int64_t b = hk_mono_ns();
    assert_true(b >= a);
    int64_t m = hk_mono_ms();
    assert_true(m >= a / 1000000);
}

static int64_t dur_ok(const char *s)
{
    int64_t v = -1;
    assert_int_equal(hk_duration_parse(s, strlen(s), &v), HK_OK);
    return v;
}

static void dur_bad(const char *s)
{
    int64_t v = -1;
    assert_int_equal(hk_duration_parse(s, strlen(s), &v), HK_EPARSE);
    assert_int_equal(v, 0);
}

static void test_duration(void **state)
{
    assert_int_equal(dur_ok("100ms"), 100);
    assert_int_equal(dur_ok("30s"), 30000);
    assert_int_equal(dur_ok("5m"), 300000);
    assert_int_equal(dur_ok("3h"), 10800000);
    assert_int_equal(dur_ok("1d"), 86400000);
    assert_int_equal(dur_ok("0s"), 0);
    assert_int_equal(dur_ok("007s"), 7000);
    assert_int_equal(dur_ok("9223372036854775807ms"), INT64_MAX);
    dur_bad("10");
    dur_bad("ms");
    dur_bad("-1s");
    dur_bad("+1s");
    dur_bad("");
    dur_bad("1 s");
    dur_bad("1.5s");
    dur_bad("1w");
    dur_bad("1sec");
    dur_bad("5M");
    dur_bad("1s ");
    dur_bad("9223372036854775808ms");
    dur_bad("9223372036854775807s");
    dur_bad("106751991167301d");
    dur_bad("99999999999999999999999ms");
    int64_t v = -1;
    assert_int_equal(hk_duration_parse("100ms", 4, &v), HK_OK); /* "100m" */
    assert_int_equal(v, 6000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known), cmocka_unit_test(test_format_clamps),
        cmocka_unit_test(test_parse_known),  cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_roundtrip),    cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
