/*
 * conn_expect: what the connection tests (test_conn.c, test_proxy.c) say
 * over and over on top of conn_harness.h: the GET a client sends, the head
 * the backend gets for it, and cmocka assertions on the bytes that arrive.
 * Linked into every unit test (the Makefile globs the helpers folder);
 * names carry conn_expect_. Every check fails the running cmocka test.
 */
#ifndef RAMPART_TESTS_UNIT_HELPERS_CONN_EXPECT_H
#define RAMPART_TESTS_UNIT_HELPERS_CONN_EXPECT_H

#include "tests/unit/helpers/conn_harness.h"

#include <stddef.h>

#define CONN_EXPECT_BUF  8192 /* the most bytes one expectation compares */
#define CONN_EXPECT_HOST CONN_HARNESS_TLS_NAME

/* A GET of `path` with its own X-Request-Id `id` and `extra` header lines
 * (each ending in CRLF, or ""). */
void conn_expect_get(char *out, size_t cap, const char *path, const char *id, const char *extra);
/* What the backend gets for that GET (without extra): the same head,
 * X-Forwarded-*, Forwarded and X-Real-IP appended; proto "http"/"https". */
void conn_expect_forwarded_head(char *out, size_t cap, const char *path, const char *id, const char *proto);

/* Sends s, all of it. */
void conn_expect_send(struct conn_harness *h, int fd, const char *s);
/* Exactly `want` arrives on fd (and nothing more is queued behind it). */
void conn_expect_bytes(struct conn_harness *h, int fd, const char *want);
/* Exactly `want`, then the end of the stream. */
void conn_expect_bytes_then_eof(struct conn_harness *h, int fd, const char *want);
/* The backend gets the forwarded head of (path, id). */
void conn_expect_forwarded(struct conn_harness *h, int bfd, const char *path, const char *id,
                           const char *proto);
/* Nothing more, then the end of the stream. */
void conn_expect_eof(struct conn_harness *h, int fd);

#endif /* RAMPART_TESTS_UNIT_HELPERS_CONN_EXPECT_H */
