/*
 * tls_rng.c: process-wide set-up: PSA crypto (TLS 1.3 runs on it) and one
 * CTR_DRBG seeded from the kernel, shared by every worker thread. mbedTLS
 * locks the DRBG itself (MBEDTLS_THREADING_PTHREAD), so sharing is safe;
 * one DRBG per thread would be faster but the DRBG is not where handshakes
 * spend their time (see bench/tls_handshakes.sh).
 *
 * Fork safety: the relay process is forked from the parent. A child that
 * inherited an already seeded DRBG would repeat its parent's (and its
 * siblings') random numbers, so the child side of fork() reseeds both the
 * DRBG and PSA's own generator before anything else can draw from them.
 */
#include "tls/tls_internal.h"

#include <pthread.h>

static mbedtls_entropy_context tls_entropy;
static mbedtls_ctr_drbg_context tls_drbg;
static pthread_once_t tls_init_once = PTHREAD_ONCE_INIT;
static int tls_init_result = -1;

static const unsigned char tls_rng_label[] = "rampart tls";

static int tls_rng_seed(void)
{
    return mbedtls_ctr_drbg_seed(&tls_drbg, mbedtls_entropy_func, &tls_entropy, tls_rng_label,
                                 sizeof tls_rng_label - 1);
}

static atomic_bool tls_fork_exec_only;

void tls_fork_execs(bool yes)
{
    atomic_store(&tls_fork_exec_only, yes);
}

static void tls_rng_after_fork(void)
{
    if (tls_init_result != 0 || atomic_load(&tls_fork_exec_only))
        return;
    /* Only this thread exists in the child: no lock is held by anyone. */
    mbedtls_psa_crypto_free();
    if (psa_crypto_init() != PSA_SUCCESS ||
        mbedtls_ctr_drbg_reseed(&tls_drbg, tls_rng_label, sizeof tls_rng_label - 1) != 0)
        tls_init_result = -1; /* tls_server_new() will then refuse to start */
}

static void tls_global_init_once(void)
{
    if (psa_crypto_init() != PSA_SUCCESS)
        return;
    mbedtls_entropy_init(&tls_entropy);
    mbedtls_ctr_drbg_init(&tls_drbg);
    if (tls_rng_seed() != 0)
        return;
    if (pthread_atfork(NULL, NULL, tls_rng_after_fork) != 0)
        return;
    tls_init_result = 0;
}

int tls_global_init(void)
{
    pthread_once(&tls_init_once, tls_global_init_once);
    return tls_init_result;
}

int tls_rng(void *ctx, unsigned char *out, size_t len)
{
    return mbedtls_ctr_drbg_random(ctx, out, len);
}

void *tls_rng_ctx(void)
{
    return &tls_drbg;
}
