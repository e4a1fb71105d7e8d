/*
 * conn_shapes: requests, answers and smuggling shapes for fuzz_conn.c.
 * See conn_shapes.h.
 */
#include "tests/fuzz/conn_shapes.h"

#include "tests/fuzz/conn_peers.h"
#include "tests/unit/helpers/conn_oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_ACME "/.well-known/acme-challenge/"

static const size_t fz_sizes[] = {0, 1, 7, 100, 1000, 5000, 20000, 70000};
static const size_t fz_resp_sizes[] = {0, 1, 10, 100, 1000, 16384, 40000, 70000};
static const size_t fz_chunks[] = {1, 3, 16, 100, 1000, 4096, 16384, 65536};
static const size_t fz_pads[] = {0, 100, 1000, 8000};

static void put(struct fz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct fz_buf *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        fz_buf_add(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, false);
}

#define FZ_PATTERN    4096
#define FZ_MAX_CHUNKS 512 /* a body of more small chunks gets bigger ones */

/* n body bytes, never a '~'. */
static void put_pattern(struct fz_buf *b, size_t n)
{
    static char pattern[FZ_PATTERN];
    if (!pattern[0])
        for (size_t i = 0; i < sizeof pattern; i++)
            pattern[i] = (char)('a' + i % 26);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof pattern ? n - done : sizeof pattern;
        fz_buf_add(b, pattern, k, false);
        done += k;
    }
}

/* A body's bytes: a pattern of len bytes, repeated in run (a few big
 * copies instead of many small ones), continued at `at` across calls. */
struct fz_body {
    char run[FZ_PATTERN];
    size_t len, run_len, at;
};

static void body_init(struct fz_body *p, long tc, long tr)
{
    p->len = fz_shape_body_pattern(tc, tr, p->run, sizeof p->run);
    p->run_len = p->len ? FZ_PATTERN / p->len * p->len : 0;
    for (size_t i = p->len; i < p->run_len; i++)
        p->run[i] = p->run[i % p->len];
    p->at = 0;
}

static void put_body(struct fz_buf *b, struct fz_body *p, size_t n)
{
    if (!p || p->len == 0) {
        put_pattern(b, n);
        return;
    }
    while (n > 0) {
        size_t off = p->at % p->len, k = p->run_len - off < n ? p->run_len - off : n;
        fz_buf_add(b, p->run + off, k, false);
        p->at += k;
        n -= k;
    }
}

size_t fz_shape_body_pattern(long tc, long tr, char *out, size_t cap)
{
    int n = tc > 0 ? snprintf(out, cap, "~%ld.%ld/abcdefghijklmnopqrstuvwxyz\n", tc, tr)
                   : snprintf(out, cap, "abcdefghijklmnopqrstuvwxyz");
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void put_chunked(struct fz_buf *b, size_t size, size_t chunk, bool ext, bool trailer,
                        struct fz_body *p)
{
    if (size / chunk > FZ_MAX_CHUNKS)
        chunk = size / FZ_MAX_CHUNKS + 1;
    for (size_t done = 0; done < size;) {
        size_t k = size - done < chunk ? size - done : chunk;
        put(b, "%zx%s\r\n", k, ext ? ";e=1" : "");
        put_body(b, p, k);
        put(b, "\r\n");
        done += k;
    }
    put(b, "0\r\n%s\r\n", trailer ? "X-Trailer: 1\r\n" : "");
}

/* How much goes at once: all, the head, half, the head and one byte. */
static size_t now_of(uint8_t v, size_t head_len, size_t len)
{
    switch (v & 3) {
    case 0: return len - head_len;
    case 1: return 0;
    case 2: return (len - head_len) / 2;
    default: return len > head_len ? 1 : 0;
    }
}

/* The one buffer messages are built in (kept from call to call: no
 * growing anew each time). */
static struct fz_buf *scratch(void)
{
    static struct fz_buf b;
    b.len = b.off = b.release = 0;
    return &b;
}

static void take(struct fz_request *r, struct fz_buf *b, size_t head_len, uint8_t v)
{
    r->data = b->data;
    r->len = b->len;
    r->head_len = head_len;
    r->now = now_of(v, head_len, b->len);
}

void fz_shape_request(struct fz_request *r, unsigned conn, unsigned req, uint8_t a, uint8_t b, uint8_t v)
{
    static const char *const methods[] = {"GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    bool upgrade = a & 0x80, http10 = a & 0x08;
    const char *method = upgrade ? "GET" : methods[a & 7];
    unsigned body = upgrade ? 0 : b & 3;
    size_t size = fz_sizes[(b >> 2) & 7], chunk = fz_chunks[(b >> 5) & 7];
    char tag[32];
    conn_oracle_tag(tag, sizeof tag, conn, req);
    struct fz_buf *m = scratch();
    put(m, "%s %s%s HTTP/1.%d\r\nHost: " CONN_HARNESS_TLS_NAME "\r\n", method, (a & 0x40) ? "/" : FZ_ACME,
        tag, http10 ? 0 : 1);
    if (a & 0x10)
        put(m, "Connection: close\r\n");
    else if (http10)
        put(m, "Connection: keep-alive\r\n");
    if (upgrade)
        put(m, "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
    if (body == 1)
        put(m, "Content-Length: %zu\r\n", size);
    else if (body >= 2)
        put(m, "Transfer-Encoding: chunked\r\n");
    if ((a & 0x20) && body && !http10)
        put(m, "Expect: 100-continue\r\n");
    size_t pad = fz_pads[(v >> 3) & 3];
    if (pad) {
        put(m, "X-Pad: ");
        put_pattern(m, pad);
        put(m, "\r\n");
    }
    put(m, "\r\n");
    size_t head_len = m->len;
    if (body == 1)
        put_pattern(m, size);
    else if (body >= 2)
        put_chunked(m, size, chunk, v & 4, body == 3, NULL);
    take(r, m, head_len, v);
    r->head = strcmp(method, "HEAD") == 0;
}

/* A 1xx before the answer: none, 100, 103, or one with a body no server may send. */
static void put_interim(struct fz_buf *m, unsigned status)
{
    if (status == 100 || status == 103)
        put(m, "HTTP/1.1 %u Interim\r\n\r\n", status);
    else if (status == 150 || status == 199)
        put(m, "HTTP/1.1 %u Odd\r\nContent-Length: 3\r\n\r\nabc", status);
}

static void put_final(struct fz_buf *m, long tc, long tr, bool head, uint8_t a, uint8_t b, uint8_t v,
                      unsigned status, size_t *head_len)
{
    size_t size = fz_resp_sizes[(b >> 2) & 7], chunk = fz_chunks[(b >> 5) & 7];
    unsigned framing = b & 3;
    bool bodyless = head || status == 204 || status == 304;
    put(m, "HTTP/1.%d %u Answer\r\n", (a & 0x20) ? 0 : 1, status);
    if (tc > 0 && !(a & 0x40))
        put(m, CONN_ORACLE_TAG_HDR ": %ld.%ld\r\n", tc, tr);
    if (a & 0x10)
        put(m, "Connection: close\r\n");
    if (status == 101)
        put(m, "Connection: Upgrade\r\nUpgrade: websocket\r\n");
    else if (framing == 0 || framing == 3)
        put(m, "Content-Length: %zu\r\n", size);
    else if (framing == 1)
        put(m, "Transfer-Encoding: chunked\r\n");
    put(m, "\r\n");
    *head_len = m->len;
    /* the body says whose answer it is (conn_h2.c checks every byte) */
    static struct fz_body body;
    body_init(&body, tc, tr);
    if (status == 101 || (!bodyless && framing != 1))
        put_body(m, &body, size + (framing == 3 ? 7 : 0)); /* 3: more than it said */
    else if (!bodyless)
        put_chunked(m, size, chunk, v & 4, v & 0x20, &body);
}

void fz_shape_response(struct fz_request *r, long tc, long tr, bool head, uint8_t a, uint8_t b, uint8_t v)
{
    static const unsigned statuses[] = {200, 200, 201, 204, 304, 404, 500, 503,
                                        101, 100, 103, 150, 199, 302, 206, 200};
    unsigned status = statuses[a & 15];
    struct fz_buf *m = scratch();
    put_interim(m, status);
    unsigned final = status < 200 && status != 101 ? 200 : status;
    size_t head_len;
    put_final(m, tc, tr, head, a, b, v, final, &head_len);
    if (a & 0x80) { /* a second answer behind it, no request asked for */
        size_t ignored;
        put_final(m, tc, tr, head, (uint8_t)(a & 0x7f), (uint8_t)(b & 0xe3), v, 200, &ignored);
    }
    take(r, m, head_len, v);
    r->head = head;
}

/* ---- smuggling shapes ----------------------------------------------------------- */

struct fz_smuggle {
    bool refuse; /* the gateway answers 4xx before it forwards a byte */
    const char *text;
    size_t len;
};

#define SHAPE(refuse, text)                                                                                  \
    {                                                                                                        \
        refuse, text, sizeof text - 1                                                                        \
    }

/* @1 and @2: the tagged targets of the two requests; @E: 300 bytes of chunk
 * extension; @T: 5000 bytes of trailer field. */
static const struct fz_smuggle fz_smuggles[] = {
    SHAPE(true, "POST @1 HTTP/1.1\r\nHost: h\r\nContent-Length: 41\r\nTransfer-Encoding: chunked\r\n\r\n"
                "0\r\n\r\nGET @2 HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(true, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                "5c\r\nGET @2 HTTP/1.1\r\nHost: h\r\n\r\n0\r\n\r\n"),
    SHAPE(true, "POST @1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc"),
    SHAPE(true, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
    SHAPE(true, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"
                "GET @2 HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(true, "GET @1 HTTP/1.1\r\nHost: h\r\nX-A: b\r\n c\r\n\r\n"),
    SHAPE(true, "GET @1 HTTP/1.1\nHost: h\n\n"),
    SHAPE(true, "GET @1 HTTP/1.1\r\nHost: h\r\nX-A: b\rc\r\n\r\n"),
    SHAPE(true, "GET @1 HTTP/1.1\r\nHost: h\r\nX-A: b\0c\r\n\r\n"),
    SHAPE(true, "GET @1 HTTP/1.1\r\nHost : h\r\n\r\n"),
    SHAPE(true, "POST @1 HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nabcde"),
    SHAPE(true, "GET http://h@1 HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(true, "GET @1 HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n"),
    SHAPE(true, "POST @1 HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    SHAPE(true, "GET  @1 HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(true, "GET @1 HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n"),
    SHAPE(true, "GET @1 HTTP/1.2\r\nHost: h\r\n\r\n"),
    SHAPE(true,
          "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
          "0\r\n\r\n"),
    SHAPE(false, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"),
    SHAPE(false, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfffffff\r\nabc"),
    SHAPE(false, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;@E\r\nabc\r\n0\r\n\r\n"),
    SHAPE(false, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
                 "X-T: 1\r\nX-U: 2\r\n\r\nGET @2 HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(false,
          "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n@T\r\n\r\n"),
    SHAPE(false, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"),
    SHAPE(false, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n"),
    SHAPE(false,
          "POST @1 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\nGET @2 HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(false, "GET @1 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
                 "GET @2 HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(false, "GET @1 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                 "GET @2 HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(false, "GET @1 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na"),
    SHAPE(false, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"),
    SHAPE(false, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1 ;a=b\r\nx\r\n0\r\n\r\n"),
    SHAPE(false, "POST @1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "000000000000000000001\r\nx\r\n0\r\n\r\n"),
};

char *fz_shape_smuggle(uint8_t which, unsigned conn, unsigned r1, unsigned r2, size_t *len, bool *refuse)
{
    const struct fz_smuggle *s = &fz_smuggles[which % (sizeof fz_smuggles / sizeof fz_smuggles[0])];
    char t1[64] = FZ_ACME, t2[64] = FZ_ACME;
    conn_oracle_tag(t1 + strlen(FZ_ACME), sizeof t1 - strlen(FZ_ACME), conn, r1);
    conn_oracle_tag(t2 + strlen(FZ_ACME), sizeof t2 - strlen(FZ_ACME), conn, r2);
    struct fz_buf *m = scratch();
    for (size_t i = 0; i < s->len; i++) {
        char c = s->text[i], next = i + 1 < s->len ? s->text[i + 1] : '\0';
        if (c == '@' && (next == '1' || next == '2')) {
            const char *t = next == '1' ? t1 : t2;
            fz_buf_add(m, t, strlen(t), false);
            i++;
        } else if (c == '@' && next == 'E') {
            put_pattern(m, 300);
            i++;
        } else if (c == '@' && next == 'T') {
            put(m, "X-Big: ");
            put_pattern(m, 5000);
            i++;
        } else {
            fz_buf_add(m, &c, 1, false);
        }
    }
    *len = m->len;
    *refuse = s->refuse;
    return m->data;
}
