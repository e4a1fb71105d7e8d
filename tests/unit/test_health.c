/* Unit tests for gateway/upstream/health.c's pure parts: the check request and the
 * status line reader (the rise/fall logic is tested in test_backend.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/upstream/health.h"

#include <string.h>

static int parse(const char *text, unsigned *status)
{
    return health_parse_status(text, strlen(text), status);
}

static void test_status_found(void **state)
{
    (void)state;
    unsigned st = 0;
    assert_int_equal(parse("HTTP/1.1 200 OK\r\n", &st), 1);
    assert_int_equal(st, 200);
    assert_int_equal(parse("HTTP/1.0 503 Service Unavailable\r\n", &st), 1);
    assert_int_equal(st, 503);
    /* no reason phrase is allowed by RFC 9112 */
    assert_int_equal(parse("HTTP/1.1 204\r\n", &st), 1);
    assert_int_equal(st, 204);
}

/* A status line arriving byte by byte: "need more" until it is complete. */
static void test_status_partial(void **state)
{
    (void)state;
    const char *line = "HTTP/1.1 301 Moved";
    unsigned st = 0;
    for (size_t n = 0; n < 13; n++)
        assert_int_equal(health_parse_status(line, n, &st), 0);
    assert_int_equal(health_parse_status(line, 13, &st), 1);
    assert_int_equal(st, 301);
}

static void test_status_refused(void **state)
{
    (void)state;
    unsigned st = 0;
    assert_int_equal(parse("SSH-2.0-OpenSSH\r\n", &st), -1);
    assert_int_equal(parse("HTTP/2 200 \r\n", &st), -1);
    assert_int_equal(parse("HTTP/1.1 20x OK\r\n", &st), -1);
    assert_int_equal(parse("HTTP/1.1 2000 OK\r\n", &st), -1);
    assert_int_equal(parse("HTTP/1.1 099 Low\r\n", &st), -1);
    assert_int_equal(parse("HTTP/1.1 600 High\r\n", &st), -1);
    assert_int_equal(parse("H", &st), 0); /* a prefix so far */
    assert_int_equal(parse("X", &st), -1);
}

static void test_request(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    strcpy(cfg.health.path, "/healthz");
    char buf[HEALTH_REQUEST_MAX];
    size_t n = health_format_request(buf, sizeof buf, &cfg.health, "www.foobar.com");
    assert_int_equal(n, strlen(buf));
    assert_non_null(strstr(buf, "GET /healthz HTTP/1.1\r\nHost: www.foobar.com\r\n"));
    assert_non_null(strstr(buf, "Connection: close\r\n\r\n"));
    assert_memory_equal(buf + n - 4, "\r\n\r\n", 4);
}

/* The longest path and host the config allows still fit the buffer; a
 * buffer one byte short is refused rather than cut. */
static void test_request_boundary(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    memset(cfg.health.path, 'p', CONFIG_HTTP_PATH_MAX - 1);
    cfg.health.path[0] = '/';
    cfg.health.path[CONFIG_HTTP_PATH_MAX - 1] = '\0';
    char host[CONFIG_NAME_MAX];
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = '\0';
    char buf[HEALTH_REQUEST_MAX];
    size_t n = health_format_request(buf, sizeof buf, &cfg.health, host);
    assert_true(n > 0);
    assert_int_equal(health_format_request(buf, n, &cfg.health, host), 0);
    assert_int_equal(health_format_request(buf, n + 1, &cfg.health, host), n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_found),     cmocka_unit_test(test_status_partial),
        cmocka_unit_test(test_status_refused),   cmocka_unit_test(test_request),
        cmocka_unit_test(test_request_boundary),
    };
    return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
