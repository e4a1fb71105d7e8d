/*
 * sandbox: what each process gives up, in one place.
 *
 * Parent (uid stays 0 so it can read root-only key files and start a
 * fresh relay): effective and permitted capabilities cut to CAP_NET_ADMIN
 * + CAP_NET_RAW (VRRP, the VIP, the firewall). Its saved uid becomes the
 * relay's user, so it can still SIGKILL a stuck relay (no CAP_KILL).
 *
 * Relay (after it has read its certificates as root): bounding set
 * emptied, supplementary groups, gid and uid switched to the configured
 * user (so no capability is left either), PR_SET_NO_NEW_PRIVS, and a
 * seccomp allowlist: what an event-driven TLS proxy needs (I/O on fds it
 * already has, TCP sockets, threads, memory, time, randomness). Anything
 * else fails with EPERM; calls that only an attacker would make (exec,
 * ptrace, fork, namespaces, module loading, ...) kill the relay, and the
 * parent logs it and starts a new one.
 *
 * Each function returns 0, or -1 with "what failed: why" in err.
 */
#ifndef RAMPART_GATEWAY_PROC_SANDBOX_H
#define RAMPART_GATEWAY_PROC_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

int sandbox_parent_caps(const char *relay_user, char *err, size_t err_len);
/* kill(2) of a relay from the parent; 0 or -1 with errno. */
int sandbox_signal_relay(pid_t pid, int sig);
int sandbox_relay_drop_user(const char *user, char *err, size_t err_len);
int sandbox_relay_seccomp(char *err, size_t err_len);

#endif /* RAMPART_GATEWAY_PROC_SANDBOX_H */
