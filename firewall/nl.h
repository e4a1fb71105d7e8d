/*
 * The only place Rampart talks nfnetlink (libmnl). A batch is a growable
 * buffer of netlink messages between BATCH_BEGIN and BATCH_END that the
 * kernel applies as one transaction: all of it or none of it.
 *
 * The sequence of libnftnl's examples, once for every caller: fw_batch_init
 * (begin), per message fw_batch_msg + the payload + fw_batch_commit, then
 * fw_nl_commit (end, send, one answer per message by sequence number,
 * every error checked), fw_batch_free. Building a batch needs no socket, so
 * compile.c and blocklist.c never see one.
 *
 * Sockets: fw_nl_commit opens one for the batch alone when given none. A
 * caller with many small batches (blocklist adds in the daemon) can keep a
 * struct fw_nl open and pass it instead: close() of a netlink socket after a
 * transaction was measured at ~11 ms on the kernel the tests run on.
 * Sequence numbers are the socket's: fw_nl_commit renumbers the batch
 * from nl->seq (a batch needs no socket to be built, so it cannot know
 * them before), and both it and fw_nl_dump first discard answers still
 * queued from an earlier request that was given up on (timed out), and
 * skip answers numbered for another batch.
 *
 * A batch and a struct fw_nl belong to one thread at a time; there is no
 * shared state. The caller frees both (fw_batch_free, fw_nl_close).
 */
#ifndef RAMPART_FIREWALL_NL_H
#define RAMPART_FIREWALL_NL_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_NL_MSG_MAX   65536 /* room reserved for one message */
#define FW_NL_LABEL_MAX 96    /* "set 'blocklist'", "rule 12 (input)" */
#define FW_NL_ERR_MAX   256
#define FW_NL_TIMEOUT_S 10 /* an answer from the kernel never takes longer */

struct fw_batch {
    char *buf;
    size_t len, cap;
    uint32_t seq_first, seq_next;
    char (*labels)[FW_NL_LABEL_MAX]; /* per message, by seq - seq_first */
    size_t n_msgs, cap_msgs;
    bool ended;
};

/* Starts a batch (writes BATCH_BEGIN). Returns 0 or -1 (out of memory). */
int fw_batch_init(struct fw_batch *b);
void fw_batch_free(struct fw_batch *b);

/* Starts the next message: its header (nf_tables `type`, family inet,
 * `flags`, the batch's next sequence number) in room for FW_NL_MSG_MAX
 * bytes. Put the payload (nftnl_*_nlmsg_build_payload), then call
 * fw_batch_commit. NULL when out of memory. */
struct nlmsghdr *fw_batch_msg(struct fw_batch *b, uint16_t type, uint16_t flags);
/* Accounts the message fw_batch_msg started. The label (printf format:
 * "set '%s'") names it in the error should the kernel refuse it. */
void fw_batch_commit(struct fw_batch *b, const char *label_fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes BATCH_END (fw_nl_commit does when the caller has not). */
int fw_batch_end(struct fw_batch *b);
/* Messages between begin and end. */
size_t fw_batch_count(const struct fw_batch *b);

struct mnl_socket;
struct fw_nl {
    struct mnl_socket *sock;
    uint32_t portid;
    uint32_t seq; /* the next sequence number, for batches and dumps alike */
};

/* Returns 0, or -errno with `err` (FW_NL_ERR_MAX bytes). */
int fw_nl_open(struct fw_nl *nl, char *err);
void fw_nl_close(struct fw_nl *nl);

/* Ends the batch if needed, sends it over `nl` (NULL: a socket opened for
 * this batch and closed after it) and reads one answer per message.
 * Returns 0 when the kernel committed it; else -errno (the kernel's first
 * refusal, e.g. -ENOENT for a missing set, or what failed here) with `err`
 * ("kernel refused set 'x': ..."), and a refused batch changed nothing. */
int fw_nl_commit(struct fw_nl *nl, struct fw_batch *b, char *err);

/* A dump request (e.g. NFT_MSG_GETRULE): `build` fills the request after
 * its header; `cb` gets every answer. Returns 0, or -errno. */
typedef int (*fw_nl_dump_cb)(const struct nlmsghdr *nlh, void *data);
int fw_nl_dump(struct fw_nl *nl, uint16_t type, uint16_t flags,
               void (*build)(struct nlmsghdr *nlh, void *arg), void *arg, fw_nl_dump_cb cb, void *data);

#endif /* RAMPART_FIREWALL_NL_H */
