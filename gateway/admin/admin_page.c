/*
 * admin_page: writes the /status page: one small HTML document with inline
 * style and no script or external asset (the admin CSP forbids both),
 * reloading itself with <meta http-equiv="refresh">. Text from config or
 * peers goes through STRBUF_ESC_HTML (& < > " ').
 */
#include "gateway/admin/admin_page.h"
#include "gateway/admin/admin.h"
#include "gateway/admin/admin_health.h"

#include <inttypes.h>

static const char status_style[] = "body{font-family:sans-serif;margin:2em;color:#222}"
                                   "h1{font-size:1.4em}table{border-collapse:collapse;margin:0 0 1.5em}"
                                   "td,th{border:1px solid #ccc;padding:.3em .8em;text-align:left}"
                                   ".up,.ok,.master{color:#060;font-weight:bold}"
                                   ".down,.fail,.fault{color:#b00;font-weight:bold}"
                                   ".backup,.init,.unknown,.disabled{color:#555;font-weight:bold}";

static void render_summary(const struct metrics_snapshot *s, struct strbuf *out)
{
    char reason[ADMIN_REASON_MAX];
    unsigned code = admin_health(s, reason);
    const char *role = admin_vrrp_role_name(s->vrrp.role);
    strbuf_puts(out, "<table id=\"node\">");
    strbuf_printf(out, "<tr><th>VRRP role</th><td id=\"vrrp-role\" class=\"%s\">%s</td></tr>", role, role);
    strbuf_printf(out, "<tr><th>VRRP priority</th><td>%u</td></tr>", s->vrrp.priority);
    strbuf_printf(out, "<tr><th>Health</th><td id=\"health\" class=\"%s\">%u ", code == 200 ? "ok" : "fail",
                  code);
    strbuf_escape(out, STRBUF_ESC_HTML, reason);
    strbuf_puts(out, "</td></tr></table>\n");
}

static void render_backends(const struct metrics_snapshot *s, struct strbuf *out)
{
    strbuf_puts(out, "<h2>Backends</h2><table id=\"backends\"><tr><th>name</th><th>address</th>"
                     "<th>state</th><th>requests</th><th>in flight</th><th>checks ok</th>"
                     "<th>checks failed</th></tr>");
    for (unsigned i = 0; i < s->n_backends; i++) {
        const struct metrics_backend_snap *b = &s->backends[i];
        strbuf_puts(out, "<tr><td>");
        strbuf_escape(out, STRBUF_ESC_HTML, b->name);
        strbuf_puts(out, "</td><td>");
        strbuf_escape(out, STRBUF_ESC_HTML, b->address);
        strbuf_printf(out,
                      "</td><td class=\"%s\">%s</td><td>%" PRIu64 "</td><td>%u</td>"
                      "<td>%" PRIu64 "</td><td>%" PRIu64 "</td></tr>",
                      b->up ? "up" : "down", b->up ? "up" : "down", b->requests, b->active, b->checks_ok,
                      b->checks_failed);
    }
    strbuf_puts(out, "</table>\n");
}

static void counter_row(struct strbuf *out, const char *name, uint64_t value)
{
    strbuf_printf(out, "<tr><th>%s</th><td>%" PRIu64 "</td></tr>", name, value);
}

static void render_counters(const struct metrics_snapshot *s, struct strbuf *out)
{
    uint64_t drops = 0;
    for (unsigned i = 0; i < s->firewall.n_drops && i < ADMIN_FW_MAX_COUNTERS; i++)
        drops += s->firewall.drops[i].packets;
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
    counter_row(out, "VRRP transitions", s->vrrp.transitions);
    counter_row(out, "firewall drops (packets)", drops);
    counter_row(out, "blocked addresses", s->firewall.blocked_addresses);
    strbuf_puts(out, "</table>\n");
}

void admin_render_status(const struct metrics_snapshot *s, unsigned refresh_s, struct strbuf *out)
{
    strbuf_printf(out,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta http-equiv=\"refresh\" content=\"%u\">"
                  "<title>Rampart status</title><style>%s</style></head><body>\n"
                  "<h1>Rampart ",
                  refresh_s, status_style);
    strbuf_escape(out, STRBUF_ESC_HTML, s->node);
    strbuf_printf(out,
                  "</h1><p>version %s, refreshed every %u s; raw numbers on "
                  "<a href=\"/metrics\">/metrics</a>.</p>\n",
                  s->version ? s->version : "unknown", refresh_s);
    render_summary(s, out);
    render_backends(s, out);
    render_counters(s, out);
    strbuf_puts(out, "</body></html>\n");
}
