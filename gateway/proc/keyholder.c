/*
 * keyholder: the key holder process. Its main thread talks to the parent;
 * one thread per channel answers the relay's workers. See keyholder.h.
 */
#include "gateway/proc/keyholder.h"
#include "gateway/proc/child.h"
#include "gateway/proc/ipc.h"
#include "gateway/proc/sandbox.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "tls/tls.h"
#include "tls/tls_keyring.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CONFIG_MAX_WORKERS <= IPC_MAX_FDS, "every channel travels in one IPC_KEYHOLDER");
_Static_assert(TLS_KEYREQ_STATUS_END == ADMIN_KEYS_STATUS_KINDS, "every answer is counted");

struct keyholder_chan {
    const struct tls_keyring *kr;
    struct keyholder_counts *counts;
    unsigned index;
    int fd;
    pthread_t thread;
    struct ratelimit log; /* keyholder_refused lines of this channel */
};

static uint64_t keyholder_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A SOCK_SEQPACKET read of 0 bytes is either the end or an empty
 * message: only the end sets POLLHUP. */
static bool keyholder_peer_closed(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLERR)) != 0;
}

int keyholder_serve_one(const struct tls_keyring *kr, int fd, struct keyholder_counts *counts,
                        enum tls_keyreq_status *status)
{
    /* one byte more than a request: a longer message is seen as too long */
    uint8_t req[TLS_KEYREQ_SIZE + 1], rep[TLS_KEYREP_MAX];
    ssize_t n = recv(fd, req, sizeof req, MSG_TRUNC);
    if (n < 0)
        return -1;
    if (n == 0 && keyholder_peer_closed(fd))
        return 0; /* else an empty message, refused like any other size */
    size_t len = (size_t)n < sizeof req ? (size_t)n : sizeof req;
    size_t out = tls_keyring_answer(kr, req, len, rep, sizeof rep, status);
    atomic_fetch_add_explicit(&counts->answers[*status], 1, memory_order_relaxed);
    if (out > 0 && send(fd, rep, out, MSG_NOSIGNAL) < 0)
        return -1;
    return 1;
}

static void keyholder_log_refusal(struct keyholder_chan *ch, enum tls_keyreq_status status)
{
    uint64_t skipped;
    if (!ratelimit_allow(&ch->log, keyholder_now_ms(), RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS,
                         &skipped))
        return;
    char index[16], n[24];
    snprintf(index, sizeof index, "%u", ch->index);
    snprintf(n, sizeof n, "%llu", (unsigned long long)skipped);
    log_event(LOG_LEVEL_WARN, "keyholder_refused", "channel", index, "reason", tls_keyreq_status_name(status),
              skipped ? "suppressed" : LOG_END, n, LOG_END);
}

static void *keyholder_chan_main(void *arg)
{
    struct keyholder_chan *ch = arg;
    char name[16];
    snprintf(name, sizeof name, "rampart-k%u", ch->index);
    pthread_setname_np(pthread_self(), name);
    for (;;) {
        enum tls_keyreq_status status = TLS_KEYREQ_OK;
        int rc = keyholder_serve_one(ch->kr, ch->fd, ch->counts, &status);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            break; /* the relay is gone: this channel is done */
        if (status != TLS_KEYREQ_OK)
            keyholder_log_refusal(ch, status);
    }
    return NULL;
}

/* ---- the parent's side -------------------------------------------------------------------- */

static void keyholder_fatal(const char *why)
{
    log_event(LOG_LEVEL_ERROR, "keyholder_failed", "reason", why, LOG_END);
    ipc_send(CHILD_IPC_FD, IPC_FATAL, why, strnlen(why, IPC_TEXT_MAX));
}

static int keyholder_receive_config(struct config *cfg, const char **why)
{
    _Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];
    struct pollfd p = {.fd = CHILD_IPC_FD, .events = POLLIN};
    struct ipc_msg msg;
    if (poll(&p, 1, KEYHOLDER_CONFIG_WAIT_MS) != 1) {
        *why = "no configuration from the parent";
        return -1;
    }
    int rc = ipc_recv(CHILD_IPC_FD, buf, &msg, why);
    if (rc <= 0 || msg.type != IPC_CONFIG) {
        if (rc > 0)
            ipc_msg_close_fds(&msg);
        *why = rc == 0 ? "parent closed the control socket" : *why ? *why : "unexpected start-up message";
        return -1;
    }
    memcpy(cfg, msg.payload, sizeof *cfg);
    return ipc_config_check(cfg, why);
}

static void keyholder_send_status(const struct tls_keyring *kr, const struct keyholder_counts *counts)
{
    struct admin_keyholder_status st = {.keys = tls_keyring_count(kr)};
    for (unsigned i = 0; i < TLS_KEYREQ_STATUS_END; i++)
        st.answers[i] = atomic_load_explicit(&counts->answers[i], memory_order_relaxed);
    ipc_send(CHILD_IPC_FD, IPC_KEYS_STATUS, &st, sizeof st);
}

/* The parent's commands until it closes the socket or says DRAIN;
 * the counts every KEYHOLDER_STATUS_MS. */
static int keyholder_loop(const struct tls_keyring *kr, const struct keyholder_counts *counts)
{
    _Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];
    uint64_t next = 0;
    for (;;) {
        uint64_t now = keyholder_now_ms();
        if (now >= next) {
            keyholder_send_status(kr, counts);
            next = now + KEYHOLDER_STATUS_MS;
        }
        struct pollfd p = {.fd = CHILD_IPC_FD, .events = POLLIN};
        if (poll(&p, 1, (int)(next - now)) <= 0)
            continue;
        struct ipc_msg msg;
        const char *why = NULL;
        int rc = ipc_recv(CHILD_IPC_FD, buf, &msg, &why);
        if (rc < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (rc <= 0 || msg.type == IPC_DRAIN)
            return rc < 0 ? 1 : 0;
        ipc_msg_close_fds(&msg); /* nothing else is meant for the key holder */
    }
}

/* The channels from CHILD_FIRST_FD on: n sockets, as the parent said. */
static int keyholder_channels(unsigned n, struct keyholder_chan *chans, const struct tls_keyring *kr,
                              struct keyholder_counts *counts)
{
    for (unsigned i = 0; i < n; i++) {
        struct stat st;
        int fd = CHILD_FIRST_FD + (int)i;
        if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
            return -1;
        chans[i] = (struct keyholder_chan){.kr = kr, .counts = counts, .index = i, .fd = fd};
    }
    return 0;
}

/* Everything that needs the key files happens here, before the drop. */
static int keyholder_setup(const struct config *cfg, struct tls_keyring **kr, bool *dropped, char *err,
                           size_t err_len)
{
    if (tls_global_init() < 0)
        return snprintf(err, err_len, "TLS initialisation failed"), -1;
    if (!(*kr = tls_keyring_load(&cfg->tls.server, err, err_len)))
        return -1;
    tzset(); /* read /etc/localtime now: the filter forbids opening files later */
    /* not root (a developer's run): nothing to drop but the system calls */
    *dropped = geteuid() == 0;
    if (*dropped && sandbox_child_drop_user(cfg->gateway.keyholder_user, err, err_len) < 0)
        return -1;
    /* nobody but root may trace it or read its memory (the user switch
     * usually did this already; it must not depend on suid_dumpable) */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return sandbox_keyholder_seccomp(err, err_len);
}

static int keyholder_start_threads(struct keyholder_chan *chans, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int rc = pthread_create(&chans[i].thread, NULL, keyholder_chan_main, &chans[i]);
        if (rc != 0)
            return errno = rc, -1;
    }
    return 0;
}

/* Ctrl-C or a signal to the whole process group must not end the key
 * holder before its relay has drained: it ends when the parent closes its
 * control socket (or dies: PR_SET_PDEATHSIG). Blocked before any thread
 * starts, so every thread has them blocked. */
static void keyholder_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

int keyholder_main(void)
{
    prctl(PR_SET_NAME, "rampart-keys");
    keyholder_block_signals();
    static struct config cfg;
    static struct keyholder_chan chans[CONFIG_MAX_WORKERS];
    static struct keyholder_counts counts;
    const char *why = NULL;
    if (keyholder_receive_config(&cfg, &why) < 0) {
        keyholder_fatal(why);
        return 1;
    }
    log_setup(cfg.gateway.log_format, 2, LOG_LEVEL_INFO, "keyholder");
    struct tls_keyring *kr = NULL;
    bool dropped = false;
    char err[512] = "";
    if (keyholder_channels(cfg.gateway.workers, chans, kr, &counts) < 0) {
        keyholder_fatal("channels to the relay missing from the parent");
        return 1;
    }
    if (keyholder_setup(&cfg, &kr, &dropped, err, sizeof err) < 0) {
        keyholder_fatal(err);
        return 1;
    }
    for (unsigned i = 0; i < cfg.gateway.workers; i++)
        chans[i].kr = kr;
    if (keyholder_start_threads(chans, cfg.gateway.workers) < 0) {
        keyholder_fatal("could not start the channel threads");
        return 1;
    }
    char keys[16];
    snprintf(keys, sizeof keys, "%u", tls_keyring_count(kr));
    log_event(LOG_LEVEL_INFO, "keyholder_ready", "keys", keys, "user",
              dropped ? cfg.gateway.keyholder_user : "(unchanged)", LOG_END);
    /* the keys stay mapped until the process ends: the channel threads may
     * be in the middle of a signature when the parent says stop */
    return keyholder_loop(kr, &counts);
}
