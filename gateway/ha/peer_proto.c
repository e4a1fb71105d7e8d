/*
 * peer_proto: frames and messages of the peer channel. See peer_proto.h.
 */
#include "gateway/ha/peer_proto.h"

#include <netinet/in.h>
#include <string.h>

_Static_assert(PEER_BLOCK_HDR_LEN + PEER_BLOCKS_PER_MSG * PEER_BLOCK_LEN <= PEER_PAYLOAD_MAX, "a BLOCK fits");
_Static_assert(PEER_KEYS_HDR_LEN + PEER_KEYS_MAX * PEER_KEY_LEN <= PEER_PAYLOAD_MAX, "KEYS fit");
_Static_assert(PEER_REMAINING_MAX_MS <= UINT32_MAX, "remaining times travel as u32");
_Static_assert(PEER_CHUNK_HDR_LEN + PEER_CHUNK_DATA_MAX <= PEER_PAYLOAD_MAX, "a chunk fits");
_Static_assert(sizeof(struct peer_chunk) <= sizeof(struct peer_blocks), "chunks do not grow the mailboxes");
_Static_assert(PEER_BLOB_MAX <= UINT32_MAX && PEER_BLOB_INDEX_MAX <= 256, "chunk fields");
_Static_assert(TLS_TICKET_NAME_LEN + TLS_TICKET_KEY_LEN + 16 == PEER_KEY_LEN, "key layout");

static const char *const drop_names[PEER_DROP_COUNT] = {
    [PEER_DROP_VERSION] = "version", [PEER_DROP_TYPE] = "type",           [PEER_DROP_LENGTH] = "length",
    [PEER_DROP_REPLAY] = "replay",   [PEER_DROP_SEQUENCE] = "sequence",   [PEER_DROP_HELLO] = "hello",
    [PEER_DROP_MEANING] = "meaning", [PEER_DROP_TRUNCATED] = "truncated",
};

const char *peer_drop_name(enum peer_drop why)
{
    return (unsigned)why < PEER_DROP_COUNT ? drop_names[why] : "unknown";
}

const char *peer_msg_type_name(enum peer_msg_type type)
{
    static const char *const names[PEER_MSG_TYPE_END] = {
        [PEER_MSG_HELLO] = "hello", [PEER_MSG_PING] = "ping",           [PEER_MSG_KEYS] = "keys",
        [PEER_MSG_BLOCK] = "block", [PEER_MSG_SYNC_DONE] = "sync_done", [PEER_MSG_CHUNK] = "chunk",
    };
    return type > 0 && type < PEER_MSG_TYPE_END ? names[type] : "unknown";
}

/* ---- big-endian fields ---------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* An address: one family byte (4, 6) elsewhere, 16 address bytes here. */
static void put_addr(uint8_t *family, uint8_t *bytes, const struct ip_addr *a)
{
    memset(bytes, 0, 16);
    if (a->family == AF_INET) {
        *family = 4;
        memcpy(bytes, &a->u.v4, 4);
    } else {
        *family = 6;
        memcpy(bytes, &a->u.v6, 16);
    }
}

static bool get_addr(uint8_t family, const uint8_t *bytes, struct ip_addr *out)
{
    memset(out, 0, sizeof *out);
    if (family == 4 && all_zero(bytes + 4, 12)) {
        out->family = AF_INET;
        memcpy(&out->u.v4, bytes, 4);
        return true;
    }
    if (family == 6) {
        out->family = AF_INET6;
        memcpy(&out->u.v6, bytes, 16);
        return true;
    }
    return false;
}

static bool addr_ok(const struct ip_addr *a)
{
    return a->family == AF_INET || a->family == AF_INET6;
}

/* ---- frames --------------------------------------------------------------------------------- */

int peer_frame_parse(const uint8_t *buf, size_t n, struct peer_frame *out, enum peer_drop *why)
{
    if (n < PEER_HDR_LEN)
        return 0;
    if (buf[0] != PEER_PROTO_VERSION) {
        *why = PEER_DROP_VERSION;
        return -1;
    }
    if (buf[1] == 0 || buf[1] >= PEER_MSG_TYPE_END) {
        *why = PEER_DROP_TYPE;
        return -1;
    }
    uint16_t len = get16(buf + 2);
    if (len > PEER_PAYLOAD_MAX) {
        *why = PEER_DROP_LENGTH;
        return -1;
    }
    if (n < (size_t)PEER_HDR_LEN + len)
        return 0;
    *out =
        (struct peer_frame){.type = buf[1], .len = len, .seq = get64(buf + 4), .payload = buf + PEER_HDR_LEN};
    return PEER_HDR_LEN + len;
}

void peer_rx_init(struct peer_rx *rx)
{
    *rx = (struct peer_rx){.next_seq = 1};
}

int peer_rx_accept(struct peer_rx *rx, const struct peer_frame *f, struct peer_msg *msg, enum peer_drop *why)
{
    if (f->seq != rx->next_seq) {
        *why = f->seq < rx->next_seq ? PEER_DROP_REPLAY : PEER_DROP_SEQUENCE;
        return -1;
    }
    if ((f->type == PEER_MSG_HELLO) == rx->hello_seen) {
        *why = PEER_DROP_HELLO; /* a second HELLO, or anything before the first */
        return -1;
    }
    if (peer_msg_decode(f->type, f->payload, f->len, msg, why) < 0)
        return -1;
    rx->hello_seen = true;
    rx->next_seq++;
    return 0;
}

/* ---- payloads: decoding --------------------------------------------------------------------- */

static int decode_hello(const uint8_t *p, size_t len, struct peer_hello *h, enum peer_drop *why)
{
    *why = PEER_DROP_LENGTH;
    if (len != PEER_HELLO_LEN)
        return -1;
    *why = PEER_DROP_MEANING;
    h->version = get16(p);
    h->flags = get16(p + 2);
    h->ticket_lifetime_s = get32(p + 4);
    h->instance = get64(p + 28);
    if (h->version != PEER_PROTO_VERSION || (h->flags & ~PEER_HELLO_KEYS_FROM_FILE) || !all_zero(p + 9, 3))
        return -1;
    return get_addr(p[8], p + 12, &h->node) ? 0 : -1;
}

/* Strict order of keys: epoch, then name, then key bytes. */
static int key_cmp(const struct peer_key *a, const struct peer_key *b)
{
    if (a->epoch != b->epoch)
        return a->epoch < b->epoch ? -1 : 1;
    int c = memcmp(a->key.name, b->key.name, sizeof a->key.name);
    return c ? c : memcmp(a->key.key, b->key.key, sizeof a->key.key);
}

static bool keys_ok(const struct peer_keys *k)
{
    if (k->n < 1 || k->n > PEER_KEYS_MAX)
        return false;
    for (unsigned i = 0; i < k->n; i++)
        if (k->k[i].epoch == 0 || k->k[i].age_ms > PEER_KEY_AGE_MAX_MS)
            return false;
    return k->n == 1 || key_cmp(&k->k[0], &k->k[1]) > 0;
}

static int decode_keys(const uint8_t *p, size_t len, struct peer_keys *k, enum peer_drop *why)
{
    *why = PEER_DROP_LENGTH;
    if (len < PEER_KEYS_HDR_LEN || len != PEER_KEYS_HDR_LEN + (size_t)p[0] * PEER_KEY_LEN)
        return -1;
    *why = PEER_DROP_MEANING;
    if (!all_zero(p + 1, 3))
        return -1;
    k->n = p[0];
    for (unsigned i = 0; i < k->n && i < PEER_KEYS_MAX; i++) {
        const uint8_t *e = p + PEER_KEYS_HDR_LEN + i * PEER_KEY_LEN;
        k->k[i].epoch = get64(e);
        k->k[i].age_ms = get64(e + 8);
        memcpy(k->k[i].key.name, e + 16, TLS_TICKET_NAME_LEN);
        memcpy(k->k[i].key.key, e + 16 + TLS_TICKET_NAME_LEN, TLS_TICKET_KEY_LEN);
    }
    return keys_ok(k) ? 0 : -1;
}

static bool block_ok(const struct peer_block *b)
{
    if (!addr_ok(&b->addr))
        return false;
    if (b->op == PEER_OP_BLOCK)
        return b->remaining_ms >= 1 && b->remaining_ms <= PEER_REMAINING_MAX_MS;
    return b->op == PEER_OP_UNBLOCK && b->remaining_ms <= PEER_REMAINING_MAX_MS;
}

static bool blocks_ok(const struct peer_blocks *b)
{
    if (b->n < 1 || b->n > PEER_BLOCKS_PER_MSG || (b->flags & ~PEER_BLOCKS_SYNC))
        return false;
    for (unsigned i = 0; i < b->n; i++)
        if (!block_ok(&b->b[i]))
            return false;
    return true;
}

static int decode_blocks(const uint8_t *p, size_t len, struct peer_blocks *b, enum peer_drop *why)
{
    *why = PEER_DROP_LENGTH;
    if (len < PEER_BLOCK_HDR_LEN || len != PEER_BLOCK_HDR_LEN + (size_t)p[0] * PEER_BLOCK_LEN)
        return -1;
    *why = PEER_DROP_MEANING;
    b->n = p[0];
    b->flags = p[1];
    if (b->n > PEER_BLOCKS_PER_MSG || !all_zero(p + 2, 2))
        return -1;
    for (unsigned i = 0; i < b->n; i++) {
        const uint8_t *e = p + PEER_BLOCK_HDR_LEN + i * PEER_BLOCK_LEN;
        struct peer_block *x = &b->b[i];
        x->op = (enum peer_block_op)e[0];
        x->remaining_ms = get32(e + 4);
        if (!all_zero(e + 2, 2) || !get_addr(e[1], e + 8, &x->addr))
            return -1;
    }
    return blocks_ok(b) ? 0 : -1;
}

static bool chunk_ok(const struct peer_chunk *c)
{
    if (c->kind < PEER_BLOB_ACME_ACCOUNT || c->kind >= PEER_BLOB_KIND_END ||
        c->index >= PEER_BLOB_INDEX_MAX || (c->flags & ~PEER_CHUNK_LEADER) || c->id == 0 || c->total == 0 ||
        c->total > PEER_BLOB_MAX || c->offset >= c->total || c->offset % PEER_CHUNK_DATA_MAX)
        return false;
    uint32_t left = c->total - c->offset;
    return c->len == (left < PEER_CHUNK_DATA_MAX ? left : PEER_CHUNK_DATA_MAX);
}

static int decode_chunk(const uint8_t *p, size_t len, struct peer_chunk *c, enum peer_drop *why)
{
    *why = PEER_DROP_LENGTH;
    if (len <= PEER_CHUNK_HDR_LEN || len > PEER_CHUNK_HDR_LEN + PEER_CHUNK_DATA_MAX)
        return -1;
    *why = PEER_DROP_MEANING;
    c->kind = p[0];
    c->index = p[1];
    c->flags = p[2];
    c->id = get32(p + 4);
    c->total = get32(p + 8);
    c->offset = get32(p + 12);
    c->len = (uint16_t)(len - PEER_CHUNK_HDR_LEN);
    memcpy(c->data, p + PEER_CHUNK_HDR_LEN, c->len);
    return p[3] == 0 && chunk_ok(c) ? 0 : -1;
}

int peer_msg_decode(uint8_t type, const uint8_t *p, size_t len, struct peer_msg *msg, enum peer_drop *why)
{
    memset(msg, 0, sizeof *msg);
    msg->type = (enum peer_msg_type)type;
    switch (type) {
    case PEER_MSG_HELLO: return decode_hello(p, len, &msg->u.hello, why);
    case PEER_MSG_PING: *why = PEER_DROP_LENGTH; return len == 0 ? 0 : -1;
    case PEER_MSG_KEYS: return decode_keys(p, len, &msg->u.keys, why);
    case PEER_MSG_BLOCK: return decode_blocks(p, len, &msg->u.blocks, why);
    case PEER_MSG_SYNC_DONE:
        *why = PEER_DROP_LENGTH;
        if (len != PEER_SYNC_DONE_LEN)
            return -1;
        *why = PEER_DROP_MEANING;
        msg->u.sync_done.blocks = get32(p);
        return all_zero(p + 4, 4) ? 0 : -1;
    case PEER_MSG_CHUNK: return decode_chunk(p, len, &msg->u.chunk, why);
    default: *why = PEER_DROP_TYPE; return -1;
    }
}

/* ---- payloads: encoding --------------------------------------------------------------------- */

static size_t encode_hello(uint8_t *p, const struct peer_hello *h)
{
    if (h->version != PEER_PROTO_VERSION || (h->flags & ~PEER_HELLO_KEYS_FROM_FILE) || !addr_ok(&h->node))
        return 0;
    memset(p, 0, PEER_HELLO_LEN);
    put16(p, h->version);
    put16(p + 2, h->flags);
    put32(p + 4, h->ticket_lifetime_s);
    put_addr(&p[8], p + 12, &h->node);
    put64(p + 28, h->instance);
    return PEER_HELLO_LEN;
}

static size_t encode_keys(uint8_t *p, const struct peer_keys *k)
{
    if (!keys_ok(k))
        return 0;
    memset(p, 0, PEER_KEYS_HDR_LEN);
    p[0] = (uint8_t)k->n;
    for (unsigned i = 0; i < k->n; i++) {
        uint8_t *e = p + PEER_KEYS_HDR_LEN + i * PEER_KEY_LEN;
        put64(e, k->k[i].epoch);
        put64(e + 8, k->k[i].age_ms);
        memcpy(e + 16, k->k[i].key.name, TLS_TICKET_NAME_LEN);
        memcpy(e + 16 + TLS_TICKET_NAME_LEN, k->k[i].key.key, TLS_TICKET_KEY_LEN);
    }
    return PEER_KEYS_HDR_LEN + k->n * PEER_KEY_LEN;
}

static size_t encode_blocks(uint8_t *p, const struct peer_blocks *b)
{
    if (!blocks_ok(b))
        return 0;
    memset(p, 0, PEER_BLOCK_HDR_LEN);
    p[0] = (uint8_t)b->n;
    p[1] = (uint8_t)b->flags;
    for (unsigned i = 0; i < b->n; i++) {
        uint8_t *e = p + PEER_BLOCK_HDR_LEN + i * PEER_BLOCK_LEN;
        e[0] = (uint8_t)b->b[i].op;
        e[2] = e[3] = 0;
        put32(e + 4, b->b[i].remaining_ms);
        put_addr(&e[1], e + 8, &b->b[i].addr);
    }
    return PEER_BLOCK_HDR_LEN + b->n * PEER_BLOCK_LEN;
}

static size_t encode_chunk(uint8_t *p, const struct peer_chunk *c)
{
    if (!chunk_ok(c))
        return 0;
    p[0] = c->kind;
    p[1] = c->index;
    p[2] = c->flags;
    p[3] = 0;
    put32(p + 4, c->id);
    put32(p + 8, c->total);
    put32(p + 12, c->offset);
    memcpy(p + PEER_CHUNK_HDR_LEN, c->data, c->len);
    return PEER_CHUNK_HDR_LEN + c->len;
}

static size_t encode_payload(uint8_t *p, const struct peer_msg *msg)
{
    switch (msg->type) {
    case PEER_MSG_HELLO: return encode_hello(p, &msg->u.hello);
    case PEER_MSG_PING: return 0;
    case PEER_MSG_KEYS: return encode_keys(p, &msg->u.keys);
    case PEER_MSG_BLOCK: return encode_blocks(p, &msg->u.blocks);
    case PEER_MSG_SYNC_DONE:
        put32(p, msg->u.sync_done.blocks);
        put32(p + 4, 0);
        return PEER_SYNC_DONE_LEN;
    case PEER_MSG_CHUNK: return encode_chunk(p, &msg->u.chunk);
    default: return 0;
    }
}

size_t peer_encode(uint8_t *buf, size_t cap, uint64_t seq, const struct peer_msg *msg)
{
    uint8_t payload[PEER_PAYLOAD_MAX];
    if (msg->type < PEER_MSG_HELLO || msg->type >= PEER_MSG_TYPE_END)
        return 0;
    size_t len = encode_payload(payload, msg);
    if (len == 0 && msg->type != PEER_MSG_PING)
        return 0;
    if (cap < PEER_HDR_LEN + len)
        return 0;
    buf[0] = PEER_PROTO_VERSION;
    buf[1] = (uint8_t)msg->type;
    put16(buf + 2, (uint16_t)len);
    put64(buf + 4, seq);
    memcpy(buf + PEER_HDR_LEN, payload, len);
    return PEER_HDR_LEN + len;
}

bool peer_node_lower(const struct ip_addr *a, const struct ip_addr *b)
{
    if (a->family != b->family)
        return a->family == AF_INET;
    return memcmp(&a->u, &b->u, a->family == AF_INET ? sizeof a->u.v4 : sizeof a->u.v6) < 0;
}
