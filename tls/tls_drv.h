/*
 * tls_drv.h: Rampart's PSA drivers, the entry points mbedTLS calls: the
 * transparent ones (accelerated primitives) and, at the end, the opaque
 * one for keys the key holder process holds. Internal to tls/; also compiled into mbedTLS itself, whose
 * driver wrappers (library/psa_crypto_driver_wrappers.h and _no_static.c, patched by
 * tls/mbedtls-drivers.patch) include this file, so it needs nothing but the PSA headers.
 *
 * Mechanism (why drivers and not MBEDTLS_*_ALT): with MBEDTLS_USE_PSA_CRYPTO
 * the TLS 1.2 and 1.3 record layers, ECDHE, ECDSA signatures and session
 * tickets of mbedTLS 3.6 all call PSA, so one dispatch point in PSA's driver
 * wrappers catches every use. The *_ALT hooks sit below the legacy APIs
 * instead: PSA's built-in AEAD sets a GCM key up again for every record,
 * so an ALT GCM could not keep its expanded key, and the ALT hooks are gone
 * in mbedTLS 4. The driver specification's code generator covers none of
 * the entry points used here, so the dispatch is written by hand the way
 * mbedTLS wires p256-m.
 *
 * Contract of every entry point: PSA_ERROR_NOT_SUPPORTED means "not mine",
 * and mbedTLS's built-in code runs instead. The drivers take only inputs
 * they can handle exactly and leave every malformed or unusual one (bad
 * lengths, points not on the curve, small-order X25519 points, other nonce
 * or tag sizes) to the built-in code, so an error is always the one mbedTLS
 * itself returns. The only failure they report themselves is an AEAD tag
 * mismatch (PSA_ERROR_INVALID_SIGNATURE, as mbedTLS does).
 *
 * Libraries (Debian packages): intel-ipsec-mb for AES-GCM and
 * ChaCha20-Poly1305 (its own CPU detection picks SSE/AVX/AVX2/AVX-512 code;
 * without AES-NI and PCLMULQDQ the built-in code runs), nettle for P-256
 * (ECDH, ECDSA; constant time by design), libsodium for X25519 (measured
 * faster here for the shared secret, as fast for key generation; see
 * bench/crypto_speed.c). Threads: every entry point may be called from any
 * thread at once; tls_drv_init() runs under PSA's global-data lock.
 */
#ifndef RAMPART_TLS_TLS_DRV_H
#define RAMPART_TLS_TLS_DRV_H

#include <psa/crypto.h>

/* psa_crypto_init() / mbedtls_psa_crypto_free() */
psa_status_t tls_drv_init(void);
void tls_drv_free(void);

/* The key's material is about to be wiped: forget what was derived from it. */
void tls_drv_forget_key(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                        size_t key_buffer_size);

/* AES-GCM (128, 192, 256; 12-byte nonce, 16-byte tag), ChaCha20-Poly1305. */
psa_status_t tls_drv_aead_encrypt(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                  size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *nonce,
                                  size_t nonce_length, const uint8_t *additional_data,
                                  size_t additional_data_length, const uint8_t *plaintext,
                                  size_t plaintext_length, uint8_t *ciphertext, size_t ciphertext_size,
                                  size_t *ciphertext_length);
psa_status_t tls_drv_aead_decrypt(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                  size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *nonce,
                                  size_t nonce_length, const uint8_t *additional_data,
                                  size_t additional_data_length, const uint8_t *ciphertext,
                                  size_t ciphertext_length, uint8_t *plaintext, size_t plaintext_size,
                                  size_t *plaintext_length);

/* P-256 and X25519 key pairs: generation (a random scalar), the public
 * key (fixed-base multiplication), ECDH (variable-base). */
psa_status_t tls_drv_generate_key(const psa_key_attributes_t *attributes, uint8_t *key_buffer,
                                  size_t key_buffer_size, size_t *key_buffer_length);
psa_status_t tls_drv_export_public_key(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                       size_t key_buffer_size, uint8_t *data, size_t data_size,
                                       size_t *data_length);
psa_status_t tls_drv_key_agreement(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                   size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *peer_key,
                                   size_t peer_key_length, uint8_t *shared_secret, size_t shared_secret_size,
                                   size_t *shared_secret_length);

/* ECDSA P-256, deterministic (RFC 6979) and randomized. */
psa_status_t tls_drv_sign_hash(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                               size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *hash,
                               size_t hash_length, uint8_t *signature, size_t signature_size,
                               size_t *signature_length);

/* ---- the opaque driver: keys held by the key holder (tls_signer.c) ------- */
/*
 * A key in this location holds no key material, only a reference to a key
 * of the key holder process; signing it is a request over the calling
 * thread's channel to that process. PSA's wrappers dispatch the location
 * to these entry points (tls/mbedtls-drivers.patch): the key buffer size
 * (both of PSA's ways of asking), import (the reference) and sign_hash.
 * Everything else on such a key is PSA's answer for an unknown location
 * (PSA_ERROR_INVALID_ARGUMENT): it cannot be exported, copied or used for
 * anything but signing a hash.
 */
#define TLS_DRV_KEYHOLDER_LOCATION ((psa_key_location_t)(PSA_KEY_LOCATION_VENDOR_FLAG | 0x524bu))

psa_status_t tls_drv_keyholder_key_size(const psa_key_attributes_t *attributes, size_t *key_buffer_size);
psa_status_t tls_drv_keyholder_import(const psa_key_attributes_t *attributes, const uint8_t *data,
                                      size_t data_length, uint8_t *key_buffer, size_t key_buffer_size,
                                      size_t *key_buffer_length, size_t *bits);
psa_status_t tls_drv_keyholder_sign_hash(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                         size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *hash,
                                         size_t hash_length, uint8_t *signature, size_t signature_size,
                                         size_t *signature_length);

#endif /* RAMPART_TLS_TLS_DRV_H */
