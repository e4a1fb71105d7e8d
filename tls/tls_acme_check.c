/*
 * tls_acme_check.c: what a leaf certificate says (validity, serial and
 * authority key id for ACME Renewal Information, fingerprint, placeholder
 * or not), and whether an issued chain and key may be served. See
 * tls_acme.h.
 */
#include "tls/tls_acme.h"
#include "tls/tls_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int64_t x509_time_s(const mbedtls_x509_time *t)
{
    struct tm tm = {.tm_year = t->year - 1900,
                    .tm_mon = t->mon - 1,
                    .tm_mday = t->day,
                    .tm_hour = t->hour,
                    .tm_min = t->min,
                    .tm_sec = t->sec};
    return (int64_t)timegm(&tm);
}

/* A chain in PEM: mbedTLS wants the NUL counted. */
static int parse_chain(mbedtls_x509_crt *crt, const char *pem, size_t len, char *err, size_t err_len)
{
    if (len == 0 || len >= TLS_ACME_CERT_PEM_MAX || memchr(pem, '\0', len)) {
        snprintf(err, err_len, "certificate chain: empty, longer than %d bytes, or not text",
                 TLS_ACME_CERT_PEM_MAX);
        return -1;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        snprintf(err, err_len, "certificate chain: out of memory");
        return -1;
    }
    memcpy(copy, pem, len);
    copy[len] = '\0';
    int ret = mbedtls_x509_crt_parse(crt, (const unsigned char *)copy, len + 1);
    free(copy);
    if (ret != 0) { /* > 0: some certificates did not parse, which is as bad */
        char why[96] = "a certificate of it does not parse";
        if (ret < 0)
            mbedtls_strerror(ret, why, sizeof why);
        snprintf(err, err_len, "certificate chain: %s", why);
        return -1;
    }
    return 0;
}

static bool is_placeholder(const mbedtls_x509_crt *c)
{
    char dn[512];
    if (mbedtls_x509_dn_gets(dn, sizeof dn, &c->subject) < 0)
        return false;
    return c->issuer_raw.len == c->subject_raw.len &&
           memcmp(c->issuer_raw.p, c->subject_raw.p, c->issuer_raw.len) == 0 &&
           strstr(dn, TLS_ACME_PLACEHOLDER_ORG) != NULL;
}

static void leaf_info(const mbedtls_x509_crt *c, struct tls_acme_cert_info *out)
{
    memset(out, 0, sizeof *out);
    out->not_before_s = x509_time_s(&c->valid_from);
    out->not_after_s = x509_time_s(&c->valid_to);
    out->serial_len = c->serial.len < sizeof out->serial ? c->serial.len : sizeof out->serial;
    memcpy(out->serial, c->serial.p, out->serial_len);
    const mbedtls_x509_buf *kid = &c->authority_key_id.keyIdentifier;
    if (kid->p && kid->len <= sizeof out->keyid) {
        memcpy(out->keyid, kid->p, kid->len);
        out->keyid_len = kid->len;
    }
    tls_acme_sha256(c->raw.p, c->raw.len, out->fingerprint);
    out->placeholder = is_placeholder(c);
    out->key_type = mbedtls_pk_get_type(&c->pk) == MBEDTLS_PK_RSA ? TLS_ACME_KEY_RSA : TLS_ACME_KEY_ECDSA;
}

int tls_acme_cert_info(const char *chain, size_t len, struct tls_acme_cert_info *out, char *err,
                       size_t err_len)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int rc = parse_chain(&crt, chain, len, err, err_len);
    if (rc == 0)
        leaf_info(&crt, out);
    mbedtls_x509_crt_free(&crt);
    return rc;
}

/* Whether the leaf's subjectAltName has a dNSName equal to name. */
static bool san_has(const mbedtls_x509_crt *c, const char *name)
{
    size_t len = strlen(name);
    for (const mbedtls_x509_sequence *s = &c->subject_alt_names; s && s->buf.p; s = s->next) {
        mbedtls_x509_subject_alternative_name san;
        if (mbedtls_x509_parse_subject_alt_name(&s->buf, &san) != 0)
            continue;
        bool match = san.type == MBEDTLS_X509_SAN_DNS_NAME && san.san.unstructured_name.len == len &&
                     strncasecmp((const char *)san.san.unstructured_name.p, name, len) == 0;
        mbedtls_x509_free_subject_alt_name(&san);
        if (match)
            return true;
    }
    return false;
}

static int check_leaf(const mbedtls_x509_crt *c, const char *const *names, unsigned n, int64_t now, char *err,
                      size_t err_len)
{
    for (unsigned i = 0; i < n; i++) {
        if (!san_has(c, names[i])) {
            snprintf(err, err_len, "the certificate does not name '%s'", names[i]);
            return -1;
        }
    }
    int64_t nb = x509_time_s(&c->valid_from), na = x509_time_s(&c->valid_to);
    if (now < nb || now >= na) {
        snprintf(err, err_len, "the certificate is not valid now (valid %lld to %lld, now %lld)",
                 (long long)nb, (long long)na, (long long)now);
        return -1;
    }
    return 0;
}

static int check_issuer(mbedtls_x509_crt *chain, const char *issuer_file, const char *name, char *err,
                        size_t err_len)
{
    mbedtls_x509_crt ca;
    mbedtls_x509_crt_init(&ca);
    int ret = mbedtls_x509_crt_parse_file(&ca, issuer_file);
    uint32_t flags = 0;
    if (ret >= 0 && ca.raw.p)
        ret = mbedtls_x509_crt_verify(chain, &ca, NULL, name, &flags, NULL, NULL);
    else
        snprintf(err, err_len, "%s: cannot read the issuer's certificates", issuer_file);
    mbedtls_x509_crt_free(&ca);
    if (ret == 0)
        return 0;
    if (flags) {
        char why[256];
        mbedtls_x509_crt_verify_info(why, sizeof why, "", flags);
        why[strcspn(why, "\n")] = '\0';
        snprintf(err, err_len, "the chain does not verify to %s: %s", issuer_file, why);
    }
    return -1;
}

static int check_key(const mbedtls_x509_crt *c, const char *key, size_t key_len, enum tls_acme_key_type type,
                     char *err, size_t err_len)
{
    struct tls_acme_key *k = NULL;
    if (tls_acme_key_parse(key, key_len, &k, err, err_len) < 0)
        return -1;
    int rc = 0;
    if (tls_acme_key_kind(k) != type) {
        snprintf(err, err_len, "the key is %s where %s was asked for",
                 tls_acme_key_type_name(tls_acme_key_kind(k)), tls_acme_key_type_name(type));
        rc = -1;
    } else if (mbedtls_pk_check_pair(&c->pk, &k->pk, tls_rng, tls_rng_ctx()) != 0) {
        snprintf(err, err_len, "the private key is not the certificate's");
        rc = -1;
    }
    tls_acme_key_free(k);
    return rc;
}

int tls_acme_cert_check(const char *chain, size_t chain_len, const char *key, size_t key_len,
                        enum tls_acme_key_type type, const char *const *names, unsigned n,
                        const char *issuer_file, int64_t now, struct tls_acme_cert_info *info, char *err,
                        size_t err_len)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int rc = parse_chain(&crt, chain, chain_len, err, err_len);
    if (rc == 0)
        rc = check_key(&crt, key, key_len, type, err, err_len);
    if (rc == 0)
        rc = check_leaf(&crt, names, n, now, err, err_len);
    if (rc == 0 && issuer_file && issuer_file[0])
        rc = check_issuer(&crt, issuer_file, names[0], err, err_len);
    if (rc == 0)
        leaf_info(&crt, info);
    mbedtls_x509_crt_free(&crt);
    return rc;
}
