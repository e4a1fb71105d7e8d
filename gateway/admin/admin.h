/*
 * admin: the operator's window into a node. An HTTP listener (default
 * 127.0.0.1:9100, [admin] listen) inside the unprivileged relay process,
 * on one worker's event loop, serving
 *   /metrics  Prometheus text format (metrics_render.c)
 *   /healthz  200 "ok ..." when the node can serve, 503 with the reason
 *   /status   one small self-contained HTML page, refreshed every few seconds
 *
 * The relay owns most of what is shown (its counters, tls_stats, backends).
 * VRRP and firewall state live in the privileged parent: the relay passes
 * them on with the setters below whenever the parent reports them over IPC.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"

#include <stdbool.h>
#include <stdint.h>

struct metrics_snapshot;

/* ---- state reported by the parent ------------------------------------------ */

enum admin_vrrp_role {
    ADMIN_VRRP_UNKNOWN,  /* nothing heard from the parent yet */
    ADMIN_VRRP_DISABLED, /* [vrrp] enabled = no */
    ADMIN_VRRP_INIT,
    ADMIN_VRRP_BACKUP,
    ADMIN_VRRP_MASTER,
    ADMIN_VRRP_FAULT,
    ADMIN_VRRP_ROLE_COUNT
};
/* "unknown", "disabled", "init", "backup", "master", "fault". */
const char *admin_vrrp_role_name(enum admin_vrrp_role role);
/* Inverse of the above (and of vrrp_node_state_name()); UNKNOWN if no match. */
enum admin_vrrp_role admin_vrrp_role_from_name(const char *name);

#define ADMIN_LABEL_MAX       32 /* label values of counters by reason */
#define ADMIN_VRRP_DROP_KINDS 16 /* advert drop reasons shown */

/* One counter of a family split by a label: {reason="ttl"} 3. */
struct admin_counter {
    char label[ADMIN_LABEL_MAX];
    uint64_t value;
};

struct admin_vrrp_status {
    enum admin_vrrp_role role;
    unsigned vrid;
    unsigned priority;    /* effective, after penalties */
    uint64_t transitions; /* state changes since start */
    uint64_t adverts_sent;
    uint64_t adverts_received;
    /* invalid adverts by reason (vrrp_drop_name(): "ttl", "checksum" ...) */
    struct admin_counter adverts_dropped[ADMIN_VRRP_DROP_KINDS];
    unsigned n_adverts_dropped;
};

#define ADMIN_FW_MAX_COUNTERS 16 /* named nft drop counters shown */
#define ADMIN_FW_NAME_MAX     32
#define ADMIN_FW_MAX_REFUSALS 12 /* kinds of refused autoblock requests shown */

struct admin_fw_counter {
    char name[ADMIN_FW_NAME_MAX]; /* nft counter name, e.g. "drop_input" */
    uint64_t packets;
    uint64_t bytes;
};

struct admin_firewall_status {
    bool managed;     /* [firewall] policy set */
    bool applied;     /* the last apply succeeded */
    uint64_t applies; /* successful applies (start + reloads) */
    uint64_t apply_failures;
    struct admin_fw_counter drops[ADMIN_FW_MAX_COUNTERS];
    unsigned n_drops;
    unsigned blocked_addresses; /* elements in the blocklist set now */
    uint64_t autoblocks;        /* addresses added by the abuse detector */
    /* autoblock requests the parent refused, by reason ("peer", "admin",
     * "budget", ...: gateway/proc/parent_firewall.h) */
    struct admin_counter autoblock_refused[ADMIN_FW_MAX_REFUSALS];
    unsigned n_autoblock_refused;
};

/* Thread-safe; the relay calls them from its IPC handler. */
void admin_set_vrrp_status(const struct admin_vrrp_status *st);
void admin_set_firewall_status(const struct admin_firewall_status *st);
/* SIGTERM drain: /healthz answers 503 "draining" so balancers look away. */
void admin_set_draining(bool draining);

/* ---- snapshot of the live state ------------------------------------------ */

/* Reads every live counter (metrics, tls_stats, backends, what the parent
 * reported) into `out`. `backends` is the relay's struct backend_set, or
 * NULL. An admin_collect_fn (admin_collect.c). */
void admin_collect(struct metrics_snapshot *out, void *backends);

/* ---- the listener ---------------------------------------------------------- */

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
/* Unix time admin_start() ran: the relay's start, for the metrics. */
uint64_t admin_start_time(void);
/* The host name read by admin_start() (seccomp forbids uname later). */
const char *admin_node_name(void);
/* Drain (reload or SIGTERM): stop accepting admin connections so the next
 * relay answers them; requests already read are still answered. */
void admin_unlisten(void);
/* Closes the listener and every admin connection. Safe if not started,
 * from a loop callback (reload) or after loop_run() returned. */
void admin_stop(void);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_H */
