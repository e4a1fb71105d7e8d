/*
 * guard: the parent's side: fork + exec of the guard, and what it is told.
 * See guard.h.
 */
#include "gateway/proc/guard.h"

#include "common/log.h"
#include "gateway/proc/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct guard {
    pid_t pid;
    int fd; /* the pipe's write end (close-on-exec) */
    struct guard_msg sent;
    bool have_sent;
};

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_exec(int rfd)
{
    if (dup2(rfd, GUARD_PIPE_FD) < 0)
        _exit(127);
    close_range(GUARD_PIPE_FD + 1, ~0U, 0);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    if (sandbox_guard_enter() < 0)
        _exit(126);
    char *const argv[] = {"rampart", GUARD_ARGV_FLAG, NULL};
    execv("/proc/self/exe", argv);
    _exit(127);
}

struct guard *guard_spawn(char *err, size_t err_len)
{
    int p[2];
    struct guard *g = calloc(1, sizeof *g);
    if (!g || pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, err_len, "guard: %s", g ? strerror(errno) : "out of memory");
        free(g);
        return NULL;
    }
    pid_t pid = fork();
    if (pid == 0)
        child_exec(p[0]);
    close(p[0]);
    if (pid < 0) {
        snprintf(err, err_len, "guard: fork: %s", strerror(errno));
        close(p[1]);
        free(g);
        return NULL;
    }
    /* a guard that stops reading must not stall the parent's loop */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    g->pid = pid;
    g->fd = p[1];
    return g;
}

void guard_update(struct guard *g, const struct vrrp_node_desc *inst, unsigned n)
{
    if (!g)
        return;
    struct guard_msg m = {.magic = GUARD_MAGIC, .kind = GUARD_MSG_STATE};
    m.n = n < GUARD_INSTANCES_MAX ? n : GUARD_INSTANCES_MAX;
    memcpy(m.inst, inst, m.n * sizeof *inst);
    if (g->have_sent && memcmp(&m, &g->sent, sizeof m) == 0)
        return;
    if (write(g->fd, &m, sizeof m) == (ssize_t)sizeof m) { /* else: the next tick tries again */
        g->sent = m;
        g->have_sent = true;
    }
}

void guard_exit(struct guard *g)
{
    if (!g)
        return;
    struct guard_msg m = {.magic = GUARD_MAGIC, .kind = GUARD_MSG_EXIT};
    ssize_t n = write(g->fd, &m, sizeof m);
    (void)n; /* a guard already gone acts on nothing */
    close(g->fd);
    free(g);
}

bool guard_is(const struct guard *g, pid_t pid)
{
    return g && g->pid == pid;
}

void guard_forget(struct guard *g)
{
    if (!g)
        return;
    close(g->fd);
    free(g);
}

/* ---- the keeper ---- */

static void keeper_respawn(struct loop *loop, struct loop_timer *t)
{
    struct guard_keeper *k = t->arg;
    char err[256];
    if (k->stopped || k->g)
        return;
    if (!(k->g = guard_spawn(err, sizeof err))) {
        log_event(LOG_LEVEL_ERROR, "guard_start_failed", "reason", err, LOG_END);
        loop_timer_set(loop, t, GUARD_RESPAWN_MS);
    }
}

int guard_keeper_start(struct guard_keeper *k, struct loop *loop, char *err, size_t err_len)
{
    *k = (struct guard_keeper){.loop = loop, .respawn = {.fn = keeper_respawn, .arg = k}};
    k->g = guard_spawn(err, err_len);
    return k->g ? 0 : -1;
}

void guard_keeper_update(struct guard_keeper *k, const struct vrrp_node_desc *inst, unsigned n)
{
    guard_update(k->g, inst, n);
}

bool guard_keeper_reaped(struct guard_keeper *k, pid_t pid, const char *how)
{
    if (!guard_is(k->g, pid))
        return false;
    guard_forget(k->g);
    k->g = NULL;
    char p[16];
    snprintf(p, sizeof p, "%d", (int)pid);
    log_event(LOG_LEVEL_ERROR, "guard_lost", "pid", p, "how", how, LOG_END);
    if (!k->stopped)
        loop_timer_set(k->loop, &k->respawn, GUARD_RESPAWN_MS);
    return true;
}

void guard_keeper_stop(struct guard_keeper *k)
{
    k->stopped = true;
    if (k->loop)
        loop_timer_clear(k->loop, &k->respawn);
    guard_exit(k->g);
    k->g = NULL;
}
