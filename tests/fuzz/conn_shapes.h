/*
 * conn_shapes: the bytes fuzz_conn.c's peers send, from a few program
 * bytes each: tagged requests (method, version, framing, size, how much
 * of it goes now, extensions, padding), tagged answers of the fake backend
 * (status, 1xx before it, framing, size, close, an extra answer behind it)
 * and the request smuggling shapes (CL+TE, TE+CL, duplicate lengths,
 * obs-fold, bare LF and CR, NUL, huge chunk sizes, long extensions and
 * trailers, upgrades with a request behind them...), each known to be
 * refused before it is forwarded or not. Parts of fuzz_conn; names carry
 * fz_shape_.
 */
#ifndef RAMPART_TESTS_FUZZ_CONN_SHAPES_H
#define RAMPART_TESTS_FUZZ_CONN_SHAPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A message built whole: head_len + now bytes go at once, the rest waits
 * for a release. data is conn_shapes.c's, valid until the next call. */
struct fz_request {
    char *data;
    size_t len, head_len, now;
    bool head; /* a HEAD request: no body comes back */
};

/* Request number req of connection conn (its tag), shaped by a, b, v. */
void fz_shape_request(struct fz_request *r, unsigned conn, unsigned req, uint8_t a, uint8_t b, uint8_t v);
/* The fake backend's answer to the request tagged (tc, tr) (-1: none, no
 * tag), a HEAD or not, shaped by a, b, v. */
void fz_shape_response(struct fz_request *r, long tc, long tr, bool head, uint8_t a, uint8_t b, uint8_t v);
/* The body of the fake backend's answers to the request tagged (tc, tr)
 * is this pattern repeated (tc <= 0: one without a tag): its tag first,
 * so bytes of one answer in another exchange's body show whose they are.
 * Its length (out NUL-terminated). */
size_t fz_shape_body_pattern(long tc, long tr, char *out, size_t cap);
/* Smuggling shape `which` with its two requests tagged (conn, r1) and
 * (conn, r2): the bytes (valid until the next call), their length, and whether the
 * gateway must refuse it before a byte of it is forwarded. */
char *fz_shape_smuggle(uint8_t which, unsigned conn, unsigned r1, unsigned r2, size_t *len, bool *refuse);

#endif /* RAMPART_TESTS_FUZZ_CONN_SHAPES_H */
