/*
 * proxy: the backend side of a connection (see conn.h): pick a backend,
 * connect (or reuse a pooled socket), send the rewritten head and the raw
 * body, read and check the response, hand its head to the client rewritten
 * and its body raw. A request none of whose bytes reached a backend is
 * tried again once elsewhere, so one dead backend costs no client an error.
 */
#include "gateway/proxy/conn_internal.h"

#include "gateway/admin/metrics.h"
#include "gateway/upstream/backend_pool.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void count(atomic_ullong *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

static struct backend_pool *backend_pool_of(struct conn *c)
{
    return conn_worker_of(c->w)->pool;
}

void proxy_release(struct conn *c, bool reusable)
{
    if (!c->bio)
        return;
    if (reusable && c->backend)
        backend_pool_put(backend_pool_of(c), c->backend->index, c->backend->cfg, c->bio,
                         c->backend->cfg->max_idle);
    else
        backend_pool_drop(backend_pool_of(c), c->bio);
    c->bio = NULL;
    c->backend_connected = false;
    c->backend_eof = false;
    c->b_rblk = c->b_wblk = 0;
    if (c->backend) {
        atomic_fetch_sub_explicit(&c->backend->active, 1, memory_order_relaxed);
        c->backend = NULL;
    }
}

static void connected(struct conn *c)
{
    c->backend_connected = true;
    c->x->rs = RS_WAIT;
    conn_timer(c, c->cfg->limits.response_timeout_ms);
}

static void proxy_connect(struct conn *c, struct backend *exclude);

static void connect_failed(struct conn *c)
{
    struct exchange *x = c->x;
    struct backend *b = c->backend;
    if (b) {
        count(&b->connect_failures);
        backend_report_failure(c->w->backends, b);
    }
    proxy_release(c, false);
    if (x->connect_retries < CONN_CONNECT_RETRIES) {
        x->connect_retries++;
        proxy_connect(c, b);
    } else {
        conn_reply(c, 502);
    }
}

static struct loop_io *open_socket(struct backend_pool *pool, const struct backend *b)
{
    int fd = socket(b->cfg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct loop_io *io = backend_pool_adopt(pool, fd);
    if (!io)
        close(fd);
    return io;
}

static void proxy_connect(struct conn *c, struct backend *exclude)
{
    struct exchange *x = c->x;
    struct backend_set *set = c->w->backends;
    struct backend *b = set ? backend_pick(set, exclude) : NULL;
    if (!b) {
        conn_reply(c, exclude && backend_count_up(set) > 0 ? 502 : 503);
        return;
    }
    c->backend = b;
    x->backend_name = b->cfg->name;
    count(&b->requests);
    atomic_fetch_add_explicit(&b->active, 1, memory_order_relaxed);
    x->bout.start = 0; /* (re)send the whole head */
    struct loop_io *io =
        backend_pool_take(backend_pool_of(c), b->index, b->cfg, x->req_h.body != HTTP_BODY_NONE);
    x->reused = io != NULL;
    if (!io)
        io = open_socket(backend_pool_of(c), b);
    if (!io) {
        conn_reply(c, 502);
        return;
    }
    io->fn = proxy_backend_event;
    io->arg = c;
    c->bio = io;
    int fd = io->fd;
    c->b_wblk = 0;
    c->b_rblk = LOOP_READ; /* nothing can come before the request is out */
    if (x->reused) {
        connected(c);
        return;
    }
    if (connect(fd, (const struct sockaddr *)&b->cfg->addr, b->cfg->addr_len) == 0) {
        connected(c);
    } else if (errno == EINPROGRESS) {
        x->rs = RS_CONNECTING;
        conn_timer(c, c->cfg->limits.connect_timeout_ms);
    } else {
        connect_failed(c);
    }
}

void proxy_start(struct conn *c)
{
    struct exchange *x = c->x;
    struct http_limits lim = {
        .max_head = CONN_BUF_SIZE, .max_uri = CONN_BUF_SIZE, .max_headers = HTTP_MAX_HEADERS, .max_body = 0};
    http_parser_init(&x->resp_p, HTTP_RESPONSE, &x->resp_h, &lim);
    http_parser_next(&x->resp_p, x->bin_data);
    x->resp_p.skip_body = x->info.head_method;
    proxy_connect(c, NULL);
}

/* The backend went away before answering. Replays what is safe to replay:
 * nothing of the body left us and nothing came back. */
static void backend_failed(struct conn *c)
{
    struct exchange *x = c->x;
    bool replayable = x->rs == RS_WAIT && !x->resp_bytes && x->body_sent == 0;
    if (replayable && x->reused && x->stale_retries < CONN_STALE_RETRIES) {
        x->stale_retries++; /* a pooled socket the backend had just closed */
        proxy_release(c, false);
        proxy_connect(c, NULL);
        return;
    }
    if (replayable && !x->reused) {
        connect_failed(c); /* accepted, then dropped: the backend is dying */
        return;
    }
    if (!x->resp_started)
        conn_reply(c, 502);
    else
        conn_close(c);
}

void proxy_on_timer(struct conn *c)
{
    struct exchange *x = c->x;
    struct backend *b = c->backend;
    if (x->rs == RS_CONNECTING) {
        if (b)
            count(&b->timeouts);
        connect_failed(c);
        return;
    }
    if (x->rq != RQ_DONE && x->rs == RS_WAIT) {
        /* the client stopped sending its body: its fault, not the backend's */
        conn_reject(c, 408);
        return;
    }
    bool client_slow = x->rs == RS_BODY && x->bin.start < x->bin.mid; /* we wait to write */
    if (b && !client_slow) {
        count(&b->timeouts);
        if (x->rs == RS_WAIT)
            backend_report_failure(c->w->backends, b);
    }
    if (!x->resp_started)
        conn_reply(c, 504);
    else
        conn_close(c);
}

void proxy_backend_event(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    struct conn *c = io->arg;
    if (c->x && c->x->rs == RS_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            connect_failed(c);
            if (c->state != CS_CLOSED)
                conn_pump(c);
            return;
        }
        connected(c);
    }
    if (c->b_rblk & events)
        c->b_rblk = 0;
    if (c->b_wblk & events)
        c->b_wblk = 0;
    conn_pump(c);
}

/* ---- request bytes out ---------------------------------------------------------- */

bool proxy_flush(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x || !c->backend_connected || c->b_wblk || x->rs == RS_CONNECTING)
        return false;
    struct iovec iov[2];
    int n_iov = 0;
    size_t head = x->bout.end - x->bout.start, body = x->cin.mid - x->cin.start;
    if (head)
        iov[n_iov++] = (struct iovec){x->bout_data + x->bout.start, head};
    if (body && c->state != CS_HEAD && x->rq != RQ_HEAD)
        iov[n_iov++] = (struct iovec){x->cin_data + x->cin.start, body};
    else
        body = 0;
    if (n_iov == 0)
        return false;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n_iov};
    ssize_t n = sendmsg(c->bio->fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            c->b_wblk = LOOP_WRITE;
            return false;
        }
        backend_failed(c);
        return true;
    }
    size_t sent = (size_t)n, from_head = sent < head ? sent : head;
    x->bout.start += (uint32_t)from_head;
    x->cin.start += (uint32_t)(sent - from_head);
    x->body_sent += sent - from_head;
    if (sent < head + body)
        c->b_wblk = LOOP_WRITE;
    if (x->rs == RS_BODY || x->body_sent)
        conn_timer(c, c->state == CS_TUNNEL ? c->cfg->limits.idle_timeout_ms
                                            : c->cfg->limits.response_timeout_ms);
    return sent > 0;
}

/* ---- response bytes in ------------------------------------------------------------- */

/* Room for more backend bytes; a head being read may not move (its spans
 * are offsets). */
static bool bin_room(struct exchange *x)
{
    return conn_buf_room(&x->bin, x->bin_data, x->rs != RS_WAIT);
}

bool proxy_fill(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x || !c->backend_connected || c->b_rblk || c->backend_eof)
        return false;
    if (!(x->rs == RS_WAIT || x->rs == RS_BODY || c->state == CS_TUNNEL) || !bin_room(x))
        return false;
    size_t room = CONN_BUF_SIZE - x->bin.end;
    ssize_t n = recv(c->bio->fd, x->bin_data + x->bin.end, room, 0);
    if (n > 0) {
        x->bin.end += (uint32_t)n;
        x->resp_bytes = true;
        if (c->state == CS_TUNNEL)
            conn_timer(c, c->cfg->limits.idle_timeout_ms);
        else if (x->rs == RS_BODY)
            conn_timer(c, c->cfg->limits.response_timeout_ms);
        if ((size_t)n < room)
            c->b_rblk = LOOP_READ;
        return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        c->b_rblk = LOOP_READ;
        return false;
    }
    c->backend_eof = true;
    return true;
}

/* The previous head (a 100 Continue) is out; the next one starts at 0. */
static void next_response_head(struct exchange *x)
{
    size_t used;
    http_parser_feed(&x->resp_p, x->bin_data + x->bin.mid, 0, &used); /* ends the 1xx */
    uint32_t left = x->bin.end - x->bin.mid;
    memmove(x->bin_data, x->bin_data + x->bin.mid, left);
    x->bin = (struct conn_buf){0, 0, left};
    http_parser_next(&x->resp_p, x->bin_data);
    x->resp_p.skip_body = x->info.head_method;
}

static bool write_head(struct conn *c, const struct http_reply_opts *o)
{
    struct exchange *x = c->x;
    int n = http_response_write(&x->resp_h, x->bin_data, o, x->cout_data, CONN_HEAD_OUT_SIZE);
    if (n < 0)
        return false;
    x->cout = (struct conn_buf){0, 0, (uint32_t)n};
    x->bin.start = x->bin.mid; /* the raw head is not forwarded */
    return true;
}

static void response_head(struct conn *c)
{
    struct exchange *x = c->x;
    struct http_head *h = &x->resp_h;
    struct http_reply_opts o;
    conn_reply_opts(c, &o);
    o.close = false;
    if (h->status < 200 && h->status != 101) {
        bool pass = x->req_h.minor == 1 && (h->status != 100 || x->info.expect_continue);
        if (pass && !write_head(c, &o)) {
            conn_reply(c, 502);
            return;
        }
        x->bin.start = x->bin.mid;
        next_response_head(x);
        return;
    }
    if (h->status == 101 && !x->info.websocket) {
        conn_reply(c, 502); /* we never asked for another protocol */
        return;
    }
    /* The connection cannot carry another request when the body ends
     * with the close, when the request is still coming in, or when an
     * upgrade was refused (the parser stopped at the upgrade). */
    if (h->body == HTTP_BODY_TO_EOF || x->rq != RQ_DONE || c->w->draining ||
        (x->req_h.upgrade && h->status != 101))
        c->close_after = true;
    o.close = c->close_after;
    o.client_http10 = x->req_h.minor == 0;
    o.websocket = h->status == 101;
    if (!write_head(c, &o)) {
        conn_reply(c, 502);
        return;
    }
    x->status = h->status;
    x->resp_started = true;
    count(&c->backend->responses_by_class[h->status / 100 < 6 ? h->status / 100 : 0]);
    if (h->status == 101) {
        c->state = CS_TUNNEL;
        x->rs = RS_DONE;
        x->rq = RQ_DONE;
        x->cin.mid = x->cin.end;
        x->bin.mid = x->bin.end;
        conn_timer(c, c->cfg->limits.idle_timeout_ms);
        return;
    }
    x->rs = RS_BODY;
    conn_timer(c, c->cfg->limits.response_timeout_ms);
}

static bool backend_ended(struct conn *c)
{
    struct exchange *x = c->x;
    if (c->state == CS_TUNNEL) {
        if (x->bin.start == x->bin.mid && x->cout.start == x->cout.end)
            conn_close(c);
        return false;
    }
    if (x->rs == RS_BODY && http_parser_eof(&x->resp_p)) {
        x->rs = RS_DONE;
        return true;
    }
    if (x->rs == RS_DONE)
        return false;
    backend_failed(c);
    return true;
}

static bool proxy_parse_step(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x || !c->bio)
        return false;
    if (c->state == CS_TUNNEL) {
        bool more = x->bin.mid != x->bin.end;
        x->bin.mid = x->bin.end;
        if (!more && c->backend_eof)
            return backend_ended(c);
        return more;
    }
    if (!(x->rs == RS_WAIT || x->rs == RS_BODY))
        return c->backend_eof ? backend_ended(c) : false;
    if (x->rs == RS_WAIT && x->cout.start < x->cout.end)
        return false; /* a 1xx head is still on its way out */
    size_t used;
    enum http_feed r = http_parser_feed(&x->resp_p, x->bin_data + x->bin.mid, x->bin.end - x->bin.mid, &used);
    x->bin.mid += (uint32_t)used;
    switch (r) {
    case HTTP_FEED_HEAD: response_head(c); return true;
    case HTTP_FEED_DONE:
    case HTTP_FEED_UPGRADE: x->rs = RS_DONE; return true;
    case HTTP_FEED_ERROR:
        x->bin.mid = x->bin.start;
        if (!x->resp_started)
            conn_reply(c, 502);
        else
            conn_close(c);
        return true;
    case HTTP_FEED_MORE:
    default:
        if (used == 0 && c->backend_eof)
            return backend_ended(c);
        return used > 0;
    }
}

void proxy_watch(struct conn *c)
{
    struct exchange *x = c->x;
    if (!c->bio || !x)
        return;
    unsigned ev = 0;
    if (x->rs == RS_CONNECTING) {
        ev = LOOP_WRITE;
    } else {
        bool out = x->bout.start < x->bout.end || x->cin.start < x->cin.mid;
        if (out && c->b_wblk)
            ev |= c->b_wblk;
        if (!c->backend_eof && c->b_rblk && bin_room(x))
            ev |= c->b_rblk;
    }
    if (loop_watch(c->w->loop, c->bio, ev) < 0)
        conn_close(c);
}

/* A head and the body bytes already here are parsed in one go, so they
 * leave in one write (one TLS record for a small page). */
bool proxy_parse(struct conn *c)
{
    bool did = false;
    for (int i = 0; i < 4 && c->state != CS_CLOSED && proxy_parse_step(c); i++)
        did = true;
    return did;
}
