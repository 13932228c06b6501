/*
 * listen.h - the address the daemon listens on, from "HOST:PORT" to a
 * bound, listening socket.
 *
 * Accepted forms: "127.0.0.1:8080", "[::1]:8080", "localhost:8080". The host
 * is required: hookd binds exactly the address it is given and never falls
 * back to the wildcard address ("0.0.0.0:8080" must be asked for).
 */
#ifndef HOOKD_DAEMON_LISTEN_H
#define HOOKD_DAEMON_LISTEN_H

#include <stdbool.h>

#include "core/error.h"

/* Longest host we accept: a DNS name is at most 253 characters. */
#define HK_LISTEN_HOST_MAX 256
/* Room for "[" + host + "]:" + port. */
#define HK_LISTEN_DESC_MAX (HK_LISTEN_HOST_MAX + 16)

typedef struct hk_listen_addr {
    char host[HK_LISTEN_HOST_MAX]; /* without the brackets of an IPv6 literal */
    char port[6];                  /* decimal, 0..65535 */
    bool is_ipv6_literal;          /* given as "[...]:port" */
} hk_listen_addr;

/* Splits spec into host and port. HK_EINVAL with a message when malformed. */
HK_MUST_CHECK hk_status hk_listen_parse(const char *spec, hk_listen_addr *out, hk_error *err);

/*
 * Resolves the host, then creates, binds and listens on the first address
 * that binds (non-blocking, close-on-exec, SO_REUSEADDR, IPv6-only for IPv6
 * addresses). Writes the socket to *fd_out and the address actually bound
 * (with the real port when port 0 was asked for) to desc. HK_EIO with a
 * message naming the address and the OS error otherwise.
 */
HK_MUST_CHECK hk_status hk_listen_open(const hk_listen_addr *addr, int *fd_out,
                                       char desc[HK_LISTEN_DESC_MAX], hk_error *err);

#endif
