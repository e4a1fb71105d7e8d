/*
 * loop: a small epoll event loop, one per thread (the parent has one, each
 * relay worker thread has one). In the spirit of Redis's ae.c: a handful of
 * calls, nothing hidden.
 *
 *   loop_new / loop_free        create and destroy
 *   loop_watch / loop_unwatch   call io->fn when io->fd is readable/writable
 *   loop_timer_set / _clear     call t->fn once, delay_ms from now
 *   loop_defer                  call fn(arg) after the current batch of events
 *   loop_run / loop_stop        dispatch until stopped
 *   loop_set_clock              test hook: a clock the test steps itself
 *
 * One iteration: epoll_wait (timeout: the first deadline, 0 when a timer is
 * due or a call deferred), the I/O events, the due timers, the deferred
 * calls. Timers with the same deadline fire in the order they were armed. A
 * timer armed while the timers run (a callback re-arming itself with 0 ms)
 * is due in the next iteration at the earliest, after the I/O ready by
 * then: a 0 ms timer yields to I/O, it cannot keep the loop from epoll.
 *
 * Watchers and timers are embedded in the caller's own structs (no
 * allocation per event). Freeing an object while events for it may still be
 * queued in the current batch is unsafe, so objects free themselves through
 * loop_defer(): it runs after the batch, when no stale pointer remains.
 */
#ifndef RAMPART_GATEWAY_EVENT_LOOP_H
#define RAMPART_GATEWAY_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_READ       1u
#define LOOP_WRITE      2u
#define LOOP_MAX_EVENTS 256 /* events taken from the kernel per epoll_wait */

struct loop;
struct loop_io;
struct loop_timer;

/* `events` says what happened: LOOP_READ and/or LOOP_WRITE (errors and
 * hang-ups are reported as both, so the next read/write sees them). */
typedef void (*loop_io_fn)(struct loop *loop, struct loop_io *io, unsigned events);
typedef void (*loop_timer_fn)(struct loop *loop, struct loop_timer *timer);
typedef void (*loop_defer_fn)(void *arg);

struct loop_io {
    int fd;
    unsigned events; /* what we are watching for, LOOP_READ | LOOP_WRITE */
    loop_io_fn fn;
    void *arg;       /* for the owner; the loop does not touch it */
    bool registered; /* internal */
    bool in_epoll;   /* internal: false while quiet (events == 0) */
};

struct loop_timer {
    uint64_t when_ms;  /* internal: absolute deadline, loop clock */
    uint64_t seq;      /* internal: arming order (ties, and which pass may run it) */
    unsigned heap_pos; /* internal: 0 when not pending */
    loop_timer_fn fn;
    void *arg;
};

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Starts, changes or (events == 0 keeps it registered but quiet) watching
 * io->fd. Quiet means no event at all: the fd leaves the epoll set, since
 * epoll reports a hang-up or an error whatever the mask, and a peer that
 * closed would otherwise wake the loop in every iteration while its owner
 * waits for something else (a livelock the fuzzer found, issue 10); the
 * owner sees it when it watches again. Returns 0 or -1 with errno. */
int loop_watch(struct loop *loop, struct loop_io *io, unsigned events);
/* Stops watching; call before closing io->fd. Safe if not watched. */
void loop_unwatch(struct loop *loop, struct loop_io *io);

/* (Re)arms a timer to fire once, delay_ms from now. */
void loop_timer_set(struct loop *loop, struct loop_timer *timer, uint64_t delay_ms);
void loop_timer_clear(struct loop *loop, struct loop_timer *timer);
static inline bool loop_timer_pending(const struct loop_timer *t)
{
    return t->heap_pos != 0;
}

/* Runs fn(arg) after the events of the current iteration are dispatched.
 * Returns 0 or -1 (out of memory). */
int loop_defer(struct loop *loop, loop_defer_fn fn, void *arg);

/* Monotonic milliseconds, read once per iteration (cheap to call often). */
uint64_t loop_now_ms(const struct loop *loop);

/* Test hook, never called by the daemon (whose loops read CLOCK_MONOTONIC):
 * the loop's milliseconds come from now_ms(arg) instead, so a test or a
 * fuzzer steps time itself and deadlines fire without sleeping. The clock
 * is read here, when loop_run starts and after every epoll_wait; every
 * deadline and every epoll_wait timeout is computed from what it returned
 * (epoll_wait still sleeps real milliseconds: a test that wants no wait
 * arms a 0 ms timer, which makes one iteration non-blocking). It must
 * never go backwards. Call it right after loop_new, before any timer is
 * armed (a deadline keeps the clock it was armed on). */
typedef uint64_t (*loop_clock_fn)(void *arg);
void loop_set_clock(struct loop *loop, loop_clock_fn now_ms, void *arg);

/* Test hook: callbacks run since loop_new (I/O events, timers, deferred
 * calls). An iteration that ran none but the caller's own timer found
 * nothing to do: tests/unit/helpers/conn_harness.h calls that settled, and
 * a connection that never lets the loop settle is a livelock. */
uint64_t loop_dispatch_count(const struct loop *loop);
/* Test hook: timers armed and calls deferred now. A loop whose owners all
 * ended has none: tests/unit/helpers/conn_harness.h checks it before it
 * reuses the loop for another run. */
unsigned loop_pending(const struct loop *loop);

/* Delivers `signals` (count n) through io->fn as a readable signalfd
 * (io->fd; read struct signalfd_siginfo from it), blocked for the calling
 * thread and the threads it starts later; SIGPIPE is ignored. Set io->fn
 * and io->arg first. Returns 0 or -1 with errno. */
int loop_watch_signals(struct loop *loop, struct loop_io *io, const int *signals, unsigned n);

/* Dispatches events until loop_stop(); returns 0, or -1 if epoll fails. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

#endif /* RAMPART_GATEWAY_EVENT_LOOP_H */
