/*
 * parent_ipc: what relays send the parent (ipc.h), each message's size
 * and type checked by ipc_receive before it gets here: READY and
 * HEARTBEAT (the relay's status, its backends up for VRRP and [bgp]; a
 * pending relay's READY commits its reload), AUTOBLOCK (an offender to
 * block, judged by parent_firewall.c: the relay is not trusted), FATAL.
 * Anything else is logged, rate-limited. See parent_internal.h.
 */
#include "gateway/proc/parent_internal.h"
#include "gateway/proc/notify.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* VRRP hears a relay's count of backends up only once it is a finding:
 * before its first checks, "all up" is just the start value, and a node
 * whose backends are all dead would claim Master for a moment. Until the
 * first settled report VRRP keeps the no-backend penalty it started with;
 * after a reload or restart it keeps the last settled count. */
static void backends_report(struct parent *p, struct relay_proc *rp)
{
    if (!rp->status.settled || (p->backends_known && rp->status.backends_up == p->backends_up))
        return;
    p->backends_known = true;
    p->backends_up = rp->status.backends_up;
    vrrp_set_backends_up(p->vrrp, p->backends_up);
    announce_backends_up(p->announce, p->backends_up);
    char up[32];
    snprintf(up, sizeof up, "%u/%u", rp->status.backends_up, rp->status.backends_total);
    parent_log_pid(LOG_LEVEL_INFO, "backends_up_changed", rp->pid, "backends_up", up);
}

static void on_ready(struct parent *p, struct relay_proc *rp)
{
    rp->state = RELAY_SERVING;
    if (rp == p->pending)
        parent_reload_commit(p);
    if (rp != p->current)
        return;
    if (!p->ever_ready)
        notify_send(NOTIFY_READY, "serving");
    p->ever_ready = true;
    p->down_mask = rp->status.down_mask;       /* in the (maybe new) cfg's order */
    loop_timer_clear(p->loop, &p->stand_down); /* in time: no handover */
    if (p->relay_lost) {
        vrrp_set_relay_back(p->vrrp);
        p->relay_lost = false;
    }
    announce_relay_serving(p->announce, true);
    backends_report(p, rp);
    parent_report_status(p, true);
    char up[32];
    snprintf(up, sizeof up, "%u/%u", rp->status.backends_up, rp->status.backends_total);
    parent_log_pid(LOG_LEVEL_INFO, "relay_ready", rp->pid, "backends_up", up);
}

/* The relay's abuse detector names an offender: parent_firewall.c decides
 * (the relay is not trusted: peers, administrators, backends, this node
 * and non-global addresses are refused) and its thread blocks. */
static void parent_autoblock(struct parent *p, struct relay_proc *rp, const void *payload)
{
    struct ipc_autoblock m;
    struct ip_addr addr;
    const char *why = NULL;
    memcpy(&m, payload, sizeof m);
    if (ipc_autoblock_to_addr(&m, &addr, &why) < 0) {
        parent_firewall_bad_request(&p->firewall, (int)rp->pid, why, loop_now_ms(p->loop));
        return;
    }
    static struct ip_addr heard[VRRP_SET_HEARD_MAX];
    unsigned n_heard = vrrp_set_peers_heard(p->vrrp, heard, VRRP_SET_HEARD_MAX);
    if (parent_firewall_autoblock(&p->firewall, p->cfg, &addr, heard, n_heard, loop_now_ms(p->loop)))
        parent_peer_local_block(&p->peer, &addr, p->cfg->firewall.autoblock_timeout_ms);
}

/* A message a relay should not send: logged at most RATELIMIT_LOG_BURST
 * times a second (a relay gone wrong must not flood the log). */
static void parent_unexpected(struct parent *p, struct relay_proc *rp, enum ipc_type type)
{
    uint64_t skipped;
    if (!ratelimit_allow(&p->ipc_log, loop_now_ms(p->loop), RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS,
                         &skipped))
        return;
    char pid[16], n[24];
    snprintf(pid, sizeof pid, "%d", (int)rp->pid);
    snprintf(n, sizeof n, "%llu", (unsigned long long)skipped);
    log_event(LOG_LEVEL_WARN, "ipc_unexpected", "pid", pid, "type", ipc_type_name(type),
              skipped ? "suppressed" : LOG_END, n, LOG_END);
}

static void parent_on_message(struct parent *p, struct relay_proc *rp, struct ipc_msg *msg)
{
    switch (msg->type) {
    case IPC_READY:
    case IPC_HEARTBEAT:
        memcpy(&rp->status, msg->payload, sizeof rp->status);
        rp->last_beat_ms = loop_now_ms(p->loop);
        if (rp == p->current)
            p->down_mask = rp->status.down_mask;
        if (msg->type == IPC_READY && rp->state == RELAY_STARTING)
            on_ready(p, rp);
        else if (rp == p->current)
            backends_report(p, rp);
        break;
    case IPC_AUTOBLOCK: parent_autoblock(p, rp, msg->payload); break;
    case IPC_FATAL: {
        char why[IPC_TEXT_MAX + 1];
        snprintf(why, sizeof why, "%.*s", (int)msg->len, (const char *)msg->payload);
        parent_log_pid(LOG_LEVEL_ERROR, "relay_failed", rp->pid, "reason", why);
        break; /* it exits; SIGCHLD does the rest */
    }
    default: parent_unexpected(p, rp, msg->type);
    }
}

struct parent_ipc_ctx {
    struct parent *p;
    struct relay_proc *rp;
};

static void parent_on_ipc_message(void *arg, struct ipc_msg *msg)
{
    struct parent_ipc_ctx *ctx = arg;
    parent_on_message(ctx->p, ctx->rp, msg);
}

void parent_on_ipc(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct parent_ipc_ctx ctx = {io->arg,
                                 (struct relay_proc *)((char *)io - offsetof(struct relay_proc, io))};
    const char *why;
    if (ipc_receive(io->fd, parent_on_ipc_message, &ctx, &why) == 0)
        return;
    /* closed or garbage: stop listening; it is reaped on exit, or the
     * watchdog kills it when its heartbeats stop */
    if (why)
        parent_log_pid(LOG_LEVEL_ERROR, "ipc_error", ctx.rp->pid, "reason", why);
    loop_unwatch(loop, io);
}
