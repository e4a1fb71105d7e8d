/* Unit tests for tls/tls_alpn01.c and the ALPN reader of tls/tls_hello.c:
 * a challenge set, loaded by name (case-insensitive) into a certificate
 * that names it, carries the digest in its acmeIdentifier and matches its
 * key; a name without a challenge loads nothing; a table kept across a set
 * that repeats it; the bound of TLS_ALPN01_MAX; clearing; and which ALPN
 * lists offer "acme-tls/1". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls/tls_mbedtls.h"

#include "tls/tls.h"
#include "tls/tls_alpn01.h"
#include "tls/tls_hello.h"
#include "tls/tls_internal.h"

#include <string.h>

static int setup(void **state)
{
    (void)state;
    return tls_global_init();
}

static void test_set_and_load(void **state)
{
    (void)state;
    char err[256];
    const char *names[] = {"www.acme.test", "api.acme.test"};
    uint8_t digests[2][32];
    memset(digests[0], 0x11, 32);
    memset(digests[1], 0x22, 32);
    if (tls_alpn01_set(names, (const uint8_t(*)[32])digests, 2, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_int_equal(tls_alpn01_count(), 2);
    mbedtls_x509_crt crt;
    mbedtls_pk_context pk;
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&pk);
    assert_int_equal(tls_alpn01_load("WWW.acme.test", 13, &crt, &pk), 0);
    assert_int_equal(mbedtls_pk_check_pair(&crt.pk, &pk, tls_rng, tls_rng_ctx()), 0);
    /* the digest is in the certificate's DER (the acmeIdentifier's OCTET STRING) */
    const uint8_t want[] = {0x04, 0x20, 0x11, 0x11, 0x11, 0x11};
    assert_non_null(memmem(crt.raw.p, crt.raw.len, want, sizeof want));
    mbedtls_x509_crt_free(&crt);
    mbedtls_pk_free(&pk);
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&pk);
    assert_int_equal(tls_alpn01_load("other.acme.test", 15, &crt, &pk), -1);
    assert_int_equal(tls_alpn01_load("www.acme.tes", 12, &crt, &pk), -1); /* a prefix is not the name */
    mbedtls_x509_crt_free(&crt);
    mbedtls_pk_free(&pk);
    assert_int_equal(tls_alpn01_set(NULL, NULL, 0, err, sizeof err), 0);
    assert_int_equal(tls_alpn01_count(), 0);
}

static void test_bound(void **state)
{
    (void)state;
    char err[256];
    static const char *names[TLS_ALPN01_MAX + 1];
    static uint8_t digests[TLS_ALPN01_MAX + 1][32];
    for (unsigned i = 0; i <= TLS_ALPN01_MAX; i++)
        names[i] = "www.acme.test";
    assert_int_equal(
        tls_alpn01_set(names, (const uint8_t(*)[32])digests, TLS_ALPN01_MAX + 1, err, sizeof err), -1);
    assert_int_equal(tls_alpn01_count(), 0); /* unchanged */
}

/* A ClientHello body with one ALPN extension listing protos. */
static size_t hello_with_alpn(uint8_t *b, const char *const *protos, unsigned n)
{
    size_t at = 0;
    b[at++] = 3, b[at++] = 3;
    memset(b + at, 0, 32), at += 32;
    b[at++] = 0;                                              /* session id */
    b[at++] = 0, b[at++] = 2, b[at++] = 0x13, b[at++] = 0x01; /* one suite */
    b[at++] = 1, b[at++] = 0;                                 /* compression */
    size_t ext_len_at = at;
    at += 2;
    b[at++] = 0, b[at++] = 16; /* ALPN */
    size_t el_at = at;
    at += 4; /* extension length, list length */
    for (unsigned i = 0; i < n; i++) {
        size_t l = strlen(protos[i]);
        b[at++] = (uint8_t)l;
        memcpy(b + at, protos[i], l), at += l;
    }
    size_t list = at - el_at - 4;
    b[el_at] = (uint8_t)((list + 2) >> 8), b[el_at + 1] = (uint8_t)(list + 2);
    b[el_at + 2] = (uint8_t)(list >> 8), b[el_at + 3] = (uint8_t)list;
    size_t exts = at - ext_len_at - 2;
    b[ext_len_at] = (uint8_t)(exts >> 8), b[ext_len_at + 1] = (uint8_t)exts;
    return at;
}

static void test_hello_offers_alpn(void **state)
{
    (void)state;
    uint8_t b[512];
    const char *acme[] = {"acme-tls/1"}, *web[] = {"h2", "http/1.1"}, *both[] = {"http/1.1", "acme-tls/1"};
    const char *near[] = {"acme-tls/12"};
    size_t n = hello_with_alpn(b, acme, 1);
    assert_true(tls_hello_offers_alpn(b, n, "acme-tls/1"));
    n = hello_with_alpn(b, web, 2);
    assert_false(tls_hello_offers_alpn(b, n, "acme-tls/1"));
    assert_true(tls_hello_offers_alpn(b, n, "http/1.1"));
    n = hello_with_alpn(b, both, 2);
    assert_true(tls_hello_offers_alpn(b, n, "acme-tls/1"));
    n = hello_with_alpn(b, near, 1);
    assert_false(tls_hello_offers_alpn(b, n, "acme-tls/1"));
    assert_false(tls_hello_offers_alpn(b, n - 3, "acme-tls/1")); /* cut short: no read past the end */
    assert_false(tls_hello_offers_alpn(b, 10, "acme-tls/1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_load),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_hello_offers_alpn),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
