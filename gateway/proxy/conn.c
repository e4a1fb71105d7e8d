/*
 * conn: the client side of a connection (see conn.h). Everything happens
 * in conn_pump(): after any event it moves bytes and makes decisions until
 * nothing more can be done without waiting, then says what to wait for.
 */
#include "gateway/proxy/conn_internal.h"

#include "gateway/proxy/admission.h"

#include "gateway/admin/metrics.h"
#include "tls/tls.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_PUMP_ROUNDS 64 /* bound on one pump; more work waits for the next event */

/* ---- closing ------------------------------------------------------------------ */

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

void conn_close(struct conn *c)
{
    if (c->state == CS_CLOSED)
        return;
    struct worker *w = c->w;
    struct conn_worker *cw = w->conns;
    if (c->h2)
        h2_conn_free(c); /* its streams end, each logged with what it got */
    if (c->x && (c->x->rq != RQ_HEAD || c->x->status))
        conn_request_done(c); /* logged with what it got, status 0 if nothing */
    if (c->x)
        proxy_release(c->x, false); /* socket, backend slot, queue place */
    loop_timer_clear(w->loop, &c->timer);
    loop_timer_clear(w->loop, &c->send_timer);
    loop_timer_clear(w->loop, &c->kick);
    loop_unwatch(w->loop, &c->cio);
    if (c->tls) {
        if (c->state != CS_HANDSHAKE && !c->client_eof)
            tls_conn_shutdown(c->tls);
        conn_trim_note(w, tls_conn_buffered(c->tls));
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
    admission_release(w, &c->peer); /* counts, limits, metrics: worker.c */
    conn_release_if_drained(w);
    if (loop_defer(w->loop, conn_free, c) < 0)
        free(c); /* no memory to defer: the lesser risk is to free now */
}

/* ---- timers -------------------------------------------------------------------- */

void conn_timer(struct conn *c, uint64_t ms)
{
    if (ms)
        loop_timer_set(c->w->loop, &c->timer, ms);
    else
        loop_timer_clear(c->w->loop, &c->timer);
}

/* Output for the client was pending and nothing of it went out for
 * send_timeout (nginx's send_timeout): the client stopped reading. The
 * connection is reset, not closed: a FIN would wait behind the unsent
 * bytes for a window that never opens, and keep the socket and its buffer
 * in the kernel (nginx's reset_timedout_connection). */
static void conn_on_send_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct conn *c = t->arg;
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->cio.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    conn_close(c);
}

/* Idle for CONN_IDLE_SHRINK_MS: give the request buffers and the TLS
 * record buffers back. */
static void conn_idle_release(struct conn *c)
{
    c->idle_shrunk = true;
    if (c->x && c->x->cin.end == 0)
        conn_exchange_put(c);
    if (c->tls)
        conn_trim_note(c->w, tls_conn_idle(c->tls));
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
    case CS_FORWARD: proxy_on_timer(c->x); break;
    case CS_H2: h2_conn_on_timer(c); return;
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
ssize_t conn_client_read(struct conn *c, char *buf, size_t len)
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
ssize_t conn_client_write(struct conn *c, const char *buf, size_t len)
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

/* Room for more client bytes. Body and tunnel bytes may move to the front
 * of the buffer; a head may not (its spans are offsets). */
static bool cin_room(struct conn *c)
{
    return !c->x || conn_buf_room(&c->x->cin, c->x->cin_data, c->state != CS_HEAD);
}

static bool want_client_read(struct conn *c)
{
    if (c->client_eof)
        return false;
    switch (c->state) {
    case CS_IDLE:
    case CS_HEAD:
    case CS_TUNNEL: return true;
    case CS_FORWARD: /* the body (unless an early answer made it moot); or, waiting for a slot, a close */
        return (c->x->rq == RQ_BODY && !c->x->early) || c->x->rs == RS_QUEUED;
    default: return false;
    }
}

static bool client_fill(struct conn *c)
{
    if (!want_client_read(c))
        return false;
    if (!cin_room(c)) {
        if (c->state == CS_FORWARD)
            c->x->win_blocked = true; /* not the client's doing: body_window_end */
        return false;
    }
    if (c->c_rblk)
        return false;
    if (!c->x && !(c->x = conn_exchange_get(c))) {
        conn_close(c);
        return false;
    }
    struct conn_buf *b = &c->x->cin;
    ssize_t n = conn_client_read(c, c->x->cin_data + b->end, CONN_BUF_SIZE - b->end);
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
    if (c->state == CS_FORWARD)
        c->x->win_bytes += (uint64_t)n;
    if (c->state == CS_IDLE) {
        c->state = CS_HEAD;
        if (c->requests > 0) /* the first request's clock started at accept */
            conn_timer(c, c->cfg->limits.header_timeout_ms);
    }
    return true;
}

/* send_timeout runs while output waits for a client that does not read:
 * armed when a write would block, restarted when one goes out, cleared
 * when nothing is left. */
void conn_send_deadline(struct conn *c, bool pending, bool progress)
{
    if (!pending)
        loop_timer_clear(c->w->loop, &c->send_timer);
    else if (progress || !loop_timer_pending(&c->send_timer))
        loop_timer_set(c->w->loop, &c->send_timer, c->cfg->limits.send_timeout_ms);
}

/* Backend bytes parsed in bin that may go to the client: the body (or a
 * tunnel's bytes) once the final head went out. A head still being read
 * (a backend that sent its status line first, or after a 1xx) stays: it
 * goes out rewritten, and passing its parsed part on raw put a second
 * status line in front of it (found by fuzz_conn). */
static uint32_t body_out(const struct conn *c, const struct exchange *x)
{
    return x->resp_started || c->state == CS_TUNNEL ? x->bin.mid - x->bin.start : 0;
}

/* Body bytes that may join the head in cout: up to a full TLS record
 * (more would end in a short second record), and what cout holds. */
static size_t head_record_room(const struct conn *c, const struct exchange *x)
{
    size_t head = x->cout.end - x->cout.start, record = tls_conn_record_max(c->tls);
    size_t room = CONN_HEAD_OUT_SIZE - x->cout.end;
    if (head >= record)
        return 0;
    return record - head < room ? record - head : room;
}

/* Client output: the head (or local answer) in cout, then the response
 * body bytes parsed in bin. */
static bool client_flush(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x || c->c_wblk)
        return false;
    bool did = false;
    while (x->cout.start < x->cout.end || body_out(c, x) > 0) {
        const char *p;
        size_t len;
        struct conn_buf *from;
        if (x->cout.start < x->cout.end) {
            /* one TLS record for head + first body bytes */
            size_t body = body_out(c, x), room = c->tls && !c->tls_wlen && body ? head_record_room(c, x) : 0;
            if (room) {
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
        ssize_t n = conn_client_write(c, p, len);
        if (n < 0) {
            conn_send_deadline(c, true, did);
            return did;
        }
        if (n == 0) {
            conn_close(c);
            return false;
        }
        from->start += (uint32_t)n;
        x->bytes_out += (uint64_t)n;
        did = true;
    }
    x->cout.start = x->cout.end = 0;
    conn_send_deadline(c, false, did);
    return did;
}

/* ---- the pump ---------------------------------------------------------------------------- */

static bool client_handshake(struct conn *c)
{
    if (c->state != CS_HANDSHAKE || c->c_rblk)
        return false;
    int r = tls_conn_handshake(c->tls);
    if (r == TLS_IO_DONE) {
        if (strcmp(tls_conn_alpn(c->tls), "h2") == 0) {
            metrics_connection_proto(METRICS_PROTO_H2);
            return h2_conn_start(c);
        }
        metrics_connection_proto(METRICS_PROTO_HTTP1);
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
        /* Half-close after a whole request: answer, then close; but one
         * still waiting for a backend slot gives its place up (nothing of
         * it was sent: HAProxy's abortonclose). */
        if (x->rq == RQ_DONE && x->rs != RS_QUEUED) {
            c->close_after = true;
            return;
        }
        break;
    case CS_TUNNEL:
        if (x->cin.start < x->cin.end && x->bio)
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
    if (x && c->c_wblk && (x->cout.start < x->cout.end || body_out(c, x) > 0))
        ev |= c->c_wblk;
    if (loop_watch(c->w->loop, &c->cio, ev) < 0)
        conn_close(c);
}

void conn_watch(struct conn *c)
{
    if (c->state == CS_CLOSED || c->state == CS_H2)
        return; /* h2_conn.c watches its own */
    watch_client(c);
    if (c->state != CS_CLOSED && c->x)
        proxy_watch(c->x);
}

/* The backend side's steps for the HTTP/1.1 exchange, if there is one. */
static bool backend_step(struct conn *c, bool (*step)(struct exchange *x))
{
    return c->state != CS_CLOSED && c->x && step(c->x);
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
        if (c->state == CS_H2) {
            h2_conn_pump(c);
            return;
        }
        did |= client_flush(c);
        did |= backend_step(c, proxy_flush);
        if (c->state != CS_CLOSED)
            did |= client_fill(c);
        if (c->state != CS_CLOSED)
            did |= conn_request_parse(c);
        did |= backend_step(c, proxy_fill);
        did |= backend_step(c, proxy_parse);
        if (c->state != CS_CLOSED)
            did |= conn_exchange_finish(c);
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
    if ((events & LOOP_READ) && c->state != CS_HANDSHAKE && c->state != CS_H2 && !want_client_read(c))
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

void conn_accept(struct worker *w, enum listener_kind kind, uint16_t local_port, int fd,
                 const struct sockaddr_storage *peer)
{
    struct conn_worker *cw = conn_worker_of(w);
    struct conn *c = cw ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        close(fd);
        admission_release(w, peer);
        return;
    }
    c->w = w;
    c->cfg = w->cfg;
    c->kind = kind;
    c->local_port = local_port;
    c->peer = *peer;
    peer_text(peer, c->ip, sizeof c->ip);
    c->cio = (struct loop_io){.fd = fd, .fn = conn_on_client, .arg = c};
    c->timer = (struct loop_timer){.fn = conn_on_timer, .arg = c};
    c->kick = (struct loop_timer){.fn = conn_on_kick, .arg = c};
    c->send_timer = (struct loop_timer){.fn = conn_on_send_timer, .arg = c};
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Data the kernel sent and the client never acknowledged (or a zero
     * window it never opens) ends the connection after send_timeout too:
     * covers what is already out of our hands, in the socket buffer. Never
     * below a few retransmissions, or one lost packet would cut a client. */
    uint64_t ut = c->cfg->limits.send_timeout_ms;
    unsigned user_timeout = (unsigned)(ut > CONN_USER_TIMEOUT_MIN_MS ? ut : CONN_USER_TIMEOUT_MIN_MS);
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
    c->next = cw->head;
    if (cw->head)
        cw->head->prev = c;
    cw->head = c;
    c->state = CS_IDLE;
    if (kind == LISTENER_HTTP)
        metrics_connection_proto(METRICS_PROTO_HTTP1); /* no ALPN: h2c is not offered */
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
        if (c->state == CS_H2)
            h2_conn_drain(c, grace_over);
        else if (grace_over && (c->state == CS_IDLE || c->state == CS_HANDSHAKE))
            conn_close(c);
        if (c->state != CS_CLOSED)
            left++;
    }
    conn_release_if_drained(w);
    return left;
}
