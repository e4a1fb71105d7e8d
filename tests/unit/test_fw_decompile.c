/* Unit tests for firewall/decompile.c: every rule compile.c writes reads
 * back (as the kernel would hand it to `show`) into the same rule, so the
 * rendered text of compile -> decompile equals the rendered text of the
 * policy. No kernel needed: the batch's own messages are parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firewall/compile.h"
#include "firewall/decompile.h"
#include "firewall/render.h"
#include "tests/unit/helpers/t_policy.h"

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Anonymous sets are found by the id the batch gave them ("__set%d" + id);
 * the test maps the rule's lookup to the lowered rule's own anon sets. */
struct anon_ctx {
    const struct fw_rule *src;
    int next;
};

static const struct fw_set *find_anon(void *arg, const char *name)
{
    struct anon_ctx *cx = arg;
    if (strncmp(name, "__set", 5) != 0)
        return NULL; /* a named set */
    const struct fw_match *m[3] = {&cx->src->sport, &cx->src->dport, &cx->src->icmp_type};
    /* lookups come in expression order: sport, dport, ICMP type */
    while (cx->next < 3 && m[cx->next]->kind != FW_M_ANON)
        cx->next++;
    return cx->next < 3 ? &m[cx->next++]->anon : NULL;
}

static char *render_rules(const struct fw_ruleset *rs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    for (size_t i = 0; i < rs->n_rules; i++) {
        fw_render_rule(out, &rs->rules[i]);
        fputc('\n', out);
    }
    fclose(out);
    return buf;
}

static void round_trip(const char *body)
{
    struct policy *pol = t_policy_must_load("[policy]\nname = t\nlog-drops = yes\n%s", body);
    struct fw_ruleset rs, back;
    struct fw_batch b;
    assert_int_equal(fw_lower(pol, &rs), 0);
    assert_int_equal(fw_batch_init(&b), 0);
    assert_int_equal(fw_compile(&rs, &b, 0), 0);
    memset(&back, 0, sizeof back);
    size_t k = 0;
    int len = (int)b.len;
    for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)b.buf; mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
        if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
            NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWRULE)
            continue;
        struct nftnl_rule *nr = nftnl_rule_alloc();
        assert_int_equal(nftnl_rule_nlmsg_parse(nlh, nr), 0);
        struct anon_ctx cx = {.src = &rs.rules[k]};
        struct fw_anon_lookup anon = {.find = find_anon, .arg = &cx};
        assert_int_equal(fw_decompile_rule(&back, nr, rs.rules[k].chain, &anon), 0);
        nftnl_rule_free(nr);
        k++;
    }
    assert_int_equal(k, rs.n_rules);
    char *want = render_rules(&rs), *got = render_rules(&back);
    assert_string_equal(got, want);
    free(want);
    free(got);
    fw_ruleset_free(&back);
    fw_ruleset_free(&rs);
    fw_batch_free(&b);
    policy_free(pol);
}

static void test_always_rules(void **state)
{
    (void)state;
    round_trip("");
}

static void test_shipped_kinds_of_rules(void **state)
{
    (void)state;
    round_trip("[set admins]\ntype = ipv4\nelements = 198.18.9.0/24\n"
               "[set blocklist]\ntype = ipv4\ndynamic = yes\ntimeout = 10m\n"
               "[rule blocked]\nsource = @blocklist\naction = drop\ncounter = yes\n"
               "[rule https]\nprotocol = tcp\ndport = 443\nstate = new\n"
               "limit = 50/second burst 100 per-source\naction = accept\ncounter = yes\n"
               "[rule vrrp]\nsource = 198.18.0.3\nprotocol = vrrp\naction = accept\n"
               "[rule ssh]\nsource = @admins\nprotocol = tcp\ndport = 22\naction = accept\n");
}

static void test_every_match(void **state)
{
    (void)state;
    round_trip("[set p]\ntype = port\nelements = 80, 443\n"
               "[rule a]\ndirection = forward\niif = lan0\noif = wan0\nsource = 198.18.0.0/20\n"
               "destination = 198.18.64.0/24\nprotocol = udp\nsport = 1024-65535\n"
               "dport = 53, 5353, 6000-6010\naction = reject\n"
               "[rule b]\nsource = 2001:db8::/47\nprotocol = tcp\ndport = @p\nstate = new, related\n"
               "action = reject\nlog = b: \ncomment = all of it\n"
               "[rule c]\nprotocol = icmpv6\nlimit = 10/minute burst 1\naction = accept\n"
               "[rule d]\ndirection = out\noif = eth0\ndestination = 2001:db8::1\naction = drop\n"
               "[rule e]\nprotocol = 200\naction = accept\n"
               "[set s]\ntype = ipv4\n"
               "[rule f]\nsource = @s\nprotocol = tcp\ndport = 1, 2, 3\naction = accept\n"
               "[rule g]\ndirection = out\nuser = 999\ndestination = @s\nprotocol = tcp\ndport = 80\n"
               "action = accept\n[rule h]\ndirection = out\nuser = 999\naction = reject\ncounter = yes\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_always_rules),
        cmocka_unit_test(test_shipped_kinds_of_rules),
        cmocka_unit_test(test_every_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
