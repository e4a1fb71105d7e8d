/*
 * ratelimit: at most `burst` events per period, the rest counted, for
 * warnings a peer can cause at will (a relay sending malformed IPC, a
 * flood of autoblock requests): the log says what happened and how often,
 * without letting the sender fill the disk or hold the loop writing.
 *
 *   static struct ratelimit rl;
 *   uint64_t skipped;
 *   if (ratelimit_allow(&rl, now_ms, 10, 1000, &skipped))
 *       log_event(..., skipped ? "suppressed" : LOG_END, n, LOG_END);
 *
 * (a LOG_END key ends the fields: the line names "suppressed=N" only when
 * some were.)
 *
 * Pure (the caller passes the clock). One struct per kind of event, used
 * from one thread.
 */
#ifndef RAMPART_COMMON_RATELIMIT_H
#define RAMPART_COMMON_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_LOG_BURST     10   /* log lines of one kind ... */
#define RATELIMIT_LOG_PERIOD_MS 1000 /* ... per second */

struct ratelimit {
    uint64_t period_start_ms;
    unsigned in_period; /* events allowed in the current period */
    uint64_t skipped;   /* events refused since the last allowed one */
};

/* true: let this event through; *skipped gets the number refused since the
 * last one let through (then reset). false: refused and counted. */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ms, unsigned burst, uint64_t period_ms,
                     uint64_t *skipped);

#endif /* RAMPART_COMMON_RATELIMIT_H */
