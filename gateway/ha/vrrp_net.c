/*
 * VRRPv3 advertisements on the wire: see vrrp_net.h. The packet format is
 * RFC 5798 section 5.1; the receive checks are section 7.1, in its order.
 */
#include "gateway/ha/vrrp_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const drop_names[VRRP_DROP_COUNT] = {
    [VRRP_DROP_SHORT] = "short",       [VRRP_DROP_IP] = "ip_header",      [VRRP_DROP_TTL] = "ttl",
    [VRRP_DROP_VERSION] = "version",   [VRRP_DROP_TYPE] = "type",         [VRRP_DROP_LENGTH] = "length",
    [VRRP_DROP_CHECKSUM] = "checksum", [VRRP_DROP_VRID] = "vrid",         [VRRP_DROP_OWNER] = "owner",
    [VRRP_DROP_ADDRS] = "addresses",   [VRRP_DROP_INTERVAL] = "interval", [VRRP_DROP_PEER] = "peer",
    [VRRP_DROP_SELF] = "self",
};

const char *vrrp_drop_name(enum vrrp_drop why)
{
    return (unsigned)why < VRRP_DROP_COUNT ? drop_names[why] : "unknown";
}

/* Appends to buf at *len; false once it no longer fits. */
__attribute__((format(printf, 4, 5))) static bool put(char *buf, size_t cap, size_t *len, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = *len < cap ? vsnprintf(buf + *len, cap - *len, fmt, ap) : -1;
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len)
        return false;
    *len += (size_t)n;
    return true;
}

int vrrp_net_stats_render(char *buf, size_t cap, const char *state, unsigned priority,
                          const struct vrrp_net_stats *s)
{
    static const char *const states[] = {"init", "backup", "master"};
    size_t len = 0;
    bool fits = put(buf, cap, &len,
                    "# HELP rampart_vrrp_state VRRP state of this node.\n"
                    "# TYPE rampart_vrrp_state gauge\n");
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        fits = fits && put(buf, cap, &len, "rampart_vrrp_state{state=\"%s\"} %d\n", states[i],
                           strcmp(state, states[i]) == 0);
    fits = fits && put(buf, cap, &len,
                       "# HELP rampart_vrrp_priority Priority advertised now (0: standing down).\n"
                       "# TYPE rampart_vrrp_priority gauge\nrampart_vrrp_priority %u\n"
                       "# TYPE rampart_vrrp_adverts_sent_total counter\n"
                       "rampart_vrrp_adverts_sent_total %llu\n"
                       "# TYPE rampart_vrrp_adverts_send_errors_total counter\n"
                       "rampart_vrrp_adverts_send_errors_total %llu\n"
                       "# TYPE rampart_vrrp_adverts_received_total counter\n"
                       "rampart_vrrp_adverts_received_total %llu\n"
                       "# TYPE rampart_vrrp_adverts_accepted_total counter\n"
                       "rampart_vrrp_adverts_accepted_total %llu\n"
                       "# HELP rampart_vrrp_adverts_dropped_total Advertisements refused, by reason.\n"
                       "# TYPE rampart_vrrp_adverts_dropped_total counter\n",
                       priority, (unsigned long long)s->tx, (unsigned long long)s->tx_errors,
                       (unsigned long long)s->rx, (unsigned long long)s->rx_ok);
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        fits = fits && put(buf, cap, &len, "rampart_vrrp_adverts_dropped_total{reason=\"%s\"} %llu\n",
                           vrrp_drop_name(i), (unsigned long long)s->drops[i]);
    return fits ? (int)len : -1;
}

/* RFC 1071 one's-complement sum of 16-bit big-endian words. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
    for (; len > 1; p += 2, len -= 2)
        sum += (uint32_t)p[0] << 8 | p[1];
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

uint16_t vrrp_net_checksum(uint32_t src, uint32_t dst, const uint8_t *msg, size_t len)
{
    uint8_t pseudo[12];
    memcpy(pseudo, &src, 4);
    memcpy(pseudo + 4, &dst, 4);
    pseudo[8] = 0;
    pseudo[9] = VRRP_IPPROTO;
    pseudo[10] = (uint8_t)(len >> 8);
    pseudo[11] = (uint8_t)len;
    uint32_t sum = sum16(sum16(0, pseudo, sizeof pseudo), msg, len);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t vrrp_net_build(uint8_t *buf, size_t cap, const struct vrrp_advert *adv, const uint32_t *addrs)
{
    size_t len = VRRP_HDR_LEN + 4 * (size_t)adv->n_addrs;
    if (adv->n_addrs > VRRP_MAX_ADDRS || len > cap)
        return 0;
    buf[0] = VRRP_VERSION << 4 | VRRP_TYPE_ADVERT;
    buf[1] = adv->vrid;
    buf[2] = adv->priority;
    buf[3] = (uint8_t)adv->n_addrs;
    buf[4] = (uint8_t)(adv->interval_cs >> 8 & 0x0f); /* 4 reserved bits, then 12 */
    buf[5] = (uint8_t)adv->interval_cs;
    buf[6] = buf[7] = 0;
    memcpy(buf + VRRP_HDR_LEN, addrs, 4 * (size_t)adv->n_addrs);
    uint16_t ck = vrrp_net_checksum(adv->src, adv->dst, buf, len);
    buf[6] = (uint8_t)(ck >> 8);
    buf[7] = (uint8_t)ck;
    return len;
}

static bool has_addr(const uint32_t *list, unsigned n, uint32_t a)
{
    for (unsigned i = 0; i < n; i++)
        if (list[i] == a)
            return true;
    return false;
}

/* Same set of addresses, in any order (RFC 7.1 lets senders order freely). */
static bool same_addrs(const uint8_t *msg, unsigned n, const struct vrrp_expect *exp)
{
    if (n != exp->n_addrs)
        return false;
    for (unsigned i = 0; i < n; i++) {
        uint32_t a;
        memcpy(&a, msg + VRRP_HDR_LEN + 4 * i, 4);
        if (!has_addr(exp->addrs, exp->n_addrs, a))
            return false;
    }
    return true;
}

/* The IPv4 header: returns the VRRP message and its length, or a drop. */
static int check_ip(const uint8_t *pkt, size_t len, struct vrrp_advert *out, const uint8_t **msg,
                    size_t *msg_len)
{
    if (len < VRRP_IP_HDR_MIN + VRRP_HDR_LEN)
        return VRRP_DROP_SHORT;
    struct iphdr ip;
    memcpy(&ip, pkt, sizeof ip);
    size_t hlen = 4u * ip.ihl, total = ntohs(ip.tot_len);
    if (ip.version != 4 || ip.protocol != VRRP_IPPROTO || hlen < VRRP_IP_HDR_MIN || hlen > len)
        return VRRP_DROP_IP;
    if (total < len) /* trust the smaller: trailing link padding is not ours */
        len = total;
    if (len < hlen + VRRP_HDR_LEN)
        return VRRP_DROP_SHORT;
    if (ip.ttl != VRRP_TTL)
        return VRRP_DROP_TTL;
    out->src = ip.saddr;
    out->dst = ip.daddr;
    *msg = pkt + hlen;
    *msg_len = len - hlen;
    return -1;
}

static int check_vrrp(const uint8_t *msg, size_t len, const struct vrrp_expect *exp, struct vrrp_advert *out)
{
    if (msg[0] >> 4 != VRRP_VERSION)
        return VRRP_DROP_VERSION;
    if ((msg[0] & 0x0f) != VRRP_TYPE_ADVERT)
        return VRRP_DROP_TYPE;
    out->vrid = msg[1];
    out->priority = msg[2];
    out->n_addrs = msg[3];
    out->interval_cs = (uint16_t)((msg[4] & 0x0f) << 8 | msg[5]);
    if (len < VRRP_HDR_LEN + 4 * (size_t)out->n_addrs)
        return VRRP_DROP_LENGTH;
    if (vrrp_net_checksum(out->src, out->dst, msg, len) != 0)
        return VRRP_DROP_CHECKSUM; /* a correct sum over everything incl. the field is 0 */
    if (out->vrid != exp->vrid)
        return VRRP_DROP_VRID;
    if (out->src == exp->self)
        return VRRP_DROP_SELF;
    if (exp->n_peers && !has_addr(exp->peers, exp->n_peers, out->src))
        return VRRP_DROP_PEER;
    if (exp->owner)
        return VRRP_DROP_OWNER;
    if (out->priority != 255 && !same_addrs(msg, out->n_addrs, exp))
        return VRRP_DROP_ADDRS;
    if (out->interval_cs == 0)
        return VRRP_DROP_INTERVAL;
    return -1;
}

bool vrrp_net_check(const uint8_t *pkt, size_t len, const struct vrrp_expect *exp, struct vrrp_advert *out,
                    struct vrrp_net_stats *stats)
{
    const uint8_t *msg = NULL;
    size_t msg_len = 0;
    memset(out, 0, sizeof *out);
    int why = check_ip(pkt, len, out, &msg, &msg_len);
    if (why < 0)
        why = check_vrrp(msg, msg_len, exp, out);
    if (why >= 0) {
        stats->drops[why]++;
        return false;
    }
    stats->rx_ok++;
    return true;
}

static int set_opt(int fd, int level, int name, const void *val, socklen_t len, const char *what, char *err,
                   size_t errlen)
{
    if (setsockopt(fd, level, name, val, len) == 0)
        return 0;
    snprintf(err, errlen, "VRRP socket: %s: %s", what, strerror(errno));
    return -1;
}

int vrrp_net_open(const char *ifname, char *err, size_t errlen)
{
    unsigned ifindex = if_nametoindex(ifname);
    if (ifindex == 0) {
        snprintf(err, errlen, "VRRP interface '%s': %s", ifname, strerror(errno));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
    if (fd < 0) {
        snprintf(err, errlen, "VRRP raw socket (needs CAP_NET_RAW): %s", strerror(errno));
        return -1;
    }
    struct ip_mreqn mreq = {.imr_ifindex = (int)ifindex};
    inet_pton(AF_INET, VRRP_GROUP_V4, &mreq.imr_multiaddr);
    int ttl = VRRP_TTL, off = 0;
    if (set_opt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname), "bind to interface", err,
                errlen) ||
        set_opt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq, "join 224.0.0.18", err, errlen) ||
        set_opt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq, "multicast interface", err, errlen) ||
        set_opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl, "multicast TTL", err, errlen) ||
        set_opt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl, "TTL", err, errlen) ||
        set_opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off, "multicast loop", err, errlen)) {
        close(fd);
        return -1;
    }
    return fd;
}

int vrrp_net_send(int fd, unsigned ifindex, uint32_t src, uint32_t dst, const uint8_t *msg, size_t len,
                  struct vrrp_net_stats *stats)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = dst};
    /* the source must be our primary address (RFC 5798 5.1.1.1), not a VIP
     * the kernel might otherwise pick */
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
    struct msghdr mh = {.msg_name = &to,
                        .msg_namelen = sizeof to,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi = {.ipi_ifindex = (int)ifindex, .ipi_spec_dst.s_addr = src};
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    if (sendmsg(fd, &mh, MSG_DONTWAIT) != (ssize_t)len) {
        stats->tx_errors++;
        return -1;
    }
    stats->tx++;
    return 0;
}

ssize_t vrrp_net_recv(int fd, uint8_t *buf, size_t cap, struct vrrp_net_stats *stats)
{
    ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    stats->rx++;
    return n;
}
