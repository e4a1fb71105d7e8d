/*
 * conn_harness: one real worker (gateway/proxy/) on a virtual clock, its
 * connections driven by a test without root, network namespaces or sleeps.
 *
 * What it builds: a struct config (config_defaults, access log off, one or
 * two backends), the backend_set, the connlimit, and a struct worker with
 * its loop on a virtual clock (loop_set_clock). Each backend is a
 * listening socket on 127.0.0.1 port 0 that the test accepts on and answers
 * from. A client is one end of a socketpair(); the other end goes to
 * conn_accept() exactly as worker.c hands over an accepted socket (after
 * admission_admit), with a made-up peer 198.18.0.1:port and the listener
 * port CONN_HARNESS_PORT_HTTPS or _HTTP.
 *
 * How it is driven: the test (or a fuzzer) interleaves client bytes,
 * backend bytes, closes, window stalls (a side that does not read; sockbuf
 * shrinks the gateway's send buffer so stalls come early) and clock steps;
 * conn_harness_step() runs exactly one loop iteration (a non-blocking
 * epoll_wait, the events, the due timers, the deferred frees). Deadlines
 * fire only when the test steps the clock, never because the machine is
 * slow. The *_wait helpers run iterations until what they wait for is
 * there, polling the test's own socket a millisecond at a time between
 * them (loopback delivery can lag behind the send when the machine is
 * loaded), at most CONN_HARNESS_WAIT_STEPS times.
 *
 * Hangs and livelocks: every iteration runs under a watchdog on the
 * thread's CPU clock: one that uses more than hang_ms of CPU never
 * returned to epoll, and the harness aborts the process with a message
 * (a test fails, libFuzzer reports a crash with the stack of the loop that
 * spins) instead of hanging. conn_harness_settle() runs iterations until
 * one finds nothing to do: a gateway that stays busy while nothing outside
 * it moves is a livelock, reported as false.
 *
 * No cmocka here: every call returns what happened, so a libFuzzer target
 * can reuse the harness and assert its own invariants. Linked into every
 * unit test (the Makefile globs the helpers folder); names carry
 * conn_harness_. One harness per thread; everything runs on the caller's
 * thread. The harness owns every fd it returns; conn_harness_close()
 * closes one early.
 */
#ifndef RAMPART_TESTS_UNIT_HELPERS_CONN_HARNESS_H
#define RAMPART_TESTS_UNIT_HELPERS_CONN_HARNESS_H

#include "gateway/config/config.h"
#include "gateway/proxy/connlimit.h"
#include "gateway/proxy/worker.h"
#include "gateway/upstream/backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#define CONN_HARNESS_MAX_BACKENDS 2
#define CONN_HARNESS_MAX_FDS      32     /* client and backend sockets the harness tracks */
#define CONN_HARNESS_WAIT_STEPS   5000   /* bound on every *_wait: iterations, 1 ms poll each */
#define CONN_HARNESS_CLOCK_START  100000 /* virtual ms at creation (0 means "unset" in places) */
#define CONN_HARNESS_PEER_IP      "198.18.0.1"
#define CONN_HARNESS_TLS_NAME     "www.rampart.test"
#define CONN_HARNESS_PORT_HTTPS   443 /* the listeners' ports the worker is told (X-Forwarded-Port) */
#define CONN_HARNESS_PORT_HTTP    80
#define CONN_HARNESS_HANG_MS      5000 /* CPU one loop iteration may use: beyond it, a hang (abort) */

struct tls_server;

struct conn_harness {
    struct config cfg; /* may be changed before the first connect */
    struct backend_set backends;
    struct connlimit limits;
    struct worker w;
    uint64_t now_ms; /* the virtual clock */
    struct loop_timer stop;
    int backend_listen[CONN_HARNESS_MAX_BACKENDS];
    int fds[CONN_HARNESS_MAX_FDS]; /* the test's sockets, -1 when closed */
    unsigned next_port;            /* next made-up client port */
    int sockbuf;                   /* > 0: SO_SNDBUF of the gateway's end of each client */
    unsigned hang_ms;              /* watchdog per iteration (CONN_HARNESS_HANG_MS); 0: off */
    bool has_watchdog;
    bool watch_span; /* conn_harness_watch armed it for the caller's span: steps leave it */
    timer_t watchdog;
};

/* n_backends (1..CONN_HARNESS_MAX_BACKENDS) listening backends, named
 * web-01, web-02. NULL on failure (errno set). */
struct conn_harness *conn_harness_new(unsigned n_backends);
/* Closes the test's sockets, runs the loop (stepping the clock past every
 * deadline if need be) until every connection ended, frees everything.
 * false when a connection was still open after that. */
bool conn_harness_free(struct conn_harness *h);
/* The same in two halves, for a fuzzer that runs one input after another
 * on one harness: making a harness costs system calls and page faults
 * (the loop's epoll set, the backends' listening sockets, the watchdog,
 * 70 KB zeroed) that a fast input does not. end_run closes the test's
 * sockets, ends every connection as conn_harness_free does, frees the
 * worker's state (pool, caches), the backends and the TLS server
 * reference, and resets what nobody accepted; false when a connection, a
 * timer or a deferred call was left (then only conn_harness_free, which
 * leaves it). new_run starts the next run as conn_harness_new would: a
 * fresh configuration, backend set and worker, the clock at
 * CONN_HARNESS_CLOCK_START; the loop, the listening sockets (backend i
 * keeps its port), the connection limits (empty) and the watchdog stay. */
bool conn_harness_end_run(struct conn_harness *h);
bool conn_harness_new_run(struct conn_harness *h, unsigned n_backends);

/* The HTTPS listener's TLS server, from a certificate and key file (as
 * [tls] would load them, as the default certificate for
 * CONN_HARNESS_TLS_NAME). 0, or -1 with the reason in err. */
int conn_harness_tls(struct conn_harness *h, const char *cert_file, const char *key_file, char *err,
                     size_t err_len);

/* A new client connection on a listener of `kind`: the test's end of the
 * socketpair (non-blocking), or -1 (admission refused it, or no fd). */
int conn_harness_connect(struct conn_harness *h, enum listener_kind kind);
/* Hands an already connected socket (a TCP connection from an external
 * TLS client, say) to the worker, which owns it from here on; peer as for
 * connect. false: admission refused it (it is closed). */
bool conn_harness_adopt(struct conn_harness *h, enum listener_kind kind, int gateway_fd);

/* The watchdog over a span the caller runs (a whole input of the fuzzer
 * and every iteration it takes): armed once with hang_ms, and steps and
 * settles leave it alone until conn_harness_watch_end. Re-arming it for
 * every iteration is a system call each (2-3% of a fuzzer's time); one
 * iteration that spins still uses up the span's CPU and aborts. */
void conn_harness_watch(struct conn_harness *h);
void conn_harness_watch_end(struct conn_harness *h);

/* One loop iteration, never blocking; n of them. false if epoll failed. */
bool conn_harness_step(struct conn_harness *h);
bool conn_harness_run(struct conn_harness *h, unsigned n);
/* Iterations until one runs no callback (no I/O event, no due timer, no
 * deferred call): true, and *steps (may be NULL) says how many it took.
 * false: still busy after max_steps, or epoll failed. The watchdog covers
 * the whole settle (hang_ms of CPU for all its iterations). */
bool conn_harness_settle(struct conn_harness *h, unsigned max_steps, unsigned *steps);
/* One iteration at the current time (bytes already sent are served when
 * they came), then the virtual clock moves forward by ms and one more
 * iteration runs, in which the deadlines reached fire. A single jump runs
 * each timer once, late: a timer that re-arms itself (keep-alive's buffer
 * release, then the idle timeout) counts from when it ran. */
bool conn_harness_advance(struct conn_harness *h, uint64_t ms);
/* The same in steps of tick_ms, as a real clock moves (the last one
 * shorter): every timer fires at its own deadline, give or take a tick. */
bool conn_harness_advance_by(struct conn_harness *h, uint64_t ms, uint64_t tick_ms);

/* Writes all of data (the test's sockets are never full in practice;
 * short writes are retried after a step). false on error. */
bool conn_harness_send(struct conn_harness *h, int fd, const void *data, size_t len);
bool conn_harness_send_str(struct conn_harness *h, int fd, const char *s);
/* shutdown(SHUT_WR): the test's side sent its last byte. */
void conn_harness_shutdown(struct conn_harness *h, int fd);
/* Closes one of the test's sockets now (-1 allowed). */
void conn_harness_close(struct conn_harness *h, int fd);

/* Reads from fd (non-blocking: a socket of the harness, or a pipe from an
 * external client) while running iterations until `want` bytes came, or end
 * of stream, or CONN_HARNESS_WAIT_STEPS. Returns the bytes read (buf is
 * NUL-terminated, cap >= want + 1); *eof (may be NULL) tells whether the
 * peer closed. What is already queued beyond `want` is read too, so a
 * test comparing buf sees extra bytes. */
size_t conn_harness_recv_wait(struct conn_harness *h, int fd, char *buf, size_t cap, size_t want, bool *eof);
/* Reads until end of stream (or cap - 1 bytes, or the bound). */
size_t conn_harness_recv_all(struct conn_harness *h, int fd, char *buf, size_t cap);
/* Runs n iterations, then: nothing to read and the peer still there. */
bool conn_harness_quiet(struct conn_harness *h, int fd, unsigned n);

/* Runs iterations until the gateway connected to backend b, accepts that
 * connection: its fd (non-blocking), or -1 if none came. */
int conn_harness_backend_accept(struct conn_harness *h, unsigned b);
/* Whether a connection to backend b waits to be accepted (no iteration). */
bool conn_harness_backend_pending(const struct conn_harness *h, unsigned b);

/* Open client connections of the worker, and those counted for the
 * harness's client address in the connection limits. */
unsigned conn_harness_open_conns(const struct conn_harness *h);
unsigned conn_harness_counted(struct conn_harness *h);

#endif /* RAMPART_TESTS_UNIT_HELPERS_CONN_HARNESS_H */
