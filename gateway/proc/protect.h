/*
 * protect: the addresses the parent never puts in the blocklist, whatever
 * the relay asks (issue 10, defect 5: a compromised relay must not steer
 * the firewall against the gateway itself). An autoblock request is
 * refused when its address is
 *
 *   not_global  not a possible remote client: unspecified, loopback,
 *               link-local, multicast, broadcast and reserved space,
 *               IPv4-mapped IPv6 (see protect_not_global)
 *   own         an address of this node (refreshed from the kernel)
 *   vip         a [vrrp] virtual_ip, whether this node holds it or not
 *   peer        a VRRP peer: a [vrrp] unicast_peer, a source the applied
 *               policy admits VRRP from, or a router whose adverts VRRP
 *               accepted
 *   admin       any other source the applied policy admits by name
 *               (SSH and metrics from the administrators, ...)
 *   backend     a [backend] address
 *
 * "Global" here means "can be the source of a client on the site's
 * networks", not "routed on the public Internet": a site on RFC 1918,
 * shared (100.64/10), benchmarking (198.18/15) or ULA (fc00::/7) space
 * has its clients there, and they must stay blockable.
 *
 * Pure: the parent fills it (parent_firewall.c: config, policy, the
 * node's addresses) and asks; the tests drive it without sockets. One per
 * parent, used on its loop thread only. Lookups are O(log n) in the
 * config and policy ranges (a policy may name large sets), linear in the
 * node's own addresses (at most PROTECT_OWN_MAX).
 */
#ifndef RAMPART_GATEWAY_PROC_PROTECT_H
#define RAMPART_GATEWAY_PROC_PROTECT_H

#include "common/parse.h"
#include "gateway/config/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum protect_reason {
    PROTECT_NONE, /* blockable */
    PROTECT_NOT_GLOBAL,
    PROTECT_OWN,
    PROTECT_VIP,
    PROTECT_PEER,
    PROTECT_ADMIN,
    PROTECT_BACKEND,
    PROTECT_REASON_COUNT
};

#define PROTECT_OWN_MAX 256 /* this node's addresses looked at; more are counted in own_dropped */
#define PROTECT_HEARD_MAX                                                                                    \
    (CONFIG_MAX_VRRP_INSTANCES * CONFIG_MAX_PEERS) /* VRRP routers heard, all instances */

/* An inclusive address range, big-endian (4 or 16 bytes used). */
struct protect_range {
    uint8_t lo[16], hi[16];
    enum protect_reason why;
};

struct protect_list {
    struct protect_range *r;
    uint8_t (*max_hi)[16]; /* max_hi[i]: the largest hi of r[0..i], once sorted */
    size_t n, cap;
    bool sorted;
};

struct protect {
    struct protect_list v4, v6; /* config and policy: rebuilt at every apply */
    struct ip_addr own[PROTECT_OWN_MAX];
    unsigned n_own, own_dropped;
    struct ip_addr heard[PROTECT_HEARD_MAX]; /* VRRP routers heard (vrrp_set_peers_heard) */
    unsigned n_heard;
};

void protect_init(struct protect *p);
void protect_free(struct protect *p);
/* Forgets the config and policy ranges (the node's addresses stay). */
void protect_reset(struct protect *p);

/* Adds a range / one address / the config's VIPs, unicast peers and
 * backends. 0, or -1 when out of memory (then nothing is lost that was
 * added before). */
int protect_add_range(struct protect *p, int family, const uint8_t lo[16], const uint8_t hi[16],
                      enum protect_reason why);
int protect_add_addr(struct protect *p, const struct ip_addr *a, enum protect_reason why);
int protect_add_config(struct protect *p, const struct config *cfg);

/* Replaces the node's own addresses (the first PROTECT_OWN_MAX), and the
 * VRRP routers heard by any instance (at most PROTECT_HEARD_MAX). */
void protect_set_own(struct protect *p, const struct ip_addr *addrs, unsigned n);
void protect_set_heard(struct protect *p, const struct ip_addr *heard, unsigned n);

/* Why `a` must not be blocked, or PROTECT_NONE. Not-global first, then
 * own, then VRRP routers heard, then the ranges (vip, peer, admin,
 * backend: when several hold it, the first of these reasons). */
enum protect_reason protect_check(struct protect *p, const struct ip_addr *a);
bool protect_not_global(const struct ip_addr *a);

/* "not_global", "own", "vip", "peer", "admin", "backend" (metric labels). */
const char *protect_reason_name(enum protect_reason why);

#endif /* RAMPART_GATEWAY_PROC_PROTECT_H */
