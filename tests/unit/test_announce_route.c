/* Unit tests for announce_route.c's pure part: the route device's name.
 * The kernel side (TUN device, addresses, routes) needs root and a
 * network namespace: tests/integration/bgp_ecmp.sh drives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/announce_route.h"

#include <net/if.h>
#include <string.h>

static void test_device_name(void **state)
{
    (void)state;
    char name[ANNOUNCE_DEVICE_MAX];
    announce_route_device(100, name, sizeof name);
    assert_string_equal(name, "rampart100");
    /* the largest table [bgp] accepts still fits in IFNAMSIZ */
    announce_route_device(CONFIG_BGP_TABLE_MAX, name, sizeof name);
    assert_string_equal(name, "rampart65535");
    assert_true(strlen(name) < IFNAMSIZ);
    assert_int_equal(ANNOUNCE_DEVICE_MAX, IFNAMSIZ);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_device_name)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
