/*
 * status: the types of what the privileged parent reports to the relay for
 * the admin pages (each VRRP instance's role and counters, its firewall
 * state, the [bgp] announcement, its key holder's counts). Types
 * and sizes only, no functions: ipc.h carries these structs over the
 * socketpair and metrics.h puts them in the snapshot, and neither needs the
 * listener API of admin.h. admin.h declares the functions that set and name
 * them (as HAProxy splits connection-t.h from connection.h).
 *
 * Both processes are built from the same tree, but a struct that crossed
 * the socketpair is still checked where it lands (admin_set_*_status).
 */
#ifndef RAMPART_GATEWAY_ADMIN_STATUS_H
#define RAMPART_GATEWAY_ADMIN_STATUS_H

#include <stdbool.h>
#include <stdint.h>

enum admin_vrrp_role {
    ADMIN_VRRP_UNKNOWN,  /* nothing heard from the parent yet */
    ADMIN_VRRP_DISABLED, /* [vrrp] enabled = no */
    ADMIN_VRRP_INIT,
    ADMIN_VRRP_BACKUP,
    ADMIN_VRRP_MASTER,
    ADMIN_VRRP_FAULT,
    ADMIN_VRRP_ROLE_COUNT
};

#define ADMIN_LABEL_MAX          32 /* label values of counters by reason */
#define ADMIN_VRRP_DROP_KINDS    16 /* advert drop reasons shown */
#define ADMIN_VRRP_MAX_INSTANCES 8  /* CONFIG_MAX_VRRP_INSTANCES (ipc.c checks) */
#define ADMIN_VRRP_NAME_MAX      64 /* CONFIG_NAME_MAX (ipc.c checks) */

/* One counter of a family split by a label: {reason="ttl"} 3. */
struct admin_counter {
    char label[ADMIN_LABEL_MAX];
    uint64_t value;
};

/* The VRRP role history (a timeline on /status): the parent keeps the
 * last ADMIN_VRRP_HISTORY changes, oldest first, across relay restarts and
 * reloads, and sends them with every status. */
#define ADMIN_VRRP_HISTORY 16
#define ADMIN_IFNAME_MAX   16 /* IFNAMSIZ */

struct admin_vrrp_change {
    uint64_t t_s; /* Unix time the parent saw it */
    enum admin_vrrp_role from, to;
};

struct admin_vrrp_history {
    struct admin_vrrp_change items[ADMIN_VRRP_HISTORY]; /* oldest first */
    unsigned n;
};

/* One VRRP instance. The parent sends one per instance ([vrrp] alone: one
 * with no name), or a single one with role DISABLED when VRRP is off. */
struct admin_vrrp_status {
    char name[ADMIN_VRRP_NAME_MAX]; /* "" for [vrrp] */
    enum admin_vrrp_role role;
    unsigned family; /* 4 or 6 */
    unsigned vrid;
    unsigned priority;    /* effective, after penalties */
    uint64_t transitions; /* state changes since start */
    uint64_t adverts_sent;
    uint64_t adverts_received;
    /* invalid adverts by reason (vrrp_drop_name(): "ttl", "checksum" ...) */
    struct admin_counter adverts_dropped[ADMIN_VRRP_DROP_KINDS];
    unsigned n_adverts_dropped;
    char interface[ADMIN_IFNAME_MAX];  /* the instance's interface, for /metrics */
    struct admin_vrrp_history history; /* this instance's role changes */
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

/* The key holder's counts (gateway/proc/keyholder.h), which the parent
 * passes on: the keys it holds; answers[0] requests done, answers[i] for
 * i > 0 requests refused by reason (tls_keyreq_status_name(i)). Since
 * that key holder started. */
#define ADMIN_KEYS_STATUS_KINDS 8 /* = TLS_KEYREQ_STATUS_END, checked in admin_collect.c */
struct admin_keyholder_status {
    uint32_t keys;
    uint32_t reserved;
    uint64_t answers[ADMIN_KEYS_STATUS_KINDS];
};

/* The peer channel to the other gateway of the pair (gateway/ha/peer_link.h,
 * gateway/proc/parent_peer.c), and what the pair shares over it. */
enum admin_peer_state {
    ADMIN_PEER_DISABLED, /* no [peer] */
    ADMIN_PEER_DOWN,
    ADMIN_PEER_CONNECTING,
    ADMIN_PEER_UP,
    ADMIN_PEER_STATE_COUNT
};
#define ADMIN_PEER_KINDS 12 /* counters by reason, per family */

struct admin_peer_status {
    enum admin_peer_state state;
    bool synced;         /* the peer's whole state arrived in this session */
    uint64_t sessions;   /* established */
    uint64_t dials;      /* connection attempts */
    uint64_t up_seconds; /* of the current session */
    uint64_t frames_in, frames_out;
    struct admin_counter handshake_failures[ADMIN_PEER_KINDS]; /* auth, protocol, closed, timeout, ... */
    unsigned n_handshake_failures;
    struct admin_counter dropped[ADMIN_PEER_KINDS]; /* frames: version, type, length, replay, ... */
    unsigned n_dropped;
    struct admin_counter closed[ADMIN_PEER_KINDS]; /* sessions/connections ended, by reason */
    unsigned n_closed;
    /* session-ticket keys */
    bool keys_shared;   /* made by the pair (not from ticket_key_file) */
    bool keys_master;   /* this node makes them */
    uint64_t key_epoch; /* of the current key */
    uint64_t key_age_s;
    uint64_t key_rotations, keys_received;
    /* blocklist */
    uint64_t blocks_sent, unblocks_sent, blocks_received, unblocks_received, blocks_applied;
    struct admin_counter blocks_refused[ADMIN_PEER_KINDS]; /* a protected address, full, ... */
    unsigned n_blocks_refused;
    uint64_t known_addresses; /* entries the node knows of the pair's list */
};

/* The [bgp] announcement (gateway/ha/announce.h). */
struct admin_bgp_status {
    bool enabled;                 /* [bgp] enabled = yes */
    bool announced;               /* the route BIRD exports is present */
    char reason[ADMIN_LABEL_MAX]; /* "announced", or why not ("draining", ...) */
    uint64_t transitions;         /* announcements and withdrawals since start */
};

#endif /* RAMPART_GATEWAY_ADMIN_STATUS_H */
