/*
 * The VRRP instances of a process: see vrrp_set.h.
 */
#include "gateway/ha/vrrp_set.h"

#include "common/log.h"
#include "gateway/ha/link_watch.h"

#include <stdlib.h>
#include <string.h>

struct vrrp_set {
    struct loop *loop;
    struct link_watch links;
    struct vrrp_node *nodes[CONFIG_MAX_VRRP_INSTANCES];
    unsigned n;
};

static void on_link_event(void *arg, enum link_watch_event ev, unsigned ifindex)
{
    struct vrrp_set *s = arg;
    for (unsigned i = 0; i < s->n; i++)
        vrrp_node_link_event(s->nodes[i], ev, ifindex);
}

/* VRIDs of the other enabled instances on the same interface and family:
 * their advertisements reach instance i's socket too. */
static void siblings_of(const struct config *cfg, unsigned i, uint8_t set[VRRP_VRID_BYTES])
{
    const struct config_vrrp *me = &cfg->vrrp[i];
    memset(set, 0, VRRP_VRID_BYTES);
    for (unsigned j = 0; j < cfg->n_vrrp && j < CONFIG_MAX_VRRP_INSTANCES; j++) {
        const struct config_vrrp *o = &cfg->vrrp[j];
        if (j != i && o->enabled && strcmp(o->interface, me->interface) == 0 &&
            config_vrrp_family(o) == config_vrrp_family(me) && o->vrid != me->vrid)
            vrrp_vrid_set_add(set, (uint8_t)o->vrid);
    }
}

static void start_failed(const struct config_vrrp *v, const char *err)
{
    log_event(LOG_LEVEL_ERROR, "vrrp_error", "reason", err, v->name[0] ? "instance" : LOG_END, v->name,
              LOG_END);
}

struct vrrp_set *vrrp_set_start(struct loop *loop, const struct config *cfg, bool *failed)
{
    char err[256];
    *failed = false;
    if (config_vrrp_enabled_count(cfg) == 0)
        return NULL;
    struct vrrp_set *s = calloc(1, sizeof *s);
    if (!s || link_watch_open(&s->links, loop, on_link_event, s, err, sizeof err) < 0) {
        start_failed(&cfg->vrrp[0], s ? err : "out of memory");
        free(s);
        *failed = true;
        return NULL;
    }
    s->loop = loop;
    for (unsigned i = 0; i < cfg->n_vrrp && i < CONFIG_MAX_VRRP_INSTANCES; i++) {
        if (!cfg->vrrp[i].enabled)
            continue;
        uint8_t siblings[VRRP_VRID_BYTES];
        siblings_of(cfg, i, siblings);
        s->nodes[s->n] = vrrp_node_start(loop, &cfg->vrrp[i], siblings, err, sizeof err);
        if (!s->nodes[s->n]) {
            start_failed(&cfg->vrrp[i], err);
            vrrp_set_free(s);
            *failed = true;
            return NULL;
        }
        s->n++;
    }
    return s;
}

void vrrp_set_backends_up(struct vrrp_set *s, unsigned n_up)
{
    for (unsigned i = 0; s && i < s->n; i++)
        vrrp_node_backends_up(s->nodes[i], n_up);
}

void vrrp_set_relay_lost(struct vrrp_set *s)
{
    for (unsigned i = 0; s && i < s->n; i++)
        vrrp_node_relay_lost(s->nodes[i]);
}

void vrrp_set_relay_back(struct vrrp_set *s)
{
    for (unsigned i = 0; s && i < s->n; i++)
        vrrp_node_relay_back(s->nodes[i]);
}

/* Every instance sends its priority 0 before any socket is closed. */
void vrrp_set_leave(struct vrrp_set *s)
{
    for (unsigned i = 0; s && i < s->n; i++)
        vrrp_node_leave(s->nodes[i]);
}

void vrrp_set_free(struct vrrp_set *s)
{
    if (!s)
        return;
    vrrp_set_leave(s);
    for (unsigned i = 0; i < s->n; i++)
        vrrp_node_free(s->nodes[i]);
    link_watch_close(&s->links);
    free(s);
}

unsigned vrrp_set_count(const struct vrrp_set *s)
{
    return s ? s->n : 0;
}

const struct vrrp_node *vrrp_set_node(const struct vrrp_set *s, unsigned i)
{
    return s && i < s->n ? s->nodes[i] : NULL;
}

uint64_t vrrp_set_transitions(const struct vrrp_set *s)
{
    uint64_t t = 0;
    for (unsigned i = 0; s && i < s->n; i++)
        t += vrrp_node_transitions(s->nodes[i]);
    return t;
}

static bool listed(const struct ip_addr *list, unsigned n, const struct ip_addr *a)
{
    for (unsigned i = 0; i < n; i++)
        if (list[i].family == a->family && memcmp(&list[i].u, &a->u, sizeof a->u) == 0)
            return true;
    return false;
}

unsigned vrrp_set_peers_heard(const struct vrrp_set *s, struct ip_addr *out, unsigned max)
{
    unsigned k = 0;
    for (unsigned i = 0; s && i < s->n; i++) {
        struct ip_addr one[CONFIG_MAX_PEERS];
        unsigned m = vrrp_node_peers_seen(s->nodes[i], one, CONFIG_MAX_PEERS);
        for (unsigned j = 0; j < m && k < max; j++)
            if (!listed(out, k, &one[j]))
                out[k++] = one[j];
    }
    return k;
}

unsigned vrrp_set_describe(const struct vrrp_set *s, struct vrrp_node_desc *out, unsigned max)
{
    unsigned k = 0;
    for (; s && k < s->n && k < max; k++)
        vrrp_node_describe(s->nodes[k], &out[k]);
    return k;
}
