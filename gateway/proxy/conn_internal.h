/*
 * conn_internal: one client connection on a worker, from the accepted
 * socket to the backend and back. Internal to the files that together are
 * one state machine, split the way relayd splits relay.c / relay_http.c:
 *   conn.c       transport: TLS, client reads and writes, timers, the pump
 *   conn_http.c  HTTP/1.1 on the client side: request heads, local answers
 *                (errors, redirects), the end of an exchange, keep-alive
 *   h2_conn.c    HTTP/2 on the client side: an h2_session on the TLS
 *                connection, its bytes, pump, deadlines and GOAWAY
 *   h2_stream.c  one HTTP/2 stream as one exchange (h2_internal.h)
 *   proxy.c      the backend side of one exchange: pick, connect, one
 *                retry, response relay, pool, tunnel
 *   proxy_queue.c  requests waiting for a backend slot (max_connections)
 *   exchange.c   the buffers of one request and the worker's cache of them
 * These call each other in both directions on purpose (one state machine).
 * Nothing else includes this file: conn.h has the entry points the worker
 * uses.
 *
 * One request, one `struct exchange`: its buffers, its parsers, its
 * backend socket and slot. proxy.c works on an exchange alone and reaches
 * the client through x->ops, the small interface of "the client side":
 * an HTTP/1.1 connection (conn_http.c, one exchange at a time in c->x) or
 * one stream of an HTTP/2 connection (h2_conn.c, one exchange per stream),
 * so both protocols share every rule of the backend side: pick, retries,
 * health, the queue, deadlines, response checks, pooling.
 *
 * Lifetime: an exchange given back (exchange_give) is `gone`; its memory
 * stays valid until the end of the loop batch (cached, or freed deferred),
 * so code that called out through x->ops checks exchange_live(x) before
 * touching it again. Nothing on the way back from an x->ops call takes a
 * new exchange, so a given-back one is never reused under its caller.
 *
 * Memory: an idle keep-alive connection holds only `struct conn` (and its
 * TLS state, which tls_conn_idle() shrinks). The buffers and parsers of a
 * request live in `struct exchange`, taken from a small per-worker cache
 * when bytes arrive and given back when the connection goes idle.
 *
 * Flow control: every buffer is bounded; a side is read only while the
 * buffer it fills has room, so a slow reader stops the fast writer.
 *
 * Deadlines: every state has one. `timer` is the phase's (handshake and
 * head: header_timeout; waiting for a backend slot: queue_timeout;
 * connecting: connect_timeout; the request body: body_timeout windows with
 * body_min_rate; the response: response_timeout; keep-alive and tunnels:
 * idle_timeout; a last answer: header_timeout). `send_timer` runs whenever
 * output for the client is pending and the socket would block
 * (send_timeout): a client that stops reading is cut whatever the phase.
 */
#ifndef RAMPART_GATEWAY_PROXY_CONN_INTERNAL_H
#define RAMPART_GATEWAY_PROXY_CONN_INTERNAL_H

#include "gateway/upstream/backend.h"
#include "gateway/http/http_parse.h"
#include "gateway/http/http_rules.h"
#include "gateway/event/loop.h"
#include "gateway/proxy/conn.h"
#include "gateway/proxy/waitq.h"
#include "gateway/proxy/worker.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CONN_BUF_SIZE         16384                  /* client and backend input buffers */
#define CONN_HEAD_OUT_SIZE    (CONN_BUF_SIZE + 2048) /* a rewritten head: the head + added headers */
#define CONN_LOG_PATH_MAX     256                    /* request target kept for the access log */
#define CONN_LOG_METHOD_MAX   16
#define CONN_EXCHANGE_CACHE   16            /* freed exchanges a worker keeps for reuse */
#define CONN_CONNECT_RETRIES  1             /* a failed connect is retried once, elsewhere */
#define CONN_IDLE_SHRINK_MS   200           /* keep-alive idle this long: buffers freed */
#define CONN_STALE_RETRIES    2             /* reused sockets found closed, replayed */
#define CONN_QUEUE_POLL_MS    10            /* a waiting request looks for a slot freed by another worker */
#define CONN_TRIM_MIN_BYTES   (512u * 1024) /* freed by a worker since its last trim: trim */
#define CONN_TRIM_QUIET_MS    500           /* ... once nothing more was freed for this long */
#define CONN_TRIM_MAX_WAIT_MS 10000         /* ... or this long after it was armed, whatever comes */

/* [start, mid): parsed, waiting to be sent on; [mid, end): not parsed yet. */
struct conn_buf {
    uint32_t start, mid, end;
};

enum conn_state {
    CS_HANDSHAKE, /* TLS handshake */
    CS_IDLE,      /* keep-alive: waiting for a request's first byte */
    CS_HEAD,      /* reading a request head */
    CS_FORWARD,   /* request accepted: backend, bodies, response */
    CS_TUNNEL,    /* after a websocket 101: bytes both ways */
    CS_CLOSING,   /* flushing a last answer, then close */
    CS_H2,        /* HTTP/2: h2_conn.c drives it */
    CS_CLOSED,
};

enum req_phase { RQ_HEAD, RQ_BODY, RQ_DONE };

struct exchange;
struct h2_conn;
struct h2_xstream;

/* The client side of an exchange (see the top of this file). */
struct exchange_ops {
    void (*timer)(struct exchange *x, uint64_t ms);      /* the phase's deadline; 0 clears it */
    void (*reply)(struct exchange *x, unsigned status);  /* a local answer instead of the backend's */
    void (*reject)(struct exchange *x, unsigned status); /* ...of the client's own making (counted) */
    void (*abort)(struct exchange *x);                   /* an answer begun that cannot be finished */
    /* x->resp_h (in x->bin_data) goes to the client: an interim (1xx) or
     * the final head; false when it cannot be written. */
    bool (*head)(struct exchange *x, bool final);
    void (*pump)(struct exchange *x); /* after a backend event */
};
enum resp_phase {
    RS_NONE,
    RS_QUEUED,     /* every backend up is at max_connections: waiting for a slot */
    RS_CONNECTING, /* to the backend */
    RS_WAIT,       /* request going out, response head not in yet */
    RS_BODY,       /* response head sent on, body streaming */
    RS_DONE,
};

struct exchange {
    struct exchange *next_free;
    const struct exchange_ops *ops;
    struct conn *c;        /* the client connection (of the stream, for HTTP/2) */
    struct h2_xstream *xs; /* HTTP/2: the stream; NULL for HTTP/1.1 */
    /* the backend side (proxy.c) */
    struct loop_io *bio; /* backend socket, owned by the pool (backend_pool.h); NULL: none */
    struct backend *backend;
    struct waitq_link queued; /* in the worker's queue for a backend slot */
    uint8_t b_rblk, b_wblk;   /* what the backend socket waits for (as c_rblk in struct conn) */
    bool backend_eof;
    bool backend_connected;
    bool tunnel; /* after a websocket 101: bytes both ways */
    bool gone;   /* given back: see the top of this file */
    struct conn_buf cin, bin, bout, cout;
    struct http_parser req_p, resp_p;
    struct http_head req_h, resp_h;
    struct http_request_info info;
    enum req_phase rq;
    enum resp_phase rs;
    unsigned status;          /* final status sent to the client */
    uint64_t start_us;        /* request head complete, monotonic */
    uint64_t bytes_out;       /* bytes sent to the client for this request */
    uint64_t body_sent;       /* request body bytes sent to the backend */
    uint64_t win_bytes;       /* request body bytes read in the current body window */
    uint64_t backend_took_ms; /* loop time the backend last took request bytes */
    bool win_blocked;         /* ...the client was not read in it: no room (the backend is slow) */
    bool resp_started;        /* a final response head went to the client */
    bool resp_bytes;          /* the backend sent something */
    bool req_sent;            /* a backend took some of the request: replay only if idempotent */
    bool early;               /* final head before the request was all out: stop sending, never pool */
    bool continue_sent;       /* a 100 Continue went to the client */
    bool reused;              /* backend socket came from the pool */
    bool local;               /* the gateway answered itself */
    uint8_t connect_retries, stale_retries;
    const struct backend *exclude; /* queued after a failed connect: not that one again */
    const char *backend_name;      /* for the access log; configs outlive requests */
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    char method[CONN_LOG_METHOD_MAX];
    char path[CONN_LOG_PATH_MAX];
    char cin_data[CONN_BUF_SIZE];
    char bin_data[CONN_BUF_SIZE];
    char bout_data[CONN_HEAD_OUT_SIZE];
    char cout_data[CONN_HEAD_OUT_SIZE];
};

struct conn {
    struct worker *w;
    const struct config *cfg;
    struct conn *prev, *next;     /* the worker's live connections */
    struct loop_io cio;           /* client socket */
    struct loop_timer timer;      /* the current phase's timeout */
    struct loop_timer send_timer; /* output pending and the client not reading: send_timeout */
    struct loop_timer kick;       /* 0 ms: resume a pump that used its share */
    struct tls_conn *tls;         /* NULL on the plain listener */
    struct exchange *x;           /* HTTP/1.1: NULL while idle; HTTP/2: NULL (each stream has one) */
    struct h2_conn *h2;           /* HTTP/2 (ALPN h2): the session and its streams */
    enum conn_state state;
    enum listener_kind kind;
    /* What the socket waits for before the next read/write is worth
     * trying (LOOP_READ/LOOP_WRITE), 0 when it may be tried now. TLS can
     * need a write to finish a read and the reverse. */
    uint8_t c_rblk, c_wblk;
    bool close_after; /* end after the current answer */
    bool idle_shrunk; /* idle buffers given back */
    bool read_muted;  /* READ left on while not reading fired: take it off */
    bool client_eof;
    size_t tls_wlen;     /* length of a TLS write to repeat as is */
    unsigned requests;   /* served on this connection */
    uint16_t local_port; /* of the listener: X-Forwarded-Port */
    struct sockaddr_storage peer;
    char ip[INET6_ADDRSTRLEN];
};

/* Per-worker state of conn.c, hung on worker->conns. */
struct conn_worker {
    struct conn *head;
    struct backend_pool *pool;
    struct exchange *free_x;
    unsigned n_free_x;
    struct waitq queue; /* requests waiting for a backend slot (proxy.c) */
    struct loop_timer
        queue_poll;          /* while it is not empty: every CONN_QUEUE_POLL_MS, or at once on a release */
    uint64_t rng[2];         /* xorshift128+ for request ids */
    bool destroying;         /* drained: freed after this batch */
    uint64_t drain_since_ms; /* when conn_drain was first called; 0 = not draining */
    size_t released;         /* bytes freed since the last trim (conn_trim_note) */
    struct loop_timer trim;  /* pending while released >= CONN_TRIM_MIN_BYTES */
    uint64_t trim_armed_ms;  /* when it was armed (CONN_TRIM_MAX_WAIT_MS) */
    uint64_t trims;          /* heap trims run (tests) */
};

/* exchange.c: per-worker state, request buffers */
/* A fresh exchange for a request of c, answering through ops; NULL when
 * out of memory. */
struct exchange *exchange_take(struct conn *c, const struct exchange_ops *ops);
/* Back to the cache (or freed after this batch); x is `gone`. */
void exchange_give(struct exchange *x);
static inline bool exchange_live(const struct exchange *x)
{
    return x && !x->gone;
}
void conn_exchange_put(struct conn *c);
/* Memory: glibc keeps what a worker frees (record buffers of connections
 * gone idle, exchanges beyond the cache, closed connections) resident in
 * its arena, in holes between live connections' small allocations, so the
 * RSS an operator sees after a burst of connections stays at the burst's
 * peak. Whoever frees a big block notes its size here; once
 * CONN_TRIM_MIN_BYTES are noted, the heap is trimmed (malloc_trim: the free
 * pages of every arena go back to the kernel) when the worker has freed
 * nothing for CONN_TRIM_QUIET_MS, or CONN_TRIM_MAX_WAIT_MS after the first
 * of those frees under a steady churn of connections, whose freed blocks
 * the next handshakes take again (trimming them would only cost page
 * faults): at most one trim per CONN_TRIM_QUIET_MS, and only after frees.
 * The trim also gives back the buffers' pages of the cached exchanges
 * (2 x CONN_EXCHANGE_CACHE x ~70 KiB per relay otherwise resident). */
void conn_trim_note(struct worker *w, size_t bytes);
/* The whole pages of x's four buffers, [start, end): what the trim gives
 * back of a cached exchange (tests). */
void exchange_buffers_range(const struct exchange *x, uintptr_t *start, uintptr_t *end);
void conn_exchange_reset(struct exchange *x);
void conn_release_if_drained(struct worker *w);
uint64_t conn_rng_next(struct conn_worker *cw);
struct conn_worker *conn_worker_of(struct worker *w);
/* Room at the end of b (data holds CONN_BUF_SIZE bytes); when may_move,
 * what was already sent on is dropped from the front first (all of the
 * buffer when nothing waits in it, else when the end is reached). */
bool conn_buf_room(struct conn_buf *b, char *data, bool may_move);
/* How many bytes the next read into b may take, 0 for none now. With
 * record 0: the room at the end (conn_buf_room). With a record size (body
 * and tunnel bytes for a TLS client, tls_conn_record_max): at most what
 * fills the bytes waiting to go out up to one record, so each read leaves
 * as one full record and not as a full one plus a sliver; an emptied
 * buffer starts again at 0, and what waits moves to the front when the
 * rest would not fit. Bytes not parsed yet ([mid, end)) never stop a read. */
uint32_t conn_buf_read_max(struct conn_buf *b, char *data, bool may_move, uint32_t record);

/* conn.c: transport */
void conn_close(struct conn *c); /* logs an unfinished exchange, frees at the end of the batch */
void conn_timer(struct conn *c, uint64_t ms);
void conn_watch(struct conn *c);
void conn_pump(struct conn *c);
/* Client bytes in and out, TLS or plain: > 0 bytes; 0 end of stream /
 * broken; -1 would block (c_rblk / c_wblk say on what). */
ssize_t conn_client_read(struct conn *c, char *buf, size_t len);
ssize_t conn_client_write(struct conn *c, const char *buf, size_t len);
/* send_timeout runs while output is pending and the socket would block. */
void conn_send_deadline(struct conn *c, bool pending, bool progress);

/* conn_http.c: requests and local answers (HTTP/1.1), and what both
 * protocols share */
extern const struct exchange_ops conn_h1_ops;       /* x->ops of an HTTP/1.1 connection's exchange */
struct exchange *conn_exchange_get(struct conn *c); /* its exchange (c->x), or NULL: no memory */
void conn_reply(struct conn *c, unsigned status);
/* A refusal of the client's own making (400/408/413/414/431): counted in
 * the metrics and by the abuse detector, then answered like conn_reply. */
void conn_reject(struct conn *c, unsigned status);
/* ...its counting alone (HTTP/2 answers on its stream). */
void conn_count_reject(struct conn *c, unsigned status);
/* How heads to this client are written: HTTPS (HSTS), close as decided. */
void conn_reply_opts(const struct conn *c, struct http_reply_opts *o);
bool conn_request_parse(struct conn *c);   /* request heads and body framing */
void conn_request_done(struct conn *c);    /* access log + metrics of the exchange */
bool conn_exchange_finish(struct conn *c); /* answer out: next request, idle or close */
/* A parsed request head (x->req_h over x->cin_data): checked, given its
 * request id, rewritten for the backend into bout. 0, or the status to
 * answer. Both protocols. */
unsigned conn_request_prepare(struct exchange *x);
/* Access log line and metrics of x (then it is not logged again). */
void conn_exchange_log(struct exchange *x);
uint64_t conn_mono_us(void);

/* h2_conn.c: HTTP/2 connections (CS_H2) */
bool h2_conn_start(struct conn *c); /* after the handshake chose h2; false: c was closed */
void h2_conn_pump(struct conn *c);
void h2_conn_on_timer(struct conn *c);
void h2_conn_free(struct conn *c);                   /* from conn_close: streams end, logged */
void h2_conn_drain(struct conn *c, bool grace_over); /* GOAWAY, two steps */

/* proxy.c: the backend side of one exchange */
void proxy_start(struct exchange *x);
bool proxy_flush(struct exchange *x); /* request bytes to the backend */
bool proxy_fill(struct exchange *x);  /* read the backend */
bool proxy_parse(struct exchange *x); /* response framing, heads */
void proxy_on_timer(struct exchange *x);
/* Backend socket: pool or close; the backend slot and a queue place are
 * given back too. */
void proxy_release(struct exchange *x, bool reusable);
void proxy_watch(struct exchange *x); /* what the backend socket waits for */
void proxy_backend_event(struct loop *loop, struct loop_io *io, unsigned events);
/* The request body is complete: the response deadline starts. */
void proxy_request_sent(struct exchange *x);
/* b was picked for x (one of its slots is x's): a pooled socket or a new one. */
void proxy_connect_to(struct exchange *x, struct backend *b);
/* No backend for the request and none to wait for: 503, or 502 after a
 * failed connect when others are up. */
unsigned proxy_no_backend_status(const struct backend_set *set, const struct backend *exclude);

/* proxy_queue.c, used by proxy.c */
void proxy_queue_wait(struct exchange *x, const struct backend *exclude); /* or 503 when it cannot */
void proxy_queue_leave(struct exchange *x);                               /* if queued */
void proxy_queue_kick(struct worker *w);                                  /* a slot of w came free */

#endif /* RAMPART_GATEWAY_PROXY_CONN_INTERNAL_H */
