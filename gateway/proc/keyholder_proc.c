/*
 * keyholder_proc: starting a key holder, its channels. See keyholder_proc.h.
 */
#include "gateway/proc/keyholder_proc.h"
#include "gateway/proc/child.h"
#include "gateway/proc/keyholder.h"
#include "gateway/proc/sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void keyholder_close_ends(struct keyholder_proc *kh)
{
    for (unsigned i = 0; i < kh->n_channels; i++) {
        if (kh->relay_ends[i] >= 0)
            close(kh->relay_ends[i]);
        kh->relay_ends[i] = -1;
    }
}

/* n socketpairs: the relay's ends into kh, the key holder's into theirs. */
static int keyholder_make_channels(struct keyholder_proc *kh, unsigned n, int *theirs)
{
    for (unsigned i = 0; i < n; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
            return -1;
        kh->relay_ends[i] = sv[0];
        theirs[i] = sv[1];
        kh->n_channels = i + 1;
    }
    return 0;
}

struct keyholder_proc *keyholder_proc_spawn(const struct config *cfg, const struct sandbox_child *who,
                                            uint64_t now_ms, char *err, size_t err_len)
{
    struct keyholder_proc *kh = calloc(1, sizeof *kh);
    int theirs[CONFIG_MAX_WORKERS];
    unsigned n = cfg->gateway.workers;
    if (!kh || n == 0 || n > CONFIG_MAX_WORKERS) {
        snprintf(err, err_len, "key holder: %s", kh ? "workers out of range" : "out of memory");
        free(kh);
        return NULL;
    }
    memset(kh->relay_ends, -1, sizeof kh->relay_ends);
    int made = keyholder_make_channels(kh, n, theirs);
    int ipc_fd = -1;
    pid_t pid = made == 0 ? child_spawn(KEYHOLDER_ARGV_FLAG, theirs, n, who, &ipc_fd, err, err_len) : -1;
    if (made != 0)
        snprintf(err, err_len, "key holder channels: socketpair: %s", strerror(errno));
    for (unsigned i = 0; i < kh->n_channels; i++)
        close(theirs[i]); /* the key holder has its copies (or none) */
    if (pid < 0) {
        keyholder_close_ends(kh);
        free(kh);
        return NULL;
    }
    kh->pid = pid;
    kh->state = KEYS_STARTING;
    kh->started_ms = kh->last_beat_ms = now_ms;
    kh->io.fd = ipc_fd;
    if (ipc_send(ipc_fd, IPC_CONFIG, cfg, sizeof *cfg) < 0) {
        snprintf(err, err_len, "sending the config to the key holder: %s", strerror(errno));
        sandbox_signal_relay(pid, SIGKILL);
        kh->state = KEYS_STOPPING; /* the caller reaps it */
    }
    return kh;
}

int keyholder_proc_hand_over(struct keyholder_proc *kh, int relay_ipc_fd)
{
    struct ipc_keyholder msg = {.channels = kh->n_channels};
    int rc = ipc_send_fds(relay_ipc_fd, IPC_KEYHOLDER, &msg, sizeof msg, kh->relay_ends, kh->n_channels);
    int saved = errno;
    keyholder_close_ends(kh);
    errno = saved;
    return rc;
}

void keyholder_proc_stop(struct loop *loop, struct keyholder_proc *kh, uint64_t now_ms, uint64_t grace_ms)
{
    loop_unwatch(loop, &kh->io);
    if (kh->io.fd >= 0)
        close(kh->io.fd);
    kh->io.fd = -1;
    keyholder_close_ends(kh);
    kh->state = KEYS_STOPPING;
    kh->owner = NULL;
    kh->stop_deadline_ms = now_ms + grace_ms;
}

void keyholder_proc_free(struct loop *loop, struct keyholder_proc *kh)
{
    if (!kh)
        return;
    if (kh->io.fd >= 0) {
        loop_unwatch(loop, &kh->io);
        close(kh->io.fd);
    }
    keyholder_close_ends(kh);
    free(kh);
}
