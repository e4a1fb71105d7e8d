/*
 * tls_drv_p256.c: NIST P-256 in nettle: key generation, the public key
 * (fixed-base), ECDH (variable-base) and ECDSA signatures, deterministic
 * (RFC 6979, what TLS here uses: MBEDTLS_ECDSA_DETERMINISTIC) and
 * randomized. nettle's ECC code runs in time independent of the secrets.
 * Verification stays in mbedTLS: a TLS server without client certificates
 * never verifies a signature (only mbedtls_pk_check_pair, once at load).
 *
 * Formats (PSA's): the private key is 32 bytes big-endian in [1, n-1]; a
 * public key is 0x04 || X || Y; the ECDH secret is X; a signature is
 * r || s. A key outside [1, n-1], a peer key that is not an uncompressed
 * point on the curve, or a buffer too small is left to mbedTLS, which then
 * refuses it with its own error.
 *
 * RFC 6979 nonces come from mbedTLS's own HMAC_DRBG seeded with
 * int2octets(d) || bits2octets(h), exactly as mbedtls_ecdsa_sign_det_ext()
 * does, and nettle draws k from it the way mbedTLS does (32 bytes,
 * big-endian, rejected unless 1 <= k < n): the signatures are the same
 * bytes as mbedTLS's, which the unit tests and the differential fuzzer
 * check.
 *
 * nettle keeps its numbers in GMP memory; tls_drv_p256_init() makes GMP
 * wipe every block it frees or moves, so no scalar outlives its use.
 */
#include "tls/tls_drv_internal.h"

#include <gmp.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/platform_util.h>
#include <nettle/bignum.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <stdlib.h>
#include <string.h>

#define TLS_DRV_P256_LEN           32 /* scalar, coordinate, r, s */
#define TLS_DRV_P256_PUB_LEN       65 /* 0x04 || X || Y */
#define TLS_DRV_P256_TRIES         64 /* key generation: a random 32 bytes fail ~1 in 2^32 */
#define TLS_DRV_POINT_UNCOMPRESSED 0x04

/* The group order n (FIPS 186-4, D.1.2.3), for bits2octets. */
static const uint8_t tls_drv_p256_n[TLS_DRV_P256_LEN] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* ---- GMP memory that is wiped when freed ---------------------------------- */

static void *tls_drv_gmp_alloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL)
        abort(); /* what GMP's own allocator does */
    return p;
}

static void tls_drv_gmp_free(void *p, size_t n)
{
    if (p != NULL)
        mbedtls_platform_zeroize(p, n);
    free(p);
}

static void *tls_drv_gmp_realloc(void *p, size_t old_n, size_t new_n)
{
    void *q = tls_drv_gmp_alloc(new_n);
    memcpy(q, p, old_n < new_n ? old_n : new_n);
    tls_drv_gmp_free(p, old_n);
    return q;
}

void tls_drv_p256_init(void)
{
    mp_set_memory_functions(tls_drv_gmp_alloc, tls_drv_gmp_realloc, tls_drv_gmp_free);
}

/* ---- conversions ---------------------------------------------------------- */

/* The scalar in [1, n-1], or false. */
static bool tls_drv_p256_scalar(struct ecc_scalar *s, const uint8_t *key)
{
    mpz_t z;
    nettle_mpz_init_set_str_256_u(z, TLS_DRV_P256_LEN, key);
    bool ok = ecc_scalar_set(s, z) != 0;
    mpz_clear(z);
    return ok;
}

/* An uncompressed point on the curve, or false. */
static bool tls_drv_p256_point(struct ecc_point *p, const uint8_t *pub, size_t len)
{
    if (len != TLS_DRV_P256_PUB_LEN || pub[0] != TLS_DRV_POINT_UNCOMPRESSED)
        return false;
    mpz_t x, y;
    nettle_mpz_init_set_str_256_u(x, TLS_DRV_P256_LEN, pub + 1);
    nettle_mpz_init_set_str_256_u(y, TLS_DRV_P256_LEN, pub + 1 + TLS_DRV_P256_LEN);
    bool ok = ecc_point_set(p, x, y) != 0;
    mpz_clear(x);
    mpz_clear(y);
    return ok;
}

static void tls_drv_p256_put(uint8_t *out, const mpz_t v)
{
    nettle_mpz_get_str_256(TLS_DRV_P256_LEN, out, v);
}

/* ---- keys and ECDH -------------------------------------------------------- */

psa_status_t tls_drv_p256_generate(uint8_t *key, size_t key_size, size_t *key_length)
{
    if (key_size < TLS_DRV_P256_LEN)
        return PSA_ERROR_NOT_SUPPORTED;
    struct ecc_scalar s;
    ecc_scalar_init(&s, nettle_get_secp_256r1());
    psa_status_t st = PSA_ERROR_INSUFFICIENT_ENTROPY;
    for (int i = 0; i < TLS_DRV_P256_TRIES; i++) {
        st = psa_generate_random(key, TLS_DRV_P256_LEN);
        if (st != PSA_SUCCESS || tls_drv_p256_scalar(&s, key))
            break;
        st = PSA_ERROR_INSUFFICIENT_ENTROPY;
    }
    ecc_scalar_clear(&s);
    if (st != PSA_SUCCESS) {
        mbedtls_platform_zeroize(key, TLS_DRV_P256_LEN);
        return st;
    }
    *key_length = TLS_DRV_P256_LEN;
    return PSA_SUCCESS;
}

psa_status_t tls_drv_p256_public(const uint8_t *key, size_t key_len, uint8_t *out, size_t out_size,
                                 size_t *out_len)
{
    if (key_len != TLS_DRV_P256_LEN || out_size < TLS_DRV_P256_PUB_LEN)
        return PSA_ERROR_NOT_SUPPORTED;
    const struct ecc_curve *c = nettle_get_secp_256r1();
    struct ecc_scalar s;
    struct ecc_point r;
    ecc_scalar_init(&s, c);
    ecc_point_init(&r, c);
    psa_status_t st = PSA_ERROR_NOT_SUPPORTED;
    if (tls_drv_p256_scalar(&s, key)) {
        mpz_t x, y;
        mpz_init(x);
        mpz_init(y);
        ecc_point_mul_g(&r, &s);
        ecc_point_get(&r, x, y);
        out[0] = TLS_DRV_POINT_UNCOMPRESSED;
        tls_drv_p256_put(out + 1, x);
        tls_drv_p256_put(out + 1 + TLS_DRV_P256_LEN, y);
        mpz_clear(x);
        mpz_clear(y);
        *out_len = TLS_DRV_P256_PUB_LEN;
        st = PSA_SUCCESS;
    }
    ecc_point_clear(&r);
    ecc_scalar_clear(&s);
    return st;
}

psa_status_t tls_drv_p256_agree(const uint8_t *key, size_t key_len, const uint8_t *peer, size_t peer_len,
                                uint8_t *out, size_t out_size, size_t *out_len)
{
    if (key_len != TLS_DRV_P256_LEN || out_size < TLS_DRV_P256_LEN)
        return PSA_ERROR_NOT_SUPPORTED;
    const struct ecc_curve *c = nettle_get_secp_256r1();
    struct ecc_scalar s;
    struct ecc_point q, r;
    ecc_scalar_init(&s, c);
    ecc_point_init(&q, c);
    ecc_point_init(&r, c);
    psa_status_t st = PSA_ERROR_NOT_SUPPORTED;
    /* Prime order, d in [1, n-1], Q on the curve: d*Q is never infinity. */
    if (tls_drv_p256_point(&q, peer, peer_len) && tls_drv_p256_scalar(&s, key)) {
        mpz_t x, y;
        mpz_init(x);
        mpz_init(y);
        ecc_point_mul(&r, &s, &q);
        ecc_point_get(&r, x, y);
        tls_drv_p256_put(out, x);
        mpz_clear(x);
        mpz_clear(y);
        *out_len = TLS_DRV_P256_LEN;
        st = PSA_SUCCESS;
    }
    ecc_point_clear(&r);
    ecc_point_clear(&q);
    ecc_scalar_clear(&s);
    return st;
}

/* ---- ECDSA ----------------------------------------------------------------- */

/* Where nettle draws its nonces from: an RFC 6979 HMAC_DRBG, or PSA's
 * random generator (failed: set, and k is made valid so nettle stops). */
struct tls_drv_nonce {
    mbedtls_hmac_drbg_context *drbg; /* NULL: randomized ECDSA */
    bool failed;
};

static void tls_drv_p256_nonce(void *ctx, size_t len, uint8_t *dst)
{
    struct tls_drv_nonce *n = ctx;
    int ret = n->drbg != NULL ? mbedtls_hmac_drbg_random(n->drbg, dst, len)
                              : (psa_generate_random(dst, len) == PSA_SUCCESS ? 0 : -1);
    if (ret != 0) {
        n->failed = true;
        memset(dst, 1, len); /* in [1, n-1]: ends nettle's loop; the result is discarded */
    }
}

static const mbedtls_md_info_t *tls_drv_md_of(psa_algorithm_t hash_alg)
{
    switch (hash_alg) {
    case PSA_ALG_SHA_1: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    case PSA_ALG_SHA_224: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA224);
    case PSA_ALG_SHA_256: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    case PSA_ALG_SHA_384: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
    case PSA_ALG_SHA_512: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
    default: return NULL;
    }
}

/* bits2octets(h) of RFC 6979 2.3.4 for a 256-bit n: the leftmost 256 bits
 * of h as an integer, reduced once mod n. */
static void tls_drv_bits2octets(const uint8_t *hash, size_t hash_len, uint8_t out[TLS_DRV_P256_LEN])
{
    mpz_t h, n;
    size_t use = hash_len < TLS_DRV_P256_LEN ? hash_len : TLS_DRV_P256_LEN;
    nettle_mpz_init_set_str_256_u(h, use, hash);
    nettle_mpz_init_set_str_256_u(n, TLS_DRV_P256_LEN, tls_drv_p256_n);
    if (mpz_cmp(h, n) >= 0)
        mpz_sub(h, h, n);
    tls_drv_p256_put(out, h);
    mpz_clear(h);
    mpz_clear(n);
}

/* Seeds drbg for RFC 6979 with the key and the hash; false: not ours. */
static bool tls_drv_rfc6979_seed(mbedtls_hmac_drbg_context *drbg, psa_algorithm_t alg, const uint8_t *key,
                                 const uint8_t *hash, size_t hash_len)
{
    const mbedtls_md_info_t *md = tls_drv_md_of(PSA_ALG_SIGN_GET_HASH(alg));
    uint8_t seed[2 * TLS_DRV_P256_LEN];
    if (md == NULL)
        return false;
    memcpy(seed, key, TLS_DRV_P256_LEN);
    tls_drv_bits2octets(hash, hash_len, seed + TLS_DRV_P256_LEN);
    int ret = mbedtls_hmac_drbg_seed_buf(drbg, md, seed, sizeof seed);
    mbedtls_platform_zeroize(seed, sizeof seed);
    return ret == 0;
}

static void tls_drv_p256_sign_with(const struct ecc_scalar *s, struct tls_drv_nonce *nonce,
                                   const uint8_t *hash, size_t hash_len, uint8_t *sig)
{
    struct dsa_signature rs;
    dsa_signature_init(&rs);
    ecdsa_sign(s, nonce, tls_drv_p256_nonce, hash_len, hash, &rs);
    tls_drv_p256_put(sig, rs.r);
    tls_drv_p256_put(sig + TLS_DRV_P256_LEN, rs.s);
    dsa_signature_clear(&rs);
}

psa_status_t tls_drv_p256_sign(const uint8_t *key, size_t key_len, psa_algorithm_t alg, const uint8_t *hash,
                               size_t hash_len, uint8_t *sig, size_t sig_size, size_t *sig_len)
{
    if (key_len != TLS_DRV_P256_LEN || sig_size < 2 * TLS_DRV_P256_LEN || hash_len == 0)
        return PSA_ERROR_NOT_SUPPORTED;
    mbedtls_hmac_drbg_context drbg;
    struct tls_drv_nonce nonce = {.drbg = NULL, .failed = false};
    struct ecc_scalar s;
    mbedtls_hmac_drbg_init(&drbg);
    ecc_scalar_init(&s, nettle_get_secp_256r1());
    psa_status_t st = PSA_ERROR_NOT_SUPPORTED;
    bool det = PSA_ALG_ECDSA_IS_DETERMINISTIC(alg);
    if (tls_drv_p256_scalar(&s, key) && (!det || tls_drv_rfc6979_seed(&drbg, alg, key, hash, hash_len))) {
        nonce.drbg = det ? &drbg : NULL;
        tls_drv_p256_sign_with(&s, &nonce, hash, hash_len, sig);
        st = nonce.failed ? PSA_ERROR_INSUFFICIENT_ENTROPY : PSA_SUCCESS;
    }
    ecc_scalar_clear(&s);
    mbedtls_hmac_drbg_free(&drbg);
    if (st != PSA_SUCCESS) {
        mbedtls_platform_zeroize(sig, 2 * TLS_DRV_P256_LEN);
        return st;
    }
    *sig_len = 2 * TLS_DRV_P256_LEN;
    return PSA_SUCCESS;
}
