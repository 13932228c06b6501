#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#include <jansson.h>

/* stderr is pointed at a temporary file for the duration of each test. */
typedef struct {
    FILE *file;
    int saved_fd;
} capture;

static int setup(void **state)
{
    capture *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->file = tmpfile();
    c->saved_fd = dup(STDERR_FILENO);
    if (!c->file || c->saved_fd < 0 || dup2(fileno(c->file), STDERR_FILENO) < 0)
        return -1;
    hk_log_set_level(HK_LOG_INFO);
    *state = c;
    return 0;
}

/* cmocka reports failures on stderr too: pass on whatever in the capture is
 * not a log record, or a failing test would go unexplained. */
static void forward_non_records(FILE *f)
{
    char line[8192];
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        int64_t t;
        if (strncmp(line, "{\"time\":", 8) == 0 || strncmp(line, "hookd: ", 7) == 0)
            continue; /* a JSON record, or a report (test_report's) */
        if (strlen(line) < HK_TIME_ISO_LEN || hk_time_parse(line, HK_TIME_ISO_LEN, &t) != HK_OK)
            fputs(line, stderr);
    }
}

static int teardown(void **state)
{
    capture *c = *state;
    dup2(c->saved_fd, STDERR_FILENO);
    forward_non_records(c->file);
    close(c->saved_fd);
    fclose(c->file);
    free(c);
    hk_log_set_level(HK_LOG_INFO);
    hk_log_set_format(HK_LOG_FORMAT_TEXT);
    return 0;
}

/* Everything logged so far; the caller frees it. */
static char *captured(void **state, size_t *len)
{
    capture *c = *state;
    off_t end = lseek(fileno(c->file), 0, SEEK_END);
    assert_true(end >= 0);
    char *s = malloc((size_t)end + 1);
    assert_non_null(s);
    assert_int_equal(pread(fileno(c->file), s, (size_t)end, 0), end);
    s[end] = '\0';
    *len = (size_t)end;
    return s;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ " followed by want (level label and message). */
static void assert_record(const char *line, size_t n, const char *want)
{
    assert_true(n > HK_TIME_ISO_LEN + 1);
    int64_t t;
    assert_int_equal(hk_time_parse(line, HK_TIME_ISO_LEN, &t), HK_OK);
    assert_true(llabs(t - hk_now_ms()) < 60000);
    assert_int_equal(line[HK_TIME_ISO_LEN - 1], 'Z');
    assert_int_equal(line[HK_TIME_ISO_LEN], ' ');
    size_t wn = strlen(want);
    assert_int_equal(n, HK_TIME_ISO_LEN + 1 + wn);
    assert_memory_equal(line + HK_TIME_ISO_LEN + 1, want, wn);
}

static void test_level_parse(void **state)
{
    hk_log_level l = HK_LOG_OFF;
    assert_int_equal(hk_log_level_parse("debug", &l), HK_OK);
    assert_int_equal(l, HK_LOG_DEBUG);
    assert_int_equal(hk_log_level_parse("info", &l), HK_OK);
    assert_int_equal(l, HK_LOG_INFO);
    assert_int_equal(hk_log_level_parse("warn", &l), HK_OK);
    assert_int_equal(l, HK_LOG_WARN);
    assert_int_equal(hk_log_level_parse("ERROR", &l), HK_OK);
    assert_int_equal(l, HK_LOG_ERROR);
    assert_int_equal(hk_log_level_parse("off", &l), HK_OK);
    assert_int_equal(l, HK_LOG_OFF);
    assert_int_equal(hk_log_level_parse("warning", &l), HK_EINVAL);
    assert_int_equal(hk_log_level_parse("", &l), HK_EINVAL);
    assert_int_equal(hk_log_level_parse("info ", &l), HK_EINVAL);
    assert_int_equal(hk_log_level_parse(NULL, &l), HK_EINVAL);
}

static void test_format_and_filter(void **state)
{
    assert_int_equal(hk_log_get_level(), HK_LOG_INFO);
    hk_log_debug("dropped %d", 1);
    hk_log_info("hello %s %d", "world", 42);
    hk_log_warn("careful");
    hk_log_error("broken");
    hk_log_set_level(HK_LOG_ERROR);
    assert_int_equal(hk_log_get_level(), HK_LOG_ERROR);
    hk_log_warn("dropped too");
    hk_log_error("still here");
    hk_log_set_level(HK_LOG_OFF);
    hk_log_error("silenced");
    hk_log(HK_LOG_OFF, "not a level to log at");
    hk_log_set_level(HK_LOG_DEBUG);
    hk_log_debug("now shown");

    size_t len;
    char *out = captured(state, &len);
    const char *want[] = {"INFO  hello world 42", "WARN  careful", "ERROR broken",
                          "ERROR still here", "DEBUG now shown"};
    char *line = out;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_record(line, (size_t)(nl - line), want[i]);
        line = nl + 1;
    }
    assert_string_equal(line, "");
    free(out);
}

static void test_one_line_per_record(void **state)
{
    hk_log_info("a\nfake 2026-01-01T00:00:00.000Z ERROR x\r\x01y");
    size_t len;
    char *out = captured(state, &len);
    assert_record(out, len - 1, "INFO  a fake 2026-01-01T00:00:00.000Z ERROR x  y");
    assert_int_equal(out[len - 1], '\n');
    free(out);
}

static void test_truncation(void **state)
{
    size_t big = 10000;
    char *msg = malloc(big + 1);
    assert_non_null(msg);
    memset(msg, 'm', big);
    msg[big] = '\0';
    hk_log_info("%s", msg);
    /* A multi-byte character across the cut is dropped whole. */
    for (size_t i = 0; i + 1 < big; i += 2)
        memcpy(msg + i, "\xc3\xa9", 2);
    hk_log_info("%s", msg);
    free(msg);

    size_t len;
    char *out = captured(state, &len);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    size_t n1 = (size_t)(nl - out) + 1;
    assert_int_equal(n1, 4096);
    assert_memory_equal(out + n1 - 4, "...\n", 4);
    assert_int_equal(out[n1 - 5], 'm');

    char *second = nl + 1;
    size_t n2 = len - n1;
    assert_true(n2 <= 4096 && n2 >= 4094);
    assert_memory_equal(second + n2 - 4, "...\n", 4);
    /* The byte before "..." ends a complete "é". */
    assert_int_equal((unsigned char)second[n2 - 5], 0xa9);
    assert_int_equal((unsigned char)second[n2 - 6], 0xc3);
    free(out);
}

static void *log_many(void *arg)
{
    for (int i = 0; i < 500; i++)
        hk_log_info("thread %d line %d %s", *(int *)arg, i,
                    "padding padding padding padding padding padding padding");
    return NULL;
}

/* A failure repeated every second for two minutes, with a 60 s window: the
 * first is let through, then one a minute with the count held back, and the
 * success that ends it says how many there were. */
static void test_gate(void **state)
{
    hk_log_gate g = {.window_ms = 60000};
    unsigned suppressed = 99, failures = 99;
    assert_false(hk_log_gate_ok(&g, &failures)); /* nothing was failing */
    assert_int_equal(failures, 0);
    int logged = 0;
    for (int i = 0; i < 120; i++) {
        if (hk_log_gate_fail(&g, 1000 + (int64_t)i * 1000, &suppressed)) {
            logged++;
            if (i == 0)
                assert_int_equal(suppressed, 0);
            else if (i == 60)
                assert_int_equal(suppressed, 59);
            else
                fail_msg("logged at second %d", i);
        }
    }
    assert_int_equal(logged, 2);
    assert_true(hk_log_gate_ok(&g, &failures));
    assert_int_equal(failures, 120);
    assert_false(hk_log_gate_ok(&g, &failures)); /* once only */
    /* A new failure afterwards is logged at once. */
    assert_true(hk_log_gate_fail(&g, 200000, &suppressed));
    assert_int_equal(suppressed, 0);
    (void)state;
}

static void test_threads_do_not_interleave(void **state)
{
    pthread_t th[4];
    int ids[4] = {0, 1, 2, 3};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, log_many, &ids[i]), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    size_t len;
    char *out = captured(state, &len);
    int lines = 0;
    for (char *line = out; *line; lines++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        int t, i, consumed = 0;
        assert_int_equal(
            sscanf(line + HK_TIME_ISO_LEN, " INFO  thread %d line %d %n", &t, &i, &consumed), 2);
        assert_true(consumed > 0);
        assert_int_equal(nl - (line + HK_TIME_ISO_LEN + consumed), 55);
        line = nl + 1;
    }
    assert_int_equal(lines, 2000);
    free(out);
}

/* Each JSON record parses as one object with time, level and msg; the message comes back
 * exactly, whatever it holds, and a long one is cut at a character with "...". */
static void test_json_format(void **state)
{
    hk_log_format f = HK_LOG_FORMAT_JSON;
    assert_int_equal(hk_log_format_parse("json", &f), HK_OK);
    assert_int_equal(f, HK_LOG_FORMAT_JSON);
    assert_int_equal(hk_log_format_parse("TEXT", &f), HK_OK);
    assert_int_equal(f, HK_LOG_FORMAT_TEXT);
    assert_int_equal(hk_log_format_parse("yaml", &f), HK_EINVAL);
    assert_int_equal(hk_log_format_parse(NULL, &f), HK_EINVAL);

    hk_log_set_format(HK_LOG_FORMAT_JSON);
    hk_log_warn("quote \" backslash \\ newline\n tab\t bell\x07 del\x7f é €");
    hk_log_error("bad utf-8: \xff\xc3( end");
    hk_log_debug("dropped");
    size_t big = 9001;
    char *msg = malloc(big + 1);
    assert_non_null(msg);
    for (size_t i = 0; i + 1 < big; i += 2)
        memcpy(msg + i, "\xc3\xa9", 2);
    msg[big - 1] = 'z';
    msg[big] = '\0';
    hk_log_info("%s", msg);
    free(msg);

    size_t len;
    char *out = captured(state, &len);
    const char *want_level[] = {"warn", "error", "info"};
    const char *want_msg[] = {"quote \" backslash \\ newline\n tab\t bell\x07 del\x7f é €",
                              "bad utf-8: \xef\xbf\xbd\xef\xbf\xbd( end", NULL};
    char *line = out;
    for (size_t i = 0; i < 3; i++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(nl - line <= 4096);
        json_error_t jerr;
        json_t *j = json_loadb(line, (size_t)(nl - line), 0, &jerr);
        if (!j)
            fail_msg("not JSON: %s: %.*s", jerr.text, (int)(nl - line), line);
        assert_int_equal(json_object_size(j), 3);
        int64_t t;
        const char *time = json_string_value(json_object_get(j, "time"));
        assert_non_null(time);
        assert_int_equal(hk_time_parse(time, strlen(time), &t), HK_OK);
        assert_string_equal(json_string_value(json_object_get(j, "level")), want_level[i]);
        const char *m = json_string_value(json_object_get(j, "msg"));
        assert_non_null(m);
        if (want_msg[i]) {
            assert_string_equal(m, want_msg[i]);
        } else { /* cut: whole characters, then "..." */
            size_t n = strlen(m);
            assert_true(n > 3000 && n < 4096);
            assert_string_equal(m + n - 3, "...");
            assert_true(n % 2 == 1); /* "é" (2 bytes) each, then "..." */
        }
        json_decref(j);
        line = nl + 1;
    }
    assert_string_equal(line, "");
    free(out);
}

/* Ids as fields of their own in JSON (absent ones left out); the text format unchanged. */
static void test_ids(void **state)
{
    hk_log_ids ids = {.workspace_id = "w_1",
                      .target_id = "whTarget_2",
                      .event_id = "pEv_3",
                      .attempt_id = ""}; /* "" is left out, like NULL */
    hk_log_with(HK_LOG_INFO, &ids, "text %d", 1);
    hk_log_set_format(HK_LOG_FORMAT_JSON);
    hk_log_with(HK_LOG_WARN, &ids, "delivery of %s failed", "pEv_3");
    hk_log_ids odd = {.event_id = "a\"b"};
    hk_log_with(HK_LOG_WARN, &odd, "odd");
    hk_log_with(HK_LOG_WARN, NULL, "none");
    size_t len;
    char *out = captured(state, &len);
    char *line = strchr(out, '\n');
    assert_non_null(line);
    assert_non_null(strstr(out, "INFO  text 1\n"));
    json_t *j = json_loads(line + 1, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 6);
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "delivery of pEv_3 failed");
    assert_string_equal(json_string_value(json_object_get(j, "workspaceId")), "w_1");
    assert_string_equal(json_string_value(json_object_get(j, "webhookTargetId")), "whTarget_2");
    assert_string_equal(json_string_value(json_object_get(j, "eventId")), "pEv_3");
    assert_null(json_object_get(j, "attemptId"));
    json_decref(j);
    line = strchr(line + 1, '\n');
    j = json_loads(line + 1, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "eventId")), "a\"b");
    json_decref(j);
    line = strchr(line + 1, '\n');
    j = json_loads(line + 1, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 3);
    json_decref(j);
    free(out);
}

/* Reports: "prog: message" in text whatever the level, an error record in JSON. */
static void test_report(void **state)
{
    hk_log_set_level(HK_LOG_OFF);
    hk_log_report("hookd", "cannot listen on %s: %s", "127.0.0.1:1", "in use\n");
    hk_log_set_format(HK_LOG_FORMAT_JSON);
    hk_log_report("hookd", "no store in \"%s\"", "/x");
    size_t len;
    char *out = captured(state, &len);
    const char *json = strchr(out, '\n');
    assert_non_null(json);
    assert_memory_equal(out, "hookd: cannot listen on 127.0.0.1:1: in use \n",
                        (size_t)(json - out) + 1);
    json_t *j = json_loads(json + 1, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "no store in \"/x\"");
    json_decref(j);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_level_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_and_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_line_per_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_do_not_interleave, setup, teardown),
        cmocka_unit_test(test_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
