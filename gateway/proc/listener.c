/*
 * listener: opening the SO_REUSEPORT listening sockets. See listener.h.
 */
#include "gateway/proc/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

unsigned listener_slots(const struct config *cfg)
{
    return cfg->gateway.n_https + cfg->gateway.n_http;
}

unsigned listener_count(const struct config *cfg)
{
    return listener_slots(cfg) * cfg->gateway.workers;
}

const struct listen_addr *listener_slot_addr(const struct config *cfg, unsigned slot,
                                             enum listener_kind *kind)
{
    if (slot < cfg->gateway.n_https) {
        *kind = LISTENER_HTTPS;
        return &cfg->gateway.https[slot];
    }
    *kind = LISTENER_HTTP;
    return &cfg->gateway.http[slot - cfg->gateway.n_https];
}

static int set_int_opt(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof value);
}

/* Options that must be right for the listener to do its job. The probe
 * (reuseport false) sets the same ones but SO_REUSEPORT. */
static const char *listener_setup(int fd, int family, bool reuseport)
{
    if (set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0)
        return "SO_REUSEADDR";
    if (reuseport && set_int_opt(fd, SOL_SOCKET, SO_REUSEPORT, 1) < 0)
        return "SO_REUSEPORT";
    /* The VIP lives on only one node at a time: bind to it anyway. */
    if (set_int_opt(fd, SOL_IP, IP_FREEBIND, 1) < 0)
        return "IP_FREEBIND";
    if (family == AF_INET6 && set_int_opt(fd, SOL_IPV6, IPV6_V6ONLY, 0) < 0)
        return "IPV6_V6ONLY";
    return NULL;
}

int listener_open(const struct listen_addr *addr, char *err, size_t err_len)
{
    char name[PARSE_ADDR_STR_MAX];
    format_sockaddr((const struct sockaddr *)&addr->addr, name, sizeof name);
    int family = addr->addr.ss_family;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_len, "%s: socket: %s", name, strerror(errno));
        return -1;
    }
    const char *step = listener_setup(fd, family, true);
    if (!step && bind(fd, (const struct sockaddr *)&addr->addr, addr->len) < 0)
        step = "bind";
    if (!step && listen(fd, LISTENER_BACKLOG) < 0)
        step = "listen";
    if (step) {
        snprintf(err, err_len, "%s: %s: %s", name, step, strerror(errno));
        close(fd);
        return -1;
    }
    /* Wake the worker only when the client has sent something (its
     * ClientHello or request line): idle connects cost no work. Optional. */
    set_int_opt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 1);
    return fd;
}

int listener_probe(const struct listen_addr *addr, char *err, size_t err_len)
{
    char name[PARSE_ADDR_STR_MAX];
    format_sockaddr((const struct sockaddr *)&addr->addr, name, sizeof name);
    int fd = socket(addr->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_len, "%s: socket: %s", name, strerror(errno));
        return -1;
    }
    const char *step = listener_setup(fd, addr->addr.ss_family, false);
    if (!step && bind(fd, (const struct sockaddr *)&addr->addr, addr->len) < 0)
        step = "bind";
    int e = errno;
    close(fd);
    if (!step)
        return 0;
    if (e == EADDRINUSE)
        snprintf(err, err_len,
                 "%s: address already in use (another process listens there; "
                 "a second rampart for the same listeners is refused)",
                 name);
    else
        snprintf(err, err_len, "%s: %s: %s", name, step, strerror(e));
    return -1;
}

static bool addr_is_any(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
    return ss->ss_family == AF_INET6 &&
           IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static unsigned addr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static bool same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
    return a->len == b->len && memcmp(&a->addr, &b->addr, a->len) == 0;
}

bool listener_overlaps(const struct listen_addr *a, const struct listen_addr *b)
{
    if (addr_port(&a->addr) != addr_port(&b->addr))
        return false;
    return addr_is_any(&a->addr) || addr_is_any(&b->addr) || same_addr(a, b);
}

bool listener_set_changes(const struct config *from, const struct config *to)
{
    if (listener_slots(from) != listener_slots(to) || from->gateway.workers != to->gateway.workers ||
        from->gateway.n_https != to->gateway.n_https)
        return true;
    for (unsigned slot = 0; slot < listener_slots(to); slot++) {
        enum listener_kind ka, kb;
        const struct listen_addr *a = listener_slot_addr(from, slot, &ka),
                                 *b = listener_slot_addr(to, slot, &kb);
        if (ka != kb || !same_addr(a, b))
            return true;
    }
    return false;
}

int listener_probe_new(const struct config *cfg, const struct config *reuse, char *err, size_t err_len)
{
    for (unsigned slot = 0; slot < listener_slots(cfg); slot++) {
        enum listener_kind kind;
        const struct listen_addr *addr = listener_slot_addr(cfg, slot, &kind);
        bool ours = false;
        for (unsigned r = 0; reuse && r < listener_slots(reuse) && !ours; r++)
            ours = listener_overlaps(addr, listener_slot_addr(reuse, r, &kind));
        if (!ours && listener_probe(addr, err, err_len) < 0)
            return -1;
    }
    return 0;
}

/* A duplicate of the socket of `reuse` with the same kind, address and
 * worker (the same kernel socket, so its queue and port carry over), or -1. */
static int dup_reused(const struct config *reuse, const int *reuse_fds, enum listener_kind kind,
                      const struct listen_addr *addr, unsigned worker)
{
    if (!reuse || worker >= reuse->gateway.workers)
        return -1;
    for (unsigned slot = 0; slot < listener_slots(reuse); slot++) {
        enum listener_kind k;
        const struct listen_addr *a = listener_slot_addr(reuse, slot, &k);
        unsigned i = slot * reuse->gateway.workers + worker;
        if (k == kind && same_addr(a, addr) && reuse_fds[i] >= 0)
            return fcntl(reuse_fds[i], F_DUPFD_CLOEXEC, 0);
    }
    return -1;
}

int listener_open_all(const struct config *cfg, int *fds, const struct config *reuse, const int *reuse_fds,
                      char *err, size_t err_len)
{
    unsigned workers = cfg->gateway.workers, n = listener_count(cfg);
    for (unsigned i = 0; i < n; i++)
        fds[i] = -1;
    if (listener_probe_new(cfg, reuse, err, err_len) < 0)
        return -1;
    for (unsigned slot = 0; slot < listener_slots(cfg); slot++) {
        enum listener_kind kind;
        const struct listen_addr *addr = listener_slot_addr(cfg, slot, &kind);
        for (unsigned w = 0; w < workers; w++) {
            int fd = dup_reused(reuse, reuse_fds, kind, addr, w);
            if (fd < 0)
                fd = listener_open(addr, err, err_len);
            if (fd < 0) {
                listener_close_all(fds, n);
                return -1;
            }
            fds[slot * workers + w] = fd;
        }
    }
    return 0;
}

void listener_close_all(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

unsigned listener_worker_slots(const struct config *cfg, const int *fds, struct worker_listen_slot *out)
{
    unsigned n = listener_slots(cfg);
    for (unsigned slot = 0; slot < n; slot++) {
        listener_slot_addr(cfg, slot, &out[slot].kind);
        out[slot].fds = fds + slot * cfg->gateway.workers;
    }
    return n;
}
