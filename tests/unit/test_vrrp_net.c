/* Unit tests for gateway/ha/vrrp_net.c: advertisement build/parse and the
 * RFC 5798 section 7.1 receive checks, on crafted packets; IPv4 first,
 * then IPv6 (link-local source, ff02::12, hop limit, IPv6 pseudo-header). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/vrrp_net.h"

#include <arpa/inet.h>
#include <string.h>

#define VRID 51

static struct vrrp_addr ip4(const char *s)
{
    uint32_t a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return vrrp_addr_v4(a);
}

static struct vrrp_addr ip6(const char *s)
{
    struct vrrp_addr a;
    assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
    return a;
}

struct pkt {
    uint8_t b[VRRP_RECV_MAX];
    size_t len;
};

/* An IPv4 header (no options) in front of a VRRP message. */
static void wrap_ip(struct pkt *p, const uint8_t *msg, size_t len, struct vrrp_addr src, struct vrrp_addr dst,
                    uint8_t ttl)
{
    memset(p->b, 0, 20);
    p->b[0] = 0x45;
    p->b[2] = (uint8_t)((20 + len) >> 8);
    p->b[3] = (uint8_t)(20 + len);
    p->b[8] = ttl;
    p->b[9] = VRRP_IPPROTO;
    memcpy(p->b + 12, src.b + 12, 4);
    memcpy(p->b + 16, dst.b + 12, 4);
    memcpy(p->b + 20, msg, len);
    p->len = 20 + len;
}

struct fixture {
    struct vrrp_addr vips[2];
    struct vrrp_addr peers[1];
    struct vrrp_expect exp;
    struct vrrp_net_stats stats;
    struct vrrp_advert adv; /* what the peer sends */
};

static void fx_init(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    f->vips[0] = ip4("198.18.0.100");
    f->vips[1] = ip4("198.18.0.101");
    f->peers[0] = ip4("198.18.0.2");
    f->exp = (struct vrrp_expect){
        .family = AF_INET, .vrid = VRID, .self = ip4("198.18.0.1"), .addrs = f->vips, .n_addrs = 2};
    f->adv = (struct vrrp_advert){.family = AF_INET,
                                  .vrid = VRID,
                                  .priority = 100,
                                  .interval_cs = 100,
                                  .src = ip4("198.18.0.2"),
                                  .dst = ip4(VRRP_GROUP_V4),
                                  .n_addrs = 2};
}

/* The peer's advertisement as it arrives, with TTL 255. */
static void fx_packet(struct fixture *f, struct pkt *p, const struct vrrp_addr *addrs)
{
    uint8_t msg[VRRP_PKT_MAX];
    size_t len = vrrp_net_build(msg, sizeof msg, &f->adv, addrs ? addrs : f->vips);
    assert_true(len > 0);
    wrap_ip(p, msg, len, f->adv.src, f->adv.dst, VRRP_TTL);
}

static bool fx_check(struct fixture *f, const struct pkt *p, struct vrrp_advert *out)
{
    return vrrp_net_check4(p->b, p->len, &f->exp, out, &f->stats) == VRRP_ACCEPT;
}

/* Only `why` was counted, once, and nothing was accepted. */
static void assert_dropped(const struct fixture *f, enum vrrp_drop why)
{
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        assert_int_equal(f->stats.drops[i], i == (int)why ? 1 : 0);
    assert_int_equal(f->stats.rx_ok, 0);
}

static void test_checksum_known_vector(void **state)
{
    (void)state;
    /* 198.18.0.1 -> 224.0.0.18, VRID 51, prio 100, 1 s, VIP 198.18.0.100;
     * computed by hand: ~(fold of the 16-bit sum) = 0xfd4d */
    struct vrrp_addr vip = ip4("198.18.0.100");
    struct vrrp_advert a = {.family = AF_INET,
                            .vrid = 51,
                            .priority = 100,
                            .interval_cs = 100,
                            .n_addrs = 1,
                            .src = ip4("198.18.0.1"),
                            .dst = ip4("224.0.0.18")};
    uint8_t msg[64];
    assert_int_equal(vrrp_net_build(msg, sizeof msg, &a, &vip), 12);
    const uint8_t want[12] = {0x31, 51, 100, 1, 0x00, 100, 0xfd, 0x4d, 198, 18, 0, 100};
    assert_memory_equal(msg, want, sizeof want);
    assert_int_equal(vrrp_net_checksum(AF_INET, &a.src, &a.dst, msg, 12), 0);
}

static void test_good_packet_accepted(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    struct vrrp_advert out;
    assert_true(fx_check(&f, &p, &out));
    assert_int_equal(f.stats.rx_ok, 1);
    assert_int_equal(out.vrid, VRID);
    assert_int_equal(out.priority, 100);
    assert_int_equal(out.interval_cs, 100);
    assert_int_equal(out.n_addrs, 2);
    struct vrrp_addr want = ip4("198.18.0.2");
    assert_memory_equal(&out.src, &want, sizeof want);
    assert_int_equal(out.family, AF_INET);
}

static void test_addresses_in_any_order(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct vrrp_addr swapped[2] = {f.vips[1], f.vips[0]};
    struct pkt p;
    fx_packet(&f, &p, swapped);
    struct vrrp_advert out;
    assert_true(fx_check(&f, &p, &out));
}

static void test_wrong_ttl(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    p.b[8] = 254; /* one router away */
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_TTL);
}

static void test_bad_checksum(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    p.b[20 + 2] ^= 0x40; /* priority changed in flight */
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_CHECKSUM);
}

static void test_checksum_without_pseudo_header_refused(void **state)
{
    (void)state;
    /* a sender summing only the VRRP message (the VRRPv2 way) is refused */
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    uint8_t *msg = p.b + 20;
    size_t len = p.len - 20;
    msg[6] = msg[7] = 0;
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i += 2)
        sum += (uint32_t)msg[i] << 8 | msg[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    msg[6] = (uint8_t)(~sum >> 8);
    msg[7] = (uint8_t)~sum;
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_CHECKSUM);
}

static void test_wrong_version(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    p.b[20] = 2 << 4 | VRRP_TYPE_ADVERT; /* VRRPv2 */
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_VERSION);
}

static void test_wrong_type(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    p.b[20] = VRRP_VERSION << 4 | 2;
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_TYPE);
}

static void test_unknown_vrid(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.adv.vrid = VRID + 1; /* well-formed, checksum right, not ours */
    struct pkt p;
    fx_packet(&f, &p, NULL);
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_VRID);
}

static void test_short_packets(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    struct vrrp_advert out;
    /* every length below IP header + VRRP fixed fields */
    for (size_t len = 0; len < VRRP_IP_HDR_MIN + VRRP_HDR_LEN; len++)
        assert_int_equal(vrrp_net_check4(p.b, len, &f.exp, &out, &f.stats), VRRP_DROPPED);
    assert_int_equal(f.stats.drops[VRRP_DROP_SHORT], VRRP_IP_HDR_MIN + VRRP_HDR_LEN);
    /* the boundary itself reaches the next check (the address count) */
    assert_int_equal(vrrp_net_check4(p.b, VRRP_IP_HDR_MIN + VRRP_HDR_LEN, &f.exp, &out, &f.stats),
                     VRRP_DROPPED);
    assert_int_equal(f.stats.drops[VRRP_DROP_LENGTH], 1);
}

static void test_truncated_address_list(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    p.len -= 4; /* count says 2 addresses, 1 present */
    p.b[3] = (uint8_t)p.len;
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_LENGTH);
}

static void test_ip_total_length_trims_padding(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    fx_packet(&f, &p, NULL);
    memset(p.b + p.len, 0xee, 6); /* link-layer padding after the datagram */
    p.len += 6;
    struct vrrp_advert out;
    assert_true(fx_check(&f, &p, &out));
}

static void test_bad_ip_header(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct pkt p;
    struct vrrp_advert out;
    fx_packet(&f, &p, NULL);
    p.b[0] = 0x44; /* IHL 4: less than a header */
    assert_false(fx_check(&f, &p, &out));
    fx_packet(&f, &p, NULL);
    p.b[0] = 0x65; /* version 6 */
    assert_false(fx_check(&f, &p, &out));
    fx_packet(&f, &p, NULL);
    p.b[9] = 17; /* UDP */
    assert_false(fx_check(&f, &p, &out));
    fx_packet(&f, &p, NULL);
    p.b[0] = 0x4f; /* IHL 15 = 60 bytes > packet */
    assert_false(fx_check(&f, &p, &out));
    assert_int_equal(f.stats.drops[VRRP_DROP_IP], 4);
    assert_int_equal(f.stats.rx_ok, 0);
}

static void test_address_list_mismatch(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    struct vrrp_addr other[2] = {f.vips[0], ip4("198.18.0.200")};
    struct pkt p;
    fx_packet(&f, &p, other);
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_ADDRS);
    /* the address owner may list what it likes (RFC 5798 7.1) */
    f.adv.priority = 255;
    fx_packet(&f, &p, other);
    assert_true(fx_check(&f, &p, &out));
}

static void test_we_are_owner(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.exp.owner = true;
    struct pkt p;
    fx_packet(&f, &p, NULL);
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_OWNER);
}

static void test_zero_interval(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.adv.interval_cs = 0;
    struct pkt p;
    fx_packet(&f, &p, NULL);
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_INTERVAL);
}

static void test_interval_is_12_bits(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.adv.interval_cs = 4095;
    struct pkt p;
    fx_packet(&f, &p, NULL);
    struct vrrp_advert out;
    assert_true(fx_check(&f, &p, &out));
    assert_int_equal(out.interval_cs, 4095);
    /* the 4 reserved bits are sent as zero */
    f.adv.interval_cs = 0xffff;
    fx_packet(&f, &p, NULL);
    assert_int_equal(p.b[20 + 4], 0x0f);
}

static void test_unicast_peers_only(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.exp.peers = f.peers;
    f.exp.n_peers = 1;
    struct pkt p;
    struct vrrp_advert out;
    fx_packet(&f, &p, NULL); /* from 198.18.0.2, the peer */
    assert_true(fx_check(&f, &p, &out));
    f.adv.src = ip4("198.18.0.66"); /* a stranger, well-formed */
    fx_packet(&f, &p, NULL);
    assert_false(fx_check(&f, &p, &out));
    assert_int_equal(f.stats.drops[VRRP_DROP_PEER], 1);
    assert_int_equal(f.stats.rx_ok, 1);
}

static void test_own_packet(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    f.adv.src = f.exp.self;
    struct pkt p;
    fx_packet(&f, &p, NULL);
    struct vrrp_advert out;
    assert_false(fx_check(&f, &p, &out));
    assert_dropped(&f, VRRP_DROP_SELF);
}

static void test_build_boundaries(void **state)
{
    (void)state;
    static struct vrrp_addr addrs[VRRP_MAX_ADDRS + 1];
    static uint8_t buf[VRRP_PKT_MAX + 4];
    const size_t max4 = VRRP_HDR_LEN + 4 * VRRP_MAX_ADDRS;
    struct vrrp_advert a = {
        .family = AF_INET, .vrid = 1, .priority = 1, .interval_cs = 1, .n_addrs = VRRP_MAX_ADDRS};
    assert_int_equal(vrrp_net_build(buf, max4, &a, addrs), max4);
    assert_int_equal(vrrp_net_build(buf, max4 - 1, &a, addrs), 0);
    a.family = AF_INET6; /* 16 bytes an address: the largest message */
    assert_int_equal(vrrp_net_build(buf, VRRP_PKT_MAX, &a, addrs), VRRP_PKT_MAX);
    assert_int_equal(vrrp_net_build(buf, VRRP_PKT_MAX - 1, &a, addrs), 0);
    a.n_addrs = VRRP_MAX_ADDRS + 1;
    assert_int_equal(vrrp_net_build(buf, sizeof buf, &a, addrs), 0);
    a.n_addrs = 0;
    assert_int_equal(vrrp_net_build(buf, VRRP_HDR_LEN, &a, addrs), VRRP_HDR_LEN);
    a.family = AF_UNIX; /* neither family */
    assert_int_equal(vrrp_net_build(buf, sizeof buf, &a, addrs), 0);
    /* the receive buffer holds the largest datagram, IPv4 options included */
    assert_true(VRRP_RECV_MAX >= VRRP_IP_HDR_MAX + max4);
    assert_true(VRRP_RECV_MAX >= VRRP_PKT_MAX);
}

static void test_drop_names(void **state)
{
    (void)state;
    for (int i = 0; i < VRRP_DROP_COUNT; i++) {
        assert_non_null(vrrp_drop_name(i));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(vrrp_drop_name(i), vrrp_drop_name(j));
    }
    assert_string_equal(vrrp_drop_name(VRRP_DROP_TTL), "ttl");
    assert_string_equal(vrrp_drop_name(VRRP_DROP_COUNT), "unknown");
}

/* ---- IPv6 (RFC 5798 5.1.2: link-local source, ff02::12, hop limit 255) ---- */

struct fixture6 {
    struct vrrp_addr vips[2];
    struct vrrp_addr peers[1];
    uint8_t siblings[VRRP_VRID_BYTES];
    struct vrrp_expect exp;
    struct vrrp_net_stats stats;
    struct vrrp_advert adv;
    struct vrrp_rx6 meta; /* what recvmsg() reports */
    uint8_t msg[VRRP_PKT_MAX];
    size_t len;
};

static void fx6_init(struct fixture6 *f)
{
    memset(f, 0, sizeof *f);
    f->vips[0] = ip6("fd00:198:18::10");
    f->vips[1] = ip6("2001:db8::10");
    f->peers[0] = ip6("fe80::2");
    f->exp = (struct vrrp_expect){
        .family = AF_INET6, .vrid = VRID, .self = ip6("fe80::1"), .addrs = f->vips, .n_addrs = 2};
    f->adv = (struct vrrp_advert){.family = AF_INET6,
                                  .vrid = VRID,
                                  .priority = 100,
                                  .interval_cs = 100,
                                  .src = ip6("fe80::2"),
                                  .dst = ip6(VRRP_GROUP_V6),
                                  .n_addrs = 2};
}

/* The peer's advertisement as the IPv6 raw socket hands it over. */
static void fx6_packet(struct fixture6 *f, const struct vrrp_addr *addrs)
{
    f->len = vrrp_net_build(f->msg, sizeof f->msg, &f->adv, addrs ? addrs : f->vips);
    assert_true(f->len > 0);
    f->meta = (struct vrrp_rx6){.src = f->adv.src, .dst = f->adv.dst, .hop_limit = VRRP_TTL};
}

static enum vrrp_verdict fx6_check(struct fixture6 *f, struct vrrp_advert *out)
{
    return vrrp_net_check6(f->msg, f->len, &f->meta, &f->exp, out, &f->stats);
}

static void assert_dropped6(const struct fixture6 *f, enum vrrp_drop why)
{
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        assert_int_equal(f->stats.drops[i], i == (int)why ? 1 : 0);
    assert_int_equal(f->stats.rx_ok, 0);
    assert_int_equal(f->stats.rx, 1);
}

static void test_v6_checksum_known_vector(void **state)
{
    (void)state;
    /* fe80::1 -> ff02::12, VRID 51, prio 100, 1 s, VIP fd00:198:18::10: the
     * sum over the 40-byte pseudo-header (32-bit length, next header 112),
     * worked out apart from this code, is 0x6d87 */
    struct vrrp_addr vip = ip6("fd00:198:18::10");
    struct vrrp_advert a = {.family = AF_INET6,
                            .vrid = 51,
                            .priority = 100,
                            .interval_cs = 100,
                            .n_addrs = 1,
                            .src = ip6("fe80::1"),
                            .dst = ip6(VRRP_GROUP_V6)};
    uint8_t msg[64];
    assert_int_equal(vrrp_net_build(msg, sizeof msg, &a, &vip), 24);
    const uint8_t head[8] = {0x31, 51, 100, 1, 0x00, 100, 0x6d, 0x87};
    assert_memory_equal(msg, head, sizeof head);
    assert_memory_equal(msg + 8, vip.b, 16);
    assert_int_equal(vrrp_net_checksum(AF_INET6, &a.src, &a.dst, msg, 24), 0);
}

static void test_v6_good_packet_accepted(void **state)
{
    (void)state;
    struct fixture6 f;
    fx6_init(&f);
    fx6_packet(&f, NULL);
    struct vrrp_advert out;
    assert_int_equal(fx6_check(&f, &out), VRRP_ACCEPT);
    assert_int_equal(out.family, AF_INET6);
    assert_int_equal(out.priority, 100);
    assert_int_equal(out.n_addrs, 2);
    assert_memory_equal(&out.src, &f.adv.src, sizeof out.src);
    assert_int_equal(f.stats.rx, 1);
    assert_int_equal(f.stats.rx_ok, 1);
    struct vrrp_addr swapped[2] = {f.vips[1], f.vips[0]}; /* any order */
    fx6_packet(&f, swapped);
    assert_int_equal(fx6_check(&f, &out), VRRP_ACCEPT);
}

static void test_v6_hop_limit(void **state)
{
    (void)state;
    struct fixture6 f;
    fx6_init(&f);
    fx6_packet(&f, NULL);
    f.meta.hop_limit = 254; /* forwarded once */
    struct vrrp_advert out;
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_TTL);
    fx6_init(&f);
    fx6_packet(&f, NULL);
    f.meta.hop_limit = -1; /* the kernel did not say: not trusted */
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_TTL);
}

/* The sum covers the IPv6 pseudo-header: a message summed with the IPv4
 * one, or sent to another destination than the one it was summed for, is
 * refused. */
static void test_v6_checksum_needs_v6_pseudo_header(void **state)
{
    (void)state;
    struct fixture6 f;
    fx6_init(&f);
    fx6_packet(&f, NULL);
    f.msg[6] = f.msg[7] = 0;
    uint16_t v4 = vrrp_net_checksum(AF_INET, &f.adv.src, &f.adv.dst, f.msg, f.len);
    f.msg[6] = (uint8_t)(v4 >> 8);
    f.msg[7] = (uint8_t)v4;
    struct vrrp_advert out;
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_CHECKSUM);
    fx6_init(&f);
    fx6_packet(&f, NULL);
    f.meta.dst = ip6("ff02::1"); /* arrived somewhere else */
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_CHECKSUM);
    fx6_init(&f);
    fx6_packet(&f, NULL);
    f.msg[8 + 15] ^= 1; /* an address bit changed in flight */
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_CHECKSUM);
}

static void test_v6_lengths(void **state)
{
    (void)state;
    struct fixture6 f;
    fx6_init(&f);
    fx6_packet(&f, NULL);
    struct vrrp_advert out;
    for (size_t len = 0; len < VRRP_HDR_LEN; len++)
        assert_int_equal(vrrp_net_check6(f.msg, len, &f.meta, &f.exp, &out, &f.stats), VRRP_DROPPED);
    assert_int_equal(f.stats.drops[VRRP_DROP_SHORT], VRRP_HDR_LEN);
    /* count 2 needs 2 x 16 bytes: 4 bytes (an IPv4 address's worth) short */
    assert_int_equal(vrrp_net_check6(f.msg, f.len - 12, &f.meta, &f.exp, &out, &f.stats), VRRP_DROPPED);
    assert_int_equal(f.stats.drops[VRRP_DROP_LENGTH], 1);
}

static void test_v6_header_checks(void **state)
{
    (void)state;
    struct fixture6 f;
    struct vrrp_advert out;
    fx6_init(&f);
    fx6_packet(&f, NULL);
    f.msg[0] = 2 << 4 | VRRP_TYPE_ADVERT;
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_VERSION);
    fx6_init(&f);
    f.adv.interval_cs = 0;
    fx6_packet(&f, NULL);
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_INTERVAL);
    fx6_init(&f);
    f.exp.owner = true;
    fx6_packet(&f, NULL);
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_OWNER);
}

static void test_v6_addresses_and_sources(void **state)
{
    (void)state;
    struct fixture6 f;
    struct vrrp_advert out;
    fx6_init(&f);
    struct vrrp_addr other[2] = {f.vips[0], ip6("2001:db8::99")};
    fx6_packet(&f, other);
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_ADDRS);
    fx6_init(&f);
    f.adv.src = f.exp.self; /* our own, looped back */
    fx6_packet(&f, NULL);
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_SELF);
    fx6_init(&f);
    f.exp.peers = f.peers;
    f.exp.n_peers = 1;
    f.adv.src = ip6("fe80::66"); /* not the unicast peer */
    fx6_packet(&f, NULL);
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_PEER);
}

/* Two instances on one link: each socket sees both VRIDs. The other's
 * advertisement is neither accepted nor counted as a drop; a VRID nobody
 * here runs still is. */
static void test_sibling_vrid_ignored(void **state)
{
    (void)state;
    struct fixture6 f;
    struct vrrp_advert out;
    fx6_init(&f);
    vrrp_vrid_set_add(f.siblings, VRID + 1);
    f.exp.siblings = f.siblings;
    f.adv.vrid = VRID + 1;
    fx6_packet(&f, NULL);
    assert_int_equal(fx6_check(&f, &out), VRRP_SIBLING);
    assert_int_equal(f.stats.rx, 0);
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        assert_int_equal(f.stats.drops[i], 0);
    f.adv.vrid = VRID + 2;
    fx6_packet(&f, NULL);
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_VRID);
    /* a corrupted sibling advertisement is a drop like any other */
    fx6_init(&f);
    vrrp_vrid_set_add(f.siblings, VRID + 1);
    f.exp.siblings = f.siblings;
    f.adv.vrid = VRID + 1;
    fx6_packet(&f, NULL);
    f.msg[2] ^= 1;
    assert_int_equal(fx6_check(&f, &out), VRRP_DROPPED);
    assert_dropped6(&f, VRRP_DROP_CHECKSUM);
}

static void test_vrid_set_bounds(void **state)
{
    (void)state;
    uint8_t set[VRRP_VRID_BYTES] = {0};
    vrrp_vrid_set_add(set, 0);
    vrrp_vrid_set_add(set, 255);
    assert_true(vrrp_vrid_set_has(set, 0));
    assert_true(vrrp_vrid_set_has(set, 255));
    for (unsigned v = 1; v < 255; v++)
        assert_false(vrrp_vrid_set_has(set, (uint8_t)v));
}

/* A message of one family checked as the other is refused, counted. */
static void test_family_mismatch(void **state)
{
    (void)state;
    struct fixture6 f6;
    fx6_init(&f6);
    fx6_packet(&f6, NULL);
    struct fixture f4;
    fx_init(&f4);
    struct vrrp_advert out;
    assert_int_equal(vrrp_net_check6(f6.msg, f6.len, &f6.meta, &f4.exp, &out, &f4.stats), VRRP_DROPPED);
    assert_int_equal(f4.stats.drops[VRRP_DROP_IP], 1);
    struct pkt p;
    fx_packet(&f4, &p, NULL);
    assert_int_equal(vrrp_net_check4(p.b, p.len, &f6.exp, &out, &f6.stats), VRRP_DROPPED);
    assert_int_equal(f6.stats.drops[VRRP_DROP_IP], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_known_vector),
        cmocka_unit_test(test_good_packet_accepted),
        cmocka_unit_test(test_addresses_in_any_order),
        cmocka_unit_test(test_wrong_ttl),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_checksum_without_pseudo_header_refused),
        cmocka_unit_test(test_wrong_version),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_unknown_vrid),
        cmocka_unit_test(test_short_packets),
        cmocka_unit_test(test_truncated_address_list),
        cmocka_unit_test(test_ip_total_length_trims_padding),
        cmocka_unit_test(test_bad_ip_header),
        cmocka_unit_test(test_address_list_mismatch),
        cmocka_unit_test(test_we_are_owner),
        cmocka_unit_test(test_zero_interval),
        cmocka_unit_test(test_interval_is_12_bits),
        cmocka_unit_test(test_unicast_peers_only),
        cmocka_unit_test(test_own_packet),
        cmocka_unit_test(test_build_boundaries),
        cmocka_unit_test(test_drop_names),
        cmocka_unit_test(test_v6_checksum_known_vector),
        cmocka_unit_test(test_v6_good_packet_accepted),
        cmocka_unit_test(test_v6_hop_limit),
        cmocka_unit_test(test_v6_checksum_needs_v6_pseudo_header),
        cmocka_unit_test(test_v6_lengths),
        cmocka_unit_test(test_v6_header_checks),
        cmocka_unit_test(test_v6_addresses_and_sources),
        cmocka_unit_test(test_sibling_vrid_ignored),
        cmocka_unit_test(test_vrid_set_bounds),
        cmocka_unit_test(test_family_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
