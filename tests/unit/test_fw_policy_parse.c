/* Unit tests for the policy reader (firewall/policy_parse.c, policy_values.c):
 * every key, every refusal with its exact "FILE:LINE: message". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firewall/policy.h"
#include "tests/unit/helpers/t_policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD "[policy]\nname = t\n"

static void test_minimal_policy_defaults(void **state)
{
    (void)state;
    struct policy *pol = t_policy_load(HEAD);
    assert_non_null(pol);
    assert_int_equal(t_policy_diags.errors + t_policy_diags.warnings, 0);
    assert_string_equal(pol->name, "t");
    assert_int_equal(pol->dflt[POLICY_DIR_IN], POLICY_DROP);
    assert_int_equal(pol->dflt[POLICY_DIR_FORWARD], POLICY_DROP);
    assert_int_equal(pol->dflt[POLICY_DIR_OUT], POLICY_ACCEPT);
    assert_false(pol->log_drops);
    policy_free(pol);
}

static void test_policy_section_keys(void **state)
{
    (void)state;
    struct policy *pol = t_policy_load("[policy]\nname = gw\ninput = accept\nforward = drop\n"
                                       "output = drop\nlog-drops = yes\nfamily = inet\n");
    assert_non_null(pol);
    assert_int_equal(pol->dflt[POLICY_DIR_IN], POLICY_ACCEPT);
    assert_int_equal(pol->dflt[POLICY_DIR_OUT], POLICY_DROP);
    assert_true(pol->log_drops);
    policy_free(pol);
}

static void test_policy_section_errors(void **state)
{
    (void)state;
    t_policy_refused("", "t.policy:1: missing [policy] section");
    t_policy_refused(HEAD "input = reject\n",
                     "t.policy:3: input: 'reject' is not a default verdict (accept or drop)");
    t_policy_refused(HEAD "family = ip\n",
                     "t.policy:3: family: 'ip' is not supported (only inet: IPv4 and IPv6 together)");
    t_policy_refused(HEAD "log-drops = maybe\n",
                     "t.policy:3: log-drops: 'maybe' is not a boolean (yes/no, on/off, true/false)");
    t_policy_refused(HEAD "colour = red\n", "t.policy:3: unknown key 'colour' in [policy]");
    t_policy_refused(HEAD "name = u\n", "t.policy:3: 'name' given twice in [policy]");
    t_policy_refused("[policy]\nname = 9lives\n", "t.policy:2: name: name '9lives' must start with a letter");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    t_policy_refused(HEAD "this is not ini\n",
                     "t.policy:3: expected 'key = value', '[section]' or a comment");
    t_policy_refused(HEAD "[rule a\naction = accept\n", "t.policy:3: section header must end with ']'");
    t_policy_refused("x = 1\n" HEAD, "t.policy:1: 'x' outside of any section");
    t_policy_refused(HEAD "[chain x]\nfoo = 1\n",
                     "t.policy:3: unknown section [chain x] (expected [policy], [set NAME] or [rule NAME])");
    t_policy_refused(HEAD "[rule a-b]\naction = accept\n",
                     "t.policy:3: [rule a-b]: name 'a-b' may hold only letters, digits and '_'");
}

static void test_line_length_boundary(void **state)
{
    (void)state;
    /* 198 characters fit in libinih's 200-byte line, 199 do not */
    char text[600], comment[300];
    memset(comment, 'c', sizeof comment);
    size_t prefix = strlen("comment = ");
    comment[198 - prefix] = '\0';
    snprintf(text, sizeof text, HEAD "[rule a]\naction = accept\ncomment = %s\n", comment);
    struct policy *pol = t_policy_load(text);
    assert_null(pol); /* fits the line, but the comment itself is too long */
    assert_string_equal(t_policy_diags.msg[0], "t.policy:5: rule 'a': comment: longer than 94 characters");
    comment[198 - prefix] = 'c';
    comment[199 - prefix] = '\0';
    snprintf(text, sizeof text, HEAD "[rule a]\naction = accept\ncomment = %s\n", comment);
    t_policy_refused(text, "t.policy:5: line too long (max 198 characters)");
}

static void test_comment_boundary(void **state)
{
    (void)state;
    char text[400], comment[100];
    memset(comment, 'x', sizeof comment);
    comment[94] = '\0';
    snprintf(text, sizeof text, HEAD "[rule a]\naction = accept\ncomment = %s\n", comment);
    struct policy *pol = t_policy_load(text);
    assert_non_null(pol);
    policy_free(pol);
    comment[94] = 'x';
    comment[95] = '\0';
    snprintf(text, sizeof text, HEAD "[rule a]\naction = accept\ncomment = %s\n", comment);
    t_policy_refused(text, "t.policy:5: rule 'a': comment: longer than 94 characters");
}

static void test_rule_all_keys(void **state)
{
    (void)state;
    struct policy *pol = t_policy_load(HEAD "[set admins]\ntype = ipv4_addr\nelements = 198.18.9.0/24\n"
                                            "[rule web]\ndirection = in\niif = eth0\nsource = @admins\n"
                                            "destination = 198.18.0.10\nprotocol = tcp\nsport = 1024-65535\n"
                                            "dport = 443, 80\nstate = new\naction = accept\n"
                                            "limit = 50/second burst 100 per-source\ncounter = yes\n"
                                            "log = web: \ncomment = the site\n");
    assert_non_null(pol);
    const struct policy_rule *r = &pol->rules[0];
    assert_int_equal(pol->n_rules, 1);
    assert_string_equal(r->name, "web");
    assert_int_equal(r->line, 6);
    assert_int_equal(r->dir, POLICY_DIR_IN);
    assert_string_equal(r->iif, "eth0");
    assert_true(r->src.is_set);
    assert_int_equal(r->src.set, 0);
    assert_int_equal(r->dst.prefix.len, 32);
    assert_int_equal(r->proto, 6);
    assert_int_equal(r->sport.n, 1);
    assert_int_equal(r->sport.r[0].lo, 1024);
    assert_int_equal(r->sport.r[0].hi, 65535);
    assert_int_equal(r->dport.n, 2);
    assert_int_equal(r->dport.r[0].lo, 80); /* sorted */
    assert_int_equal(r->dport.r[1].lo, 443);
    assert_int_equal(r->ct_state, POLICY_CT_NEW);
    assert_int_equal(r->action, POLICY_ACCEPT);
    assert_true(r->limit.present);
    assert_int_equal(r->limit.rate, 50);
    assert_string_equal(r->limit.unit, "second");
    assert_int_equal(r->limit.burst, 100);
    assert_true(r->limit.per_source);
    assert_true(r->counter);
    assert_string_equal(r->log_prefix, "web:");
    assert_string_equal(r->comment, "the site");
    policy_free(pol);
}

static void test_rule_value_errors(void **state)
{
    (void)state;
#define RULE HEAD "[rule r]\naction = accept\n"
    t_policy_refused(RULE "direction = up\n",
                     "t.policy:5: rule 'r': direction: 'up' is not in, out or forward");
    t_policy_refused(HEAD "[rule r]\naction = allow\n",
                     "t.policy:4: rule 'r': action: 'allow' is not accept, drop or reject");
    t_policy_refused(RULE "protocol = sctpx\n",
                     "t.policy:5: rule 'r': protocol: 'sctpx' is not tcp, udp, icmp, icmpv6, vrrp or a "
                     "number 0-255");
    t_policy_refused(RULE "protocol = 256\n",
                     "t.policy:5: rule 'r': protocol: '256' is not tcp, udp, icmp, icmpv6, vrrp or a "
                     "number 0-255");
    t_policy_refused(RULE "protocol = tcp\ndport = 70000\n",
                     "t.policy:6: rule 'r': dport: 70000 out of range 1-65535");
    t_policy_refused(RULE "protocol = tcp\ndport = 0\n",
                     "t.policy:6: rule 'r': dport: 0 out of range 1-65535");
    t_policy_refused(RULE "protocol = tcp\ndport = 90-80\n",
                     "t.policy:6: rule 'r': dport: range '90-80' ends before it starts");
    t_policy_refused(RULE "protocol = tcp\ndport = 80, 80\n",
                     "t.policy:6: rule 'r': dport: port 80 is listed twice");
    t_policy_refused(RULE "source = 198.18.0.1/24\n",
                     "t.policy:5: rule 'r': source: '198.18.0.1/24' has host bits set beyond /24");
    t_policy_refused(RULE "destination = ::/0\n",
                     "t.policy:5: rule 'r': destination: '::/0' matches every address: leave "
                     "'destination' out");
    t_policy_refused(RULE "source = @nope\n",
                     "t.policy:5: rule 'r': source: no set named 'nope' (sets must be defined before use)");
    t_policy_refused(RULE "state = new, sleepy\n", "t.policy:5: rule 'r': state: unknown state 'sleepy'");
    t_policy_refused(RULE "counter = 2\n",
                     "t.policy:5: rule 'r': counter: '2' is not a boolean (yes/no, on/off, true/false)");
    t_policy_refused(RULE "log = say \"hi\"\n",
                     "t.policy:5: rule 'r': log: quotes, backslashes and control characters are not "
                     "allowed");
    t_policy_refused(RULE "iif = this-name-is-too-long\n",
                     "t.policy:5: rule 'r': iif: 'this-name-is-too-long' is not an interface name (1-15 of "
                     "A-Z a-z 0-9 _ - .)");
    t_policy_refused(RULE "colour = red\n", "t.policy:5: unknown key 'colour' in [rule r]");
    t_policy_refused(RULE "action = drop\n", "t.policy:5: 'action' given twice in [rule r]");
}

/* user = NAME | UID (direction out): names are looked up, numbers kept;
 * the largest uid the kernel can hold is 4294967294 ((uid_t)-1 is "none"). */
static void test_rule_user(void **state)
{
    (void)state;
#define OUT HEAD "[rule r]\ndirection = out\naction = accept\n"
    struct policy *pol = t_policy_load(OUT "user = root\n");
    assert_non_null(pol);
    assert_true(pol->rules[0].has_user);
    assert_int_equal(pol->rules[0].uid, 0);
    policy_free(pol);
    pol = t_policy_load(OUT "user = 4294967294\n");
    assert_non_null(pol);
    assert_int_equal(pol->rules[0].uid, 4294967294u);
    policy_free(pol);
    t_policy_refused(OUT "user = 4294967295\n",
                     "t.policy:6: rule 'r': user: 4294967295 out of range 0-4294967294");
    t_policy_refused(OUT "user = no_such_user_here\n",
                     "t.policy:6: rule 'r': user: no user 'no_such_user_here' on this system");
    t_policy_refused(HEAD "[rule r]\naction = accept\nuser = root\n",
                     "t.policy:5: rule 'r': 'user' matches the sending process: only for direction out");
    t_policy_refused(OUT "user = root\nuser = 1\n", "t.policy:7: 'user' given twice in [rule r]");
#undef OUT
}

static void test_port_list_boundary(void **state)
{
    (void)state;
    char text[1024];
    int n = snprintf(text, sizeof text, RULE "protocol = tcp\ndport =");
    for (int i = 1; i <= POLICY_MAX_PORTS; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, " %d", i);
    snprintf(text + n, sizeof text - (size_t)n, "\n");
    struct policy *pol = t_policy_load(text);
    assert_non_null(pol);
    assert_int_equal(pol->rules[0].dport.n, POLICY_MAX_PORTS);
    policy_free(pol);
    snprintf(text + n, sizeof text - (size_t)n, " 40\n");
    t_policy_refused(text, "t.policy:6: rule 'r': dport: more than 32 ports (use a [set])");
}

static void test_limit_forms(void **state)
{
    (void)state;
    struct policy *pol = t_policy_load(RULE "limit = 10/minute\n");
    assert_non_null(pol);
    assert_int_equal(pol->rules[0].limit.rate, 10);
    assert_int_equal(pol->rules[0].limit.burst, 0);
    assert_false(pol->rules[0].limit.per_source);
    policy_free(pol);
    t_policy_refused(RULE "limit = 10\n",
                     "t.policy:5: rule 'r': limit: expected 'RATE/UNIT [burst N] [per-source]', e.g. "
                     "'50/second burst 100 per-source'");
    t_policy_refused(RULE "limit = 10/fortnight\n",
                     "t.policy:5: rule 'r': limit: unit 'fortnight' is not second, minute, hour or day");
    t_policy_refused(RULE "limit = 0/second\n", "t.policy:5: rule 'r': limit: rate 0 out of range 1-1000000");
    t_policy_refused(RULE "limit = 5/second burst\n", "t.policy:5: rule 'r': limit: unexpected 'burst'");
    t_policy_refused(RULE "limit = 5/second burst 0\n",
                     "t.policy:5: rule 'r': limit: burst 0 out of range 1-1000000");
    t_policy_refused(RULE "limit = 5/second per-host\n",
                     "t.policy:5: rule 'r': limit: unexpected 'per-host'");
}

static void test_sets(void **state)
{
    (void)state;
    struct policy *pol =
        t_policy_load(HEAD "[set admins]\ntype = ipv4_addr\n"
                           "elements = 198.18.9.0/24, 198.18.0.1\n  198.18.1.0/24\n"
                           "[set ports]\ntype = inet_service\nelements = 8000-8080, 22\n"
                           "[set blocklist]\ntype = ipv4_addr\ndynamic = yes\ntimeout = 10m\n");
    assert_non_null(pol);
    assert_int_equal(pol->n_sets, 3);
    const struct policy_set *s = &pol->sets[0];
    assert_int_equal(s->n_elems, 3);
    char buf[64];
    assert_string_equal(format_ip(&s->elems[0].prefix.addr, buf, sizeof buf), "198.18.0.1");
    assert_string_equal(format_ip(&s->elems[2].prefix.addr, buf, sizeof buf), "198.18.9.0");
    assert_int_equal(pol->sets[1].elems[0].ports.lo, 22);
    assert_int_equal(pol->sets[1].elems[1].ports.hi, 8080);
    assert_true(pol->sets[2].dynamic);
    assert_int_equal(pol->sets[2].timeout_ms, 600000);
    policy_free(pol);
}

static void test_set_errors(void **state)
{
    (void)state;
    t_policy_refused(HEAD "[set s]\ntype = mac\n",
                     "t.policy:4: set 's': type 'mac' is not ipv4_addr, ipv6_addr or inet_service");
    t_policy_refused(HEAD "[set s]\nelements = 198.18.0.1\n",
                     "t.policy:4: set 's': 'type' must come before 'elements'");
    t_policy_refused(HEAD "[set s]\ntype = ipv4_addr\nelements = 2001:db8::1\n",
                     "t.policy:5: set 's': '2001:db8::1' is not an IPv4 address");
    t_policy_refused(HEAD "[set s]\ntype = ipv6_addr\nelements = 198.18.0.1\n",
                     "t.policy:5: set 's': '198.18.0.1' is not an IPv6 address");
    t_policy_refused(HEAD "[set s]\ntype = ipv4_addr\nelements = 198.18.0.0/16, 198.18.5.0/24\n",
                     "t.policy:3: set 's': 198.18.0.0/16 overlaps 198.18.5.0/24");
    t_policy_refused(HEAD "[set s]\ntype = ipv4_addr\nelements = 10.0.0.0/8 10.1.0.0/16 10.2.0.1\n",
                     "t.policy:3: set 's': 10.0.0.0/8 overlaps 10.1.0.0/16");
    t_policy_refused(HEAD "[set s]\ntype = ipv4_addr\nelements = 198.18.0.9-198.18.0.1\n",
                     "t.policy:5: set 's': range '198.18.0.9-198.18.0.1' ends before it starts");
    t_policy_refused(HEAD "[set s]\ntype = ipv4_addr\nelements = 198.18.0.1-2001:db8::1\n",
                     "t.policy:5: set 's': range '198.18.0.1-2001:db8::1' ends before it starts");
    t_policy_refused(HEAD "[set s]\ntype = ipv4_addr\nelements = 198.18.0.1-198.18.0.20, 198.18.0.16/28\n",
                     "t.policy:3: set 's': 198.18.0.1-198.18.0.20 overlaps 198.18.0.16/28");
    t_policy_refused(HEAD "[set s]\ntype = ipv4\ndynamic = yes\nelements = 198.18.0.1-198.18.0.2\n",
                     "t.policy:3: set 's': a dynamic set holds single addresses, not "
                     "198.18.0.1-198.18.0.2");
    t_policy_refused(HEAD "[set s]\ntype = inet_service\nelements = 80 70-90\n",
                     "t.policy:3: set 's': port 80 is listed twice");
    t_policy_refused(HEAD "[set s]\ndynamic = yes\n", "t.policy:3: set 's': missing 'type'");
    t_policy_refused(HEAD "[set s]\ntype = ipv4\ntimeout = 5m\n",
                     "t.policy:3: set 's': 'timeout' needs 'dynamic = yes'");
    t_policy_refused(HEAD "[set s]\ntype = ipv4\ndynamic = yes\ntimeout = 1500ms\n",
                     "t.policy:6: set 's': timeout: 1500ms must be a whole number of seconds, at least 1s");
    t_policy_refused(HEAD "[set s]\ntype = ipv4\ndynamic = yes\nelements = 198.18.0.0/24\n",
                     "t.policy:3: set 's': a dynamic set holds single addresses, not 198.18.0.0/24");
    struct policy *pol = t_policy_load(HEAD "[set s]\ntype = ipv6\nelements = 2001:db8::10-2001:db8::1f\n");
    assert_non_null(pol);
    assert_true(pol->sets[0].elems[0].is_range);
    policy_free(pol);
    t_policy_refused(HEAD "[set s]\ntype = ipv4\n[rule r]\naction = drop\n[set s]\ntype = ipv4\n",
                     "t.policy:7: set 's' defined twice (first at line 3)");
    t_policy_refused(HEAD "[set rl4_x]\ntype = ipv4\n",
                     "t.policy:3: set 'rl4_x': names starting with rl4_ or rl6_ are reserved for rate "
                     "limits");
    t_policy_refused(HEAD "[set p]\ntype = port\nelements = 22\n[rule r]\naction = drop\nsource = @p\n",
                     "t.policy:8: rule 'r': source: set 'p' holds ports, not addresses");
}

static void test_set_count_boundary(void **state)
{
    (void)state;
    static char text[8192];
    int n = snprintf(text, sizeof text, HEAD);
    for (int i = 0; i < POLICY_MAX_SETS; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "[set s%d]\ntype = ipv4\n", i);
    struct policy *pol = t_policy_load(text);
    assert_non_null(pol);
    assert_int_equal(pol->n_sets, POLICY_MAX_SETS);
    policy_free(pol);
    snprintf(text + n, sizeof text - (size_t)n, "[set extra]\ntype = ipv4\n");
    t_policy_refused(text, "t.policy:131: too many sets (max 64)");
}

static void test_name_length_boundary(void **state)
{
    (void)state;
    char text[256], name[64];
    memset(name, 'n', sizeof name);
    name[POLICY_NAME_MAX - 1] = '\0'; /* 31 characters: fits */
    snprintf(text, sizeof text, HEAD "[rule %s]\naction = drop\n", name);
    struct policy *pol = t_policy_load(text);
    assert_non_null(pol);
    policy_free(pol);
    name[POLICY_NAME_MAX - 1] = 'n';
    name[POLICY_NAME_MAX] = '\0';
    snprintf(text, sizeof text, HEAD "[rule %s]\naction = drop\n", name);
    t_policy_refused(text, "t.policy:3: [rule nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn]: name longer than 31 "
                           "characters");
}

static void test_rule_count_boundary(void **state)
{
    (void)state;
    size_t cap = 64 + (size_t)(POLICY_MAX_RULES + 1) * 32;
    char *text = malloc(cap);
    int n = snprintf(text, cap, HEAD);
    for (int i = 0; i < POLICY_MAX_RULES; i++)
        n += snprintf(text + n, cap - (size_t)n, "[rule r%d]\naction = drop\n", i);
    struct policy *pol = t_policy_load(text);
    assert_non_null(pol);
    assert_int_equal(pol->n_rules, POLICY_MAX_RULES);
    policy_free(pol);
    snprintf(text + n, cap - (size_t)n, "[rule extra]\naction = drop\n");
    t_policy_refused(text, "t.policy:1027: too many rules (max 512)");
    free(text);
}

static void test_diagnostics_capped_but_counted(void **state)
{
    (void)state;
    size_t cap = 64 + (size_t)(POLICY_MAX_DIAGS + 20) * 16;
    char *text = malloc(cap);
    int n = snprintf(text, cap, HEAD);
    for (int i = 0; i < POLICY_MAX_DIAGS + 20; i++)
        n += snprintf(text + n, cap - (size_t)n, "bad%d = 1\n", i);
    assert_null(t_policy_load(text));
    assert_int_equal(t_policy_diags.errors, POLICY_MAX_DIAGS + 20);
    assert_int_equal(t_policy_diags.n, POLICY_MAX_DIAGS);
    assert_string_equal(t_policy_diags.msg[POLICY_MAX_DIAGS - 1],
                        "t.policy:102: unknown key 'bad99' in [policy]");
    char *out = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&out, &len);
    policy_diags_print(&t_policy_diags, fp);
    fclose(fp);
    assert_non_null(strstr(out, "(20 more not shown)\n"));
    free(out);
    free(text);
}

static void test_errors_are_all_reported(void **state)
{
    (void)state;
    struct policy *pol = t_policy_load(HEAD "[rule a]\naction = maybe\n[rule b]\nprotocol = xyz\n"
                                            "action = drop\nbogus = 1\n");
    assert_null(pol);
    assert_int_equal(t_policy_diags.errors, 3);
    assert_string_equal(t_policy_diags.msg[0],
                        "t.policy:4: rule 'a': action: 'maybe' is not accept, drop or reject");
    assert_string_equal(t_policy_diags.msg[1], "t.policy:6: rule 'b': protocol: 'xyz' is not tcp, udp, "
                                               "icmp, icmpv6, vrrp or a number 0-255");
    assert_string_equal(t_policy_diags.msg[2], "t.policy:8: unknown key 'bogus' in [rule b]");
}

static void test_comments_and_blank_lines(void **state)
{
    (void)state;
    struct policy *pol = t_policy_load("# a policy\n\n[policy]\n; the name\nname = t\n\n"
                                       "[rule a]   \naction = accept ; inline comment\n");
    assert_non_null(pol);
    assert_int_equal(pol->rules[0].line, 7);
    assert_int_equal(pol->rules[0].action, POLICY_ACCEPT);
    policy_free(pol);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_policy_defaults),
        cmocka_unit_test(test_policy_section_keys),
        cmocka_unit_test(test_policy_section_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_line_length_boundary),
        cmocka_unit_test(test_comment_boundary),
        cmocka_unit_test(test_rule_all_keys),
        cmocka_unit_test(test_rule_value_errors),
        cmocka_unit_test(test_rule_user),
        cmocka_unit_test(test_port_list_boundary),
        cmocka_unit_test(test_limit_forms),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_set_count_boundary),
        cmocka_unit_test(test_name_length_boundary),
        cmocka_unit_test(test_rule_count_boundary),
        cmocka_unit_test(test_diagnostics_capped_but_counted),
        cmocka_unit_test(test_errors_are_all_reported),
        cmocka_unit_test(test_comments_and_blank_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
