/*
 * Unit tests for tls/tls_hello.c, the first flight's pre-reader: a
 * ClientHello in any number of records (down to 1 byte each) and in any
 * number of reads becomes the same single record; what follows it is kept
 * in order; a first record that is not TLS passes untouched; the refusals
 * (another record type between fragments, an empty fragment, a record over
 * 2^14, a ClientHello over TLS_HELLO_MAX, an extension twice) name their
 * alert. ClientHellos are built here byte by byte (RFC 8446 section 4.1.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls/tls_hello.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_MSG_MAX  (TLS_HELLO_MAX + 64)
#define TEST_WIRE_MAX (TEST_MSG_MAX * 6 + 64)

struct bytes {
    uint8_t b[TEST_WIRE_MAX];
    size_t n;
};

static void put(struct bytes *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put16(struct bytes *o, size_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(o, b, 2);
}

/* A ClientHello handshake message with the extension types `types` (each
 * with `ext_len` bytes of data), padded with one extension of `pad` bytes
 * (type 21, padding) when pad > 0. */
static void client_hello(struct bytes *msg, const unsigned *types, unsigned n_types, size_t ext_len,
                         size_t pad)
{
    struct bytes body = {.n = 0};
    static const uint8_t random[32] = {1, 2, 3};
    put16(&body, 0x0303);
    put(&body, random, sizeof random);
    put(&body, "\x00", 1);             /* session id */
    put(&body, "\x00\x02\x13\x01", 4); /* one cipher suite */
    put(&body, "\x01\x00", 2);         /* compression: null */
    size_t list = n_types * (4 + ext_len) + (pad ? 4 + pad : 0);
    put16(&body, list);
    for (unsigned i = 0; i < n_types; i++) {
        put16(&body, types[i]);
        put16(&body, ext_len);
        for (size_t k = 0; k < ext_len; k++)
            put(&body, "x", 1);
    }
    if (pad) {
        put16(&body, 21);
        put16(&body, pad);
        for (size_t k = 0; k < pad; k++)
            put(&body, "\0", 1);
    }
    msg->n = 0;
    uint8_t hdr[4] = {1, (uint8_t)(body.n >> 16), (uint8_t)(body.n >> 8), (uint8_t)body.n};
    put(msg, hdr, 4);
    put(msg, body.b, body.n);
}

/* msg as records of `size` payload bytes each (type 22, version 3.1). */
static void records(struct bytes *wire, const struct bytes *msg, size_t size, uint8_t type)
{
    for (size_t off = 0; off < msg->n; off += size) {
        size_t k = msg->n - off < size ? msg->n - off : size;
        uint8_t hdr[5] = {type, 3, 1, (uint8_t)(k >> 8), (uint8_t)k};
        put(wire, hdr, 5);
        put(wire, msg->b + off, k);
    }
}

/* Feeds wire in reads of `read` bytes; the state it ends in. */
static enum tls_hello_state feed(struct tls_hello *h, const struct bytes *wire, size_t read)
{
    tls_hello_init(h);
    enum tls_hello_state st = TLS_HELLO_READING;
    for (size_t off = 0; off < wire->n && st == TLS_HELLO_READING; off += read) {
        size_t k = wire->n - off < read ? wire->n - off : read;
        st = tls_hello_feed(h, wire->b + off, k);
    }
    return st;
}

/* What mbedTLS gets, into out. */
static void take(struct tls_hello *h, struct bytes *out)
{
    size_t len = 0;
    uint8_t *p = tls_hello_take(h, &len);
    assert_non_null(p);
    out->n = 0;
    put(out, p, len);
    free(p);
    assert_int_equal(h->state, TLS_HELLO_DONE);
}

static const unsigned common_types[] = {0, 10, 13, 43, 51};

static void test_one_record_passes_unchanged(void **state)
{
    (void)state;
    struct bytes msg, wire = {.n = 0}, out;
    client_hello(&msg, common_types, 5, 3, 0);
    records(&wire, &msg, TLS_HELLO_RECORD, 22);
    struct tls_hello h;
    assert_int_equal(feed(&h, &wire, TLS_HELLO_READ), TLS_HELLO_READY);
    take(&h, &out);
    assert_int_equal(out.n, wire.n);
    assert_memory_equal(out.b, wire.b, wire.n);
    tls_hello_free(&h);
}

/* 1-, 2-, 3-byte records (less than the handshake header: what mbedTLS
 * alone refuses), fed 1 byte or 7 bytes or 4 KiB at a time: always the
 * single record. */
static void test_small_records_become_one(void **state)
{
    (void)state;
    struct bytes msg, whole = {.n = 0}, out;
    client_hello(&msg, common_types, 5, 3, 0);
    records(&whole, &msg, TLS_HELLO_RECORD, 22);
    static const size_t sizes[] = {1, 2, 3, 4, 100};
    static const size_t reads[] = {1, 7, TLS_HELLO_READ};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t r = 0; r < sizeof reads / sizeof reads[0]; r++) {
            static struct bytes wire;
            wire.n = 0;
            records(&wire, &msg, sizes[s], 22);
            struct tls_hello h;
            assert_int_equal(feed(&h, &wire, reads[r]), TLS_HELLO_READY);
            take(&h, &out);
            assert_int_equal(out.n, whole.n);
            assert_memory_equal(out.b, whole.b, whole.n);
            tls_hello_free(&h);
        }
    }
}

/* What follows the ClientHello in the same read (a change_cipher_spec
 * record here) comes after it, as it came; the rest of the ClientHello's
 * last record (two bytes here) gets a header of its own. */
static void test_what_follows_is_kept(void **state)
{
    (void)state;
    static struct bytes msg, wire, out, want;
    client_hello(&msg, common_types, 5, 3, 0);
    struct bytes head = msg;
    head.n--;
    wire.n = want.n = 0;
    records(&wire, &head, 1, 22);
    uint8_t last[] = {22, 3, 1, 0, 3, msg.b[msg.n - 1], 'Z', 'Z'};
    put(&wire, last, sizeof last);
    put(&wire, "\x14\x03\x03\x00\x01\x01", 6);
    records(&want, &msg, TLS_HELLO_RECORD, 22);
    put(&want, "\x16\x03\x01\x00\x02ZZ", 7);
    put(&want, "\x14\x03\x03\x00\x01\x01", 6);
    struct tls_hello h;
    assert_int_equal(feed(&h, &wire, TLS_HELLO_READ), TLS_HELLO_READY);
    take(&h, &out);
    assert_int_equal(out.n, want.n);
    assert_memory_equal(out.b, want.b, want.n);
    tls_hello_free(&h);
}

/* Plain HTTP on the TLS port: mbedTLS gets it untouched (it says what
 * it is in the log). */
static void test_not_tls_passes_untouched(void **state)
{
    (void)state;
    struct bytes wire = {.n = 0}, out;
    put(&wire, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27);
    struct tls_hello h;
    assert_int_equal(feed(&h, &wire, 1), TLS_HELLO_READY);
    take(&h, &out);
    assert_int_equal(out.n, 1); /* decided at the first byte: the rest comes from the socket */
    assert_int_equal(out.b[0], 'G');
    assert_int_equal(feed(&h, &wire, TLS_HELLO_READ), TLS_HELLO_READY);
    take(&h, &out);
    assert_int_equal(out.n, wire.n);
    assert_memory_equal(out.b, wire.b, wire.n);
    tls_hello_free(&h);
}

static void expect_refused(const struct bytes *wire, uint8_t alert, const char *why_part)
{
    struct tls_hello h;
    assert_int_equal(feed(&h, wire, 1), TLS_HELLO_REFUSED);
    assert_int_equal(h.alert, alert);
    assert_non_null(strstr(h.why, why_part));
    size_t len = 1;
    assert_null(tls_hello_take(&h, &len));
    tls_hello_free(&h);
    assert_int_equal(feed(&h, wire, TLS_HELLO_READ), TLS_HELLO_REFUSED);
    tls_hello_free(&h);
}

static void test_refusals(void **state)
{
    (void)state;
    struct bytes msg, wire = {.n = 0};
    client_hello(&msg, common_types, 5, 3, 0);
    records(&wire, &msg, 1, 22);
    wire.n = 30; /* five 1-byte records */
    put(&wire, "\x17\x03\x03\x00\x01\x00", 6);
    expect_refused(&wire, TLS_HELLO_ALERT_UNEXPECTED_MESSAGE, "type 23");
    wire.n = 12; /* two 1-byte records */
    put(&wire, "\x16\x03\x01\x00\x00", 5);
    expect_refused(&wire, TLS_HELLO_ALERT_DECODE_ERROR, "empty");
    wire.n = 0;
    put(&wire, "\x16\x03\x01\x40\x01", 5); /* 16385 */
    expect_refused(&wire, TLS_HELLO_ALERT_RECORD_OVERFLOW, "16385");
}

/* TLS_HELLO_MAX bytes with the header: taken; one more: refused. */
static void test_hello_size_boundary(void **state)
{
    (void)state;
    static struct bytes msg, wire;
    client_hello(&msg, common_types, 1, 0, 1);
    size_t base = msg.n;
    client_hello(&msg, common_types, 1, 0, TLS_HELLO_MAX - base + 1);
    assert_int_equal(msg.n, TLS_HELLO_MAX);
    wire.n = 0;
    records(&wire, &msg, 3, 22);
    struct tls_hello h;
    assert_int_equal(feed(&h, &wire, TLS_HELLO_READ), TLS_HELLO_READY);
    size_t len;
    uint8_t *p = tls_hello_take(&h, &len);
    assert_int_equal(len, TLS_HELLO_HDR + TLS_HELLO_MAX);
    assert_memory_equal(p + TLS_HELLO_HDR, msg.b, msg.n);
    free(p);
    client_hello(&msg, common_types, 1, 0, TLS_HELLO_MAX - base + 2);
    wire.n = 0;
    records(&wire, &msg, 3, 22);
    expect_refused(&wire, TLS_HELLO_ALERT_ILLEGAL_PARAMETER, "16385 bytes");
}

/* An extension twice: illegal_parameter, the type named; at the ends of
 * the type space too. */
static void test_repeated_extension_refused(void **state)
{
    (void)state;
    static const unsigned twice[][3] = {{0, 10, 0}, {65535, 1, 65535}, {13, 13, 7}};
    static const unsigned named[] = {0, 65535, 13};
    for (unsigned i = 0; i < 3; i++) {
        struct bytes msg, wire = {.n = 0};
        client_hello(&msg, twice[i], 3, 2, 0);
        records(&wire, &msg, 2, 22);
        char want[32];
        snprintf(want, sizeof want, "extension %u twice", named[i]);
        expect_refused(&wire, TLS_HELLO_ALERT_ILLEGAL_PARAMETER, want);
    }
}

static void test_repeated_extension_scan(void **state)
{
    (void)state;
    struct bytes msg;
    unsigned type = 0;
    client_hello(&msg, common_types, 5, 1, 0);
    assert_false(tls_hello_repeated_extension(msg.b + 4, msg.n - 4, &type));
    static const unsigned dup[] = {43, 51, 43};
    client_hello(&msg, dup, 3, 1, 0);
    assert_true(tls_hello_repeated_extension(msg.b + 4, msg.n - 4, &type));
    assert_int_equal(type, 43);
    /* cut inside the list: what is there is judged, no read past the end */
    assert_false(tls_hello_repeated_extension(msg.b + 4, msg.n - 4 - 6, &type));
    /* no extensions at all (TLS 1.2 allows it), and a body cut anywhere */
    client_hello(&msg, dup, 0, 0, 0);
    for (size_t n = 0; n <= msg.n - 4; n++)
        assert_false(tls_hello_repeated_extension(msg.b + 4, n, &type));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_record_passes_unchanged),
        cmocka_unit_test(test_small_records_become_one),
        cmocka_unit_test(test_what_follows_is_kept),
        cmocka_unit_test(test_not_tls_passes_untouched),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_hello_size_boundary),
        cmocka_unit_test(test_repeated_extension_refused),
        cmocka_unit_test(test_repeated_extension_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
