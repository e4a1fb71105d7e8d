/* libFuzzer target, differential: every accelerated primitive (tls/tls_drv_*.c)
 * against mbedTLS's built-in code on the same inputs, both through PSA
 * (tls/tls_psa.h): the status must be the same and, on success, every output
 * byte. Inputs are keys, nonces, AAD, lengths, output buffer sizes, peer keys
 * (raw bytes, valid points, tampered points, the small-order X25519 points)
 * and tampered ciphertexts and tags. Randomized ECDSA has no fixed answer:
 * each side's signature must verify.
 * Run: make fuzz && build-fuzz/fuzz/fuzz_crypto -runs=1000000 */
#include "tls/tls_crypto.h"
#include "tls/tls_psa.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_BUF_MAX    (20000 + 64)  /* above a 16 KiB record with its tag */
#define FZ_RECORD_MAX (16384 + 256) /* the longest TLS 1.3 ciphertext record */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    const uint8_t *p;
    size_t n;
};

static uint8_t fz_byte(struct fz *f)
{
    if (f->n == 0)
        return 0;
    f->n--;
    return *f->p++;
}

/* want bytes into dst, zeros past the end of the input */
static void fz_take(struct fz *f, uint8_t *dst, size_t want)
{
    size_t k = want < f->n ? want : f->n;
    memcpy(dst, f->p, k);
    memset(dst + k, 0, want - k);
    f->p += k;
    f->n -= k;
}

static void fz_accel(bool on)
{
    static const enum tls_crypto_prim prims[] = {TLS_CRYPTO_AES_GCM, TLS_CRYPTO_CHACHA20_POLY1305,
                                                 TLS_CRYPTO_ECDSA_P256, TLS_CRYPTO_ECDH_P256,
                                                 TLS_CRYPTO_X25519};
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        tls_crypto_set_accel(prims[i], on);
}

static void fz_fail(const char *what)
{
    fprintf(stderr, "fuzz_crypto: %s\n", what);
    abort();
}

static void fz_same(const char *what, int rc_drv, int rc_mbed, const uint8_t *a, size_t na, const uint8_t *b,
                    size_t nb)
{
    if (rc_drv == rc_mbed && (rc_drv != TLS_PSA_OK || (na == nb && memcmp(a, b, na) == 0)))
        return;
    fprintf(stderr, "fuzz_crypto: %s: driver status %d (%zu bytes), mbedtls status %d (%zu bytes)\n", what,
            rc_drv, na, rc_mbed, nb);
    abort();
}

/* ---- AEAD ------------------------------------------------------------------- */

struct fz_aead {
    uint32_t id;
    size_t tag_len, nonce_len, ad_len, len, out_size;
    bool in_place;
    uint8_t nonce[32], ad[512];
};

static int fz_seal(const struct fz_aead *a, const uint8_t *in, uint8_t *out, size_t *out_len)
{
    if (a->in_place) {
        memcpy(out, in, a->len);
        in = out;
    }
    return tls_psa_seal(a->id, a->tag_len, a->nonce, a->nonce_len, a->ad, a->ad_len, in, a->len, out,
                        a->out_size, out_len);
}

static int fz_open(const struct fz_aead *a, const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    if (a->in_place) {
        memcpy(out, in, in_len);
        in = out;
    }
    return tls_psa_open(a->id, a->tag_len, a->nonce, a->nonce_len, a->ad, a->ad_len, in, in_len, out,
                        a->out_size, out_len);
}

/* A sealed message, possibly tampered with: a bit of the ciphertext, the tag
 * or the AAD flipped, or the message cut short. */
static size_t fz_tamper(struct fz *f, struct fz_aead *a, uint8_t *msg, size_t len)
{
    uint8_t how = fz_byte(f), where = fz_byte(f);
    if (how % 4 == 1 && len > 0)
        msg[(where * 131u + how) % len] ^= (uint8_t)(1u << (how % 8));
    else if (how % 4 == 2 && a->ad_len > 0)
        a->ad[where % a->ad_len] ^= 1;
    else if (how % 4 == 3)
        len = len > where % 20 ? len - where % 20 : 0;
    return len;
}

/* Bytes from a seed (xorshift64): long records from a short input. */
static void fz_expand(uint8_t *dst, size_t len, uint64_t seed)
{
    uint64_t x = seed | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        dst[i] = (uint8_t)x;
    }
}

static void fz_aead_params(struct fz *f, struct fz_aead *a, bool chacha)
{
    uint8_t n = fz_byte(f), t = fz_byte(f), o = fz_byte(f), l = fz_byte(f);
    a->nonce_len = n < 220 ? 12 : n % 20; /* mostly TLS's, sometimes anything */
    a->tag_len = chacha || t < 200 ? 0 : 4 + t % 13;
    a->in_place = (o & 1) != 0;
    a->ad_len = (size_t)(l % 64 == 0 ? fz_byte(f) * 2 : l % 32);
    fz_take(f, a->nonce, sizeof a->nonce);
    fz_take(f, a->ad, a->ad_len);
    a->len = f->n; /* the rest is the plaintext, or (o & 2) a length */
    if (o & 2) {
        uint8_t hi = fz_byte(f), lo = fz_byte(f);
        a->len = ((size_t)hi << 8 | lo) % (FZ_RECORD_MAX + 1);
    }
    size_t need = a->len + 16;
    a->out_size = o < 16 ? (need > o ? need - o : 0) : need; /* sometimes too small */
}

static void fz_aead(struct fz *f, bool chacha)
{
    static uint8_t key[32], pt[FZ_BUF_MAX], c1[FZ_BUF_MAX], c2[FZ_BUF_MAX], p1[FZ_BUF_MAX], p2[FZ_BUF_MAX];
    static const size_t aes_len[3] = {16, 24, 32};
    struct fz_aead a;
    size_t key_len = chacha ? 32 : aes_len[fz_byte(f) % 3], n1 = 0, n2 = 0;
    fz_take(f, key, key_len);
    fz_aead_params(f, &a, chacha);
    if (a.len > FZ_BUF_MAX - 64)
        return;
    if (a.len > f->n)
        fz_expand(pt, a.len, (uint64_t)fz_byte(f) << 8 | fz_byte(f)); /* a long record */
    else
        fz_take(f, pt, a.len);
    if (tls_psa_import(chacha ? TLS_PSA_CHACHA20 : TLS_PSA_AES, key, key_len, &a.id) != TLS_PSA_OK)
        fz_fail("AEAD key import");
    fz_accel(true);
    int r1 = fz_seal(&a, pt, c1, &n1);
    fz_accel(false);
    int r2 = fz_seal(&a, pt, c2, &n2);
    fz_same("seal", r1, r2, c1, n1, c2, n2);
    if (r1 == TLS_PSA_OK) {
        size_t len = fz_tamper(f, &a, c1, n1);
        fz_accel(true);
        r1 = fz_open(&a, c1, len, p1, &n1);
        fz_accel(false);
        r2 = fz_open(&a, c1, len, p2, &n2);
        fz_same("open", r1, r2, p1, n1, p2, n2);
    }
    fz_accel(true);
    tls_psa_destroy(a.id);
}

static void fz_gcm(struct fz *f)
{
    fz_aead(f, false);
}

static void fz_chachapoly(struct fz *f)
{
    fz_aead(f, true);
}

/* ---- X25519 ----------------------------------------------------------------- */

/* u-coordinates of small order (cr.yp.to/ecdh.html#validate), little-endian */
static const uint8_t fz_small_order[5][32] = {
    {0},
    {1},
    {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
     0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
    {0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
     0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

/* The peer's u: fuzz bytes, or a small-order point, as is, + p (for 0 and
 * 1, whose + p still fits), or with the top bit set. */
static size_t fz_x25519_peer(struct fz *f, uint8_t *u)
{
    uint8_t how = fz_byte(f), len = fz_byte(f);
    size_t n = len < 240 ? 32 : len % 40;
    fz_take(f, u, n);
    if (how % 4 == 0 && n == 32) {
        memcpy(u, fz_small_order[(how / 4) % 5], 32);
        if (how & 0x40 && u[0] <= 1) { /* 0 + p, 1 + p */
            u[0] = (uint8_t)(u[0] + 0xed);
            memset(u + 1, 0xff, 30);
            u[31] = 0x7f;
        }
        if (how & 0x80)
            u[31] |= 0x80;
    }
    return n;
}

static void fz_x25519(struct fz *f)
{
    uint8_t k[32], u[40], q1[32], q2[32], z1[32], z2[32];
    size_t n1 = 0, n2 = 0;
    uint32_t id;
    fz_take(f, k, 32);
    size_t ulen = fz_x25519_peer(f, u);
    if (tls_psa_import(TLS_PSA_X25519, k, 32, &id) != TLS_PSA_OK)
        abort();
    fz_accel(true);
    int r1 = tls_psa_export_public(id, q1, sizeof q1, &n1);
    fz_accel(false);
    int r2 = tls_psa_export_public(id, q2, sizeof q2, &n2);
    fz_same("x25519 public", r1, r2, q1, n1, q2, n2);
    fz_accel(true);
    r1 = tls_psa_agree(id, u, ulen, z1, sizeof z1, &n1);
    fz_accel(false);
    r2 = tls_psa_agree(id, u, ulen, z2, sizeof z2, &n2);
    fz_same("x25519 agree", r1, r2, z1, n1, z2, n2);
    fz_accel(true);
    tls_psa_destroy(id);
}

/* ---- P-256 ------------------------------------------------------------------ */

/* The peer's point: fuzz bytes, or d'·G from a second fuzz scalar,
 * possibly tampered (a coordinate bit, the prefix byte, the length). */
static size_t fz_p256_peer(struct fz *f, uint8_t *p)
{
    uint8_t how = fz_byte(f), where = fz_byte(f);
    uint8_t d[32];
    uint32_t id;
    size_t n = 65;
    fz_take(f, d, 32);
    if (how % 2 == 0 || tls_psa_import(TLS_PSA_P256_ECDH, d, 32, &id) != TLS_PSA_OK) {
        n = where < 200 ? 65 : where % 70;
        fz_take(f, p, n);
        return n;
    }
    if (tls_psa_export_public(id, p, 65, &n) != TLS_PSA_OK)
        abort();
    tls_psa_destroy(id);
    if (how % 8 == 3)
        p[1 + where % 64] ^= (uint8_t)(1u << (how % 8));
    else if (how % 8 == 5)
        p[0] = where;
    else if (how % 8 == 7)
        n = where % 66;
    return n;
}

static void fz_p256_ecdh(struct fz *f)
{
    uint8_t d[32], peer[70], q1[65], q2[65], z1[32], z2[32];
    size_t n1 = 0, n2 = 0;
    uint32_t id;
    fz_take(f, d, 32);
    size_t plen = fz_p256_peer(f, peer);
    if (tls_psa_import(TLS_PSA_P256_ECDH, d, 32, &id) != TLS_PSA_OK)
        return; /* 0 or >= n: PSA refuses it before any driver */
    fz_accel(true);
    int r1 = tls_psa_export_public(id, q1, sizeof q1, &n1);
    fz_accel(false);
    int r2 = tls_psa_export_public(id, q2, sizeof q2, &n2);
    fz_same("p256 public", r1, r2, q1, n1, q2, n2);
    fz_accel(true);
    r1 = tls_psa_agree(id, peer, plen, z1, sizeof z1, &n1);
    fz_accel(false);
    r2 = tls_psa_agree(id, peer, plen, z2, sizeof z2, &n2);
    fz_same("p256 agree", r1, r2, z1, n1, z2, n2);
    fz_accel(true);
    tls_psa_destroy(id);
}

static void fz_p256_ecdsa(struct fz *f)
{
    static const size_t hash_len[5] = {20, 28, 32, 48, 64};
    uint8_t d[32], h[64], s1[64], s2[64];
    size_t n1 = 0, n2 = 0;
    uint32_t id;
    uint8_t how = fz_byte(f), size = fz_byte(f);
    enum tls_psa_hash hash = (enum tls_psa_hash)(how % 5);
    size_t hlen = how & 0x80 ? size % 65 : hash_len[hash]; /* sometimes a wrong length */
    size_t sig_size = size < 8 ? 64 - size : 64;
    fz_take(f, d, 32);
    fz_take(f, h, hlen);
    if (tls_psa_import(TLS_PSA_P256_ECDSA, d, 32, &id) != TLS_PSA_OK)
        return;
    bool det = (how & 0x40) == 0;
    fz_accel(true);
    int r1 = tls_psa_sign(id, det, hash, h, hlen, s1, sig_size, &n1);
    fz_accel(false);
    int r2 = tls_psa_sign(id, det, hash, h, hlen, s2, sig_size, &n2);
    if (det) {
        fz_same("ecdsa sign", r1, r2, s1, n1, s2, n2);
    } else {
        fz_same("ecdsa sign status", r1, r2, NULL, 0, NULL, 0);
        if (r1 == TLS_PSA_OK && (tls_psa_verify(id, hash, h, hlen, s1, n1) != TLS_PSA_OK ||
                                 tls_psa_verify(id, hash, h, hlen, s2, n2) != TLS_PSA_OK))
            fz_fail("a randomized ECDSA signature does not verify");
    }
    fz_accel(true);
    tls_psa_destroy(id);
}

/* Keys generated by either side work with the other. */
static void fz_generate(struct fz *f)
{
    enum tls_psa_kind kind = fz_byte(f) % 2 ? TLS_PSA_X25519 : TLS_PSA_P256_ECDH;
    uint8_t pub[65], z1[32], z2[32];
    size_t n, n1 = 0, n2 = 0;
    uint32_t a, b;
    fz_accel(true);
    if (tls_psa_generate(kind, &a) != TLS_PSA_OK)
        abort();
    fz_accel(false);
    if (tls_psa_generate(kind, &b) != TLS_PSA_OK || tls_psa_export_public(b, pub, sizeof pub, &n) != 0)
        abort();
    int r2 = tls_psa_agree(a, pub, n, z2, sizeof z2, &n2);
    fz_accel(true);
    int r1 = tls_psa_agree(a, pub, n, z1, sizeof z1, &n1);
    fz_same("agree with a generated key", r1, r2, z1, n1, z2, n2);
    tls_psa_destroy(a);
    tls_psa_destroy(b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (tls_psa_init() != TLS_PSA_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* how often each runs: AES-GCM most (every record), key generation least */
    static void (*const cases[16])(struct fz *) = {
        fz_gcm,        fz_gcm,        fz_gcm,        fz_gcm,      fz_gcm,       fz_chachapoly,
        fz_chachapoly, fz_x25519,     fz_x25519,     fz_x25519,   fz_p256_ecdh, fz_p256_ecdh,
        fz_p256_ecdsa, fz_p256_ecdsa, fz_p256_ecdsa, fz_generate,
    };
    struct fz f = {data, size};
    cases[fz_byte(&f) % 16](&f);
    return 0;
}
