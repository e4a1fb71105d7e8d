/*
 * conn_h2: the HTTP/2 client of fuzz_conn.c (kind FZ_H2: the TLS client
 * of conn_tls.c offering ALPN "h2"), and the oracle on what the gateway
 * sends it. Parts of one fuzz target; names carry fz_h2_.
 *
 * Out: a client preface (one of 8 shapes: standard, windows of 0 or 100
 * bytes, HPACK table 0, large frames, no SETTINGS, a broken magic), then
 * frames built here: HEADERS (HPACK by nghttp2's deflater, split into
 * CONTINUATIONs, padded, with PRIORITY) for tagged requests (the tag in
 * :path, as conn_oracle.h's), their DATA within the windows the gateway
 * gives (or not), END_STREAM or trailers held back until released,
 * malformed requests (RFC 9113 §8.2-8.3: what must never reach a
 * backend), and control frames both well-formed and hostile: SETTINGS,
 * ACKs, WINDOW_UPDATE, RST_STREAM, PING, GOAWAY, PRIORITY, stray
 * CONTINUATION, empty DATA, DATA on closed streams, unknown types, bad
 * HPACK, rapid reset, floods, oversized frames, header blocks left open.
 *
 * In: the gateway's frames, parsed here and header blocks decoded by
 * nghttp2's inflater. Findings (fz_die): a frame larger than we allow, a
 * first frame that is not SETTINGS, a header block that does not decode
 * or is interleaved, PUSH_PROMISE, HEADERS or DATA on a stream the client
 * never opened (unless it sent raw bytes), DATA before a response head
 * or after the stream ended, a final head tagged for another request, a
 * body longer or shorter than its content-length, and body bytes that
 * are not the fake backend's answer to this very stream: its answers'
 * bodies repeat a pattern that starts with the request's tag
 * (fz_shape_body_pattern), so every byte of a tagged answer's body is
 * checked at its offset (unless raw bytes crossed its backend socket:
 * conn_oracle.h's CONN_ORACLE_F_RAW), and any tag in any body must be the
 * stream's own.
 */
#ifndef RAMPART_TESTS_FUZZ_CONN_H2_H
#define RAMPART_TESTS_FUZZ_CONN_H2_H

#include "tests/fuzz/conn_peers.h"

#include <nghttp2/nghttp2.h>

#define FZ_H2_STREAMS  32        /* streams of one client connection the oracle follows at once */
#define FZ_H2_HDR      9         /* frame header */
#define FZ_H2_FRAME    16384     /* SETTINGS_MAX_FRAME_SIZE's default */
#define FZ_H2_WINDOW   65535     /* the initial windows */
#define FZ_H2_TAG_SCAN 24        /* bytes of a tag in a body ("~64.255" and more) */
#define FZ_H2_PATTERN  64        /* a body pattern (fz_shape_body_pattern) */
#define FZ_H2_IN_MAX   (1 << 25) /* frames from the gateway not whole yet (more: a finding) */

struct fz_h2_stream {
    bool used;
    int32_t id;
    unsigned req; /* its tag's B (A is the client's conn); 0: untagged */
    bool head, ws;
    /* the request side */
    size_t unsent, allowed; /* body bytes not sent yet, and of them those released */
    size_t chunk;           /* DATA payload per frame */
    bool end_ok;            /* END_STREAM released */
    bool local_end;         /* ...and sent (or RST_STREAM sent) */
    bool trailers, pad, ignore_window;
    int64_t win;
    /* the response side */
    bool final, remote_end, reset; /* reset: the gateway's RST_STREAM */
    bool reset_out;                /* ours: what the gateway still sends on it is not judged for length */
    int status;
    long tag_conn, tag_req; /* the final head's tag header, -1: none */
    int64_t clen;           /* its content-length, -1: none */
    uint64_t got;           /* body bytes */
    char pat[FZ_H2_PATTERN];
    size_t pat_len; /* > 0: the body must be this pattern, byte for byte */
    char scan[FZ_H2_TAG_SCAN];
    size_t scan_len;
    bool scanning; /* after a '~' in the body: a tag being read */
};

struct fz_h2 {
    struct fz_client *c;
    struct conn_oracle_world *world;
    nghttp2_hd_deflater *def;
    nghttp2_hd_inflater *inf;
    struct fz_h2_stream st[FZ_H2_STREAMS];
    int32_t next_id, max_id; /* the next stream id; the highest opened */
    int64_t conn_win, init_win;
    uint32_t peer_frame; /* the gateway's SETTINGS_MAX_FRAME_SIZE: our frames */
    uint32_t max_in;     /* ours: the gateway's frames */
    bool no_ack, raw, got_settings, goaway;
    struct fz_buf in; /* the gateway's frames not whole yet */
    bool in_block;    /* a header block the gateway began */
    int32_t block_id;
    bool block_end_stream;
    struct fz_buf block;
};

/* The client's h2 state, opened with the client (how: fz_client_open's
 * byte; bits 3-5 the preface, bit 7 no SETTINGS ACK). false: no memory. */
bool fz_h2_open(struct fz *f, struct fz_client *c, uint8_t how);
void fz_h2_close(struct fz_client *c);
/* The ops of an h2 client: a tagged request (a, b, v as for HTTP/1.1,
 * see conn_h2.c), more of held-back bodies, a malformed request, raw
 * bytes (the oracle loosens), a frame of OP_H2. */
void fz_h2_request(struct fz *f, struct fz_client *c, uint8_t a, uint8_t b, uint8_t v);
void fz_h2_release(struct fz_client *c, size_t n);
void fz_h2_smuggle(struct fz *f, struct fz_client *c, uint8_t which);
void fz_h2_raw(struct fz_client *c);
void fz_h2_frame(struct fz *f, struct fz_in *in);
/* DATA the windows allow now, into c->app: true if any. */
bool fz_h2_progress(struct fz_client *c);
/* Plaintext from the gateway. */
void fz_h2_recv(struct fz_client *c, const char *data, size_t len);

#endif /* RAMPART_TESTS_FUZZ_CONN_H2_H */
