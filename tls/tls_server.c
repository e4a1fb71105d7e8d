/*
 * tls_server.c: one immutable, reference-counted server context built from
 * the [tls] section: certificate/key pairs with SNI, protocol and cipher
 * policy, ALPN and session tickets. Worker threads share it; a reload builds
 * a new one and the old one lives until its last connection ends.
 */
#include "tls/tls_internal.h"
#include "tls/tls_sni.h"

#include <mbedtls/platform_util.h>
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

/* A certificate file: a chain, PEM or DER, of a bounded size. */
#define TLS_CERT_FILE_MAX (1024 * 1024)

/* The chain in path, refused when the file holds a private key as well:
 * the relay reads certificate files, and only the key holder may read a
 * key. The buffer is wiped before it is freed. 0, or an mbedTLS error,
 * or 1 for a file with a key in it. */
static int tls_chain_parse(mbedtls_x509_crt *chain, const char *path)
{
    FILE *fp = fopen(path, "rbe");
    if (fp == NULL)
        return MBEDTLS_ERR_X509_FILE_IO_ERROR;
    unsigned char *buf = malloc(TLS_CERT_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, TLS_CERT_FILE_MAX + 1, fp) : 0;
    int bad = buf == NULL || ferror(fp) || n > TLS_CERT_FILE_MAX;
    fclose(fp);
    if (bad) {
        free(buf);
        return MBEDTLS_ERR_X509_FILE_IO_ERROR;
    }
    buf[n] = '\0'; /* PEM is parsed as a string */
    static const char key_marker[] = "PRIVATE KEY-----";
    int ret =
        memmem(buf, n, key_marker, sizeof key_marker - 1) ? 1 : mbedtls_x509_crt_parse(chain, buf, n + 1);
    mbedtls_platform_zeroize(buf, n + 1);
    free(buf);
    return ret;
}

/* Loads one chain, and its private key from the signer (none for a check). */
static int tls_cert_load(struct tls_cert *c, unsigned i, const struct tls_cert_config *cfg,
                         struct tls_signer *signer, char *err, size_t err_len)
{
    char why[128];
    snprintf(c->cert_file, sizeof c->cert_file, "%s", cfg->cert_file);
    snprintf(c->server_name, sizeof c->server_name, "%s", cfg->server_name);
    int ret = tls_chain_parse(&c->chain, cfg->cert_file);
    if (ret == 1) {
        tls_errf(err, err_len,
                 "%s: holds a private key as well; give the key a file of its own (only the key holder reads "
                 "keys)",
                 cfg->cert_file);
        return -1;
    }
    if (ret != 0) {
        tls_strerror(ret, why, sizeof why);
        tls_errf(err, err_len, "%s: cannot load certificate chain: %s", cfg->cert_file, why);
        return -1;
    }
    if (tls_pk_kind(&c->chain.pk) == TLS_KEY_KIND_NONE) {
        tls_errf(err, err_len, "%s: the certificate's key is neither EC nor RSA", cfg->cert_file);
        return -1;
    }
    if (signer == NULL)
        return 0;
    if (tls_signer_key(signer, i, &c->chain.pk, cfg->cert_file, &c->key_id, &c->key_owned, err, err_len) != 0)
        return -1;
    if (mbedtls_pk_setup_opaque(&c->key, c->key_id) != 0) {
        tls_errf(err, err_len, "%s: cannot use its private key", cfg->key_file);
        return -1;
    }
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
        mbedtls_pk_free(&srv->certs[i].key); /* an opaque handle: the key stays */
        if (srv->certs[i].key_owned)
            psa_destroy_key(srv->certs[i].key_id);
    }
    tls_signer_unref(srv->signer);
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
        if (tls_cert_load(&srv->certs[i], i, &cfg->certs[i], srv->signer, err, err_len) != 0)
            return -1;
        srv->n_certs = i + 1;
    }
    if (srv->signer == NULL) /* a check: no key to offer */
        return 0;
    if (tls_server_offer(srv, 0, &srv->conf, tls_add_conf) != 0) {
        tls_errf(err, err_len, "%s: cannot use certificate", cfg->certs[0].cert_file);
        return -1;
    }
    return 0;
}

static struct tls_server *tls_server_build(const struct tls_config *cfg, struct tls_signer *signer, char *err,
                                           size_t err_len)
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
    if (signer != NULL)
        tls_signer_ref(signer);
    srv->signer = signer;
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

struct tls_server *tls_server_new(const struct tls_config *cfg, struct tls_signer *signer, char *err,
                                  size_t err_len)
{
    if (signer == NULL) {
        tls_errf(err, err_len, "tls: no signer for the private keys");
        return NULL;
    }
    return tls_server_build(cfg, signer, err, err_len);
}

struct tls_server *tls_server_new_local(const struct tls_config *cfg, char *err, size_t err_len)
{
    struct tls_signer *signer = tls_signer_local(cfg, err, err_len);
    if (signer == NULL)
        return NULL;
    struct tls_server *srv = tls_server_new(cfg, signer, err, err_len);
    tls_signer_unref(signer);
    return srv;
}

int tls_server_check(const struct tls_config *cfg, char *err, size_t err_len)
{
    struct tls_server *srv = tls_server_build(cfg, NULL, err, err_len);
    tls_server_unref(srv);
    return srv ? 0 : -1;
}

void tls_server_bind_thread(struct tls_server *srv, unsigned i)
{
    if (srv != NULL)
        tls_signer_bind_thread(srv->signer, i);
}

int tls_server_keyholder_replace(struct tls_server *srv, const int *fds, unsigned n, char *err,
                                 size_t err_len)
{
    const mbedtls_pk_context *pks[TLS_MAX_CERTIFICATES];
    const char *files[TLS_MAX_CERTIFICATES];
    for (unsigned i = 0; i < srv->n_certs; i++) {
        pks[i] = &srv->certs[i].chain.pk;
        files[i] = srv->certs[i].cert_file;
    }
    return tls_signer_replace(srv->signer, fds, n, srv->n_certs, pks, files, err, err_len);
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
