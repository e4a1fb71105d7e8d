/*
 * admin_page: the /status page, one self-contained HTML document for an
 * operator's browser, meant to be looked at rather than read: the node's
 * VRRP role and health; request rate, 5xx rate, p50/p99 latency and
 * firewall drops over the last 15 minutes as server-drawn SVG charts
 * (admin_chart.h); the VRRP role timeline and its changes; each backend's
 * state, since when and its last check result; each certificate's days to
 * expiry; the firewall's state, drops and blocked addresses; the main
 * counters. Rendered from a snapshot like /metrics; every string that
 * comes from config or a peer is HTML-escaped.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_PAGE_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_PAGE_H

#include "gateway/admin/metrics.h"
#include "common/strbuf.h"

/* Certificates are flagged as alerting rules do (examples/prometheus-rules.yml). */
#define ADMIN_CERT_WARN_DAYS 14
#define ADMIN_CERT_CRIT_DAYS 3

/* Appends the page for `s`, reloading itself every `refresh_s` seconds. */
void admin_render_status(const struct metrics_snapshot *s, unsigned refresh_s, struct strbuf *out);

/* The class of a certificate with `seconds_left` of validity: "crit"
 * under ADMIN_CERT_CRIT_DAYS (or expired), "warn" under
 * ADMIN_CERT_WARN_DAYS, else "ok". Pure (tests). */
const char *admin_cert_class(int64_t seconds_left);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_PAGE_H */
