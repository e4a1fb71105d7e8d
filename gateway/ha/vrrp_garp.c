/*
 * The timing of a VRRP instance's gratuitous ARPs / NAs: see vrrp_garp.h.
 */
#include "gateway/ha/vrrp_garp.h"

#include "common/log.h"

#include <stdio.h>
#include <string.h>

static void burst_fire(struct loop *loop, struct loop_timer *t);
static void behalf_fire(struct loop *loop, struct loop_timer *t);

void vrrp_garp_init(struct vrrp_garp *g, struct loop *loop, struct vip_announce *out,
                    const struct config_vrrp *cfg, const char *instance)
{
    memset(g, 0, sizeof *g);
    g->loop = loop;
    g->out = out;
    g->cfg = cfg;
    g->instance = instance;
    g->timer = (struct loop_timer){.fn = burst_fire, .arg = g};
    g->behalf_timer = (struct loop_timer){.fn = behalf_fire, .arg = g};
}

static void start_phase(struct vrrp_garp *g, enum vrrp_garp_phase phase, unsigned count, uint64_t delay)
{
    g->phase = phase;
    g->left = count;
    loop_timer_set(g->loop, &g->timer, delay);
}

/* One frame per VIP; then the rest of the burst, the next burst, or the
 * refresh. */
static void burst_fire(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct vrrp_garp *g = t->arg;
    const struct config_vrrp *c = g->cfg;
    g->sent += vip_announce_addrs(g->out, c->vips, c->n_vips, g->out->mac);
    if (g->left > 0)
        g->left--;
    if (g->left > 0)
        loop_timer_set(g->loop, &g->timer, c->garp_interval_ms);
    else if (g->phase == VRRP_GARP_FIRST && c->garp_repeat_delay_ms && c->garp_count)
        start_phase(g, VRRP_GARP_SECOND, c->garp_count, c->garp_repeat_delay_ms);
    else if (c->garp_refresh_ms)
        start_phase(g, VRRP_GARP_REFRESH, 1, c->garp_refresh_ms);
}

void vrrp_garp_master(struct vrrp_garp *g)
{
    const struct config_vrrp *c = g->cfg;
    if (c->garp_count > 0) {
        g->phase = VRRP_GARP_FIRST;
        g->left = c->garp_count;
        burst_fire(g->loop, &g->timer); /* the first at once: it is what moves the clients */
    } else if (c->garp_refresh_ms) {    /* garp_count = 0: only the periodic refresh */
        start_phase(g, VRRP_GARP_REFRESH, 1, c->garp_refresh_ms);
    }
}

void vrrp_garp_stop(struct vrrp_garp *g)
{
    loop_timer_clear(g->loop, &g->timer);
    g->left = 0;
}

static void behalf_end(struct vrrp_garp *g)
{
    loop_timer_clear(g->loop, &g->behalf_timer);
    vip_announce_quiet(g->out);
    g->behalf_left = 0;
}

void vrrp_garp_stop_all(struct vrrp_garp *g)
{
    vrrp_garp_stop(g);
    behalf_end(g);
}

static size_t addr_len(const struct vrrp_garp *g)
{
    return g->out->family == AF_INET6 ? 16 : 4;
}

static void log_winner_mac(const struct vrrp_garp *g)
{
    char mac[3 * VIP_MAC_LEN];
    const uint8_t *m = g->winner_mac;
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    log_event(LOG_LEVEL_INFO, "vrrp_announce_master", "mac", mac, "why",
              "clients may still send to us: pointing them at the new master",
              g->instance[0] ? "instance" : LOG_END, g->instance, LOG_END);
}

/* Learning the winner's MAC (asked again every 10th poll, given up after a
 * second), then the burst naming it. */
static void behalf_fire(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct vrrp_garp *g = t->arg;
    if (g->behalf_left == 0) {
        if (vip_announce_heard(g->out, g->winner, g->winner_mac) == 0) {
            if (++g->tries >= VRRP_GARP_RESOLVE_TRIES) {
                behalf_end(g);
                return;
            }
            if (g->tries % 10 == 0)
                vip_announce_ask(g->out, g->self, g->winner);
            loop_timer_set(g->loop, t, VRRP_GARP_RESOLVE_POLL_MS);
            return;
        }
        vip_announce_quiet(g->out);
        g->behalf_left = g->cfg->garp_count;
        log_winner_mac(g);
    }
    g->sent_behalf += vip_announce_addrs(g->out, g->cfg->vips, g->cfg->n_vips, g->winner_mac);
    if (--g->behalf_left > 0)
        loop_timer_set(g->loop, t, g->cfg->garp_interval_ms);
}

void vrrp_garp_behalf(struct vrrp_garp *g, const uint8_t *self, const uint8_t *winner)
{
    if (!g->cfg->garp_on_behalf || g->cfg->garp_count == 0)
        return;
    memcpy(g->self, self, addr_len(g));
    memcpy(g->winner, winner, addr_len(g));
    g->tries = 0;
    g->behalf_left = 0;
    if (vip_announce_ask(g->out, g->self, g->winner) == 0)
        loop_timer_set(g->loop, &g->behalf_timer, VRRP_GARP_RESOLVE_POLL_MS);
}
