/*
 * proxy: the backend side of one exchange (see conn_internal.h): pick a
 * backend (or wait for a slot of one), connect (or reuse a pooled socket),
 * send the rewritten head and the body, read and check the response, hand
 * its head to the client side (x->ops->head: rewritten for HTTP/1.1,
 * fields for HTTP/2) and its body: raw to an HTTP/1.1 client, payload only
 * (chunk framing dropped as it is parsed) to an HTTP/2 stream. Everything
 * here works on the exchange alone; the client is reached through x->ops. A request is
 * tried again elsewhere only when nothing came back and nothing of its body
 * left us, and either no byte of it reached a backend or its method is
 * idempotent (RFC 9110 section 9.2.2): a POST a backend took is never sent
 * twice.
 */
#include "gateway/proxy/conn_internal.h"

#include "gateway/admin/metrics.h"
#include "gateway/upstream/backend_pool.h"
#include "tls/tls.h"

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

static struct backend_pool *backend_pool_of(struct exchange *x)
{
    return conn_worker_of(x->c->w)->pool;
}

/* Passive health (backend.h says what counts). */
static void report(struct exchange *x, struct backend *b, enum backend_outcome outcome)
{
    if (b && x->c->w->backends)
        backend_report(x->c->w->backends, b, outcome);
}

/* ---- the backend socket and slot ---------------------------------------------- */

void proxy_release(struct exchange *x, bool reusable)
{
    proxy_queue_leave(x);
    if (x->bio) {
        if (reusable && x->backend)
            backend_pool_put(backend_pool_of(x), x->backend->index, x->backend->cfg, x->bio,
                             x->backend->cfg->max_idle);
        else
            backend_pool_drop(backend_pool_of(x), x->bio);
        x->bio = NULL;
    }
    x->backend_connected = false;
    x->backend_eof = false;
    x->b_rblk = x->b_wblk = 0;
    if (x->backend) {
        backend_release(x->backend);
        x->backend = NULL;
        proxy_queue_kick(x->c->w);
    }
}

/* ---- connecting ------------------------------------------------------------------- */

static const struct config *cfg_of(const struct exchange *x)
{
    return x->c->cfg;
}

static uint64_t now_ms(const struct exchange *x)
{
    return loop_now_ms(x->c->w->loop);
}

/* The request body still comes from the client: its windows run. */
static bool body_window_runs(const struct exchange *x)
{
    return x->rq != RQ_DONE && x->req_h.body != HTTP_BODY_NONE && !x->early;
}

static void body_window_start(struct exchange *x)
{
    x->win_bytes = 0;
    x->win_blocked = false;
    x->ops->timer(x, cfg_of(x)->limits.body_timeout_ms);
}

static void connected(struct exchange *x)
{
    x->backend_connected = true;
    x->rs = RS_WAIT;
    x->backend_took_ms = now_ms(x);
    if (body_window_runs(x))
        body_window_start(x);
    else
        x->ops->timer(x, cfg_of(x)->limits.response_timeout_ms);
}

void proxy_request_sent(struct exchange *x)
{
    if (x->rs == RS_WAIT && x->req_h.body != HTTP_BODY_NONE && !x->early)
        x->ops->timer(x, cfg_of(x)->limits.response_timeout_ms);
}

static void proxy_connect(struct exchange *x, struct backend *exclude);

/* The backend refused or dropped the request before answering: counted
 * (passive health), then tried once elsewhere. */
static void connect_failed(struct exchange *x, enum backend_outcome why)
{
    struct backend *b = x->backend;
    if (b) {
        count(&b->connect_failures);
        report(x, b, why);
    }
    proxy_release(x, false);
    if (x->connect_retries < CONN_CONNECT_RETRIES) {
        x->connect_retries++;
        proxy_connect(x, b);
    } else {
        x->ops->reply(x, 502);
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

void proxy_connect_to(struct exchange *x, struct backend *b)
{
    x->backend = b;
    x->backend_name = b->cfg->name;
    count(&b->requests);
    x->bout.start = 0; /* (re)send the whole head */
    struct loop_io *io = backend_pool_take(backend_pool_of(x), b->index, b->cfg);
    x->reused = io != NULL;
    if (!io)
        io = open_socket(backend_pool_of(x), b);
    if (!io) {
        x->ops->reply(x, 502);
        return;
    }
    io->fn = proxy_backend_event;
    io->arg = x;
    x->bio = io;
    int fd = io->fd;
    x->b_wblk = 0;
    x->b_rblk = LOOP_READ; /* nothing can come before the request is out */
    if (x->reused) {
        connected(x);
        return;
    }
    if (connect(fd, (const struct sockaddr *)&b->cfg->addr, b->cfg->addr_len) == 0) {
        connected(x);
    } else if (errno == EINPROGRESS) {
        x->rs = RS_CONNECTING;
        x->ops->timer(x, cfg_of(x)->limits.connect_timeout_ms);
    } else {
        connect_failed(x, BACKEND_CONNECT_FAILED);
    }
}

unsigned proxy_no_backend_status(const struct backend_set *set, const struct backend *exclude)
{
    return exclude && set && backend_count_up(set) > 0 ? 502 : 503;
}

static void proxy_connect(struct exchange *x, struct backend *exclude)
{
    struct backend_set *set = x->c->w->backends;
    enum backend_pick_why why = BACKEND_NONE_UP;
    struct backend *b = set ? backend_pick(set, exclude, &why) : NULL;
    if (b)
        proxy_connect_to(x, b);
    else if (why == BACKEND_ALL_BUSY)
        proxy_queue_wait(x, exclude);
    else
        x->ops->reply(x, proxy_no_backend_status(set, exclude));
}

void proxy_start(struct exchange *x)
{
    struct http_limits lim = {
        .max_head = CONN_BUF_SIZE, .max_uri = CONN_BUF_SIZE, .max_headers = HTTP_MAX_HEADERS, .max_body = 0};
    http_parser_init(&x->resp_p, HTTP_RESPONSE, &x->resp_h, &lim);
    http_parser_next(&x->resp_p, x->bin_data);
    x->resp_p.skip_body = x->info.head_method;
    proxy_connect(x, NULL);
}

/* The backend went away before answering. Replays what is safe to replay
 * (see the top of this file). */
static void backend_failed(struct exchange *x)
{
    bool nothing_back = x->rs == RS_WAIT && !x->resp_bytes && x->body_sent == 0;
    bool replayable = nothing_back && (!x->req_sent || x->info.idempotent);
    if (replayable && x->reused && x->stale_retries < CONN_STALE_RETRIES) {
        x->stale_retries++; /* a pooled socket the backend had just closed */
        proxy_release(x, false);
        proxy_connect(x, NULL);
        return;
    }
    if (replayable && !x->reused) {
        connect_failed(x, BACKEND_DROPPED); /* accepted, then dropped: the backend is dying */
        return;
    }
    if (nothing_back && !x->reused)
        report(x, x->backend, BACKEND_DROPPED);
    if (!x->resp_started)
        x->ops->reply(x, 502);
    else
        x->ops->abort(x);
}

/* An answer no HTTP server may give: the backend's fault (counted), the
 * client gets a 502 if nothing went out yet. */
static void protocol_error(struct exchange *x)
{
    report(x, x->backend, BACKEND_PROTOCOL_ERROR);
    x->bin.mid = x->bin.start; /* nothing more of it goes out */
    if (!x->resp_started)
        x->ops->reply(x, 502);
    else
        x->ops->abort(x);
}

/* body_timeout passed while the request body was coming: every window
 * must bring body_min_rate x body_timeout bytes (at least one), unless we
 * were the ones not reading (the buffer full: the backend is slow, or it
 * has not said 100 Continue yet); then the backend gets response_timeout
 * from the last bytes it took. */
static void body_window_end(struct exchange *x)
{
    const struct config_limits *l = &cfg_of(x)->limits;
    uint64_t need = l->body_min_rate * l->body_timeout_ms / 1000;
    bool awaits_continue = x->info.expect_continue && !x->continue_sent && x->win_bytes == 0;
    if (x->win_bytes >= (need ? need : 1)) {
        body_window_start(x);
    } else if (x->win_blocked || awaits_continue) {
        if (now_ms(x) - x->backend_took_ms < l->response_timeout_ms) {
            body_window_start(x);
            return;
        }
        if (x->backend)
            count(&x->backend->timeouts);
        x->ops->reply(x, 504);
    } else {
        x->ops->reject(x, 408); /* too slow: the client's doing, counted */
    }
}

void proxy_on_timer(struct exchange *x)
{
    struct backend *b = x->backend;
    switch (x->rs) {
    case RS_QUEUED: x->ops->reply(x, 503); return; /* queue_timeout */
    case RS_CONNECTING:
        if (b)
            count(&b->timeouts);
        connect_failed(x, BACKEND_CONNECT_FAILED);
        return;
    case RS_WAIT:
        if (body_window_runs(x)) {
            body_window_end(x);
            return;
        }
        break;
    default: break;
    }
    if (x->rs == RS_BODY && x->bin.start < x->bin.mid) {
        /* We wait to write, not for the backend: the client's deadline is
         * send_timeout (conn.c, h2_conn.c), so the backend's clock starts
         * again. */
        x->ops->timer(x, cfg_of(x)->limits.response_timeout_ms);
        return;
    }
    /* A slow answer is the request's failure, not the server's: counted,
     * never reported to passive health (a client could ask for slow
     * pages until every backend is down). */
    if (b)
        count(&b->timeouts);
    if (!x->resp_started)
        x->ops->reply(x, 504);
    else
        x->ops->abort(x);
}

void proxy_backend_event(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    struct exchange *x = io->arg;
    if (x->rs == RS_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            connect_failed(x, BACKEND_CONNECT_FAILED);
            if (exchange_live(x))
                x->ops->pump(x);
            return;
        }
        connected(x);
    }
    if (x->b_rblk & events)
        x->b_rblk = 0;
    if (x->b_wblk & events)
        x->b_wblk = 0;
    x->ops->pump(x);
}

/* ---- request bytes out ---------------------------------------------------------- */

bool proxy_flush(struct exchange *x)
{
    if (!x->backend_connected || x->b_wblk || x->rs == RS_CONNECTING || x->early)
        return false; /* early: the backend answered, the rest of the request is not for it */
    struct iovec iov[2];
    int n_iov = 0;
    size_t head = x->bout.end - x->bout.start, body = x->cin.mid - x->cin.start;
    if (head)
        iov[n_iov++] = (struct iovec){x->bout_data + x->bout.start, head};
    if (body && x->rq != RQ_HEAD)
        iov[n_iov++] = (struct iovec){x->cin_data + x->cin.start, body};
    else
        body = 0;
    if (n_iov == 0)
        return false;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n_iov};
    ssize_t n = sendmsg(x->bio->fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            x->b_wblk = LOOP_WRITE;
            return false;
        }
        backend_failed(x);
        return true;
    }
    size_t sent = (size_t)n, from_head = sent < head ? sent : head;
    x->bout.start += (uint32_t)from_head;
    x->cin.start += (uint32_t)(sent - from_head);
    x->body_sent += sent - from_head;
    if (sent < head + body)
        x->b_wblk = LOOP_WRITE;
    if (sent == 0)
        return false;
    x->req_sent = true;
    x->backend_took_ms = now_ms(x);
    if (x->tunnel)
        x->ops->timer(x, cfg_of(x)->limits.idle_timeout_ms);
    else if (x->body_sent && !body_window_runs(x)) /* body windows have their own clock */
        x->ops->timer(x, cfg_of(x)->limits.response_timeout_ms);
    return true;
}

/* ---- response bytes in ------------------------------------------------------------- */

/* How much the next backend read may take (0: none now); a head being
 * read may not move (its spans are offsets). Body and tunnel bytes for an
 * HTTP/1.1 TLS client are read one record at a time (conn_buf_read_max):
 * a 16 KiB read in TLS 1.3 (16,383 bytes a record) went out as a full
 * record plus a 1-byte one, twice the sends and records for the client to
 * decrypt. HTTP/2 frames them itself (h2_conn.c: h2_out_fill). */
static uint32_t bin_read_max(struct exchange *x)
{
    bool body = x->rs != RS_WAIT;
    struct tls_conn *tls = x->xs ? NULL : x->c->tls;
    uint32_t record = tls && body ? (uint32_t)tls_conn_record_max(tls) : 0;
    return conn_buf_read_max(&x->bin, x->bin_data, body, record);
}

bool proxy_fill(struct exchange *x)
{
    if (!x->backend_connected || x->b_rblk || x->backend_eof)
        return false;
    if (!(x->rs == RS_WAIT || x->rs == RS_BODY || x->tunnel))
        return false;
    size_t room = bin_read_max(x);
    if (room == 0)
        return false;
    ssize_t n = recv(x->bio->fd, x->bin_data + x->bin.end, room, 0);
    if (n > 0) {
        x->bin.end += (uint32_t)n;
        x->resp_bytes = true;
        if (x->tunnel)
            x->ops->timer(x, cfg_of(x)->limits.idle_timeout_ms);
        else if (x->rs == RS_BODY)
            x->ops->timer(x, cfg_of(x)->limits.response_timeout_ms);
        if ((size_t)n < room)
            x->b_rblk = LOOP_READ;
        return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        x->b_rblk = LOOP_READ;
        return false;
    }
    x->backend_eof = true;
    return true;
}

/* The previous head (a 1xx) is out; the next one starts at 0 with a fresh
 * parser (http_parser_next resets it). */
static void next_response_head(struct exchange *x)
{
    uint32_t left = x->bin.end - x->bin.mid;
    memmove(x->bin_data, x->bin_data + x->bin.mid, left);
    x->bin = (struct conn_buf){0, 0, left};
    http_parser_next(&x->resp_p, x->bin_data);
    x->resp_p.skip_body = x->info.head_method;
}

/* 1xx but 101: passed on (to an HTTP/1.1 client, 100 only if it asked),
 * then the real answer follows. A 1xx cannot carry content (RFC 9110
 * section 15.2); one llhttp would read a body for (framing on a 104-199)
 * is the backend breaking the protocol: 502. */
static void interim_head(struct exchange *x)
{
    struct http_head *h = &x->resp_h;
    if (h->body != HTTP_BODY_NONE) {
        protocol_error(x);
        return;
    }
    bool pass = x->req_h.minor == 1 && (h->status != 100 || x->info.expect_continue);
    if (pass && !x->ops->head(x, false)) {
        x->ops->reply(x, 502);
        return;
    }
    x->continue_sent |= pass && h->status == 100;
    x->bin.start = x->bin.mid;
    next_response_head(x);
}

/* The final head came before the backend had all of the request: the rest
 * is not for it (a lenient origin would read it as a request of its own),
 * so nothing more is sent and the socket is never pooled; a client still
 * sending its body loses the connection (HTTP/1.1) or the stream
 * (HTTP/2: RST_STREAM NO_ERROR) after the answer. */
static void early_answer(struct exchange *x)
{
    bool unsent = x->bout.start < x->bout.end || x->cin.start < x->cin.mid;
    if (x->rq != RQ_DONE || unsent)
        x->early = true;
}

static void response_head(struct exchange *x)
{
    struct http_head *h = &x->resp_h;
    if (h->status < 200 && h->status != 101) {
        interim_head(x);
        return;
    }
    if (h->status == 101 && !x->info.websocket) {
        protocol_error(x); /* we never asked for another protocol */
        return;
    }
    if (x->req_h.minor == 0 && h->body == HTTP_BODY_CHUNKED) {
        x->ops->reply(x, 502); /* an HTTP/1.0 client cannot read it (RFC 9112 section 6.1) */
        return;
    }
    if (h->status != 101)
        early_answer(x);
    x->tunnel = h->status == 101;
    if (!x->ops->head(x, true)) {
        x->tunnel = false;
        x->ops->reply(x, 502);
        return;
    }
    x->status = h->status;
    x->resp_started = true;
    count(&x->backend->responses_by_class[h->status / 100 < 6 ? h->status / 100 : 0]);
    report(x, x->backend, h->status >= 500 ? BACKEND_RESPONSE_5XX : BACKEND_RESPONSE_OK);
    if (x->tunnel) {
        x->rs = RS_DONE;
        x->rq = RQ_DONE;
        x->cin.mid = x->cin.end;
        x->bin.mid = x->bin.end;
        x->ops->timer(x, cfg_of(x)->limits.idle_timeout_ms);
        return;
    }
    x->rs = RS_BODY;
    x->ops->timer(x, cfg_of(x)->limits.response_timeout_ms);
}

static bool backend_ended(struct exchange *x)
{
    if (x->tunnel) {
        if (x->bin.start == x->bin.mid && x->cout.start == x->cout.end)
            x->ops->abort(x);
        return false;
    }
    if (x->rs == RS_BODY && http_parser_eof(&x->resp_p)) {
        x->rs = RS_DONE;
        return true;
    }
    if (x->rs == RS_DONE)
        return false;
    backend_failed(x);
    return true;
}

/* Feeds what came from the backend to its parser; for an HTTP/2 client
 * the body's payload is gathered in place (http_parser's sink) and what
 * follows it moves up behind it. *used: input bytes parsed. */
static enum http_feed response_feed(struct exchange *x, size_t *used)
{
    char *data = x->bin_data + x->bin.mid;
    size_t len = x->bin.end - x->bin.mid;
    bool payload_only = x->xs && x->rs == RS_BODY;
    x->resp_p.sink = payload_only ? data : NULL;
    x->resp_p.sink_len = 0;
    enum http_feed r = http_parser_feed(&x->resp_p, data, len, used);
    if (!payload_only) {
        x->bin.mid += (uint32_t)*used;
        return r;
    }
    size_t out = x->resp_p.sink_len;
    memmove(data + out, data + *used, len - *used);
    x->bin.end -= (uint32_t)(*used - out);
    x->bin.mid += (uint32_t)out;
    x->resp_p.sink = NULL;
    return r;
}

static bool proxy_parse_step(struct exchange *x)
{
    if (!x->bio)
        return false;
    if (x->tunnel) {
        bool more = x->bin.mid != x->bin.end;
        x->bin.mid = x->bin.end;
        if (!more && x->backend_eof)
            return backend_ended(x);
        return more;
    }
    if (!(x->rs == RS_WAIT || x->rs == RS_BODY))
        return x->backend_eof ? backend_ended(x) : false;
    if (x->rs == RS_WAIT && x->cout.start < x->cout.end)
        return false; /* a 1xx head is still on its way out */
    size_t used;
    enum http_feed r = response_feed(x, &used);
    switch (r) {
    case HTTP_FEED_HEAD: response_head(x); return true;
    case HTTP_FEED_DONE:
    case HTTP_FEED_UPGRADE: {
        if (!x->resp_started) { /* "done" with no answer begun: not a response */
            protocol_error(x);
            return true;
        }
        bool changed = x->rs != RS_DONE; /* progress only if something moved */
        x->rs = RS_DONE;
        return changed || used > 0;
    }
    case HTTP_FEED_ERROR: protocol_error(x); return true;
    case HTTP_FEED_MORE:
    default:
        if (used == 0 && x->backend_eof)
            return backend_ended(x);
        return used > 0;
    }
}

void proxy_watch(struct exchange *x)
{
    if (!x->bio)
        return;
    unsigned ev = 0;
    if (x->rs == RS_CONNECTING) {
        ev = LOOP_WRITE;
    } else {
        /* early: what is left of the request is never sent (proxy_flush) */
        bool out = !x->early && (x->bout.start < x->bout.end || x->cin.start < x->cin.mid);
        if (out && x->b_wblk)
            ev |= x->b_wblk;
        if (!x->backend_eof && x->b_rblk && bin_read_max(x) > 0)
            ev |= x->b_rblk;
    }
    if (loop_watch(x->c->w->loop, x->bio, ev) < 0)
        x->ops->abort(x);
}

/* A head and the body bytes already here are parsed in one go, so they
 * leave in one write (one TLS record for a small page). */
bool proxy_parse(struct exchange *x)
{
    bool did = false;
    for (int i = 0; i < 4 && exchange_live(x) && x->c->state != CS_CLOSED && proxy_parse_step(x); i++)
        did = true;
    return did;
}
