/*
 * relay_proc: starting a relay process. See relay_proc.h; the fork and
 * exec are child.c's.
 */
#include "gateway/proc/relay_proc.h"
#include "gateway/proc/child.h"
#include "gateway/proc/keyholder_proc.h"
#include "gateway/proc/listener.h"
#include "gateway/proc/relay.h"
#include "gateway/proc/sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert(LISTENER_MAX_FDS <= CHILD_MAX_FDS, "every listener goes to the relay");
_Static_assert(RELAY_IPC_FD == CHILD_IPC_FD && RELAY_FIRST_LISTEN_FD == CHILD_FIRST_FD, "one fd layout");

struct relay_proc *relay_proc_new(const struct config *cfg, uint64_t now_ms)
{
    struct relay_proc *rp = calloc(1, sizeof *rp);
    if (!rp)
        return NULL;
    *rp = (struct relay_proc){.state = RELAY_KEYS,
                              .started_ms = now_ms,
                              .last_beat_ms = now_ms,
                              .drain_timeout_ms = cfg->gateway.drain_timeout_ms};
    rp->io.fd = -1;
    return rp;
}

/* CONFIG, BACKENDS, TICKET_KEYS, then the key holder's channels. */
static int relay_proc_send_start(struct relay_proc *rp, const struct config *cfg, uint64_t down_mask,
                                 const struct tls_ticket_keys *tickets)
{
    int fd = rp->io.fd;
    if (ipc_send(fd, IPC_CONFIG, cfg, sizeof *cfg) < 0 ||
        ipc_send(fd, IPC_BACKENDS, &down_mask, sizeof down_mask) < 0 ||
        ipc_send(fd, IPC_TICKET_KEYS, tickets, sizeof *tickets) < 0)
        return -1;
    return rp->kh ? keyholder_proc_hand_over(rp->kh, fd) : 0;
}

int relay_proc_start(struct relay_proc *rp, const struct config *cfg, const int *listen_fds,
                     uint64_t down_mask, const struct tls_ticket_keys *tickets,
                     const struct sandbox_child *who, uint64_t now_ms, char *err, size_t err_len)
{
    int ipc_fd = -1;
    pid_t pid = child_spawn(RELAY_ARGV_FLAG, listen_fds, listener_count(cfg), who, &ipc_fd, err, err_len);
    if (pid < 0)
        return -1;
    rp->pid = pid;
    rp->io.fd = ipc_fd;
    rp->state = RELAY_STARTING;
    rp->started_ms = rp->last_beat_ms = now_ms;
    if (relay_proc_send_start(rp, cfg, down_mask, tickets) < 0) {
        snprintf(err, err_len, "sending the config to the relay: %s", strerror(errno));
        sandbox_signal_relay(pid, SIGKILL);
        rp->state = RELAY_KILLED; /* the caller reaps it */
    }
    return 0;
}

void relay_proc_free(struct loop *loop, struct relay_proc *rp)
{
    if (!rp)
        return;
    if (rp->io.fd >= 0) {
        loop_unwatch(loop, &rp->io);
        close(rp->io.fd);
    }
    free(rp);
}

void relay_proc_describe_exit(int wstatus, char *buf, size_t len)
{
    if (WIFEXITED(wstatus))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(wstatus));
    else if (WIFSIGNALED(wstatus))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    else
        snprintf(buf, len, "ended (status 0x%x)", (unsigned)wstatus);
}
