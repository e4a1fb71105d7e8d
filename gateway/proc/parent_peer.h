/*
 * parent_peer: the parent's side of the peer channel. It starts the
 * channel's thread (gateway/ha/peer_link.h), and turns what arrives into
 * the pair's shared state, and the node's changes into messages:
 *
 *   session up    send this node's ticket keys (pair mode), what ACME
 *                 holds (`acme_sync`: account, orders, certificates), its
 *                 whole blocklist (blocks and recent unblocks), then SYNC_DONE
 *   KEYS          parent_tickets_merge: the relays get the merged keys
 *   BLOCK         each entry through the merge rules (peer_blocklist.h);
 *                 news goes to the firewall thread, after the same refusal
 *                 the relay's requests get (parent_firewall_peer_change)
 *   SYNC_DONE     the peer's state is in: a starting node's relay may
 *                 serve (the parent's key wait ends)
 *   CHUNK         put together into a blob (peer_blob.h); a whole one goes
 *                 to `acme_blob` (parent_acme_pair.c checks and uses it)
 *   local block   an autoblock, or a change someone else made to the sets
 *                 (rampart-fw block/unblock, nft: the set notifications),
 *                 goes to the peer when it is news
 *
 * A block from the peer lands here within the channel's latency: under a
 * millisecond on a LAN, then one firewall transaction (the 1 s promise
 * holds with room). Changes made while no session is up are not queued:
 * the next session starts from both sides' whole lists.
 *
 * Runs on the parent's loop; one per parent.
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_PEER_H
#define RAMPART_GATEWAY_PROC_PARENT_PEER_H

#include "gateway/admin/status.h"
#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/peer_blob.h"
#include "gateway/ha/peer_blocklist.h"
#include "gateway/proc/parent_firewall.h"
#include "gateway/proc/parent_tickets.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARENT_PEER_TICK_MS 250 /* retries, expiry, reading a dump of the sets */

enum parent_peer_refusal { PARENT_PEER_REFUSED_FULL = PARENT_FW_REFUSAL_COUNT, PARENT_PEER_REFUSAL_COUNT };

struct peer_link;
struct parent_peer {
    struct peer_link *link;
    struct loop *loop;
    const struct config *cfg;
    struct parent_firewall *fw;
    struct parent_tickets *tickets;
    unsigned (*heard)(void *arg, struct ip_addr *out, unsigned max); /* VRRP routers heard */
    void (*synced)(void *arg);                                       /* SYNC_DONE arrived */
    /* ACME over the pair (parent_acme_pair.c); NULL: not wanted */
    void (*acme_sync)(void *arg);                                  /* session up: send what you hold */
    void (*acme_down)(void *arg);                                  /* the session ended */
    void (*acme_blob)(void *arg, const struct peer_blob_rx *blob); /* a whole blob from the peer */
    void *arg;
    int notify_fd;
    struct loop_io notify_io;
    struct loop_timer tick, flush;
    uint64_t session; /* 0: none */
    bool synced_now, retry_pending;
    struct peer_blocklist bl;
    struct peer_blocks out; /* local news, sent at the end of the loop's round */
    uint64_t keys_received, blocks_sent, unblocks_sent, blocks_received, unblocks_received, blocks_applied;
    uint64_t refused[PARENT_PEER_REFUSAL_COUNT];
    struct peer_blob_rx blob; /* the peer's blob under way */
    uint32_t blob_id;         /* of the last blob sent */
    uint64_t blobs_sent, blobs_received, blobs_refused;
};

/* Starts the channel (cfg->peer enabled) and watches the blocklist sets
 * (when share_blocklist and a policy is managed). 0, or -1 with err. */
int parent_peer_start(struct parent_peer *pp, struct loop *loop, const struct config *cfg,
                      struct parent_firewall *fw, struct parent_tickets *tickets, char *err, size_t err_len);
void parent_peer_stop(struct parent_peer *pp);
/* The channel's keys and certificates load (`rampart -t`, every reload). */
int parent_peer_check(const struct config *cfg, char *err, size_t err_len);
/* The config in force after a reload ([peer] itself changes at a restart). */
void parent_peer_reload(struct parent_peer *pp, const struct config *cfg);

/* This node's ticket keys changed (rotation, or merged): the peer hears. */
void parent_peer_keys_changed(struct parent_peer *pp);
/* The relay's abuse detector had addr blocked for timeout_ms. */
void parent_peer_local_block(struct parent_peer *pp, const struct ip_addr *addr, uint64_t timeout_ms);

/* A blob for the peer (its chunks in one batch); false when no session
 * is up or it does not fit. */
bool parent_peer_send_blob(struct parent_peer *pp, enum peer_blob_kind kind, unsigned index, unsigned flags,
                           const void *data, size_t len);
/* acme_blob refused what came (counted: rampart_peer_dropped_total{reason="acme"}). */
void parent_peer_blob_refused(struct parent_peer *pp);
bool parent_peer_up(const struct parent_peer *pp);

bool parent_peer_synced(const struct parent_peer *pp);
/* For the relay's admin pages. */
void parent_peer_status(struct parent_peer *pp, struct admin_peer_status *out);

#endif /* RAMPART_GATEWAY_PROC_PARENT_PEER_H */
