/*
 * tls_time.c: the clock mbedTLS stamps and checks session tickets with.
 * See tls_ms_time() in tls.h for why it is the wall clock.
 *
 * The Makefile links with --wrap=mbedtls_ms_time: every call mbedTLS's
 * SSL code makes to mbedtls_ms_time() lands in __wrap_mbedtls_ms_time
 * below, without a change to mbedTLS's build (MBEDTLS_PLATFORM_MS_TIME_ALT
 * would need MBEDTLS_PLATFORM_C and a definition in every program linked
 * against the library).
 */
#include "tls/tls_internal.h"

#include <time.h>

int64_t tls_ms_time(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (int64_t)time(NULL) * 1000;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

mbedtls_ms_time_t __wrap_mbedtls_ms_time(void);
mbedtls_ms_time_t __wrap_mbedtls_ms_time(void)
{
    return (mbedtls_ms_time_t)tls_ms_time();
}
