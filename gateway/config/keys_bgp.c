/*
 * keys_bgp: the keys of [bgp], the announcement of the service addresses
 * to a router over BGP (BIRD) while this node is fit to serve. What the
 * keys mean together is config_validate_bgp.c's; what runs is
 * gateway/ha/announce.h's.
 */
#include "gateway/config/config_internal.h"

#include <stdio.h>
#include <string.h>

/* "198.18.10.10", "198.18.10.10/32", "2001:db8::10/128": one host each. */
static int add_service_address(struct config_loader *ld, struct config_bgp *b, char *item, char *why)
{
    if (b->n_addrs == CONFIG_MAX_SERVICE_ADDRS) {
        WHY("more than %d service addresses", CONFIG_MAX_SERVICE_ADDRS);
        return -1;
    }
    struct ip_prefix *p = &b->addrs[b->n_addrs];
    char *slash = strchr(item, '/');
    long long len = -1;
    if (slash) {
        *slash = '\0';
        if (parse_int_range(slash + 1, 0, 128, &len, why) < 0) {
            WHY("'%s/%s': bad prefix length", item, slash + 1);
            return -1;
        }
    }
    if (parse_ip(item, &p->addr, why) < 0)
        return -1;
    unsigned host = p->addr.family == AF_INET ? 32 : 128;
    if (len >= 0 && (unsigned)len != host) {
        WHY("'%s/%lld': a service address is one host (/%u); the router aggregates, not the gateway", item,
            len, host);
        return -1;
    }
    p->len = host;
    ld->bgp_addr_line[b->n_addrs++] = ld->key_line;
    return 0;
}

static int key_service_address(struct config_loader *ld, void *base, char *value, char *why)
{
    char *items[CONFIG_MAX_SERVICE_ADDRS + 1];
    int n = parse_split_list(value, items, CONFIG_MAX_SERVICE_ADDRS + 1);
    if (n < 0) {
        WHY("more than %d service addresses", CONFIG_MAX_SERVICE_ADDRS);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (add_service_address(ld, base, items[i], why) < 0)
            return -1;
    return 0;
}

static int key_bgp_interface(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_bgp *b = base;
    if (!config_ifname_ok(value)) {
        WHY("'%s' is not an interface name", value);
        return -1;
    }
    snprintf(b->interface, sizeof b->interface, "%s", value);
    return 0;
}

/* 0 (unspec), 253 (default), 254 (main) and 255 (local) are the kernel's
 * own tables: the route must sit where only BIRD's kernel protocol reads
 * it, never where it would route packets. */
static int key_bgp_table(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_bgp *b = base;
    long long t;
    if (parse_int_range(value, 1, CONFIG_BGP_TABLE_MAX, &t, why) < 0)
        return -1;
    if (t >= 253 && t <= 255) {
        WHY("%lld is the kernel's %s table: name a table of Rampart's own (e.g. 100)", t,
            t == 253   ? "default"
            : t == 254 ? "main"
                       : "local");
        return -1;
    }
    b->table = (unsigned)t;
    return 0;
}

static int key_bgp_min_backends(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_bgp *b = base;
    long long n;
    if (parse_int_range(value, 1, CONFIG_MAX_BACKENDS, &n, why) < 0)
        return -1;
    b->min_backends = (unsigned)n;
    ld->bgp_min_backends_line = ld->key_line;
    return 0;
}

static int key_bgp_require_firewall(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_bgp *b = base;
    if (parse_bool(value, &b->require_firewall, why) < 0)
        return -1;
    ld->bgp_firewall_line = ld->key_line;
    return 0;
}

#define B(f) offsetof(struct config_bgp, f)
static const struct config_key bgp_keys[] = {
    {.name = "enabled", .type = KEY_BOOL, .offset = B(enabled)},
    {.name = "service_address", .type = KEY_CUSTOM, .custom = key_service_address, .repeatable = true},
    {.name = "interface", .type = KEY_CUSTOM, .custom = key_bgp_interface},
    {.name = "table", .type = KEY_CUSTOM, .custom = key_bgp_table},
    {.name = "drain_wait", .type = KEY_DURATION, .offset = B(drain_wait_ms), .min = 0, .max = 10 * MS_MINUTE},
    {.name = "min_backends", .type = KEY_CUSTOM, .custom = key_bgp_min_backends},
    {.name = "require_firewall", .type = KEY_CUSTOM, .custom = key_bgp_require_firewall},
    {0},
};

/* One [bgp] section; its header's line is kept for the messages of the
 * rules across keys. */
static void *open_bgp(struct config_loader *ld, const char *instance, unsigned line)
{
    (void)instance;
    if (!ld->cfg->bgp.line)
        ld->cfg->bgp.line = ld->section_line ? ld->section_line : line;
    return &ld->cfg->bgp;
}

static uint64_t *seen_bgp(struct config_loader *ld, void *base)
{
    (void)base;
    return &ld->seen_bgp;
}

const struct config_section config_section_bgp = {"bgp", false, bgp_keys, open_bgp, seen_bgp};
