/*
 * Unit tests for gateway/proc/keyholder.c: one channel of the key holder,
 * served by keyholder_serve_one with a real keyring (an ECDSA P-256 and
 * an RSA 2048 certificate made by openssl), the test playing the relay on
 * the other end of the socketpair. Hostile input (garbage, empty, short
 * and long messages, unknown key indexes, wrong algorithms and hash
 * lengths) is answered with its reason and counted, and the channel goes
 * on answering good requests. Signatures verify with the certificate's
 * public key. The key/cert pair check is tls_keyring's: a key that is not
 * its certificate's is refused at load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/config/config.h"
#include "gateway/proc/keyholder.h"
#include "tests/unit/helpers/tls_harness.h"
#include "tls/tls_keyring.h"
#include "tls/tls_psa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct env {
    char dir[64];
    struct tls_keyring *kr;
    struct keyholder_counts counts;
    int sv[2]; /* [0] the test (the relay), [1] the key holder's end */
};

static int setup(void **state)
{
    static struct env e;
    snprintf(e.dir, sizeof e.dir, "/tmp/rampart-test-kh-XXXXXX");
    if (!mkdtemp(e.dir) ||
        tls_harness_make_cert(e.dir, "ec", "www.rampart.test", "ec -pkeyopt ec_paramgen_curve:P-256") ||
        tls_harness_make_cert(e.dir, "rsa", "rsa.rampart.test", "rsa:2048"))
        return -1;
    struct tls_config cfg = {.n_certs = 2};
    tls_harness_set_cert(&cfg.certs[0], e.dir, "www.rampart.test", "ec", "ec");
    tls_harness_set_cert(&cfg.certs[1], e.dir, "rsa.rampart.test", "rsa", "rsa");
    char err[256];
    e.kr = tls_keyring_load(&cfg, err, sizeof err);
    if (!e.kr) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, e.sv) < 0)
        return -1;
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    tls_keyring_free(e->kr);
    close(e->sv[0]);
    close(e->sv[1]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
    return tls_harness_run(cmd);
}

/* Sends n bytes as one message, lets the key holder answer, reads the
 * answer for seq into rep (1), or says the answer was malformed (-1). */
static int exchange(struct env *e, const void *msg, size_t n, uint32_t seq, uint8_t *buf,
                    struct tls_keyrep *rep, enum tls_keyreq_status *status)
{
    assert_int_equal(send(e->sv[0], msg, n, 0), (ssize_t)n);
    assert_int_equal(keyholder_serve_one(e->kr, e->sv[1], &e->counts, status), 1);
    ssize_t got = recv(e->sv[0], buf, TLS_KEYREP_MAX, 0);
    assert_true(got > 0);
    const char *why;
    return tls_keyrep_parse(buf, (size_t)got, seq, rep, &why);
}

static unsigned long long count(struct env *e, enum tls_keyreq_status s)
{
    return atomic_load(&e->counts.answers[s]);
}

/* The public key in P-256 SubjectPublicKeyInfo ends with 0x04 || X || Y. */
#define P256_POINT_LEN 65

static void test_sign_verifies_with_the_certificate(void **state)
{
    struct env *e = *state;
    uint8_t buf[TLS_KEYREP_MAX], hash[32], point[P256_POINT_LEN], sig[64];
    struct tls_keyreq req;
    struct tls_keyrep rep;
    enum tls_keyreq_status st;
    tls_keyreq_public(&req, 1, 0);
    assert_int_equal(exchange(e, &req, sizeof req, 1, buf, &rep, &st), 1);
    assert_int_equal(st, TLS_KEYREQ_OK);
    assert_true(rep.len > P256_POINT_LEN);
    memcpy(point, rep.data + rep.len - P256_POINT_LEN, P256_POINT_LEN);
    memset(hash, 0x42, sizeof hash);
    assert_int_equal(tls_keyreq_sign(&req, 2, 0, TLS_KEY_ALG_ECDSA_SHA256, hash, sizeof hash), 0);
    assert_int_equal(exchange(e, &req, sizeof req, 2, buf, &rep, &st), 1);
    assert_int_equal(rep.status, TLS_KEYREQ_OK);
    assert_int_equal(rep.len, sizeof sig);
    memcpy(sig, rep.data, sizeof sig);
    uint32_t pub;
    assert_int_equal(tls_psa_import(TLS_PSA_P256_PUBLIC, point, sizeof point, &pub), TLS_PSA_OK);
    assert_int_equal(tls_psa_verify(pub, TLS_PSA_SHA256, hash, sizeof hash, sig, sizeof sig), TLS_PSA_OK);
    hash[0] ^= 1;
    assert_int_equal(tls_psa_verify(pub, TLS_PSA_SHA256, hash, sizeof hash, sig, sizeof sig),
                     TLS_PSA_INVALID_SIGNATURE);
    tls_psa_destroy(pub);
}

/* RSA: PKCS#1 v1.5 (TLS 1.2) and PSS (TLS 1.3), 256-byte signatures. */
static void test_rsa_both_paddings(void **state)
{
    struct env *e = *state;
    uint8_t buf[TLS_KEYREP_MAX], hash[48] = {1, 2, 3};
    struct tls_keyreq req;
    struct tls_keyrep rep;
    enum tls_keyreq_status st;
    assert_int_equal(tls_keyreq_sign(&req, 3, 1, TLS_KEY_ALG_RSA_PKCS1_SHA384, hash, sizeof hash), 0);
    assert_int_equal(exchange(e, &req, sizeof req, 3, buf, &rep, &st), 1);
    assert_int_equal(rep.status, TLS_KEYREQ_OK);
    assert_int_equal(rep.len, 256);
    assert_int_equal(tls_keyreq_sign(&req, 4, 1, TLS_KEY_ALG_RSA_PSS_SHA384, hash, sizeof hash), 0);
    assert_int_equal(exchange(e, &req, sizeof req, 4, buf, &rep, &st), 1);
    assert_int_equal(rep.status, TLS_KEYREQ_OK);
    assert_int_equal(rep.len, 256);
}

/* Every kind of bad request: answered with its reason, counted, and the
 * next good one is answered as if nothing happened. */
static void test_hostile_requests_refused_and_counted(void **state)
{
    struct env *e = *state;
    uint8_t buf[TLS_KEYREP_MAX], junk[2048];
    struct tls_keyrep rep;
    enum tls_keyreq_status st;
    memset(junk, 0xee, sizeof junk);
    unsigned long long size0 = count(e, TLS_KEYREQ_BAD_SIZE), magic0 = count(e, TLS_KEYREQ_BAD_MAGIC);
    const size_t sizes[] = {0, 1, TLS_KEYREQ_SIZE - 1, TLS_KEYREQ_SIZE + 1, sizeof junk};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        assert_int_equal(exchange(e, junk, sizes[i], 0, buf, &rep, &st), 1);
        assert_int_equal(rep.status, TLS_KEYREQ_BAD_SIZE);
    }
    assert_int_equal(count(e, TLS_KEYREQ_BAD_SIZE), size0 + 5);
    assert_int_equal(exchange(e, junk, TLS_KEYREQ_SIZE, 0, buf, &rep, &st), 1);
    assert_int_equal(rep.status, TLS_KEYREQ_BAD_MAGIC);
    assert_int_equal(count(e, TLS_KEYREQ_BAD_MAGIC), magic0 + 1);

    uint8_t hash[64] = {0};
    struct tls_keyreq req;
    struct {
        unsigned key;
        enum tls_key_alg alg;
        size_t hash_len;
        enum tls_keyreq_status want;
    } bad[] = {
        {2, TLS_KEY_ALG_ECDSA_SHA256, 32, TLS_KEYREQ_BAD_KEY},      /* one past the last key */
        {15, TLS_KEY_ALG_ECDSA_SHA256, 32, TLS_KEYREQ_BAD_KEY},     /* the protocol's last index */
        {0, TLS_KEY_ALG_RSA_PSS_SHA256, 32, TLS_KEYREQ_BAD_ALG},    /* PSS with an EC key */
        {1, TLS_KEY_ALG_ECDSA_SHA256, 32, TLS_KEYREQ_BAD_ALG},      /* ECDSA with an RSA key */
        {0, TLS_KEY_ALG_ECDSA_SHA256, 31, TLS_KEYREQ_BAD_HASH},     /* short hash */
        {1, TLS_KEY_ALG_RSA_PKCS1_SHA512, 48, TLS_KEYREQ_BAD_HASH}, /* SHA-384 length for SHA-512 */
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned long long before = count(e, bad[i].want);
        assert_int_equal(tls_keyreq_sign(&req, 10 + i, 0, TLS_KEY_ALG_ECDSA_SHA256, hash, 32), 0);
        req.key = (uint16_t)bad[i].key;
        req.alg = (uint16_t)bad[i].alg;
        req.hash_len = (uint16_t)bad[i].hash_len;
        assert_int_equal(exchange(e, &req, sizeof req, 10 + i, buf, &rep, &st), 1);
        assert_int_equal(rep.status, bad[i].want);
        assert_int_equal(rep.len, 0);
        assert_int_equal(count(e, bad[i].want), before + 1);
    }
    unsigned long long ok0 = count(e, TLS_KEYREQ_OK);
    assert_int_equal(tls_keyreq_sign(&req, 99, 0, TLS_KEY_ALG_ECDSA_SHA384, hash, 48), 0);
    assert_int_equal(exchange(e, &req, sizeof req, 99, buf, &rep, &st), 1);
    assert_int_equal(rep.status, TLS_KEYREQ_OK);
    assert_int_equal(count(e, TLS_KEYREQ_OK), ok0 + 1);
}

/* An empty message is refused like a short one; the relay closing its
 * end ends the channel. */
static void test_empty_message_then_close(void **state)
{
    struct env *e = *state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    enum tls_keyreq_status st;
    assert_int_equal(send(sv[0], "", 0, 0), 0);
    assert_int_equal(keyholder_serve_one(e->kr, sv[1], &e->counts, &st), 1);
    assert_int_equal(st, TLS_KEYREQ_BAD_SIZE);
    uint8_t buf[TLS_KEYREP_MAX];
    assert_true(recv(sv[0], buf, sizeof buf, 0) > 0);
    close(sv[0]);
    assert_int_equal(keyholder_serve_one(e->kr, sv[1], &e->counts, &st), 0);
    close(sv[1]);
}

static void test_key_not_its_certificate_refused(void **state)
{
    struct env *e = *state;
    struct tls_config cfg = {.n_certs = 1};
    tls_harness_set_cert(&cfg.certs[0], e->dir, "www.rampart.test", "rsa", "ec");
    char err[512], want[512];
    assert_null(tls_keyring_load(&cfg, err, sizeof err));
    snprintf(want, sizeof want, "%s/ec.key: private key does not match certificate %s/rsa.pem", e->dir,
             e->dir);
    assert_string_equal(err, want);
    assert_int_equal(tls_keyring_count(e->kr), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verifies_with_the_certificate),
        cmocka_unit_test(test_rsa_both_paddings),
        cmocka_unit_test(test_hostile_requests_refused_and_counted),
        cmocka_unit_test(test_empty_message_then_close),
        cmocka_unit_test(test_key_not_its_certificate_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
