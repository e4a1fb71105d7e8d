/*
 * h2_limits: the budgets an HTTP/2 client's frames are held to, judged on
 * the raw byte stream before nghttp2 parses it. A small scanner follows
 * the frame headers (9 bytes each, after the 24-byte preface) and sees
 * every frame, including those nghttp2 drops without telling (unknown
 * types, DATA on closed streams, the rest of a refused header block), so
 * no flood hides in frames the library ignores. What it guards:
 *
 *   continuations  CONTINUATION frames in one header block (the 2024
 *                  CONTINUATION flood family, CVE-2024-27316)
 *   header block   bytes of HEADERS + CONTINUATION payload before
 *                  END_HEADERS, however little they decode to
 *   idle frames    frames that move no request forward, in a row: PING,
 *                  SETTINGS, WINDOW_UPDATE, PRIORITY, GOAWAY, unknown
 *                  types, empty DATA without END_STREAM (CVE-2019-9512,
 *                  -9515, -9518, -9513's priority churn)
 *   resets         stream resets per second, a token bucket: RST_STREAM
 *                  from the client (rapid reset, CVE-2023-44487) and the
 *                  resets of our own its requests cause (h2_scan_reset)
 *
 * Progress that starts the idle count again: a complete header block, a
 * DATA frame ending a stream, H2_PROGRESS_BYTES of request body, or as
 * many response bytes sent (h2_scan_progress), so a download's
 * WINDOW_UPDATEs never count against the client but a window dribbled
 * open a byte at a time does.
 *
 * Pure: bytes and the caller's clock in, a verdict out. One scanner per
 * connection, one thread.
 */
#ifndef RAMPART_GATEWAY_HTTP_H2_LIMITS_H
#define RAMPART_GATEWAY_HTTP_H2_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2_PREFACE_LEN       24   /* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */
#define H2_FRAME_HEAD_LEN    9    /* length(24) type(8) flags(8) stream(32) */
#define H2_PROGRESS_BYTES    1024 /* body bytes either way that count as progress */
#define H2_RESET_TOKEN_MILLI 1000 /* one reset, in the bucket's milli-tokens */

enum h2_frame_type {
    H2_FRAME_DATA = 0x0,
    H2_FRAME_HEADERS = 0x1,
    H2_FRAME_PRIORITY = 0x2,
    H2_FRAME_RST_STREAM = 0x3,
    H2_FRAME_SETTINGS = 0x4,
    H2_FRAME_PUSH_PROMISE = 0x5,
    H2_FRAME_PING = 0x6,
    H2_FRAME_GOAWAY = 0x7,
    H2_FRAME_WINDOW_UPDATE = 0x8,
    H2_FRAME_CONTINUATION = 0x9,
};
#define H2_FLAG_END_STREAM  0x1
#define H2_FLAG_END_HEADERS 0x4

enum h2_limit {
    H2_LIMIT_NONE,
    H2_LIMIT_CONTINUATIONS,
    H2_LIMIT_HEADER_BLOCK,
    H2_LIMIT_IDLE_FRAMES,
    H2_LIMIT_RESETS,
    H2_LIMIT_COUNT
};

struct h2_limits_config {
    unsigned max_continuations; /* per header block */
    uint64_t max_header_block;  /* bytes before END_HEADERS */
    unsigned max_idle_frames;   /* frames without progress in a row */
    unsigned max_resets_per_s;  /* bucket size and refill per second */
};

struct h2_scan {
    struct h2_limits_config cfg;
    uint32_t preface_left;
    uint8_t head[H2_FRAME_HEAD_LEN];
    uint8_t head_len;
    uint32_t payload_left;
    bool in_block; /* a header block awaits its END_HEADERS */
    unsigned block_frames;
    uint64_t block_bytes;
    unsigned idle_frames;
    uint64_t body_in, body_out; /* bytes toward the next progress, either way */
    uint64_t reset_milli;       /* tokens in the bucket, x H2_RESET_TOKEN_MILLI */
    uint64_t reset_ms;          /* when the bucket was last filled */
    enum h2_limit hit;          /* sticky: the first budget broken */
    uint64_t frames;            /* frames seen */
};

void h2_scan_init(struct h2_scan *s, const struct h2_limits_config *cfg, uint64_t now_ms);

/* Scans data[0..n). Returns how many of its bytes may be handed on: all
 * of them, or those before the frame that broke a budget (s->hit says
 * which; nothing more is accepted after that). When that frame's header
 * began in an earlier call, its first bytes went on then: the frame is
 * never complete for the parser, which the caller stops. */
size_t h2_scan_feed(struct h2_scan *s, const uint8_t *data, size_t n, uint64_t now_ms);

/* n response body bytes went to the client. */
void h2_scan_progress(struct h2_scan *s, size_t n);

/* The server reset a stream because of what the client sent (a malformed
 * request, a refused stream): it costs a token like the client's own
 * RST_STREAM. false (and hit = H2_LIMIT_RESETS) when none was left. */
bool h2_scan_reset(struct h2_scan *s, uint64_t now_ms);

const char *h2_limit_name(enum h2_limit l); /* "continuations", ... */

#endif /* RAMPART_GATEWAY_HTTP_H2_LIMITS_H */
