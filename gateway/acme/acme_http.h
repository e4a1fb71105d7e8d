/*
 * acme_http: the ACME process's HTTPS requests, with libcurl, and nothing
 * else of it: one easy handle (its connection kept between requests), set
 * up so that a server, honest or not, cannot take more than its bounds:
 *
 *   - https only, TLS verified (peer and host name) against the CA given
 *     as PEM text (acme_ca_file, read before the sandbox: no file is
 *     opened for a handshake), no proxy from the environment;
 *   - no redirect followed (a 3xx is an answer, the order machine refuses
 *     it); ACME never redirects;
 *   - deadlines: the connection (ACME_HTTP_CONNECT_MS), the whole request
 *     (ACME_HTTP_TIMEOUT_MS), and a server that trickles (below
 *     ACME_HTTP_LOW_SPEED bytes/s for ACME_HTTP_LOW_SPEED_S) is cut;
 *   - bounded answers: a body over the request's bound (acme_req.body_max)
 *     ends the transfer (ACME_FAIL_TOO_BIG), headers over
 *     ACME_HTTP_HEADER_MAX bytes each are ignored.
 *
 * The headers ACME reads are kept: Replay-Nonce, Location, Retry-After
 * (seconds, or an HTTP date). Not thread-safe: one handle, one thread.
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_HTTP_H
#define RAMPART_GATEWAY_ACME_ACME_HTTP_H

#include "gateway/acme/acme_order.h"

#define ACME_HTTP_CONNECT_MS  10000
#define ACME_HTTP_TIMEOUT_MS  30000
#define ACME_HTTP_LOW_SPEED   64 /* bytes per second ... */
#define ACME_HTTP_LOW_SPEED_S 10 /* ... for this long: the server is too slow */
#define ACME_HTTP_HEADER_MAX  1024
#define ACME_HTTP_CA_MAX      (512 * 1024) /* the CA file, PEM */
#define ACME_HTTP_USER_AGENT  "rampart-acme/" RAMPART_VERSION
#define ACME_HTTP_ERR_MAX     320 /* what libcurl says of a failed request, with its code */

struct acme_http;

/* ca_pem: PEM text of the CA certificates that verify the server (copied).
 * NULL with err when libcurl cannot be set up. timeout_ms 0: the default. */
struct acme_http *acme_http_new(const char *ca_pem, size_t ca_len, long timeout_ms, char *err,
                                size_t err_len);
void acme_http_free(struct acme_http *h);

/* One request (GET, HEAD, or a POST of body as application/jose+json).
 * Fills *resp: transport ACME_FAIL_COUNT and the status when an answer
 * came; resp's pointers stay valid until the next call. err says what
 * libcurl said when no answer came. */
void acme_http_do(struct acme_http *h, enum acme_req_kind kind, const char *url, const char *body,
                  size_t body_max, struct acme_resp *resp, char *err, size_t err_len);

/* Retry-After's value (RFC 9110 section 10.2.3): seconds from now, or -1
 * when it is neither a number nor an HTTP date. Pure. */
long acme_http_retry_after(const char *value, int64_t now_s);

#endif /* RAMPART_GATEWAY_ACME_ACME_HTTP_H */
