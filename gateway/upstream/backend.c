/*
 * backend: smooth weighted round robin over the backends that are up, and
 * their rise/fall state. See backend.h.
 */
#include "gateway/upstream/backend.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int backend_set_init(struct backend_set *set, const struct config *cfg, bool start_down)
{
    set->count = cfg->n_backends;
    set->rise = cfg->health.rise ? cfg->health.rise : 1;
    set->fall = cfg->health.fall ? cfg->health.fall : 1;
    set->items = set->count ? calloc(set->count, sizeof *set->items) : NULL;
    if (set->count && !set->items)
        return -1;
    unsigned n_up = 0;
    for (unsigned i = 0; i < set->count; i++) {
        struct backend *b = &set->items[i];
        b->cfg = &cfg->backends[i];
        b->index = i;
        b->health.up = !start_down;
        atomic_init(&b->up, !start_down);
        n_up += !start_down;
    }
    atomic_init(&set->n_up, n_up);
    pthread_mutex_init(&set->lock, NULL);
    return 0;
}

void backend_set_destroy(struct backend_set *set)
{
    pthread_mutex_destroy(&set->lock);
    free(set->items);
    set->items = NULL;
    set->count = 0;
}

bool backend_health_step(struct backend_health *h, bool ok, unsigned rise, unsigned fall)
{
    if (ok) {
        h->fail_streak = 0;
        if (h->up)
            return false;
        if (++h->ok_streak < rise)
            return false;
        h->ok_streak = 0;
        h->up = true;
        return true;
    }
    h->ok_streak = 0;
    if (!h->up)
        return false;
    if (++h->fail_streak < fall)
        return false;
    h->fail_streak = 0;
    h->up = false;
    return true;
}

/* Under set->lock. A change restarts the picker's rotation from a clean
 * state, so a backend coming back is not owed a burst of requests. */
static void apply_change(struct backend_set *set, struct backend *b, const char *why)
{
    bool up = b->health.up;
    atomic_store(&b->up, up);
    unsigned n_up = up ? atomic_fetch_add(&set->n_up, 1) + 1 : atomic_fetch_sub(&set->n_up, 1) - 1;
    for (unsigned i = 0; i < set->count; i++)
        set->items[i].current_weight = 0;
    b->status.changed_s = (uint64_t)time(NULL);
    snprintf(b->status.changed_why, sizeof b->status.changed_why, "%s", why);
    char count[32];
    snprintf(count, sizeof count, "%u/%u", n_up, set->count);
    log_event(up ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, up ? "backend_up" : "backend_down", "backend",
              b->cfg->name, "reason", why, "backends_up", count, LOG_END);
}

bool backend_observe(struct backend_set *set, struct backend *b, bool ok, const char *why)
{
    pthread_mutex_lock(&set->lock);
    b->status.result_s = (uint64_t)time(NULL);
    b->status.result_ok = ok;
    snprintf(b->status.result, sizeof b->status.result, "%s", why);
    bool changed = backend_health_step(&b->health, ok, set->rise, set->fall);
    if (changed)
        apply_change(set, b, why);
    atomic_store(&b->failing, b->health.fail_streak > 0);
    pthread_mutex_unlock(&set->lock);
    return changed;
}

static const char *outcome_text(enum backend_outcome o)
{
    switch (o) {
    case BACKEND_CONNECT_FAILED: return "request failed: connect error";
    case BACKEND_DROPPED: return "request failed: connection dropped before an answer";
    case BACKEND_PROTOCOL_ERROR: return "request failed: invalid HTTP response";
    default: return "request";
    }
}

void backend_report(struct backend_set *set, struct backend *b, enum backend_outcome outcome)
{
    switch (outcome) {
    case BACKEND_CONNECT_FAILED:
    case BACKEND_DROPPED:
    case BACKEND_PROTOCOL_ERROR: backend_observe(set, b, false, outcome_text(outcome)); return;
    case BACKEND_RESPONSE_OK:
        /* once per response: the lock only when there is a streak to end */
        if (atomic_load_explicit(&b->failing, memory_order_relaxed)) {
            pthread_mutex_lock(&set->lock);
            if (b->health.up)
                b->health.fail_streak = 0;
            atomic_store(&b->failing, b->health.fail_streak > 0);
            pthread_mutex_unlock(&set->lock);
        }
        return;
    case BACKEND_TIMEOUT:
    case BACKEND_RESPONSE_5XX: return;
    }
}

static bool backend_has_room(const struct backend *b)
{
    unsigned cap = b->cfg->max_connections;
    return cap == 0 || atomic_load_explicit(&b->active, memory_order_relaxed) < cap;
}

struct backend *backend_pick(struct backend_set *set, const struct backend *exclude,
                             enum backend_pick_why *why)
{
    struct backend *best = NULL;
    int total = 0;
    bool busy = false;
    pthread_mutex_lock(&set->lock);
    for (unsigned i = 0; i < set->count; i++) {
        struct backend *b = &set->items[i];
        int w = (int)b->cfg->weight;
        if (!b->health.up || w <= 0 || b == exclude)
            continue;
        if (!backend_has_room(b)) {
            busy = true;
            continue;
        }
        b->current_weight += w;
        total += w;
        if (!best || b->current_weight > best->current_weight)
            best = b;
    }
    if (best) {
        best->current_weight -= total;
        atomic_fetch_add_explicit(&best->active, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&set->lock);
    if (why)
        *why = best ? BACKEND_PICKED : busy ? BACKEND_ALL_BUSY : BACKEND_NONE_UP;
    return best;
}

void backend_release(struct backend *b)
{
    atomic_fetch_sub_explicit(&b->active, 1, memory_order_relaxed);
}

void backend_set_start_down(struct backend_set *set, uint64_t down_mask)
{
    pthread_mutex_lock(&set->lock);
    for (unsigned i = 0; i < set->count && i < 64; i++) {
        struct backend *b = &set->items[i];
        if ((down_mask >> i & 1) && b->health.up) {
            b->health = (struct backend_health){.up = false};
            apply_change(set, b, "down before this relay started");
        }
    }
    pthread_mutex_unlock(&set->lock);
}

void backend_get_status(struct backend_set *set, const struct backend *b, struct backend_status *out)
{
    pthread_mutex_lock(&set->lock);
    *out = b->status;
    pthread_mutex_unlock(&set->lock);
}

uint64_t backend_down_mask(const struct backend_set *set)
{
    uint64_t mask = 0;
    for (unsigned i = 0; i < set->count && i < 64; i++)
        if (!atomic_load(&set->items[i].up))
            mask |= (uint64_t)1 << i;
    return mask;
}

bool backend_set_settled(const struct backend_set *set, bool checks)
{
    for (unsigned i = 0; checks && i < set->count; i++) {
        const struct backend *b = &set->items[i];
        if (atomic_load(&b->up) && atomic_load(&b->checks_ok) == 0)
            return false;
    }
    return true;
}

unsigned backend_count_up(const struct backend_set *set)
{
    return atomic_load(&set->n_up);
}
