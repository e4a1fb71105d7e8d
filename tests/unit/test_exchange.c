/*
 * Unit tests for gateway/proxy/exchange.c's buffer arithmetic: how much the
 * next read into a connection buffer may take (conn_buf_read_max), with
 * and without a TLS record size, at each boundary. Pure: no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy/conn_internal.h"
#include "tls/tls.h"

#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_is_the_room),
        cmocka_unit_test(test_one_record_per_read),
        cmocka_unit_test(test_tops_up_to_a_record),
        cmocka_unit_test(test_moves_to_fit_the_top_up),
        cmocka_unit_test(test_unparsed_bytes_and_big_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
