/*
 * acme_sched: when a certificate is ordered (pure: times in, a time out).
 *
 *   - none yet (or the placeholder): now;
 *   - issued: at two thirds of its lifetime (not_before + 2/3 of
 *     not_after - not_before), or, when the server gave an ARI window
 *     (RFC 9773 section 4.2), at a point of that window (the caller picks
 *     it with `frac`, uniform in [0, 1): the RFC asks for a random one so a
 *     fleet does not renew at once); a window already past: now;
 *   - after a failed order: the backoff, ACME_BACKOFF_MIN_S doubling per
 *     failure in a row up to ACME_BACKOFF_MAX_S (so a failing renewal is
 *     tried at least four times a day until the certificate expires).
 */
#ifndef RAMPART_GATEWAY_ACME_ACME_SCHED_H
#define RAMPART_GATEWAY_ACME_ACME_SCHED_H

#include "gateway/acme/acme.h"

#define ACME_BACKOFF_MIN_S 60         /* the first retry after a failure */
#define ACME_BACKOFF_MAX_S (6 * 3600) /* the longest wait between two tries */
#define ACME_ARI_RECHECK_S (6 * 3600) /* renewalInfo asked again at most this often (or its Retry-After) */

struct acme_sched_in {
    bool have_cert; /* an issued certificate (not the placeholder) */
    int64_t not_before_s, not_after_s;
    bool have_window; /* an ARI window */
    struct acme_renewal_info window;
    double frac;            /* [0, 1): where in the window */
    unsigned failures;      /* orders failed in a row */
    int64_t last_failure_s; /* when the last of them failed */
    int64_t now_s;
};

/* The Unix time the next order starts (<= now_s: at once). */
int64_t acme_sched_next(const struct acme_sched_in *in);

/* The backoff after n failures in a row (n >= 1). */
int64_t acme_sched_backoff_s(unsigned n);

#endif /* RAMPART_GATEWAY_ACME_ACME_SCHED_H */
