/*
 * acme_jws: the body of an ACME POST (RFC 8555 section 6.2): a JWS in the
 * flattened JSON serialization (RFC 7515 section 7.2.2), ES256 with the
 * account key. The protected header holds alg, nonce, url and either the
 * account's jwk (newAccount, before the server knows the key) or its kid
 * (the account URL, every request after). A POST-as-GET has an empty
 * payload (section 6.3).
 *
 * Pure but for the signature (tls_acme_es256: tls/'s random generator).
 * No allocation that outlives a call; the key is the caller's.
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_JWS_H
#define RAMPART_GATEWAY_ACME_ACME_JWS_H

#include "gateway/acme/acme.h"

/* The JWS of payload (a JSON text, or "" for POST-as-GET) to url, signed
 * with k; kid NULL or "" puts the jwk in the header. Returns its length
 * (NUL-terminated in out), or 0 when it does not fit cap (ACME_JWS_MAX is
 * enough for every request Rampart makes) or an argument is unfit: a url
 * that is not acme_url_ok, a nonce that is not base64url. */
size_t acme_jws(const struct tls_acme_key *k, const char *kid, const char *nonce, const char *url,
                const char *payload, char *out, size_t cap);

/* The key authorization of a token (RFC 8555 section 8.1):
 * token "." thumbprint. Its length, or 0 when the token is unfit. */
size_t acme_key_authorization(const char *token, const char *thumbprint, char *out, size_t cap);

#endif /* RAMPART_GATEWAY_ACME_ACME_JWS_H */
