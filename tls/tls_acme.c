/*
 * tls_acme.c: keys, JWS signatures, CSRs and self-signed certificates for
 * ACME. See tls_acme.h; the checks of issued certificates are in
 * tls_acme_check.c.
 */
#include "tls/tls_acme.h"
#include "tls/tls_internal.h"

#include "common/b64url.h"

#include <mbedtls/ecdsa.h>
#include <mbedtls/oid.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_csr.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* id-pe-acmeIdentifier, 1.3.6.1.5.5.7.1.31 (RFC 8737 section 6.1) */
#define TLS_ACME_OID_ACME_ID "\x2b\x06\x01\x05\x05\x07\x01\x1f"
#define TLS_ACME_P256_POINT  65 /* 04 || x || y */
#define TLS_ACME_SIG_DER_MAX 80 /* an ECDSA P-256 signature, DER */
#define TLS_ACME_RSA_EXP     65537

static void errf(char *err, size_t err_len, const char *what, int ret)
{
    char why[96];
    mbedtls_strerror(ret, why, sizeof why);
    snprintf(err, err_len, "%s: %s", what, why);
}

const char *tls_acme_key_type_name(enum tls_acme_key_type t)
{
    return t == TLS_ACME_KEY_RSA ? "rsa" : "ecdsa";
}

static struct tls_acme_key *key_new(void)
{
    struct tls_acme_key *k = calloc(1, sizeof *k);
    if (k)
        mbedtls_pk_init(&k->pk);
    return k;
}

void tls_acme_key_free(struct tls_acme_key *k)
{
    if (!k)
        return;
    mbedtls_pk_free(&k->pk); /* zeroizes */
    free(k);
}

static int key_generate_into(struct tls_acme_key *k, enum tls_acme_key_type type)
{
    mbedtls_pk_type_t pt = type == TLS_ACME_KEY_RSA ? MBEDTLS_PK_RSA : MBEDTLS_PK_ECKEY;
    int ret = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(pt));
    if (ret != 0)
        return ret;
    if (type == TLS_ACME_KEY_RSA)
        return mbedtls_rsa_gen_key(mbedtls_pk_rsa(k->pk), tls_rng, tls_rng_ctx(), TLS_ACME_RSA_BITS,
                                   TLS_ACME_RSA_EXP);
    return mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k->pk), tls_rng, tls_rng_ctx());
}

int tls_acme_key_generate(enum tls_acme_key_type type, struct tls_acme_key **out, char *err, size_t err_len)
{
    *out = NULL;
    if (tls_global_init() != 0) {
        snprintf(err, err_len, "key generation: the random generator did not start");
        return -1;
    }
    struct tls_acme_key *k = key_new();
    if (!k) {
        snprintf(err, err_len, "key generation: out of memory");
        return -1;
    }
    int ret = key_generate_into(k, type);
    if (ret != 0) {
        errf(err, err_len, "key generation", ret);
        tls_acme_key_free(k);
        return -1;
    }
    *out = k;
    return 0;
}

/* A P-256 or RSA key of at least 2048 bits: the only ones ACME gets here. */
static bool key_usable(const mbedtls_pk_context *pk)
{
    if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA)
        return mbedtls_pk_get_bitlen(pk) >= TLS_ACME_RSA_BITS;
    return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
           mbedtls_pk_ec(*pk)->MBEDTLS_PRIVATE(grp).id == MBEDTLS_ECP_DP_SECP256R1;
}

int tls_acme_key_parse(const char *pem, size_t len, struct tls_acme_key **out, char *err, size_t err_len)
{
    *out = NULL;
    /* mbedTLS wants PEM with its NUL counted */
    char *copy = len < TLS_ACME_KEY_PEM_MAX ? malloc(len + 1) : NULL;
    struct tls_acme_key *k = copy ? key_new() : NULL;
    if (!k) {
        snprintf(err, err_len, "private key: %s", copy ? "out of memory" : "longer than 4 KiB");
        free(copy);
        return -1;
    }
    memcpy(copy, pem, len);
    copy[len] = '\0';
    int ret = mbedtls_pk_parse_key(&k->pk, (const unsigned char *)copy, strlen(copy) + 1, NULL, 0, tls_rng,
                                   tls_rng_ctx());
    mbedtls_platform_zeroize(copy, len);
    free(copy);
    if (ret != 0 || !key_usable(&k->pk)) {
        if (ret != 0)
            errf(err, err_len, "private key", ret);
        else
            snprintf(err, err_len, "private key: neither ECDSA P-256 nor RSA of 2048 bits or more");
        tls_acme_key_free(k);
        return -1;
    }
    *out = k;
    return 0;
}

size_t tls_acme_key_pem(const struct tls_acme_key *k, char *out, size_t cap)
{
    if (mbedtls_pk_write_key_pem((mbedtls_pk_context *)&k->pk, (unsigned char *)out, cap) != 0) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    return strlen(out);
}

enum tls_acme_key_type tls_acme_key_kind(const struct tls_acme_key *k)
{
    return mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA ? TLS_ACME_KEY_RSA : TLS_ACME_KEY_ECDSA;
}

/* ---- JWS ---------------------------------------------------------------------------------------------- */

int tls_acme_jwk_coords(const struct tls_acme_key *k, char x[TLS_ACME_B64_COORD_MAX],
                        char y[TLS_ACME_B64_COORD_MAX])
{
    if (tls_acme_key_kind(k) != TLS_ACME_KEY_ECDSA)
        return -1;
    uint8_t pt[TLS_ACME_P256_POINT];
    size_t n = 0;
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
    if (mbedtls_ecp_write_public_key(ec, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pt, sizeof pt) != 0 ||
        n != sizeof pt)
        return -1;
    b64url_encode(pt + 1, 32, x, TLS_ACME_B64_COORD_MAX);
    b64url_encode(pt + 33, 32, y, TLS_ACME_B64_COORD_MAX);
    return 0;
}

void tls_acme_sha256(const void *data, size_t len, uint8_t out[TLS_ACME_SHA256_LEN])
{
    mbedtls_sha256(data, len, out, 0);
}

int tls_acme_jwk_thumbprint(const struct tls_acme_key *k, char out[TLS_ACME_THUMBPRINT_MAX])
{
    char x[TLS_ACME_B64_COORD_MAX], y[TLS_ACME_B64_COORD_MAX], jwk[160];
    if (tls_acme_jwk_coords(k, x, y) < 0)
        return -1;
    /* RFC 7638 section 3.2: the required members only, in lexicographic
     * order, no white space */
    int n = snprintf(jwk, sizeof jwk, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
    uint8_t h[TLS_ACME_SHA256_LEN];
    tls_acme_sha256(jwk, (size_t)n, h);
    b64url_encode(h, sizeof h, out, TLS_ACME_THUMBPRINT_MAX);
    return 0;
}

int tls_acme_es256(const struct tls_acme_key *k, const void *msg, size_t len, uint8_t sig[TLS_ACME_ES256_LEN])
{
    if (tls_acme_key_kind(k) != TLS_ACME_KEY_ECDSA)
        return -1;
    uint8_t h[TLS_ACME_SHA256_LEN], der[TLS_ACME_SIG_DER_MAX];
    size_t der_len = 0, raw_len = 0;
    tls_acme_sha256(msg, len, h);
    int ret = mbedtls_pk_sign((mbedtls_pk_context *)&k->pk, MBEDTLS_MD_SHA256, h, sizeof h, der, sizeof der,
                              &der_len, tls_rng, tls_rng_ctx());
    if (ret == 0)
        ret = mbedtls_ecdsa_der_to_raw(256, der, der_len, sig, TLS_ACME_ES256_LEN, &raw_len);
    return ret == 0 && raw_len == TLS_ACME_ES256_LEN ? 0 : -1;
}

/* ---- names ---------------------------------------------------------------------------------------- */

/* One dNSName entry per name (nodes: n of them, caller's). mbedTLS writes
 * the list backwards: built in reverse, the names keep their order. */
static mbedtls_x509_san_list *san_list(const char *const *names, unsigned n, mbedtls_x509_san_list *nodes)
{
    for (unsigned i = 0; i < n; i++) {
        const char *name = names[n - 1 - i];
        nodes[i] = (mbedtls_x509_san_list){0};
        nodes[i].node.type = MBEDTLS_X509_SAN_DNS_NAME;
        nodes[i].node.san.unstructured_name.p = (unsigned char *)name;
        nodes[i].node.san.unstructured_name.len = strlen(name);
        nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
    }
    return n ? nodes : NULL;
}

static bool names_ok(const char *const *names, unsigned n)
{
    if (n < 1 || n > TLS_ACME_NAMES_MAX)
        return false;
    for (unsigned i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len == 0 || len > TLS_ACME_NAME_MAX || strpbrk(names[i], ",=+\"\\<>;#"))
            return false; /* nothing that would read as a second RDN in "CN=..." */
    }
    return true;
}

/* x509write functions write at the end of the buffer: move it to the start. */
static void to_start(uint8_t *buf, size_t cap, int n, size_t *len)
{
    memmove(buf, buf + cap - (size_t)n, (size_t)n);
    *len = (size_t)n;
}

int tls_acme_csr(const struct tls_acme_key *k, const char *const *names, unsigned n, uint8_t *der, size_t cap,
                 size_t *len, char *err, size_t err_len)
{
    if (!names_ok(names, n)) {
        snprintf(err, err_len, "CSR: 1-%d names without ',=+\"\\<>;#' needed", TLS_ACME_NAMES_MAX);
        return -1;
    }
    char cn[TLS_ACME_NAME_MAX + 8];
    snprintf(cn, sizeof cn, "CN=%s", names[0]);
    mbedtls_x509_san_list nodes[TLS_ACME_NAMES_MAX];
    mbedtls_x509write_csr csr;
    mbedtls_x509write_csr_init(&csr);
    mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_key(&csr, (mbedtls_pk_context *)&k->pk);
    int ret = mbedtls_x509write_csr_set_subject_name(&csr, cn);
    if (ret == 0)
        ret = mbedtls_x509write_csr_set_subject_alternative_name(&csr, san_list(names, n, nodes));
    if (ret == 0)
        ret = mbedtls_x509write_csr_der(&csr, der, cap, tls_rng, tls_rng_ctx());
    mbedtls_x509write_csr_free(&csr);
    if (ret <= 0) {
        errf(err, err_len, "CSR", ret);
        return -1;
    }
    to_start(der, cap, ret, len);
    return 0;
}

/* ---- self-signed certificates ---------------------------------------------------------------------- */

/* "YYYYMMDDhhmmss", UTC, as mbedtls_x509write_crt_set_validity takes it. */
static void x509_time(int64_t t, char out[16])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

static int crt_names(mbedtls_x509write_cert *crt, const char *const *names, unsigned n, bool challenge,
                     mbedtls_x509_san_list *nodes)
{
    char dn[TLS_ACME_NAME_MAX + 96];
    if (challenge)
        snprintf(dn, sizeof dn, "CN=ACME TLS-ALPN-01 challenge");
    else
        snprintf(dn, sizeof dn, "CN=%s,O=%s", names[0], TLS_ACME_PLACEHOLDER_ORG);
    int ret = mbedtls_x509write_crt_set_subject_name(crt, dn);
    if (ret == 0)
        ret = mbedtls_x509write_crt_set_issuer_name(crt, dn);
    return ret ? ret : mbedtls_x509write_crt_set_subject_alternative_name(crt, san_list(names, n, nodes));
}

/* RFC 8737 section 3: critical, its value the DER OCTET STRING of the digest. */
static int crt_acme_id(mbedtls_x509write_cert *crt, const uint8_t *digest)
{
    uint8_t val[2 + TLS_ACME_SHA256_LEN] = {MBEDTLS_ASN1_OCTET_STRING, TLS_ACME_SHA256_LEN};
    memcpy(val + 2, digest, TLS_ACME_SHA256_LEN);
    return mbedtls_x509write_crt_set_extension(crt, TLS_ACME_OID_ACME_ID, sizeof TLS_ACME_OID_ACME_ID - 1, 1,
                                               val, sizeof val);
}

static int crt_fill(mbedtls_x509write_cert *crt, const struct tls_acme_key *k, const char *const *names,
                    unsigned n, int64_t nb, int64_t na, const uint8_t *acme_id, mbedtls_x509_san_list *nodes)
{
    uint8_t serial[16];
    char from[16], to[16];
    if (tls_rng(tls_rng_ctx(), serial, sizeof serial) != 0)
        return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
    serial[0] &= 0x7f; /* a positive INTEGER */
    serial[0] |= 0x40; /* of exactly 16 octets */
    x509_time(nb, from);
    x509_time(na, to);
    mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(crt, (mbedtls_pk_context *)&k->pk);
    mbedtls_x509write_crt_set_issuer_key(crt, (mbedtls_pk_context *)&k->pk);
    int ret = mbedtls_x509write_crt_set_serial_raw(crt, serial, sizeof serial);
    if (ret == 0)
        ret = mbedtls_x509write_crt_set_validity(crt, from, to);
    if (ret == 0)
        ret = crt_names(crt, names, n, acme_id != NULL, nodes);
    if (ret == 0 && acme_id)
        ret = crt_acme_id(crt, acme_id);
    return ret;
}

int tls_acme_self_signed(const struct tls_acme_key *k, const char *const *names, unsigned n,
                         int64_t not_before, int64_t not_after, const uint8_t *acme_id, bool pem,
                         uint8_t *out, size_t cap, size_t *len, char *err, size_t err_len)
{
    if (!names_ok(names, n) || not_after <= not_before) {
        snprintf(err, err_len, "self-signed certificate: bad names or validity");
        return -1;
    }
    mbedtls_x509_san_list nodes[TLS_ACME_NAMES_MAX];
    mbedtls_x509write_cert crt;
    mbedtls_x509write_crt_init(&crt);
    int ret = crt_fill(&crt, k, names, n, not_before, not_after, acme_id, nodes);
    if (ret == 0 && pem)
        ret = mbedtls_x509write_crt_pem(&crt, out, cap, tls_rng, tls_rng_ctx());
    else if (ret == 0)
        ret = mbedtls_x509write_crt_der(&crt, out, cap, tls_rng, tls_rng_ctx());
    mbedtls_x509write_crt_free(&crt);
    if (ret < 0 || (!pem && ret == 0)) {
        errf(err, err_len, "self-signed certificate", ret);
        return -1;
    }
    if (pem)
        *len = strlen((const char *)out);
    else
        to_start(out, cap, ret, len);
    return 0;
}
