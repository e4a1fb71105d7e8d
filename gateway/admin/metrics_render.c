/*
 * metrics_render: writes the /metrics page from a snapshot, one HELP/TYPE
 * block per family (see metrics_render.h).
 */
#include "gateway/admin/metrics_render.h"
#include "gateway/admin/admin.h"
#include "tls/tls.h"
#include "tls/tls_crypto.h"
#include "tls/tls_keyreq.h"

#include <inttypes.h>

static void family(struct strbuf *out, const char *name, const char *type, const char *help)
{
    strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} N */
static void sample1(struct strbuf *out, const char *name, const char *label, const char *value, uint64_t n)
{
    strbuf_printf(out, "%s{%s=\"", name, label);
    strbuf_escape(out, STRBUF_ESC_PROM_LABEL, value);
    strbuf_printf(out, "\"} %" PRIu64 "\n", n);
}

static void sample0(struct strbuf *out, const char *name, uint64_t n)
{
    strbuf_printf(out, "%s %" PRIu64 "\n", name, n);
}

static void render_process(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_build_info", "gauge", "Version of the running gateway (always 1).");
    sample1(out, "rampart_build_info", "version", s->version ? s->version : "unknown", 1);
    family(out, "rampart_start_time_seconds", "gauge", "Unix time the relay process started.");
    sample0(out, "rampart_start_time_seconds", s->start_time_s);
    family(out, "rampart_draining", "gauge", "1 while the node drains after SIGTERM.");
    sample0(out, "rampart_draining", s->draining);
}

static void render_connections(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_connections_active", "gauge", "Client connections open now.");
    strbuf_printf(out, "rampart_connections_active %" PRId64 "\n",
                  s->connections_active < 0 ? 0 : s->connections_active);
    family(out, "rampart_connections_total", "counter", "Client connections accepted.");
    sample0(out, "rampart_connections_total", s->connections_total);
}

static void render_requests(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_requests_total", "counter",
           "Requests answered, by status class (none: closed without a response).");
    for (unsigned c = 0; c < METRICS_STATUS_CLASSES; c++)
        sample1(out, "rampart_requests_total", "class", metrics_status_class_name(c),
                s->requests_by_class[c]);
    family(out, "rampart_requests_rejected_total", "counter",
           "Requests or connections refused by a limit, by reason.");
    for (unsigned r = 0; r < METRICS_REJECT_COUNT; r++)
        sample1(out, "rampart_requests_rejected_total", "reason", metrics_reject_name(r), s->rejects[r]);
    family(out, "rampart_redirects_total", "counter", "HTTP requests redirected to HTTPS.");
    sample0(out, "rampart_redirects_total", s->redirects);
    family(out, "rampart_acme_challenge_answers_total", "counter",
           "ACME challenges answered by this gateway (of its ACME process), by type.");
    sample1(out, "rampart_acme_challenge_answers_total", "type", "http-01", s->acme_answers);
    sample1(out, "rampart_acme_challenge_answers_total", "type", "tls-alpn-01", s->acme_alpn_answers);
}

static void render_protocols(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_connections_by_protocol_total", "counter",
           "Client connections by the protocol they speak (ALPN).");
    for (unsigned p = 0; p < METRICS_PROTO_COUNT; p++)
        sample1(out, "rampart_connections_by_protocol_total", "protocol", metrics_proto_name(p),
                s->connections_by_proto[p]);
    family(out, "rampart_requests_by_protocol_total", "counter", "Requests finished, by client protocol.");
    for (unsigned p = 0; p < METRICS_PROTO_COUNT; p++)
        sample1(out, "rampart_requests_by_protocol_total", "protocol", metrics_proto_name(p),
                s->requests_by_proto[p]);
}

/* One sample per error code of one frame type and direction. */
static void h2_codes(struct strbuf *out, const char *frame, const char *dir, const uint64_t *counts)
{
    for (unsigned c = 0; c < METRICS_H2_CODES; c++)
        strbuf_printf(out,
                      "rampart_http2_errors_total{frame=\"%s\",direction=\"%s\",code=\"%s\"} %" PRIu64 "\n",
                      frame, dir, h2_error_name(c), counts[c]);
}

static void render_h2(const struct metrics_snapshot *s, struct strbuf *out)
{
    const struct metrics_h2_snap *h = &s->h2;
    family(out, "rampart_http2_streams_active", "gauge", "HTTP/2 streams open now.");
    strbuf_printf(out, "rampart_http2_streams_active %" PRId64 "\n",
                  h->streams_active < 0 ? 0 : h->streams_active);
    family(out, "rampart_http2_errors_total", "counter",
           "HTTP/2 RST_STREAM and GOAWAY frames, by direction and error code.");
    h2_codes(out, "RST_STREAM", "sent", h->rst_sent);
    h2_codes(out, "RST_STREAM", "received", h->rst_received);
    h2_codes(out, "GOAWAY", "sent", h->goaway_sent);
    h2_codes(out, "GOAWAY", "received", h->goaway_received);
    family(out, "rampart_http2_limit_hits_total", "counter",
           "HTTP/2 connections or streams that ran into a limit, by limit ([http2] keys).");
    for (unsigned l = 0; l < H2_HIT_COUNT; l++)
        sample1(out, "rampart_http2_limit_hits_total", "limit", h2_session_limit_name(l), h->limits[l]);
}

static void render_latency(const struct metrics_snapshot *s, struct strbuf *out)
{
    const char *name = "rampart_request_duration_seconds";
    family(out, name, "histogram", "Time from request head received to response sent.");
    uint64_t cumulative = 0;
    for (unsigned i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
        cumulative += s->latency_buckets[i];
        strbuf_printf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, metrics_latency_bounds[i], cumulative);
    }
    /* +Inf is the count: requests slower than the last bound land only here. */
    uint64_t count = s->latency_count < cumulative ? cumulative : s->latency_count;
    strbuf_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, count);
    strbuf_printf(out, "%s_sum %" PRIu64 ".%06" PRIu64 "\n", name, s->latency_sum_us / 1000000,
                  s->latency_sum_us % 1000000);
    strbuf_printf(out, "%s_count %" PRIu64 "\n", name, count);
}

static void render_tls(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_tls_handshakes_total", "counter", "Completed TLS handshakes, by version.");
    sample1(out, "rampart_tls_handshakes_total", "version", "TLSv1.2", s->tls_handshakes_tls12);
    sample1(out, "rampart_tls_handshakes_total", "version", "TLSv1.3", s->tls_handshakes_tls13);
    family(out, "rampart_tls_resumed_total", "counter", "Handshakes that resumed a session.");
    sample0(out, "rampart_tls_resumed_total", s->tls_resumed);
    family(out, "rampart_tls_handshake_failures_total", "counter", "Failed TLS handshakes, by reason.");
    for (unsigned i = 0; i < s->n_tls_failures && i < METRICS_TLS_FAILURE_KINDS; i++)
        sample1(out, "rampart_tls_handshake_failures_total", "reason", s->tls_failures[i].label,
                s->tls_failures[i].value);
    family(out, "rampart_tls_certificate_expiry_timestamp_seconds", "gauge",
           "Unix time the leaf certificate of a [tls] certificate expires (notAfter), by server name.");
    for (unsigned i = 0; i < s->n_certs && i < CONFIG_MAX_CERTIFICATES; i++)
        sample1(out, "rampart_tls_certificate_expiry_timestamp_seconds", "name", s->certs[i].name,
                s->certs[i].not_after_s > 0 ? (uint64_t)s->certs[i].not_after_s : 0);
}

/* The relay's signatures through the key holder, and what the key holder
 * answered (its counts, from the parent). */
static void render_keyholder(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_keyholder_requests_total", "counter",
           "Signatures this relay asked of the key holder, by result (ok, refused, timeout, error).");
    for (unsigned i = 0; i < METRICS_KEYHOLDER_RESULTS; i++)
        sample1(out, "rampart_keyholder_requests_total", "result",
                tls_keyholder_result_name((enum tls_keyholder_result)i), s->keyholder_requests[i]);
    family(out, "rampart_keyholder_keys", "gauge", "Private keys the key holder holds.");
    sample0(out, "rampart_keyholder_keys", s->keyholder.keys);
    family(out, "rampart_keyholder_answers_total", "counter",
           "Requests the key holder answered since it started, by status (ok, or why it refused).");
    for (unsigned i = 0; i < ADMIN_KEYS_STATUS_KINDS; i++)
        sample1(out, "rampart_keyholder_answers_total", "status",
                tls_keyreq_status_name((enum tls_keyreq_status)i), s->keyholder.answers[i]);
}

/* Which code runs each TLS primitive, read from tls/ (fixed once the
 * process has looked at its CPU), not from the snapshot. */
static void render_crypto(struct strbuf *out)
{
    family(out, "rampart_crypto_impl", "gauge", "Implementation running each TLS primitive (always 1).");
    for (int p = 0; p < TLS_CRYPTO_PRIM_COUNT; p++) {
        strbuf_printf(out, "rampart_crypto_impl{primitive=\"%s\",impl=\"", tls_crypto_prim_name(p));
        strbuf_escape(out, STRBUF_ESC_PROM_LABEL, tls_crypto_impl(p));
        strbuf_printf(out, "\"} 1\n");
    }
}

/* One family with one sample per backend; `field` picks the value. */
static void backend_family(const struct metrics_snapshot *s, struct strbuf *out, const char *name,
                           const char *type, const char *help,
                           uint64_t (*field)(const struct metrics_backend_snap *))
{
    family(out, name, type, help);
    for (unsigned i = 0; i < s->n_backends; i++)
        sample1(out, name, "backend", s->backends[i].name, field(&s->backends[i]));
}

static uint64_t b_up(const struct metrics_backend_snap *b)
{
    return b->up;
}
static uint64_t b_active(const struct metrics_backend_snap *b)
{
    return b->active;
}
static uint64_t b_requests(const struct metrics_backend_snap *b)
{
    return b->requests;
}
static uint64_t b_connfail(const struct metrics_backend_snap *b)
{
    return b->connect_failures;
}
static uint64_t b_timeouts(const struct metrics_backend_snap *b)
{
    return b->timeouts;
}

/* The state has held since the last change, or at least since the relay started. */
static uint64_t b_since(const struct metrics_backend_snap *b)
{
    return b->changed_s;
}

static void render_backends(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_backends_up", "gauge", "Backends currently up.");
    sample0(out, "rampart_backends_up", metrics_backends_up(s));
    backend_family(s, out, "rampart_backend_up", "gauge", "1 if the backend is up, 0 if down.", b_up);
    backend_family(s, out, "rampart_backend_active_requests", "gauge", "Requests in flight to the backend.",
                   b_active);
    backend_family(s, out, "rampart_backend_requests_total", "counter", "Requests forwarded to the backend.",
                   b_requests);
    backend_family(s, out, "rampart_backend_connect_failures_total", "counter",
                   "Failed connects to the backend.", b_connfail);
    backend_family(s, out, "rampart_backend_timeouts_total", "counter", "Backend responses that timed out.",
                   b_timeouts);
    family(out, "rampart_backend_last_change_timestamp_seconds", "gauge",
           "Unix time the backend last went up or down (the relay's start if it has not since).");
    for (unsigned i = 0; i < s->n_backends; i++)
        sample1(out, "rampart_backend_last_change_timestamp_seconds", "backend", s->backends[i].name,
                b_since(&s->backends[i]) ? b_since(&s->backends[i]) : s->start_time_s);
    const char *name = "rampart_backend_responses_total";
    family(out, name, "counter", "Backend responses, by backend and status class.");
    for (unsigned i = 0; i < s->n_backends; i++) {
        for (unsigned c = 0; c < METRICS_STATUS_CLASSES; c++) {
            strbuf_printf(out, "%s{backend=\"", name);
            strbuf_escape(out, STRBUF_ESC_PROM_LABEL, s->backends[i].name);
            strbuf_printf(out, "\",class=\"%s\"} %" PRIu64 "\n", metrics_status_class_name(c),
                          s->backends[i].responses_by_class[c]);
        }
    }
    name = "rampart_backend_checks_total";
    family(out, name, "counter", "Active health check results, by backend.");
    for (unsigned i = 0; i < s->n_backends; i++) {
        const struct metrics_backend_snap *b = &s->backends[i];
        const char *result[2] = {"ok", "failed"};
        uint64_t value[2] = {b->checks_ok, b->checks_failed};
        for (unsigned r = 0; r < 2; r++) {
            strbuf_printf(out, "%s{backend=\"", name);
            strbuf_escape(out, STRBUF_ESC_PROM_LABEL, b->name);
            strbuf_printf(out, "\",result=\"%s\"} %" PRIu64 "\n", result[r], value[r]);
        }
    }
}

/* A VRRP sample: {vrrp_instance="NAME"} first for a named instance
 * ("instance" is Prometheus' own label, the scrape target); [vrrp]'s
 * carries none (an empty label is no label to Prometheus), so a
 * single-instance node shows what it did before. */
static void vrrp_sample0(struct strbuf *out, const char *name, const struct admin_vrrp_status *v, uint64_t n)
{
    strbuf_puts(out, name);
    if (v->name[0]) {
        strbuf_puts(out, "{vrrp_instance=\"");
        strbuf_escape(out, STRBUF_ESC_PROM_LABEL, v->name);
        strbuf_puts(out, "\"}");
    }
    strbuf_printf(out, " %" PRIu64 "\n", n);
}

/* The same with one more label: name{vrrp_instance="NAME",label="value"} N. */
static void vrrp_sample1(struct strbuf *out, const char *name, const struct admin_vrrp_status *v,
                         const char *label, const char *value, uint64_t n)
{
    strbuf_printf(out, "%s{", name);
    if (v->name[0]) {
        strbuf_puts(out, "vrrp_instance=\"");
        strbuf_escape(out, STRBUF_ESC_PROM_LABEL, v->name);
        strbuf_puts(out, "\",");
    }
    strbuf_printf(out, "%s=\"", label);
    strbuf_escape(out, STRBUF_ESC_PROM_LABEL, value);
    strbuf_printf(out, "\"} %" PRIu64 "\n", n);
}

typedef uint64_t vrrp_field_fn(const struct admin_vrrp_status *v);
static uint64_t vrrp_priority(const struct admin_vrrp_status *v)
{
    return v->priority;
}
static uint64_t vrrp_transitions(const struct admin_vrrp_status *v)
{
    return v->transitions;
}
static uint64_t vrrp_sent(const struct admin_vrrp_status *v)
{
    return v->adverts_sent;
}
static uint64_t vrrp_received(const struct admin_vrrp_status *v)
{
    return v->adverts_received;
}

/* One family with a sample per instance. */
static void render_vrrp_value(const struct metrics_snapshot *s, struct strbuf *out, const char *name,
                              const char *type, const char *help, vrrp_field_fn *field)
{
    family(out, name, type, help);
    for (unsigned i = 0; i < s->n_vrrp && i < ADMIN_VRRP_MAX_INSTANCES; i++)
        vrrp_sample0(out, name, &s->vrrp[i], field(&s->vrrp[i]));
}

/* Which instances this node runs: split brain is two masters of one VRID
 * (and family); the rules join on it (examples/prometheus-rules.yml). */
static void render_vrrp_info(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_vrrp_instance_info", "gauge",
           "The VRRP instances of this node (always 1; none when off), by VRID, interface and family.");
    for (unsigned i = 0; i < s->n_vrrp && i < ADMIN_VRRP_MAX_INSTANCES; i++) {
        const struct admin_vrrp_status *v = &s->vrrp[i];
        if (v->role == ADMIN_VRRP_DISABLED || v->role == ADMIN_VRRP_UNKNOWN)
            continue;
        strbuf_puts(out, "rampart_vrrp_instance_info{");
        if (v->name[0]) {
            strbuf_puts(out, "vrrp_instance=\"");
            strbuf_escape(out, STRBUF_ESC_PROM_LABEL, v->name);
            strbuf_puts(out, "\",");
        }
        strbuf_printf(out, "vrid=\"%u\",interface=\"", v->vrid);
        strbuf_escape(out, STRBUF_ESC_PROM_LABEL, v->interface);
        strbuf_printf(out, "\",family=\"ipv%u\"} 1\n", v->family == 6 ? 6 : 4);
    }
}

static void render_vrrp_last_change(const struct metrics_snapshot *s, struct strbuf *out)
{
    family(out, "rampart_vrrp_last_transition_timestamp_seconds", "gauge",
           "Unix time of the last VRRP state change seen by the parent, per instance.");
    for (unsigned i = 0; i < s->n_vrrp && i < ADMIN_VRRP_MAX_INSTANCES; i++) {
        const struct admin_vrrp_history *h = &s->vrrp[i].history;
        if (h->n > 0 && h->n <= ADMIN_VRRP_HISTORY)
            vrrp_sample0(out, "rampart_vrrp_last_transition_timestamp_seconds", &s->vrrp[i],
                         h->items[h->n - 1].t_s);
    }
}

static void render_vrrp(const struct metrics_snapshot *s, struct strbuf *out)
{
    unsigned n = s->n_vrrp < ADMIN_VRRP_MAX_INSTANCES ? s->n_vrrp : ADMIN_VRRP_MAX_INSTANCES;
    /* One sample per possible state, the current one 1 (the "enum" idiom). */
    family(out, "rampart_vrrp_state", "gauge", "VRRP state of this node (1 = current), per instance.");
    for (unsigned i = 0; i < n; i++)
        for (unsigned r = 0; r < ADMIN_VRRP_ROLE_COUNT; r++)
            vrrp_sample1(out, "rampart_vrrp_state", &s->vrrp[i], "state", admin_vrrp_role_name(r),
                         s->vrrp[i].role == r);
    render_vrrp_info(s, out);
    render_vrrp_value(s, out, "rampart_vrrp_priority", "gauge", "Effective VRRP priority (after penalties).",
                      vrrp_priority);
    render_vrrp_value(s, out, "rampart_vrrp_transitions_total", "counter", "VRRP state changes.",
                      vrrp_transitions);
    render_vrrp_last_change(s, out);
    render_vrrp_value(s, out, "rampart_vrrp_adverts_sent_total", "counter", "VRRP advertisements sent.",
                      vrrp_sent);
    render_vrrp_value(s, out, "rampart_vrrp_adverts_received_total", "counter",
                      "Valid VRRP advertisements received.", vrrp_received);
    family(out, "rampart_vrrp_adverts_dropped_total", "counter",
           "VRRP advertisements dropped as invalid, by reason.");
    for (unsigned i = 0; i < n; i++) {
        const struct admin_vrrp_status *v = &s->vrrp[i];
        unsigned k =
            v->n_adverts_dropped < ADMIN_VRRP_DROP_KINDS ? v->n_adverts_dropped : ADMIN_VRRP_DROP_KINDS;
        for (unsigned d = 0; d < k; d++)
            vrrp_sample1(out, "rampart_vrrp_adverts_dropped_total", v, "reason", v->adverts_dropped[d].label,
                         v->adverts_dropped[d].value);
    }
}

/* [bgp]: nothing without it, so a VRRP pair's metrics stay as they were. */
static void render_bgp(const struct metrics_snapshot *s, struct strbuf *out)
{
    const struct admin_bgp_status *b = &s->bgp;
    if (!b->enabled)
        return;
    family(out, "rampart_bgp_announced", "gauge",
           "1 while the route BIRD announces for the service addresses is present ([bgp]).");
    sample0(out, "rampart_bgp_announced", b->announced);
    family(out, "rampart_bgp_state", "gauge",
           "The announcement's state: announced, or why not (draining, no_relay, no_firewall, "
           "backends_unknown, too_few_backends).");
    sample1(out, "rampart_bgp_state", "state", b->reason, 1);
    family(out, "rampart_bgp_transitions_total", "counter", "Announcements and withdrawals since start.");
    sample0(out, "rampart_bgp_transitions_total", b->transitions);
}

static void render_firewall(const struct metrics_snapshot *s, struct strbuf *out)
{
    const struct admin_firewall_status *f = &s->firewall;
    family(out, "rampart_firewall_managed", "gauge",
           "1 if [firewall] policy names a policy for the daemon to apply.");
    sample0(out, "rampart_firewall_managed", f->managed);
    family(out, "rampart_firewall_applied", "gauge",
           "1 if the firewall policy is applied, 0 if not (or not managed).");
    sample0(out, "rampart_firewall_applied", f->managed && f->applied);
    family(out, "rampart_firewall_applies_total", "counter", "Successful policy applies.");
    sample0(out, "rampart_firewall_applies_total", f->applies);
    family(out, "rampart_firewall_apply_failures_total", "counter", "Refused policy applies.");
    sample0(out, "rampart_firewall_apply_failures_total", f->apply_failures);
    unsigned n = f->n_drops < ADMIN_FW_MAX_COUNTERS ? f->n_drops : ADMIN_FW_MAX_COUNTERS;
    family(out, "rampart_firewall_dropped_packets_total", "counter",
           "Packets dropped by the firewall, by nft counter.");
    for (unsigned i = 0; i < n; i++)
        sample1(out, "rampart_firewall_dropped_packets_total", "counter", f->drops[i].name,
                f->drops[i].packets);
    family(out, "rampart_firewall_dropped_bytes_total", "counter",
           "Bytes dropped by the firewall, by nft counter.");
    for (unsigned i = 0; i < n; i++)
        sample1(out, "rampart_firewall_dropped_bytes_total", "counter", f->drops[i].name, f->drops[i].bytes);
    family(out, "rampart_firewall_blocked_addresses", "gauge", "Addresses in the blocklist set now.");
    sample0(out, "rampart_firewall_blocked_addresses", f->blocked_addresses);
    family(out, "rampart_autoblock_total", "counter", "Addresses blocked by the abuse detector.");
    sample0(out, "rampart_autoblock_total", f->autoblocks);
    family(out, "rampart_autoblock_refused_total", "counter",
           "Autoblock requests the parent refused, by reason (peer, admin, backend, own, vip, not_global, "
           "budget, queue_full, off, bad_message).");
    unsigned nr =
        f->n_autoblock_refused < ADMIN_FW_MAX_REFUSALS ? f->n_autoblock_refused : ADMIN_FW_MAX_REFUSALS;
    for (unsigned i = 0; i < nr; i++)
        sample1(out, "rampart_autoblock_refused_total", "reason", f->autoblock_refused[i].label,
                f->autoblock_refused[i].value);
}

static void counters(struct strbuf *out, const char *name, const char *help, const struct admin_counter *c,
                     unsigned n)
{
    family(out, name, "counter", help);
    for (unsigned i = 0; i < n && i < ADMIN_PEER_KINDS; i++)
        sample1(out, name, "reason", c[i].label, c[i].value);
}

static void render_peer_keys(const struct admin_peer_status *p, struct strbuf *out)
{
    family(out, "rampart_peer_ticket_key_epoch", "gauge",
           "Epoch of the current session-ticket key (pair keys: the same on both nodes; 0 with key files).");
    sample0(out, "rampart_peer_ticket_key_epoch", p->key_epoch);
    family(out, "rampart_peer_ticket_key_age_seconds", "gauge", "Age of the current session-ticket key.");
    sample0(out, "rampart_peer_ticket_key_age_seconds", p->key_age_s);
    family(out, "rampart_peer_ticket_key_master", "gauge", "1 if this node makes the pair's ticket keys.");
    sample0(out, "rampart_peer_ticket_key_master", p->keys_master);
    family(out, "rampart_peer_ticket_key_rotations_total", "counter", "Ticket keys made by this node.");
    sample0(out, "rampart_peer_ticket_key_rotations_total", p->key_rotations);
    family(out, "rampart_peer_ticket_keys_received_total", "counter", "Key sets taken from the peer.");
    sample0(out, "rampart_peer_ticket_keys_received_total", p->keys_received);
}

static void render_peer_blocks(const struct admin_peer_status *p, struct strbuf *out)
{
    static const char *const names[] = {"blocks_sent", "unblocks_sent", "blocks_received",
                                        "unblocks_received", "blocks_applied"};
    const uint64_t values[] = {p->blocks_sent, p->unblocks_sent, p->blocks_received, p->unblocks_received,
                               p->blocks_applied};
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "rampart_peer_%s_total", names[i]);
        family(out, name, "counter", "Blocklist changes shared with the peer gateway.");
        sample0(out, name, values[i]);
    }
    counters(out, "rampart_peer_blocks_refused_total",
             "Blocks from the peer this node refused, by reason (a protected address, full, queue_full).",
             p->blocks_refused, p->n_blocks_refused);
    family(out, "rampart_peer_blocklist_known", "gauge",
           "Addresses this node knows of the pair's blocklist.");
    sample0(out, "rampart_peer_blocklist_known", p->known_addresses);
}

static void render_peer(const struct metrics_snapshot *s, struct strbuf *out)
{
    const struct admin_peer_status *p = &s->peer;
    family(out, "rampart_peer_state", "gauge", "State of the channel to the peer gateway (1 = current).");
    for (unsigned st = 0; st < ADMIN_PEER_STATE_COUNT; st++)
        sample1(out, "rampart_peer_state", "state", admin_peer_state_name(st), p->state == st);
    if (p->state == ADMIN_PEER_DISABLED)
        return;
    family(out, "rampart_peer_synced", "gauge",
           "1 once the peer's keys and blocklist arrived in this session.");
    sample0(out, "rampart_peer_synced", p->synced);
    family(out, "rampart_peer_sessions_total", "counter", "Sessions established with the peer.");
    sample0(out, "rampart_peer_sessions_total", p->sessions);
    family(out, "rampart_peer_dials_total", "counter", "Connections this node opened to the peer.");
    sample0(out, "rampart_peer_dials_total", p->dials);
    family(out, "rampart_peer_session_seconds", "gauge", "How long the current session has been up.");
    sample0(out, "rampart_peer_session_seconds", p->up_seconds);
    family(out, "rampart_peer_frames_received_total", "counter", "Frames accepted from the peer.");
    sample0(out, "rampart_peer_frames_received_total", p->frames_in);
    family(out, "rampart_peer_frames_sent_total", "counter", "Frames sent to the peer.");
    sample0(out, "rampart_peer_frames_sent_total", p->frames_out);
    counters(out, "rampart_peer_handshake_failures_total",
             "Handshakes that failed, by reason (auth: wrong key).", p->handshake_failures,
             p->n_handshake_failures);
    counters(out, "rampart_peer_dropped_total",
             "Frames dropped (the session then ends), by reason; chunk_order, acme: blobs given up or "
             "refused (the session goes on).",
             p->dropped, p->n_dropped);
    counters(out, "rampart_peer_closed_total", "Connections and sessions ended, by reason.", p->closed,
             p->n_closed);
    render_peer_keys(p, out);
    render_peer_blocks(p, out);
}

/* name{name="N",reason="R"} V */
static void sample_name_reason(struct strbuf *out, const char *metric, const char *name, const char *reason,
                               uint64_t n)
{
    strbuf_printf(out, "%s{name=\"", metric);
    strbuf_escape(out, STRBUF_ESC_PROM_LABEL, name);
    strbuf_printf(out, "\",reason=\"%s\"} %" PRIu64 "\n", reason, n);
}

/* [tls] acme = yes: what the ACME process reports (nothing without it). */
static void render_acme(const struct metrics_snapshot *s, struct strbuf *out)
{
    const struct acme_status_msg *a = &s->acme;
    unsigned n = a->n < ACME_CERTS_MAX ? a->n : ACME_CERTS_MAX;
    if (n == 0)
        return;
    family(out, "rampart_acme_orders_total", "counter",
           "ACME orders that ended with a certificate, by name.");
    for (unsigned i = 0; i < n; i++)
        sample1(out, "rampart_acme_orders_total", "name", a->c[i].name, a->c[i].orders);
    family(out, "rampart_acme_failures_total", "counter",
           "ACME orders that failed, by name and reason (since the ACME process started).");
    for (unsigned i = 0; i < n; i++)
        for (unsigned f = 0; f < ACME_FAIL_COUNT; f++)
            sample_name_reason(out, "rampart_acme_failures_total", a->c[i].name,
                               acme_fail_name((enum acme_fail)f), a->c[i].failures[f]);
    family(out, "rampart_acme_next_order_timestamp_seconds", "gauge",
           "Unix time the next ACME order (renewal, or retry after a failure) of a certificate starts.");
    for (unsigned i = 0; i < n; i++)
        sample1(out, "rampart_acme_next_order_timestamp_seconds", "name", a->c[i].name,
                a->c[i].next_order_s > 0 ? (uint64_t)a->c[i].next_order_s : 0);
}

void metrics_render_prometheus(const struct metrics_snapshot *s, struct strbuf *out)
{
    render_process(s, out);
    render_connections(s, out);
    render_requests(s, out);
    render_protocols(s, out);
    render_h2(s, out);
    render_latency(s, out);
    render_tls(s, out);
    render_keyholder(s, out);
    render_crypto(out);
    render_backends(s, out);
    render_vrrp(s, out);
    render_bgp(s, out);
    render_firewall(s, out);
    render_peer(s, out);
    render_acme(s, out);
}
