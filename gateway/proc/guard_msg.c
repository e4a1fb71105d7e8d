/*
 * guard_msg: the check of what the parent sends the guard. See guard.h.
 */
#include "gateway/proc/guard.h"

#include <limits.h>
#include <netinet/in.h>
#include <string.h>

_Static_assert(sizeof(struct guard_msg) <= PIPE_BUF, "one message, one atomic write");

static bool name_ok(const char *s, size_t size)
{
    const char *end = memchr(s, '\0', size);
    if (!end || end == s)
        return false;
    for (const char *p = s; p < end; p++)
        if (*p == '/' || *p <= ' ' || *p > '~')
            return false;
    return true;
}

static bool addr_ok(const struct ip_addr *a, int family)
{
    return a->family == family;
}

static const char *instance_check(const struct guard_instance *g)
{
    if (!name_ok(g->interface, sizeof g->interface))
        return "interface name";
    if (g->family != AF_INET && g->family != AF_INET6)
        return "family";
    if (g->vrid == 0 || g->master > 1 || g->have_source > 1 || g->advert_cs == 0 || g->advert_cs > 4095)
        return "vrid, flags or advert interval";
    if (g->n_dst > CONFIG_MAX_PEERS || g->n_vips > CONFIG_MAX_VIPS || (g->have_source && g->n_dst == 0))
        return "count";
    if (g->have_source && !addr_ok(&g->source, g->family))
        return "source address";
    for (unsigned i = 0; i < g->n_dst; i++)
        if (!addr_ok(&g->dst[i], g->family))
            return "destination address";
    for (unsigned i = 0; i < g->n_vips; i++)
        if (!addr_ok(&g->vips[i].addr, g->family) || g->vips[i].len > (g->family == AF_INET ? 32u : 128u))
            return "virtual address";
    return NULL;
}

int guard_msg_check(const struct guard_msg *m, size_t n, const char **why)
{
    *why = NULL;
    if (n != sizeof *m)
        *why = "size";
    else if (m->magic != GUARD_MAGIC)
        *why = "magic";
    else if (m->kind != GUARD_MSG_STATE && m->kind != GUARD_MSG_EXIT)
        *why = "kind";
    else if (m->reserved != 0)
        *why = "reserved";
    else if (m->n > GUARD_INSTANCES_MAX)
        *why = "count";
    for (unsigned i = 0; !*why && m->kind == GUARD_MSG_STATE && i < m->n; i++)
        *why = instance_check(&m->inst[i]);
    return *why ? -1 : 0;
}
