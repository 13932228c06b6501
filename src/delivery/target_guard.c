/*
 * target_guard.c - classifies socket addresses for the SSRF guard (see
 * target_guard.h for the ranges and why).
 */
#include "delivery/target_guard.h"

#include <netinet/in.h>
#include <string.h>
#include <strings.h>

static const char *const class_names[] = {
    [HK_ADDR_PUBLIC] = "public",           [HK_ADDR_UNSPECIFIED] = "unspecified",
    [HK_ADDR_LOOPBACK] = "loopback",       [HK_ADDR_PRIVATE] = "private",
    [HK_ADDR_LINK_LOCAL] = "link-local",   [HK_ADDR_MULTICAST] = "multicast",
    [HK_ADDR_BROADCAST] = "broadcast",     [HK_ADDR_RESERVED] = "reserved",
    [HK_ADDR_UNSUPPORTED] = "unsupported",
};

const char *hk_addr_class_name(hk_addr_class c)
{
    if ((unsigned)c >= sizeof class_names / sizeof class_names[0])
        return "unsupported";
    return class_names[c];
}

/* An IPv4 range: the address's first `bits` bits equal those of `net`. */
typedef struct v4_range {
    uint32_t net;
    unsigned bits;
    hk_addr_class cls;
} v4_range;

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

/* Order matters only where ranges nest: the broadcast address sits in 240/4. */
static const v4_range v4_ranges[] = {
    {V4(255, 255, 255, 255), 32, HK_ADDR_BROADCAST}, /* limited broadcast */
    {V4(0, 0, 0, 0), 8, HK_ADDR_UNSPECIFIED},        /* "this network" */
    {V4(127, 0, 0, 0), 8, HK_ADDR_LOOPBACK},         /* loopback */
    {V4(10, 0, 0, 0), 8, HK_ADDR_PRIVATE},           /* RFC 1918 */
    {V4(172, 16, 0, 0), 12, HK_ADDR_PRIVATE},        /* RFC 1918 */
    {V4(192, 168, 0, 0), 16, HK_ADDR_PRIVATE},       /* RFC 1918 */
    {V4(100, 64, 0, 0), 10, HK_ADDR_PRIVATE},        /* shared address space (CGNAT) */
    {V4(169, 254, 0, 0), 16, HK_ADDR_LINK_LOCAL},    /* link-local, cloud metadata */
    {V4(192, 0, 0, 0), 24, HK_ADDR_RESERVED},        /* IETF protocol assignments */
    {V4(192, 0, 2, 0), 24, HK_ADDR_RESERVED},        /* TEST-NET-1 */
    {V4(198, 51, 100, 0), 24, HK_ADDR_RESERVED},     /* TEST-NET-2 */
    {V4(203, 0, 113, 0), 24, HK_ADDR_RESERVED},      /* TEST-NET-3 */
    {V4(198, 18, 0, 0), 15, HK_ADDR_RESERVED},       /* benchmarking */
    {V4(224, 0, 0, 0), 4, HK_ADDR_MULTICAST},        /* multicast */
    {V4(240, 0, 0, 0), 4, HK_ADDR_RESERVED},         /* reserved */
};

static bool v4_in(uint32_t addr, uint32_t net, unsigned bits)
{
    uint32_t mask = bits == 0 ? 0 : ~(uint32_t)0 << (32 - bits);
    return (addr & mask) == (net & mask);
}

hk_addr_class hk_addr_classify_v4(const uint8_t a[4])
{
    uint32_t addr = V4(a[0], a[1], a[2], a[3]);
    for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++)
        if (v4_in(addr, v4_ranges[i].net, v4_ranges[i].bits))
            return v4_ranges[i].cls;
    return HK_ADDR_PUBLIC;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* The IPv4 address an IPv6 address stands for, when it has one that a
 * connection could end up at. */
static const uint8_t *embedded_v4(const uint8_t a[16])
{
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b}; /* 64:ff9b::/96 */
    bool mapped = all_zero(a, 10) && a[10] == 0xff && a[11] == 0xff;
    bool translated = all_zero(a, 8) && a[8] == 0xff && a[9] == 0xff && all_zero(a + 10, 2);
    bool compatible = all_zero(a, 12); /* deprecated, but some stacks still route it */
    if (mapped || translated || compatible || memcmp(a, nat64, 12) == 0)
        return a + 12;
    if (a[0] == 0x20 && a[1] == 0x02) /* 6to4: 2002:AABB:CCDD::/48 */
        return a + 2;
    return NULL;
}

hk_addr_class hk_addr_classify_v6(const uint8_t a[16])
{
    static const uint8_t loopback[16] = {[15] = 1};
    if (all_zero(a, 16))
        return HK_ADDR_UNSPECIFIED;
    if (memcmp(a, loopback, 16) == 0)
        return HK_ADDR_LOOPBACK;
    if (a[0] == 0xff)
        return HK_ADDR_MULTICAST;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return HK_ADDR_LINK_LOCAL;
    if ((a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) || (a[0] & 0xfe) == 0xfc)
        return HK_ADDR_PRIVATE; /* site-local, unique local */
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
        return HK_ADDR_RESERVED; /* documentation */
    if (a[0] == 0x01 && all_zero(a + 1, 7))
        return HK_ADDR_RESERVED; /* discard-only 100::/64 */
    if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0x00 &&
        a[5] == 0x01)
        return HK_ADDR_PRIVATE; /* local-use NAT64 64:ff9b:1::/48 */
    const uint8_t *v4 = embedded_v4(a);
    if (v4)
        return hk_addr_classify_v4(v4);
    return HK_ADDR_PUBLIC;
}

hk_addr_class hk_addr_classify(const struct sockaddr *sa, socklen_t len)
{
    if (!sa)
        return HK_ADDR_UNSUPPORTED;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        uint8_t a[4];
        memcpy(a, &in->sin_addr, 4);
        return hk_addr_classify_v4(a);
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        uint8_t a[16];
        memcpy(a, &in6->sin6_addr, 16);
        return hk_addr_classify_v6(a);
    }
    return HK_ADDR_UNSUPPORTED;
}

bool hk_addr_allowed(const struct sockaddr *sa, socklen_t len, bool allow_private)
{
    hk_addr_class c = hk_addr_classify(sa, len);
    if (c == HK_ADDR_UNSUPPORTED)
        return false;
    return c == HK_ADDR_PUBLIC || allow_private;
}

bool hk_url_scheme_allowed(const char *url, bool allow_private)
{
    if (!url)
        return false;
    if (strncasecmp(url, "https://", 8) == 0)
        return true;
    return allow_private && strncasecmp(url, "http://", 7) == 0;
}
