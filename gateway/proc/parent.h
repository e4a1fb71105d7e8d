/*
 * parent: the small privileged process of `rampart -c FILE` (the model of
 * OpenBSD relayd's parent). It opens the listening sockets, keeps only
 * CAP_NET_ADMIN + CAP_NET_RAW, runs VRRP on its own loop, and supervises
 * the relay process:
 *
 *   - starts it (fork + exec of this binary, listeners passed down, config
 *     sent over the socketpair) after its key holder (parent_keys.h) has
 *     loaded the private keys, and restarts it at once when it dies or
 *     misses heartbeats, telling VRRP (priority 0 while no relay serves);
 *   - SIGHUP: loads and checks the new config (certificates included); if
 *     anything is wrong, logs every problem and changes nothing; otherwise
 *     starts a new key holder with it (keys read again and checked: a bad
 *     one abandons the reload before anything changed), then applies the
 *     policy, starts a new relay and, once that one is ready, tells the
 *     old one to drain (established connections finish there, signed for
 *     by the old key holder, which stops with it);
 *   - SIGTERM/SIGINT: the relays drain (drain_timeout), VRRP shuts down
 *     (priority 0, VIPs removed), exit 0.
 *
 * Its parts, a file each, are listed in parent_internal.h.
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_H
#define RAMPART_GATEWAY_PROC_PARENT_H

#include "gateway/config/config.h"

#include <stdbool.h>
#include <stddef.h>

/* Heartbeat timeout and restart backoff: gateway/proc/supervise.h. */
#define PARENT_START_TIMEOUT_MS 10000 /* exec to READY (certificates, set-up) */
#define PARENT_FAST_FAIL_MS     2000  /* a relay dying sooner is a crash loop */
#define PARENT_KILL_GRACE_MS    2000  /* after drain_timeout, before SIGKILL */

/* The [tls] section builds, as the relay will build it: certificates,
 * names, policy; with `keys`, every private key loads and matches its
 * certificate too (`rampart -t`). The parent itself checks without keys
 * (at start and at every reload): it never maps a private key, the new
 * key holder checks them before anything changes. 0, or -1 with
 * "FILE: reason" in err. */
int parent_check_tls(const struct config *cfg, bool keys, char *err, size_t err_len);

/* Runs the daemon with cfg (ownership passes to the parent). Returns the
 * exit status: 0 after SIGTERM, 1 if it could not start. */
int parent_run(struct config *cfg);

#endif /* RAMPART_GATEWAY_PROC_PARENT_H */
