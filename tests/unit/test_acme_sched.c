/* Unit tests for gateway/acme/acme_sched.c: a first order at once, renewal
 * at two thirds of the lifetime, inside the ARI window (its start, its
 * end, a window already past), the backoff's floor, doubling and ceiling,
 * and a failed renewal waiting out its backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/acme/acme_sched.h"

#define DAY 86400

static void test_first_order_now(void **state)
{
    (void)state;
    struct acme_sched_in in = {.now_s = 1000};
    assert_int_equal(acme_sched_next(&in), 1000);
    in.failures = 1;
    in.last_failure_s = 1000;
    assert_int_equal(acme_sched_next(&in), 1000 + ACME_BACKOFF_MIN_S);
}

static void test_two_thirds(void **state)
{
    (void)state;
    struct acme_sched_in in = {.have_cert = true, .not_before_s = 0, .not_after_s = 90 * DAY, .now_s = DAY};
    assert_int_equal(acme_sched_next(&in), 60 * DAY);
}

static void test_ari_window(void **state)
{
    (void)state;
    struct acme_sched_in in = {.have_cert = true,
                               .not_before_s = 0,
                               .not_after_s = 90 * DAY,
                               .have_window = true,
                               .window = {.start_s = 10 * DAY, .end_s = 12 * DAY},
                               .now_s = DAY};
    assert_int_equal(acme_sched_next(&in), 10 * DAY); /* frac 0: the start */
    in.frac = 0.5;
    assert_int_equal(acme_sched_next(&in), 11 * DAY);
    in.frac = 0.999999;
    assert_true(acme_sched_next(&in) < 12 * DAY);
    in.frac = 7; /* out of range: the start */
    assert_int_equal(acme_sched_next(&in), 10 * DAY);
    in.now_s = 13 * DAY; /* a window already past: now (the CA wants it replaced) */
    assert_int_equal(acme_sched_next(&in), 13 * DAY);
}

static void test_backoff_floor_and_ceiling(void **state)
{
    (void)state;
    assert_int_equal(acme_sched_backoff_s(1), ACME_BACKOFF_MIN_S);
    assert_int_equal(acme_sched_backoff_s(2), 2 * ACME_BACKOFF_MIN_S);
    assert_int_equal(acme_sched_backoff_s(3), 4 * ACME_BACKOFF_MIN_S);
    assert_int_equal(acme_sched_backoff_s(8), 128 * ACME_BACKOFF_MIN_S);
    assert_int_equal(acme_sched_backoff_s(9), 256 * ACME_BACKOFF_MIN_S);
    assert_int_equal(acme_sched_backoff_s(10), ACME_BACKOFF_MAX_S); /* 512 min: cut to 6 h */
    assert_int_equal(acme_sched_backoff_s(1000), ACME_BACKOFF_MAX_S);
}

static void test_failed_renewal_backs_off(void **state)
{
    (void)state;
    struct acme_sched_in in = {.have_cert = true,
                               .not_before_s = 0,
                               .not_after_s = 90 * DAY,
                               .failures = 3,
                               .last_failure_s = 60 * DAY,
                               .now_s = 60 * DAY};
    assert_int_equal(acme_sched_next(&in), 60 * DAY + 4 * ACME_BACKOFF_MIN_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_order_now),
        cmocka_unit_test(test_two_thirds),
        cmocka_unit_test(test_ari_window),
        cmocka_unit_test(test_backoff_floor_and_ceiling),
        cmocka_unit_test(test_failed_renewal_backs_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
