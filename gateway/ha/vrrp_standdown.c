/*
 * vrrp_standdown: priority 0 and the VIPs removed, from a description
 * alone. See vrrp_standdown.h.
 */
#include "gateway/ha/vrrp_standdown.h"

#include "gateway/ha/vip.h"
#include "gateway/ha/vrrp.h"
#include "gateway/ha/vrrp_net.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STANDDOWN_VIPS_MAX 255 /* what one advert can carry */

static int send_stop(const struct vrrp_standdown *d, char *err, size_t errlen)
{
    uint32_t addrs[STANDDOWN_VIPS_MAX];
    unsigned n = 0;
    for (unsigned i = 0; i < d->n_vips && n < STANDDOWN_VIPS_MAX; i++)
        if (d->vips[i].addr.family == AF_INET)
            addrs[n++] = d->vips[i].addr.u.v4.s_addr;
    int fd = vrrp_net_open(d->interface, err, errlen);
    if (fd < 0)
        return -1;
    unsigned ifindex = if_nametoindex(d->interface);
    struct vrrp_advert adv = {.vrid = d->vrid,
                              .priority = VRRP_PRIO_STOP,
                              .interval_cs = d->advert_cs,
                              .src = *d->source,
                              .n_addrs = n};
    uint8_t msg[VRRP_PKT_MAX];
    struct vrrp_net_stats st = {0};
    for (unsigned i = 0; i < d->n_dst; i++) {
        adv.dst = d->dst[i];
        size_t len = vrrp_net_build(msg, sizeof msg, &adv, addrs);
        vrrp_net_send(fd, ifindex, adv.src, adv.dst, msg, len, &st);
    }
    close(fd);
    if (st.tx_errors) {
        snprintf(err, errlen, "VRID %u: priority 0: %llu of %u sends failed", d->vrid,
                 (unsigned long long)st.tx_errors, d->n_dst);
        return -1;
    }
    return 0;
}

int vrrp_stand_down(const struct vrrp_standdown *d, char *err, size_t errlen)
{
    int rc = 0;
    if (d->master && d->source && d->n_dst)
        rc = send_stop(d, err, errlen);
    struct vip_set vs;
    char e2[256];
    if (vip_open(&vs, d->interface, d->vips, d->n_vips, e2, sizeof e2) < 0 ||
        vip_del_all(&vs, e2, sizeof e2) < 0) {
        if (rc == 0)
            snprintf(err, errlen, "%s", e2);
        rc = -1;
    }
    vip_close(&vs);
    return rc;
}
