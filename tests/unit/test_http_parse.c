/* Unit tests for gateway/http/http_parse.c: a fresh parser state for every
 * message (nothing of an upgrade carries into the next request), 1xx heads,
 * and the bounds on chunk extensions and trailers, which count towards
 * max_body. (The request checks and rewrites are in test_http_rules.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/http/http_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct http_limits lim_req = {
    .max_head = 8192,
    .max_uri = 2048,
    .max_headers = 100,
    .max_body = 1 << 20,
};

/* Feeds raw[0..len) from the start of a message until it is done, an
 * error, or no progress; returns the last result (HTTP_FEED_ERROR with
 * p->status), *off how far it got. */
static enum http_feed feed_message(struct http_parser *p, const char *raw, size_t len, size_t *off)
{
    enum http_feed r = HTTP_FEED_MORE;
    for (int guard = 0; guard < 64; guard++) {
        size_t used;
        r = http_parser_feed(p, raw + *off, len - *off, &used);
        *off += used;
        if (r == HTTP_FEED_ERROR || r == HTTP_FEED_DONE || r == HTTP_FEED_UPGRADE)
            return r;
        if (r == HTTP_FEED_MORE && used == 0)
            return r;
    }
    return r;
}

/* Status of a whole request (0: parsed to its end). */
static unsigned request_status(const char *raw, uint64_t max_body)
{
    struct http_parser *p = malloc(sizeof *p);
    struct http_head *h = malloc(sizeof *h);
    struct http_limits lim = lim_req;
    lim.max_body = max_body;
    http_parser_init(p, HTTP_REQUEST, h, &lim);
    http_parser_next(p, raw);
    size_t off = 0;
    enum http_feed r = feed_message(p, raw, strlen(raw), &off);
    unsigned st = r == HTTP_FEED_ERROR ? p->status : r == HTTP_FEED_DONE ? 0 : 999;
    free(p);
    free(h);
    return st;
}

/* ---- one message, one parser state ---------------------------------------------- */

/* The pipelined request after an upgrade request is a request of its own:
 * llhttp stops at an upgrade and would report it again, with nothing
 * consumed, forever (issue 10, defect 1). */
static void test_request_after_upgrade_parses(void **state)
{
    (void)state;
    const char *raw = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                      "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    struct http_parser p;
    struct http_head h;
    http_parser_init(&p, HTTP_REQUEST, &h, &lim_req);
    http_parser_next(&p, raw);
    size_t off = 0, used, len = strlen(raw);
    assert_int_equal(http_parser_feed(&p, raw, len, &used), HTTP_FEED_HEAD);
    off += used;
    assert_true(h.upgrade);
    assert_int_equal(http_parser_feed(&p, raw + off, len - off, &used), HTTP_FEED_UPGRADE);
    off += used;
    http_parser_next(&p, raw + off);
    assert_int_equal(http_parser_feed(&p, raw + off, len - off, &used), HTTP_FEED_HEAD);
    assert_true(used > 0);
    assert_false(h.upgrade);
    assert_true(http_span_ieq(raw + off, h.url, "/next"));
}

/* A message left half-parsed (an early answer stops reading a body) does
 * not bleed into the next one. */
static void test_next_forgets_unfinished_body(void **state)
{
    (void)state;
    const char *first = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc";
    const char *second = "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n";
    struct http_parser p;
    struct http_head h;
    http_parser_init(&p, HTTP_REQUEST, &h, &lim_req);
    http_parser_next(&p, first);
    size_t off = 0;
    assert_int_equal(feed_message(&p, first, strlen(first), &off), HTTP_FEED_MORE);
    http_parser_next(&p, second);
    size_t used;
    assert_int_equal(http_parser_feed(&p, second, strlen(second), &used), HTTP_FEED_HEAD);
    assert_int_equal(p.body_bytes, 0);
    assert_true(http_span_ieq(second, h.url, "/2"));
}

/* 100 Continue, then the final answer, each from a fresh state. */
static void test_interim_then_final_response(void **state)
{
    (void)state;
    const char *raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    struct http_limits lim = lim_req;
    lim.max_body = 0;
    struct http_parser p;
    struct http_head h;
    http_parser_init(&p, HTTP_RESPONSE, &h, &lim);
    http_parser_next(&p, raw);
    size_t used, len = strlen(raw);
    assert_int_equal(http_parser_feed(&p, raw, len, &used), HTTP_FEED_HEAD);
    assert_int_equal(h.status, 100);
    assert_int_equal(h.body, HTTP_BODY_NONE);
    size_t off = used;
    http_parser_next(&p, raw + off);
    assert_int_equal(http_parser_feed(&p, raw + off, len - off, &used), HTTP_FEED_HEAD);
    assert_int_equal(h.status, 200);
    off += used;
    assert_int_equal(feed_message(&p, raw, len, &off), HTTP_FEED_DONE);
    assert_int_equal(off, len);
}

/* A 1xx other than 100-103 with framing has a body as far as llhttp is
 * concerned: the proxy must see that (it answers 502). */
static void test_interim_with_framing_has_a_body(void **state)
{
    (void)state;
    const char *raw = "HTTP/1.1 150 X\r\nContent-Length: 5\r\n\r\nHELLO";
    struct http_limits lim = lim_req;
    lim.max_body = 0;
    struct http_parser p;
    struct http_head h;
    http_parser_init(&p, HTTP_RESPONSE, &h, &lim);
    http_parser_next(&p, raw);
    size_t used;
    assert_int_equal(http_parser_feed(&p, raw, strlen(raw), &used), HTTP_FEED_HEAD);
    assert_int_equal(h.status, 150);
    assert_int_equal(h.body, HTTP_BODY_LENGTH);
    raw = "HTTP/1.1 103 Early Hints\r\nContent-Length: 5\r\n\r\n";
    http_parser_next(&p, raw);
    assert_int_equal(http_parser_feed(&p, raw, strlen(raw), &used), HTTP_FEED_HEAD);
    assert_int_equal(h.body, HTTP_BODY_NONE); /* 100-103 never have one */
}

/* ---- chunk extensions and trailers: bounded, counted in max_body ------------------ */

static char *chunked_with_ext(size_t ext_len)
{
    char *raw = malloc(ext_len + 256);
    int n = sprintf(raw, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;");
    memset(raw + n, 'e', ext_len);
    sprintf(raw + n + ext_len, "\r\nx\r\n0\r\n\r\n");
    return raw;
}

static void test_chunk_extension_limit(void **state)
{
    (void)state;
    char *raw = chunked_with_ext(HTTP_CHUNK_EXT_MAX);
    assert_int_equal(request_status(raw, 0), 0);
    free(raw);
    raw = chunked_with_ext(HTTP_CHUNK_EXT_MAX + 1);
    assert_int_equal(request_status(raw, 0), 400);
    free(raw);
    /* the bound is per size line: two lines at the limit are fine */
    const char *two = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    size_t n = strlen(two);
    char *big = malloc(n + 2 * HTTP_CHUNK_EXT_MAX + 64);
    memcpy(big, two, n);
    for (int i = 0; i < 2; i++) {
        memcpy(big + n, "1;", 2);
        n += 2;
        memset(big + n, 'e', HTTP_CHUNK_EXT_MAX);
        n += HTTP_CHUNK_EXT_MAX;
        memcpy(big + n, "\r\nx\r\n", 5);
        n += 5;
    }
    strcpy(big + n, "0\r\n\r\n");
    assert_int_equal(request_status(big, 0), 0);
    free(big);
}

/* A trailer field "X: vvv": its name and value bytes count. */
static char *chunked_with_trailer(size_t value_len)
{
    char *raw = malloc(value_len + 256);
    int n =
        sprintf(raw, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX: ");
    memset(raw + n, 'v', value_len);
    sprintf(raw + n + value_len, "\r\n\r\n");
    return raw;
}

static void test_trailer_limit(void **state)
{
    (void)state;
    char *raw = chunked_with_trailer(HTTP_TRAILER_MAX - 1); /* + the 1-byte name */
    assert_int_equal(request_status(raw, 0), 0);
    free(raw);
    raw = chunked_with_trailer(HTTP_TRAILER_MAX);
    assert_int_equal(request_status(raw, 0), 431);
    free(raw);
}

static void test_extensions_and_trailers_count_in_max_body(void **state)
{
    (void)state;
    /* payload 5 + extension "e" "1" (2) + trailer "T" "12345" (6) = 13 */
    const char *raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5;e=1\r\nhello\r\n0\r\nT: 12345\r\n\r\n";
    assert_int_equal(request_status(raw, 13), 0);
    assert_int_equal(request_status(raw, 12), 413);
    assert_int_equal(request_status(raw, 7), 413); /* the trailer tips it */
}

/* A trailer is never recorded as a header of the head. */
static void test_trailers_not_recorded(void **state)
{
    (void)state;
    const char *raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "0\r\nHost: evil\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n";
    struct http_parser p;
    struct http_head h;
    http_parser_init(&p, HTTP_REQUEST, &h, &lim_req);
    http_parser_next(&p, raw);
    size_t off = 0;
    assert_int_equal(feed_message(&p, raw, strlen(raw), &off), HTTP_FEED_DONE);
    assert_int_equal(h.n_headers, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_after_upgrade_parses),
        cmocka_unit_test(test_next_forgets_unfinished_body),
        cmocka_unit_test(test_interim_then_final_response),
        cmocka_unit_test(test_interim_with_framing_has_a_body),
        cmocka_unit_test(test_chunk_extension_limit),
        cmocka_unit_test(test_trailer_limit),
        cmocka_unit_test(test_extensions_and_trailers_count_in_max_body),
        cmocka_unit_test(test_trailers_not_recorded),
    };
    return cmocka_run_group_tests_name("http_parse", tests, NULL, NULL);
}
