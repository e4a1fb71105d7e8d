/*
 * tls_psa.h: single PSA operations, for the known-answer tests
 * (tests/unit/test_tls_psa.c), the differential fuzzer
 * (tests/fuzz/fuzz_crypto.c) and bench/crypto_speed.c. The daemon does not
 * use it.
 *
 * Every call is one psa_* call (plus the key import it needs), so it goes
 * through PSA's driver dispatch exactly as the TLS code does: with
 * tls_crypto_set_accel() on, the drivers of tls/tls_drv.h run; off,
 * mbedTLS's built-in code. Results are PSA status codes, unchanged, so a
 * test can hold the two to the same answer. Keys are PSA key ids, made
 * here with the usage and algorithms their kind allows and freed with
 * tls_psa_destroy(). Thread-safe as PSA is.
 */
#ifndef RAMPART_TLS_TLS_PSA_H
#define RAMPART_TLS_TLS_PSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PSA status codes the tests name (tls_psa.c checks they match PSA's). */
#define TLS_PSA_OK                0
#define TLS_PSA_NOT_SUPPORTED     (-134)
#define TLS_PSA_BUFFER_TOO_SMALL  (-138)
#define TLS_PSA_INVALID_ARGUMENT  (-135)
#define TLS_PSA_INVALID_SIGNATURE (-149)

#define TLS_PSA_TAG_LEN 16 /* AEAD tag of tls_psa_seal() with tag_len 0 */

enum tls_psa_kind {
    TLS_PSA_AES,         /* 16, 24 or 32 bytes; AES-GCM, any tag length */
    TLS_PSA_CHACHA20,    /* 32 bytes; ChaCha20-Poly1305 */
    TLS_PSA_P256_ECDH,   /* key pair, 32 bytes big-endian; ECDH (a key share) */
    TLS_PSA_P256_ECDSA,  /* key pair; deterministic and randomized ECDSA (a certificate key) */
    TLS_PSA_P256_PUBLIC, /* 0x04 || X || Y; ECDSA verification */
    TLS_PSA_X25519,      /* key pair, 32 bytes little-endian; ECDH */
};

enum tls_psa_hash { TLS_PSA_SHA1, TLS_PSA_SHA224, TLS_PSA_SHA256, TLS_PSA_SHA384, TLS_PSA_SHA512 };

int tls_psa_init(void); /* psa_crypto_init(), idempotent */

int tls_psa_import(enum tls_psa_kind kind, const uint8_t *key, size_t key_len, uint32_t *id);
int tls_psa_generate(enum tls_psa_kind kind, uint32_t *id);
void tls_psa_destroy(uint32_t id);
int tls_psa_export(uint32_t id, uint8_t *out, size_t out_size, size_t *out_len); /* the key itself */
int tls_psa_export_public(uint32_t id, uint8_t *out, size_t out_size, size_t *out_len);

/* AEAD with the key's algorithm; tag_len 0 = the full 16 bytes (GCM takes
 * 4-16). The output is ciphertext || tag; in and out may be the same. */
int tls_psa_seal(uint32_t id, size_t tag_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                 size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                 size_t *out_len);
int tls_psa_open(uint32_t id, size_t tag_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                 size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                 size_t *out_len);

/* psa_raw_key_agreement(PSA_ALG_ECDH) */
int tls_psa_agree(uint32_t id, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t out_size,
                  size_t *out_len);

/* ECDSA over a hash; the signature is r || s. */
int tls_psa_sign(uint32_t id, bool deterministic, enum tls_psa_hash hash, const uint8_t *digest,
                 size_t digest_len, uint8_t *sig, size_t sig_size, size_t *sig_len);
int tls_psa_verify(uint32_t id, enum tls_psa_hash hash, const uint8_t *digest, size_t digest_len,
                   const uint8_t *sig, size_t sig_len);

int tls_psa_hash(enum tls_psa_hash hash, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                 size_t *out_len);

#endif /* RAMPART_TLS_TLS_PSA_H */
