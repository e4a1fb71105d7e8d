/*
 * metrics: process-wide counters of the relay (atomics, cheap from any
 * worker thread), and the snapshot type the admin pages render from
 * (metrics_render.h turns it into Prometheus text on /metrics).
 * Other modules keep their own counters beside their state (tls_stats in
 * tls/tls.h, per-backend counters in gateway/upstream/backend.h, VRRP counters in
 * the parent, reported over IPC); this file holds what belongs to no module.
 */
#ifndef RAMPART_GATEWAY_ADMIN_METRICS_H
#define RAMPART_GATEWAY_ADMIN_METRICS_H

#include "gateway/admin/admin_history.h"
#include "gateway/admin/status.h"
#include "gateway/config/config.h"
#include "gateway/http/h2_session.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Request latency histogram buckets, seconds (Prometheus "le" labels). */
#define METRICS_LATENCY_BUCKETS 12
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

enum metrics_reject {
    METRICS_REJECT_BAD_REQUEST,       /* 400 */
    METRICS_REJECT_TIMEOUT,           /* 408 */
    METRICS_REJECT_BODY_TOO_LARGE,    /* 413 */
    METRICS_REJECT_URI_TOO_LONG,      /* 414 */
    METRICS_REJECT_HEADERS_TOO_LARGE, /* 431 */
    METRICS_REJECT_CONN_LIMIT,        /* refused before TLS: total limit */
    METRICS_REJECT_PER_IP_LIMIT,      /* refused before TLS: per-client limit */
    METRICS_REJECT_COUNT
};

/* The protocol a client connection speaks (ALPN; the plain listener and
 * clients without ALPN speak HTTP/1.1). */
enum metrics_proto { METRICS_PROTO_HTTP1, METRICS_PROTO_H2, METRICS_PROTO_COUNT };
const char *metrics_proto_name(enum metrics_proto p); /* "http/1.1", "h2" */

/* HTTP/2 error codes counted one each; the last slot takes any code
 * beyond RFC 9113's list. */
#define METRICS_H2_CODES (H2_ERROR_CODES + 1)

struct metrics_h2 {
    atomic_llong streams_active;
    atomic_ullong rst_sent[METRICS_H2_CODES], rst_received[METRICS_H2_CODES];
    atomic_ullong goaway_sent[METRICS_H2_CODES], goaway_received[METRICS_H2_CODES];
    atomic_ullong limits[H2_HIT_COUNT]; /* each limit an h2 connection ran into */
};

struct metrics {
    atomic_ullong connections_total;
    atomic_llong connections_active;
    atomic_ullong requests_by_class[6];                     /* [2] = 2xx ... [5] = 5xx; [0] = no response */
    atomic_ullong latency_buckets[METRICS_LATENCY_BUCKETS]; /* cumulative at render */
    atomic_ullong latency_count;
    atomic_ullong latency_sum_us;
    atomic_ullong rejects[METRICS_REJECT_COUNT];
    atomic_ullong redirects; /* HTTP -> HTTPS */
    atomic_ullong connections_by_proto[METRICS_PROTO_COUNT];
    atomic_ullong requests_by_proto[METRICS_PROTO_COUNT];
    struct metrics_h2 h2;
};
extern struct metrics metrics;

void metrics_connection_opened(void);
void metrics_connection_closed(void);
/* One finished request: its status (0 if none was sent) and duration. */
void metrics_request_done(unsigned status, uint64_t duration_us);
void metrics_reject(enum metrics_reject why);
/* A connection's protocol is known (after ALPN), a request finished on it. */
void metrics_connection_proto(enum metrics_proto p);
void metrics_request_proto(enum metrics_proto p);
/* What an h2 session reported (h2_session.h ops->event), and its streams. */
void metrics_h2_event(enum h2_event ev, uint32_t arg);
void metrics_h2_stream(int delta);
const char *metrics_reject_name(enum metrics_reject why);

/* ---- snapshot + rendering ------------------------------------------------ */
/*
 * Rendering is a pure function of a snapshot: admin_collect() reads every
 * live counter once into a struct metrics_snapshot, and the renderers turn
 * it into text, so tests feed them hand-made snapshots.
 */

#define METRICS_STATUS_CLASSES    6  /* [0] none, [1] 1xx ... [5] 5xx */
#define METRICS_TEXT_MAX          64 /* a backend's last check result, as shown */
#define METRICS_TLS_FAILURE_KINDS 9  /* >= TLS_FAIL_COUNT, checked in admin_collect.c */
#define METRICS_KEYHOLDER_RESULTS 4  /* = TLS_KH_RESULT_COUNT, checked in admin_collect.c */

struct metrics_backend_snap {
    char name[CONFIG_NAME_MAX];
    char address[PARSE_ADDR_STR_MAX]; /* "198.19.0.11:80" */
    bool up;
    unsigned active;
    uint64_t requests;
    uint64_t responses_by_class[METRICS_STATUS_CLASSES];
    uint64_t connect_failures;
    uint64_t timeouts;
    uint64_t checks_ok;
    uint64_t checks_failed;
    uint64_t changed_s; /* last up/down change, Unix time; 0: none since the relay started */
    char changed_why[METRICS_TEXT_MAX];
    uint64_t check_s; /* last check result, Unix time; 0: none yet */
    bool check_ok;
    char check[METRICS_TEXT_MAX]; /* "status 200", "timeout after 1000 ms" */
};

/* A certificate of [tls] and its leaf's validity (tls_server_cert_info). */
struct metrics_cert_snap {
    char name[TLS_NAME_MAX];
    int64_t not_before_s;
    int64_t not_after_s;
};

struct metrics_h2_snap {
    int64_t streams_active;
    uint64_t rst_sent[METRICS_H2_CODES], rst_received[METRICS_H2_CODES];
    uint64_t goaway_sent[METRICS_H2_CODES], goaway_received[METRICS_H2_CODES];
    uint64_t limits[H2_HIT_COUNT];
};

struct metrics_snapshot {
    const char *version;        /* RAMPART_VERSION */
    char node[CONFIG_NAME_MAX]; /* host name, shown on /status */
    uint64_t start_time_s;      /* Unix time the relay started */
    uint64_t now_s;             /* Unix time the snapshot was taken */
    bool draining;
    /* connections and requests (struct metrics) */
    uint64_t connections_total;
    int64_t connections_active;
    uint64_t requests_by_class[METRICS_STATUS_CLASSES];
    uint64_t latency_buckets[METRICS_LATENCY_BUCKETS]; /* per bucket, not cumulative */
    uint64_t latency_count;
    uint64_t latency_sum_us;
    uint64_t rejects[METRICS_REJECT_COUNT];
    uint64_t redirects;
    uint64_t connections_by_proto[METRICS_PROTO_COUNT];
    uint64_t requests_by_proto[METRICS_PROTO_COUNT];
    struct metrics_h2_snap h2;
    /* TLS (tls_stats in tls/tls.h) */
    uint64_t tls_handshakes_tls12;
    uint64_t tls_handshakes_tls13;
    uint64_t tls_resumed;
    struct admin_counter tls_failures[METRICS_TLS_FAILURE_KINDS]; /* by reason */
    unsigned n_tls_failures;
    uint64_t keyholder_requests[METRICS_KEYHOLDER_RESULTS]; /* tls_stats_keyholder, by result */
    /* backends (struct backend in gateway/upstream/backend.h) */
    struct metrics_backend_snap backends[CONFIG_MAX_BACKENDS];
    unsigned n_backends;
    /* certificates (tls/ of this relay) */
    struct metrics_cert_snap certs[CONFIG_MAX_CERTIFICATES];
    unsigned n_certs;
    /* from the parent */
    struct admin_vrrp_status vrrp[ADMIN_VRRP_MAX_INSTANCES]; /* one per instance */
    unsigned n_vrrp;                                         /* >= 1 once the parent spoke */
    struct admin_firewall_status firewall;
    struct admin_keyholder_status keyholder;
    struct admin_peer_status peer;
    struct admin_bgp_status bgp;
    /* the last 15 minutes, for the /status charts */
    struct admin_history history;
};

/* "2xx" for 2, "none" for 0. */
const char *metrics_status_class_name(unsigned cls);
unsigned metrics_backends_up(const struct metrics_snapshot *s);

#endif /* RAMPART_GATEWAY_ADMIN_METRICS_H */
