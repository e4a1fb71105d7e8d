/*
 * child: fork + exec of one of the parent's children (relay, key holder):
 * the descriptor layout, the switch to the child's user, the exec of this
 * same binary in the child's mode. relay_proc.c and keyholder_proc.c say
 * when and what; this file knows how.
 *
 * Why exec and not just fork: every child then starts from a clean image
 * with fresh address-space randomisation (a crashed relay's successor does
 * not share its layout), holds no copy of the parent's memory, and
 * inherits exactly the descriptors it is given: 0-2, its control socket at
 * CHILD_IPC_FD and its own ones from CHILD_FIRST_FD on (the relay's
 * listeners, the key holder's channels). The VRRP raw socket, the netlink
 * sockets and everything else stay behind.
 */
#ifndef RAMPART_GATEWAY_PROC_CHILD_H
#define RAMPART_GATEWAY_PROC_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#define CHILD_IPC_FD   3    /* the control socket (SOCK_SEQPACKET, ipc.h) */
#define CHILD_FIRST_FD 4    /* then fds[0..n) */
#define CHILD_MAX_FDS  1024 /* >= LISTENER_MAX_FDS, checked in relay_proc.c */

struct sandbox_child;

/* Starts `rampart <flag>` as `who` (sandbox_child_enter between fork and
 * exec; NULL: the parent's user) with fds[0..n) (n <= CHILD_MAX_FDS) from
 * CHILD_FIRST_FD. Returns the pid and the parent's end of the control
 * socket in *ipc_fd (non-blocking, close-on-exec), or -1 with err filled. */
pid_t child_spawn(const char *flag, const int *fds, unsigned n, const struct sandbox_child *who, int *ipc_fd,
                  char *err, size_t err_len);

#endif /* RAMPART_GATEWAY_PROC_CHILD_H */
