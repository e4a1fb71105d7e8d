/* Unit tests for gateway/ha/vrrp_net.c: advertisement build/parse and the
 * RFC 5798 section 7.1 receive checks, on crafted packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/vrrp_net.h"

#include <arpa/inet.h>
#include <string.h>

#define VRID 51

static uint32_t ip4(const char *s)
{
    uint32_t a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a;
}

struct pkt {
    uint8_t b[VRRP_RECV_MAX];
    size_t len;
};

/* An IPv4 header (no options) in front of a VRRP message. */
static void wrap_ip(struct pkt *p, const uint8_t *msg, size_t len, uint32_t src, uint32_t dst, uint8_t ttl)
{
    memset(p->b, 0, 20);
    p->b[0] = 0x45;
    p->b[2] = (uint8_t)((20 + len) >> 8);
    p->b[3] = (uint8_t)(20 + len);
    p->b[8] = ttl;
    p->b[9] = VRRP_IPPROTO;
    memcpy(p->b + 12, &src, 4);
    memcpy(p->b + 16, &dst, 4);
    memcpy(p->b + 20, msg, len);
    p->len = 20 + len;
}

struct fixture {
    uint32_t vips[2];
    uint32_t peers[1];
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
    f->exp = (struct vrrp_expect){.vrid = VRID, .self = ip4("198.18.0.1"), .addrs = f->vips, .n_addrs = 2};
    f->adv = (struct vrrp_advert){.vrid = VRID,
                                  .priority = 100,
                                  .interval_cs = 100,
                                  .src = ip4("198.18.0.2"),
                                  .dst = ip4(VRRP_GROUP_V4),
                                  .n_addrs = 2};
}

/* The peer's advertisement as it arrives, with TTL 255. */
static void fx_packet(struct fixture *f, struct pkt *p, const uint32_t *addrs)
{
    uint8_t msg[VRRP_PKT_MAX];
    size_t len = vrrp_net_build(msg, sizeof msg, &f->adv, addrs ? addrs : f->vips);
    assert_true(len > 0);
    wrap_ip(p, msg, len, f->adv.src, f->adv.dst, VRRP_TTL);
}

static bool fx_check(struct fixture *f, const struct pkt *p, struct vrrp_advert *out)
{
    return vrrp_net_check(p->b, p->len, &f->exp, out, &f->stats);
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
    uint32_t vip = ip4("198.18.0.100");
    struct vrrp_advert a = {.vrid = 51,
                            .priority = 100,
                            .interval_cs = 100,
                            .n_addrs = 1,
                            .src = ip4("198.18.0.1"),
                            .dst = ip4("224.0.0.18")};
    uint8_t msg[64];
    assert_int_equal(vrrp_net_build(msg, sizeof msg, &a, &vip), 12);
    const uint8_t want[12] = {0x31, 51, 100, 1, 0x00, 100, 0xfd, 0x4d, 198, 18, 0, 100};
    assert_memory_equal(msg, want, sizeof want);
    assert_int_equal(vrrp_net_checksum(a.src, a.dst, msg, 12), 0);
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
    assert_int_equal(out.src, ip4("198.18.0.2"));
}

static void test_addresses_in_any_order(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f);
    uint32_t swapped[2] = {f.vips[1], f.vips[0]};
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
        assert_false(vrrp_net_check(p.b, len, &f.exp, &out, &f.stats));
    assert_int_equal(f.stats.drops[VRRP_DROP_SHORT], VRRP_IP_HDR_MIN + VRRP_HDR_LEN);
    /* the boundary itself reaches the next check (the address count) */
    assert_false(vrrp_net_check(p.b, VRRP_IP_HDR_MIN + VRRP_HDR_LEN, &f.exp, &out, &f.stats));
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
    uint32_t other[2] = {f.vips[0], ip4("198.18.0.200")};
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
    static uint32_t addrs[VRRP_MAX_ADDRS + 1];
    static uint8_t buf[VRRP_PKT_MAX + 4];
    struct vrrp_advert a = {.vrid = 1, .priority = 1, .interval_cs = 1, .n_addrs = VRRP_MAX_ADDRS};
    assert_int_equal(vrrp_net_build(buf, VRRP_PKT_MAX, &a, addrs), VRRP_PKT_MAX);
    assert_int_equal(vrrp_net_build(buf, VRRP_PKT_MAX - 1, &a, addrs), 0);
    a.n_addrs = VRRP_MAX_ADDRS + 1;
    assert_int_equal(vrrp_net_build(buf, sizeof buf, &a, addrs), 0);
    a.n_addrs = 0;
    assert_int_equal(vrrp_net_build(buf, VRRP_HDR_LEN, &a, addrs), VRRP_HDR_LEN);
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

static void test_metrics_render(void **state)
{
    (void)state;
    struct vrrp_net_stats s = {.rx = 7, .rx_ok = 4, .tx = 99};
    s.drops[VRRP_DROP_TTL] = 3;
    char buf[VRRP_METRICS_MAX];
    int len = vrrp_net_stats_render(buf, sizeof buf, "master", 200, &s);
    assert_true(len > 0);
    assert_int_equal(strlen(buf), len);
    assert_non_null(strstr(buf, "rampart_vrrp_state{state=\"master\"} 1\n"));
    assert_non_null(strstr(buf, "rampart_vrrp_state{state=\"backup\"} 0\n"));
    assert_non_null(strstr(buf, "rampart_vrrp_priority 200\n"));
    assert_non_null(strstr(buf, "rampart_vrrp_adverts_sent_total 99\n"));
    assert_non_null(strstr(buf, "rampart_vrrp_adverts_accepted_total 4\n"));
    assert_non_null(strstr(buf, "rampart_vrrp_adverts_dropped_total{reason=\"ttl\"} 3\n"));
    assert_non_null(strstr(buf, "rampart_vrrp_adverts_dropped_total{reason=\"self\"} 0\n"));
    /* every byte needed, and one less is refused rather than cut */
    char exact[VRRP_METRICS_MAX];
    assert_int_equal(vrrp_net_stats_render(exact, (size_t)len + 1, "master", 200, &s), len);
    assert_int_equal(vrrp_net_stats_render(exact, (size_t)len, "master", 200, &s), -1);
    assert_int_equal(vrrp_net_stats_render(exact, 0, "master", 200, &s), -1);
    /* the worst case fits the advertised maximum */
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        s.drops[i] = UINT64_MAX;
    s.rx = s.rx_ok = s.tx = s.tx_errors = UINT64_MAX;
    assert_true(vrrp_net_stats_render(buf, sizeof buf, "backup", 255, &s) > 0);
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
        cmocka_unit_test(test_metrics_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
