/*
 * metrics: process-wide counters of the relay (atomics, cheap from any
 * worker thread), rendered by admin.c as Prometheus text on /metrics.
 * Other modules keep their own counters beside their state (tls_stats in
 * tls/tls.h, per-backend counters in gateway/backend.h, VRRP counters in
 * the parent, reported over IPC); this file holds what belongs to no module.
 */
#ifndef RAMPART_GATEWAY_METRICS_H
#define RAMPART_GATEWAY_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

/* Request latency histogram buckets, seconds (Prometheus "le" labels). */
#define METRICS_LATENCY_BUCKETS 12
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

enum metrics_reject {
    METRICS_REJECT_BAD_REQUEST,     /* 400 */
    METRICS_REJECT_TIMEOUT,         /* 408 */
    METRICS_REJECT_BODY_TOO_LARGE,  /* 413 */
    METRICS_REJECT_URI_TOO_LONG,    /* 414 */
    METRICS_REJECT_HEADERS_TOO_LARGE, /* 431 */
    METRICS_REJECT_CONN_LIMIT,      /* refused before TLS: total limit */
    METRICS_REJECT_PER_IP_LIMIT,    /* refused before TLS: per-client limit */
    METRICS_REJECT_COUNT
};

struct metrics {
    atomic_ullong connections_total;
    atomic_llong connections_active;
    atomic_ullong requests_by_class[6]; /* [2] = 2xx ... [5] = 5xx; [0] = no response */
    atomic_ullong latency_buckets[METRICS_LATENCY_BUCKETS]; /* cumulative at render */
    atomic_ullong latency_count;
    atomic_ullong latency_sum_us;
    atomic_ullong rejects[METRICS_REJECT_COUNT];
    atomic_ullong redirects;            /* HTTP -> HTTPS */
};
extern struct metrics metrics;

void metrics_connection_opened(void);
void metrics_connection_closed(void);
/* One finished request: its status (0 if none was sent) and duration. */
void metrics_request_done(unsigned status, uint64_t duration_us);
void metrics_reject(enum metrics_reject why);
const char *metrics_reject_name(enum metrics_reject why);

#endif /* RAMPART_GATEWAY_METRICS_H */
