/*
 * Virtual addresses over rtnetlink: see vip.h. The netlink exchange is
 * rtnl.c's, shared with the route announcements.
 */
#include "gateway/ha/vip.h"

#include "gateway/config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int vip_open(struct vip_set *vs, const char *ifname, int family, const struct ip_prefix *vips,
             unsigned n_vips, char *err, size_t errlen)
{
    memset(vs, 0, sizeof *vs);
    snprintf(vs->ifname, sizeof vs->ifname, "%s", ifname);
    vs->family = family;
    vs->vips = vips;
    vs->n_vips = n_vips;
    vs->ifindex = if_nametoindex(ifname);
    if (vs->ifindex == 0) {
        snprintf(err, errlen, "VIP interface '%s': %s", ifname, strerror(errno));
        return -1;
    }
    return rtnl_open(&vs->nl, err, errlen);
}

void vip_close(struct vip_set *vs)
{
    rtnl_close(&vs->nl);
}

/* One RTM_NEWADDR / RTM_DELADDR request; 0 or -errno. */
static int addr_request(struct vip_set *vs, uint16_t type, uint16_t flags, const struct ip_prefix *p)
{
    _Alignas(struct nlmsghdr) char buf[RTNL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = (uint8_t)p->addr.family;
    ifa->ifa_prefixlen = (uint8_t)p->len;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = vs->ifindex;
    size_t alen = p->addr.family == AF_INET ? sizeof p->addr.u.v4 : sizeof p->addr.u.v6;
    mnl_attr_put(nlh, IFA_LOCAL, alen, &p->addr.u);
    /* IFA_ADDRESS makes the kernel match the prefix length on an IPv4
     * delete; left out there, so a VIP left by a crash with another length
     * is found too */
    if (type == RTM_NEWADDR)
        mnl_attr_put(nlh, IFA_ADDRESS, alen, &p->addr.u);
    if (type == RTM_NEWADDR && p->addr.family == AF_INET6) {
        ifa->ifa_flags = IFA_F_NODAD;
        mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
    }
    return rtnl_exchange(&vs->nl, nlh, NULL, NULL);
}

static int for_each_vip(struct vip_set *vs, uint16_t type, uint16_t flags, int ignore, char *err,
                        size_t errlen)
{
    int result = 0;
    for (unsigned i = 0; i < vs->n_vips; i++) {
        int rc = addr_request(vs, type, flags, &vs->vips[i]);
        if (rc == 0 || rc == -ignore)
            continue;
        if (result == 0) {
            char a[PARSE_ADDR_STR_MAX];
            snprintf(err, errlen, "%s VIP %s/%u on %s: %s", type == RTM_NEWADDR ? "add" : "remove",
                     format_ip(&vs->vips[i].addr, a, sizeof a), vs->vips[i].len, vs->ifname, strerror(-rc));
        }
        result = -1;
    }
    return result;
}

int vip_add_all(struct vip_set *vs, char *err, size_t errlen)
{
    return for_each_vip(vs, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, EEXIST, err, errlen);
}

int vip_del_all(struct vip_set *vs, char *err, size_t errlen)
{
    return for_each_vip(vs, RTM_DELADDR, 0, EADDRNOTAVAIL, err, errlen);
}

/* ---- our own address: a dump of the interface's addresses ---- */

struct primary_search {
    const struct vip_set *vs;
    uint8_t *out;
    bool found;
};

static bool is_vip(const struct vip_set *vs, const void *a)
{
    for (unsigned i = 0; i < vs->n_vips; i++) {
        const struct ip_addr *v = &vs->vips[i].addr;
        if (v->family == vs->family && memcmp(&v->u, a, vs->family == AF_INET ? 4 : 16) == 0)
            return true;
    }
    return false;
}

/* The address an RTM_NEWADDR reply carries, and its flags (the 32-bit
 * IFA_FLAGS when present: ifa_flags has only the low 8 bits). */
static const void *addr_of(const struct nlmsghdr *nlh, uint32_t *flags)
{
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    const void *local = NULL, *address = NULL;
    const struct nlattr *attr;
    *flags = ifa->ifa_flags;
    mnl_attr_for_each(attr, nlh, sizeof *ifa)
    {
        if (mnl_attr_get_type(attr) == IFA_LOCAL)
            local = mnl_attr_get_payload(attr);
        else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
            address = mnl_attr_get_payload(attr);
        else if (mnl_attr_get_type(attr) == IFA_FLAGS && mnl_attr_get_payload_len(attr) >= 4)
            *flags = mnl_attr_get_u32(attr);
    }
    return local ? local : address; /* IPv6 has only IFA_ADDRESS */
}

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
    struct primary_search *s = data;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    if (nlh->nlmsg_type != RTM_NEWADDR || s->found || ifa->ifa_index != s->vs->ifindex ||
        ifa->ifa_family != s->vs->family)
        return MNL_CB_OK;
    uint32_t flags;
    const void *a = addr_of(nlh, &flags);
    if (!a || is_vip(s->vs, a))
        return MNL_CB_OK;
    if (s->vs->family == AF_INET6 &&
        (ifa->ifa_scope != RT_SCOPE_LINK || (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))))
        return MNL_CB_OK; /* RFC 5798 5.1.2.1: the link-local address, once usable */
    memcpy(s->out, a, s->vs->family == AF_INET ? 4 : 16);
    s->found = true;
    return MNL_CB_OK;
}

int vip_primary(struct vip_set *vs, uint8_t out[16])
{
    _Alignas(struct nlmsghdr) char buf[RTNL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = (uint8_t)vs->family;
    struct primary_search s = {.vs = vs, .out = out};
    if (rtnl_exchange(&vs->nl, nlh, on_addr, &s) < 0 || !s.found)
        return -1;
    return 0;
}

/* ---- which of the set's addresses the interface holds ---- */

struct present_count {
    const struct vip_set *vs;
    bool seen[CONFIG_MAX_SERVICE_ADDRS > CONFIG_MAX_VIPS ? CONFIG_MAX_SERVICE_ADDRS : CONFIG_MAX_VIPS];
};

static int on_addr_present(const struct nlmsghdr *nlh, void *data)
{
    struct present_count *c = data;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != c->vs->ifindex)
        return MNL_CB_OK;
    uint32_t flags;
    const void *a = addr_of(nlh, &flags);
    for (unsigned i = 0; a && i < c->vs->n_vips && i < sizeof c->seen; i++) {
        const struct ip_addr *v = &c->vs->vips[i].addr;
        if (v->family == ifa->ifa_family && memcmp(&v->u, a, v->family == AF_INET ? 4 : 16) == 0)
            c->seen[i] = true;
    }
    return MNL_CB_OK;
}

int vip_missing(struct vip_set *vs)
{
    _Alignas(struct nlmsghdr) char buf[RTNL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = AF_UNSPEC;
    struct present_count c = {.vs = vs};
    if (rtnl_exchange(&vs->nl, nlh, on_addr_present, &c) < 0)
        return -1;
    int missing = 0;
    for (unsigned i = 0; i < vs->n_vips && i < sizeof c.seen; i++)
        missing += !c.seen[i];
    return missing;
}

int vip_link_up(const char *ifname)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    close(fd);
    if (rc < 0)
        return -1;
    return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING) ? 1 : 0;
}
