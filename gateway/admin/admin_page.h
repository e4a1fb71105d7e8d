/*
 * admin_page: the /status page, one small self-contained HTML document for
 * an operator's browser: the node's VRRP role and health, its backends and
 * a few counters. Rendered from a snapshot like /metrics; every string that
 * comes from config or a peer is HTML-escaped.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_PAGE_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_PAGE_H

#include "gateway/admin/metrics.h"
#include "common/strbuf.h"

/* Appends the page for `s`, reloading itself every `refresh_s` seconds. */
void admin_render_status(const struct metrics_snapshot *s, unsigned refresh_s, struct strbuf *out);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_PAGE_H */
