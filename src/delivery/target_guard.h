/*
 * target_guard.h - which destinations a delivery may connect to (SPEC §4,
 * server-side request forgery).
 *
 * Webhook URLs are chosen by API users, so without a guard they could make
 * hookd POST into the operator's own network. The check is made on the
 * socket address actually connected to (from libcurl's open-socket
 * callback), after DNS resolution: a name that resolves to a public address
 * when the target is created and to 127.0.0.1 later (DNS rebinding) is still
 * refused. Refused, unless private targets are allowed (development mode):
 *
 *   IPv4: 0.0.0.0/8 (unspecified, "this network"), 127/8 (loopback),
 *         10/8, 172.16/12, 192.168/16 (private), 100.64/10 (shared, CGNAT),
 *         169.254/16 (link-local), 192.0.0.0/24 (IETF protocol assignments),
 *         192.0.2/24, 198.51.100/24, 203.0.113/24 (documentation),
 *         198.18/15 (benchmarking), 224/4 (multicast), 240/4 (reserved,
 *         255.255.255.255 broadcast included).
 *   IPv6: :: (unspecified), ::1 (loopback), fe80::/10 (link-local),
 *         fec0::/10 (old site-local), fc00::/7 (unique local), ff00::/8
 *         (multicast), 2001:db8::/32 (documentation), 100::/64 (discard),
 *         64:ff9b:1::/48 (local NAT64); and addresses that embed an IPv4
 *         address — IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d,
 *         IPv4-translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4
 *         2002:AABB:CCDD:: — are judged by that IPv4 address.
 *
 * Addresses of other families (AF_UNIX, ...) are always refused.
 * Pure functions, thread-safe.
 */
#ifndef HOOKD_DELIVERY_TARGET_GUARD_H
#define HOOKD_DELIVERY_TARGET_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

typedef enum hk_addr_class {
    HK_ADDR_PUBLIC,
    HK_ADDR_UNSPECIFIED,
    HK_ADDR_LOOPBACK,
    HK_ADDR_PRIVATE, /* RFC 1918, CGNAT, unique local, site-local */
    HK_ADDR_LINK_LOCAL,
    HK_ADDR_MULTICAST,
    HK_ADDR_BROADCAST,
    HK_ADDR_RESERVED,    /* protocol assignments, documentation, benchmarking, 240/4 */
    HK_ADDR_UNSUPPORTED, /* not AF_INET / AF_INET6, or a truncated address */
} hk_addr_class;

/* "public", "loopback", ... Static. */
const char *hk_addr_class_name(hk_addr_class c);

/* The class of a 4-byte IPv4 address (network order) / 16-byte IPv6 address. */
hk_addr_class hk_addr_classify_v4(const uint8_t a[4]);
hk_addr_class hk_addr_classify_v6(const uint8_t a[16]);

/* The class of a socket address of `len` bytes. */
hk_addr_class hk_addr_classify(const struct sockaddr *sa, socklen_t len);

/* True when a delivery may connect to `sa`: a public address, or (with
 * allow_private) any IPv4 or IPv6 address. */
bool hk_addr_allowed(const struct sockaddr *sa, socklen_t len, bool allow_private);

/* True when the URL's scheme may be used: https://, or http:// too with
 * allow_private (case-insensitive). */
bool hk_url_scheme_allowed(const char *url, bool allow_private);

#endif
