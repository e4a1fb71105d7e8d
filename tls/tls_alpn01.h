/*
 * tls_alpn01: the TLS-ALPN-01 challenge (RFC 8737) on the HTTPS listener,
 * internal to tls/. A client whose ClientHello offers ALPN "acme-tls/1"
 * (tls_hello.c sees it) and names, by SNI, a name with a challenge
 * published gets that name's challenge certificate (self-signed, the name
 * its only SAN, the critical acmeIdentifier extension holding SHA-256 of
 * the key authorization), "acme-tls/1" negotiated, and the connection
 * closed once the handshake is done (tls_conn.c): nothing else is served
 * on it. Without a challenge for the name the handshake fails.
 *
 * The table (tls.h, tls_alpn01_set) is replaced whole by the relay's
 * control thread; each certificate's key is a throw-away P-256 key made
 * here (it signs this one handshake's CertificateVerify in the relay, not
 * through the key holder: it protects nothing). A handshake takes a copy
 * of its certificate and key under the table's lock, so a table replaced
 * meanwhile frees nothing a handshake uses.
 */
#ifndef RAMPART_TLS_TLS_ALPN01_H
#define RAMPART_TLS_TLS_ALPN01_H

#include "tls/tls_mbedtls.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define TLS_ALPN01_PROTOCOL "acme-tls/1"

/* The challenge of name[0..len) into crt and pk (initialised by the
 * caller): 0, or -1 when there is none. */
extern atomic_ullong tls_alpn01_answers; /* handshakes that were a challenge (tls_alpn01_answered) */

int tls_alpn01_load(const char *name, size_t len, mbedtls_x509_crt *crt, mbedtls_pk_context *pk);

#endif /* RAMPART_TLS_TLS_ALPN01_H */
