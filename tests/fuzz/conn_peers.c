/*
 * conn_peers: byte queues, the clients and the fake backend of
 * fuzz_conn.c, and the checks that need both the peers' and the gateway's
 * view (which backend socket a connection holds, which sit in the pool).
 * See conn_peers.h; requests and answers are built in conn_shapes.c.
 */
#include "tests/fuzz/conn_peers.h"

#include "gateway/proxy/h2_internal.h"
#include "gateway/upstream/backend_pool.h"
#include "tests/fuzz/conn_h2.h"
#include "tests/fuzz/conn_shapes.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static bool fz_have_tls;

void fz_peers_init(struct tls_server *srv)
{
    fz_have_tls = srv && fz_tls_init();
}

/* One struct for the whole process, its byte queues kept from input to
 * input: growing them anew each time (and ASan's quarantine) cost more
 * page faults than the rest of an input. Everything else starts afresh. */
struct fz *fz_new(struct conn_harness *h)
{
    static struct fz *f;
    if (!f && !(f = calloc(1, sizeof *f)))
        abort();
    for (unsigned i = 0; i < FZ_CLIENTS; i++) {
        struct fz_buf app = f->cl[i].app, wire = f->cl[i].wire;
        f->cl[i] = (struct fz_client){.app = app, .wire = wire};
    }
    for (unsigned i = 0; i < FZ_BACKS; i++) {
        struct fz_buf out = f->bk[i].out;
        f->bk[i] = (struct fz_back){.out = out};
    }
    f->h = h;
    conn_oracle_world_init(&f->world);
    f->n_conns = 0;
    f->bytes_read = 0;
    f->draining = false;
    return f;
}

/* ---- byte queues ------------------------------------------------------------------ */

void fz_buf_add(struct fz_buf *b, const void *data, size_t len, bool release)
{
    if (len == 0)
        return;
    if (b->len + len > FZ_BUF_MAX)
        len = FZ_BUF_MAX - b->len; /* a program that queues more only loses the excess */
    if (b->off == b->len) {
        b->off = b->len = b->release = 0;
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            abort();
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    if (release)
        b->release = b->len;
}

bool fz_tracing(void)
{
    static int on = -1;
    if (on < 0)
        on = getenv("FZ_TRACE") != NULL;
    return on;
}

/* FZ_TRACE=1 in the environment: what crosses each socket, on stderr. */
void fz_trace(const char *who, unsigned id, const char *dir, const char *data, size_t len)
{
    if (!fz_tracing() || len == 0)
        return;
    fprintf(stderr, "[%s %u %s %zu] ", who, id, dir, len);
    for (size_t i = 0; i < len && i < 600; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == '\n')
            fprintf(stderr, "\\n");
        else if (ch == '\r')
            fprintf(stderr, "\\r");
        else if (ch < 32 || ch > 126)
            fprintf(stderr, "\\x%02x", ch);
        else
            fputc(ch, stderr);
    }
    fprintf(stderr, len > 600 ? "...\n" : "\n");
}

static void fz_buf_release(struct fz_buf *b, size_t n)
{
    b->release = n > b->len - b->release ? b->len : b->release + n;
}

#define FZ_BUF_KEEP (1 << 18) /* a queue keeps its memory for the next user up to this size */

/* Empty again; the memory stays for the next user unless it grew big. */
static void fz_buf_reset(struct fz_buf *b)
{
    if (b->cap > FZ_BUF_KEEP) {
        free(b->data);
        *b = (struct fz_buf){0};
    }
    b->len = b->off = b->release = 0;
}

/* Writes what fd takes of [off, release): the bytes written (they are at
 * *at), -1 when the peer is gone. */
static ssize_t fz_buf_send(struct fz_buf *b, int fd, const char **at)
{
    if (b->off >= b->release)
        return 0;
    *at = b->data + b->off;
    ssize_t n = send(fd, b->data + b->off, b->release - b->off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
        b->off += (size_t)n;
        return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    b->off = b->release = b->len; /* gone: nothing of it will arrive */
    return -1;
}

/* Reads what is queued on fd, at most FZ_READ_MAX: bytes into *got
 * (caller frees), and whether the stream ended. */
static bool fz_read(int fd, char **got, size_t *n)
{
    static char buf[FZ_READ_MAX];
    *n = 0;
    *got = buf;
    while (*n < sizeof buf) {
        ssize_t r = recv(fd, buf + *n, sizeof buf - *n, MSG_DONTWAIT);
        if (r > 0) {
            *n += (size_t)r;
            continue;
        }
        return r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
    return false;
}

/* ---- clients ---------------------------------------------------------------------- */

static struct fz_client *fz_client_at(struct fz *f, uint8_t which)
{
    struct fz_client *c = &f->cl[which % FZ_CLIENTS];
    return c->used ? c : NULL;
}

void fz_client_open(struct fz *f, uint8_t how)
{
    static const unsigned frags[] = {0, 1, 2, 3, 4, 5, 64, 0};
    struct fz_client *c = NULL;
    for (unsigned i = 0; i < FZ_CLIENTS && !c; i++)
        if (!f->cl[i].used)
            c = &f->cl[i];
    if (!c || f->draining || f->n_conns >= CONN_ORACLE_CONNS)
        return;
    /* bits 0-2: plain but 5 (HTTP/2), 6 (TLS) and 7 (raw bytes on the
     * TLS port): a TLS handshake costs more than the rest of most
     * programs; 3-5: the ClientHello's records (HTTP/2: the preface,
     * conn_h2.c); 6: TLS 1.2 only; 7 (HTTP/2): no SETTINGS ACK */
    static const enum fz_kind kinds[] = {FZ_PLAIN, FZ_PLAIN, FZ_PLAIN, FZ_PLAIN,
                                         FZ_PLAIN, FZ_H2,    FZ_TLS,   FZ_TLS_RAW};
    enum fz_kind kind = kinds[how & 7];
    if (kind != FZ_PLAIN && !f->h->w.tls)
        kind = FZ_PLAIN;
    if ((kind == FZ_TLS || kind == FZ_H2) && !fz_have_tls)
        kind = FZ_TLS_RAW;
    int fd = conn_harness_connect(f->h, kind == FZ_PLAIN ? LISTENER_HTTP : LISTENER_HTTPS);
    if (fd < 0)
        return;
    *c = (struct fz_client){
        .used = true, .kind = kind, .fd = fd, .conn = ++f->n_conns, .app = c->app, .wire = c->wire};
    c->frag = kind == FZ_H2 ? 0 : frags[(how >> 3) & 7];
    conn_oracle_client_init(&c->oc, c->conn, &f->world);
    if (fz_is_tls(c) && !fz_tls_open(c, (how & 0x40) != 0))
        c->tls_dead = true;
    if (kind == FZ_H2 && !fz_h2_open(f, c, how))
        c->tls_dead = true;
}

static void fz_client_end(struct fz *f, struct fz_client *c)
{
    conn_harness_close(f->h, c->fd);
    fz_h2_close(c);
    fz_tls_free(c);
    fz_buf_reset(&c->app);
    fz_buf_reset(&c->wire);
    c->used = false;
}

void fz_client_close(struct fz *f, uint8_t which)
{
    struct fz_client *c = fz_client_at(f, which);
    if (c)
        fz_client_end(f, c);
}

void fz_client_shut(struct fz *f, uint8_t which)
{
    struct fz_client *c = fz_client_at(f, which);
    if (!c || c->shut_pending)
        return;
    c->shut_pending = true;
    if (fz_is_tls(c))
        fz_tls_shutdown(c);
}

void fz_client_stall(struct fz *f, uint8_t which)
{
    struct fz_client *c = fz_client_at(f, which);
    if (c)
        c->stalled = !c->stalled;
}

/* A client that may still send: open, not half-closed. */
static struct fz_client *fz_sender(struct fz *f, uint8_t which)
{
    struct fz_client *c = fz_client_at(f, which);
    return c && !c->shut_pending ? c : NULL;
}

void fz_client_request(struct fz *f, struct fz_in *in)
{
    struct fz_client *c = fz_sender(f, fz_u8(in));
    uint8_t a = fz_u8(in), b = fz_u8(in), v = fz_u8(in);
    if (c && c->kind == FZ_H2 && c->h2) {
        fz_h2_request(f, c, a, b, v);
        return;
    }
    if (!c || c->next_req + 1 >= CONN_ORACLE_REQS)
        return;
    unsigned req = ++c->next_req;
    struct fz_request r;
    fz_shape_request(&r, c->conn, req, a, b, v);
    fz_buf_add(&c->app, r.data, r.head_len + r.now, false);
    c->app.release = c->app.len;
    fz_buf_add(&c->app, r.data + r.head_len + r.now, r.len - r.head_len - r.now, false);
    if (c->kind == FZ_TLS_RAW)
        conn_oracle_client_sent_raw(&c->oc);
    else
        conn_oracle_client_sent(&c->oc, req, r.head);
}

void fz_client_release(struct fz *f, struct fz_in *in)
{
    static const size_t amounts[] = {1, 10, 100, 1000, 10000, 100000, FZ_BUF_MAX, FZ_BUF_MAX};
    struct fz_client *c = fz_client_at(f, fz_u8(in));
    uint8_t n = fz_u8(in);
    if (c && c->kind == FZ_H2 && c->h2)
        fz_h2_release(c, amounts[n % 8]);
    else if (c)
        fz_buf_release(&c->app, amounts[n % 8]);
}

void fz_client_raw(struct fz *f, struct fz_in *in)
{
    struct fz_client *c = fz_sender(f, fz_u8(in));
    char raw[256];
    size_t n = fz_u8(in);
    for (size_t i = 0; i < n; i++)
        raw[i] = (char)fz_u8(in);
    if (!c)
        return;
    conn_oracle_scrub(raw, n);
    fz_buf_add(&c->app, raw, n, true);
    conn_oracle_client_sent_raw(&c->oc);
    if (c->kind == FZ_H2 && c->h2)
        fz_h2_raw(c);
}

void fz_client_smuggle(struct fz *f, struct fz_in *in)
{
    struct fz_client *c = fz_sender(f, fz_u8(in));
    uint8_t which = fz_u8(in);
    if (c && c->kind == FZ_H2 && c->h2) {
        fz_h2_smuggle(f, c, which);
        return;
    }
    if (!c || c->next_req + 2 >= CONN_ORACLE_REQS)
        return;
    unsigned r1 = ++c->next_req, r2 = ++c->next_req;
    size_t len;
    bool refuse;
    char *text = fz_shape_smuggle(which, c->conn, r1, r2, &len, &refuse);
    fz_buf_add(&c->app, text, len, true);
    conn_oracle_client_sent_raw(&c->oc);
    if (refuse) {
        conn_oracle_world_refuse(&f->world, c->conn, r1);
        conn_oracle_world_refuse(&f->world, c->conn, r2);
    }
}

bool fz_client_feed(struct fz_client *c, const char *data, size_t len)
{
    if (c->kind == FZ_TLS_RAW || len == 0)
        return len > 0;
    fz_trace("client", c->conn, "got", data, len);
    if (c->kind == FZ_H2) {
        fz_h2_recv(c, data, len);
        return true;
    }
    if (!conn_oracle_client_recv(&c->oc, data, len))
        fz_die("client: %s", c->oc.why);
    return true;
}

/* One round of one client: what it may send, then what came (when its
 * socket had something: `readable`, from fz_peers_io's poll). */
static bool fz_client_io(struct fz *f, struct fz_client *c, bool readable)
{
    bool moved = c->kind == FZ_H2 && !c->tls_dead && !c->shut_pending && fz_h2_progress(c);
    moved |= fz_is_tls(c) && !c->tls_dead && fz_tls_progress(c);
    const char *at;
    struct fz_buf *out = fz_is_tls(c) ? &c->wire : &c->app;
    ssize_t sent = fz_buf_send(out, c->fd, &at);
    if (sent > 0)
        fz_trace("client", c->conn, fz_is_tls(c) ? "wrote records" : "sent", at, (size_t)sent);
    moved |= sent != 0;
    if (c->shut_pending && !c->shut && out->off == out->release) {
        shutdown(c->fd, SHUT_WR);
        c->shut = true;
        moved = true;
    }
    if (c->stalled || !readable)
        return moved;
    char *got;
    size_t n;
    bool ended = fz_read(c->fd, &got, &n);
    f->bytes_read += n;
    if (fz_is_tls(c))
        fz_trace("client", c->conn, "read records", got, n);
    if (fz_is_tls(c) && n > 0)
        moved |= fz_tls_input(c, got, n);
    else
        moved |= fz_client_feed(c, got, n);
    if (ended) {
        fz_client_end(f, c); /* the gateway closed it: the slot is free again */
        moved = true;
    }
    return moved;
}

void fz_peers_unstall(struct fz *f)
{
    for (unsigned i = 0; i < FZ_CLIENTS; i++)
        f->cl[i].stalled = false;
    for (unsigned i = 0; i < FZ_BACKS; i++)
        f->bk[i].stalled = false;
}

/* ---- the fake backend -------------------------------------------------------------------- */

static struct fz_back *fz_back_at(struct fz *f, uint8_t which)
{
    unsigned n = 0;
    for (unsigned i = 0; i < FZ_BACKS; i++)
        n += f->bk[i].used;
    if (n == 0)
        return NULL;
    unsigned k = which % n;
    for (unsigned i = 0; i < FZ_BACKS; i++)
        if (f->bk[i].used && k-- == 0)
            return &f->bk[i];
    return NULL;
}

static void fz_back_end(struct fz_back *k, bool reset)
{
    if (reset) {
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        setsockopt(k->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(k->fd);
    fz_buf_reset(&k->out);
    k->used = false;
}

/* What the gateway sent, into the oracle. false: the gateway closed it. */
static bool fz_back_drain(struct fz_back *k, bool *moved)
{
    char *got;
    size_t n;
    bool ended = fz_read(k->fd, &got, &n);
    if (n > 0) {
        fz_trace("backend", k->port, "got", got, n);
        if (!conn_oracle_backend_recv(&k->ob, got, n))
            fz_die("backend %u: %s", k->b, k->ob.why);
        *moved = true;
    }
    return !ended;
}

void fz_backend_respond(struct fz *f, struct fz_in *in)
{
    struct fz_back *k = fz_back_at(f, fz_u8(in));
    uint8_t a = fz_u8(in), b = fz_u8(in), v = fz_u8(in);
    if (!k)
        return;
    bool moved;
    if (!fz_back_drain(k, &moved)) /* the answer follows what came (conn_oracle.h: early) */
        return;
    long tc = -1, tr = -1;
    bool head = false;
    conn_oracle_backend_next(&k->ob, &tc, &tr, &head);
    struct fz_request r;
    fz_shape_response(&r, tc, tr, head, a, b, v);
    if (a & 0x80) /* an extra answer behind it: the next request on the socket may read it as its own */
        conn_oracle_backend_sent_raw(&k->ob);
    fz_buf_add(&k->out, r.data, r.head_len + r.now, false);
    k->out.release = k->out.len;
    fz_buf_add(&k->out, r.data + r.head_len + r.now, r.len - r.head_len - r.now, false);
}

void fz_backend_raw(struct fz *f, struct fz_in *in)
{
    struct fz_back *k = fz_back_at(f, fz_u8(in));
    char raw[256];
    size_t n = fz_u8(in);
    for (size_t i = 0; i < n; i++)
        raw[i] = (char)fz_u8(in);
    if (!k)
        return;
    conn_oracle_scrub(raw, n);
    fz_buf_add(&k->out, raw, n, true);
    conn_oracle_backend_sent_raw(&k->ob);
}

void fz_backend_release(struct fz *f, struct fz_in *in)
{
    static const size_t amounts[] = {1, 10, 100, 1000, 10000, 100000, FZ_BUF_MAX, FZ_BUF_MAX};
    struct fz_back *k = fz_back_at(f, fz_u8(in));
    uint8_t n = fz_u8(in);
    if (k)
        fz_buf_release(&k->out, amounts[n % 8]);
}

void fz_backend_stall(struct fz *f, uint8_t which)
{
    struct fz_back *k = fz_back_at(f, which);
    if (k)
        k->stalled = !k->stalled;
}

void fz_backend_shut(struct fz *f, uint8_t which)
{
    struct fz_back *k = fz_back_at(f, which);
    if (k)
        k->shut_pending = true;
}

void fz_backend_close(struct fz *f, uint8_t which)
{
    struct fz_back *k = fz_back_at(f, which);
    if (k)
        fz_back_end(k, (which & 0x80) != 0);
}

static struct exchange *fz_holder(struct fz *f, const struct fz_back *k);
static int fz_in_flight(int gateway_fd);

/* Whether an answer k sends now, with no request of its own open, finds
 * the gateway's next request on its way (conn_oracle.h): written by the
 * exchange that holds the socket, not read by k yet. */
static bool fz_request_on_its_way(struct fz *f, const struct fz_back *k)
{
    if (!conn_oracle_backend_between_requests(&k->ob))
        return false; /* the oracle would not ask: spare the search */
    struct exchange *x = fz_holder(f, k);
    return x && x->bio && fz_in_flight(x->bio->fd) > 0;
}

/* One round of one backend socket: its answer (after reading what came
 * before it), then what came (when poll said its socket had some). */
static bool fz_back_io(struct fz *f, struct fz_back *k, bool readable)
{
    bool moved = false;
    if (readable && k->out.off < k->out.release && !fz_back_drain(k, &moved)) {
        fz_back_end(k, false);
        return true;
    }
    const char *at;
    ssize_t n = fz_buf_send(&k->out, k->fd, &at);
    if (n > 0) {
        fz_trace("backend", k->port, "sent", at, (size_t)n);
        if (k->ob.tunnel)
            conn_oracle_backend_sent_raw(&k->ob); /* whatever goes into a tunnel */
        conn_oracle_backend_in_flight(&k->ob, fz_request_on_its_way(f, k));
        conn_oracle_backend_sent(&k->ob, at, (size_t)n);
        if (k->ob.resp_open && k->ob.resp_final_head && llhttp_message_needs_eof(&k->ob.rs))
            conn_oracle_backend_sent_raw(&k->ob); /* a body to the end: what follows it is body too */
    }
    moved |= n != 0;
    if (k->shut_pending && k->out.off == k->out.release) {
        shutdown(k->fd, SHUT_WR);
        k->shut_pending = false;
        moved = true;
    }
    if (readable && !k->stalled && !fz_back_drain(k, &moved)) {
        fz_back_end(k, false);
        return true;
    }
    return moved;
}

static void fz_back_accept(struct fz *f, unsigned b)
{
    for (;;) {
        int fd = accept4(f->h->backend_listen[b], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct fz_back *k = NULL;
        for (unsigned i = 0; i < FZ_BACKS && !k; i++)
            if (!f->bk[i].used)
                k = &f->bk[i];
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        if (!k || getpeername(fd, (struct sockaddr *)&peer, &len) < 0) {
            struct linger l = {.l_onoff = 1, .l_linger = 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            close(fd); /* more than the fake backend keeps: the gateway sees a reset */
            continue;
        }
        *k = (struct fz_back){.used = true, .fd = fd, .b = b, .port = ntohs(peer.sin_port), .out = k->out};
        /* Nagle would hold a small write back while an earlier one waits
         * for a (delayed) ACK: on a virtual clock it would never go. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_oracle_backend_init(&k->ob, &f->world);
        if (f->h->sockbuf > 0) { /* small windows towards the backend too */
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &f->h->sockbuf, sizeof f->h->sockbuf);
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &f->h->sockbuf, sizeof f->h->sockbuf);
        }
    }
}

/* ---- what the gateway holds --------------------------------------------------------------- */

static uint16_t fz_local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sin_family != AF_INET)
        return 0;
    return ntohs(sa.sin_port);
}

unsigned fz_exchanges(const struct conn *c, struct exchange **out, unsigned cap)
{
    if (!c->h2) {
        if (c->x && cap > 0)
            out[0] = c->x;
        return c->x && cap > 0;
    }
    unsigned n = 0;
    for (struct h2_stream *st = h2_session_streams(c->h2->s); st && n < cap; st = st->next) {
        struct h2_xstream *xs = (struct h2_xstream *)((char *)st - offsetof(struct h2_xstream, st));
        out[n++] = xs->x;
    }
    return n;
}

/* The exchange whose backend socket is k's other end, or NULL. */
static struct exchange *fz_holder(struct fz *f, const struct fz_back *k)
{
    struct conn_worker *cw = f->h->w.conns;
    for (struct conn *c = cw ? cw->head : NULL; c; c = c->next) {
        struct exchange *xs[FZ_EXCHANGES];
        unsigned n = fz_exchanges(c, xs, FZ_EXCHANGES);
        for (unsigned i = 0; i < n; i++)
            if (xs[i]->bio && fz_local_port(xs[i]->bio->fd) == k->port)
                return xs[i];
    }
    return NULL;
}

/* What the last settle left for the peers: the backend connections the
 * gateway made (accepted where poll saw one waiting: an accept that finds
 * none still makes and frees a socket in the kernel), and early answers
 * the gateway has read: what it sent before it knew is read now (or is
 * still in its socket's send queue: that much may still come), and from
 * here on it must send nothing. */
static void fz_peers_arrivals(struct fz *f, const struct pollfd *listeners, bool polled)
{
    for (unsigned b = 0; b < f->h->cfg.n_backends; b++)
        if (!polled || listeners[b].revents)
            fz_back_accept(f, b);
    for (unsigned i = 0; i < FZ_BACKS; i++) {
        struct fz_back *k = &f->bk[i];
        if (!k->used || !k->ob.early || k->ob.sealed)
            continue;
        struct exchange *x = fz_holder(f, k);
        bool moved;
        if (x && x->early && fz_back_drain(k, &moved))
            conn_oracle_backend_seal(&k->ob, (size_t)fz_in_flight(x->bio->fd));
    }
}

/* One round: what the last settle left (fz_peers_arrivals), then each
 * peer sends what it may and reads what came. One poll over every peer
 * socket and the backends' listeners says where something came: a read
 * that finds nothing is a system call (and ASan's interceptor) each, and
 * most sockets have nothing most rounds. Only the gateway writes to them,
 * and it does not run during a round, so what poll saw is what a read
 * would find; a backend socket accepted in this round was not polled and
 * is read. */
bool fz_peers_io(struct fz *f)
{
    enum { NC = FZ_CLIENTS, NP = FZ_CLIENTS + FZ_BACKS, NL = CONN_HARNESS_MAX_BACKENDS };
    struct pollfd p[NP + NL];
    for (unsigned i = 0; i < NC; i++)
        p[i] = (struct pollfd){.fd = f->cl[i].used ? f->cl[i].fd : -1, .events = POLLIN};
    for (unsigned i = 0; i < FZ_BACKS; i++)
        p[NC + i] = (struct pollfd){.fd = f->bk[i].used ? f->bk[i].fd : -1, .events = POLLIN};
    for (unsigned b = 0; b < NL; b++)
        p[NP + b] =
            (struct pollfd){.fd = b < f->h->cfg.n_backends ? f->h->backend_listen[b] : -1, .events = POLLIN};
    bool polled = poll(p, NP + NL, 0) >= 0;
    fz_peers_arrivals(f, p + NP, polled);
    bool moved = false;
    for (unsigned i = 0; i < NC; i++)
        if (f->cl[i].used)
            moved |= fz_client_io(f, &f->cl[i], !polled || p[i].revents != 0);
    for (unsigned i = 0; i < FZ_BACKS; i++) {
        struct fz_back *k = &f->bk[i];
        if (k->used)
            moved |= fz_back_io(f, k, !polled || p[NC + i].fd != k->fd || p[NC + i].revents != 0);
    }
    return moved;
}

/* The fd of k's other end when the pool keeps it, else -1. */
static int fz_pooled(struct fz *f, const struct fz_back *k)
{
    struct conn_worker *cw = f->h->w.conns;
    int fds[FZ_BACKS];
    unsigned n = cw ? backend_pool_idle_fds(cw->pool, k->b, fds, FZ_BACKS) : 0;
    for (unsigned i = 0; i < n; i++)
        if (fz_local_port(fds[i]) == k->port)
            return fds[i];
    return -1;
}

/* Request bytes the gateway wrote that the backend's kernel has not
 * acknowledged yet (they are on their way: the backend will have them). */
static int fz_in_flight(int gateway_fd)
{
    int queued = 0;
    return ioctl(gateway_fd, SIOCOUTQ, &queued) == 0 ? queued : 0;
}

/* The pool keeps k's other end: it must sit between two exchanges, once
 * what the gateway wrote has arrived (it wrote the whole request before it
 * read the answer, so the gateway is right to keep it, nginx's rule too). */
static void fz_check_pooled(struct fz_back *k, int gateway_fd, unsigned *pooled)
{
    bool moved;
    if (!fz_back_drain(k, &moved))
        fz_die("the pool keeps a socket to backend %u (port %u) the gateway closed", k->b, k->port);
    pooled[k->b]++;
    char why[160];
    if (conn_oracle_backend_poolable(&k->ob, why, sizeof why))
        return;
    bool request_open = k->ob.req_open || k->ob.q_len > 0 || k->ob.ahead > 0;
    if (request_open && fz_in_flight(gateway_fd) > 0)
        return; /* judged when the rest has come */
    /* The same the other way: what the fake backend sent (an answer nobody
     * asked for, the rest of one) has not all reached the gateway's socket
     * yet (a small window holds it until a retransmission, in real time):
     * the gateway cannot have seen it; its pool closes the socket when it
     * comes, and the next check judges. */
    int unread = 0;
    if (ioctl(gateway_fd, FIONREAD, &unread) < 0)
        unread = 0;
    if (fz_in_flight(k->fd) > unread)
        return;
    fz_die(
        "the pool keeps a socket to backend %u (port %u, %llu bytes in, %llu out) that is mid-exchange: %s",
        k->b, k->port, (unsigned long long)k->ob.got, (unsigned long long)k->ob.sent, why);
}

void fz_peers_check(struct fz *f)
{
    for (unsigned i = 0; i < FZ_CLIENTS; i++)
        if (f->cl[i].used && f->cl[i].oc.failed)
            fz_die("client: %s", f->cl[i].oc.why);
    unsigned pooled[CONN_HARNESS_MAX_BACKENDS] = {0};
    for (unsigned i = 0; i < FZ_BACKS; i++) {
        struct fz_back *k = &f->bk[i];
        if (k->used && k->ob.failed)
            fz_die("backend %u: %s", k->b, k->ob.why);
        int gateway_fd = k->used ? fz_pooled(f, k) : -1;
        if (gateway_fd >= 0)
            fz_check_pooled(k, gateway_fd, pooled);
    }
    struct conn_worker *cw = f->h->w.conns;
    for (unsigned b = 0; b < f->h->cfg.n_backends; b++) {
        unsigned idle = cw ? backend_pool_idle_count(cw->pool, b) : 0;
        if (idle != pooled[b])
            fz_die("the pool counts %u idle sockets to backend %u, %u of them the fake backend's", idle, b,
                   pooled[b]);
    }
}

void fz_free(struct fz *f)
{
    for (unsigned i = 0; i < FZ_CLIENTS; i++)
        if (f->cl[i].used)
            fz_client_end(f, &f->cl[i]);
    for (unsigned i = 0; i < FZ_BACKS; i++)
        if (f->bk[i].used)
            fz_back_end(&f->bk[i], true); /* a reset: no TIME_WAIT left behind */
    /* the struct and its queues' memory stay for the next input (fz_new) */
}
