/*
 * admin: the listener's I/O half. Accepts on the admin address, reads one
 * request head, answers it (admin_http.c builds the bytes) and closes:
 * one request per connection, a bounded number of connections, a deadline
 * for each. Runs on one relay worker's loop; nothing here blocks.
 */
#include "gateway/admin/admin.h"
#include "gateway/admin/admin_http.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ADMIN_BACKLOG 16

struct admin_client {
    struct loop_io io;
    struct loop_timer deadline;
    char req[ADMIN_REQUEST_MAX];
    size_t req_len;
    struct strbuf resp;
    size_t sent;
    bool used;
};

static struct {
    struct loop *loop;
    struct loop_io listener;
    admin_collect_fn collect;
    void *collect_arg;
    /* Fixed slots, never freed: an event still queued for a client closed
     * earlier in the same batch finds its watcher unregistered (the loop
     * skips it), so admin_stop() is safe from any callback. */
    struct admin_client clients[ADMIN_MAX_CLIENTS];
    unsigned port;
} admin = {.listener = {.fd = -1}};

unsigned admin_port(void)
{
    return admin.port;
}

static void client_close(struct admin_client *c)
{
    loop_unwatch(admin.loop, &c->io);
    loop_timer_clear(admin.loop, &c->deadline);
    close(c->io.fd);
    strbuf_free(&c->resp);
    c->used = false;
}

static void client_deadline(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    client_close(t->arg);
}

static void client_write(struct admin_client *c)
{
    while (c->sent < c->resp.len) {
        ssize_t n = send(c->io.fd, c->resp.data + c->sent, c->resp.len - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            loop_watch(admin.loop, &c->io, LOOP_WRITE);
            return;
        }
        if (n <= 0)
            break;
        c->sent += (size_t)n;
    }
    shutdown(c->io.fd, SHUT_WR);
    client_close(c);
}

/* A whole head (or a bad one) arrived: snapshot, render, send. */
static void client_answer(struct admin_client *c, enum admin_parse parsed, const struct admin_request *req)
{
    /* The snapshot is large (every backend) and the loop is one thread:
     * one static copy serves every answer. */
    static struct metrics_snapshot snap;
    if (parsed == ADMIN_PARSE_OK)
        admin.collect(&snap, admin.collect_arg);
    admin_respond(req, parsed, parsed == ADMIN_PARSE_OK ? &snap : NULL, &c->resp);
    if (c->resp.overflow) {
        client_close(c);
        return;
    }
    client_write(c);
}

static void client_read(struct admin_client *c)
{
    for (;;) {
        size_t room = sizeof c->req - c->req_len;
        ssize_t n = recv(c->io.fd, c->req + c->req_len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            client_close(c);
            return;
        }
        c->req_len += (size_t)n;
        struct admin_request req;
        enum admin_parse parsed = admin_parse_request(c->req, c->req_len, &req);
        if (parsed == ADMIN_PARSE_INCOMPLETE && c->req_len == sizeof c->req)
            parsed = ADMIN_PARSE_BAD; /* head larger than ADMIN_REQUEST_MAX */
        if (parsed != ADMIN_PARSE_INCOMPLETE) {
            loop_watch(admin.loop, &c->io, 0);
            client_answer(c, parsed, &req);
            return;
        }
    }
}

static void client_event(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    (void)events;
    struct admin_client *c = io->arg;
    if (c->resp.len > 0)
        client_write(c);
    else
        client_read(c);
}

static void client_add(int fd)
{
    unsigned slot = 0;
    while (slot < ADMIN_MAX_CLIENTS && admin.clients[slot].used)
        slot++;
    if (slot == ADMIN_MAX_CLIENTS) {
        close(fd); /* full: the operator retries */
        return;
    }
    struct admin_client *c = &admin.clients[slot];
    *c = (struct admin_client){.used = true, .resp = STRBUF_HEAP_INIT};
    c->io = (struct loop_io){.fd = fd, .fn = client_event, .arg = c};
    c->deadline = (struct loop_timer){.fn = client_deadline, .arg = c};
    if (loop_watch(admin.loop, &c->io, LOOP_READ) != 0) {
        close(fd);
        c->used = false;
        return;
    }
    loop_timer_set(admin.loop, &c->deadline, ADMIN_TIMEOUT_MS);
}

static void listener_event(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    (void)events;
    for (;;) {
        int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return; /* EAGAIN, or EMFILE and friends: try again on the next event */
        }
        client_add(fd);
    }
}

static int listener_open(const struct listen_addr *la)
{
    char name[PARSE_ADDR_STR_MAX];
    format_sockaddr((const struct sockaddr *)&la->addr, name, sizeof name);
    int fd = socket(la->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    /* SO_REUSEPORT: on a reload the new relay binds while the old one
     * drains (which calls admin_unlisten() at once). */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)&la->addr, la->len) != 0 || listen(fd, ADMIN_BACKLOG) != 0) {
        fprintf(stderr, "rampart: admin listener %s: %s\n", name, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &len) == 0)
        admin.port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                       : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

int admin_start(struct loop *loop, const struct config *cfg, admin_collect_fn collect, void *arg)
{
    admin_collect_init(cfg);
    if (!cfg->admin.enabled)
        return 0;
    if (admin.loop) {
        fprintf(stderr, "rampart: admin listener already started\n");
        return -1;
    }
    int fd = listener_open(&cfg->admin.listen);
    if (fd < 0)
        return -1;
    admin.loop = loop;
    admin.collect = collect;
    admin.collect_arg = arg;
    admin.listener = (struct loop_io){.fd = fd, .fn = listener_event};
    if (loop_watch(loop, &admin.listener, LOOP_READ) != 0) {
        fprintf(stderr, "rampart: admin listener: %s\n", strerror(errno));
        close(fd);
        admin.listener.fd = -1;
        return -1;
    }
    return 0;
}

void admin_unlisten(void)
{
    if (admin.listener.fd < 0)
        return;
    loop_unwatch(admin.loop, &admin.listener);
    close(admin.listener.fd);
    admin.listener.fd = -1;
    admin.port = 0;
}

void admin_stop(void)
{
    if (!admin.loop)
        return;
    admin_unlisten();
    for (unsigned i = 0; i < ADMIN_MAX_CLIENTS; i++)
        if (admin.clients[i].used)
            client_close(&admin.clients[i]);
    admin.loop = NULL;
}
