/*
 * Unit tests for tls/tls_crypto.h and the PSA drivers behind it
 * (tls/tls_drv_*.c): published known-answer vectors (tls_crypto_vectors.h,
 * made by gen_tls_crypto_vectors.py) run through PSA (tls/tls_psa.h), so
 * they exercise the dispatch the TLS code uses, once with the drivers and
 * once with mbedTLS's built-in code, which must give the same answers and
 * refuse the same inputs with the same status. The driver counters say
 * which code ran: a vector the driver must take moves them, one it must
 * leave to mbedTLS (other nonce or tag lengths, bad points) does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls/tls_crypto.h"
#include "tls/tls_psa.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kat_aead {
    const char *key, *nonce, *ad, *pt, *ct, *tag;
    size_t tag_len;
    int fail;
};
struct kat_x25519 {
    const char *scalar, *u, *out;
};
struct kat_p256_pub {
    const char *d, *qx, *qy;
};
struct kat_p256_det {
    enum tls_psa_hash hash;
    const char *d, *digest, *r, *s;
};
struct kat_p256_dh {
    const char *d, *qx, *qy, *z;
    int result;
};

#include "tests/unit/tls_crypto_vectors.h"

#define TEST_BUF_MAX       2048 /* longest vector (hex / 2) plus tag */
#define TEST_THREAD_ROUNDS 2000
#define ARRAY_LEN(a)       (sizeof(a) / sizeof((a)[0]))

static const enum tls_crypto_prim all_prims[] = {TLS_CRYPTO_AES_GCM, TLS_CRYPTO_CHACHA20_POLY1305,
                                                 TLS_CRYPTO_ECDSA_P256, TLS_CRYPTO_ECDH_P256,
                                                 TLS_CRYPTO_X25519};

/* ---- helpers ----------------------------------------------------------------- */

struct bytes {
    uint8_t b[TEST_BUF_MAX];
    size_t n;
};

static void hex(struct bytes *out, const char *h)
{
    size_t len = strlen(h);
    assert_true(len % 2 == 0 && len / 2 <= sizeof out->b);
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out->b[i] = (uint8_t)v;
    }
    out->n = len / 2;
}

static void accel(bool on)
{
    for (size_t i = 0; i < ARRAY_LEN(all_prims); i++)
        tls_crypto_set_accel(all_prims[i], on);
}

static void point(struct bytes *p, const char *qx, const char *qy)
{
    struct bytes x, y;
    hex(&x, qx);
    hex(&y, qy);
    p->b[0] = 0x04;
    memset(p->b + 1, 0, 64);
    memcpy(p->b + 1 + 32 - x.n, x.b, x.n); /* CAVP drops leading zeros at times */
    memcpy(p->b + 1 + 64 - y.n, y.b, y.n);
    p->n = 65;
}

static void pad32(struct bytes *v)
{
    if (v->n < 32) {
        memmove(v->b + 32 - v->n, v->b, v->n);
        memset(v->b, 0, 32 - v->n);
        v->n = 32;
    }
}

/* ---- AEAD ---------------------------------------------------------------------- */

/* One vector, drivers on or off: sealing gives ct || tag, opening gives the
 * plaintext back or refuses a tampered message; in place too, as TLS does.
 * Returns whether the driver did the work. */
static bool aead_check(const struct kat_aead *v, enum tls_psa_kind kind, bool on)
{
    struct bytes key, nonce, ad, pt, ct, tag, out, in;
    hex(&key, v->key), hex(&nonce, v->nonce), hex(&ad, v->ad), hex(&pt, v->pt), hex(&ct, v->ct);
    hex(&tag, v->tag);
    enum tls_crypto_op op = kind == TLS_PSA_AES ? TLS_CRYPTO_OP_GCM_OPEN : TLS_CRYPTO_OP_CHACHAPOLY_OPEN;
    uint64_t before = tls_crypto_calls(op);
    uint32_t id;
    accel(on);
    assert_int_equal(tls_psa_import(kind, key.b, key.n, &id), TLS_PSA_OK);
    memcpy(in.b, ct.b, ct.n);
    memcpy(in.b + ct.n, tag.b, tag.n);
    in.n = ct.n + tag.n;
    int rc =
        tls_psa_open(id, v->tag_len, nonce.b, nonce.n, ad.b, ad.n, in.b, in.n, out.b, sizeof out.b, &out.n);
    if (v->fail) {
        assert_int_equal(rc, TLS_PSA_INVALID_SIGNATURE);
    } else {
        assert_int_equal(rc, TLS_PSA_OK);
        assert_int_equal(out.n, pt.n);
        assert_memory_equal(out.b, pt.b, pt.n);
        memcpy(out.b, pt.b, pt.n); /* in place */
        assert_int_equal(tls_psa_seal(id, v->tag_len, nonce.b, nonce.n, ad.b, ad.n, out.b, pt.n, out.b,
                                      sizeof out.b, &out.n),
                         TLS_PSA_OK);
        assert_int_equal(out.n, in.n);
        assert_memory_equal(out.b, in.b, in.n);
        assert_int_equal(tls_psa_open(id, v->tag_len, nonce.b, nonce.n, ad.b, ad.n, out.b, out.n, out.b,
                                      sizeof out.b, &out.n),
                         TLS_PSA_OK);
        assert_memory_equal(out.b, pt.b, pt.n);
    }
    tls_psa_destroy(id);
    accel(true);
    return tls_crypto_calls(op) > before;
}

static void aead_kats(const struct kat_aead *v, size_t n, enum tls_psa_kind kind)
{
    size_t taken = 0;
    for (size_t i = 0; i < n; i++) {
        struct bytes nonce;
        hex(&nonce, v[i].nonce);
        bool ours = nonce.n == 12 && v[i].tag_len == 16;
        assert_int_equal(aead_check(&v[i], kind, true), ours); /* mbedTLS takes the rest */
        assert_false(aead_check(&v[i], kind, false));
        taken += ours;
    }
    assert_true(taken > n / 2);
}

static void test_gcm_kat(void **state)
{
    (void)state;
    aead_kats(kat_gcm, ARRAY_LEN(kat_gcm), TLS_PSA_AES);
}

static void test_chachapoly_kat(void **state)
{
    (void)state;
    aead_kats(kat_chachapoly, ARRAY_LEN(kat_chachapoly), TLS_PSA_CHACHA20);
}

/* Every malformed call gets mbedTLS's own status, with and without drivers. */
static void aead_refusals(enum tls_psa_kind kind, size_t key_len, bool on)
{
    static const uint8_t key[32] = {1}, nonce[12] = {2}, ad[13] = {3};
    uint8_t buf[64] = {4}, out[64];
    size_t n;
    uint32_t id;
    accel(on);
    assert_int_equal(tls_psa_import(kind, key, key_len, &id), TLS_PSA_OK);
    assert_int_equal(tls_psa_seal(id, 0, nonce, 12, ad, 13, buf, 32, out, 47, &n), TLS_PSA_BUFFER_TOO_SMALL);
    assert_int_equal(tls_psa_seal(id, 0, nonce, 0, ad, 13, buf, 32, out, 64, &n), TLS_PSA_INVALID_ARGUMENT);
    assert_int_equal(tls_psa_seal(id, 0, nonce, 12, ad, 13, buf, 32, out, 48, &n), TLS_PSA_OK);
    memcpy(buf, out, 48);
    assert_int_equal(tls_psa_open(id, 0, nonce, 12, ad, 13, buf, 15, out, 64, &n), TLS_PSA_INVALID_ARGUMENT);
    assert_int_equal(tls_psa_open(id, 0, nonce, 12, ad, 13, buf, 48, out, 31, &n), TLS_PSA_BUFFER_TOO_SMALL);
    assert_int_equal(tls_psa_open(id, 0, nonce, 12, ad, 12, buf, 48, out, 64, &n), TLS_PSA_INVALID_SIGNATURE);
    buf[47] ^= 1; /* the tag */
    assert_int_equal(tls_psa_open(id, 0, nonce, 12, ad, 13, buf, 48, out, 64, &n), TLS_PSA_INVALID_SIGNATURE);
    for (size_t i = 0; i < 32; i++)
        assert_int_equal(out[i], 0); /* PSA wipes what a refused message decrypted to */
    buf[47] ^= 1;
    buf[0] ^= 0x80; /* the ciphertext */
    assert_int_equal(tls_psa_open(id, 0, nonce, 12, ad, 13, buf, 48, out, 64, &n), TLS_PSA_INVALID_SIGNATURE);
    if (kind == TLS_PSA_CHACHA20) /* 8-byte nonces: PSA has no ChaCha20-Poly1305 for them */
        assert_int_equal(tls_psa_seal(id, 0, nonce, 8, ad, 13, buf, 32, out, 64, &n), TLS_PSA_NOT_SUPPORTED);
    tls_psa_destroy(id);
    accel(true);
}

static void test_aead_refusals_match_mbedtls(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        aead_refusals(TLS_PSA_AES, 16, on);
        aead_refusals(TLS_PSA_AES, 32, on);
        aead_refusals(TLS_PSA_CHACHA20, 32, on);
    }
}

/* malloc hands PSA the same address for the next key: the expanded-key
 * cache must never serve an old key's expansion to a new one. */
static void test_gcm_new_key_at_old_address(void **state)
{
    (void)state;
    static const uint8_t nonce[12];
    uint8_t key[32], pt[64] = {9}, a[80], b[80];
    size_t na, nb;
    for (int i = 0; i < 200; i++) {
        memset(key, i, sizeof key);
        size_t len = i % 2 ? 16 : 32;
        uint32_t id;
        for (int on = 0; on < 2; on++) {
            tls_crypto_set_accel(TLS_CRYPTO_AES_GCM, on);
            assert_int_equal(tls_psa_import(TLS_PSA_AES, key, len, &id), TLS_PSA_OK);
            uint8_t *out = on ? a : b;
            assert_int_equal(tls_psa_seal(id, 0, nonce, 12, NULL, 0, pt, sizeof pt, out, 80, on ? &na : &nb),
                             TLS_PSA_OK);
            tls_psa_destroy(id);
        }
        assert_memory_equal(a, b, 80);
    }
    tls_crypto_set_accel(TLS_CRYPTO_AES_GCM, true);
}

/* Two threads on one key (the ticket key is shared by every worker): one
 * of them finds the cache slot busy and expands the key on its stack. */
struct seal_job {
    uint32_t id;
    const uint8_t *expect;
    bool ok;
};

static void *seal_many(void *arg)
{
    struct seal_job *j = arg;
    static const uint8_t nonce[12];
    uint8_t buf[1040];
    size_t n;
    j->ok = true;
    for (int i = 0; i < TEST_THREAD_ROUNDS && j->ok; i++) {
        memset(buf, 5, 1024);
        j->ok = tls_psa_seal(j->id, 0, nonce, 12, NULL, 0, buf, 1024, buf, sizeof buf, &n) == TLS_PSA_OK &&
                memcmp(buf, j->expect, sizeof buf) == 0;
    }
    return NULL;
}

static void test_gcm_one_key_two_threads(void **state)
{
    (void)state;
    static const uint8_t key[16] = {8}, nonce[12];
    uint8_t expect[1040];
    size_t n;
    uint32_t id;
    assert_int_equal(tls_psa_import(TLS_PSA_AES, key, sizeof key, &id), TLS_PSA_OK);
    memset(expect, 5, 1024);
    tls_crypto_set_accel(TLS_CRYPTO_AES_GCM, false);
    assert_int_equal(tls_psa_seal(id, 0, nonce, 12, NULL, 0, expect, 1024, expect, sizeof expect, &n), 0);
    tls_crypto_set_accel(TLS_CRYPTO_AES_GCM, true);
    uint64_t before = tls_crypto_calls(TLS_CRYPTO_OP_GCM_SEAL);
    struct seal_job jobs[2] = {{id, expect, false}, {id, expect, false}};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, seal_many, &jobs[0]), 0);
    seal_many(&jobs[1]);
    pthread_join(t, NULL);
    assert_true(jobs[0].ok && jobs[1].ok);
    /* and the counter sums both threads */
    assert_int_equal(tls_crypto_calls(TLS_CRYPTO_OP_GCM_SEAL), before + 2 * TEST_THREAD_ROUNDS);
    tls_psa_destroy(id);
}

/* ---- X25519 -------------------------------------------------------------------- */

static void x25519(const uint8_t *k, const uint8_t *u, size_t u_len, uint8_t *out, int expect_rc)
{
    uint32_t id;
    size_t n;
    assert_int_equal(tls_psa_import(TLS_PSA_X25519, k, 32, &id), TLS_PSA_OK);
    assert_int_equal(tls_psa_agree(id, u, u_len, out, 32, &n), expect_rc);
    tls_psa_destroy(id);
}

static void test_x25519_kat(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        accel(on);
        for (size_t i = 0; i < ARRAY_LEN(kat_x25519); i++) {
            struct bytes k, u, want;
            uint8_t got[32];
            hex(&k, kat_x25519[i].scalar), hex(&u, kat_x25519[i].u), hex(&want, kat_x25519[i].out);
            x25519(k.b, u.b, u.n, got, TLS_PSA_OK);
            assert_memory_equal(got, want.b, 32);
        }
    }
    accel(true);
}

/* RFC 7748 6.1: both key pairs, their public keys and the shared secret. */
static void test_x25519_rfc7748_exchange(void **state)
{
    (void)state;
    static const char *priv[2] = {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
                                  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"};
    static const char *pub[2] = {"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
                                 "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"};
    struct bytes k, p, shared;
    hex(&shared, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    for (int on = 0; on < 2; on++) {
        accel(on);
        uint64_t before = tls_crypto_calls(TLS_CRYPTO_OP_X25519_PUBLIC);
        for (int i = 0; i < 2; i++) {
            uint8_t out[32];
            size_t n;
            uint32_t id;
            hex(&k, priv[i]), hex(&p, pub[i]);
            assert_int_equal(tls_psa_import(TLS_PSA_X25519, k.b, 32, &id), TLS_PSA_OK);
            assert_int_equal(tls_psa_export_public(id, out, sizeof out, &n), TLS_PSA_OK);
            assert_memory_equal(out, p.b, 32);
            tls_psa_destroy(id);
            hex(&p, pub[1 - i]);
            x25519(k.b, p.b, 32, out, TLS_PSA_OK);
            assert_memory_equal(out, shared.b, 32);
        }
        assert_int_equal(tls_crypto_calls(TLS_CRYPTO_OP_X25519_PUBLIC), before + (on ? 2 : 0));
    }
    accel(true);
}

/* RFC 7748 5.2, iterated: k = X25519(k, u), u = old k, 1,000 times. */
static void test_x25519_rfc7748_iterated(void **state)
{
    (void)state;
    struct bytes one, thousand;
    hex(&one, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
    hex(&thousand, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    for (int on = 0; on < 2; on++) {
        uint8_t k[32] = {9}, u[32] = {9}, r[32];
        accel(on);
        for (int i = 1; i <= 1000; i++) {
            x25519(k, u, 32, r, TLS_PSA_OK);
            memcpy(u, k, 32);
            memcpy(k, r, 32);
            if (i == 1)
                assert_memory_equal(k, one.b, 32);
        }
        assert_memory_equal(k, thousand.b, 32);
    }
    accel(true);
}

/* The points of small order (cr.yp.to/ecdh.html#validate; mbedTLS refuses
 * them by value, libsodium by their all-zero result), also non-canonical
 * (+p) and with the top bit set, and peer keys of the wrong length: refused
 * as mbedTLS does, by mbedTLS itself (the driver's counter stays). */
static void test_x25519_small_order_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p - 1 */
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p */
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p + 1 */
    };
    uint8_t k[32] = {0x40}, out[32];
    for (int on = 0; on < 2; on++) {
        accel(on);
        uint64_t before = tls_crypto_calls(TLS_CRYPTO_OP_X25519_AGREE);
        for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
            struct bytes u;
            hex(&u, bad[i]);
            x25519(k, u.b, 32, out, TLS_PSA_INVALID_ARGUMENT);
            u.b[31] |= 0x80;
            x25519(k, u.b, 32, out, TLS_PSA_INVALID_ARGUMENT);
        }
        x25519(k, out, 31, out, TLS_PSA_INVALID_ARGUMENT);
        x25519(k, out, 33, out, TLS_PSA_INVALID_ARGUMENT);
        assert_int_equal(tls_crypto_calls(TLS_CRYPTO_OP_X25519_AGREE), before);
    }
    accel(true);
}

/* The top bit of u is ignored (RFC 7748 5), by both. */
static void test_x25519_top_bit_masked(void **state)
{
    (void)state;
    struct bytes k, u, want;
    uint8_t got[32];
    hex(&k, kat_x25519[0].scalar), hex(&u, kat_x25519[0].u), hex(&want, kat_x25519[0].out);
    u.b[31] ^= 0x80;
    for (int on = 0; on < 2; on++) {
        accel(on);
        x25519(k.b, u.b, 32, got, TLS_PSA_OK);
        assert_memory_equal(got, want.b, 32);
    }
    accel(true);
}

/* ---- P-256 --------------------------------------------------------------------- */

static void test_p256_public_kat(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        accel(on);
        for (size_t i = 0; i < ARRAY_LEN(kat_p256_pub); i++) {
            struct bytes d, want;
            uint8_t got[65];
            size_t n;
            uint32_t id;
            hex(&d, kat_p256_pub[i].d);
            pad32(&d);
            point(&want, kat_p256_pub[i].qx, kat_p256_pub[i].qy);
            assert_int_equal(tls_psa_import(TLS_PSA_P256_ECDSA, d.b, 32, &id), TLS_PSA_OK);
            assert_int_equal(tls_psa_export_public(id, got, sizeof got, &n), TLS_PSA_OK);
            assert_int_equal(n, 65);
            assert_memory_equal(got, want.b, 65);
            tls_psa_destroy(id);
        }
    }
    accel(true);
}

static void test_p256_deterministic_ecdsa_kat(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        accel(on);
        uint64_t before = tls_crypto_calls(TLS_CRYPTO_OP_ECDSA_P256_SIGN);
        for (size_t i = 0; i < ARRAY_LEN(kat_p256_det); i++) {
            const struct kat_p256_det *v = &kat_p256_det[i];
            struct bytes d, h, r, s;
            uint8_t sig[64];
            size_t n;
            uint32_t id;
            hex(&d, v->d), hex(&h, v->digest), hex(&r, v->r), hex(&s, v->s);
            assert_int_equal(tls_psa_import(TLS_PSA_P256_ECDSA, d.b, 32, &id), TLS_PSA_OK);
            assert_int_equal(tls_psa_sign(id, true, v->hash, h.b, h.n, sig, sizeof sig, &n), TLS_PSA_OK);
            assert_int_equal(n, 64);
            assert_memory_equal(sig, r.b, 32);
            assert_memory_equal(sig + 32, s.b, 32);
            assert_int_equal(tls_psa_sign(id, true, v->hash, h.b, h.n, sig, 63, &n),
                             TLS_PSA_BUFFER_TOO_SMALL);
            tls_psa_destroy(id);
        }
        assert_int_equal(tls_crypto_calls(TLS_CRYPTO_OP_ECDSA_P256_SIGN),
                         before + (on ? ARRAY_LEN(kat_p256_det) : 0));
    }
    accel(true);
}

/* Randomized ECDSA has no fixed answer: each signature verifies (in
 * mbedTLS), two differ, and one over another hash does not verify. */
static void test_p256_randomized_ecdsa_verifies(void **state)
{
    (void)state;
    uint8_t h[32] = {1}, sig[2][64];
    size_t n;
    uint32_t id;
    assert_int_equal(tls_psa_generate(TLS_PSA_P256_ECDSA, &id), TLS_PSA_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tls_psa_sign(id, false, TLS_PSA_SHA256, h, 32, sig[i], 64, &n), TLS_PSA_OK);
        assert_int_equal(tls_psa_verify(id, TLS_PSA_SHA256, h, 32, sig[i], 64), TLS_PSA_OK);
    }
    assert_memory_not_equal(sig[0], sig[1], 64);
    h[0] ^= 1;
    assert_int_equal(tls_psa_verify(id, TLS_PSA_SHA256, h, 32, sig[0], 64), TLS_PSA_INVALID_SIGNATURE);
    tls_psa_destroy(id);
}

static void test_p256_ecdh_kat(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        accel(on);
        for (size_t i = 0; i < ARRAY_LEN(kat_p256_dh); i++) {
            const struct kat_p256_dh *v = &kat_p256_dh[i];
            struct bytes d, peer, z;
            uint8_t got[32];
            size_t n;
            uint32_t id;
            hex(&d, v->d), hex(&z, v->z);
            pad32(&d), pad32(&z);
            point(&peer, v->qx, v->qy);
            assert_int_equal(tls_psa_import(TLS_PSA_P256_ECDH, d.b, 32, &id), TLS_PSA_OK);
            int rc = tls_psa_agree(id, peer.b, peer.n, got, sizeof got, &n);
            tls_psa_destroy(id);
            if (v->result == 1) {
                assert_int_equal(rc, TLS_PSA_INVALID_ARGUMENT);
                continue;
            }
            assert_int_equal(rc, TLS_PSA_OK);
            if (v->result == 0)
                assert_memory_equal(got, z.b, 32);
            else
                assert_memory_not_equal(got, z.b, 32);
        }
    }
    accel(true);
}

/* Peer keys that are not an uncompressed point on the curve get mbedTLS's
 * own status, with or without drivers, and never reach nettle. */
static void test_p256_bad_peer_refused_as_mbedtls(void **state)
{
    (void)state;
    struct bytes good, bad;
    point(&good, kat_p256_dh[0].qx, kat_p256_dh[0].qy);
    int want[6] = {0};
    for (int on = 0; on < 2; on++) {
        accel(on);
        uint64_t before = tls_crypto_calls(TLS_CRYPTO_OP_P256_AGREE);
        uint32_t id;
        uint8_t z[32];
        size_t n;
        assert_int_equal(tls_psa_generate(TLS_PSA_P256_ECDH, &id), TLS_PSA_OK);
        for (int c = 0; c < 6; c++) {
            bad = good;
            if (c == 0)
                bad.b[0] = 0x02, bad.n = 33; /* compressed */
            else if (c == 1)
                bad.b[64] ^= 1; /* off the curve */
            else if (c == 2)
                memset(bad.b + 1, 0xff, 32); /* x >= p */
            else if (c == 3)
                bad.n = 64;
            else if (c == 4)
                bad.b[0] = 0x00, bad.n = 1; /* infinity */
            else
                bad.b[0] = 0x06; /* hybrid form */
            int rc = tls_psa_agree(id, bad.b, bad.n, z, sizeof z, &n);
            assert_int_not_equal(rc, TLS_PSA_OK);
            if (on)
                assert_int_equal(rc, want[c]);
            want[c] = rc;
        }
        tls_psa_destroy(id);
        assert_int_equal(tls_crypto_calls(TLS_CRYPTO_OP_P256_AGREE), before);
    }
    accel(true);
}

/* Generated keys of both curves agree with themselves across the two
 * implementations: a key made by the driver works in mbedTLS and back. */
static void test_generated_keys_cross_check(void **state)
{
    (void)state;
    const enum tls_psa_kind kinds[2] = {TLS_PSA_P256_ECDH, TLS_PSA_X25519};
    for (int k = 0; k < 2; k++) {
        uint32_t a, b;
        uint8_t pa[65], pb[65], za[32], zb[32];
        size_t na, nb, n;
        tls_crypto_set_accel(TLS_CRYPTO_ECDH_P256, true), tls_crypto_set_accel(TLS_CRYPTO_X25519, true);
        assert_int_equal(tls_psa_generate(kinds[k], &a), TLS_PSA_OK);
        assert_int_equal(tls_psa_export_public(a, pa, sizeof pa, &na), TLS_PSA_OK);
        accel(false);
        assert_int_equal(tls_psa_generate(kinds[k], &b), TLS_PSA_OK);
        assert_int_equal(tls_psa_export_public(b, pb, sizeof pb, &nb), TLS_PSA_OK);
        assert_int_equal(tls_psa_agree(a, pb, nb, za, sizeof za, &n), TLS_PSA_OK); /* mbedTLS, driver's key */
        accel(true);
        assert_int_equal(tls_psa_agree(b, pa, na, zb, sizeof zb, &n), TLS_PSA_OK); /* driver, mbedTLS's key */
        assert_memory_equal(za, zb, 32);
        tls_psa_destroy(a);
        tls_psa_destroy(b);
    }
}

/* ---- which implementation -------------------------------------------------------- */

static void test_impl_names(void **state)
{
    (void)state;
    /* This machine has AES-NI and PCLMULQDQ (the suite runs on x86-64 only). */
    assert_non_null(strstr(tls_crypto_impl(TLS_CRYPTO_AES_GCM), "ipsec-mb-"));
    assert_string_equal(tls_crypto_impl(TLS_CRYPTO_CHACHA20_POLY1305), tls_crypto_impl(TLS_CRYPTO_AES_GCM));
    assert_string_equal(tls_crypto_impl(TLS_CRYPTO_ECDSA_P256), "nettle");
    assert_string_equal(tls_crypto_impl(TLS_CRYPTO_ECDH_P256), "nettle");
    assert_string_equal(tls_crypto_impl(TLS_CRYPTO_X25519), "libsodium");
    tls_crypto_set_accel(TLS_CRYPTO_X25519, false);
    assert_string_equal(tls_crypto_impl(TLS_CRYPTO_X25519), "mbedtls");
    tls_crypto_set_accel(TLS_CRYPTO_X25519, true);
    assert_string_equal(tls_crypto_impl(TLS_CRYPTO_PRIM_COUNT), "mbedtls");
    assert_string_equal(tls_crypto_prim_name(TLS_CRYPTO_AES_GCM), "aes-gcm");
    assert_string_equal(tls_crypto_prim_name(TLS_CRYPTO_X25519), "x25519");
    assert_null(tls_crypto_prim_name(TLS_CRYPTO_PRIM_COUNT));
    assert_int_equal(tls_crypto_calls(TLS_CRYPTO_OP_COUNT), 0);
}

static int group_setup(void **state)
{
    (void)state;
    return tls_psa_init() == TLS_PSA_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_impl_names),
        cmocka_unit_test(test_gcm_kat),
        cmocka_unit_test(test_chachapoly_kat),
        cmocka_unit_test(test_aead_refusals_match_mbedtls),
        cmocka_unit_test(test_gcm_new_key_at_old_address),
        cmocka_unit_test(test_gcm_one_key_two_threads),
        cmocka_unit_test(test_x25519_kat),
        cmocka_unit_test(test_x25519_rfc7748_exchange),
        cmocka_unit_test(test_x25519_rfc7748_iterated),
        cmocka_unit_test(test_x25519_small_order_refused),
        cmocka_unit_test(test_x25519_top_bit_masked),
        cmocka_unit_test(test_p256_public_kat),
        cmocka_unit_test(test_p256_deterministic_ecdsa_kat),
        cmocka_unit_test(test_p256_randomized_ecdsa_verifies),
        cmocka_unit_test(test_p256_ecdh_kat),
        cmocka_unit_test(test_p256_bad_peer_refused_as_mbedtls),
        cmocka_unit_test(test_generated_keys_cross_check),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
