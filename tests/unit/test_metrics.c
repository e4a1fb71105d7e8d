/* Unit tests for gateway/admin/metrics_render.c: the Prometheus text rendered from
 * a snapshot, and the counters of gateway/admin/metrics.c feeding it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/admin/metrics.h"
#include "gateway/admin/metrics_render.h"
#include "tls/tls.h"
#include "tls/tls_crypto.h"
#include "tls/tls_keyreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct metrics_snapshot snap;
static struct strbuf out = STRBUF_HEAP_INIT;

static int setup(void **state)
{
    (void)state;
    memset(&snap, 0, sizeof snap);
    snap.n_vrrp = 1;
    snap.version = "9.9.9";
    strbuf_reset(&out);
    return 0;
}

static void add_backend(const char *name, bool up)
{
    struct metrics_backend_snap *b = &snap.backends[snap.n_backends++];
    snprintf(b->name, sizeof b->name, "%s", name);
    b->up = up;
}

/* The rendered text contains `line` as a whole line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

static const char *render(void)
{
    strbuf_reset(&out);
    metrics_render_prometheus(&snap, &out);
    assert_false(out.overflow);
    return out.data;
}

#define assert_line(line)                                                                                    \
    do {                                                                                                     \
        if (!has_line(render(), line))                                                                       \
            fail_msg("missing line: %s", line);                                                              \
    } while (0)

static void test_requests_by_class(void **state)
{
    (void)state;
    snap.requests_by_class[2] = 41;
    snap.requests_by_class[5] = 2;
    snap.requests_by_class[0] = 1;
    assert_line("rampart_requests_total{class=\"2xx\"} 41");
    assert_line("rampart_requests_total{class=\"5xx\"} 2");
    assert_line("rampart_requests_total{class=\"none\"} 1");
    assert_line("rampart_requests_total{class=\"4xx\"} 0");
    assert_line("# TYPE rampart_requests_total counter");
}

static void test_histogram_is_cumulative(void **state)
{
    (void)state;
    snap.latency_buckets[0] = 3; /* <= 1 ms */
    snap.latency_buckets[2] = 2; /* <= 5 ms */
    snap.latency_count = 6;      /* one slower than the last bound */
    snap.latency_sum_us = 12500123;
    assert_line("rampart_request_duration_seconds_bucket{le=\"0.001\"} 3");
    assert_line("rampart_request_duration_seconds_bucket{le=\"0.0025\"} 3");
    assert_line("rampart_request_duration_seconds_bucket{le=\"0.005\"} 5");
    assert_line("rampart_request_duration_seconds_bucket{le=\"10\"} 5");
    assert_line("rampart_request_duration_seconds_bucket{le=\"+Inf\"} 6");
    assert_line("rampart_request_duration_seconds_count 6");
    assert_line("rampart_request_duration_seconds_sum 12.500123");
    assert_line("# TYPE rampart_request_duration_seconds histogram");
}

/* Counters of metrics.c land in the right bucket (boundary: exactly 1 ms). */
static void test_request_done_buckets(void **state)
{
    (void)state;
    memset(&metrics, 0, sizeof metrics);
    metrics_request_done(200, 1000);     /* exactly the first bound */
    metrics_request_done(200, 1001);     /* just above: second bucket */
    metrics_request_done(503, 20000000); /* above every bound */
    metrics_request_done(0, 5);
    assert_int_equal(metrics.latency_buckets[0], 2); /* 1000 us and 5 us */
    assert_int_equal(metrics.latency_buckets[1], 1);
    assert_int_equal(metrics.latency_count, 4);
    assert_int_equal(metrics.requests_by_class[2], 2);
    assert_int_equal(metrics.requests_by_class[5], 1);
    assert_int_equal(metrics.requests_by_class[0], 1);
}

static void test_protocols_and_http2(void **state)
{
    (void)state;
    snap.connections_by_proto[METRICS_PROTO_H2] = 4;
    snap.requests_by_proto[METRICS_PROTO_HTTP1] = 9;
    snap.h2.streams_active = 3;
    snap.h2.rst_sent[H2_PROTOCOL_ERROR] = 2;
    snap.h2.goaway_sent[H2_ENHANCE_YOUR_CALM] = 1;
    snap.h2.goaway_received[METRICS_H2_CODES - 1] = 5;
    snap.h2.limits[H2_HIT_RESETS] = 1;
    assert_line("rampart_connections_by_protocol_total{protocol=\"h2\"} 4");
    assert_line("rampart_connections_by_protocol_total{protocol=\"http/1.1\"} 0");
    assert_line("rampart_requests_by_protocol_total{protocol=\"http/1.1\"} 9");
    assert_line("rampart_http2_streams_active 3");
    assert_line(
        "rampart_http2_errors_total{frame=\"RST_STREAM\",direction=\"sent\",code=\"PROTOCOL_ERROR\"} 2");
    assert_line(
        "rampart_http2_errors_total{frame=\"GOAWAY\",direction=\"sent\",code=\"ENHANCE_YOUR_CALM\"} 1");
    assert_line("rampart_http2_errors_total{frame=\"GOAWAY\",direction=\"received\",code=\"UNKNOWN\"} 5");
    assert_line("rampart_http2_limit_hits_total{limit=\"resets_per_second\"} 1");
    assert_line("rampart_http2_limit_hits_total{limit=\"frames_without_progress\"} 0");
}

/* Session events land in their counter; codes past RFC 9113's list in
 * the last slot. */
static void test_h2_events_counted(void **state)
{
    (void)state;
    memset(&metrics, 0, sizeof metrics);
    metrics_h2_event(H2_EV_RST_SENT, H2_REFUSED_STREAM);
    metrics_h2_event(H2_EV_GOAWAY_RECEIVED, 0xdead);
    metrics_h2_event(H2_EV_LIMIT, H2_HIT_CONTINUATIONS);
    metrics_h2_event(H2_EV_LIMIT, H2_HIT_COUNT); /* out of range: ignored */
    metrics_h2_stream(+2);
    metrics_h2_stream(-1);
    assert_int_equal(metrics.h2.rst_sent[H2_REFUSED_STREAM], 1);
    assert_int_equal(metrics.h2.goaway_received[METRICS_H2_CODES - 1], 1);
    assert_int_equal(metrics.h2.limits[H2_HIT_CONTINUATIONS], 1);
    assert_int_equal(metrics.h2.streams_active, 1);
}

static void test_backends(void **state)
{
    (void)state;
    add_backend("web-01", false);
    add_backend("web-02", true);
    snap.backends[1].requests = 7;
    snap.backends[1].responses_by_class[2] = 6;
    snap.backends[0].checks_failed = 3;
    snap.backends[0].checks_ok = 10;
    assert_line("rampart_backends_up 1");
    assert_line("rampart_backend_up{backend=\"web-01\"} 0");
    assert_line("rampart_backend_up{backend=\"web-02\"} 1");
    assert_line("rampart_backend_requests_total{backend=\"web-02\"} 7");
    assert_line("rampart_backend_responses_total{backend=\"web-02\",class=\"2xx\"} 6");
    assert_line("rampart_backend_checks_total{backend=\"web-01\",result=\"failed\"} 3");
    assert_line("rampart_backend_checks_total{backend=\"web-01\",result=\"ok\"} 10");
}

static void test_label_escaping(void **state)
{
    (void)state;
    add_backend("a\"b\\c\nd", true);
    assert_line("rampart_backend_up{backend=\"a\\\"b\\\\c\\nd\"} 1");
}

static void test_tls(void **state)
{
    (void)state;
    snap.tls_handshakes_tls13 = 5;
    snap.tls_handshakes_tls12 = 1;
    snap.n_tls_failures = 2;
    snprintf(snap.tls_failures[0].label, ADMIN_LABEL_MAX, "version");
    snap.tls_failures[0].value = 4;
    snprintf(snap.tls_failures[1].label, ADMIN_LABEL_MAX, "cipher");
    assert_line("rampart_tls_handshakes_total{version=\"TLSv1.3\"} 5");
    assert_line("rampart_tls_handshakes_total{version=\"TLSv1.2\"} 1");
    assert_line("rampart_tls_handshake_failures_total{reason=\"version\"} 4");
    assert_line("rampart_tls_handshake_failures_total{reason=\"cipher\"} 0");
}

/* The relay's signatures by result, and the key holder's answers by
 * status (every status has a sample, refusals by reason). */
static void test_keyholder(void **state)
{
    (void)state;
    snap.keyholder_requests[TLS_KH_OK] = 12;
    snap.keyholder_requests[TLS_KH_TIMEOUT] = 2;
    snap.keyholder.keys = 2;
    snap.keyholder.answers[TLS_KEYREQ_OK] = 12;
    snap.keyholder.answers[TLS_KEYREQ_BAD_KEY] = 3;
    assert_line("rampart_keyholder_requests_total{result=\"ok\"} 12");
    assert_line("rampart_keyholder_requests_total{result=\"timeout\"} 2");
    assert_line("rampart_keyholder_requests_total{result=\"error\"} 0");
    assert_line("rampart_keyholder_keys 2");
    assert_line("rampart_keyholder_answers_total{status=\"ok\"} 12");
    assert_line("rampart_keyholder_answers_total{status=\"key\"} 3");
    assert_line("rampart_keyholder_answers_total{status=\"failed\"} 0");
    assert_line("# TYPE rampart_keyholder_answers_total counter");
}

static void test_crypto_impl(void **state)
{
    (void)state;
    char line[160];
    snprintf(line, sizeof line, "rampart_crypto_impl{primitive=\"aes-gcm\",impl=\"%s\"} 1",
             tls_crypto_impl(TLS_CRYPTO_AES_GCM));
    assert_line(line);
    assert_line("rampart_crypto_impl{primitive=\"x25519\",impl=\"libsodium\"} 1");
    tls_crypto_set_accel(TLS_CRYPTO_X25519, false); /* what a CPU without it shows */
    assert_line("rampart_crypto_impl{primitive=\"x25519\",impl=\"mbedtls\"} 1");
    tls_crypto_set_accel(TLS_CRYPTO_X25519, true);
    assert_line("rampart_crypto_impl{primitive=\"ecdsa-p256\",impl=\"nettle\"} 1");
    assert_line("# TYPE rampart_crypto_impl gauge");
}

static void test_vrrp_state_enum(void **state)
{
    (void)state;
    snap.vrrp[0].role = ADMIN_VRRP_MASTER;
    snap.vrrp[0].transitions = 3;
    snap.vrrp[0].adverts_sent = 120;
    assert_line("rampart_vrrp_state{state=\"master\"} 1");
    assert_line("rampart_vrrp_state{state=\"backup\"} 0");
    assert_line("rampart_vrrp_state{state=\"unknown\"} 0");
    assert_line("rampart_vrrp_transitions_total 3");
    snap.vrrp[0].n_adverts_dropped = 2;
    snprintf(snap.vrrp[0].adverts_dropped[0].label, ADMIN_LABEL_MAX, "ttl");
    snap.vrrp[0].adverts_dropped[0].value = 4;
    snprintf(snap.vrrp[0].adverts_dropped[1].label, ADMIN_LABEL_MAX, "checksum");
    assert_line("rampart_vrrp_adverts_dropped_total{reason=\"ttl\"} 4");
    assert_line("rampart_vrrp_adverts_dropped_total{reason=\"checksum\"} 0");
    assert_line("rampart_vrrp_adverts_sent_total 120");
}

/* Active-active: one sample per instance, labelled vrrp_instance="NAME"; the
 * unnamed [vrrp] keeps its unlabelled samples next to them. */
static void test_vrrp_instances(void **state)
{
    (void)state;
    snap.n_vrrp = 3;
    snap.vrrp[0].role = ADMIN_VRRP_BACKUP;
    snap.vrrp[0].priority = 100;
    snprintf(snap.vrrp[1].name, ADMIN_VRRP_NAME_MAX, "vip-a");
    snap.vrrp[1].role = ADMIN_VRRP_MASTER;
    snap.vrrp[1].priority = 200;
    snap.vrrp[1].n_adverts_dropped = 1;
    snprintf(snap.vrrp[1].adverts_dropped[0].label, ADMIN_LABEL_MAX, "ttl");
    snap.vrrp[1].adverts_dropped[0].value = 7;
    snprintf(snap.vrrp[2].name, ADMIN_VRRP_NAME_MAX, "v\"6");
    snap.vrrp[2].role = ADMIN_VRRP_BACKUP;
    snap.vrrp[2].transitions = 4;
    assert_line("rampart_vrrp_state{state=\"backup\"} 1");
    assert_line("rampart_vrrp_state{vrrp_instance=\"vip-a\",state=\"master\"} 1");
    assert_line("rampart_vrrp_state{vrrp_instance=\"vip-a\",state=\"backup\"} 0");
    assert_line("rampart_vrrp_priority 100");
    assert_line("rampart_vrrp_priority{vrrp_instance=\"vip-a\"} 200");
    assert_line("rampart_vrrp_adverts_dropped_total{vrrp_instance=\"vip-a\",reason=\"ttl\"} 7");
    assert_line("rampart_vrrp_transitions_total{vrrp_instance=\"v\\\"6\"} 4"); /* escaped */
    snap.vrrp[1].vrid = 52;
    snap.vrrp[1].family = 6;
    snprintf(snap.vrrp[1].interface, ADMIN_IFNAME_MAX, "eth0");
    snap.vrrp[1].history.n = 1;
    snap.vrrp[1].history.items[0].t_s = 1234;
    assert_line("rampart_vrrp_instance_info{vrrp_instance=\"vip-a\",vrid=\"52\",interface=\"eth0\",family="
                "\"ipv6\"} 1");
    assert_line("rampart_vrrp_instance_info{vrid=\"0\",interface=\"\",family=\"ipv4\"} 1"); /* [vrrp] */
    assert_line("rampart_vrrp_last_transition_timestamp_seconds{vrrp_instance=\"vip-a\"} 1234");
    /* one HELP/TYPE per family, whatever the number of instances */
    const char *p = render();
    unsigned helps = 0;
    while ((p = strstr(p, "# TYPE rampart_vrrp_priority ")) != NULL)
        helps++, p++;
    assert_int_equal(helps, 1);
}

/* A count beyond the bound renders the bound, no more. */
static void test_vrrp_instances_bounded(void **state)
{
    (void)state;
    snap.n_vrrp = ADMIN_VRRP_MAX_INSTANCES + 5;
    for (unsigned i = 0; i < ADMIN_VRRP_MAX_INSTANCES; i++)
        snprintf(snap.vrrp[i].name, ADMIN_VRRP_NAME_MAX, "i%u", i);
    assert_line("rampart_vrrp_priority{vrrp_instance=\"i7\"} 0");
    assert_null(strstr(render(), "vrrp_instance=\"i8\""));
}

static void test_firewall(void **state)
{
    (void)state;
    snap.firewall.managed = true;
    snap.firewall.applied = true;
    snap.firewall.n_drops = 1;
    snprintf(snap.firewall.drops[0].name, ADMIN_FW_NAME_MAX, "input_drop");
    snap.firewall.drops[0].packets = 17;
    snap.firewall.drops[0].bytes = 1020;
    snap.firewall.blocked_addresses = 2;
    snap.firewall.autoblocks = 5;
    snap.firewall.n_autoblock_refused = 1;
    snprintf(snap.firewall.autoblock_refused[0].label, ADMIN_LABEL_MAX, "peer");
    snap.firewall.autoblock_refused[0].value = 3;
    assert_line("rampart_autoblock_refused_total{reason=\"peer\"} 3");
    assert_line("rampart_firewall_applied 1");
    assert_line("rampart_autoblock_total 5");
    assert_line("rampart_firewall_dropped_packets_total{counter=\"input_drop\"} 17");
    assert_line("rampart_firewall_dropped_bytes_total{counter=\"input_drop\"} 1020");
    assert_line("rampart_firewall_blocked_addresses 2");
}

/* [bgp]: nothing without it; with it, announced, the state and the count. */
static void test_bgp(void **state)
{
    (void)state;
    assert_null(strstr(render(), "rampart_bgp_"));
    snap.bgp.enabled = true;
    snap.bgp.announced = false;
    snprintf(snap.bgp.reason, ADMIN_LABEL_MAX, "draining");
    snap.bgp.transitions = 3;
    assert_line("rampart_bgp_announced 0");
    assert_line("rampart_bgp_state{state=\"draining\"} 1");
    assert_line("rampart_bgp_transitions_total 3");
    snap.bgp.announced = true;
    snprintf(snap.bgp.reason, ADMIN_LABEL_MAX, "announced");
    assert_line("rampart_bgp_announced 1");
    assert_line("rampart_bgp_state{state=\"announced\"} 1");
}

/* A count beyond the array is clamped, never read past the end. */
static void test_firewall_counter_bound(void **state)
{
    (void)state;
    snap.firewall.n_drops = ADMIN_FW_MAX_COUNTERS + 5;
    for (unsigned i = 0; i < ADMIN_FW_MAX_COUNTERS; i++)
        snprintf(snap.firewall.drops[i].name, ADMIN_FW_NAME_MAX, "c%u", i);
    const char *text = render();
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, "rampart_firewall_dropped_packets_total{")); p++)
        n++;
    assert_int_equal(n, ADMIN_FW_MAX_COUNTERS);
    snap.firewall.n_autoblock_refused = ADMIN_FW_MAX_REFUSALS + 1;
    for (unsigned i = 0; i < ADMIN_FW_MAX_REFUSALS; i++)
        snprintf(snap.firewall.autoblock_refused[i].label, ADMIN_LABEL_MAX, "r%u", i);
    text = render();
    n = 0;
    for (const char *p = text; (p = strstr(p, "rampart_autoblock_refused_total{")); p++)
        n++;
    assert_int_equal(n, ADMIN_FW_MAX_REFUSALS);
}

/* Every family: HELP then TYPE, names unique, every sample belongs to the
 * family announced just before it (what a Prometheus parser requires). */
static void test_format_families(void **state)
{
    (void)state;
    add_backend("web-01", true);
    char *text = strdup(render());
    char family[128] = "";
    char seen[4096] = " ";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        if (sscanf(line, "# HELP %127s", name) == 1) {
            char key[132];
            snprintf(key, sizeof key, " %s ", name);
            if (strstr(seen, key))
                fail_msg("family %s announced twice", name);
            strncat(seen, name, sizeof seen - strlen(seen) - 2);
            strcat(seen, " ");
            snprintf(family, sizeof family, "%s", name);
            continue;
        }
        if (line[0] == '#')
            continue;
        assert_true(family[0] != '\0');
        assert_int_equal(strncmp(line, family, strlen(family)), 0);
    }
    free(text);
}

static int teardown_all(void **state)
{
    (void)state;
    strbuf_free(&out);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_requests_by_class, setup),
        cmocka_unit_test_setup(test_histogram_is_cumulative, setup),
        cmocka_unit_test_setup(test_request_done_buckets, setup),
        cmocka_unit_test_setup(test_protocols_and_http2, setup),
        cmocka_unit_test_setup(test_h2_events_counted, setup),
        cmocka_unit_test_setup(test_backends, setup),
        cmocka_unit_test_setup(test_label_escaping, setup),
        cmocka_unit_test_setup(test_tls, setup),
        cmocka_unit_test_setup(test_crypto_impl, setup),
        cmocka_unit_test_setup(test_vrrp_state_enum, setup),
        cmocka_unit_test_setup(test_vrrp_instances, setup),
        cmocka_unit_test_setup(test_vrrp_instances_bounded, setup),
        cmocka_unit_test_setup(test_firewall, setup),
        cmocka_unit_test_setup(test_bgp, setup),
        cmocka_unit_test_setup(test_firewall_counter_bound, setup),
        cmocka_unit_test_setup(test_format_families, setup),
        cmocka_unit_test_setup(test_keyholder, setup),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
