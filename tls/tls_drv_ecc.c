/*
 * tls_drv_ecc.c: the ECC entry points of tls/tls_drv.h, each sent to its
 * curve: P-256 key pairs to nettle (tls_drv_p256.c), X25519 key pairs to
 * libsodium (tls_drv_x25519.c). Public-key types, other curves and other
 * algorithms are not ours (PSA_ERROR_NOT_SUPPORTED: mbedTLS runs them).
 */
#include "tls/tls_drv_internal.h"

#define TLS_DRV_P256_BITS   256
#define TLS_DRV_X25519_BITS 255

static bool tls_drv_is_p256(const psa_key_attributes_t *attributes)
{
    return psa_get_key_type(attributes) == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) &&
           psa_get_key_bits(attributes) == TLS_DRV_P256_BITS;
}

static bool tls_drv_is_x25519(const psa_key_attributes_t *attributes)
{
    return psa_get_key_type(attributes) == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY) &&
           psa_get_key_bits(attributes) == TLS_DRV_X25519_BITS;
}

psa_status_t tls_drv_generate_key(const psa_key_attributes_t *attributes, uint8_t *key_buffer,
                                  size_t key_buffer_size, size_t *key_buffer_length)
{
    psa_status_t st = PSA_ERROR_NOT_SUPPORTED;
    if (tls_drv_is_p256(attributes) && tls_crypto_on(TLS_CRYPTO_ECDH_P256)) {
        st = tls_drv_p256_generate(key_buffer, key_buffer_size, key_buffer_length);
        if (st == PSA_SUCCESS)
            tls_crypto_count(TLS_CRYPTO_OP_P256_KEYGEN);
    } else if (tls_drv_is_x25519(attributes) && tls_crypto_on(TLS_CRYPTO_X25519)) {
        st = tls_drv_x25519_generate(key_buffer, key_buffer_size, key_buffer_length);
        if (st == PSA_SUCCESS)
            tls_crypto_count(TLS_CRYPTO_OP_X25519_KEYGEN);
    }
    return st;
}

psa_status_t tls_drv_export_public_key(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                       size_t key_buffer_size, uint8_t *data, size_t data_size,
                                       size_t *data_length)
{
    psa_status_t st = PSA_ERROR_NOT_SUPPORTED;
    if (tls_drv_is_p256(attributes) && tls_crypto_on(TLS_CRYPTO_ECDH_P256)) {
        st = tls_drv_p256_public(key_buffer, key_buffer_size, data, data_size, data_length);
        if (st == PSA_SUCCESS)
            tls_crypto_count(TLS_CRYPTO_OP_P256_PUBLIC);
    } else if (tls_drv_is_x25519(attributes) && tls_crypto_on(TLS_CRYPTO_X25519)) {
        st = tls_drv_x25519_public(key_buffer, key_buffer_size, data, data_size, data_length);
        if (st == PSA_SUCCESS)
            tls_crypto_count(TLS_CRYPTO_OP_X25519_PUBLIC);
    }
    return st;
}

psa_status_t tls_drv_key_agreement(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                                   size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *peer_key,
                                   size_t peer_key_length, uint8_t *shared_secret, size_t shared_secret_size,
                                   size_t *shared_secret_length)
{
    psa_status_t st = PSA_ERROR_NOT_SUPPORTED;
    if (alg != PSA_ALG_ECDH)
        return st;
    if (tls_drv_is_p256(attributes) && tls_crypto_on(TLS_CRYPTO_ECDH_P256)) {
        st = tls_drv_p256_agree(key_buffer, key_buffer_size, peer_key, peer_key_length, shared_secret,
                                shared_secret_size, shared_secret_length);
        if (st == PSA_SUCCESS)
            tls_crypto_count(TLS_CRYPTO_OP_P256_AGREE);
    } else if (tls_drv_is_x25519(attributes) && tls_crypto_on(TLS_CRYPTO_X25519)) {
        st = tls_drv_x25519_agree(key_buffer, key_buffer_size, peer_key, peer_key_length, shared_secret,
                                  shared_secret_size, shared_secret_length);
        if (st == PSA_SUCCESS)
            tls_crypto_count(TLS_CRYPTO_OP_X25519_AGREE);
    }
    return st;
}

psa_status_t tls_drv_sign_hash(const psa_key_attributes_t *attributes, const uint8_t *key_buffer,
                               size_t key_buffer_size, psa_algorithm_t alg, const uint8_t *hash,
                               size_t hash_length, uint8_t *signature, size_t signature_size,
                               size_t *signature_length)
{
    if (!PSA_ALG_IS_ECDSA(alg) || !tls_drv_is_p256(attributes) || !tls_crypto_on(TLS_CRYPTO_ECDSA_P256))
        return PSA_ERROR_NOT_SUPPORTED;
    psa_status_t st = tls_drv_p256_sign(key_buffer, key_buffer_size, alg, hash, hash_length, signature,
                                        signature_size, signature_length);
    if (st == PSA_SUCCESS)
        tls_crypto_count(TLS_CRYPTO_OP_ECDSA_P256_SIGN);
    return st;
}
