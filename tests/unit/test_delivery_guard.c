/*
 * test_delivery_guard.c - the SSRF guard's address classes (IPv4, IPv6, the
 * IPv6 forms that embed an IPv4 address) and the URL scheme rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cmocka.h>

#include "delivery/target_guard.h"

typedef struct addr_case {
    const char *text;
    hk_addr_class want;
} addr_case;

static hk_addr_class classify_text(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(443);
        *len = sizeof *in;
    } else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(443);
        *len = sizeof *in6;
    } else {
        fail_msg("bad test address %s", text);
    }
    return hk_addr_classify((struct sockaddr *)ss, *len);
}

static void check_cases(const addr_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sockaddr_storage ss;
        socklen_t len = 0;
        hk_addr_class got = classify_text(cases[i].text, &ss, &len);
        if (got != cases[i].want)
            fail_msg("%s: got %s, want %s", cases[i].text, hk_addr_class_name(got),
                     hk_addr_class_name(cases[i].want));
        bool is_public = cases[i].want == HK_ADDR_PUBLIC;
        assert_int_equal(hk_addr_allowed((struct sockaddr *)&ss, len, false), is_public);
        assert_true(hk_addr_allowed((struct sockaddr *)&ss, len, true));
    }
}

#define CHECK(cases) check_cases(cases, sizeof cases / sizeof cases[0])

static void test_ipv4(void **state)
{
    static const addr_case cases[] = {
        {"0.0.0.0", HK_ADDR_UNSPECIFIED},
        {"0.1.2.3", HK_ADDR_UNSPECIFIED},
        {"127.0.0.1", HK_ADDR_LOOPBACK},
        {"127.255.255.254", HK_ADDR_LOOPBACK},
        {"10.0.0.1", HK_ADDR_PRIVATE},
        {"10.255.255.255", HK_ADDR_PRIVATE},
        {"172.16.0.1", HK_ADDR_PRIVATE},
        {"172.31.255.255", HK_ADDR_PRIVATE},
        {"172.15.255.255", HK_ADDR_PUBLIC},
        {"172.32.0.0", HK_ADDR_PUBLIC},
        {"192.168.0.1", HK_ADDR_PRIVATE},
        {"192.168.255.255", HK_ADDR_PRIVATE},
        {"192.167.255.255", HK_ADDR_PUBLIC},
        {"192.169.0.0", HK_ADDR_PUBLIC},
        {"100.64.0.1", HK_ADDR_PRIVATE},
        {"100.127.255.255", HK_ADDR_PRIVATE},
        {"100.63.255.255", HK_ADDR_PUBLIC},
        {"100.128.0.0", HK_ADDR_PUBLIC},
        {"169.254.169.254", HK_ADDR_LINK_LOCAL},
        {"169.253.255.255", HK_ADDR_PUBLIC},
        {"192.0.0.1", HK_ADDR_RESERVED},
        {"192.0.0.255", HK_ADDR_RESERVED},
        {"192.0.1.0", HK_ADDR_PUBLIC},
        {"192.0.2.10", HK_ADDR_RESERVED},
        {"198.51.100.7", HK_ADDR_RESERVED},
        {"203.0.113.9", HK_ADDR_RESERVED},
        {"198.18.0.1", HK_ADDR_RESERVED},
        {"198.19.255.255", HK_ADDR_RESERVED},
        {"198.20.0.0", HK_ADDR_PUBLIC},
        {"224.0.0.1", HK_ADDR_MULTICAST},
        {"239.255.255.250", HK_ADDR_MULTICAST},
        {"240.0.0.1", HK_ADDR_RESERVED},
        {"255.255.255.254", HK_ADDR_RESERVED},
        {"255.255.255.255", HK_ADDR_BROADCAST},
        {"1.1.1.1", HK_ADDR_PUBLIC},
        {"8.8.8.8", HK_ADDR_PUBLIC},
        {"93.184.216.34", HK_ADDR_PUBLIC},
        {"223.255.255.255", HK_ADDR_PUBLIC},
        {"11.0.0.1", HK_ADDR_PUBLIC},
        {"126.255.255.255", HK_ADDR_PUBLIC},
        {"128.0.0.1", HK_ADDR_PUBLIC},
    };
    CHECK(cases);
}

static void test_ipv6(void **state)
{
    static const addr_case cases[] = {
        {"::", HK_ADDR_UNSPECIFIED},
        {"::1", HK_ADDR_LOOPBACK},
        {"fe80::1", HK_ADDR_LINK_LOCAL},
        {"febf:ffff::1", HK_ADDR_LINK_LOCAL},
        {"fec0::1", HK_ADDR_PRIVATE},
        {"fc00::1", HK_ADDR_PRIVATE},
        {"fd12:3456:789a::1", HK_ADDR_PRIVATE},
        {"fbff:ffff::1", HK_ADDR_PUBLIC},
        {"ff02::1", HK_ADDR_MULTICAST},
        {"ff05::1:3", HK_ADDR_MULTICAST},
        {"2001:db8::1", HK_ADDR_RESERVED},
        {"100::1", HK_ADDR_RESERVED},
        {"64:ff9b:1::1", HK_ADDR_PRIVATE},
        {"2001:4860:4860::8888", HK_ADDR_PUBLIC},
        {"2606:4700:4700::1111", HK_ADDR_PUBLIC},
        {"2a00:1450:4001:80b::200e", HK_ADDR_PUBLIC},
        {"::2", HK_ADDR_UNSPECIFIED}, /* IPv4-compatible 0.0.0.2 */
    };
    CHECK(cases);
}

static void test_ipv6_embedding_ipv4(void **state)
{
    static const addr_case cases[] = {
        /* IPv4-mapped */
        {"::ffff:127.0.0.1", HK_ADDR_LOOPBACK},
        {"::ffff:7f00:1", HK_ADDR_LOOPBACK},
        {"::ffff:10.1.2.3", HK_ADDR_PRIVATE},
        {"::ffff:192.168.1.1", HK_ADDR_PRIVATE},
        {"::ffff:169.254.169.254", HK_ADDR_LINK_LOCAL},
        {"::ffff:0.0.0.0", HK_ADDR_UNSPECIFIED},
        {"::ffff:100.64.0.1", HK_ADDR_PRIVATE},
        {"::ffff:255.255.255.255", HK_ADDR_BROADCAST},
        {"::ffff:8.8.8.8", HK_ADDR_PUBLIC},
        /* IPv4-compatible (deprecated) */
        {"::127.0.0.1", HK_ADDR_LOOPBACK},
        {"::10.0.0.1", HK_ADDR_PRIVATE},
        {"::8.8.8.8", HK_ADDR_PUBLIC},
        /* IPv4-translated */
        {"::ffff:0:127.0.0.1", HK_ADDR_LOOPBACK},
        {"::ffff:0:8.8.8.8", HK_ADDR_PUBLIC},
        /* NAT64 well-known prefix */
        {"64:ff9b::127.0.0.1", HK_ADDR_LOOPBACK},
        {"64:ff9b::a00:1", HK_ADDR_PRIVATE},
        {"64:ff9b::8.8.8.8", HK_ADDR_PUBLIC},
        /* 6to4 */
        {"2002:7f00:1::1", HK_ADDR_LOOPBACK},
        {"2002:c0a8:101::", HK_ADDR_PRIVATE},
        {"2002:a9fe:a9fe::1", HK_ADDR_LINK_LOCAL},
        {"2002:808:808::1", HK_ADDR_PUBLIC},
    };
    CHECK(cases);
}

static void test_raw_classifiers(void **state)
{
    const uint8_t v4[4] = {172, 20, 1, 1};
    assert_int_equal(hk_addr_classify_v4(v4), HK_ADDR_PRIVATE);
    uint8_t v6[16] = {0};
    v6[10] = v6[11] = 0xff;
    v6[12] = 127;
    v6[15] = 1;
    assert_int_equal(hk_addr_classify_v6(v6), HK_ADDR_LOOPBACK);
}

static void test_other_families_and_short_lengths(void **state)
{
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, "/tmp/sock");
    assert_int_equal(hk_addr_classify((struct sockaddr *)&un, sizeof un), HK_ADDR_UNSUPPORTED);
    assert_false(hk_addr_allowed((struct sockaddr *)&un, sizeof un, false));
    assert_false(hk_addr_allowed((struct sockaddr *)&un, sizeof un, true));

    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    inet_pton(AF_INET, "8.8.8.8", &in.sin_addr);
    assert_true(hk_addr_allowed((struct sockaddr *)&in, sizeof in, false));
    /* A truncated address is never trusted. */
    assert_false(hk_addr_allowed((struct sockaddr *)&in, 4, true));
    struct sockaddr_in6 in6;
    memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:4860:4860::8888", &in6.sin6_addr);
    assert_true(hk_addr_allowed((struct sockaddr *)&in6, sizeof in6, false));
    assert_false(hk_addr_allowed((struct sockaddr *)&in6, sizeof in6 - 1, false));
    assert_false(hk_addr_allowed(NULL, 0, true));
    assert_string_equal(hk_addr_class_name(HK_ADDR_LINK_LOCAL), "link-local");
    assert_string_equal(hk_addr_class_name((hk_addr_class)99), "unsupported");
}

static void test_url_scheme(void **state)
{
    assert_true(hk_url_scheme_allowed("https://example.com/hook", false));
    assert_true(hk_url_scheme_allowed("HTTPS://example.com/hook", false));
    assert_false(hk_url_scheme_allowed("http://example.com/hook", false));
    assert_true(hk_url_scheme_allowed("http://example.com/hook", true));
    assert_true(hk_url_scheme_allowed("HTTP://localhost:3000/", true));
    assert_false(hk_url_scheme_allowed("ftp://example.com/", true));
    assert_false(hk_url_scheme_allowed("file:///etc/passwd", true));
    assert_false(hk_url_scheme_allowed("gopher://x/", true));
    assert_false(hk_url_scheme_allowed("https:/example.com", false));
    assert_false(hk_url_scheme_allowed("", true));
    assert_false(hk_url_scheme_allowed(NULL, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_ipv6_embedding_ipv4),
        cmocka_unit_test(test_raw_classifiers),
        cmocka_unit_test(test_other_families_and_short_lengths),
        cmocka_unit_test(test_url_scheme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
