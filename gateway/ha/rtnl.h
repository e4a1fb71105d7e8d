/*
 * rtnl: the one rtnetlink request helper of gateway/ha/, after libmnl's
 * rtnl-addr-add example: a socket, one request at a time, its replies
 * checked by sequence number until the acknowledgement or the end of a
 * dump. vip.c (addresses) and announce_route.c (routes, the route
 * device's link) send through it; link_watch.c only listens.
 *
 * The kernel answers these requests at once: nothing here waits on
 * anything but the kernel. One socket per owner; not shared by threads.
 */
#ifndef RAMPART_GATEWAY_HA_RTNL_H
#define RAMPART_GATEWAY_HA_RTNL_H

#include <libmnl/libmnl.h>
#include <stddef.h>

#define RTNL_BUF 8192 /* one request, or one batch of replies (MNL_SOCKET_BUFFER_SIZE is not constant) */

struct rtnl {
    struct mnl_socket *nl;
    unsigned seq;
};

/* 0, or -1 with a message in `err`. */
int rtnl_open(struct rtnl *r, char *err, size_t errlen);
/* Safe on a closed or never opened (zeroed) struct. */
void rtnl_close(struct rtnl *r);

/* Sends `nlh` (built in a RTNL_BUF buffer) and runs `cb` (may be NULL) on
 * every reply until the acknowledgement or the end of a dump: 0, or
 * -errno (the kernel's refusal, or the socket's). */
int rtnl_exchange(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif /* RAMPART_GATEWAY_HA_RTNL_H */
