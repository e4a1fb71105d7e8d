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
#include "gateway/proxy/h2_internal.h"

#include "gateway/admin/metrics.h"
#include "tls/tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

/* What the out buffer gathers before a write: one TLS record's worth
 * (tls_conn_record_max). All of H2_OUT_SIZE left TLS 1.3 as a full
 * 16,383-byte record and a 1-byte one. */
static uint32_t h2_out_cap(const struct h2_conn *h)
{
    size_t record = h->c->tls ? tls_conn_record_max(h->c->tls) : H2_OUT_SIZE;
    return (uint32_t)(record < H2_OUT_SIZE ? record : H2_OUT_SIZE);
}

/* Frames from the session into the out buffer; never moves bytes a TLS
 * write may have to repeat (tls_wlen). */
static bool h2_out_fill(struct h2_conn *h)
{
    if (h->out_start == h->out_end)
        h->out_start = h->out_end = 0;
    uint32_t cap = h2_out_cap(h);
    if (!h2_session_want_write(h->s) || h->out_end >= cap)
        return false;
    if (!h->out && !(h->out = malloc(H2_OUT_SIZE))) {
        h->closing = true;
        return false;
    }
    size_t n = h2_session_send(h->s, h->out + h->out_end, cap - h->out_end);
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
        conn_trim_note(h->c->w, tls_conn_idle(h->c->tls));
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
        h->s = h2_session_new(&set, &h2_stream_ops, h, loop_now_ms(c->w->loop));
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
