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

/* A bool that crossed a pipe: read as a byte (any other value is refused
 * rather than read as bool, which would be undefined). */
static bool flag_ok(const bool *b)
{
    unsigned char byte;
    memcpy(&byte, b, 1);
    return byte <= 1;
}

/* IPv4 travels IPv4-mapped (vrrp.h): the first 12 bytes fixed. */
static bool addr_ok(const struct vrrp_addr *a, int family)
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    return family == AF_INET6 || memcmp(a->b, mapped, sizeof mapped) == 0;
}

static bool name_ok_or_empty(const char *s, size_t size)
{
    return memchr(s, '\0', size) && (s[0] == '\0' || name_ok(s, size));
}

static const char *instance_check(const struct vrrp_node_desc *d)
{
    if (!name_ok_or_empty(d->name, sizeof d->name) || !name_ok(d->interface, sizeof d->interface))
        return "instance or interface name";
    if (d->family != AF_INET && d->family != AF_INET6)
        return "family";
    if (d->vrid == 0 || !flag_ok(&d->master) || !flag_ok(&d->have_source) || d->advert_cs == 0 ||
        d->advert_cs > 4095)
        return "vrid, flags or advert interval";
    if (d->n_dst > CONFIG_MAX_PEERS || d->n_vips > CONFIG_MAX_VIPS || (d->have_source && d->n_dst == 0))
        return "count";
    if (d->have_source && !addr_ok(&d->source, d->family))
        return "source address";
    for (unsigned i = 0; i < d->n_dst; i++)
        if (!addr_ok(&d->dst[i], d->family))
            return "destination address";
    for (unsigned i = 0; i < d->n_vips; i++)
        if (d->vips[i].addr.family != d->family || d->vips[i].len > (d->family == AF_INET ? 32u : 128u))
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
