/*
 * parent_tickets: the session-ticket keys the parent gives its relays, in
 * one of three modes:
 *
 *   alone      no [peer] (or share_tickets = no): this node makes its keys
 *              and rotates them every ticket_lifetime, as before the pair
 *              shared anything;
 *   pair       [peer]: the keys of gateway/ha/peer_keys.h, made by the key
 *              master (the lower [peer] listen address), merged with what
 *              the peer holds, rotated on the master's schedule (or by the
 *              deputy when the master is overdue);
 *   files      [tls] ticket_key_file: the operator's keys (nginx's format),
 *              the first issuing, the second accepted; nothing is made or
 *              shared, a reload reads them again. For sites of more than
 *              two nodes, whose keys a tool distributes.
 *
 * Whatever the mode, the relays get the keys again every ticket_lifetime
 * at the latest, so mbedTLS's own rotation (random keys, per process:
 * tls_tickets.c) never fires. `changed` is called whenever the keys the
 * relays (and the peer) should have are new.
 *
 * Runs on the parent's loop.
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_TICKETS_H
#define RAMPART_GATEWAY_PROC_PARENT_TICKETS_H

#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/peer_keys.h"
#include "tls/tls.h"

#include <stdbool.h>
#include <stddef.h>

enum parent_tickets_mode { PARENT_TICKETS_ALONE, PARENT_TICKETS_PAIR, PARENT_TICKETS_FILES };

struct parent_tickets {
    enum parent_tickets_mode mode;
    struct peer_keys_state keys;      /* alone, pair */
    struct tls_ticket_keys file_keys; /* files */
    struct loop *loop;
    struct loop_timer timer; /* the next rotation (or refresh) */
    void (*changed)(void *arg);
    void *arg;
    uint64_t rotations, merges;
};

/* The mode and first keys of cfg (files read, or a fresh key made). 0, or
 * -1 with the reason in err. */
int parent_tickets_init(struct parent_tickets *t, struct loop *loop, const struct config *cfg,
                        void (*changed)(void *arg), void *arg, char *err, size_t err_len);
/* A reload: files read again, a new lifetime scheduled; the mode itself
 * stays until a restart. 0, or -1 with err (nothing changed). */
int parent_tickets_reload(struct parent_tickets *t, const struct config *cfg, char *err, size_t err_len);
void parent_tickets_free(struct parent_tickets *t);

/* What the relays install. */
void parent_tickets_get(const struct parent_tickets *t, struct tls_ticket_keys *out);
/* Pair mode: what the peer holds; true when ours changed (`changed` was
 * called). False in the other modes. */
bool parent_tickets_merge(struct parent_tickets *t, const struct peer_keys *in);
/* Pair mode: what to send the peer (n = 0 in the other modes). */
void parent_tickets_export(const struct parent_tickets *t, struct peer_keys *out);

#endif /* RAMPART_GATEWAY_PROC_PARENT_TICKETS_H */
