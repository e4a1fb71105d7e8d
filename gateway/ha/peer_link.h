/*
 * peer_link: the channel between the two gateways of a pair, as a thread
 * of the parent ("rampart-peer", its own event loop). It owns the sockets
 * (one listener, one dial at a time, one connection in its handshake, one
 * session), TLS (tls/tls_peer.h), the framing and its checks
 * (peer_proto.h), every deadline, keepalive and reconnection. The parent's
 * loop sees only checked messages and state changes.
 *
 * Why a thread, and not sockets on the parent's loop: a handshake costs
 * an ECDHE exchange, and in certificate mode an ECDSA signature and two
 * verifications (milliseconds with mbedTLS's P-256); records are
 * decrypted, and a whole blocklist streams at the start of a session.
 * None of that may delay a VRRP advert. The thread shares nothing with
 * the loop but two bounded mailboxes under one mutex, each with an
 * eventfd to wake the other side, and a status struct (as
 * proc/parent_blocker.c does for the firewall).
 *
 * Sessions. Each node listens on its [peer] listen address and dials its
 * peer's while it has no session, with a backoff from PEER_BACKOFF_FLOOR_MS
 * doubling to PEER_BACKOFF_CEIL_MS (back to the floor after a session that
 * lasted PEER_BACKOFF_RESET_MS). A connection becomes a session when TLS
 * is done and both HELLOs are in (the peer's names the configured peer as
 * its node). When two sessions exist (both nodes dialed at once), both
 * keep the same one (peer_link_prefer): the one from the peer's newer
 * instance (it restarted: the old one is stale), else the one the node
 * with the lower id dialed. Every session starts with both sides sending
 * what they hold (the parent does, on PEER_EV_UP): nothing needs to
 * survive a lost session.
 *
 * Deadlines: connect (connect_timeout), TLS + HELLO (handshake_timeout),
 * a frame started must end and something must arrive within dead_after
 * (PINGs go out after keepalive of silence); output that does not drain
 * (PEER_TX_MAX waiting) ends the session too.
 *
 * Threads: peer_link_start/stop, _send, _events, _status are called by the
 * parent's loop thread; everything else runs on the link's thread.
 */
#ifndef RAMPART_GATEWAY_HA_PEER_LINK_H
#define RAMPART_GATEWAY_HA_PEER_LINK_H

#include "gateway/ha/peer_proto.h"
#include "tls/tls_peer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PEER_BACKOFF_FLOOR_MS 100
#define PEER_BACKOFF_CEIL_MS  5000
#define PEER_BACKOFF_RESET_MS 10000        /* a session this long resets the backoff */
#define PEER_OUTBOX_MAX       4096         /* messages waiting for the thread */
#define PEER_INBOX_MAX        1024         /* events waiting for the parent (then the thread stops reading) */
#define PEER_TX_MAX           (256 * 1024) /* encoded bytes waiting for the socket */

struct peer_link_config {
    struct sockaddr_storage listen, peer; /* addresses with the port */
    socklen_t listen_len, peer_len;
    struct peer_hello hello; /* ours: version, flags, lifetime, node, instance */
    struct ip_addr peer_id;  /* what the peer's HELLO must say */
    uint64_t connect_timeout_ms, handshake_timeout_ms, keepalive_ms, dead_ms;
};

enum peer_link_state { PEER_LINK_DOWN, PEER_LINK_CONNECTING, PEER_LINK_UP, PEER_LINK_STATE_COUNT };
const char *peer_link_state_name(enum peer_link_state s); /* "down", "connecting", "up" */

/* Why a connection or session ended, besides handshake failures and
 * dropped frames (rampart_peer_closed_total{reason}). */
enum peer_close {
    PEER_CLOSE_CONNECT,   /* the dial failed or timed out */
    PEER_CLOSE_TIMEOUT,   /* handshake_timeout: TLS + HELLO not done */
    PEER_CLOSE_IDLE,      /* dead_after: nothing came */
    PEER_CLOSE_MESSAGE,   /* dead_after: a frame started and did not end */
    PEER_CLOSE_EOF,       /* the peer closed */
    PEER_CLOSE_ERROR,     /* a socket or TLS error after the handshake */
    PEER_CLOSE_OVERFLOW,  /* PEER_TX_MAX bytes would not drain, or the parent asked (resync) */
    PEER_CLOSE_DUPLICATE, /* the other of two sessions was kept */
    PEER_CLOSE_STRANGER,  /* a connection from an address that is not the peer */
    PEER_CLOSE_BUSY,      /* a second connection while one is in its handshake */
    PEER_CLOSE_COUNT
};
const char *peer_close_name(enum peer_close why);

struct peer_link_status {
    enum peer_link_state state;
    uint64_t session;  /* current session's id, 0 when none */
    uint64_t sessions; /* sessions established */
    uint64_t dials;    /* connection attempts */
    uint64_t handshake_failures[TLS_PEER_FAIL_COUNT];
    uint64_t dropped[PEER_DROP_COUNT];
    uint64_t closed[PEER_CLOSE_COUNT];
    uint64_t frames_in, frames_out, bytes_in, bytes_out;
    uint64_t outbox_dropped; /* messages the parent queued for a session that had ended */
    uint64_t up_since_ms;    /* the thread's clock (monotonic) */
};

enum peer_ev_kind {
    PEER_EV_UP,   /* session established: send everything you hold */
    PEER_EV_DOWN, /* session over */
    PEER_EV_MSG,  /* a checked message from the peer (never HELLO, never PING) */
};
struct peer_event {
    enum peer_ev_kind kind;
    uint64_t session;
    struct peer_msg msg; /* MSG: the message; UP: the peer's HELLO */
};

struct peer_link;

/* Starts the thread: binds the listener first (its error comes back here,
 * naming the address), takes ownership of tls. `notify_fd` (an eventfd,
 * owned by the caller) becomes readable when events wait. NULL with err. */
struct peer_link *peer_link_start(const struct peer_link_config *cfg, struct tls_peer_ctx *tls, int notify_fd,
                                  char *err, size_t err_len);
/* Stops and joins the thread, closes everything, frees. Safe with NULL. */
void peer_link_stop(struct peer_link *l);

/* Queues msg for `session` (what PEER_EV_UP said). false when the outbox
 * is full: the session is then reset (PEER_CLOSE_OVERFLOW), and the next
 * one starts from a full exchange. Messages for an ended session are
 * dropped (counted). */
bool peer_link_send(struct peer_link *l, uint64_t session, const struct peer_msg *msg);
/* The same for n messages in one queue slot; takes ownership of the
 * array (malloc'd; freed by the link). */
bool peer_link_send_batch(struct peer_link *l, uint64_t session, struct peer_msg *msgs, size_t n);

/* Moves up to max waiting events to out; returns how many (the parent
 * reads its notify_fd first). */
size_t peer_link_events(struct peer_link *l, struct peer_event *out, size_t max);
void peer_link_status(struct peer_link *l, struct peer_link_status *out);

/* ---- pure rules (peer_rules.c) ---- */

/* The next delay after `prev` (0: the first dial is now). */
uint64_t peer_backoff_next(uint64_t prev_ms);
/* Of two sessions, whether the new one wins: from a newer instance of the
 * peer, else (same instance: both dialed at once) the one whose dialer has
 * the lower id. Both nodes come to the same answer. */
bool peer_link_prefer(uint64_t old_instance, bool old_we_dialed, uint64_t new_instance, bool new_we_dialed,
                      bool we_are_lower);

#endif /* RAMPART_GATEWAY_HA_PEER_LINK_H */
