/*
 * Unit tests for the backend side of a connection (gateway/proxy/proxy.c,
 * proxy_queue.c) through a real worker on a virtual clock
 * (tests/unit/helpers/conn_harness.h): what a hostile backend can send and
 * what the gateway does about it, and the deadlines of issue 10 (request
 * body windows, the queue for a backend slot). Requests go to the plain
 * listener's ACME path, which is proxied; see test_conn.c for the client
 * side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/helpers/conn_expect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_BUF   CONN_EXPECT_BUF
#define TEST_QUIET 32 /* iterations after which "nothing more came" is a finding */
#define ACME       "/.well-known/acme-challenge/"
#define HOST       CONN_EXPECT_HOST
#define OK_2       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
#define REPLY(code, reason, len, extra)                                                                      \
    "HTTP/1.1 " code " " reason "\r\nContent-Type: text/plain\r\nContent-Length: " len "\r\n"                \
    "Cache-Control: no-store\r\n" extra "\r\n" code " " reason "\n"
#define REPLY_502       REPLY("502", "Bad Gateway", "16", "")
#define REPLY_502_CLOSE REPLY("502", "Bad Gateway", "16", "Connection: close\r\n")
#define REPLY_503       REPLY("503", "Service Unavailable", "24", "Retry-After: 5\r\n")
#define REPLY_504       REPLY("504", "Gateway Timeout", "20", "")
#define REPLY_408_CLOSE REPLY("408", "Request Timeout", "20", "Connection: close\r\n")

static struct conn_harness *harness(unsigned n_backends)
{
    struct conn_harness *h = conn_harness_new(n_backends);
    assert_non_null(h);
    return h;
}

static void harness_done(struct conn_harness *h)
{
    assert_true(conn_harness_free(h));
}

/* A GET of ACME path from a new client, forwarded to backend b (accepted
 * there); the client's fd, *bfd the backend's. */
static int get_forwarded(struct conn_harness *h, unsigned b, const char *path, const char *id, int *bfd)
{
    int c = conn_harness_connect(h, LISTENER_HTTP);
    assert_true(c >= 0);
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, path, id, "");
    conn_expect_send(h, c, req);
    *bfd = conn_harness_backend_accept(h, b);
    assert_true(*bfd >= 0);
    conn_expect_forwarded(h, *bfd, path, id, "http");
    return c;
}

/* The request head of a POST of n body bytes as the backend gets it (up to
 * and including the blank line); returns the fd of the client. */
static int post_started(struct conn_harness *h, const char *path, unsigned long n, const char *first_bytes)
{
    int c = conn_harness_connect(h, LISTENER_HTTP);
    assert_true(c >= 0);
    char req[TEST_BUF];
    snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: " HOST "\r\nContent-Length: %lu\r\n\r\n%s", path, n,
             first_bytes);
    conn_expect_send(h, c, req);
    return c;
}

/* Reads what the backend got until its head ended, plus what came with it. */
static void backend_got(struct conn_harness *h, int b, char *buf, size_t cap)
{
    size_t n = 0;
    for (unsigned i = 0; i < 64 && !strstr(buf, "\r\n\r\n"); i++) {
        n += conn_harness_recv_wait(h, b, buf + n, cap - n, n + 1, NULL);
        buf[n] = '\0';
    }
}

/* ---- defect 3: an early answer stops the body ------------------------------------ */

/* The backend answers before the body is in. The rest of the body is not
 * for it (a lenient origin would read it as a request of its own, with the
 * attacker's headers), so the gateway sends it nothing more, closes that
 * backend socket (never pooled), and ends the client connection after the
 * answer. */
static void test_early_answer_stops_the_body(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int c = post_started(h, ACME "up", 1000, "0123456789");
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    char buf[TEST_BUF] = "";
    backend_got(h, b, buf, sizeof buf);
    assert_non_null(strstr(buf, "\r\n\r\n0123456789"));
    conn_expect_send(h, b, OK_2);
    const char *want = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    conn_harness_recv_wait(h, c, buf, sizeof buf, strlen(want), NULL);
    assert_string_equal(buf, want);
    send(c, "\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", 38, MSG_DONTWAIT | MSG_NOSIGNAL);
    conn_expect_eof(h, b); /* nothing more, and closed */
    assert_int_equal(conn_harness_open_conns(h), 0);
    harness_done(h);
}

/* ---- defect 4: what no backend may send --------------------------------------------- */

/* A 1xx other than 100-103 with a body: 502, none of its bytes reach the
 * client, the client connection stays in step (its next request is served
 * on a new backend socket; the bad one was closed). */
static void test_interim_with_a_body_is_502(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int b;
    int c = get_forwarded(h, 0, ACME "x", "req-150", &b);
    conn_expect_send(h, b, "HTTP/1.1 150 X\r\nContent-Length: 5\r\n\r\nHELLO" OK_2);
    conn_expect_bytes(h, c, REPLY_502);
    conn_expect_eof(h, b);
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, ACME "y", "req-y", "");
    conn_expect_send(h, c, req);
    int b2 = conn_harness_backend_accept(h, 0);
    assert_true(b2 >= 0);
    conn_expect_forwarded(h, b2, ACME "y", "req-y", "http");
    conn_expect_send(h, b2, OK_2);
    conn_expect_bytes(h, c, OK_2);
    harness_done(h);
}

/* A 103 passes on (to an HTTP/1.1 client) without its framing headers. */
static void test_interim_passed_without_framing(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int b;
    int c = get_forwarded(h, 0, ACME "h", "req-103", &b);
    conn_expect_send(h, b, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nContent-Length: 0\r\n\r\n" OK_2);
    conn_expect_bytes(h, c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" OK_2);
    harness_done(h);
}

/* A chunked answer to an HTTP/1.0 request: that client cannot read it. */
static void test_chunked_to_http10_is_502(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int c = conn_harness_connect(h, LISTENER_HTTP);
    conn_expect_send(h, c, "GET " ACME "c HTTP/1.0\r\nHost: " HOST "\r\nConnection: keep-alive\r\n\r\n");
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    char buf[TEST_BUF] = "";
    backend_got(h, b, buf, sizeof buf);
    conn_expect_send(h, b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    conn_expect_bytes(h, c, REPLY_502);
    harness_done(h);
}

/* ---- defect 8: slow answers do not take a backend down ------------------------------ */

static void stall_once(struct conn_harness *h, const char *id)
{
    int b;
    int c = get_forwarded(h, 0, ACME "stall", id, &b);
    assert_true(conn_harness_advance(h, h->cfg.limits.response_timeout_ms));
    conn_expect_bytes(h, c, REPLY_504);
    conn_harness_close(h, c);
    conn_harness_close(h, b);
    assert_true(conn_harness_run(h, TEST_QUIET));
}

/* fall (3) timeouts in a row: still up, nothing counted against it; a
 * connection the backend takes and drops does count. */
static void test_timeouts_do_not_mark_down(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    struct backend *web = &h->backends.items[0];
    for (unsigned i = 0; i < h->backends.fall + 1; i++)
        stall_once(h, "req-stall");
    assert_true(atomic_load(&web->up));
    assert_int_equal(web->health.fail_streak, 0);
    assert_true(atomic_load(&web->timeouts) >= h->backends.fall + 1); /* still counted for the metrics */
    int b;
    int c = get_forwarded(h, 0, ACME "drop", "req-drop", &b);
    conn_harness_close(h, b); /* took it, no answer (no other backend to try) */
    conn_expect_bytes(h, c, REPLY_502);
    assert_int_equal(web->health.fail_streak, 1);
    harness_done(h);
}

/* ---- replays (item 9): never a POST a backend took ----------------------------------- */

static void test_post_taken_is_not_replayed(void **state)
{
    (void)state;
    struct conn_harness *h = harness(2);
    int c = post_started(h, ACME "p", 0, "");
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    char buf[TEST_BUF] = "";
    backend_got(h, b, buf, sizeof buf);
    assert_non_null(strstr(buf, "POST " ACME "p HTTP/1.1\r\n"));
    conn_harness_close(h, b);
    conn_expect_bytes(h, c, REPLY_502);
    assert_false(conn_harness_backend_pending(h, 1)); /* never sent to web-02 */
    assert_false(conn_harness_backend_pending(h, 0));
    /* the same drop for a GET: tried once more, on the other backend */
    int b1;
    c = get_forwarded(h, 1, ACME "g", "req-g", &b1);
    conn_harness_close(h, b1);
    int b0 = conn_harness_backend_accept(h, 0);
    assert_true(b0 >= 0);
    conn_expect_forwarded(h, b0, ACME "g", "req-g", "http");
    conn_expect_send(h, b0, OK_2);
    conn_expect_bytes(h, c, OK_2);
    harness_done(h);
}

/* ---- defect 6: request body windows ------------------------------------------------- */

/* A body that brings less than body_min_rate x body_timeout in a window is
 * cut with 408 at the window's end, not a millisecond before. */
static void test_slow_body_408_at_window_end(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    uint64_t window = h->cfg.limits.body_timeout_ms;
    int c = post_started(h, ACME "slow", 100000, "a few bytes");
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    char buf[TEST_BUF] = "";
    backend_got(h, b, buf, sizeof buf);
    assert_true(conn_harness_advance(h, window - 1));
    assert_true(conn_harness_quiet(h, c, TEST_QUIET));
    assert_true(conn_harness_advance(h, 1));
    conn_expect_bytes_then_eof(h, c, REPLY_408_CLOSE);
    conn_expect_eof(h, b);
    harness_done(h);
}

/* At the minimum rate a body may take as long as it needs. */
static void test_body_at_min_rate_goes_through(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    h->cfg.limits.body_min_rate = 1000;
    h->cfg.limits.body_timeout_ms = 1000;
    unsigned windows = 5;
    int c = post_started(h, ACME "steady", 1000 * windows, "");
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    char buf[TEST_BUF] = "", part[1001];
    backend_got(h, b, buf, sizeof buf);
    memset(part, 'z', 1000);
    part[1000] = '\0';
    for (unsigned i = 0; i < windows; i++) {
        conn_expect_send(h, c, part); /* exactly the minimum per window */
        conn_harness_recv_wait(h, b, buf, sizeof buf, 1000, NULL);
        assert_int_equal(strlen(buf), 1000);
        assert_true(conn_harness_advance(h, 1000));
    }
    conn_expect_send(h, b, OK_2);
    conn_expect_bytes(h, c, OK_2);
    harness_done(h);
}

/* The gateway stops reading when the backend does not take the body: that
 * is not the client's doing. The backend gets response_timeout from the
 * last bytes it took, then 504. */
static void test_body_blocked_by_backend_is_not_408(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    h->cfg.limits.body_timeout_ms = 1000;
    h->cfg.limits.response_timeout_ms = 4000;
    int c = post_started(h, ACME "full", 10 << 20, "");
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    int small = 4096;
    assert_int_equal(setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    static char chunk[65536];
    memset(chunk, 'f', sizeof chunk);
    unsigned refused = 0;
    for (unsigned i = 0; i < CONN_HARNESS_WAIT_STEPS && refused < TEST_QUIET; i++) {
        ssize_t w = send(c, chunk, sizeof chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
        refused = w > 0 ? 0 : refused + 1;
        assert_true(conn_harness_step(h));
    }
    assert_int_equal(refused, TEST_QUIET); /* every buffer full: nobody reads */
    assert_true(conn_harness_advance_by(h, 3900, 100));
    assert_true(conn_harness_quiet(h, c, TEST_QUIET)); /* three windows passed: no 408 */
    assert_true(conn_harness_advance_by(h, 200, 100));
    conn_expect_bytes(h, c,
                      "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
                      "Cache-Control: no-store\r\nConnection: close\r\n\r\n504 Gateway Timeout\n");
    assert_int_equal(atomic_load(&h->backends.items[0].health.fail_streak), 0);
    harness_done(h);
}

/* ---- defect 6: max_connections per backend, the queue ------------------------------ */

/* One slot: a second request waits (no second backend connection) and is
 * sent, on the same backend socket, once the first is answered. */
static void test_queued_request_gets_the_freed_slot(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    h->cfg.backends[0].max_connections = 1;
    int b;
    int c1 = get_forwarded(h, 0, ACME "1", "req-q1", &b);
    int c2 = conn_harness_connect(h, LISTENER_HTTP);
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, ACME "2", "req-q2", "");
    conn_expect_send(h, c2, req);
    assert_true(conn_harness_run(h, TEST_QUIET));
    assert_false(conn_harness_backend_pending(h, 0));
    assert_int_equal(atomic_load(&h->backends.items[0].active), 1);
    conn_expect_send(h, b, OK_2);
    conn_expect_bytes(h, c1, OK_2);
    conn_expect_forwarded(h, b, ACME "2", "req-q2", "http"); /* the pooled socket */
    conn_expect_send(h, b, OK_2);
    conn_expect_bytes(h, c2, OK_2);
    assert_true(conn_harness_run(h, TEST_QUIET));
    assert_int_equal(atomic_load(&h->backends.items[0].active), 0);
    harness_done(h);
}

/* No slot within queue_timeout: 503 then, not a millisecond before; a
 * queue_timeout of 0 answers 503 at once. */
static void test_queue_timeout_503(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    h->cfg.backends[0].max_connections = 1;
    uint64_t timeout = h->cfg.limits.queue_timeout_ms;
    int b;
    get_forwarded(h, 0, ACME "busy", "req-busy", &b);
    int c2 = conn_harness_connect(h, LISTENER_HTTP);
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, ACME "wait", "req-wait", "");
    conn_expect_send(h, c2, req);
    assert_true(conn_harness_advance(h, timeout - 1));
    assert_true(conn_harness_quiet(h, c2, TEST_QUIET));
    assert_true(conn_harness_advance(h, 1));
    conn_expect_bytes(h, c2, REPLY_503);
    h->cfg.limits.queue_timeout_ms = 0; /* answered while the head is read: that ends the connection */
    conn_expect_send(h, c2, req);
    conn_expect_bytes_then_eof(
        h, c2, REPLY("503", "Service Unavailable", "24", "Retry-After: 5\r\nConnection: close\r\n"));
    assert_false(conn_harness_backend_pending(h, 0));
    harness_done(h);
}

/* A client that leaves while it waits gives its place back. */
static void test_queued_client_leaves(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    h->cfg.backends[0].max_connections = 1;
    int b;
    int c1 = get_forwarded(h, 0, ACME "a", "req-a", &b);
    int c2 = conn_harness_connect(h, LISTENER_HTTP);
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, ACME "b", "req-b", "");
    conn_expect_send(h, c2, req);
    assert_true(conn_harness_run(h, TEST_QUIET));
    conn_harness_close(h, c2);
    assert_true(conn_harness_run(h, TEST_QUIET));
    assert_int_equal(conn_harness_open_conns(h), 1);
    conn_expect_send(h, b, OK_2);
    conn_expect_bytes(h, c1, OK_2);
    assert_true(conn_harness_quiet(h, b, TEST_QUIET)); /* nobody else was waiting */
    harness_done(h);
}

/* ---- findings of the stateful fuzzer (tests/fuzz/fuzz_conn.c) ---------------------- */

/* A backend answering HTTP/1.0 (no keep-alive): the client gets HTTP/1.1,
 * the gateway's own version (RFC 9110 section 6.2), because the gateway
 * keeps the client connection; its next request is served on it. The
 * backend socket is not reused (a 1.0 answer ends that one). */
static void test_http10_answer_goes_out_as_ours(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int b;
    int c = get_forwarded(h, 0, ACME "v", "req-v", &b);
    conn_expect_send(h, b, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
    conn_expect_bytes(h, c, OK_2);
    conn_expect_eof(h, b);
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, ACME "w", "req-w", "");
    conn_expect_send(h, c, req);
    int b2 = conn_harness_backend_accept(h, 0);
    assert_true(b2 >= 0);
    conn_expect_forwarded(h, b2, ACME "w", "req-w", "http");
    conn_expect_send(h, b2, OK_2);
    conn_expect_bytes(h, c, OK_2);
    harness_done(h);
}

/* An HTTP/1.0 request goes to the backend as HTTP/1.0 without Connection:
 * the backend closes after its answer (RFC 9112 section 9.3), so the
 * socket is not pooled even when the answer says nothing of it; the next
 * request (a PATCH, which could not be replayed) gets a new one. */
static void test_no_pooling_after_http10_request(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int c = conn_harness_connect(h, LISTENER_HTTP);
    conn_expect_send(h, c, "GET " ACME "old HTTP/1.0\r\nHost: " HOST "\r\nConnection: keep-alive\r\n\r\n");
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    char buf[TEST_BUF] = "";
    backend_got(h, b, buf, sizeof buf);
    assert_non_null(strstr(buf, "GET " ACME "old HTTP/1.0\r\n"));
    conn_expect_send(h, b, OK_2);
    conn_expect_bytes(h, c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
    conn_expect_eof(h, b); /* not kept */
    conn_expect_send(h, c, "PATCH " ACME "p HTTP/1.0\r\nHost: " HOST "\r\nConnection: keep-alive\r\n\r\n");
    int b2 = conn_harness_backend_accept(h, 0);
    assert_true(b2 >= 0);
    harness_done(h);
}

/* A backend sends bytes after its answer (here a second answer; the body
 * a 304 declared is the same) just as the client's next request comes, in
 * one batch of events with the request first: the pooled socket is peeked
 * at when taken and dropped, the request goes out on a new one, and the
 * stray answer never reaches the client as the answer to its request.
 * Without the peek the socket was taken, the request written and the
 * stray bytes read as its answer (fuzz_conn). */
static void test_stray_answer_on_pooled_socket_not_served(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int b;
    int c = get_forwarded(h, 0, ACME "a", "req-a", &b);
    conn_expect_send(h, b, OK_2);
    conn_expect_bytes(h, c, OK_2);
    assert_true(conn_harness_settle(h, 100, NULL)); /* b is idle in the pool */
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, ACME "b", "req-b", "");
    assert_true(conn_harness_send_str(h, c, req));
    assert_true(conn_harness_send_str(h, b, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray"));
    int b2 = conn_harness_backend_accept(h, 0);
    assert_true(b2 >= 0);
    conn_expect_forwarded(h, b2, ACME "b", "req-b", "http");
    conn_expect_eof(h, b); /* dropped, not read */
    conn_expect_send(h, b2, OK_2);
    conn_expect_bytes(h, c, OK_2);
    harness_done(h);
}

/* A response head that comes in two pieces (a slow backend, or one that
 * writes its status line first): nothing of it reaches the client before
 * it is whole and rewritten. The parsed bytes of a head in progress went
 * out raw, before the rewritten head. */
static void test_head_in_pieces_not_passed_raw(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int b;
    int c = get_forwarded(h, 0, ACME "slow-head", "req-sh", &b);
    conn_expect_send(h, b, "HTTP/1.1 200 OK\r\n");
    assert_true(conn_harness_quiet(h, c, TEST_QUIET));
    conn_expect_send(h, b, "Content-Length: 2\r\n\r\nok");
    conn_expect_bytes(h, c, OK_2);
    /* and after a 1xx: the 103 goes out, the final head's first part waits */
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, ACME "hints", "req-hints", "");
    conn_expect_send(h, c, req);
    conn_expect_forwarded(h, b, ACME "hints", "req-hints", "http");
    conn_expect_send(h, b, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\n");
    conn_expect_bytes(h, c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n");
    conn_expect_send(h, b, "Content-Length: 2\r\n\r\nok");
    conn_expect_bytes(h, c, OK_2);
    harness_done(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_early_answer_stops_the_body),
        cmocka_unit_test(test_interim_with_a_body_is_502),
        cmocka_unit_test(test_interim_passed_without_framing),
        cmocka_unit_test(test_chunked_to_http10_is_502),
        cmocka_unit_test(test_http10_answer_goes_out_as_ours),
        cmocka_unit_test(test_no_pooling_after_http10_request),
        cmocka_unit_test(test_head_in_pieces_not_passed_raw),
        cmocka_unit_test(test_stray_answer_on_pooled_socket_not_served),
        cmocka_unit_test(test_timeouts_do_not_mark_down),
        cmocka_unit_test(test_post_taken_is_not_replayed),
        cmocka_unit_test(test_slow_body_408_at_window_end),
        cmocka_unit_test(test_body_at_min_rate_goes_through),
        cmocka_unit_test(test_body_blocked_by_backend_is_not_408),
        cmocka_unit_test(test_queued_request_gets_the_freed_slot),
        cmocka_unit_test(test_queue_timeout_503),
        cmocka_unit_test(test_queued_client_leaves),
    };
    return cmocka_run_group_tests_name("proxy", tests, NULL, NULL);
}
