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
        struct backend *b = backend_pick(&set, exclude, NULL);
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
        a += backend_pick(&set, NULL, NULL)->cfg->name[0] == 'a';
    assert_int_equal(a, 256);
}

static void test_exclude_for_retry(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    struct backend *first = backend_pick(&set, NULL, NULL);
    assert_string_equal(first->cfg->name, "a");
    struct backend *retry = backend_pick(&set, first, NULL);
    assert_non_null(retry);
    assert_string_equal(retry->cfg->name, "b");
    /* the only backend up is excluded: no pick */
    make_set(1, (const unsigned[]){1});
    assert_null(backend_pick(&set, &set.items[0], NULL));
}

static void test_no_backend_up(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    backend_set_destroy(&set);
    assert_int_equal(backend_set_init(&set, &cfg, true), 0);
    assert_int_equal(backend_count_up(&set), 0);
    assert_null(backend_pick(&set, NULL, NULL));
    make_set(0, NULL);
    assert_null(backend_pick(&set, NULL, NULL));
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
    backend_report(&set, a, BACKEND_CONNECT_FAILED);
    backend_report(&set, a, BACKEND_DROPPED);
    backend_report(&set, a, BACKEND_RESPONSE_OK); /* a response in between resets */
    backend_report(&set, a, BACKEND_PROTOCOL_ERROR);
    backend_report(&set, a, BACKEND_CONNECT_FAILED);
    assert_true(atomic_load(&a->up));
    backend_report(&set, a, BACKEND_CONNECT_FAILED);
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

/* Issue 10, defect 8: a slow answer is the request's failure, not the
 * server's; a client asking for slow pages must not take backends down. */
static void test_timeouts_and_5xx_never_count(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    struct backend *a = &set.items[0];
    for (int i = 0; i < 10; i++) {
        backend_report(&set, a, BACKEND_TIMEOUT);
        backend_report(&set, a, BACKEND_RESPONSE_5XX);
    }
    assert_true(atomic_load(&a->up));
    assert_int_equal(a->health.fail_streak, 0);
    /* nor do they heal: fail, fail, timeout, fail is three in a row */
    backend_report(&set, a, BACKEND_CONNECT_FAILED);
    backend_report(&set, a, BACKEND_CONNECT_FAILED);
    backend_report(&set, a, BACKEND_TIMEOUT);
    backend_report(&set, a, BACKEND_RESPONSE_5XX);
    assert_true(atomic_load(&a->up));
    backend_report(&set, a, BACKEND_PROTOCOL_ERROR);
    assert_false(atomic_load(&a->up));
}

/* A good answer ends a streak of failures (HAProxy's observe layer7). */
static void test_good_response_heals(void **state)
{
    (void)state;
    make_set(1, (const unsigned[]){1});
    struct backend *a = &set.items[0];
    for (int round = 0; round < 5; round++) { /* fall - 1 failures, then a good answer, again and again */
        backend_report(&set, a, BACKEND_DROPPED);
        backend_report(&set, a, BACKEND_CONNECT_FAILED);
        assert_true(atomic_load(&a->failing));
        backend_report(&set, a, BACKEND_RESPONSE_OK);
        assert_false(atomic_load(&a->failing));
        assert_int_equal(a->health.fail_streak, 0);
    }
    assert_true(atomic_load(&a->up));
    /* a down backend does not come back through traffic: checks decide */
    for (int i = 0; i < 3; i++)
        backend_report(&set, a, BACKEND_CONNECT_FAILED);
    assert_false(atomic_load(&a->up));
    backend_report(&set, a, BACKEND_RESPONSE_OK);
    backend_report(&set, a, BACKEND_RESPONSE_OK);
    assert_false(atomic_load(&a->up));
}

/* max_connections: exactly that many slots per backend; the next pick is
 * "all busy" (the request queues), and a release makes room again. */
static void test_max_connections_boundary(void **state)
{
    (void)state;
    make_set(2, (const unsigned[]){1, 1});
    cfg.backends[0].max_connections = 1;
    cfg.backends[1].max_connections = 2;
    enum backend_pick_why why;
    char seq[5];
    for (int i = 0; i < 3; i++) {
        struct backend *b = backend_pick(&set, NULL, &why);
        assert_non_null(b);
        assert_int_equal(why, BACKEND_PICKED);
        seq[i] = b->cfg->name[0];
    }
    seq[3] = '\0';
    assert_string_equal(seq, "abb");
    assert_int_equal(atomic_load(&set.items[0].active), 1);
    assert_int_equal(atomic_load(&set.items[1].active), 2);
    assert_null(backend_pick(&set, NULL, &why)); /* cap + 1 */
    assert_int_equal(why, BACKEND_ALL_BUSY);
    backend_release(&set.items[1]);
    struct backend *b = backend_pick(&set, NULL, &why);
    assert_non_null(b);
    assert_string_equal(b->cfg->name, "b");
    /* busy, or nothing up at all: the caller queues only the first */
    assert_null(backend_pick(&set, &set.items[1], &why));
    assert_int_equal(why, BACKEND_ALL_BUSY);
    backend_release(&set.items[0]);
    for (int i = 0; i < 3; i++)
        backend_report(&set, &set.items[0], BACKEND_CONNECT_FAILED);
    assert_null(backend_pick(&set, &set.items[1], &why));
    assert_int_equal(why, BACKEND_NONE_UP);
    /* 0: no limit */
    make_set(1, (const unsigned[]){1});
    for (int i = 0; i < 1000; i++)
        assert_non_null(backend_pick(&set, NULL, NULL));
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
        cmocka_unit_test_teardown(test_timeouts_and_5xx_never_count, teardown),
        cmocka_unit_test_teardown(test_good_response_heals, teardown),
        cmocka_unit_test_teardown(test_max_connections_boundary, teardown),
        cmocka_unit_test_teardown(test_start_down_mask, teardown),
        cmocka_unit_test_teardown(test_settled, teardown),
    };
    return cmocka_run_group_tests_name("backend", tests, quiet_logs, NULL);
}
