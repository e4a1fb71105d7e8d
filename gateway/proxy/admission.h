/*
 * admission: who may hold a connection on a worker, and when a draining
 * worker is done. worker.c asks admission_admit right after accept(),
 * before the TLS handshake costs anything; conn.c calls admission_release
 * exactly once when the connection ends. This file alone counts
 * connections (w->n_conns, the connection metrics, the total and per-IP
 * limits) and alone decides "drained".
 *
 * Runs on the worker's thread; the limits it consults are shared by all
 * workers of the relay (connlimit.h locks them).
 */
#ifndef RAMPART_GATEWAY_PROXY_ADMISSION_H
#define RAMPART_GATEWAY_PROXY_ADMISSION_H

#include "gateway/proxy/worker.h"

#include <stdbool.h>
#include <sys/socket.h>

/* true: peer may open one more connection (counted from now on). false:
 * refused by max_connections or max_connections_per_ip (counted in the
 * metrics; the per-IP refusal also by the abuse detector); close the fd. */
bool admission_admit(struct worker *w, const struct sockaddr_storage *peer);

/* The connection of peer ended. When the worker is draining and this was
 * its last connection, the worker's loop stops. */
void admission_release(struct worker *w, const struct sockaddr_storage *peer);

/* A request or connection of peer the gateway itself refused (4xx of its
 * own, per-IP limit): counted by the abuse detector, if any. */
void admission_note_reject(struct worker *w, const struct sockaddr_storage *peer);

/* Draining and no connection left: nothing more will happen on w. */
bool admission_drained(const struct worker *w);

#endif /* RAMPART_GATEWAY_PROXY_ADMISSION_H */
