/*
 * loop: epoll + a binary min-heap of timers (ordered by deadline, then by
 * arming order) + a list of deferred calls. See loop.h for the contract.
 */
#include "gateway/event/loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

struct deferred {
    loop_defer_fn fn;
    void *arg;
};

struct loop {
    int epfd;
    bool stopped;
    uint64_t now_ms;
    loop_clock_fn clock; /* NULL: CLOCK_MONOTONIC */
    void *clock_arg;
    uint64_t timer_seq; /* next arming's sequence number */
    /* timers: heap[1..n_timers], heap[0] unused so that "pos 0" = not pending */
    struct loop_timer **heap;
    unsigned n_timers, cap_timers;
    struct deferred *deferred;
    unsigned n_deferred, cap_deferred;
    uint64_t dispatched; /* callbacks run, for loop_dispatch_count */
};

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t clock_read(const struct loop *loop)
{
    return loop->clock ? loop->clock(loop->clock_arg) : monotonic_ms();
}

void loop_set_clock(struct loop *loop, loop_clock_fn now_ms, void *arg)
{
    loop->clock = now_ms;
    loop->clock_arg = arg;
    loop->now_ms = clock_read(loop);
}

struct loop *loop_new(void)
{
    struct loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        free(loop);
        return NULL;
    }
    loop->now_ms = clock_read(loop);
    return loop;
}

static void run_deferred(struct loop *loop);

void loop_free(struct loop *loop)
{
    if (!loop)
        return;
    run_deferred(loop); /* objects that free themselves via loop_defer */
    close(loop->epfd);
    free(loop->heap);
    free(loop->deferred);
    free(loop);
}

/* ---- file descriptors ---------------------------------------------------- */

int loop_watch(struct loop *loop, struct loop_io *io, unsigned events)
{
    if (io->registered && io->events == events)
        return 0;
    if (events == 0) { /* quiet: out of the set (loop.h says why) */
        if (io->in_epoll && epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL) < 0)
            return -1;
        io->in_epoll = false;
        io->registered = true;
        io->events = 0;
        return 0;
    }
    struct epoll_event ev = {.data.ptr = io};
    if (events & LOOP_READ)
        ev.events |= EPOLLIN | EPOLLRDHUP;
    if (events & LOOP_WRITE)
        ev.events |= EPOLLOUT;
    int op = io->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(loop->epfd, op, io->fd, &ev) < 0)
        return -1;
    io->registered = io->in_epoll = true;
    io->events = events;
    return 0;
}

void loop_unwatch(struct loop *loop, struct loop_io *io)
{
    if (!io->registered)
        return;
    if (io->in_epoll)
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->registered = io->in_epoll = false;
    io->events = 0;
}

int loop_watch_signals(struct loop *loop, struct loop_io *io, const int *signals, unsigned n)
{
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < n; i++)
        sigaddset(&set, signals[i]);
    signal(SIGPIPE, SIG_IGN);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    io->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return io->fd < 0 ? -1 : loop_watch(loop, io, LOOP_READ);
}

/* ---- timers: min-heap on (when_ms, seq) ------------------------------------- */

/* Equal deadlines fire in arming order; and a timer armed during a timer
 * pass (seq >= the pass's first) sorts after every timer that was due
 * when the pass began (run_due_timers relies on it). */
static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
    return a->when_ms < b->when_ms || (a->when_ms == b->when_ms && a->seq < b->seq);
}

static void heap_place(struct loop *loop, unsigned pos, struct loop_timer *t)
{
    loop->heap[pos] = t;
    t->heap_pos = pos;
}

static void heap_up(struct loop *loop, unsigned pos)
{
    struct loop_timer *t = loop->heap[pos];
    while (pos > 1 && timer_before(t, loop->heap[pos / 2])) {
        heap_place(loop, pos, loop->heap[pos / 2]);
        pos /= 2;
    }
    heap_place(loop, pos, t);
}

static void heap_down(struct loop *loop, unsigned pos)
{
    struct loop_timer *t = loop->heap[pos];
    for (;;) {
        unsigned child = pos * 2;
        if (child > loop->n_timers)
            break;
        if (child + 1 <= loop->n_timers && timer_before(loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!timer_before(loop->heap[child], t))
            break;
        heap_place(loop, pos, loop->heap[child]);
        pos = child;
    }
    heap_place(loop, pos, t);
}

void loop_timer_clear(struct loop *loop, struct loop_timer *t)
{
    unsigned pos = t->heap_pos;
    if (pos == 0)
        return;
    struct loop_timer *last = loop->heap[loop->n_timers--];
    t->heap_pos = 0;
    if (last == t)
        return;
    heap_place(loop, pos, last);
    heap_up(loop, pos);
    heap_down(loop, last->heap_pos);
}

void loop_timer_set(struct loop *loop, struct loop_timer *t, uint64_t delay_ms)
{
    loop_timer_clear(loop, t);
    if (loop->n_timers + 1 >= loop->cap_timers) {
        unsigned cap = loop->cap_timers ? loop->cap_timers * 2 : 64;
        struct loop_timer **heap = realloc(loop->heap, cap * sizeof *heap);
        if (!heap)
            abort(); /* a timer we cannot arm would be a silent hang */
        loop->heap = heap;
        loop->cap_timers = cap;
    }
    t->when_ms = loop->now_ms + delay_ms;
    t->seq = loop->timer_seq++;
    loop->n_timers++;
    heap_place(loop, loop->n_timers, t);
    heap_up(loop, loop->n_timers);
}

/* Runs the timers that were due when the pass began. One armed by a
 * callback of this pass (seq >= first) waits for the next iteration, even
 * at 0 ms: that iteration's epoll_wait has a zero timeout, so I/O ready by
 * then is served before it runs. Heap order puts such a timer after every
 * older due one, so meeting it at the top ends the pass. */
static void run_due_timers(struct loop *loop)
{
    const uint64_t first = loop->timer_seq;
    while (loop->n_timers > 0) {
        struct loop_timer *t = loop->heap[1];
        if (t->when_ms > loop->now_ms || t->seq >= first)
            break;
        loop_timer_clear(loop, t);
        loop->dispatched++;
        t->fn(loop, t);
    }
}

static int next_timeout_ms(const struct loop *loop)
{
    if (loop->n_deferred > 0)
        return 0;
    if (loop->n_timers == 0)
        return -1;
    uint64_t when = loop->heap[1]->when_ms;
    if (when <= loop->now_ms)
        return 0;
    uint64_t wait = when - loop->now_ms;
    return wait > 60000 ? 60000 : (int)wait;
}

/* ---- deferred calls ---------------------------------------------------------- */

int loop_defer(struct loop *loop, loop_defer_fn fn, void *arg)
{
    if (loop->n_deferred == loop->cap_deferred) {
        unsigned cap = loop->cap_deferred ? loop->cap_deferred * 2 : 32;
        struct deferred *d = realloc(loop->deferred, cap * sizeof *d);
        if (!d)
            return -1;
        loop->deferred = d;
        loop->cap_deferred = cap;
    }
    loop->deferred[loop->n_deferred++] = (struct deferred){fn, arg};
    return 0;
}

static void run_deferred(struct loop *loop)
{
    /* A deferred call may defer more; those run in this pass too. */
    for (unsigned i = 0; i < loop->n_deferred; i++)
        loop->deferred[i].fn(loop->deferred[i].arg);
    loop->dispatched += loop->n_deferred;
    loop->n_deferred = 0;
}

/* ---- dispatch ------------------------------------------------------------------ */

uint64_t loop_now_ms(const struct loop *loop)
{
    return loop->now_ms;
}

uint64_t loop_dispatch_count(const struct loop *loop)
{
    return loop->dispatched;
}

unsigned loop_pending(const struct loop *loop)
{
    return loop->n_timers + loop->n_deferred;
}

void loop_stop(struct loop *loop)
{
    loop->stopped = true;
}

int loop_run(struct loop *loop)
{
    struct epoll_event events[LOOP_MAX_EVENTS];
    loop->stopped = false;
    loop->now_ms = clock_read(loop); /* the first timeout from the time now, not loop_new's */
    while (!loop->stopped) {
        int n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, next_timeout_ms(loop));
        if (n < 0 && errno != EINTR)
            return -1;
        loop->now_ms = clock_read(loop);
        for (int i = 0; i < n; i++) {
            struct loop_io *io = events[i].data.ptr;
            unsigned what = 0;
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                what |= LOOP_READ;
            if (events[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
                what |= LOOP_WRITE;
            /* The owner may have stopped watching earlier in this batch
             * (its memory stays valid: objects are freed via loop_defer). */
            if (io->registered) {
                loop->dispatched++;
                io->fn(loop, io, what);
            }
        }
        run_due_timers(loop);
        run_deferred(loop);
    }
    return 0;
}
