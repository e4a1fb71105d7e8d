/*
 * parent_blocker: the parent's firewall thread. Everything that talks to
 * nfnetlink while the daemon runs happens here, off the parent's loop (the
 * loop runs VRRP: an advert must never wait for a transaction):
 *
 *   - blocks: the loop queues addresses (parent_blocker_block, a short
 *     bounded queue); the thread takes what is waiting, up to
 *     FW_BLOCK_BATCH_MAX, and adds it in one transaction over the one
 *     netlink socket it keeps open (closing one costs ~11 ms);
 *   - counters: every PARENT_BLOCKER_STATUS_MS it reads the drop counters
 *     and the blocklist size back for the relay's /metrics (a dump of
 *     every blocked address: too long for the loop under a storm).
 *
 * The loop reads the results with parent_blocker_results. A policy apply
 * (start, reload: parent_firewall.c, on the loop) takes parent_blocker_lock
 * so no block lands between its read of the running blocklist and the
 * table it replaces (it would be lost).
 *
 * Threads: the loop thread calls every function; the blocker thread is
 * private. Locks: `mu` (queue, results) is never held across netlink I/O;
 * `fw_mu` is held for each transaction and by parent_blocker_lock. Start it
 * after the parent's credentials are final (capabilities and securebits
 * are per thread: it inherits them at creation).
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_BLOCKER_H
#define RAMPART_GATEWAY_PROC_PARENT_BLOCKER_H

#include "common/parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARENT_BLOCKER_QUEUE_MAX 256  /* waiting blocks (2.5 s at the autoblock budget) */
#define PARENT_BLOCKER_STATUS_MS 1000 /* counters read this often */

struct parent_blocker;

/* What the thread found, for the relay's pages. */
#define PARENT_BLOCKER_COUNTERS 16 /* drop counters kept (firewall.h: FW_STATUS_MAX_COUNTERS) */
#define PARENT_BLOCKER_NAME_MAX 32 /* their names (FW_COUNTER_NAME_MAX) */
struct parent_blocker_results {
    bool have_status; /* the counters were read at least once */
    unsigned n_drops;
    struct {
        char name[PARENT_BLOCKER_NAME_MAX];
        uint64_t packets, bytes;
    } drops[PARENT_BLOCKER_COUNTERS];
    unsigned blocked;          /* addresses in the blocklist sets */
    uint64_t blocks, failures; /* addresses added / not added (the kernel refused) */
    uint64_t transactions;     /* block transactions committed */
};

/* Starts the thread. NULL with err filled when it cannot. */
struct parent_blocker *parent_blocker_start(char *err, size_t err_len);
/* Stops and joins the thread; blocks still queued are dropped. Safe with NULL. */
void parent_blocker_stop(struct parent_blocker *b);

/* Queues a block of `addr` for timeout_ms (threshold: for the log line).
 * false when the queue is full (the caller counts the refusal). */
bool parent_blocker_block(struct parent_blocker *b, const struct ip_addr *addr, uint64_t timeout_ms,
                          unsigned threshold);
/* Blocks waiting in the queue now (for the tests). */
unsigned parent_blocker_queued(struct parent_blocker *b);
/* Whether counters are read at all (a policy is applied). */
void parent_blocker_set_reading(struct parent_blocker *b, bool reading);
void parent_blocker_results(struct parent_blocker *b, struct parent_blocker_results *out);

/* Held around a policy apply (no-ops with NULL). */
void parent_blocker_lock(struct parent_blocker *b);
void parent_blocker_unlock(struct parent_blocker *b);

#endif /* RAMPART_GATEWAY_PROC_PARENT_BLOCKER_H */
