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
 * which no proxy can tell from that request's own answer. And the
 * backend side's pairing of an answer that left while the gateway's next
 * request was still on its way (a campaign reported one, pooled, as a
 * finding): that request arrives answered.
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

static const char get_1_1[] = "GET /~1.1 HTTP/1.1\r\nHost: a\r\n\r\n";
static const char get_1_2[] = "GET /~1.2 HTTP/1.1\r\nHost: a\r\n\r\n";
static const char answer_of_1_1[] = "HTTP/1.1 200 OK\r\n~tag: 1.1\r\nContent-Length: 0\r\n\r\n";
static const char untagged_answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

/* ~1.1 asked and answered: the socket sits between two exchanges; then
 * an answer nobody asked for goes out, the gateway's next request on its
 * way (in_flight) or not. */
static void answered_then_unasked(struct conn_oracle_world *w, struct conn_oracle_backend *o, bool in_flight)
{
    conn_oracle_world_init(w);
    conn_oracle_backend_init(o, w);
    char why[CONN_ORACLE_WHY];
    assert_true(conn_oracle_backend_recv(o, get_1_1, strlen(get_1_1)));
    conn_oracle_backend_in_flight(o, false);
    conn_oracle_backend_sent(o, answer_of_1_1, strlen(answer_of_1_1));
    assert_true(conn_oracle_backend_poolable(o, why, sizeof why));
    conn_oracle_backend_in_flight(o, in_flight);
    conn_oracle_backend_sent(o, untagged_answer, strlen(untagged_answer));
}

static void test_answer_ahead_of_its_request_pairs_with_it(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_backend o;
    char why[CONN_ORACLE_WHY];
    answered_then_unasked(&w, &o, true);
    assert_false(conn_oracle_backend_poolable(&o, why, sizeof why)); /* until its request is in */
    assert_non_null(strstr(why, "has not arrived"));
    assert_true(conn_oracle_backend_recv(&o, get_1_2, strlen(get_1_2)));
    assert_true(conn_oracle_backend_poolable(&o, why, sizeof why));
    assert_true(w.flags[1][2] & CONN_ORACLE_F_RAW); /* its client's answer is the one that went ahead */
    long conn, req;
    bool head;
    assert_false(conn_oracle_backend_next(&o, &conn, &req, &head)); /* nothing left to answer */
    /* the next request is the backend's own again */
    static const char get_1_3[] = "GET /~1.3 HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_true(conn_oracle_backend_recv(&o, get_1_3, strlen(get_1_3)));
    assert_true(conn_oracle_backend_next(&o, &conn, &req, &head));
    assert_int_equal(req, 3);
    assert_false(w.flags[1][3] & CONN_ORACLE_F_RAW);
}

static void test_answer_with_nothing_on_its_way_is_unasked(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_backend o;
    char why[CONN_ORACLE_WHY];
    answered_then_unasked(&w, &o, false);
    assert_false(conn_oracle_backend_poolable(&o, why, sizeof why));
    assert_non_null(strstr(why, "no request asked for"));
    assert_true(conn_oracle_backend_recv(&o, get_1_2, strlen(get_1_2)));
    assert_false(conn_oracle_backend_poolable(&o, why, sizeof why)); /* never again */
    assert_false(w.flags[1][2] & CONN_ORACLE_F_RAW);
}

/* What is on its way is the rest of a request the backend answered early:
 * no next request comes behind it, so a second answer is unasked. */
static void test_answer_while_a_body_is_on_its_way_is_unasked(void **state)
{
    (void)state;
    struct conn_oracle_world w;
    struct conn_oracle_backend o;
    char why[CONN_ORACLE_WHY];
    early(&w, &o);
    conn_oracle_backend_in_flight(&o, true);
    conn_oracle_backend_sent(&o, untagged_answer, strlen(untagged_answer));
    assert_true(o.unasked);
    assert_int_equal(o.ahead, 0);
    assert_false(conn_oracle_backend_poolable(&o, why, sizeof why));
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
        cmocka_unit_test(test_answer_ahead_of_its_request_pairs_with_it),
        cmocka_unit_test(test_answer_with_nothing_on_its_way_is_unasked),
        cmocka_unit_test(test_answer_while_a_body_is_on_its_way_is_unasked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
