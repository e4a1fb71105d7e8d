/*
 * conn: what a worker asks of the connection side (conn.c and friends, see
 * conn_internal.h): take an accepted client socket, drain, free the
 * per-worker state. Everything else about a connection is internal.
 */
#ifndef RAMPART_GATEWAY_PROXY_CONN_H
#define RAMPART_GATEWAY_PROXY_CONN_H

#include "gateway/proxy/worker.h"

#include <stdint.h>
#include <sys/socket.h>

/* On drain (reload or SIGTERM) an idle keep-alive connection may still send
 * its next request this long: it is answered with "Connection: close" and
 * closed, as HAProxy does on a soft stop, so a reload never cuts a client
 * that was about to reuse its connection. */
#define CONN_DRAIN_IDLE_GRACE_MS 1000

/* Client sockets get TCP_USER_TIMEOUT = send_timeout, but never less than
 * this: retransmissions back off from 200 ms, and a lower value would cut
 * a client for one lost packet. */
#define CONN_USER_TIMEOUT_MIN_MS 5000

/* Called by worker.c for every accepted client socket (non-blocking,
 * CLOEXEC) that admission let in, on the worker's thread; local_port is
 * the listener's (X-Forwarded-Port). conn.c owns fd from here on and
 * closes it; it calls admission_release exactly once when the connection
 * ends (with the same peer). */
void conn_accept(struct worker *w, enum listener_kind kind, uint16_t local_port, int fd,
                 const struct sockaddr_storage *peer);

/* Drain (SIGTERM or reload): w->draining is already true. Idle keep-alive
 * connections may send one more request for CONN_DRAIN_IDLE_GRACE_MS
 * (answered with "Connection: close"), then they are closed; in-flight
 * requests finish, then close (no further keep-alive). Returns the number
 * of connections still open. worker.c calls it when the drain starts and
 * again every WORKER_DRAIN_POLL_MS until no connection is left or
 * drain_timeout_ms passes (then the remaining ones are cut when the relay
 * exits). */
unsigned conn_drain(struct worker *w);

/* Frees the per-worker state (idle pool, caches). Done by conn.c itself
 * when a draining worker's last connection ends; call it when a worker
 * loop ends any other way, after every connection is gone. */
void conn_worker_destroy(struct worker *w);

#endif /* RAMPART_GATEWAY_PROXY_CONN_H */
