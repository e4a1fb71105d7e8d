/*
 * parent_firewall: policy apply, counters and autoblock decisions for the
 * parent. See parent_firewall.h.
 */
#include "gateway/proc/parent_firewall.h"

#include "common/log.h"
#include "firewall/firewall.h"
#include "gateway/proc/parent_blocker.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>

static const char *refusal_name(unsigned why)
{
    static const char *const beyond[] = {"budget", "queue_full", "off", "bad_message"};
    if (why < PROTECT_REASON_COUNT)
        return protect_reason_name((enum protect_reason)why);
    return why < PARENT_FW_REFUSAL_COUNT ? beyond[why - PROTECT_REASON_COUNT] : "?";
}

void parent_firewall_init(struct parent_firewall *fw)
{
    memset(fw, 0, sizeof *fw);
    protect_init(&fw->protect);
}

void parent_firewall_free(struct parent_firewall *fw)
{
    parent_blocker_stop(fw->blocker);
    fw->blocker = NULL;
    protect_free(&fw->protect);
}

/* ---- apply ---------------------------------------------------------------------------------- */

static void add_trusted(void *arg, int family, const uint8_t lo[16], const uint8_t hi[16],
                        enum policy_trust kind)
{
    struct protect *p = arg;
    protect_add_range(p, family, lo, hi, kind == POLICY_TRUST_PEER ? PROTECT_PEER : PROTECT_ADMIN);
}

/* What is protected: the configs' VIPs, peers and backends, and whatever
 * the applied policy admits by source (NULL: none applied). */
static void rebuild_protect(struct parent_firewall *fw, const struct config *cfg,
                            const struct config *running, const struct policy *pol)
{
    protect_reset(&fw->protect);
    int rc = protect_add_config(&fw->protect, cfg);
    if (running)
        rc |= protect_add_config(&fw->protect, running);
    if (pol)
        policy_trusted_sources(pol, add_trusted, &fw->protect);
    if (rc < 0)
        log_event(LOG_LEVEL_ERROR, "autoblock_protect_incomplete", "reason", "out of memory", LOG_END);
    fw->own_read_ms = 0; /* read the node's addresses again at the next request */
}

static void log_diags(const struct policy_diags *diags)
{
    for (unsigned i = 0; i < diags->n; i++)
        log_event(diags->errors ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, "policy_diagnostic", "message",
                  diags->msg[i], LOG_END);
}

/* Loads and applies the policy (under the blocker's lock: no block lands
 * between the read of the running blocklist and the new table). */
static int apply_policy(struct parent_firewall *fw, const char *path, struct policy **out, char *err,
                        size_t err_len)
{
    static struct policy_diags diags;
    char fw_err[FW_ERR_MAX] = "";
    memset(&diags, 0, sizeof diags);
    struct policy *pol = policy_load(path, &diags);
    log_diags(&diags);
    if (!pol) {
        snprintf(err, err_len, "firewall policy %s: has errors (logged)", path);
        return -1;
    }
    parent_blocker_lock(fw->blocker);
    int rc = fw_apply_policy(pol, 0, fw_err);
    parent_blocker_unlock(fw->blocker);
    if (rc < 0) {
        snprintf(err, err_len, "firewall policy %s: %s", path, fw_err);
        policy_free(pol);
        return -1;
    }
    *out = pol;
    return 0;
}

int parent_firewall_apply(struct parent_firewall *fw, const struct config *cfg, const struct config *running,
                          char *err, size_t err_len)
{
    struct admin_firewall_status *st = &fw->status;
    st->managed = cfg->firewall.policy[0] != '\0';
    if (!st->managed) {
        rebuild_protect(fw, cfg, running, NULL);
        return 0;
    }
    struct policy *pol = NULL;
    int rc = apply_policy(fw, cfg->firewall.policy, &pol, err, err_len);
    st->applied = rc == 0;
    if (fw->blocker)
        parent_blocker_set_reading(fw->blocker, st->applied);
    if (rc < 0) {
        st->apply_failures++;
        return -1;
    }
    rebuild_protect(fw, cfg, running, pol);
    policy_free(pol);
    st->applies++;
    log_event(LOG_LEVEL_INFO, "firewall_applied", "policy", cfg->firewall.policy, LOG_END);
    return 0;
}

int parent_firewall_start(struct parent_firewall *fw, char *err, size_t err_len)
{
    if (!(fw->blocker = parent_blocker_start(err, err_len)))
        return -1;
    parent_blocker_set_reading(fw->blocker, fw->status.managed && fw->status.applied);
    return 0;
}

/* ---- counters ------------------------------------------------------------------------------- */

static void copy_refusals(struct parent_firewall *fw)
{
    struct admin_firewall_status *st = &fw->status;
    st->n_autoblock_refused = 0;
    for (unsigned i = PROTECT_NONE + 1; i < PARENT_FW_REFUSAL_COUNT; i++) {
        struct admin_counter *c = &st->autoblock_refused[st->n_autoblock_refused++];
        snprintf(c->label, sizeof c->label, "%s", refusal_name(i));
        c->value = fw->refused[i];
    }
}

/* What the thread read back: the relay cannot, it has no CAP_NET_ADMIN. */
void parent_firewall_read_counters(struct parent_firewall *fw)
{
    struct admin_firewall_status *st = &fw->status;
    copy_refusals(fw);
    if (!fw->blocker)
        return;
    static struct parent_blocker_results r;
    parent_blocker_results(fw->blocker, &r);
    st->autoblocks = r.blocks;
    if (!st->managed || !st->applied || !r.have_status)
        return; /* keep the last values */
    unsigned n = r.n_drops < ADMIN_FW_MAX_COUNTERS ? r.n_drops : ADMIN_FW_MAX_COUNTERS;
    for (unsigned i = 0; i < n; i++) {
        struct admin_fw_counter *c = &st->drops[i];
        snprintf(c->name, sizeof c->name, "%.*s", (int)sizeof r.drops[i].name - 1, r.drops[i].name);
        c->packets = r.drops[i].packets;
        c->bytes = r.drops[i].bytes;
    }
    st->n_drops = n;
    st->blocked_addresses = r.blocked;
}

/* ---- autoblock ------------------------------------------------------------------------------ */

static void refuse(struct parent_firewall *fw, unsigned why, const char *client, uint64_t now_ms)
{
    uint64_t skipped;
    fw->refused[why]++;
    if (!ratelimit_allow(&fw->refusal_log, now_ms, RATELIMIT_LOG_BURST, RATELIMIT_LOG_PERIOD_MS, &skipped))
        return;
    char n[24];
    snprintf(n, sizeof n, "%llu", (unsigned long long)skipped);
    log_event(LOG_LEVEL_WARN, "autoblock_refused", "client", client, "reason", refusal_name(why),
              skipped ? "suppressed" : LOG_END, n, LOG_END);
}

void parent_firewall_bad_request(struct parent_firewall *fw, int pid, const char *why, uint64_t now_ms)
{
    char p[48];
    snprintf(p, sizeof p, "(relay %d: %s)", pid, why);
    refuse(fw, PARENT_FW_BAD_MESSAGE, p, now_ms);
}

/* This node's addresses, at most every PARENT_OWN_ADDRS_MS (they change:
 * a VIP comes and goes, DHCP renews). */
static void refresh_own(struct parent_firewall *fw, uint64_t now_ms)
{
    if (fw->own_read_ms && now_ms - fw->own_read_ms < PARENT_OWN_ADDRS_MS)
        return;
    fw->own_read_ms = now_ms;
    struct ifaddrs *all;
    if (getifaddrs(&all) < 0)
        return; /* keep the last list */
    static struct ip_addr own[PROTECT_OWN_MAX + 1];
    unsigned n = 0;
    for (struct ifaddrs *i = all; i && n <= PROTECT_OWN_MAX; i = i->ifa_next) {
        const struct sockaddr *sa = i->ifa_addr;
        if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
            continue;
        own[n] = (struct ip_addr){.family = sa->sa_family};
        if (sa->sa_family == AF_INET)
            own[n++].u.v4 = ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        else
            own[n++].u.v6 = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    }
    freeifaddrs(all);
    protect_set_own(&fw->protect, own, n);
}

static bool autoblock_budget(struct parent_firewall *fw, uint64_t now_ms)
{
    if (now_ms - fw->autoblock_second_ms >= 1000) {
        fw->autoblock_second_ms = now_ms;
        fw->autoblocks_this_second = 0;
    }
    return ++fw->autoblocks_this_second <= PARENT_AUTOBLOCKS_PER_S;
}

bool parent_firewall_autoblock(struct parent_firewall *fw, const struct config *cfg,
                               const struct ip_addr *addr, const struct ip_addr *heard, unsigned n_heard,
                               uint64_t now_ms)
{
    char a[INET6_ADDRSTRLEN];
    format_ip(addr, a, sizeof a);
    if (!cfg->firewall.autoblock || !fw->status.managed || !fw->status.applied || !fw->blocker) {
        refuse(fw, PARENT_FW_OFF, a, now_ms);
        return false;
    }
    refresh_own(fw, now_ms);
    protect_set_heard(&fw->protect, heard, n_heard);
    enum protect_reason why = protect_check(&fw->protect, addr);
    if (why != PROTECT_NONE) {
        refuse(fw, why, a, now_ms);
        return false;
    }
    if (!autoblock_budget(fw, now_ms)) {
        refuse(fw, PARENT_FW_BUDGET, a, now_ms);
        return false;
    }
    if (!parent_blocker_block(fw->blocker, addr, cfg->firewall.autoblock_timeout_ms,
                              cfg->firewall.autoblock_threshold)) {
        refuse(fw, PARENT_FW_QUEUE_FULL, a, now_ms);
        return false;
    }
    return true;
}
