/*
 * announce_route: what the kernel holds for a [bgp] node, the I/O half of
 * the announcement (announce.h decides, announce_node.c runs it):
 *
 *   - the service addresses, host addresses on [bgp] interface (lo by
 *     default), added at start and removed at exit through vip.c (the only
 *     module that touches addresses). They stay while the route comes and
 *     goes: a draining node must still own the address to finish the
 *     connections the router keeps sending it.
 *   - the route device "rampart<table>" (ANNOUNCE_DEVICE_FMT), a TUN
 *     device whose only descriptor the parent holds: the kernel deletes it,
 *     and every route through it, the moment the parent dies, even by
 *     SIGKILL. A dead Rampart can leave no announcement behind (BIRD learns
 *     the deletion from rtnetlink at once) and needs no guard for it.
 *   - per address, a route "ADDR/32 dev rampart<table> proto
 *     ANNOUNCE_ROUTE_PROTO table <table>" while announced: BIRD's kernel
 *     protocol learns it (examples/bird.conf imports krt_source = 210 from
 *     that table only) and its BGP session exports it, next hop self. The
 *     table is consulted by no ip rule: the route never carries a packet.
 *
 * Every call is one or a few rtnetlink requests the kernel answers at
 * once (rtnl.c). Opened at start-up, before the sandbox; the requests later
 * need only the netlink socket already open.
 */
#ifndef RAMPART_GATEWAY_HA_ANNOUNCE_ROUTE_H
#define RAMPART_GATEWAY_HA_ANNOUNCE_ROUTE_H

#include "gateway/config/config.h"
#include "gateway/ha/rtnl.h"
#include "gateway/ha/vip.h"

#include <stdbool.h>

#define ANNOUNCE_ROUTE_PROTO 210         /* rtm_protocol of our routes ("rampart" in rt_protos) */
#define ANNOUNCE_DEVICE_FMT  "rampart%u" /* + [bgp] table: at most "rampart65535" */
#define ANNOUNCE_DEVICE_MAX  16          /* IFNAMSIZ */

struct announce_route {
    int tun_fd; /* the route device lives as long as this descriptor */
    char device[ANNOUNCE_DEVICE_MAX];
    unsigned ifindex;
    unsigned table;
    const struct ip_prefix *addrs;
    unsigned n_addrs;
    struct rtnl nl;
    struct vip_set vips; /* the service addresses on [bgp] interface */
};

/* The route device's name for a table. Pure. */
void announce_route_device(unsigned table, char *out, size_t len);

/* Creates the route device and brings it up, adds the service addresses
 * (`cfg` must outlive r: the addresses are not copied). No route yet. 0, or
 * -1 with a message in `err` (no /dev/net/tun, the device held by another
 * process: a second rampart with the same table). */
int announce_route_open(struct announce_route *r, const struct config_bgp *cfg, char *err, size_t errlen);

/* Makes the kernel hold a route per address (present) or none. Adding one
 * already there, or removing one already gone, is no change. 0 with
 * *changed telling whether any route was added or removed, or -1 with the
 * first problem in `err` (the rest is still tried). */
int announce_route_set(struct announce_route *r, bool present, bool *changed, char *err, size_t errlen);

/* Puts back what someone else took away: the route device up, the service
 * addresses (only when one is missing: re-adding a present address would
 * notify every rtnetlink listener, BIRD included). 0 with *repaired telling
 * whether an address had to be put back, or -1 with a message. */
int announce_route_repair(struct announce_route *r, bool *repaired, char *err, size_t errlen);

/* Withdraws (routes removed), removes the addresses, closes the device.
 * Safe on a struct whose open failed, and twice. */
void announce_route_close(struct announce_route *r);

#endif /* RAMPART_GATEWAY_HA_ANNOUNCE_ROUTE_H */
