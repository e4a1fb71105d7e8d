/*
 * parent: the small privileged process of `rampart -c FILE` (the model of
 * OpenBSD relayd's parent). It opens the listening sockets, keeps only
 * CAP_NET_ADMIN + CAP_NET_RAW, runs VRRP on its own loop, and supervises
 * the relay process:
 *
 *   - starts it (fork + exec of this binary, listeners passed down, config
 *     sent over the socketpair) and restarts it at once when it dies or
 *     misses heartbeats, telling VRRP (priority 0 while no relay serves);
 *   - SIGHUP: loads and checks the new config (certificates included); if
 *     anything is wrong, logs every problem and changes nothing; otherwise
 *     starts a new relay with it and, once that one is ready, tells the old
 *     one to drain (established connections finish there);
 *   - SIGTERM/SIGINT: the relays drain (drain_timeout), VRRP shuts down
 *     (priority 0, VIPs removed), exit 0.
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_H
#define RAMPART_GATEWAY_PROC_PARENT_H

#include "gateway/config/config.h"

#include <stddef.h>

/* Heartbeat timeout and restart backoff: gateway/proc/supervise.h. */
#define PARENT_START_TIMEOUT_MS 10000 /* exec to READY (certificates, set-up) */
#define PARENT_FAST_FAIL_MS     2000  /* a relay dying sooner is a crash loop */
#define PARENT_KILL_GRACE_MS    2000  /* after drain_timeout, before SIGKILL */

/* Certificates and keys load, exactly as the relay will load them
 * (`rampart -t` and every reload). 0, or -1 with "FILE: reason" in err. */
int parent_check_tls(const struct config *cfg, char *err, size_t err_len);

/* Runs the daemon with cfg (ownership passes to the parent). Returns the
 * exit status: 0 after SIGTERM, 1 if it could not start. */
int parent_run(struct config *cfg);

#endif /* RAMPART_GATEWAY_PROC_PARENT_H */
