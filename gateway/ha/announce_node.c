/*
 * The [bgp] announcement on the parent's loop: see announce_node.h.
 */
#include "gateway/ha/announce_node.h"

#include "common/log.h"
#include "gateway/ha/announce_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct announce {
    struct loop *loop;
    struct config_bgp cfg; /* a copy: the addresses announce_route points at */
    struct announce_inputs in;
    struct announce_route route;
    enum announce_block state;
    bool announced;        /* the kernel holds our routes */
    bool failing;          /* the last request failed: logged once, retried */
    uint64_t withdrawn_ms; /* when the route last went (0: never announced) */
    uint64_t transitions;
    struct loop_timer check;
};

/* "198.18.10.10 2001:db8::10", for the log. */
static void list_addrs(const struct config_bgp *cfg, char *out, size_t len)
{
    size_t at = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < cfg->n_addrs && at < len; i++) {
        char a[PARSE_ADDR_STR_MAX];
        int n =
            snprintf(out + at, len - at, "%s%s", i ? " " : "", format_ip(&cfg->addrs[i].addr, a, sizeof a));
        at += n > 0 ? (size_t)n : 0;
    }
}

static void log_change(struct announce *a)
{
    char addrs[CONFIG_MAX_SERVICE_ADDRS * PARSE_ADDR_STR_MAX], table[16], up[16];
    list_addrs(&a->cfg, addrs, sizeof addrs);
    snprintf(table, sizeof table, "%u", a->cfg.table);
    snprintf(up, sizeof up, "%u", a->in.backends_up);
    if (a->state == ANNOUNCE_OK)
        log_event(LOG_LEVEL_INFO, "bgp_announce", "addresses", addrs, "table", table, "backends_up", up,
                  LOG_END);
    else
        log_event(LOG_LEVEL_WARN, "bgp_withdraw", "addresses", addrs, "table", table, "reason",
                  announce_block_name(a->state), "backends_up", up, LOG_END);
}

/* Makes the kernel agree with the decision; logs a failure once, and what
 * had to be put back. */
static void apply(struct announce *a)
{
    char err[256];
    bool want = a->state == ANNOUNCE_OK, changed = false, repaired = false;
    int rc = announce_route_repair(&a->route, &repaired, err, sizeof err);
    if (rc == 0)
        rc = announce_route_set(&a->route, want, &changed, err, sizeof err);
    if (rc < 0) {
        if (!a->failing)
            log_event(LOG_LEVEL_ERROR, "bgp_route_failed", "reason", err, "effect", "retried every second",
                      LOG_END);
        a->failing = true;
        return;
    }
    if (a->failing || repaired || (changed && want == a->announced))
        log_event(LOG_LEVEL_WARN, "bgp_route_repaired", "device", a->route.device, "announced",
                  want ? "yes" : "no", LOG_END);
    a->failing = false;
    if (a->announced && !want)
        a->withdrawn_ms = loop_now_ms(a->loop) ? loop_now_ms(a->loop) : 1;
    a->announced = want;
}

static void decide(struct announce *a)
{
    enum announce_block next = announce_decide(&a->cfg, &a->in);
    if (next == a->state && !a->failing)
        return;
    if (next != a->state) {
        bool was_ok = a->state == ANNOUNCE_OK, now_ok = next == ANNOUNCE_OK;
        a->state = next;
        if (was_ok != now_ok) {
            a->transitions++;
            log_change(a);
        }
    }
    apply(a);
}

static void on_check(struct loop *loop, struct loop_timer *t)
{
    struct announce *a = t->arg;
    apply(a);
    loop_timer_set(loop, t, ANNOUNCE_CHECK_MS);
}

struct announce *announce_start(struct loop *loop, const struct config *cfg, bool *failed)
{
    char err[256];
    *failed = false;
    if (!cfg->bgp.enabled)
        return NULL;
    struct announce *a = calloc(1, sizeof *a);
    if (!a) {
        log_event(LOG_LEVEL_ERROR, "bgp_error", "reason", "out of memory", LOG_END);
        *failed = true;
        return NULL;
    }
    a->loop = loop;
    a->cfg = cfg->bgp;
    a->state = announce_decide(&a->cfg, &a->in);
    if (announce_route_open(&a->route, &a->cfg, err, sizeof err) < 0) {
        log_event(LOG_LEVEL_ERROR, "bgp_error", "reason", err, LOG_END);
        free(a);
        *failed = true;
        return NULL;
    }
    char addrs[CONFIG_MAX_SERVICE_ADDRS * PARSE_ADDR_STR_MAX], table[16];
    list_addrs(&a->cfg, addrs, sizeof addrs);
    snprintf(table, sizeof table, "%u", a->cfg.table);
    log_event(LOG_LEVEL_INFO, "bgp_ready", "addresses", addrs, "interface", a->cfg.interface, "table", table,
              "device", a->route.device, "reason", announce_block_name(a->state), LOG_END);
    a->check = (struct loop_timer){.fn = on_check, .arg = a};
    loop_timer_set(loop, &a->check, ANNOUNCE_CHECK_MS);
    return a;
}

void announce_backends_up(struct announce *a, unsigned n_up)
{
    if (!a)
        return;
    a->in.backends_known = true;
    a->in.backends_up = n_up;
    decide(a);
}

void announce_relay_serving(struct announce *a, bool serving)
{
    if (!a)
        return;
    a->in.relay_serving = serving;
    decide(a);
}

void announce_firewall_applied(struct announce *a, bool applied)
{
    if (!a)
        return;
    a->in.firewall_applied = applied;
    decide(a);
}

uint64_t announce_drain(struct announce *a)
{
    if (!a)
        return 0;
    bool was = a->announced;
    a->in.draining = true;
    decide(a);
    return announce_drain_delay_ms(&a->cfg, was, a->withdrawn_ms, loop_now_ms(a->loop));
}

void announce_undrain(struct announce *a)
{
    if (!a)
        return;
    a->in.draining = false;
    decide(a);
}

bool announce_announced(const struct announce *a)
{
    return a && a->announced;
}

enum announce_block announce_state(const struct announce *a)
{
    return a ? a->state : ANNOUNCE_DRAINING;
}

uint64_t announce_transitions(const struct announce *a)
{
    return a ? a->transitions : 0;
}

void announce_free(struct announce *a)
{
    if (!a)
        return;
    loop_timer_clear(a->loop, &a->check);
    announce_route_close(&a->route);
    free(a);
}
