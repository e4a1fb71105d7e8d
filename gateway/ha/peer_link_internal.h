/*
 * peer_link_internal: what peer_link.c (the thread: mailboxes, listener,
 * dialing, choosing the session) and peer_conn.c (one connection: TLS,
 * frames, deadlines) share. Nothing outside those two files includes it.
 * Everything here runs on the link's thread, except the fields under
 * `mu` (peer_link.c says which).
 */
#ifndef RAMPART_GATEWAY_HA_PEER_LINK_INTERNAL_H
#define RAMPART_GATEWAY_HA_PEER_LINK_INTERNAL_H

#include "gateway/event/loop.h"
#include "gateway/ha/peer_link.h"

#include <pthread.h>

#define PEER_RX_BUF          (2 * PEER_FRAME_MAX) /* a whole frame always fits after a partial one */
#define PEER_READS_PER_EVENT 16 /* TLS reads per readable event: a flood cannot hold the loop */
#define PEER_CONNS_MAX       3  /* a dial, an accepted handshake, the session */

enum peer_conn_state { PEER_CONN_CONNECTING, PEER_CONN_TLS, PEER_CONN_HELLO, PEER_CONN_ACTIVE };

struct peer_conn {
    struct peer_link *link;
    int fd;
    struct loop_io io;
    struct loop_timer timer; /* the next deadline or keepalive */
    enum peer_conn_state state;
    bool dialed;  /* we connected (TLS client) */
    bool paused;  /* not reading: the parent's inbox is full */
    bool closing; /* freed after the current batch of events */
    struct tls_peer_conn *tls;
    struct peer_rx rx;
    uint8_t rbuf[PEER_RX_BUF];
    size_t rlen;
    uint8_t *tbuf;           /* PEER_TX_MAX bytes: encoded frames waiting */
    size_t tlen, toff, wlen; /* wlen: the write TLS said to retry (same bytes) */
    uint64_t tx_seq;
    uint64_t started_ms, last_rx_ms, last_tx_ms;
    struct peer_hello peer; /* its HELLO */
    uint64_t session;       /* 0 until ACTIVE */
};

struct peer_outbox_item {
    uint64_t session;
    struct peer_msg *msgs; /* one, or a batch (owned) */
    size_t n, next;
    bool batch;
    struct peer_msg one;
};

struct peer_link {
    struct peer_link_config cfg;
    struct tls_peer_ctx *tls;
    struct loop *loop;
    pthread_t thread;
    int listen_fd, wake_fd, notify_fd;
    struct loop_io listen_io, wake_io;
    struct loop_timer dial_timer;
    uint64_t backoff_ms;
    bool we_are_lower;
    struct peer_conn *conns[PEER_CONNS_MAX];
    struct peer_conn *active;
    uint64_t next_session;
    struct peer_link_status st; /* the thread's; published to st_pub */

    pthread_mutex_t mu; /* guards everything below */
    bool stop, reset;
    struct peer_outbox_item *outbox; /* ring of PEER_OUTBOX_MAX */
    size_t out_head, out_len;
    struct peer_event *inbox; /* ring of PEER_INBOX_MAX */
    size_t in_head, in_len;
    uint64_t session_pub; /* the current session, as the parent may send to it */
    uint64_t dropped_pub; /* messages the parent queued for an ended session */
    struct peer_link_status st_pub;
};

/* peer_conn.c */
struct peer_conn *peer_conn_new(struct peer_link *l, int fd, bool dialed, bool connecting);
/* Frees now (not from inside the conn's own callbacks: peer_conn_close). */
void peer_conn_free(struct peer_conn *c);
/* Ends it: counted, unwatched, freed after the current batch of events. */
void peer_conn_close(struct peer_conn *c, enum peer_close why);
/* Encodes msg with the next sequence number; false when it does not fit
 * what is waiting (the caller stops feeding until the socket drains). */
bool peer_conn_queue(struct peer_conn *c, const struct peer_msg *msg);
/* Room for one more frame in the output. */
bool peer_conn_has_room(const struct peer_conn *c);
/* Writes what is waiting; reading resumes (after a pause) too. */
void peer_conn_kick(struct peer_conn *c);

/* peer_link.c, for peer_conn.c */
/* A connection passed TLS and the HELLOs: becomes the session, or not. */
void peer_link_on_hello(struct peer_link *l, struct peer_conn *c);
/* A connection is going away (closed, or lost the choice). */
void peer_link_on_close(struct peer_link *l, struct peer_conn *c);
/* A message from the session's peer; false when the inbox is full (the
 * connection pauses and hands the message over later). */
bool peer_link_deliver(struct peer_link *l, struct peer_conn *c, const struct peer_msg *msg);
/* The connection has room again: feed it from the outbox. */
void peer_link_feed(struct peer_link *l);
bool peer_link_inbox_full(struct peer_link *l);
void peer_link_publish(struct peer_link *l);

#endif /* RAMPART_GATEWAY_HA_PEER_LINK_INTERNAL_H */
