/*
 * link_watch: what the kernel says about links and addresses, as it
 * happens: one rtnetlink socket subscribed to RTNLGRP_LINK,
 * RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR, on the parent's loop. A link
 * going down is known within a loop iteration (keepalived learns it the
 * same way), where polling found it up to an interval later.
 *
 *   link_watch_open / _close     the socket, watched on a loop
 *   link_watch_parse             pure: a batch of netlink messages -> events
 *
 * The events only say what changed (a link, an address, on which
 * interface); the owner re-reads the state it cares about, so a lost or
 * merged message cannot leave it wrong. When the kernel drops messages
 * (ENOBUFS: the socket fell behind), a LINK_WATCH_RESYNC event says "read
 * everything again". Nothing here blocks.
 */
#ifndef RAMPART_GATEWAY_HA_LINK_WATCH_H
#define RAMPART_GATEWAY_HA_LINK_WATCH_H

#include "gateway/event/loop.h"

#include <stddef.h>

enum link_watch_event {
    LINK_WATCH_LINK,   /* RTM_NEWLINK / RTM_DELLINK: up, down, carrier, gone, new */
    LINK_WATCH_ADDR,   /* RTM_NEWADDR / RTM_DELADDR: an address came, went, or finished DAD */
    LINK_WATCH_RESYNC, /* messages were lost: every state may have changed (ifindex 0) */
};

typedef void link_watch_fn(void *arg, enum link_watch_event ev, unsigned ifindex);

#define LINK_WATCH_BUF   16384 /* one read: a burst of link and address messages */
#define LINK_WATCH_READS 16    /* reads per wake-up: a storm cannot hold the loop */

struct mnl_socket;

struct link_watch {
    struct loop *loop;
    struct mnl_socket *nl;
    struct loop_io io;
    link_watch_fn *fn;
    void *arg;
};

/* 0, or -1 with a message in `err`. */
int link_watch_open(struct link_watch *w, struct loop *loop, link_watch_fn *fn, void *arg, char *err,
                    size_t errlen);
void link_watch_close(struct link_watch *w);

/* Calls fn for each link or address message in buf; others are skipped.
 * Returns the number of events, or -1 when the batch is malformed (the
 * events before the bad message were delivered). */
int link_watch_parse(const void *buf, size_t len, link_watch_fn *fn, void *arg);

#endif /* RAMPART_GATEWAY_HA_LINK_WATCH_H */
