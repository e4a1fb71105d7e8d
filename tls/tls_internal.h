/*
 * tls_internal.h: what tls_server.c, tls_conn.c and tls_idle.c share.
 * Nothing outside tls/ includes this file.
 */
#ifndef RAMPART_TLS_TLS_INTERNAL_H
#define RAMPART_TLS_TLS_INTERNAL_H

#include "tls/tls_mbedtls.h"
#include "tls/tls.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TLS_SNI_MAX    256 /* DNS names are at most 253 characters */
#define TLS_CLIENT_MAX 64  /* "[ipv6]:port" text for log lines */
#define TLS_ERROR_MAX  160 /* tls_conn_error() text */

/* One certificate chain with its private key, and the name it answers to.
 * An EC key lives in PSA (key_id) and key is an opaque handle on it: each
 * signature is one psa_sign_hash() into the driver, where a parsed key
 * would be imported into PSA again for every handshake. RSA keys stay
 * parsed (key_id 0). */
struct tls_cert {
    char server_name[TLS_NAME_MAX];
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_svc_key_id_t key_id;
};

struct tls_server {
    atomic_uint refs;
    mbedtls_ssl_config conf;
    const char *alpn[TLS_ALPN_MAX + 1];          /* protocol names for mbedTLS, NULL-terminated */
    struct tls_cert certs[TLS_MAX_CERTIFICATES]; /* [0] is the default */
    unsigned n_certs;
    const char *names[TLS_MAX_CERTIFICATES]; /* certs[i].server_name */
    struct tls_tickets *tickets;             /* NULL: tickets off */
    bool tickets_tls12;                      /* TLS 1.2 sessions get (and use) tickets too */
};

/* What the bio reads from the socket at once: a whole record and usually
 * the next one with it, where mbedTLS alone asks for the 5-byte header and
 * then the rest, two recv() per record. Allocated for a read and freed as
 * soon as mbedTLS has taken every byte: an idle connection holds none. */
#define TLS_READAHEAD_LEN 16384

struct tls_conn {
    mbedtls_ssl_context ssl;
    struct tls_server *srv;
    int fd;
    int sys_errno; /* errno of the last failed send/recv */
    bool established;
    bool full_handshake; /* the certificate was sent: not a resumption */
    bool shrunk;         /* record buffers released by tls_conn_idle() */
    size_t in_full_len;  /* buffer sizes to restore after idling */
    size_t out_full_len;
    unsigned char *ra;         /* read-ahead (tls_conn.c), NULL when empty */
    uint32_t ra_start, ra_end; /* its unread bytes */
    char sni[TLS_SNI_MAX];
    char client[TLS_CLIENT_MAX];
    char error[TLS_ERROR_MAX];
};

/* tls_rng.c: the process-wide DRBG (thread-safe: mbedTLS locks it). */
int tls_rng(void *ctx, unsigned char *out, size_t len);
void *tls_rng_ctx(void);

/* tls_tickets.c: the process's ticket keys for a lifetime (a new reference,
 * or NULL when out of memory), and how a config uses them. */
#define TLS_TICKET_LIFETIME_MAX_S (7u * 24 * 3600) /* TLS 1.3 maximum (RFC 8446 4.6.1) */
struct tls_tickets;
struct tls_tickets *tls_tickets_get(uint32_t lifetime_s);
void tls_tickets_unref(struct tls_tickets *tickets);
/* Installs srv->tickets on srv->conf; TLS 1.2 sessions are refused
 * tickets (an empty one is sent, RFC 5077 3.3) unless srv->tickets_tls12. */
void tls_tickets_attach(struct tls_server *srv);

/* tls_idle.c: give the record buffers back / take them again. */
void tls_idle_shrink(struct tls_conn *conn);
int tls_idle_restore(struct tls_conn *conn);

/* tls_stats.c: sort an mbedTLS error into a failure reason and a text. */
enum tls_fail_reason tls_classify_error(const struct tls_conn *conn, int ret, char *text, size_t text_len);

#endif /* RAMPART_TLS_TLS_INTERNAL_H */
