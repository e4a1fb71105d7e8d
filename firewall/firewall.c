/*
 * Apply: policy -> ruleset -> one batch -> the kernel. The policy is fully
 * read, checked, lowered and compiled before the netlink socket is even
 * opened, so a bad policy cannot change anything.
 */
#include "firewall/firewall.h"

#include "firewall/compile.h"
#include "firewall/decompile.h"
#include "firewall/nl.h"
#include "firewall/ruleset.h"

#include <stdlib.h>
#include <string.h>

/* One transaction that replaces the table with `rs` (NULL: removes it);
 * on refusal the kernel has changed nothing. */
static int fw_replace_table(const struct fw_ruleset *rs, unsigned flags, char *err)
{
    struct fw_batch b;
    char why[FW_NL_ERR_MAX];
    int rc = -1;
    if (fw_compile_batch(&b, rs, flags) < 0)
        snprintf(err, FW_ERR_MAX, "out of memory");
    else if (fw_nl_commit(NULL, &b, why) < 0)
        snprintf(err, FW_ERR_MAX, "%s; the previous ruleset is unchanged", why);
    else
        rc = 0;
    fw_batch_free(&b);
    return rc;
}

/* Copies the elements of `from` into `to` (a set of the new ruleset),
 * each for the time it had left. */
static int keep_elements(struct fw_set *to, const struct fw_set *from)
{
    struct fw_range *r = calloc(from->n_ranges, sizeof *r);
    if (!r)
        return -1;
    for (size_t i = 0; i < from->n_ranges; i++) {
        r[i] = from->ranges[i];
        r[i].timeout_ms =
            from->ranges[i].expires_ms ? from->ranges[i].expires_ms : from->ranges[i].timeout_ms;
        r[i].expires_ms = 0;
    }
    free(to->ranges);
    to->ranges = r;
    to->n_ranges = from->n_ranges;
    return 0;
}

void fw_keep_dynamic(struct fw_ruleset *next, const struct fw_ruleset *running)
{
    for (size_t i = 0; i < next->n_sets; i++) {
        struct fw_set *s = &next->sets[i];
        if (!s->dynamic || s->size) /* not meters: their state rebuilds itself */
            continue;
        for (size_t j = 0; j < running->n_sets; j++) {
            const struct fw_set *o = &running->sets[j];
            if (strcmp(o->name, s->name) == 0 && o->key == s->key && o->dynamic && o->n_ranges &&
                !s->n_ranges)
                keep_elements(s, o);
        }
    }
}

int fw_apply_policy(const struct policy *pol, unsigned flags, char *err)
{
    struct fw_ruleset rs;
    if (fw_lower(pol, &rs) < 0) {
        snprintf(err, FW_ERR_MAX, "out of memory");
        return -1;
    }
    /* blocked addresses stay blocked across a re-apply (daemon reload) */
    struct fw_running run;
    char why[FW_ERR_MAX];
    if (fw_running_read(&run, why) == 0) {
        fw_keep_dynamic(&rs, &run.rs);
        fw_running_free(&run);
    }
    int rc = fw_replace_table(&rs, flags, err);
    fw_ruleset_free(&rs);
    return rc;
}

int fw_apply_file(const char *path, struct policy_diags *diags, char *err)
{
    struct policy *pol = policy_load(path, diags);
    if (!pol) {
        snprintf(err, FW_ERR_MAX, "%s: refused (%u error%s), nothing applied", path, diags->errors,
                 diags->errors == 1 ? "" : "s");
        return -1;
    }
    int rc = fw_apply_policy(pol, 0, err);
    policy_free(pol);
    return rc;
}

int fw_remove(char *err)
{
    return fw_replace_table(NULL, 0, err);
}
