/*
 * relay: the serving process. Its main thread runs the control loop
 * (parent IPC, heartbeat, signals, health checks); the worker threads serve
 * clients. See relay.h.
 */
#include "gateway/proc/relay.h"
#include "gateway/proxy/abuse.h"
#include "gateway/proxy/access_log.h"
#include "gateway/admin/admin.h"
#include "gateway/upstream/backend.h"
#include "gateway/upstream/health.h"
#include "gateway/proc/ipc.h"
#include "gateway/proc/keyholder.h"
#include "gateway/proc/listener.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "gateway/event/loop.h"
#include "gateway/admin/metrics.h"
#include "gateway/proc/sandbox.h"
#include "gateway/proxy/worker.h"
#include "tls/tls.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RELAY_CONFIG_WAIT_MS 5000 /* the parent sends the config right after exec */

struct relay {
    const struct config *cfg;
    struct loop *loop;
    struct tls_server *tls;
    struct tls_signer *signer; /* the key holder's channels */
    struct backend_set backends;
    struct worker_pool *pool;
    struct health *health;
    struct abuse *abuse; /* NULL: autoblock off, or no parent to tell */
    int ipc_fd;
    struct loop_io ipc_io, sig_io;
    struct loop_timer beat, history;
    struct ratelimit ipc_log; /* ipc_unexpected lines */
    bool draining;
};

static void relay_fatal(int ipc_fd, const char *why)
{
    log_event(LOG_LEVEL_ERROR, "relay_failed", "reason", why, LOG_END);
    if (ipc_fd >= 0)
        ipc_send(ipc_fd, IPC_FATAL, why, strnlen(why, IPC_TEXT_MAX));
}

static void relay_drain(struct relay *r, const char *why)
{
    if (r->draining)
        return;
    r->draining = true;
    log_event(LOG_LEVEL_INFO, "relay_draining", "reason", why, LOG_END);
    admin_set_draining(true); /* /healthz says 503: balancers look away */
    health_stop(r->health);
    worker_pool_drain(r->pool);
}

static void relay_status(struct relay *r, struct ipc_status *st)
{
    st->backends_up = backend_count_up(&r->backends);
    st->backends_total = r->backends.count;
    long long conns = atomic_load(&metrics.connections_active);
    st->connections = conns > 0 ? (uint32_t)conns : 0;
    st->down_mask = backend_down_mask(&r->backends);
    st->settled = backend_set_settled(&r->backends, r->cfg->health.interval_ms > 0);
}

/* Offenders found by the workers go to the parent, which blocks them. */
static void relay_report_offenders(struct relay *r)
{
    struct ip_addr offenders[ABUSE_PENDING_MAX];
    unsigned n = r->abuse ? abuse_take(r->abuse, offenders, ABUSE_PENDING_MAX) : 0;
    for (unsigned i = 0; i < n; i++) {
        struct ipc_autoblock msg;
        if (ipc_autoblock_from_addr(&offenders[i], &msg) == 0)
            ipc_send(r->ipc_fd, IPC_AUTOBLOCK, &msg, sizeof msg);
    }
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
        relay_report_offenders(r);
    }
    loop_timer_set(loop, timer, RELAY_HEARTBEAT_MS);
}

/* Every ADMIN_HISTORY_STEP_S: one sample of the /status charts. */
static void on_history(struct loop *loop, struct loop_timer *timer)
{
    admin_history_tick((uint64_t)time(NULL));
    loop_timer_set(loop, timer, ADMIN_HISTORY_STEP_S * 1000);
}

/* Ticket keys from the parent (at start and at every rotation). */
static void relay_install_tickets(struct relay *r, const void *payload)
{
    static struct tls_ticket_keys keys;
    memcpy(&keys, payload, sizeof keys);
    if (r->tls && tls_server_set_ticket_keys(r->tls, &keys) < 0)
        log_event(LOG_LEVEL_ERROR, "ticket_keys_failed", "effect", "tickets use this relay's own keys",
                  LOG_END);
    explicit_bzero(&keys, sizeof keys);
}

/* Logged at most RATELIMIT_LOG_BURST times a second. */
static void relay_unexpected(struct relay *r, enum ipc_type type)
{
    uint64_t skipped;
    if (!ratelimit_allow(&r->ipc_log, loop_now_ms(r->loop), RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS,
                         &skipped))
        return;
    char n[24];
    snprintf(n, sizeof n, "%llu", (unsigned long long)skipped);
    log_event(LOG_LEVEL_WARN, "ipc_unexpected", "type", ipc_type_name(type), skipped ? "suppressed" : LOG_END,
              n, LOG_END);
}

/* A restarted key holder's channels: checked against our certificates,
 * then each worker takes its own. A key holder whose keys are not our
 * certificates' (files changed on disk since we started) cannot sign for
 * us: then we ask to be replaced by a relay that reads them again. */
static void relay_replace_keyholder(struct relay *r, struct ipc_msg *msg)
{
    char err[256];
    if (!r->tls) {
        relay_unexpected(r, msg->type);
        return;
    }
    if (tls_server_keyholder_replace(r->tls, msg->fds, msg->n_fds, err, sizeof err) == 0) {
        msg->n_fds = 0; /* the signer's now */
        log_event(LOG_LEVEL_INFO, "keyholder_replaced", LOG_END);
        return;
    }
    relay_fatal(r->ipc_fd, err);
    loop_stop(r->loop);
}

static void relay_on_message(void *arg, struct ipc_msg *msg)
{
    struct relay *r = arg;
    switch (msg->type) {
    case IPC_DRAIN: relay_drain(r, "asked by the parent"); break;
    case IPC_RETIRE:
        /* the new relay serves the admin pages from now on */
        admin_stop();
        relay_drain(r, "replaced by a new relay (reload)");
        break;
    case IPC_VRRP: { /* ipc_decode checked: 1..ADMIN_VRRP_MAX_INSTANCES whole statuses */
        static struct admin_vrrp_status st[ADMIN_VRRP_MAX_INSTANCES];
        size_t n = msg->len / sizeof st[0];
        n = n < ADMIN_VRRP_MAX_INSTANCES ? n : ADMIN_VRRP_MAX_INSTANCES;
        memcpy(st, msg->payload, n * sizeof st[0]);
        admin_set_vrrp_status(st, (unsigned)n);
        break;
    }
    case IPC_TICKET_KEYS: relay_install_tickets(r, msg->payload); break;
    case IPC_KEYHOLDER: relay_replace_keyholder(r, msg); break;
    case IPC_KEYS_STATUS: {
        struct admin_keyholder_status st;
        memcpy(&st, msg->payload, sizeof st);
        admin_set_keyholder_status(&st);
        break;
    }
    case IPC_FIREWALL: {
        static struct admin_firewall_status st;
        memcpy(&st, msg->payload, sizeof st);
        admin_set_firewall_status(&st);
        break;
    }
    case IPC_PEER: {
        static struct admin_peer_status st;
        memcpy(&st, msg->payload, sizeof st);
        admin_set_peer_status(&st);
        break;
    }
    case IPC_BGP: {
        struct admin_bgp_status st;
        memcpy(&st, msg->payload, sizeof st);
        admin_set_bgp_status(&st);
        break;
    }
    default: relay_unexpected(r, msg->type);
    }
}

static void relay_on_ipc(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct relay *r = io->arg;
    const char *why;
    if (ipc_receive(io->fd, relay_on_message, r, &why) == 0)
        return;
    /* the parent is gone: nobody supervises us, finish and leave */
    loop_unwatch(loop, io);
    relay_drain(r, why ? why : "parent closed the control socket");
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
    static const int signals[] = {SIGTERM, SIGINT, SIGHUP};
    r->sig_io = (struct loop_io){.fn = on_signal, .arg = r};
    return loop_watch_signals(r->loop, &r->sig_io, signals, sizeof signals / sizeof signals[0]);
}

/* Each client connection may hold a backend connection too, plus the
 * listeners, pooled idle backend connections and the loops' own fds. */
#define RELAY_FDS_PER_CONN 2
#define RELAY_FDS_EXTRA    4096

/* Raises the fd limit to what max_connections needs (while still root,
 * the hard limit too): the default soft limit of 1024 would make accept
 * fail long before max_connections. */
static void relay_raise_fd_limit(const struct config *cfg)
{
    rlim_t want = (rlim_t)cfg->limits.max_connections * RELAY_FDS_PER_CONN + RELAY_FDS_EXTRA;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    struct rlimit more = {want, rl.rlim_max > want ? rl.rlim_max : want};
    if (setrlimit(RLIMIT_NOFILE, &more) == 0)
        return;
    more.rlim_cur = more.rlim_max = rl.rlim_max; /* not root: as far as allowed */
    setrlimit(RLIMIT_NOFILE, &more);
    char have[24];
    snprintf(have, sizeof have, "%llu", (unsigned long long)rl.rlim_max);
    log_event(LOG_LEVEL_WARN, "fd_limit_low", "limit", have, "effect",
              "fewer connections than max_connections can be accepted", LOG_END);
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
    if (cfg->gateway.n_https > 0 && !(r->tls = tls_server_new(&cfg->tls.server, r->signer, err, err_len)))
        return -1;
    admin_set_certificates(r->tls);
    tzset(); /* read /etc/localtime now: seccomp forbids opening files later */
    relay_raise_fd_limit(cfg);
    if (backend_set_init(&r->backends, cfg, false) < 0)
        return snprintf(err, err_len, "out of memory"), -1;
    /* files are opened and sockets bound before seccomp forbids it; a
     * failure costs the access log file (stderr then) or the admin pages,
     * not the service */
    access_log_open(cfg);
    if (cfg->admin.enabled && admin_start(r->loop, cfg, admin_collect, &r->backends) < 0)
        log_event(LOG_LEVEL_ERROR, "admin_failed", "effect", "no /metrics, /healthz, /status", LOG_END);
    /* not root (a developer's run): nothing to drop but the syscalls */
    if (drop_privileges && geteuid() == 0 && sandbox_child_drop_user(cfg->gateway.user, err, err_len) < 0)
        return -1;
    if (drop_privileges && sandbox_relay_seccomp(err, err_len) < 0)
        return -1;
    return 0;
}

int relay_run(const struct config *cfg, const int *listen_fds, int ipc_fd, bool drop_privileges,
              uint64_t down_mask, const struct tls_ticket_keys *tickets, struct tls_signer *signer)
{
    struct relay r = {.cfg = cfg, .ipc_fd = ipc_fd, .signer = signer};
    char err[512] = "";
    log_setup(cfg->gateway.log_format, 2, LOG_LEVEL_INFO, "relay");
    if (relay_setup(&r, drop_privileges, err, sizeof err) < 0) {
        relay_fatal(ipc_fd, err);
        return 1;
    }
    backend_set_start_down(&r.backends, down_mask);
    if (tickets)
        relay_install_tickets(&r, tickets);
    static struct abuse abuse; /* one relay per process */
    if (cfg->firewall.autoblock && ipc_fd >= 0) {
        abuse_init(&abuse, cfg->firewall.autoblock_threshold, cfg->firewall.autoblock_window_ms);
        r.abuse = &abuse;
    }
    struct worker_listen_slot slots[LISTENER_MAX_SLOTS];
    unsigned n_slots = listener_worker_slots(cfg, listen_fds, slots);
    r.pool = worker_pool_start(cfg, r.tls, &r.backends, r.abuse, slots, n_slots);
    if (!r.pool) {
        relay_fatal(ipc_fd, "could not start the worker threads");
        return 1;
    }
    r.health = health_start(r.loop, cfg, &r.backends);
    if (ipc_fd >= 0) {
        r.ipc_io = (struct loop_io){.fd = ipc_fd, .fn = relay_on_ipc, .arg = &r};
        loop_watch(r.loop, &r.ipc_io, LOOP_READ);
        struct ipc_status st;
        relay_status(&r, &st);
        ipc_send(ipc_fd, IPC_READY, &st, sizeof st);
    }
    char workers[16];
    snprintf(workers, sizeof workers, "%u", cfg->gateway.workers);
    log_event(LOG_LEVEL_INFO, "relay_ready", "workers", workers, "user",
              drop_privileges ? cfg->gateway.user : "(unchanged)", LOG_END);
    r.beat = (struct loop_timer){.fn = on_beat, .arg = &r};
    loop_timer_set(r.loop, &r.beat, RELAY_HEARTBEAT_MS);
    r.history = (struct loop_timer){.fn = on_history, .arg = &r};
    on_history(r.loop, &r.history); /* the charts' starting point */
    loop_run(r.loop);
    health_free(r.health);
    admin_stop();
    worker_pool_free(r.pool);
    if (r.abuse)
        abuse_destroy(r.abuse);
    backend_set_destroy(&r.backends);
    if (r.tls)
        tls_server_unref(r.tls);
    tls_signer_unref(r.signer);
    close(r.sig_io.fd);
    loop_free(r.loop);
    log_event(LOG_LEVEL_INFO, "relay_exit", LOG_END);
    return 0;
}

/* ---- exec'd entry --------------------------------------------------------------- */

/* The start-up messages, in order: CONFIG, BACKENDS, TICKET_KEYS, and
 * KEYHOLDER when the relay serves HTTPS. */
static int receive_one(enum ipc_type type, void *out, size_t len, struct ipc_msg *msg, const char **why)
{
    _Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];
    struct pollfd p = {.fd = RELAY_IPC_FD, .events = POLLIN};
    if (poll(&p, 1, RELAY_CONFIG_WAIT_MS) != 1) {
        *why = "no start-up message from the parent";
        return -1;
    }
    int rc = ipc_recv(RELAY_IPC_FD, buf, msg, why);
    if (rc <= 0 || msg->type != type) {
        if (rc > 0)
            ipc_msg_close_fds(msg);
        *why = rc == 0 ? "parent closed the control socket" : *why ? *why : "unexpected start-up message";
        return -1;
    }
    memcpy(out, msg->payload, len);
    return 0;
}

/* The key holder's channels, one per worker, as a signer. */
static struct tls_signer *receive_keyholder(const struct config *cfg, const char **why)
{
    struct ipc_msg msg;
    struct ipc_keyholder kh;
    if (receive_one(IPC_KEYHOLDER, &kh, sizeof kh, &msg, why) < 0)
        return NULL;
    struct tls_signer *s = NULL;
    if (msg.n_fds == cfg->gateway.workers)
        s = tls_signer_keyholder(msg.fds, msg.n_fds, KEYHOLDER_SIGN_TIMEOUT_MS);
    if (!s) {
        ipc_msg_close_fds(&msg);
        *why = "the key holder's channels do not match the workers";
    }
    return s;
}

static int receive_config(struct config *cfg, uint64_t *down_mask, struct tls_ticket_keys *tickets,
                          struct tls_signer **signer, const char **why)
{
    struct ipc_msg msg;
    if (receive_one(IPC_CONFIG, cfg, sizeof *cfg, &msg, why) < 0 || ipc_config_check(cfg, why) < 0 ||
        receive_one(IPC_BACKENDS, down_mask, sizeof *down_mask, &msg, why) < 0 ||
        receive_one(IPC_TICKET_KEYS, tickets, sizeof *tickets, &msg, why) < 0)
        return -1;
    if (cfg->gateway.n_https > 0 && !(*signer = receive_keyholder(cfg, why)))
        return -1;
    return 0;
}

int relay_main(void)
{
    /* exec'd as /proc/self/exe, the kernel named us "exe": say what we are */
    prctl(PR_SET_NAME, "rampart-relay");
    static struct config cfg;
    static int fds[LISTENER_MAX_FDS];
    const char *why = NULL;
    uint64_t down_mask = 0;
    static struct tls_ticket_keys tickets;
    struct tls_signer *signer = NULL;
    if (receive_config(&cfg, &down_mask, &tickets, &signer, &why) < 0) {
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
    return relay_run(&cfg, fds, RELAY_IPC_FD, true, down_mask, &tickets, signer);
}
