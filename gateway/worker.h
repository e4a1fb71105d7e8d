/*
 * worker: one relay thread with its own event loop. The relay process
 * (relay.c) starts `workers` of them; each accepts on its own SO_REUSEPORT
 * listener sockets (opened by the parent, passed down) and hands every new
 * connection to conn.c.
 *
 * Contract between the process side (relay.c, worker.c: threads, listeners,
 * limits, reload, drain) and the connection side (conn.c, http*.c, proxy.c:
 * TLS, HTTP, forwarding).
 */
#ifndef RAMPART_GATEWAY_WORKER_H
#define RAMPART_GATEWAY_WORKER_H

#include "gateway/backend.h"
#include "gateway/config.h"
#include "gateway/loop.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>

struct tls_server;

enum listener_kind { LISTENER_HTTPS, LISTENER_HTTP };

struct worker {
    unsigned id;
    struct loop *loop;
    /* Current config and TLS server. Swapped by a reload between events;
     * a connection keeps the pointers it started with (tls_server is
     * reference-counted; configs are kept until the relay exits). */
    const struct config *cfg;
    struct tls_server *tls;
    struct backend_set *backends; /* shared by all workers */
    bool draining;                /* SIGTERM: no new requests, finish in-flight */
    unsigned n_conns;             /* open client connections on this worker */
    void *conns;                  /* conn.c's list of live connections */
};

/* Called by worker.c for every accepted client socket (non-blocking,
 * CLOEXEC). conn.c owns fd from here on and closes it. `release` must be
 * called by conn.c exactly once when the connection ends, so worker.c can
 * keep the total and per-IP counts. */
void conn_accept(struct worker *w, enum listener_kind kind, int fd,
                 const struct sockaddr_storage *peer);
void worker_conn_released(struct worker *w, const struct sockaddr_storage *peer);

/* SIGTERM: close idle keep-alive connections now, let in-flight requests
 * finish and then close; returns the number of connections still open. */
unsigned conn_drain(struct worker *w);

#endif /* RAMPART_GATEWAY_WORKER_H */
