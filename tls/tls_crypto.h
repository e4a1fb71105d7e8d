/*
 * tls_crypto.h: which implementation runs each primitive of TLS, and how
 * often the accelerated one ran.
 *
 * mbedTLS stays the TLS stack; its primitives run in Debian libraries made
 * for them, through PSA transparent drivers (tls/tls_drv.h): AES-GCM and
 * ChaCha20-Poly1305 in intel-ipsec-mb, P-256 ECDSA and ECDH in nettle,
 * X25519 in libsodium. CPU features are detected once, at the first call
 * here or at psa_crypto_init(); a primitive whose library cannot run on
 * this CPU runs in mbedTLS's built-in code, and tls_crypto_impl() says so.
 *
 * Threads: all functions may be called from any thread. The counters are
 * per thread and summed on read, so counting costs no shared cache line.
 * No mbedTLS type appears here; the daemon publishes tls_crypto_impl() on
 * /metrics as rampart_crypto_impl{primitive,impl}.
 */
#ifndef RAMPART_TLS_TLS_CRYPTO_H
#define RAMPART_TLS_TLS_CRYPTO_H

#include <stdbool.h>
#include <stdint.h>

enum tls_crypto_prim {
    TLS_CRYPTO_AES_GCM,           /* records of the AES-GCM suites, tickets */
    TLS_CRYPTO_CHACHA20_POLY1305, /* records of the ChaCha20 suites */
    TLS_CRYPTO_ECDSA_P256,        /* CertificateVerify / ServerKeyExchange */
    TLS_CRYPTO_ECDH_P256,         /* secp256r1 key shares */
    TLS_CRYPTO_X25519,            /* x25519 key shares */
    TLS_CRYPTO_PRIM_COUNT
};

/* What the accelerated code did, one counter each. */
enum tls_crypto_op {
    TLS_CRYPTO_OP_GCM_SEAL,
    TLS_CRYPTO_OP_GCM_OPEN,
    TLS_CRYPTO_OP_CHACHAPOLY_SEAL,
    TLS_CRYPTO_OP_CHACHAPOLY_OPEN,
    TLS_CRYPTO_OP_ECDSA_P256_SIGN,
    TLS_CRYPTO_OP_P256_KEYGEN,
    TLS_CRYPTO_OP_P256_PUBLIC, /* fixed-base multiplication */
    TLS_CRYPTO_OP_P256_AGREE,  /* variable-base multiplication */
    TLS_CRYPTO_OP_X25519_KEYGEN,
    TLS_CRYPTO_OP_X25519_PUBLIC,
    TLS_CRYPTO_OP_X25519_AGREE,
    TLS_CRYPTO_OP_COUNT
};

/* "aes-gcm", "chacha20-poly1305", "ecdsa-p256", "ecdh-p256", "x25519";
 * NULL for an unknown primitive. */
const char *tls_crypto_prim_name(enum tls_crypto_prim prim);

/* "ipsec-mb-avx2" (-sse, -avx, -avx512: the code intel-ipsec-mb picked for
 * this CPU), "nettle", "libsodium", or "mbedtls" (the built-in code). */
const char *tls_crypto_impl(enum tls_crypto_prim prim);

/* Operations the accelerated code completed since the process started,
 * all threads (a failed tag check counts: the work was done). */
uint64_t tls_crypto_calls(enum tls_crypto_op op);

/* For tests, the differential fuzzer and the benchmark: false sends the
 * primitive to mbedTLS's built-in code (true cannot enable a primitive
 * this CPU lacks). Takes effect for the next operation. */
void tls_crypto_set_accel(enum tls_crypto_prim prim, bool on);

#endif /* RAMPART_TLS_TLS_CRYPTO_H */
