/*
 * conn_oracle: tags, and llhttp (strict) on both sides of the gateway as a
 * correct client and a correct backend would read the bytes. See
 * conn_oracle.h.
 */
#include "tests/unit/helpers/conn_oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int conn_oracle_tag(char *out, size_t cap, unsigned conn, unsigned req)
{
    return snprintf(out, cap, "~%u.%u", conn, req);
}

void conn_oracle_scrub(void *buf, size_t len)
{
    char *p = buf;
    for (size_t i = 0; i < len; i++)
        if (p[i] == '~')
            p[i] = '-';
}

/* "A.B" (after the '~' of a tag): true and the two numbers. */
static bool tag_parse(const char *s, size_t n, long *conn, long *req)
{
    char text[32];
    if (n == 0 || n >= sizeof text)
        return false;
    memcpy(text, s, n);
    text[n] = '\0';
    char *end;
    long a = strtol(text, &end, 10);
    if (end == text || *end != '.')
        return false;
    char *b_text = end + 1;
    long b = strtol(b_text, &end, 10);
    if (end == b_text || a < 1 || a > CONN_ORACLE_CONNS || b < 1 || b >= CONN_ORACLE_REQS)
        return false;
    *conn = a;
    *req = b;
    return true;
}

static bool fail(bool *failed, char *why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(bool *failed, char *why, const char *fmt, ...)
{
    if (*failed)
        return false; /* the first finding is the one to read */
    *failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, CONN_ORACLE_WHY, fmt, ap);
    va_end(ap);
    return false;
}

/* The same from an llhttp callback: stops the parser. */
static int fail_cb(bool *failed, char *why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_cb(bool *failed, char *why, const char *fmt, ...)
{
    if (!*failed) {
        *failed = true;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, CONN_ORACLE_WHY, fmt, ap);
        va_end(ap);
    }
    return HPE_USER;
}

void conn_oracle_world_init(struct conn_oracle_world *w)
{
    memset(w, 0, sizeof *w);
}

void conn_oracle_world_refuse(struct conn_oracle_world *w, unsigned conn, unsigned req)
{
    if (conn >= 1 && conn <= CONN_ORACLE_CONNS && req >= 1 && req < CONN_ORACLE_REQS)
        w->flags[conn][req] |= CONN_ORACLE_F_REFUSE;
}

/* ---- the client side --------------------------------------------------------- */

static struct conn_oracle_client *client_of(llhttp_t *p)
{
    return p->data;
}

static int client_message_begin(llhttp_t *p)
{
    struct conn_oracle_client *o = client_of(p);
    o->tag_conn = o->tag_req = -1;
    o->field_len = o->value_len = 0;
    o->in_tag = false;
    return 0;
}

static int client_field(llhttp_t *p, const char *at, size_t len)
{
    struct conn_oracle_client *o = client_of(p);
    if (o->field_len + len < sizeof o->field)
        memcpy(o->field + o->field_len, at, len);
    o->field_len += len;
    return 0;
}

static int client_field_done(llhttp_t *p)
{
    struct conn_oracle_client *o = client_of(p);
    o->in_tag = o->field_len == strlen(CONN_ORACLE_TAG_HDR) &&
                strncasecmp(o->field, CONN_ORACLE_TAG_HDR, o->field_len) == 0;
    o->field_len = 0;
    o->value_len = 0;
    return 0;
}

static int client_value(llhttp_t *p, const char *at, size_t len)
{
    struct conn_oracle_client *o = client_of(p);
    if (o->in_tag && o->value_len + len < sizeof o->value)
        memcpy(o->value + o->value_len, at, len);
    o->value_len += len;
    return 0;
}

static int client_value_done(llhttp_t *p)
{
    struct conn_oracle_client *o = client_of(p);
    if (o->in_tag && !tag_parse(o->value, o->value_len, &o->tag_conn, &o->tag_req))
        o->tag_conn = o->tag_req = 0; /* a tag header that is not one: counts as foreign */
    o->in_tag = false;
    return 0;
}

static bool interim(unsigned status)
{
    return status >= 100 && status < 200 && status != 101;
}

static int client_headers_done(llhttp_t *p)
{
    struct conn_oracle_client *o = client_of(p);
    if (interim(p->status_code))
        return 0;
    bool head = o->clean && o->q_len > 0 && o->q[o->q_first].head;
    return head ? 1 : 0;
}

/* Whether request `req` of this connection went out on a backend socket
 * the fake backend had sent an unasked answer on (conn_oracle_client_init). */
static bool client_req_raw(const struct conn_oracle_client *o, unsigned req)
{
    return o->world && o->conn <= CONN_ORACLE_CONNS && req < CONN_ORACLE_REQS &&
           (o->world->flags[o->conn][req] & CONN_ORACLE_F_RAW);
}

/* Unclean, so which request an answer is for is not known: whether one
 * of this connection's CONN_ORACLE_F_RAW requests is left to excuse an
 * answer of another connection with (each excuses one). */
static bool client_raw_left(const struct conn_oracle_client *o)
{
    if (!o->world || o->conn > CONN_ORACLE_CONNS)
        return false;
    unsigned n = 0;
    for (unsigned r = 0; r < CONN_ORACLE_REQS; r++)
        n += (o->world->flags[o->conn][r] & CONN_ORACLE_F_RAW) != 0;
    return n > o->raw_excused;
}

/* The oldest open request is answered. */
static int client_answered(struct conn_oracle_client *o)
{
    unsigned status = o->p.status_code;
    if (o->q_len > 0) {
        o->q_first = (o->q_first + 1) % CONN_ORACLE_INFLIGHT;
        o->q_len--;
    }
    o->answered++;
    if (status == 101)
        o->stopped = true; /* the rest is the other protocol */
    if (!llhttp_should_keep_alive(&o->p))
        o->closed = true;
    return HPE_PAUSED;
}

/* A final answer: it must answer this connection's oldest open request. */
static int client_final(struct conn_oracle_client *o, unsigned status)
{
    long want = o->q_len > 0 ? (long)o->q[o->q_first].req : -1;
    if (want >= 0 && client_req_raw(o, (unsigned)want))
        return client_answered(o);
    bool foreign = o->tag_conn >= 0 && o->tag_conn != (long)o->conn;
    if (foreign && !o->clean && client_raw_left(o)) {
        o->raw_excused++;
        return client_answered(o);
    }
    if (foreign)
        return fail_cb(&o->failed, o->why, "connection %u got the answer (status %u) of request ~%ld.%ld",
                       o->conn, status, o->tag_conn, o->tag_req);
    if (o->clean && want < 0)
        return fail_cb(&o->failed, o->why,
                       "connection %u got an answer (status %u, tag %ld) with no request open (answer %u)",
                       o->conn, status, o->tag_req, o->answered + 1);
    if (o->clean && o->tag_req >= 0 && o->tag_req != want)
        return fail_cb(&o->failed, o->why,
                       "connection %u: the answer to request ~%u.%ld carries the tag of request ~%u.%ld",
                       o->conn, o->conn, want, o->conn, o->tag_req);
    return client_answered(o);
}

static int client_message_done(llhttp_t *p)
{
    struct conn_oracle_client *o = client_of(p);
    if (interim(p->status_code))
        return 0;
    return client_final(o, p->status_code);
}

void conn_oracle_client_init(struct conn_oracle_client *o, unsigned conn, const struct conn_oracle_world *w)
{
    memset(o, 0, sizeof *o);
    o->world = w;
    llhttp_settings_init(&o->s);
    o->s.on_message_begin = client_message_begin;
    o->s.on_header_field = client_field;
    o->s.on_header_field_complete = client_field_done;
    o->s.on_header_value = client_value;
    o->s.on_header_value_complete = client_value_done;
    o->s.on_headers_complete = client_headers_done;
    o->s.on_message_complete = client_message_done;
    llhttp_init(&o->p, HTTP_RESPONSE, &o->s);
    o->p.data = o;
    o->conn = conn;
    o->clean = true;
    o->tag_conn = o->tag_req = -1;
}

void conn_oracle_client_sent(struct conn_oracle_client *o, unsigned req, bool head)
{
    if (o->q_len == CONN_ORACLE_INFLIGHT) {
        o->clean = false; /* more than the oracle follows: stop matching in order */
        return;
    }
    unsigned at = (o->q_first + o->q_len) % CONN_ORACLE_INFLIGHT;
    o->q[at].req = (uint16_t)req;
    o->q[at].head = head;
    o->q_len++;
}

void conn_oracle_client_sent_raw(struct conn_oracle_client *o)
{
    o->clean = false;
}

bool conn_oracle_client_recv(struct conn_oracle_client *o, const char *data, size_t len)
{
    const char *end = data + len;
    while (data < end && !o->failed && !o->stopped) {
        if (o->closed)
            return fail(&o->failed, o->why, "connection %u: %zu bytes after an answer that closed it",
                        o->conn, (size_t)(end - data));
        llhttp_errno_t err = llhttp_execute(&o->p, data, (size_t)(end - data));
        if (err == HPE_OK)
            return true;
        const char *pos = llhttp_get_error_pos(&o->p);
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            data = pos ? pos : end;
            if (err == HPE_PAUSED)
                llhttp_resume(&o->p);
            else
                o->stopped = true;
            continue;
        }
        if (err == HPE_USER || o->failed)
            return false; /* a check failed (a callback's error is HPE_CB_*) */
        if (!o->clean) {
            o->stopped = true; /* raw requests: the oracle cannot know where answers end */
            return true;
        }
        return fail(&o->failed, o->why, "connection %u: the answers do not parse (%s: %s)", o->conn,
                    llhttp_errno_name(err), llhttp_get_error_reason(&o->p));
    }
    return !o->failed;
}

/* ---- the backend side ----------------------------------------------------------- */

static struct conn_oracle_backend *backend_of(llhttp_t *p)
{
    return p->data;
}

/* GET HEAD OPTIONS TRACE PUT DELETE, as the gateway's rules say (RFC 9110 9.2.2). */
static bool method_idempotent(uint8_t m)
{
    return m == HTTP_GET || m == HTTP_HEAD || m == HTTP_OPTIONS || m == HTTP_TRACE || m == HTTP_PUT ||
           m == HTTP_DELETE;
}

static int rq_begin(llhttp_t *p)
{
    struct conn_oracle_backend *o = backend_of(p);
    if (o->q_len > 0)
        return fail_cb(&o->failed, o->why, "a second request began before the first was answered");
    o->q[o->q_len++] = (struct conn_oracle_req){.conn = -1, .req = -1, .answered = o->ahead > 0};
    if (o->ahead > 0)
        o->ahead--;
    o->url_len = 0;
    o->req_open = true;
    return 0;
}

static int rq_url(llhttp_t *p, const char *at, size_t len)
{
    struct conn_oracle_backend *o = backend_of(p);
    size_t n = len < sizeof o->url - o->url_len ? len : sizeof o->url - o->url_len;
    memcpy(o->url + o->url_len, at, n);
    o->url_len += n;
    return 0;
}

static int rq_headers_done(llhttp_t *p)
{
    struct conn_oracle_backend *o = backend_of(p);
    struct conn_oracle_req *r = &o->q[o->q_len - 1];
    const char *tilde = memchr(o->url, '~', o->url_len);
    if (tilde)
        tag_parse(tilde + 1, o->url_len - (size_t)(tilde + 1 - o->url), &r->conn, &r->req);
    uint8_t m = llhttp_get_method(p);
    r->head = m == HTTP_HEAD;
    r->idempotent = method_idempotent(m);
    if (r->conn < 0 || !o->world)
        return 0;
    uint8_t *f = &o->world->flags[r->conn][r->req];
    if (o->raw || r->answered)
        *f |= CONN_ORACLE_F_RAW;
    if (*f & CONN_ORACLE_F_REFUSE)
        return fail_cb(&o->failed, o->why, "request ~%ld.%ld was to be refused, and a backend got it",
                       r->conn, r->req);
    if ((*f & CONN_ORACLE_F_SEEN) && !r->idempotent)
        return fail_cb(&o->failed, o->why, "request ~%ld.%ld (%s, not idempotent) reached a backend twice",
                       r->conn, r->req, llhttp_method_name(m));
    *f |= CONN_ORACLE_F_SEEN;
    return 0;
}

static int rq_done(llhttp_t *p)
{
    struct conn_oracle_backend *o = backend_of(p);
    if (o->q_len > 0) /* else an early answer took it off the queue already */
        o->q[o->q_len - 1].done = true;
    if (o->q_len > 0 && o->q[o->q_len - 1].answered)
        o->q_len--; /* its answer went out before it came */
    o->req_open = false;
    o->req_keep_alive = llhttp_should_keep_alive(p) != 0;
    return 0;
}

static int rs_begin(llhttp_t *p)
{
    struct conn_oracle_backend *o = backend_of(p);
    o->resp_open = true;
    o->resp_final_head = false;
    return 0;
}

bool conn_oracle_backend_between_requests(const struct conn_oracle_backend *o)
{
    return !o->req_open && (o->q_len == 0 || o->q[0].answered);
}

static int rs_headers_done(llhttp_t *p)
{
    struct conn_oracle_backend *o = backend_of(p);
    if (interim(p->status_code))
        return 0;
    o->resp_final_head = true;
    if (o->q_len == 0 || o->q[0].answered) {
        if (o->in_flight && conn_oracle_backend_between_requests(o)) {
            o->ahead++; /* the gateway reads it as the answer to its request on the way */
            o->resp_ahead = true;
        } else {
            o->unasked = true;
        }
        return 0;
    }
    if (!o->q[0].done)
        o->early = true;
    return o->q[0].head ? 1 : 0;
}

static int rs_done(llhttp_t *p)
{
    struct conn_oracle_backend *o = backend_of(p);
    o->resp_open = false;
    if (interim(p->status_code))
        return 0;
    o->last_keep_alive = llhttp_should_keep_alive(p) != 0;
    if (o->resp_ahead) {
        o->resp_ahead = false; /* it answers no request the backend has */
    } else if (o->q_len > 0) {
        memmove(&o->q[0], &o->q[1], (o->q_len - 1) * sizeof o->q[0]);
        o->q_len--;
    }
    if (p->status_code == 101)
        o->tunnel = true;
    return 0;
}

void conn_oracle_backend_init(struct conn_oracle_backend *o, struct conn_oracle_world *w)
{
    memset(o, 0, sizeof *o);
    o->world = w;
    llhttp_settings_init(&o->rqs);
    o->rqs.on_message_begin = rq_begin;
    o->rqs.on_url = rq_url;
    o->rqs.on_headers_complete = rq_headers_done;
    o->rqs.on_message_complete = rq_done;
    llhttp_init(&o->rq, HTTP_REQUEST, &o->rqs);
    o->rq.data = o;
    llhttp_settings_init(&o->rss);
    o->rss.on_message_begin = rs_begin;
    o->rss.on_headers_complete = rs_headers_done;
    o->rss.on_message_complete = rs_done;
    llhttp_init(&o->rs, HTTP_RESPONSE, &o->rss);
    o->rs.data = o;
}

bool conn_oracle_backend_recv(struct conn_oracle_backend *o, const char *data, size_t len)
{
    o->got += len;
    if (o->sealed && len > o->sealed_slack)
        return fail(&o->failed, o->why,
                    "%zu request bytes after the gateway saw the early answer (%zu were on their way)", len,
                    o->sealed_slack);
    if (o->sealed)
        o->sealed_slack -= len;
    const char *end = data + len;
    while (data < end && !o->failed && !o->tunnel && !o->rq_bad) {
        llhttp_errno_t err = llhttp_execute(&o->rq, data, (size_t)(end - data));
        if (err == HPE_OK)
            break;
        if (err == HPE_PAUSED_UPGRADE) { /* an upgrade request: what follows waits for the answer */
            const char *pos = llhttp_get_error_pos(&o->rq);
            llhttp_resume_after_upgrade(&o->rq);
            data = pos ? pos : end;
            continue;
        }
        if (err == HPE_USER)
            return false;
        o->rq_bad = true;
        return fail(&o->failed, o->why, "the gateway sent a backend bytes that do not parse (%s: %s)",
                    llhttp_errno_name(err), llhttp_get_error_reason(&o->rq));
    }
    return !o->failed;
}

void conn_oracle_backend_sent(struct conn_oracle_backend *o, const char *data, size_t len)
{
    o->sent += len;
    if (o->tunnel || o->rs_bad)
        return;
    llhttp_errno_t err = llhttp_execute(&o->rs, data, len);
    if (err == HPE_PAUSED_UPGRADE)
        o->tunnel = true;
    else if (err != HPE_OK)
        o->rs_bad = true; /* raw bytes that are no answer: the gateway must drop the socket */
}

void conn_oracle_backend_in_flight(struct conn_oracle_backend *o, bool in_flight)
{
    o->in_flight = in_flight;
}

void conn_oracle_backend_sent_raw(struct conn_oracle_backend *o)
{
    o->raw = true;
    for (unsigned i = 0; o->world && i < o->q_len; i++)
        if (o->q[i].conn > 0)
            o->world->flags[o->q[i].conn][o->q[i].req] |= CONN_ORACLE_F_RAW;
}

void conn_oracle_backend_seal(struct conn_oracle_backend *o, size_t in_flight)
{
    o->sealed = o->early;
    o->sealed_slack = o->sealed ? in_flight : 0;
}

bool conn_oracle_backend_next(const struct conn_oracle_backend *o, long *conn, long *req, bool *head)
{
    if (o->q_len == 0 || o->q[0].answered)
        return false;
    *conn = o->q[0].conn;
    *req = o->q[0].req;
    *head = o->q[0].head;
    return true;
}

bool conn_oracle_backend_poolable(const struct conn_oracle_backend *o, char *why, size_t cap)
{
    const char *r = NULL;
    if (o->tunnel)
        r = "it carried a tunnel";
    else if (o->rq_bad || o->rs_bad)
        r = "bytes that are no HTTP crossed it";
    else if (o->sealed)
        r = "the gateway saw an early answer on it (the head left before the request was complete)";
    else if (o->unasked)
        r = "an answer went out that no request asked for";
    else if (o->ahead > 0)
        r = "an answer went out for a request that has not arrived";
    else if (o->req_open || o->q_len > 0)
        r = "a request on it is not complete or not answered";
    else if (o->resp_open)
        r = "the answer on it is not complete";
    else if (!o->last_keep_alive)
        r = "its last answer ends the connection (or none was complete)";
    else if (!o->req_keep_alive)
        r = "its last request ends the connection (HTTP/1.0 without keep-alive, or close)";
    if (r)
        snprintf(why, cap, "%s", r);
    return r == NULL;
}
