/*
 * tls_keyring.c: loading, checking and using the private keys (see
 * tls_keyring.h), and what the relay's side shares with it: the keys'
 * PSA policy, the algorithm names of the key holder's protocol and the
 * public half of a key as both ends compare it.
 */
#include "tls/tls_internal.h"
#include "tls/tls_keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(TLS_KEYREQ_KEYS_MAX == TLS_MAX_CERTIFICATES, "one key per certificate");
_Static_assert(PSA_SIGNATURE_MAX_SIZE <= TLS_KEYREQ_DATA_MAX, "a signature fits an answer");
_Static_assert(TLS_KEYREQ_HASH_MAX == PSA_HASH_MAX_SIZE, "the largest hash fits a request");

struct tls_keyring {
    unsigned n;
    mbedtls_svc_key_id_t ids[TLS_MAX_CERTIFICATES];
    enum tls_key_kind kinds[TLS_MAX_CERTIFICATES];
    size_t spki_len[TLS_MAX_CERTIFICATES];
    uint8_t spki[TLS_MAX_CERTIFICATES][TLS_KEYREQ_DATA_MAX];
};

/* ---- shared with the relay's side (tls_internal.h) ---------------------------------- */

/* EC: deterministic ECDSA (RFC 6979), what every signature uses; the
 * second algorithm, randomized ECDSA, is there because TLS 1.2 picks its
 * certificate by asking whether the key may do PSA_ALG_ECDSA(hash). RSA:
 * PKCS#1 v1.5 (TLS 1.2; mbedTLS's opaque RSA signs with the first
 * algorithm) and PSS (TLS 1.3). */
void tls_key_policy(psa_key_attributes_t *attr, enum tls_key_kind kind)
{
    psa_set_key_usage_flags(attr, PSA_KEY_USAGE_SIGN_HASH);
    if (kind == TLS_KEY_KIND_EC) {
        psa_set_key_algorithm(attr, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_ANY_HASH));
        psa_set_key_enrollment_algorithm(attr, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
    } else {
        psa_set_key_algorithm(attr, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_ANY_HASH));
        psa_set_key_enrollment_algorithm(attr, PSA_ALG_RSA_PSS(PSA_ALG_ANY_HASH));
    }
}

enum tls_key_kind tls_pk_kind(const mbedtls_pk_context *pk)
{
    if (mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA))
        return TLS_KEY_KIND_EC;
    if (mbedtls_pk_can_do(pk, MBEDTLS_PK_RSA))
        return TLS_KEY_KIND_RSA;
    return TLS_KEY_KIND_NONE;
}

/* mbedtls_pk_write_pubkey_der writes at the end of the buffer. */
int tls_pk_spki(const mbedtls_pk_context *pk, uint8_t *out, size_t size, size_t *len)
{
    uint8_t der[TLS_KEYREQ_DATA_MAX];
    int n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)pk, der, sizeof der);
    if (n <= 0 || (size_t)n > size)
        return -1;
    memcpy(out, der + sizeof der - (size_t)n, (size_t)n);
    *len = (size_t)n;
    return 0;
}

static psa_algorithm_t tls_hash_psa(enum tls_key_alg alg)
{
    switch (tls_key_alg_hash_len(alg)) {
    case 32: return PSA_ALG_SHA_256;
    case 48: return PSA_ALG_SHA_384;
    case 64: return PSA_ALG_SHA_512;
    default: return PSA_ALG_NONE;
    }
}

psa_algorithm_t tls_key_alg_psa(enum tls_key_alg alg)
{
    psa_algorithm_t hash = tls_hash_psa(alg);
    if (alg >= TLS_KEY_ALG_ECDSA_SHA256 && alg <= TLS_KEY_ALG_ECDSA_SHA512)
        return PSA_ALG_DETERMINISTIC_ECDSA(hash);
    if (alg >= TLS_KEY_ALG_RSA_PKCS1_SHA256 && alg <= TLS_KEY_ALG_RSA_PKCS1_SHA512)
        return PSA_ALG_RSA_PKCS1V15_SIGN(hash);
    if (alg >= TLS_KEY_ALG_RSA_PSS_SHA256 && alg <= TLS_KEY_ALG_RSA_PSS_SHA512)
        return PSA_ALG_RSA_PSS(hash);
    return PSA_ALG_NONE;
}

/* The hash step: 0 SHA-256, 1 SHA-384, 2 SHA-512, -1 other. */
static int tls_hash_step(psa_algorithm_t hash)
{
    return hash == PSA_ALG_SHA_256 ? 0 : hash == PSA_ALG_SHA_384 ? 1 : hash == PSA_ALG_SHA_512 ? 2 : -1;
}

enum tls_key_alg tls_key_alg_from_psa(psa_algorithm_t alg)
{
    int step = PSA_ALG_IS_SIGN_HASH(alg) ? tls_hash_step(PSA_ALG_SIGN_GET_HASH(alg)) : -1;
    if (step < 0)
        return TLS_KEY_ALG_NONE;
    if (PSA_ALG_IS_ECDSA(alg))
        return (enum tls_key_alg)(TLS_KEY_ALG_ECDSA_SHA256 + step);
    if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg))
        return (enum tls_key_alg)(TLS_KEY_ALG_RSA_PKCS1_SHA256 + step);
    if (PSA_ALG_IS_RSA_PSS(alg)) /* salt = hash length or any: the same signature */
        return (enum tls_key_alg)(TLS_KEY_ALG_RSA_PSS_SHA256 + step);
    return TLS_KEY_ALG_NONE;
}

/* ---- loading ----------------------------------------------------------------------- */

static int tls_keyring_fail(char *err, size_t err_len, const char *file, const char *what, int ret)
{
    char why[128] = "";
    if (ret != 0)
        mbedtls_strerror(ret, why, sizeof why);
    snprintf(err, err_len, "%s: %s%s%s", file, what, ret ? ": " : "", why);
    return -1;
}

static int tls_keyring_import(struct tls_keyring *kr, unsigned i, mbedtls_pk_context *key)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    if (mbedtls_pk_get_psa_attributes(key, PSA_KEY_USAGE_SIGN_HASH, &attr) != 0)
        return -1;
    tls_key_policy(&attr, kr->kinds[i]);
    return mbedtls_pk_import_into_psa(key, &attr, &kr->ids[i]) == 0 ? 0 : -1;
}

/* The key of pair i, proved to belong to its certificate, into PSA. */
static int tls_keyring_pair(struct tls_keyring *kr, unsigned i, mbedtls_x509_crt *chain,
                            mbedtls_pk_context *key, const struct tls_cert_config *cfg, char *err,
                            size_t err_len)
{
    int ret = mbedtls_x509_crt_parse_file(chain, cfg->cert_file);
    if (ret != 0)
        return tls_keyring_fail(err, err_len, cfg->cert_file, "cannot load certificate chain", ret);
    ret = mbedtls_pk_parse_keyfile(key, cfg->key_file, NULL, tls_rng, tls_rng_ctx());
    if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED)
        return tls_keyring_fail(err, err_len, cfg->key_file,
                                "private key is encrypted; give an unencrypted key (mode 0600)", 0);
    if (ret != 0)
        return tls_keyring_fail(err, err_len, cfg->key_file, "cannot load private key", ret);
    if (mbedtls_pk_check_pair(&chain->pk, key, tls_rng, tls_rng_ctx()) != 0) {
        snprintf(err, err_len, "%s: private key does not match certificate %s", cfg->key_file,
                 cfg->cert_file);
        return -1;
    }
    kr->kinds[i] = tls_pk_kind(key);
    if (kr->kinds[i] == TLS_KEY_KIND_NONE)
        return tls_keyring_fail(err, err_len, cfg->key_file, "neither an EC nor an RSA key", 0);
    if (tls_pk_spki(key, kr->spki[i], sizeof kr->spki[i], &kr->spki_len[i]) != 0)
        return tls_keyring_fail(err, err_len, cfg->key_file, "cannot encode its public key", 0);
    if (tls_keyring_import(kr, i, key) != 0)
        return tls_keyring_fail(err, err_len, cfg->key_file,
                                "cannot move the private key into PSA (RSA keys: at most 4096 bits)", 0);
    return 0;
}

static int tls_keyring_load_one(struct tls_keyring *kr, unsigned i, const struct tls_cert_config *cfg,
                                char *err, size_t err_len)
{
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_x509_crt_init(&chain);
    mbedtls_pk_init(&key);
    int rc = tls_keyring_pair(kr, i, &chain, &key, cfg, err, err_len);
    mbedtls_pk_free(&key); /* zeroizes the parsed key */
    mbedtls_x509_crt_free(&chain);
    return rc;
}

struct tls_keyring *tls_keyring_load(const struct tls_config *cfg, char *err, size_t err_len)
{
    if (tls_global_init() != 0) {
        snprintf(err, err_len, "tls: cannot initialise crypto (PSA / random generator)");
        return NULL;
    }
    if (cfg->n_certs == 0 || cfg->n_certs > TLS_MAX_CERTIFICATES) {
        snprintf(err, err_len, "tls: need 1-%d certificates, got %u", TLS_MAX_CERTIFICATES, cfg->n_certs);
        return NULL;
    }
    struct tls_keyring *kr = calloc(1, sizeof *kr);
    if (kr == NULL) {
        snprintf(err, err_len, "tls: out of memory");
        return NULL;
    }
    for (unsigned i = 0; i < cfg->n_certs; i++) {
        if (tls_keyring_load_one(kr, i, &cfg->certs[i], err, err_len) != 0) {
            tls_keyring_free(kr);
            return NULL;
        }
        kr->n = i + 1;
    }
    return kr;
}

void tls_keyring_free(struct tls_keyring *kr)
{
    if (kr == NULL)
        return;
    for (unsigned i = 0; i < TLS_MAX_CERTIFICATES; i++)
        psa_destroy_key(kr->ids[i]); /* 0 (none) is a no-op */
    free(kr);
}

unsigned tls_keyring_count(const struct tls_keyring *kr)
{
    return kr->n;
}

mbedtls_svc_key_id_t tls_keyring_key_id(const struct tls_keyring *kr, unsigned i)
{
    return i < kr->n ? kr->ids[i] : MBEDTLS_SVC_KEY_ID_INIT;
}

/* ---- answering ----------------------------------------------------------------------- */

size_t tls_keyring_answer(const struct tls_keyring *kr, const void *req, size_t req_len, void *out,
                          size_t out_size, enum tls_keyreq_status *status)
{
    struct tls_keyreq r = {0};
    uint32_t seq;
    *status = tls_keyreq_parse(req, req_len, kr->kinds, kr->n, &r, &seq);
    enum tls_keyreq_op op = r.op == TLS_KEYREQ_PUBLIC ? TLS_KEYREQ_PUBLIC : TLS_KEYREQ_SIGN;
    if (*status != TLS_KEYREQ_OK)
        return tls_keyrep_encode(out, out_size, seq, op, *status, NULL, 0);
    if (op == TLS_KEYREQ_PUBLIC)
        return tls_keyrep_encode(out, out_size, seq, op, *status, kr->spki[r.key], kr->spki_len[r.key]);
    uint8_t sig[PSA_SIGNATURE_MAX_SIZE];
    size_t sig_len = 0;
    psa_status_t st = psa_sign_hash(kr->ids[r.key], tls_key_alg_psa((enum tls_key_alg)r.alg), r.hash,
                                    r.hash_len, sig, sizeof sig, &sig_len);
    if (st != PSA_SUCCESS) {
        *status = TLS_KEYREQ_FAILED;
        return tls_keyrep_encode(out, out_size, seq, op, *status, NULL, 0);
    }
    return tls_keyrep_encode(out, out_size, seq, op, *status, sig, sig_len);
}
