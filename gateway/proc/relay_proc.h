/*
 * relay_proc: the parent's handle on one relay process and the key holder
 * that signs for it: starting the relay (child.c: fork, fd layout, exec of
 * this same binary), its control socket and what it last reported.
 * parent_supervise.c and parent_reload.c decide when; this file knows
 * how.
 *
 * A relay that serves HTTPS starts after its key holder (keyholder_proc.h)
 * said its keys are loaded: until then the handle waits in RELAY_KEYS,
 * with no process of its own.
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
    RELAY_KEYS,     /* not started: its key holder is loading the keys */
    RELAY_STARTING, /* exec'd, config sent, waiting for READY */
    RELAY_SERVING,  /* READY received, heartbeats expected */
    RELAY_DRAINING, /* told to drain (reload/stop), exit expected */
    RELAY_KILLED,   /* SIGKILLed (lost), waiting to be reaped */
};

struct keyholder_proc;

struct relay_proc {
    pid_t pid; /* 0 in RELAY_KEYS */
    enum relay_proc_state state;
    struct loop_io io; /* control socket (-1 in RELAY_KEYS); io.arg is for the parent */
    uint64_t started_ms, last_beat_ms, drain_deadline_ms;
    struct ipc_status status;  /* last READY/HEARTBEAT */
    uint64_t drain_timeout_ms; /* of the config it runs */
    struct keyholder_proc *kh; /* signs for it; NULL: no HTTPS, or being replaced */
    uint64_t kh_retry_ms;      /* when to start a new one after a loss */
    unsigned kh_fast_failures; /* key holders in a row that died soon after their start */
    struct relay_proc *next;   /* the parent's `old` list */
};

/* A handle in RELAY_KEYS for cfg, stamped now_ms; NULL when out of memory. */
struct relay_proc *relay_proc_new(const struct config *cfg, uint64_t now_ms);
/* Forks and execs the relay of rp with cfg and the listener fds
 * (listener.h layout), as `who` (NULL: the parent's user), and sends it
 * the config, the backends known down, the session-ticket keys and, if rp
 * has a key holder, the relay's ends of its channels. 0 (io.fd set, not
 * yet watched; state RELAY_STARTING, or RELAY_KILLED when the messages
 * could not be sent: the caller reaps it), or -1 with err filled. */
struct sandbox_child;
int relay_proc_start(struct relay_proc *rp, const struct config *cfg, const int *listen_fds,
                     uint64_t down_mask, const struct tls_ticket_keys *tickets,
                     const struct sandbox_child *who, uint64_t now_ms, char *err, size_t err_len);
/* Closes the control socket and frees; does not signal the process, nor
 * touch its key holder (the caller stops and reaps that). */
void relay_proc_free(struct loop *loop, struct relay_proc *rp);

/* "exited with status 1", "killed by signal 9 (Killed)". */
void relay_proc_describe_exit(int wstatus, char *buf, size_t len);

#endif /* RAMPART_GATEWAY_PROC_RELAY_PROC_H */
