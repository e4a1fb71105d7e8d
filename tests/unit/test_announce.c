/* Unit tests for the BGP announcement's rules (gateway/ha/announce.c):
 * when a node announces, the reason it gives when it does not, and how
 * long a drain waits after the withdrawal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/announce.h"

#include <string.h>

static struct config_bgp bgp_cfg(void)
{
    struct config c;
    config_defaults(&c);
    c.bgp.enabled = true;
    return c.bgp;
}

/* Everything fit: relay serving, firewall applied, backends settled. */
static struct announce_inputs fit(void)
{
    return (struct announce_inputs){
        .relay_serving = true, .firewall_applied = true, .backends_known = true, .backends_up = 2};
}

static void test_fit_node_announces(void **state)
{
    (void)state;
    struct config_bgp cfg = bgp_cfg();
    struct announce_inputs in = fit();
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_OK);
    assert_string_equal(announce_block_name(ANNOUNCE_OK), "announced");
}

/* A node that has just started knows nothing yet: it never announces. */
static void test_start_state_withdrawn(void **state)
{
    (void)state;
    struct config_bgp cfg = bgp_cfg();
    struct announce_inputs in = {0};
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_NO_RELAY);
    in.relay_serving = true;
    in.firewall_applied = true;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_BACKENDS_UNKNOWN);
    /* "all up" before the first settled report is not a finding */
    in.backends_up = 2;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_BACKENDS_UNKNOWN);
}

/* The first failing condition is the reason, in the documented order. */
static void test_each_condition_withdraws(void **state)
{
    (void)state;
    struct config_bgp cfg = bgp_cfg();
    struct announce_inputs in = fit();
    in.draining = true;
    in.relay_serving = false;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_DRAINING);
    in = fit();
    in.relay_serving = false;
    in.backends_up = 0;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_NO_RELAY);
    in = fit();
    in.firewall_applied = false;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_NO_FIREWALL);
    in = fit();
    in.backends_up = 0;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_TOO_FEW_BACKENDS);
}

/* require_firewall = no: an unfirewalled node may announce. */
static void test_firewall_not_required(void **state)
{
    (void)state;
    struct config_bgp cfg = bgp_cfg();
    cfg.require_firewall = false;
    struct announce_inputs in = fit();
    in.firewall_applied = false;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_OK);
}

/* min_backends at its boundary: exactly min announces, one fewer does not. */
static void test_min_backends_boundary(void **state)
{
    (void)state;
    struct config_bgp cfg = bgp_cfg();
    cfg.min_backends = 3;
    struct announce_inputs in = fit();
    in.backends_up = 3;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_OK);
    in.backends_up = 2;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_TOO_FEW_BACKENDS);
    cfg.min_backends = CONFIG_MAX_BACKENDS;
    in.backends_up = CONFIG_MAX_BACKENDS;
    assert_int_equal(announce_decide(&cfg, &in), ANNOUNCE_OK);
}

static void test_block_names(void **state)
{
    (void)state;
    static const char *const want[ANNOUNCE_BLOCK_COUNT] = {
        "announced", "draining", "no_relay", "no_firewall", "backends_unknown", "too_few_backends"};
    for (unsigned i = 0; i < ANNOUNCE_BLOCK_COUNT; i++)
        assert_string_equal(announce_block_name((enum announce_block)i), want[i]);
    assert_string_equal(announce_block_name(ANNOUNCE_BLOCK_COUNT), "unknown");
}

/* Announced until now: the whole drain_wait. Withdrawn earlier: what is
 * left of it, then nothing. Never announced: nothing to wait for. */
static void test_drain_delay(void **state)
{
    (void)state;
    struct config_bgp cfg = bgp_cfg();
    cfg.drain_wait_ms = 2000;
    assert_int_equal(announce_drain_delay_ms(&cfg, true, 0, 5000), 2000);
    assert_int_equal(announce_drain_delay_ms(&cfg, true, 4000, 5000), 2000);
    assert_int_equal(announce_drain_delay_ms(&cfg, false, 0, 5000), 0);
    assert_int_equal(announce_drain_delay_ms(&cfg, false, 4000, 5000), 1000);
    assert_int_equal(announce_drain_delay_ms(&cfg, false, 4000, 5999), 1);
    assert_int_equal(announce_drain_delay_ms(&cfg, false, 4000, 6000), 0);
    assert_int_equal(announce_drain_delay_ms(&cfg, false, 4000, 9000), 0);
    cfg.drain_wait_ms = 0;
    assert_int_equal(announce_drain_delay_ms(&cfg, true, 0, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_node_announces),
        cmocka_unit_test(test_start_state_withdrawn),
        cmocka_unit_test(test_each_condition_withdraws),
        cmocka_unit_test(test_firewall_not_required),
        cmocka_unit_test(test_min_backends_boundary),
        cmocka_unit_test(test_block_names),
        cmocka_unit_test(test_drain_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
