/*
 * Rampart's firewall, as a C API for the daemon and rampart-fw: apply a
 * policy file atomically, and keep the dynamic blocklist. Everything here
 * touches only table inet rampart, in the caller's network namespace.
 *
 * Needs CAP_NET_ADMIN. Safe to call from any thread (no shared state);
 * each call opens its own netlink socket, except through a struct
 * fw_blocker, which keeps one (for one thread at a time).
 *
 * Functions return 0 on success, or -1 with a one-line reason in `err`
 * (FW_ERR_MAX bytes). Policy problems are "FILE:LINE: message" lines in
 * `diags` instead, and then no netlink message has been sent.
 */
#ifndef RAMPART_FIREWALL_FIREWALL_H
#define RAMPART_FIREWALL_FIREWALL_H

#include "firewall/policy.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define FW_ERR_MAX              512
#define FW_BLOCK_MAX_TIMEOUT_MS POLICY_MAX_TIMEOUT_MS

/* Reads, checks and applies a policy file in one nfnetlink transaction that
 * replaces table inet rampart. Addresses in the dynamic sets stay, with the
 * time they have left. On a policy error, returns -1 with `diags`
 * filled and sends nothing; on a kernel refusal, returns -1 with `err` set
 * and the previous ruleset still in place. `diags` gets warnings too. */
int fw_apply_file(const char *path, struct policy_diags *diags, char *err);

/* The same for a policy already loaded. `flags`: see compile.h. */
int fw_apply_policy(const struct policy *pol, unsigned flags, char *err);

struct fw_ruleset;
/* Gives the dynamic sets of `next` the elements (with the time they have
 * left) of the same-named sets in `running`; used by apply. */
void fw_keep_dynamic(struct fw_ruleset *next, const struct fw_ruleset *running);

/* Removes table inet rampart (no error when there is none). */
int fw_remove(char *err);

/* The dynamic blocklist: set "blocklist" (IPv4) or "blocklist6" (IPv6) of
 * the applied policy. `timeout_ms` 0 = the set's own default timeout. */
int fw_block(const struct ip_addr *addr, uint64_t timeout_ms, char *err);
int fw_unblock(const struct ip_addr *addr, char *err);

/* The daemon's blocklist handle: one netlink socket kept open across
 * blocks (closing one after a transaction costs ~11 ms on the kernel the
 * tests run on: more than the transaction), opened on first use and again
 * after any failure. fw_blocker_block adds up to FW_BLOCK_BATCH_MAX
 * addresses in one transaction (all or none; each element with its own
 * timeout). One thread at a time; fw_blocker_free closes it. */
#define FW_BLOCK_BATCH_MAX 64
struct fw_blocker;
struct fw_blocker *fw_blocker_new(void);
void fw_blocker_free(struct fw_blocker *bl);
int fw_blocker_block(struct fw_blocker *bl, const struct ip_addr *addrs, size_t n, uint64_t timeout_ms,
                     char *err);
struct fw_status;
/* fw_status_read over the blocker's socket. */
int fw_blocker_status(struct fw_blocker *bl, struct fw_status *st, char *err);

/* Lists blocked addresses, one per line: "ADDR expires 9m58s". */
int fw_blocked_print(FILE *out, char *err);

/* For metrics and the status page: packets and bytes of each counted drop
 * rule, by a stable name ("default_input", "blocked", "https_over_limit"),
 * and the number of blocked addresses. */
#define FW_STATUS_MAX_COUNTERS 16
#define FW_COUNTER_NAME_MAX    32
struct fw_counter {
    char name[FW_COUNTER_NAME_MAX];
    uint64_t packets, bytes;
};
struct fw_status {
    bool applied; /* table inet rampart exists */
    struct fw_counter drops[FW_STATUS_MAX_COUNTERS];
    unsigned n_drops;
    bool more_drops;  /* counted drop rules beyond FW_STATUS_MAX_COUNTERS */
    unsigned blocked; /* addresses in blocklist + blocklist6 */
};
int fw_status_read(struct fw_status *st, char *err);
struct fw_nl;
int fw_status_read_nl(struct fw_nl *nl, struct fw_status *st, char *err);
/* The same from a ruleset read back (pure; for tests). */
void fw_status_from_ruleset(const struct fw_ruleset *rs, struct fw_status *st);

#endif /* RAMPART_FIREWALL_FIREWALL_H */
