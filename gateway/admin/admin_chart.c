/*
 * admin_chart: inline SVG line charts and the VRRP timeline. See
 * admin_chart.h.
 */
#include "gateway/admin/admin_chart.h"
#include "gateway/admin/admin.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#define PLOT_W ((double)(ADMIN_CHART_W - ADMIN_CHART_LEFT - ADMIN_CHART_RIGHT))
#define PLOT_H ((double)(ADMIN_CHART_H - ADMIN_CHART_TOP - ADMIN_CHART_BOTTOM))

void admin_format_utc(uint64_t t_s, char out[ADMIN_TIME_TEXT])
{
    struct tm tm;
    time_t t = (time_t)t_s;
    if (t_s == 0 || !gmtime_r(&t, &tm)) {
        snprintf(out, ADMIN_TIME_TEXT, "-");
        return;
    }
    strftime(out, ADMIN_TIME_TEXT, "%Y-%m-%d %H:%M:%SZ", &tm);
}

void admin_format_age(uint64_t now_s, uint64_t t_s, char out[ADMIN_TIME_TEXT])
{
    uint64_t d = now_s > t_s ? now_s - t_s : 0;
    if (d < 120)
        snprintf(out, ADMIN_TIME_TEXT, "%" PRIu64 " s", d);
    else if (d < 120 * 60)
        snprintf(out, ADMIN_TIME_TEXT, "%" PRIu64 " min", d / 60);
    else if (d < 48 * 3600)
        snprintf(out, ADMIN_TIME_TEXT, "%" PRIu64 " h", d / 3600);
    else
        snprintf(out, ADMIN_TIME_TEXT, "%" PRIu64 " d", d / 86400);
}

double admin_chart_axis_max(double v)
{
    if (!(v > 0))
        return 1;
    if (v > 1e15) /* no chart of ours gets there; keeps the loops short */
        return v;
    /* the power of ten at or just below v (no libm: powers by steps) */
    double step = 1;
    while (step * 10 <= v)
        step *= 10;
    while (step > v * (1 + 1e-9))
        step /= 10;
    static const double mult[] = {1, 2, 5, 10};
    for (unsigned i = 0; i < 4; i++)
        if (mult[i] * step >= v * (1 - 1e-9))
            return mult[i] * step;
    return 10 * step;
}

/* x of time t in the window ending at now_s. */
static double chart_x(uint64_t now_s, uint64_t t_s)
{
    double age = (double)(now_s - t_s);
    return ADMIN_CHART_LEFT + PLOT_W * (1 - age / ADMIN_HISTORY_WINDOW_S);
}

static bool in_window(uint64_t now_s, uint64_t t_s)
{
    return t_s <= now_s && now_s - t_s <= ADMIN_HISTORY_WINDOW_S;
}

/* The highest value and the latest one of series i within the window. */
static void chart_range(const struct admin_chart *c, const struct admin_history *h, uint64_t now_s,
                        unsigned i, double *max, double *last)
{
    *max = 0, *last = -1;
    for (unsigned k = 0; k < h->count; k++) {
        const struct admin_history_sample *s = admin_history_at(h, k);
        double v = c->value(s, i);
        if (!in_window(now_s, s->t_s) || v < 0)
            continue;
        *max = v > *max ? v : *max;
        *last = v;
    }
}

/* One <path>: M at the first point and after each gap, L between. */
static unsigned chart_path(struct strbuf *out, const struct admin_chart *c, const struct admin_history *h,
                           uint64_t now_s, unsigned i, double top)
{
    unsigned points = 0;
    bool pen_down = false;
    strbuf_printf(out, "<path class=\"s%u\" d=\"", i);
    for (unsigned k = 0; k < h->count; k++) {
        const struct admin_history_sample *s = admin_history_at(h, k);
        double v = c->value(s, i);
        if (!in_window(now_s, s->t_s) || v < 0) {
            pen_down = false;
            continue;
        }
        double y = ADMIN_CHART_TOP + PLOT_H * (1 - (v > top ? top : v) / top);
        strbuf_printf(out, "%s%c%.1f,%.1f", points ? " " : "", pen_down ? 'L' : 'M', chart_x(now_s, s->t_s),
                      y);
        pen_down = true;
        points++;
    }
    strbuf_puts(out, "\"/>");
    return points;
}

static void chart_frame(struct strbuf *out, double top)
{
    double bottom = ADMIN_CHART_TOP + PLOT_H, mid = ADMIN_CHART_TOP + PLOT_H / 2;
    strbuf_printf(out, "<rect class=\"plot\" x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\"/>",
                  ADMIN_CHART_LEFT, ADMIN_CHART_TOP, PLOT_W, PLOT_H);
    strbuf_printf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>",
                  ADMIN_CHART_LEFT, mid, ADMIN_CHART_LEFT + PLOT_W, mid);
    strbuf_printf(out,
                  "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%g</text>"
                  "<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>"
                  "<text class=\"axis\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\">0</text>",
                  ADMIN_CHART_LEFT - 4, ADMIN_CHART_TOP + 4, top, ADMIN_CHART_LEFT - 4, mid + 4, top / 2,
                  ADMIN_CHART_LEFT - 4, bottom + 4);
    strbuf_printf(out,
                  "<text class=\"axis\" x=\"%d\" y=\"%d\">-15 min</text>"
                  "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">now</text>",
                  ADMIN_CHART_LEFT, ADMIN_CHART_H - 5, ADMIN_CHART_W - ADMIN_CHART_RIGHT, ADMIN_CHART_H - 5);
}

static void chart_caption(struct strbuf *out, const struct admin_chart *c, const struct admin_history *h,
                          uint64_t now_s)
{
    strbuf_printf(out, "<figcaption>%s", c->title);
    for (unsigned i = 0; i < c->n_series; i++) {
        double max, last;
        chart_range(c, h, now_s, i, &max, &last);
        strbuf_printf(out, " <span class=\"k%u\">%s%s", i, c->names[i] ? c->names[i] : "",
                      c->names[i] ? " " : "");
        if (last < 0)
            strbuf_puts(out, "now -");
        else
            strbuf_printf(out, "now %.3g", last);
        strbuf_printf(out, ", max %.3g</span>", max);
    }
    strbuf_puts(out, "</figcaption>");
}

void admin_chart_render(struct strbuf *out, const struct admin_chart *c, const struct admin_history *h,
                        uint64_t now_s)
{
    double max = 0;
    for (unsigned i = 0; i < c->n_series && i < ADMIN_CHART_SERIES; i++) {
        double m, last;
        chart_range(c, h, now_s, i, &m, &last);
        max = m > max ? m : max;
    }
    double top = admin_chart_axis_max(max);
    strbuf_printf(out, "<figure class=\"chart\">");
    chart_caption(out, c, h, now_s);
    strbuf_printf(out,
                  "<svg id=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                  "aria-label=\"%s, last 15 minutes\">",
                  c->id, ADMIN_CHART_W, ADMIN_CHART_H, ADMIN_CHART_W, ADMIN_CHART_H, c->title);
    chart_frame(out, top);
    unsigned points = 0;
    for (unsigned i = 0; i < c->n_series && i < ADMIN_CHART_SERIES; i++)
        points += chart_path(out, c, h, now_s, i, top);
    if (points == 0)
        strbuf_printf(out, "<text class=\"empty\" x=\"%d\" y=\"%d\">no sample yet (one every %d s)</text>",
                      ADMIN_CHART_LEFT + 8, ADMIN_CHART_TOP + 20, ADMIN_HISTORY_STEP_S);
    strbuf_puts(out, "</svg></figure>\n");
}

/* ---- the VRRP timeline ------------------------------------------------------------ */

static void timeline_rect(struct strbuf *out, uint64_t now_s, uint64_t from_s, uint64_t to_s,
                          enum admin_vrrp_role role)
{
    const char *name = admin_vrrp_role_name(role);
    double x0 = chart_x(now_s, from_s), x1 = chart_x(now_s, to_s);
    char a[ADMIN_TIME_TEXT], b[ADMIN_TIME_TEXT];
    admin_format_utc(from_s, a);
    admin_format_utc(to_s, b);
    strbuf_printf(out,
                  "<rect class=\"role-%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\">"
                  "<title>%s %s to %s</title></rect>",
                  name, x0, ADMIN_CHART_TOP, x1 - x0, name, a, b);
}

void admin_timeline_render(struct strbuf *out, const char *id, const struct admin_vrrp_history *h,
                           enum admin_vrrp_role current, uint64_t now_s)
{
    uint64_t start = now_s > ADMIN_HISTORY_WINDOW_S ? now_s - ADMIN_HISTORY_WINDOW_S : 0;
    unsigned n = h->n < ADMIN_VRRP_HISTORY ? h->n : ADMIN_VRRP_HISTORY, k = 0;
    /* the role at the window's start: the last change at or before it,
     * or, if every change is later, what the first one changed from */
    enum admin_vrrp_role role = n ? h->items[0].from : current;
    while (k < n && h->items[k].t_s <= start)
        role = h->items[k++].to;
    strbuf_puts(out, "<svg id=\"");
    strbuf_escape(out, STRBUF_ESC_HTML, id);
    strbuf_printf(out,
                  "\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                  "aria-label=\"VRRP role, last 15 minutes\">",
                  ADMIN_CHART_W, ADMIN_TIMELINE_H, ADMIN_CHART_W, ADMIN_TIMELINE_H);
    uint64_t from = start;
    for (; k < n; k++) {
        uint64_t t = h->items[k].t_s > now_s ? now_s : h->items[k].t_s;
        if (t > from)
            timeline_rect(out, now_s, from, t, role);
        from = t > from ? t : from;
        role = h->items[k].to;
    }
    if (now_s > from)
        timeline_rect(out, now_s, from, now_s, n ? role : current);
    strbuf_printf(out,
                  "<text class=\"axis\" x=\"%d\" y=\"%d\">-15 min</text>"
                  "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">now</text></svg>\n",
                  ADMIN_CHART_LEFT, ADMIN_TIMELINE_H - 3, ADMIN_CHART_W - ADMIN_CHART_RIGHT,
                  ADMIN_TIMELINE_H - 3);
}
