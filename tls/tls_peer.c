/*
 * tls_peer.c: TLS 1.3 between the gateways of a pair, both ends, with a
 * pre-shared key (psk_dhe_ke) or a pair certificate. See tls_peer.h.
 */
#include "tls/tls_internal.h"
#include "tls/tls_peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TLS_PEER_KEY_FILE_MAX (64 * 1024) /* a PEM private key */

/* A socket error that is not EAGAIN, as tls_conn.c reports them. */
#define TLS_PEER_ERR_SOCKET (-0x004E)
#define TLS_PEER_ERR_RESET  (-0x0050)

struct tls_peer_ctx {
    enum tls_peer_auth auth;
    mbedtls_ssl_config conf[2]; /* [0] accepting (server), [1] dialing (client) */
    mbedtls_x509_crt own, ca;
    mbedtls_pk_context key;
    uint8_t psk[TLS_PEER_PSK_MAX];
    size_t psk_len;
};

struct tls_peer_conn {
    mbedtls_ssl_context ssl;
    int fd;
    int sys_errno;
    bool established;
    enum tls_peer_fail fail;
    char error[TLS_ERROR_MAX];
};

const char *tls_peer_fail_name(enum tls_peer_fail why)
{
    static const char *const names[TLS_PEER_FAIL_COUNT] = {
        [TLS_PEER_FAIL_AUTH] = "auth",     [TLS_PEER_FAIL_PROTOCOL] = "protocol",
        [TLS_PEER_FAIL_CLOSED] = "closed", [TLS_PEER_FAIL_TIMEOUT] = "timeout",
        [TLS_PEER_FAIL_OTHER] = "other",
    };
    return (unsigned)why < TLS_PEER_FAIL_COUNT ? names[why] : "unknown";
}

/* ---- the key ------------------------------------------------------------------------------- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tls_peer_psk_parse(const char *text, size_t n, uint8_t out[TLS_PEER_PSK_MAX], size_t *len, char *err,
                       size_t err_len)
{
    size_t digits = 0;
    while (digits < n && hex_digit(text[digits]) >= 0)
        digits++;
    for (size_t i = digits; i < n; i++)
        if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ' && text[i] != '\t') {
            snprintf(err, err_len, "byte %zu is not a hex digit (the key is hex text: openssl rand -hex 32)",
                     i + 1);
            return -1;
        }
    if (digits % 2 || digits < 2 * TLS_PEER_PSK_MIN || digits > 2 * TLS_PEER_PSK_MAX) {
        snprintf(err, err_len, "%zu hex digits: a key is %d-%d bytes, %d-%d even digits", digits,
                 TLS_PEER_PSK_MIN, TLS_PEER_PSK_MAX, 2 * TLS_PEER_PSK_MIN, 2 * TLS_PEER_PSK_MAX);
        return -1;
    }
    for (size_t i = 0; i < digits / 2; i++)
        out[i] = (uint8_t)(hex_digit(text[2 * i]) << 4 | hex_digit(text[2 * i + 1]));
    *len = digits / 2;
    return 0;
}

static int read_psk(struct tls_peer_ctx *ctx, const char *path, char *err, size_t err_len)
{
    char text[TLS_PEER_PSK_FILE_MAX], why[TLS_ERROR_MAX];
    size_t n = 0;
    if (tls_secret_file_read(path, (uint8_t *)text, sizeof text, &n, err, err_len) < 0)
        return -1;
    int rc = tls_peer_psk_parse(text, n, ctx->psk, &ctx->psk_len, why, sizeof why);
    explicit_bzero(text, sizeof text);
    if (rc < 0)
        snprintf(err, err_len, "%s: %s", path, why);
    return rc;
}

/* The pair certificate's key, read with the secret-file checks (a NUL
 * after the text: mbedTLS's PEM parser wants one). */
static int read_key(struct tls_peer_ctx *ctx, const char *path, char *err, size_t err_len)
{
    uint8_t *buf = malloc(TLS_PEER_KEY_FILE_MAX + 1);
    size_t n = 0;
    int rc = -1;
    if (!buf) {
        snprintf(err, err_len, "%s: out of memory", path);
        return -1;
    }
    if (tls_secret_file_read(path, buf, TLS_PEER_KEY_FILE_MAX, &n, err, err_len) == 0) {
        buf[n] = '\0';
        rc = mbedtls_pk_parse_key(&ctx->key, buf, n + 1, NULL, 0, tls_rng, tls_rng_ctx());
        if (rc != 0)
            snprintf(err, err_len, "%s: not a private key (PEM or DER) mbedTLS can read", path);
    }
    explicit_bzero(buf, TLS_PEER_KEY_FILE_MAX + 1);
    free(buf);
    return rc ? -1 : 0;
}

static int read_certs(struct tls_peer_ctx *ctx, const struct tls_peer_config *cfg, char *err, size_t err_len)
{
    if (mbedtls_x509_crt_parse_file(&ctx->own, cfg->cert_file) != 0) {
        snprintf(err, err_len, "%s: no certificate (PEM) mbedTLS can read", cfg->cert_file);
        return -1;
    }
    if (mbedtls_x509_crt_parse_file(&ctx->ca, cfg->ca_file) != 0) {
        snprintf(err, err_len, "%s: no CA certificate (PEM) mbedTLS can read", cfg->ca_file);
        return -1;
    }
    if (read_key(ctx, cfg->key_file, err, err_len) < 0)
        return -1;
    if (mbedtls_pk_check_pair(&ctx->own.pk, &ctx->key, tls_rng, tls_rng_ctx()) != 0) {
        snprintf(err, err_len, "%s: the key does not belong to the certificate %s", cfg->key_file,
                 cfg->cert_file);
        return -1;
    }
    return 0;
}

/* ---- both sides' configuration ------------------------------------------------------------- */

static int setup_conf(struct tls_peer_ctx *ctx, mbedtls_ssl_config *c, int endpoint)
{
    if (mbedtls_ssl_config_defaults(c, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) !=
        0)
        return -1;
    mbedtls_ssl_conf_min_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_3);
    mbedtls_ssl_conf_max_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_3);
    mbedtls_ssl_conf_rng(c, tls_rng, tls_rng_ctx());
    if (endpoint == MBEDTLS_SSL_IS_CLIENT)
        mbedtls_ssl_conf_session_tickets(c, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    if (ctx->auth == TLS_PEER_AUTH_PSK) {
        /* psk_dhe_ke alone: a PSK with an ECDHE exchange, never psk_ke */
        mbedtls_ssl_conf_tls13_key_exchange_modes(c, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
        return mbedtls_ssl_conf_psk(c, ctx->psk, ctx->psk_len, (const unsigned char *)TLS_PEER_PSK_IDENTITY,
                                    sizeof TLS_PEER_PSK_IDENTITY - 1) == 0
                   ? 0
                   : -1;
    }
    mbedtls_ssl_conf_tls13_key_exchange_modes(c, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL);
    mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_REQUIRED); /* both ways */
    mbedtls_ssl_conf_ca_chain(c, &ctx->ca, NULL);
    return mbedtls_ssl_conf_own_cert(c, &ctx->own, &ctx->key) == 0 ? 0 : -1;
}

struct tls_peer_ctx *tls_peer_ctx_new(const struct tls_peer_config *cfg, char *err, size_t err_len)
{
    struct tls_peer_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx || tls_global_init() < 0) {
        snprintf(err, err_len, "peer channel: TLS initialisation failed");
        free(ctx);
        return NULL;
    }
    ctx->auth = cfg->auth;
    for (int i = 0; i < 2; i++)
        mbedtls_ssl_config_init(&ctx->conf[i]);
    mbedtls_x509_crt_init(&ctx->own);
    mbedtls_x509_crt_init(&ctx->ca);
    mbedtls_pk_init(&ctx->key);
    int rc = cfg->auth == TLS_PEER_AUTH_PSK ? read_psk(ctx, cfg->psk_file, err, err_len)
                                            : read_certs(ctx, cfg, err, err_len);
    if (rc == 0 && (setup_conf(ctx, &ctx->conf[0], MBEDTLS_SSL_IS_SERVER) < 0 ||
                    setup_conf(ctx, &ctx->conf[1], MBEDTLS_SSL_IS_CLIENT) < 0)) {
        snprintf(err, err_len, "peer channel: TLS set-up failed");
        rc = -1;
    }
    if (rc < 0) {
        tls_peer_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

void tls_peer_ctx_free(struct tls_peer_ctx *ctx)
{
    if (!ctx)
        return;
    for (int i = 0; i < 2; i++)
        mbedtls_ssl_config_free(&ctx->conf[i]);
    mbedtls_x509_crt_free(&ctx->own);
    mbedtls_x509_crt_free(&ctx->ca);
    mbedtls_pk_free(&ctx->key);
    explicit_bzero(ctx->psk, sizeof ctx->psk);
    free(ctx);
}

/* ---- connections ----------------------------------------------------------------------------- */

static int bio_error(struct tls_peer_conn *c, int want)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return want;
    c->sys_errno = errno;
    return errno == ECONNRESET || errno == EPIPE ? TLS_PEER_ERR_RESET : TLS_PEER_ERR_SOCKET;
}

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
    struct tls_peer_conn *c = arg;
    ssize_t n;
    do
        n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n >= 0 ? (int)n : bio_error(c, MBEDTLS_ERR_SSL_WANT_WRITE);
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
    struct tls_peer_conn *c = arg;
    ssize_t n;
    do
        n = recv(c->fd, buf, len, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return MBEDTLS_ERR_SSL_CONN_EOF;
    return n > 0 ? (int)n : bio_error(c, MBEDTLS_ERR_SSL_WANT_READ);
}

struct tls_peer_conn *tls_peer_conn_new(struct tls_peer_ctx *ctx, int fd, bool dialer)
{
    struct tls_peer_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    mbedtls_ssl_init(&c->ssl);
    /* a dialer in certificate mode checks the chain, not a name: the CA is
     * the pair's own (NULL says so to mbedTLS, which otherwise refuses) */
    if (mbedtls_ssl_setup(&c->ssl, &ctx->conf[dialer ? 1 : 0]) != 0 ||
        (dialer && mbedtls_ssl_set_hostname(&c->ssl, NULL) != 0)) {
        mbedtls_ssl_free(&c->ssl);
        free(c);
        return NULL;
    }
    c->fd = fd;
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    return c;
}

void tls_peer_conn_free(struct tls_peer_conn *c)
{
    if (!c)
        return;
    mbedtls_ssl_free(&c->ssl);
    free(c);
}

/* Alerts that say "you are not who I accept". */
static bool auth_alert(unsigned char a)
{
    switch (a) {
    case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
    case MBEDTLS_SSL_ALERT_MSG_BAD_CERT:
    case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN:
    case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA:
    case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED:
    case MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR:
    case MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED:
    case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_PSK_IDENTITY: return true;
    default: return false;
    }
}

static enum tls_peer_fail classify(struct tls_peer_conn *c, int ret)
{
    switch (ret) {
    case MBEDTLS_ERR_SSL_CONN_EOF:
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
    case TLS_PEER_ERR_RESET: return TLS_PEER_FAIL_CLOSED;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: {
        /* mbedTLS keeps the alert record it read in in_msg: [level, description] */
        const unsigned char *msg = c->ssl.MBEDTLS_PRIVATE(in_msg);
        return msg && auth_alert(msg[1]) ? TLS_PEER_FAIL_AUTH : TLS_PEER_FAIL_PROTOCOL;
    }
    case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
    case MBEDTLS_ERR_SSL_BAD_CERTIFICATE:
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
    case MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY:
    case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE: return TLS_PEER_FAIL_AUTH;
    case TLS_PEER_ERR_SOCKET: return TLS_PEER_FAIL_OTHER;
    default: return TLS_PEER_FAIL_PROTOCOL;
    }
}

static int result(struct tls_peer_conn *c, int ret)
{
    if (ret == MBEDTLS_ERR_SSL_WANT_READ)
        return TLS_IO_WANT_READ;
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
        return TLS_IO_WANT_WRITE;
    c->fail = classify(c, ret);
    char text[TLS_ERROR_MAX - 16];
    mbedtls_strerror(ret, text, sizeof text);
    if (c->sys_errno)
        snprintf(c->error, sizeof c->error, "%s", strerror(c->sys_errno));
    else
        snprintf(c->error, sizeof c->error, "%s (-0x%04x)", text, (unsigned)-ret);
    if (c->established && c->fail == TLS_PEER_FAIL_CLOSED)
        return TLS_IO_CLOSED;
    return TLS_IO_ERROR;
}

int tls_peer_handshake(struct tls_peer_conn *c)
{
    if (c->established)
        return TLS_IO_DONE;
    int ret = mbedtls_ssl_handshake(&c->ssl);
    if (ret != 0)
        return result(c, ret);
    c->established = true;
    return TLS_IO_DONE;
}

ssize_t tls_peer_read(struct tls_peer_conn *c, void *buf, size_t len)
{
    int ret = mbedtls_ssl_read(&c->ssl, buf, len);
    if (ret > 0)
        return ret;
    return result(c, ret == 0 ? MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY : ret);
}

ssize_t tls_peer_write(struct tls_peer_conn *c, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    int ret = mbedtls_ssl_write(&c->ssl, buf, len);
    return ret > 0 ? ret : result(c, ret);
}

size_t tls_peer_pending(const struct tls_peer_conn *c)
{
    return mbedtls_ssl_get_bytes_avail(&c->ssl);
}

void tls_peer_shutdown(struct tls_peer_conn *c)
{
    if (c->established)
        (void)mbedtls_ssl_close_notify(&c->ssl);
}

enum tls_peer_fail tls_peer_conn_failure(const struct tls_peer_conn *c)
{
    return c->fail;
}

const char *tls_peer_conn_error(const struct tls_peer_conn *c)
{
    return c->error;
}
