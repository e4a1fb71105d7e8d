/*
 * rtnetlink requests and their replies: see rtnl.h.
 */
#include "gateway/ha/rtnl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int rtnl_open(struct rtnl *r, char *err, size_t errlen)
{
    r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        snprintf(err, errlen, "rtnetlink socket: %s", strerror(errno));
        rtnl_close(r);
        return -1;
    }
    r->seq = (unsigned)time(NULL);
    return 0;
}

void rtnl_close(struct rtnl *r)
{
    if (r->nl)
        mnl_socket_close(r->nl);
    r->nl = NULL;
}

int rtnl_exchange(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    _Alignas(struct nlmsghdr) char buf[RTNL_BUF];
    nlh->nlmsg_seq = ++r->seq;
    if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    unsigned portid = mnl_socket_get_portid(r->nl);
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(r->nl, buf, sizeof buf);
        if (n < 0)
            return -errno;
        int rc = mnl_cb_run(buf, (size_t)n, r->seq, portid, cb, data);
        if (rc <= MNL_CB_STOP)
            return rc < 0 ? -errno : 0;
    }
}
