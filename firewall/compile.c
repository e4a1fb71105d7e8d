/*
 * The batch that replaces Rampart's table: "add table" (so the delete that
 * follows cannot fail when there is none), "delete table", then the whole
 * new table. The kernel commits all of it or none of it, so packets see
 * either the old ruleset or the new one, never a mix.
 */
#include "firewall/compile.h"

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

#define CREATE     (NLM_F_CREATE | NLM_F_ACK)
#define CREATE_NEW (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK)

static int put_table(struct fw_batch *b, uint16_t type, uint16_t flags, const char *label)
{
    struct nftnl_table *t = nftnl_table_alloc();
    if (!t)
        return -1;
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE);
    nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
    struct nlmsghdr *nlh = fw_batch_msg(b, type, flags);
    if (nlh) {
        nftnl_table_nlmsg_build_payload(nlh, t);
        fw_batch_commit(b, "%s", label);
    }
    nftnl_table_free(t);
    return nlh ? 0 : -1;
}

int fw_compile_delete_table(struct fw_batch *b)
{
    if (put_table(b, NFT_MSG_NEWTABLE, CREATE, "table inet " FW_TABLE) < 0)
        return -1;
    return put_table(b, NFT_MSG_DELTABLE, NLM_F_ACK, "the deletion of table inet " FW_TABLE);
}

static struct nftnl_set *set_alloc(const char *name, uint32_t id)
{
    struct nftnl_set *s = nftnl_set_alloc();
    if (!s)
        return NULL;
    nftnl_set_set_str(s, NFTNL_SET_TABLE, FW_TABLE);
    nftnl_set_set_str(s, NFTNL_SET_NAME, name);
    nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
    nftnl_set_set_u32(s, NFTNL_SET_ID, id);
    return s;
}

/* Sends the elements collected in `s` as one message. */
static int flush_elems(struct fw_batch *b, struct nftnl_set *s, const char *name)
{
    struct nlmsghdr *nlh = fw_batch_msg(b, NFT_MSG_NEWSETELEM, CREATE_NEW);
    if (!nlh)
        return -1;
    nftnl_set_elems_nlmsg_build_payload(nlh, s);
    fw_batch_commit(b, "the elements of set '%s'", name);
    return 0;
}

struct elem_writer {
    struct fw_batch *b;
    const char *name;
    uint32_t id;
    struct nftnl_set *chunk;
    unsigned n;
};

static int put_elem(struct elem_writer *w, const uint8_t *key, unsigned len, bool end, uint64_t timeout_ms)
{
    if (!w->chunk && !(w->chunk = set_alloc(w->name, w->id)))
        return -1;
    struct nftnl_set_elem *e = nftnl_set_elem_alloc();
    if (!e)
        return -1;
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
    if (end)
        nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
    if (timeout_ms)
        nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
    nftnl_set_elem_add(w->chunk, e);
    if (++w->n < FW_ELEMS_PER_MSG)
        return 0;
    int rc = flush_elems(w->b, w->chunk, w->name);
    nftnl_set_free(w->chunk);
    w->chunk = NULL;
    w->n = 0;
    return rc;
}

static bool key_is_zero(const uint8_t *k, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        if (k[i])
            return false;
    return true;
}

/* hi + 1, or false when hi is the largest key (the range runs to the end). */
static bool key_after(const uint8_t *hi, unsigned len, uint8_t *out)
{
    memcpy(out, hi, len);
    for (unsigned i = len; i-- > 0;)
        if (++out[i] != 0)
            return true;
    return false;
}

int fw_compile_set_elems(struct fw_batch *b, const struct fw_set *s, const char *name, uint32_t id)
{
    struct elem_writer w = {.b = b, .name = name, .id = id};
    unsigned len = fw_key_len(s->key);
    int rc = 0;
    /* an interval set starts with "nothing below the first range" */
    if (s->interval && s->n_ranges && !key_is_zero(s->ranges[0].lo, len)) {
        static const uint8_t zero[16];
        rc = put_elem(&w, zero, len, true, 0);
    }
    for (size_t i = 0; rc == 0 && i < s->n_ranges; i++) {
        uint8_t after[16];
        rc = put_elem(&w, s->ranges[i].lo, len, false, s->ranges[i].timeout_ms);
        if (rc == 0 && s->interval && key_after(s->ranges[i].hi, len, after))
            rc = put_elem(&w, after, len, true, 0);
    }
    if (rc == 0 && w.chunk)
        rc = flush_elems(b, w.chunk, name);
    if (w.chunk) /* libnftnl's free functions do not take NULL */
        nftnl_set_free(w.chunk);
    return rc;
}

/* A set declaration; anonymous sets are named "__set%d" and the kernel
 * numbers them. */
static int put_set(struct fw_batch *b, const struct fw_set *s, bool anon, uint32_t id)
{
    const char *name = anon ? "__set%d" : s->name;
    struct nftnl_set *ns = set_alloc(name, id);
    if (!ns)
        return -1;
    uint32_t flags = 0;
    if (anon)
        flags |= NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
    if (s->interval)
        flags |= NFT_SET_INTERVAL;
    if (s->timeout_flag)
        flags |= NFT_SET_TIMEOUT;
    if (s->dynamic)
        flags |= NFT_SET_EVAL;
    nftnl_set_set_u32(ns, NFTNL_SET_FLAGS, flags);
    nftnl_set_set_u32(ns, NFTNL_SET_KEY_TYPE, s->key);
    nftnl_set_set_u32(ns, NFTNL_SET_KEY_LEN, fw_key_len(s->key));
    if (s->timeout_ms)
        nftnl_set_set_u64(ns, NFTNL_SET_TIMEOUT, s->timeout_ms);
    if (s->size)
        nftnl_set_set_u32(ns, NFTNL_SET_DESC_SIZE, s->size);
    struct nlmsghdr *nlh = fw_batch_msg(b, NFT_MSG_NEWSET, CREATE_NEW);
    if (nlh) {
        nftnl_set_nlmsg_build_payload(nlh, ns);
        fw_batch_commit(b, "set '%s'", anon ? "(anonymous)" : s->name);
    }
    nftnl_set_free(ns);
    return nlh ? fw_compile_set_elems(b, s, name, id) : -1;
}

static int put_chain(struct fw_batch *b, enum policy_dir dir, enum policy_verdict dflt)
{
    static const uint32_t hooks[POLICY_DIR_COUNT] = {NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT};
    struct nftnl_chain *c = nftnl_chain_alloc();
    if (!c)
        return -1;
    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FW_TABLE);
    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, policy_dir_name(dir));
    nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooks[dir]);
    nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, dflt == POLICY_DROP ? NF_DROP : NF_ACCEPT);
    struct nlmsghdr *nlh = fw_batch_msg(b, NFT_MSG_NEWCHAIN, CREATE_NEW);
    if (nlh) {
        nftnl_chain_nlmsg_build_payload(nlh, c);
        fw_batch_commit(b, "chain %s", policy_dir_name(dir));
    }
    nftnl_chain_free(c);
    return nlh ? 0 : -1;
}

struct compile_ctx {
    const struct fw_ruleset *rs;
    struct fw_batch *b;
    uint32_t next_id;
};

/* Named sets have ids 1..n in ruleset order; unknown names get 0. */
static uint32_t named_set_id(const char *name, void *arg)
{
    const struct compile_ctx *cx = arg;
    for (size_t i = 0; i < cx->rs->n_sets; i++)
        if (strcmp(cx->rs->sets[i].name, name) == 0)
            return (uint32_t)i + 1;
    return 0;
}

static int set_comment(struct nftnl_rule *nr, const char *comment)
{
    struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(FW_COMMENT_MAX + 16);
    if (!ud)
        return -1;
    nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment);
    nftnl_rule_set_data(nr, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
    return 0;
}

static int put_rule(struct compile_ctx *cx, const struct fw_rule *r, size_t index)
{
    /* the rule's anonymous sets go first: sport, dport, ICMP types */
    uint32_t anon[3] = {0, 0, 0};
    const struct fw_match *m[3] = {&r->sport, &r->dport, &r->icmp_type};
    for (int i = 0; i < 3; i++) {
        if (m[i]->kind != FW_M_ANON)
            continue;
        anon[i] = cx->next_id++;
        if (put_set(cx->b, &m[i]->anon, true, anon[i]) < 0)
            return -1;
    }
    struct nftnl_rule *nr = nftnl_rule_alloc();
    if (!nr)
        return -1;
    nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, FW_TABLE);
    nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, policy_dir_name(r->chain));
    nftnl_rule_set_u32(nr, NFTNL_RULE_FAMILY, NFPROTO_INET);
    struct nlmsghdr *nlh = NULL;
    if (fw_compile_rule_exprs(nr, r, named_set_id, cx, anon) == 0 && set_comment(nr, r->comment) == 0)
        nlh = fw_batch_msg(cx->b, NFT_MSG_NEWRULE, CREATE_NEW | NLM_F_APPEND);
    if (nlh) {
        nftnl_rule_nlmsg_build_payload(nlh, nr);
        fw_batch_commit(cx->b, "rule %zu \"%.60s\"", index + 1, r->comment);
    }
    nftnl_rule_free(nr);
    return nlh ? 0 : -1;
}

/* The test hook: a rule looking up a set that does not exist. */
static int put_fault(struct compile_ctx *cx)
{
    struct fw_rule r;
    memset(&r, 0, sizeof r);
    r.chain = POLICY_DIR_IN;
    r.family = AF_INET;
    r.proto = -1;
    r.src.kind = FW_M_SET;
    r.src.set = "rampart_fault_no_such_set";
    r.verdict = FW_V_DROP;
    snprintf(r.comment, sizeof r.comment, "injected fault");
    return put_rule(cx, &r, cx->rs->n_rules);
}

int fw_compile(const struct fw_ruleset *rs, struct fw_batch *b, unsigned flags)
{
    struct compile_ctx cx = {.rs = rs, .b = b, .next_id = (uint32_t)rs->n_sets + 1};
    if (fw_compile_delete_table(b) < 0)
        return -1;
    if (put_table(b, NFT_MSG_NEWTABLE, CREATE_NEW, "table inet " FW_TABLE) < 0)
        return -1;
    for (size_t i = 0; i < rs->n_sets; i++)
        if (put_set(b, &rs->sets[i], false, (uint32_t)i + 1) < 0)
            return -1;
    for (int c = 0; c < POLICY_DIR_COUNT; c++)
        if (put_chain(b, (enum policy_dir)c, rs->dflt[c]) < 0)
            return -1;
    for (size_t i = 0; i < rs->n_rules; i++)
        if (put_rule(&cx, &rs->rules[i], i) < 0)
            return -1;
    if ((flags & FW_COMPILE_FAULT) && put_fault(&cx) < 0)
        return -1;
    return 0;
}

int fw_compile_batch(struct fw_batch *b, const struct fw_ruleset *rs, unsigned flags)
{
    if (fw_batch_init(b) < 0)
        return -1;
    int rc = rs ? fw_compile(rs, b, flags) : fw_compile_delete_table(b);
    return rc < 0 ? -1 : fw_batch_end(b);
}
