/*
 * test_delivery_retry.c - the retry schedule: SPEC §5's default, parsing,
 * formatting and the next retry time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "delivery/retry.h"

#define S 1000LL
#define M (60 * S)
#define H (60 * M)
#define D (24 * H)

static void test_default_is_spec(void **state)
{
    static const int64_t want[] = {10 * S, 30 * S, 5 * M, 30 * M, 1 * H, 3 * H,
                                   6 * H,  12 * H, D,     D,      D,     D};
    hk_retry_schedule s;
    hk_retry_schedule_default(&s);
    assert_int_equal(s.n, 12);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(s.delay_ms[i], want[i]);
    assert_int_equal(hk_retry_max_attempts(&s), 13);
    char text[128];
    assert_string_equal(hk_retry_schedule_format(&s, text, sizeof text),
                        "10s,30s,5m,30m,1h,3h,6h,12h,1d,1d,1d,1d");
}

static void test_next_counts_from_end_of_attempt(void **state)
{
    hk_retry_schedule s;
    hk_retry_schedule_default(&s);
    int64_t end = 1700000000000;
    assert_int_equal(hk_retry_next(&s, 1, end), end + 10 * S);
    assert_int_equal(hk_retry_next(&s, 2, end), end + 30 * S);
    assert_int_equal(hk_retry_next(&s, 3, end), end + 5 * M);
    assert_int_equal(hk_retry_next(&s, 12, end), end + D);
    /* Attempt 13 is the last: failed for good. */
    assert_true(hk_retry_next(&s, 13, end) == HK_TIME_NONE);
    assert_true(hk_retry_next(&s, 14, end) == HK_TIME_NONE);
    assert_true(hk_retry_next(&s, UINT32_MAX, end) == HK_TIME_NONE);
    /* 0 is taken as the first attempt. */
    assert_int_equal(hk_retry_next(&s, 0, end), end + 10 * S);
}

static void test_sum_is_about_five_days(void **state)
{
    hk_retry_schedule s;
    hk_retry_schedule_default(&s);
    int64_t t = 0;
    for (uint32_t n = 1; hk_retry_next(&s, n, t) != HK_TIME_NONE; n++)
        t = hk_retry_next(&s, n, t);
    assert_int_equal(t, 10 * S + 30 * S + 5 * M + 30 * M + 1 * H + 3 * H + 6 * H + 12 * H + 4 * D);
}

static hk_retry_schedule parse_ok(const char *text)
{
    hk_retry_schedule s;
    hk_error err;
    hk_error_clear(&err);
    assert_int_equal(hk_retry_schedule_parse(text, &s, &err), HK_OK);
    return s;
}

static void parse_bad(const char *text, const char *message_part)
{
    hk_retry_schedule s;
    hk_error err;
    hk_error_clear(&err);
    s.n = 99;
    assert_int_equal(hk_retry_schedule_parse(text, &s, &err), HK_EINVAL);
    assert_int_equal(s.n, 0);
    if (!strstr(err.message, message_part))
        fail_msg("'%s': message '%s' lacks '%s'", text, err.message, message_part);
}

static void test_parse_units(void **state)
{
    hk_retry_schedule s = parse_ok("100ms,200ms,1s");
    assert_int_equal(s.n, 3);
    assert_int_equal(s.delay_ms[0], 100);
    assert_int_equal(s.delay_ms[1], 200);
    assert_int_equal(s.delay_ms[2], 1000);

    s = parse_ok("10s,30s,5m,30m,1h,3h,6h,12h,1d,1d,1d,1d");
    hk_retry_schedule def;
    hk_retry_schedule_default(&def);
    assert_memory_equal(&s, &def, sizeof s);

    s = parse_ok(" 1s , 2m ");
    assert_int_equal(s.n, 2);
    assert_int_equal(s.delay_ms[1], 2 * M);

    s = parse_ok("0ms");
    assert_int_equal(s.n, 1);
    assert_int_equal(s.delay_ms[0], 0);
    assert_int_equal(hk_retry_next(&s, 1, 5), 5);
    assert_true(hk_retry_next(&s, 2, 5) == HK_TIME_NONE);
}

static void test_parse_empty_means_no_retries(void **state)
{
    const char *empties[] = {"", "   ", "none", " none "};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        hk_retry_schedule s = parse_ok(empties[i]);
        assert_int_equal(s.n, 0);
        assert_int_equal(hk_retry_max_attempts(&s), 1);
        assert_true(hk_retry_next(&s, 1, 0) == HK_TIME_NONE);
    }
    char text[16];
    hk_retry_schedule s = parse_ok("");
    assert_string_equal(hk_retry_schedule_format(&s, text, sizeof text), "none");
}

static void test_parse_errors(void **state)
{
    parse_bad("1s,,2s", "item 2 is empty");
    parse_bad("1s,", "item 2 is empty");
    parse_bad(",1s", "item 1 is empty");
    parse_bad("10", "item 1 '10' is not a duration");
    parse_bad("1s,2x", "item 2 '2x' is not a duration");
    parse_bad("1 s", "item 1 '1 s' is not a duration");
    parse_bad("-1s", "is not a duration");
    parse_bad("1.5s", "is not a duration");
    parse_bad("s", "is not a duration");
    parse_bad("1S", "is not a duration");
    parse_bad("366d", "longer than 365d");
    parse_bad("99999999999999999999ms", "is not a duration");
    parse_bad("nonesuch", "is not a duration");
    parse_bad(NULL, "none given");

    char many[HK_RETRY_MAX * 4 + 8] = "";
    for (int i = 0; i <= HK_RETRY_MAX; i++)
        strcat(many, i ? ",1s" : "1s");
    parse_bad(many, "more than 64 retries");
    many[strlen(many) - 3] = '\0'; /* exactly HK_RETRY_MAX */
    assert_int_equal(parse_ok(many).n, HK_RETRY_MAX);
}

static void test_format_round_trips(void **state)
{
    const char *texts[] = {"100ms,200ms,1s", "1500ms,90s,61m,25h,2d", "0ms", "none"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        hk_retry_schedule s = parse_ok(texts[i]);
        char out[256];
        assert_string_equal(hk_retry_schedule_format(&s, out, sizeof out), texts[i]);
    }
    hk_retry_schedule s = parse_ok("90s");
    char out[256];
    assert_string_equal(hk_retry_schedule_format(&s, out, sizeof out), "90s");
    /* Truncation keeps a terminated prefix. */
    hk_retry_schedule_default(&s);
    char small[8];
    hk_retry_schedule_format(&s, small, sizeof small);
    assert_true(strlen(small) < sizeof small);
    assert_int_equal(strncmp(small, "10s,30s", strlen(small)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_spec),
        cmocka_unit_test(test_next_counts_from_end_of_attempt),
        cmocka_unit_test(test_sum_is_about_five_days),
        cmocka_unit_test(test_parse_units),
        cmocka_unit_test(test_parse_empty_means_no_retries),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_format_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
