/* Unit tests for gateway/ha/vip_packet.c: gratuitous ARP, unsolicited
 * Neighbor Advertisements (override flag, hop limit 255, ICMPv6 checksum
 * over the IPv6 pseudo-header) and Neighbor Solicitations, and the readers
 * of the answers, on crafted frames. The checksums were worked out apart
 * from this code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/inet_sum.h"
#include "gateway/ha/vip_packet.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t mac_a[VIP_MAC_LEN] = {2, 0, 0, 0, 0, 1};

static void ip6(const char *s, uint8_t out[16])
{
    assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void test_gratuitous_arp(void **state)
{
    (void)state;
    uint8_t vip[4] = {198, 18, 0, 10}, out[VIP_ARP_LEN];
    vip_packet_arp(out, mac_a, vip, vip);
    const uint8_t want[VIP_ARP_LEN] = {0,   1,  8, 0,  6, 4, 0, 1, 2, 0, 0,   0,  0, 1,
                                       198, 18, 0, 10, 0, 0, 0, 0, 0, 0, 198, 18, 0, 10};
    assert_memory_equal(out, want, sizeof want);
}

static void test_arp_from(void **state)
{
    (void)state;
    uint8_t peer[4] = {198, 18, 0, 2}, other[4] = {198, 18, 0, 3}, me[4] = {198, 18, 0, 1};
    uint8_t pkt[VIP_ARP_LEN + 18], mac[VIP_MAC_LEN];
    vip_packet_arp(pkt, mac_a, peer, me); /* the peer asks about us: its MAC is in it */
    assert_int_equal(vip_packet_arp_from(pkt, VIP_ARP_LEN, peer, mac), 1);
    assert_memory_equal(mac, mac_a, VIP_MAC_LEN);
    assert_int_equal(vip_packet_arp_from(pkt, sizeof pkt, peer, mac), 1); /* Ethernet padding */
    assert_int_equal(vip_packet_arp_from(pkt, VIP_ARP_LEN - 1, peer, mac), 0);
    assert_int_equal(vip_packet_arp_from(pkt, VIP_ARP_LEN, other, mac), 0);
    pkt[5] = 16; /* not IPv4 */
    assert_int_equal(vip_packet_arp_from(pkt, VIP_ARP_LEN, peer, mac), 0);
}

static void test_unsolicited_na(void **state)
{
    (void)state;
    uint8_t vip[16], out[VIP_ND_LEN];
    ip6("fd00:198:18::10", vip);
    vip_packet_na(out, vip, vip, mac_a);
    /* IPv6 header: version 6, 32 bytes of ICMPv6, next header 58, hop limit 255 */
    const uint8_t head[8] = {0x60, 0, 0, 0, 0, 32, 58, 255};
    assert_memory_equal(out, head, sizeof head);
    assert_memory_equal(out + 8, vip, 16);
    uint8_t all_nodes[16];
    ip6("ff02::1", all_nodes);
    assert_memory_equal(out + 24, all_nodes, 16);
    const uint8_t *icmp = out + VIP_IP6_HDR_LEN;
    assert_int_equal(icmp[0], 136);  /* Neighbor Advertisement */
    assert_int_equal(icmp[1], 0);    /* code */
    assert_int_equal(icmp[2], 0x57); /* checksum, computed apart: 0x571d */
    assert_int_equal(icmp[3], 0x1d);
    assert_int_equal(icmp[4], 0x20); /* Override; not Router, not Solicited (to a group) */
    assert_memory_equal(icmp + 8, vip, 16);
    const uint8_t opt[8] = {2, 1, 2, 0, 0, 0, 0, 1}; /* Target Link-Layer Address */
    assert_memory_equal(icmp + 24, opt, 8);
    assert_int_equal(inet_sum6(out + 8, out + 24, 58, icmp, 32), 0);
    uint8_t mac[VIP_MAC_LEN];
    vip_packet_ip6_mcast_mac(out, mac);
    const uint8_t want_mac[VIP_MAC_LEN] = {0x33, 0x33, 0, 0, 0, 1};
    assert_memory_equal(mac, want_mac, VIP_MAC_LEN);
}

static void test_neighbor_solicitation(void **state)
{
    (void)state;
    uint8_t me[16], target[16], group[16], out[VIP_ND_LEN];
    ip6("fe80::1", me);
    ip6("fe80::2:3:4", target);
    ip6("ff02::1:ff03:4", group); /* solicited-node: the target's last 24 bits */
    vip_packet_ns(out, me, target, mac_a);
    assert_memory_equal(out + 8, me, 16);
    assert_memory_equal(out + 24, group, 16);
    const uint8_t *icmp = out + VIP_IP6_HDR_LEN;
    assert_int_equal(icmp[0], 135);
    assert_int_equal(icmp[2] << 8 | icmp[3], 0x7a8b);
    assert_int_equal(icmp[4], 0);  /* reserved */
    assert_int_equal(icmp[24], 1); /* Source Link-Layer Address */
    assert_memory_equal(icmp + 26, mac_a, VIP_MAC_LEN);
    uint8_t mac[VIP_MAC_LEN];
    vip_packet_ip6_mcast_mac(out, mac);
    const uint8_t want_mac[VIP_MAC_LEN] = {0x33, 0x33, 0xff, 0x03, 0, 4};
    assert_memory_equal(mac, want_mac, VIP_MAC_LEN);
}

/* The peer's answer to our solicitation: an NA for its address. */
static void peer_na(uint8_t out[VIP_ND_LEN], uint8_t peer[16])
{
    ip6("fe80::2", peer);
    vip_packet_na(out, peer, peer, mac_a);
}

static void test_na_from(void **state)
{
    (void)state;
    uint8_t pkt[VIP_ND_LEN], peer[16], other[16], mac[VIP_MAC_LEN];
    peer_na(pkt, peer);
    ip6("fe80::3", other);
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt, peer, mac), 1);
    assert_memory_equal(mac, mac_a, VIP_MAC_LEN);
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt, other, mac), 0);    /* not the one asked about */
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt - 1, peer, mac), 0); /* cut short */
    pkt[7] = 254;                                                            /* was routed */
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt, peer, mac), 0);
    peer_na(pkt, peer);
    pkt[VIP_IP6_HDR_LEN + 30] ^= 1; /* a MAC bit flipped: checksum */
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt, peer, mac), 0);
    peer_na(pkt, peer);
    pkt[VIP_IP6_HDR_LEN + 1] = 1; /* code must be 0 (checksum mended below) */
    pkt[VIP_IP6_HDR_LEN + 2] = pkt[VIP_IP6_HDR_LEN + 3] = 0;
    unsigned ck = inet_sum6(pkt + 8, pkt + 24, 58, pkt + VIP_IP6_HDR_LEN, 32);
    pkt[VIP_IP6_HDR_LEN + 2] = (uint8_t)(ck >> 8);
    pkt[VIP_IP6_HDR_LEN + 3] = (uint8_t)ck;
    assert_int_equal(inet_sum6(pkt + 8, pkt + 24, 58, pkt + VIP_IP6_HDR_LEN, 32), 0);
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt, peer, mac), 0);
}

/* Options: each must have a length and fit; the TLLA may come after
 * another option; an NA without it names no MAC. */
static void test_na_options(void **state)
{
    (void)state;
    uint8_t pkt[VIP_ND_LEN + 8], peer[16], mac[VIP_MAC_LEN];
    ip6("fe80::2", peer);
    uint8_t na[VIP_ND_LEN];
    vip_packet_na(na, peer, peer, mac_a);
    /* insert an 8-byte option of another type (a nonce, 14) before the TLLA */
    memcpy(pkt, na, VIP_IP6_HDR_LEN + 24);
    const uint8_t nonce[8] = {14, 1, 9, 9, 9, 9, 9, 9};
    memcpy(pkt + VIP_IP6_HDR_LEN + 24, nonce, 8);
    memcpy(pkt + VIP_IP6_HDR_LEN + 32, na + VIP_IP6_HDR_LEN + 24, 8);
    pkt[5] = 40;
    uint8_t *icmp = pkt + VIP_IP6_HDR_LEN;
    icmp[2] = icmp[3] = 0;
    unsigned ck = inet_sum6(pkt + 8, pkt + 24, 58, icmp, 40);
    icmp[2] = (uint8_t)(ck >> 8);
    icmp[3] = (uint8_t)ck;
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt, peer, mac), 1);
    /* a zero-length option is malformed: the whole NA is ignored */
    icmp[25] = 0;
    icmp[2] = icmp[3] = 0;
    ck = inet_sum6(pkt + 8, pkt + 24, 58, icmp, 40);
    icmp[2] = (uint8_t)(ck >> 8);
    icmp[3] = (uint8_t)ck;
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt, peer, mac), 0);
    /* no option at all: nothing to learn */
    memcpy(pkt, na, VIP_IP6_HDR_LEN + 24);
    pkt[5] = 24;
    icmp[2] = icmp[3] = 0;
    ck = inet_sum6(pkt + 8, pkt + 24, 58, icmp, 24);
    icmp[2] = (uint8_t)(ck >> 8);
    icmp[3] = (uint8_t)ck;
    assert_int_equal(vip_packet_na_from(pkt, VIP_IP6_HDR_LEN + 24, peer, mac), 0);
}

/* A solicitation is not an advertisement, even for the right target. */
static void test_ns_is_not_na(void **state)
{
    (void)state;
    uint8_t pkt[VIP_ND_LEN], me[16], peer[16], mac[VIP_MAC_LEN];
    ip6("fe80::1", me);
    ip6("fe80::2", peer);
    vip_packet_ns(pkt, me, peer, mac_a);
    assert_int_equal(vip_packet_na_from(pkt, sizeof pkt, peer, mac), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gratuitous_arp), cmocka_unit_test(test_arp_from),
        cmocka_unit_test(test_unsolicited_na), cmocka_unit_test(test_neighbor_solicitation),
        cmocka_unit_test(test_na_from),        cmocka_unit_test(test_na_options),
        cmocka_unit_test(test_ns_is_not_na),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
