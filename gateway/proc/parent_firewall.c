/*
 * parent_firewall: policy apply, counters and autoblock for the parent.
 * See parent_firewall.h.
 */
#include "gateway/proc/parent_firewall.h"

#include "common/log.h"
#include "firewall/firewall.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int parent_firewall_apply(struct parent_firewall *fw, const struct config *cfg, char *err, size_t err_len)
{
    struct admin_firewall_status *st = &fw->status;
    st->managed = cfg->firewall.policy[0] != '\0';
    if (!st->managed)
        return 0;
    static struct policy_diags diags;
    char fw_err[FW_ERR_MAX] = "";
    memset(&diags, 0, sizeof diags);
    int rc = fw_apply_file(cfg->firewall.policy, &diags, fw_err);
    for (unsigned i = 0; i < diags.n; i++)
        log_event(diags.errors ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, "policy_diagnostic", "message",
                  diags.msg[i], LOG_END);
    st->applied = rc == 0;
    if (rc < 0) {
        st->apply_failures++;
        snprintf(err, err_len, "firewall policy %s: %s", cfg->firewall.policy,
                 diags.errors ? "has errors (logged)" : fw_err);
        return -1;
    }
    st->applies++;
    log_event(LOG_LEVEL_INFO, "firewall_applied", "policy", cfg->firewall.policy, LOG_END);
    return 0;
}

/* Read back from the kernel: the relay cannot, it has no CAP_NET_ADMIN. */
void parent_firewall_read_counters(struct parent_firewall *fw)
{
    struct admin_firewall_status *st = &fw->status;
    if (!st->managed || !st->applied)
        return;
    struct fw_status now;
    char err[FW_ERR_MAX];
    if (fw_status_read(&now, err) < 0)
        return; /* keep the last values; the next read may succeed */
    unsigned n = now.n_drops < ADMIN_FW_MAX_COUNTERS ? now.n_drops : ADMIN_FW_MAX_COUNTERS;
    for (unsigned i = 0; i < n; i++) {
        struct admin_fw_counter *c = &st->drops[i];
        snprintf(c->name, sizeof c->name, "%s", now.drops[i].name);
        c->packets = now.drops[i].packets;
        c->bytes = now.drops[i].bytes;
    }
    st->n_drops = n;
    st->blocked_addresses = now.blocked;
}

static bool autoblock_budget(struct parent_firewall *fw, uint64_t now_ms)
{
    if (now_ms - fw->autoblock_second_ms >= 1000) {
        fw->autoblock_second_ms = now_ms;
        fw->autoblocks_this_second = 0;
    }
    return ++fw->autoblocks_this_second <= PARENT_AUTOBLOCKS_PER_S;
}

static void autoblock_logged(const struct config *cfg, const char *client)
{
    char timeout[24], threshold[16];
    snprintf(timeout, sizeof timeout, "%llums", (unsigned long long)cfg->firewall.autoblock_timeout_ms);
    snprintf(threshold, sizeof threshold, "%u", cfg->firewall.autoblock_threshold);
    log_event(LOG_LEVEL_WARN, "autoblock", "client", client, "timeout", timeout, "threshold", threshold,
              LOG_END);
}

bool parent_firewall_autoblock(struct parent_firewall *fw, const struct config *cfg,
                               const struct ip_addr *addr, uint64_t now_ms)
{
    char a[INET6_ADDRSTRLEN], err[FW_ERR_MAX] = "";
    format_ip(addr, a, sizeof a);
    if (!cfg->firewall.autoblock || !fw->status.managed || !fw->status.applied) {
        log_event(LOG_LEVEL_WARN, "autoblock_skipped", "client", a, "reason",
                  "autoblock is off or no [firewall] policy is applied", LOG_END);
        return false;
    }
    if (!autoblock_budget(fw, now_ms)) {
        char limit[64];
        snprintf(limit, sizeof limit, "more than %d blocks in one second", PARENT_AUTOBLOCKS_PER_S);
        log_event(LOG_LEVEL_WARN, "autoblock_skipped", "client", a, "reason", limit, LOG_END);
        return false;
    }
    if (fw_block(addr, cfg->firewall.autoblock_timeout_ms, err) < 0) {
        log_event(LOG_LEVEL_ERROR, "autoblock_failed", "client", a, "reason", err, LOG_END);
        return false;
    }
    fw->status.autoblocks++;
    autoblock_logged(cfg, a);
    return true;
}
