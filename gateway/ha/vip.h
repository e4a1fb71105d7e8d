/*
 * vip: the virtual addresses of a VRRP instance on one interface, and the
 * service addresses [bgp] announces (announce_route.c opens a set of its
 * own). The only module that adds or removes addresses (rtnetlink through
 * rtnl.c); the announcements that move clients to them are
 * vip_announce.c's (VRRP) and BIRD's (BGP).
 *
 *   vip_open / vip_close     resolve the interface, open the netlink socket
 *   vip_add_all / _del_all   take / give up every virtual address
 *   vip_primary              our own address there, the VRRP source: the
 *                            first IPv4 one that is not a VIP, or the IPv6
 *                            link-local one once its DAD has finished
 *   vip_link_up              is an interface up with carrier?
 *
 * IPv6 VIPs are added with IFA_F_NODAD: a Master must answer for its
 * address at once, and during a split brain both nodes hold it on purpose.
 * The netlink exchange is one request and its acknowledgement, which the
 * kernel answers at once; nothing else here waits.
 */
#ifndef RAMPART_GATEWAY_HA_VIP_H
#define RAMPART_GATEWAY_HA_VIP_H

#include "common/parse.h"
#include "gateway/ha/rtnl.h"

#include <stdbool.h>
#include <stdint.h>

struct vip_set {
    char ifname[16];
    unsigned ifindex;
    int family; /* of every VIP: AF_INET or AF_INET6 */
    const struct ip_prefix *vips;
    unsigned n_vips;
    struct rtnl nl;
};

/* 0, or -1 with a message in `err` (unknown interface, no permission). */
int vip_open(struct vip_set *vs, const char *ifname, int family, const struct ip_prefix *vips,
             unsigned n_vips, char *err, size_t errlen);
void vip_close(struct vip_set *vs);

/* Adding an address already there, or removing one already gone, is not an
 * error (start-up cleans a VIP left by a crash this way). Both try every
 * address and return -1 if any failed, with the first problem in `err`. */
int vip_add_all(struct vip_set *vs, char *err, size_t errlen);
int vip_del_all(struct vip_set *vs, char *err, size_t errlen);

/* Our address of the set's family on its interface (network order, 4 or
 * 16 bytes into `out`): 0, or -1 if there is none yet (IPv6: no link-local
 * address, or it is still tentative). */
int vip_primary(struct vip_set *vs, uint8_t out[16]);

/* How many of the set's addresses (either family) the interface lacks:
 * 0 when it holds them all, or -1 when the kernel could not be asked. */
int vip_missing(struct vip_set *vs);

/* 1 up with carrier, 0 down, -1 no such interface. */
int vip_link_up(const char *ifname);

#endif /* RAMPART_GATEWAY_HA_VIP_H */
