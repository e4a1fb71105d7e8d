/*
 * Policy -> ruleset (see ruleset.h). Pure: the same policy always gives the
 * same ruleset, which is what makes `render` a faithful review copy.
 */
#include "firewall/ruleset.h"

#include "firewall/lower_internal.h"

#include <stdlib.h>
#include <string.h>

/* ICMP types IPv4 needs: unreachable (incl. "fragmentation needed", PMTU),
 * time exceeded, parameter problem. IPv6 adds packet-too-big and neighbour
 * discovery, without which it does not work at all. */
static const uint8_t icmp4_needed[] = {3, 11, 12};
static const uint8_t icmp6_needed[] = {1, 2, 3, 4, 133, 134, 135, 136};

unsigned fw_key_len(enum fw_key key)
{
    switch (key) {
    case FW_KEY_IPV4: return 4;
    case FW_KEY_IPV6: return 16;
    case FW_KEY_PORT: return 2;
    case FW_KEY_ICMP:
    case FW_KEY_ICMPV6: return 1;
    }
    return 0;
}

static void elem_to_range(const struct policy_elem *e, enum fw_key key, struct fw_range *r)
{
    memset(r, 0, sizeof *r);
    if (key == FW_KEY_PORT) {
        r->lo[0] = (uint8_t)(e->ports.lo >> 8), r->lo[1] = (uint8_t)e->ports.lo;
        r->hi[0] = (uint8_t)(e->ports.hi >> 8), r->hi[1] = (uint8_t)e->ports.hi;
        return;
    }
    policy_elem_bounds(e, r->lo, r->hi);
}

long fw_ranges_from_elems(const struct policy_elem *elems, size_t n, enum fw_key key, struct fw_range **out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    struct fw_range *r = calloc(n, sizeof *r);
    if (!r)
        return -1;
    for (size_t i = 0; i < n; i++)
        elem_to_range(&elems[i], key, &r[i]);
    *out = r;
    return (long)n;
}

static int lower_sets(const struct policy *pol, struct fw_ruleset *rs)
{
    for (unsigned i = 0; i < pol->n_sets; i++) {
        const struct policy_set *ps = &pol->sets[i];
        struct fw_set *s = &rs->sets[rs->n_sets++];
        snprintf(s->name, sizeof s->name, "%s", ps->name);
        s->key = ps->type == POLICY_SET_IPV4   ? FW_KEY_IPV4
                 : ps->type == POLICY_SET_IPV6 ? FW_KEY_IPV6
                                               : FW_KEY_PORT;
        s->dynamic = ps->dynamic;
        /* static sets are interval sets: CIDRs and port ranges, and the
         * kernel keeps them sorted, so nft lists them in a stable order */
        s->interval = !ps->dynamic;
        s->timeout_flag = ps->dynamic;
        s->timeout_ms = ps->timeout_ms;
        long n = fw_ranges_from_elems(ps->elems, ps->n_elems, s->key, &s->ranges);
        if (n < 0)
            return -1;
        s->n_ranges = (size_t)n;
    }
    return 0;
}

/* A meter set: per-source state of one rate-limited rule. */
static const char *add_meter(struct fw_ruleset *rs, const char *rule, int family)
{
    struct fw_set *s = &rs->sets[rs->n_sets++];
    snprintf(s->name, sizeof s->name, "rl%c_%s", family == AF_INET ? '4' : '6', rule);
    s->key = family == AF_INET ? FW_KEY_IPV4 : FW_KEY_IPV6;
    s->dynamic = true;
    s->timeout_flag = true;
    s->timeout_ms = FW_METER_TIMEOUT_MS;
    s->size = FW_METER_SIZE;
    return s->name;
}

struct fw_rule *fw_ruleset_add_rule(struct fw_ruleset *rs, enum policy_dir chain)
{
    if (rs->n_rules == rs->cap_rules) {
        size_t cap = rs->cap_rules ? rs->cap_rules * 2 : 64;
        struct fw_rule *grown = realloc(rs->rules, cap * sizeof *grown);
        if (!grown)
            return NULL;
        rs->rules = grown;
        rs->cap_rules = cap;
    }
    struct fw_rule *r = &rs->rules[rs->n_rules++];
    memset(r, 0, sizeof *r);
    r->chain = chain;
    r->proto = -1;
    return r;
}

static void set_anon(struct fw_match *m, enum fw_key key, const uint8_t *vals, size_t n)
{
    m->kind = FW_M_ANON;
    m->anon.key = key;
    m->anon.n_ranges = n;
    m->anon.ranges = calloc(n, sizeof *m->anon.ranges);
    for (size_t i = 0; m->anon.ranges && i < n; i++)
        m->anon.ranges[i].lo[0] = m->anon.ranges[i].hi[0] = vals[i];
}

static int add_always(struct fw_ruleset *rs, enum policy_dir chain)
{
    struct fw_rule *r;
    if (!(r = fw_ruleset_add_rule(rs, chain)))
        return -1;
    r->ct_state = POLICY_CT_ESTABLISHED | POLICY_CT_RELATED;
    r->verdict = FW_V_ACCEPT;
    snprintf(r->comment, sizeof r->comment, "rampart: replies to allowed traffic");
    if (!(r = fw_ruleset_add_rule(rs, chain)))
        return -1;
    r->ct_state = POLICY_CT_INVALID;
    r->verdict = FW_V_DROP;
    snprintf(r->comment, sizeof r->comment, "rampart: invalid packets");
    if (chain != POLICY_DIR_FORWARD) {
        if (!(r = fw_ruleset_add_rule(rs, chain)))
            return -1;
        if (chain == POLICY_DIR_IN)
            r->iif = "lo";
        else
            r->oif = "lo";
        r->verdict = FW_V_ACCEPT;
        snprintf(r->comment, sizeof r->comment, "rampart: loopback");
    }
    for (int v6 = 0; v6 <= 1; v6++) {
        if (!(r = fw_ruleset_add_rule(rs, chain)))
            return -1;
        r->proto = v6 ? POLICY_PROTO_ICMPV6 : POLICY_PROTO_ICMP;
        if (v6)
            set_anon(&r->icmp_type, FW_KEY_ICMPV6, icmp6_needed, sizeof icmp6_needed);
        else
            set_anon(&r->icmp_type, FW_KEY_ICMP, icmp4_needed, sizeof icmp4_needed);
        if (!r->icmp_type.anon.ranges)
            return -1;
        r->limit = (struct fw_limit){
            .kind = FW_L_PLAIN, .rate = FW_ICMP_RATE, .burst = FW_ICMP_BURST, .unit = "second"};
        r->verdict = FW_V_ACCEPT;
        snprintf(r->comment, sizeof r->comment, "rampart: %s that IP needs (rate-limited)",
                 v6 ? "ICMPv6" : "ICMP");
    }
    return 0;
}

static int lower_addr(const struct policy *pol, const struct policy_addr *a, struct fw_match *m)
{
    if (!a->present)
        return 0;
    if (a->is_set) {
        m->kind = FW_M_SET;
        m->set = pol->sets[a->set].name;
    } else {
        m->kind = FW_M_VALUE;
        m->prefix = a->prefix;
    }
    return 0;
}

static int lower_ports(const struct policy *pol, const struct policy_ports *p, struct fw_match *m)
{
    if (p->is_set) {
        m->kind = FW_M_SET;
        m->set = pol->sets[p->set].name;
    } else if (p->n == 1) {
        m->kind = p->r[0].lo == p->r[0].hi ? FW_M_VALUE : FW_M_RANGE;
        m->port_lo = p->r[0].lo;
        m->port_hi = p->r[0].hi;
    } else if (p->n > 1) {
        struct policy_elem elems[POLICY_MAX_PORTS];
        bool any_range = false;
        for (unsigned i = 0; i < p->n; i++) {
            elems[i].ports = p->r[i];
            any_range |= p->r[i].lo != p->r[i].hi;
        }
        m->kind = FW_M_ANON;
        m->anon.key = FW_KEY_PORT;
        m->anon.interval = any_range; /* as nft does: a hash unless ranges */
        long n = fw_ranges_from_elems(elems, p->n, FW_KEY_PORT, &m->anon.ranges);
        if (n < 0)
            return -1;
        m->anon.n_ranges = (size_t)n;
    }
    return 0;
}

/* A copy of a port match that owns its own ranges. */
static int copy_match(const struct fw_match *from, struct fw_match *to)
{
    *to = *from;
    if (from->kind != FW_M_ANON)
        return 0;
    to->anon.ranges = calloc(from->anon.n_ranges, sizeof *to->anon.ranges);
    if (!to->anon.ranges)
        return -1;
    memcpy(to->anon.ranges, from->anon.ranges, from->anon.n_ranges * sizeof *to->anon.ranges);
    return 0;
}

/* The matches of a policy rule, shared by its over-limit twin. */
static int lower_matches(const struct policy *pol, const struct policy_rule *pr, struct fw_rule *r)
{
    r->iif = pr->iif[0] ? pr->iif : NULL;
    r->oif = pr->oif[0] ? pr->oif : NULL;
    r->has_skuid = pr->has_user;
    r->skuid = pr->uid;
    int fs = policy_addr_family(pol, &pr->src);
    r->family = fs ? fs : policy_addr_family(pol, &pr->dst);
    r->proto = pr->proto;
    r->ct_state = pr->ct_state;
    if (lower_addr(pol, &pr->src, &r->src) < 0 || lower_addr(pol, &pr->dst, &r->dst) < 0)
        return -1;
    if (lower_ports(pol, &pr->sport, &r->sport) < 0 || lower_ports(pol, &pr->dport, &r->dport) < 0)
        return -1;
    return 0;
}

static void rule_comment(const struct policy_rule *pr, const char *extra, struct fw_rule *r)
{
    if (extra)
        snprintf(r->comment, sizeof r->comment, "%s: %s", pr->name, extra);
    else if (pr->comment[0])
        snprintf(r->comment, sizeof r->comment, "%s: %.*s", pr->name, POLICY_COMMENT_MAX, pr->comment);
    else
        snprintf(r->comment, sizeof r->comment, "%s", pr->name);
}

/* Over the limit: dropped and counted, before the rule itself. */
static int lower_over_limit(const struct policy *pol, const struct policy_rule *pr, struct fw_ruleset *rs)
{
    const struct policy_limit *l = &pr->limit;
    unsigned burst = l->burst ? l->burst : FW_NFT_DEFAULT_BURST;
    int fam = policy_addr_family(pol, &pr->src);
    if (!fam)
        fam = policy_addr_family(pol, &pr->dst);
    for (int f = 0; f < 2; f++) {
        int family = f == 0 ? AF_INET : AF_INET6;
        if (l->per_source && fam && fam != family)
            continue;
        if (!l->per_source && f == 1)
            break;
        struct fw_rule *r = fw_ruleset_add_rule(rs, pr->dir);
        if (!r || lower_matches(pol, pr, r) < 0)
            return -1;
        r->limit = (struct fw_limit){.kind = l->per_source ? FW_L_METER : FW_L_PLAIN,
                                     .rate = l->rate,
                                     .burst = burst,
                                     .unit = l->unit,
                                     .over = true};
        if (l->per_source) {
            r->limit.meter = add_meter(rs, pr->name, family);
            r->family = family;
        }
        r->counter = true;
        r->verdict = FW_V_DROP;
        rule_comment(pr, "over the limit", r);
    }
    return 0;
}

/* The rule itself (after its over-limit twin, if any); the caller may
 * narrow what it matches before it is used. NULL when out of memory. */
static struct fw_rule *lower_rule_body(const struct policy *pol, const struct policy_rule *pr,
                                       struct fw_ruleset *rs)
{
    struct fw_rule *r = fw_ruleset_add_rule(rs, pr->dir);
    if (!r || lower_matches(pol, pr, r) < 0)
        return NULL;
    r->counter = pr->counter;
    r->log_prefix = pr->log_prefix[0] ? pr->log_prefix : NULL;
    r->verdict = pr->action == POLICY_ACCEPT ? FW_V_ACCEPT
                 : pr->action == POLICY_DROP ? FW_V_DROP
                                             : FW_V_REJECT;
    rule_comment(pr, NULL, r);
    return r;
}

static int lower_rule(const struct policy *pol, const struct policy_rule *pr, struct fw_ruleset *rs)
{
    if (pr->limit.present && lower_over_limit(pol, pr, rs) < 0)
        return -1;
    return lower_rule_body(pol, pr, rs) ? 0 : -1;
}

static int add_chain_end(const struct policy *pol, struct fw_ruleset *rs, enum policy_dir chain)
{
    if (pol->dflt[chain] != POLICY_DROP)
        return 0;
    struct fw_rule *r;
    if (pol->log_drops) {
        static const char *const prefixes[POLICY_DIR_COUNT] = {
            "rampart drop input: ", "rampart drop forward: ", "rampart drop output: "};
        if (!(r = fw_ruleset_add_rule(rs, chain)))
            return -1;
        r->limit = (struct fw_limit){
            .kind = FW_L_PLAIN, .rate = FW_LOG_RATE, .burst = FW_NFT_DEFAULT_BURST, .unit = "minute"};
        r->log_prefix = prefixes[chain];
        snprintf(r->comment, sizeof r->comment, "rampart: log dropped packets (rate-limited)");
    }
    if (!(r = fw_ruleset_add_rule(rs, chain)))
        return -1;
    r->counter = true;
    r->verdict = FW_V_DROP;
    snprintf(r->comment, sizeof r->comment, "rampart: default drop");
    return 0;
}

/* The blocklist rules, narrowed to the service ports: one copy per
 * protocol the service rules use (tcp, then udp). */
static int lower_blocklists(const struct policy *pol, struct fw_ruleset *rs)
{
    static const int protos[] = {POLICY_PROTO_TCP, POLICY_PROTO_UDP};
    for (size_t k = 0; k < sizeof protos / sizeof protos[0]; k++) {
        struct fw_match ports;
        int n = fw_lower_service_ports(pol, protos[k], &ports);
        for (unsigned i = 0; n > 0 && i < pol->n_rules; i++) {
            if (!fw_lower_is_blocklist(pol, &pol->rules[i]))
                continue;
            struct fw_rule *r = lower_rule_body(pol, &pol->rules[i], rs);
            if (!r || copy_match(&ports, &r->dport) < 0)
                n = -1;
            else
                r->proto = protos[k];
        }
        if (ports.kind == FW_M_ANON)
            free(ports.anon.ranges);
        if (n < 0)
            return -1;
    }
    return 0;
}

/* The first service rule of the input chain, or -1 when there is none
 * (a policy that accepts by default: the blocklist then applies to
 * everything, where the file puts it). */
static int first_service(const struct policy *pol)
{
    for (unsigned i = 0; i < pol->n_rules; i++)
        if (fw_lower_is_service(&pol->rules[i]))
            return (int)i;
    return -1;
}

/* A chain in file order, except that blocklist rules move to just before
 * the first service rule (so before the services, and after whatever the
 * file lets in by source ahead of them: VRRP, SSH, metrics). */
static int lower_chain(const struct policy *pol, struct fw_ruleset *out, enum policy_dir c)
{
    int first = c == POLICY_DIR_IN ? first_service(pol) : -1;
    if (add_always(out, c) < 0)
        return -1;
    for (unsigned i = 0; i < pol->n_rules; i++) {
        const struct policy_rule *pr = &pol->rules[i];
        if (pr->dir != c || (first >= 0 && fw_lower_is_blocklist(pol, pr)))
            continue;
        if ((int)i == first && lower_blocklists(pol, out) < 0)
            return -1;
        if (lower_rule(pol, pr, out) < 0)
            return -1;
    }
    return add_chain_end(pol, out, c);
}

int fw_lower(const struct policy *pol, struct fw_ruleset *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->dflt, pol->dflt, sizeof out->dflt);
    /* user sets plus at most two meters per rule */
    out->cap_sets = pol->n_sets + 2 * (size_t)pol->n_rules + 1;
    out->sets = calloc(out->cap_sets, sizeof *out->sets);
    if (!out->sets || lower_sets(pol, out) < 0)
        goto fail;
    for (int c = 0; c < POLICY_DIR_COUNT; c++)
        if (lower_chain(pol, out, (enum policy_dir)c) < 0)
            goto fail;
    return 0;
fail:
    fw_ruleset_free(out);
    return -1;
}

static void free_match(struct fw_match *m)
{
    if (m->kind == FW_M_ANON)
        free(m->anon.ranges);
}

void fw_ruleset_free(struct fw_ruleset *rs)
{
    for (size_t i = 0; i < rs->n_sets; i++)
        free(rs->sets[i].ranges);
    for (size_t i = 0; i < rs->n_rules; i++) {
        free_match(&rs->rules[i].sport);
        free_match(&rs->rules[i].dport);
        free_match(&rs->rules[i].icmp_type);
    }
    for (size_t i = 0; i < rs->n_strings; i++)
        free(rs->strings[i]);
    free(rs->strings);
    free(rs->sets);
    free(rs->rules);
    memset(rs, 0, sizeof *rs);
}

struct fw_set *fw_ruleset_add_set(struct fw_ruleset *rs)
{
    if (rs->n_sets == rs->cap_sets) {
        size_t cap = rs->cap_sets ? rs->cap_sets * 2 : 16;
        struct fw_set *grown = realloc(rs->sets, cap * sizeof *grown);
        if (!grown)
            return NULL;
        rs->sets = grown;
        rs->cap_sets = cap;
    }
    struct fw_set *s = &rs->sets[rs->n_sets++];
    memset(s, 0, sizeof *s);
    return s;
}

const char *fw_ruleset_strdup(struct fw_ruleset *rs, const char *s)
{
    if (rs->n_strings == rs->cap_strings) {
        size_t cap = rs->cap_strings ? rs->cap_strings * 2 : 32;
        char **grown = realloc(rs->strings, cap * sizeof *grown);
        if (!grown)
            return NULL;
        rs->strings = grown;
        rs->cap_strings = cap;
    }
    char *copy = strdup(s);
    if (copy)
        rs->strings[rs->n_strings++] = copy;
    return copy;
}
