/*
 * nfnetlink over libmnl: batches (one transaction each) and dumps. The
 * pattern of libmnl/libnftnl's examples: build, send, read every answer by
 * sequence number, check every error.
 */
#include "firewall/nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdarg.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#define FW_NL_RECV_BUF 65536

/* Room for the next message (FW_NL_MSG_MAX bytes, zeroed) and its label. */
static char *batch_reserve(struct fw_batch *b)
{
    if (b->cap - b->len < FW_NL_MSG_MAX) {
        size_t cap = b->cap ? b->cap * 2 : 4 * FW_NL_MSG_MAX;
        char *grown = realloc(b->buf, cap);
        if (!grown)
            return NULL;
        b->buf = grown;
        b->cap = cap;
    }
    if (b->n_msgs == b->cap_msgs) {
        size_t cap = b->cap_msgs ? b->cap_msgs * 2 : 64;
        char(*grown)[FW_NL_LABEL_MAX] = realloc(b->labels, cap * sizeof *grown);
        if (!grown)
            return NULL;
        b->labels = grown;
        b->cap_msgs = cap;
    }
    memset(b->buf + b->len, 0, FW_NL_MSG_MAX);
    return b->buf + b->len;
}

int fw_batch_init(struct fw_batch *b)
{
    memset(b, 0, sizeof *b);
    b->seq_first = (uint32_t)time(NULL) << 8; /* distinct from a recent run's */
    b->seq_next = b->seq_first;
    char *p = batch_reserve(b);
    if (!p)
        return -1;
    nftnl_batch_begin(p, b->seq_next++);
    b->len += NLMSG_ALIGN(((struct nlmsghdr *)p)->nlmsg_len);
    b->seq_first = b->seq_next;
    return 0;
}

void fw_batch_free(struct fw_batch *b)
{
    free(b->buf);
    free(b->labels);
    memset(b, 0, sizeof *b);
}

struct nlmsghdr *fw_batch_msg(struct fw_batch *b, uint16_t type, uint16_t flags)
{
    char *p = batch_reserve(b);
    return p ? nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET, flags, b->seq_next) : NULL;
}

void fw_batch_commit(struct fw_batch *b, const char *label_fmt, ...)
{
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)(b->buf + b->len);
    b->len += NLMSG_ALIGN(nlh->nlmsg_len);
    va_list ap;
    va_start(ap, label_fmt);
    vsnprintf(b->labels[b->n_msgs++], FW_NL_LABEL_MAX, label_fmt, ap);
    va_end(ap);
    b->seq_next++;
}

int fw_batch_end(struct fw_batch *b)
{
    char *p = batch_reserve(b);
    if (!p)
        return -1;
    nftnl_batch_end(p, b->seq_next);
    b->len += NLMSG_ALIGN(((struct nlmsghdr *)p)->nlmsg_len);
    b->ended = true;
    return 0;
}

size_t fw_batch_count(const struct fw_batch *b)
{
    return b->n_msgs;
}

int fw_nl_open(struct fw_nl *nl, char *err)
{
    memset(nl, 0, sizeof *nl);
    nl->sock = mnl_socket_open(NETLINK_NETFILTER);
    if (!nl->sock) {
        int e = errno;
        snprintf(err, FW_NL_ERR_MAX, "netlink socket: %s", strerror(e));
        return -e;
    }
    if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        snprintf(err, FW_NL_ERR_MAX, "netlink bind: %s", strerror(e));
        mnl_socket_close(nl->sock);
        nl->sock = NULL;
        return -e;
    }
    nl->portid = mnl_socket_get_portid(nl->sock);
    nl->seq = (uint32_t)time(NULL) << 8; /* any start: answers come to this port only */
    int one = 1, fd = mnl_socket_get_fd(nl->sock);
    /* errors carry only the header of the refused message, not all of it:
     * a refused 60 KB element message must not overflow our receive buffer */
    mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof one);
    struct timeval tv = {.tv_sec = FW_NL_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rcv = 4 * 1024 * 1024;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    return 0;
}

void fw_nl_close(struct fw_nl *nl)
{
    if (nl->sock)
        mnl_socket_close(nl->sock);
    nl->sock = NULL;
}

/* The kernel takes a batch in one sendmsg, so the send buffer must hold it. */
static void grow_sndbuf(struct fw_nl *nl, size_t len)
{
    int fd = mnl_socket_get_fd(nl->sock);
    int want = len + 4096 > (size_t)0x7fffffff ? 0x7fffffff : (int)(len + 4096);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
}

/* Numbers the batch for this socket: begin, every message, end, from
 * nl->seq on. Batches built without a socket all start near the same
 * number, so on a socket that carries many, only this keeps an answer
 * from being taken for another batch's. */
static void renumber(struct fw_nl *nl, struct fw_batch *b)
{
    uint32_t seq = nl->seq;
    for (size_t off = 0; off + sizeof(struct nlmsghdr) <= b->len;) {
        struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + off);
        nlh->nlmsg_seq = seq++;
        off += NLMSG_ALIGN(nlh->nlmsg_len);
    }
    b->seq_first = nl->seq + 1; /* the message after BATCH_BEGIN */
    b->seq_next = seq - 1;      /* BATCH_END's */
    nl->seq = seq;
}

/* Discards what is left on the socket: answers to an earlier batch or
 * dump that were given up on (a timeout), so they are not read as this
 * one's. */
static void drain(struct fw_nl *nl)
{
    _Alignas(struct nlmsghdr) char buf[FW_NL_RECV_BUF];
    int fd = mnl_socket_get_fd(nl->sock);
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

/* Reads answers until each message has one (or one says the batch failed
 * as a whole). Answers numbered outside this batch are late ones of an
 * earlier batch: skipped. Returns 0, or -errno with `err` set. */
static int read_answers(struct fw_nl *nl, const struct fw_batch *b, char *err)
{
    _Alignas(struct nlmsghdr) char buf[FW_NL_RECV_BUF]; /* on the stack: callers may be on any thread */
    size_t answered = 0;
    int first_error = 0;
    while (answered < b->n_msgs) {
        ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof buf);
        if (n < 0) {
            int e = errno;
            snprintf(err, FW_NL_ERR_MAX, "reading the kernel's answer: %s",
                     e == EAGAIN ? "timed out" : strerror(e));
            return -e;
        }
        int len = (int)n;
        for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
             nlh = mnl_nlmsg_next(nlh, &len)) {
            if (nlh->nlmsg_type != NLMSG_ERROR)
                continue;
            const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
            uint32_t idx = nlh->nlmsg_seq - b->seq_first; /* wraps like the numbers do */
            bool begin = nlh->nlmsg_seq == b->seq_first - 1, end = nlh->nlmsg_seq == b->seq_next;
            if (idx >= b->n_msgs && !begin && !end)
                continue; /* not this batch's */
            if (begin || end) {
                /* begin/end refused: the whole batch is */
                snprintf(err, FW_NL_ERR_MAX, "kernel refused the batch: %s", strerror(-e->error));
                return e->error ? e->error : -EPROTO;
            }
            answered++;
            if (e->error && !first_error) {
                first_error = e->error;
                snprintf(err, FW_NL_ERR_MAX, "kernel refused %s: %s", b->labels[idx], strerror(-e->error));
            }
        }
    }
    return first_error;
}

/* One batch over a socket of its own. */
static int commit_once(struct fw_batch *b, char *err)
{
    struct fw_nl own;
    int rc = fw_nl_open(&own, err);
    if (rc == 0) {
        rc = fw_nl_commit(&own, b, err);
        fw_nl_close(&own);
    }
    return rc;
}

int fw_nl_commit(struct fw_nl *nl, struct fw_batch *b, char *err)
{
    if (!b->ended && fw_batch_end(b) < 0) {
        snprintf(err, FW_NL_ERR_MAX, "out of memory");
        return -ENOMEM;
    }
    if (!nl)
        return commit_once(b, err);
    renumber(nl, b);
    drain(nl);
    grow_sndbuf(nl, b->len);
    if (mnl_socket_sendto(nl->sock, b->buf, b->len) < 0) {
        int e = errno;
        snprintf(err, FW_NL_ERR_MAX, "sending the batch (%zu bytes): %s", b->len, strerror(e));
        return -e;
    }
    return read_answers(nl, b, err);
}

int fw_nl_dump(struct fw_nl *nl, uint16_t type, uint16_t flags,
               void (*build)(struct nlmsghdr *nlh, void *arg), void *arg, fw_nl_dump_cb cb, void *data)
{
    _Alignas(struct nlmsghdr) char buf[FW_NL_RECV_BUF];
    uint32_t seq = nl->seq++;
    drain(nl);
    struct nlmsghdr *nlh =
        nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK | flags, seq);
    if (build)
        build(nlh, arg);
    if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof buf);
        if (n < 0)
            return -errno;
        errno = 0;
        int ret = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
        if (ret < 0)
            return errno ? -errno : -EIO;
        if (ret == MNL_CB_STOP)
            return 0;
    }
}
