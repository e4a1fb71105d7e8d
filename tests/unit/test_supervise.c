/* Unit tests for gateway/proc/supervise.c: the parent's heartbeat timeout,
 * restart backoff and the carrying over of backend states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proc/supervise.h"

#include <stdio.h>
#include <string.h>

/* One enabled instance with this advert interval (centiseconds). */
static void one_instance(struct config *cfg, unsigned advert_cs)
{
    config_vrrp_defaults(&cfg->vrrp[0], "");
    cfg->vrrp[0].enabled = true;
    cfg->vrrp[0].advert_interval_cs = advert_cs;
    cfg->n_vrrp = 1;
}

static void test_heartbeat_timeout(void **state)
{
    (void)state;
    static struct config cfg;
    config_defaults(&cfg);
    assert_int_equal(supervise_heartbeat_timeout_ms(&cfg, 50), SUPERVISE_HEARTBEAT_TIMEOUT_MS);
    one_instance(&cfg, 100); /* 1 s: one advert interval */
    assert_int_equal(supervise_heartbeat_timeout_ms(&cfg, 50), 1000);
    cfg.vrrp[0].advert_interval_cs = 1; /* 10 ms adverts: still 3 heartbeats */
    assert_int_equal(supervise_heartbeat_timeout_ms(&cfg, 50), 150);
    cfg.vrrp[0].advert_interval_cs = 15; /* exactly the floor */
    assert_int_equal(supervise_heartbeat_timeout_ms(&cfg, 50), 150);
    cfg.vrrp[0].enabled = false; /* a disabled instance does not count */
    assert_int_equal(supervise_heartbeat_timeout_ms(&cfg, 50), SUPERVISE_HEARTBEAT_TIMEOUT_MS);
}

/* Active-active: the shortest interval of the enabled instances rules. */
static void test_heartbeat_timeout_instances(void **state)
{
    (void)state;
    static struct config cfg;
    config_defaults(&cfg);
    one_instance(&cfg, 100);
    config_vrrp_defaults(&cfg.vrrp[1], "b");
    cfg.vrrp[1].advert_interval_cs = 30;
    config_vrrp_defaults(&cfg.vrrp[2], "c");
    cfg.vrrp[2].advert_interval_cs = 20;
    cfg.vrrp[2].enabled = false;
    cfg.n_vrrp = 3;
    assert_int_equal(supervise_heartbeat_timeout_ms(&cfg, 50), 300);
    assert_int_equal(supervise_relay_grace_ms(&cfg), 3 * 300); /* the fastest instance's */
}

static void test_relay_grace(void **state)
{
    (void)state;
    static struct config cfg;
    config_defaults(&cfg);
    assert_int_equal(supervise_relay_grace_ms(&cfg), 0); /* no VRRP: nothing to hand over */
    one_instance(&cfg, 10);
    assert_int_equal(supervise_relay_grace_ms(&cfg), 300); /* three advert intervals */
    cfg.gateway.relay_grace_set = true;
    cfg.gateway.relay_grace_ms = 750;
    assert_int_equal(supervise_relay_grace_ms(&cfg), 750);
    cfg.gateway.relay_grace_ms = 0; /* the old behaviour: hand over at once */
    assert_int_equal(supervise_relay_grace_ms(&cfg), 0);
    assert_int_equal(supervise_stand_down_at(&cfg, 0, 5000), 5000);
}

/* A relay crash is one restart, not a handover: the deadline is the grace
 * after the first loss; crash-looping relays hand over at once. */
static void test_stand_down_at(void **state)
{
    (void)state;
    static struct config cfg;
    config_defaults(&cfg);
    one_instance(&cfg, 10);
    assert_int_equal(supervise_stand_down_at(&cfg, 0, 5000), 5300); /* ran a while, crashed */
    assert_int_equal(supervise_stand_down_at(&cfg, 1, 5000), 5300); /* first quick death: restarted at once */
    assert_int_equal(supervise_stand_down_at(&cfg, 2, 5000), 5000); /* a crash loop: now */
    assert_int_equal(supervise_stand_down_at(&cfg, 100, 5000), 5000);
    /* the first loss anchors it: a replacement dying too does not extend it */
    assert_int_equal(supervise_stand_down_at(&cfg, 1, 5000), supervise_stand_down_at(&cfg, 0, 5000));
}

static void test_restart_backoff(void **state)
{
    (void)state;
    assert_int_equal(supervise_restart_delay_ms(0), 0); /* ran a while: at once */
    assert_int_equal(supervise_restart_delay_ms(1), 0); /* first quick death: at once */
    assert_int_equal(supervise_restart_delay_ms(2), 100);
    assert_int_equal(supervise_restart_delay_ms(3), 200);
    assert_int_equal(supervise_restart_delay_ms(7), 3200);
    assert_int_equal(supervise_restart_delay_ms(8), SUPERVISE_MAX_BACKOFF_MS);
    assert_int_equal(supervise_restart_delay_ms(4000000000u), SUPERVISE_MAX_BACKOFF_MS);
}

static void add_backend(struct config *cfg, const char *name, unsigned port)
{
    struct config_backend *b = &cfg->backends[cfg->n_backends++];
    snprintf(b->name, sizeof b->name, "%s", name);
    struct sockaddr_in *sin = (struct sockaddr_in *)&b->addr;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    b->addr_len = sizeof *sin;
}

/* A reload that reorders, adds, or readdresses backends: only the same
 * name at the same address keeps its "down". */
static void test_map_down(void **state)
{
    (void)state;
    static struct config from, to;
    config_defaults(&from);
    config_defaults(&to);
    add_backend(&from, "web-01", 80);
    add_backend(&from, "web-02", 80);
    add_backend(&from, "web-03", 80);
    add_backend(&to, "web-03", 80);   /* moved to index 0 */
    add_backend(&to, "web-02", 8080); /* same name, new port */
    add_backend(&to, "web-04", 80);   /* new */
    add_backend(&to, "web-01", 80);
    uint64_t all_down = 0x7;
    assert_int_equal(supervise_map_down(&from, all_down, &to), (uint64_t)1 << 0 | (uint64_t)1 << 3);
    assert_int_equal(supervise_map_down(&from, 0x2, &to), 0);
    assert_int_equal(supervise_map_down(&from, 0, &to), 0);
    /* a restart with the same config keeps the mask as it is */
    assert_int_equal(supervise_map_down(&from, 0x5, &from), 0x5);
}

/* The last of CONFIG_MAX_BACKENDS (bit 63) maps too. */
static void test_map_down_boundary(void **state)
{
    (void)state;
    static struct config cfg;
    config_defaults(&cfg);
    char name[16];
    for (unsigned i = 0; i < CONFIG_MAX_BACKENDS; i++) {
        snprintf(name, sizeof name, "b%u", i);
        add_backend(&cfg, name, 80);
    }
    uint64_t last = (uint64_t)1 << (CONFIG_MAX_BACKENDS - 1);
    assert_int_equal(supervise_map_down(&cfg, last, &cfg), last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heartbeat_timeout), cmocka_unit_test(test_heartbeat_timeout_instances),
        cmocka_unit_test(test_relay_grace),       cmocka_unit_test(test_stand_down_at),
        cmocka_unit_test(test_restart_backoff),   cmocka_unit_test(test_map_down),
        cmocka_unit_test(test_map_down_boundary),
    };
    return cmocka_run_group_tests_name("supervise", tests, NULL, NULL);
}
