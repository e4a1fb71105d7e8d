/*
 * acme_main: the ACME process. See acme_main.h.
 */
#include "gateway/proc/acme_main.h"

#include "common/log.h"
#include "gateway/proc/child.h"
#include "gateway/proc/ipc.h"
#include "gateway/proc/sandbox.h"
#include "tls/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static struct acme_ctx ctx;
static uint32_t main_seq;
static bool main_parent_gone;

static int64_t main_now_ms(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void main_fatal(const char *why)
{
    log_event(LOG_LEVEL_ERROR, "acme_failed", "reason", why, LOG_END);
    ipc_send(CHILD_IPC_FD, IPC_FATAL, why, strnlen(why, IPC_TEXT_MAX));
}

/* ---- the parent's socket ---------------------------------------------------------------------------- */

/* Messages until until_ms (at least those waiting now): 1 when the ACK
 * of seq came (*ok its word), 0 at until_ms (or earlier, waiting without
 * seq, when the role changes), -1 when the parent is gone (closed,
 * DRAIN, or broke the protocol). */
static int main_poll(int64_t until_ms, uint32_t seq, bool *ok)
{
    _Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];
    while (!main_parent_gone) {
        int64_t left = until_ms - main_now_ms(NULL);
        if (left < 0)
            left = 0;
        struct pollfd p = {.fd = CHILD_IPC_FD, .events = POLLIN};
        if (poll(&p, 1, left > ACME_IDLE_WAKE_MS ? ACME_IDLE_WAKE_MS : (int)left) <= 0) {
            if (left == 0)
                return 0;
            continue;
        }
        struct ipc_msg msg;
        const char *why = NULL;
        int rc = ipc_recv(CHILD_IPC_FD, buf, &msg, &why);
        if (rc < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (rc <= 0 || msg.type == IPC_DRAIN) {
            main_parent_gone = true;
            break;
        }
        ipc_msg_close_fds(&msg);
        if (msg.type != IPC_ACME_ACK) {
            if (acme_peer_on_message(&ctx, &msg) && seq == 0)
                return 0; /* the role changed: the order or the schedule is looked at again */
            continue;
        }
        struct acme_ack ack;
        memcpy(&ack, msg.payload, sizeof ack);
        if (seq && ack.seq == seq) {
            *ok = ack.ok == 1;
            return 1;
        }
    }
    return -1;
}

static int main_wait_until(void *arg, int64_t at_ms)
{
    (void)arg;
    bool ok;
    return main_poll(at_ms, 0, &ok) < 0 ? -1 : 0;
}

static bool main_publish(void *arg, const struct acme_req *req)
{
    (void)arg;
    struct acme_token t = {.op = ACME_TOKEN_PUBLISH, .type = (uint32_t)req->chal_type, .seq = ++main_seq};
    snprintf(t.identifier, sizeof t.identifier, "%s", req->identifier);
    snprintf(t.token, sizeof t.token, "%s", req->token);
    snprintf(t.key_auth, sizeof t.key_auth, "%s", req->key_auth);
    bool ok = false;
    if (ipc_send(CHILD_IPC_FD, IPC_ACME_TOKEN, &t, sizeof t) < 0 ||
        main_poll(main_now_ms(NULL) + ACME_PUBLISH_WAIT_MS, t.seq, &ok) != 1)
        return false;
    return ok;
}

static void main_withdraw(void *arg, const struct acme_published *p)
{
    (void)arg;
    struct acme_token t = {.op = ACME_TOKEN_WITHDRAW, .type = (uint32_t)p->type, .seq = ++main_seq};
    snprintf(t.identifier, sizeof t.identifier, "%s", p->identifier);
    snprintf(t.token, sizeof t.token, "%s", p->token);
    ipc_send(CHILD_IPC_FD, IPC_ACME_TOKEN, &t, sizeof t);
}

/* Between two steps of an order: what the parent said meanwhile is read
 * (without waiting), the order's URL shared; false when this node no
 * longer leads. */
static bool main_step(void *arg, const struct acme_order *o)
{
    (void)arg;
    bool ok;
    main_poll(main_now_ms(NULL), 0, &ok);
    acme_peer_share_order(&ctx, o);
    return ctx.lead && !main_parent_gone;
}

static void main_send_cert(struct acme_ctx *c, const struct acme_cert_msg *m)
{
    (void)c;
    if (ipc_send(CHILD_IPC_FD, IPC_ACME_CERT, m, sizeof *m) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_handover_failed", "name", m->name, "error", strerror(errno),
                  LOG_END);
}

static void main_send_status(void)
{
    static struct acme_status_msg st;
    acme_certs_status(&ctx, &st);
    ipc_send(CHILD_IPC_FD, IPC_ACME_STATUS, &st, sizeof st);
}

/* ---- set-up ---------------------------------------------------------------------------------------- */

static int main_receive_config(struct config *cfg, const char **why)
{
    _Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];
    struct pollfd p = {.fd = CHILD_IPC_FD, .events = POLLIN};
    struct ipc_msg msg;
    if (poll(&p, 1, ACME_CONFIG_WAIT_MS) != 1)
        return *why = "no configuration from the parent", -1;
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

static char *main_read_ca(const char *path, size_t *len, char *err, size_t err_len)
{
    FILE *f = fopen(path, "re");
    char *buf = malloc(ACME_HTTP_CA_MAX + 1);
    size_t n = f && buf ? fread(buf, 1, ACME_HTTP_CA_MAX + 1, f) : 0;
    if (f)
        fclose(f);
    if (n == 0 || n > ACME_HTTP_CA_MAX) {
        snprintf(err, err_len, "acme_ca_file '%s': %s", path,
                 n   ? "larger than 512 KB"
                 : f ? "empty"
                     : strerror(errno));
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* The directory's host and port: the resolver is loaded with one lookup
 * (its modules are opened now, not under the sandbox), and the port is
 * the only one TCP may reach. */
static unsigned main_server_port(const char *url)
{
    char host[256];
    const char *h = url + strlen("https://");
    size_t n = strcspn(h, "/?#");
    if (n >= sizeof host)
        return 443;
    memcpy(host, h, n);
    host[n] = '\0';
    char *end = host[0] == '[' ? strchr(host, ']') : host;
    char *colon = end ? strrchr(end, ':') : NULL;
    unsigned port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 443;
    if (colon)
        *colon = '\0';
    char *name = host;
    if (host[0] == '[' && end) {
        *end = '\0';
        name = host + 1;
    }
    struct addrinfo *ai = NULL, hints = {.ai_socktype = SOCK_STREAM};
    if (getaddrinfo(name, NULL, &hints, &ai) == 0)
        freeaddrinfo(ai);
    return port && port < 65536 ? port : 443;
}

static int main_sandbox(const struct config *cfg, char *err, size_t err_len)
{
    const struct config_acme *a = &cfg->tls.acme;
    if (geteuid() == 0 && sandbox_child_drop_user(a->user, err, err_len) < 0)
        return -1;
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    ctx.dfd = open(a->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (ctx.dfd < 0)
        return snprintf(err, err_len, "acme_state_dir '%s': %s", a->state_dir, strerror(errno)), -1;
    unsigned ports[] = {main_server_port(a->directory), 53};
    int abi = 0;
    if (sandbox_acme_landlock(a->state_dir, ports, 2, &abi, err, err_len) < 0)
        return -1;
    if (abi < 1)
        log_event(LOG_LEVEL_WARN, "acme_no_landlock", "effect",
                  "the filesystem is not confined (seccomp only)", LOG_END);
    return sandbox_acme_seccomp(err, err_len);
}

static int main_setup(const struct config *cfg, char *err, size_t err_len)
{
    size_t ca_len = 0;
    if (tls_global_init() < 0)
        return snprintf(err, err_len, "TLS initialisation failed"), -1;
    char *ca = main_read_ca(cfg->tls.acme.ca_file, &ca_len, err, err_len);
    if (!ca)
        return -1;
    ctx.http = acme_http_new(ca, ca_len, 0, err, err_len);
    free(ca);
    tzset();
    if (!ctx.http || main_sandbox(cfg, err, err_len) < 0)
        return -1;
    return acme_certs_account(&ctx, err, err_len);
}

/* ---- the loop -------------------------------------------------------------------------------------- */

static void main_loop(void)
{
    main_send_status();
    while (!main_parent_gone) {
        int64_t at_s;
        bool ari = false;
        unsigned i = acme_certs_next(&ctx, &at_s, &ari);
        int64_t now_s = (int64_t)time(NULL);
        if (ctx.n_certs && at_s <= now_s && ctx.lead) { /* a follower never starts an order */
            if (ari)
                acme_certs_ari(&ctx, &ctx.certs[i]);
            else
                acme_certs_order(&ctx, &ctx.certs[i]);
            main_send_status();
            continue;
        }
        /* a follower waits for its role to change (main_poll returns then) */
        int64_t wait_ms = ctx.lead ? (at_s - now_s) * 1000 : ACME_IDLE_WAKE_MS;
        main_wait_until(NULL,
                        main_now_ms(NULL) + (wait_ms < ACME_IDLE_WAKE_MS ? wait_ms : ACME_IDLE_WAKE_MS));
        if (ctx.status_dirty) {
            ctx.status_dirty = false;
            main_send_status();
        }
    }
}

static void main_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

int acme_main(void)
{
    static struct config cfg;
    prctl(PR_SET_NAME, "rampart-acme");
    main_block_signals(); /* it ends when its parent's socket does */
    const char *why = NULL;
    if (main_receive_config(&cfg, &why) < 0) {
        main_fatal(why);
        return 1;
    }
    log_setup(cfg.gateway.log_format, 2, LOG_LEVEL_INFO, "acme");
    char err[512] = "";
    ctx.cfg = &cfg;
    ctx.dfd = -1;
    ctx.send_cert = main_send_cert;
    ctx.share_account = acme_peer_send_account;
    ctx.order_ended = acme_peer_order_ended;
    ctx.hooks = (struct acme_client_hooks){.now_ms = main_now_ms,
                                           .wait_until = main_wait_until,
                                           .publish = main_publish,
                                           .withdraw = main_withdraw,
                                           .step = main_step};
    if (main_setup(&cfg, err, sizeof err) < 0) {
        main_fatal(err);
        return 1;
    }
    acme_certs_load(&ctx);
    log_event(LOG_LEVEL_INFO, "acme_ready", "directory", cfg.tls.acme.directory, "account",
              ctx.acct.kid[0] ? ctx.acct.kid : "(new)", "user",
              geteuid() == 0 ? "(unchanged)" : cfg.tls.acme.user, LOG_END);
    main_loop();
    return 0;
}
