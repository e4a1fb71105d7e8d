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
struct abuse;
struct connlimit;

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
    struct connlimit *limits;     /* shared total and per-IP limits (admission.c) */
    bool draining;                /* SIGTERM/reload: no new requests, finish in-flight */
    unsigned n_conns;             /* open client connections on this worker */
    void *conns;                  /* conn.c's list of live connections */
};

#define WORKER_DRAIN_POLL_MS   100
#define WORKER_TICK_MS         100   /* liveness tick of each worker loop */
#define WORKER_STALL_MS        2000  /* a worker loop silent this long is stuck */
#define WORKER_ACCEPT_BATCH    64    /* accepts per readiness event, for fairness */
#define WORKER_EMFILE_PAUSE_MS 100   /* out of fds: stop accepting this long */
#define WORKER_PAUSE_LOG_MS    10000 /* ...and say so at most this often */

/* One listening address of the relay: its kind and its SO_REUSEPORT
 * sockets, one per worker (fds[worker]), opened by the parent. */
#define WORKER_MAX_LISTEN_SLOTS (2 * CONFIG_MAX_LISTENERS)
struct worker_listen_slot {
    enum listener_kind kind;
    const int *fds;
};

struct worker_pool;

/* Starts cfg->gateway.workers threads, each accepting on its socket of
 * every slot; the pool owns (and eventually closes) those fds. NULL on failure
 * (logged; the relay then exits, which closes whatever is left). Call with all signals blocked: the threads
 * inherit the mask and leave signals to the control thread. `abuse` (may be
 * NULL) must outlive the pool. */
struct worker_pool *worker_pool_start(const struct config *cfg, struct tls_server *tls,
                                      struct backend_set *backends, struct abuse *abuse,
                                      const struct worker_listen_slot *slots, unsigned n_slots);
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
