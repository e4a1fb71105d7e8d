/*
 * announce_node: the [bgp] announcement of one parent, on its loop. It
 * keeps the inputs announce.h judges (the parent tells it what it tells
 * VRRP: backends up, relay lost or serving, firewall applied, draining),
 * and makes the kernel agree with the decision through announce_route.c
 * at once on every change, and every ANNOUNCE_CHECK_MS again (what an
 * operator or a crash elsewhere took away is put back; a failed request
 * is retried). Every change of the decision is logged: bgp_announce, or
 * bgp_withdraw with the reason.
 *
 * All calls on the loop's thread; the netlink requests are answered by the
 * kernel at once, nothing here blocks.
 */
#ifndef RAMPART_GATEWAY_HA_ANNOUNCE_NODE_H
#define RAMPART_GATEWAY_HA_ANNOUNCE_NODE_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/announce.h"

#include <stdbool.h>
#include <stdint.h>

#define ANNOUNCE_CHECK_MS 1000 /* the kernel's state checked against the decision */

struct announce;

/* NULL when [bgp] is not enabled (*failed false), or on an error (logged;
 * *failed true). Starts withdrawn: the addresses are added, no route until
 * the inputs say so. `cfg` is copied. */
struct announce *announce_start(struct loop *loop, const struct config *cfg, bool *failed);

/* The inputs (announce.h). Each is safe with NULL and re-decides at once. */
void announce_backends_up(struct announce *a, unsigned n_up); /* a settled count */
void announce_relay_serving(struct announce *a, bool serving);
void announce_firewall_applied(struct announce *a, bool applied);

/* Starts a drain: the route goes now. Returns how long the parent should
 * wait before it drains (announce_drain_delay_ms): 0 without [bgp].
 * announce_undrain() ends a drain that was for a reload. */
uint64_t announce_drain(struct announce *a);
void announce_undrain(struct announce *a);

/* The route is present now. false for NULL. */
bool announce_announced(const struct announce *a);
/* The decision now: ANNOUNCE_OK, or why not. */
enum announce_block announce_state(const struct announce *a);
/* Withdrawals and announcements so far. */
uint64_t announce_transitions(const struct announce *a);

/* Withdraws, removes the addresses and the route device, frees. NULL safe. */
void announce_free(struct announce *a);

#endif /* RAMPART_GATEWAY_HA_ANNOUNCE_NODE_H */
