/*
 * The dynamic blocklist: elements of set "blocklist" (IPv4) or "blocklist6"
 * (IPv6) in table inet rampart, each with its own timeout, so a block lifts
 * itself. One small batch per change, so adding an address costs the same
 * whether the set holds ten addresses or a hundred thousand.
 */
#include "firewall/firewall.h"

#include "firewall/decompile.h"
#include "firewall/nl.h"
#include "firewall/render.h"
#include "firewall/ruleset.h"

#include <errno.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

static const char *set_for(const struct ip_addr *addr)
{
    return addr->family == AF_INET ? POLICY_BLOCKLIST4 : POLICY_BLOCKLIST6;
}

/* Appends one element message (add or delete) for `addr`. */
static int put_elem_msg(struct fw_batch *b, uint16_t type, uint16_t flags, const struct ip_addr *addr,
                        uint64_t timeout_ms)
{
    struct nftnl_set *s = nftnl_set_alloc();
    struct nftnl_set_elem *e = nftnl_set_elem_alloc();
    char *p = fw_batch_reserve(b);
    if (!s || !e || !p) {
        if (s)
            nftnl_set_free(s);
        if (e)
            nftnl_set_elem_free(e);
        return -1;
    }
    nftnl_set_set_str(s, NFTNL_SET_TABLE, FW_TABLE);
    nftnl_set_set_str(s, NFTNL_SET_NAME, set_for(addr));
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &addr->u, addr->family == AF_INET ? 4 : 16);
    if (timeout_ms)
        nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
    nftnl_set_elem_add(s, e);
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET, flags, fw_batch_seq(b));
    nftnl_set_elems_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
    char label[FW_NL_LABEL_MAX];
    snprintf(label, sizeof label, "set '%s'", set_for(addr));
    fw_batch_commit(b, label);
    return 0;
}

static int run_batch(struct fw_batch *b, const struct ip_addr *addr, char *err)
{
    struct fw_nl nl;
    char why[FW_NL_ERR_MAX];
    int rc = fw_nl_open(&nl, why);
    if (rc == 0) {
        rc = fw_nl_commit(&nl, b, why);
        fw_nl_close(&nl);
    }
    if (rc < 0 && strstr(why, strerror(ENOENT)))
        snprintf(err, FW_ERR_MAX, "no set '%s' in table inet %s (does the applied policy declare it?)",
                 set_for(addr), FW_TABLE);
    else if (rc < 0)
        snprintf(err, FW_ERR_MAX, "%s", why);
    return rc;
}

int fw_block(const struct ip_addr *addr, uint64_t timeout_ms, char *err)
{
    /* add-if-missing, delete, add: one transaction that also restarts the
     * timeout of an address that is already blocked */
    struct fw_batch b;
    int rc = -1;
    if (fw_batch_init(&b) == 0 &&
        put_elem_msg(&b, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK, addr, timeout_ms) == 0 &&
        put_elem_msg(&b, NFT_MSG_DELSETELEM, NLM_F_ACK, addr, 0) == 0 &&
        put_elem_msg(&b, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, addr, timeout_ms) == 0 &&
        fw_batch_end(&b) == 0)
        rc = run_batch(&b, addr, err);
    else
        snprintf(err, FW_ERR_MAX, "out of memory");
    fw_batch_free(&b);
    return rc;
}

int fw_unblock(const struct ip_addr *addr, char *err)
{
    struct fw_batch b;
    int rc = -1;
    char a[PARSE_ADDR_STR_MAX];
    if (fw_batch_init(&b) == 0 && put_elem_msg(&b, NFT_MSG_DELSETELEM, NLM_F_ACK, addr, 0) == 0 &&
        fw_batch_end(&b) == 0) {
        struct fw_nl nl;
        char why[FW_NL_ERR_MAX];
        rc = fw_nl_open(&nl, why);
        if (rc == 0) {
            rc = fw_nl_commit(&nl, &b, why);
            fw_nl_close(&nl);
        }
        if (rc < 0 && strstr(why, strerror(ENOENT)))
            snprintf(err, FW_ERR_MAX, "%s is not blocked (or there is no set '%s')",
                     format_ip(addr, a, sizeof a), set_for(addr));
        else if (rc < 0)
            snprintf(err, FW_ERR_MAX, "%s", why);
    } else {
        snprintf(err, FW_ERR_MAX, "out of memory");
    }
    fw_batch_free(&b);
    return rc;
}

static void print_set(FILE *out, const struct fw_set *s)
{
    char a[PARSE_ADDR_STR_MAX], t[64];
    for (size_t i = 0; i < s->n_ranges; i++) {
        struct ip_addr addr = {.family = s->key == FW_KEY_IPV4 ? AF_INET : AF_INET6};
        memcpy(&addr.u, s->ranges[i].lo, s->key == FW_KEY_IPV4 ? 4 : 16);
        fw_format_time(s->ranges[i].expires_ms, t, sizeof t);
        fprintf(out, "%s expires %s\n", format_ip(&addr, a, sizeof a), t[0] ? t : "0s");
    }
}

int fw_blocked_print(FILE *out, char *err)
{
    struct fw_running run;
    if (fw_running_read(&run, err) < 0)
        return -1;
    bool found = false;
    for (size_t i = 0; i < run.rs.n_sets; i++) {
        const struct fw_set *s = &run.rs.sets[i];
        if (strcmp(s->name, POLICY_BLOCKLIST4) == 0 || strcmp(s->name, POLICY_BLOCKLIST6) == 0) {
            print_set(out, s);
            found = true;
        }
    }
    fw_running_free(&run);
    if (!found) {
        snprintf(err, FW_ERR_MAX, "no blocklist set in table inet %s", FW_TABLE);
        return -1;
    }
    return 0;
}
