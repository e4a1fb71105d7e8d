/*
 * h2_stream: one HTTP/2 stream as one exchange (see h2_conn.c for how
 * streams map onto backend connections, the buffers and the deadlines).
 * Here: the client side of the stream's exchange that proxy.c calls
 * (x->ops: deadlines, local answers, response heads as fields, resets),
 * the h2_session's owner callbacks (a stream opens, its head and body
 * come, its response body is taken, it closes), and each round's backend
 * steps of the streams that have work.
 */
#include "gateway/proxy/h2_internal.h"

#include "gateway/admin/metrics.h"
#include "gateway/proxy/admission.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const struct exchange_ops h2_exchange_ops;

static struct h2_xstream *xs_of(struct h2_stream *st)
{
    return (struct h2_xstream *)((char *)st - offsetof(struct h2_xstream, st));
}

void h2_mark(struct h2_xstream *xs)
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
    if (x->tunnel && x->backend_eof) { /* the WebSocket's backend closed: the stream ends (on_body) */
        proxy_release(x, false);
        xs_timer(x, 0);
        h2_session_resume(xs->h->s, &xs->st);
        h2_mark(xs);
        return;
    }
    h2_session_reset(xs->h->s, &xs->st, H2_INTERNAL_ERROR);
    proxy_release(x, false);
    x->rs = RS_DONE;
    x->bin.start = x->bin.mid = x->bin.end;
    xs_timer(x, 0);
    h2_mark(xs);
}

/* x->resp_h as fields: names lowercased into cout_data (copied by nghttp2
 * on submit). */
static bool xs_head(struct exchange *x, bool final)
{
    struct h2_xstream *xs = x->xs;
    struct http_reply_opts o;
    h2_opts(x->c, &o);
    o.websocket = x->tunnel; /* a 101 to a WebSocket: 200, the stream becomes the tunnel */
    struct h2_field f[H2_RESPONSE_FIELDS];
    int n = h2_response_fields(&x->resp_h, x->bin_data, &o, f, H2_RESPONSE_FIELDS, x->cout_data,
                               CONN_HEAD_OUT_SIZE);
    if (n < 0)
        return false;
    bool body = final && (x->tunnel || x->resp_h.body != HTTP_BODY_NONE);
    if (h2_session_respond(xs->h->s, &xs->st, f, (size_t)n, final, body) != 0)
        return false;
    x->bin.start = x->bin.mid; /* the raw head is not forwarded */
    xs->last_sent_ms = h2_now(xs->h);
    h2_mark(xs);
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
    h2_mark(xs);
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
    h2_mark(x->xs);
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
    struct conn_worker *cw = h->c->w->conns;
    h2_ws_key_format(xs->st.head.ws_key, conn_rng_next(cw), conn_rng_next(cw));
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
    if (st->body == H2_BODY_NONE || st->body == H2_BODY_TUNNEL)
        x->rq = RQ_DONE; /* a WebSocket's bytes come once it is a tunnel (tunnel_data) */
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
    h2_mark(xs);
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

/* A WebSocket's bytes from the client: raw to the backend, as much as
 * fits (what the window allows). */
static size_t tunnel_data(struct h2_xstream *xs, const uint8_t *p, size_t n)
{
    struct exchange *x = xs->x;
    if (!x->bio)
        return n; /* the backend side is gone: dropped */
    if (CONN_BUF_SIZE - x->cin.end < n)
        cin_compact(xs);
    size_t room = CONN_BUF_SIZE - x->cin.end, take = n < room ? n : room;
    memcpy(x->cin_data + x->cin.end, p, take);
    x->cin.end += (uint32_t)take;
    x->cin.mid = x->cin.end;
    h2_mark(xs);
    return take;
}

/* Request body payload for the backend: as much as fits (all of it for a
 * client that keeps to its window). */
static size_t on_data(void *owner, struct h2_stream *st, const uint8_t *p, size_t n)
{
    (void)owner;
    struct h2_xstream *xs = xs_of(st);
    struct exchange *x = xs->x;
    if (x->tunnel)
        return tunnel_data(xs, p, n);
    if (x->rq != RQ_BODY || x->local || x->early) {
        h2_mark(xs); /* not for a backend any more: dropped, its window comes back (xs_step) */
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
    h2_mark(xs);
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
        h2_mark(xs);
        return;
    }
    if (x->tunnel) { /* the client's half of a WebSocket closed: once its bytes are out, ours to the backend
                      */
        xs->client_done = true;
        h2_mark(xs);
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
    h2_mark(xs);
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
    /* a tunnel ends when its backend closed (xs_abort released it) */
    bool over = x->tunnel ? !x->bio : x->rs == RS_DONE;
    *eof = over && x->bin.start == x->bin.mid;
    if (take) {
        xs->last_sent_ms = h2_now(h);
        h2_mark(xs); /* room in bin: the backend may be read again */
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

const struct h2_session_ops h2_stream_ops = {
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
    if (x->tunnel && xs->client_done && x->bio && x->cin.start == x->cin.mid && !xs->shut_sent) {
        shutdown(x->bio->fd, SHUT_WR); /* the client closed its half of the WebSocket */
        xs->shut_sent = true;
    }
    did |= proxy_fill(x);
    did |= proxy_parse(x);
    if (x->bin.start < x->bin.mid || x->rs == RS_DONE)
        h2_session_resume(h->s, &xs->st);
    did |= xs_finish(x);
    return did;
}

bool h2_streams(struct h2_conn *h)
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
            h2_mark(xs); /* its share used, not its work: the next round goes on */
        proxy_watch(xs->x);
    }
    return did;
}
