/*
 * Unit tests for gateway/proxy/exchange.c's buffer arithmetic: how much the
 * next read into a connection buffer may take (conn_buf_read_max), with
 * and without a TLS record size, at each boundary. Pure: no sockets.
 * And the heap trim (conn_trim_note) on a real worker of conn_harness, its
 * clock stepped by the test: when it is armed, when it fires, that it
 * gives freed pages back to the kernel, and that exchanges freed beyond
 * the cache by idle keep-alive connections arm it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy/conn_internal.h"
#include "tests/unit/helpers/conn_expect.h"
#include "tls/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TRIM_BLOCKS     64          /* freed blocks of the RSS test */
#define TRIM_BLOCK_SIZE (72 * 1024) /* an exchange's size, below glibc's mmap threshold */
#define TRIM_IDLE_CONNS (CONN_EXCHANGE_CACHE + 8)

#define REC13 16383u /* tls_conn_record_max in TLS 1.3 (test_tls.c: test_record_max) */

static char data[CONN_BUF_SIZE];

static struct conn_buf buf(uint32_t start, uint32_t mid, uint32_t end)
{
    return (struct conn_buf){.start = start, .mid = mid, .end = end};
}

/* Without a record size: the room at the end, moving sent bytes away
 * only once the end is reached (conn_buf_room). */
static void test_plain_is_the_room(void **state)
{
    (void)state;
    struct conn_buf b = buf(0, 0, 0);
    assert_int_equal(conn_buf_read_max(&b, data, true, 0), CONN_BUF_SIZE);
    b = buf(100, 100, CONN_BUF_SIZE - 1);
    assert_int_equal(conn_buf_read_max(&b, data, true, 0), 1);
    b = buf(100, 100, CONN_BUF_SIZE);
    assert_int_equal(conn_buf_read_max(&b, data, true, 0), 100);
    assert_int_equal(b.start, 0);
    b = buf(0, 0, CONN_BUF_SIZE);
    assert_int_equal(conn_buf_read_max(&b, data, true, 0), 0);
    /* a head being read never moves, with or without a record size */
    b = buf(100, 100, CONN_BUF_SIZE);
    assert_int_equal(conn_buf_read_max(&b, data, false, REC13), 0);
    assert_int_equal(b.start, 100);
}

/* An empty buffer takes exactly one record, and starts again at 0. */
static void test_one_record_per_read(void **state)
{
    (void)state;
    struct conn_buf b = buf(0, 0, 0);
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), REC13);
    b = buf(REC13, REC13, REC13); /* all of it went out */
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), REC13);
    assert_int_equal(b.start, 0);
    assert_int_equal(b.end, 0);
    b = buf(0, 0, 0);
    assert_int_equal(conn_buf_read_max(&b, data, true, TLS_RECORD_PLAIN_MAX), CONN_BUF_SIZE);
    b = buf(0, 0, 0); /* max_fragment_length 512 */
    assert_int_equal(conn_buf_read_max(&b, data, true, 512), 512);
}

/* Bytes waiting for the client: a read only tops them up to a record;
 * a record's worth waiting stops reading. */
static void test_tops_up_to_a_record(void **state)
{
    (void)state;
    struct conn_buf b = buf(0, REC13 - 1, REC13 - 1);
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), 1);
    b = buf(0, REC13, REC13);
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), 0);
    b = buf(0, CONN_BUF_SIZE, CONN_BUF_SIZE);
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), 0);
    b = buf(10, 10 + REC13 - 1, 10 + REC13 - 1);
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), 1);
    assert_int_equal(b.start, 10); /* fits where it is: no move */
}

/* Waiting bytes near the end move to the front when the top-up would not
 * fit behind them; their offsets move with them. */
static void test_moves_to_fit_the_top_up(void **state)
{
    (void)state;
    memset(data, 0, sizeof data);
    memcpy(data + CONN_BUF_SIZE - 4, "abcd", 4);
    struct conn_buf b = buf(CONN_BUF_SIZE - 4, CONN_BUF_SIZE - 2, CONN_BUF_SIZE);
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), REC13 - 4);
    assert_int_equal(b.start, 0);
    assert_int_equal(b.mid, 2);
    assert_int_equal(b.end, 4);
    assert_memory_equal(data, "abcd", 4);
    /* exactly enough room behind them: no move */
    b = buf(CONN_BUF_SIZE - (REC13 - 1) - 1, CONN_BUF_SIZE - 1, CONN_BUF_SIZE - 1);
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), 1);
    assert_int_equal(b.start, CONN_BUF_SIZE - REC13);
}

/* Bytes not parsed yet never stop a read (the parser may need more to
 * make sense of them), and a record size above the buffer is the buffer. */
static void test_unparsed_bytes_and_big_records(void **state)
{
    (void)state;
    struct conn_buf b = buf(0, 0, REC13);
    assert_int_equal(conn_buf_read_max(&b, data, true, REC13), CONN_BUF_SIZE - REC13);
    b = buf(0, 0, 0);
    assert_int_equal(conn_buf_read_max(&b, data, true, CONN_BUF_SIZE + 1), CONN_BUF_SIZE);
}

/* ---- the heap trim ---------------------------------------------------------- */

static struct conn_harness *trim_harness(void)
{
    struct conn_harness *h = conn_harness_new(1);
    assert_non_null(h);
    assert_non_null(conn_worker_of(&h->w));
    return h;
}

/* Armed once CONN_TRIM_MIN_BYTES are noted, not before; fires
 * CONN_TRIM_QUIET_MS later, once, and counts again from 0. */
static void test_trim_armed_at_threshold(void **state)
{
    (void)state;
    struct conn_harness *h = trim_harness();
    struct conn_worker *cw = h->w.conns;
    conn_trim_note(&h->w, CONN_TRIM_MIN_BYTES - 1);
    assert_false(loop_timer_pending(&cw->trim));
    conn_trim_note(&h->w, 1);
    assert_true(loop_timer_pending(&cw->trim));
    conn_trim_note(&h->w, CONN_TRIM_MIN_BYTES); /* more while armed: the same trim */
    assert_true(conn_harness_advance(h, CONN_TRIM_QUIET_MS - 1));
    assert_int_equal(cw->trims, 0);
    assert_true(conn_harness_advance(h, 1));
    assert_int_equal(cw->trims, 1);
    assert_int_equal(cw->released, 0);
    assert_false(loop_timer_pending(&cw->trim));
    conn_trim_note(&h->w, CONN_TRIM_MIN_BYTES - 1);
    assert_true(conn_harness_advance(h, 2 * CONN_TRIM_QUIET_MS));
    assert_int_equal(cw->trims, 1);
    assert_true(conn_harness_free(h));
}

/* Frees that keep coming postpone the trim (the next connections take
 * those blocks again), for CONN_TRIM_MAX_WAIT_MS at most. */
static void test_trim_waits_for_quiet_at_most_max_wait(void **state)
{
    (void)state;
    struct conn_harness *h = trim_harness();
    struct conn_worker *cw = h->w.conns;
    conn_trim_note(&h->w, CONN_TRIM_MIN_BYTES);
    uint64_t elapsed = 0;
    while (elapsed + CONN_TRIM_QUIET_MS - 1 <= CONN_TRIM_MAX_WAIT_MS) {
        assert_true(conn_harness_advance(h, CONN_TRIM_QUIET_MS - 1));
        elapsed += CONN_TRIM_QUIET_MS - 1;
        conn_trim_note(&h->w, 1);
        if (elapsed <= CONN_TRIM_MAX_WAIT_MS - CONN_TRIM_QUIET_MS)
            assert_int_equal(cw->trims, 0);
    }
    assert_true(conn_harness_advance(h, CONN_TRIM_MAX_WAIT_MS - elapsed));
    assert_int_equal(cw->trims, 1);
    assert_true(conn_harness_free(h));
}

static long rss_pages(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &resident), 2);
    fclose(f);
    return resident;
}

/* What the trim is for: blocks freed between live small allocations stay
 * resident (glibc only trims the top of a heap by itself) until it runs. */
static void test_trim_returns_freed_pages(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* ASan's allocator keeps freed memory in its quarantine: glibc's trim has nothing to give back */
#endif
    struct conn_harness *h = trim_harness();
    static char *big[TRIM_BLOCKS], *pin[TRIM_BLOCKS];
    for (unsigned i = 0; i < TRIM_BLOCKS; i++) {
        big[i] = malloc(TRIM_BLOCK_SIZE);
        pin[i] = malloc(64); /* keeps the freed blocks apart */
        assert_non_null(big[i]);
        assert_non_null(pin[i]);
        memset(big[i], 1, TRIM_BLOCK_SIZE);
    }
    for (unsigned i = 0; i < TRIM_BLOCKS; i++)
        free(big[i]);
    long freed_pages = (long)TRIM_BLOCKS * TRIM_BLOCK_SIZE / sysconf(_SC_PAGESIZE);
    long before = rss_pages();
    conn_trim_note(&h->w, (size_t)TRIM_BLOCKS * TRIM_BLOCK_SIZE);
    assert_true(conn_harness_advance(h, CONN_TRIM_QUIET_MS));
    assert_int_equal(((struct conn_worker *)h->w.conns)->trims, 1);
    long after = rss_pages();
    assert_true(before - after >= freed_pages / 2);
    for (unsigned i = 0; i < TRIM_BLOCKS; i++)
        free(pin[i]);
    assert_true(conn_harness_free(h));
}

/* Resident pages of the cached exchanges' buffers (mincore). */
static size_t cached_resident_pages(const struct conn_worker *cw)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
    unsigned char vec[(sizeof(struct exchange) + 4095) / 4096 + 1];
    for (const struct exchange *x = cw->free_x; x; x = x->next_free) {
        uintptr_t start, end;
        exchange_buffers_range(x, &start, &end);
        assert_true(end > start && (end - start) / page <= sizeof vec);
        assert_int_equal(mincore((void *)start, end - start, vec), 0);
        for (size_t i = 0; i < (end - start) / page; i++)
            n += vec[i] & 1;
    }
    return n;
}

/* End to end: keep-alive connections going idle give their exchanges
 * back; those beyond the cache are freed and arm the trim, which fires
 * and gives back the pages of the cached ones' buffers too. */
static void test_idle_exchanges_beyond_the_cache_trim(void **state)
{
    (void)state;
    struct conn_harness *h = trim_harness();
    int c[TRIM_IDLE_CONNS];
    for (unsigned i = 0; i < TRIM_IDLE_CONNS; i++) {
        c[i] = conn_harness_connect(h, LISTENER_HTTP);
        assert_true(c[i] >= 0);
        conn_expect_send(h, c[i], "GET /t HTTP/1.1\r\nHost: " CONN_EXPECT_HOST "\r\n\r\n");
        conn_expect_bytes(h, c[i],
                          "HTTP/1.1 301 Moved Permanently\r\nLocation: https://" CONN_EXPECT_HOST
                          "/t\r\nContent-Length: 0\r\n\r\n");
    }
    struct conn_worker *cw = h->w.conns;
    assert_false(loop_timer_pending(&cw->trim));
    assert_true(conn_harness_advance(h, CONN_IDLE_SHRINK_MS)); /* all idle: exchanges given back */
    assert_int_equal(cw->n_free_x, CONN_EXCHANGE_CACHE);
    assert_true(loop_timer_pending(&cw->trim));
    assert_true(cached_resident_pages(cw) > 0); /* requests and answers were written there */
    assert_true(conn_harness_advance(h, CONN_TRIM_QUIET_MS));
    assert_int_equal(cw->trims, 1);
    assert_int_equal(cached_resident_pages(cw), 0);
    assert_true(conn_harness_free(h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_is_the_room),
        cmocka_unit_test(test_one_record_per_read),
        cmocka_unit_test(test_tops_up_to_a_record),
        cmocka_unit_test(test_moves_to_fit_the_top_up),
        cmocka_unit_test(test_unparsed_bytes_and_big_records),
        cmocka_unit_test(test_trim_armed_at_threshold),
        cmocka_unit_test(test_trim_waits_for_quiet_at_most_max_wait),
        cmocka_unit_test(test_trim_returns_freed_pages),
        cmocka_unit_test(test_idle_exchanges_beyond_the_cache_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
