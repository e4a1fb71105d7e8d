/*
 * parent_status: what the relay's admin pages (/status, /metrics) show
 * about the parent's side: each VRRP instance (role, timeline, adverts),
 * the firewall, the peer channel, the [bgp] announcement. Sent to the
 * serving relay over IPC every PARENT_STATUS_EVERY_MS and at once on a
 * role change; the VRRP timelines are kept here, across relays. See
 * parent_internal.h.
 */
#include "gateway/proc/parent_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PARENT_STATUS_EVERY_MS 1000 /* counters; a role change goes at once */

static void vrrp_status(const struct vrrp_node *n, const struct admin_vrrp_history *h,
                        struct admin_vrrp_status *st)
{
    snprintf(st->name, sizeof st->name, "%s", vrrp_node_name(n));
    snprintf(st->interface, sizeof st->interface, "%s", vrrp_node_interface(n));
    st->history = *h;
    st->role = admin_vrrp_role_from_name(vrrp_node_state_name(n));
    st->family = vrrp_node_family(n) == AF_INET6 ? 6 : 4;
    st->vrid = vrrp_node_vrid(n);
    st->priority = vrrp_node_priority(n);
    st->transitions = vrrp_node_transitions(n);
    const struct vrrp_net_stats *ns = vrrp_node_stats(n);
    st->adverts_sent = ns->tx;
    st->adverts_received = ns->rx_ok;
    for (unsigned i = 0; i < VRRP_DROP_COUNT && st->n_adverts_dropped < ADMIN_VRRP_DROP_KINDS; i++) {
        struct admin_counter *c = &st->adverts_dropped[st->n_adverts_dropped++];
        snprintf(c->label, sizeof c->label, "%s", vrrp_drop_name((enum vrrp_drop)i));
        c->value = ns->drops[i];
    }
}

/* One status per instance; one "disabled" without VRRP. */
static void report_vrrp(struct parent *p)
{
    static struct admin_vrrp_status st[ADMIN_VRRP_MAX_INSTANCES];
    memset(st, 0, sizeof st);
    unsigned n = vrrp_set_count(p->vrrp);
    for (unsigned i = 0; i < n && i < ADMIN_VRRP_MAX_INSTANCES; i++)
        vrrp_status(vrrp_set_node(p->vrrp, i), &p->vrrp_seen[i].history, &st[i]);
    if (n == 0) {
        st[0].role = ADMIN_VRRP_DISABLED;
        n = 1;
    }
    ipc_send(p->current->io.fd, IPC_VRRP, st, n * sizeof st[0]);
}

/* Every watchdog tick, with or without a relay: a role change goes into
 * its instance's timeline with the time it was seen. */
static void track_vrrp_roles(struct parent *p)
{
    for (unsigned i = 0; i < vrrp_set_count(p->vrrp) && i < CONFIG_MAX_VRRP_INSTANCES; i++) {
        enum admin_vrrp_role role =
            admin_vrrp_role_from_name(vrrp_node_state_name(vrrp_set_node(p->vrrp, i)));
        if (role == p->vrrp_seen[i].role)
            continue;
        admin_vrrp_history_add(&p->vrrp_seen[i].history, (uint64_t)time(NULL), p->vrrp_seen[i].role, role);
        p->vrrp_seen[i].role = role;
    }
}

/* Every PARENT_STATUS_EVERY_MS, at once on a VRRP role change, and to a
 * relay that just became ready (force). */
void parent_report_status(struct parent *p, bool force)
{
    track_vrrp_roles(p);
    if (!p->current || p->current->state != RELAY_SERVING)
        return;
    uint64_t transitions = vrrp_set_transitions(p->vrrp) + announce_transitions(p->announce);
    bool changed = transitions != p->vrrp_transitions_sent;
    uint64_t now = loop_now_ms(p->loop);
    if (!force && !changed && now - p->status_sent_ms < PARENT_STATUS_EVERY_MS)
        return;
    p->vrrp_transitions_sent = transitions;
    p->status_sent_ms = now;
    report_vrrp(p);
    parent_firewall_read_counters(&p->firewall);
    ipc_send(p->current->io.fd, IPC_FIREWALL, &p->firewall.status, sizeof p->firewall.status);
    if (p->cfg->peer.enabled) {
        static struct admin_peer_status peer;
        parent_peer_status(&p->peer, &peer);
        ipc_send(p->current->io.fd, IPC_PEER, &peer, sizeof peer);
    }
    if (p->announce) {
        struct admin_bgp_status bgp = {.enabled = true,
                                       .announced = announce_announced(p->announce),
                                       .transitions = announce_transitions(p->announce)};
        snprintf(bgp.reason, sizeof bgp.reason, "%s", announce_block_name(announce_state(p->announce)));
        ipc_send(p->current->io.fd, IPC_BGP, &bgp, sizeof bgp);
    }
}
