/*
 * Unit tests for gateway/event/loop.c: timers fire in deadline order (ties
 * in arming order) and once; clearing and re-arming; deferred calls run
 * after the batch of events and the timers; a watcher removed mid-batch
 * gets no stale event; a 0 ms timer that re-arms itself yields to I/O
 * (issue 10, defect 1); the virtual clock (loop_set_clock) drives every
 * deadline, so nothing here sleeps. File descriptors are socketpairs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/event/loop.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define TEST_LOG_MAX      512
#define TEST_STARVE_CAP   1000 /* the 0 ms timer gives up after this many runs */
#define TEST_STARVE_BYTES 3    /* reads, one byte each, the timer must let through */
#define TEST_STARVE_RUNS  6    /* the timer's runs once the bytes are read */
#define TEST_GUARD_MS     5000 /* a real-time guard only a broken loop ever reaches */

/* ---- helpers ------------------------------------------------------------------ */

/* What happened, one letter per event, in order. */
struct trace {
    char log[TEST_LOG_MAX];
    size_t n;
};

static void trace_add(struct trace *tr, char c)
{
    if (tr->n + 1 < sizeof tr->log)
        tr->log[tr->n++] = c;
    tr->log[tr->n] = '\0';
}

static uint64_t virtual_now;

static uint64_t virtual_clock(void *arg)
{
    (void)arg;
    return virtual_now;
}

static struct loop *virtual_loop(void)
{
    struct loop *loop = loop_new();
    assert_non_null(loop);
    virtual_now = 1000000;
    loop_set_clock(loop, virtual_clock, NULL);
    assert_int_equal(loop_now_ms(loop), 1000000);
    return loop;
}

static void on_stop(struct loop *loop, struct loop_timer *t)
{
    (void)t;
    loop_stop(loop);
}

/* One iteration: a due 0 ms timer makes epoll_wait non-blocking, and it
 * stops the loop after the events, the timers and the deferred calls. */
static void run_once(struct loop *loop)
{
    struct loop_timer stop = {.fn = on_stop};
    loop_timer_set(loop, &stop, 0);
    assert_int_equal(loop_run(loop), 0);
    loop_timer_clear(loop, &stop);
}

/* Steps the virtual clock, then runs one iteration. */
static void advance(struct loop *loop, uint64_t ms)
{
    virtual_now += ms;
    run_once(loop);
}

struct tagged_timer {
    struct loop_timer t;
    struct trace *tr;
    char tag;
};

static void on_tagged(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct tagged_timer *tt = t->arg;
    trace_add(tt->tr, tt->tag);
}

static void tagged_init(struct tagged_timer *tt, struct trace *tr, char tag)
{
    *tt = (struct tagged_timer){.t = {.fn = on_tagged}, .tr = tr, .tag = tag};
    tt->t.arg = tt;
}

static void make_pair(int fds[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
}

/* ---- timers ------------------------------------------------------------------- */

static void test_timers_fire_in_order_once(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    struct trace tr = {0};
    struct tagged_timer a, b, c, d;
    tagged_init(&a, &tr, 'a');
    tagged_init(&b, &tr, 'b');
    tagged_init(&c, &tr, 'c');
    tagged_init(&d, &tr, 'd');
    loop_timer_set(loop, &c.t, 30);
    loop_timer_set(loop, &a.t, 10);
    loop_timer_set(loop, &b.t, 20);
    loop_timer_set(loop, &d.t, 20); /* same deadline as b, armed after it */
    assert_true(loop_timer_pending(&a.t));
    advance(loop, 9);
    assert_string_equal(tr.log, ""); /* 1 ms early: nothing */
    advance(loop, 1);
    assert_string_equal(tr.log, "a");
    assert_false(loop_timer_pending(&a.t));
    advance(loop, 25); /* past b, d and c at once: deadline order, ties as armed */
    assert_string_equal(tr.log, "abdc");
    advance(loop, 1000);
    assert_string_equal(tr.log, "abdc"); /* each fired once */
    assert_false(loop_timer_pending(&b.t) || loop_timer_pending(&c.t) || loop_timer_pending(&d.t));
    loop_free(loop);
}

/* Many timers through the heap: every one fires once, in deadline order. */
#define TEST_HEAP_TIMERS 200
static void test_heap_order_many(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    static struct tagged_timer tt[TEST_HEAP_TIMERS];
    struct trace tr = {0};
    for (unsigned i = 0; i < TEST_HEAP_TIMERS; i++) {
        tagged_init(&tt[i], &tr, 'x');
        loop_timer_set(loop, &tt[i].t, (i * 7919u) % 97u + 1); /* scattered deadlines */
    }
    for (unsigned i = 0; i < TEST_HEAP_TIMERS; i += 3)
        loop_timer_clear(loop, &tt[i].t); /* holes all over the heap */
    size_t fired = 0;
    for (uint64_t ms = 1; ms <= 97; ms++) {
        advance(loop, 1);
        size_t due = 0;
        for (unsigned i = 0; i < TEST_HEAP_TIMERS; i++)
            due += i % 3 != 0 && (i * 7919u) % 97u + 1 == ms;
        assert_int_equal(tr.n - fired, due); /* exactly this millisecond's timers */
        fired = tr.n;
    }
    assert_int_equal(fired, TEST_HEAP_TIMERS - (TEST_HEAP_TIMERS + 2) / 3);
    loop_free(loop);
}

static void test_clear_and_reset(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    struct trace tr = {0};
    struct tagged_timer a, b;
    tagged_init(&a, &tr, 'a');
    tagged_init(&b, &tr, 'b');
    loop_timer_clear(loop, &a.t); /* never armed: harmless */
    loop_timer_set(loop, &a.t, 10);
    loop_timer_set(loop, &b.t, 10);
    loop_timer_clear(loop, &a.t);
    loop_timer_clear(loop, &a.t); /* twice: harmless */
    assert_false(loop_timer_pending(&a.t));
    loop_timer_set(loop, &b.t, 50); /* re-armed: the old deadline is gone */
    advance(loop, 10);
    assert_string_equal(tr.log, "");
    advance(loop, 39);
    assert_string_equal(tr.log, "");
    advance(loop, 1);
    assert_string_equal(tr.log, "b");
    loop_free(loop);
}

/* A timer callback clears another timer due in the same pass: it does not
 * run. */
struct clearing_timer {
    struct loop_timer t;
    struct loop_timer *victim;
    struct trace *tr;
};

static void on_clearing(struct loop *loop, struct loop_timer *t)
{
    struct clearing_timer *ct = t->arg;
    trace_add(ct->tr, 'c');
    loop_timer_clear(loop, ct->victim);
}

static void test_clear_from_timer_same_pass(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    struct trace tr = {0};
    struct tagged_timer v;
    tagged_init(&v, &tr, 'v');
    struct clearing_timer ct = {.t = {.fn = on_clearing}, .victim = &v.t, .tr = &tr};
    ct.t.arg = &ct;
    loop_timer_set(loop, &ct.t, 5);
    loop_timer_set(loop, &v.t, 5);
    advance(loop, 5);
    assert_string_equal(tr.log, "c");
    advance(loop, 100);
    assert_string_equal(tr.log, "c");
    loop_free(loop);
}

/* A timer re-armed from its own callback fires again at its new deadline,
 * not in the same pass, however long the clock jumped. */
struct rearming_timer {
    struct loop_timer t;
    uint64_t every_ms;
    unsigned runs;
};

static void on_rearming(struct loop *loop, struct loop_timer *t)
{
    struct rearming_timer *rt = t->arg;
    rt->runs++;
    loop_timer_set(loop, t, rt->every_ms);
}

static void test_rearm_from_callback_runs_once_per_pass(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    struct rearming_timer rt = {.t = {.fn = on_rearming}, .every_ms = 10};
    rt.t.arg = &rt;
    loop_timer_set(loop, &rt.t, 10);
    advance(loop, 10);
    assert_int_equal(rt.runs, 1);
    advance(loop, 1000); /* 100 periods at once: one run, then 10 ms from now */
    assert_int_equal(rt.runs, 2);
    advance(loop, 9);
    assert_int_equal(rt.runs, 2);
    advance(loop, 1);
    assert_int_equal(rt.runs, 3);
    loop_timer_clear(loop, &rt.t);
    loop_free(loop);
}

/* ---- the 0 ms timer and I/O --------------------------------------------------- */

/* Issue 10, defect 1: a pump that used its share re-arms a 0 ms timer.
 * Here the timer re-arms itself with 0 ms while a socket has bytes: each
 * run must be preceded by a read of the socket, one byte per event, until
 * the bytes are gone. The old loop ran the timer again in the same pass,
 * so the loop never returned to epoll_wait; TEST_STARVE_CAP keeps that
 * case from hanging the suite (the trace then shows the starvation). */
struct starve {
    struct loop_timer t;
    struct loop_io io;
    struct trace tr;
    unsigned timer_runs, reads, runs_after_reads;
};

static void on_starve_timer(struct loop *loop, struct loop_timer *t)
{
    struct starve *s = t->arg;
    trace_add(&s->tr, 'T');
    s->timer_runs++;
    if (s->reads == TEST_STARVE_BYTES && ++s->runs_after_reads == TEST_STARVE_RUNS) {
        loop_stop(loop);
        return;
    }
    if (s->timer_runs < TEST_STARVE_CAP)
        loop_timer_set(loop, t, 0);
    else
        loop_stop(loop);
}

static void on_starve_read(struct loop *loop, struct loop_io *io, unsigned events)
{
    struct starve *s = io->arg;
    assert_true(events & LOOP_READ);
    char c;
    assert_int_equal(read(io->fd, &c, 1), 1); /* one byte: level-triggered, more events follow */
    trace_add(&s->tr, 'R');
    if (++s->reads == TEST_STARVE_BYTES)
        loop_unwatch(loop, io);
}

static void test_zero_ms_timer_does_not_starve_io(void **state)
{
    (void)state;
    struct loop *loop = loop_new(); /* the real clock: nothing here waits on it */
    assert_non_null(loop);
    int fds[2];
    make_pair(fds);
    assert_int_equal(write(fds[1], "abc", TEST_STARVE_BYTES), TEST_STARVE_BYTES);
    struct starve s = {.t = {.fn = on_starve_timer}, .io = {.fd = fds[0], .fn = on_starve_read}};
    s.t.arg = s.io.arg = &s;
    assert_int_equal(loop_watch(loop, &s.io, LOOP_READ), 0);
    loop_timer_set(loop, &s.t, 0);
    assert_int_equal(loop_run(loop), 0);
    /* every iteration serves the socket, then runs the timer once */
    assert_string_equal(s.tr.log, "RTRTRTTTTTT");
    assert_int_equal(s.reads, TEST_STARVE_BYTES);
    close(fds[0]);
    close(fds[1]);
    loop_free(loop);
}

/* A 0 ms timer armed from an I/O callback runs in the same iteration,
 * after the I/O: "after I/O" does not mean "one iteration late". */
struct io_arms_timer {
    struct loop_io io;
    struct tagged_timer tt;
    struct trace *tr;
};

static void on_io_arms(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct io_arms_timer *ia = io->arg;
    char c;
    assert_int_equal(read(io->fd, &c, 1), 1);
    trace_add(ia->tr, 'R');
    loop_unwatch(loop, io);
    loop_timer_set(loop, &ia->tt.t, 0);
}

static void test_zero_ms_timer_from_io_runs_same_iteration(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    struct trace tr = {0};
    int fds[2];
    make_pair(fds);
    assert_int_equal(write(fds[1], "x", 1), 1);
    struct io_arms_timer ia = {.io = {.fd = fds[0], .fn = on_io_arms}, .tr = &tr};
    ia.io.arg = &ia;
    tagged_init(&ia.tt, &tr, 't');
    assert_int_equal(loop_watch(loop, &ia.io, LOOP_READ), 0);
    run_once(loop);
    assert_string_equal(tr.log, "Rt");
    close(fds[0]);
    close(fds[1]);
    loop_free(loop);
}

/* ---- deferred calls and stale events ------------------------------------------ */

/* Two watchers readable in the same batch: whichever runs first unwatches
 * the other and frees it through loop_defer. The other gets no event (its
 * memory is still valid then: ASan would see a use after free otherwise),
 * and the deferred free runs after the batch and the due timers. */
struct victim {
    struct loop_io io;
    struct trace *tr;
    struct victim *other;
    bool freed;
};

static void on_defer_free(void *arg)
{
    struct victim *v = arg;
    trace_add(v->tr, 'F');
    v->freed = true;
}

static void on_victim(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct victim *v = io->arg;
    assert_false(v->freed);
    trace_add(v->tr, 'E');
    char c;
    assert_int_equal(read(io->fd, &c, 1), 1);
    loop_unwatch(loop, io);
    loop_unwatch(loop, &v->other->io);
    close(v->other->io.fd);
    assert_int_equal(loop_defer(loop, on_defer_free, v->other), 0);
}

static void test_unwatched_mid_batch_gets_no_event(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    struct trace tr = {0};
    int p1[2], p2[2];
    make_pair(p1);
    make_pair(p2);
    assert_int_equal(write(p1[1], "x", 1), 1);
    assert_int_equal(write(p2[1], "y", 1), 1);
    struct victim a = {.io = {.fd = p1[0], .fn = on_victim}, .tr = &tr};
    struct victim b = {.io = {.fd = p2[0], .fn = on_victim}, .tr = &tr};
    a.io.arg = &a, b.io.arg = &b;
    a.other = &b, b.other = &a;
    assert_int_equal(loop_watch(loop, &a.io, LOOP_READ), 0);
    assert_int_equal(loop_watch(loop, &b.io, LOOP_READ), 0);
    struct tagged_timer t;
    tagged_init(&t, &tr, 'T');
    loop_timer_set(loop, &t.t, 0);
    run_once(loop);
    /* one event (both were ready), the due timer, then the free */
    assert_string_equal(tr.log, "ETF");
    assert_true(a.freed != b.freed);
    close(a.freed ? p1[1] : p2[1]);
    close(a.freed ? p2[0] : p1[0]);
    close(a.freed ? p2[1] : p1[1]);
    loop_free(loop);
}

/* A deferred call may defer another: it runs in the same pass. loop_free
 * runs what is still deferred. */
struct chain {
    struct loop *loop;
    struct trace *tr;
    int left;
};

static void on_chain(void *arg)
{
    struct chain *ch = arg;
    trace_add(ch->tr, 'D');
    if (--ch->left > 0)
        assert_int_equal(loop_defer(ch->loop, on_chain, ch), 0);
}

static void test_deferred_chain_and_free(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    struct trace tr = {0};
    struct chain ch = {.loop = loop, .tr = &tr, .left = 3};
    assert_int_equal(loop_pending(loop), 0);
    assert_int_equal(loop_defer(loop, on_chain, &ch), 0);
    assert_int_equal(loop_pending(loop), 1); /* a deferred call counts (conn_harness_end_run) */
    run_once(loop);
    assert_string_equal(tr.log, "DDD");
    assert_int_equal(loop_pending(loop), 0);
    struct chain last = {.loop = loop, .tr = &tr, .left = 1};
    assert_int_equal(loop_defer(loop, on_chain, &last), 0);
    loop_free(loop); /* runs it */
    assert_string_equal(tr.log, "DDDD");
}

/* ---- the dispatch count ------------------------------------------------------- */

static void on_count_read(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    char c;
    (void)!read(io->fd, &c, 1);
}

static void on_nothing(void *arg)
{
    (void)arg;
}

/* loop_dispatch_count counts every callback: an I/O event, a timer, a
 * deferred call; an iteration with nothing to do adds only its own stop
 * timer (conn_harness_settle calls that settled). */
static void test_dispatch_count(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    int fds[2];
    make_pair(fds);
    struct loop_io io = {.fd = fds[0], .fn = on_count_read};
    assert_int_equal(loop_watch(loop, &io, LOOP_READ), 0);
    uint64_t before = loop_dispatch_count(loop);
    run_once(loop);
    assert_int_equal(loop_dispatch_count(loop) - before, 1); /* the stop timer alone */
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(loop_defer(loop, on_nothing, NULL), 0);
    before = loop_dispatch_count(loop);
    run_once(loop);
    assert_int_equal(loop_dispatch_count(loop) - before, 3); /* the read, the stop timer, the deferred call */
    loop_unwatch(loop, &io);
    close(fds[0]);
    close(fds[1]);
    loop_free(loop);
}

/* A peer that closed while its watcher is quiet (events 0): epoll reports
 * a hang-up whatever the mask, so a quiet watcher must leave the epoll set
 * or the loop is woken in every iteration (the fuzzer's livelock). It
 * hears of the hang-up as soon as it watches again. */
static void test_quiet_watcher_not_woken_by_hangup(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    int fds[2];
    make_pair(fds);
    struct loop_io io = {.fd = fds[0], .fn = on_count_read};
    assert_int_equal(loop_watch(loop, &io, LOOP_READ), 0);
    assert_int_equal(loop_watch(loop, &io, 0), 0);
    close(fds[1]);
    uint64_t before = loop_dispatch_count(loop);
    for (int i = 0; i < 4; i++)
        run_once(loop);
    assert_int_equal(loop_dispatch_count(loop) - before, 4); /* the stop timers alone */
    assert_int_equal(loop_watch(loop, &io, LOOP_READ), 0);
    before = loop_dispatch_count(loop);
    run_once(loop);
    assert_int_equal(loop_dispatch_count(loop) - before, 2); /* the hang-up, at once */
    loop_unwatch(loop, &io);
    close(fds[0]);
    loop_free(loop);
}

/* ---- the virtual clock -------------------------------------------------------- */

struct guard {
    struct loop_io io;
    bool fired;
};

static void on_guard(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct guard *g = io->arg;
    g->fired = true;
    loop_unwatch(loop, io);
    loop_stop(loop);
}

/* The clock stepped past a deadline while the loop was not running: the
 * next loop_run fires it without a real wait, because its first epoll_wait
 * timeout comes from the clock as it reads now. A broken loop would sleep
 * the stale 60 s; a real timerfd cuts that short and fails the test. */
static void test_virtual_clock_drives_epoll_timeout(void **state)
{
    (void)state;
    struct loop *loop = virtual_loop();
    struct guard g = {.io = {.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)}};
    assert_true(g.io.fd >= 0);
    g.io.fn = on_guard;
    g.io.arg = &g;
    struct itimerspec its = {.it_value = {.tv_sec = TEST_GUARD_MS / 1000}};
    assert_int_equal(timerfd_settime(g.io.fd, 0, &its, NULL), 0);
    assert_int_equal(loop_watch(loop, &g.io, LOOP_READ), 0);
    struct loop_timer stop = {.fn = on_stop};
    loop_timer_set(loop, &stop, 60000);
    virtual_now += 60000;
    assert_int_equal(loop_run(loop), 0);
    assert_false(g.fired);
    assert_false(loop_timer_pending(&stop));
    assert_int_equal(loop_now_ms(loop), 1060000);
    loop_unwatch(loop, &g.io);
    close(g.io.fd);
    loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_order_once),
        cmocka_unit_test(test_dispatch_count),
        cmocka_unit_test(test_quiet_watcher_not_woken_by_hangup),
        cmocka_unit_test(test_heap_order_many),
        cmocka_unit_test(test_clear_and_reset),
        cmocka_unit_test(test_clear_from_timer_same_pass),
        cmocka_unit_test(test_rearm_from_callback_runs_once_per_pass),
        cmocka_unit_test(test_zero_ms_timer_does_not_starve_io),
        cmocka_unit_test(test_zero_ms_timer_from_io_runs_same_iteration),
        cmocka_unit_test(test_unwatched_mid_batch_gets_no_event),
        cmocka_unit_test(test_deferred_chain_and_free),
        cmocka_unit_test(test_virtual_clock_drives_epoll_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
