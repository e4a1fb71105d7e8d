/*
 * tls_alpn01: TLS-ALPN-01 challenge certificates. See tls_alpn01.h.
 */
#include "tls/tls_mbedtls.h"

#include "tls/tls.h"
#include "tls/tls_acme.h"
#include "tls/tls_alpn01.h"
#include "tls/tls_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ALPN01_CERT_MAX 1024        /* a P-256 self-signed certificate, DER (~400 bytes) */
#define ALPN01_VALID_S  (7 * 86400) /* a challenge certificate's validity */

struct alpn01_slot {
    char name[TLS_ACME_NAME_MAX + 1];
    uint8_t digest[TLS_ACME_SHA256_LEN];
    uint8_t der[ALPN01_CERT_MAX];
    size_t der_len;
    char key[TLS_ACME_KEY_PEM_MAX];
    size_t key_len; /* with its NUL: what mbedtls_pk_parse_key takes */
};

atomic_ullong tls_alpn01_answers;

uint64_t tls_alpn01_answered(void)
{
    return atomic_load_explicit(&tls_alpn01_answers, memory_order_relaxed);
}

static pthread_mutex_t alpn01_lock = PTHREAD_MUTEX_INITIALIZER;
static struct alpn01_slot alpn01_slots[TLS_ALPN01_MAX], alpn01_next[TLS_ALPN01_MAX];
static unsigned alpn01_n;

/* A slot of the table now with this name and digest (made before). */
static const struct alpn01_slot *alpn01_find(const char *name, const uint8_t *digest)
{
    for (unsigned i = 0; i < alpn01_n; i++)
        if (strcasecmp(alpn01_slots[i].name, name) == 0 &&
            memcmp(alpn01_slots[i].digest, digest, TLS_ACME_SHA256_LEN) == 0)
            return &alpn01_slots[i];
    return NULL;
}

static int alpn01_make(struct alpn01_slot *s, const char *name, const uint8_t *digest, char *err,
                       size_t err_len)
{
    struct tls_acme_key *k = NULL;
    const char *names[] = {name};
    int64_t now = (int64_t)time(NULL);
    if (snprintf(s->name, sizeof s->name, "%s", name) >= (int)sizeof s->name)
        return snprintf(err, err_len, "tls-alpn-01: name too long"), -1;
    memcpy(s->digest, digest, TLS_ACME_SHA256_LEN);
    if (tls_acme_key_generate(TLS_ACME_KEY_ECDSA, &k, err, err_len) < 0)
        return -1;
    int rc = tls_acme_self_signed(k, names, 1, now - 3600, now + ALPN01_VALID_S, digest, false, s->der,
                                  sizeof s->der, &s->der_len, err, err_len);
    size_t kl = rc == 0 ? tls_acme_key_pem(k, s->key, sizeof s->key) : 0;
    tls_acme_key_free(k);
    if (rc == 0 && kl == 0) {
        snprintf(err, err_len, "tls-alpn-01: key does not fit");
        rc = -1;
    }
    s->key_len = kl + 1;
    return rc;
}

int tls_alpn01_set(const char *const *names, const uint8_t (*digests)[TLS_ACME_SHA256_LEN], unsigned n,
                   char *err, size_t err_len)
{
    if (n > TLS_ALPN01_MAX)
        return snprintf(err, err_len, "tls-alpn-01: more than %d challenges", TLS_ALPN01_MAX), -1;
    /* made outside the lock (a key takes a few ms); only the control thread sets */
    for (unsigned i = 0; i < n; i++) {
        pthread_mutex_lock(&alpn01_lock);
        const struct alpn01_slot *old = alpn01_find(names[i], digests[i]);
        if (old)
            alpn01_next[i] = *old;
        pthread_mutex_unlock(&alpn01_lock);
        if (!old && alpn01_make(&alpn01_next[i], names[i], digests[i], err, err_len) < 0)
            return -1;
    }
    pthread_mutex_lock(&alpn01_lock);
    memcpy(alpn01_slots, alpn01_next, n * sizeof alpn01_slots[0]);
    alpn01_n = n;
    pthread_mutex_unlock(&alpn01_lock);
    explicit_bzero(alpn01_next, sizeof alpn01_next);
    return 0;
}

unsigned tls_alpn01_count(void)
{
    pthread_mutex_lock(&alpn01_lock);
    unsigned n = alpn01_n;
    pthread_mutex_unlock(&alpn01_lock);
    return n;
}

/* mbedTLS refuses a certificate with a critical extension it does not
 * know; the challenge certificate's acmeIdentifier (1.3.6.1.5.5.7.1.31,
 * RFC 8737 section 3) is the one it may carry. */
static int alpn01_ext(void *ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid, int critical,
                      const unsigned char *p, const unsigned char *end)
{
    (void)ctx, (void)crt, (void)critical, (void)p, (void)end;
    static const unsigned char acme_id[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f};
    return oid->len == sizeof acme_id && memcmp(oid->p, acme_id, sizeof acme_id) == 0 ? 0 : -1;
}

int tls_alpn01_load(const char *name, size_t len, mbedtls_x509_crt *crt, mbedtls_pk_context *pk)
{
    int rc = -1;
    pthread_mutex_lock(&alpn01_lock);
    for (unsigned i = 0; i < alpn01_n; i++) {
        const struct alpn01_slot *s = &alpn01_slots[i];
        if (strlen(s->name) != len || strncasecmp(s->name, name, len) != 0)
            continue;
        if (mbedtls_x509_crt_parse_der_with_ext_cb(crt, s->der, s->der_len, 1, alpn01_ext, NULL) == 0 &&
            mbedtls_pk_parse_key(pk, (const unsigned char *)s->key, s->key_len, NULL, 0, tls_rng,
                                 tls_rng_ctx()) == 0)
            rc = 0;
        break;
    }
    pthread_mutex_unlock(&alpn01_lock);
    return rc;
}
