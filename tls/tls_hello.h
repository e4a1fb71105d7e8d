/*
 * tls_hello: the pre-reader of a connection's first flight. Until the
 * client's whole ClientHello is in, tls_conn.c hands what the socket
 * brings to tls_hello_feed instead of to mbedTLS; then mbedTLS gets the
 * ClientHello as one record, followed by the bytes that came after it, as
 * if the client had sent it so.
 *
 * Why: RFC 8446 section 5.1 lets a handshake message span any number of
 * records, and OpenSSL-based servers take a ClientHello cut into 1-byte
 * records, but mbedTLS 3.6 reassembles only a message whose first fragment
 * holds the whole 4-byte handshake header (ssl_msg.c: "handshake message
 * too short"). And mbedTLS takes a ClientHello that carries an extension
 * twice, which RFC 8446 section 4.2 forbids ("There MUST NOT be more than
 * one extension of the same type in a given extension block"); OpenSSL
 * answers it with illegal_parameter, and so does the pre-reader.
 *
 * What it refuses itself, with a fatal alert (tls_conn.c sends it, counts a
 * protocol failure and logs `why`): a record of another type between the
 * ClientHello's fragments (unexpected_message, RFC 8446 section 5.1), an
 * empty handshake fragment (decode_error, ibid.), a record over 2^14 bytes
 * (record_overflow), a ClientHello over TLS_HELLO_MAX (illegal_parameter,
 * as OpenSSL's "excessive message size"), an extension twice
 * (illegal_parameter). What it leaves to mbedTLS: a first record that is
 * not a TLS handshake record (plain HTTP, SSLv2, an alert: passed on
 * untouched, so mbedTLS's own answer and log line stay), and everything
 * inside the ClientHello but the extension list's repeats.
 *
 * Bounds: a ClientHello of at most TLS_HELLO_MAX bytes with its header
 * (MBEDTLS_SSL_IN_CONTENT_LEN: mbedTLS reads no bigger message);
 * tls_hello_feed takes at most TLS_HELLO_READ bytes at a time. Memory: the
 * struct only, until the ClientHello's length is known; then one buffer
 * for it (an attacker pays each byte of it). Deadline: the handshake's
 * (header_timeout, gateway/proxy/conn.c). Only the first ClientHello: the
 * second one after a HelloRetryRequest goes to mbedTLS as it comes.
 *
 * Pure (no sockets): tests/unit/test_tls_hello.c and
 * tests/fuzz/fuzz_tls_hello.c drive it. Internal to tls/.
 */
#ifndef RAMPART_TLS_TLS_HELLO_H
#define RAMPART_TLS_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_HELLO_MAX     16384 /* ClientHello bytes, its 4-byte header included */
#define TLS_HELLO_READ    4096  /* bytes one tls_hello_feed takes at most */
#define TLS_HELLO_RECORD  16384 /* 2^14: the largest plaintext record (RFC 8446 section 5.1) */
#define TLS_HELLO_HDR     5     /* a record header: type, version, length */
#define TLS_HELLO_WHY_MAX 96

/* RFC 8446 section 6 alert descriptions the pre-reader sends. */
#define TLS_HELLO_ALERT_UNEXPECTED_MESSAGE 10
#define TLS_HELLO_ALERT_RECORD_OVERFLOW    22
#define TLS_HELLO_ALERT_ILLEGAL_PARAMETER  47
#define TLS_HELLO_ALERT_DECODE_ERROR       50
#define TLS_HELLO_ALERT_INTERNAL_ERROR     80

enum tls_hello_state {
    TLS_HELLO_READING, /* feed more */
    TLS_HELLO_READY,   /* tls_hello_take: the bytes for mbedTLS */
    TLS_HELLO_REFUSED, /* send alert `alert`, fail the handshake (`why`) */
    TLS_HELLO_DONE,    /* taken: mbedTLS reads the socket itself from here */
};

struct tls_hello {
    enum tls_hello_state state;
    uint8_t hdr[TLS_HELLO_HDR]; /* the record header being read */
    uint8_t hdr_len;
    bool first_seen;    /* the first record's header is in */
    uint8_t version[2]; /* ...and its version, for the record mbedTLS gets */
    uint32_t rec_left;  /* payload bytes of the current record not read yet */
    uint8_t msg_hdr[4]; /* the ClientHello's header, before `out` exists */
    uint32_t pay_len;   /* handshake bytes gathered so far */
    uint32_t need;      /* the ClientHello's length with its header; 0: not known yet */
    uint8_t *out;       /* record header + ClientHello [+ header + rest of its record] + what followed */
    size_t out_len;
    uint8_t alert;
    char why[TLS_HELLO_WHY_MAX];
};

void tls_hello_init(struct tls_hello *h);
/* Bytes from the socket, in order, len <= TLS_HELLO_READ; the new state. */
enum tls_hello_state tls_hello_feed(struct tls_hello *h, const uint8_t *data, size_t len);
/* READY: the bytes to give mbedTLS (the caller frees them), *len their
 * count; the state becomes DONE. */
uint8_t *tls_hello_take(struct tls_hello *h, size_t *len);
void tls_hello_free(struct tls_hello *h);

/* Whether the ClientHello body (after its 4-byte header) carries an
 * extension twice: true and its type. A list that does not parse is not
 * judged here (mbedTLS answers decode_error), only the extensions before
 * the flaw are. */
bool tls_hello_repeated_extension(const uint8_t *body, size_t len, unsigned *type);

#endif /* RAMPART_TLS_TLS_HELLO_H */
