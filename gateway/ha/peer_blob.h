/*
 * peer_blob: blobs larger than a frame over the peer channel (an ACME
 * account, an order under way, an issued certificate: gateway/acme/
 * acme_msg.h says their layout), cut into PEER_MSG_CHUNK frames by the
 * sender (peer_blob_split) and put together again by the receiver
 * (peer_blob_take). Pure: no socket, no clock, no allocation.
 *
 * The channel keeps a session's frames in order, and a sender queues one
 * blob's chunks together (one peer_link_send_batch), so the receiver holds
 * at most one blob under way. A chunk that does not continue it (another
 * id, kind, index, flags or total, or an offset other than the bytes
 * already in) discards what was gathered, counted, and so does a new
 * blob's first chunk arriving before the last one ended, and the end of
 * the session (peer_blob_reset). A blob is at most PEER_BLOB_MAX bytes;
 * what it means is the caller's to check, as hostile as any frame.
 *
 * One per session direction; the caller's memory (PEER_BLOB_MAX inline).
 */
#ifndef RAMPART_GATEWAY_HA_PEER_BLOB_H
#define RAMPART_GATEWAY_HA_PEER_BLOB_H

#include "gateway/ha/peer_proto.h"

enum peer_blob_result {
    PEER_BLOB_MORE,      /* taken; more chunks to come */
    PEER_BLOB_DONE,      /* the blob is whole: kind, index, flags, buf[0..total) */
    PEER_BLOB_DISCARDED, /* a chunk out of order: what was gathered is gone (this chunk too) */
};

struct peer_blob_rx {
    bool active;
    uint8_t kind, index, flags;
    uint32_t id, total, got;
    uint64_t discarded; /* blobs given up (out of order, cut by a new one, session ended) */
    uint8_t buf[PEER_BLOB_MAX];
};

void peer_blob_reset(struct peer_blob_rx *rx); /* the session ended: a blob under way is discarded */
enum peer_blob_result peer_blob_take(struct peer_blob_rx *rx, const struct peer_chunk *c);

/* How many chunks a blob of len bytes takes (0 when len is 0 or over PEER_BLOB_MAX). */
size_t peer_blob_chunks(size_t len);
/* Fills out[0..peer_blob_chunks(len)) with the chunks of data; returns how
 * many, or 0 when the blob does not fit max or a field is out of range. */
size_t peer_blob_split(enum peer_blob_kind kind, unsigned index, unsigned flags, uint32_t id,
                       const void *data, size_t len, struct peer_msg *out, size_t max);

#endif /* RAMPART_GATEWAY_HA_PEER_BLOB_H */
