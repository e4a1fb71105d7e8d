/* Unit tests for PEER_MSG_CHUNK (gateway/ha/peer_proto.c) and the blobs
 * it carries (gateway/ha/peer_blob.c): a chunk round-trips; every field
 * is checked at its boundary; a blob cut by peer_blob_split comes back
 * whole from peer_blob_take; a chunk out of order, a blob cut by a new
 * one and the session's end discard what was gathered, counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/peer_blob.h"

#include <stdlib.h>
#include <string.h>

static uint8_t frame[PEER_FRAME_MAX];
static uint8_t blob[PEER_BLOB_MAX + 1];
static struct peer_msg msgs[PEER_BLOB_MAX / PEER_CHUNK_DATA_MAX + 2];
static struct peer_blob_rx rx;

static struct peer_msg chunk(uint32_t total, uint32_t offset)
{
    struct peer_msg m = {.type = PEER_MSG_CHUNK};
    uint32_t left = total > offset ? total - offset : 0;
    m.u.chunk =
        (struct peer_chunk){.kind = PEER_BLOB_ACME_CERT,
                            .index = 3,
                            .flags = PEER_CHUNK_LEADER,
                            .id = 9,
                            .total = total,
                            .offset = offset,
                            .len = (uint16_t)(left < PEER_CHUNK_DATA_MAX ? left : PEER_CHUNK_DATA_MAX)};
    memset(m.u.chunk.data, 0x5a, sizeof m.u.chunk.data);
    return m;
}

/* Encoded and decoded again: 0, or -1 (and nothing encoded: the encoder
 * refuses what the decoder would). */
static int round_trip(const struct peer_msg *m, struct peer_msg *out)
{
    size_t n = peer_encode(frame, sizeof frame, 2, m);
    if (n == 0)
        return -1;
    enum peer_drop why;
    struct peer_frame f;
    assert_int_equal(peer_frame_parse(frame, n, &f, &why), (int)n);
    return peer_msg_decode(f.type, f.payload, f.len, out, &why);
}

static void test_chunk_round_trip(void **state)
{
    (void)state;
    struct peer_msg m = chunk(2000, PEER_CHUNK_DATA_MAX), out;
    assert_int_equal(round_trip(&m, &out), 0);
    assert_int_equal(out.type, PEER_MSG_CHUNK);
    assert_memory_equal(&out.u.chunk, &m.u.chunk, offsetof(struct peer_chunk, data) + m.u.chunk.len);
    assert_int_equal(peer_encode(frame, sizeof frame, 2, &m),
                     PEER_HDR_LEN + PEER_CHUNK_HDR_LEN + PEER_CHUNK_DATA_MAX);
    m = chunk(2000, 2 * PEER_CHUNK_DATA_MAX); /* the last: 464 bytes */
    assert_int_equal(round_trip(&m, &out), 0);
    assert_int_equal(out.u.chunk.len, 2000 - 2 * PEER_CHUNK_DATA_MAX);
    m = chunk(PEER_BLOB_MAX, 0);
    assert_int_equal(round_trip(&m, &out), 0);
    assert_string_equal(peer_msg_type_name(PEER_MSG_CHUNK), "chunk");
}

static void test_chunk_checks(void **state)
{
    (void)state;
    struct peer_msg m, out;
    m = chunk(PEER_BLOB_MAX + 1, 0);
    assert_int_equal(round_trip(&m, &out), -1); /* total over the bound */
    m = chunk(0, 0);
    assert_int_equal(round_trip(&m, &out), -1);
    m = chunk(2000, 100); /* an offset that is not a chunk's */
    assert_int_equal(round_trip(&m, &out), -1);
    m = chunk(2000, 2000);
    assert_int_equal(round_trip(&m, &out), -1);
    m = chunk(2000, 0);
    m.u.chunk.len = 100; /* short: only the last may be */
    assert_int_equal(round_trip(&m, &out), -1);
    m = chunk(2000, 0);
    m.u.chunk.kind = PEER_BLOB_KIND_END;
    assert_int_equal(round_trip(&m, &out), -1);
    m.u.chunk.kind = 0;
    assert_int_equal(round_trip(&m, &out), -1);
    m = chunk(2000, 0);
    m.u.chunk.index = PEER_BLOB_INDEX_MAX;
    assert_int_equal(round_trip(&m, &out), -1);
    m.u.chunk.index = PEER_BLOB_INDEX_MAX - 1;
    assert_int_equal(round_trip(&m, &out), 0);
    m.u.chunk.flags = 2;
    assert_int_equal(round_trip(&m, &out), -1);
    m = chunk(2000, 0);
    m.u.chunk.id = 0;
    assert_int_equal(round_trip(&m, &out), -1);

    /* bytes made by hand: the reserved byte, lengths around the header */
    m = chunk(2000, 0);
    size_t n = peer_encode(frame, sizeof frame, 2, &m);
    enum peer_drop why;
    uint8_t *p = frame + PEER_HDR_LEN;
    assert_int_equal(peer_msg_decode(PEER_MSG_CHUNK, p, n - PEER_HDR_LEN, &out, &why), 0);
    p[3] = 1;
    assert_int_equal(peer_msg_decode(PEER_MSG_CHUNK, p, n - PEER_HDR_LEN, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_MEANING);
    p[3] = 0;
    assert_int_equal(peer_msg_decode(PEER_MSG_CHUNK, p, PEER_CHUNK_HDR_LEN, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_LENGTH);
    assert_int_equal(peer_msg_decode(PEER_MSG_CHUNK, p, n - PEER_HDR_LEN - 1, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_MEANING); /* one byte short of a full chunk */
    assert_int_equal(
        peer_msg_decode(PEER_MSG_CHUNK, p, PEER_CHUNK_HDR_LEN + PEER_CHUNK_DATA_MAX + 1, &out, &why), -1);
    assert_int_equal(why, PEER_DROP_LENGTH);
}

static void fill_blob(size_t len)
{
    for (size_t i = 0; i < len; i++)
        blob[i] = (uint8_t)(i * 7 + 1);
}

/* Split, then every chunk through the wire and into rx: DONE at the end. */
static void check_whole(size_t len)
{
    fill_blob(len);
    size_t n = peer_blob_split(PEER_BLOB_ACME_ORDER, 1, 0, 42, blob, len, msgs, sizeof msgs / sizeof msgs[0]);
    assert_int_equal(n, peer_blob_chunks(len));
    for (size_t i = 0; i < n; i++) {
        struct peer_msg out;
        assert_int_equal(round_trip(&msgs[i], &out), 0);
        assert_int_equal(peer_blob_take(&rx, &out.u.chunk), i + 1 == n ? PEER_BLOB_DONE : PEER_BLOB_MORE);
    }
    assert_int_equal(rx.total, len);
    assert_int_equal(rx.kind, PEER_BLOB_ACME_ORDER);
    assert_int_equal(rx.index, 1);
    assert_memory_equal(rx.buf, blob, len);
}

static void test_blob_whole(void **state)
{
    (void)state;
    memset(&rx, 0, sizeof rx);
    check_whole(1);
    check_whole(PEER_CHUNK_DATA_MAX);
    check_whole(PEER_CHUNK_DATA_MAX + 1);
    check_whole(20000);
    check_whole(PEER_BLOB_MAX);
    assert_int_equal(rx.discarded, 0);
    assert_int_equal(peer_blob_chunks(0), 0);
    assert_int_equal(peer_blob_chunks(PEER_BLOB_MAX + 1), 0);
    assert_int_equal(peer_blob_split(PEER_BLOB_ACME_ORDER, 1, 0, 42, blob, PEER_BLOB_MAX + 1, msgs, 1000), 0);
    assert_int_equal(peer_blob_split(PEER_BLOB_ACME_ORDER, 1, 0, 42, blob, 2000, msgs, 2), 0); /* max */
    assert_int_equal(peer_blob_split(PEER_BLOB_ACME_ORDER, 16, 0, 42, blob, 20, msgs, 2), 0);
    assert_int_equal(peer_blob_split(PEER_BLOB_ACME_ORDER, 1, 0, 0, blob, 20, msgs, 2), 0);
}

static void test_blob_out_of_order(void **state)
{
    (void)state;
    memset(&rx, 0, sizeof rx);
    fill_blob(3000);
    size_t n = peer_blob_split(PEER_BLOB_ACME_CERT, 2, PEER_CHUNK_LEADER, 5, blob, 3000, msgs, 8);
    assert_int_equal(n, 4);
    /* a chunk with nothing under way */
    assert_int_equal(peer_blob_take(&rx, &msgs[1].u.chunk), PEER_BLOB_DISCARDED);
    assert_int_equal(rx.discarded, 1);
    /* skipping one */
    assert_int_equal(peer_blob_take(&rx, &msgs[0].u.chunk), PEER_BLOB_MORE);
    assert_int_equal(peer_blob_take(&rx, &msgs[2].u.chunk), PEER_BLOB_DISCARDED);
    assert_int_equal(rx.discarded, 2);
    assert_int_equal(peer_blob_take(&rx, &msgs[3].u.chunk), PEER_BLOB_DISCARDED); /* the rest is lost too */
    /* a chunk twice */
    assert_int_equal(peer_blob_take(&rx, &msgs[0].u.chunk), PEER_BLOB_MORE);
    assert_int_equal(peer_blob_take(&rx, &msgs[1].u.chunk), PEER_BLOB_MORE);
    assert_int_equal(peer_blob_take(&rx, &msgs[1].u.chunk), PEER_BLOB_DISCARDED);
    /* another blob's chunk in the middle (id, then index) */
    uint64_t before = rx.discarded;
    assert_int_equal(peer_blob_take(&rx, &msgs[0].u.chunk), PEER_BLOB_MORE);
    struct peer_chunk other = msgs[1].u.chunk;
    other.id = 6;
    assert_int_equal(peer_blob_take(&rx, &other), PEER_BLOB_DISCARDED);
    assert_int_equal(peer_blob_take(&rx, &msgs[0].u.chunk), PEER_BLOB_MORE);
    other = msgs[1].u.chunk;
    other.index = 3;
    assert_int_equal(peer_blob_take(&rx, &other), PEER_BLOB_DISCARDED);
    assert_int_equal(rx.discarded, before + 2);
    /* a new blob cuts one under way; the session's end discards one */
    assert_int_equal(peer_blob_take(&rx, &msgs[0].u.chunk), PEER_BLOB_MORE);
    assert_int_equal(peer_blob_take(&rx, &msgs[0].u.chunk), PEER_BLOB_MORE);
    assert_int_equal(rx.discarded, before + 3);
    peer_blob_reset(&rx);
    assert_int_equal(rx.discarded, before + 4);
    peer_blob_reset(&rx); /* nothing under way: nothing lost */
    assert_int_equal(rx.discarded, before + 4);
    /* and a whole one still comes through */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(peer_blob_take(&rx, &msgs[i].u.chunk), i + 1 == n ? PEER_BLOB_DONE : PEER_BLOB_MORE);
    assert_memory_equal(rx.buf, blob, 3000);
    assert_int_equal(rx.flags, PEER_CHUNK_LEADER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_round_trip),
        cmocka_unit_test(test_chunk_checks),
        cmocka_unit_test(test_blob_whole),
        cmocka_unit_test(test_blob_out_of_order),
    };
    return cmocka_run_group_tests_name("peer_blob", tests, NULL, NULL);
}
