/*
 * tls_drv.c: the life cycle of the PSA drivers (tls/tls_drv.h), called by
 * psa_crypto_init() and mbedtls_psa_crypto_free() through the patched
 * driver wrappers.
 *
 * init detects the CPU and the libraries once per process (tls_crypto.c)
 * and never fails: without accelerators the built-in code runs. After
 * fork() only the forking thread exists, so the child frees every slot of
 * the AEAD key cache a vanished thread might have held; the handler is
 * registered at the first psa_crypto_init(), before tls_rng.c's (which
 * frees and re-creates PSA's keys in the child), so it runs first.
 */
#include "tls/tls_drv_internal.h"

#include <pthread.h>

static pthread_once_t tls_drv_fork_once = PTHREAD_ONCE_INIT;

static void tls_drv_child(void)
{
    tls_drv_aead_after_fork();
}

static void tls_drv_register_fork(void)
{
    (void)pthread_atfork(NULL, NULL, tls_drv_child);
}

psa_status_t tls_drv_init(void)
{
    tls_crypto_detect();
    pthread_once(&tls_drv_fork_once, tls_drv_register_fork);
    return PSA_SUCCESS;
}

void tls_drv_free(void)
{
    tls_drv_aead_forget_all();
}
