/*
 * child: fork + exec of a child with a fixed descriptor layout. See child.h.
 */
#include "gateway/proc/child.h"
#include "gateway/proc/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const char *flag, int ipc_fd, const int *fds, unsigned n,
                       const struct sandbox_child *who)
{
    /* move every fd we keep above the target range first, so the dup2s
     * below can never overwrite one that is still to be moved */
    int base = CHILD_FIRST_FD + (int)n + 1;
    int tmp_ipc = fcntl(ipc_fd, F_DUPFD_CLOEXEC, base);
    if (tmp_ipc < 0 || dup2(tmp_ipc, CHILD_IPC_FD) < 0)
        _exit(127);
    static int tmp[CHILD_MAX_FDS]; /* this process's own copy after fork */
    for (unsigned i = 0; i < n; i++)
        if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, base)) < 0)
            _exit(127);
    for (unsigned i = 0; i < n; i++)
        if (dup2(tmp[i], CHILD_FIRST_FD + (int)i) < 0)
            _exit(127);
    /* dup2 cleared CLOEXEC on the targets; close everything above them */
    close_range(CHILD_FIRST_FD + n, ~0U, 0);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* the child's user before exec (the parent's securebits make an exec'd
     * uid 0 worth no capability, so the child could not switch later) */
    if (sandbox_child_enter(who) < 0)
        _exit(126);
    char *const argv[] = {"rampart", (char *)flag, NULL};
    execv("/proc/self/exe", argv);
    _exit(127);
}

pid_t child_spawn(const char *flag, const int *fds, unsigned n, const struct sandbox_child *who, int *ipc_fd,
                  char *err, size_t err_len)
{
    int sv[2];
    if (n > CHILD_MAX_FDS) {
        snprintf(err, err_len, "%u descriptors for a child, at most %d", n, CHILD_MAX_FDS);
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, err_len, "socketpair: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        child_exec(flag, sv[1], fds, n, who);
    close(sv[1]);
    if (pid < 0) {
        snprintf(err, err_len, "fork: %s", strerror(errno));
        close(sv[0]);
        return -1;
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    *ipc_fd = sv[0];
    return pid;
}
