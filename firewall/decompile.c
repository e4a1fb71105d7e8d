/*
 * Kernel rule -> struct fw_rule: the inverse of compile_rule.c, for the
 * expression patterns Rampart writes. `show` renders the result with the
 * same code as `render`, `diff` compares the two texts, and commit-confirmed
 * recompiles it to restore the previous ruleset.
 *
 * Anything else (a rule someone added with nft) makes the rule "foreign":
 * it is shown by libnftnl's own printer and cannot be restored by us.
 */
#include "firewall/decompile.h"

#include <arpa/inet.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <stdlib.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

struct dstate {
    struct fw_ruleset *rs;
    const struct fw_anon_lookup *anon;
    struct fw_rule *r;
    uint32_t meta_key; /* the last meta load, waiting for its cmp */
    bool have_payload;
    uint32_t pl_base, pl_off, pl_len;
    uint8_t mask[16];
    bool have_mask;
    bool ct_pending;
    bool range_pending; /* a "cmp gte" seen; the "cmp lte" comes next */
    bool foreign;
};

static int family_of(uint8_t nfproto)
{
    return nfproto == NFPROTO_IPV4 ? AF_INET : nfproto == NFPROTO_IPV6 ? AF_INET6 : 0;
}

static unsigned mask_len(const uint8_t *m, unsigned len)
{
    unsigned bits = 0;
    for (unsigned i = 0; i < len; i++)
        for (int b = 7; b >= 0; b--)
            bits += (m[i] >> b) & 1;
    return bits;
}

/* Which address or port match the pending payload load refers to. */
static struct fw_match *payload_target(struct dstate *st, bool *is_addr)
{
    struct fw_rule *r = st->r;
    *is_addr = st->pl_base == NFT_PAYLOAD_NETWORK_HEADER;
    if (*is_addr) {
        unsigned src = r->family == AF_INET ? 12 : 8, dst = r->family == AF_INET ? 16 : 24;
        if (st->pl_off == src)
            return &r->src;
        return st->pl_off == dst ? &r->dst : NULL;
    }
    if (st->pl_base != NFT_PAYLOAD_TRANSPORT_HEADER)
        return NULL;
    if (st->pl_len == 1 && st->pl_off == 0)
        return &r->icmp_type;
    if (st->pl_len != 2)
        return NULL;
    return st->pl_off == 0 ? &r->sport : st->pl_off == 2 ? &r->dport : NULL;
}

static void on_cmp_meta(struct dstate *st, const uint8_t *d, uint32_t len)
{
    struct fw_rule *r = st->r;
    char name[IFNAMSIZ + 1] = {0};
    switch (st->meta_key) {
    case NFT_META_NFPROTO: r->family = family_of(d[0]); break;
    case NFT_META_L4PROTO: r->proto = d[0]; break;
    case NFT_META_SKUID:
        if (len != sizeof r->skuid) {
            st->foreign = true;
            break;
        }
        r->has_skuid = true;
        memcpy(&r->skuid, d, sizeof r->skuid);
        break;
    case NFT_META_IIFNAME:
    case NFT_META_OIFNAME:
        memcpy(name, d, len < IFNAMSIZ ? len : IFNAMSIZ);
        if (st->meta_key == NFT_META_IIFNAME)
            r->iif = fw_ruleset_strdup(st->rs, name);
        else
            r->oif = fw_ruleset_strdup(st->rs, name);
        break;
    default: st->foreign = true;
    }
    st->meta_key = 0;
}

static void on_cmp_payload(struct dstate *st, uint32_t op, const uint8_t *d, uint32_t len)
{
    bool is_addr;
    struct fw_match *m = payload_target(st, &is_addr);
    if (!m || len > 16) {
        st->foreign = true;
        return;
    }
    if (is_addr && op == NFT_CMP_EQ) {
        m->kind = FW_M_VALUE;
        memset(&m->prefix, 0, sizeof m->prefix);
        m->prefix.addr.family = st->r->family;
        memcpy(&m->prefix.addr.u, d, len);
        m->prefix.len = st->have_mask ? mask_len(st->mask, len) : len * 8;
    } else if (!is_addr && len == 2) {
        uint16_t port = (uint16_t)(d[0] << 8 | d[1]);
        if (op == NFT_CMP_EQ) {
            m->kind = FW_M_VALUE, m->port_lo = m->port_hi = port;
        } else if (op == NFT_CMP_GTE) {
            m->kind = FW_M_RANGE, m->port_lo = port;
            st->range_pending = true;
            return; /* the payload stays pending for the lte */
        } else if (op == NFT_CMP_LTE && st->range_pending) {
            m->port_hi = port;
            st->range_pending = false;
        } else {
            st->foreign = true;
        }
    } else {
        st->foreign = true;
    }
    st->have_payload = st->have_mask = false;
}

static void on_cmp(struct dstate *st, struct nftnl_expr *e)
{
    uint32_t len, op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
    const uint8_t *d = nftnl_expr_get_data(e, NFTNL_EXPR_CMP_DATA, &len);
    if (st->ct_pending) {
        st->ct_pending = false;
        if (op != NFT_CMP_NEQ || !st->have_mask)
            st->foreign = true;
        else
            memcpy(&st->r->ct_state, st->mask, 4);
        st->have_mask = false;
    } else if (st->meta_key && op == NFT_CMP_EQ) {
        on_cmp_meta(st, d, len);
    } else if (st->have_payload) {
        on_cmp_payload(st, op, d, len);
    } else {
        st->foreign = true;
    }
}

static void on_lookup(struct dstate *st, struct nftnl_expr *e)
{
    bool is_addr;
    struct fw_match *m = st->have_payload ? payload_target(st, &is_addr) : NULL;
    const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
    st->have_payload = false;
    if (!m || !set) {
        st->foreign = true;
        return;
    }
    const struct fw_set *anon = st->anon->find(st->anon->arg, set);
    if (anon) {
        m->kind = FW_M_ANON;
        m->anon = *anon;
        m->anon.ranges = calloc(anon->n_ranges ? anon->n_ranges : 1, sizeof *anon->ranges);
        if (!m->anon.ranges) {
            st->foreign = true;
            return;
        }
        memcpy(m->anon.ranges, anon->ranges, anon->n_ranges * sizeof *anon->ranges);
    } else {
        m->kind = FW_M_SET;
        m->set = fw_ruleset_strdup(st->rs, set);
    }
}

static const char *unit_name(uint64_t seconds)
{
    switch (seconds) {
    case 60: return "minute";
    case 3600: return "hour";
    case 86400: return "day";
    default: return "second";
    }
}

static void read_limit(struct fw_limit *l, struct nftnl_expr *e)
{
    l->rate = (unsigned)nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_RATE);
    l->unit = unit_name(nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_UNIT));
    l->burst = nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_BURST);
    l->over = nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_FLAGS) & NFT_LIMIT_F_INV;
}

static void on_dynset(struct dstate *st, struct nftnl_expr *e)
{
    uint32_t len;
    struct nftnl_expr *inner = (struct nftnl_expr *)nftnl_expr_get(e, NFTNL_EXPR_DYNSET_EXPR, &len);
    const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME);
    if (!st->have_payload || !inner || !set ||
        strcmp(nftnl_expr_get_str(inner, NFTNL_EXPR_NAME), "limit") != 0) {
        st->foreign = true;
        return;
    }
    st->have_payload = false;
    st->r->limit.kind = FW_L_METER;
    read_limit(&st->r->limit, inner);
    st->r->limit.meter = fw_ruleset_strdup(st->rs, set);
}

static void on_verdict(struct dstate *st, struct nftnl_expr *e, bool reject)
{
    if (reject) {
        st->r->verdict = FW_V_REJECT;
        return;
    }
    uint32_t v = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
    if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT || (v != NF_ACCEPT && v != NF_DROP))
        st->foreign = true;
    st->r->verdict = v == NF_ACCEPT ? FW_V_ACCEPT : FW_V_DROP;
}

static void on_expr(struct dstate *st, struct nftnl_expr *e)
{
    const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
    uint32_t len;
    if (strcmp(name, "meta") == 0) {
        st->meta_key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
    } else if (strcmp(name, "cmp") == 0) {
        on_cmp(st, e);
    } else if (strcmp(name, "payload") == 0) {
        st->have_payload = true;
        st->pl_base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
        st->pl_off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
        st->pl_len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
    } else if (strcmp(name, "bitwise") == 0) {
        const void *m = nftnl_expr_get_data(e, NFTNL_EXPR_BITWISE_MASK, &len);
        st->have_mask = m && len <= sizeof st->mask;
        if (st->have_mask)
            memcpy(st->mask, m, len);
    } else if (strcmp(name, "ct") == 0) {
        st->ct_pending = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_STATE;
        st->foreign |= !st->ct_pending;
    } else if (strcmp(name, "lookup") == 0) {
        on_lookup(st, e);
    } else if (strcmp(name, "dynset") == 0) {
        on_dynset(st, e);
    } else if (strcmp(name, "limit") == 0) {
        st->r->limit.kind = FW_L_PLAIN;
        read_limit(&st->r->limit, e);
    } else if (strcmp(name, "counter") == 0) {
        st->r->counter = true;
        st->r->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
        st->r->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
    } else if (strcmp(name, "log") == 0) {
        const char *p = nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX);
        st->r->log_prefix = fw_ruleset_strdup(st->rs, p ? p : "");
    } else if (strcmp(name, "immediate") == 0 || strcmp(name, "reject") == 0) {
        on_verdict(st, e, name[0] == 'r');
    } else {
        st->foreign = true;
    }
}

/* The comment: userdata TLV type 0 (NFTNL_UDATA_RULE_COMMENT). */
static void read_comment(const struct nftnl_rule *nr, struct fw_rule *r)
{
    uint32_t len = 0;
    const uint8_t *ud = nftnl_rule_get_data(nr, NFTNL_RULE_USERDATA, &len);
    for (uint32_t i = 0; ud && i + 2 <= len;) {
        uint8_t type = ud[i], n = ud[i + 1];
        if (i + 2u + n > len)
            break;
        if (type == 0 && n > 0)
            snprintf(r->comment, sizeof r->comment, "%.*s", (int)n, (const char *)ud + i + 2);
        i += 2u + n;
    }
}

int fw_decompile_rule(struct fw_ruleset *rs, const struct nftnl_rule *nr, enum policy_dir chain,
                      const struct fw_anon_lookup *anon)
{
    struct fw_rule *r = fw_ruleset_add_rule(rs, chain);
    if (!r)
        return -1;
    struct dstate st = {.rs = rs, .anon = anon, .r = r};
    struct nftnl_expr_iter *it = nftnl_expr_iter_create(nr);
    if (!it)
        return -1;
    for (struct nftnl_expr *e = nftnl_expr_iter_next(it); e && !st.foreign; e = nftnl_expr_iter_next(it))
        on_expr(&st, e);
    nftnl_expr_iter_destroy(it);
    read_comment(nr, r);
    if (st.foreign || st.meta_key || st.have_payload || st.ct_pending)
        return 1;
    return 0;
}
