/*
 * config_validate_acme: the rules of [tls] acme_* across keys, after the
 * whole file is read (config_internal.h).
 */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool config_acme_may_create(const struct config *cfg, unsigned i)
{
    const struct tls_cert_config *c = &cfg->tls.server.certs[i];
    return cfg->tls.acme.enabled && (access(c->cert_file, F_OK) < 0 || access(c->key_file, F_OK) < 0);
}

void config_acme_drop_pending(struct config *cfg)
{
    struct tls_config *t = &cfg->tls.server;
    unsigned kept = 0;
    for (unsigned i = 0; i < t->n_certs; i++)
        if (!config_acme_may_create(cfg, i))
            t->certs[kept++] = t->certs[i];
    t->n_certs = kept;
}

/* A user of its own: not root, not the relay's, not the key holder's. */
static void acme_validate_user(struct config_loader *ld, const struct config_acme *a)
{
    const struct config_gateway *g = &ld->cfg->gateway;
    const struct passwd *pw = getpwnam(a->user);
    if (!pw)
        config_error(ld, ld->acme_user_line ? ld->acme_user_line : ld->acme_line,
                     "[tls] acme_user '%s' does not exist on this system", a->user);
    else if (pw->pw_uid == 0 || strcmp(a->user, g->user) == 0 || strcmp(a->user, g->keyholder_user) == 0)
        config_error(ld, ld->acme_user_line ? ld->acme_user_line : ld->acme_line,
                     "[tls] acme_user '%s' is root, the relay's or the key holder's user: the ACME "
                     "process needs a user of its own",
                     a->user);
}

/* The state directory may not exist yet (the parent makes it); one that
 * does is a directory of its own, not a link. */
static void acme_validate_state_dir(struct config_loader *ld, const struct config_acme *a)
{
    struct stat st;
    if (lstat(a->state_dir, &st) < 0) {
        if (errno != ENOENT)
            config_error(ld, ld->acme_state_line ? ld->acme_state_line : ld->acme_line,
                         "[tls] acme_state_dir '%s': %s", a->state_dir, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode))
        config_error(ld, ld->acme_state_line ? ld->acme_state_line : ld->acme_line,
                     "[tls] acme_state_dir '%s' is not a directory", a->state_dir);
}

static void acme_validate_names(struct config_loader *ld)
{
    const struct tls_config *t = &ld->cfg->tls.server;
    for (unsigned i = 0; i < t->n_certs; i++)
        if (t->certs[i].server_name[0] == '*')
            config_error(
                ld, ld->cert_line[i],
                "[tls] certificate '%s': a wildcard needs the dns-01 challenge, which acme = yes does "
                "not answer (only http-01)",
                t->certs[i].server_name);
}

/* acme_instance names an enabled VRRP instance ("vrrp": [vrrp]). */
static void acme_validate_instance(struct config_loader *ld, const struct config_acme *a)
{
    if (!a->instance[0])
        return;
    const struct config *cfg = ld->cfg;
    for (unsigned i = 0; i < cfg->n_vrrp && i < CONFIG_MAX_VRRP_INSTANCES; i++) {
        const char *name = cfg->vrrp[i].name[0] ? cfg->vrrp[i].name : "vrrp";
        if (cfg->vrrp[i].enabled && strcmp(name, a->instance) == 0)
            return;
    }
    config_error(ld, ld->acme_instance_line,
                 "[tls] acme_instance '%s' is not an enabled VRRP instance ([vrrp %s], or 'vrrp' for [vrrp])",
                 a->instance, a->instance);
}

void config_validate_acme(struct config_loader *ld)
{
    const struct config_acme *a = &ld->cfg->tls.acme;
    if (!a->enabled)
        return;
    if (!a->directory[0])
        config_error(ld, ld->acme_line,
                     "[tls] acme = yes needs acme_directory (the ACME server's directory URL)");
    if (ld->cfg->tls.server.n_certs == 0)
        config_error(ld, ld->acme_line,
                     "[tls] acme = yes without a 'certificate = NAME CERT_FILE KEY_FILE' to obtain");
    for (unsigned i = 0; i < a->n_challenges; i++)
        if (a->challenges[i] == 0 && ld->cfg->gateway.n_http == 0)
            config_error(ld, ld->acme_line,
                         "[tls] acme = yes with http-01 needs an HTTP listener ([gateway] "
                         "listen_http): the challenge is answered there");
    if (access(a->ca_file, R_OK) < 0)
        config_error(ld, ld->acme_ca_line ? ld->acme_ca_line : ld->acme_line, "[tls] acme_ca_file '%s': %s",
                     a->ca_file, strerror(errno));
    acme_validate_user(ld, a);
    acme_validate_state_dir(ld, a);
    acme_validate_names(ld);
    acme_validate_instance(ld, a);
}
