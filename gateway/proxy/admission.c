/*
 * admission: connection counts and limits of a worker, and the one test of
 * "drained". See admission.h.
 */
#include "gateway/proxy/admission.h"

#include "gateway/admin/metrics.h"
#include "gateway/event/loop.h"
#include "gateway/proxy/abuse.h"
#include "gateway/proxy/connlimit.h"

bool admission_drained(const struct worker *w)
{
    return w->draining && w->n_conns == 0;
}

void admission_note_reject(struct worker *w, const struct sockaddr_storage *peer)
{
    if (w->abuse)
        abuse_note_peer(w->abuse, peer, loop_now_ms(w->loop));
}

/* Refused before any TLS work: counted, closed, nothing else. Only the
 * per-IP limit is the client's own doing; the total limit is everyone's. */
bool admission_admit(struct worker *w, const struct sockaddr_storage *peer)
{
    switch (connlimit_acquire(w->limits, peer)) {
    case CONNLIMIT_OK:
        metrics_connection_opened();
        w->n_conns++;
        return true;
    case CONNLIMIT_PER_IP:
        metrics_reject(METRICS_REJECT_PER_IP_LIMIT);
        admission_note_reject(w, peer);
        return false;
    case CONNLIMIT_TOTAL:
    case CONNLIMIT_NOMEM: metrics_reject(METRICS_REJECT_CONN_LIMIT); return false;
    }
    return false;
}

void admission_release(struct worker *w, const struct sockaddr_storage *peer)
{
    connlimit_release(w->limits, peer);
    metrics_connection_closed();
    w->n_conns--;
    if (admission_drained(w))
        loop_stop(w->loop);
}
