/* A user + network namespace of the test's own, its links and addresses (see t_netns.h). */
#include "tests/unit/helpers/t_netns.h"

#include "gateway/ha/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

char t_netns_why[T_NETNS_WHY_MAX];

static int t_netns_home_fd = -1; /* our network namespace, once t_netns_peer made another */
static int t_netns_peer_fd = -1;

/* ---- entering ------------------------------------------------------------------- */

static int t_netns_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int t_netns_enter(void)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char map[64];
    t_netns_why[0] = '\0';
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
        int e = errno;
        snprintf(t_netns_why, sizeof t_netns_why, "unshare(CLONE_NEWUSER | CLONE_NEWNET): %s%s", strerror(e),
                 e == ENOSPC  ? " (sysctl user.max_user_namespaces reached or 0)"
                 : e == EPERM ? " (user namespaces forbidden: a sysctl, AppArmor or a seccomp filter)"
                              : "");
        return -1;
    }
    /* "deny" first: an unprivileged process may map its gid only then
     * (user_namespaces(7)); absent before Linux 3.19, which is fine */
    if (t_netns_write("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) {
        snprintf(t_netns_why, sizeof t_netns_why, "/proc/self/setgroups: %s", strerror(errno));
        return -1;
    }
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    if (t_netns_write("/proc/self/uid_map", map) < 0) {
        snprintf(t_netns_why, sizeof t_netns_why, "uid_map '%s': %s", map, strerror(errno));
        return -1;
    }
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    if (t_netns_write("/proc/self/gid_map", map) < 0) {
        snprintf(t_netns_why, sizeof t_netns_why, "gid_map '%s': %s", map, strerror(errno));
        return -1;
    }
    if (t_netns_link_set_up("lo", true) < 0) {
        snprintf(t_netns_why, sizeof t_netns_why, "lo up in the new namespace: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void t_netns_forget_peer(void)
{
    if (t_netns_home_fd >= 0)
        close(t_netns_home_fd);
    if (t_netns_peer_fd >= 0)
        close(t_netns_peer_fd);
    t_netns_home_fd = t_netns_peer_fd = -1;
}

int t_netns_fresh(void)
{
    t_netns_forget_peer();
    if (unshare(CLONE_NEWNET) < 0)
        return -1;
    int rc = t_netns_link_set_up("lo", true);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

/* ---- one request ---------------------------------------------------------------- */

/* Sends nlh and waits for its acknowledgement (cb on each reply): 0 or -errno. */
static int t_netns_ask(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    struct rtnl r = {0};
    char err[128];
    if (rtnl_open(&r, err, sizeof err) < 0)
        return -errno;
    int rc = rtnl_exchange(&r, nlh, cb, data);
    rtnl_close(&r);
    return rc;
}

static struct nlmsghdr *t_netns_link_msg(char *buf, uint16_t type, uint16_t flags, unsigned ifindex)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = (int)ifindex;
    return nlh;
}

/* RTM_NEWLINK of `kind`; `peer`: a veth's other end, or NULL. */
static int t_netns_link_new(const char *name, const char *kind, const char *peer)
{
    char buf[RTNL_BUF];
    struct nlmsghdr *nlh = t_netns_link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
    if (peer) {
        struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
        mnl_attr_nest_end(nlh, p);
        mnl_attr_nest_end(nlh, data);
    }
    mnl_attr_nest_end(nlh, info);
    return t_netns_ask(nlh, NULL, NULL);
}

int t_netns_link_set_up(const char *name, bool up)
{
    unsigned ifindex = if_nametoindex(name);
    if (ifindex == 0)
        return -errno;
    char buf[RTNL_BUF];
    struct nlmsghdr *nlh = t_netns_link_msg(buf, RTM_NEWLINK, 0, ifindex);
    struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    return t_netns_ask(nlh, NULL, NULL);
}

int t_netns_link_del(const char *name)
{
    unsigned ifindex = if_nametoindex(name);
    if (ifindex == 0)
        return -errno;
    char buf[RTNL_BUF];
    return t_netns_ask(t_netns_link_msg(buf, RTM_DELLINK, 0, ifindex), NULL, NULL);
}

int t_netns_veth(const char *a, const char *b)
{
    int rc = t_netns_link_new(a, "veth", b);
    if (rc == 0)
        rc = t_netns_link_set_up(a, true);
    if (rc == 0)
        rc = t_netns_link_set_up(b, true);
    return rc;
}

int t_netns_stub_link(const char *name)
{
    int rc = t_netns_link_new(name, "dummy", NULL);
    if (rc == -EOPNOTSUPP) { /* "Unknown device type": no dummy driver in this kernel */
        char peer[IF_NAMESIZE];
        snprintf(peer, sizeof peer, "%.*sp", IF_NAMESIZE - 2, name);
        return t_netns_veth(name, peer);
    }
    return rc == 0 ? t_netns_link_set_up(name, true) : rc;
}

/* ---- the peer's namespace ----------------------------------------------------- */

static int t_netns_open_current(void)
{
    return open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
}

int t_netns_at_peer(bool peer)
{
    int fd = peer ? t_netns_peer_fd : t_netns_home_fd;
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    return setns(fd, CLONE_NEWNET);
}

/* RTM_NEWLINK moving `name` into the namespace of fd. */
static int t_netns_link_move(const char *name, int ns_fd)
{
    unsigned ifindex = if_nametoindex(name);
    if (ifindex == 0)
        return -errno;
    char buf[RTNL_BUF];
    struct nlmsghdr *nlh = t_netns_link_msg(buf, RTM_NEWLINK, 0, ifindex);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)ns_fd);
    return t_netns_ask(nlh, NULL, NULL);
}

int t_netns_peer(const char *link, const char *cidr)
{
    t_netns_forget_peer();
    if ((t_netns_home_fd = t_netns_open_current()) < 0 || unshare(CLONE_NEWNET) < 0 ||
        (t_netns_peer_fd = t_netns_open_current()) < 0)
        return -errno;
    int rc = t_netns_link_set_up("lo", true);
    if (t_netns_at_peer(false) < 0)
        return -errno;
    if (rc == 0)
        rc = t_netns_link_move(link, t_netns_peer_fd);
    if (rc < 0)
        return rc;
    if (t_netns_at_peer(true) < 0)
        return -errno;
    rc = t_netns_link_set_up(link, true); /* a move takes a link down and its addresses away */
    if (rc == 0)
        rc = t_netns_addr_add(link, cidr);
    if (t_netns_at_peer(false) < 0)
        return -errno;
    return rc;
}

/* ---- addresses ------------------------------------------------------------------ */

struct t_netns_ip {
    int family;
    uint8_t bytes[16];
    unsigned len;
};

static int t_netns_parse(const char *text, struct t_netns_ip *ip)
{
    char addr[INET6_ADDRSTRLEN];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n >= sizeof addr)
        return -EINVAL;
    memcpy(addr, text, n);
    addr[n] = '\0';
    ip->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    ip->len = slash ? (unsigned)atoi(slash + 1) : (ip->family == AF_INET ? 32 : 128);
    return inet_pton(ip->family, addr, ip->bytes) == 1 ? 0 : -EINVAL;
}

static int t_netns_addr_change(const char *name, const char *cidr, uint16_t type)
{
    struct t_netns_ip ip;
    unsigned ifindex = if_nametoindex(name);
    if (ifindex == 0)
        return -errno;
    if (t_netns_parse(cidr, &ip) < 0)
        return -EINVAL;
    char buf[RTNL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = (uint8_t)ip.family;
    ifa->ifa_prefixlen = (uint8_t)ip.len;
    ifa->ifa_index = ifindex;
    size_t alen = ip.family == AF_INET ? 4 : 16;
    mnl_attr_put(nlh, IFA_LOCAL, alen, ip.bytes);
    mnl_attr_put(nlh, IFA_ADDRESS, alen, ip.bytes);
    if (ip.family == AF_INET6 && type == RTM_NEWADDR)
        mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
    return t_netns_ask(nlh, NULL, NULL);
}

int t_netns_addr_add(const char *name, const char *cidr)
{
    return t_netns_addr_change(name, cidr, RTM_NEWADDR);
}

int t_netns_addr_del(const char *name, const char *cidr)
{
    return t_netns_addr_change(name, cidr, RTM_DELADDR);
}

struct t_netns_dump {
    unsigned ifindex;
    int family;
    const struct t_netns_ip *want; /* NULL: count them */
    int prefix;                    /* of `want`, -1 until found */
    uint32_t flags;
    int count;
};

static int t_netns_on_addr(const struct nlmsghdr *nlh, void *arg)
{
    struct t_netns_dump *d = arg;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != d->ifindex || ifa->ifa_family != d->family)
        return MNL_CB_OK;
    d->count++;
    const struct nlattr *attr;
    const void *local = NULL, *address = NULL;
    uint32_t flags = ifa->ifa_flags;
    mnl_attr_for_each(attr, nlh, sizeof *ifa)
    {
        if (mnl_attr_get_type(attr) == IFA_LOCAL)
            local = mnl_attr_get_payload(attr);
        else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
            address = mnl_attr_get_payload(attr);
        else if (mnl_attr_get_type(attr) == IFA_FLAGS)
            flags = mnl_attr_get_u32(attr);
    }
    const void *a = local ? local : address;
    if (d->want && a && memcmp(a, d->want->bytes, d->family == AF_INET ? 4 : 16) == 0) {
        d->prefix = ifa->ifa_prefixlen;
        d->flags = flags;
    }
    return MNL_CB_OK;
}

static int t_netns_dump_addrs(struct t_netns_dump *d)
{
    char buf[RTNL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = (uint8_t)d->family;
    return t_netns_ask(nlh, t_netns_on_addr, d);
}

int t_netns_addr_prefix(const char *name, const char *addr, uint32_t *flags)
{
    struct t_netns_ip ip;
    if (t_netns_parse(addr, &ip) < 0)
        return -1;
    struct t_netns_dump d = {.ifindex = if_nametoindex(name), .family = ip.family, .want = &ip, .prefix = -1};
    if (d.ifindex == 0 || t_netns_dump_addrs(&d) < 0)
        return -1;
    if (flags)
        *flags = d.flags;
    return d.prefix;
}

int t_netns_addr_count(const char *name, int family)
{
    struct t_netns_dump d = {.ifindex = if_nametoindex(name), .family = family, .prefix = -1};
    if (d.ifindex == 0 || t_netns_dump_addrs(&d) < 0)
        return -1;
    return d.count;
}
