#include "daemon/listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static hk_status parse_port(const char *spec, const char *s, hk_listen_addr *out, hk_error *err)
{
    size_t len = strlen(s);
    if (len == 0 || len >= sizeof out->port || strspn(s, "0123456789") != len)
        return hk_error_set(err, HK_EINVAL, NULL, "invalid listen address '%s': bad port", spec);
    unsigned long value = strtoul(s, NULL, 10);
    if (value > 65535)
        return hk_error_set(err, HK_EINVAL, NULL, "invalid listen address '%s': port above 65535",
                            spec);
    memcpy(out->port, s, len + 1);
    return HK_OK;
}

static hk_status set_host(const char *spec, const char *host, size_t len, hk_listen_addr *out,
                          hk_error *err)
{
    if (len == 0)
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid listen address '%s': the host is missing "
                            "(use 127.0.0.1:PORT, or 0.0.0.0:PORT for every interface)",
                            spec);
    if (len >= sizeof out->host)
        return hk_error_set(err, HK_EINVAL, NULL, "invalid listen address: the host is too long");
    memcpy(out->host, host, len);
    out->host[len] = '\0';
    return HK_OK;
}

/* "[v6]:port" */
static hk_status parse_bracketed(const char *spec, hk_listen_addr *out, hk_error *err)
{
    const char *close = strchr(spec, ']');
    if (!close || close[1] != ':')
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid listen address '%s': expected [IPV6]:PORT", spec);
    out->is_ipv6_literal = true;
    hk_status st = set_host(spec, spec + 1, (size_t)(close - spec - 1), out, err);
    if (st)
        return st;
    return parse_port(spec, close + 2, out, err);
}

hk_status hk_listen_parse(const char *spec, hk_listen_addr *out, hk_error *err)
{
    memset(out, 0, sizeof *out);
    if (spec[0] == '[')
        return parse_bracketed(spec, out, err);

    const char *colon = strrchr(spec, ':');
    if (!colon)
        return hk_error_set(err, HK_EINVAL, NULL, "invalid listen address '%s': expected HOST:PORT",
                            spec);
    size_t host_len = (size_t)(colon - spec);
    if (memchr(spec, ':', host_len))
        return hk_error_set(err, HK_EINVAL, NULL,
                            "invalid listen address '%s': write IPv6 addresses in brackets, "
                            "as in [::1]:8080",
                            spec);
    hk_status st = set_host(spec, spec, host_len, out, err);
    if (st)
        return st;
    return parse_port(spec, colon + 1, out, err);
}

static void describe(const hk_listen_addr *addr, char desc[HK_LISTEN_DESC_MAX])
{
    if (addr->is_ipv6_literal || strchr(addr->host, ':'))
        snprintf(desc, HK_LISTEN_DESC_MAX, "[%s]:%s", addr->host, addr->port);
    else
        snprintf(desc, HK_LISTEN_DESC_MAX, "%s:%s", addr->host, addr->port);
}

/* The address the socket is really bound to, so that port 0 shows the port picked. */
static void describe_bound(int fd, char desc[HK_LISTEN_DESC_MAX])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    hk_listen_addr bound = {0};
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
        getnameinfo((struct sockaddr *)&ss, len, bound.host, sizeof bound.host, bound.port,
                    sizeof bound.port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return;
    bound.is_ipv6_literal = ss.ss_family == AF_INET6;
    describe(&bound, desc);
}

static int configure_and_listen(int fd, const struct addrinfo *ai)
{
    /* REUSEADDR lets a restart bind while old connections sit in TIME_WAIT; on Linux it does
     * not let two processes listen on the same address. */
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        return -1;
    /* Bind exactly the IPv6 address asked for, not the IPv4 one mapped into it as well. */
    if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
        return -1;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        return -1;
    return listen(fd, SOMAXCONN);
}

/* One candidate address: returns the listening socket, or -1 with errno set. Non-blocking
 * because every thread of the server's pool accepts on it. */
static int bind_one(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (configure_and_listen(fd, ai) == 0)
        return fd;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

hk_status hk_listen_open(const hk_listen_addr *addr, int *fd_out, char desc[HK_LISTEN_DESC_MAX],
                         hk_error *err)
{
    hk_status st = HK_OK;
    struct addrinfo *list = NULL;
    describe(addr, desc);

    struct addrinfo hints = {
        .ai_family = addr->is_ipv6_literal ? AF_INET6 : AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_NUMERICSERV | (addr->is_ipv6_literal ? AI_NUMERICHOST : 0),
    };
    int gai = getaddrinfo(addr->host, addr->port, &hints, &list);
    if (gai != 0) {
        st = hk_error_set(err, HK_EIO, NULL, "cannot resolve listen address %s: %s", desc,
                          gai_strerror(gai));
        goto out;
    }

    /* Keep the first failure: it is about the address most likely meant. */
    int first_errno = 0;
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd = bind_one(ai);
        if (fd >= 0) {
            *fd_out = fd;
            describe_bound(fd, desc);
            goto out;
        }
        if (!first_errno)
            first_errno = errno;
    }
    char buf[128];
    st = hk_error_set(err, HK_EIO, NULL, "cannot listen on %s: %s", desc,
                      strerror_r(first_errno ? first_errno : EADDRNOTAVAIL, buf, sizeof buf));
out:
    if (list)
        freeaddrinfo(list);
    return st;
}
