/*
 * ratelimit: a fixed window per kind of event. See ratelimit.h.
 */
#include "common/ratelimit.h"

bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ms, unsigned burst, uint64_t period_ms,
                     uint64_t *skipped)
{
    if (now_ms - rl->period_start_ms >= period_ms || now_ms < rl->period_start_ms) {
        rl->period_start_ms = now_ms;
        rl->in_period = 0;
    }
    if (rl->in_period >= burst) {
        rl->skipped++;
        return false;
    }
    rl->in_period++;
    *skipped = rl->skipped;
    rl->skipped = 0;
    return true;
}
