/*
 * relay_proc: fork + exec of a relay process. See relay_proc.h.
 *
 * Why exec and not just fork: every relay then starts from a clean image
 * with fresh address-space randomisation (a crashed relay's successor
 * does not share its layout), holds no copy of the parent's memory, and
 * inherits exactly the fds it is given: 0-2, the control socket at
 * RELAY_IPC_FD and the listeners from RELAY_FIRST_LISTEN_FD on. The VRRP
 * raw socket, the netlink sockets and everything else stay behind.
 */
#include "gateway/proc/relay_proc.h"
#include "gateway/proc/listener.h"
#include "gateway/proc/relay.h"
#include "gateway/proc/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(int ipc_fd, const int *fds, unsigned n, const struct sandbox_child *who)
{
    /* move every fd we keep above the target range first, so the dup2s
     * below can never overwrite one that is still to be moved */
    int base = RELAY_FIRST_LISTEN_FD + (int)n + 1;
    int tmp_ipc = fcntl(ipc_fd, F_DUPFD_CLOEXEC, base);
    if (tmp_ipc < 0 || dup2(tmp_ipc, RELAY_IPC_FD) < 0)
        _exit(127);
    static int tmp[LISTENER_MAX_FDS]; /* this process's own copy after fork */
    for (unsigned i = 0; i < n; i++)
        if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, base)) < 0)
            _exit(127);
    for (unsigned i = 0; i < n; i++)
        if (dup2(tmp[i], RELAY_FIRST_LISTEN_FD + (int)i) < 0)
            _exit(127);
    /* dup2 cleared CLOEXEC on the targets; close everything above them */
    close_range(RELAY_FIRST_LISTEN_FD + n, ~0U, 0);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* the relay's user before exec (the parent's securebits make an exec'd
     * uid 0 worth no capability, so the relay could not switch later) */
    if (sandbox_child_enter(who) < 0)
        _exit(126);
    char *const argv[] = {"rampart", RELAY_ARGV_FLAG, NULL};
    execv("/proc/self/exe", argv);
    _exit(127);
}

struct relay_proc *relay_proc_spawn(const struct config *cfg, const int *listen_fds, uint64_t down_mask,
                                    const struct tls_ticket_keys *tickets, const struct sandbox_child *who,
                                    uint64_t now_ms, char *err, size_t err_len)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, err_len, "socketpair: %s", strerror(errno));
        return NULL;
    }
    struct relay_proc *rp = calloc(1, sizeof *rp);
    pid_t pid = rp ? fork() : -1;
    if (pid == 0)
        child_exec(sv[1], listen_fds, listener_count(cfg), who);
    close(sv[1]);
    if (pid < 0) {
        snprintf(err, err_len, "fork: %s", strerror(rp ? errno : ENOMEM));
        close(sv[0]);
        free(rp);
        return NULL;
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    *rp = (struct relay_proc){.pid = pid,
                              .state = RELAY_STARTING,
                              .started_ms = now_ms,
                              .last_beat_ms = now_ms,
                              .drain_timeout_ms = cfg->gateway.drain_timeout_ms};
    rp->io.fd = sv[0];
    if (ipc_send(sv[0], IPC_CONFIG, cfg, sizeof *cfg) < 0 ||
        ipc_send(sv[0], IPC_BACKENDS, &down_mask, sizeof down_mask) < 0 ||
        ipc_send(sv[0], IPC_TICKET_KEYS, tickets, sizeof *tickets) < 0) {
        snprintf(err, err_len, "sending the config to the relay: %s", strerror(errno));
        sandbox_signal_relay(pid, SIGKILL);
        rp->state = RELAY_KILLED; /* the caller reaps it */
    }
    return rp;
}

void relay_proc_free(struct loop *loop, struct relay_proc *rp)
{
    if (!rp)
        return;
    loop_unwatch(loop, &rp->io);
    close(rp->io.fd);
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
