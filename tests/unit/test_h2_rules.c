/*
 * Unit tests for gateway/http/h2_rules.c: which HTTP/2 request fields are
 * malformed (RFC 9113 §8.2-8.3), the HTTP/1.1 head a request becomes (and
 * that llhttp and http_rules accept it as an HTTP/1.1 client's), the
 * request body's chunk framing, and response heads turned into fields.
 * The smuggling classes (H2.CL, H2.TE, CRLF/NUL injection, pseudo-header
 * misuse) each have a case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/http/h2_rules.h"
#include "gateway/http/http_parse.h"
#include "gateway/http/http_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF      4096
#define LIST_MAX 16384
#define FIELDS   100

struct req {
    struct h2_head h;
    char buf[BUF];
};

static void start(struct req *r, size_t cap)
{
    h2_head_init(&r->h, r->buf, cap, LIST_MAX, FIELDS, false);
}

static enum h2_verdict add(struct req *r, const char *name, const char *value)
{
    return h2_head_add(&r->h, name, strlen(name), value, strlen(value));
}

static enum h2_verdict add_n(struct req *r, const char *name, const char *value, size_t vlen)
{
    return h2_head_add(&r->h, name, strlen(name), value, vlen);
}

/* :method GET, :scheme https, :authority, :path. */
static void get(struct req *r, const char *path)
{
    start(r, BUF);
    assert_int_equal(add(r, ":method", "GET"), H2_OK);
    assert_int_equal(add(r, ":scheme", "https"), H2_OK);
    assert_int_equal(add(r, ":authority", "www.rampart.test"), H2_OK);
    assert_int_equal(add(r, ":path", path), H2_OK);
}

/* Finishes and compares the HTTP/1.1 head. */
static void expect_head(struct req *r, bool end_stream, enum h2_body want_body, const char *want)
{
    enum h2_body body;
    assert_int_equal(h2_head_finish(&r->h, end_stream, &body), H2_OK);
    assert_int_equal(body, want_body);
    assert_int_equal(r->h.len, strlen(want));
    assert_memory_equal(r->buf, want, strlen(want));
}

static enum h2_verdict finish(struct req *r, bool end_stream)
{
    enum h2_body body;
    return h2_head_finish(&r->h, end_stream, &body);
}

/* ---- the head an HTTP/1.1 backend gets ------------------------------------------------- */

static void test_get_becomes_http11_head(void **state)
{
    (void)state;
    struct req r;
    get(&r, "/a?b=1");
    assert_int_equal(add(&r, "user-agent", "curl/8"), H2_OK);
    assert_int_equal(add(&r, "accept", "*/*"), H2_OK);
    expect_head(&r, true, H2_BODY_NONE,
                "GET /a?b=1 HTTP/1.1\r\nhost: www.rampart.test\r\nuser-agent: curl/8\r\naccept: */*\r\n\r\n");
}

/* The head passes llhttp (strict) and http_request_check like a client's,
 * and http_request_write makes the usual forwarded head of it. */
static void test_head_passes_http11_rules(void **state)
{
    (void)state;
    struct req r;
    get(&r, "/x");
    assert_int_equal(add(&r, "x-request-id", "abc"), H2_OK);
    enum h2_body body;
    assert_int_equal(h2_head_finish(&r.h, true, &body), H2_OK);
    struct http_limits lim = {.max_head = BUF, .max_uri = BUF, .max_headers = FIELDS};
    struct http_parser p;
    struct http_head hh;
    http_parser_init(&p, HTTP_REQUEST, &hh, &lim);
    http_parser_next(&p, r.buf);
    size_t used;
    assert_int_equal(http_parser_feed(&p, r.buf, r.h.len, &used), HTTP_FEED_HEAD);
    assert_int_equal(used, r.h.len);
    struct http_request_info info;
    assert_int_equal(http_request_check(&hh, r.buf, false, &info), 0);
    assert_true(info.host >= 0 && info.request_id >= 0);
    char out[BUF];
    struct http_forward f = {.client_ip = "198.18.0.1", .https = true, .new_request_id = "unused"};
    int n = http_request_write(&hh, r.buf, &info, &f, out, sizeof out);
    assert_true(n > 0);
    out[n] = '\0';
    assert_non_null(strstr(out, "GET /x HTTP/1.1\r\nhost: www.rampart.test\r\nx-request-id: abc\r\n"));
    assert_non_null(strstr(out, "X-Forwarded-Proto: https\r\n"));
}

static void test_body_framing(void **state)
{
    (void)state;
    struct req r;
    start(&r, BUF);
    add(&r, ":method", "POST");
    add(&r, ":scheme", "https");
    add(&r, ":authority", "h");
    add(&r, ":path", "/up");
    add(&r, "content-length", "10");
    expect_head(&r, false, H2_BODY_LENGTH, "POST /up HTTP/1.1\r\nhost: h\r\ncontent-length: 10\r\n\r\n");
    assert_int_equal(h2_head_body(&r.h, 4), H2_OK);
    assert_int_equal(h2_head_body_end(&r.h), H2_MALFORMED); /* 4 of 10 */
    assert_int_equal(h2_head_body(&r.h, 6), H2_OK);
    assert_int_equal(h2_head_body_end(&r.h), H2_OK);
    assert_int_equal(h2_head_body(&r.h, 1), H2_MALFORMED); /* one more than announced */

    /* no length and more to come: chunked */
    start(&r, BUF);
    add(&r, ":method", "POST");
    add(&r, ":scheme", "https");
    add(&r, ":path", "/up");
    add(&r, "host", "h");
    expect_head(&r, false, H2_BODY_CHUNKED,
                "POST /up HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n");
    assert_int_equal(h2_head_body(&r.h, 1000), H2_OK);
    assert_int_equal(h2_head_body_end(&r.h), H2_OK);
}

static void test_cookies_joined_in_order(void **state)
{
    (void)state;
    struct req r;
    get(&r, "/");
    add(&r, "cookie", "a=1");
    add(&r, "accept", "x");
    add(&r, "cookie", "b=2");
    add(&r, "cookie", "c=3");
    expect_head(&r, true, H2_BODY_NONE,
                "GET / HTTP/1.1\r\nhost: www.rampart.test\r\naccept: x\r\ncookie: a=1; b=2; c=3\r\n\r\n");
}

static void test_host_and_authority(void **state)
{
    (void)state;
    struct req r;
    get(&r, "/");
    assert_int_equal(add(&r, "host", "WWW.rampart.test"), H2_OK); /* the same, another case: one line */
    expect_head(&r, true, H2_BODY_NONE, "GET / HTTP/1.1\r\nhost: www.rampart.test\r\n\r\n");

    get(&r, "/");
    assert_int_equal(add(&r, "host", "evil.test"), H2_MALFORMED);
    get(&r, "/");
    add(&r, "host", "www.rampart.test");
    assert_int_equal(add(&r, "host", "www.rampart.test"), H2_MALFORMED);

    /* Host alone is the authority (RFC 9113 §8.3.1) */
    start(&r, BUF);
    add(&r, ":method", "GET");
    add(&r, ":scheme", "https");
    add(&r, ":path", "/");
    add(&r, "host", "www.rampart.test");
    expect_head(&r, true, H2_BODY_NONE, "GET / HTTP/1.1\r\nhost: www.rampart.test\r\n\r\n");
}

/* Plain CONNECT becomes an HTTP/1.1 CONNECT, which http_request_check
 * refuses (405) as for HTTP/1.1 clients. */
static void test_connect(void **state)
{
    (void)state;
    struct req r;
    start(&r, BUF);
    add(&r, ":method", "CONNECT");
    add(&r, ":authority", "db.internal:3306");
    expect_head(&r, true, H2_BODY_NONE,
                "CONNECT db.internal:3306 HTTP/1.1\r\nhost: db.internal:3306\r\n\r\n");

    start(&r, BUF);
    add(&r, ":method", "CONNECT");
    add(&r, ":authority", "a:1");
    add(&r, ":path", "/");
    assert_int_equal(finish(&r, true), H2_MALFORMED); /* CONNECT has no :path */

    start(&r, BUF);
    add(&r, ":method", "CONNECT");
    add(&r, ":scheme", "https");
    add(&r, ":authority", "a");
    add(&r, ":path", "/chat");
    assert_int_equal(add(&r, ":protocol", "websocket"), H2_MALFORMED); /* not offered */
}

static void expect_field(const struct h2_field *f, const char *name, const char *value);

static void extended_connect(struct req *r, const char *protocol)
{
    h2_head_init(&r->h, r->buf, BUF, LIST_MAX, FIELDS, true);
    h2_ws_key_format(r->h.ws_key, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
    add(r, ":method", "CONNECT");
    add(r, ":protocol", protocol);
    add(r, ":scheme", "https");
    add(r, ":authority", "www.rampart.test");
    add(r, ":path", "/chat?room=1");
}

/* RFC 8441: an extended CONNECT for a WebSocket becomes the HTTP/1.1
 * upgrade request, with a Sec-WebSocket-Key of ours; the client's version
 * and subprotocols pass; a key of its own is dropped. */
static void test_websocket_becomes_upgrade(void **state)
{
    (void)state;
    struct req r;
    extended_connect(&r, "websocket");
    assert_int_equal(add(&r, "sec-websocket-version", "13"), H2_OK);
    assert_int_equal(add(&r, "sec-websocket-protocol", "chat"), H2_OK);
    assert_int_equal(add(&r, "sec-websocket-key", "not-for-h2"), H2_OK);
    expect_head(&r, false, H2_BODY_TUNNEL,
                "GET /chat?room=1 HTTP/1.1\r\nhost: www.rampart.test\r\nsec-websocket-version: 13\r\n"
                "sec-websocket-protocol: chat\r\nconnection: upgrade\r\nupgrade: websocket\r\n"
                "sec-websocket-key: AAECAwQFBgcICQoLDA0ODw==\r\n\r\n");
    /* ... which http_rules reads as a WebSocket upgrade */
    struct http_limits lim = {.max_head = BUF, .max_uri = BUF, .max_headers = FIELDS};
    struct http_parser p;
    struct http_head hh;
    http_parser_init(&p, HTTP_REQUEST, &hh, &lim);
    http_parser_next(&p, r.buf);
    size_t used;
    assert_int_equal(http_parser_feed(&p, r.buf, r.h.len, &used), HTTP_FEED_HEAD);
    struct http_request_info info;
    assert_int_equal(http_request_check(&hh, r.buf, false, &info), 0);
    assert_true(info.websocket);

    extended_connect(&r, "h3-datagram");
    assert_int_equal(r.h.verdict, H2_MALFORMED); /* WebSockets only */
    extended_connect(&r, "websocket");
    assert_int_equal(finish(&r, true), H2_MALFORMED); /* a tunnel cannot end with its head */
    extended_connect(&r, "websocket");
    add(&r, "content-length", "5");
    assert_int_equal(finish(&r, false), H2_MALFORMED);
    h2_head_init(&r.h, r.buf, BUF, LIST_MAX, FIELDS, true);
    add(&r, ":method", "GET");
    add(&r, ":protocol", "websocket");
    add(&r, ":scheme", "https");
    add(&r, ":path", "/");
    assert_int_equal(finish(&r, false), H2_MALFORMED); /* :protocol needs CONNECT */
}

/* The backend's 101 is a 200 to the HTTP/2 client, without the accept key. */
static void test_websocket_101_becomes_200(void **state)
{
    (void)state;
    const char *raw =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
    struct http_head hh;
    struct http_limits lim = {.max_head = BUF, .max_uri = BUF, .max_headers = FIELDS};
    struct http_parser p;
    http_parser_init(&p, HTTP_RESPONSE, &hh, &lim);
    http_parser_next(&p, raw);
    size_t used;
    assert_int_equal(http_parser_feed(&p, raw, strlen(raw), &used), HTTP_FEED_HEAD);
    struct http_reply_opts o = {.websocket = true};
    struct h2_field f[H2_RESPONSE_FIELDS];
    char scratch[BUF];
    assert_int_equal(h2_response_fields(&hh, raw, &o, f, H2_RESPONSE_FIELDS, scratch, sizeof scratch), 2);
    expect_field(&f[0], ":status", "200");
    expect_field(&f[1], "sec-websocket-protocol", "chat");
}

/* ---- malformed requests ------------------------------------------------------------------ */

static void test_pseudo_header_misuse(void **state)
{
    (void)state;
    struct req r;
    get(&r, "/");
    add(&r, "accept", "x");
    assert_int_equal(add(&r, ":path", "/again"), H2_MALFORMED); /* after a regular field */

    start(&r, BUF);
    add(&r, ":method", "GET");
    assert_int_equal(add(&r, ":method", "POST"), H2_MALFORMED); /* twice */

    start(&r, BUF);
    assert_int_equal(add(&r, ":status", "200"), H2_MALFORMED); /* a response's */
    start(&r, BUF);
    assert_int_equal(add(&r, ":foo", "bar"), H2_MALFORMED); /* unknown */
    start(&r, BUF);
    assert_int_equal(add(&r, ":path", ""), H2_MALFORMED); /* empty */

    const char *const missing[] = {":method", ":scheme", ":path"};
    for (unsigned skip = 0; skip < 3; skip++) {
        start(&r, BUF);
        if (skip != 0)
            add(&r, ":method", "GET");
        if (skip != 1)
            add(&r, ":scheme", "https");
        if (skip != 2)
            add(&r, ":path", "/");
        add(&r, ":authority", "h");
        assert_int_equal(finish(&r, true), H2_MALFORMED);
        (void)missing;
    }
}

static void test_bad_names(void **state)
{
    (void)state;
    const char *const names[] = {"Accept", "x foo", "x:foo", "", "x\r\nhost", "x\0y", "caf\xc3\xa9"};
    const size_t lens[] = {6, 5, 5, 0, 8, 3, 5};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct req r;
        get(&r, "/");
        assert_int_equal(h2_head_add(&r.h, names[i], lens[i], "v", 1), H2_MALFORMED);
        assert_int_equal(finish(&r, true), H2_MALFORMED); /* sticky */
    }
    assert_true(h2_name_valid("x-custom_1.a~!", 14));
}

static void test_bad_values(void **state)
{
    (void)state;
    const char *const values[] = {
        "a\r\nx-injected: 1", "a\nb", "a\rb", " lead", "trail\t", "del\x7f", "bell\x07"};
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct req r;
        get(&r, "/");
        assert_int_equal(add(&r, "x-v", values[i]), H2_MALFORMED);
    }
    struct req r;
    get(&r, "/");
    assert_int_equal(add_n(&r, "x-v", "nul\0x", 5), H2_MALFORMED);
    get(&r, "/");
    assert_int_equal(add(&r, "x-v", "inner space\tand tab, obs-text \xe9"), H2_OK);
    assert_int_equal(add(&r, "x-empty", ""), H2_OK);
    assert_int_equal(finish(&r, true), H2_OK);
}

static void test_connection_specific_fields(void **state)
{
    (void)state;
    const char *const names[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                 "upgrade"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct req r;
        get(&r, "/");
        assert_int_equal(add(&r, names[i], "x"), H2_MALFORMED);
    }
    struct req r;
    get(&r, "/");
    assert_int_equal(add(&r, "te", "trailers"), H2_OK); /* the one te allowed; hop-by-hop, dropped */
    expect_head(&r, true, H2_BODY_NONE, "GET / HTTP/1.1\r\nhost: www.rampart.test\r\n\r\n");
    get(&r, "/");
    assert_int_equal(add(&r, "te", "gzip"), H2_MALFORMED);
}

static void test_bad_pseudo_values(void **state)
{
    (void)state;
    const char *const paths[] = {"/a b", "/a\r\nx: y", "a", "http://evil/", "/a#frag", "**", "/\x80"};
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct req r;
        start(&r, BUF);
        assert_int_equal(add(&r, ":path", paths[i]), H2_MALFORMED);
    }
    struct req r;
    start(&r, BUF);
    assert_int_equal(add(&r, ":method", "GET /x HTTP/1.1\r\n"), H2_MALFORMED);
    start(&r, BUF);
    assert_int_equal(add(&r, ":authority", "user@host"), H2_MALFORMED); /* userinfo */
    start(&r, BUF);
    assert_int_equal(add(&r, ":authority", "a b"), H2_MALFORMED);
    start(&r, BUF);
    assert_int_equal(add(&r, ":method", "M234567890123456789012345678901234"), H2_MALFORMED); /* > 32 */
    start(&r, BUF);
    assert_int_equal(add(&r, ":method", "OPTIONS"), H2_OK);
    assert_int_equal(add(&r, ":path", "*"), H2_OK);
}

/* H2.CL: a length that is not one plain number, two lengths, or a body
 * longer than announced never reaches a backend. */
static void test_h2_cl_smuggling(void **state)
{
    (void)state;
    const char *const bad[] = {"1,1", "+5", "5 ", "0x10", "", "-1", "1234567890123456789"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct req r;
        get(&r, "/");
        assert_int_equal(add(&r, "content-length", bad[i]), H2_MALFORMED);
    }
    struct req r;
    get(&r, "/");
    add(&r, "content-length", "1");
    assert_int_equal(add(&r, "content-length", "1"), H2_MALFORMED);

    get(&r, "/");
    add(&r, "content-length", "5");
    assert_int_equal(finish(&r, true), H2_MALFORMED); /* END_STREAM with HEADERS, 5 announced */

    get(&r, "/");
    add(&r, "content-length", "0");
    assert_int_equal(finish(&r, false), H2_OK);
    assert_int_equal(h2_head_body(&r.h, strlen("GET /admin HTTP/1.1\r\n")), H2_MALFORMED);
}

/* H2.TE: transfer-encoding in any form is malformed. */
static void test_h2_te_smuggling(void **state)
{
    (void)state;
    struct req r;
    get(&r, "/");
    assert_int_equal(add(&r, "transfer-encoding", "chunked"), H2_MALFORMED);
    get(&r, "/");
    assert_int_equal(add(&r, "transfer-encoding", "identity"), H2_MALFORMED);
}

/* ---- limits ------------------------------------------------------------------------------- */

static void test_list_size_boundary(void **state)
{
    (void)state;
    /* the four pseudo fields of get() cost this much */
    uint64_t base = (7 + 3 + 32) + (7 + 5 + 32) + (10 + 16 + 32) + (5 + 1 + 32);
    char value[200];
    memset(value, 'v', sizeof value);
    struct req r;
    h2_head_init(&r.h, r.buf, BUF, base + 1 + 100 + 32, FIELDS, false);
    add(&r, ":method", "GET");
    add(&r, ":scheme", "https");
    add(&r, ":authority", "www.rampart.test");
    add(&r, ":path", "/");
    assert_int_equal(add_n(&r, "x", value, 100), H2_OK); /* exactly the limit */
    assert_int_equal(finish(&r, true), H2_OK);

    h2_head_init(&r.h, r.buf, BUF, base + 1 + 100 + 32, FIELDS, false);
    add(&r, ":method", "GET");
    add(&r, ":scheme", "https");
    add(&r, ":authority", "www.rampart.test");
    add(&r, ":path", "/");
    assert_int_equal(add_n(&r, "x", value, 101), H2_TOO_LARGE); /* one over */
    assert_int_equal(add(&r, "y", "z"), H2_TOO_LARGE);          /* later fields only count */
    assert_true(r.h.list_size > base + 1 + 101 + 32);
}

static void test_field_count_boundary(void **state)
{
    (void)state;
    struct req r;
    h2_head_init(&r.h, r.buf, BUF, LIST_MAX, 3, false);
    add(&r, ":method", "GET");
    add(&r, ":scheme", "https");
    add(&r, ":path", "/");
    assert_int_equal(add(&r, "a", "1"), H2_OK);
    assert_int_equal(add(&r, "b", "1"), H2_OK);
    assert_int_equal(add(&r, "c", "1"), H2_OK); /* the third: the limit */
    assert_int_equal(add(&r, "d", "1"), H2_TOO_LARGE);
}

/* The head and the kept values share the caller's buffer: a crumb waits
 * at the back (with its 2-byte length) until the Cookie line is written. */
static void test_buffer_boundary(void **state)
{
    (void)state;
    const char *want = "GET / HTTP/1.1\r\nhost: h\r\ncookie: a=1\r\n\r\n";
    size_t exact = strlen(want) + strlen("a=1") + 2;
    struct req r;
    for (size_t cap = exact - 1; cap <= exact; cap++) {
        h2_head_init(&r.h, r.buf, cap, LIST_MAX, FIELDS, false);
        add(&r, ":method", "GET");
        add(&r, ":scheme", "https");
        add(&r, ":authority", "h");
        add(&r, ":path", "/");
        add(&r, "cookie", "a=1");
        enum h2_body body;
        assert_int_equal(h2_head_finish(&r.h, true, &body), cap == exact ? H2_OK : H2_TOO_LARGE);
    }
    assert_memory_equal(r.buf, want, strlen(want));
}

/* ---- the request body in chunks ---------------------------------------------------------- */

static void test_chunks_merge_until_sent(void **state)
{
    (void)state;
    char buf[256];
    uint32_t end = 0;
    struct h2_chunker k;
    h2_chunker_init(&k);
    assert_true(h2_chunker_add(&k, buf, sizeof buf, &end, 0, "abc", 3));
    assert_true(h2_chunker_add(&k, buf, sizeof buf, &end, 0, "defg", 4)); /* same chunk */
    assert_true(h2_chunker_add(&k, buf, sizeof buf, &end, 3, "hi", 2));   /* its line is leaving: new */
    assert_true(h2_chunker_end(&k, buf, sizeof buf, &end));
    const char *want = "0007\r\nabcdefg\r\n0002\r\nhi\r\n0\r\n\r\n";
    assert_int_equal(end, strlen(want));
    assert_memory_equal(buf, want, end);

    /* llhttp reads it as a valid chunked body of 9 bytes */
    char msg[512];
    int n = snprintf(msg, sizeof msg, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n%.*s",
                     (int)end, buf);
    struct http_limits lim = {.max_head = 512, .max_uri = 512, .max_headers = 10};
    struct http_parser p;
    struct http_head hh;
    http_parser_init(&p, HTTP_REQUEST, &hh, &lim);
    http_parser_next(&p, msg);
    size_t used, off = 0;
    assert_int_equal(http_parser_feed(&p, msg, (size_t)n, &used), HTTP_FEED_HEAD);
    off = used;
    assert_int_equal(http_parser_feed(&p, msg + off, (size_t)n - off, &used), HTTP_FEED_DONE);
    assert_int_equal(p.body_bytes, 9);
}

static void test_chunk_room_boundary(void **state)
{
    (void)state;
    char buf[64];
    struct h2_chunker k;
    size_t reserve = H2_CHUNK_TAIL_LEN + sizeof H2_CHUNK_LAST - 1;
    size_t most = sizeof buf - H2_CHUNK_HEAD_LEN - reserve;
    char data[64];
    memset(data, 'x', sizeof data);
    uint32_t end = 0;
    h2_chunker_init(&k);
    assert_false(h2_chunker_add(&k, buf, sizeof buf, &end, 0, data, most + 1));
    assert_int_equal(end, 0);
    assert_true(h2_chunker_add(&k, buf, sizeof buf, &end, 0, data, most));
    assert_true(h2_chunker_end(&k, buf, sizeof buf, &end));
    assert_int_equal(end, sizeof buf);
}

/* A client that keeps to its window never overflows the buffer, whatever
 * its frame sizes and however slowly the backend takes the bytes: the
 * framing stays within H2_CHUNK_SLACK and h2_body_credit gives back only
 * what then still fits. */
static void test_chunked_body_within_window(void **state)
{
    (void)state;
    enum { CAP = 1024 };
    char buf[CAP];
    const uint32_t window = CAP - H2_CHUNK_SLACK;
    struct h2_chunker k;
    h2_chunker_init(&k);
    uint32_t end = 0, sent = 0;
    uint64_t received = 0, consumed = 0, peak = 0;
    char data[CAP];
    memset(data, 'd', sizeof data);
    srand(7);
    for (int i = 0; i < 200000; i++) {
        uint64_t may = window - (received - consumed);
        size_t n = may ? (size_t)(rand() % (rand() % 2 ? 3 : (int)may + 1)) : 0;
        if (n > may)
            n = (size_t)may;
        if (n + H2_CHUNK_SLACK > CAP - end) { /* what left is dropped, as the request buffer does */
            memmove(buf, buf + sent, end - sent);
            h2_chunker_shift(&k, sent);
            end -= sent;
            sent = 0;
        }
        assert_true(h2_chunker_add(&k, buf, CAP, &end, sent, data, n));
        received += n;
        uint32_t step = (uint32_t)(rand() % 7);
        sent = sent + step > end ? end : sent + step;
        consumed += h2_body_credit(CAP, end - sent, received, consumed, window);
        assert_true(consumed <= received);
        peak = end - sent > peak ? end - sent : peak;
    }
    assert_true(peak > window / 2);                  /* the buffer was really used */
    assert_true(h2_chunker_end(&k, buf, CAP, &end)); /* the last chunk always fits */
}

/* With nothing waiting, the whole window is given back; with the buffer
 * full, nothing. */
static void test_body_credit_boundary(void **state)
{
    (void)state;
    const uint32_t cap = 1000, window = cap - H2_CHUNK_SLACK;
    assert_int_equal(h2_body_credit(cap, 0, 500, 0, window), 500);
    assert_int_equal(h2_body_credit(cap, 10, 500, 0, window), 490);
    assert_int_equal(h2_body_credit(cap, window, window, 0, window), 0);
    assert_int_equal(h2_body_credit(cap, cap, window, 0, window), 0); /* more than the room: never negative */
    assert_int_equal(h2_body_credit(cap, 0, 500, 500, window), 0);
}

/* ---- response heads ------------------------------------------------------------------------ */

static void parse_response(const char *raw, struct http_head *hh)
{
    struct http_limits lim = {.max_head = BUF, .max_uri = BUF, .max_headers = FIELDS};
    struct http_parser p;
    http_parser_init(&p, HTTP_RESPONSE, hh, &lim);
    http_parser_next(&p, raw);
    size_t used;
    assert_int_equal(http_parser_feed(&p, raw, strlen(raw), &used), HTTP_FEED_HEAD);
}

static void expect_field(const struct h2_field *f, const char *name, const char *value)
{
    assert_int_equal(f->nlen, strlen(name));
    assert_memory_equal(f->name, name, f->nlen);
    assert_int_equal(f->vlen, strlen(value));
    assert_memory_equal(f->value, value, f->vlen);
}

static void test_response_fields(void **state)
{
    (void)state;
    const char *raw = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: keep-alive, X-Hop\r\n"
                      "X-Hop: 1\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n"
                      "Strict-Transport-Security: max-age=1\r\nSet-Cookie: a=1\r\nUpgrade: h2c\r\n\r\n";
    struct http_head hh;
    parse_response(raw, &hh);
    struct http_reply_opts o = {.https = true, .hsts_max_age_s = 31536000};
    struct h2_field f[H2_RESPONSE_FIELDS];
    char scratch[BUF];
    int n = h2_response_fields(&hh, raw, &o, f, H2_RESPONSE_FIELDS, scratch, sizeof scratch);
    assert_int_equal(n, 4);
    expect_field(&f[0], ":status", "200");
    expect_field(&f[1], "content-type", "text/html");
    expect_field(&f[2], "set-cookie", "a=1");
    expect_field(&f[3], "strict-transport-security", "max-age=31536000");

    assert_int_equal(h2_response_fields(&hh, raw, &o, f, 3, scratch, sizeof scratch), -1);
    assert_int_equal(h2_response_fields(&hh, raw, &o, f, H2_RESPONSE_FIELDS, scratch, 10), -1);
}

static void test_interim_response_has_no_hsts(void **state)
{
    (void)state;
    const char *raw = "HTTP/1.1 100 Continue\r\n\r\n";
    struct http_head hh;
    parse_response(raw, &hh);
    struct http_reply_opts o = {.https = true, .hsts_max_age_s = 60};
    struct h2_field f[H2_RESPONSE_FIELDS];
    char scratch[64];
    assert_int_equal(h2_response_fields(&hh, raw, &o, f, H2_RESPONSE_FIELDS, scratch, sizeof scratch), 1);
    expect_field(&f[0], ":status", "100");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_becomes_http11_head),
        cmocka_unit_test(test_head_passes_http11_rules),
        cmocka_unit_test(test_body_framing),
        cmocka_unit_test(test_cookies_joined_in_order),
        cmocka_unit_test(test_host_and_authority),
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_websocket_becomes_upgrade),
        cmocka_unit_test(test_websocket_101_becomes_200),
        cmocka_unit_test(test_pseudo_header_misuse),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_connection_specific_fields),
        cmocka_unit_test(test_bad_pseudo_values),
        cmocka_unit_test(test_h2_cl_smuggling),
        cmocka_unit_test(test_h2_te_smuggling),
        cmocka_unit_test(test_list_size_boundary),
        cmocka_unit_test(test_field_count_boundary),
        cmocka_unit_test(test_buffer_boundary),
        cmocka_unit_test(test_chunks_merge_until_sent),
        cmocka_unit_test(test_chunk_room_boundary),
        cmocka_unit_test(test_chunked_body_within_window),
        cmocka_unit_test(test_body_credit_boundary),
        cmocka_unit_test(test_response_fields),
        cmocka_unit_test(test_interim_response_has_no_hsts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
