/*
 * parent: supervision of the relay, reload and shutdown. See parent.h.
 */
#include "gateway/proc/parent.h"
#include "gateway/admin/admin.h"
#include "gateway/proc/instance.h"
#include "gateway/proc/guard.h"
#include "gateway/proc/listener.h"
#include "gateway/proc/notify.h"
#include "gateway/proc/parent_firewall.h"
#include "gateway/proc/parent_keys.h"
#include "gateway/proc/parent_peer.h"
#include "gateway/proc/parent_tickets.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "gateway/event/loop.h"
#include "gateway/proc/relay_proc.h"
#include "gateway/proc/relay.h"
#include "gateway/proc/sandbox.h"
#include "gateway/proc/supervise.h"
#include "gateway/ha/announce_node.h"
#include "gateway/ha/vrrp_set.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct parent {
    struct loop *loop;
    struct config *cfg;         /* running config */
    int fds[LISTENER_MAX_FDS];  /* its listeners, kept open for every relay */
    struct relay_proc *current; /* serving (or starting) with cfg */
    struct relay_proc *pending; /* reload: starting with next_cfg */
    struct config *next_cfg;
    int next_fds[LISTENER_MAX_FDS];
    struct relay_proc *old;    /* draining or killed, until reaped */
    struct vrrp_set *vrrp;     /* the VRRP instances, NULL without any */
    struct announce *announce; /* [bgp]: the route BIRD exports, NULL without */
    const char *stop_why;      /* the signal a drain_wait delays the stop for */
    bool relay_lost;           /* VRRP stood down; tell it when a relay is back */
    uint64_t lost_since_ms;    /* no relay serves since: the grace counts from here */
    bool backends_known;       /* a relay's checks have settled once (VRRP was told) */
    unsigned backends_up;      /* last value given to VRRP */
    uint64_t down_mask;        /* backends of cfg the current relay has down */
    unsigned fast_failures;
    uint64_t heartbeat_timeout_ms;
    bool stopping, ever_ready;
    /* what the relay's admin pages show about the parent's side */
    uint64_t vrrp_transitions_sent, status_sent_ms;
    /* each instance's role as last seen (every tick, relay or not) and its
     * /status timeline, kept across relays */
    struct {
        enum admin_vrrp_role role;
        struct admin_vrrp_history history;
    } vrrp_seen[CONFIG_MAX_VRRP_INSTANCES];
    struct parent_firewall firewall;
    struct instance instance;        /* PID file, VRRP instance: one rampart per set of ports */
    struct sandbox_child relay_user; /* who relays run as (sandbox.h) */
    struct parent_keys keys;         /* the relays' key holders */
    struct ratelimit ipc_log;        /* ipc_unexpected lines */
    int exit_code;
    struct loop_io sig_io;
    struct loop_timer watchdog, restart, key_wait, stand_down;
    struct loop_timer drain_wait; /* [bgp]: withdrawn, the router moves flows, then we drain */
    struct guard_keeper guard;    /* stands VRRP down should this process die without leaving */
    /* session-ticket keys: made here (or shared with the peer gateway, or
     * read from files) so every relay, after a reload or a restart, and
     * the peer's, issue and accept the same tickets */
    struct parent_tickets tickets;
    struct parent_peer peer; /* [peer]: the channel to the other gateway */
    bool waiting_keys;       /* the first relay waits for the peer's keys */
};

static void parent_on_ipc(struct loop *loop, struct loop_io *io, unsigned events);
static void reload_continue(struct parent *p);
static void pair_keys_ready(struct parent *p, struct relay_proc *rp);

/* ...or a key holder: the parent waits for all of them at exit. */
static bool any_relay(const struct parent *p)
{
    return p->current || p->pending || p->old || parent_keys_any(&p->keys);
}

static void log_pid(enum log_level level, const char *event, pid_t pid, const char *key, const char *value)
{
    char p[16];
    snprintf(p, sizeof p, "%d", (int)pid);
    log_event(level, event, "pid", p, key, value, LOG_END);
}

static uint64_t heartbeat_timeout(const struct config *cfg)
{
    return supervise_heartbeat_timeout_ms(cfg, RELAY_HEARTBEAT_MS);
}

/* ---- starting relays ------------------------------------------------------------- */

/* Backends of cfg that the running relay (with p->cfg) has down, so they
 * get no traffic before a check says otherwise. */
static uint64_t known_down(const struct parent *p, const struct config *cfg)
{
    return supervise_map_down(p->cfg, p->down_mask, cfg);
}

/* Forks and execs the relay of rp (its keys, if any, are loaded). 0, or
 * -1 (logged). */
static int parent_exec_relay(struct parent *p, struct relay_proc *rp, const struct config *cfg,
                             const int *fds)
{
    char err[256];
    struct tls_ticket_keys keys;
    parent_tickets_get(&p->tickets, &keys);
    int rc = relay_proc_start(rp, cfg, fds, known_down(p, cfg), &keys, &p->relay_user, loop_now_ms(p->loop),
                              err, sizeof err);
    explicit_bzero(&keys, sizeof keys);
    if (rc < 0) {
        log_event(LOG_LEVEL_ERROR, "relay_start_failed", "reason", err, LOG_END);
        return -1;
    }
    if (rp->state != RELAY_KILLED)
        loop_watch(p->loop, &rp->io, LOOP_READ);
    log_pid(LOG_LEVEL_INFO, "relay_started", rp->pid, "config", cfg->path);
    return 0;
}

/* A relay handle for cfg. With HTTPS its key holder starts first and the
 * relay once the keys are loaded (pair_keys_ready); without, the caller
 * goes on at once. NULL (logged) when nothing could start. */
static struct relay_proc *parent_spawn(struct parent *p, const struct config *cfg)
{
    struct relay_proc *rp = relay_proc_new(cfg, loop_now_ms(p->loop));
    if (!rp) {
        log_event(LOG_LEVEL_ERROR, "relay_start_failed", "reason", "out of memory", LOG_END);
        return NULL;
    }
    rp->io.fn = parent_on_ipc;
    rp->io.arg = p;
    if (cfg->gateway.n_https > 0 && parent_keys_start(&p->keys, rp, cfg) < 0) {
        relay_proc_free(p->loop, rp);
        return NULL;
    }
    return rp;
}

/* Frees a relay handle; its key holder stops. */
static void parent_drop(struct parent *p, struct relay_proc *rp)
{
    parent_keys_release(&p->keys, rp);
    relay_proc_free(p->loop, rp);
}

static void start_current(struct parent *p)
{
    if (p->stopping || p->current || p->waiting_keys)
        return;
    p->current = parent_spawn(p, p->cfg);
    if (!p->current) /* fork failed: try again shortly */
        loop_timer_set(p->loop, &p->restart, SUPERVISE_MAX_BACKOFF_MS);
    else if (!p->current->kh)
        pair_keys_ready(p, p->current);
}

static void on_restart_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    start_current(t->arg);
}

/* Retires a relay: it stays on the `old` list until reaped. DRAINING
 * relays get `how` (IPC_DRAIN on shutdown, IPC_RETIRE when replaced). */
static void retire(struct parent *p, struct relay_proc *rp, enum relay_proc_state state, enum ipc_type how)
{
    if (rp->state == RELAY_KEYS) { /* no relay yet: nothing to wait for */
        parent_drop(p, rp);
        return;
    }
    rp->state = state;
    if (state == RELAY_DRAINING) {
        ipc_send(rp->io.fd, how, NULL, 0);
        rp->drain_deadline_ms = loop_now_ms(p->loop) + rp->drain_timeout_ms + PARENT_KILL_GRACE_MS;
    } else {
        sandbox_signal_relay(rp->pid, SIGKILL);
    }
    loop_unwatch(p->loop, &rp->io);
    rp->next = p->old;
    p->old = rp;
}

/* No relay serves: VRRP stands down (priority 0, the peer takes the VIPs). */
static void stand_down(struct parent *p)
{
    loop_timer_clear(p->loop, &p->stand_down);
    if (p->relay_lost)
        return;
    vrrp_set_relay_lost(p->vrrp);
    announce_relay_serving(p->announce, false);
    p->relay_lost = true;
}

static void on_stand_down_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct parent *p = t->arg;
    log_event(LOG_LEVEL_WARN, "relay_grace_over", "effect", "no relay ready: VRRP hands the VIPs over",
              LOG_END);
    stand_down(p);
}

/* The listening sockets are ours, so clients queue while a replacement
 * starts: VRRP keeps its priority for the grace supervise.c allows (from
 * the first loss), and stands down at once when the relays crash-loop. */
static void relay_gone(struct parent *p)
{
    uint64_t now = loop_now_ms(p->loop);
    if (p->relay_lost || (!p->vrrp && !p->announce))
        return;
    if (!loop_timer_pending(&p->stand_down))
        p->lost_since_ms = now;
    uint64_t at = supervise_stand_down_at(p->cfg, p->fast_failures, p->lost_since_ms);
    if (at <= now) {
        stand_down(p);
        return;
    }
    char wait[24];
    snprintf(wait, sizeof wait, "%llums", (unsigned long long)(at - now));
    log_event(LOG_LEVEL_INFO, "relay_grace", "wait", wait, "effect",
              "VRRP keeps its priority while a relay starts", LOG_END);
    loop_timer_set(p->loop, &p->stand_down, at - now);
}

/* The serving relay is gone (exited, killed, or silent): a new one starts
 * at once, or after a backoff if they keep dying; VRRP hands over only if
 * none is ready in time (relay_gone). */
static void current_lost(struct parent *p, pid_t pid, uint64_t started_ms, const char *why)
{
    p->current = NULL;
    if (pid)
        log_pid(LOG_LEVEL_ERROR, "relay_lost", pid, "reason", why);
    else /* it never ran: its key holder failed */
        log_event(LOG_LEVEL_ERROR, "relay_start_failed", "reason", why, LOG_END);
    bool fast = loop_now_ms(p->loop) - started_ms < PARENT_FAST_FAIL_MS;
    p->fast_failures = fast ? p->fast_failures + 1 : 0;
    relay_gone(p);
    if (!p->ever_ready) {
        /* the very first relay could not start: report and give up */
        log_event(LOG_LEVEL_ERROR, "startup_failed", "reason", why, LOG_END);
        p->exit_code = 1;
        p->stopping = true;
        if (!any_relay(p))
            loop_stop(p->loop);
        return;
    }
    if (p->stopping)
        return;
    uint64_t delay = supervise_restart_delay_ms(p->fast_failures);
    if (delay == 0) {
        start_current(p);
        return;
    }
    char d[24];
    snprintf(d, sizeof d, "%llums", (unsigned long long)delay);
    log_event(LOG_LEVEL_WARN, "relay_restart_delayed", "delay", d, "reason", "relay keeps failing", LOG_END);
    loop_timer_set(p->loop, &p->restart, delay);
}

/* ---- reload ------------------------------------------------------------------------ */

static void reload_abandon(struct parent *p, const char *why)
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
static void reload_commit(struct parent *p)
{
    struct relay_proc *old = p->current;
    unsigned n_old = listener_count(p->cfg);
    p->current = p->pending;
    p->pending = NULL;
    if (old)
        retire(p, old, RELAY_DRAINING, IPC_RETIRE);
    listener_close_all(p->fds, n_old); /* the new set holds what is kept */
    memcpy(p->fds, p->next_fds, sizeof p->fds);
    parent_peer_reload(&p->peer, p->next_cfg); /* before the old config goes */
    config_free(p->cfg);
    p->cfg = p->next_cfg;
    p->next_cfg = NULL;
    p->heartbeat_timeout_ms = heartbeat_timeout(p->cfg);
    log_pid(LOG_LEVEL_INFO, "reload_done", p->current->pid, "config", p->cfg->path);
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
static void reload_spawn(struct parent *p)
{
    struct relay_proc *rp = p->pending;
    if (!rp || !p->next_cfg || rp->state != RELAY_KEYS) /* abandoned meanwhile */
        return;
    if (parent_exec_relay(p, rp, p->next_cfg, p->next_fds) < 0) {
        p->pending = NULL;
        parent_drop(p, rp);
        reload_abandon(p, "could not start a relay");
    }
}

/* [bgp]: the route goes first; the stop, or the relay of a reload that
 * changes the listeners, comes drain_wait later, once the router sends new
 * flows to the other gateways. Established flows stay (the router keeps
 * them where they are) and are served or drained as usual. */
static void drain_wait_start(struct parent *p, const char *what, uint64_t wait)
{
    char ms[24];
    snprintf(ms, sizeof ms, "%llums", (unsigned long long)wait);
    log_event(LOG_LEVEL_INFO, "bgp_drain_wait", "before", what, "wait", ms, LOG_END);
    loop_timer_set(p->loop, &p->drain_wait, wait);
}

static void parent_reload(struct parent *p)
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
        reload_abandon(p, err);
        return;
    }
    if (strcmp(next->gateway.user, p->cfg->gateway.user) != 0 ||
        strcmp(next->gateway.keyholder_user, p->cfg->gateway.keyholder_user) != 0) {
        reload_abandon(p, "[gateway] user and keyholder_user cannot change on reload: restart rampart");
        return;
    }
    /* the new key holder reads and checks the keys first: a bad key
     * abandons the reload before the policy changes */
    p->pending = parent_spawn(p, next);
    if (!p->pending)
        reload_abandon(p, "could not start a key holder");
    else if (!p->pending->kh)
        reload_continue(p);
}

/* A relay handle whose relay never ran is dropped, and the reload with it. */
static void reload_drop(struct parent *p, const char *why)
{
    struct relay_proc *rp = p->pending;
    p->pending = NULL;
    if (rp)
        parent_drop(p, rp);
    if (!p->stop_why) /* the wait is a shutdown's now: it stays */
        loop_timer_clear(p->loop, &p->drain_wait);
    reload_abandon(p, why);
}

/* The rest of a reload, once the new keys are loaded (or none are
 * needed): the policy, the tickets, then (after [bgp]'s drain_wait if the
 * listeners change) the new relay. */
static void reload_continue(struct parent *p)
{
    char err[512];
    const struct config *next = p->next_cfg;
    if (parent_firewall_apply(&p->firewall, next, p->cfg, err, sizeof err) < 0) {
        reload_drop(p, err);
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
        reload_drop(p, err);
        return;
    }
    if (memcmp(&next->bgp, &p->cfg->bgp, sizeof next->bgp) != 0)
        log_event(LOG_LEVEL_WARN, "reload_partial", "reason", "[bgp] changes take effect at the next restart",
                  LOG_END);
    uint64_t wait = listener_set_changes(p->cfg, next) ? announce_drain(p->announce) : 0;
    if (wait > 0)
        drain_wait_start(p, "reload", wait);
    else
        reload_spawn(p);
}

/* A relay that never ran (its key holder failed, or its fork did): as a
 * lost relay when it was to serve, an abandoned reload when it was new. */
static void pair_failed(struct parent *p, struct relay_proc *rp, const char *why)
{
    if (rp == p->pending) {
        reload_drop(p, why);
        return;
    }
    uint64_t started = rp->started_ms;
    bool current = rp == p->current;
    if (current)
        p->current = NULL;
    parent_drop(p, rp);
    if (current)
        current_lost(p, 0, started, why);
}

/* rp's keys are loaded (or it needs none): its relay starts, after the
 * rest of a reload's changes. */
static void pair_keys_ready(struct parent *p, struct relay_proc *rp)
{
    if (rp == p->pending)
        reload_continue(p);
    else if (rp == p->current && parent_exec_relay(p, rp, p->cfg, p->fds) < 0)
        pair_failed(p, rp, "the relay could not be started");
}

static void keyholder_ready(void *arg, struct relay_proc *rp)
{
    pair_keys_ready(arg, rp);
}

/* ---- what the relay shows about the parent ------------------------------------------ */

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
static void report_status(struct parent *p, bool force)
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

/* ---- messages from relays --------------------------------------------------------- */

/* VRRP hears a relay's count of backends up only once it is a finding:
 * before its first checks, "all up" is just the start value, and a node
 * whose backends are all dead would claim Master for a moment. Until the
 * first settled report VRRP keeps the no-backend penalty it started with;
 * after a reload or restart it keeps the last settled count. */
static void backends_report(struct parent *p, struct relay_proc *rp)
{
    if (!rp->status.settled || (p->backends_known && rp->status.backends_up == p->backends_up))
        return;
    p->backends_known = true;
    p->backends_up = rp->status.backends_up;
    vrrp_set_backends_up(p->vrrp, p->backends_up);
    announce_backends_up(p->announce, p->backends_up);
    char up[32];
    snprintf(up, sizeof up, "%u/%u", rp->status.backends_up, rp->status.backends_total);
    log_pid(LOG_LEVEL_INFO, "backends_up_changed", rp->pid, "backends_up", up);
}

static void on_ready(struct parent *p, struct relay_proc *rp)
{
    rp->state = RELAY_SERVING;
    if (rp == p->pending)
        reload_commit(p);
    if (rp != p->current)
        return;
    if (!p->ever_ready)
        notify_send(NOTIFY_READY, "serving");
    p->ever_ready = true;
    p->down_mask = rp->status.down_mask;       /* in the (maybe new) cfg's order */
    loop_timer_clear(p->loop, &p->stand_down); /* in time: no handover */
    if (p->relay_lost) {
        vrrp_set_relay_back(p->vrrp);
        p->relay_lost = false;
    }
    announce_relay_serving(p->announce, true);
    backends_report(p, rp);
    report_status(p, true);
    char up[32];
    snprintf(up, sizeof up, "%u/%u", rp->status.backends_up, rp->status.backends_total);
    log_pid(LOG_LEVEL_INFO, "relay_ready", rp->pid, "backends_up", up);
}

/* The relay's abuse detector names an offender: parent_firewall.c decides
 * (the relay is not trusted: peers, administrators, backends, this node
 * and non-global addresses are refused) and its thread blocks. */
static void parent_autoblock(struct parent *p, struct relay_proc *rp, const void *payload)
{
    struct ipc_autoblock m;
    struct ip_addr addr;
    const char *why = NULL;
    memcpy(&m, payload, sizeof m);
    if (ipc_autoblock_to_addr(&m, &addr, &why) < 0) {
        parent_firewall_bad_request(&p->firewall, (int)rp->pid, why, loop_now_ms(p->loop));
        return;
    }
    static struct ip_addr heard[VRRP_SET_HEARD_MAX];
    unsigned n_heard = vrrp_set_peers_heard(p->vrrp, heard, VRRP_SET_HEARD_MAX);
    if (parent_firewall_autoblock(&p->firewall, p->cfg, &addr, heard, n_heard, loop_now_ms(p->loop)))
        parent_peer_local_block(&p->peer, &addr, p->cfg->firewall.autoblock_timeout_ms);
}

/* A message a relay should not send: logged at most RATELIMIT_LOG_BURST
 * times a second (a relay gone wrong must not flood the log). */
static void parent_unexpected(struct parent *p, struct relay_proc *rp, enum ipc_type type)
{
    uint64_t skipped;
    if (!ratelimit_allow(&p->ipc_log, loop_now_ms(p->loop), RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS,
                         &skipped))
        return;
    char pid[16], n[24];
    snprintf(pid, sizeof pid, "%d", (int)rp->pid);
    snprintf(n, sizeof n, "%llu", (unsigned long long)skipped);
    log_event(LOG_LEVEL_WARN, "ipc_unexpected", "pid", pid, "type", ipc_type_name(type),
              skipped ? "suppressed" : LOG_END, n, LOG_END);
}

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
    start_current(p);
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

static void parent_on_message(struct parent *p, struct relay_proc *rp, struct ipc_msg *msg)
{
    switch (msg->type) {
    case IPC_READY:
    case IPC_HEARTBEAT:
        memcpy(&rp->status, msg->payload, sizeof rp->status);
        rp->last_beat_ms = loop_now_ms(p->loop);
        if (rp == p->current)
            p->down_mask = rp->status.down_mask;
        if (msg->type == IPC_READY && rp->state == RELAY_STARTING)
            on_ready(p, rp);
        else if (rp == p->current)
            backends_report(p, rp);
        break;
    case IPC_AUTOBLOCK: parent_autoblock(p, rp, msg->payload); break;
    case IPC_FATAL: {
        char why[IPC_TEXT_MAX + 1];
        snprintf(why, sizeof why, "%.*s", (int)msg->len, (const char *)msg->payload);
        log_pid(LOG_LEVEL_ERROR, "relay_failed", rp->pid, "reason", why);
        break; /* it exits; SIGCHLD does the rest */
    }
    default: parent_unexpected(p, rp, msg->type);
    }
}

struct parent_ipc_ctx {
    struct parent *p;
    struct relay_proc *rp;
};

static void parent_on_ipc_message(void *arg, struct ipc_msg *msg)
{
    struct parent_ipc_ctx *ctx = arg;
    parent_on_message(ctx->p, ctx->rp, msg);
}

static void parent_on_ipc(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct parent_ipc_ctx ctx = {io->arg,
                                 (struct relay_proc *)((char *)io - offsetof(struct relay_proc, io))};
    const char *why;
    if (ipc_receive(io->fd, parent_on_ipc_message, &ctx, &why) == 0)
        return;
    /* closed or garbage: stop listening; it is reaped on exit, or the
     * watchdog kills it when its heartbeats stop */
    if (why)
        log_pid(LOG_LEVEL_ERROR, "ipc_error", ctx.rp->pid, "reason", why);
    loop_unwatch(loop, io);
}

/* ---- child exits and the watchdog ---------------------------------------------------- */

static void reaped(struct parent *p, pid_t pid, int wstatus)
{
    char how[96], keys_why[IPC_TEXT_MAX + 64];
    struct relay_proc *owner;
    relay_proc_describe_exit(wstatus, how, sizeof how);
    if (guard_keeper_reaped(&p->guard, pid, how))
        return;
    if (parent_keys_reaped(&p->keys, pid, wstatus, &owner, keys_why, sizeof keys_why)) {
        /* a running relay's is replaced (parent_keys_retry) */
        if (owner && owner->state == RELAY_KEYS)
            pair_failed(p, owner, keys_why);
        return;
    }
    if (p->current && p->current->pid == pid) {
        uint64_t started = p->current->started_ms;
        parent_drop(p, p->current);
        p->current = NULL;
        current_lost(p, pid, started, how);
        return;
    }
    if (p->pending && p->pending->pid == pid) {
        parent_drop(p, p->pending);
        p->pending = NULL;
        char why[160];
        snprintf(why, sizeof why, "the new relay %s before it was ready", how);
        reload_abandon(p, why);
        return;
    }
    for (struct relay_proc **pp = &p->old; *pp; pp = &(*pp)->next) {
        struct relay_proc *rp = *pp;
        if (rp->pid != pid)
            continue;
        bool clean = rp->state == RELAY_DRAINING && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
        log_pid(clean ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "relay_exited", pid, "how", how);
        *pp = rp->next;
        parent_drop(p, rp);
        return;
    }
}

static void reap_children(struct parent *p)
{
    int wstatus;
    pid_t pid;
    while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
        reaped(p, pid, wstatus);
    if (p->stopping && !any_relay(p))
        loop_stop(p->loop);
}

/* A relay that does not start in time, or stops proving it is alive. */
static void check_relay(struct parent *p, struct relay_proc *rp, uint64_t now)
{
    char why[96];
    if (rp->state == RELAY_KEYS) /* its key holder's deadline: parent_keys_tick */
        return;
    if (rp->state == RELAY_STARTING && now - rp->started_ms > PARENT_START_TIMEOUT_MS)
        snprintf(why, sizeof why, "not ready %d ms after start", PARENT_START_TIMEOUT_MS);
    else if (rp->state == RELAY_SERVING && now - rp->last_beat_ms > p->heartbeat_timeout_ms)
        snprintf(why, sizeof why, "no heartbeat for %llu ms", (unsigned long long)(now - rp->last_beat_ms));
    else
        return;
    log_pid(LOG_LEVEL_ERROR, "relay_unresponsive", rp->pid, "reason", why);
    if (rp == p->current) {
        p->current = NULL;
        retire(p, rp, RELAY_KILLED, IPC_DRAIN);
        current_lost(p, rp->pid, rp->started_ms, why);
    } else { /* pending: reaping it abandons the reload */
        sandbox_signal_relay(rp->pid, SIGKILL);
        rp->state = RELAY_KILLED;
    }
}

static void on_watchdog(struct loop *loop, struct loop_timer *t)
{
    struct parent *p = t->arg;
    uint64_t now = loop_now_ms(loop);
    if (p->current)
        check_relay(p, p->current, now);
    if (p->pending)
        check_relay(p, p->pending, now);
    for (struct relay_proc *rp = p->old; rp; rp = rp->next) {
        if (rp->state == RELAY_DRAINING && now > rp->drain_deadline_ms) {
            log_pid(LOG_LEVEL_WARN, "relay_drain_overdue", rp->pid, "action", "SIGKILL");
            sandbox_signal_relay(rp->pid, SIGKILL);
            rp->state = RELAY_KILLED;
        }
    }
    parent_keys_tick(&p->keys, now);
    parent_keys_retry(&p->keys, p->current, p->cfg, now);
    if (p->pending)
        parent_keys_retry(&p->keys, p->pending, p->next_cfg, now);
    report_status(p, false);
    static struct vrrp_node_desc inst[GUARD_INSTANCES_MAX];
    guard_keeper_update(&p->guard, inst, vrrp_set_describe(p->vrrp, inst, GUARD_INSTANCES_MAX));
    loop_timer_set(loop, t, 50);
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
        retire(p, p->pending, RELAY_DRAINING, IPC_DRAIN);
        p->pending = NULL;
    }
    if (p->next_cfg) { /* a reload starting, or waiting for its drain_wait */
        listener_close_all(p->next_fds, listener_count(p->next_cfg));
        config_free(p->next_cfg);
        p->next_cfg = NULL;
    }
    if (p->current) {
        retire(p, p->current, RELAY_DRAINING, IPC_DRAIN);
        p->current = NULL;
    }
    /* the relays close their copies as they start draining: with ours
     * closed too, the ports close now and new clients are refused at once
     * (and go to the VRRP peer) instead of waiting in a queue nobody reads */
    listener_close_all(p->fds, listener_count(p->cfg));
    if (!any_relay(p))
        loop_stop(p->loop);
}

static void on_drain_wait(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct parent *p = t->arg;
    if (p->stop_why)
        parent_stop(p, p->stop_why);
    else
        reload_spawn(p);
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
    drain_wait_start(p, "shutdown", wait);
}

static void parent_on_signal(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct parent *p = io->arg;
    struct signalfd_siginfo si;
    while (read(io->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        switch (si.ssi_signo) {
        case SIGCHLD: reap_children(p); break;
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

/* Everything that needs more than NET_ADMIN + NET_RAW happens before. */
static int parent_setup(struct parent *p, char *err, size_t err_len)
{
    if (!(p->loop = loop_new()) || parent_signals(p) < 0)
        return snprintf(err, err_len, "event loop: %s", strerror(errno)), -1;
    if (parent_check_tls(p->cfg, false, err, err_len) < 0)
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
    if (parent_keys_init(&p->keys, p->loop, p->cfg->gateway.keyholder_user, root, err, err_len) < 0)
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
    if (p->cfg->peer.enabled &&
        parent_peer_start(&p->peer, p->loop, p->cfg, &p->firewall, &p->tickets, err, err_len) < 0)
        return -1;
    const struct sandbox_child children[] = {p->relay_user, p->keys.user};
    if (root && sandbox_parent_seccomp(children, 2, err, err_len) < 0)
        return -1;
    if (root)
        parent_log_sandbox();
    return 0;
}

int parent_run(struct config *cfg)
{
    static struct parent parent;
    struct parent *p = &parent;
    *p = (struct parent){
        .cfg = cfg, .heartbeat_timeout_ms = heartbeat_timeout(cfg), .instance = INSTANCE_INIT};
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
    p->keys.ready = keyholder_ready;
    p->keys.arg = p;
    p->restart = (struct loop_timer){.fn = on_restart_timer, .arg = p};
    p->watchdog = (struct loop_timer){.fn = on_watchdog, .arg = p};
    p->stand_down = (struct loop_timer){.fn = on_stand_down_timer, .arg = p};
    p->drain_wait = (struct loop_timer){.fn = on_drain_wait, .arg = p};
    loop_timer_set(p->loop, &p->watchdog, 50);
    p->key_wait = (struct loop_timer){.fn = on_key_wait, .arg = p};
    if (p->tickets.mode == PARENT_TICKETS_PAIR && p->cfg->peer.key_wait_ms > 0) {
        p->waiting_keys = true;
        loop_timer_set(p->loop, &p->key_wait, p->cfg->peer.key_wait_ms);
    }
    start_current(p);
    loop_run(p->loop);
    rc = p->exit_code;
out:
    guard_keeper_stop(&p->guard); /* when start-up failed (the VIPs were never taken) */
    parent_peer_stop(&p->peer);
    parent_firewall_free(&p->firewall);
    vrrp_set_free(p->vrrp);
    announce_free(p->announce);
    listener_close_all(p->fds, listener_count(p->cfg));
    instance_release(&p->instance);
    notify_close();
    if (p->sig_io.fd > 0)
        close(p->sig_io.fd);
    loop_free(p->loop);
    config_free(p->cfg);
    parent_tickets_free(&p->tickets);
    log_event(LOG_LEVEL_INFO, "exit", "status", rc ? "1" : "0", LOG_END);
    return rc;
}
