/*
 * admin_chart: the pictures of the /status page, drawn by the server as
 * inline SVG: a line chart per metric of the last 15 minutes (from the
 * history ring, admin_history.h) and the VRRP role timeline (from the
 * parent's change list, status.h). No script, no external asset, no style
 * attribute: colours come from the page's own <style> by class, so the
 * admin CSP (default-src 'none'; style-src 'unsafe-inline') stays.
 *
 * Pure: a history (or change list), "now" and a strbuf in, markup out.
 * Every number is a number we computed; the only text from outside is the
 * role names, fixed strings.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_CHART_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_CHART_H

#include "gateway/admin/admin_history.h"
#include "gateway/admin/status.h"
#include "common/strbuf.h"

#include <stdint.h>

/* Geometry of one chart, in SVG user units (= CSS pixels at 100%). */
#define ADMIN_CHART_W      360
#define ADMIN_CHART_H      120
#define ADMIN_CHART_LEFT   44 /* room for the y labels */
#define ADMIN_CHART_RIGHT  8
#define ADMIN_CHART_TOP    8
#define ADMIN_CHART_BOTTOM 20 /* room for the time labels */
#define ADMIN_CHART_SERIES 2  /* lines per chart (p50 + p99) */
#define ADMIN_TIMELINE_H   34
#define ADMIN_TIME_TEXT    24 /* "2026-12-01 20:41:02Z" and its NUL */

/* What a sample shows in series `i` of a chart; < 0: nothing (a gap). */
typedef double (*admin_chart_value_fn)(const struct admin_history_sample *s, unsigned i);

struct admin_chart {
    const char *id;                        /* element id, e.g. "chart-requests" */
    const char *title;                     /* "Requests per second" */
    const char *names[ADMIN_CHART_SERIES]; /* legend of each series ("p50") or NULL */
    unsigned n_series;                     /* 1..ADMIN_CHART_SERIES */
    admin_chart_value_fn value;
};

/* The smallest 1, 2 or 5 x 10^k at or above v (the y axis top); 1 when
 * v <= 0. Pure (tests). */
double admin_chart_axis_max(double v);

/* A <figure> with the chart of `c` over [now_s - ADMIN_HISTORY_WINDOW_S,
 * now_s]: one <path> per series, broken where there is no value, a
 * caption with the latest and highest values, axis labels. Samples
 * outside the window are left out. */
void admin_chart_render(struct strbuf *out, const struct admin_chart *c, const struct admin_history *h,
                        uint64_t now_s);

/* The VRRP timeline over the same window: one <rect> per stretch of a
 * role (class "role-master", ...), the role at the window's start taken
 * from the last change before it, `current` from the last change on. `id`:
 * the <svg>'s (one per VRRP instance on a page). */
void admin_timeline_render(struct strbuf *out, const char *id, const struct admin_vrrp_history *h,
                           enum admin_vrrp_role current, uint64_t now_s);

/* "2026-12-01 20:41:02Z" (UTC; no time zone file is read); "-" for 0. */
void admin_format_utc(uint64_t t_s, char out[ADMIN_TIME_TEXT]);
/* "42 s", "7 min", "3 h", "12 d": how long ago t_s was at now_s. */
void admin_format_age(uint64_t now_s, uint64_t t_s, char out[ADMIN_TIME_TEXT]);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_CHART_H */
