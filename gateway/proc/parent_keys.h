/*
 * parent_keys: the parent's key holders (keyholder.h), one per relay that
 * serves HTTPS, each started before its relay and stopped after it.
 * parent_supervise.c and parent_reload.c decide about relays; this file
 * about their key holders:
 *
 *   - start one for a relay handle (relay_proc.h, RELAY_KEYS); when it
 *     says its keys are loaded, `ready` is called (parent_supervise.c
 *     then starts the relay, or goes on with a reload);
 *   - a key holder that dies while its relay runs is replaced, at once or
 *     after a backoff if they keep dying (supervise_restart_delay_ms), and
 *     the relay gets the new channels (IPC_KEYHOLDER); meanwhile its
 *     signatures fail at once (the channel is closed), failing full
 *     handshakes but not the relay. One that dies before its keys were
 *     loaded fails its relay's start (parent_keys_reaped says so);
 *   - deadlines: loaded within PARENT_START_TIMEOUT_MS, a status at least
 *     every KEYHOLDER_SILENCE_MS, gone within PARENT_KILL_GRACE_MS of its
 *     stop; else SIGKILL (then it counts as dead);
 *   - its counts go on to its relay (IPC_KEYS_STATUS) for /metrics.
 *
 * One thread (the parent's loop).
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_KEYS_H
#define RAMPART_GATEWAY_PROC_PARENT_KEYS_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/proc/keyholder_proc.h"
#include "gateway/proc/relay_proc.h"
#include "gateway/proc/sandbox.h"
#include "common/ratelimit.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct parent_keys {
    struct loop *loop;
    struct sandbox_child user;                       /* who key holders run as */
    struct keyholder_proc *all;                      /* every one not yet reaped */
    struct ratelimit ipc_log;                        /* ipc_unexpected lines */
    void (*ready)(void *arg, struct relay_proc *rp); /* rp's keys are loaded (rp in RELAY_KEYS) */
    void *arg;
};

/* `user`: [gateway] keyholder_user; `drop` false: the parent is not root
 * and key holders keep its user. 0, or -1 with err. */
int parent_keys_init(struct parent_keys *pk, struct loop *loop, const char *user, bool drop, char *err,
                     size_t err_len);
/* A key holder for rp with cfg. 0, or -1 (logged). */
int parent_keys_start(struct parent_keys *pk, struct relay_proc *rp, const struct config *cfg);
/* rp is gone (reaped or never started): its key holder stops. */
void parent_keys_release(struct parent_keys *pk, struct relay_proc *rp);
/* pid was a key holder: true, and *owner the relay it signed for (NULL if
 * it was stopping), whose replacement is scheduled; `why` says why it
 * ended, for a relay whose start it fails. */
bool parent_keys_reaped(struct parent_keys *pk, pid_t pid, int wstatus, struct relay_proc **owner, char *why,
                        size_t why_len);
/* Every watchdog tick: deadlines of every key holder; and for rp (running
 * with cfg, a relay that may still get new connections) a replacement
 * key holder when its last one died and the backoff has passed. */
void parent_keys_tick(struct parent_keys *pk, uint64_t now_ms);
void parent_keys_retry(struct parent_keys *pk, struct relay_proc *rp, const struct config *cfg,
                       uint64_t now_ms);
/* Any key holder not yet reaped (the parent waits for them at exit). */
bool parent_keys_any(const struct parent_keys *pk);

#endif /* RAMPART_GATEWAY_PROC_PARENT_KEYS_H */
