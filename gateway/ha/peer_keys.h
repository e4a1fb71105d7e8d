/*
 * peer_keys: the session-ticket keys of a pair, as a pure state: which
 * two keys a node holds (current issues tickets, previous is still
 * accepted), when the next one is due, and how a node takes in what its
 * peer holds. The parent keeps one (gateway/proc/parent_peer.c) and gives
 * its relays what peer_keys_for_relay returns.
 *
 * Who makes keys. The node whose [peer] listen address is the lower one
 * (byte order, IPv4 before IPv6) is the key master: it rotates every
 * ticket_lifetime, counting from when its current key was made. The other
 * node (the deputy) takes the master's keys as they come, and rotates
 * only when a key is overdue by PEER_KEYS_DEPUTY_GRACE_MS: the master is
 * gone (dead, or cut off) and keys must still age out. Why not the VRRP
 * master: VRRP changes hands exactly at the moments keys must stay put (a
 * failover), both nodes are VRRP masters in active-active and during a
 * split brain, and a fixed rule needs no election and no message to agree.
 *
 * Merging. A key is (epoch, name, key); epochs count rotations, so a
 * newer key has a higher epoch. Whatever a node hears, it keeps the two
 * greatest keys of what it holds and what it heard (by epoch, then name,
 * then key bytes). The rule is the same on both nodes and does not depend
 * on who speaks first, so they converge on the same two keys:
 *   - a restarted node (fresh epoch-1 key, no tickets issued yet: its
 *     relay waits, [peer] key_wait) takes the peer's keys back;
 *   - after a split brain in which both rotated to the same epoch, both
 *     keep both new keys (ordered by name), so tickets of either side stay
 *     valid; only tickets of keys older than those two are lost;
 *   - two nodes started together each made an epoch-1 key: they end with
 *     both, and each side's first tickets stay valid.
 * A key's age travels with it (made_ms = now - age on arrival), so the
 * rotation schedule survives a restart of either node.
 *
 * Rotation keeps resumption: a ticket is issued under the current key
 * and is accepted while that key is current or previous, i.e. for at
 * least one ticket_lifetime. A new key reaches the peer in one message
 * (milliseconds): no client completes a handshake on one node and a
 * resumption on the other in that time.
 *
 * Pure: times are the caller's milliseconds (monotonic); keys come from
 * the caller. One per parent, on its loop thread.
 */
#ifndef RAMPART_GATEWAY_HA_PEER_KEYS_H
#define RAMPART_GATEWAY_HA_PEER_KEYS_H

#include "gateway/ha/peer_proto.h"
#include "tls/tls.h"

#include <stdbool.h>
#include <stdint.h>

/* How late the deputy rotates after the master should have. Below
 * TLS_TICKET_ROTATE_SLACK_S: the relays' mbedTLS contexts, which would
 * make random keys of their own when a key outlives its lifetime, are
 * always given a new one first. */
#define PEER_KEYS_DEPUTY_GRACE_MS 30000
_Static_assert(PEER_KEYS_DEPUTY_GRACE_MS < TLS_TICKET_ROTATE_SLACK_S * 1000, "the deputy beats mbedTLS");

struct peer_keys_slot {
    uint64_t epoch;
    uint64_t made_ms; /* caller's clock */
    struct tls_ticket_key key;
};

struct peer_keys_state {
    struct peer_keys_slot k[PEER_KEYS_MAX]; /* [0] current, [1] previous */
    unsigned n;                             /* 0 before start */
    bool master;
    uint64_t lifetime_ms;
};

void peer_keys_init(struct peer_keys_state *s, uint64_t lifetime_ms, bool master);
/* This node's first key (epoch 1), made now. */
void peer_keys_start(struct peer_keys_state *s, const struct tls_ticket_key *fresh, uint64_t now_ms);

/* When the next rotation is due (0: no key yet). */
uint64_t peer_keys_rotate_at(const struct peer_keys_state *s);
/* A new current key: epoch one above the current one; the current one
 * becomes previous. */
void peer_keys_rotate(struct peer_keys_state *s, const struct tls_ticket_key *fresh, uint64_t now_ms);

/* Takes in the keys a peer holds (checked by peer_proto). true when this
 * node's keys changed (the relays need them, the peer may too). */
bool peer_keys_merge(struct peer_keys_state *s, const struct peer_keys *in, uint64_t now_ms);

/* What this node holds, for the wire (ages from now). */
void peer_keys_export(const struct peer_keys_state *s, uint64_t now_ms, struct peer_keys *out);
/* For the relays: current, and previous (the current one again when there
 * is none yet). */
void peer_keys_for_relay(const struct peer_keys_state *s, struct tls_ticket_keys *out);

/* Whether this node is the key master of the pair: `self` lower than
 * `peer` (peer_node_lower). */
bool peer_keys_is_master(const struct ip_addr *self, const struct ip_addr *peer);

#endif /* RAMPART_GATEWAY_HA_PEER_KEYS_H */
