/*
 * peer_keys: the pair's session-ticket keys. See peer_keys.h.
 */
#include "gateway/ha/peer_keys.h"

#include <netinet/in.h>
#include <string.h>

void peer_keys_init(struct peer_keys_state *s, uint64_t lifetime_ms, bool master)
{
    memset(s, 0, sizeof *s);
    s->lifetime_ms = lifetime_ms;
    s->master = master;
}

void peer_keys_start(struct peer_keys_state *s, const struct tls_ticket_key *fresh, uint64_t now_ms)
{
    s->k[0] = (struct peer_keys_slot){.epoch = 1, .made_ms = now_ms, .key = *fresh};
    s->n = 1;
}

uint64_t peer_keys_rotate_at(const struct peer_keys_state *s)
{
    if (s->n == 0)
        return 0;
    return s->k[0].made_ms + s->lifetime_ms + (s->master ? 0 : PEER_KEYS_DEPUTY_GRACE_MS);
}

void peer_keys_rotate(struct peer_keys_state *s, const struct tls_ticket_key *fresh, uint64_t now_ms)
{
    uint64_t epoch = s->n ? s->k[0].epoch + 1 : 1;
    if (s->n)
        s->k[1] = s->k[0];
    s->k[0] = (struct peer_keys_slot){.epoch = epoch, .made_ms = now_ms, .key = *fresh};
    s->n = s->n ? 2 : 1;
}

/* The order of keys (peer_proto.c's, on slots): epoch, name, key bytes. */
static int slot_cmp(const struct peer_keys_slot *a, const struct peer_keys_slot *b)
{
    if (a->epoch != b->epoch)
        return a->epoch < b->epoch ? -1 : 1;
    int c = memcmp(a->key.name, b->key.name, sizeof a->key.name);
    return c ? c : memcmp(a->key.key, b->key.key, sizeof a->key.key);
}

/* Adds c to the candidates unless the same key is there (then the one
 * already there, ours, keeps its time). */
static void candidate(struct peer_keys_slot *all, unsigned *n, const struct peer_keys_slot *c)
{
    for (unsigned i = 0; i < *n; i++)
        if (slot_cmp(&all[i], c) == 0)
            return;
    all[(*n)++] = *c;
}

bool peer_keys_merge(struct peer_keys_state *s, const struct peer_keys *in, uint64_t now_ms)
{
    struct peer_keys_slot all[2 * PEER_KEYS_MAX];
    unsigned n = 0;
    for (unsigned i = 0; i < s->n; i++)
        candidate(all, &n, &s->k[i]);
    for (unsigned i = 0; i < in->n && i < PEER_KEYS_MAX; i++) {
        uint64_t age = in->k[i].age_ms < now_ms ? in->k[i].age_ms : now_ms;
        struct peer_keys_slot c = {.epoch = in->k[i].epoch, .made_ms = now_ms - age, .key = in->k[i].key};
        candidate(all, &n, &c);
    }
    /* the two greatest, in order: a selection over at most four */
    struct peer_keys_slot top[PEER_KEYS_MAX] = {0};
    unsigned n_top = 0;
    while (n_top < PEER_KEYS_MAX && n > 0) {
        unsigned best = 0;
        for (unsigned i = 1; i < n; i++)
            if (slot_cmp(&all[i], &all[best]) > 0)
                best = i;
        top[n_top++] = all[best];
        all[best] = all[--n];
    }
    bool changed = n_top != s->n;
    for (unsigned i = 0; i < n_top && !changed; i++)
        changed = slot_cmp(&top[i], &s->k[i]) != 0;
    memcpy(s->k, top, n_top * sizeof top[0]);
    s->n = n_top;
    return changed;
}

void peer_keys_export(const struct peer_keys_state *s, uint64_t now_ms, struct peer_keys *out)
{
    memset(out, 0, sizeof *out);
    out->n = s->n;
    for (unsigned i = 0; i < s->n; i++) {
        out->k[i].epoch = s->k[i].epoch;
        out->k[i].age_ms = now_ms > s->k[i].made_ms ? now_ms - s->k[i].made_ms : 0;
        if (out->k[i].age_ms > PEER_KEY_AGE_MAX_MS)
            out->k[i].age_ms = PEER_KEY_AGE_MAX_MS;
        out->k[i].key = s->k[i].key;
    }
}

void peer_keys_for_relay(const struct peer_keys_state *s, struct tls_ticket_keys *out)
{
    out->current = s->k[0].key;
    out->previous = s->n > 1 ? s->k[1].key : s->k[0].key;
}

bool peer_keys_is_master(const struct ip_addr *self, const struct ip_addr *peer)
{
    return peer_node_lower(self, peer);
}
