/*
 * parent: the parent process's start-up, the callbacks it wires into its
 * modules (ticket keys, the peer gateway, the first relay's wait for the
 * pair's keys), its signals and its shutdown. See parent.h; the parts are
 * listed in parent_internal.h.
 */
#include "gateway/proc/parent_internal.h"
#include "gateway/proc/notify.h"
#include "tls/tls.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* ---- session-ticket keys ------------------------------------------------------- */

static void send_tickets(struct parent *p, struct relay_proc *rp)
{
    if (!rp || rp->state == RELAY_KILLED)
        return;
    struct tls_ticket_keys keys;
    parent_tickets_get(&p->tickets, &keys);
    ipc_send(rp->io.fd, IPC_TICKET_KEYS, &keys, sizeof keys);
    explicit_bzero(&keys, sizeof keys);
}

/* The keys changed (a rotation, the peer's keys merged, a refresh):
 * every relay and the peer get them. Relays starting later get them at
 * spawn. */
static void tickets_changed(void *arg)
{
    struct parent *p = arg;
    send_tickets(p, p->current);
    send_tickets(p, p->pending);
    parent_peer_keys_changed(&p->peer);
}

/* ---- the peer gateway ------------------------------------------------------------ */

static unsigned peer_heard(void *arg, struct ip_addr *out, unsigned max)
{
    struct parent *p = arg;
    return vrrp_set_peers_heard(p->vrrp, out, max);
}

/* A starting parent's first relay waits for the peer's keys (so it issues
 * and accepts the pair's tickets from its first handshake), at most
 * [peer] key_wait. */
static void keys_ready(struct parent *p, const char *how)
{
    if (!p->waiting_keys)
        return;
    p->waiting_keys = false;
    loop_timer_clear(p->loop, &p->key_wait);
    log_event(LOG_LEVEL_INFO, "ticket_keys_ready", "from", how, LOG_END);
    parent_start_current(p);
}

static void peer_synced(void *arg)
{
    keys_ready(arg, "peer");
}

static void on_key_wait(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    keys_ready(t->arg, "own (no peer within key_wait)");
}

/* ---- signals, start, stop ------------------------------------------------------------- */

static void parent_stop(struct parent *p, const char *why)
{
    if (p->stopping && p->exit_code == 0)
        return;
    p->stopping = true;
    log_event(LOG_LEVEL_INFO, "shutdown", "reason", why, LOG_END);
    notify_send(NOTIFY_STOPPING, "draining");
    /* hand the VIP to the peer now (priority 0, VIPs removed): draining
     * relays take no new client, the peer can */
    vrrp_set_leave(p->vrrp);
    guard_keeper_stop(&p->guard); /* VRRP has left: nothing for it to do */
    (void)announce_drain(p->announce);
    loop_timer_clear(p->loop, &p->restart);
    loop_timer_clear(p->loop, &p->stand_down);
    loop_timer_clear(p->loop, &p->drain_wait);
    loop_timer_clear(p->loop, &p->key_wait);
    p->waiting_keys = false;
    if (p->pending) {
        parent_retire(p, p->pending, RELAY_DRAINING, IPC_DRAIN);
        p->pending = NULL;
    }
    if (p->next_cfg) { /* a reload starting, or waiting for its drain_wait */
        listener_close_all(p->next_fds, listener_count(p->next_cfg));
        config_free(p->next_cfg);
        p->next_cfg = NULL;
    }
    if (p->current) {
        parent_retire(p, p->current, RELAY_DRAINING, IPC_DRAIN);
        p->current = NULL;
    }
    /* the relays close their copies as they start draining: with ours
     * closed too, the ports close now and new clients are refused at once
     * (and go to the VRRP peer) instead of waiting in a queue nobody reads */
    listener_close_all(p->fds, listener_count(p->cfg));
    if (!parent_any_relay(p))
        loop_stop(p->loop);
}

static void on_drain_wait(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct parent *p = t->arg;
    if (p->stop_why)
        parent_stop(p, p->stop_why);
    else
        parent_reload_spawn(p);
}

/* SIGTERM, SIGINT: [bgp] withdraws and waits drain_wait before the stop;
 * a second signal stops at once. */
static void parent_shutdown(struct parent *p, const char *why)
{
    uint64_t wait = p->stop_why || p->stopping ? 0 : announce_drain(p->announce);
    if (wait == 0) {
        parent_stop(p, why);
        return;
    }
    p->stop_why = why;
    notify_send(NOTIFY_STOPPING, "route withdrawn; draining after drain_wait");
    parent_drain_wait_start(p, "shutdown", wait);
}

static void parent_on_signal(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct parent *p = io->arg;
    struct signalfd_siginfo si;
    while (read(io->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        switch (si.ssi_signo) {
        case SIGCHLD: parent_reap_children(p); break;
        case SIGHUP: parent_reload(p); break;
        case SIGTERM: parent_shutdown(p, "SIGTERM"); break;
        case SIGINT: parent_shutdown(p, "SIGINT"); break;
        }
    }
}

static int parent_signals(struct parent *p)
{
    static const int signals[] = {SIGCHLD, SIGHUP, SIGTERM, SIGINT};
    p->sig_io = (struct loop_io){.fn = parent_on_signal, .arg = p};
    return loop_watch_signals(p->loop, &p->sig_io, signals, sizeof signals / sizeof signals[0]);
}

/* What the parent gave up, once, for the operator and the tests. */
static void parent_log_sandbox(void)
{
    char bits[16];
    snprintf(bits, sizeof bits, "0x%x", sandbox_securebits());
    log_event(LOG_LEVEL_INFO, "sandbox", "securebits", bits, "no_new_privs", "1", "seccomp", "filter",
              "capabilities",
              "cap_net_admin,cap_net_raw (cap_kill,cap_setuid,cap_setgid,cap_setpcap raised per call)",
              LOG_END);
}

/* ---- [tls] acme: the ACME process's callbacks (parent_acme.h) ------------------------ */

/* The answers the ACME process published, and its status, to the relays:
 * the one serving and the one a reload is starting. */
static void acme_tokens_changed(void *arg)
{
    struct parent *p = arg;
    if (p->current && p->current->io.fd >= 0 && p->current->state == RELAY_SERVING)
        parent_acme_report(&p->acme, p->current->io.fd);
    if (p->pending && p->pending->io.fd >= 0 && p->pending->state == RELAY_SERVING)
        parent_acme_report(&p->acme, p->pending->io.fd);
}

static void acme_installed(void *arg)
{
    ((struct parent *)arg)->acme_reload = true; /* the watchdog reloads when idle */
}

/* Everything that needs more than NET_ADMIN + NET_RAW happens before. */
static int parent_setup(struct parent *p, char *err, size_t err_len)
{
    if (!(p->loop = loop_new()) || parent_signals(p) < 0)
        return snprintf(err, err_len, "event loop: %s", strerror(errno)), -1;
    if (parent_acme_prepare(p->cfg, geteuid() == 0, err, err_len) < 0 ||
        parent_check_tls(p->cfg, false, err, err_len) < 0)
        return -1;
    /* a second rampart for these ports, VRRP instance or PID file stops
     * here, before its firewall policy or anything else takes effect */
    if (instance_acquire(&p->instance, p->cfg, err, err_len) < 0)
        return -1;
    /* the reviewed policy is in force before any port opens */
    if (parent_firewall_apply(&p->firewall, p->cfg, NULL, err, err_len) < 0)
        return -1;
    if (listener_open_all(p->cfg, p->fds, NULL, NULL, err, err_len) < 0)
        return -1;
    instance_started(&p->instance);
    bool root = geteuid() == 0;
    if (!root)
        log_event(LOG_LEVEL_WARN, "not_root", "effect", "no privilege separation: the relay keeps this user",
                  LOG_END);
    else if (sandbox_parent_enter(p->cfg->gateway.user, &p->relay_user, err, err_len) < 0)
        return -1;
    if (parent_keys_init(&p->keys, p->loop, p->cfg->gateway.keyholder_user, root, err, err_len) < 0 ||
        parent_acme_init(&p->acme, p->loop, p->cfg, root && p->cfg->tls.acme.enabled, err, err_len) < 0)
        return -1;
    bool failed = false;
    p->vrrp = vrrp_set_start(p->loop, p->cfg, &failed);
    if (failed)
        return snprintf(err, err_len, "VRRP could not start"), -1;
    if (p->vrrp && guard_keeper_start(&p->guard, p->loop, err, err_len) < 0)
        return -1;
    p->announce = announce_start(p->loop, p->cfg, &failed);
    if (failed)
        return snprintf(err, err_len, "[bgp] announcement could not start"), -1;
    announce_firewall_applied(p->announce, p->firewall.status.managed && p->firewall.status.applied);
    /* its thread inherits the credentials just set */
    if (parent_firewall_start(&p->firewall, err, err_len) < 0)
        return -1;
    if (parent_tickets_init(&p->tickets, p->loop, p->cfg, tickets_changed, p, err, err_len) < 0)
        return -1;
    p->peer.heard = peer_heard;
    p->peer.synced = peer_synced;
    p->peer.arg = p;
    p->acme.arg = p;
    parent_acme_pair_init(p);
    if (p->cfg->peer.enabled &&
        parent_peer_start(&p->peer, p->loop, p->cfg, &p->firewall, &p->tickets, err, err_len) < 0)
        return -1;
    /* the ACME user is pinned only when ACME runs ([tls] acme cannot be
     * turned on by a reload: parent_acme_reload says so) */
    const struct sandbox_child children[] = {p->relay_user, p->keys.user, p->acme.user};
    if (root && sandbox_parent_seccomp(children, p->acme.user.drop ? 3 : 2, err, err_len) < 0)
        return -1;
    if (root)
        parent_log_sandbox();
    return 0;
}

int parent_run(struct config *cfg)
{
    static struct parent parent;
    struct parent *p = &parent;
    *p = (struct parent){.cfg = cfg,
                         .heartbeat_timeout_ms = parent_heartbeat_timeout(cfg),
                         .instance = INSTANCE_INIT,
                         .relay_ipc = parent_on_ipc};
    notify_init();
    memset(p->fds, -1, sizeof p->fds);
    tls_fork_execs(true); /* every child is exec'd: see tls.h */
    parent_firewall_init(&p->firewall);
    log_setup(cfg->gateway.log_format, 2, LOG_LEVEL_INFO, "parent");
    char err[512];
    int rc = 1;
    if (parent_setup(p, err, sizeof err) < 0) {
        log_event(LOG_LEVEL_ERROR, "startup_failed", "reason", err, LOG_END);
        goto out;
    }
    parent_supervise_start(p); /* the key holders' ready, the watchdog */
    p->drain_wait = (struct loop_timer){.fn = on_drain_wait, .arg = p};
    p->key_wait = (struct loop_timer){.fn = on_key_wait, .arg = p};
    if (p->tickets.mode == PARENT_TICKETS_PAIR && p->cfg->peer.key_wait_ms > 0) {
        p->waiting_keys = true;
        loop_timer_set(p->loop, &p->key_wait, p->cfg->peer.key_wait_ms);
    }
    parent_start_current(p);
    p->acme.tokens_changed = acme_tokens_changed;
    p->acme.installed = acme_installed;
    p->acme.arg = p;
    parent_acme_start(&p->acme);
    loop_run(p->loop);
    rc = p->exit_code;
out:
    guard_keeper_stop(&p->guard); /* when start-up failed (the VIPs were never taken) */
    parent_acme_stop(&p->acme);
    parent_peer_stop(&p->peer);
    parent_firewall_free(&p->firewall);
    vrrp_set_free(p->vrrp);
    announce_free(p->announce);
    listener_close_all(p->fds, listener_count(p->cfg));
    instance_release(&p->instance);
    notify_close();
    if (p->sig_io.fd > 0)
        close(p->sig_io.fd);
    parent_tickets_free(&p->tickets); /* clears its timer: before the loop goes */
    loop_free(p->loop);
    config_free(p->cfg);
    log_event(LOG_LEVEL_INFO, "exit", "status", rc ? "1" : "0", LOG_END);
    return rc;
}
