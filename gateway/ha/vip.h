/*
 * vip: the virtual addresses of a VRRP instance on one interface. The only
 * module that adds or removes addresses (rtnetlink through libmnl) and the
 * one that announces them (gratuitous ARP on an AF_PACKET socket).
 *
 *   vip_open / vip_close     resolve the interface, open both sockets
 *   vip_add_all / _del_all   take / give up every virtual address
 *   vip_garp                 one gratuitous ARP per virtual IPv4 address
 *   vip_primary_v4           our own first address on the interface (VRRP source)
 *   vip_link_up              is an interface up with carrier?
 */
#ifndef RAMPART_GATEWAY_HA_VIP_H
#define RAMPART_GATEWAY_HA_VIP_H

#include "common/parse.h"

#include <stdbool.h>
#include <stdint.h>

#define VIP_MAC_LEN 6

struct mnl_socket;

struct vip_set {
    char ifname[16];
    unsigned ifindex;
    const struct ip_prefix *vips;
    unsigned n_vips;
    struct mnl_socket *nl;
    unsigned seq;
    int arp_fd;     /* sends */
    int resolve_fd; /* receives ARP while resolving, else -1 */
    uint8_t mac[VIP_MAC_LEN];
};

/* 0, or -1 with a message in `err` (unknown interface, no permission). */
int vip_open(struct vip_set *vs, const char *ifname, const struct ip_prefix *vips, unsigned n_vips, char *err,
             size_t errlen);
void vip_close(struct vip_set *vs);

/* Adding an address already there, or removing one already gone, is not an
 * error (start-up cleans a VIP left by a crash this way). Both try every
 * address and return -1 if any failed, with the first problem in `err`. */
int vip_add_all(struct vip_set *vs, char *err, size_t errlen);
int vip_del_all(struct vip_set *vs, char *err, size_t errlen);

/* Returns how many ARPs went out. */
unsigned vip_garp(struct vip_set *vs);
/* The same naming another router's MAC: after yielding to a Master that
 * cannot hear us, we move the clients we pulled back to it. */
unsigned vip_garp_as(struct vip_set *vs, const uint8_t mac[VIP_MAC_LEN]);

/* Finding that router's MAC: vip_resolve_start asks (ARP request from our
 * address `self`, network order) and listens; vip_resolve_poll returns 1
 * with `mac` once the answer came, 0 before; vip_resolve_stop ends it. */
int vip_resolve_start(struct vip_set *vs, uint32_t self, uint32_t target);
int vip_resolve_poll(struct vip_set *vs, uint32_t target, uint8_t mac[VIP_MAC_LEN]);
void vip_resolve_stop(struct vip_set *vs);

/* The first IPv4 address of the interface that is not a virtual one
 * (network byte order); -1 if it has none. */
int vip_primary_v4(const struct vip_set *vs, uint32_t *out);

/* 1 up with carrier, 0 down, -1 no such interface. */
int vip_link_up(const char *ifname);

#endif /* RAMPART_GATEWAY_HA_VIP_H */
