/*
 * Unit tests for gateway/http/h2_session.c: a session driven in memory,
 * by an nghttp2 client session for ordinary exchanges and by hand-built
 * frames (HPACK blocks from nghttp2's deflater) for the attacks. Each
 * attack asserts the exact frame the gateway answers with (RST_STREAM or
 * GOAWAY and its code), that the owner never saw a request, and that the
 * connection still serves (stream errors) or ends (connection errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/http/h2_session.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0          100000
#define MAX_STREAMS 8
#define STREAM_BUF  4096
#define OUT_MAX     (1 << 20)

/* ---- the owner: records requests, answers "hello" ------------------------------------------ */

struct tstream {
    struct h2_stream st;
    char buf[STREAM_BUF];
    bool used, ended;
    unsigned status;
    char head[STREAM_BUF];
    size_t body_in, pending;
    const char *reply;
    size_t reply_off;
};

struct owner {
    struct tstream streams[MAX_STREAMS];
    struct h2_session *s;
    unsigned requests, closes, limits[H2_HIT_COUNT];
    uint32_t last_close_code;
    unsigned rst_sent[H2_ERROR_CODES], goaway_sent[H2_ERROR_CODES];
    bool answer;    /* answer each request at once */
    bool hold_body; /* keep request bodies (never "send" them on) */
};

static struct tstream *tstream_of(struct h2_stream *st)
{
    return (struct tstream *)((char *)st - offsetof(struct tstream, st));
}

static struct h2_stream *o_open(void *arg, int32_t id)
{
    struct owner *o = arg;
    for (unsigned i = 0; i < MAX_STREAMS; i++) {
        struct tstream *t = &o->streams[i];
        if (!t->used) {
            memset(t, 0, sizeof *t);
            t->used = true;
            h2_session_stream_init(o->s, &t->st, id, t->buf, sizeof t->buf);
            h2_ws_key_format(t->st.head.ws_key, 1, 2);
            return &t->st;
        }
    }
    return NULL;
}

static void respond(struct owner *o, struct tstream *t, const char *status, const char *body)
{
    struct h2_field f[] = {{":status", status, 7, strlen(status)}};
    t->reply = body;
    assert_int_equal(h2_session_respond(o->s, &t->st, f, 1, true, body != NULL), 0);
}

static void o_request(void *arg, struct h2_stream *st, unsigned status)
{
    struct owner *o = arg;
    struct tstream *t = tstream_of(st);
    o->requests++;
    t->status = status;
    memcpy(t->head, st->head.buf, st->head.len);
    t->head[st->head.len] = '\0';
    if (status)
        respond(o, t, "431", NULL);
    else if (o->answer)
        respond(o, t, "200", "hello");
}

/* Takes what fits in the stream's buffer; hold_body: the bytes stay
 * there (a backend that does not read). */
static size_t o_data(void *arg, struct h2_stream *st, const uint8_t *p, size_t n)
{
    struct owner *o = arg;
    (void)p;
    struct tstream *t = tstream_of(st);
    size_t room = STREAM_BUF - t->pending;
    size_t took = n < room ? n : room;
    t->body_in += took;
    t->pending += took;
    if (!o->hold_body) {
        t->pending = 0;
        h2_session_body_sent(o->s, st, 0);
    }
    return took;
}

/* The backend took everything waiting. */
static void drain(struct owner *o, struct tstream *t)
{
    t->pending = 0;
    h2_session_body_sent(o->s, &t->st, 0);
}

static void o_end(void *arg, struct h2_stream *st)
{
    (void)arg;
    tstream_of(st)->ended = true;
}

static void o_close(void *arg, struct h2_stream *st, uint32_t code)
{
    struct owner *o = arg;
    o->closes++;
    o->last_close_code = code;
    tstream_of(st)->used = false;
}

static size_t o_body(void *arg, struct h2_stream *st, uint8_t *buf, size_t n, bool *eof)
{
    (void)arg;
    struct tstream *t = tstream_of(st);
    size_t left = strlen(t->reply) - t->reply_off;
    size_t take = left < n ? left : n;
    memcpy(buf, t->reply + t->reply_off, take);
    t->reply_off += take;
    *eof = t->reply_off == strlen(t->reply);
    return take;
}

static void o_event(void *arg, enum h2_event ev, uint32_t code)
{
    struct owner *o = arg;
    if (ev == H2_EV_LIMIT)
        o->limits[code]++;
    if (ev == H2_EV_RST_SENT && code < H2_ERROR_CODES)
        o->rst_sent[code]++;
    if (ev == H2_EV_GOAWAY_SENT && code < H2_ERROR_CODES)
        o->goaway_sent[code]++;
}

static const struct h2_session_ops ops = {o_open, o_request, o_data, o_end, o_close, o_body, o_event};

static const struct h2_settings settings = {
    .max_concurrent_streams = 4,
    .header_table_size = 4096,
    .max_header_list_size = 2048,
    .max_fields = 50,
    .stream_window = STREAM_BUF - H2_CHUNK_SLACK,
    .limits = {.max_continuations = 4,
               .max_header_block = 8192,
               .max_idle_frames = 20,
               .max_resets_per_s = 10},
};

static struct owner *owner_new(void)
{
    struct owner *o = calloc(1, sizeof *o);
    assert_non_null(o);
    o->answer = true;
    o->s = h2_session_new(&settings, &ops, o, T0);
    assert_non_null(o->s);
    return o;
}

static void owner_free(struct owner *o)
{
    h2_session_free(o->s);
    for (unsigned i = 0; i < MAX_STREAMS; i++)
        assert_false(o->streams[i].used); /* every stream was closed */
    free(o);
}

/* ---- raw frames --------------------------------------------------------------------------- */

struct wire {
    uint8_t b[OUT_MAX];
    size_t n;
};

static void put(struct wire *w, const void *p, size_t n)
{
    assert_true(w->n + n <= sizeof w->b);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t stream, const void *payload,
                  size_t len)
{
    uint8_t h[9] = {
        (uint8_t)(len >> 16),    (uint8_t)(len >> 8),     (uint8_t)len,           type,           flags,
        (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream};
    put(w, h, 9);
    if (len)
        put(w, payload, len);
}

static void preface(struct wire *w)
{
    put(w, NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
    frame(w, NGHTTP2_SETTINGS, 0, 0, NULL, 0);
}

/* An HPACK block of name/value pairs (NULL-terminated list). */
static size_t hpack(uint8_t *out, size_t cap, const char *const *nv)
{
    nghttp2_hd_deflater *d;
    assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
    nghttp2_nv list[64];
    size_t n = 0;
    for (; nv[2 * n]; n++)
        list[n] = (nghttp2_nv){(uint8_t *)(uintptr_t)nv[2 * n], (uint8_t *)(uintptr_t)nv[2 * n + 1],
                               strlen(nv[2 * n]), strlen(nv[2 * n + 1]), NGHTTP2_NV_FLAG_NONE};
    ssize_t len = nghttp2_hd_deflate_hd(d, out, cap, list, n);
    nghttp2_hd_deflate_del(d);
    assert_true(len > 0);
    return (size_t)len;
}

static const char *const get_fields[] = {":method", "GET",   ":scheme", "https", ":authority",
                                         "h",       ":path", "/",       NULL};

static void headers(struct wire *w, uint32_t stream, uint8_t flags, const char *const *nv)
{
    uint8_t block[8192];
    size_t len = hpack(block, sizeof block, nv);
    frame(w, NGHTTP2_HEADERS, flags | NGHTTP2_FLAG_END_HEADERS, stream, block, len);
}

/* Feeds w to the server and collects what it answers. */
static int deliver(struct owner *o, const struct wire *w, struct wire *out)
{
    size_t used;
    int rc = h2_session_recv(o->s, w->b, w->n, T0, &used);
    if (rc == 0)
        assert_int_equal(used, w->n);
    size_t n;
    while ((n = h2_session_send(o->s, out->b + out->n, sizeof out->b - out->n)) > 0)
        out->n += n;
    return rc;
}

/* The first frame of `type` on `stream` in the server's output: its
 * error code (RST_STREAM, GOAWAY), its increment (WINDOW_UPDATE), 0
 * (HEADERS), or -1 when there is none. */
static int64_t find_code(const struct wire *out, uint8_t type, uint32_t stream)
{
    for (size_t i = 0; i + 9 <= out->n;) {
        const uint8_t *h = out->b + i;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        uint32_t sid =
            ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) & 0x7fffffff;
        const uint8_t *p = h + 9;
        if (h[3] == type && type == NGHTTP2_RST_STREAM && sid == stream)
            return (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        if (h[3] == type && type == NGHTTP2_GOAWAY)
            return (int64_t)((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7]);
        if (h[3] == type && type == NGHTTP2_HEADERS && sid == stream)
            return 0;
        if (h[3] == type && type == NGHTTP2_WINDOW_UPDATE && sid == stream)
            return (int64_t)(((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) &
                             0x7fffffff);
        i += 9 + len;
    }
    return -1;
}

static uint32_t goaway_last_stream(const struct wire *out, unsigned nth)
{
    for (size_t i = 0; i + 9 <= out->n;) {
        const uint8_t *h = out->b + i;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        if (h[3] == NGHTTP2_GOAWAY && nth-- == 0)
            return ((uint32_t)h[9] << 24 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 8 | h[12]) & 0x7fffffff;
        i += 9 + len;
    }
    return UINT32_MAX;
}

/* ---- ordinary exchanges ------------------------------------------------------------------- */

static void test_get_is_answered(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    const char *const nv[] = {":method",          "GET",   ":scheme",     "https",  ":authority",
                              "www.rampart.test", ":path", "/index.html", "cookie", "a=1",
                              "user-agent",       "t",     "cookie",      "b=2",    NULL};
    headers(&w, 1, NGHTTP2_FLAG_END_STREAM, nv);
    assert_int_equal(deliver(o, &w, &out), 0);
    assert_int_equal(o->requests, 1);
    assert_string_equal(o->streams[0].head, "GET /index.html HTTP/1.1\r\nhost: www.rampart.test\r\n"
                                            "user-agent: t\r\ncookie: a=1; b=2\r\n\r\n");
    assert_true(o->streams[0].ended || o->closes == 1);
    assert_int_equal(find_code(&out, NGHTTP2_HEADERS, 1), 0); /* a response */
    assert_int_equal(o->closes, 1);
    assert_int_equal(o->last_close_code, NGHTTP2_NO_ERROR);
    assert_int_equal(h2_session_open_streams(o->s), 0);
    owner_free(o);
}

/* A real nghttp2 client: request, response, data, clean close. */
struct client {
    nghttp2_session *ng;
    int status;
    char data[256];
    size_t data_len;
    bool closed;
    uint32_t close_code;
};

static int c_on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                       const uint8_t *value, size_t vlen, uint8_t flags, void *arg)
{
    (void)ng, (void)f, (void)flags, (void)vlen;
    struct client *c = arg;
    if (nlen == 7 && memcmp(name, ":status", 7) == 0)
        c->status = atoi((const char *)value);
    return 0;
}

static int c_on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *d, size_t len, void *arg)
{
    (void)ng, (void)flags, (void)id;
    struct client *c = arg;
    memcpy(c->data + c->data_len, d, len);
    c->data_len += len;
    return 0;
}

static int c_on_close(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
    (void)ng, (void)id;
    struct client *c = arg;
    c->closed = true;
    c->close_code = code;
    return 0;
}

static void test_nghttp2_client_exchange(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    struct client c = {0};
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, c_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, c_on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, c_on_close);
    assert_int_equal(nghttp2_session_client_new(&c.ng, cb, &c), 0);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(c.ng, NGHTTP2_FLAG_NONE, NULL, 0);
    nghttp2_nv nv[] = {
        {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
        {(uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0},
        {(uint8_t *)":authority", (uint8_t *)"h", 10, 1, 0},
        {(uint8_t *)":path", (uint8_t *)"/", 5, 1, 0},
    };
    assert_true(nghttp2_submit_request(c.ng, NULL, nv, 4, NULL, NULL) == 1);
    uint8_t buf[65536];
    for (int round = 0; round < 20; round++) {
        const uint8_t *p;
        ssize_t n;
        while ((n = nghttp2_session_mem_send(c.ng, &p)) > 0) {
            size_t used;
            assert_int_equal(h2_session_recv(o->s, p, (size_t)n, T0, &used), 0);
            assert_int_equal(used, (size_t)n);
        }
        size_t m = h2_session_send(o->s, buf, sizeof buf);
        if (m)
            assert_int_equal(nghttp2_session_mem_recv(c.ng, buf, m), (ssize_t)m);
        if (n == 0 && m == 0)
            break;
    }
    assert_int_equal(c.status, 200);
    assert_int_equal(c.data_len, 5);
    assert_memory_equal(c.data, "hello", 5);
    assert_true(c.closed);
    assert_int_equal(c.close_code, NGHTTP2_NO_ERROR);
    nghttp2_session_del(c.ng);
    owner_free(o);
}

/* ---- malformed requests: RST_STREAM PROTOCOL_ERROR, never the owner ------------------------ */

static void expect_stream_error(const char *const *nv, uint8_t flags)
{
    struct owner *o = owner_new();
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    headers(&w, 1, flags, nv);
    headers(&w, 3, NGHTTP2_FLAG_END_STREAM, get_fields); /* a bystander stream */
    assert_int_equal(deliver(o, &w, &out), 0);
    assert_int_equal(find_code(&out, NGHTTP2_RST_STREAM, 1), NGHTTP2_PROTOCOL_ERROR);
    assert_int_equal(o->requests, 1); /* only the bystander */
    assert_int_equal(find_code(&out, NGHTTP2_HEADERS, 3), 0);
    assert_int_equal(find_code(&out, NGHTTP2_GOAWAY, 0), -1);
    owner_free(o);
}

static void test_malformed_requests(void **state)
{
    (void)state;
    const char *const upper[] = {":method", "GET", ":scheme", "https", ":path", "/", "X-Up", "1", NULL};
    const char *const conn[] = {":method", "GET",        ":scheme", "https", ":path",
                                "/",       "connection", "close",   NULL};
    const char *const te[] = {":method", "GET", ":scheme", "https", ":path", "/", "te", "gzip", NULL};
    const char *const tenc[] = {":method",           "POST",    ":scheme", "https", ":path", "/",
                                "transfer-encoding", "chunked", NULL};
    const char *const crlf[] = {":method", "GET", ":scheme", "https", ":path", "/", "x", "a\r\nb: c", NULL};
    const char *const nopath[] = {":method", "GET", ":scheme", "https", ":authority", "h", NULL};
    const char *const late[] = {":method", "GET", ":scheme", "https", "x", "1", ":path", "/", NULL};
    const char *const twice[] = {":method", "GET", ":method", "GET", ":scheme", "https", ":path", "/", NULL};
    const char *const host[] = {":method", "GET", ":scheme", "https", ":authority", "a",
                                ":path",   "/",   "host",    "b",     NULL};
    const char *const space[] = {":method", "GET", ":scheme", "https", ":path", "/", "x", " lead", NULL};
    const char *const *const all[] = {upper, conn, te, tenc, crlf, nopath, late, twice, host, space};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        expect_stream_error(all[i], NGHTTP2_FLAG_END_STREAM);
}

/* RFC 8441: the session offers extended CONNECT; a WebSocket request is
 * handed over as an upgrade with a tunnel for its body, any other
 * :protocol is refused. */
static void test_extended_connect(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    deliver(o, &w, &out);
    bool offered = false;
    for (size_t i = 0; i + 9 <= out.n;) { /* our SETTINGS: ENABLE_CONNECT_PROTOCOL = 1 */
        const uint8_t *h = out.b + i;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        for (size_t k = 0; h[3] == NGHTTP2_SETTINGS && k + 6 <= len; k += 6)
            offered |=
                h[9 + k] == 0 && h[10 + k] == NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL && h[14 + k] == 1;
        i += 9 + len;
    }
    assert_true(offered);
    w.n = out.n = 0;
    const char *const ws[] = {":method",
                              "CONNECT",
                              ":protocol",
                              "websocket",
                              ":scheme",
                              "https",
                              ":authority",
                              "h",
                              ":path",
                              "/chat",
                              "sec-websocket-version",
                              "13",
                              NULL};
    headers(&w, 1, 0, ws);
    const char *const other[] = {":method",    "CONNECT", ":protocol", "chat", ":scheme", "https",
                                 ":authority", "h",       ":path",     "/",    NULL};
    headers(&w, 3, 0, other);
    deliver(o, &w, &out);
    assert_int_equal(o->requests, 1);
    assert_int_equal(o->streams[0].st.body, H2_BODY_TUNNEL);
    assert_non_null(strstr(o->streams[0].head, "GET /chat HTTP/1.1\r\n"));
    assert_non_null(strstr(o->streams[0].head, "upgrade: websocket\r\n"));
    assert_int_equal(find_code(&out, NGHTTP2_RST_STREAM, 3), NGHTTP2_PROTOCOL_ERROR);
    owner_free(o);
}

/* H2.CL: the body may not outgrow its content-length: the stream is
 * reset at the first byte too many, which the owner never gets. */
static void test_body_longer_than_content_length(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    const char *const nv[] = {":method", "POST", ":scheme",        "https", ":authority", "h",
                              ":path",   "/",    "content-length", "4",     NULL};
    headers(&w, 1, 0, nv);
    frame(&w, NGHTTP2_DATA, 0, 1, "abcd", 4);
    frame(&w, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, "GET /admin HTTP/1.1\r\n\r\n", 23);
    deliver(o, &w, &out);
    assert_int_equal(find_code(&out, NGHTTP2_RST_STREAM, 1), NGHTTP2_PROTOCOL_ERROR);
    assert_int_equal(o->closes, 1);
    owner_free(o);
}

static void test_header_list_too_large_is_431(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    static char big[2100];
    memset(big, 'x', sizeof big - 1);
    const char *const nv[] = {":method", "GET", ":scheme", "https", ":authority", "h",
                              ":path",   "/",   "x-big",   big,     NULL};
    headers(&w, 1, NGHTTP2_FLAG_END_STREAM, nv);
    deliver(o, &w, &out);
    assert_int_equal(o->requests, 1); /* reported, to be answered 431 */
    assert_int_equal(o->limits[H2_HIT_HEADER_LIST], 1);
    assert_int_equal(find_code(&out, NGHTTP2_HEADERS, 1), 0);
    assert_int_equal(find_code(&out, NGHTTP2_RST_STREAM, 1), -1);
    owner_free(o);
}

/* ---- connection-level limits: GOAWAY ENHANCE_YOUR_CALM ------------------------------------- */

static void expect_calm(struct owner *o, const struct wire *w, enum h2_session_limit hit)
{
    static struct wire out;
    out.n = 0;
    assert_int_equal(deliver(o, w, &out), -1);
    assert_int_equal(find_code(&out, NGHTTP2_GOAWAY, 0), NGHTTP2_ENHANCE_YOUR_CALM);
    assert_int_equal(o->limits[hit], 1);
    assert_true(h2_session_done(o->s));
}

static void test_continuation_flood(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    static struct wire w;
    w.n = 0;
    preface(&w);
    uint8_t block[256];
    size_t len = hpack(block, sizeof block, get_fields);
    frame(&w, NGHTTP2_HEADERS, 0, 1, block, 1);
    for (unsigned i = 0; i < 1000; i++)
        frame(&w, NGHTTP2_CONTINUATION, 0, 1, NULL, 0); /* empty: decode to nothing */
    frame(&w, NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 1, block + 1, len - 1);
    expect_calm(o, &w, H2_HIT_CONTINUATIONS);
    assert_int_equal(o->requests, 0);
    owner_free(o);
}

static void test_rapid_reset(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    static struct wire w;
    w.n = 0;
    preface(&w);
    uint8_t code[4] = {0, 0, 0, NGHTTP2_CANCEL};
    for (uint32_t id = 1; id < 2 * 100; id += 2) {
        headers(&w, id, NGHTTP2_FLAG_END_STREAM, get_fields);
        frame(&w, NGHTTP2_RST_STREAM, 0, id, code, 4);
    }
    expect_calm(o, &w, H2_HIT_RESETS);
    /* the bucket holds 10: the 11th reset is refused, so at most 11 requests began */
    assert_in_range(o->requests, settings.limits.max_resets_per_s, settings.limits.max_resets_per_s + 1);
    owner_free(o);
}

static void test_ping_flood(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    static struct wire w;
    w.n = 0;
    preface(&w);
    uint8_t opaque[8] = {0};
    for (unsigned i = 0; i < 100; i++)
        frame(&w, NGHTTP2_PING, 0, 0, opaque, 8);
    expect_calm(o, &w, H2_HIT_IDLE_FRAMES);
    owner_free(o);
}

static void test_settings_and_window_update_flood(void **state)
{
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        struct owner *o = owner_new();
        static struct wire w;
        w.n = 0;
        preface(&w);
        uint8_t inc[4] = {0, 0, 0, 1};
        for (unsigned i = 0; i < 100; i++) {
            if (kind == 0)
                frame(&w, NGHTTP2_SETTINGS, 0, 0, NULL, 0);
            else if (kind == 1)
                frame(&w, NGHTTP2_WINDOW_UPDATE, 0, 0, inc, 4);
            else
                frame(&w, 0x42, 0, 0, "junk", 4); /* an unknown type nghttp2 ignores */
        }
        expect_calm(o, &w, H2_HIT_IDLE_FRAMES);
        owner_free(o);
    }
}

static void test_empty_data_flood(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    static struct wire w;
    w.n = 0;
    preface(&w);
    const char *const nv[] = {":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/", NULL};
    headers(&w, 1, 0, nv);
    for (unsigned i = 0; i < 100; i++)
        frame(&w, NGHTTP2_DATA, 0, 1, NULL, 0);
    expect_calm(o, &w, H2_HIT_IDLE_FRAMES);
    owner_free(o);
}

/* More streams than SETTINGS_MAX_CONCURRENT_STREAMS: the extra one is
 * refused (the client has not acknowledged our SETTINGS yet). */
static void test_streams_beyond_the_limit_are_refused(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    for (uint32_t id = 1; id <= 2 * settings.max_concurrent_streams + 1; id += 2)
        headers(&w, id, NGHTTP2_FLAG_END_STREAM, get_fields);
    assert_int_equal(deliver(o, &w, &out), 0);
    assert_int_equal(o->requests, settings.max_concurrent_streams);
    assert_int_equal(find_code(&out, NGHTTP2_RST_STREAM, 2 * settings.max_concurrent_streams + 1),
                     NGHTTP2_REFUSED_STREAM);
    assert_int_equal(o->limits[H2_HIT_CONCURRENT_STREAMS], 1);
    owner_free(o);
}

static void test_bad_preface(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    static struct wire w, out;
    w.n = out.n = 0;
    put(&w, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 27);
    assert_int_equal(deliver(o, &w, &out), -1);
    assert_int_equal(find_code(&out, NGHTTP2_GOAWAY, 0), NGHTTP2_PROTOCOL_ERROR);
    assert_true(h2_session_done(o->s));
    owner_free(o);
}

/* ---- flow control ------------------------------------------------------------------------- */

/* A client that sends before it applied our SETTINGS may use the
 * default 65535-byte window: what the owner has no room for stalls the
 * connection (nothing is lost, nothing more is read) until it has. */
static void test_early_body_stalls_until_room(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    o->hold_body = true;
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    const char *const nv[] = {":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/", NULL};
    headers(&w, 1, 0, nv);
    static uint8_t chunk[3000];
    for (int i = 0; i < 3; i++)
        frame(&w, NGHTTP2_DATA, 0, 1, chunk, sizeof chunk); /* 9000 > the 4096 buffer */
    headers(&w, 3, NGHTTP2_FLAG_END_STREAM, get_fields);
    size_t used;
    assert_int_equal(h2_session_recv(o->s, w.b, w.n, T0, &used), 0);
    assert_true(used < w.n);
    assert_true(h2_session_stalled(o->s));
    struct tstream *t = &o->streams[0];
    assert_int_equal(t->body_in, STREAM_BUF);
    assert_int_equal(o->requests, 1); /* stream 3 not read yet */
    size_t more;
    assert_int_equal(h2_session_recv(o->s, w.b + used, w.n - used, T0, &more), 0);
    assert_int_equal(more, 0); /* stalled: takes nothing */
    while (h2_session_stalled(o->s)) {
        drain(o, t);
        h2_session_unstall(o->s);
        size_t n;
        assert_int_equal(h2_session_recv(o->s, w.b + used, w.n - used, T0, &n), 0);
        used += n;
    }
    assert_int_equal(used, w.n);
    assert_int_equal(t->body_in, 3 * sizeof chunk);
    assert_int_equal(o->requests, 2);
    owner_free(o);
}

/* Once the client acknowledged our SETTINGS, sending past the stream
 * window is a flow-control error; the owner's buffer never overflows
 * (nghttp2 still hands over the frame that broke the window, the owner
 * takes what fits, the stream is reset). */
static void test_body_past_the_window(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    o->hold_body = true;
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    deliver(o, &w, &out); /* our SETTINGS go out */
    w.n = 0;
    frame(&w, NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, NULL, 0);
    const char *const nv[] = {":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/", NULL};
    headers(&w, 1, 0, nv);
    static uint8_t chunk[1024];
    for (uint32_t sent = 0; sent <= settings.stream_window; sent += sizeof chunk)
        frame(&w, NGHTTP2_DATA, 0, 1, chunk, sizeof chunk);
    out.n = 0;
    deliver(o, &w, &out);
    assert_true(o->streams[0].body_in <= STREAM_BUF);
    int64_t rst = find_code(&out, NGHTTP2_RST_STREAM, 1), away = find_code(&out, NGHTTP2_GOAWAY, 0);
    assert_true(rst == NGHTTP2_FLOW_CONTROL_ERROR || away == NGHTTP2_FLOW_CONTROL_ERROR);
    owner_free(o);
}

/* The window comes back as the owner's buffer empties, and only then. */
static void test_window_follows_the_buffer(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    o->hold_body = true;
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    deliver(o, &w, &out);
    w.n = 0;
    frame(&w, NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, NULL, 0); /* our window applies from here */
    const char *const nv[] = {":method", "POST", ":scheme", "https", ":authority", "h", ":path", "/", NULL};
    headers(&w, 1, 0, nv);
    static uint8_t body[STREAM_BUF];
    frame(&w, NGHTTP2_DATA, 0, 1, body, settings.stream_window); /* the whole window */
    deliver(o, &w, &out);
    struct h2_stream *st = &o->streams[0].st;
    assert_int_equal(st->received, settings.stream_window);
    assert_int_equal(st->consumed, 0);
    out.n = 0;
    w.n = 0;
    deliver(o, &w, &out);
    assert_int_equal(find_code(&out, NGHTTP2_WINDOW_UPDATE, 1), -1); /* nothing given back yet */
    h2_session_body_sent(o->s, st, 1000);                            /* most went on, 1000 bytes still wait */
    assert_int_equal(st->consumed, settings.stream_window - 1000);
    out.n = 0;
    deliver(o, &w, &out);
    assert_int_equal(find_code(&out, NGHTTP2_WINDOW_UPDATE, 1), settings.stream_window - 1000);
    h2_session_body_sent(o->s, st, 0); /* (nghttp2 batches updates below half a window) */
    assert_int_equal(st->consumed, settings.stream_window);
    owner_free(o);
}

/* ---- graceful close ----------------------------------------------------------------------- */

static void test_two_step_goaway(void **state)
{
    (void)state;
    struct owner *o = owner_new();
    o->answer = false;
    static struct wire w, out;
    w.n = out.n = 0;
    preface(&w);
    headers(&w, 1, NGHTTP2_FLAG_END_STREAM, get_fields);
    deliver(o, &w, &out);
    h2_session_shutdown_notice(o->s);
    out.n = 0;
    w.n = 0;
    deliver(o, &w, &out);
    assert_int_equal(goaway_last_stream(&out, 0), 0x7fffffff); /* step 1: anything in flight may come */
    w.n = 0;
    headers(&w, 3, NGHTTP2_FLAG_END_STREAM, get_fields); /* in flight: still taken */
    deliver(o, &w, &out);
    assert_int_equal(o->requests, 2);
    h2_session_goaway(o->s, H2_NO_ERROR);
    out.n = 0;
    w.n = 0;
    deliver(o, &w, &out);
    assert_int_equal(goaway_last_stream(&out, 0), 3); /* step 2: the last one taken */
    assert_false(h2_session_done(o->s));              /* two streams still to answer */
    for (unsigned i = 0; i < MAX_STREAMS; i++)
        if (o->streams[i].used)
            respond(o, &o->streams[i], "200", "bye");
    out.n = 0;
    deliver(o, &w, &out);
    assert_int_equal(find_code(&out, NGHTTP2_HEADERS, 1), 0);
    assert_int_equal(find_code(&out, NGHTTP2_HEADERS, 3), 0);
    assert_true(h2_session_done(o->s));
    owner_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_is_answered),
        cmocka_unit_test(test_nghttp2_client_exchange),
        cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_extended_connect),
        cmocka_unit_test(test_body_longer_than_content_length),
        cmocka_unit_test(test_header_list_too_large_is_431),
        cmocka_unit_test(test_continuation_flood),
        cmocka_unit_test(test_rapid_reset),
        cmocka_unit_test(test_ping_flood),
        cmocka_unit_test(test_settings_and_window_update_flood),
        cmocka_unit_test(test_empty_data_flood),
        cmocka_unit_test(test_streams_beyond_the_limit_are_refused),
        cmocka_unit_test(test_bad_preface),
        cmocka_unit_test(test_early_body_stalls_until_room),
        cmocka_unit_test(test_body_past_the_window),
        cmocka_unit_test(test_window_follows_the_buffer),
        cmocka_unit_test(test_two_step_goaway),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
