/*
 * Unit tests for the harness's own guards (tests/unit/helpers/
 * conn_harness.c), which the connection tests and tests/fuzz/fuzz_conn.c
 * rely on to report a hang or a livelock instead of spinning: a loop
 * iteration that never returns is cut by the CPU watchdog (the process
 * aborts with a message), and conn_harness_settle says false for a loop
 * that stays busy with nothing outside it moving. And the reuse a fuzzer
 * makes of one harness (conn_harness_end_run / new_run): the next run
 * starts as a new harness would, and a run that left a timer is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/event/loop.h"
#include "tests/unit/helpers/conn_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_HANG_MS 200 /* the watchdog's budget in the hang test (CPU) */

static void on_spin(struct loop *loop, struct loop_timer *t)
{
    (void)loop, (void)t;
    for (volatile unsigned long i = 0;; i++)
        ;
}

/* A callback that never returns: the child aborts with the harness's
 * message; without the watchdog the test would hang. */
static void test_hang_aborts_with_a_message(void **state)
{
    (void)state;
    int err[2];
    assert_int_equal(pipe(err), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(err[1], 2);
        struct conn_harness *h = conn_harness_new(1);
        h->hang_ms = TEST_HANG_MS;
        struct loop_timer spin = {.fn = on_spin};
        loop_timer_set(h->w.loop, &spin, 0);
        conn_harness_step(h);
        _exit(0); /* not reached */
    }
    close(err[1]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    char msg[256] = "";
    ssize_t n = read(err[0], msg, sizeof msg - 1);
    assert_true(n > 0);
    assert_non_null(strstr(msg, "did not return to epoll"));
    close(err[0]);
}

static void on_rearm(struct loop *loop, struct loop_timer *t);

/* The same under a span the caller opened (conn_harness_watch), in which
 * steps do not re-arm the watchdog: the spin still uses the span up. */
static void test_hang_in_a_watch_span_aborts(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(2);
        struct conn_harness *h = conn_harness_new(1);
        h->hang_ms = TEST_HANG_MS;
        conn_harness_watch(h);
        for (unsigned i = 0; i < 100; i++)
            conn_harness_step(h); /* quiet iterations: the span goes on */
        struct loop_timer spin = {.fn = on_spin};
        loop_timer_set(h->w.loop, &spin, 0);
        conn_harness_step(h);
        _exit(0); /* not reached */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* A request (to the ACME path: the plain listener redirects the rest)
 * through a client and backend 0; returns the backend's port. */
static unsigned one_exchange(struct conn_harness *h)
{
    int c = conn_harness_connect(h, LISTENER_HTTP);
    assert_true(c >= 0);
    assert_true(conn_harness_send_str(h, c, "GET /.well-known/acme-challenge/x HTTP/1.1\r\nHost: a\r\n\r\n"));
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    char buf[512];
    assert_true(conn_harness_recv_wait(h, b, buf, sizeof buf, 16, NULL) >= 16);
    assert_non_null(strstr(buf, "GET /.well-known/acme-challenge/x HTTP/1.1"));
    assert_int_equal(conn_harness_open_conns(h), 1);
    return ntohs(((const struct sockaddr_in *)&h->cfg.backends[0].addr)->sin_port);
}

/* end_run ends a run with a connection and a backend socket still open;
 * new_run starts one as new: no connection or count left, the clock at
 * its start, fresh limits and backends (now two), backend 0 on the same
 * port, and a request goes through again. */
static void test_reuse_starts_afresh(void **state)
{
    (void)state;
    struct conn_harness *h = conn_harness_new(1);
    assert_non_null(h);
    unsigned port = one_exchange(h);
    h->cfg.limits.idle_timeout_ms = 1234;
    conn_harness_advance(h, 5000);
    assert_true(conn_harness_end_run(h));
    assert_int_equal(conn_harness_open_conns(h), 0);
    assert_true(conn_harness_new_run(h, 2));
    assert_int_equal(h->now_ms, CONN_HARNESS_CLOCK_START);
    assert_int_equal(h->backends.count, 2);
    assert_int_equal(conn_harness_counted(h), 0);
    assert_int_not_equal(h->cfg.limits.idle_timeout_ms, 1234);
    assert_null(h->w.conns);
    assert_int_equal(one_exchange(h), port);
    assert_true(conn_harness_free(h));
}

/* A timer still armed when the run ends is what the run left behind:
 * end_run says false (the fuzzer reports that input). */
static void test_reuse_refused_with_a_timer_left(void **state)
{
    (void)state;
    struct conn_harness *h = conn_harness_new(1);
    assert_non_null(h);
    struct loop_timer left = {.fn = on_rearm};
    loop_timer_set(h->w.loop, &left, 3600u * 1000u * 1000u);
    assert_int_equal(loop_pending(h->w.loop), 1);
    assert_false(conn_harness_end_run(h));
    loop_timer_clear(h->w.loop, &left);
    assert_int_equal(loop_pending(h->w.loop), 0);
    assert_true(conn_harness_free(h));
}

static void on_rearm(struct loop *loop, struct loop_timer *t)
{
    loop_timer_set(loop, t, 0); /* always something to do: never settles */
}

/* A 0 ms timer that re-arms itself keeps every iteration busy: settle
 * gives up after its bound and says so; once it stops, the loop settles
 * at once. */
static void test_settle_reports_a_livelock(void **state)
{
    (void)state;
    struct conn_harness *h = conn_harness_new(1);
    assert_non_null(h);
    struct loop_timer busy = {.fn = on_rearm};
    loop_timer_set(h->w.loop, &busy, 0);
    assert_false(conn_harness_settle(h, 50, NULL));
    loop_timer_clear(h->w.loop, &busy);
    unsigned steps = 0;
    assert_true(conn_harness_settle(h, 50, &steps));
    assert_int_equal(steps, 1);
    assert_true(conn_harness_free(h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hang_aborts_with_a_message),
        cmocka_unit_test(test_settle_reports_a_livelock),
        cmocka_unit_test(test_hang_in_a_watch_span_aborts),
        cmocka_unit_test(test_reuse_starts_afresh),
        cmocka_unit_test(test_reuse_refused_with_a_timer_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
