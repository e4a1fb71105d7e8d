/*
 * admin_health: decides whether the node can serve, for /healthz and the
 * /status page (see admin_health.h). Pure: a snapshot in, a status and a
 * reason out.
 */
#include "gateway/admin/admin_health.h"
#include "gateway/admin/admin.h"

#include <stdbool.h>
#include <stdio.h>

/* "web-01 down, web-02 down", as many as fit. */
static void list_down(const struct metrics_snapshot *s, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < s->n_backends; i++) {
        if (s->backends[i].up)
            continue;
        int n = snprintf(out + used, len - used, "%s%s down", used ? ", " : "", s->backends[i].name);
        if (n < 0 || (size_t)n >= len - used) {
            out[used] = '\0';
            return;
        }
        used += (size_t)n;
    }
}

void admin_vrrp_roles(const struct metrics_snapshot *s, char *out, size_t len)
{
    unsigned n = s->n_vrrp < ADMIN_VRRP_MAX_INSTANCES ? s->n_vrrp : ADMIN_VRRP_MAX_INSTANCES;
    out[0] = '\0';
    if (n == 1 && !s->vrrp[0].name[0]) {
        snprintf(out, len, "%s", admin_vrrp_role_name(s->vrrp[0].role));
        return;
    }
    size_t used = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct admin_vrrp_status *v = &s->vrrp[i];
        int w = snprintf(out + used, len - used, "%s%s=%s", used ? " " : "", v->name[0] ? v->name : "-",
                         admin_vrrp_role_name(v->role));
        if (w < 0 || (size_t)w >= len - used) {
            out[used] = '\0';
            return;
        }
        used += (size_t)w;
    }
}

static bool any_fault(const struct metrics_snapshot *s)
{
    for (unsigned i = 0; i < s->n_vrrp && i < ADMIN_VRRP_MAX_INSTANCES; i++)
        if (s->vrrp[i].role == ADMIN_VRRP_FAULT)
            return true;
    return false;
}

unsigned admin_health(const struct metrics_snapshot *s, char reason[ADMIN_REASON_MAX])
{
    unsigned up = metrics_backends_up(s);
    if (s->draining) {
        snprintf(reason, ADMIN_REASON_MAX, "draining: the node is shutting down");
        return 503;
    }
    if (any_fault(s)) {
        snprintf(reason, ADMIN_REASON_MAX, "vrrp: fault (a tracked interface is down)");
        return 503;
    }
    if (s->firewall.managed && !s->firewall.applied) {
        snprintf(reason, ADMIN_REASON_MAX, "firewall: the policy is not applied");
        return 503;
    }
    if (s->n_backends == 0) {
        snprintf(reason, ADMIN_REASON_MAX, "no backend configured");
        return 503;
    }
    if (up == 0) {
        char down[ADMIN_REASON_MAX - 32];
        list_down(s, down, sizeof down);
        snprintf(reason, ADMIN_REASON_MAX, "no backend is up (%s)", down);
        return 503;
    }
    char roles[ADMIN_REASON_MAX - 48];
    admin_vrrp_roles(s, roles, sizeof roles);
    snprintf(reason, ADMIN_REASON_MAX, "ok: %u/%u backends up, vrrp %s", up, s->n_backends, roles);
    return 200;
}
