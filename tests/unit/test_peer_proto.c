/* Unit tests for gateway/ha/peer_proto.c: every message round-trips; the
 * header is judged before the payload arrives; sequence numbers and HELLO
 * order; every size, type and meaning check, at its boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/peer_proto.h"

#include <arpa/inet.h>
#include <string.h>

static uint8_t buf[PEER_FRAME_MAX];

static struct ip_addr v4(const char *s)
{
    struct ip_addr a = {.family = AF_INET};
    inet_pton(AF_INET, s, &a.u.v4);
    return a;
}

static struct ip_addr v6(const char *s)
{
    struct ip_addr a = {.family = AF_INET6};
    inet_pton(AF_INET6, s, &a.u.v6);
    return a;
}

static struct peer_msg hello(void)
{
    return (struct peer_msg){.type = PEER_MSG_HELLO,
                             .u.hello = {.version = PEER_PROTO_VERSION,
                                         .ticket_lifetime_s = 14400,
                                         .node = v4("198.19.0.2"),
                                         .instance = 0x0102030405060708ULL}};
}

static struct peer_msg keys2(void)
{
    struct peer_msg m = {.type = PEER_MSG_KEYS};
    m.u.keys.n = 2;
    m.u.keys.k[0] = (struct peer_key){.epoch = 7, .age_ms = 1000};
    m.u.keys.k[1] = (struct peer_key){.epoch = 6, .age_ms = 14401000};
    memset(m.u.keys.k[0].key.key, 0xaa, TLS_TICKET_KEY_LEN);
    memset(m.u.keys.k[1].key.name, 0x11, TLS_TICKET_NAME_LEN);
    return m;
}

static struct peer_msg blocks(unsigned n)
{
    struct peer_msg m = {.type = PEER_MSG_BLOCK, .u.blocks = {.n = n, .flags = PEER_BLOCKS_SYNC}};
    for (unsigned i = 0; i < n; i++)
        m.u.blocks.b[i] = (struct peer_block){.op = i % 2 ? PEER_OP_UNBLOCK : PEER_OP_BLOCK,
                                              .addr = i % 3 ? v4("198.18.7.7") : v6("2001:db8::1"),
                                              .remaining_ms = 600000};
    return m;
}

/* Encodes msg as frame `seq`, parses and accepts it on rx; returns 0/-1. */
static int round_trip(struct peer_rx *rx, uint64_t seq, const struct peer_msg *msg, struct peer_msg *out,
                      enum peer_drop *why)
{
    size_t n = peer_encode(buf, sizeof buf, seq, msg);
    assert_true(n >= PEER_HDR_LEN);
    struct peer_frame f;
    assert_int_equal(peer_frame_parse(buf, n, &f, why), (int)n);
    return peer_rx_accept(rx, &f, out, why);
}

static void test_round_trip_all_types(void **state)
{
    (void)state;
    struct peer_rx rx;
    struct peer_msg out, m;
    enum peer_drop why;
    peer_rx_init(&rx);
    m = hello();
    assert_int_equal(round_trip(&rx, 1, &m, &out, &why), 0);
    assert_memory_equal(&out.u.hello, &m.u.hello, sizeof m.u.hello);
    m = (struct peer_msg){.type = PEER_MSG_PING};
    assert_int_equal(round_trip(&rx, 2, &m, &out, &why), 0);
    assert_int_equal(out.type, PEER_MSG_PING);
    m = keys2();
    assert_int_equal(round_trip(&rx, 3, &m, &out, &why), 0);
    assert_memory_equal(&out.u.keys, &m.u.keys, sizeof m.u.keys);
    m = blocks(PEER_BLOCKS_PER_MSG);
    assert_int_equal(round_trip(&rx, 4, &m, &out, &why), 0);
    assert_int_equal(out.u.blocks.n, PEER_BLOCKS_PER_MSG);
    for (unsigned i = 0; i < PEER_BLOCKS_PER_MSG; i++)
        assert_memory_equal(&out.u.blocks.b[i], &m.u.blocks.b[i], sizeof m.u.blocks.b[i]);
    m = (struct peer_msg){.type = PEER_MSG_SYNC_DONE, .u.sync_done.blocks = 123456};
    assert_int_equal(round_trip(&rx, 5, &m, &out, &why), 0);
    assert_int_equal(out.u.sync_done.blocks, 123456);
    assert_int_equal(rx.next_seq, 6);
    assert_string_equal(peer_msg_type_name(PEER_MSG_SYNC_DONE), "sync_done");
    assert_string_equal(peer_drop_name(PEER_DROP_REPLAY), "replay");
    assert_string_equal(peer_drop_name(PEER_DROP_COUNT), "unknown");
}

/* A full BLOCK is the largest frame, and fits. */
static void test_sizes(void **state)
{
    (void)state;
    struct peer_msg m = blocks(PEER_BLOCKS_PER_MSG);
    size_t n = peer_encode(buf, sizeof buf, 1, &m);
    assert_int_equal(n, PEER_HDR_LEN + PEER_BLOCK_HDR_LEN + PEER_BLOCKS_PER_MSG * PEER_BLOCK_LEN);
    assert_true(n <= PEER_FRAME_MAX);
    assert_int_equal(peer_encode(buf, n - 1, 1, &m), 0); /* does not fit: nothing written */
    m = blocks(PEER_BLOCKS_PER_MSG);
    m.u.blocks.n = PEER_BLOCKS_PER_MSG + 1;
    assert_int_equal(peer_encode(buf, sizeof buf, 1, &m), 0); /* the encoder refuses what the decoder would */
    m = hello();
    assert_int_equal(peer_encode(buf, sizeof buf, 1, &m), PEER_HDR_LEN + PEER_HELLO_LEN);
}

/* The header alone decides version, type and length: a frame claiming a
 * payload over PEER_PAYLOAD_MAX is refused before its payload comes. */
static void test_header_checks(void **state)
{
    (void)state;
    struct peer_frame f;
    enum peer_drop why;
    uint8_t h[PEER_HDR_LEN] = {PEER_PROTO_VERSION, PEER_MSG_PING, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_int_equal(peer_frame_parse(h, PEER_HDR_LEN - 1, &f, &why), 0); /* more needed */
    assert_int_equal(peer_frame_parse(h, PEER_HDR_LEN, &f, &why), PEER_HDR_LEN);
    assert_int_equal(f.seq, 1);
    h[0] = 2;
    assert_int_equal(peer_frame_parse(h, PEER_HDR_LEN, &f, &why), -1);
    assert_int_equal(why, PEER_DROP_VERSION);
    h[0] = PEER_PROTO_VERSION;
    h[1] = 0;
    assert_int_equal(peer_frame_parse(h, PEER_HDR_LEN, &f, &why), -1);
    assert_int_equal(why, PEER_DROP_TYPE);
    h[1] = PEER_MSG_TYPE_END;
    assert_int_equal(peer_frame_parse(h, PEER_HDR_LEN, &f, &why), -1);
    assert_int_equal(why, PEER_DROP_TYPE);
    h[1] = PEER_MSG_BLOCK;
    h[2] = PEER_PAYLOAD_MAX >> 8;
    h[3] = PEER_PAYLOAD_MAX & 0xff;
    assert_int_equal(peer_frame_parse(h, PEER_HDR_LEN, &f, &why), 0); /* PEER_PAYLOAD_MAX: waits for it */
    h[3]++;
    assert_int_equal(peer_frame_parse(h, PEER_HDR_LEN, &f, &why), -1); /* one more: refused at once */
    assert_int_equal(why, PEER_DROP_LENGTH);
}

static void test_sequence_and_hello(void **state)
{
    (void)state;
    struct peer_rx rx;
    struct peer_msg out, m = hello(), ping = {.type = PEER_MSG_PING};
    enum peer_drop why;
    peer_rx_init(&rx);
    assert_int_equal(round_trip(&rx, 1, &ping, &out, &why), -1); /* anything before HELLO */
    assert_int_equal(why, PEER_DROP_HELLO);
    assert_int_equal(round_trip(&rx, 2, &m, &out, &why), -1); /* a gap */
    assert_int_equal(why, PEER_DROP_SEQUENCE);
    assert_int_equal(rx.next_seq, 1); /* refused frames change nothing */
    assert_int_equal(round_trip(&rx, 1, &m, &out, &why), 0);
    assert_int_equal(round_trip(&rx, 1, &m, &out, &why), -1); /* the same frame again */
    assert_int_equal(why, PEER_DROP_REPLAY);
    assert_int_equal(round_trip(&rx, 2, &m, &out, &why), -1); /* a second HELLO */
    assert_int_equal(why, PEER_DROP_HELLO);
    assert_int_equal(round_trip(&rx, 2, &ping, &out, &why), 0);
    assert_int_equal(round_trip(&rx, 2, &ping, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_REPLAY);
    assert_int_equal(round_trip(&rx, UINT64_MAX, &ping, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_SEQUENCE);
}

/* Decodes a payload after changing byte `at` to `value`. */
static int mutated(const struct peer_msg *m, size_t at, uint8_t value, enum peer_drop *why)
{
    size_t n = peer_encode(buf, sizeof buf, 1, m);
    assert_true(at < n - PEER_HDR_LEN);
    buf[PEER_HDR_LEN + at] = value;
    struct peer_msg out;
    return peer_msg_decode(buf[1], buf + PEER_HDR_LEN, n - PEER_HDR_LEN, &out, why);
}

static void test_meaning_checks(void **state)
{
    (void)state;
    enum peer_drop why;
    struct peer_msg h = hello(), k = keys2(), b = blocks(2);
    assert_int_equal(mutated(&h, 1, 2, &why), -1); /* version 2 in HELLO */
    assert_int_equal(why, PEER_DROP_MEANING);
    assert_int_equal(mutated(&h, 3, 2, &why), -1);                     /* unknown flag */
    assert_int_equal(mutated(&h, 8, 5, &why), -1);                     /* family 5 */
    assert_int_equal(mutated(&h, 9, 1, &why), -1);                     /* reserved */
    assert_int_equal(mutated(&h, 20, 1, &why), -1);                    /* IPv4 with a spare byte set */
    assert_int_equal(mutated(&k, 1, 1, &why), -1);                     /* reserved */
    assert_int_equal(mutated(&k, PEER_KEYS_HDR_LEN + 7, 0, &why), -1); /* epoch 7 -> 0 */
    assert_int_equal(mutated(&k, PEER_KEYS_HDR_LEN + PEER_KEY_LEN + 7, 8, &why), -1); /* previous newer */
    assert_int_equal(mutated(&k, PEER_KEYS_HDR_LEN + 8, 0xff, &why), -1);             /* age beyond the max */
    assert_int_equal(why, PEER_DROP_MEANING);
    assert_int_equal(mutated(&b, 1, 2, &why), -1);                      /* unknown flag */
    assert_int_equal(mutated(&b, 2, 1, &why), -1);                      /* reserved */
    assert_int_equal(mutated(&b, PEER_BLOCK_HDR_LEN, 3, &why), -1);     /* op 3 */
    assert_int_equal(mutated(&b, PEER_BLOCK_HDR_LEN + 1, 5, &why), -1); /* family */
    assert_int_equal(mutated(&b, PEER_BLOCK_HDR_LEN + 3, 1, &why), -1); /* reserved */
    assert_int_equal(why, PEER_DROP_MEANING);
    /* a block of 0 ms, and of more than 7 days */
    struct peer_msg z = blocks(1);
    z.u.blocks.b[0].remaining_ms = 0;
    assert_int_equal(peer_encode(buf, sizeof buf, 1, &z), 0);
    z.u.blocks.b[0].remaining_ms = (uint32_t)PEER_REMAINING_MAX_MS;
    assert_true(peer_encode(buf, sizeof buf, 1, &z) > 0);
    assert_int_equal(mutated(&z, PEER_BLOCK_HDR_LEN + 7, 0xff, &why), -1); /* one over the max */
    z.u.blocks.b[0].op = PEER_OP_UNBLOCK;
    z.u.blocks.b[0].remaining_ms = 0; /* an unblock may say 0 */
    assert_true(peer_encode(buf, sizeof buf, 1, &z) > 0);
}

static void test_length_checks(void **state)
{
    (void)state;
    struct peer_msg out;
    enum peer_drop why;
    uint8_t p[PEER_PAYLOAD_MAX] = {0};
    assert_int_equal(peer_msg_decode(PEER_MSG_PING, p, 1, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_LENGTH);
    assert_int_equal(peer_msg_decode(PEER_MSG_HELLO, p, PEER_HELLO_LEN - 1, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_LENGTH);
    assert_int_equal(peer_msg_decode(PEER_MSG_SYNC_DONE, p, PEER_SYNC_DONE_LEN + 1, &out, &why), -1);
    p[0] = 2; /* two keys announced, one present */
    assert_int_equal(peer_msg_decode(PEER_MSG_KEYS, p, PEER_KEYS_HDR_LEN + PEER_KEY_LEN, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_LENGTH);
    p[0] = 0; /* no key: the count is checked */
    assert_int_equal(peer_msg_decode(PEER_MSG_KEYS, p, PEER_KEYS_HDR_LEN, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_MEANING);
    p[0] = 3; /* three keys, consistently sized: still too many */
    assert_int_equal(peer_msg_decode(PEER_MSG_KEYS, p, PEER_KEYS_HDR_LEN + 3 * PEER_KEY_LEN, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_MEANING);
    p[0] = PEER_BLOCKS_PER_MSG + 1;
    assert_int_equal(
        peer_msg_decode(PEER_MSG_BLOCK, p, PEER_BLOCK_HDR_LEN + p[0] * PEER_BLOCK_LEN, &out, &why), -1);
    assert_int_equal(peer_msg_decode(PEER_MSG_BLOCK, p, 2, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_LENGTH);
}

static void test_node_order(void **state)
{
    (void)state;
    struct ip_addr a = v4("198.19.0.2"), b = v4("198.19.0.3"), c = v6("::1");
    assert_true(peer_node_lower(&a, &b));
    assert_false(peer_node_lower(&b, &a));
    assert_false(peer_node_lower(&a, &a));
    assert_true(peer_node_lower(&b, &c)); /* IPv4 first */
    assert_false(peer_node_lower(&c, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_all_types), cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_header_checks),        cmocka_unit_test(test_sequence_and_hello),
        cmocka_unit_test(test_meaning_checks),       cmocka_unit_test(test_length_checks),
        cmocka_unit_test(test_node_order),
    };
    return cmocka_run_group_tests_name("peer_proto", tests, NULL, NULL);
}
