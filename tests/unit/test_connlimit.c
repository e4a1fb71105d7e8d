/* Unit tests for gateway/proxy/connlimit.c: total and per-client limits, client
 * keys (IPv4, IPv4-mapped, IPv6 /64), release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy/connlimit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
    }
    return ss;
}

static void test_per_ip_boundary(void **state)
{
    (void)state;
    struct connlimit cl;
    connlimit_init(&cl, 100, 3);
    struct sockaddr_storage a = addr("198.18.0.1"), b = addr("198.18.0.2");
    for (int i = 0; i < 3; i++)
        assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_OK);
    assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_PER_IP); /* 4th */
    assert_int_equal(connlimit_acquire(&cl, &b), CONNLIMIT_OK);     /* others unaffected */
    assert_int_equal(connlimit_count(&cl, &a), 3);
    connlimit_release(&cl, &a);
    assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_OK);
    assert_int_equal(cl.total, 4);
    connlimit_destroy(&cl);
}

static void test_total_boundary(void **state)
{
    (void)state;
    struct connlimit cl;
    connlimit_init(&cl, 2, 0);
    struct sockaddr_storage a = addr("198.18.0.1"), b = addr("198.18.0.2"), c = addr("198.18.0.3");
    assert_int_equal(connlimit_acquire(&cl, &a), CONNLIMIT_OK);
    assert_int_equal(connlimit_acquire(&cl, &b), CONNLIMIT_OK);
    assert_int_equal(connlimit_acquire(&cl, &c), CONNLIMIT_TOTAL);
    connlimit_release(&cl, &b);
    assert_int_equal(connlimit_acquire(&cl, &c), CONNLIMIT_OK);
    /* entries of clients that left are freed */
    connlimit_release(&cl, &a);
    connlimit_release(&cl, &c);
    assert_int_equal(cl.total, 0);
    assert_int_equal(cl.n_clients, 0);
    connlimit_destroy(&cl);
}

/* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d: same client. */
static void test_v4_mapped_is_v4(void **state)
{
    (void)state;
    struct connlimit cl;
    connlimit_init(&cl, 0, 2);
    struct sockaddr_storage v4 = addr("198.18.0.7"), mapped = addr("::ffff:198.18.0.7");
    assert_int_equal(connlimit_acquire(&cl, &v4), CONNLIMIT_OK);
    assert_int_equal(connlimit_acquire(&cl, &mapped), CONNLIMIT_OK);
    assert_int_equal(connlimit_acquire(&cl, &v4), CONNLIMIT_PER_IP);
    connlimit_destroy(&cl);
}

/* IPv6 clients are counted per /64. */
static void test_v6_per_64(void **state)
{
    (void)state;
    struct connlimit cl;
    connlimit_init(&cl, 0, 2);
    struct sockaddr_storage a1 = addr("2001:db8:1:2::1"), a2 = addr("2001:db8:1:2::ffff"),
                            other = addr("2001:db8:1:3::1");
    assert_int_equal(connlimit_acquire(&cl, &a1), CONNLIMIT_OK);
    assert_int_equal(connlimit_acquire(&cl, &a2), CONNLIMIT_OK);
    assert_int_equal(connlimit_acquire(&cl, &a1), CONNLIMIT_PER_IP);
    assert_int_equal(connlimit_acquire(&cl, &other), CONNLIMIT_OK);
    connlimit_destroy(&cl);
}

/* Many distinct clients, more than there are buckets: chains work. */
static void test_many_clients(void **state)
{
    (void)state;
    struct connlimit cl;
    connlimit_init(&cl, 0, 1);
    for (unsigned i = 0; i < CONNLIMIT_BUCKETS * 2; i++) {
        struct sockaddr_storage ss = addr("198.18.0.0");
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(0xc6120000u + i);
        assert_int_equal(connlimit_acquire(&cl, &ss), CONNLIMIT_OK);
        assert_int_equal(connlimit_acquire(&cl, &ss), CONNLIMIT_PER_IP);
    }
    assert_int_equal(cl.n_clients, CONNLIMIT_BUCKETS * 2);
    connlimit_destroy(&cl); /* frees every entry (ASan checks) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_ip_boundary), cmocka_unit_test(test_total_boundary),
        cmocka_unit_test(test_v4_mapped_is_v4), cmocka_unit_test(test_v6_per_64),
        cmocka_unit_test(test_many_clients),
    };
    return cmocka_run_group_tests_name("connlimit", tests, NULL, NULL);
}
