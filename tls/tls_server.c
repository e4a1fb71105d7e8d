/*
 * tls_server.c: one immutable, reference-counted server context built from
 * the [tls] section: certificate/key pairs with SNI, protocol and cipher
 * policy, ALPN and session tickets. Worker threads share it; a reload builds
 * a new one and the old one lives until its last connection ends.
 */
#include "tls/tls_internal.h"
#include "tls/tls_sni.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Server preference order: AES-128-GCM first (cheapest with AES-NI), then
 * AES-256-GCM, then ChaCha20-Poly1305 for clients without AES hardware.
 * TLS 1.2 is ECDHE with AEAD only: forward secrecy, no CBC. */
static const int tls_suites_default[] = {
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

static const int tls_suites_aes_gcm[] = {
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    0,
};

/* X25519 first: fastest and what browsers send a key share for. */
static const uint16_t tls_groups[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

/* Same code points serve TLS 1.2 (hash << 8 | sig) and TLS 1.3; mbedTLS
 * never uses PKCS#1 v1.5 for a TLS 1.3 handshake signature. */
static const uint16_t tls_sig_algs[] = {
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
    MBEDTLS_TLS1_3_SIG_NONE,
};

static const char *const tls_alpn_names[] = {[TLS_ALPN_H2] = "h2", [TLS_ALPN_HTTP11] = "http/1.1"};

static void tls_errf(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tls_errf(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static void tls_strerror(int ret, char *buf, size_t len)
{
    mbedtls_strerror(ret, buf, len);
}

/* An EC key goes into PSA, signing there (tls_drv_p256.c for P-256); the
 * parsed copy is wiped (mbedtls_pk_free zeroizes). The policy is
 * deterministic ECDSA (RFC 6979), what every signature uses; the second
 * algorithm, randomized ECDSA, is only there because TLS 1.2 picks its
 * certificate by asking whether the key may do PSA_ALG_ECDSA(hash). */
static int tls_cert_key_to_psa(struct tls_cert *c)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    if (mbedtls_pk_get_type(&c->key) != MBEDTLS_PK_ECKEY)
        return 0;
    if (mbedtls_pk_get_psa_attributes(&c->key, PSA_KEY_USAGE_SIGN_HASH, &attr) != 0)
        return -1;
    psa_set_key_enrollment_algorithm(&attr, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
    if (mbedtls_pk_import_into_psa(&c->key, &attr, &c->key_id) != 0)
        return -1;
    mbedtls_pk_free(&c->key);
    mbedtls_pk_init(&c->key);
    return mbedtls_pk_setup_opaque(&c->key, c->key_id) == 0 ? 0 : -1;
}

/* Loads one pair and proves the key belongs to the certificate. */
static int tls_cert_load(struct tls_cert *c, const struct tls_cert_config *cfg, char *err, size_t err_len)
{
    char why[128];
    int ret = mbedtls_x509_crt_parse_file(&c->chain, cfg->cert_file);
    if (ret != 0) {
        tls_strerror(ret, why, sizeof why);
        tls_errf(err, err_len, "%s: cannot load certificate chain: %s", cfg->cert_file, why);
        return -1;
    }
    ret = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL, tls_rng, tls_rng_ctx());
    if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
        tls_errf(err, err_len, "%s: private key is encrypted; give an unencrypted key (mode 0600)",
                 cfg->key_file);
        return -1;
    }
    if (ret != 0) {
        tls_strerror(ret, why, sizeof why);
        tls_errf(err, err_len, "%s: cannot load private key: %s", cfg->key_file, why);
        return -1;
    }
    if (mbedtls_pk_check_pair(&c->chain.pk, &c->key, tls_rng, tls_rng_ctx()) != 0) {
        tls_errf(err, err_len, "%s: private key does not match certificate %s", cfg->key_file,
                 cfg->cert_file);
        return -1;
    }
    if (tls_cert_key_to_psa(c) != 0) {
        tls_errf(err, err_len, "%s: cannot move the EC private key into PSA", cfg->key_file);
        return -1;
    }
    snprintf(c->server_name, sizeof c->server_name, "%s", cfg->server_name);
    return 0;
}

/* Every pair registered under the same name as certs[i] (an ECDSA and an
 * RSA certificate for one name): mbedTLS picks the one the client can
 * verify. add() is mbedtls_ssl_conf_own_cert or mbedtls_ssl_set_hs_own_cert. */
static int tls_server_offer(struct tls_server *srv, unsigned pick, void *target,
                            int (*add)(void *, mbedtls_x509_crt *, mbedtls_pk_context *))
{
    for (unsigned i = 0; i < srv->n_certs; i++) {
        if (strcasecmp(srv->certs[i].server_name, srv->certs[pick].server_name) != 0)
            continue;
        int ret = add(target, &srv->certs[i].chain, &srv->certs[i].key);
        if (ret != 0)
            return ret;
    }
    return 0;
}

static int tls_add_conf(void *conf, mbedtls_x509_crt *crt, mbedtls_pk_context *key)
{
    return mbedtls_ssl_conf_own_cert(conf, crt, key);
}

static int tls_add_hs(void *ssl, mbedtls_x509_crt *crt, mbedtls_pk_context *key)
{
    return mbedtls_ssl_set_hs_own_cert(ssl, crt, key);
}

/* SNI callback: never refuses; unknown names get the default certificate
 * (what clients without SNI get too). Remembers the name for the log. */
static int tls_server_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
    struct tls_server *srv = arg;
    struct tls_conn *conn = mbedtls_ssl_get_user_data_p(ssl);
    if (conn != NULL) {
        size_t n = len < sizeof conn->sni - 1 ? len : sizeof conn->sni - 1;
        memcpy(conn->sni, name, n);
        conn->sni[n] = '\0';
    }
    unsigned pick = tls_sni_pick(srv->names, srv->n_certs, (const char *)name, len);
    return tls_server_offer(srv, pick, ssl, tls_add_hs);
}

static int tls_server_tickets(struct tls_server *srv, const struct tls_config *cfg, char *err, size_t err_len)
{
    uint64_t lifetime_s = cfg->ticket_lifetime_ms / 1000;
    if (lifetime_s < 1 || lifetime_s > TLS_TICKET_LIFETIME_MAX_S) {
        tls_errf(err, err_len, "tls: ticket_lifetime %llu ms out of range 1s-7d",
                 (unsigned long long)cfg->ticket_lifetime_ms);
        return -1;
    }
    srv->tickets = tls_tickets_get((uint32_t)lifetime_s);
    if (srv->tickets == NULL) {
        tls_errf(err, err_len, "tls: cannot set up session tickets (out of memory)");
        return -1;
    }
    srv->tickets_tls12 = cfg->tickets_tls12;
    tls_tickets_attach(srv);
    return 0;
}

static int tls_server_policy(struct tls_server *srv, const struct tls_config *cfg)
{
    mbedtls_ssl_config *conf = &srv->conf;
    int ret = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        return ret;
    mbedtls_ssl_conf_rng(conf, tls_rng, tls_rng_ctx());
    mbedtls_ssl_conf_min_tls_version(conf, cfg->min_version == TLS_MIN_1_3 ? MBEDTLS_SSL_VERSION_TLS1_3
                                                                           : MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_3);
    mbedtls_ssl_conf_ciphersuites(conf, cfg->ciphers == TLS_CIPHERS_AES_GCM ? tls_suites_aes_gcm
                                                                            : tls_suites_default);
    mbedtls_ssl_conf_groups(conf, tls_groups);
    mbedtls_ssl_conf_sig_algs(conf, tls_sig_algs);
    /* Resumption keeps forward secrecy: PSK with a fresh (EC)DHE, never PSK alone. */
    mbedtls_ssl_conf_tls13_key_exchange_modes(conf, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
                                                        MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
    mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_NONE); /* no client certificates */
    mbedtls_ssl_conf_sni(conf, tls_server_sni, srv);
    /* mbedTLS walks our list first and takes the first protocol the
     * client offers too: server preference. A client that offers only
     * protocols we do not is refused (no_application_protocol alert). */
    unsigned n = 0;
    for (unsigned i = 0; i < cfg->n_alpn && i < TLS_ALPN_MAX; i++)
        if ((unsigned)cfg->alpn[i] < sizeof tls_alpn_names / sizeof tls_alpn_names[0])
            srv->alpn[n++] = tls_alpn_names[cfg->alpn[i]];
    if (n == 0)
        srv->alpn[n++] = tls_alpn_names[TLS_ALPN_HTTP11];
    srv->alpn[n] = NULL;
    return mbedtls_ssl_conf_alpn_protocols(conf, srv->alpn);
}

static void tls_server_free(struct tls_server *srv)
{
    for (unsigned i = 0; i < TLS_MAX_CERTIFICATES; i++) {
        mbedtls_x509_crt_free(&srv->certs[i].chain);
        mbedtls_pk_free(&srv->certs[i].key);
        psa_destroy_key(srv->certs[i].key_id); /* 0 (none) is a no-op */
    }
    tls_tickets_unref(srv->tickets);
    mbedtls_ssl_config_free(&srv->conf);
    free(srv);
}

static struct tls_server *tls_server_alloc(void)
{
    struct tls_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return NULL;
    atomic_init(&srv->refs, 1);
    mbedtls_ssl_config_init(&srv->conf);
    for (unsigned i = 0; i < TLS_MAX_CERTIFICATES; i++) {
        mbedtls_x509_crt_init(&srv->certs[i].chain);
        mbedtls_pk_init(&srv->certs[i].key);
        srv->names[i] = srv->certs[i].server_name;
    }
    return srv;
}

static int tls_server_certs(struct tls_server *srv, const struct tls_config *cfg, char *err, size_t err_len)
{
    if (cfg->n_certs == 0 || cfg->n_certs > TLS_MAX_CERTIFICATES) {
        tls_errf(err, err_len, "tls: need 1-%d certificates, got %u", TLS_MAX_CERTIFICATES, cfg->n_certs);
        return -1;
    }
    for (unsigned i = 0; i < cfg->n_certs; i++) {
        if (tls_cert_load(&srv->certs[i], &cfg->certs[i], err, err_len) != 0)
            return -1;
        srv->n_certs = i + 1;
    }
    if (tls_server_offer(srv, 0, &srv->conf, tls_add_conf) != 0) {
        tls_errf(err, err_len, "%s: cannot use certificate", cfg->certs[0].cert_file);
        return -1;
    }
    return 0;
}

struct tls_server *tls_server_new(const struct tls_config *cfg, char *err, size_t err_len)
{
    if (tls_global_init() != 0) {
        tls_errf(err, err_len, "tls: cannot initialise crypto (PSA / random generator)");
        return NULL;
    }
    struct tls_server *srv = tls_server_alloc();
    if (srv == NULL) {
        tls_errf(err, err_len, "tls: out of memory");
        return NULL;
    }
    int ret = tls_server_policy(srv, cfg);
    if (ret != 0) {
        tls_errf(err, err_len, "tls: cannot configure TLS (-0x%04x)", (unsigned)-ret);
        tls_server_free(srv);
        return NULL;
    }
    if (tls_server_certs(srv, cfg, err, err_len) != 0 ||
        (cfg->tickets && tls_server_tickets(srv, cfg, err, err_len) != 0)) {
        tls_server_free(srv);
        return NULL;
    }
    return srv;
}

void tls_server_ref(struct tls_server *srv)
{
    atomic_fetch_add_explicit(&srv->refs, 1, memory_order_relaxed);
}

void tls_server_unref(struct tls_server *srv)
{
    if (srv != NULL && atomic_fetch_sub_explicit(&srv->refs, 1, memory_order_acq_rel) == 1)
        tls_server_free(srv);
}
