/*
 * keyholder_proc: the parent's handle on one key holder process
 * (keyholder.h): starting it with its channels, handing the relay's ends
 * of those to the relay it signs for, and what it last reported.
 * parent_keys.c decides when; this file knows how.
 *
 * The channels: one AF_UNIX SOCK_SEQPACKET socketpair per relay worker,
 * made here. The key holder's ends go with its exec; the parent keeps the
 * relay's ends only until it has passed them to the relay (SCM_RIGHTS,
 * IPC_KEYHOLDER), so no process but the two ever holds a channel.
 */
#ifndef RAMPART_GATEWAY_PROC_KEYHOLDER_PROC_H
#define RAMPART_GATEWAY_PROC_KEYHOLDER_PROC_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/proc/ipc.h"

#include <stdint.h>
#include <sys/types.h>

enum keyholder_proc_state {
    KEYS_STARTING, /* exec'd, config sent, loading its keys */
    KEYS_SERVING,  /* its first status came: keys loaded and checked */
    KEYS_STOPPING, /* control socket closed (it exits at EOF), waiting to be reaped */
};

struct relay_proc;

struct keyholder_proc {
    pid_t pid;
    enum keyholder_proc_state state;
    struct loop_io io; /* control socket; io.arg is for the parent */
    uint64_t started_ms, last_beat_ms, stop_deadline_ms;
    unsigned n_channels;
    int relay_ends[CONFIG_MAX_WORKERS];   /* -1 once handed over */
    struct admin_keyholder_status status; /* its last */
    char fatal[IPC_TEXT_MAX + 1];         /* why it could not start, as it said ("": nothing) */
    struct relay_proc *owner;             /* the relay it signs for; NULL once stopping */
    struct keyholder_proc *next;          /* parent_keys.c's list */
};

/* Starts a key holder for cfg (one channel per worker) as `who`, and sends
 * it the config. The handle (io.fd set, not yet watched), or NULL with err
 * filled. `now_ms` stamps it. */
struct sandbox_child;
struct keyholder_proc *keyholder_proc_spawn(const struct config *cfg, const struct sandbox_child *who,
                                            uint64_t now_ms, char *err, size_t err_len);
/* Passes the relay's ends to the relay on relay_ipc_fd (IPC_KEYHOLDER),
 * then closes the parent's copies. 0, or -1 with errno. */
int keyholder_proc_hand_over(struct keyholder_proc *kh, int relay_ipc_fd);
/* Closes its control socket (it exits at EOF) and whatever channel ends
 * are left; the handle stays until reaped, at most `grace_ms` more. */
void keyholder_proc_stop(struct loop *loop, struct keyholder_proc *kh, uint64_t now_ms, uint64_t grace_ms);
void keyholder_proc_free(struct loop *loop, struct keyholder_proc *kh);

#endif /* RAMPART_GATEWAY_PROC_KEYHOLDER_PROC_H */
