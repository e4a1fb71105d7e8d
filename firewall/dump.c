/*
 * Reads table inet rampart back from the kernel with netlink dumps: table,
 * sets and their elements, chains, rules. Sets come back as fw_set (interval
 * sets rebuilt from their start/end markers), rules through decompile.c.
 */
#include "firewall/decompile.h"
#include "firewall/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

/* All sets of the table, anonymous ones included, while reading. */
struct dump_ctx {
    struct fw_running *run;
    struct fw_ruleset all; /* every set, in kernel order */
    bool *anon;            /* per set in `all` */
    size_t cap_anon;
    struct fw_set *cur; /* set whose elements are being read */
    struct elem_key {
        uint8_t key[16];
        bool end;
        uint64_t timeout, expires;
    } * keys;
    size_t n_keys, cap_keys;
    bool oom;
};

static bool is_ours(const char *table)
{
    return table && strcmp(table, FW_TABLE) == 0;
}

static int on_table(const struct nlmsghdr *nlh, void *data)
{
    struct dump_ctx *cx = data;
    struct nftnl_table *t = nftnl_table_alloc();
    if (t && nftnl_table_nlmsg_parse(nlh, t) == 0 && is_ours(nftnl_table_get_str(t, NFTNL_TABLE_NAME)))
        cx->run->exists = true;
    if (t)
        nftnl_table_free(t);
    return MNL_CB_OK;
}

static bool key_known(uint32_t key)
{
    return key == FW_KEY_IPV4 || key == FW_KEY_IPV6 || key == FW_KEY_PORT || key == FW_KEY_ICMP ||
           key == FW_KEY_ICMPV6;
}

static int on_set(const struct nlmsghdr *nlh, void *data)
{
    struct dump_ctx *cx = data;
    struct nftnl_set *ns = nftnl_set_alloc();
    if (!ns || nftnl_set_nlmsg_parse(nlh, ns) < 0 || !is_ours(nftnl_set_get_str(ns, NFTNL_SET_TABLE))) {
        if (ns)
            nftnl_set_free(ns);
        return MNL_CB_OK;
    }
    uint32_t flags = nftnl_set_get_u32(ns, NFTNL_SET_FLAGS);
    uint32_t key = nftnl_set_get_u32(ns, NFTNL_SET_KEY_TYPE);
    struct fw_set *s = fw_ruleset_add_set(&cx->all);
    if (!s || (cx->all.n_sets > cx->cap_anon &&
               !(cx->anon = realloc(cx->anon, (cx->cap_anon = cx->all.n_sets * 2) * sizeof *cx->anon)))) {
        cx->oom = true;
        nftnl_set_free(ns);
        return MNL_CB_ERROR;
    }
    snprintf(s->name, sizeof s->name, "%s", nftnl_set_get_str(ns, NFTNL_SET_NAME));
    if (!key_known(key))
        cx->run->foreign++;
    s->key = key_known(key) ? (enum fw_key)key : FW_KEY_IPV4;
    s->interval = flags & NFT_SET_INTERVAL;
    s->timeout_flag = flags & NFT_SET_TIMEOUT;
    s->dynamic = flags & NFT_SET_EVAL;
    if (nftnl_set_is_set(ns, NFTNL_SET_TIMEOUT))
        s->timeout_ms = nftnl_set_get_u64(ns, NFTNL_SET_TIMEOUT);
    if (nftnl_set_is_set(ns, NFTNL_SET_DESC_SIZE) && !(flags & NFT_SET_ANONYMOUS))
        s->size = nftnl_set_get_u32(ns, NFTNL_SET_DESC_SIZE);
    cx->anon[cx->all.n_sets - 1] = flags & NFT_SET_ANONYMOUS;
    nftnl_set_free(ns);
    return MNL_CB_OK;
}

/* libmnl's attribute loops, written out: the same walk, but as functions
 * the static checkers (cppcheck) can follow. */
static const struct nlattr *nest_first(const struct nlattr *nest)
{
    return mnl_attr_get_payload(nest);
}

static bool nest_ok(const struct nlattr *nest, const struct nlattr *a)
{
    const char *end = (const char *)mnl_attr_get_payload(nest) + mnl_attr_get_payload_len(nest);
    return mnl_attr_ok(a, (int)(end - (const char *)a));
}

static uint64_t attr_u64(const struct nlattr *a)
{
    uint64_t v;
    memcpy(&v, mnl_attr_get_payload(a), sizeof v);
    return be64toh(v);
}

/* One element: its key, interval-end flag, timeout and time left. */
static void read_elem(struct dump_ctx *cx, const struct nlattr *elem)
{
    struct elem_key k;
    memset(&k, 0, sizeof k);
    for (const struct nlattr *a = nest_first(elem); nest_ok(elem, a); a = mnl_attr_next(a)) {
        switch (mnl_attr_get_type(a)) {
        case NFTA_SET_ELEM_KEY:
            for (const struct nlattr *v = nest_first(a); nest_ok(a, v); v = mnl_attr_next(v)) {
                uint16_t n = mnl_attr_get_payload_len(v);
                if (mnl_attr_get_type(v) == NFTA_DATA_VALUE && n <= sizeof k.key)
                    memcpy(k.key, mnl_attr_get_payload(v), n);
            }
            break;
        case NFTA_SET_ELEM_FLAGS: k.end = ntohl(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END; break;
        case NFTA_SET_ELEM_TIMEOUT: k.timeout = attr_u64(a); break;
        case NFTA_SET_ELEM_EXPIRATION: k.expires = attr_u64(a); break;
        }
    }
    if (cx->n_keys == cx->cap_keys) {
        size_t cap = cx->cap_keys ? cx->cap_keys * 2 : 256;
        struct elem_key *grown = realloc(cx->keys, cap * sizeof *grown);
        if (!grown) {
            cx->oom = true;
            return;
        }
        cx->keys = grown, cx->cap_keys = cap;
    }
    cx->keys[cx->n_keys++] = k;
}

static int on_elems(const struct nlmsghdr *nlh, void *data)
{
    struct dump_ctx *cx = data;
    const char *end = (const char *)nlh + nlh->nlmsg_len;
    for (const struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
         mnl_attr_ok(a, (int)(end - (const char *)a)); a = mnl_attr_next(a)) {
        if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
            continue;
        for (const struct nlattr *elem = nest_first(a); nest_ok(a, elem); elem = mnl_attr_next(elem))
            read_elem(cx, elem);
    }
    return cx->oom ? MNL_CB_ERROR : MNL_CB_OK;
}

static int cmp_keys(const void *a, const void *b, void *len)
{
    const struct elem_key *x = a, *y = b;
    int c = memcmp(x->key, y->key, *(const unsigned *)len);
    return c ? c : (int)y->end - (int)x->end; /* an end sorts before a start */
}

/* Interval sets hold "start" and "end + 1" markers: back to ranges. */
static int keys_to_ranges(struct dump_ctx *cx, struct fw_set *s)
{
    unsigned len = fw_key_len(s->key);
    s->ranges = calloc(cx->n_keys ? cx->n_keys : 1, sizeof *s->ranges);
    if (!s->ranges)
        return -1;
    if (cx->n_keys > 0) /* an empty set has no key array (qsort_r's NULL is UB) */
        qsort_r(cx->keys, cx->n_keys, sizeof *cx->keys, cmp_keys, &len);
    struct fw_range *open = NULL;
    for (size_t i = 0; i < cx->n_keys; i++) {
        const struct elem_key *k = &cx->keys[i];
        if (!s->interval || !k->end) {
            if (open) /* a start with no end: runs to the top */
                memset(open->hi, 0xff, len);
            open = &s->ranges[s->n_ranges++];
            memcpy(open->lo, k->key, len);
            memcpy(open->hi, k->key, len);
            open->timeout_ms = k->timeout, open->expires_ms = k->expires;
            if (!s->interval)
                open = NULL;
        } else if (open) {
            memcpy(open->hi, k->key, len); /* hi = end - 1 */
            for (unsigned j = len; j-- > 0;)
                if (open->hi[j]-- != 0)
                    break;
            open = NULL;
        }
    }
    if (open)
        memset(open->hi, 0xff, len);
    return 0;
}

static void build_set_req(struct nlmsghdr *nlh, void *arg)
{
    const char *name = arg;
    struct nftnl_set *s = nftnl_set_alloc();
    if (!s)
        return;
    nftnl_set_set_str(s, NFTNL_SET_TABLE, FW_TABLE);
    nftnl_set_set_str(s, NFTNL_SET_NAME, name);
    nftnl_set_elems_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
}

static int chain_index(const char *name)
{
    for (int c = 0; c < POLICY_DIR_COUNT; c++)
        if (strcmp(name, policy_dir_name((enum policy_dir)c)) == 0)
            return c;
    return -1;
}

static int on_chain(const struct nlmsghdr *nlh, void *data)
{
    struct dump_ctx *cx = data;
    struct nftnl_chain *c = nftnl_chain_alloc();
    if (c && nftnl_chain_nlmsg_parse(nlh, c) == 0 && is_ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE))) {
        int idx = chain_index(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
        if (idx < 0)
            cx->run->foreign++;
        else
            cx->run->rs.dflt[idx] =
                nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP ? POLICY_DROP : POLICY_ACCEPT;
    }
    if (c)
        nftnl_chain_free(c);
    return MNL_CB_OK;
}

static const struct fw_set *find_anon(void *arg, const char *name)
{
    struct dump_ctx *cx = arg;
    for (size_t i = 0; i < cx->all.n_sets; i++)
        if (cx->anon[i] && strcmp(cx->all.sets[i].name, name) == 0)
            return &cx->all.sets[i];
    return NULL;
}

static int on_rule(const struct nlmsghdr *nlh, void *data)
{
    struct dump_ctx *cx = data;
    struct nftnl_rule *nr = nftnl_rule_alloc();
    if (!nr || nftnl_rule_nlmsg_parse(nlh, nr) < 0 || !is_ours(nftnl_rule_get_str(nr, NFTNL_RULE_TABLE))) {
        if (nr)
            nftnl_rule_free(nr);
        return MNL_CB_OK;
    }
    int chain = chain_index(nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN));
    struct fw_anon_lookup anon = {.find = find_anon, .arg = cx};
    int rc = chain < 0 ? 1 : fw_decompile_rule(&cx->run->rs, nr, (enum policy_dir)chain, &anon);
    if (rc == 1) {
        char text[2048];
        cx->run->foreign++;
        nftnl_rule_snprintf(text, sizeof text, nr, NFTNL_OUTPUT_DEFAULT, 0);
        for (char *p = text; *p; p++)
            if (*p == '\n' || *p == '\t')
                *p = ' ';
        if (chain >= 0)
            cx->run->rs.rules[cx->run->rs.n_rules - 1].raw = fw_ruleset_strdup(&cx->run->rs, text);
    }
    nftnl_rule_free(nr);
    if (rc < 0)
        cx->oom = true;
    return rc < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int read_sets(struct fw_nl *nl, struct dump_ctx *cx)
{
    int rc = fw_nl_dump(nl, NFT_MSG_GETSET, 0, NULL, NULL, on_set, cx);
    for (size_t i = 0; rc == 0 && i < cx->all.n_sets; i++) {
        struct fw_set *s = &cx->all.sets[i];
        cx->n_keys = 0;
        rc = fw_nl_dump(nl, NFT_MSG_GETSETELEM, 0, build_set_req, s->name, on_elems, cx);
        if (rc == 0 && keys_to_ranges(cx, s) < 0)
            rc = -1;
    }
    /* named sets move to the result; anonymous ones stay for the rules */
    for (size_t i = 0; rc == 0 && i < cx->all.n_sets; i++) {
        if (cx->anon[i])
            continue;
        struct fw_set *s = fw_ruleset_add_set(&cx->run->rs);
        if (!s)
            return -1;
        *s = cx->all.sets[i];
        cx->all.sets[i].ranges = NULL;
    }
    return rc;
}

int fw_running_read(struct fw_running *out, char *err)
{
    struct fw_nl nl;
    char why[FW_NL_ERR_MAX];
    memset(out, 0, sizeof *out);
    if (fw_nl_open(&nl, why) < 0) {
        snprintf(err, FW_NL_ERR_MAX, "%s", why);
        return -1;
    }
    int rc = fw_running_read_nl(&nl, out, err);
    fw_nl_close(&nl);
    return rc;
}

int fw_running_read_nl(struct fw_nl *nl, struct fw_running *out, char *err)
{
    memset(out, 0, sizeof *out);
    struct dump_ctx cx = {.run = out};
    int rc = fw_nl_dump(nl, NFT_MSG_GETTABLE, 0, NULL, NULL, on_table, &cx);
    if (rc == 0 && out->exists) {
        rc = read_sets(nl, &cx);
        if (rc == 0)
            rc = fw_nl_dump(nl, NFT_MSG_GETCHAIN, 0, NULL, NULL, on_chain, &cx);
        if (rc == 0)
            rc = fw_nl_dump(nl, NFT_MSG_GETRULE, 0, NULL, NULL, on_rule, &cx);
    }
    fw_ruleset_free(&cx.all);
    free(cx.anon);
    free(cx.keys);
    if (rc != 0 || cx.oom) {
        snprintf(err, FW_NL_ERR_MAX, "reading table inet %s: %s", FW_TABLE,
                 cx.oom ? "out of memory" : strerror(rc < 0 ? -rc : EIO));
        fw_running_free(out);
        return -1;
    }
    return 0;
}

void fw_running_free(struct fw_running *run)
{
    fw_ruleset_free(&run->rs);
    run->exists = false;
}
