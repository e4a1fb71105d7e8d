/*
 * Gratuitous ARP, unsolicited Neighbor Advertisements and learning a
 * neighbour's MAC: see vip_announce.h. Frames come from vip_packet.c.
 */
#include "gateway/ha/vip_announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define ANNOUNCE_READS_MAX 64 /* frames read per _heard call: a busy LAN must not hold the loop */

/* Classic BPF on a cooked packet socket sees the packet from its network
 * header. Nothing passes while no MAC is being learned. */
static struct sock_filter pass_none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
/* IPv4: the socket's protocol is ETH_P_ARP already. */
static struct sock_filter pass_all[] = {BPF_STMT(BPF_RET | BPF_K, 0xffff)};
/* IPv6: next header ICMPv6 (58), ICMPv6 type Neighbor Advertisement (136). */
static struct sock_filter pass_na[] = {
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, 0xffff),      BPF_STMT(BPF_RET | BPF_K, 0),
};

static int set_filter(int fd, struct sock_filter *code, unsigned short len)
{
    struct sock_fprog prog = {.len = len, .filter = code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

static int read_mac(const char *ifname, uint8_t mac[VIP_MAC_LEN], char *err, size_t errlen)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : ioctl(fd, SIOCGIFHWADDR, &ifr);
    if (fd >= 0)
        close(fd);
    if (rc < 0) {
        snprintf(err, errlen, "interface '%s': hardware address: %s", ifname, strerror(errno));
        return -1;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, VIP_MAC_LEN);
    return 0;
}

/* The receiving socket: created with protocol 0 (it receives nothing, and
 * binding it later does not wait for the kernel), filtered, then bound to
 * the one protocol on the one interface. */
static int open_listener(struct vip_announce *a)
{
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    uint16_t proto = htons(a->family == AF_INET6 ? ETH_P_IPV6 : ETH_P_ARP);
    struct sockaddr_ll me = {.sll_family = AF_PACKET, .sll_protocol = proto, .sll_ifindex = (int)a->ifindex};
    if (fd < 0 || set_filter(fd, pass_none, 1) < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int vip_announce_open(struct vip_announce *a, int family, const char *ifname, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->family = family;
    a->send_fd = a->listen_fd = -1;
    a->ifindex = if_nametoindex(ifname);
    if (a->ifindex == 0) {
        snprintf(err, errlen, "interface '%s': %s", ifname, strerror(errno));
        return -1;
    }
    if (read_mac(ifname, a->mac, err, errlen) < 0)
        return -1;
    /* protocol 0: send only, so nothing queues up on a socket never read */
    a->send_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (a->send_fd >= 0)
        a->listen_fd = open_listener(a);
    if (a->listen_fd < 0) {
        snprintf(err, errlen, "%s socket (needs CAP_NET_RAW): %s",
                 family == AF_INET6 ? "neighbour discovery" : "ARP", strerror(errno));
        vip_announce_close(a);
        return -1;
    }
    return 0;
}

void vip_announce_close(struct vip_announce *a)
{
    if (a->send_fd >= 0)
        close(a->send_fd);
    if (a->listen_fd >= 0)
        close(a->listen_fd);
    a->send_fd = a->listen_fd = -1;
    a->listening = false;
}

static bool send_frame(struct vip_announce *a, const void *frame, size_t len, uint16_t proto,
                       const uint8_t dst[VIP_MAC_LEN])
{
    struct sockaddr_ll to = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(proto),
                             .sll_ifindex = (int)a->ifindex,
                             .sll_halen = VIP_MAC_LEN};
    memcpy(to.sll_addr, dst, VIP_MAC_LEN);
    return sendto(a->send_fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) == (ssize_t)len;
}

static bool send_arp(struct vip_announce *a, const uint8_t mac[VIP_MAC_LEN], const uint8_t *spa,
                     const uint8_t *tpa)
{
    static const uint8_t broadcast[VIP_MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t arp[VIP_ARP_LEN];
    vip_packet_arp(arp, mac, spa, tpa);
    return send_frame(a, arp, sizeof arp, ETH_P_ARP, broadcast);
}

static bool send_nd(struct vip_announce *a, const uint8_t frame[VIP_ND_LEN])
{
    uint8_t dst[VIP_MAC_LEN];
    vip_packet_ip6_mcast_mac(frame, dst);
    return send_frame(a, frame, VIP_ND_LEN, ETH_P_IPV6, dst);
}

unsigned vip_announce_addrs(struct vip_announce *a, const struct ip_prefix *vips, unsigned n,
                            const uint8_t mac[VIP_MAC_LEN])
{
    unsigned sent = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct ip_addr *ip = &vips[i].addr;
        if (ip->family != a->family)
            continue;
        if (ip->family == AF_INET) {
            /* a gratuitous ARP is a request for the address itself (RFC 5227 3) */
            const uint8_t *v4 = (const uint8_t *)&ip->u.v4;
            sent += send_arp(a, mac, v4, v4);
        } else {
            /* from the address itself, as the kernel's own unsolicited NAs are */
            uint8_t na[VIP_ND_LEN];
            const uint8_t *v6 = (const uint8_t *)&ip->u.v6;
            vip_packet_na(na, v6, v6, mac);
            sent += send_nd(a, na);
        }
    }
    return sent;
}

int vip_announce_ask(struct vip_announce *a, const uint8_t *self, const uint8_t *target)
{
    if (!a->listening) {
        struct sock_filter *f = a->family == AF_INET6 ? pass_na : pass_all;
        unsigned short len = a->family == AF_INET6 ? sizeof pass_na / sizeof pass_na[0] : 1;
        if (set_filter(a->listen_fd, f, len) < 0)
            return -1;
        a->listening = true;
    }
    if (a->family == AF_INET)
        return send_arp(a, a->mac, self, target) ? 0 : -1;
    uint8_t ns[VIP_ND_LEN];
    vip_packet_ns(ns, self, target, a->mac);
    return send_nd(a, ns) ? 0 : -1;
}

int vip_announce_heard(struct vip_announce *a, const uint8_t *target, uint8_t mac[VIP_MAC_LEN])
{
    uint8_t frame[VIP_ND_LEN + 64];
    for (int i = 0; i < ANNOUNCE_READS_MAX && a->listening; i++) {
        ssize_t n = recv(a->listen_fd, frame, sizeof frame, MSG_DONTWAIT);
        if (n < 0)
            return 0;
        /* any ARP the target sends names its MAC: its reply, or its own GARPs */
        int found = a->family == AF_INET ? vip_packet_arp_from(frame, (size_t)n, target, mac)
                                         : vip_packet_na_from(frame, (size_t)n, target, mac);
        if (found)
            return 1;
    }
    return 0;
}

void vip_announce_quiet(struct vip_announce *a)
{
    if (!a->listening)
        return;
    set_filter(a->listen_fd, pass_none, 1);
    a->listening = false;
    /* what passed before the filter changed is stale next time: drop it */
    uint8_t frame[64];
    for (int i = 0; i < ANNOUNCE_READS_MAX && recv(a->listen_fd, frame, sizeof frame, MSG_DONTWAIT) >= 0; i++)
        ;
}
