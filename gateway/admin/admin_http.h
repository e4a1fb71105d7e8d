/*
 * admin_http: the admin listener's pure half. Parses one request head and
 * builds the whole response from a metrics snapshot; admin.c only moves
 * bytes. Tests drive it with strings and hand-made snapshots.
 */
#ifndef RAMPART_GATEWAY_ADMIN_ADMIN_HTTP_H
#define RAMPART_GATEWAY_ADMIN_ADMIN_HTTP_H

#include "gateway/admin/metrics.h"
#include "common/textbuf.h"

#include <stddef.h>

#define ADMIN_PATH_MAX   128 /* longest request target we route */
#define ADMIN_REASON_MAX 256 /* /healthz reason line */

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

/* 200 and "ok: ..." when the node can serve, else 503 and why. */
unsigned admin_health(const struct metrics_snapshot *s, char reason[ADMIN_REASON_MAX]);

/* The /status page: self-contained HTML that reloads every `refresh_s`. */
void admin_render_status(const struct metrics_snapshot *s, unsigned refresh_s, struct textbuf *out);

/* A whole response (head + body, Connection: close) for `req`. `s` may be
 * NULL for a bad request. */
void admin_respond(const struct admin_request *req, enum admin_parse parsed, const struct metrics_snapshot *s,
                   struct textbuf *out);

#endif /* RAMPART_GATEWAY_ADMIN_ADMIN_HTTP_H */
