/*
 * vrrp_net: VRRPv3 advertisements on the wire (RFC 5798 section 5), pure:
 *
 *   vrrp_net_build     struct vrrp_advert + addresses -> bytes, with the
 *                      checksum over the family's pseudo-header
 *   vrrp_net_check4    a received IPv4 datagram (IP header included, as raw
 *                      sockets deliver it) -> struct vrrp_advert
 *   vrrp_net_check6    a received IPv6 VRRP message, with what recvmsg(2)
 *                      said about it (source, destination, hop limit)
 *
 * The checks are section 7.1's, in its order. IPv4: IP protocol 112 to
 * 224.0.0.18 with TTL 255; IPv6: next header 112 from the link-local address
 * to ff02::12 with hop limit 255 (vrrp_sock.c has the sockets). Every
 * packet refused is counted by reason in struct vrrp_net_stats (the metrics
 * page shows them); nothing a peer sends can do more than bump a counter.
 * Addresses are struct vrrp_addr (vrrp.h): network byte order.
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_NET_H
#define RAMPART_GATEWAY_HA_VRRP_NET_H

#include "gateway/ha/vrrp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_IPPROTO     112
#define VRRP_VERSION     3
#define VRRP_TYPE_ADVERT 1
#define VRRP_TTL         255 /* IPv4 TTL, IPv6 hop limit */
#define VRRP_GROUP_V4    "224.0.0.18"
#define VRRP_GROUP_V6    "ff02::12"
#define VRRP_HDR_LEN     8   /* version/type, VRID, priority, count, interval, checksum */
#define VRRP_MAX_ADDRS   255 /* the 8-bit Count IPvX Addrs field */
#define VRRP_PKT_MAX     (VRRP_HDR_LEN + 16 * VRRP_MAX_ADDRS) /* IPv6 addresses */
#define VRRP_IP_HDR_MIN  20
#define VRRP_IP_HDR_MAX  60
#define VRRP_RECV_MAX    (VRRP_IP_HDR_MAX + VRRP_PKT_MAX) /* one datagram, IPv4 header included */
#define VRRP_VRID_BYTES  32                               /* a set of VRIDs: one bit each, 0-255 */

enum vrrp_drop {
    VRRP_DROP_SHORT,   /* not even the IP header + VRRP fixed fields */
    VRRP_DROP_IP,      /* not IPv4 / protocol 112, bad header length */
    VRRP_DROP_TTL,     /* TTL / hop limit not 255: came through a router, or forged */
    VRRP_DROP_VERSION, /* not VRRP version 3 */
    VRRP_DROP_TYPE,    /* not an ADVERTISEMENT */
    VRRP_DROP_LENGTH,  /* address count does not fit the packet */
    VRRP_DROP_CHECKSUM,
    VRRP_DROP_VRID,     /* a virtual router nobody here runs */
    VRRP_DROP_OWNER,    /* we own the addresses (priority 255): RFC 7.1 */
    VRRP_DROP_ADDRS,    /* address list differs from ours, sender not owner */
    VRRP_DROP_INTERVAL, /* Max Adver Int of 0 */
    VRRP_DROP_PEER,     /* unicast mode: not from a configured peer */
    VRRP_DROP_SELF,     /* our own advertisement looped back */
    VRRP_DROP_COUNT
};

struct vrrp_net_stats {
    uint64_t rx;    /* datagrams checked (a sibling instance's are not counted) */
    uint64_t rx_ok; /* passed every check */
    uint64_t tx;
    uint64_t tx_errors;
    uint64_t drops[VRRP_DROP_COUNT];
};

/* "ttl", "checksum", ...: the label of a drop counter. */
const char *vrrp_drop_name(enum vrrp_drop why);

/* What a valid advertisement must look like to us. */
struct vrrp_expect {
    int family; /* AF_INET or AF_INET6 */
    uint8_t vrid;
    bool owner;                    /* our priority is 255 */
    struct vrrp_addr self;         /* our primary address (IPv6: link-local) */
    const struct vrrp_addr *addrs; /* our virtual addresses */
    unsigned n_addrs;
    const struct vrrp_addr *peers; /* unicast peers; none = accept any source */
    unsigned n_peers;
    /* VRIDs other instances of this process run on the same link and
     * family (bit v of byte v/8), or NULL: every instance's socket sees
     * every advertisement, and a sibling's is neither ours nor a drop */
    const uint8_t *siblings;
};

struct vrrp_advert {
    int family; /* AF_INET or AF_INET6 */
    uint8_t vrid;
    uint8_t priority;
    uint16_t interval_cs;
    struct vrrp_addr src, dst;
    unsigned n_addrs;
};

/* Writes an advertisement of adv->family (VRRP part only: the kernel adds
 * the IP header) with its checksum over the pseudo-header of adv->src and
 * adv->dst. Returns its length, or 0 when `cap` is too small, n_addrs >
 * VRRP_MAX_ADDRS or the family is neither. */
size_t vrrp_net_build(uint8_t *buf, size_t cap, const struct vrrp_advert *adv, const struct vrrp_addr *addrs);

/* The RFC 1071 sum over pseudo-header + message, as stored in the packet. */
uint16_t vrrp_net_checksum(int family, const struct vrrp_addr *src, const struct vrrp_addr *dst,
                           const uint8_t *msg, size_t len);

enum vrrp_verdict {
    VRRP_ACCEPT,  /* `out` filled, stats->rx_ok counted */
    VRRP_DROPPED, /* one drop counted in stats->drops */
    VRRP_SIBLING, /* valid, for another instance of ours: counted nowhere */
};

/* One IPv4 datagram, IP header included. */
enum vrrp_verdict vrrp_net_check4(const uint8_t *pkt, size_t len, const struct vrrp_expect *exp,
                                  struct vrrp_advert *out, struct vrrp_net_stats *stats);

/* One IPv6 VRRP message (raw IPv6 sockets strip the IP header) and what
 * recvmsg() said about it; hop_limit -1 when the kernel did not say. */
struct vrrp_rx6 {
    struct vrrp_addr src, dst;
    int hop_limit;
};
enum vrrp_verdict vrrp_net_check6(const uint8_t *msg, size_t len, const struct vrrp_rx6 *meta,
                                  const struct vrrp_expect *exp, struct vrrp_advert *out,
                                  struct vrrp_net_stats *stats);

/* The set of VRIDs in struct vrrp_expect.siblings. */
static inline void vrrp_vrid_set_add(uint8_t set[VRRP_VRID_BYTES], uint8_t vrid)
{
    set[vrid / 8] |= (uint8_t)(1u << (vrid % 8));
}
static inline bool vrrp_vrid_set_has(const uint8_t set[VRRP_VRID_BYTES], uint8_t vrid)
{
    return set[vrid / 8] >> (vrid % 8) & 1;
}

#endif /* RAMPART_GATEWAY_HA_VRRP_NET_H */
