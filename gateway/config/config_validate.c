/*
 * Rules across keys, checked once the whole file is read: what must be
 * present, what must agree, and the files the config points at (a private
 * key must be a plain file owned by root or the running user, closed to
 * group and others).
 */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <fcntl.h>
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

/* The key is the file itself, not a link (a link can be repointed by
 * whoever owns its directory, and stat() would judge its target), owned by
 * root or by the user running rampart, and closed to group and others.
 * Opened with O_NOFOLLOW and checked with fstat on that descriptor, so
 * what is judged is what was opened; O_NONBLOCK so a FIFO cannot hang the
 * check. */
static void validate_key_file(struct config_loader *ld, unsigned line, const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            config_error(ld, line, "[tls] key file '%s' is a symbolic link: name the file itself", path);
        else
            config_error(ld, line, "[tls] key file '%s': %s", path, strerror(errno));
        return;
    }
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    if (rc < 0)
        config_error(ld, line, "[tls] key file '%s': %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        config_error(ld, line, "[tls] key file '%s' is not a regular file", path);
    else if (st.st_uid != 0 && st.st_uid != geteuid())
        config_error(
            ld, line,
            "[tls] key file '%s' is owned by uid %u: it must belong to root or to uid %u (who runs rampart)",
            path, (unsigned)st.st_uid, (unsigned)geteuid());
    else if (st.st_mode & (S_IRWXG | S_IRWXO))
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
    struct config *cfg = ld->cfg;
    /* The per-IP default only ever fits under the total (a small
     * max_connections alone is no error). */
    if (!config_key_seen(&config_section_limits, ld->seen_limits, "max_connections_per_ip") &&
        cfg->limits.max_connections_per_ip > cfg->limits.max_connections)
        cfg->limits.max_connections_per_ip = cfg->limits.max_connections;
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
    /* only when there are keys to hold: a plain-HTTP gateway starts no key holder */
    if (cfg->gateway.n_https > 0 &&
        (!cfg->gateway.keyholder_user[0] || !getpwnam(cfg->gateway.keyholder_user)))
        config_error(ld, 0, "[gateway] keyholder_user '%s' does not exist on this system",
                     cfg->gateway.keyholder_user);
    else if (cfg->gateway.n_https > 0 && strcmp(cfg->gateway.keyholder_user, cfg->gateway.user) == 0)
        config_error(
            ld, 0,
            "[gateway] keyholder_user '%s' is the relay's user: the key holder needs a user of its own",
            cfg->gateway.keyholder_user);
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
    config_validate_peer(ld);
    config_validate_bgp(ld);
}
