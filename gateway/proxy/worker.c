/*
 * worker: the relay's worker threads. Each runs its own loop, accepts on its
 * own SO_REUSEPORT sockets, asks admission.c whether the connection may
 * stay (before any TLS work), and hands it to conn.c. See worker.h.
 */
#include "gateway/proxy/worker.h"

#include "gateway/proxy/admission.h"
#include "gateway/proxy/conn.h"
#include "gateway/proxy/connlimit.h"
#include "common/log.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct worker_listener {
    struct loop_io io;
    enum listener_kind kind;
    uint16_t port; /* its local port, for X-Forwarded-Port */
    struct worker_thread *owner;
};

struct worker_thread {
    struct worker w; /* conn.c's view; first, so the callbacks can cast back */
    struct worker_pool *pool;
    pthread_t thread;
    bool started;
    struct worker_listener listeners[WORKER_MAX_LISTEN_SLOTS];
    unsigned n_listeners;
    struct loop_io cmd_io; /* eventfd: the control thread asks for a drain */
    struct loop_timer tick, drain_poll, drain_deadline, accept_resume;
    atomic_uint ticks; /* bumped by the tick timer: the loop is alive */
    atomic_bool running;
    /* control thread's view of ticks (only it touches these) */
    unsigned seen_ticks;
    uint64_t seen_at_ms;
    uint64_t pause_logged_ms; /* last accept_paused line */
};

struct worker_pool {
    const struct config *cfg;
    struct abuse *abuse;
    struct connlimit limits;
    atomic_bool drain_requested;
    atomic_uint running;
    unsigned n;
    struct worker_thread *threads;
};

/* ---- accepting ------------------------------------------------------------------ */

static void worker_pause_accepting(struct worker_thread *t, int err)
{
    /* at most one line per WORKER_PAUSE_LOG_MS: a long shortage of fds
     * must not also flood the log */
    uint64_t now = loop_now_ms(t->w.loop);
    if (t->pause_logged_ms == 0 || now - t->pause_logged_ms >= WORKER_PAUSE_LOG_MS) {
        t->pause_logged_ms = now;
        log_event(LOG_LEVEL_WARN, "accept_paused", "reason", strerror(err), LOG_END);
    }
    for (unsigned i = 0; i < t->n_listeners; i++)
        loop_watch(t->w.loop, &t->listeners[i].io, 0);
    loop_timer_set(t->w.loop, &t->accept_resume, WORKER_EMFILE_PAUSE_MS);
}

static void on_accept_resume(struct loop *loop, struct loop_timer *timer)
{
    struct worker_thread *t = timer->arg;
    if (t->w.draining)
        return;
    for (unsigned i = 0; i < t->n_listeners; i++)
        loop_watch(loop, &t->listeners[i].io, LOOP_READ);
}

static void on_listener(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct worker_listener *l = io->arg;
    struct worker_thread *t = l->owner;
    for (unsigned i = 0; i < WORKER_ACCEPT_BATCH && !t->w.draining; i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int fd = accept4(io->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                worker_pause_accepting(t, errno);
            /* EAGAIN: drained the queue; ECONNABORTED etc.: try later */
            return;
        }
        if (!admission_admit(&t->w, &peer)) {
            close(fd);
            continue;
        }
        conn_accept(&t->w, l->kind, l->port, fd, &peer);
    }
}

/* ---- drain ------------------------------------------------------------------------- */

static void on_drain_poll(struct loop *loop, struct loop_timer *timer)
{
    struct worker_thread *t = timer->arg;
    if (conn_drain(&t->w) == 0 || admission_drained(&t->w)) {
        loop_stop(loop);
        return;
    }
    loop_timer_set(loop, &t->drain_poll, WORKER_DRAIN_POLL_MS);
}

static void on_drain_deadline(struct loop *loop, struct loop_timer *timer)
{
    struct worker_thread *t = timer->arg;
    char id[16], open_conns[16];
    snprintf(id, sizeof id, "%u", t->w.id);
    snprintf(open_conns, sizeof open_conns, "%u", t->w.n_conns);
    log_event(LOG_LEVEL_WARN, "drain_timeout", "worker", id, "connections_cut", open_conns, LOG_END);
    loop_stop(loop);
}

/* Stop accepting (the listener copies of this relay close; the parent and
 * any newer relay keep the ports), then let conn.c finish in-flight work. */
static void worker_begin_drain(struct worker_thread *t)
{
    if (t->w.draining)
        return;
    t->w.draining = true;
    loop_timer_clear(t->w.loop, &t->accept_resume);
    for (unsigned i = 0; i < t->n_listeners; i++) {
        loop_unwatch(t->w.loop, &t->listeners[i].io);
        close(t->listeners[i].io.fd);
        t->listeners[i].io.fd = -1;
    }
    if (conn_drain(&t->w) == 0 || admission_drained(&t->w)) {
        loop_stop(t->w.loop);
        return;
    }
    loop_timer_set(t->w.loop, &t->drain_poll, WORKER_DRAIN_POLL_MS);
    loop_timer_set(t->w.loop, &t->drain_deadline, t->pool->cfg->gateway.drain_timeout_ms);
}

static void on_command(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct worker_thread *t = io->arg;
    uint64_t v;
    if (read(io->fd, &v, sizeof v) < 0 && errno != EAGAIN)
        return;
    if (atomic_load(&t->pool->drain_requested))
        worker_begin_drain(t);
}

static void on_tick(struct loop *loop, struct loop_timer *timer)
{
    struct worker_thread *t = timer->arg;
    atomic_fetch_add(&t->ticks, 1);
    loop_timer_set(loop, timer, WORKER_TICK_MS);
}

/* ---- threads ------------------------------------------------------------------------ */

static void *worker_main(void *arg)
{
    struct worker_thread *t = arg;
    char name[16];
    snprintf(name, sizeof name, "rampart-w%u", t->w.id);
    pthread_setname_np(pthread_self(), name);
    tls_server_bind_thread(t->w.tls, t->w.id); /* its own channel to the key holder */
    loop_timer_set(t->w.loop, &t->tick, WORKER_TICK_MS);
    if (loop_run(t->w.loop) < 0)
        log_msgf(LOG_LEVEL_ERROR, "worker_failed", "worker %u: epoll: %s", t->w.id, strerror(errno));
    atomic_store(&t->running, false);
    atomic_fetch_sub(&t->pool->running, 1);
    return NULL;
}

static void timer_init(struct loop_timer *timer, loop_timer_fn fn, void *arg)
{
    *timer = (struct loop_timer){.fn = fn, .arg = arg};
}

static uint16_t listener_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* Loop, command eventfd and listener watches of worker `id`. */
static int worker_setup(struct worker_pool *pool, struct worker_thread *t, unsigned id,
                        struct tls_server *tls, struct backend_set *backends,
                        const struct worker_listen_slot *slots, unsigned n_slots)
{
    const struct config *cfg = pool->cfg;
    t->pool = pool;
    t->w = (struct worker){.id = id,
                           .cfg = cfg,
                           .tls = tls,
                           .backends = backends,
                           .abuse = pool->abuse,
                           .limits = &pool->limits};
    t->w.loop = loop_new();
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    t->cmd_io = (struct loop_io){.fd = efd, .fn = on_command, .arg = t};
    if (!t->w.loop || efd < 0 || loop_watch(t->w.loop, &t->cmd_io, LOOP_READ) < 0)
        return -1;
    timer_init(&t->tick, on_tick, t);
    timer_init(&t->drain_poll, on_drain_poll, t);
    timer_init(&t->drain_deadline, on_drain_deadline, t);
    timer_init(&t->accept_resume, on_accept_resume, t);
    for (unsigned slot = 0; slot < n_slots && slot < WORKER_MAX_LISTEN_SLOTS; slot++) {
        struct worker_listener *l = &t->listeners[slot];
        l->kind = slots[slot].kind;
        l->owner = t;
        l->io = (struct loop_io){.fd = slots[slot].fds[id], .fn = on_listener, .arg = l};
        l->port = listener_port(l->io.fd);
        t->n_listeners++; /* the fd is ours from here on */
        if (loop_watch(t->w.loop, &l->io, LOOP_READ) < 0)
            return -1;
    }
    return 0;
}

struct worker_pool *worker_pool_start(const struct config *cfg, struct tls_server *tls,
                                      struct backend_set *backends, struct abuse *abuse,
                                      const struct worker_listen_slot *slots, unsigned n_slots)
{
    struct worker_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pool->cfg = cfg;
    pool->abuse = abuse;
    pool->n = cfg->gateway.workers;
    connlimit_init(&pool->limits, cfg->limits.max_connections, cfg->limits.max_connections_per_ip);
    pool->threads = calloc(pool->n, sizeof *pool->threads);
    if (!pool->threads)
        goto fail;
    for (unsigned i = 0; i < pool->n; i++) {
        pool->threads[i].cmd_io.fd = -1;
        if (worker_setup(pool, &pool->threads[i], i, tls, backends, slots, n_slots) < 0) {
            log_msgf(LOG_LEVEL_ERROR, "worker_failed", "worker %u: set-up: %s", i, strerror(errno));
            goto fail;
        }
    }
    for (unsigned i = 0; i < pool->n; i++) {
        struct worker_thread *t = &pool->threads[i];
        atomic_store(&t->running, true);
        atomic_fetch_add(&pool->running, 1);
        int rc = pthread_create(&t->thread, NULL, worker_main, t);
        if (rc != 0) {
            atomic_store(&t->running, false);
            atomic_fetch_sub(&pool->running, 1);
            log_msgf(LOG_LEVEL_ERROR, "worker_failed", "worker %u: thread: %s", i, strerror(rc));
            worker_pool_drain(pool);
            worker_pool_free(pool);
            return NULL;
        }
        t->started = true;
    }
    return pool;
fail:
    worker_pool_free(pool);
    return NULL;
}

void worker_pool_drain(struct worker_pool *pool)
{
    atomic_store(&pool->drain_requested, true);
    for (unsigned i = 0; i < pool->n; i++) {
        uint64_t one = 1;
        if (pool->threads[i].cmd_io.fd >= 0 && write(pool->threads[i].cmd_io.fd, &one, sizeof one) < 0)
            log_msgf(LOG_LEVEL_ERROR, "worker_failed", "worker %u: drain: %s", i, strerror(errno));
    }
}

unsigned worker_pool_running(const struct worker_pool *pool)
{
    return atomic_load(&pool->running);
}

bool worker_pool_alive(struct worker_pool *pool, uint64_t now_ms)
{
    bool alive = true;
    for (unsigned i = 0; i < pool->n; i++) {
        struct worker_thread *t = &pool->threads[i];
        unsigned ticks = atomic_load(&t->ticks);
        if (ticks != t->seen_ticks || t->seen_at_ms == 0 || !atomic_load(&t->running)) {
            t->seen_ticks = ticks;
            t->seen_at_ms = now_ms;
        } else if (now_ms - t->seen_at_ms > WORKER_STALL_MS) {
            alive = false;
        }
    }
    return alive;
}

struct connlimit *worker_pool_limits(struct worker_pool *pool)
{
    return &pool->limits;
}

void worker_pool_free(struct worker_pool *pool)
{
    if (!pool)
        return;
    for (unsigned i = 0; pool->threads && i < pool->n; i++) {
        struct worker_thread *t = &pool->threads[i];
        if (t->started)
            pthread_join(t->thread, NULL);
        for (unsigned s = 0; s < t->n_listeners; s++)
            if (t->listeners[s].io.fd >= 0)
                close(t->listeners[s].io.fd);
        if (t->cmd_io.fd >= 0)
            close(t->cmd_io.fd);
        loop_free(t->w.loop);
    }
    free(pool->threads);
    connlimit_destroy(&pool->limits);
    free(pool);
}
