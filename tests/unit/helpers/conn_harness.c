/*
 * conn_harness: a worker, its backends and its clients in one thread, on a
 * virtual clock. See conn_harness.h.
 */
#include "tests/unit/helpers/conn_harness.h"

#include "gateway/event/loop.h"
#include "gateway/proxy/admission.h"
#include "gateway/proxy/conn.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HARNESS_FREE_ROUNDS     8       /* clock jumps conn_harness_free may take */
#define HARNESS_FREE_STEPS      64      /* iterations between two of them */
#define HARNESS_FREE_JUMP_MS    3600000 /* past every default and test deadline */
#define HARNESS_FIRST_PEER_PORT 40001

/* ---- the test's sockets ----------------------------------------------------------- */

static void harness_track(struct conn_harness *h, int fd)
{
    for (unsigned i = 0; i < CONN_HARNESS_MAX_FDS; i++) {
        if (h->fds[i] < 0) {
            h->fds[i] = fd;
            return;
        }
    }
    abort(); /* a test with more sockets than this is a test bug */
}

void conn_harness_close(struct conn_harness *h, int fd)
{
    if (fd < 0)
        return;
    for (unsigned i = 0; i < CONN_HARNESS_MAX_FDS; i++)
        if (h->fds[i] == fd)
            h->fds[i] = -1;
    close(fd);
}

void conn_harness_shutdown(struct conn_harness *h, int fd)
{
    (void)h;
    shutdown(fd, SHUT_WR);
}

/* Waits up to 1 ms for fd to be ready for `events` (a real wait: the
 * kernel may deliver loopback bytes a little after the send). */
static void harness_nap(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    poll(&p, 1, 1);
}

/* ---- the watchdog --------------------------------------------------------------- */

/* A loop iteration that used hang_ms of CPU did not return to epoll: say
 * so and abort (async-signal-safe: write and abort only). */
static void harness_on_hang(int sig)
{
    (void)sig;
    static const char msg[] = "conn_harness: a loop iteration did not return to epoll within "
                              "hang_ms of CPU: hang\n";
    (void)!write(2, msg, sizeof msg - 1);
    abort();
}

/* A timer on this thread's CPU clock that raises SIGXCPU in this thread. */
static void harness_watchdog_init(struct conn_harness *h)
{
    struct sigaction sa = {.sa_handler = harness_on_hang};
    sigemptyset(&sa.sa_mask);
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGXCPU};
    ev._sigev_un._tid = gettid(); /* sigev_notify_thread_id, which glibc 2.36 does not name */
    h->hang_ms = CONN_HARNESS_HANG_MS;
    h->has_watchdog =
        sigaction(SIGXCPU, &sa, NULL) == 0 && timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &h->watchdog) == 0;
}

static void harness_watchdog_arm(struct conn_harness *h, unsigned ms)
{
    if (!h->has_watchdog || h->watch_span)
        return;
    struct itimerspec its = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000}};
    timer_settime(h->watchdog, 0, &its, NULL);
}

void conn_harness_watch(struct conn_harness *h)
{
    h->watch_span = false;
    harness_watchdog_arm(h, h->hang_ms);
    h->watch_span = true;
}

void conn_harness_watch_end(struct conn_harness *h)
{
    h->watch_span = false;
}

/* ---- set-up and tear-down ------------------------------------------------------- */

static uint64_t harness_clock(void *arg)
{
    return ((const struct conn_harness *)arg)->now_ms;
}

static void harness_on_stop(struct loop *loop, struct loop_timer *t)
{
    (void)t;
    loop_stop(loop);
}

/* Backend i: a listening socket on 127.0.0.1, port chosen by the kernel
 * (made once: a reused harness keeps it), and its [backend] entry. */
static int harness_backend_listen(struct conn_harness *h, unsigned i)
{
    struct config_backend *b = &h->cfg.backends[i];
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (h->backend_listen[i] < 0) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        h->backend_listen[i] = fd;
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0)
            return -1;
    }
    if (getsockname(h->backend_listen[i], (struct sockaddr *)&sa, &len) < 0)
        return -1;
    snprintf(b->name, sizeof b->name, "web-%02u", i + 1);
    memcpy(&b->addr, &sa, sizeof sa);
    b->addr_len = sizeof sa;
    b->weight = 1;
    b->max_idle = 32; /* the [backend] default */
    return 0;
}

static struct config harness_config_made;
static pthread_once_t harness_config_once = PTHREAD_ONCE_INIT;

static void harness_config_make(void)
{
    config_defaults(&harness_config_made);
    snprintf(harness_config_made.gateway.access_log, sizeof harness_config_made.gateway.access_log, "off");
    harness_config_made.gateway.workers = 1;
}

/* The defaults are made once and copied: config_defaults asks the kernel
 * for the number of CPUs (a file opened and read), for every run. */
static void harness_config(struct config *cfg)
{
    pthread_once(&harness_config_once, harness_config_make);
    *cfg = harness_config_made;
}

/* What a run starts from: the configuration, the backends, the worker on
 * h's loop, the clock at CONN_HARNESS_CLOCK_START. */
static int harness_start(struct conn_harness *h, unsigned n_backends)
{
    for (unsigned i = 0; i < CONN_HARNESS_MAX_FDS; i++)
        h->fds[i] = -1;
    harness_config(&h->cfg);
    h->cfg.n_backends = n_backends;
    h->now_ms = CONN_HARNESS_CLOCK_START;
    h->next_port = HARNESS_FIRST_PEER_PORT;
    h->sockbuf = 0;
    h->hang_ms = CONN_HARNESS_HANG_MS;
    h->watch_span = false;
    h->stop = (struct loop_timer){.fn = harness_on_stop};
    for (unsigned i = 0; i < n_backends; i++)
        if (harness_backend_listen(h, i) < 0)
            return -1;
    if (backend_set_init(&h->backends, &h->cfg, false) < 0)
        return -1;
    struct loop *loop = h->w.loop;
    h->w = (struct worker){.cfg = &h->cfg, .backends = &h->backends, .limits = &h->limits, .loop = loop};
    loop_set_clock(h->w.loop, harness_clock, h); /* reads the clock again: a reused loop starts over */
    return 0;
}

static void harness_close_listeners(struct conn_harness *h)
{
    for (unsigned i = 0; i < CONN_HARNESS_MAX_BACKENDS; i++)
        if (h->backend_listen[i] >= 0)
            close(h->backend_listen[i]);
}

struct conn_harness *conn_harness_new(unsigned n_backends)
{
    if (n_backends == 0 || n_backends > CONN_HARNESS_MAX_BACKENDS) {
        errno = EINVAL;
        return NULL;
    }
    struct conn_harness *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    for (unsigned i = 0; i < CONN_HARNESS_MAX_BACKENDS; i++)
        h->backend_listen[i] = -1;
    if (!(h->w.loop = loop_new()))
        goto fail;
    harness_config(&h->cfg);
    connlimit_init(&h->limits, h->cfg.limits.max_connections, h->cfg.limits.max_connections_per_ip);
    if (harness_start(h, n_backends) < 0)
        goto fail_limits;
    harness_watchdog_init(h);
    return h;
fail_limits:
    connlimit_destroy(&h->limits);
    loop_free(h->w.loop);
fail:
    harness_close_listeners(h);
    free(h);
    return NULL;
}

/* Steps (and jumps the clock) until the worker has no connection left. */
static bool harness_settle(struct conn_harness *h)
{
    for (unsigned round = 0; round < HARNESS_FREE_ROUNDS && h->w.n_conns > 0; round++) {
        conn_harness_run(h, HARNESS_FREE_STEPS);
        if (h->w.n_conns > 0)
            conn_harness_advance(h, HARNESS_FREE_JUMP_MS);
    }
    return h->w.n_conns == 0;
}

/* Connections the gateway made that nobody accepted: reset, so the next
 * run's backends start with an empty queue. */
static void harness_drain_listeners(struct conn_harness *h)
{
    for (unsigned i = 0; i < CONN_HARNESS_MAX_BACKENDS; i++) {
        struct pollfd p = {.fd = h->backend_listen[i], .events = POLLIN};
        int fd;
        if (p.fd < 0 || poll(&p, 1, 0) != 1)
            continue; /* an accept that finds nothing still makes a socket in the kernel */
        while ((fd = accept4(h->backend_listen[i], NULL, NULL, SOCK_CLOEXEC)) >= 0) {
            struct linger l = {.l_onoff = 1, .l_linger = 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            close(fd);
        }
    }
}

bool conn_harness_end_run(struct conn_harness *h)
{
    for (unsigned i = 0; i < CONN_HARNESS_MAX_FDS; i++)
        conn_harness_close(h, h->fds[i]);
    if (!harness_settle(h))
        return false; /* connections still point into h: leave it */
    conn_worker_destroy(&h->w);
    conn_harness_step(h); /* the deferred frees */
    if (h->w.tls)
        tls_server_unref(h->w.tls);
    h->w.tls = NULL;
    backend_set_destroy(&h->backends);
    harness_drain_listeners(h);
    return loop_pending(h->w.loop) == 0;
}

bool conn_harness_new_run(struct conn_harness *h, unsigned n_backends)
{
    if (n_backends == 0 || n_backends > CONN_HARNESS_MAX_BACKENDS)
        return false;
    return harness_start(h, n_backends) == 0;
}

bool conn_harness_free(struct conn_harness *h)
{
    if (!h)
        return true;
    if (h->backends.items && !conn_harness_end_run(h))
        return false;
    loop_free(h->w.loop); /* runs the deferred frees */
    connlimit_destroy(&h->limits);
    harness_close_listeners(h);
    if (h->has_watchdog)
        timer_delete(h->watchdog); /* disarms it */
    free(h);
    return true;
}

int conn_harness_tls(struct conn_harness *h, const char *cert_file, const char *key_file, char *err,
                     size_t err_len)
{
    struct tls_cert_config *c = &h->cfg.tls.server.certs[0];
    snprintf(c->server_name, sizeof c->server_name, "%s", CONN_HARNESS_TLS_NAME);
    snprintf(c->cert_file, sizeof c->cert_file, "%s", cert_file);
    snprintf(c->key_file, sizeof c->key_file, "%s", key_file);
    h->cfg.tls.server.n_certs = 1;
    h->w.tls = tls_server_new_local(&h->cfg.tls.server, err, err_len);
    return h->w.tls ? 0 : -1;
}

/* ---- clients ---------------------------------------------------------------------- */

/* The made-up client address: one IP, a port per connection. */
static struct sockaddr_storage harness_peer_at(unsigned port)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, CONN_HARNESS_PEER_IP, &sin->sin_addr);
    return ss;
}

bool conn_harness_adopt(struct conn_harness *h, enum listener_kind kind, int gateway_fd)
{
    struct sockaddr_storage peer = harness_peer_at(h->next_port++);
    if (!admission_admit(&h->w, &peer)) {
        close(gateway_fd);
        return false;
    }
    uint16_t port = kind == LISTENER_HTTPS ? CONN_HARNESS_PORT_HTTPS : CONN_HARNESS_PORT_HTTP;
    conn_accept(&h->w, kind, port, gateway_fd, &peer); /* as worker.c's on_listener does */
    return true;
}

int conn_harness_connect(struct conn_harness *h, enum listener_kind kind)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    if (h->sockbuf > 0)
        setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &h->sockbuf, sizeof h->sockbuf);
    if (!conn_harness_adopt(h, kind, sv[1])) {
        close(sv[0]);
        return -1;
    }
    harness_track(h, sv[0]);
    return sv[0];
}

/* ---- running ------------------------------------------------------------------------ */

/* One iteration; the watchdog is armed by the caller. */
static bool harness_iterate(struct conn_harness *h)
{
    /* A due timer makes epoll_wait non-blocking; this one stops the loop
     * after the iteration's events, timers and deferred frees. */
    loop_timer_set(h->w.loop, &h->stop, 0);
    int rc = loop_run(h->w.loop);
    loop_timer_clear(h->w.loop, &h->stop);
    return rc == 0;
}

/* The watchdog is set again before every iteration (or settle) and only
 * disarmed with the harness: what the test does between iterations runs
 * under it too, on the thread's CPU clock, which a test that waits for a
 * child or a socket does not advance. One system call per iteration. */
bool conn_harness_step(struct conn_harness *h)
{
    harness_watchdog_arm(h, h->hang_ms);
    return harness_iterate(h);
}

/* One watchdog over the whole run: a settle that takes hang_ms of CPU is a
 * hang as well. */
bool conn_harness_settle(struct conn_harness *h, unsigned max_steps, unsigned *steps)
{
    bool settled = false;
    harness_watchdog_arm(h, h->hang_ms);
    for (unsigned i = 1; i <= max_steps && !settled; i++) {
        uint64_t before = loop_dispatch_count(h->w.loop);
        if (!harness_iterate(h))
            break;
        if (loop_dispatch_count(h->w.loop) - before <= 1) { /* only the harness's own stop timer */
            if (steps)
                *steps = i;
            settled = true;
        }
    }
    return settled;
}

bool conn_harness_run(struct conn_harness *h, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (!conn_harness_step(h))
            return false;
    return true;
}

bool conn_harness_advance(struct conn_harness *h, uint64_t ms)
{
    if (!conn_harness_step(h)) /* what already came, at the time it came */
        return false;
    h->now_ms += ms;
    return conn_harness_step(h);
}

bool conn_harness_advance_by(struct conn_harness *h, uint64_t ms, uint64_t tick_ms)
{
    for (uint64_t done = 0; done < ms; done += tick_ms)
        if (!conn_harness_advance(h, ms - done < tick_ms ? ms - done : tick_ms))
            return false;
    return true;
}

/* ---- bytes ------------------------------------------------------------------------- */

bool conn_harness_send(struct conn_harness *h, int fd, const void *data, size_t len)
{
    const char *p = data;
    for (unsigned i = 0; len > 0 && i < CONN_HARNESS_WAIT_STEPS; i++) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return false;
        conn_harness_step(h); /* the gateway reads, the window opens */
        harness_nap(fd, POLLOUT);
    }
    return len == 0;
}

bool conn_harness_send_str(struct conn_harness *h, int fd, const char *s)
{
    return conn_harness_send(h, fd, s, strlen(s));
}

/* Reads what is queued on fd into buf at *got; true at end of stream. */
static bool harness_read_queued(int fd, char *buf, size_t cap, size_t *got)
{
    while (*got + 1 < cap) {
        ssize_t n = read(fd, buf + *got, cap - 1 - *got);
        if (n > 0) {
            *got += (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return true; /* closed, or reset */
        break;
    }
    return false;
}

size_t conn_harness_recv_wait(struct conn_harness *h, int fd, char *buf, size_t cap, size_t want, bool *eof)
{
    size_t got = 0;
    bool ended = false;
    for (unsigned i = 0; i < CONN_HARNESS_WAIT_STEPS && !ended; i++) {
        conn_harness_step(h);
        ended = harness_read_queued(fd, buf, cap, &got);
        if (got >= want || got + 1 >= cap)
            break;
        if (!ended)
            harness_nap(fd, POLLIN);
    }
    if (cap > 0)
        buf[got] = '\0';
    if (eof)
        *eof = ended;
    return got;
}

size_t conn_harness_recv_all(struct conn_harness *h, int fd, char *buf, size_t cap)
{
    return conn_harness_recv_wait(h, fd, buf, cap, cap, NULL);
}

bool conn_harness_quiet(struct conn_harness *h, int fd, unsigned n)
{
    conn_harness_run(h, n);
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* ---- backends ------------------------------------------------------------------------ */

int conn_harness_backend_accept(struct conn_harness *h, unsigned b)
{
    if (b >= h->cfg.n_backends)
        return -1;
    int lfd = h->backend_listen[b];
    for (unsigned i = 0; i < CONN_HARNESS_WAIT_STEPS; i++) {
        conn_harness_step(h);
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            harness_track(h, fd);
            return fd;
        }
        harness_nap(lfd, POLLIN);
    }
    return -1;
}

bool conn_harness_backend_pending(const struct conn_harness *h, unsigned b)
{
    if (b >= h->cfg.n_backends)
        return false;
    struct pollfd p = {.fd = h->backend_listen[b], .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* ---- counts ---------------------------------------------------------------------------- */

unsigned conn_harness_open_conns(const struct conn_harness *h)
{
    return h->w.n_conns;
}

unsigned conn_harness_counted(struct conn_harness *h)
{
    struct sockaddr_storage peer = harness_peer_at(HARNESS_FIRST_PEER_PORT); /* the port is not the key */
    return connlimit_count(&h->limits, &peer);
}
