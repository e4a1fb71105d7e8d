/*
 * abuse: the abuse detector of the control plane (ARCHITECTURE.md: "abuse
 * detector -> blocklist set (timeouts)"). The relay's workers note every
 * request or connection the gateway itself refused (400/408/413/414/431,
 * per-IP connection limit); a client IP that collects `threshold` of them
 * within one window is queued for blocking. The relay's control thread
 * takes the queue and asks the parent (which holds CAP_NET_ADMIN) to put
 * the address in the nftables blocklist set.
 *
 * "Client" is the IPv4 address, or the IPv6 /64 (as connlimit.h counts
 * connections); the address queued for blocking is the one whose refusal
 * reached the threshold.
 *
 * Pure and bounded: a fixed table of ABUSE_TABLE_SIZE client addresses
 * (open addressing, ABUSE_PROBE slots per key; when all are busy the
 * oldest window is evicted: an attacker spraying addresses costs us old
 * entries, never memory) and a queue of ABUSE_PENDING_MAX offenders. Time
 * is the caller's (monotonic ms), so tests run on virtual time. One mutex:
 * every worker thread shares one detector, so a client spreading its
 * connections over the workers is still counted once.
 *
 * Windows are fixed: the first refusal opens a window of window_ms; when
 * the count reaches threshold inside it the address is queued and its
 * count starts again (it is blocked by then, so a second report only
 * comes after the block expired and it misbehaved again).
 */
#ifndef RAMPART_GATEWAY_PROXY_ABUSE_H
#define RAMPART_GATEWAY_PROXY_ABUSE_H

#include "common/parse.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define ABUSE_TABLE_SIZE        4096 /* client addresses tracked at once (power of 2) */
#define ABUSE_PROBE             8    /* slots looked at per key before evicting */
#define ABUSE_PENDING_MAX       64   /* offenders queued for the parent */
#define ABUSE_KEY_LEN           16   /* IPv6 /64, or IPv4 as ::ffff:a.b.c.d */
#define ABUSE_IPV6_PREFIX_BYTES 8    /* IPv6 clients are counted per /64, like connlimit */

struct abuse_entry {
    uint8_t key[ABUSE_KEY_LEN];
    bool used;
    unsigned count;
    uint64_t window_start_ms;
};

struct abuse {
    unsigned threshold;
    uint64_t window_ms;
    pthread_mutex_t lock;
    struct abuse_entry table[ABUSE_TABLE_SIZE];
    struct ip_addr pending[ABUSE_PENDING_MAX];
    unsigned n_pending;
    uint64_t evictions;  /* tracked addresses pushed out by new ones */
    uint64_t queue_full; /* offenders not queued (retried on their next refusal) */
};

/* threshold >= 1, window_ms >= 1. */
void abuse_init(struct abuse *a, unsigned threshold, uint64_t window_ms);
void abuse_destroy(struct abuse *a);

/* One refusal from addr at now_ms. true when this one made addr an
 * offender (it is queued for abuse_take). */
bool abuse_note(struct abuse *a, const struct ip_addr *addr, uint64_t now_ms);
/* The same for an accepted socket's peer; false for other families. */
bool abuse_note_peer(struct abuse *a, const struct sockaddr_storage *peer, uint64_t now_ms);

/* Pure: whether a refusal with this status counts (400, 408, 413, 414,
 * 431: malformed, too slow, too large; not 405/417/505, which honest but
 * old or unusual clients earn). */
bool abuse_counts_status(unsigned status);

/* Moves up to max queued offenders to out (oldest first); their number. */
unsigned abuse_take(struct abuse *a, struct ip_addr *out, unsigned max);

/* The client address of a socket peer (IPv4-mapped IPv6 as IPv4). 0, or
 * -1 for a family that is neither. */
int abuse_peer_addr(const struct sockaddr_storage *peer, struct ip_addr *out);

#endif /* RAMPART_GATEWAY_PROXY_ABUSE_H */
