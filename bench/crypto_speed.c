/*
 * bench/crypto_speed: the primitives of TLS through PSA, as the TLS code
 * calls them, once with mbedTLS's built-in code and once with Rampart's
 * drivers (tls/tls_drv.h), one core.
 *
 *   build/bench/crypto_speed [SECONDS_PER_FIGURE]     (default 1)
 *
 * AEAD: psa_aead_encrypt in place on one record, the key imported once (as
 * a connection's record key). Key share: psa_generate_key +
 * psa_export_public_key + psa_destroy_key, what a handshake pays for its
 * ephemeral key; "public key" is the fixed-base multiplication alone
 * (export of an existing key), "shared secret" the variable-base one
 * (psa_raw_key_agreement). ECDSA: deterministic, as TLS here signs. The
 * last lines compare the two X25519 libraries directly (nettle, libsodium),
 * which is how the driver's library was chosen. Figures on a shared
 * machine move by 10-30% from run to run: compare within one run.
 */
#include "tls/tls_crypto.h"
#include "tls/tls_psa.h"

#include <nettle/curve25519.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_RECORD_MAX 16384
#define BENCH_BATCH      16 /* operations between clock reads */

struct bench_ctx {
    uint32_t aead_key, p256_sign, p256_dh, x25519_dh;
    uint8_t p256_peer[65], x25519_peer[32];
    size_t record;
    uint8_t buf[BENCH_RECORD_MAX + TLS_PSA_TAG_LEN];
};

static double bench_seconds = 1.0;

static double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void bench_must(int rc, const char *what)
{
    if (rc != TLS_PSA_OK) {
        fprintf(stderr, "crypto_speed: %s failed: PSA status %d\n", what, rc);
        exit(1);
    }
}

/* Operations per second of op(ctx). */
static double bench_rate(void (*op)(struct bench_ctx *), struct bench_ctx *c)
{
    double t0 = bench_now(), t;
    long n = 0;
    do {
        for (int i = 0; i < BENCH_BATCH; i++)
            op(c);
        n += BENCH_BATCH;
        t = bench_now();
    } while (t - t0 < bench_seconds);
    return (double)n / (t - t0);
}

static void op_seal(struct bench_ctx *c)
{
    static const uint8_t nonce[12], ad[13];
    size_t len;
    bench_must(tls_psa_seal(c->aead_key, 0, nonce, sizeof nonce, ad, sizeof ad, c->buf, c->record, c->buf,
                            sizeof c->buf, &len),
               "seal");
}

static void op_sign(struct bench_ctx *c)
{
    uint8_t sig[64], h[32] = {1};
    size_t len;
    bench_must(tls_psa_sign(c->p256_sign, true, TLS_PSA_SHA256, h, sizeof h, sig, sizeof sig, &len), "sign");
}

static void bench_share(enum tls_psa_kind kind)
{
    uint8_t pub[65];
    size_t len;
    uint32_t id;
    bench_must(tls_psa_generate(kind, &id), "generate");
    bench_must(tls_psa_export_public(id, pub, sizeof pub, &len), "export");
    tls_psa_destroy(id);
}

static void op_p256_share(struct bench_ctx *c)
{
    (void)c;
    bench_share(TLS_PSA_P256_ECDH);
}

static void op_x25519_share(struct bench_ctx *c)
{
    (void)c;
    bench_share(TLS_PSA_X25519);
}

static void op_p256_public(struct bench_ctx *c)
{
    uint8_t pub[65];
    size_t len;
    bench_must(tls_psa_export_public(c->p256_dh, pub, sizeof pub, &len), "export");
}

static void op_x25519_public(struct bench_ctx *c)
{
    uint8_t pub[32];
    size_t len;
    bench_must(tls_psa_export_public(c->x25519_dh, pub, sizeof pub, &len), "export");
}

static void op_p256_agree(struct bench_ctx *c)
{
    uint8_t z[32];
    size_t len;
    bench_must(tls_psa_agree(c->p256_dh, c->p256_peer, sizeof c->p256_peer, z, sizeof z, &len), "agree");
}

static void op_x25519_agree(struct bench_ctx *c)
{
    uint8_t z[32];
    size_t len;
    bench_must(tls_psa_agree(c->x25519_dh, c->x25519_peer, sizeof c->x25519_peer, z, sizeof z, &len),
               "agree");
}

/* One line: the figure with the built-in code, with the driver, the ratio. */
static void bench_row(const char *label, enum tls_crypto_prim prim, void (*op)(struct bench_ctx *),
                      struct bench_ctx *c, double scale, const char *unit)
{
    tls_crypto_set_accel(prim, false);
    double builtin = bench_rate(op, c) * scale;
    tls_crypto_set_accel(prim, true);
    double accel = bench_rate(op, c) * scale;
    printf("  %-34s %10.0f %10.0f %-6s %6.1fx  %s\n", label, builtin, accel, unit, accel / builtin,
           tls_crypto_impl(prim));
}

static void bench_aead(struct bench_ctx *c, enum tls_psa_kind kind, size_t key_len, size_t record,
                       const char *label)
{
    static const uint8_t key[32] = {7};
    enum tls_crypto_prim prim = kind == TLS_PSA_AES ? TLS_CRYPTO_AES_GCM : TLS_CRYPTO_CHACHA20_POLY1305;
    bench_must(tls_psa_import(kind, key, key_len, &c->aead_key), "import");
    c->record = record;
    bench_row(label, prim, op_seal, c, (double)record / 1e6, "MB/s");
    tls_psa_destroy(c->aead_key);
}

static void bench_peer(enum tls_psa_kind kind, uint8_t *pub, size_t size)
{
    uint32_t id;
    size_t len;
    bench_must(tls_psa_generate(kind, &id), "peer");
    bench_must(tls_psa_export_public(id, pub, size, &len), "peer");
    tls_psa_destroy(id);
}

static void bench_ecc(struct bench_ctx *c)
{
    bench_must(tls_psa_generate(TLS_PSA_P256_ECDSA, &c->p256_sign), "generate");
    bench_must(tls_psa_generate(TLS_PSA_P256_ECDH, &c->p256_dh), "generate");
    bench_must(tls_psa_generate(TLS_PSA_X25519, &c->x25519_dh), "generate");
    bench_peer(TLS_PSA_P256_ECDH, c->p256_peer, sizeof c->p256_peer);
    bench_peer(TLS_PSA_X25519, c->x25519_peer, sizeof c->x25519_peer);
    bench_row("ECDSA P-256 sign (RFC 6979)", TLS_CRYPTO_ECDSA_P256, op_sign, c, 1, "/s");
    bench_row("ECDH P-256 key share", TLS_CRYPTO_ECDH_P256, op_p256_share, c, 1, "/s");
    bench_row("ECDH P-256 public key (fixed-base)", TLS_CRYPTO_ECDH_P256, op_p256_public, c, 1, "/s");
    bench_row("ECDH P-256 shared secret", TLS_CRYPTO_ECDH_P256, op_p256_agree, c, 1, "/s");
    bench_row("X25519 key share", TLS_CRYPTO_X25519, op_x25519_share, c, 1, "/s");
    bench_row("X25519 public key (fixed-base)", TLS_CRYPTO_X25519, op_x25519_public, c, 1, "/s");
    bench_row("X25519 shared secret (variable-base)", TLS_CRYPTO_X25519, op_x25519_agree, c, 1, "/s");
    tls_psa_destroy(c->p256_sign);
    tls_psa_destroy(c->p256_dh);
    tls_psa_destroy(c->x25519_dh);
}

/* ---- X25519: the two candidate libraries, called directly --------------- */

static uint8_t bench_k[32], bench_u[32], bench_q[32];

static void lib_nettle_fixed(struct bench_ctx *c)
{
    (void)c;
    bench_k[0]++;
    curve25519_mul_g(bench_q, bench_k);
}

static void lib_nettle_var(struct bench_ctx *c)
{
    (void)c;
    bench_k[0]++;
    curve25519_mul(bench_q, bench_k, bench_u);
}

static void lib_sodium_fixed(struct bench_ctx *c)
{
    (void)c;
    bench_k[0]++;
    if (crypto_scalarmult_base(bench_q, bench_k) != 0)
        exit(1);
}

static void lib_sodium_var(struct bench_ctx *c)
{
    (void)c;
    bench_k[0]++;
    if (crypto_scalarmult(bench_q, bench_k, bench_u) != 0)
        exit(1);
}

static void bench_x25519_libs(struct bench_ctx *c)
{
    randombytes_buf(bench_k, sizeof bench_k);
    crypto_scalarmult_base(bench_u, bench_k);
    printf("  %-34s %10.0f %10.0f %-6s\n", "X25519 fixed-base, direct", bench_rate(lib_nettle_fixed, c),
           bench_rate(lib_sodium_fixed, c), "/s");
    printf("  %-34s %10.0f %10.0f %-6s\n", "X25519 variable-base, direct", bench_rate(lib_nettle_var, c),
           bench_rate(lib_sodium_var, c), "/s");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        bench_seconds = atof(argv[1]);
    if (bench_seconds <= 0 || tls_psa_init() != TLS_PSA_OK || sodium_init() < 0) {
        fprintf(stderr, "usage: crypto_speed [SECONDS_PER_FIGURE > 0]\n");
        return 2;
    }
    static struct bench_ctx c;
    printf("crypto through PSA, one core (%.1f s per figure)\n", bench_seconds);
    printf("  %-34s %10s %10s %-6s %7s  %s\n", "", "mbedtls", "driver", "", "", "driver library");
    bench_aead(&c, TLS_PSA_AES, 16, BENCH_RECORD_MAX, "AES-128-GCM, 16 KiB records");
    bench_aead(&c, TLS_PSA_AES, 16, 1024, "AES-128-GCM, 1 KiB records");
    bench_aead(&c, TLS_PSA_AES, 32, BENCH_RECORD_MAX, "AES-256-GCM, 16 KiB records");
    bench_aead(&c, TLS_PSA_CHACHA20, 32, BENCH_RECORD_MAX, "ChaCha20-Poly1305, 16 KiB records");
    bench_ecc(&c);
    printf("  %-34s %10s %10s\n", "", "nettle", "libsodium");
    bench_x25519_libs(&c);
    return 0;
}
