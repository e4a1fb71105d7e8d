/*
 * protect: addresses the parent refuses to block. See protect.h.
 */
#include "gateway/proc/protect.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

const char *protect_reason_name(enum protect_reason why)
{
    static const char *const names[PROTECT_REASON_COUNT] = {
        [PROTECT_NONE] = "none",       [PROTECT_NOT_GLOBAL] = "not_global",
        [PROTECT_OWN] = "own",         [PROTECT_VIP] = "vip",
        [PROTECT_PEER] = "peer",       [PROTECT_ADMIN] = "admin",
        [PROTECT_BACKEND] = "backend",
    };
    return why < PROTECT_REASON_COUNT ? names[why] : "?";
}

/* ---- not global -------------------------------------------------------------------------- */

struct special_prefix {
    uint8_t addr[16];
    unsigned len;
};

static bool in_prefix(const uint8_t *a, const struct special_prefix *p)
{
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(a, p->addr, full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (p->addr[full] & mask);
}

/* Never the source of a remote client. RFC 6890's special-purpose blocks
 * that can be (private, shared, benchmarking, documentation, ULA) are not
 * here on purpose: see protect.h. */
static const struct special_prefix not_global_v4[] = {
    {{0}, 8},         /* 0.0.0.0/8 "this network", incl. the unspecified address */
    {{127}, 8},       /* loopback */
    {{169, 254}, 16}, /* link-local */
    {{224}, 4},       /* multicast */
    {{240}, 4},       /* reserved, and 255.255.255.255 (limited broadcast) */
};
static const struct special_prefix not_global_v6[] = {
    {{0}, 128},                       /* :: unspecified */
    {{[15] = 1}, 128},                /* ::1 loopback */
    {{0}, 96},                        /* ::/96 IPv4-compatible (deprecated) */
    {{[10] = 0xff, [11] = 0xff}, 96}, /* ::ffff:0:0/96 IPv4-mapped: never on the wire */
    {{0xfe, 0x80}, 10},               /* link-local */
    {{0xff}, 8},                      /* multicast */
};

bool protect_not_global(const struct ip_addr *a)
{
    const struct special_prefix *list = a->family == AF_INET ? not_global_v4 : not_global_v6;
    size_t n = a->family == AF_INET ? sizeof not_global_v4 / sizeof not_global_v4[0]
                                    : sizeof not_global_v6 / sizeof not_global_v6[0];
    if (a->family != AF_INET && a->family != AF_INET6)
        return true;
    for (size_t i = 0; i < n; i++)
        if (in_prefix((const uint8_t *)&a->u, &list[i]))
            return true;
    return false;
}

/* ---- ranges ------------------------------------------------------------------------------ */

void protect_init(struct protect *p)
{
    memset(p, 0, sizeof *p);
}

static void list_free(struct protect_list *l)
{
    free(l->r);
    free(l->max_hi);
    memset(l, 0, sizeof *l);
}

void protect_free(struct protect *p)
{
    list_free(&p->v4);
    list_free(&p->v6);
}

void protect_reset(struct protect *p)
{
    p->v4.n = p->v6.n = 0;
    p->v4.sorted = p->v6.sorted = false;
}

static int list_grow(struct protect_list *l)
{
    size_t cap = l->cap ? l->cap * 2 : 32;
    struct protect_range *r = realloc(l->r, cap * sizeof *r);
    if (!r)
        return -1;
    l->r = r;
    uint8_t(*m)[16] = realloc(l->max_hi, cap * sizeof *m);
    if (!m)
        return -1; /* r grew: harmless, cap stays */
    l->max_hi = m;
    l->cap = cap;
    return 0;
}

int protect_add_range(struct protect *p, int family, const uint8_t lo[16], const uint8_t hi[16],
                      enum protect_reason why)
{
    struct protect_list *l = family == AF_INET ? &p->v4 : &p->v6;
    if (l->n == l->cap && list_grow(l) < 0)
        return -1;
    struct protect_range *r = &l->r[l->n++];
    memset(r, 0, sizeof *r);
    size_t len = family == AF_INET ? 4 : 16;
    memcpy(r->lo, lo, len);
    memcpy(r->hi, hi, len);
    r->why = why;
    l->sorted = false;
    return 0;
}

int protect_add_addr(struct protect *p, const struct ip_addr *a, enum protect_reason why)
{
    uint8_t b[16] = {0};
    memcpy(b, &a->u, a->family == AF_INET ? 4 : 16);
    return protect_add_range(p, a->family, b, b, why);
}

static void sockaddr_to_ip(const struct sockaddr_storage *ss, struct ip_addr *out)
{
    memset(out, 0, sizeof *out);
    out->family = ss->ss_family;
    if (ss->ss_family == AF_INET)
        out->u.v4 = ((const struct sockaddr_in *)ss)->sin_addr;
    else
        out->u.v6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
}

int protect_add_config(struct protect *p, const struct config *cfg)
{
    int rc = 0;
    /* every instance's, enabled or not: a parked instance's VIP is still ours */
    for (unsigned k = 0; k < cfg->n_vrrp && k < CONFIG_MAX_VRRP_INSTANCES; k++) {
        const struct config_vrrp *v = &cfg->vrrp[k];
        for (unsigned i = 0; i < v->n_vips && i < CONFIG_MAX_VIPS; i++)
            rc |= protect_add_addr(p, &v->vips[i].addr, PROTECT_VIP);
        for (unsigned i = 0; i < v->n_unicast_peers && i < CONFIG_MAX_PEERS; i++)
            rc |= protect_add_addr(p, &v->unicast_peers[i], PROTECT_PEER);
    }
    if (cfg->peer.enabled) /* the other gateway of the pair, on its channel's link */
        rc |= protect_add_addr(p, &cfg->peer.address, PROTECT_PEER);
    for (unsigned i = 0; i < cfg->n_backends; i++) {
        struct ip_addr a;
        sockaddr_to_ip(&cfg->backends[i].addr, &a);
        rc |= protect_add_addr(p, &a, PROTECT_BACKEND);
    }
    return rc ? -1 : 0;
}

void protect_set_own(struct protect *p, const struct ip_addr *addrs, unsigned n)
{
    p->n_own = n < PROTECT_OWN_MAX ? n : PROTECT_OWN_MAX;
    p->own_dropped = n - p->n_own;
    memcpy(p->own, addrs, p->n_own * sizeof *addrs);
}

void protect_set_heard(struct protect *p, const struct ip_addr *heard, unsigned n)
{
    p->n_heard = n < PROTECT_HEARD_MAX ? n : PROTECT_HEARD_MAX;
    memcpy(p->heard, heard, p->n_heard * sizeof *heard);
}

static int cmp_range(const void *a, const void *b)
{
    const struct protect_range *x = a, *y = b;
    return memcmp(x->lo, y->lo, 16);
}

/* Sorted by first address, with the running maximum of last addresses:
 * a binary search finds the last range starting at or before an address,
 * and every range that can hold it is at or before that one, back to
 * where the running maximum falls below the address. */
static void list_sort(struct protect_list *l)
{
    if (l->n > 0) /* an empty list may have no array at all (qsort wants one) */
        qsort(l->r, l->n, sizeof l->r[0], cmp_range);
    for (size_t i = 0; i < l->n; i++) {
        bool higher = i == 0 || memcmp(l->r[i].hi, l->max_hi[i - 1], 16) > 0;
        memcpy(l->max_hi[i], higher ? l->r[i].hi : l->max_hi[i - 1], 16);
    }
    l->sorted = true;
}

static enum protect_reason list_find(struct protect_list *l, const uint8_t a[16])
{
    if (!l->sorted)
        list_sort(l);
    size_t lo = 0, hi = l->n; /* the first range starting after a */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(l->r[mid].lo, a, 16) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    enum protect_reason best = PROTECT_NONE;
    for (size_t i = lo; i-- > 0 && memcmp(l->max_hi[i], a, 16) >= 0;)
        if (memcmp(l->r[i].hi, a, 16) >= 0 && (best == PROTECT_NONE || l->r[i].why < best))
            best = l->r[i].why;
    return best;
}

static bool same_addr(const struct ip_addr *x, const struct ip_addr *y)
{
    return x->family == y->family && memcmp(&x->u, &y->u, x->family == AF_INET ? 4 : 16) == 0;
}

enum protect_reason protect_check(struct protect *p, const struct ip_addr *a)
{
    if (protect_not_global(a))
        return PROTECT_NOT_GLOBAL;
    for (unsigned i = 0; i < p->n_own; i++)
        if (same_addr(&p->own[i], a))
            return PROTECT_OWN;
    for (unsigned i = 0; i < p->n_heard; i++)
        if (same_addr(&p->heard[i], a))
            return PROTECT_PEER;
    uint8_t b[16] = {0};
    memcpy(b, &a->u, a->family == AF_INET ? 4 : 16);
    return list_find(a->family == AF_INET ? &p->v4 : &p->v6, b);
}
