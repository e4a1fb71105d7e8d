/*
 * The keys of rampart.ini, section by section: name, type, field, range.
 * Keys with a syntax of their own (lists, "auto", certificate triples) have
 * a small handler here. Documented in examples/rampart.ini and rampart.ini(5).
 */
#include "gateway/config/config_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define WHY(...)  snprintf(why, PARSE_WHY_MAX, __VA_ARGS__)
#define MS_MINUTE (60ULL * 1000)
#define MS_HOUR   (60 * MS_MINUTE)
#define MS_DAY    (24 * MS_HOUR)

/* ---- helpers ------------------------------------------------------------------ */

/* Server names and backend names: letters, digits, '-', '.', '_' ('*.' prefix
 * allowed for server names). */
static bool name_ok(const char *name, bool allow_wildcard)
{
    if (allow_wildcard && strncmp(name, "*.", 2) == 0)
        name += 2;
    if (!*name || strlen(name) >= CONFIG_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
            return false;
    return true;
}

static bool ifname_ok(const char *name)
{
    if (!*name || strlen(name) >= CONFIG_IFNAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
            return false;
    return true;
}

/* ---- [gateway] ----------------------------------------------------------------------- */

static int set_listen_list(struct listen_addr *list, unsigned *count, bool allow_empty, char *value,
                           char *why)
{
    char *items[CONFIG_MAX_LISTENERS];
    int n = parse_split_list(value, items, CONFIG_MAX_LISTENERS);
    if (n < 0) {
        WHY("more than %d addresses", CONFIG_MAX_LISTENERS);
        return -1;
    }
    if (n == 0 && !allow_empty) {
        WHY("at least one ADDRESS:PORT is required");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (parse_sockaddr(items[i], &list[i].addr, &list[i].len, why) < 0)
            return -1;
    *count = (unsigned)n;
    return 0;
}

static int key_listen_https(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_gateway *g = base;
    return set_listen_list(g->https, &g->n_https, false, value, why);
}

static int key_listen_http(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_gateway *g = base;
    return set_listen_list(g->http, &g->n_http, true, value, why);
}

static int key_workers(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_gateway *g = base;
    if (strcmp(value, "auto") == 0)
        return 0; /* the default is already the core count */
    long long n;
    if (parse_int_range(value, 1, CONFIG_MAX_WORKERS, &n, why) < 0) {
        WHY("'%s' is not 'auto' or a number 1-%d", value, CONFIG_MAX_WORKERS);
        return -1;
    }
    g->workers = (unsigned)n;
    return 0;
}

static const char *const log_formats[] = {"plain", "json", NULL};

#define G(f) offsetof(struct config_gateway, f)
static const struct config_key gateway_keys[] = {
    {.name = "listen_https", .type = KEY_CUSTOM, .custom = key_listen_https},
    {.name = "listen_http", .type = KEY_CUSTOM, .custom = key_listen_http},
    {.name = "workers", .type = KEY_CUSTOM, .custom = key_workers},
    {.name = "user", .type = KEY_STRING, .offset = G(user), .size = CONFIG_NAME_MAX},
    {.name = "access_log", .type = KEY_STRING, .offset = G(access_log), .size = CONFIG_PATH_MAX},
    {.name = "log_format",
     .type = KEY_ENUM,
     .offset = G(log_format),
     .names = log_formats,
     .names_text = "plain, json"},
    {.name = "drain_timeout",
     .type = KEY_DURATION,
     .offset = G(drain_timeout_ms),
     .min = 0,
     .max = 10 * MS_MINUTE},
    {0},
};

/* ---- [tls] ------------------------------------------------------------------------------ */

/* certificate = SERVER_NAME CERT_FILE KEY_FILE (repeatable; the first is the default) */
static int key_certificate(struct config_loader *ld, void *base, char *value, char *why)
{
    struct tls_config *t = &((struct config_tls *)base)->server;
    char *parts[4];
    int n = parse_split_list(value, parts, 4);
    if (n != 3) {
        WHY("expected 'SERVER_NAME CERT_FILE KEY_FILE'");
        return -1;
    }
    if (t->n_certs == CONFIG_MAX_CERTIFICATES) {
        WHY("more than %d certificates", CONFIG_MAX_CERTIFICATES);
        return -1;
    }
    if (!name_ok(parts[0], true)) {
        WHY("'%s' is not a server name", parts[0]);
        return -1;
    }
    for (unsigned i = 0; i < t->n_certs; i++) {
        if (strcasecmp(t->certs[i].server_name, parts[0]) == 0) {
            WHY("server name '%s' already has a certificate (line %u)", parts[0], ld->cert_line[i]);
            return -1;
        }
    }
    struct tls_cert_config *c = &t->certs[t->n_certs];
    if (strlen(parts[1]) >= sizeof c->cert_file || strlen(parts[2]) >= sizeof c->key_file) {
        WHY("file name longer than %d characters", CONFIG_PATH_MAX - 1);
        return -1;
    }
    snprintf(c->server_name, sizeof c->server_name, "%s", parts[0]);
    snprintf(c->cert_file, sizeof c->cert_file, "%s", parts[1]);
    snprintf(c->key_file, sizeof c->key_file, "%s", parts[2]);
    ld->cert_line[t->n_certs++] = ld->key_line;
    return 0;
}

static const char *const tls_versions[] = {"1.2", "1.3", NULL};
static const char *const cipher_profiles[] = {"default", "aes-gcm", NULL};

#define T(f) offsetof(struct config_tls, f)
static const struct config_key tls_keys[] = {
    {.name = "certificate", .type = KEY_CUSTOM, .custom = key_certificate, .repeatable = true},
    {.name = "min_version",
     .type = KEY_ENUM,
     .offset = T(server.min_version),
     .names = tls_versions,
     .names_text = "1.2, 1.3"},
    {.name = "ciphers",
     .type = KEY_ENUM,
     .offset = T(server.ciphers),
     .names = cipher_profiles,
     .names_text = "default, aes-gcm"},
    {.name = "tickets", .type = KEY_BOOL, .offset = T(server.tickets)},
    {.name = "ticket_lifetime",
     .type = KEY_DURATION,
     .offset = T(server.ticket_lifetime_ms),
     .min = MS_MINUTE,
     .max = 7 * MS_DAY},
    {.name = "hsts_max_age", .type = KEY_U64, .offset = T(hsts_max_age_s), .min = 0, .max = 157680000},
    {.name = "hsts_include_subdomains", .type = KEY_BOOL, .offset = T(hsts_include_subdomains)},
    {0},
};

/* ---- [backend NAME] --------------------------------------------------------------------- */

static unsigned backend_index(const struct config_loader *ld, const void *base)
{
    return (unsigned)((const struct config_backend *)base - ld->cfg->backends);
}

static int key_backend_address(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_backend *b = base;
    struct ip_addr ip;
    if (parse_ip(value, &ip, why) < 0) {
        WHY("'%s' is not an IP address (names are not resolved; the port goes in 'port')", value);
        return -1;
    }
    memset(&b->addr, 0, sizeof b->addr);
    if (ip.family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&b->addr;
        s4->sin_family = AF_INET;
        s4->sin_addr = ip.u.v4;
        b->addr_len = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&b->addr;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = ip.u.v6;
        b->addr_len = sizeof *s6;
    }
    ld->backend_has_address[backend_index(ld, base)] = true;
    return 0;
}

static int key_backend_port(struct config_loader *ld, void *base, char *value, char *why)
{
    long long port;
    if (parse_int_range(value, 1, 65535, &port, why) < 0)
        return -1;
    ld->backend_port[backend_index(ld, base)] = (unsigned)port;
    return 0;
}

#define B(f) offsetof(struct config_backend, f)
static const struct config_key backend_keys[] = {
    {.name = "address", .type = KEY_CUSTOM, .custom = key_backend_address},
    {.name = "port", .type = KEY_CUSTOM, .custom = key_backend_port},
    {.name = "weight", .type = KEY_UINT, .offset = B(weight), .min = 0, .max = 256},
    {.name = "max_idle", .type = KEY_UINT, .offset = B(max_idle), .min = 0, .max = 1024},
    {0},
};

/* ---- [health] ------------------------------------------------------------------------------ */

static int key_health_path(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_health *h = base;
    if (value[0] != '/') {
        WHY("'%s' must start with '/'", value);
        return -1;
    }
    for (const char *p = value; *p; p++) {
        if (!isgraph((unsigned char)*p)) {
            WHY("'%s' contains a space or control character", value);
            return -1;
        }
    }
    if (strlen(value) >= sizeof h->path) {
        WHY("longer than %zu characters", sizeof h->path - 1);
        return -1;
    }
    snprintf(h->path, sizeof h->path, "%s", value);
    return 0;
}

/* expect_status = 200 | 200-399 */
static int key_expect_status(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_health *h = base;
    char *dash = strchr(value, '-');
    long long lo, hi;
    if (dash)
        *dash = '\0';
    if (parse_int_range(value, 100, 599, &lo, why) < 0 ||
        (dash && parse_int_range(dash + 1, 100, 599, &hi, why) < 0)) {
        WHY("expected a status 100-599 or a range like 200-399");
        return -1;
    }
    if (!dash)
        hi = lo;
    if (hi < lo) {
        WHY("range %lld-%lld is empty", lo, hi);
        return -1;
    }
    h->expect_status_min = (unsigned)lo;
    h->expect_status_max = (unsigned)hi;
    return 0;
}

#define H(f) offsetof(struct config_health, f)
static const struct config_key health_keys[] = {
    {.name = "path", .type = KEY_CUSTOM, .custom = key_health_path},
    {.name = "host", .type = KEY_STRING, .offset = H(host), .size = CONFIG_NAME_MAX},
    {.name = "interval", .type = KEY_DURATION, .offset = H(interval_ms), .min = 100, .max = MS_HOUR},
    {.name = "timeout", .type = KEY_DURATION, .offset = H(timeout_ms), .min = 10, .max = MS_HOUR},
    {.name = "rise", .type = KEY_UINT, .offset = H(rise), .min = 1, .max = 100},
    {.name = "fall", .type = KEY_UINT, .offset = H(fall), .min = 1, .max = 100},
    {.name = "expect_status", .type = KEY_CUSTOM, .custom = key_expect_status},
    {0},
};

/* ---- [limits] ----------------------------------------------------------------------------- */

#define L(f) offsetof(struct config_limits, f)
static const struct config_key limits_keys[] = {
    /* The head must fit the connection's input buffer (CONN_BUF_SIZE, 16 KiB). */
    {.name = "max_header_size",
     .type = KEY_SIZE,
     .offset = L(max_header_size),
     .min = 1024,
     .max = 16 * 1024},
    {.name = "max_headers", .type = KEY_UINT, .offset = L(max_headers), .min = 1, .max = 128},
    {.name = "max_uri_length", .type = KEY_SIZE, .offset = L(max_uri_length), .min = 64, .max = 16 * 1024},
    {.name = "max_body_size", .type = KEY_SIZE, .offset = L(max_body_size), .min = 0, .max = 1LL << 40},
    {.name = "max_connections", .type = KEY_UINT, .offset = L(max_connections), .min = 1, .max = 1000000},
    {.name = "max_connections_per_ip",
     .type = KEY_UINT,
     .offset = L(max_connections_per_ip),
     .min = 1,
     .max = 1000000},
    {.name = "header_timeout",
     .type = KEY_DURATION,
     .offset = L(header_timeout_ms),
     .min = 100,
     .max = MS_HOUR},
    {.name = "idle_timeout", .type = KEY_DURATION, .offset = L(idle_timeout_ms), .min = 100, .max = MS_HOUR},
    {.name = "connect_timeout",
     .type = KEY_DURATION,
     .offset = L(connect_timeout_ms),
     .min = 10,
     .max = MS_MINUTE},
    {.name = "response_timeout",
     .type = KEY_DURATION,
     .offset = L(response_timeout_ms),
     .min = 100,
     .max = MS_HOUR},
    {.name = "allow_http10_without_host", .type = KEY_BOOL, .offset = L(allow_http10_without_host)},
    {0},
};

/* ---- [vrrp] -------------------------------------------------------------------------------- */

static int key_vrrp_interface(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_vrrp *v = base;
    if (!ifname_ok(value)) {
        WHY("'%s' is not an interface name", value);
        return -1;
    }
    snprintf(v->interface, sizeof v->interface, "%s", value);
    return 0;
}

/* VRRPv3 counts the advertisement interval in centiseconds (12 bits). */
static int key_advert_interval(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_vrrp *v = base;
    uint64_t ms;
    if (parse_duration_ms(value, 40950, &ms, why) < 0)
        return -1;
    if (ms < 10 || ms % 10 != 0) {
        WHY("%s: VRRPv3 needs a multiple of 10ms between 10ms and 40950ms", value);
        return -1;
    }
    v->advert_interval_cs = (unsigned)(ms / 10);
    return 0;
}

static int key_virtual_ip(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_vrrp *v = base;
    char *items[CONFIG_MAX_VIPS + 1];
    int n = parse_split_list(value, items, CONFIG_MAX_VIPS + 1);
    for (int i = 0; i < n; i++) {
        if (v->n_vips == CONFIG_MAX_VIPS) {
            WHY("more than %d virtual addresses", CONFIG_MAX_VIPS);
            return -1;
        }
        /* "198.18.0.10/24": the address and the prefix length of its subnet */
        char *slash = strchr(items[i], '/');
        struct ip_prefix *p = &v->vips[v->n_vips];
        long long len = -1;
        if (slash) {
            *slash = '\0';
            if (parse_int_range(slash + 1, 0, 128, &len, why) < 0) {
                WHY("'%s/%s': bad prefix length", items[i], slash + 1);
                return -1;
            }
        }
        if (parse_ip(items[i], &p->addr, why) < 0)
            return -1;
        unsigned max = p->addr.family == AF_INET ? 32 : 128;
        if (len > (long long)max) {
            WHY("'%s/%lld': prefix length must be 0-%u", items[i], len, max);
            return -1;
        }
        p->len = len < 0 ? max : (unsigned)len;
        v->n_vips++;
    }
    return 0;
}

static int key_unicast_peer(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_vrrp *v = base;
    char *items[CONFIG_MAX_PEERS + 1];
    int n = parse_split_list(value, items, CONFIG_MAX_PEERS + 1);
    for (int i = 0; i < n; i++) {
        if (v->n_unicast_peers == CONFIG_MAX_PEERS) {
            WHY("more than %d unicast peers", CONFIG_MAX_PEERS);
            return -1;
        }
        if (parse_ip(items[i], &v->unicast_peers[v->n_unicast_peers], why) < 0)
            return -1;
        v->n_unicast_peers++;
    }
    return 0;
}

static int key_track_interface(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_vrrp *v = base;
    char *items[CONFIG_MAX_TRACKED_IFS + 1];
    int n = parse_split_list(value, items, CONFIG_MAX_TRACKED_IFS + 1);
    for (int i = 0; i < n; i++) {
        if (v->n_track_interfaces == CONFIG_MAX_TRACKED_IFS) {
            WHY("more than %d tracked interfaces", CONFIG_MAX_TRACKED_IFS);
            return -1;
        }
        if (!ifname_ok(items[i])) {
            WHY("'%s' is not an interface name", items[i]);
            return -1;
        }
        snprintf(v->track_interfaces[v->n_track_interfaces++], CONFIG_IFNAME_MAX, "%s", items[i]);
    }
    return 0;
}

#define V(f) offsetof(struct config_vrrp, f)
static const struct config_key vrrp_keys[] = {
    {.name = "enabled", .type = KEY_BOOL, .offset = V(enabled)},
    {.name = "interface", .type = KEY_CUSTOM, .custom = key_vrrp_interface},
    {.name = "vrid", .type = KEY_UINT, .offset = V(vrid), .min = 1, .max = 255},
    {.name = "priority", .type = KEY_UINT, .offset = V(priority), .min = 1, .max = 255},
    {.name = "advert_interval", .type = KEY_CUSTOM, .custom = key_advert_interval},
    {.name = "virtual_ip", .type = KEY_CUSTOM, .custom = key_virtual_ip, .repeatable = true},
    {.name = "preempt", .type = KEY_BOOL, .offset = V(preempt)},
    {.name = "preempt_delay", .type = KEY_DURATION, .offset = V(preempt_delay_ms), .min = 0, .max = MS_HOUR},
    {.name = "unicast_peer", .type = KEY_CUSTOM, .custom = key_unicast_peer, .repeatable = true},
    {.name = "garp_count", .type = KEY_UINT, .offset = V(garp_count), .min = 0, .max = 100},
    {.name = "garp_interval", .type = KEY_DURATION, .offset = V(garp_interval_ms), .min = 0, .max = 10000},
    {.name = "garp_refresh", .type = KEY_DURATION, .offset = V(garp_refresh_ms), .min = 0, .max = MS_DAY},
    {.name = "track_interface", .type = KEY_CUSTOM, .custom = key_track_interface, .repeatable = true},
    {.name = "penalty_no_backend", .type = KEY_UINT, .offset = V(penalty_no_backend), .min = 0, .max = 254},
    {.name = "penalty_interface_down",
     .type = KEY_UINT,
     .offset = V(penalty_interface_down),
     .min = 0,
     .max = 254},
    {0},
};

/* ---- [admin] and [firewall] -------------------------------------------------------------------- */

static int key_admin_listen(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_admin *a = base;
    return parse_sockaddr(value, &a->listen.addr, &a->listen.len, why);
}

static const struct config_key admin_keys[] = {
    {.name = "enabled", .type = KEY_BOOL, .offset = offsetof(struct config_admin, enabled)},
    {.name = "listen", .type = KEY_CUSTOM, .custom = key_admin_listen},
    {0},
};

static int key_firewall_policy(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_firewall *f = base;
    if (strlen(value) >= sizeof f->policy) {
        WHY("longer than %zu characters", sizeof f->policy - 1);
        return -1;
    }
    snprintf(f->policy, sizeof f->policy, "%s", value);
    ld->policy_line = ld->key_line;
    return 0;
}

#define F(f) offsetof(struct config_firewall, f)
static const struct config_key firewall_keys[] = {
    {.name = "policy", .type = KEY_CUSTOM, .custom = key_firewall_policy},
    {.name = "autoblock", .type = KEY_BOOL, .offset = F(autoblock)},
    {.name = "autoblock_threshold",
     .type = KEY_UINT,
     .offset = F(autoblock_threshold),
     .min = 1,
     .max = 1000000},
    {.name = "autoblock_window",
     .type = KEY_DURATION,
     .offset = F(autoblock_window_ms),
     .min = 1000,
     .max = MS_HOUR},
    {.name = "autoblock_timeout",
     .type = KEY_DURATION,
     .offset = F(autoblock_timeout_ms),
     .min = 1000,
     .max = 7 * MS_DAY},
    {0},
};

/* ---- sections ------------------------------------------------------------------------------------ */

#define FIXED_SECTION(field)                                                                                 \
    static void *open_##field(struct config_loader *ld, const char *instance, unsigned line)                 \
    {                                                                                                        \
        (void)instance, (void)line;                                                                          \
        return &ld->cfg->field;                                                                              \
    }                                                                                                        \
    static uint64_t *seen_##field(struct config_loader *ld, void *base)                                      \
    {                                                                                                        \
        (void)base;                                                                                          \
        return &ld->seen_##field;                                                                            \
    }
FIXED_SECTION(gateway)
FIXED_SECTION(tls)
FIXED_SECTION(health)
FIXED_SECTION(limits)
FIXED_SECTION(vrrp)
FIXED_SECTION(admin)
FIXED_SECTION(firewall)

/* [backend NAME]: the same name again continues that backend's section. */
static void *open_backend(struct config_loader *ld, const char *name, unsigned line)
{
    struct config *cfg = ld->cfg;
    for (unsigned i = 0; i < cfg->n_backends; i++)
        if (strcmp(cfg->backends[i].name, name) == 0)
            return &cfg->backends[i];
    if (!*name) {
        config_error(ld, line, "[backend] needs a name, e.g. [backend web-01]");
        return NULL;
    }
    if (!name_ok(name, false)) {
        config_error(ld, line,
                     "[backend %s]: '%s' is not a valid backend name (letters, digits, '-', '.', '_')", name,
                     name);
        return NULL;
    }
    if (cfg->n_backends == CONFIG_MAX_BACKENDS) {
        if (!ld->backends_overflow_reported)
            config_error(ld, line, "more than %d backends", CONFIG_MAX_BACKENDS);
        ld->backends_overflow_reported = true;
        return NULL;
    }
    struct config_backend *b = &cfg->backends[cfg->n_backends++];
    snprintf(b->name, sizeof b->name, "%s", name);
    b->weight = 1;
    b->max_idle = 32;
    b->line = line;
    return b;
}

static uint64_t *seen_backend(struct config_loader *ld, void *base)
{
    return &ld->seen_backend[backend_index(ld, base)];
}

const struct config_section config_sections[] = {
    {"gateway", false, gateway_keys, open_gateway, seen_gateway},
    {"tls", false, tls_keys, open_tls, seen_tls},
    {"backend", true, backend_keys, open_backend, seen_backend},
    {"health", false, health_keys, open_health, seen_health},
    {"limits", false, limits_keys, open_limits, seen_limits},
    {"vrrp", false, vrrp_keys, open_vrrp, seen_vrrp},
    {"admin", false, admin_keys, open_admin, seen_admin},
    {"firewall", false, firewall_keys, open_firewall, seen_firewall},
    {NULL, false, NULL, NULL, NULL},
};
