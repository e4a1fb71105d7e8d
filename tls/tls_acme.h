/*
 * tls_acme: the cryptography of ACME (RFC 8555), in tls/ because only tls/
 * touches mbedTLS:
 *
 *   - keys: the account key (ECDSA P-256) and a certificate's key pair
 *     (P-256, or RSA-2048), made here, kept as PEM text where they travel
 *     (state files, IPC, the peer channel) and parsed back;
 *   - JWS: the account key's JWK coordinates and its RFC 7638 thumbprint,
 *     and ES256 signatures (RFC 7518 section 3.4: r || s, 64 bytes) over
 *     what gateway/acme/ assembles;
 *   - the certificate signing request (mbedtls_x509write_csr: CN and SANs
 *     of the certificate's names, SHA-256);
 *   - self-signed certificates: the TLS-ALPN-01 challenge certificate (RFC
 *     8737: the name as its only SAN, the critical acmeIdentifier extension
 *     holding SHA-256 of the key authorization) and the placeholder a name
 *     is served with until its first certificate comes;
 *   - checking what an ACME server (through the ACME process) or the peer
 *     gateway hands over: the chain parses, the key is the leaf's, the
 *     leaf names every configured name, it is valid now, and it chains to
 *     the configured issuer when one is given.
 *
 * Everything is reentrant (the random generator is tls/'s, locked by
 * mbedTLS); a key belongs to its caller, who frees it (wiped).
 * Functions return 0, or -1 with a reason in err.
 */
#ifndef RAMPART_TLS_TLS_ACME_H
#define RAMPART_TLS_TLS_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_ACME_KEY_PEM_MAX    4096  /* a private key as PEM (RSA-2048: ~1.7 KB) */
#define TLS_ACME_CSR_MAX        2048  /* a CSR, DER (RSA-2048 and 8 names: ~1.1 KB) */
#define TLS_ACME_CERT_PEM_MAX   16384 /* a certificate chain as PEM (Let's Encrypt's: ~3.7 KB) */
#define TLS_ACME_SHA256_LEN     32
#define TLS_ACME_ES256_LEN      64 /* r || s */
#define TLS_ACME_B64_COORD_MAX  44 /* base64url of a 32-byte coordinate (43), NUL */
#define TLS_ACME_THUMBPRINT_MAX 44 /* base64url of SHA-256 (43), NUL */
#define TLS_ACME_NAMES_MAX      8  /* names of one certificate */
#define TLS_ACME_NAME_MAX       254
#define TLS_ACME_SERIAL_MAX     32 /* RFC 5280: at most 20 octets; room for a leading zero and more */
#define TLS_ACME_KEYID_MAX      64 /* an authority key identifier (SHA-1: 20 bytes, SHA-256: 32) */
#define TLS_ACME_RSA_BITS       2048

enum tls_acme_key_type { TLS_ACME_KEY_ECDSA = 0, TLS_ACME_KEY_RSA = 1 };
const char *tls_acme_key_type_name(enum tls_acme_key_type t); /* "ecdsa", "rsa" */

struct tls_acme_key;

int tls_acme_key_generate(enum tls_acme_key_type type, struct tls_acme_key **out, char *err, size_t err_len);
/* PEM text (len bytes, NUL or not) of an unencrypted key. */
int tls_acme_key_parse(const char *pem, size_t len, struct tls_acme_key **out, char *err, size_t err_len);
/* Writes the key as PEM (NUL-terminated); its length, or 0 when it does
 * not fit. */
size_t tls_acme_key_pem(const struct tls_acme_key *k, char *out, size_t cap);
enum tls_acme_key_type tls_acme_key_kind(const struct tls_acme_key *k);
void tls_acme_key_free(struct tls_acme_key *k); /* wipes; NULL is fine */

/* JWS with a P-256 key (the account key). x and y: base64url of the
 * public point's coordinates, as the JWK carries them. */
int tls_acme_jwk_coords(const struct tls_acme_key *k, char x[TLS_ACME_B64_COORD_MAX],
                        char y[TLS_ACME_B64_COORD_MAX]);
/* RFC 7638: base64url(SHA-256('{"crv":"P-256","kty":"EC","x":X,"y":Y}')). */
int tls_acme_jwk_thumbprint(const struct tls_acme_key *k, char out[TLS_ACME_THUMBPRINT_MAX]);
/* ES256 over msg (the JWS signing input): r || s. */
int tls_acme_es256(const struct tls_acme_key *k, const void *msg, size_t len,
                   uint8_t sig[TLS_ACME_ES256_LEN]);

void tls_acme_sha256(const void *data, size_t len, uint8_t out[TLS_ACME_SHA256_LEN]);

/* A CSR for names[0..n) (names[0] the CN too), signed by k, DER into
 * der[0..cap); *len its size. */
int tls_acme_csr(const struct tls_acme_key *k, const char *const *names, unsigned n, uint8_t *der, size_t cap,
                 size_t *len, char *err, size_t err_len);

/* A self-signed certificate of k for names[0..n), valid from not_before
 * to not_after (Unix times). acme_id: the 32-byte digest of a TLS-ALPN-01
 * key authorization (the critical acmeIdentifier extension, RFC 8737
 * section 3), or NULL (a placeholder: O=TLS_ACME_PLACEHOLDER_ORG). As DER,
 * or PEM (NUL-terminated) when pem. */
#define TLS_ACME_PLACEHOLDER_ORG "Rampart placeholder (no ACME certificate yet)"
int tls_acme_self_signed(const struct tls_acme_key *k, const char *const *names, unsigned n,
                         int64_t not_before, int64_t not_after, const uint8_t *acme_id, bool pem,
                         uint8_t *out, size_t cap, size_t *len, char *err, size_t err_len);

/* What the parent and the ACME process need of a leaf certificate. */
struct tls_acme_cert_info {
    int64_t not_before_s, not_after_s; /* Unix times */
    uint8_t serial[TLS_ACME_SERIAL_MAX];
    size_t serial_len; /* the INTEGER's content octets, as ARI names it */
    uint8_t keyid[TLS_ACME_KEYID_MAX];
    size_t keyid_len;                         /* authority key identifier; 0 when absent */
    uint8_t fingerprint[TLS_ACME_SHA256_LEN]; /* SHA-256 of the leaf's DER */
    bool placeholder;                         /* made by tls_acme_self_signed for a name */
    enum tls_acme_key_type key_type;
};

/* The leaf (first certificate) of a PEM chain. */
int tls_acme_cert_info(const char *chain, size_t len, struct tls_acme_cert_info *out, char *err,
                       size_t err_len);

/* What may be served for names[0..n): the chain parses (leaf first, at most
 * TLS_ACME_CERT_PEM_MAX), key is the leaf's key of kind `type`, the leaf's
 * subjectAltName holds every name, `now` is within its validity, and, with
 * issuer_file, the chain verifies to a certificate of that file. *info
 * filled on success. */
int tls_acme_cert_check(const char *chain, size_t chain_len, const char *key, size_t key_len,
                        enum tls_acme_key_type type, const char *const *names, unsigned n,
                        const char *issuer_file, int64_t now, struct tls_acme_cert_info *info, char *err,
                        size_t err_len);

#endif /* RAMPART_TLS_TLS_ACME_H */
