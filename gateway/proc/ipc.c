/*
 * ipc: parent <-> relay messages. See ipc.h.
 */
#include "gateway/proc/ipc.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

_Static_assert(sizeof(struct ipc_header) + sizeof(struct config) <= IPC_MAX_MSG,
               "struct config must fit one IPC message");
_Static_assert(sizeof(struct ipc_header) % IPC_BUF_ALIGN == 0, "payloads stay aligned");
_Static_assert(CONFIG_MAX_BACKENDS <= 64, "backend states travel as a 64-bit mask");
_Static_assert(CONFIG_MAX_VRRP_INSTANCES <= ADMIN_VRRP_MAX_INSTANCES, "one status per VRRP instance");
_Static_assert(CONFIG_NAME_MAX <= ADMIN_VRRP_NAME_MAX, "instance names fit their status");

/* IPC_VRRP: a whole number of instance statuses, at least one, at most one
 * per possible instance. */
static int vrrp_payload_ok(size_t len)
{
    size_t one = sizeof(struct admin_vrrp_status);
    return len >= one && len % one == 0 && len / one <= ADMIN_VRRP_MAX_INSTANCES;
}

/* Payload size rules per type: exact size, or a range for text. */
static int payload_ok(enum ipc_type type, size_t len)
{
    switch (type) {
    case IPC_CONFIG: return len == sizeof(struct config);
    case IPC_DRAIN:
    case IPC_RETIRE: return len == 0;
    case IPC_VRRP: return vrrp_payload_ok(len);
    case IPC_FIREWALL: return len == sizeof(struct admin_firewall_status);
    case IPC_BACKENDS: return len == sizeof(uint64_t);
    case IPC_AUTOBLOCK: return len == sizeof(struct ipc_autoblock);
    case IPC_TICKET_KEYS: return len == sizeof(struct tls_ticket_keys);
    case IPC_KEYHOLDER: return len == sizeof(struct ipc_keyholder);
    case IPC_KEYS_STATUS: return len == sizeof(struct admin_keyholder_status);
    case IPC_PEER: return len == sizeof(struct admin_peer_status);
    case IPC_BGP: return len == sizeof(struct admin_bgp_status);
    case IPC_ACME_TOKEN: return len == sizeof(struct acme_token);
    case IPC_ACME_ACK: return len == sizeof(struct acme_ack);
    case IPC_ACME_CERT: return len == sizeof(struct acme_cert_msg);
    case IPC_ACME_TOKENS: return len == sizeof(struct acme_token_set);
    case IPC_ACME_STATUS: return len == sizeof(struct acme_status_msg);
    case IPC_ACME_ROLE: return len == sizeof(struct acme_role_msg);
    case IPC_ACME_ACCOUNT: return len == sizeof(struct acme_account_msg);
    case IPC_ACME_ORDER: return len == sizeof(struct acme_order_msg);
    case IPC_READY:
    case IPC_HEARTBEAT: return len == sizeof(struct ipc_status);
    case IPC_FATAL: return len >= 1 && len <= IPC_TEXT_MAX;
    default: return 0;
    }
}

const char *ipc_type_name(enum ipc_type type)
{
    static const char *const names[IPC_TYPE_END] = {
        [IPC_CONFIG] = "config",
        [IPC_DRAIN] = "drain",
        [IPC_READY] = "ready",
        [IPC_HEARTBEAT] = "heartbeat",
        [IPC_FATAL] = "fatal",
        [IPC_RETIRE] = "retire",
        [IPC_VRRP] = "vrrp",
        [IPC_FIREWALL] = "firewall",
        [IPC_BACKENDS] = "backends",
        [IPC_AUTOBLOCK] = "autoblock",
        [IPC_TICKET_KEYS] = "ticket_keys",
        [IPC_KEYHOLDER] = "keyholder",
        [IPC_KEYS_STATUS] = "keys_status",
        [IPC_PEER] = "peer",
        [IPC_BGP] = "bgp",
        [IPC_ACME_TOKEN] = "acme_token",
        [IPC_ACME_ACK] = "acme_ack",
        [IPC_ACME_CERT] = "acme_cert",
        [IPC_ACME_TOKENS] = "acme_tokens",
        [IPC_ACME_STATUS] = "acme_status",
        [IPC_ACME_ROLE] = "acme_role",
        [IPC_ACME_ACCOUNT] = "acme_account",
        [IPC_ACME_ORDER] = "acme_order",
    };
    return type > 0 && type < IPC_TYPE_END ? names[type] : "unknown";
}

size_t ipc_encode(void *buf, size_t cap, enum ipc_type type, const void *payload, size_t len)
{
    size_t total = sizeof(struct ipc_header) + len;
    if (!payload_ok(type, len) || total > cap || total > IPC_MAX_MSG)
        return 0;
    struct ipc_header h = {.magic = IPC_MAGIC, .type = (uint16_t)type, .len = (uint32_t)len};
    memcpy(buf, &h, sizeof h);
    if (len)
        memcpy((char *)buf + sizeof h, payload, len);
    return total;
}

int ipc_decode(const void *buf, size_t n, struct ipc_msg *out, const char **why)
{
    struct ipc_header h;
    if (n < sizeof h) {
        *why = "message shorter than its header";
        return -1;
    }
    memcpy(&h, buf, sizeof h);
    if (h.magic != IPC_MAGIC) {
        *why = "bad magic";
        return -1;
    }
    if (h.len != n - sizeof h) {
        *why = "length field does not match the message size";
        return -1;
    }
    if (h.type == 0 || h.type >= IPC_TYPE_END) {
        *why = "unknown message type";
        return -1;
    }
    if (!payload_ok((enum ipc_type)h.type, h.len)) {
        *why = "payload size wrong for its type";
        return -1;
    }
    out->type = (enum ipc_type)h.type;
    out->payload = (const char *)buf + sizeof h;
    out->len = h.len;
    return 0;
}

static int terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

int ipc_config_check(const struct config *cfg, const char **why)
{
    const struct config_gateway *g = &cfg->gateway;
    *why = NULL;
    if (g->workers < 1 || g->workers > CONFIG_MAX_WORKERS)
        *why = "workers out of range";
    else if (g->n_https > CONFIG_MAX_LISTENERS || g->n_http > CONFIG_MAX_LISTENERS)
        *why = "too many listeners";
    else if (cfg->n_backends > CONFIG_MAX_BACKENDS)
        *why = "too many backends";
    else if (cfg->tls.server.n_certs > CONFIG_MAX_CERTIFICATES)
        *why = "too many certificates";
    else if (cfg->n_vrrp > CONFIG_MAX_VRRP_INSTANCES)
        *why = "too many VRRP instances";
    else if (!terminated(g->user, sizeof g->user) ||
             !terminated(g->keyholder_user, sizeof g->keyholder_user) ||
             !terminated(g->access_log, sizeof g->access_log) ||
             !terminated(cfg->health.path, sizeof cfg->health.path) ||
             !terminated(cfg->health.host, sizeof cfg->health.host) ||
             !terminated(cfg->path, sizeof cfg->path))
        *why = "unterminated string";
    for (unsigned i = 0; !*why && i < cfg->n_backends; i++)
        if (!terminated(cfg->backends[i].name, sizeof cfg->backends[i].name))
            *why = "unterminated backend name";
    for (unsigned i = 0; !*why && i < cfg->n_vrrp; i++)
        if (!terminated(cfg->vrrp[i].name, sizeof cfg->vrrp[i].name) ||
            !terminated(cfg->vrrp[i].interface, sizeof cfg->vrrp[i].interface))
            *why = "unterminated VRRP instance name";
    for (unsigned i = 0; !*why && i < cfg->tls.server.n_certs; i++) {
        const struct tls_cert_config *c = &cfg->tls.server.certs[i];
        if (!terminated(c->server_name, sizeof c->server_name) ||
            !terminated(c->cert_file, sizeof c->cert_file) || !terminated(c->key_file, sizeof c->key_file))
            *why = "unterminated certificate entry";
    }
    return *why ? -1 : 0;
}

int ipc_autoblock_from_addr(const struct ip_addr *addr, struct ipc_autoblock *out)
{
    memset(out, 0, sizeof *out);
    out->family = (uint32_t)addr->family;
    if (addr->family == AF_INET)
        memcpy(out->addr, &addr->u.v4, sizeof addr->u.v4);
    else if (addr->family == AF_INET6)
        memcpy(out->addr, &addr->u.v6, sizeof addr->u.v6);
    else
        return -1;
    return 0;
}

int ipc_autoblock_to_addr(const struct ipc_autoblock *in, struct ip_addr *out, const char **why)
{
    static const uint8_t zero[12];
    memset(out, 0, sizeof *out);
    if (in->family == AF_INET && memcmp(in->addr + 4, zero, sizeof zero) == 0) {
        out->family = AF_INET;
        memcpy(&out->u.v4, in->addr, sizeof out->u.v4);
        return 0;
    }
    if (in->family == AF_INET6) {
        out->family = AF_INET6;
        memcpy(&out->u.v6, in->addr, sizeof out->u.v6);
        return 0;
    }
    *why = in->family == AF_INET ? "IPv4 address with stray bytes" : "unknown address family";
    return -1;
}

int ipc_send(int fd, enum ipc_type type, const void *payload, size_t len)
{
    return ipc_send_fds(fd, type, payload, len, NULL, 0);
}

int ipc_send_fds(int fd, enum ipc_type type, const void *payload, size_t len, const int *fds, unsigned n)
{
    if (!payload_ok(type, len) || n > IPC_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    /* header and payload in one datagram, without copying the payload */
    struct ipc_header h = {.magic = IPC_MAGIC, .type = (uint16_t)type, .len = (uint32_t)len};
    struct iovec iov[2] = {{&h, sizeof h}, {(void *)payload, len}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    union {
        char buf[CMSG_SPACE(IPC_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    if (n > 0) {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        *c = (struct cmsghdr){
            .cmsg_len = CMSG_LEN(n * sizeof(int)), .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS};
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0)
        return -1;
    return (size_t)sent == sizeof h + len ? 0 : (errno = EMSGSIZE, -1);
}

void ipc_msg_close_fds(struct ipc_msg *msg)
{
    for (unsigned i = 0; i < msg->n_fds; i++)
        close(msg->fds[i]);
    msg->n_fds = 0;
}

/* The descriptors of a received message into out (all of them closed
 * when the kernel had to cut the list short). 0, or -1. */
static int ipc_take_fds(struct msghdr *m, struct ipc_msg *out)
{
    out->n_fds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (out->n_fds < IPC_MAX_FDS)
                out->fds[out->n_fds++] = fd;
            else
                close(fd);
        }
    }
    return (m->msg_flags & MSG_CTRUNC) ? -1 : 0;
}

/* Only KEYHOLDER brings descriptors, exactly as many as it says. */
static int ipc_fds_ok(const struct ipc_msg *msg)
{
    if (msg->type != IPC_KEYHOLDER)
        return msg->n_fds == 0;
    struct ipc_keyholder kh;
    memcpy(&kh, msg->payload, sizeof kh);
    return kh.channels == msg->n_fds && kh.channels > 0;
}

int ipc_recv(int fd, void *buf, struct ipc_msg *out, const char **why)
{
    union {
        char buf[CMSG_SPACE(IPC_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {buf, IPC_MAX_MSG};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl};
    ssize_t n = recvmsg(fd, &m, MSG_TRUNC | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return -1;
    int fds_whole = ipc_take_fds(&m, out);
    if (n == 0 && out->n_fds == 0)
        return 0;
    *why = NULL;
    if (fds_whole < 0)
        *why = "more descriptors than a message may carry";
    else if ((size_t)n > IPC_MAX_MSG)
        *why = "message too large";
    else if (ipc_decode(buf, (size_t)n, out, why) == 0 && !ipc_fds_ok(out))
        *why = "descriptors on a message that takes none, or not as many as it says";
    if (*why) {
        ipc_msg_close_fds(out);
        errno = EPROTO;
        return -1;
    }
    return 1;
}

int ipc_receive(int fd, ipc_handler_fn *fn, void *arg, const char **why)
{
    _Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];
    *why = NULL;
    for (unsigned i = 0; i < IPC_MSGS_PER_EVENT; i++) {
        struct ipc_msg msg;
        int rc = ipc_recv(fd, buf, &msg, why);
        if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        if (rc <= 0) {
            if (rc < 0 && !*why)
                *why = strerror(errno);
            return -1;
        }
        fn(arg, &msg);
        ipc_msg_close_fds(&msg);
    }
    return 0;
}
