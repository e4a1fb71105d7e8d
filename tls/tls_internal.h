/*
 * tls_internal.h: what tls_server.c, tls_conn.c and tls_idle.c share.
 * Nothing outside tls/ includes this file.
 */
#ifndef RAMPART_TLS_TLS_INTERNAL_H
#define RAMPART_TLS_TLS_INTERNAL_H

#include "tls/tls_mbedtls.h"
#include "tls/tls.h"
#include "tls/tls_drv.h"
#include "tls/tls_hello.h"
#include "tls/tls_keyreq.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TLS_SNI_MAX    256 /* DNS names are at most 253 characters */
#define TLS_CLIENT_MAX 64  /* "[ipv6]:port" text for log lines */
#define TLS_ERROR_MAX  160 /* tls_conn_error() text */

/* One certificate chain with its private key, and the name it answers to.
 * The key is always an opaque handle on a PSA key (key_id), each signature
 * one psa_sign_hash(): in the key holder's location (tls_signer.c: the
 * relay holds no key material), or, with an in-process signer, the
 * tls_keyring's own PSA key (not owned here). */
struct tls_cert {
    char server_name[TLS_NAME_MAX];
    char cert_file[TLS_PATH_MAX]; /* for messages */
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_svc_key_id_t key_id;
    bool key_owned; /* destroy key_id with the server */
};

struct tls_server {
    atomic_uint refs;
    mbedtls_ssl_config conf;
    const char *alpn[TLS_ALPN_MAX + 1];          /* protocol names for mbedTLS, NULL-terminated */
    struct tls_cert certs[TLS_MAX_CERTIFICATES]; /* [0] is the default */
    unsigned n_certs;
    const char *names[TLS_MAX_CERTIFICATES]; /* certs[i].server_name */
    struct tls_signer *signer;               /* a reference; NULL: a check without keys */
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
    struct tls_hello hello;    /* the first flight's pre-reader (tls_hello.h) */
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
size_t tls_idle_shrink(struct tls_conn *conn); /* bytes given back */
int tls_idle_restore(struct tls_conn *conn);

/* tls_keyring.c: what the key holder's side and the relay's share. The
 * PSA policy of a certificate key (usage, algorithms) for its kind; the
 * kind of a key; its public half, DER SubjectPublicKeyInfo, as both ends
 * compare it; the protocol's algorithm names <-> PSA's; key i of an
 * in-process keyring. */
void tls_key_policy(psa_key_attributes_t *attr, enum tls_key_kind kind);
enum tls_key_kind tls_pk_kind(const mbedtls_pk_context *pk);
int tls_pk_spki(const mbedtls_pk_context *pk, uint8_t *out, size_t size, size_t *len);
psa_algorithm_t tls_key_alg_psa(enum tls_key_alg alg);
enum tls_key_alg tls_key_alg_from_psa(psa_algorithm_t alg);
struct tls_keyring;
mbedtls_svc_key_id_t tls_keyring_key_id(const struct tls_keyring *kr, unsigned i);

/* tls_signer.c: the PSA key certificate i signs with (an opaque key in the
 * key holder's location, proved to match cert_pk first, owned by the
 * caller; or the in-process keyring's, not owned). 0, or -1 and why. */
int tls_signer_key(struct tls_signer *s, unsigned i, const mbedtls_pk_context *cert_pk, const char *cert_file,
                   mbedtls_svc_key_id_t *id, bool *owned, char *err, size_t err_len);
/* New channels for a key holder signer, checked against the n_keys
 * certificates over fds[0], then left for each thread (see tls.h). */
int tls_signer_replace(struct tls_signer *s, const int *fds, unsigned n, unsigned n_keys,
                       const mbedtls_pk_context *const *cert_pks, const char *const *cert_files, char *err,
                       size_t err_len);
void tls_signer_bind_thread(struct tls_signer *s, unsigned i);
/* Whether this thread's last signature failed at the key holder: once
 * (then cleared), with a text for the handshake's error line. */
bool tls_signer_take_failure(char *text, size_t text_len);
void tls_signer_clear_failure(void);

/* tls_stats.c: sort an mbedTLS error into a failure reason and a text. */
enum tls_fail_reason tls_classify_error(const struct tls_conn *conn, int ret, char *text, size_t text_len);

#endif /* RAMPART_TLS_TLS_INTERNAL_H */
