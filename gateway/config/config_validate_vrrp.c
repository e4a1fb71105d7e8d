/*
 * Rules for the VRRP instances, once the whole file is read: what each
 * enabled instance needs, the one address family it speaks, and what two
 * instances may not share (RFC 5798: a VRID is unique per link and family;
 * an address belongs to one virtual router). Each message names the line of
 * the key at fault, or of the instance's first key.
 */
#include "gateway/config/config_internal.h"

#include <netinet/in.h>
#include <string.h>

/* "[vrrp]" or "[vrrp NAME]", for messages. */
static const char *label(const struct config_vrrp *v, char *buf, size_t len)
{
    if (v->name[0])
        snprintf(buf, len, "[vrrp %s]", v->name);
    else
        snprintf(buf, len, "[vrrp]");
    return buf;
}

#define LABEL_MAX (CONFIG_NAME_MAX + 8)

static const char *family_name(int family)
{
    return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* One family per instance: every VIP and unicast peer the first VIP's. */
static void check_family(struct config_loader *ld, unsigned i)
{
    const struct config_vrrp *v = &ld->cfg->vrrp[i];
    char l[LABEL_MAX], a[PARSE_ADDR_STR_MAX];
    int family = config_vrrp_family(v);
    for (unsigned k = 1; k < v->n_vips; k++)
        if (v->vips[k].addr.family != family)
            config_error(ld, ld->vrrp_vip_line[i][k],
                         "%s virtual_ip %s: an instance speaks one family (%s, as its first address); "
                         "put the %s addresses in an instance of their own",
                         label(v, l, sizeof l), format_ip(&v->vips[k].addr, a, sizeof a), family_name(family),
                         family_name(v->vips[k].addr.family));
    for (unsigned k = 0; k < v->n_unicast_peers; k++)
        if (v->unicast_peers[k].family != family)
            config_error(ld, ld->vrrp_peer_line[i][k],
                         "%s unicast_peer %s is not %s, as the instance's addresses", label(v, l, sizeof l),
                         format_ip(&v->unicast_peers[k], a, sizeof a), family_name(family));
}

static void check_instance(struct config_loader *ld, unsigned i)
{
    const struct config_vrrp *v = &ld->cfg->vrrp[i];
    char l[LABEL_MAX];
    if (!v->interface[0])
        config_error(ld, v->line, "%s enabled, but 'interface' is missing", label(v, l, sizeof l));
    if (v->n_vips == 0)
        config_error(ld, v->line, "%s enabled, but no 'virtual_ip'", label(v, l, sizeof l));
    if (v->priority == 255 && v->preempt_delay_ms > 0)
        config_error(ld, v->line, "%s priority 255 (address owner) always preempts; remove 'preempt_delay'",
                     label(v, l, sizeof l));
    check_family(ld, i);
}

static bool same_ip(const struct ip_addr *a, const struct ip_addr *b)
{
    if (a->family != b->family)
        return false;
    return a->family == AF_INET ? a->u.v4.s_addr == b->u.v4.s_addr
                                : memcmp(&a->u.v6, &b->u.v6, sizeof a->u.v6) == 0;
}

/* Instance j against an earlier one, i: the messages point at j. */
static void check_pair(struct config_loader *ld, unsigned i, unsigned j)
{
    const struct config_vrrp *a = &ld->cfg->vrrp[i], *b = &ld->cfg->vrrp[j];
    char la[LABEL_MAX], lb[LABEL_MAX], ip[PARSE_ADDR_STR_MAX];
    if (a->vrid == b->vrid && strcmp(a->interface, b->interface) == 0 &&
        config_vrrp_family(a) == config_vrrp_family(b))
        config_error(ld, ld->vrrp_vrid_line[j] ? ld->vrrp_vrid_line[j] : b->line,
                     "%s vrid %u on %s (%s) is already %s's (line %u): a VRID is unique per link and family",
                     label(b, lb, sizeof lb), b->vrid, b->interface, family_name(config_vrrp_family(b)),
                     label(a, la, sizeof la), a->line);
    for (unsigned k = 0; k < b->n_vips; k++)
        for (unsigned m = 0; m < a->n_vips; m++)
            if (same_ip(&b->vips[k].addr, &a->vips[m].addr))
                config_error(ld, ld->vrrp_vip_line[j][k], "%s virtual_ip %s is already in %s (line %u)",
                             label(b, lb, sizeof lb), format_ip(&b->vips[k].addr, ip, sizeof ip),
                             label(a, la, sizeof la), ld->vrrp_vip_line[i][m]);
}

void config_validate_vrrp(struct config_loader *ld)
{
    const struct config *cfg = ld->cfg;
    for (unsigned j = 0; j < cfg->n_vrrp; j++) {
        if (!cfg->vrrp[j].enabled)
            continue;
        check_instance(ld, j);
        for (unsigned i = 0; i < j; i++)
            if (cfg->vrrp[i].enabled)
                check_pair(ld, i, j);
    }
}
