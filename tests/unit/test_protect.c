/* Unit tests for gateway/proc/protect.c: what the parent refuses to block,
 * and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proc/protect.h"

#include <arpa/inet.h>
#include <string.h>

static struct ip_addr ip(const char *text)
{
    struct ip_addr a;
    char why[PARSE_WHY_MAX];
    assert_int_equal(parse_ip(text, &a, why), 0);
    return a;
}

static enum protect_reason check(struct protect *p, const char *text)
{
    struct ip_addr a = ip(text);
    return protect_check(p, &a);
}

static void test_not_global(void **state)
{
    (void)state;
    static const char *const never[] = {"0.0.0.0",         "0.1.2.3",    "127.0.0.1", "127.255.255.254",
                                        "169.254.1.1",     "224.0.0.18", "239.1.1.1", "240.0.0.1",
                                        "255.255.255.255", "::",         "::1",       "::ffff:198.18.0.1",
                                        "::198.18.0.1",    "fe80::1",    "febf::1",   "ff02::12"};
    /* clients of a site can be on private, shared, benchmarking, ULA space */
    static const char *const clients[] = {"10.1.2.3",   "172.16.0.1",   "192.168.1.1", "100.64.0.1",
                                          "198.18.0.2", "198.19.255.5", "8.8.8.8",     "223.255.255.255",
                                          "fd00::1",    "2001:db8::1",  "fec0::1",     "1.0.0.0"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        struct ip_addr a = ip(never[i]);
        if (!protect_not_global(&a))
            fail_msg("%s should not be global", never[i]);
    }
    for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
        struct ip_addr a = ip(clients[i]);
        if (protect_not_global(&a))
            fail_msg("%s should be blockable", clients[i]);
    }
    struct ip_addr bad = {.family = 12345};
    assert_true(protect_not_global(&bad));
}

static void add_prefix(struct protect *p, const char *addr, unsigned len, enum protect_reason why)
{
    struct ip_addr a = ip(addr);
    uint8_t lo[16] = {0}, hi[16] = {0};
    unsigned n = a.family == AF_INET ? 4 : 16;
    memcpy(lo, &a.u, n);
    memcpy(hi, &a.u, n);
    for (unsigned bit = len; bit < n * 8; bit++)
        hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
    assert_int_equal(protect_add_range(p, a.family, lo, hi, why), 0);
}

static void test_config(void **state)
{
    (void)state;
    static struct config cfg;
    config_defaults(&cfg);
    config_vrrp_defaults(&cfg.vrrp[0], "");
    cfg.vrrp[0].vips[0].addr = ip("198.18.0.10");
    cfg.vrrp[0].vips[0].len = 24;
    cfg.vrrp[0].n_vips = 1;
    cfg.vrrp[0].unicast_peers[0] = ip("198.18.0.3");
    cfg.vrrp[0].n_unicast_peers = 1;
    /* a second instance, IPv6 and parked (enabled = no): its VIP is protected too */
    config_vrrp_defaults(&cfg.vrrp[1], "v6");
    cfg.vrrp[1].enabled = false;
    cfg.vrrp[1].vips[0].addr = ip("2001:db8::10");
    cfg.vrrp[1].vips[0].len = 64;
    cfg.vrrp[1].n_vips = 1;
    cfg.n_vrrp = 2;
    struct sockaddr_in *b = (struct sockaddr_in *)&cfg.backends[0].addr;
    b->sin_family = AF_INET;
    inet_pton(AF_INET, "198.19.0.11", &b->sin_addr);
    struct sockaddr_in6 *b6 = (struct sockaddr_in6 *)&cfg.backends[1].addr;
    b6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::11", &b6->sin6_addr);
    cfg.n_backends = 2;
    struct protect p;
    protect_init(&p);
    assert_int_equal(protect_add_config(&p, &cfg), 0);
    assert_int_equal(check(&p, "198.18.0.10"), PROTECT_VIP);
    assert_int_equal(check(&p, "198.18.0.11"), PROTECT_NONE); /* the VIP's subnet is not protected */
    assert_int_equal(check(&p, "198.18.0.3"), PROTECT_PEER);
    assert_int_equal(check(&p, "198.19.0.11"), PROTECT_BACKEND);
    assert_int_equal(check(&p, "2001:db8::11"), PROTECT_BACKEND);
    assert_int_equal(check(&p, "2001:db8::10"), PROTECT_VIP); /* the parked IPv6 instance's */
    assert_int_equal(check(&p, "2001:db8::12"), PROTECT_NONE);
    assert_int_equal(check(&p, "198.18.0.2"), PROTECT_NONE);
    /* a reset forgets config and policy */
    protect_reset(&p);
    assert_int_equal(check(&p, "198.18.0.3"), PROTECT_NONE);
    protect_free(&p);
}

/* Overlapping ranges of different reasons: the first reason of the order
 * wins, and a wide range that starts early still covers an address that
 * later, narrower ranges do not. */
static void test_overlapping_ranges(void **state)
{
    (void)state;
    struct protect p;
    protect_init(&p);
    add_prefix(&p, "198.19.0.0", 16, PROTECT_ADMIN);
    add_prefix(&p, "198.19.0.11", 32, PROTECT_BACKEND);
    add_prefix(&p, "198.19.5.0", 24, PROTECT_PEER);
    add_prefix(&p, "198.19.9.9", 32, PROTECT_BACKEND);
    assert_int_equal(check(&p, "198.19.0.11"), PROTECT_ADMIN);
    assert_int_equal(check(&p, "198.19.5.7"), PROTECT_PEER);
    assert_int_equal(check(&p, "198.19.200.1"), PROTECT_ADMIN); /* after every narrower range */
    assert_int_equal(check(&p, "198.20.0.0"), PROTECT_NONE);
    assert_int_equal(check(&p, "198.18.255.255"), PROTECT_NONE);
    /* adding after a lookup sorts again */
    add_prefix(&p, "203.0.113.0", 24, PROTECT_ADMIN);
    assert_int_equal(check(&p, "203.0.113.255"), PROTECT_ADMIN);
    assert_int_equal(check(&p, "203.0.114.0"), PROTECT_NONE);
    /* the families do not mix */
    add_prefix(&p, "2001:db8::", 32, PROTECT_ADMIN);
    assert_int_equal(check(&p, "2001:db8:ffff::1"), PROTECT_ADMIN);
    assert_int_equal(check(&p, "2001:db9::"), PROTECT_NONE);
    protect_free(&p);
}

/* Many ranges (a large policy set): every one found, none in between. */
static void test_many_ranges(void **state)
{
    (void)state;
    struct protect p;
    protect_init(&p);
    char a[32];
    for (unsigned i = 0; i < 5000; i++) {
        snprintf(a, sizeof a, "10.%u.%u.0", i / 256, i % 256);
        add_prefix(&p, a, 25, PROTECT_ADMIN);
    }
    for (unsigned i = 0; i < 5000; i += 7) {
        snprintf(a, sizeof a, "10.%u.%u.127", i / 256, i % 256);
        assert_int_equal(check(&p, a), PROTECT_ADMIN);
        snprintf(a, sizeof a, "10.%u.%u.128", i / 256, i % 256);
        assert_int_equal(check(&p, a), PROTECT_NONE);
    }
    protect_free(&p);
}

static void test_own_and_heard(void **state)
{
    (void)state;
    struct protect p;
    protect_init(&p);
    static struct ip_addr own[PROTECT_OWN_MAX + 3];
    for (unsigned i = 0; i < PROTECT_OWN_MAX + 3; i++) {
        char a[32];
        snprintf(a, sizeof a, "198.18.%u.%u", 1 + i / 250, 1 + i % 250);
        own[i] = ip(a);
    }
    protect_set_own(&p, own, PROTECT_OWN_MAX + 3);
    assert_int_equal(p.n_own, PROTECT_OWN_MAX);
    assert_int_equal(p.own_dropped, 3);
    assert_int_equal(check(&p, "198.18.1.1"), PROTECT_OWN);
    char last[32];
    format_ip(&own[PROTECT_OWN_MAX - 1], last, sizeof last);
    assert_int_equal(check(&p, last), PROTECT_OWN); /* the boundary */
    format_ip(&own[PROTECT_OWN_MAX], last, sizeof last);
    assert_int_equal(check(&p, last), PROTECT_NONE);              /* one past it */
    assert_int_equal(check(&p, "127.0.0.1"), PROTECT_NOT_GLOBAL); /* before own */
    /* routers heard by every instance, both families, at most PROTECT_HEARD_MAX */
    static struct ip_addr heard[PROTECT_HEARD_MAX + 1];
    for (unsigned i = 0; i < PROTECT_HEARD_MAX; i++) {
        char a[32];
        snprintf(a, sizeof a, "198.18.2.%u", 100 + i); /* 198.18.2.100 + i */
        heard[i] = ip(a);
    }
    heard[PROTECT_HEARD_MAX - 1] = ip("2001:db8::2");
    heard[PROTECT_HEARD_MAX] = ip("198.18.3.1");
    protect_set_heard(&p, heard, PROTECT_HEARD_MAX + 1);
    assert_int_equal(p.n_heard, PROTECT_HEARD_MAX);
    assert_int_equal(check(&p, "198.18.2.100"), PROTECT_PEER);
    assert_int_equal(check(&p, "2001:db8::2"), PROTECT_PEER); /* the boundary, IPv6 */
    assert_int_equal(check(&p, "198.18.3.1"), PROTECT_NONE);  /* one past it */
    protect_free(&p);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(protect_reason_name(PROTECT_NOT_GLOBAL), "not_global");
    assert_string_equal(protect_reason_name(PROTECT_ADMIN), "admin");
    assert_string_equal(protect_reason_name(PROTECT_BACKEND), "backend");
    assert_string_equal(protect_reason_name(PROTECT_REASON_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_global),         cmocka_unit_test(test_config),
        cmocka_unit_test(test_overlapping_ranges), cmocka_unit_test(test_many_ranges),
        cmocka_unit_test(test_own_and_heard),      cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
