/*
 * parent_internal: the parent process's state (struct parent) and what the
 * files of the parent share. Internal to them; parent.h is the entry point
 * gateway/main.c uses. The calls go one way, each file using only those
 * listed above it:
 *
 *   parent_relay.c      relay handles: spawn one (its key holder first),
 *                       exec its relay, retire it (drain or kill), free it
 *   parent_status.c     what the relay's admin pages show about the
 *                       parent: VRRP, firewall, peer, [bgp] (IPC_VRRP...)
 *   parent_reload.c     SIGHUP: load and check, the new key holder, the
 *                       policy, tickets, [bgp]'s drain_wait, the new relay,
 *                       then commit or abandon; parent_check_tls
 *   parent_ipc.c        what relays send: READY, HEARTBEAT, AUTOBLOCK, FATAL
 *   parent_supervise.c  the serving relay's life: start, restart (backoff),
 *                       VRRP's stand-down grace, child exits, the watchdog
 *   parent_acme_pair.c  [tls] acme on a pair: who orders (the VRRP master
 *                       of acme_instance: ACME_ROLE), and the ACME state
 *                       that crosses the peer channel both ways
 *   parent.c            start-up, the callbacks it wires (tickets, peer,
 *                       key wait), signals, shutdown
 *
 * Upward calls go through callbacks parent.c sets: the relays' IPC reader
 * (relay_ipc), the key holders' `ready` (parent_supervise_start), the
 * timers. The modules struct parent embeds know nothing of it and are
 * driven from these files: parent_keys.h (key holders), parent_tickets.h,
 * parent_peer.h, parent_firewall.h (and its thread, parent_blocker.h),
 * guard.h, vrrp_set.h, announce_node.h.
 *
 * One thread: everything here runs on the parent's loop. There is one
 * struct parent (parent_run's static). Who frees: a relay handle,
 * parent_drop (its key holder stops with it), once its relay is reaped or
 * never ran; the running config, parent_reload_commit (replaced) or
 * parent_run (at exit); next_cfg, parent_reload_commit (it becomes cfg),
 * parent_reload_abandon or parent_stop.
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_INTERNAL_H
#define RAMPART_GATEWAY_PROC_PARENT_INTERNAL_H

#include "gateway/proc/parent_acme.h"
#include "gateway/admin/admin.h"
#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/announce_node.h"
#include "gateway/ha/vrrp_set.h"
#include "gateway/proc/guard.h"
#include "gateway/proc/instance.h"
#include "gateway/proc/ipc.h"
#include "gateway/proc/listener.h"
#include "gateway/proc/parent.h"
#include "gateway/proc/parent_firewall.h"
#include "gateway/proc/parent_keys.h"
#include "gateway/proc/parent_peer.h"
#include "gateway/proc/parent_tickets.h"
#include "gateway/proc/relay_proc.h"
#include "gateway/proc/sandbox.h"
#include "common/log.h"
#include "common/ratelimit.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* [tls] acme on a pair (parent_acme_pair.c). What this node's ACME
 * process shared (sent again at every session start) and what the peer's
 * did (given again to an ACME process that restarts). The keys in here
 * are those the parent writes to the certificates' key files anyway, and
 * orders' keys, which cross only inside the peer channel's TLS 1.3. */
struct parent_acme_pair {
    bool lead, role_sent;
    uint64_t lead_after_ms; /* until then (start + [peer] key_wait), lead only once the peer synced */
    bool have_account, have_peer_account;
    struct acme_account_msg account, peer_account;
    struct acme_order_msg orders[ACME_CERTS_MAX], peer_orders[ACME_CERTS_MAX]; /* url "": none */
    struct acme_cert_msg certs[ACME_CERTS_MAX]; /* served now (issued here or by the peer) */
    int64_t cert_not_after[ACME_CERTS_MAX];     /* 0: none (a placeholder serves) */
    uint64_t certs_taken, orders_taken;
    /* the peer's answers of order i reach our relays in token set
     * served_gen[i]: then the peer hears that they do (ACME_SERVED) */
    bool served_due[ACME_CERTS_MAX];
    uint32_t served_gen[ACME_CERTS_MAX];
};

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
    loop_io_fn relay_ipc;            /* every relay's channel reader: parent_on_ipc */
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
    struct parent_acme acme; /* [tls] acme = yes: the ACME process */
    bool acme_reload;        /* a certificate was installed: reload when idle */
    struct parent_acme_pair acme_pair;
};

/* ---- parent_acme_pair.c ---- */

/* Wires parent_acme and parent_peer to it (before either starts). */
void parent_acme_pair_init(struct parent *p);
/* Every watchdog tick: the ACME process's role, sent when it changes. */
void parent_acme_pair_tick(struct parent *p);

/* ---- parent_relay.c ---- */

/* A relay or a key holder not yet reaped: the parent waits for all of
 * them at exit. */
bool parent_any_relay(const struct parent *p);
void parent_log_pid(enum log_level level, const char *event, pid_t pid, const char *key, const char *value);
uint64_t parent_heartbeat_timeout(const struct config *cfg);
/* Forks and execs the relay of rp (its keys, if any, are loaded). 0, or
 * -1 (logged). */
int parent_exec_relay(struct parent *p, struct relay_proc *rp, const struct config *cfg, const int *fds);
/* A relay handle for cfg; with HTTPS its key holder starts first. NULL
 * (logged) when nothing could start. */
struct relay_proc *parent_spawn(struct parent *p, const struct config *cfg);
/* Frees a relay handle; its key holder stops. */
void parent_drop(struct parent *p, struct relay_proc *rp);
/* Moves rp to the `old` list (DRAINING: sent `how`; KILLED: SIGKILL). */
void parent_retire(struct parent *p, struct relay_proc *rp, enum relay_proc_state state, enum ipc_type how);

/* ---- parent_status.c ---- */

/* Every PARENT_STATUS_EVERY_MS, at once on a VRRP role change, and to a
 * relay that just became ready (force). */
void parent_report_status(struct parent *p, bool force);

/* ---- parent_reload.c ---- */

void parent_reload(struct parent *p); /* SIGHUP */
/* The rest of a reload once the new key holder has the keys. */
void parent_reload_continue(struct parent *p);
/* The new relay is ready: it becomes current, the old one drains. */
void parent_reload_commit(struct parent *p);
/* The new relay of a reload, its keys loaded and the rest applied. */
void parent_reload_spawn(struct parent *p);
/* The reload ends with nothing changed (why logged). */
void parent_reload_abandon(struct parent *p, const char *why);
/* ...and its relay handle, which never ran, is dropped too. */
void parent_reload_drop(struct parent *p, const char *why);
/* [bgp]: the route is withdrawn; `what` (a stop or a reload's relay)
 * comes `wait` ms later, from the drain_wait timer. */
void parent_drain_wait_start(struct parent *p, const char *what, uint64_t wait);

/* ---- parent_ipc.c ---- */

/* A relay's channel is readable (rp->io.fn, through relay_ipc). */
void parent_on_ipc(struct loop *loop, struct loop_io *io, unsigned events);

/* ---- parent_supervise.c ---- */

/* The key holders' `ready`, the restart, stand-down and watchdog timers;
 * the watchdog starts ticking. */
void parent_supervise_start(struct parent *p);
/* A relay for p->cfg, unless one is there, we stop, or wait for keys. */
void parent_start_current(struct parent *p);
/* SIGCHLD: every exited child, relay, key holder or guard. */
void parent_reap_children(struct parent *p);

#endif /* RAMPART_GATEWAY_PROC_PARENT_INTERNAL_H */
