/*
 * PLACEHOLDER until gateway/conn.c (the connection side) lands: the lead
 * deletes this file then. Plain text, no TLS: waits for a request head
 * (an empty line), answers "503" and closes, so the process side
 * (listeners, workers, limits, drain, restarts) is tested end to end.
 * Connections that have sent nothing yet count as idle for conn_drain.
 */
#include "gateway/worker.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct pconn {
    struct loop_io io;
    struct worker *w;
    struct sockaddr_storage peer;
    struct pconn *next, *prev;
    unsigned got;       /* bytes of the request head seen */
    char tail[4];       /* last bytes, to find "\r\n\r\n" across reads */
};

static void pconn_unlink(struct pconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void pconn_close(struct pconn *c)
{
    loop_unwatch(c->w->loop, &c->io);
    close(c->io.fd);
    pconn_unlink(c);
    worker_conn_released(c->w, &c->peer);
    loop_defer(c->w->loop, free, c);
}

static bool head_complete(struct pconn *c, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memmove(c->tail, c->tail + 1, 3);
        c->tail[3] = data[i];
        if (memcmp(c->tail, "\r\n\r\n", 4) == 0)
            return true;
    }
    return false;
}

static void on_readable(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    static const char reply[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                "Content-Length: 0\r\nConnection: close\r\n\r\n";
    struct pconn *c = io->arg;
    char buf[4096];
    ssize_t n = recv(io->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0)
        return;
    if (n == 0) {
        pconn_close(c);
        return;
    }
    c->got += (unsigned)n;
    if (!head_complete(c, buf, (size_t)n))
        return;
    n = send(io->fd, reply, sizeof reply - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)n;
    shutdown(io->fd, SHUT_WR);
    pconn_close(c);
}

void conn_accept(struct worker *w, enum listener_kind kind, int fd,
                 const struct sockaddr_storage *peer)
{
    (void)kind;
    struct pconn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        worker_conn_released(w, peer);
        return;
    }
    c->w = w;
    c->peer = *peer;
    c->io = (struct loop_io){.fd = fd, .fn = on_readable, .arg = c};
    c->next = w->conns;
    if (c->next)
        c->next->prev = c;
    w->conns = c;
    if (loop_watch(w->loop, &c->io, LOOP_READ) < 0)
        pconn_close(c);
}

unsigned conn_drain(struct worker *w)
{
    unsigned left = 0;
    for (struct pconn *c = w->conns, *next; c; c = next) {
        next = c->next;
        if (c->got == 0)
            pconn_close(c);
        else
            left++;
    }
    return left;
}
