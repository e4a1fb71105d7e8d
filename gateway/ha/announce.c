/*
 * announce: the pure rules of the BGP announcement. See announce.h.
 */
#include "gateway/ha/announce.h"

enum announce_block announce_decide(const struct config_bgp *cfg, const struct announce_inputs *in)
{
    if (in->draining)
        return ANNOUNCE_DRAINING;
    if (!in->relay_serving)
        return ANNOUNCE_NO_RELAY;
    if (cfg->require_firewall && !in->firewall_applied)
        return ANNOUNCE_NO_FIREWALL;
    if (!in->backends_known)
        return ANNOUNCE_BACKENDS_UNKNOWN;
    if (in->backends_up < cfg->min_backends)
        return ANNOUNCE_TOO_FEW_BACKENDS;
    return ANNOUNCE_OK;
}

const char *announce_block_name(enum announce_block b)
{
    static const char *const names[ANNOUNCE_BLOCK_COUNT] = {
        [ANNOUNCE_OK] = "announced",
        [ANNOUNCE_DRAINING] = "draining",
        [ANNOUNCE_NO_RELAY] = "no_relay",
        [ANNOUNCE_NO_FIREWALL] = "no_firewall",
        [ANNOUNCE_BACKENDS_UNKNOWN] = "backends_unknown",
        [ANNOUNCE_TOO_FEW_BACKENDS] = "too_few_backends",
    };
    return (unsigned)b < ANNOUNCE_BLOCK_COUNT ? names[b] : "unknown";
}

uint64_t announce_drain_delay_ms(const struct config_bgp *cfg, bool was_announced, uint64_t withdrawn_ms,
                                 uint64_t now_ms)
{
    if (was_announced)
        return cfg->drain_wait_ms;
    if (withdrawn_ms == 0 || withdrawn_ms + cfg->drain_wait_ms <= now_ms)
        return 0;
    return withdrawn_ms + cfg->drain_wait_ms - now_ms;
}
