/*
 * gateway/admin/: the operator's window into a node. The folder owns the
 * admin HTTP listener (default 127.0.0.1:9100, [admin] listen) inside the
 * unprivileged relay process, on one worker's event loop, serving
 *   /metrics  Prometheus text format                  metrics_render.h
 *   /healthz  200 "ok ..." when the node can serve,   admin_health.h
 *             503 with the reason
 *   /status   one small self-contained HTML page,     admin_page.h
 *             refreshed every few seconds
 * and what those pages show: the relay's own counters (metrics.h), the
 * snapshot that reads every live counter at once (admin_collect.c) and the
 * VRRP and firewall state the privileged parent reports over IPC, whose
 * types are in status.h so ipc.h and metrics.h need not include this file.
 *
 * Calls between its files go one way, none back up (A -> B: A calls B):
 *   admin.c (socket I/O)  -> admin_http.c (parse, route, respond)
 *   admin_http.c          -> metrics_render.c, admin_page.c, admin_health.c
 *   admin_page.c          -> admin_health.c, admin_chart.c (SVG)
 *   all of the above      -> admin_collect.c (snapshot, parent status,
 *                            role names, the charts' ring)
 *                         -> admin_history.c (the ring, pure), metrics.c
 * The renderers are pure functions of a struct metrics_snapshot, so tests
 * feed them hand-made ones.
 *
 * This header is the folder's API for the rest of the gateway: the relay
 * starts and stops the listener and passes on what the parent reports.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_H

#include "gateway/admin/status.h"
#include "gateway/config/config.h"
#include "gateway/event/loop.h"

#include <stdbool.h>
#include <stdint.h>

struct metrics_snapshot;

/* ---- state reported by the parent (admin_collect.c) ------------------------ */

/* "unknown", "disabled", "init", "backup", "master", "fault". */
const char *admin_vrrp_role_name(enum admin_vrrp_role role);
/* Inverse of the above (and of vrrp_node_state_name()); UNKNOWN if no match. */
enum admin_vrrp_role admin_vrrp_role_from_name(const char *name);

/* The parent's record of a role change (admin_history.c): appended to h,
 * the oldest dropped once ADMIN_VRRP_HISTORY are kept. Pure. */
void admin_vrrp_history_add(struct admin_vrrp_history *h, uint64_t t_s, enum admin_vrrp_role from,
                            enum admin_vrrp_role to);

/* Thread-safe; the relay calls them from its IPC handler. VRRP: one status
 * per instance, n of them (more than ADMIN_VRRP_MAX_INSTANCES are cut). */
void admin_set_vrrp_status(const struct admin_vrrp_status *st, unsigned n);
void admin_set_firewall_status(const struct admin_firewall_status *st);
void admin_set_keyholder_status(const struct admin_keyholder_status *st);
/* The peer channel's state and what the pair shares (from the parent). */
void admin_set_peer_status(const struct admin_peer_status *st);
const char *admin_peer_state_name(enum admin_peer_state s); /* "disabled", "down", "connecting", "up" */
void admin_set_bgp_status(const struct admin_bgp_status *st);
/* SIGTERM drain: /healthz answers 503 "draining" so balancers look away. */
void admin_set_draining(bool draining);

/* ---- snapshot of the live state (admin_collect.c) -------------------------- */

/* The certificates of this relay's TLS server (NULL: none), read once
 * after it is built: they are fixed for the relay's life. */
struct tls_server;
void admin_set_certificates(const struct tls_server *srv);

/* One sample of the /status charts (admin_history.h) from the live
 * counters at now_s: the relay's control loop calls it at start and every
 * ADMIN_HISTORY_STEP_S. Thread-safe. */
void admin_history_tick(uint64_t now_s);

/* Reads every live counter (metrics, tls_stats, backends, what the parent
 * reported, the history) into `out`. `backends` is the relay's struct backend_set, or
 * NULL. An admin_collect_fn (admin_collect.c). */
void admin_collect(struct metrics_snapshot *out, void *backends);
/* What the snapshot says about the process itself, read once by
 * admin_start(): the start time, the host name (seccomp forbids uname
 * later) and, when no VRRP instance is enabled, the role "disabled" (else
 * the parent reports each instance). */
void admin_collect_init(const struct config *cfg);

/* ---- the listener (admin.c) ------------------------------------------------- */

#define ADMIN_MAX_CLIENTS 16   /* concurrent admin connections */
#define ADMIN_REQUEST_MAX 4096 /* request head bytes */
#define ADMIN_TIMEOUT_MS  5000 /* whole exchange, per connection */
#define ADMIN_REFRESH_S   3    /* /status reloads itself this often */

/* Where the pages get their numbers. The relay passes admin_collect with
 * its backend set; tests pass their own. */
typedef void (*admin_collect_fn)(struct metrics_snapshot *out, void *arg);

/* Binds cfg->admin.listen (nothing if !cfg->admin.enabled) and serves on
 * `loop`. The socket is opened here, so call it before seccomp forbids
 * socket/bind/listen. Returns 0, or -1 with a message on stderr. */
int admin_start(struct loop *loop, const struct config *cfg, admin_collect_fn collect, void *arg);
/* The bound port (for tests that listen on port 0); 0 if not started. */
unsigned admin_port(void);
/* Drain (reload or SIGTERM): stop accepting admin connections so the next
 * relay answers them; requests already read are still answered. */
void admin_unlisten(void);
/* Closes the listener and every admin connection. Safe if not started,
 * from a loop callback (reload) or after loop_run() returned. */
void admin_stop(void);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_H */
