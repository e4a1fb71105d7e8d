/*
 * Unit tests for the client side's HTTP (gateway/proxy/conn_http.c): the
 * local answers and what follows them on a keep-alive connection. Each
 * test reproduces a finding of the stateful fuzzer (tests/fuzz/fuzz_conn.c)
 * through a real worker on a virtual clock (tests/unit/helpers/
 * conn_harness.h); tests/fuzz/README.md lists the findings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/helpers/conn_expect.h"
#include "tests/unit/helpers/conn_oracle.h"

#include <stdio.h>
#include <string.h>

#define TEST_BUF   CONN_EXPECT_BUF
#define TEST_QUIET 32 /* iterations after which "nothing more came" is a finding */
#define ACME       "/.well-known/acme-challenge/"
#define HOST       CONN_EXPECT_HOST
#define OK_2       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static struct conn_harness *harness(unsigned n_backends)
{
    struct conn_harness *h = conn_harness_new(n_backends);
    assert_non_null(h);
    return h;
}

/* A HEAD the backend never answers: the 504 is the head alone, and the
 * connection stays in step (a body would be read as the answer to the
 * next request). The fuzzer's first finding. */
static void test_local_answer_to_head_has_no_content(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int c = conn_harness_connect(h, LISTENER_HTTP);
    assert_true(c >= 0);
    conn_expect_send(h, c, "HEAD " ACME "h HTTP/1.1\r\nHost: " HOST "\r\nX-Request-Id: req-h\r\n\r\n");
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    char buf[TEST_BUF];
    conn_harness_recv_wait(h, b, buf, sizeof buf, 1, NULL); /* the head arrived; no answer */
    assert_true(conn_harness_advance(h, h->cfg.limits.response_timeout_ms));
    conn_expect_bytes(h, c,
                      "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
                      "Cache-Control: no-store\r\n\r\n");
    assert_true(conn_harness_quiet(h, c, TEST_QUIET));
    char req[TEST_BUF];
    conn_expect_get(req, sizeof req, ACME "next", "req-n", "");
    conn_expect_send(h, c, req);
    int b2 = conn_harness_backend_accept(h, 0);
    assert_true(b2 >= 0);
    conn_expect_forwarded(h, b2, ACME "next", "req-n", "http");
    conn_expect_send(h, b2, OK_2);
    conn_expect_bytes(h, c, OK_2);
    assert_true(conn_harness_free(h));
}

/* The same for an answer decided while the head is parsed: a HEAD whose
 * declared body is over max_body_size gets its 413 without content. */
static void test_refusal_of_head_has_no_content(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    h->cfg.limits.max_body_size = 10;
    int c = conn_harness_connect(h, LISTENER_HTTP);
    assert_true(c >= 0);
    conn_expect_send(h, c, "HEAD " ACME "big HTTP/1.1\r\nHost: " HOST "\r\nContent-Length: 11\r\n\r\n");
    conn_expect_bytes_then_eof(h, c,
                               "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 22\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
    assert_true(conn_harness_free(h));
}

/* And for one its check refuses (HTTP/1.0 with chunked framing). */
static void test_rejected_head_has_no_content(void **state)
{
    (void)state;
    struct conn_harness *h = harness(1);
    int c = conn_harness_connect(h, LISTENER_HTTP);
    assert_true(c >= 0);
    conn_expect_send(h, c, "HEAD " ACME "c HTTP/1.0\r\nHost: " HOST "\r\nTransfer-Encoding: chunked\r\n\r\n");
    conn_expect_bytes_then_eof(h, c,
                               "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 16\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
    assert_true(conn_harness_free(h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_answer_to_head_has_no_content),
        cmocka_unit_test(test_refusal_of_head_has_no_content),
        cmocka_unit_test(test_rejected_head_has_no_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
