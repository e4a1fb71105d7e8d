/*
 * Unit tests for gateway/http/h2_limits.c: each budget at its boundary
 * (the last frame allowed, the first refused and where the cut is), what
 * counts as progress, and that frames split anywhere across reads are
 * judged the same. Frames are built by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/http/h2_limits.h"

#include <string.h>

#define T0 100000 /* a clock that is not zero */

static const struct h2_limits_config cfg = {
    .max_continuations = 4,
    .max_header_block = 1000,
    .max_idle_frames = 10,
    .max_resets_per_s = 50,
};

struct wire {
    uint8_t b[65536];
    size_t n;
};

static void put_frame(struct wire *w, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
    uint8_t *p = w->b + w->n;
    p[0] = (uint8_t)(len >> 16), p[1] = (uint8_t)(len >> 8), p[2] = (uint8_t)len;
    p[3] = type, p[4] = flags;
    p[5] = (uint8_t)(stream >> 24), p[6] = (uint8_t)(stream >> 16), p[7] = (uint8_t)(stream >> 8);
    p[8] = (uint8_t)stream;
    memset(p + H2_FRAME_HEAD_LEN, 0, len);
    w->n += H2_FRAME_HEAD_LEN + len;
}

static void preface(struct wire *w)
{
    memcpy(w->b, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", H2_PREFACE_LEN);
    w->n = H2_PREFACE_LEN;
}

static void scan(struct h2_scan *s)
{
    h2_scan_init(s, &cfg, T0);
}

/* All of w in one feed: how many bytes went on. */
static size_t feed(struct h2_scan *s, const struct wire *w)
{
    return h2_scan_feed(s, w->b, w->n, T0);
}

/* The same bytes one at a time: where the cut came. */
static size_t feed_bytewise(struct h2_scan *s, const struct wire *w)
{
    size_t passed = 0;
    for (size_t i = 0; i < w->n; i++) {
        size_t ok = h2_scan_feed(s, w->b + i, 1, T0);
        passed += ok;
        if (ok == 0)
            break;
    }
    return passed;
}

/* ---- CONTINUATION ------------------------------------------------------------------------ */

static void test_continuations_boundary(void **state)
{
    (void)state;
    struct wire w;
    preface(&w);
    put_frame(&w, 10, H2_FRAME_HEADERS, 0, 1);
    for (unsigned i = 1; i < cfg.max_continuations; i++)
        put_frame(&w, 10, H2_FRAME_CONTINUATION, 0, 1);
    size_t before_last = w.n;
    put_frame(&w, 10, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1); /* the 4th: allowed */
    struct h2_scan s;
    scan(&s);
    assert_int_equal(feed(&s, &w), w.n);
    assert_int_equal(s.hit, H2_LIMIT_NONE);

    w.n = before_last;
    put_frame(&w, 10, H2_FRAME_CONTINUATION, 0, 1);
    size_t cut = w.n;
    put_frame(&w, 10, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1); /* the 5th */
    scan(&s);
    assert_int_equal(feed(&s, &w), cut); /* everything before the 5th goes on */
    assert_int_equal(s.hit, H2_LIMIT_CONTINUATIONS);
    assert_int_equal(h2_scan_feed(&s, w.b, 10, T0), 0); /* and nothing after */

    scan(&s);
    /* however it is split: at most the first 8 bytes of its header went on
     * (in earlier reads), never the whole header */
    assert_in_range(feed_bytewise(&s, &w), cut, cut + H2_FRAME_HEAD_LEN - 1);
    assert_int_equal(s.hit, H2_LIMIT_CONTINUATIONS);
}

/* Empty CONTINUATIONs decode to nothing and still count. */
static void test_empty_continuations_count(void **state)
{
    (void)state;
    struct wire w;
    preface(&w);
    put_frame(&w, 0, H2_FRAME_HEADERS, 0, 1);
    for (unsigned i = 0; i < cfg.max_continuations + 1; i++)
        put_frame(&w, 0, H2_FRAME_CONTINUATION, 0, 1);
    struct h2_scan s;
    scan(&s);
    feed(&s, &w);
    assert_int_equal(s.hit, H2_LIMIT_CONTINUATIONS);
}

static void test_header_block_bytes_boundary(void **state)
{
    (void)state;
    for (int over = 0; over <= 1; over++) {
        struct wire w;
        preface(&w);
        put_frame(&w, 600, H2_FRAME_HEADERS, 0, 1);
        size_t cut = w.n;
        put_frame(&w, 400 + (uint32_t)over, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1);
        struct h2_scan s;
        scan(&s);
        assert_int_equal(feed(&s, &w), over ? cut : w.n);
        assert_int_equal(s.hit, over ? H2_LIMIT_HEADER_BLOCK : H2_LIMIT_NONE);
    }
    /* a new block starts from zero */
    struct wire w;
    preface(&w);
    put_frame(&w, 900, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 1);
    put_frame(&w, 900, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 3);
    struct h2_scan s;
    scan(&s);
    assert_int_equal(feed(&s, &w), w.n);
}

/* ---- frames without progress -------------------------------------------------------------- */

static void test_idle_frames_boundary(void **state)
{
    (void)state;
    const uint8_t kinds[] = {H2_FRAME_PING,
                             H2_FRAME_SETTINGS,
                             H2_FRAME_WINDOW_UPDATE,
                             H2_FRAME_PRIORITY,
                             H2_FRAME_GOAWAY,
                             0x42 /* unknown */,
                             0x10 /* PRIORITY_UPDATE */};
    for (unsigned k = 0; k < sizeof kinds; k++) {
        struct wire w;
        preface(&w);
        for (unsigned i = 0; i < cfg.max_idle_frames; i++)
            put_frame(&w, 8, kinds[k], 0, 0);
        size_t cut = w.n;
        struct h2_scan s;
        scan(&s);
        assert_int_equal(feed(&s, &w), w.n);
        put_frame(&w, 8, kinds[k], 0, 0);
        scan(&s);
        assert_int_equal(feed(&s, &w), cut);
        assert_int_equal(s.hit, H2_LIMIT_IDLE_FRAMES);
    }
}

static void test_empty_data_counts_end_stream_does_not(void **state)
{
    (void)state;
    struct wire w;
    preface(&w);
    for (unsigned i = 0; i < cfg.max_idle_frames + 1; i++)
        put_frame(&w, 0, H2_FRAME_DATA, 0, 1);
    struct h2_scan s;
    scan(&s);
    feed(&s, &w);
    assert_int_equal(s.hit, H2_LIMIT_IDLE_FRAMES);

    preface(&w);
    for (unsigned i = 0; i < 3 * cfg.max_idle_frames; i++)
        put_frame(&w, 0, i % cfg.max_idle_frames == 0 ? H2_FRAME_DATA : H2_FRAME_PING,
                  i % cfg.max_idle_frames == 0 ? H2_FLAG_END_STREAM : 0, 1);
    scan(&s);
    assert_int_equal(feed(&s, &w), w.n);
}

/* A complete header block, request body and response body restart the
 * count; a trickle below H2_PROGRESS_BYTES does not. */
static void test_progress_restarts_the_count(void **state)
{
    (void)state;
    struct h2_scan s;
    scan(&s);
    struct wire w;
    preface(&w);
    for (unsigned i = 0; i < cfg.max_idle_frames; i++)
        put_frame(&w, 4, H2_FRAME_WINDOW_UPDATE, 0, 0);
    assert_int_equal(feed(&s, &w), w.n);
    h2_scan_progress(&s, H2_PROGRESS_BYTES); /* a response went out */
    w.n = 0;
    for (unsigned i = 0; i < cfg.max_idle_frames; i++)
        put_frame(&w, 4, H2_FRAME_WINDOW_UPDATE, 0, 0);
    put_frame(&w, 5, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 1); /* a request */
    for (unsigned i = 0; i < cfg.max_idle_frames; i++)
        put_frame(&w, 4, H2_FRAME_WINDOW_UPDATE, 0, 0);
    put_frame(&w, H2_PROGRESS_BYTES, H2_FRAME_DATA, 0, 1); /* a body */
    for (unsigned i = 0; i < cfg.max_idle_frames; i++)
        put_frame(&w, 4, H2_FRAME_WINDOW_UPDATE, 0, 0);
    assert_int_equal(feed(&s, &w), w.n);
    assert_int_equal(s.hit, H2_LIMIT_NONE);

    /* a window opened a byte at a time is no progress */
    w.n = 0;
    for (unsigned i = 0; i <= cfg.max_idle_frames; i++) {
        put_frame(&w, 4, H2_FRAME_WINDOW_UPDATE, 0, 1);
        h2_scan_progress(&s, 1);
    }
    feed(&s, &w);
    assert_int_equal(s.hit, H2_LIMIT_IDLE_FRAMES);
}

/* ---- resets ------------------------------------------------------------------------------- */

static void test_resets_per_second_boundary(void **state)
{
    (void)state;
    struct wire w;
    preface(&w);
    for (unsigned i = 0; i < cfg.max_resets_per_s; i++) {
        put_frame(&w, 5, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS | H2_FLAG_END_STREAM, 2 * i + 1);
        put_frame(&w, 4, H2_FRAME_RST_STREAM, 0, 2 * i + 1);
    }
    struct h2_scan s;
    scan(&s);
    assert_int_equal(feed(&s, &w), w.n); /* a full bucket */
    w.n = 0;
    put_frame(&w, 4, H2_FRAME_RST_STREAM, 0, 999);
    assert_int_equal(h2_scan_feed(&s, w.b, w.n, T0), 0); /* one too many in that instant */
    assert_int_equal(s.hit, H2_LIMIT_RESETS);

    /* the bucket refills at its rate: 1000 / 50 = 20 ms a token */
    scan(&s);
    for (unsigned i = 0; i < cfg.max_resets_per_s; i++)
        assert_true(h2_scan_reset(&s, T0));
    assert_false(h2_scan_reset(&s, T0 + 19));
    scan(&s);
    for (unsigned i = 0; i < cfg.max_resets_per_s; i++)
        assert_true(h2_scan_reset(&s, T0));
    assert_true(h2_scan_reset(&s, T0 + 20));
    assert_false(h2_scan_reset(&s, T0 + 20));
    assert_int_equal(s.hit, H2_LIMIT_RESETS);
}

/* Our own resets and the client's share one bucket. */
static void test_server_resets_share_the_bucket(void **state)
{
    (void)state;
    struct h2_scan s;
    scan(&s);
    for (unsigned i = 0; i < cfg.max_resets_per_s - 1; i++)
        assert_true(h2_scan_reset(&s, T0));
    struct wire w;
    w.n = 0;
    preface(&w);
    put_frame(&w, 4, H2_FRAME_RST_STREAM, 0, 1);
    assert_int_equal(feed(&s, &w), w.n); /* the last token */
    assert_false(h2_scan_reset(&s, T0));
}

/* ---- framing ------------------------------------------------------------------------------ */

/* Payload bytes are skipped, not read as frame headers. */
static void test_payload_is_not_a_frame_header(void **state)
{
    (void)state;
    struct wire w;
    preface(&w);
    put_frame(&w, 64, H2_FRAME_DATA, 0, 1);
    for (unsigned i = 0; i < 64; i++)
        w.b[w.n - 64 + i] = H2_FRAME_PING; /* looks like PING headers if misread */
    struct h2_scan s;
    scan(&s);
    assert_int_equal(feed_bytewise(&s, &w), w.n);
    assert_int_equal(s.frames, 1);
    assert_int_equal(s.idle_frames, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_continuations_boundary),
        cmocka_unit_test(test_empty_continuations_count),
        cmocka_unit_test(test_header_block_bytes_boundary),
        cmocka_unit_test(test_idle_frames_boundary),
        cmocka_unit_test(test_empty_data_counts_end_stream_does_not),
        cmocka_unit_test(test_progress_restarts_the_count),
        cmocka_unit_test(test_resets_per_second_boundary),
        cmocka_unit_test(test_server_resets_share_the_bucket),
        cmocka_unit_test(test_payload_is_not_a_frame_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
