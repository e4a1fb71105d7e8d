#include "gateway/pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* Every backend socket lives in a pool_sock from its first connect to its
 * close, and stays registered with epoll all that time: its watcher (the
 * first member) is what epoll names, so handing the socket from a
 * connection to the idle list and back changes a pointer and costs no
 * epoll_ctl. An idle socket is watched for reading; the backend closing it
 * or sending stray bytes wakes pool_on_idle, which drops it, so a take
 * needs no liveness peek. Dropped sockets are freed after the current
 * batch of events (one may still name them). */
struct pool_sock {
    struct loop_io io; /* first: pool code converts between the two */
    const void *owner;
    uint64_t since_ms;
    unsigned index;
    struct pool *pool;
    struct pool_sock *prev, *next; /* idle list */
};

struct pool_list {
    struct pool_sock *head; /* most recently put */
    unsigned count;
};

struct pool {
    struct loop *loop;
    uint64_t idle_max_ms;
    unsigned n;
    struct pool_list lists[];
};

_Static_assert(offsetof(struct pool_sock, io) == 0, "pool_sock starts with its watcher");

static struct pool_sock *sock_of(struct loop_io *io)
{
    return (struct pool_sock *)io;
}

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

static void list_unlink(struct pool_list *l, struct pool_sock *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        l->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    l->count--;
}

static void sock_free(void *arg)
{
    free(arg);
}

/* A stale event already taken from the kernel may still name a dropped
 * socket: it lands here, harmlessly. */
static void dead_event(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)io, (void)events;
}

void pool_drop(struct pool *pool, struct loop_io *io)
{
    struct pool_sock *s = sock_of(io);
    loop_unwatch(pool->loop, io);
    close(io->fd);
    *io = (struct loop_io){.fd = -1, .fn = dead_event};
    if (loop_defer(pool->loop, sock_free, s) < 0)
        free(s); /* no memory to defer: the lesser risk is to free now */
}

void pool_free(struct pool *pool)
{
    if (!pool)
        return;
    for (unsigned i = 0; i < pool->n; i++) {
        while (pool->lists[i].head) {
            struct pool_sock *s = pool->lists[i].head;
            list_unlink(&pool->lists[i], s);
            loop_unwatch(pool->loop, &s->io);
            close(s->io.fd);
            free(s);
        }
    }
    free(pool);
}

struct loop_io *pool_adopt(struct pool *pool, int fd)
{
    struct pool_sock *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->pool = pool;
    s->io.fd = fd;
    return &s->io;
}

/* Nothing to read and no end of stream: the backend still holds it open. */
static bool still_open(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* An idle socket became readable (or hung up): the backend closed it or
 * sent bytes nobody asked for; either way it cannot carry a request. The
 * peek only filters an event that was queued before the socket went idle. */
static void pool_on_idle(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    struct pool_sock *s = sock_of(io);
    if (!(events & LOOP_READ) || still_open(io->fd))
        return;
    list_unlink(&s->pool->lists[s->index], s);
    pool_drop(s->pool, io);
}

struct loop_io *pool_take(struct pool *pool, unsigned index, const void *owner, bool check)
{
    if (index >= pool->n)
        return NULL;
    uint64_t now = loop_now_ms(pool->loop);
    struct pool_list *l = &pool->lists[index];
    while (l->head) {
        struct pool_sock *s = l->head;
        list_unlink(l, s);
        if (s->owner == owner && now - s->since_ms <= pool->idle_max_ms && (!check || still_open(s->io.fd)))
            return &s->io;
        pool_drop(pool, &s->io);
    }
    return NULL;
}

void pool_put(struct pool *pool, unsigned index, const void *owner, struct loop_io *io, unsigned max_idle)
{
    if (index >= pool->n || pool->lists[index].count >= max_idle ||
        loop_watch(pool->loop, io, LOOP_READ) < 0) {
        pool_drop(pool, io);
        return;
    }
    struct pool_sock *s = sock_of(io);
    struct pool_list *l = &pool->lists[index];
    io->fn = pool_on_idle;
    io->arg = s;
    s->owner = owner;
    s->index = index;
    s->since_ms = loop_now_ms(pool->loop);
    s->prev = NULL;
    s->next = l->head;
    if (l->head)
        l->head->prev = s;
    l->head = s;
    l->count++;
}

unsigned pool_idle_count(const struct pool *pool, unsigned index)
{
    return index < pool->n ? pool->lists[index].count : 0;
}
