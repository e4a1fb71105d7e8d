/*
 * h2_rules: HTTP/2 request fields checked and turned into an HTTP/1.1
 * head; response heads turned into HTTP/2 fields. See h2_rules.h.
 */
#include "gateway/http/h2_rules.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
    PSEUDO_METHOD = 1 << 0,
    PSEUDO_SCHEME = 1 << 1,
    PSEUDO_AUTHORITY = 1 << 2,
    PSEUDO_PATH = 1 << 3,
    PSEUDO_PROTOCOL = 1 << 4,
};

static bool lit_eq(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* ---- characters ------------------------------------------------------------------------ */

static bool tchar_lower(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool h2_name_valid(const char *name, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!tchar_lower((unsigned char)name[i]))
            return false;
    return true;
}

/* field-value = *field-content: VCHAR, obs-text, SP/HTAB inside only. */
bool h2_value_valid(const char *value, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        bool blank = c == ' ' || c == '\t';
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false; /* NUL, CR, LF and the other controls */
        if (blank && (i == 0 || i == len - 1))
            return false;
    }
    return true;
}

bool h2_name_connection_specific(const char *name, size_t len)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                        "upgrade"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (lit_eq(name, len, names[i]))
            return true;
    return false;
}

/* ---- the builder's two ends ------------------------------------------------------------- */

static enum h2_verdict head_fail(struct h2_head *h, enum h2_verdict v)
{
    if (h->verdict == H2_OK)
        h->verdict = v;
    return h->verdict;
}

static bool front_put(struct h2_head *h, const char *p, size_t n)
{
    if (n > h->cap - h->tail - h->len)
        return false;
    memcpy(h->buf + h->len, p, n);
    h->len += (uint32_t)n;
    return true;
}

static bool front_str(struct h2_head *h, const char *s)
{
    return front_put(h, s, strlen(s));
}

/* Keeps n bytes at the back; their span. */
static bool tail_keep(struct h2_head *h, const char *p, size_t n, struct h2_span *at)
{
    if (n > h->cap - h->tail - h->len)
        return false;
    h->tail += (uint32_t)n;
    at->off = h->cap - h->tail;
    at->len = (uint32_t)n;
    memcpy(h->buf + at->off, p, n);
    return true;
}

static bool front_span(struct h2_head *h, struct h2_span s)
{
    return front_put(h, h->buf + s.off, s.len);
}

void h2_head_init(struct h2_head *h, char *buf, size_t cap, uint64_t max_list_size, unsigned max_fields,
                  bool allow_protocol)
{
    memset(h, 0, sizeof *h);
    h->buf = buf;
    h->cap = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
    h->max_list_size = max_list_size;
    h->max_fields = max_fields;
    h->allow_protocol = allow_protocol;
    h->content_length = -1;
}

/* ---- pseudo-headers ------------------------------------------------------------------- */

static bool method_valid(const char *s, size_t n)
{
    if (n > H2_METHOD_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(tchar_lower(c) || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return n > 0;
}

/* origin-form or "*": visible ASCII, no fragment (RFC 9113 §8.3.1). */
static bool path_valid(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '/' || (n == 1 && s[0] == '*')))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '#')
            return false;
    return true;
}

static bool authority_valid(const char *s, size_t n)
{
    /* host_valid in http_rules judges the host and port once it is Host;
     * here only what §8.3.1 forbids and what would break the head. */
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '@' || s[i] == ',')
            return false;
    return n > 0;
}

static enum h2_verdict pseudo_add(struct h2_head *h, const char *name, size_t nlen, const char *v,
                                  size_t vlen)
{
    struct h2_span *at;
    uint8_t bit;
    bool ok;
    if (lit_eq(name, nlen, ":method"))
        at = &h->method, bit = PSEUDO_METHOD, ok = method_valid(v, vlen);
    else if (lit_eq(name, nlen, ":scheme"))
        at = &h->scheme, bit = PSEUDO_SCHEME, ok = h2_name_valid(v, vlen);
    else if (lit_eq(name, nlen, ":authority"))
        at = &h->authority, bit = PSEUDO_AUTHORITY, ok = authority_valid(v, vlen);
    else if (lit_eq(name, nlen, ":path"))
        at = &h->path, bit = PSEUDO_PATH, ok = path_valid(v, vlen);
    else if (lit_eq(name, nlen, ":protocol") && h->allow_protocol)
        at = &h->protocol, bit = PSEUDO_PROTOCOL, ok = h->websocket = lit_eq(v, vlen, "websocket");
    else
        return head_fail(h, H2_MALFORMED); /* unknown, or a response's :status */
    if (!ok || h->regular_seen || (h->pseudo_seen & bit))
        return head_fail(h, H2_MALFORMED);
    h->pseudo_seen |= bit;
    if (!tail_keep(h, v, vlen, at))
        return head_fail(h, H2_TOO_LARGE);
    return H2_OK;
}

static bool is_connect(const struct h2_head *h)
{
    return lit_eq(h->buf + h->method.off, h->method.len, "CONNECT");
}

/* §8.3.1: :method, :scheme and :path, or CONNECT with :authority only;
 * extended CONNECT (RFC 8441 §4) with all four and :protocol. */
static bool pseudo_complete(const struct h2_head *h)
{
    uint8_t s = h->pseudo_seen;
    if (!(s & PSEUDO_METHOD))
        return false;
    if (is_connect(h) && !(s & PSEUDO_PROTOCOL))
        return s == (PSEUDO_METHOD | PSEUDO_AUTHORITY);
    if (s & PSEUDO_PROTOCOL)
        return is_connect(h) && (s & PSEUDO_SCHEME) && (s & PSEUDO_PATH) && (s & PSEUDO_AUTHORITY);
    return (s & PSEUDO_SCHEME) && (s & PSEUDO_PATH);
}

/* "METHOD TARGET HTTP/1.1" and Host from :authority; the pseudo values at
 * the back are then dropped (nothing else is kept there yet). */
static enum h2_verdict write_request_line(struct h2_head *h)
{
    if (!pseudo_complete(h))
        return head_fail(h, H2_MALFORMED);
    bool plain_connect = is_connect(h) && !h->websocket;
    bool ok = (h->websocket ? front_str(h, "GET") : front_span(h, h->method)) && front_str(h, " ") &&
              front_span(h, plain_connect ? h->authority : h->path) && front_str(h, " HTTP/1.1\r\n");
    if (ok && (h->pseudo_seen & PSEUDO_AUTHORITY))
        ok = front_str(h, "host: ") && front_span(h, h->authority) && front_str(h, "\r\n");
    if (!ok)
        return head_fail(h, H2_TOO_LARGE);
    /* the spans stay valid for their lengths' sake; their bytes may be reused */
    h->tail = 0;
    h->line_written = true;
    return H2_OK;
}

/* ---- regular fields ---------------------------------------------------------------------- */

static bool digits_only(const char *s, size_t n)
{
    if (n == 0 || n > H2_CONTENT_DIGITS)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static enum h2_verdict content_length_add(struct h2_head *h, const char *v, size_t n)
{
    if (h->content_length >= 0 || !digits_only(v, n))
        return head_fail(h, H2_MALFORMED); /* H2.CL: one plain number or nothing */
    int64_t cl = 0;
    for (size_t i = 0; i < n; i++)
        cl = cl * 10 + (v[i] - '0');
    h->content_length = cl;
    return H2_OK;
}

/* Host: equal to :authority (then already written) or the only source. */
static enum h2_verdict host_add(struct h2_head *h, const char *v, size_t n)
{
    if (h->pseudo_seen & PSEUDO_AUTHORITY) {
        bool same = n == h->authority.len && h->host_seen == false &&
                    strncasecmp(v, h->buf + h->authority.off, n) == 0;
        h->host_seen = true;
        return same ? H2_OK : head_fail(h, H2_MALFORMED);
    }
    h->host_seen = true;
    return H2_OK; /* written as any field; http_request_check judges it */
}

/* Crumbs wait at the back, each as [value][16-bit length], so the line
 * can list them oldest first (the highest slot) joined with "; ". */
static enum h2_verdict cookie_add(struct h2_head *h, const char *v, size_t n)
{
    struct h2_span at;
    uint16_t len = (uint16_t)n;
    if (n > UINT16_MAX || !tail_keep(h, (const char *)&len, sizeof len, &at) || !tail_keep(h, v, n, &at))
        return head_fail(h, H2_TOO_LARGE);
    h->n_cookies++;
    return H2_OK;
}

static enum h2_verdict regular_add(struct h2_head *h, const char *name, size_t nlen, const char *v,
                                   size_t vlen)
{
    if (!h2_name_valid(name, nlen) || !h2_value_valid(v, vlen) || h2_name_connection_specific(name, nlen))
        return head_fail(h, H2_MALFORMED);
    if (lit_eq(name, nlen, "te"))
        return lit_eq(v, vlen, "trailers") ? H2_OK : head_fail(h, H2_MALFORMED); /* hop-by-hop: dropped */
    if (++h->n_fields > h->max_fields)
        return head_fail(h, H2_TOO_LARGE);
    if (!h->line_written && write_request_line(h) != H2_OK)
        return h->verdict;
    if (lit_eq(name, nlen, "content-length") && content_length_add(h, v, vlen) != H2_OK)
        return h->verdict;
    if (lit_eq(name, nlen, "host") && (host_add(h, v, vlen) != H2_OK || (h->pseudo_seen & PSEUDO_AUTHORITY)))
        return h->verdict;
    if (lit_eq(name, nlen, "cookie"))
        return cookie_add(h, v, vlen);
    if (h->websocket && lit_eq(name, nlen, "sec-websocket-key"))
        return H2_OK; /* not an HTTP/2 field (RFC 8441 §5): ours goes to the backend */
    if (!(front_put(h, name, nlen) && front_str(h, ": ") && front_put(h, v, vlen) && front_str(h, "\r\n")))
        return head_fail(h, H2_TOO_LARGE);
    return H2_OK;
}

enum h2_verdict h2_head_add(struct h2_head *h, const char *name, size_t nlen, const char *value, size_t vlen)
{
    h->list_size += nlen + vlen + H2_FIELD_OVERHEAD;
    if (h->verdict != H2_OK)
        return h->verdict;
    if (h->list_size > h->max_list_size)
        return head_fail(h, H2_TOO_LARGE);
    if (nlen > 0 && name[0] == ':')
        return pseudo_add(h, name, nlen, value, vlen);
    h->regular_seen = true;
    return regular_add(h, name, nlen, value, vlen);
}

/* ---- the end of the head ---------------------------------------------------------------- */

/* One Cookie line for all crumbs (RFC 9113 §8.2.3). The front never
 * reaches the back, so copying a crumb forward is safe. */
static bool write_cookies(struct h2_head *h)
{
    if (h->n_cookies == 0)
        return true;
    if (!front_str(h, "cookie: "))
        return false;
    uint32_t end = h->cap;
    for (unsigned i = 0; i < h->n_cookies; i++) {
        uint16_t len;
        memcpy(&len, h->buf + end - sizeof len, sizeof len);
        end -= (uint32_t)sizeof len + len;
        if ((i > 0 && !front_str(h, "; ")) || !front_put(h, h->buf + end, len))
            return false;
    }
    return front_str(h, "\r\n");
}

enum h2_verdict h2_head_finish(struct h2_head *h, bool end_stream, enum h2_body *body)
{
    *body = H2_BODY_NONE;
    if (h->verdict != H2_OK)
        return h->verdict;
    if (!h->line_written && write_request_line(h) != H2_OK)
        return h->verdict;
    if (end_stream && h->content_length > 0)
        return head_fail(h, H2_MALFORMED); /* announced a body, sent none */
    if (!write_cookies(h))
        return head_fail(h, H2_TOO_LARGE);
    bool ok = true;
    if (h->websocket) {
        if (end_stream || h->content_length >= 0 || h->ws_key[0] == '\0')
            return head_fail(h, H2_MALFORMED); /* a tunnel stays open and has no length */
        ok = front_str(h, "connection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: ") &&
             front_str(h, h->ws_key) && front_str(h, "\r\n");
        *body = H2_BODY_TUNNEL;
    } else if (!end_stream && h->content_length < 0) {
        ok = front_str(h, "transfer-encoding: chunked\r\n");
        *body = H2_BODY_CHUNKED;
    } else if (!end_stream) {
        *body = H2_BODY_LENGTH;
    }
    if (!ok || !front_str(h, "\r\n"))
        return head_fail(h, H2_TOO_LARGE);
    return H2_OK;
}

enum h2_verdict h2_head_body(struct h2_head *h, uint64_t n)
{
    h->body_bytes += n;
    if (h->content_length >= 0 && h->body_bytes > (uint64_t)h->content_length)
        return H2_MALFORMED;
    return H2_OK;
}

enum h2_verdict h2_head_body_end(const struct h2_head *h)
{
    if (h->content_length >= 0 && h->body_bytes != (uint64_t)h->content_length)
        return H2_MALFORMED;
    return H2_OK;
}

/* ---- request body chunks --------------------------------------------------------------- */

void h2_chunker_init(struct h2_chunker *k)
{
    *k = (struct h2_chunker){0};
}

static void chunk_size_line(char *at, uint32_t len)
{
    char line[H2_CHUNK_HEAD_LEN + 1];
    snprintf(line, sizeof line, "%04x\r\n", (unsigned)len);
    memcpy(at, line, H2_CHUNK_HEAD_LEN);
}

/* Room for n more bytes and still the close of a chunk and the last one. */
static bool chunk_fits(uint32_t cap, uint32_t end, size_t n)
{
    size_t reserve = H2_CHUNK_TAIL_LEN + sizeof H2_CHUNK_LAST - 1;
    return end <= cap && n + reserve <= cap - end;
}

bool h2_chunker_add(struct h2_chunker *k, char *buf, uint32_t cap, uint32_t *end, uint32_t sent,
                    const char *p, size_t n)
{
    if (n == 0)
        return true;
    bool extend = k->open && !k->locked && k->open_at >= sent && k->open_len + n <= H2_CHUNK_MAX;
    size_t framing = extend ? 0 : H2_CHUNK_HEAD_LEN + (k->open ? H2_CHUNK_TAIL_LEN : 0);
    if (!chunk_fits(cap, *end, n + framing))
        return false;
    if (!extend) {
        if (k->open) {
            memcpy(buf + *end, "\r\n", H2_CHUNK_TAIL_LEN);
            *end += H2_CHUNK_TAIL_LEN;
        }
        *k = (struct h2_chunker){.open_at = *end, .open = true};
        *end += H2_CHUNK_HEAD_LEN;
    }
    memcpy(buf + *end, p, n);
    *end += (uint32_t)n;
    k->open_len += (uint32_t)n;
    chunk_size_line(buf + k->open_at, k->open_len);
    return true;
}

bool h2_chunker_end(struct h2_chunker *k, char *buf, uint32_t cap, uint32_t *end)
{
    size_t tail = k->open ? H2_CHUNK_TAIL_LEN : 0;
    size_t last = sizeof H2_CHUNK_LAST - 1;
    if (*end > cap || tail + last > cap - *end)
        return false;
    memcpy(buf + *end, "\r\n", tail);
    memcpy(buf + *end + tail, H2_CHUNK_LAST, last);
    *end += (uint32_t)(tail + last);
    h2_chunker_init(k);
    return true;
}

void h2_chunker_shift(struct h2_chunker *k, uint32_t by)
{
    if (!k->open || k->locked)
        return;
    if (k->open_at < by)
        k->locked = true; /* its line left already */
    else
        k->open_at -= by;
}

/* The client may still send window - (received - consumed) bytes; they
 * must fit beside what waits, with room for the framing. */
uint64_t h2_body_credit(uint32_t cap, uint32_t unsent, uint64_t received, uint64_t consumed, uint32_t window)
{
    uint64_t room = cap > H2_CHUNK_SLACK + (uint64_t)unsent ? cap - H2_CHUNK_SLACK - unsent : 0;
    uint64_t most = received + room >= window ? received + room - window : 0; /* consumed may grow to */
    if (most > received)
        most = received;
    return most > consumed ? most - consumed : 0;
}

void h2_ws_key_format(char out[H2_WS_KEY_LEN + 1], uint64_t a, uint64_t b)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t raw[18] = {0}; /* 16 bytes, padded to a multiple of 3 */
    for (int i = 0; i < 8; i++) {
        raw[i] = (uint8_t)(a >> (8 * i));
        raw[8 + i] = (uint8_t)(b >> (8 * i));
    }
    for (int i = 0, o = 0; i < 18; i += 3, o += 4) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        out[o] = b64[v >> 18], out[o + 1] = b64[(v >> 12) & 63];
        out[o + 2] = b64[(v >> 6) & 63], out[o + 3] = b64[v & 63];
    }
    out[22] = out[23] = '='; /* 16 bytes: the last group holds one */
    out[H2_WS_KEY_LEN] = '\0';
}

/* ---- response heads --------------------------------------------------------------------- */

struct field_out {
    struct h2_field *out;
    size_t max, n;
    char *scratch;
    size_t scap, sused;
};

static bool field_push(struct field_out *f, const char *name, size_t nlen, const char *value, size_t vlen)
{
    if (f->n == f->max)
        return false;
    f->out[f->n++] = (struct h2_field){.name = name, .nlen = nlen, .value = value, .vlen = vlen};
    return true;
}

/* A copy of s in scratch, lowercased when lower. */
static const char *scratch_copy(struct field_out *f, const char *s, size_t n, bool lower)
{
    if (n > f->scap - f->sused)
        return NULL;
    char *d = f->scratch + f->sused;
    for (size_t i = 0; i < n; i++)
        d[i] = lower && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    f->sused += n;
    return d;
}

static bool dropped_on_response(const struct http_head *h, const char *base, struct http_span name,
                                bool websocket)
{
    return http_header_hop_by_hop(h, base, name) || http_span_ieq(base, name, "transfer-encoding") ||
           http_span_ieq(base, name, "strict-transport-security") ||
           (websocket && http_span_ieq(base, name, "sec-websocket-accept"));
}

int h2_response_fields(const struct http_head *h, const char *base, const struct http_reply_opts *o,
                       struct h2_field *out, size_t max, char *scratch, size_t scap)
{
    struct field_out f = {.out = out, .max = max, .scratch = scratch, .scap = scap};
    char status[4];
    bool ws = o->websocket && h->status == 101;
    snprintf(status, sizeof status, "%03u", ws ? 200 : h->status % 1000);
    const char *st = scratch_copy(&f, status, 3, false);
    if (!st || !field_push(&f, ":status", 7, st, 3))
        return -1;
    for (unsigned i = 0; i < h->n_headers; i++) {
        struct http_header hd = h->headers[i];
        if (dropped_on_response(h, base, hd.name, ws))
            continue;
        const char *name = scratch_copy(&f, base + hd.name.off, hd.name.len, true);
        if (!name || !field_push(&f, name, hd.name.len, base + hd.value.off, hd.value.len))
            return -1;
    }
    char hsts[HTTP_HSTS_VALUE_MAX];
    int n = http_hsts_value(o, hsts, sizeof hsts);
    bool interim = h->status < 200 && !ws;
    if (n > 0 && !interim) {
        const char *v = scratch_copy(&f, hsts, (size_t)n, false);
        if (!v || !field_push(&f, "strict-transport-security", 25, v, (size_t)n))
            return -1;
    }
    return (int)f.n;
}
