/*
 * keys_ha: the keys of [vrrp] and [vrrp NAME] (VRRP instances: their
 * virtual addresses, ARP bursts, tracking and penalties) and [firewall]
 * (the policy file and autoblock). [vrrp] is the instance with no name, as
 * it was when there was only one; [vrrp NAME] adds more (active-active).
 */
#include "gateway/config/config_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- [vrrp] and [vrrp NAME] ------------------------------------------------------------- */

static unsigned vrrp_index(const struct config_loader *ld, const void *base)
{
    return (unsigned)((const struct config_vrrp *)base - ld->cfg->vrrp);
}

static int key_vrrp_vrid(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_vrrp *v = base;
    long long vrid;
    if (parse_int_range(value, 1, 255, &vrid, why) < 0)
        return -1;
    v->vrid = (unsigned)vrid;
    ld->vrrp_vrid_line[vrrp_index(ld, base)] = ld->key_line;
    return 0;
}

static int key_vrrp_interface(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_vrrp *v = base;
    if (!config_ifname_ok(value)) {
        WHY("'%s' is not an interface name", value);
        return -1;
    }
    snprintf(v->interface, sizeof v->interface, "%s", value);
    return 0;
}

/* VRRPv3 counts the advertisement interval in centiseconds (12 bits). */
static int key_advert_interval(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_vrrp *v = base;
    uint64_t ms;
    if (parse_duration_ms(value, 40950, &ms, why) < 0)
        return -1;
    if (ms < 10 || ms % 10 != 0) {
        WHY("%s: VRRPv3 needs a multiple of 10ms between 10ms and 40950ms", value);
        return -1;
    }
    v->advert_interval_cs = (unsigned)(ms / 10);
    return 0;
}

static int key_virtual_ip(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_vrrp *v = base;
    char *items[CONFIG_MAX_VIPS + 1];
    int n = parse_split_list(value, items, CONFIG_MAX_VIPS + 1);
    for (int i = 0; i < n; i++) {
        if (v->n_vips == CONFIG_MAX_VIPS) {
            WHY("more than %d virtual addresses", CONFIG_MAX_VIPS);
            return -1;
        }
        /* "198.18.0.10/24": the address and the prefix length of its subnet */
        char *slash = strchr(items[i], '/');
        struct ip_prefix *p = &v->vips[v->n_vips];
        long long len = -1;
        if (slash) {
            *slash = '\0';
            if (parse_int_range(slash + 1, 0, 128, &len, why) < 0) {
                WHY("'%s/%s': bad prefix length", items[i], slash + 1);
                return -1;
            }
        }
        if (parse_ip(items[i], &p->addr, why) < 0)
            return -1;
        unsigned max = p->addr.family == AF_INET ? 32 : 128;
        if (len > (long long)max) {
            WHY("'%s/%lld': prefix length must be 0-%u", items[i], len, max);
            return -1;
        }
        p->len = len < 0 ? max : (unsigned)len;
        ld->vrrp_vip_line[vrrp_index(ld, base)][v->n_vips++] = ld->key_line;
    }
    return 0;
}

static int key_unicast_peer(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_vrrp *v = base;
    char *items[CONFIG_MAX_PEERS + 1];
    int n = parse_split_list(value, items, CONFIG_MAX_PEERS + 1);
    for (int i = 0; i < n; i++) {
        if (v->n_unicast_peers == CONFIG_MAX_PEERS) {
            WHY("more than %d unicast peers", CONFIG_MAX_PEERS);
            return -1;
        }
        if (parse_ip(items[i], &v->unicast_peers[v->n_unicast_peers], why) < 0)
            return -1;
        ld->vrrp_peer_line[vrrp_index(ld, base)][v->n_unicast_peers++] = ld->key_line;
    }
    return 0;
}

static int key_track_interface(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_vrrp *v = base;
    char *items[CONFIG_MAX_TRACKED_IFS + 1];
    int n = parse_split_list(value, items, CONFIG_MAX_TRACKED_IFS + 1);
    for (int i = 0; i < n; i++) {
        if (v->n_track_interfaces == CONFIG_MAX_TRACKED_IFS) {
            WHY("more than %d tracked interfaces", CONFIG_MAX_TRACKED_IFS);
            return -1;
        }
        if (!config_ifname_ok(items[i])) {
            WHY("'%s' is not an interface name", items[i]);
            return -1;
        }
        snprintf(v->track_interfaces[v->n_track_interfaces++], CONFIG_IFNAME_MAX, "%s", items[i]);
    }
    return 0;
}

#define V(f) offsetof(struct config_vrrp, f)
static const struct config_key vrrp_keys[] = {
    {.name = "enabled", .type = KEY_BOOL, .offset = V(enabled)},
    {.name = "interface", .type = KEY_CUSTOM, .custom = key_vrrp_interface},
    {.name = "vrid", .type = KEY_CUSTOM, .custom = key_vrrp_vrid},
    {.name = "priority", .type = KEY_UINT, .offset = V(priority), .min = 1, .max = 255},
    {.name = "advert_interval", .type = KEY_CUSTOM, .custom = key_advert_interval},
    {.name = "virtual_ip", .type = KEY_CUSTOM, .custom = key_virtual_ip, .repeatable = true},
    {.name = "preempt", .type = KEY_BOOL, .offset = V(preempt)},
    {.name = "preempt_delay", .type = KEY_DURATION, .offset = V(preempt_delay_ms), .min = 0, .max = MS_HOUR},
    {.name = "unicast_peer", .type = KEY_CUSTOM, .custom = key_unicast_peer, .repeatable = true},
    {.name = "garp_count", .type = KEY_UINT, .offset = V(garp_count), .min = 0, .max = 100},
    {.name = "garp_interval", .type = KEY_DURATION, .offset = V(garp_interval_ms), .min = 0, .max = 10000},
    {.name = "garp_repeat_delay",
     .type = KEY_DURATION,
     .offset = V(garp_repeat_delay_ms),
     .min = 0,
     .max = MS_HOUR},
    {.name = "garp_refresh", .type = KEY_DURATION, .offset = V(garp_refresh_ms), .min = 0, .max = MS_DAY},
    {.name = "garp_on_behalf", .type = KEY_BOOL, .offset = V(garp_on_behalf)},
    {.name = "track_interface", .type = KEY_CUSTOM, .custom = key_track_interface, .repeatable = true},
    {.name = "penalty_no_backend", .type = KEY_UINT, .offset = V(penalty_no_backend), .min = 0, .max = 254},
    {.name = "penalty_interface_down",
     .type = KEY_UINT,
     .offset = V(penalty_interface_down),
     .min = 0,
     .max = 254},
    {0},
};

/* ---- [firewall] -------------------------------------------------------------------------- */

static int key_firewall_policy(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_firewall *f = base;
    if (strlen(value) >= sizeof f->policy) {
        WHY("longer than %zu characters", sizeof f->policy - 1);
        return -1;
    }
    snprintf(f->policy, sizeof f->policy, "%s", value);
    ld->policy_line = ld->key_line;
    return 0;
}

#define F(f) offsetof(struct config_firewall, f)
static const struct config_key firewall_keys[] = {
    {.name = "policy", .type = KEY_CUSTOM, .custom = key_firewall_policy},
    {.name = "autoblock", .type = KEY_BOOL, .offset = F(autoblock)},
    {.name = "autoblock_threshold",
     .type = KEY_UINT,
     .offset = F(autoblock_threshold),
     .min = 1,
     .max = 1000000},
    {.name = "autoblock_window",
     .type = KEY_DURATION,
     .offset = F(autoblock_window_ms),
     .min = 1000,
     .max = MS_HOUR},
    {.name = "autoblock_timeout",
     .type = KEY_DURATION,
     .offset = F(autoblock_timeout_ms),
     .min = 1000,
     .max = 7 * MS_DAY},
    {0},
};

/* [vrrp] opens the instance with no name, [vrrp NAME] a named one; the
 * same header again continues that instance's section. */
static void *open_vrrp(struct config_loader *ld, const char *name, unsigned line)
{
    struct config *cfg = ld->cfg;
    for (unsigned i = 0; i < cfg->n_vrrp; i++)
        if (strcmp(cfg->vrrp[i].name, name) == 0)
            return &cfg->vrrp[i];
    if (*name && !config_name_ok(name, false)) {
        config_error(ld, line,
                     "[vrrp %s]: '%s' is not a valid instance name (letters, digits, '-', '.', '_')", name,
                     name);
        return NULL;
    }
    if (cfg->n_vrrp == CONFIG_MAX_VRRP_INSTANCES) {
        if (!ld->vrrp_overflow_reported)
            config_error(ld, line, "more than %d VRRP instances ([vrrp] and [vrrp NAME] sections)",
                         CONFIG_MAX_VRRP_INSTANCES);
        ld->vrrp_overflow_reported = true;
        return NULL;
    }
    struct config_vrrp *v = &cfg->vrrp[cfg->n_vrrp++];
    config_vrrp_defaults(v, name);
    v->line = ld->section_line ? ld->section_line : line;
    return v;
}

static uint64_t *seen_vrrp(struct config_loader *ld, void *base)
{
    return &ld->seen_vrrp[vrrp_index(ld, base)];
}

const struct config_section config_section_vrrp = {"vrrp", true, vrrp_keys, open_vrrp, seen_vrrp};
CONFIG_FIXED_SECTION(firewall, firewall_keys);
