/*
 * test_daemon_http_framing.c - hk_http_framing_check on request heads laid out the
 * way libmicrohttpd 0.9.75 leaves them: parsed in place, each line end and
 * each name's colon overwritten with NUL (parse() below does what its
 * get_next_header_line, parse_initial_message_line and process_header_line
 * do). tests/integration/test_security_front_door.sh sends the same requests
 * to a real hookd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/http_framing.h"

typedef struct parsed {
    char buf[4096];
    hk_http_head head;
    hk_http_field fields[32];
} parsed;

/* The next line of buf from *at (CRLF or a bare LF, as libmicrohttpd takes them), its
 * end overwritten with NULs, its length (NULs in it included) in *n; NULL at the end. */
static char *next_line(char *buf, size_t len, size_t *at, size_t *n)
{
    for (size_t i = *at; i < len; i++) {
        if (buf[i] == '\n') {
            char *line = buf + *at;
            size_t end = i > *at && buf[i - 1] == '\r' ? i - 1 : i;
            memset(buf + end, 0, i + 1 - end);
            *n = end - *at;
            *at = i + 1;
            return line;
        }
    }
    return NULL;
}

/* `text` (len bytes, NULs allowed) parsed as libmicrohttpd does: p->head points into p->buf. */
static void parse_n(parsed *p, const char *text, size_t len)
{
    memset(p, 0, sizeof *p);
    assert_true(len < sizeof p->buf);
    memcpy(p->buf, text, len);
    size_t at = 0, line_len;
    char *line = next_line(p->buf, len, &at, &line_len);
    assert_non_null(line);
    /* METHOD SP target SP version: the first space, and the last one, become NULs (both
     * found over the whole line, NULs and all). */
    char *sp1 = memchr(line, ' ', line_len);
    assert_non_null(sp1);
    *sp1 = '\0';
    char *target = sp1 + 1;
    while (*target == ' ')
        target++;
    char *sp2 = line + line_len - 1;
    while (sp2 > target && *sp2 != ' ')
        sp2--;
    assert_true(sp2 > target);
    *sp2 = '\0';
    p->head.target = target;
    p->head.target_len = strlen(target);
    p->head.version = sp2 + 1;
    p->head.raw = p->buf;
    while ((line = next_line(p->buf, len, &at, &line_len)) && line[0]) {
        char *colon = strchr(line, ':');
        assert_non_null(colon); /* libmicrohttpd answers 400 itself otherwise */
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        hk_http_field *f = &p->fields[p->head.nfields++];
        *f = (hk_http_field){line, strlen(line), value, strlen(value)};
    }
    p->head.raw_len = at;
    p->head.fields = p->fields;
}

static void parse(parsed *p, const char *text)
{
    parse_n(p, text, strlen(text));
}

static hk_http_verdict check(const char *text, bool wants_body)
{
    static parsed p;
    hk_http_framing f;
    parse(&p, text);
    hk_http_framing_check(&p.head, wants_body, &f);
    if (f.verdict != HK_HTTP_FRAMING_OK)
        assert_non_null(f.reason);
    return f.verdict;
}

static hk_http_verdict check_n(const char *text, size_t len, bool wants_body)
{
    static parsed p;
    hk_http_framing f;
    parse_n(&p, text, len);
    hk_http_framing_check(&p.head, wants_body, &f);
    return f.verdict;
}

#define POST "POST /graphql/v1 HTTP/1.1\r\nHost: x\r\n"

static void test_good_requests(void **state)
{
    parsed p;
    hk_http_framing f;
    parse(&p, POST "Authorization: Bearer k\r\nContent-Type: application/json\r\n"
                   "Content-Length: 12\r\n\r\n");
    hk_http_framing_check(&p.head, true, &f);
    assert_int_equal(f.verdict, HK_HTTP_FRAMING_OK);
    assert_null(f.reason);
    assert_true(f.has_length);
    assert_int_equal(f.content_length, 12);
    assert_string_equal(f.authorization, "Bearer k");

    assert_int_equal(check("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false), HK_HTTP_FRAMING_OK);
    /* Bare LF line ends, no space after the colon, tabs, empty values, obs-text. */
    assert_int_equal(
        check("GET /healthz HTTP/1.1\nHost:x\nX-A:\t a b \t\nX-E:\nX-U: caf\xc3\xa9\n\n", false),
        HK_HTTP_FRAMING_OK);
    /* HTTP/1.0 may go without Host; a query string is the target's. */
    assert_int_equal(check("GET /metrics?x=1 HTTP/1.0\r\n\r\n", false), HK_HTTP_FRAMING_OK);
    assert_int_equal(check(POST "Content-Length: 0\r\n\r\n", true), HK_HTTP_FRAMING_OK);
    /* Without the raw head (another caller): the field rules alone. */
    parse(&p, POST "Content-Length: 1\r\n\r\n");
    p.head.raw = NULL;
    hk_http_framing_check(&p.head, true, &f);
    assert_int_equal(f.verdict, HK_HTTP_FRAMING_OK);
}

/* The three smuggling framings of issue 15, and their kin. */
static void test_ambiguous_lengths(void **state)
{
    assert_int_equal(check(POST "Content-Length: 0\r\nContent-Length: 35\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Content-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Content-Length : 35\r\n\r\n", true), HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Content-Length\t: 35\r\n\r\n", true), HK_HTTP_FRAMING_BAD);
    for (const char *bad = "+5\0-1\0 5x\0"
                           "1e3\0"
                           "0x10\0"
                           "12345678901234567890\0";
         *bad; bad += strlen(bad) + 1) {
        char text[256];
        snprintf(text, sizeof text, POST "Content-Length: %s\r\n\r\n", bad);
        assert_int_equal(check(text, true), HK_HTTP_FRAMING_BAD);
    }
    /* A body the route does not want still needs no length; one it wants does. */
    assert_int_equal(check(POST "\r\n", true), HK_HTTP_FRAMING_LENGTH_REQUIRED);
    assert_int_equal(check("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", false),
                     HK_HTTP_FRAMING_OK);
}

static void test_transfer_codings(void **state)
{
    assert_int_equal(check(POST "Transfer-Encoding: chunked\r\n\r\n", true),
                     HK_HTTP_FRAMING_LENGTH_REQUIRED);
    assert_int_equal(check(POST "Transfer-Encoding: CHUNKED \r\n\r\n", true),
                     HK_HTTP_FRAMING_LENGTH_REQUIRED);
    assert_int_equal(check(POST "Transfer-Encoding: gzip, chunked\r\n\r\n", true),
                     HK_HTTP_FRAMING_NOT_IMPLEMENTED);
    assert_int_equal(check(POST "Transfer-Encoding: gzip,chunked\r\n\r\n", true),
                     HK_HTTP_FRAMING_NOT_IMPLEMENTED);
    assert_int_equal(check(POST "Transfer-Encoding: chunked, gzip\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Transfer-Encoding: identity\r\n\r\n", true), HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Transfer-Encoding: xchunked\r\n\r\n", true), HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Transfer-Encoding:\r\n\r\n", true), HK_HTTP_FRAMING_BAD);
    assert_int_equal(
        check(POST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", true),
        HK_HTTP_FRAMING_BAD);
    /* On any route: a GET with a chunked body is refused too. */
    assert_int_equal(
        check("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", false),
        HK_HTTP_FRAMING_LENGTH_REQUIRED);
}

static void test_fields_that_come_once(void **state)
{
    assert_int_equal(check(POST "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n"
                                "Content-Length: 1\r\n\r\n",
                           true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "authorization: Bearer a\r\nAUTHORIZATION: Bearer a\r\n"
                                "Content-Length: 1\r\n\r\n",
                           true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "Host: y\r\nContent-Length: 1\r\n\r\n", true), HK_HTTP_FRAMING_BAD);
    assert_int_equal(
        check(POST "Content-Type: a\r\nContent-Type: b\r\nContent-Length: 1\r\n\r\n", true),
        HK_HTTP_FRAMING_BAD);
    assert_int_equal(check("GET /healthz HTTP/1.1\r\n\r\n", false), HK_HTTP_FRAMING_BAD);
    /* Others may repeat. */
    assert_int_equal(
        check("GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: a\r\nAccept: b\r\n\r\n", false),
        HK_HTTP_FRAMING_OK);
}

static void test_nul_and_controls(void **state)
{
    /* "Bearer KEY\0junk": libmicrohttpd's value stops at the NUL; the junk is in the gap. */
    static const char nul_auth[] =
        POST "Authorization: Bearer k\0junk\r\nContent-Length: 1\r\n\r\n";
    assert_int_equal(check_n(nul_auth, sizeof nul_auth - 1, true), HK_HTTP_FRAMING_BAD);
    static const char nul_end[] = POST "Authorization: Bearer k\0\r\nContent-Length: 1\r\n\r\n";
    assert_int_equal(check_n(nul_end, sizeof nul_end - 1, true), HK_HTTP_FRAMING_BAD);
    static const char nul_last[] = POST "Authorization: Bearer k\0\r\n\r\n";
    assert_int_equal(check_n(nul_last, sizeof nul_last - 1, false), HK_HTTP_FRAMING_BAD);
    /* The one shape it cannot see: a NUL just before a bare LF is a line end to it. Harmless:
     * the value read is the value sent, less that NUL. */
    static const char nul_lf[] = POST "Authorization: Bearer k\0\nContent-Length: 1\r\n\r\n";
    assert_int_equal(check_n(nul_lf, sizeof nul_lf - 1, true), HK_HTTP_FRAMING_OK);
    /* In the target, in the method. */
    static const char nul_target[] = "GET /healthz\0junk HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(check_n(nul_target, sizeof nul_target - 1, false), HK_HTTP_FRAMING_BAD);
    static const char nul_method[] = "GE\0T /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(check_n(nul_method, sizeof nul_method - 1, false), HK_HTTP_FRAMING_BAD);
    /* Control characters in a value; CR alone is one. */
    assert_int_equal(check(POST "X-A: a\x01z\r\nContent-Length: 1\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "X-A: a\rz\r\nContent-Length: 1\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "X-A: a\x7fz\r\nContent-Length: 1\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    /* Names: token characters only. */
    assert_int_equal(check(POST "X-A b: c\r\nContent-Length: 1\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST "X-\xc3\xa9: c\r\nContent-Length: 1\r\n\r\n", true),
                     HK_HTTP_FRAMING_BAD);
    assert_int_equal(check(POST ": c\r\nContent-Length: 1\r\n\r\n", true), HK_HTTP_FRAMING_BAD);
    /* Two spaces between the method and the target. */
    assert_int_equal(check("GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false),
                     HK_HTTP_FRAMING_BAD);
}

/* libmicrohttpd copies a folded value's name elsewhere in its pool: out of the raw head. */
static void test_folded_lines(void **state)
{
    parsed p;
    hk_http_framing f;
    parse(&p, POST "X-Folded: a\r\nContent-Length: 1\r\n\r\n");
    static char moved[] = "X-Folded";
    p.fields[1].name = moved;
    hk_http_framing_check(&p.head, true, &f);
    assert_int_equal(f.verdict, HK_HTTP_FRAMING_BAD);
    /* A field out of order is not the layout either. */
    parse(&p, POST "X-A: a\r\nX-B: b\r\n\r\n");
    hk_http_field t = p.fields[1];
    p.fields[1] = p.fields[2];
    p.fields[2] = t;
    hk_http_framing_check(&p.head, false, &f);
    assert_int_equal(f.verdict, HK_HTTP_FRAMING_BAD);
    /* A raw length that is not the head's end. */
    parse(&p, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    p.head.raw_len += 1;
    hk_http_framing_check(&p.head, false, &f);
    assert_int_equal(f.verdict, HK_HTTP_FRAMING_BAD);
}

static void test_statuses(void **state)
{
    assert_int_equal(hk_http_framing_status(HK_HTTP_FRAMING_OK), 200);
    assert_int_equal(hk_http_framing_status(HK_HTTP_FRAMING_BAD), 400);
    assert_int_equal(hk_http_framing_status(HK_HTTP_FRAMING_LENGTH_REQUIRED), 411);
    assert_int_equal(hk_http_framing_status(HK_HTTP_FRAMING_NOT_IMPLEMENTED), 501);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_requests),    cmocka_unit_test(test_ambiguous_lengths),
        cmocka_unit_test(test_transfer_codings), cmocka_unit_test(test_fields_that_come_once),
        cmocka_unit_test(test_nul_and_controls), cmocka_unit_test(test_folded_lines),
        cmocka_unit_test(test_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
