/*
 * The raw VRRP socket of one instance: see vrrp_sock.h.
 */
#include "gateway/ha/vrrp_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int set_opt(int fd, int level, int name, const void *val, socklen_t len, const char *what, char *err,
                   size_t errlen)
{
    if (setsockopt(fd, level, name, val, len) == 0)
        return 0;
    snprintf(err, errlen, "VRRP socket: %s: %s", what, strerror(errno));
    return -1;
}

static int setup4(int fd, unsigned ifindex, char *err, size_t errlen)
{
    struct ip_mreqn mreq = {.imr_ifindex = (int)ifindex};
    inet_pton(AF_INET, VRRP_GROUP_V4, &mreq.imr_multiaddr);
    int ttl = VRRP_TTL, off = 0;
    if (set_opt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq, "join 224.0.0.18", err, errlen) ||
        set_opt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq, "multicast interface", err, errlen) ||
        set_opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl, "multicast TTL", err, errlen) ||
        set_opt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl, "TTL", err, errlen) ||
        set_opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off, "multicast loop", err, errlen))
        return -1;
    return 0;
}

static int setup6(int fd, unsigned ifindex, char *err, size_t errlen)
{
    struct ipv6_mreq mreq = {.ipv6mr_interface = ifindex};
    inet_pton(AF_INET6, VRRP_GROUP_V6, &mreq.ipv6mr_multiaddr);
    int hops = VRRP_TTL, off = 0, on = 1, idx = (int)ifindex;
    if (set_opt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq, "join ff02::12", err, errlen) ||
        set_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx, "multicast interface", err, errlen) ||
        set_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops, "multicast hops", err, errlen) ||
        set_opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops, "unicast hops", err, errlen) ||
        set_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off, "multicast loop", err, errlen) ||
        set_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on, "receive destination", err, errlen) ||
        set_opt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on, "receive hop limit", err, errlen))
        return -1;
    return 0;
}

int vrrp_sock_open(int family, const char *ifname, char *err, size_t errlen)
{
    unsigned ifindex = if_nametoindex(ifname);
    if (ifindex == 0) {
        snprintf(err, errlen, "VRRP interface '%s': %s", ifname, strerror(errno));
        return -1;
    }
    int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
    if (fd < 0) {
        snprintf(err, errlen, "VRRP raw socket (needs CAP_NET_RAW): %s", strerror(errno));
        return -1;
    }
    if (set_opt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname), "bind to interface", err,
                errlen) ||
        (family == AF_INET6 ? setup6(fd, ifindex, err, errlen) : setup4(fd, ifindex, err, errlen))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The source must be our primary address (RFC 5798 5.1.1.1, 5.1.2.1), not
 * a VIP the kernel might otherwise pick: IP_PKTINFO / IPV6_PKTINFO. */
static void put_pktinfo(struct msghdr *mh, int family, unsigned ifindex, const struct vrrp_addr *src)
{
    struct cmsghdr *c = CMSG_FIRSTHDR(mh);
    if (family == AF_INET6) {
        struct in6_pktinfo pi = {.ipi6_ifindex = ifindex};
        memcpy(&pi.ipi6_addr, src->b, 16);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
    } else {
        struct in_pktinfo pi = {.ipi_ifindex = (int)ifindex, .ipi_spec_dst.s_addr = vrrp_addr_to_v4(src)};
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
    mh->msg_controllen = c->cmsg_len;
}

int vrrp_sock_send(int fd, int family, unsigned ifindex, const struct vrrp_addr *src,
                   const struct vrrp_addr *dst, const uint8_t *msg, size_t len, struct vrrp_net_stats *stats)
{
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } to;
    memset(&to, 0, sizeof to);
    socklen_t to_len = family == AF_INET6 ? sizeof to.v6 : sizeof to.v4;
    if (family == AF_INET6) {
        to.v6.sin6_family = AF_INET6;
        memcpy(&to.v6.sin6_addr, dst->b, 16);
        to.v6.sin6_scope_id = ifindex; /* ff02::12 and link-local peers need the link */
    } else {
        to.v4.sin_family = AF_INET;
        to.v4.sin_addr.s_addr = vrrp_addr_to_v4(dst);
    }
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
    struct msghdr mh = {.msg_name = &to,
                        .msg_namelen = to_len,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof ctl.buf};
    put_pktinfo(&mh, family, ifindex, src);
    if (sendmsg(fd, &mh, MSG_DONTWAIT) != (ssize_t)len) {
        stats->tx_errors++;
        return -1;
    }
    stats->tx++;
    return 0;
}

static void read_meta6(struct msghdr *mh, const struct sockaddr_in6 *from, struct vrrp_rx6 *meta)
{
    memset(meta, 0, sizeof *meta);
    meta->hop_limit = -1;
    memcpy(meta->src.b, &from->sin6_addr, 16);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != IPPROTO_IPV6)
            continue;
        if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            memcpy(meta->dst.b, &pi.ipi6_addr, 16);
        } else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(&meta->hop_limit, CMSG_DATA(c), sizeof(int));
        }
    }
}

ssize_t vrrp_sock_recv(int fd, int family, uint8_t *buf, size_t cap, struct vrrp_rx6 *meta)
{
    struct sockaddr_in6 from = {0};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr mh = {.msg_name = &from,
                        .msg_namelen = sizeof from,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof ctl.buf};
    ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (family == AF_INET6)
        read_meta6(&mh, &from, meta);
    return n;
}
