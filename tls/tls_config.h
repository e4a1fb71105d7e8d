/*
 * tls_config: what tls/ needs to build a server context, as plain data.
 * The [tls] section of rampart.ini is read by gateway/config/ into this
 * struct (embedded in struct config_tls); tls/ never sees the rest of the
 * configuration, so it depends on nothing above it.
 */
#ifndef RAMPART_TLS_TLS_CONFIG_H
#define RAMPART_TLS_TLS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define TLS_MAX_CERTIFICATES     16  /* certificate/key pairs for SNI */
#define TLS_NAME_MAX             64  /* server names */
#define TLS_PATH_MAX             256 /* certificate and key file paths */
#define TLS_TICKET_KEY_FILES_MAX 2   /* current (issues tickets) and previous (still accepted) */

enum tls_version_min { TLS_MIN_1_2, TLS_MIN_1_3 };
enum tls_cipher_profile {
    TLS_CIPHERS_DEFAULT, /* AES-128/256-GCM and ChaCha20-Poly1305 */
    TLS_CIPHERS_AES_GCM, /* AES-GCM only (hardware-accelerated, FIPS-style) */
};

/* Application protocols offered by ALPN, in the server's order of
 * preference (RFC 7301: the server picks). */
enum tls_alpn { TLS_ALPN_H2, TLS_ALPN_HTTP11 };
#define TLS_ALPN_MAX 2

struct tls_cert_config {
    char server_name[TLS_NAME_MAX]; /* "www.foobar.com" or "*.foobar.com" */
    char cert_file[TLS_PATH_MAX];   /* PEM chain, leaf first */
    char key_file[TLS_PATH_MAX];    /* PEM private key, mode 0600/0400 */
};

struct tls_config {
    struct tls_cert_config certs[TLS_MAX_CERTIFICATES]; /* [0] is the default */
    unsigned n_certs;
    enum tls_version_min min_version;
    enum tls_cipher_profile ciphers;
    bool tickets;                /* session tickets (TLS 1.3: resumption with a fresh ECDHE) */
    bool tickets_tls12;          /* ...for TLS 1.2 too, which resume without one */
    uint64_t ticket_lifetime_ms; /* ticket key rotation period */
    /* [tls] ticket_key_file: keys from files (nginx's format), the first
     * issuing tickets, the second accepted only; none: keys made by the
     * parent (and shared with the peer gateway) */
    char ticket_key_files[TLS_TICKET_KEY_FILES_MAX][TLS_PATH_MAX];
    unsigned n_ticket_key_files;
    enum tls_alpn alpn[TLS_ALPN_MAX]; /* [tls] alpn, preferred first */
    unsigned n_alpn;                  /* >= 1 */
};

#endif /* RAMPART_TLS_TLS_CONFIG_H */
