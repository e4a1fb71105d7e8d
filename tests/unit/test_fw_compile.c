/* Unit tests for firewall/compile.c and compile_rule.c: the batch is parsed
 * back with libnftnl and the expressions compared with the bytecode nft
 * itself generates for the same rule (as `nft --debug=netlink` shows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firewall/compile.h"
#include "firewall/firewall.h"
#include "firewall/ruleset.h"
#include "tests/unit/helpers/t_policy.h"

#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct policy *pol;
static struct fw_ruleset rs;
static struct fw_batch batch;

static void build(const char *body)
{
    pol = t_policy_must_load("[policy]\nname = t\n%s", body);
    assert_int_equal(fw_lower(pol, &rs), 0);
    assert_int_equal(fw_batch_init(&batch), 0);
    assert_int_equal(fw_compile(&rs, &batch, 0), 0);
    assert_int_equal(fw_batch_end(&batch), 0);
}

static int teardown(void **state)
{
    (void)state;
    fw_batch_free(&batch);
    fw_ruleset_free(&rs);
    policy_free(pol);
    pol = NULL;
    return 0;
}

/* Calls `fn` for each message of the batch of the given nf_tables type. */
static int each_msg(uint16_t type, int (*fn)(const struct nlmsghdr *, void *), void *arg)
{
    int count = 0, len = (int)batch.len;
    for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)batch.buf; mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
        if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES || NFNL_MSG_TYPE(nlh->nlmsg_type) != type)
            continue;
        count++;
        if (fn && fn(nlh, arg))
            break;
    }
    return count;
}

struct find_rule {
    const char *comment;
    char exprs[4096];
    bool found;
};

/* The expression lines of the rule whose comment is `comment`. */
static int match_rule(const struct nlmsghdr *nlh, void *arg)
{
    struct find_rule *f = arg;
    struct nftnl_rule *r = nftnl_rule_alloc();
    assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
    uint32_t len;
    const char *ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
    /* userdata: type 0 (comment), length, text with its NUL */
    if (ud && len > 2 && strcmp(ud + 2, f->comment) == 0) {
        char text[8192], *save = NULL;
        nftnl_rule_snprintf(text, sizeof text, r, NFTNL_OUTPUT_DEFAULT, 0);
        size_t used = 0;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            l += strspn(l, " ");
            if (*l == '[')
                used += (size_t)snprintf(f->exprs + used, sizeof f->exprs - used, "%s\n", l);
        }
        f->found = true;
    }
    nftnl_rule_free(r);
    return f->found;
}

static void rule_is(const char *comment, const char *expected)
{
    struct find_rule f = {.comment = comment};
    each_msg(NFT_MSG_NEWRULE, match_rule, &f);
    assert_true(f.found);
    if (strcmp(f.exprs, expected) != 0)
        fprintf(stderr, "got:\n%s", f.exprs);
    assert_string_equal(f.exprs, expected);
}

static void test_batch_shape(void **state)
{
    (void)state;
    build("[rule a]\nprotocol = tcp\ndport = 22\naction = accept\nsource = 198.18.0.1\n");
    /* add table (if missing), delete it, add it again: replace in one go */
    assert_int_equal(each_msg(NFT_MSG_NEWTABLE, NULL, NULL), 2);
    assert_int_equal(each_msg(NFT_MSG_DELTABLE, NULL, NULL), 1);
    assert_int_equal(each_msg(NFT_MSG_NEWCHAIN, NULL, NULL), 3);
    /* two anonymous ICMP type sets per chain */
    assert_int_equal(each_msg(NFT_MSG_NEWSET, NULL, NULL), 6);
    /* 5 always rules in input and output, 4 in forward, 2 default drops, 1 ours */
    assert_int_equal(each_msg(NFT_MSG_NEWRULE, NULL, NULL), 5 + 4 + 5 + 2 + 1);
    assert_int_equal(fw_batch_count(&batch), 2 + 1 + 3 + 6 + 6 + 17);
}

static void test_port_rule_bytecode(void **state)
{
    (void)state;
    build("[rule ssh]\nprotocol = tcp\ndport = 22\naction = accept\nsource = 198.18.0.1\n");
    rule_is("ssh", "[ meta load nfproto => reg 1 ]\n"
                   "[ cmp eq reg 1 0x00000002 ]\n"
                   "[ payload load 4b @ network header + 12 => reg 1 ]\n"
                   "[ cmp eq reg 1 0x010012c6 ]\n"
                   "[ meta load l4proto => reg 1 ]\n"
                   "[ cmp eq reg 1 0x00000006 ]\n"
                   "[ payload load 2b @ transport header + 2 => reg 1 ]\n"
                   "[ cmp eq reg 1 0x00001600 ]\n"
                   "[ immediate reg 0 accept ]\n");
}

static void test_prefix_and_range_bytecode(void **state)
{
    (void)state;
    build("[rule r]\nsource = 198.18.0.0/20\nprotocol = udp\ndport = 1000-2000\naction = reject\n");
    rule_is("r", "[ meta load nfproto => reg 1 ]\n"
                 "[ cmp eq reg 1 0x00000002 ]\n"
                 "[ payload load 4b @ network header + 12 => reg 1 ]\n"
                 "[ bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 ]\n"
                 "[ cmp eq reg 1 0x000012c6 ]\n"
                 "[ meta load l4proto => reg 1 ]\n"
                 "[ cmp eq reg 1 0x00000011 ]\n"
                 "[ payload load 2b @ transport header + 2 => reg 1 ]\n"
                 "[ cmp gte reg 1 0x0000e803 ]\n"
                 "[ cmp lte reg 1 0x0000d007 ]\n"
                 "[ reject type 0 code 3 ]\n");
}

static void test_always_rules_bytecode(void **state)
{
    (void)state;
    build("");
    rule_is("rampart: replies to allowed traffic", "[ ct load state => reg 1 ]\n"
                                                   "[ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]\n"
                                                   "[ cmp neq reg 1 0x00000000 ]\n"
                                                   "[ immediate reg 0 accept ]\n");
    rule_is("rampart: loopback", "[ meta load iifname => reg 1 ]\n"
                                 "[ cmp eq reg 1 0x00006f6c 0x00000000 0x00000000 0x00000000 ]\n"
                                 "[ immediate reg 0 accept ]\n");
}

static void test_meter_bytecode(void **state)
{
    (void)state;
    build("[rule w]\nprotocol = tcp\ndport = 443\nstate = new\n"
          "limit = 50/second burst 100 per-source\naction = accept\n");
    rule_is("w: over the limit",
            "[ meta load l4proto => reg 1 ]\n"
            "[ cmp eq reg 1 0x00000006 ]\n"
            "[ payload load 2b @ transport header + 2 => reg 1 ]\n"
            "[ cmp eq reg 1 0x0000bb01 ]\n"
            "[ ct load state => reg 1 ]\n"
            "[ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]\n"
            "[ cmp neq reg 1 0x00000000 ]\n"
            "[ meta load nfproto => reg 1 ]\n"
            "[ cmp eq reg 1 0x00000002 ]\n"
            "[ payload load 4b @ network header + 12 => reg 1 ]\n"
            "[ dynset update reg_key 1 set rl4_w expr [ limit rate 50/second burst 100 type "
            "packets flags 0x1 ] ]\n"
            "[ counter pkts 0 bytes 0 ]\n"
            "[ immediate reg 0 drop ]\n");
}

struct elem_count {
    const char *set;
    unsigned msgs, elems, ends, timeouts;
    uint64_t last_timeout;
};

/* Reads a NEWSETELEM message with libmnl: set name, element count, and
 * how many carry the interval-end flag. */
static int elem_msg(const struct nlmsghdr *nlh, void *arg)
{
    struct elem_count *c = arg;
    const struct nlattr *attr, *list = NULL;
    const char *name = NULL;
    mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
    {
        if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_SET)
            name = mnl_attr_get_str(attr);
        else if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_ELEMENTS)
            list = attr;
    }
    if (!name || strcmp(name, c->set) != 0 || !list)
        return 0;
    c->msgs++;
    const struct nlattr *elem, *a;
    mnl_attr_for_each_nested(elem, list)
    {
        c->elems++;
        mnl_attr_for_each_nested(a, elem)
        {
            if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS &&
                (ntohl(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END))
                c->ends++;
            if (mnl_attr_get_type(a) == NFTA_SET_ELEM_TIMEOUT) {
                uint64_t v;
                memcpy(&v, mnl_attr_get_payload(a), sizeof v);
                c->last_timeout = be64toh(v);
                c->timeouts++;
            }
        }
    }
    return 0;
}

static void test_interval_elements(void **state)
{
    (void)state;
    /* as nft writes them: "nothing below" at 0, then start, end+1 (end flag);
     * touching elements stay separate; a range up to the top has no end */
    build("[set a]\ntype = ipv4\nelements = 198.18.0.2, 198.18.0.3, 255.255.255.0/24\n");
    struct elem_count c = {.set = "a"};
    each_msg(NFT_MSG_NEWSETELEM, elem_msg, &c);
    assert_int_equal(c.msgs, 1);
    assert_int_equal(c.elems, 1 + 2 + 2 + 1);
    assert_int_equal(c.ends, 1 + 1 + 1);
}

static void test_elements_split_in_messages(void **state)
{
    (void)state;
    /* FW_ELEMS_PER_MSG elements fill one message exactly; one more, two */
    static char text[64 * 1024];
    int n = snprintf(text, sizeof text, "[set b]\ntype = ipv4\ndynamic = yes\n");
    for (int i = 0; i < FW_ELEMS_PER_MSG; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "elements = 198.18.%d.%d\n", i / 250, i % 250 + 1);
    build(text);
    struct elem_count c = {.set = "b"};
    each_msg(NFT_MSG_NEWSETELEM, elem_msg, &c);
    assert_int_equal(c.msgs, 1);
    assert_int_equal(c.elems, FW_ELEMS_PER_MSG);
    teardown(NULL);
    snprintf(text + n, sizeof text - (size_t)n, "elements = 198.19.0.1\n");
    build(text);
    c = (struct elem_count){.set = "b"};
    each_msg(NFT_MSG_NEWSETELEM, elem_msg, &c);
    assert_int_equal(c.msgs, 2);
    assert_int_equal(c.elems, FW_ELEMS_PER_MSG + 1);
}

/* Re-apply keeps blocked addresses for the time they have left; meter
 * sets (rate-limit state) and sets of another type are not carried. */
static void test_keep_dynamic_elements(void **state)
{
    (void)state;
    struct fw_ruleset running;
    memset(&running, 0, sizeof running);
    struct fw_set *old = fw_ruleset_add_set(&running);
    snprintf(old->name, sizeof old->name, "blocklist");
    old->key = FW_KEY_IPV4;
    old->dynamic = true;
    old->n_ranges = 2;
    old->ranges = calloc(2, sizeof *old->ranges);
    old->ranges[0].lo[0] = old->ranges[0].hi[0] = 198;
    old->ranges[0].expires_ms = 42000;
    old->ranges[1].lo[0] = old->ranges[1].hi[0] = 199;
    old->ranges[1].timeout_ms = 7000;
    struct fw_set *meter = fw_ruleset_add_set(&running);
    *meter = *old;
    snprintf(meter->name, sizeof meter->name, "rl4_w");
    meter->ranges = calloc(2, sizeof *meter->ranges);

    build("[set blocklist]\ntype = ipv4\ndynamic = yes\ntimeout = 10m\n"
          "[rule w]\nprotocol = tcp\nlimit = 5/second per-source\naction = accept\n");
    fw_keep_dynamic(&rs, &running);
    assert_int_equal(rs.sets[0].n_ranges, 2);
    assert_int_equal(rs.sets[0].ranges[0].timeout_ms, 42000);
    assert_int_equal(rs.sets[0].ranges[1].timeout_ms, 7000);
    assert_int_equal(rs.sets[1].n_ranges, 0); /* rl4_w */
    fw_ruleset_free(&running);

    fw_batch_free(&batch);
    assert_int_equal(fw_batch_init(&batch), 0);
    assert_int_equal(fw_compile(&rs, &batch, 0), 0);
    struct elem_count c = {.set = "blocklist"};
    each_msg(NFT_MSG_NEWSETELEM, elem_msg, &c);
    assert_int_equal(c.elems, 2);
    assert_int_equal(c.timeouts, 2);
    assert_int_equal(c.last_timeout, 7000);
}

static void test_fault_hook_adds_one_rule(void **state)
{
    (void)state;
    build("");
    size_t plain = fw_batch_count(&batch);
    struct fw_batch b2;
    assert_int_equal(fw_batch_init(&b2), 0);
    assert_int_equal(fw_compile(&rs, &b2, FW_COMPILE_FAULT), 0);
    assert_int_equal(fw_batch_count(&b2), plain + 1);
    fw_batch_free(&b2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_batch_shape, teardown),
        cmocka_unit_test_teardown(test_port_rule_bytecode, teardown),
        cmocka_unit_test_teardown(test_prefix_and_range_bytecode, teardown),
        cmocka_unit_test_teardown(test_always_rules_bytecode, teardown),
        cmocka_unit_test_teardown(test_meter_bytecode, teardown),
        cmocka_unit_test_teardown(test_interval_elements, teardown),
        cmocka_unit_test_teardown(test_elements_split_in_messages, teardown),
        cmocka_unit_test_teardown(test_keep_dynamic_elements, teardown),
        cmocka_unit_test_teardown(test_fault_hook_adds_one_rule, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
