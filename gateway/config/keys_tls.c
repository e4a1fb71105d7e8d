/*
 * keys_tls: the keys of [tls]: certificates for SNI, versions, cipher
 * profile, session tickets, HSTS.
 */
#include "gateway/config/config_internal.h"

#include <stdio.h>
#include <string.h>

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
    if (!config_name_ok(parts[0], true)) {
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

/* ticket_key_file = FILE (repeatable: current, then previous) */
static int key_ticket_key_file(struct config_loader *ld, void *base, char *value, char *why)
{
    struct tls_config *t = &((struct config_tls *)base)->server;
    if (t->n_ticket_key_files == TLS_TICKET_KEY_FILES_MAX) {
        WHY("more than %d ticket key files (the current one, then the previous)", TLS_TICKET_KEY_FILES_MAX);
        return -1;
    }
    if (strlen(value) >= sizeof t->ticket_key_files[0]) {
        WHY("file name longer than %d characters", TLS_PATH_MAX - 1);
        return -1;
    }
    ld->ticket_key_line[t->n_ticket_key_files] = ld->key_line;
    snprintf(t->ticket_key_files[t->n_ticket_key_files++], TLS_PATH_MAX, "%s", value);
    return 0;
}

/* acme = yes|no; where it was said, for the rules across the acme keys */
static int key_acme(struct config_loader *ld, void *base, char *value, char *why)
{
    ld->acme_line = ld->key_line;
    return parse_bool(value, &((struct config_tls *)base)->acme.enabled, why);
}

/* A string key of the acme group, its line kept. */
static int acme_string(char *dst, size_t cap, const char *value, unsigned *line, unsigned key_line, char *why)
{
    if (!value[0] || strlen(value) >= cap) {
        WHY("empty, or longer than %zu characters", cap - 1);
        return -1;
    }
    snprintf(dst, cap, "%s", value);
    *line = key_line;
    return 0;
}

static int key_acme_ca_file(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_acme *a = &((struct config_tls *)base)->acme;
    return acme_string(a->ca_file, sizeof a->ca_file, value, &ld->acme_ca_line, ld->key_line, why);
}

static int key_acme_user(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_acme *a = &((struct config_tls *)base)->acme;
    return acme_string(a->user, sizeof a->user, value, &ld->acme_user_line, ld->key_line, why);
}

/* acme_instance = NAME: the VRRP instance whose master orders (checked
 * against the instances once the file is read: config_validate_acme.c) */
static int key_acme_instance(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_acme *a = &((struct config_tls *)base)->acme;
    return acme_string(a->instance, sizeof a->instance, value, &ld->acme_instance_line, ld->key_line, why);
}

/* acme_challenges = http-01, tls-alpn-01 (best first; each once) */
static int key_acme_challenges(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_acme *a = &((struct config_tls *)base)->acme;
    char *parts[3];
    int n = parse_split_list(value, parts, 3);
    if (n < 1 || n > 2) {
        WHY("expected one or two of http-01, tls-alpn-01");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        unsigned t = strcmp(parts[i], "http-01") == 0 ? 0 : strcmp(parts[i], "tls-alpn-01") == 0 ? 1 : 2;
        if (t == 2 || (i == 1 && t == a->challenges[0])) {
            WHY("'%s' is not http-01 or tls-alpn-01, or is listed twice", parts[i]);
            return -1;
        }
        a->challenges[i] = t;
    }
    a->n_challenges = (unsigned)n;
    return 0;
}

/* acme_directory = URL: https, printable, no spaces */
static int key_acme_directory(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_acme *a = &((struct config_tls *)base)->acme;
    if (!config_https_url_ok(value, sizeof a->directory)) {
        WHY("'%s' is not an https URL of at most %d characters", value, CONFIG_URL_MAX - 1);
        return -1;
    }
    snprintf(a->directory, sizeof a->directory, "%s", value);
    return 0;
}

/* acme_contact = mailto:ADDRESS (RFC 8555 section 7.3: a mailto URL) */
static int key_acme_contact(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct config_acme *a = &((struct config_tls *)base)->acme;
    const char *at = strchr(value, '@');
    if (strncmp(value, "mailto:", 7) != 0 || !at || at == value + 7 || !at[1] ||
        strlen(value) >= sizeof a->contact || strpbrk(value, " \t\"<>,;")) {
        WHY("'%s' is not 'mailto:ADDRESS' (one address, at most %d characters)", value,
            CONFIG_CONTACT_MAX - 1);
        return -1;
    }
    snprintf(a->contact, sizeof a->contact, "%s", value);
    return 0;
}

/* acme_state_dir = DIR: an absolute path */
static int key_acme_state_dir(struct config_loader *ld, void *base, char *value, char *why)
{
    struct config_acme *a = &((struct config_tls *)base)->acme;
    ld->acme_state_line = ld->key_line;
    if (value[0] != '/' || strlen(value) >= sizeof a->state_dir || strstr(value, "/../")) {
        WHY("'%s' is not an absolute directory path of at most %d characters", value, CONFIG_PATH_MAX - 1);
        return -1;
    }
    snprintf(a->state_dir, sizeof a->state_dir, "%s", value);
    return 0;
}

/* alpn = PROTOCOL[,PROTOCOL]: "h2", "http/1.1", each once, preferred first. */
static int key_alpn(struct config_loader *ld, void *base, char *value, char *why)
{
    (void)ld;
    struct tls_config *t = &((struct config_tls *)base)->server;
    static const char *const names[] = {[TLS_ALPN_H2] = "h2", [TLS_ALPN_HTTP11] = "http/1.1"};
    char *parts[TLS_ALPN_MAX + 1];
    int n = parse_split_list(value, parts, TLS_ALPN_MAX + 1);
    if (n < 1 || n > TLS_ALPN_MAX) {
        WHY("expected 'h2,http/1.1', 'http/1.1,h2', 'h2' or 'http/1.1'");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int id = -1;
        for (int k = 0; k < TLS_ALPN_MAX; k++)
            if (strcmp(parts[i], names[k]) == 0)
                id = k;
        if (id < 0) {
            WHY("'%.40s' is not a protocol Rampart speaks (h2, http/1.1)", parts[i]);
            return -1;
        }
        for (int k = 0; k < i; k++) {
            if ((int)t->alpn[k] == id) {
                WHY("'%s' is listed twice", names[id]);
                return -1;
            }
        }
        t->alpn[i] = (enum tls_alpn)id;
    }
    t->n_alpn = (unsigned)n;
    return 0;
}

static const char *const tls_versions[] = {"1.2", "1.3", NULL};
static const char *const acme_key_types[] = {"ecdsa", "rsa", NULL};
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
    {.name = "tickets_tls12", .type = KEY_BOOL, .offset = T(server.tickets_tls12)},
    {.name = "ticket_lifetime",
     .type = KEY_DURATION,
     .offset = T(server.ticket_lifetime_ms),
     .min = MS_MINUTE,
     .max = 7 * MS_DAY},
    {.name = "ticket_key_file", .type = KEY_CUSTOM, .custom = key_ticket_key_file, .repeatable = true},
    {.name = "alpn", .type = KEY_CUSTOM, .custom = key_alpn},
    {.name = "hsts_max_age", .type = KEY_U64, .offset = T(hsts_max_age_s), .min = 0, .max = 157680000},
    {.name = "hsts_include_subdomains", .type = KEY_BOOL, .offset = T(hsts_include_subdomains)},
    {.name = "acme", .type = KEY_CUSTOM, .custom = key_acme},
    {.name = "acme_directory", .type = KEY_CUSTOM, .custom = key_acme_directory},
    {.name = "acme_contact", .type = KEY_CUSTOM, .custom = key_acme_contact},
    {.name = "acme_key_type",
     .type = KEY_ENUM,
     .offset = T(acme.key_type),
     .names = acme_key_types,
     .names_text = "ecdsa, rsa"},
    {.name = "acme_ca_file", .type = KEY_CUSTOM, .custom = key_acme_ca_file},
    {.name = "acme_state_dir", .type = KEY_CUSTOM, .custom = key_acme_state_dir},
    {.name = "acme_user", .type = KEY_CUSTOM, .custom = key_acme_user},
    {.name = "acme_challenges", .type = KEY_CUSTOM, .custom = key_acme_challenges},
    {.name = "acme_instance", .type = KEY_CUSTOM, .custom = key_acme_instance},
    {.name = "acme_order_timeout",
     .type = KEY_DURATION,
     .offset = T(acme.order_timeout_ms),
     .min = MS_MINUTE,
     .max = MS_HOUR},
    {0},
};

CONFIG_FIXED_SECTION(tls, tls_keys);
