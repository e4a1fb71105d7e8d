/*
 * connlimit: the total and per-client-IP connection counts of the relay,
 * checked by worker.c right after accept(), before the TLS handshake costs
 * anything. Shared by all worker threads (one mutex; an accept is rare next
 * to the handshake it guards).
 *
 * "Client IP" is the IPv4 address, or the IPv6 /64 (one subscriber usually
 * holds a whole /64, so counting /128s would let one client open a
 * connection per address). IPv4-mapped IPv6 peers count as IPv4.
 */
#ifndef RAMPART_GATEWAY_PROXY_CONNLIMIT_H
#define RAMPART_GATEWAY_PROXY_CONNLIMIT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONNLIMIT_BUCKETS 4096 /* hash buckets of the per-IP table (power of 2) */

enum connlimit_result {
    CONNLIMIT_OK,
    CONNLIMIT_TOTAL,  /* max_connections reached */
    CONNLIMIT_PER_IP, /* max_connections_per_ip reached for this client */
    CONNLIMIT_NOMEM,  /* could not track the client: refused */
};

struct connlimit_entry;

struct connlimit {
    unsigned max_total, max_per_ip; /* 0 = no limit */
    unsigned total;
    unsigned n_clients; /* distinct client keys tracked */
    struct connlimit_entry *buckets[CONNLIMIT_BUCKETS];
    pthread_mutex_t lock;
};

void connlimit_init(struct connlimit *cl, unsigned max_total, unsigned max_per_ip);
void connlimit_destroy(struct connlimit *cl);

/* Counts one more connection from peer, or says why not. */
enum connlimit_result connlimit_acquire(struct connlimit *cl, const struct sockaddr_storage *peer);
/* Undoes one successful acquire for the same peer. */
void connlimit_release(struct connlimit *cl, const struct sockaddr_storage *peer);

/* Connections currently counted for peer's key (tests, status page). */
unsigned connlimit_count(struct connlimit *cl, const struct sockaddr_storage *peer);

#endif /* RAMPART_GATEWAY_PROXY_CONNLIMIT_H */
