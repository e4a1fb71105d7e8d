/*
 * libFuzzer target: the whole request path of one worker, stateful. The
 * input is a program (the first byte a configuration, then operations,
 * tests/fuzz/README.md lists them) that a few clients and a fake backend
 * play against a real worker through tests/unit/helpers/conn_harness.h,
 * on its virtual clock: client bytes (tagged requests, raw bytes,
 * smuggling shapes), backend answers (tagged, raw, early, partial, with
 * 1xx, extra ones), half-closes and closes on both sides, stalls (a side
 * that does not read, small send buffers), clock steps, new connections
 * on the plain listener and on the HTTPS one (with a real TLS client,
 * OpenSSL over memory BIOs, its ClientHello split into small records; or
 * raw bytes).
 *
 * After every operation the peers and the loop run until nothing moves
 * (fz_sync); then the invariants hold or the process aborts with the
 * reason (libFuzzer keeps the input):
 *  - every loop iteration returns to epoll (the harness's CPU watchdog)
 *    and the loop settles within FZ_SETTLE_STEPS iterations (no livelock);
 *  - every connection has a deadline armed (its phase timer or its send
 *    timer), the admission count equals the open connections, every
 *    backend's in-flight count equals the connections holding one of its
 *    slots;
 *  - tests/unit/helpers/conn_oracle.h: no answer crosses to another
 *    exchange, the gateway never pipelines to a backend, sends nothing
 *    after an early answer it saw, forwards nothing llhttp cannot parse,
 *    replays no non-idempotent request, forwards no refused shape;
 *  - a backend socket the gateway keeps idle (pooled) is between
 *    exchanges, and the pool counts what the fake backend sees pooled.
 * At the end every side stops sending and the clock jumps past every
 * deadline until no connection is left; FZ_END_JUMPS jumps in a row that
 * move nothing with one still there is a connection past its deadline.
 */
#include "gateway/proxy/h2_internal.h"
#include "gateway/upstream/backend_pool.h"
#include "common/log.h"
#include "tests/unit/helpers/conn_harness.h"
#include "tests/unit/helpers/conn_oracle.h"
#include "tests/fuzz/conn_h2.h"
#include "tests/fuzz/conn_peers.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_OPS           200 /* operations per input */
#define FZ_SETTLE_STEPS  2000
#define FZ_SYNC_ROUNDS   64
#define FZ_END_JUMPS     8     /* jumps past every deadline that move nothing: a connection past its own */
#define FZ_END_JUMPS_MAX 2000  /* bound on the end (each pipelined request may take one jump) */
#define FZ_JUMP_MS       20000 /* past every deadline of fz_config and their slack */

/* Deadlines short enough for a program of a few clock steps to reach. */
#define FZ_HEADER_MS   1000
#define FZ_IDLE_MS     2000
#define FZ_CONNECT_MS  500
#define FZ_RESPONSE_MS 3000
#define FZ_SEND_MS     2000
#define FZ_BODY_MS     1000
#define FZ_QUEUE_MS    500

/* [http2] limits, low enough for a program to reach them */
#define FZ_H2_MAX_STREAMS 8
#define FZ_H2_IDLE_FRAMES 32
#define FZ_H2_RESETS      16

enum fz_op {
    OP_OPEN,
    OP_REQ,
    OP_BODY,
    OP_RAW,
    OP_SMUGGLE,
    OP_STALL,
    OP_SHUT,
    OP_CLOSE,
    OP_BRESP,
    OP_BRAW,
    OP_BREL,
    OP_BSTALL,
    OP_BSHUT,
    OP_BCLOSE,
    OP_TICK,
    OP_SOCKBUF,
    OP_DRAIN,
    OP_H2,
    OP_COUNT
};

static const uint64_t fz_ticks[] = {1,
                                    10,
                                    100,
                                    199,
                                    200,
                                    201,
                                    FZ_QUEUE_MS,
                                    FZ_CONNECT_MS,
                                    FZ_HEADER_MS - 1,
                                    FZ_HEADER_MS,
                                    FZ_BODY_MS + 1,
                                    FZ_IDLE_MS,
                                    FZ_SEND_MS + 1,
                                    FZ_RESPONSE_MS,
                                    FZ_RESPONSE_MS + 1,
                                    5000};

static struct tls_server *fz_tls;

/* ---- failing -------------------------------------------------------------------- */

static struct fz *fz_current; /* for fz_die's report */
static void fz_dump_conns(struct fz *f);

void fz_die(const char *fmt, ...)
{
    if (fz_current)
        fz_dump_conns(fz_current);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_conn: invariant broken: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* ---- set-up ------------------------------------------------------------------------ */

/* A P-256 certificate made once per process with the openssl command, as
 * test_conn.c does; the TLS server parses it once and every input shares it. */
static struct tls_server *fz_tls_server(void)
{
    char dir[] = "/tmp/rampart-fuzz-conn-XXXXXX";
    if (!mkdtemp(dir))
        return NULL;
    static struct config cfg;
    config_defaults(&cfg);
    struct tls_cert_config *c = &cfg.tls.server.certs[0];
    snprintf(c->server_name, sizeof c->server_name, "%s", CONN_HARNESS_TLS_NAME);
    snprintf(c->cert_file, sizeof c->cert_file, "%s/cert.pem", dir);
    snprintf(c->key_file, sizeof c->key_file, "%s/key.pem", dir);
    cfg.tls.server.n_certs = 1;
    char cmd[768];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=%s' "
             "-keyout %s -out %s 2>/dev/null",
             CONN_HARNESS_TLS_NAME, c->key_file, c->cert_file);
    char err[256] = "";
    struct tls_server *srv = system(cmd) == 0 ? tls_server_new_local(&cfg.tls.server, err, sizeof err) : NULL;
    if (!srv)
        fprintf(stderr, "fuzz_conn: no TLS server (%s): HTTPS connections get raw bytes only\n", err);
    unlink(c->cert_file);
    unlink(c->key_file);
    rmdir(dir);
    return srv;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    log_setup(LOG_FORMAT_PLAIN, 2, LOG_LEVEL_ERROR, NULL); /* handshake failures are expected */
    fz_tls = fz_tls_server();
    fz_peers_init(fz_tls);
    return 0;
}

/* The first byte: which limits this program runs with. */
static void fz_config(struct conn_harness *h, uint8_t k)
{
    struct config_limits *l = &h->cfg.limits;
    l->header_timeout_ms = FZ_HEADER_MS;
    l->idle_timeout_ms = FZ_IDLE_MS;
    l->connect_timeout_ms = FZ_CONNECT_MS;
    l->response_timeout_ms = FZ_RESPONSE_MS;
    l->send_timeout_ms = FZ_SEND_MS;
    l->body_timeout_ms = FZ_BODY_MS;
    l->queue_timeout_ms = (k & 0x01) ? 0 : FZ_QUEUE_MS;
    l->body_min_rate = (k & 0x02) ? 0 : 1024;
    l->max_body_size = (k & 0x04) ? 4096 : 1 << 20;
    for (unsigned i = 0; i < h->cfg.n_backends; i++) {
        h->cfg.backends[i].max_connections = (k & 0x08) ? 1 : 0;
        h->cfg.backends[i].max_idle = (k & 0x10) ? 0 : 32;
    }
    if (k & 0x20)
        h->backends.fall = 1000; /* hostile answers never mark a backend down */
    h->sockbuf = (k & 0x40) ? 4096 : 0;
    struct config_http2 *h2 = &h->cfg.http2; /* limits a program of a few ops can reach */
    h2->max_concurrent_streams = FZ_H2_MAX_STREAMS;
    h2->max_frames_without_progress = FZ_H2_IDLE_FRAMES;
    h2->max_resets_per_second = FZ_H2_RESETS;
    h2->first_stream_timeout_ms = FZ_HEADER_MS;
    h2->idle_timeout_ms = FZ_IDLE_MS;
}

/* ---- invariants ---------------------------------------------------------------------- */

/* An HTTP/2 connection with streams open has no deadline of its own
 * (h2_conn.c: first stream and idle run only while none is): each
 * stream's exchange has one, unless the send timer covers them all. */
static bool fz_h2_armed(const struct conn *c, struct exchange **xs, unsigned n)
{
    if (!c->h2 || c->h2->n_streams == 0 || c->h2->lingering || loop_timer_pending(&c->send_timer))
        return false;
    for (unsigned i = 0; i < n; i++)
        if (!loop_timer_pending(&xs[i]->xs->timer))
            fz_die("an HTTP/2 stream has no deadline armed: stream %d, request %d, response %d, started %d, "
                   "deferred %d, local %d, bin %u/%u/%u, cin %u/%u/%u, backend %s",
                   (int)xs[i]->xs->st.id, (int)xs[i]->rq, (int)xs[i]->rs, xs[i]->xs->started,
                   xs[i]->xs->deferred, xs[i]->local, xs[i]->bin.start, xs[i]->bin.mid, xs[i]->bin.end,
                   xs[i]->cin.start, xs[i]->cin.mid, xs[i]->cin.end, xs[i]->bio ? "held" : "none");
    return true;
}

static void fz_check_conn(struct conn *c, unsigned *active)
{
    struct exchange *xs[FZ_EXCHANGES];
    unsigned n = fz_exchanges(c, xs, FZ_EXCHANGES);
    for (unsigned i = 0; i < n; i++)
        if (xs[i]->backend)
            active[xs[i]->backend->index]++;
    if (fz_h2_armed(c, xs, n))
        return;
    struct exchange *x = c->x;
    if (!loop_timer_pending(&c->timer) && !loop_timer_pending(&c->send_timer))
        fz_die("a connection has no deadline armed: state %d, request %d, response %d, cout %u/%u, "
               "bin %u/%u/%u",
               c->state, x ? (int)x->rq : -1, x ? (int)x->rs : -1, x ? x->cout.start : 0, x ? x->cout.end : 0,
               x ? x->bin.start : 0, x ? x->bin.mid : 0, x ? x->bin.end : 0);
}

static void fz_check_conns(struct fz *f)
{
    struct conn_worker *cw = f->h->w.conns;
    unsigned n = 0, active[CONN_HARNESS_MAX_BACKENDS] = {0};
    for (struct conn *c = cw ? cw->head : NULL; c; c = c->next, n++)
        fz_check_conn(c, active);
    if (n != f->h->w.n_conns || n != conn_harness_counted(f->h))
        fz_die("%u connections live, the worker counts %u, the limits %u", n, f->h->w.n_conns,
               conn_harness_counted(f->h));
    for (unsigned b = 0; b < f->h->backends.count; b++)
        if (atomic_load(&f->h->backends.items[b].active) != active[b])
            fz_die("backend %u counts %u requests in flight, %u exchanges hold one of its slots", b,
                   atomic_load(&f->h->backends.items[b].active), active[b]);
}

static void fz_dump_exchange(const struct exchange *x)
{
    fprintf(stderr, "    exchange%s%d: rq %d rs %d early %d local %d eof %d blk b%u/%u timer %d",
            x->xs ? " of stream " : "", x->xs ? (int)x->xs->st.id : 0, x->rq, x->rs, x->early, x->local,
            x->backend_eof, x->b_rblk, x->b_wblk, x->xs ? loop_timer_pending(&x->xs->timer) : -1);
    if (x->bio) {
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        if (getsockname(x->bio->fd, (struct sockaddr *)&sa, &len) == 0)
            fprintf(stderr, " backend port %u", ntohs(sa.sin_port));
    }
    fprintf(stderr, " cin %u/%u/%u bin %u/%u/%u bout %u/%u cout %u/%u\n", x->cin.start, x->cin.mid,
            x->cin.end, x->bin.start, x->bin.mid, x->bin.end, x->bout.start, x->bout.end, x->cout.start,
            x->cout.end);
}

/* What each connection is doing, for a finding's message. */
static void fz_dump_conns(struct fz *f)
{
    struct conn_worker *cw = f->h->w.conns;
    for (struct conn *c = cw ? cw->head : NULL; c; c = c->next) {
        fprintf(
            stderr, "  conn %p: state %d kind %d eof %d close_after %d blk c%u/%u timer %d send %d kick %d",
            (void *)c, c->state, c->kind, c->client_eof, c->close_after, c->c_rblk, c->c_wblk,
            loop_timer_pending(&c->timer), loop_timer_pending(&c->send_timer), loop_timer_pending(&c->kick));
        if (c->h2)
            fprintf(stderr, " h2: streams %u deadline %d closing %d lingering %d out %u/%u hold %u/%u",
                    c->h2->n_streams, c->h2->deadline, c->h2->closing, c->h2->lingering, c->h2->out_start,
                    c->h2->out_end, c->h2->hold_start, c->h2->hold_end);
        fprintf(stderr, "\n");
        struct exchange *xs[FZ_EXCHANGES];
        unsigned n = fz_exchanges(c, xs, FZ_EXCHANGES);
        for (unsigned i = 0; i < n; i++)
            fz_dump_exchange(xs[i]);
    }
}

/* Runs the peers and the loop until nothing moves, then checks. */
static void fz_sync(struct fz *f)
{
    for (unsigned round = 0; round < FZ_SYNC_ROUNDS; round++) {
        bool moved = fz_peers_io(f);
        unsigned steps = 0;
        if (!conn_harness_settle(f->h, FZ_SETTLE_STEPS, &steps)) {
            fz_die("livelock: the loop did not settle in %u iterations with nothing outside moving",
                   FZ_SETTLE_STEPS);
        }
        if (!moved && steps <= 1)
            break;
    }
    fz_check_conns(f);
    fz_peers_check(f);
}

/* ---- the program ---------------------------------------------------------------------- */

static void fz_drain(struct fz *f)
{
    f->h->w.draining = true;
    f->draining = true;
    conn_drain(&f->h->w);
}

static void fz_op(struct fz *f, struct fz_in *in)
{
    uint8_t op = fz_u8(in) % OP_COUNT;
    if (fz_tracing()) {
        char name[16];
        snprintf(name, sizeof name, "op %u", op);
        fz_trace(name, (unsigned)in->n, "at", "", 1);
    }
    switch (op) {
    case OP_OPEN: fz_client_open(f, fz_u8(in)); break;
    case OP_REQ: fz_client_request(f, in); break;
    case OP_BODY: fz_client_release(f, in); break;
    case OP_RAW: fz_client_raw(f, in); break;
    case OP_SMUGGLE: fz_client_smuggle(f, in); break;
    case OP_STALL: fz_client_stall(f, fz_u8(in)); break;
    case OP_SHUT: fz_client_shut(f, fz_u8(in)); break;
    case OP_CLOSE: fz_client_close(f, fz_u8(in)); break;
    case OP_BRESP: fz_backend_respond(f, in); break;
    case OP_BRAW: fz_backend_raw(f, in); break;
    case OP_BREL: fz_backend_release(f, in); break;
    case OP_BSTALL: fz_backend_stall(f, fz_u8(in)); break;
    case OP_BSHUT: fz_backend_shut(f, fz_u8(in)); break;
    case OP_BCLOSE: fz_backend_close(f, fz_u8(in)); break;
    case OP_TICK:
        conn_harness_advance(f->h, fz_ticks[fz_u8(in) % (sizeof fz_ticks / sizeof fz_ticks[0])]);
        break;
    case OP_SOCKBUF: f->h->sockbuf = (int[]){0, 1024, 4096, 16384}[fz_u8(in) % 4]; break;
    case OP_DRAIN: fz_drain(f); break;
    case OP_H2: fz_h2_frame(f, in); break;
    default: break;
    }
}

/* What moved: bytes the peers read, connections that ended. */
static uint64_t fz_progress(const struct fz *f)
{
    return f->bytes_read + 1000000ull * (uint64_t)(1000 - f->h->w.n_conns);
}

/* Nobody sends anything more and everyone reads: the clock jumps past
 * every deadline until no connection is left. Each jump must move
 * something (an answer to a request already sent, a connection ending):
 * FZ_END_JUMPS jumps in a row that move nothing with a connection still
 * there is a connection past its deadline. */
static void fz_end(struct fz *f)
{
    fz_peers_unstall(f);
    fz_sync(f);
    for (unsigned idle = 0, i = 0; idle < FZ_END_JUMPS && f->h->w.n_conns > 0 && i < FZ_END_JUMPS_MAX; i++) {
        uint64_t before = fz_progress(f);
        conn_harness_advance(f->h, FZ_JUMP_MS);
        fz_sync(f);
        idle = fz_progress(f) == before ? idle + 1 : 0;
    }
    struct conn_worker *cw = f->h->w.conns;
    struct conn *c = cw ? cw->head : NULL;
    if (f->h->w.n_conns || conn_harness_counted(f->h) || c)
        fz_die("%u connections outlived every deadline (%u counted); the first: state %d, request %d, "
               "response %d",
               f->h->w.n_conns, conn_harness_counted(f->h), c ? c->state : -1, c && c->x ? (int)c->x->rq : -1,
               c && c->x ? (int)c->x->rs : -1);
    for (unsigned b = 0; b < f->h->backends.count; b++)
        if (atomic_load(&f->h->backends.items[b].active))
            fz_die("backend %u still counts requests in flight with no connection left", b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fz_in in = {data, size};
    uint8_t k = fz_u8(&in);
    /* One harness for the process, started afresh for every input
     * (conn_harness_new_run): making one costs more than a short input. */
    static struct conn_harness *h;
    unsigned n_backends = (k & 0x80) ? 2 : 1;
    if (!h) {
        if (!(h = conn_harness_new(n_backends)))
            return 0; /* out of sockets: not the gateway's fault */
    } else if (!conn_harness_new_run(h, n_backends)) {
        abort(); /* out of sockets for a second backend, or out of memory */
    }
    fz_config(h, k);
    if (fz_tls) {
        tls_server_ref(fz_tls);
        h->w.tls = fz_tls;
    }
    struct fz *f = fz_new(h);
    fz_current = f;
    /* One watchdog span for the whole input (conn_harness_watch): a loop
     * iteration that never returns to epoll still uses it up and aborts,
     * for one system call per input instead of one per iteration. An
     * input takes milliseconds; CONN_HARNESS_HANG_MS of CPU is a hang. */
    conn_harness_watch(h);
    for (unsigned i = 0; i < FZ_OPS && in.n > 0; i++) {
        fz_op(f, &in);
        fz_sync(f);
    }
    fz_end(f);
    conn_harness_watch_end(h);
    fz_current = NULL;
    fz_free(f); /* the peers' sockets: backends reset, clients closed */
    if (!conn_harness_end_run(h))
        fz_die("a connection, a timer or a deferred call was left after the harness closed every socket");
    return 0;
}
