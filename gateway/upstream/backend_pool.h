/*
 * pool: per-worker idle keep-alive connections to the backends, reused by
 * later requests (saves a TCP handshake per request and a TIME_WAIT per
 * response). Every backend socket is wrapped by the pool (backend_pool_adopt) and
 * stays registered with the loop for its whole life, idle or not: idle
 * sockets are watched for a close or stray bytes and dropped when one
 * comes, so putting a socket costs no system call; taking one costs one
 * peek, for what came since the loop last looked (below). The rare race
 * (the backend closes just as we send) is covered by the proxy's replay
 * of requests none of whose body was sent. Bytes a backend sends after
 * the request went out are read as its answer: HTTP/1.1 cannot tell a
 * late stray answer from a real one (SECURITY.md).
 *
 * A pool belongs to one worker thread and its loop; nothing is shared.
 */
#ifndef RAMPART_GATEWAY_UPSTREAM_BACKEND_POOL_H
#define RAMPART_GATEWAY_UPSTREAM_BACKEND_POOL_H

#include "gateway/event/loop.h"

#include <stdbool.h>
#include <stdint.h>

#define BACKEND_POOL_IDLE_MAX_MS                                                                             \
    15000 /* older idle sockets are not reused (nginx                                                        \
             closes its side after 75 s by default) */

struct backend_pool;

/* Sockets idle longer than idle_max_ms are not reused (0: BACKEND_POOL_IDLE_MAX_MS). */
struct backend_pool *backend_pool_new(struct loop *loop, unsigned n_backends, uint64_t idle_max_ms);
/* Closes every idle socket. */
void backend_pool_free(struct backend_pool *pool);

/* Wraps a new backend socket fd in a watcher the pool owns (the caller
 * sets io->fn and io->arg and watches it as usual), or NULL when memory is
 * short (fd is left open). The watcher stays valid until backend_pool_drop(). */
struct loop_io *backend_pool_adopt(struct backend_pool *pool, int fd);

/* An idle socket to backend `index` (most recently used first), still
 * registered with the loop, or NULL; the caller sets io->fn and io->arg.
 * `owner` names what the socket was opened for (the backend's config
 * entry): after a reload renumbers the backends, a socket put for another
 * owner is closed, never handed to the wrong server. Each is peeked at
 * first (one syscall): a close, or stray bytes, whose event the loop has
 * not dispatched yet (it came in the same batch as the request that takes
 * the socket) drops it. Stray bytes (the body a 304 declared, a second
 * answer) would otherwise be read as the answer to the next request,
 * another client's (fuzz_conn); a close would cost a request that cannot
 * be replayed. */
struct loop_io *backend_pool_take(struct backend_pool *pool, unsigned index, const void *owner);

/* Keeps the socket for reuse, or drops it when the backend already has
 * max_idle idle sockets (max_idle 0: never pooled) or it cannot be watched. */
void backend_pool_put(struct backend_pool *pool, unsigned index, const void *owner, struct loop_io *io,
                      unsigned max_idle);

/* Stops watching and closes the socket; the watcher is freed after the
 * current batch of events (an event for it may still be queued). */
void backend_pool_drop(struct backend_pool *pool, struct loop_io *io);

unsigned backend_pool_idle_count(const struct backend_pool *pool, unsigned index);
/* Test hook (tests/fuzz/fuzz_conn.c checks what it keeps): the fds of
 * backend `index`'s idle sockets, most recent first, at most max; how many. */
unsigned backend_pool_idle_fds(const struct backend_pool *pool, unsigned index, int *fds, unsigned max);

#endif /* RAMPART_GATEWAY_UPSTREAM_BACKEND_POOL_H */
