/*
 * test_verify_samples.c - the library accepts every body hookd itself
 * renders: tests/tools/render_samples prints one per line for every event
 * type and version (the same bodies tests/compat checks against Plain's
 * schemas), and each is signed, verified and compared field by field.
 *
 * render_samples is found next to this test's binary (both are built in
 * the build directory), or at $HOOKD_RENDER_SAMPLES.
 */
#include <libgen.h>
#include <limits.h>
#include <unistd.h>

#include "test_verify_util.h"

static void render_samples_path(char *out, size_t size)
{
    const char *env = getenv("HOOKD_RENDER_SAMPLES");
    if (env) {
        snprintf(out, size, "%s", env);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    snprintf(out, size, "%s/render_samples", dirname(self));
}

static void check_line(char *line, size_t len, size_t *seen, bool *versions_seen)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    if (len == 0)
        return;
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, line, len);
    tv_body b = tv_body_of(copy, len);
    hk_verify_options o = tv_options_at(tv_attempt_ms(&b));
    hk_webhook *wh = NULL;
    char detail[256];
    o.detail = detail;
    o.detail_size = sizeof detail;
    hk_verify_result r = tv_verify(&b, &o, &wh);
    if (r != HK_VERIFY_OK)
        fail_msg("hookd's body #%zu: %s (%s)\n%s", *seen + 1, hk_verify_strerror(r), detail, line);
    tv_check_webhook(&b, wh);
    for (size_t v = 0; v < TV_N_VERSIONS; v++)
        if (strcmp(wh->metadata.webhook_target_version, tv_versions[v]) == 0)
            versions_seen[v] = true;
    hk_webhook_free(wh);
    tv_body_free(&b);
    (*seen)++;
}

static void test_hookd_bodies_accepted(void **state)
{
    char cmd[PATH_MAX + 8];
    render_samples_path(cmd, sizeof cmd);
    if (access(cmd, X_OK) != 0)
        fail_msg("%s is not there: build the render_samples target", cmd);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *line = NULL;
    size_t cap = 0, seen = 0;
    ssize_t n;
    bool versions_seen[TV_N_VERSIONS] = {0};
    while ((n = getline(&line, &cap, p)) > 0)
        check_line(line, (size_t)n, &seen, versions_seen);
    free(line);
    assert_int_equal(pclose(p), 0);
    printf("hookd bodies accepted: %zu\n", seen);
    /* four event types and more than one customer shape, times five versions */
    assert_true(seen >= 4 * TV_N_VERSIONS);
    for (size_t v = 0; v < TV_N_VERSIONS; v++)
        assert_true(versions_seen[v]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hookd_bodies_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
