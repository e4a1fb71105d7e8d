/*
 * tls_hello: the first flight, gathered into one record, its extension
 * list checked for repeats. See tls_hello.h.
 */
#include "tls/tls_hello.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_HELLO_CONTENT_HANDSHAKE 22 /* record type (RFC 8446 section 5.1) */
#define TLS_HELLO_CLIENT_HELLO      1  /* handshake message type */
#define TLS_HELLO_MSG_HDR           4  /* handshake message header: type, 24-bit length */
#define TLS_HELLO_RANDOM            32
#define TLS_HELLO_EXT_TYPES         65536

void tls_hello_init(struct tls_hello *h)
{
    memset(h, 0, sizeof *h);
    h->state = TLS_HELLO_READING;
}

void tls_hello_free(struct tls_hello *h)
{
    free(h->out);
    h->out = NULL;
}

static enum tls_hello_state tls_hello_refuse(struct tls_hello *h, uint8_t alert, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum tls_hello_state tls_hello_refuse(struct tls_hello *h, uint8_t alert, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->why, sizeof h->why, fmt, ap);
    va_end(ap);
    h->alert = alert;
    h->state = TLS_HELLO_REFUSED;
    tls_hello_free(h);
    return h->state;
}

/* The first record is no TLS handshake record: mbedTLS gets every byte as
 * it came (and says what it makes of them). */
static enum tls_hello_state tls_hello_pass(struct tls_hello *h, const uint8_t *rest, size_t n)
{
    h->out = malloc(h->hdr_len + n);
    if (!h->out)
        return tls_hello_refuse(h, TLS_HELLO_ALERT_INTERNAL_ERROR, "out of memory");
    memcpy(h->out, h->hdr, h->hdr_len);
    memcpy(h->out + h->hdr_len, rest, n);
    h->out_len = h->hdr_len + n;
    h->state = TLS_HELLO_READY;
    return h->state;
}

static void tls_hello_put_header(uint8_t *p, const uint8_t version[2], size_t len)
{
    p[0] = TLS_HELLO_CONTENT_HANDSHAKE;
    p[1] = version[0];
    p[2] = version[1];
    p[3] = (uint8_t)(len >> 8);
    p[4] = (uint8_t)len;
}

/* A record header is in: its type and length are checked. */
static void tls_hello_record_begins(struct tls_hello *h)
{
    if (h->first_seen && h->hdr[0] != TLS_HELLO_CONTENT_HANDSHAKE) {
        tls_hello_refuse(h, TLS_HELLO_ALERT_UNEXPECTED_MESSAGE,
                         "a record of type %u between the ClientHello's fragments", h->hdr[0]);
        return;
    }
    h->rec_left = (uint32_t)h->hdr[3] << 8 | h->hdr[4];
    if (h->rec_left == 0) {
        tls_hello_refuse(h, TLS_HELLO_ALERT_DECODE_ERROR, "an empty handshake record in the ClientHello");
        return;
    }
    if (h->rec_left > TLS_HELLO_RECORD) {
        tls_hello_refuse(h, TLS_HELLO_ALERT_RECORD_OVERFLOW, "a record of %u bytes, over 2^14",
                         (unsigned)h->rec_left);
        return;
    }
    if (!h->first_seen) {
        h->first_seen = true;
        memcpy(h->version, h->hdr + 1, sizeof h->version);
    }
}

/* The message header is in: its length says how big a buffer to make. */
static void tls_hello_sized(struct tls_hello *h)
{
    h->need =
        TLS_HELLO_MSG_HDR + ((uint32_t)h->msg_hdr[1] << 16 | (uint32_t)h->msg_hdr[2] << 8 | h->msg_hdr[3]);
    if (h->need > TLS_HELLO_MAX) {
        tls_hello_refuse(h, TLS_HELLO_ALERT_ILLEGAL_PARAMETER, "a ClientHello of %u bytes, over the %u taken",
                         (unsigned)h->need, TLS_HELLO_MAX);
        return;
    }
    h->out = malloc(2 * TLS_HELLO_HDR + h->need + TLS_HELLO_READ);
    if (!h->out) {
        tls_hello_refuse(h, TLS_HELLO_ALERT_INTERNAL_ERROR, "out of memory");
        return;
    }
    memcpy(h->out + TLS_HELLO_HDR, h->msg_hdr, TLS_HELLO_MSG_HDR);
}

/* Payload bytes of the current record: how many were taken. */
static size_t tls_hello_payload(struct tls_hello *h, const uint8_t *p, size_t n)
{
    size_t take = n < h->rec_left ? n : h->rec_left;
    if (h->need == 0) {
        if (take > TLS_HELLO_MSG_HDR - h->pay_len)
            take = TLS_HELLO_MSG_HDR - h->pay_len;
        memcpy(h->msg_hdr + h->pay_len, p, take);
    } else {
        if (take > h->need - h->pay_len)
            take = h->need - h->pay_len;
        memcpy(h->out + TLS_HELLO_HDR + h->pay_len, p, take);
    }
    h->pay_len += (uint32_t)take;
    h->rec_left -= (uint32_t)take;
    if (h->need == 0 && h->pay_len == TLS_HELLO_MSG_HDR)
        tls_hello_sized(h);
    return take;
}

/* The whole ClientHello is in: checked, then laid out for mbedTLS as one
 * record, the rest of its last record under a header of its own, and
 * `rest`, what came after in this feed, as it came. */
static enum tls_hello_state tls_hello_complete(struct tls_hello *h, const uint8_t *rest, size_t n)
{
    const uint8_t *msg = h->out + TLS_HELLO_HDR;
    unsigned type;
    if (msg[0] == TLS_HELLO_CLIENT_HELLO &&
        tls_hello_repeated_extension(msg + TLS_HELLO_MSG_HDR, h->need - TLS_HELLO_MSG_HDR, &type))
        return tls_hello_refuse(h, TLS_HELLO_ALERT_ILLEGAL_PARAMETER,
                                "the ClientHello carries extension %u twice", type);
    tls_hello_put_header(h->out, h->version, h->need);
    size_t at = TLS_HELLO_HDR + h->need;
    if (h->rec_left > 0) {
        tls_hello_put_header(h->out + at, h->hdr + 1, h->rec_left);
        at += TLS_HELLO_HDR;
    }
    memcpy(h->out + at, rest, n);
    h->out_len = at + n;
    h->state = TLS_HELLO_READY;
    return h->state;
}

enum tls_hello_state tls_hello_feed(struct tls_hello *h, const uint8_t *data, size_t len)
{
    if (len > TLS_HELLO_READ)
        return tls_hello_refuse(h, TLS_HELLO_ALERT_INTERNAL_ERROR, "fed %zu bytes at once", len);
    size_t i = 0;
    while (h->state == TLS_HELLO_READING && i < len) {
        if (h->hdr_len < TLS_HELLO_HDR) {
            h->hdr[h->hdr_len++] = data[i++];
            bool not_tls = !h->first_seen && ((h->hdr_len == 1 && h->hdr[0] != TLS_HELLO_CONTENT_HANDSHAKE) ||
                                              (h->hdr_len == 2 && h->hdr[1] != 3));
            if (not_tls)
                return tls_hello_pass(h, data + i, len - i);
            if (h->hdr_len == TLS_HELLO_HDR)
                tls_hello_record_begins(h);
            continue;
        }
        i += tls_hello_payload(h, data + i, len - i);
        if (h->state == TLS_HELLO_READING && h->need != 0 && h->pay_len == h->need)
            return tls_hello_complete(h, data + i, len - i);
        if (h->rec_left == 0)
            h->hdr_len = 0; /* the next record's header */
    }
    return h->state;
}

uint8_t *tls_hello_take(struct tls_hello *h, size_t *len)
{
    if (h->state != TLS_HELLO_READY)
        return NULL;
    uint8_t *out = h->out;
    *len = h->out_len;
    h->out = NULL;
    h->state = TLS_HELLO_DONE;
    return out;
}

/* ---- the extension list ----------------------------------------------------- */

static size_t tls_hello_u16(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

/* Where the extension list's length field starts (legacy_version, random,
 * session id, cipher suites, compression methods before it); 0 if the
 * body ends first (no extensions: TLS 1.2 allows it). */
static size_t tls_hello_extensions_at(const uint8_t *b, size_t len)
{
    size_t at = 2 + TLS_HELLO_RANDOM;
    if (at >= len)
        return 0;
    at += 1 + (size_t)b[at];
    if (at + 2 > len)
        return 0;
    at += 2 + tls_hello_u16(b + at);
    if (at >= len)
        return 0;
    at += 1 + (size_t)b[at];
    return at + 2 <= len ? at : 0;
}

bool tls_hello_repeated_extension(const uint8_t *body, size_t len, unsigned *type)
{
    size_t at = tls_hello_extensions_at(body, len);
    if (at == 0)
        return false;
    size_t end = at + 2 + tls_hello_u16(body + at);
    if (end > len)
        end = len;
    uint64_t seen[TLS_HELLO_EXT_TYPES / 64] = {0};
    for (at += 2; at + 4 <= end; at += 4 + tls_hello_u16(body + at + 2)) {
        unsigned t = (unsigned)tls_hello_u16(body + at);
        if (seen[t / 64] >> (t % 64) & 1) {
            *type = t;
            return true;
        }
        seen[t / 64] |= 1ull << (t % 64);
    }
    return false;
}
