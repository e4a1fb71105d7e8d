/*
 * One rule as nftables expressions: the bytecode nft generates for the same
 * text (learnt from `nft --debug=netlink`), e.g. for "ip saddr @admins tcp
 * dport 22 accept":
 *   meta nfproto == ipv4; payload ip saddr; lookup @admins;
 *   meta l4proto == tcp; payload th dport; cmp == 22; immediate accept
 */
#include "firewall/compile.h"

#include <arpa/inet.h>
#include <libnftnl/expr.h>
#include <net/if.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

#define REG NFT_REG_1

static struct nftnl_expr *add(struct nftnl_rule *r, const char *name)
{
    struct nftnl_expr *e = nftnl_expr_alloc(name);
    if (e)
        nftnl_rule_add_expr(r, e);
    return e;
}

static int meta(struct nftnl_rule *r, uint32_t key)
{
    struct nftnl_expr *e = add(r, "meta");
    if (!e)
        return -1;
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, REG);
    return 0;
}

static int cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
    struct nftnl_expr *e = add(r, "cmp");
    if (!e)
        return -1;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, REG);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    return 0;
}

static int payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
    struct nftnl_expr *e = add(r, "payload");
    if (!e)
        return -1;
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, REG);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    return 0;
}

static int bitwise(struct nftnl_rule *r, const void *mask, uint32_t len)
{
    static const uint8_t zero[16];
    struct nftnl_expr *e = add(r, "bitwise");
    if (!e)
        return -1;
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, REG);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, REG);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
    return 0;
}

static int lookup(struct nftnl_rule *r, const char *set, uint32_t id)
{
    struct nftnl_expr *e = add(r, "lookup");
    if (!e)
        return -1;
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, REG);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
    return 0;
}

static int nfproto(struct nftnl_rule *r, int family)
{
    uint8_t p = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
    return meta(r, NFT_META_NFPROTO) < 0 ? -1 : cmp(r, NFT_CMP_EQ, &p, 1);
}

static int ifname(struct nftnl_rule *r, uint32_t key, const char *name)
{
    char padded[IFNAMSIZ] = {0};
    memcpy(padded, name, strnlen(name, IFNAMSIZ - 1));
    return meta(r, key) < 0 ? -1 : cmp(r, NFT_CMP_EQ, padded, sizeof padded);
}

/* Address offsets in the IPv4 / IPv6 header. */
static uint32_t addr_offset(int family, bool dst)
{
    if (family == AF_INET)
        return dst ? 16 : 12;
    return dst ? 24 : 8;
}

/* A prefix: byte-aligned ones load only their bytes, others are masked. */
static int prefix_match(struct nftnl_rule *r, const struct ip_prefix *p, uint32_t offset)
{
    uint32_t full = p->addr.family == AF_INET ? 4 : 16;
    const uint8_t *a = (const uint8_t *)&p->addr.u;
    if (p->len % 8 == 0) {
        uint32_t n = p->len / 8;
        if (payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, n) < 0)
            return -1;
        return cmp(r, NFT_CMP_EQ, a, n);
    }
    uint8_t mask[16] = {0};
    for (unsigned bit = 0; bit < p->len; bit++)
        mask[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
    if (payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, full) < 0 || bitwise(r, mask, full) < 0)
        return -1;
    return cmp(r, NFT_CMP_EQ, a, full);
}

struct ids {
    uint32_t (*set_id)(const char *name, void *arg);
    void *arg;
    uint32_t *anon_id; /* ids of this rule's anonymous sets: sport, dport, icmp */
};

static int addr_match(struct nftnl_rule *r, const struct fw_rule *fr, const struct fw_match *m, bool dst,
                      const struct ids *ids)
{
    if (m->kind == FW_M_NONE)
        return 0;
    int family = fr->family;
    uint32_t off = addr_offset(family, dst);
    if (nfproto(r, family) < 0)
        return -1;
    if (m->kind == FW_M_SET) {
        if (payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, family == AF_INET ? 4 : 16) < 0)
            return -1;
        return lookup(r, m->set, ids->set_id(m->set, ids->arg));
    }
    return prefix_match(r, &m->prefix, off);
}

static int port_match(struct nftnl_rule *r, const struct fw_match *m, uint32_t offset, uint32_t anon_id,
                      const struct ids *ids)
{
    if (m->kind == FW_M_NONE)
        return 0;
    if (payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2) < 0)
        return -1;
    uint16_t lo = htons(m->port_lo), hi = htons(m->port_hi);
    switch (m->kind) {
    case FW_M_VALUE: return cmp(r, NFT_CMP_EQ, &lo, 2);
    case FW_M_RANGE: return cmp(r, NFT_CMP_GTE, &lo, 2) < 0 ? -1 : cmp(r, NFT_CMP_LTE, &hi, 2);
    case FW_M_ANON: return lookup(r, "__set%d", anon_id);
    case FW_M_SET: return lookup(r, m->set, ids->set_id(m->set, ids->arg));
    case FW_M_NONE: break;
    }
    return 0;
}

static int proto_match(struct nftnl_rule *r, const struct fw_rule *fr, const struct ids *ids)
{
    if (fr->proto < 0)
        return 0;
    uint8_t p = (uint8_t)fr->proto;
    if (meta(r, NFT_META_L4PROTO) < 0 || cmp(r, NFT_CMP_EQ, &p, 1) < 0)
        return -1;
    if (port_match(r, &fr->sport, 0, ids->anon_id[0], ids) < 0 ||
        port_match(r, &fr->dport, 2, ids->anon_id[1], ids) < 0)
        return -1;
    if (fr->icmp_type.kind == FW_M_ANON) {
        if (payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1) < 0)
            return -1;
        return lookup(r, "__set%d", ids->anon_id[2]);
    }
    return 0;
}

static int ct_state(struct nftnl_rule *r, uint32_t state)
{
    if (!state)
        return 0;
    struct nftnl_expr *e = add(r, "ct");
    if (!e)
        return -1;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, REG);
    uint32_t zero = 0;
    return bitwise(r, &state, 4) < 0 ? -1 : cmp(r, NFT_CMP_NEQ, &zero, 4);
}

static uint64_t unit_seconds(const char *unit)
{
    switch (unit[0]) {
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    default: return 1;
    }
}

static struct nftnl_expr *limit_expr(const struct fw_limit *l)
{
    struct nftnl_expr *e = nftnl_expr_alloc("limit");
    if (!e)
        return NULL;
    nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, l->rate);
    nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, unit_seconds(l->unit));
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, l->burst);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, l->over ? NFT_LIMIT_F_INV : 0);
    return e;
}

/* Per-source limit: update the meter set's entry for this source address. */
static int meter(struct nftnl_rule *r, const struct fw_rule *fr, const struct ids *ids)
{
    int family = fr->family;
    if (nfproto(r, family) < 0 ||
        payload(r, NFT_PAYLOAD_NETWORK_HEADER, addr_offset(family, false), family == AF_INET ? 4 : 16) < 0)
        return -1;
    struct nftnl_expr *e = add(r, "dynset");
    struct nftnl_expr *lim = limit_expr(&fr->limit);
    if (!e || !lim) {
        if (lim)
            nftnl_expr_free(lim);
        return -1;
    }
    nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, REG);
    nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
    nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, fr->limit.meter);
    nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, ids->set_id(fr->limit.meter, ids->arg));
    nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, lim, 0); /* the dynset owns it now */
    return 0;
}

static int statements(struct nftnl_rule *r, const struct fw_rule *fr, const struct ids *ids)
{
    if (fr->limit.kind == FW_L_METER && meter(r, fr, ids) < 0)
        return -1;
    if (fr->limit.kind == FW_L_PLAIN) {
        struct nftnl_expr *e = limit_expr(&fr->limit);
        if (!e)
            return -1;
        nftnl_rule_add_expr(r, e);
    }
    if (fr->counter && !add(r, "counter"))
        return -1;
    if (fr->log_prefix) {
        struct nftnl_expr *e = add(r, "log");
        if (!e)
            return -1;
        nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, fr->log_prefix);
    }
    return 0;
}

static int verdict(struct nftnl_rule *r, const struct fw_rule *fr)
{
    if (fr->verdict == FW_V_NONE)
        return 0;
    struct nftnl_expr *e;
    if (fr->verdict == FW_V_REJECT) {
        if (!(e = add(r, "reject")))
            return -1;
        uint32_t type = NFT_REJECT_ICMPX_UNREACH;
        uint8_t code = NFT_REJECT_ICMPX_PORT_UNREACH;
        if (fr->proto == POLICY_PROTO_TCP)
            type = NFT_REJECT_TCP_RST, code = 0;
        else if (fr->family == AF_INET)
            type = NFT_REJECT_ICMP_UNREACH, code = 3; /* port unreachable */
        else if (fr->family == AF_INET6)
            type = NFT_REJECT_ICMP_UNREACH, code = 4; /* ICMPv6 port unreachable */
        nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
        nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
        return 0;
    }
    if (!(e = add(r, "immediate")))
        return -1;
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, fr->verdict == FW_V_ACCEPT ? NF_ACCEPT : NF_DROP);
    return 0;
}

int fw_compile_rule_exprs(struct nftnl_rule *nr, const struct fw_rule *r,
                          uint32_t (*set_id)(const char *name, void *arg), void *arg, uint32_t anon_id[3])
{
    const struct ids ids = {.set_id = set_id, .arg = arg, .anon_id = anon_id};
    if (r->iif && ifname(nr, NFT_META_IIFNAME, r->iif) < 0)
        return -1;
    if (r->oif && ifname(nr, NFT_META_OIFNAME, r->oif) < 0)
        return -1;
    if (r->has_skuid && (meta(nr, NFT_META_SKUID) < 0 || cmp(nr, NFT_CMP_EQ, &r->skuid, sizeof r->skuid) < 0))
        return -1;
    if (addr_match(nr, r, &r->src, false, &ids) < 0 || addr_match(nr, r, &r->dst, true, &ids) < 0)
        return -1;
    if (proto_match(nr, r, &ids) < 0 || ct_state(nr, r->ct_state) < 0)
        return -1;
    if (statements(nr, r, &ids) < 0)
        return -1;
    return verdict(nr, r);
}
