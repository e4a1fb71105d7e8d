/*
 * vrrp_node: runs VRRP inside the privileged parent process. It glues the
 * pure state machine (vrrp.c) to its I/O (vrrp_net.c: advertisements on IP
 * protocol 112; vip.c: the virtual addresses and gratuitous ARP) and to the
 * parent's event loop.
 *
 * The parent calls these; nothing here blocks.
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_NODE_H
#define RAMPART_GATEWAY_HA_VRRP_NODE_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"

struct vrrp_node;

/* Starts VRRP if [vrrp] enabled = yes (cleans a stale VIP left by a crash);
 * returns NULL when disabled or on error (error logged, *failed set). */
struct vrrp_node *vrrp_node_start(struct loop *loop, const struct config *cfg, bool *failed);

/* Health drives priority: the number of backends currently up (from the
 * relay's health checks). 0 lowers priority by penalty_no_backend, and so
 * does "not known yet": the node starts penalised until the first call. */
void vrrp_node_backends_up(struct vrrp_node *node, unsigned n_up);

/* The relay process died or missed its heartbeat: announce priority 0 at
 * once so the peer takes over; _relay_back restores normal priority. */
void vrrp_node_relay_lost(struct vrrp_node *node);
void vrrp_node_relay_back(struct vrrp_node *node);

/* SIGTERM, at once: send priority 0 (the peer takes over after its skew
 * time, ~60 ms at 100 ms adverts), remove the VIPs, stop taking part. Call it
 * when shutdown starts, not after draining: a draining relay serves no new
 * client, while the peer can. Safe with NULL and more than once. */
void vrrp_node_leave(struct vrrp_node *node);

/* Leaves (if not done yet) and frees the node. Call it after loop_run()
 * has returned. Safe with NULL. */
void vrrp_node_shutdown(struct vrrp_node *node);

/* "master", "backup", "init": for logs, /healthz and the metrics
 * ("disabled" for NULL). */
const char *vrrp_node_state_name(const struct vrrp_node *node);

/* For the metrics page: packets sent/received and every drop by reason
 * (label: vrrp_drop_name()), and the priority currently advertised. */
struct vrrp_net_stats;
const struct vrrp_net_stats *vrrp_node_stats(const struct vrrp_node *node);
unsigned vrrp_node_priority(const struct vrrp_node *node);
/* Senders of valid adverts heard (IPv4, network order; the last
 * CONFIG_MAX_PEERS distinct ones): the parent never blocks them. Returns
 * how many were copied to out (at most max; 0 for NULL). */
unsigned vrrp_node_peers_seen(const struct vrrp_node *node, uint32_t *out, unsigned max);

#endif /* RAMPART_GATEWAY_HA_VRRP_NODE_H */
