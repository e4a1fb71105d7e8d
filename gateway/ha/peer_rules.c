/*
 * peer_rules: the peer channel's pure decisions: the reconnection backoff
 * and which of two sessions both nodes keep. See peer_link.h.
 */
#include "gateway/ha/peer_link.h"

uint64_t peer_backoff_next(uint64_t prev_ms)
{
    if (prev_ms == 0)
        return PEER_BACKOFF_FLOOR_MS;
    return prev_ms >= PEER_BACKOFF_CEIL_MS / 2 ? PEER_BACKOFF_CEIL_MS : prev_ms * 2;
}

bool peer_link_prefer(uint64_t old_instance, bool old_we_dialed, uint64_t new_instance, bool new_we_dialed,
                      bool we_are_lower)
{
    if (old_instance != new_instance)
        return true; /* the peer restarted: the old session is a dead one's */
    if (old_we_dialed == new_we_dialed)
        return true; /* the same side dialed twice: its newer attempt */
    /* one each way: keep the one the lower node dialed */
    return new_we_dialed == we_are_lower;
}
