/*
 * parent_firewall: the parent's firewall work, and the only file of the
 * daemon that includes firewall/. It applies the [firewall] policy (at
 * start, before any port opens, and on every reload: all or nothing),
 * reads the drop counters and the blocklist size back for /metrics, and
 * carries out the relay's autoblock requests within a budget (the relay
 * has no CAP_NET_ADMIN and is not trusted: it only names an address).
 *
 * Runs on the parent's loop; one struct per parent.
 */
#ifndef RAMPART_GATEWAY_PROC_PARENT_FIREWALL_H
#define RAMPART_GATEWAY_PROC_PARENT_FIREWALL_H

#include "common/parse.h"
#include "gateway/admin/status.h"
#include "gateway/config/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A relay gone wrong (or taken over) cannot flood the blocklist: at most
 * this many blocks a second are made, the rest refused and logged. */
#define PARENT_AUTOBLOCKS_PER_S 100

struct parent_firewall {
    struct admin_firewall_status status; /* what the relay's pages show */
    uint64_t autoblock_second_ms;        /* start of the current second of blocks */
    unsigned autoblocks_this_second;
};

/* Applies cfg's policy (nothing when it names none). 0, or -1 with the
 * reason in err and every diagnostic logged; the running ruleset is then
 * untouched. */
int parent_firewall_apply(struct parent_firewall *fw, const struct config *cfg, char *err, size_t err_len);

/* Refreshes the drop counters and blocklist size in fw->status; keeps the
 * last values when the kernel cannot be read. */
void parent_firewall_read_counters(struct parent_firewall *fw);

/* The relay asks to block addr for autoblock_timeout. true when a block
 * was made (fw->status changed); every refusal is logged. */
bool parent_firewall_autoblock(struct parent_firewall *fw, const struct config *cfg,
                               const struct ip_addr *addr, uint64_t now_ms);

#endif /* RAMPART_GATEWAY_PROC_PARENT_FIREWALL_H */
