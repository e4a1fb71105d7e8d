/* libFuzzer target: tls/tls_hello.c, the first flight's pre-reader. The
 * input is what a client sends (after a first byte that seeds how it is
 * cut into reads). Checked, besides memory safety under ASan and UBSan:
 *  - the verdict never depends on how the bytes arrive: fed in reads of
 *    TLS_HELLO_READ and in reads of 1 to 16 bytes, the state is the same,
 *    a refusal has the same alert and reason, and what mbedTLS would read
 *    (the pre-reader's output, then the bytes not fed to it) is the same;
 *  - a gathered ClientHello is one record of exactly the handshake bytes
 *    the input's records carried, by a reference that reads them whole;
 *  - the repeated-extension scan agrees with a quadratic one.
 * Run: make fuzz && build-fuzz/fuzz/fuzz_tls_hello -max_total_time=60
 *      (tests/fuzz/README.md) */
#include "tls/tls_hello.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
    enum tls_hello_state state;
    uint8_t alert;
    char why[TLS_HELLO_WHY_MAX];
    uint8_t *stream; /* output, then the bytes never fed */
    size_t stream_len;
    size_t out_len;
};

static void die(const char *what)
{
    fprintf(stderr, "fuzz_tls_hello: %s\n", what);
    abort();
}

/* Feeds wire in reads whose sizes come from seed (0: TLS_HELLO_READ each). */
static void run(const uint8_t *wire, size_t n, uint32_t seed, struct outcome *o)
{
    struct tls_hello h;
    tls_hello_init(&h);
    size_t off = 0;
    enum tls_hello_state st = TLS_HELLO_READING;
    while (off < n && st == TLS_HELLO_READING) {
        seed = seed * 1103515245u + 12345u;
        size_t k = seed ? 1 + (seed >> 16) % 16 : TLS_HELLO_READ;
        if (k > n - off)
            k = n - off;
        st = tls_hello_feed(&h, wire + off, k);
        off += k;
    }
    *o = (struct outcome){.state = st, .alert = h.alert};
    memcpy(o->why, h.why, sizeof o->why);
    size_t out_len = 0;
    uint8_t *out = st == TLS_HELLO_READY ? tls_hello_take(&h, &out_len) : NULL;
    if (st == TLS_HELLO_READY && (!out || h.state != TLS_HELLO_DONE))
        die("READY but nothing to take");
    o->out_len = out_len;
    o->stream_len = out_len + (n - off);
    o->stream = malloc(o->stream_len + 1);
    if (out_len)
        memcpy(o->stream, out, out_len);
    memcpy(o->stream + out_len, wire + off, n - off);
    free(out);
    tls_hello_free(&h);
}

/* The handshake bytes of wire's leading handshake records, whole: how many
 * of them up to `need` (the reference for a gathered ClientHello). */
static size_t reference_payload(const uint8_t *wire, size_t n, uint8_t *pay, size_t need)
{
    size_t got = 0;
    for (size_t at = 0; at + 5 <= n && got < need && wire[at] == 22;) {
        size_t len = (size_t)wire[at + 3] << 8 | wire[at + 4];
        for (size_t i = 0; i < len && at + 5 + i < n && got < need; i++)
            pay[got++] = wire[at + 5 + i];
        at += 5 + len;
    }
    return got;
}

static void check_gathered(const uint8_t *wire, size_t n, const struct outcome *o)
{
    if (o->state != TLS_HELLO_READY || n < 2 || wire[0] != 22 || wire[1] != 3)
        return; /* passed through untouched, checked by the comparison */
    const uint8_t *rec = o->stream;
    if (o->out_len < 9 || rec[0] != 22 || rec[1] != wire[1] || rec[2] != wire[2])
        die("a gathered ClientHello does not start with the first record's header");
    size_t len = (size_t)rec[3] << 8 | rec[4];
    size_t need = 4 + ((size_t)rec[6] << 16 | (size_t)rec[7] << 8 | rec[8]);
    if (len != need || need > TLS_HELLO_MAX || 5 + len > o->out_len)
        die("the gathered record's length is not the ClientHello's");
    static uint8_t pay[TLS_HELLO_MAX];
    if (reference_payload(wire, n, pay, need) != need || memcmp(pay, rec + 5, need) != 0)
        die("the gathered record is not the handshake bytes the records carried");
}

static bool naive_repeat(const uint8_t *b, size_t len)
{
    size_t at = 34;
    if (at >= len)
        return false;
    at += 1 + (size_t)b[at];
    if (at + 2 > len)
        return false;
    at += 2 + ((size_t)b[at] << 8 | b[at + 1]);
    if (at >= len)
        return false;
    at += 1 + (size_t)b[at];
    if (at + 2 > len)
        return false;
    size_t end = at + 2 + ((size_t)b[at] << 8 | b[at + 1]);
    if (end > len)
        end = len;
    for (size_t i = at + 2; i + 4 <= end; i += 4 + ((size_t)b[i + 2] << 8 | b[i + 3]))
        for (size_t j = at + 2; j < i; j += 4 + ((size_t)b[j + 2] << 8 | b[j + 3]))
            if (b[i] == b[j] && b[i + 1] == b[j + 1])
                return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *wire = data + 1;
    size_t n = size - 1;
    struct outcome whole, cut;
    run(wire, n, 0, &whole);
    run(wire, n, data[0] | 1u, &cut);
    if (whole.state != cut.state)
        die("the verdict depends on how the bytes arrive");
    if (whole.state == TLS_HELLO_REFUSED && (whole.alert != cut.alert || strcmp(whole.why, cut.why) != 0))
        die("the refusal depends on how the bytes arrive");
    if (whole.state == TLS_HELLO_READY &&
        (whole.stream_len != cut.stream_len || memcmp(whole.stream, cut.stream, whole.stream_len) != 0))
        die("what mbedTLS reads depends on how the bytes arrive");
    check_gathered(wire, n, &whole);
    unsigned type;
    if (tls_hello_repeated_extension(wire, n, &type) != naive_repeat(wire, n))
        die("the repeated-extension scan disagrees with the quadratic one");
    free(whole.stream);
    free(cut.stream);
    return 0;
}
