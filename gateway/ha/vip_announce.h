/*
 * vip_announce: telling the LAN where the virtual addresses are, and
 * learning a neighbour's MAC, on packet sockets opened once per instance:
 *
 *   IPv4  gratuitous ARPs; an ARP request to learn a neighbour's MAC
 *   IPv6  unsolicited Neighbor Advertisements (override set, from the VIP,
 *         to all nodes); a Neighbor Solicitation to learn a neighbour's MAC
 *
 * Both sockets are opened by vip_announce_open and closed by
 * vip_announce_close only: creating, re-binding or closing a packet socket
 * that receives waits for an RCU grace period in the kernel (8-16 ms
 * measured, `synchronize_net()`), which must not happen on the loop while a
 * node yields. The receiving one is bound from the start and filtered in
 * the kernel: a filter that passes nothing while no MAC is being learned,
 * swapped (which does not wait) for one that passes ARP or Neighbor
 * Advertisements while it is. Nothing here blocks.
 */
#ifndef RAMPART_GATEWAY_HA_VIP_ANNOUNCE_H
#define RAMPART_GATEWAY_HA_VIP_ANNOUNCE_H

#include "common/parse.h"
#include "gateway/ha/vip_packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vip_announce {
    int family;
    unsigned ifindex;
    uint8_t mac[VIP_MAC_LEN]; /* the interface's own */
    int send_fd;
    int listen_fd;
    bool listening; /* the passing filter is on */
};

/* -1 with a message in `err` (no CAP_NET_RAW, unknown interface). */
int vip_announce_open(struct vip_announce *a, int family, const char *ifname, char *err, size_t errlen);
void vip_announce_close(struct vip_announce *a);

/* One gratuitous ARP / unsolicited NA per address, naming `mac` (ours, or
 * the Master's we yielded to). Returns how many went out. */
unsigned vip_announce_addrs(struct vip_announce *a, const struct ip_prefix *vips, unsigned n,
                            const uint8_t mac[VIP_MAC_LEN]);

/* Learning `target`'s MAC (an address of the instance's family, network
 * order; 4 or 16 bytes): _ask sends an ARP request / NS from our `self`
 * and starts listening; _heard returns 1 with `mac` once target has spoken,
 * 0 before (a bounded number of frames read per call); _quiet stops
 * listening. */
int vip_announce_ask(struct vip_announce *a, const uint8_t *self, const uint8_t *target);
int vip_announce_heard(struct vip_announce *a, const uint8_t *target, uint8_t mac[VIP_MAC_LEN]);
void vip_announce_quiet(struct vip_announce *a);

#endif /* RAMPART_GATEWAY_HA_VIP_ANNOUNCE_H */
