/*
 * pool: per-worker idle keep-alive connections to the backends, reused by
 * later requests (saves a TCP handshake per request and a TIME_WAIT per
 * response). A socket is checked for a close or stray bytes when taken;
 * the rare race (the backend closes just as we send) is covered by the
 * proxy's replay of requests none of whose body was sent.
 *
 * A pool belongs to one worker thread and its loop; nothing is shared.
 */
#ifndef RAMPART_GATEWAY_POOL_H
#define RAMPART_GATEWAY_POOL_H

#include "gateway/loop.h"

#include <stdbool.h>
#include <stdint.h>

#define POOL_IDLE_MAX_MS      15000  /* older idle sockets are not reused (nginx
                                        closes its side after 75 s by default) */

struct pool;

/* Sockets idle longer than idle_max_ms are not reused (0: POOL_IDLE_MAX_MS). */
struct pool *pool_new(struct loop *loop, unsigned n_backends, uint64_t idle_max_ms);
/* Closes every idle socket. */
void pool_free(struct pool *pool);

/* An idle socket to backend `index` (most recently used first), or -1.
 * `owner` names what the socket was opened for (the backend's config
 * entry): after a reload renumbers the backends, a socket put for another
 * owner is closed, never handed to the wrong server. `check`: peek first
 * for a close (one syscall), for requests that could not be replayed if
 * the socket turned out dead after their body left. */
int pool_take(struct pool *pool, unsigned index, const void *owner, bool check);

/* Keeps fd for reuse, or closes it when the backend already has max_idle
 * idle sockets (max_idle 0: never pooled) or memory is short. */
void pool_put(struct pool *pool, unsigned index, const void *owner, int fd, unsigned max_idle);

unsigned pool_idle_count(const struct pool *pool, unsigned index);

#endif /* RAMPART_GATEWAY_POOL_H */
