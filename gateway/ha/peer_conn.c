/*
 * peer_conn: one connection of the peer channel, on the link's thread:
 * connect, TLS handshake, HELLOs, then frames both ways, with a deadline
 * in every state (peer_link.h). peer_link.c decides which connection is
 * the session; this file only moves bytes and checks them.
 */
#include "gateway/ha/peer_link_internal.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void conn_on_io(struct loop *loop, struct loop_io *io, unsigned events);
static void conn_on_timer(struct loop *loop, struct loop_timer *t);

static uint64_t now_ms(const struct peer_conn *c)
{
    return loop_now_ms(c->link->loop);
}

/* The next moment this connection must act: its deadline, or (a session)
 * the next keepalive. */
static void conn_arm(struct peer_conn *c)
{
    const struct peer_link_config *cfg = &c->link->cfg;
    uint64_t due;
    if (c->state == PEER_CONN_CONNECTING)
        due = c->started_ms + cfg->connect_timeout_ms;
    else if (c->state != PEER_CONN_ACTIVE)
        due = c->started_ms + cfg->handshake_timeout_ms;
    else {
        due = c->last_rx_ms + cfg->dead_ms;
        if (c->last_tx_ms + cfg->keepalive_ms < due)
            due = c->last_tx_ms + cfg->keepalive_ms;
    }
    uint64_t now = now_ms(c);
    loop_timer_set(c->link->loop, &c->timer, due > now ? due - now : 0);
}

static void conn_watch(struct peer_conn *c, unsigned events)
{
    if (c->paused)
        events &= ~LOOP_READ;
    loop_watch(c->link->loop, &c->io, events);
}

struct peer_conn *peer_conn_new(struct peer_link *l, int fd, bool dialed, bool connecting)
{
    struct peer_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->tbuf = malloc(PEER_TX_MAX)) || !(c->tls = tls_peer_conn_new(l->tls, fd, dialed))) {
        if (c)
            free(c->tbuf);
        free(c);
        return NULL;
    }
    c->link = l;
    c->fd = fd;
    c->dialed = dialed;
    c->state = connecting ? PEER_CONN_CONNECTING : PEER_CONN_TLS;
    c->started_ms = c->last_rx_ms = c->last_tx_ms = loop_now_ms(l->loop);
    peer_rx_init(&c->rx);
    c->io = (struct loop_io){.fd = fd, .fn = conn_on_io, .arg = c};
    c->timer = (struct loop_timer){.fn = conn_on_timer, .arg = c};
    conn_watch(c, connecting ? LOOP_WRITE : LOOP_READ | LOOP_WRITE);
    conn_arm(c);
    return c;
}

void peer_conn_free(struct peer_conn *c)
{
    if (!c)
        return;
    loop_timer_clear(c->link->loop, &c->timer);
    loop_unwatch(c->link->loop, &c->io);
    tls_peer_conn_free(c->tls);
    close(c->fd);
    free(c->tbuf);
    free(c);
}

static void conn_free_deferred(void *arg)
{
    peer_conn_free(arg);
}

void peer_conn_close(struct peer_conn *c, enum peer_close why)
{
    if (c->closing)
        return;
    c->closing = true;
    c->link->st.closed[why]++;
    if (c->state == PEER_CONN_ACTIVE)
        tls_peer_shutdown(c->tls);
    loop_timer_clear(c->link->loop, &c->timer);
    loop_unwatch(c->link->loop, &c->io);
    peer_link_on_close(c->link, c);
    if (loop_defer(c->link->loop, conn_free_deferred, c) < 0)
        peer_conn_free(c); /* out of memory: no event of this batch can still name it */
}

/* ---- output ------------------------------------------------------------------------------- */

bool peer_conn_has_room(const struct peer_conn *c)
{
    return c->tlen + PEER_FRAME_MAX <= PEER_TX_MAX;
}

bool peer_conn_queue(struct peer_conn *c, const struct peer_msg *msg)
{
    if (!peer_conn_has_room(c))
        return false;
    size_t n = peer_encode(c->tbuf + c->tlen, PEER_TX_MAX - c->tlen, c->tx_seq + 1, msg);
    if (n == 0) {
        log_event(LOG_LEVEL_ERROR, "peer_encode_refused", "type", peer_msg_type_name(msg->type), LOG_END);
        return true; /* a bug of ours: dropped, not retried */
    }
    c->tx_seq++;
    c->tlen += n;
    c->link->st.frames_out++;
    return true;
}

/* Writes what is waiting; false when the connection was closed. */
static bool conn_flush(struct peer_conn *c)
{
    while (c->toff < c->tlen) {
        if (c->wlen == 0)
            c->wlen = c->tlen - c->toff;
        ssize_t n = tls_peer_write(c->tls, c->tbuf + c->toff, c->wlen);
        if (n == TLS_IO_WANT_WRITE || n == TLS_IO_WANT_READ)
            return conn_watch(c, LOOP_READ | LOOP_WRITE), true;
        if (n < 0) {
            peer_conn_close(c, n == TLS_IO_CLOSED ? PEER_CLOSE_EOF : PEER_CLOSE_ERROR);
            return false;
        }
        c->toff += (size_t)n;
        c->wlen = 0;
        c->link->st.bytes_out += (uint64_t)n;
        c->last_tx_ms = now_ms(c);
    }
    c->toff = c->tlen = 0;
    conn_watch(c, LOOP_READ);
    return true;
}

/* ---- input ---------------------------------------------------------------------------------- */

static void conn_drop(struct peer_conn *c, enum peer_drop why)
{
    c->link->st.dropped[why]++;
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)c->rx.next_seq);
    log_event(LOG_LEVEL_WARN, "peer_frame_dropped", "reason", peer_drop_name(why), "expected_seq", seq,
              "effect", "session closed", LOG_END);
    peer_conn_close(c, PEER_CLOSE_ERROR);
}

static bool hello_ok(struct peer_conn *c, const struct peer_hello *h)
{
    const struct ip_addr *want = &c->link->cfg.peer_id;
    size_t len = want->family == AF_INET ? 4 : 16;
    return h->node.family == want->family && memcmp(&h->node.u, &want->u, len) == 0;
}

/* One checked frame; false when the connection ended. */
static bool conn_frame(struct peer_conn *c, const struct peer_frame *f)
{
    struct peer_msg msg;
    enum peer_drop why;
    if (peer_rx_accept(&c->rx, f, &msg, &why) < 0)
        return conn_drop(c, why), false;
    c->link->st.frames_in++;
    if (msg.type == PEER_MSG_HELLO) {
        if (!hello_ok(c, &msg.u.hello))
            return conn_drop(c, PEER_DROP_HELLO), false;
        c->peer = msg.u.hello;
        c->state = PEER_CONN_ACTIVE;
        peer_link_on_hello(c->link, c);
        return !c->closing;
    }
    if (msg.type != PEER_MSG_PING)
        peer_link_deliver(c->link, c, &msg);
    return true;
}

/* The frames in rbuf, while the parent has room for them; false when the
 * connection ended. */
static bool conn_frames(struct peer_conn *c)
{
    size_t off = 0;
    bool ok = true;
    while (ok && !c->paused) {
        if (c->state == PEER_CONN_ACTIVE && peer_link_inbox_full(c->link)) {
            c->paused = true; /* read again when the parent has taken some */
            break;
        }
        struct peer_frame f;
        enum peer_drop why;
        int n = peer_frame_parse(c->rbuf + off, c->rlen - off, &f, &why);
        if (n == 0)
            break;
        if (n < 0)
            return conn_drop(c, why), false;
        off += (size_t)n;
        ok = conn_frame(c, &f);
    }
    if (ok) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    return ok;
}

/* Reads what TLS has, a bounded number of times. */
static void conn_read(struct peer_conn *c)
{
    for (int i = 0; i < PEER_READS_PER_EVENT && !c->paused; i++) {
        ssize_t n = tls_peer_read(c->tls, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen);
        if (n == TLS_IO_WANT_READ || n == TLS_IO_WANT_WRITE)
            return;
        if (n < 0) {
            if (c->rlen > 0)
                c->link->st.dropped[PEER_DROP_TRUNCATED]++;
            peer_conn_close(c, n == TLS_IO_CLOSED ? PEER_CLOSE_EOF : PEER_CLOSE_ERROR);
            return;
        }
        c->rlen += (size_t)n;
        c->link->st.bytes_in += (uint64_t)n;
        c->last_rx_ms = now_ms(c);
        if (!conn_frames(c))
            return;
    }
}

/* ---- states --------------------------------------------------------------------------------- */

static void conn_connected(struct peer_conn *c)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0) {
        peer_conn_close(c, PEER_CLOSE_CONNECT);
        return;
    }
    c->state = PEER_CONN_TLS;
    c->started_ms = now_ms(c); /* the handshake's own deadline starts now */
    conn_arm(c);
}

static void conn_handshake(struct peer_conn *c)
{
    int rc = tls_peer_handshake(c->tls);
    if (rc == TLS_IO_WANT_READ || rc == TLS_IO_WANT_WRITE) {
        conn_watch(c, rc == TLS_IO_WANT_READ ? LOOP_READ : LOOP_READ | LOOP_WRITE);
        return;
    }
    if (rc != TLS_IO_DONE) {
        enum tls_peer_fail why = tls_peer_conn_failure(c->tls);
        c->link->st.handshake_failures[why]++;
        log_event(why == TLS_PEER_FAIL_CLOSED ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "peer_handshake_failed",
                  "side", c->dialed ? "dialed" : "accepted", "reason", tls_peer_fail_name(why), "error",
                  tls_peer_conn_error(c->tls), LOG_END);
        peer_conn_close(c, PEER_CLOSE_ERROR);
        return;
    }
    c->state = PEER_CONN_HELLO;
    struct peer_msg hello = {.type = PEER_MSG_HELLO, .u.hello = c->link->cfg.hello};
    peer_conn_queue(c, &hello);
}

static void conn_on_io(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    struct peer_conn *c = io->arg;
    if (c->state == PEER_CONN_CONNECTING && (events & LOOP_WRITE))
        conn_connected(c);
    if (!c->closing && c->state == PEER_CONN_TLS)
        conn_handshake(c);
    if (!c->closing && c->state >= PEER_CONN_HELLO) {
        conn_read(c);
        if (!c->closing && c->state == PEER_CONN_ACTIVE)
            peer_link_feed(c->link);
        if (!c->closing && conn_flush(c))
            conn_arm(c);
    }
    peer_link_publish(c->link);
}

void peer_conn_kick(struct peer_conn *c)
{
    if (c->closing)
        return;
    if (c->paused && !peer_link_inbox_full(c->link)) {
        c->paused = false;
        if (!conn_frames(c))
            return;
        conn_read(c); /* TLS may hold decrypted bytes epoll will not announce */
        if (c->closing)
            return;
    }
    if (conn_flush(c))
        conn_arm(c);
}

static void conn_on_timer(struct loop *loop, struct loop_timer *t)
{
    struct peer_conn *c = t->arg;
    const struct peer_link_config *cfg = &c->link->cfg;
    uint64_t now = loop_now_ms(loop);
    if (c->paused)
        c->last_rx_ms = now; /* we are the slow side: the peer is not silent */
    if (c->state == PEER_CONN_CONNECTING) {
        peer_conn_close(c, PEER_CLOSE_CONNECT);
    } else if (c->state != PEER_CONN_ACTIVE) {
        c->link->st.handshake_failures[TLS_PEER_FAIL_TIMEOUT]++;
        peer_conn_close(c, PEER_CLOSE_TIMEOUT);
    } else if (now >= c->last_rx_ms + cfg->dead_ms) {
        if (c->rlen > 0)
            c->link->st.dropped[PEER_DROP_TRUNCATED]++;
        peer_conn_close(c, c->rlen > 0 ? PEER_CLOSE_MESSAGE : PEER_CLOSE_IDLE);
    } else {
        if (now >= c->last_tx_ms + cfg->keepalive_ms) {
            struct peer_msg ping = {.type = PEER_MSG_PING};
            peer_conn_queue(c, &ping);
        }
        if (conn_flush(c))
            conn_arm(c);
    }
    peer_link_publish(c->link);
}
