/*
 * VRRPv3 advertisements on the wire: see vrrp_net.h. The packet format is
 * RFC 5798 section 5.1; the receive checks are section 7.1, in its order:
 * the IP layer first (IPv4 header here, IPv6 from recvmsg), then the VRRP
 * message, the same for both families.
 */
#include "gateway/ha/vrrp_net.h"
#include "gateway/ha/inet_sum.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>

static const char *const drop_names[VRRP_DROP_COUNT] = {
    [VRRP_DROP_SHORT] = "short",       [VRRP_DROP_IP] = "ip_header",      [VRRP_DROP_TTL] = "ttl",
    [VRRP_DROP_VERSION] = "version",   [VRRP_DROP_TYPE] = "type",         [VRRP_DROP_LENGTH] = "length",
    [VRRP_DROP_CHECKSUM] = "checksum", [VRRP_DROP_VRID] = "vrid",         [VRRP_DROP_OWNER] = "owner",
    [VRRP_DROP_ADDRS] = "addresses",   [VRRP_DROP_INTERVAL] = "interval", [VRRP_DROP_PEER] = "peer",
    [VRRP_DROP_SELF] = "self",
};

const char *vrrp_drop_name(enum vrrp_drop why)
{
    return (unsigned)why < VRRP_DROP_COUNT ? drop_names[why] : "unknown";
}

/* Bytes one address takes in the message. */
static size_t addr_len(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

/* Where an address's bytes are in struct vrrp_addr (IPv4 is mapped). */
static const uint8_t *addr_bytes(int family, const struct vrrp_addr *a)
{
    return family == AF_INET6 ? a->b : a->b + 12;
}

uint16_t vrrp_net_checksum(int family, const struct vrrp_addr *src, const struct vrrp_addr *dst,
                           const uint8_t *msg, size_t len)
{
    if (family == AF_INET6)
        return inet_sum6(src->b, dst->b, VRRP_IPPROTO, msg, len);
    return inet_sum4(src->b + 12, dst->b + 12, VRRP_IPPROTO, msg, len);
}

size_t vrrp_net_build(uint8_t *buf, size_t cap, const struct vrrp_advert *adv, const struct vrrp_addr *addrs)
{
    if (adv->family != AF_INET && adv->family != AF_INET6)
        return 0;
    size_t alen = addr_len(adv->family), len = VRRP_HDR_LEN + alen * adv->n_addrs;
    if (adv->n_addrs > VRRP_MAX_ADDRS || len > cap)
        return 0;
    buf[0] = VRRP_VERSION << 4 | VRRP_TYPE_ADVERT;
    buf[1] = adv->vrid;
    buf[2] = adv->priority;
    buf[3] = (uint8_t)adv->n_addrs;
    buf[4] = (uint8_t)(adv->interval_cs >> 8 & 0x0f); /* 4 reserved bits, then 12 */
    buf[5] = (uint8_t)adv->interval_cs;
    buf[6] = buf[7] = 0;
    for (unsigned i = 0; i < adv->n_addrs; i++)
        memcpy(buf + VRRP_HDR_LEN + alen * i, addr_bytes(adv->family, &addrs[i]), alen);
    uint16_t ck = vrrp_net_checksum(adv->family, &adv->src, &adv->dst, buf, len);
    buf[6] = (uint8_t)(ck >> 8);
    buf[7] = (uint8_t)ck;
    return len;
}

static bool has_addr(const struct vrrp_addr *list, unsigned n, const struct vrrp_addr *a)
{
    for (unsigned i = 0; i < n; i++)
        if (vrrp_addr_cmp(&list[i], a) == 0)
            return true;
    return false;
}

/* Same set of addresses, in any order (RFC 7.1 lets senders order freely). */
static bool same_addrs(const uint8_t *msg, unsigned n, const struct vrrp_expect *exp)
{
    if (n != exp->n_addrs)
        return false;
    size_t alen = addr_len(exp->family);
    for (unsigned i = 0; i < n; i++) {
        struct vrrp_addr a = vrrp_addr_v4(0); /* IPv6 overwrites all 16 bytes */
        memcpy(exp->family == AF_INET6 ? a.b : a.b + 12, msg + VRRP_HDR_LEN + alen * i, alen);
        if (!has_addr(exp->addrs, exp->n_addrs, &a))
            return false;
    }
    return true;
}

/* The VRRP message, whatever the family: a drop, -1 (passed) or -2 (a
 * sibling's). out->src, dst and family are set by the caller. */
static int check_vrrp(const uint8_t *msg, size_t len, const struct vrrp_expect *exp, struct vrrp_advert *out)
{
    if (len < VRRP_HDR_LEN)
        return VRRP_DROP_SHORT;
    if (msg[0] >> 4 != VRRP_VERSION)
        return VRRP_DROP_VERSION;
    if ((msg[0] & 0x0f) != VRRP_TYPE_ADVERT)
        return VRRP_DROP_TYPE;
    out->vrid = msg[1];
    out->priority = msg[2];
    out->n_addrs = msg[3];
    out->interval_cs = (uint16_t)((msg[4] & 0x0f) << 8 | msg[5]);
    if (len < VRRP_HDR_LEN + addr_len(exp->family) * out->n_addrs)
        return VRRP_DROP_LENGTH;
    if (vrrp_net_checksum(exp->family, &out->src, &out->dst, msg, len) != 0)
        return VRRP_DROP_CHECKSUM; /* a correct sum over everything incl. the field is 0 */
    if (out->vrid != exp->vrid)
        return exp->siblings && vrrp_vrid_set_has(exp->siblings, out->vrid) ? -2 : VRRP_DROP_VRID;
    if (vrrp_addr_cmp(&out->src, &exp->self) == 0)
        return VRRP_DROP_SELF;
    if (exp->n_peers && !has_addr(exp->peers, exp->n_peers, &out->src))
        return VRRP_DROP_PEER;
    if (exp->owner)
        return VRRP_DROP_OWNER;
    if (out->priority != VRRP_PRIO_OWNER && !same_addrs(msg, out->n_addrs, exp))
        return VRRP_DROP_ADDRS;
    if (out->interval_cs == 0)
        return VRRP_DROP_INTERVAL;
    return -1;
}

static enum vrrp_verdict verdict(int why, struct vrrp_net_stats *stats)
{
    if (why == -2)
        return VRRP_SIBLING;
    stats->rx++;
    if (why >= 0) {
        stats->drops[why]++;
        return VRRP_DROPPED;
    }
    stats->rx_ok++;
    return VRRP_ACCEPT;
}

/* The IPv4 header: returns the VRRP message and its length, or a drop. */
static int check_ip4(const uint8_t *pkt, size_t len, struct vrrp_advert *out, const uint8_t **msg,
                     size_t *msg_len)
{
    if (len < VRRP_IP_HDR_MIN + VRRP_HDR_LEN)
        return VRRP_DROP_SHORT;
    struct iphdr ip;
    memcpy(&ip, pkt, sizeof ip);
    size_t hlen = 4u * ip.ihl, total = ntohs(ip.tot_len);
    if (ip.version != 4 || ip.protocol != VRRP_IPPROTO || hlen < VRRP_IP_HDR_MIN || hlen > len)
        return VRRP_DROP_IP;
    if (total < len) /* trust the smaller: trailing link padding is not ours */
        len = total;
    if (len < hlen + VRRP_HDR_LEN)
        return VRRP_DROP_SHORT;
    if (ip.ttl != VRRP_TTL)
        return VRRP_DROP_TTL;
    out->src = vrrp_addr_v4(ip.saddr);
    out->dst = vrrp_addr_v4(ip.daddr);
    *msg = pkt + hlen;
    *msg_len = len - hlen;
    return -1;
}

enum vrrp_verdict vrrp_net_check4(const uint8_t *pkt, size_t len, const struct vrrp_expect *exp,
                                  struct vrrp_advert *out, struct vrrp_net_stats *stats)
{
    const uint8_t *msg = NULL;
    size_t msg_len = 0;
    memset(out, 0, sizeof *out);
    out->family = AF_INET;
    int why = exp->family == AF_INET ? check_ip4(pkt, len, out, &msg, &msg_len) : VRRP_DROP_IP;
    if (why < 0)
        why = check_vrrp(msg, msg_len, exp, out);
    return verdict(why, stats);
}

enum vrrp_verdict vrrp_net_check6(const uint8_t *msg, size_t len, const struct vrrp_rx6 *meta,
                                  const struct vrrp_expect *exp, struct vrrp_advert *out,
                                  struct vrrp_net_stats *stats)
{
    memset(out, 0, sizeof *out);
    out->family = AF_INET6;
    out->src = meta->src;
    out->dst = meta->dst;
    int why = -1;
    if (exp->family != AF_INET6)
        why = VRRP_DROP_IP;
    else if (len < VRRP_HDR_LEN)
        why = VRRP_DROP_SHORT;
    else if (meta->hop_limit != VRRP_TTL)
        why = VRRP_DROP_TTL;
    else
        why = check_vrrp(msg, len, exp, out);
    return verdict(why, stats);
}
