/*
 * conn_h2read: what fuzz_conn.c's HTTP/2 clients receive: the gateway's
 * frames parsed, header blocks decoded with nghttp2's inflater, and the
 * oracle of conn_h2.h on each stream (whose answer it carries, the body
 * byte for byte). The client side of the protocol too: SETTINGS and PING
 * acknowledged, windows followed.
 */
#include "tests/fuzz/conn_h2.h"

#include "tests/fuzz/conn_shapes.h"

#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { T_DATA, T_HEADERS, T_PRIORITY, T_RST, T_SETTINGS, T_PUSH, T_PING, T_GOAWAY, T_WINDOW, T_CONT };
enum { F_END_STREAM = 1, F_ACK = 1, F_END_HEADERS = 4, F_PADDED = 8, F_PRIORITY = 0x20 };

#define FZ_H2_BLOCK_MAX (1 << 20) /* a header block of the gateway's: more is a finding */

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void reply(struct fz_h2 *h, uint8_t type, uint8_t flags, const uint8_t *p, size_t len)
{
    uint8_t b[FZ_H2_HDR] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags, 0, 0, 0, 0};
    fz_buf_add(&h->c->app, b, sizeof b, true);
    fz_buf_add(&h->c->app, p, len, true);
}

static struct fz_h2_stream *stream_of(struct fz_h2 *h, int32_t id)
{
    for (unsigned i = 0; i < FZ_H2_STREAMS; i++)
        if (h->st[i].used && h->st[i].id == id)
            return &h->st[i];
    return NULL;
}

/* A frame on stream id that the client has no record of: fine after raw
 * bytes (they may have opened it) or for a stream whose slot was reused;
 * never for a stream id the client did not open. */
static void unknown_stream(struct fz_h2 *h, int32_t id, const char *what)
{
    if (!h->raw && (id % 2 == 0 || id > h->max_id))
        fz_die("h2 client %u: %s on stream %d, which it never opened", h->c->conn, what, (int)id);
}

/* ---- response heads -------------------------------------------------------------------------- */

struct fz_h2_head {
    int status;
    long tag_conn, tag_req;
    int64_t clen;
};

static bool parse_tag(const char *v, size_t n, long *a, long *b)
{
    char t[32];
    if (n == 0 || n >= sizeof t)
        return false;
    memcpy(t, v, n);
    t[n] = '\0';
    return sscanf(t, "%ld.%ld", a, b) == 2;
}

static void head_field(struct fz_h2_head *hd, const nghttp2_nv *nv)
{
    const char *name = (const char *)nv->name, *value = (const char *)nv->value;
    char num[24];
    size_t n = nv->valuelen < sizeof num - 1 ? nv->valuelen : sizeof num - 1;
    memcpy(num, value, n);
    num[n] = '\0';
    if (nv->namelen == 7 && memcmp(name, ":status", 7) == 0)
        hd->status = atoi(num);
    else if (nv->namelen == 14 && memcmp(name, "content-length", 14) == 0)
        hd->clen = strtoll(num, NULL, 10);
    else if (nv->namelen == strlen(CONN_ORACLE_TAG_HDR) &&
             strncasecmp(name, CONN_ORACLE_TAG_HDR, nv->namelen) == 0 &&
             !parse_tag(value, nv->valuelen, &hd->tag_conn, &hd->tag_req))
        hd->tag_conn = hd->tag_req = 0; /* a tag header that is not one: foreign */
}

/* The whole header block: decoded (the HPACK state moves for every
 * block, known stream or not). */
static void decode_block(struct fz_h2 *h, struct fz_h2_head *hd)
{
    uint8_t *in = (uint8_t *)h->block.data;
    size_t left = h->block.len;
    *hd = (struct fz_h2_head){.status = 0, .tag_conn = -1, .tag_req = -1, .clen = -1};
    for (;;) {
        nghttp2_nv nv;
        int fl = 0;
        ssize_t r = nghttp2_hd_inflate_hd2(h->inf, &nv, &fl, in, left, 1);
        if (r < 0)
            fz_die("h2 client %u: the gateway's header block on stream %d does not decode (%s)", h->c->conn,
                   (int)h->block_id, nghttp2_strerror((int)r));
        in += r;
        left -= (size_t)r;
        if (fl & NGHTTP2_HD_INFLATE_EMIT)
            head_field(hd, &nv);
        if (fl & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(h->inf);
            return;
        }
        if (r == 0 && left == 0)
            fz_die("h2 client %u: the gateway's header block on stream %d ends inside a field", h->c->conn,
                   (int)h->block_id);
    }
}

/* The body must be the fake backend's answer to this request: its
 * pattern byte for byte, when the oracle knows nothing else could be in
 * it. */
static void start_body(struct fz_h2 *h, struct fz_h2_stream *s)
{
    s->pat_len = 0;
    if (s->ws || s->head || s->tag_conn != (long)h->c->conn || s->tag_req != (long)s->req || s->req == 0)
        return;
    if (h->world->flags[s->tag_conn][s->tag_req] & CONN_ORACLE_F_RAW)
        return;
    s->pat_len = fz_shape_body_pattern(s->tag_conn, s->tag_req, s->pat, sizeof s->pat);
}

static void body_short(struct fz_h2 *h, const struct fz_h2_stream *s)
{
    bool bodyless = s->head || s->status == 204 || s->status == 304 || s->ws;
    if (s->clen >= 0 && !bodyless && !s->reset && !s->reset_out && (uint64_t)s->clen != s->got)
        fz_die(
            "h2 client %u: stream %d (request ~%u.%u, status %d) ended after %llu body bytes of the %lld its "
            "content-length says",
            h->c->conn, (int)s->id, h->c->conn, s->req, s->status, (unsigned long long)s->got,
            (long long)s->clen);
}

static void on_head(struct fz_h2 *h, int32_t id, bool end_stream)
{
    struct fz_h2_head hd;
    decode_block(h, &hd);
    struct fz_h2_stream *s = stream_of(h, id);
    if (!s) {
        unknown_stream(h, id, "HEADERS");
        return;
    }
    if (s->remote_end || s->reset)
        fz_die("h2 client %u: HEADERS on stream %d after it ended", h->c->conn, (int)id);
    bool raw = s->req > 0 && s->req < CONN_ORACLE_REQS && h->c->conn <= CONN_ORACLE_CONNS &&
               (h->world->flags[h->c->conn][s->req] & CONN_ORACLE_F_RAW);
    /* (a backend that sent an answer nobody asked for, behind another,
     * has the next request on that socket read it: its fault, not ours) */
    if (!raw && hd.tag_conn >= 0 && (hd.tag_conn != (long)h->c->conn || hd.tag_req != (long)s->req))
        fz_die("h2 client %u: stream %d (request ~%u.%u) got the answer (status %d) of request ~%ld.%ld",
               h->c->conn, (int)id, h->c->conn, s->req, hd.status, hd.tag_conn, hd.tag_req);
    if (s->final) {
        if (hd.status || !end_stream)
            fz_die("h2 client %u: a second head (status %d) on stream %d", h->c->conn, hd.status, (int)id);
    } else if (hd.status >= 100 && hd.status < 200 && hd.status != 101) {
        if (end_stream)
            fz_die("h2 client %u: an interim head (%d) ends stream %d", h->c->conn, hd.status, (int)id);
    } else if (hd.status < 200 || hd.status > 599) {
        fz_die("h2 client %u: a response head on stream %d with status %d", h->c->conn, (int)id, hd.status);
    } else {
        s->final = true;
        s->status = hd.status;
        s->tag_conn = hd.tag_conn;
        s->tag_req = hd.tag_req;
        s->clen = hd.clen;
        start_body(h, s);
    }
    if (end_stream) {
        s->remote_end = true;
        body_short(h, s);
    }
}

/* ---- response bodies ------------------------------------------------------------------------- */

/* A tag seen in a body ("~A.B" then something else): it must be ours. */
static void scan_done(struct fz_h2 *h, struct fz_h2_stream *s)
{
    long a, b;
    s->scanning = false;
    if (!parse_tag(s->scan, s->scan_len, &a, &b))
        return;
    char own[32];
    int n = snprintf(own, sizeof own, "%u.%u", h->c->conn, s->req);
    bool raw = s->ws || (s->req > 0 && s->req < CONN_ORACLE_REQS && h->c->conn <= CONN_ORACLE_CONNS &&
                         (h->world->flags[h->c->conn][s->req] & CONN_ORACLE_F_RAW));
    size_t k = n > 0 && (size_t)n < s->scan_len ? (size_t)n : s->scan_len;
    if (raw && memcmp(s->scan, own, k) == 0)
        return; /* raw bytes (digits, never a '~') may follow a tag of ours, or cut it short (a tunnel's) */
    if (a != (long)h->c->conn || b != (long)s->req)
        fz_die("h2 client %u: stream %d (request ~%u.%u) got body bytes of the answer to request ~%ld.%ld",
               h->c->conn, (int)s->id, h->c->conn, s->req, a, b);
}

/* A body that ends inside a tag (an answer to EOF cut short): what came
 * of it must begin the stream's own. */
static void scan_cut(struct fz_h2 *h, struct fz_h2_stream *s)
{
    char own[32];
    int n = snprintf(own, sizeof own, "%u.%u", h->c->conn, s->req);
    if (n > 0 && s->scan_len <= (size_t)n && memcmp(own, s->scan, s->scan_len) == 0) {
        s->scanning = false;
        return;
    }
    scan_done(h, s); /* a whole tag (perhaps with raw digits behind it): judged as one */
}

static void body_bytes(struct fz_h2 *h, struct fz_h2_stream *s, const uint8_t *p, size_t n)
{
    if (s->pat_len && (h->world->flags[s->tag_conn][s->tag_req] & CONN_ORACLE_F_RAW))
        s->pat_len = 0; /* raw bytes went out since its head: they may be in its body */
    for (size_t i = 0; i < n; i++) {
        char ch = (char)p[i];
        if (s->pat_len && ch != s->pat[(s->got + i) % s->pat_len])
            fz_die("h2 client %u: stream %d (request ~%u.%u): body byte %llu is 0x%02x, its answer has '%c' "
                   "there",
                   h->c->conn, (int)s->id, h->c->conn, s->req, (unsigned long long)(s->got + i),
                   (unsigned char)ch, s->pat[(s->got + i) % s->pat_len]);
        if (s->scanning && ((ch >= '0' && ch <= '9') || ch == '.') && s->scan_len < sizeof s->scan - 1) {
            s->scan[s->scan_len++] = ch;
            continue;
        }
        if (s->scanning)
            scan_done(h, s);
        if (ch == '~') {
            s->scanning = true;
            s->scan_len = 0;
        }
    }
    s->got += n;
    if (s->clen >= 0 && s->got > (uint64_t)s->clen && !s->head)
        fz_die("h2 client %u: stream %d (request ~%u.%u): %llu body bytes, its content-length says %lld",
               h->c->conn, (int)s->id, h->c->conn, s->req, (unsigned long long)s->got, (long long)s->clen);
}

static void on_data(struct fz_h2 *h, int32_t id, uint8_t flags, const uint8_t *p, size_t n)
{
    struct fz_h2_stream *s = stream_of(h, id);
    if (!s) {
        unknown_stream(h, id, "DATA");
        return;
    }
    if (s->remote_end || s->reset)
        fz_die("h2 client %u: DATA on stream %d after it ended", h->c->conn, (int)id);
    if (!s->final)
        fz_die("h2 client %u: DATA on stream %d before its response head", h->c->conn, (int)id);
    if ((s->head || s->status == 204 || s->status == 304) && n > 0)
        fz_die("h2 client %u: %zu body bytes on stream %d, an answer (%d) that has none", h->c->conn, n,
               (int)id, s->status);
    body_bytes(h, s, p, n);
    if (flags & F_END_STREAM) {
        if (s->scanning)
            scan_cut(h, s);
        s->remote_end = true;
        body_short(h, s);
    }
}

/* ---- frames ---------------------------------------------------------------------------------- */

static void on_settings(struct fz_h2 *h, uint8_t flags, const uint8_t *p, size_t n)
{
    if (flags & F_ACK)
        return;
    if (n % 6)
        fz_die("h2 client %u: a SETTINGS frame of %zu bytes", h->c->conn, n);
    for (size_t i = 0; i + 6 <= n; i += 6) {
        uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);
        uint32_t v = get_u32(p + i + 2);
        if (id == NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) {
            for (unsigned k = 0; k < FZ_H2_STREAMS; k++)
                h->st[k].win += (int64_t)v - h->init_win;
            h->init_win = v;
        } else if (id == NGHTTP2_SETTINGS_MAX_FRAME_SIZE) {
            h->peer_frame = v;
        } else if (id == NGHTTP2_SETTINGS_HEADER_TABLE_SIZE) {
            nghttp2_hd_deflate_change_table_size(h->def, v < 4096 ? v : 4096);
        }
    }
    if (!h->no_ack)
        reply(h, T_SETTINGS, F_ACK, NULL, 0);
}

static void on_window(struct fz_h2 *h, int32_t id, const uint8_t *p, size_t n)
{
    if (n != 4)
        fz_die("h2 client %u: a WINDOW_UPDATE of %zu bytes", h->c->conn, n);
    uint32_t inc = get_u32(p) & 0x7fffffff;
    struct fz_h2_stream *s = id ? stream_of(h, id) : NULL;
    if (id == 0)
        h->conn_win += inc;
    else if (s)
        s->win += inc;
}

/* A header block: HEADERS then CONTINUATIONs, nothing in between. */
static void on_block(struct fz_h2 *h, uint8_t type, uint8_t flags, int32_t id, const uint8_t *p, size_t n)
{
    if (type == T_CONT && (!h->in_block || id != h->block_id))
        fz_die("h2 client %u: a CONTINUATION on stream %d outside a header block", h->c->conn, (int)id);
    if (type == T_HEADERS) {
        size_t pad = 0, skip = 0;
        if (flags & F_PADDED) {
            pad = n > 0 ? p[0] : 0;
            skip = 1;
        }
        if (flags & F_PRIORITY)
            skip += 5;
        if (skip + pad > n)
            fz_die("h2 client %u: a HEADERS frame with %zu bytes of padding in %zu", h->c->conn, pad, n);
        h->in_block = true;
        h->block_id = id;
        h->block_end_stream = flags & F_END_STREAM;
        h->block.len = h->block.off = h->block.release = 0;
        p += skip;
        n -= skip + pad;
    }
    if (h->block.len + n > FZ_H2_BLOCK_MAX)
        fz_die("h2 client %u: a header block of more than %d bytes", h->c->conn, FZ_H2_BLOCK_MAX);
    fz_buf_add(&h->block, p, n, true);
    if (flags & F_END_HEADERS) {
        h->in_block = false;
        on_head(h, id, h->block_end_stream);
    }
}

static void on_frame(struct fz_h2 *h, uint8_t type, uint8_t flags, int32_t id, const uint8_t *p, size_t n)
{
    char what[64];
    int wn =
        snprintf(what, sizeof what, "type %u flags 0x%02x stream %d length %zu", type, flags, (int)id, n);
    fz_trace("h2 client", h->c->conn, "frame", what, wn > 0 ? (size_t)wn : 0);
    /* (a GOAWAY may come first: a session that fails on the client's
     * preface has its SETTINGS unsent and sends only that) */
    if (!h->got_settings && type != T_GOAWAY && (type != T_SETTINGS || (flags & F_ACK)))
        fz_die("h2 client %u: the gateway's first frame is of type %u, not SETTINGS", h->c->conn, type);
    if (h->in_block && type != T_CONT)
        fz_die("h2 client %u: a frame of type %u inside the header block of stream %d", h->c->conn, type,
               (int)h->block_id);
    struct fz_h2_stream *s;
    switch (type) {
    case T_DATA: {
        size_t pad = 0, skip = 0;
        if (flags & F_PADDED) {
            pad = n > 0 ? p[0] : 0;
            skip = 1;
        }
        if (skip + pad > n)
            fz_die("h2 client %u: a DATA frame with %zu bytes of padding in %zu", h->c->conn, pad, n);
        on_data(h, id, flags, p + skip, n - skip - pad);
        break;
    }
    case T_HEADERS:
    case T_CONT: on_block(h, type, flags, id, p, n); break;
    case T_RST:
        if ((s = stream_of(h, id)))
            s->reset = true;
        else
            unknown_stream(h, id, "RST_STREAM");
        break;
    case T_SETTINGS:
        h->got_settings = true;
        on_settings(h, flags, p, n);
        break;
    case T_PUSH: fz_die("h2 client %u: PUSH_PROMISE on stream %d", h->c->conn, (int)id);
    case T_PING:
        if (!(flags & F_ACK) && n == 8)
            reply(h, T_PING, F_ACK, p, 8);
        break;
    case T_GOAWAY: h->goaway = true; break;
    case T_WINDOW: on_window(h, id, p, n); break;
    default: break;
    }
}

static void check_alpn(struct fz_h2 *h)
{
    const unsigned char *alpn = NULL;
    unsigned len = 0;
    SSL_get0_alpn_selected(h->c->ssl, &alpn, &len);
    if (len != 2 || memcmp(alpn, "h2", 2) != 0)
        fz_die("h2 client %u: offered ALPN h2, the gateway chose \"%.*s\"", h->c->conn, (int)len,
               alpn ? (const char *)alpn : "");
}

void fz_h2_recv(struct fz_client *c, const char *data, size_t len)
{
    struct fz_h2 *h = c->h2;
    if (!h || len == 0)
        return;
    if (h->in.len == 0)
        check_alpn(h);
    fz_buf_add(&h->in, data, len, true);
    if (h->in.len - h->in.off > FZ_H2_IN_MAX)
        fz_die("h2 client %u: a frame that never ends", c->conn);
    for (;;) {
        const uint8_t *p = (const uint8_t *)h->in.data + h->in.off;
        size_t avail = h->in.len - h->in.off;
        if (avail < FZ_H2_HDR)
            break;
        size_t n = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
        if (n > h->max_in)
            fz_die("h2 client %u: a frame of %zu bytes from the gateway, over the %u allowed", c->conn, n,
                   h->max_in);
        if (avail < FZ_H2_HDR + n)
            break;
        int32_t id = (int32_t)(get_u32(p + 5) & 0x7fffffff);
        h->in.off += FZ_H2_HDR + n;
        on_frame(h, p[3], p[4], id, p + FZ_H2_HDR, n);
    }
    memmove(h->in.data, h->in.data + h->in.off, h->in.len - h->in.off); /* a frame's start stays */
    h->in.len -= h->in.off;
    h->in.off = 0;
    h->in.release = h->in.len;
}
