/*
 * admin_collect: everything the admin pages show, gathered in one place.
 * It keeps what the parent reports (VRRP, firewall, with the role names),
 * the drain flag and the process's start time and host name, and reads the
 * live counters of the relay into one snapshot, with the certificates'
 * validity and the ring of the last 15 minutes (admin_history.h), which it
 * samples when the relay's control loop says so. Counters are atomics read
 * one by one (relaxed): a page is a consistent enough picture; Prometheus
 * rates smooth the rest. Calls nothing else in gateway/admin/ but metrics.c
 * and admin_history.c.
 */
#include "gateway/admin/admin.h"
#include "gateway/upstream/backend.h"
#include "gateway/admin/metrics.h"
#include "tls/tls.h"
#include "tls/tls_keyreq.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

_Static_assert(TLS_FAIL_COUNT <= METRICS_TLS_FAILURE_KINDS, "room for every TLS failure reason");
_Static_assert(TLS_KEYREQ_STATUS_END == ADMIN_KEYS_STATUS_KINDS, "a label for every key holder answer");
_Static_assert(TLS_KH_RESULT_COUNT == METRICS_KEYHOLDER_RESULTS, "a sample for every signature result");

static pthread_mutex_t parent_lock = PTHREAD_MUTEX_INITIALIZER;
static struct admin_vrrp_status parent_vrrp[ADMIN_VRRP_MAX_INSTANCES];
static unsigned n_parent_vrrp = 1; /* one "unknown" until the parent reports */
static struct admin_firewall_status parent_firewall;
static struct admin_keyholder_status parent_keys;
static struct admin_peer_status parent_peer;
static struct admin_bgp_status parent_bgp; /* enabled = false until the parent reports */
static atomic_bool draining;
/* written once by admin_start(), before the listener serves a page */
static uint64_t start_time_s;
static char node_name[CONFIG_NAME_MAX];
/* written once by the relay after its TLS server is built */
static struct metrics_cert_snap certs[CONFIG_MAX_CERTIFICATES];
static unsigned n_certs;
/* the charts' ring: sampled on the control loop, copied by every page */
static pthread_mutex_t history_lock = PTHREAD_MUTEX_INITIALIZER;
static struct admin_history history;

static const char *const vrrp_role_names[ADMIN_VRRP_ROLE_COUNT] = {
    "unknown", "disabled", "init", "backup", "master", "fault",
};

const char *admin_vrrp_role_name(enum admin_vrrp_role role)
{
    return (unsigned)role < ADMIN_VRRP_ROLE_COUNT ? vrrp_role_names[role] : "unknown";
}

enum admin_vrrp_role admin_vrrp_role_from_name(const char *name)
{
    for (unsigned r = 0; r < ADMIN_VRRP_ROLE_COUNT; r++)
        if (name && strcasecmp(name, vrrp_role_names[r]) == 0)
            return (enum admin_vrrp_role)r;
    return ADMIN_VRRP_UNKNOWN;
}

/* A bool whose byte came from another process: any non-zero is true
 * (reading a stray byte as bool directly would be undefined). */
static bool clean_bool(const bool *b)
{
    unsigned char byte;
    memcpy(&byte, b, 1);
    return byte != 0;
}

/* What arrives over IPC is bounded here once: counts clamped, strings
 * terminated, the role known, so the renderers can trust the snapshot. */
void admin_set_vrrp_status(const struct admin_vrrp_status *st, unsigned n)
{
    pthread_mutex_lock(&parent_lock);
    unsigned keep = n > ADMIN_VRRP_MAX_INSTANCES ? ADMIN_VRRP_MAX_INSTANCES : n;
    memset(parent_vrrp, 0, sizeof parent_vrrp);
    memcpy(parent_vrrp, st, keep * sizeof *st);
    n_parent_vrrp = keep ? keep : 1; /* none: one "unknown" */
    for (unsigned k = 0; k < n_parent_vrrp; k++) {
        struct admin_vrrp_status *v = &parent_vrrp[k];
        if ((unsigned)v->role >= ADMIN_VRRP_ROLE_COUNT)
            v->role = ADMIN_VRRP_UNKNOWN;
        if (v->n_adverts_dropped > ADMIN_VRRP_DROP_KINDS)
            v->n_adverts_dropped = ADMIN_VRRP_DROP_KINDS;
        for (unsigned i = 0; i < ADMIN_VRRP_DROP_KINDS; i++)
            v->adverts_dropped[i].label[ADMIN_LABEL_MAX - 1] = '\0';
        v->name[ADMIN_VRRP_NAME_MAX - 1] = '\0';
        v->interface[ADMIN_IFNAME_MAX - 1] = '\0';
        struct admin_vrrp_history *h = &v->history;
        if (h->n > ADMIN_VRRP_HISTORY)
            h->n = ADMIN_VRRP_HISTORY;
        for (unsigned i = 0; i < h->n; i++) {
            if ((unsigned)h->items[i].from >= ADMIN_VRRP_ROLE_COUNT)
                h->items[i].from = ADMIN_VRRP_UNKNOWN;
            if ((unsigned)h->items[i].to >= ADMIN_VRRP_ROLE_COUNT)
                h->items[i].to = ADMIN_VRRP_UNKNOWN;
        }
    }
    pthread_mutex_unlock(&parent_lock);
}

void admin_set_firewall_status(const struct admin_firewall_status *st)
{
    pthread_mutex_lock(&parent_lock);
    parent_firewall = *st;
    parent_firewall.managed = clean_bool(&st->managed);
    parent_firewall.applied = clean_bool(&st->applied);
    if (parent_firewall.n_drops > ADMIN_FW_MAX_COUNTERS)
        parent_firewall.n_drops = ADMIN_FW_MAX_COUNTERS;
    if (parent_firewall.n_autoblock_refused > ADMIN_FW_MAX_REFUSALS)
        parent_firewall.n_autoblock_refused = ADMIN_FW_MAX_REFUSALS;
    for (unsigned i = 0; i < parent_firewall.n_autoblock_refused; i++)
        parent_firewall.autoblock_refused[i].label[ADMIN_LABEL_MAX - 1] = '\0';
    for (unsigned i = 0; i < ADMIN_FW_MAX_COUNTERS; i++)
        parent_firewall.drops[i].name[ADMIN_FW_NAME_MAX - 1] = '\0';
    pthread_mutex_unlock(&parent_lock);
}

void admin_set_keyholder_status(const struct admin_keyholder_status *st)
{
    pthread_mutex_lock(&parent_lock);
    parent_keys = *st; /* counts only: nothing to bound */
    pthread_mutex_unlock(&parent_lock);
}

static void clamp_counters(struct admin_counter *c, unsigned *n)
{
    if (*n > ADMIN_PEER_KINDS)
        *n = ADMIN_PEER_KINDS;
    for (unsigned i = 0; i < ADMIN_PEER_KINDS; i++)
        c[i].label[ADMIN_LABEL_MAX - 1] = '\0';
}

void admin_set_peer_status(const struct admin_peer_status *st)
{
    pthread_mutex_lock(&parent_lock);
    parent_peer = *st;
    if ((unsigned)parent_peer.state >= ADMIN_PEER_STATE_COUNT)
        parent_peer.state = ADMIN_PEER_DOWN;
    parent_peer.synced = clean_bool(&st->synced);
    parent_peer.keys_shared = clean_bool(&st->keys_shared);
    parent_peer.keys_master = clean_bool(&st->keys_master);
    clamp_counters(parent_peer.handshake_failures, &parent_peer.n_handshake_failures);
    clamp_counters(parent_peer.dropped, &parent_peer.n_dropped);
    clamp_counters(parent_peer.closed, &parent_peer.n_closed);
    clamp_counters(parent_peer.blocks_refused, &parent_peer.n_blocks_refused);
    pthread_mutex_unlock(&parent_lock);
}

const char *admin_peer_state_name(enum admin_peer_state s)
{
    static const char *const names[ADMIN_PEER_STATE_COUNT] = {"disabled", "down", "connecting", "up"};
    return (unsigned)s < ADMIN_PEER_STATE_COUNT ? names[s] : "unknown";
}

void admin_set_bgp_status(const struct admin_bgp_status *st)
{
    pthread_mutex_lock(&parent_lock);
    parent_bgp = *st;
    parent_bgp.enabled = clean_bool(&st->enabled);
    parent_bgp.announced = clean_bool(&st->announced);
    parent_bgp.reason[ADMIN_LABEL_MAX - 1] = '\0';
    pthread_mutex_unlock(&parent_lock);
}

void admin_set_draining(bool on)
{
    atomic_store(&draining, on);
}

void admin_collect_init(const struct config *cfg)
{
    start_time_s = (uint64_t)time(NULL);
    if (gethostname(node_name, sizeof node_name - 1) != 0)
        node_name[0] = '\0';
    if (config_vrrp_enabled_count(cfg) == 0) /* else the parent reports each instance over IPC */
        admin_set_vrrp_status(&(struct admin_vrrp_status){.role = ADMIN_VRRP_DISABLED}, 1);
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void admin_set_certificates(const struct tls_server *srv)
{
    struct tls_cert_info info;
    n_certs = 0;
    while (n_certs < CONFIG_MAX_CERTIFICATES && tls_server_cert_info(srv, n_certs, &info) == 0) {
        struct metrics_cert_snap *c = &certs[n_certs++];
        snprintf(c->name, sizeof c->name, "%s", info.server_name);
        c->not_before_s = info.not_before_s;
        c->not_after_s = info.not_after_s;
    }
}

void admin_history_tick(uint64_t now_s)
{
    struct admin_history_counters c = {0};
    for (unsigned cls = 0; cls < METRICS_STATUS_CLASSES; cls++)
        c.requests += LOAD(metrics.requests_by_class[cls]);
    c.errors = LOAD(metrics.requests_by_class[5]);
    for (unsigned i = 0; i < METRICS_LATENCY_BUCKETS; i++)
        c.latency[i] = LOAD(metrics.latency_buckets[i]);
    c.latency_count = LOAD(metrics.latency_count);
    pthread_mutex_lock(&parent_lock);
    for (unsigned i = 0; i < parent_firewall.n_drops; i++)
        c.fw_drops += parent_firewall.drops[i].packets;
    pthread_mutex_unlock(&parent_lock);
    pthread_mutex_lock(&history_lock);
    admin_history_record(&history, now_s, &c);
    pthread_mutex_unlock(&history_lock);
}

static void collect_requests(struct metrics_snapshot *out)
{
    out->connections_total = LOAD(metrics.connections_total);
    out->connections_active = LOAD(metrics.connections_active);
    for (unsigned c = 0; c < METRICS_STATUS_CLASSES; c++)
        out->requests_by_class[c] = LOAD(metrics.requests_by_class[c]);
    for (unsigned i = 0; i < METRICS_LATENCY_BUCKETS; i++)
        out->latency_buckets[i] = LOAD(metrics.latency_buckets[i]);
    out->latency_count = LOAD(metrics.latency_count);
    out->latency_sum_us = LOAD(metrics.latency_sum_us);
    for (unsigned r = 0; r < METRICS_REJECT_COUNT; r++)
        out->rejects[r] = LOAD(metrics.rejects[r]);
    out->redirects = LOAD(metrics.redirects);
    for (unsigned p = 0; p < METRICS_PROTO_COUNT; p++) {
        out->connections_by_proto[p] = LOAD(metrics.connections_by_proto[p]);
        out->requests_by_proto[p] = LOAD(metrics.requests_by_proto[p]);
    }
}

static void collect_h2(struct metrics_h2_snap *out)
{
    const struct metrics_h2 *m = &metrics.h2;
    out->streams_active = LOAD(m->streams_active);
    for (unsigned c = 0; c < METRICS_H2_CODES; c++) {
        out->rst_sent[c] = LOAD(m->rst_sent[c]);
        out->rst_received[c] = LOAD(m->rst_received[c]);
        out->goaway_sent[c] = LOAD(m->goaway_sent[c]);
        out->goaway_received[c] = LOAD(m->goaway_received[c]);
    }
    for (unsigned l = 0; l < H2_HIT_COUNT; l++)
        out->limits[l] = LOAD(m->limits[l]);
}

static void collect_tls(struct metrics_snapshot *out)
{
    out->tls_handshakes_tls12 = LOAD(tls_stats.handshakes_tls12);
    out->tls_handshakes_tls13 = LOAD(tls_stats.handshakes_tls13);
    out->tls_resumed = LOAD(tls_stats.resumed);
    out->n_tls_failures = TLS_FAIL_COUNT;
    for (unsigned i = 0; i < TLS_FAIL_COUNT; i++) {
        struct admin_counter *f = &out->tls_failures[i];
        snprintf(f->label, sizeof f->label, "%s", tls_fail_reason_name((enum tls_fail_reason)i));
        f->value = LOAD(tls_stats.failures[i]);
    }
    for (unsigned i = 0; i < TLS_KH_RESULT_COUNT; i++)
        out->keyholder_requests[i] = LOAD(tls_stats_keyholder.requests[i]);
}

static void collect_backend(struct metrics_backend_snap *out, struct backend_set *set,
                            const struct backend *b)
{
    struct backend_status st;
    backend_get_status(set, b, &st);
    out->changed_s = st.changed_s;
    snprintf(out->changed_why, sizeof out->changed_why, "%s", st.changed_why);
    out->check_s = st.result_s;
    out->check_ok = st.result_ok;
    snprintf(out->check, sizeof out->check, "%s", st.result);
    snprintf(out->name, sizeof out->name, "%s", b->cfg->name);
    format_sockaddr((const struct sockaddr *)&b->cfg->addr, out->address, sizeof out->address);
    out->up = LOAD(b->up);
    out->active = LOAD(b->active);
    out->requests = LOAD(b->requests);
    for (unsigned c = 0; c < METRICS_STATUS_CLASSES; c++)
        out->responses_by_class[c] = LOAD(b->responses_by_class[c]);
    out->connect_failures = LOAD(b->connect_failures);
    out->timeouts = LOAD(b->timeouts);
    out->checks_ok = LOAD(b->checks_ok);
    out->checks_failed = LOAD(b->checks_failed);
}

void admin_collect(struct metrics_snapshot *out, void *arg)
{
    struct backend_set *set = arg;
    memset(out, 0, sizeof *out);
    out->now_s = (uint64_t)time(NULL);
    out->version = RAMPART_VERSION;
    snprintf(out->node, sizeof out->node, "%s", node_name);
    out->start_time_s = start_time_s;
    out->draining = atomic_load(&draining);
    collect_requests(out);
    collect_h2(&out->h2);
    collect_tls(out);
    for (unsigned i = 0; set && i < set->count && i < CONFIG_MAX_BACKENDS; i++)
        collect_backend(&out->backends[out->n_backends++], set, &set->items[i]);
    memcpy(out->certs, certs, sizeof certs);
    out->n_certs = n_certs;
    pthread_mutex_lock(&parent_lock);
    memcpy(out->vrrp, parent_vrrp, sizeof out->vrrp);
    out->n_vrrp = n_parent_vrrp;
    out->firewall = parent_firewall;
    out->keyholder = parent_keys;
    out->peer = parent_peer;
    out->bgp = parent_bgp;
    pthread_mutex_unlock(&parent_lock);
    pthread_mutex_lock(&history_lock);
    out->history = history;
    pthread_mutex_unlock(&history_lock);
}
