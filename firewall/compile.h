/*
 * Ruleset -> libnftnl objects in a netlink batch. The expressions are the
 * ones nft itself generates for the rendered text, so nft's listing of what
 * we program reads exactly like `render`.
 */
#ifndef RAMPART_FIREWALL_COMPILE_H
#define RAMPART_FIREWALL_COMPILE_H

#include "firewall/nl.h"
#include "firewall/ruleset.h"

#define FW_ELEMS_PER_MSG 1000 /* the element list of one message stays < 64 KB */

/* Test hook (RAMPART_FW_FAULT=reject): appends a rule the kernel refuses, so
 * tests can show a refused batch leaves the old ruleset in place. */
#define FW_COMPILE_FAULT 0x1u

/* Appends "replace table inet rampart with this ruleset" to the batch:
 * create-if-missing, delete, create, then sets, elements, chains, rules.
 * Returns 0, or -1 when out of memory. */
int fw_compile(const struct fw_ruleset *rs, struct fw_batch *b, unsigned flags);

/* Appends "delete table inet rampart if it exists". */
int fw_compile_delete_table(struct fw_batch *b);

/* A whole batch, begun and ended: `rs` replacing the table, or with `rs`
 * NULL only the deletion. Returns 0, or -1 when out of memory; the caller
 * frees the batch either way. */
int fw_compile_batch(struct fw_batch *b, const struct fw_ruleset *rs, unsigned flags);

struct nftnl_rule;
struct nftnl_set;
/* One rule's expressions (compile_rule.c); `set_id` finds a set's batch id. */
int fw_compile_rule_exprs(struct nftnl_rule *nr, const struct fw_rule *r,
                          uint32_t (*set_id)(const char *name, void *arg), void *arg, uint32_t anon_id[3]);

/* Appends a set's elements in messages of FW_ELEMS_PER_MSG, interval sets
 * with their end markers as nft writes them. */
int fw_compile_set_elems(struct fw_batch *b, const struct fw_set *s, const char *name, uint32_t id);

#endif /* RAMPART_FIREWALL_COMPILE_H */
