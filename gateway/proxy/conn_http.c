/*
 * conn_http: HTTP on the client side of a connection (see
 * conn_internal.h): a request head is checked and rewritten, answered
 * locally (errors, the plain listener's redirect) or handed to proxy.c;
 * when the answer is out, the exchange is logged and the connection goes
 * on to the next request, to keep-alive, or closes.
 */
#include "gateway/proxy/conn_internal.h"

#include "gateway/admin/metrics.h"
#include "gateway/proxy/abuse.h"
#include "gateway/proxy/access_log.h"
#include "gateway/proxy/admission.h"
#include "tls/tls.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t conn_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- local answers ---------------------------------------------------------------- */

void conn_reply_opts(const struct conn *c, struct http_reply_opts *o)
{
    *o = (struct http_reply_opts){
        .https = c->kind == LISTENER_HTTPS,
        .hsts_max_age_s = c->cfg->tls.hsts_max_age_s,
        .hsts_subdomains = c->cfg->tls.hsts_include_subdomains,
        .close = c->close_after,
    };
}

/* Whether the answer goes to a HEAD (and so has no content): what the
 * request's check found once it was accepted; before that, the method the
 * parser saw (a 413 for a HEAD's declared body comes with its head). */
static bool answering_head(const struct exchange *x)
{
    if (x->rq != RQ_HEAD)
        return x->info.head_method;
    return http_span_ieq(x->cin_data, x->req_h.method, "head");
}

/* A framing or protocol error always ends the connection; a backend
 * error (502/503/504) keeps it when the request was read whole. */
void conn_reply(struct conn *c, unsigned status)
{
    struct exchange *x = c->x;
    if (!x || x->resp_started || x->cout.end > x->cout.start) {
        conn_close(c);
        return;
    }
    proxy_release(x, false); /* socket, backend slot, queue place */
    if (x->rq != RQ_DONE || status < 500 || c->w->draining)
        c->close_after = true;
    struct http_reply_opts o;
    conn_reply_opts(c, &o);
    o.head_only = answering_head(x); /* a HEAD client reads no content */
    x->rq = RQ_DONE;
    int n = http_reply_error(status, &o, x->cout_data, CONN_HEAD_OUT_SIZE);
    x->cout = (struct conn_buf){0, 0, n > 0 ? (uint32_t)n : 0};
    x->bin.start = x->bin.mid; /* nothing of the backend's goes out any more */
    x->status = status;
    x->local = x->resp_started = true;
    x->rs = RS_DONE;
    c->state = c->close_after ? CS_CLOSING : CS_FORWARD;
    conn_timer(c, c->close_after ? c->cfg->limits.header_timeout_ms : 0);
}

void conn_count_reject(struct conn *c, unsigned status)
{
    if (abuse_counts_status(status))
        admission_note_reject(c->w, &c->peer);
    switch (status) {
    case 408: metrics_reject(METRICS_REJECT_TIMEOUT); break;
    case 413: metrics_reject(METRICS_REJECT_BODY_TOO_LARGE); break;
    case 414: metrics_reject(METRICS_REJECT_URI_TOO_LONG); break;
    case 431: metrics_reject(METRICS_REJECT_HEADERS_TOO_LARGE); break;
    default: metrics_reject(METRICS_REJECT_BAD_REQUEST); break;
    }
}

void conn_reject(struct conn *c, unsigned status)
{
    conn_count_reject(c, status);
    conn_reply(c, status);
}

/* The plain listener: everything but ACME challenges goes to https://. */
static void conn_redirect(struct conn *c)
{
    struct exchange *x = c->x;
    if (x->req_h.body != HTTP_BODY_NONE)
        c->close_after = true; /* we will not read the body */
    struct http_reply_opts o;
    conn_reply_opts(c, &o);
    o.https = false;
    int n = http_reply_redirect(&x->req_h, x->cin_data, &x->info, &o, x->cout_data, CONN_HEAD_OUT_SIZE);
    if (n <= 0) { /* no Host to redirect to: the client's error, counted */
        conn_reject(c, 400);
        return;
    }
    x->cout = (struct conn_buf){0, 0, (uint32_t)n};
    x->status = (unsigned)atoi(x->cout_data + 9);
    x->local = x->resp_started = true;
    x->rs = RS_DONE;
    if (c->close_after)
        x->rq = RQ_DONE;
    atomic_fetch_add_explicit(&metrics.redirects, 1, memory_order_relaxed);
}

/* ---- requests ------------------------------------------------------------------------ */

static void copy_span(char *dst, size_t cap, const char *base, struct http_span s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, base + s.off, n);
    dst[n] = '\0';
}

unsigned conn_request_prepare(struct exchange *x)
{
    struct conn *c = x->c;
    struct http_head *h = &x->req_h;
    copy_span(x->method, sizeof x->method, x->cin_data, h->method);
    copy_span(x->path, sizeof x->path, x->cin_data, h->url);
    unsigned st = http_request_check(h, x->cin_data, c->cfg->limits.allow_http10_without_host, &x->info);
    if (st)
        return st;
    if (x->info.request_id >= 0)
        copy_span(x->request_id, sizeof x->request_id, x->cin_data, h->headers[x->info.request_id].value);
    else
        http_request_id_format(x->request_id, conn_rng_next(c->w->conns), conn_rng_next(c->w->conns));
    if (c->kind == LISTENER_HTTP && !x->info.acme)
        return 0; /* redirected, not forwarded: conn_redirect */
    struct http_forward f = {.client_ip = c->ip,
                             .https = c->kind == LISTENER_HTTPS,
                             .port = c->local_port,
                             .new_request_id = x->request_id};
    int n = http_request_write(h, x->cin_data, &x->info, &f, x->bout_data, CONN_HEAD_OUT_SIZE);
    if (n < 0)
        return 431;
    x->bout = (struct conn_buf){0, 0, (uint32_t)n};
    return 0;
}

static void request_accepted(struct conn *c)
{
    struct exchange *x = c->x;
    struct http_head *h = &x->req_h;
    x->start_us = conn_mono_us();
    c->state = CS_FORWARD;
    x->rq = RQ_BODY;
    conn_timer(c, 0);
    unsigned st = conn_request_prepare(x);
    if (st) {
        conn_reject(c, st);
        return;
    }
    c->requests++;
    /* An upgrade request that does not become a tunnel (answered here, or
     * the backend says no) ends the connection: what follows it on the
     * wire was meant for the other protocol (llhttp stops there too). A
     * tunnel ends with its connection anyway. */
    if (!h->keep_alive || c->w->draining || h->upgrade)
        c->close_after = true;
    x->cin.start = x->cin.mid; /* the head was rewritten (or answered), not forwarded */
    if (c->kind == LISTENER_HTTP && !x->info.acme) {
        conn_redirect(c);
        return;
    }
    proxy_start(x);
}

static bool request_parse_step(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x)
        return false;
    if (c->state == CS_TUNNEL) {
        bool more = x->cin.mid != x->cin.end;
        x->cin.mid = x->cin.end;
        return more;
    }
    if (!(c->state == CS_HEAD || (c->state == CS_FORWARD && x->rq == RQ_BODY && !x->early)))
        return false;
    size_t used;
    enum http_feed r = http_parser_feed(&x->req_p, x->cin_data + x->cin.mid, x->cin.end - x->cin.mid, &used);
    x->cin.mid += (uint32_t)used;
    switch (r) {
    case HTTP_FEED_MORE: return used > 0;
    case HTTP_FEED_HEAD: request_accepted(c); return true;
    case HTTP_FEED_DONE:
    case HTTP_FEED_UPGRADE: {
        if (c->state == CS_HEAD) { /* a fresh parser never ends before a head */
            conn_reject(c, 400);
            return true;
        }
        /* Progress only when something moved: a parser that keeps saying
         * "done" must not keep the pump turning (issue 10). */
        bool changed = x->rq != RQ_DONE;
        x->rq = RQ_DONE;
        if (changed)
            proxy_request_sent(x);
        return changed || used > 0;
    }
    case HTTP_FEED_ERROR:
    default:
        if (c->state == CS_FORWARD && x->rq == RQ_BODY)
            x->cin.mid = x->cin.start; /* forward nothing of a bad body */
        conn_reject(c, x->req_p.status);
        return true;
    }
}

/* A head and the body bytes already here are parsed in one go, so they
 * leave in one write. */
bool conn_request_parse(struct conn *c)
{
    bool did = false;
    for (int i = 0; i < 4 && c->state != CS_CLOSED && request_parse_step(c); i++)
        did = true;
    return did;
}

void conn_exchange_log(struct exchange *x)
{
    struct conn *c = x->c;
    uint64_t dur = x->start_us ? conn_mono_us() - x->start_us : 0;
    metrics_request_done(x->status, dur);
    metrics_request_proto(x->xs ? METRICS_PROTO_H2 : METRICS_PROTO_HTTP1);
    struct access_entry e = {
        .client_ip = c->ip,
        .method = x->method,
        .path = x->path,
        .protocol = x->xs                 ? "HTTP/2.0"
                    : x->req_h.minor == 0 ? "HTTP/1.0"
                                          : "HTTP/1.1",
        .status = x->status,
        .bytes = x->bytes_out,
        .duration_us = dur,
        .backend = x->backend_name,
        .tls_version = c->tls ? tls_conn_version(c->tls) : NULL,
        .tls_cipher = c->tls ? tls_conn_cipher(c->tls) : NULL,
        .request_id = x->request_id,
    };
    access_log_write(c->cfg, &e);
    x->start_us = 0;
    x->status = 0;
}

void conn_request_done(struct conn *c)
{
    conn_exchange_log(c->x);
    c->x->rq = RQ_HEAD; /* logged: conn_close must not log it again */
}

/* The answer is out: next request, idle, or close. After an early answer
 * (the backend answered before it had the whole request) the rest of the
 * request is not sent and that backend socket is closed, never pooled. */
bool conn_exchange_finish(struct conn *c)
{
    struct exchange *x = c->x;
    if (!x || x->rs != RS_DONE || c->state == CS_TUNNEL || (x->rq != RQ_DONE && !x->early))
        return false;
    if (x->cout.start < x->cout.end || x->bin.start < x->bin.mid)
        return false;
    bool sent_all = x->bout.start == x->bout.end && x->cin.start == x->cin.mid;
    if (!x->local && !sent_all && !x->early)
        return false;
    /* The backend got the request in the client's version, Connection
     * removed: after an HTTP/1.0 one it closes (RFC 9112 section 9.3),
     * whatever its answer says, so that socket is not kept (fuzz_conn). */
    bool reusable = !x->local && !x->early && sent_all && x->resp_h.keep_alive && x->req_h.minor >= 1 &&
                    x->bin.mid == x->bin.end && !x->backend_eof;
    conn_request_done(c);
    proxy_release(x, reusable);
    if (c->close_after || c->client_eof || c->w->draining) {
        conn_close(c);
        return false;
    }
    uint32_t left = x->cin.end - x->cin.mid;
    if (left > 0) { /* a pipelined request is already here */
        memmove(x->cin_data, x->cin_data + x->cin.mid, left);
        x->cin = (struct conn_buf){0, 0, left};
        conn_exchange_reset(x);
        http_parser_next(&x->req_p, x->cin_data);
        c->state = CS_HEAD;
        conn_timer(c, c->cfg->limits.header_timeout_ms);
        return true;
    }
    /* Keep-alive: buffers stay for a moment (the next request of a busy
     * client usually follows at once), then go (conn_on_timer). */
    x->cin = (struct conn_buf){0};
    conn_exchange_reset(x);
    http_parser_next(&x->req_p, x->cin_data);
    c->state = CS_IDLE;
    c->idle_shrunk = false;
    /* mbedTLS reads a record only when asked, so with nothing decrypted
     * and waiting, the next request is still in the kernel: let epoll say
     * when, instead of a read that would fail now. */
    if (c->tls && tls_conn_pending(c->tls) == 0)
        c->c_rblk = LOOP_READ;
    conn_timer(c, CONN_IDLE_SHRINK_MS);
    return true;
}

/* ---- the client side of an HTTP/1.1 exchange (x->ops) ---------------------------------- */

static void h1_timer(struct exchange *x, uint64_t ms)
{
    conn_timer(x->c, ms);
}

static void h1_reply(struct exchange *x, unsigned status)
{
    conn_reply(x->c, status);
}

static void h1_reject(struct exchange *x, unsigned status)
{
    conn_reject(x->c, status);
}

static void h1_abort(struct exchange *x)
{
    conn_close(x->c);
}

static void h1_pump(struct exchange *x)
{
    conn_pump(x->c);
}

/* The head rewritten into cout. A final one decides whether the
 * connection can carry another request: not when the body ends with the
 * close, or when the request is still coming in (an upgrade request that
 * did not become a tunnel closes too: request_accepted). */
static bool h1_head(struct exchange *x, bool final)
{
    struct conn *c = x->c;
    struct http_head *h = &x->resp_h;
    struct http_reply_opts o;
    conn_reply_opts(c, &o);
    o.close = false;
    if (final) {
        if (h->body == HTTP_BODY_TO_EOF || x->rq != RQ_DONE || c->w->draining)
            c->close_after = true;
        o.close = c->close_after;
        o.client_http10 = x->req_h.minor == 0;
        o.websocket = x->tunnel;
    }
    int n = http_response_write(h, x->bin_data, &o, x->cout_data, CONN_HEAD_OUT_SIZE);
    if (n < 0)
        return false;
    x->cout = (struct conn_buf){0, 0, (uint32_t)n};
    x->bin.start = x->bin.mid; /* the raw head is not forwarded */
    if (final && x->tunnel)
        c->state = CS_TUNNEL;
    return true;
}

struct exchange *conn_exchange_get(struct conn *c)
{
    return exchange_take(c, &conn_h1_ops);
}

const struct exchange_ops conn_h1_ops = {
    .timer = h1_timer,
    .reply = h1_reply,
    .reject = h1_reject,
    .abort = h1_abort,
    .head = h1_head,
    .pump = h1_pump,
};
