/*
 * tls_drv_x25519.c: X25519 (RFC 7748) in libsodium, for the key shares of
 * TLS 1.3 and TLS 1.2 ECDHE.
 *
 * libsodium, not nettle: on this machine libsodium's variable-base
 * multiplication (the shared secret) is about twice as fast as nettle's and
 * its fixed-base one (the key share) as fast (bench/crypto_speed.c). Both
 * clamp the scalar and mask the top bit of the peer's u-coordinate as RFC
 * 7748 says, as mbedTLS does.
 *
 * Key format (PSA's): the private key is 32 bytes little-endian, stored
 * clamped as mbedTLS stores the keys it makes; the public key is the 32-byte
 * u-coordinate. A peer key of another length, or one of small order (whose
 * shared secret would be all zeros: libsodium says so, mbedTLS refuses
 * those points by value), is left to mbedTLS, which refuses it with its own
 * error.
 */
#include "tls/tls_drv_internal.h"

#include <sodium.h>

#define TLS_DRV_X25519_LEN 32

psa_status_t tls_drv_x25519_generate(uint8_t *key, size_t key_size, size_t *key_length)
{
    if (key_size < TLS_DRV_X25519_LEN)
        return PSA_ERROR_NOT_SUPPORTED;
    psa_status_t st = psa_generate_random(key, TLS_DRV_X25519_LEN);
    if (st != PSA_SUCCESS)
        return st;
    key[0] &= 248; /* RFC 7748 section 5 */
    key[31] &= 127;
    key[31] |= 64;
    *key_length = TLS_DRV_X25519_LEN;
    return PSA_SUCCESS;
}

psa_status_t tls_drv_x25519_public(const uint8_t *key, size_t key_len, uint8_t *out, size_t out_size,
                                   size_t *out_len)
{
    if (key_len != TLS_DRV_X25519_LEN || out_size < TLS_DRV_X25519_LEN)
        return PSA_ERROR_NOT_SUPPORTED;
    if (crypto_scalarmult_base(out, key) != 0)
        return PSA_ERROR_NOT_SUPPORTED;
    *out_len = TLS_DRV_X25519_LEN;
    return PSA_SUCCESS;
}

psa_status_t tls_drv_x25519_agree(const uint8_t *key, size_t key_len, const uint8_t *peer, size_t peer_len,
                                  uint8_t *out, size_t out_size, size_t *out_len)
{
    if (key_len != TLS_DRV_X25519_LEN || peer_len != TLS_DRV_X25519_LEN || out_size < TLS_DRV_X25519_LEN)
        return PSA_ERROR_NOT_SUPPORTED;
    if (crypto_scalarmult(out, key, peer) != 0) {
        sodium_memzero(out, TLS_DRV_X25519_LEN);
        return PSA_ERROR_NOT_SUPPORTED; /* small order: mbedTLS refuses it */
    }
    *out_len = TLS_DRV_X25519_LEN;
    return PSA_SUCCESS;
}
