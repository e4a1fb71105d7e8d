/*
 * vrrp_node: the VRRP instance of the parent process (see vrrp_node.h).
 * It owns no policy: every decision comes from vrrp_step(); this file turns
 * sockets, timers and health reports into its events, and its actions into
 * packets, addresses and ARPs.
 */
#include "gateway/ha/vrrp_node.h"

#include "common/log.h"
#include "gateway/ha/vip.h"
#include "gateway/ha/vrrp.h"
#include "gateway/ha/vrrp_net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODE_LINK_POLL_MS    100 /* how often the interface and tracked links are checked */
#define NODE_RESOLVE_POLL_MS 10  /* waiting for the new Master's ARP reply ... */
#define NODE_RESOLVE_TRIES   100 /* ... for at most one second, asking every 10th time */
#define NODE_ERR_MAX         256

struct vrrp_node {
    struct loop *loop;
    struct config_vrrp cfg; /* a copy: the parent may reload its config */
    struct vrrp sm;
    struct vip_set vip;
    int fd;
    unsigned ifindex;
    struct loop_io io;
    struct loop_timer timer;      /* the state machine's */
    struct loop_timer garp_timer; /* ARP burst, then periodic refresh */
    struct loop_timer link_timer;
    unsigned garp_left;
    struct loop_timer announce_timer; /* ARPs naming the Master we yielded to */
    uint32_t announce_ip;
    uint8_t announce_mac[VIP_MAC_LEN];
    unsigned announce_tries; /* while resolving its MAC */
    unsigned announce_left;  /* ARPs still to send, once known */
    uint32_t primary;        /* network order, like everything on the wire */
    uint32_t vips_v4[CONFIG_MAX_VIPS];
    uint32_t peers[CONFIG_MAX_PEERS];
    uint32_t seen[CONFIG_MAX_PEERS]; /* senders of valid adverts, most recent kept */
    unsigned n_seen, seen_next;
    bool link_up;
    bool relay_lost;
    bool no_backend;
    bool left; /* vrrp_node_leave() done: no sockets, no timers */
    unsigned tracked_down;
    bool drop_logged[VRRP_DROP_COUNT];
    struct vrrp_net_stats stats;
};

static void node_error(const char *err)
{
    log_event(LOG_LEVEL_ERROR, "vrrp_error", "reason", err, LOG_END);
}

/* ---- actions ---- */

static void send_adverts(struct vrrp_node *n, uint8_t priority)
{
    struct vrrp_advert adv = {.vrid = (uint8_t)n->cfg.vrid,
                              .priority = priority,
                              .interval_cs = (uint16_t)n->cfg.advert_interval_cs,
                              .src = n->primary,
                              .n_addrs = n->cfg.n_vips};
    uint8_t msg[VRRP_PKT_MAX];
    unsigned n_dst = n->cfg.n_unicast_peers ? n->cfg.n_unicast_peers : 1;
    for (unsigned i = 0; i < n_dst; i++) {
        if (n->cfg.n_unicast_peers)
            adv.dst = n->peers[i];
        else
            inet_pton(AF_INET, VRRP_GROUP_V4, &adv.dst);
        size_t len = vrrp_net_build(msg, sizeof msg, &adv, n->vips_v4);
        vrrp_net_send(n->fd, n->ifindex, adv.src, adv.dst, msg, len, &n->stats);
    }
}

static void garp_fire(struct loop *loop, struct loop_timer *t)
{
    struct vrrp_node *n = t->arg;
    if (n->sm.state != VRRP_STATE_MASTER)
        return;
    vip_garp(&n->vip);
    if (n->garp_left > 0)
        n->garp_left--;
    if (n->garp_left > 0)
        loop_timer_set(loop, t, n->cfg.garp_interval_ms);
    else if (n->cfg.garp_refresh_ms)
        loop_timer_set(loop, t, n->cfg.garp_refresh_ms);
}

static void garp_start(struct vrrp_node *n)
{
    n->garp_left = n->cfg.garp_count;
    if (n->garp_left > 0)
        garp_fire(n->loop, &n->garp_timer);
    else if (n->cfg.garp_refresh_ms) /* garp_count = 0: only the periodic refresh */
        loop_timer_set(n->loop, &n->garp_timer, n->cfg.garp_refresh_ms);
}

/* After yielding to a Master that cannot hear us (split brain healing one
 * way), clients may still send to our MAC: learn its MAC, then send the
 * gratuitous ARPs it would have sent had it known. */
static void announce_fire(struct loop *loop, struct loop_timer *t)
{
    struct vrrp_node *n = t->arg;
    if (n->announce_left == 0) {
        if (vip_resolve_poll(&n->vip, n->announce_ip, n->announce_mac) == 0) {
            if (++n->announce_tries >= NODE_RESOLVE_TRIES) {
                vip_resolve_stop(&n->vip);
                return;
            }
            if (n->announce_tries % 10 == 0)
                vip_resolve_start(&n->vip, n->primary, n->announce_ip);
            loop_timer_set(loop, t, NODE_RESOLVE_POLL_MS);
            return;
        }
        vip_resolve_stop(&n->vip);
        n->announce_left = n->cfg.garp_count; /* > 0: see apply() */
        char mac[3 * VIP_MAC_LEN];
        const uint8_t *m = n->announce_mac;
        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
        log_event(LOG_LEVEL_INFO, "vrrp_announce_master", "mac", mac, "why",
                  "clients may still send to us: pointing them at the new master", LOG_END);
    }
    vip_garp_as(&n->vip, n->announce_mac);
    if (--n->announce_left > 0)
        loop_timer_set(loop, t, n->cfg.garp_interval_ms);
}

static void announce_start(struct vrrp_node *n, uint32_t master_host_order)
{
    n->announce_ip = htonl(master_host_order);
    n->announce_tries = 0;
    n->announce_left = 0;
    if (vip_resolve_start(&n->vip, n->primary, n->announce_ip) == 0)
        loop_timer_set(n->loop, &n->announce_timer, NODE_RESOLVE_POLL_MS);
}

static void announce_stop(struct vrrp_node *n)
{
    loop_timer_clear(n->loop, &n->announce_timer);
    vip_resolve_stop(&n->vip);
}

static void apply(struct vrrp_node *n, const struct vrrp_actions *a)
{
    char err[NODE_ERR_MAX];
    if (a->del_vips) {
        loop_timer_clear(n->loop, &n->garp_timer);
        if (vip_del_all(&n->vip, err, sizeof err) < 0)
            node_error(err);
    }
    if (a->add_vips) {
        announce_stop(n); /* we are the Master now */
        if (vip_add_all(&n->vip, err, sizeof err) < 0)
            node_error(err);
    }
    if (a->announce_master && n->cfg.garp_count > 0) /* garp_count = 0: the operator wants no ARPs */
        announce_start(n, a->master_addr);
    if (a->send_advert)
        send_adverts(n, a->advert_priority);
    if (a->send_garp)
        garp_start(n);
    if (a->old_state != n->sm.state) {
        log_event(LOG_LEVEL_INFO, "vrrp_state", "from", vrrp_state_name(a->old_state), "to",
                  vrrp_state_name(n->sm.state), "reason", a->why, LOG_END);
    } else if (a->send_garp && a->why) {
        log_event(LOG_LEVEL_WARN, "vrrp_conflict", "reason", a->why, LOG_END);
    }
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
              "backends", n->no_backend ? "none up" : "ok", LOG_END);
    struct vrrp_event ev = {.type = VRRP_EV_PRIORITY, .priority = p};
    step(n, &ev);
}

/* ---- events from the loop ---- */

static void vrrp_node_on_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    step_simple(t->arg, VRRP_EV_TIMER);
}

/* A router whose advert passed every check: the parent never blocks it. */
static void note_sender(struct vrrp_node *n, uint32_t src)
{
    for (unsigned i = 0; i < n->n_seen; i++)
        if (n->seen[i] == src)
            return;
    n->seen[n->seen_next] = src;
    n->seen_next = (n->seen_next + 1) % CONFIG_MAX_PEERS;
    if (n->n_seen < CONFIG_MAX_PEERS)
        n->n_seen++;
}

unsigned vrrp_node_peers_seen(const struct vrrp_node *node, uint32_t *out, unsigned max)
{
    unsigned n = node ? node->n_seen : 0;
    if (n > max)
        n = max;
    if (n)
        memcpy(out, node->seen, n * sizeof *out);
    return n;
}

static void on_packet(struct vrrp_node *n, const uint8_t *pkt, size_t len)
{
    struct vrrp_expect exp = {.vrid = (uint8_t)n->cfg.vrid,
                              .owner = n->sm.priority == VRRP_PRIO_OWNER,
                              .self = n->primary,
                              .addrs = n->vips_v4,
                              .n_addrs = n->cfg.n_vips,
                              .peers = n->peers,
                              .n_peers = n->cfg.n_unicast_peers};
    struct vrrp_advert adv;
    struct vrrp_net_stats before = n->stats;
    if (!vrrp_net_check(pkt, len, &exp, &adv, &n->stats)) {
        for (int i = 0; i < VRRP_DROP_COUNT; i++)
            if (n->stats.drops[i] != before.drops[i] && !n->drop_logged[i]) {
                n->drop_logged[i] = true; /* once per reason: a flood must not flood the log */
                log_event(LOG_LEVEL_WARN, "vrrp_advert_dropped", "reason", vrrp_drop_name(i), "note",
                          "further drops for this reason are only counted", LOG_END);
            }
        return;
    }
    struct vrrp_event ev = {.type = VRRP_EV_ADVERT,
                            .priority = adv.priority,
                            .interval_cs = adv.interval_cs,
                            .src = ntohl(adv.src)};
    note_sender(n, adv.src);
    step(n, &ev);
}

static void on_readable(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct vrrp_node *n = io->arg;
    uint8_t buf[VRRP_RECV_MAX];
    for (int i = 0; i < 64; i++) { /* bounded: let other events run during a flood */
        ssize_t len = vrrp_net_recv(n->fd, buf, sizeof buf, &n->stats);
        if (len <= 0)
            return;
        on_packet(n, buf, (size_t)len);
    }
}

static void link_went(struct vrrp_node *n, bool up)
{
    n->link_up = up;
    if (!up) {
        step_simple(n, VRRP_EV_IF_DOWN);
        return;
    }
    uint32_t primary;
    if (vip_primary_v4(&n->vip, &primary) == 0)
        n->primary = primary;
    n->sm.cfg.primary_addr = ntohl(n->primary);
    step_simple(n, VRRP_EV_STARTUP);
}

static void on_link_poll(struct loop *loop, struct loop_timer *t)
{
    struct vrrp_node *n = t->arg;
    bool up = vip_link_up(n->cfg.interface) == 1;
    if (up != n->link_up)
        link_went(n, up);
    unsigned down = 0;
    for (unsigned i = 0; i < n->cfg.n_track_interfaces; i++)
        down += vip_link_up(n->cfg.track_interfaces[i]) != 1;
    if (down != n->tracked_down) {
        n->tracked_down = down;
        update_priority(n);
    }
    loop_timer_set(loop, t, NODE_LINK_POLL_MS);
}

/* ---- start and stop ---- */

/* What config.c cannot know: addresses must be IPv4 for now. */
static int vrrp_node_check_config(const struct config_vrrp *c, char *err, size_t errlen)
{
    if (!c->interface[0] || c->vrid < 1 || c->vrid > 255 || c->priority < 1 || c->priority > 255 ||
        c->advert_interval_cs < VRRP_ADVER_MIN_CS || c->advert_interval_cs > VRRP_ADVER_MAX_CS ||
        c->n_vips == 0 || c->n_vips > CONFIG_MAX_VIPS || c->n_unicast_peers > CONFIG_MAX_PEERS) {
        snprintf(err, errlen,
                 "[vrrp] needs interface, vrid 1-255, priority 1-255, "
                 "advert_interval 10ms-40.95s and 1-%d vips",
                 CONFIG_MAX_VIPS);
        return -1;
    }
    for (unsigned i = 0; i < c->n_vips; i++)
        if (c->vips[i].addr.family != AF_INET) {
            snprintf(err, errlen, "[vrrp] vips: only IPv4 virtual addresses are supported");
            return -1;
        }
    for (unsigned i = 0; i < c->n_unicast_peers; i++)
        if (c->unicast_peers[i].family != AF_INET) {
            snprintf(err, errlen, "[vrrp] unicast_peers: only IPv4 peers are supported");
            return -1;
        }
    return 0;
}

static int node_open(struct vrrp_node *n, char *err, size_t errlen)
{
    const struct config_vrrp *c = &n->cfg;
    for (unsigned i = 0; i < c->n_vips; i++)
        n->vips_v4[i] = c->vips[i].addr.u.v4.s_addr;
    for (unsigned i = 0; i < c->n_unicast_peers; i++)
        n->peers[i] = c->unicast_peers[i].u.v4.s_addr;
    if (vip_open(&n->vip, c->interface, c->vips, c->n_vips, err, errlen) < 0)
        return -1;
    n->ifindex = n->vip.ifindex;
    /* a VIP left behind by a crash would answer ARP next to the real Master */
    if (vip_del_all(&n->vip, err, errlen) < 0)
        return -1;
    if (vip_primary_v4(&n->vip, &n->primary) < 0) {
        snprintf(err, errlen, "[vrrp] interface '%s' has no IPv4 address of its own", c->interface);
        return -1;
    }
    n->fd = vrrp_net_open(c->interface, err, errlen);
    if (n->fd < 0)
        return -1;
    n->io = (struct loop_io){.fd = n->fd, .fn = on_readable, .arg = n};
    if (loop_watch(n->loop, &n->io, LOOP_READ) < 0) {
        snprintf(err, errlen, "[vrrp] cannot watch the VRRP socket");
        return -1;
    }
    return 0;
}

static void node_close(struct vrrp_node *n)
{
    loop_timer_clear(n->loop, &n->timer);
    loop_timer_clear(n->loop, &n->garp_timer);
    loop_timer_clear(n->loop, &n->link_timer);
    loop_timer_clear(n->loop, &n->announce_timer);
    if (n->fd >= 0) {
        loop_unwatch(n->loop, &n->io);
        close(n->fd);
        n->fd = -1;
    }
    vip_close(&n->vip);
}

struct vrrp_node *vrrp_node_start(struct loop *loop, const struct config *cfg, bool *failed)
{
    char err[NODE_ERR_MAX];
    *failed = false;
    if (!cfg->vrrp.enabled)
        return NULL;
    struct vrrp_node *n = calloc(1, sizeof *n);
    if (!n || vrrp_node_check_config(&cfg->vrrp, err, sizeof err) < 0) {
        if (n)
            node_error(err);
        free(n);
        *failed = true;
        return NULL;
    }
    n->loop = loop;
    n->cfg = cfg->vrrp;
    n->fd = -1;
    n->vip.arp_fd = -1;
    n->vip.resolve_fd = -1;
    n->timer = (struct loop_timer){.fn = vrrp_node_on_timer, .arg = n};
    n->garp_timer = (struct loop_timer){.fn = garp_fire, .arg = n};
    n->link_timer = (struct loop_timer){.fn = on_link_poll, .arg = n};
    n->announce_timer = (struct loop_timer){.fn = announce_fire, .arg = n};
    if (node_open(n, err, sizeof err) < 0) {
        node_error(err);
        node_close(n);
        free(n);
        *failed = true;
        return NULL;
    }
    /* Backends unknown until the relay's first settled report: start with
     * the no-backend penalty, so a node whose backends are all dead never
     * claims Master for the moment before its first checks. */
    n->no_backend = true;
    struct vrrp_config sc = {.vrid = (uint8_t)n->cfg.vrid,
                             .priority = effective_priority(n),
                             .advert_cs = (uint16_t)n->cfg.advert_interval_cs,
                             .preempt = n->cfg.preempt,
                             .preempt_delay_ms = n->cfg.preempt_delay_ms,
                             .primary_addr = ntohl(n->primary)};
    vrrp_init(&n->sm, &sc);
    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &n->primary, addr, sizeof addr);
    char vrid[8], prio[8], adv[16];
    snprintf(vrid, sizeof vrid, "%u", n->cfg.vrid);
    snprintf(prio, sizeof prio, "%u", n->sm.priority);
    snprintf(adv, sizeof adv, "%u0ms", n->cfg.advert_interval_cs);
    log_event(LOG_LEVEL_INFO, "vrrp_start", "vrid", vrid, "interface", n->cfg.interface, "source", addr,
              "priority", prio, "advert_interval", adv, "backends", "unknown", LOG_END);
    on_link_poll(loop, &n->link_timer); /* starts the machine if the link is up */
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
    node_close(n);
    n->left = true;
}

void vrrp_node_shutdown(struct vrrp_node *n)
{
    vrrp_node_leave(n);
    free(n);
}

const char *vrrp_node_state_name(const struct vrrp_node *n)
{
    return n ? vrrp_state_name(n->sm.state) : "disabled";
}

const struct vrrp_net_stats *vrrp_node_stats(const struct vrrp_node *n)
{
    return n ? &n->stats : NULL;
}

unsigned vrrp_node_priority(const struct vrrp_node *n)
{
    return n ? n->sm.priority : 0;
}
