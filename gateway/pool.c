#include "gateway/pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* Idle sockets are not registered with epoll: watching them would cost two
 * epoll_ctl calls per request. A socket can be checked when it is taken
 * instead (a peek sees a close, a reset or stray bytes), and a socket that
 * waited too long is not reused at all. */
struct pool_entry {
    int fd;
    const void *owner;
    uint64_t since_ms;
    struct pool_entry *next;
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

static int entry_pop(struct pool_list *l, uint64_t *since_ms, const void **owner)
{
    struct pool_entry *e = l->head;
    int fd = e->fd;
    *since_ms = e->since_ms;
    *owner = e->owner;
    l->head = e->next;
    l->count--;
    free(e);
    return fd;
}

void pool_free(struct pool *pool)
{
    if (!pool)
        return;
    for (unsigned i = 0; i < pool->n; i++) {
        uint64_t since;
        const void *owner;
        while (pool->lists[i].head)
            close(entry_pop(&pool->lists[i], &since, &owner));
    }
    free(pool);
}

/* Nothing to read and no end of stream: the backend still holds it open. */
static bool still_open(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int pool_take(struct pool *pool, unsigned index, const void *owner, bool check)
{
    if (index >= pool->n)
        return -1;
    uint64_t now = loop_now_ms(pool->loop), since;
    const void *was;
    while (pool->lists[index].head) {
        int fd = entry_pop(&pool->lists[index], &since, &was);
        if (was == owner && now - since <= pool->idle_max_ms && (!check || still_open(fd)))
            return fd;
        close(fd);
    }
    return -1;
}

void pool_put(struct pool *pool, unsigned index, const void *owner, int fd, unsigned max_idle)
{
    struct pool_entry *e = NULL;
    if (index < pool->n && pool->lists[index].count < max_idle)
        e = malloc(sizeof *e);
    if (!e) {
        close(fd);
        return;
    }
    struct pool_list *l = &pool->lists[index];
    *e = (struct pool_entry){.fd = fd, .owner = owner, .since_ms = loop_now_ms(pool->loop), .next = l->head};
    l->head = e;
    l->count++;
}

unsigned pool_idle_count(const struct pool *pool, unsigned index)
{
    return index < pool->n ? pool->lists[index].count : 0;
}
