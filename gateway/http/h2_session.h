/*
 * h2_session: the HTTP/2 protocol engine of one client connection.
 * nghttp2 does the framing, HPACK, flow control and stream states (HTTP
 * messaging checks on); every client byte first passes h2_limits' budgets
 * and every request field h2_rules' checks, which build the HTTP/1.1 head
 * the request becomes. Bytes in, bytes out, calls to the owner for each
 * request: no sockets, no clock of its own (the caller's now_ms), so unit
 * tests drive it with an nghttp2 client in the same process.
 *
 * Streams: the owner keeps one object per request stream with a struct
 * h2_stream in it (ops->open allocates it and calls h2_session_stream_init
 * with the buffer the HTTP/1.1 head is built in, and puts a fresh
 * Sec-WebSocket-Key in st->head.ws_key); the session hands it back in
 * every call and calls ops->close exactly once when nghttp2 is done with
 * the stream (the owner frees it then, not before). Extended CONNECT
 * (RFC 8441, SETTINGS_ENABLE_CONNECT_PROTOCOL) is offered for WebSockets:
 * such a request's body is H2_BODY_TUNNEL.
 *
 * Flow control, request side: the stream window is `stream_window`, at
 * most the owner's buffer less H2_CHUNK_SLACK; windows are given back only
 * as the owner's buffer empties (h2_session_body_sent), so a client never
 * gets to send more than fits, and a slow backend stops the client. The
 * connection window is H2_CONN_WINDOW. Response side: the owner's
 * ops->body is asked for bytes only while the client's windows are open;
 * the owner stops reading its backend while its buffer is full.
 *
 * Errors: a malformed request is RST_STREAM PROTOCOL_ERROR (counted
 * against the reset budget, never reported to the owner as a request);
 * a broken budget is GOAWAY ENHANCE_YOUR_CALM; a broken protocol GOAWAY
 * with nghttp2's code. After h2_session_recv returned -1 or
 * h2_session_done() is true, the owner flushes h2_session_send() and
 * closes. ops->event reports every RST_STREAM and GOAWAY either way and
 * every limit hit, for the metrics and the abuse detector.
 *
 * One session, one thread. Callbacks run inside h2_session_recv and
 * h2_session_send; the owner may submit (respond, reset, resume) from
 * them, except from ops->body.
 */
#ifndef RAMPART_GATEWAY_HTTP_H2_SESSION_H
#define RAMPART_GATEWAY_HTTP_H2_SESSION_H

#include "gateway/http/h2_limits.h"
#include "gateway/http/h2_rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2_CONN_WINDOW       (1u << 20) /* request body bytes in flight to one connection */
#define H2_DEFLATE_TABLE     4096       /* HPACK table for our responses */
#define H2_MAX_OUTBOUND_ACKS 100        /* SETTINGS/PING acks queued for a client that does not read */
#define H2_MAX_SETTINGS      32         /* entries in one SETTINGS frame */
#define H2_GOAWAY_FRAME_LEN  (9 + 8)    /* a GOAWAY without debug data */
#define H2_STALL_MAX         16384      /* a DATA frame's payload (SETTINGS_MAX_FRAME_SIZE, never raised) */

/* RFC 9113 §7 error codes. */
enum h2_error {
    H2_NO_ERROR = 0x0,
    H2_PROTOCOL_ERROR = 0x1,
    H2_INTERNAL_ERROR = 0x2,
    H2_FLOW_CONTROL_ERROR = 0x3,
    H2_SETTINGS_TIMEOUT = 0x4,
    H2_STREAM_CLOSED = 0x5,
    H2_FRAME_SIZE_ERROR = 0x6,
    H2_REFUSED_STREAM = 0x7,
    H2_CANCEL = 0x8,
    H2_COMPRESSION_ERROR = 0x9,
    H2_CONNECT_ERROR = 0xa,
    H2_ENHANCE_YOUR_CALM = 0xb,
    H2_INADEQUATE_SECURITY = 0xc,
    H2_HTTP_1_1_REQUIRED = 0xd,
    H2_ERROR_CODES /* codes above are counted as this one */
};
const char *h2_error_name(uint32_t code); /* "PROTOCOL_ERROR"; "UNKNOWN" above the list */

struct h2_settings {
    unsigned max_concurrent_streams;
    uint32_t header_table_size;    /* HPACK table the client may use */
    uint32_t max_header_list_size; /* RFC 9113 §6.5.2 */
    unsigned max_fields;           /* regular fields per request */
    uint32_t stream_window;        /* <= the owner's buffer - H2_CHUNK_SLACK */
    struct h2_limits_config limits;
};

struct h2_stream {
    struct h2_stream *prev, *next; /* the session's open streams */
    int32_t id;
    struct h2_head head;
    enum h2_body body;
    uint32_t buf_cap;  /* of the owner's request buffer */
    uint64_t received; /* request body bytes */
    uint64_t consumed; /* ...given back as window */
    bool rejected;     /* reset by us: the rest of its frames are ignored */
    bool started;      /* ops->request was called */
    bool responded;    /* a final response was submitted */
};

/* What the session reports for counting (arg: the error code, or an
 * enum h2_session_limit). */
enum h2_event {
    H2_EV_RST_SENT,
    H2_EV_RST_RECEIVED,
    H2_EV_GOAWAY_SENT,
    H2_EV_GOAWAY_RECEIVED,
    H2_EV_LIMIT,
};

/* Every limit an h2 connection is held to, as counted on /metrics; the
 * first ones are h2_limits' budgets. */
enum h2_session_limit {
    H2_HIT_CONTINUATIONS = H2_LIMIT_CONTINUATIONS,
    H2_HIT_HEADER_BLOCK = H2_LIMIT_HEADER_BLOCK,
    H2_HIT_IDLE_FRAMES = H2_LIMIT_IDLE_FRAMES,
    H2_HIT_RESETS = H2_LIMIT_RESETS,
    H2_HIT_CONCURRENT_STREAMS = H2_LIMIT_COUNT, /* a stream refused */
    H2_HIT_HEADER_LIST,                         /* a request head over max_header_list_size: 431 */
    H2_HIT_HPACK,                               /* COMPRESSION_ERROR: table size or a bad block */
    H2_HIT_FLOOD,                               /* nghttp2's own backstops: ack queue, continuations */
    H2_HIT_FIRST_STREAM_TIMEOUT,                /* the owner's deadlines, counted by the owner */
    H2_HIT_IDLE_TIMEOUT,
    H2_HIT_SEND_TIMEOUT,
    H2_HIT_COUNT
};
const char *h2_session_limit_name(enum h2_session_limit l);

struct h2_session_ops {
    /* A request stream opens: the owner's stream (after
     * h2_session_stream_init), or NULL to refuse it (REFUSED_STREAM). */
    struct h2_stream *(*open)(void *owner, int32_t id);
    /* Its head is complete: status 0, the HTTP/1.1 head is in
     * st->head.buf[0..st->head.len) and st->body says how the body
     * travels; or a status to answer locally (431). */
    void (*request)(void *owner, struct h2_stream *st, unsigned status);
    /* Request body payload: how much the owner took. Less than n only
     * when a client sent before it applied our SETTINGS (the default
     * 65535-byte window): the session then stalls (see h2_session_recv). */
    size_t (*data)(void *owner, struct h2_stream *st, const uint8_t *p, size_t n);
    /* The client's side of the stream ended (END_STREAM). */
    void (*end)(void *owner, struct h2_stream *st);
    /* The stream is gone; code is the reset's (H2_NO_ERROR when it ended
     * normally). The owner frees st now. */
    void (*close)(void *owner, struct h2_stream *st, uint32_t code);
    /* Up to n response body bytes into buf; *eof when they end the body.
     * 0 without eof: none yet (h2_session_resume when there are). */
    size_t (*body)(void *owner, struct h2_stream *st, uint8_t *buf, size_t n, bool *eof);
    void (*event)(void *owner, enum h2_event ev, uint32_t arg);
};

struct h2_session;

/* A server session that has queued its SETTINGS and connection window.
 * NULL when out of memory. */
struct h2_session *h2_session_new(const struct h2_settings *set, const struct h2_session_ops *ops,
                                  void *owner, uint64_t now_ms);
/* Frees the session; streams still open are closed (ops->close) first. */
void h2_session_free(struct h2_session *s);

/* For ops->open: st answers for stream id; its HTTP/1.1 head is built in
 * buf[0..cap), which afterwards holds the request body. */
void h2_session_stream_init(struct h2_session *s, struct h2_stream *st, int32_t id, char *buf, size_t cap);

/* Client bytes: *used of them were taken. 0, or -1 when the connection is
 * over (a GOAWAY is queued: flush h2_session_send, then close). Fewer
 * than n taken: the session stalls on a request body the owner had no
 * room for (the rest of that DATA frame, at most H2_STALL_MAX bytes, is
 * kept here); the caller keeps data[*used..n), reads no more, and feeds
 * them again once h2_session_unstall() says the stall is over. */
int h2_session_recv(struct h2_session *s, const uint8_t *data, size_t n, uint64_t now_ms, size_t *used);
/* Offers the stalled bytes to the owner again (call it when a stalled
 * stream's buffer emptied). true when nothing is stalled any more. */
bool h2_session_unstall(struct h2_session *s);
bool h2_session_stalled(const struct h2_session *s);
/* Frames to send, copied into out: their length (0: none now). */
size_t h2_session_send(struct h2_session *s, uint8_t *out, size_t cap);
bool h2_session_want_write(const struct h2_session *s);
/* Nothing more to read or write: the connection may close. */
bool h2_session_done(const struct h2_session *s);
unsigned h2_session_open_streams(const struct h2_session *s);
/* Nothing in flight: the pages of nghttp2's frame buffer go back to the
 * kernel until the next frame (an idle connection then costs ~9 KiB of
 * nghttp2 state instead of ~25). Does nothing while output is pending. */
void h2_session_idle(struct h2_session *s);
/* The client has sent something beyond its connection preface (the
 * first stream opened). */
bool h2_session_any_stream(const struct h2_session *s);

/* A response head (fields from h2_response_fields); body: DATA follows
 * through ops->body. Interim (1xx) heads with final = false. 0 or -1. */
int h2_session_respond(struct h2_session *s, struct h2_stream *st, const struct h2_field *f, size_t n,
                       bool final, bool body);
/* More response bytes wait for ops->body. */
void h2_session_resume(struct h2_session *s, struct h2_stream *st);
/* The owner's request buffer now holds `unsent` bytes: the window given
 * back follows (h2_body_credit). */
void h2_session_body_sent(struct h2_session *s, struct h2_stream *st, uint32_t unsent);
void h2_session_reset(struct h2_session *s, struct h2_stream *st, uint32_t code);

/* Graceful close, two steps (RFC 9113 §6.8): first a GOAWAY naming the
 * highest stream id, so requests in flight keep coming; then (a round
 * trip later) the final GOAWAY with the last stream taken. Streams
 * already open finish either way. */
void h2_session_shutdown_notice(struct h2_session *s);
void h2_session_goaway(struct h2_session *s, uint32_t code);

#endif /* RAMPART_GATEWAY_HTTP_H2_SESSION_H */
