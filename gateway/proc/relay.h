/*
 * relay: the unprivileged process that serves clients (TLS + HTTP in worker
 * threads) and runs the active health checks. Started by the parent
 * (parent_relay.c) as a fresh exec of the same binary, so every relay gets
 * its own address-space randomisation; it receives its config over the
 * IPC socket and its listening sockets as inherited fds.
 *
 * Life of a relay: load certificates (their private keys stay in the key
 * holder, which signs for the relay over one channel per worker), drop to
 * the configured user with no capabilities, no_new_privs and a seccomp
 * allowlist, start the workers, report READY, then heartbeat every
 * RELAY_HEARTBEAT_MS with the number of backends up. On DRAIN (reload or
 * SIGTERM) it stops accepting, lets in-flight requests finish within
 * drain_timeout, and exits 0.
 */
#ifndef RAMPART_GATEWAY_PROC_RELAY_H
#define RAMPART_GATEWAY_PROC_RELAY_H

#include "gateway/config/config.h"

#include <stdbool.h>
#include <stdint.h>

#define RELAY_HEARTBEAT_MS    50
#define RELAY_ARGV_FLAG       "--relay" /* hidden command-line mode of `rampart` */
#define RELAY_IPC_FD          3         /* fd layout of an exec'd relay: IPC socket, */
#define RELAY_FIRST_LISTEN_FD 4         /* then listener.h's array */

/* Serves with cfg until drained. ipc_fd < 0: standalone (no parent, no
 * privilege drop: tests); otherwise heartbeats go there and commands come
 * from there. down_mask: backends that start down (ipc.h IPC_BACKENDS).
 * tickets: the parent's session-ticket keys (NULL: this process's own).
 * signer: where the private keys sign (the key holder's channels; taken;
 * NULL without HTTPS). Returns the process exit status. */
struct tls_ticket_keys;
struct tls_signer;
int relay_run(const struct config *cfg, const int *listen_fds, int ipc_fd, bool drop_privileges,
              uint64_t down_mask, const struct tls_ticket_keys *tickets, struct tls_signer *signer);

/* Entry point of `rampart --relay` (exec'd by the parent). */
int relay_main(void);

#endif /* RAMPART_GATEWAY_PROC_RELAY_H */
