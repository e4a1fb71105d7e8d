/* Unit tests for gateway/acme/acme_jws.c: the flattened JWS of a request
 * (protected header with alg, nonce, url and jwk or kid; the payload; a
 * 64-byte ES256 signature), POST-as-GET's empty payload, the bound of the
 * output, arguments refused (a nonce that is not base64url, a URL that is
 * not https), and the key authorization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/b64url.h"
#include "gateway/acme/acme_jws.h"

#include <jansson.h>
#include <string.h>

static struct tls_acme_key *key;

static int setup(void **state)
{
    (void)state;
    char err[128];
    return tls_acme_key_generate(TLS_ACME_KEY_ECDSA, &key, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    tls_acme_key_free(key);
    return 0;
}

/* The decoded member `name` of the JWS text into out. */
static size_t jws_part(const char *jws, const char *name, char *out, size_t cap)
{
    json_t *o = json_loads(jws, 0, NULL);
    assert_non_null(o);
    const char *v = json_string_value(json_object_get(o, name));
    assert_non_null(v);
    long n = b64url_decode(v, strlen(v), (uint8_t *)out, cap - 1);
    json_decref(o);
    assert_true(n >= 0);
    out[n] = '\0';
    return (size_t)n;
}

static void test_jwk_header(void **state)
{
    (void)state;
    char jws[ACME_JWS_MAX], hdr[1024], payload[256], sig[128];
    size_t n = acme_jws(key, NULL, "abc_-123", "https://acme.test/new-acct", "{\"a\":1}", jws, sizeof jws);
    assert_true(n > 0);
    assert_int_equal(strlen(jws), n);
    jws_part(jws, "protected", hdr, sizeof hdr);
    json_t *h = json_loads(hdr, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES256");
    assert_string_equal(json_string_value(json_object_get(h, "nonce")), "abc_-123");
    assert_string_equal(json_string_value(json_object_get(h, "url")), "https://acme.test/new-acct");
    assert_null(json_object_get(h, "kid"));
    json_t *jwk = json_object_get(h, "jwk");
    char x[TLS_ACME_B64_COORD_MAX], y[TLS_ACME_B64_COORD_MAX];
    assert_int_equal(tls_acme_jwk_coords(key, x, y), 0);
    assert_string_equal(json_string_value(json_object_get(jwk, "x")), x);
    assert_string_equal(json_string_value(json_object_get(jwk, "y")), y);
    assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
    json_decref(h);
    jws_part(jws, "payload", payload, sizeof payload);
    assert_string_equal(payload, "{\"a\":1}");
    assert_int_equal(jws_part(jws, "signature", sig, sizeof sig), TLS_ACME_ES256_LEN);
}

static void test_kid_header_and_post_as_get(void **state)
{
    (void)state;
    char jws[ACME_JWS_MAX], hdr[1024];
    assert_true(acme_jws(key, "https://acme.test/acct/1", "n1", "https://acme.test/order/1", "", jws,
                         sizeof jws) > 0);
    jws_part(jws, "protected", hdr, sizeof hdr);
    json_t *h = json_loads(hdr, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(h, "kid")), "https://acme.test/acct/1");
    assert_null(json_object_get(h, "jwk"));
    json_decref(h);
    assert_non_null(strstr(jws, "\"payload\":\"\""));
}

static void test_bounds_and_refusals(void **state)
{
    (void)state;
    char jws[ACME_JWS_MAX];
    size_t n = acme_jws(key, NULL, "n1", "https://acme.test/x", "{}", jws, sizeof jws);
    assert_true(n > 0);
    assert_int_equal(acme_jws(key, NULL, "n1", "https://acme.test/x", "{}", jws, n),
                     0); /* no room for the NUL */
    assert_int_equal(acme_jws(key, NULL, "n1", "https://acme.test/x", "{}", jws, n + 1), n);
    assert_int_equal(acme_jws(key, NULL, "n\"1", "https://acme.test/x", "{}", jws, sizeof jws), 0);
    assert_int_equal(acme_jws(key, NULL, "", "https://acme.test/x", "{}", jws, sizeof jws), 0);
    assert_int_equal(acme_jws(key, NULL, "n1", "http://acme.test/x", "{}", jws, sizeof jws), 0);
    assert_int_equal(acme_jws(key, "kid with space", "n1", "https://acme.test/x", "{}", jws, sizeof jws), 0);
    char nonce[ACME_NONCE_MAX + 1];
    memset(nonce, 'a', ACME_NONCE_MAX);
    nonce[ACME_NONCE_MAX] = '\0';
    assert_int_equal(acme_jws(key, NULL, nonce, "https://acme.test/x", "{}", jws, sizeof jws), 0);
    nonce[ACME_NONCE_MAX - 1] = '\0'; /* the longest kept */
    assert_true(acme_jws(key, NULL, nonce, "https://acme.test/x", "{}", jws, sizeof jws) > 0);
}

static void test_key_authorization(void **state)
{
    (void)state;
    char out[ACME_KEYAUTH_MAX];
    const char *tok = "abcdefghijklmnopqrstuv"; /* ACME_TOKEN_MIN characters */
    assert_int_equal(acme_key_authorization(tok, "THUMB", out, sizeof out), strlen(tok) + 6);
    assert_string_equal(out, "abcdefghijklmnopqrstuv.THUMB");
    assert_int_equal(acme_key_authorization("abcdefghijklmnopqrstu", "THUMB", out, sizeof out),
                     0); /* too short */
    assert_int_equal(acme_key_authorization("abcdefghijklmnopqrstu/", "THUMB", out, sizeof out), 0);
    assert_int_equal(acme_key_authorization(tok, "", out, sizeof out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwk_header),
        cmocka_unit_test(test_kid_header_and_post_as_get),
        cmocka_unit_test(test_bounds_and_refusals),
        cmocka_unit_test(test_key_authorization),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
