/*
 * peer_link: the peer channel's thread, its mailboxes, listener, dialing
 * and the choice of the session. See peer_link.h; one connection's work is
 * peer_conn.c.
 *
 * Locking: `mu` guards the outbox, the inbox, stop/reset, session_pub and
 * st_pub; the thread's own state (connections, backoff, st) is touched by
 * the thread alone and published (copied under mu) after each event.
 */
#include "gateway/ha/peer_link_internal.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

const char *peer_link_state_name(enum peer_link_state s)
{
    static const char *const names[PEER_LINK_STATE_COUNT] = {"down", "connecting", "up"};
    return (unsigned)s < PEER_LINK_STATE_COUNT ? names[s] : "unknown";
}

const char *peer_close_name(enum peer_close why)
{
    static const char *const names[PEER_CLOSE_COUNT] = {
        [PEER_CLOSE_CONNECT] = "connect",   [PEER_CLOSE_TIMEOUT] = "handshake_timeout",
        [PEER_CLOSE_IDLE] = "idle_timeout", [PEER_CLOSE_MESSAGE] = "message_timeout",
        [PEER_CLOSE_EOF] = "eof",           [PEER_CLOSE_ERROR] = "error",
        [PEER_CLOSE_OVERFLOW] = "overflow", [PEER_CLOSE_DUPLICATE] = "duplicate",
        [PEER_CLOSE_STRANGER] = "stranger", [PEER_CLOSE_BUSY] = "busy",
    };
    return (unsigned)why < PEER_CLOSE_COUNT ? names[why] : "unknown";
}

static void signal_fd(int fd)
{
    uint64_t one = 1;
    ssize_t n = write(fd, &one, sizeof one); /* EAGAIN: it is already readable */
    (void)n;
}

void peer_link_publish(struct peer_link *l)
{
    pthread_mutex_lock(&l->mu);
    l->st_pub = l->st;
    l->st_pub.outbox_dropped += l->dropped_pub;
    pthread_mutex_unlock(&l->mu);
}

/* ---- the inbox (thread -> parent) ----------------------------------------------------------- */

bool peer_link_inbox_full(struct peer_link *l)
{
    pthread_mutex_lock(&l->mu);
    bool full = l->in_len >= PEER_INBOX_MAX;
    pthread_mutex_unlock(&l->mu);
    return full;
}

/* Events the parent must not miss (UP, DOWN) go in even when the inbox is
 * full of messages: one slot is kept for each. */
static bool push_event(struct peer_link *l, const struct peer_event *ev, bool must)
{
    pthread_mutex_lock(&l->mu);
    size_t cap = must ? PEER_INBOX_MAX + 2 : PEER_INBOX_MAX;
    bool room = l->in_len < cap;
    if (room) {
        l->inbox[(l->in_head + l->in_len) % (PEER_INBOX_MAX + 2)] = *ev;
        l->in_len++;
    }
    pthread_mutex_unlock(&l->mu);
    signal_fd(l->notify_fd);
    return room;
}

bool peer_link_deliver(struct peer_link *l, struct peer_conn *c, const struct peer_msg *msg)
{
    if (c != l->active)
        return true; /* a connection that lost the choice: nothing it says counts */
    struct peer_event ev = {.kind = PEER_EV_MSG, .session = c->session, .msg = *msg};
    return push_event(l, &ev, false);
}

size_t peer_link_events(struct peer_link *l, struct peer_event *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&l->mu);
    while (n < max && l->in_len > 0) {
        out[n++] = l->inbox[l->in_head];
        l->in_head = (l->in_head + 1) % (PEER_INBOX_MAX + 2);
        l->in_len--;
    }
    pthread_mutex_unlock(&l->mu);
    if (n)
        signal_fd(l->wake_fd); /* a paused session may read again */
    return n;
}

/* ---- the outbox (parent -> thread) ---------------------------------------------------------- */

static bool outbox_put(struct peer_link *l, const struct peer_outbox_item *it)
{
    pthread_mutex_lock(&l->mu);
    bool room = l->out_len < PEER_OUTBOX_MAX, current = it->session == l->session_pub;
    if (room && current)
        l->outbox[(l->out_head + l->out_len++) % PEER_OUTBOX_MAX] = *it;
    else if (current)
        l->reset = true; /* it cannot keep up: a new session starts from a full exchange */
    else
        l->dropped_pub++;
    pthread_mutex_unlock(&l->mu);
    signal_fd(l->wake_fd);
    return room && current;
}

bool peer_link_send(struct peer_link *l, uint64_t session, const struct peer_msg *msg)
{
    struct peer_outbox_item it = {.session = session, .n = 1, .one = *msg};
    return outbox_put(l, &it);
}

bool peer_link_send_batch(struct peer_link *l, uint64_t session, struct peer_msg *msgs, size_t n)
{
    struct peer_outbox_item it = {.session = session, .msgs = msgs, .n = n, .batch = true};
    if (n && outbox_put(l, &it))
        return true;
    free(msgs);
    return n == 0;
}

static void item_free(struct peer_outbox_item *it)
{
    if (it->batch)
        free(it->msgs);
}

/* Moves what the outbox holds for the session into its output, as far as
 * it has room; what was queued for an ended session is dropped. */
void peer_link_feed(struct peer_link *l)
{
    struct peer_conn *c = l->active;
    pthread_mutex_lock(&l->mu);
    while (l->out_len > 0) {
        struct peer_outbox_item *it = &l->outbox[l->out_head];
        bool live = c && it->session == c->session;
        while (live && it->next < it->n && peer_conn_has_room(c))
            peer_conn_queue(c, it->batch ? &it->msgs[it->next++] : (it->next++, &it->one));
        if (live && it->next < it->n)
            break; /* the rest when the socket drains */
        if (!live)
            l->st.outbox_dropped += it->n - it->next;
        item_free(it);
        l->out_head = (l->out_head + 1) % PEER_OUTBOX_MAX;
        l->out_len--;
    }
    pthread_mutex_unlock(&l->mu);
}

void peer_link_status(struct peer_link *l, struct peer_link_status *out)
{
    pthread_mutex_lock(&l->mu);
    *out = l->st_pub;
    pthread_mutex_unlock(&l->mu);
}

/* ---- connections ---------------------------------------------------------------------------- */

static struct peer_conn **free_slot(struct peer_link *l)
{
    for (int i = 0; i < PEER_CONNS_MAX; i++)
        if (!l->conns[i])
            return &l->conns[i];
    return NULL;
}

static struct peer_conn *find_conn(struct peer_link *l, bool dialed)
{
    for (int i = 0; i < PEER_CONNS_MAX; i++)
        if (l->conns[i] && l->conns[i] != l->active && l->conns[i]->dialed == dialed)
            return l->conns[i];
    return NULL;
}

static void set_state(struct peer_link *l)
{
    l->st.state = l->active ? PEER_LINK_UP : find_conn(l, true) ? PEER_LINK_CONNECTING : PEER_LINK_DOWN;
}

static void dial_later(struct peer_link *l)
{
    l->backoff_ms = peer_backoff_next(l->backoff_ms);
    loop_timer_set(l->loop, &l->dial_timer, l->backoff_ms);
}

static void dial(struct peer_link *l)
{
    struct peer_conn **slot = free_slot(l);
    if (l->active || find_conn(l, true) || !slot)
        return;
    l->st.dials++;
    /* from our [peer] listen address, not one the kernel picks (a VIP on
     * the same link may be): the peer and its policy know only that one */
    struct sockaddr_storage from = l->cfg.listen;
    if (from.ss_family == AF_INET)
        ((struct sockaddr_in *)&from)->sin_port = 0;
    else
        ((struct sockaddr_in6 *)&from)->sin6_port = 0;
    int fd = socket(l->cfg.peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 &&
        (bind(fd, (const struct sockaddr *)&from, l->cfg.listen_len) < 0 ||
         (connect(fd, (const struct sockaddr *)&l->cfg.peer, l->cfg.peer_len) < 0 && errno != EINPROGRESS))) {
        close(fd);
        fd = -1;
    }
    struct peer_conn *c = fd >= 0 ? peer_conn_new(l, fd, true, true) : NULL;
    if (!c) {
        if (fd >= 0)
            close(fd);
        l->st.closed[PEER_CLOSE_CONNECT]++;
        dial_later(l);
        return;
    }
    *slot = c;
    set_state(l);
}

static void on_dial_timer(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    dial(t->arg);
    peer_link_publish(t->arg);
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

/* One accepted connection: only the peer's address, one handshake at a time. */
static void accept_one(struct peer_link *l, int fd, const struct sockaddr_storage *from)
{
    enum peer_close refuse = PEER_CLOSE_COUNT;
    struct peer_conn **slot = free_slot(l);
    if (!same_host(from, &l->cfg.peer))
        refuse = PEER_CLOSE_STRANGER;
    else if (find_conn(l, false) || !slot)
        refuse = PEER_CLOSE_BUSY;
    struct peer_conn *c = refuse == PEER_CLOSE_COUNT ? peer_conn_new(l, fd, false, false) : NULL;
    if (!c) {
        l->st.closed[refuse == PEER_CLOSE_COUNT ? PEER_CLOSE_ERROR : refuse]++;
        close(fd);
        return;
    }
    *slot = c;
}

static void on_listen(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct peer_link *l = io->arg;
    for (int i = 0; i < PEER_CONNS_MAX; i++) { /* bounded: the rest at the next event */
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        int fd = accept4(l->listen_fd, (struct sockaddr *)&from, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        accept_one(l, fd, &from);
    }
    peer_link_publish(l);
}

/* ---- the session ---------------------------------------------------------------------------- */

static void become_session(struct peer_link *l, struct peer_conn *c)
{
    l->active = c;
    c->session = ++l->next_session;
    l->st.session = c->session;
    l->st.sessions++;
    l->st.up_since_ms = loop_now_ms(l->loop);
    loop_timer_clear(l->loop, &l->dial_timer);
    pthread_mutex_lock(&l->mu);
    l->session_pub = c->session;
    pthread_mutex_unlock(&l->mu);
    struct peer_event ev = {.kind = PEER_EV_UP, .session = c->session, .msg.type = PEER_MSG_HELLO};
    ev.msg.u.hello = c->peer;
    push_event(l, &ev, true);
    set_state(l);
    /* A dial of ours still under way is left to finish: the peer may take
     * it for its session already (it is the lower node's dial, which both
     * keep), and closing it here would leave the two nodes with different
     * sessions until both time out. When it completes, the rule decides. */
}

void peer_link_on_hello(struct peer_link *l, struct peer_conn *c)
{
    struct peer_conn *old = l->active;
    if (old &&
        !peer_link_prefer(old->peer.instance, old->dialed, c->peer.instance, c->dialed, l->we_are_lower)) {
        peer_conn_close(c, PEER_CLOSE_DUPLICATE);
        return;
    }
    if (old)
        peer_conn_close(old, PEER_CLOSE_DUPLICATE); /* its DOWN goes out first */
    become_session(l, c);
}

void peer_link_on_close(struct peer_link *l, struct peer_conn *c)
{
    for (int i = 0; i < PEER_CONNS_MAX; i++)
        if (l->conns[i] == c)
            l->conns[i] = NULL;
    if (c == l->active) {
        l->active = NULL;
        l->st.session = 0;
        pthread_mutex_lock(&l->mu);
        l->session_pub = 0;
        pthread_mutex_unlock(&l->mu);
        struct peer_event ev = {.kind = PEER_EV_DOWN, .session = c->session};
        push_event(l, &ev, true);
        if (loop_now_ms(l->loop) - c->started_ms >= PEER_BACKOFF_RESET_MS)
            l->backoff_ms = 0;
    }
    set_state(l);
    if (!l->active && !find_conn(l, true) && !loop_timer_pending(&l->dial_timer))
        dial_later(l);
}

/* ---- the thread ----------------------------------------------------------------------------- */

static void on_wake(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct peer_link *l = io->arg;
    uint64_t n;
    ssize_t got = read(l->wake_fd, &n, sizeof n);
    (void)got;
    pthread_mutex_lock(&l->mu);
    bool stop = l->stop, reset = l->reset;
    l->reset = false;
    pthread_mutex_unlock(&l->mu);
    if (stop) {
        loop_stop(loop);
        return;
    }
    if (reset && l->active)
        peer_conn_close(l->active, PEER_CLOSE_OVERFLOW);
    peer_link_feed(l);
    if (l->active)
        peer_conn_kick(l->active);
    peer_link_publish(l);
}

static void *link_main(void *arg)
{
    struct peer_link *l = arg;
    pthread_setname_np(pthread_self(), "rampart-peer");
    l->listen_io = (struct loop_io){.fd = l->listen_fd, .fn = on_listen, .arg = l};
    l->wake_io = (struct loop_io){.fd = l->wake_fd, .fn = on_wake, .arg = l};
    l->dial_timer = (struct loop_timer){.fn = on_dial_timer, .arg = l};
    loop_watch(l->loop, &l->listen_io, LOOP_READ);
    loop_watch(l->loop, &l->wake_io, LOOP_READ);
    loop_timer_set(l->loop, &l->dial_timer, 0);
    loop_run(l->loop);
    for (int i = 0; i < PEER_CONNS_MAX; i++)
        peer_conn_free(l->conns[i]);
    loop_unwatch(l->loop, &l->listen_io);
    loop_unwatch(l->loop, &l->wake_io);
    loop_timer_clear(l->loop, &l->dial_timer);
    return NULL;
}

static int open_listener(const struct peer_link_config *cfg, char *err, size_t err_len)
{
    int fd = socket(cfg->listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (const struct sockaddr *)&cfg->listen, cfg->listen_len) < 0 || listen(fd, 8) < 0) {
        char a[PARSE_ADDR_STR_MAX];
        snprintf(err, err_len, "[peer] listen %s: %s",
                 format_sockaddr((const struct sockaddr *)&cfg->listen, a, sizeof a), strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void link_free(struct peer_link *l)
{
    if (l->listen_fd >= 0)
        close(l->listen_fd);
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    for (size_t i = 0; l->outbox && i < l->out_len; i++)
        item_free(&l->outbox[(l->out_head + i) % PEER_OUTBOX_MAX]);
    free(l->outbox);
    free(l->inbox);
    loop_free(l->loop);
    tls_peer_ctx_free(l->tls);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

struct peer_link *peer_link_start(const struct peer_link_config *cfg, struct tls_peer_ctx *tls, int notify_fd,
                                  char *err, size_t err_len)
{
    struct peer_link *l = calloc(1, sizeof *l);
    if (!l) {
        tls_peer_ctx_free(tls);
        snprintf(err, err_len, "peer channel: out of memory");
        return NULL;
    }
    l->cfg = *cfg;
    l->tls = tls;
    l->notify_fd = notify_fd;
    l->wake_fd = -1;
    pthread_mutex_init(&l->mu, NULL);
    l->we_are_lower = peer_node_lower(&cfg->hello.node, &cfg->peer_id);
    l->listen_fd = open_listener(cfg, err, err_len);
    if (l->listen_fd < 0)
        goto fail;
    l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->outbox = calloc(PEER_OUTBOX_MAX, sizeof *l->outbox);
    l->inbox = calloc(PEER_INBOX_MAX + 2, sizeof *l->inbox);
    l->loop = loop_new();
    if (l->wake_fd < 0 || !l->outbox || !l->inbox || !l->loop) {
        snprintf(err, err_len, "peer channel: %s", strerror(errno ? errno : ENOMEM));
        goto fail;
    }
    int rc = pthread_create(&l->thread, NULL, link_main, l);
    if (rc != 0) {
        snprintf(err, err_len, "peer channel thread: %s", strerror(rc));
        goto fail;
    }
    return l;
fail:
    link_free(l);
    return NULL;
}

void peer_link_stop(struct peer_link *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_mutex_unlock(&l->mu);
    signal_fd(l->wake_fd);
    pthread_join(l->thread, NULL);
    link_free(l);
}
