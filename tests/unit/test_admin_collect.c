/* Unit tests for gateway/admin/admin_collect.c: the live counters (metrics,
 * tls_stats, backends, what the parent reported) land in the snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/admin/admin.h"
#include "gateway/upstream/backend.h"
#include "gateway/admin/metrics.h"
#include "gateway/admin/metrics_render.h"
#include "tls/tls.h"

#include <string.h>

static struct metrics_snapshot snap;

static void two_backends(struct config *cfg)
{
    char why[PARSE_WHY_MAX];
    config_defaults(cfg);
    cfg->n_backends = 2;
    snprintf(cfg->backends[0].name, CONFIG_NAME_MAX, "web-01");
    snprintf(cfg->backends[1].name, CONFIG_NAME_MAX, "web-02");
    assert_int_equal(
        parse_sockaddr("198.19.0.11:80", &cfg->backends[0].addr, &cfg->backends[0].addr_len, why), 0);
    assert_int_equal(
        parse_sockaddr("198.19.0.12:8080", &cfg->backends[1].addr, &cfg->backends[1].addr_len, why), 0);
    cfg->backends[0].weight = cfg->backends[1].weight = 1;
}

static void test_collect_backends(void **state)
{
    (void)state;
    static struct config cfg;
    struct backend_set set;
    two_backends(&cfg);
    assert_int_equal(backend_set_init(&set, &cfg, false), 0);
    atomic_store(&set.items[1].up, false);
    atomic_store(&set.items[0].requests, 5);
    atomic_store(&set.items[0].responses_by_class[2], 4);
    atomic_store(&set.items[1].checks_failed, 3);
    admin_collect(&snap, &set);
    assert_int_equal(snap.n_backends, 2);
    assert_string_equal(snap.backends[0].name, "web-01");
    assert_string_equal(snap.backends[0].address, "198.19.0.11:80");
    assert_string_equal(snap.backends[1].address, "198.19.0.12:8080");
    assert_true(snap.backends[0].up);
    assert_false(snap.backends[1].up);
    assert_int_equal(snap.backends[0].requests, 5);
    assert_int_equal(snap.backends[0].responses_by_class[2], 4);
    assert_int_equal(snap.backends[1].checks_failed, 3);
    backend_set_destroy(&set);
}

static void test_collect_counters(void **state)
{
    (void)state;
    memset(&metrics, 0, sizeof metrics);
    metrics_connection_opened();
    metrics_connection_opened();
    metrics_connection_closed();
    metrics_request_done(302, 2000);
    metrics_reject(METRICS_REJECT_URI_TOO_LONG);
    atomic_store(&tls_stats.handshakes_tls13, 7);
    tls_count_failure(TLS_FAIL_VERSION);
    admin_collect(&snap, NULL);
    assert_int_equal(snap.n_backends, 0);
    assert_int_equal(snap.connections_total, 2);
    assert_int_equal(snap.connections_active, 1);
    assert_int_equal(snap.requests_by_class[3], 1);
    assert_int_equal(snap.latency_buckets[1], 1);
    assert_int_equal(snap.rejects[METRICS_REJECT_URI_TOO_LONG], 1);
    assert_int_equal(snap.tls_handshakes_tls13, 7);
    assert_int_equal(snap.n_tls_failures, TLS_FAIL_COUNT);
    assert_string_equal(snap.tls_failures[TLS_FAIL_VERSION].label, tls_fail_reason_name(TLS_FAIL_VERSION));
    assert_int_equal(snap.tls_failures[TLS_FAIL_VERSION].value, 1);
    assert_non_null(snap.version);
}

static void test_collect_parent_status(void **state)
{
    (void)state;
    struct admin_vrrp_status v = {.role = ADMIN_VRRP_BACKUP,
                                  .priority = 100,
                                  .transitions = 2,
                                  .n_adverts_dropped = ADMIN_VRRP_DROP_KINDS + 1};
    struct admin_firewall_status f = {.managed = true, .applied = true, .n_drops = 99};
    admin_set_vrrp_status(&v, 1);
    admin_set_firewall_status(&f);
    admin_set_draining(true);
    admin_collect(&snap, NULL);
    assert_int_equal(snap.vrrp[0].role, ADMIN_VRRP_BACKUP);
    assert_int_equal(snap.vrrp[0].priority, 100);
    assert_int_equal(snap.vrrp[0].transitions, 2);
    assert_int_equal(snap.vrrp[0].n_adverts_dropped, ADMIN_VRRP_DROP_KINDS); /* clamped */
    assert_true(snap.firewall.applied);
    assert_int_equal(snap.firewall.n_drops, ADMIN_FW_MAX_COUNTERS); /* clamped */
    assert_true(snap.draining);
    admin_set_draining(false);
}

/* Garbage from the other side of the IPC is bounded before any renderer
 * sees it: unknown role, unterminated labels. */
static void test_parent_status_sanitised(void **state)
{
    (void)state;
    struct admin_vrrp_status v;
    struct admin_firewall_status f;
    memset(&v, 'x', sizeof v);
    memset(&f, 'y', sizeof f);
    v.role = (enum admin_vrrp_role)77;
    admin_set_vrrp_status(&v, 1);
    admin_set_firewall_status(&f);
    admin_collect(&snap, NULL);
    assert_int_equal(snap.vrrp[0].role, ADMIN_VRRP_UNKNOWN);
    assert_int_equal(snap.vrrp[0].n_adverts_dropped, ADMIN_VRRP_DROP_KINDS);
    assert_int_equal(strlen(snap.vrrp[0].adverts_dropped[3].label), ADMIN_LABEL_MAX - 1);
    assert_int_equal(snap.firewall.n_drops, ADMIN_FW_MAX_COUNTERS);
    assert_int_equal(strlen(snap.firewall.drops[0].name), ADMIN_FW_NAME_MAX - 1);
    struct strbuf out = STRBUF_HEAP_INIT;
    metrics_render_prometheus(&snap, &out);
    assert_false(out.overflow);
    strbuf_free(&out);
    memset(&v, 0, sizeof v);
    memset(&f, 0, sizeof f);
    admin_set_vrrp_status(&v, 1);
    admin_set_firewall_status(&f);
}

/* Several instances arrive as one report; more than the bound are cut,
 * none at all reads as one "unknown". */
static void test_parent_status_instances(void **state)
{
    (void)state;
    static struct admin_vrrp_status v[ADMIN_VRRP_MAX_INSTANCES + 2];
    memset(v, 0, sizeof v);
    for (unsigned i = 0; i < ADMIN_VRRP_MAX_INSTANCES + 2; i++) {
        snprintf(v[i].name, ADMIN_VRRP_NAME_MAX, "i%u", i);
        v[i].role = ADMIN_VRRP_BACKUP;
    }
    memset(v[1].name, 'z', ADMIN_VRRP_NAME_MAX); /* unterminated */
    admin_set_vrrp_status(v, ADMIN_VRRP_MAX_INSTANCES + 2);
    admin_collect(&snap, NULL);
    assert_int_equal(snap.n_vrrp, ADMIN_VRRP_MAX_INSTANCES);
    assert_string_equal(snap.vrrp[ADMIN_VRRP_MAX_INSTANCES - 1].name, "i7");
    assert_int_equal(strlen(snap.vrrp[1].name), ADMIN_VRRP_NAME_MAX - 1);
    admin_set_vrrp_status(v, 0);
    admin_collect(&snap, NULL);
    assert_int_equal(snap.n_vrrp, 1);
    assert_int_equal(snap.vrrp[0].role, ADMIN_VRRP_UNKNOWN);
    admin_set_vrrp_status(v, 2);
    admin_collect(&snap, NULL);
    assert_int_equal(snap.n_vrrp, 2);
    assert_string_equal(snap.vrrp[0].name, "i0");
    memset(v, 0, sizeof v);
    admin_set_vrrp_status(v, 1);
}

/* [vrrp] enabled = no: the pages say "disabled", not "unknown". */
static void test_vrrp_disabled_by_config(void **state)
{
    (void)state;
    static struct config cfg;
    config_defaults(&cfg);
    cfg.n_vrrp = 0; /* no [vrrp] section */
    cfg.admin.enabled = false;
    struct loop *loop = loop_new();
    assert_int_equal(admin_start(loop, &cfg, admin_collect, NULL), 0);
    admin_collect(&snap, NULL);
    assert_int_equal(snap.vrrp[0].role, ADMIN_VRRP_DISABLED);
    assert_true(snap.start_time_s > 0);
    admin_stop();
    loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collect_backends),        cmocka_unit_test(test_collect_counters),
        cmocka_unit_test(test_collect_parent_status),   cmocka_unit_test(test_parent_status_sanitised),
        cmocka_unit_test(test_vrrp_disabled_by_config), cmocka_unit_test(test_parent_status_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
