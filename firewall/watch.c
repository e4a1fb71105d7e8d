/*
 * watch: nf_tables change notifications (multicast group NFNLGRP_NFTABLES)
 * for the blocklist sets of table inet rampart. See firewall.h.
 *
 * The kernel sends one NEWSETELEM / DELSETELEM message per change made
 * through netlink, whoever made it, with the port id of the requesting
 * socket in nlmsg_pid; elements removed by their own timeout are not
 * reported. A listener that reads too slowly gets ENOBUFS and has lost
 * messages: the caller then reads the sets again (fw_blocked_each).
 */
#include "firewall/firewall.h"

#include "firewall/ruleset.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define FW_WATCH_BUF     65536     /* one datagram: the kernel packs several messages into one */
#define FW_WATCH_RCVBUF  (4 << 20) /* a policy apply re-adds every blocked address at once */
#define FW_WATCH_TXN_MAX 1024      /* addresses one transaction may change before it counts as an overrun */

struct fw_watch {
    struct mnl_socket *sock;
    /* the changes of the transaction being reported, one per address (the
     * last wins): a block is "add if missing, delete, add" in one
     * transaction, which is one block, not a block, an unblock and a block */
    struct fw_watch_event txn[FW_WATCH_TXN_MAX];
    unsigned n_txn;
    bool txn_overrun;
    _Alignas(struct nlmsghdr) char buf[FW_WATCH_BUF]; /* netlink messages are read in place */
};

struct fw_watch *fw_watch_open(char *err)
{
    struct fw_watch *w = calloc(1, sizeof *w);
    unsigned group = NFNLGRP_NFTABLES;
    int rcvbuf = FW_WATCH_RCVBUF;
    if (!w) {
        snprintf(err, FW_ERR_MAX, "out of memory");
        return NULL;
    }
    w->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (!w->sock || mnl_socket_bind(w->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
        mnl_socket_setsockopt(w->sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
        snprintf(err, FW_ERR_MAX, "nf_tables notifications: %s", strerror(errno));
        fw_watch_close(w);
        return NULL;
    }
    /* best effort: the default buffer overruns when a policy apply re-adds
     * tens of thousands of elements (the caller then re-reads the sets) */
    if (setsockopt(mnl_socket_get_fd(w->sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        setsockopt(mnl_socket_get_fd(w->sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    return w;
}

int fw_watch_fd(const struct fw_watch *w)
{
    return mnl_socket_get_fd(w->sock);
}

void fw_watch_close(struct fw_watch *w)
{
    if (!w)
        return;
    if (w->sock)
        mnl_socket_close(w->sock);
    free(w);
}

struct watch_ctx {
    struct fw_watch *w;
    fw_watch_fn fn;
    void *arg;
    bool overrun;
};

static bool same_addr(const struct ip_addr *a, const struct ip_addr *b)
{
    return a->family == b->family && memcmp(&a->u, &b->u, a->family == AF_INET ? 4 : 16) == 0;
}

/* One element change, kept until the transaction ends. */
static void txn_note(struct fw_watch *w, const struct fw_watch_event *ev)
{
    for (unsigned i = 0; i < w->n_txn; i++)
        if (same_addr(&w->txn[i].addr, &ev->addr)) {
            w->txn[i] = *ev;
            return;
        }
    if (w->n_txn == FW_WATCH_TXN_MAX)
        w->txn_overrun = true;
    else
        w->txn[w->n_txn++] = *ev;
}

/* NEWGEN ends a transaction: its net changes go out. */
static void txn_end(struct watch_ctx *ctx)
{
    struct fw_watch *w = ctx->w;
    if (w->txn_overrun)
        ctx->overrun = true;
    else
        for (unsigned i = 0; i < w->n_txn; i++)
            ctx->fn(ctx->arg, &w->txn[i]);
    w->n_txn = 0;
    w->txn_overrun = false;
}

/* Notes each element of one set message, if it is one of our blocklists. */
static void report_elems(struct watch_ctx *ctx, const struct nlmsghdr *nlh, struct nftnl_set *s)
{
    const char *table = nftnl_set_get_str(s, NFTNL_SET_TABLE), *name = nftnl_set_get_str(s, NFTNL_SET_NAME);
    if (!table || !name || strcmp(table, FW_TABLE) != 0 ||
        nftnl_set_get_u32(s, NFTNL_SET_FAMILY) != NFPROTO_INET)
        return;
    int family = strcmp(name, POLICY_BLOCKLIST4) == 0   ? AF_INET
                 : strcmp(name, POLICY_BLOCKLIST6) == 0 ? AF_INET6
                                                        : 0;
    if (!family)
        return;
    bool added = (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM;
    struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
    for (struct nftnl_set_elem *e = it ? nftnl_set_elems_iter_next(it) : NULL; e;
         e = nftnl_set_elems_iter_next(it)) {
        uint32_t len = 0;
        const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        if (!key || len != (family == AF_INET ? 4u : 16u))
            continue;
        struct fw_watch_event ev = {.added = added, .addr.family = family, .portid = nlh->nlmsg_pid};
        memcpy(&ev.addr.u, key, len);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
            ev.timeout_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
            ev.expires_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
        txn_note(ctx->w, &ev);
    }
    if (it)
        nftnl_set_elems_iter_destroy(it);
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
    uint16_t type = nlh->nlmsg_type & 0xff;
    if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
        return MNL_CB_OK;
    if (type == NFT_MSG_NEWGEN) {
        txn_end(data);
        return MNL_CB_OK;
    }
    if (type != NFT_MSG_NEWSETELEM && type != NFT_MSG_DELSETELEM)
        return MNL_CB_OK;
    struct nftnl_set *s = nftnl_set_alloc();
    if (s && nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
        report_elems(data, nlh, s);
    if (s)
        nftnl_set_free(s);
    return MNL_CB_OK;
}

int fw_watch_read(struct fw_watch *w, fw_watch_fn fn, void *arg, char *err)
{
    struct watch_ctx ctx = {.w = w, .fn = fn, .arg = arg};
    for (int i = 0; i < FW_WATCH_READS_PER_CALL; i++) {
        ssize_t n = recv(mnl_socket_get_fd(w->sock), w->buf, sizeof w->buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return ctx.overrun ? 2 : 0;
        if (n < 0 && errno == ENOBUFS) {
            w->n_txn = 0; /* a part of it is lost */
            return 2;
        }
        if (n <= 0) {
            snprintf(err, FW_ERR_MAX, "nf_tables notifications: %s",
                     n < 0 ? strerror(errno) : "socket closed");
            return -1;
        }
        /* seq and port 0: notifications answer no request of ours */
        mnl_cb_run(w->buf, (size_t)n, 0, 0, on_msg, &ctx);
    }
    return ctx.overrun ? 2 : 1;
}
