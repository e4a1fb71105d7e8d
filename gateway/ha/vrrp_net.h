/*
 * vrrp_net: VRRPv3 advertisements on the wire (IPv4, IP protocol 112).
 *
 *   vrrp_net_build / vrrp_net_check   pure: bytes <-> struct vrrp_advert,
 *                                     with the RFC 5798 section 7.1 checks
 *   vrrp_net_open / _send / _recv     the raw socket on one interface
 *
 * Every packet refused is counted by reason in struct vrrp_net_stats (the
 * metrics page shows them); nothing a peer sends can do more than bump a
 * counter. Addresses are in network byte order throughout this module.
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_NET_H
#define RAMPART_GATEWAY_HA_VRRP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VRRP_IPPROTO     112
#define VRRP_VERSION     3
#define VRRP_TYPE_ADVERT 1
#define VRRP_TTL         255
#define VRRP_GROUP_V4    "224.0.0.18"
#define VRRP_HDR_LEN     8   /* version/type, VRID, priority, count, interval, checksum */
#define VRRP_MAX_ADDRS   255 /* the 8-bit Count IPvX Addrs field */
#define VRRP_PKT_MAX     (VRRP_HDR_LEN + 4 * VRRP_MAX_ADDRS)
#define VRRP_IP_HDR_MIN  20
#define VRRP_RECV_MAX    2048 /* one datagram, IP header included */

enum vrrp_drop {
    VRRP_DROP_SHORT,   /* not even an IPv4 header + VRRP fixed fields */
    VRRP_DROP_IP,      /* not IPv4 / protocol 112, bad header length */
    VRRP_DROP_TTL,     /* TTL not 255: came through a router, or forged */
    VRRP_DROP_VERSION, /* not VRRP version 3 */
    VRRP_DROP_TYPE,    /* not an ADVERTISEMENT */
    VRRP_DROP_LENGTH,  /* address count does not fit the packet */
    VRRP_DROP_CHECKSUM,
    VRRP_DROP_VRID,     /* a virtual router we do not run */
    VRRP_DROP_OWNER,    /* we own the addresses (priority 255): RFC 7.1 */
    VRRP_DROP_ADDRS,    /* address list differs from ours, sender not owner */
    VRRP_DROP_INTERVAL, /* Max Adver Int of 0 */
    VRRP_DROP_PEER,     /* unicast mode: not from a configured peer */
    VRRP_DROP_SELF,     /* our own advertisement looped back */
    VRRP_DROP_COUNT
};

struct vrrp_net_stats {
    uint64_t rx;    /* datagrams read */
    uint64_t rx_ok; /* passed every check */
    uint64_t tx;
    uint64_t tx_errors;
    uint64_t drops[VRRP_DROP_COUNT];
};

/* "ttl", "checksum", ...: the label of a drop counter. */
const char *vrrp_drop_name(enum vrrp_drop why);

/* The counters, state ("init", "backup", "master") and advertised priority
 * as Prometheus text (rampart_vrrp_*), for the metrics page. Returns the
 * length written, or -1 if `cap` is too small (VRRP_METRICS_MAX is enough). */
#define VRRP_METRICS_MAX 4096
int vrrp_net_stats_render(char *buf, size_t cap, const char *state, unsigned priority,
                          const struct vrrp_net_stats *s);

/* What a valid advertisement must look like to us. */
struct vrrp_expect {
    uint8_t vrid;
    bool owner;            /* our priority is 255 */
    uint32_t self;         /* our primary address */
    const uint32_t *addrs; /* our virtual addresses */
    unsigned n_addrs;
    const uint32_t *peers; /* unicast peers; none = accept any source */
    unsigned n_peers;
};

struct vrrp_advert {
    uint8_t vrid;
    uint8_t priority;
    uint16_t interval_cs;
    uint32_t src, dst;
    unsigned n_addrs;
};

/* Writes an advertisement (VRRP part only: the kernel adds the IP header)
 * with its checksum over the IPv4 pseudo-header. Returns its length, or 0
 * when `cap` is too small or n_addrs > VRRP_MAX_ADDRS. */
size_t vrrp_net_build(uint8_t *buf, size_t cap, const struct vrrp_advert *adv, const uint32_t *addrs);

/* The RFC 1071 sum over pseudo-header + message, as stored in the packet. */
uint16_t vrrp_net_checksum(uint32_t src, uint32_t dst, const uint8_t *msg, size_t len);

/* Checks one received IPv4 datagram (IP header included, as raw sockets
 * deliver it). true: `out` filled, stats->rx_ok counted. false: the drop is
 * counted in stats->drops. */
bool vrrp_net_check(const uint8_t *pkt, size_t len, const struct vrrp_expect *exp, struct vrrp_advert *out,
                    struct vrrp_net_stats *stats);

/* A non-blocking raw socket bound to `ifname`, member of 224.0.0.18 there,
 * sending with TTL 255 and no loopback. -1 with a message in `err`. */
int vrrp_net_open(const char *ifname, char *err, size_t errlen);

/* Sends one built advertisement from `src` to `dst` (group or peer). */
int vrrp_net_send(int fd, unsigned ifindex, uint32_t src, uint32_t dst, const uint8_t *msg, size_t len,
                  struct vrrp_net_stats *stats);

/* Reads one datagram; returns its length, 0 when none is waiting, -1 on error. */
ssize_t vrrp_net_recv(int fd, uint8_t *buf, size_t cap, struct vrrp_net_stats *stats);

#endif /* RAMPART_GATEWAY_HA_VRRP_NET_H */
