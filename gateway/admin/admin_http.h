/*
 * admin_http: the admin listener's pure half. Parses one request head,
 * routes it to a page (metrics_render.h, admin_health.h, admin_page.h) and
 * builds the whole response around it; admin.c only moves bytes. Tests
 * drive it with strings and hand-made snapshots.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_HTTP_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_HTTP_H

#include "gateway/admin/metrics.h"
#include "common/strbuf.h"

#include <stddef.h>

#define ADMIN_PATH_MAX 128 /* longest request target we route */

enum admin_parse {
    ADMIN_PARSE_INCOMPLETE, /* no blank line yet: read more */
    ADMIN_PARSE_OK,
    ADMIN_PARSE_BAD, /* answer 400 and close */
};

struct admin_request {
    bool head;                 /* HEAD: same head, no body */
    bool get;                  /* GET or HEAD; others get 405 */
    char path[ADMIN_PATH_MAX]; /* without the query string */
};

/* Looks for a complete request head in buf[0..len). */
enum admin_parse admin_parse_request(const char *buf, size_t len, struct admin_request *req);

/* A whole response (head + body, Connection: close) for `req`. `s` may be
 * NULL for a bad request. */
void admin_respond(const struct admin_request *req, enum admin_parse parsed, const struct metrics_snapshot *s,
                   struct strbuf *out);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_HTTP_H */
