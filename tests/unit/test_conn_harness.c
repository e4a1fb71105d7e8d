/*
 * Unit tests for the harness's own guards (tests/unit/helpers/
 * conn_harness.c), which the connection tests and tests/fuzz/fuzz_conn.c
 * rely on to report a hang or a livelock instead of spinning: a loop
 * iteration that never returns is cut by the CPU watchdog (the process
 * aborts with a message), and conn_harness_settle says false for a loop
 * that stays busy with nothing outside it moving.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/event/loop.h"
#include "tests/unit/helpers/conn_harness.h"

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
