/*
 * tls_version: the version string of the mbedTLS linked in.
 */
#include "tls/tls_mbedtls.h"
#include "tls/tls.h"

#include <mbedtls/version.h>
#include <stdio.h>

const char *tls_library_version(void)
{
    static char text[32];
    char version[18];
    mbedtls_version_get_string(version);
    snprintf(text, sizeof text, "mbedTLS %s", version);
    return text;
}
