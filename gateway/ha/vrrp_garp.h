/*
 * vrrp_garp: when a VRRP instance's announcements go out (vip_announce.c
 * sends them: gratuitous ARPs, IPv6 unsolicited Neighbor Advertisements).
 *
 *   vrrp_garp_master   we hold the VIPs: a burst of garp_count, garp_interval
 *                      apart, a second burst garp_repeat_delay later, then
 *                      one every garp_refresh (keepalived's
 *                      garp_master_repeat, _delay and _refresh)
 *   vrrp_garp_behalf   we yielded to a Master that may not hear us (split
 *                      brain healing one way): learn its MAC, then send one
 *                      burst naming it, so the clients we pulled go back
 *                      (garp_on_behalf; the frames carry the winner's MAC
 *                      from our port, which ARP inspection may refuse)
 *   vrrp_garp_stop     the VIPs are gone: our bursts end
 *   vrrp_garp_stop_all ... and the ones on a winner's behalf
 *
 * Timers on the owner's loop; nothing blocks (learning the MAC is polled).
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_GARP_H
#define RAMPART_GATEWAY_HA_VRRP_GARP_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/vip_announce.h"

#define VRRP_GARP_RESOLVE_POLL_MS 10  /* waiting for the winner's answer ... */
#define VRRP_GARP_RESOLVE_TRIES   100 /* ... at most one second, asking again every 10th time */

enum vrrp_garp_phase { VRRP_GARP_FIRST, VRRP_GARP_SECOND, VRRP_GARP_REFRESH };

struct vrrp_garp {
    struct loop *loop;
    struct vip_announce *out;
    const struct config_vrrp *cfg; /* counts, intervals and the VIPs */
    const char *instance;          /* for the log: "" for [vrrp] */
    struct loop_timer timer;       /* our own bursts */
    enum vrrp_garp_phase phase;
    unsigned left; /* in the current burst */
    struct loop_timer behalf_timer;
    uint8_t self[16], winner[16]; /* addresses of the instance's family */
    uint8_t winner_mac[VIP_MAC_LEN];
    unsigned tries;       /* while learning the MAC */
    unsigned behalf_left; /* frames still to send once it is known */
    uint64_t sent;        /* frames naming our MAC, ... */
    uint64_t sent_behalf; /* ... and naming a winner's (counters for the stats) */
};

void vrrp_garp_init(struct vrrp_garp *g, struct loop *loop, struct vip_announce *out,
                    const struct config_vrrp *cfg, const char *instance);
void vrrp_garp_master(struct vrrp_garp *g);
/* self and winner: 4 (IPv4) or 16 bytes, network order. */
void vrrp_garp_behalf(struct vrrp_garp *g, const uint8_t *self, const uint8_t *winner);
void vrrp_garp_stop(struct vrrp_garp *g);
void vrrp_garp_stop_all(struct vrrp_garp *g);

#endif /* RAMPART_GATEWAY_HA_VRRP_GARP_H */
