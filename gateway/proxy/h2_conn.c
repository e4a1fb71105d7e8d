/*
 * h2_conn: HTTP/2 on a client connection (ALPN h2), part of the
 * connection state machine (see conn_internal.h). conn.c stays the
 * transport (TLS reads and writes, the send deadline); this file puts an
 * h2_session (gateway/http/h2_session.h: nghttp2 behind our budgets and
 * request rules) on it and turns every request stream into one exchange.
 *
 * Streams and backends: each stream is one HTTP/1.1 exchange to a
 * backend, exactly as an HTTP/1.1 client's request: the head h2_rules
 * built is parsed by llhttp and checked by http_rules
 * (conn_request_prepare: Host, request id, X-Forwarded-*, Forwarded, the
 * [limits]), then proxy.c picks a backend, waits for a slot, connects or
 * takes a pooled keep-alive socket, retries, reports health, streams the
 * response back. A backend connection carries one stream at a time (HTTP/1.1
 * has no multiplexing) and goes back to the pool as soon as that
 * response is read, before the client has it all; streams of one client
 * connection run in parallel on as many backend connections.
 *
 * Buffers, per stream (the exchange): the request body waits in cin (its
 * window is given back only as the backend takes it: h2_session.h),
 * chunk framed when the client sent no content-length; the response body
 * waits in bin as payload (http_parser's sink drops the chunk framing),
 * taken by nghttp2 only as far as the client's windows allow, and the
 * backend is read only while bin has room. So one stream never buffers
 * more than CONN_BUF_SIZE each way, one connection never more than
 * max_concurrent_streams times that, plus H2_OUT_SIZE of frames for the
 * TLS socket and, for a client that sent before our SETTINGS applied, one
 * stalled frame (H2_STALL_MAX) and H2_IN_SIZE of input held.
 *
 * Deadlines: the connection's timer runs from the handshake to the first
 * request ([http2] first_stream_timeout) and while no stream is open
 * (idle_timeout); both end in GOAWAY NO_ERROR. Each stream has its own
 * timer for its exchange's phases (the same [limits] as HTTP/1.1) and a
 * stream whose response waits on a window the client keeps shut is reset
 * (CANCEL) after send_timeout; conn.c's send timer cuts a client that
 * stops reading the socket. Drain: GOAWAY in two steps (RFC 9113 §6.8),
 * streams in flight finish.
 *
 * Abuse: a connection that breaks a budget (GOAWAY ENHANCE_YOUR_CALM)
 * and every malformed request count as one refusal for the abuse
 * detector (admission_note_reject), like an HTTP/1.1 client's 400.
 */
#include "gateway/proxy/conn_internal.h"

#include "gateway/admin/metrics.h"
#include "gateway/http/h2_session.h"
#include "gateway/proxy/admission.h"
#include "tls/tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define H2_OUT_SIZE     16384 /* frames waiting for the TLS socket: one record's worth */
#define H2_IN_SIZE      16384 /* one read from the TLS socket */
#define H2_PUMP_ROUNDS  64    /* as conn.c's: more work waits for the next event */
#define H2_STREAM_STEPS 4     /* backend steps of one stream per round */
#define H2_LINGER_MS    1000  /* after our last frame: what the client still sends is read and dropped */

enum h2_deadline { H2_DL_NONE, H2_DL_FIRST_STREAM, H2_DL_IDLE, H2_DL_LINGER };

struct h2_xstream {
    struct h2_stream st; /* the session's part */
    struct h2_conn *h;
    struct exchange *x;
    struct loop_timer timer; /* x's phase deadline */
    struct h2_xstream *next_dirty;
    struct h2_chunker chunks; /* a body without content-length goes chunked */
    uint64_t last_sent_ms;    /* response bytes last went to the session */
    bool dirty;
    bool started;  /* its request head came: logged when it ends */
    bool deferred; /* content-length 0 without END_STREAM: starts at END_STREAM */
};

struct h2_conn {
    struct conn *c;
    struct h2_session *s;
    uint8_t *out; /* H2_OUT_SIZE, while frames wait */
    uint32_t out_start, out_end;
    uint8_t *hold; /* H2_IN_SIZE: input the stalled session did not take yet */
    uint32_t hold_start, hold_end;
    struct h2_xstream *dirty; /* streams with work for the backend side */
    unsigned n_streams;
    enum h2_deadline deadline;
    uint64_t deadline_at; /* loop ms the first-stream or idle deadline falls due */
    bool in_pump;
    bool closing;   /* the session is over: flush, then close */
    bool lingering; /* our side is shut: the client's bytes are dropped until it closes */
    bool notice_sent, goaway_sent;
};

static const struct exchange_ops h2_exchange_ops;

static struct h2_xstream *xs_of(struct h2_stream *st)
{
    return (struct h2_xstream *)((char *)st - offsetof(struct h2_xstream, st));
}

static uint64_t h2_now(const struct h2_conn *h)
{
    return loop_now_ms(h->c->w->loop);
}

static void mark(struct h2_xstream *xs)
{
    if (xs->dirty)
        return;
    xs->dirty = true;
    xs->next_dirty = xs->h->dirty;
    xs->h->dirty = xs;
}

static void unmark(struct h2_xstream *xs)
{
    if (!xs->dirty)
        return;
    for (struct h2_xstream **p = &xs->h->dirty; *p; p = &(*p)->next_dirty) {
        if (*p == xs) {
            *p = xs->next_dirty;
            break;
        }
    }
    xs->dirty = false;
}

/* ---- the connection's deadline ------------------------------------------------------------- */

static void h2_idle_release(struct h2_conn *h);

/* Armed only when what it guards changes, so a busy connection does not
 * push its own deadline away. The timer first fires CONN_IDLE_SHRINK_MS
 * into an idle spell to give buffers back (as an HTTP/1.1 connection's
 * keep-alive does), then at the deadline. */
static void h2_deadline(struct h2_conn *h)
{
    const struct config_http2 *cfg = &h->c->cfg->http2;
    enum h2_deadline want = H2_DL_NONE;
    if (h->lingering)
        return; /* its own deadline runs */
    if (!h->closing && h->n_streams == 0)
        want = h2_session_any_stream(h->s) ? H2_DL_IDLE : H2_DL_FIRST_STREAM;
    if (want == h->deadline)
        return;
    h->deadline = want;
    uint64_t ms = want == H2_DL_FIRST_STREAM ? cfg->first_stream_timeout_ms
                  : want == H2_DL_IDLE       ? cfg->idle_timeout_ms
                                             : 0;
    h->deadline_at = loop_now_ms(h->c->w->loop) + ms;
    conn_timer(h->c, ms > CONN_IDLE_SHRINK_MS ? CONN_IDLE_SHRINK_MS : ms);
}

void h2_conn_on_timer(struct conn *c)
{
    struct h2_conn *h = c->h2;
    if (h->deadline == H2_DL_LINGER) {
        c->client_eof = true; /* our side is shut: no close_notify now */
        conn_close(c);
        return;
    }
    uint64_t now = loop_now_ms(c->w->loop);
    if (now < h->deadline_at) { /* the shrink point of an idle spell */
        h2_idle_release(h);
        conn_timer(c, h->deadline_at - now);
        return;
    }
    metrics_h2_event(H2_EV_LIMIT,
                     h->deadline == H2_DL_FIRST_STREAM ? H2_HIT_FIRST_STREAM_TIMEOUT : H2_HIT_IDLE_TIMEOUT);
    h->deadline = H2_DL_NONE;
    h2_session_goaway(h->s, H2_NO_ERROR);
    h->closing = true;
    h2_conn_pump(c);
}

/* ---- the client side of a stream's exchange (x->ops) --------------------------------------- */

static void xs_on_timer(struct loop *loop, struct loop_timer *t);

static void h2_opts(const struct conn *c, struct http_reply_opts *o)
{
    conn_reply_opts(c, o);
    o->close = false; /* the connection outlives every answer */
}

static void xs_timer(struct exchange *x, uint64_t ms)
{
    struct loop *loop = x->c->w->loop;
    if (ms)
        loop_timer_set(loop, &x->xs->timer, ms);
    else
        loop_timer_clear(loop, &x->xs->timer);
}

static void xs_abort(struct exchange *x)
{
    struct h2_xstream *xs = x->xs;
    h2_session_reset(xs->h->s, &xs->st, H2_INTERNAL_ERROR);
    proxy_release(x, false);
    x->rs = RS_DONE;
    x->bin.start = x->bin.mid = x->bin.end;
    xs_timer(x, 0);
    mark(xs);
}

/* x->resp_h as fields: names lowercased into cout_data (copied by nghttp2
 * on submit). */
static bool xs_head(struct exchange *x, bool final)
{
    struct h2_xstream *xs = x->xs;
    struct http_reply_opts o;
    h2_opts(x->c, &o);
    struct h2_field f[H2_RESPONSE_FIELDS];
    int n = h2_response_fields(&x->resp_h, x->bin_data, &o, f, H2_RESPONSE_FIELDS, x->cout_data,
                               CONN_HEAD_OUT_SIZE);
    if (n < 0)
        return false;
    bool body = final && x->resp_h.body != HTTP_BODY_NONE;
    if (h2_session_respond(xs->h->s, &xs->st, f, (size_t)n, final, body) != 0)
        return false;
    x->bin.start = x->bin.mid; /* the raw head is not forwarded */
    xs->last_sent_ms = h2_now(xs->h);
    mark(xs);
    return true;
}

/* A canned answer (http_reply_error, the one source of their text), read
 * back as a response and sent as fields plus DATA. */
static void xs_reply(struct exchange *x, unsigned status)
{
    struct h2_xstream *xs = x->xs;
    if (x->resp_started) {
        xs_abort(x);
        return;
    }
    proxy_release(x, false);
    struct http_reply_opts o;
    h2_opts(x->c, &o);
    int n = http_reply_error(status, &o, x->cout_data, CONN_HEAD_OUT_SIZE);
    struct http_limits lim = {.max_head = CONN_BUF_SIZE, .max_uri = CONN_BUF_SIZE, .max_headers = 16};
    http_parser_init(&x->resp_p, HTTP_RESPONSE, &x->resp_h, &lim);
    http_parser_next(&x->resp_p, x->cout_data);
    size_t used = 0;
    struct h2_field f[H2_RESPONSE_FIELDS];
    int nf = -1;
    if (n > 0 && http_parser_feed(&x->resp_p, x->cout_data, (size_t)n, &used) == HTTP_FEED_HEAD)
        nf = h2_response_fields(&x->resp_h, x->cout_data, &o, f, H2_RESPONSE_FIELDS, x->bin_data,
                                CONN_BUF_SIZE);
    size_t blen = nf >= 0 ? (size_t)n - used : 0;
    bool body = blen > 0 && !x->info.head_method;
    if (nf < 0 || h2_session_respond(xs->h->s, &xs->st, f, (size_t)nf, true, body) != 0) {
        xs_abort(x);
        return;
    }
    memcpy(x->bin_data, x->cout_data + used, blen); /* the fields were copied: bin is free again */
    x->bin = (struct conn_buf){0, body ? (uint32_t)blen : 0, body ? (uint32_t)blen : 0};
    x->status = status;
    x->local = x->resp_started = true;
    x->rq = RQ_DONE; /* what more of the body comes is dropped */
    x->rs = RS_DONE;
    xs_timer(x, 0);
    h2_session_resume(xs->h->s, &xs->st);
    mark(xs);
}

static void xs_reject(struct exchange *x, unsigned status)
{
    conn_count_reject(x->c, status);
    xs_reply(x, status);
}

/* A backend event: the stream is marked and the connection pumped once
 * after this round of events (a 0 ms timer runs after the I/O of the
 * loop iteration), so responses that came together leave in one TLS
 * write instead of one record each. */
static void xs_pump(struct exchange *x)
{
    struct conn *c = x->c;
    mark(x->xs);
    if (!loop_timer_pending(&c->kick))
        loop_timer_set(c->w->loop, &c->kick, 0);
}

static const struct exchange_ops h2_exchange_ops = {
    .timer = xs_timer,
    .reply = xs_reply,
    .reject = xs_reject,
    .abort = xs_abort,
    .head = xs_head,
    .pump = xs_pump,
};

/* The response waits on a window the client keeps shut (a zero window
 * at the stream or connection level): send_timeout, as for a socket the
 * client does not read. Else the exchange's own deadline. */
static void xs_on_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct h2_xstream *xs = t->arg;
    struct exchange *x = xs->x;
    struct conn *c = x->c;
    if (xs->deferred) { /* the END_STREAM an empty body needs never came */
        xs->deferred = false;
        xs_reject(x, 408);
    } else if (x->rs == RS_BODY && x->bin.start < x->bin.mid) {
        uint64_t stalled = h2_now(xs->h) - xs->last_sent_ms, limit = c->cfg->limits.send_timeout_ms;
        if (stalled >= limit) {
            metrics_h2_event(H2_EV_LIMIT, H2_HIT_SEND_TIMEOUT);
            h2_session_reset(xs->h->s, &xs->st, H2_CANCEL);
            proxy_release(x, false);
            x->rs = RS_DONE;
            x->bin.start = x->bin.mid = x->bin.end;
        } else {
            uint64_t rt = c->cfg->limits.response_timeout_ms;
            xs_timer(x, limit - stalled < rt ? limit - stalled : rt);
        }
    } else {
        proxy_on_timer(x);
    }
    xs_pump(x);
}

/* ---- the session's owner callbacks ----------------------------------------------------------- */

static struct h2_stream *on_open(void *owner, int32_t id)
{
    struct h2_conn *h = owner;
    struct h2_xstream *xs = calloc(1, sizeof *xs);
    struct exchange *x = xs ? exchange_take(h->c, &h2_exchange_ops) : NULL;
    if (!x) {
        free(xs);
        return NULL; /* refused: out of memory */
    }
    x->xs = xs;
    xs->x = x;
    xs->h = h;
    xs->timer = (struct loop_timer){.fn = xs_on_timer, .arg = xs};
    h2_session_stream_init(h->s, &xs->st, id, x->cin_data, CONN_BUF_SIZE);
    h->n_streams++;
    metrics_h2_stream(+1);
    return &xs->st;
}

static bool body_too_large(const struct exchange *x, uint64_t bytes)
{
    uint64_t max = x->c->cfg->limits.max_body_size;
    return max && bytes > max;
}

/* The head is the request line and fields h2_rules wrote: read back as
 * an HTTP/1.1 client's head, then the very same checks and rewrite. */
static unsigned request_head(struct h2_xstream *xs)
{
    struct exchange *x = xs->x;
    size_t used;
    enum http_feed r = http_parser_feed(&x->req_p, x->cin_data, xs->st.head.len, &used);
    if (r != HTTP_FEED_HEAD)
        return x->req_p.status ? x->req_p.status : 400;
    unsigned st = conn_request_prepare(x);
    if (st)
        return st;
    if (xs->st.head.content_length > 0 && body_too_large(x, (uint64_t)xs->st.head.content_length))
        return 413;
    return 0;
}

static void on_request(void *owner, struct h2_stream *st, unsigned status)
{
    struct h2_conn *h = owner;
    struct h2_xstream *xs = xs_of(st);
    struct exchange *x = xs->x;
    x->start_us = conn_mono_us();
    xs->started = true;
    h->c->requests++;
    x->rq = RQ_BODY;
    if (!status)
        status = request_head(xs);
    if (status) {
        xs_reject(x, status);
        return;
    }
    x->cin = (struct conn_buf){0}; /* the head was rewritten into bout: the body starts at 0 */
    h2_chunker_init(&xs->chunks);
    if (st->body == H2_BODY_NONE)
        x->rq = RQ_DONE;
    /* No body announced but the stream stays open: only END_STREAM (or
     * trailers) may follow, and DATA would be malformed, so the request
     * waits for it and a body smuggled after "content-length: 0" (H2.CL)
     * is refused before anything of it reaches a backend. */
    if (st->body == H2_BODY_LENGTH && st->head.content_length == 0) {
        xs->deferred = true;
        xs_timer(x, h->c->cfg->limits.body_timeout_ms);
        return;
    }
    proxy_start(x);
    mark(xs);
}

/* Whatever the backend has taken goes; the rest moves to the front. */
static void cin_compact(struct h2_xstream *xs)
{
    struct exchange *x = xs->x;
    uint32_t by = x->cin.start;
    if (by == 0)
        return;
    memmove(x->cin_data, x->cin_data + by, x->cin.end - by);
    x->cin = (struct conn_buf){0, x->cin.mid - by, x->cin.end - by};
    h2_chunker_shift(&xs->chunks, by);
}

/* Request body payload for the backend: as much as fits (all of it for a
 * client that keeps to its window). */
static size_t on_data(void *owner, struct h2_stream *st, const uint8_t *p, size_t n)
{
    (void)owner;
    struct h2_xstream *xs = xs_of(st);
    struct exchange *x = xs->x;
    if (x->rq != RQ_BODY || x->local || x->early) {
        mark(xs); /* not for a backend any more: dropped, its window comes back (xs_step) */
        return n;
    }
    if (body_too_large(x, st->received + n)) {
        xs_reject(x, 413);
        return n;
    }
    bool chunked = st->body == H2_BODY_CHUNKED;
    uint32_t framing = chunked ? H2_CHUNK_SLACK : 0;
    if (CONN_BUF_SIZE - x->cin.end < n + framing)
        cin_compact(xs);
    uint32_t room = CONN_BUF_SIZE - x->cin.end > framing ? CONN_BUF_SIZE - x->cin.end - framing : 0;
    size_t take = n < room ? n : room;
    if (take == 0)
        return 0;
    if (chunked) {
        if (!h2_chunker_add(&xs->chunks, x->cin_data, CONN_BUF_SIZE, &x->cin.end, x->cin.start,
                            (const char *)p, take))
            return 0;
    } else {
        memcpy(x->cin_data + x->cin.end, p, take);
        x->cin.end += (uint32_t)take;
    }
    x->cin.mid = x->cin.end;
    x->win_bytes += take;
    mark(xs);
    return take;
}

static void on_end(void *owner, struct h2_stream *st)
{
    (void)owner;
    struct h2_xstream *xs = xs_of(st);
    struct exchange *x = xs->x;
    if (xs->deferred) {
        xs->deferred = false;
        x->rq = RQ_DONE;
        xs_timer(x, 0);
        proxy_start(x);
        mark(xs);
        return;
    }
    if (x->rq != RQ_BODY || x->local)
        return;
    if (st->body == H2_BODY_CHUNKED) {
        if (CONN_BUF_SIZE - x->cin.end < H2_CHUNK_SLACK)
            cin_compact(xs);
        h2_chunker_end(&xs->chunks, x->cin_data, CONN_BUF_SIZE, &x->cin.end);
        x->cin.mid = x->cin.end;
    }
    x->rq = RQ_DONE;
    proxy_request_sent(x);
    mark(xs);
}

/* The stream is over: logged with what it got (status 0 when nothing was
 * answered), its backend socket closed unless it went back to the pool
 * already, its buffers given back. */
static void on_close(void *owner, struct h2_stream *st, uint32_t code)
{
    (void)code;
    struct h2_conn *h = owner;
    struct h2_xstream *xs = xs_of(st);
    struct exchange *x = xs->x;
    unmark(xs);
    loop_timer_clear(h->c->w->loop, &xs->timer);
    if (xs->started)
        conn_exchange_log(x);
    proxy_release(x, false);
    exchange_give(x);
    free(xs);
    h->n_streams--;
    metrics_h2_stream(-1);
}

static size_t on_body(void *owner, struct h2_stream *st, uint8_t *buf, size_t n, bool *eof)
{
    struct h2_conn *h = owner;
    struct h2_xstream *xs = xs_of(st);
    struct exchange *x = xs->x;
    size_t avail = x->bin.mid - x->bin.start;
    size_t take = avail < n ? avail : n;
    memcpy(buf, x->bin_data + x->bin.start, take);
    x->bin.start += (uint32_t)take;
    x->bytes_out += take;
    *eof = x->rs == RS_DONE && x->bin.start == x->bin.mid;
    if (take) {
        xs->last_sent_ms = h2_now(h);
        mark(xs); /* room in bin: the backend may be read again */
    }
    return take;
}

/* Budgets broken and malformed requests count for the abuse detector,
 * like an HTTP/1.1 client's refused requests. */
static void on_event(void *owner, enum h2_event ev, uint32_t arg)
{
    struct h2_conn *h = owner;
    metrics_h2_event(ev, arg);
    bool abusive = (ev == H2_EV_LIMIT && arg < H2_HIT_CONCURRENT_STREAMS) ||
                   (ev == H2_EV_LIMIT && (arg == H2_HIT_FLOOD || arg == H2_HIT_HPACK)) ||
                   (ev == H2_EV_RST_SENT && arg == H2_PROTOCOL_ERROR) ||
                   (ev == H2_EV_GOAWAY_SENT && arg == H2_PROTOCOL_ERROR);
    if (abusive)
        admission_note_reject(h->c->w, &h->c->peer);
}

static const struct h2_session_ops h2_ops = {
    .open = on_open,
    .request = on_request,
    .data = on_data,
    .end = on_end,
    .close = on_close,
    .body = on_body,
    .event = on_event,
};

/* ---- streams: the backend side ----------------------------------------------------------------- */

/* The response is read whole and the request sent whole (or cut short by
 * an early answer): the backend socket goes back to the pool now, while
 * the client may still be reading the body. */
static bool xs_finish(struct exchange *x)
{
    if (!x->bio || x->rs != RS_DONE || x->tunnel)
        return false;
    bool sent_all = x->bout.start == x->bout.end && x->cin.start == x->cin.mid;
    if (!x->early && (x->rq != RQ_DONE || !sent_all))
        return false;
    bool reusable = !x->local && !x->early && sent_all && x->resp_h.keep_alive && x->bin.mid == x->bin.end &&
                    !x->backend_eof;
    proxy_release(x, reusable);
    return true;
}

/* One round of the stream's backend side. Afterwards the session hears
 * of what changed, from the state itself (offsets move when a buffer is
 * compacted, so comparing them would miss a wake-up): the window the
 * request buffer has room for, and response bytes (or their end) ready. */
static bool xs_step(struct h2_xstream *xs)
{
    struct h2_conn *h = xs->h;
    struct exchange *x = xs->x;
    bool did = proxy_flush(x);
    h2_session_body_sent(h->s, &xs->st, x->cin.mid - x->cin.start);
    if (xs->st.received - xs->st.consumed + H2_CHUNK_SLACK >= CONN_BUF_SIZE)
        x->win_blocked = true; /* the client waits for window: not its fault (body_window_end) */
    did |= proxy_fill(x);
    did |= proxy_parse(x);
    if (x->bin.start < x->bin.mid || x->rs == RS_DONE)
        h2_session_resume(h->s, &xs->st);
    did |= xs_finish(x);
    return did;
}

static bool h2_streams(struct h2_conn *h)
{
    bool did = false;
    struct h2_xstream *list = h->dirty;
    h->dirty = NULL;
    while (list) {
        struct h2_xstream *xs = list;
        list = xs->next_dirty;
        xs->dirty = false;
        int i = 0;
        while (i < H2_STREAM_STEPS && xs_step(xs))
            i++;
        did |= i > 0;
        if (i == H2_STREAM_STEPS)
            mark(xs); /* its share used, not its work: the next round goes on */
        proxy_watch(xs->x);
    }
    return did;
}

/* ---- bytes: client in, frames out ---------------------------------------------------------------- */

/* Feeds client bytes to the session; what a stalled session did not take
 * is held (and no more is read) until it unstalls. */
static void h2_feed(struct h2_conn *h, const uint8_t *data, size_t n)
{
    size_t used = 0;
    if (h2_session_recv(h->s, data, n, h2_now(h), &used) < 0) {
        h->closing = true;
        return;
    }
    if (used == n)
        return;
    if (!h->hold && !(h->hold = malloc(H2_IN_SIZE))) {
        h->closing = true; /* no memory to hold it: the connection cannot go on */
        return;
    }
    memmove(h->hold, data + used, n - used);
    h->hold_start = 0;
    h->hold_end = (uint32_t)(n - used);
}

/* The stalled stream has room again: its frame goes on, then the held
 * input. */
static bool h2_unstall(struct h2_conn *h)
{
    if (!h2_session_stalled(h->s) && h->hold_end == h->hold_start)
        return false;
    if (!h2_session_unstall(h->s))
        return false;
    if (h->hold_end > h->hold_start) {
        uint8_t tmp[H2_IN_SIZE];
        size_t n = h->hold_end - h->hold_start;
        memcpy(tmp, h->hold + h->hold_start, n);
        h->hold_start = h->hold_end = 0;
        h2_feed(h, tmp, n);
    }
    if (h->hold_end == h->hold_start) {
        free(h->hold);
        h->hold = NULL;
    }
    return true;
}

/* Output pending that the socket does not take: stop reading, so a
 * client that does not read cannot make us queue answers (PING, SETTINGS
 * acks) without bound. */
static bool want_read(const struct h2_conn *h)
{
    const struct conn *c = h->c;
    if (h->closing || c->client_eof || h2_session_stalled(h->s) || h->hold)
        return false;
    return !(c->c_wblk && h->out_end > h->out_start);
}

static bool h2_in(struct h2_conn *h)
{
    struct conn *c = h->c;
    if (!want_read(h) || c->c_rblk)
        return false;
    uint8_t buf[H2_IN_SIZE];
    ssize_t n = conn_client_read(c, (char *)buf, sizeof buf);
    if (n < 0)
        return false;
    if (n == 0) {
        c->client_eof = true;
        return true;
    }
    h2_feed(h, buf, (size_t)n);
    return true;
}

/* Frames from the session into the out buffer; never moves bytes a TLS
 * write may have to repeat (tls_wlen). */
static bool h2_out_fill(struct h2_conn *h)
{
    if (h->out_start == h->out_end)
        h->out_start = h->out_end = 0;
    if (!h2_session_want_write(h->s) || h->out_end == H2_OUT_SIZE)
        return false;
    if (!h->out && !(h->out = malloc(H2_OUT_SIZE))) {
        h->closing = true;
        return false;
    }
    size_t n = h2_session_send(h->s, h->out + h->out_end, H2_OUT_SIZE - h->out_end);
    h->out_end += (uint32_t)n;
    return n > 0;
}

static bool h2_out_flush(struct h2_conn *h)
{
    struct conn *c = h->c;
    bool did = false;
    while (h->out_start < h->out_end && !c->c_wblk) {
        ssize_t n = conn_client_write(c, (const char *)h->out + h->out_start, h->out_end - h->out_start);
        if (n < 0)
            break;
        if (n == 0) {
            conn_close(c);
            return false;
        }
        h->out_start += (uint32_t)n;
        did = true;
    }
    conn_send_deadline(c, h->out_start < h->out_end, did);
    return did;
}

/* Idle: the write buffer, nghttp2's frame buffer pages and the TLS
 * record buffers go. */
static void h2_idle_release(struct h2_conn *h)
{
    if (h->n_streams || h->out_end > h->out_start || h->hold)
        return;
    free(h->out);
    h->out = NULL;
    h->out_start = h->out_end = 0;
    h2_session_idle(h->s);
    if (h->c->tls && tls_conn_pending(h->c->tls) == 0)
        tls_conn_idle(h->c->tls);
}

static void h2_watch(struct h2_conn *h)
{
    struct conn *c = h->c;
    unsigned ev = 0;
    if (want_read(h))
        ev |= c->c_rblk;
    if (h->out_end > h->out_start)
        ev |= c->c_wblk;
    if (loop_watch(c->w->loop, &c->cio, ev) < 0)
        conn_close(c);
}

/* The session is done and its last frames are out, or the client left. */
static bool h2_over(struct h2_conn *h)
{
    bool flushed = h->out_end == h->out_start && !h2_session_want_write(h->s);
    return h->c->client_eof || (flushed && (h->closing || h2_session_done(h->s)));
}

/* Our last frame (a GOAWAY) is out but the client may still be sending:
 * closing now would answer its bytes with a reset, which can destroy the
 * GOAWAY in its receive buffer before it is read. So our side is shut
 * (close_notify, FIN) and what still comes is dropped, until the client
 * closes or H2_LINGER_MS pass (nginx's lingering close). */
static void h2_linger(struct h2_conn *h)
{
    struct conn *c = h->c;
    if (c->tls)
        tls_conn_shutdown(c->tls);
    shutdown(c->cio.fd, SHUT_WR);
    h->lingering = true;
    h->deadline = H2_DL_LINGER;
    conn_timer(c, H2_LINGER_MS);
}

static void h2_linger_read(struct h2_conn *h)
{
    struct conn *c = h->c;
    char sink[H2_IN_SIZE];
    for (int i = 0; i < H2_PUMP_ROUNDS; i++) {
        ssize_t n = recv(c->cio.fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (loop_watch(c->w->loop, &c->cio, LOOP_READ) < 0)
                break;
            return;
        }
        break; /* the client closed (or reset) */
    }
    c->client_eof = true;
    conn_close(c);
}

void h2_conn_pump(struct conn *c)
{
    struct h2_conn *h = c->h2;
    if (h->in_pump)
        return; /* the running pump sees the marks */
    if (h->lingering) {
        h2_linger_read(h);
        return;
    }
    h->in_pump = true;
    for (int round = 0;; round++) {
        if (round == H2_PUMP_ROUNDS) {
            loop_timer_set(c->w->loop, &c->kick, 0);
            break;
        }
        bool did = h2_out_flush(h);
        if (c->state == CS_CLOSED)
            return;
        did |= h2_in(h);
        did |= h2_unstall(h);
        did |= h2_streams(h);
        did |= h2_out_fill(h);
        did |= h2_out_flush(h);
        if (c->state == CS_CLOSED)
            return;
        if (h2_over(h)) {
            if (c->client_eof) {
                conn_close(c);
                return;
            }
            h->in_pump = false;
            h2_linger(h);
            h2_linger_read(h);
            return;
        }
        if (!did)
            break;
    }
    h->in_pump = false;
    h2_deadline(h);
    h2_watch(h);
}

/* ---- life ---------------------------------------------------------------------------------------- */

static void h2_settings_of(const struct config *cfg, struct h2_settings *set)
{
    const struct config_http2 *h = &cfg->http2;
    *set = (struct h2_settings){
        .max_concurrent_streams = h->max_concurrent_streams,
        .header_table_size = (uint32_t)h->header_table_size,
        .max_header_list_size = (uint32_t)h->max_header_list_size,
        .max_fields = cfg->limits.max_headers,
        .stream_window = CONN_BUF_SIZE - H2_CHUNK_SLACK,
        .limits =
            {
                .max_continuations = h->max_continuations,
                .max_header_block = h->max_header_block_size,
                .max_idle_frames = h->max_frames_without_progress,
                .max_resets_per_s = h->max_resets_per_second,
            },
    };
}

bool h2_conn_start(struct conn *c)
{
    struct h2_conn *h = calloc(1, sizeof *h);
    struct h2_settings set;
    h2_settings_of(c->cfg, &set);
    if (h) {
        h->c = c;
        h->s = h2_session_new(&set, &h2_ops, h, loop_now_ms(c->w->loop));
    }
    if (!h || !h->s) {
        free(h);
        conn_close(c);
        return false;
    }
    c->h2 = h;
    c->state = CS_H2;
    conn_timer(c, 0);
    h2_deadline(h);
    return true;
}

void h2_conn_free(struct conn *c)
{
    struct h2_conn *h = c->h2;
    if (!h)
        return;
    h->in_pump = true;     /* streams closing now must not pump */
    h2_session_free(h->s); /* every stream ends: on_close */
    free(h->out);
    free(h->hold);
    free(h);
    c->h2 = NULL;
}

void h2_conn_drain(struct conn *c, bool grace_over)
{
    struct h2_conn *h = c->h2;
    if (!h->notice_sent) {
        h2_session_shutdown_notice(h->s);
        h->notice_sent = true;
    }
    if (grace_over && !h->goaway_sent) {
        h2_session_goaway(h->s, H2_NO_ERROR);
        h->goaway_sent = true;
    }
    h2_conn_pump(c);
}
