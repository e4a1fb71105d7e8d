/*
 * vip_packet: the frames that tell a LAN where a virtual address lives, as
 * a cooked (SOCK_DGRAM) packet socket sends and receives them: the kernel
 * writes and strips the Ethernet header, these are the bytes above it.
 * Pure: bytes in, bytes out.
 *
 *   IPv4  ARP (RFC 826): gratuitous ARP (a request for the address itself,
 *         RFC 5227 3) and the request that asks for a neighbour's MAC
 *   IPv6  an IPv6 header + ICMPv6 (RFC 4861): the unsolicited Neighbor
 *         Advertisement (override flag set, 7.2.6) that moves clients, and
 *         the Neighbor Solicitation that asks for a neighbour's MAC; both
 *         with hop limit 255 and the ICMPv6 checksum over the pseudo-header
 *
 * And the readers for the answers: the sender's MAC of an ARP, the target's
 * MAC of a Neighbor Advertisement. Addresses in network byte order.
 */
#ifndef RAMPART_GATEWAY_HA_VIP_PACKET_H
#define RAMPART_GATEWAY_HA_VIP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIP_MAC_LEN     6
#define VIP_ARP_LEN     28 /* IPv4 over Ethernet */
#define VIP_IP6_HDR_LEN 40
#define VIP_ND_LEN      (VIP_IP6_HDR_LEN + 24 + 8) /* NA or NS with one link-layer address option */
#define VIP_ND_HOPS     255                        /* RFC 4861: anything else was forwarded, and is ignored */

/* ARP request "who has tpa? tell spa (at sha)"; a gratuitous ARP has
 * spa == tpa. Writes VIP_ARP_LEN bytes. */
void vip_packet_arp(uint8_t out[VIP_ARP_LEN], const uint8_t sha[VIP_MAC_LEN], const uint8_t spa[4],
                    const uint8_t tpa[4]);

/* Unsolicited Neighbor Advertisement for `target` from `src` to all nodes
 * (ff02::1), override set, naming `mac` in its Target Link-Layer Address
 * option. Writes VIP_ND_LEN bytes. */
void vip_packet_na(uint8_t out[VIP_ND_LEN], const uint8_t src[16], const uint8_t target[16],
                   const uint8_t mac[VIP_MAC_LEN]);

/* Neighbor Solicitation for `target` from `src` (ours, with our `mac` in its
 * Source Link-Layer Address option) to target's solicited-node group. */
void vip_packet_ns(uint8_t out[VIP_ND_LEN], const uint8_t src[16], const uint8_t target[16],
                   const uint8_t mac[VIP_MAC_LEN]);

/* Where the IPv6 packet built above goes on Ethernet (RFC 2464 7:
 * 33:33 and the group's last 32 bits). */
void vip_packet_ip6_mcast_mac(const uint8_t *ip6_packet, uint8_t mac[VIP_MAC_LEN]);

/* 1 and `mac` set when `pkt` is an ARP (request or reply) sent by
 * `sender` (its own MAC then is the sender hardware address), else 0. */
int vip_packet_arp_from(const uint8_t *pkt, size_t len, const uint8_t sender[4], uint8_t mac[VIP_MAC_LEN]);

/* 1 and `mac` set when `pkt` (an IPv6 packet, header included) is a valid
 * Neighbor Advertisement for `target` naming its link-layer address, else
 * 0: hop limit 255, ICMPv6 code 0, checksum, and the option's length are
 * checked as RFC 4861 7.1.2 asks. */
int vip_packet_na_from(const uint8_t *pkt, size_t len, const uint8_t target[16], uint8_t mac[VIP_MAC_LEN]);

#endif /* RAMPART_GATEWAY_HA_VIP_PACKET_H */
