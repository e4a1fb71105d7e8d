/*
 * acme_sched: when to order. See acme_sched.h.
 */
#include "gateway/acme/acme_sched.h"

int64_t acme_sched_backoff_s(unsigned n)
{
    int64_t s = ACME_BACKOFF_MIN_S;
    for (unsigned i = 1; i < n && s < ACME_BACKOFF_MAX_S; i++)
        s *= 2;
    return s < ACME_BACKOFF_MAX_S ? s : ACME_BACKOFF_MAX_S;
}

static int64_t sched_renewal(const struct acme_sched_in *in)
{
    if (in->have_window && in->window.end_s >= in->window.start_s) {
        if (in->window.end_s <= in->now_s)
            return in->now_s;
        double f = in->frac >= 0 && in->frac < 1 ? in->frac : 0;
        return in->window.start_s + (int64_t)(f * (double)(in->window.end_s - in->window.start_s));
    }
    int64_t life = in->not_after_s - in->not_before_s;
    return life > 0 ? in->not_before_s + life / 3 * 2 : in->now_s;
}

int64_t acme_sched_next(const struct acme_sched_in *in)
{
    if (!in->have_cert)
        return in->failures ? in->last_failure_s + acme_sched_backoff_s(in->failures) : in->now_s;
    int64_t at = sched_renewal(in);
    if (in->failures == 0)
        return at;
    int64_t retry = in->last_failure_s + acme_sched_backoff_s(in->failures);
    return retry > at ? retry : at;
}
