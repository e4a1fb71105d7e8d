/*
 * parent_peer: the pair's shared state on the parent's loop. See
 * parent_peer.h.
 */
#include "gateway/proc/parent_peer.h"

#include "common/log.h"
#include "gateway/ha/peer_link.h"
#include "gateway/proc/parent_blocker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#define PARENT_PEER_EVENTS 64 /* taken from the channel at once */

_Static_assert(PARENT_PEER_REFUSAL_COUNT - 1 <= ADMIN_PEER_KINDS, "every refusal shown");
_Static_assert(PEER_CLOSE_COUNT <= ADMIN_PEER_KINDS && PEER_DROP_COUNT + 2 <= ADMIN_PEER_KINDS &&
                   TLS_PEER_FAIL_COUNT <= ADMIN_PEER_KINDS,
               "every reason shown");

static const char *refusal_name(unsigned why)
{
    return why == PARENT_PEER_REFUSED_FULL ? "full" : parent_firewall_refusal_name(why);
}

static uint64_t now_ms(const struct parent_peer *pp)
{
    return loop_now_ms(pp->loop);
}

static bool sharing_blocks(const struct parent_peer *pp)
{
    return pp->cfg->peer.share_blocklist;
}

/* ---- sending ------------------------------------------------------------------------------- */

static void send_msg(struct parent_peer *pp, const struct peer_msg *m)
{
    if (pp->session)
        peer_link_send(pp->link, pp->session, m);
}

static void send_keys(struct parent_peer *pp)
{
    struct peer_msg m = {.type = PEER_MSG_KEYS};
    parent_tickets_export(pp->tickets, &m.u.keys);
    if (m.u.keys.n > 0)
        send_msg(pp, &m);
}

static void flush_out(struct parent_peer *pp)
{
    if (pp->out.n == 0)
        return;
    struct peer_msg m = {.type = PEER_MSG_BLOCK, .u.blocks = pp->out};
    send_msg(pp, &m);
    pp->out.n = 0;
}

static void on_flush(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    flush_out(t->arg);
}

/* Local news for the peer: gathered, sent at the end of this round. */
static void queue_out(struct parent_peer *pp, enum peer_block_op op, const struct ip_addr *a, uint64_t ms)
{
    if (!pp->session || !sharing_blocks(pp))
        return;
    if (ms > PEER_REMAINING_MAX_MS)
        ms = PEER_REMAINING_MAX_MS;
    if (op == PEER_OP_BLOCK && ms == 0)
        ms = 1;
    pp->out.b[pp->out.n++] = (struct peer_block){.op = op, .addr = *a, .remaining_ms = (uint32_t)ms};
    (*(op == PEER_OP_BLOCK ? &pp->blocks_sent : &pp->unblocks_sent))++;
    if (pp->out.n == PEER_BLOCKS_PER_MSG)
        flush_out(pp);
    else if (!loop_timer_pending(&pp->flush))
        loop_timer_set(pp->loop, &pp->flush, 0);
}

/* Everything this node holds, at the start of a session: keys, then the
 * whole blocklist in one batch ending with SYNC_DONE. */
static void send_all(struct parent_peer *pp)
{
    send_keys(pp);
    size_t n_blocks = sharing_blocks(pp) ? peer_bl_count(&pp->bl) : 0;
    size_t n_msgs = (n_blocks + PEER_BLOCKS_PER_MSG - 1) / PEER_BLOCKS_PER_MSG + 1, used = 0;
    struct peer_msg *msgs = calloc(n_msgs, sizeof *msgs);
    if (!msgs) {
        log_event(LOG_LEVEL_ERROR, "peer_sync_failed", "reason", "out of memory", LOG_END);
        return;
    }
    size_t cursor = 0, sent = 0;
    struct peer_block b;
    while (sharing_blocks(pp) && used < n_msgs - 1 && peer_bl_next(&pp->bl, &cursor, now_ms(pp), &b)) {
        struct peer_blocks *pb = &msgs[used].u.blocks;
        msgs[used].type = PEER_MSG_BLOCK;
        pb->flags = PEER_BLOCKS_SYNC;
        pb->b[pb->n++] = b;
        sent++;
        if (pb->n == PEER_BLOCKS_PER_MSG)
            used++;
    }
    if (used < n_msgs - 1 && msgs[used].u.blocks.n > 0)
        used++;
    msgs[used].type = PEER_MSG_SYNC_DONE;
    msgs[used++].u.sync_done.blocks = (uint32_t)sent;
    peer_link_send_batch(pp->link, pp->session, msgs, used);
}

bool parent_peer_send_blob(struct parent_peer *pp, enum peer_blob_kind kind, unsigned index, unsigned flags,
                           const void *data, size_t len)
{
    size_t n = peer_blob_chunks(len);
    struct peer_msg *msgs = n && pp->session ? calloc(n, sizeof *msgs) : NULL;
    if (!msgs)
        return false;
    if (peer_blob_split(kind, index, flags, ++pp->blob_id ? pp->blob_id : ++pp->blob_id, data, len, msgs,
                        n) != n) {
        free(msgs);
        return false;
    }
    pp->blobs_sent++;
    return peer_link_send_batch(pp->link, pp->session, msgs, n); /* the link frees msgs */
}

void parent_peer_blob_refused(struct parent_peer *pp)
{
    pp->blobs_refused++;
}

bool parent_peer_up(const struct parent_peer *pp)
{
    return pp->session != 0;
}

void parent_peer_keys_changed(struct parent_peer *pp)
{
    if (pp->link)
        send_keys(pp);
}

/* ---- local changes --------------------------------------------------------------------------- */

void parent_peer_local_block(struct parent_peer *pp, const struct ip_addr *addr, uint64_t timeout_ms)
{
    if (!pp->link)
        return;
    enum peer_bl_verdict v = peer_bl_local_block(&pp->bl, addr, timeout_ms, now_ms(pp));
    if (v == PEER_BL_NEWS)
        queue_out(pp, PEER_OP_BLOCK, addr, timeout_ms);
    else if (v == PEER_BL_FULL)
        pp->refused[PARENT_PEER_REFUSED_FULL]++;
}

/* rampart-fw block / unblock, nft: the set notifications */
static void on_fw_change(void *arg, const struct parent_fw_change *ch)
{
    struct parent_peer *pp = arg;
    if (ch->added) { /* no time at all: a set without timeouts, a block for good (as long as one can last) */
        parent_peer_local_block(pp, &ch->addr, ch->left_ms ? ch->left_ms : PEER_REMAINING_MAX_MS);
        return;
    }
    uint32_t tomb = 0;
    if (peer_bl_local_unblock(&pp->bl, &ch->addr, now_ms(pp), &tomb) == PEER_BL_NEWS)
        queue_out(pp, PEER_OP_UNBLOCK, &ch->addr, tomb);
}

/* The whole list read back (at start, after an overrun): what was not
 * known is news for the peer. */
static void take_dump(struct parent_peer *pp)
{
    struct parent_blocker_dump *d = parent_firewall_take_dump(pp->fw);
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        parent_peer_local_block(pp, &d->e[i].addr, d->e[i].expires_ms);
    free(d);
}

/* ---- what the peer says ------------------------------------------------------------------------ */

/* Hands one change the merge rules let through to the firewall thread; a
 * full queue keeps it pending (retried every tick). */
static void apply_change(struct parent_peer *pp, struct peer_bl_entry *e)
{
    static struct ip_addr heard[PROTECT_HEARD_MAX];
    unsigned n_heard = pp->heard(pp->arg, heard, PROTECT_HEARD_MAX);
    bool lift = e->state == PEER_BL_LIFTED;
    uint64_t left = e->expires_ms > now_ms(pp) ? e->expires_ms - now_ms(pp) : 1;
    unsigned rc =
        parent_firewall_peer_change(pp->fw, &e->addr, lift, lift ? 0 : left, heard, n_heard, now_ms(pp));
    e->pending = rc == PARENT_FW_QUEUE_FULL;
    pp->retry_pending |= e->pending;
    if (rc == PROTECT_NONE)
        pp->blocks_applied++;
    else if (rc != PARENT_FW_QUEUE_FULL)
        pp->refused[rc]++;
}

static void on_peer_block(struct parent_peer *pp, const struct peer_block *b)
{
    bool block = b->op == PEER_OP_BLOCK;
    (*(block ? &pp->blocks_received : &pp->unblocks_received))++;
    enum peer_bl_verdict v = block ? peer_bl_peer_block(&pp->bl, &b->addr, b->remaining_ms, now_ms(pp))
                                   : peer_bl_peer_unblock(&pp->bl, &b->addr, b->remaining_ms, now_ms(pp));
    if (v == PEER_BL_FULL)
        pp->refused[PARENT_PEER_REFUSED_FULL]++;
    struct peer_bl_entry *e = v == PEER_BL_NEWS ? peer_bl_find(&pp->bl, &b->addr, now_ms(pp)) : NULL;
    if (e)
        apply_change(pp, e);
    else if (v == PEER_BL_NEWS && !block) { /* lifted here without a tombstone: still take it off */
        struct peer_bl_entry tmp = {.addr = b->addr, .state = PEER_BL_LIFTED};
        apply_change(pp, &tmp);
    }
}

static void on_up(struct parent_peer *pp, const struct peer_event *ev)
{
    const struct peer_hello *h = &ev->msg.u.hello;
    pp->session = ev->session;
    pp->synced_now = false;
    char a[PARSE_ADDR_STR_MAX], life[24];
    snprintf(life, sizeof life, "%us", h->ticket_lifetime_s);
    log_event(LOG_LEVEL_INFO, "peer_up", "peer", format_ip(&h->node, a, sizeof a), "ticket_lifetime", life,
              LOG_END);
    bool files = pp->tickets->mode == PARENT_TICKETS_FILES, theirs = h->flags & PEER_HELLO_KEYS_FROM_FILE;
    if (files != theirs)
        log_event(LOG_LEVEL_WARN, "peer_config_mismatch", "reason",
                  "one node has [tls] ticket_key_file, the other not: resumption across the pair fails",
                  LOG_END);
    else if (!files && h->ticket_lifetime_s != pp->cfg->tls.server.ticket_lifetime_ms / 1000)
        log_event(LOG_LEVEL_WARN, "peer_config_mismatch", "reason",
                  "[tls] ticket_lifetime differs: the key master's schedule rules", LOG_END);
    peer_blob_reset(&pp->blob);
    if (pp->acme_sync)
        pp->acme_sync(pp->arg); /* before SYNC_DONE: the peer knows all once it is in */
    send_all(pp);
}

static void on_event(struct parent_peer *pp, const struct peer_event *ev)
{
    if (ev->kind == PEER_EV_UP) {
        on_up(pp, ev);
        return;
    }
    if (ev->session != pp->session)
        return; /* from a session that has ended */
    if (ev->kind == PEER_EV_DOWN) {
        pp->session = 0;
        pp->out.n = 0;
        peer_blob_reset(&pp->blob);
        if (pp->acme_down)
            pp->acme_down(pp->arg);
        log_event(LOG_LEVEL_WARN, "peer_down", "effect", "this node serves alone", LOG_END);
        return;
    }
    const struct peer_msg *m = &ev->msg;
    if (m->type == PEER_MSG_KEYS) {
        pp->keys_received++;
        parent_tickets_merge(pp->tickets, &m->u.keys); /* when ours changed, `changed` sends them back */
    } else if (m->type == PEER_MSG_BLOCK && sharing_blocks(pp)) {
        for (unsigned i = 0; i < m->u.blocks.n; i++)
            on_peer_block(pp, &m->u.blocks.b[i]);
    } else if (m->type == PEER_MSG_CHUNK) {
        if (peer_blob_take(&pp->blob, &m->u.chunk) != PEER_BLOB_DONE)
            return;
        pp->blobs_received++;
        if (pp->acme_blob)
            pp->acme_blob(pp->arg, &pp->blob);
        else
            pp->blobs_refused++;
    } else if (m->type == PEER_MSG_SYNC_DONE && !pp->synced_now) {
        pp->synced_now = true;
        char n[16];
        snprintf(n, sizeof n, "%u", m->u.sync_done.blocks);
        log_event(LOG_LEVEL_INFO, "peer_synced", "blocks", n, LOG_END);
        pp->synced(pp->arg);
    }
}

static void on_notify(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct parent_peer *pp = io->arg;
    uint64_t count;
    ssize_t got = read(pp->notify_fd, &count, sizeof count);
    (void)got;
    static struct peer_event evs[PARENT_PEER_EVENTS];
    size_t n;
    /* all of it: the eventfd is readable again only when the thread adds more */
    while ((n = peer_link_events(pp->link, evs, PARENT_PEER_EVENTS)) > 0)
        for (size_t i = 0; i < n; i++)
            on_event(pp, &evs[i]);
}

/* ---- upkeep -------------------------------------------------------------------------------- */

static void on_tick(struct loop *loop, struct loop_timer *t)
{
    struct parent_peer *pp = t->arg;
    peer_bl_expire(&pp->bl, now_ms(pp));
    take_dump(pp);
    if (pp->retry_pending) {
        pp->retry_pending = false;
        size_t cursor = 0;
        struct peer_bl_entry *e;
        while ((e = peer_bl_next_pending(&pp->bl, &cursor, now_ms(pp))) && !pp->retry_pending)
            apply_change(pp, e);
    }
    loop_timer_set(loop, t, PARENT_PEER_TICK_MS);
}

/* ---- start and stop --------------------------------------------------------------------------- */

static void to_sockaddr(const struct ip_addr *a, unsigned port, struct sockaddr_storage *out, socklen_t *len)
{
    memset(out, 0, sizeof *out);
    if (a->family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)out;
        *s = (struct sockaddr_in){
            .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = a->u.v4};
        *len = sizeof *s;
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
        *s = (struct sockaddr_in6){
            .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = a->u.v6};
        *len = sizeof *s;
    }
}

static void link_config(const struct parent_peer *pp, struct peer_link_config *lc)
{
    const struct config_peer *c = &pp->cfg->peer;
    memset(lc, 0, sizeof *lc);
    to_sockaddr(&c->listen, c->port, &lc->listen, &lc->listen_len);
    to_sockaddr(&c->address, c->port, &lc->peer, &lc->peer_len);
    lc->peer_id = c->address;
    lc->hello =
        (struct peer_hello){.version = PEER_PROTO_VERSION,
                            .ticket_lifetime_s = (uint32_t)(pp->cfg->tls.server.ticket_lifetime_ms / 1000),
                            .node = c->listen};
    if (pp->tickets->mode == PARENT_TICKETS_FILES)
        lc->hello.flags |= PEER_HELLO_KEYS_FROM_FILE;
    if (getrandom(&lc->hello.instance, sizeof lc->hello.instance, 0) != (ssize_t)sizeof lc->hello.instance)
        lc->hello.instance = (uint64_t)getpid() << 32 ^ (uint64_t)loop_now_ms(pp->loop);
    lc->connect_timeout_ms = c->connect_timeout_ms;
    lc->handshake_timeout_ms = c->handshake_timeout_ms;
    lc->keepalive_ms = c->keepalive_ms;
    lc->dead_ms = c->dead_after_ms;
}

static unsigned no_heard(void *arg, struct ip_addr *out, unsigned max)
{
    (void)arg, (void)out, (void)max;
    return 0;
}

static void no_synced(void *arg)
{
    (void)arg;
}

static struct tls_peer_ctx *peer_tls(const struct config *cfg, char *err, size_t err_len)
{
    const struct config_peer *c = &cfg->peer;
    struct tls_peer_config tc = {.auth = c->psk_file[0] ? TLS_PEER_AUTH_PSK : TLS_PEER_AUTH_CERT};
    snprintf(tc.psk_file, sizeof tc.psk_file, "%s", c->psk_file);
    snprintf(tc.cert_file, sizeof tc.cert_file, "%s", c->cert_file);
    snprintf(tc.key_file, sizeof tc.key_file, "%s", c->key_file);
    snprintf(tc.ca_file, sizeof tc.ca_file, "%s", c->ca_file);
    return tls_peer_ctx_new(&tc, err, err_len);
}

int parent_peer_check(const struct config *cfg, char *err, size_t err_len)
{
    if (!cfg->peer.enabled)
        return 0;
    struct tls_peer_ctx *tls = peer_tls(cfg, err, err_len);
    tls_peer_ctx_free(tls);
    return tls ? 0 : -1;
}

int parent_peer_start(struct parent_peer *pp, struct loop *loop, const struct config *cfg,
                      struct parent_firewall *fw, struct parent_tickets *tickets, char *err, size_t err_len)
{
    pp->loop = loop;
    pp->cfg = cfg;
    pp->fw = fw;
    pp->tickets = tickets;
    pp->notify_fd = -1;
    if (!pp->heard)
        pp->heard = no_heard;
    if (!pp->synced)
        pp->synced = no_synced;
    peer_bl_init(&pp->bl);
    const struct config_peer *c = &cfg->peer;
    struct tls_peer_ctx *tls = peer_tls(cfg, err, err_len);
    if (!tls)
        return -1;
    if ((pp->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        tls_peer_ctx_free(tls);
        return snprintf(err, err_len, "peer channel: eventfd: %s", strerror(errno)), -1;
    }
    struct peer_link_config lc;
    link_config(pp, &lc);
    if (!(pp->link = peer_link_start(&lc, tls, pp->notify_fd, err, err_len)))
        return -1;
    pp->notify_io = (struct loop_io){.fd = pp->notify_fd, .fn = on_notify, .arg = pp};
    pp->tick = (struct loop_timer){.fn = on_tick, .arg = pp};
    pp->flush = (struct loop_timer){.fn = on_flush, .arg = pp};
    loop_watch(loop, &pp->notify_io, LOOP_READ);
    loop_timer_set(loop, &pp->tick, PARENT_PEER_TICK_MS);
    if (c->share_blocklist && fw->status.managed) {
        if (parent_firewall_watch(fw, loop, on_fw_change, pp, err, err_len) < 0)
            return -1;
        parent_firewall_want_dump(fw); /* what is blocked already (a restart keeps the sets) */
    }
    return 0;
}

void parent_peer_stop(struct parent_peer *pp)
{
    if (!pp->loop)
        return; /* never started */
    if (pp->link) {
        loop_unwatch(pp->loop, &pp->notify_io);
        loop_timer_clear(pp->loop, &pp->tick);
        loop_timer_clear(pp->loop, &pp->flush);
        peer_link_stop(pp->link);
        pp->link = NULL;
    }
    if (pp->notify_fd >= 0)
        close(pp->notify_fd);
    pp->notify_fd = -1;
    peer_bl_free(&pp->bl);
}

void parent_peer_reload(struct parent_peer *pp, const struct config *cfg)
{
    pp->cfg = cfg;
}

bool parent_peer_synced(const struct parent_peer *pp)
{
    return pp->synced_now;
}

/* ---- status ---------------------------------------------------------------------------------- */

static void put_counters(struct admin_counter *out, unsigned *n, const uint64_t *v, unsigned count,
                         const char *(*name)(unsigned))
{
    *n = 0;
    for (unsigned i = 0; i < count && *n < ADMIN_PEER_KINDS; i++) {
        snprintf(out[*n].label, sizeof out[*n].label, "%s", name(i));
        out[(*n)++].value = v[i];
    }
}

static const char *fail_name(unsigned i)
{
    return tls_peer_fail_name((enum tls_peer_fail)i);
}
static const char *drop_name(unsigned i)
{
    return peer_drop_name((enum peer_drop)i);
}
static const char *close_name(unsigned i)
{
    return peer_close_name((enum peer_close)i);
}
static const char *refused_name(unsigned i)
{
    return refusal_name(i + 1);
} /* PROTECT_NONE is no refusal */

static void status_keys(const struct parent_peer *pp, struct admin_peer_status *out)
{
    const struct parent_tickets *t = pp->tickets;
    out->keys_shared = t->mode == PARENT_TICKETS_PAIR;
    out->keys_master = t->mode != PARENT_TICKETS_FILES && t->keys.master;
    if (t->mode != PARENT_TICKETS_FILES && t->keys.n) {
        out->key_epoch = t->keys.k[0].epoch;
        out->key_age_s = (now_ms(pp) - t->keys.k[0].made_ms) / 1000;
    }
    out->key_rotations = t->rotations;
    out->keys_received = pp->keys_received;
}

void parent_peer_status(struct parent_peer *pp, struct admin_peer_status *out)
{
    memset(out, 0, sizeof *out);
    if (!pp->link) {
        out->state = ADMIN_PEER_DISABLED;
        return;
    }
    struct peer_link_status ls;
    peer_link_status(pp->link, &ls);
    static const enum admin_peer_state states[] = {ADMIN_PEER_DOWN, ADMIN_PEER_CONNECTING, ADMIN_PEER_UP};
    out->state = states[ls.state < PEER_LINK_STATE_COUNT ? ls.state : 0];
    out->synced = pp->synced_now && pp->session;
    out->sessions = ls.sessions;
    out->dials = ls.dials;
    out->up_seconds = ls.session ? (now_ms(pp) - ls.up_since_ms) / 1000 : 0;
    out->frames_in = ls.frames_in;
    out->frames_out = ls.frames_out;
    put_counters(out->handshake_failures, &out->n_handshake_failures, ls.handshake_failures,
                 TLS_PEER_FAIL_COUNT, fail_name);
    put_counters(out->dropped, &out->n_dropped, ls.dropped, PEER_DROP_COUNT, drop_name);
    /* whole frames, but blobs that did not come whole, or that ACME refused */
    snprintf(out->dropped[out->n_dropped].label, sizeof out->dropped[0].label, "chunk_order");
    out->dropped[out->n_dropped++].value = pp->blob.discarded;
    snprintf(out->dropped[out->n_dropped].label, sizeof out->dropped[0].label, "acme");
    out->dropped[out->n_dropped++].value = pp->blobs_refused;
    put_counters(out->closed, &out->n_closed, ls.closed, PEER_CLOSE_COUNT, close_name);
    status_keys(pp, out);
    out->blocks_sent = pp->blocks_sent;
    out->unblocks_sent = pp->unblocks_sent;
    out->blocks_received = pp->blocks_received;
    out->unblocks_received = pp->unblocks_received;
    out->blocks_applied = pp->blocks_applied;
    put_counters(out->blocks_refused, &out->n_blocks_refused, pp->refused + 1, PARENT_PEER_REFUSAL_COUNT - 1,
                 refused_name);
    out->known_addresses = peer_bl_count(&pp->bl);
}
