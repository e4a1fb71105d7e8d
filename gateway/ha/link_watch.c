/*
 * Link and address changes from rtnetlink: see link_watch.h.
 */
#include "gateway/ha/link_watch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct parse_ctx {
    link_watch_fn *fn;
    void *arg;
    int events;
};

static int on_message(const struct nlmsghdr *nlh, void *data)
{
    struct parse_ctx *c = data;
    if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK) {
        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
            return MNL_CB_ERROR;
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        c->fn(c->arg, LINK_WATCH_LINK, (unsigned)ifi->ifi_index);
        c->events++;
    } else if (nlh->nlmsg_type == RTM_NEWADDR || nlh->nlmsg_type == RTM_DELADDR) {
        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifaddrmsg))
            return MNL_CB_ERROR;
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        c->fn(c->arg, LINK_WATCH_ADDR, ifa->ifa_index);
        c->events++;
    }
    return MNL_CB_OK;
}

int link_watch_parse(const void *buf, size_t len, link_watch_fn *fn, void *arg)
{
    struct parse_ctx c = {.fn = fn, .arg = arg};
    /* notifications carry sequence 0 and port 0: no filter on either */
    int rc = mnl_cb_run(buf, len, 0, 0, on_message, &c);
    return rc < MNL_CB_STOP ? -1 : c.events;
}

static void on_readable(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop, (void)events;
    struct link_watch *w = io->arg;
    _Alignas(struct nlmsghdr) static char buf[LINK_WATCH_BUF]; /* the parent's loop is one thread */
    for (int i = 0; i < LINK_WATCH_READS; i++) {
        ssize_t n = recv(mnl_socket_get_fd(w->nl), buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == ENOBUFS) {
            w->fn(w->arg, LINK_WATCH_RESYNC, 0);
            continue;
        }
        if (n <= 0)
            return;
        if (link_watch_parse(buf, (size_t)n, w->fn, w->arg) < 0)
            w->fn(w->arg, LINK_WATCH_RESYNC, 0); /* cannot trust what we missed */
    }
}

int link_watch_open(struct link_watch *w, struct loop *loop, link_watch_fn *fn, void *arg, char *err,
                    size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->loop = loop;
    w->fn = fn;
    w->arg = arg;
    w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
    unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    if (!w->nl || mnl_socket_bind(w->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
        snprintf(err, errlen, "rtnetlink link monitor: %s", strerror(errno));
        link_watch_close(w);
        return -1;
    }
    w->io = (struct loop_io){.fd = mnl_socket_get_fd(w->nl), .fn = on_readable, .arg = w};
    if (loop_watch(loop, &w->io, LOOP_READ) < 0) {
        snprintf(err, errlen, "rtnetlink link monitor: cannot watch: %s", strerror(errno));
        link_watch_close(w);
        return -1;
    }
    return 0;
}

void link_watch_close(struct link_watch *w)
{
    if (w->nl) {
        loop_unwatch(w->loop, &w->io);
        mnl_socket_close(w->nl);
    }
    w->nl = NULL;
}
