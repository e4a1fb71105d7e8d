/*
 * rampart.ini: read once with libinih into one validated, immutable struct.
 *
 * config_load() collects *every* problem, each as "FILE:LINE: message", so an
 * operator fixes a file in one pass. A config that has any problem is never
 * returned: the caller keeps running on the previous one (SIGHUP reload).
 * Every key, its default and its range is documented in examples/rampart.ini
 * and rampart.ini(5).
 */
#ifndef RAMPART_GATEWAY_CONFIG_CONFIG_H
#define RAMPART_GATEWAY_CONFIG_CONFIG_H

#include "common/log.h"
#include "common/parse.h"
#include "tls/tls_config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_LISTENERS    8 /* per listener kind (https, http) */
#define CONFIG_MAX_CERTIFICATES TLS_MAX_CERTIFICATES
#define CONFIG_MAX_BACKENDS     64
#define CONFIG_MAX_VIPS         8 /* virtual addresses per VRRP instance */
#define CONFIG_MAX_PEERS        8 /* VRRP unicast peers, per instance */
#define CONFIG_MAX_TRACKED_IFS  8
#define CONFIG_MAX_WORKERS      64
#define CONFIG_NAME_MAX         64 /* backend names, server names */
#define CONFIG_PATH_MAX         256
#define CONFIG_IFNAME_MAX       16  /* IFNAMSIZ */
#define CONFIG_HTTP_PATH_MAX    256 /* health check path */
#define CONFIG_PER_IP_DEFAULT   64  /* max_connections_per_ip unless set (at most max_connections) */

#define CONFIG_MAX_VRRP_INSTANCES 8     /* [vrrp] and [vrrp NAME] sections */
#define CONFIG_MAX_SERVICE_ADDRS  8     /* [bgp] service addresses */
#define CONFIG_BGP_TABLE_MAX      65535 /* kernel table numbers [bgp] table may name */

struct listen_addr {
    struct sockaddr_storage addr;
    socklen_t len;
};

struct config_backend {
    char name[CONFIG_NAME_MAX];
    struct sockaddr_storage addr; /* address + port */
    socklen_t addr_len;
    unsigned weight;          /* 0 (drained) .. 256 */
    unsigned max_idle;        /* idle keep-alive connections kept per worker */
    unsigned max_connections; /* requests in flight at once, all workers; 0 = no limit */
    unsigned line;            /* where it was declared, for messages */
};

struct config_gateway {
    struct listen_addr https[CONFIG_MAX_LISTENERS];
    unsigned n_https;
    struct listen_addr http[CONFIG_MAX_LISTENERS]; /* redirect + ACME listener */
    unsigned n_http;
    unsigned workers;                     /* resolved: "auto" becomes the core count */
    char user[CONFIG_NAME_MAX];           /* the relay process drops to this user */
    char keyholder_user[CONFIG_NAME_MAX]; /* ...the key holder to this one */
    char access_log[CONFIG_PATH_MAX];     /* "stderr", "off" or a file path */
    char pid_file[CONFIG_PATH_MAX];       /* "": none; else flocked while running */
    enum log_format log_format;
    uint64_t drain_timeout_ms; /* SIGTERM grace period for in-flight requests */
    /* a lost relay's replacement may take this long to be ready before VRRP
     * stands down; not set: three advert intervals (the fastest instance's) */
    uint64_t relay_grace_ms;
    bool relay_grace_set;
};

/* [tls] acme_*: certificates obtained and renewed by the ACME process
 * (gateway/proc/acme_main.c). With `acme = yes` every `certificate =`
 * line is one certificate of its one name, its files written by Rampart. */
#define CONFIG_URL_MAX     512
#define CONFIG_CONTACT_MAX 256
enum config_acme_key { CONFIG_ACME_ECDSA = 0, CONFIG_ACME_RSA = 1 };
struct config_acme {
    bool enabled;
    char directory[CONFIG_URL_MAX];   /* https URL of the ACME directory */
    char contact[CONFIG_CONTACT_MAX]; /* "mailto:..." or "" */
    enum config_acme_key key_type;    /* of the certificates' keys; the account's is P-256 */
    char ca_file[CONFIG_PATH_MAX];    /* CA certificates that verify the ACME server */
    char state_dir[CONFIG_PATH_MAX];  /* account and certificates, mode 0700 */
    char user[CONFIG_NAME_MAX];       /* the ACME process's user */
    uint64_t order_timeout_ms;        /* one order, start to chain */
    unsigned challenges[2];           /* 0 http-01, 1 tls-alpn-01 (enum acme_challenge_type), best first */
    unsigned n_challenges;
    /* on a pair: the VRRP instance whose master orders (its name; "vrrp"
     * for [vrrp]); "" the first enabled instance */
    char instance[CONFIG_NAME_MAX];
};

struct config_tls {
    struct tls_config server; /* certificates, versions, tickets: tls/ */
    struct config_acme acme;
    uint64_t hsts_max_age_s; /* 0 disables Strict-Transport-Security */
    bool hsts_include_subdomains;
};

struct config_health {
    char path[CONFIG_HTTP_PATH_MAX];
    char host[CONFIG_NAME_MAX]; /* Host header of the check request */
    uint64_t interval_ms;
    uint64_t timeout_ms;
    unsigned rise;              /* consecutive successes to mark a backend up */
    unsigned fall;              /* consecutive failures to mark it down */
    unsigned expect_status_min; /* expected status range, default 200-399 */
    unsigned expect_status_max;
};

struct config_limits {
    uint64_t max_header_size; /* whole request head, bytes */
    unsigned max_headers;
    uint64_t max_uri_length;
    uint64_t max_body_size;   /* 0 = unlimited */
    unsigned max_connections; /* per node */
    unsigned max_connections_per_ip;
    uint64_t header_timeout_ms;   /* TLS handshake + request head */
    uint64_t idle_timeout_ms;     /* keep-alive between requests */
    uint64_t connect_timeout_ms;  /* to a backend */
    uint64_t response_timeout_ms; /* backend response head */
    uint64_t send_timeout_ms;     /* output to a client that does not read; TCP_USER_TIMEOUT */
    uint64_t body_timeout_ms;     /* request body: window the minimum rate is judged over */
    uint64_t body_min_rate;       /* request body bytes per second, averaged per window */
    uint64_t queue_timeout_ms;    /* waiting for a backend slot; 0 = 503 at once */
    bool allow_http10_without_host;
};

/* [http2]: what one HTTP/2 client connection is held to (h2_session.h,
 * h2_limits.h); ALPN itself is [tls] alpn. */
struct config_http2 {
    unsigned max_concurrent_streams;
    uint64_t max_header_list_size;  /* RFC 9113 §6.5.2; the HTTP/1.1 head must still fit CONN_BUF_SIZE */
    uint64_t header_table_size;     /* HPACK dynamic table the client may use */
    unsigned max_continuations;     /* CONTINUATION frames per header block */
    uint64_t max_header_block_size; /* bytes of a header block before END_HEADERS */
    unsigned max_frames_without_progress;
    unsigned max_resets_per_second;   /* the client's RST_STREAMs and the resets it causes */
    uint64_t first_stream_timeout_ms; /* handshake done to the first request */
    uint64_t idle_timeout_ms;         /* no stream open */
};

/* One VRRP instance: [vrrp] (the instance with no name) or [vrrp NAME]. It
 * speaks one address family, the one of its virtual addresses. */
struct config_vrrp {
    char name[CONFIG_NAME_MAX]; /* "" for [vrrp] */
    unsigned line;              /* of its (first) section header, for messages */
    bool enabled;               /* [vrrp]: default no; [vrrp NAME]: default yes */
    char interface[CONFIG_IFNAME_MAX];
    unsigned vrid;               /* 1-255 */
    unsigned priority;           /* 1-255; 255 = address owner */
    unsigned advert_interval_cs; /* centiseconds, 1-4095 */
    struct ip_prefix vips[CONFIG_MAX_VIPS];
    unsigned n_vips;
    bool preempt;
    uint64_t preempt_delay_ms;
    struct ip_addr unicast_peers[CONFIG_MAX_PEERS]; /* empty = multicast 224.0.0.18 / ff02::12 */
    unsigned n_unicast_peers;
    unsigned garp_count;           /* gratuitous ARPs / NAs per burst on becoming Master */
    uint64_t garp_interval_ms;     /* between those of one burst */
    uint64_t garp_repeat_delay_ms; /* a second burst this long after the first; 0 = none */
    uint64_t garp_refresh_ms;      /* 0 = no periodic refresh */
    bool garp_on_behalf;           /* after yielding, ARP / NA naming the new Master's MAC */
    char track_interfaces[CONFIG_MAX_TRACKED_IFS][CONFIG_IFNAME_MAX];
    unsigned n_track_interfaces;
    unsigned penalty_no_backend;     /* priority lowered while no backend is up */
    unsigned penalty_interface_down; /* ... while a tracked interface is down */
};

/* [bgp]: N gateways behind a router's ECMP, each announcing the service
 * addresses over BGP (BIRD) while it is fit to serve. Rampart owns "route
 * present iff healthy": every address is a host address on `interface`,
 * and a route to it in kernel table `table` (gateway/ha/announce.h) that
 * BIRD's kernel protocol learns and its BGP session exports. */
struct config_bgp {
    bool enabled;
    unsigned line;                                    /* of the [bgp] header, for messages */
    struct ip_prefix addrs[CONFIG_MAX_SERVICE_ADDRS]; /* /32 or /128 each */
    unsigned n_addrs;
    char interface[CONFIG_IFNAME_MAX]; /* where the addresses live; default "lo" */
    unsigned table;                    /* kernel routing table BIRD imports; default 100 */
    uint64_t drain_wait_ms;            /* withdrawal -> drain: the router moves new flows away */
    unsigned min_backends;             /* announce only with at least this many backends up */
    bool require_firewall;             /* ... and only while the [firewall] policy is applied */
};

struct config_admin {
    bool enabled;
    struct listen_addr listen; /* default 127.0.0.1:9100 */
};

struct config_firewall {
    char policy[CONFIG_PATH_MAX]; /* empty: Rampart does not manage the firewall */
    bool autoblock;               /* abuse detector feeds the blocklist set */
    unsigned autoblock_threshold; /* rejected requests per window from one IP */
    uint64_t autoblock_window_ms;
    uint64_t autoblock_timeout_ms;
};

/* [peer]: the channel to the other gateway of the pair (gateway/ha/peer_link.h). */
struct config_peer {
    bool enabled;                   /* `address` set */
    struct ip_addr address, listen; /* the peer's, and ours on the same link */
    unsigned port;                  /* both sides: the policy opens it to the peer only */
    char psk_file[CONFIG_PATH_MAX];
    char cert_file[CONFIG_PATH_MAX], key_file[CONFIG_PATH_MAX], ca_file[CONFIG_PATH_MAX];
    uint64_t connect_timeout_ms, handshake_timeout_ms, keepalive_ms, dead_after_ms;
    uint64_t key_wait_ms; /* a starting parent waits this long for the peer's keys */
    bool share_tickets, share_blocklist;
    unsigned line; /* of the section, for messages */
};

struct config {
    char path[CONFIG_PATH_MAX];
    struct config_gateway gateway;
    struct config_tls tls;
    struct config_backend backends[CONFIG_MAX_BACKENDS];
    unsigned n_backends;
    struct config_health health;
    struct config_limits limits;
    struct config_http2 http2;
    struct config_vrrp vrrp[CONFIG_MAX_VRRP_INSTANCES]; /* in the order of the file */
    unsigned n_vrrp;
    struct config_bgp bgp;
    struct config_admin admin;
    struct config_firewall firewall;
    struct config_peer peer;
};

/* Problems found while loading, in file order. */
#define CONFIG_MAX_ERRORS 64
#define CONFIG_ERROR_MAX  (CONFIG_PATH_MAX + 256)
struct config_errors {
    unsigned count; /* may exceed CONFIG_MAX_ERRORS; only the first are kept */
    char msg[CONFIG_MAX_ERRORS][CONFIG_ERROR_MAX];
};

/* Fills `out` with the built-in defaults (no backends, no certificates,
 * no VRRP instance). */
void config_defaults(struct config *out);

/* A VRRP instance with the built-in defaults; name "" is [vrrp]. */
void config_vrrp_defaults(struct config_vrrp *v, const char *name);

/* The address family of an instance (AF_INET, AF_INET6): its first VIP's. */
int config_vrrp_family(const struct config_vrrp *v);

/* Instances with enabled = yes. */
unsigned config_vrrp_enabled_count(const struct config *cfg);

/* Reads and validates `path`. Returns a new config, or NULL with `errors`
 * filled. Free with config_free(). */
struct config *config_load(const char *path, struct config_errors *errors);
void config_free(struct config *cfg);

/* Prints every error to `fp`, one per line. */
void config_errors_print(const struct config_errors *errors, FILE *fp);

/* [tls] acme = yes: whether certificate i has no files yet (the parent
 * writes a placeholder, then the issued certificate), and cfg without
 * such certificates (what `rampart -t` can load). */
bool config_acme_may_create(const struct config *cfg, unsigned i);
void config_acme_drop_pending(struct config *cfg);

#endif /* RAMPART_GATEWAY_CONFIG_CONFIG_H */
