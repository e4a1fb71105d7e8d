/*
 * tls_mbedtls.h: internal to tls/, included first by every file in tls/
 * that touches mbedTLS.
 *
 * The mbedTLS headers installed in .deps carry the library's *default*
 * mbedtls_config.h; the library itself was built with ours. Struct layouts
 * (mbedtls_ssl_context has DTLS, CID, buffer-length fields that come and go
 * with the config) must match the build, so we name our config here before
 * any mbedTLS header is read.
 */
#ifndef RAMPART_TLS_TLS_MBEDTLS_H
#define RAMPART_TLS_TLS_MBEDTLS_H

#ifndef MBEDTLS_CONFIG_FILE
#define MBEDTLS_CONFIG_FILE "tls/mbedtls_config.h"
#endif
/* Lets tls/ read the few private fields it needs (idle buffers, handshake
 * state, last alert); each use says why. */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

/* (MBEDTLS_VERSION_NUMBER is absent only when the headers are not seen at
 * all, as under cppcheck.) */
#if defined(MBEDTLS_VERSION_NUMBER) &&                                                                       \
    (!defined(MBEDTLS_SSL_SRV_C) || !defined(MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH))
#error "tls/ must be compiled against tls/mbedtls_config.h"
#endif

#endif /* RAMPART_TLS_TLS_MBEDTLS_H */
