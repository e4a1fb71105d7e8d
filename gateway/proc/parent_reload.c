/*
 * parent_reload: SIGHUP. The new config is loaded and checked
 * (certificates too, parent_check_tls); if anything is wrong, every
 * problem is logged and nothing changes. Otherwise a new key holder reads
 * the keys (a bad one abandons the reload), then the policy and the ticket
 * keys are applied, [bgp] withdraws and waits drain_wait when the
 * listeners change, a new relay starts and, once it is ready (parent_ipc.c),
 * the reload commits: the new relay serves, the old one drains. A reload
 * that fails on the way is abandoned: logged, and the running relay serves
 * on with the running config. See parent_internal.h.
 */
#include "gateway/proc/parent_internal.h"
#include "gateway/proc/notify.h"
#include "tls/tls.h"

#include <stdio.h>
#include <string.h>

void parent_reload_abandon(struct parent *p, const char *why)
{
    log_event(LOG_LEVEL_ERROR, "reload_failed", "reason", why, "config", p->next_cfg->path, "effect",
              "nothing changed", LOG_END);
    listener_close_all(p->next_fds, listener_count(p->next_cfg));
    config_free(p->next_cfg);
    p->next_cfg = NULL;
    if (!p->stopping && !p->stop_why)
        announce_undrain(p->announce); /* [bgp]: back, if it withdrew for this reload */
    notify_send(NOTIFY_READY, "serving; the last reload failed, see the log");
}

/* The new relay is ready: it becomes current, the old one drains. */
void parent_reload_commit(struct parent *p)
{
    struct relay_proc *old = p->current;
    unsigned n_old = listener_count(p->cfg);
    p->current = p->pending;
    p->pending = NULL;
    if (old)
        parent_retire(p, old, RELAY_DRAINING, IPC_RETIRE);
    listener_close_all(p->fds, n_old); /* the new set holds what is kept */
    memcpy(p->fds, p->next_fds, sizeof p->fds);
    parent_peer_reload(&p->peer, p->next_cfg); /* before the old config goes */
    config_free(p->cfg);
    p->cfg = p->next_cfg;
    p->next_cfg = NULL;
    p->heartbeat_timeout_ms = parent_heartbeat_timeout(p->cfg);
    parent_log_pid(LOG_LEVEL_INFO, "reload_done", p->current->pid, "config", p->cfg->path);
    if (!p->stop_why)
        announce_undrain(p->announce); /* [bgp]: back, if it withdrew for this reload */
    notify_send(NOTIFY_READY, "serving");
}

int parent_check_tls(const struct config *cfg, bool keys, char *err, size_t err_len)
{
    if (parent_peer_check(cfg, err, err_len) < 0)
        return -1;
    if (cfg->gateway.n_https == 0)
        return 0;
    if (tls_global_init() < 0) {
        snprintf(err, err_len, "TLS initialisation failed");
        return -1;
    }
    if (!keys)
        return tls_server_check(&cfg->tls.server, err, err_len);
    struct tls_server *srv = tls_server_new_local(&cfg->tls.server, err, err_len);
    if (!srv)
        return -1;
    tls_server_unref(srv);
    return 0;
}

/* The new relay of a reload, its keys loaded and the rest applied. */
void parent_reload_spawn(struct parent *p)
{
    struct relay_proc *rp = p->pending;
    if (!rp || !p->next_cfg || rp->state != RELAY_KEYS) /* abandoned meanwhile */
        return;
    if (parent_exec_relay(p, rp, p->next_cfg, p->next_fds) < 0) {
        p->pending = NULL;
        parent_drop(p, rp);
        parent_reload_abandon(p, "could not start a relay");
    }
}

/* [bgp]: the route goes first; the stop, or the relay of a reload that
 * changes the listeners, comes drain_wait later, once the router sends new
 * flows to the other gateways. Established flows stay (the router keeps
 * them where they are) and are served or drained as usual. */
void parent_drain_wait_start(struct parent *p, const char *what, uint64_t wait)
{
    char ms[24];
    snprintf(ms, sizeof ms, "%llums", (unsigned long long)wait);
    log_event(LOG_LEVEL_INFO, "bgp_drain_wait", "before", what, "wait", ms, LOG_END);
    loop_timer_set(p->loop, &p->drain_wait, wait);
}

void parent_reload(struct parent *p)
{
    if (p->pending || p->next_cfg || p->stopping || p->stop_why) {
        log_event(LOG_LEVEL_WARN, "reload_ignored", "reason",
                  p->stopping || p->stop_why ? "shutting down" : "a reload is already in progress", LOG_END);
        return;
    }
    log_event(LOG_LEVEL_INFO, "reload_started", "config", p->cfg->path, LOG_END);
    notify_send(NOTIFY_RELOADING, "reloading");
    static struct config_errors errors;
    struct config *next = config_load(p->cfg->path, &errors);
    if (!next) {
        for (unsigned i = 0; i < errors.count && i < CONFIG_MAX_ERRORS; i++)
            log_event(LOG_LEVEL_ERROR, "config_error", "error", errors.msg[i], LOG_END);
        log_event(LOG_LEVEL_ERROR, "reload_failed", "reason", "invalid configuration", "config", p->cfg->path,
                  "effect", "nothing changed", LOG_END);
        notify_send(NOTIFY_READY, "serving; the last reload failed, see the log");
        return;
    }
    p->next_cfg = next;
    memset(p->next_fds, -1, sizeof p->next_fds);
    char err[512];
    if (parent_check_tls(next, false, err, sizeof err) < 0 ||
        listener_open_all(next, p->next_fds, p->cfg, p->fds, err, sizeof err) < 0) {
        parent_reload_abandon(p, err);
        return;
    }
    if (strcmp(next->gateway.user, p->cfg->gateway.user) != 0 ||
        strcmp(next->gateway.keyholder_user, p->cfg->gateway.keyholder_user) != 0) {
        parent_reload_abandon(p,
                              "[gateway] user and keyholder_user cannot change on reload: restart rampart");
        return;
    }
    /* the new key holder reads and checks the keys first: a bad key
     * abandons the reload before the policy changes */
    p->pending = parent_spawn(p, next);
    if (!p->pending)
        parent_reload_abandon(p, "could not start a key holder");
    else if (!p->pending->kh)
        parent_reload_continue(p);
}

/* A relay handle whose relay never ran is dropped, and the reload with it. */
void parent_reload_drop(struct parent *p, const char *why)
{
    struct relay_proc *rp = p->pending;
    p->pending = NULL;
    if (rp)
        parent_drop(p, rp);
    if (!p->stop_why) /* the wait is a shutdown's now: it stays */
        loop_timer_clear(p->loop, &p->drain_wait);
    parent_reload_abandon(p, why);
}

/* The rest of a reload, once the new keys are loaded (or none are
 * needed): the policy, the tickets, then (after [bgp]'s drain_wait if the
 * listeners change) the new relay. */
void parent_reload_continue(struct parent *p)
{
    char err[512];
    const struct config *next = p->next_cfg;
    if (parent_firewall_apply(&p->firewall, next, p->cfg, err, sizeof err) < 0) {
        parent_reload_drop(p, err);
        return;
    }
    announce_firewall_applied(p->announce, p->firewall.status.managed);
    if (next->n_vrrp != p->cfg->n_vrrp || memcmp(next->vrrp, p->cfg->vrrp, sizeof next->vrrp) != 0)
        log_event(LOG_LEVEL_WARN, "reload_partial", "reason",
                  "[vrrp] changes take effect at the next restart", LOG_END);
    if (memcmp(&next->peer, &p->cfg->peer, sizeof next->peer) != 0)
        log_event(LOG_LEVEL_WARN, "reload_partial", "reason",
                  "[peer] changes take effect at the next restart", LOG_END);
    if (parent_tickets_reload(&p->tickets, next, err, sizeof err) < 0) {
        parent_reload_drop(p, err);
        return;
    }
    if (memcmp(&next->bgp, &p->cfg->bgp, sizeof next->bgp) != 0)
        log_event(LOG_LEVEL_WARN, "reload_partial", "reason", "[bgp] changes take effect at the next restart",
                  LOG_END);
    uint64_t wait = listener_set_changes(p->cfg, next) ? announce_drain(p->announce) : 0;
    if (wait > 0)
        parent_drain_wait_start(p, "reload", wait);
    else
        parent_reload_spawn(p);
}
