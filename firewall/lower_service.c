/*
 * Blocklist rules apply to the service ports only. The dynamic blocklist
 * is filled at run time (the daemon's abuse detector, `rampart-fw block`)
 * from what clients did to the service; a blocked address must still reach
 * what the policy opens to it by name (VRRP from the peers, SSH and metrics
 * from the administrators), or whoever can get an address blocked can cut
 * the gateway off from its peer or its operators. See lower_internal.h.
 */
#include "firewall/lower_internal.h"

#include <stdlib.h>
#include <string.h>

bool fw_lower_is_service(const struct policy_rule *pr)
{
    return pr->dir == POLICY_DIR_IN && pr->action == POLICY_ACCEPT && !pr->src.present &&
           (pr->proto == POLICY_PROTO_TCP || pr->proto == POLICY_PROTO_UDP);
}

static bool no_ports(const struct policy_ports *p)
{
    return p->n == 0 && !p->is_set;
}

bool fw_lower_is_blocklist(const struct policy *pol, const struct policy_rule *pr)
{
    if (pr->dir != POLICY_DIR_IN || pr->action == POLICY_ACCEPT || !pr->src.present || !pr->src.is_set)
        return false;
    const struct policy_set *s = &pol->sets[pr->src.set];
    bool named = strcmp(s->name, POLICY_BLOCKLIST4) == 0 || strcmp(s->name, POLICY_BLOCKLIST6) == 0;
    return named && s->dynamic && pr->proto < 0 && no_ports(&pr->sport) && no_ports(&pr->dport);
}

/* A growable list of port ranges. */
struct port_list {
    struct policy_port_range *r;
    size_t n, cap;
};

static int port_list_add(struct port_list *l, struct policy_port_range pr)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct policy_port_range *grown = realloc(l->r, cap * sizeof *grown);
        if (!grown)
            return -1;
        l->r = grown;
        l->cap = cap;
    }
    l->r[l->n++] = pr;
    return 0;
}

static int cmp_range(const void *a, const void *b)
{
    const struct policy_port_range *x = a, *y = b;
    return x->lo != y->lo ? (int)x->lo - (int)y->lo : (int)x->hi - (int)y->hi;
}

/* Sorted, overlapping ranges merged (touching ones stay apart, as nft
 * keeps them). */
static void port_list_merge(struct port_list *l)
{
    if (l->n < 2)
        return;
    qsort(l->r, l->n, sizeof l->r[0], cmp_range);
    size_t out = 0;
    for (size_t i = 1; i < l->n; i++) {
        if (l->r[i].lo <= l->r[out].hi) {
            if (l->r[i].hi > l->r[out].hi)
                l->r[out].hi = l->r[i].hi;
        } else {
            l->r[++out] = l->r[i];
        }
    }
    l->n = out + 1;
}

/* The rule's ports into the list; 1 when it names none (every port). */
static int add_rule_ports(const struct policy *pol, const struct policy_ports *p, struct port_list *l)
{
    if (no_ports(p))
        return 1;
    if (p->is_set) {
        const struct policy_set *s = &pol->sets[p->set];
        for (size_t i = 0; i < s->n_elems; i++)
            if (port_list_add(l, s->elems[i].ports) < 0)
                return -1;
        return 0;
    }
    for (unsigned i = 0; i < p->n; i++)
        if (port_list_add(l, p->r[i]) < 0)
            return -1;
    return 0;
}

static void put_port(uint8_t *b, uint16_t port)
{
    b[0] = (uint8_t)(port >> 8);
    b[1] = (uint8_t)port;
}

/* The merged list as one match: a value, a range or an anonymous set. */
static int port_list_match(const struct port_list *l, struct fw_match *m)
{
    if (l->n == 1) {
        m->kind = l->r[0].lo == l->r[0].hi ? FW_M_VALUE : FW_M_RANGE;
        m->port_lo = l->r[0].lo;
        m->port_hi = l->r[0].hi;
        return 1;
    }
    m->kind = FW_M_ANON;
    m->anon.key = FW_KEY_PORT;
    m->anon.ranges = calloc(l->n, sizeof *m->anon.ranges);
    if (!m->anon.ranges)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        put_port(m->anon.ranges[i].lo, l->r[i].lo);
        put_port(m->anon.ranges[i].hi, l->r[i].hi);
        m->anon.interval |= l->r[i].lo != l->r[i].hi; /* as nft does: a hash unless ranges */
    }
    m->anon.n_ranges = l->n;
    return 1;
}

int fw_lower_service_ports(const struct policy *pol, int proto, struct fw_match *out)
{
    memset(out, 0, sizeof *out);
    struct port_list l = {0};
    bool any = false, every_port = false;
    int rc = 0;
    for (unsigned i = 0; rc >= 0 && i < pol->n_rules; i++) {
        const struct policy_rule *pr = &pol->rules[i];
        if (!fw_lower_is_service(pr) || pr->proto != proto)
            continue;
        any = true;
        rc = add_rule_ports(pol, &pr->dport, &l);
        every_port |= rc == 1;
    }
    if (rc >= 0 && any && !every_port) {
        port_list_merge(&l);
        rc = port_list_match(&l, out);
    } else if (rc >= 0) {
        rc = any ? 1 : 0;
    }
    free(l.r);
    return rc;
}
