/*
 * announce: when this node's service addresses are announced over BGP
 * ([bgp], N gateways behind a router's ECMP), as pure functions;
 * announce_node.c does the I/O on the parent's loop.
 *
 * The split with BIRD: Rampart owns "route present iff fit to serve", BIRD
 * owns the BGP and BFD sessions with the router. Fit to serve means, in
 * this order (the first that fails is the reason given):
 *   - not draining (SIGTERM, or a reload that changes the listeners: the
 *     route goes first, the drain comes drain_wait later),
 *   - a relay serves (the parent's supervision says so: supervise.h),
 *   - the firewall policy is applied (require_firewall),
 *   - the backends' checks have settled once, with at least min_backends
 *     up ("not known yet" never announces: a node whose backends are all
 *     dead would otherwise draw traffic for a moment after its start).
 * Every input comes from the parent, as VRRP's do: the same signals drive
 * priority there and the route here.
 */
#ifndef RAMPART_GATEWAY_HA_ANNOUNCE_H
#define RAMPART_GATEWAY_HA_ANNOUNCE_H

#include "gateway/config/config.h"

#include <stdbool.h>
#include <stdint.h>

/* Why a node does not announce; ANNOUNCE_OK when it does. */
enum announce_block {
    ANNOUNCE_OK = 0,
    ANNOUNCE_DRAINING,
    ANNOUNCE_NO_RELAY,
    ANNOUNCE_NO_FIREWALL,
    ANNOUNCE_BACKENDS_UNKNOWN,
    ANNOUNCE_TOO_FEW_BACKENDS,
    ANNOUNCE_BLOCK_COUNT
};

struct announce_inputs {
    bool draining;
    bool relay_serving;
    bool firewall_applied;
    bool backends_known; /* a relay's checks have settled once */
    unsigned backends_up;
};

enum announce_block announce_decide(const struct config_bgp *cfg, const struct announce_inputs *in);

/* "draining", "no_relay", "no_firewall", "backends_unknown",
 * "too_few_backends" ("announced" for ANNOUNCE_OK): log and metric labels. */
const char *announce_block_name(enum announce_block b);

/* How long the parent waits, from `now_ms`, between the withdrawal a drain
 * starts with and the drain itself, so that the router has moved new flows
 * away: drain_wait when the route was present until now; what is left of
 * it when the route went `withdrawn_ms` ago (0: it was never announced,
 * no router sends anything here). */
uint64_t announce_drain_delay_ms(const struct config_bgp *cfg, bool was_announced, uint64_t withdrawn_ms,
                                 uint64_t now_ms);

#endif /* RAMPART_GATEWAY_HA_ANNOUNCE_H */
