/* Unit tests for the admin listener: request parsing, /healthz decisions,
 * the /status page (gateway/admin/admin_http.c, admin_health.c, admin_page.c), and one real
 * exchange over 127.0.0.1 through gateway/admin/admin.c on a gateway/event/loop.c loop.
 *
 * `test_admin --serve` instead serves a fixed snapshot on 127.0.0.1 (port
 * printed on stdout) until killed: tests/integration/admin_pages.sh checks
 * it with promtool and headless Chromium. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/admin/admin.h"
#include "gateway/admin/admin_health.h"
#include "gateway/admin/admin_http.h"
#include "gateway/admin/admin_page.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct metrics_snapshot snap;

static void add_backend(const char *name, const char *address, bool up)
{
    struct metrics_backend_snap *b = &snap.backends[snap.n_backends++];
    snprintf(b->name, sizeof b->name, "%s", name);
    snprintf(b->address, sizeof b->address, "%s", address);
    b->up = up;
}

/* "Now" of the hand-made snapshot: fixed, so pages render the same every run. */
#define DEMO_NOW 1796127600ULL /* 2026-12-01 12:20:00Z */

/* 15 minutes and a bit of traffic, one record every ADMIN_HISTORY_STEP_S:
 * 20 requests/s climbing to 50, a burst of 5xx around -8 min, a quiet
 * minute with no request at all around -4 min (a gap in the latency
 * line), a firewall dropping 1 packet/s. More records than the ring holds,
 * so it has wrapped. */
static void demo_history(struct admin_history *h, uint64_t now)
{
    struct admin_history_counters c = {0};
    admin_history_init(h);
    unsigned steps = ADMIN_HISTORY_SAMPLES + 10;
    for (unsigned k = 0; k <= steps; k++) {
        uint64_t t = now - (uint64_t)(steps - k) * ADMIN_HISTORY_STEP_S;
        unsigned age_min = (unsigned)((now - t) / 60);
        uint64_t n = age_min == 4 ? 0 : (uint64_t)(20 + 30 * k / steps) * ADMIN_HISTORY_STEP_S;
        c.requests += n;
        c.errors += age_min == 8 ? 3 * ADMIN_HISTORY_STEP_S : 0;
        c.latency[2] += n * 8 / 10;   /* <= 5 ms */
        c.latency[5] += n * 19 / 100; /* <= 50 ms */
        c.latency[8] += n / 100;      /* <= 500 ms */
        c.latency_count += n;
        c.fw_drops += ADMIN_HISTORY_STEP_S;
        admin_history_record(h, t, &c);
    }
}

static void demo_vrrp_history(struct admin_vrrp_history *h, uint64_t now)
{
    h->n = 0;
    admin_vrrp_history_add(h, now - 1200, ADMIN_VRRP_UNKNOWN, ADMIN_VRRP_INIT);
    admin_vrrp_history_add(h, now - 1199, ADMIN_VRRP_INIT, ADMIN_VRRP_BACKUP);
    admin_vrrp_history_add(h, now - 720, ADMIN_VRRP_BACKUP, ADMIN_VRRP_MASTER);
    admin_vrrp_history_add(h, now - 360, ADMIN_VRRP_MASTER, ADMIN_VRRP_BACKUP);
    admin_vrrp_history_add(h, now - 120, ADMIN_VRRP_BACKUP, ADMIN_VRRP_MASTER);
}

static void add_cert(const char *name, int64_t days_left)
{
    struct metrics_cert_snap *c = &snap.certs[snap.n_certs++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->not_after_s = (int64_t)DEMO_NOW + days_left * 86400 + 3600;
    c->not_before_s = c->not_after_s - 90 * 86400;
}

static void backend_checked(struct metrics_backend_snap *b, uint64_t changed_ago, const char *why)
{
    b->changed_s = DEMO_NOW - changed_ago;
    snprintf(b->changed_why, sizeof b->changed_why, "%s", why);
    b->check_s = DEMO_NOW - 1;
    b->check_ok = true;
    snprintf(b->check, sizeof b->check, "status 200");
    b->checks_ok = 400;
}

/* The lab's picture: two backends, this node Master, certificates in
 * every state, a firewall that drops. */
static void demo_snapshot(void)
{
    memset(&snap, 0, sizeof snap);
    snap.version = "0.1.0-test";
    snap.now_s = DEMO_NOW;
    snap.start_time_s = DEMO_NOW - 1260;
    snprintf(snap.node, sizeof snap.node, "gw-1");
    add_backend("web-01", "198.19.0.11:80", true);
    add_backend("web-02", "198.19.0.12:80", true);
    snap.backends[0].requests = 11;
    snap.backends[1].requests = 12;
    snap.n_vrrp = 1;
    backend_checked(&snap.backends[1], 360, "status 200");
    snap.backends[1].checks_failed = 4;
    snap.vrrp[0].role = ADMIN_VRRP_MASTER;
    snap.vrrp[0].vrid = 51;
    snprintf(snap.vrrp[0].interface, sizeof snap.vrrp[0].interface, "eth0");
    snap.vrrp[0].priority = 150;
    snap.vrrp[0].transitions = 4;
    snap.vrrp[0].n_adverts_dropped = 1;
    snprintf(snap.vrrp[0].adverts_dropped[0].label, ADMIN_LABEL_MAX, "ttl");
    demo_vrrp_history(&snap.vrrp[0].history, DEMO_NOW);
    snap.requests_by_class[2] = 23;
    snap.connections_total = 9;
    snap.tls_handshakes_tls13 = 9;
    snap.n_tls_failures = 1;
    snprintf(snap.tls_failures[0].label, ADMIN_LABEL_MAX, "version");
    snap.firewall.managed = snap.firewall.applied = true;
    snap.firewall.applies = 2;
    snap.firewall.n_drops = 1;
    snprintf(snap.firewall.drops[0].name, ADMIN_FW_NAME_MAX, "drop_input");
    snap.firewall.drops[0].packets = 1234;
    snap.firewall.drops[0].bytes = 56789;
    snap.firewall.blocked_addresses = 3;
    add_cert("www.foobar.com", 60);
    add_cert("api.foobar.com", 10);
    add_cert("old.foobar.com", 2);
    demo_history(&snap.history, DEMO_NOW);
}

static int setup(void **state)
{
    (void)state;
    demo_snapshot();
    return 0;
}

/* ---- parsing ------------------------------------------------------------- */

static enum admin_parse parse(const char *text, struct admin_request *req)
{
    return admin_parse_request(text, strlen(text), req);
}

static void test_parse_get(void **state)
{
    (void)state;
    struct admin_request req;
    assert_int_equal(parse("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", &req), ADMIN_PARSE_OK);
    assert_true(req.get);
    assert_false(req.head);
    assert_string_equal(req.path, "/metrics");
    assert_int_equal(parse("HEAD /healthz HTTP/1.0\n\n", &req), ADMIN_PARSE_OK);
    assert_true(req.head);
    assert_int_equal(parse("POST /status HTTP/1.1\r\n\r\n", &req), ADMIN_PARSE_OK);
    assert_false(req.get);
}

static void test_parse_incomplete_and_bad(void **state)
{
    (void)state;
    struct admin_request req;
    assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: a\r\n", &req), ADMIN_PARSE_INCOMPLETE);
    assert_int_equal(parse("", &req), ADMIN_PARSE_INCOMPLETE);
    assert_int_equal(parse("GET metrics HTTP/1.1\r\n\r\n", &req), ADMIN_PARSE_BAD);
    assert_int_equal(parse("GET /metrics\r\n\r\n", &req), ADMIN_PARSE_BAD);
    assert_int_equal(parse("GET /metrics HTTP/2.0\r\n\r\n", &req), ADMIN_PARSE_BAD);
    assert_int_equal(parse("\r\n\r\n", &req), ADMIN_PARSE_BAD);
}

/* Boundary: a path of ADMIN_PATH_MAX - 1 bytes is routed, one more is refused. */
static void test_parse_path_limit(void **state)
{
    (void)state;
    char text[ADMIN_PATH_MAX + 64];
    char path[ADMIN_PATH_MAX + 1];
    struct admin_request req;
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[ADMIN_PATH_MAX - 1] = '\0';
    snprintf(text, sizeof text, "GET %s HTTP/1.1\r\n\r\n", path);
    assert_int_equal(parse(text, &req), ADMIN_PARSE_OK);
    assert_int_equal(strlen(req.path), ADMIN_PATH_MAX - 1);
    path[ADMIN_PATH_MAX - 1] = 'a';
    path[ADMIN_PATH_MAX] = '\0';
    snprintf(text, sizeof text, "GET %s HTTP/1.1\r\n\r\n", path);
    assert_int_equal(parse(text, &req), ADMIN_PARSE_BAD);
}

static void test_vrrp_role_names(void **state)
{
    (void)state;
    for (unsigned r = 0; r < ADMIN_VRRP_ROLE_COUNT; r++)
        assert_int_equal(admin_vrrp_role_from_name(admin_vrrp_role_name(r)), r);
    assert_int_equal(admin_vrrp_role_from_name("MASTER"), ADMIN_VRRP_MASTER);
    assert_int_equal(admin_vrrp_role_from_name("leader"), ADMIN_VRRP_UNKNOWN);
    assert_int_equal(admin_vrrp_role_from_name(NULL), ADMIN_VRRP_UNKNOWN);
    assert_string_equal(admin_vrrp_role_name(ADMIN_VRRP_ROLE_COUNT), "unknown");
}

/* ---- /healthz ------------------------------------------------------------ */

static void test_health_ok(void **state)
{
    (void)state;
    char reason[ADMIN_REASON_MAX];
    assert_int_equal(admin_health(&snap, reason), 200);
    assert_string_equal(reason, "ok: 2/2 backends up, vrrp master");
    snap.backends[0].up = false;
    snap.vrrp[0].role = ADMIN_VRRP_BACKUP;
    assert_int_equal(admin_health(&snap, reason), 200);
    assert_string_equal(reason, "ok: 1/2 backends up, vrrp backup");
}

static void test_health_reasons(void **state)
{
    (void)state;
    char reason[ADMIN_REASON_MAX];
    snap.backends[0].up = snap.backends[1].up = false;
    assert_int_equal(admin_health(&snap, reason), 503);
    assert_string_equal(reason, "no backend is up (web-01 down, web-02 down)");
    snap.n_backends = 0;
    assert_int_equal(admin_health(&snap, reason), 503);
    assert_string_equal(reason, "no backend configured");
    snap.firewall.applied = false;
    assert_int_equal(admin_health(&snap, reason), 503);
    assert_string_equal(reason, "firewall: the policy is not applied");
    snap.vrrp[0].role = ADMIN_VRRP_FAULT;
    assert_int_equal(admin_health(&snap, reason), 503);
    assert_string_equal(reason, "vrrp: fault (a tracked interface is down)");
    snap.draining = true;
    assert_int_equal(admin_health(&snap, reason), 503);
    assert_string_equal(reason, "draining: the node is shutting down");
}

/* Many long names down: the reason is cut, never overflows. */
static void test_health_reason_bound(void **state)
{
    (void)state;
    char reason[ADMIN_REASON_MAX];
    char name[CONFIG_NAME_MAX];
    snap.n_backends = 0;
    for (unsigned i = 0; i < CONFIG_MAX_BACKENDS; i++) {
        snprintf(name, sizeof name, "backend-with-a-rather-long-name-%02u", i);
        add_backend(name, "198.19.0.1:80", false);
    }
    assert_int_equal(admin_health(&snap, reason), 503);
    assert_true(strlen(reason) < ADMIN_REASON_MAX);
    assert_non_null(strstr(reason, "backend-with-a-rather-long-name-00 down"));
    assert_null(strstr(reason, "-63 down"));
}

/* ---- responses ----------------------------------------------------------- */

static struct strbuf response = STRBUF_HEAP_INIT;

static int teardown_all(void **state)
{
    (void)state;
    strbuf_free(&response);
    return 0;
}

static char *respond(const char *request)
{
    struct admin_request req;
    enum admin_parse parsed = parse(request, &req);
    strbuf_free(&response);
    admin_respond(&req, parsed, &snap, &response);
    assert_false(response.overflow);
    return response.data;
}

static void test_respond_routes(void **state)
{
    (void)state;
    char *r = respond("GET /healthz HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(r, "\r\n\r\nok: 2/2 backends up, vrrp master\n"));
    assert_non_null(strstr(r, "Content-Length: 33\r\n"));
    snap.backends[0].up = snap.backends[1].up = false;
    r = respond("GET /healthz HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 503 Service Unavailable\r\n"));
    r = respond("GET /metrics HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4"));
    assert_non_null(strstr(r, "\nrampart_backend_up{backend=\"web-01\"} 0\n"));
    r = respond("GET /nope HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
    r = respond("DELETE /metrics HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null(strstr(r, "Allow: GET, HEAD\r\n"));
    r = respond("GET nope\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 400 Bad Request\r\n"));
}

static void test_respond_head_has_no_body(void **state)
{
    (void)state;
    char *r = respond("HEAD /status HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
    assert_null(strstr(r, "<html"));
    char *end = strstr(r, "\r\n\r\n");
    assert_non_null(end);
    assert_int_equal(end[4], '\0');
}

static void test_status_page(void **state)
{
    (void)state;
    snap.backends[1].up = false;
    snprintf(snap.backends[0].name, CONFIG_NAME_MAX, "<web&01>");
    char *r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "Content-Type: text/html; charset=utf-8"));
    assert_non_null(strstr(r, "<meta http-equiv=\"refresh\" content=\"3\">"));
    assert_non_null(strstr(r, "<td id=\"vrrp-role\" class=\"master\">master</td>"));
    assert_non_null(strstr(r, "<td>&lt;web&amp;01&gt;</td><td>198.19.0.11:80</td>"
                              "<td class=\"up\">up</td>"));
    assert_non_null(strstr(r, "<td>web-02</td><td>198.19.0.12:80</td><td class=\"down\">down</td>"));
    assert_null(strstr(r, "<web&01>"));
    assert_null(strstr(r, "<script"));
    assert_null(strstr(r, "http://")); /* no external asset */
}

/* Active-active: /healthz names each instance's role; a fault in any one
 * makes the node unhealthy. */
static void test_health_instances(void **state)
{
    (void)state;
    char reason[ADMIN_REASON_MAX];
    snap.n_vrrp = 2;
    snprintf(snap.vrrp[0].name, ADMIN_VRRP_NAME_MAX, "vip-a");
    snprintf(snap.vrrp[1].name, ADMIN_VRRP_NAME_MAX, "vip-b");
    snap.vrrp[1].role = ADMIN_VRRP_BACKUP;
    assert_int_equal(admin_health(&snap, reason), 200);
    assert_string_equal(reason, "ok: 2/2 backends up, vrrp vip-a=master vip-b=backup");
    snap.vrrp[0].name[0] = '\0'; /* [vrrp] next to a named one */
    assert_int_equal(admin_health(&snap, reason), 200);
    assert_string_equal(reason, "ok: 2/2 backends up, vrrp -=master vip-b=backup");
    snap.vrrp[1].role = ADMIN_VRRP_FAULT;
    assert_int_equal(admin_health(&snap, reason), 503);
    /* eight long names: cut at a whole instance, never mid-name */
    snap.n_vrrp = ADMIN_VRRP_MAX_INSTANCES;
    for (unsigned i = 0; i < ADMIN_VRRP_MAX_INSTANCES; i++) {
        memset(snap.vrrp[i].name, 'n', ADMIN_VRRP_NAME_MAX - 1);
        snap.vrrp[i].name[ADMIN_VRRP_NAME_MAX - 1] = '\0';
        snap.vrrp[i].role = ADMIN_VRRP_BACKUP;
    }
    char roles[ADMIN_REASON_MAX];
    admin_vrrp_roles(&snap, roles, sizeof roles);
    assert_true(strlen(roles) < sizeof roles);
    assert_true(strlen(roles) % (ADMIN_VRRP_NAME_MAX - 1 + 8) == ADMIN_VRRP_NAME_MAX - 1 + 7);
}

/* [bgp]: a section only when enabled; the state is escaped. */
static void test_status_page_bgp(void **state)
{
    (void)state;
    char *r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_null(strstr(r, "<table id=\"bgp\">"));
    snap.bgp.enabled = true;
    snprintf(snap.bgp.reason, ADMIN_LABEL_MAX, "<draining>");
    snap.bgp.transitions = 2;
    r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "<table id=\"bgp\"><tr><th>route</th><td class=\"fail\">withdrawn</td></tr>"
                              "<tr><th>state</th><td>&lt;draining&gt;</td></tr>"
                              "<tr><th>announcements and withdrawals</th><td>2</td></tr></table>"));
    snap.bgp.announced = true;
    r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "<td class=\"ok\">announced</td>"));
}

static void test_status_page_instances(void **state)
{
    (void)state;
    snap.n_vrrp = 2;
    snprintf(snap.vrrp[0].name, ADMIN_VRRP_NAME_MAX, "<a>");
    snap.vrrp[0].vrid = 51;
    snap.vrrp[0].family = 6;
    snprintf(snap.vrrp[1].name, ADMIN_VRRP_NAME_MAX, "vip-b");
    snap.vrrp[1].role = ADMIN_VRRP_BACKUP;
    snap.vrrp[1].priority = 100;
    snap.vrrp[1].vrid = 52;
    snap.vrrp[1].family = 4;
    char *r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_null(strstr(r, "id=\"vrrp-role\"")); /* no single role with instances */
    assert_non_null(strstr(r, "<table id=\"vrrp\">"));
    assert_non_null(strstr(r, "<tr><td>&lt;a&gt;</td><td class=\"master\">master</td><td>150</td><td>51</td>"
                              "<td>IPv6</td>"));
    assert_non_null(strstr(r, "<tr><td>vip-b</td><td class=\"backup\">backup</td><td>100</td><td>52</td>"
                              "<td>IPv4</td>"));
    assert_null(strstr(r, "<a>"));
}

static unsigned occurrences(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* What an operator looks at: the charts, the VRRP timeline and its
 * changes, backends with since-when and their last check, certificates
 * flagged, the firewall; still no script and no style attribute. */
static void test_status_page_pictures(void **state)
{
    (void)state;
    char *r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"));
    const char *charts[] = {"chart-requests", "chart-errors", "chart-latency", "chart-drops"};
    for (unsigned i = 0; i < 4; i++) {
        char id[64];
        snprintf(id, sizeof id, "<svg id=\"%s\" viewBox=\"0 0 360 120\"", charts[i]);
        assert_non_null(strstr(r, id));
    }
    assert_int_equal(occurrences(r, "<path class=\"s0\""), 4);
    assert_int_equal(occurrences(r, "<path class=\"s1\""), 1); /* p99 */
    assert_non_null(strstr(r, "Requests per second <span class=\"k0\">now 50, max 50</span>"));
    assert_non_null(strstr(r, "5xx responses per second <span class=\"k0\">now 0, max 3</span>"));
    assert_non_null(strstr(r, "<svg id=\"vrrp-timeline\""));
    assert_int_equal(occurrences(r, "<rect class=\"role-"), 4);
    assert_non_null(strstr(r, "<p>VRID 51 (IPv4) on eth0, 4 state changes since the daemon started</p>"));
    assert_non_null(strstr(r,
                           "<tr><td>2026-12-01 12:18:00Z</td><td>2 min</td><td class=\"backup\">backup</td>"
                           "<td class=\"master\">master</td></tr>"));
    assert_int_equal(occurrences(r, "</td></tr>") >= 5, 1);
    assert_non_null(strstr(r, "<td>since the relay started</td><td>none yet</td><td>-</td>"));
    assert_non_null(strstr(r, "<td>2026-12-01 12:14:00Z (6 min ago): status 200</td>"
                              "<td class=\"ok\">status 200</td><td>1 s ago</td>"));
    assert_non_null(strstr(r,
                           "<td>www.foobar.com</td><td>2026-11-01 13:20:00Z</td><td>2027-01-30 13:20:00Z</td>"
                           "<td class=\"ok\">60</td>"));
    assert_non_null(strstr(r, "<td>api.foobar.com</td>"));
    assert_non_null(strstr(r, "<td class=\"warn\">10</td>"));
    assert_non_null(strstr(r, "<td class=\"crit\">2</td>"));
    assert_non_null(strstr(r, "<tr><th>policy</th><td class=\"ok\">applied</td></tr>"));
    assert_non_null(strstr(r, "<tr><th>dropped by drop_input</th><td>1234 packets, 56789 bytes</td></tr>"));
    assert_non_null(strstr(r, "<tr><th>blocked addresses</th><td>3</td></tr>"));
    assert_null(strstr(r, "<script"));
    assert_null(strstr(r, " style="));
    assert_null(strstr(r, "http://"));
}

/* No VRRP, no certificate, no sample yet: the page says so, nothing breaks. */
static void test_status_page_quiet_node(void **state)
{
    (void)state;
    snap.vrrp[0].role = ADMIN_VRRP_DISABLED;
    snap.n_certs = 0;
    admin_history_init(&snap.history);
    snap.firewall.managed = false;
    char *r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "<p id=\"vrrp-off\">VRRP is off on this node"));
    assert_null(strstr(r, "vrrp-timeline"));
    assert_int_equal(occurrences(r, "no sample yet"), 4);
    assert_non_null(strstr(r, "<td class=\"disabled\">not managed</td>"));
    snap.firewall.managed = true;
    snap.firewall.applied = false;
    r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "<td class=\"fail\">NOT applied</td>"));
}

/* Boundaries of the certificate flags: the alerting rules' 14 and 3 days. */
static void test_cert_class(void **state)
{
    (void)state;
    const int64_t day = 86400;
    assert_string_equal(admin_cert_class(ADMIN_CERT_WARN_DAYS * day), "ok");
    assert_string_equal(admin_cert_class(ADMIN_CERT_WARN_DAYS * day - 1), "warn");
    assert_string_equal(admin_cert_class(ADMIN_CERT_CRIT_DAYS * day), "warn");
    assert_string_equal(admin_cert_class(ADMIN_CERT_CRIT_DAYS * day - 1), "crit");
    assert_string_equal(admin_cert_class(-5 * day), "crit");
    snap.certs[0].not_after_s = (int64_t)DEMO_NOW - 3 * day;
    char *r = respond("GET /status HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "<td class=\"crit\">expired 3 d ago</td>"));
}

/* The new families on /metrics, where an alerting rule reads them. */
static void test_metrics_for_alerts(void **state)
{
    (void)state;
    char *r = respond("GET /metrics HTTP/1.1\r\n\r\n");
    char want[160];
    snprintf(want, sizeof want,
             "\nrampart_tls_certificate_expiry_timestamp_seconds{name=\"api.foobar.com\"} %lld\n",
             (long long)snap.certs[1].not_after_s);
    assert_non_null(strstr(r, want));
    assert_non_null(
        strstr(r, "\nrampart_vrrp_instance_info{vrid=\"51\",interface=\"eth0\",family=\"ipv4\"} 1\n"));
    assert_non_null(strstr(r, "\nrampart_firewall_managed 1\n"));
    snprintf(want, sizeof want, "\nrampart_vrrp_last_transition_timestamp_seconds %llu\n",
             (unsigned long long)(DEMO_NOW - 120));
    assert_non_null(strstr(r, want));
    snprintf(want, sizeof want, "\nrampart_backend_last_change_timestamp_seconds{backend=\"web-02\"} %llu\n",
             (unsigned long long)(DEMO_NOW - 360));
    assert_non_null(strstr(r, want));
    snprintf(want, sizeof want, "\nrampart_backend_last_change_timestamp_seconds{backend=\"web-01\"} %llu\n",
             (unsigned long long)snap.start_time_s); /* no change since the relay started */
    assert_non_null(strstr(r, want));
    snap.vrrp[0].role = ADMIN_VRRP_DISABLED;
    r = respond("GET /metrics HTTP/1.1\r\n\r\n");
    assert_null(strstr(r, "\nrampart_vrrp_instance_info{"));
}

/* ---- one real exchange through the listener ------------------------------ */

static void fake_collect(struct metrics_snapshot *out, void *arg)
{
    (void)arg;
    *out = snap;
}

struct client {
    struct loop_io io;
    char buf[65536];
    size_t len;
};

static void client_event(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct client *c = io->arg;
    ssize_t n = recv(io->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
    if (n > 0) {
        c->len += (size_t)n;
        return;
    }
    if (n < 0 && errno == EAGAIN)
        return;
    c->buf[c->len] = '\0';
    loop_unwatch(loop, io);
    loop_stop(loop);
}

static void loopback_config(struct config *cfg, unsigned port)
{
    config_defaults(cfg);
    cfg->admin.enabled = true;
    struct sockaddr_in *sin = (struct sockaddr_in *)&cfg->admin.listen.addr;
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cfg->admin.listen.len = sizeof *sin;
}

static int connect_loopback(unsigned port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    return fd;
}

static void test_listener_exchange(void **state)
{
    (void)state;
    struct config cfg;
    loopback_config(&cfg, 0);
    struct loop *loop = loop_new();
    assert_non_null(loop);
    assert_int_equal(admin_start(loop, &cfg, fake_collect, NULL), 0);
    assert_true(admin_port() > 0);
    assert_int_equal(admin_start(loop, &cfg, fake_collect, NULL), -1); /* only one */

    static struct client c;
    memset(&c, 0, sizeof c);
    c.io = (struct loop_io){.fd = connect_loopback(admin_port()), .fn = client_event, .arg = &c};
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(c.io.fd, req, strlen(req), 0), (ssize_t)strlen(req));
    assert_int_equal(loop_watch(loop, &c.io, LOOP_READ), 0);
    assert_int_equal(loop_run(loop), 0);
    assert_non_null(strstr(c.buf, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(c.buf, "ok: 2/2 backends up, vrrp master\n"));
    close(c.io.fd);
    admin_stop();
    assert_int_equal(admin_port(), 0);
    loop_free(loop);
}

/* Starts the listener on an ephemeral port, sends `req` on one connection
 * (after `idle` silent connections are opened) and returns the answer. */
static const char *exchange(const char *req, size_t len, unsigned idle)
{
    static struct client c;
    struct config cfg;
    int idle_fds[ADMIN_MAX_CLIENTS + 1];
    loopback_config(&cfg, 0);
    struct loop *loop = loop_new();
    assert_int_equal(admin_start(loop, &cfg, fake_collect, NULL), 0);
    assert_true(idle <= ADMIN_MAX_CLIENTS);
    for (unsigned i = 0; i < idle; i++)
        idle_fds[i] = connect_loopback(admin_port());
    memset(&c, 0, sizeof c);
    c.io = (struct loop_io){.fd = connect_loopback(admin_port()), .fn = client_event, .arg = &c};
    assert_int_equal(send(c.io.fd, req, len, 0), (ssize_t)len);
    assert_int_equal(loop_watch(loop, &c.io, LOOP_READ), 0);
    assert_int_equal(loop_run(loop), 0);
    close(c.io.fd);
    for (unsigned i = 0; i < idle; i++)
        close(idle_fds[i]);
    admin_stop();
    loop_free(loop);
    return c.buf;
}

/* Boundary: a head of ADMIN_REQUEST_MAX bytes with no end is refused (400). */
static void test_listener_request_limit(void **state)
{
    (void)state;
    static char req[ADMIN_REQUEST_MAX];
    memset(req, 'a', sizeof req);
    memcpy(req, "GET /healthz HTTP/1.1\r\nX-Pad: ", 31);
    const char *answer = exchange(req, sizeof req, 0);
    assert_non_null(strstr(answer, "HTTP/1.1 400 Bad Request\r\n"));
    /* one byte less, then the blank line: still a request we answer */
    static char ok[ADMIN_REQUEST_MAX];
    memcpy(ok, req, sizeof ok);
    memcpy(ok + sizeof ok - 4, "\r\n\r\n", 4);
    answer = exchange(ok, sizeof ok, 0);
    assert_non_null(strstr(answer, "HTTP/1.1 200 OK\r\n"));
}

/* Boundary: with ADMIN_MAX_CLIENTS connections open, one more is closed
 * unanswered; with one fewer, it is answered. */
static void test_listener_client_limit(void **state)
{
    (void)state;
    const char *req = "GET /healthz HTTP/1.1\r\n\r\n";
    const char *answer = exchange(req, strlen(req), ADMIN_MAX_CLIENTS - 1);
    assert_non_null(strstr(answer, "HTTP/1.1 200 OK\r\n"));
    answer = exchange(req, strlen(req), ADMIN_MAX_CLIENTS);
    assert_string_equal(answer, "");
}

/* Drain: after admin_unlisten() the port refuses connections. */
static void test_listener_unlisten(void **state)
{
    (void)state;
    struct config cfg;
    loopback_config(&cfg, 0);
    struct loop *loop = loop_new();
    assert_int_equal(admin_start(loop, &cfg, fake_collect, NULL), 0);
    unsigned port = admin_port();
    assert_true(port > 0);
    admin_unlisten();
    assert_int_equal(admin_port(), 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), -1);
    assert_int_equal(errno, ECONNREFUSED);
    close(fd);
    admin_stop();
    loop_free(loop);
}

static void stop_from_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop, (void)t;
    admin_stop(); /* from a callback, as the relay does on a reload */
}

/* admin_stop() inside the loop closes a connection mid-request: the
 * client sees the close, nothing is touched after it (ASan checks). */
static void test_stop_from_callback(void **state)
{
    (void)state;
    static struct client c;
    struct config cfg;
    loopback_config(&cfg, 0);
    struct loop *loop = loop_new();
    assert_int_equal(admin_start(loop, &cfg, fake_collect, NULL), 0);
    memset(&c, 0, sizeof c);
    c.io = (struct loop_io){.fd = connect_loopback(admin_port()), .fn = client_event, .arg = &c};
    const char *partial = "GET /metrics HTTP/1.1\r\n";
    assert_int_equal(send(c.io.fd, partial, strlen(partial), 0), (ssize_t)strlen(partial));
    struct loop_timer t = {.fn = stop_from_timer};
    loop_timer_set(loop, &t, 100);
    assert_int_equal(loop_watch(loop, &c.io, LOOP_READ), 0);
    assert_int_equal(loop_run(loop), 0); /* ends when the client sees EOF */
    assert_int_equal(c.len, 0);
    assert_int_equal(admin_port(), 0);
    close(c.io.fd);
    loop_free(loop);
}

/* Disabled in the config: nothing is bound, not an error. */
static void test_listener_disabled(void **state)
{
    (void)state;
    struct config cfg;
    loopback_config(&cfg, 0);
    cfg.admin.enabled = false;
    struct loop *loop = loop_new();
    assert_int_equal(admin_start(loop, &cfg, fake_collect, NULL), 0);
    assert_int_equal(admin_port(), 0);
    admin_stop();
    loop_free(loop);
}

/* `--serve`: the fixed snapshot on 127.0.0.1:0 until killed. */
static int serve(void)
{
    struct config cfg;
    demo_snapshot();
    snap.bgp.enabled = snap.bgp.announced = true; /* every family is served */
    snprintf(snap.bgp.reason, ADMIN_LABEL_MAX, "announced");
    loopback_config(&cfg, 0);
    struct loop *loop = loop_new();
    if (!loop || admin_start(loop, &cfg, fake_collect, NULL) != 0)
        return 1;
    printf("%u\n", admin_port());
    fflush(stdout);
    return loop_run(loop) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--serve") == 0)
        return serve();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse_get, setup),
        cmocka_unit_test_setup(test_parse_incomplete_and_bad, setup),
        cmocka_unit_test_setup(test_parse_path_limit, setup),
        cmocka_unit_test_setup(test_vrrp_role_names, setup),
        cmocka_unit_test_setup(test_health_instances, setup),
        cmocka_unit_test_setup(test_status_page_instances, setup),
        cmocka_unit_test_setup(test_status_page_bgp, setup),
        cmocka_unit_test_setup(test_health_ok, setup),
        cmocka_unit_test_setup(test_health_reasons, setup),
        cmocka_unit_test_setup(test_health_reason_bound, setup),
        cmocka_unit_test_setup(test_respond_routes, setup),
        cmocka_unit_test_setup(test_respond_head_has_no_body, setup),
        cmocka_unit_test_setup(test_status_page, setup),
        cmocka_unit_test_setup(test_status_page_pictures, setup),
        cmocka_unit_test_setup(test_status_page_quiet_node, setup),
        cmocka_unit_test_setup(test_cert_class, setup),
        cmocka_unit_test_setup(test_metrics_for_alerts, setup),
        cmocka_unit_test_setup(test_listener_exchange, setup),
        cmocka_unit_test_setup(test_listener_disabled, setup),
        cmocka_unit_test_setup(test_listener_unlisten, setup),
        cmocka_unit_test_setup(test_stop_from_callback, setup),
        cmocka_unit_test_setup(test_listener_request_limit, setup),
        cmocka_unit_test_setup(test_listener_client_limit, setup),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
