/*
 * test_daemon_metrics.c - the /metrics page: Prometheus' text format line by
 * line (every sample announced by its HELP and TYPE, names and values well
 * formed, no name twice), the figures it takes from its sources, the backlog
 * read from a real store, and the page's size limit.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "daemon/cli.h" /* HOOKD_VERSION */
#include "daemon/metrics.h"
#include "store/store_int.h"
#include "testutil.h"

static bool name_char(char c, bool first)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':' ||
           (!first && isdigit((unsigned char)c));
}

/* Checks the page's grammar; fails the test on the first bad line. */
static void check_format(const char *page)
{
    char typed[64][96];
    size_t n_typed = 0;
    const char *p = page;
    assert_true(*p != '\0');
    while (*p) {
        const char *end = strchr(p, '\n');
        assert_non_null(end); /* every line ends with a newline, the last one too */
        char line[512];
        size_t len = (size_t)(end - p);
        assert_true(len > 0 && len < sizeof line);
        memcpy(line, p, len);
        line[len] = '\0';
        p = end + 1;
        if (strncmp(line, "# HELP ", 7) == 0) {
            /* HELP comes first, then TYPE for the same name */
            char name[96], type[16], next[512];
            assert_int_equal(sscanf(line + 7, "%95s", name), 1);
            const char *tend = strchr(p, '\n');
            assert_non_null(tend);
            memcpy(next, p, (size_t)(tend - p));
            next[tend - p] = '\0';
            char tname[96];
            assert_int_equal(sscanf(next, "# TYPE %95s %15s", tname, type), 2);
            assert_string_equal(tname, name);
            assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                        strcmp(type, "histogram") == 0);
            for (size_t i = 0; i < n_typed; i++)
                assert_string_not_equal(typed[i], name); /* no family twice */
            assert_true(n_typed < 64);
            snprintf(typed[n_typed++], sizeof typed[0], "%s", name);
            if (strcmp(type, "counter") == 0)
                assert_non_null(strstr(name, "_total"));
            p = tend + 1;
            continue;
        }
        assert_true(line[0] != '#');
        /* a sample: name, optional {labels}, a space, a number */
        size_t i = 0;
        while (name_char(line[i], i == 0))
            i++;
        assert_true(i > 0);
        char name[96];
        snprintf(name, sizeof name, "%.*s", (int)i, line);
        assert_true(n_typed > 0);
        /* under its own HELP and TYPE (a histogram's samples: _bucket, _sum, _count) */
        const char *family = typed[n_typed - 1];
        size_t flen = strlen(family);
        if (strcmp(name, family) != 0)
            assert_true(strncmp(name, family, flen) == 0 &&
                        (strcmp(name + flen, "_bucket") == 0 || strcmp(name + flen, "_sum") == 0 ||
                         strcmp(name + flen, "_count") == 0));
        if (line[i] == '{') {
            const char *close = strchr(line + i, '}');
            assert_non_null(close);
            i = (size_t)(close - line) + 1;
        }
        assert_int_equal(line[i], ' ');
        char *num_end;
        double v = strtod(line + i + 1, &num_end);
        assert_true(num_end != line + i + 1 && *num_end == '\0');
        assert_true(v >= 0);
    }
}

/* The value of the sample whose line starts with `prefix` followed by a space. */
static double sample(const char *page, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = page; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    fail_msg("no sample %s", prefix);
    return -1;
}

static void test_page_from_sources(void **state)
{
    test_env *e = *state;
    const char *one[] = {"customer.customer_created"};
    hk_target_input tin = {.url = "https://example.com/hook",
                           .description = "m",
                           .is_enabled = true,
                           .n_event_types = 1,
                           .event_types = one};
    hk_webhook_target t;
    hk_error err;
    assert_int_equal(hk_target_create(&e->ctx, &tin, e->arena, &t, &err), HK_OK);
    int64_t before = hk_now_ms();
    hk_upsert_customer_input in = test_by_email("m@example.com", "M");
    hk_upsert_result r;
    hk_customer c;
    assert_int_equal(hk_customer_upsert(&e->ctx, &in, e->arena, &r, &c, &err), HK_OK);

    hk_metrics_http http = {.responses = {0, 0, 41, 0, 3, 1}, .in_flight = 2, .internal_errors = 7};
    hk_metrics_sources src = {e->store, NULL, NULL, &http, 1700000000123};
    hk_buf page;
    hk_buf_init(&page, 0);
    int64_t now = before + 2500;
    assert_int_equal(hk_metrics_render(&src, now, &page), HK_OK);
    check_format(page.data);
    assert_true(sample(page.data, "hookd_build_info{version=\"" HOOKD_VERSION "\"}") == 1);
    assert_true(sample(page.data, "process_start_time_seconds") == 1700000000.123);
    assert_true(sample(page.data, "hookd_http_responses_total{code=\"2xx\"}") == 41);
    assert_true(sample(page.data, "hookd_http_responses_total{code=\"4xx\"}") == 3);
    assert_true(sample(page.data, "hookd_http_responses_total{code=\"5xx\"}") == 1);
    assert_true(sample(page.data, "hookd_http_requests_in_flight") == 2);
    assert_true(sample(page.data, "hookd_graphql_internal_errors_total") == 7);
    assert_true(sample(page.data, "hookd_store_healthy") == 1);
    assert_true(sample(page.data, "hookd_store_fsync_failed") == 0);
    assert_true(sample(page.data, "hookd_store_writes_failing") == 0);
    assert_true(sample(page.data, "hookd_store_write_failures_total") == 0);
    assert_true(sample(page.data, "hookd_store_commits_total") >= 1);
    assert_true(sample(page.data, "hookd_deliveries_due") == 1);
    /* waiting since the upsert: at most 2.5 s before `now` */
    double lag = sample(page.data, "hookd_delivery_lag_seconds");
    assert_true(lag > 0 && lag <= 2.5);
    /* no dispatcher given: none of its lines */
    assert_null(strstr(page.data, "hookd_delivery_attempts_total"));
    hk_buf_free(&page);

    /* with retention on, its lines too */
    hk_retention *ret;
    assert_int_equal(hk_retention_start(e->store, 3600 * 1000, &ret, &err), HK_OK);
    src.retention = ret;
    hk_buf_init(&page, 0);
    assert_int_equal(hk_metrics_render(&src, now, &page), HK_OK);
    check_format(page.data);
    assert_true(sample(page.data, "hookd_retention_seconds") == 3600);
    assert_true(sample(page.data, "hookd_retention_events_deleted_total") == 0);
    assert_true(sample(page.data, "hookd_retention_errors_total") == 0);
    hk_buf_free(&page);
    hk_retention_stop(ret);
    src.retention = NULL;

    /* writes failing (the disk full, say): unhealthy until a write commits */
    assert_int_equal(store_debug_fail_nth_write(e->store, 1), HK_OK);
    hk_upsert_customer_input in2 = test_by_email("m2@example.com", "M2");
    assert_int_equal(hk_customer_upsert(&e->ctx, &in2, e->arena, &r, &c, &err), HK_EIO);
    hk_buf_init(&page, 0);
    assert_int_equal(hk_metrics_render(&src, now, &page), HK_OK);
    check_format(page.data);
    assert_true(sample(page.data, "hookd_store_healthy") == 0);
    assert_true(sample(page.data, "hookd_store_fsync_failed") == 0);
    assert_true(sample(page.data, "hookd_store_writes_failing") == 1);
    assert_true(sample(page.data, "hookd_store_write_failures_total") == 1);
    hk_buf_free(&page);
    assert_int_equal(hk_customer_upsert(&e->ctx, &in2, e->arena, &r, &c, &err), HK_OK);
    hk_buf_init(&page, 0);
    assert_int_equal(hk_metrics_render(&src, now, &page), HK_OK);
    assert_true(sample(page.data, "hookd_store_healthy") == 1);
    assert_true(sample(page.data, "hookd_store_writes_failing") == 0);
    assert_true(sample(page.data, "hookd_store_write_failures_total") == 1);
    hk_buf_free(&page);

    /* before the delivery was due: nothing waits */
    hk_buf_init(&page, 0);
    assert_int_equal(hk_metrics_render(&src, before - 1, &page), HK_OK);
    assert_true(sample(page.data, "hookd_deliveries_due") == 0);
    assert_true(sample(page.data, "hookd_delivery_lag_seconds") == 0);
    hk_buf_free(&page);
}

static void test_page_without_sources_and_too_small(void **state)
{
    (void)state;
    hk_metrics_sources src = {NULL, NULL, NULL, NULL, 0};
    hk_buf page;
    hk_buf_init(&page, 0);
    assert_int_equal(hk_metrics_render(&src, hk_now_ms(), &page), HK_OK);
    check_format(page.data);
    assert_null(strstr(page.data, "hookd_store"));
    assert_null(strstr(page.data, "hookd_http"));
    hk_buf_free(&page);

    hk_buf_init(&page, 64);
    assert_int_equal(hk_metrics_render(&src, hk_now_ms(), &page), HK_ETOOBIG);
    assert_true(page.len <= 64);
    hk_buf_free(&page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_page_from_sources, test_env_setup, test_env_teardown),
        cmocka_unit_test(test_page_without_sources_and_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
