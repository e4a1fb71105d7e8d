/*
 * Status for the daemon's metrics and status page: how much each counted
 * drop rule dropped, and how many addresses are blocked. The names are
 * stable metric labels: "default_input" for a chain's final drop, the rule
 * name for a policy rule, "RULE_over_limit" for what its limit dropped
 * (IPv4 and IPv6 summed).
 */
#include "firewall/firewall.h"

#include "firewall/decompile.h"
#include "firewall/nl.h"
#include "firewall/ruleset.h"

#include <string.h>

static void counter_name(const struct fw_rule *r, char *out, size_t len)
{
    const char *c = r->comment;
    size_t name_len = strcspn(c, ":");
    if (strcmp(c, "rampart: default drop") == 0)
        snprintf(out, len, "default_%s", policy_dir_name(r->chain));
    else if (strstr(c, ": over the limit"))
        snprintf(out, len, "%.*s_over_limit", (int)name_len, c);
    else
        snprintf(out, len, "%.*s", (int)name_len, c);
}

static void add_drop(struct fw_status *st, const char *name, const struct fw_rule *r)
{
    for (unsigned i = 0; i < st->n_drops; i++) {
        if (strcmp(st->drops[i].name, name) == 0) {
            st->drops[i].packets += r->packets;
            st->drops[i].bytes += r->bytes;
            return;
        }
    }
    if (st->n_drops == FW_STATUS_MAX_COUNTERS) {
        st->more_drops = true;
        return;
    }
    struct fw_counter *c = &st->drops[st->n_drops++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->packets = r->packets;
    c->bytes = r->bytes;
}

void fw_status_from_ruleset(const struct fw_ruleset *rs, struct fw_status *st)
{
    memset(st, 0, sizeof *st);
    st->applied = true;
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct fw_rule *r = &rs->rules[i];
        if (!r->counter || r->raw || (r->verdict != FW_V_DROP && r->verdict != FW_V_REJECT))
            continue;
        char name[FW_COUNTER_NAME_MAX];
        counter_name(r, name, sizeof name);
        add_drop(st, name, r);
    }
    for (size_t i = 0; i < rs->n_sets; i++)
        if (strcmp(rs->sets[i].name, POLICY_BLOCKLIST4) == 0 ||
            strcmp(rs->sets[i].name, POLICY_BLOCKLIST6) == 0)
            st->blocked += (unsigned)rs->sets[i].n_ranges;
}

static int status_from_running(struct fw_running *run, int rc, struct fw_status *st)
{
    if (rc < 0)
        return -1;
    if (run->exists)
        fw_status_from_ruleset(&run->rs, st);
    fw_running_free(run);
    return 0;
}

int fw_status_read_nl(struct fw_nl *nl, struct fw_status *st, char *err)
{
    struct fw_running run;
    memset(st, 0, sizeof *st);
    int rc = fw_running_read_nl(nl, &run, err);
    return status_from_running(&run, rc, st);
}

int fw_status_read(struct fw_status *st, char *err)
{
    struct fw_running run;
    memset(st, 0, sizeof *st);
    int rc = fw_running_read(&run, err);
    return status_from_running(&run, rc, st);
}
