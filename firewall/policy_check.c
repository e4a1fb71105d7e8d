/*
 * Checks that need the whole policy: each rule is complete and consistent
 * (address families, protocols for ports, interfaces for the direction),
 * sets are well formed (sorted, no overlaps), and warnings for what is
 * legal but probably a mistake: a rule no packet can reach because an
 * earlier rule takes all its packets, and admin ports open to anyone.
 */
#include "firewall/policy.h"

#include <stdlib.h>
#include <string.h>

int policy_find_set(const struct policy *pol, const char *name)
{
    for (unsigned i = 0; i < pol->n_sets; i++)
        if (strcmp(pol->sets[i].name, name) == 0)
            return (int)i;
    return -1;
}

int policy_addr_family(const struct policy *pol, const struct policy_addr *a)
{
    if (!a->present)
        return 0;
    if (a->is_set)
        return pol->sets[a->set].type == POLICY_SET_IPV4 ? AF_INET : AF_INET6;
    return a->prefix.addr.family;
}

void policy_elem_bounds(const struct policy_elem *e, uint8_t lo[16], uint8_t hi[16])
{
    unsigned n = e->prefix.addr.family == AF_INET ? 4 : 16;
    memset(lo, 0, 16);
    memset(hi, 0, 16);
    memcpy(lo, &e->prefix.addr.u, n);
    if (e->is_range) {
        memcpy(hi, &e->last.u, n);
        return;
    }
    memcpy(hi, &e->prefix.addr.u, n);
    for (unsigned bit = e->prefix.len; bit < n * 8; bit++)
        hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
}

const char *policy_elem_format(const struct policy_elem *e, char *buf, size_t len)
{
    char a[PARSE_ADDR_STR_MAX], b[PARSE_ADDR_STR_MAX];
    format_ip(&e->prefix.addr, a, sizeof a);
    if (e->is_range)
        snprintf(buf, len, "%s-%s", a, format_ip(&e->last, b, sizeof b));
    else
        snprintf(buf, len, "%s/%u", a, e->prefix.len);
    return buf;
}

/* Address order: by first address, the wider element first. */
static int cmp_elem_addr(const void *a, const void *b)
{
    uint8_t alo[16], ahi[16], blo[16], bhi[16];
    policy_elem_bounds(a, alo, ahi);
    policy_elem_bounds(b, blo, bhi);
    int c = memcmp(alo, blo, 16);
    return c ? c : memcmp(bhi, ahi, 16);
}

static int cmp_elem_port(const void *a, const void *b)
{
    const struct policy_elem *x = a, *y = b;
    return (int)x->ports.lo - (int)y->ports.lo;
}

/* Is `inner` inside `outer`? (same family) */
static bool prefix_contains(const struct ip_prefix *outer, const struct ip_prefix *inner)
{
    if (outer->addr.family != inner->addr.family || outer->len > inner->len)
        return false;
    const uint8_t *a = (const uint8_t *)&outer->addr.u, *b = (const uint8_t *)&inner->addr.u;
    unsigned bits = outer->len;
    for (unsigned i = 0; bits > 0; i++, bits = bits >= 8 ? bits - 8 : 0) {
        uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        if ((a[i] & mask) != (b[i] & mask))
            return false;
    }
    return true;
}

static void check_set(const struct policy *pol, struct policy_set *set, struct policy_diags *d)
{
    const char *f = pol->file;
    if (!set->has_type) {
        policy_error(d, f, set->line, "set '%s': missing 'type'", set->name);
        return;
    }
    if (set->timeout_ms && !set->dynamic)
        policy_error(d, f, set->line, "set '%s': 'timeout' needs 'dynamic = yes'", set->name);
    if (set->n_elems == 0)
        return;
    if (set->type == POLICY_SET_PORT) {
        qsort(set->elems, set->n_elems, sizeof set->elems[0], cmp_elem_port);
        for (size_t i = 1; i < set->n_elems; i++)
            if (set->elems[i].ports.lo <= set->elems[i - 1].ports.hi) {
                policy_error(d, f, set->line, "set '%s': port %u is listed twice", set->name,
                             set->elems[i].ports.lo);
                return;
            }
        return;
    }
    qsort(set->elems, set->n_elems, sizeof set->elems[0], cmp_elem_addr);
    char a[PARSE_ADDR_STR_MAX * 2], b[PARSE_ADDR_STR_MAX * 2];
    /* in address order, an element overlaps an earlier one exactly when it
     * starts before the furthest end seen so far */
    uint8_t far[16] = {0};
    size_t far_elem = 0;
    for (size_t i = 0; i < set->n_elems; i++) {
        const struct policy_elem *e = &set->elems[i];
        unsigned full = e->prefix.addr.family == AF_INET ? 32 : 128;
        if (set->dynamic && (e->is_range || e->prefix.len != full)) {
            policy_error(d, f, set->line, "set '%s': a dynamic set holds single addresses, not %s", set->name,
                         policy_elem_format(e, a, sizeof a));
            return;
        }
        uint8_t lo[16], hi[16];
        policy_elem_bounds(e, lo, hi);
        if (i > 0 && memcmp(lo, far, sizeof far) <= 0) {
            policy_error(d, f, set->line, "set '%s': %s overlaps %s", set->name,
                         policy_elem_format(&set->elems[far_elem], a, sizeof a),
                         policy_elem_format(e, b, sizeof b));
            return;
        }
        memcpy(far, hi, sizeof far);
        far_elem = i;
    }
}

static void check_rule_family(const struct policy *pol, const struct policy_rule *r, struct policy_diags *d)
{
    const char *f = pol->file;
    int fs = policy_addr_family(pol, &r->src), fd = policy_addr_family(pol, &r->dst);
    if (fs && fd && fs != fd)
        policy_error(d, f, r->line_dst, "rule '%s': source is IPv%c but destination is IPv%c", r->name,
                     fs == AF_INET ? '4' : '6', fd == AF_INET ? '4' : '6');
    int fam = fs ? fs : fd;
    if (r->proto == POLICY_PROTO_ICMP && fam == AF_INET6)
        policy_error(d, f, r->line_proto, "rule '%s': protocol icmp with IPv6 addresses (use icmpv6)",
                     r->name);
    if (r->proto == POLICY_PROTO_ICMPV6 && fam == AF_INET)
        policy_error(d, f, r->line_proto, "rule '%s': protocol icmpv6 with IPv4 addresses (use icmp)",
                     r->name);
}

static void check_rule(const struct policy *pol, struct policy_rule *r, struct policy_diags *d)
{
    const char *f = pol->file;
    if (!r->has_dir)
        r->dir = POLICY_DIR_IN;
    if (!r->has_action)
        policy_error(d, f, r->line, "rule '%s': missing 'action' (accept, drop or reject)", r->name);
    if (r->iif[0] && r->dir == POLICY_DIR_OUT)
        policy_error(d, f, r->line, "rule '%s': 'iif' has no meaning for direction out", r->name);
    if (r->oif[0] && r->dir == POLICY_DIR_IN)
        policy_error(d, f, r->line, "rule '%s': 'oif' has no meaning for direction in", r->name);
    if (r->has_user && r->dir != POLICY_DIR_OUT)
        policy_error(d, f, r->line_user,
                     "rule '%s': 'user' matches the sending process: only for direction out", r->name);
    bool has_ports = r->sport.n || r->sport.is_set || r->dport.n || r->dport.is_set;
    if (has_ports && r->proto != POLICY_PROTO_TCP && r->proto != POLICY_PROTO_UDP)
        policy_error(d, f, r->line_dport ? r->line_dport : r->line,
                     "rule '%s': ports need 'protocol = tcp' or 'protocol = udp'", r->name);
    check_rule_family(pol, r, d);
    if (r->limit.present && r->action != POLICY_ACCEPT)
        policy_error(d, f, r->line_limit,
                     "rule '%s': limit needs action accept (packets over the limit are dropped)", r->name);
}

/* ---- warnings ---- */

static bool addr_covers(const struct policy_addr *a, const struct policy_addr *b)
{
    if (!a->present)
        return true;
    if (!b->present || a->is_set != b->is_set)
        return false;
    return a->is_set ? a->set == b->set : prefix_contains(&a->prefix, &b->prefix);
}

static bool ports_cover(const struct policy_ports *a, const struct policy_ports *b)
{
    if (!a->n && !a->is_set)
        return true;
    if (a->is_set || b->is_set)
        return a->is_set && b->is_set && a->set == b->set;
    if (!b->n)
        return false;
    for (unsigned i = 0; i < b->n; i++) {
        bool inside = false;
        for (unsigned j = 0; j < a->n && !inside; j++)
            inside = a->r[j].lo <= b->r[i].lo && b->r[i].hi <= a->r[j].hi;
        if (!inside)
            return false;
    }
    return true;
}

/* Does every packet that matches `b` also match `a`? */
static bool rule_covers(const struct policy_rule *a, const struct policy_rule *b)
{
    if (a->dir != b->dir || a->limit.present)
        return false;
    if ((a->iif[0] && strcmp(a->iif, b->iif)) || (a->oif[0] && strcmp(a->oif, b->oif)))
        return false;
    if (a->proto >= 0 && a->proto != b->proto)
        return false;
    if (a->has_user && (!b->has_user || a->uid != b->uid))
        return false;
    if (a->ct_state && (!b->ct_state || (b->ct_state & ~a->ct_state)))
        return false;
    return addr_covers(&a->src, &b->src) && addr_covers(&a->dst, &b->dst) &&
           ports_cover(&a->sport, &b->sport) && ports_cover(&a->dport, &b->dport);
}

static void warn_shadowed(const struct policy *pol, struct policy_diags *d)
{
    for (unsigned i = 1; i < pol->n_rules; i++) {
        for (unsigned j = 0; j < i; j++) {
            if (rule_covers(&pol->rules[j], &pol->rules[i])) {
                policy_warning(d, pol->file, pol->rules[i].line,
                               "rule '%s' is never reached: rule '%s' (line %d) matches every "
                               "packet it matches",
                               pol->rules[i].name, pol->rules[j].name, pol->rules[j].line);
                break;
            }
        }
    }
}

static bool ports_include(const struct policy *pol, const struct policy_ports *p, unsigned port)
{
    if (p->is_set) {
        const struct policy_set *s = &pol->sets[p->set];
        for (size_t i = 0; i < s->n_elems; i++)
            if (s->elems[i].ports.lo <= port && port <= s->elems[i].ports.hi)
                return true;
        return false;
    }
    if (!p->n)
        return true; /* no port given: every port */
    for (unsigned i = 0; i < p->n; i++)
        if (p->r[i].lo <= port && port <= p->r[i].hi)
            return true;
    return false;
}

static void warn_admin_ports(const struct policy *pol, struct policy_diags *d)
{
    static const struct {
        unsigned port;
        const char *what;
    } admin[] = {{POLICY_ADMIN_PORT_SSH, "SSH"}, {POLICY_ADMIN_PORT_METRICS, "metrics"}};
    for (unsigned i = 0; i < pol->n_rules; i++) {
        const struct policy_rule *r = &pol->rules[i];
        /* a source or an inside interface limits who can connect */
        if (r->dir != POLICY_DIR_IN || r->action != POLICY_ACCEPT || r->src.present || r->iif[0])
            continue;
        if (r->ct_state && !(r->ct_state & POLICY_CT_NEW))
            continue;
        if (r->proto >= 0 && r->proto != POLICY_PROTO_TCP)
            continue;
        for (size_t k = 0; k < sizeof admin / sizeof admin[0]; k++) {
            if (ports_include(pol, &r->dport, admin[k].port)) {
                policy_warning(d, pol->file, r->line,
                               "rule '%s' opens the %s port %u to any source (add 'source')", r->name,
                               admin[k].what, admin[k].port);
                break;
            }
        }
    }
}

unsigned policy_check(struct policy *pol, struct policy_diags *diags)
{
    unsigned before = diags->errors;
    for (unsigned i = 0; i < pol->n_sets; i++)
        check_set(pol, &pol->sets[i], diags);
    for (unsigned i = 0; i < pol->n_rules; i++)
        check_rule(pol, &pol->rules[i], diags);
    if (diags->errors == before) {
        warn_shadowed(pol, diags);
        warn_admin_ports(pol, diags);
    }
    return diags->errors - before;
}
