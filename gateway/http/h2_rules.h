/*
 * h2_rules: what the gateway decides about the header fields of an HTTP/2
 * request (RFC 9113 §8.2-8.3), the HTTP/1.1 head such a request becomes
 * for a backend, and the HTTP/2 fields of a response head. Pure: fields
 * in, verdicts and bytes out; no nghttp2, no sockets.
 *
 * nghttp2 (with HTTP messaging on) checks most of §8.2-8.3 before a field
 * reaches us; these rules check again, on purpose: the HTTP/1.1 head is
 * built from what passes here, so what keeps H2.CL, H2.TE and CRLF
 * injection away from a backend is this file, tested on its own, whatever
 * the library's version or options. The head built here is then parsed by
 * llhttp and judged by http_rules exactly like an HTTP/1.1 client's head:
 * one set of request rules (Host, request id, forwarding headers,
 * hop-by-hop) for both protocols.
 *
 * The builder writes into one caller buffer: the HTTP/1.1 head grows from
 * the front; pseudo-header values (until the request line can be written)
 * and cookie crumbs (joined into one Cookie line at the end, RFC 9113
 * §8.2.3) are kept at the back. When the two meet the head is too large.
 */
#ifndef RAMPART_GATEWAY_HTTP_H2_RULES_H
#define RAMPART_GATEWAY_HTTP_H2_RULES_H

#include "gateway/http/http_parse.h"
#include "gateway/http/http_rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2_FIELD_OVERHEAD  32                     /* RFC 9113 §6.5.2: per field in the header list size */
#define H2_CONTENT_DIGITS  18                     /* longest content-length accepted (< 2^63) */
#define H2_METHOD_MAX      32                     /* longest :method accepted */
#define H2_RESPONSE_FIELDS (HTTP_MAX_HEADERS + 4) /* :status, ours (HSTS), slack */
#define H2_CHUNK_HEAD_LEN  6                      /* "%04x\r\n": a request body chunk's size line */
#define H2_CHUNK_TAIL_LEN  2                      /* "\r\n" after the chunk data */
#define H2_CHUNK_LAST      "0\r\n\r\n"
#define H2_CHUNK_MAX       0xffff /* what a size line of H2_CHUNK_HEAD_LEN can say */
#define H2_WS_KEY_LEN      24     /* Sec-WebSocket-Key: base64 of 16 random bytes */

enum h2_verdict {
    H2_OK,
    H2_MALFORMED, /* RFC 9113 §8.1.1: a stream error PROTOCOL_ERROR, nothing forwarded */
    H2_TOO_LARGE, /* over the header list size, the field count or the buffer: 431 */
};

/* Pure character rules (RFC 9113 §8.2.1, RFC 9110 §5.1, §5.5). */
bool h2_name_valid(const char *name, size_t len);   /* lowercase token */
bool h2_value_valid(const char *value, size_t len); /* no CTL (HTAB inside is fine), no edge space */
/* Connection-specific fields an HTTP/2 request must not carry (§8.2.2). */
bool h2_name_connection_specific(const char *name, size_t len);

struct h2_span {
    uint32_t off, len; /* into the builder's buffer */
};

struct h2_head {
    char *buf;
    uint32_t cap;
    uint32_t len;  /* head bytes at the front */
    uint32_t tail; /* bytes kept at the back */
    uint64_t list_size;
    uint64_t max_list_size;
    unsigned n_fields, max_fields;
    unsigned n_cookies;
    struct h2_span method, scheme, authority, path, protocol;
    uint8_t pseudo_seen; /* one bit per pseudo-header */
    bool regular_seen;   /* a regular field came: a pseudo-header now is malformed */
    bool line_written;   /* request line (and Host from :authority) at the front */
    bool host_seen;
    bool allow_protocol;            /* extended CONNECT (RFC 8441) is offered */
    bool websocket;                 /* ...and this is one: :protocol websocket */
    char ws_key[H2_WS_KEY_LEN + 1]; /* the Sec-WebSocket-Key for its backend (h2_ws_key_format) */
    int64_t content_length;         /* -1: none */
    uint64_t body_bytes;            /* DATA payload so far */
    enum h2_verdict verdict;        /* sticky: the first problem */
};

/* Starts a request head in buf[0..cap) (cap <= UINT32_MAX). max_list_size:
 * RFC 9113 header list size the fields may reach (pseudo included);
 * max_fields: regular fields. */
void h2_head_init(struct h2_head *h, char *buf, size_t cap, uint64_t max_list_size, unsigned max_fields,
                  bool allow_protocol);

/* One field as decoded (name, value not NUL-terminated). After a verdict
 * other than H2_OK the rest only counts. Returns the sticky verdict. */
enum h2_verdict h2_head_add(struct h2_head *h, const char *name, size_t nlen, const char *value, size_t vlen);

/* How the request body travels to the backend, decided at the end of the
 * head: none (END_STREAM with HEADERS), Content-Length as the client said,
 * or chunked when the client gave no length. */
enum h2_body {
    H2_BODY_NONE,
    H2_BODY_LENGTH,
    H2_BODY_CHUNKED,
    H2_BODY_TUNNEL, /* a WebSocket (extended CONNECT): raw bytes both ways once the backend said 101 */
};

/* The head is complete (END_HEADERS). end_stream: HEADERS carried
 * END_STREAM. Writes the request line if still missing, the Cookie line,
 * the body framing and the final CRLF; *body says which framing. Returns
 * the verdict; on H2_OK the HTTP/1.1 head is buf[0..h->len).
 *
 * WebSockets (RFC 8441): an extended CONNECT with :protocol websocket
 * becomes the HTTP/1.1 upgrade request (GET :path, Connection: upgrade,
 * Upgrade: websocket, h->ws_key as Sec-WebSocket-Key; the client's
 * Sec-WebSocket-Version, -Protocol and -Extensions pass as they are), with
 * *body H2_BODY_TUNNEL; any other :protocol is malformed. */
enum h2_verdict h2_head_finish(struct h2_head *h, bool end_stream, enum h2_body *body);

/* DATA payload of n bytes arrived: H2_MALFORMED once more than the
 * content-length came (§8.1.1). */
enum h2_verdict h2_head_body(struct h2_head *h, uint64_t n);
/* END_STREAM: H2_MALFORMED if fewer bytes than the content-length came. */
enum h2_verdict h2_head_body_end(const struct h2_head *h);

/* ---- the request body as chunks --------------------------------------------------- */
/*
 * A body without content-length goes to the backend chunked. Chunks are
 * written into the request buffer as DATA arrives; the size line of the
 * newest chunk has a fixed width (leading zeros are valid, RFC 9112 §7.1),
 * so DATA that arrives before that chunk started leaving is added to it in
 * place: at most two chunks are ever buffered, whatever the frame sizes,
 * so the framing costs at most H2_CHUNK_SLACK bytes of the buffer.
 */
#define H2_CHUNK_SLACK (2 * (H2_CHUNK_HEAD_LEN + H2_CHUNK_TAIL_LEN) + sizeof H2_CHUNK_LAST)

struct h2_chunker {
    uint32_t open_at;  /* offset of the newest chunk's size line in the buffer */
    uint32_t open_len; /* its data bytes */
    bool open;         /* a chunk is open: its closing CRLF is still to come */
    bool locked;       /* ...and its size line left already: it never grows again */
};

void h2_chunker_init(struct h2_chunker *k);
/* Appends n payload bytes at buf[*end] (cap bytes in all), in chunk
 * framing; sent: how far the buffer has been sent on (bytes before it may
 * not change). false when they do not fit (the caller's window is wrong). */
bool h2_chunker_add(struct h2_chunker *k, char *buf, uint32_t cap, uint32_t *end, uint32_t sent,
                    const char *p, size_t n);
/* The last chunk ("0\r\n\r\n"), closing the open one first. */
bool h2_chunker_end(struct h2_chunker *k, char *buf, uint32_t cap, uint32_t *end);
/* Moves the chunker's offsets when the buffer's first `by` bytes were dropped. */
void h2_chunker_shift(struct h2_chunker *k, uint32_t by);

/* Flow control of a request body: the stream's window is `window` (<=
 * cap - H2_CHUNK_SLACK), `received` payload bytes came, `consumed` of them
 * were given back to the client as window, `unsent` bytes (payload and
 * framing) wait in the buffer of `cap` bytes. How many more bytes may be
 * given back now so that whatever the client may still send fits. */
uint64_t h2_body_credit(uint32_t cap, uint32_t unsent, uint64_t received, uint64_t consumed, uint32_t window);

/* 16 random bytes (two words) as a Sec-WebSocket-Key, NUL-terminated. */
void h2_ws_key_format(char out[H2_WS_KEY_LEN + 1], uint64_t a, uint64_t b);

/* ---- response heads for an HTTP/2 client ---------------------------------------------- */

struct h2_field {
    const char *name, *value;
    size_t nlen, vlen;
};

/* The fields of a response head for an HTTP/2 client: ":status", the
 * backend's headers (names lowercased into scratch) minus hop-by-hop,
 * connection-specific and Strict-Transport-Security ones, then ours
 * (HSTS on HTTPS). A 101 to a WebSocket (o->websocket) is ":status 200"
 * without Sec-WebSocket-Accept (RFC 8441 §5). Values point into base or
 * scratch. Their count, or -1 when out (max fields) or scratch (scap
 * bytes) is too small. */
int h2_response_fields(const struct http_head *h, const char *base, const struct http_reply_opts *o,
                       struct h2_field *out, size_t max, char *scratch, size_t scap);

#endif /* RAMPART_GATEWAY_HTTP_H2_RULES_H */
