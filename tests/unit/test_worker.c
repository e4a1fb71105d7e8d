/*
 * Unit tests for gateway/proxy/worker.c: the worker pool, on real threads
 * and real time, accepting on listening sockets of 127.0.0.1 the test
 * opens (as the parent would pass them down). The configuration and the
 * backend come from tests/unit/helpers/conn_harness.h (its own worker
 * stays idle); clients are plain TCP sockets of the test. No root, no
 * namespace. Every wait is "eventually, within T_WAIT_LONG_MS"
 * (t_wait.h); nothing asserts how long it took.
 *
 * The plain listener proxies only ACME challenges and redirects the rest
 * to HTTPS, so the exchanges here are one of each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy/worker.h"
#include "tests/unit/helpers/conn_harness.h"
#include "tests/unit/helpers/t_log.h"
#include "tests/unit/helpers/t_wait.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_WORKERS 2
#define BUF         8192
#define HOST        CONN_HARNESS_TLS_NAME
#define ACME        "/.well-known/acme-challenge/"
#define REDIRECT                                                                                             \
    "HTTP/1.1 301 Moved Permanently\r\nLocation: https://" HOST "/shop\r\nContent-Length: 0\r\n\r\n"
#define RESP_200 "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
#define FILL_MAX 4096 /* fds the EMFILE test may take to fill holes below the limit */

struct fixture {
    unsigned fds_before; /* open fds before anything of the test */
    struct conn_harness *h;
    int listen_fds[MAX_WORKERS];
    uint16_t port;
    struct worker_pool *pool;
};

static struct fixture fx;

/* ---- fds ----------------------------------------------------------------------------- */

static unsigned count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* ---- set-up -------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* as the relay: a client gone is an EPIPE, not a signal */
    return t_log_capture();
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    fx.fds_before = count_fds();
    fx.h = conn_harness_new(1);
    assert_non_null(fx.h);
    fx.h->cfg.gateway.drain_timeout_ms = 600000; /* never, within a test */
    t_log_clear();
    return 0;
}

/* One SO_REUSEPORT socket per worker on 127.0.0.1, the first choosing the port. */
static void listen_sockets(unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        int on = 1;
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on), 0);
        struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(fx.port)};
        socklen_t len = sizeof sa;
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        assert_int_equal(listen(fd, 64), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        fx.port = ntohs(sa.sin_port);
        fx.listen_fds[i] = fd;
    }
}

static void start(unsigned workers)
{
    fx.h->cfg.gateway.workers = workers;
    listen_sockets(workers);
    struct worker_listen_slot slot = {.kind = LISTENER_HTTP, .fds = fx.listen_fds};
    fx.pool = worker_pool_start(&fx.h->cfg, NULL, &fx.h->backends, NULL, &slot, 1);
    assert_non_null(fx.pool);
    assert_int_equal(worker_pool_running(fx.pool), workers);
}

static bool pool_stopped(void *arg)
{
    (void)arg;
    return worker_pool_running(fx.pool) == 0;
}

/* Drain, every worker ends, the pool freed, the harness freed: not one fd
 * more than before the test. */
static void stop_and_count(void)
{
    worker_pool_drain(fx.pool);
    assert_true(t_wait_sleep(pool_stopped, NULL, T_WAIT_LONG_MS));
    worker_pool_free(fx.pool);
    fx.pool = NULL;
    assert_true(conn_harness_free(fx.h));
    fx.h = NULL;
    assert_int_equal(count_fds(), fx.fds_before);
}

static int teardown(void **state)
{
    (void)state;
    if (fx.pool) { /* a test failed half-way: stop without counting */
        worker_pool_drain(fx.pool);
        t_wait_sleep(pool_stopped, NULL, T_WAIT_LONG_MS);
        worker_pool_free(fx.pool);
    }
    if (fx.h)
        conn_harness_free(fx.h);
    return 0;
}

/* ---- the test's clients and backend ------------------------------------------------ */

/* A blocking client connected to the listeners, reads bounded by the deadline. */
static int client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = T_WAIT_LONG_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(fx.port)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_str(int fd, const char *s)
{
    assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Reads until `want` bytes came or the stream ended: how many came. */
static size_t recv_bytes(int fd, char *buf, size_t cap, size_t want, bool *eof)
{
    size_t n = 0;
    *eof = false;
    while (n < want && n + 1 < cap) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0) {
            *eof = r == 0;
            break;
        }
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

/* Exactly `want` arrives, then (when `then_eof`) the end of the stream. */
static void expect_bytes(int fd, const char *want, bool then_eof)
{
    char buf[BUF];
    bool eof;
    size_t n = recv_bytes(fd, buf, sizeof buf, strlen(want), &eof);
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
    if (then_eof) {
        assert_int_equal(recv_bytes(fd, buf, sizeof buf, 1, &eof), 0);
        assert_true(eof);
    }
}

/* The head of one request, read from a blocking socket up to its blank line. */
static void recv_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = recv(fd, buf + n, 1, 0);
        assert_true(r == 1);
        n++;
        buf[n] = '\0';
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            return;
    }
    fail_msg("no end of head in %zu bytes", n);
}

/* The gateway's connection to the backend: accepted (blocking from here). */
static int backend_accept(void)
{
    struct pollfd p = {.fd = fx.h->backend_listen[0], .events = POLLIN};
    assert_int_equal(poll(&p, 1, T_WAIT_LONG_MS), 1);
    int fd = accept4(fx.h->backend_listen[0], NULL, NULL, SOCK_CLOEXEC);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = T_WAIT_LONG_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static const char *get(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "GET %s HTTP/1.1\r\nHost: %s\r\nX-Request-Id: t-1\r\n\r\n", path, HOST);
    return buf;
}

/* A client asks for an ACME challenge: the backend gets it, and answers. */
static int proxied_request(int *backend)
{
    char req[BUF], head[BUF], want[64];
    int c = client();
    send_str(c, get(ACME "tok", req, sizeof req));
    *backend = backend_accept();
    recv_head(*backend, head, sizeof head);
    assert_non_null(strstr(head, "GET " ACME "tok HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "\r\nX-Forwarded-For: 127.0.0.1\r\n"));
    snprintf(want, sizeof want, "\r\nX-Forwarded-Port: %u\r\n", fx.port); /* the listener's own port */
    assert_non_null(strstr(head, want));
    return c;
}

/* ---- serving ---------------------------------------------------------------------------- */

/* Two workers on one port: a local answer and a proxied exchange, each on a
 * connection the pool accepted; drained and freed, no fd is left. */
static void test_accepts_and_serves(void **state)
{
    (void)state;
    start(MAX_WORKERS);
    char req[BUF];
    int c = client();
    send_str(c, get("/shop", req, sizeof req));
    expect_bytes(c, REDIRECT, false);
    close(c);

    int b;
    c = proxied_request(&b);
    send_str(b, RESP_200);
    expect_bytes(c, RESP_200, false);
    close(c);
    close(b);
    stop_and_count();
}

/* ---- drain ------------------------------------------------------------------------------ */

static bool port_refused(void *arg)
{
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(fx.port)};
    bool refused = connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno == ECONNREFUSED;
    close(fd); /* accepted before the drain closed the listener: it ends at once */
    return refused;
}

/* Drain with a request in flight: the listener closes at once, the worker
 * keeps running until the answer went out (with Connection: close, then
 * the end of the stream), then stops; nothing leaks. */
static void test_drain_finishes_in_flight_request(void **state)
{
    (void)state;
    start(1);
    int b;
    int c = proxied_request(&b);
    worker_pool_drain(fx.pool);
    assert_true(t_wait_sleep(port_refused, NULL, T_WAIT_LONG_MS));
    assert_int_equal(worker_pool_running(fx.pool), 1); /* the request holds it */

    send_str(b, RESP_200);
    char buf[BUF];
    bool eof;
    recv_bytes(c, buf, sizeof buf, sizeof buf, &eof); /* all of it, up to the end */
    assert_true(eof);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
    assert_non_null(strstr(buf, "\r\n\r\nabc"));
    assert_true(t_wait_sleep(pool_stopped, NULL, T_WAIT_LONG_MS));
    close(c);
    close(b);
    stop_and_count();
}

/* An idle pool drains at once; a stopped worker is never taken for a stuck
 * one, however late the control thread looks. */
static void test_drain_idle_pool_and_alive(void **state)
{
    (void)state;
    start(MAX_WORKERS);
    worker_pool_drain(fx.pool);
    assert_true(t_wait_sleep(pool_stopped, NULL, T_WAIT_LONG_MS));
    assert_true(worker_pool_alive(fx.pool, 1000));
    assert_true(worker_pool_alive(fx.pool, 1000 + 10 * WORKER_STALL_MS));
    worker_pool_drain(fx.pool); /* again: harmless */
    stop_and_count();
}

/* ---- admission -------------------------------------------------------------------------- */

static bool nobody_counted(void *arg)
{
    struct sockaddr_storage *peer = arg;
    return connlimit_count(worker_pool_limits(fx.pool), peer) == 0;
}

/* max_connections = 1: while one connection is open, the next is closed
 * at once, before any byte; when the first ends, a new one is served. */
static void test_max_connections_refuses_excess(void **state)
{
    (void)state;
    fx.h->cfg.limits.max_connections = 1;
    start(1);
    struct sockaddr_storage peer = {0};
    struct sockaddr_in *sin = (struct sockaddr_in *)&peer;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    char req[BUF], buf[BUF];
    bool eof;
    int first = client();
    send_str(first, get("/shop", req, sizeof req));
    expect_bytes(first, REDIRECT, false); /* admitted, and kept alive */
    assert_int_equal(connlimit_count(worker_pool_limits(fx.pool), &peer), 1);

    int second = client();
    assert_int_equal(recv_bytes(second, buf, sizeof buf, 1, &eof), 0);
    assert_true(eof || errno == ECONNRESET);
    close(second);

    close(first);
    assert_true(t_wait_sleep(nobody_counted, &peer, T_WAIT_LONG_MS));
    int third = client();
    send_str(third, get("/shop", req, sizeof req));
    expect_bytes(third, REDIRECT, false);
    close(third);
    stop_and_count();
}

/* ---- out of fds ------------------------------------------------------------------------ */

struct filler {
    int fds[FILL_MAX];
    unsigned n;
    struct rlimit saved;
};

/* Takes every free fd below the highest open one, then lowers the limit
 * to just above it: the next accept fails with EMFILE. */
static void fds_exhaust(struct filler *f, int base)
{
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &f->saved), 0);
    int top = dup(base);
    assert_true(top >= 0);
    f->fds[f->n++] = top;
    for (int fd; f->n < FILL_MAX && (fd = dup(base)) >= 0;) {
        f->fds[f->n++] = fd;
        if (fd > top) /* no hole left below top: fd is top + 1 */
            break;
    }
    int highest = 0;
    for (unsigned i = 0; i < f->n; i++)
        highest = f->fds[i] > highest ? f->fds[i] : highest;
    struct rlimit low = {.rlim_cur = (rlim_t)highest + 1, .rlim_max = f->saved.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
}

static void fds_restore(struct filler *f)
{
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &f->saved), 0);
    for (unsigned i = 0; i < f->n; i++)
        close(f->fds[i]);
}

static bool accept_paused(void *arg)
{
    (void)arg;
    return t_log_has("accept_paused", "reason=\"Too many open files\"");
}

/* No fd left for accept: the worker stops accepting for a while and says
 * so (once), rather than spinning on a listener that stays readable; once
 * fds are back, the waiting connection is served. */
static void test_out_of_fds_pauses_then_serves(void **state)
{
    (void)state;
    start(1);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c >= 0);
    struct timeval tv = {.tv_sec = T_WAIT_LONG_MS / 1000};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct filler *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fds_exhaust(f, c);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(fx.port)};
    int rc = connect(c, (struct sockaddr *)&sa, sizeof sa); /* the kernel queues it; accept cannot take it */
    bool paused = rc == 0 && t_wait_sleep(accept_paused, NULL, T_WAIT_LONG_MS);
    fds_restore(f);
    free(f);
    assert_int_equal(rc, 0);
    if (!paused)
        t_log_dump();
    assert_true(paused);
    assert_int_equal(t_log_count("accept_paused", NULL), 1); /* at most one line per WORKER_PAUSE_LOG_MS */

    char req[BUF];
    send_str(c, get("/shop", req, sizeof req));
    expect_bytes(c, REDIRECT, false); /* accepting resumed by itself */
    close(c);
    stop_and_count();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accepts_and_serves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_finishes_in_flight_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_idle_pool_and_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_connections_refuses_excess, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_fds_pauses_then_serves, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
