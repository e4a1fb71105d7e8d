/*
 * metrics_render: the /metrics page, Prometheus text exposition format
 * 0.0.4, rendered from a snapshot (no live state is read). Names follow the
 * Prometheus conventions: a rampart_ prefix, base units (seconds), _total
 * on counters, one family per HELP/TYPE block, label values escaped.
 */
#ifndef RAMPART_GATEWAY_ADMIN_METRICS_RENDER_H
#define RAMPART_GATEWAY_ADMIN_METRICS_RENDER_H

#include "gateway/admin/metrics.h"
#include "common/strbuf.h"

/* Appends the Prometheus text exposition of `s` to `out`. */
void metrics_render_prometheus(const struct metrics_snapshot *s, struct strbuf *out);

#endif /* RAMPART_GATEWAY_ADMIN_METRICS_RENDER_H */
