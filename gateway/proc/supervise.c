/*
 * supervise: pure supervision policy. See supervise.h.
 */
#include "gateway/proc/supervise.h"

#include <string.h>

/* The shortest advert interval of the enabled instances, in ms; 0 if none. */
static uint64_t shortest_advert_ms(const struct config *cfg)
{
    uint64_t best = 0;
    for (unsigned i = 0; i < cfg->n_vrrp && i < CONFIG_MAX_VRRP_INSTANCES; i++) {
        uint64_t ms = (uint64_t)cfg->vrrp[i].advert_interval_cs * 10;
        if (cfg->vrrp[i].enabled && (best == 0 || ms < best))
            best = ms;
    }
    return best;
}

uint64_t supervise_heartbeat_timeout_ms(const struct config *cfg, uint64_t heartbeat_ms)
{
    uint64_t advert = shortest_advert_ms(cfg);
    if (advert == 0)
        return SUPERVISE_HEARTBEAT_TIMEOUT_MS;
    uint64_t floor = SUPERVISE_MIN_MISSED_BEATS * heartbeat_ms;
    return advert < floor ? floor : advert;
}

uint64_t supervise_relay_grace_ms(const struct config *cfg)
{
    if (config_vrrp_enabled_count(cfg) == 0)
        return 0;
    return cfg->gateway.relay_grace_set ? cfg->gateway.relay_grace_ms
                                        : SUPERVISE_RELAY_GRACE_ADVERTS * shortest_advert_ms(cfg);
}

uint64_t supervise_stand_down_at(const struct config *cfg, unsigned fast_failures, uint64_t lost_ms)
{
    if (supervise_restart_delay_ms(fast_failures) > 0) /* crash loop: no relay soon */
        return lost_ms;
    return lost_ms + supervise_relay_grace_ms(cfg);
}

uint64_t supervise_restart_delay_ms(unsigned fast_failures)
{
    if (fast_failures <= 1)
        return 0;
    uint64_t delay = SUPERVISE_FIRST_BACKOFF_MS;
    for (unsigned i = 2; i < fast_failures && delay < SUPERVISE_MAX_BACKOFF_MS; i++)
        delay *= 2;
    return delay < SUPERVISE_MAX_BACKOFF_MS ? delay : SUPERVISE_MAX_BACKOFF_MS;
}

static int same_backend(const struct config_backend *a, const struct config_backend *b)
{
    return strcmp(a->name, b->name) == 0 && a->addr_len == b->addr_len &&
           memcmp(&a->addr, &b->addr, a->addr_len) == 0;
}

uint64_t supervise_map_down(const struct config *from, uint64_t from_mask, const struct config *to)
{
    uint64_t mask = 0;
    for (unsigned i = 0; i < to->n_backends && i < 64; i++)
        for (unsigned j = 0; j < from->n_backends && j < 64; j++)
            if ((from_mask >> j & 1) && same_backend(&to->backends[i], &from->backends[j]))
                mask |= (uint64_t)1 << i;
    return mask;
}
