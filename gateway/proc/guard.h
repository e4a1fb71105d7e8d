/*
 * guard: a small process that outlives the parent, so a parent killed
 * with SIGKILL (or crashing) still hands its VIPs over at once: without it
 * the peer waits its whole master-down time (3 adverts and a skew) and the
 * dead node keeps the addresses configured, answering ARP next to the new
 * master, until someone restarts it.
 *
 * What it holds: a description of every VRRP instance of the parent
 * (struct vrrp_node_desc: interface, family, VRID, advert interval, our
 * source address, where adverts go, the VIPs, whether we are Master),
 * pointer-free and fixed in size, sent by the parent over a pipe whenever
 * it changes (a state change, a new source address). What it does: waits
 * on the pipe. When it ends without the parent's EXIT (the kernel closes
 * a dead process's descriptors, however it died), it sends one priority-0
 * advert per instance it was Master of, from the parent's source address
 * to the group or the unicast peers (the Backup takes over after its skew
 * time, ~60 ms at 100 ms adverts, as after a SIGTERM), removes every VIP,
 * and exits. The EXIT message comes with a clean shutdown, which has done
 * that already.
 *
 * Its privileges (gateway/proc/sandbox.h): uid 0 with NOROOT (worth no
 * capability), CAP_NET_ADMIN (addresses) and CAP_NET_RAW (the advert)
 * through the ambient set, nothing else in its bounding set, no_new_privs,
 * and a seccomp filter of its own: reading the pipe, a raw IP socket and a
 * route netlink socket when it acts, nothing else. It takes no network
 * input: the sockets are opened when the parent is gone, written to, and
 * closed; the only input it reads is the parent's pipe, every message
 * checked for size, kind and meaning (guard_msg_check) before it replaces
 * what the guard holds.
 *
 * The parent starts it after VRRP (parent.c), restarts it if it dies, and
 * sends it the instances' state from its watchdog (parent_supervise.c:
 * every 50 ms, when it differs from what was sent). The pipe's write end
 * is close-on-exec: relays never hold it, so only the parent's death
 * closes it.
 */
#ifndef RAMPART_GATEWAY_PROC_GUARD_H
#define RAMPART_GATEWAY_PROC_GUARD_H

#include "common/parse.h"
#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/vrrp_node.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GUARD_ARGV_FLAG     "--guard"   /* hidden command-line mode of `rampart` */
#define GUARD_PIPE_FD       3           /* the guard reads the parent's messages here */
#define GUARD_INSTANCES_MAX 8           /* VRRP instances described */
#define GUARD_MAGIC         0x52504731u /* "RPG1" */
#define GUARD_RESPAWN_MS    1000        /* a guard that died is started again this much later */

/* What the guard holds of each instance: its description (vrrp_node.h:
 * fixed size, no pointers), what vrrp_node_desc_stand_down needs. */
enum guard_kind { GUARD_MSG_STATE = 1, GUARD_MSG_EXIT = 2 };

/* Every message has this one size, written in one write(2): a pipe keeps
 * writes of up to PIPE_BUF bytes whole. */
struct guard_msg {
    uint32_t magic;
    uint32_t kind; /* enum guard_kind */
    uint32_t n;    /* instances used (STATE) */
    uint32_t reserved;
    struct vrrp_node_desc inst[GUARD_INSTANCES_MAX];
};

/* Pure: whether a message read from the pipe (n bytes) may be used. 0, or
 * -1 with a reason: the size, the magic, the kind, a count, an interface
 * name, a family, a VRID, a prefix length, a reserved field. */
int guard_msg_check(const struct guard_msg *m, size_t n, const char **why);

/* ---- the parent's side (guard.c) ---- */

struct guard;
/* Forks and execs the guard. NULL with err. */
struct guard *guard_spawn(char *err, size_t err_len);
/* The instances now (at most GUARD_INSTANCES_MAX); sent when they differ
 * from what the guard last got. */
void guard_update(struct guard *g, const struct vrrp_node_desc *inst, unsigned n);
/* A clean shutdown (VRRP has left): EXIT, then the pipe closes; the guard
 * exits without acting. Frees g; the child is reaped by the caller's
 * SIGCHLD handling (guard_reaped). Safe with NULL. */
void guard_exit(struct guard *g);
/* From the parent's SIGCHLD handling: true when pid was g's (it is gone:
 * guard_forget, and start another). */
bool guard_is(const struct guard *g, pid_t pid);
void guard_forget(struct guard *g);

/* The parent's keeper of its guard: starts it, starts another when one dies
 * (after GUARD_RESPAWN_MS), keeps it told, and tells it EXIT. On the
 * parent's loop. */
struct guard_keeper {
    struct guard *g;
    struct loop *loop;
    struct loop_timer respawn;
    bool stopped;
};
int guard_keeper_start(struct guard_keeper *k, struct loop *loop, char *err, size_t err_len);
void guard_keeper_update(struct guard_keeper *k, const struct vrrp_node_desc *inst, unsigned n);
/* From the parent's SIGCHLD handling: true when pid was the guard (logged,
 * another one is on its way). */
bool guard_keeper_reaped(struct guard_keeper *k, pid_t pid, const char *how);
/* VRRP has left (a clean shutdown), or never started: EXIT, no respawn. */
void guard_keeper_stop(struct guard_keeper *k);

/* ---- the guard process (guard_main.c) ---- */

int guard_main(void);

#endif /* RAMPART_GATEWAY_PROC_GUARD_H */
