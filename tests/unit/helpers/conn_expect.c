/*
 * conn_expect: requests, forwarded heads and byte assertions for the
 * connection tests. See conn_expect.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/helpers/conn_expect.h"

#include <stdio.h>
#include <string.h>

void conn_expect_get(char *out, size_t cap, const char *path, const char *id, const char *extra)
{
    snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: " CONN_EXPECT_HOST "\r\nX-Request-Id: %s\r\n%s\r\n", path,
             id, extra);
}

void conn_expect_forwarded_head(char *out, size_t cap, const char *path, const char *id, const char *proto)
{
    unsigned port = strcmp(proto, "https") == 0 ? CONN_HARNESS_PORT_HTTPS : CONN_HARNESS_PORT_HTTP;
    snprintf(out, cap,
             "GET %s HTTP/1.1\r\nHost: " CONN_EXPECT_HOST "\r\nX-Request-Id: %s\r\n"
             "X-Forwarded-For: " CONN_HARNESS_PEER_IP "\r\nX-Forwarded-Proto: %s\r\n"
             "Forwarded: for=" CONN_HARNESS_PEER_IP ";proto=%s;host=\"" CONN_EXPECT_HOST "\"\r\n"
             "X-Real-IP: " CONN_HARNESS_PEER_IP "\r\nX-Forwarded-Host: " CONN_EXPECT_HOST "\r\n"
             "X-Forwarded-Port: %u\r\n\r\n",
             path, id, proto, proto, port);
}

void conn_expect_send(struct conn_harness *h, int fd, const char *s)
{
    assert_true(conn_harness_send_str(h, fd, s));
}

void conn_expect_bytes(struct conn_harness *h, int fd, const char *want)
{
    char buf[CONN_EXPECT_BUF];
    bool eof = false;
    conn_harness_recv_wait(h, fd, buf, sizeof buf, strlen(want), &eof);
    assert_string_equal(buf, want);
}

void conn_expect_bytes_then_eof(struct conn_harness *h, int fd, const char *want)
{
    char buf[CONN_EXPECT_BUF];
    conn_harness_recv_all(h, fd, buf, sizeof buf);
    assert_string_equal(buf, want);
}

void conn_expect_forwarded(struct conn_harness *h, int bfd, const char *path, const char *id,
                           const char *proto)
{
    char want[CONN_EXPECT_BUF];
    conn_expect_forwarded_head(want, sizeof want, path, id, proto);
    conn_expect_bytes(h, bfd, want);
}

void conn_expect_eof(struct conn_harness *h, int fd)
{
    char buf[CONN_EXPECT_BUF];
    bool eof = false;
    assert_int_equal(conn_harness_recv_wait(h, fd, buf, sizeof buf, 1, &eof), 0);
    assert_true(eof);
}
