/*
 * ARP and Neighbor Discovery frames: see vip_packet.h.
 */
#include "gateway/ha/vip_packet.h"
#include "gateway/ha/inet_sum.h"

#include <string.h>

#define ARP_HTYPE_ETHER 1
#define ARP_PTYPE_IP    0x0800
#define ARP_OP_REQUEST  1
#define ICMP6_PROTO     58
#define ND_NS           135
#define ND_NA           136
#define ND_OPT_SLLA     1
#define ND_OPT_TLLA     2
#define ND_NA_OVERRIDE  0x20 /* first byte of the NA flags: R 0x80, S 0x40, O 0x20 */
#define ND_BODY_LEN     24   /* type .. target, before options */

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

void vip_packet_arp(uint8_t out[VIP_ARP_LEN], const uint8_t sha[VIP_MAC_LEN], const uint8_t spa[4],
                    const uint8_t tpa[4])
{
    memset(out, 0, VIP_ARP_LEN);
    put16(out, ARP_HTYPE_ETHER);
    put16(out + 2, ARP_PTYPE_IP);
    out[4] = VIP_MAC_LEN;
    out[5] = 4;
    put16(out + 6, ARP_OP_REQUEST);
    memcpy(out + 8, sha, VIP_MAC_LEN);
    memcpy(out + 14, spa, 4);
    /* target hardware address: zero, it is what a request asks for */
    memcpy(out + 24, tpa, 4);
}

/* IPv6 header, the ICMPv6 message type and target, one link-layer address
 * option, the checksum; flags: the NA's first flags byte. */
static void nd_build(uint8_t out[VIP_ND_LEN], unsigned type, uint8_t flags, const uint8_t src[16],
                     const uint8_t dst[16], const uint8_t target[16], unsigned opt,
                     const uint8_t mac[VIP_MAC_LEN])
{
    memset(out, 0, VIP_ND_LEN);
    out[0] = 0x60; /* version 6, traffic class and flow label 0 */
    put16(out + 4, VIP_ND_LEN - VIP_IP6_HDR_LEN);
    out[6] = ICMP6_PROTO;
    out[7] = VIP_ND_HOPS;
    memcpy(out + 8, src, 16);
    memcpy(out + 24, dst, 16);
    uint8_t *icmp = out + VIP_IP6_HDR_LEN;
    icmp[0] = (uint8_t)type;
    icmp[4] = flags;
    memcpy(icmp + 8, target, 16);
    icmp[ND_BODY_LEN] = (uint8_t)opt;
    icmp[ND_BODY_LEN + 1] = 1; /* in units of 8 bytes */
    memcpy(icmp + ND_BODY_LEN + 2, mac, VIP_MAC_LEN);
    put16(icmp + 2, inet_sum6(src, dst, ICMP6_PROTO, icmp, VIP_ND_LEN - VIP_IP6_HDR_LEN));
}

void vip_packet_na(uint8_t out[VIP_ND_LEN], const uint8_t src[16], const uint8_t target[16],
                   const uint8_t mac[VIP_MAC_LEN])
{
    static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
    nd_build(out, ND_NA, ND_NA_OVERRIDE, src, all_nodes, target, ND_OPT_TLLA, mac);
}

void vip_packet_ns(uint8_t out[VIP_ND_LEN], const uint8_t src[16], const uint8_t target[16],
                   const uint8_t mac[VIP_MAC_LEN])
{
    /* ff02::1:ff00:0/104 and the target's last 24 bits (RFC 4291 2.7.1) */
    uint8_t group[16] = {0xff, 0x02, [11] = 1, [12] = 0xff};
    memcpy(group + 13, target + 13, 3);
    nd_build(out, ND_NS, 0, src, group, target, ND_OPT_SLLA, mac);
}

void vip_packet_ip6_mcast_mac(const uint8_t *ip6_packet, uint8_t mac[VIP_MAC_LEN])
{
    mac[0] = mac[1] = 0x33;
    memcpy(mac + 2, ip6_packet + 24 + 12, 4);
}

int vip_packet_arp_from(const uint8_t *pkt, size_t len, const uint8_t sender[4], uint8_t mac[VIP_MAC_LEN])
{
    if (len < VIP_ARP_LEN || get16(pkt) != ARP_HTYPE_ETHER || get16(pkt + 2) != ARP_PTYPE_IP ||
        pkt[4] != VIP_MAC_LEN || pkt[5] != 4 || memcmp(pkt + 14, sender, 4) != 0)
        return 0;
    memcpy(mac, pkt + 8, VIP_MAC_LEN);
    return 1;
}

/* The Target Link-Layer Address among the NA's options, or NULL. Every
 * option must have a non-zero length and fit (RFC 4861 7.1.2). */
static const uint8_t *find_tlla(const uint8_t *opt, size_t len)
{
    const uint8_t *found = NULL;
    while (len >= 2) {
        size_t olen = 8u * opt[1];
        if (olen == 0 || olen > len)
            return NULL;
        if (opt[0] == ND_OPT_TLLA && olen >= 2 + VIP_MAC_LEN)
            found = opt + 2;
        opt += olen;
        len -= olen;
    }
    return len == 0 ? found : NULL;
}

int vip_packet_na_from(const uint8_t *pkt, size_t len, const uint8_t target[16], uint8_t mac[VIP_MAC_LEN])
{
    if (len < VIP_IP6_HDR_LEN + ND_BODY_LEN || pkt[0] >> 4 != 6 || pkt[6] != ICMP6_PROTO ||
        pkt[7] != VIP_ND_HOPS)
        return 0;
    size_t plen = get16(pkt + 4);
    if (plen < ND_BODY_LEN || plen > len - VIP_IP6_HDR_LEN)
        return 0;
    const uint8_t *icmp = pkt + VIP_IP6_HDR_LEN;
    if (icmp[0] != ND_NA || icmp[1] != 0 || inet_sum6(pkt + 8, pkt + 24, ICMP6_PROTO, icmp, plen) != 0 ||
        memcmp(icmp + 8, target, 16) != 0)
        return 0;
    const uint8_t *lla = find_tlla(icmp + ND_BODY_LEN, plen - ND_BODY_LEN);
    if (!lla)
        return 0;
    memcpy(mac, lla, VIP_MAC_LEN);
    return 1;
}
