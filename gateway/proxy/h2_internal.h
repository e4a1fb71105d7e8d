/*
 * h2_internal: what h2_conn.c (the HTTP/2 connection: bytes, pump,
 * deadlines, GOAWAY) and h2_stream.c (one stream as one exchange: its
 * client side for proxy.c and the session's callbacks) share. Part of the
 * connection state machine (conn_internal.h); nothing else includes it.
 */
#ifndef RAMPART_GATEWAY_PROXY_H2_INTERNAL_H
#define RAMPART_GATEWAY_PROXY_H2_INTERNAL_H

#include "gateway/http/h2_session.h"
#include "gateway/proxy/conn_internal.h"

#define H2_OUT_SIZE     16384 /* frames waiting for the TLS socket: at most one record (h2_out_cap) */
#define H2_IN_SIZE      16384 /* one read from the TLS socket */
#define H2_PUMP_ROUNDS  64    /* as conn.c's: more work waits for the next event */
#define H2_STREAM_STEPS 4     /* backend steps of one stream per round */
#define H2_LINGER_MS    1000  /* after our last frame: what the client still sends is read and dropped */

enum h2_deadline { H2_DL_NONE, H2_DL_FIRST_STREAM, H2_DL_IDLE, H2_DL_LINGER };

struct h2_xstream {
    struct h2_stream st; /* the session's part */
    struct h2_conn *h;
    struct exchange *x;
    struct loop_timer timer; /* x's phase deadline */
    struct h2_xstream *next_dirty;
    struct h2_chunker chunks; /* a body without content-length goes chunked */
    uint64_t last_sent_ms;    /* response bytes last went to the session */
    bool dirty;
    bool started;                /* its request head came: logged when it ends */
    bool deferred;               /* content-length 0 without END_STREAM: starts at END_STREAM */
    bool client_done, shut_sent; /* a WebSocket's client half closed, and the backend told so */
};

struct h2_conn {
    struct conn *c;
    struct h2_session *s;
    uint8_t *out; /* H2_OUT_SIZE, while frames wait */
    uint32_t out_start, out_end;
    uint8_t *hold; /* H2_IN_SIZE: input the stalled session did not take yet */
    uint32_t hold_start, hold_end;
    struct h2_xstream *dirty; /* streams with work for the backend side */
    unsigned n_streams;
    enum h2_deadline deadline;
    uint64_t deadline_at; /* loop ms the first-stream or idle deadline falls due */
    bool in_pump;
    bool closing;   /* the session is over: flush, then close */
    bool lingering; /* our side is shut: the client's bytes are dropped until it closes */
    bool notice_sent, goaway_sent;
};

/* h2_stream.c */
extern const struct h2_session_ops h2_stream_ops; /* the session's owner callbacks */
void h2_mark(struct h2_xstream *xs);              /* the stream has work for its backend side */
bool h2_streams(struct h2_conn *h);               /* runs the marked streams' backend sides */

static inline uint64_t h2_now(const struct h2_conn *h)
{
    return loop_now_ms(h->c->w->loop);
}

#endif /* RAMPART_GATEWAY_PROXY_H2_INTERNAL_H */
