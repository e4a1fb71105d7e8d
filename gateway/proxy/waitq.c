/*
 * waitq: a bounded FIFO of requests waiting for a backend slot. See waitq.h.
 */
#include "gateway/proxy/waitq.h"

#include <stddef.h>

bool waitq_push(struct waitq *q, struct waitq_link *l)
{
    if (l->queued || q->count >= WAITQ_MAX)
        return false;
    *l = (struct waitq_link){.prev = q->tail, .queued = true};
    if (q->tail)
        q->tail->next = l;
    else
        q->head = l;
    q->tail = l;
    q->count++;
    return true;
}

struct waitq_link *waitq_first(const struct waitq *q)
{
    return q->head;
}

void waitq_remove(struct waitq *q, struct waitq_link *l)
{
    if (!l->queued)
        return;
    if (l->prev)
        l->prev->next = l->next;
    else
        q->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        q->tail = l->prev;
    *l = (struct waitq_link){0};
    q->count--;
}
