/*
 * conn: the client side of a connection (see conn.h). Everything happens
 * in conn_pump(): after any event it moves bytes and makes decisions until
 * nothing more can be done without waiting, then says what to wait for.
 */
#include "gateway/proxy/conn.h"

#include "gateway/proxy/access_log.h"
#include "gateway/proxy/abuse.h"
#include "gateway/admin/metrics.h"
#include "tls/tls.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONN_PUMP_ROUNDS 64 /* bound on one pump; more work waits for the next event */

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- closing ------------------------------------------------------------------ */

static void request_done(struct conn *c);

static void conn_free(void *arg)
{
    free(arg);
}

/* Closing a socket with unread input sends a reset, which can destroy the
 * answer we just sent before the client reads it; read what is queued. */
static void drain_unread(int fd)
{
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
        ;
}

static void conn_close(struct conn *c)
{
    if (c->state == CS_CLOSED)
        return;
    struct worker *w = c->w;
    struct conn_worker *cw = w->conns;
    if (c->x && (c->x->rq != RQ_HEAD || c->x->status))
        request_done(c); /* logged with what it got, status 0 if nothing */
    if (c->bio)
        proxy_release(c, false);
    loop_timer_clear(w->loop, &c->timer);
    loop_timer_clear(w->loop, &c->kick);
    loop_unwatch(w->loop, &c->cio);
    if (c->tls) {
        if (c->state != CS_HANDSHAKE && !c->client_eof)
            tls_conn_shutdown(c->tls);
        tls_conn_free(c->tls);
        c->tls = NULL;
    }
    drain_unread(c->cio.fd);
    close(c->cio.fd);
    conn_exchange_put(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        cw->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->state = CS_CLOSED;
    worker_conn_released(w, &c->peer); /* counts, limits, metrics: worker.c */
    conn_release_if_drained(w);
    if (loop_defer(w->loop, conn_free, c) < 0)
        free(c); /* no memory to defer: the lesser risk is to free now */
}

void conn_abort(struct conn *c)
{
    conn_close(c);
}

/* ---- timers -------------------------------------------------------------------- */

void conn_timer(struct conn *c, uint64_t ms)
{
    if (ms)
        loop_timer_set(c->w->loop, &c->timer, ms);
    else
        loop_timer_clear(c->w->loop, &c->timer);
}

/* Idle for CONN_IDLE_SHRINK_MS: give the request buffers and the TLS
 * record buffers back. */
static void conn_idle_release(struct conn *c)
{
    c->idle_shrunk = true;
    if (c->x && c->x->cin.end == 0)
        conn_exchange_put(c);
    if (c->tls)
        tls_conn_idle(c->tls);
}

static void conn_on_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct conn *c = t->arg;
    switch (c->state) {
    case CS_HANDSHAKE:
        tls_count_failure(TLS_FAIL_TIMEOUT);
        conn_close(c);
        return;
    case CS_HEAD: conn_reject(c, 408); break;
    case CS_FORWARD: proxy_on_timer(c); break;
    case CS_IDLE:
        if (c->requests > 0 && !c->idle_shrunk) { /* then wait out the keep-alive */
            conn_idle_release(c);
            uint64_t idle = c->cfg->limits.idle_timeout_ms;
            conn_timer(c, idle > CONN_IDLE_SHRINK_MS ? idle - CONN_IDLE_SHRINK_MS : 1);
            return;
        }
        conn_close(c);
        return;
    default: /* tunnel, a last answer nobody reads */ conn_close(c); return;
    }
    if (c->state != CS_CLOSED)
        conn_pump(c);
}

/* ---- client I/O ---------------------------------------------------------------- */

/* > 0 bytes, 0 end of stream (or error), -1 would block (c_rblk says on what). */
static ssize_t client_read(struct conn *c, char *buf, size_t len)
{
    if (c->tls) {
        ssize_t n = tls_conn_read(c->tls, buf, len);
        if (n > 0)
            return n;
        if (n == TLS_IO_WANT_READ || n == TLS_IO_WANT_WRITE) {
            c->c_rblk = n == TLS_IO_WANT_READ ? LOOP_READ : LOOP_WRITE;
            return -1;
        }
        return 0;
    }
    ssize_t n = recv(c->cio.fd, buf, len, 0);
    if (n > 0) {
        if ((size_t)n < len)
            c->c_rblk = LOOP_READ; /* drained: level-triggered epoll says when more comes */
        return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        c->c_rblk = LOOP_READ;
        return -1;
    }
    return 0;
}

/* > 0 bytes written, 0 broken connection, -1 would block. */
static ssize_t client_write(struct conn *c, const char *buf, size_t len)
{
    if (c->tls) {
        if (c->tls_wlen)
            len = c->tls_wlen; /* mbedTLS wants the very same write again */
        ssize_t n = tls_conn_write(c->tls, buf, len);
        if (n > 0) {
            c->tls_wlen = 0;
            return n;
        }
        if (n == TLS_IO_WANT_READ || n == TLS_IO_WANT_WRITE) {
            c->c_wblk = n == TLS_IO_WANT_READ ? LOOP_READ : LOOP_WRITE;
            c->tls_wlen = len;
            return -1;
        }
        return 0;
    }
    ssize_t n = send(c->cio.fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) {
        if ((size_t)n < len)
            c->c_wblk = LOOP_WRITE;
        return n > 0 ? n : -1;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        c->c_wblk = LOOP_WRITE;
        return -1;
    }
    return 0;
}

static bool cin_room(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x)
        return true;
    struct conn_buf *b = &x->cin;
    /* Body and tunnel bytes may move to the front; a head may not (its
     * spans are offsets). */
    if (b->end == CONN_BUF_SIZE && b->start > 0 && c->state != CS_HEAD) {
        memmove(x->cin_data, x->cin_data + b->start, b->end - b->start);
        b->mid -= b->start;
        b->end -= b->start;
        b->start = 0;
    }
    return b->end < CONN_BUF_SIZE;
}

static bool want_client_read(struct conn *c)
{
    if (c->client_eof)
        return false;
    switch (c->state) {
    case CS_IDLE:
    case CS_HEAD:
    case CS_TUNNEL: return true;
    case CS_FORWARD: return c->x->rq == RQ_BODY;
    default: return false;
    }
}

static bool client_fill(struct conn *c)
{
    if (c->c_rblk || !want_client_read(c) || !cin_room(c))
        return false;
    if (!c->x && !(c->x = conn_exchange_get(c))) {
        conn_close(c);
        return false;
    }
    struct conn_buf *b = &c->x->cin;
    ssize_t n = client_read(c, c->x->cin_data + b->end, CONN_BUF_SIZE - b->end);
    if (n < 0) {
        if (c->state == CS_IDLE && c->idle_shrunk && b->end == 0 && !(c->tls && tls_conn_pending(c->tls)))
            conn_exchange_put(c); /* nothing came: a long-idle connection keeps no buffers */
        return false;
    }
    if (n == 0) {
        c->client_eof = true;
        return true;
    }
    b->end += (uint32_t)n;
    if (c->state == CS_IDLE) {
        c->state = CS_HEAD;
        if (c->requests > 0) /* the first request's clock started at accept */
            conn_timer(c, c->cfg->limits.header_timeout_ms);
    }
    return true;
}

/* Client output: the head (or local answer) in cout, then the response
 * body bytes parsed in bin. */
static bool client_flush(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x || c->c_wblk)
        return false;
    bool did = false;
    while (x->cout.start < x->cout.end || x->bin.start < x->bin.mid) {
        const char *p;
        size_t len;
        struct conn_buf *from;
        if (x->cout.start < x->cout.end) {
            /* one TLS record for head + first body bytes */
            size_t body = x->bin.mid - x->bin.start, room = CONN_HEAD_OUT_SIZE - x->cout.end;
            if (c->tls && !c->tls_wlen && body && room) {
                size_t n = body < room ? body : room;
                memcpy(x->cout_data + x->cout.end, x->bin_data + x->bin.start, n);
                x->cout.end += (uint32_t)n;
                x->bin.start += (uint32_t)n;
            }
            from = &x->cout;
            p = x->cout_data + from->start;
            len = from->end - from->start;
        } else {
            from = &x->bin;
            p = x->bin_data + from->start;
            len = from->mid - from->start;
        }
        ssize_t n = client_write(c, p, len);
        if (n < 0)
            return did;
        if (n == 0) {
            conn_abort(c);
            return false;
        }
        from->start += (uint32_t)n;
        x->bytes_out += (uint64_t)n;
        did = true;
    }
    x->cout.start = x->cout.end = 0;
    return did;
}

/* ---- local answers ---------------------------------------------------------------- */

static void reply_opts(const struct conn *c, struct http_reply_opts *o)
{
    *o = (struct http_reply_opts){
        .https = c->kind == LISTENER_HTTPS,
        .hsts_max_age_s = c->cfg->tls.hsts_max_age_s,
        .hsts_subdomains = c->cfg->tls.hsts_include_subdomains,
        .close = c->close_after,
    };
}

/* A framing or protocol error always ends the connection; a backend
 * error (502/503/504) keeps it when the request was read whole. */
void conn_reply(struct conn *c, unsigned status)
{
    struct exchange *x = c->x;
    if (!x || x->resp_started || x->cout.end > x->cout.start) {
        conn_abort(c);
        return;
    }
    if (c->bio)
        proxy_release(c, false);
    if (x->rq != RQ_DONE || status < 500 || c->w->draining)
        c->close_after = true;
    x->rq = RQ_DONE;
    struct http_reply_opts o;
    reply_opts(c, &o);
    int n = http_reply_error(status, &o, x->cout_data, CONN_HEAD_OUT_SIZE);
    x->cout = (struct conn_buf){0, 0, n > 0 ? (uint32_t)n : 0};
    x->bin.start = x->bin.mid; /* nothing of the backend's goes out any more */
    x->status = status;
    x->local = x->resp_started = true;
    x->rs = RS_DONE;
    c->state = c->close_after ? CS_CLOSING : CS_FORWARD;
    conn_timer(c, c->close_after ? c->cfg->limits.header_timeout_ms : 0);
}

void conn_reject(struct conn *c, unsigned status)
{
    if (abuse_counts_status(status))
        worker_note_reject(c->w, &c->peer);
    switch (status) {
    case 408: metrics_reject(METRICS_REJECT_TIMEOUT); break;
    case 413: metrics_reject(METRICS_REJECT_BODY_TOO_LARGE); break;
    case 414: metrics_reject(METRICS_REJECT_URI_TOO_LONG); break;
    case 431: metrics_reject(METRICS_REJECT_HEADERS_TOO_LARGE); break;
    default: metrics_reject(METRICS_REJECT_BAD_REQUEST); break;
    }
    conn_reply(c, status);
}

/* The plain listener: everything but ACME challenges goes to https://. */
static void conn_redirect(struct conn *c)
{
    struct exchange *x = c->x;
    if (x->req_h.body != HTTP_BODY_NONE)
        c->close_after = true; /* we will not read the body */
    struct http_reply_opts o;
    reply_opts(c, &o);
    o.https = false;
    int n = http_reply_redirect(&x->req_h, x->cin_data, &x->info, &o, x->cout_data, CONN_HEAD_OUT_SIZE);
    if (n <= 0) { /* no Host to redirect to: the client's error, counted */
        conn_reject(c, 400);
        return;
    }
    x->cout = (struct conn_buf){0, 0, (uint32_t)n};
    x->status = (unsigned)atoi(x->cout_data + 9);
    x->local = x->resp_started = true;
    x->rs = RS_DONE;
    if (c->close_after)
        x->rq = RQ_DONE;
    atomic_fetch_add_explicit(&metrics.redirects, 1, memory_order_relaxed);
}

/* ---- requests ------------------------------------------------------------------------ */

static void copy_span(char *dst, size_t cap, const char *base, struct http_span s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, base + s.off, n);
    dst[n] = '\0';
}

static void request_accepted(struct conn *c)
{
    struct exchange *x = c->x;
    struct http_head *h = &x->req_h;
    x->start_us = mono_us();
    copy_span(x->method, sizeof x->method, x->cin_data, h->method);
    copy_span(x->path, sizeof x->path, x->cin_data, h->url);
    c->state = CS_FORWARD;
    x->rq = RQ_BODY;
    conn_timer(c, 0);
    unsigned st = http_request_check(h, x->cin_data, c->cfg->limits.allow_http10_without_host, &x->info);
    if (st) {
        conn_reject(c, st);
        return;
    }
    c->requests++;
    if (x->info.request_id >= 0)
        copy_span(x->request_id, sizeof x->request_id, x->cin_data, h->headers[x->info.request_id].value);
    else
        http_request_id_format(x->request_id, conn_rng_next(c->w->conns), conn_rng_next(c->w->conns));
    if (!h->keep_alive || c->w->draining || (h->upgrade && !x->info.websocket))
        c->close_after = true;
    if (c->kind == LISTENER_HTTP && !x->info.acme) {
        x->cin.start = x->cin.mid;
        conn_redirect(c);
        return;
    }
    struct http_forward f = {
        .client_ip = c->ip, .https = c->kind == LISTENER_HTTPS, .new_request_id = x->request_id};
    int n = http_request_write(h, x->cin_data, &x->info, &f, x->bout_data, CONN_HEAD_OUT_SIZE);
    if (n < 0) {
        conn_reject(c, 431);
        return;
    }
    x->bout = (struct conn_buf){0, 0, (uint32_t)n};
    x->cin.start = x->cin.mid; /* the head was rewritten, not forwarded */
    proxy_start(c);
}

static bool request_parse_step(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x)
        return false;
    if (c->state == CS_TUNNEL) {
        bool more = x->cin.mid != x->cin.end;
        x->cin.mid = x->cin.end;
        return more;
    }
    if (!(c->state == CS_HEAD || (c->state == CS_FORWARD && x->rq == RQ_BODY)))
        return false;
    size_t used;
    enum http_feed r = http_parser_feed(&x->req_p, x->cin_data + x->cin.mid, x->cin.end - x->cin.mid, &used);
    x->cin.mid += (uint32_t)used;
    switch (r) {
    case HTTP_FEED_MORE: return used > 0;
    case HTTP_FEED_HEAD: request_accepted(c); return true;
    case HTTP_FEED_DONE:
    case HTTP_FEED_UPGRADE: x->rq = RQ_DONE; return true;
    case HTTP_FEED_ERROR:
    default:
        if (c->state == CS_FORWARD && x->rq == RQ_BODY)
            x->cin.mid = x->cin.start; /* forward nothing of a bad body */
        conn_reject(c, x->req_p.status);
        return true;
    }
}

/* A head and the body bytes already here are parsed in one go, so they
 * leave in one write. */
static bool request_parse(struct conn *c)
{
    bool did = false;
    for (int i = 0; i < 4 && c->state != CS_CLOSED && request_parse_step(c); i++)
        did = true;
    return did;
}

static void request_done(struct conn *c)
{
    struct exchange *x = c->x;
    uint64_t dur = x->start_us ? mono_us() - x->start_us : 0;
    metrics_request_done(x->status, dur);
    struct access_entry e = {
        .client_ip = c->ip,
        .method = x->method,
        .path = x->path,
        .status = x->status,
        .bytes = x->bytes_out,
        .duration_us = dur,
        .backend = x->backend_name,
        .tls_version = c->tls ? tls_conn_version(c->tls) : NULL,
        .tls_cipher = c->tls ? tls_conn_cipher(c->tls) : NULL,
        .request_id = x->request_id,
    };
    access_log_write(c->cfg, &e);
    x->start_us = 0;
    x->status = 0;
    x->rq = RQ_HEAD; /* logged: conn_close must not log it again */
}

/* The answer is out: next request, idle, or close. */
static bool exchange_finish(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x || x->rq != RQ_DONE || x->rs != RS_DONE || c->state == CS_TUNNEL)
        return false;
    if (x->cout.start < x->cout.end || x->bin.start < x->bin.mid)
        return false;
    bool sent_all = x->bout.start == x->bout.end && x->cin.start == x->cin.mid;
    if (!x->local && !sent_all)
        return false;
    bool reusable =
        !x->local && sent_all && x->resp_h.keep_alive && x->bin.mid == x->bin.end && !c->backend_eof;
    request_done(c);
    if (c->bio)
        proxy_release(c, reusable);
    if (c->close_after || c->client_eof || c->w->draining) {
        conn_close(c);
        return false;
    }
    uint32_t left = x->cin.end - x->cin.mid;
    if (left > 0) { /* a pipelined request is already here */
        memmove(x->cin_data, x->cin_data + x->cin.mid, left);
        x->cin = (struct conn_buf){0, 0, left};
        conn_exchange_reset(x);
        http_parser_next(&x->req_p, x->cin_data);
        c->state = CS_HEAD;
        conn_timer(c, c->cfg->limits.header_timeout_ms);
        return true;
    }
    /* Keep-alive: buffers stay for a moment (the next request of a busy
     * client usually follows at once), then go (conn_on_timer). */
    x->cin = (struct conn_buf){0};
    conn_exchange_reset(x);
    http_parser_next(&x->req_p, x->cin_data);
    c->state = CS_IDLE;
    c->idle_shrunk = false;
    /* mbedTLS reads a record only when asked, so with nothing decrypted
     * and waiting, the next request is still in the kernel: let epoll say
     * when, instead of a read that would fail now. */
    if (c->tls && tls_conn_pending(c->tls) == 0)
        c->c_rblk = LOOP_READ;
    conn_timer(c, CONN_IDLE_SHRINK_MS);
    return true;
}

/* ---- the pump ---------------------------------------------------------------------------- */

static bool client_handshake(struct conn *c)
{
    if (c->state != CS_HANDSHAKE || c->c_rblk)
        return false;
    int r = tls_conn_handshake(c->tls);
    if (r == TLS_IO_DONE) {
        c->state = CS_IDLE;
        loop_timer_set(c->w->loop, &c->kick, CONN_IDLE_SHRINK_MS);
        return true;
    }
    if (r == TLS_IO_WANT_READ || r == TLS_IO_WANT_WRITE) {
        c->c_rblk = r == TLS_IO_WANT_READ ? LOOP_READ : LOOP_WRITE;
        return false;
    }
    conn_close(c); /* tls/ logged and counted why */
    return false;
}

/* The client went away or half-closed. */
static void client_ended(struct conn *c)
{
    struct exchange *x = c->x;
    switch (c->state) {
    case CS_FORWARD:
        if (x->rq == RQ_DONE) { /* half-close after a whole request: answer, then close */
            c->close_after = true;
            return;
        }
        break;
    case CS_TUNNEL:
        if (x->cin.start < x->cin.end && c->bio)
            return; /* flush what it sent first */
        break;
    case CS_CLOSING:
        if (x && x->cout.start < x->cout.end)
            return;
        break;
    default: break;
    }
    conn_close(c);
}

static void watch_client(struct conn *c)
{
    unsigned ev = 0;
    struct exchange *x = c->x;
    if (c->state == CS_HANDSHAKE) {
        ev |= c->c_rblk;
    } else if (want_client_read(c)) {
        c->read_muted = false;
        if (c->c_rblk && cin_room(c))
            ev |= c->c_rblk;
    } else if ((c->cio.events & LOOP_READ) && !c->read_muted) {
        /* Not reading now, but most clients send nothing until answered:
         * leaving READ on saves two epoll_ctl calls per request. An event
         * that comes anyway mutes it (conn_on_client). */
        ev |= LOOP_READ;
    }
    if (x && c->c_wblk && (x->cout.start < x->cout.end || x->bin.start < x->bin.mid))
        ev |= c->c_wblk;
    if (loop_watch(c->w->loop, &c->cio, ev) < 0)
        conn_abort(c);
}

void conn_watch(struct conn *c)
{
    if (c->state == CS_CLOSED)
        return;
    watch_client(c);
    if (c->state != CS_CLOSED)
        proxy_watch(c);
}

void conn_pump(struct conn *c)
{
    for (int round = 0; c->state != CS_CLOSED; round++) {
        if (round == CONN_PUMP_ROUNDS) {
            /* Fair share used up: continue after the other connections'
             * events (a 0 ms timer), not in this call. */
            loop_timer_set(c->w->loop, &c->kick, 0);
            break;
        }
        bool did = client_handshake(c);
        if (c->state == CS_CLOSED)
            return;
        did |= client_flush(c);
        if (c->state != CS_CLOSED)
            did |= proxy_flush(c);
        if (c->state != CS_CLOSED)
            did |= client_fill(c);
        if (c->state != CS_CLOSED)
            did |= request_parse(c);
        if (c->state != CS_CLOSED)
            did |= proxy_fill(c);
        if (c->state != CS_CLOSED)
            did |= proxy_parse(c);
        if (c->state != CS_CLOSED)
            did |= exchange_finish(c);
        if (c->state == CS_CLOSED)
            return;
        if (c->client_eof && !did) {
            client_ended(c);
            if (c->state == CS_CLOSED)
                return;
        }
        if (!did)
            break;
    }
    conn_watch(c);
}

static void conn_on_client(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    struct conn *c = io->arg;
    if ((events & LOOP_READ) && c->state != CS_HANDSHAKE && !want_client_read(c))
        c->read_muted = true;
    if (c->c_rblk & events)
        c->c_rblk = 0;
    if (c->c_wblk & events)
        c->c_wblk = 0;
    conn_pump(c);
}

/* Also set after the handshake: a client that has not sent its first
 * request by then idles without buffers (the header timeout still runs). */
static void conn_on_kick(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct conn *c = t->arg;
    if (c->state == CS_IDLE && c->requests == 0 && !c->idle_shrunk)
        conn_idle_release(c);
    conn_pump(c);
}

/* ---- worker.h entry points ---------------------------------------------------------------- */

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    out[0] = '\0';
    if (ss->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, out, (socklen_t)cap);
    } else if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)cap);
        else
            inet_ntop(AF_INET6, a, out, (socklen_t)cap);
    }
}

void conn_accept(struct worker *w, enum listener_kind kind, int fd, const struct sockaddr_storage *peer)
{
    struct conn_worker *cw = conn_worker_of(w);
    struct conn *c = cw ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        close(fd);
        worker_conn_released(w, peer);
        return;
    }
    c->w = w;
    c->cfg = w->cfg;
    c->kind = kind;
    c->peer = *peer;
    peer_text(peer, c->ip, sizeof c->ip);
    c->cio = (struct loop_io){.fd = fd, .fn = conn_on_client, .arg = c};
    c->timer = (struct loop_timer){.fn = conn_on_timer, .arg = c};
    c->kick = (struct loop_timer){.fn = conn_on_kick, .arg = c};
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->next = cw->head;
    if (cw->head)
        cw->head->prev = c;
    cw->head = c;
    c->state = CS_IDLE;
    if (kind == LISTENER_HTTPS) {
        c->tls = w->tls ? tls_conn_new(w->tls, fd, c->ip) : NULL;
        if (!c->tls) {
            conn_close(c);
            return;
        }
        c->state = CS_HANDSHAKE;
    }
    conn_timer(c, c->cfg->limits.header_timeout_ms); /* handshake + first head */
    conn_pump(c);
}

unsigned conn_drain(struct worker *w)
{
    struct conn_worker *cw = w->conns;
    if (!cw)
        return 0;
    uint64_t now = loop_now_ms(w->loop);
    if (cw->drain_since_ms == 0)
        cw->drain_since_ms = now ? now : 1;
    bool grace_over = now - cw->drain_since_ms >= CONN_DRAIN_IDLE_GRACE_MS;
    unsigned left = 0;
    for (struct conn *c = cw->head, *next; c; c = next) {
        next = c->next;
        c->close_after = true;
        if (grace_over && (c->state == CS_IDLE || c->state == CS_HANDSHAKE))
            conn_close(c);
        else
            left++;
    }
    conn_release_if_drained(w);
    return left;
}
