/*
 * sandbox: what each process gives up, in one place (sandbox.c: users,
 * capabilities, securebits, the fork-to-exec step; sandbox_seccomp.c: the
 * filters).
 *
 * Parent (uid 0 throughout, so it reads root-only files at a reload:
 * config, policy, certificates and keys, as their owner):
 *   - capability bounding set, permitted set: CAP_NET_ADMIN + CAP_NET_RAW
 *     (VRRP, the VIP, the firewall), CAP_KILL, CAP_SETUID, CAP_SETGID,
 *     CAP_SETPCAP; effective: CAP_NET_ADMIN + CAP_NET_RAW only. The other
 *     four are raised for one call and dropped again: CAP_KILL around the
 *     kill() of a relay (sandbox_signal_relay), the set-id three in a
 *     child between fork and exec (sandbox_child_enter). Inheritable and
 *     ambient sets empty.
 *   - securebits SECBIT_NOROOT, SECBIT_NO_SETUID_FIXUP and KEEP_CAPS off,
 *     each with its _LOCKED bit: uid 0 never brings capabilities back, not
 *     to the parent, not to anything it execs (an exec'd root child starts
 *     with none), and changing uids never changes capabilities by itself.
 *     Inherited by every child, for good.
 *   - PR_SET_NO_NEW_PRIVS: no exec gains privileges (set-id bits, file
 *     capabilities).
 *   - its own seccomp allowlist (sandbox_parent_seccomp): netlink, raw and
 *     packet sockets for VRRP/ARP, TCP listeners, fork + exec of a child,
 *     waiting for and signalling it, its loop, reading files at a reload;
 *     setresuid/setresgid/setgroups only with the arguments the children's
 *     start needs (pinned to their users). Anything else fails with EPERM
 *     (never a kill: a dead parent leaves the VIP where it is).
 *
 * Why CAP_KILL, and not a shared uid. Until issue 10 the parent's saved
 * uid was the relay's user, so that it could borrow it to SIGKILL a stuck
 * relay; the kernel's rule is symmetric, so the relay (and anything else
 * running as that user) could signal the parent: kill(parent, SIGSTOP), or
 * F_SETOWN + F_SETSIG + O_ASYNC on a socket, froze VRRP and supervision.
 * Now no uid is shared. The parent, not the relay, holds the right to
 * signal, and only for the moment of the call; a compromised parent is
 * uid 0 with CAP_NET_ADMIN already, so CAP_KILL adds little to it, while a
 * uid the two shared gave the relay a way in. The relay also cannot set
 * an owner for SIGIO at all (its filter kills it for F_SETOWN, F_SETSIG,
 * O_ASYNC, FIOSETOWN, SIOCSPGRP, FIOASYNC).
 *
 * Relay start (between fork and exec, sandbox_child_enter, in the child):
 * raises CAP_SETUID, CAP_SETGID, CAP_SETPCAP from the permitted set,
 * empties the bounding set, drops supplementary groups, sets gid and real
 * uid to the relay's user with effective and saved uid 0, and clears every
 * capability. Exec'd so (NOROOT: no capability for uid 0), the relay still
 * opens root-owned key files (uid 0 owns them) and nothing else a root
 * process could; once its certificates are read it switches effective and
 * saved uid to its real uid, the relay user (allowed without privilege),
 * checks it cannot return to root, and loads its own filter
 * (sandbox_relay_seccomp): I/O on fds it holds, TCP sockets (IPv4/IPv6
 * stream only: no UDP, no unix, no netlink), threads, memory, time,
 * randomness; exec, ptrace, fork, namespaces, module loading, the set-id
 * family and the signal-owner calls above kill it; other calls fail with
 * EPERM. Filters stack: the relay runs under the parent's and its own.
 *
 * Key holder (issue 11, gateway/proc/keyholder.h) follows the relay's
 * path with a user of its own ([gateway] keyholder_user): started the same
 * way, it reads the key files as uid 0 without capability, switches all
 * uids to its user (sandbox_child_drop_user), makes itself undumpable and
 * loads its own filter (sandbox_keyholder_seccomp): I/O on its
 * socketpairs, threads, memory, time and randomness; socket, connect,
 * bind, listen, accept, exec, ptrace, fork, the set-id family, signals to
 * others and the rest of the relay's kill list kill it; open and every
 * other call fail with EPERM. It has no network and no filesystem.
 *
 * Children to come (13/16's guard and ACME client) follow the same path: a struct sandbox_child names the
 * user each runs as (one user per role, none shared with the parent or each other), every child is listed
 * when the parent's filter is loaded (at start: that pins the set-id calls to their users, which is why
 * [gateway] user cannot change on reload), the parent forks and execs it through sandbox_child_enter, and the
 * child loads a filter of its own once set up. The parent's filter is inherited, so its allowlist covers what
 * a child does before its own filter (opening files, binding sockets, loading a filter); a child that must
 * keep a capability across exec (the guard: CAP_NET_RAW, CAP_NET_ADMIN) gets it through the ambient set,
 * which is left unlocked for that.
 *
 * Each function returns 0, or -1 with "what failed: why" in err.
 */
#ifndef RAMPART_GATEWAY_PROC_SANDBOX_H
#define RAMPART_GATEWAY_PROC_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who a child runs as. `drop` false: the parent is not root (a developer's
 * run), and the child keeps the parent's user. */
struct sandbox_child {
    const char *role; /* "relay": for messages */
    bool drop;
    uid_t uid;
    gid_t gid;
};

/* The parent, as root, before it starts any thread or child: the hard fd
 * limit raised (children raise their soft limit without privilege), the
 * capability sets, securebits and no_new_privs above. Resolves
 * `relay_user` into *relay (refused: missing, root). */
int sandbox_parent_enter(const char *relay_user, struct sandbox_child *relay, char *err, size_t err_len);
/* The parent's seccomp filter, for every thread, with the set-id calls
 * pinned to the `n` children's users. Call when set-up is done. */
int sandbox_parent_seccomp(const struct sandbox_child *children, size_t n, char *err, size_t err_len);
/* securebits, as set (for the start-up log line and the tests). */
unsigned sandbox_securebits(void);

/* kill(2) of a child from the parent (CAP_KILL raised for the call); 0 or
 * -1 with errno. */
int sandbox_signal_relay(pid_t pid, int sig);

/* In a child between fork and exec (async-signal-safe: raw system calls
 * only): becomes `c` as described above. 0, or -1 (the child must
 * _exit). No-op when !c->drop. */
int sandbox_child_enter(const struct sandbox_child *c);

/* The guard (gateway/proc/guard.h), between fork and exec: keeps uid 0
 * (NOROOT: worth nothing) and passes CAP_NET_ADMIN + CAP_NET_RAW over the
 * exec through the ambient set, every other capability out of its bounding
 * set. Async-signal-safe; 0 or -1. */
int sandbox_guard_enter(void);
/* The guard's own filter: its pipe, a raw IP / packet / route netlink
 * socket to act with, memory and time; exec, fork, ptrace kill it. */
int sandbox_guard_seccomp(char *err, size_t err_len);

/* Resolves `user` into *out for a child of the parent (role: "relay",
 * "key holder"; refused: missing, root). */
int sandbox_child_user(const char *user, const char *role, struct sandbox_child *out, char *err,
                       size_t err_len);

/* A child (relay, key holder), after reading its files: the user switch
 * completed (or done whole when it started as full root) and checked. */
int sandbox_child_drop_user(const char *user, char *err, size_t err_len);
int sandbox_relay_seccomp(char *err, size_t err_len);
int sandbox_keyholder_seccomp(char *err, size_t err_len);

#endif /* RAMPART_GATEWAY_PROC_SANDBOX_H */
