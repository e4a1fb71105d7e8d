/* Unit tests for gateway/proxy/abuse.c: threshold within a window (virtual
 * time), window expiry, clients counted apart, the pending queue at its
 * bound, the table's eviction, peer addresses, which statuses count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy/abuse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static struct abuse *det;

static int setup(void **state)
{
    (void)state;
    det = calloc(1, sizeof *det);
    return det ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    abuse_destroy(det);
    free(det);
    return 0;
}

static struct ip_addr ip(const char *text)
{
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    a.family = strchr(text, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(a.family, text, a.family == AF_INET ? (void *)&a.u.v4 : (void *)&a.u.v6), 1);
    return a;
}

static struct ip_addr ip_n(uint32_t n)
{
    struct ip_addr a = {.family = AF_INET};
    a.u.v4.s_addr = htonl(0xc6120000u + n); /* 198.18.0.0/15 */
    return a;
}

static void test_threshold_in_window(void **state)
{
    (void)state;
    abuse_init(det, 3, 10000);
    struct ip_addr a = ip("198.18.0.2");
    assert_false(abuse_note(det, &a, 1000));
    assert_false(abuse_note(det, &a, 2000));
    assert_true(abuse_note(det, &a, 10999)); /* 3rd, still inside [1000, 11000) */
    struct ip_addr out[4];
    assert_int_equal(abuse_take(det, out, 4), 1);
    assert_int_equal(out[0].family, AF_INET);
    assert_memory_equal(&out[0].u.v4, &a.u.v4, 4);
    assert_int_equal(abuse_take(det, out, 4), 0); /* taken once */
    /* counting starts again after a report */
    assert_false(abuse_note(det, &a, 11000));
    assert_false(abuse_note(det, &a, 11001));
    assert_true(abuse_note(det, &a, 11002));
}

static void test_window_expires(void **state)
{
    (void)state;
    abuse_init(det, 3, 10000);
    struct ip_addr a = ip("198.18.0.2");
    assert_false(abuse_note(det, &a, 0));
    assert_false(abuse_note(det, &a, 9999));
    /* exactly window_ms after the first: a new window, count 1 */
    assert_false(abuse_note(det, &a, 10000));
    assert_false(abuse_note(det, &a, 10001));
    assert_true(abuse_note(det, &a, 10002));
}

static void test_clients_apart(void **state)
{
    (void)state;
    abuse_init(det, 2, 10000);
    struct ip_addr a = ip("198.18.0.2"), b = ip("198.18.0.3"), v6 = ip("2001:db8::2");
    assert_false(abuse_note(det, &a, 1));
    assert_false(abuse_note(det, &b, 2));
    assert_false(abuse_note(det, &v6, 3));
    assert_true(abuse_note(det, &v6, 4));
    assert_true(abuse_note(det, &b, 5));
    struct ip_addr out[4];
    assert_int_equal(abuse_take(det, out, 4), 2);
    assert_int_equal(out[0].family, AF_INET6); /* oldest first */
    assert_int_equal(out[1].family, AF_INET);
}

/* Issue 10: an IPv6 client is its /64, as for the connection limit:
 * rotating through the addresses of one subnet earns no fresh counts. */
static void test_ipv6_counted_per_64(void **state)
{
    (void)state;
    abuse_init(det, 3, 10000);
    struct ip_addr a = ip("2001:db8:1:2::1"), b = ip("2001:db8:1:2:ffff::9"), c = ip("2001:db8:1:2:abcd::7");
    struct ip_addr other = ip("2001:db8:1:3::1"); /* the next /64 */
    assert_false(abuse_note(det, &a, 1));
    assert_false(abuse_note(det, &b, 2));
    assert_false(abuse_note(det, &other, 3));
    assert_true(abuse_note(det, &c, 4)); /* third of the same /64 */
    struct ip_addr out[2];
    assert_int_equal(abuse_take(det, out, 2), 1);
    assert_memory_equal(&out[0].u.v6, &c.u.v6, sizeof c.u.v6); /* the address that tipped it */
    assert_false(abuse_note(det, &other, 5));
    assert_true(abuse_note(det, &other, 6));
}

static void test_threshold_one(void **state)
{
    (void)state;
    abuse_init(det, 1, 1000);
    struct ip_addr a = ip("198.18.0.2");
    assert_true(abuse_note(det, &a, 5));
}

/* The queue holds ABUSE_PENDING_MAX; the next offender is counted and
 * queued at its next refusal once there is room. */
static void test_pending_bound(void **state)
{
    (void)state;
    abuse_init(det, 1, 10000);
    for (uint32_t i = 0; i < ABUSE_PENDING_MAX; i++) {
        struct ip_addr a = ip_n(0x10000 + i);
        assert_true(abuse_note(det, &a, 1));
    }
    struct ip_addr late = ip("198.18.1.1");
    assert_false(abuse_note(det, &late, 2));
    assert_int_equal(det->queue_full, 1);
    static struct ip_addr out[ABUSE_PENDING_MAX + 1];
    assert_int_equal(abuse_take(det, out, 10), 10); /* partial take keeps the rest, in order */
    assert_int_equal(abuse_take(det, out, ABUSE_PENDING_MAX + 1), ABUSE_PENDING_MAX - 10);
    assert_true(abuse_note(det, &late, 3));
    assert_int_equal(abuse_take(det, out, 1), 1);
    assert_memory_equal(&out[0].u.v4, &late.u.v4, 4);
}

/* Many more clients than ABUSE_TABLE_SIZE: old entries are evicted, memory
 * stays the table, and a client noted just now is still counted. */
static void test_table_bound(void **state)
{
    (void)state;
    abuse_init(det, 2, 100000);
    for (uint32_t i = 0; i < 2 * ABUSE_TABLE_SIZE; i++) {
        struct ip_addr a = ip_n(i);
        assert_false(abuse_note(det, &a, 1 + i));
    }
    assert_true(det->evictions >= ABUSE_TABLE_SIZE);
    unsigned used = 0;
    for (unsigned i = 0; i < ABUSE_TABLE_SIZE; i++)
        used += det->table[i].used;
    assert_true(used <= ABUSE_TABLE_SIZE);
    struct ip_addr last = ip_n(2 * ABUSE_TABLE_SIZE - 1);
    assert_true(abuse_note(det, &last, 3 * ABUSE_TABLE_SIZE));
}

static void test_peer_addr(void **state)
{
    (void)state;
    abuse_init(det, 1, 1000);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:198.18.0.9", &s6->sin6_addr);
    struct ip_addr a;
    assert_int_equal(abuse_peer_addr(&ss, &a), 0);
    assert_int_equal(a.family, AF_INET); /* mapped: blocked as IPv4 */
    assert_int_equal(ntohl(a.u.v4.s_addr), 0xc6120009u);
    inet_pton(AF_INET6, "2001:db8::9", &s6->sin6_addr);
    assert_int_equal(abuse_peer_addr(&ss, &a), 0);
    assert_int_equal(a.family, AF_INET6);
    assert_true(abuse_note_peer(det, &ss, 1));
    ss.ss_family = AF_UNIX;
    assert_int_equal(abuse_peer_addr(&ss, &a), -1);
    assert_false(abuse_note_peer(det, &ss, 1));
}

static void test_counted_statuses(void **state)
{
    (void)state;
    const unsigned yes[] = {400, 408, 413, 414, 431}, no[] = {200, 301, 403, 404, 405, 417, 502, 503, 505};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(abuse_counts_status(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(abuse_counts_status(no[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_threshold_in_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_counted_per_64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threshold_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_addr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counted_statuses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
