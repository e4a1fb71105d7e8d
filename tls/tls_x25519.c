/*
 * tls_x25519.c: fast X25519 key shares for TLS 1.3, enabled at link time.
 *
 * mbedTLS 3.6's TLS 1.3 code makes its key share with psa_generate_key()
 * and psa_export_public_key(). For X25519 the export computes the public
 * key with the generic bignum Montgomery ladder (~560 us here), although
 * the same library carries Everest's verified X25519 (HACL*), which the key
 * agreement already uses (~110 us). That one multiplication is the largest
 * single cost of a TLS 1.3 handshake, full or resumed.
 *
 * With the linker options
 *   -Wl,--wrap=psa_generate_key,--wrap=psa_export_public_key,--wrap=psa_destroy_key
 * calls from libmbedtls to these three functions come here: an X25519 key
 * pair is made from 32 random bytes imported into PSA (so PSA still holds
 * and uses the private key), its public key is computed once with HACL*
 * and kept in a small per-thread table until PSA asks for it. Every other
 * key, and every call without the options, goes to the real functions.
 * The result is the same bytes (RFC 7748 on both sides); the TLS 1.3 tests
 * in test_tls fail if it were not, since the client could not finish.
 */
#include "tls/tls_mbedtls.h"

#include <mbedtls/platform_util.h>
#include <stdbool.h>
#include <string.h>

/* From libeverest (everest/Hacl_Curve25519.h, whose includes need the
 * Everest source tree): X25519(secret, basepoint), RFC 7748. */
void Hacl_Curve25519_crypto_scalarmult(uint8_t *mypublic, uint8_t *secret, uint8_t *basepoint);

#define TLS_X25519_LEN   32
#define TLS_X25519_CACHE 4 /* keys made and not yet exported, per thread */

/* Resolved by --wrap; without it these stay NULL and nothing calls us. */
extern psa_status_t __real_psa_generate_key(const psa_key_attributes_t *attributes, mbedtls_svc_key_id_t *key)
    __attribute__((weak));
extern psa_status_t __real_psa_export_public_key(mbedtls_svc_key_id_t key, uint8_t *data, size_t data_size,
                                                 size_t *data_length) __attribute__((weak));
extern psa_status_t __real_psa_destroy_key(mbedtls_svc_key_id_t key) __attribute__((weak));

psa_status_t __wrap_psa_generate_key(const psa_key_attributes_t *attributes, mbedtls_svc_key_id_t *key);
psa_status_t __wrap_psa_export_public_key(mbedtls_svc_key_id_t key, uint8_t *data, size_t data_size,
                                          size_t *data_length);
psa_status_t __wrap_psa_destroy_key(mbedtls_svc_key_id_t key);

struct tls_x25519_entry {
    bool used;
    mbedtls_svc_key_id_t key;
    uint8_t pub[TLS_X25519_LEN];
};

static _Thread_local struct tls_x25519_entry tls_x25519_cache[TLS_X25519_CACHE];
static _Thread_local unsigned tls_x25519_next;

static bool tls_x25519_same(mbedtls_svc_key_id_t a, mbedtls_svc_key_id_t b)
{
    return mbedtls_svc_key_id_equal(a, b);
}

static struct tls_x25519_entry *tls_x25519_find(mbedtls_svc_key_id_t key)
{
    for (unsigned i = 0; i < TLS_X25519_CACHE; i++)
        if (tls_x25519_cache[i].used && tls_x25519_same(tls_x25519_cache[i].key, key))
            return &tls_x25519_cache[i];
    return NULL;
}

static bool tls_x25519_is_ours(const psa_key_attributes_t *attributes)
{
    return psa_get_key_type(attributes) == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY) &&
           psa_get_key_bits(attributes) == 255 &&
           psa_get_key_lifetime(attributes) == PSA_KEY_LIFETIME_VOLATILE;
}

static psa_status_t tls_x25519_make(const psa_key_attributes_t *attributes, mbedtls_svc_key_id_t *key)
{
    static const uint8_t base[TLS_X25519_LEN] = {9};
    uint8_t priv[TLS_X25519_LEN];
    psa_status_t st = psa_generate_random(priv, sizeof priv);
    if (st == PSA_SUCCESS)
        st = psa_import_key(attributes, priv, sizeof priv, key);
    if (st == PSA_SUCCESS) {
        /* A full table only means the oldest entry falls back to PSA. */
        struct tls_x25519_entry *e = &tls_x25519_cache[tls_x25519_next++ % TLS_X25519_CACHE];
        Hacl_Curve25519_crypto_scalarmult(e->pub, priv, (uint8_t *)base);
        e->key = *key;
        e->used = true;
    }
    mbedtls_platform_zeroize(priv, sizeof priv);
    return st;
}

psa_status_t __wrap_psa_generate_key(const psa_key_attributes_t *attributes, mbedtls_svc_key_id_t *key)
{
    if (tls_x25519_is_ours(attributes))
        return tls_x25519_make(attributes, key);
    return __real_psa_generate_key(attributes, key);
}

psa_status_t __wrap_psa_export_public_key(mbedtls_svc_key_id_t key, uint8_t *data, size_t data_size,
                                          size_t *data_length)
{
    struct tls_x25519_entry *e = tls_x25519_find(key);
    if (e == NULL || data_size < TLS_X25519_LEN)
        return __real_psa_export_public_key(key, data, data_size, data_length);
    memcpy(data, e->pub, TLS_X25519_LEN);
    *data_length = TLS_X25519_LEN;
    e->used = false;
    return PSA_SUCCESS;
}

psa_status_t __wrap_psa_destroy_key(mbedtls_svc_key_id_t key)
{
    struct tls_x25519_entry *e = tls_x25519_find(key); /* the id may be reused */
    if (e != NULL)
        e->used = false;
    return __real_psa_destroy_key(key);
}
