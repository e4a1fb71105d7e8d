/* Unit tests for gateway/upstream/backend.c: smooth weighted round robin, retry
 * exclusion, rise/fall state (active and passive). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/upstream/backend.h"
#include "common/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct config cfg;
static struct backend_set set;
static bool have_set;

/* n backends named a, b, c ... with the given weights; rise 2, fall 3. */
static void make_set(unsigned n, const unsigned *weights)
{
    if (have_set)
        backend_set_destroy(&set);
    config_defaults(&cfg);
    cfg.n_backends = n;
    cfg.health.rise = 2;
    cfg.health.fall = 3;
    for (unsigned i = 0; i < n; i++) {
        snprintf(cfg.backends[i].name, sizeof cfg.backends[i].name, "%c", 'a' + i);
        cfg.backends[i].weight = weights[i];
    }
    assert_int_equal(backend_set_init(&set, &cfg, false), 0);
    have_set = true;
}

static int teardown(void **state)
{
    (void)state;
    if (have_set)
        backend_set_destroy(&set);
    have_set = false;
    return 0;
}

static int quiet_logs(void **state)
{
    (void)state;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    log_setup(LOG_FORMAT_PLAIN, fd, LOG_LEVEL_DEBUG, NULL);
    return 0;
}

/* Picks `n` times and writes the names, e.g. "abab". */
static void pick_sequence(char *out, unsigned n, const struct backend *exclude)
{
    for (unsigned i = 0; i < n; i++) {
        struct backend *b = backend_pick(&set, exclude);
        out[i] = b ? b->cfg->name[0] : '-';
    }
    out[n] = '\0';
}

static void test_equal_weights_alternate(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    char seq[11];
    pick_sequence(seq, 10, NULL);
    assert_string_equal(seq, "ababababab");
}

static void test_three_equal_rotate(void **state)
{
    (void)state;
    make_set(3, (const unsigned[]){5, 5, 5});
    char seq[10];
    pick_sequence(seq, 9, NULL);
    assert_string_equal(seq, "abcabcabc");
}

static void test_weights_are_smooth(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){3, 1});
    char seq[9];
    pick_sequence(seq, 8, NULL);
    assert_string_equal(seq, "aabaaaba");
    /* exact shares over a full cycle: 3 a for every b, never "aaab" bursts */
    make_set(3, (const unsigned[]){5, 1, 1});
    char seq7[8];
    pick_sequence(seq7, 7, NULL);
    assert_string_equal(seq7, "aabacaa");
}

static void test_weight_zero_never_picked(void **state)
{
    (void)state;
    make_set(3, (const unsigned[]){1, 0, 1});
    char seq[7];
    pick_sequence(seq, 6, NULL);
    assert_string_equal(seq, "acacac");
}

static void test_max_weight_boundary(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){256, 1});
    unsigned a = 0;
    for (unsigned i = 0; i < 257; i++)
        a += backend_pick(&set, NULL)->cfg->name[0] == 'a';
    assert_int_equal(a, 256);
}

static void test_exclude_for_retry(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    struct backend *first = backend_pick(&set, NULL);
    assert_string_equal(first->cfg->name, "a");
    struct backend *retry = backend_pick(&set, first);
    assert_non_null(retry);
    assert_string_equal(retry->cfg->name, "b");
    /* the only backend up is excluded: no pick */
    make_set(1, (const unsigned[]){1});
    assert_null(backend_pick(&set, &set.items[0]));
}

static void test_no_backend_up(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    backend_set_destroy(&set);
    assert_int_equal(backend_set_init(&set, &cfg, true), 0);
    assert_int_equal(backend_count_up(&set), 0);
    assert_null(backend_pick(&set, NULL));
    make_set(0, NULL);
    assert_null(backend_pick(&set, NULL));
}

static void test_health_step_rise_fall(void **state)
{
    (void)state;
    struct backend_health h = {.up = true};
    assert_false(backend_health_step(&h, false, 2, 3));
    assert_false(backend_health_step(&h, false, 2, 3));
    assert_true(backend_health_step(&h, false, 2, 3)); /* 3rd failure */
    assert_false(h.up);
    assert_false(backend_health_step(&h, false, 2, 3)); /* stays down */
    assert_false(backend_health_step(&h, true, 2, 3));
    assert_true(backend_health_step(&h, true, 2, 3)); /* 2nd success */
    assert_true(h.up);
}

static void test_health_step_streak_broken(void **state)
{
    (void)state;
    struct backend_health h = {.up = true};
    /* fail, fail, ok, fail, fail: never three in a row */
    assert_false(backend_health_step(&h, false, 2, 3));
    assert_false(backend_health_step(&h, false, 2, 3));
    assert_false(backend_health_step(&h, true, 2, 3));
    assert_false(backend_health_step(&h, false, 2, 3));
    assert_false(backend_health_step(&h, false, 2, 3));
    assert_true(h.up);
    /* down: ok, fail, ok is not a rise of 2 */
    h = (struct backend_health){.up = false};
    assert_false(backend_health_step(&h, true, 2, 3));
    assert_false(backend_health_step(&h, false, 2, 3));
    assert_false(backend_health_step(&h, true, 2, 3));
    assert_false(h.up);
    /* rise = fall = 1 flips on every changed result */
    assert_true(backend_health_step(&h, true, 1, 1));
    assert_true(backend_health_step(&h, false, 1, 1));
}

static void test_passive_failures_mark_down(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    struct backend *a = &set.items[0];
    backend_report_failure(&set, a);
    backend_report_failure(&set, a);
    backend_report_success(&set, a); /* a response in between resets */
    backend_report_failure(&set, a);
    backend_report_failure(&set, a);
    assert_true(atomic_load(&a->up));
    backend_report_failure(&set, a);
    assert_false(atomic_load(&a->up));
    assert_int_equal(backend_count_up(&set), 1);
    char seq[5];
    pick_sequence(seq, 4, NULL);
    assert_string_equal(seq, "bbbb");
    /* active checks bring it back after `rise` successes, rotation restarts */
    assert_false(backend_observe(&set, a, true, "status 200"));
    assert_true(backend_observe(&set, a, true, "status 200"));
    assert_int_equal(backend_count_up(&set), 2);
    pick_sequence(seq, 4, NULL);
    assert_string_equal(seq, "abab");
}

/* A new relay starts with the backends its predecessor had down. */
static void test_start_down_mask(void **state)
{
    (void)state;
    make_set(3, (const unsigned[]){1, 1, 1});
    backend_set_start_down(&set, (uint64_t)1 << 1 | (uint64_t)1 << 5); /* bit 5: no such backend */
    assert_int_equal(backend_count_up(&set), 2);
    assert_int_equal(backend_down_mask(&set), (uint64_t)1 << 1);
    char seq[5];
    pick_sequence(seq, 4, NULL);
    assert_string_equal(seq, "acac");
    /* it comes back through checks like any other */
    backend_observe(&set, &set.items[1], true, "status 200");
    backend_observe(&set, &set.items[1], true, "status 200");
    assert_int_equal(backend_down_mask(&set), 0);
}

/* Settled: every backend down or passed a check; a backend that only
 * failed so far is still "up" by default, so not known yet. */
static void test_settled(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    assert_false(backend_set_settled(&set, true));
    assert_true(backend_set_settled(&set, false)); /* no active checks: nothing to wait for */
    struct backend *a = &set.items[0], *b = &set.items[1];
    backend_observe(&set, a, false, "refused");
    atomic_fetch_add(&a->checks_failed, 1);
    assert_false(backend_set_settled(&set, true));
    atomic_fetch_add(&b->checks_ok, 1);
    assert_false(backend_set_settled(&set, true)); /* a: 1 of 3 failures, unknown */
    backend_observe(&set, a, false, "refused");
    backend_observe(&set, a, false, "refused");
    assert_false(atomic_load(&a->up));
    assert_true(backend_set_settled(&set, true));
    assert_int_equal(backend_count_up(&set), 1);
    /* started down by the previous relay: known at once */
    make_set(1, (const unsigned[]){1});
    backend_set_start_down(&set, 1);
    assert_true(backend_set_settled(&set, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_equal_weights_alternate, teardown),
        cmocka_unit_test_teardown(test_three_equal_rotate, teardown),
        cmocka_unit_test_teardown(test_weights_are_smooth, teardown),
        cmocka_unit_test_teardown(test_weight_zero_never_picked, teardown),
        cmocka_unit_test_teardown(test_max_weight_boundary, teardown),
        cmocka_unit_test_teardown(test_exclude_for_retry, teardown),
        cmocka_unit_test_teardown(test_no_backend_up, teardown),
        cmocka_unit_test(test_health_step_rise_fall),
        cmocka_unit_test(test_health_step_streak_broken),
        cmocka_unit_test_teardown(test_passive_failures_mark_down, teardown),
        cmocka_unit_test_teardown(test_start_down_mask, teardown),
        cmocka_unit_test_teardown(test_settled, teardown),
    };
    return cmocka_run_group_tests_name("backend", tests, quiet_logs, NULL);
}
