/* Unit tests for listener.c's pure parts: which reloads change the set of
 * listening sockets (a [bgp] node withdraws before those). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proc/listener.h"

#include <string.h>

static void set_listen(struct listen_addr *l, const char *text)
{
    char why[PARSE_WHY_MAX];
    assert_int_equal(parse_sockaddr(text, &l->addr, &l->len, why), 0);
}

static void test_same_set(void **state)
{
    (void)state;
    static struct config a, b;
    config_defaults(&a);
    config_defaults(&b);
    assert_false(listener_set_changes(&a, &b));
    b.backends[0].weight = 7; /* not a listener: no change */
    assert_false(listener_set_changes(&a, &b));
}

static void test_changes(void **state)
{
    (void)state;
    static struct config a, b;
    config_defaults(&a);
    b = a;
    set_listen(&b.gateway.https[0], "*:8443"); /* another port */
    assert_true(listener_set_changes(&a, &b));
    b = a;
    b.gateway.workers = a.gateway.workers + 1; /* more sockets in the group */
    assert_true(listener_set_changes(&a, &b));
    b = a;
    b.gateway.n_http = 0; /* the redirect listener goes */
    assert_true(listener_set_changes(&a, &b));
    b = a;
    set_listen(&b.gateway.https[1], "198.18.10.10:443"); /* one more */
    b.gateway.n_https = 2;
    assert_true(listener_set_changes(&a, &b));
    /* the same addresses, HTTPS and HTTP swapped: the kinds differ */
    a.gateway.n_http = 1;
    set_listen(&a.gateway.https[0], "*:443");
    set_listen(&a.gateway.http[0], "*:80");
    b = a;
    set_listen(&b.gateway.https[0], "*:80");
    set_listen(&b.gateway.http[0], "*:443");
    assert_true(listener_set_changes(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_set), cmocka_unit_test(test_changes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
