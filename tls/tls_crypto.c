/*
 * tls_crypto.c: which library runs each primitive (detected once per
 * process), the switches that send a primitive back to mbedTLS, and the
 * per-thread operation counters. See tls/tls_crypto.h.
 *
 * intel-ipsec-mb detects the CPU itself (init_mb_mgr_auto picks its SSE,
 * AVX, AVX2 or AVX-512 code); we take it only when it has AES-NI and
 * PCLMULQDQ and, if it ran its self-test, the test passed. The manager is
 * only a table of function pointers for the direct API we call: it is
 * shared read-only by all threads and lives as long as the process.
 * nettle's P-256 code is plain x86-64 (no CPU feature to detect); libsodium
 * picks its X25519 code in sodium_init().
 */
#include "tls/tls_drv_internal.h"

#include <intel-ipsec-mb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>

struct tls_crypto_found {
    IMB_MGR *imb;
    const char *imb_name; /* "ipsec-mb-avx2" */
    bool have[TLS_CRYPTO_PRIM_COUNT];
};

static struct tls_crypto_found tls_crypto_found;
static pthread_once_t tls_crypto_once = PTHREAD_ONCE_INIT;
static atomic_bool tls_crypto_off[TLS_CRYPTO_PRIM_COUNT];

/* One block of counters per thread that ever counted, never freed (a few
 * threads per process), linked so that a reader can sum them. Only the
 * owner writes its block: plain relaxed stores, no shared cache line. */
struct tls_crypto_tally {
    _Atomic uint64_t n[TLS_CRYPTO_OP_COUNT];
    struct tls_crypto_tally *next;
};
static _Atomic(struct tls_crypto_tally *) tls_crypto_tallies;
static _Thread_local struct tls_crypto_tally *tls_crypto_mine;

static const char *const tls_crypto_prim_names[TLS_CRYPTO_PRIM_COUNT] = {
    [TLS_CRYPTO_AES_GCM] = "aes-gcm",       [TLS_CRYPTO_CHACHA20_POLY1305] = "chacha20-poly1305",
    [TLS_CRYPTO_ECDSA_P256] = "ecdsa-p256", [TLS_CRYPTO_ECDH_P256] = "ecdh-p256",
    [TLS_CRYPTO_X25519] = "x25519",
};

static const char *tls_crypto_arch_name(IMB_ARCH arch)
{
    switch (arch) {
    case IMB_ARCH_SSE: return "ipsec-mb-sse";
    case IMB_ARCH_AVX: return "ipsec-mb-avx";
    case IMB_ARCH_AVX2: return "ipsec-mb-avx2";
    case IMB_ARCH_AVX512: return "ipsec-mb-avx512";
    default: return NULL; /* none, or the no-AES-NI emulation: mbedTLS then */
    }
}

static void tls_crypto_detect_imb(struct tls_crypto_found *f)
{
    const uint64_t need = IMB_FEATURE_AESNI | IMB_FEATURE_PCLMULQDQ;
    IMB_ARCH arch = IMB_ARCH_NONE;
    IMB_MGR *m = alloc_mb_mgr(0);
    if (m == NULL)
        return;
    init_mb_mgr_auto(m, &arch);
    bool self_test_failed =
        (m->features & IMB_FEATURE_SELF_TEST) != 0 && (m->features & IMB_FEATURE_SELF_TEST_PASS) == 0;
    const char *name = tls_crypto_arch_name(arch);
    if (imb_get_errno(m) != 0 || name == NULL || (m->features & need) != need || self_test_failed) {
        free_mb_mgr(m);
        return;
    }
    f->imb = m;
    f->imb_name = name;
    f->have[TLS_CRYPTO_AES_GCM] = true;
    f->have[TLS_CRYPTO_CHACHA20_POLY1305] = true;
}

static void tls_crypto_detect_once(void)
{
    tls_crypto_detect_imb(&tls_crypto_found);
    tls_drv_p256_init();
    tls_crypto_found.have[TLS_CRYPTO_ECDSA_P256] = true;
    tls_crypto_found.have[TLS_CRYPTO_ECDH_P256] = true;
    tls_crypto_found.have[TLS_CRYPTO_X25519] = sodium_init() >= 0;
}

void tls_crypto_detect(void)
{
    pthread_once(&tls_crypto_once, tls_crypto_detect_once);
}

bool tls_crypto_on(enum tls_crypto_prim prim)
{
    tls_crypto_detect();
    return tls_crypto_found.have[prim] && !atomic_load_explicit(&tls_crypto_off[prim], memory_order_relaxed);
}

const struct IMB_MGR *tls_crypto_imb(void)
{
    tls_crypto_detect();
    return tls_crypto_found.imb;
}

const char *tls_crypto_prim_name(enum tls_crypto_prim prim)
{
    return (unsigned)prim < TLS_CRYPTO_PRIM_COUNT ? tls_crypto_prim_names[prim] : NULL;
}

const char *tls_crypto_impl(enum tls_crypto_prim prim)
{
    if ((unsigned)prim >= TLS_CRYPTO_PRIM_COUNT || !tls_crypto_on(prim))
        return "mbedtls";
    switch (prim) {
    case TLS_CRYPTO_AES_GCM:
    case TLS_CRYPTO_CHACHA20_POLY1305: return tls_crypto_found.imb_name;
    case TLS_CRYPTO_X25519: return "libsodium";
    default: return "nettle";
    }
}

void tls_crypto_set_accel(enum tls_crypto_prim prim, bool on)
{
    if ((unsigned)prim < TLS_CRYPTO_PRIM_COUNT)
        atomic_store_explicit(&tls_crypto_off[prim], !on, memory_order_relaxed);
}

static struct tls_crypto_tally *tls_crypto_tally_new(void)
{
    struct tls_crypto_tally *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->next = atomic_load_explicit(&tls_crypto_tallies, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&tls_crypto_tallies, &t->next, t, memory_order_release,
                                                  memory_order_relaxed))
        ;
    tls_crypto_mine = t;
    return t;
}

void tls_crypto_count(enum tls_crypto_op op)
{
    struct tls_crypto_tally *t = tls_crypto_mine;
    if (t == NULL && (t = tls_crypto_tally_new()) == NULL)
        return; /* out of memory: the count is lost, nothing else */
    uint64_t n = atomic_load_explicit(&t->n[op], memory_order_relaxed);
    atomic_store_explicit(&t->n[op], n + 1, memory_order_relaxed);
}

uint64_t tls_crypto_calls(enum tls_crypto_op op)
{
    uint64_t sum = 0;
    if ((unsigned)op >= TLS_CRYPTO_OP_COUNT)
        return 0;
    for (struct tls_crypto_tally *t = atomic_load_explicit(&tls_crypto_tallies, memory_order_acquire);
         t != NULL; t = t->next)
        sum += atomic_load_explicit(&t->n[op], memory_order_relaxed);
    return sum;
}
