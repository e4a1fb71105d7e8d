/*
 * admin_page: writes the /status page: one HTML document with inline
 * style and inline SVG, no script or external asset (the admin CSP forbids
 * both), reloading itself with <meta http-equiv="refresh">. Text from
 * config or peers goes through STRBUF_ESC_HTML (& < > " ').
 */
#include "gateway/admin/admin_page.h"
#include "gateway/admin/admin.h"
#include "gateway/admin/admin_chart.h"
#include "gateway/admin/admin_health.h"

#include <inttypes.h>

#define SECONDS_PER_DAY 86400

static const char status_style[] =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin:1.2em 0 .4em}"
    "table{border-collapse:collapse;margin:0 0 1em}"
    "td,th{border:1px solid #ccc;padding:.3em .8em;text-align:left}"
    ".up,.ok,.master{color:#060;font-weight:bold}"
    ".down,.fail,.fault,.crit{color:#b00;font-weight:bold}"
    ".warn{color:#a60;font-weight:bold}"
    ".backup,.init,.unknown,.disabled{color:#555;font-weight:bold}"
    ".charts{display:flex;flex-wrap:wrap;gap:1em 2em}figure{margin:0}"
    "figcaption{font-size:.9em;margin:0 0 .2em}"
    ".plot{fill:#fafafa;stroke:#ccc}.grid{stroke:#e6e6e6}"
    ".axis{font-size:10px;fill:#666}.empty{font-size:11px;fill:#999}"
    "path.s0{fill:none;stroke:#1565c0;stroke-width:1.5}path.s1{fill:none;stroke:#c62828;stroke-width:1.5}"
    ".k0{color:#1565c0}.k1{color:#c62828}"
    "rect.role-master{fill:#2e7d32}rect.role-backup{fill:#90a4ae}rect.role-fault{fill:#c62828}"
    "rect.role-init{fill:#f9a825}rect.role-unknown,rect.role-disabled{fill:#e0e0e0}"
    ".legend{font-size:.85em;color:#555}.sw{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .8em}"
    ".sw.master{background:#2e7d32}.sw.backup{background:#90a4ae}.sw.fault{background:#c62828}"
    ".sw.init{background:#f9a825}.sw.unknown{background:#e0e0e0}";

const char *admin_cert_class(int64_t seconds_left)
{
    if (seconds_left < (int64_t)ADMIN_CERT_CRIT_DAYS * SECONDS_PER_DAY)
        return "crit";
    if (seconds_left < (int64_t)ADMIN_CERT_WARN_DAYS * SECONDS_PER_DAY)
        return "warn";
    return "ok";
}

/* [vrrp] alone: its role and priority in the summary, as before; with
 * named instances, a row each in the VRRP section (render_vrrp). */
static bool single_vrrp(const struct metrics_snapshot *s)
{
    return s->n_vrrp <= 1 && !s->vrrp[0].name[0];
}

static void render_summary(const struct metrics_snapshot *s, struct strbuf *out)
{
    char reason[ADMIN_REASON_MAX], since[ADMIN_TIME_TEXT], age[ADMIN_TIME_TEXT];
    unsigned code = admin_health(s, reason);
    admin_format_utc(s->start_time_s, since);
    admin_format_age(s->now_s, s->start_time_s, age);
    strbuf_puts(out, "<table id=\"node\">");
    if (single_vrrp(s)) {
        const char *role = admin_vrrp_role_name(s->vrrp[0].role);
        strbuf_printf(out, "<tr><th>VRRP role</th><td id=\"vrrp-role\" class=\"%s\">%s</td></tr>", role,
                      role);
        strbuf_printf(out, "<tr><th>VRRP priority</th><td>%u</td></tr>", s->vrrp[0].priority);
    }
    strbuf_printf(out, "<tr><th>Health</th><td id=\"health\" class=\"%s\">%u ", code == 200 ? "ok" : "fail",
                  code);
    strbuf_escape(out, STRBUF_ESC_HTML, reason);
    strbuf_printf(out, "</td></tr><tr><th>Relay up since</th><td>%s (%s)</td></tr></table>\n", since, age);
}

/* ---- the last 15 minutes --------------------------------------------------------- */

static double v_requests(const struct admin_history_sample *s, unsigned i)
{
    (void)i;
    return s->requests_per_s;
}
static double v_errors(const struct admin_history_sample *s, unsigned i)
{
    (void)i;
    return s->errors_per_s;
}
static double v_latency(const struct admin_history_sample *s, unsigned i)
{
    return i == 0 ? s->p50_ms : s->p99_ms;
}
static double v_drops(const struct admin_history_sample *s, unsigned i)
{
    (void)i;
    return s->fw_drops_per_s;
}

static const struct admin_chart status_charts[] = {
    {.id = "chart-requests", .title = "Requests per second", .n_series = 1, .value = v_requests},
    {.id = "chart-errors", .title = "5xx responses per second", .n_series = 1, .value = v_errors},
    {.id = "chart-latency",
     .title = "Latency, ms",
     .names = {"p50", "p99"},
     .n_series = 2,
     .value = v_latency},
    {.id = "chart-drops", .title = "Firewall drops per second", .n_series = 1, .value = v_drops},
};

static void render_charts(const struct metrics_snapshot *s, struct strbuf *out)
{
    strbuf_printf(out,
                  "<h2>Last 15 minutes</h2><p>one point every %d s, since the relay started</p>"
                  "<div class=\"charts\" id=\"charts\">\n",
                  ADMIN_HISTORY_STEP_S);
    for (unsigned i = 0; i < sizeof status_charts / sizeof status_charts[0]; i++)
        admin_chart_render(out, &status_charts[i], &s->history, s->now_s);
    strbuf_puts(out, "</div>\n");
}

/* ---- VRRP ------------------------------------------------------------------------- */

/* "vrrp-timeline" for [vrrp] alone, "vrrp-timeline-NAME" for an instance:
 * element ids stay unique on a page with several. */
static void vrrp_id(const struct admin_vrrp_status *v, const char *what, char *out, size_t len)
{
    if (v->name[0])
        snprintf(out, len, "vrrp-%s-%s", what, v->name);
    else
        snprintf(out, len, "vrrp-%s", what);
}

static void render_vrrp_changes(const struct metrics_snapshot *s, const struct admin_vrrp_status *v,
                                struct strbuf *out)
{
    char id[ADMIN_VRRP_NAME_MAX + 16];
    vrrp_id(v, "changes", id, sizeof id);
    unsigned n = v->history.n < ADMIN_VRRP_HISTORY ? v->history.n : ADMIN_VRRP_HISTORY;
    strbuf_puts(out, "<table id=\"");
    strbuf_escape(out, STRBUF_ESC_HTML, id);
    strbuf_puts(out, "\"><tr><th>when (UTC)</th><th>ago</th><th>from</th><th>to</th></tr>");
    for (unsigned k = n; k-- > 0;) { /* newest first */
        const struct admin_vrrp_change *c = &v->history.items[k];
        char when[ADMIN_TIME_TEXT], age[ADMIN_TIME_TEXT];
        admin_format_utc(c->t_s, when);
        admin_format_age(s->now_s, c->t_s, age);
        const char *from = admin_vrrp_role_name(c->from), *to = admin_vrrp_role_name(c->to);
        strbuf_printf(out, "<tr><td>%s</td><td>%s</td><td class=\"%s\">%s</td><td class=\"%s\">%s</td></tr>",
                      when, age, from, from, to, to);
    }
    strbuf_puts(out, "</table>\n");
}

/* One instance: what it is, its timeline and its last changes. */
static void render_vrrp_instance(const struct metrics_snapshot *s, const struct admin_vrrp_status *v,
                                 struct strbuf *out)
{
    char id[ADMIN_VRRP_NAME_MAX + 16];
    if (v->name[0]) {
        strbuf_puts(out, "<h3>");
        strbuf_escape(out, STRBUF_ESC_HTML, v->name);
        strbuf_puts(out, "</h3>");
    }
    strbuf_printf(out, "<p>VRID %u (IPv%u) on ", v->vrid, v->family == 6 ? 6 : 4);
    strbuf_escape(out, STRBUF_ESC_HTML, v->interface[0] ? v->interface : "?");
    strbuf_printf(out, ", %" PRIu64 " state changes since the daemon started</p>\n", v->transitions);
    vrrp_id(v, "timeline", id, sizeof id);
    admin_timeline_render(out, id, &v->history, v->role, s->now_s);
    render_vrrp_changes(s, v, out);
}

/* With named instances: one row each, before their timelines. */
static void render_vrrp_table(const struct metrics_snapshot *s, struct strbuf *out)
{
    strbuf_puts(out, "<table id=\"vrrp\"><tr><th>instance</th><th>role</th><th>priority</th>"
                     "<th>VRID</th><th>family</th><th>transitions</th></tr>");
    for (unsigned i = 0; i < s->n_vrrp && i < ADMIN_VRRP_MAX_INSTANCES; i++) {
        const struct admin_vrrp_status *v = &s->vrrp[i];
        const char *role = admin_vrrp_role_name(v->role);
        strbuf_puts(out, "<tr><td>");
        strbuf_escape(out, STRBUF_ESC_HTML, v->name[0] ? v->name : "[vrrp]");
        strbuf_printf(
            out, "</td><td class=\"%s\">%s</td><td>%u</td><td>%u</td><td>IPv%u</td><td>%" PRIu64 "</td></tr>",
            role, role, v->priority, v->vrid, v->family == 6 ? 6 : 4, v->transitions);
    }
    strbuf_puts(out, "</table>\n");
}

static void render_vrrp(const struct metrics_snapshot *s, struct strbuf *out)
{
    strbuf_puts(out, "<h2>VRRP</h2>");
    if (s->vrrp[0].role == ADMIN_VRRP_DISABLED) {
        strbuf_puts(out, "<p id=\"vrrp-off\">VRRP is off on this node ([vrrp] enabled = no).</p>\n");
        return;
    }
    if (!single_vrrp(s))
        render_vrrp_table(s, out);
    for (unsigned i = 0; i < s->n_vrrp && i < ADMIN_VRRP_MAX_INSTANCES; i++)
        render_vrrp_instance(s, &s->vrrp[i], out);
    strbuf_puts(out, "<p class=\"legend\">");
    static const enum admin_vrrp_role shown[] = {ADMIN_VRRP_MASTER, ADMIN_VRRP_BACKUP, ADMIN_VRRP_FAULT,
                                                 ADMIN_VRRP_INIT, ADMIN_VRRP_UNKNOWN};
    for (unsigned i = 0; i < sizeof shown / sizeof shown[0]; i++)
        strbuf_printf(out, "<span class=\"sw %s\"></span>%s", admin_vrrp_role_name(shown[i]),
                      shown[i] == ADMIN_VRRP_UNKNOWN ? "not running" : admin_vrrp_role_name(shown[i]));
    strbuf_puts(out, "</p>\n");
}

/* ---- backends ----------------------------------------------------------------------- */

/* "since 2026-12-01 20:41:02Z (3 min): why", or "since the relay started". */
static void backend_since(const struct metrics_snapshot *s, const struct metrics_backend_snap *b,
                          struct strbuf *out)
{
    char when[ADMIN_TIME_TEXT], age[ADMIN_TIME_TEXT];
    if (!b->changed_s) {
        strbuf_puts(out, "since the relay started");
        return;
    }
    admin_format_utc(b->changed_s, when);
    admin_format_age(s->now_s, b->changed_s, age);
    strbuf_printf(out, "%s (%s ago): ", when, age);
    strbuf_escape(out, STRBUF_ESC_HTML, b->changed_why);
}

static void backend_check(const struct metrics_snapshot *s, const struct metrics_backend_snap *b,
                          struct strbuf *out)
{
    char age[ADMIN_TIME_TEXT];
    if (!b->check_s) {
        strbuf_puts(out, "<td>none yet</td><td>-</td>");
        return;
    }
    admin_format_age(s->now_s, b->check_s, age);
    strbuf_printf(out, "<td class=\"%s\">", b->check_ok ? "ok" : "fail");
    strbuf_escape(out, STRBUF_ESC_HTML, b->check);
    strbuf_printf(out, "</td><td>%s ago</td>", age);
}

static void render_backends(const struct metrics_snapshot *s, struct strbuf *out)
{
    strbuf_puts(out, "<h2>Backends</h2><table id=\"backends\"><tr><th>name</th><th>address</th>"
                     "<th>state</th><th>since</th><th>last check</th><th>checked</th><th>requests</th>"
                     "<th>in flight</th><th>checks ok</th><th>checks failed</th></tr>");
    for (unsigned i = 0; i < s->n_backends; i++) {
        const struct metrics_backend_snap *b = &s->backends[i];
        strbuf_puts(out, "<tr><td>");
        strbuf_escape(out, STRBUF_ESC_HTML, b->name);
        strbuf_puts(out, "</td><td>");
        strbuf_escape(out, STRBUF_ESC_HTML, b->address);
        strbuf_printf(out, "</td><td class=\"%s\">%s</td><td>", b->up ? "up" : "down", b->up ? "up" : "down");
        backend_since(s, b, out);
        strbuf_puts(out, "</td>");
        backend_check(s, b, out);
        strbuf_printf(out, "<td>%" PRIu64 "</td><td>%u</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td></tr>",
                      b->requests, b->active, b->checks_ok, b->checks_failed);
    }
    strbuf_puts(out, "</table>\n");
}

/* ---- certificates and firewall ------------------------------------------------------- */

static void render_certs(const struct metrics_snapshot *s, struct strbuf *out)
{
    strbuf_puts(out, "<h2>Certificates</h2><table id=\"certs\"><tr><th>name</th><th>valid from (UTC)</th>"
                     "<th>expires (UTC)</th><th>days left</th></tr>");
    for (unsigned i = 0; i < s->n_certs && i < CONFIG_MAX_CERTIFICATES; i++) {
        const struct metrics_cert_snap *c = &s->certs[i];
        char from[ADMIN_TIME_TEXT], to[ADMIN_TIME_TEXT];
        admin_format_utc(c->not_before_s > 0 ? (uint64_t)c->not_before_s : 0, from);
        admin_format_utc(c->not_after_s > 0 ? (uint64_t)c->not_after_s : 0, to);
        int64_t left = c->not_after_s - (int64_t)s->now_s;
        strbuf_puts(out, "<tr><td>");
        strbuf_escape(out, STRBUF_ESC_HTML, c->name);
        strbuf_printf(out, "</td><td>%s</td><td>%s</td><td class=\"%s\">", from, to, admin_cert_class(left));
        if (left < 0)
            strbuf_printf(out, "expired %" PRId64 " d ago</td></tr>", -left / SECONDS_PER_DAY);
        else
            strbuf_printf(out, "%" PRId64 "</td></tr>", left / SECONDS_PER_DAY);
    }
    strbuf_puts(out, "</table>\n");
}

static void counter_row(struct strbuf *out, const char *name, uint64_t value)
{
    strbuf_printf(out, "<tr><th>%s</th><td>%" PRIu64 "</td></tr>", name, value);
}

static void render_firewall(const struct metrics_snapshot *s, struct strbuf *out)
{
    const struct admin_firewall_status *f = &s->firewall;
    const char *state = !f->managed ? "not managed" : f->applied ? "applied" : "NOT applied";
    strbuf_printf(out,
                  "<h2>Firewall</h2><table id=\"firewall\"><tr><th>policy</th><td class=\"%s\">%s</td></tr>",
                  !f->managed  ? "disabled"
                  : f->applied ? "ok"
                               : "fail",
                  state);
    counter_row(out, "applies", f->applies);
    counter_row(out, "refused applies", f->apply_failures);
    counter_row(out, "blocked addresses", f->blocked_addresses);
    counter_row(out, "blocked by the abuse detector", f->autoblocks);
    for (unsigned i = 0; i < f->n_drops && i < ADMIN_FW_MAX_COUNTERS; i++) {
        strbuf_puts(out, "<tr><th>dropped by ");
        strbuf_escape(out, STRBUF_ESC_HTML, f->drops[i].name);
        strbuf_printf(out, "</th><td>%" PRIu64 " packets, %" PRIu64 " bytes</td></tr>", f->drops[i].packets,
                      f->drops[i].bytes);
    }
    strbuf_puts(out, "</table>\n");
}

/* [bgp]: the announcement, only when there is one. */
static void render_bgp(const struct metrics_snapshot *s, struct strbuf *out)
{
    const struct admin_bgp_status *b = &s->bgp;
    if (!b->enabled)
        return;
    strbuf_printf(out, "<h2>BGP</h2><table id=\"bgp\"><tr><th>route</th><td class=\"%s\">%s</td></tr>",
                  b->announced ? "ok" : "fail", b->announced ? "announced" : "withdrawn");
    strbuf_puts(out, "<tr><th>state</th><td>");
    strbuf_escape(out, STRBUF_ESC_HTML, b->reason);
    strbuf_puts(out, "</td></tr>");
    counter_row(out, "announcements and withdrawals", b->transitions);
    strbuf_puts(out, "</table>\n");
}

static void render_counters(const struct metrics_snapshot *s, struct strbuf *out)
{
    strbuf_puts(out, "<h2>Counters</h2><table id=\"counters\">");
    counter_row(out, "connections open", s->connections_active < 0 ? 0 : (uint64_t)s->connections_active);
    counter_row(out, "connections total", s->connections_total);
    for (unsigned c = 1; c < METRICS_STATUS_CLASSES; c++) {
        char name[32];
        snprintf(name, sizeof name, "responses %s", metrics_status_class_name(c));
        counter_row(out, name, s->requests_by_class[c]);
    }
    counter_row(out, "redirects to HTTPS", s->redirects);
    counter_row(out, "HTTP/2 connections", s->connections_by_proto[METRICS_PROTO_H2]);
    counter_row(out, "HTTP/2 requests", s->requests_by_proto[METRICS_PROTO_H2]);
    counter_row(out, "HTTP/2 streams open", s->h2.streams_active < 0 ? 0 : (uint64_t)s->h2.streams_active);
    uint64_t hits = 0;
    for (unsigned l = 0; l < H2_HIT_COUNT; l++)
        hits += s->h2.limits[l];
    counter_row(out, "HTTP/2 limit hits", hits);
    counter_row(out, "TLS 1.3 handshakes", s->tls_handshakes_tls13);
    counter_row(out, "TLS 1.2 handshakes", s->tls_handshakes_tls12);
    uint64_t transitions = 0;
    for (unsigned i = 0; i < s->n_vrrp && i < ADMIN_VRRP_MAX_INSTANCES; i++)
        transitions += s->vrrp[i].transitions;
    counter_row(out, "VRRP transitions", transitions);
    strbuf_puts(out, "</table>\n");
}

void admin_render_status(const struct metrics_snapshot *s, unsigned refresh_s, struct strbuf *out)
{
    char now[ADMIN_TIME_TEXT];
    admin_format_utc(s->now_s, now);
    strbuf_printf(out,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta http-equiv=\"refresh\" content=\"%u\">"
                  "<title>Rampart status</title><style>%s</style></head><body>\n"
                  "<h1>Rampart ",
                  refresh_s, status_style);
    strbuf_escape(out, STRBUF_ESC_HTML, s->node);
    strbuf_printf(out,
                  "</h1><p>version %s, at %s, refreshed every %u s; raw numbers on "
                  "<a href=\"/metrics\">/metrics</a>.</p>\n",
                  s->version ? s->version : "unknown", now, refresh_s);
    render_summary(s, out);
    render_charts(s, out);
    render_vrrp(s, out);
    render_bgp(s, out);
    render_backends(s, out);
    render_certs(s, out);
    render_firewall(s, out);
    render_counters(s, out);
    strbuf_puts(out, "</body></html>\n");
}
