/*
 * ipc: messages between the parent and a relay over their socketpair
 * (AF_UNIX, SOCK_SEQPACKET: one send is one message, boundaries kept).
 *
 *   parent -> relay   CONFIG + BACKENDS + TICKET_KEYS + KEYHOLDER (first, once), DRAIN,
 *                     RETIRE, VRRP, FIREWALL, PEER, TICKET_KEYS (at every key rotation,
 *                     and when the peer gateway's keys are taken), KEYHOLDER (a
 *                     restarted key holder's channels), KEYS_STATUS
 *   relay  -> parent  READY, HEARTBEAT (every RELAY_HEARTBEAT_MS), FATAL, AUTOBLOCK
 *   parent -> key holder  CONFIG (once), DRAIN
 *   key holder -> parent  KEYS_STATUS (the first: keys loaded; then every
 *                     KEYHOLDER_STATUS_MS), FATAL
 *   parent -> ACME process  CONFIG (once), ACME_ROLE, ACME_ACK, DRAIN; the
 *                     peer's ACME_ACCOUNT, ACME_ORDER, ACME_CERT (on a pair)
 *   ACME process -> parent  ACME_TOKEN, ACME_CERT, ACME_STATUS, ACME_ACCOUNT,
 *                     ACME_ORDER, FATAL
 *   parent -> relay   ACME_TOKENS, ACME_STATUS (gateway/acme/acme_msg.h)
 *   relay  -> parent  ACME_ACK (the token set of that generation is served)
 *
 * Descriptors travel only with KEYHOLDER (SCM_RIGHTS): the relay's ends of
 * the key holder's channels. A message of any other type that brings one
 * is malformed, and what it brought is closed.
 *
 * Encoding and decoding are pure (tests feed them any bytes); ipc_send /
 * ipc_recv are the thin socket wrappers. A malformed message is refused
 * with a reason; the parent treats a relay that sends one as lost.
 */
#ifndef RAMPART_GATEWAY_PROC_IPC_H
#define RAMPART_GATEWAY_PROC_IPC_H

#include "gateway/acme/acme_msg.h"
#include "gateway/admin/status.h"
#include "gateway/config/config.h"
#include "common/parse.h"
#include "tls/tls.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ipc_type {
    IPC_CONFIG = 1,   /* struct config: the relay's whole configuration */
    IPC_DRAIN,        /* no payload: stop accepting, finish in-flight, exit 0 */
    IPC_READY,        /* struct ipc_status: certificates loaded, privileges dropped, serving */
    IPC_HEARTBEAT,    /* struct ipc_status */
    IPC_FATAL,        /* text (not NUL-terminated): why the relay cannot serve */
    IPC_RETIRE,       /* no payload: a newer relay took over (reload): close the
                       * admin listener at once, then drain like IPC_DRAIN */
    IPC_VRRP,         /* struct admin_vrrp_status[1..ADMIN_VRRP_MAX_INSTANCES], one per
                       * instance, for /healthz, /status, /metrics */
    IPC_FIREWALL,     /* struct admin_firewall_status */
    IPC_BACKENDS,     /* uint64_t, right after CONFIG: backends the previous relay
                       * had down (bit i = backend i), so they start down */
    IPC_AUTOBLOCK,    /* struct ipc_autoblock: the abuse detector names an offender */
    IPC_TICKET_KEYS,  /* struct tls_ticket_keys: session-ticket keys from the parent,
                       * right after BACKENDS and again at every rotation */
    IPC_KEYHOLDER,    /* struct ipc_keyholder + that many descriptors: the key
                       * holder's channels, one per worker, after TICKET_KEYS and
                       * again whenever a restarted key holder replaces the last */
    IPC_KEYS_STATUS,  /* struct admin_keyholder_status: what the key holder answered;
                       * its first one says the keys are loaded and checked */
    IPC_PEER,         /* struct admin_peer_status: the peer channel, for the admin pages */
    IPC_BGP,          /* struct admin_bgp_status: the [bgp] announcement, for /metrics */
    IPC_ACME_TOKEN,   /* struct acme_token: ACME process -> parent, publish or withdraw an answer */
    IPC_ACME_ACK,     /* struct acme_ack: parent -> ACME process, the answer is in place */
    IPC_ACME_CERT,    /* struct acme_cert_msg: ACME process -> parent, an issued certificate */
    IPC_ACME_TOKENS,  /* struct acme_token_set: parent -> relay, every answer published now */
    IPC_ACME_STATUS,  /* struct acme_status_msg: ACME process -> parent -> relay, for /metrics */
    IPC_ACME_ROLE,    /* struct acme_role_msg: parent -> ACME process, lead or follow */
    IPC_ACME_ACCOUNT, /* struct acme_account_msg: the ACME account, either way (the peer's to the ACME
                         process) */
    IPC_ACME_ORDER,   /* struct acme_order_msg: an order under way or ended, either way (ditto) */
    IPC_TYPE_END
};

struct ipc_status {
    uint32_t backends_up;
    uint32_t backends_total;
    uint32_t connections;
    uint32_t settled;   /* 1: every backend's state is known (down, or one check
                         * passed); until then backends_up is only the start value */
    uint64_t down_mask; /* bit i: backend i (config order) is down */
};

struct ipc_keyholder {
    uint32_t channels; /* descriptors attached, = [gateway] workers */
    uint32_t reserved;
};

/* A client address to block: family AF_INET (addr[0..3]) or AF_INET6. */
struct ipc_autoblock {
    uint32_t family;
    uint8_t addr[16];
};

#define IPC_MAGIC    0x52504d31u /* "RPM1" */
#define IPC_TEXT_MAX 512
#define IPC_MAX_MSG  (64 * 1024)

/* 16 bytes, so a payload in a 16-aligned buffer is aligned for any type */
struct ipc_header {
    uint32_t magic;
    uint16_t type;
    uint16_t reserved;
    uint32_t len; /* payload bytes after the header */
    uint32_t reserved2;
};
#define IPC_BUF_ALIGN 16 /* declare receive buffers _Alignas(IPC_BUF_ALIGN) */

#define IPC_MAX_FDS CONFIG_MAX_WORKERS /* descriptors with one message */

struct ipc_msg {
    enum ipc_type type;
    const void *payload; /* points into the decoded buffer */
    size_t len;
    /* received with the message (KEYHOLDER only): the handler's to keep or
     * close; one that keeps them sets n_fds to 0 */
    int fds[IPC_MAX_FDS];
    unsigned n_fds;
};

/* Writes header + payload into buf; returns the message size, or 0 when
 * it does not fit or the payload size is wrong for the type. */
size_t ipc_encode(void *buf, size_t cap, enum ipc_type type, const void *payload, size_t len);

/* Checks a received message; 0 and *out filled, or -1 with a reason. */
int ipc_decode(const void *buf, size_t n, struct ipc_msg *out, const char **why);

/* A CONFIG payload received by a relay: sane enough to index arrays with
 * (counts within their bounds, strings terminated). 0 or -1 + reason. */
int ipc_config_check(const struct config *cfg, const char **why);

/* struct ip_addr <-> its IPC form. from: 0, or -1 for another family;
 * to: 0, or -1 + reason (the relay is not trusted to send sense). */
int ipc_autoblock_from_addr(const struct ip_addr *addr, struct ipc_autoblock *out);
int ipc_autoblock_to_addr(const struct ipc_autoblock *in, struct ip_addr *out, const char **why);

/* send(2) of one message; 0, or -1 with errno (EAGAIN: peer not reading). */
int ipc_send(int fd, enum ipc_type type, const void *payload, size_t len);
/* ... with n descriptors (SCM_RIGHTS; the sender keeps its copies). */
int ipc_send_fds(int fd, enum ipc_type type, const void *payload, size_t len, const int *fds, unsigned n);
/* Closes every descriptor still in msg. */
void ipc_msg_close_fds(struct ipc_msg *msg);
/* Reads one message into buf (IPC_MAX_MSG bytes) and decodes it, with the
 * descriptors that came with it in out->fds.
 * 1 = message in *out, 0 = peer closed, -1 = error/EAGAIN (errno) or
 * malformed (errno EPROTO, *why set; descriptors it brought are closed). */
int ipc_recv(int fd, void *buf, struct ipc_msg *out, const char **why);

/* The receive loop of both ends, for a socket on an event loop: hands
 * each message waiting on fd to fn (descriptors it leaves in the message
 * are closed after it returns), at most IPC_MSGS_PER_EVENT per call
 * (level-triggered epoll calls again for the rest, so a flooding peer
 * cannot hold the loop). 0: nothing more for now. -1: the peer closed
 * (*why NULL) or broke the protocol (*why says how); stop watching fd.
 * One receive buffer per process: call it from one thread only. */
#define IPC_MSGS_PER_EVENT 32
typedef void ipc_handler_fn(void *arg, struct ipc_msg *msg);
int ipc_receive(int fd, ipc_handler_fn *fn, void *arg, const char **why);

const char *ipc_type_name(enum ipc_type type);

#endif /* RAMPART_GATEWAY_PROC_IPC_H */
