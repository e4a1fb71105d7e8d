/*
 * vrrp_sock: the raw socket of one VRRP instance, IP protocol 112 on one
 * interface, for vrrp_net.c's packets:
 *
 *   IPv4  member of 224.0.0.18, TTL 255; received datagrams carry their
 *         IP header (vrrp_net_check4 reads it)
 *   IPv6  member of ff02::12, hop limit 255; received messages come with
 *         their source, destination and hop limit (vrrp_net_check6)
 *
 * Non-blocking, bound to the interface, multicast loop off; opened once when
 * the instance starts and closed when it is freed. Sending never blocks.
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_SOCK_H
#define RAMPART_GATEWAY_HA_VRRP_SOCK_H

#include "gateway/ha/vrrp_net.h"

#include <stddef.h>
#include <sys/types.h>

/* -1 with a message in `err` (unknown interface, no CAP_NET_RAW). */
int vrrp_sock_open(int family, const char *ifname, char *err, size_t errlen);

/* Sends one built advertisement from `src` (our primary / link-local
 * address, RFC 5798 5.1.1.1 / 5.1.2.1) to `dst` (the group or a peer):
 * 0, or -1 counted in stats->tx_errors. */
int vrrp_sock_send(int fd, int family, unsigned ifindex, const struct vrrp_addr *src,
                   const struct vrrp_addr *dst, const uint8_t *msg, size_t len, struct vrrp_net_stats *stats);

/* Reads one datagram into buf: its length, 0 when none is waiting, -1 on
 * an error. IPv6: `meta` filled from the ancillary data. */
ssize_t vrrp_sock_recv(int fd, int family, uint8_t *buf, size_t cap, struct vrrp_rx6 *meta);

#endif /* RAMPART_GATEWAY_HA_VRRP_SOCK_H */
