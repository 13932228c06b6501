/*
 * test_security_ssrf.c - the SSRF guard (issue 6, security): the address
 * classes a delivery may never reach, the URL forms that spell them, and
 * the seam that makes the guard see the address actually connected.
 *
 * The guard is libcurl's open-socket callback installed by
 * delivery_transfer_prepare (src/delivery/transfer.c). The seam tests build
 * a real attempt with it, then map the target's name to a private address
 * with CURLOPT_RESOLVE - as a DNS answer that changed after the target was
 * registered (DNS rebinding) - and perform it against a listening loopback
 * socket: the guard must refuse the address before connect(), and the
 * listener must see no connection. The same attempt in development mode
 * (private targets allowed) does reach the listener, so the check is the
 * guard and not an unreachable address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/ids.h"
#include "delivery/target_guard.h"
#include "delivery/transfer.h"
#include "domain/catalog.h"
#include "domain/domain.h"
#include "domain/domain_int.h"

/* ---- address classes -------------------------------------------------------- */

typedef struct addr_case {
    const char *text;
    hk_addr_class want;
} addr_case;

static hk_addr_class classify(const char *text, bool *allowed)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    socklen_t len = 0;
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        len = sizeof *in;
    } else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        len = sizeof *in6;
    } else {
        fail_msg("bad test address %s", text);
    }
    *allowed = hk_addr_allowed((struct sockaddr *)&ss, len, false);
    return hk_addr_classify((struct sockaddr *)&ss, len);
}

static int check_table(const char *label, const addr_case *cases, size_t n)
{
    int checks = 0;
    for (size_t i = 0; i < n; i++) {
        bool allowed;
        hk_addr_class got = classify(cases[i].text, &allowed);
        if (got != cases[i].want || allowed != (cases[i].want == HK_ADDR_PUBLIC)) {
            printf("RELIABILITY|security|SSRF: %s|checks=%d|FAIL\n", label, checks);
            fail_msg("%s: %s is %s (allowed %d), want %s", label, cases[i].text,
                     hk_addr_class_name(got), allowed, hk_addr_class_name(cases[i].want));
        }
        checks += 2;
    }
    printf("RELIABILITY|security|SSRF: %s|checks=%d|ok\n", label, checks);
    return checks;
}

#define TABLE(label, cases) check_table(label, cases, sizeof cases / sizeof cases[0])

static void test_ipv4_classes(void **state)
{
    static const addr_case private4[] = {
        {"10.0.0.0", HK_ADDR_PRIVATE},        {"10.0.0.1", HK_ADDR_PRIVATE},
        {"10.255.255.255", HK_ADDR_PRIVATE},  {"172.16.0.0", HK_ADDR_PRIVATE},
        {"172.20.1.1", HK_ADDR_PRIVATE},      {"172.31.255.255", HK_ADDR_PRIVATE},
        {"172.15.255.255", HK_ADDR_PUBLIC},   {"172.32.0.0", HK_ADDR_PUBLIC},
        {"192.168.0.0", HK_ADDR_PRIVATE},     {"192.168.1.1", HK_ADDR_PRIVATE},
        {"192.168.255.255", HK_ADDR_PRIVATE}, {"192.169.0.0", HK_ADDR_PUBLIC},
        {"100.64.0.0", HK_ADDR_PRIVATE},      {"100.127.255.255", HK_ADDR_PRIVATE},
        {"100.63.255.255", HK_ADDR_PUBLIC},   {"100.128.0.0", HK_ADDR_PUBLIC},
    };
    static const addr_case special4[] = {
        {"127.0.0.1", HK_ADDR_LOOPBACK},
        {"127.0.1.1", HK_ADDR_LOOPBACK},
        {"127.255.255.255", HK_ADDR_LOOPBACK},
        {"169.254.0.1", HK_ADDR_LINK_LOCAL},
        {"169.254.169.254", HK_ADDR_LINK_LOCAL},
        {"169.254.255.255", HK_ADDR_LINK_LOCAL},
        {"0.0.0.0", HK_ADDR_UNSPECIFIED},
        {"0.255.255.255", HK_ADDR_UNSPECIFIED},
        {"224.0.0.1", HK_ADDR_MULTICAST},
        {"239.255.255.250", HK_ADDR_MULTICAST},
        {"255.255.255.255", HK_ADDR_BROADCAST},
        {"240.0.0.1", HK_ADDR_RESERVED},
        {"8.8.8.8", HK_ADDR_PUBLIC},
        {"1.1.1.1", HK_ADDR_PUBLIC},
        {"128.0.0.1", HK_ADDR_PUBLIC},
        {"169.253.255.255", HK_ADDR_PUBLIC},
    };
    TABLE("IPv4 private 10/8 172.16/12 192.168/16 CGNAT 100.64/10", private4);
    TABLE("IPv4 loopback, link-local (169.254.169.254), unspecified, multicast", special4);
}

static void test_ipv6_classes(void **state)
{
    static const addr_case native6[] = {
        {"::1", HK_ADDR_LOOPBACK},
        {"::", HK_ADDR_UNSPECIFIED},
        {"fe80::1", HK_ADDR_LINK_LOCAL},
        {"febf:ffff::1", HK_ADDR_LINK_LOCAL},
        {"fc00::1", HK_ADDR_PRIVATE},
        {"fd12:3456:789a::1", HK_ADDR_PRIVATE},
        {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", HK_ADDR_PRIVATE},
        {"ff02::1", HK_ADDR_MULTICAST},
        {"ff05::1:3", HK_ADDR_MULTICAST},
        {"2606:4700:4700::1111", HK_ADDR_PUBLIC},
        {"2a00:1450:4001:80b::200e", HK_ADDR_PUBLIC},
        {"fbff:ffff::1", HK_ADDR_PUBLIC},
    };
    /* IPv6 spellings of IPv4 addresses are judged as that IPv4 address */
    static const addr_case embedded6[] = {
        {"::ffff:127.0.0.1", HK_ADDR_LOOPBACK},
        {"::ffff:10.0.0.1", HK_ADDR_PRIVATE},
        {"::ffff:169.254.169.254", HK_ADDR_LINK_LOCAL},
        {"::ffff:192.168.0.1", HK_ADDR_PRIVATE},
        {"::ffff:0.0.0.0", HK_ADDR_UNSPECIFIED},
        {"::ffff:8.8.8.8", HK_ADDR_PUBLIC},
        {"::127.0.0.1", HK_ADDR_LOOPBACK},        /* IPv4-compatible */
        {"::10.0.0.1", HK_ADDR_PRIVATE},          /* IPv4-compatible */
        {"::ffff:0:127.0.0.1", HK_ADDR_LOOPBACK}, /* IPv4-translated */
        {"64:ff9b::127.0.0.1", HK_ADDR_LOOPBACK}, /* NAT64 */
        {"64:ff9b::10.1.2.3", HK_ADDR_PRIVATE},   /* NAT64 */
        {"64:ff9b::169.254.169.254", HK_ADDR_LINK_LOCAL},
        {"64:ff9b::8.8.8.8", HK_ADDR_PUBLIC},
        {"64:ff9b:1::a00:1", HK_ADDR_PRIVATE},     /* local-use NAT64 */
        {"2002:7f00:1::", HK_ADDR_LOOPBACK},       /* 6to4 of 127.0.0.1 */
        {"2002:a9fe:a9fe::1", HK_ADDR_LINK_LOCAL}, /* 6to4 of 169.254.169.254 */
        {"2002:808:808::1", HK_ADDR_PUBLIC},
    };
    TABLE("IPv6 loopback, unspecified, link-local fe80::/10, ULA fc00::/7, multicast", native6);
    TABLE("IPv4-mapped / compatible / NAT64 / 6to4 IPv6 embedding private IPv4", embedded6);

    /* other families and truncated addresses are refused */
    struct sockaddr_in in = {.sin_family = AF_INET};
    assert_false(hk_addr_allowed((struct sockaddr *)&in, sizeof in - 4, false));
    struct sockaddr sa = {.sa_family = AF_UNIX};
    assert_false(hk_addr_allowed(&sa, sizeof sa, true));
    assert_false(hk_addr_allowed(NULL, 0, true));
    printf("RELIABILITY|security|SSRF: non-IP families and truncated addresses refused|"
           "checks=3|ok\n");
}

/* ---- the connect seam ---------------------------------------------------------- */

typedef struct listener {
    int fd;
    int port;
} listener;

static void listen_on(listener *l, int family)
{
    l->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(l->fd >= 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        len = sizeof *in6;
    }
    assert_int_equal(bind(l->fd, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(listen(l->fd, 8), 0);
    assert_int_equal(getsockname(l->fd, (struct sockaddr *)&ss, &len), 0);
    l->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                      : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Connections that reached the listener since the last call. */
static int accepted(listener *l)
{
    int n = 0;
    for (;;) {
        int c = accept(l->fd, NULL, NULL);
        if (c < 0)
            break;
        close(c);
        n++;
    }
    return n;
}

typedef struct attempt_out {
    bool refused;
    hk_addr_class cls;
    char error[HK_ATTEMPT_ERROR_MAX];
    int reached;
} attempt_out;

/* One real attempt at `url`, with `resolve` ("name:port:addr" or NULL)
 * standing for the DNS answer at delivery time. */
static attempt_out attempt(listener *l, const char *url, const char *resolve, bool allow_private)
{
    hk_arena *scratch = hk_arena_new(0);
    static const char payload[] = "{\"eventType\":\"customer.customer_created\"}";
    hk_delivery_job dj;
    memset(&dj, 0, sizeof dj);
    assert_int_equal(hk_id_new(HK_ID_EVENT, dj.event.id), HK_OK);
    assert_int_equal(hk_id_new(HK_ID_WORKSPACE, dj.event.workspace_id), HK_OK);
    assert_int_equal(hk_id_new(HK_ID_WEBHOOK_TARGET, dj.target.id), HK_OK);
    dj.event.type = HK_EVENT_CUSTOMER_CREATED;
    dj.event.timestamp = 1700000000000;
    dj.event.payload_json = payload;
    dj.event.payload_len = sizeof payload - 1;
    dj.target.url = url;
    snprintf(dj.target.version, sizeof dj.target.version, "%s", hk_webhook_version_latest());
    webhook_body_template tpl;
    assert_int_equal(webhook_body_template_init(&tpl, &dj.event), HK_OK);
    delivery_job *job = calloc(1, sizeof *job);
    assert_non_null(job);
    snprintf(job->delivery.workspace_id, sizeof job->delivery.workspace_id, "%s",
             dj.event.workspace_id);
    delivery_transfer_config cfg = {
        .user_agent = "hookd-test", .timeout_ms = 400, .allow_private = allow_private};
    hk_retry_schedule retry;
    hk_error err;
    assert_int_equal(hk_retry_schedule_parse("none", &retry, &err), HK_OK);
    attempt_out o;
    memset(&o, 0, sizeof o);
    delivery_handle_pool *pool = delivery_handle_pool_new(&cfg, 1);
    assert_non_null(pool);
    hk_status st = delivery_transfer_prepare(job, pool, &dj, &tpl, scratch);
    if (st)
        fail_msg("prepare %s: %s", url, job->error);
    struct curl_slist *map = resolve ? curl_slist_append(NULL, resolve) : NULL;
    if (map)
        assert_int_equal(curl_easy_setopt(job->easy, CURLOPT_RESOLVE, map), CURLE_OK);
    CURLcode rc = curl_easy_perform(job->easy);
    delivery_transfer_finish(job, rc, &cfg, &retry);
    o.refused = job->address_refused;
    o.cls = job->refused_class;
    snprintf(o.error, sizeof o.error, "%s",
             job->result.attempt.error ? job->result.attempt.error : "");
    /* a connection the guard let through is queued on the listener */
    struct pollfd p = {.fd = l->fd, .events = POLLIN};
    poll(&p, 1, allow_private ? 200 : 0);
    o.reached = accepted(l);
    delivery_transfer_release(job, pool);
    delivery_handle_pool_free(pool);
    free(job);
    curl_slist_free_all(map);
    webhook_body_template_free(&tpl);
    hk_arena_free(scratch);
    return o;
}

static int expect_refused(listener *l, const char *label, const char *url, const char *resolve,
                          hk_addr_class want)
{
    attempt_out o = attempt(l, url, resolve, false);
    if (!o.refused || o.cls != want || o.reached != 0 ||
        strcmp(o.error, "destination address not allowed") != 0) {
        printf("RELIABILITY|security|SSRF at connect: %s|checks=0|FAIL\n", label);
        fail_msg("%s (%s via %s): refused %d class %s reached %d error \"%s\"", label, url,
                 resolve ? resolve : "URL", o.refused, hk_addr_class_name(o.cls), o.reached,
                 o.error);
    }
    return 4;
}

/* The name was public when the target was registered; at delivery it
 * resolves to a private address. */
static void test_dns_rebinding(void **state)
{
    listener l4, l6;
    listen_on(&l4, AF_INET);
    listen_on(&l6, AF_INET6);
    char url[128], map[128];
    int checks = 0;

    /* registration: the name passes the URL check (no DNS at registration) */
    hk_domain_set_allow_private_targets(false);

    snprintf(url, sizeof url, "https://rebind.example:%d/hook", l4.port);
    snprintf(map, sizeof map, "rebind.example:%d:127.0.0.1", l4.port);
    /* control: in development mode the very same attempt reaches the listener */
    attempt_out dev = attempt(&l4, url, map, true);
    assert_false(dev.refused);
    assert_int_equal(dev.reached, 1);
    checks += 2;
    checks += expect_refused(&l4, "name rebound to 127.0.0.1", url, map, HK_ADDR_LOOPBACK);

    snprintf(url, sizeof url, "https://rebind6.example:%d/hook", l6.port);
    snprintf(map, sizeof map, "rebind6.example:%d:[::1]", l6.port);
    dev = attempt(&l6, url, map, true);
    assert_false(dev.refused);
    assert_int_equal(dev.reached, 1);
    checks += 2;
    checks += expect_refused(&l6, "name rebound to ::1", url, map, HK_ADDR_LOOPBACK);

    static const struct {
        const char *addr;
        hk_addr_class cls;
    } targets[] = {
        {"10.0.0.1", HK_ADDR_PRIVATE},
        {"172.16.5.4", HK_ADDR_PRIVATE},
        {"192.168.1.1", HK_ADDR_PRIVATE},
        {"100.64.0.1", HK_ADDR_PRIVATE},
        {"169.254.169.254", HK_ADDR_LINK_LOCAL},
        {"0.0.0.0", HK_ADDR_UNSPECIFIED},
        {"[::ffff:127.0.0.1]", HK_ADDR_LOOPBACK},
        {"[::ffff:10.0.0.1]", HK_ADDR_PRIVATE},
        {"[fe80::1]", HK_ADDR_LINK_LOCAL},
        {"[fd00::1]", HK_ADDR_PRIVATE},
        {"[64:ff9b::a9fe:a9fe]", HK_ADDR_LINK_LOCAL},
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        snprintf(url, sizeof url, "https://meta.example:%d/latest", l4.port);
        snprintf(map, sizeof map, "meta.example:%d:%s", l4.port, targets[i].addr);
        char label[96];
        snprintf(label, sizeof label, "name rebound to %s", targets[i].addr);
        checks += expect_refused(&l4, label, url, map, targets[i].cls);
    }
    printf("RELIABILITY|security|SSRF at connect: DNS rebinding (name re-resolved to a private "
           "address)|checks=%d|ok\n",
           checks);
    close(l4.fd);
    close(l6.fd);
}

/* Numeric spellings of 127.0.0.1 in the URL itself. */
static void test_numeric_url_forms(void **state)
{
    listener l4, l6;
    listen_on(&l4, AF_INET);
    listen_on(&l6, AF_INET6);
    static const char *const hosts4[] = {"2130706433", "0x7f.1",     "017700000001", "0x7f000001",
                                         "127.1",      "0177.0.0.1", "127.0.0.1"};
    char url[128];
    int checks = 0;
    for (size_t i = 0; i < sizeof hosts4 / sizeof hosts4[0]; i++) {
        snprintf(url, sizeof url, "https://%s:%d/", hosts4[i], l4.port);
        checks += expect_refused(&l4, url, url, NULL, HK_ADDR_LOOPBACK);
    }
    static const char *const hosts6[] = {"[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
                                         "[0:0:0:0:0:ffff:127.0.0.1]"};
    for (size_t i = 0; i < sizeof hosts6 / sizeof hosts6[0]; i++) {
        snprintf(url, sizeof url, "https://%s:%d/", hosts6[i], l6.port);
        checks += expect_refused(&l6, url, url, NULL, HK_ADDR_LOOPBACK);
    }
    /* the development-mode control for one numeric form */
    snprintf(url, sizeof url, "https://2130706433:%d/", l4.port);
    attempt_out dev = attempt(&l4, url, NULL, true);
    assert_false(dev.refused);
    assert_int_equal(dev.reached, 1);
    checks += 2;
    printf("RELIABILITY|security|SSRF at connect: decimal/octal/hex/IPv6 spellings of "
           "127.0.0.1 in URLs|checks=%d|ok\n",
           checks);
    close(l4.fd);
    close(l6.fd);
}

/* Plain http:// is refused outside development mode, before any connection. */
static void test_scheme(void **state)
{
    listener l4;
    listen_on(&l4, AF_INET);
    char url[128];
    snprintf(url, sizeof url, "http://public.example:%d/", l4.port);
    int checks = 0;
    assert_false(hk_url_scheme_allowed(url, false));
    assert_false(hk_url_scheme_allowed("ftp://example.com/", true));
    assert_false(hk_url_scheme_allowed("file:///etc/passwd", true));
    assert_false(hk_url_scheme_allowed("gopher://example.com/", false));
    assert_true(hk_url_scheme_allowed("HTTPS://example.com/", false));
    checks += 5;
    printf("RELIABILITY|security|SSRF: only https:// (http:// in development mode)|checks=%d|"
           "ok\n",
           checks);
    close(l4.fd);
}

/* Literal private destinations are refused when a target is registered. */
static void test_registration(void **state)
{
    hk_domain_set_allow_private_targets(false);
    static const char *const refused[] = {
        "https://127.0.0.1/",
        "https://localhost/",
        "https://a.localhost/",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.0.1/",
        "https://169.254.169.254/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://[::1]/",
        "https://[::]/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://u:p@127.0.0.1:8443/",
        "http://example.com/",
        "ftp://example.com/",
    };
    int checks = 0;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        hk_error err;
        hk_error_clear(&err);
        if (domain_validate_url("url", refused[i], &err) != HK_EINVAL) {
            printf("RELIABILITY|security|SSRF: literal private URLs refused at registration|"
                   "checks=%d|FAIL\n",
                   checks);
            fail_msg("%s accepted at registration", refused[i]);
        }
        checks++;
    }
    hk_error err;
    assert_int_equal(domain_validate_url("url", "https://example.com/hook", &err), HK_OK);
    checks++;
    printf("RELIABILITY|security|SSRF: literal private URLs refused at registration|checks=%d|"
           "ok\n",
           checks);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_classes),  cmocka_unit_test(test_ipv6_classes),
        cmocka_unit_test(test_dns_rebinding), cmocka_unit_test(test_numeric_url_forms),
        cmocka_unit_test(test_scheme),        cmocka_unit_test(test_registration),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
