/*
 * admin_history: the fixed ring of 10-second samples. See admin_history.h.
 */
#include "gateway/admin/admin_history.h"
#include "gateway/admin/admin.h"
#include "gateway/admin/metrics.h"

#include <string.h>

_Static_assert(ADMIN_HISTORY_BUCKETS == METRICS_LATENCY_BUCKETS, "one history bucket per latency bucket");

void admin_history_init(struct admin_history *h)
{
    memset(h, 0, sizeof *h);
}

/* A counter's increase; one that went backwards restarted from 0. */
static uint64_t delta(uint64_t now, uint64_t then)
{
    return now >= then ? now - then : now;
}

double admin_latency_quantile(const uint64_t *per_bucket, const double *bounds_s, unsigned n, uint64_t beyond,
                              double q)
{
    uint64_t total = beyond;
    for (unsigned i = 0; i < n; i++)
        total += per_bucket[i];
    if (total == 0 || n == 0)
        return -1;
    double rank = q * (double)total, below = 0;
    for (unsigned i = 0; i < n; i++) {
        double in = (double)per_bucket[i];
        if (in > 0 && below + in >= rank) {
            double lo = i == 0 ? 0 : bounds_s[i - 1], hi = bounds_s[i];
            return (lo + (hi - lo) * ((rank - below) / in)) * 1000.0;
        }
        below += in;
    }
    return bounds_s[n - 1] * 1000.0; /* among the slowest: at least the last bound */
}

static void history_sample(struct admin_history_sample *s, uint64_t span,
                           const struct admin_history_counters *c, const struct admin_history_counters *base)
{
    uint64_t buckets[ADMIN_HISTORY_BUCKETS], counted = 0;
    for (unsigned i = 0; i < ADMIN_HISTORY_BUCKETS; i++) {
        buckets[i] = delta(c->latency[i], base->latency[i]);
        counted += buckets[i];
    }
    uint64_t timed = delta(c->latency_count, base->latency_count);
    uint64_t beyond = timed > counted ? timed - counted : 0;
    s->span_s = (uint32_t)span;
    s->requests_per_s = (double)delta(c->requests, base->requests) / (double)span;
    s->errors_per_s = (double)delta(c->errors, base->errors) / (double)span;
    s->fw_drops_per_s = (double)delta(c->fw_drops, base->fw_drops) / (double)span;
    s->p50_ms = admin_latency_quantile(buckets, metrics_latency_bounds, ADMIN_HISTORY_BUCKETS, beyond, 0.50);
    s->p99_ms = admin_latency_quantile(buckets, metrics_latency_bounds, ADMIN_HISTORY_BUCKETS, beyond, 0.99);
}

void admin_history_record(struct admin_history *h, uint64_t now_s, const struct admin_history_counters *c)
{
    if (h->have_base && now_s == h->base_t_s)
        return;
    if (h->have_base && now_s > h->base_t_s) {
        struct admin_history_sample *s = &h->ring[h->head];
        uint64_t span = now_s - h->base_t_s;
        history_sample(s, span > UINT32_MAX ? UINT32_MAX : span, c, &h->base);
        s->t_s = now_s;
        h->head = (h->head + 1) % ADMIN_HISTORY_SAMPLES;
        if (h->count < ADMIN_HISTORY_SAMPLES)
            h->count++;
    }
    h->have_base = true;
    h->base_t_s = now_s;
    h->base = *c;
}

const struct admin_history_sample *admin_history_at(const struct admin_history *h, unsigned i)
{
    if (i >= h->count)
        return NULL;
    unsigned oldest = (h->head + ADMIN_HISTORY_SAMPLES - h->count) % ADMIN_HISTORY_SAMPLES;
    return &h->ring[(oldest + i) % ADMIN_HISTORY_SAMPLES];
}

void admin_vrrp_history_add(struct admin_vrrp_history *h, uint64_t t_s, enum admin_vrrp_role from,
                            enum admin_vrrp_role to)
{
    if (h->n > ADMIN_VRRP_HISTORY)
        h->n = ADMIN_VRRP_HISTORY;
    if (h->n == ADMIN_VRRP_HISTORY) {
        memmove(&h->items[0], &h->items[1], (ADMIN_VRRP_HISTORY - 1) * sizeof h->items[0]);
        h->n--;
    }
    h->items[h->n++] = (struct admin_vrrp_change){.t_s = t_s, .from = from, .to = to};
}
