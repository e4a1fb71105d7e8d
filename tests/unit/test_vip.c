/*
 * Unit tests for gateway/ha/vip.c: the virtual addresses of an instance,
 * added and removed over rtnetlink, on a link of a network namespace the
 * test owns (tests/unit/helpers/t_netns.h: a user namespace in which the
 * test is root, so no real root is needed and the root namespace is never
 * touched). Each test starts on a fresh network namespace with one stub
 * link, "vip0" (a dummy link, or a veth with its peer up where the kernel
 * has no dummy driver). What vip.c did is judged by the kernel's own
 * address dump (t_netns_addr_prefix), not by vip.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/vip.h"
#include "tests/unit/helpers/t_netns.h"
#include "tests/unit/helpers/t_wait.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define LINK     "vip0"
#define ERR_MAX  256
#define VIP_A    "198.18.0.100"
#define VIP_B    "198.18.0.101"
#define PRIMARY  "198.18.0.1"
#define VIP6     "2001:2::10"
#define MAX_VIPS 3

struct fixture {
    struct ip_prefix vips[MAX_VIPS];
    unsigned n;
    struct vip_set vs;
    bool open;
    char err[ERR_MAX];
};

static struct ip_prefix prefix(const char *addr, unsigned len)
{
    struct ip_prefix p = {.len = len};
    char why[PARSE_WHY_MAX];
    assert_int_equal(parse_ip(addr, &p.addr, why), 0);
    return p;
}

static int group_setup(void **state)
{
    (void)state;
    t_netns_enter(); /* on failure every test skips, saying why */
    return 0;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    *state = &f;
    if (t_netns_why[0])
        return 0;
    assert_int_equal(t_netns_fresh(), 0);
    assert_int_equal(t_netns_stub_link(LINK), 0);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->open)
        vip_close(&f->vs);
    return 0;
}

/* vip_open on LINK with the fixture's VIPs; the family of the first. */
static void open_set(struct fixture *f)
{
    int family = f->vips[0].addr.family;
    assert_int_equal(vip_open(&f->vs, LINK, family, f->vips, f->n, f->err, sizeof f->err), 0);
    f->open = true;
    assert_int_equal(f->vs.ifindex, if_nametoindex(LINK));
}

/* ---- add and remove ------------------------------------------------------------- */

/* Both VIPs appear with their own prefix lengths; adding again changes
 * nothing and is no error (a Master re-taking what it holds). */
static void test_add_all_adds_and_is_idempotent(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP_A, 32);
    f->vips[f->n++] = prefix(VIP_B, 24);
    open_set(f);
    assert_int_equal(vip_missing(&f->vs), 2);
    assert_int_equal(t_netns_addr_prefix(LINK, VIP_A, NULL), -1);

    assert_int_equal(vip_add_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(t_netns_addr_prefix(LINK, VIP_A, NULL), 32);
    assert_int_equal(t_netns_addr_prefix(LINK, VIP_B, NULL), 24);
    assert_int_equal(vip_missing(&f->vs), 0);
    int count = t_netns_addr_count(LINK, AF_INET);
    assert_int_equal(count, 2);

    assert_int_equal(vip_add_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(t_netns_addr_count(LINK, AF_INET), count); /* no second copy */
    assert_int_equal(vip_missing(&f->vs), 0);
}

/* Removing takes every VIP and leaves the link's own address; removing
 * what is already gone is no error (start-up cleans up this way). */
static void test_del_all_removes_and_is_idempotent(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP_A, 32);
    f->vips[f->n++] = prefix(VIP_B, 32);
    assert_int_equal(t_netns_addr_add(LINK, PRIMARY "/24"), 0);
    open_set(f);
    assert_int_equal(vip_add_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(t_netns_addr_count(LINK, AF_INET), 3);

    assert_int_equal(vip_del_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(t_netns_addr_prefix(LINK, VIP_A, NULL), -1);
    assert_int_equal(t_netns_addr_prefix(LINK, VIP_B, NULL), -1);
    assert_int_equal(t_netns_addr_prefix(LINK, PRIMARY, NULL), 24); /* not ours to remove */
    assert_int_equal(vip_missing(&f->vs), 2);

    assert_int_equal(vip_del_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(vip_missing(&f->vs), 2);
}

/* A VIP a crash left with another prefix length (a config changed from /24
 * to /32 in between) is still found and removed. */
static void test_del_all_finds_other_prefix_length(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP_A, 32);
    assert_int_equal(t_netns_addr_add(LINK, VIP_A "/24"), 0);
    open_set(f);
    assert_int_equal(vip_missing(&f->vs), 0); /* held, whatever its length */
    assert_int_equal(vip_del_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(t_netns_addr_prefix(LINK, VIP_A, NULL), -1);
}

/* An IPv6 VIP is usable at once: added without DAD, never tentative. */
static void test_ipv6_vip_without_dad(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP6, 128);
    open_set(f);
    assert_int_equal(vip_missing(&f->vs), 1);
    assert_int_equal(vip_add_all(&f->vs, f->err, sizeof f->err), 0);
    uint32_t flags = 0;
    assert_int_equal(t_netns_addr_prefix(LINK, VIP6, &flags), 128);
    assert_true(flags & IFA_F_NODAD);
    assert_false(flags & IFA_F_TENTATIVE);
    assert_int_equal(vip_missing(&f->vs), 0);
    assert_int_equal(vip_del_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(t_netns_addr_prefix(LINK, VIP6, NULL), -1);
}

/* ---- errors --------------------------------------------------------------------- */

static void test_open_unknown_interface_names_it(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP_A, 32);
    assert_int_equal(vip_open(&f->vs, "nope0", AF_INET, f->vips, f->n, f->err, sizeof f->err), -1);
    assert_string_equal(f->err, "VIP interface 'nope0': No such device");
}

/* One address the kernel refuses: the others are still added, the call
 * fails, and the message names the bad address and the interface. */
static void test_add_error_names_address_and_interface(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP_A, 32);
    f->vips[f->n++] = prefix(VIP_B, 33); /* no such IPv4 prefix: EINVAL */
    f->vips[f->n++] = prefix("198.18.0.102", 32);
    open_set(f);
    assert_int_equal(vip_add_all(&f->vs, f->err, sizeof f->err), -1);
    assert_string_equal(f->err, "add VIP " VIP_B "/33 on " LINK ": Invalid argument");
    assert_int_equal(t_netns_addr_prefix(LINK, VIP_A, NULL), 32);
    assert_int_equal(t_netns_addr_prefix(LINK, "198.18.0.102", NULL), 32);
    assert_int_equal(vip_missing(&f->vs), 1);
}

/* The link vanished after vip_open: both directions fail naming it, and
 * every address counts as missing. */
static void test_link_gone_errors_name_interface(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP_A, 32);
    open_set(f);
    assert_int_equal(t_netns_link_del(LINK), 0);
    assert_int_equal(vip_add_all(&f->vs, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "add VIP " VIP_A "/32 on " LINK ": "));
    f->err[0] = '\0';
    assert_int_equal(vip_del_all(&f->vs, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "remove VIP " VIP_A "/32 on " LINK ": "));
    assert_int_equal(vip_missing(&f->vs), 1);
}

/* ---- our own address ------------------------------------------------------------ */

/* The first IPv4 address that is not a VIP, even when a VIP came first;
 * none while the VIPs are all there is. */
static void test_primary_v4_skips_vips(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP_A, 32);
    open_set(f);
    uint8_t out[16];
    assert_int_equal(vip_primary(&f->vs, out), -1); /* no address at all */
    assert_int_equal(vip_add_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(vip_primary(&f->vs, out), -1); /* only the VIP */
    assert_int_equal(t_netns_addr_add(LINK, PRIMARY "/24"), 0);
    memset(out, 0, sizeof out);
    assert_int_equal(vip_primary(&f->vs, out), 0);
    char text[INET_ADDRSTRLEN];
    assert_string_equal(inet_ntop(AF_INET, out, text, sizeof text), PRIMARY);
}

struct primary6 {
    struct vip_set *vs;
    uint8_t out[16];
};

static bool primary6_known(void *arg)
{
    struct primary6 *p = arg;
    return vip_primary(p->vs, p->out) == 0;
}

/* IPv6: the link-local address, once DAD has passed; never the global
 * address the link also holds, nor a VIP. */
static void test_primary_v6_is_link_local(void **state)
{
    T_NETNS_REQUIRE();
    struct fixture *f = *state;
    f->vips[f->n++] = prefix(VIP6, 128);
    open_set(f);
    assert_int_equal(vip_add_all(&f->vs, f->err, sizeof f->err), 0);
    assert_int_equal(t_netns_addr_add(LINK, "2001:2::1/64"), 0);
    struct primary6 p = {.vs = &f->vs};
    assert_true(t_wait_sleep(primary6_known, &p, T_WAIT_LONG_MS));
    assert_int_equal(p.out[0], 0xfe);
    assert_int_equal(p.out[1] & 0xc0, 0x80); /* fe80::/10 */
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, p.out, text, sizeof text);
    uint32_t flags = 0;
    assert_int_equal(t_netns_addr_prefix(LINK, text, &flags), 64);
    assert_false(flags & IFA_F_TENTATIVE);
}

/* ---- link state ----------------------------------------------------------------- */

static bool link_is_up(void *arg)
{
    return vip_link_up(arg) == 1;
}

static void test_link_up_follows_the_link(void **state)
{
    T_NETNS_REQUIRE();
    (void)state;
    assert_true(t_wait_sleep(link_is_up, LINK, T_WAIT_LONG_MS)); /* carrier comes a little later */
    assert_int_equal(t_netns_link_set_up(LINK, false), 0);
    assert_int_equal(vip_link_up(LINK), 0);
    assert_int_equal(t_netns_link_set_up(LINK, true), 0);
    assert_true(t_wait_sleep(link_is_up, LINK, T_WAIT_LONG_MS));
    assert_int_equal(vip_link_up("nope0"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_all_adds_and_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_del_all_removes_and_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_del_all_finds_other_prefix_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_vip_without_dad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_unknown_interface_names_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_error_names_address_and_interface, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_gone_errors_name_interface, setup, teardown),
        cmocka_unit_test_setup_teardown(test_primary_v4_skips_vips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_primary_v6_is_link_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_up_follows_the_link, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
