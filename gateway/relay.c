/*
 * relay: the serving process. Its main thread runs the control loop
 * (parent IPC, heartbeat, signals, health checks); the worker threads serve
 * clients. See relay.h.
 */
#include "gateway/relay.h"
#include "gateway/backend.h"
#include "gateway/health.h"
#include "gateway/ipc.h"
#include "gateway/listener.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/metrics.h"
#include "gateway/sandbox.h"
#include "gateway/worker.h"
#include "tls/tls.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RELAY_CONFIG_WAIT_MS 5000 /* the parent sends the config right after exec */

struct relay {
    const struct config *cfg;
    struct loop *loop;
    struct tls_server *tls;
    struct backend_set backends;
    struct worker_pool *pool;
    struct health *health;
    int ipc_fd;
    struct loop_io ipc_io, sig_io;
    struct loop_timer beat;
    bool draining;
};

static void relay_fatal(int ipc_fd, const char *why)
{
    log_event(LOG_LEVEL_ERROR, "relay_failed", "reason", why, NULL);
    if (ipc_fd >= 0)
        ipc_send(ipc_fd, IPC_FATAL, why, strnlen(why, IPC_TEXT_MAX));
}

static void relay_drain(struct relay *r, const char *why)
{
    if (r->draining)
        return;
    r->draining = true;
    log_event(LOG_LEVEL_INFO, "relay_draining", "reason", why, NULL);
    health_stop(r->health);
    worker_pool_drain(r->pool);
}

static void relay_status(struct relay *r, struct ipc_status *st)
{
    st->backends_up = backend_count_up(&r->backends);
    st->backends_total = r->backends.count;
    long long conns = atomic_load(&metrics.connections_active);
    st->connections = conns > 0 ? (uint32_t)conns : 0;
}

/* Every RELAY_HEARTBEAT_MS: prove to the parent that the relay (every
 * worker loop, not just this thread) is alive; end once drained. */
static void on_beat(struct loop *loop, struct loop_timer *timer)
{
    struct relay *r = timer->arg;
    if (r->draining && worker_pool_running(r->pool) == 0) {
        loop_stop(loop);
        return;
    }
    if (r->ipc_fd >= 0 && worker_pool_alive(r->pool, loop_now_ms(loop))) {
        struct ipc_status st;
        relay_status(r, &st);
        ipc_send(r->ipc_fd, IPC_HEARTBEAT, &st, sizeof st);
    }
    loop_timer_set(loop, timer, RELAY_HEARTBEAT_MS);
}

static void on_ipc(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct relay *r = io->arg;
    _Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];
    struct ipc_msg msg;
    const char *why = NULL;
    int rc = ipc_recv(io->fd, buf, &msg, &why);
    if (rc < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (rc <= 0) {
        /* the parent is gone: nobody supervises us, finish and leave */
        loop_unwatch(loop, io);
        relay_drain(r, rc == 0 ? "parent closed the control socket" : (why ? why : strerror(errno)));
        return;
    }
    if (msg.type == IPC_DRAIN)
        relay_drain(r, "asked by the parent");
    else
        log_event(LOG_LEVEL_WARN, "ipc_unexpected", "type", ipc_type_name(msg.type), NULL);
}

static void on_signal(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct relay *r = io->arg;
    struct signalfd_siginfo si;
    while (read(io->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
            relay_drain(r, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
        /* SIGHUP is the parent's: a reload starts a new relay */
    }
}

/* Signals go to the control loop only: block them before any thread starts. */
static int relay_signals(struct relay *r)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    r->sig_io = (struct loop_io){.fd = fd, .fn = on_signal, .arg = r};
    return fd < 0 ? -1 : loop_watch(r->loop, &r->sig_io, LOOP_READ);
}

/* Everything that needs root happens here, before the drop. */
static int relay_setup(struct relay *r, bool drop_privileges, char *err, size_t err_len)
{
    const struct config *cfg = r->cfg;
    r->loop = loop_new();
    if (!r->loop || relay_signals(r) < 0)
        return snprintf(err, err_len, "event loop: %s", strerror(errno)), -1;
    if (tls_global_init() < 0)
        return snprintf(err, err_len, "TLS initialisation failed"), -1;
    if (cfg->gateway.n_https > 0 && !(r->tls = tls_server_new(&cfg->tls, err, err_len)))
        return -1;
    tzset(); /* read /etc/localtime now: seccomp forbids opening files later */
    if (backend_set_init(&r->backends, cfg, false) < 0)
        return snprintf(err, err_len, "out of memory"), -1;
    /* not root (a developer's run): nothing to drop but the syscalls */
    if (drop_privileges && geteuid() == 0 &&
        sandbox_relay_drop_user(cfg->gateway.user, err, err_len) < 0)
        return -1;
    if (drop_privileges && sandbox_relay_seccomp(err, err_len) < 0)
        return -1;
    return 0;
}

int relay_run(const struct config *cfg, const int *listen_fds, int ipc_fd, bool drop_privileges)
{
    struct relay r = {.cfg = cfg, .ipc_fd = ipc_fd};
    char err[512] = "";
    log_setup(cfg->gateway.log_format, 2, LOG_LEVEL_INFO, "relay");
    if (relay_setup(&r, drop_privileges, err, sizeof err) < 0) {
        relay_fatal(ipc_fd, err);
        return 1;
    }
    r.pool = worker_pool_start(cfg, r.tls, &r.backends, listen_fds);
    if (!r.pool) {
        relay_fatal(ipc_fd, "could not start the worker threads");
        return 1;
    }
    r.health = health_start(r.loop, cfg, &r.backends);
    if (ipc_fd >= 0) {
        r.ipc_io = (struct loop_io){.fd = ipc_fd, .fn = on_ipc, .arg = &r};
        loop_watch(r.loop, &r.ipc_io, LOOP_READ);
        struct ipc_status st;
        relay_status(&r, &st);
        ipc_send(ipc_fd, IPC_READY, &st, sizeof st);
    }
    char workers[16];
    snprintf(workers, sizeof workers, "%u", cfg->gateway.workers);
    log_event(LOG_LEVEL_INFO, "relay_ready", "workers", workers, "user",
              drop_privileges ? cfg->gateway.user : "(unchanged)", NULL);
    r.beat = (struct loop_timer){.fn = on_beat, .arg = &r};
    loop_timer_set(r.loop, &r.beat, RELAY_HEARTBEAT_MS);
    loop_run(r.loop);
    health_free(r.health);
    worker_pool_free(r.pool);
    backend_set_destroy(&r.backends);
    if (r.tls)
        tls_server_unref(r.tls);
    close(r.sig_io.fd);
    loop_free(r.loop);
    log_event(LOG_LEVEL_INFO, "relay_exit", NULL);
    return 0;
}

/* ---- exec'd entry --------------------------------------------------------------- */

static int receive_config(struct config *cfg, const char **why)
{
    _Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];
    struct pollfd p = {.fd = RELAY_IPC_FD, .events = POLLIN};
    if (poll(&p, 1, RELAY_CONFIG_WAIT_MS) != 1) {
        *why = "no configuration from the parent";
        return -1;
    }
    struct ipc_msg msg;
    int rc = ipc_recv(RELAY_IPC_FD, buf, &msg, why);
    if (rc <= 0 || msg.type != IPC_CONFIG) {
        *why = rc == 0 ? "parent closed the control socket" : *why ? *why : "expected a config";
        return -1;
    }
    memcpy(cfg, msg.payload, sizeof *cfg);
    return ipc_config_check(cfg, why);
}

int relay_main(void)
{
    static struct config cfg;
    static int fds[LISTENER_MAX_FDS];
    const char *why = NULL;
    if (receive_config(&cfg, &why) < 0) {
        relay_fatal(RELAY_IPC_FD, why);
        return 1;
    }
    unsigned n = listener_count(&cfg);
    for (unsigned i = 0; i < n; i++) {
        struct stat st;
        fds[i] = RELAY_FIRST_LISTEN_FD + (int)i;
        if (fstat(fds[i], &st) < 0 || !S_ISSOCK(st.st_mode)) {
            relay_fatal(RELAY_IPC_FD, "listening sockets missing from the parent");
            return 1;
        }
    }
    return relay_run(&cfg, fds, RELAY_IPC_FD, true);
}
