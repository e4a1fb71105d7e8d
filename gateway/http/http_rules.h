/*
 * http_rules: what the gateway decides about a parsed message head, and the
 * heads it writes. Pure: heads in, verdicts and bytes out; no sockets.
 *
 *   http_request_check    a request head -> 0 (forward) or the error status
 *   http_request_write    the head sent to the backend: hop-by-hop headers
 *                         removed; X-Forwarded-For and Forwarded appended to;
 *                         X-Forwarded-Proto, -Host, -Port and X-Real-IP
 *                         overwritten (a client's own copies are dropped, as
 *                         nginx's proxy_set_header and HAProxy's set-header
 *                         do); X-Request-Id added when missing
 *   http_response_write   the head sent to the client: hop-by-hop removed,
 *                         Strict-Transport-Security, Connection as decided
 *   http_reply_error      a short canned answer (400, 408, 502, 503, ...)
 *   http_reply_redirect   the plain listener's 301/308 to https://
 */
#ifndef RAMPART_GATEWAY_HTTP_HTTP_RULES_H
#define RAMPART_GATEWAY_HTTP_HTTP_RULES_H

#include "gateway/http/http_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HOST_MAX       255 /* longest Host value accepted */
#define HTTP_REQUEST_ID_MAX 128 /* longest X-Request-Id passed on as is */
#define HTTP_REQUEST_ID_LEN 32  /* generated ids: 32 hex digits */
#define HTTP_ACME_PREFIX    "/.well-known/acme-challenge/"

/* Facts about a request found by the check. */
struct http_request_info {
    int host;             /* header index of Host, -1 if none */
    int request_id;       /* header index of a usable X-Request-Id, -1 if none */
    bool websocket;       /* GET with Connection: upgrade + Upgrade: websocket */
    bool expect_continue; /* Expect: 100-continue */
    bool head_method;     /* HEAD: the response has no body */
    bool idempotent;      /* GET HEAD OPTIONS TRACE PUT DELETE (RFC 9110 9.2.2): may be replayed */
    bool acme;            /* path under /.well-known/acme-challenge/ */
};

/* 0 when the request may be forwarded, else the status to answer. */
unsigned http_request_check(const struct http_head *h, const char *base, bool allow_http10_without_host,
                            struct http_request_info *info);

struct http_forward {
    const char *client_ip;      /* "198.18.0.1" or "2001:db8::1" */
    bool https;                 /* listener the request came in on */
    unsigned port;              /* ...and its port (X-Forwarded-Port; 0: not added) */
    const char *new_request_id; /* used when the request has none */
};

/* Writes the backend's request head into out; its length, or -1 if it
 * does not fit in cap. */
int http_request_write(const struct http_head *h, const char *base, const struct http_request_info *info,
                       const struct http_forward *f, char *out, size_t cap);

struct http_reply_opts {
    bool https;              /* add Strict-Transport-Security */
    uint64_t hsts_max_age_s; /* 0: no HSTS */
    bool hsts_subdomains;
    bool close;         /* the client connection ends after this answer */
    bool client_http10; /* a 1.0 client that keeps alive needs it said */
    bool websocket;     /* a 101 for a websocket upgrade: keep Upgrade */
    bool head_only;     /* answering a HEAD: the head without its content (RFC 9110 section 9.3.2) */
};

/* A 1xx head (but 101) goes out without Content-Length and
 * Transfer-Encoding: it has no content (RFC 9110 section 15.2), and a
 * client must not be led to read one. */
int http_response_write(const struct http_head *h, const char *base, const struct http_reply_opts *o,
                        char *out, size_t cap);

/* Short text answer, e.g. "HTTP/1.1 400 Bad Request" + "400 Bad Request\n".
 * 503 carries Retry-After. */
int http_reply_error(unsigned status, const struct http_reply_opts *o, char *out, size_t cap);

/* 301 (GET, HEAD) or 308 (others, which must keep their method) to
 * https:// + the Host without its port + the request target. */
int http_reply_redirect(const struct http_head *h, const char *base, const struct http_request_info *info,
                        const struct http_reply_opts *o, char *out, size_t cap);

const char *http_status_reason(unsigned status);

/* Hop-by-hop: the fixed list (Connection, Keep-Alive, TE, Trailer,
 * Proxy-Connection, Upgrade, HTTP2-Settings) and any header a Connection
 * header names (never Content-Length, Transfer-Encoding or Host). */
bool http_header_hop_by_hop(const struct http_head *h, const char *base, struct http_span name);

/* The Strict-Transport-Security value the options ask for ("max-age=N" and
 * "; includeSubDomains"), NUL-terminated: its length, 0 for none. */
#define HTTP_HSTS_VALUE_MAX 64
int http_hsts_value(const struct http_reply_opts *o, char *out, size_t cap);

/* Fills HTTP_REQUEST_ID_LEN hex digits + NUL from two random words. */
void http_request_id_format(char out[HTTP_REQUEST_ID_LEN + 1], uint64_t a, uint64_t b);

#endif /* RAMPART_GATEWAY_HTTP_HTTP_RULES_H */
