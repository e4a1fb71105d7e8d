/*
 * vrrp_set: the VRRP instances of one process, [vrrp] and each enabled
 * [vrrp NAME], and what they share: one link monitor (link_watch.c) for
 * all, and the news that applies to every instance (backends up, relay
 * lost or back, shutdown). Active-active is two instances here and their
 * mirror images on the peer: each gateway Master of one VIP, Backup of the
 * other, either taking both when the other fails.
 *
 * The parent holds one (proc/parent.c), bench/vrrp_driver.c another. All
 * calls on the owner's loop thread; nothing blocks.
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_SET_H
#define RAMPART_GATEWAY_HA_VRRP_SET_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/vrrp_node.h"

struct vrrp_set;

/* Starts every enabled instance of cfg (all or none). NULL when there is
 * none (*failed false), or on an error (logged, naming the instance;
 * *failed true). */
struct vrrp_set *vrrp_set_start(struct loop *loop, const struct config *cfg, bool *failed);

/* Fanned out to every instance (see vrrp_node.h). Safe with NULL. */
void vrrp_set_backends_up(struct vrrp_set *s, unsigned n_up);
void vrrp_set_relay_lost(struct vrrp_set *s);
void vrrp_set_relay_back(struct vrrp_set *s);
void vrrp_set_leave(struct vrrp_set *s);
/* Leaves, closes every socket, frees. Safe with NULL. */
void vrrp_set_free(struct vrrp_set *s);

/* The instances, in the order of the config file: 0 for NULL. */
unsigned vrrp_set_count(const struct vrrp_set *s);
const struct vrrp_node *vrrp_set_node(const struct vrrp_set *s, unsigned i);
/* State changes of all instances so far: a report is due when it moves. */
uint64_t vrrp_set_transitions(const struct vrrp_set *s);
/* The senders of valid adverts every instance heard (vrrp_node_peers_seen),
 * each once: at most VRRP_SET_HEARD_MAX. */
#define VRRP_SET_HEARD_MAX (CONFIG_MAX_VRRP_INSTANCES * CONFIG_MAX_PEERS)
unsigned vrrp_set_peers_heard(const struct vrrp_set *s, struct ip_addr *out, unsigned max);
/* One description per instance (vrrp_node_describe), at most `max`;
 * returns how many: what a guard needs to take them all down. */
unsigned vrrp_set_describe(const struct vrrp_set *s, struct vrrp_node_desc *out, unsigned max);

#endif /* RAMPART_GATEWAY_HA_VRRP_SET_H */
