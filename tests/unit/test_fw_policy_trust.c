/* Unit tests for firewall/policy_trust.c: the sources a policy admits by
 * name, which the daemon never blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/helpers/t_policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static char seen[1024];

static void collect(void *arg, int family, const uint8_t lo[16], const uint8_t hi[16], enum policy_trust kind)
{
    (void)arg;
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    inet_ntop(family, lo, a, sizeof a);
    inet_ntop(family, hi, b, sizeof b);
    snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s%s-%s:%s", seen[0] ? " " : "", a, b,
             kind == POLICY_TRUST_PEER ? "peer" : "admin");
}

static const char *trusted(const char *body, unsigned expect_n)
{
    struct policy *pol = t_policy_must_load("[policy]\nname = t\n%s", body);
    seen[0] = '\0';
    assert_int_equal(policy_trusted_sources(pol, collect, NULL), expect_n);
    policy_free(pol);
    return seen;
}

static void test_gateway_kinds(void **state)
{
    (void)state;
    const char *body = "[set peers]\ntype = ipv4\nelements = 198.18.0.2, 198.18.0.3\n"
                       "[set admins]\ntype = ipv4\nelements = 198.19.255.0/24\n"
                       "[set blocklist]\ntype = ipv4\ndynamic = yes\n"
                       "[rule vrrp]\nsource = @peers\nprotocol = vrrp\naction = accept\n"
                       "[rule ssh]\nsource = @admins\nprotocol = tcp\ndport = 22\naction = accept\n"
                       "[rule blocked]\nsource = @blocklist\naction = drop\n"
                       "[rule https]\nprotocol = tcp\ndport = 443\naction = accept\n";
    assert_string_equal(trusted(body, 3), "198.18.0.2-198.18.0.2:peer 198.18.0.3-198.18.0.3:peer "
                                          "198.19.255.0-198.19.255.255:admin");
}

/* Only input accept rules with a static source count: not drops, not
 * output rules, not dynamic sets, not rules open to anyone. */
static void test_what_does_not_count(void **state)
{
    (void)state;
    assert_string_equal(trusted("[set d]\ntype = ipv4\ndynamic = yes\n"
                                "[rule a]\nsource = @d\naction = accept\n"
                                "[rule b]\nsource = 198.18.0.9\naction = drop\n"
                                "[rule c]\ndirection = out\ndestination = 198.18.0.8\naction = accept\n"
                                "[rule e]\nprotocol = tcp\ndport = 80\naction = accept\n",
                                0),
                        "");
    assert_string_equal(trusted("[rule a]\nsource = 2001:db8::/48\nprotocol = tcp\naction = accept\n"
                                "[set r]\ntype = ipv4\nelements = 198.18.0.10-198.18.0.20\n"
                                "[rule b]\nsource = @r\ndirection = forward\naction = accept\n"
                                "[rule c]\nsource = @r\naction = accept\n",
                                2),
                        "2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff:admin 198.18.0.10-198.18.0.20:admin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_kinds),
        cmocka_unit_test(test_what_does_not_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
