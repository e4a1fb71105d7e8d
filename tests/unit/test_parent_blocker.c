/* Unit tests for gateway/proc/parent_blocker.c: the queue's bound, taking
 * a batch while a policy apply holds the lock, stopping with work queued.
 * The thread talks netlink, so the test runs in a network namespace of its
 * own (root only; skipped otherwise): its failed transactions (there is no
 * table) touch nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"
#include "gateway/proc/parent_blocker.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct ip_addr addr(unsigned i)
{
    struct ip_addr a = {.family = AF_INET};
    a.u.v4.s_addr = htonl(0xc6130000u | (i & 0xffff)); /* 198.19.x.y */
    return a;
}

static void wait_queue_empty(struct parent_blocker *b)
{
    for (int i = 0; i < 2000 && parent_blocker_queued(b) > 0; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(parent_blocker_queued(b), 0);
}

static int setup(void **state)
{
    (void)state;
    if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
        return 0; /* the tests skip */
    int null = open("/dev/null", O_WRONLY);
    log_setup(LOG_FORMAT_PLAIN, null, LOG_LEVEL_ERROR, "test"); /* the failed blocks' lines */
    return 0;
}

/* PARENT_BLOCKER_QUEUE_MAX wait, one more is refused; the thread took the
 * first one and waits for the lock an apply holds, as it must. */
static void test_queue_bound(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char err[256];
    struct parent_blocker *b = parent_blocker_start(err, sizeof err);
    assert_non_null(b);
    parent_blocker_lock(b);
    struct ip_addr a = addr(0);
    assert_true(parent_blocker_block(b, &a, 1000, 1));
    wait_queue_empty(b); /* taken, the thread now waits for the lock */
    for (unsigned i = 1; i <= PARENT_BLOCKER_QUEUE_MAX; i++) {
        a = addr(i);
        assert_true(parent_blocker_block(b, &a, 1000, 1));
    }
    assert_int_equal(parent_blocker_queued(b), PARENT_BLOCKER_QUEUE_MAX);
    a = addr(PARENT_BLOCKER_QUEUE_MAX + 1);
    assert_false(parent_blocker_block(b, &a, 1000, 1));
    parent_blocker_unlock(b);
    /* the thread drains it in batches; every block fails (no table here) */
    wait_queue_empty(b);
    struct parent_blocker_results r;
    for (int i = 0; i < 2000; i++) {
        parent_blocker_results(b, &r);
        if (r.failures == PARENT_BLOCKER_QUEUE_MAX + 1)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(r.failures, PARENT_BLOCKER_QUEUE_MAX + 1);
    assert_int_equal(r.blocks, 0);
    parent_blocker_stop(b);
}

/* Stopping with blocks queued drops them and joins. */
static void test_stop_with_work_queued(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char err[256];
    struct parent_blocker *b = parent_blocker_start(err, sizeof err);
    assert_non_null(b);
    parent_blocker_set_reading(b, true); /* a read fails too, quietly */
    for (unsigned i = 0; i < 10; i++) {
        struct ip_addr a = addr(i);
        parent_blocker_block(b, &a, 1000, 1);
    }
    parent_blocker_stop(b);
    parent_blocker_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_stop_with_work_queued),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
