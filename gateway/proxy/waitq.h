/*
 * waitq: the requests of one worker that wait for a backend slot (every
 * backend up is at its max_connections), oldest first, like HAProxy's
 * backend queue. Intrusive (the link lives in the waiting connection, so
 * queueing allocates nothing) and bounded: a push beyond WAITQ_MAX fails
 * and the request is answered 503 at once. Pure: no clocks, no sockets;
 * proxy.c owns the deadline (queue_timeout) and the wake-ups.
 *
 * One worker thread only; nothing is shared.
 */
#ifndef RAMPART_GATEWAY_PROXY_WAITQ_H
#define RAMPART_GATEWAY_PROXY_WAITQ_H

#include <stdbool.h>

#define WAITQ_MAX 1024 /* requests one worker keeps waiting for a backend */

struct waitq_link {
    struct waitq_link *prev, *next;
    bool queued;
};

struct waitq {
    struct waitq_link *head, *tail;
    unsigned count;
};

/* Appends l (not queued yet); false when WAITQ_MAX are already waiting. */
bool waitq_push(struct waitq *q, struct waitq_link *l);
/* The oldest waiter, or NULL. */
struct waitq_link *waitq_first(const struct waitq *q);
/* Takes l out; nothing when it is not queued. */
void waitq_remove(struct waitq *q, struct waitq_link *l);

#endif /* RAMPART_GATEWAY_PROXY_WAITQ_H */
