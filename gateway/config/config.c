/*
 * rampart.ini reader: libinih does the INI syntax, this file does the
 * meaning. Each section has a table of keys (name, type, where the value
 * goes, range); one generic handler parses a value by its type, a few keys
 * with their own shape have a small function. Cross-key rules run after the
 * whole file is read (config_validate.c). See config.h.
 */
#include "gateway/config/config.h"
#include "gateway/config/config_internal.h"

#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- defaults ---------------------------------------------------------------- */

static void listen_default(struct listen_addr *out, const char *text)
{
    char why[PARSE_WHY_MAX];
    if (parse_sockaddr(text, &out->addr, &out->len, why) < 0)
        abort(); /* the built-in defaults are constants */
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    listen_default(&c->gateway.https[0], "*:443");
    c->gateway.n_https = 1;
    listen_default(&c->gateway.http[0], "*:80");
    c->gateway.n_http = 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->gateway.workers = cores < 1 ? 1 : cores > CONFIG_MAX_WORKERS ? CONFIG_MAX_WORKERS : (unsigned)cores;
    snprintf(c->gateway.user, sizeof c->gateway.user, "rampart");
    snprintf(c->gateway.keyholder_user, sizeof c->gateway.keyholder_user, "rampart-keys");
    snprintf(c->gateway.access_log, sizeof c->gateway.access_log, "stderr");
    c->gateway.log_format = LOG_FORMAT_PLAIN;
    c->gateway.drain_timeout_ms = 10000;

    c->tls.server.min_version = TLS_MIN_1_2;
    c->tls.server.ciphers = TLS_CIPHERS_DEFAULT;
    c->tls.server.tickets = true;
    c->tls.server.tickets_tls12 = false; /* TLS 1.2 resumption skips ECDHE: SECURITY.md */
    c->tls.server.ticket_lifetime_ms = 4 * 3600 * 1000;
    c->tls.server.alpn[0] = TLS_ALPN_H2;
    c->tls.server.alpn[1] = TLS_ALPN_HTTP11;
    c->tls.server.n_alpn = 2;
    c->tls.hsts_max_age_s = 31536000;

    snprintf(c->health.path, sizeof c->health.path, "/");
    c->health.interval_ms = 2000;
    c->health.timeout_ms = 1000;
    c->health.rise = 2;
    c->health.fall = 3;
    c->health.expect_status_min = 200;
    c->health.expect_status_max = 399;

    c->limits.max_header_size = 16 * 1024;
    c->limits.max_headers = 100;
    c->limits.max_uri_length = 8 * 1024;
    c->limits.max_body_size = 100 * 1024 * 1024;
    c->limits.max_connections = 10000;
    c->limits.max_connections_per_ip = CONFIG_PER_IP_DEFAULT;
    c->limits.header_timeout_ms = 10000;
    c->limits.idle_timeout_ms = 60000;
    c->limits.connect_timeout_ms = 3000;
    c->limits.response_timeout_ms = 30000;
    c->limits.send_timeout_ms = 30000;
    c->limits.body_timeout_ms = 10000;
    c->limits.body_min_rate = 1024;
    c->limits.queue_timeout_ms = 5000;

    c->http2.max_concurrent_streams = 100;
    c->http2.max_header_list_size = 16 * 1024;
    c->http2.header_table_size = 4096;
    c->http2.max_continuations = 8;
    c->http2.max_header_block_size = 32 * 1024;
    c->http2.max_frames_without_progress = 100;
    c->http2.max_resets_per_second = 100;
    c->http2.first_stream_timeout_ms = 10000;
    c->http2.idle_timeout_ms = 60000;
    snprintf(c->bgp.interface, sizeof c->bgp.interface, "lo");
    c->bgp.table = 100;
    c->bgp.drain_wait_ms = 2000;
    c->bgp.min_backends = 1;
    c->bgp.require_firewall = true;

    c->admin.enabled = true;
    listen_default(&c->admin.listen, "127.0.0.1:9100");

    c->firewall.autoblock_threshold = 100;
    c->firewall.autoblock_window_ms = 10000;
    c->firewall.autoblock_timeout_ms = 600000;
    config_peer_defaults(&c->peer);
}

/* keepalived's defaults for the ARP bursts (garp_master_repeat 5,
 * garp_master_delay 5 s, garp_interval 0), so a mixed pair behaves alike. */
void config_vrrp_defaults(struct config_vrrp *v, const char *name)
{
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    v->enabled = name[0] != '\0'; /* [vrrp] has always needed enabled = yes */
    v->vrid = 51;
    v->priority = 100;
    v->advert_interval_cs = 100;
    v->preempt = true;
    v->garp_count = 5;
    v->garp_interval_ms = 0;
    v->garp_repeat_delay_ms = 5000;
    v->garp_on_behalf = true;
    v->penalty_no_backend = 50;
    v->penalty_interface_down = 50;
}

int config_vrrp_family(const struct config_vrrp *v)
{
    return v->n_vips ? v->vips[0].addr.family : AF_INET;
}

unsigned config_vrrp_enabled_count(const struct config *cfg)
{
    unsigned n = 0;
    for (unsigned i = 0; i < cfg->n_vrrp && i < CONFIG_MAX_VRRP_INSTANCES; i++)
        n += cfg->vrrp[i].enabled;
    return n;
}

/* ---- value handlers by type --------------------------------------------------------- */

static int set_value(struct config_loader *ld, const struct config_key *key, void *base, char *value,
                     char *why)
{
    void *field = (char *)base + key->offset;
    long long n;
    uint64_t u;
    bool b;
    switch (key->type) {
    case KEY_BOOL:
        if (parse_bool(value, &b, why) < 0)
            return -1;
        *(bool *)field = b;
        return 0;
    case KEY_UINT:
        if (parse_int_range(value, key->min, key->max, &n, why) < 0)
            return -1;
        *(unsigned *)field = (unsigned)n;
        return 0;
    case KEY_U64:
        if (parse_int_range(value, key->min, key->max, &n, why) < 0)
            return -1;
        *(uint64_t *)field = (uint64_t)n;
        return 0;
    case KEY_DURATION:
        if (parse_duration_ms(value, (uint64_t)key->max, &u, why) < 0)
            return -1;
        if (u < (uint64_t)key->min) {
            snprintf(why, PARSE_WHY_MAX, "%.60s is shorter than the minimum %lldms", value, key->min);
            return -1;
        }
        *(uint64_t *)field = u;
        return 0;
    case KEY_SIZE:
        if (parse_size(value, (uint64_t)key->max, &u, why) < 0)
            return -1;
        if (u < (uint64_t)key->min) {
            snprintf(why, PARSE_WHY_MAX, "%.60s is smaller than the minimum %lld bytes", value, key->min);
            return -1;
        }
        *(uint64_t *)field = u;
        return 0;
    case KEY_STRING:
        if (strlen(value) >= key->size) {
            snprintf(why, PARSE_WHY_MAX, "value longer than %zu characters", key->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case KEY_ENUM:
        for (int i = 0; key->names[i]; i++) {
            if (strcmp(value, key->names[i]) == 0) {
                *(int *)field = i;
                return 0;
            }
        }
        snprintf(why, PARSE_WHY_MAX, "'%.60s' is not one of %s", value, key->names_text);
        return -1;
    case KEY_CUSTOM: return key->custom(ld, base, value, why);
    }
    return -1;
}

/* ---- the libinih callback ------------------------------------------------------------ */

static const struct config_section *find_section(const char *name, const char **instance)
{
    for (const struct config_section *const *it = config_sections; *it; it++) {
        const struct config_section *s = *it;
        size_t len = strlen(s->name);
        if (!s->named && strcmp(name, s->name) == 0) {
            *instance = NULL;
            return s;
        }
        if (s->named && strncmp(name, s->name, len) == 0 && (name[len] == ' ' || name[len] == '\0')) {
            *instance = name + len;
            while (**instance == ' ')
                (*instance)++;
            return s;
        }
    }
    return NULL;
}

static const struct config_key *find_key(const struct config_section *s, const char *name, unsigned *index)
{
    for (unsigned i = 0; s->keys[i].name; i++) {
        if (strcmp(s->keys[i].name, name) == 0) {
            *index = i;
            return &s->keys[i];
        }
    }
    return NULL;
}

/* "[limits] " or "backend 'web-01': " in front of key messages. */
static void section_label(const char *section, const char *instance, const struct config_section *s,
                          char *buf, size_t len)
{
    if (s && s->named && instance && *instance) /* [vrrp] is the unnamed instance */
        snprintf(buf, len, "%s '%s': ", s->name, instance);
    else
        snprintf(buf, len, "[%s] ", section);
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct config_loader *ld = user;
    unsigned line = ld->line;
    const char *instance = NULL;
    const struct config_section *s = find_section(section, &instance);
    char label[CONFIG_NAME_MAX + 32];
    section_label(section, instance, s, label, sizeof label);
    if (!s) {
        if (strcmp(section, ld->last_unknown_section) != 0) {
            config_error(ld, line, "unknown section [%s]", section);
            snprintf(ld->last_unknown_section, sizeof ld->last_unknown_section, "%s", section);
        }
        return 1;
    }
    void *base = s->open(ld, instance, line);
    if (!base)
        return 1; /* the section itself is bad and was reported */
    unsigned index;
    const struct config_key *key = find_key(s, name, &index);
    if (!key) {
        config_error(ld, line, "%sunknown key '%s'", label, name);
        return 1;
    }
    uint64_t *seen = s->seen(ld, base);
    if (!key->repeatable && (*seen & (1ULL << index))) {
        config_error(ld, line, "%s'%s' is set twice", label, name);
        return 1;
    }
    *seen |= 1ULL << index;
    char copy[CONFIG_LINE_MAX];
    snprintf(copy, sizeof copy, "%s", value);
    char why[PARSE_WHY_MAX] = "";
    ld->key_line = line;
    if (set_value(ld, key, base, copy, why) < 0)
        config_error(ld, line, "%s%s: %s", label, name, why);
    return 1;
}

/* Line reader for ini_parse_stream: counts lines (so messages carry the
 * line number), refuses over-long lines instead of letting libinih split
 * them, and strips leading blanks so an indented key is never taken as a
 * continuation of the previous value. */
static char *read_line(char *str, int num, void *stream)
{
    struct config_loader *ld = stream;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, ld->fp);
    if (len < 0) {
        free(line);
        return NULL;
    }
    ld->line++;
    const char *start = line + strspn(line, " \t");
    if (*start == '[')
        ld->section_line = ld->line;
    if (strlen(start) >= (size_t)num) {
        config_error(ld, ld->line, "line longer than %d characters", num - 2);
        start = "\n";
    }
    snprintf(str, (size_t)num, "%s", start);
    free(line);
    return str;
}

struct config *config_load(const char *path, struct config_errors *errors)
{
    memset(errors, 0, sizeof *errors);
    struct config *cfg = malloc(sizeof *cfg);
    struct config_loader ld = {.path = path, .errors = errors, .cfg = cfg};
    if (!cfg) {
        config_error(&ld, 0, "out of memory");
        return NULL;
    }
    config_defaults(cfg);
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    ld.fp = fopen(path, "r");
    if (!ld.fp) {
        config_error(&ld, 0, "cannot open: %s", strerror(errno));
        free(cfg);
        return NULL;
    }
    int rc = ini_parse_stream(read_line, &ld, on_key, &ld);
    fclose(ld.fp);
    if (rc > 0)
        config_error(&ld, (unsigned)rc, "syntax error: expected 'key = value', '[section]' or a comment");
    if (errors->count == 0)
        config_validate(&ld);
    if (errors->count > 0) {
        free(cfg);
        return NULL;
    }
    return cfg;
}

void config_free(struct config *cfg)
{
    free(cfg);
}
