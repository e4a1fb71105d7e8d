/*
 * parent_supervise: the serving relay's life on the parent's loop (the
 * I/O of supervise.h's decisions). One relay serves with p->cfg; when it
 * dies, stops its heartbeats or never starts, the next starts at once or
 * after a backoff, and VRRP (or [bgp]) keeps its priority for a grace
 * before it stands down. Here too: what a child's exit means (relay, key
 * holder, guard), the watchdog every 50 ms (deadlines, the key holders,
 * the status reports, the guard's copy of the VRRP state). See
 * parent_internal.h.
 */
#include "gateway/proc/parent_internal.h"
#include "gateway/proc/supervise.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

/* A relay's start and its failure call each other (a failed start is a
 * lost relay, which starts the next). */
static void pair_keys_ready(struct parent *p, struct relay_proc *rp);

/* ---- the serving relay ---------------------------------------------------------------- */

void parent_start_current(struct parent *p)
{
    if (p->stopping || p->current || p->waiting_keys)
        return;
    p->current = parent_spawn(p, p->cfg);
    if (!p->current) /* fork failed: try again shortly */
        loop_timer_set(p->loop, &p->restart, SUPERVISE_MAX_BACKOFF_MS);
    else if (!p->current->kh)
        pair_keys_ready(p, p->current);
}

static void on_restart_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    parent_start_current(t->arg);
}

/* No relay serves: VRRP stands down (priority 0, the peer takes the VIPs). */
static void stand_down(struct parent *p)
{
    loop_timer_clear(p->loop, &p->stand_down);
    if (p->relay_lost)
        return;
    vrrp_set_relay_lost(p->vrrp);
    announce_relay_serving(p->announce, false);
    p->relay_lost = true;
}

static void on_stand_down_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct parent *p = t->arg;
    log_event(LOG_LEVEL_WARN, "relay_grace_over", "effect", "no relay ready: VRRP hands the VIPs over",
              LOG_END);
    stand_down(p);
}

/* The listening sockets are ours, so clients queue while a replacement
 * starts: VRRP keeps its priority for the grace supervise.c allows (from
 * the first loss), and stands down at once when the relays crash-loop. */
static void relay_gone(struct parent *p)
{
    uint64_t now = loop_now_ms(p->loop);
    if (p->relay_lost || (!p->vrrp && !p->announce))
        return;
    if (!loop_timer_pending(&p->stand_down))
        p->lost_since_ms = now;
    uint64_t at = supervise_stand_down_at(p->cfg, p->fast_failures, p->lost_since_ms);
    if (at <= now) {
        stand_down(p);
        return;
    }
    char wait[24];
    snprintf(wait, sizeof wait, "%llums", (unsigned long long)(at - now));
    log_event(LOG_LEVEL_INFO, "relay_grace", "wait", wait, "effect",
              "VRRP keeps its priority while a relay starts", LOG_END);
    loop_timer_set(p->loop, &p->stand_down, at - now);
}

/* The serving relay is gone (exited, killed, or silent): a new one starts
 * at once, or after a backoff if they keep dying; VRRP hands over only if
 * none is ready in time (relay_gone). */
static void current_lost(struct parent *p, pid_t pid, uint64_t started_ms, const char *why)
{
    p->current = NULL;
    if (pid)
        parent_log_pid(LOG_LEVEL_ERROR, "relay_lost", pid, "reason", why);
    else /* it never ran: its key holder failed */
        log_event(LOG_LEVEL_ERROR, "relay_start_failed", "reason", why, LOG_END);
    bool fast = loop_now_ms(p->loop) - started_ms < PARENT_FAST_FAIL_MS;
    p->fast_failures = fast ? p->fast_failures + 1 : 0;
    relay_gone(p);
    if (!p->ever_ready) {
        /* the very first relay could not start: report and give up */
        log_event(LOG_LEVEL_ERROR, "startup_failed", "reason", why, LOG_END);
        p->exit_code = 1;
        p->stopping = true;
        if (!parent_any_relay(p))
            loop_stop(p->loop);
        return;
    }
    if (p->stopping)
        return;
    uint64_t delay = supervise_restart_delay_ms(p->fast_failures);
    if (delay == 0) {
        parent_start_current(p);
        return;
    }
    char d[24];
    snprintf(d, sizeof d, "%llums", (unsigned long long)delay);
    log_event(LOG_LEVEL_WARN, "relay_restart_delayed", "delay", d, "reason", "relay keeps failing", LOG_END);
    loop_timer_set(p->loop, &p->restart, delay);
}

/* ---- a relay and its key holder ------------------------------------------------------- */

/* A relay that never ran (its key holder failed, or its fork did): as a
 * lost relay when it was to serve, an abandoned reload when it was new. */
static void pair_failed(struct parent *p, struct relay_proc *rp, const char *why)
{
    if (rp == p->pending) {
        parent_reload_drop(p, why);
        return;
    }
    uint64_t started = rp->started_ms;
    bool current = rp == p->current;
    if (current)
        p->current = NULL;
    parent_drop(p, rp);
    if (current)
        current_lost(p, 0, started, why);
}

/* rp's keys are loaded (or it needs none): its relay starts, after the
 * rest of a reload's changes. */
static void pair_keys_ready(struct parent *p, struct relay_proc *rp)
{
    if (rp == p->pending)
        parent_reload_continue(p);
    else if (rp == p->current && parent_exec_relay(p, rp, p->cfg, p->fds) < 0)
        pair_failed(p, rp, "the relay could not be started");
}

static void keyholder_ready(void *arg, struct relay_proc *rp)
{
    pair_keys_ready(arg, rp);
}

/* ---- child exits and the watchdog ---------------------------------------------------- */

static void reaped(struct parent *p, pid_t pid, int wstatus)
{
    char how[96], keys_why[IPC_TEXT_MAX + 64];
    struct relay_proc *owner;
    relay_proc_describe_exit(wstatus, how, sizeof how);
    if (guard_keeper_reaped(&p->guard, pid, how) || parent_acme_reaped(&p->acme, pid, how))
        return;
    if (parent_keys_reaped(&p->keys, pid, wstatus, &owner, keys_why, sizeof keys_why)) {
        /* a running relay's is replaced (parent_keys_retry) */
        if (owner && owner->state == RELAY_KEYS)
            pair_failed(p, owner, keys_why);
        return;
    }
    if (p->current && p->current->pid == pid) {
        uint64_t started = p->current->started_ms;
        parent_drop(p, p->current);
        p->current = NULL;
        current_lost(p, pid, started, how);
        return;
    }
    if (p->pending && p->pending->pid == pid) {
        parent_drop(p, p->pending);
        p->pending = NULL;
        char why[160];
        snprintf(why, sizeof why, "the new relay %s before it was ready", how);
        parent_reload_abandon(p, why);
        return;
    }
    for (struct relay_proc **pp = &p->old; *pp; pp = &(*pp)->next) {
        struct relay_proc *rp = *pp;
        if (rp->pid != pid)
            continue;
        bool clean = rp->state == RELAY_DRAINING && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
        parent_log_pid(clean ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "relay_exited", pid, "how", how);
        *pp = rp->next;
        parent_drop(p, rp);
        return;
    }
}

void parent_reap_children(struct parent *p)
{
    int wstatus;
    pid_t pid;
    while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
        reaped(p, pid, wstatus);
    if (p->stopping && !parent_any_relay(p))
        loop_stop(p->loop);
}

/* A relay that does not start in time, or stops proving it is alive. */
static void check_relay(struct parent *p, struct relay_proc *rp, uint64_t now)
{
    char why[96];
    if (rp->state == RELAY_KEYS) /* its key holder's deadline: parent_keys_tick */
        return;
    if (rp->state == RELAY_STARTING && now - rp->started_ms > PARENT_START_TIMEOUT_MS)
        snprintf(why, sizeof why, "not ready %d ms after start", PARENT_START_TIMEOUT_MS);
    else if (rp->state == RELAY_SERVING && now - rp->last_beat_ms > p->heartbeat_timeout_ms)
        snprintf(why, sizeof why, "no heartbeat for %llu ms", (unsigned long long)(now - rp->last_beat_ms));
    else
        return;
    parent_log_pid(LOG_LEVEL_ERROR, "relay_unresponsive", rp->pid, "reason", why);
    if (rp == p->current) {
        p->current = NULL;
        parent_retire(p, rp, RELAY_KILLED, IPC_DRAIN);
        current_lost(p, rp->pid, rp->started_ms, why);
    } else { /* pending: reaping it abandons the reload */
        sandbox_signal_relay(rp->pid, SIGKILL);
        rp->state = RELAY_KILLED;
    }
}

/* [tls] acme: a certificate was written; the reload that serves it, once
 * no other reload is under way and a relay serves. */
static void supervise_acme_reload(struct parent *p)
{
    if (!p->acme_reload || p->pending || p->next_cfg || p->stopping || p->stop_why || !p->current ||
        p->current->state != RELAY_SERVING)
        return;
    p->acme_reload = false;
    parent_reload(p);
}

static void on_watchdog(struct loop *loop, struct loop_timer *t)
{
    struct parent *p = t->arg;
    uint64_t now = loop_now_ms(loop);
    if (p->current)
        check_relay(p, p->current, now);
    if (p->pending)
        check_relay(p, p->pending, now);
    for (struct relay_proc *rp = p->old; rp; rp = rp->next) {
        if (rp->state == RELAY_DRAINING && now > rp->drain_deadline_ms) {
            parent_log_pid(LOG_LEVEL_WARN, "relay_drain_overdue", rp->pid, "action", "SIGKILL");
            sandbox_signal_relay(rp->pid, SIGKILL);
            rp->state = RELAY_KILLED;
        }
    }
    parent_keys_tick(&p->keys, now);
    parent_keys_retry(&p->keys, p->current, p->cfg, now);
    if (p->pending)
        parent_keys_retry(&p->keys, p->pending, p->next_cfg, now);
    parent_report_status(p, false);
    supervise_acme_reload(p);
    parent_acme_pair_tick(p);
    static struct vrrp_node_desc inst[GUARD_INSTANCES_MAX];
    guard_keeper_update(&p->guard, inst, vrrp_set_describe(p->vrrp, inst, GUARD_INSTANCES_MAX));
    loop_timer_set(loop, t, 50);
}

void parent_supervise_start(struct parent *p)
{
    p->keys.ready = keyholder_ready;
    p->keys.arg = p;
    p->restart = (struct loop_timer){.fn = on_restart_timer, .arg = p};
    p->watchdog = (struct loop_timer){.fn = on_watchdog, .arg = p};
    p->stand_down = (struct loop_timer){.fn = on_stand_down_timer, .arg = p};
    loop_timer_set(p->loop, &p->watchdog, 50);
}
