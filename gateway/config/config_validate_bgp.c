/*
 * Rules for [bgp], once the whole file is read: what an enabled section
 * needs, what its health conditions can be met with, and that no address
 * is both announced over BGP and moved by VRRP (two owners of one address:
 * the router would send a flow to every gateway while VRRP gives the
 * address to one). Each message names the line of the key at fault, or of
 * the [bgp] header.
 */
#include "gateway/config/config_internal.h"

#include <netinet/in.h>
#include <string.h>

static bool same_addr(const struct ip_addr *a, const struct ip_addr *b)
{
    if (a->family != b->family)
        return false;
    return a->family == AF_INET ? a->u.v4.s_addr == b->u.v4.s_addr
                                : memcmp(&a->u.v6, &b->u.v6, sizeof a->u.v6) == 0;
}

static void check_duplicates(struct config_loader *ld)
{
    const struct config_bgp *b = &ld->cfg->bgp;
    char a[PARSE_ADDR_STR_MAX];
    for (unsigned i = 1; i < b->n_addrs; i++)
        for (unsigned j = 0; j < i; j++)
            if (same_addr(&b->addrs[i].addr, &b->addrs[j].addr)) {
                config_error(ld, ld->bgp_addr_line[i], "[bgp] service_address %s is listed twice (line %u)",
                             format_ip(&b->addrs[i].addr, a, sizeof a), ld->bgp_addr_line[j]);
                break;
            }
}

/* An address in [bgp] and in an enabled VRRP instance. */
static void check_vrrp_overlap(struct config_loader *ld)
{
    const struct config *cfg = ld->cfg;
    char a[PARSE_ADDR_STR_MAX], label[CONFIG_NAME_MAX + 8];
    for (unsigned i = 0; i < cfg->bgp.n_addrs; i++)
        for (unsigned v = 0; v < cfg->n_vrrp && v < CONFIG_MAX_VRRP_INSTANCES; v++) {
            const struct config_vrrp *in = &cfg->vrrp[v];
            for (unsigned k = 0; in->enabled && k < in->n_vips; k++) {
                if (!same_addr(&cfg->bgp.addrs[i].addr, &in->vips[k].addr))
                    continue;
                if (in->name[0])
                    snprintf(label, sizeof label, "[vrrp %s]", in->name);
                else
                    snprintf(label, sizeof label, "[vrrp]");
                config_error(ld, ld->bgp_addr_line[i],
                             "[bgp] service_address %s is also a virtual_ip of %s (line %u): an address is "
                             "announced over BGP or moved by VRRP, not both",
                             format_ip(&cfg->bgp.addrs[i].addr, a, sizeof a), label, ld->vrrp_vip_line[v][k]);
            }
        }
}

static void check_health(struct config_loader *ld)
{
    const struct config *cfg = ld->cfg;
    const struct config_bgp *b = &cfg->bgp;
    if (b->min_backends > cfg->n_backends && cfg->n_backends > 0)
        config_error(
            ld, ld->bgp_min_backends_line ? ld->bgp_min_backends_line : b->line,
            "[bgp] min_backends = %u, but only %u backend%s configured: the node would never announce",
            b->min_backends, cfg->n_backends, cfg->n_backends == 1 ? " is" : "s are");
    if (b->require_firewall && !cfg->firewall.policy[0])
        config_error(ld, ld->bgp_firewall_line ? ld->bgp_firewall_line : b->line,
                     "[bgp] require_firewall = yes, but [firewall] names no policy: set one, or "
                     "require_firewall = no to announce an unfirewalled node");
}

void config_validate_bgp(struct config_loader *ld)
{
    const struct config_bgp *b = &ld->cfg->bgp;
    if (!b->enabled)
        return;
    if (b->n_addrs == 0)
        config_error(ld, b->line, "[bgp] enabled, but no 'service_address'");
    check_duplicates(ld);
    check_vrrp_overlap(ld);
    check_health(ld);
}
