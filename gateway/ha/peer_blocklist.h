/*
 * peer_blocklist: what a node knows of the pair's blocklist, as a pure
 * table, and the rules that merge its own changes with its peer's so the
 * two nodes converge on the same blocked addresses and expiries.
 *
 * An entry is an address that is blocked until expires_ms, or was lifted
 * (an unblock: a "tombstone") and is remembered until the block it lifted
 * would have expired. Times are the caller's milliseconds (monotonic); on
 * the wire they travel as what is left (peer_proto.h), so the two nodes'
 * clocks never need to agree.
 *
 * The rules, each returning whether the change is news (to send to the
 * peer, or to apply to this node's firewall):
 *   local block      this node blocked addr (autoblock, rampart-fw block,
 *                    nft): recorded; news unless the same block (expiry
 *                    within PEER_BL_TOLERANCE_MS) was known, which is how
 *                    a policy re-apply (every element re-added with the
 *                    time it has left) and a block the peer sent us stay
 *                    quiet
 *   local unblock    lifted here: a tombstone; news when it was blocked
 *   peer block       applied when it blocks longer than what is known
 *                    (max wins), unless a tombstone says this very block
 *                    was lifted here (its expiry not past the tombstone's)
 *   peer unblock     applied when addr is blocked here
 * Max-wins and tombstones make the merge the same whatever order things
 * arrive in, so a node that was away (restart, cut link) gets the peer's
 * whole list at the next session (peer_bl_next) and neither side takes
 * back a block the other lifted meanwhile.
 *
 * At most PEER_BLOCKLIST_MAX entries (autoblock at its budget of 100 a
 * second for the default 10 minutes is 60 000); past that a change is
 * refused (PEER_BL_FULL, counted by the caller) and stays this node's.
 * Lookups are O(1): open addressing, grown by doubling.
 *
 * One per parent, on its loop thread.
 */
#ifndef RAMPART_GATEWAY_HA_PEER_BLOCKLIST_H
#define RAMPART_GATEWAY_HA_PEER_BLOCKLIST_H

#include "common/parse.h"
#include "gateway/ha/peer_proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEER_BLOCKLIST_MAX   65536
#define PEER_BL_TOLERANCE_MS 2000 /* expiries this close are the same block (transit, rounding) */

enum peer_bl_verdict {
    PEER_BL_IGNORE, /* nothing new */
    PEER_BL_NEWS,   /* send it (local change) / apply it (peer change) */
    PEER_BL_FULL,   /* PEER_BLOCKLIST_MAX entries: not recorded */
};

enum peer_bl_state { PEER_BL_EMPTY, PEER_BL_BLOCKED, PEER_BL_LIFTED };

struct peer_bl_entry {
    struct ip_addr addr;
    uint64_t expires_ms;
    uint8_t state; /* enum peer_bl_state */
    bool pending;  /* news from the peer not yet given to the firewall */
};

struct peer_blocklist {
    struct peer_bl_entry *slots;
    size_t cap, n; /* cap: a power of two, or 0 */
};

void peer_bl_init(struct peer_blocklist *bl);
void peer_bl_free(struct peer_blocklist *bl);

enum peer_bl_verdict peer_bl_local_block(struct peer_blocklist *bl, const struct ip_addr *a,
                                         uint64_t timeout_ms, uint64_t now_ms);
/* *tomb_ms: what to send with the unblock (how long the lifted block had left). */
enum peer_bl_verdict peer_bl_local_unblock(struct peer_blocklist *bl, const struct ip_addr *a,
                                           uint64_t now_ms, uint32_t *tomb_ms);
enum peer_bl_verdict peer_bl_peer_block(struct peer_blocklist *bl, const struct ip_addr *a,
                                        uint32_t remaining_ms, uint64_t now_ms);
enum peer_bl_verdict peer_bl_peer_unblock(struct peer_blocklist *bl, const struct ip_addr *a,
                                          uint32_t tomb_ms, uint64_t now_ms);

/* Forgets what has expired (blocks the kernel has let go of by now,
 * tombstones past their time). */
void peer_bl_expire(struct peer_blocklist *bl, uint64_t now_ms);

/* The entry of a, or NULL (also when expired). */
struct peer_bl_entry *peer_bl_find(struct peer_blocklist *bl, const struct ip_addr *a, uint64_t now_ms);

/* Live entries one by one as the wire has them (block: time left;
 * tombstone: unblock with time remembered). *cursor starts at 0; false
 * at the end. */
bool peer_bl_next(const struct peer_blocklist *bl, size_t *cursor, uint64_t now_ms, struct peer_block *out);
/* The same over entries marked pending (the entry itself, to clear it). */
struct peer_bl_entry *peer_bl_next_pending(struct peer_blocklist *bl, size_t *cursor, uint64_t now_ms);

size_t peer_bl_count(const struct peer_blocklist *bl);

#endif /* RAMPART_GATEWAY_HA_PEER_BLOCKLIST_H */
