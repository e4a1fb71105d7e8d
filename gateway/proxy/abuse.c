/*
 * abuse: per-client refusal counting for the autoblock. See abuse.h.
 */
#include "gateway/proxy/abuse.h"

#include <netinet/in.h>
#include <string.h>

_Static_assert((ABUSE_TABLE_SIZE & (ABUSE_TABLE_SIZE - 1)) == 0, "table size is a power of 2");
_Static_assert(ABUSE_PROBE <= ABUSE_TABLE_SIZE, "probe within the table");

void abuse_init(struct abuse *a, unsigned threshold, uint64_t window_ms)
{
    memset(a, 0, sizeof *a);
    a->threshold = threshold ? threshold : 1;
    a->window_ms = window_ms ? window_ms : 1;
    pthread_mutex_init(&a->lock, NULL);
}

void abuse_destroy(struct abuse *a)
{
    pthread_mutex_destroy(&a->lock);
}

/* IPv4 as ::ffff:a.b.c.d; IPv6 as its /64 (low 64 bits zero), the way
 * connlimit.c groups clients: one subscriber holds a whole /64, so counting
 * /128s would give it 2^64 fresh starts. */
static void key_of(const struct ip_addr *addr, uint8_t key[ABUSE_KEY_LEN])
{
    memset(key, 0, ABUSE_KEY_LEN);
    if (addr->family == AF_INET6) {
        memcpy(key, &addr->u.v6, ABUSE_IPV6_PREFIX_BYTES);
        return;
    }
    key[10] = key[11] = 0xff;
    memcpy(key + 12, &addr->u.v4, 4);
}

/* FNV-1a over the key. */
static unsigned abuse_key_hash(const uint8_t key[ABUSE_KEY_LEN])
{
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < ABUSE_KEY_LEN; i++)
        h = (h ^ key[i]) * 16777619u;
    return h;
}

static bool expired(const struct abuse *a, const struct abuse_entry *e, uint64_t now_ms)
{
    return now_ms - e->window_start_ms >= a->window_ms;
}

/* The key's slot: its own entry, else a free or expired one, else the
 * oldest of the probed slots (evicted). */
static struct abuse_entry *slot_for(struct abuse *a, const uint8_t key[ABUSE_KEY_LEN], uint64_t now_ms)
{
    unsigned h = abuse_key_hash(key);
    struct abuse_entry *reuse = NULL, *oldest = NULL;
    for (unsigned i = 0; i < ABUSE_PROBE; i++) {
        struct abuse_entry *e = &a->table[(h + i) & (ABUSE_TABLE_SIZE - 1)];
        if (e->used && memcmp(e->key, key, ABUSE_KEY_LEN) == 0)
            return e;
        if (!reuse && (!e->used || expired(a, e, now_ms)))
            reuse = e;
        if (!oldest || e->window_start_ms < oldest->window_start_ms)
            oldest = e;
    }
    if (!reuse) {
        reuse = oldest;
        a->evictions++;
    }
    *reuse = (struct abuse_entry){.used = true, .window_start_ms = now_ms};
    memcpy(reuse->key, key, ABUSE_KEY_LEN);
    return reuse;
}

bool abuse_note(struct abuse *a, const struct ip_addr *addr, uint64_t now_ms)
{
    uint8_t key[ABUSE_KEY_LEN];
    key_of(addr, key);
    bool offender = false;
    pthread_mutex_lock(&a->lock);
    struct abuse_entry *e = slot_for(a, key, now_ms);
    if (expired(a, e, now_ms)) {
        e->count = 0;
        e->window_start_ms = now_ms;
    }
    if (++e->count >= a->threshold) {
        if (a->n_pending < ABUSE_PENDING_MAX) {
            a->pending[a->n_pending++] = *addr;
            e->count = 0;
            e->window_start_ms = now_ms;
            offender = true;
        } else {
            a->queue_full++; /* stays at threshold: queued at its next refusal */
        }
    }
    pthread_mutex_unlock(&a->lock);
    return offender;
}

bool abuse_counts_status(unsigned status)
{
    switch (status) {
    case 400:
    case 408:
    case 413:
    case 414:
    case 431: return true;
    default: return false;
    }
}

int abuse_peer_addr(const struct sockaddr_storage *peer, struct ip_addr *out)
{
    memset(out, 0, sizeof *out);
    if (peer->ss_family == AF_INET) {
        out->family = AF_INET;
        out->u.v4 = ((const struct sockaddr_in *)peer)->sin_addr;
        return 0;
    }
    if (peer->ss_family != AF_INET6)
        return -1;
    const struct in6_addr *v6 = &((const struct sockaddr_in6 *)peer)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(v6)) {
        out->family = AF_INET;
        memcpy(&out->u.v4, v6->s6_addr + 12, 4);
    } else {
        out->family = AF_INET6;
        out->u.v6 = *v6;
    }
    return 0;
}

bool abuse_note_peer(struct abuse *a, const struct sockaddr_storage *peer, uint64_t now_ms)
{
    struct ip_addr addr;
    return abuse_peer_addr(peer, &addr) == 0 && abuse_note(a, &addr, now_ms);
}

unsigned abuse_take(struct abuse *a, struct ip_addr *out, unsigned max)
{
    pthread_mutex_lock(&a->lock);
    unsigned n = a->n_pending < max ? a->n_pending : max;
    memcpy(out, a->pending, n * sizeof *out);
    memmove(a->pending, a->pending + n, (a->n_pending - n) * sizeof *out);
    a->n_pending -= n;
    pthread_mutex_unlock(&a->lock);
    return n;
}
