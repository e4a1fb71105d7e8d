/*
 * parent_acme: the ACME process as the parent keeps it, and what it
 * says. See parent_acme.h.
 */
#include "gateway/proc/parent_acme.h"

#include "common/log.h"
#include "gateway/proc/acme_main.h"
#include "gateway/proc/child.h"
#include "gateway/proc/ipc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void acme_on_ipc(struct loop *loop, struct loop_io *io, unsigned events);
static void ack_peer_wait_fire(struct loop *loop, struct loop_timer *t);

static void acme_respawn_fire(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    parent_acme_start(t->arg);
}

int parent_acme_init(struct parent_acme *pa, struct loop *loop, const struct config *cfg, bool drop,
                     char *err, size_t err_len)
{
    pa->loop = loop;
    pa->cfg = cfg;
    pa->io.fd = -1;
    pa->respawn = (struct loop_timer){.fn = acme_respawn_fire, .arg = pa};
    pa->ack_peer_wait = (struct loop_timer){.fn = ack_peer_wait_fire, .arg = pa};
    pa->respawn_ms = PARENT_ACME_RESPAWN_MS;
    pa->user = (struct sandbox_child){.role = "acme"};
    pa->root = geteuid() == 0;
    snprintf(pa->user_name, sizeof pa->user_name, "%s", cfg->tls.acme.user);
    if (!drop)
        return 0;
    return sandbox_child_user(cfg->tls.acme.user, "acme", &pa->user, err, err_len);
}

void parent_acme_start(struct parent_acme *pa)
{
    char err[256];
    if (!pa->loop || !pa->cfg->tls.acme.enabled || pa->pid > 0)
        return;
    /* the parent's filter pinned the users its children may become at
     * start: another ACME user (or ACME turned on) needs a restart */
    if (pa->root && (!pa->user.drop || strcmp(pa->user_name, pa->cfg->tls.acme.user) != 0)) {
        log_event(LOG_LEVEL_WARN, "acme_not_started", "reason",
                  "[tls] acme or acme_user changed by a reload: takes effect at the next restart", LOG_END);
        return;
    }
    int fd = -1;
    pid_t pid = child_spawn(ACME_ARGV_FLAG, NULL, 0, pa->user.drop ? &pa->user : NULL, &fd, err, sizeof err);
    if (pid < 0) {
        log_event(LOG_LEVEL_ERROR, "acme_start_failed", "reason", err, LOG_END);
        loop_timer_set(pa->loop, &pa->respawn, pa->respawn_ms);
        return;
    }
    pa->pid = pid;
    parent_acme_attach(pa, fd);
    char p[16];
    snprintf(p, sizeof p, "%d", (int)pid);
    log_event(LOG_LEVEL_INFO, "acme_started", "pid", p, "user",
              pa->user.drop ? pa->cfg->tls.acme.user : "(parent's)", LOG_END);
}

void parent_acme_attach(struct parent_acme *pa, int fd)
{
    pa->io = (struct loop_io){.fd = fd, .fn = acme_on_ipc, .arg = pa};
    if (ipc_send(fd, IPC_CONFIG, pa->cfg, sizeof *pa->cfg) < 0 ||
        loop_watch(pa->loop, &pa->io, LOOP_READ) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_start_failed", "reason", strerror(errno), LOG_END);
    if (pa->pair)
        pa->pair(pa->arg, IPC_CONFIG, NULL); /* its role, the peer's account and orders */
}

static void acme_close(struct parent_acme *pa)
{
    if (!pa->loop || pa->io.fd < 0)
        return;
    pa->ack_pending = false; /* a publish waiting dies with the process */
    loop_timer_clear(pa->loop, &pa->ack_peer_wait);
    loop_unwatch(pa->loop, &pa->io);
    close(pa->io.fd);
    pa->io.fd = -1;
}

void parent_acme_stop(struct parent_acme *pa)
{
    if (!pa->loop)
        return;
    loop_timer_clear(pa->loop, &pa->respawn);
    acme_close(pa);
    if (pa->pid > 0)
        sandbox_signal_relay(pa->pid, SIGKILL);
}

bool parent_acme_reaped(struct parent_acme *pa, pid_t pid, const char *how)
{
    if (pa->pid <= 0 || pid != pa->pid)
        return false;
    char p[16], d[24];
    snprintf(p, sizeof p, "%d", (int)pid);
    snprintf(d, sizeof d, "%llums", (unsigned long long)pa->respawn_ms);
    pa->pid = 0;
    acme_close(pa);
    if (pa->tokens.n) { /* its answers die with it */
        pa->tokens.n = 0;
        pa->tokens_changed(pa->arg);
    }
    if (!pa->cfg->tls.acme.enabled)
        return true;
    log_event(LOG_LEVEL_WARN, "acme_exited", "pid", p, "how", how, "restart_in", d, LOG_END);
    loop_timer_set(pa->loop, &pa->respawn, pa->respawn_ms);
    pa->respawn_ms =
        pa->respawn_ms * 2 > PARENT_ACME_RESPAWN_MAX_MS ? PARENT_ACME_RESPAWN_MAX_MS : pa->respawn_ms * 2;
    return true;
}

void parent_acme_reload(struct parent_acme *pa, const struct config *cfg)
{
    bool changed =
        memcmp(&cfg->tls.acme, &pa->cfg->tls.acme, sizeof cfg->tls.acme) != 0 ||
        cfg->tls.server.n_certs != pa->cfg->tls.server.n_certs ||
        memcmp(cfg->tls.server.certs, pa->cfg->tls.server.certs, sizeof cfg->tls.server.certs) != 0;
    pa->cfg = cfg;
    if (!changed)
        return;
    if (pa->pid > 0) { /* the next one starts with cfg once this one is reaped */
        acme_close(pa);
        sandbox_signal_relay(pa->pid, SIGKILL);
        pa->respawn_ms = PARENT_ACME_RESPAWN_MS;
        return;
    }
    parent_acme_start(pa);
}

void parent_acme_send(struct parent_acme *pa, enum ipc_type type, const void *msg, size_t len)
{
    if (pa->loop && pa->io.fd >= 0)
        ipc_send(pa->io.fd, type, msg, len);
}

void parent_acme_peer_tokens(struct parent_acme *pa, const char *name, const struct acme_token *tokens,
                             unsigned n)
{
    struct acme_token_set *s = &pa->peer_tokens;
    uint32_t kept = 0, before = s->n;
    for (uint32_t i = 0; i < s->n; i++)
        if (name && strcasecmp(s->t[i].identifier, name) != 0)
            s->t[kept++] = s->t[i];
    s->n = kept;
    for (unsigned i = 0; i < n && s->n < ACME_TOKENS_MAX; i++)
        s->t[s->n++] = tokens[i];
    if (before || s->n) {
        s->generation++;
        pa->tokens_changed(pa->arg);
    }
}

uint32_t parent_acme_generation(const struct parent_acme *pa)
{
    return pa->tokens.generation + pa->peer_tokens.generation;
}

void parent_acme_report(const struct parent_acme *pa, int relay_fd)
{
    if (!pa->cfg->tls.acme.enabled)
        return;
    /* the relays get one table: this node's answers, then the peer's */
    static struct acme_token_set all;
    all = pa->tokens;
    all.generation = parent_acme_generation(pa);
    for (uint32_t i = 0; i < pa->peer_tokens.n && all.n < ACME_TOKENS_MAX; i++)
        all.t[all.n++] = pa->peer_tokens.t[i];
    ipc_send(relay_fd, IPC_ACME_TOKENS, &all, sizeof all);
    if (pa->have_status)
        ipc_send(relay_fd, IPC_ACME_STATUS, &pa->status, sizeof pa->status);
}

/* The publish is acknowledged once every relay that may be asked for it
 * serves it: this node's, and the peer's while a session is up. */
static void ack_release(struct parent_acme *pa)
{
    if (!pa->ack_pending || !pa->ack_relay_done || pa->ack_peer_wanted)
        return;
    loop_timer_clear(pa->loop, &pa->ack_peer_wait);
    struct acme_ack ack = {.seq = pa->ack_seq, .ok = 1};
    pa->ack_pending = false;
    if (pa->io.fd >= 0)
        ipc_send(pa->io.fd, IPC_ACME_ACK, &ack, sizeof ack);
}

static void ack_peer_wait_fire(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct parent_acme *pa = t->arg;
    log_event(LOG_LEVEL_WARN, "acme_peer_not_serving", "token", pa->ack_token, "effect",
              "the ACME server is told to look; it may reach only this node", LOG_END);
    pa->ack_peer_wanted = false;
    ack_release(pa);
}

void parent_acme_relay_ack(struct parent_acme *pa, uint32_t generation)
{
    if (!pa->loop)
        return;
    if (pa->served)
        pa->served(pa->arg, generation);
    if (!pa->ack_pending || generation < pa->ack_generation)
        return;
    pa->ack_relay_done = true;
    ack_release(pa);
}

void parent_acme_peer_served(struct parent_acme *pa, const char *token)
{
    if (!pa->loop || !pa->ack_pending || !pa->ack_peer_wanted || (token && strcmp(token, pa->ack_token) != 0))
        return;
    if (token)
        log_event(LOG_LEVEL_INFO, "acme_challenge_served_by_peer", "token", token, LOG_END);
    pa->ack_peer_wanted = false;
    ack_release(pa);
}

/* ---- what it says ------------------------------------------------------------------------------------ */

static bool acme_name_ours(const struct config *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->tls.server.n_certs; i++)
        if (strcasecmp(cfg->tls.server.certs[i].server_name, name) == 0)
            return true;
    return false;
}

/* The table after t (checked): 1 changed, 0 not, -1 full. */
static int acme_tokens_apply(struct acme_token_set *s, const struct acme_token *t)
{
    for (uint32_t i = 0; i < s->n; i++) {
        if (strcmp(s->t[i].token, t->token) != 0)
            continue;
        if (t->op == ACME_TOKEN_WITHDRAW)
            s->t[i] = s->t[--s->n];
        else
            s->t[i] = *t, s->t[i].op = 0, s->t[i].seq = 0;
        return 1;
    }
    if (t->op == ACME_TOKEN_WITHDRAW)
        return 0;
    if (s->n == ACME_TOKENS_MAX)
        return -1;
    s->t[s->n] = *t;
    s->t[s->n].op = 0;
    s->t[s->n++].seq = 0;
    return 1;
}

static void acme_on_token(struct parent_acme *pa, const void *payload)
{
    struct acme_token t;
    const char *why = NULL;
    memcpy(&t, payload, sizeof t);
    struct acme_ack ack = {.seq = t.seq, .ok = 0};
    int rc = -1;
    if (acme_msg_token_check(&t, true, &why) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_token_refused", "reason", why, LOG_END);
    else if (!acme_name_ours(pa->cfg, t.identifier))
        log_event(LOG_LEVEL_ERROR, "acme_token_refused", "reason", "not a name of [tls]", "name",
                  t.identifier, LOG_END);
    else if ((rc = acme_tokens_apply(&pa->tokens, &t)) < 0)
        log_event(LOG_LEVEL_ERROR, "acme_token_refused", "reason", "too many answers published", LOG_END);
    if (rc > 0) {
        pa->tokens.generation++;
        pa->tokens_changed(pa->arg);
        if (pa->pair)
            pa->pair(pa->arg, IPC_ACME_TOKEN, &t); /* the peer serves them too */
    }
    ack.ok = rc >= 0;
    if (t.op == ACME_TOKEN_PUBLISH && rc >= 0)
        log_event(LOG_LEVEL_INFO, "acme_challenge_published", "name", t.identifier, "type",
                  acme_challenge_type_name((enum acme_challenge_type)t.type), LOG_END);
    /* a publish is acknowledged once the serving relay has the set (a
     * relay still starting gets it when it is ready): only then may the
     * server come and look */
    if (t.op == ACME_TOKEN_PUBLISH && rc > 0) {
        loop_timer_clear(pa->loop, &pa->ack_peer_wait); /* one publish at a time: a new one replaces it */
        pa->ack_pending = true;
        pa->ack_seq = t.seq;
        pa->ack_generation = parent_acme_generation(pa);
        pa->ack_relay_done = false;
        pa->ack_peer_wanted = pa->peer_serving;
        snprintf(pa->ack_token, sizeof pa->ack_token, "%s", t.token);
        if (pa->ack_peer_wanted)
            loop_timer_set(pa->loop, &pa->ack_peer_wait, PARENT_ACME_PEER_WAIT_MS);
        return;
    }
    ipc_send(pa->io.fd, IPC_ACME_ACK, &ack, sizeof ack);
}

static void acme_on_cert(struct parent_acme *pa, const void *payload)
{
    static struct acme_cert_msg m;
    const char *why = NULL;
    char err[256];
    memcpy(&m, payload, sizeof m);
    int rc = parent_acme_install(pa->cfg, &m, &why, err, sizeof err);
    if (rc >= 0 && pa->pair)
        pa->pair(pa->arg, IPC_ACME_CERT, &m); /* the peer serves it too */
    explicit_bzero(m.key, sizeof m.key);
    if (rc < 0) {
        pa->refused_total++;
        log_event(LOG_LEVEL_ERROR, "acme_certificate_refused", "name", m.name, "reason", why, "detail",
                  err[0] ? err : NULL, LOG_END);
        return;
    }
    if (rc == 0)
        return; /* what the files hold already (the ACME process's start) */
    pa->installed_total++;
    log_event(LOG_LEVEL_INFO, "acme_certificate_installed", "name", m.name, "effect",
              "reloading: the new relay serves it, the old one drains", LOG_END);
    pa->installed(pa->arg);
}

/* ACME_ACCOUNT, ACME_ORDER: checked, for the peer. */
static void acme_on_share(struct parent_acme *pa, const struct ipc_msg *msg)
{
    static union {
        struct acme_account_msg account;
        struct acme_order_msg order;
    } u;
    const char *why = NULL;
    memcpy(&u, msg->payload, msg->len);
    int rc = msg->type == IPC_ACME_ACCOUNT ? acme_msg_account_check(&u.account, &why)
                                           : acme_msg_order_check(&u.order, &why);
    if (rc == 0 && msg->type == IPC_ACME_ORDER &&
        (u.order.index >= pa->cfg->tls.server.n_certs ||
         strcasecmp(pa->cfg->tls.server.certs[u.order.index].server_name, u.order.name) != 0))
        rc = -1, why = "not a certificate of [tls]";
    if (rc < 0)
        log_event(LOG_LEVEL_ERROR, "acme_share_refused", "type", ipc_type_name(msg->type), "reason", why,
                  LOG_END);
    else if (pa->pair)
        pa->pair(pa->arg, msg->type, &u);
    explicit_bzero(&u, sizeof u);
}

static void acme_on_message(void *arg, struct ipc_msg *msg)
{
    struct parent_acme *pa = arg;
    switch (msg->type) {
    case IPC_ACME_ACCOUNT:
    case IPC_ACME_ORDER: acme_on_share(pa, msg); break;
    case IPC_ACME_TOKEN: acme_on_token(pa, msg->payload); break;
    case IPC_ACME_CERT: acme_on_cert(pa, msg->payload); break;
    case IPC_ACME_STATUS: {
        const char *why = NULL;
        memcpy(&pa->status, msg->payload, sizeof pa->status);
        pa->have_status = acme_msg_status_check(&pa->status, &why) == 0;
        if (pa->have_status)
            pa->respawn_ms = PARENT_ACME_RESPAWN_MS; /* it runs: the backoff starts over */
        pa->tokens_changed(pa->arg);
        break;
    }
    case IPC_FATAL: {
        char why[IPC_TEXT_MAX + 1];
        snprintf(why, sizeof why, "%.*s", (int)msg->len, (const char *)msg->payload);
        log_event(LOG_LEVEL_ERROR, "acme_failed", "reason", why, LOG_END);
        break;
    }
    default:
        ipc_msg_close_fds(msg);
        log_event(LOG_LEVEL_WARN, "ipc_unexpected", "from", "acme", "type", ipc_type_name(msg->type),
                  LOG_END);
    }
}

static void acme_on_ipc(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct parent_acme *pa = io->arg;
    const char *why = NULL;
    if (ipc_receive(io->fd, acme_on_message, pa, &why) == 0)
        return;
    if (why)
        log_event(LOG_LEVEL_ERROR, "ipc_error", "from", "acme", "reason", why, LOG_END);
    acme_close(pa); /* it is reaped, then started again */
    if (pa->pid > 0)
        sandbox_signal_relay(pa->pid, SIGKILL);
}
