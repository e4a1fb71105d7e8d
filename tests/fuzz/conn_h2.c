/*
 * conn_h2: what fuzz_conn.c's HTTP/2 clients send: the preface, tagged
 * requests and their bodies within the gateway's windows, malformed
 * requests, control frames well-formed and hostile. What they receive is
 * checked in conn_h2read.c. See conn_h2.h.
 */
#include "tests/fuzz/conn_h2.h"

#include "tests/fuzz/conn_shapes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_H2_MAGIC     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define FZ_H2_FIELDS    24
#define FZ_H2_BLOCK     (1 << 16) /* a request's header block */
#define FZ_H2_PAD       7         /* padding of a padded frame */
#define FZ_H2_FLOOD_MAX 128       /* frames of one flood op */
#define FZ_ACME         "/.well-known/acme-challenge/"

enum { T_DATA, T_HEADERS, T_PRIORITY, T_RST, T_SETTINGS, T_PUSH, T_PING, T_GOAWAY, T_WINDOW, T_CONT };
enum { F_END_STREAM = 1, F_ACK = 1, F_END_HEADERS = 4, F_PADDED = 8, F_PRIORITY = 0x20 };

static struct fz_h2 fz_h2s[FZ_CLIENTS];

static const size_t fz_h2_sizes[] = {0, 1, 7, 100, 1000, 5000, 20000, 70000};
static const size_t fz_h2_chunks[] = {1, 3, 16, 100, 1000, 4096, 16384, 16384};
static const size_t fz_h2_pads[] = {0, 100, 1000, 8000};
static const uint32_t fz_h2_values[] = {0,     1,       100,        4096,        16384,
                                        65535, 1 << 24, 0x7fffffff, 0x80000000u, 0xffffffffu};

/* ---- frames out ------------------------------------------------------------------------------ */

static void put_frame_head(struct fz_h2 *h, size_t len, uint8_t type, uint8_t flags, uint32_t id)
{
    uint8_t b[FZ_H2_HDR] = {
        (uint8_t)(len >> 16),       (uint8_t)(len >> 8), (uint8_t)len,       type,       flags,
        (uint8_t)(id >> 24 & 0x7f), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    fz_buf_add(&h->c->app, b, sizeof b, true);
}

static void put_frame(struct fz_h2 *h, uint8_t type, uint8_t flags, uint32_t id, const void *p, size_t len)
{
    put_frame_head(h, len, type, flags, id);
    fz_buf_add(&h->c->app, p, len, true);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void put_settings(struct fz_h2 *h, const uint16_t *ids, const uint32_t *values, size_t n)
{
    uint8_t p[6 * 8];
    for (size_t i = 0; i < n && i < 8; i++) {
        p[6 * i] = (uint8_t)(ids[i] >> 8), p[6 * i + 1] = (uint8_t)ids[i];
        put_u32(p + 6 * i + 2, values[i]);
        if (ids[i] == NGHTTP2_SETTINGS_MAX_FRAME_SIZE && values[i] >= FZ_H2_FRAME && values[i] < (1u << 24))
            h->max_in = values[i]; /* the gateway may send frames this large once it has it */
    }
    put_frame(h, T_SETTINGS, 0, 0, p, 6 * (n < 8 ? n : 8));
}

static void put_window(struct fz_h2 *h, uint32_t id, uint32_t inc)
{
    uint8_t p[4];
    put_u32(p, inc);
    put_frame(h, T_WINDOW, 0, id, p, 4);
}

static void put_rst(struct fz_h2 *h, uint32_t id, uint32_t code)
{
    uint8_t p[4];
    put_u32(p, code);
    put_frame(h, T_RST, 0, id, p, 4);
}

/* ---- streams --------------------------------------------------------------------------------- */

static bool fz_h2_stream_over(const struct fz_h2_stream *s)
{
    return s->local_end && (s->remote_end || s->reset || s->reset_out);
}

/* A slot for a new stream (one whose both sides ended is reused), with
 * the next id; NULL when all are busy or the ids ran out. */
static struct fz_h2_stream *new_stream(struct fz_h2 *h, unsigned req)
{
    struct fz_h2_stream *s = NULL;
    for (unsigned i = 0; i < FZ_H2_STREAMS && !s; i++)
        if (!h->st[i].used || fz_h2_stream_over(&h->st[i]))
            s = &h->st[i];
    if (!s || h->next_id > 0x7fff0000)
        return NULL;
    *s = (struct fz_h2_stream){.used = true,
                               .id = h->next_id,
                               .req = req,
                               .win = h->init_win,
                               .tag_conn = -1,
                               .tag_req = -1,
                               .clen = -1};
    h->max_id = h->next_id;
    h->next_id += 2;
    return s;
}

/* A stream by a program byte: one the client opened (open ones first),
 * else the next idle id. */
static uint32_t pick_stream(struct fz_h2 *h, uint8_t y, struct fz_h2_stream **out)
{
    unsigned n = 0;
    for (unsigned i = 0; i < FZ_H2_STREAMS; i++)
        n += h->st[i].used;
    *out = NULL;
    if (n == 0)
        return (uint32_t)h->next_id;
    unsigned k = y % n;
    for (unsigned i = 0; i < FZ_H2_STREAMS; i++)
        if (h->st[i].used && k-- == 0)
            *out = &h->st[i];
    return (uint32_t)(*out)->id;
}

/* ---- header blocks --------------------------------------------------------------------------- */

struct fz_fields {
    nghttp2_nv nv[FZ_H2_FIELDS];
    size_t n;
};

static void field(struct fz_fields *f, const char *name, const char *value, size_t vlen)
{
    if (f->n < FZ_H2_FIELDS)
        f->nv[f->n++] = (nghttp2_nv){(uint8_t *)(uintptr_t)name, (uint8_t *)(uintptr_t)value, strlen(name),
                                     vlen, NGHTTP2_NV_FLAG_NONE};
}

static void fields_str(struct fz_fields *f, const char *name, const char *value)
{
    field(f, name, value, strlen(value));
}

/* The fields HPACK-encoded as HEADERS (and CONTINUATIONs of `frag`
 * bytes when split), PADDED and PRIORITY as asked. */
static void put_block(struct fz_h2 *h, uint32_t id, const struct fz_fields *f, bool end_stream, size_t frag,
                      bool pad, bool prio)
{
    static uint8_t block[FZ_H2_BLOCK];
    ssize_t len = nghttp2_hd_deflate_hd(h->def, block, sizeof block, f->nv, f->n);
    if (len < 0)
        len = 0; /* the deflater refused it: an empty block, which the gateway refuses as well */
    size_t max = h->peer_frame - (pad ? FZ_H2_PAD + 1 : 0) - (prio ? 5 : 0);
    size_t first = (size_t)len < frag ? (size_t)len : frag;
    first = first < max ? first : max;
    uint8_t flags = (end_stream ? F_END_STREAM : 0) | (first == (size_t)len ? F_END_HEADERS : 0) |
                    (pad ? F_PADDED : 0) | (prio ? F_PRIORITY : 0);
    put_frame_head(h, first + (pad ? FZ_H2_PAD + 1 : 0) + (prio ? 5 : 0), T_HEADERS, flags, id);
    static const uint8_t zeros[FZ_H2_PAD + 1] = {FZ_H2_PAD};
    if (pad)
        fz_buf_add(&h->c->app, zeros, 1, true);
    if (prio) {
        static const uint8_t dep[5] = {0, 0, 0, 0, 15};
        fz_buf_add(&h->c->app, dep, sizeof dep, true);
    }
    fz_buf_add(&h->c->app, block, first, true);
    if (pad)
        fz_buf_add(&h->c->app, zeros + 1, FZ_H2_PAD, true);
    for (size_t off = first; off < (size_t)len;) {
        size_t k = (size_t)len - off < frag ? (size_t)len - off : frag;
        k = k < h->peer_frame ? k : h->peer_frame;
        put_frame(h, T_CONT, off + k == (size_t)len ? F_END_HEADERS : 0, id, block + off, k);
        off += k;
    }
}

/* The base of a request: pseudo-headers in order, the tag in :path. */
static void request_fields(struct fz_fields *f, char *path, size_t cap, unsigned conn, unsigned req,
                           const char *method, bool acme)
{
    char tag[32];
    conn_oracle_tag(tag, sizeof tag, conn, req);
    snprintf(path, cap, "%s%s", acme ? FZ_ACME : "/", tag);
    fields_str(f, ":method", method);
    fields_str(f, ":scheme", "https");
    fields_str(f, ":authority", CONN_HARNESS_TLS_NAME);
    fields_str(f, ":path", path);
}

/* ---- bodies ---------------------------------------------------------------------------------- */

static void put_data(struct fz_h2 *h, struct fz_h2_stream *s, size_t n, bool end)
{
    static char pattern[FZ_H2_FRAME];
    if (!pattern[0])
        for (size_t i = 0; i < sizeof pattern; i++)
            pattern[i] = (char)('a' + i % 26); /* no '~': no tag in a request body */
    static const uint8_t pad[FZ_H2_PAD + 1] = {FZ_H2_PAD};
    size_t extra = s->pad ? FZ_H2_PAD + 1 : 0;
    put_frame_head(h, n + extra, T_DATA, (end ? F_END_STREAM : 0) | (s->pad ? F_PADDED : 0), (uint32_t)s->id);
    if (s->pad)
        fz_buf_add(&h->c->app, pad, 1, true);
    fz_buf_add(&h->c->app, pattern, n, true);
    if (s->pad)
        fz_buf_add(&h->c->app, pad + 1, FZ_H2_PAD, true);
    h->conn_win -= (int64_t)(n + extra);
    s->win -= (int64_t)(n + extra);
}

/* What of the stream's body the windows allow now (all of it when it
 * ignores them), then its END_STREAM (or trailers) once released. */
static bool stream_progress(struct fz_h2 *h, struct fz_h2_stream *s)
{
    bool moved = false;
    size_t extra = s->pad ? FZ_H2_PAD + 1 : 0;
    while (s->allowed > 0) {
        size_t k = s->allowed < s->chunk ? s->allowed : s->chunk;
        k = k + extra <= h->peer_frame ? k : h->peer_frame - extra;
        if (!s->ignore_window) {
            int64_t win = h->conn_win < s->win ? h->conn_win : s->win;
            if (win <= (int64_t)extra)
                break;
            k = (int64_t)k <= win - (int64_t)extra ? k : (size_t)(win - (int64_t)extra);
        }
        bool end = s->end_ok && !s->trailers && k == s->unsent;
        put_data(h, s, k, end);
        s->unsent -= k;
        s->allowed -= k;
        s->local_end |= end;
        moved = true;
    }
    if (s->unsent == 0 && s->end_ok && !s->local_end) {
        struct fz_fields f = {.n = 0};
        fields_str(&f, "x-trailer", "1");
        if (s->trailers)
            put_block(h, (uint32_t)s->id, &f, true, FZ_H2_FRAME, false, false);
        else
            put_data(h, s, 0, true);
        s->local_end = true;
        moved = true;
    }
    return moved;
}

bool fz_h2_progress(struct fz_client *c)
{
    struct fz_h2 *h = c->h2;
    bool moved = false;
    for (unsigned i = 0; h && i < FZ_H2_STREAMS; i++)
        if (h->st[i].used && !h->st[i].local_end)
            moved |= stream_progress(h, &h->st[i]);
    return moved;
}

/* How much goes now (v & 3): all, the head only, half, one byte. */
static void body_plan(struct fz_h2_stream *s, size_t size, size_t chunk, uint8_t v)
{
    s->unsent = size;
    s->chunk = chunk;
    switch (v & 3) {
    case 0: s->allowed = size; break;
    case 1: s->allowed = 0; break;
    case 2: s->allowed = size / 2; break;
    default: s->allowed = size ? 1 : 0; break;
    }
    s->end_ok = (v & 3) == 0;
}

void fz_h2_release(struct fz_client *c, size_t n)
{
    struct fz_h2 *h = c->h2;
    for (unsigned i = 0; i < FZ_H2_STREAMS; i++) {
        struct fz_h2_stream *s = &h->st[i];
        if (!s->used || s->local_end || s->end_ok)
            continue;
        s->allowed = n >= s->unsent - s->allowed ? s->unsent : s->allowed + n;
        s->end_ok = s->allowed == s->unsent;
        return; /* the oldest slot with something held */
    }
}

/* ---- requests -------------------------------------------------------------------------------- */

/* a: method (bits 0-2), cookies and the like (3), a header block split
 * into CONTINUATIONs (4), Expect (5), a non-ACME path (6), a WebSocket
 * by extended CONNECT (7); b: body framing (0-1: none, content-length,
 * none announced, content-length and trailers), size (2-4), DATA frame
 * size (5-7, also the CONTINUATIONs'); v: how much goes now (0-1),
 * END_STREAM in an empty DATA rather than on HEADERS (2), padding header
 * (3-4), PADDED frames (5), PRIORITY on HEADERS (6), windows ignored (7). */
void fz_h2_request(struct fz *f, struct fz_client *c, uint8_t a, uint8_t b, uint8_t v)
{
    static const char *const methods[] = {"GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    (void)f;
    struct fz_h2 *h = c->h2;
    if (c->next_req + 1 >= CONN_ORACLE_REQS)
        return;
    struct fz_h2_stream *s = new_stream(h, c->next_req + 1);
    if (!s)
        return;
    unsigned req = ++c->next_req;
    bool ws = a & 0x80;
    unsigned body = ws ? 0 : b & 3;
    size_t size = fz_h2_sizes[(b >> 2) & 7], chunk = fz_h2_chunks[(b >> 5) & 7];
    const char *method = ws ? "CONNECT" : methods[a & 7];
    struct fz_fields fl = {.n = 0};
    char path[96], clen[24], pad[8192];
    request_fields(&fl, path, sizeof path, c->conn, req, method, !(a & 0x40));
    if (ws) {
        fields_str(&fl, ":protocol", "websocket");
        fields_str(&fl, "sec-websocket-version", "13");
    }
    if (body == 1 || body == 3) {
        snprintf(clen, sizeof clen, "%zu", size);
        fields_str(&fl, "content-length", clen);
    }
    if ((a & 0x20) && body)
        fields_str(&fl, "expect", "100-continue");
    if (a & 0x08) {
        fields_str(&fl, "cookie", "a=1");
        fields_str(&fl, "cookie", "b=2");
        fields_str(&fl, "te", "trailers");
    }
    size_t padn = fz_h2_pads[(v >> 3) & 3];
    if (padn) {
        for (size_t i = 0; i < padn; i++)
            pad[i] = (char)('a' + i % 26);
        field(&fl, "x-pad", pad, padn);
    }
    s->head = strcmp(method, "HEAD") == 0;
    s->ws = ws;
    s->trailers = body == 3;
    s->pad = v & 0x20;
    s->ignore_window = v & 0x80;
    body_plan(s, body ? size : 0, chunk, v);
    bool end_now = !body && !ws && !(v & 4) && s->end_ok;
    put_block(h, (uint32_t)s->id, &fl, end_now, (a & 0x10) ? chunk : FZ_H2_BLOCK, v & 0x20, v & 0x40);
    s->local_end = end_now;
    if (ws) {
        s->end_ok = false; /* a tunnel's client half stays open: its bytes are the program's */
        s->unsent = s->allowed = 0;
    }
    stream_progress(h, s);
}

/* ---- malformed requests (RFC 9113 §8.2-8.3) -------------------------------------------------- */

struct fz_h2_shape {
    bool refuse; /* never reaches a backend */
    const char *name, *value;
    size_t vlen;
    int body; /* DATA bytes after the head (END_STREAM on the last); -1: END_STREAM on HEADERS */
};

#define H2S(refuse, name, value, body)                                                                       \
    {                                                                                                        \
        refuse, name, value, sizeof value - 1, body                                                          \
    }

/* One field added to a well-formed GET (or changing it, for the pseudo
 * ones); "@" as name: the fields out of order. */
static const struct fz_h2_shape fz_h2_shapes[] = {
    H2S(true, "X-Upper", "1", -1),
    H2S(true, "connection", "keep-alive", -1),
    H2S(true, "transfer-encoding", "chunked", 5),
    H2S(true, "te", "gzip", -1),
    H2S(true, "x-a", "b\r\nx-b: c", -1),
    H2S(true, "x-a", "b\0c", -1),
    H2S(true, "x-a", " b", -1),
    H2S(true, "x-a", "b ", -1),
    H2S(true, "@after", "", -1), /* a pseudo-header after a regular one */
    H2S(true, ":path", "/again", -1),
    H2S(true, ":method", "POST", -1),
    H2S(true, "host", "other.example", -1),
    H2S(true, ":foo", "bar", -1),
    H2S(true, "content-length", "0", 5), /* H2.CL: a body after content-length 0 */
    H2S(true, "content-length", "+5", 5),
    H2S(true, "x a", "b", -1),
    H2S(true, "upgrade", "h2c", -1),
    H2S(true, "keep-alive", "timeout=5", -1),
    H2S(true, "proxy-connection", "keep-alive", -1),
    H2S(true, "@nomethod", "", -1),
    H2S(true, "x-a", "b\nc", -1),
    H2S(true, "x-a", "b\rc", -1),
    H2S(true, ":authority", "a\r\nb", -1),
    H2S(true, "@emptyname", "x", -1),
    H2S(false, "content-length", "10", 5), /* fewer bytes than it said: the head may have gone */
    H2S(false, "content-length", "3", 5),  /* more: the head may have gone, never the excess */
    H2S(false, "cookie", "c=3", -1),
    H2S(false, "host", CONN_HARNESS_TLS_NAME, -1),
    H2S(false, "x-a", "b\x80\xff", -1),
    H2S(false, "@nohostonly", "", -1),
    H2S(false, "te", "trailers", -1),
    H2S(false, "content-length", "5", 5),
};

/* Shape `which` on a new stream, tagged; a refused one is marked so for
 * the backends' oracle. */
void fz_h2_smuggle(struct fz *f, struct fz_client *c, uint8_t which)
{
    struct fz_h2 *h = c->h2;
    const struct fz_h2_shape *sh = &fz_h2_shapes[which % (sizeof fz_h2_shapes / sizeof fz_h2_shapes[0])];
    if (c->next_req + 1 >= CONN_ORACLE_REQS)
        return;
    struct fz_h2_stream *s = new_stream(h, c->next_req + 1);
    if (!s)
        return;
    unsigned req = ++c->next_req;
    struct fz_fields fl = {.n = 0};
    char path[96], tag[32];
    conn_oracle_tag(tag, sizeof tag, c->conn, req);
    snprintf(path, sizeof path, "/%s", tag);
    bool post = sh->body >= 0;
    if (strcmp(sh->name, "@after") == 0) {
        fields_str(&fl, ":method", "GET");
        fields_str(&fl, "x-a", "b");
        fields_str(&fl, ":scheme", "https");
        fields_str(&fl, ":authority", CONN_HARNESS_TLS_NAME);
        fields_str(&fl, ":path", path);
    } else if (strcmp(sh->name, "@nomethod") == 0 || strcmp(sh->name, "@nohostonly") == 0) {
        bool host = sh->name[3] == 'h';
        if (host)
            fields_str(&fl, ":method", "GET");
        fields_str(&fl, ":scheme", "https");
        if (!host)
            fields_str(&fl, ":authority", CONN_HARNESS_TLS_NAME);
        fields_str(&fl, ":path", path);
        if (host)
            fields_str(&fl, "host", CONN_HARNESS_TLS_NAME); /* Host instead of :authority: allowed */
    } else {
        fields_str(&fl, ":method", post ? "POST" : "GET");
        fields_str(&fl, ":scheme", "https");
        fields_str(&fl, ":authority", CONN_HARNESS_TLS_NAME);
        fields_str(&fl, ":path", path);
        if (strcmp(sh->name, "@emptyname") == 0)
            field(&fl, "", sh->value, sh->vlen);
        else
            field(&fl, sh->name, sh->value, sh->vlen);
    }
    if (sh->refuse)
        conn_oracle_world_refuse(f ? &f->world : h->world, c->conn, req);
    body_plan(s, post ? (size_t)sh->body : 0, FZ_H2_FRAME, 0);
    put_block(h, (uint32_t)s->id, &fl, !post, FZ_H2_BLOCK, false, false);
    s->local_end = !post;
    stream_progress(h, s);
}

void fz_h2_raw(struct fz_client *c)
{
    c->h2->raw = true; /* frames the oracle does not know: streams it never opened may answer */
}

/* ---- control frames and hostile ones (OP_H2) ------------------------------------------------- */

/* A header block left open: HEADERS without END_HEADERS for a new
 * (untagged) stream, and `more` 1-byte CONTINUATIONs, the last without
 * END_HEADERS too. */
static void open_block(struct fz_h2 *h, unsigned more)
{
    struct fz_h2_stream *s = new_stream(h, 0);
    if (!s)
        return;
    struct fz_fields fl = {.n = 0};
    char path[96];
    request_fields(&fl, path, sizeof path, 0, 0, "GET", false);
    static uint8_t block[FZ_H2_BLOCK];
    ssize_t len = nghttp2_hd_deflate_hd(h->def, block, sizeof block, fl.nv, fl.n);
    size_t first = len > 1 ? (size_t)len / 2 : 0;
    put_frame(h, T_HEADERS, F_END_STREAM, (uint32_t)s->id, block, first);
    for (unsigned i = 0; i < more && first + i < (size_t)(len > 0 ? len : 0); i++)
        put_frame(h, T_CONT, 0, (uint32_t)s->id, block + first + i, 1);
    s->local_end = true;
}

/* Tagged GETs, each reset at once (CVE-2023-44487). */
static void rapid_reset(struct fz_client *c, unsigned n)
{
    struct fz_h2 *h = c->h2;
    for (unsigned i = 0; i < n && c->next_req + 1 < CONN_ORACLE_REQS; i++) {
        struct fz_h2_stream *s = new_stream(h, c->next_req + 1);
        if (!s)
            return;
        unsigned req = ++c->next_req;
        struct fz_fields fl = {.n = 0};
        char path[96];
        request_fields(&fl, path, sizeof path, c->conn, req, "GET", false);
        put_block(h, (uint32_t)s->id, &fl, true, FZ_H2_BLOCK, false, false);
        put_rst(h, (uint32_t)s->id, NGHTTP2_CANCEL);
        s->local_end = true;
        s->reset_out = true;
    }
}

static void settings_op(struct fz_h2 *h, uint8_t x, uint8_t y)
{
    static const uint16_t ids[] = {
        NGHTTP2_SETTINGS_HEADER_TABLE_SIZE,       NGHTTP2_SETTINGS_ENABLE_PUSH,
        NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,  NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
        NGHTTP2_SETTINGS_MAX_FRAME_SIZE,          NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
        NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 0x99};
    uint16_t id[2] = {ids[x & 7], ids[(x >> 3) & 7]};
    uint32_t value[2] = {fz_h2_values[y % 10], fz_h2_values[(y / 10) % 10]};
    put_settings(h, id, value, (x & 0x40) ? 2 : 1);
}

static void flood(struct fz_h2 *h, uint8_t type, uint32_t id, unsigned n)
{
    uint8_t p[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    for (unsigned i = 0; i < n; i++) {
        if (type == T_PING)
            put_frame(h, T_PING, 0, 0, p, 8);
        else if (type == T_WINDOW)
            put_window(h, id, 1);
        else
            put_frame(h, T_DATA, 0, id, NULL, 0);
        if (type == T_DATA && !id)
            break;
    }
}

/* OP_H2 slot kind x y: one frame (or a run of them) of `kind`. */
void fz_h2_frame(struct fz *f, struct fz_in *in)
{
    uint8_t which = fz_u8(in), kind = fz_u8(in), x = fz_u8(in), y = fz_u8(in);
    struct fz_client *c = &f->cl[which % FZ_CLIENTS];
    if (!c->used || c->kind != FZ_H2 || !c->h2 || c->shut_pending)
        return;
    struct fz_h2 *h = c->h2;
    struct fz_h2_stream *s;
    uint32_t id = pick_stream(h, y, &s);
    uint8_t p[FZ_H2_FRAME + 16] = {0};
    switch (kind % 18) {
    case 0: settings_op(h, x, y); break;
    case 1: put_frame(h, T_SETTINGS, F_ACK, 0, p, (x & 1) ? 6 : 0); break; /* unasked; with a payload */
    case 2: {
        static const uint32_t incs[] = {1, 100, 16384, 65535, 1 << 20, 0x7fffffff, 0};
        put_window(h, (x & 1) ? id : 0, incs[(x >> 1) % 7]);
        break;
    }
    case 3:
        put_rst(h, (x & 1) ? 0 : id, y % 14);
        if (s && !(x & 1))
            s->local_end = s->reset_out = true;
        break;
    case 4: put_frame(h, T_PING, (x & 1) ? F_ACK : 0, (x & 4) ? 1 : 0, p, (x & 2) ? 7 : 8); break;
    case 5: {
        uint8_t g[8];
        put_u32(g, (x & 1) ? (uint32_t)h->max_id : 0);
        put_u32(g + 4, y % 14);
        put_frame(h, T_GOAWAY, 0, 0, g, 8);
        break;
    }
    case 6: { /* PRIORITY: on a stream, on itself (a stream error), on an idle one */
        uint32_t on = (x & 2) ? (uint32_t)h->next_id + 2 : id;
        put_u32(p, (x & 1) ? on : 0);
        p[4] = y;
        put_frame(h, T_PRIORITY, 0, on, p, (x & 4) ? 4 : 5);
        break;
    }
    case 7: put_frame(h, T_CONT, F_END_HEADERS, id, p, x % 8); break; /* no HEADERS before it */
    case 8: flood(h, T_DATA, s && !s->local_end ? id : 0, 1 + y % FZ_H2_FLOOD_MAX); break;
    case 9:
        put_frame(h, T_DATA, (x & 1) ? F_END_STREAM : 0, (x & 2) ? id : (uint32_t)h->next_id + 40, p, x % 32);
        break; /* DATA on a stream that ended, or on one never opened */
    case 10: put_frame(h, 0x42 + (x & 7), x, id, p, y % 64); break; /* unknown types are ignored */
    case 11: {                                                      /* a header block that does not decode */
        struct fz_h2_stream *b = new_stream(h, 0);
        if (b) {
            memset(p, 0xff, 16);
            put_frame(h, T_HEADERS, F_END_HEADERS | F_END_STREAM, (uint32_t)b->id, p, 1 + x % 16);
            b->local_end = true;
        }
        break;
    }
    case 12: rapid_reset(c, 1 + y % 32); break;
    case 13: flood(h, T_PING, 0, 1 + y % FZ_H2_FLOOD_MAX); break;
    case 14: /* more than SETTINGS_MAX_FRAME_SIZE */
        put_frame(h, (x & 1) ? T_HEADERS : T_DATA, 0, (x & 1) ? (uint32_t)h->next_id : id, p,
                  FZ_H2_FRAME + 1 + x % 8);
        break;
    case 15: flood(h, T_WINDOW, (x & 1) ? id : 0, 1 + y % FZ_H2_FLOOD_MAX); break;
    case 16: open_block(h, 0); break;
    default: open_block(h, 1 + y % 16); break; /* CONTINUATION flood */
    }
}

/* ---- life ------------------------------------------------------------------------------------ */

/* The preface (how bits 3-5): standard; windows of 0 or 100 bytes; HPACK
 * table 0 and one stream at a time, and a big connection window; large
 * frames and windows; the magic without SETTINGS; a broken magic; no
 * SETTINGS_ENABLE_PUSH. */
static void preface(struct fz_h2 *h, unsigned shape)
{
    const char *magic = shape == 6 ? "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" : FZ_H2_MAGIC;
    fz_buf_add(&h->c->app, magic, strlen(magic), true);
    uint16_t id[3] = {NGHTTP2_SETTINGS_ENABLE_PUSH, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
                      NGHTTP2_SETTINGS_MAX_FRAME_SIZE};
    uint32_t v[3] = {0, FZ_H2_WINDOW, FZ_H2_FRAME};
    switch (shape) {
    case 1: v[1] = 0; break;
    case 2: v[1] = 100; break;
    case 3:
        id[1] = NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, v[1] = 0;
        id[2] = NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, v[2] = 1;
        break;
    case 4: v[1] = 0x7fffffff, v[2] = (1 << 24) - 1; break;
    case 5: return;
    case 7: put_settings(h, id + 1, v + 1, 2); return;
    default: break;
    }
    put_settings(h, id, v, 3);
    if (shape == 3)
        put_window(h, 0, 1 << 24);
}

bool fz_h2_open(struct fz *f, struct fz_client *c, uint8_t how)
{
    struct fz_h2 *h = &fz_h2s[c - f->cl];
    struct fz_buf in = h->in, block = h->block;
    *h = (struct fz_h2){.c = c,
                        .world = &f->world,
                        .next_id = 1,
                        .conn_win = FZ_H2_WINDOW,
                        .init_win = FZ_H2_WINDOW,
                        .peer_frame = FZ_H2_FRAME,
                        .max_in = FZ_H2_FRAME,
                        .no_ack = how & 0x80,
                        .in = in,
                        .block = block};
    h->in.len = h->in.off = h->in.release = 0;
    h->block.len = h->block.off = h->block.release = 0;
    if (nghttp2_hd_deflate_new(&h->def, 4096) != 0)
        return false;
    if (nghttp2_hd_inflate_new(&h->inf) != 0) {
        nghttp2_hd_deflate_del(h->def);
        return false;
    }
    c->h2 = h;
    preface(h, (how >> 3) & 7);
    return true;
}

void fz_h2_close(struct fz_client *c)
{
    struct fz_h2 *h = c->h2;
    if (!h)
        return;
    nghttp2_hd_deflate_del(h->def);
    nghttp2_hd_inflate_del(h->inf);
    h->def = NULL;
    h->inf = NULL;
    c->h2 = NULL;
}
