/*
 * metrics: the relay's own counters (connections, requests by status
 * class, latency histogram, rejects), bumped with relaxed atomics from any
 * worker thread, and the names and sums the pages share.
 */
#include "gateway/admin/metrics.h"

struct metrics metrics;

const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

void metrics_connection_opened(void)
{
    atomic_fetch_add_explicit(&metrics.connections_total, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&metrics.connections_active, 1, memory_order_relaxed);
}

void metrics_connection_closed(void)
{
    atomic_fetch_sub_explicit(&metrics.connections_active, 1, memory_order_relaxed);
}

void metrics_request_done(unsigned status, uint64_t duration_us)
{
    unsigned cls = (status >= 100 && status < 600) ? status / 100 : 0;
    atomic_fetch_add_explicit(&metrics.requests_by_class[cls], 1, memory_order_relaxed);
    for (unsigned i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
        if ((double)duration_us <= metrics_latency_bounds[i] * 1e6) {
            atomic_fetch_add_explicit(&metrics.latency_buckets[i], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&metrics.latency_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&metrics.latency_sum_us, duration_us, memory_order_relaxed);
}

void metrics_reject(enum metrics_reject why)
{
    if (why < METRICS_REJECT_COUNT)
        atomic_fetch_add_explicit(&metrics.rejects[why], 1, memory_order_relaxed);
}

const char *metrics_reject_name(enum metrics_reject why)
{
    static const char *const names[METRICS_REJECT_COUNT] = {
        "bad_request",       "timeout",          "body_too_large", "uri_too_long",
        "headers_too_large", "connection_limit", "per_ip_limit",
    };
    return why < METRICS_REJECT_COUNT ? names[why] : "unknown";
}

const char *metrics_proto_name(enum metrics_proto p)
{
    return p == METRICS_PROTO_H2 ? "h2" : "http/1.1";
}

void metrics_connection_proto(enum metrics_proto p)
{
    if (p < METRICS_PROTO_COUNT)
        atomic_fetch_add_explicit(&metrics.connections_by_proto[p], 1, memory_order_relaxed);
}

void metrics_request_proto(enum metrics_proto p)
{
    if (p < METRICS_PROTO_COUNT)
        atomic_fetch_add_explicit(&metrics.requests_by_proto[p], 1, memory_order_relaxed);
}

void metrics_h2_event(enum h2_event ev, uint32_t arg)
{
    struct metrics_h2 *m = &metrics.h2;
    unsigned code = arg < H2_ERROR_CODES ? arg : H2_ERROR_CODES;
    atomic_ullong *c = NULL;
    switch (ev) {
    case H2_EV_RST_SENT: c = &m->rst_sent[code]; break;
    case H2_EV_RST_RECEIVED: c = &m->rst_received[code]; break;
    case H2_EV_GOAWAY_SENT: c = &m->goaway_sent[code]; break;
    case H2_EV_GOAWAY_RECEIVED: c = &m->goaway_received[code]; break;
    case H2_EV_LIMIT: c = arg < H2_HIT_COUNT ? &m->limits[arg] : NULL; break;
    }
    if (c)
        atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void metrics_h2_stream(int delta)
{
    atomic_fetch_add_explicit(&metrics.h2.streams_active, delta, memory_order_relaxed);
}

const char *metrics_status_class_name(unsigned cls)
{
    static const char *const names[METRICS_STATUS_CLASSES] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    return cls < METRICS_STATUS_CLASSES ? names[cls] : "none";
}

unsigned metrics_backends_up(const struct metrics_snapshot *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->n_backends; i++)
        n += s->backends[i].up;
    return n;
}
