/*
 * vrrp_node: one VRRP instance of the parent process (see vrrp_node.h).
 * It owns no policy: every decision comes from vrrp_step(); this file turns
 * sockets, timers, link events and health reports into its events, and its
 * actions into packets, addresses and announcements.
 */
#include "gateway/ha/vrrp_node.h"

#include "common/log.h"
#include "gateway/ha/vip.h"
#include "gateway/ha/vip_announce.h"
#include "gateway/ha/vrrp_garp.h"
#include "gateway/ha/vrrp_sock.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODE_ERR_MAX   256
#define NODE_READS_MAX 64 /* datagrams per wake-up: a flood must not hold the loop */

/* Log fields end with instance=NAME for a named instance; [vrrp]'s lines
 * stay as they were (a NULL key ends the list early). */
#define NODE_INSTANCE(n) (n)->cfg.name[0] ? "instance" : LOG_END, (n)->cfg.name

struct vrrp_node {
    struct loop *loop;
    struct config_vrrp cfg; /* a copy: the parent may reload its config */
    int family;
    struct vrrp sm;
    struct vip_set vip;
    struct vip_announce announce;
    struct vrrp_garp garp;
    int fd;
    unsigned ifindex;
    struct loop_io io;
    struct loop_timer timer; /* the state machine's */
    struct vrrp_addr primary;
    bool have_primary; /* IPv6: the link-local address passed DAD */
    struct vrrp_addr vips[CONFIG_MAX_VIPS];
    struct vrrp_addr dst[CONFIG_MAX_PEERS]; /* the group, or the unicast peers */
    unsigned n_dst;
    struct vrrp_addr seen[CONFIG_MAX_PEERS]; /* senders of valid adverts, most recent kept */
    unsigned n_seen, seen_next;
    uint8_t siblings[VRRP_VRID_BYTES];
    bool link_up;
    bool running; /* link up and an address to send from: the machine was started */
    bool relay_lost;
    bool no_backend;
    bool left; /* vrrp_node_leave() done: no events, no timers */
    unsigned tracked_down;
    uint64_t transitions;
    bool drop_logged[VRRP_DROP_COUNT];
    struct vrrp_net_stats stats;
};

static void node_error(const struct vrrp_node *n, const char *err)
{
    log_event(LOG_LEVEL_ERROR, "vrrp_error", "reason", err, NODE_INSTANCE(n), LOG_END);
}

/* Where an address's own bytes are in struct vrrp_addr. */
static const uint8_t *addr_bytes(int family, const struct vrrp_addr *a)
{
    return family == AF_INET6 ? a->b : a->b + 12;
}

static struct vrrp_addr addr_from_ip(const struct ip_addr *ip)
{
    struct vrrp_addr a = {0};
    if (ip->family == AF_INET6)
        memcpy(a.b, &ip->u.v6, 16);
    else
        a = vrrp_addr_v4(ip->u.v4.s_addr);
    return a;
}

/* ---- actions ---- */

static void send_adverts(struct vrrp_node *n, uint8_t priority)
{
    struct vrrp_advert adv = {.family = n->family,
                              .vrid = (uint8_t)n->cfg.vrid,
                              .priority = priority,
                              .interval_cs = (uint16_t)n->cfg.advert_interval_cs,
                              .src = n->primary,
                              .n_addrs = n->cfg.n_vips};
    uint8_t msg[VRRP_PKT_MAX];
    for (unsigned i = 0; i < n->n_dst; i++) {
        adv.dst = n->dst[i];
        size_t len = vrrp_net_build(msg, sizeof msg, &adv, n->vips);
        vrrp_sock_send(n->fd, n->family, n->ifindex, &adv.src, &adv.dst, msg, len, &n->stats);
    }
}

static void log_state(struct vrrp_node *n, const struct vrrp_actions *a)
{
    if (a->old_state != n->sm.state) {
        n->transitions++;
        log_event(LOG_LEVEL_INFO, "vrrp_state", "from", vrrp_state_name(a->old_state), "to",
                  vrrp_state_name(n->sm.state), "reason", a->why, NODE_INSTANCE(n), LOG_END);
    } else if (a->send_garp && a->why) {
        log_event(LOG_LEVEL_WARN, "vrrp_conflict", "reason", a->why, NODE_INSTANCE(n), LOG_END);
    }
}

static void apply(struct vrrp_node *n, const struct vrrp_actions *a)
{
    char err[NODE_ERR_MAX];
    if (a->del_vips) {
        vrrp_garp_stop(&n->garp);
        if (vip_del_all(&n->vip, err, sizeof err) < 0)
            node_error(n, err);
    }
    if (a->add_vips) {
        vrrp_garp_stop_all(&n->garp); /* we are the Master now: no ARPs for another */
        if (vip_add_all(&n->vip, err, sizeof err) < 0)
            node_error(n, err);
    }
    if (a->announce_master)
        vrrp_garp_behalf(&n->garp, addr_bytes(n->family, &n->primary),
                         addr_bytes(n->family, &a->master_addr));
    if (a->send_advert)
        send_adverts(n, a->advert_priority);
    if (a->send_garp)
        vrrp_garp_master(&n->garp);
    log_state(n, a);
    uint64_t now = loop_now_ms(n->loop);
    if (a->next_timer_at)
        loop_timer_set(n->loop, &n->timer, a->next_timer_at > now ? a->next_timer_at - now : 0);
    else
        loop_timer_clear(n->loop, &n->timer);
}

static void step(struct vrrp_node *n, const struct vrrp_event *ev)
{
    struct vrrp_actions a = vrrp_step(&n->sm, ev, loop_now_ms(n->loop));
    apply(n, &a);
}

static void step_simple(struct vrrp_node *n, enum vrrp_event_type type)
{
    struct vrrp_event ev = {.type = type};
    step(n, &ev);
}

/* ---- priority: configured, minus what health and links take away ---- */

static uint8_t effective_priority(const struct vrrp_node *n)
{
    if (n->relay_lost)
        return VRRP_PRIO_STOP;
    unsigned penalty = n->tracked_down * n->cfg.penalty_interface_down;
    if (n->no_backend)
        penalty += n->cfg.penalty_no_backend;
    return vrrp_penalised_priority(n->cfg.priority, penalty);
}

static void update_priority(struct vrrp_node *n)
{
    uint8_t p = effective_priority(n);
    if (p == n->sm.priority || n->left) /* after leaving, nothing is sent or changed */
        return;
    char from[8], to[8];
    snprintf(from, sizeof from, "%u", n->sm.priority);
    snprintf(to, sizeof to, "%u", p);
    log_event(LOG_LEVEL_INFO, "vrrp_priority", "from", from, "to", to, "relay", n->relay_lost ? "lost" : "up",
              "backends", n->no_backend ? "none up" : "ok", NODE_INSTANCE(n), LOG_END);
    struct vrrp_event ev = {.type = VRRP_EV_PRIORITY, .priority = p};
    step(n, &ev);
}

/* ---- events from the loop ---- */

static void vrrp_node_on_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    step_simple(t->arg, VRRP_EV_TIMER);
}

/* Once per reason: a flood must not flood the log. */
static void log_new_drops(struct vrrp_node *n, const struct vrrp_net_stats *before)
{
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        if (n->stats.drops[i] != before->drops[i] && !n->drop_logged[i]) {
            n->drop_logged[i] = true;
            log_event(LOG_LEVEL_WARN, "vrrp_advert_dropped", "reason", vrrp_drop_name(i), "note",
                      "further drops for this reason are only counted", NODE_INSTANCE(n), LOG_END);
        }
}

/* A router whose advert passed every check: the parent never blocks it. */
static void note_sender(struct vrrp_node *n, const struct vrrp_addr *src)
{
    for (unsigned i = 0; i < n->n_seen; i++)
        if (vrrp_addr_cmp(&n->seen[i], src) == 0)
            return;
    n->seen[n->seen_next] = *src;
    n->seen_next = (n->seen_next + 1) % CONFIG_MAX_PEERS;
    if (n->n_seen < CONFIG_MAX_PEERS)
        n->n_seen++;
}

static void on_packet(struct vrrp_node *n, const uint8_t *pkt, size_t len, const struct vrrp_rx6 *meta)
{
    struct vrrp_expect exp = {.family = n->family,
                              .vrid = (uint8_t)n->cfg.vrid,
                              .owner = n->sm.priority == VRRP_PRIO_OWNER,
                              .self = n->primary,
                              .addrs = n->vips,
                              .n_addrs = n->cfg.n_vips,
                              .peers = n->cfg.n_unicast_peers ? n->dst : NULL,
                              .n_peers = n->cfg.n_unicast_peers,
                              .siblings = n->siblings};
    struct vrrp_advert adv;
    struct vrrp_net_stats before = n->stats;
    enum vrrp_verdict v = n->family == AF_INET6 ? vrrp_net_check6(pkt, len, meta, &exp, &adv, &n->stats)
                                                : vrrp_net_check4(pkt, len, &exp, &adv, &n->stats);
    if (v == VRRP_DROPPED)
        log_new_drops(n, &before);
    if (v != VRRP_ACCEPT)
        return;
    struct vrrp_event ev = {
        .type = VRRP_EV_ADVERT, .priority = adv.priority, .interval_cs = adv.interval_cs, .src = adv.src};
    note_sender(n, &adv.src);
    step(n, &ev);
}

static void on_readable(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct vrrp_node *n = io->arg;
    uint8_t buf[VRRP_RECV_MAX];
    struct vrrp_rx6 meta;
    for (int i = 0; i < NODE_READS_MAX; i++) {
        ssize_t len = vrrp_sock_recv(n->fd, n->family, buf, sizeof buf, &meta);
        if (len <= 0)
            return;
        on_packet(n, buf, (size_t)len, &meta);
    }
}

/* The machine runs while the link is up and we have an address to send
 * from; it starts (Initialize -> Backup or Master) when both hold and stops
 * (silently: nothing can be sent) when either goes. */
static void update_running(struct vrrp_node *n)
{
    bool run = n->link_up && n->have_primary;
    if (run == n->running)
        return;
    n->running = run;
    if (!run) {
        step_simple(n, VRRP_EV_IF_DOWN);
        return;
    }
    n->sm.cfg.primary = n->primary;
    step_simple(n, VRRP_EV_STARTUP);
}

static void check_primary(struct vrrp_node *n)
{
    uint8_t a[16];
    bool have = vip_primary(&n->vip, a) == 0;
    if (have) {
        struct vrrp_addr p = {0};
        uint32_t v4;
        memcpy(&v4, a, 4);
        if (n->family == AF_INET6)
            memcpy(p.b, a, 16);
        else
            p = vrrp_addr_v4(v4);
        n->primary = p;
        n->sm.cfg.primary = p; /* the tie-break follows a changed address */
    }
    n->have_primary = have;
}

static void check_links(struct vrrp_node *n)
{
    bool up = vip_link_up(n->cfg.interface) == 1;
    if (up && !n->link_up)
        check_primary(n);
    n->link_up = up;
    unsigned down = 0;
    for (unsigned i = 0; i < n->cfg.n_track_interfaces; i++)
        down += vip_link_up(n->cfg.track_interfaces[i]) != 1;
    if (down != n->tracked_down) {
        n->tracked_down = down;
        update_priority(n);
    }
}

void vrrp_node_link_event(struct vrrp_node *n, enum link_watch_event ev, unsigned ifindex)
{
    if (!n || n->left)
        return;
    if (ev != LINK_WATCH_ADDR)
        check_links(n); /* own link and tracked ones: a few ioctls */
    if (ev != LINK_WATCH_LINK && (ifindex == n->ifindex || ev == LINK_WATCH_RESYNC))
        check_primary(n);
    update_running(n);
}

/* ---- start and stop ---- */

/* What config.c does not check: bounds the arrays below rely on. */
static int check_config(const struct config_vrrp *c, char *err, size_t errlen)
{
    if (!c->interface[0] || c->vrid < 1 || c->vrid > 255 || c->priority < 1 || c->priority > 255 ||
        c->advert_interval_cs < VRRP_ADVER_MIN_CS || c->advert_interval_cs > VRRP_ADVER_MAX_CS ||
        c->n_vips == 0 || c->n_vips > CONFIG_MAX_VIPS || c->n_unicast_peers > CONFIG_MAX_PEERS ||
        c->n_track_interfaces > CONFIG_MAX_TRACKED_IFS) {
        snprintf(err, errlen,
                 "VRRP instance needs interface, vrid 1-255, priority 1-255, "
                 "advert_interval 10ms-40.95s and 1-%d vips",
                 CONFIG_MAX_VIPS);
        return -1;
    }
    return 0;
}

static void fill_addresses(struct vrrp_node *n)
{
    const struct config_vrrp *c = &n->cfg;
    for (unsigned i = 0; i < c->n_vips; i++)
        n->vips[i] = addr_from_ip(&c->vips[i].addr);
    n->n_dst = c->n_unicast_peers ? c->n_unicast_peers : 1;
    for (unsigned i = 0; i < c->n_unicast_peers; i++)
        n->dst[i] = addr_from_ip(&c->unicast_peers[i]);
    if (c->n_unicast_peers == 0) {
        struct ip_addr group;
        char why[PARSE_WHY_MAX];
        parse_ip(n->family == AF_INET6 ? VRRP_GROUP_V6 : VRRP_GROUP_V4, &group, why);
        n->dst[0] = addr_from_ip(&group);
    }
}

static int node_open(struct vrrp_node *n, char *err, size_t errlen)
{
    const struct config_vrrp *c = &n->cfg;
    fill_addresses(n);
    if (vip_open(&n->vip, c->interface, n->family, c->vips, c->n_vips, err, errlen) < 0)
        return -1;
    n->ifindex = n->vip.ifindex;
    /* a VIP left behind by a crash would answer ARP next to the real Master */
    if (vip_del_all(&n->vip, err, errlen) < 0)
        return -1;
    if (vip_announce_open(&n->announce, n->family, c->interface, err, errlen) < 0)
        return -1;
    n->fd = vrrp_sock_open(n->family, c->interface, err, errlen);
    if (n->fd < 0)
        return -1;
    n->io = (struct loop_io){.fd = n->fd, .fn = on_readable, .arg = n};
    if (loop_watch(n->loop, &n->io, LOOP_READ) < 0) {
        snprintf(err, errlen, "cannot watch the VRRP socket");
        return -1;
    }
    return 0;
}

static void log_start(const struct vrrp_node *n)
{
    char addr[INET6_ADDRSTRLEN] = "none yet";
    if (n->have_primary)
        inet_ntop(n->family, addr_bytes(n->family, &n->primary), addr, sizeof addr);
    char vrid[8], prio[8], adv[16];
    snprintf(vrid, sizeof vrid, "%u", n->cfg.vrid);
    snprintf(prio, sizeof prio, "%u", n->sm.priority);
    snprintf(adv, sizeof adv, "%u0ms", n->cfg.advert_interval_cs);
    log_event(LOG_LEVEL_INFO, "vrrp_start", "vrid", vrid, "interface", n->cfg.interface, "source", addr,
              "priority", prio, "advert_interval", adv, "backends", "unknown", "family",
              n->family == AF_INET6 ? "ipv6" : "ipv4", NODE_INSTANCE(n), LOG_END);
}

struct vrrp_node *vrrp_node_start(struct loop *loop, const struct config_vrrp *cfg, const uint8_t *siblings,
                                  char *err, size_t errlen)
{
    if (check_config(cfg, err, errlen) < 0)
        return NULL;
    struct vrrp_node *n = calloc(1, sizeof *n);
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    n->loop = loop;
    n->cfg = *cfg;
    n->family = config_vrrp_family(cfg);
    n->fd = -1;
    n->announce.send_fd = n->announce.listen_fd = -1;
    if (siblings)
        memcpy(n->siblings, siblings, sizeof n->siblings);
    n->timer = (struct loop_timer){.fn = vrrp_node_on_timer, .arg = n};
    vrrp_garp_init(&n->garp, loop, &n->announce, &n->cfg, n->cfg.name);
    if (node_open(n, err, errlen) < 0) {
        n->left = true;
        vrrp_node_free(n);
        return NULL;
    }
    /* Backends unknown until the relay's first settled report: start with
     * the no-backend penalty, so a node whose backends are all dead never
     * claims Master for the moment before its first checks (vrrp.c re-times
     * the first Master_Down_Timer when the report raises the priority). */
    n->no_backend = true;
    struct vrrp_config sc = {.vrid = (uint8_t)n->cfg.vrid,
                             .priority = effective_priority(n),
                             .advert_cs = (uint16_t)n->cfg.advert_interval_cs,
                             .preempt = n->cfg.preempt,
                             .preempt_delay_ms = n->cfg.preempt_delay_ms};
    vrrp_init(&n->sm, &sc);
    n->link_up = vip_link_up(n->cfg.interface) == 1;
    check_primary(n);
    check_links(n);
    log_start(n);
    update_running(n); /* starts the machine if the link is up */
    return n;
}

void vrrp_node_backends_up(struct vrrp_node *n, unsigned n_up)
{
    if (!n || n->no_backend == (n_up == 0))
        return;
    n->no_backend = n_up == 0;
    update_priority(n);
}

void vrrp_node_relay_lost(struct vrrp_node *n)
{
    if (!n || n->relay_lost)
        return;
    n->relay_lost = true;
    update_priority(n);
}

void vrrp_node_relay_back(struct vrrp_node *n)
{
    if (!n || !n->relay_lost)
        return;
    n->relay_lost = false;
    update_priority(n);
}

void vrrp_node_leave(struct vrrp_node *n)
{
    if (!n || n->left)
        return;
    step_simple(n, VRRP_EV_SHUTDOWN); /* priority 0 first, so the Backup starts now */
    n->left = true;
    loop_timer_clear(n->loop, &n->timer);
    vrrp_garp_stop_all(&n->garp);
    if (n->fd >= 0)
        loop_unwatch(n->loop, &n->io);
}

void vrrp_node_free(struct vrrp_node *n)
{
    if (!n)
        return;
    vrrp_node_leave(n);
    if (n->fd >= 0)
        close(n->fd);
    vip_announce_close(&n->announce);
    vip_close(&n->vip);
    free(n);
}

/* ---- what others may know ---- */

void vrrp_node_describe(const struct vrrp_node *n, struct vrrp_node_desc *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", n->cfg.name);
    snprintf(out->interface, sizeof out->interface, "%s", n->cfg.interface);
    out->family = n->family;
    out->vrid = (uint8_t)n->cfg.vrid;
    out->advert_cs = (uint16_t)n->cfg.advert_interval_cs;
    out->have_source = n->have_primary;
    out->source = n->primary;
    memcpy(out->dst, n->dst, sizeof out->dst);
    out->n_dst = n->n_dst;
    memcpy(out->vips, n->cfg.vips, sizeof out->vips);
    out->n_vips = n->cfg.n_vips;
    out->master = n->sm.state == VRRP_STATE_MASTER;
}

static int desc_send_stop(const struct vrrp_node_desc *d, char *err, size_t errlen)
{
    int fd = vrrp_sock_open(d->family, d->interface, err, errlen);
    if (fd < 0)
        return -1;
    struct vrrp_addr vips[CONFIG_MAX_VIPS];
    for (unsigned i = 0; i < d->n_vips && i < CONFIG_MAX_VIPS; i++)
        vips[i] = addr_from_ip(&d->vips[i].addr);
    struct vrrp_advert adv = {.family = d->family,
                              .vrid = d->vrid,
                              .priority = VRRP_PRIO_STOP,
                              .interval_cs = d->advert_cs,
                              .src = d->source,
                              .n_addrs = d->n_vips < CONFIG_MAX_VIPS ? d->n_vips : CONFIG_MAX_VIPS};
    uint8_t msg[VRRP_PKT_MAX];
    struct vrrp_net_stats st = {0};
    unsigned ifindex = if_nametoindex(d->interface);
    for (unsigned i = 0; i < d->n_dst && i < CONFIG_MAX_PEERS; i++) {
        adv.dst = d->dst[i];
        size_t len = vrrp_net_build(msg, sizeof msg, &adv, vips);
        vrrp_sock_send(fd, d->family, ifindex, &adv.src, &adv.dst, msg, len, &st);
    }
    close(fd);
    if (st.tx_errors) {
        snprintf(err, errlen, "[vrrp %s] priority 0: %llu of %u sends failed", d->name,
                 (unsigned long long)st.tx_errors, d->n_dst);
        return -1;
    }
    return 0;
}

int vrrp_node_desc_stand_down(const struct vrrp_node_desc *d, char *err, size_t errlen)
{
    int rc = 0;
    if (d->master && d->have_source)
        rc = desc_send_stop(d, err, errlen);
    struct vip_set vs;
    char e2[NODE_ERR_MAX];
    unsigned n_vips = d->n_vips < CONFIG_MAX_VIPS ? d->n_vips : CONFIG_MAX_VIPS;
    if (vip_open(&vs, d->interface, d->family, d->vips, n_vips, e2, sizeof e2) < 0 ||
        vip_del_all(&vs, e2, sizeof e2) < 0) {
        if (rc == 0)
            snprintf(err, errlen, "%s", e2);
        rc = -1;
    }
    vip_close(&vs);
    return rc;
}

const char *vrrp_node_name(const struct vrrp_node *n)
{
    return n->cfg.name;
}

const char *vrrp_node_interface(const struct vrrp_node *n)
{
    return n->cfg.interface;
}

const char *vrrp_node_state_name(const struct vrrp_node *n)
{
    return vrrp_state_name(n->sm.state);
}

enum vrrp_state vrrp_node_state(const struct vrrp_node *n)
{
    return n->sm.state;
}

unsigned vrrp_node_priority(const struct vrrp_node *n)
{
    return n->sm.priority;
}

unsigned vrrp_node_vrid(const struct vrrp_node *n)
{
    return n->cfg.vrid;
}

int vrrp_node_family(const struct vrrp_node *n)
{
    return n->family;
}

uint64_t vrrp_node_transitions(const struct vrrp_node *n)
{
    return n->transitions;
}

const struct vrrp_net_stats *vrrp_node_stats(const struct vrrp_node *n)
{
    return &n->stats;
}

unsigned vrrp_node_peers_seen(const struct vrrp_node *n, struct ip_addr *out, unsigned max)
{
    unsigned k = n->n_seen < max ? n->n_seen : max;
    for (unsigned i = 0; i < k; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].family = n->family;
        if (n->family == AF_INET6)
            memcpy(&out[i].u.v6, n->seen[i].b, 16);
        else
            out[i].u.v4.s_addr = vrrp_addr_to_v4(&n->seen[i]);
    }
    return k;
}

void vrrp_node_announced(const struct vrrp_node *n, uint64_t *ours, uint64_t *on_behalf)
{
    *ours = n->garp.sent;
    *on_behalf = n->garp.sent_behalf;
}
