/*
 * The route device, the service addresses and the announced routes: see
 * announce_route.h.
 */
#include "gateway/ha/announce_route.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void announce_route_device(unsigned table, char *out, size_t len)
{
    snprintf(out, len, ANNOUNCE_DEVICE_FMT, table);
}

/* A TUN device (no packet information header) named r->device, held by
 * r->tun_fd: non-persistent, so it goes with the last descriptor. */
static int tun_create(struct announce_route *r, char *err, size_t errlen)
{
    r->tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (r->tun_fd < 0) {
        snprintf(err, errlen, "[bgp] route device %s: /dev/net/tun: %s", r->device, strerror(errno));
        return -1;
    }
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", r->device);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (ioctl(r->tun_fd, TUNSETIFF, &ifr) < 0) {
        if (errno == EBUSY)
            snprintf(err, errlen,
                     "[bgp] table %u: route device %s is held by another process (a second rampart "
                     "announcing through the same table?)",
                     r->table, r->device);
        else
            snprintf(err, errlen, "[bgp] route device %s: %s", r->device, strerror(errno));
        return -1;
    }
    r->ifindex = if_nametoindex(r->device);
    if (r->ifindex == 0) {
        snprintf(err, errlen, "[bgp] route device %s: %s", r->device, strerror(errno));
        return -1;
    }
    return 0;
}

/* RTM_NEWLINK: the route device up (a route needs an up device). */
static int device_up(struct announce_route *r)
{
    _Alignas(struct nlmsghdr) char buf[RTNL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = (int)r->ifindex;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return rtnl_exchange(&r->nl, nlh, NULL, NULL);
}

/* One RTM_NEWROUTE / RTM_DELROUTE for address p; 0 or -errno. Only our
 * routes (ANNOUNCE_ROUTE_PROTO) are removed: an operator's route to the
 * same address in that table is not ours to touch. */
static int route_request(struct announce_route *r, uint16_t type, const struct ip_prefix *p)
{
    _Alignas(struct nlmsghdr) char buf[RTNL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    rtm->rtm_family = (uint8_t)p->addr.family;
    rtm->rtm_dst_len = (uint8_t)p->len;
    rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
    rtm->rtm_protocol = ANNOUNCE_ROUTE_PROTO;
    rtm->rtm_scope = p->addr.family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
    size_t alen = p->addr.family == AF_INET ? sizeof p->addr.u.v4 : sizeof p->addr.u.v6;
    mnl_attr_put(nlh, RTA_DST, alen, &p->addr.u);
    mnl_attr_put_u32(nlh, RTA_OIF, r->ifindex);
    return rtnl_exchange(&r->nl, nlh, NULL, NULL);
}

int announce_route_open(struct announce_route *r, const struct config_bgp *cfg, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->tun_fd = -1;
    r->table = cfg->table;
    r->addrs = cfg->addrs;
    r->n_addrs = cfg->n_addrs;
    announce_route_device(cfg->table, r->device, sizeof r->device);
    int family = cfg->n_addrs ? cfg->addrs[0].addr.family : AF_INET;
    if (rtnl_open(&r->nl, err, errlen) < 0 || tun_create(r, err, errlen) < 0)
        goto fail;
    int rc = device_up(r);
    if (rc < 0) {
        snprintf(err, errlen, "[bgp] route device %s: up: %s", r->device, strerror(-rc));
        goto fail;
    }
    if (vip_open(&r->vips, cfg->interface, family, cfg->addrs, cfg->n_addrs, err, errlen) < 0 ||
        vip_add_all(&r->vips, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    announce_route_close(r);
    return -1;
}

int announce_route_set(struct announce_route *r, bool present, bool *changed, char *err, size_t errlen)
{
    int result = 0;
    *changed = false;
    for (unsigned i = 0; i < r->n_addrs; i++) {
        int rc = route_request(r, present ? RTM_NEWROUTE : RTM_DELROUTE, &r->addrs[i]);
        if (rc == 0)
            *changed = true;
        if (rc == 0 || rc == (present ? -EEXIST : -ESRCH))
            continue;
        if (result == 0) {
            char a[PARSE_ADDR_STR_MAX];
            snprintf(err, errlen, "%s route %s/%u table %u dev %s: %s", present ? "add" : "remove",
                     format_ip(&r->addrs[i].addr, a, sizeof a), r->addrs[i].len, r->table, r->device,
                     strerror(-rc));
        }
        result = -1;
    }
    return result;
}

int announce_route_repair(struct announce_route *r, bool *repaired, char *err, size_t errlen)
{
    *repaired = false;
    int rc = vip_link_up(r->device) == 1 ? 0 : device_up(r);
    if (rc < 0) {
        snprintf(err, errlen, "route device %s: up: %s", r->device, strerror(-rc));
        return -1;
    }
    int missing = vip_missing(&r->vips);
    if (missing == 0)
        return 0;
    *repaired = missing > 0;
    return vip_add_all(&r->vips, err, errlen);
}

void announce_route_close(struct announce_route *r)
{
    char err[256];
    bool changed;
    if (r->nl.nl && r->ifindex)
        (void)announce_route_set(r, false, &changed, err, sizeof err);
    if (r->vips.nl.nl) {
        (void)vip_del_all(&r->vips, err, sizeof err);
        vip_close(&r->vips);
    }
    if (r->tun_fd >= 0)
        close(r->tun_fd);
    r->tun_fd = -1;
    r->ifindex = 0;
    rtnl_close(&r->nl);
}
