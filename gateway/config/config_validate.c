/*
 * Rules across keys, checked once the whole file is read: what must be
 * present, what must agree, and the files the config points at (a private
 * key readable by group or others is refused).
 */
#include "gateway/config/config_internal.h"

#include <netinet/in.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void validate_backends(struct config_loader *ld)
{
    struct config *cfg = ld->cfg;
    if (cfg->n_backends == 0 && !ld->backends_overflow_reported)
        config_error(ld, 0, "no [backend NAME] section: at least one backend is required");
    for (unsigned i = 0; i < cfg->n_backends; i++) {
        struct config_backend *b = &cfg->backends[i];
        if (!ld->backend_has_address[i]) {
            config_error(ld, b->line, "backend '%s': 'address' is missing", b->name);
            continue;
        }
        uint16_t port = htons((uint16_t)(ld->backend_port[i] ? ld->backend_port[i] : 80));
        if (b->addr.ss_family == AF_INET)
            ((struct sockaddr_in *)&b->addr)->sin_port = port;
        else
            ((struct sockaddr_in6 *)&b->addr)->sin6_port = port;
    }
}

/* The key must not be readable by anyone but its owner (and root). */
static void validate_key_file(struct config_loader *ld, unsigned line, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        config_error(ld, line, "[tls] key file '%s': %s", path, strerror(errno));
        return;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        config_error(ld, line,
                     "[tls] key file '%s' is accessible by group or others (mode %04o); chmod 600 it", path,
                     (unsigned)(st.st_mode & 07777));
}

static void validate_tls(struct config_loader *ld)
{
    const struct tls_config *t = &ld->cfg->tls.server;
    if (ld->cfg->gateway.n_https > 0 && t->n_certs == 0)
        config_error(
            ld, 0, "[tls] no certificate: the HTTPS listener needs 'certificate = NAME CERT_FILE KEY_FILE'");
    for (unsigned i = 0; i < t->n_certs; i++) {
        if (access(t->certs[i].cert_file, R_OK) < 0)
            config_error(ld, ld->cert_line[i], "[tls] certificate file '%s': %s", t->certs[i].cert_file,
                         strerror(errno));
        validate_key_file(ld, ld->cert_line[i], t->certs[i].key_file);
    }
}

static void validate_limits(struct config_loader *ld)
{
    const struct config *cfg = ld->cfg;
    if (cfg->limits.max_connections_per_ip > cfg->limits.max_connections)
        config_error(ld, 0, "[limits] max_connections_per_ip (%u) exceeds max_connections (%u)",
                     cfg->limits.max_connections_per_ip, cfg->limits.max_connections);
    if (cfg->limits.max_uri_length > cfg->limits.max_header_size)
        config_error(ld, 0, "[limits] max_uri_length (%llu) exceeds max_header_size (%llu)",
                     (unsigned long long)cfg->limits.max_uri_length,
                     (unsigned long long)cfg->limits.max_header_size);
    if (cfg->health.timeout_ms > cfg->health.interval_ms)
        config_error(ld, 0, "[health] timeout (%llums) exceeds interval (%llums)",
                     (unsigned long long)cfg->health.timeout_ms, (unsigned long long)cfg->health.interval_ms);
}

static void validate_gateway(struct config_loader *ld)
{
    const struct config *cfg = ld->cfg;
    if (!cfg->gateway.user[0] || !getpwnam(cfg->gateway.user))
        config_error(ld, 0, "[gateway] user '%s' does not exist on this system", cfg->gateway.user);
    if (cfg->firewall.policy[0] && access(cfg->firewall.policy, R_OK) < 0)
        config_error(ld, ld->policy_line, "[firewall] policy '%s': %s", cfg->firewall.policy,
                     strerror(errno));
}

void config_validate(struct config_loader *ld)
{
    validate_gateway(ld);
    validate_tls(ld);
    validate_backends(ld);
    validate_limits(ld);
    config_validate_vrrp(ld);
}
