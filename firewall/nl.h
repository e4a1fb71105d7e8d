/*
 * The only place Rampart talks nfnetlink (libmnl). A batch is a growable
 * buffer of netlink messages between BATCH_BEGIN and BATCH_END that the
 * kernel applies as one transaction: all of it or none of it.
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

/* Room for the next message: returns where to build it (with
 * nftnl_nlmsg_build_hdr(ptr, ..., fw_batch_seq(b))) or NULL. */
char *fw_batch_reserve(struct fw_batch *b);
uint32_t fw_batch_seq(const struct fw_batch *b);
/* Accounts the message just built at the reserved place; `label` names it
 * in the error message should the kernel refuse it. */
void fw_batch_commit(struct fw_batch *b, const char *label);
/* Writes BATCH_END. */
int fw_batch_end(struct fw_batch *b);
/* Messages between begin and end. */
size_t fw_batch_count(const struct fw_batch *b);

struct mnl_socket;
struct fw_nl {
    struct mnl_socket *sock;
    uint32_t portid;
    uint32_t dump_seq;
};

int fw_nl_open(struct fw_nl *nl, char *err);
void fw_nl_close(struct fw_nl *nl);

/* Sends the batch and reads one answer per message. Returns 0 when the
 * kernel committed it; -1 with `err` ("kernel refused set 'x': ...") when
 * it did not, in which case nothing changed. */
int fw_nl_commit(struct fw_nl *nl, struct fw_batch *b, char *err);

/* A dump request (e.g. NFT_MSG_GETRULE): `build` fills the request after
 * its header; `cb` gets every answer. Returns 0, or -errno. */
typedef int (*fw_nl_dump_cb)(const struct nlmsghdr *nlh, void *data);
int fw_nl_dump(struct fw_nl *nl, uint16_t type, uint16_t flags,
               void (*build)(struct nlmsghdr *nlh, void *arg), void *arg, fw_nl_dump_cb cb, void *data);

#endif /* RAMPART_FIREWALL_NL_H */
