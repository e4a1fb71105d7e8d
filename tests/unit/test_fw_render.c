/* Unit tests for firewall/lower.c and render.c: the exact nft text of each
 * construct (the integration test checks the same text against the kernel). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firewall/render.h"
#include "firewall/ruleset.h"
#include "tests/unit/helpers/t_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *rendered;

/* Renders a policy (header added) and returns the whole text. */
static const char *render_text(const char *body)
{
    struct policy *pol = t_policy_must_load("[policy]\nname = t\n%s", body);
    struct fw_ruleset rs;
    assert_int_equal(fw_lower(pol, &rs), 0);
    free(rendered);
    size_t len;
    FILE *out = open_memstream(&rendered, &len);
    fw_render(out, &rs);
    fclose(out);
    fw_ruleset_free(&rs);
    policy_free(pol);
    return rendered;
}

/* The policy renders a line equal to `line` (tabs stripped). */
static void has_line(const char *body, const char *line)
{
    const char *text = render_text(body);
    char *copy = strdup(text), *save = NULL;
    bool found = false;
    for (char *l = strtok_r(copy, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save))
        found = strcmp(l + strspn(l, "\t"), line) == 0;
    if (!found)
        fprintf(stderr, "no line '%s' in:\n%s", line, text);
    free(copy);
    assert_true(found);
}

static void test_format_time(void **state)
{
    (void)state;
    char buf[64];
    fw_format_time(600000, buf, sizeof buf);
    assert_string_equal(buf, "10m");
    fw_format_time(5400000, buf, sizeof buf);
    assert_string_equal(buf, "1h30m");
    fw_format_time(86400000 + 1000, buf, sizeof buf);
    assert_string_equal(buf, "1d1s");
    fw_format_time(1500, buf, sizeof buf);
    assert_string_equal(buf, "1s500ms");
}

static void test_always_present_rules(void **state)
{
    (void)state;
    const char *t = render_text("");
    assert_non_null(strstr(t, "\tchain input {\n\t\ttype filter hook input priority filter; "
                              "policy drop;\n\t\tct state established,related accept comment "
                              "\"rampart: replies to allowed traffic\"\n\t\tct state invalid drop "
                              "comment \"rampart: invalid packets\"\n\t\tiifname \"lo\" accept "
                              "comment \"rampart: loopback\"\n"));
    has_line("", "icmp type { destination-unreachable, time-exceeded, parameter-problem } limit "
                 "rate 100/second burst 200 packets accept comment \"rampart: ICMP that IP needs "
                 "(rate-limited)\"");
    has_line("", "icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
                 "parameter-problem, nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
                 "nd-neighbor-advert } limit rate 100/second burst 200 packets accept comment "
                 "\"rampart: ICMPv6 that IP needs (rate-limited)\"");
    has_line("", "oifname \"lo\" accept comment \"rampart: loopback\"");
    has_line("", "counter packets 0 bytes 0 drop comment \"rampart: default drop\"");
    /* output defaults to accept: no final drop there */
    const char *out = strstr(render_text(""), "chain output");
    assert_null(strstr(out, "default drop"));
}

static void test_log_drops(void **state)
{
    (void)state;
    has_line("log-drops = yes\n", "limit rate 5/minute log prefix \"rampart drop input: \" "
                                  "comment \"rampart: log dropped packets (rate-limited)\"");
}

static void test_addresses(void **state)
{
    (void)state;
    has_line("[rule a]\nsource = 198.18.0.1\naction = accept\n", "ip saddr 198.18.0.1 accept comment \"a\"");
    has_line("[rule a]\ndestination = 198.18.0.0/20\naction = drop\n",
             "ip daddr 198.18.0.0/20 drop comment \"a\"");
    has_line("[rule a]\nsource = 2001:db8::/32\naction = drop\n",
             "ip6 saddr 2001:db8::/32 drop comment \"a\"");
    has_line("[set s]\ntype = ipv6\n[rule a]\ndestination = @s\naction = drop\n",
             "ip6 daddr @s drop comment \"a\"");
}

static void test_protocols_and_ports(void **state)
{
    (void)state;
    has_line("[rule a]\nprotocol = tcp\naction = accept\nsource = 198.18.0.1\n",
             "ip saddr 198.18.0.1 meta l4proto tcp accept comment \"a\"");
    has_line("[rule a]\nprotocol = vrrp\naction = accept\n", "meta l4proto vrrp accept comment \"a\"");
    has_line("[rule a]\nprotocol = 200\naction = accept\n", "meta l4proto 200 accept comment \"a\"");
    has_line("[rule a]\nprotocol = udp\ndport = 53\naction = accept\n", "udp dport 53 accept comment \"a\"");
    has_line("[rule a]\nprotocol = tcp\nsport = 1024-65535\ndport = 443, 80\naction = drop\n",
             "tcp sport 1024-65535 tcp dport { 80, 443 } drop comment \"a\"");
    has_line("[rule a]\nprotocol = tcp\ndport = 22, 8000-8080\naction = drop\n",
             "tcp dport { 22, 8000-8080 } drop comment \"a\"");
}

static void test_states_and_statements(void **state)
{
    (void)state;
    has_line("[rule a]\nstate = new, established, invalid\naction = drop\n",
             "ct state invalid,established,new drop comment \"a\"");
    has_line("[rule a]\nprotocol = udp\ndport = 9\naction = drop\ncounter = yes\nlog = discard: \n"
             "comment = why not\n",
             "udp dport 9 counter packets 0 bytes 0 log prefix \"discard:\" drop comment \"a: why "
             "not\"");
}

static void test_reject_forms(void **state)
{
    (void)state;
    has_line("[rule a]\nprotocol = tcp\naction = reject\n",
             "meta l4proto tcp reject with tcp reset comment \"a\"");
    has_line("[rule a]\nprotocol = udp\naction = reject\n", "meta l4proto udp reject comment \"a\"");
    has_line("[rule a]\nsource = 198.18.0.0/24\naction = reject\n",
             "ip saddr 198.18.0.0/24 reject with icmp port-unreachable comment \"a\"");
    has_line("[rule a]\nsource = 2001:db8::1\naction = reject\n",
             "ip6 saddr 2001:db8::1 reject with icmpv6 port-unreachable comment \"a\"");
}

static void test_limits(void **state)
{
    (void)state;
    const char *body = "[rule a]\nprotocol = tcp\ndport = 443\nlimit = 50/second burst 100 "
                       "per-source\naction = accept\n";
    has_line(body, "tcp dport 443 update @rl4_a { ip saddr limit rate over 50/second burst 100 "
                   "packets } counter packets 0 bytes 0 drop comment \"a: over the limit\"");
    has_line(body, "tcp dport 443 update @rl6_a { ip6 saddr limit rate over 50/second burst 100 "
                   "packets } counter packets 0 bytes 0 drop comment \"a: over the limit\"");
    has_line(body, "tcp dport 443 accept comment \"a\"");
    assert_non_null(strstr(rendered, "\tset rl4_a {\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags "
                                     "dynamic,timeout\n\t\ttimeout 1m\n\t}\n"));
    /* a source that pins the family: one meter only */
    render_text("[rule a]\nsource = 198.18.0.0/16\nlimit = 5/minute per-source\naction = accept\n");
    assert_null(strstr(rendered, "rl6_a"));
    /* nft's default burst (5) is not printed */
    has_line("[rule a]\nlimit = 10/second\naction = accept\n",
             "limit rate over 10/second counter packets 0 bytes 0 drop comment \"a: over the limit\"");
}

static void test_sets(void **state)
{
    (void)state;
    render_text("[set a]\ntype = ipv4\nelements = 198.18.9.0/24, 198.18.0.3, 198.18.0.2\n"
                "[set p]\ntype = port\nelements = 8080-8090, 443\n"
                "[set blocklist]\ntype = ipv4\ndynamic = yes\ntimeout = 10m\n");
    assert_non_null(strstr(rendered, "\tset a {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\t"
                                     "elements = { 198.18.0.2, 198.18.0.3, 198.18.9.0/24 }\n\t}\n"));
    render_text("[set r]\ntype = ipv4\nelements = 198.18.0.10-198.18.0.20, 198.18.1.0-198.18.1.255\n");
    assert_non_null(strstr(rendered, "elements = { 198.18.0.10-198.18.0.20, 198.18.1.0/24 }\n"));
    render_text("[set p]\ntype = port\nelements = 8080-8090, 443\n"
                "[set blocklist]\ntype = ipv4\ndynamic = yes\ntimeout = 10m\n");
    assert_non_null(strstr(rendered, "\tset p {\n\t\ttype inet_service\n\t\tflags interval\n\t\t"
                                     "elements = { 443, 8080-8090 }\n\t}\n"));
    assert_non_null(strstr(rendered, "\tset blocklist {\n\t\ttype ipv4_addr\n\t\tflags "
                                     "dynamic,timeout\n\t\ttimeout 10m\n\t}\n"));
}

static void test_forward_interfaces(void **state)
{
    (void)state;
    has_line("[rule a]\ndirection = forward\niif = lan0\noif = wan0\naction = accept\n",
             "iifname \"lan0\" oifname \"wan0\" accept comment \"a\"");
}

/* The input chain's rule comments in order (always-present rules left out). */
static void comments_in_order(const char *text, char *out, size_t len)
{
    const char *in = strstr(text, "chain input"), *end = strstr(text, "chain forward");
    out[0] = '\0';
    for (const char *c = strstr(in, "comment \""); c && c < end; c = strstr(c, "comment \"")) {
        c += strlen("comment \"");
        size_t n = strcspn(c, "\"");
        if (strncmp(c, "rampart:", 8) != 0)
            snprintf(out + strlen(out), len - strlen(out), "%s%.*s", out[0] ? "," : "", (int)n, c);
    }
}

#define BLOCKLISTS                                                                                           \
    "[set blocklist]\ntype = ipv4\ndynamic = yes\n[set blocklist6]\ntype = ipv6\ndynamic = yes\n"            \
    "[set admins]\ntype = ipv4\nelements = 198.18.9.0/24\n"

/* A blocklist rule applies to the ports open to anyone, and sits just
 * before the first rule that opens one, wherever the file puts it. */
static void test_blocklist_service_ports_only(void **state)
{
    (void)state;
    const char *body =
        BLOCKLISTS "[rule blocked]\nsource = @blocklist\naction = drop\ncounter = yes\n"
                   "[rule blocked6]\nsource = @blocklist6\naction = drop\n"
                   "[rule ssh]\nsource = @admins\nprotocol = tcp\ndport = 22\naction = accept\n"
                   "[rule vrrp]\nprotocol = vrrp\nsource = @admins\naction = accept\n"
                   "[rule https]\nprotocol = tcp\ndport = 443\naction = accept\n"
                   "[rule http]\nprotocol = tcp\ndport = 80, 8080\naction = accept\n"
                   "[rule dns]\nprotocol = udp\ndport = 53\naction = accept\n";
    has_line(body, "ip saddr @blocklist tcp dport { 80, 443, 8080 } counter packets 0 bytes 0 drop comment "
                   "\"blocked\"");
    has_line(body, "ip6 saddr @blocklist6 tcp dport { 80, 443, 8080 } drop comment \"blocked6\"");
    has_line(body, "ip saddr @blocklist udp dport 53 counter packets 0 bytes 0 drop comment \"blocked\"");
    has_line(body, "ip6 saddr @blocklist6 udp dport 53 drop comment \"blocked6\"");
    char order[512];
    comments_in_order(render_text(body), order, sizeof order);
    assert_string_equal(order, "ssh,vrrp,blocked,blocked6,blocked,blocked6,https,http,dns");
    /* a blocklist rule written after the services still comes before them */
    comments_in_order(render_text(BLOCKLISTS "[rule https]\nprotocol = tcp\ndport = 443\naction = accept\n"
                                             "[rule blocked]\nsource = @blocklist\naction = drop\n"),
                      order, sizeof order);
    assert_string_equal(order, "blocked,https");
}

static void test_blocklist_port_shapes(void **state)
{
    (void)state;
    /* one port: a value; a range; a port set; overlaps merged */
    has_line(BLOCKLISTS "[rule b]\nsource = @blocklist\naction = reject\n"
                        "[rule s]\nprotocol = tcp\ndport = 443\naction = accept\n",
             "ip saddr @blocklist tcp dport 443 reject with tcp reset comment \"b\"");
    has_line(BLOCKLISTS "[rule b]\nsource = @blocklist\naction = drop\n"
                        "[rule s]\nprotocol = tcp\ndport = 8000-8100\naction = accept\n"
                        "[rule t]\nprotocol = tcp\ndport = 8080\naction = accept\n",
             "ip saddr @blocklist tcp dport 8000-8100 drop comment \"b\"");
    has_line(BLOCKLISTS "[set web]\ntype = port\nelements = 443, 8443\n[rule b]\nsource = @blocklist\n"
                        "action = drop\n[rule s]\nprotocol = tcp\ndport = @web\naction = accept\n"
                        "[rule t]\nprotocol = tcp\ndport = 80-90\naction = accept\n",
             "ip saddr @blocklist tcp dport { 80-90, 443, 8443 } drop comment \"b\"");
    /* a service rule without a port: the blocklist covers every TCP port */
    has_line(BLOCKLISTS "[rule b]\nsource = @blocklist\naction = drop\n"
                        "[rule s]\nprotocol = tcp\ndport = 443\naction = accept\n"
                        "[rule all]\nprotocol = tcp\naction = accept\n",
             "ip saddr @blocklist meta l4proto tcp drop comment \"b\"");
    /* no service rule at all (input = accept): the blocklist applies to everything */
    has_line("input = accept\n" BLOCKLISTS "[rule b]\nsource = @blocklist\naction = drop\n",
             "ip saddr @blocklist drop comment \"b\"");
    /* a rule with ports of its own, or another set, is written as it is */
    has_line(BLOCKLISTS "[rule b]\nsource = @blocklist\nprotocol = tcp\ndport = 25\naction = drop\n"
                        "[rule s]\nprotocol = tcp\ndport = 443\naction = accept\n",
             "ip saddr @blocklist tcp dport 25 drop comment \"b\"");
    has_line(BLOCKLISTS "[rule b]\nsource = @admins\naction = drop\n"
                        "[rule s]\nprotocol = tcp\ndport = 443\naction = accept\n",
             "ip saddr @admins drop comment \"b\"");
}

static void test_output_user(void **state)
{
    (void)state;
    has_line("[rule r]\ndirection = out\nuser = 999\ndestination = 198.19.0.11\nprotocol = tcp\n"
             "dport = 80\naction = accept\n",
             "meta skuid 999 ip daddr 198.19.0.11 tcp dport 80 accept comment \"r\"");
    has_line("[rule r]\ndirection = out\nuser = root\naction = reject\ncounter = yes\n",
             "meta skuid 0 counter packets 0 bytes 0 reject comment \"r\"");
    has_line("[rule r]\ndirection = out\noif = eth0\nuser = 7\naction = drop\n",
             "oifname \"eth0\" meta skuid 7 drop comment \"r\"");
}

static void test_render_is_deterministic(void **state)
{
    (void)state;
    const char *body = "[set a]\ntype = ipv4\nelements = 198.18.0.9 198.18.0.1\n"
                       "[rule a]\nsource = @a\nprotocol = tcp\ndport = 9, 3, 5\naction = accept\n";
    char *first = strdup(render_text(body));
    assert_string_equal(first, render_text(body));
    free(first);
}

static int teardown(void **state)
{
    (void)state;
    free(rendered);
    rendered = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_always_present_rules),
        cmocka_unit_test(test_log_drops),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_protocols_and_ports),
        cmocka_unit_test(test_states_and_statements),
        cmocka_unit_test(test_reject_forms),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_forward_interfaces),
        cmocka_unit_test(test_blocklist_service_ports_only),
        cmocka_unit_test(test_blocklist_port_shapes),
        cmocka_unit_test(test_output_user),
        cmocka_unit_test(test_render_is_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
