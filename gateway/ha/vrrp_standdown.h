/*
 * vrrp_standdown: takes a VRRP instance down from outside its state
 * machine, with sockets of its own: one priority-0 advert to each
 * destination (when the instance was Master and has a source address),
 * then every virtual address removed. What gateway/proc/guard_main.c does
 * for a parent that died without leaving. IPv4 (the family [vrrp] speaks).
 */
#ifndef RAMPART_GATEWAY_HA_VRRP_STANDDOWN_H
#define RAMPART_GATEWAY_HA_VRRP_STANDDOWN_H

#include "common/parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vrrp_standdown {
    const char *interface;
    uint8_t vrid;
    uint16_t advert_cs;
    bool master;
    const uint32_t *source; /* network order; NULL: none known, nothing sent */
    const uint32_t *dst;    /* network order */
    unsigned n_dst;
    const struct ip_prefix *vips;
    unsigned n_vips;
};

/* 0, or -1 with the first problem in err (the rest is still tried). */
int vrrp_stand_down(const struct vrrp_standdown *d, char *err, size_t errlen);

#endif /* RAMPART_GATEWAY_HA_VRRP_STANDDOWN_H */
