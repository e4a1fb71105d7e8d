/*
 * parent_keys: supervision of the key holders. See parent_keys.h.
 */
#include "gateway/proc/parent_keys.h"
#include "gateway/proc/keyholder.h"
#include "gateway/proc/parent.h"
#include "gateway/proc/supervise.h"
#include "common/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static void keys_log(enum log_level level, const char *event, pid_t pid, const char *key, const char *value)
{
    char p[16];
    snprintf(p, sizeof p, "%d", (int)pid);
    log_event(level, event, "pid", p, key, value, LOG_END);
}

int parent_keys_init(struct parent_keys *pk, struct loop *loop, const char *user, bool drop, char *err,
                     size_t err_len)
{
    pk->loop = loop;
    pk->user = (struct sandbox_child){.role = "key holder"};
    return drop ? sandbox_child_user(user, "key holder", &pk->user, err, err_len) : 0;
}

/* ---- its messages ----------------------------------------------------------------------------- */

static void keys_unexpected(struct parent_keys *pk, struct keyholder_proc *kh, enum ipc_type type)
{
    uint64_t skipped;
    if (!ratelimit_allow(&pk->ipc_log, loop_now_ms(pk->loop), RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS,
                         &skipped))
        return;
    char pid[16], n[24];
    snprintf(pid, sizeof pid, "%d", (int)kh->pid);
    snprintf(n, sizeof n, "%llu", (unsigned long long)skipped);
    log_event(LOG_LEVEL_WARN, "ipc_unexpected", "pid", pid, "from", "keyholder", "type", ipc_type_name(type),
              skipped ? "suppressed" : LOG_END, n, LOG_END);
}

/* Its keys are loaded: the relay waiting for them starts, or a running
 * relay gets the new channels. */
static void keys_ready(struct parent_keys *pk, struct keyholder_proc *kh)
{
    struct relay_proc *rp = kh->owner;
    char n[16];
    snprintf(n, sizeof n, "%u", kh->status.keys);
    kh->state = KEYS_SERVING;
    keys_log(LOG_LEVEL_INFO, "keyholder_ready", kh->pid, "keys", n);
    if (!rp)
        return;
    if (rp->state == RELAY_KEYS) {
        pk->ready(pk->arg, rp);
        return;
    }
    if ((rp->state == RELAY_STARTING || rp->state == RELAY_SERVING) &&
        keyholder_proc_hand_over(kh, rp->io.fd) < 0)
        keys_log(LOG_LEVEL_ERROR, "keyholder_handover_failed", rp->pid, "reason", strerror(errno));
}

struct keys_ipc_ctx {
    struct parent_keys *pk;
    struct keyholder_proc *kh;
};

static void keys_on_message(void *arg, struct ipc_msg *msg)
{
    struct keys_ipc_ctx *ctx = arg;
    struct keyholder_proc *kh = ctx->kh;
    switch (msg->type) {
    case IPC_KEYS_STATUS:
        memcpy(&kh->status, msg->payload, sizeof kh->status);
        kh->last_beat_ms = loop_now_ms(ctx->pk->loop);
        if (kh->state == KEYS_STARTING)
            keys_ready(ctx->pk, kh);
        else if (kh->owner && kh->owner->state == RELAY_SERVING)
            ipc_send(kh->owner->io.fd, IPC_KEYS_STATUS, &kh->status, sizeof kh->status);
        break;
    case IPC_FATAL: {
        snprintf(kh->fatal, sizeof kh->fatal, "%.*s", (int)msg->len, (const char *)msg->payload);
        keys_log(LOG_LEVEL_ERROR, "keyholder_failed", kh->pid, "reason", kh->fatal);
        break; /* it exits; SIGCHLD does the rest */
    }
    default: keys_unexpected(ctx->pk, kh, msg->type);
    }
}

static void keys_on_ipc(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct keys_ipc_ctx ctx = {io->arg,
                               (struct keyholder_proc *)((char *)io - offsetof(struct keyholder_proc, io))};
    const char *why;
    if (ipc_receive(io->fd, keys_on_message, &ctx, &why) == 0)
        return;
    /* closed or garbage: it is reaped on exit, or killed when its status stops */
    if (why)
        keys_log(LOG_LEVEL_ERROR, "ipc_error", ctx.kh->pid, "reason", why);
    loop_unwatch(loop, io);
}

/* ---- starting, stopping, reaping ----------------------------------------------------------------- */

int parent_keys_start(struct parent_keys *pk, struct relay_proc *rp, const struct config *cfg)
{
    char err[256];
    struct keyholder_proc *kh = keyholder_proc_spawn(cfg, &pk->user, loop_now_ms(pk->loop), err, sizeof err);
    if (!kh) {
        log_event(LOG_LEVEL_ERROR, "keyholder_start_failed", "reason", err, LOG_END);
        return -1;
    }
    kh->owner = rp;
    kh->io.fn = keys_on_ipc;
    kh->io.arg = pk;
    kh->next = pk->all;
    pk->all = kh;
    rp->kh = kh;
    if (kh->state != KEYS_STOPPING)
        loop_watch(pk->loop, &kh->io, LOOP_READ);
    keys_log(LOG_LEVEL_INFO, "keyholder_started", kh->pid, "config", cfg->path);
    return 0;
}

void parent_keys_release(struct parent_keys *pk, struct relay_proc *rp)
{
    if (!rp || !rp->kh)
        return;
    keyholder_proc_stop(pk->loop, rp->kh, loop_now_ms(pk->loop), PARENT_KILL_GRACE_MS);
    rp->kh = NULL;
}

bool parent_keys_reaped(struct parent_keys *pk, pid_t pid, int wstatus, struct relay_proc **owner, char *why,
                        size_t why_len)
{
    for (struct keyholder_proc **pp = &pk->all; *pp; pp = &(*pp)->next) {
        struct keyholder_proc *kh = *pp;
        if (kh->pid != pid)
            continue;
        char how[96];
        relay_proc_describe_exit(wstatus, how, sizeof how);
        *owner = kh->owner;
        if (kh->fatal[0])
            snprintf(why, why_len, "key holder: %s", kh->fatal);
        else
            snprintf(why, why_len, "the key holder %s before it had loaded the keys", how);
        uint64_t now = loop_now_ms(pk->loop);
        struct relay_proc *rp = kh->owner;
        keys_log(rp ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO, rp ? "keyholder_lost" : "keyholder_exited", pid,
                 "how", how);
        if (rp) { /* replaced by parent_keys_retry, soon or after a backoff */
            bool fast = now - kh->started_ms < PARENT_FAST_FAIL_MS;
            rp->kh_fast_failures = fast ? rp->kh_fast_failures + 1 : 0;
            rp->kh_retry_ms = now + supervise_restart_delay_ms(rp->kh_fast_failures);
            rp->kh = NULL;
        }
        *pp = kh->next;
        keyholder_proc_free(pk->loop, kh);
        return true;
    }
    return false;
}

/* ---- deadlines ------------------------------------------------------------------------------------ */

static void keys_kill(struct keyholder_proc *kh, const char *event, const char *why)
{
    keys_log(LOG_LEVEL_ERROR, event, kh->pid, "reason", why);
    sandbox_signal_relay(kh->pid, SIGKILL);
    kh->stop_deadline_ms = UINT64_MAX; /* once: the kill is on its way */
}

static void keys_check(struct keyholder_proc *kh, uint64_t now)
{
    char why[96];
    if (kh->stop_deadline_ms == UINT64_MAX)
        return;
    if (kh->state == KEYS_STOPPING && now > kh->stop_deadline_ms) {
        keys_kill(kh, "keyholder_stop_overdue", "still running after its stop");
    } else if (kh->state == KEYS_STARTING && now - kh->started_ms > PARENT_START_TIMEOUT_MS) {
        snprintf(why, sizeof why, "keys not loaded %d ms after start", PARENT_START_TIMEOUT_MS);
        keys_kill(kh, "keyholder_unresponsive", why);
    } else if (kh->state == KEYS_SERVING && now - kh->last_beat_ms > KEYHOLDER_SILENCE_MS) {
        snprintf(why, sizeof why, "no status for %llu ms", (unsigned long long)(now - kh->last_beat_ms));
        keys_kill(kh, "keyholder_unresponsive", why);
    }
}

void parent_keys_tick(struct parent_keys *pk, uint64_t now_ms)
{
    for (struct keyholder_proc *kh = pk->all; kh; kh = kh->next)
        keys_check(kh, now_ms);
}

void parent_keys_retry(struct parent_keys *pk, struct relay_proc *rp, const struct config *cfg,
                       uint64_t now_ms)
{
    if (!rp || rp->kh || cfg->gateway.n_https == 0 || now_ms < rp->kh_retry_ms)
        return;
    if (rp->state != RELAY_STARTING && rp->state != RELAY_SERVING)
        return;
    if (parent_keys_start(pk, rp, cfg) < 0)
        rp->kh_retry_ms = now_ms + SUPERVISE_MAX_BACKOFF_MS;
}

bool parent_keys_any(const struct parent_keys *pk)
{
    return pk->all != NULL;
}
