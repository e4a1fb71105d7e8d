/*
 * backend: the web servers behind the gateway, their up/down state and the
 * weighted round-robin pick. Shared by all worker threads of the relay
 * (atomics + one small mutex around the pick).
 *
 * The picker is "smooth weighted round robin" (as in nginx): exact, so with
 * two equal backends requests alternate, and with weights 3:1 the sequence
 * is a a b a, never a a a b.
 */
#ifndef RAMPART_GATEWAY_BACKEND_H
#define RAMPART_GATEWAY_BACKEND_H

#include "gateway/config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct backend {
    const struct config_backend *cfg; /* name, address, weight */
    unsigned index;
    atomic_bool up;              /* health state (active + passive checks) */
    int current_weight;          /* picker state, under backend_set.lock */
    /* counters for the metrics page */
    atomic_ullong requests;
    atomic_ullong responses_by_class[6]; /* [1]=1xx .. [5]=5xx, [0]=none */
    atomic_ullong connect_failures;
    atomic_ullong timeouts;
    atomic_ullong checks_ok, checks_failed;
    atomic_uint active;          /* requests in flight */
};

struct backend_set {
    struct backend *items;
    unsigned count;
    pthread_mutex_t lock;
};

/* All backends start up (so traffic flows before the first check result,
 * as HAProxy does), unless `start_down`. */
int backend_set_init(struct backend_set *set, const struct config *cfg, bool start_down);
void backend_set_destroy(struct backend_set *set);

/* Next backend that is up and not `exclude` (for the one retry after a
 * failed connect); NULL when none is up. */
struct backend *backend_pick(struct backend_set *set, const struct backend *exclude);

/* Passive health: a failed connect or a timeout. Marks the backend down
 * after `fall` consecutive failures, like a failed active check. */
void backend_report_failure(struct backend_set *set, struct backend *b);

unsigned backend_count_up(const struct backend_set *set);

#endif /* RAMPART_GATEWAY_BACKEND_H */
