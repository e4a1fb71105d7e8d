/*
 * acme_ari: ACME Renewal Information (RFC 9773). The server says when a
 * certificate should be renewed (a suggestedWindow); Rampart asks for
 * each issued certificate when the directory has renewalInfo, renews at a
 * random point of that window instead of at two thirds of the lifetime
 * (acme_sched.h), and names the certificate it replaces in the next
 * newOrder ("replaces", section 5).
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_ARI_H
#define RAMPART_GATEWAY_ACME_ACME_ARI_H

#include "gateway/acme/acme_http.h"

#define ACME_ARI_ID_MAX      (B64URL_LEN(TLS_ACME_KEYID_MAX) + 1 + B64URL_LEN(TLS_ACME_SERIAL_MAX) + 1)
#define ACME_ARI_RETRY_MIN_S 3600  /* a Retry-After shorter than an hour is taken as one */
#define ACME_ARI_RETRY_MAX_S 86400 /* ... longer than a day as one */

/* base64url(authority key identifier) "." base64url(serial's content
 * octets) (section 4.1). Pure. 0, or -1 when the leaf has no AKI. */
int acme_ari_cert_id(const struct tls_acme_cert_info *info, char out[ACME_ARI_ID_MAX]);

/* The directory, then its renewalInfo for id: 1 and *w filled (*recheck_s
 * when to ask again, from Retry-After within the bounds above), 0 when
 * the server has no renewalInfo, -1 with why. */
int acme_ari_fetch(struct acme_http *h, const char *directory, const char *id, struct acme_renewal_info *w,
                   int64_t *recheck_s, char *why, size_t why_len);

#endif /* RAMPART_GATEWAY_ACME_ACME_ARI_H */
