/*
 * Virtual addresses over rtnetlink and gratuitous ARP: see vip.h. The
 * netlink exchange follows libmnl's rtnl-addr-add example: one request, one
 * acknowledgement checked by sequence number, in a single helper.
 */
#include "gateway/ha/vip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VIP_NL_BUF 8192 /* one request or acknowledgement (MNL_SOCKET_BUFFER_SIZE is not constant) */

/* An ARP packet for IPv4 over Ethernet (RFC 826), as sent on a SOCK_DGRAM
 * packet socket (the kernel writes the Ethernet header). */
struct arp_ipv4 {
    uint16_t htype, ptype;
    uint8_t hlen, plen;
    uint16_t op;
    uint8_t sha[VIP_MAC_LEN];
    uint8_t spa[4];
    uint8_t tha[VIP_MAC_LEN];
    uint8_t tpa[4];
} __attribute__((packed));

static int read_mac(const char *ifname, uint8_t mac[VIP_MAC_LEN], char *err, size_t errlen)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : ioctl(fd, SIOCGIFHWADDR, &ifr);
    if (fd >= 0)
        close(fd);
    if (rc < 0) {
        snprintf(err, errlen, "VIP interface '%s': hardware address: %s", ifname, strerror(errno));
        return -1;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, VIP_MAC_LEN);
    return 0;
}

int vip_open(struct vip_set *vs, const char *ifname, const struct ip_prefix *vips, unsigned n_vips, char *err,
             size_t errlen)
{
    memset(vs, 0, sizeof *vs);
    vs->arp_fd = -1;
    vs->resolve_fd = -1;
    snprintf(vs->ifname, sizeof vs->ifname, "%s", ifname);
    vs->vips = vips;
    vs->n_vips = n_vips;
    vs->ifindex = if_nametoindex(ifname);
    if (vs->ifindex == 0) {
        snprintf(err, errlen, "VIP interface '%s': %s", ifname, strerror(errno));
        return -1;
    }
    if (read_mac(ifname, vs->mac, err, errlen) < 0)
        return -1;
    vs->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!vs->nl || mnl_socket_bind(vs->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        snprintf(err, errlen, "rtnetlink socket: %s", strerror(errno));
        vip_close(vs);
        return -1;
    }
    /* protocol 0: send only, so no ARP traffic queues up on a socket never read */
    vs->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (vs->arp_fd < 0) {
        snprintf(err, errlen, "ARP socket (needs CAP_NET_RAW): %s", strerror(errno));
        vip_close(vs);
        return -1;
    }
    vs->seq = (unsigned)time(NULL);
    return 0;
}

void vip_close(struct vip_set *vs)
{
    if (vs->nl)
        mnl_socket_close(vs->nl);
    vs->nl = NULL;
    if (vs->arp_fd >= 0)
        close(vs->arp_fd);
    vs->arp_fd = -1;
    vip_resolve_stop(vs);
}

/* One RTM_NEWADDR / RTM_DELADDR request and its acknowledgement; returns 0
 * or -errno from the kernel. */
static int addr_request(struct vip_set *vs, uint16_t type, uint16_t flags, const struct ip_prefix *p)
{
    char buf[VIP_NL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = ++vs->seq;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = (uint8_t)p->addr.family;
    ifa->ifa_prefixlen = (uint8_t)p->len;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = vs->ifindex;
    size_t alen = p->addr.family == AF_INET ? sizeof p->addr.u.v4 : sizeof p->addr.u.v6;
    mnl_attr_put(nlh, IFA_LOCAL, alen, &p->addr.u);
    /* IFA_ADDRESS makes the kernel match the prefix length on delete; left
     * out there, so a VIP left by a crash with another length is found too */
    if (type == RTM_NEWADDR)
        mnl_attr_put(nlh, IFA_ADDRESS, alen, &p->addr.u);
    if (mnl_socket_sendto(vs->nl, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    unsigned portid = mnl_socket_get_portid(vs->nl);
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(vs->nl, buf, sizeof buf);
        if (n < 0)
            return -errno;
        int rc = mnl_cb_run(buf, (size_t)n, vs->seq, portid, NULL, NULL);
        if (rc <= MNL_CB_STOP)
            return rc < 0 ? -errno : 0;
    }
}

static int for_each_vip(struct vip_set *vs, uint16_t type, uint16_t flags, int ignore, char *err,
                        size_t errlen)
{
    int result = 0;
    for (unsigned i = 0; i < vs->n_vips; i++) {
        int rc = addr_request(vs, type, flags, &vs->vips[i]);
        if (rc == 0 || rc == -ignore)
            continue;
        if (result == 0) {
            char a[PARSE_ADDR_STR_MAX];
            snprintf(err, errlen, "%s VIP %s/%u on %s: %s", type == RTM_NEWADDR ? "add" : "remove",
                     format_ip(&vs->vips[i].addr, a, sizeof a), vs->vips[i].len, vs->ifname, strerror(-rc));
        }
        result = -1;
    }
    return result;
}

int vip_add_all(struct vip_set *vs, char *err, size_t errlen)
{
    return for_each_vip(vs, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, EEXIST, err, errlen);
}

int vip_del_all(struct vip_set *vs, char *err, size_t errlen)
{
    return for_each_vip(vs, RTM_DELADDR, 0, EADDRNOTAVAIL, err, errlen);
}

/* One ARP request, broadcast: "who has tpa? tell spa (at sha)". */
static bool arp_send(struct vip_set *vs, const uint8_t sha[VIP_MAC_LEN], const void *spa, const void *tpa)
{
    struct sockaddr_ll to = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_ARP),
                             .sll_ifindex = (int)vs->ifindex,
                             .sll_halen = VIP_MAC_LEN};
    memset(to.sll_addr, 0xff, VIP_MAC_LEN);
    struct arp_ipv4 arp = {.htype = htons(ARPHRD_ETHER),
                           .ptype = htons(ETH_P_IP),
                           .hlen = VIP_MAC_LEN,
                           .plen = 4,
                           .op = htons(ARPOP_REQUEST)};
    memcpy(arp.sha, sha, VIP_MAC_LEN);
    memcpy(arp.spa, spa, 4);
    memcpy(arp.tpa, tpa, 4);
    return sendto(vs->arp_fd, &arp, sizeof arp, 0, (struct sockaddr *)&to, sizeof to) == sizeof arp;
}

unsigned vip_garp_as(struct vip_set *vs, const uint8_t mac[VIP_MAC_LEN])
{
    unsigned sent = 0;
    for (unsigned i = 0; i < vs->n_vips; i++) {
        /* a gratuitous ARP is a request for the address itself (RFC 5227 3) */
        const struct in_addr *a = &vs->vips[i].addr.u.v4;
        if (vs->vips[i].addr.family == AF_INET && arp_send(vs, mac, a, a))
            sent++;
    }
    return sent;
}

unsigned vip_garp(struct vip_set *vs)
{
    return vip_garp_as(vs, vs->mac);
}

int vip_resolve_start(struct vip_set *vs, uint32_t self, uint32_t target)
{
    if (vs->resolve_fd < 0) {
        vs->resolve_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));
        struct sockaddr_ll me = {
            .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = (int)vs->ifindex};
        if (vs->resolve_fd < 0 || bind(vs->resolve_fd, (struct sockaddr *)&me, sizeof me) < 0) {
            vip_resolve_stop(vs);
            return -1;
        }
    }
    return arp_send(vs, vs->mac, &self, &target) ? 0 : -1;
}

int vip_resolve_poll(struct vip_set *vs, uint32_t target, uint8_t mac[VIP_MAC_LEN])
{
    struct arp_ipv4 arp;
    for (int i = 0; i < 64 && vs->resolve_fd >= 0; i++) { /* bounded: a busy LAN must not hold us */
        ssize_t n = recv(vs->resolve_fd, &arp, sizeof arp, MSG_DONTWAIT);
        if (n < 0)
            return 0;
        if (n < (ssize_t)sizeof arp)
            continue;
        /* any ARP the target sends names its MAC: its reply, or its own GARPs */
        if (arp.htype == htons(ARPHRD_ETHER) && arp.ptype == htons(ETH_P_IP) && arp.hlen == VIP_MAC_LEN &&
            arp.plen == 4 && memcmp(arp.spa, &target, 4) == 0) {
            memcpy(mac, arp.sha, VIP_MAC_LEN);
            return 1;
        }
    }
    return 0;
}

void vip_resolve_stop(struct vip_set *vs)
{
    if (vs->resolve_fd >= 0)
        close(vs->resolve_fd);
    vs->resolve_fd = -1;
}

static bool is_vip(const struct vip_set *vs, uint32_t a)
{
    for (unsigned i = 0; i < vs->n_vips; i++)
        if (vs->vips[i].addr.family == AF_INET && vs->vips[i].addr.u.v4.s_addr == a)
            return true;
    return false;
}

int vip_primary_v4(const struct vip_set *vs, uint32_t *out)
{
    struct ifaddrs *list, *i;
    if (getifaddrs(&list) < 0)
        return -1;
    int rc = -1;
    for (i = list; i && rc < 0; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, vs->ifname) != 0)
            continue;
        uint32_t a = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr;
        if (!is_vip(vs, a)) {
            *out = a;
            rc = 0;
        }
    }
    freeifaddrs(list);
    return rc;
}

int vip_link_up(const char *ifname)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    close(fd);
    if (rc < 0)
        return -1;
    return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING) ? 1 : 0;
}
