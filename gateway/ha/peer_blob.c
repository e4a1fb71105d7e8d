/*
 * peer_blob: chunks of a blob, cut and put together. See peer_blob.h.
 */
#include "gateway/ha/peer_blob.h"

#include <string.h>

void peer_blob_reset(struct peer_blob_rx *rx)
{
    if (rx->active)
        rx->discarded++;
    rx->active = false;
    rx->got = 0;
}

static bool blob_continues(const struct peer_blob_rx *rx, const struct peer_chunk *c)
{
    return rx->active && c->id == rx->id && c->kind == rx->kind && c->index == rx->index &&
           c->flags == rx->flags && c->total == rx->total && c->offset == rx->got;
}

enum peer_blob_result peer_blob_take(struct peer_blob_rx *rx, const struct peer_chunk *c)
{
    /* peer_proto checked the chunk itself: offset + len <= total <= PEER_BLOB_MAX */
    if (c->offset == 0) {
        peer_blob_reset(rx); /* one under way is cut off by a new one */
        *rx = (struct peer_blob_rx){.active = true,
                                    .kind = c->kind,
                                    .index = c->index,
                                    .flags = c->flags,
                                    .id = c->id,
                                    .total = c->total,
                                    .discarded = rx->discarded};
    } else if (!blob_continues(rx, c)) {
        if (!rx->active)
            rx->discarded++; /* nothing under way: the stray chunk is the loss */
        peer_blob_reset(rx);
        return PEER_BLOB_DISCARDED;
    }
    if (c->len > rx->total - rx->got)
        return peer_blob_reset(rx), PEER_BLOB_DISCARDED;
    memcpy(rx->buf + rx->got, c->data, c->len);
    rx->got += c->len;
    if (rx->got < rx->total)
        return PEER_BLOB_MORE;
    rx->active = false;
    return PEER_BLOB_DONE;
}

size_t peer_blob_chunks(size_t len)
{
    if (len == 0 || len > PEER_BLOB_MAX)
        return 0;
    return (len + PEER_CHUNK_DATA_MAX - 1) / PEER_CHUNK_DATA_MAX;
}

size_t peer_blob_split(enum peer_blob_kind kind, unsigned index, unsigned flags, uint32_t id,
                       const void *data, size_t len, struct peer_msg *out, size_t max)
{
    size_t n = peer_blob_chunks(len);
    if (n == 0 || n > max || kind < PEER_BLOB_ACME_ACCOUNT || kind >= PEER_BLOB_KIND_END ||
        index >= PEER_BLOB_INDEX_MAX || (flags & ~PEER_CHUNK_LEADER) || id == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        struct peer_chunk *c = &out[i].u.chunk;
        size_t off = i * PEER_CHUNK_DATA_MAX,
               part = len - off < PEER_CHUNK_DATA_MAX ? len - off : PEER_CHUNK_DATA_MAX;
        out[i].type = PEER_MSG_CHUNK;
        *c = (struct peer_chunk){.kind = (uint8_t)kind,
                                 .index = (uint8_t)index,
                                 .flags = (uint8_t)flags,
                                 .id = id,
                                 .total = (uint32_t)len,
                                 .offset = (uint32_t)off,
                                 .len = (uint16_t)part};
        memcpy(c->data, (const uint8_t *)data + off, part);
    }
    return n;
}
