/*
 * tls_cert_info.c: the validity of each configured leaf certificate, for
 * /status ("days to expiry") and /metrics
 * (rampart_tls_certificate_expiry_timestamp_seconds). Read-only on a
 * built server; see tls.h.
 */
#include "tls/tls_internal.h"

#include <stdio.h>
#include <time.h>

/* X.509 times are UTC (RFC 5280 4.1.2.5): timegm, never the local zone. */
static int64_t tls_x509_time_s(const mbedtls_x509_time *t)
{
    struct tm tm = {
        .tm_year = t->year - 1900,
        .tm_mon = t->mon - 1,
        .tm_mday = t->day,
        .tm_hour = t->hour,
        .tm_min = t->min,
        .tm_sec = t->sec,
    };
    return (int64_t)timegm(&tm);
}

int tls_server_cert_info(const struct tls_server *srv, unsigned i, struct tls_cert_info *out)
{
    if (!srv || i >= srv->n_certs)
        return -1;
    const struct tls_cert *c = &srv->certs[i];
    snprintf(out->server_name, sizeof out->server_name, "%s", c->server_name);
    out->not_before_s = tls_x509_time_s(&c->chain.valid_from);
    out->not_after_s = tls_x509_time_s(&c->chain.valid_to);
    return 0;
}
