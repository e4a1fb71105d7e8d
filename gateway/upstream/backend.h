/*
 * backend: the web servers behind the gateway, their up/down state and the
 * weighted round-robin pick. Shared by all worker threads of the relay
 * (atomics + one small mutex around the pick and state changes).
 *
 * The picker is "smooth weighted round robin" (as in nginx): exact, so with
 * two equal backends requests alternate, and with weights 3:1 the sequence
 * is a a b a, never a a a b. Weight 0 means drained: never picked.
 *
 * Up/down: active checks (health.c) and passive reports of real requests
 * (proxy.c, backend_report) feed the same rise/fall counters, like
 * HAProxy's `option httpchk` with `observe layer7`: a failed connect, a
 * connection dropped before any answer and a response that breaks the
 * protocol count as failures; a good response ends a streak of them. A
 * slow response is the request's failure, not the server's (a client can
 * ask for slow pages on purpose), so timeouts never count.
 *
 * Capacity: a backend with `max_connections` takes at most that many
 * requests at once (HAProxy's `maxconn` per server). backend_pick takes a
 * slot of the backend it returns, backend_release gives it back; the pick
 * and the count are under one lock, so the cap holds across workers.
 */
#ifndef RAMPART_GATEWAY_UPSTREAM_BACKEND_H
#define RAMPART_GATEWAY_UPSTREAM_BACKEND_H

#include "gateway/config/config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Rise/fall counters of one backend (pure; see backend_health_step). */
struct backend_health {
    bool up;
    unsigned ok_streak;   /* consecutive successes while down */
    unsigned fail_streak; /* consecutive failures while up */
};

#define BACKEND_RESULT_MAX 64 /* the last check result shown on /status */

/* What /status shows of a backend besides its counters. */
struct backend_status {
    uint64_t changed_s; /* Unix time of the last up/down change; 0: none since the relay started */
    char changed_why[BACKEND_RESULT_MAX];
    uint64_t result_s; /* Unix time of the last check (or failed request); 0: none yet */
    bool result_ok;
    char result[BACKEND_RESULT_MAX]; /* "status 200", "connect: Connection refused", ... */
};

struct backend {
    const struct config_backend *cfg; /* name, address, weight */
    unsigned index;
    atomic_bool up;               /* mirror of health.up, read without the lock */
    struct backend_health health; /* under backend_set.lock */
    int current_weight;           /* picker state, under backend_set.lock */
    struct backend_status status; /* under backend_set.lock */
    /* counters for the metrics page */
    atomic_ullong requests;
    atomic_ullong responses_by_class[6]; /* [1]=1xx .. [5]=5xx, [0]=none */
    atomic_ullong connect_failures;
    atomic_ullong timeouts;
    atomic_ullong checks_ok, checks_failed;
    atomic_uint active;  /* requests in flight: slots taken by backend_pick */
    atomic_bool failing; /* health.fail_streak > 0: a good response has something to heal */
};

struct backend_set {
    struct backend *items;
    unsigned count;
    unsigned rise, fall; /* from [health], at least 1 */
    atomic_uint n_up;
    pthread_mutex_t lock;
};

/* All backends start up (so traffic flows before the first check result,
 * as HAProxy does), unless `start_down`. 0, or -1 when out of memory. */
int backend_set_init(struct backend_set *set, const struct config *cfg, bool start_down);
void backend_set_destroy(struct backend_set *set);

enum backend_pick_why {
    BACKEND_PICKED,
    BACKEND_NONE_UP,  /* no backend is up (but `exclude`) */
    BACKEND_ALL_BUSY, /* some are up, each at its max_connections */
};

/* Next backend that is up, not `exclude` (for the one retry after a failed
 * connect) and below its max_connections; it takes one of its slots (give
 * it back with backend_release). NULL when there is none; *why (may be
 * NULL) says which case. */
struct backend *backend_pick(struct backend_set *set, const struct backend *exclude,
                             enum backend_pick_why *why);
/* A request picked for b ended (or moved elsewhere): its slot is free. */
void backend_release(struct backend *b);

/* What became of a request sent to b, for passive health. */
enum backend_outcome {
    BACKEND_CONNECT_FAILED, /* refused, unreachable, connect timeout */
    BACKEND_DROPPED,        /* took the request, closed before any answer */
    BACKEND_PROTOCOL_ERROR, /* an answer no HTTP server may send */
    BACKEND_TIMEOUT,        /* no (complete) answer in time: not counted */
    BACKEND_RESPONSE_OK,    /* a well-formed final answer below 500: heals */
    BACKEND_RESPONSE_5XX,   /* the application's own error: not counted */
};
/* Passive health: failures mark the backend down after `fall` in a row,
 * like failed active checks; a good response ends a streak. The caller
 * counts connect_failures / timeouts itself. */
void backend_report(struct backend_set *set, struct backend *b, enum backend_outcome outcome);

/* Active check result (health.c). Logs a state change with `why` ("status
 * 503", "connect: Connection refused", "timeout"), and keeps it with the
 * time as the last result (backend_get_status). Returns true when the
 * backend changed state. */
bool backend_observe(struct backend_set *set, struct backend *b, bool ok, const char *why);

unsigned backend_count_up(const struct backend_set *set);

/* A copy of b's status, taken under the set's lock (the admin pages). */
void backend_get_status(struct backend_set *set, const struct backend *b, struct backend_status *out);

/* Right after init, before any pick: backends known to be down (bit i =
 * backend i, from the relay this one replaces) start down, each logged,
 * so a restart or reload does not send traffic to a dead backend first. */
void backend_set_start_down(struct backend_set *set, uint64_t down_mask);
/* Bit i set when backend i is down. */
uint64_t backend_down_mask(const struct backend_set *set);
/* Whether backend_count_up is a finding yet and not just the start value:
 * every backend is down, or has passed at least one check (a backend that
 * only failed so far is still "up" until `fall` failures, so it is not
 * known yet). Always true without active checks (`checks` false). */
bool backend_set_settled(const struct backend_set *set, bool checks);

/* Pure rise/fall logic: one result into the counters; returns true when
 * h->up flipped. Down after `fall` consecutive failures while up, up after
 * `rise` consecutive successes while down. */
bool backend_health_step(struct backend_health *h, bool ok, unsigned rise, unsigned fall);

#endif /* RAMPART_GATEWAY_UPSTREAM_BACKEND_H */
