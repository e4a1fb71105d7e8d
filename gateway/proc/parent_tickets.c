/*
 * parent_tickets: the relays' session-ticket keys, alone, shared by the
 * pair or from files. See parent_tickets.h.
 */
#include "gateway/proc/parent_tickets.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static enum parent_tickets_mode mode_of(const struct config *cfg)
{
    if (cfg->tls.server.n_ticket_key_files > 0)
        return PARENT_TICKETS_FILES;
    return cfg->peer.enabled && cfg->peer.share_tickets ? PARENT_TICKETS_PAIR : PARENT_TICKETS_ALONE;
}

static int read_files(struct tls_ticket_keys *out, const struct tls_config *tc, char *err, size_t err_len)
{
    struct tls_ticket_keys k;
    if (tls_ticket_key_file_read(tc->ticket_key_files[0], &k.current, err, err_len) < 0)
        return -1;
    k.previous = k.current;
    if (tc->n_ticket_key_files > 1 &&
        tls_ticket_key_file_read(tc->ticket_key_files[1], &k.previous, err, err_len) < 0)
        return -1;
    *out = k;
    explicit_bzero(&k, sizeof k);
    return 0;
}

/* The next rotation: the key's schedule (pair, alone), or a refresh of the
 * relays' copies one lifetime from now (files). */
static void schedule(struct parent_tickets *t)
{
    uint64_t now = loop_now_ms(t->loop), delay = t->keys.lifetime_ms;
    if (t->mode != PARENT_TICKETS_FILES) {
        uint64_t at = peer_keys_rotate_at(&t->keys);
        delay = at > now ? at - now : 0;
    }
    loop_timer_set(t->loop, &t->timer, delay);
}

static void on_timer(struct loop *loop, struct loop_timer *timer)
{
    struct parent_tickets *t = timer->arg;
    uint64_t now = loop_now_ms(loop);
    if (t->mode != PARENT_TICKETS_FILES && now >= peer_keys_rotate_at(&t->keys)) {
        struct tls_ticket_key fresh;
        if (tls_ticket_key_generate(&fresh) == 0) {
            peer_keys_rotate(&t->keys, &fresh, now);
            explicit_bzero(&fresh, sizeof fresh);
            t->rotations++;
            char epoch[24];
            snprintf(epoch, sizeof epoch, "%llu", (unsigned long long)t->keys.k[0].epoch);
            log_event(LOG_LEVEL_INFO, "ticket_keys_rotated", "epoch", epoch, "by",
                      t->mode == PARENT_TICKETS_ALONE ? "this node"
                      : t->keys.master                ? "key master"
                                                      : "deputy",
                      LOG_END);
        } else {
            log_event(LOG_LEVEL_ERROR, "ticket_keys_failed", "reason", strerror(errno), LOG_END);
            loop_timer_set(loop, timer, 1000); /* try again; the old keys stay meanwhile */
            return;
        }
    }
    t->changed(t->arg);
    schedule(t);
}

int parent_tickets_init(struct parent_tickets *t, struct loop *loop, const struct config *cfg,
                        void (*changed)(void *arg), void *arg, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    t->loop = loop;
    t->changed = changed;
    t->arg = arg;
    t->mode = mode_of(cfg);
    t->timer = (struct loop_timer){.fn = on_timer, .arg = t};
    bool master =
        t->mode == PARENT_TICKETS_ALONE || peer_keys_is_master(&cfg->peer.listen, &cfg->peer.address);
    peer_keys_init(&t->keys, cfg->tls.server.ticket_lifetime_ms, master);
    if (t->mode == PARENT_TICKETS_FILES) {
        if (read_files(&t->file_keys, &cfg->tls.server, err, err_len) < 0)
            return -1;
    } else {
        struct tls_ticket_key fresh;
        if (tls_ticket_key_generate(&fresh) < 0)
            return snprintf(err, err_len, "ticket keys: getrandom: %s", strerror(errno)), -1;
        peer_keys_start(&t->keys, &fresh, loop_now_ms(loop));
        explicit_bzero(&fresh, sizeof fresh);
    }
    if (cfg->tls.server.ticket_lifetime_ms)
        schedule(t);
    return 0;
}

int parent_tickets_reload(struct parent_tickets *t, const struct config *cfg, char *err, size_t err_len)
{
    if (t->mode == PARENT_TICKETS_FILES && mode_of(cfg) == PARENT_TICKETS_FILES) {
        struct tls_ticket_keys k;
        if (read_files(&k, &cfg->tls.server, err, err_len) < 0)
            return -1;
        t->file_keys = k;
        explicit_bzero(&k, sizeof k);
    } else if (mode_of(cfg) != t->mode) {
        log_event(LOG_LEVEL_WARN, "reload_partial", "reason",
                  "ticket_key_file and [peer] share_tickets changes take effect at the next restart",
                  LOG_END);
    }
    t->keys.lifetime_ms = cfg->tls.server.ticket_lifetime_ms;
    if (t->keys.lifetime_ms)
        schedule(t);
    return 0;
}

void parent_tickets_free(struct parent_tickets *t)
{
    if (t->loop)
        loop_timer_clear(t->loop, &t->timer);
    explicit_bzero(&t->keys, sizeof t->keys);
    explicit_bzero(&t->file_keys, sizeof t->file_keys);
}

void parent_tickets_get(const struct parent_tickets *t, struct tls_ticket_keys *out)
{
    if (t->mode == PARENT_TICKETS_FILES)
        *out = t->file_keys;
    else
        peer_keys_for_relay(&t->keys, out);
}

bool parent_tickets_merge(struct parent_tickets *t, const struct peer_keys *in)
{
    if (t->mode != PARENT_TICKETS_PAIR || !peer_keys_merge(&t->keys, in, loop_now_ms(t->loop)))
        return false;
    t->merges++;
    char epoch[24];
    snprintf(epoch, sizeof epoch, "%llu", (unsigned long long)t->keys.k[0].epoch);
    log_event(LOG_LEVEL_INFO, "ticket_keys_from_peer", "epoch", epoch, LOG_END);
    t->changed(t->arg);
    schedule(t);
    return true;
}

void parent_tickets_export(const struct parent_tickets *t, struct peer_keys *out)
{
    if (t->mode == PARENT_TICKETS_PAIR)
        peer_keys_export(&t->keys, loop_now_ms(t->loop), out);
    else
        memset(out, 0, sizeof *out);
}
