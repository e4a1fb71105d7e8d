/*
 * tls_drv_internal.h: what the PSA drivers (tls_drv_*.c) and tls_crypto.c
 * share. Nothing outside tls/ includes this file.
 *
 * tls_crypto.c owns detection (once per process), the on/off switches and
 * the counters; tls_drv_aead.c, tls_drv_p256.c and tls_drv_x25519.c do the
 * work, tls_drv_ecc.c sends each ECC entry point to its curve, tls_drv.c
 * runs the drivers' life cycle. Calls go one way: tls_drv*.c call
 * tls_crypto.c, never the reverse (but for nettle's one-time set-up).
 */
#ifndef RAMPART_TLS_TLS_DRV_INTERNAL_H
#define RAMPART_TLS_TLS_DRV_INTERNAL_H

#include "tls/tls_mbedtls.h"
#include "tls/tls_crypto.h"
#include "tls/tls_drv.h"

#include <stdbool.h>

struct IMB_MGR;

/* tls_crypto.c. Detection runs on the first call of any of these. */
bool tls_crypto_on(enum tls_crypto_prim prim); /* detected and not switched off */
void tls_crypto_count(enum tls_crypto_op op);
const struct IMB_MGR *tls_crypto_imb(void); /* read-only once detected; NULL: none */
void tls_crypto_detect(void);

/* tls_drv_aead.c: wipe every cached expanded key (PSA shutdown). */
void tls_drv_aead_forget_all(void);
/* ... and free the cache slots after fork(): no other thread survives. */
void tls_drv_aead_after_fork(void);

/* tls_drv_p256.c (nettle) and tls_drv_x25519.c (libsodium): the key is a
 * key pair of their curve, checked by tls_drv_ecc.c; same contract as the
 * entry points (PSA_ERROR_NOT_SUPPORTED: let mbedTLS decide). */
psa_status_t tls_drv_p256_generate(uint8_t *key, size_t key_size, size_t *key_length);
psa_status_t tls_drv_p256_public(const uint8_t *key, size_t key_len, uint8_t *out, size_t out_size,
                                 size_t *out_len);
psa_status_t tls_drv_p256_agree(const uint8_t *key, size_t key_len, const uint8_t *peer, size_t peer_len,
                                uint8_t *out, size_t out_size, size_t *out_len);
psa_status_t tls_drv_p256_sign(const uint8_t *key, size_t key_len, psa_algorithm_t alg, const uint8_t *hash,
                               size_t hash_len, uint8_t *sig, size_t sig_size, size_t *sig_len);
void tls_drv_p256_init(void); /* once, before the first use of nettle */

psa_status_t tls_drv_x25519_generate(uint8_t *key, size_t key_size, size_t *key_length);
psa_status_t tls_drv_x25519_public(const uint8_t *key, size_t key_len, uint8_t *out, size_t out_size,
                                   size_t *out_len);
psa_status_t tls_drv_x25519_agree(const uint8_t *key, size_t key_len, const uint8_t *peer, size_t peer_len,
                                  uint8_t *out, size_t out_size, size_t *out_len);

#endif /* RAMPART_TLS_TLS_DRV_INTERNAL_H */
