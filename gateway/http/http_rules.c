#include "gateway/http/http_rules.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CONN_TOKENS_MAX 16 /* header names a Connection header may list */

/* A head is built into the caller's send buffer (raw: no NUL kept) and is
 * all or nothing: any cut makes the whole answer -1. */
static void out_span(struct strbuf *o, const char *base, struct http_span s)
{
    strbuf_append(o, base + s.off, s.len);
}

static int out_end(const struct strbuf *o)
{
    return o->overflow ? -1 : (int)o->len;
}

/* ---- tokens -------------------------------------------------------------- */

/* Calls fn for each comma-separated, trimmed token of a header value. */
static bool span_has_token(const char *base, struct http_span v, const char *lower)
{
    const char *s = base + v.off, *end = s + v.len;
    size_t want = strlen(lower);
    while (s < end) {
        while (s < end && (*s == ' ' || *s == '\t' || *s == ','))
            s++;
        const char *t = s;
        while (s < end && *s != ',')
            s++;
        const char *e = s;
        while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - t) == want && strncasecmp(t, lower, want) == 0)
            return true;
    }
    return false;
}

static bool head_has_token(const struct http_head *h, const char *base, const char *name, const char *token)
{
    for (int i = http_head_find(h, base, name, 0); i >= 0; i = http_head_find(h, base, name, (unsigned)i + 1))
        if (span_has_token(base, h->headers[i].value, token))
            return true;
    return false;
}

/* Headers a hop may never strip through Connection, whatever it names:
 * the message framing and the target. */
static bool is_end_to_end_essential(const char *base, struct http_span name)
{
    return http_span_ieq(base, name, "content-length") || http_span_ieq(base, name, "transfer-encoding") ||
           http_span_ieq(base, name, "host");
}

/* Is header `name` listed in any Connection header? */
static bool named_by_connection(const struct http_head *h, const char *base, struct http_span name)
{
    char lower[64];
    if (name.len >= sizeof lower || is_end_to_end_essential(base, name))
        return false;
    for (unsigned i = 0; i < name.len; i++)
        lower[i] = (char)tolower((unsigned char)base[name.off + i]);
    lower[name.len] = '\0';
    return head_has_token(h, base, "connection", lower);
}

static const char *const hop_by_hop[] = {
    "connection", "keep-alive", "te", "trailer", "proxy-connection", "upgrade", "http2-settings",
};

static bool is_hop_by_hop(const struct http_head *h, const char *base, struct http_span name)
{
    for (size_t i = 0; i < sizeof hop_by_hop / sizeof hop_by_hop[0]; i++)
        if (http_span_ieq(base, name, hop_by_hop[i]))
            return true;
    return named_by_connection(h, base, name);
}

bool http_header_hop_by_hop(const struct http_head *h, const char *base, struct http_span name)
{
    return is_hop_by_hop(h, base, name);
}

/* ---- request check ------------------------------------------------------- */

/* reg-name / IPv4 / [IPv6] with an optional :port (RFC 3986 authority
 * without userinfo). */
static bool host_valid(const char *s, size_t n)
{
    if (n == 0 || n > HTTP_HOST_MAX)
        return false;
    size_t i = 0;
    if (s[0] == '[') {
        while (i < n && s[i] != ']') {
            if (!(isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '.' || s[i] == '['))
                return false;
            i++;
        }
        if (i == n || i < 2)
            return false;
        i++;
    } else {
        for (; i < n && s[i] != ':'; i++)
            if (!(isalnum((unsigned char)s[i]) || strchr("-._~!$&'()*+;=%", s[i])))
                return false;
        if (i == 0)
            return false;
    }
    if (i == n)
        return true;
    if (s[i] != ':' || n - i - 1 > 5)
        return false;
    for (i++; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool request_id_usable(const char *s, size_t n)
{
    if (n == 0 || n > HTTP_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr("-_.:+/=", s[i])))
            return false;
    return true;
}

static unsigned check_host(const struct http_head *h, const char *base, bool allow10,
                           struct http_request_info *info)
{
    info->host = http_head_find(h, base, "host", 0);
    if (info->host < 0)
        return (h->minor == 0 && allow10) ? 0 : 400;
    if (http_head_find(h, base, "host", (unsigned)info->host + 1) >= 0)
        return 400;
    struct http_span v = h->headers[info->host].value;
    return host_valid(base + v.off, v.len) ? 0 : 400;
}

static unsigned check_target(const struct http_head *h, const char *base)
{
    if (http_span_ieq(base, h->method, "connect"))
        return 405;
    if (h->url.off != h->method.off + h->method.len + 1)
        return 400; /* exactly one SP between method and target */
    const char *u = base + h->url.off;
    if (h->url.len == 1 && u[0] == '*')
        return http_span_ieq(base, h->method, "options") ? 0 : 400;
    return (h->url.len > 0 && u[0] == '/') ? 0 : 400; /* origin-form only */
}

static bool method_idempotent(const char *base, struct http_span m)
{
    static const char *const idempotent[] = {"get", "head", "options", "trace", "put", "delete"};
    for (size_t i = 0; i < sizeof idempotent / sizeof idempotent[0]; i++)
        if (http_span_ieq(base, m, idempotent[i]))
            return true;
    return false;
}

unsigned http_request_check(const struct http_head *h, const char *base, bool allow_http10_without_host,
                            struct http_request_info *info)
{
    memset(info, 0, sizeof *info);
    info->host = info->request_id = -1;
    /* Known whatever the verdict: a refusal of a HEAD has no content either. */
    info->head_method = http_span_ieq(base, h->method, "head");
    info->idempotent = method_idempotent(base, h->method);
    if (h->major != 1 || h->minor > 1)
        return 505;
    if (h->minor == 0 && h->body == HTTP_BODY_CHUNKED)
        return 400; /* HTTP/1.0 has no chunked framing: the length is in doubt */
    unsigned st = check_target(h, base);
    if (!st)
        st = check_host(h, base, allow_http10_without_host, info);
    if (st)
        return st;
    int expect = http_head_find(h, base, "expect", 0);
    if (expect >= 0) {
        if (!http_span_ieq(base, h->headers[expect].value, "100-continue"))
            return 417;
        info->expect_continue = h->minor == 1;
    }
    int rid = http_head_find(h, base, "x-request-id", 0);
    if (rid >= 0 && request_id_usable(base + h->headers[rid].value.off, h->headers[rid].value.len))
        info->request_id = rid;
    info->websocket = h->upgrade && http_span_ieq(base, h->method, "get") &&
                      head_has_token(h, base, "upgrade", "websocket") &&
                      head_has_token(h, base, "connection", "upgrade");
    size_t acme_len = strlen(HTTP_ACME_PREFIX);
    info->acme = h->url.len > acme_len && memcmp(base + h->url.off, HTTP_ACME_PREFIX, acme_len) == 0;
    return 0;
}

/* ---- request head for the backend ---------------------------------------- */

/* Values of all headers named `lower`, joined with ", " (list headers). */
static bool out_joined(struct strbuf *o, const struct http_head *h, const char *base, const char *lower)
{
    bool any = false;
    for (int i = http_head_find(h, base, lower, 0); i >= 0;
         i = http_head_find(h, base, lower, (unsigned)i + 1)) {
        if (h->headers[i].value.len == 0)
            continue;
        if (any)
            strbuf_puts(o, ", ");
        out_span(o, base, h->headers[i].value);
        any = true;
    }
    return any;
}

/* Headers the gateway writes itself: the client's copies never pass (the
 * two lists are appended to with what the client sent, the rest is ours). */
static bool replaced_on_request(const char *base, struct http_span name)
{
    static const char *const ours[] = {"x-forwarded-for",    "x-forwarded-proto", "x-forwarded-host",
                                       "x-forwarded-port",   "x-real-ip",         "forwarded",
                                       "proxy-authorization"};
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        if (http_span_ieq(base, name, ours[i]))
            return true;
    return false;
}

static void out_forwarded(struct strbuf *o, const struct http_head *h, const char *base,
                          const struct http_request_info *info, const struct http_forward *f)
{
    bool v6 = strchr(f->client_ip, ':') != NULL;
    const char *proto = f->https ? "https" : "http";
    strbuf_puts(o, "X-Forwarded-For: ");
    if (out_joined(o, h, base, "x-forwarded-for"))
        strbuf_puts(o, ", ");
    strbuf_printf(o, "%s\r\nX-Forwarded-Proto: %s\r\nForwarded: ", f->client_ip, proto);
    if (out_joined(o, h, base, "forwarded"))
        strbuf_puts(o, ", ");
    strbuf_printf(o, v6 ? "for=\"[%s]\";proto=%s" : "for=%s;proto=%s", f->client_ip, proto);
    if (info->host >= 0) {
        strbuf_puts(o, ";host=\"");
        out_span(o, base, h->headers[info->host].value);
        strbuf_puts(o, "\"");
    }
    strbuf_printf(o, "\r\nX-Real-IP: %s\r\n", f->client_ip);
    if (info->host >= 0) {
        strbuf_puts(o, "X-Forwarded-Host: ");
        out_span(o, base, h->headers[info->host].value);
        strbuf_puts(o, "\r\n");
    }
    if (f->port)
        strbuf_printf(o, "X-Forwarded-Port: %u\r\n", f->port);
}

int http_request_write(const struct http_head *h, const char *base, const struct http_request_info *info,
                       const struct http_forward *f, char *out, size_t cap)
{
    struct strbuf o;
    strbuf_init_raw(&o, out, cap);
    out_span(&o, base, h->method);
    strbuf_puts(&o, " ");
    out_span(&o, base, h->url);
    strbuf_printf(&o, " HTTP/1.%u\r\n", h->minor);
    for (unsigned i = 0; i < h->n_headers; i++) {
        struct http_span name = h->headers[i].name;
        bool keep_upgrade = info->websocket && http_span_ieq(base, name, "upgrade");
        if ((!keep_upgrade && is_hop_by_hop(h, base, name)) || replaced_on_request(base, name))
            continue;
        out_span(&o, base, name);
        strbuf_puts(&o, ": ");
        out_span(&o, base, h->headers[i].value);
        strbuf_puts(&o, "\r\n");
    }
    if (info->websocket)
        strbuf_puts(&o, "Connection: upgrade\r\n");
    out_forwarded(&o, h, base, info, f);
    if (info->request_id < 0)
        strbuf_printf(&o, "X-Request-Id: %s\r\n", f->new_request_id);
    strbuf_puts(&o, "\r\n");
    return out_end(&o);
}

/* ---- response head for the client ---------------------------------------- */

int http_hsts_value(const struct http_reply_opts *r, char *out, size_t cap)
{
    if (!r->https || r->hsts_max_age_s == 0 || cap == 0)
        return 0;
    int n = snprintf(out, cap, "max-age=%llu%s", (unsigned long long)r->hsts_max_age_s,
                     r->hsts_subdomains ? "; includeSubDomains" : "");
    return n > 0 && (size_t)n < cap ? n : 0;
}

static void out_hsts(struct strbuf *o, const struct http_reply_opts *r)
{
    char v[HTTP_HSTS_VALUE_MAX];
    if (http_hsts_value(r, v, sizeof v) > 0)
        strbuf_printf(o, "Strict-Transport-Security: %s\r\n", v);
}

static void out_connection(struct strbuf *o, const struct http_reply_opts *r)
{
    if (r->websocket)
        strbuf_puts(o, "Connection: upgrade\r\n");
    else if (r->close)
        strbuf_puts(o, "Connection: close\r\n");
    else if (r->client_http10)
        strbuf_puts(o, "Connection: keep-alive\r\n");
}

int http_response_write(const struct http_head *h, const char *base, const struct http_reply_opts *r,
                        char *out, size_t cap)
{
    struct strbuf o;
    strbuf_init_raw(&o, out, cap);
    const char *eol = memchr(base, '\n', h->head_len);
    const char *sp = eol ? memchr(base, ' ', (size_t)(eol - base)) : NULL;
    if (!sp)
        return -1;
    /* Our own version, not the backend's (RFC 9110 section 6.2): an
     * "HTTP/1.0" passed on would tell a client the connection ends after
     * this answer while the gateway keeps it (found by fuzz_conn). The
     * status code and reason as the backend sent them. */
    strbuf_puts(&o, "HTTP/1.1");
    strbuf_append(&o, sp, (size_t)(eol - sp) + 1);
    bool interim = h->status >= 100 && h->status < 200 && h->status != 101;
    for (unsigned i = 0; i < h->n_headers; i++) {
        struct http_span name = h->headers[i].name;
        bool keep_upgrade = r->websocket && http_span_ieq(base, name, "upgrade");
        bool framing =
            http_span_ieq(base, name, "content-length") || http_span_ieq(base, name, "transfer-encoding");
        if ((!keep_upgrade && is_hop_by_hop(h, base, name)) ||
            http_span_ieq(base, name, "strict-transport-security") || (interim && framing))
            continue;
        out_span(&o, base, name);
        strbuf_puts(&o, ": ");
        out_span(&o, base, h->headers[i].value);
        strbuf_puts(&o, "\r\n");
    }
    if (!interim) {
        out_hsts(&o, r);
        out_connection(&o, r);
    }
    strbuf_puts(&o, "\r\n");
    return out_end(&o);
}

/* ---- canned answers ------------------------------------------------------ */

const char *http_status_reason(unsigned status)
{
    switch (status) {
    case 100: return "Continue";
    case 301: return "Moved Permanently";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

int http_reply_error(unsigned status, const struct http_reply_opts *r, char *out, size_t cap)
{
    struct strbuf o;
    strbuf_init_raw(&o, out, cap);
    const char *reason = http_status_reason(status);
    strbuf_printf(&o,
                  "HTTP/1.1 %u %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                  "Cache-Control: no-store\r\n",
                  status, reason, strlen(reason) + 5);
    if (status == 503)
        strbuf_puts(&o, "Retry-After: 5\r\n");
    if (status == 405)
        strbuf_puts(&o, "Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\n");
    out_hsts(&o, r);
    out_connection(&o, r);
    strbuf_puts(&o, "\r\n");
    if (!r->head_only) /* Content-Length still says what a GET would get */
        strbuf_printf(&o, "%u %s\n", status, reason);
    return out_end(&o);
}

int http_reply_redirect(const struct http_head *h, const char *base, const struct http_request_info *info,
                        const struct http_reply_opts *r, char *out, size_t cap)
{
    if (info->host < 0)
        return http_reply_error(400, r, out, cap);
    struct http_span host = h->headers[info->host].value;
    const char *hs = base + host.off;
    size_t hn = host.len;
    const char *bracket = memchr(hs, ']', hn);
    const char *colon = memchr(bracket ? bracket : hs, ':', hn - (size_t)((bracket ? bracket : hs) - hs));
    if (colon)
        hn = (size_t)(colon - hs); /* the https port is the default one */
    bool keeps_method = !(http_span_ieq(base, h->method, "get") || http_span_ieq(base, h->method, "head"));
    unsigned status = keeps_method ? 308 : 301;
    struct strbuf o;
    strbuf_init_raw(&o, out, cap);
    strbuf_printf(&o, "HTTP/1.1 %u %s\r\nLocation: https://", status, http_status_reason(status));
    strbuf_append(&o, hs, hn);
    out_span(&o, base, h->url);
    strbuf_puts(&o, "\r\nContent-Length: 0\r\n");
    out_connection(&o, r);
    strbuf_puts(&o, "\r\n");
    return out_end(&o);
}

void http_request_id_format(char out[HTTP_REQUEST_ID_LEN + 1], uint64_t a, uint64_t b)
{
    snprintf(out, HTTP_REQUEST_ID_LEN + 1, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}
