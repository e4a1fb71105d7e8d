/*
 * peer_proto: the messages the two gateways of a pair exchange over their
 * channel (gateway/ha/peer_link.c carries them inside TLS 1.3). Pure:
 * bytes in, checked messages out, and back; the unit tests and
 * tests/fuzz/fuzz_peer.c feed it any bytes.
 *
 * A frame is a 12-byte header and a payload, big-endian:
 *
 *   0  u8   version   PEER_PROTO_VERSION
 *   1  u8   type      enum peer_msg_type
 *   2  u16  length    payload bytes, at most PEER_PAYLOAD_MAX
 *   4  u64  sequence  1 for a session's first frame (HELLO), then +1 each
 *
 * Sequence numbers count per session and per direction. TLS already
 * refuses a replayed, reordered or altered record (AEAD with the record
 * sequence number as nonce, keys new per session); the frame's own number
 * makes the same promise checkable at the protocol's level, so a frame
 * that a broken or compromised peer sends twice, or out of order, is
 * named for what it is ("replay", "sequence") and changes nothing.
 *
 * Every frame is checked for size, type and meaning before anything reads
 * it: the exact payload size of its type (or of its entry count), reserved
 * bytes zero, families, operations and counts in range, an IPv4 address
 * with its 12 spare bytes zero, keys in order, ages and timeouts within
 * their bounds; a chunk's kind, index, id, total, offset and length
 * consistent. HELLO must come first and only once. A frame that fails
 * any check is dropped with a reason (enum peer_drop, counted by the
 * caller) and ends the session: on a byte stream nothing after a bad
 * frame can be trusted to be framed right.
 *
 * No allocation, no global state.
 */
#ifndef RAMPART_GATEWAY_HA_PEER_PROTO_H
#define RAMPART_GATEWAY_HA_PEER_PROTO_H

#include "common/parse.h"
#include "tls/tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEER_PROTO_VERSION  1
#define PEER_HDR_LEN        12
#define PEER_PAYLOAD_MAX    1024 /* the largest payload of any type fits (a full BLOCK: 772) */
#define PEER_FRAME_MAX      (PEER_HDR_LEN + PEER_PAYLOAD_MAX)
#define PEER_KEYS_MAX       2  /* current and previous ticket key */
#define PEER_BLOCKS_PER_MSG 32 /* blocklist entries in one BLOCK */
/* A block lasts at most 7 days (FW_BLOCK_MAX_TIMEOUT_MS); so does an unblock's memory. */
#define PEER_REMAINING_MAX_MS (7ULL * 24 * 3600 * 1000)
/* A ticket key is current for at most 7 days, previous for 7 more. */
#define PEER_KEY_AGE_MAX_MS (14ULL * 24 * 3600 * 1000)

/* Payload sizes, for the size checks and their tests. */
#define PEER_HELLO_LEN     36
#define PEER_KEY_LEN       52 /* epoch, age, name, key */
#define PEER_KEYS_HDR_LEN  4
#define PEER_BLOCK_LEN     24 /* op, family, remaining, address */
#define PEER_BLOCK_HDR_LEN 4
#define PEER_SYNC_DONE_LEN 8

/* A blob too big for one frame (an ACME account, order or certificate:
 * gateway/ha/peer_blob.h) travels as numbered chunks, each frame one
 * chunk: a 16-byte header, then exactly min(PEER_CHUNK_DATA_MAX, total -
 * offset) bytes. Every chunk but the last is full, so offsets are
 * multiples of PEER_CHUNK_DATA_MAX. */
#define PEER_CHUNK_HDR_LEN  16
#define PEER_CHUNK_DATA_MAX 768 /* struct peer_chunk stays within the union's largest member */
#define PEER_BLOB_MAX       (64 * 1024)
#define PEER_BLOB_INDEX_MAX 16  /* = ACME_CERTS_MAX: which [tls] certificate */
#define PEER_CHUNK_LEADER   0x1 /* flag: the sender orders (it leads the certificate) */

enum peer_msg_type {
    PEER_MSG_HELLO = 1, /* who I am: the first frame of a session, both ways */
    PEER_MSG_PING,      /* keepalive; no payload */
    PEER_MSG_KEYS,      /* my session-ticket keys (current, previous) */
    PEER_MSG_BLOCK,     /* blocklist changes, or (flag SYNC) my whole list */
    PEER_MSG_SYNC_DONE, /* the end of what I send at session start */
    PEER_MSG_CHUNK,     /* one chunk of a blob (peer_blob.h): ACME account, order, certificate */
    PEER_MSG_TYPE_END
};

/* Why a frame was dropped (rampart_peer_dropped_total{reason}). */
enum peer_drop {
    PEER_DROP_VERSION,   /* not PEER_PROTO_VERSION */
    PEER_DROP_TYPE,      /* unknown type */
    PEER_DROP_LENGTH,    /* longer than PEER_PAYLOAD_MAX, or wrong for its type */
    PEER_DROP_REPLAY,    /* sequence number already seen */
    PEER_DROP_SEQUENCE,  /* sequence number skips ahead */
    PEER_DROP_HELLO,     /* no HELLO first, a second HELLO, or the wrong node */
    PEER_DROP_MEANING,   /* a field out of range (see above) */
    PEER_DROP_TRUNCATED, /* the stream ended inside a frame */
    PEER_DROP_COUNT
};
const char *peer_drop_name(enum peer_drop why); /* "version", "type", ... */

#define PEER_HELLO_KEYS_FROM_FILE 0x1 /* flag: my ticket keys come from files, not the pair */

struct peer_hello {
    uint16_t version; /* PEER_PROTO_VERSION */
    uint16_t flags;   /* PEER_HELLO_* */
    uint32_t ticket_lifetime_s;
    struct ip_addr node; /* the sender's [peer] listen address: its id */
    uint64_t instance;   /* random, made when the sender's parent started: a new one is a restart */
};

/* A session-ticket key as the pair shares it: epoch orders keys (higher
 * is newer), age says how long ago it was made. */
struct peer_key {
    uint64_t epoch; /* >= 1 */
    uint64_t age_ms;
    struct tls_ticket_key key;
};
struct peer_keys {
    unsigned n; /* 1 or 2: [0] current, [1] previous (strictly older) */
    struct peer_key k[PEER_KEYS_MAX];
};

enum peer_block_op { PEER_OP_BLOCK = 1, PEER_OP_UNBLOCK = 2 };
struct peer_block {
    enum peer_block_op op;
    struct ip_addr addr;
    /* BLOCK: how long the block has left (1..PEER_REMAINING_MAX_MS).
     * UNBLOCK: how long the block that was lifted would have had left (0
     * when unknown): for that long a copy of it is not taken back. */
    uint32_t remaining_ms;
};
#define PEER_BLOCKS_SYNC 0x1 /* flag: part of the sender's whole list (session start) */
struct peer_blocks {
    unsigned n; /* 1..PEER_BLOCKS_PER_MSG */
    unsigned flags;
    struct peer_block b[PEER_BLOCKS_PER_MSG];
};

struct peer_sync_done {
    uint32_t blocks; /* entries sent in the SYNC BLOCKs before it */
};

/* What a blob is (the receiver's parent knows its layout: acme_msg.h). */
enum peer_blob_kind {
    PEER_BLOB_ACME_ACCOUNT = 1, /* struct acme_account_msg */
    PEER_BLOB_ACME_ORDER,       /* struct acme_order_msg: an order under way, or its end */
    PEER_BLOB_ACME_CERT,        /* struct acme_cert_msg: an issued chain and its key */
    PEER_BLOB_ACME_SERVED,      /* struct acme_order_msg: the sender's relays serve these answers of mine */
    PEER_BLOB_KIND_END
};

struct peer_chunk {
    uint8_t kind;  /* enum peer_blob_kind */
    uint8_t index; /* < PEER_BLOB_INDEX_MAX */
    uint8_t flags; /* PEER_CHUNK_LEADER */
    uint32_t id;   /* >= 1, the same for every chunk of one blob */
    uint32_t total, offset;
    uint16_t len; /* data bytes: min(PEER_CHUNK_DATA_MAX, total - offset) */
    uint8_t data[PEER_CHUNK_DATA_MAX];
};

struct peer_msg {
    enum peer_msg_type type;
    union {
        struct peer_hello hello;
        struct peer_keys keys;
        struct peer_blocks blocks;
        struct peer_sync_done sync_done;
        struct peer_chunk chunk;
    } u;
};

/* ---- frames -------------------------------------------------------------------------------- */

struct peer_frame {
    uint8_t type;
    uint16_t len;
    uint64_t seq;
    const uint8_t *payload; /* into the caller's buffer */
};

/* The first frame in buf[0..n): > 0 its size (out filled), 0 when more
 * bytes are needed, -1 with *why (version, type, length: decided from
 * the header alone, before the payload arrives). */
int peer_frame_parse(const uint8_t *buf, size_t n, struct peer_frame *out, enum peer_drop *why);

/* What one direction of a session has accepted so far. */
struct peer_rx {
    uint64_t next_seq; /* 1 at the start */
    bool hello_seen;
};
void peer_rx_init(struct peer_rx *rx);

/* Checks a parsed frame against the session (sequence, HELLO first and
 * once) and decodes its payload with every meaning check into *msg. 0, or
 * -1 with *why; on -1 nothing of the frame was taken. */
int peer_rx_accept(struct peer_rx *rx, const struct peer_frame *f, struct peer_msg *msg, enum peer_drop *why);

/* Payload decoding alone (what peer_rx_accept does after its checks). */
int peer_msg_decode(uint8_t type, const uint8_t *p, size_t len, struct peer_msg *msg, enum peer_drop *why);

/* Writes the frame of msg with sequence seq into buf; returns its size, or
 * 0 when it does not fit `cap` or msg itself would fail the checks (the
 * encoder never writes what the decoder refuses). */
size_t peer_encode(uint8_t *buf, size_t cap, uint64_t seq, const struct peer_msg *msg);

const char *peer_msg_type_name(enum peer_msg_type type); /* "hello", "ping", ... */

/* The order of node ids: a before b (IPv4 before IPv6, then the bytes).
 * The lower node is the key master (peer_keys.h) and wins a tie between
 * two sessions dialed at once (peer_link.h). */
bool peer_node_lower(const struct ip_addr *a, const struct ip_addr *b);

#endif /* RAMPART_GATEWAY_HA_PEER_PROTO_H */
