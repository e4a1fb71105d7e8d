/*
 * admin_http: request head parsing and routing for the admin listener, and
 * the response around the page a route renders. Pure: strings and
 * snapshots in, response bytes out.
 */
#include "gateway/admin/admin_http.h"
#include "gateway/admin/admin.h"
#include "gateway/admin/admin_health.h"
#include "gateway/admin/admin_page.h"
#include "gateway/admin/metrics_render.h"

#include <stdio.h>
#include <string.h>

/* Start of the blank line ending the head, or NULL. Bare LF is tolerated
 * (hand-typed requests with nc), CRLF is the norm. */
static const char *head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n')
            return buf + i;
        if (i + 3 < len && memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return buf + i;
    }
    return NULL;
}

enum admin_parse admin_parse_request(const char *buf, size_t len, struct admin_request *req)
{
    memset(req, 0, sizeof *req);
    if (!head_end(buf, len))
        return ADMIN_PARSE_INCOMPLETE;
    const char *eol = memchr(buf, '\n', len);
    size_t line_len = (size_t)(eol - buf);
    if (line_len > 0 && buf[line_len - 1] == '\r')
        line_len--;
    const char *sp1 = memchr(buf, ' ', line_len);
    if (!sp1)
        return ADMIN_PARSE_BAD;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', line_len - (size_t)(target - buf));
    if (!sp2 || *target != '/')
        return ADMIN_PARSE_BAD;
    const char *version = sp2 + 1;
    size_t version_len = line_len - (size_t)(version - buf);
    if (version_len != 8 || memcmp(version, "HTTP/1.", 7) != 0)
        return ADMIN_PARSE_BAD;
    size_t method_len = (size_t)(sp1 - buf);
    req->get = (method_len == 3 && memcmp(buf, "GET", 3) == 0);
    req->head = (method_len == 4 && memcmp(buf, "HEAD", 4) == 0);
    req->get = req->get || req->head;
    size_t path_len = (size_t)(sp2 - target);
    const char *query = memchr(target, '?', path_len);
    if (query)
        path_len = (size_t)(query - target);
    if (path_len >= ADMIN_PATH_MAX)
        return ADMIN_PARSE_BAD;
    memcpy(req->path, target, path_len);
    req->path[path_len] = '\0';
    return ADMIN_PARSE_OK;
}

static const char *status_text(unsigned code)
{
    switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

#define CT_TEXT       "text/plain; charset=utf-8"
#define CT_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define CT_HTML       "text/html; charset=utf-8"

/* Builds the body for `req`; returns the status and sets *type. */
static unsigned route(const struct admin_request *req, const struct metrics_snapshot *s, struct strbuf *body,
                      const char **type)
{
    *type = CT_TEXT;
    if (!req->get) {
        strbuf_puts(body, "only GET and HEAD\n");
        return 405;
    }
    if (strcmp(req->path, "/metrics") == 0) {
        *type = CT_PROMETHEUS;
        metrics_render_prometheus(s, body);
        return 200;
    }
    if (strcmp(req->path, "/healthz") == 0) {
        char reason[ADMIN_REASON_MAX];
        unsigned code = admin_health(s, reason);
        strbuf_printf(body, "%s\n", reason);
        return code;
    }
    if (strcmp(req->path, "/status") == 0 || strcmp(req->path, "/") == 0) {
        *type = CT_HTML;
        admin_render_status(s, ADMIN_REFRESH_S, body);
        return 200;
    }
    strbuf_puts(body, "not found: try /metrics, /healthz or /status\n");
    return 404;
}

void admin_respond(const struct admin_request *req, enum admin_parse parsed, const struct metrics_snapshot *s,
                   struct strbuf *out)
{
    struct strbuf body = STRBUF_HEAP_INIT;
    const char *type = CT_TEXT;
    unsigned code;
    if (parsed != ADMIN_PARSE_OK || !s) {
        strbuf_puts(&body, "bad request\n");
        code = 400;
    } else {
        code = route(req, s, &body, &type);
    }
    if (body.overflow) {
        strbuf_reset(&body);
        strbuf_puts(&body, "response too large\n");
        code = 503;
        type = CT_TEXT;
    }
    strbuf_printf(out,
                  "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                  "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                  "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
                  "%sConnection: close\r\n\r\n",
                  code, status_text(code), type, body.len, code == 405 ? "Allow: GET, HEAD\r\n" : "");
    if (!(parsed == ADMIN_PARSE_OK && req->head))
        strbuf_append(out, body.data ? body.data : "", body.len);
    strbuf_free(&body);
}
