/*
 * parent_relay: the parent's relay handles (relay_proc.h), from spawn to
 * free: a handle's key holder starts first (parent_keys.h), its relay is
 * exec'd with the listeners, the ticket keys and the backends known down;
 * a replaced one is retired (drained or killed) onto the `old` list until
 * reaped, then dropped. Which relay starts or goes when is decided by
 * parent_supervise.c and parent_reload.c. See parent_internal.h.
 */
#include "gateway/proc/parent_internal.h"
#include "gateway/proc/relay.h"
#include "gateway/proc/supervise.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* A relay or a key holder not yet reaped: the parent waits for all of
 * them at exit. */
bool parent_any_relay(const struct parent *p)
{
    return p->current || p->pending || p->old || parent_keys_any(&p->keys);
}

void parent_log_pid(enum log_level level, const char *event, pid_t pid, const char *key, const char *value)
{
    char p[16];
    snprintf(p, sizeof p, "%d", (int)pid);
    log_event(level, event, "pid", p, key, value, LOG_END);
}

uint64_t parent_heartbeat_timeout(const struct config *cfg)
{
    return supervise_heartbeat_timeout_ms(cfg, RELAY_HEARTBEAT_MS);
}

/* Backends of cfg that the running relay (with p->cfg) has down, so they
 * get no traffic before a check says otherwise. */
static uint64_t known_down(const struct parent *p, const struct config *cfg)
{
    return supervise_map_down(p->cfg, p->down_mask, cfg);
}

/* Forks and execs the relay of rp (its keys, if any, are loaded). 0, or
 * -1 (logged). */
int parent_exec_relay(struct parent *p, struct relay_proc *rp, const struct config *cfg, const int *fds)
{
    char err[256];
    struct tls_ticket_keys keys;
    parent_tickets_get(&p->tickets, &keys);
    int rc = relay_proc_start(rp, cfg, fds, known_down(p, cfg), &keys, &p->relay_user, loop_now_ms(p->loop),
                              err, sizeof err);
    explicit_bzero(&keys, sizeof keys);
    if (rc < 0) {
        log_event(LOG_LEVEL_ERROR, "relay_start_failed", "reason", err, LOG_END);
        return -1;
    }
    if (rp->state != RELAY_KILLED)
        loop_watch(p->loop, &rp->io, LOOP_READ);
    parent_log_pid(LOG_LEVEL_INFO, "relay_started", rp->pid, "config", cfg->path);
    return 0;
}

/* A relay handle for cfg. With HTTPS its key holder starts first and the
 * relay once the keys are loaded (pair_keys_ready); without, the caller
 * goes on at once. NULL (logged) when nothing could start. */
struct relay_proc *parent_spawn(struct parent *p, const struct config *cfg)
{
    struct relay_proc *rp = relay_proc_new(cfg, loop_now_ms(p->loop));
    if (!rp) {
        log_event(LOG_LEVEL_ERROR, "relay_start_failed", "reason", "out of memory", LOG_END);
        return NULL;
    }
    rp->io.fn = p->relay_ipc;
    rp->io.arg = p;
    if (cfg->gateway.n_https > 0 && parent_keys_start(&p->keys, rp, cfg) < 0) {
        relay_proc_free(p->loop, rp);
        return NULL;
    }
    return rp;
}

/* Frees a relay handle; its key holder stops. */
void parent_drop(struct parent *p, struct relay_proc *rp)
{
    parent_keys_release(&p->keys, rp);
    relay_proc_free(p->loop, rp);
}

/* Retires a relay: it stays on the `old` list until reaped. DRAINING
 * relays get `how` (IPC_DRAIN on shutdown, IPC_RETIRE when replaced). */
void parent_retire(struct parent *p, struct relay_proc *rp, enum relay_proc_state state, enum ipc_type how)
{
    if (rp->state == RELAY_KEYS) { /* no relay yet: nothing to wait for */
        parent_drop(p, rp);
        return;
    }
    rp->state = state;
    if (state == RELAY_DRAINING) {
        ipc_send(rp->io.fd, how, NULL, 0);
        rp->drain_deadline_ms = loop_now_ms(p->loop) + rp->drain_timeout_ms + PARENT_KILL_GRACE_MS;
    } else {
        sandbox_signal_relay(rp->pid, SIGKILL);
    }
    loop_unwatch(p->loop, &rp->io);
    rp->next = p->old;
    p->old = rp;
}
