/*
 * The dynamic blocklist: elements of set "blocklist" (IPv4) or "blocklist6"
 * (IPv6) in table inet rampart, each with its own timeout, so a block lifts
 * itself. One small batch per change, so adding an address costs the same
 * whether the set holds ten addresses or a hundred thousand; the daemon
 * batches several addresses into one and keeps its socket (fw_blocker).
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
#include <stdlib.h>
#include <string.h>

static const char *set_for(const struct ip_addr *addr)
{
    return addr->family == AF_INET ? POLICY_BLOCKLIST4 : POLICY_BLOCKLIST6;
}

/* One element message of a blocklist transaction. */
struct blocklist_op {
    uint16_t type, flags;
    bool timed; /* carries the timeout */
};

/* add-if-missing, delete, add: one transaction that also restarts the
 * timeout of an address that is already blocked */
static const struct blocklist_op blocklist_block_ops[] = {
    {NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK, true},
    {NFT_MSG_DELSETELEM, NLM_F_ACK, false},
    {NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, true},
};
static const struct blocklist_op blocklist_unblock_ops[] = {
    {NFT_MSG_DELSETELEM, NLM_F_ACK, false},
};

#define N_OPS(a) (sizeof(a) / sizeof((a)[0]))

/* Appends one element message (add or delete) for `addr`. */
static int blocklist_put_elem(struct fw_batch *b, const struct blocklist_op *op, const struct ip_addr *addr,
                              uint64_t timeout_ms)
{
    struct nftnl_set *s = nftnl_set_alloc();
    struct nftnl_set_elem *e = nftnl_set_elem_alloc();
    if (!s || !e) {
        if (s)
            nftnl_set_free(s);
        if (e)
            nftnl_set_elem_free(e);
        return -1;
    }
    nftnl_set_set_str(s, NFTNL_SET_TABLE, FW_TABLE);
    nftnl_set_set_str(s, NFTNL_SET_NAME, set_for(addr));
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &addr->u, addr->family == AF_INET ? 4 : 16);
    if (op->timed && timeout_ms)
        nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
    nftnl_set_elem_add(s, e); /* the set owns it now */
    struct nlmsghdr *nlh = fw_batch_msg(b, op->type, op->flags);
    if (nlh) {
        nftnl_set_elems_nlmsg_build_payload(nlh, s);
        fw_batch_commit(b, "set '%s'", set_for(addr));
    }
    nftnl_set_free(s);
    return nlh ? 0 : -1;
}

/* One transaction of `ops` on the sets of `n` addresses, over `nl` (NULL:
 * a socket of its own; the daemon keeps one open). Returns 0, or -errno
 * with `err` set, except for -ENOENT (no such set or element), which the
 * caller words. */
static int blocklist_commit(struct fw_nl *nl, const struct blocklist_op *ops, size_t n_ops,
                            const struct ip_addr *addrs, size_t n, uint64_t timeout_ms, char *err)
{
    struct fw_batch b;
    char why[FW_NL_ERR_MAX];
    int rc = fw_batch_init(&b) < 0 ? -ENOMEM : 0;
    for (size_t a = 0; rc == 0 && a < n; a++)
        for (size_t i = 0; rc == 0 && i < n_ops; i++)
            if (blocklist_put_elem(&b, &ops[i], &addrs[a], timeout_ms) < 0)
                rc = -ENOMEM;
    if (rc == 0)
        rc = fw_nl_commit(nl, &b, why);
    else
        snprintf(why, sizeof why, "out of memory");
    fw_batch_free(&b);
    if (rc < 0 && rc != -ENOENT)
        snprintf(err, FW_ERR_MAX, "%s", why);
    return rc;
}

/* Blocks addrs[0..n) in one transaction over nl (NULL: its own socket). */
static int block_many(struct fw_nl *nl, const struct ip_addr *addrs, size_t n, uint64_t timeout_ms, char *err)
{
    int rc = blocklist_commit(nl, blocklist_block_ops, N_OPS(blocklist_block_ops), addrs, n, timeout_ms, err);
    if (rc == -ENOENT)
        snprintf(err, FW_ERR_MAX, "no set '%s' in table inet %s (does the applied policy declare it?)",
                 n == 1 ? set_for(addrs) : POLICY_BLOCKLIST4 "' or '" POLICY_BLOCKLIST6, FW_TABLE);
    return rc;
}

int fw_block(const struct ip_addr *addr, uint64_t timeout_ms, char *err)
{
    return block_many(NULL, addr, 1, timeout_ms, err) < 0 ? -1 : 0;
}

/* ---- the daemon's handle: one socket for every block ---- */

struct fw_blocker {
    struct fw_nl nl;
    bool open;
};

struct fw_blocker *fw_blocker_new(void)
{
    return calloc(1, sizeof(struct fw_blocker));
}

void fw_blocker_free(struct fw_blocker *bl)
{
    if (!bl)
        return;
    if (bl->open)
        fw_nl_close(&bl->nl);
    free(bl);
}

/* (Re)opens the socket when it is not open; 0 or -1 with err. */
static int blocker_ready(struct fw_blocker *bl, char *err)
{
    char why[FW_NL_ERR_MAX];
    if (bl->open)
        return 0;
    if (fw_nl_open(&bl->nl, why) < 0) {
        snprintf(err, FW_ERR_MAX, "%s", why);
        return -1;
    }
    bl->open = true;
    return 0;
}

/* After any failure the socket is given up: the next call starts on a
 * fresh one, whatever state the kernel left this one in. */
static int blocker_result(struct fw_blocker *bl, int rc)
{
    if (rc < 0 && bl->open) {
        fw_nl_close(&bl->nl);
        bl->open = false;
    }
    return rc < 0 ? -1 : 0;
}

int fw_blocker_block(struct fw_blocker *bl, const struct ip_addr *addrs, size_t n, uint64_t timeout_ms,
                     char *err)
{
    if (n == 0 || n > FW_BLOCK_BATCH_MAX) {
        snprintf(err, FW_ERR_MAX, "%zu addresses in one transaction (1-%d)", n, FW_BLOCK_BATCH_MAX);
        return -1;
    }
    if (blocker_ready(bl, err) < 0)
        return -1;
    return blocker_result(bl, block_many(&bl->nl, addrs, n, timeout_ms, err));
}

int fw_blocker_status(struct fw_blocker *bl, struct fw_status *st, char *err)
{
    if (blocker_ready(bl, err) < 0)
        return -1;
    return blocker_result(bl, fw_status_read_nl(&bl->nl, st, err));
}

int fw_unblock(const struct ip_addr *addr, char *err)
{
    int rc = blocklist_commit(NULL, blocklist_unblock_ops, N_OPS(blocklist_unblock_ops), addr, 1, 0, err);
    char a[PARSE_ADDR_STR_MAX];
    if (rc == -ENOENT)
        snprintf(err, FW_ERR_MAX, "%s is not blocked (or there is no set '%s')", format_ip(addr, a, sizeof a),
                 set_for(addr));
    return rc < 0 ? -1 : 0;
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
