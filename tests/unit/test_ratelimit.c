/* Unit tests for common/ratelimit.c: the burst boundary, the window, the
 * count of what was held back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/ratelimit.h"

static void test_burst_boundary(void **state)
{
    (void)state;
    struct ratelimit rl = {0};
    uint64_t skipped = 99;
    for (unsigned i = 0; i < RATELIMIT_LOG_BURST; i++) {
        assert_true(ratelimit_allow(&rl, 5000, RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS, &skipped));
        assert_int_equal(skipped, 0);
    }
    /* one more in the same period: refused and counted */
    assert_false(ratelimit_allow(&rl, 5999, RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS, &skipped));
    assert_false(ratelimit_allow(&rl, 5999, RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS, &skipped));
    assert_int_equal(rl.skipped, 2);
}

static void test_next_period_reports_skipped(void **state)
{
    (void)state;
    struct ratelimit rl = {0};
    uint64_t skipped;
    assert_true(ratelimit_allow(&rl, 1000, 1, 1000, &skipped));
    assert_false(ratelimit_allow(&rl, 1500, 1, 1000, &skipped));
    assert_false(ratelimit_allow(&rl, 1999, 1, 1000, &skipped));
    /* exactly one period later: a new window, and the count of what was held back */
    assert_true(ratelimit_allow(&rl, 2000, 1, 1000, &skipped));
    assert_int_equal(skipped, 2);
    assert_false(ratelimit_allow(&rl, 2001, 1, 1000, &skipped));
    assert_true(ratelimit_allow(&rl, 3000, 1, 1000, &skipped));
    assert_int_equal(skipped, 1);
}

static void test_clock_going_back_starts_a_window(void **state)
{
    (void)state;
    struct ratelimit rl = {0};
    uint64_t skipped;
    assert_true(ratelimit_allow(&rl, 10000, 1, 1000, &skipped));
    assert_false(ratelimit_allow(&rl, 10000, 1, 1000, &skipped));
    assert_true(ratelimit_allow(&rl, 500, 1, 1000, &skipped));
    assert_int_equal(skipped, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_boundary),
        cmocka_unit_test(test_next_period_reports_skipped),
        cmocka_unit_test(test_clock_going_back_starts_a_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
