/* Unit tests for firewall/policy_check.c: whole-policy errors and the
 * warnings (shadowed rules, admin ports open to any source). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firewall/policy.h"
#include "tests/unit/helpers/t_policy.h"

#include <stdio.h>
#include <string.h>

#define HEAD "[policy]\nname = c\n"
#define SETS                                                                                                 \
    HEAD "[set admins]\ntype = ipv4_addr\nelements = 198.18.9.0/24\n"                                        \
         "[set admins6]\ntype = ipv6_addr\nelements = 2001:db8::/32\n"

static void test_missing_action(void **state)
{
    (void)state;
    t_policy_refused(HEAD "[rule a]\nprotocol = tcp\n",
                     "t.policy:3: rule 'a': missing 'action' (accept, drop or reject)");
}

static void test_direction_defaults_to_in(void **state)
{
    (void)state;
    struct policy *pol = t_policy_load(HEAD "[rule a]\naction = drop\n");
    assert_non_null(pol);
    assert_int_equal(pol->rules[0].dir, POLICY_DIR_IN);
    policy_free(pol);
}

static void test_interfaces_match_direction(void **state)
{
    (void)state;
    t_policy_refused(HEAD "[rule a]\ndirection = out\niif = eth0\naction = accept\n",
                     "t.policy:3: rule 'a': 'iif' has no meaning for direction out");
    t_policy_refused(HEAD "[rule a]\noif = eth0\naction = accept\n",
                     "t.policy:3: rule 'a': 'oif' has no meaning for direction in");
    t_policy_clean(HEAD "[rule a]\ndirection = forward\niif = eth0\noif = eth1\naction = accept\n");
}

static void test_ports_need_tcp_or_udp(void **state)
{
    (void)state;
    t_policy_refused(HEAD "[rule a]\ndport = 80\naction = accept\nsource = 198.18.0.1\n",
                     "t.policy:4: rule 'a': ports need 'protocol = tcp' or 'protocol = udp'");
    t_policy_refused(HEAD "[rule a]\nprotocol = icmp\nsport = 80\naction = accept\n",
                     "t.policy:3: rule 'a': ports need 'protocol = tcp' or 'protocol = udp'");
    t_policy_clean(HEAD "[rule a]\nprotocol = udp\ndport = 53\naction = accept\n");
}

static void test_families_must_agree(void **state)
{
    (void)state;
    t_policy_refused(SETS "[rule a]\nsource = @admins\ndestination = 2001:db8::1\naction = accept\n",
                     "t.policy:11: rule 'a': source is IPv4 but destination is IPv6");
    t_policy_refused(SETS "[rule a]\nsource = @admins6\nprotocol = icmp\naction = accept\n",
                     "t.policy:11: rule 'a': protocol icmp with IPv6 addresses (use icmpv6)");
    t_policy_refused(HEAD "[rule a]\ndestination = 198.18.0.1\nprotocol = icmpv6\naction = accept\n",
                     "t.policy:5: rule 'a': protocol icmpv6 with IPv4 addresses (use icmp)");
    t_policy_clean(SETS "[rule a]\nsource = @admins6\ndestination = 2001:db8::1\nprotocol = icmpv6\n"
                        "action = accept\n");
}

static void test_limit_needs_accept(void **state)
{
    (void)state;
    t_policy_refused(HEAD "[rule a]\naction = drop\nlimit = 5/second\n",
                     "t.policy:5: rule 'a': limit needs action accept (packets over the limit are "
                     "dropped)");
}

static void test_shadowed_rule_warned(void **state)
{
    (void)state;
    t_policy_warned(HEAD "[rule all_tcp]\nprotocol = tcp\naction = drop\n"
                         "[rule web]\nprotocol = tcp\ndport = 80\naction = accept\n",
                    "t.policy:6: warning: rule 'web' is never reached: rule 'all_tcp' (line 3) matches "
                    "every packet it matches");
    t_policy_warned(HEAD "[rule net]\nsource = 198.18.0.0/16\naction = drop\n"
                         "[rule host]\nsource = 198.18.3.4\nprotocol = udp\naction = accept\n",
                    "t.policy:6: warning: rule 'host' is never reached: rule 'net' (line 3) matches "
                    "every packet it matches");
    t_policy_warned(HEAD "[rule range]\nprotocol = tcp\ndport = 1000-2000\naction = drop\n"
                         "[rule some]\nprotocol = tcp\ndport = 1500, 1999\nstate = new\naction = accept\n",
                    "t.policy:7: warning: rule 'some' is never reached: rule 'range' (line 3) matches "
                    "every packet it matches");
}

static void test_not_shadowed(void **state)
{
    (void)state;
    /* different direction, narrower earlier rule, rate-limited earlier rule */
    t_policy_clean(HEAD "[rule a]\nprotocol = tcp\ndirection = out\naction = drop\n"
                        "[rule b]\nprotocol = tcp\ndport = 80\naction = accept\n");
    t_policy_clean(HEAD "[rule a]\nprotocol = tcp\ndport = 80\naction = drop\n"
                        "[rule b]\nprotocol = tcp\naction = accept\nsource = 198.18.0.1\n");
    t_policy_clean(HEAD "[rule a]\nprotocol = tcp\ndport = 80\naction = accept\nlimit = 5/second\n"
                        "[rule b]\nprotocol = tcp\ndport = 80\naction = drop\n");
    t_policy_clean(HEAD "[rule a]\nprotocol = tcp\nstate = established\naction = accept\n"
                        "[rule b]\nprotocol = tcp\ndport = 80\naction = drop\n");
    t_policy_clean(HEAD "[rule a]\nsource = 198.18.1.0/24\naction = accept\n"
                        "[rule b]\nsource = 198.18.0.0/16\naction = drop\n");
}

static void test_admin_ports_warned(void **state)
{
    (void)state;
    t_policy_warned(HEAD "[rule ssh]\nprotocol = tcp\ndport = 22\naction = accept\n",
                    "t.policy:3: warning: rule 'ssh' opens the SSH port 22 to any source (add 'source')");
    t_policy_warned(HEAD "[rule m]\nprotocol = tcp\ndport = 9000-9200\naction = accept\n",
                    "t.policy:3: warning: rule 'm' opens the metrics port 9100 to any source (add "
                    "'source')");
    t_policy_warned(HEAD "[rule all]\naction = accept\n",
                    "t.policy:3: warning: rule 'all' opens the SSH port 22 to any source (add 'source')");
    t_policy_warned(HEAD "[set p]\ntype = port\nelements = 22, 80\n"
                         "[rule s]\nprotocol = tcp\ndport = @p\naction = accept\n",
                    "t.policy:6: warning: rule 's' opens the SSH port 22 to any source (add 'source')");
}

static void test_admin_ports_fine(void **state)
{
    (void)state;
    t_policy_clean(SETS "[rule ssh]\nprotocol = tcp\ndport = 22\nsource = @admins\naction = accept\n");
    t_policy_clean(HEAD "[rule ssh]\nprotocol = tcp\ndport = 22\naction = drop\n");
    t_policy_clean(HEAD "[rule dns]\nprotocol = udp\ndport = 22\naction = accept\n");
    t_policy_clean(HEAD "[rule web]\nprotocol = tcp\ndport = 80, 443\naction = accept\n");
    t_policy_clean(HEAD "[rule out]\ndirection = out\nprotocol = tcp\ndport = 22\naction = accept\n");
    t_policy_clean(HEAD "[rule lan]\niif = lan0\nprotocol = tcp\ndport = 22\naction = accept\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_action),
        cmocka_unit_test(test_direction_defaults_to_in),
        cmocka_unit_test(test_interfaces_match_direction),
        cmocka_unit_test(test_ports_need_tcp_or_udp),
        cmocka_unit_test(test_families_must_agree),
        cmocka_unit_test(test_limit_needs_accept),
        cmocka_unit_test(test_shadowed_rule_warned),
        cmocka_unit_test(test_not_shadowed),
        cmocka_unit_test(test_admin_ports_warned),
        cmocka_unit_test(test_admin_ports_fine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
