/*
 * admin_health: the verdict of /healthz, can this node serve? 200 with
 * "ok: N/M backends up, vrrp ROLE" (with instances: "vrrp NAME=ROLE ..."),
 * else 503 with the first reason that holds: draining, VRRP fault (any
 * instance), firewall policy not applied, no backend
 * configured, no backend up. A pure function of a snapshot; the /healthz
 * route answers it and the /status page shows it.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_HEALTH_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_HEALTH_H

#include "gateway/admin/metrics.h"

#define ADMIN_REASON_MAX 256 /* /healthz reason line */

/* 200 and "ok: ..." when the node can serve, else 503 and why. */
unsigned admin_health(const struct metrics_snapshot *s, char reason[ADMIN_REASON_MAX]);

/* The VRRP roles in a few words: "master" for [vrrp] alone, else
 * "vip-a=master vip-b=backup" ([vrrp] shows as "-"), as many as fit. */
void admin_vrrp_roles(const struct metrics_snapshot *s, char *out, size_t len);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_HEALTH_H */
