/*
 * admin_http: request head parsing, routing and /healthz for the admin
 * listener. Pure: strings and snapshots in, response bytes out.
 */
#include "gateway/admin/admin_http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* "web-01 down, web-02 down", as many as fit. */
static void list_down(const struct metrics_snapshot *s, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < s->n_backends; i++) {
        if (s->backends[i].up)
            continue;
        int n = snprintf(out + used, len - used, "%s%s down", used ? ", " : "", s->backends[i].name);
        if (n < 0 || (size_t)n >= len - used) {
            out[used] = '\0';
            return;
        }
        used += (size_t)n;
    }
}

unsigned admin_health(const struct metrics_snapshot *s, char reason[ADMIN_REASON_MAX])
{
    unsigned up = metrics_backends_up(s);
    if (s->draining) {
        snprintf(reason, ADMIN_REASON_MAX, "draining: the node is shutting down");
        return 503;
    }
    if (s->vrrp.role == ADMIN_VRRP_FAULT) {
        snprintf(reason, ADMIN_REASON_MAX, "vrrp: fault (a tracked interface is down)");
        return 503;
    }
    if (s->firewall.managed && !s->firewall.applied) {
        snprintf(reason, ADMIN_REASON_MAX, "firewall: the policy is not applied");
        return 503;
    }
    if (s->n_backends == 0) {
        snprintf(reason, ADMIN_REASON_MAX, "no backend configured");
        return 503;
    }
    if (up == 0) {
        char down[ADMIN_REASON_MAX - 32];
        list_down(s, down, sizeof down);
        snprintf(reason, ADMIN_REASON_MAX, "no backend is up (%s)", down);
        return 503;
    }
    snprintf(reason, ADMIN_REASON_MAX, "ok: %u/%u backends up, vrrp %s", up, s->n_backends,
             admin_vrrp_role_name(s->vrrp.role));
    return 200;
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
static unsigned route(const struct admin_request *req, const struct metrics_snapshot *s, struct textbuf *body,
                      const char **type)
{
    *type = CT_TEXT;
    if (!req->get) {
        textbuf_puts(body, "only GET and HEAD\n");
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
        textbuf_printf(body, "%s\n", reason);
        return code;
    }
    if (strcmp(req->path, "/status") == 0 || strcmp(req->path, "/") == 0) {
        *type = CT_HTML;
        admin_render_status(s, ADMIN_REFRESH_S, body);
        return 200;
    }
    textbuf_puts(body, "not found: try /metrics, /healthz or /status\n");
    return 404;
}

void admin_respond(const struct admin_request *req, enum admin_parse parsed, const struct metrics_snapshot *s,
                   struct textbuf *out)
{
    struct textbuf body = TEXTBUF_INIT;
    const char *type = CT_TEXT;
    unsigned code;
    if (parsed != ADMIN_PARSE_OK || !s) {
        textbuf_puts(&body, "bad request\n");
        code = 400;
    } else {
        code = route(req, s, &body, &type);
    }
    if (body.failed) {
        textbuf_reset(&body);
        textbuf_puts(&body, "response too large\n");
        code = 503;
        type = CT_TEXT;
    }
    textbuf_printf(out,
                   "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                   "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
                   "%sConnection: close\r\n\r\n",
                   code, status_text(code), type, body.len, code == 405 ? "Allow: GET, HEAD\r\n" : "");
    if (!(parsed == ADMIN_PARSE_OK && req->head))
        textbuf_append(out, body.data ? body.data : "", body.len);
    textbuf_free(&body);
}

static const char *const vrrp_role_names[ADMIN_VRRP_ROLE_COUNT] = {
    "unknown", "disabled", "init", "backup", "master", "fault",
};

const char *admin_vrrp_role_name(enum admin_vrrp_role role)
{
    return (unsigned)role < ADMIN_VRRP_ROLE_COUNT ? vrrp_role_names[role] : "unknown";
}

enum admin_vrrp_role admin_vrrp_role_from_name(const char *name)
{
    for (unsigned r = 0; r < ADMIN_VRRP_ROLE_COUNT; r++)
        if (name && strcasecmp(name, vrrp_role_names[r]) == 0)
            return (enum admin_vrrp_role)r;
    return ADMIN_VRRP_UNKNOWN;
}
