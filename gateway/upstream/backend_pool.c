/*
 * backend_pool: a worker's idle keep-alive sockets to the backends, most
 * recently used first, watched while idle. See backend_pool.h.
 */
#include "gateway/upstream/backend_pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* Every backend socket lives in a backend_pool_sock from its first connect to its
 * close, and stays registered with the loop all that time: its watcher (the
 * first member) is what epoll names, so handing the socket from a
 * connection to the idle list and back changes a pointer and costs no
 * epoll_ctl. An idle socket is watched for reading; the backend closing it
 * or sending stray bytes wakes backend_pool_on_idle, which drops it; a take
 * peeks for what came since the last epoll_wait (still_open). Dropped
 * sockets are freed after the current batch of events (one may still name
 * them). */
struct backend_pool_sock {
    struct loop_io io; /* first: pool code converts between the two */
    const void *owner;
    uint64_t since_ms;
    unsigned index;
    struct backend_pool *pool;
    struct backend_pool_sock *prev, *next; /* idle list */
};

struct backend_pool_list {
    struct backend_pool_sock *head; /* most recently put */
    unsigned count;
};

struct backend_pool {
    struct loop *loop;
    uint64_t idle_max_ms;
    unsigned n;
    struct backend_pool_list lists[];
};

_Static_assert(offsetof(struct backend_pool_sock, io) == 0, "backend_pool_sock starts with its watcher");

static struct backend_pool_sock *sock_of(struct loop_io *io)
{
    return (struct backend_pool_sock *)io;
}

struct backend_pool *backend_pool_new(struct loop *loop, unsigned n_backends, uint64_t idle_max_ms)
{
    struct backend_pool *p = calloc(1, sizeof *p + n_backends * sizeof p->lists[0]);
    if (!p)
        return NULL;
    p->loop = loop;
    p->idle_max_ms = idle_max_ms ? idle_max_ms : BACKEND_POOL_IDLE_MAX_MS;
    p->n = n_backends;
    return p;
}

static void list_unlink(struct backend_pool_list *l, struct backend_pool_sock *s)
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

void backend_pool_drop(struct backend_pool *pool, struct loop_io *io)
{
    struct backend_pool_sock *s = sock_of(io);
    loop_unwatch(pool->loop, io);
    close(io->fd);
    *io = (struct loop_io){.fd = -1, .fn = dead_event};
    if (loop_defer(pool->loop, sock_free, s) < 0)
        free(s); /* no memory to defer: the lesser risk is to free now */
}

void backend_pool_free(struct backend_pool *pool)
{
    if (!pool)
        return;
    for (unsigned i = 0; i < pool->n; i++) {
        while (pool->lists[i].head) {
            struct backend_pool_sock *s = pool->lists[i].head;
            list_unlink(&pool->lists[i], s);
            loop_unwatch(pool->loop, &s->io);
            close(s->io.fd);
            free(s);
        }
    }
    free(pool);
}

struct loop_io *backend_pool_adopt(struct backend_pool *pool, int fd)
{
    struct backend_pool_sock *s = calloc(1, sizeof *s);
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
static void backend_pool_on_idle(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    struct backend_pool_sock *s = sock_of(io);
    if (!(events & LOOP_READ) || still_open(io->fd))
        return;
    list_unlink(&s->pool->lists[s->index], s);
    backend_pool_drop(s->pool, io);
}

struct loop_io *backend_pool_take(struct backend_pool *pool, unsigned index, const void *owner)
{
    if (index >= pool->n)
        return NULL;
    uint64_t now = loop_now_ms(pool->loop);
    struct backend_pool_list *l = &pool->lists[index];
    while (l->head) {
        struct backend_pool_sock *s = l->head;
        list_unlink(l, s);
        if (s->owner == owner && now - s->since_ms <= pool->idle_max_ms && still_open(s->io.fd))
            return &s->io;
        backend_pool_drop(pool, &s->io);
    }
    return NULL;
}

void backend_pool_put(struct backend_pool *pool, unsigned index, const void *owner, struct loop_io *io,
                      unsigned max_idle)
{
    if (index >= pool->n || pool->lists[index].count >= max_idle ||
        loop_watch(pool->loop, io, LOOP_READ) < 0) {
        backend_pool_drop(pool, io);
        return;
    }
    struct backend_pool_sock *s = sock_of(io);
    struct backend_pool_list *l = &pool->lists[index];
    io->fn = backend_pool_on_idle;
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

unsigned backend_pool_idle_count(const struct backend_pool *pool, unsigned index)
{
    return index < pool->n ? pool->lists[index].count : 0;
}

unsigned backend_pool_idle_fds(const struct backend_pool *pool, unsigned index, int *fds, unsigned max)
{
    unsigned n = 0;
    for (const struct backend_pool_sock *s = index < pool->n ? pool->lists[index].head : NULL; s && n < max;
         s = s->next)
        fds[n++] = s->io.fd;
    return n;
}
