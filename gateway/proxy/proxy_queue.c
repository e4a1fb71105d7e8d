/*
 * proxy_queue: requests waiting for a backend slot (every backend up is at
 * its max_connections), part of the connection state machine (see
 * conn_internal.h). Each worker keeps its own bounded queue (waitq.h),
 * oldest first; a waiter looks again when a slot of this worker frees and
 * every CONN_QUEUE_POLL_MS for slots freed by other workers, and gets 503
 * after queue_timeout (its phase timer), like HAProxy's `timeout queue`.
 */
#include "gateway/proxy/conn_internal.h"

#include <stddef.h>

static void proxy_queue_poll(struct loop *loop, struct loop_timer *t);

static struct exchange *exchange_of_link(struct waitq_link *l)
{
    return (struct exchange *)((char *)l - offsetof(struct exchange, queued));
}

/* A slot may have come free: the oldest waiter looks after this event. */
void proxy_queue_kick(struct worker *w)
{
    struct conn_worker *cw = w->conns;
    if (cw && cw->queue.count)
        loop_timer_set(w->loop, &cw->queue_poll, 0);
}

/* Every backend up is at its max_connections: wait for a slot, at most
 * queue_timeout (conn_timer), in a bounded queue. */
void proxy_queue_wait(struct exchange *x, const struct backend *exclude)
{
    struct worker *w = x->c->w;
    struct conn_worker *cw = w->conns;
    uint64_t timeout = x->c->cfg->limits.queue_timeout_ms;
    if (timeout == 0 || !waitq_push(&cw->queue, &x->queued)) {
        x->ops->reply(x, 503);
        return;
    }
    x->rs = RS_QUEUED;
    x->exclude = exclude;
    x->ops->timer(x, timeout);
    if (!cw->queue_poll.fn)
        cw->queue_poll = (struct loop_timer){.fn = proxy_queue_poll, .arg = w};
    if (!loop_timer_pending(&cw->queue_poll))
        loop_timer_set(w->loop, &cw->queue_poll, CONN_QUEUE_POLL_MS);
}

/* Oldest first: each waiter that gets a slot connects; a slot freed on
 * another worker is found at the next poll. */
static void proxy_queue_poll(struct loop *loop, struct loop_timer *t)
{
    struct worker *w = t->arg;
    struct conn_worker *cw = w->conns;
    for (struct waitq_link *l; (l = waitq_first(&cw->queue));) {
        struct exchange *x = exchange_of_link(l);
        enum backend_pick_why why = BACKEND_NONE_UP;
        struct backend *b = w->backends ? backend_pick(w->backends, x->exclude, &why) : NULL;
        if (!b && why == BACKEND_ALL_BUSY)
            break;
        waitq_remove(&cw->queue, l);
        if (b)
            proxy_connect_to(x, b);
        else
            x->ops->reply(x, proxy_no_backend_status(w->backends, x->exclude));
        if (exchange_live(x))
            x->ops->pump(x);
    }
    if (cw->queue.count)
        loop_timer_set(loop, t, CONN_QUEUE_POLL_MS);
}

void proxy_queue_leave(struct exchange *x)
{
    struct conn_worker *cw = x->c->w->conns;
    if (x->queued.queued)
        waitq_remove(&cw->queue, &x->queued);
}
