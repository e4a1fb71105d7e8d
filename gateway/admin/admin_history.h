/*
 * admin_history: what the /status charts draw, the last 15 minutes of the
 * node in a fixed ring: one sample every ADMIN_HISTORY_STEP_S seconds,
 * ADMIN_HISTORY_SAMPLES of them, the oldest overwritten. Memory is the
 * ring and nothing else, whatever the uptime or the traffic (no growing
 * log; the long view is Prometheus's job).
 *
 * A sample is one interval: the requests, 5xx responses and firewall drops
 * per second in it and the p50/p99 latency of the requests that ended in
 * it, estimated from the latency histogram's bucket deltas the way
 * Prometheus's histogram_quantile() does. It is computed from the
 * cumulative counters at the start and the end of the interval, so a late
 * tick just makes one longer interval, and a counter that went backwards
 * (the firewall's, after a policy apply replaced its table) counts from 0.
 *
 * Pure: admin_history_record() takes the time and the counters; the relay
 * calls it from its control loop (admin_collect.c holds the ring and reads
 * the counters), the tests with made-up ones. Types only need <stdint.h>,
 * so metrics.h can put a copy of the ring in every snapshot.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_HISTORY_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#define ADMIN_HISTORY_STEP_S   10 /* seconds per sample */
#define ADMIN_HISTORY_SAMPLES  90 /* 90 x 10 s = the 15 minutes on /status */
#define ADMIN_HISTORY_WINDOW_S (ADMIN_HISTORY_STEP_S * ADMIN_HISTORY_SAMPLES)
#define ADMIN_HISTORY_BUCKETS  12 /* = METRICS_LATENCY_BUCKETS (checked in admin_history.c) */

/* Cumulative counters at one instant. */
struct admin_history_counters {
    uint64_t requests;                       /* answered, every status class */
    uint64_t errors;                         /* 5xx */
    uint64_t fw_drops;                       /* packets, every nft drop counter */
    uint64_t latency[ADMIN_HISTORY_BUCKETS]; /* requests per latency bucket (not cumulative over buckets) */
    uint64_t latency_count;                  /* all timed requests, those past the last bound too */
};

/* One interval, ending at t_s. Latencies are -1 when no request ended in it. */
struct admin_history_sample {
    uint64_t t_s;    /* Unix time, end of the interval */
    uint32_t span_s; /* its length, >= 1 */
    double requests_per_s;
    double errors_per_s;
    double fw_drops_per_s;
    double p50_ms, p99_ms;
};

struct admin_history {
    struct admin_history_sample ring[ADMIN_HISTORY_SAMPLES];
    unsigned head;  /* next slot written */
    unsigned count; /* valid samples, 0..ADMIN_HISTORY_SAMPLES */
    bool have_base; /* `base` holds the counters of the last record */
    uint64_t base_t_s;
    struct admin_history_counters base;
};

/* Empties the ring. */
void admin_history_init(struct admin_history *h);

/* The counters at now_s: the first call (or one after the clock went
 * back) only sets the start; each later one adds the sample for the
 * interval since the previous call. Calls within the same second are
 * ignored (no zero-length interval). */
void admin_history_record(struct admin_history *h, uint64_t now_s, const struct admin_history_counters *c);

/* Sample i, 0 the oldest .. count - 1 the newest; NULL past the end. */
const struct admin_history_sample *admin_history_at(const struct admin_history *h, unsigned i);

/* The q-quantile (0..1), in milliseconds, of the requests counted in
 * `per_bucket` (bucket i holds those <= bounds_s[i] and above the one
 * before; `beyond` are slower than the last bound): linear within the
 * bucket, the last bound for the slowest. -1 if there are none. */
double admin_latency_quantile(const uint64_t *per_bucket, const double *bounds_s, unsigned n, uint64_t beyond,
                              double q);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_HISTORY_H */
