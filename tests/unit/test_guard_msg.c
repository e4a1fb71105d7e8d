/* Unit tests for gateway/proc/guard_msg.c: what the guard takes from its
 * pipe: a good state and EXIT pass; every field out of range, a wrong size,
 * magic or kind, and counts past their bounds are refused, with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proc/guard.h"

#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

static struct guard_msg good(void)
{
    struct guard_msg m = {.magic = GUARD_MAGIC, .kind = GUARD_MSG_STATE, .n = 1};
    struct vrrp_node_desc *g = &m.inst[0];
    strcpy(g->name, "site-a");
    strcpy(g->interface, "eth0");
    g->family = AF_INET;
    g->vrid = 51;
    g->master = true;
    g->advert_cs = 10;
    g->have_source = true;
    g->source = vrrp_addr_v4(htonl(0xc6120001));
    g->dst[0] = vrrp_addr_v4(htonl(0xe0000012));
    g->n_dst = 1;
    g->vips[0] = (struct ip_prefix){.addr = {.family = AF_INET}, .len = 24};
    g->n_vips = 1;
    return m;
}

static const char *why_of(const struct guard_msg *m, size_t n)
{
    const char *why = NULL;
    int rc = guard_msg_check(m, n, &why);
    return rc == 0 ? "ok" : why;
}

static void test_good_and_exit(void **state)
{
    (void)state;
    struct guard_msg m = good();
    assert_string_equal(why_of(&m, sizeof m), "ok");
    m.n = GUARD_INSTANCES_MAX; /* all slots: the others are checked too */
    for (unsigned i = 1; i < GUARD_INSTANCES_MAX; i++)
        m.inst[i] = m.inst[0];
    assert_string_equal(why_of(&m, sizeof m), "ok");
    struct guard_msg e = {.magic = GUARD_MAGIC, .kind = GUARD_MSG_EXIT};
    assert_string_equal(why_of(&e, sizeof e), "ok");
    assert_true(sizeof m <= PIPE_BUF);
}

static void test_refused(void **state)
{
    (void)state;
    struct guard_msg m = good();
    assert_string_equal(why_of(&m, sizeof m - 1), "size");
    m.magic ^= 1;
    assert_string_equal(why_of(&m, sizeof m), "magic");
    m = good(), m.kind = 3;
    assert_string_equal(why_of(&m, sizeof m), "kind");
    m = good(), m.reserved = 1;
    assert_string_equal(why_of(&m, sizeof m), "reserved");
    m = good(), m.n = GUARD_INSTANCES_MAX + 1;
    assert_string_equal(why_of(&m, sizeof m), "count");
    m = good(), memset(m.inst[0].interface, 'x', sizeof m.inst[0].interface);
    assert_string_equal(why_of(&m, sizeof m), "instance or interface name"); /* not terminated */
    m = good(), strcpy(m.inst[0].interface, "../x");
    assert_string_equal(why_of(&m, sizeof m), "instance or interface name");
    m = good(), m.inst[0].interface[0] = '\0';
    assert_string_equal(why_of(&m, sizeof m), "instance or interface name");
    m = good(), memset(m.inst[0].name, 'n', sizeof m.inst[0].name);
    assert_string_equal(why_of(&m, sizeof m), "instance or interface name");
    m = good(), m.inst[0].name[0] = '\0'; /* [vrrp], the instance with no name */
    assert_string_equal(why_of(&m, sizeof m), "ok");
    m = good(), m.inst[0].family = 99;
    assert_string_equal(why_of(&m, sizeof m), "family");
    m = good(), m.inst[0].vrid = 0;
    assert_string_equal(why_of(&m, sizeof m), "vrid, flags or advert interval");
    m = good(), memset(&m.inst[0].master, 2, 1); /* a bool byte that is neither 0 nor 1 */
    assert_string_equal(why_of(&m, sizeof m), "vrid, flags or advert interval");
    m = good(), m.inst[0].advert_cs = 4096;
    assert_string_equal(why_of(&m, sizeof m), "vrid, flags or advert interval");
    m = good(), m.inst[0].n_dst = CONFIG_MAX_PEERS + 1;
    assert_string_equal(why_of(&m, sizeof m), "count");
    m = good(), m.inst[0].n_vips = CONFIG_MAX_VIPS + 1;
    assert_string_equal(why_of(&m, sizeof m), "count");
    m = good(), m.inst[0].n_dst = 0;
    assert_string_equal(why_of(&m, sizeof m), "count"); /* a source but nowhere to send */
    m = good(), m.inst[0].source.b[0] = 0x20;           /* not IPv4-mapped */
    assert_string_equal(why_of(&m, sizeof m), "source address");
    m = good(), m.inst[0].dst[0].b[10] = 0;
    assert_string_equal(why_of(&m, sizeof m), "destination address");
    m = good(), m.inst[0].family = AF_INET6; /* an IPv6 instance with an IPv4 VIP */
    assert_string_equal(why_of(&m, sizeof m), "virtual address");
    m = good(), m.inst[0].vips[0].len = 33;
    assert_string_equal(why_of(&m, sizeof m), "virtual address");
    m = good(), m.n = 2; /* the second slot is empty: refused too */
    assert_string_equal(why_of(&m, sizeof m), "instance or interface name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_and_exit),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests_name("guard_msg", tests, NULL, NULL);
}
