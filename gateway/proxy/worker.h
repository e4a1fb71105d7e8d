/*
 * worker: one relay thread with its own event loop. The relay process
 * (relay.c) starts `workers` of them; each accepts on its own SO_REUSEPORT
 * listener sockets (opened by the parent, passed down) and hands every new
 * connection to conn.c.
 *
 * Contract between the process side (relay.c, worker.c: threads, listeners,
 * limits, reload, drain) and the connection side (conn.c, http*.c, proxy.c:
 * TLS, HTTP, forwarding).
 *
 * Who counts what: worker.c enforces max_connections and
 * max_connections_per_ip before conn_accept (the excess is closed at once
 * and counted with metrics_reject), and calls metrics_connection_opened /
 * _closed itself. conn.c must not call those two.
 */
#ifndef RAMPART_GATEWAY_PROXY_WORKER_H
#define RAMPART_GATEWAY_PROXY_WORKER_H

#include "gateway/upstream/backend.h"
#include "gateway/config/config.h"
#include "gateway/event/loop.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>

struct tls_server;

enum listener_kind { LISTENER_HTTPS, LISTENER_HTTP };

struct worker {
    unsigned id;
    struct loop *loop;
    /* Config and TLS server of this relay: fixed for its whole life (a
     * SIGHUP reload starts a new relay process with the new ones and lets
     * this one drain), so conn.c may keep these pointers freely. */
    const struct config *cfg;
    struct tls_server *tls;
    struct backend_set *backends; /* shared by all workers */
    struct abuse *abuse;          /* shared abuse detector, NULL when autoblock is off */
    bool draining;                /* SIGTERM/reload: no new requests, finish in-flight */
    unsigned n_conns;             /* open client connections on this worker */
    void *conns;                  /* conn.c's list of live connections */
};

/* ---- implemented by conn.c (connection side) ------------------------------ */

/* Called by worker.c for every accepted client socket (non-blocking,
 * CLOEXEC), on the worker's thread. conn.c owns fd from here on and closes
 * it. worker_conn_released must be called by conn.c exactly once when the
 * connection ends (with the same peer), so worker.c can keep the total and
 * per-IP counts. */
void conn_accept(struct worker *w, enum listener_kind kind, int fd, const struct sockaddr_storage *peer);

/* Drain (SIGTERM or reload): w->draining is already true. Idle keep-alive
 * connections may send one more request for CONN_DRAIN_IDLE_GRACE_MS
 * (answered with "Connection: close"), then they are closed; in-flight
 * requests finish, then close (no further keep-alive). Returns the number of connections still open.
 * worker.c calls it when the drain starts and again every
 * WORKER_DRAIN_POLL_MS until no connection is left or drain_timeout_ms
 * passes (then the remaining ones are cut when the relay exits). */
unsigned conn_drain(struct worker *w);

/* ---- implemented by worker.c (process side) ------------------------------- */

void worker_conn_released(struct worker *w, const struct sockaddr_storage *peer);

/* A request or connection of peer the gateway itself refused (4xx of its
 * own, per-IP limit): counted by the abuse detector, if any. */
void worker_note_reject(struct worker *w, const struct sockaddr_storage *peer);

#define WORKER_DRAIN_POLL_MS   100
#define WORKER_TICK_MS         100   /* liveness tick of each worker loop */
#define WORKER_STALL_MS        2000  /* a worker loop silent this long is stuck */
#define WORKER_ACCEPT_BATCH    64    /* accepts per readiness event, for fairness */
#define WORKER_EMFILE_PAUSE_MS 100   /* out of fds: stop accepting this long */
#define WORKER_PAUSE_LOG_MS    10000 /* ...and say so at most this often */

struct worker_pool;
struct connlimit;
struct abuse;

/* Starts cfg->gateway.workers threads; listen_fds is listener.h's layout
 * and the pool owns (and eventually closes) those fds. NULL on failure
 * (logged; the relay then exits, which closes whatever is left). Call with all signals blocked: the threads
 * inherit the mask and leave signals to the control thread. `abuse` (may be
 * NULL) must outlive the pool. */
struct worker_pool *worker_pool_start(const struct config *cfg, struct tls_server *tls,
                                      struct backend_set *backends, struct abuse *abuse,
                                      const int *listen_fds);
/* Asks every worker to stop accepting and drain; returns at once. */
void worker_pool_drain(struct worker_pool *pool);
/* Workers whose loop still runs (0 once drained). */
unsigned worker_pool_running(const struct worker_pool *pool);
/* false if a worker loop has not ticked for WORKER_STALL_MS (now_ms is
 * the caller's monotonic clock, loop_now_ms of the control loop). */
bool worker_pool_alive(struct worker_pool *pool, uint64_t now_ms);
/* Joins the threads (after they stopped) and frees everything. */
void worker_pool_free(struct worker_pool *pool);
struct connlimit *worker_pool_limits(struct worker_pool *pool);

#endif /* RAMPART_GATEWAY_PROXY_WORKER_H */
