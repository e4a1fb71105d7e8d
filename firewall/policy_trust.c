/*
 * What a policy admits by source: the addresses the daemon must never put
 * in the blocklist (see policy.h, policy_trusted_sources). Pure.
 */
#include "firewall/policy.h"

#include <string.h>

static void report_elem(const struct policy_elem *e, enum policy_trust kind, policy_trust_fn *fn, void *arg)
{
    uint8_t lo[16], hi[16];
    policy_elem_bounds(e, lo, hi);
    fn(arg, e->prefix.addr.family, lo, hi, kind);
}

/* One rule's source: its prefix, or every element of its (static) set. */
static unsigned report_source(const struct policy *pol, const struct policy_rule *r, policy_trust_fn *fn,
                              void *arg)
{
    enum policy_trust kind = r->proto == POLICY_PROTO_VRRP ? POLICY_TRUST_PEER : POLICY_TRUST_ADMIN;
    if (!r->src.is_set) {
        struct policy_elem e = {.prefix = r->src.prefix};
        report_elem(&e, kind, fn, arg);
        return 1;
    }
    const struct policy_set *s = &pol->sets[r->src.set];
    if (s->dynamic) /* filled at run time (the blocklist itself): not a statement of trust */
        return 0;
    for (size_t i = 0; i < s->n_elems; i++)
        report_elem(&s->elems[i], kind, fn, arg);
    return (unsigned)s->n_elems;
}

unsigned policy_trusted_sources(const struct policy *pol, policy_trust_fn *fn, void *arg)
{
    unsigned n = 0;
    for (unsigned i = 0; i < pol->n_rules; i++) {
        const struct policy_rule *r = &pol->rules[i];
        if (r->dir == POLICY_DIR_IN && r->action == POLICY_ACCEPT && r->src.present)
            n += report_source(pol, r, fn, arg);
    }
    return n;
}
