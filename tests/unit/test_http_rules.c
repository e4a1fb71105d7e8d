/* Unit tests for gateway/http/http_parse.c + gateway/http/http_rules.c: what the
 * gateway accepts, rejects (with which status) and how it rewrites heads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/http/http_parse.h"
#include "gateway/http/http_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct http_limits test_limits = {
    .max_head = 8192,
    .max_uri = 2048,
    .max_headers = 100,
    .max_body = 1 << 20,
};

struct parsed {
    struct http_parser p;
    struct http_head h;
    struct http_request_info info;
    enum http_feed last;
    size_t head_used;
};

/* Parses a whole raw request (head and body); 0 if forwarded, else the
 * status the gateway answers. */
static unsigned parse_req_lim(struct parsed *r, const char *raw, size_t len, const struct http_limits *lim,
                              bool allow10)
{
    memset(r, 0, sizeof *r);
    http_parser_init(&r->p, HTTP_REQUEST, &r->h, lim);
    http_parser_next(&r->p, raw);
    size_t used;
    r->last = http_parser_feed(&r->p, raw, len, &used);
    if (r->last == HTTP_FEED_ERROR)
        return r->p.status;
    if (r->last != HTTP_FEED_HEAD)
        return 999; /* head incomplete */
    r->head_used = used;
    unsigned st = http_request_check(&r->h, raw, allow10, &r->info);
    if (st)
        return st;
    size_t off = used;
    for (int guard = 0; guard < 100; guard++) {
        r->last = http_parser_feed(&r->p, raw + off, len - off, &used);
        off += used;
        if (r->last == HTTP_FEED_ERROR)
            return r->p.status;
        if (r->last == HTTP_FEED_DONE || r->last == HTTP_FEED_UPGRADE)
            return 0;
        if (used == 0)
            return 998; /* body incomplete */
    }
    return 997;
}

static unsigned parse_req(struct parsed *r, const char *raw)
{
    return parse_req_lim(r, raw, strlen(raw), &test_limits, false);
}

static unsigned status_of(const char *raw)
{
    struct parsed *r = malloc(sizeof *r);
    unsigned st = parse_req(r, raw);
    free(r);
    return st;
}

/* ---- accepted requests ---------------------------------------------------- */

static void test_simple_get(void **state)
{
    (void)state;
    struct parsed r;
    const char *raw = "GET /a/b?c=d HTTP/1.1\r\nHost: www.foobar.com\r\nAccept: */*\r\n\r\n";
    assert_int_equal(parse_req(&r, raw), 0);
    assert_true(http_span_ieq(raw, r.h.method, "get"));
    assert_int_equal(r.h.url.len, strlen("/a/b?c=d"));
    assert_int_equal(r.h.n_headers, 2);
    assert_int_equal(r.h.head_len, strlen(raw));
    assert_int_equal(r.h.body, HTTP_BODY_NONE);
    assert_true(r.h.keep_alive);
    assert_int_equal(r.info.host, 0);
    assert_false(r.info.acme);
}

static void test_content_length_body(void **state)
{
    (void)state;
    struct parsed r;
    const char *raw = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n";
    assert_int_equal(parse_req(&r, raw), 0);
    assert_int_equal(r.h.body, HTTP_BODY_LENGTH);
    assert_int_equal(r.h.content_length, 5);
    assert_int_equal(r.p.body_bytes, 5);
}

static void test_chunked_body(void **state)
{
    (void)state;
    struct parsed r;
    const char *raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\n\r\n";
    assert_int_equal(parse_req(&r, raw), 0);
    assert_int_equal(r.h.body, HTTP_BODY_CHUNKED);
    assert_int_equal(r.p.body_bytes, 8 + 4); /* payload + extension "ext" "1" */
}

static void test_head_split_in_pieces(void **state)
{
    (void)state;
    const char *raw = "GET /split HTTP/1.1\r\nHost: example.org\r\nX-Long-Name: some value\r\n\r\n";
    struct http_parser p;
    struct http_head h;
    http_parser_init(&p, HTTP_REQUEST, &h, &test_limits);
    http_parser_next(&p, raw);
    size_t len = strlen(raw), off = 0, used;
    enum http_feed r = HTTP_FEED_MORE;
    while (off < len && r == HTTP_FEED_MORE) { /* one byte at a time */
        r = http_parser_feed(&p, raw + off, 1, &used);
        off += used;
    }
    assert_int_equal(r, HTTP_FEED_HEAD);
    assert_int_equal(h.head_len, len);
    assert_int_equal(h.n_headers, 2);
    assert_true(http_span_ieq(raw, h.headers[1].name, "x-long-name"));
    assert_true(http_span_ieq(raw, h.headers[1].value, "some value"));
    assert_int_equal(h.url.len, 6);
    r = http_parser_feed(&p, raw + off, 0, &used);
    assert_int_equal(r, HTTP_FEED_DONE);
}

static void test_pipelined_requests(void **state)
{
    (void)state;
    const char *raw = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n";
    struct http_parser p;
    struct http_head h;
    http_parser_init(&p, HTTP_REQUEST, &h, &test_limits);
    http_parser_next(&p, raw);
    size_t used, len = strlen(raw);
    assert_int_equal(http_parser_feed(&p, raw, len, &used), HTTP_FEED_HEAD);
    size_t off = used;
    assert_int_equal(http_parser_feed(&p, raw + off, len - off, &used), HTTP_FEED_DONE);
    off += used;
    assert_int_equal(off, len / 2);
    http_parser_next(&p, raw + off);
    assert_int_equal(http_parser_feed(&p, raw + off, len - off, &used), HTTP_FEED_HEAD);
    assert_true(http_span_ieq(raw + off, h.url, "/2"));
    assert_true(http_span_ieq(raw + off, h.headers[0].value, "b"));
}

static void test_http10_host_optional_when_allowed(void **state)
{
    (void)state;
    struct parsed r;
    const char *raw = "GET / HTTP/1.0\r\n\r\n";
    assert_int_equal(parse_req_lim(&r, raw, strlen(raw), &test_limits, false), 400);
    assert_int_equal(parse_req_lim(&r, raw, strlen(raw), &test_limits, true), 0);
    assert_false(r.h.keep_alive);
}

static void test_expect_and_websocket(void **state)
{
    (void)state;
    struct parsed r;
    assert_int_equal(parse_req(&r, "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                                   "Content-Length: 1\r\n\r\nz"),
                     0);
    assert_true(r.info.expect_continue);
    assert_int_equal(status_of("PUT /x HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n"), 417);
    assert_int_equal(parse_req(&r, "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
                                   "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n"),
                     0);
    assert_true(r.info.websocket);
    assert_int_equal(r.last, HTTP_FEED_UPGRADE);
    assert_int_equal(parse_req(&r, "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                                   "Upgrade: h2c\r\nHTTP2-Settings: AAA\r\n\r\n"),
                     0);
    assert_false(r.info.websocket);
}

static void test_acme_path(void **state)
{
    (void)state;
    struct parsed r;
    assert_int_equal(parse_req(&r, "GET /.well-known/acme-challenge/tok HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    assert_true(r.info.acme);
    assert_int_equal(parse_req(&r, "GET /.well-known/acme-challenge/ HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    assert_false(r.info.acme);
    assert_int_equal(parse_req(&r, "GET /.well-known/other HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    assert_false(r.info.acme);
}

/* ---- rejected requests ---------------------------------------------------- */

static void test_reject_framing(void **state)
{
    (void)state;
    /* both Content-Length and Transfer-Encoding */
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                     400);
    /* duplicate, differing Content-Length */
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                               "Content-Length: 4\r\n\r\nabcd"),
                     400);
    /* Transfer-Encoding whose last coding is not chunked */
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
                     400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), 400);
    /* bad chunk sizes */
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "zz\r\nhello\r\n0\r\n\r\n"),
                     400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "-5\r\nhello\r\n0\r\n\r\n"),
                     400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "fffffffffffffffff\r\n"),
                     400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"), 400);
    /* chunked in HTTP/1.0 */
    assert_int_equal(status_of("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "0\r\n\r\n"),
                     400);
    assert_int_equal(status_of("POST / HTTP/1.0\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"), 0);
}

static void test_reject_bad_bytes(void **state)
{
    (void)state;
    /* obs-fold */
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"), 400);
    /* bare LF, bare CR */
    assert_int_equal(status_of("GET / HTTP/1.1\nHost: a\n\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\n\r\n"), 400);
    /* NUL and control bytes in a header value or name */
    static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n";
    struct parsed r;
    assert_int_equal(parse_req_lim(&r, nul, sizeof nul - 1, &test_limits, false), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01"
                               "c\r\n\r\n"),
                     400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7f"
                               "c\r\n\r\n"),
                     400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX\x01"
                               "A: b\r\n\r\n"),
                     400);
    /* space before the colon, whitespace-led first header */
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
    /* control bytes, spaces and DEL in the request target */
    assert_int_equal(status_of("GET /a\x01"
                               "b HTTP/1.1\r\nHost: a\r\n\r\n"),
                     400);
    assert_int_equal(status_of("GET /a\x7f"
                               "b HTTP/1.1\r\nHost: a\r\n\r\n"),
                     400);
    assert_int_equal(status_of("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    /* garbage request line */
    assert_int_equal(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
}

static void test_reject_host_and_target(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\r\n\r\n"), 400);                       /* no Host */
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400); /* two */
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: \r\n\r\n"), 400);             /* empty */
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a:99999x\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n"), 0);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: www.foobar.com:443\r\n\r\n"), 0);
    /* absolute-form, authority-form, asterisk-form */
    assert_int_equal(status_of("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), 405);
    assert_int_equal(status_of("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    assert_int_equal(status_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    /* versions */
    assert_int_equal(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
}

static void test_limits_boundaries(void **state)
{
    (void)state;
    struct http_limits lim = {.max_head = 256, .max_uri = 64, .max_headers = 4, .max_body = 10};
    struct parsed r;
    char raw[1024];
    /* URI: exactly the limit passes, one more is 414 */
    char uri[80];
    memset(uri, 'a', sizeof uri);
    uri[0] = '/';
    snprintf(raw, sizeof raw, "GET %.*s HTTP/1.1\r\nHost: a\r\n\r\n", 64, uri);
    assert_int_equal(parse_req_lim(&r, raw, strlen(raw), &lim, false), 0);
    snprintf(raw, sizeof raw, "GET %.*s HTTP/1.1\r\nHost: a\r\n\r\n", 65, uri);
    assert_int_equal(parse_req_lim(&r, raw, strlen(raw), &lim, false), 414);
    /* header count: 4 pass, 5 is 431 */
    const char *four = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    assert_int_equal(parse_req_lim(&r, four, strlen(four), &lim, false), 0);
    const char *five = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
    assert_int_equal(parse_req_lim(&r, five, strlen(five), &lim, false), 431);
    /* head size: exactly 256 bytes passes, 257 is 431 */
    const char *pre = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    char vs[300];
    memset(vs, 'v', sizeof vs - 1);
    vs[sizeof vs - 1] = '\0';
    size_t fill = 256 - strlen(pre) - 4;
    snprintf(raw, sizeof raw, "%s%.*s\r\n\r\n", pre, (int)fill, vs);
    assert_int_equal(strlen(raw), 256);
    assert_int_equal(parse_req_lim(&r, raw, strlen(raw), &lim, false), 0);
    snprintf(raw, sizeof raw, "%s%.*s\r\n\r\n", pre, (int)fill + 1, vs);
    assert_int_equal(parse_req_lim(&r, raw, strlen(raw), &lim, false), 431);
    /* body: Content-Length at the limit passes, above is 413 at once */
    const char *b10 = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789";
    assert_int_equal(parse_req_lim(&r, b10, strlen(b10), &lim, false), 0);
    const char *b11 = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
    assert_int_equal(parse_req_lim(&r, b11, strlen(b11), &lim, false), 413);
    /* chunked body growing past the limit */
    const char *c11 = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "6\r\n012345\r\n5\r\n01234\r\n0\r\n\r\n";
    assert_int_equal(parse_req_lim(&r, c11, strlen(c11), &lim, false), 413);
}

/* ---- rewriting ------------------------------------------------------------- */

static char *write_req(const char *raw, const char *ip, bool https)
{
    static struct parsed r;
    static char out[4096];
    assert_int_equal(parse_req(&r, raw), 0);
    struct http_forward f = {.client_ip = ip, .https = https, .new_request_id = "feedbeef"};
    int n = http_request_write(&r.h, raw, &r.info, &f, out, sizeof out - 1);
    assert_true(n > 0);
    out[n] = '\0';
    return out;
}

static void test_request_rewrite_forwarding(void **state)
{
    (void)state;
    const char *out = write_req("GET /p HTTP/1.1\r\nHost: www.foobar.com\r\n"
                                "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: http\r\n"
                                "Forwarded: for=10.0.0.1\r\nAccept: */*\r\n\r\n",
                                "198.18.0.7", true);
    assert_string_equal(out, "GET /p HTTP/1.1\r\nHost: www.foobar.com\r\nAccept: */*\r\n"
                             "X-Forwarded-For: 10.0.0.1, 198.18.0.7\r\n"
                             "X-Forwarded-Proto: https\r\n"
                             "Forwarded: for=10.0.0.1, for=198.18.0.7;proto=https;host=\"www.foobar.com\"\r\n"
                             "X-Real-IP: 198.18.0.7\r\n"
                             "X-Forwarded-Host: www.foobar.com\r\n"
                             "X-Request-Id: feedbeef\r\n\r\n");
    out = write_req("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-123\r\n\r\n", "2001:db8::1", false);
    assert_non_null(strstr(out, "X-Request-Id: abc-123\r\n"));
    assert_null(strstr(out, "feedbeef"));
    assert_non_null(strstr(out, "Forwarded: for=\"[2001:db8::1]\";proto=http;host=\"a\"\r\n"));
    assert_non_null(strstr(out, "X-Forwarded-Proto: http\r\n"));
    /* an unusable client-supplied id is replaced */
    out = write_req("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: a b\r\n\r\n", "1.2.3.4", true);
    assert_non_null(strstr(out, "X-Request-Id: feedbeef\r\n"));
}

/* Issue 10: what a client says about the hop (X-Real-IP, X-Forwarded-Host,
 * X-Forwarded-Port) is dropped and the gateway's own facts go in its
 * place, as nginx's proxy_set_header / HAProxy's set-header do. */
static void test_request_rewrite_overwrites_client_claims(void **state)
{
    (void)state;
    static struct parsed r;
    const char *raw = "GET / HTTP/1.1\r\nHost: www.foobar.com\r\nX-Real-IP: 6.6.6.6\r\n"
                      "x-forwarded-host: evil.example\r\nX-Forwarded-Port: 1\r\nX-REAL-IP: 7.7.7.7\r\n"
                      "X-Forwarded-Proto: http\r\n\r\n";
    assert_int_equal(parse_req(&r, raw), 0);
    struct http_forward f = {.client_ip = "198.18.0.7", .https = true, .port = 443, .new_request_id = "id"};
    char out[2048];
    int n = http_request_write(&r.h, raw, &r.info, &f, out, sizeof out - 1);
    assert_true(n > 0);
    out[n] = '\0';
    const char *gone[] = {"6.6.6.6", "7.7.7.7", "evil.example", "Port: 1\r", "Proto: http\r"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (strstr(out, gone[i]))
            fail_msg("'%s' was passed on:\n%s", gone[i], out);
    assert_non_null(strstr(out, "\r\nX-Real-IP: 198.18.0.7\r\n"));
    assert_non_null(strstr(out, "\r\nX-Forwarded-Host: www.foobar.com\r\n"));
    assert_non_null(strstr(out, "\r\nX-Forwarded-Port: 443\r\n"));
    assert_non_null(strstr(out, "\r\nX-Forwarded-Proto: https\r\n"));
    /* no Host (HTTP/1.0 allowed without): no X-Forwarded-Host */
    raw = "GET / HTTP/1.0\r\n\r\n";
    assert_int_equal(parse_req_lim(&r, raw, strlen(raw), &test_limits, true), 0);
    n = http_request_write(&r.h, raw, &r.info, &f, out, sizeof out - 1);
    out[n] = '\0';
    assert_null(strstr(out, "X-Forwarded-Host"));
    assert_non_null(strstr(out, "X-Real-IP: 198.18.0.7\r\n"));
}

/* Which requests may be replayed on another backend (RFC 9110 9.2.2). */
static void test_idempotent_methods(void **state)
{
    (void)state;
    const char *yes[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};
    const char *no[] = {"POST", "PATCH", "LOCK", "PROPFIND"};
    char raw[128];
    struct parsed r;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(raw, sizeof raw, "%s / HTTP/1.1\r\nHost: a\r\n\r\n", yes[i]);
        assert_int_equal(parse_req(&r, raw), 0);
        assert_true(r.info.idempotent);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(raw, sizeof raw, "%s / HTTP/1.1\r\nHost: a\r\n\r\n", no[i]);
        assert_int_equal(parse_req(&r, raw), 0);
        assert_false(r.info.idempotent);
    }
}

static void test_request_rewrite_hop_by_hop(void **state)
{
    (void)state;
    const char *out =
        write_req("POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret, Content-Length\r\n"
                  "Keep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-T\r\n"
                  "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\n"
                  "X-Secret: 1\r\nUpgrade: h2c\r\nHTTP2-Settings: AA\r\n"
                  "Content-Length: 2\r\nX-Keep: yes\r\n\r\nhi",
                  "1.2.3.4", true);
    const char *gone[] = {"Connection", "Keep-Alive",     "TE:", "Trailer", "Proxy-", "X-Secret",
                          "Upgrade",    "HTTP2-Settings", "h2c"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (strstr(out, gone[i]))
            fail_msg("'%s' was passed on:\n%s", gone[i], out);
    assert_non_null(strstr(out, "Content-Length: 2\r\n")); /* framing never stripped */
    assert_non_null(strstr(out, "X-Keep: yes\r\n"));
}

static void test_request_rewrite_websocket(void **state)
{
    (void)state;
    const char *out = write_req("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                                "Upgrade: websocket\r\nSec-WebSocket-Key: x\r\n\r\n",
                                "1.2.3.4", true);
    assert_non_null(strstr(out, "Upgrade: websocket\r\n"));
    assert_non_null(strstr(out, "Connection: upgrade\r\n"));
    assert_non_null(strstr(out, "Sec-WebSocket-Key: x\r\n"));
}

static void test_request_write_overflow(void **state)
{
    (void)state;
    struct parsed r;
    const char *raw = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(parse_req(&r, raw), 0);
    char out[64];
    struct http_forward f = {.client_ip = "1.2.3.4", .https = true, .new_request_id = "x"};
    assert_int_equal(http_request_write(&r.h, raw, &r.info, &f, out, sizeof out), -1);
}

/* ---- responses ------------------------------------------------------------- */

static int parse_resp(struct http_parser *p, struct http_head *h, const char *raw, bool head_req)
{
    struct http_limits lim = test_limits;
    lim.max_body = 0;
    http_parser_init(p, HTTP_RESPONSE, h, &lim);
    http_parser_next(p, raw);
    p->skip_body = head_req;
    size_t used;
    return http_parser_feed(p, raw, strlen(raw), &used);
}

static void test_response_rewrite(void **state)
{
    (void)state;
    struct http_parser p;
    struct http_head h;
    const char *raw =
        "HTTP/1.1 200 OK\r\nServer: nginx\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
        "Strict-Transport-Security: max-age=1\r\nContent-Length: 3\r\n\r\nabc";
    assert_int_equal(parse_resp(&p, &h, raw, false), HTTP_FEED_HEAD);
    assert_int_equal(h.status, 200);
    assert_int_equal(h.body, HTTP_BODY_LENGTH);
    char out[1024];
    struct http_reply_opts o = {.https = true, .hsts_max_age_s = 31536000, .hsts_subdomains = true};
    int n = http_response_write(&h, raw, &o, out, sizeof out - 1);
    assert_true(n > 0);
    out[n] = '\0';
    assert_string_equal(out, "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 3\r\n"
                             "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n\r\n");
    o.https = false;
    o.close = true;
    n = http_response_write(&h, raw, &o, out, sizeof out - 1);
    out[n] = '\0';
    assert_null(strstr(out, "Strict-Transport"));
    assert_non_null(strstr(out, "Connection: close\r\n"));
}

static void test_response_framing(void **state)
{
    (void)state;
    struct http_parser p;
    struct http_head h;
    assert_int_equal(parse_resp(&p, &h, "HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n", true),
                     HTTP_FEED_HEAD);
    assert_int_equal(h.body, HTTP_BODY_NONE); /* answer to HEAD */
    size_t used;
    assert_int_equal(http_parser_feed(&p, "", 0, &used), HTTP_FEED_DONE);
    assert_int_equal(parse_resp(&p, &h, "HTTP/1.1 200 OK\r\n\r\nabc", false), HTTP_FEED_HEAD);
    assert_int_equal(h.body, HTTP_BODY_TO_EOF);
    assert_false(h.keep_alive);
    assert_true(http_parser_eof(&p));
    assert_int_equal(parse_resp(&p, &h, "HTTP/1.1 204 No Content\r\n\r\n", false), HTTP_FEED_HEAD);
    assert_int_equal(h.body, HTTP_BODY_NONE);
    assert_int_equal(parse_resp(&p, &h, "HTTP/1.1 100 Continue\r\n\r\n", false), HTTP_FEED_HEAD);
    assert_int_equal(h.status, 100);
    assert_int_equal(parse_resp(&p, &h, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false),
                     HTTP_FEED_HEAD);
    assert_int_equal(h.body, HTTP_BODY_CHUNKED);
    assert_int_equal(
        parse_resp(&p, &h, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false),
        HTTP_FEED_ERROR);
}

/* A 1xx goes to the client without framing headers: it has no content. */
static void test_interim_head_without_framing(void **state)
{
    (void)state;
    struct http_parser p;
    struct http_head h;
    const char *raw = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\nContent-Length: 5\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(parse_resp(&p, &h, raw, false), HTTP_FEED_ERROR); /* llhttp: CL + TE */
    raw = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\nContent-Length: 5\r\n\r\n";
    assert_int_equal(parse_resp(&p, &h, raw, false), HTTP_FEED_HEAD);
    char out[512];
    struct http_reply_opts o = {.https = true, .hsts_max_age_s = 60};
    int n = http_response_write(&h, raw, &o, out, sizeof out - 1);
    assert_true(n > 0);
    out[n] = '\0';
    assert_string_equal(out, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n");
}

static void test_replies(void **state)
{
    (void)state;
    char out[1024];
    struct http_reply_opts o = {.https = true, .hsts_max_age_s = 60, .close = true};
    int n = http_reply_error(503, &o, out, sizeof out - 1);
    assert_true(n > 0);
    out[n] = '\0';
    assert_non_null(strstr(out, "HTTP/1.1 503 Service Unavailable\r\n"));
    assert_non_null(strstr(out, "Retry-After: 5\r\n"));
    assert_non_null(strstr(out, "Strict-Transport-Security: max-age=60\r\n"));
    assert_non_null(strstr(out, "Connection: close\r\n"));
    const char *body = strstr(out, "\r\n\r\n") + 4;
    assert_string_equal(body, "503 Service Unavailable\n");
    assert_non_null(strstr(out, "Content-Length: 24\r\n"));
    assert_int_equal(http_reply_error(400, &o, out, 20), -1);
}

/* A backend's HTTP/1.0 answer goes out with our version, HTTP/1.1 (RFC
 * 9110 section 6.2), its code and reason kept: passed on as 1.0 it told a
 * keep-alive client the connection ends (found by fuzz_conn). */
static void test_response_gets_our_version(void **state)
{
    (void)state;
    struct http_parser p;
    struct http_head h;
    const char *raw = "HTTP/1.0 200 Fine Thanks\r\nContent-Length: 2\r\n\r\nok";
    assert_int_equal(parse_resp(&p, &h, raw, false), HTTP_FEED_HEAD);
    char out[512];
    struct http_reply_opts o = {0};
    int n = http_response_write(&h, raw, &o, out, sizeof out - 1);
    assert_true(n > 0);
    out[n] = '\0';
    assert_string_equal(out, "HTTP/1.1 200 Fine Thanks\r\nContent-Length: 2\r\n\r\n");
}

/* A refused HEAD is still known as one (its answer has no content). */
static void test_refused_head_is_known(void **state)
{
    (void)state;
    struct parsed r;
    const char *raw = "HEAD /a HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_int_equal(parse_req(&r, raw), 400);
    assert_true(r.info.head_method);
}

/* The answer to a HEAD is the head alone (RFC 9110 section 9.3.2): a body
 * would be read as the next answer by a keep-alive client (found by
 * tests/fuzz/fuzz_conn.c). Content-Length stays what a GET would get. */
static void test_reply_to_head_has_no_content(void **state)
{
    (void)state;
    char out[1024];
    struct http_reply_opts o = {.head_only = true};
    int n = http_reply_error(504, &o, out, sizeof out - 1);
    assert_true(n > 0);
    out[n] = '\0';
    assert_string_equal(out,
                        "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
                        "Cache-Control: no-store\r\n\r\n");
}

static void test_redirect(void **state)
{
    (void)state;
    struct parsed r;
    char out[1024];
    struct http_reply_opts o = {0};
    const char *raw = "GET /a?b=c HTTP/1.1\r\nHost: www.foobar.com:80\r\n\r\n";
    assert_int_equal(parse_req(&r, raw), 0);
    int n = http_reply_redirect(&r.h, raw, &r.info, &o, out, sizeof out - 1);
    out[n] = '\0';
    assert_non_null(strstr(out, "HTTP/1.1 301 Moved Permanently\r\n"));
    assert_non_null(strstr(out, "Location: https://www.foobar.com/a?b=c\r\n"));
    raw = "POST /form HTTP/1.1\r\nHost: [2001:db8::1]:80\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(parse_req(&r, raw), 0);
    n = http_reply_redirect(&r.h, raw, &r.info, &o, out, sizeof out - 1);
    out[n] = '\0';
    assert_non_null(strstr(out, "HTTP/1.1 308 Permanent Redirect\r\n"));
    assert_non_null(strstr(out, "Location: https://[2001:db8::1]/form\r\n"));
}

static void test_request_id_format(void **state)
{
    (void)state;
    char id[HTTP_REQUEST_ID_LEN + 1];
    http_request_id_format(id, 0x0123456789abcdefULL, 1);
    assert_string_equal(id, "0123456789abcdef0000000000000001");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_content_length_body),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_head_split_in_pieces),
        cmocka_unit_test(test_pipelined_requests),
        cmocka_unit_test(test_http10_host_optional_when_allowed),
        cmocka_unit_test(test_expect_and_websocket),
        cmocka_unit_test(test_acme_path),
        cmocka_unit_test(test_reject_framing),
        cmocka_unit_test(test_reject_bad_bytes),
        cmocka_unit_test(test_reject_host_and_target),
        cmocka_unit_test(test_limits_boundaries),
        cmocka_unit_test(test_request_rewrite_forwarding),
        cmocka_unit_test(test_request_rewrite_overwrites_client_claims),
        cmocka_unit_test(test_idempotent_methods),
        cmocka_unit_test(test_request_rewrite_hop_by_hop),
        cmocka_unit_test(test_request_rewrite_websocket),
        cmocka_unit_test(test_request_write_overflow),
        cmocka_unit_test(test_response_rewrite),
        cmocka_unit_test(test_response_framing),
        cmocka_unit_test(test_interim_head_without_framing),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_reply_to_head_has_no_content),
        cmocka_unit_test(test_refused_head_is_known),
        cmocka_unit_test(test_response_gets_our_version),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_request_id_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
