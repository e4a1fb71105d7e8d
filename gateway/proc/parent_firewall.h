/*
 * parent_firewall: the parent's firewall work; with parent_blocker.c (its
 * thread), the only files of the daemon that include firewall/. It
 * applies the [firewall] policy (at start, before any port opens, and on
 * every reload: all or nothing), reports the drop counters and the
 * blocklist size for /metrics, and decides the relay's autoblock requests.
 *
 * The relay is not trusted (issue 10, defect 5): it only names an address,
 * and the parent refuses (counted by reason, logged at most
 * RATELIMIT_LOG_BURST lines a second) to block
 *   - any address protect.h protects: not global, this node's own, a VIP,
 *     a VRRP peer, a source the applied policy admits by name (the
 *     administrators: SSH, metrics), a backend;
 *   - beyond PARENT_AUTOBLOCKS_PER_S blocks a second ("budget"), or when
 *     the blocker's queue is full ("queue_full");
 *   - anything when autoblock is off or no policy is applied ("off");
 *   - a malformed request ("bad_message").
 * Accepted blocks go to the blocker thread's queue: the loop, which runs
 * VRRP, never waits for a netlink transaction.
 *
 * Why the administrators come from the applied policy rather than a list
 * of their own in rampart.ini: the policy is the reviewed statement of who
 * may reach SSH and metrics, and it is what the firewall enforces; a
 * second list would drift from it, and a source the policy trusts but the
 * list forgot would be blockable by the relay.
 *
 * Runs on the parent's loop; one struct per parent.
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_FIREWALL_H
#define RAMPART_GATEWAY_PROC_PARENT_FIREWALL_H

#include "common/parse.h"
#include "common/ratelimit.h"
#include "gateway/admin/status.h"
#include "gateway/config/config.h"
#include "gateway/proc/protect.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A relay gone wrong (or taken over) cannot flood the blocklist: at most
 * this many blocks a second are made, the rest refused and counted. */
#define PARENT_AUTOBLOCKS_PER_S 100
/* This node's addresses are read again at most this often. */
#define PARENT_OWN_ADDRS_MS 1000

/* Why a request was refused, beyond protect.h's reasons. */
enum parent_fw_refusal {
    PARENT_FW_BUDGET = PROTECT_REASON_COUNT,
    PARENT_FW_QUEUE_FULL,
    PARENT_FW_OFF,
    PARENT_FW_BAD_MESSAGE,
    PARENT_FW_REFUSAL_COUNT
};
_Static_assert(PARENT_FW_REFUSAL_COUNT - 1 <= ADMIN_FW_MAX_REFUSALS, "every refusal kind is shown");

struct parent_blocker;
struct parent_firewall {
    struct admin_firewall_status status; /* what the relay's pages show */
    uint64_t autoblock_second_ms;        /* start of the current second of blocks */
    unsigned autoblocks_this_second;
    struct protect protect;
    uint64_t own_read_ms; /* when this node's addresses were last read (0: never) */
    struct parent_blocker *blocker;
    uint64_t refused[PARENT_FW_REFUSAL_COUNT]; /* by reason (PROTECT_NONE unused) */
    struct ratelimit refusal_log;
};

void parent_firewall_init(struct parent_firewall *fw);
/* Stops the thread (if started) and frees. */
void parent_firewall_free(struct parent_firewall *fw);

/* Applies cfg's policy (nothing when it names none) and rebuilds what is
 * protected from it, cfg and `running` (the config in force, or NULL: at a
 * reload both are protected). 0, or -1 with the reason in err and every
 * diagnostic logged; the running ruleset is then untouched. */
int parent_firewall_apply(struct parent_firewall *fw, const struct config *cfg, const struct config *running,
                          char *err, size_t err_len);

/* Starts the blocker thread: after the parent's credentials are final. */
int parent_firewall_start(struct parent_firewall *fw, char *err, size_t err_len);

/* Refreshes the counters in fw->status from what the thread read last. */
void parent_firewall_read_counters(struct parent_firewall *fw);

/* The relay asks to block addr for autoblock_timeout; `heard` are the VRRP
 * routers heard (vrrp_set_peers_heard). true when the block was queued;
 * every refusal is counted and logged (rate-limited). */
bool parent_firewall_autoblock(struct parent_firewall *fw, const struct config *cfg,
                               const struct ip_addr *addr, const struct ip_addr *heard, unsigned n_heard,
                               uint64_t now_ms);
/* A malformed autoblock request from relay `pid`: counted, logged
 * (rate-limited). */
void parent_firewall_bad_request(struct parent_firewall *fw, int pid, const char *why, uint64_t now_ms);

#endif /* RAMPART_GATEWAY_PROC_PARENT_FIREWALL_H */
