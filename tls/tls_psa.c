/*
 * tls_psa.c: single PSA operations for tests, the fuzzer and the benchmark
 * (see tls/tls_psa.h). No logic of its own: each function sets up the PSA
 * arguments and returns PSA's status.
 */
#include "tls/tls_mbedtls.h"
#include "tls/tls_psa.h"

_Static_assert(TLS_PSA_NOT_SUPPORTED == PSA_ERROR_NOT_SUPPORTED, "PSA status");
_Static_assert(TLS_PSA_BUFFER_TOO_SMALL == PSA_ERROR_BUFFER_TOO_SMALL, "PSA status");
_Static_assert(TLS_PSA_INVALID_ARGUMENT == PSA_ERROR_INVALID_ARGUMENT, "PSA status");
_Static_assert(TLS_PSA_INVALID_SIGNATURE == PSA_ERROR_INVALID_SIGNATURE, "PSA status");
_Static_assert(TLS_PSA_TAG_LEN == PSA_AEAD_TAG_MAX_SIZE, "AEAD tag");

#define TLS_PSA_GCM_MIN_TAG 4 /* the shortest GCM tag PSA allows */

int tls_psa_init(void)
{
    return psa_crypto_init();
}

static void tls_psa_policy(enum tls_psa_kind kind, psa_key_attributes_t *a)
{
    static const psa_key_usage_t sign = PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH;
    psa_set_key_usage_flags(a, PSA_KEY_USAGE_EXPORT);
    switch (kind) {
    case TLS_PSA_AES:
        psa_set_key_type(a, PSA_KEY_TYPE_AES);
        psa_set_key_usage_flags(a, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
        psa_set_key_algorithm(a,
                              PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(PSA_ALG_GCM, TLS_PSA_GCM_MIN_TAG));
        break;
    case TLS_PSA_CHACHA20:
        psa_set_key_type(a, PSA_KEY_TYPE_CHACHA20);
        psa_set_key_usage_flags(a, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
        psa_set_key_algorithm(a, PSA_ALG_CHACHA20_POLY1305);
        break;
    case TLS_PSA_P256_ECDH:
    case TLS_PSA_X25519:
        psa_set_key_type(a, PSA_KEY_TYPE_ECC_KEY_PAIR(kind == TLS_PSA_X25519 ? PSA_ECC_FAMILY_MONTGOMERY
                                                                             : PSA_ECC_FAMILY_SECP_R1));
        psa_set_key_bits(a, kind == TLS_PSA_X25519 ? 255 : 256);
        psa_set_key_usage_flags(a, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_DERIVE);
        psa_set_key_algorithm(a, PSA_ALG_ECDH);
        break;
    case TLS_PSA_P256_ECDSA:
        psa_set_key_type(a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
        psa_set_key_usage_flags(a, PSA_KEY_USAGE_EXPORT | sign);
        psa_set_key_algorithm(a, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_ANY_HASH));
        psa_set_key_enrollment_algorithm(a, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
        break;
    case TLS_PSA_P256_PUBLIC:
        psa_set_key_type(a, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
        psa_set_key_usage_flags(a, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_VERIFY_HASH);
        psa_set_key_algorithm(a, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
        psa_set_key_enrollment_algorithm(a, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_ANY_HASH));
        break;
    }
}

int tls_psa_import(enum tls_psa_kind kind, const uint8_t *key, size_t key_len, uint32_t *id)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    tls_psa_policy(kind, &a);
    psa_set_key_bits(&a, 0); /* from the data */
    return psa_import_key(&a, key, key_len, id);
}

int tls_psa_generate(enum tls_psa_kind kind, uint32_t *id)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    tls_psa_policy(kind, &a);
    if (kind == TLS_PSA_AES)
        psa_set_key_bits(&a, 128);
    else if (kind == TLS_PSA_CHACHA20)
        psa_set_key_bits(&a, 256);
    else if (kind == TLS_PSA_P256_ECDSA)
        psa_set_key_bits(&a, 256);
    return psa_generate_key(&a, id);
}

void tls_psa_destroy(uint32_t id)
{
    (void)psa_destroy_key(id);
}

int tls_psa_export(uint32_t id, uint8_t *out, size_t out_size, size_t *out_len)
{
    return psa_export_key(id, out, out_size, out_len);
}

int tls_psa_export_public(uint32_t id, uint8_t *out, size_t out_size, size_t *out_len)
{
    return psa_export_public_key(id, out, out_size, out_len);
}

/* The key's AEAD algorithm with this tag length. */
static psa_algorithm_t tls_psa_aead_alg(uint32_t id, size_t tag_len)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_algorithm_t alg = PSA_ALG_NONE;
    if (psa_get_key_attributes(id, &a) == PSA_SUCCESS)
        alg = psa_get_key_type(&a) == PSA_KEY_TYPE_CHACHA20 ? PSA_ALG_CHACHA20_POLY1305 : PSA_ALG_GCM;
    psa_reset_key_attributes(&a);
    return tag_len == 0 ? alg : PSA_ALG_AEAD_WITH_SHORTENED_TAG(alg, tag_len);
}

int tls_psa_seal(uint32_t id, size_t tag_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                 size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                 size_t *out_len)
{
    return psa_aead_encrypt(id, tls_psa_aead_alg(id, tag_len), nonce, nonce_len, ad, ad_len, in, in_len, out,
                            out_size, out_len);
}

int tls_psa_open(uint32_t id, size_t tag_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *ad,
                 size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                 size_t *out_len)
{
    return psa_aead_decrypt(id, tls_psa_aead_alg(id, tag_len), nonce, nonce_len, ad, ad_len, in, in_len, out,
                            out_size, out_len);
}

int tls_psa_agree(uint32_t id, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t out_size,
                  size_t *out_len)
{
    return psa_raw_key_agreement(PSA_ALG_ECDH, id, peer, peer_len, out, out_size, out_len);
}

static psa_algorithm_t tls_psa_hash_alg(enum tls_psa_hash hash)
{
    static const psa_algorithm_t algs[] = {
        [TLS_PSA_SHA1] = PSA_ALG_SHA_1,     [TLS_PSA_SHA224] = PSA_ALG_SHA_224,
        [TLS_PSA_SHA256] = PSA_ALG_SHA_256, [TLS_PSA_SHA384] = PSA_ALG_SHA_384,
        [TLS_PSA_SHA512] = PSA_ALG_SHA_512,
    };
    return (unsigned)hash < sizeof algs / sizeof algs[0] ? algs[hash] : PSA_ALG_NONE;
}

int tls_psa_sign(uint32_t id, bool deterministic, enum tls_psa_hash hash, const uint8_t *digest,
                 size_t digest_len, uint8_t *sig, size_t sig_size, size_t *sig_len)
{
    psa_algorithm_t h = tls_psa_hash_alg(hash);
    psa_algorithm_t alg = deterministic ? PSA_ALG_DETERMINISTIC_ECDSA(h) : PSA_ALG_ECDSA(h);
    return psa_sign_hash(id, alg, digest, digest_len, sig, sig_size, sig_len);
}

int tls_psa_verify(uint32_t id, enum tls_psa_hash hash, const uint8_t *digest, size_t digest_len,
                   const uint8_t *sig, size_t sig_len)
{
    return psa_verify_hash(id, PSA_ALG_ECDSA(tls_psa_hash_alg(hash)), digest, digest_len, sig, sig_len);
}

int tls_psa_hash(enum tls_psa_hash hash, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size,
                 size_t *out_len)
{
    return psa_hash_compute(tls_psa_hash_alg(hash), in, in_len, out, out_size, out_len);
}
