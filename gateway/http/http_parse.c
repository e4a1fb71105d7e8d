/*
 * http_parse: llhttp glue. Records where a head's parts lie, stops after
 * the head and at the end of the message, tracks body framing. See
 * http_parse.h.
 */
#include "gateway/http/http_parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static struct http_parser *parser_of(llhttp_t *ll)
{
    return ll->data;
}

static void span_extend(struct http_span *s, const struct http_parser *p, const char *at, size_t len)
{
    if (s->len == 0)
        s->off = (uint16_t)(at - p->base);
    s->len = (uint16_t)(s->len + len);
}

static int http_parse_fail(struct http_parser *p, unsigned status)
{
    p->status = status;
    return HPE_USER;
}

static int on_message_begin(llhttp_t *ll)
{
    struct http_parser *p = parser_of(ll);
    struct http_head *h = p->head;
    memset(h, 0, offsetof(struct http_head, headers));
    p->body_bytes = 0;
    p->ext_bytes = p->trailer_bytes = 0;
    p->in_value = false;
    p->url_done = false;
    p->phase = HTTP_PHASE_HEAD;
    return 0;
}

static int on_method(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = parser_of(ll);
    span_extend(&p->head->method, p, at, len);
    return 0;
}

static int on_url(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = parser_of(ll);
    span_extend(&p->head->url, p, at, len);
    return p->head->url.len > p->lim.max_uri ? http_parse_fail(p, 414) : 0;
}

static int on_url_complete(llhttp_t *ll)
{
    parser_of(ll)->url_done = true;
    return 0;
}

/* A field's bytes may arrive in several calls; a new header starts with
 * the first field call after the previous value completed. */
/* a + len, but never past max + 1 (enough to say "over", no overflow). */
static uint32_t add_capped(uint32_t a, size_t len, uint32_t max)
{
    return len > max || a + len > max ? max + 1 : a + (uint32_t)len;
}

/* Bytes that count towards max_body (payload, chunk extensions, trailers). */
static int count_body(struct http_parser *p, size_t len)
{
    p->body_bytes += len;
    return p->lim.max_body && p->body_bytes > p->lim.max_body ? http_parse_fail(p, 413) : 0;
}

/* Trailer fields (after a chunked body) come through the header
 * callbacks: counted and bounded, never recorded. */
static int on_trailer(struct http_parser *p, size_t len)
{
    p->trailer_bytes = add_capped(p->trailer_bytes, len, HTTP_TRAILER_MAX);
    if (p->trailer_bytes > HTTP_TRAILER_MAX)
        return http_parse_fail(p, 431);
    return count_body(p, len);
}

static int on_header_field(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = parser_of(ll);
    struct http_head *h = p->head;
    if (p->phase != HTTP_PHASE_HEAD)
        return on_trailer(p, len);
    if (h->n_headers == 0 || p->in_value) {
        if (h->n_headers >= p->lim.max_headers)
            return http_parse_fail(p, 431);
        memset(&h->headers[h->n_headers++], 0, sizeof h->headers[0]);
        p->in_value = false;
    }
    span_extend(&h->headers[h->n_headers - 1].name, p, at, len);
    return 0;
}

static int on_header_value(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = parser_of(ll);
    if (p->phase != HTTP_PHASE_HEAD)
        return on_trailer(p, len);
    span_extend(&p->head->headers[p->head->n_headers - 1].value, p, at, len);
    return 0;
}

static int on_header_value_complete(llhttp_t *ll)
{
    parser_of(ll)->in_value = true; /* "value seen": next field is a new header */
    return 0;
}

/* What llhttp will read as the body (llhttp__after_headers_complete):
 * 100-103, 204 and 304 never have one, whatever their framing says. */
static bool response_never_has_body(unsigned status)
{
    return (status >= 100 && status <= 103) || status == 204 || status == 304;
}

static enum http_body body_kind(const struct http_parser *p)
{
    const llhttp_t *ll = &p->ll;
    if (p->skip_body || (ll->type == HTTP_RESPONSE && response_never_has_body(ll->status_code)))
        return HTTP_BODY_NONE;
    if (ll->flags & F_CHUNKED)
        return HTTP_BODY_CHUNKED;
    if (ll->flags & F_CONTENT_LENGTH)
        return ll->content_length ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
    if (ll->type == HTTP_RESPONSE && llhttp_message_needs_eof(ll))
        return HTTP_BODY_TO_EOF;
    return HTTP_BODY_NONE;
}

static int on_headers_complete(llhttp_t *ll)
{
    struct http_parser *p = parser_of(ll);
    struct http_head *h = p->head;
    if (p->skip_body)
        ll->flags |= F_SKIPBODY; /* what returning 1 would do, but we pause */
    h->major = ll->http_major;
    h->minor = ll->http_minor;
    h->status = ll->status_code;
    h->upgrade = ll->upgrade != 0;
    h->body = body_kind(p);
    h->content_length = h->body == HTTP_BODY_LENGTH ? ll->content_length : 0;
    h->keep_alive = llhttp_should_keep_alive(ll) != 0;
    if (p->lim.max_body && h->content_length > p->lim.max_body)
        return http_parse_fail(p, 413);
    p->phase = HTTP_PHASE_BODY;
    return HPE_PAUSED;
}

/* With a sink, the payload is gathered at its front (chunk framing and
 * trailers dropped): the bytes overwritten were all parsed already. */
static int on_body(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = parser_of(ll);
    if (p->sink) {
        memmove(p->sink + p->sink_len, at, len);
        p->sink_len += len;
    }
    return count_body(p, len);
}

/* Names and values of chunk extensions (";name=value" after a chunk size). */
static int on_chunk_extension(llhttp_t *ll, const char *at, size_t len)
{
    (void)at;
    struct http_parser *p = parser_of(ll);
    p->ext_bytes = add_capped(p->ext_bytes, len, HTTP_CHUNK_EXT_MAX);
    if (p->ext_bytes > HTTP_CHUNK_EXT_MAX)
        return http_parse_fail(p, 400);
    return count_body(p, len);
}

static int on_chunk_header(llhttp_t *ll)
{
    parser_of(ll)->ext_bytes = 0; /* the next size line starts afresh */
    return 0;
}

static int on_message_complete(llhttp_t *ll)
{
    parser_of(ll)->phase = HTTP_PHASE_DONE;
    return HPE_PAUSED;
}

static const llhttp_settings_t http_settings = {
    .on_message_begin = on_message_begin,
    .on_method = on_method,
    .on_url = on_url,
    .on_url_complete = on_url_complete,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_chunk_extension_name = on_chunk_extension,
    .on_chunk_extension_value = on_chunk_extension,
    .on_chunk_header = on_chunk_header,
    .on_message_complete = on_message_complete,
};

void http_parser_init(struct http_parser *p, llhttp_type_t type, struct http_head *head,
                      const struct http_limits *lim)
{
    memset(p, 0, sizeof *p);
    llhttp_init(&p->ll, type, &http_settings);
    p->ll.data = p;
    p->head = head;
    p->lim = *lim;
    if (p->lim.max_head == 0 || p->lim.max_head > HTTP_HEAD_LIMIT)
        p->lim.max_head = HTTP_HEAD_LIMIT;
    if (p->lim.max_headers == 0 || p->lim.max_headers > HTTP_MAX_HEADERS)
        p->lim.max_headers = HTTP_MAX_HEADERS;
    if (p->lim.max_uri == 0 || p->lim.max_uri > p->lim.max_head)
        p->lim.max_uri = p->lim.max_head;
    memset(head, 0, offsetof(struct http_head, headers));
}

void http_parser_next(struct http_parser *p, const char *base)
{
    llhttp_reset(&p->ll); /* keeps type, settings and data */
    p->base = base;
    p->body_bytes = 0;
    p->ext_bytes = p->trailer_bytes = 0;
    p->phase = HTTP_PHASE_HEAD;
    p->skip_body = false;
}

static enum http_feed head_too_big(struct http_parser *p)
{
    p->status = p->url_done ? 431 : 414;
    return HTTP_FEED_ERROR;
}

enum http_feed http_parser_feed(struct http_parser *p, const char *data, size_t len, size_t *used)
{
    *used = 0;
    if (p->phase == HTTP_PHASE_DONE)
        return HTTP_FEED_DONE;
    size_t n = len;
    if (p->phase == HTTP_PHASE_HEAD) {
        size_t room = (size_t)(p->base + p->lim.max_head - data);
        if (n > room)
            n = room;
    }
    enum http_phase before = p->phase;
    llhttp_errno_t err = llhttp_execute(&p->ll, data, n);
    if (err == HPE_OK) {
        *used = n;
        /* the limit reached and the head still not over */
        bool full = p->phase == HTTP_PHASE_HEAD && data + n >= p->base + p->lim.max_head;
        return full ? head_too_big(p) : HTTP_FEED_MORE;
    }
    const char *pos = llhttp_get_error_pos(&p->ll);
    *used = pos ? (size_t)(pos - data) : n;
    if (err == HPE_PAUSED) {
        llhttp_resume(&p->ll);
        if (before == HTTP_PHASE_HEAD && p->phase == HTTP_PHASE_BODY) {
            p->head->head_len = (uint32_t)(data + *used - p->base);
            return HTTP_FEED_HEAD;
        }
        if (p->phase != HTTP_PHASE_DONE)
            return HTTP_FEED_MORE;
        /* llhttp would say PAUSED_UPGRADE next; the message is over either way */
        return p->head->upgrade ? HTTP_FEED_UPGRADE : HTTP_FEED_DONE;
    }
    if (err == HPE_PAUSED_UPGRADE) {
        llhttp_resume_after_upgrade(&p->ll);
        p->phase = HTTP_PHASE_DONE;
        return HTTP_FEED_UPGRADE;
    }
    if (!p->status)
        p->status = 400;
    return HTTP_FEED_ERROR;
}

bool http_parser_eof(struct http_parser *p)
{
    if (p->phase == HTTP_PHASE_BODY && p->head->body == HTTP_BODY_TO_EOF) {
        p->phase = HTTP_PHASE_DONE;
        return true;
    }
    return false;
}

bool http_span_ieq(const char *base, struct http_span s, const char *lower)
{
    size_t n = strlen(lower);
    return s.len == n && strncasecmp(base + s.off, lower, n) == 0;
}

int http_head_find(const struct http_head *h, const char *base, const char *lower, unsigned from)
{
    for (unsigned i = from; i < h->n_headers; i++)
        if (http_span_ieq(base, h->headers[i].name, lower))
            return (int)i;
    return -1;
}

const char *http_parse_library_version(void)
{
    static char text[32];
    if (!text[0])
        snprintf(text, sizeof text, "llhttp %d.%d.%d", LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR,
                 LLHTTP_VERSION_PATCH);
    return text;
}
