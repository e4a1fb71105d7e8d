/*
 * Reading Rampart's table back from the kernel (dump.c) and turning its
 * rules into struct fw_rule again (decompile.c), so `show` prints the
 * running table with render's code, `diff` compares like with like, and
 * commit-confirmed can recompile the previous table to restore it.
 */
#ifndef RAMPART_FIREWALL_DECOMPILE_H
#define RAMPART_FIREWALL_DECOMPILE_H

#include "firewall/ruleset.h"

/* Finds an anonymous set by its kernel name ("__set3"), or NULL. */
struct fw_anon_lookup {
    const struct fw_set *(*find)(void *arg, const char *name);
    void *arg;
};

struct nftnl_rule;
/* Appends the rule to `rs`. Returns 0, 1 when the rule holds expressions
 * rampart-fw does not write (foreign), or -1 when out of memory. */
int fw_decompile_rule(struct fw_ruleset *rs, const struct nftnl_rule *nr, enum policy_dir chain,
                      const struct fw_anon_lookup *anon);

/* What the kernel holds for table inet rampart. */
struct fw_running {
    bool exists;
    unsigned foreign; /* rules or chains rampart-fw did not write */
    struct fw_ruleset rs;
};

/* Dumps table inet rampart. Returns 0 (also when there is no table), or -1
 * with `err`. Free with fw_running_free. _nl: over an open socket. */
int fw_running_read(struct fw_running *out, char *err);
struct fw_nl;
int fw_running_read_nl(struct fw_nl *nl, struct fw_running *out, char *err);
void fw_running_free(struct fw_running *run);

#endif /* RAMPART_FIREWALL_DECOMPILE_H */
