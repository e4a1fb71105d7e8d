/* Unit tests for common/log.c: plain and JSON event lines, escaping, cuts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"

#include <string.h>
#include <unistd.h>

#define TS "2026-11-26T06:12:00.123Z"

static void test_plain_line(void **state)
{
    (void)state;
    char buf[LOG_LINE_MAX];
    struct log_field f[] = {{"backend", "web-01"}, {"reason", "3 failed checks"}, {"x", NULL}};
    size_t n =
        log_format_line(buf, sizeof buf, LOG_FORMAT_PLAIN, TS, "relay", LOG_LEVEL_WARN, "backend_down", f, 3);
    assert_string_equal(buf, TS " warn backend_down proc=relay backend=web-01 "
                                "reason=\"3 failed checks\" x=\"\"\n");
    assert_int_equal(n, strlen(buf));
}

static void test_json_line(void **state)
{
    (void)state;
    char buf[LOG_LINE_MAX];
    struct log_field f[] = {{"backend", "web-01"}};
    log_format_line(buf, sizeof buf, LOG_FORMAT_JSON, TS, NULL, LOG_LEVEL_INFO, "backend_up", f, 1);
    assert_string_equal(buf, "{\"ts\":\"" TS "\",\"level\":\"info\",\"event\":\"backend_up\","
                             "\"backend\":\"web-01\"}\n");
}

/* A hostile value cannot start a new line or break out of its quotes. */
static void test_escaping(void **state)
{
    (void)state;
    char buf[LOG_LINE_MAX];
    struct log_field f[] = {{"host", "a\"b\\c\nfake=1\x01"}};
    log_format_line(buf, sizeof buf, LOG_FORMAT_PLAIN, TS, "", LOG_LEVEL_ERROR, "e", f, 1);
    assert_string_equal(buf, TS " error e host=\"a\\\"b\\\\c\\nfake=1\\u0001\"\n");
    log_format_line(buf, sizeof buf, LOG_FORMAT_JSON, TS, "", LOG_LEVEL_ERROR, "e", f, 1);
    assert_non_null(strstr(buf, "\"host\":\"a\\\"b\\\\c\\nfake=1\\u0001\"}"));
    assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

/* A line that does not fit is cut, marked with "..." and still ends in one
 * newline; the boundary is exact. */
static void test_cut_at_limit(void **state)
{
    (void)state;
    char value[LOG_LINE_MAX * 2];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    struct log_field f[] = {{"k", value}};
    char buf[LOG_LINE_MAX];
    size_t n = log_format_line(buf, sizeof buf, LOG_FORMAT_PLAIN, TS, "", LOG_LEVEL_INFO, "e", f, 1);
    assert_int_equal(n, LOG_LINE_MAX - 1);
    assert_int_equal(strlen(buf), n);
    assert_memory_equal(buf + n - 4, "...\n", 4);
    /* exactly filling the room is not a cut */
    char small[64];
    const char *head = TS " info e";
    size_t room = sizeof small - 5; /* LINE_TAIL */
    char word[64];
    size_t wl = room - strlen(head) - 3; /* " k=" */
    memset(word, 'w', wl);
    word[wl] = '\0';
    struct log_field g[] = {{"k", word}};
    n = log_format_line(small, sizeof small, LOG_FORMAT_PLAIN, TS, "", LOG_LEVEL_INFO, "e", g, 1);
    assert_int_equal(n, room + 1);
    assert_null(strstr(small, "..."));
    word[wl] = 'w';
    word[wl + 1] = '\0';
    n = log_format_line(small, sizeof small, LOG_FORMAT_PLAIN, TS, "", LOG_LEVEL_INFO, "e", g, 1);
    assert_non_null(strstr(small, "...\n"));
}

/* log_event writes exactly one line per call to the configured fd. */
static void test_event_to_fd(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    log_setup(LOG_FORMAT_JSON, p[1], LOG_LEVEL_INFO, "parent");
    log_event(LOG_LEVEL_INFO, "relay_started", "pid", "42", LOG_END);
    log_event(LOG_LEVEL_DEBUG, "hidden", LOG_END); /* below the level */
    log_msgf(LOG_LEVEL_ERROR, "oops", "%d things", 3);
    char buf[1024] = {0};
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "\"event\":\"relay_started\",\"proc\":\"parent\",\"pid\":\"42\"}\n"));
    assert_null(strstr(buf, "hidden"));
    assert_non_null(strstr(buf, "\"msg\":\"3 things\"}\n"));
    close(p[0]);
    close(p[1]);
    log_setup(LOG_FORMAT_PLAIN, 2, LOG_LEVEL_INFO, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_line),  cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_escaping),    cmocka_unit_test(test_cut_at_limit),
        cmocka_unit_test(test_event_to_fd),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
