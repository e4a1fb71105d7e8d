/*
 * Unit tests for tests/unit/helpers/conn_oracle.c, the checks of the
 * stateful fuzzer: here the early-answer seal. After the gateway has seen
 * an answer that left before its request was complete, it may send
 * nothing more on that socket, except the bytes it had already written
 * and that are still on their way (its send queue at the seal): a first
 * campaign reported 2254 of those, retransmitted through a 1 KB window,
 * as a finding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/helpers/conn_oracle.h"

#include <string.h>

static const char request_head[] = "POST /~1.1 HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789";
static const char early_answer[] = "HTTP/1.1 200 OK\r\n~tag: 1.1\r\nContent-Length: 0\r\n\r\n";

/* A backend oracle that got a request head and part of its body, and
 * answered it: the answer is early. */
static void early(struct conn_oracle_world *w, struct conn_oracle_backend *o)
{
    conn_oracle_world_init(w);
    conn_oracle_backend_init(o, w);
    assert_true(conn_oracle_backend_recv(o, request_head, strlen(request_head)));
    conn_oracle_backend_sent(o, early_answer, strlen(early_answer));
    assert_true(o->early);
}

static void test_seal_allows_bytes_on_their_way(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_backend o;
    early(&w, &o);
    conn_oracle_backend_seal(&o, 30);
    assert_true(o.sealed);
    assert_true(conn_oracle_backend_recv(&o, "abcdefghijabcdefghij", 20));
    assert_true(conn_oracle_backend_recv(&o, "abcdefghij", 10));
    assert_false(conn_oracle_backend_recv(&o, "x", 1)); /* one past what was queued */
    assert_non_null(strstr(o.why, "after the gateway saw the early answer"));
}

static void test_seal_with_nothing_queued_refuses_a_byte(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_backend o;
    early(&w, &o);
    conn_oracle_backend_seal(&o, 0);
    assert_false(conn_oracle_backend_recv(&o, "x", 1));
}

/* No early answer: the seal changes nothing (the request goes on). */
static void test_seal_without_early_answer_is_nothing(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_backend o;
    conn_oracle_world_init(&w);
    conn_oracle_backend_init(&o, &w);
    assert_true(conn_oracle_backend_recv(&o, request_head, strlen(request_head)));
    conn_oracle_backend_seal(&o, 5);
    assert_false(o.sealed);
    char rest[90];
    memset(rest, 'b', sizeof rest);
    assert_true(conn_oracle_backend_recv(&o, rest, sizeof rest));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_allows_bytes_on_their_way),
        cmocka_unit_test(test_seal_with_nothing_queued_refuses_a_byte),
        cmocka_unit_test(test_seal_without_early_answer_is_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
