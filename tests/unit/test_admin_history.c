/* Unit tests for gateway/admin/admin_history.c: the fixed ring of the
 * /status charts at its boundaries (empty, the first sample, full, one
 * past full), the rates and quantiles of a sample, late ticks, counter
 * resets, a clock that goes back, and the parent's VRRP change list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/admin/admin.h"
#include "gateway/admin/admin_history.h"
#include "gateway/admin/metrics.h"

#include <string.h>

#define T0 1796127600ULL

static struct admin_history h;
static struct admin_history_counters c;

static int setup(void **state)
{
    (void)state;
    admin_history_init(&h);
    memset(&c, 0, sizeof c);
    return 0;
}

/* n requests in the bucket of bound index `bucket` */
static void add_requests(uint64_t n, unsigned bucket)
{
    c.requests += n;
    c.latency[bucket] += n;
    c.latency_count += n;
}

static void test_first_record_is_the_start(void **state)
{
    (void)state;
    assert_int_equal(h.count, 0);
    assert_null(admin_history_at(&h, 0));
    admin_history_record(&h, T0, &c);
    assert_int_equal(h.count, 0); /* no interval yet */
    add_requests(100, 0);
    admin_history_record(&h, T0 + ADMIN_HISTORY_STEP_S, &c);
    assert_int_equal(h.count, 1);
    const struct admin_history_sample *s = admin_history_at(&h, 0);
    assert_non_null(s);
    assert_int_equal(s->t_s, T0 + ADMIN_HISTORY_STEP_S);
    assert_int_equal(s->span_s, ADMIN_HISTORY_STEP_S);
    assert_true(s->requests_per_s == 10.0);
    assert_null(admin_history_at(&h, 1));
}

/* Boundary: ADMIN_HISTORY_SAMPLES samples fill the ring; one more drops
 * the oldest and keeps the count. */
static void test_ring_wraps_at_capacity(void **state)
{
    (void)state;
    admin_history_record(&h, T0, &c);
    for (unsigned k = 1; k <= ADMIN_HISTORY_SAMPLES; k++) {
        c.requests += k; /* sample k has k/10 requests per second */
        admin_history_record(&h, T0 + k * ADMIN_HISTORY_STEP_S, &c);
    }
    assert_int_equal(h.count, ADMIN_HISTORY_SAMPLES);
    assert_int_equal(admin_history_at(&h, 0)->t_s, T0 + ADMIN_HISTORY_STEP_S);
    assert_int_equal(admin_history_at(&h, ADMIN_HISTORY_SAMPLES - 1)->t_s,
                     T0 + ADMIN_HISTORY_SAMPLES * ADMIN_HISTORY_STEP_S);
    assert_null(admin_history_at(&h, ADMIN_HISTORY_SAMPLES));
    c.requests += ADMIN_HISTORY_SAMPLES + 1;
    admin_history_record(&h, T0 + (ADMIN_HISTORY_SAMPLES + 1) * ADMIN_HISTORY_STEP_S, &c);
    assert_int_equal(h.count, ADMIN_HISTORY_SAMPLES);
    assert_int_equal(admin_history_at(&h, 0)->t_s, T0 + 2 * ADMIN_HISTORY_STEP_S);
    const struct admin_history_sample *newest = admin_history_at(&h, ADMIN_HISTORY_SAMPLES - 1);
    assert_int_equal(newest->t_s, T0 + (ADMIN_HISTORY_SAMPLES + 1) * ADMIN_HISTORY_STEP_S);
    assert_true(newest->requests_per_s == (ADMIN_HISTORY_SAMPLES + 1) / (double)ADMIN_HISTORY_STEP_S);
    assert_int_equal(ADMIN_HISTORY_WINDOW_S, 15 * 60); /* what the page says */
}

static void test_rates_errors_drops(void **state)
{
    (void)state;
    admin_history_record(&h, T0, &c);
    add_requests(200, 3);
    c.errors = 20;
    c.fw_drops = 50;
    admin_history_record(&h, T0 + 10, &c);
    const struct admin_history_sample *s = admin_history_at(&h, 0);
    assert_true(s->requests_per_s == 20.0);
    assert_true(s->errors_per_s == 2.0);
    assert_true(s->fw_drops_per_s == 5.0);
}

/* A late tick is one longer interval, not a spike. */
static void test_late_tick(void **state)
{
    (void)state;
    admin_history_record(&h, T0, &c);
    add_requests(300, 0);
    admin_history_record(&h, T0 + 30, &c);
    const struct admin_history_sample *s = admin_history_at(&h, 0);
    assert_int_equal(s->span_s, 30);
    assert_true(s->requests_per_s == 10.0);
}

/* The firewall's counters restart from 0 when a policy apply replaces the
 * table: the drop is what was counted since, never a huge wrap-around. */
static void test_counter_reset(void **state)
{
    (void)state;
    c.fw_drops = 1000;
    admin_history_record(&h, T0, &c);
    c.fw_drops = 40;
    admin_history_record(&h, T0 + 10, &c);
    assert_true(admin_history_at(&h, 0)->fw_drops_per_s == 4.0);
}

/* Same second: ignored. Clock back: a new start, no sample. */
static void test_same_second_and_clock_back(void **state)
{
    (void)state;
    admin_history_record(&h, T0, &c);
    add_requests(10, 0);
    admin_history_record(&h, T0, &c);
    assert_int_equal(h.count, 0);
    admin_history_record(&h, T0 - 100, &c);
    assert_int_equal(h.count, 0);
    add_requests(10, 0);
    admin_history_record(&h, T0 - 90, &c);
    assert_int_equal(h.count, 1);
    assert_true(admin_history_at(&h, 0)->requests_per_s == 1.0); /* only what came after the new start */
}

/* No request in an interval: no latency (the chart leaves a gap). */
static void test_no_latency_without_requests(void **state)
{
    (void)state;
    admin_history_record(&h, T0, &c);
    admin_history_record(&h, T0 + 10, &c);
    const struct admin_history_sample *s = admin_history_at(&h, 0);
    assert_true(s->p50_ms < 0);
    assert_true(s->p99_ms < 0);
    assert_true(s->requests_per_s == 0);
}

static void test_quantiles(void **state)
{
    (void)state;
    uint64_t b[METRICS_LATENCY_BUCKETS] = {0};
    const double *bounds = metrics_latency_bounds;
    /* all 100 in the first bucket (0, 1 ms]: linear inside it */
    b[0] = 100;
    assert_true(admin_latency_quantile(b, bounds, METRICS_LATENCY_BUCKETS, 0, 0.5) == 0.5);
    assert_true(admin_latency_quantile(b, bounds, METRICS_LATENCY_BUCKETS, 0, 0.99) > 0.989);
    /* 90 in (2.5, 5] ms, 10 in (50, 100] ms: p50 in the first, p99 in the second */
    memset(b, 0, sizeof b);
    b[2] = 90;
    b[6] = 10;
    double p50 = admin_latency_quantile(b, bounds, METRICS_LATENCY_BUCKETS, 0, 0.5);
    double p99 = admin_latency_quantile(b, bounds, METRICS_LATENCY_BUCKETS, 0, 0.99);
    assert_true(p50 > 2.5 && p50 <= 5.0);
    assert_true(p99 > 50.0 && p99 <= 100.0);
    assert_true(p99 == 50.0 + 50.0 * 0.9); /* rank 99: the 9th of 10 in (50, 100] */
    /* slower than the last bound: the last bound, as histogram_quantile says */
    memset(b, 0, sizeof b);
    assert_true(admin_latency_quantile(b, bounds, METRICS_LATENCY_BUCKETS, 5, 0.5) ==
                bounds[METRICS_LATENCY_BUCKETS - 1] * 1000.0);
    assert_true(admin_latency_quantile(b, bounds, METRICS_LATENCY_BUCKETS, 0, 0.5) < 0); /* none */
}

/* Requests past the last bound count in the quantiles through latency_count. */
static void test_sample_counts_slow_requests(void **state)
{
    (void)state;
    admin_history_record(&h, T0, &c);
    c.requests += 10;
    c.latency_count += 10; /* all slower than 10 s: in no bucket */
    admin_history_record(&h, T0 + 10, &c);
    assert_true(admin_history_at(&h, 0)->p50_ms ==
                metrics_latency_bounds[METRICS_LATENCY_BUCKETS - 1] * 1000.0);
}

/* Boundary: ADMIN_VRRP_HISTORY changes are kept, the next drops the oldest. */
static void test_vrrp_history(void **state)
{
    (void)state;
    struct admin_vrrp_history v = {0};
    for (unsigned i = 0; i < ADMIN_VRRP_HISTORY; i++)
        admin_vrrp_history_add(&v, T0 + i, i % 2 ? ADMIN_VRRP_MASTER : ADMIN_VRRP_BACKUP,
                               i % 2 ? ADMIN_VRRP_BACKUP : ADMIN_VRRP_MASTER);
    assert_int_equal(v.n, ADMIN_VRRP_HISTORY);
    assert_int_equal(v.items[0].t_s, T0);
    admin_vrrp_history_add(&v, T0 + 100, ADMIN_VRRP_MASTER, ADMIN_VRRP_FAULT);
    assert_int_equal(v.n, ADMIN_VRRP_HISTORY);
    assert_int_equal(v.items[0].t_s, T0 + 1);
    assert_int_equal(v.items[ADMIN_VRRP_HISTORY - 1].t_s, T0 + 100);
    assert_int_equal(v.items[ADMIN_VRRP_HISTORY - 1].to, ADMIN_VRRP_FAULT);
    v.n = 1000; /* a garbled count is clamped, never trusted */
    admin_vrrp_history_add(&v, T0 + 200, ADMIN_VRRP_FAULT, ADMIN_VRRP_BACKUP);
    assert_int_equal(v.n, ADMIN_VRRP_HISTORY);
    assert_int_equal(v.items[ADMIN_VRRP_HISTORY - 1].t_s, T0 + 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_first_record_is_the_start, setup),
        cmocka_unit_test_setup(test_ring_wraps_at_capacity, setup),
        cmocka_unit_test_setup(test_rates_errors_drops, setup),
        cmocka_unit_test_setup(test_late_tick, setup),
        cmocka_unit_test_setup(test_counter_reset, setup),
        cmocka_unit_test_setup(test_same_second_and_clock_back, setup),
        cmocka_unit_test_setup(test_no_latency_without_requests, setup),
        cmocka_unit_test_setup(test_quantiles, setup),
        cmocka_unit_test_setup(test_sample_counts_slow_requests, setup),
        cmocka_unit_test_setup(test_vrrp_history, setup),
    };
    return cmocka_run_group_tests_name("admin_history", tests, NULL, NULL);
}
