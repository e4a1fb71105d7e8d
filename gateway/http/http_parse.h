/*
 * http_parse: incremental HTTP/1.x message parsing over llhttp in strict
 * mode (no lenient flag is ever set). It records where the head's parts lie
 * in the caller's buffer (no copies), stops right after the head so the
 * caller can check and rewrite it, then tracks the body's framing so the
 * caller can forward the body's raw bytes (chunk framing included) without
 * buffering it, and stops again at the end of the message. Every message
 * starts from a freshly reset llhttp (http_parser_next), so nothing of one
 * message (an upgrade, a close) carries into the next.
 *
 * Chunk extensions and trailer fields are forwarded raw with the body but
 * never recorded; they are bounded (HTTP_CHUNK_EXT_MAX, HTTP_TRAILER_MAX)
 * and count towards max_body like the payload, so framing cannot carry an
 * unbounded body past the limit.
 *
 * Pure: no sockets, no clocks. Used for requests (client side) and
 * responses (backend side).
 */
#ifndef RAMPART_GATEWAY_HTTP_HTTP_PARSE_H
#define RAMPART_GATEWAY_HTTP_HTTP_PARSE_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS   128   /* header lines kept per head; above: 431 */
#define HTTP_HEAD_LIMIT    65535 /* a head never exceeds this (16-bit offsets) */
#define HTTP_CHUNK_EXT_MAX 256   /* chunk-extension bytes on one chunk-size line; above: 400 */
#define HTTP_TRAILER_MAX   4096  /* bytes of a chunked body's trailer fields; above: 431 */

struct http_span {
    uint16_t off, len; /* into the buffer the head was parsed from */
};

struct http_header {
    struct http_span name, value;
};

enum http_body {
    HTTP_BODY_NONE,
    HTTP_BODY_LENGTH,  /* Content-Length bytes */
    HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked */
    HTTP_BODY_TO_EOF,  /* response delimited by the connection's close */
};

struct http_head {
    struct http_span method, url;
    unsigned status;      /* responses */
    uint8_t major, minor; /* version */
    bool keep_alive;      /* llhttp's verdict from version + Connection */
    bool upgrade;         /* Connection: upgrade + Upgrade (or 101) */
    enum http_body body;
    uint64_t content_length;
    uint32_t head_len; /* bytes of the head, final CRLF included */
    unsigned n_headers;
    struct http_header headers[HTTP_MAX_HEADERS];
};

/* Limits applied while parsing; 0 means "no limit" only for max_body. */
struct http_limits {
    uint32_t max_head; /* whole head, bytes (<= HTTP_HEAD_LIMIT) */
    uint32_t max_uri;
    unsigned max_headers; /* <= HTTP_MAX_HEADERS */
    uint64_t max_body;
};

enum http_feed {
    HTTP_FEED_MORE,    /* everything consumed, message not finished */
    HTTP_FEED_HEAD,    /* head complete: inspect `head`, then feed on */
    HTTP_FEED_DONE,    /* message complete; bytes after it are the next one */
    HTTP_FEED_UPGRADE, /* message complete and the connection changes protocol */
    HTTP_FEED_ERROR,   /* bad message: `status` says which answer (400, 413, ...) */
};

enum http_phase { HTTP_PHASE_HEAD, HTTP_PHASE_BODY, HTTP_PHASE_DONE };

struct http_parser {
    llhttp_t ll;
    struct http_head *head;
    const char *base; /* buffer the current head is parsed from */
    struct http_limits lim;
    uint64_t body_bytes;    /* payload + chunk extensions + trailers so far */
    uint32_t ext_bytes;     /* chunk extensions of the current chunk-size line */
    uint32_t trailer_bytes; /* trailer fields so far */
    unsigned status;        /* error answer once HTTP_FEED_ERROR */
    enum http_phase phase;
    bool skip_body; /* response to HEAD: no body whatever the head says */
    bool in_value;
    bool url_done;
    /* Payload only (an HTTP/2 client gets DATA, not chunks): set sink to
     * the data about to be fed and sink_len to 0; after the feed the body
     * payload it held is sink[0..sink_len), in order, and what follows
     * `used` is untouched. NULL: nothing moves. */
    char *sink;
    size_t sink_len;
};

/* type: HTTP_REQUEST or HTTP_RESPONSE. `head` is filled by the parser. */
void http_parser_init(struct http_parser *p, llhttp_type_t type, struct http_head *head,
                      const struct http_limits *lim);

/* Starts the next message (keep-alive, or the final response after a 1xx):
 * its head must begin at `base`. Resets llhttp, so the state a previous
 * message left (upgrade, close, an unfinished body) is gone. */
void http_parser_next(struct http_parser *p, const char *base);

/* Feeds data[0..len) (for a head, `data` must lie within the buffer given
 * to http_parser_next, the head's bytes contiguous from `base`). *used tells
 * how many bytes belong to what was parsed; feed the rest again later. */
enum http_feed http_parser_feed(struct http_parser *p, const char *data, size_t len, size_t *used);

/* The peer closed: true when that ends a body delimited by EOF. */
bool http_parser_eof(struct http_parser *p);

/* Compares a span with a lowercase literal, ignoring case. */
bool http_span_ieq(const char *base, struct http_span s, const char *lower);

/* Index of the first header named `lower` (case-insensitive) from `from`,
 * or -1. */
int http_head_find(const struct http_head *h, const char *base, const char *lower, unsigned from);

/* "llhttp 9.2.1": the parser library built in, for --version. */
const char *http_parse_library_version(void);

#endif /* RAMPART_GATEWAY_HTTP_HTTP_PARSE_H */
