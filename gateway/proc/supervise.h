/*
 * supervise: the parent's decisions about its relays, as pure functions
 * (parent_supervise.c does the I/O): how long a silent relay is
 * tolerated, how soon a dead one is replaced, when VRRP must hand the VIPs
 * over because no relay serves, and which backends a new relay starts
 * with down.
 */
#ifndef RAMPART_GATEWAY_PROC_SUPERVISE_H
#define RAMPART_GATEWAY_PROC_SUPERVISE_H

#include "gateway/config/config.h"

#include <stdint.h>

#define SUPERVISE_HEARTBEAT_TIMEOUT_MS 500 /* without VRRP */
#define SUPERVISE_MIN_MISSED_BEATS     3   /* with VRRP: never below 3 heartbeats */
#define SUPERVISE_FIRST_BACKOFF_MS     100
#define SUPERVISE_MAX_BACKOFF_MS       5000
/* relay_grace by default: this many advert intervals of the fastest
 * instance, the master-down time a backup would wait for a dead node (RFC
 * 5798: 3 x advert + skew). A relay restart (tens of ms, 110-220 ms on a
 * loaded machine) fits in it, so a lost relay moves no client; a handover
 * never waits longer than a dead node would cost. */
#define SUPERVISE_RELAY_GRACE_ADVERTS 3

/* A relay silent for longer is lost: one VRRP advert interval (the
 * shortest instance's: the peer would notice no sooner), or
 * SUPERVISE_HEARTBEAT_TIMEOUT_MS without VRRP. */
uint64_t supervise_heartbeat_timeout_ms(const struct config *cfg, uint64_t heartbeat_ms);

/* How long VRRP keeps its priority after the serving relay is lost:
 * [gateway] relay_grace, else three advert intervals (the fastest enabled
 * instance's); 0 without VRRP. */
uint64_t supervise_relay_grace_ms(const struct config *cfg);

/* The serving relay was lost at `lost_ms` (the first loss since a relay was
 * last ready; later losses keep that start) and `fast_failures` relays in a
 * row died soon after starting. The listening sockets are the parent's:
 * clients queue while a replacement starts, so one that is ready within the
 * grace needs no handover. Returns when VRRP must stand down (priority 0)
 * unless a relay is ready by then: `lost_ms` itself (at once) when the
 * relays crash-loop (the next start waits for the backoff) or the grace is
 * 0, else lost_ms + the grace. */
uint64_t supervise_stand_down_at(const struct config *cfg, unsigned fast_failures, uint64_t lost_ms);

/* Delay before starting a replacement after `fast_failures` relays in a
 * row died soon after their start: 0 (at once) for the first, then 100 ms
 * doubling up to SUPERVISE_MAX_BACKOFF_MS. */
uint64_t supervise_restart_delay_ms(unsigned fast_failures);

/* Backends of `to` that were down (bits of from_mask) in `from`, matched by
 * name and address; bit i = backend i of `to`. */
uint64_t supervise_map_down(const struct config *from, uint64_t from_mask, const struct config *to);

#endif /* RAMPART_GATEWAY_PROC_SUPERVISE_H */
