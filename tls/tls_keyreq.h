/*
 * tls_keyreq: the messages between a relay and its key holder on one
 * channel (an AF_UNIX SOCK_SEQPACKET socketpair, one message per send), as
 * pure functions: no I/O, no mbedTLS, so the unit tests and the fuzzer
 * (tests/fuzz/fuzz_keyholder.c) feed them any bytes.
 *
 *   relay -> key holder: a request, always TLS_KEYREQ_SIZE bytes
 *     SIGN    key index, algorithm, hash     answer: the signature
 *     PUBLIC  key index                      answer: the key's public half
 *                                            (DER SubjectPublicKeyInfo)
 *   key holder -> relay: an answer, a header and at most
 *     TLS_KEYREQ_DATA_MAX bytes, with the request's sequence number and a
 *     status (0, or why the request was refused).
 *
 * One request at a time per channel, answered in order. The sequence
 * number lets the relay recognise, and drop, the late answer to a request
 * it gave up waiting for, instead of taking it for the next one's.
 *
 * What the key holder checks before it signs (tls_keyreq_parse): the size,
 * the magic, the operation, that the key index names a loaded key, that
 * the algorithm is one TLS uses and fits the key's kind (ECDSA for EC
 * keys; PKCS#1 v1.5 or PSS for RSA keys), and that the hash has the
 * algorithm's length. Anything else is refused with its own status, which
 * the key holder counts.
 */
#ifndef RAMPART_TLS_TLS_KEYREQ_H
#define RAMPART_TLS_TLS_KEYREQ_H

#include <stddef.h>
#include <stdint.h>

#define TLS_KEYREQ_MAGIC    0x524b4831u /* "RKH1" */
#define TLS_KEYREQ_HASH_MAX 64          /* SHA-512 */
/* An answer's data: an RSA-4096 signature (512 bytes; PSA takes no larger
 * RSA key) or SubjectPublicKeyInfo (~550 bytes), with room. */
#define TLS_KEYREQ_DATA_MAX 1024
#define TLS_KEYREQ_KEYS_MAX 16 /* = TLS_MAX_CERTIFICATES, checked in tls_keyring.c */

enum tls_keyreq_op { TLS_KEYREQ_SIGN = 1, TLS_KEYREQ_PUBLIC = 2 };

/* The signature algorithms TLS 1.2 and 1.3 ask of a server key. ECDSA is
 * signed deterministically (RFC 6979) whichever the relay names. */
enum tls_key_alg {
    TLS_KEY_ALG_NONE = 0,
    TLS_KEY_ALG_ECDSA_SHA256,
    TLS_KEY_ALG_ECDSA_SHA384,
    TLS_KEY_ALG_ECDSA_SHA512,
    TLS_KEY_ALG_RSA_PKCS1_SHA256, /* TLS 1.2 */
    TLS_KEY_ALG_RSA_PKCS1_SHA384,
    TLS_KEY_ALG_RSA_PKCS1_SHA512,
    TLS_KEY_ALG_RSA_PSS_SHA256, /* TLS 1.3 */
    TLS_KEY_ALG_RSA_PSS_SHA384,
    TLS_KEY_ALG_RSA_PSS_SHA512,
    TLS_KEY_ALG_END
};

enum tls_key_kind { TLS_KEY_KIND_NONE = 0, TLS_KEY_KIND_EC, TLS_KEY_KIND_RSA };

/* What the key holder answers: done, or why it refused. */
enum tls_keyreq_status {
    TLS_KEYREQ_OK = 0,
    TLS_KEYREQ_BAD_SIZE,  /* not TLS_KEYREQ_SIZE bytes */
    TLS_KEYREQ_BAD_MAGIC, /* not a request of this protocol */
    TLS_KEYREQ_BAD_OP,    /* neither SIGN nor PUBLIC */
    TLS_KEYREQ_BAD_KEY,   /* no key loaded at that index */
    TLS_KEYREQ_BAD_ALG,   /* unknown algorithm, or not one for the key's kind */
    TLS_KEYREQ_BAD_HASH,  /* hash length is not the algorithm's */
    TLS_KEYREQ_FAILED,    /* well-formed, but signing (or exporting) failed */
    TLS_KEYREQ_STATUS_END
};

/* Native byte order: both ends are processes of one binary on one host. */
struct tls_keyreq {
    uint32_t magic;
    uint16_t op;  /* enum tls_keyreq_op */
    uint16_t key; /* index into the [tls] certificates */
    uint32_t seq; /* echoed in the answer */
    uint16_t alg; /* enum tls_key_alg (SIGN) */
    uint16_t hash_len;
    uint8_t hash[TLS_KEYREQ_HASH_MAX];
};
#define TLS_KEYREQ_SIZE sizeof(struct tls_keyreq)

struct tls_keyrep_header {
    uint32_t magic;
    uint32_t seq;
    uint16_t op;
    uint16_t status; /* enum tls_keyreq_status */
    uint32_t len;    /* data bytes after the header */
};
#define TLS_KEYREP_MAX (sizeof(struct tls_keyrep_header) + TLS_KEYREQ_DATA_MAX)

/* A decoded answer; data points into the received buffer. */
struct tls_keyrep {
    uint32_t seq;
    enum tls_keyreq_op op;
    enum tls_keyreq_status status;
    const uint8_t *data;
    size_t len;
};

/* The hash length an algorithm signs (0 for none), and the kind of key
 * it needs. */
size_t tls_key_alg_hash_len(enum tls_key_alg alg);
enum tls_key_kind tls_key_alg_kind(enum tls_key_alg alg);

/* Fills *out with a SIGN request. 0, or -1 when hash_len is not the
 * algorithm's. */
int tls_keyreq_sign(struct tls_keyreq *out, uint32_t seq, unsigned key, enum tls_key_alg alg,
                    const uint8_t *hash, size_t hash_len);
void tls_keyreq_public(struct tls_keyreq *out, uint32_t seq, unsigned key);

/* The key holder's check of n received bytes against its keys (kinds[i]:
 * the kind of key i, n_keys of them). TLS_KEYREQ_OK and *out filled, or
 * the reason to refuse; *seq_out is the request's sequence number when
 * the message is long enough to have one (else 0), so even a refusal is
 * answered under the right number. */
enum tls_keyreq_status tls_keyreq_parse(const void *buf, size_t n, const enum tls_key_kind *kinds,
                                        unsigned n_keys, struct tls_keyreq *out, uint32_t *seq_out);

/* Writes an answer; returns its size, or 0 when len > TLS_KEYREQ_DATA_MAX
 * or it does not fit cap. */
size_t tls_keyrep_encode(void *buf, size_t cap, uint32_t seq, enum tls_keyreq_op op,
                         enum tls_keyreq_status status, const void *data, size_t len);

/* The relay's check of an answer to request `seq`: 1 = it, in *out; 0 =
 * a well-formed answer to another (earlier) request, to be dropped; -1 =
 * malformed (why says how). */
int tls_keyrep_parse(const void *buf, size_t n, uint32_t seq, struct tls_keyrep *out, const char **why);

/* "ok", "size", "magic", "op", "key", "alg", "hash", "failed": the label
 * of rampart_keyholder_refused_total and of log lines. */
const char *tls_keyreq_status_name(enum tls_keyreq_status status);

#endif /* RAMPART_TLS_TLS_KEYREQ_H */
