/*
 * Unit tests for tests/unit/helpers/conn_oracle.c, the checks of the
 * stateful fuzzer: here the early-answer seal. After the gateway has seen
 * an answer that left before its request was complete, it may send
 * nothing more on that socket, except the bytes it had already written
 * and that are still on their way (its send queue at the seal): a first
 * campaign reported 2254 of those, retransmitted through a 1 KB window,
 * as a finding. And the client side's one excuse: an answer of another
 * connection taken for a request that went out on a backend socket where
 * the fake backend had queued an unasked answer (CONN_ORACLE_F_RAW),
 * which no proxy can tell from that request's own answer.
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

static const char answer_of_2_1[] = "HTTP/1.1 200 OK\r\n~tag: 2.1\r\nContent-Length: 0\r\n\r\n";

/* Connection 1 sent raw bytes (unclean: answers are not matched to
 * requests) holding request ~1.1 and ~1.2, which reached a backend; a
 * foreign answer is excused as often as it has CONN_ORACLE_F_RAW requests. */
static void unclean(struct conn_oracle_world *w, struct conn_oracle_client *o, unsigned raw_requests)
{
    conn_oracle_world_init(w);
    conn_oracle_client_init(o, 1, w);
    conn_oracle_client_sent_raw(o);
    for (unsigned r = 1; r <= raw_requests; r++)
        w->flags[1][r] |= CONN_ORACLE_F_SEEN | CONN_ORACLE_F_RAW;
    w->flags[1][raw_requests + 1] |= CONN_ORACLE_F_SEEN;
}

static void test_unclean_foreign_answer_excused_once_per_raw_request(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_client o;
    unclean(&w, &o, 1);
    assert_true(conn_oracle_client_recv(&o, answer_of_2_1, strlen(answer_of_2_1)));
    assert_false(conn_oracle_client_recv(&o, answer_of_2_1, strlen(answer_of_2_1)));
    assert_non_null(strstr(o.why, "connection 1 got the answer (status 200) of request ~2.1"));
}

static void test_unclean_foreign_answer_without_raw_request_refused(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_client o;
    unclean(&w, &o, 0);
    assert_false(conn_oracle_client_recv(&o, answer_of_2_1, strlen(answer_of_2_1)));
    assert_non_null(strstr(o.why, "got the answer"));
}

/* Clean: only an answer to a CONN_ORACLE_F_RAW request is excused, and
 * with no request open a foreign answer is a finding whatever the flags. */
static void test_clean_foreign_answer_only_for_raw_request(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_client o;
    conn_oracle_world_init(&w);
    conn_oracle_client_init(&o, 1, &w);
    conn_oracle_client_sent(&o, 1, false);
    w.flags[1][1] |= CONN_ORACLE_F_SEEN | CONN_ORACLE_F_RAW;
    assert_true(conn_oracle_client_recv(&o, answer_of_2_1, strlen(answer_of_2_1)));
    assert_false(conn_oracle_client_recv(&o, answer_of_2_1, strlen(answer_of_2_1)));
    assert_non_null(strstr(o.why, "got the answer"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_allows_bytes_on_their_way),
        cmocka_unit_test(test_seal_with_nothing_queued_refuses_a_byte),
        cmocka_unit_test(test_seal_without_early_answer_is_nothing),
        cmocka_unit_test(test_unclean_foreign_answer_excused_once_per_raw_request),
        cmocka_unit_test(test_unclean_foreign_answer_without_raw_request_refused),
        cmocka_unit_test(test_clean_foreign_answer_only_for_raw_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
