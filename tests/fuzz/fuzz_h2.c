/* libFuzzer target: any bytes as an HTTP/2 client's stream (after the
 * client preface, unless the first byte says otherwise), fed in pieces
 * of varying size to a gateway/http/h2_session with an owner that plays
 * the gateway: it takes streams (up to a few), answers each request head
 * (with and without a body), keeps request bodies in a buffer of its own
 * that it empties only now and then (so the session stalls and unstalls),
 * and reads the session's output after every piece. Every frame goes
 * through h2_limits and every field through h2_rules. Never a crash, a
 * leak or undefined behaviour, and these hold: the owner's buffer never
 * overflows (the window and the stall keep the client within it), every
 * stream the session opened is closed exactly once, and a session that
 * said it is done stays done.
 * Run: make fuzz && build-fuzz/fuzz/fuzz_h2 -max_total_time=60 */
#include "gateway/http/h2_session.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_STREAMS 4
#define FUZZ_BUF     2048
#define FUZZ_OUT     65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fstream {
    struct h2_stream st;
    char buf[FUZZ_BUF];
    size_t held;
    bool used, answered;
};

struct fowner {
    struct h2_session *s;
    struct fstream streams[FUZZ_STREAMS];
    unsigned open, closes;
    uint8_t mode; /* from the input: how the owner answers */
};

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c))                                                                                            \
            __builtin_trap();                                                                                \
    } while (0)

static struct fstream *fs_of(struct h2_stream *st)
{
    return (struct fstream *)((char *)st - offsetof(struct fstream, st));
}

static struct h2_stream *f_open(void *arg, int32_t id)
{
    struct fowner *o = arg;
    for (unsigned i = 0; i < FUZZ_STREAMS; i++) {
        struct fstream *f = &o->streams[i];
        if (!f->used) {
            memset(f, 0, sizeof *f);
            f->used = true;
            o->open++;
            h2_session_stream_init(o->s, &f->st, id, f->buf, sizeof f->buf);
            return &f->st;
        }
    }
    return NULL;
}

static void f_request(void *arg, struct h2_stream *st, unsigned status)
{
    struct fowner *o = arg;
    struct fstream *f = fs_of(st);
    CHECK(f->used && st->head.len <= sizeof f->buf);
    static const char *const codes[] = {"200", "204", "431", "100"};
    const char *code = status ? "431" : codes[o->mode & 3];
    struct h2_field fl[] = {{":status", code, 7, 3}, {"content-type", "text/plain", 12, 10}};
    bool final = code[0] != '1';
    h2_session_respond(o->s, st, fl, 2, final, final && (o->mode & 4));
    f->answered = final;
}

static size_t f_data(void *arg, struct h2_stream *st, const uint8_t *p, size_t n)
{
    struct fowner *o = arg;
    struct fstream *f = fs_of(st);
    (void)p;
    size_t room = sizeof f->buf - f->held;
    size_t took = n < room ? n : room;
    f->held += took;
    CHECK(f->held <= sizeof f->buf);
    if (o->mode & 8) { /* a backend that keeps up */
        f->held = 0;
        h2_session_body_sent(o->s, st, 0);
    }
    return took;
}

static void f_end(void *arg, struct h2_stream *st)
{
    (void)arg;
    CHECK(fs_of(st)->used);
}

static void f_close(void *arg, struct h2_stream *st, uint32_t code)
{
    struct fowner *o = arg;
    struct fstream *f = fs_of(st);
    (void)code;
    CHECK(f->used);
    f->used = false;
    o->open--;
    o->closes++;
}

static size_t f_body(void *arg, struct h2_stream *st, uint8_t *buf, size_t n, bool *eof)
{
    (void)arg, (void)st;
    size_t take = n < 5 ? n : 5;
    memcpy(buf, "hello", take);
    *eof = true;
    return take;
}

static void f_event(void *arg, enum h2_event ev, uint32_t code)
{
    (void)arg, (void)ev, (void)code;
}

static const struct h2_session_ops fuzz_ops = {f_open, f_request, f_data, f_end, f_close, f_body, f_event};

static const struct h2_settings fuzz_settings = {
    .max_concurrent_streams = FUZZ_STREAMS,
    .header_table_size = 4096,
    .max_header_list_size = 1024,
    .max_fields = 16,
    .stream_window = FUZZ_BUF - H2_CHUNK_SLACK,
    .limits = {.max_continuations = 4,
               .max_header_block = 4096,
               .max_idle_frames = 64,
               .max_resets_per_s = 16},
};

/* Drains the session's output; every few pieces the owner's buffers empty. */
static void f_turn(struct fowner *o, unsigned piece)
{
    static uint8_t out[FUZZ_OUT];
    while (h2_session_send(o->s, out, sizeof out) > 0)
        ;
    if (piece % 3 == 0) {
        for (unsigned i = 0; i < FUZZ_STREAMS; i++) {
            struct fstream *f = &o->streams[i];
            if (f->used) {
                f->held = 0;
                h2_session_body_sent(o->s, &f->st, 0);
            }
        }
        h2_session_unstall(o->s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    struct fowner o = {.mode = data[1]};
    o.s = h2_session_new(&fuzz_settings, &fuzz_ops, &o, 1000);
    if (!o.s)
        return 0;
    size_t piece = (data[0] >> 1) % 64 + 1;
    uint64_t now = 1000;
    if (!(data[0] & 1)) {
        size_t used;
        h2_session_recv(o.s, (const uint8_t *)preface, sizeof preface - 1, now, &used);
    }
    const uint8_t *p = data + 2;
    size_t left = size - 2;
    bool done = false;
    for (unsigned turn = 0; left > 0 && turn < 4096; turn++) {
        size_t n = left < piece ? left : piece, used = 0;
        int rc = h2_session_recv(o.s, p, n, now += 3, &used);
        CHECK(used <= n);
        p += used;
        left -= used;
        f_turn(&o, turn);
        if (done)
            CHECK(h2_session_done(o.s));
        done = h2_session_done(o.s);
        if (rc < 0)
            break;
    }
    f_turn(&o, 0);
    h2_session_free(o.s); /* closes what is still open */
    CHECK(o.open == 0);
    return 0;
}
