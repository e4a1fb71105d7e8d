/*
 * instance: one rampart per set of ports, per PID file and per VRRP
 * instance. A second `rampart -c` with the listeners of a running one would
 * otherwise start without a word: SO_REUSEPORT lets it join the running
 * one's sockets and the kernel would split new connections between two
 * processes, each with its own config, VRRP state and firewall idea.
 *
 * What is refused, and how each is detected:
 *   - a listener address (or the admin address) someone listens on: a probe
 *     socket *without* SO_REUSEPORT is bound to it first (listener_probe()),
 *     which the kernel refuses with EADDRINUSE as it refuses nginx;
 *   - the same VRRP instance (interface + VRID): an abstract unix socket
 *     named after it is held for the parent's life;
 *   - the same [gateway] pid_file: an exclusive flock on it.
 * Abstract socket names belong to the network namespace, as ports and
 * interfaces do, so two instances in two namespaces never collide (the
 * tests run many); the kernel releases them and the flock when the process
 * dies, so a crash leaves nothing stale to clean up.
 *
 * The probe and the binding of the real sockets are not one step: two
 * instances started at the same moment could both pass the probe. A
 * start-up mutex (another abstract socket, per namespace) held from the
 * probe until the listeners are bound closes that window.
 *
 * The seamless reload is untouched: the parent keeps its sockets and
 * hands them down; only addresses new in the reloaded config are probed
 * (listener_open_all()).
 *
 * Runs in the parent, at start-up (blocking calls are allowed there).
 */
#ifndef RAMPART_GATEWAY_PROC_INSTANCE_H
#define RAMPART_GATEWAY_PROC_INSTANCE_H

#include "gateway/config/config.h"

#include <stddef.h>

/* How long a start waits for another instance of this namespace that is
 * between its probe and its bind (milliseconds; that takes a few). */
#define INSTANCE_STARTUP_WAIT_MS 3000
#define INSTANCE_STARTUP_POLL_MS 20
#define INSTANCE_LOCK_NAME_MAX   80 /* abstract socket names we make */

struct instance {
    int startup_fd;                         /* the start-up mutex while held, else -1 */
    int vrrp_fd[CONFIG_MAX_VRRP_INSTANCES]; /* each enabled VRRP instance's name, else -1 */
    int pid_fd;                             /* the flocked PID file, -1 without pid_file */
    char pid_path[CONFIG_PATH_MAX];
};

#define INSTANCE_INIT                                                                                        \
    ((struct instance){.startup_fd = -1, .vrrp_fd = {-1, -1, -1, -1, -1, -1, -1, -1}, .pid_fd = -1})
_Static_assert(CONFIG_MAX_VRRP_INSTANCES == 8, "INSTANCE_INIT sets every vrrp_fd to -1");

/* The abstract socket name of a VRRP instance: "rampart-vrrp:IF:VRID" for
 * IPv4, "rampart-vrrp6:IF:VRID" for IPv6 (RFC 5798 counts VRIDs per
 * family). Pure (tests). */
void instance_vrrp_name(const struct config_vrrp *v, char *out, size_t len);

/* Before anything of cfg takes effect: takes the PID file, the VRRP
 * instance and the start-up mutex, and probes every listener and the admin
 * address. 0, or -1 with the reason in err and nothing held. */
int instance_acquire(struct instance *in, const struct config *cfg, char *err, size_t err_len);

/* The listeners are bound: other instances may start (and will find them). */
void instance_started(struct instance *in);

/* At exit: removes the PID file (empties it where the sandbox forbids
 * unlink) and lets go of every name. Idempotent. */
void instance_release(struct instance *in);

#endif /* RAMPART_GATEWAY_PROC_INSTANCE_H */
