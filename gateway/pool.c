#include "gateway/pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct pool_entry {
    struct loop_io io;
    struct pool *pool;
    unsigned index;
    uint64_t since_ms;
    struct pool_entry *prev, *next;
};

struct pool_list {
    struct pool_entry *head; /* most recently put */
    unsigned count;
};

struct pool {
    struct loop *loop;
    uint64_t idle_max_ms;
    unsigned n;
    struct pool_list lists[];
};

struct pool *pool_new(struct loop *loop, unsigned n_backends, uint64_t idle_max_ms)
{
    struct pool *p = calloc(1, sizeof *p + n_backends * sizeof p->lists[0]);
    if (!p)
        return NULL;
    p->loop = loop;
    p->idle_max_ms = idle_max_ms ? idle_max_ms : POOL_IDLE_MAX_MS;
    p->n = n_backends;
    return p;
}

static void entry_unlink(struct pool_entry *e)
{
    struct pool_list *l = &e->pool->lists[e->index];
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    l->count--;
}

/* Detaches an entry and hands back its socket (not closed). The entry is
 * freed after the current batch of events: one may still name it. */
static int entry_release(struct pool_entry *e, bool now)
{
    int fd = e->io.fd;
    loop_unwatch(e->pool->loop, &e->io);
    entry_unlink(e);
    if (now || loop_defer(e->pool->loop, free, e) < 0)
        free(e); /* out of memory: no later event can be queued for it anyway */
    return fd;
}

void pool_free(struct pool *pool)
{
    if (!pool)
        return;
    for (unsigned i = 0; i < pool->n; i++)
        while (pool->lists[i].head)
            close(entry_release(pool->lists[i].head, true));
    free(pool);
}

/* An idle backend socket became readable: a close, a reset or stray bytes;
 * none of them leaves it reusable. */
static void pool_on_idle_event(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    (void)events;
    close(entry_release(io->arg, false));
}

/* The backend closed while we were not looking (no event yet this round). */
static bool still_open(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int pool_take(struct pool *pool, unsigned index)
{
    if (index >= pool->n)
        return -1;
    uint64_t now = loop_now_ms(pool->loop);
    struct pool_entry *e;
    while ((e = pool->lists[index].head) != NULL) {
        bool fresh = now - e->since_ms <= pool->idle_max_ms;
        int fd = entry_release(e, false);
        if (fresh && still_open(fd))
            return fd;
        close(fd);
    }
    return -1;
}

void pool_put(struct pool *pool, unsigned index, int fd, unsigned max_idle)
{
    if (max_idle == 0)
        max_idle = POOL_DEFAULT_MAX_IDLE;
    struct pool_entry *e = NULL;
    if (index < pool->n && pool->lists[index].count < max_idle)
        e = calloc(1, sizeof *e);
    if (!e) {
        close(fd);
        return;
    }
    *e = (struct pool_entry){
        .io = {.fd = fd, .fn = pool_on_idle_event, .arg = e},
        .pool = pool,
        .index = index,
        .since_ms = loop_now_ms(pool->loop),
    };
    if (loop_watch(pool->loop, &e->io, LOOP_READ) < 0) {
        free(e);
        close(fd);
        return;
    }
    struct pool_list *l = &pool->lists[index];
    e->next = l->head;
    if (l->head)
        l->head->prev = e;
    l->head = e;
    l->count++;
}

unsigned pool_idle_count(const struct pool *pool, unsigned index)
{
    return index < pool->n ? pool->lists[index].count : 0;
}
