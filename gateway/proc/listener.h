/*
 * listener: the client-facing listening sockets, opened by the parent and
 * handed to every relay it starts (so no port is ever closed, not even
 * while a relay restarts: the kernel queues connections until the new relay
 * accepts them).
 *
 * One socket per worker thread per address, all in one SO_REUSEPORT group,
 * so the kernel spreads connections over the workers with no shared accept
 * lock. Layout of the fd array: slot-major, slot = the HTTPS addresses in
 * config order, then the HTTP addresses; index = slot * workers + worker.
 */
#ifndef RAMPART_GATEWAY_PROC_LISTENER_H
#define RAMPART_GATEWAY_PROC_LISTENER_H

#include "gateway/config/config.h"
#include "gateway/proxy/worker.h"

#include <stdbool.h>
#include <stddef.h>

#define LISTENER_BACKLOG   4096 /* capped by net.core.somaxconn */
#define LISTENER_MAX_SLOTS WORKER_MAX_LISTEN_SLOTS
#define LISTENER_MAX_FDS   (LISTENER_MAX_SLOTS * CONFIG_MAX_WORKERS)

/* Number of sockets for cfg: (n_https + n_http) * workers. */
unsigned listener_count(const struct config *cfg);
unsigned listener_slots(const struct config *cfg);

/* The address and kind of slot `slot`. */
const struct listen_addr *listener_slot_addr(const struct config *cfg, unsigned slot,
                                             enum listener_kind *kind);

/* The workers' view of fds (this layout): one entry per slot, its kind and
 * its sockets for workers 0..workers-1. Returns the number of slots. */
unsigned listener_worker_slots(const struct config *cfg, const int *fds, struct worker_listen_slot *out);

/* Opens one listening socket (non-blocking, CLOEXEC, SO_REUSEPORT,
 * IP_FREEBIND so the VIP need not be present, dual-stack for [::]).
 * Returns the fd, or -1 with "ADDR: what failed: why" in err. */
int listener_open(const struct listen_addr *addr, char *err, size_t err_len);

/* Whether someone already listens on addr (see instance.h): binds a probe
 * socket without SO_REUSEPORT, with the options listener_open() uses, and
 * closes it. 0 when the address is free, or -1 with "ADDR: why" in err
 * ("address already in use" names the likely cause). */
int listener_probe(const struct listen_addr *addr, char *err, size_t err_len);

/* Two listen addresses the kernel would put on one port: same port, and
 * the same address or either one a wildcard (0.0.0.0, [::]). Pure. */
bool listener_overlaps(const struct listen_addr *a, const struct listen_addr *b);

/* Whether a reload from `from` to `to` closes or opens any listening
 * socket (an address, a kind or the number of workers differs): a [bgp]
 * node withdraws before such a reload (parent_reload.c), since clients
 * queued on a socket that closes are reset. Pure. */
bool listener_set_changes(const struct config *from, const struct config *to);

/* Probes every listener address of cfg that no listener of `reuse` (the
 * running config, may be NULL) overlaps: those are this process's own.
 * 0, or -1 with the first refusal in err. */
int listener_probe_new(const struct config *cfg, const struct config *reuse, char *err, size_t err_len);

/* Opens every socket of cfg into fds[listener_count(cfg)], after probing
 * the addresses that are new (listener_probe_new()). Where `reuse` (the
 * running config, may be NULL) has a socket with the same kind, address
 * and worker, that socket is duplicated instead (a reload keeps its ports
 * and their queues; the caller closes the old set afterwards).
 * Returns 0, or -1 with every new fd closed and err filled. */
int listener_open_all(const struct config *cfg, int *fds, const struct config *reuse, const int *reuse_fds,
                      char *err, size_t err_len);

void listener_close_all(int *fds, unsigned n);

#endif /* RAMPART_GATEWAY_PROC_LISTENER_H */
