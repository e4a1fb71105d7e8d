/*
 * peer_blocklist: the pair's blocklist as a table, and its merge rules.
 * See peer_blocklist.h.
 */
#include "gateway/ha/peer_blocklist.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define BL_CAP_MIN 64
#define BL_CAP_MAX (2 * PEER_BLOCKLIST_MAX) /* load at most one half */

void peer_bl_init(struct peer_blocklist *bl)
{
    memset(bl, 0, sizeof *bl);
}

void peer_bl_free(struct peer_blocklist *bl)
{
    free(bl->slots);
    memset(bl, 0, sizeof *bl);
}

static size_t addr_len(const struct ip_addr *a)
{
    return a->family == AF_INET ? sizeof a->u.v4 : sizeof a->u.v6;
}

static bool same(const struct ip_addr *a, const struct ip_addr *b)
{
    return a->family == b->family && memcmp(&a->u, &b->u, addr_len(a)) == 0;
}

/* FNV-1a over family and address. */
static size_t hash(const struct ip_addr *a)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)a->family;
    const uint8_t *p = (const uint8_t *)&a->u;
    for (size_t i = 0; i < addr_len(a); i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return (size_t)h;
}

/* The slot of a, or the empty slot where it would go (cap > 0). */
static size_t probe(const struct peer_blocklist *bl, const struct ip_addr *a)
{
    size_t mask = bl->cap - 1, i = hash(a) & mask;
    while (bl->slots[i].state != PEER_BL_EMPTY && !same(&bl->slots[i].addr, a))
        i = (i + 1) & mask;
    return i;
}

static int grow(struct peer_blocklist *bl)
{
    size_t cap = bl->cap ? bl->cap * 2 : BL_CAP_MIN;
    if (cap > BL_CAP_MAX)
        return -1;
    struct peer_bl_entry *old = bl->slots, *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    size_t old_cap = bl->cap;
    bl->slots = slots;
    bl->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].state != PEER_BL_EMPTY)
            bl->slots[probe(bl, &old[i].addr)] = old[i];
    free(old);
    return 0;
}

/* Removes slot i, shifting back the entries of its probe run (no
 * tombstone slots in the table itself). */
static void remove_at(struct peer_blocklist *bl, size_t i)
{
    size_t mask = bl->cap - 1, j = i;
    bl->slots[i].state = PEER_BL_EMPTY;
    bl->n--;
    for (;;) {
        j = (j + 1) & mask;
        if (bl->slots[j].state == PEER_BL_EMPTY)
            return;
        size_t home = hash(&bl->slots[j].addr) & mask;
        /* j's entry may move to i when i lies between its home and j */
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            bl->slots[i] = bl->slots[j];
            bl->slots[j].state = PEER_BL_EMPTY;
            i = j;
        }
    }
}

struct peer_bl_entry *peer_bl_find(struct peer_blocklist *bl, const struct ip_addr *a, uint64_t now_ms)
{
    if (bl->cap == 0)
        return NULL;
    size_t i = probe(bl, a);
    struct peer_bl_entry *e = &bl->slots[i];
    if (e->state == PEER_BL_EMPTY)
        return NULL;
    if (e->expires_ms <= now_ms) {
        remove_at(bl, i);
        return NULL;
    }
    return e;
}

/* The entry of a, made (empty state) if missing; NULL when full. */
static struct peer_bl_entry *find_or_add(struct peer_blocklist *bl, const struct ip_addr *a, uint64_t now_ms)
{
    struct peer_bl_entry *e = peer_bl_find(bl, a, now_ms);
    if (e)
        return e;
    if (bl->n >= PEER_BLOCKLIST_MAX || ((bl->n + 1) * 2 > bl->cap && grow(bl) < 0))
        return NULL;
    e = &bl->slots[probe(bl, a)];
    *e = (struct peer_bl_entry){.addr = *a};
    bl->n++;
    return e;
}

static bool close_to(uint64_t a, uint64_t b)
{
    return (a > b ? a - b : b - a) <= PEER_BL_TOLERANCE_MS;
}

static void set(struct peer_bl_entry *e, enum peer_bl_state state, uint64_t expires_ms)
{
    e->state = (uint8_t)state;
    e->expires_ms = expires_ms;
    e->pending = false;
}

/* ---- the rules ------------------------------------------------------------------------------ */

enum peer_bl_verdict peer_bl_local_block(struct peer_blocklist *bl, const struct ip_addr *a,
                                         uint64_t timeout_ms, uint64_t now_ms)
{
    struct peer_bl_entry *e = find_or_add(bl, a, now_ms);
    if (!e)
        return PEER_BL_FULL;
    uint64_t exp = now_ms + timeout_ms;
    bool known = e->state == PEER_BL_BLOCKED && close_to(e->expires_ms, exp);
    if (!known)
        set(e, PEER_BL_BLOCKED, exp);
    return known ? PEER_BL_IGNORE : PEER_BL_NEWS;
}

enum peer_bl_verdict peer_bl_local_unblock(struct peer_blocklist *bl, const struct ip_addr *a,
                                           uint64_t now_ms, uint32_t *tomb_ms)
{
    *tomb_ms = 0;
    struct peer_bl_entry *e = peer_bl_find(bl, a, now_ms);
    if (e && e->state == PEER_BL_LIFTED)
        return PEER_BL_IGNORE;
    if (e) { /* blocked: remembered as lifted until it would have expired */
        uint64_t left = e->expires_ms - now_ms;
        *tomb_ms = (uint32_t)(left < PEER_REMAINING_MAX_MS ? left : PEER_REMAINING_MAX_MS);
        set(e, PEER_BL_LIFTED, e->expires_ms);
    }
    /* unknown here: the peer may still hold it */
    return PEER_BL_NEWS;
}

enum peer_bl_verdict peer_bl_peer_block(struct peer_blocklist *bl, const struct ip_addr *a,
                                        uint32_t remaining_ms, uint64_t now_ms)
{
    uint64_t exp = now_ms + remaining_ms;
    struct peer_bl_entry *e = peer_bl_find(bl, a, now_ms);
    if (e && e->state == PEER_BL_LIFTED && exp <= e->expires_ms + PEER_BL_TOLERANCE_MS)
        return PEER_BL_IGNORE; /* the copy of a block lifted here */
    if (e && e->state == PEER_BL_BLOCKED && exp <= e->expires_ms + PEER_BL_TOLERANCE_MS)
        return PEER_BL_IGNORE; /* what we have lasts as long */
    if (!e && !(e = find_or_add(bl, a, now_ms)))
        return PEER_BL_FULL;
    set(e, PEER_BL_BLOCKED, exp);
    return PEER_BL_NEWS;
}

enum peer_bl_verdict peer_bl_peer_unblock(struct peer_blocklist *bl, const struct ip_addr *a,
                                          uint32_t tomb_ms, uint64_t now_ms)
{
    struct peer_bl_entry *e = peer_bl_find(bl, a, now_ms);
    bool blocked = e && e->state == PEER_BL_BLOCKED;
    uint64_t until = now_ms + tomb_ms;
    if (blocked && e->expires_ms > until)
        until = e->expires_ms;
    if (!e && tomb_ms > 0)
        e = find_or_add(bl, a, now_ms); /* remembered even when it was not here */
    if (e && (blocked || e->state != PEER_BL_LIFTED || until > e->expires_ms))
        set(e, PEER_BL_LIFTED, until > now_ms ? until : now_ms + 1);
    return blocked ? PEER_BL_NEWS : PEER_BL_IGNORE;
}

/* ---- upkeep and walks ----------------------------------------------------------------------- */

void peer_bl_expire(struct peer_blocklist *bl, uint64_t now_ms)
{
    for (size_t i = 0; i < bl->cap;) {
        struct peer_bl_entry *e = &bl->slots[i];
        if (e->state != PEER_BL_EMPTY && e->expires_ms <= now_ms)
            remove_at(bl, i); /* slot i may hold a shifted entry now: look again */
        else
            i++;
    }
}

bool peer_bl_next(const struct peer_blocklist *bl, size_t *cursor, uint64_t now_ms, struct peer_block *out)
{
    for (; *cursor < bl->cap; (*cursor)++) {
        const struct peer_bl_entry *e = &bl->slots[*cursor];
        if (e->state == PEER_BL_EMPTY || e->expires_ms <= now_ms)
            continue;
        uint64_t left = e->expires_ms - now_ms;
        *out = (struct peer_block){
            .op = e->state == PEER_BL_BLOCKED ? PEER_OP_BLOCK : PEER_OP_UNBLOCK,
            .addr = e->addr,
            .remaining_ms = (uint32_t)(left < PEER_REMAINING_MAX_MS ? left : PEER_REMAINING_MAX_MS)};
        (*cursor)++;
        return true;
    }
    return false;
}

struct peer_bl_entry *peer_bl_next_pending(struct peer_blocklist *bl, size_t *cursor, uint64_t now_ms)
{
    for (; *cursor < bl->cap; (*cursor)++) {
        struct peer_bl_entry *e = &bl->slots[*cursor];
        if (e->state != PEER_BL_EMPTY && e->pending && e->expires_ms > now_ms)
            return &bl->slots[(*cursor)++];
    }
    return NULL;
}

size_t peer_bl_count(const struct peer_blocklist *bl)
{
    return bl->n;
}
