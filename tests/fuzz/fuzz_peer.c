/* libFuzzer target: any bytes as what the peer channel receives inside TLS
 * (gateway/ha/peer_proto.c). The stream is cut into frames and each goes
 * through the session's checks, as peer_conn.c does; every frame is either
 * accepted or dropped with a reason (and the session ends), never a crash.
 * An accepted message must encode again to the very bytes it came from
 * (the decoder accepts nothing the encoder would not write), and the
 * merge rules (peer_keys.c, peer_blocklist.c) take what was accepted,
 * and chunks are put together into blobs (peer_blob.c), bounded.
 * The first byte picks the HELLO state, so frames after a HELLO are reached
 * without the fuzzer having to find one first.
 * Seeds: tests/fuzz/corpus/fuzz_peer (a blob in three chunks; a chunk
 * skipped, then another blob).
 * Run: make fuzz && build-fuzz/fuzz/fuzz_peer -runs=1000000 -max_len=8192 tests/fuzz/corpus/fuzz_peer */
#include "gateway/ha/peer_blob.h"
#include "gateway/ha/peer_blocklist.h"
#include "gateway/ha/peer_keys.h"
#include "gateway/ha/peer_proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct peer_blob_rx blob_rx;

static void take_chunk(const struct peer_chunk *c)
{
    enum peer_blob_result r = peer_blob_take(&blob_rx, c);
    if (blob_rx.got > blob_rx.total || blob_rx.total > PEER_BLOB_MAX)
        abort();
    if (r == PEER_BLOB_DONE && (blob_rx.active || blob_rx.kind != c->kind))
        abort();
}

static void take(const struct peer_msg *m, struct peer_keys_state *keys, struct peer_blocklist *bl)
{
    uint64_t now = 1000000;
    if (m->type == PEER_MSG_CHUNK)
        take_chunk(&m->u.chunk);
    if (m->type == PEER_MSG_KEYS) {
        peer_keys_merge(keys, &m->u.keys, now);
        if (keys->n > PEER_KEYS_MAX || (keys->n == 2 && keys->k[0].epoch < keys->k[1].epoch))
            abort();
    } else if (m->type == PEER_MSG_BLOCK) {
        for (unsigned i = 0; i < m->u.blocks.n; i++) {
            const struct peer_block *b = &m->u.blocks.b[i];
            if (b->op == PEER_OP_BLOCK)
                peer_bl_peer_block(bl, &b->addr, b->remaining_ms, now);
            else
                peer_bl_peer_unblock(bl, &b->addr, b->remaining_ms, now);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t again[PEER_FRAME_MAX];
    struct peer_rx rx;
    peer_rx_init(&rx);
    if (size > 0 && (data[0] & 1)) { /* as if HELLO (sequence 1) had come */
        rx.hello_seen = true;
        rx.next_seq = 2;
    }
    struct peer_keys_state keys;
    struct peer_blocklist bl;
    peer_keys_init(&keys, 3600000, false);
    peer_bl_init(&bl);
    peer_blob_reset(&blob_rx);
    size_t off = size > 0 ? 1 : 0;
    while (off < size) {
        struct peer_frame f;
        struct peer_msg m;
        enum peer_drop why = PEER_DROP_COUNT;
        int n = peer_frame_parse(data + off, size - off, &f, &why);
        if (n == 0)
            break; /* the stream ends inside a frame: "truncated" */
        if (n < 0 || peer_rx_accept(&rx, &f, &m, &why) < 0) {
            if ((unsigned)why >= PEER_DROP_COUNT)
                abort(); /* every refusal names its reason */
            break;       /* the session ends */
        }
        size_t len = peer_encode(again, sizeof again, f.seq, &m);
        if (len != (size_t)n || memcmp(again, data + off, len) != 0)
            abort();
        take(&m, &keys, &bl);
        off += (size_t)n;
    }
    peer_bl_expire(&bl, 2000000);
    peer_bl_free(&bl);
    return 0;
}
