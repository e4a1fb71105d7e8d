/* Unit tests for gateway/proxy/access_log.c: the line formats, escaping of
 * client-controlled text, and the length bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy/access_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct access_entry sample = {
    .client_ip = "198.18.0.7",
    .method = "GET",
    .path = "/index.html?q=1",
    .protocol = "HTTP/2.0",
    .status = 200,
    .bytes = 1234,
    .duration_us = 1500,
    .backend = "web-01",
    .tls_version = "TLSv1.3",
    .tls_cipher = "TLS_AES_128_GCM_SHA256",
    .request_id = "abc",
};

static void test_plain(void **state)
{
    (void)state;
    char out[ACCESS_LOG_LINE_MAX];
    size_t n = access_log_format(&sample, LOG_FORMAT_PLAIN, out, sizeof out);
    assert_string_equal(out, "198.18.0.7 \"GET /index.html?q=1\" 200 1234 1.500ms backend=web-01 "
                             "tls=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 proto=HTTP/2.0 id=abc\n");
    assert_int_equal(n, strlen(out));
}

static void test_json(void **state)
{
    (void)state;
    char out[ACCESS_LOG_LINE_MAX];
    struct access_entry e = sample;
    e.backend = NULL; /* answered by the gateway itself */
    e.tls_version = e.tls_cipher = NULL;
    access_log_format(&e, LOG_FORMAT_JSON, out, sizeof out);
    assert_string_equal(
        out,
        "{\"client\":\"198.18.0.7\",\"method\":\"GET\",\"path\":\"/index.html?q=1\","
        "\"protocol\":\"HTTP/2.0\",\"status\":200,\"bytes\":1234,\"duration_ms\":1.500,\"backend\":\"-\","
        "\"tls_version\":\"-\",\"tls_cipher\":\"-\",\"request_id\":\"abc\"}\n");
}

static void test_escaping(void **state)
{
    (void)state;
    char out[ACCESS_LOG_LINE_MAX];
    struct access_entry e = sample;
    e.path = "/a\"b\\c\n\x01\xff";
    access_log_format(&e, LOG_FORMAT_JSON, out, sizeof out);
    assert_non_null(strstr(out, "\"path\":\"/a\\x22b\\x5cc\\x0a\\x01\\xff\""));
    assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1); /* one line */
}

static void test_bound(void **state)
{
    (void)state;
    char path[4000];
    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    struct access_entry e = sample;
    e.path = path;
    char out[ACCESS_LOG_LINE_MAX];
    size_t n = access_log_format(&e, LOG_FORMAT_PLAIN, out, sizeof out);
    assert_int_equal(n, ACCESS_LOG_LINE_MAX - 1);
    assert_int_equal(out[n - 1], '\n');
    assert_int_equal(out[n], '\0');
    char tiny[8];
    n = access_log_format(&e, LOG_FORMAT_PLAIN, tiny, sizeof tiny);
    assert_int_equal(n, 7);
    assert_string_equal(tiny, "198.18\n");
}

/* Issue 10: a link at the log's path is refused (O_NOFOLLOW): lines go to
 * stderr, the file the link names is never written. */
static void test_symlink_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/rampart-alog-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char target[128], link[128], plain[128];
    snprintf(target, sizeof target, "%s/victim", dir);
    snprintf(link, sizeof link, "%s/access.log", dir);
    snprintf(plain, sizeof plain, "%s/plain.log", dir);
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(symlink(target, link), 0);
    struct config cfg;
    config_defaults(&cfg);
    snprintf(cfg.gateway.access_log, sizeof cfg.gateway.access_log, "%s", link);
    assert_int_equal(access_log_open(&cfg), -1);
    access_log_write(&cfg, &sample);
    struct stat st;
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 0);
    snprintf(cfg.gateway.access_log, sizeof cfg.gateway.access_log, "%s", plain);
    assert_int_equal(access_log_open(&cfg), 0); /* a plain file is fine */
    access_log_write(&cfg, &sample);
    assert_int_equal(stat(plain, &st), 0);
    assert_true(st.st_size > 0);
    unlink(link);
    unlink(target);
    unlink(plain);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),           cmocka_unit_test(test_json),
        cmocka_unit_test(test_escaping),        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_symlink_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
