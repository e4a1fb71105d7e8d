/*
 * relay_proc: the parent's handle on one relay process: starting it (fork,
 * fd layout, exec of this same binary), its control socket and what it
 * last reported. parent.c decides when; this file knows how.
 */
#ifndef RAMPART_GATEWAY_PROC_RELAY_PROC_H
#define RAMPART_GATEWAY_PROC_RELAY_PROC_H

#include "gateway/config/config.h"
#include "gateway/proc/ipc.h"
#include "gateway/event/loop.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum relay_proc_state {
    RELAY_STARTING, /* exec'd, config sent, waiting for READY */
    RELAY_SERVING,  /* READY received, heartbeats expected */
    RELAY_DRAINING, /* told to drain (reload/stop), exit expected */
    RELAY_KILLED,   /* SIGKILLed (lost), waiting to be reaped */
};

struct relay_proc {
    pid_t pid;
    enum relay_proc_state state;
    struct loop_io io; /* control socket; io.arg is for the parent */
    uint64_t started_ms, last_beat_ms, drain_deadline_ms;
    struct ipc_status status;  /* last READY/HEARTBEAT */
    uint64_t drain_timeout_ms; /* of the config it runs */
    struct relay_proc *next;   /* parent.c's list */
};

/* Forks and execs a relay with cfg and the listener fds (listener.h
 * layout), as `who` (sandbox_child_enter between fork and exec; NULL: the
 * parent's user), and sends it the config, the backends known down and the
 * session-ticket keys. Returns the handle (io.fd set, not yet watched), or
 * NULL with err filled. `now_ms` stamps it. */
struct sandbox_child;
struct relay_proc *relay_proc_spawn(const struct config *cfg, const int *listen_fds, uint64_t down_mask,
                                    const struct tls_ticket_keys *tickets, const struct sandbox_child *who,
                                    uint64_t now_ms, char *err, size_t err_len);
/* Closes the control socket and frees; does not signal the process. */
void relay_proc_free(struct loop *loop, struct relay_proc *rp);

/* "exited with status 1", "killed by signal 9 (Killed)". */
void relay_proc_describe_exit(int wstatus, char *buf, size_t len);

#endif /* RAMPART_GATEWAY_PROC_RELAY_PROC_H */
