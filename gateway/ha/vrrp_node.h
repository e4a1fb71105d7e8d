/*
 * vrrp_node: one VRRP instance inside the privileged parent process. It
 * glues the pure state machine (vrrp.c) to its I/O (vrrp_sock.c +
 * vrrp_net.c: advertisements on IP protocol 112; vip.c: the virtual
 * addresses; vip_announce.c + vrrp_garp.c: gratuitous ARP / Neighbor
 * Advertisements) and to the parent's event loop. vrrp_set.c runs the
 * instances of a process and tells each about links and addresses.
 *
 * Every socket an instance needs is opened by vrrp_node_start and closed by
 * vrrp_node_free: nothing is opened, bound or closed while it changes state,
 * and nothing here blocks the loop.
 *
 * IPv4 or IPv6, as its virtual addresses (one family per instance). An
 * IPv6 instance sends from the interface's link-local address and waits,
 * in Initialize, until that address has passed DAD.
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_NODE_H
#define RAMPART_GATEWAY_HA_VRRP_NODE_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/link_watch.h"
#include "gateway/ha/vrrp.h"
#include "gateway/ha/vrrp_net.h"

struct vrrp_node;

/* Starts one instance (cleans a VIP of it left by a crash). `siblings`:
 * the VRIDs other instances of this process run on the same interface and
 * family (VRRP_VRID_BYTES, copied), whose advertisements it ignores. NULL
 * with a message in `err`. */
struct vrrp_node *vrrp_node_start(struct loop *loop, const struct config_vrrp *cfg, const uint8_t *siblings,
                                  char *err, size_t errlen);

/* A link or address changed (link_watch.c): the node re-reads its link,
 * its tracked links and its own address. */
void vrrp_node_link_event(struct vrrp_node *node, enum link_watch_event ev, unsigned ifindex);

/* Health drives priority: the number of backends currently up (from the
 * relay's health checks). 0 lowers priority by penalty_no_backend, and so
 * does "not known yet": the node starts penalised until the first call. */
void vrrp_node_backends_up(struct vrrp_node *node, unsigned n_up);

/* No relay serves (the parent decided: supervise.c): announce priority 0
 * at once so the peer takes over; _relay_back restores normal priority. */
void vrrp_node_relay_lost(struct vrrp_node *node);
void vrrp_node_relay_back(struct vrrp_node *node);

/* SIGTERM, at once: send priority 0 (the peer takes over after its skew
 * time, ~60 ms at 100 ms adverts), remove the VIPs, stop taking part. The
 * sockets stay open until vrrp_node_free (closing a packet socket waits in
 * the kernel). Safe more than once. */
void vrrp_node_leave(struct vrrp_node *node);

/* Leaves (if not done yet), closes and frees. Safe with NULL. */
void vrrp_node_free(struct vrrp_node *node);

/* What another process needs to take this instance down without its state
 * machine: the guard that outlives a parent killed with SIGKILL sends
 * priority 0 from `source` to each of `dst` and removes the VIPs. Fixed
 * size, no pointers: it can cross a pipe. */
struct vrrp_node_desc {
    char name[CONFIG_NAME_MAX]; /* "" for [vrrp] */
    char interface[CONFIG_IFNAME_MAX];
    int family;
    uint8_t vrid;
    uint16_t advert_cs;
    bool have_source;        /* false: no usable address yet, nothing to send */
    struct vrrp_addr source; /* our primary / link-local address */
    struct vrrp_addr dst[CONFIG_MAX_PEERS];
    unsigned n_dst; /* the group, or the unicast peers */
    struct ip_prefix vips[CONFIG_MAX_VIPS];
    unsigned n_vips;
    bool master; /* holds the VIPs now */
};
void vrrp_node_describe(const struct vrrp_node *node, struct vrrp_node_desc *out);

/* Takes an instance down from its description alone, with sockets of its
 * own: priority 0 (when it was Master), then the VIPs removed. What the
 * guard would do; vrrp_driver's "crash" signal does it. 0, or -1 with the
 * first problem in `err` (the rest is still tried). */
int vrrp_node_desc_stand_down(const struct vrrp_node_desc *d, char *err, size_t errlen);

/* For logs, the admin pages and the metrics. */
const char *vrrp_node_name(const struct vrrp_node *node); /* "" for [vrrp] */
const char *vrrp_node_interface(const struct vrrp_node *node);
const char *vrrp_node_state_name(const struct vrrp_node *node);
enum vrrp_state vrrp_node_state(const struct vrrp_node *node);
unsigned vrrp_node_priority(const struct vrrp_node *node);
unsigned vrrp_node_vrid(const struct vrrp_node *node);
int vrrp_node_family(const struct vrrp_node *node);
uint64_t vrrp_node_transitions(const struct vrrp_node *node);
/* packets sent/received and every drop by reason (label: vrrp_drop_name()) */
const struct vrrp_net_stats *vrrp_node_stats(const struct vrrp_node *node);
/* gratuitous ARPs / NAs sent naming our MAC, and naming a winner's */
void vrrp_node_announced(const struct vrrp_node *node, uint64_t *ours, uint64_t *on_behalf);
/* Senders of valid adverts heard (the last CONFIG_MAX_PEERS distinct
 * ones): the parent never blocks them. Returns how many were copied to out
 * (at most max). */
unsigned vrrp_node_peers_seen(const struct vrrp_node *node, struct ip_addr *out, unsigned max);

#endif /* RAMPART_GATEWAY_HA_VRRP_NODE_H */
