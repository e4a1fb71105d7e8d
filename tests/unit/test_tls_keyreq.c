/*
 * Unit tests for tls/tls_keyreq.c: the key holder's request and answer
 * codec, at every boundary (sizes, key index, hash lengths, algorithms
 * for each kind of key, sequence numbers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls/tls_keyreq.h"

#include <stdbool.h>
#include <string.h>

static const enum tls_key_kind kinds[] = {TLS_KEY_KIND_EC, TLS_KEY_KIND_RSA};

static struct tls_keyreq sign_req(unsigned key, enum tls_key_alg alg)
{
    uint8_t hash[TLS_KEYREQ_HASH_MAX];
    memset(hash, 0xab, sizeof hash);
    struct tls_keyreq r;
    assert_int_equal(tls_keyreq_sign(&r, 7, key, alg, hash, tls_key_alg_hash_len(alg)), 0);
    return r;
}

static enum tls_keyreq_status parse(const void *buf, size_t n, uint32_t *seq)
{
    struct tls_keyreq out;
    return tls_keyreq_parse(buf, n, kinds, 2, &out, seq);
}

static void test_good_requests_pass(void **state)
{
    (void)state;
    uint32_t seq;
    struct tls_keyreq r = sign_req(0, TLS_KEY_ALG_ECDSA_SHA256);
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_OK);
    assert_int_equal(seq, 7);
    r = sign_req(1, TLS_KEY_ALG_RSA_PSS_SHA512);
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_OK);
    r = sign_req(1, TLS_KEY_ALG_RSA_PKCS1_SHA384);
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_OK);
    tls_keyreq_public(&r, 9, 1);
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_OK);
    assert_int_equal(seq, 9);
}

/* Exactly TLS_KEYREQ_SIZE bytes: one less, one more, none. */
static void test_size_boundaries(void **state)
{
    (void)state;
    uint8_t buf[TLS_KEYREQ_SIZE + 1];
    struct tls_keyreq r = sign_req(0, TLS_KEY_ALG_ECDSA_SHA256);
    memcpy(buf, &r, sizeof r);
    uint32_t seq = 1;
    assert_int_equal(parse(buf, TLS_KEYREQ_SIZE - 1, &seq), TLS_KEYREQ_BAD_SIZE);
    assert_int_equal(seq, 0); /* too short to trust its number */
    assert_int_equal(parse(buf, TLS_KEYREQ_SIZE + 1, &seq), TLS_KEYREQ_BAD_SIZE);
    assert_int_equal(parse(buf, 0, &seq), TLS_KEYREQ_BAD_SIZE);
    assert_int_equal(parse(buf, TLS_KEYREQ_SIZE, &seq), TLS_KEYREQ_OK);
}

static void test_magic_and_op(void **state)
{
    (void)state;
    uint32_t seq;
    struct tls_keyreq r = sign_req(0, TLS_KEY_ALG_ECDSA_SHA256);
    r.magic ^= 1;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_MAGIC);
    r = sign_req(0, TLS_KEY_ALG_ECDSA_SHA256);
    r.op = 0;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_OP);
    assert_int_equal(seq, 7); /* a refusal is still answered under its number */
    r.op = TLS_KEYREQ_PUBLIC + 1;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_OP);
}

/* Keys 0..n-1 exist; n, the protocol's maximum and beyond do not. */
static void test_key_index_boundaries(void **state)
{
    (void)state;
    uint32_t seq;
    struct tls_keyreq r = sign_req(1, TLS_KEY_ALG_RSA_PSS_SHA256);
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_OK);
    r.key = 2;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_KEY);
    r.key = TLS_KEYREQ_KEYS_MAX;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_KEY);
    r.key = UINT16_MAX;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_KEY);
    tls_keyreq_public(&r, 1, 2);
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_KEY);
    /* a hole in the table is no key either */
    enum tls_key_kind holes[] = {TLS_KEY_KIND_EC, TLS_KEY_KIND_NONE};
    struct tls_keyreq out;
    r = sign_req(1, TLS_KEY_ALG_ECDSA_SHA256);
    assert_int_equal(tls_keyreq_parse(&r, sizeof r, holes, 2, &out, &seq), TLS_KEYREQ_BAD_KEY);
}

/* ECDSA only for EC keys, PKCS#1 / PSS only for RSA keys, nothing else. */
static void test_algorithm_fits_the_key(void **state)
{
    (void)state;
    uint32_t seq;
    for (int a = TLS_KEY_ALG_ECDSA_SHA256; a < TLS_KEY_ALG_END; a++) {
        bool ec = a <= TLS_KEY_ALG_ECDSA_SHA512;
        struct tls_keyreq r = sign_req(0, (enum tls_key_alg)a);
        assert_int_equal(parse(&r, sizeof r, &seq), ec ? TLS_KEYREQ_OK : TLS_KEYREQ_BAD_ALG);
        r.key = 1;
        assert_int_equal(parse(&r, sizeof r, &seq), ec ? TLS_KEYREQ_BAD_ALG : TLS_KEYREQ_OK);
    }
    struct tls_keyreq r = sign_req(0, TLS_KEY_ALG_ECDSA_SHA256);
    r.alg = TLS_KEY_ALG_NONE;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_ALG);
    r.alg = TLS_KEY_ALG_END;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_ALG);
    r.alg = UINT16_MAX;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_ALG);
}

/* The hash is the algorithm's length, not one byte more or less. */
static void test_hash_length_boundaries(void **state)
{
    (void)state;
    uint32_t seq;
    struct tls_keyreq r = sign_req(0, TLS_KEY_ALG_ECDSA_SHA384);
    assert_int_equal(r.hash_len, 48);
    r.hash_len = 47;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_HASH);
    r.hash_len = 49;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_HASH);
    r.hash_len = UINT16_MAX;
    assert_int_equal(parse(&r, sizeof r, &seq), TLS_KEYREQ_BAD_HASH);
    uint8_t hash[TLS_KEYREQ_HASH_MAX + 1] = {0};
    assert_int_equal(tls_keyreq_sign(&r, 1, 0, TLS_KEY_ALG_ECDSA_SHA512, hash, 64), 0);
    assert_int_equal(tls_keyreq_sign(&r, 1, 0, TLS_KEY_ALG_ECDSA_SHA512, hash, 65), -1);
    assert_int_equal(tls_keyreq_sign(&r, 1, 0, TLS_KEY_ALG_ECDSA_SHA256, hash, 0), -1);
    assert_int_equal(tls_keyreq_sign(&r, 1, 0, TLS_KEY_ALG_NONE, hash, 32), -1);
    assert_int_equal(tls_keyreq_sign(&r, 1, TLS_KEYREQ_KEYS_MAX, TLS_KEY_ALG_ECDSA_SHA256, hash, 32), -1);
}

static void test_answers_round_trip(void **state)
{
    (void)state;
    uint8_t buf[TLS_KEYREP_MAX + 1], data[TLS_KEYREQ_DATA_MAX + 1];
    memset(data, 0x5a, sizeof data);
    struct tls_keyrep rep;
    const char *why = NULL;
    size_t n = tls_keyrep_encode(buf, sizeof buf, 42, TLS_KEYREQ_SIGN, TLS_KEYREQ_OK, data, 64);
    assert_int_equal(n, sizeof(struct tls_keyrep_header) + 64);
    assert_int_equal(tls_keyrep_parse(buf, n, 42, &rep, &why), 1);
    assert_int_equal(rep.len, 64);
    assert_memory_equal(rep.data, data, 64);
    /* another request's answer: dropped, not an error */
    assert_int_equal(tls_keyrep_parse(buf, n, 43, &rep, &why), 0);
    /* the largest answer, and one byte more */
    n = tls_keyrep_encode(buf, sizeof buf, 1, TLS_KEYREQ_PUBLIC, TLS_KEYREQ_OK, data, TLS_KEYREQ_DATA_MAX);
    assert_int_equal(n, TLS_KEYREP_MAX);
    assert_int_equal(tls_keyrep_parse(buf, n, 1, &rep, &why), 1);
    assert_int_equal(
        tls_keyrep_encode(buf, sizeof buf, 1, TLS_KEYREQ_SIGN, TLS_KEYREQ_OK, data, TLS_KEYREQ_DATA_MAX + 1),
        0);
    assert_int_equal(tls_keyrep_encode(buf, 20, 1, TLS_KEYREQ_SIGN, TLS_KEYREQ_OK, data, 8), 0);
    n = tls_keyrep_encode(buf, sizeof buf, 5, TLS_KEYREQ_SIGN, TLS_KEYREQ_BAD_KEY, NULL, 0);
    assert_int_equal(tls_keyrep_parse(buf, n, 5, &rep, &why), 1);
    assert_int_equal(rep.status, TLS_KEYREQ_BAD_KEY);
}

static void test_bad_answers_refused(void **state)
{
    (void)state;
    uint8_t buf[TLS_KEYREP_MAX + 8] = {0};
    struct tls_keyrep rep;
    const char *why = NULL;
    size_t n = tls_keyrep_encode(buf, sizeof buf, 3, TLS_KEYREQ_SIGN, TLS_KEYREQ_OK, "sig", 3);
    assert_int_equal(tls_keyrep_parse(buf, n - 1, 3, &rep, &why), -1); /* length field says 3 */
    assert_int_equal(tls_keyrep_parse(buf, sizeof(struct tls_keyrep_header) - 1, 3, &rep, &why), -1);
    assert_int_equal(tls_keyrep_parse(buf, TLS_KEYREP_MAX + 1, 3, &rep, &why), -1);
    struct tls_keyrep_header h;
    memcpy(&h, buf, sizeof h);
    h.status = TLS_KEYREQ_BAD_ALG; /* a refusal carries no data */
    memcpy(buf, &h, sizeof h);
    assert_int_equal(tls_keyrep_parse(buf, n, 3, &rep, &why), -1);
    h.status = TLS_KEYREQ_STATUS_END;
    h.len = 0;
    memcpy(buf, &h, sizeof h);
    assert_int_equal(tls_keyrep_parse(buf, sizeof h, 3, &rep, &why), -1);
    h.status = TLS_KEYREQ_OK;
    h.op = 9;
    memcpy(buf, &h, sizeof h);
    assert_int_equal(tls_keyrep_parse(buf, sizeof h, 3, &rep, &why), -1);
    h.op = TLS_KEYREQ_SIGN;
    h.magic = 0;
    memcpy(buf, &h, sizeof h);
    assert_int_equal(tls_keyrep_parse(buf, sizeof h, 3, &rep, &why), -1);
    assert_non_null(why);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(tls_keyreq_status_name(TLS_KEYREQ_OK), "ok");
    assert_string_equal(tls_keyreq_status_name(TLS_KEYREQ_BAD_KEY), "key");
    assert_string_equal(tls_keyreq_status_name(TLS_KEYREQ_FAILED), "failed");
    assert_string_equal(tls_keyreq_status_name(TLS_KEYREQ_STATUS_END), "unknown");
    assert_int_equal(tls_key_alg_kind(TLS_KEY_ALG_NONE), TLS_KEY_KIND_NONE);
    assert_int_equal(tls_key_alg_kind(TLS_KEY_ALG_END), TLS_KEY_KIND_NONE);
    assert_int_equal(tls_key_alg_hash_len(TLS_KEY_ALG_RSA_PKCS1_SHA256), 32);
    assert_int_equal(tls_key_alg_hash_len(TLS_KEY_ALG_END), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_requests_pass),
        cmocka_unit_test(test_size_boundaries),
        cmocka_unit_test(test_magic_and_op),
        cmocka_unit_test(test_key_index_boundaries),
        cmocka_unit_test(test_algorithm_fits_the_key),
        cmocka_unit_test(test_hash_length_boundaries),
        cmocka_unit_test(test_answers_round_trip),
        cmocka_unit_test(test_bad_answers_refused),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
